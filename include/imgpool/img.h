/* img.h — decode, convert, resize and encode images in memory (libjpeg-turbo for
 * JPEG, a libdeflate PNG path, stb_image 2.27 for the rest; the resample module).
 *
 *   struct img_load_opts o = { .max_pixels = 100000000, .autorotate = 1 };
 *   struct img im; struct img_info info; char err[256];
 *   if (img_decode(buf, len, &o, &im, &info, err, sizeof err) != 0) ...report err...;
 *   img_resize(&im, 256, 192, err, sizeof err);
 *   img_encode(&im, IMG_FMT_PNG, 0, fd, err, sizeof err);
 *   img_free(&im);
 *
 * Input is treated as hostile: the format comes from the bytes (never the file
 * name), the header is checked and the pixel count limited before any pixel
 * memory is allocated, and every failure leaves a non-empty message.
 *
 * Threads and processes: every function may be called from any process, and
 * from several threads at once (stb_image keeps its failure reason and flip
 * flag thread-local; this module never sets the flip flag). Nothing here prints.
 */
#ifndef IMGPOOL_IMG_H
#define IMGPOOL_IMG_H

#include <stddef.h>
#include <stdint.h>

/* Largest width or height img_probe accepts, whatever max_pixels says
 * (stb_image's own STBI_MAX_DIMENSIONS). */
#define IMG_MAX_SIDE (1u << 24)
/* Largest image stb_image 2.27 decodes, in bytes of pixels (w x h x channels):
 * a PNG over it is refused by img_probe (IMG_LIMIT_DECODER). */
#define IMG_DECODER_MAX_BYTES (1u << 30)

/* Default quality (img_save_opts.quality 0) for WebP and AVIF: Pillow's
 * (cwebp's own default is 75, heif-enc's 50). */
#define IMG_WEBP_QUALITY 80
#define IMG_AVIF_QUALITY 75

/* Formats recognised by content. Those after IMG_FMT_AVIF are recognised but
 * not read: img_probe refuses them as "unsupported format: JPEG XL" (see
 * img_format_readable), so a caller can tell them from files that are not
 * images at all. */
enum img_format { IMG_FMT_UNKNOWN = 0, IMG_FMT_PNG, IMG_FMT_JPG, IMG_FMT_BMP, IMG_FMT_TGA,
                  IMG_FMT_GIF, IMG_FMT_PNM, IMG_FMT_PSD, IMG_FMT_HDR, IMG_FMT_PIC,
                  IMG_FMT_WEBP, IMG_FMT_TIFF, IMG_FMT_HEIC, IMG_FMT_AVIF,
                  IMG_FMT_JXL, IMG_FMT_JP2, IMG_FMT_EXR, IMG_FMT_QOI, IMG_FMT_RAW };

/* 8 bits per sample, rows top to bottom, channels interleaved: 1 grey, 2 grey+alpha,
 * 3 RGB, 4 RGBA (alpha not premultiplied). px is owned: free with img_free. */
struct img { unsigned char *px; unsigned w, h, ch; };

/* Which size limit an image broke (img_probe), so a caller can word the
 * refusal from its type rather than from err's English. */
enum img_limit {
    IMG_LIMIT_NONE = 0,
    IMG_LIMIT_PIXELS,       /* w x h over max_pixels */
    IMG_LIMIT_SIDE,         /* a side over IMG_MAX_SIDE */
    IMG_LIMIT_DECODER,      /* w x h x ch bytes over IMG_DECODER_MAX_BYTES (a PNG) */
};

struct img_info {
    unsigned w, h, ch;      /* after img_decode: the image's full (rotated) size, which
                               the decoded pixels have unless a reduced-scale JPEG decode
                               was asked for, and the decoded channels; after img_probe:
                               what the header says */
    enum img_format fmt;
    int orientation;        /* orientation 1..8 to apply (EXIF's numbering): a JPEG's or
                               WebP's EXIF, a TIFF's Orientation tag; 1 if none, and
                               for HEIC and AVIF, whose decoders apply the container's
                               rotation and mirror (their EXIF orientation is only
                               informational, per HEIF) */
    int animated;           /* GIF, WebP or AVIF with more than one frame (only the
                               first is decoded) */
    int multipage;          /* TIFF with more than one page (only the first is decoded) */
    enum img_limit over;    /* after a failed img_probe: the limit the header's size broke
                               (w, h then hold that size; ch too for IMG_LIMIT_DECODER);
                               IMG_LIMIT_NONE for any other failure */
    char warning[128];      /* after img_decode: the decoder decoded damaged data and
                               said this ("JPEG: Corrupt JPEG data: ..."); "" if clean */
    char note[128];         /* after img_decode: metadata left out or an ICC profile not
                               applied, and why ("ICC profile not applied: ..."); "" if none */
};

