#!/bin/sh
# Issue 13 item 4: a timeout is retried once, not --retries times; a site
# that answers nothing (nobody listening, or a server that accepts and
# stalls) stops the run early with one message naming the site, instead of
# one error per comic after every comic's retries.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/xkcd-lib.sh"

# one stalled comic: two requests (one retry), the others download
# (images made before the run: the pure-Python encoders are slow on a busy machine)
start_server stall --fault 102:stall:30 --warm 100-104
expect_exit 1 "$IMGPOOL" xkcd 100-104 --base-url "$URL" --out "$T/stall" --request-timeout 3 \
  --retries 3 --retry-delay 0.05
expect_err "xkcd 102: info.0.json: .*[Tt]imed out.* after 2 attempts"
[ "$(path_hits "$URL" /102/info.0.json)" -eq 2 ] || fail "the timeout was retried more than once"
expect_err "5 comics: 4 downloaded, 0 already there, 0 not found, 0 without image, 1 failed"

# nobody listening: one message naming the site, whatever the range
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_exit 1 "$IMGPOOL" xkcd 1-3000 --base-url "http://127.0.0.1:$port" --out "$T/none" \
  --retry-delay 0.05
expect_err "imgpool: xkcd: no answer from http://127.0.0.1:$port: .*[Cc]onnect"
[ "$(grep -c '^imgpool: ' "$T/err")" -eq 1 ] || { cat "$T/err"; fail "expected one message"; }
[ -z "$(ls -A "$T/none")" ] || fail "files left: $(ls -A "$T/none")"

# a site that accepts every connection and never answers: the same, after
# at most one timeout and one retry per download thread
start_server hung --stall-all
expect_exit 1 "$IMGPOOL" xkcd 1-3000 --base-url "$URL" --out "$T/hung" --request-timeout 1
expect_err "imgpool: xkcd: no answer from $URL: .*[Tt]imed out"
[ "$(grep -c '^imgpool: ' "$T/err")" -eq 1 ] || { cat "$T/err"; fail "expected one message"; }
n=$(server_stat "$URL" requests)
[ "$n" -le 16 ] || fail "$n requests to a hung site (8 threads: at most 16)"
exit 0
