/* tiff.h — TIFF decoding and encoding through libtiff, from and to memory.
 *
 *   struct img_info info;
 *   if (tiff_probe(buf, len, &info, err, sizeof err) != 0) ...;
 *   ...check info.w x info.h against the limits...
 *   if (tiff_decode(buf, len, 0, &im, err, sizeof err) != 0) ...;
 *   ...img_orient(&im, info.orientation, ...)...
 *
 * Reads strips and tiles, 1 to 16 bits per sample, grey, RGB, palette, CMYK,
 * YCbCr (also JPEG-compressed), with or without alpha: the first page only.
 * The metadata (ICC profile, EXIF, XMP) is read by meta_read, not here.
 * libtiff's messages go to the error buffer, never to stderr: each file is
 * opened with its own error and warning handlers (libtiff 4.5's
 * TIFFOpenOptions), and the process-wide handlers are silenced once for the
 * few messages libtiff raises without a file. Any thread of any process may
 * call these at once. Nothing here prints. Messages start with "TIFF: ".
 */
#ifndef IMGPOOL_TIFF_H
#define IMGPOOL_TIFF_H

#include <stddef.h>
#include <stdint.h>

#include "imgpool/img.h"

/* Reads the first directory only: fills info->w, h (as stored), ch (1 grey,
 * 2 grey+alpha, 3 RGB, 4 RGBA, as tiff_decode will return), orientation (the
 * Orientation tag, 1..8: the same numbers as EXIF's) and multipage. Returns 0; or -1
 * with a message: a damaged or unsupported TIFF ("TIFF: ..."), or a camera raw
 * built on TIFF (a DNGVersion tag, or a first image that is only a reduced
 * preview with the raw data in sub-IFDs: NEF, ARW, ...): then info->fmt is set
 * to IMG_FMT_RAW and the message is "unsupported format: camera raw (...)". */
int tiff_probe(const unsigned char *buf, size_t len, struct img_info *info, char *err,
               size_t errlen);

/* A camera raw built on TIFF, by its first directory's tags: "DNG" (a
 * DNGVersion tag), or "a reduced preview with the raw data in sub-images"
 * (NEF, ARW, ...); NULL for anything else, a TIFF or not. Reads the entries
 * in buf only, through no library: a file's first few KB hold the first
 * directory when it comes first (one further in is not seen, and the file
 * is taken for a TIFF). tiff_probe refuses the same files. */
const char *tiff_raw_kind(const unsigned char *buf, size_t len);

/* tiff_decode flags. */
enum {
    TIFF_DEC_CMYK = 1   /* a CMYK image without alpha (8- or 16-bit, any layout) comes
                           out as 4 channels of CMYK samples (0 = no ink), for a CMYK ICC
                           profile to convert; with alpha it still comes out RGBA */
};

/* Decodes the first page into *out (channels as tiff_probe says, or CMYK
 * with TIFF_DEC_CMYK; free with img_free), rows and columns as stored: the
 * Orientation tag is not applied (the caller turns the pixels by
 * tiff_probe's info->orientation, or keeps them). 16-bit samples are
 * rounded to 8 bits. Unassociated alpha comes back as stored; associated
 * (premultiplied) alpha is divided out. Call tiff_probe first and check the
 * size. Returns 0, or -1 with a message and *out zeroed. */
int tiff_decode(const unsigned char *buf, size_t len, unsigned flags, struct img *out,
                char *err, size_t errlen);

/* Takes rows [y0, y0 + n) of a 16-bit image, in order, each of the
 * tiff_probe width and channels; the samples may be changed. 0, or -1 with a
 * message to stop the decoding. */
typedef int (*tiff_rows_fn)(void *ctx, uint16_t *rows, unsigned y0, unsigned n, char *err,
                                size_t errlen);

/* A 16-bit grey or RGB image (with or without alpha; strips or tiles,
 * contiguous or planar) as its 16-bit samples, for an ICC profile to convert
 * from all their precision (icc_to_srgb16): handed to fn a band of rows at a
 * time (a strip, or a row of tiles), so the image is never held at 16 bits
 * whole. Samples in host order, as many a pixel as tiff_probe's channels,
 * min-is-white turned round, associated alpha divided out; rows and columns
 * as stored (as tiff_decode). Returns 0 once fn has had every row; 1 if the
 * first page is no such image (tiff_decode it instead; fn was not called);
 * -1 with a message (fn's, or a damaged file's). Call tiff_probe first and
 * check the size. */
int tiff_decode16(const unsigned char *buf, size_t len, tiff_rows_fn fn, void *ctx,
                  char *err, size_t errlen);

/* Encodes im (1 to 4 channels, 8-bit) as a TIFF into fd: Deflate with the
 * horizontal predictor (lossless), alpha as unassociated extra sample; a
 * non-empty meta->icc becomes TIFFTAG_ICCPROFILE and meta->xmp
 * TIFFTAG_XMLPACKET; meta->exif (a TIFF structure, as meta_exif_for_output
 * makes it) gives the file its camera tags (Make, Model, DateTime, ...), its
 * Orientation tag, and its EXIF and GPS directories, byte for byte (the file
 * is then written in the EXIF block's byte order). Returns the bytes written,
 * or -1 with a message. */
long long tiff_encode(const struct img *im, const struct img_meta *meta, int fd, char *err,
                      size_t errlen);

/* libtiff's version line, "LIBTIFF, Version 4.5.0 ..." trimmed to "4.5.0". */
const char *tiff_version(void);

#endif
