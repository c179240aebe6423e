/* webp.h — WebP decoding and encoding through libwebp (lossy, lossless,
 * alpha; the first frame of an animation; ICC, EXIF and XMP chunks).
 *
 *   struct img_info info;
 *   if (webp_probe(buf, len, &info, err, sizeof err) != 0) ...;
 *   ...check info.w x info.h against the limits...
 *   struct img im;
 *   if (webp_decode(buf, len, &im, &meta, err, sizeof err) != 0) ...;
 *
 * No state is kept: any thread of any process may call these at once.
 * Nothing here prints. Messages start with "WebP: ".
 */
#ifndef IMGPOOL_WEBP_H
#define IMGPOOL_WEBP_H

#include <stddef.h>

#include "imgpool/img.h"

/* WebP's own quality default (cwebp -q); img.c uses Pillow's 80 instead. */
#define WEBP_QUALITY_CWEBP 75

/* Reads the header (WebPGetFeatures) and the EXIF chunk's orientation
 * (WebPDemux, which only walks the chunks): fills info->w, h (the canvas of
 * an animation, as stored), ch (4 with alpha, else 3), animated and
 * orientation (1..8, 1 without EXIF); allocates no pixels.
 * Returns 0, or -1 with a message ("WebP: truncated header", ...). */
int webp_probe(const unsigned char *buf, size_t len, struct img_info *info, char *err,
               size_t errlen);

/* Decodes the still image, or the first frame of an animation (composited on
 * its transparent canvas), as stored (the EXIF orientation not applied), into
 * *out: RGBA if the file has alpha, else RGB
 * (free with img_free). Call webp_probe first and check the size: this
 * allocates w x h x ch bytes. If meta is not NULL it receives the ICCP, EXIF
 * and XMP chunks (malloc'd copies; the caller frees with img_meta_free, also
 * after an error). Returns 0, or -1 with a message and *out zeroed. */
int webp_decode(const unsigned char *buf, size_t len, struct img *out, struct img_meta *meta,
                char *err, size_t errlen);

/* Encodes im (1 to 4 channels; grey is stored as RGB) as WebP into fd:
 * lossy at quality 1..100 (libwebp's scale, as cwebp -q and Pillow mean it;
 * method 4, libwebp's default), or lossless with quality as the effort (as
 * cwebp -lossless -q). Non-empty meta blobs become ICCP, EXIF ("Exif\0\0"-less
 * TIFF block) and XMP chunks. Returns the bytes written, or -1 with a message. */
long long webp_encode(const struct img *im, int quality, int lossless,
                      const struct img_meta *meta, int fd, char *err, size_t errlen);

/* libwebp's decoder version, "1.2.4". */
const char *webp_version(void);

#endif
