#!/bin/sh
# Metadata as exiftool reads it back from the outputs: by default EXIF is
# kept (camera, GPS) with orientation 1 once applied, no thumbnail and the
# output's pixel size, XMP is kept; --strip removes all of it (the profile
# stays only with --keep-profile); --no-autorotate keeps the orientation; a
# PNG output read again keeps it all; an unreadable EXIF block is left out
# with a note and the file still converts.
. "$ROOT/tests/integration/lib.sh"
command -v exiftool >/dev/null 2>&1 || skip "exiftool not installed (libimage-exiftool-perl)"
need_pillow
ICC=/usr/share/color/icc/colord/AdobeRGB1998.icc
[ -f $ICC ] || skip "colord-data not installed (tools/deps.sh test)"

mkdir -p "$T/in"
"$py" - "$T/in" "$ROOT/samples/photo.jpg" "$ICC" <<'PY' || fail "cannot make the inputs"
import os, sys
from PIL import Image
d, photo, icc = sys.argv[1:4]
im = Image.open(photo).convert("RGB")
im.resize((160, 120)).save(os.path.join(d, "thumb.jpg"))
im.save(os.path.join(d, "phone.jpg"), quality=90, icc_profile=open(icc, "rb").read())
im.save(os.path.join(d, "plain.jpg"), quality=90)
# an APP1 "Exif" segment of garbage right after SOI
raw = open(os.path.join(d, "phone.jpg"), "rb").read()
junk = b"Exif\0\0" + b"MM\0*\xff\xff\xff\xff" + b"\xee" * 40
seg = b"\xff\xe1" + (len(junk) + 2).to_bytes(2, "big") + junk
open(os.path.join(d, "badexif.jpg"), "wb").write(raw[:2] + seg + raw[2:])
PY
exiftool -q -overwrite_original -Orientation#=6 -Make=TestCam -ExifImageWidth=4000 \
  -ExifImageHeight=3000 -GPSLatitude=48.1 -GPSLatitudeRef=N -GPSLongitude=11.5 \
  -GPSLongitudeRef=E '-ThumbnailImage<='"$T/in/thumb.jpg" -XMP-dc:Title=hello \
  -XMP-tiff:Orientation#=6 "$T/in/phone.jpg" "$T/in/plain.jpg" || fail "exiftool cannot write the input"
rm "$T/in/thumb.jpg"
exiftool -s -s -s -ThumbnailLength "$T/in/phone.jpg" | grep -q . || fail "the input has no thumbnail"

expect_exit 0 "$IMGPOOL" -q --format png --resize 50% -o "$T/def" "$T/in/phone.jpg"
expect_exit 0 "$IMGPOOL" -q --format png --strip -o "$T/strip" "$T/in/phone.jpg"
expect_exit 0 "$IMGPOOL" -q --format png --strip --keep-profile -o "$T/strip-keep" "$T/in/phone.jpg"
expect_exit 0 "$IMGPOOL" -q --format png --no-autorotate -o "$T/norot" "$T/in/phone.jpg"
expect_exit 0 "$IMGPOOL" -q --format png --resize 50% -o "$T/again" "$T/def/phone.png"
# JPEG out: through RGB (phone.jpg: its profile is converted) and in YCbCr (plain.jpg)
expect_exit 0 "$IMGPOOL" -q --resize 50% -o "$T/jpg" "$T/in/phone.jpg" "$T/in/plain.jpg"
expect_exit 0 "$IMGPOOL" -q --strip -o "$T/jpgstrip" "$T/in/phone.jpg" "$T/in/plain.jpg"
expect_exit 0 "$IMGPOOL" --format png -o "$T/bad" "$T/in/badexif.jpg"
expect_err "badexif.jpg': EXIF left out"
[ -f "$T/bad/badexif.png" ] || fail "a bad EXIF block failed the file"

tag() { exif_tag "$@"; }
for f in "$T/def/phone.png" "$T/jpg/phone.jpg" "$T/jpg/plain.jpg"; do
  [ "$(tag Orientation "$f")" = 1 ] || fail "$f: orientation $(tag Orientation "$f"), want 1"
  [ "$(tag XMP-tiff:Orientation "$f")" = 1 ] || fail "$f: XMP orientation not reset"
  [ "$(tag Make "$f")" = TestCam ] || fail "$f: EXIF camera tag lost"
  [ -n "$(tag GPSLatitude "$f")" ] || fail "$f: GPS lost (kept unless --strip)"
  [ "$(tag XMP-dc:Title "$f")" = hello ] || fail "$f: XMP lost"
  [ -z "$(tag ThumbnailLength "$f")$(tag ThumbnailOffset "$f")" ] || fail "$f: thumbnail kept"
  size=$(tag Composite:ImageSize "$f" | tr ' ' x)
  [ "$(tag ExifImageWidth "$f")x$(tag ExifImageHeight "$f")" = "$size" ] ||
    fail "$f: EXIF pixel size $(tag ExifImageWidth "$f")x$(tag ExifImageHeight "$f"), image $size"
  [ -z "$(tag ICC_Profile:ProfileDescription "$f")" ] || fail "$f: profile kept after conversion"
done

for f in "$T/strip/phone.png" "$T/strip-keep/phone.png" "$T/jpgstrip/phone.jpg" \
         "$T/jpgstrip/plain.jpg"; do
  [ -z "$(tag GPSLatitude "$f")$(tag Make "$f")$(tag Orientation "$f")$(tag XMP-dc:Title "$f")" ] ||
    fail "--strip: metadata left in $f"
done
[ -z "$(tag ICC_Profile:ProfileDescription "$T/strip/phone.png")" ] || fail "--strip: profile kept"
case $(tag ICC_Profile:ProfileDescription "$T/strip-keep/phone.png") in
  *Adobe*) ;; *) fail "--strip --keep-profile: the profile is gone";;
esac
[ "$(tag Orientation "$T/norot/phone.png")" = 6 ] || fail "--no-autorotate: orientation not kept"

f=$T/again/phone.png      # PNG in, PNG out
[ "$(tag Make "$f")" = TestCam ] && [ -n "$(tag GPSLatitude "$f")" ] &&
  [ "$(tag XMP-dc:Title "$f")" = hello ] || fail "PNG to PNG: metadata lost"
echo "PNG and JPEG out: default, --strip, --keep-profile, --no-autorotate, PNG to PNG checked"