/* Metadata carried from an input file to its output. Each blob is malloc'd
 * and owned by the struct (free with img_meta_free); NULL/0 when absent.
 * exif is the TIFF-structured EXIF block ("II*\0..." or "MM\0*..."),
 * without JPEG's "Exif\0\0" prefix; icc the ICC profile as embedded; xmp the
 * XMP packet (UTF-8 XML). */
struct img_meta {
    unsigned char *icc;  size_t icc_len;
    unsigned char *exif; size_t exif_len;
    unsigned char *xmp;  size_t xmp_len;
};

/* Frees the blobs and zeroes *m. NULL-safe. */
void img_meta_free(struct img_meta *m);

/* EXIF as a decoder found it, made the TIFF structure the rest of imgpool
 * expects: HEIF and AVIF files store it behind a 4-byte big-endian offset to
 * the TIFF header, and some WebP and HEIF writers left JPEG's "Exif\0\0"
 * in front (meta_exif_app1_header); either is stripped. An EXIF block that
 * holds no TIFF header at all is dropped. For the decoders. */
void img_meta_exif_unwrap(struct img_meta *m);

struct img_load_opts {
    struct img_meta *meta;  /* if set, filled with the input's metadata (caller frees
                               with img_meta_free, also after a failed decode). meta->icc
                               is set only with keep_profile: otherwise the pixels are
                               sRGB after img_decode and the profile is dropped */
    int keep_profile;       /* leave the pixels in their embedded ICC profile's colour
                               space (the profile goes to meta->icc); by default they are
                               converted to sRGB (see img_decode) */
    uint64_t max_pixels;    /* refuse images with w*h above this; 0 = no limit */
    int autorotate;         /* apply the EXIF orientation, so the result looks upright */
    unsigned target_w, target_h; /* hint: the size (upright, after rotation) the caller
                               will resize to next; 0 = full size. A JPEG is then decoded
                               at the smallest 1/2, 1/4 or 1/8 DCT scale that still covers
                               it, so the pixels may be smaller than info->w x info->h
                               (never smaller than the target). */
    int no_embedded_thumbnail; /* with a target: never decode a HEIC's embedded thumbnail
                               in its place (by default one that covers the target is) */
    int gray;               /* hint: the caller converts to gray next, so a JPEG may come
                               out as its luma channel (1 channel) straight from the
                               decoder; any other image is decoded as usual */
    const struct img_info *probed; /* if set: what img_probe said of this very buffer
                               (with this max_pixels), so the header and EXIF are not
                               parsed again */
};

/* The format of buf by its first bytes (PNG, JPEG, BMP, GIF, PSD, HDR, PIC,
 * PNM P1-P6, WebP "RIFF....WEBP", TIFF "II*\0"/"MM\0*", HEIC and AVIF by
 * their ISO-BMFF "ftyp" brands; TGA, which has none, by a plausible header;
 * and the unreadable ones: JPEG XL, JPEG 2000, OpenEXR, QOI, camera raws with
 * their own magic: Canon CR2/CR3, Fujifilm RAF, Olympus ORF, Panasonic RW2).
 * The first 32 bytes are enough, so a short peek at a file works. A text file
 * is IMG_FMT_UNKNOWN (even "BMP Suite ..." or "P1 is ..."). */
enum img_format img_sniff(const unsigned char *buf, size_t len);

/* How many first bytes of a file img_sniff_head wants: one page. */
#define IMG_SNIFF_HEAD 4096
/* img_sniff, except that a camera raw built on TIFF (DNG, NEF, ARW: see
 * tiff_raw_kind) is IMG_FMT_RAW, for a caller that decides from a file's
 * first IMG_SNIFF_HEAD bytes what will become of it. Reads bytes only, so
 * the folder job's parent can call it on any file. */
enum img_format img_sniff_head(const unsigned char *buf, size_t len);

