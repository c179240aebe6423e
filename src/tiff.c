/* tiff.c — TIFF through libtiff, over a memory buffer (TIFFClientOpenExt).
 *
 * Design note. libtiff's RGBA interface (TIFFRGBAImage) walks strips and
 * tiles and converts palette, YCbCr and odd bit depths; imgpool uses it for
 * every page but CMYK ones. Its own routines for plain grey and RGB have two
 * faults for us: 16-bit grey keeps the high byte (truncation) and alpha
 * always comes back premultiplied. So for contiguous 8- and 16-bit grey and
 * RGB (the common TIFF) a routine of ours is plugged into its `put.contig`
 * slot: samples rounded to 8 bits (v + 128) / 257, alpha as stored. The
 * raster is 4 bytes a pixel and is packed down to the file's channels in
 * place.
 *
 * CMYK (8- or 16-bit, contiguous or planar, strips or tiles) does not go
 * through the RGBA interface at all: it refuses 16-bit CMYK outright ("can
 * not handle image") and hands planar CMYK over only through its own
 * formula, so a CMYK profile could not convert it. Those files are read
 * strip by strip or tile by tile here (TIFFReadEncodedStrip/Tile) into CMYK
 * samples, which the profile converts, or which the plain formula turns into
 * RGB, as libtiff's would.
 *
 * Pixels come out in the file's own orientation (the raster is asked for so):
 * libtiff would only flip it (it cannot turn rows into columns, so the four
 * 90-degree orientations came out wrong), and img.c turns it as it turns a
 * JPEG by its EXIF orientation, with --no-autorotate obeyed the same way.
 *
 * EXIF into a written file. The EXIF block for an output is a TIFF structure
 * itself, its offsets counted from its own 8-byte header. Written in the
 * block's byte order, right after the file's header, everything in it keeps
 * its offset: the file's directory (libtiff's) then only points at the
 * block's EXIF and GPS directories and copies the camera tags of its first
 * one. Every entry, maker notes and GPS included, stays byte for byte, which
 * libtiff's own EXIF writer (TIFFCreateEXIFDirectory, one TIFFSetField per
 * tag) would not do: it takes rationals as floating point and knows no tag
 * outside its table. libtiff appends strips and its directory at the end of
 * the file, after the block.
 *
 * libtiff reports through handlers; by default they print to stderr. Each
 * file gets its own (TIFFOpenOptions, libtiff 4.5), which keep the first
 * error in the file's error buffer; the global handlers are set to NULL once
 * for the rare message raised before a file's handlers exist. A ceiling on
 * any single libtiff allocation stops a header that asks for a huge strip
 * buffer before the worker's address-space limit has to.
 */
#include "imgpool/tiff.h"

#include "imgpool/meta.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tiffio.h>

/* libtiff's largest single allocation (strip or tile buffers, tag arrays). */
#define TIFF_MAX_ALLOC ((tmsize_t)1 << 30)

/* A TIFF file in memory, read or written by libtiff through the procs below. */
struct tiff_mem {
    unsigned char *buf;     /* read: the caller's buffer (not written); write: ours */
    size_t len, cap, pos;
    char *err;              /* where the first libtiff error goes */
    size_t errlen;
    int failed;             /* an error was recorded */
};

static tmsize_t tiff_mem_read(thandle_t h, void *p, tmsize_t n)
{
    struct tiff_mem *m = h;
    size_t left = m->pos < m->len ? m->len - m->pos : 0;
    size_t k = n < 0 ? 0 : (size_t)n < left ? (size_t)n : left;
    if (k == 0)
        return 0;
    memcpy(p, m->buf + m->pos, k);
    m->pos += k;
    return (tmsize_t)k;
}

static tmsize_t tiff_mem_write(thandle_t h, void *p, tmsize_t n)
{
    struct tiff_mem *m = h;
    if (n < 0 || m->pos > SIZE_MAX / 2 - (size_t)n)
        return -1;
    size_t end = m->pos + (size_t)n;
    if (end > m->cap) {
        size_t cap = m->cap ? m->cap : 1 << 16;
        while (cap < end)
            cap *= 2;
        unsigned char *b = realloc(m->buf, cap);
        if (!b)
            return -1;
        m->buf = b;
        m->cap = cap;
    }
    if (m->pos > m->len)                /* a seek past the end leaves a hole */
        memset(m->buf + m->len, 0, m->pos - m->len);
    memcpy(m->buf + m->pos, p, (size_t)n);
    m->pos = end;
    if (end > m->len)
        m->len = end;
    return n;
}

