/* test_resample.c — the resampler: exact where it must be (same size, flat
 * colours), linear light, no bleeding from transparent pixels, and close to
 * an independent implementation of the same filter (stb_image_resize's
 * Catmull-Rom in linear light). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "imgpool/resample.h"

#include <stb/stb_image_resize.h>

static unsigned char *noise(unsigned w, unsigned h, unsigned ch, uint32_t seed)
{
    unsigned char *px = malloc((size_t)w * h * ch);
    assert_non_null(px);
    for (size_t i = 0; i < (size_t)w * h * ch; i++) {
        seed = seed * 1664525u + 1013904223u;
        px[i] = (unsigned char)(seed >> 24);
    }
    return px;
}

static void make_opaque(unsigned char *px, size_t n, unsigned ch)
{
    if (ch == 2 || ch == 4)
        for (size_t i = 0; i < n; i++)
            px[i * ch + ch - 1] = 255;
}

static unsigned char *resized(const unsigned char *src, unsigned sw, unsigned sh, unsigned ch,
                              unsigned dw, unsigned dh)
{
    unsigned char *dst = malloc((size_t)dw * dh * ch);
    assert_non_null(dst);
    assert_int_equal(resample_u8(src, sw, sh, ch, dst, dw, dh), 0);
    return dst;
}

static void test_resample__same_size_is_a_copy(void **state)
{
    (void)state;
    for (unsigned ch = 1; ch <= 4; ch++) {
        unsigned char *src = noise(37, 23, ch, ch);
        make_opaque(src, 37 * 23, ch);
        unsigned char *dst = resized(src, 37, 23, ch, 37, 23);
        assert_memory_equal(dst, src, (size_t)37 * 23 * ch);
        free(dst);
        free(src);
    }
}

/* A flat colour stays exactly that colour, whatever the sizes: the weights of
 * each output add up to 1, edges included. */
static void test_resample__flat_stays_flat(void **state)
{
    (void)state;
    static const unsigned sizes[][4] = {
        {7, 5, 3, 2}, {640, 480, 17, 13}, {3, 3, 40, 30}, {1, 1, 5, 5}, {5000, 1, 1, 1},
        {1, 3000, 2, 7}, {1001, 999, 250, 250}, {2, 2, 1, 1}, {9, 600, 9, 601},
        {3000, 3000, 6000, 1}, {2000, 40, 3, 400},   /* one side boxed, the other not */
    };
    const unsigned char colour[4] = {10, 200, 77, 255};
    for (unsigned ch = 1; ch <= 4; ch++)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            unsigned sw = sizes[i][0], sh = sizes[i][1], dw = sizes[i][2], dh = sizes[i][3];
            unsigned char *src = malloc((size_t)sw * sh * ch);
            assert_non_null(src);
            for (size_t p = 0; p < (size_t)sw * sh; p++)
                memcpy(src + p * ch, colour + 4 - ch, ch);   /* alpha, if any, is 255 */
            unsigned char *dst = resized(src, sw, sh, ch, dw, dh);
            for (size_t p = 0; p < (size_t)dw * dh; p++)
                if (memcmp(dst + p * ch, colour + 4 - ch, ch) != 0)
                    fail_msg("%u ch, %ux%u -> %ux%u: pixel %zu changed", ch, sw, sh, dw, dh, p);
            free(dst);
            free(src);
        }
}

/* Half-transparent flat colour: alpha exact, colour within one level. */
static void test_resample__flat_translucent(void **state)
{
    (void)state;
    unsigned char src[64 * 48 * 4];
    for (size_t p = 0; p < 64 * 48; p++)
        memcpy(src + p * 4, (unsigned char[]){200, 30, 90, 77}, 4);
    unsigned char *dst = resized(src, 64, 48, 4, 5, 4);
    for (size_t p = 0; p < 5 * 4; p++) {
        assert_int_equal(dst[p * 4 + 3], 77);
        for (unsigned c = 0; c < 3; c++)
            assert_in_range(dst[p * 4 + c], src[c] - 1, src[c] + 1);
    }
    free(dst);
}

/* Black and white pixels average to half the light, sRGB 188 (gamma-space
 * code gives 128), with and without the box pre-shrink. Corner pixels see a
 * lopsided share of the checkerboard through the renormalised edge taps. */
static void test_resample__linear_light(void **state)
{
    (void)state;
    unsigned char src[64 * 64];
    for (unsigned y = 0; y < 64; y++)
        for (unsigned x = 0; x < 64; x++)
            src[y * 64 + x] = (x + y) % 2 ? 255 : 0;
    static const unsigned to[] = {32, 8, 4};   /* 8 and 4: box pre-shrink */
    assert_int_equal(resample_box_factor(64, 32), 1);
    assert_true(resample_box_factor(64, 8) > 1);
    for (size_t i = 0; i < sizeof to / sizeof to[0]; i++) {
        unsigned char *dst = resized(src, 64, 64, 1, to[i], to[i]);
        for (unsigned y = 0; y < to[i]; y++)
            for (unsigned x = 0; x < to[i]; x++) {
                int edge = x == 0 || y == 0 || x + 1 == to[i] || y + 1 == to[i];
                assert_in_range(dst[y * to[i] + x], edge ? 185 : 188, edge ? 191 : 188);
            }
        free(dst);
    }
}