/* Reads only the header: sniffs the format, reads the size (stb_image; libwebp's
 * WebPGetFeatures; libtiff's first directory; libheif's primary image item),
 * and checks it (w, h >= 1 and <= IMG_MAX_SIDE, channels 1..4, w*h <=
 * max_pixels unless 0). Also reads the orientation (JPEG and WebP EXIF, the
 * TIFF tag), whether a GIF, WebP or AVIF is animated (libavif reads an AVIF
 * sequence's boxes) and whether a TIFF has more pages.
 * Returns 0 and fills *info, or -1 with a message in err, e.g. "not an image
 * (unknown format)", "unsupported format: JPEG XL" (info->fmt then says which:
 * !img_format_readable(info->fmt); a TIFF that turns out to be a camera raw,
 * such as a DNG, is IMG_FMT_RAW) or "image too large: 100000x100000 exceeds
 * --max-pixels 100000000" (info->over then says which limit). */
int img_probe(const unsigned char *buf, size_t len, uint64_t max_pixels,
              struct img_info *info, char *err, size_t errlen);

/* Decodes buf: img_probe first (the size limit applies before any pixel is
 * allocated), then libjpeg-turbo for every JPEG (3 or 1 channels, CMYK
 * converted; damaged data it can decode is kept, with info->warning set; a
 * JPEG cut short is an error), libwebp for WebP (the first frame of an
 * animation), libtiff for TIFF (the first page; palette, CMYK, YCbCr, tiles
 * and strips), libheif for HEIC and AVIF (the primary image, its rotation and
 * mirroring applied), stb_image for every other format (the first frame of a
 * GIF). 16-bit, 10/12-bit and HDR sources come out 8-bit (rounded; where
 * a profile converts them, converted from their full depth: 16-bit TIFF and
 * PNG, 10/12-bit HEIC and AVIF).
 * With o->meta, JPEG, PNG, WebP, TIFF, HEIC and AVIF fill it with their ICC
 * profile, EXIF and XMP (a TIFF's EXIF is built from its camera tags and EXIF
 * and GPS directories; HEIC and AVIF EXIF has its orientation set to 1).
 * Unless o->keep_profile, pixels with an embedded ICC profile are converted
 * to sRGB by the icc module, at the decoded size (a reduced-scale JPEG is
 * converted small), CMYK JPEGs and TIFFs from their CMYK samples; a profile
 * that cannot be applied leaves the pixels as decoded, with the reason in
 * info->note. With o->autorotate info->orientation (JPEG and WebP EXIF, the
 * TIFF tag) is applied, so a 90-degree orientation swaps w and h. o may be NULL (no limit,
 * no rotation, colour converted).
 * Returns 0 and fills *out (caller frees with img_free) and *info (may be NULL),
 * or -1 with a non-empty message in err and *out zeroed. */
int img_decode(const unsigned char *buf, size_t len, const struct img_load_opts *o,
               struct img *out, struct img_info *info, char *err, size_t errlen);

/* In place, to luma (ITU-R BT.601: 0.299 R + 0.587 G + 0.114 B, rounded), alpha
 * kept: 3 -> 1 and 4 -> 2 channels; 1 and 2 channels are left as they are.
 * Returns 0, or -1 with a message. */
int img_gray(struct img *im, char *err, size_t errlen);

/* In place: an alpha channel that is 255 everywhere is dropped (4 -> 3, 2 -> 1
 * channels), as ImageMagick's PNG writer does: the pixels look the same, the
 * file is smaller and quicker to write. 1 if it was dropped, 0 if im has no
 * alpha or some pixel is not opaque (then im is unchanged). */
int img_drop_opaque_alpha(struct img *im);

/* Resizes to exactly w x h (both >= 1) with the resample module (Catmull-Rom
 * in linear light, box pre-shrink for large reductions); an alpha channel
 * weights the colours, so transparent pixels do not bleed.
 * Replaces im->px (the old buffer is freed) on success; on failure im is unchanged.
 * Same size: nothing to do, returns 0. Returns 0, or -1 with a message. */
int img_resize(struct img *im, unsigned w, unsigned h, char *err, size_t errlen);