static toff_t tiff_mem_seek(thandle_t h, toff_t off, int whence)
{
    struct tiff_mem *m = h;
    uint64_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->len : 0;
    if (off > (uint64_t)SIZE_MAX / 2 - base)
        return (toff_t)-1;
    m->pos = (size_t)(base + off);
    return m->pos;
}

static int tiff_mem_close(thandle_t h) { (void)h; return 0; }
static toff_t tiff_mem_size(thandle_t h) { return ((struct tiff_mem *)h)->len; }

/* Reading: libtiff takes strips straight from the buffer instead of copying. */
static int tiff_mem_map(thandle_t h, void **base, toff_t *size)
{
    struct tiff_mem *m = h;
    *base = m->buf;
    *size = m->len;
    return 1;
}

static void tiff_mem_unmap(thandle_t h, void *base, toff_t size)
{
    (void)h, (void)base, (void)size;
}

static int tiff_on_error(TIFF *t, void *user, const char *module, const char *fmt, va_list ap)
{
    struct tiff_mem *m = user;
    (void)t, (void)module;
    if (m && !m->failed) {
        char msg[200];
        vsnprintf(msg, sizeof msg, fmt, ap);
        snprintf(m->err, m->errlen, "TIFF: %s", msg);
        m->failed = 1;
    }
    return 1;                           /* handled: not passed to the global handler */
}

static int tiff_on_warning(TIFF *t, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)t, (void)user, (void)module, (void)fmt, (void)ap;
    return 1;                           /* unknown tags and the like: not the user's business */
}

static pthread_once_t tiff_once = PTHREAD_ONCE_INIT;

static void tiff_silence_globals(void)
{
    TIFFSetErrorHandler(NULL);
    TIFFSetWarningHandler(NULL);
}

/* mode "r" (mapped) or "w". NULL with the reason in m->err. */
static TIFF *tiff_open(struct tiff_mem *m, const char *mode)
{
    pthread_once(&tiff_once, tiff_silence_globals);
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!opts) {
        snprintf(m->err, m->errlen, "TIFF: out of memory");
        return NULL;
    }
    TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_on_error, m);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_on_warning, m);
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, TIFF_MAX_ALLOC);
    TIFF *t = TIFFClientOpenExt("imgpool", mode, m, tiff_mem_read, tiff_mem_write, tiff_mem_seek,
                                tiff_mem_close, tiff_mem_size, tiff_mem_map, tiff_mem_unmap, opts);
    TIFFOpenOptionsFree(opts);
    if (!t && !m->failed)
        snprintf(m->err, m->errlen,
                 "TIFF: corrupt or truncated header (no readable image directory)");
    return t;
}

static TIFF *tiff_open_read(const unsigned char *buf, size_t len, struct tiff_mem *m, char *err,
                            size_t errlen)
{
    *m = (struct tiff_mem){.buf = (unsigned char *)buf, .len = len, .err = err, .errlen = errlen};
    return tiff_open(m, "r");
}

/* What the first directory holds, as the RGBA interface will see it. */
struct tiff_layout {
    uint16_t photometric, spp, extras, colors;  /* colors: samples before the extras */
    uint16_t bits;
    int whole;                              /* samples are unsigned integers (not float) */
    int gray, alpha;                        /* alpha: EXTRASAMPLE_* kind, 0 if none */
    int cmyk;                               /* read by tiff_read_cmyk (see the design note) */
};

static void tiff_layout(TIFF *t, struct tiff_layout *l)
{
    uint16_t spp = 1, *info = NULL;
    memset(l, 0, sizeof *l);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
    if (!TIFFGetField(t, TIFFTAG_PHOTOMETRIC, &l->photometric))
        l->photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    TIFFGetFieldDefaulted(t, TIFFTAG_EXTRASAMPLES, &l->extras, &info);
    uint16_t bits = 1, format = SAMPLEFORMAT_UINT, inkset = INKSET_CMYK;
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLEFORMAT, &format);
    TIFFGetFieldDefaulted(t, TIFFTAG_INKSET, &inkset);
    l->spp = spp;
    l->bits = bits;
    l->whole = format == SAMPLEFORMAT_UINT;
    l->colors = l->extras < spp ? (uint16_t)(spp - l->extras) : 0;
    l->cmyk = l->photometric == PHOTOMETRIC_SEPARATED && inkset == INKSET_CMYK &&
              l->colors == 4 && (bits == 8 || bits == 16) && l->whole;
    l->gray = l->photometric == PHOTOMETRIC_MINISBLACK || l->photometric == PHOTOMETRIC_MINISWHITE;
    if (l->extras >= 1 && info) {
        /* TIFFRGBAImageBegin's own rule: an unspecified extra sample is alpha
         * when there are more than 3 samples. */
        if (info[0] == EXTRASAMPLE_ASSOCALPHA || info[0] == EXTRASAMPLE_UNASSALPHA)
            l->alpha = info[0];
        else if (info[0] == EXTRASAMPLE_UNSPECIFIED && spp > 3)
            l->alpha = EXTRASAMPLE_ASSOCALPHA;
    }
}

