#!/usr/bin/env bash
# Renders an HTML file in headless Chromium and checks the result (used by
# tests/test_report_cli.c; runnable by hand):
#   tests/check-html-render.sh PAGE.html SHOT.png
# Fails (exit 1) when Chromium logs any console message (the report has no scripts, so any
# message means a broken page: a script error, a blocked or missing resource), when the
# screenshot is missing, or when it is blank: fewer than 2% non-background pixels or fewer
# than 16 distinct colours (measured by tests/tools/pngstat.c, built here with cc -lz).
# Prints one line of measurements.
set -euo pipefail
page=$1 shot=$2
command -v chromium >/dev/null || { echo "check-html-render: chromium is not installed (make test installs it)" >&2; exit 1; }
profile=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$profile" "$log"' EXIT
rm -f "$shot"
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$profile" --enable-logging=stderr --v=0 --hide-scrollbars \
  --screenshot="$shot" --window-size=1280,2000 "file://$(realpath "$page")" >"$log" 2>&1 || {
  echo "check-html-render: chromium failed:" >&2; tail -20 "$log" >&2; exit 1; }
if grep -q ':CONSOLE' "$log"; then
  echo "check-html-render: console messages:" >&2; grep ':CONSOLE' "$log" >&2; exit 1
fi
[ -s "$shot" ] || { echo "check-html-render: no screenshot written" >&2; exit 1; }
tool=$(mktemp -d)/pngstat
trap 'rm -rf "$profile" "$log" "$(dirname "$tool")"' EXIT
cc -O2 -o "$tool" "$(dirname "$0")/tools/pngstat.c" -lz
read -r w h colours nonbg < <("$tool" "$shot")
pct=$((100 * nonbg / (w * h)))
echo "check-html-render: ${w}x${h}, $colours distinct colours, $nonbg non-background pixels ($pct%)"
if [ "$((50 * nonbg))" -lt "$((w * h))" ] || [ "$colours" -lt 16 ]; then
  echo "check-html-render: the screenshot looks blank" >&2; exit 1
fi
