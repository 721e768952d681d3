#!/usr/bin/env bash
# make demo: runs pipelines/demo (see pipelines/README.md), then says where the results are.
# A second run reuses the finished stages; an interrupted run continues where it stopped.
set -euo pipefail
bin=$1
start=$(date +%s)
"$bin" pipeline run pipelines/demo
secs=$(( $(date +%s) - start ))
db=results/demo/chemvae.db
cat <<MSG

chemvae demo finished in ${secs} s.
  results DB: $db
  report:     results/demo/report.html   (open it in a browser; it is one self-contained file)

Try:
  $bin query --db $db runs
  $bin query --db $db top --by qed -n 10
  $bin query --db $db "SELECT g.method, count(*) AS decoded, round(avg(g.valid), 3) AS validity, count(DISTINCT g.molecule_id) AS distinct_valid FROM generations g GROUP BY g.method"
MSG
