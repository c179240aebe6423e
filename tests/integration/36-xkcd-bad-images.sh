#!/bin/sh
# Issue 13 items 1 and 8: a downloaded image is decoded whole in a pool
# worker, under the pool limits, before it counts. A PNG whose IDAT holds
# half its rows (every CRC valid) and a PNG bomb (100000x100000 declared in
# ~1.6 KB) are that comic's error (exit 1): no image, no sidecar, no pending
# file is kept, so a rerun fetches them again. --max-pixels from the shared
# pool-limit group applies to downloads as it does to folders.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/xkcd-lib.sh"

start_server bad --fault 103:halfrows --fault 104:bomb
expect_exit 1 "$IMGPOOL" xkcd 100-105 --base-url "$URL" --out "$T/dl"
expect_err "xkcd 103: image: cannot decode: PNG: "
expect_err "xkcd 104: image: cannot decode: image too large: 100000x100000 exceeds --max-pixels"
expect_err "6 comics: 4 downloaded, 0 already there, 0 not found, 0 without image, 2 failed"
[ "$(server_stat "$URL" images)" -eq 6 ] || fail "expected 6 image requests"
ls -A "$T/dl" >"$T/dl.ls"
grep -q '^010[34]-' "$T/dl.ls" && fail "a broken image or its sidecar was kept: $(cat "$T/dl.ls")"
[ "$(wc -l <"$T/dl.ls")" -eq 8 ] || fail "expected 4 images and 4 sidecars: $(cat "$T/dl.ls")"
no_temp_files "$T/dl"

# a rerun asks again for the two broken comics only
reset_stats "$URL"
expect_exit 1 "$IMGPOOL" xkcd 100-105 --base-url "$URL" --out "$T/dl"
expect_err "6 comics: 0 downloaded, 4 already there, 0 not found, 0 without image, 2 failed"
[ "$(server_stat "$URL" images)" -eq 2 ] || fail "rerun: expected the 2 broken images again"

# with processing options: the same verdict, and no processed output for them
expect_exit 1 "$IMGPOOL" xkcd 100-105 --base-url "$URL" --out "$T/proc" --gray --procs 2
expect_err "xkcd 103: image: cannot decode: PNG: "
expect_err "processed 4: 4 ok, 0 skipped, 0 failed"
[ "$(ls "$T/proc/processed" | wc -l)" -eq 4 ] || fail "expected 4 outputs: $(ls "$T/proc/processed")"
ls -A "$T/proc" | grep -q '^010[34]-' && fail "a broken image was kept with processing"
no_temp_files "$T/proc"

# the pool limits reach downloads: --max-pixels refuses before decoding
expect_exit 1 "$IMGPOOL" xkcd 100 --base-url "$URL" --out "$T/small" --max-pixels 100000
expect_err "xkcd 100: image: cannot decode: image too large: 500x575 exceeds --max-pixels 100000"
[ -z "$(ls -A "$T/small")" ] || fail "--max-pixels: files kept: $(ls -A "$T/small")"
exit 0
