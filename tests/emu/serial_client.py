#!/usr/bin/env python3
"""Serial console client for emulator tests: logs a TCP serial port to a file and types keys
once a trigger appears. usage: serial_client.py PORT LOG TRIGGER KEYS END TIMEOUT"""
import re
import socket
import sys
import time


def main():
    port, log, trigger, keys, end, timeout = sys.argv[1:7]
    deadline = time.time() + float(timeout)
    sock = None
    while sock is None and time.time() < deadline:
        try:
            sock = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
        except OSError:
            time.sleep(0.3)
    if sock is None:
        return 2
    sock.settimeout(0.5)
    buf, sent = b"", False
    with open(log, "wb") as out:
        while time.time() < deadline:
            try:
                data = sock.recv(4096)
                if not data:
                    break
                buf += data
                out.write(data)
                out.flush()
            except socket.timeout:
                pass
            text = buf.decode(errors="replace")
            if not sent and re.search(trigger, text):
                sock.sendall(keys.encode())
                sent = True
            if re.search(end, text):
                return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
