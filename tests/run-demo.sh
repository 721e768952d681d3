#!/usr/bin/env bash
# make demo: scores the bundled sample molecules (grows into the demo pipeline).
set -euo pipefail
bin=$1
"$bin" score --input datasets/sample.smi
