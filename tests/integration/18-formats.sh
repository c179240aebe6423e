#!/bin/sh
# WebP, TIFF, HEIC and AVIF. Files made here by Debian's own encoders (cwebp,
# img2webp, avifenc, heif-enc, tiffcp, raw2tiff, Pillow) come out with the
# size and the pixels of the reference decoders (dwebp, avifdec, heif-convert,
# Pillow); truncated, bit-flipped and size-lying copies fail one by one with
# a message naming the file, never a crash; images in formats imgpool does not
# read fail by name and appear in --report; --format webp|avif|tiff write
# files the reference decoders read back. An animated AVIF (avifenc, three
# frames) gives its first frame with a typed note; 10- and 12-bit HEICs
# (heif-enc -b from a 16-bit PNG, x265's deep profiles) come out rounded, not
# truncated, exactly as heif-convert's samples round. A HEIC's embedded
# thumbnail is decoded for a target it covers (heif-thumbnailer's reference).
. "$ROOT/tests/integration/lib.sh"
for tool in cwebp dwebp img2webp avifenc avifdec heif-enc heif-convert heif-thumbnailer tiffcp raw2tiff; do
  command -v $tool >/dev/null || skip "$tool not installed (sh tools/deps.sh test)"
done
need_pillow
src="$T/src"; in="$T/in"; ref="$T/ref"; bad="$T/bad"
mkdir -p "$src" "$in" "$ref" "$bad"

