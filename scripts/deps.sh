#!/usr/bin/env bash
# Installs the Debian packages spca needs to build and test, when missing.
# Run as root it installs them with apt-get; otherwise it lists them and fails.
set -euo pipefail
pkgs=(gcc pkg-config libhdf5-dev libopenblas-dev liblapacke-dev hdf5-tools
      python3-numpy python3-h5py python3-sklearn python3-zstandard time)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "spca needs these Debian packages: ${missing[*]}" >&2
  echo "install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
