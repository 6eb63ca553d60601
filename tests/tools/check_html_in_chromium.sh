#!/bin/sh
# Renders mx-prof's HTML report of a real traced run in headless Chromium and checks its script ran to the end
# without an error (the page marks #status "rendered", or "error: ..." from window.onerror).
# Usage: check_html_in_chromium.sh MX_PROF TRACE_PROGRAM WORK_DIR
set -eu
mx_prof=$1 program=$2 dir=$3
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  if [ "${CI:-}" = "true" ]; then echo "chromium is missing (tools/setup.sh installs it)"; exit 1; fi
  echo "chromium not installed: skipped"; exit 77
fi
mkdir -p "$dir"
MX_PROFILER="$dir/trace.json" "$program"
"$mx_prof" html "$dir/trace.json" -o "$dir/report.html"
dom=$("$browser" --headless --no-sandbox --disable-gpu --user-data-dir="$dir/profile" --dump-dom \
      "file://$dir/report.html" 2>/dev/null)
status=$(printf '%s' "$dom" | grep -o 'id="status" data-state="[a-z]*">[^<]*' || true)
echo "$status"
case "$status" in
  *'data-state="rendered"'*) exit 0 ;;
  *) echo "the report did not render"; exit 1 ;;
esac
