/* avif.h — AVIF decoding through libavif with libaom's AV1 decoder.
 *
 *   (img_probe reads the size with heic_probe: libheif parses the boxes, and
 *   prints nothing)
 *   if (avif_decode(buf, len, &im, &meta, err, sizeof err) != 0) ...;
 *
 * Why not libheif, which reads the boxes here: libheif 1.15 decodes AV1 with
 * dav1d, which logs parse errors of a damaged file straight to stderr, and
 * gives no way to choose another decoder or hook the log. libavif is told to
 * use libaom, which only returns errors. The container's clean aperture,
 * rotation and mirror (clap, irot, imir) are applied here, as libheif does,
 * so the image comes out upright and as big as heic_probe said. 10- and
 * 12-bit images are rounded to 8 bits (avif_decode_deep: or handed to
 * img_decode's img_deep). No state is kept: any thread of any
 * process may call these at once. Nothing here prints. Messages start with
 * "AVIF: ".
 */
#ifndef IMGPOOL_AVIF_H
#define IMGPOOL_AVIF_H

#include <stddef.h>

#include "imgpool/img.h"

/* Decodes the primary image (of a sequence: the first frame) into *out (RGB,
 * or RGBA with alpha; free with img_free). Call img_probe first and check the
 * size. If meta is not NULL it receives the ICC profile, the EXIF block (TIFF
 * header first, orientation set to 1: see heic.h) and the XMP packet (the
 * caller frees with img_meta_free, also after an error). Returns 0, or -1
 * with a message ("AVIF: Truncated data: ...") and *out zeroed. */
int avif_decode(const unsigned char *buf, size_t len, struct img *out, struct img_meta *meta,
                char *err, size_t errlen);

/* avif_decode with samples deeper than 8 bits taken to 8 by
 * img_deep_row(deep, ...) (deep NULL: rounded, as avif_decode), after meta
 * is filled. */
int avif_decode_deep(const unsigned char *buf, size_t len, struct img_deep *deep,
                     struct img *out, struct img_meta *meta, char *err, size_t errlen);

/* 1 if buf is an AVIF image sequence of more than one frame, read from its
 * boxes by libavif (nothing is decoded); 0 otherwise, also when libavif
 * cannot parse it (avif_decode then says why). */
int avif_animated(const unsigned char *buf, size_t len);

/* libavif's version and its codecs', "0.11.1 (aom [dec/enc]:3.6.0 ...)". */
const char *avif_version(void);

#endif
