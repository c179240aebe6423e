/* img.c — the image layer over stb_image 2.27, stb_image_write (BMP, TGA),
 * libjpeg-turbo (jpeg.c), the PNG codec (png.c), WebP (webp.c), TIFF
 * (tiff.c), HEIC and AVIF (heic.c: probe, HEIC, AVIF encoding; avif.c: AVIF
 * decoding) and the resampler (resample.c).
 *
 * Design note. Decoding treats every file as hostile, in the order stb's own
 * fuzzer uses: sniff the magic bytes, read the header (libjpeg's own header
 * reader for JPEG, which decides every JPEG; stbi_info for the rest), bound
 * the size, and only then let a decoder allocate pixels. Two stb 2.27 traps shape
 * the code: stbi_info can return nonsense sizes (negative, 2^31-1) for files
 * stbi_load then rejects, so its numbers are range-checked; and the multi-frame
 * GIF API reads out of bounds on dispose-to-previous GIFs, so only the first
 * frame is decoded (plain stbi_load) and animation is detected by walking the
 * GIF blocks here. stbi_failure_reason() is copied at once and may be empty,
 * so every failure message has a fallback.
 *
 * EXIF orientation: the APP1 segment is found with a bounded JPEG marker walk
 * and read by the meta module, as the EXIF chunk of a WebP; a TIFF's own
 * Orientation tag says the same. Each is applied here, after decoding, the
 * same way. Rotation and mirroring are one table of (start, step along a row,
 * step down a column) into the source.
 */
#include "imgpool/img.h"

#include "imgpool/avif.h"
#include "imgpool/heic.h"
#include "imgpool/icc.h"
#include "imgpool/jpeg.h"
#include "imgpool/meta.h"
#include "imgpool/png.h"
#include "imgpool/resample.h"
#include "imgpool/tiff.h"
#include "imgpool/webp.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

static const struct {
    const char *name, *ext, *label;
    int writable, readable;
} img_formats[] = {
    [IMG_FMT_UNKNOWN] = {"unknown", "", "unknown format", 0, 0},
    [IMG_FMT_PNG] = {"png", ".png", "PNG", 1, 1},
    [IMG_FMT_JPG] = {"jpg", ".jpg", "JPEG", 1, 1},
    [IMG_FMT_BMP] = {"bmp", ".bmp", "BMP", 1, 1},
    [IMG_FMT_TGA] = {"tga", ".tga", "TGA", 1, 1},
    [IMG_FMT_GIF] = {"gif", ".gif", "GIF", 0, 1},
    [IMG_FMT_PNM] = {"pnm", ".pnm", "PNM", 0, 1},
    [IMG_FMT_PSD] = {"psd", ".psd", "PSD", 0, 1},
    [IMG_FMT_HDR] = {"hdr", ".hdr", "HDR", 0, 1},
    [IMG_FMT_PIC] = {"pic", ".pic", "PIC", 0, 1},
    [IMG_FMT_WEBP] = {"webp", ".webp", "WebP", 1, 1},
    [IMG_FMT_TIFF] = {"tiff", ".tiff", "TIFF", 1, 1},
    [IMG_FMT_HEIC] = {"heic", ".heic", "HEIC", 0, 1},
    [IMG_FMT_AVIF] = {"avif", ".avif", "AVIF", 1, 1},
    [IMG_FMT_JXL] = {"jxl", ".jxl", "JPEG XL", 0, 0},
    [IMG_FMT_JP2] = {"jp2", ".jp2", "JPEG 2000", 0, 0},
    [IMG_FMT_EXR] = {"exr", ".exr", "OpenEXR", 0, 0},
    [IMG_FMT_QOI] = {"qoi", ".qoi", "QOI", 0, 0},
    [IMG_FMT_RAW] = {"raw", "", "camera raw", 0, 0},
};

static enum img_format img_format_valid(enum img_format f)
{
    return (unsigned)f < sizeof img_formats / sizeof img_formats[0] ? f : IMG_FMT_UNKNOWN;
}

const char *img_format_name(enum img_format f) { return img_formats[img_format_valid(f)].name; }
const char *img_format_label(enum img_format f) { return img_formats[img_format_valid(f)].label; }
int img_format_readable(enum img_format f) { return img_formats[img_format_valid(f)].readable; }
const char *img_format_ext(enum img_format f) { return img_formats[img_format_valid(f)].ext; }
int img_format_writable(enum img_format f) { return img_formats[img_format_valid(f)].writable; }

enum img_format img_format_parse(const char *name)
{
    if (!name)
        return IMG_FMT_UNKNOWN;
    if (strcasecmp(name, "jpeg") == 0)
        return IMG_FMT_JPG;
    if (strcasecmp(name, "tif") == 0)
        return IMG_FMT_TIFF;
    for (size_t f = 1; f < sizeof img_formats / sizeof img_formats[0]; f++)
        if (img_formats[f].writable && strcasecmp(name, img_formats[f].name) == 0)
            return (enum img_format)f;
    return IMG_FMT_UNKNOWN;
}

static unsigned img_le16(const unsigned char *p) { return p[0] | (unsigned)p[1] << 8; }
static unsigned img_be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t img_le32(const unsigned char *p)
{
    return img_le16(p) | (uint32_t)img_le16(p + 2) << 16;
}
static uint32_t img_be32(const unsigned char *p)
{
    return (uint32_t)img_be16(p) << 16 | img_be16(p + 2);
}

