#!/usr/bin/env bash
# xorriso stand-in for grub-mkrescue: before the image is written, rebuilds GRUB's EFI
# system partition image (efi.img) larger, adding the files under $PASSAGE_ESP_EXTRA.
# Works on files only (mtools), so no loop devices or root mounts are needed.
set -euo pipefail
root=""
prev=""
for a in "$@"; do
    [ "$prev" = "-r" ] && root=$a
    prev=$a
done
if [ -n "${PASSAGE_ESP_EXTRA:-}" ] && [ -n "$root" ] && [ -f "$root/efi.img" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir "$tmp/content"
    mcopy -s -n -i "$root/efi.img" '::/*' "$tmp/content/"
    cp -r "$PASSAGE_ESP_EXTRA"/. "$tmp/content/"
    kib=$(( $(du -sk "$tmp/content" | cut -f1) + 1024 ))
    rm -f "$root/efi.img"
    mkfs.fat -C -n PASSAGE_ESP "$root/efi.img" "$kib" >/dev/null
    (cd "$tmp/content" && for f in *; do mcopy -s -i "$root/efi.img" "$f" ::/; done)
fi
exec xorriso "$@"
