/* Unit tests for img: sniffing, probing, decode (including the shared corpus of
 * real and hostile images), EXIF orientation, gray, resize and encode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test_util.h"
#include "imgpool/img.h"


#define IMG_TEST_MAX_PIXELS 100000000ull

/* ---- helpers ---- */

/* Encodes im to memory (through a memfd) and returns the bytes. */
static unsigned char *encode_mem(const struct img *im, enum img_format fmt, int quality,
                                 size_t *len)
{
    char err[256] = "";
    int fd = memfd_create("img-test", MFD_CLOEXEC);
    assert_true(fd >= 0);
    long long n = img_encode(im, fmt, quality, fd, err, sizeof err);
    if (n <= 0)
        fail_msg("img_encode(%s) failed: %s", img_format_name(fmt), err);
    assert_int_equal(lseek(fd, 0, SEEK_END), n);
    unsigned char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)n, 0), n);
    close(fd);
    *len = (size_t)n;
    return buf;
}

static struct img decode_ok(const unsigned char *buf, size_t len, int autorotate,
                            struct img_info *info)
{
    struct img_load_opts o = {.max_pixels = IMG_TEST_MAX_PIXELS, .autorotate = autorotate};
    struct img im;
    char err[256] = "";
    if (img_decode(buf, len, &o, &im, info, err, sizeof err) != 0)
        fail_msg("img_decode failed: %s", err);
    return im;
}

/* A w x h image whose four quadrants are red, green, blue and white. */
static struct img quadrants(unsigned w, unsigned h, unsigned ch)
{
    static const unsigned char colors[4][4] = {
        {255, 0, 0, 255}, {0, 255, 0, 255}, {0, 0, 255, 255}, {255, 255, 255, 255}};
    struct img im = {malloc((size_t)w * h * ch), w, h, ch};
    assert_non_null(im.px);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            memcpy(im.px + ((size_t)y * w + x) * ch, colors[(y >= h / 2) * 2 + (x >= w / 2)], ch);
    return im;
}

static const unsigned char *px_at(const struct img *im, unsigned x, unsigned y)
{
    return im->px + ((size_t)y * im->w + x) * im->ch;
}

/* 0 red, 1 green, 2 blue, 3 white, -1 none: tolerant of JPEG noise. */
static int color_of(const unsigned char *p)
{
    int r = p[0] > 160, g = p[1] > 160, b = p[2] > 160;
    if (r && g && b) return 3;
    if (r && !g && !b) return 0;
    if (!r && g && !b) return 1;
    if (!r && !g && b) return 2;
    return -1;
}

static const char *shared_dir(void)
{
    const char *s = getenv("SHARED");
    return s && *s ? s : "../shared";
}

/* ---- formats and sniffing ---- */

static void test_img__format_names(void **state)
{
    (void)state;
    assert_string_equal(img_format_name(IMG_FMT_JPG), "jpg");
    assert_string_equal(img_format_ext(IMG_FMT_PNG), ".png");
    assert_string_equal(img_format_name((enum img_format)99), "unknown");
    assert_int_equal(img_format_parse("JPEG"), IMG_FMT_JPG);
    assert_int_equal(img_format_parse("jpg"), IMG_FMT_JPG);
    assert_int_equal(img_format_parse("tga"), IMG_FMT_TGA);
    assert_int_equal(img_format_parse("gif"), IMG_FMT_UNKNOWN);
    assert_int_equal(img_format_parse("WebP"), IMG_FMT_WEBP);
    assert_int_equal(img_format_parse("avif"), IMG_FMT_AVIF);
    assert_int_equal(img_format_parse("tif"), IMG_FMT_TIFF);
    assert_int_equal(img_format_parse("heic"), IMG_FMT_UNKNOWN);    /* read, not written */
    assert_int_equal(img_format_parse("jxl"), IMG_FMT_UNKNOWN);
    assert_int_equal(img_format_parse(NULL), IMG_FMT_UNKNOWN);
    assert_true(img_format_writable(IMG_FMT_BMP));
    assert_false(img_format_writable(IMG_FMT_GIF));
    assert_false(img_format_writable(IMG_FMT_UNKNOWN));
    assert_true(img_format_readable(IMG_FMT_HEIC));
    assert_false(img_format_readable(IMG_FMT_JXL));
    assert_false(img_format_readable(IMG_FMT_UNKNOWN));
    assert_string_equal(img_format_label(IMG_FMT_JXL), "JPEG XL");
}