/* n bytes (2, 4 or 8) at p as a number, little- or big-endian. */
static uint64_t tiff_num(const unsigned char *p, unsigned n, int big_endian)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[big_endian ? n - 1 - i : i] << (8 * i);
    return v;
}

/* Read from the first directory's entries themselves, not through libtiff:
 * the folder job's parent tells raws from TIFFs by a file's first bytes
 * (img_sniff_head) and never hands image data to a decoder library. */
const char *tiff_raw_kind(const unsigned char *buf, size_t len)
{
    if (len < 8 || (memcmp(buf, "II", 2) != 0 && memcmp(buf, "MM", 2) != 0))
        return NULL;
    int be = buf[0] == 'M';
    uint64_t magic = tiff_num(buf + 2, 2, be);
    int big = magic == 43;                                      /* BigTIFF */
    if (!big && magic != 42)
        return NULL;
    if (big && (len < 16 || tiff_num(buf + 4, 2, be) != 8))
        return NULL;
    unsigned word = big ? 8 : 4, count_len = big ? 8 : 2, entry = big ? 20 : 12;
    uint64_t at = tiff_num(buf + (big ? 8 : 4), word, be);
    if (at > len || len - at < count_len)
        return NULL;
    uint64_t n = tiff_num(buf + at, count_len, be), have = (len - at - count_len) / entry;
    int reduced = 0, subifds = 0;
    /* a short peek holds the entries it holds: the rest cannot be checked */
    for (const unsigned char *e = buf + at + count_len; n-- > 0 && have-- > 0; e += entry) {
        unsigned tag = (unsigned)tiff_num(e, 2, be), type = (unsigned)tiff_num(e + 2, 2, be);
        uint64_t count = tiff_num(e + 4, word, be);
        if (tag == TIFFTAG_DNGVERSION)
            return "DNG";
        if (tag == TIFFTAG_SUBFILETYPE && count == 1)   /* the value sits in the entry */
            reduced = tiff_num(e + 4 + word, type == TIFF_SHORT ? 2 : 4, be) &
                      FILETYPE_REDUCEDIMAGE;
        subifds |= tag == TIFFTAG_SUBIFD && count > 0;
    }
    return reduced && subifds ? "a reduced preview with the raw data in sub-images" : NULL;
}

static int tiff_probe_open(const unsigned char *buf, size_t len, TIFF *t,
                           struct img_info *info, char *err, size_t errlen)
{
    uint32_t w = 0, h = 0;
    char why[1024] = "";
    struct tiff_layout l;
    const char *raw = tiff_raw_kind(buf, len);
    if (raw) {
        info->fmt = IMG_FMT_RAW;
        snprintf(err, errlen, "unsupported format: camera raw (%s)", raw);
        return -1;
    }
    if (!TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h) ||
        w < 1 || h < 1) {
        snprintf(err, errlen, "TIFF: corrupt header (size %ux%u)", w, h);
        return -1;
    }
    tiff_layout(t, &l);
    if (!l.cmyk && !TIFFRGBAImageOK(t, why)) {
        snprintf(err, errlen, "TIFF: unsupported: %.150s", why);
        return -1;
    }
    /* libtiff takes such a file and would have its alpha read past each pixel */
    if (l.colors == 0) {
        snprintf(err, errlen, "TIFF: corrupt header (%u extra samples of %u per pixel)",
                 l.extras, l.spp);
        return -1;
    }
    uint16_t orientation = ORIENTATION_TOPLEFT;
    TIFFGetFieldDefaulted(t, TIFFTAG_ORIENTATION, &orientation);
    info->w = w;
    info->h = h;
    info->ch = (l.gray ? 1u : 3u) + (l.alpha != 0);
    info->orientation = orientation >= 1 && orientation <= 8 ? orientation : 1;
    info->multipage = TIFFNumberOfDirectories(t) > 1;
    return 0;
}

int tiff_probe(const unsigned char *buf, size_t len, struct img_info *info, char *err,
               size_t errlen)
{
    struct tiff_mem m;
    TIFF *t = tiff_open_read(buf, len, &m, err, errlen);
    if (!t)
        return -1;
    int rc = tiff_probe_open(buf, len, t, info, err, errlen);
    TIFFClose(t);
    return rc;
}

