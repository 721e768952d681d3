#!/usr/bin/env bash
# The module graph, checked: each module of src/ may include the public headers
# (include/chemvae/<module>/*.h) of the modules below it and of itself, never of one above
# it. The allowed graph (a module: what it may use):
#
#   core        -                    buffers, errors, files, JSON, RNG, version
#   chem        core                 RDKit behind a C API
#   data        core chem            CSV, tokenizer, vocabulary, datasets, SMILES grammar
#   nn          core                 layers, optimizer, GEMM
#   model       core chem data nn    the VAE, training, checkpoints, evaluation
#   latent      core chem data nn model   decoding strategies, optimization in latent space
#   store       core chem            the SQLite results store
#   app         all of the above     the application jobs: sample, optimize, ... as calls
#   report      all of the above     the HTML report of a results DB
#   pipeline    app and below        pipeline files, their state files, the runner (stages
#                                    run as child processes of the chemvae executable)
#   sqlite_ext  core store           the loadable SQLite extension
#   cli         everything           the command line
#   python      -                    the Python package (ctypes over libchemvae.so.0; no C)
#
# Prints each violation (file, header, modules) and exits 1 if there is one. Run by
# `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A ALLOWED=(
  [core]="core" [chem]="core chem" [data]="core chem data" [nn]="core nn"
  [model]="core chem data nn model" [latent]="core chem data nn model latent"
  [store]="core chem store" [sqlite_ext]="core store sqlite_ext"
  [app]="core chem data nn model latent store app" [pipeline]="core chem data nn model latent store app pipeline"
  [report]="core chem data nn model latent store app report"
  [cli]="core chem data nn model latent store app report pipeline cli" [python]="python"
)
bad=0
# chemvae/<module>/<name>.h: the header's module is its directory; chemvae/chemvae.h (the
# umbrella) belongs to the library's users, so only cli and python-facing code may use it.
check_file() { # FILE MODULE
  local inc hm
  for inc in $(grep -o '#include "chemvae/[a-z_0-9/]*\.h"' "$1" | sed 's/#include "chemvae\/\(.*\)\.h"/\1/'); do
    case $inc in
    chemvae) hm=cli ;;
    */*) hm=${inc%%/*} ;;
    *) echo "FAIL $1: chemvae/$inc.h is not under a module's directory"; bad=1; continue ;;
    esac
    if [ -z "${ALLOWED[$hm]:-}" ]; then echo "FAIL $1: chemvae/$inc.h: no module $hm"; bad=1; continue; fi
    if [[ " ${ALLOWED[$2]} " != *" $hm "* ]]; then
      echo "FAIL $1 (module $2) includes chemvae/$inc.h of module $hm, which is above it"; bad=1
    fi
  done
}
for dir in src/*/; do
  m=$(basename "$dir")
  [ -n "${ALLOWED[$m]:-}" ] || { echo "FAIL src/$m: a module missing from the graph in $0"; bad=1; continue; }
  for f in "$dir"*.c "$dir"*.cpp "$dir"*.h; do [ -f "$f" ] && check_file "$f" "$m"; done
done
for h in include/chemvae/*/*.h; do
  m=$(basename "$(dirname "$h")")
  [ -d "src/$m" ] || { echo "FAIL $h: no module src/$m"; bad=1; continue; }
  check_file "$h" "$m"
done
[ $bad -eq 0 ] && echo "ok   module graph: every include goes down or sideways"
exit $bad
