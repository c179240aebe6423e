/* Unit tests for png: the encoder round-trips exact pixels through
 * stb_image, uses every filter type and both codings, and refuses bad
 * arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

#include "test_util.h"
#include "imgpool/png.h"

/* Pixel patterns that favour different filters: noise (none), horizontal
 * ramps (sub), vertical ramps (up), smooth 2-D shading (average, paeth). */
static unsigned char pattern(unsigned kind, unsigned x, unsigned y, unsigned k, uint32_t *rng)
{
    *rng = *rng * 1664525u + 1013904223u;
    switch (kind) {
    case 0: return (unsigned char)(*rng >> 24);
    case 1: return (unsigned char)(x * 3 + k * 50);
    case 2: return (unsigned char)(y * 5 + k * 30);
    case 3: return (unsigned char)((x * x + y * y) / 7 + k);
    default: return (unsigned char)(((x / 4) ^ (y / 4)) * 16 + (*rng >> 30));
    }
}

static unsigned char *make_image(unsigned kind, unsigned w, unsigned h, unsigned ch)
{
    uint32_t rng = kind * 7919u + w * 31u + h;
    unsigned char *px = malloc((size_t)w * h * ch);
    assert_non_null(px);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            for (unsigned k = 0; k < ch; k++)
                px[((size_t)y * w + x) * ch + k] = pattern(kind, x, y, k, &rng);
    return px;
}

/* Decodes png with stb_image and checks size, channels and every byte. */
static void assert_decodes_to(const unsigned char *png, size_t len, const unsigned char *px,
                              unsigned w, unsigned h, unsigned ch)
{
    int dw, dh, dc;
    unsigned char *back = stbi_load_from_memory(png, (int)len, &dw, &dh, &dc, 0);
    if (!back)
        fail_msg("stb_image refused our PNG: %s", stbi_failure_reason());
    assert_int_equal(dw, w);
    assert_int_equal(dh, h);
    assert_int_equal(dc, ch);
    assert_memory_equal(back, px, (size_t)w * h * ch);
    stbi_image_free(back);
}

/* Marks in *used (bit per type) the filter bytes of the rows in png. */
static void filters_used(const unsigned char *png, size_t len, unsigned w, unsigned h,
                         unsigned ch, unsigned *used)
{
    size_t stride = (size_t)w * ch + 1, raw_len = stride * h, got = 0;
    uint32_t idat_len = (uint32_t)png[33] << 24 | (uint32_t)png[34] << 16 |
                        (uint32_t)png[35] << 8 | png[36];
    assert_memory_equal(png + 37, "IDAT", 4);
    assert_true(41 + (size_t)idat_len + 4 + 12 == len);
    unsigned char *raw = malloc(raw_len);
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    assert_non_null(raw);
    assert_non_null(d);
    assert_int_equal(libdeflate_zlib_decompress(d, png + 41, idat_len, raw, raw_len, &got),
                     LIBDEFLATE_SUCCESS);
    assert_int_equal(got, raw_len);
    for (unsigned y = 0; y < h; y++) {
        assert_true(raw[y * stride] <= 4);
        *used |= 1u << raw[y * stride];
    }
    libdeflate_free_decompressor(d);
    free(raw);
}

