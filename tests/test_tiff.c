/* Unit tests for tiff: files written by libtiff itself (strips, tiles, 16-bit,
 * palette, min-is-white, associated alpha, several pages, DNG tags, every
 * orientation, CMYK) read back; our encoder's round trip; metadata (ICC, XMP
 * and EXIF, read by meta_read); hostile variants; and silence: libtiff must
 * not print to stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <tiffio.h>

#include "test_util.h"
#include "imgpool/img.h"
#include "imgpool/meta.h"
#include "imgpool/tiff.h"

/* What to write: w x h, spp samples of bits each; sample(x, y, k) gives them. */
struct spec {
    unsigned w, h, spp, bits, pages;
    uint16_t photometric, extra;        /* extra: EXTRASAMPLE_* for the last sample, or 0 */
    int layout;                         /* TILED and/or PLANAR; 0: strips, contiguous */
    unsigned (*sample)(unsigned x, unsigned y, unsigned k);
};
enum { TILED = 1, PLANAR = 2 };         /* PLANAR: PLANARCONFIG_SEPARATE, a plane a sample */

static unsigned sample16(unsigned x, unsigned y, unsigned k)
{
    /* values whose rounding and truncation to 8 bits differ (200 -> 1, not 0) */
    return (x * 997u + y * 6151u + k * 200u) % 65536u;
}
static unsigned sample8(unsigned x, unsigned y, unsigned k)
{
    return (x * 7 + y * 3 + k * 50) & 255;
}
static unsigned sample_alpha(unsigned x, unsigned y, unsigned k)
{
    return k == 3 ? 255 - x * 8 : ((x * 7 + y * 3 + k * 50) & 255) * (255 - x * 8) / 255;
}

static void put_sample(unsigned char *p, unsigned bits, unsigned v)
{
    if (bits == 16) {
        uint16_t s = (uint16_t)v;
        memcpy(p, &s, 2);
    } else {
        *p = (unsigned char)v;
    }
}

/* Fills a unit (strip or tile) w x h pixels at (x0, y0) of the image: all
 * samples, or plane's alone (planar). Outside the image: 0. */
static void fill_unit(const struct spec *s, unsigned char *u, unsigned x0, unsigned y0,
                      unsigned w, unsigned h, unsigned plane)
{
    int planar = s->layout & PLANAR;
    unsigned n = planar ? 1 : s->spp;
    size_t px = (size_t)n * s->bits / 8;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            for (unsigned k = 0; k < n; k++)
                put_sample(u + (y * w + x) * px + k * s->bits / 8, s->bits,
                           x0 + x < s->w && y0 + y < s->h
                               ? s->sample(x0 + x, y0 + y, planar ? plane : k) : 0);
}

static void write_page(TIFF *t, const struct spec *s, void (*extra_tags)(TIFF *))
{
    int planar = s->layout & PLANAR;
    unsigned planes = planar ? s->spp : 1;
    size_t px = (size_t)(planar ? 1 : s->spp) * s->bits / 8;
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, s->w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, s->h);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, s->spp);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, s->bits);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, s->photometric);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, planar ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    if (s->extra)
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &s->extra);
    if (s->photometric == PHOTOMETRIC_PALETTE) {
        static uint16_t r[256], g[256], b[256];
        for (unsigned i = 0; i < 256; i++)
            r[i] = (uint16_t)(i * 257), g[i] = (uint16_t)((255 - i) * 257), b[i] = 0x8080;
        TIFFSetField(t, TIFFTAG_COLORMAP, r, g, b);
    }
    if (extra_tags)
        extra_tags(t);
    if (s->layout & TILED) {
        TIFFSetField(t, TIFFTAG_TILEWIDTH, 16);
        TIFFSetField(t, TIFFTAG_TILELENGTH, 16);
        unsigned char *tile = calloc(16 * 16, px);
        for (unsigned k = 0; k < planes; k++)
            for (unsigned ty = 0; ty < s->h; ty += 16)
                for (unsigned tx = 0; tx < s->w; tx += 16) {
                    fill_unit(s, tile, tx, ty, 16, 16, k);
                    assert_true(TIFFWriteTile(t, tile, tx, ty, 0, (uint16_t)k) > 0);
                }
        free(tile);
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 5);
        unsigned char *row = malloc(s->w * px);
        for (unsigned k = 0; k < planes; k++)      /* a plane's rows all before the next's */
            for (unsigned y = 0; y < s->h; y++) {
                fill_unit(s, row, 0, y, s->w, 1, k);
                assert_int_equal(TIFFWriteScanline(t, row, y, (uint16_t)k), 1);
            }
        free(row);
    }
}