# ---- sources (Pillow), then the test files (the encoders) ------------------
$py - "$src" <<'PY' || fail "cannot make the sources"
import sys
from PIL import Image
d = sys.argv[1]
w, h = 96, 64
rgb = Image.new("RGB", (w, h))
rgb.putdata([(x * 255 // (w - 1), y * 255 // (h - 1), (x * y) % 256) for y in range(h) for x in range(w)])
rgb.save(d + "/rgb.png")
rgba = rgb.copy()
rgba.putalpha(Image.linear_gradient("L").resize((w, h)))
rgba.save(d + "/rgba.png")
rgb.convert("L").save(d + "/gray.png")
smooth = Image.new("RGB", (w, h))
smooth.putdata([(x * 255 // (w - 1), y * 255 // (h - 1), (x + y) * 255 // (w + h - 2)) for y in range(h) for x in range(w)])
smooth.save(d + "/smooth.png")
smooth.putalpha(Image.linear_gradient("L").resize((w, h)))
smooth.save(d + "/smootha.png")
rgb.save(d + "/plain.tif")
rgb.save(d + "/deflate.tif", compression="tiff_adobe_deflate")
rgba.save(d + "/rgba.tif", compression="tiff_lzw")
rgb.convert("L").save(d + "/gray.tif")
rgb.convert("P").save(d + "/palette.tif")
rgb.convert("CMYK").save(d + "/cmyk.tif")
# 16-bit samples whose rounding and truncation to 8 bits differ, raw for raw2tiff
vals = [(x * 997 + y * 6151 + k * 200) % 65536 for y in range(h) for x in range(w) for k in range(3)]
open(d + "/rgb16.raw", "wb").write(b"".join(v.to_bytes(2, "little") for v in vals))
open(d + "/gray16.raw", "wb").write(b"".join(v.to_bytes(2, "little") for v in vals[::3]))
# the same samples as a 16-bit PNG (Pillow 9 writes no 16-bit RGB), for heif-enc -b
import struct, zlib
def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
rows = b"".join(b"\0" + b"".join(v.to_bytes(2, "big") for v in vals[y * w * 3:(y + 1) * w * 3])
                for y in range(h))
open(d + "/rgb16.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                                   + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
PY
s=$src
cwebp -quiet -q 80 "$s/rgb.png" -o "$in/lossy.webp"
cwebp -quiet -lossless "$s/rgba.png" -o "$in/lossless.webp"
cwebp -quiet -q 90 "$s/rgba.png" -o "$in/alpha.webp"
img2webp -quiet -lossless "$s/rgb.png" "$s/rgba.png" -o "$in/animated.webp" 2>/dev/null ||
  img2webp -lossless "$s/rgb.png" "$s/rgba.png" -o "$in/animated.webp" >/dev/null 2>&1
for t in plain deflate rgba gray palette cmyk; do cp "$s/$t.tif" "$in/$t.tif"; done
tiffcp -t -w 32 -l 32 "$s/plain.tif" "$in/tiled.tif"
tiffcp -c jpeg -r 16 "$s/plain.tif" "$in/jpeg.tif"
tiffcp "$s/plain.tif" "$s/gray.tif" "$in/multipage.tif"
raw2tiff -w 96 -l 64 -d short -b 3 -p rgb -c lzw "$s/rgb16.raw" "$in/rgb16.tif"
raw2tiff -w 96 -l 64 -d short -b 1 -p minisblack "$s/gray16.raw" "$in/gray16.tif"
avifenc -s 8 --min 10 --max 10 "$s/rgb.png" "$in/rgb8.avif" >/dev/null
avifenc -s 8 --min 10 --max 10 -d 10 "$s/rgb.png" "$in/rgb10.avif" >/dev/null
avifenc -s 8 --min 10 --max 10 -d 12 "$s/rgba.png" "$in/rgba12.avif" >/dev/null
heif-enc -q 80 "$s/rgb.png" -o "$in/rgb.heic" >/dev/null
heif-enc -A -q 80 "$s/rgba.png" -o "$in/heifenc.avif" >/dev/null
avifenc -s 8 --min 10 --max 10 --irot 1 "$s/rgb.png" "$in/irot.avif" >/dev/null
avifenc -s 8 --min 10 --max 10 --imir 1 "$s/rgb.png" "$in/imir.avif" >/dev/null
avifenc -s 8 --min 10 --max 10 "$s/rgb.png" "$s/smooth.png" "$s/rgb.png" -o "$in/anim.avif" >/dev/null
heif-enc -b 10 -q 90 "$s/rgb16.png" -o "$in/deep10.heic" >/dev/null
heif-enc -b 12 -q 90 "$s/rgb16.png" -o "$in/deep12.heic" >/dev/null
for f in "$in"/*; do [ -s "$f" ] || fail "encoder did not make $f"; done

# ---- references ------------------------------------------------------------
for f in lossy lossless alpha; do dwebp -quiet "$in/$f.webp" -o "$ref/$f.webp.png"; done
avifdec -c aom -d 8 "$in/rgb8.avif" "$ref/rgb8.avif.png" >/dev/null
avifdec -c aom -d 16 "$in/rgb10.avif" "$ref/rgb10.avif.png" >/dev/null
avifdec -c aom -d 16 "$in/rgba12.avif" "$ref/rgba12.avif.png" >/dev/null
heif-convert "$in/rgb.heic" "$ref/rgb.heic.png" >/dev/null
for f in deep10 deep12; do heif-convert "$in/$f.heic" "$ref/$f.heic.png" >/dev/null; done
avifdec -c aom --index 0 "$in/anim.avif" "$ref/anim.avif.png" >/dev/null
# avifdec neither turns nor mirrors: the test does, with Pillow
for f in heifenc irot imir; do avifdec -c aom -d 8 "$in/$f.avif" "$ref/$f.avif.png" >/dev/null; done

# ---- 1. every file decodes like its reference ------------------------------
expect_exit 0 "$IMGPOOL" -j 2 --format png -o "$T/o1" "$in"
expect_err "note '$in/animated.webp': animated WebP, first frame only"
expect_err "note '$in/multipage.tif': multi-page TIFF, first page only"
expect_err "note '$in/anim.avif': animated AVIF, first frame only"
expect_exit 0 "$IMGPOOL" -q --format png --report "$T/anim.json" -o "$T/o1b" "$in/anim.avif"
grep -q '"reason":"note-animated"' "$T/anim.json" || fail "--report: the animated AVIF is not note-animated"
$py - "$in" "$ref" "$src" "$T/o1" <<'PY' || fail "pixels differ from the reference decoders"
import os, sys
from PIL import Image
inp, ref, src, out = sys.argv[1:5]

def rounded16(path, mode, bits=16):
    # avifdec's 16-bit PNG (Pillow 9 reads it as 8-bit), rounded to 8 bits
    # as imgpool must: read by hand (non-interlaced, filters undone). With
    # bits < 16: heif-convert's, whose samples are the decoder's shifted up,
    # rounded from the decoder's own bits
    import struct, zlib
    d = open(path, "rb").read()
    pos, idat = 8, b""
    while pos < len(d):
        n, kind = struct.unpack(">I4s", d[pos:pos + 8])
        body = d[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    assert depth == 16, depth
    ch = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    bpp, stride = 2 * ch, 2 * ch * w
    raw, rows, prev = zlib.decompress(idat), [], bytearray(stride)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pred = [0, a, b, (a + b) // 2,
                    a if abs(p - a) <= abs(p - b) and abs(p - a) <= abs(p - c) else b if abs(p - b) <= abs(p - c) else c][f]
            line[i] = (line[i] + pred) & 255
        rows.append(line)
        prev = line
    px, top = [], (1 << bits) - 1
    for line in rows:
        v = [(line[i] << 8 | line[i + 1]) >> (16 - bits) for i in range(0, stride, 2)]
        px += [tuple((x * 255 + top // 2) // top for x in v[i:i + ch]) for i in range(0, len(v), ch)]
    o = Image.new(mode, (w, h))
    o.putdata(px)
    return o

def raw16(name, n):
    b = open(os.path.join(src, name), "rb").read()
    v = [int.from_bytes(b[i:i + 2], "little") for i in range(0, len(b), 2)]
    return [tuple((x + 128) // 257 for x in v[i:i + n]) for i in range(0, len(v), n)]

def check(name, refimg, tol_mean, tol_max):
    got = Image.open(os.path.join(out, name))
    refimg = refimg.convert(got.mode)
    assert got.size == refimg.size, (name, got.size, refimg.size)
    a, b = got.tobytes(), refimg.tobytes()
    diffs = [abs(x - y) for x, y in zip(a, b)]
    mean, worst = sum(diffs) / len(diffs), max(diffs)
    assert mean <= tol_mean and worst <= tol_max, (name, got.mode, mean, worst)
    return got.mode

R = lambda n: Image.open(os.path.join(ref, n))
I = lambda n: Image.open(os.path.join(inp, n))
modes = {}
modes["lossy"] = check("lossy.png", R("lossy.webp.png"), 0, 0)
modes["lossless"] = check("lossless.png", Image.open(os.path.join(src, "rgba.png")), 0, 0)
modes["alpha"] = check("alpha.png", R("alpha.webp.png"), 0, 0)
modes["animated"] = check("animated.png", Image.open(os.path.join(src, "rgb.png")).convert("RGBA"), 0, 0)
for t in ("plain", "deflate", "rgba", "gray", "palette", "cmyk", "tiled", "multipage"):
    modes[t] = check(t + ".png", I(t + ".tif"), 0, 0)
check("jpeg.png", I("jpeg.tif"), 1.0, 12)
g = Image.new("L", (96, 64)); g.putdata([p[0] for p in raw16("gray16.raw", 1)])
check("gray16.png", g, 0, 0)
c = Image.new("RGB", (96, 64)); c.putdata(raw16("rgb16.raw", 3))
check("rgb16.png", c, 0, 0)
check("rgb8.png", R("rgb8.avif.png"), 0, 0)
check("rgb10.png", rounded16(os.path.join(ref, "rgb10.avif.png"), "RGB"), 0.6, 4)
check("rgba12.png", rounded16(os.path.join(ref, "rgba12.avif.png"), "RGBA"), 0.6, 4)
check("rgb.png", R("rgb.heic.png"), 0.6, 4)
for bits in (10, 12):
    hevc = open(os.path.join(inp, "deep%d.heic" % bits), "rb").read()
    at = hevc.find(b"hvcC") + 4          # the HEVC decoder configuration record
    assert (hevc[at + 17] & 7) + 8 == bits, "heif-enc did not write %d bits" % bits
    # libheif hands imgpool and heif-convert the same samples: rounding exact
    check("deep%d.png" % bits, rounded16(os.path.join(ref, "deep%d.heic.png" % bits), "RGB", bits), 0, 0)
check("anim.png", R("anim.avif.png"), 0, 0)
check("heifenc.png", R("heifenc.avif.png"), 0, 0)
check("irot.png", R("irot.avif.png").transpose(Image.ROTATE_90), 0, 0)     # anticlockwise
check("imir.png", R("imir.avif.png").transpose(Image.FLIP_LEFT_RIGHT), 0, 0)
assert modes["lossy"] == "RGB" and modes["alpha"] == "RGBA" and modes["gray"] == "L", modes
print("every format decodes like its reference")
PY

# ---- 2. broken copies: each fails alone, with a message, no crash ----------
$py - "$in" "$bad" <<'PY' || fail "cannot make the broken copies"
import os, sys
inp, bad = sys.argv[1:3]
def put(name, data): open(os.path.join(bad, name), "wb").write(bytes(data))
for n in ("lossy.webp", "lossless.webp", "alpha.webp", "animated.webp", "plain.tif",
          "tiled.tif", "rgb16.tif", "rgb8.avif", "rgb10.avif", "rgb.heic"):
    d = bytearray(open(os.path.join(inp, n), "rb").read())
    stem, ext = n.rsplit(".", 1)
    put(stem + "-trunc." + ext, d[: len(d) * 3 // 5])
    f = bytearray(d)
    for i in range(len(d) // 2, min(len(d), len(d) // 2 + 24)):
        f[i] ^= 0xA5
    put(stem + "-flip." + ext, f)
    lie = bytearray(d)
    if ext == "webp" and lie[12:16] == b"VP8X":          # canvas size, 24-bit each
        lie[24:30] = b"\xff\xff\x3f\xff\xff\x3f"
    elif ext == "webp" and lie[12:16] == b"VP8L":        # 14-bit sizes after 0x2f
        lie[21:24] = b"\xff\xff\xff"; lie[24] |= 0x0f
    elif ext == "webp":                                  # VP8 key frame sizes
        lie[26:30] = b"\xff\x3f\xff\x3f"
    elif ext == "tif":                                   # ImageWidth, ImageLength
        off = int.from_bytes(lie[4:8], "little")
        for k in range(int.from_bytes(lie[off:off + 2], "little")):
            e = off + 2 + 12 * k
            tag, typ = int.from_bytes(lie[e:e + 2], "little"), int.from_bytes(lie[e + 2:e + 4], "little")
            if tag in (256, 257):
                lie[e + 8:e + 12] = (65535 if typ == 3 else 200000).to_bytes(4, "little")
    else:                                                # ispe: 60000 x 60000
        i = lie.find(b"ispe")
        lie[i + 8:i + 16] = (60000).to_bytes(4, "big") * 2
    put(stem + "-lie." + ext, lie)
    if ext == "avif":       # damage inside the AV1 data, where dav1d would print
        tail = bytearray(d)
        for i in range(len(d) - 60, len(d) - 20):
            tail[i] ^= 0x55
        put(stem + "-tail." + ext, tail)
PY
expect_exit 1 "$IMGPOOL" -j 2 --report "$T/bad.json" -o "$T/o2" "$bad"
for f in "$bad"/*-trunc.* "$bad"/*-lie.*; do
  expect_err "cannot decode '$f': "
done
grep -q "too large: 16383x16383\|too large: 16384x16384" "$T/err" || fail "a lying WebP size was not refused by size"
grep -q "too large: 65535x65535" "$T/err" || fail "a lying TIFF size was not refused by size"
grep -q "too large: 60000x60000" "$T/err" || fail "a lying HEIF size was not refused by size"
$py - "$T/bad.json" <<'PY' || fail "report: a broken file crashed its worker or failed silently"
import json, sys
files = json.load(open(sys.argv[1]))["files"]
assert len(files) == 32, len(files)
for f in files:
    assert f["status"] in ("ok", "failed"), f
    assert f["status"] == "ok" or f["error"], f
    if "-trunc." in f["path"] or "-lie." in f["path"]:
        assert f["status"] == "failed", f
PY
# nothing printed by a library: only imgpool's own lines
if grep -v "^imgpool: \|^  " "$T/err" | grep -q .; then
  grep -v "^imgpool: \|^  " "$T/err"; fail "a library printed to stderr"
fi

# ---- 3. recognised images imgpool does not read: failures by name ---------
mkdir "$T/other"
printf '\377\012\372\037\0\0\0\0' > "$T/other/photo.jxl"
printf '\0\0\0\014jP  \r\n\207\n\0\0\0\024ftypjp2 ' > "$T/other/scan.jp2"
printf 'v/1\001\002\0\0\0channels' > "$T/other/render.exr"
printf 'II*\0\020\0\0\0CR\002\0' > "$T/other/IMG_0001.CR2"
echo "shopping list" > "$T/other/notes.txt"
expect_exit 1 "$IMGPOOL" --report "$T/other.json" -o "$T/o3" "$T/other"
expect_err "cannot decode '$T/other/photo.jxl': unsupported format: JPEG XL"
expect_err "cannot decode '$T/other/scan.jp2': unsupported format: JPEG 2000"
expect_err "cannot decode '$T/other/render.exr': unsupported format: OpenEXR"
expect_err "cannot decode '$T/other/IMG_0001.CR2': unsupported format: camera raw"
expect_err "skipped '$T/other/notes.txt': not an image"
grep -q '"status":"failed","error":"cannot decode: unsupported format: JPEG XL"' "$T/other.json" ||
  fail "--report lacks the JPEG XL failure"

# ---- 4. writing WebP, AVIF and TIFF ----------------------------------------
expect_exit 0 "$IMGPOOL" -q --format webp -o "$T/w80" "$s/rgb.png" "$s/smooth.png" "$s/smootha.png"
expect_exit 0 "$IMGPOOL" -q --format webp --quality 30 -o "$T/w30" "$s/rgb.png"
expect_exit 0 "$IMGPOOL" -q --format webp --lossless -o "$T/wll" "$s/rgb.png" "$s/rgba.png"
for f in rgb rgba; do
  dwebp -quiet "$T/wll/$f.webp" -o "$T/wll/$f.png"
  $py -c 'import sys; from PIL import Image; a, b = (Image.open(p) for p in sys.argv[1:]);
assert a.tobytes() == b.convert(a.mode).tobytes()' "$s/$f.png" "$T/wll/$f.png" || fail "--lossless is not exact: $f"
done
expect_exit 0 "$IMGPOOL" -q --format avif -o "$T/a" "$s/smooth.png" "$s/smootha.png"
expect_exit 0 "$IMGPOOL" -q --format avif --quality 20 -o "$T/a20" "$s/smooth.png"
expect_exit 0 "$IMGPOOL" -q --format tiff -o "$T/t" "$s/rgb.png" "$s/rgba.png" "$s/gray.png"
for f in smooth smootha; do dwebp -quiet "$T/w80/$f.webp" -o "$T/w80/$f.ref.png"; done
cwebp -quiet -q 80 "$s/rgb.png" -o "$T/cwebp80.webp"
heif-convert "$T/a/smooth.avif" "$T/a/smooth.ref.png" >/dev/null
avifdec -c aom "$T/a/smootha.avif" "$T/a/smootha.ref.png" >/dev/null
$py - "$T" "$s" <<'PY' || fail "written files do not read back"
import os, sys
from PIL import Image
t, s = sys.argv[1:3]
def mean_diff(a, b):
    a, b = a.tobytes(), b.convert(a.mode).tobytes()
    return sum(abs(x - y) for x, y in zip(a, b)) / len(a)
for n, mode in (("smooth", "RGB"), ("smootha", "RGBA")):
    src = Image.open(os.path.join(s, n + ".png")).convert(mode)
    w = Image.open(os.path.join(t, "w80", n + ".ref.png")).convert(mode)
    assert w.size == src.size and mean_diff(w, src) < 2, (n, mean_diff(w, src))
for n in ("rgb", "rgba", "gray"):
    tif = Image.open(os.path.join(t, "t", n + ".tiff"))
    assert tif.tobytes() == Image.open(os.path.join(s, n + ".png")).tobytes(), n
# quality means what cwebp means: q80 within 3% of cwebp -q 80, q30 smaller
ours, theirs = os.path.getsize(os.path.join(t, "w80/rgb.webp")), os.path.getsize(os.path.join(t, "cwebp80.webp"))
assert abs(ours - theirs) <= 0.03 * theirs, (ours, theirs)
assert os.path.getsize(os.path.join(t, "w30/rgb.webp")) < ours
for n, mode in (("smooth", "RGB"), ("smootha", "RGBA")):
    a = Image.open(os.path.join(t, "a", n + ".ref.png")).convert(mode)
    src = Image.open(os.path.join(s, n + ".png")).convert(mode)
    assert a.size == src.size and mean_diff(a, src) < 2, (n, mean_diff(a, src))
assert os.path.getsize(os.path.join(t, "a20/smooth.avif")) < os.path.getsize(os.path.join(t, "a/smooth.avif"))
print("WebP, AVIF and TIFF outputs read back")
PY
# ---- 5b. a HEIC's embedded thumbnail serves a thumbnail target ---------------
# heif-enc -t 64 stores a 64x48 thumbnail (libheif samples it nearest-
# neighbour) beside a 256x192 checkerboard of 2-pixel squares. Fit in 64x64
# must come from the thumbnail: heif-thumbnailer's picture of it, to the
# level, and far from what imgpool makes of the image itself (grey, resized
# in linear light). Fit in 96x96 is beyond the thumbnail and comes from the
# image: as imgpool resizes the reference decoder's image. So does fit in
# 64x64 with --no-embedded-thumbnail.
$py - "$src/checker.png" <<'PY' || fail "cannot make the checkerboard"
import sys
from PIL import Image
im = Image.new("L", (256, 192))
im.putdata([255 * ((x // 2 + y // 2) % 2) for y in range(192) for x in range(256)])
im.convert("RGB").save(sys.argv[1])
PY
heif-enc -q 90 -t 64 "$src/checker.png" -o "$T/thumbed.heic" >/dev/null || fail "heif-enc -t"
heif-thumbnailer -s 64 "$T/thumbed.heic" "$ref/thumb.png" || fail "heif-thumbnailer"
heif-convert "$T/thumbed.heic" "$ref/thumbed.png" >/dev/null || fail "heif-convert"
expect_exit 0 "$IMGPOOL" -q --resize 64x64 --format png -o "$T/th64" "$T/thumbed.heic"
expect_exit 0 "$IMGPOOL" -q --resize 96x96 --format png -o "$T/th96" "$T/thumbed.heic"
expect_exit 0 "$IMGPOOL" -q --resize 96x96 --format png -o "$T/ref96" "$ref/thumbed.png"
expect_exit 0 "$IMGPOOL" -q --resize 64x64 --format png -o "$T/ref64" "$ref/thumbed.png"
expect_exit 0 "$IMGPOOL" -q --resize 64x64 --no-embedded-thumbnail --format png -o "$T/whole64" \
  "$T/thumbed.heic"
$py - "$T" "$ref" <<'PY' || fail "the thumbnail was not used, or used wrongly"
import os, sys
from PIL import Image
t, ref = sys.argv[1:3]
def mean_diff(a, b):
    a, b = a.convert("RGB").tobytes(), b.convert("RGB").tobytes()
    return sum(abs(x - y) for x, y in zip(a, b)) / len(a)
def png(*p): return Image.open(os.path.join(*p))
small, thumb, primary = png(t, "th64", "thumbed.png"), png(ref, "thumb.png"), png(t, "ref64", "thumbed.png")
assert small.size == thumb.size == (64, 48), (small.size, thumb.size)
print("fit 64: %.2f levels from the thumbnail, %.1f from the image resized" %
      (mean_diff(small, thumb), mean_diff(small, primary)))
assert mean_diff(small, thumb) < 0.5 and mean_diff(small, primary) > 20
big = png(t, "th96", "thumbed.png")
assert big.size == (96, 72), big.size
assert mean_diff(big, png(t, "ref96", "thumbed.png")) < 1, "96: not from the image"
assert mean_diff(png(t, "whole64", "thumbed.png"), primary) < 1, "--no-embedded-thumbnail"
PY

# ---- 5. --version names the libraries -------------------------------------
expect_exit 0 "$IMGPOOL" --version
for lib in libwebp libtiff libheif; do grep -q "^  $lib [0-9]" "$T/out" || fail "--version lacks $lib"; done
exit 0
