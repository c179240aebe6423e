#!/bin/sh
# JPEG output through libjpeg-turbo, checked by independent decoders: every
# sample written as JPEG (resized 50%) decodes in Pillow and in djpeg at the
# requested size; the quantisation tables equal those Pillow writes for the
# same image at the same quality; grayscale output has one component;
# --sampling, --progressive and --optimize show in the files; bad values fail.
. "$ROOT/tests/integration/lib.sh"
need_pillow
for q in 20 85 95; do
  expect_exit 0 "$IMGPOOL" -q --procs 2 --resize 50% --format jpg --quality $q -o "$T/q$q" "$ROOT/samples"
done
expect_exit 0 "$IMGPOOL" -q --procs 2 --gray --format jpg -o "$T/gray" "$ROOT/samples"
expect_exit 0 "$IMGPOOL" -q --format jpg --sampling 444 --progressive -o "$T/s444" "$ROOT/samples/photo.jpg"
expect_exit 0 "$IMGPOOL" -q --format jpg --sampling 4:2:2 --optimize -o "$T/s422" "$ROOT/samples/photo.jpg"
expect_exit 0 "$IMGPOOL" -q --format jpg --sampling 422 -o "$T/s422plain" "$ROOT/samples/photo.jpg"
expect_exit 0 "$IMGPOOL" -q --format jpg -o "$T/plain" "$ROOT/samples/photo.jpg"
expect_exit 2 "$IMGPOOL" --sampling 411 -o "$T/bad" "$ROOT/samples"
expect_err "invalid --sampling '411'"
if command -v djpeg >/dev/null; then
  for f in "$T"/q85/*.jpg; do
    djpeg -outfile "$T/d.ppm" "$f" || fail "djpeg cannot decode $f"
  done
fi
"$py" - "$T" "$ROOT/samples" <<'PY' || fail "Pillow disagrees"
import io, os, sys
from PIL import Image, JpegImagePlugin
t, samples = sys.argv[1], sys.argv[2]
names = sorted(os.listdir(os.path.join(t, "q85")))
assert len(names) >= 10, names
for n in names:
    stem = os.path.splitext(n)[0]
    src = [s for s in os.listdir(samples) if os.path.splitext(s)[0] == stem][0]
    with Image.open(os.path.join(samples, src)) as s:
        from PIL import ImageOps
        s = ImageOps.exif_transpose(s)
        want = (max(1, round(s.width / 2)), max(1, round(s.height / 2)))
        mode = "L" if s.mode in ("L", "LA", "I;16") else "RGB"
        ref = s.convert(mode)
    for q in (20, 85, 95):
        im = Image.open(os.path.join(t, "q%d" % q, n))
        im.load()
        assert im.format == "JPEG" and im.mode == mode, (n, im.mode, mode)
        assert abs(im.width - want[0]) <= 1 and abs(im.height - want[1]) <= 1, (n, im.size, want)
        buf = io.BytesIO()
        ref.save(buf, "JPEG", quality=q)
        pil = Image.open(buf)
        assert im.quantization == pil.quantization, (n, q)
        if mode == "RGB":
            assert JpegImagePlugin.get_sampling(im) == JpegImagePlugin.get_sampling(pil) == 2, n
    g = Image.open(os.path.join(t, "gray", n))
    assert g.mode == "L" and g.layers == 1, (n, g.mode)
p444 = Image.open(os.path.join(t, "s444", "photo.jpg"))
assert JpegImagePlugin.get_sampling(p444) == 0 and p444.info.get("progressive"), "444/progressive"
p422 = Image.open(os.path.join(t, "s422", "photo.jpg"))
assert JpegImagePlugin.get_sampling(p422) == 1, "422"
opt, plain = (os.path.getsize(os.path.join(t, d, "photo.jpg")) for d in ("s422", "s422plain"))
assert opt < plain, ("--optimize", opt, plain)
assert not Image.open(os.path.join(t, "plain", "photo.jpg")).info.get("progressive")
print("%d images, 3 qualities: Pillow's tables and sizes; gray one component" % len(names))
PY
