#!/bin/sh
# Metadata of the other formats, as exiftool, tiffinfo and Pillow read it
# back. A TIFF's EXIF (exiftool writes it: Orientation 6 in its own directory,
# camera, EXIF and GPS directories) follows the JPEG rules: the orientation
# turns the pixels, the output keeps the EXIF with orientation 1, --strip
# removes it, --no-autorotate keeps both as they are. TIFF outputs carry EXIF
# (from a JPEG, and from a TIFF). A WebP's EXIF chunk turns its pixels too,
# and a WebP output keeps the EXIF. A HEIC and an AVIF whose EXIF says 6 but
# which have no irot box come out as stored, with orientation 1 in the output
# even under --no-autorotate: HEIF makes irot/imir authoritative and the EXIF
# orientation informational, so honouring it would turn the picture that
# HEIF viewers (and libheif, and browsers) show upright.
. "$ROOT/tests/integration/lib.sh"
for tool in exiftool tiffinfo cwebp webpmux heif-enc avifenc; do
  command -v $tool >/dev/null || skip "$tool not installed (sh tools/deps.sh test)"
done
need_pillow
in=$T/in
mkdir -p "$in"
"$py" - "$in" "$ROOT/samples/photo.jpg" <<'PY' || fail "cannot make the sources"
import os, sys
from PIL import Image
d, photo = sys.argv[1:3]
im = Image.open(photo).convert("RGB").resize((96, 64))    # not square: turns show
im.save(os.path.join(d, "src.png"))
im.save(os.path.join(d, "photo.jpg"), quality=92)
im.save(os.path.join(d, "photo.tif"), compression="tiff_adobe_deflate")
im.resize((32, 24)).save(os.path.join(d, "thumb.jpg"))
PY
exiftool -q -overwrite_original -Orientation#=6 -Make=TestCam \
  '-DateTimeOriginal=2024:05:06 07:08:09' -GPSLatitude=48.1 -GPSLatitudeRef=N \
  -GPSLongitude=11.5 -GPSLongitudeRef=E "$in/photo.jpg" "$in/photo.tif" ||
  fail "exiftool cannot write the inputs"
exiftool -q -overwrite_original "-ThumbnailImage<=$in/thumb.jpg" "$in/photo.jpg" ||
  fail "exiftool cannot add a thumbnail"
[ "$(exif_tag IFD0:Orientation "$in/photo.tif")" = 6 ] || fail "the TIFF has no Orientation 6"
rm "$in/photo.tif.tags"
# WebP: lossless pixels, the JPEG's EXIF block as its EXIF chunk
cwebp -quiet -lossless "$in/src.png" -o "$T/plain.webp" || fail "cwebp failed"
exiftool -b -EXIF "$in/photo.jpg" >"$T/exif.bin" && [ -s "$T/exif.bin" ] || fail "no EXIF block"
webpmux -set exif "$T/exif.bin" "$T/plain.webp" -o "$in/photo.webp" >/dev/null 2>&1 ||
  fail "webpmux failed"
# the same with JPEG's APP1 header "Exif\0\0" left in front of the EXIF, as
# Pillow's WebP writer stored it
{ printf 'Exif\000\000'; cat "$T/exif.bin"; } >"$T/exif-app1.bin"
webpmux -set exif "$T/exif-app1.bin" "$T/plain.webp" -o "$in/app1.webp" >/dev/null 2>&1 ||
  fail "webpmux failed (app1)"
# HEIC and AVIF from a JPEG whose EXIF says 1 (so the encoders add no irot),
# then the EXIF orientation in the file set to 6
cp "$in/photo.jpg" "$T/one.jpg"
exiftool -q -overwrite_original -Orientation#=1 "$T/one.jpg"
heif-enc -q 60 "$T/one.jpg" -o "$in/exif6.heic" >/dev/null || fail "heif-enc failed"
avifenc -s 8 "$T/one.jpg" "$in/exif6.avif" >/dev/null || fail "avifenc failed"
"$py" - "$in/exif6.heic" "$in/exif6.avif" <<'PY' || fail "cannot set the HEIF EXIF orientation"
import sys
for path in sys.argv[1:]:
    d = open(path, "rb").read()
    one = b"\x01\x12\x00\x03\x00\x00\x00\x01\x00\x01\x00\x00"    # big-endian, as exiftool wrote it
    assert d.count(one) == 1 and b"irot" not in d and b"imir" not in d, path
    open(path, "wb").write(d.replace(one, one[:9] + b"\x06" + one[10:]))
PY
for f in exif6.heic exif6.avif; do
  [ "$(exif_tag Orientation "$in/$f")" = 6 ] || fail "$f: EXIF orientation is not 6"
  rm "$in/$f.tags"
done

expect_exit 0 "$IMGPOOL" -q --format png -o "$T/png" "$in"
expect_exit 0 "$IMGPOOL" -q --format png --no-autorotate -o "$T/norot" "$in"
expect_exit 0 "$IMGPOOL" -q --format png --strip -o "$T/strip" "$in/photo.tif" "$in/photo.webp"
expect_exit 0 "$IMGPOOL" -q --format tiff -o "$T/tif" "$in/photo.jpg" "$in/photo.tif"
expect_exit 0 "$IMGPOOL" -q --format tiff --strip -o "$T/tifstrip" "$in/photo.jpg"
expect_exit 0 "$IMGPOOL" -q --format tiff --no-autorotate -o "$T/tifnorot" "$in/photo.jpg"
expect_exit 0 "$IMGPOOL" -q --format webp -o "$T/webp" "$in/photo.webp" "$in/photo.jpg" \
  "$in/app1.webp"

