/* jpeg.h — JPEG decoding through libjpeg-turbo, at full or reduced scale.
 *
 *   struct jpeg_dec *d;
 *   if (jpeg_dec_create(&d, err, sizeof err) != 0) ...;
 *   unsigned denom = jpeg_scale_for(w, h, 256, 256);      (1, 2, 4 or 8)
 *   struct img im;
 *   int rc = jpeg_decode(d, buf, len, denom, 0, &im, err, sizeof err);
 *   ...rc 0: im holds pixels (img_free); rc 1: the same, but the data was
 *   damaged (libjpeg's warning in err); -1: error
 *   jpeg_dec_destroy(d);
 *
 * The decoder object is kept and reused across images (libjpeg's own memory
 * pools and Huffman tables stay allocated). One decoder per thread; any
 * process may own one. Pixels come out exactly as libjpeg-turbo decodes them
 * (accurate integer IDCT, fancy upsampling), stored orientation: EXIF is the
 * caller's business. Nothing here prints.
 */
#ifndef IMGPOOL_JPEG_H
#define IMGPOOL_JPEG_H

#include <stddef.h>

#include "imgpool/img.h"

struct jpeg_dec;

/* Returns 0 and sets *out (free with jpeg_dec_destroy), or -1 with a message. */
int jpeg_dec_create(struct jpeg_dec **out, char *err, size_t errlen);

/* Frees the decoder. NULL: no-op. */
void jpeg_dec_destroy(struct jpeg_dec *d);

/* The DCT scale for decoding a w x h JPEG that will be resized to tw x th:
 * the largest denominator of 8, 4, 2 whose output (ceil(w/denom) x
 * ceil(h/denom)) is still at least tw x th; 1 (full size) if none is, or if
 * tw or th is 0. */
unsigned jpeg_scale_for(unsigned w, unsigned h, unsigned tw, unsigned th);

/* Decodes the JPEG in buf at 1/denom scale (denom 1, 2, 4 or 8) into *out
 * (ceil(w/denom) x ceil(h/denom); 1 channel for greyscale sources or when
 * gray is set, else 3 RGB; the caller frees with img_free). gray gives the
 * luma (Y) channel libjpeg decodes anyway, without colour conversion.
 * max_pixels (0: none) bounds the full-size w*h before anything is allocated.
 * CMYK and YCCK files come out as 3 RGB channels (also when gray is set).
 * Returns 0 on success; 1 when libjpeg decoded the file but warned that its
 * data is damaged (corrupt entropy data, extraneous bytes, a missing end
 * marker): *out holds what it decoded and err the warning; -1 with a message
 * on errors, including a file cut short before its last row ("JPEG:
 * truncated: ..."). *out is zeroed on -1. */
int jpeg_decode(struct jpeg_dec *d, const unsigned char *buf, size_t len, unsigned denom,
                int gray, unsigned long long max_pixels, struct img *out, char *err,
                size_t errlen);

#endif
