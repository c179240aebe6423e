/* tiff.h — TIFF decoding and encoding through libtiff, from and to memory.
 *
 *   struct img_info info;
 *   if (tiff_probe(buf, len, &info, err, sizeof err) != 0) ...;
 *   ...check info.w x info.h against the limits...
 *   if (tiff_decode(buf, len, &im, &meta, err, sizeof err) != 0) ...;
 *
 * Reads strips and tiles, 1 to 16 bits per sample, grey, RGB, palette, CMYK,
 * YCbCr (also JPEG-compressed), with or without alpha: the first page only.
 * libtiff's messages go to the error buffer, never to stderr: each file is
 * opened with its own error and warning handlers (libtiff 4.5's
 * TIFFOpenOptions), and the process-wide handlers are silenced once for the
 * few messages libtiff raises without a file. Any thread of any process may
 * call these at once. Nothing here prints. Messages start with "TIFF: ".
 */
#ifndef IMGPOOL_TIFF_H
#define IMGPOOL_TIFF_H

#include <stddef.h>

#include "imgpool/img.h"

/* Reads the first directory only: fills info->w, h, ch (1 grey, 2 grey+alpha,
 * 3 RGB, 4 RGBA, as tiff_decode will return) and multipage. Returns 0; or -1
 * with a message: a damaged or unsupported TIFF ("TIFF: ..."), or a camera raw
 * built on TIFF (a DNGVersion tag, or a first image that is only a reduced
 * preview with the raw data in sub-IFDs: NEF, ARW, ...): then info->fmt is set
 * to IMG_FMT_RAW and the message is "unsupported format: camera raw (...)". */
int tiff_probe(const unsigned char *buf, size_t len, struct img_info *info, char *err,
               size_t errlen);

/* Decodes the first page into *out (channels as tiff_probe says; free with
 * img_free), upright per the Orientation tag; 16-bit samples are rounded to 8
 * bits. Unassociated alpha comes back as stored; associated
 * (premultiplied) alpha is divided out. Call tiff_probe first and check the size. If meta is not
 * NULL it receives the ICC profile (TIFFTAG_ICCPROFILE) and XMP packet (the
 * caller frees with img_meta_free, also after an error). Returns 0, or -1
 * with a message and *out zeroed. */
int tiff_decode(const unsigned char *buf, size_t len, struct img *out, struct img_meta *meta,
                char *err, size_t errlen);

/* Encodes im (1 to 4 channels, 8-bit) as a TIFF into fd: Deflate with the
 * horizontal predictor (lossless), alpha as unassociated extra sample; a
 * non-empty meta->icc becomes TIFFTAG_ICCPROFILE and meta->xmp
 * TIFFTAG_XMLPACKET (EXIF is not written). Returns the bytes written, or -1
 * with a message. */
long long tiff_encode(const struct img *im, const struct img_meta *meta, int fd, char *err,
                      size_t errlen);

/* libtiff's version line, "LIBTIFF, Version 4.5.0 ..." trimmed to "4.5.0". */
const char *tiff_version(void);

#endif