/* Opaque red beside fully transparent green, shrunk through the filter alone
 * and through the box: no visible pixel turns green. */
static void test_resample__transparent_does_not_bleed(void **state)
{
    (void)state;
    static const unsigned sizes[][2] = {{64, 7}, {400, 13}, {400, 150}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        unsigned n = sizes[i][0], m = sizes[i][1];
        unsigned char *src = malloc((size_t)n * n * 4);
        assert_non_null(src);
        for (size_t p = 0; p < (size_t)n * n; p++)
            memcpy(src + p * 4, p % n < n / 2 ? (unsigned char[]){255, 0, 0, 255}
                                              : (unsigned char[]){0, 255, 0, 0}, 4);
        unsigned char *dst = resized(src, n, n, 4, m, m);
        for (size_t p = 0; p < (size_t)m * m; p++) {
            const unsigned char *q = dst + p * 4;
            if (q[3] > 0 && (q[1] > 0 || q[0] < 250))
                fail_msg("%u -> %u, pixel %zu: (%u,%u,%u,%u)", n, m, p, q[0], q[1], q[2], q[3]);
        }
        free(dst);
        free(src);
    }
}

/* Ramps, texture and hard edges, with varying alpha for 2 and 4 channels. */
static unsigned char *pattern(unsigned w, unsigned h, unsigned ch)
{
    unsigned char *px = malloc((size_t)w * h * ch);
    assert_non_null(px);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            for (unsigned k = 0; k < ch; k++)
                px[((size_t)y * w + x) * ch + k] = (unsigned char)(
                    k == 1 && ch == 2 ? 128 + (x / 50) * 5 :
                    k == 3 ? 255 - (y / 40) * 3 :
                    (x * (k + 1) + y * 2) / 9 % 160 + ((x / 97 + y / 61) % 2) * 60 +
                    ((x * 7 + y * 13) % 5) * 8);
    return px;
}

/* stb_image_resize computes the same Catmull-Rom in linear light in floats,
 * written by other hands. Away from the borders (stb repeats edge pixels
 * where this module renormalises) the two agree within rounding when the
 * filter works alone; with the box pre-shrink on a 10x reduction (both sides,
 * or one), within 1 level on average. */
static void test_resample__agrees_with_stb(void **state)
{
    (void)state;
    static const struct { unsigned sw, sh, dw, dh; double mean; unsigned worst; } cases[] = {
        {301, 203, 120, 80, 0.1, 2},     /* 2.5x: the filter alone */
        {120, 80, 301, 203, 0.1, 2},     /* enlarging */
        {1203, 805, 120, 80, 1.0, 24},   /* 10x: box 5, then the filter */
        {1203, 80, 120, 80, 1.0, 24},    /* box 5 across, nothing down */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (unsigned ch = 1; ch <= 4; ch++) {
            unsigned sw = cases[i].sw, sh = cases[i].sh, dw = cases[i].dw, dh = cases[i].dh;
            unsigned char *src = pattern(sw, sh, ch), *ref = malloc((size_t)dw * dh * ch);
            assert_non_null(ref);
            int alpha = ch == 2 || ch == 4 ? (int)ch - 1 : STBIR_ALPHA_CHANNEL_NONE;
            assert_true(stbir_resize_uint8_generic(src, (int)sw, (int)sh, 0, ref, (int)dw,
                                                   (int)dh, 0, (int)ch, alpha, 0,
                                                   STBIR_EDGE_CLAMP, STBIR_FILTER_CATMULLROM,
                                                   STBIR_COLORSPACE_SRGB, NULL));
            unsigned char *dst = resized(src, sw, sh, ch, dw, dh);
            double total = 0;
            unsigned worst = 0, n = 0, margin = 3;
            for (unsigned y = margin; y + margin < dh; y++)
                for (unsigned x = margin; x + margin < dw; x++)
                    for (unsigned c = 0; c < ch; c++, n++) {
                        size_t at = ((size_t)y * dw + x) * ch + c;
                        unsigned d = (unsigned)abs(dst[at] - ref[at]);
                        total += d;
                        worst = d > worst ? d : worst;
                    }
            if (total / n > cases[i].mean || worst > cases[i].worst)
                fail_msg("%ux%u -> %ux%u, %u ch: mean difference %.3f, max %u", sw, sh, dw, dh,
                         ch, total / n, worst);
            free(dst);
            free(ref);
            free(src);
        }
}

static void test_resample__box_factor(void **state)
{
    (void)state;
    assert_int_equal(resample_box_factor(1000, 256), 1);   /* 3.9x */
    assert_int_equal(resample_box_factor(1024, 256), 2);   /* 4x */
    assert_int_equal(resample_box_factor(4000, 256), 7);   /* 15.6x */
    assert_int_equal(resample_box_factor(100, 1), 50);
    assert_int_equal(resample_box_factor(10, 100), 1);     /* enlarging */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resample__same_size_is_a_copy),
        cmocka_unit_test(test_resample__flat_stays_flat),
        cmocka_unit_test(test_resample__flat_translucent),
        cmocka_unit_test(test_resample__linear_light),
        cmocka_unit_test(test_resample__transparent_does_not_bleed),
        cmocka_unit_test(test_resample__agrees_with_stb),
        cmocka_unit_test(test_resample__box_factor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
