#!/bin/sh
# Processing options feed each downloaded comic to the pool as soon as it is
# on disk: a processed output for every downloaded comic (none for the
# others), work overlapping the downloads (seen in the trace), a cheap rerun.
. "$ROOT/tests/integration/lib.sh"
. "$ROOT/tests/integration/xkcd-lib.sh"

start_server pipe --latency 100 --fault 103:truncated
run() {
  expect_exit 1 "$IMGPOOL" xkcd 100-109,404,961,1608 --base-url "$URL" --out "$T/dl" \
    --threads 2 --gray --resize 50% --procs 2 --trace "$T/trace.json"
}
run
expect_err "xkcd 103: image: truncated image"
expect_err "13 comics: 10 downloaded, 0 already there, 1 not found, 1 without image, 1 failed"
expect_err "processed 10: 10 ok, 0 skipped, 0 failed"
ls "$T/dl/processed" >"$T/processed.ls"
[ "$(wc -l <"$T/processed.ls")" -eq 10 ] || fail "expected 10 outputs: $(cat "$T/processed.ls")"
grep -q '^0103-' "$T/processed.ls" && fail "a failed download was processed"
grep -q '^0961-eternal_flame.png$' "$T/processed.ls" || fail "the GIF was not processed to PNG"
# every output is half the size of its original, and the PNGs are gray
python3 - "$T/dl" <<'EOF2' || fail "outputs are not half size, or a PNG is not gray"
import json, os, struct, sys
d = sys.argv[1]
def info(path):
    b = open(path, "rb").read()
    if b[:8] == b"\x89PNG\r\n\x1a\n":
        w, h, bd, ct = struct.unpack(">IIBB", b[16:26])
        return w, h, ct in (0, 4)
    if b[:6] in (b"GIF87a", b"GIF89a"):
        w, h = struct.unpack("<HH", b[6:10])
        return w, h, None
    i = 2
    while i < len(b):
        marker, length = b[i + 1], struct.unpack(">H", b[i + 2:i + 4])[0]
        if marker in (0xC0, 0xC1, 0xC2):
            h, w = struct.unpack(">HH", b[i + 5:i + 9])
            return w, h, None   # stb writes every JPEG as YCbCr: gray not visible here
        i += 2 + length
for name in sorted(os.listdir(os.path.join(d, "processed"))):
    side = json.load(open(os.path.join(d, name.rsplit(".", 1)[0] + ".json")))
    w0, h0, _ = info(os.path.join(d, side["file"]))
    w, h, gray = info(os.path.join(d, "processed", name))
    assert gray is not False, name
    assert abs(w - w0 / 2) <= 1 and abs(h - h0 / 2) <= 1, (name, w0, h0, w, h)
EOF2
# the trace: requests of both download threads, tasks of both workers, and
# processing under way before the last download ended
python3 - "$T/trace.json" <<'EOF2' || fail "trace does not show the pipeline"
import json, sys
ev = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "X"]
dl = [e for e in ev if e["cat"] == "download"]
pr = [e for e in ev if e["cat"] == "process"]
assert len(pr) == 10, len(pr)
assert len({e["tid"] for e in dl}) == 2 and len({e["tid"] for e in pr}) >= 1
assert min(e["ts"] for e in pr) < max(e["ts"] + e["dur"] for e in dl), "no overlap"
EOF2
no_temp_files "$T/dl"

# rerun: nothing downloaded again, outputs up to date
reset_stats "$URL"
run
expect_err "0 downloaded, 10 already there"
expect_err "processed 10: 0 ok, 10 skipped"
[ "$(server_stat "$URL" images)" -eq 1 ] || fail "rerun fetched images (only 103 again)"
exit 0
