#!/usr/bin/env bash
# Builds a busybox image from Debian's busybox-static (no registry, no internet) and imports it
# into podbay's image store as busybox:1.36 and busybox:latest. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(mktemp -d)
chmod 755 "$root"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var/log}
chmod 1777 "$root/tmp"
cp /bin/busybox "$root/bin/busybox"
chroot "$root" /bin/busybox --install -s /bin
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
tar --numeric-owner -C "$root" -cf "$root.tar" .
for tag in busybox:1.36 busybox:latest; do
  node bin/podbay.js image import "$root.tar" "$tag" --cmd sh >/dev/null
done
rm -f "$root.tar"
node bin/podbay.js image ls
