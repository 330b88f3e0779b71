#!/usr/bin/env python3
"""Serial console client for emulator tests: logs a TCP serial port to a file and types console
command lines once a trigger appears.

usage: serial_client.py PORT LOG TRIGGER LINES END TIMEOUT
LINES holds the command lines separated by ';' ("stats;vcpu compute 0"); each is sent with a
carriage return, a short pause apart. Exit status 0 when END appeared, 1 on timeout or when the
emulator closed the port, 2 when the port never opened."""
import re
import socket
import sys
import time

LINE_GAP = 0.2   # seconds between command lines (wall clock; the emulator drains its FIFO meanwhile)


def main():
    port, log, trigger, lines, end, timeout = sys.argv[1:7]
    deadline = time.time() + float(timeout)
    sock = None
    while sock is None and time.time() < deadline:
        try:
            sock = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
        except OSError:
            time.sleep(0.3)
    if sock is None:
        return 2
    sock.settimeout(0.2)
    todo = [l for l in lines.split(";") if l] if lines else []
    buf, triggered, next_send = b"", False, 0.0
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
            except OSError:
                break   # the emulator went away
            text = buf.decode(errors="replace")
            if not triggered and re.search(trigger, text):
                triggered = True
            if triggered and todo and time.time() >= next_send:
                sock.sendall(todo.pop(0).encode() + b"\r")
                next_send = time.time() + LINE_GAP
            if not todo and re.search(end, text):
                return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
