#!/bin/sh
# JPEG to JPEG stays in YCbCr (raw planes) where it can and falls back to RGB
# where it cannot; either way the result must match the RGB path. Inputs are
# made by Debian's cjpeg (4:4:4, 4:2:2, 4:2:0, 4:1:1, 4:4:0, grayscale,
# progressive, odd sizes, 1x1) and ImageMagick (CMYK). Each is resized to
# JPEG (the planes path) and to PNG (always the RGB path); Pillow then checks
# that sizes agree, that the planes' JPEG is within 0.5 dB PSNR of the RGB
# path's (its PNG encoded by libjpeg through Pillow, same quality) against the
# input decoded at full size and resized, and that EXIF-rotated photos come
# out upright both ways.
. "$ROOT/tests/integration/lib.sh"
need_pillow
command -v cjpeg >/dev/null && command -v djpeg >/dev/null || skip "cjpeg/djpeg not installed (libjpeg-turbo-progs)"
# Debian's ImageMagick itself (tools/deps.sh installs it), not a wrapper of
# the same name earlier in PATH
magick=/usr/bin/convert
[ -x "$magick" ] || fail "$magick missing: make test-deps installs ImageMagick"
in=$T/in
mkdir -p "$in"
djpeg -ppm -outfile "$T/photo.ppm" "$ROOT/samples/photo.jpg" || fail "djpeg"
"$magick" "$T/photo.ppm" -crop 33x17+40+40 +repage "$T/odd.ppm" || fail "convert crop"
"$magick" -size 1x1 xc:'#c04020' "$T/one.ppm" || fail "convert 1x1"
for s in 1x1 2x1 2x2 4x1 1x2; do
  cjpeg -quality 95 -sample $s -outfile "$in/s$s.jpg" "$T/photo.ppm" || fail "cjpeg -sample $s"
  cjpeg -quality 95 -sample $s -outfile "$in/odd$s.jpg" "$T/odd.ppm" || fail "cjpeg odd $s"
done
cjpeg -quality 95 -grayscale -outfile "$in/gray.jpg" "$T/photo.ppm"
cjpeg -quality 95 -progressive -outfile "$in/progressive.jpg" "$T/photo.ppm"
cjpeg -quality 95 -outfile "$in/one.jpg" "$T/one.ppm"
"$magick" "$T/photo.ppm" -colorspace CMYK -quality 95 "$in/cmyk.jpg" || fail "convert CMYK"
cp "$ROOT/samples/exif-rotate6.jpg" "$in/rotated.jpg"
# full: every input decoded at full size, upright; ref*: that resized, the
# truth both paths aim at.
expect_exit 0 "$IMGPOOL" -q --procs 2 --format png -o "$T/full" "$in"
run() {   # NAME OPS...: the planes path (jpg), the RGB path (png), the reference
  d=$1; shift
  expect_exit 0 "$IMGPOOL" -q --procs 2 "$@" --quality 95 --format jpg -o "$T/jpg$d" "$in"
  expect_exit 0 "$IMGPOOL" -q --procs 2 "$@" --format png -o "$T/png$d" "$in"
  expect_exit 0 "$IMGPOOL" -q --procs 2 "$@" --format png -o "$T/ref$d" "$T/full"
}
run 50 --resize 50%
run 37x23 --resize '37x23!'
run 300x --resize 300x
run gray --resize 50% --gray
"$py" - "$T" <<'PY' || fail "the planes path and the RGB path disagree"
import io, math, os, sys
from PIL import Image
t = sys.argv[1]

def psnr(a, b):
    a, b = a.tobytes(), b.tobytes()
    se = sum((x - y) ** 2 for x, y in zip(a, b))
    return 99.0 if se == 0 else 10 * math.log10(255 * 255 * len(a) / se)

n = 0
for d in ("50", "37x23", "300x", "gray"):
    for name in sorted(os.listdir(os.path.join(t, "jpg" + d))):
        stem = os.path.splitext(name)[0]
        j = Image.open(os.path.join(t, "jpg" + d, name))
        p = Image.open(os.path.join(t, "png" + d, stem + ".png"))
        r = Image.open(os.path.join(t, "ref" + d, stem + ".png"))
        assert j.size == p.size == r.size, (d, name, j.size, p.size, r.size)
        mode = "L" if p.mode == "L" else "RGB"
        p, r = p.convert(mode), r.convert(mode)
        # The RGB path's JPEG: its pixels through libjpeg at the same quality
        # and sampling (Pillow's encoder: the same tables, 4:2:0).
        buf = io.BytesIO()
        p.save(buf, "JPEG", quality=95)
        rgb = Image.open(buf).convert(mode)
        q, ref = psnr(j.convert(mode), r), psnr(rgb, r)
        print("%-6s %-16s planes %.2f dB, RGB path %.2f dB" % (d, name, q, ref))
        # Above 45 dB both are indistinguishable from the reference; below,
        # the planes must be within 0.5 dB of the RGB path.
        assert q >= ref - 0.5 or q >= 45, (d, name, round(q, 2), round(ref, 2))
        n += 1
# Upright: exif-rotate6.jpg is stored landscape with orientation 6.
for d in ("jpg50", "png50"):
    f = [x for x in os.listdir(os.path.join(t, d)) if x.startswith("rotated")][0]
    w, h = Image.open(os.path.join(t, d, f)).size
    assert h > w, (d, w, h)
print("%d pairs agree" % n)
PY