/* PNM: "P1".."P6", whitespace, then a comment or the width's first digit. */
static int img_sniff_pnm(const unsigned char *b, size_t len)
{
    size_t i = 2;
    if (len < 4 || b[0] != 'P' || b[1] < '1' || b[1] > '6')
        return 0;
    while (i < len && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')))
        i++;
    return i > 2 && i < len && (b[i] == '#' || (b[i] >= '0' && b[i] <= '9'));
}

/* BMP: "BM" and a plausible info header size (12 = OS/2 1.x ... 124 = V5). */
static int img_sniff_bmp(const unsigned char *b, size_t len)
{
    return len >= 18 && b[0] == 'B' && b[1] == 'M' && img_le32(b + 14) >= 12 &&
           img_le32(b + 14) <= 124;
}

/* TGA has no magic number: accept a header whose fields are all in range. */
static int img_sniff_tga(const unsigned char *b, size_t len)
{
    unsigned cmap = b[1], type = b[2], cmap_bits = b[7], bits = b[16];
    if (len < 18 || cmap > 1 || img_le16(b + 12) == 0 || img_le16(b + 14) == 0)
        return 0;
    if (cmap == 1) {
        int cmap_ok = cmap_bits == 8 || cmap_bits == 15 || cmap_bits == 16 ||
                      cmap_bits == 24 || cmap_bits == 32;
        return (type == 1 || type == 9) && cmap_ok && (bits == 8 || bits == 16);
    }
    return (type == 2 || type == 3 || type == 10 || type == 11) &&
           (bits == 8 || bits == 15 || bits == 16 || bits == 24 || bits == 32);
}

static int img_starts(const unsigned char *buf, size_t len, const char *magic, size_t n)
{
    return len >= n && memcmp(buf, magic, n) == 0;
}

/* An ISO-BMFF file (HEIF, AVIF, CR3, JPEG XL's container, MP4 video ...) by
 * the brands of its "ftyp" box: the major brand and the compatible ones that
 * the peek holds. Generic HEIF brands (mif1, msf1) without a coding brand go
 * to libheif as HEIC. A video is not an image. */
static enum img_format img_sniff_ftyp(const unsigned char *b, size_t len)
{
    static const struct { char brand[5]; enum img_format fmt; } brands[] = {
        {"avif", IMG_FMT_AVIF}, {"avis", IMG_FMT_AVIF}, {"heic", IMG_FMT_HEIC},
        {"heix", IMG_FMT_HEIC}, {"hevc", IMG_FMT_HEIC}, {"hevx", IMG_FMT_HEIC},
        {"heim", IMG_FMT_HEIC}, {"heis", IMG_FMT_HEIC}, {"hevm", IMG_FMT_HEIC},
        {"hevs", IMG_FMT_HEIC}, {"crx ", IMG_FMT_RAW}, {"jxl ", IMG_FMT_JXL},
        {"jp2 ", IMG_FMT_JP2}, {"mif1", IMG_FMT_HEIC}, {"msf1", IMG_FMT_HEIC}};
    if (len < 12 || memcmp(b + 4, "ftyp", 4) != 0)
        return IMG_FMT_UNKNOWN;
    size_t end = img_be32(b);
    end = end < len ? end : len;
    /* the first brand in the table's order wins: AVIF before a generic mif1 */
    for (size_t k = 0; k < sizeof brands / sizeof *brands; k++)
        for (size_t pos = 8; pos + 4 <= end; pos += pos == 8 ? 8 : 4)   /* skip minor version */
            if (memcmp(b + pos, brands[k].brand, 4) == 0)
                return brands[k].fmt;
    return IMG_FMT_UNKNOWN;
}

/* Formats told by a fixed magic number, after the ones stb_image reads. */
static enum img_format img_sniff_magic(const unsigned char *b, size_t len)
{
    static const struct { const char *magic; size_t n; enum img_format fmt; } magics[] = {
        {"II*\0\x10\0\0\0CR\x02", 11, IMG_FMT_RAW},          /* Canon CR2 */
        {"FUJIFILMCCD-RAW", 15, IMG_FMT_RAW}, {"IIRO", 4, IMG_FMT_RAW},
        {"IIRS", 4, IMG_FMT_RAW}, {"MMOR", 4, IMG_FMT_RAW},     /* Olympus ORF */
        {"IIU\0", 4, IMG_FMT_RAW},                               /* Panasonic RW2 */
        {"II*\0", 4, IMG_FMT_TIFF}, {"MM\0*", 4, IMG_FMT_TIFF},
        {"II+\0", 4, IMG_FMT_TIFF}, {"MM\0+", 4, IMG_FMT_TIFF},  /* BigTIFF */
        {"\xff\x0a", 2, IMG_FMT_JXL},                            /* JPEG XL codestream */
        {"\0\0\0\x0cJXL \r\n\x87\n", 12, IMG_FMT_JXL},
        {"\0\0\0\x0cjP  \r\n\x87\n", 12, IMG_FMT_JP2},
        {"\xff\x4f\xff\x51", 4, IMG_FMT_JP2},                     /* J2K codestream */
        {"\x76\x2f\x31\x01", 4, IMG_FMT_EXR}, {"qoif", 4, IMG_FMT_QOI}};
    if (len >= 12 && memcmp(b, "RIFF", 4) == 0 && memcmp(b + 8, "WEBP", 4) == 0)
        return IMG_FMT_WEBP;
    for (size_t k = 0; k < sizeof magics / sizeof *magics; k++)
        if (img_starts(b, len, magics[k].magic, magics[k].n))
            return magics[k].fmt;
    return img_sniff_ftyp(b, len);
}

enum img_format img_sniff(const unsigned char *buf, size_t len)
{
    if (!buf)
        return IMG_FMT_UNKNOWN;
    if (img_starts(buf, len, "\x89PNG\r\n\x1a\n", 8))
        return IMG_FMT_PNG;
    if (img_starts(buf, len, "\xff\xd8\xff", 3))
        return IMG_FMT_JPG;
    if (img_starts(buf, len, "GIF87a", 6) || img_starts(buf, len, "GIF89a", 6))
        return IMG_FMT_GIF;
    if (img_sniff_bmp(buf, len))
        return IMG_FMT_BMP;
    if (img_starts(buf, len, "8BPS", 4))
        return IMG_FMT_PSD;
    if (img_starts(buf, len, "#?RADIANCE\n", 11) || img_starts(buf, len, "#?RGBE\n", 7))
        return IMG_FMT_HDR;
    if (img_starts(buf, len, "\x53\x80\xf6\x34", 4) &&
        (len < 92 || memcmp(buf + 88, "PICT", 4) == 0))
        return IMG_FMT_PIC;                 /* a short peek has only the magic number */
    if (img_sniff_pnm(buf, len))
        return IMG_FMT_PNM;
    enum img_format f = img_sniff_magic(buf, len);
    if (f != IMG_FMT_UNKNOWN)
        return f;
    if (len >= 18 && img_sniff_tga(buf, len))
        return IMG_FMT_TGA;
    return IMG_FMT_UNKNOWN;
}

enum img_format img_sniff_head(const unsigned char *buf, size_t len)
{
    enum img_format f = img_sniff(buf, len);
    return f == IMG_FMT_TIFF && tiff_raw_kind(buf, len) ? IMG_FMT_RAW : f;
}

/* Skips GIF data sub-blocks starting at pos; returns the position after the
 * terminator (or past len when the file is truncated). */
static size_t img_gif_skip_blocks(const unsigned char *b, size_t len, size_t pos)
{
    while (pos < len) {
        unsigned n = b[pos++];
        if (n == 0)
            break;
        pos += n;
    }
    return pos;
}

/* 1 if the GIF has a second image descriptor. Walks the blocks with bounds
 * checks; a truncated or odd file counts as not animated. */
static int img_gif_animated(const unsigned char *b, size_t len)
{
    size_t pos = 13;
    int frames = 0;
    if (len < 13)
        return 0;
    if (b[10] & 0x80)
        pos += 3u << ((b[10] & 7) + 1);
    while (pos < len) {
        if (b[pos] == 0x2c) {                   /* image descriptor */
            if (++frames > 1)
                return 1;
            if (pos + 10 > len)
                return 0;
            unsigned flags = b[pos + 9];
            pos += 10;
            if (flags & 0x80)
                pos += 3u << ((flags & 7) + 1);
            pos = img_gif_skip_blocks(b, len, pos + 1);   /* +1: LZW code size */
        } else if (b[pos] == 0x21) {            /* extension: label, sub-blocks */
            pos = img_gif_skip_blocks(b, len, pos + 2);
        } else {
            break;                              /* trailer 0x3b or garbage */
        }
    }
    return 0;
}

/* EXIF orientation 1..8 of a JPEG; 1 when absent or out of range. */
static int img_jpeg_orientation(const unsigned char *b, size_t len)
{
    size_t n = 0;
    const unsigned char *seg = meta_jpeg_segment(b, len, 0xe1, "Exif\0\0", 6, &n);
    return seg ? meta_exif_orientation(seg + 6, n - 6) : 1;
}

/* The size a PNG, BMP or PSD header declares, for a useful message when
 * stbi_info refuses it (its own reason is always "unknown image type": it tries
 * every format in turn). 0 if found, -1 otherwise. */
static int img_header_size(enum img_format fmt, const unsigned char *b, size_t len,
                           uint64_t *w, uint64_t *h)
{
    if (fmt == IMG_FMT_PNG && len >= 24 && memcmp(b + 12, "IHDR", 4) == 0) {
        *w = img_be32(b + 16);
        *h = img_be32(b + 20);
    } else if (fmt == IMG_FMT_BMP && len >= 26 && img_le32(b + 14) > 12) {
        *w = img_le32(b + 18);
        int32_t sh = (int32_t)img_le32(b + 22);
        *h = sh < 0 ? (uint64_t)-(int64_t)sh : (uint64_t)sh;
    } else if (fmt == IMG_FMT_PSD && len >= 22) {
        *h = img_be32(b + 14);
        *w = img_be32(b + 18);
    } else {
        return -1;
    }
    return 0;
}

/* "image too large" if w x h breaks a limit, with the limit in info->over
 * and the size in info->w, info->h (typed, for a caller that words it);
 * 0 if it does not. */
static int img_check_size(uint64_t w, uint64_t h, uint64_t max_pixels, struct img_info *info,
                          char *err, size_t errlen)
{
    if (w > IMG_MAX_SIDE || h > IMG_MAX_SIDE) {
        info->over = IMG_LIMIT_SIDE;
        snprintf(err, errlen, "image too large: %llux%llu exceeds the %u-pixel side limit",
                 (unsigned long long)w, (unsigned long long)h, IMG_MAX_SIDE);
    } else if (max_pixels && w * h > max_pixels) {
        info->over = IMG_LIMIT_PIXELS;
        snprintf(err, errlen, "image too large: %llux%llu exceeds --max-pixels %llu",
                 (unsigned long long)w, (unsigned long long)h, (unsigned long long)max_pixels);
    } else {
        return 0;
    }
    info->w = (unsigned)(w < UINT_MAX ? w : UINT_MAX);
    info->h = (unsigned)(h < UINT_MAX ? h : UINT_MAX);
    return -1;
}

/* The formats with a decoder module of their own: its header probe, then
 * the size limits. */
static int img_probe_module(const unsigned char *buf, size_t len, uint64_t max_pixels,
                            struct img_info *info, char *err, size_t errlen)
{
    int rc;
    switch (info->fmt) {
    case IMG_FMT_WEBP: rc = webp_probe(buf, len, info, err, errlen); break;
    case IMG_FMT_TIFF: rc = tiff_probe(buf, len, info, err, errlen); break;
    default:           rc = heic_probe(buf, len, info, err, errlen); break;
    }
    if (rc != 0)
        return -1;
    if (info->fmt == IMG_FMT_AVIF)
        info->animated = avif_animated(buf, len);
    return img_check_size(info->w, info->h, max_pixels, info, err, errlen);
}

/* stb_image 2.27 refuses a PNG whose w x h x channels is over 2^30 bytes,
 * whatever --max-pixels allows: say so, with the size (channels from the
 * colour type; what its header check counts). -1 with the message if that
 * is why, else 0. */
static int img_check_stb_limit(const unsigned char *b, size_t len, uint64_t w, uint64_t h,
                               struct img_info *info, char *err, size_t errlen)
{
    static const unsigned channels[7] = { 1, 0, 3, 1, 2, 0, 4 };
    static const char *const layout[5] = { "", "gray", "gray+alpha", "RGB", "RGBA" };
    if (info->fmt != IMG_FMT_PNG || len < 26 || b[25] > 6 || !channels[b[25]] || !w || !h)
        return 0;
    unsigned type = b[25];
    uint64_t bytes = w * h * channels[type];
    if (bytes <= IMG_DECODER_MAX_BYTES)
        return 0;
    snprintf(err, errlen, "image too large: %llux%llu %s is %llu MiB, over the decoder's"
             " limit of 1024 MiB per image", (unsigned long long)w, (unsigned long long)h,
             layout[channels[type]], (unsigned long long)(bytes >> 20));
    info->over = IMG_LIMIT_DECODER;
    info->w = (unsigned)w;   /* a PNG's header holds 32-bit sides */
    info->h = (unsigned)h;
    info->ch = channels[type];
    return -1;
}

int img_probe(const unsigned char *buf, size_t len, uint64_t max_pixels,
              struct img_info *info, char *err, size_t errlen)
{
    int w = 0, h = 0, c = 0;
    memset(info, 0, sizeof *info);
    info->orientation = 1;
    info->fmt = img_sniff(buf, len);
    if (info->fmt == IMG_FMT_UNKNOWN) {
        snprintf(err, errlen, "not an image (unknown format)");
        return -1;
    }
    const char *label = img_formats[info->fmt].label;
    if (!img_formats[info->fmt].readable) {
        snprintf(err, errlen, "unsupported format: %s", label);
        return -1;
    }
    if (info->fmt >= IMG_FMT_WEBP)
        return img_probe_module(buf, len, max_pixels, info, err, errlen);
    if (len > INT_MAX) {
        snprintf(err, errlen, "%s: file too large (%zu bytes)", label, len);
        return -1;
    }
    if (info->fmt == IMG_FMT_JPG) {
        unsigned jw, jh, jc;
        if (jpeg_probe(buf, len, &jw, &jh, &jc, err, errlen) != 0)
            return -1;
        w = (int)jw, h = (int)jh, c = (int)jc;   /* libjpeg's limit: 65500 a side */
    } else if (!stbi_info_from_memory(buf, (int)len, &w, &h, &c)) {
        uint64_t hw, hh;
        if (img_header_size(info->fmt, buf, len, &hw, &hh) != 0 ||
            (img_check_size(hw, hh, max_pixels, info, err, errlen) == 0 &&
             img_check_stb_limit(buf, len, hw, hh, info, err, errlen) == 0))
            snprintf(err, errlen, "%s: corrupt or unsupported header", label);
        return -1;
    }
    if (info->fmt == IMG_FMT_BMP && h < 0 && h != INT_MIN)
        h = -h;                         /* top-down BMP: stbi_info keeps the sign */
    if (w < 1 || h < 1 || c < 1 || c > 4) {
        snprintf(err, errlen, "%s: corrupt header (size %dx%d, %d channels)", label, w, h, c);
        return -1;
    }
    if (img_check_size((unsigned)w, (unsigned)h, max_pixels, info, err, errlen) != 0)
        return -1;
    info->w = (unsigned)w;
    info->h = (unsigned)h;
    info->ch = (unsigned)c;
    if (info->fmt == IMG_FMT_JPG)
        info->orientation = img_jpeg_orientation(buf, len);
    else if (info->fmt == IMG_FMT_GIF)
        info->animated = img_gif_animated(buf, len);
    return 0;
}

/* Where dest pixel (x, y) comes from, per EXIF orientation: source index =
 * start + x * step_x + y * step_y, in pixels; w, h are the source size. */
static void img_orient_steps(int orientation, ptrdiff_t w, ptrdiff_t h,
                             ptrdiff_t *start, ptrdiff_t *step_x, ptrdiff_t *step_y)
{
    const ptrdiff_t last_row = (h - 1) * w, last_col = w - 1;
    switch (orientation) {
    case 2: *start = last_col;            *step_x = -1; *step_y = w;  break; /* mirror */
    case 3: *start = last_row + last_col; *step_x = -1; *step_y = -w; break; /* 180 */
    case 4: *start = last_row;            *step_x = 1;  *step_y = -w; break; /* flip */
    case 5: *start = 0;                   *step_x = w;  *step_y = 1;  break; /* transpose */
    case 6: *start = last_row;            *step_x = -w; *step_y = 1;  break; /* 90 CW */
    case 7: *start = last_row + last_col; *step_x = -w; *step_y = -1; break; /* transverse */
    case 8: *start = last_col;            *step_x = w;  *step_y = -1; break; /* 90 CCW */
    default: *start = 0;                  *step_x = 1;  *step_y = w;  break;
    }
}

int img_orient(struct img *im, int orientation, char *err, size_t errlen)
{
    ptrdiff_t start, sx, sy;
    int swap = orientation >= 5;
    unsigned ow = swap ? im->h : im->w, oh = swap ? im->w : im->h, ch = im->ch;
    unsigned char *out;

    if (orientation < 2 || orientation > 8)
        return 0;
    out = malloc((size_t)ow * oh * ch);
    if (!out) {
        snprintf(err, errlen, "out of memory rotating a %ux%u image", im->w, im->h);
        return -1;
    }
    img_orient_steps(orientation, im->w, im->h, &start, &sx, &sy);
    unsigned char *d = out;
    for (unsigned y = 0; y < oh; y++) {
        const unsigned char *row = im->px + (start + (ptrdiff_t)y * sy) * (ptrdiff_t)ch;
        for (unsigned x = 0; x < ow; x++, d += ch)
            memcpy(d, row + (ptrdiff_t)x * sx * (ptrdiff_t)ch, ch);
    }
    free(im->px);
    im->px = out;
    im->w = ow;
    im->h = oh;
    return 0;
}

struct img_codec {
    struct png_enc *png;
    struct png_dec *png_in;
    struct jpeg_dec *jpeg;
    struct jpeg_enc *jpeg_out;
    struct icc *icc;
};

int img_codec_create(struct img_codec **out, char *err, size_t errlen)
{
    struct img_codec *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (png_enc_create(&c->png, err, errlen) != 0 || png_dec_create(&c->png_in, err, errlen) != 0 ||
        jpeg_dec_create(&c->jpeg, err, errlen) != 0 ||
        jpeg_enc_create(&c->jpeg_out, err, errlen) != 0 || icc_create(&c->icc, err, errlen) != 0) {
        img_codec_destroy(c);
        return -1;
    }
    *out = c;
    return 0;
}

void img_codec_destroy(struct img_codec *c)
{
    if (!c)
        return;
    png_enc_destroy(c->png);
    png_dec_destroy(c->png_in);
    jpeg_dec_destroy(c->jpeg);
    jpeg_enc_destroy(c->jpeg_out);
    icc_destroy(c->icc);
    free(c);
}

/* The DCT scale for o's target, given in the upright frame (so swapped for
 * 90-degree EXIF turns). */
static unsigned img_jpeg_denom(const struct img_load_opts *o, const struct img_info *info)
{
    int turned = o->autorotate && info->orientation >= 5;
    unsigned tw = turned ? o->target_h : o->target_w, th = turned ? o->target_w : o->target_h;
    return jpeg_scale_for(info->w, info->h, tw, th);
}

/* libjpeg-turbo, for every JPEG, at the largest DCT scale that still covers
 * the target (given in the upright frame, so swapped for 90-degree EXIF
 * turns), with JPEG_DEC_* flags: 0 (a warning, if any, in info->warning), or
 * -1 with libjpeg's message. */
static int img_decode_jpeg(struct img_codec *c, const unsigned char *buf, size_t len,
                           const struct img_load_opts *o, unsigned flags, struct img_info *info,
                           struct img *out, char *err, size_t errlen)
{
    unsigned denom = img_jpeg_denom(o, info);
    int rc = jpeg_decode(c->jpeg, buf, len, denom, flags, o->max_pixels, out, err, errlen);
    if (rc == 1)
        snprintf(info->warning, sizeof info->warning, "%s", err);
    return rc < 0 ? -1 : 0;
}

/* WebP, TIFF, HEIC and AVIF: their module decodes (and fills m with the
 * file's ICC profile, EXIF and XMP, but for TIFF, whose metadata the meta
 * module reads; tiff_flags are TIFF_DEC_*; a HEIC's or AVIF's samples deeper
 * than 8 bits go through deep), then the result is checked
 * against what the probe promised: its size, or for a HEIC, which may give
 * its embedded thumbnail for o's target, something between the two. */
static int img_decode_module(const unsigned char *buf, size_t len, const struct img_load_opts *o,
                             unsigned tiff_flags, struct img_deep *deep, struct img_meta *m,
                             const struct img_info *info, struct img *out, char *err,
                             size_t errlen)
{
    int rc;
    unsigned min_w = info->w, min_h = info->h;
    switch (info->fmt) {
    case IMG_FMT_WEBP: rc = webp_decode(buf, len, out, m, err, errlen); break;
    case IMG_FMT_TIFF: rc = tiff_decode(buf, len, tiff_flags, out, err, errlen); break;
    case IMG_FMT_AVIF: rc = avif_decode_deep(buf, len, deep, out, m, err, errlen); break;
    default:
        if (o->target_w && o->target_h && o->target_w <= info->w && o->target_h <= info->h &&
            !o->no_embedded_thumbnail)
            min_w = o->target_w, min_h = o->target_h;
        rc = heic_decode_at_least(buf, len, min_w, min_h, deep, out, m, err, errlen);
        break;
    }
    if (rc == 0 && (out->w < min_w || out->h < min_h || out->w > info->w || out->h > info->h ||
                    out->ch < 1 || out->ch > 4)) {
        snprintf(err, errlen, "%s: decoder returned a bad image (%ux%u, %u channels)",
                 img_formats[info->fmt].label, out->w, out->h, out->ch);
        img_free(out);
        rc = -1;
    }
    return rc;
}

/* 1 if the decoder should hand over CMYK samples for m's profile: a CMYK
 * profile that will be converted and that lcms2 can use. One it cannot use
 * clears *convert, with the reason in info->note. */
static int img_cmyk_ready(struct img_codec *c, const struct img_meta *m, int *convert,
                          struct img_info *info)
{
    char why[96];
    if (!*convert || icc_space_of(m->icc, m->icc_len) != ICC_SPACE_CMYK)
        return 0;
    if (icc_prepare(c->icc, m->icc, m->icc_len, 4, why, sizeof why) >= 0)
        return 1;
    snprintf(info->note, sizeof info->note, "ICC profile not applied: %s", why);
    *convert = 0;
    return 0;
}

/* Where deep samples go (a TIFF's bands, a PNG whole, a HEIC's or an
 * AVIF's rows): converted by m's profile into 8-bit sRGB, or rounded. The
 * choice is made at the first samples, since a HEIC or AVIF decoder reads
 * the profile only after img_decode has handed it this. Rounded: nothing to
 * convert (keep_profile, no profile, an sRGB one), or a CMYK profile, which
 * would leave 3 samples where the decoder made room for 4 (the 8-bit
 * conversion handles that). Once lcms2 has refused the profile (the reason
 * then in info->note) the rest is rounded too. */
enum img_deep_state { IMG_DEEP_UNDECIDED = 0, IMG_DEEP_ROUNDED, IMG_DEEP_CONVERTED,
                      IMG_DEEP_REFUSED };

struct img_deep {
    struct icc *icc;
    const struct img_meta *m;   /* whose icc the decoder fills by the first row */
    int convert;                /* colours are to become sRGB (not keep_profile) */
    struct img *out;            /* img_deep_band's destination (a TIFF, a PNG) */
    struct img_info *info;      /* its note, once lcms2 refused */
    enum img_deep_state state;
};

static enum img_deep_state img_deep_decide(const struct img_deep *t, unsigned ch)
{
    char why[96];
    const struct img_meta *m = t->m;
    if (!t->convert || !m->icc || icc_space_of(m->icc, m->icc_len) == ICC_SPACE_CMYK ||
        icc_prepare(t->icc, m->icc, m->icc_len, ch, why, sizeof why) == 1)
        return IMG_DEEP_ROUNDED;
    return IMG_DEEP_CONVERTED;  /* or refused by icc_to_srgb16 itself, with the note */
}

/* 1 if t has dealt with the colours: the 8-bit conversion must not run again. */
static int img_deep_settled(const struct img_deep *t)
{
    return t->state == IMG_DEEP_CONVERTED || t->state == IMG_DEEP_REFUSED;
}

/* In place: n samples of `bits` bits (9..16) to the full 16-bit range,
 * rounded, which is what icc_to_srgb16 takes. */
static void img_samples_to_16(uint16_t *s, size_t n, unsigned bits)
{
    unsigned max = (1u << bits) - 1;
    for (size_t i = 0; bits < 16 && i < n; i++) {
        uint32_t v = s[i] > max ? max : s[i];
        s[i] = (uint16_t)((v * 65535u + max / 2) / max);
    }
}

/* n rows of w pixels of ch samples of `bits` bits from src (overwritten) to
 * 8 bits in dst, as t says. */
static void img_deep_convert(struct img_deep *t, uint16_t *src, unsigned bits, unsigned w,
                             unsigned n, unsigned ch, unsigned char *dst)
{
    size_t count = (size_t)w * n * ch;
    char why[96];
    if (t->state == IMG_DEEP_UNDECIDED)
        t->state = img_deep_decide(t, ch);
    if (t->state == IMG_DEEP_CONVERTED) {
        img_samples_to_16(src, count, bits);
        bits = 16;
        if (icc_to_srgb16(t->icc, t->m->icc, t->m->icc_len, src, w, n, ch, dst, why,
                          sizeof why) == 0)
            return;
        snprintf(t->info->note, sizeof t->info->note, "ICC profile not applied: %s", why);
        t->state = IMG_DEEP_REFUSED;
    }
    img_samples_to_8(src, count, bits, dst);
}

void img_deep_row(struct img_deep *d, uint16_t *src, unsigned w, unsigned ch, unsigned bits,
                  unsigned char *dst)
{
    if (d)
        img_deep_convert(d, src, bits, w, 1, ch, dst);
    else
        img_samples_to_8(src, (size_t)w * ch, bits, dst);
}

/* A band of 16-bit rows into t->out (tiff_rows_fn). */
static int img_deep_band(void *ctx, uint16_t *rows, unsigned y0, unsigned n, char *err,
                         size_t errlen)
{
    struct img_deep *t = ctx;
    const struct img *o = t->out;
    (void)err, (void)errlen;
    img_deep_convert(t, rows, 16, o->w, n, o->ch, o->px + (size_t)y0 * o->w * o->ch);
    return 0;
}

/* A 16-bit grey or RGB TIFF whose profile changes its colours: converted
 * from its 16-bit samples a band at a time (tiff_decode16, icc_to_srgb16),
 * so a wide-gamut gradient keeps steps of a level or two. 0 when done, 1
 * if it is no such TIFF or the profile is sRGB or unusable (the 8-bit path
 * then skips or refuses it), -1 with a message. */
static int img_decode_tiff16(const unsigned char *buf, size_t len, struct img_deep *deep,
                             struct img_info *info, struct img *out, char *err, size_t errlen)
{
    char why[96];
    const struct img_meta *m = deep->m;
    if (icc_prepare(deep->icc, m->icc, m->icc_len, info->ch, why, sizeof why) != 0)
        return 1;
    *out = (struct img){malloc((size_t)info->w * info->h * info->ch), info->w, info->h,
                        info->ch};
    if (!out->px) {
        snprintf(err, errlen, "TIFF: out of memory for %ux%u pixels", info->w, info->h);
        return -1;
    }
    deep->out = out;
    int rc = tiff_decode16(buf, len, img_deep_band, deep, err, errlen);
    if (rc != 0)
        img_free(out);
    return rc;
}

/* The JPEG decoder's flags for a profile icc that will be converted (NULL:
 * none). The luma shortcut for o->gray is wrong under an RGB or CMYK profile
 * (luma must come from the converted colours); a CMYK profile gets the CMYK
 * samples (img_cmyk_ready). */
static unsigned img_jpeg_flags(struct img_codec *c, const struct img_load_opts *o,
                               const struct img_meta *m, int *convert, struct img_info *info)
{
    enum icc_space space = *convert ? icc_space_of(m->icc, m->icc_len) : ICC_SPACE_OTHER;
    unsigned flags =
        o->gray && (!m->icc || !*convert || space == ICC_SPACE_GRAY) ? JPEG_DEC_GRAY : 0;
    return flags | (img_cmyk_ready(c, m, convert, info) ? JPEG_DEC_CMYK : 0);
}

/* The metadata o asks for, read into o->meta, or into own when nobody asked:
 * the profile is read anyway, since by default the pixels are converted with
 * it. Blobs already there are kept. Returns where it went; a note about a
 * malformed block in info->note. */
static struct img_meta *img_read_meta(const struct img_load_opts *o, const unsigned char *buf,
                                      size_t len, struct img_info *info, struct img_meta *own)
{
    struct img_meta *m = o->meta ? o->meta : own;
    unsigned want = o->meta ? META_ALL : o->keep_profile ? 0 : META_ICC;
    if (want)
        meta_read(info->fmt, buf, len, want, m, info->note, sizeof info->note);
    return m;
}

/* Pixels in profile m->icc to sRGB; if that fails, they stay as decoded,
 * with the reason in info->note. */
static void img_to_srgb(struct img_codec *c, const struct img_meta *m, struct img *im,
                        int cmyk, struct img_info *info)
{
    char why[96];
    if (!cmyk && icc_space_of(m->icc, m->icc_len) == ICC_SPACE_CMYK)
        snprintf(info->note, sizeof info->note,
                 "ICC profile not applied: a CMYK profile on %s pixels",
                 im->ch == 4 ? "RGBA" : im->ch == 3 ? "RGB" : "gray");
    else if (icc_to_srgb(c->icc, m->icc, m->icc_len, im, why, sizeof why) != 0)
        snprintf(info->note, sizeof info->note, "ICC profile not applied: %s", why);
}

/* stb_image's result checked: stbi_info and stbi_load may disagree
 * (channels for tRNS PNGs; in theory sizes), so what was decoded is
 * trusted and checked again. 0, or -1 with a message. */
static int img_stb_check(const struct img_load_opts *o, const struct img_info *info, int w,
                         int h, int c, char *err, size_t errlen)
{
    if (w >= 1 && h >= 1 && c >= 1 && c <= 4 &&
        (!o->max_pixels || (uint64_t)w * (uint64_t)h <= o->max_pixels))
        return 0;
    snprintf(err, errlen, "%s: decoder returned a bad image (%dx%d, %d channels)",
             img_formats[info->fmt].label, w, h, c);
    return -1;
}

static void img_stb_failed(const struct img_info *info, char *err, size_t errlen)
{
    const char *why = stbi_failure_reason();
    snprintf(err, errlen, "%s: %s", img_formats[info->fmt].label,
             why && *why ? why : "corrupt or unsupported data");
}

/* The stb_image path: every format but JPEG, the module formats, and the
 * PNGs png_decode left alone. */
static int img_decode_stb(const unsigned char *buf, size_t len, const struct img_load_opts *o,
                          const struct img_info *info, struct img *out, char *err,
                          size_t errlen)
{
    int w = 0, h = 0, c = 0;
    unsigned char *px = stbi_load_from_memory(buf, (int)len, &w, &h, &c, 0);
    if (!px) {
        img_stb_failed(info, err, errlen);
        return -1;
    }
    if (img_stb_check(o, info, w, h, c, err, errlen) != 0) {
        stbi_image_free(px);
        return -1;
    }
    /* stbi_image_free is free() in libstb: the buffer may go to img_free. */
    *out = (struct img){px, (unsigned)w, (unsigned)h, (unsigned)c};
    return 0;
}

/* A 16-bit PNG: loaded at 16 bits (stb's 8-bit load keeps the high byte,
 * which truncates), then converted by its profile from all 16 bits where
 * that changes its colours, else rounded (deep). 0, 1 if buf is no 16-bit
 * PNG, or -1 with a message. */
static int img_decode_png16(const unsigned char *buf, size_t len, const struct img_load_opts *o,
                            struct img_deep *deep, struct img_info *info, struct img *out,
                            char *err, size_t errlen)
{
    if (info->fmt != IMG_FMT_PNG || !stbi_is_16_bit_from_memory(buf, (int)len))
        return 1;
    int w = 0, h = 0, ch = 0;
    stbi_us *px = stbi_load_16_from_memory(buf, (int)len, &w, &h, &ch, 0);
    if (!px) {
        img_stb_failed(info, err, errlen);
        return -1;
    }
    struct img im = {NULL, (unsigned)w, (unsigned)h, (unsigned)ch};
    int rc = img_stb_check(o, info, w, h, ch, err, errlen);
    if (rc == 0 && !(im.px = malloc((size_t)im.w * im.h * im.ch))) {
        snprintf(err, errlen, "PNG: out of memory for %ux%u pixels", im.w, im.h);
        rc = -1;
    }
    if (rc == 0) {
        *out = im;
        deep->out = out;
        img_deep_band(deep, px, 0, im.h, err, errlen);
    }
    stbi_image_free(px);
    return rc;
}

/* info after a decode into w x h (upright) with ch channels: the full
 * upright size, which is the decoded one unless a reduced scale was used. */
static void img_decoded_info(const struct img_load_opts *o, struct img_info *info, unsigned w,
                             unsigned h, unsigned ch, int scaled)
{
    if (!scaled) {
        info->w = w;
        info->h = h;
    } else if (o->autorotate && info->orientation >= 5) {
        unsigned t = info->w;
        info->w = info->h;
        info->h = t;
    }
    info->ch = ch;
}

/* The header a decode starts from: the caller's probe result (so a header
 * and its EXIF are read once), else img_probe. 0, or -1 with a message. */
static int img_decode_header(const unsigned char *buf, size_t len, const struct img_load_opts *o,
                             struct img_info *info, char *err, size_t errlen)
{
    if (o->probed) {
        *info = *o->probed;
        return 0;
    }
    return img_probe(buf, len, o->max_pixels, info, err, errlen);
}

int img_codec_decode(struct img_codec *c, const unsigned char *buf, size_t len,
                     const struct img_load_opts *o, struct img *out, struct img_info *info,
                     char *err, size_t errlen)
{
    struct img_info local;
    struct img_load_opts none = {0};
    struct img_meta own = {0};

    if (!info)
        info = &local;
    if (!o)
        o = &none;
    memset(out, 0, sizeof *out);
    if (img_decode_header(buf, len, o, info, err, errlen) != 0)
        return -1;
    struct img_meta *m = img_read_meta(o, buf, len, info, &own);
    struct img_deep deep = {c->icc, m, !o->keep_profile, NULL, info, IMG_DEEP_UNDECIDED};
    int convert = m->icc && !o->keep_profile;
    int done = 0, scaled = 0, rc = 0;
    int cmyk = 0;   /* the decoder handed over CMYK samples, for a CMYK profile */
    if (info->fmt == IMG_FMT_JPG) {
        unsigned flags = img_jpeg_flags(c, o, m, &convert, info);
        rc = img_decode_jpeg(c, buf, len, o, flags, info, out, err, errlen);
        done = 1, scaled = out->w != info->w || out->h != info->h;
        cmyk = (flags & JPEG_DEC_CMYK) && out->ch == 4;   /* a JPEG has no alpha */
    } else if (info->fmt == IMG_FMT_PNG) {
        done = png_decode(c->png_in, buf, len, o->max_pixels, &out->px, &out->w, &out->h,
                          &out->ch) == 0;
    } else if (info->fmt == IMG_FMT_TIFF) {     /* its profile is in m already */
        rc = convert ? img_decode_tiff16(buf, len, &deep, info, out, err, errlen) : 1;
        if (rc == 1) {
            unsigned flags = img_cmyk_ready(c, m, &convert, info) ? TIFF_DEC_CMYK : 0;
            rc = img_decode_module(buf, len, o, flags, &deep, m, info, out, err, errlen);
            /* 3 colours and no alpha to the probe, 4 samples out: CMYK */
            cmyk = (flags & TIFF_DEC_CMYK) && info->ch == 3 && out->ch == 4;
        }
        done = 1;
    } else if (info->fmt >= IMG_FMT_WEBP) {
        rc = img_decode_module(buf, len, o, 0, &deep, m, info, out, err, errlen);
        done = 1, convert = m->icc && !o->keep_profile;
        scaled = rc == 0 && (out->w != info->w || out->h != info->h);
    }
    if (rc == 0 && !done) {
        rc = img_decode_png16(buf, len, o, &deep, info, out, err, errlen);
        if (rc == 1)
            rc = img_decode_stb(buf, len, o, info, out, err, errlen);
    }
    if (rc == 0 && convert && !img_deep_settled(&deep))
        img_to_srgb(c, m, out, cmyk, info);
    if (!o->keep_profile) {             /* converted, or refused: it no longer describes them */
        free(m->icc);
        m->icc = NULL;
        m->icc_len = 0;
    }
    if (rc == 0 && o->autorotate && img_orient(out, info->orientation, err, errlen) != 0) {
        img_free(out);
        rc = -1;
    }
    img_meta_free(&own);
    if (rc != 0)
        return -1;
    img_decoded_info(o, info, out->w, out->h, out->ch, scaled);
    return 0;
}

int img_decode(const unsigned char *buf, size_t len, const struct img_load_opts *o,
               struct img *out, struct img_info *info, char *err, size_t errlen)
{
    struct img_codec *c;
    memset(out, 0, sizeof *out);
    if (img_codec_create(&c, err, errlen) != 0)
        return -1;
    int rc = img_codec_decode(c, buf, len, o, out, info, err, errlen);
    img_codec_destroy(c);
    return rc;
}

int img_gray(struct img *im, char *err, size_t errlen)
{
    unsigned ch = im->ch, och = ch == 4 ? 2 : 1;
    size_t n = (size_t)im->w * im->h;
    (void)err;
    (void)errlen;
    if (ch < 3)
        return 0;
    /* Forward in place: the write position never passes the read position. */
    for (size_t i = 0; i < n; i++) {
        const unsigned char *s = im->px + i * ch;
        unsigned char *d = im->px + i * och;
        unsigned luma = (299u * s[0] + 587u * s[1] + 114u * s[2] + 500u) / 1000u;
        unsigned char alpha = ch == 4 ? s[3] : 0;
        d[0] = (unsigned char)luma;
        if (och == 2)
            d[1] = alpha;
    }
    im->ch = och;
    unsigned char *smaller = realloc(im->px, n * och);
    if (smaller)                    /* shrinking failed: the old block still works */
        im->px = smaller;
    return 0;
}

int img_drop_opaque_alpha(struct img *im)
{
    unsigned ch = im->ch, och = ch - 1;
    size_t n = (size_t)im->w * im->h;
    if (ch != 2 && ch != 4)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (im->px[i * ch + och] != 255)
            return 0;
    const unsigned char *from = im->px;
    unsigned char *to = im->px;             /* forward: the write never passes the read */
    for (size_t i = 0; i < n; i++, from += ch)
        for (unsigned c = 0; c < och; c++)
            *to++ = from[c];
    im->ch = och;
    return 1;
}

/* 1 if a w x h x ch buffer and its row stride fit stb's int arguments. */
static int img_size_ok(unsigned w, unsigned h, unsigned ch)
{
    return w >= 1 && h >= 1 && w <= IMG_MAX_SIDE && h <= IMG_MAX_SIDE &&
           (uint64_t)w * ch <= INT_MAX && (uint64_t)w * h * ch <= SIZE_MAX / 2;
}

int img_resize(struct img *im, unsigned w, unsigned h, char *err, size_t errlen)
{
    if (w == im->w && h == im->h)
        return 0;
    if (!img_size_ok(w, h, im->ch)) {
        snprintf(err, errlen, "cannot resize to %ux%u: bad size", w, h);
        return -1;
    }
    unsigned char *out = malloc((size_t)w * h * im->ch);
    if (!out || resample_u8(im->px, im->w, im->h, im->ch, out, w, h) != 0) {
        free(out);
        snprintf(err, errlen, "out of memory resizing %ux%u to %ux%u", im->w, im->h, w, h);
        return -1;
    }
    free(im->px);
    im->px = out;
    im->w = w;
    im->h = h;
    return 0;
}

/* Writes n bytes to fd. 0, or the errno of the failed write. */
static int img_write_errno(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? errno : EIO;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* stb_image_write's output sink: buffered (its writers hand over a few bytes
 * at a time), written to fd, remembers the first error. */
struct img_sink {
    int fd;
    int error;          /* errno of the first failed write, 0 if none */
    long long bytes;
    size_t used;
    unsigned char buf[1 << 16];
};

static void img_sink_flush(struct img_sink *s)
{
    if (!s->error && s->used)
        s->error = img_write_errno(s->fd, s->buf, s->used);
    if (!s->error)
        s->bytes += (long long)s->used;
    s->used = 0;
}

static void img_sink_write(void *ctx, void *data, int size)
{
    struct img_sink *s = ctx;
    const unsigned char *p = data;
    while (size > 0 && !s->error) {
        size_t n = sizeof s->buf - s->used;
        if (n > (size_t)size)
            n = (size_t)size;
        memcpy(s->buf + s->used, p, n);
        s->used += n;
        p += n;
        size -= (int)n;
        if (s->used == sizeof s->buf)
            img_sink_flush(s);
    }
}

/* A copy of im without its alpha channel, composited onto white. */
static unsigned char *img_flatten_white(const struct img *im)
{
    unsigned och = im->ch - 1;
    size_t n = (size_t)im->w * im->h;
    unsigned char *out = malloc(n * och);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *s = im->px + i * im->ch;
        unsigned a = s[och];
        for (unsigned k = 0; k < och; k++)
            out[i * och + k] = (unsigned char)((s[k] * a + 255u * (255u - a) + 127u) / 255u);
    }
    return out;
}