/* Sample k of a pixel at p, rounded to 8 bits. */
static unsigned tiff_sample8(const unsigned char *p, unsigned k, unsigned bits)
{
    if (bits == 8)
        return p[k];
    uint16_t v;
    memcpy(&v, p + 2 * k, 2);           /* libtiff has already swapped to host order */
    return (v + 128u) / 257u;
}

/* Our put.contig for 8- and 16-bit grey and RGB, contiguous: see the design
 * note. fromskew is in pixels (as in libtiff's own routines), toskew in
 * raster words. */
static void tiff_put_contig(TIFFRGBAImage *ri, uint32_t *cp, uint32_t x, uint32_t y, uint32_t w,
                            uint32_t h, int32_t fromskew, int32_t toskew, unsigned char *pp)
{
    unsigned spp = ri->samplesperpixel, bits = ri->bitspersample;
    int gray = ri->photometric != PHOTOMETRIC_RGB;
    unsigned invert = ri->photometric == PHOTOMETRIC_MINISWHITE ? 255 : 0;
    unsigned a_at = gray ? 1 : 3;
    size_t step = (size_t)spp * bits / 8;
    (void)x, (void)y;
    for (; h > 0; h--) {
        for (uint32_t i = 0; i < w; i++, pp += step) {
            unsigned r = tiff_sample8(pp, 0, bits) ^ invert;
            unsigned g = gray ? r : tiff_sample8(pp, 1, bits);
            unsigned b = gray ? r : tiff_sample8(pp, 2, bits);
            unsigned a = ri->alpha ? tiff_sample8(pp, a_at, bits) : 255;
            *cp++ = r | g << 8 | b << 16 | (uint32_t)a << 24;
        }
        cp += toskew;
        pp += (ptrdiff_t)fromskew * (ptrdiff_t)step;
    }
}

/* c * 255 / a, rounded, at most 255. */
static unsigned tiff_unpremultiply(unsigned c, unsigned a)
{
    unsigned v = a ? (c * 255 + a / 2) / a : 0;
    return v > 255 ? 255 : v;
}

/* Packs the ABGR raster (w*h words) down to ch bytes a pixel, in place,
 * dividing premultiplied alpha out. */
static void tiff_pack(unsigned char *px, size_t n, unsigned ch, int premultiplied)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t v;
        memcpy(&v, px + 4 * i, 4);
        unsigned c[4] = {TIFFGetR(v), TIFFGetG(v), TIFFGetB(v), TIFFGetA(v)};
        unsigned a = c[3];
        if (premultiplied && a < 255)
            for (int k = 0; k < 3; k++)
                c[k] = tiff_unpremultiply(c[k], a);
        unsigned char *d = px + (size_t)ch * i;      /* never ahead of the read */
        if (ch <= 2) {
            d[0] = (unsigned char)c[0];
            if (ch == 2)
                d[1] = (unsigned char)a;
        } else {
            d[0] = (unsigned char)c[0], d[1] = (unsigned char)c[1], d[2] = (unsigned char)c[2];
            if (ch == 4)
                d[3] = (unsigned char)a;
        }
    }
}

/* How an image's strips or tiles lie: bands of band_h rows (a strip, or a
 * row of tiles), across units a band, planes of them (1, or the samples per
 * pixel when planar); a unit is tw pixels wide (the image's width for
 * strips), pixel bytes a pixel in its buffer. */
struct tiff_units {
    unsigned w, h, band_h, tw, across, down, planes;
    uint32_t per_plane;
    uint64_t pixel;
    int tiled;
    tmsize_t size;                      /* one unit's buffer */
};

/* The layout of t's first page as l and pi describe it, checked against
 * what the file holds: 0, or -1 with a message. */
static int tiff_units_of(TIFF *t, const struct tiff_layout *l, const struct img_info *pi,
                         struct tiff_units *u, char *err, size_t errlen)
{
    uint16_t planar = PLANARCONFIG_CONTIG;
    uint32_t rps = pi->h, tw = pi->w, th = 0;
    TIFFGetFieldDefaulted(t, TIFFTAG_PLANARCONFIG, &planar);
    int tiled = TIFFIsTiled(t);
    if (tiled && (!TIFFGetField(t, TIFFTAG_TILEWIDTH, &tw) ||
                  !TIFFGetField(t, TIFFTAG_TILELENGTH, &th) || tw == 0 || th == 0)) {
        snprintf(err, errlen, "TIFF: corrupt header (no tile size)");
        return -1;
    }
    if (!tiled)
        TIFFGetFieldDefaulted(t, TIFFTAG_ROWSPERSTRIP, &rps);
    unsigned band_h = tiled ? th : rps == 0 || rps > pi->h ? pi->h : rps;
    unsigned sep = planar == PLANARCONFIG_SEPARATE;
    *u = (struct tiff_units){pi->w, pi->h, band_h, tw, (pi->w + tw - 1) / tw,
                             (pi->h + band_h - 1) / band_h, sep ? l->spp : 1, 0,
                             (uint64_t)(sep ? 1 : l->spp) * (l->bits / 8), tiled,
                             tiled ? TIFFTileSize(t) : TIFFStripSize(t)};
    u->per_plane = (uint32_t)u->across * u->down;
    /* the units the layout implies must all be there, each fitting its buffer */
    uint64_t units = (uint64_t)u->planes * u->per_plane;
    uint64_t need = u->pixel * tw * band_h;
    if (u->size <= 0 || u->size > TIFF_MAX_ALLOC || (uint64_t)u->size < need ||
        units > (tiled ? TIFFNumberOfTiles(t) : TIFFNumberOfStrips(t))) {
        snprintf(err, errlen, "TIFF: corrupt header (strip or tile layout)");
        return -1;
    }
    return 0;
}

