#!/bin/sh
# The whole shared conformance corpus in one run: every file gets exactly one
# record; every file that stb_image 2.27 can decode and the suite calls valid
# comes out with the right size; everything else is a clean per-file error or
# a good output; the run itself ends normally (exit 1: some files failed).
. "$ROOT/tests/integration/lib.sh"
corpus="$SHARED/corpus"
[ -f "$corpus/expected.tsv" ] || skip "no shared corpus at $corpus"
expect_exit 1 "$IMGPOOL" -r --no-autorotate --procs 2 --timeout 60 -o "$T/o" \
  --report "$T/report.json" "$corpus"
python3 - "$corpus" "$T/report.json" "$T/out" <<'PY'
import json, os, sys
corpus, report, outdir = sys.argv[1:4]
rep = json.load(open(report))
assert rep["schema"] == "imgpool-report/1"
by_path = {}
for f in rep["files"]:
    rel = os.path.relpath(f["path"], corpus)
    assert rel not in by_path, "two records for " + rel
    by_path[rel] = f
problems = []
checked = 0
for line in open(os.path.join(corpus, "expected.tsv"), encoding="utf-8"):
    if line.startswith("#"):
        continue
    path, expect, w, h, ch, stb, note = (line.rstrip("\n").split("\t") + [""])[:7]
    f = by_path.pop(path, None)
    if f is None:
        problems.append("no record for " + path)
        continue
    if f["status"] == "crashed":
        problems.append("worker crashed on %s: %s" % (path, f["error"]))
    elif f["status"] == "failed" and not f["error"]:
        problems.append("failure without a message: " + path)
    elif f["status"] == "ok":
        if not os.path.getsize(f["output"]):
            problems.append("empty output for " + path)
    if expect == "ok" and stb == "ok":
        checked += 1
        if f["status"] != "ok":
            problems.append("valid file failed: %s: %s" % (path, f["error"]))
        elif (f["width"], f["height"]) != (int(w), int(h)):
            problems.append("%s: %sx%s, expected %sx%s" % (path, f["width"], f["height"], w, h))
        elif (f["out_width"], f["out_height"]) != (int(w), int(h)):
            problems.append("%s: output %sx%s" % (path, f["out_width"], f["out_height"]))
# Everything else in the folder is documentation: it must be skipped, not failed.
extra = [p for p, f in by_path.items() if f["status"] != "skipped"]
problems += ["not an image, yet not skipped: " + p for p in extra]
s = rep["summary"]
if s["files"] != len(rep["files"]):
    problems.append("summary counts %d files, %d records" % (s["files"], len(rep["files"])))
if problems:
    print("\n".join(problems[:40]))
    sys.exit(1)
print("checked %d valid files, %d records" % (checked, len(rep["files"])))
PY
[ $? -eq 0 ] || fail "corpus results wrong"
# Nothing half-written: no temp files left in the output tree.
[ -z "$(find "$T/o" -name '.*imgpool*')" ] || fail "temp files left behind"
# Again through the reduced-scale paths (JPEG DCT scaling down to 1/8, luma
# straight from the decoder, box pre-shrink, resampler): no worker crashes on
# any file, and every valid file stb can read still converts.
expect_exit 1 "$IMGPOOL" -r --procs 2 --timeout 60 --gray --resize 3x3 -o "$T/small" \
  --report "$T/small.json" "$corpus"
python3 - "$corpus" "$T/small.json" <<'PY'
import json, os, sys
corpus, report = sys.argv[1:3]
by_path = {os.path.relpath(f["path"], corpus): f for f in json.load(open(report))["files"]}
problems = []
for line in open(os.path.join(corpus, "expected.tsv"), encoding="utf-8"):
    if line.startswith("#"):
        continue
    path, expect, w, h, ch, stb = (line.rstrip("\n").split("\t") + [""] * 6)[:6]
    f = by_path.get(path)
    if f is None:
        problems.append("no record for " + path)
    elif f["status"] == "crashed":
        problems.append("worker crashed on %s: %s" % (path, f["error"]))
    elif expect == "ok" and stb == "ok" and f["status"] != "ok":
        problems.append("valid file failed at 3x3: %s: %s" % (path, f["error"]))
if problems:
    print("\n".join(problems[:40]))
    sys.exit(1)
PY
[ $? -eq 0 ] || fail "reduced-scale corpus results wrong"
