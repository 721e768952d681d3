#!/usr/bin/env bash
# Fetches the three Code/MinimalLib files of Debian's own rdkit source package into
# $1 (e.g. build/deps/rdkit-src), unmodified. Adds a deb-src line for bookworm main
# if none exists. Never commit what this fetches.
set -euo pipefail
out=$1
mkdir -p "$out"
if [ -f "$out/cffiwrapper.cpp" ] && [ -f "$out/cffiwrapper.h" ] && [ -f "$out/common.h" ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! grep -rqs '^Types: deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    | $SUDO tee /etc/apt/sources.list.d/chemvae-src.sources >/dev/null
  $SUDO apt-get update -qq
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get source --download-only -qq rdkit >/dev/null 2>&1 || apt-get source --download-only rdkit)
tarball=$(ls "$tmp"/rdkit_*.orig.tar.* | sed -n 1p)
top=$(tar -tf "$tarball" | sed -n 1p | cut -d/ -f1)
tar -xf "$tarball" -C "$tmp" "$top/Code/MinimalLib/cffiwrapper.cpp" \
  "$top/Code/MinimalLib/cffiwrapper.h" "$top/Code/MinimalLib/common.h"
cp "$tmp/$top/Code/MinimalLib/"{cffiwrapper.cpp,cffiwrapper.h,common.h} "$out/"
echo "chemvae: fetched RDKit C FFI sources from $(basename "$tarball")" >&2