static long long img_encode_png(struct img_codec *c, const struct img *im, int level,
                                const struct img_meta *meta, int fd, char *err, size_t errlen)
{
    size_t n;
    const unsigned char *png = png_encode(c->png, im->px, im->w, im->h, im->ch,
                                          level ? level : PNG_LEVEL_DEFAULT, meta, &n, err, errlen);
    if (!png)
        return -1;
    return img_write_fd(fd, png, n, err, errlen) == 0 ? (long long)n : -1;
}

/* im without its alpha channel, composited onto white, into *flat (NULL
 * when im has no alpha: *flat is im itself). 0, or -1 out of memory. */
static int img_drop_alpha(const struct img *im, struct img *flat, char *err, size_t errlen)
{
    *flat = *im;
    if (im->ch != 2 && im->ch != 4)
        return 0;
    flat->ch = im->ch - 1;
    if (!(flat->px = img_flatten_white(im))) {
        snprintf(err, errlen, "out of memory encoding %ux%u", im->w, im->h);
        return -1;
    }
    return 0;
}

static long long img_encode_jpeg(struct img_codec *c, const struct img *im,
                                 const struct img_save_opts *so, int fd, char *err,
                                 size_t errlen)
{
    struct img flat;
    if (img_drop_alpha(im, &flat, err, errlen) != 0)
        return -1;
    long long n = jpeg_encode(c->jpeg_out, &flat, so, fd, err, errlen);
    if (flat.px != im->px)
        free(flat.px);
    return n;
}