/* Copies the decoded unit at column x0 (plane `plane`) of a band into band:
 * rows of w pixels of ch 16-bit samples (8-bit ones times 257), the colour
 * samples, then, if ch has room, the first extra one (alpha). */
static void tiff_unit_scatter(const struct tiff_units *u, const struct tiff_layout *l,
                              const unsigned char *buf, unsigned plane, unsigned x0,
                              unsigned rows, uint16_t *band, unsigned ch)
{
    int planar = u->planes > 1;
    if (planar && plane >= ch)
        return;                         /* a further extra sample: not used */
    unsigned spp = planar ? 1 : l->spp, take = planar ? 1 : ch, bytes = l->bits / 8;
    unsigned cols = x0 + u->tw > u->w ? u->w - x0 : u->tw;
    for (unsigned y = 0; y < rows; y++) {
        const unsigned char *p = buf + (size_t)y * u->tw * spp * bytes;
        uint16_t *d = band + ((size_t)y * u->w + x0) * ch + (planar ? plane : 0);
        for (unsigned x = 0; x < cols; x++, p += (size_t)spp * bytes, d += ch)
            for (unsigned k = 0; k < take; k++) {
                uint16_t v = p[k];
                if (bytes == 2)
                    memcpy(&v, p + 2 * k, 2);   /* libtiff has swapped to host order */
                d[k] = bytes == 2 ? v : (uint16_t)(v * 257u);
            }
    }
}

/* Reads an 8- or 16-bit image (contiguous or planar, strips or tiles) band by
 * band, so that a 16-bit image never has to be held whole: each band's
 * units (its strip, or its row of tiles, in every plane) decoded and
 * scattered (tiff_unit_scatter), then handed to fn. 0, or -1 with a message. */
static int tiff_read_bands(TIFF *t, const struct tiff_mem *m, const struct tiff_layout *l,
                           const struct img_info *pi, unsigned ch, tiff_rows_fn fn, void *ctx,
                           char *err, size_t errlen)
{
    struct tiff_units u;
    if (tiff_units_of(t, l, pi, &u, err, errlen) != 0)
        return -1;
    unsigned rows_max = u.band_h < u.h ? u.band_h : u.h;
    uint16_t *band = calloc((size_t)u.w * rows_max, ch * sizeof *band);
    unsigned char *buf = malloc((size_t)u.size);
    int ok = band && buf;
    if (!ok)
        snprintf(err, errlen, "TIFF: out of memory for %ux%u pixels", pi->w, pi->h);
    for (unsigned b = 0; ok && b < u.down; b++) {
        unsigned y0 = b * u.band_h, rows = y0 + u.band_h > u.h ? u.h - y0 : u.band_h;
        for (uint32_t p = 0; ok && p < u.planes; p++)
            for (uint32_t i = 0; ok && i < u.across; i++) {
                uint32_t unit = p * u.per_plane + b * u.across + i;
                tmsize_t got = u.tiled ? TIFFReadEncodedTile(t, unit, buf, u.size)
                                       : TIFFReadEncodedStrip(t, unit, buf, u.size);
                unsigned x0 = i * u.tw, cols = x0 + u.tw > u.w ? u.w - x0 : u.tw;
                ok = got >= 0 &&
                     (uint64_t)got >= ((uint64_t)(rows - 1) * u.tw + cols) * u.pixel;
                if (ok)
                    tiff_unit_scatter(&u, l, buf, p, x0, rows, band, ch);
                else if (!m->failed)
                    snprintf(err, errlen, "TIFF: cannot read the pixels (%s %u is short)",
                             u.tiled ? "tile" : "strip", unit);
            }
        ok = ok && fn(ctx, band, y0, rows, err, errlen) == 0;
    }
    free(buf);
    free(band);
    return ok ? 0 : -1;
}

