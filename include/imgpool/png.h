/* png.h — PNG encoding (per-row filter choice, then libdeflate or zlib's
 * run-length deflate, whichever suits the image; photographs: RLE) and a
 * libdeflate fast path for decoding the common PNG (see png_decode).
 *
 *   struct png_enc *e;
 *   if (png_enc_create(&e, err, sizeof err) != 0) ...;
 *   size_t n; const unsigned char *png = png_encode(e, px, w, h, ch, 6, NULL, &n, err, sizeof err);
 *   ...write png[0..n)...;                  (valid until the next png_encode)
 *   png_enc_destroy(e);
 *
 * An encoder keeps its libdeflate compressor and its buffers between calls, so
 * a worker that encodes many images allocates only when an image is larger than
 * every one before it. One encoder per thread; any process may own one.
 * Nothing here prints.
 */
#ifndef IMGPOOL_PNG_H
#define IMGPOOL_PNG_H

#include <stddef.h>

#include "imgpool/img.h"

/* Effort of the LZ77 coding: libdeflate's 1 (fastest) .. 12 (smallest).
 * The run-length coding, tried on every image too, has no level. */
#define PNG_LEVEL_MIN 1
#define PNG_LEVEL_MAX 12
/* The default: on the benchmark corpus, files 3.6% smaller than Pillow's
 * (zlib 6) in a fraction of the time. */
#define PNG_LEVEL_DEFAULT 6

struct png_enc;

/* Creates an encoder. Returns 0 and sets *out (free with png_enc_destroy), or
 * -1 with a message (out of memory). */
int png_enc_create(struct png_enc **out, char *err, size_t errlen);

/* Frees the encoder and its buffers. NULL: no-op. */
void png_enc_destroy(struct png_enc *e);

/* Encodes w x h pixels of ch 8-bit channels (1 grey, 2 grey+alpha, 3 RGB,
 * 4 RGBA), rows top to bottom without padding, as a complete PNG file
 * (non-interlaced, one IDAT), with meta's blocks (NULL: none) before the
 * image data: the ICC profile as iCCP (compressed), EXIF as eXIf, XMP as an
 * uncompressed iTXt "XML:com.adobe.xmp"; each is written as given (the caller
 * decides what is kept). Each row gets the filter whose output has the
 * smallest sum of absolute values (libpng's heuristic); the middle rows are
 * compressed both ways and the smaller coding does the whole image. level:
 * PNG_LEVEL_MIN..PNG_LEVEL_MAX, for the libdeflate coding. Returns the file's bytes, owned by e
 * and valid until the next
 * png_encode or png_enc_destroy, with their count in *len; or NULL with a
 * message (bad arguments, image too large, out of memory). */
const unsigned char *png_encode(struct png_enc *e, const unsigned char *px, unsigned w,
                                unsigned h, unsigned ch, int level, const struct img_meta *meta,
                                size_t *len, char *err, size_t errlen);

/* ---- decoding: a fast path for the common PNG, through libdeflate ----
 *
 *   struct png_dec *d;  png_dec_create(&d, err, sizeof err);
 *   rc = png_decode(d, buf, len, max_pixels, &px, &w, &h, &ch);   0: px is yours (free)
 *   png_dec_destroy(d);
 *
 * Only 8-bit, non-interlaced grey, grey+alpha, RGB and RGBA files without a
 * tRNS or CgBI chunk: every other PNG, and every file libdeflate finds
 * damaged, is left to stb_image (rc 1), which gives exactly the same pixels
 * for the files this path takes (tested on PngSuite). One decoder per thread. */
struct png_dec;

/* Returns 0 and sets *out (free with png_dec_destroy), or -1 with a message. */
int png_dec_create(struct png_dec **out, char *err, size_t errlen);
/* NULL: no-op. */
void png_dec_destroy(struct png_dec *d);

/* Decodes buf if it is a PNG this path takes: returns 0 with *px (malloc'd,
 * w * h * ch bytes, the caller frees), *w, *h, *ch (1..4). Returns 1 for any
 * PNG it leaves to another decoder (or any it finds damaged), and for images
 * above max_pixels (0: no limit), without allocating pixels. */
int png_decode(struct png_dec *d, const unsigned char *buf, size_t len,
               unsigned long long max_pixels, unsigned char **px, unsigned *w, unsigned *h,
               unsigned *ch);

#endif