/* The TIFF libtiff writes for s, malloc'd. */
static unsigned char *tiff_bytes(const struct spec *s, void (*extra_tags)(TIFF *), size_t *len)
{
    int fd = memfd_create("tiff-test", MFD_CLOEXEC);
    assert_true(fd >= 0);
    TIFF *t = TIFFFdOpen(dup(fd), "test.tif", "w");   /* TIFFClose closes its fd */
    assert_non_null(t);
    for (unsigned p = 0; p < (s->pages ? s->pages : 1); p++) {
        write_page(t, s, extra_tags);
        assert_int_equal(TIFFWriteDirectory(t), 1);
    }
    TIFFClose(t);
    unsigned char *buf = test_fd_bytes(fd, len);
    close(fd);
    assert_non_null(buf);
    return buf;
}

/* tiff_decode as the other modules' decoders are called: the pixels, and
 * the metadata that img_decode reads with meta_read. */
static int tiff_decode_meta(const unsigned char *buf, size_t len, struct img *out,
                            struct img_meta *meta, char *err, size_t errlen)
{
    char note[128];
    if (meta)
        meta_read(IMG_FMT_TIFF, buf, len, META_ALL, meta, note, sizeof note);
    return tiff_decode(buf, len, 0, out, err, errlen);
}


/* Each layout decodes to the channels tiff_probe announced, with the pixels
 * the samples say (16-bit rounded, white-is-zero inverted, palette looked
 * up, associated alpha divided out). */
static void test_tiff__layouts(void **state)
{
    (void)state;
    const struct spec specs[] = {
        {23, 17, 1, 8, 1, PHOTOMETRIC_MINISBLACK, 0, 0, sample8},
        {23, 17, 1, 16, 1, PHOTOMETRIC_MINISBLACK, 0, 0, sample16},
        {23, 17, 3, 16, 1, PHOTOMETRIC_RGB, 0, 1, sample16},
        {23, 17, 4, 16, 1, PHOTOMETRIC_RGB, EXTRASAMPLE_UNASSALPHA, 0, sample16},
        {33, 20, 3, 8, 1, PHOTOMETRIC_RGB, 0, 1, sample8},
        {23, 17, 4, 8, 1, PHOTOMETRIC_RGB, EXTRASAMPLE_UNASSALPHA, 0, sample8},
        {23, 17, 1, 8, 1, PHOTOMETRIC_MINISWHITE, 0, 0, sample8},
        {23, 17, 1, 8, 1, PHOTOMETRIC_PALETTE, 0, 0, sample8},
        {23, 17, 2, 8, 1, PHOTOMETRIC_MINISBLACK, EXTRASAMPLE_UNASSALPHA, 1, sample8},
    };
    for (unsigned i = 0; i < sizeof specs / sizeof *specs; i++) {
        const struct spec *s = &specs[i];
        size_t len;
        unsigned char *buf = tiff_bytes(s, NULL, &len);
        struct img_info info = {0};
        char err[256];
        assert_int_equal(tiff_probe(buf, len, &info, err, sizeof err), 0);
        struct img im = test_decoded(tiff_decode_meta, buf, len, NULL);
        int gray = s->photometric == PHOTOMETRIC_MINISBLACK ||
                   s->photometric == PHOTOMETRIC_MINISWHITE;
        unsigned want_ch = (gray ? 1u : 3u) + (s->extra != 0);
        assert_int_equal(info.ch, want_ch);
        assert_int_equal(im.ch, want_ch);
        assert_int_equal(im.w, s->w);
        assert_int_equal(im.h, s->h);
        for (unsigned y = 0; y < s->h; y++)
            for (unsigned x = 0; x < s->w; x++)
                for (unsigned k = 0; k < want_ch; k++) {
                    unsigned v = s->sample(x, y, s->photometric == PHOTOMETRIC_PALETTE ? 0 : k);
                    if (s->bits == 16)
                        v = (v + 128) / 257;
                    if (s->photometric == PHOTOMETRIC_MINISWHITE)
                        v = 255 - v;
                    if (s->photometric == PHOTOMETRIC_PALETTE)
                        v = k == 0 ? v : k == 1 ? 255 - v : 0x80;
                    unsigned got = im.px[((size_t)y * s->w + x) * want_ch + k];
                    if (got != v)
                        fail_msg("layout %u at %u,%u sample %u: %u, want %u", i, x, y, k, got, v);
                }
        img_free(&im);
        free(buf);
    }
}