/* In place: ch 8-bit CMYK(A) samples a pixel to RGB(A) by the plain formula
 * (libtiff's: R = (255 - C) * (255 - K) / 255), for a file whose profile is
 * not converting them. Associated alpha is divided out. */
static void tiff_cmyk_to_rgb(unsigned char *px, size_t n, unsigned ch, int alpha_kind)
{
    for (size_t i = 0; i < n; i++) {
        const unsigned char *s = px + i * ch;
        unsigned k = 255u - s[3], a = ch == 5 ? s[4] : 255;
        unsigned c[3];
        for (int j = 0; j < 3; j++) {
            c[j] = k * (255u - s[j]) / 255u;
            if (alpha_kind == EXTRASAMPLE_ASSOCALPHA && a < 255)
                c[j] = tiff_unpremultiply(c[j], a);
        }
        unsigned char *d = px + i * (ch - 1);       /* never ahead of the read */
        d[0] = (unsigned char)c[0], d[1] = (unsigned char)c[1], d[2] = (unsigned char)c[2];
        if (ch == 5)
            d[3] = (unsigned char)a;
    }
}

/* Where the bands of a CMYK image go: w-pixel rows of ch 8-bit samples. */
struct tiff_cmyk_out {
    unsigned char *px;
    unsigned w, ch;
};

static int tiff_cmyk_band(void *ctx, uint16_t *band, unsigned y0, unsigned n, char *err,
                          size_t errlen)
{
    const struct tiff_cmyk_out *o = ctx;
    size_t row = (size_t)o->w * o->ch;
    (void)err, (void)errlen;
    img_samples_to_8(band, row * n, 16, o->px + y0 * row);
    return 0;
}

/* A CMYK image (l->cmyk; see the design note): as CMYK samples with
 * TIFF_DEC_CMYK and no alpha, else as RGB(A). */
static int tiff_read_cmyk(TIFF *t, const struct tiff_mem *m, const struct tiff_layout *l,
                          const struct img_info *pi, unsigned flags, struct img *out, char *err,
                          size_t errlen)
{
    unsigned ch = l->alpha ? 5 : 4;
    size_t n = (size_t)pi->w * pi->h;
    struct tiff_cmyk_out o = {malloc(n * ch), pi->w, ch};
    if (!o.px) {
        snprintf(err, errlen, "TIFF: out of memory for %ux%u pixels", pi->w, pi->h);
        return -1;
    }
    if (tiff_read_bands(t, m, l, pi, ch, tiff_cmyk_band, &o, err, errlen) != 0) {
        free(o.px);
        return -1;
    }
    if (!(flags & TIFF_DEC_CMYK) || ch == 5) {
        tiff_cmyk_to_rgb(o.px, n, ch, l->alpha);
        ch--;
        unsigned char *smaller = realloc(o.px, n * ch);
        o.px = smaller ? smaller : o.px;
    }
    *out = (struct img){o.px, pi->w, pi->h, ch};
    return 0;
}

static int tiff_read_pixels(TIFF *t, const struct tiff_mem *m, const struct img_info *pi,
                            unsigned flags, struct img *out, char *err, size_t errlen)
{
    TIFFRGBAImage ri;
    char why[1024] = "";
    struct tiff_layout l;
    tiff_layout(t, &l);
    if (l.cmyk)
        return tiff_read_cmyk(t, m, &l, pi, flags, out, err, errlen);
    if (!TIFFRGBAImageBegin(&ri, t, 1, why)) {
        snprintf(err, errlen, "TIFF: unsupported: %.150s", why);
        return -1;
    }
    int ours = ri.isContig && (ri.bitspersample == 8 || ri.bitspersample == 16) &&
               (ri.photometric == PHOTOMETRIC_RGB ? l.colors == 3 : l.gray && l.colors == 1);
    if (ours)
        ri.put.contig = tiff_put_contig;
    ri.req_orientation = ri.orientation;    /* as stored: see the design note */
    size_t n = (size_t)pi->w * pi->h;
    unsigned char *px = ri.width == pi->w && ri.height == pi->h ? malloc(n * 4) : NULL;
    if (!px)
        snprintf(err, errlen, "TIFF: out of memory for %ux%u pixels", pi->w, pi->h);
    else if (!TIFFRGBAImageGet(&ri, (uint32_t *)(void *)px, pi->w, pi->h)) {
        if (!m->failed)
            snprintf(err, errlen, "TIFF: cannot read the pixels");
        free(px);
        px = NULL;
    }
    TIFFRGBAImageEnd(&ri);
    if (!px)
        return -1;
    /* libtiff's own routines premultiply any alpha; ours keep it as stored */
    int premultiplied = ri.alpha && (!ours || ri.alpha == EXTRASAMPLE_ASSOCALPHA);
    tiff_pack(px, n, pi->ch, premultiplied);
    unsigned char *smaller = realloc(px, n * pi->ch);
    *out = (struct img){smaller ? smaller : px, pi->w, pi->h, pi->ch};
    return 0;
}

