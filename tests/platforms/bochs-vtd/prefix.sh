#!/usr/bin/env bash
# Prints the chroot-relative install prefix of the patched Bochs for the current sources,
# patches and build script (the key build.sh installs under). Builds nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
key=$(cd "$here" && cat SOURCES build.sh patches/series $(sed 's|^|patches/|' patches/series) |
      sha256sum | cut -c1-16)
echo "/opt/passage-bochs/$key"