/* BMP and TGA through stb_image_write. */
static long long img_encode_stb(const struct img *im, enum img_format fmt, int fd,
                                char *err, size_t errlen)
{
    struct img_sink *sink = malloc(sizeof *sink);
    struct img flat = *im;
    int ok = 0;

    if (!sink) {
        snprintf(err, errlen, "out of memory encoding %ux%u", im->w, im->h);
        return -1;
    }
    *sink = (struct img_sink){.fd = fd};
    if (fmt == IMG_FMT_BMP && img_drop_alpha(im, &flat, err, errlen) != 0) {
        free(sink);
        return -1;
    }
    int w = (int)flat.w, h = (int)flat.h, ch = (int)flat.ch;
    if (fmt == IMG_FMT_BMP)
        ok = stbi_write_bmp_to_func(img_sink_write, sink, w, h, ch, flat.px);
    else
        ok = stbi_write_tga_to_func(img_sink_write, sink, w, h, ch, flat.px);
    if (flat.px != im->px)
        free(flat.px);
    img_sink_flush(sink);
    int error = sink->error;
    long long bytes = sink->bytes;
    free(sink);
    if (error) {
        snprintf(err, errlen, "write error: %s", strerror(error));
        return -1;
    }
    if (!ok) {
        snprintf(err, errlen, "cannot encode %ux%u as %s (out of memory?)", im->w, im->h,
                 img_format_name(fmt));
        return -1;
    }
    return bytes;
}