int tiff_decode(const unsigned char *buf, size_t len, unsigned flags, struct img *out,
                char *err, size_t errlen)
{
    struct tiff_mem m;
    struct img_info info = {0};
    memset(out, 0, sizeof *out);
    TIFF *t = tiff_open_read(buf, len, &m, err, errlen);
    if (!t)
        return -1;
    int rc = tiff_probe_open(buf, len, t, &info, err, errlen);
    if (rc == 0)
        rc = tiff_read_pixels(t, &m, &info, flags, out, err, errlen);
    TIFFClose(t);
    return rc;
}

/* 1 if l is a 16-bit grey or RGB image, with or without alpha, that
 * tiff_read_bands can read. */
static int tiff_is_deep(const struct tiff_layout *l)
{
    return l->bits == 16 && l->whole &&
           (l->photometric == PHOTOMETRIC_RGB ? l->colors == 3 : l->gray && l->colors == 1);
}

/* In place, n pixels of ch 16-bit samples: min-is-white turned round,
 * associated alpha divided out. */
static void tiff_deep_fix(uint16_t *px, size_t n, unsigned ch, const struct tiff_layout *l)
{
    unsigned colours = l->alpha ? ch - 1 : ch;
    for (size_t i = 0; i < n; i++, px += ch) {
        uint32_t a = l->alpha ? px[colours] : 65535;
        for (unsigned k = 0; k < colours; k++) {
            uint32_t v = l->photometric == PHOTOMETRIC_MINISWHITE ? 65535u - px[k] : px[k];
            if (l->alpha == EXTRASAMPLE_ASSOCALPHA && a < 65535)
                v = a ? (v * 65535u + a / 2) / a : 0;
            px[k] = (uint16_t)(v > 65535 ? 65535 : v);
        }
    }
}

/* The caller's band function, behind tiff_deep_fix. */
struct tiff_deep {
    const struct tiff_layout *l;
    unsigned w, ch;
    tiff_rows_fn fn;
    void *ctx;
};

static int tiff_deep_band(void *ctx, uint16_t *band, unsigned y0, unsigned n, char *err,
                          size_t errlen)
{
    const struct tiff_deep *d = ctx;
    tiff_deep_fix(band, (size_t)d->w * n, d->ch, d->l);
    return d->fn(d->ctx, band, y0, n, err, errlen);
}

int tiff_decode16(const unsigned char *buf, size_t len, tiff_rows_fn fn, void *ctx,
                  char *err, size_t errlen)
{
    struct tiff_mem m;
    struct img_info info = {0};
    struct tiff_layout l;
    TIFF *t = tiff_open_read(buf, len, &m, err, errlen);
    if (!t)
        return -1;
    int rc = tiff_probe_open(buf, len, t, &info, err, errlen);
    if (rc == 0) {
        tiff_layout(t, &l);
        struct tiff_deep d = {&l, info.w, info.ch, fn, ctx};
        rc = !tiff_is_deep(&l) ? 1
             : tiff_read_bands(t, &m, &l, &info, info.ch, tiff_deep_band, &d, err, errlen);
    }
    TIFFClose(t);
    return rc;
}

/* An ASCII entry of an EXIF block as tag of the file's directory. */
static int tiff_set_ascii(TIFF *t, unsigned tag, const struct meta_tiff_entry *e)
{
    char *text = malloc(e->size + 1);
    if (!text)
        return 0;
    memcpy(text, e->value, e->size);
    text[e->size] = '\0';
    int ok = TIFFSetField(t, tag, text);
    free(text);
    return ok;
}

/* The directory tags that carry exif[0..len) (see the design note): the
 * pointers to its EXIF and GPS directories, its orientation and camera tags.
 * 1, or 0 if libtiff refused one. */
