#!/bin/sh
# Every fault gives one clear line for its comic and leaves no file behind;
# 5xx recovers through retries, 4xx is never retried; the batch goes on.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/xkcd-lib.sh"

start_server faults --fault 100:500:2 --fault 101:img500:1 --fault 102:badjson \
  --fault 103:truncated --fault 104:cut --fault 105:html --fault 107:emptyimg \
  --fault 108:404 --fault 2000:img500:99
expect_exit 1 "$IMGPOOL" xkcd 100-109,404,1608,2000 --base-url "$URL" --out "$T/dl" \
  --retries 3 --retry-delay 0.02

# recovered after retries, counted by the server
[ "$(path_hits "$URL" /100/info.0.json)" -eq 3 ] || fail "100: expected 2 x 500 then 200"
[ "$(path_hits "$URL" /comics/laser_scope.jpg)" -eq 2 ] || fail "101: expected 500 then 200"
[ "$(path_hits "$URL" /404/info.0.json)" -eq 1 ] || fail "404 was retried"
[ "$(path_hits "$URL" /108/info.0.json)" -eq 1 ] || fail "108 (404) was retried"
# one line per comic, naming it and the reason
expect_err "xkcd 102: info.0.json: malformed JSON"
expect_err "xkcd 103: image: truncated image"
expect_err "xkcd 104: image: transfer closed.* after 4 attempts"
expect_err "xkcd 105: image: an HTML page instead of an image"
expect_err "xkcd 107: skipped: img names a folder"
expect_err "xkcd 108: not found (HTTP 404)"
expect_err "xkcd 404: not found (HTTP 404)"
expect_err "xkcd 1608: skipped: img names a folder"
expect_err "xkcd 2000: image: server error (HTTP 500) after 4 attempts"
expect_err "13 comics: 4 downloaded, 0 already there, 2 not found, 2 without image, 5 failed"
for n in 100 101 106 109; do
  grep -q "xkcd $n:" "$T/err" && fail "comic $n reported a problem: $(grep "xkcd $n:" "$T/err")"
done
# only the four good comics are on disk, each complete; nothing half-written
[ "$(ls -A "$T/dl" | wc -l)" -eq 8 ] || fail "expected 8 files: $(ls -A "$T/dl")"
for f in 0100-family_circus.jpg 0101-laser_scope.jpg 0106-wright_brothers.png 0109-spoiler_alert.png; do
  [ -f "$T/dl/$f" ] || fail "missing $f"
done
png_complete "$T/dl/0106-wright_brothers.png" || fail "0106 is not a complete PNG"
no_temp_files "$T/dl"

# a trickling server: the low-speed limit ends the request
start_server slow --fault 106:slow:300
expect_exit 1 "$IMGPOOL" xkcd 106 --base-url "$URL" --out "$T/slow" --retries 0 \
  --low-speed-limit 2000 --low-speed-time 1
expect_err "xkcd 106: image: Operation too slow"
[ -z "$(ls -A "$T/slow")" ] || fail "slow: files left: $(ls -A "$T/slow")"

exit 0
