#!/bin/sh
# Images that are valid but hard, and the true reason when they fail (issue 12
# items 8, 9 and 11).
. "$ROOT/tests/integration/lib.sh"
in="$T/in"; mkdir -p "$in"

# Item 9: JPEG headers are read by libjpeg: arithmetic coding decodes.
if command -v cjpeg >/dev/null; then
  $MKIMG ppm 40 24 "$T/src.ppm"
  cjpeg -arithmetic "$T/src.ppm" > "$in/ari.jpg" || fail "cjpeg -arithmetic"
  expect_exit 0 "$IMGPOOL" -q -o "$T/o9" --report "$T/r9.json" "$in/ari.jpg"
  python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))["files"][0]; assert (f["width"],f["height"])==(40,24), f' \
    "$T/r9.json" || fail "arithmetic JPEG size wrong"
else
  echo "no cjpeg (libjpeg-turbo-progs): arithmetic JPEG not tested"
fi
c="$SHARED/corpus/jpeg"
if [ -f "$c/libjpeg-turbo/monkey12.jpg" ]; then
  expect_exit 1 "$IMGPOOL" -o "$T/o9c" "$c/libjpeg-turbo/monkey12.jpg" \
    "$c/jpegsuite/lossless_huffman/32x32x8_grayscale.jpg" "$c/jpegsuite/baseline/32x32x8_dnl.jpg"
  expect_err "monkey12.jpg': JPEG: Unsupported JPEG data precision 12"
  expect_err "32x32x8_grayscale.jpg': JPEG: "
  expect_err "32x32x8_dnl.jpg': JPEG: "
  if grep "32x32x8_grayscale.jpg\|32x32x8_dnl.jpg" "$T/err" | grep -q "corrupt or unsupported header"; then
    fail "libjpeg's reason replaced: $(cat "$T/err")"
  fi
else
  echo "no shared corpus: 12-bit, lossless and DNL JPEG reasons not tested"
fi

# Item 11: a valid 30000x30000 PNG says it is too large and which limit.
$MKIMG bigheader 30000 30000 "$in/big.png"
for mp in 0 1000000000; do
  expect_exit 1 "$IMGPOOL" --max-pixels $mp -o "$T/o11" "$in/big.png"
  expect_err "image too large: 30000x30000 .*limit"
done
expect_exit 1 "$IMGPOOL" -o "$T/o11" "$in/big.png"
expect_err "image too large: 30000x30000 exceeds --max-pixels 100000000"

# Item 8: out of memory says so, with what it needed and the limit.
if ! is_asan; then   # ASan reserves terabytes of address space: no ceiling there
  $MKIMG flat 8000 8000 "$in/wide.png"
  expect_exit 1 "$IMGPOOL" --max-memory 128M -o "$T/o8" "$in/wide.png"
  expect_err "out of memory: 8000x8000 RGB needs about [0-9]* MiB, --max-memory is 128M"
fi
expect_exit 2 "$IMGPOOL" --max-memory 1 -o "$T/o8" "$in"
expect_err "max-memory"
expect_exit 2 "$IMGPOOL" --max-memory 4M -o "$T/o8" "$in"
exit 0
