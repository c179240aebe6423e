#!/bin/sh
# The samples end to end: outputs, EXIF rotation, animated GIF note, report,
# trace, dry run, resume (up to date) and --force.
. "$ROOT/tests/integration/lib.sh"
n=$(ls "$ROOT/samples" | wc -l)
expect_exit 0 "$IMGPOOL" -n --gray -o "$T/o" "$ROOT/samples"
[ ! -e "$T/o" ] || fail "dry run wrote something"
[ "$(wc -l < "$T/out")" -eq "$n" ] || fail "dry run did not list every file"

expect_exit 0 "$IMGPOOL" --procs 4 --gray --resize 200x200 -o "$T/o" \
  --report "$T/r.json" --trace "$T/t.json" "$ROOT/samples"
[ "$(ls "$T/o" | wc -l)" -eq "$n" ] || fail "expected $n outputs"
expect_err "note '$ROOT/samples/bounce.gif': animated GIF, first frame only"
expect_err "$n files: $n processed"
python3 - "$T/r.json" "$T/t.json" "$n" <<'PY' || fail "report or trace wrong"
import json, sys
rep, trace, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[3])
files = {f["path"].rsplit("/", 1)[1]: f for f in rep["files"]}
assert len(files) == n and rep["summary"]["ok"] == n, rep["summary"]
ex = files["exif-rotate6.jpg"]
assert (ex["width"], ex["height"]) == (300, 400), ex            # as displayed
assert (ex["out_width"], ex["out_height"]) == (150, 200), ex    # rotated, then fit 200x200
assert all(max(f["out_width"], f["out_height"]) <= 200 for f in files.values())
spans = [e for e in trace["traceEvents"] if e["ph"] == "X" and e["cat"] == "ok"]
assert len(spans) == n, len(spans)
assert len({e["tid"] for e in spans}) >= 1
PY
# Resume: everything is up to date; --force redoes it all.
expect_exit 0 "$IMGPOOL" --procs 4 --gray --resize 200x200 -o "$T/o" --timeline "$ROOT/samples"
expect_err "0 processed, $n skipped ($n up to date)"
expect_err "^worker 3 |-*"
expect_err "^- skipped"
expect_exit 0 "$IMGPOOL" --force -q --procs 2 --gray --resize 200x200 -o "$T/o" "$ROOT/samples"
[ ! -s "$T/err" ] || fail "--quiet printed: $(cat "$T/err")"