/* 0 if every field of so is in range, else -1 with a message. */
static int img_save_opts_ok(const struct img_save_opts *so, char *err, size_t errlen)
{
    if (so->quality < 0 || so->quality > 100) {
        snprintf(err, errlen, "bad quality %d (1..100, 0 = the format's default)", so->quality);
        return -1;
    }
    if ((unsigned)so->sampling > IMG_SAMPLING_444) {
        snprintf(err, errlen, "bad JPEG sampling %d", (int)so->sampling);
        return -1;
    }
    if (so->png_level < 0 || so->png_level > PNG_LEVEL_MAX) {
        snprintf(err, errlen, "bad PNG level %d (1..%d, 0 = default %d)", so->png_level,
                 PNG_LEVEL_MAX, PNG_LEVEL_DEFAULT);
        return -1;
    }
    return 0;
}

/* so, or a copy in *fitted without an ICC profile that does not describe
 * ch-channel output: a profile tags the pixels it came with, so an RGB one
 * cannot tag a gray result (PNG readers reject that), nor a CMYK one any
 * output. *no_icc holds the copy's metadata. */
static const struct img_save_opts *img_fit_meta(const struct img_save_opts *so, unsigned ch,
                                                struct img_save_opts *fitted,
                                                struct img_meta *no_icc)
{
    enum icc_space want = ch >= 3 ? ICC_SPACE_RGB : ICC_SPACE_GRAY;
    if (!so->meta || !so->meta->icc || icc_space_of(so->meta->icc, so->meta->icc_len) == want)
        return so;
    *no_icc = *so->meta;
    no_icc->icc = NULL;
    no_icc->icc_len = 0;
    *fitted = *so;
    fitted->meta = no_icc;
    return fitted;
}

