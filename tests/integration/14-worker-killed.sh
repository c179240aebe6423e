#!/bin/sh
# A worker killed with SIGKILL mid-run (as the OOM killer would): its file is
# reported once as crashed, a replacement worker finishes the run.
. "$ROOT/tests/integration/lib.sh"
need_pillow
make_workload "$T/in" 16
"$IMGPOOL" -j 2 --gray --resize 300% -o "$T/o" --report "$T/r.json" "$T/in" 2>"$T/err1" &
pid=$!
wait_for_output "$T/o"
# Kill a worker that is running (state R: inside a task), not one between tasks.
victim=""; n=0
while [ -z "$victim" ] && [ $n -lt 200 ]; do
  for w in $(pgrep -P "$pid"); do
    [ "$(cut -d' ' -f3 "/proc/$w/stat" 2>/dev/null)" = R ] && { victim=$w; break; }
  done
  n=$((n+1)); [ -n "$victim" ] || sleep 0.02
done
[ -n "$victim" ] || fail "no running worker found"
kill -KILL "$victim"
wait "$pid"; rc=$?
[ "$rc" -eq 1 ] || { cat "$T/err1"; fail "exit $rc, expected 1"; }
[ "$(grep -c "^imgpool: .*worker crashed: signal 9" "$T/err1")" -eq 1 ] || { cat "$T/err1"; fail "crash not reported once"; }
python3 - "$T/r.json" <<'PY' || fail "report wrong"
import json, sys
rep = json.load(open(sys.argv[1]))
files = rep["files"]
paths = [f["path"] for f in files]
assert len(paths) == 16 and len(set(paths)) == 16, paths
st = sorted(f["status"] for f in files)
assert st.count("crashed") == 1 and st.count("ok") == 15, st
s = rep["summary"]   # the summary equals the records
for k in ("ok", "failed", "skipped", "crashed"):
    assert s[k] == st.count(k), (k, s)
assert s["files"] == len(files), s
PY
# 15 outputs; or 16 when the kill landed after the victim's file was whole
# (between its rename and its record): what the crash never leaves is a
# half-written file, under its name or a temp name
n=$(ls "$T/o" | wc -l)
[ "$n" -eq 15 ] || [ "$n" -eq 16 ] || fail "expected 15 outputs (16 at most): $n"
[ -z "$(ls -A "$T/o" | grep '^\.')" ] || fail "temp files left: $(ls -A "$T/o")"
$py - "$T/o" <<'PY' || fail "an output is not whole"
import os, sys
from PIL import Image
for name in os.listdir(sys.argv[1]):
    Image.open(os.path.join(sys.argv[1], name)).load()
PY