# ---- pixels: turned by the TIFF tag and the WebP EXIF, not the HEIF EXIF ----
"$py" - "$T" <<'PY' || fail "orientation applied wrongly"
import os, sys
from PIL import Image
t = sys.argv[1]
src = Image.open(os.path.join(t, "in/src.png")).convert("RGB")
turned = src.transpose(Image.Transpose.ROTATE_270)        # EXIF 6: 90 degrees clockwise
def got(*p): return Image.open(os.path.join(t, *p)).convert("RGB")
for name in ("photo.tif.png", "photo.webp.png", "app1.png"):
    assert got("png", name).tobytes() == turned.tobytes(), name + ": not turned by its orientation"
    assert got("norot", name).tobytes() == src.tobytes(), name + ": --no-autorotate turned it"
for name in ("photo.tif.png", "photo.webp.png"):
    assert got("strip", name).size == (64, 96), name + ": --strip must still turn it"
# as stored (Pillow's convert would apply a TIFF's Orientation tag)
assert Image.open(os.path.join(t, "tif", "photo.jpg.tiff")).size == (64, 96)
assert Image.open(os.path.join(t, "tifnorot", "photo.tiff")).size == (96, 64)
for name in ("exif6.heic.png", "exif6.avif.png"):
    for d in ("png", "norot"):
        assert got(d, name).size == (96, 64), d + "/" + name + ": turned by its EXIF orientation"
PY

# ---- metadata ----------------------------------------------------------------
kept() {   # FILE ORIENTATION: the camera, EXIF and GPS tags are there, no thumbnail
  [ "$(exif_tag Orientation "$1")" = "$2" ] || fail "$1: orientation '$(exif_tag Orientation "$1")', want $2"
  [ "$(exif_tag Make "$1")" = TestCam ] || fail "$1: camera tag lost"
  [ "$(exif_tag DateTimeOriginal "$1")" = "2024:05:06 07:08:09" ] || fail "$1: EXIF directory lost"
  [ -n "$(exif_tag GPSLatitude "$1")" ] || fail "$1: GPS lost"
  [ -z "$(exif_tag ThumbnailLength "$1")$(exif_tag ThumbnailOffset "$1")" ] || fail "$1: thumbnail kept"
}
kept "$T/png/photo.tif.png" 1
kept "$T/png/photo.webp.png" 1
kept "$T/norot/photo.tif.png" 6
kept "$T/tif/photo.jpg.tiff" 1
kept "$T/tif/photo.tiff" 1
kept "$T/tifnorot/photo.tiff" 6
kept "$T/webp/photo.webp" 1
kept "$T/png/app1.png" 1
kept "$T/webp/app1.webp" 1
kept "$T/webp/photo.jpg.webp" 1
for f in "$T/png/exif6.heic.png" "$T/png/exif6.avif.png" "$T/norot/exif6.heic.png" \
         "$T/norot/exif6.avif.png"; do
  [ "$(exif_tag Orientation "$f")" = 1 ] || fail "$f: EXIF orientation $(exif_tag Orientation "$f"), want 1"
  [ "$(exif_tag Make "$f")" = TestCam ] || fail "$f: EXIF lost"
done
for f in "$T/strip/photo.tif.png" "$T/strip/photo.webp.png" "$T/tifstrip/photo.tiff"; do
  [ -z "$(exif_tag Make "$f")$(exif_tag GPSLatitude "$f")$(exif_tag DateTimeOriginal "$f")" ] ||
    fail "--strip: EXIF left in $f"
done

# A TIFF output is a TIFF libtiff reads whole (its EXIF and GPS directories
# too) and Pillow reads the EXIF of
for f in "$T/tif/photo.jpg.tiff" "$T/tif/photo.tiff"; do
  tiffinfo "$f" >"$T/tiffinfo" 2>"$T/tiffinfo.err" || fail "tiffinfo cannot read $f"
  [ ! -s "$T/tiffinfo.err" ] || { cat "$T/tiffinfo.err"; fail "tiffinfo complains about $f"; }
  grep -q "GPS directory" "$T/tiffinfo" && grep -q "DateTimeOriginal: 2024:05:06 07:08:09" \
    "$T/tiffinfo" || { cat "$T/tiffinfo"; fail "$f: libtiff finds no EXIF/GPS directory"; }
done
"$py" - "$T/tif/photo.jpg.tiff" <<'PY' || fail "Pillow reads the TIFF output's EXIF wrongly"
import sys
from PIL import Image
im = Image.open(sys.argv[1])
im.load()
ex = im.getexif()
assert ex.get(0x010f) == "TestCam" and ex.get(0x0112) == 1, dict(ex)
assert ex.get_ifd(0x8769).get(0x9003) == "2024:05:06 07:08:09", ex.get_ifd(0x8769)
assert ex.get_ifd(0x8825).get(1) == "N", ex.get_ifd(0x8825)
PY
echo "TIFF, WebP, HEIC and AVIF metadata checked (exiftool, tiffinfo, Pillow)"