/* The new containers by their magic and brands, and the formats recognised
 * only to be refused by name ("unsupported format: JPEG XL"), not skipped as
 * "not an image". An MP4 video and a text file are not images. */
static void test_img__sniff_more_formats(void **state)
{
    static const struct { const char *bytes; size_t n; enum img_format fmt; } cases[] = {
        {"RIFF\x24\0\0\0WEBPVP8 ", 16, IMG_FMT_WEBP},
        {"RIFF\x24\0\0\0WAVEfmt ", 16, IMG_FMT_UNKNOWN},
        {"II*\0\x08\0\0\0", 8, IMG_FMT_TIFF},
        {"MM\0*\0\0\0\x08", 8, IMG_FMT_TIFF},
        {"II*\0\x10\0\0\0CR\x02\0", 12, IMG_FMT_RAW},
        {"\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24, IMG_FMT_HEIC},
        {"\0\0\0\x1c" "ftypmif1\0\0\0\0mif1avifmiaf", 28, IMG_FMT_AVIF},
        {"\0\0\0\x1c" "ftypavif\0\0\0\0avifmif1miaf", 28, IMG_FMT_AVIF},
        {"\0\0\0\x18" "ftypcrx \0\0\0\x01" "crx isom", 24, IMG_FMT_RAW},
        {"\0\0\0\x18" "ftypisom\0\0\x02\0isomiso2", 24, IMG_FMT_UNKNOWN},
        {"\xff\x0a\xfa\x1f", 4, IMG_FMT_JXL},
        {"\0\0\0\x0cJXL \r\n\x87\n\0\0\0\x14" "ftypjxl ", 24, IMG_FMT_JXL},
        {"\0\0\0\x0cjP  \r\n\x87\n", 12, IMG_FMT_JP2},
        {"\xff\x4f\xff\x51\0\x2f", 6, IMG_FMT_JP2},
        {"\x76\x2f\x31\x01\x02\0\0\0", 8, IMG_FMT_EXR},
        {"qoif\0\0\0\x10\0\0\0\x10\x03\0", 14, IMG_FMT_QOI},
        {"FUJIFILMCCD-RAW 0201", 20, IMG_FMT_RAW},
        {"some text, not an image at all", 30, IMG_FMT_UNKNOWN},
    };
    (void)state;
    for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
        enum img_format f = img_sniff((const unsigned char *)cases[i].bytes, cases[i].n);
        if (f != cases[i].fmt)
            fail_msg("case %u: sniffed %s, want %s", i, img_format_name(f),
                     img_format_name(cases[i].fmt));
        if (f != IMG_FMT_UNKNOWN && !img_format_readable(f)) {
            struct img_info info;
            char err[128], want[128];
            assert_int_equal(img_probe((const unsigned char *)cases[i].bytes, cases[i].n, 0,
                                       &info, err, sizeof err), -1);
            snprintf(want, sizeof want, "unsupported format: %s", img_format_label(f));
            assert_string_equal(err, want);
            assert_int_equal(info.fmt, f);
        }
    }
}

