#!/usr/bin/env bash
# Installs what Passage's build and tests need on Debian bookworm, when missing:
# bookworm packages, QEMU 10 from bookworm-backports, and a Debian trixie chroot
# holding Bochs 3.0 (kept in a cache folder outside the repository), and in that chroot
# the project's patched Bochs with the VT-d unit (tests/platforms/bochs-vtd).
# Mirror URLs are read from this machine's apt configuration, never hard-coded.
set -euo pipefail

CACHE=${PASSAGE_CACHE:-/var/cache/passage}
CHROOT=$CACHE/bochs-trixie
PKGS=(nasm gnu-efi grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools
      dosfstools ovmf libcmocka-dev clang libclang-rt-14-dev debootstrap cpio
      busybox-static acpica-tools curl)

log() { echo "setup: $*" >&2; }
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# First Debian archive URI in the machine's apt sources (deb822 or one-line).
debian_mirror() {
    local uri=""
    if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
        uri=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) print $i}' \
              /etc/apt/sources.list.d/*.sources | grep -v -- '-security' | head -n1)
    fi
    if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
        uri=$(awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; break}}' \
              /etc/apt/sources.list | grep -v -- '-security' | head -n1)
    fi
    [ -n "$uri" ] || { log "no Debian mirror found in apt sources"; exit 1; }
    echo "${uri%/}"
}

missing_pkgs() {
    local p
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

qemu_ok() {
    command -v qemu-system-x86_64 >/dev/null &&
        qemu-system-x86_64 --version | awk 'NR==1 {split($4, v, "."); exit !(v[1] >= 10)}'
}

install_packages() {
    local need updated=0
    need=$(missing_pkgs)
    if [ -n "$need" ]; then
        log "installing: $need"
        sudo_ apt-get update -qq; updated=1
        # shellcheck disable=SC2086
        sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need >/dev/null
    fi
    if ! qemu_ok; then
        local list=/etc/apt/sources.list.d/passage-backports.list
        if [ ! -f "$list" ]; then
            echo "deb $(debian_mirror) bookworm-backports main" | sudo_ tee "$list" >/dev/null
            updated=0
        fi
        [ $updated = 1 ] || sudo_ apt-get update -qq
        log "installing qemu-system-x86 from bookworm-backports"
        sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            -t bookworm-backports qemu-system-x86 >/dev/null
    fi
}

install_bochs() {
    [ -x "$CHROOT/usr/bin/bochs" ] && return 0
    log "building Bochs 3.0 chroot (Debian trixie) in $CHROOT"
    sudo_ rm -rf "$CHROOT.tmp"
    sudo_ mkdir -p "$CACHE"
    sudo_ debootstrap --variant=minbase trixie "$CHROOT.tmp" "$(debian_mirror)" >/dev/null
    sudo_ chroot "$CHROOT.tmp" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends bochs bochsbios vgabios bochs-term >/dev/null
    sudo_ chroot "$CHROOT.tmp" apt-get clean
    sudo_ mv "$CHROOT.tmp" "$CHROOT"
}

# The Debian cloud kernel used as the Linux test guest, unpacked into the cache.
install_guest_kernel() {
    local dir=$CACHE/linux
    compgen -G "$dir/vmlinuz-*" >/dev/null && return 0
    local pkg
    pkg=$(apt-cache depends linux-image-cloud-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    [ -n "$pkg" ] || { log "no linux-image-*-cloud-amd64 package found"; return 1; }
    log "fetching $pkg for the Linux test guest"
    sudo_ mkdir -p "$dir.tmp"
    (cd "$dir.tmp" && sudo_ apt-get download -qq "$pkg" >/dev/null &&
        sudo_ dpkg-deb -x ./*.deb x && sudo_ cp x/boot/vmlinuz-* . && sudo_ rm -rf x ./*.deb)
    sudo_ rm -rf "$dir" && sudo_ mv "$dir.tmp" "$dir"
}

# Xen 4.17's hypervisor binary (bookworm's xen-hypervisor-4.17-amd64), only unpacked into the
# cache, never installed: the peer that make figures (tests/emu/figures-xen.sh) boots the same
# Linux guest under as a PVH dom0.
install_xen() {
    local dir=$CACHE/xen
    [ -f "$dir/xen-4.17-amd64.gz" ] && return 0
    log "fetching xen-hypervisor-4.17-amd64 (unpacked only) for make figures"
    sudo_ rm -rf "$dir.tmp" && sudo_ mkdir -p "$dir.tmp"
    # Only make figures needs it: a failed download is reported, and make test goes on.
    if ! (cd "$dir.tmp" && sudo_ apt-get download -qq xen-hypervisor-4.17-amd64 >/dev/null 2>&1 &&
          sudo_ dpkg-deb -x ./*.deb x && sudo_ cp x/boot/xen-4.17-amd64.gz . && sudo_ rm -rf x ./*.deb); then
        log "xen-hypervisor-4.17-amd64 not fetched: make figures will lack the Xen comparison"
        sudo_ rm -rf "$dir.tmp"
        return 0
    fi
    sudo_ rm -rf "$dir" && sudo_ mv "$dir.tmp" "$dir"
}

# The patched Bochs (VT-d unit, edu device), keyed by its sources and patches: only built
# when that key's prefix is missing (see tests/platforms/bochs-vtd/README.md).
install_bochs_vtd() {
    local here
    here=$(cd "$(dirname "$0")/.." && pwd)
    sudo_ env PASSAGE_CACHE="$CACHE" "$here/tests/platforms/bochs-vtd/build.sh" "$(debian_mirror)"
}

# Headers of exactly that kernel, for the project's edu test module (tests/linux-edu).
install_guest_headers() {
    local k ver
    k=$(compgen -G "$CACHE/linux/vmlinuz-*" | head -n1) || true
    [ -n "$k" ] || return 0
    ver=${k##*/vmlinuz-}
    [ -f "/usr/src/linux-headers-$ver/Makefile" ] && return 0
    log "installing linux-headers-$ver for the edu test module"
    sudo_ apt-get update -qq
    sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "linux-headers-$ver" make gcc >/dev/null
}

install_packages
install_bochs
install_bochs_vtd
install_guest_kernel
install_guest_headers
install_xen