long long img_codec_encode(struct img_codec *c, const struct img *im, enum img_format fmt,
                           const struct img_save_opts *so, int fd, char *err, size_t errlen)
{
    struct img_save_opts defaults = {0};
    if (!so)
        so = &defaults;
    if (!img_format_writable(fmt)) {
        snprintf(err, errlen, "cannot write %s images (use png, jpg, webp, avif, tiff, bmp or tga)",
                 img_format_name(fmt));
        return -1;
    }
    if (!im->px || im->ch < 1 || im->ch > 4 || !img_size_ok(im->w, im->h, im->ch)) {
        snprintf(err, errlen, "cannot encode: bad image (%ux%u, %u channels)", im->w, im->h,
                 im->ch);
        return -1;
    }
    if (img_save_opts_ok(so, err, errlen) != 0)
        return -1;
    struct img_save_opts fitted;
    struct img_meta no_icc;
    so = img_fit_meta(so, im->ch, &fitted, &no_icc);
    switch (fmt) {
    case IMG_FMT_PNG:
        return img_encode_png(c, im, so->png_level, so->meta, fd, err, errlen);
    case IMG_FMT_JPG:
        return img_encode_jpeg(c, im, so, fd, err, errlen);
    case IMG_FMT_WEBP:
        return webp_encode(im, so->quality ? so->quality : IMG_WEBP_QUALITY, so->lossless,
                           so->meta, fd, err, errlen);
    case IMG_FMT_AVIF:
        return heic_encode_avif(im, so->quality ? so->quality : IMG_AVIF_QUALITY, so->meta, fd,
                                err, errlen);
    case IMG_FMT_TIFF:
        return tiff_encode(im, so->meta, fd, err, errlen);
    default:
        return img_encode_stb(im, fmt, fd, err, errlen);
    }
}

