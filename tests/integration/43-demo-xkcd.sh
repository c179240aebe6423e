#!/bin/sh
# demo xkcd --offline: starts the local server itself, downloads 100-109
# sequentially and in parallel with the real downloader, same files both ways,
# and stops its server (no python process left behind).
. "$ROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 missing"
# our servers only: other builds and checkouts on this machine run their own
mine="$(dirname "$IMGPOOL")/\.\./.*tools/xkcd-server\.py"
before=$(pgrep -f -- "$mine" | wc -l)
expect_exit 0 "$IMGPOOL" demo xkcd --offline --latency 20 --lang en
grep -q "local xkcd server: http://127.0.0.1:" "$T/out" || fail "no local server line"
grep -q "identical files: 10 of 10" "$T/out" "$T/err" || { cat "$T/out" "$T/err"; fail "runs differ"; }
grep -q "^thread 9 |" "$T/out" "$T/err" || fail "no timeline of the parallel run"
sleep 0.2
[ "$(pgrep -f -- "$mine" | wc -l)" -le "$before" ] || fail "server left running"
expect_exit 0 "$IMGPOOL" demo xkcd --show-code
grep -q "cli_xkcd_main" "$T/out" || fail "--show-code lacks the core"
