#!/bin/sh
# Ctrl-C in the middle (SIGINT to the whole process group, as a terminal
# sends it): exit 130, no partial output, and a rerun completes the rest.
. "$ROOT/tests/integration/lib.sh"
make_workload "$T/in" 24
setsid "$IMGPOOL" -j 2 --gray --resize 300% -o "$T/o" "$T/in" 2>"$T/err1" &
pid=$!
wait_for_output "$T/o"
kill -INT -"$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 130 ] || { cat "$T/err1"; fail "exit $rc after SIGINT, expected 130"; }
grep -q "interrupted" "$T/err1" || fail "no interrupted summary"
done1=$(ls "$T/o" | wc -l)
[ "$done1" -lt 24 ] || fail "run finished before the interrupt; cannot test"
[ -z "$(ls -A "$T/o" | grep '^\.')" ] || fail "temp files left: $(ls -A "$T/o")"
for f in "$T"/o/*; do png_complete "$f" || fail "partial output $f"; done
# Workers are gone too.
sleep 0.2
[ -z "$(pgrep -g "$pid" 2>/dev/null)" ] || fail "processes left in the group"
# The rerun keeps what is there and does the rest.
expect_exit 0 "$IMGPOOL" -j 2 --gray --resize 300% -o "$T/o" "$T/in"
expect_err "($done1 up to date)"
[ "$(ls "$T/o" | wc -l)" -eq 24 ] || fail "rerun did not complete"