/* Associated alpha: libtiff hands back premultiplied colour; we divide it out. */
static void test_tiff__associated_alpha(void **state)
{
    (void)state;
    const struct spec s = {32, 8, 4, 8, 1, PHOTOMETRIC_RGB, EXTRASAMPLE_ASSOCALPHA, 0,
                           sample_alpha};
    size_t len;
    unsigned char *buf = tiff_bytes(&s, NULL, &len);
    struct img im = test_decoded(tiff_decode_meta, buf, len, NULL);
    assert_int_equal(im.ch, 4);
    for (unsigned x = 0; x < 31; x++) {         /* alpha 255 - 8x: at least 7 */
        const unsigned char *p = im.px + x * 4;
        unsigned a = 255 - x * 8, want = sample8(x, 0, 0);
        assert_int_equal(p[3], a);
        assert_true(abs((int)p[0] - (int)want) <= (int)(255 / a) + 1);
    }
    img_free(&im);
    free(buf);
}

static void test_tiff__multipage(void **state)
{
    (void)state;
    const struct spec s = {9, 7, 3, 8, 3, PHOTOMETRIC_RGB, 0, 0, sample8};
    size_t len;
    unsigned char *buf = tiff_bytes(&s, NULL, &len);
    struct img_info info = {0};
    char err[256];
    assert_int_equal(img_probe(buf, len, 0, &info, err, sizeof err), 0);
    assert_int_equal(info.fmt, IMG_FMT_TIFF);
    assert_true(info.multipage);
    free(buf);
    const struct spec one = {9, 7, 3, 8, 1, PHOTOMETRIC_RGB, 0, 0, sample8};
    buf = tiff_bytes(&one, NULL, &len);
    assert_int_equal(img_probe(buf, len, 0, &info, err, sizeof err), 0);
    assert_false(info.multipage);
    free(buf);
}

/* One sample a pixel, declared an alpha extra sample: no colour left. libtiff
 * reads such a file, and imgpool's put routine read the alpha past each
 * pixel (fuzz_img, ASan: heap-buffer-overflow); now refused by the probe. */
static void test_tiff__extra_samples_without_colour(void **state)
{
    (void)state;
    const struct spec s = {48, 48, 1, 8, 1, PHOTOMETRIC_MINISBLACK, EXTRASAMPLE_UNASSALPHA, 0,
                           sample8};
    size_t len;
    unsigned char *buf = tiff_bytes(&s, NULL, &len);
    struct img im;
    struct img_info info = {0};
    char err[256] = "";
    assert_int_equal(img_probe(buf, len, 0, &info, err, sizeof err), -1);
    assert_string_equal(err, "TIFF: corrupt header (1 extra samples of 1 per pixel)");
    assert_int_equal(tiff_decode(buf, len, 0, &im, err, sizeof err), -1);
    assert_null(im.px);
    free(buf);
}

static void dng_tag(TIFF *t)
{
    static const uint8_t version[4] = {1, 4, 0, 0};
    TIFFSetField(t, TIFFTAG_DNGVERSION, version);
}

/* A DNG is refused as a camera raw, typed, not read as its preview. */
static void test_tiff__dng_refused(void **state)
{
    (void)state;
    const struct spec s = {16, 16, 3, 8, 1, PHOTOMETRIC_RGB, 0, 0, sample8};
    size_t len;
    unsigned char *buf = tiff_bytes(&s, dng_tag, &len);
    struct img_info info = {0};
    char err[256];
    assert_int_equal(img_probe(buf, len, 0, &info, err, sizeof err), -1);
    assert_int_equal(info.fmt, IMG_FMT_RAW);
    assert_false(img_format_readable(info.fmt));
    assert_string_equal(err, "unsupported format: camera raw (DNG)");
    free(buf);
}

/* v as len bytes at *p, in the byte order asked for; moves *p past them. */
static void raw_put(unsigned char **p, uint64_t v, unsigned len, int be)
{
    for (unsigned k = 0; k < len; k++)
        (*p)[be ? len - 1 - k : k] = (unsigned char)(v >> (8 * k));
    *p += len;
}

