#!/bin/sh
# Inputs that try to hide or to hang (issue 12 items 2, 3 and 7): every file
# the user named is accounted for, with a record, a message and the exit code.
. "$ROOT/tests/integration/lib.sh"
in="$T/in"; mkdir -p "$in/sub"
$MKIMG png 12 8 "$in/a.png"
cp "$in/a.png" "$in/sub/b.png"

# Item 2: a sub-folder the user cannot read is a failure, even with -q.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
  chmod 755 "$T" "$in" && chmod 644 "$in/a.png" && chmod 000 "$in/sub"
  mkdir "$T/o2" && chmod 777 "$T/o2"
  expect_exit 1 $as_user "$IMGPOOL" -r -q -o "$T/o2" --report "$T/o2/r.json" "$in"
  expect_err "cannot read folder '$in/sub': Permission denied"
  python3 - "$T/o2/r.json" "$in/sub" <<'PY' || fail "unreadable folder not in the report"
import json, sys
rep = json.load(open(sys.argv[1]))
recs = {f["path"]: f for f in rep["files"]}
f = recs[sys.argv[2]]
assert f["status"] == "failed" and "Permission denied" in f["error"], f
assert rep["summary"]["failed"] == 1 and rep["summary"]["ok"] == 1, rep["summary"]
PY
  chmod 755 "$in/sub"
fi

# Item 7: FIFOs never block. One in the folder is a failure, not silence.
mkfifo "$in/pipe.png"
expect_exit 1 timeout 20 "$IMGPOOL" -q -o "$T/o7" "$in"
expect_err "'$in/pipe.png': not a regular file"
[ -s "$T/o7/a.png" ] || fail "regular file beside the FIFO not processed"
# A listed file that becomes a FIFO after the list was read.
mkdir "$T/l" && cp "$in/a.png" "$T/l/x.png" && cp "$in/a.png" "$T/l/y.png"
( echo "$T/l/x.png"; echo "$T/l/y.png"; sleep 1; rm "$T/l/x.png"; mkfifo "$T/l/x.png" ) |
  timeout 20 "$IMGPOOL" -q --files-from - -o "$T/o7l" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -ne 124 ] || fail "a FIFO in the list hung the run"
[ $rc -eq 1 ] || { cat "$T/err"; fail "exit $rc with a FIFO in the list, expected 1"; }
expect_err "'$T/l/x.png': not a regular file"
rm -f "$in/pipe.png"

# Item 3: a name that is not UTF-8 still makes valid JSON, with its bytes kept.
bad=$(printf 'bad\377name.png')
cp "$in/a.png" "$in/$bad"
expect_exit 0 "$IMGPOOL" -q -o "$T/o3" --report "$T/r3.json" --trace "$T/t3.json" "$in"
/usr/bin/python3 - "$T/r3.json" "$T/t3.json" "$in" <<'PY' || fail "report or trace with a non-UTF-8 name"
import json, os, sys
rep = json.loads(open(sys.argv[1], "rb").read().decode("utf-8"))   # strict UTF-8
json.loads(open(sys.argv[2], "rb").read().decode("utf-8"))
want = os.fsencode(sys.argv[3]) + b"/bad\xffname.png"
f = [f for f in rep["files"] if "path_bytes" in f]
assert len(f) == 1, rep["files"]
assert bytes.fromhex(f[0]["path_bytes"]) == want, f[0]
assert f[0]["path"].endswith("bad\ufffdname.png"), f[0]
assert bytes.fromhex(f[0]["output_bytes"]).endswith(b"/bad\xffname.png"), f[0]
assert all("path_bytes" not in g for g in rep["files"] if g is not f[0])
PY
[ -s "$T/o3/$bad" ] || fail "non-UTF-8 name not processed"
exit 0