/* Encodes im into the open file descriptor fd (written with write(), not closed).
 * PNG goes through the png module (per-row filters, libdeflate or zlib RLE) at
 * the default level, JPEG through libjpeg-turbo (jpeg.c: 4:2:0 colour or a
 * one-component grayscale file), WebP through libwebp, AVIF through libheif
 * (libaom), TIFF through libtiff (Deflate), BMP and TGA through
 * stb_image_write. fmt: IMG_FMT_PNG, IMG_FMT_TGA, IMG_FMT_WEBP, IMG_FMT_AVIF,
 * IMG_FMT_TIFF (all keep alpha), IMG_FMT_JPG (quality 1..100, 0 = 90) or
 * IMG_FMT_BMP. JPEG and BMP have no alpha here: an alpha channel is
 * composited onto white first (a transparent logo stays readable). Returns the
 * number of bytes written, or -1 with a message (write error with strerror,
 * unsupported format, bad quality). After an error fd may hold partial output:
 * write into an outfile and abort it. */
long long img_encode(const struct img *im, enum img_format fmt, int quality, int fd,
                     char *err, size_t errlen);

/* Frees im->px and zeroes *im. NULL-safe. */
void img_free(struct img *im);

/* Per-worker state kept across images: the PNG encoder (libdeflate compressor
 * and buffers), the JPEG decoder (libjpeg-turbo) and the last colour transform
 * (lcms2). Create one per worker
 * process (or thread) and pass it to img_codec_decode / img_codec_encode; the
 * plain img_decode / img_encode make a temporary one per call. */
struct img_codec;

/* Returns 0 and sets *out (free with img_codec_destroy), or -1 with a message. */
int img_codec_create(struct img_codec **out, char *err, size_t errlen);
/* Frees c and everything it holds. NULL: no-op. */
void img_codec_destroy(struct img_codec *c);

/* JPEG chroma subsampling of colour output (grayscale output has no chroma). */
enum img_sampling { IMG_SAMPLING_420 = 0, IMG_SAMPLING_422, IMG_SAMPLING_444 };

struct img_save_opts {
    const struct img_meta *meta; /* written into the output where the format can
                               carry it (NULL or empty blobs: none): JPEG all three
                               (APP1 EXIF and XMP, APP2 ICC), PNG all three (iCCP, eXIf,
                               iTXt XMP), WebP all three, AVIF all three, TIFF all three
                               (EXIF as its EXIF and GPS directories, see tiff.h). An
                               ICC profile whose colour space does not fit the pixels
                               (an RGB profile on a gray result) is left out */
    int quality;            /* 1..100; 0 = the format's default: JPEG 90 (libjpeg's
                               tables, as Pillow and ImageMagick at the same number),
                               WebP 80 (Pillow's; cwebp's is 75), AVIF 75 (Pillow's);
                               as libwebp / libheif's lossy quality mean it */
    int lossless;           /* WebP: lossless (quality is then the effort) */
    int png_level;          /* PNG effort 1 (fast) .. 12 (small); 0 = the default 6 */
    enum img_sampling sampling; /* JPEG chroma; default 4:2:0 */
    int progressive;        /* JPEG: progressive scans (smaller, slower) */
    int optimize;           /* JPEG: optimal Huffman tables (a second pass; smaller) */
};

/* img_decode with c's reused decoder state: same results and errors. */
int img_codec_decode(struct img_codec *c, const unsigned char *buf, size_t len,
                     const struct img_load_opts *o, struct img *out, struct img_info *info,
                     char *err, size_t errlen);

/* img_encode with c's reused encoder state and the options in so (NULL: defaults).
 * Same results and errors as img_encode; also fails on a png_level outside 0..12. */
long long img_codec_encode(struct img_codec *c, const struct img *im, enum img_format fmt,
                           const struct img_save_opts *so, int fd, char *err, size_t errlen);

/* ---- JPEG to JPEG in YCbCr ----
 * A JPEG stores Y, Cb and Cr planes, the chroma usually at half size. When a
 * JPEG becomes a JPEG and the operations are resizes and gray, the planes can
 * go straight through: decoded raw (no colour conversion, no chroma
 * upsampling), resized each on its own (Y in linear light, chroma as is),
 * encoded raw. gray drops the chroma planes.
 *
 *   struct img_planes p;
 *   int rc = img_codec_decode_planes(c, buf, len, &lo, &p, &info, err, sizeof err);
 *   rc 1: not this path (CMYK, RGB-stored, unusual sampling): use img_codec_decode;
 *   img_planes_resize(&p, 320, 240, &so, err, sizeof err);
 *   img_codec_encode_planes(c, &p, &so, fd, err, sizeof err);
 *   img_planes_free(&p);
 */