/* A first directory written by hand: classic or BigTIFF, either byte order,
 * entries of (tag, type, value) with a count of 1 each. Its length. */
static size_t raw_dir(unsigned char *b, int big, int be, const unsigned (*e)[3], unsigned n)
{
    unsigned word = big ? 8 : 4;
    memset(b, 0, 512);
    memcpy(b, be ? "MM" : "II", 2);
    unsigned char *p = b + 2;
    raw_put(&p, big ? 43 : 42, 2, be);
    if (big) {
        raw_put(&p, 8, 2, be);
        raw_put(&p, 0, 2, be);
    }
    raw_put(&p, big ? 16 : 8, word, be);
    raw_put(&p, n, big ? 8 : 2, be);
    for (unsigned i = 0; i < n; i++) {
        raw_put(&p, e[i][0], 2, be);
        raw_put(&p, e[i][1], 2, be);
        raw_put(&p, 1, word, be);
        unsigned char *value = p;
        raw_put(&p, e[i][2], e[i][1] == TIFF_SHORT ? 2 : 4, be);
        p = value + word;
    }
    return (size_t)(p - b) + word;   /* and the next directory's offset, 0 */
}

/* The first directory's tags say raw, read from the bytes alone: both byte
 * orders, BigTIFF, a SHORT subfile type; a short peek or a directory past
 * the end says nothing (and reads nothing past it). */
static void test_tiff__raw_kind_from_bytes(void **state)
{
    (void)state;
    static const unsigned nef[][3] = {{TIFFTAG_SUBFILETYPE, TIFF_LONG, 1},
                                      {TIFFTAG_IMAGEWIDTH, TIFF_SHORT, 8},
                                      {TIFFTAG_SUBIFD, TIFF_LONG, 400}};
    static const unsigned plain[][3] = {{TIFFTAG_SUBFILETYPE, TIFF_LONG, 1},
                                        {TIFFTAG_IMAGEWIDTH, TIFF_SHORT, 8}};
    static const unsigned full[][3] = {{TIFFTAG_SUBFILETYPE, TIFF_LONG, 0},
                                       {TIFFTAG_SUBIFD, TIFF_LONG, 400}};
    static const unsigned dng[][3] = {{TIFFTAG_IMAGEWIDTH, TIFF_SHORT, 8},
                                      {TIFFTAG_DNGVERSION, TIFF_BYTE, 0x01040000}};
    static const unsigned short_type[][3] = {{TIFFTAG_SUBFILETYPE, TIFF_SHORT, 1},
                                             {TIFFTAG_SUBIFD, TIFF_LONG, 400}};
    const char *preview = "a reduced preview with the raw data in sub-images";
    unsigned char b[512];
    for (int big = 0; big <= 1; big++)
        for (int be = 0; be <= 1; be++) {
            size_t n = raw_dir(b, big, be, nef, 3);
            assert_string_equal(tiff_raw_kind(b, n), preview);
            assert_null(tiff_raw_kind(b, n - (big ? 28 : 16)));  /* the last entry cut */
            assert_string_equal(tiff_raw_kind(b, raw_dir(b, big, be, dng, 2)), "DNG");
            assert_string_equal(tiff_raw_kind(b, raw_dir(b, big, be, short_type, 2)), preview);
            assert_null(tiff_raw_kind(b, raw_dir(b, big, be, plain, 2)));
            assert_null(tiff_raw_kind(b, raw_dir(b, big, be, full, 2)));
            assert_null(tiff_raw_kind(b, big ? 12 : 6));     /* a peek of the header */
        }
    raw_dir(b, 0, 0, nef, 3);
    b[4] = 0xff;                                             /* directory past the end */
    assert_null(tiff_raw_kind(b, 64));
    assert_null(tiff_raw_kind((const unsigned char *)"\x89PNG\r\n\x1a\n....", 12));
}

