/* jpeg.h — JPEG decoding and encoding through libjpeg-turbo.
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
 *   struct jpeg_enc *e;
 *   if (jpeg_enc_create(&e, err, sizeof err) != 0) ...;
 *   struct img_save_opts so = {.quality = 85};
 *   long long n = jpeg_encode(e, &im, &so, fd, err, sizeof err);   (bytes, or -1)
 *   jpeg_enc_destroy(e);
 *
 * The decoder and encoder objects are kept and reused across images (libjpeg's own memory
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

/* jpeg_decode flags. */
enum {
    JPEG_DEC_GRAY = 1,  /* the luma (Y) channel libjpeg decodes anyway, without colour
                           conversion: 1 channel */
    JPEG_DEC_CMYK = 2   /* CMYK and YCCK files as 4 CMYK channels, 0 = no ink (Adobe's
                           inverted storage undone), for conversion with their ICC profile */
};

/* Decodes the JPEG in buf at 1/denom scale (denom 1, 2, 4 or 8) into *out
 * (ceil(w/denom) x ceil(h/denom); 1 channel for greyscale sources or with
 * JPEG_DEC_GRAY, else 3 RGB; the caller frees with img_free).
 * max_pixels (0: none) bounds the full-size w*h before anything is allocated.
 * CMYK and YCCK files come out as 3 RGB channels (also with JPEG_DEC_GRAY),
 * converted as stb_image does, unless flags has JPEG_DEC_CMYK.
 * Returns 0 on success; 1 when libjpeg decoded the file but warned that its
 * data is damaged (corrupt entropy data, extraneous bytes, a missing end
 * marker): *out holds what it decoded and err the warning; -1 with a message
 * on errors, including a file cut short before its last row ("JPEG:
 * truncated: ..."). *out is zeroed on -1. */
int jpeg_decode(struct jpeg_dec *d, const unsigned char *buf, size_t len, unsigned denom,
                unsigned flags, unsigned long long max_pixels, struct img *out, char *err,
                size_t errlen);

/* jpeg_decode into the planes as stored (jpeg_read_raw_data: no colour
 * conversion, no chroma upsampling), at 1/denom: Y (or the one grayscale
 * component) out->w x out->h = ceil(w/denom) x ceil(h/denom), each chroma
 * plane at its own sampled size (libjpeg may hand back chroma larger than
 * stored when scaling, its IDCT doing the upsampling). Only for files the
 * raw path can take: grayscale, or YCbCr with 1x1 chroma and luma 1 or 2 by
 * 1 or 2 (4:4:4, 4:2:2, 4:2:0, 4:4:0); any other (CMYK, RGB-stored, 4:1:1)
 * returns 2 after reading the header, with nothing decoded.
 * Otherwise returns as jpeg_decode; on -1 the planes are freed and zeroed. */
int jpeg_decode_planes(struct jpeg_dec *d, const unsigned char *buf, size_t len, unsigned denom,
                       unsigned long long max_pixels, struct img_planes *out, char *err,
                       size_t errlen);

struct jpeg_enc;

/* Returns 0 and sets *out (free with jpeg_enc_destroy), or -1 with a message. */
int jpeg_enc_create(struct jpeg_enc **out, char *err, size_t errlen);

/* Frees the encoder. NULL: no-op. */
void jpeg_enc_destroy(struct jpeg_enc *e);

/* Encodes im (1 channel: a one-component grayscale JPEG; 3: RGB, stored as
 * YCbCr with so->sampling) into fd, written with write() through a 64 KiB
 * buffer, not closed. Quality so->quality (1..100, 0 = 90; jpeg_set_quality
 * clamps others) through
 * jpeg_set_quality with baseline tables, as Pillow and ImageMagick do, so the
 * same number gives the same quantisation tables; so->progressive and
 * so->optimize as in cjpeg. The metadata in so->meta is written after the
 * JFIF header: EXIF as APP1 "Exif\0\0", XMP as APP1 with Adobe's namespace,
 * the ICC profile as APP2 chunks (jpeg_write_icc_profile); an EXIF or XMP
 * blob too long for one marker segment (65533 bytes with its prefix) is left
 * out. Returns the bytes written, or -1 with a message ("write error: ...",
 * or libjpeg's); fd may then hold part of a file. */
long long jpeg_encode(struct jpeg_enc *e, const struct img *im, const struct img_save_opts *so,
                      int fd, char *err, size_t errlen);

/* Image pixels per chroma sample across (*sx) and down (*sy) under s:
 * 4:2:0 2 and 2, 4:2:2 2 and 1, 4:4:4 1 and 1. */
void jpeg_chroma_factors(enum img_sampling s, unsigned *sx, unsigned *sy);

/* The size of plane comp (0: Y, 1-2: Cb, Cr) of a w x h JPEG written with
 * sampling s: w x h for Y, libjpeg's ceil(w * Hi / Hmax) x ceil(h * Vi / Vmax)
 * for the chroma. */
void jpeg_plane_size(enum img_sampling s, unsigned w, unsigned h, unsigned comp, unsigned *pw,
                     unsigned *ph);

/* jpeg_encode for planes (p->n 1: grayscale; 3: Y, Cb, Cr with the sizes
 * jpeg_plane_size gives for so->sampling, else an error), written with
 * jpeg_write_raw_data: no colour conversion, no chroma downsampling. */
long long jpeg_encode_planes(struct jpeg_enc *e, const struct img_planes *p,
                             const struct img_save_opts *so, int fd, char *err, size_t errlen);

/* Reads only the header, with libjpeg (so every JPEG libjpeg-turbo decodes
 * is accepted: arithmetic coding too): the size and the channels a decode
 * gives (1 grey, else 3). Returns 0, or -1 with libjpeg's own reason
 * ("JPEG: Unsupported JPEG data precision 12"). Any thread. */
int jpeg_probe(const unsigned char *buf, size_t len, unsigned *w, unsigned *h, unsigned *ch,
               char *err, size_t errlen);

#endif
