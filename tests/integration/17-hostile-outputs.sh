#!/bin/sh
# Output paths that try to make imgpool damage what is not its own (issue 12
# items 1, 5, 6 and 10).
. "$ROOT/tests/integration/lib.sh"
in="$T/in"; mkdir -p "$in"
$MKIMG png 12 8 "$in/a.png"

# Item 1: --report and --trace into a FIFO: written, and still a FIFO.
mkfifo "$T/rep.fifo" "$T/trace.fifo"
fifo_reader "$T/rep.fifo" "$T/rep.out"; r1=$_pid
fifo_reader "$T/trace.fifo" "$T/trace.out"; r2=$_pid
expect_exit 0 timeout 20 "$IMGPOOL" -q -o "$T/o1" --report "$T/rep.fifo" --trace "$T/trace.fifo" "$in"
wait $r1; wait $r2
[ -p "$T/rep.fifo" ] && [ -p "$T/trace.fifo" ] || fail "a FIFO was replaced by a file"
python3 -c 'import json,sys; [json.load(open(f)) for f in sys.argv[1:]]' "$T/rep.out" "$T/trace.out" ||
  fail "FIFO readers did not get JSON"
# ... through a symlink: the link stays, its target gets the report.
echo old > "$T/real.json"; ln -s real.json "$T/link.json"
ln -s /dev/null "$T/null-link"
expect_exit 0 "$IMGPOOL" -q -o "$T/o1" --force --report "$T/link.json" --trace "$T/null-link" "$in"
[ -L "$T/link.json" ] && [ -L "$T/null-link" ] || fail "a symlink was replaced by a file"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/real.json" || fail "symlink target not written"
[ -c /dev/null ] || fail "/dev/null is no longer a device"
# A folder as --report: refused before any work (exit 2, nothing written).
mkdir "$T/repdir"
expect_exit 2 "$IMGPOOL" -o "$T/o1d" --report "$T/repdir" "$in"
expect_err "repdir"
[ ! -e "$T/o1d/a.png" ] || fail "work done before the report path was checked"
expect_exit 2 "$IMGPOOL" -o "$T/o1e" --trace "$T/nodir/t.json" "$in"
[ ! -e "$T/o1e/a.png" ] || fail "work done before the trace path was checked"
# SIGKILL mid-run leaves no temp file beside the trace or the report.
make_workload "$T/slow" 12
mkdir "$T/k"
"$IMGPOOL" -j 2 --resize 300% -o "$T/o1k" --trace "$T/k/t.json" --report "$T/k/r.json" "$T/slow" \
  2>/dev/null & pid=$!
wait_for_output "$T/o1k"
kill -KILL $pid; wait $pid 2>/dev/null
[ -z "$(ls -A "$T/k")" ] || fail "files left after SIGKILL: $(ls -A "$T/k")"

# Item 5: -o equal to an input folder (directly, through a symlink or ..),
# or an ancestor of one: refused, exit 2, nothing written.
ln -s in "$T/in-link"
for o in "$in" "$T/in-link" "$in/../in" "$T"; do
  expect_exit 2 "$IMGPOOL" --format bmp -o "$o" "$in"
  expect_err "output folder"
  [ ! -e "$in/a.bmp" ] && [ ! -e "$T/a.bmp" ] || fail "-o $o: output written among the inputs"
done

# Item 6: names of 240-255 bytes work; a name that cannot be made names its reason.
mkdir "$T/long"
n=$(printf 'n%.0s' $(seq 1 248))
cp "$in/a.png" "$T/long/$n.png"; cp "$in/a.png" "$T/long/$n.ppm"
expect_exit 1 "$IMGPOOL" --format png -o "$T/o6" "$T/long"
[ -s "$T/o6/$n.png" ] || fail "252-byte name not processed"
expect_err "File name too long"
grep -q "^  .*File name too long" "$T/err" || fail "summary lost the reason: $(cat "$T/err")"

# Item 10: a symlink already inside -o is never followed.
mkdir -p "$T/r10/sub" "$T/outside" "$T/o10"
cp "$in/a.png" "$T/r10/sub/a.png"
ln -s "$T/outside" "$T/o10/sub"
expect_exit 1 "$IMGPOOL" -r -o "$T/o10" "$T/r10"
expect_err "symbolic link"
[ -z "$(ls -A "$T/outside")" ] || fail "output written through a symlink: $(ls -A "$T/outside")"
ln -s "$T/outside/deep" "$T/o10/sub2"
mkdir -p "$T/r10/sub2/x" && cp "$in/a.png" "$T/r10/sub2/x/a.png"
expect_exit 1 "$IMGPOOL" -r -o "$T/o10" "$T/r10"
[ ! -e "$T/outside/deep" ] || fail "folder created through a symlink"
exit 0