static void test_tiff__encode_round_trip_and_meta(void **state)
{
    (void)state;
    unsigned char icc[] = "an ICC profile's bytes";
    unsigned char xmp[] = "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>";
    struct img_meta in = {.icc = icc, .icc_len = sizeof icc, .xmp = xmp, .xmp_len = sizeof xmp};
    for (unsigned ch = 1; ch <= 4; ch++) {
        struct img src = test_gradient(41, 13, ch);
        char err[256] = "";
        int fd = test_memfd();
        size_t len;
        unsigned char *buf =
            test_encoded(fd, tiff_encode(&src, &in, fd, err, sizeof err), err, &len);
        struct img_meta out = {0};
        struct img im = test_decoded(tiff_decode_meta, buf, len, &out);
        assert_int_equal(im.ch, ch);
        if (memcmp(im.px, src.px, (size_t)41 * 13 * ch) != 0)
            fail_msg("%u channels: pixels differ", ch);
        test_meta_equal(&out, &in);
        img_meta_free(&out);
        img_free(&im);
        free(buf);
        img_free(&src);
    }
}

/* Every Orientation tag: probed, pixels handed over as stored, and turned by
 * img_decode exactly as img_orient turns a JPEG by its EXIF orientation. */
static uint16_t orientation_tag;
static void orientation(TIFF *t)
{
    TIFFSetField(t, TIFFTAG_ORIENTATION, orientation_tag);
}

static void test_tiff__orientation(void **state)
{
    (void)state;
    const struct spec s = {5, 3, 3, 8, 1, PHOTOMETRIC_RGB, 0, 0, sample8};
    for (orientation_tag = 1; orientation_tag <= 8; orientation_tag++) {
        size_t len;
        unsigned char *buf = tiff_bytes(&s, orientation, &len);
        struct img_info info = {0};
        char err[256];
        assert_int_equal(tiff_probe(buf, len, &info, err, sizeof err), 0);
        assert_int_equal(info.orientation, orientation_tag);
        assert_int_equal(info.w, 5);
        struct img stored = test_decoded(tiff_decode_meta, buf, len, NULL), turned;
        for (unsigned i = 0; i < 5 * 3 * 3; i++)
            if (stored.px[i] != sample8(i / 3 % 5, i / 15, i % 3))
                fail_msg("orientation %u: sample %u not as stored", orientation_tag, i);
        struct img_load_opts o = {.autorotate = 1};
        assert_int_equal(img_decode(buf, len, &o, &turned, &info, err, sizeof err), 0);
        assert_int_equal(img_orient(&stored, orientation_tag, err, sizeof err), 0);
        assert_int_equal(turned.w, stored.w);
        assert_int_equal(info.w, stored.w);
        assert_memory_equal(turned.px, stored.px, (size_t)5 * 3 * 3);
        img_free(&stored);
        img_free(&turned);
        free(buf);
    }
}

/* CMYK: with TIFF_DEC_CMYK the samples themselves, for a profile to convert;
 * without, libtiff's RGB. */
static void test_tiff__cmyk(void **state)
{
    (void)state;
    const struct spec s = {7, 5, 4, 8, 1, PHOTOMETRIC_SEPARATED, 0, 1, sample8};
    size_t len;
    unsigned char *buf = tiff_bytes(&s, NULL, &len);
    struct img im;
    char err[256] = "";
    assert_int_equal(tiff_decode(buf, len, TIFF_DEC_CMYK, &im, err, sizeof err), 0);
    assert_int_equal(im.ch, 4);
    for (unsigned i = 0; i < 7 * 5 * 4; i++)
        assert_int_equal(im.px[i], sample8(i / 4 % 7, i / 28, i % 4));
    img_free(&im);
    assert_int_equal(tiff_decode(buf, len, 0, &im, err, sizeof err), 0);
    assert_int_equal(im.ch, 3);
    unsigned c = sample8(0, 0, 0), k = sample8(0, 0, 3);
    assert_int_equal(im.px[0], (255 - c) * (255 - k) / 255);
    img_free(&im);
    free(buf);
}

/* CMYK in the layouts libtiff's RGBA interface refuses or converts only by
 * formula: 8- and 16-bit, contiguous and planar, strips and tiles (sizes
 * that leave partial strips and tiles), with and without alpha. With
 * TIFF_DEC_CMYK the samples (rounded to 8 bits), else the formula's RGB;
 * alpha as stored, and never CMYK samples beside it. */
