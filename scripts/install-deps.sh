#!/usr/bin/env bash
# Installs the system packages podbay needs (Debian), only those that are missing.
set -euo pipefail
need=()
for pkg in runc conmon iproute2 nftables util-linux tmux busybox-static docker-registry attr apache2-utils socat catatonit skopeo umoci; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "Installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