long long img_encode(const struct img *im, enum img_format fmt, int quality, int fd,
                     char *err, size_t errlen)
{
    struct img_codec *c;
    struct img_save_opts so = {.quality = quality};
    if (img_codec_create(&c, err, errlen) != 0)
        return -1;
    long long n = img_codec_encode(c, im, fmt, &so, fd, err, errlen);
    img_codec_destroy(c);
    return n;
}

/* ---- JPEG to JPEG in YCbCr ---- */

int img_codec_decode_planes(struct img_codec *c, const unsigned char *buf, size_t len,
                            const struct img_load_opts *o, struct img_planes *out,
                            struct img_info *info, char *err, size_t errlen)
{
    struct img_info local;
    struct img_load_opts none = {0};
    if (!info)
        info = &local;
    if (!o)
        o = &none;
    memset(out, 0, sizeof *out);
    if (img_decode_header(buf, len, o, info, err, errlen) != 0)
        return -1;
    if (info->fmt != IMG_FMT_JPG)
        return 1;
    struct img_meta own = {0};
    int colour = img_read_meta(o, buf, len, info, &own)->icc && !o->keep_profile;
    img_meta_free(&own);
    if (colour)
        return 1;                       /* the colours need a transform: through RGB */
    int rc;
    if (o->gray) {
        /* libjpeg's grayscale output is the Y plane already (chroma never
         * decoded); a CMYK file comes out RGB and is made gray here. */
        rc = img_decode_jpeg(c, buf, len, o, JPEG_DEC_GRAY, info, &out->plane[0], err, errlen);
        if (rc == 0 && img_gray(&out->plane[0], err, errlen) != 0)
            rc = -1;
        out->n = 1;
        out->w = out->plane[0].w;
        out->h = out->plane[0].h;
        out->sx[0] = out->sy[0] = 1;
    } else {
        rc = jpeg_decode_planes(c->jpeg, buf, len, img_jpeg_denom(o, info), o->max_pixels, out,
                                err, errlen);
        if (rc == 2)
            return 1;
        if (rc == 1)
            snprintf(info->warning, sizeof info->warning, "%s", err);
    }
    if (rc < 0) {
        img_planes_free(out);
        return -1;
    }
    int scaled = out->w != info->w || out->h != info->h;
    for (unsigned i = 0; o->autorotate && i < out->n; i++)
        if (img_orient(&out->plane[i], info->orientation, err, errlen) != 0) {
            img_planes_free(out);
            return -1;
        }
    if (o->autorotate && info->orientation >= 5) {
        unsigned t = out->w;
        out->w = out->h;
        out->h = t;
        for (unsigned i = 0; i < out->n; i++) {
            t = out->sx[i];
            out->sx[i] = out->sy[i];
            out->sy[i] = t;
        }
    }
    img_decoded_info(o, info, out->w, out->h, out->n, scaled);
    return 0;
}

