/* heic.h — HEIF containers through libheif: the header probe of HEIC and AVIF,
 * decoding HEIC (HEVC), encoding AVIF (AV1). AVIF pixels are decoded by
 * avif.h (libavif), which explains why.
 *
 *   struct img_info info;
 *   if (heic_probe(buf, len, &info, err, sizeof err) != 0) ...;
 *   ...check info.w x info.h against the limits...
 *   if (heic_decode(buf, len, &im, &meta, err, sizeof err) != 0) ...;
 *
 * The primary image is decoded, with the container's rotation, mirroring and
 * crop applied (so it comes out upright). EXIF orientation does not apply:
 * HEIF makes irot and imir authoritative and the EXIF orientation only
 * informational (libheif's and libavif's authors read the standard so, and
 * MIAF says no transformation is to be expressed by EXIF), so the decoders
 * here set it to 1 in the EXIF (and XMP) they hand over.
 * 10- and 12-bit images are rounded to 8 bits (heic_decode_at_least: or
 * handed to img_decode's img_deep). One decoding thread per call
 * (libheif would decode a grid image's tiles on threads of its own): the pool
 * already runs one worker per core. Any thread of any process may
 * call these at once. Nothing here prints. Messages start with "HEIF: ".
 */
#ifndef IMGPOOL_HEIC_H
#define IMGPOOL_HEIC_H

#include <stddef.h>

#include "imgpool/img.h"

/* Reads the boxes only (no image data is decoded): fills info->w, h (upright),
 * ch (4 with an alpha image, else 3). Returns 0, or -1 with libheif's reason
 * ("HEIF: Invalid input: No 'ftyp' box", "HEIF: Unsupported feature: ...",
 * also when libheif has no decoder for the coding). */
int heic_probe(const unsigned char *buf, size_t len, struct img_info *info, char *err,
               size_t errlen);

/* Decodes the primary image (HEVC; AV1 works too but its decoder, dav1d, may
 * print to stderr on a damaged file: img.c sends AVIF to avif_decode) into *out (RGB or RGBA; free
 * with img_free). Call
 * heic_probe first and check the size. If meta is not NULL it receives the
 * raw ICC profile ("prof"/"rICC"), the first Exif block (TIFF header on,
 * without HEIF's 4-byte offset, orientation 1) and the XMP packet; the caller frees with
 * img_meta_free, also after an error. Returns 0, or -1 with a message and
 * *out zeroed. */
int heic_decode(const unsigned char *buf, size_t len, struct img *out, struct img_meta *meta,
                char *err, size_t errlen);

/* heic_decode for a caller that will shrink the image to min_w x min_h
 * (upright) or more: where the primary image has an embedded thumbnail (a
 * "thmb" item; phones often store one, 320x240 say) that covers that size, has the
 * image's alpha and its shape (aspect within 1%), the smallest such thumbnail
 * is decoded instead, as libvips' thumbnailer does: for a small target, a
 * fraction of the work. *out may then be smaller than the probed size; the
 * metadata is the primary image's. min_w and min_h 0: the primary image.
 * Samples deeper than 8 bits go to 8 through img_deep_row(deep, ...) (deep
 * NULL: rounded), after meta is filled. */
int heic_decode_at_least(const unsigned char *buf, size_t len, unsigned min_w, unsigned min_h,
                         struct img_deep *deep, struct img *out, struct img_meta *meta,
                         char *err, size_t errlen);

/* Encodes im (1 to 4 channels; grey is stored as RGB) as AVIF into fd with
 * libheif's AV1 encoder (libaom) at lossy quality 1..100, libheif's scale
 * (quantizer = (100 - q) * 63 / 100, the mapping libavif 1.0's quality and
 * Pillow's AVIF plugin use), 4:2:0. Non-empty meta->icc becomes the colour
 * profile, meta->exif an Exif block and meta->xmp an XMP block. Returns the
 * bytes written, or -1 with a message. */
long long heic_encode_avif(const struct img *im, int quality, const struct img_meta *meta,
                           int fd, char *err, size_t errlen);

/* libheif's version, "1.15.1". */
const char *heic_version(void);

#endif