static void test_tiff__cmyk_layouts(void **state)
{
    (void)state;
    for (unsigned v = 0; v < 16; v++) {
        unsigned bits = v & 1 ? 16 : 8, alpha = v >> 3 & 1;
        const struct spec s = {21, 13, 4 + alpha, bits, 1, PHOTOMETRIC_SEPARATED,
                               alpha ? EXTRASAMPLE_UNASSALPHA : 0, (int)(v >> 1 & 3),
                               bits == 16 ? sample16 : sample8};
        size_t len;
        unsigned char *buf = tiff_bytes(&s, NULL, &len);
        struct img_info info;
        char err[256] = "";
        assert_int_equal(tiff_probe(buf, len, &info, err, sizeof err), 0);
        assert_int_equal(info.ch, 3 + alpha);
        for (unsigned flags = 0; flags <= TIFF_DEC_CMYK; flags++) {
            struct img im;
            if (tiff_decode(buf, len, flags, &im, err, sizeof err) != 0)
                fail_msg("layout %u flags %u: %s", v, flags, err);
            int samples = flags && !alpha;
            assert_int_equal(im.ch, samples ? 4 : 3 + alpha);
            for (unsigned i = 0; i < 21 * 13; i++) {
                unsigned x = i % 21, y = i / 21, c8[5];
                for (unsigned k = 0; k < 4 + alpha; k++)
                    c8[k] = bits == 16 ? (s.sample(x, y, k) + 128) / 257 : s.sample(x, y, k);
                const unsigned char *p = im.px + (size_t)i * im.ch;
                for (unsigned k = 0; k < im.ch; k++) {
                    unsigned want = samples ? c8[k] : k == 3 ? c8[4]
                                                    : (255 - c8[k]) * (255 - c8[3]) / 255;
                    if (p[k] != want)
                        fail_msg("layout %u flags %u: pixel %u,%u channel %u is %u, not %u", v,
                                 flags, x, y, k, p[k], want);
                }
            }
            img_free(&im);
        }
        free(buf);
    }
}

/* Collects tiff_decode16's bands into one w x h image of ch samples,
 * checking they come in order. */
struct rows16 {
    uint16_t *px;
    unsigned w, ch, next;
};

static int collect_rows16(void *ctx, uint16_t *rows, unsigned y0, unsigned n, char *err,
                          size_t errlen)
{
    struct rows16 *r = ctx;
    (void)err, (void)errlen;
    assert_int_equal(y0, r->next);
    memcpy(r->px + (size_t)y0 * r->w * r->ch, rows, (size_t)n * r->w * r->ch * sizeof *rows);
    r->next = y0 + n;
    return 0;
}

/* 16-bit grey and RGB as their 16-bit samples, in every layout, a band at a
 * time: the samples as written (min-is-white turned round, associated alpha
 * divided out); anything else is left to tiff_decode (1). */
static void test_tiff__sixteen_bit_samples(void **state)
{
    (void)state;
    const struct spec specs[] = {
        {21, 13, 3, 16, 1, PHOTOMETRIC_RGB, 0, 0, sample16},
        {21, 13, 3, 16, 1, PHOTOMETRIC_RGB, 0, TILED | PLANAR, sample16},
        {21, 13, 4, 16, 1, PHOTOMETRIC_RGB, EXTRASAMPLE_UNASSALPHA, PLANAR, sample16},
        {21, 13, 2, 16, 1, PHOTOMETRIC_MINISWHITE, EXTRASAMPLE_UNASSALPHA, TILED, sample16},
        {21, 13, 4, 16, 1, PHOTOMETRIC_RGB, EXTRASAMPLE_ASSOCALPHA, 0, sample16},
    };
    for (unsigned v = 0; v < sizeof specs / sizeof *specs; v++) {
        const struct spec *s = &specs[v];
        size_t len;
        unsigned char *buf = tiff_bytes(s, NULL, &len);
        unsigned ch = s->spp;
        struct rows16 r = {calloc(21 * 13, ch * sizeof(uint16_t)), 21, ch, 0};
        uint16_t *px = r.px;
        char err[256] = "";
        if (tiff_decode16(buf, len, collect_rows16, &r, err, sizeof err) != 0)
            fail_msg("layout %u: %s", v, err);
        assert_int_equal(r.next, 13);
        for (unsigned i = 0; i < 21 * 13 * ch; i++) {
            unsigned x = i / ch % 21, y = i / ch / 21, k = i % ch, want = s->sample(x, y, k);
            if (s->photometric == PHOTOMETRIC_MINISWHITE && k == 0)
                want = 65535 - want;
            if (s->extra == EXTRASAMPLE_ASSOCALPHA && k < 3) {
                unsigned a = s->sample(x, y, 3);
                want = a ? (want * 65535u + a / 2) / a : 0;
                want = want > 65535 ? 65535 : want;
            }
            if (px[i] != want)
                fail_msg("layout %u: sample %u of %u,%u is %u, not %u", v, k, x, y, px[i], want);
        }
        free(px);
        free(buf);
    }
    const struct spec not16[] = {
        {9, 7, 3, 8, 1, PHOTOMETRIC_RGB, 0, 0, sample8},
        {9, 7, 4, 16, 1, PHOTOMETRIC_SEPARATED, 0, 0, sample16},
    };
    for (unsigned v = 0; v < 2; v++) {
        size_t len;
        unsigned char *buf = tiff_bytes(&not16[v], NULL, &len);
        struct rows16 r = {NULL, 9, 4, 0};
        char err[256] = "";
        assert_int_equal(tiff_decode16(buf, len, collect_rows16, &r, err, sizeof err), 1);
        assert_int_equal(r.next, 0);
        free(buf);
    }
}