static void test_png__round_trip_exact(void **state)
{
    static const unsigned sizes[][2] = {{1, 1}, {1, 7}, {7, 1}, {33, 17}, {130, 64}};
    static const int levels[] = {PNG_LEVEL_MIN, PNG_LEVEL_DEFAULT, PNG_LEVEL_MAX};
    struct png_enc *e;
    char err[200];
    unsigned used = 0;
    (void)state;
    assert_int_equal(png_enc_create(&e, err, sizeof err), 0);
    for (unsigned ch = 1; ch <= 4; ch++)
        for (unsigned s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (unsigned kind = 0; kind < 5; kind++) {
                unsigned w = sizes[s][0], h = sizes[s][1];
                unsigned char *px = make_image(kind, w, h, ch);
                int level = levels[(kind + s) % 3];
                size_t len = 0;
                const unsigned char *png = png_encode(e, px, w, h, ch, level, NULL, &len, err,
                                                      sizeof err);
                if (!png)
                    fail_msg("png_encode %ux%ux%u: %s", w, h, ch, err);
                assert_decodes_to(png, len, px, w, h, ch);
                filters_used(png, len, w, h, ch, &used);
                free(px);
            }
    assert_int_equal(used, 0x1f);       /* all five filter types were chosen somewhere */
    png_enc_destroy(e);
}

/* A larger image after a small one (buffers grow) and a smaller one after it
 * (buffers are reused, stale bytes must not leak into the output). */
static void test_png__encoder_reuse(void **state)
{
    struct png_enc *e;
    char err[200];
    size_t len;
    (void)state;
    assert_int_equal(png_enc_create(&e, err, sizeof err), 0);
    static const unsigned dims[][3] = {{5, 5, 1}, {300, 200, 4}, {9, 3, 3}, {300, 200, 2}};
    for (unsigned i = 0; i < 4; i++) {
        unsigned w = dims[i][0], h = dims[i][1], ch = dims[i][2];
        unsigned char *px = make_image(i, w, h, ch);
        const unsigned char *png = png_encode(e, px, w, h, ch, 1 + (int)i * 3, NULL, &len, err,
                                              sizeof err);
        assert_non_null(png);
        assert_decodes_to(png, len, px, w, h, ch);
        free(px);
    }
    png_enc_destroy(e);
    png_enc_destroy(NULL);
}

static void test_png__compresses(void **state)
{
    struct png_enc *e;
    char err[200];
    size_t len;
    (void)state;
    unsigned char *px = make_image(3, 256, 256, 1);
    assert_int_equal(png_enc_create(&e, err, sizeof err), 0);
    assert_non_null(png_encode(e, px, 256, 256, 1, PNG_LEVEL_DEFAULT, NULL, &len, err, sizeof err));
    assert_true(len < 256 * 256 / 4);   /* smooth shading filters down to almost nothing */
    free(px);
    png_enc_destroy(e);
}

/* A photograph-like image (smooth shading plus sensor noise) goes to zlib's
 * RLE coding, a screenshot-like one (a repeated glyph pattern) to libdeflate
 * at the level asked for; both decode exactly. Once larger than the sample
 * (decided on its middle rows), once a thumbnail (decided by libdeflate's
 * fastest level, then compressed at level 9). The zlib header's level bits
 * tell the codings apart: 0x01 from zlib's Z_RLE or libdeflate level 1
 * ("fastest"), 0xda from libdeflate at level 9. */
static void png_check_coding(struct png_enc *e, unsigned w, unsigned h)
{
    char err[200];
    size_t len;
    unsigned char *photo = malloc((size_t)w * h), *screen = malloc((size_t)w * h);
    uint32_t rng = 12345;
    assert_non_null(photo);
    assert_non_null(screen);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            rng = rng * 1664525u + 1013904223u;
            photo[y * w + x] = (unsigned char)((x + y) / 6 + (rng >> 28));
            unsigned gx = x % 9, gy = y % 14, glyph = (x / 9 * 7 + y / 14 * 3) % 26;
            screen[y * w + x] = (gx * 3 + gy * glyph) % 11 < 3 && gy < 11 ? 20 : 250;
        }
    const unsigned char *png = png_encode(e, photo, w, h, 1, 9, NULL, &len, err, sizeof err);
    assert_non_null(png);
    assert_int_equal(png[41], 0x78);
    assert_int_equal(png[42], 0x01);
    assert_decodes_to(png, len, photo, w, h, 1);
    png = png_encode(e, screen, w, h, 1, 9, NULL, &len, err, sizeof err);
    assert_non_null(png);
    assert_int_equal(png[41], 0x78);
    assert_int_equal(png[42], 0xda);
    assert_decodes_to(png, len, screen, w, h, 1);
    free(photo);
    free(screen);
}

