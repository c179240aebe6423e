#!/bin/sh
# PNGs from the libdeflate encoder decode to exactly the pixels written, as
# Pillow (an independent decoder) sees them: every sample is written as PNG at
# the fastest, default and smallest levels and as TGA (stb_image_write,
# uncompressed path), and Pillow must read the same pixels from all of them.
. "$ROOT/tests/integration/lib.sh"
need_pillow
for level in 1 6 12; do
  expect_exit 0 "$IMGPOOL" -q --procs 2 --format png --png-level $level -o "$T/png$level" "$ROOT/samples"
done
expect_exit 0 "$IMGPOOL" -q --procs 2 --format tga -o "$T/tga" "$ROOT/samples"
expect_exit 2 "$IMGPOOL" --png-level 0 -o "$T/bad" "$ROOT/samples"
expect_err "invalid value for --png-level"
"$py" - "$T" <<'PY' || fail "Pillow sees different pixels"
import os, sys
from PIL import Image
t = sys.argv[1]
names = sorted(os.listdir(os.path.join(t, "tga")))
assert len(names) >= 10, names
for n in names:
    stem = os.path.splitext(n)[0]
    ref = Image.open(os.path.join(t, "tga", n))
    for level in (1, 6, 12):
        im = Image.open(os.path.join(t, "png%d" % level, stem + ".png"))
        assert im.mode == ref.mode and im.size == ref.size, (n, level, im.mode, ref.mode)
        assert im.tobytes() == ref.tobytes(), (n, level)
print("%d images, 3 levels: same pixels" % len(names))
PY
# An alpha channel that is 255 everywhere is dropped (as ImageMagick's PNG
# writer does); one pixel short of opaque keeps it. Same pixels either way.
mkdir -p "$T/alpha"
"$py" - "$T/alpha" <<'PY' || fail "cannot make the alpha inputs"
import os, sys
from PIL import Image
d = sys.argv[1]
rgb = Image.radial_gradient("L").resize((64, 48)).convert("RGB")
rgb.putalpha(255); rgb.save(os.path.join(d, "opaque.png"))
hole = rgb.copy(); hole.putpixel((63, 47), (1, 2, 3, 254)); hole.save(os.path.join(d, "hole.png"))
Image.linear_gradient("L").resize((40, 30)).convert("LA").save(os.path.join(d, "gray-opaque.png"))
PY
expect_exit 0 "$IMGPOOL" -q --procs 2 --format png -o "$T/alpha-out" "$T/alpha"
"$py" - "$T" <<'PY' || fail "an opaque alpha channel was kept, or a real one dropped"
import os, sys
from PIL import Image
t = sys.argv[1]
for name, mode in (("opaque.png", "RGB"), ("hole.png", "RGBA"), ("gray-opaque.png", "L")):
    a = Image.open(os.path.join(t, "alpha", name))
    b = Image.open(os.path.join(t, "alpha-out", name))
    assert b.mode == mode, (name, b.mode)
    assert b.tobytes() == a.convert(mode).tobytes(), name
print("opaque alpha dropped, real alpha kept")
PY
