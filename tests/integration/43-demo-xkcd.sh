#!/bin/sh
# demo xkcd --offline: starts the local server itself, downloads 100-109
# sequentially and in parallel with the real downloader, same files both ways,
# and stops its server (no python process left behind).
. "$ROOT/tests/integration/lib.sh"
command -v python3 >/dev/null || skip "python3 missing"
expect_exit 0 "$IMGPOOL" demo xkcd --offline --latency 20 --lang en
grep -q "local xkcd server: http://127.0.0.1:" "$T/out" || fail "no local server line"
grep -q "identical files: 10 of 10" "$T/out" "$T/err" || { cat "$T/out" "$T/err"; fail "runs differ"; }
grep -q "^thread 9 |" "$T/out" "$T/err" || fail "no timeline of the parallel run"
# Its own server is gone: nothing answers on its port any more (other tests
# and helpers may run servers of their own, so no counting by name).
port=$(sed -n 's|^local xkcd server: http://127.0.0.1:\([0-9]*\) .*|\1|p' "$T/out")
[ -n "$port" ] || fail "no port in the server line"
sleep 0.2
python3 -c "import socket, sys; s = socket.socket(); s.settimeout(2)
sys.exit(0 if s.connect_ex(('127.0.0.1', int(sys.argv[1]))) != 0 else 1)" "$port" || fail "server left running"
expect_exit 0 "$IMGPOOL" demo xkcd --show-code
grep -q "cli_xkcd_main" "$T/out" || fail "--show-code lacks the core"