static void test_png__coding_per_image(void **state)
{
    struct png_enc *e;
    char err[200];
    (void)state;
    assert_int_equal(png_enc_create(&e, err, sizeof err), 0);
    png_check_coding(e, 800, 600);
    png_check_coding(e, 256, 192);
    png_enc_destroy(e);
}

/* The decoder's fast path against stb_image on every PNG of PngSuite and
 * the samples: the files it takes decode to exactly stb's pixels, the
 * others (palette, 16-bit, interlaced, tRNS, broken) are left alone (1). */
static void test_png__decode_same_as_stb(void **state)
{
    (void)state;
    char dir[1024], path[1300], err[200];
    const char *shared = getenv("SHARED");
    struct png_dec *d;
    unsigned taken = 0, left = 0;
    assert_int_equal(png_dec_create(&d, err, sizeof err), 0);
    static const char *const dirs[] = {"%s/corpus/pngsuite", "samples", "%s/corpus/misc"};
    for (unsigned k = 0; k < 3; k++) {
        snprintf(dir, sizeof dir, dirs[k], shared ? shared : "../shared");
        DIR *dh = opendir(dir);
        if (!dh) {
            print_message("%s not found: skipping it\n", dir);
            continue;
        }
        for (struct dirent *e; (e = readdir(dh));) {
            size_t n = strlen(e->d_name), len = 0;
            if (n < 4 || strcmp(e->d_name + n - 4, ".png") != 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unsigned char *buf = test_read_file(path, &len), *px;
            unsigned w, h, ch;
            assert_non_null(buf);
            if (png_decode(d, buf, len, 0, &px, &w, &h, &ch) != 0) {
                left++;
                free(buf);
                continue;
            }
            int sw, sh, sc;
            unsigned char *ref = stbi_load_from_memory(buf, (int)len, &sw, &sh, &sc, 0);
            if (!ref)
                fail_msg("%s: fast path decoded what stb refuses", path);
            if ((unsigned)sw != w || (unsigned)sh != h || (unsigned)sc != ch ||
                memcmp(px, ref, (size_t)w * h * ch) != 0)
                fail_msg("%s: differs from stb_image", path);
            taken++;
            free(px);
            assert_int_equal(png_decode(d, buf, len / 2, 0, &px, &w, &h, &ch), 1);
            assert_int_equal(png_decode(d, buf, len, (unsigned long long)w * h - 1, &px, &w,
                                        &h, &ch), 1);
            stbi_image_free(ref);
            free(buf);
        }
        closedir(dh);
    }
    print_message("fast path took %u PNGs, left %u to stb_image\n", taken, left);
    assert_true(taken >= 5);
    assert_true(left >= 1 || !shared);
    png_dec_destroy(d);
    png_dec_destroy(NULL);
}

static void test_png__bad_arguments(void **state)
{
    struct png_enc *e;
    char err[200];
    unsigned char px[16] = {0};
    size_t len;
    (void)state;
    assert_int_equal(png_enc_create(&e, err, sizeof err), 0);
    const struct { unsigned w, h, ch; int level; } bad[] = {
        {0, 1, 1, 6}, {1, 0, 1, 6}, {1, 1, 0, 6}, {1, 1, 5, 6},
        {1, 1, 1, PNG_LEVEL_MIN - 1}, {1, 1, 1, PNG_LEVEL_MAX + 1}, {1u << 31, 2, 1, 6}};
    for (unsigned i = 0; i < sizeof bad / sizeof *bad; i++) {
        err[0] = 0;
        assert_null(png_encode(e, px, bad[i].w, bad[i].h, bad[i].ch, bad[i].level, NULL, &len, err,
                               sizeof err));
        assert_true(strncmp(err, "PNG: ", 5) == 0);
    }
    assert_null(png_encode(e, NULL, 1, 1, 1, 6, NULL, &len, err, sizeof err));
    png_enc_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png__round_trip_exact),
        cmocka_unit_test(test_png__encoder_reuse),
        cmocka_unit_test(test_png__compresses),
        cmocka_unit_test(test_png__coding_per_image),
        cmocka_unit_test(test_png__decode_same_as_stb),
        cmocka_unit_test(test_png__bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
