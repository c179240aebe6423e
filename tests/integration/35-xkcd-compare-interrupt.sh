#!/bin/sh
# --compare: the lecture table and timelines, from temp folders it removes;
# Ctrl-C during a download-and-process run: exit 130, only complete comics
# on disk, and a rerun finishes the rest.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/xkcd-lib.sh"

start_server cmp --latency 100
mkdir "$T/tmp"
TMPDIR="$T/tmp" expect_exit 0 "$IMGPOOL" xkcd 100-105 --base-url "$URL" --compare --threads 6
for want in "sequential  *1 " "parallel  *6 " "speed-up" "identical files: 6 of 6" \
            "thread 5 |" "J info.0.json request"; do
  grep -q -- "$want" "$T/out" || { cat "$T/out"; fail "--compare output lacks '$want'"; }
done
[ "$(server_stat "$URL" max_concurrent)" -ge 2 ] || fail "--compare never ran requests in parallel"
[ "$(server_stat "$URL" requests)" -eq 24 ] || fail "--compare: expected 2 x 12 requests"
[ -z "$(ls -A "$T/tmp")" ] || fail "--compare left temp folders: $(ls -A "$T/tmp")"
expect_exit 2 "$IMGPOOL" xkcd 100-105 --base-url "$URL" --compare --gray

# a run that cannot start after its temp folder is made leaves no folder: glibc
# sizes a thread's stack by the stack limit, and the kernel refuses to commit
# 1 TiB, so the first download thread cannot start
rc=0
(ulimit -s 1073741824 && TMPDIR="$T/tmp" exec "$IMGPOOL" xkcd 100-101 --base-url "$URL" \
  --compare) >"$T/out" 2>"$T/err" || rc=$?
grep -q "cannot start a thread" "$T/err" ||
  skip "a thread with a 1 TiB stack started here (overcommit?); cannot make --compare fail"
[ "$rc" -eq 1 ] || { cat "$T/err"; fail "--compare that could not start exited $rc, expected 1"; }
[ -z "$(ls -A "$T/tmp")" ] || fail "--compare that could not start left $(ls -A "$T/tmp")"

# interrupt: slow server, one thread, so the run is surely mid-way
start_server slow --latency 300
setsid "$IMGPOOL" xkcd 1-3,100-109,1000-1010 --base-url "$URL" --out "$T/dl" --threads 1 \
  --gray --procs 2 >"$T/int.out" 2>"$T/int.err" &
pid=$!
n=0
until [ "$(ls "$T/dl" 2>/dev/null | grep -c '\.json$')" -ge 2 ]; do
  n=$((n+1)); [ $n -lt 300 ] || fail "no comic arrived"
  sleep 0.1
done
kill -INT -"$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 130 ] || { cat "$T/int.err"; fail "exit $rc after SIGINT, expected 130"; }
grep -q "interrupted after" "$T/int.err" || fail "no 'interrupted' message"
have=$(ls "$T/dl" | grep -c '\.json$')
[ "$have" -lt 24 ] || fail "the run finished before the interrupt; cannot test"
no_temp_files "$T/dl"
for side in "$T"/dl/*.json; do   # each sidecar's image is there, complete
  img=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["file"])' "$side")
  [ -f "$T/dl/$img" ] || fail "$side names a missing image"
done
sleep 0.2
[ -z "$(pgrep -g "$pid" 2>/dev/null)" ] || fail "processes left in the group"
expect_exit 0 "$IMGPOOL" xkcd 1-3,100-109,1000-1010 --base-url "$URL" --out "$T/dl" --threads 8
expect_err "24 comics: $((24 - have)) downloaded, $have already there"
exit 0