/* EXIF into our TIFF and back: the file's own Orientation tag and camera
 * tags, its EXIF directory (where the block's was), read by meta_read as an
 * EXIF block again. */
static void test_tiff__exif_round_trip(void **state)
{
    (void)state;
    unsigned char exif[TEST_EXIF_LEN];
    test_exif_block(exif, 6);
    struct img_meta in = {.exif = exif, .exif_len = sizeof exif}, out = {0};
    struct img src = test_gradient(9, 4, 3);
    char err[256] = "", note[128] = "";
    int fd = test_memfd();
    size_t len;
    unsigned char *buf = test_encoded(fd, tiff_encode(&src, &in, fd, err, sizeof err), err, &len);
    struct img_info info = {0};
    assert_int_equal(tiff_probe(buf, len, &info, err, sizeof err), 0);
    assert_int_equal(info.orientation, 6);
    assert_int_equal(meta_read(IMG_FMT_TIFF, buf, len, META_ALL, &out, note, sizeof note), 0);
    assert_non_null(out.exif);
    assert_int_equal(meta_exif_orientation(out.exif, out.exif_len), 6);
    assert_non_null(memmem(out.exif, out.exif_len, "Cam", 4));
    assert_non_null(memmem(out.exif, out.exif_len, "2024:05:06 07:08:09", 20));
    unsigned char *kept;
    size_t kept_len;
    assert_int_equal(meta_exif_for_output(out.exif, out.exif_len, 1, 4, 9, &kept, &kept_len, err,
                                          sizeof err), 0);
    assert_int_equal(meta_exif_orientation(kept, kept_len), 1);
    free(kept);
    img_meta_free(&out);
    /* a TIFF whose tags are only about the image has no EXIF */
    free(buf);
    fd = test_memfd();
    buf = test_encoded(fd, tiff_encode(&src, NULL, fd, err, sizeof err), err, &len);
    assert_int_equal(meta_read(IMG_FMT_TIFF, buf, len, META_ALL, &out, note, sizeof note), 0);
    assert_null(out.exif);
    free(buf);
    img_free(&src);
}

/* tiff_decode16 in the shape test_hostile_variants wants: its samples
 * rounded into *out, or tiff_decode where it declines. */
static int tiff_decode16_as_img(const unsigned char *buf, size_t len, struct img *out,
                                struct img_meta *meta, char *err, size_t errlen)
{
    struct img_info info;
    (void)meta;
    memset(out, 0, sizeof *out);
    if (tiff_probe(buf, len, &info, err, errlen) != 0)
        return -1;
    size_t n = (size_t)info.w * info.h * info.ch;
    struct rows16 r = {malloc(n * sizeof(uint16_t)), info.w, info.ch, 0};
    assert_non_null(r.px);
    int rc = tiff_decode16(buf, len, collect_rows16, &r, err, errlen);
    if (rc == 1)
        rc = tiff_decode(buf, len, 0, out, err, errlen);
    if (rc == 0 && !out->px) {
        *out = (struct img){malloc(n), info.w, info.h, info.ch};
        assert_non_null(out->px);
        img_samples_to_8(r.px, n, 16, out->px);
    }
    free(r.px);
    return rc;
}

