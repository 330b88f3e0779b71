#!/usr/bin/env bash
# Builds the project's patched Bochs 3.0 (VT-d unit, edu device, requester IDs) inside the
# Debian trixie chroot that tools/setup.sh makes, into a prefix keyed by a hash of SOURCES,
# this script and the patch series (prefix.sh prints it). An existing prefix is never rebuilt.
# usage: build.sh DEBIAN-MIRROR-URI   (tools/setup.sh passes the one from apt sources)
# Env: PASSAGE_CACHE (default /var/cache/passage), BOCHS_JOBS (default 2).
set -euo pipefail
mirror=${1:?usage: build.sh DEBIAN-MIRROR-URI}
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${PASSAGE_CACHE:-/var/cache/passage}
CHROOT=$CACHE/bochs-trixie
prefix=$("$here/prefix.sh")
key=$(basename "$prefix")
log() { echo "bochs-vtd: $*" >&2; }

[ -f "$CHROOT$prefix/.complete" ] && exit 0
[ -d "$CHROOT/usr" ] || { log "no trixie chroot at $CHROOT (run tools/setup.sh)"; exit 1; }

# 1. Debian's source tarballs, checked against the sums committed in SOURCES.
src=$CACHE/bochs-src
mkdir -p "$src"
grep -v '^#' "$here/SOURCES" | while read -r sum size file; do
    if ! echo "$sum  $src/$file" | sha256sum -c --quiet 2>/dev/null; then
        log "fetching $file"
        curl -fsS -o "$src/$file.tmp" "$mirror/pool/main/b/bochs/$file"
        mv "$src/$file.tmp" "$src/$file"
        echo "$sum  $src/$file" | sha256sum -c --quiet ||
            { log "$file: sha256 mismatch"; rm -f "$src/$file"; exit 1; }
    fi
    [ "$(stat -c %s "$src/$file")" = "$size" ] || { log "$file: size mismatch"; exit 1; }
done

# 2. Build dependencies of a headless build, inside the chroot.
DEPS="g++ make libltdl-dev libncurses-dev libreadline-dev libtool zlib1g-dev patch xz-utils"
# shellcheck disable=SC2086
if ! chroot "$CHROOT" dpkg-query -W $DEPS >/dev/null 2>&1; then
    log "installing build dependencies in the chroot"
    chroot "$CHROOT" apt-get update -qq
    # shellcheck disable=SC2086
    chroot "$CHROOT" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends $DEPS >/dev/null
    chroot "$CHROOT" apt-get clean
fi

# 3. Unpack, Debian's patches in their series order, then the project's.
work=/var/tmp/passage-bochs-$key
rm -rf "${CHROOT:?}$work" && mkdir -p "$CHROOT$work"
tar -C "$CHROOT$work" -xJf "$src"/bochs_*.orig.tar.xz
tree=$CHROOT$work/bochs-3.0
tar -C "$tree" -xJf "$src"/bochs_*.debian.tar.xz
while read -r p _; do
    case $p in ''|'#'*) continue ;; esac
    patch -d "$tree" -p1 -s < "$tree/debian/patches/$p"
done < "$tree/debian/patches/series"
while read -r p; do
    [ -n "$p" ] && patch -d "$tree" -p1 -s < "$here/patches/$p"
done < "$here/patches/series"

# All-or-nothing per device: no converted device may reach guest memory without its
# requester ID (only the HPET FSB write, the AGP GART and debugger views keep the old helpers).
if grep -n 'DEV_MEM_\(READ\|WRITE\)_PHYSICAL' "$tree"/iodev/{dma,pci_ide,edu}.cc \
       "$tree"/iodev/network/e1000.cc "$tree"/iodev/sound/es1370.cc "$tree"/iodev/usb/*.cc \
       "$tree"/iodev/usb/usb_common.h >&2; then
    log "a converted device still uses an untranslated memory helper"; exit 1
fi

# 4. Configure only what the tests use (see README.md), build, install into the keyed prefix.
cat > "$tree/passage-build.sh" <<SH
set -e
cd $work/bochs-3.0
# --disable-show-ips: Bochs's once-a-second SIGALRM handler logs the IPS through the same
# stdio/mutex path as every log line; a signal that lands while the main thread is inside a
# log write deadlocks the process for good (seen as a guest "stall": no CPU used, bochs.log and
# simulated time frozen, gdb: bx_signal_handler -> logfunctions::info -> pthread_mutex_lock
# under fflush in VMX_Virtual_Apic_Write's log line). Virtual-interrupt delivery logs every
# virtualized EOI, which made it likely within a Linux boot.
CFLAGS=-O2 CXXFLAGS=-O2 ./configure --prefix=$prefix --with-nogui --disable-show-ips \
    --enable-plugins --enable-pci --enable-cpu-level=6 --enable-x86-64 --enable-smp \
    --enable-vmx=2 --enable-a20-pin --enable-all-optimizations --enable-repeat-speedups \
    --enable-memtype --enable-fpu --enable-avx --enable-evex --enable-amx --enable-cet \
    --enable-protection-keys --enable-uintr --enable-cdrom --enable-e1000 \
    --enable-usb --enable-usb-ohci --enable-usb-ehci --enable-usb-xhci \
    --disable-docbook >configure.log 2>&1 || { tail -30 configure.log; exit 1; }
make -j${BOCHS_JOBS:-2} >make.log 2>&1 || { tail -40 make.log; exit 1; }
rm -rf $prefix
make install >install.log 2>&1 || { tail -20 install.log; exit 1; }
touch $prefix/.complete
SH
log "building Bochs ($key), this takes several minutes"
start=$SECONDS
nice chroot "$CHROOT" sh "$work/bochs-3.0/passage-build.sh"
[ "${BOCHS_KEEP_WORK:-0}" = 1 ] || rm -rf "${CHROOT:?}$work"
log "built in $(( SECONDS - start )) s: $prefix"