struct img_planes {
    unsigned w, h;          /* the image's size: plane[0] (Y) has it */
    unsigned n;             /* 1 (Y: grayscale) or 3 (Y, Cb, Cr) */
    struct img plane[3];    /* 1-channel images; chroma planes may be smaller */
    unsigned sx[3], sy[3];  /* image pixels per sample of each plane across and down
                               (1 for Y; 2 and 2 for 4:2:0 chroma) */
};

/* img_codec_decode for a JPEG, into planes (o->gray drops the chroma; the
 * target hint picks the DCT scale; o->autorotate turns every plane). Returns
 * 0 (info as img_codec_decode fills it; a warning in info->warning), 1 when
 * the file is not for this path (not a JPEG, CMYK/YCCK, stored as RGB, or
 * sampled other than 4:4:4, 4:2:2, 4:2:0 or 4:4:0 -- 4:1:1 goes through RGB:
 * nothing is decoded, *out is zeroed), or -1 with a message. */
int img_codec_decode_planes(struct img_codec *c, const unsigned char *buf, size_t len,
                            const struct img_load_opts *o, struct img_planes *out,
                            struct img_info *info, char *err, size_t errlen);

/* Drops the chroma planes: what img_gray does to pixels. */
void img_planes_gray(struct img_planes *p);

/* Resizes Y to w x h and the chroma planes to the sizes so->sampling gives
 * that image (resample module: Y in linear light, Cb and Cr as they are), so
 * the encoder takes them as they are. 0, or -1 with a message (out of memory,
 * bad size); p is unchanged on failure. */
int img_planes_resize(struct img_planes *p, unsigned w, unsigned h,
                      const struct img_save_opts *so, char *err, size_t errlen);

/* img_codec_encode for planes, as a JPEG: the chroma planes are first brought
 * to so->sampling's sizes if they are not (img_planes_resize at the same size).
 * Same results and errors as img_codec_encode. */
long long img_codec_encode_planes(struct img_codec *c, struct img_planes *p,
                                  const struct img_save_opts *so, int fd, char *err,
                                  size_t errlen);

/* Frees every plane and zeroes *p. NULL-safe. */
void img_planes_free(struct img_planes *p);

const char *img_format_name(enum img_format f);   /* "png", "jpg", ..., "unknown" */
const char *img_format_label(enum img_format f);  /* "PNG", "JPEG XL", ... for messages */
const char *img_format_ext(enum img_format f);    /* ".png", ".jpg", ...; "" if unknown */
enum img_format img_format_parse(const char *name); /* "png" "jpg" "jpeg" "bmp" "tga"
                                                       "webp" "avif" "tiff" "tif" (any
                                                       case); else IMG_FMT_UNKNOWN */
int img_format_writable(enum img_format f);       /* 1 for PNG JPG BMP TGA WEBP AVIF TIFF */
int img_format_readable(enum img_format f);       /* 1 for the formats img_decode reads
                                                     (0 for UNKNOWN, JXL, JP2, ...) */

/* Rounds n samples of `bits` bits (9..16, in uint16_t) to 8 bits:
 * (v * 255 + max / 2) / max, values above max taken as max. For the decoders
 * of deep images. */
void img_samples_to_8(const uint16_t *src, size_t n, unsigned bits, unsigned char *dst);

/* Samples deeper than 8 bits on their way to 8, as img_decode wants them:
 * converted to sRGB by the image's colour profile from all their bits where
 * that profile changes colours, else rounded. Made by img_decode for the
 * HEIC and AVIF decoders (heic_decode_at_least, avif_decode_deep), which read
 * the image's metadata into the struct img_meta they are given before any
 * row: the profile is looked up there at the first row. */
struct img_deep;

/* One row of w pixels of ch samples of `bits` bits (9..16) from src to 8 bits
 * in dst (ch samples a pixel too): as d says, or with d NULL rounded
 * (img_samples_to_8). src may be overwritten. For the deep decoders. */
void img_deep_row(struct img_deep *d, uint16_t *src, unsigned w, unsigned ch, unsigned bits,
                  unsigned char *dst);

/* Applies an EXIF orientation 2..8 to im (a new pixel buffer; 5..8 swap w
 * and h); 1 or out of range: nothing. Returns 0, or -1 with a message (out of
 * memory), im unchanged. */
int img_orient(struct img *im, int orientation, char *err, size_t errlen);

/* Writes n bytes to fd (retrying short writes and EINTR), for the codec
 * modules' encoders. Returns 0, or -1 with "write error: <strerror>". */
int img_write_fd(int fd, const unsigned char *p, size_t n, char *err, size_t errlen);

#endif
