#!/bin/sh
# Every kind of bad input gets a message naming the file and the reason, the
# right exit code, and leaves every other file alone.
. "$ROOT/tests/integration/lib.sh"
in="$T/in"; mkdir -p "$in"
$MKIMG png 40 30 "$in/good.png"
: > "$in/zero.png"
$MKIMG truncate "$in/good.png" 60 "$in/truncated.png"
jpg="$SHARED/corpus/jpeg/libjpeg-turbo/testorig.jpg"
if [ -f "$jpg" ]; then $MKIMG truncate "$jpg" 700 "$in/truncated.jpg"; fi
echo "just some text" > "$in/text.png"
$MKIMG bigheader 100000 100000 "$in/huge.png"
echo "notes" > "$in/notes.txt"

# 1. A mixed folder: good files done, each bad one named with its reason.
expect_exit 1 "$IMGPOOL" -j 2 -o "$T/o1" "$in"
expect_err "cannot decode '$in/zero.png': not an image"
expect_err "cannot decode '$in/truncated.png': "
expect_err "cannot decode '$in/text.png': not an image"
expect_err "cannot decode '$in/huge.png': .*too large.*100000x100000"
expect_err "skipped '$in/notes.txt': not an image"
[ ! -f "$jpg" ] || expect_err "cannot decode '$in/truncated.jpg': "
[ -s "$T/o1/good.png" ] || fail "good file not processed"
[ "$(ls "$T/o1" | wc -l)" -eq 1 ] || fail "outputs for bad files: $(ls "$T/o1")"
[ -z "$(ls -A "$T/o1" | grep '^\.')" ] || fail "temp files left in output"

# 2. Usage errors: exit 2, nothing written.
expect_exit 2 "$IMGPOOL" -o "$T/o2" "$T/does-not-exist"
expect_err "cannot open '$T/does-not-exist': No such file"
expect_exit 2 "$IMGPOOL" --bogus "$in"
expect_err "unknown option '--bogus'"
expect_exit 2 "$IMGPOOL" --resize 12x-3 "$in"
expect_err "invalid geometry '12x-3'"
expect_exit 2 "$IMGPOOL" --procs 0 "$in"
expect_exit 2 "$IMGPOOL" --format gif "$in"
expect_exit 2 "$IMGPOOL"
expect_exit 0 "$IMGPOOL" --help
grep -q "Exit status" "$T/out" || fail "--help lacks exit codes"

# 3. A folder without images: a clear note, exit 0.
mkdir "$T/empty"
expect_exit 0 "$IMGPOOL" -o "$T/o3" "$T/empty"
expect_err "nothing to do"

# 4. Output folder that cannot be written: one message, exit 1.
touch "$T/afile"
expect_exit 1 "$IMGPOOL" -o "$T/afile/sub" "$in/good.png"
expect_err "cannot create output folder '$T/afile/sub'"

