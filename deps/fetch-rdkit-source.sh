#!/usr/bin/env bash
# Fetches the three Code/MinimalLib files of Debian's own rdkit source package into
# $1 (e.g. build/deps/rdkit-src), unmodified. When no deb-src source is configured, adds
# one for the download, mirroring the machine's own first Debian "main" package source
# (its URI, suite and signing key, from /etc/apt/sources.list.d/*.sources or a one-line
# sources.list entry), and removes it again afterwards (saying so on stderr each time).
# Never commit what this fetches.
set -euo pipefail
out=$1
mkdir -p "$out"
if [ -f "$out/cffiwrapper.cpp" ] && [ -f "$out/cffiwrapper.h" ] && [ -f "$out/common.h" ]; then
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# Prints "URI SUITE SIGNED-BY" of the first configured binary source with component main.
binary_source() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         {
           types = uris = suites = comps = key = ""
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^Types:/) types = $i
             else if ($i ~ /^URIs:/) { sub(/^URIs:[ \t]*/, "", $i); split($i, u, /[ \t]+/); uris = u[1] }
             else if ($i ~ /^Suites:/) { sub(/^Suites:[ \t]*/, "", $i); split($i, v, /[ \t]+/); suites = v[1] }
             else if ($i ~ /^Components:/) comps = $i
             else if ($i ~ /^Signed-By:/) { sub(/^Signed-By:[ \t]*/, "", $i); key = $i }
           }
           if (types ~ /[ \t]deb([ \t]|$)/ && comps ~ /[ \t]main([ \t]|$)/ && uris != "") {
             print uris, suites, key; exit
           }
         }' "$f"
  done | sed -n 1p
  if [ -f /etc/apt/sources.list ]; then
    awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                       for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i, $(i + 1), ""; exit } }' \
      /etc/apt/sources.list
  fi
}

if ! grep -rqs '^Types: deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  read -r uri suite key < <(binary_source | sed -n 1p) || true
  if [ -z "${uri:-}" ] || [ -z "${suite:-}" ]; then
    echo "chemvae: no Debian 'main' package source configured to derive a deb-src source from" >&2
    exit 1
  fi
  {
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n' "$uri" "$suite"
    [ -n "${key:-}" ] && printf 'Signed-By: %s\n' "$key"
  } | $SUDO tee /etc/apt/sources.list.d/chemvae-src.sources >/dev/null
  echo "chemvae: added /etc/apt/sources.list.d/chemvae-src.sources (deb-src of $uri $suite) for the download" >&2
  added_source=1
  $SUDO apt-get update -qq
fi
tmp=$(mktemp -d)
cleanup() {
  rm -rf "$tmp"
  if [ -n "${added_source:-}" ]; then
    $SUDO rm -f /etc/apt/sources.list.d/chemvae-src.sources
    $SUDO apt-get update -qq || true
    echo "chemvae: removed /etc/apt/sources.list.d/chemvae-src.sources again" >&2
  fi
}
trap cleanup EXIT
(cd "$tmp" && apt-get source --download-only -qq rdkit >/dev/null 2>&1 || apt-get source --download-only rdkit)
tarball=$(ls "$tmp"/rdkit_*.orig.tar.* | sed -n 1p)
top=$(tar -tf "$tarball" | sed -n 1p | cut -d/ -f1)
tar -xf "$tarball" -C "$tmp" "$top/Code/MinimalLib/cffiwrapper.cpp" \
  "$top/Code/MinimalLib/cffiwrapper.h" "$top/Code/MinimalLib/common.h"
cp "$tmp/$top/Code/MinimalLib/"{cffiwrapper.cpp,cffiwrapper.h,common.h} "$out/"
echo "chemvae: fetched RDKit C FFI sources from $(basename "$tarball")" >&2