static void test_img__sniff_by_content(void **state)
{
    (void)state;
    static const struct { const char *bytes; size_t len; enum img_format f; } cases[] = {
        {"\x89PNG\r\n\x1a\n\0\0", 10, IMG_FMT_PNG},
        {"\xff\xd8\xff\xe0", 4, IMG_FMT_JPG},
        {"GIF89a\1\0\1\0", 10, IMG_FMT_GIF},
        {"GIF87a\1\0\1\0", 10, IMG_FMT_GIF},
        {"8BPS\0\1", 6, IMG_FMT_PSD},
        {"#?RADIANCE\n", 11, IMG_FMT_HDR},
        {"P6\n3 2\n255\n", 11, IMG_FMT_PNM},
        {"P5 1 1 255 ", 11, IMG_FMT_PNM},
        {"P1 is a paper size", 18, IMG_FMT_UNKNOWN},
        {"BMP Suite\nVersion 2.8\n\nThis", 26, IMG_FMT_UNKNOWN},
        {"\x53\x80\xf6\x34", 4, IMG_FMT_PIC},
        /* uncompressed true-colour TGA header, 2x2, 24 bits */
        {"\0\0\2\0\0\0\0\0\0\0\0\0\2\0\2\0\x18\0", 18, IMG_FMT_TGA},
        {"\x89PNG\r\n\x1a", 7, IMG_FMT_UNKNOWN},
        {"\x89PNG\r\n\x1a\x0b", 8, IMG_FMT_UNKNOWN},     /* xs7n0g01-style damage */
        {"P7\nWIDTH 1\n", 11, IMG_FMT_UNKNOWN},
        {"hello world, not an image", 25, IMG_FMT_UNKNOWN},
        {"", 0, IMG_FMT_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (img_sniff((const unsigned char *)cases[i].bytes, cases[i].len) != cases[i].f)
            fail_msg("case %zu: sniffed %s, want %s", i,
                     img_format_name(img_sniff((const unsigned char *)cases[i].bytes,
                                               cases[i].len)),
                     img_format_name(cases[i].f));
    assert_int_equal(img_sniff(NULL, 10), IMG_FMT_UNKNOWN);
}

/* ---- probe and decode ---- */

static void test_img__probe_limits_before_decoding(void **state)
{
    (void)state;
    struct img im = quadrants(40, 30, 3);
    size_t len;
    unsigned char *png = encode_mem(&im, IMG_FMT_PNG, 0, &len);
    struct img_info info;
    char err[256] = "";

    assert_int_equal(img_probe(png, len, 0, &info, err, sizeof err), 0);
    assert_int_equal(info.fmt, IMG_FMT_PNG);
    assert_int_equal(info.w, 40);
    assert_int_equal(info.h, 30);
    assert_int_equal(info.ch, 3);
    assert_int_equal(info.orientation, 1);
    assert_int_equal(info.animated, 0);

    assert_int_equal(img_probe(png, len, 1199, &info, err, sizeof err), -1);
    assert_string_equal(err, "image too large: 40x30 exceeds --max-pixels 1199");
    assert_int_equal(img_probe(png, len, 1200, &info, err, sizeof err), 0);

    struct img_load_opts o = {.max_pixels = 1000};
    struct img out;
    assert_int_equal(img_decode(png, len, &o, &out, &info, err, sizeof err), -1);
    assert_null(out.px);
    assert_non_null(strstr(err, "too large"));

    /* A header stbi_info refuses (w*h*3 overflows an int): the size still shows. */
    unsigned char huge[33];
    memcpy(huge, png, sizeof huge);
    memcpy(huge + 16, "\0\1\x86\xa0\0\1\x86\xa0", 8);            /* 100000 x 100000 */
    assert_int_equal(img_probe(huge, sizeof huge, IMG_TEST_MAX_PIXELS, &info, err, sizeof err), -1);
    assert_string_equal(err, "image too large: 100000x100000 exceeds --max-pixels 100000000");
    memcpy(huge + 16, "\x01\x31\x2d\0\0\0\0\1", 8);               /* 20000000 x 1 */
    assert_int_equal(img_probe(huge, sizeof huge, 0, &info, err, sizeof err), -1);
    assert_string_equal(err, "image too large: 20000000x1 exceeds the 16777216-pixel side limit");

    assert_int_equal(img_probe(png, 20, 0, &info, err, sizeof err), -1);   /* truncated */
    assert_true(err[0] != '\0');
    assert_int_equal(img_probe((const unsigned char *)"text", 4, 0, &info, err, sizeof err), -1);
    assert_string_equal(err, "not an image (unknown format)");
    free(png);
    img_free(&im);
}

static void test_img__decode_always_gives_a_message(void **state)
{
    (void)state;
    struct img im = quadrants(64, 64, 3);
    size_t len;
    unsigned char *jpg = encode_mem(&im, IMG_FMT_JPG, 80, &len);
    struct img out;
    struct img_info info;

    /* Every truncation of a valid JPEG either decodes or fails with a message. */
    for (size_t cut = 0; cut < len; cut += 7) {
        char err[256] = "";
        if (img_decode(jpg, cut, NULL, &out, &info, err, sizeof err) == 0) {
            assert_int_equal(out.w, 64);
            img_free(&out);
        } else {
            assert_null(out.px);
            if (err[0] == '\0')
                fail_msg("no message for a JPEG cut at %zu bytes", cut);
        }
    }
    /* Corrupt the entropy-coded data: whatever happens, no crash and no silence. */
    for (size_t i = len / 2; i < len - 2; i += 13)
        jpg[i] ^= 0x5a;
    char err[256] = "";
    if (img_decode(jpg, len, NULL, &out, &info, err, sizeof err) == 0)
        img_free(&out);
    else
        assert_true(err[0] != '\0');
    free(jpg);
    img_free(&im);
}

/* ---- EXIF orientation ---- */

/* An APP1 segment holding a big-endian TIFF with one IFD0 entry: Orientation. */
static const unsigned char exif_app1[] = {
    0xff, 0xe1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
    'M', 'M', 0, 42, 0, 0, 0, 8,                    /* TIFF header, IFD0 at 8 */
    0, 1,                                            /* one entry */
    0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 1, 0, 0,       /* 0x0112 SHORT x1 = value */
    0, 0, 0, 0,                                      /* no next IFD */
};
#define EXIF_VALUE_OFFSET 29

/* jpg with an EXIF orientation inserted right after SOI; returns a new buffer. */
static unsigned char *with_orientation(const unsigned char *jpg, size_t len, int orientation,
                                       size_t *out_len)
{
    unsigned char *out = malloc(len + sizeof exif_app1);
    assert_non_null(out);
    memcpy(out, jpg, 2);
    memcpy(out + 2, exif_app1, sizeof exif_app1);
    out[2 + EXIF_VALUE_OFFSET] = (unsigned char)orientation;
    memcpy(out + 2 + sizeof exif_app1, jpg + 2, len - 2);
    *out_len = len + sizeof exif_app1;
    return out;
}

static void test_img__exif_orientation_all_eight(void **state)
{
    (void)state;
    /* Colours at the displayed image's corners (top-left, top-right, bottom-left,
     * bottom-right) for each orientation; the stored image is R G / B W. */
    static const int want[9][4] = {
        {0}, {0, 1, 2, 3}, {1, 0, 3, 2}, {3, 2, 1, 0}, {2, 3, 0, 1},
        {0, 2, 1, 3}, {2, 0, 3, 1}, {3, 1, 2, 0}, {1, 3, 0, 2},
    };
    struct img im = quadrants(48, 32, 3);
    size_t len;
    unsigned char *jpg = encode_mem(&im, IMG_FMT_JPG, 95, &len);

    for (int o = 1; o <= 8; o++) {
        size_t n;
        unsigned char *buf = with_orientation(jpg, len, o, &n);
        struct img_info info;
        struct img out = decode_ok(buf, n, 1, &info);
        assert_int_equal(info.orientation, o);
        assert_int_equal(out.w, o >= 5 ? 32 : 48);
        assert_int_equal(out.h, o >= 5 ? 48 : 32);
        assert_int_equal(info.w, out.w);
        unsigned x1 = out.w - 1, y1 = out.h - 1;
        int got[4] = {color_of(px_at(&out, 0, 0)), color_of(px_at(&out, x1, 0)),
                      color_of(px_at(&out, 0, y1)), color_of(px_at(&out, x1, y1))};
        for (int k = 0; k < 4; k++)
            if (got[k] != want[o][k])
                fail_msg("orientation %d corner %d: colour %d, want %d", o, k, got[k], want[o][k]);
        img_free(&out);

        out = decode_ok(buf, n, 0, &info);      /* no autorotate: stored layout */
        assert_int_equal(out.w, 48);
        assert_int_equal(color_of(px_at(&out, 47, 0)), 1);
        img_free(&out);
        free(buf);
    }
    free(jpg);
    img_free(&im);
}

/* ---- pixel operations ---- */

static void test_img__gray_bt601(void **state)
{
    (void)state;
    unsigned char rgba[] = {255, 0, 0, 10, 0, 255, 0, 20, 0, 0, 255, 30, 255, 255, 255, 40,
                            0, 0, 0, 50, 100, 150, 200, 60};
    struct img im = {malloc(sizeof rgba), 6, 1, 4};
    char err[64];
    memcpy(im.px, rgba, sizeof rgba);
    assert_int_equal(img_gray(&im, err, sizeof err), 0);
    assert_int_equal(im.ch, 2);
    /* 0.299*255=76.2, 0.587*255=149.7, 0.114*255=29.1, 29.9+88.05+22.8=140.75 */
    const unsigned char want[] = {76, 10, 150, 20, 29, 30, 255, 40, 0, 50, 141, 60};
    assert_memory_equal(im.px, want, sizeof want);
    assert_int_equal(img_gray(&im, err, sizeof err), 0);    /* already gray: unchanged */
    assert_int_equal(im.ch, 2);
    assert_memory_equal(im.px, want, sizeof want);
    img_free(&im);

    struct img rgb = quadrants(4, 4, 3);
    assert_int_equal(img_gray(&rgb, err, sizeof err), 0);
    assert_int_equal(rgb.ch, 1);
    assert_int_equal(rgb.px[0], 76);
    assert_int_equal(rgb.px[15], 255);
    img_free(&rgb);
}

static void test_img__drop_opaque_alpha(void **state)
{
    (void)state;
    unsigned char rgba[] = {1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255};
    struct img im = {malloc(sizeof rgba), 3, 1, 4};
    memcpy(im.px, rgba, sizeof rgba);
    assert_int_equal(img_drop_opaque_alpha(&im), 1);
    assert_int_equal(im.ch, 3);
    assert_memory_equal(im.px, ((unsigned char[]){1, 2, 3, 4, 5, 6, 7, 8, 9}), 9);
    assert_int_equal(img_drop_opaque_alpha(&im), 0);        /* no alpha left */
    img_free(&im);

    unsigned char ga[] = {10, 255, 20, 255, 30, 254};       /* the last one is not opaque */
    struct img g = {malloc(sizeof ga), 3, 1, 2};
    memcpy(g.px, ga, sizeof ga);
    assert_int_equal(img_drop_opaque_alpha(&g), 0);
    assert_int_equal(g.ch, 2);
    assert_memory_equal(g.px, ga, sizeof ga);
    g.px[5] = 255;
    assert_int_equal(img_drop_opaque_alpha(&g), 1);
    assert_int_equal(g.ch, 1);
    assert_memory_equal(g.px, ((unsigned char[]){10, 20, 30}), 3);
    img_free(&g);
}

static void test_img__resize(void **state)
{
    (void)state;
    char err[128];
    struct img im = quadrants(200, 100, 3);
    unsigned char *before = im.px;
    assert_int_equal(img_resize(&im, 200, 100, err, sizeof err), 0);   /* no-op */
    assert_ptr_equal(im.px, before);
    assert_int_equal(img_resize(&im, 50, 25, err, sizeof err), 0);
    assert_int_equal(im.w, 50);
    assert_int_equal(im.h, 25);
    assert_int_equal(color_of(px_at(&im, 0, 0)), 0);
    assert_int_equal(color_of(px_at(&im, 49, 24)), 3);
    assert_int_equal(img_resize(&im, 0, 10, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    assert_int_equal(im.w, 50);                 /* unchanged on failure */
    img_free(&im);

    /* Opaque red beside fully transparent green: the green must not bleed. */
    struct img a = {malloc(64 * 64 * 4), 64, 64, 4};
    for (size_t i = 0; i < 64 * 64; i++) {
        unsigned char red[4] = {255, 0, 0, 255}, clear_green[4] = {0, 255, 0, 0};
        memcpy(a.px + i * 4, i % 64 < 32 ? red : clear_green, 4);
    }
    assert_int_equal(img_resize(&a, 7, 7, err, sizeof err), 0);
    for (unsigned x = 0; x < 7; x++) {
        const unsigned char *p = px_at(&a, x, 3);
        if (p[3] > 0 && p[1] > 2)
            fail_msg("x=%u: green leaked into a visible pixel (%u,%u,%u,%u)", x, p[0], p[1],
                     p[2], p[3]);
    }
    img_free(&a);
}

/* ---- encode ---- */

static void test_img__encode_round_trips(void **state)
{
    (void)state;
    static const struct { enum img_format f; unsigned ch, want_ch; int exact; } cases[] = {
        {IMG_FMT_PNG, 1, 1, 1}, {IMG_FMT_PNG, 2, 2, 1}, {IMG_FMT_PNG, 3, 3, 1},
        {IMG_FMT_PNG, 4, 4, 1}, {IMG_FMT_TGA, 3, 3, 1}, {IMG_FMT_TGA, 4, 4, 1},
        {IMG_FMT_BMP, 3, 3, 1}, {IMG_FMT_BMP, 4, 3, 1}, {IMG_FMT_BMP, 1, 3, 0},
        {IMG_FMT_JPG, 3, 3, 0}, {IMG_FMT_JPG, 4, 3, 0}, {IMG_FMT_JPG, 1, 1, 0},
        {IMG_FMT_JPG, 2, 1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct img im = quadrants(33, 17, cases[i].ch);
        size_t len;
        unsigned char *buf = encode_mem(&im, cases[i].f, 0, &len);
        struct img_info info;
        struct img out = decode_ok(buf, len, 0, &info);
        assert_int_equal(info.fmt, cases[i].f);
        assert_int_equal(out.w, 33);
        assert_int_equal(out.h, 17);
        if (out.ch != cases[i].want_ch)
            fail_msg("%s from %u channels: decoded %u channels, want %u",
                     img_format_name(cases[i].f), cases[i].ch, out.ch, cases[i].want_ch);
        if (cases[i].exact && out.ch == im.ch)
            assert_memory_equal(out.px, im.px, (size_t)33 * 17 * im.ch);
        if (cases[i].ch >= 3)
            assert_int_equal(color_of(px_at(&out, 32, 16)), 3);
        free(buf);
        img_free(&out);
        img_free(&im);
    }
}

static void test_img__encode_alpha_on_white(void **state)
{
    (void)state;
    unsigned char px[] = {255, 0, 0, 0, 255, 0, 0, 255, 0, 0, 0, 128};
    struct img im = {px, 3, 1, 4};
    size_t len;
    unsigned char *bmp = encode_mem(&im, IMG_FMT_BMP, 0, &len);
    struct img_info info;
    struct img out = decode_ok(bmp, len, 0, &info);
    const unsigned char want[] = {255, 255, 255, 255, 0, 0, 127, 127, 127};
    assert_int_equal(out.ch, 3);
    assert_memory_equal(out.px, want, sizeof want);
    img_free(&out);
    free(bmp);
}

static void test_img__encode_errors(void **state)
{
    (void)state;
    struct img im = quadrants(300, 300, 3);
    char err[256] = "";
    int full = open("/dev/full", O_WRONLY | O_CLOEXEC);
    if (full >= 0) {
        assert_int_equal(img_encode(&im, IMG_FMT_PNG, 0, full, err, sizeof err), -1);
        assert_non_null(strstr(err, strerror(ENOSPC)));
        close(full);
    }
    assert_int_equal(img_encode(&im, IMG_FMT_BMP, 0, -1, err, sizeof err), -1);
    assert_non_null(strstr(err, strerror(EBADF)));
    assert_int_equal(img_encode(&im, IMG_FMT_GIF, 0, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "gif"));
    assert_int_equal(img_encode(&im, IMG_FMT_JPG, 101, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "quality"));
    struct img_codec *c;
    assert_int_equal(img_codec_create(&c, err, sizeof err), 0);
    struct img_save_opts bad_level = {.png_level = 13};
    assert_int_equal(img_codec_encode(c, &im, IMG_FMT_PNG, &bad_level, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "PNG level"));
    img_codec_destroy(c);
    img_codec_destroy(NULL);
    img_free(&im);
    img_free(NULL);
}

/* One codec, many images: every PNG level, then other formats in between,
 * each PNG decoding to exactly the pixels written. */
static void test_img__codec_reuse_png_levels(void **state)
{
    (void)state;
    struct img_codec *c;
    char err[256] = "";
    assert_int_equal(img_codec_create(&c, err, sizeof err), 0);
    for (int level = 0; level <= 12; level++) {
        struct img im = quadrants(40 + (unsigned)level * 7, 21, 1 + (unsigned)level % 4);
        enum img_format fmt = level % 5 == 4 ? IMG_FMT_TGA : IMG_FMT_PNG;
        struct img_save_opts so = {.png_level = level};
        int fd = memfd_create("img-test", MFD_CLOEXEC);
        assert_true(fd >= 0);
        long long n = img_codec_encode(c, &im, fmt, &so, fd, err, sizeof err);
        if (n <= 0)
            fail_msg("level %d: %s", level, err);
        unsigned char *buf = malloc((size_t)n);
        assert_non_null(buf);
        assert_int_equal(pread(fd, buf, (size_t)n, 0), n);
        close(fd);
        struct img_info info;
        struct img out = decode_ok(buf, (size_t)n, 0, &info);
        assert_int_equal(info.fmt, fmt);
        assert_int_equal(out.ch, im.ch);
        assert_memory_equal(out.px, im.px, (size_t)im.w * im.h * im.ch);
        img_free(&out);
        img_free(&im);
        free(buf);
    }
    img_codec_destroy(c);
}

/* ---- the shared corpus of real and hostile files ---- */

struct corpus_row {
    char path[512], expect[16], stb[16], note[1024];
    unsigned w, h, ch;
};

static int corpus_parse(char *line, struct corpus_row *r)
{
    char *f[7];
    int n = 0;
    for (char *p = line; n < 7; n++) {
        f[n] = p;
        p = strchr(p, '\t');
        if (!p) { n++; break; }
        *p++ = '\0';
    }
    if (n < 6)
        return -1;
    line[strcspn(line, "\n")] = '\0';
    snprintf(r->path, sizeof r->path, "%s", f[0]);
    snprintf(r->expect, sizeof r->expect, "%s", f[1]);
    r->w = (unsigned)strtoul(f[2], NULL, 10);
    r->h = (unsigned)strtoul(f[3], NULL, 10);
    r->ch = (unsigned)strtoul(f[4], NULL, 10);
    snprintf(r->stb, sizeof r->stb, "%s", f[5]);
    snprintf(r->stb, sizeof r->stb, "%.*s", (int)strcspn(f[5], "\n"), f[5]);
    snprintf(r->note, sizeof r->note, "%.*s", n > 6 ? (int)strcspn(f[6], "\n") : 0,
             n > 6 ? f[6] : "");
    return 0;
}

/* Decodes one corpus file and checks it against its expected.tsv row. */
static void corpus_check(const char *dir, const struct corpus_row *r, unsigned *decoded)
{
    char path[1600], err[256] = "";
    size_t len = 0;
    snprintf(path, sizeof path, "%s/%s", dir, r->path);
    unsigned char *buf = test_read_file(path, &len);
    if (!buf)
        fail_msg("cannot read %s", path);
    struct img_load_opts o = {.max_pixels = IMG_TEST_MAX_PIXELS, .autorotate = 1};
    struct img im;
    struct img_info info;
    int rc = img_decode(buf, len, &o, &im, &info, err, sizeof err);
    int must_decode = strcmp(r->expect, "ok") == 0 && strcmp(r->stb, "ok") == 0;
    /* JPEGs are libjpeg-turbo's alone: judged by the suite, not by stb. */
    int jpeg = rc == 0 ? info.fmt == IMG_FMT_JPG : img_sniff(buf, len) == IMG_FMT_JPG;

    if (rc == 0) {
        (*decoded)++;
        if (!jpeg && strcmp(r->stb, "reject") == 0)
            fail_msg("%s: decoded although stb_image 2.27 rejects it", r->path);
        if (jpeg && strcmp(r->expect, "reject") == 0)
            fail_msg("%s: decoded although the suite calls it invalid", r->path);
        if (must_decode || (jpeg && strcmp(r->expect, "ok") == 0)) {
            int swap = info.orientation >= 5;
            unsigned w = swap ? r->h : r->w, h = swap ? r->w : r->h;
            if (im.w != w || im.h != h || im.ch != r->ch)
                fail_msg("%s: decoded %ux%ux%u, want %ux%ux%u", r->path, im.w, im.h, im.ch,
                         w, h, r->ch);
        }
        if (info.fmt == IMG_FMT_GIF &&
            info.animated != (strstr(r->note, "animated GIF") != NULL))
            fail_msg("%s: animated=%d disagrees with the note", r->path, info.animated);
        img_free(&im);
    } else {
        if (must_decode)
            fail_msg("%s: must decode, got: %s", r->path, err);
        if (err[0] == '\0')
            fail_msg("%s: failed without a message", r->path);
        assert_null(im.px);
    }
    free(buf);
}

static void test_img__corpus(void **state)
{
    (void)state;
    char dir[1024], tsv[1100], line[2048];
    snprintf(dir, sizeof dir, "%s/corpus", shared_dir());
    snprintf(tsv, sizeof tsv, "%s/expected.tsv", dir);
    FILE *f = fopen(tsv, "r");
    if (!f) {
        print_message("corpus not found at %s (set SHARED): skipping\n", tsv);
        skip();
    }
    unsigned rows = 0, decoded = 0;
    while (fgets(line, sizeof line, f)) {
        struct corpus_row r;
        if (line[0] == '#' || corpus_parse(line, &r) != 0)
            continue;
        rows++;
        corpus_check(dir, &r, &decoded);
    }
    fclose(f);
    assert_true(rows >= 600);
    /* 417 ok + 15 reject + 28 any decode with stb; the GIF bomb is refused.
     * JPEGs are libjpeg-turbo's: partial_progressive.jpg (valid, stb rejects it)
     * and subtract-with-overflow.jpg (any) decode, missing-sos.jpg (invalid,
     * stb decodes it) does not; the 9 arithmetic-coded 8-bit JPEGs (stb rejects
     * them) decode, their headers being read by libjpeg too. */
    assert_int_equal(decoded, 417 + 15 + 28 - 1 + 2 - 1 + 9);
}

static void test_img__corpus_gif_bomb_refused(void **state)
{
    (void)state;
    char path[1100], err[256] = "";
    size_t len;
    snprintf(path, sizeof path, "%s/corpus/broken/image-gif/issue-101-infinite-empty-loop.gif",
             shared_dir());
    unsigned char *buf = test_read_file(path, &len);
    if (!buf) {
        print_message("%s not found (set SHARED): skipping\n", path);
        skip();
    }
    struct img_load_opts o = {.max_pixels = IMG_TEST_MAX_PIXELS};
    struct img im;
    struct img_info info;
    assert_int_equal(len, 40);
    assert_int_equal(img_decode(buf, len, &o, &im, &info, err, sizeof err), -1);
    assert_string_equal(err, "image too large: 6727x65351 exceeds --max-pixels 100000000");
    free(buf);
}

/* ---- samples/ (committed output of tools/mksamples.c) ---- */

static void test_img__samples_decode(void **state)
{
    (void)state;
    static const struct {
        const char *name; enum img_format f; unsigned w, h, ch; int anim;
    } s[] = {
        {"sunset.png", IMG_FMT_PNG, 480, 320, 3, 0},
        {"badge-alpha.png", IMG_FMT_PNG, 256, 256, 4, 0},
        {"gray-rings.png", IMG_FMT_PNG, 256, 256, 1, 0},
        {"shadow-gray-alpha.png", IMG_FMT_PNG, 128, 128, 2, 0},
        {"banner-wide.png", IMG_FMT_PNG, 1200, 100, 3, 0},
        {"photo.jpg", IMG_FMT_JPG, 800, 600, 3, 0},
        {"large-landscape.jpg", IMG_FMT_JPG, 2000, 1500, 3, 0},
        {"exif-rotate6.jpg", IMG_FMT_JPG, 300, 400, 3, 0},
        {"tiles.bmp", IMG_FMT_BMP, 240, 180, 3, 0},
        {"stripes-alpha.tga", IMG_FMT_TGA, 160, 120, 4, 0},
        {"mandel.ppm", IMG_FMT_PNM, 240, 180, 3, 0},
        {"bounce.gif", IMG_FMT_GIF, 160, 120, 4, 1},
    };
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        char path[256];
        size_t len;
        snprintf(path, sizeof path, "samples/%s", s[i].name);
        unsigned char *buf = test_read_file(path, &len);
        if (!buf)
            fail_msg("cannot read %s (tests run from the repository root)", path);
        struct img_info info;
        struct img im = decode_ok(buf, len, 1, &info);
        if (info.fmt != s[i].f || im.w != s[i].w || im.h != s[i].h || im.ch != s[i].ch ||
            info.animated != s[i].anim)
            fail_msg("%s: %s %ux%ux%u animated %d", s[i].name, img_format_name(info.fmt),
                     im.w, im.h, im.ch, info.animated);
        if (strcmp(s[i].name, "exif-rotate6.jpg") == 0) {
            /* Upright: sky at the top, the red arrow's head above centre, grass below. */
            const unsigned char *sky = px_at(&im, 150, 20), *arrow = px_at(&im, 150, 100),
                                *grass = px_at(&im, 20, 380);
            assert_true(sky[2] > 200 && sky[0] < 160);
            assert_true(arrow[0] > 180 && arrow[1] < 80);
            assert_true(grass[1] > 120 && grass[2] < 100);
        }
        img_free(&im);
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_img__format_names),
        cmocka_unit_test(test_img__sniff_more_formats),
        cmocka_unit_test(test_img__sniff_by_content),
        cmocka_unit_test(test_img__probe_limits_before_decoding),
        cmocka_unit_test(test_img__decode_always_gives_a_message),
        cmocka_unit_test(test_img__exif_orientation_all_eight),
        cmocka_unit_test(test_img__gray_bt601),
        cmocka_unit_test(test_img__drop_opaque_alpha),
        cmocka_unit_test(test_img__resize),
        cmocka_unit_test(test_img__encode_round_trips),
        cmocka_unit_test(test_img__encode_alpha_on_white),
        cmocka_unit_test(test_img__encode_errors),
        cmocka_unit_test(test_img__codec_reuse_png_levels),
        cmocka_unit_test(test_img__corpus),
        cmocka_unit_test(test_img__corpus_gif_bomb_refused),
        cmocka_unit_test(test_img__samples_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