/* Hostile variants fail cleanly, and libtiff prints nothing on stderr. */
static void test_tiff__hostile_and_silent(void **state)
{
    (void)state;
    const struct spec specs[] = {
        {40, 30, 3, 8, 2, PHOTOMETRIC_RGB, 0, 1, sample8},
        {40, 30, 1, 16, 1, PHOTOMETRIC_MINISBLACK, 0, 0, sample16},
        {40, 30, 4, 16, 1, PHOTOMETRIC_SEPARATED, 0, TILED | PLANAR, sample16},
        {40, 30, 5, 8, 1, PHOTOMETRIC_SEPARATED, EXTRASAMPLE_ASSOCALPHA, PLANAR, sample8},
        {40, 30, 4, 16, 1, PHOTOMETRIC_RGB, EXTRASAMPLE_ASSOCALPHA, TILED | PLANAR, sample16},
    };
    int saved, sink = test_stderr_begin(&saved);
    assert_true(sink >= 0);
    unsigned silent = 0, decoded = 0;
    for (unsigned i = 0; i < sizeof specs / sizeof *specs; i++) {
        size_t len;
        unsigned char *buf = tiff_bytes(&specs[i], NULL, &len);
        silent += test_hostile_variants(tiff_decode_meta, buf, len, 7, &decoded);
        silent += test_hostile_variants(tiff_decode16_as_img, buf, len, 7, &decoded);
        free(buf);
    }
    unsigned char exif[TEST_EXIF_LEN];      /* and one with EXIF, for meta_read's walk */
    test_exif_block(exif, 3);
    struct img_meta meta = {.exif = exif, .exif_len = sizeof exif};
    struct img src = test_gradient(12, 8, 3);
    char err[256] = "";
    int fd = test_memfd();
    size_t len;
    unsigned char *buf =
        test_encoded(fd, tiff_encode(&src, &meta, fd, err, sizeof err), err, &len);
    silent += test_hostile_variants(tiff_decode_meta, buf, len, 1, &decoded);
    free(buf);
    img_free(&src);
    size_t printed;
    unsigned char *text = test_stderr_end(sink, saved, &printed);
    if (text)
        fail_msg("libtiff printed: %.*s", (int)(printed > 300 ? 300 : printed), text);
    free(text);
    assert_int_equal(silent, 0);
}

/* An ImageWidth/ImageLength that lies: refused by size before any pixel. */
static void test_tiff__lying_size(void **state)
{
    (void)state;
    const struct spec s = {8, 8, 3, 8, 1, PHOTOMETRIC_RGB, 0, 0, sample8};
    size_t len;
    unsigned char *buf = tiff_bytes(&s, NULL, &len);
    /* the first IFD: find the ImageWidth (256) and ImageLength (257) entries */
    uint32_t ifd;
    memcpy(&ifd, buf + 4, 4);                   /* little-endian host and file */
    uint16_t count;
    memcpy(&count, buf + ifd, 2);
    for (unsigned i = 0; i < count; i++) {
        unsigned char *e = buf + ifd + 2 + 12 * i;
        uint16_t tag, type;
        memcpy(&tag, e, 2);
        memcpy(&type, e + 2, 2);
        uint32_t huge = 200000;
        uint16_t huge16 = 65535;
        if ((tag == 256 || tag == 257) && type == TIFF_LONG)
            memcpy(e + 8, &huge, 4);
        else if (tag == 256 || tag == 257)
            memcpy(e + 8, &huge16, 2);
    }
    struct img im;
    struct img_info info;
    struct img_load_opts o = {.max_pixels = 100000000};
    char err[256] = "";
    assert_int_equal(img_decode(buf, len, &o, &im, &info, err, sizeof err), -1);
    assert_non_null(strstr(err, "too large: 65535x65535"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tiff__layouts),
        cmocka_unit_test(test_tiff__associated_alpha),
        cmocka_unit_test(test_tiff__multipage),
        cmocka_unit_test(test_tiff__extra_samples_without_colour),
        cmocka_unit_test(test_tiff__dng_refused),
        cmocka_unit_test(test_tiff__raw_kind_from_bytes),
        cmocka_unit_test(test_tiff__encode_round_trip_and_meta),
        cmocka_unit_test(test_tiff__orientation),
        cmocka_unit_test(test_tiff__cmyk),
        cmocka_unit_test(test_tiff__cmyk_layouts),
        cmocka_unit_test(test_tiff__sixteen_bit_samples),
        cmocka_unit_test(test_tiff__exif_round_trip),
        cmocka_unit_test(test_tiff__hostile_and_silent),
        cmocka_unit_test(test_tiff__lying_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