static int tiff_set_exif(TIFF *t, const unsigned char *exif, size_t len)
{
    struct meta_tiff_walk w;
    struct meta_tiff_entry e;
    int ok = meta_tiff_first(&w, exif, len) == 0;
    while (ok && meta_tiff_next(&w, &e)) {
        uint64_t v = meta_tiff_uint(&w, &e, 0);
        switch (e.tag) {
        case TIFFTAG_EXIFIFD:
        case TIFFTAG_GPSIFD:
            ok = TIFFSetField(t, e.tag, v);
            break;
        case TIFFTAG_ORIENTATION:
            ok = v < 1 || v > 8 || TIFFSetField(t, e.tag, (uint16_t)v);
            break;
        case TIFFTAG_IMAGEDESCRIPTION: case TIFFTAG_MAKE: case TIFFTAG_MODEL:
        case TIFFTAG_SOFTWARE: case TIFFTAG_DATETIME: case TIFFTAG_ARTIST:
        case TIFFTAG_COPYRIGHT:
            ok = e.type != 2 || tiff_set_ascii(t, e.tag, &e);
            break;
        }
    }
    return ok;
}

static int tiff_write_image(TIFF *t, const struct img *im, const struct img_meta *meta)
{
    uint16_t extra = EXTRASAMPLE_UNASSALPHA;
    int alpha = im->ch == 2 || im->ch == 4;
    int ok = TIFFSetField(t, TIFFTAG_IMAGEWIDTH, im->w) &&
             TIFFSetField(t, TIFFTAG_IMAGELENGTH, im->h) &&
             TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, (uint16_t)im->ch) &&
             TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8) &&
             TIFFSetField(t, TIFFTAG_PHOTOMETRIC,
                          im->ch < 3 ? PHOTOMETRIC_MINISBLACK : PHOTOMETRIC_RGB) &&
             TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
             TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT) &&
             TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE) &&
             TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL) &&
             TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, TIFFDefaultStripSize(t, 0)) &&
             (!alpha || TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &extra));
    if (ok && meta && meta->icc && meta->icc_len)
        ok = TIFFSetField(t, TIFFTAG_ICCPROFILE, (uint32_t)meta->icc_len, meta->icc);
    if (ok && meta && meta->xmp && meta->xmp_len)
        ok = TIFFSetField(t, TIFFTAG_XMLPACKET, (uint32_t)meta->xmp_len, meta->xmp);
    if (ok && meta && meta->exif && meta->exif_len)
        ok = tiff_set_exif(t, meta->exif, meta->exif_len);
    /* the predictor works in place on the row it is given: hand it a copy */
    size_t stride = (size_t)im->w * im->ch;
    unsigned char *row = ok ? malloc(stride) : NULL;
    ok = row != NULL;
    for (uint32_t y = 0; ok && y < im->h; y++) {
        memcpy(row, im->px + y * stride, stride);
        ok = TIFFWriteScanline(t, row, y, 0) == 1;
    }
    free(row);
    return ok;
}

/* Opens m for writing with exif (NULL: none) placed after the header (see
 * the design note), in its byte order. NULL with the reason in m->err. */
static TIFF *tiff_open_write(struct tiff_mem *m, const unsigned char *exif, size_t exif_len)
{
    struct meta_tiff_walk w;
    int carry = exif && meta_tiff_first(&w, exif, exif_len) == 0 && !w.big;
    TIFF *t = tiff_open(m, !carry ? "w" : w.le ? "wl" : "wb");
    if (t && carry) {
        m->pos = 8;
        if (tiff_mem_write(m, (void *)(exif + 8), (tmsize_t)(exif_len - 8)) < 0) {
            TIFFClose(t);
            snprintf(m->err, m->errlen, "TIFF: out of memory");
            return NULL;
        }
    }
    return t;
}

long long tiff_encode(const struct img *im, const struct img_meta *meta, int fd, char *err,
                      size_t errlen)
{
    struct tiff_mem m = {.err = err, .errlen = errlen};
    long long rc = -1;
    if (meta && (meta->icc_len > UINT32_MAX || meta->xmp_len > UINT32_MAX ||
                 meta->exif_len > UINT32_MAX)) {
        snprintf(err, errlen, "TIFF: metadata too large");
        return -1;
    }
    TIFF *t = tiff_open_write(&m, meta && meta->exif_len ? meta->exif : NULL,
                              meta ? meta->exif_len : 0);
    if (!t) {
        free(m.buf);
        return -1;
    }
    int ok = tiff_write_image(t, im, meta);
    TIFFClose(t);                       /* writes the directory */
    if (!ok || m.failed) {
        if (!m.failed)
            snprintf(err, errlen, "TIFF: cannot encode %ux%u (out of memory?)", im->w, im->h);
    } else if (img_write_fd(fd, m.buf, m.len, err, errlen) == 0) {
        rc = (long long)m.len;
    }
    free(m.buf);
    return rc;
}

const char *tiff_version(void)
{
    static char v[32];
    const char *s = strstr(TIFFGetVersion(), "Version ");
    if (!s)
        return "?";
    snprintf(v, sizeof v, "%.*s", (int)strcspn(s + 8, " \n"), s + 8);
    return v;
}
