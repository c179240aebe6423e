#!/bin/sh
# Colour management against lcms2 as Pillow's ImageCms drives it: images
# carrying colord's SwappedRedAndGreen.icc, Adobe RGB (1998) and
# Ghostscript's CMYK profile (a CMYK JPEG and a CMYK TIFF, also planar, tiled
# and 16-bit) come out as sRGB (within 1-2 levels of the
# reference transform, where ignoring the profile is off by tens of levels);
# --keep-profile keeps pixels and profile bytes; a corrupt profile leaves the
# file converted without colour management, with a note, and so does a CMYK
# profile on an RGBA PNG.
. "$ROOT/tests/integration/lib.sh"
need_pillow ImageCms
ICC=/usr/share/color/icc
[ -f $ICC/colord/SwappedRedAndGreen.icc ] || skip "colord-data not installed (tools/deps.sh test)"

# The inputs: a colour gradient and the photo sample, with profiles embedded
# (the pixels as stored are the same; the profile says what they mean).
"$py" - "$T" "$ROOT/samples/photo.jpg" "$ICC" <<'PY' || fail "cannot make the inputs"
import os, sys
from PIL import Image
t, photo, icc = sys.argv[1], sys.argv[2], sys.argv[3]
os.mkdir(os.path.join(t, "in"))
def p(*a): return os.path.join(t, "in", *a)
swap = open(os.path.join(icc, "colord/SwappedRedAndGreen.icc"), "rb").read()
adobe = open(os.path.join(icc, "colord/AdobeRGB1998.icc"), "rb").read()
g = Image.new("RGB", (256, 192))
g.putdata([(x, y, (x + 2 * y) // 3) for y in range(192) for x in range(256)])
g.save(p("src.png"))
g.save(p("swap.png"), icc_profile=swap)
g.save(p("swap.jpg"), quality=95, icc_profile=swap)
g.save(p("swap.tiff"), icc_profile=swap)            # the formats module's decoders
from PIL import features
if features.check("webp"):
    g.save(p("swap.webp"), lossless=True, icc_profile=swap)
ga = g.convert("RGBA"); ga.putalpha(Image.linear_gradient("L").resize((256, 192)))
ga.save(p("swap-alpha.png"), icc_profile=swap)
Image.open(photo).convert("RGB").save(p("adobe.jpg"), quality=92, icc_profile=adobe)
bad = bytearray(swap); bad[140:] = b"\xff" * (len(bad) - 140)
g.save(p("badprofile.png"), icc_profile=bytes(bad))
g.save(p("badprofile.jpg"), quality=95, icc_profile=bytes(bad))
cmyk = os.path.join(icc, "ghostscript/default_cmyk.icc")
if os.path.exists(cmyk):
    from PIL import ImageCms
    srgb = ImageCms.createProfile("sRGB")
    c = ImageCms.profileToProfile(Image.open(photo).convert("RGB"), srgb,
                                  ImageCms.getOpenProfile(cmyk), outputMode="CMYK")
    c.save(p("cmyk.jpg"), quality=95, icc_profile=open(cmyk, "rb").read())
    c.save(p("cmyk-tiff.tif"), icc_profile=open(cmyk, "rb").read())
PY
# The CMYK TIFF in the layouts libtiff's RGBA interface refuses (16-bit) or
# converts only by formula (planar): tiffcp and ImageMagick rewrite its samples.
if [ -f "$T/in/cmyk-tiff.tif" ]; then
    tiffcp -p separate "$T/in/cmyk-tiff.tif" "$T/in/cmyk-planar.tif" &&
        tiffcp -p separate -t -w 64 -l 64 "$T/in/cmyk-tiff.tif" "$T/in/cmyk-planar-tiles.tif" &&
        /usr/bin/convert "$T/in/cmyk-tiff.tif" -depth 16 "$T/in/cmyk-16.tif" ||
        fail "cannot make the CMYK TIFF layouts"
fi

expect_exit 0 "$IMGPOOL" -q --procs 2 --format png -o "$T/conv" "$T/in"
expect_exit 0 "$IMGPOOL" -q --procs 2 --format png --keep-profile -o "$T/keep" "$T/in"
expect_exit 0 "$IMGPOOL" -q --procs 1 --format png --gray -o "$T/gray" "$T/in/swap.png"
# JPEG to JPEG: converted through RGB, or kept in YCbCr with the profile
expect_exit 0 "$IMGPOOL" -q --procs 1 -o "$T/jpg" "$T/in/swap.jpg" "$T/in/adobe.jpg"
expect_exit 0 "$IMGPOOL" -q --procs 1 --keep-profile -o "$T/jpgkeep" "$T/in/swap.jpg" "$T/in/adobe.jpg"
expect_exit 0 "$IMGPOOL" --procs 1 --format png -o "$T/bad" "$T/in/badprofile.png" "$T/in/badprofile.jpg"
expect_err "badprofile.png': ICC profile not applied"
expect_err "badprofile.jpg': ICC profile not applied"

"$py" - "$T" "$ICC" <<'PY' || fail "colours differ from lcms2's transform"
import os, sys
from PIL import Image, ImageChops, ImageCms, ImageStat
t, icc = sys.argv[1], sys.argv[2]
def p(*a): return os.path.join(t, *a)
srgb = ImageCms.createProfile("sRGB")
def mean_diff(a, b):
    assert a.size == b.size and a.mode == b.mode, (a.size, b.size, a.mode, b.mode)
    return sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / len(a.getbands())
def reference(path, mode="RGB"):
    im = Image.open(path)
    prof = ImageCms.ImageCmsProfile(__import__("io").BytesIO(im.info["icc_profile"]))
    return ImageCms.profileToProfile(im, prof, srgb, renderingIntent=0, outputMode=mode)
def check(name, got, want, tol):
    d = mean_diff(got, want)
    print("%-22s mean difference %.2f levels (tolerance %s)" % (name, d, tol))
    assert d <= tol, name

src = Image.open(p("in/src.png")).convert("RGB")
out = Image.open(p("conv/swap.png"))
assert "icc_profile" not in out.info, "converted output still carries a profile"
# red and green swapped back: what a colour-managed viewer shows for the input
r, g, b = src.split()
check("swap.png vs swapped", out.convert("RGB"), Image.merge("RGB", (g, r, b)), 1.0)
check("swap.png vs lcms2", out.convert("RGB"), reference(p("in/swap.png")), 0.5)
unmanaged = mean_diff(src, reference(p("in/swap.png")))
assert unmanaged > 20, "the profile should matter: %.1f" % unmanaged
check("swap.jpg vs lcms2", Image.open(p("conv/swap.jpg.png")).convert("RGB"),
      reference(p("in/swap.jpg")), 1.0)
for name in ("swap.tiff", "swap.webp"):
    if os.path.exists(p("in", name)):
        check(name + " vs swapped", Image.open(p("conv", name + ".png")).convert("RGB"),
              Image.merge("RGB", (g, r, b)), 1.0)
check("adobe.jpg vs lcms2", Image.open(p("conv/adobe.png")).convert("RGB"),
      reference(p("in/adobe.jpg")), 1.5)
# alpha untouched, colours converted
a = Image.open(p("conv/swap-alpha.png"))
assert a.mode == "RGBA"
assert a.getchannel("A").tobytes() == Image.open(p("in/swap-alpha.png")).getchannel("A").tobytes()
check("swap-alpha.png vs lcms2", a.convert("RGB"), reference(p("in/swap-alpha.png")).convert("RGB"), 1.0)
# gray after colour management: luma of the converted colours
check("--gray vs lcms2 + luma", Image.open(p("gray/swap.png")), reference(p("in/swap.png")).convert("L"), 1.0)
if os.path.exists(p("in/cmyk.jpg")):
    check("cmyk.jpg vs lcms2", Image.open(p("conv/cmyk.png")).convert("RGB"),
          reference(p("in/cmyk.jpg")), 2.0)
    # --keep-profile: the plain CMYK formula (the profile matters), and no
    # CMYK profile on RGB pixels
    k = Image.open(p("keep/cmyk.png"))
    assert "icc_profile" not in k.info
    assert mean_diff(k.convert("RGB"), reference(p("in/cmyk.jpg"))) > 5
    # a CMYK TIFF: its samples through the profile, as the JPEG's
    check("cmyk-tiff.tif vs lcms2", Image.open(p("conv/cmyk-tiff.png")).convert("RGB"),
          reference(p("in/cmyk-tiff.tif")), 1.0)
    k = Image.open(p("keep/cmyk-tiff.png"))
    assert "icc_profile" not in k.info
    assert mean_diff(k.convert("RGB"), reference(p("in/cmyk-tiff.tif"))) > 5
    # planar, tiled and 16-bit CMYK: the same samples, so the same result
    for stem in ("cmyk-planar", "cmyk-planar-tiles", "cmyk-16"):
        for run in ("conv", "keep"):
            check(run + " " + stem + ".tif", Image.open(p(run, stem + ".png")),
                  Image.open(p(run, "cmyk-tiff.png")), 0.0)
else:
    print("cmyk.jpg, cmyk-tiff.tif: no CMYK profile (libgs10-common), not tested")

# --keep-profile: pixels as stored, the profile's bytes embedded
for name, stem in (("swap.png", "swap.png"), ("swap-alpha.png", "swap-alpha.png"),
                   ("swap.jpg", "swap.jpg.png"), ("adobe.jpg", "adobe.png")):
    k, i = Image.open(p("keep", stem)), Image.open(p("in", name))
    assert k.info.get("icc_profile") == i.info["icc_profile"], name + ": profile bytes differ"
    check("keep " + name, k.convert(i.mode), i, 0.0 if name.endswith(".png") else 1.0)
# JPEG outputs: the same, through libjpeg's encoder (q90: a level or two more)
for name in ("swap.jpg", "adobe.jpg"):
    j = Image.open(p("jpg", name))
    assert "icc_profile" not in j.info, name + ": converted JPEG still carries a profile"
    check("jpg " + name, j.convert("RGB"), reference(p("in", name)), 2.5)
    k, i = Image.open(p("jpgkeep", name)), Image.open(p("in", name))
    assert k.info.get("icc_profile") == i.info["icc_profile"], name + ": JPEG lost the profile"
    check("jpg keep " + name, k.convert("RGB"), i.convert("RGB"), 2.5)
# a corrupt profile: decoded as if it had none
check("badprofile.png", Image.open(p("bad/badprofile.png")).convert("RGB"), src, 0.0)
PY

# Colour given as nclx code points instead of a profile (AVIF, HEIF): avifenc
# labels the same pixels Display P3 (12/13/6), BT.2020 (9/13/6) and sRGB
# (1/13/6), losslessly in RGB. imgpool's PNGs must be avifdec's pixels taken
# from those primaries to sRGB by the published matrices (linear light, same
# white); sRGB's unchanged; with --keep-profile, the pixels as decoded. An
# HDR file (BT.2020 with PQ) is converted as it is, with a note naming why.
mkdir -p "$T/cicp"
for c in 12 9 1; do
  avifenc -l -s 8 --cicp "$c/13/0" "$T/in/src.png" "$T/cicp/c$c.avif" >/dev/null ||
    fail "avifenc --cicp $c/13/0"
  avifdec "$T/cicp/c$c.avif" "$T/cicp/c$c-raw.png" >/dev/null || fail "avifdec c$c"
done
expect_exit 0 "$IMGPOOL" -q --format png -o "$T/cicp/out" "$T/cicp"/c*.avif
expect_exit 0 "$IMGPOOL" -q --format png --keep-profile -o "$T/cicp/keep" "$T/cicp"/c*.avif
avifenc -s 8 --cicp 9/16/9 "$T/in/src.png" "$T/cicp/pq.avif" >/dev/null || fail "avifenc PQ"
expect_exit 0 "$IMGPOOL" --format png -o "$T/cicp/hdr" "$T/cicp/pq.avif"
grep -q "note '.*pq.avif': colour primaries 9 with transfer 16 (HDR) are left as decoded" "$T/err" ||
  { cat "$T/err"; fail "no note for an HDR file"; }
[ -f "$T/cicp/hdr/pq.png" ] || fail "the HDR file was not converted"
"$py" - "$T/cicp" <<'PY' || fail "nclx colour not converted as the standards say"
import os, sys
from PIL import Image
d = sys.argv[1]
to_srgb = {12: ((1.2249401, -0.2249404, 0), (-0.0420569, 1.0420571, 0),
                (-0.0196376, -0.0786361, 1.0982735)),
           9: ((1.6604910, -0.5876411, -0.0728499), (-0.1245505, 1.1328999, -0.0083494),
               (-0.0181508, -0.1005789, 1.1187297)),
           1: ((1, 0, 0), (0, 1, 0), (0, 0, 1))}
lin = [v / 255 / 12.92 if v <= 10 else ((v / 255 + 0.055) / 1.055) ** 2.4 for v in range(256)]
def enc(v):
    v = min(max(v, 0.0), 1.0)
    return 255 * (v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055)
for c, m in to_srgb.items():
    raw = Image.open(os.path.join(d, "c%d-raw.png" % c)).convert("RGB")
    got = Image.open(os.path.join(d, "out", "c%d.png" % c)).convert("RGB")
    kept = Image.open(os.path.join(d, "keep", "c%d.png" % c)).convert("RGB")
    diffs = []
    for p, q in zip(raw.getdata(), got.getdata()):
        l = [lin[v] for v in p]
        diffs += [abs(q[o] - enc(sum(m[o][j] * l[j] for j in range(3)))) for o in range(3)]
    mean, worst = sum(diffs) / len(diffs), max(diffs)
    print("cicp %d/13: mean %.2f, max %.1f levels from the reference" % (c, mean, worst))
    assert mean < 0.5 and worst <= 2.5, c
    assert kept.tobytes() == raw.tobytes(), "%d: --keep-profile changed the pixels" % c
    assert (got.tobytes() == raw.tobytes()) == (c == 1), "%d: converted or not, wrongly" % c
PY

# A 16-bit TIFF and PNG in a wide-gamut space (ProPhoto RGB, as photo editors
# export them): converted from their 16 bits, a smooth gradient stays smooth.
# Rounded to 8 bits first, the steps between its rows were up to 3 levels (4
# for the PNG, whose 8 bits stb_image cut rather than rounded). The same PNG
# as a 10-bit HEIC (heif-enc, q 100, 4:4:4) and a 10- and 12-bit AVIF
# (avifenc, lossless), the profile carried over: converted from all their
# bits, not rounded to 8 first (steps of 3 and 4 levels, 0.57 to 0.60 from
# ImageMagick's on average, where from all their bits it is 0.41 to 0.44).
# With --keep-profile they stay in ProPhoto, with the profile.
mkdir "$T/deep"
/usr/bin/convert -size 64x256 gradient:'#202060-#e0c040' -depth 16 -profile $ICC/colord/sRGB.icc \
    -profile $ICC/colord/ProPhotoRGB.icc "$T/deep/prophoto16.tif" &&
    /usr/bin/convert "$T/deep/prophoto16.tif" -profile $ICC/colord/sRGB.icc -depth 8 "$T/deep/ref.png" &&
    /usr/bin/convert "$T/deep/prophoto16.tif" "$T/deep/prophoto16.png" ||
    fail "cannot make the 16-bit ProPhoto TIFF"
heif-enc -b 10 -q 100 -p chroma=444 "$T/deep/prophoto16.png" -o "$T/deep/heic10.heic" \
    >/dev/null && avifenc -l -d 10 "$T/deep/prophoto16.png" "$T/deep/avif10.avif" >/dev/null &&
    avifenc -l -d 12 "$T/deep/prophoto16.png" "$T/deep/avif12.avif" >/dev/null ||
    fail "cannot make the deep ProPhoto HEIC and AVIF"
# and a 16-bit PNG without a profile: rounded to 8 bits, not cut (200 is 1, not 0)
"$py" -c 'import sys; from PIL import Image; Image.new("I;16", (4, 4), 200).save(sys.argv[1])' \
    "$T/deep/gray16.png" || fail "cannot make the 16-bit gray PNG"
mkdir "$T/deep/in" &&
    mv "$T/deep"/prophoto* "$T/deep"/*.heic "$T/deep"/*.avif "$T/deep/gray16.png" "$T/deep/in" ||
    fail "cannot move the deep inputs"
expect_exit 0 "$IMGPOOL" -q --format png -o "$T/deep/out" "$T/deep/in"
expect_exit 0 "$IMGPOOL" -q --format png --keep-profile -o "$T/deep/keep" "$T/deep/in"/*.heic \
    "$T/deep/in"/*.avif
"$py" - "$T/deep" <<'PY' || fail "deep TIFF, PNG, HEIC or AVIF not converted from all its bits"
import os, sys
from PIL import Image, ImageChops, ImageStat
d = sys.argv[1]
ref = Image.open(os.path.join(d, "ref.png")).convert("RGB")
for name, bits in (("heic10.heic", 10), ("avif10.avif", 10), ("avif12.avif", 12)):
    data = open(os.path.join(d, "in", name), "rb").read()
    assert b"colrprof" in data, name + ": the encoder dropped the profile"
    if name.endswith(".heic"):
        at = data.find(b"hvcC") + 4          # the HEVC decoder configuration record
        assert (data[at + 17] & 7) + 8 == bits, name + ": not %d bits" % bits
    else:
        flags = data[data.find(b"av1C") + 6]  # high_bitdepth, twelve_bit
        assert (8, 10, 12)[(flags >> 6 & 1) + (flags >> 5 & 1)] == bits, name
bad = []
for name in ("prophoto16.tif.png", "prophoto16.png", "heic10.png", "avif10.png", "avif12.png"):
    got = Image.open(os.path.join(d, "out", name)).convert("RGB")
    col = [got.getpixel((5, y)) for y in range(got.height)]
    step = max(abs(a - b) for p, q in zip(col, col[1:]) for a, b in zip(p, q))
    diff = ImageChops.difference(got, ref)
    worst = max(hi for lo, hi in diff.getextrema())
    mean = sum(ImageStat.Stat(diff).mean) / 3
    print("%s, a deep ProPhoto gradient: steps of at most %d levels, %.2f on average and at "
          "most %d from ImageMagick's" % (name, step, mean, worst))
    if not (step <= 2 and mean <= 0.5 and worst <= 2):
        bad.append(name)
assert not bad, bad
# kept in ProPhoto (a ProPhoto ramp read as sRGB is far from the converted one)
for name in os.listdir(os.path.join(d, "keep")):
    kept = Image.open(os.path.join(d, "keep", name))
    assert "icc_profile" in kept.info, name + ": --keep-profile lost the profile"
    far = sum(ImageStat.Stat(ImageChops.difference(kept.convert("RGB"), ref)).mean) / 3
    assert far > 5, (name, far)
gray = Image.open(os.path.join(d, "out", "gray16.png"))
assert gray.mode == "L" and set(gray.getdata()) == {1}, (gray.mode, set(gray.getdata()))
PY

# A CMYK profile on an RGBA PNG (8- and 16-bit; PNG allows only grey or RGB
# profiles): not applied, with a note, and the pixels and alpha as stored.
# Such an image used to be taken as CMYK: alpha lost, colours changed.
CMYK_ICC=$ICC/ghostscript/default_cmyk.icc
if [ -f "$CMYK_ICC" ]; then
    mkdir -p "$T/wrong/in"
    "$py" - "$T/wrong/in" "$CMYK_ICC" <<'PY' || fail "cannot make the RGBA PNGs"
import os, struct, sys, zlib
d, icc = sys.argv[1], open(sys.argv[2], "rb").read()
def chunk(t, b): return struct.pack(">I", len(b)) + t + b + struct.pack(">I", zlib.crc32(t + b))
for bits in (8, 16):
    rows = b""
    for y in range(16):
        px = [(x * 4, y * 16, (x * y * 37) % 256, 255 if x < 48 else 117) for x in range(64)]
        rows += b"\0" + b"".join(struct.pack(">4H", *(v * 257 for v in p)) if bits == 16
                                 else bytes(p) for p in px)
    open(os.path.join(d, "rgba%d.png" % bits), "wb").write(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 16, bits, 6, 0, 0, 0))
        + chunk(b"iCCP", b"cmyk\0\0" + zlib.compress(icc)) + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b""))
PY
    expect_exit 0 "$IMGPOOL" --procs 1 -o "$T/wrong/out" "$T/wrong/in"
    for b in 8 16; do
        grep -q "rgba$b.png': ICC profile not applied: a CMYK profile on RGBA pixels" \
            "$T/err" || { cat "$T/err"; fail "rgba$b.png: no note"; }
    done
    "$py" - "$T/wrong/out" <<'PY' || fail "a CMYK profile changed an RGBA PNG"
import os, sys
from PIL import Image
for bits in (8, 16):
    got = Image.open(os.path.join(sys.argv[1], "rgba%d.png" % bits))
    want = [(x * 4, y * 16, (x * y * 37) % 256, 255 if x < 48 else 117)
            for y in range(16) for x in range(64)]
    assert got.mode == "RGBA" and list(got.getdata()) == want, (bits, got.mode, got.getpixel((10, 5)))
print("a CMYK profile on RGBA PNGs (8- and 16-bit): not applied, pixels and alpha kept")
PY
fi