void img_planes_gray(struct img_planes *p)
{
    for (unsigned i = 1; i < p->n; i++)
        img_free(&p->plane[i]);
    p->n = 1;
}

/* in averaged over fx x fy blocks into out (its size set, pixels not yet
 * allocated): what libjpeg's own downsampler does to chroma, partial blocks
 * at the edges averaging the samples they have. 0, or -1 out of memory. */
static int img_plane_box(const struct img *in, unsigned fx, unsigned fy, struct img *out)
{
    if (!(out->px = malloc((size_t)out->w * out->h)))
        return -1;
    for (unsigned y = 0; y < out->h; y++)
        for (unsigned x = 0; x < out->w; x++) {
            unsigned sum = 0, n = 0;
            for (unsigned yy = y * fy; yy < (y + 1) * fy && yy < in->h; yy++)
                for (unsigned xx = x * fx; xx < (x + 1) * fx && xx < in->w; xx++, n++)
                    sum += in->px[(size_t)yy * in->w + xx];
            out->px[(size_t)y * out->w + x] = (unsigned char)((sum + n / 2) / n);
        }
    return 0;
}

/* Plane i of p for an image of w x h whose chroma is sampled sx x sy, into
 * *to (size set). Chroma goes as in the RGB path: resampled onto the image's
 * pixel grid (centres lined up in image pixels, also where a plane overhangs
 * an odd-sized image), then box-averaged to sx x sy as libjpeg's encoder
 * would; a softer chroma filter measured up to 0.8 dB worse. Y is resized in
 * linear light as if it were a gray image's: it is not light on its own in
 * a colour image, but close enough that this halves the distance to the RGB
 * path's linear-light result where luma is resampled (tests/integration/
 * 17-jpeg-planes.sh: 800x600 to 300x225, 0.54 dB below the RGB path as it
 * was, 0.19 dB so; a saturated red on blue at 37x23, 0.55 and 0.37 dB).
 * Cb and Cr are filtered as they are. 0, or -1 out of memory. */
static int img_plane_resample(const struct img_planes *p, unsigned i, unsigned w, unsigned h,
                              unsigned sx, unsigned sy, struct img *to)
{
    const struct img *from = &p->plane[i];
    struct img grid = {NULL, w, h, 1};
    struct resample_opts ro = {
        .space = i == 0 ? RESAMPLE_SRGB : RESAMPLE_AS_IS,
        .scale_x = (double)p->w / w / p->sx[i],
        .scale_y = (double)p->h / h / p->sy[i],
    };
    int same = from->w == w && from->h == h && p->sx[i] == 1 && p->sy[i] == 1;
    if (same)
        grid = *from;
    else if (!(grid.px = malloc((size_t)w * h)) ||
             resample_u8_with(from->px, from->w, from->h, 1, grid.px, w, h, &ro) != 0) {
        free(grid.px);
        return -1;
    }
    int rc = 0;
    if (sx == 1 && sy == 1 && !same)
        *to = grid;
    else
        rc = img_plane_box(&grid, sx, sy, to);
    if (!same && grid.px != to->px)
        free(grid.px);
    return rc;
}

int img_planes_resize(struct img_planes *p, unsigned w, unsigned h,
                      const struct img_save_opts *so, char *err, size_t errlen)
{
    struct img next[3] = {{0}};
    unsigned sx[3] = {1, 1, 1}, sy[3] = {1, 1, 1};
    if (!img_size_ok(w, h, 1)) {
        snprintf(err, errlen, "cannot resize to %ux%u: bad size", w, h);
        return -1;
    }
    for (unsigned i = 0; i < p->n; i++) {
        const struct img *from = &p->plane[i];
        if (i > 0)
            jpeg_chroma_factors(so->sampling, &sx[i], &sy[i]);
        next[i] = (struct img){NULL, 0, 0, 1};
        jpeg_plane_size(so->sampling, w, h, i, &next[i].w, &next[i].h);
        if (next[i].w == from->w && next[i].h == from->h && w == p->w && h == p->h &&
            sx[i] == p->sx[i] && sy[i] == p->sy[i])
            continue;                   /* already what the encoder wants */
        if (img_plane_resample(p, i, w, h, sx[i], sy[i], &next[i]) != 0) {
            for (unsigned k = 0; k <= i; k++)
                img_free(&next[k]);
            snprintf(err, errlen, "out of memory resizing %ux%u to %ux%u", p->w, p->h, w, h);
            return -1;
        }
    }
    for (unsigned i = 0; i < p->n; i++) {
        if (next[i].px) {
            img_free(&p->plane[i]);
            p->plane[i] = next[i];
        }
        p->sx[i] = sx[i];
        p->sy[i] = sy[i];
    }
    p->w = w;
    p->h = h;
    return 0;
}

long long img_codec_encode_planes(struct img_codec *c, struct img_planes *p,
                                  const struct img_save_opts *so, int fd, char *err,
                                  size_t errlen)
{
    struct img_save_opts defaults = {0};
    if (!so)
        so = &defaults;
    if (img_save_opts_ok(so, err, errlen) != 0 ||
        img_planes_resize(p, p->w, p->h, so, err, errlen) != 0)
        return -1;
    struct img_save_opts fitted;
    struct img_meta no_icc;
    so = img_fit_meta(so, p->n, &fitted, &no_icc);
    return jpeg_encode_planes(c->jpeg_out, p, so, fd, err, errlen);
}

void img_planes_free(struct img_planes *p)
{
    if (!p)
        return;
    for (unsigned i = 0; i < 3; i++)
        img_free(&p->plane[i]);
    memset(p, 0, sizeof *p);
}

int img_write_fd(int fd, const unsigned char *p, size_t n, char *err, size_t errlen)
{
    int e = img_write_errno(fd, p, n);
    if (e)
        snprintf(err, errlen, "write error: %s", strerror(e));
    return e ? -1 : 0;
}

void img_samples_to_8(const uint16_t *src, size_t n, unsigned bits, unsigned char *dst)
{
    unsigned max = (1u << bits) - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned v = src[i] > max ? max : src[i];
        dst[i] = (unsigned char)((v * 255u + max / 2) / max);
    }
}

static int img_is_tiff_header(const unsigned char *p, size_t n)
{
    return n >= 8 && (memcmp(p, "II*\0", 4) == 0 || memcmp(p, "MM\0*", 4) == 0);
}

void img_meta_exif_unwrap(struct img_meta *m)
{
    if (!m->exif || img_is_tiff_header(m->exif, m->exif_len))
        return;
    size_t app1 = meta_exif_app1_header(m->exif, m->exif_len);
    if (app1 && img_is_tiff_header(m->exif + app1, m->exif_len - app1)) {
        m->exif_len -= app1;
        memmove(m->exif, m->exif + app1, m->exif_len);
        return;
    }
    size_t off = m->exif_len >= 4 ? img_be32(m->exif) : SIZE_MAX;
    if (off <= m->exif_len - 4 && img_is_tiff_header(m->exif + 4 + off, m->exif_len - 4 - off)) {
        m->exif_len -= 4 + off;
        memmove(m->exif, m->exif + 4 + off, m->exif_len);
        return;
    }
    free(m->exif);              /* no TIFF header anywhere: not usable EXIF */
    m->exif = NULL;
    m->exif_len = 0;
}

void img_meta_free(struct img_meta *m)
{
    if (!m)
        return;
    free(m->icc);
    free(m->exif);
    free(m->xmp);
    memset(m, 0, sizeof *m);
}

void img_free(struct img *im)
{
    if (!im)
        return;
    free(im->px);
    memset(im, 0, sizeof *im);
}