# 5. Two inputs, one output name: neither overwrites the other.
mkdir "$T/clash"
$MKIMG png 10 10 "$T/clash/photo.png"
$MKIMG png 20 10 "$T/clash/photo.bmp.src" && mv "$T/clash/photo.bmp.src" "$T/clash/photo.ppm"
expect_exit 0 "$IMGPOOL" --format png -o "$T/o5" "$T/clash"
[ -s "$T/o5/photo.png" ] && [ -s "$T/o5/photo.ppm.png" ] || fail "clash not resolved: $(ls "$T/o5")"
# ...but a file that is no image leaves the name to the one that is: a
# phone's live photo (IMG_0001.PNG with its .MOV video and .AAE edit list)
mkdir "$T/live"
$MKIMG png 10 10 "$T/live/IMG_0001.PNG"
printf '\000\000\000\024ftypqt  \000\000\002\000qt  ' >"$T/live/IMG_0001.MOV"
printf '<?xml version="1.0"?><plist/>\n' >"$T/live/IMG_0001.AAE"
expect_exit 0 "$IMGPOOL" --format jpg -o "$T/o5live" "$T/live"
[ "$(ls "$T/o5live")" = "IMG_0001.jpg" ] || fail "live photo named: $(ls "$T/o5live")"
expect_err "skipped '$T/live/IMG_0001.MOV': not an image"
# ...and so does a camera raw built on TIFF, told by its first directory:
# Sony's DSC0001.ARW (a reduced preview with the raw data in a sub-image,
# big-endian here) and a DNG, each beside its JPEG, both written as cameras
# do, the directory first; a TIFF whose first image is merely marked
# reduced is still an image, and its clash with its JPEG is the usual one
mkdir "$T/raw"
for n in 1 2 3; do cp "$ROOT/samples/photo.jpg" "$T/raw/DSC000$n.JPG"; done
python3 - "$T/raw" <<'PY' || fail "cannot make the raws"
import struct, sys
def tiff(path, be, subfile, extra):
    o = '>' if be else '<'
    tags = [(254, 4, 1, subfile), (256, 3, 1, 8), (257, 3, 1, 8), (258, 3, 1, 8),
            (259, 3, 1, 1), (262, 3, 1, 1), (273, 4, 1, 0), (277, 3, 1, 1),
            (278, 3, 1, 8), (279, 4, 1, 64)] + extra
    tags.sort()
    ifd_len = 2 + 12 * len(tags) + 4
    data_at = 8 + ifd_len
    sub_at = data_at + 64
    out = bytearray((b'MM' if be else b'II') + struct.pack(o + 'HI', 42, 8))
    out += struct.pack(o + 'H', len(tags))
    for tag, typ, count, value in tags:
        value = {273: data_at, 330: sub_at}.get(tag, value)
        if typ == 3:
            out += struct.pack(o + 'HHIHH', tag, typ, count, value, 0)
        elif typ == 1:
            out += struct.pack(o + 'HHI', tag, typ, count) + bytes(value)
        else:
            out += struct.pack(o + 'HHII', tag, typ, count, value)
    out += struct.pack(o + 'I', 0) + bytes(range(64))
    if any(t[0] == 330 for t in tags):   # the "raw" sub-image: the same 8x8
        sub = [t for t in tags if t[0] not in (254, 330)]
        out += struct.pack(o + 'H', len(sub))
        for tag, typ, count, value in sub:
            value = data_at if tag == 273 else value
            out += (struct.pack(o + 'HHIHH', tag, typ, count, value, 0) if typ == 3
                    else struct.pack(o + 'HHII', tag, typ, count, value))
        out += struct.pack(o + 'I', 0)
    open(path, 'wb').write(out)
d = sys.argv[1]
tiff(d + '/DSC0001.ARW', True, 1, [(330, 4, 1, 0)])
tiff(d + '/DSC0002.DNG', False, 0, [(50706, 1, 4, [1, 4, 0, 0])])
tiff(d + '/DSC0003.TIF', False, 1, [])
PY
expect_exit 1 "$IMGPOOL" --format png -o "$T/o5raw" "$T/raw"
[ "$(ls "$T/o5raw" | tr '\n' ' ')" = "DSC0001.png DSC0002.png DSC0003.JPG.png DSC0003.TIF.png " ] ||
  fail "raws named: $(ls "$T/o5raw")"
expect_err "cannot decode '$T/raw/DSC0001.ARW': unsupported format: camera raw (a reduced preview"
expect_err "cannot decode '$T/raw/DSC0002.DNG': unsupported format: camera raw (DNG)"
! grep -q "DSC0003" "$T/err" || fail "DSC0003.TIF did not decode: $(cat "$T/err")"

# 6. Never the input: an input folder as the output folder is a usage error;
# a file given inside the output folder fails on its own.
mkdir "$T/self" && cp "$in/good.png" "$T/self/x.png"
before=$(cksum < "$T/self/x.png")
expect_exit 2 "$IMGPOOL" --force -o "$T/self" "$T/self"
expect_err "the output folder is this folder"
expect_exit 1 "$IMGPOOL" --force -o "$T/self" "$T/self/x.png"
expect_err "output would overwrite the input"
[ "$(cksum < "$T/self/x.png")" = "$before" ] || fail "input overwritten"

# 7. Unreadable file: needs a non-root user (root reads everything).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
  as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
  mkdir "$T/perm" && cp "$in/good.png" "$T/perm/a.png" && cp "$in/good.png" "$T/perm/b.png"
  chmod 000 "$T/perm/b.png"; chmod 755 "$T" "$T/perm"; chmod 644 "$T/perm/a.png"
  mkdir "$T/o7" && chmod 777 "$T/o7"
  expect_exit 1 $as_user "$IMGPOOL" -o "$T/o7" "$T/perm"
  expect_err "cannot read '$T/perm/b.png': Permission denied"
  [ -s "$T/o7/a.png" ] || fail "readable file not processed"
elif [ "$(id -u)" -ne 0 ]; then
  mkdir "$T/perm" && cp "$in/good.png" "$T/perm/b.png" && chmod 000 "$T/perm/b.png"
  expect_exit 1 "$IMGPOOL" -o "$T/o7" "$T/perm"
  expect_err "cannot read '$T/perm/b.png': Permission denied"
fi
exit 0
