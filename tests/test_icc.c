/* Unit tests for icc: profiles made here with lcms2 (a copy of sRGB with red
 * and green swapped, linear gray) convert pixels as colour management says,
 * alpha is untouched, the cached transform gives the same result, and broken
 * or mismatched profiles leave the pixels alone with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <lcms2.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "imgpool/icc.h"

/* The bytes of profile p (closed here); *len their count. */
static unsigned char *profile_bytes(cmsHPROFILE p, size_t *len)
{
    cmsUInt32Number n = 0;
    assert_non_null(p);
    assert_true(cmsSaveProfileToMem(p, NULL, &n));
    unsigned char *b = malloc(n);
    assert_non_null(b);
    assert_true(cmsSaveProfileToMem(p, b, &n));
    cmsCloseProfile(p);
    *len = n;
    return b;
}

/* sRGB's primaries and curve, but the red and green primaries swapped: a
 * stored (r, g, b) means the sRGB colour (g, r, b) (colord's
 * SwappedRedAndGreen.icc, made here). */
static unsigned char *swapped_profile(size_t *len)
{
    cmsCIExyY d65;
    cmsWhitePointFromTemp(&d65, 6504);
    cmsCIExyYTRIPLE prim = {{0.3000, 0.6000, 1.0}, {0.6400, 0.3300, 1.0}, {0.1500, 0.0600, 1.0}};
    static const cmsFloat64Number srgb[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
    cmsToneCurve *c = cmsBuildParametricToneCurve(NULL, 4, srgb);
    cmsToneCurve *curves[3] = {c, c, c};
    unsigned char *b = profile_bytes(cmsCreateRGBProfile(&d65, &prim, curves), len);
    cmsFreeToneCurve(c);
    return b;
}

static unsigned char *linear_gray_profile(size_t *len)
{
    cmsToneCurve *lin = cmsBuildGamma(NULL, 1.0);
    unsigned char *b = profile_bytes(cmsCreateGrayProfile(cmsD50_xyY(), lin), len);
    cmsFreeToneCurve(lin);
    return b;
}

static struct img pixels(unsigned w, unsigned h, unsigned ch, const unsigned char *one)
{
    struct img im = {malloc((size_t)w * h * ch), w, h, ch};
    assert_non_null(im.px);
    for (size_t i = 0; i < (size_t)w * h; i++)
        memcpy(im.px + i * ch, one, ch);
    return im;
}

static void assert_near(unsigned got, unsigned want, unsigned tol)
{
    if (got + tol < want || got > want + tol)
        fail_msg("got %u, want %u +- %u", got, want, tol);
}

static void test_icc__swapped_profile_swaps_red_and_green(void **state)
{
    (void)state;
    struct icc *c;
    char err[128] = "";
    size_t len;
    unsigned char *prof = swapped_profile(&len);
    assert_int_equal(icc_create(&c, err, sizeof err), 0);
    assert_int_equal(icc_space_of(prof, len), ICC_SPACE_RGB);
    static const unsigned char rgba[4] = {200, 60, 30, 77};
    /* RGB twice (the second time from the cache), then RGBA */
    static const unsigned chans[3] = {3, 3, 4};
    for (int round = 0; round < 3; round++) {
        unsigned ch = chans[round];
        struct img im = pixels(7, 3, ch, rgba);
        assert_int_equal(icc_to_srgb(c, prof, len, &im, err, sizeof err), 0);
        assert_int_equal(im.ch, ch);
        for (size_t i = 0; i < 21; i++) {
            const unsigned char *px = im.px + i * ch;
            assert_near(px[0], 60, 2);
            assert_near(px[1], 200, 2);
            assert_near(px[2], 30, 2);
            if (ch == 4)
                assert_int_equal(px[3], 77);    /* alpha copied, not converted */
        }
        img_free(&im);
    }
    free(prof);
    icc_destroy(c);
}

/* 16-bit samples: the swapped profile's colours from all 16 bits, rounded
 * once; alpha copied (rounded to 8 bits); a gray profile on 16-bit gray; a
 * mismatched profile refused with out untouched; and the 8-bit transform
 * cached before still right afterwards. */
static void test_icc__sixteen_bit_samples(void **state)
{
    (void)state;
    struct icc *c;
    char err[128] = "";
    size_t len, glen;
    unsigned char *prof = swapped_profile(&len), *gray = linear_gray_profile(&glen);
    assert_int_equal(icc_create(&c, err, sizeof err), 0);
    struct img im = pixels(5, 2, 4, (const unsigned char[]){200, 60, 30, 77});
    assert_int_equal(icc_to_srgb(c, prof, len, &im, err, sizeof err), 0);
    /* 200.4 and 59.6 levels, which 8-bit samples cannot hold */
    uint16_t deep[5 * 2 * 4];
    for (unsigned i = 0; i < 10; i++)
        memcpy(deep + 4 * i, (const uint16_t[]){51503, 15317, 7710, 19789}, sizeof(uint16_t[4]));
    struct img out = {calloc(5 * 2, 4), 5, 2, 4};
    assert_non_null(out.px);
    assert_int_equal(icc_to_srgb16(c, prof, len, deep, 5, 2, 4, out.px, err, sizeof err), 0);
    for (unsigned i = 0; i < 10; i++) {
        assert_near(out.px[4 * i], 60, 1);
        assert_near(out.px[4 * i + 1], 200, 1);
        assert_near(out.px[4 * i + 2], 30, 1);
        assert_int_equal(out.px[4 * i + 3], 77);        /* 19789 / 257 = 77.0 */
    }
    /* gray: 16-bit samples that 8-bit ones can hold give the 8-bit result */
    uint16_t ramp[4] = {4 * 257, 9 * 257, 128 * 257, 65535};
    struct img g8 = pixels(4, 1, 1, (const unsigned char[]){0});
    memcpy(g8.px, (const unsigned char[]){4, 9, 128, 255}, 4);
    assert_int_equal(icc_to_srgb(c, gray, glen, &g8, err, sizeof err), 0);
    assert_int_equal(icc_to_srgb16(c, gray, glen, ramp, 4, 1, 1, out.px, err, sizeof err), 0);
    for (unsigned i = 0; i < 4; i++)
        assert_near(out.px[i], g8.px[i], 1);
    assert_near(out.px[2], 188, 2);
    img_free(&g8);
    memset(out.px, 7, 5 * 2 * 4);
    assert_int_equal(icc_to_srgb16(c, gray, glen, deep, 5, 2, 4, out.px, err, sizeof err), -1);
    assert_non_null(strstr(err, "gray profile on a 4-channel image"));
    for (unsigned i = 0; i < 5 * 2 * 4; i++)
        assert_int_equal(out.px[i], 7);                /* untouched */
    img_free(&out);
    /* icc_prepare tells a profile that changes colours from an sRGB one */
    assert_int_equal(icc_prepare(c, prof, len, 3, err, sizeof err), 0);
    /* the 8-bit path again, after the 16-bit transforms replaced its cache */
    struct img again = pixels(5, 2, 4, (const unsigned char[]){200, 60, 30, 77});
    assert_int_equal(icc_to_srgb(c, prof, len, &again, err, sizeof err), 0);
    assert_memory_equal(again.px, im.px, 5 * 2 * 4);
    img_free(&again);
    img_free(&im);
    free(prof);
    free(gray);
    icc_destroy(c);
}

/* lcms2's own sRGB profile, embedded: within a level of the identity, so the
 * pixels are not touched at all. */
static void test_icc__srgb_profile_is_identity(void **state)
{
    (void)state;
    struct icc *c;
    char err[128];
    size_t len;
    unsigned char *prof = profile_bytes(cmsCreate_sRGBProfile(), &len);
    assert_int_equal(icc_create(&c, err, sizeof err), 0);
    struct img im = {malloc(256 * 3), 256, 1, 3};
    assert_non_null(im.px);
    for (unsigned i = 0; i < 256 * 3; i++)
        im.px[i] = (unsigned char)(i * 7 / 3);
    unsigned char *before = malloc(256 * 3);
    memcpy(before, im.px, 256 * 3);
    assert_int_equal(icc_to_srgb(c, prof, len, &im, err, sizeof err), 0);
    assert_memory_equal(im.px, before, 256 * 3);    /* known as sRGB: left alone */
    assert_int_equal(icc_prepare(c, prof, len, 3, err, sizeof err), 1);    /* and said so */
    free(before);
    img_free(&im);
    free(prof);
    icc_destroy(c);
}

/* Linear gray 0.5 is sRGB gray 188 (0.5 ^ (1 / 2.4) * 1.055 - 0.055); one
 * channel in, one out, alpha kept for gray + alpha. */
static void test_icc__gray_profile_stays_gray(void **state)
{
    (void)state;
    struct icc *c;
    char err[128];
    size_t len;
    unsigned char *prof = linear_gray_profile(&len);
    assert_int_equal(icc_space_of(prof, len), ICC_SPACE_GRAY);
    assert_int_equal(icc_create(&c, err, sizeof err), 0);
    static const unsigned char g[2] = {128, 9};
    struct img im = pixels(4, 4, 1, g), ga = pixels(4, 4, 2, g);
    assert_int_equal(icc_to_srgb(c, prof, len, &im, err, sizeof err), 0);
    assert_int_equal(icc_to_srgb(c, prof, len, &ga, err, sizeof err), 0);
    assert_int_equal(im.ch, 1);
    assert_int_equal(ga.ch, 2);
    assert_near(im.px[5], 188, 2);
    assert_near(ga.px[10], 188, 2);
    assert_int_equal(ga.px[11], 9);
    img_free(&im);
    img_free(&ga);
    free(prof);
    icc_destroy(c);
}

/* Broken and mismatched profiles: -1, a reason, the pixels untouched. */
static void test_icc__bad_profiles_change_nothing(void **state)
{
    (void)state;
    struct icc *c;
    char err[128];
    size_t len, glen;
    unsigned char *prof = swapped_profile(&len), *gray = linear_gray_profile(&glen);
    static const unsigned char rgb[3] = {10, 20, 30};
    assert_int_equal(icc_create(&c, err, sizeof err), 0);

    struct img im = pixels(3, 3, 3, rgb);
    err[0] = '\0';
    assert_int_equal(icc_to_srgb(c, prof, 100, &im, err, sizeof err), -1);   /* truncated */
    assert_true(err[0] != '\0');
    unsigned char *broken = malloc(len);
    memcpy(broken, prof, len);
    memset(broken + 128, 0xff, len - 128);          /* header intact, tag table garbage */
    err[0] = '\0';
    assert_int_equal(icc_to_srgb(c, broken, len, &im, err, sizeof err), -1);
    assert_true(err[0] != '\0');
    err[0] = '\0';
    assert_int_equal(icc_to_srgb(c, gray, glen, &im, err, sizeof err), -1); /* gray on RGB */
    assert_non_null(strstr(err, "gray profile on a 3-channel image"));
    for (size_t i = 0; i < 9; i++)
        assert_memory_equal(im.px + i * 3, rgb, 3);
    assert_int_equal(icc_prepare(c, prof, len, 1, err, sizeof err), -1);  /* RGB on gray */
    assert_int_equal(icc_prepare(c, prof, len, 3, err, sizeof err), 0);
    /* a good profile after the bad ones still converts */
    assert_int_equal(icc_to_srgb(c, prof, len, &im, err, sizeof err), 0);
    assert_near(im.px[0], 20, 2);
    assert_near(im.px[1], 10, 2);
    img_free(&im);
    free(broken);
    free(prof);
    free(gray);
    icc_destroy(c);
}

static void test_icc__space_of_reads_the_header(void **state)
{
    (void)state;
    unsigned char h[128] = {0};
    memcpy(h + 36, "acsp", 4);
    memcpy(h + 16, "CMYK", 4);
    assert_int_equal(icc_space_of(h, sizeof h), ICC_SPACE_CMYK);
    assert_int_equal(icc_space_of(h, 127), ICC_SPACE_OTHER);
    memcpy(h + 16, "Lab ", 4);
    assert_int_equal(icc_space_of(h, sizeof h), ICC_SPACE_OTHER);
    memcpy(h + 16, "GRAY", 4);
    memcpy(h + 36, "nope", 4);
    assert_int_equal(icc_space_of(h, sizeof h), ICC_SPACE_OTHER);
    assert_int_equal(icc_space_of(NULL, 0), ICC_SPACE_OTHER);
    assert_true(icc_space_fits(ICC_SPACE_CMYK, 4));
    assert_false(icc_space_fits(ICC_SPACE_RGB, 2));
    assert_true(icc_version()[0] == '2');
}

/* sRGB's curve, both ways, for the expected values below. */
static double test_srgb_linear(double v)
{
    v /= 255;
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double test_srgb_encoded(double v)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    return 255 * (v <= 0.0031308 ? v * 12.92 : 1.055 * pow(v, 1 / 2.4) - 0.055);
}

/* Colour signalled by code points becomes a profile that converts like the
 * standards say: each pixel against the published matrices from Display P3
 * and BT.2020 to sRGB (linear light, same D65 white), within a level;
 * linear transfer as sRGB's curve would encode it; sRGB and "unspecified"
 * need no profile; HDR curves and unknown primaries are refused. */
static void test_icc__from_cicp(void **state)
{
    (void)state;
    static const struct { unsigned prim; double m[3][3]; } cases[] = {
        {12, {{1.2249401, -0.2249404, 0}, {-0.0420569, 1.0420571, 0},
              {-0.0196376, -0.0786361, 1.0982735}}},
        {9, {{1.6604910, -0.5876411, -0.0728499}, {-0.1245505, 1.1328999, -0.0083494},
             {-0.0181508, -0.1005789, 1.1187297}}},
    };
    static const unsigned char px[4][3] = {{200, 100, 50}, {30, 160, 220}, {128, 128, 128},
                                           {250, 240, 10}};
    struct icc *c;
    char err[256] = "";
    assert_int_equal(icc_create(&c, err, sizeof err), 0);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsigned char *prof;
        size_t len;
        assert_int_equal(icc_from_cicp(cases[k].prim, 13, &prof, &len, err, sizeof err), 0);
        assert_int_equal(icc_space_of(prof, len), ICC_SPACE_RGB);
        struct img im = {malloc(sizeof px), 4, 1, 3};
        memcpy(im.px, px, sizeof px);
        assert_int_equal(icc_to_srgb(c, prof, len, &im, err, sizeof err), 0);
        for (unsigned i = 0; i < 4; i++)
            for (unsigned o = 0; o < 3; o++) {
                double lin = 0;
                for (unsigned j = 0; j < 3; j++)
                    lin += cases[k].m[o][j] * test_srgb_linear(px[i][j]);
                double want = test_srgb_encoded(lin);
                if (fabs(im.px[3 * i + o] - want) > 1.0)
                    fail_msg("primaries %u, pixel %u, channel %u: %u, want %.1f", cases[k].prim,
                             i, o, im.px[3 * i + o], want);
            }
        img_free(&im);
        free(prof);
    }
    static unsigned char stale;     /* what *out holds before: must come back NULL */
    unsigned char *prof = &stale;
    size_t len;
    assert_int_equal(icc_from_cicp(2, 8, &prof, &len, err, sizeof err), 0);   /* linear */
    struct img im = {malloc(3), 1, 1, 3};
    memset(im.px, 128, 3);
    assert_int_equal(icc_to_srgb(c, prof, len, &im, err, sizeof err), 0);
    assert_true(abs(im.px[0] - (int)lrint(test_srgb_encoded(128 / 255.0))) <= 1);
    img_free(&im);
    free(prof);
    static const unsigned srgb_like[] = {1, 2, 6, 13, 14, 15};
    for (size_t i = 0; i < sizeof srgb_like / sizeof srgb_like[0]; i++) {
        prof = &stale;
        assert_int_equal(icc_from_cicp(1, srgb_like[i], &prof, &len, err, sizeof err), 1);
        assert_null(prof);
    }
    assert_int_equal(icc_from_cicp(2, 2, &prof, &len, err, sizeof err), 1);
    assert_int_equal(icc_from_cicp(9, 16, &prof, &len, err, sizeof err), 2);
    assert_non_null(strstr(err, "HDR"));
    assert_null(prof);
    assert_int_equal(icc_from_cicp(12, 18, &prof, &len, err, sizeof err), 2);
    assert_int_equal(icc_from_cicp(22, 13, &prof, &len, err, sizeof err), 2);
    assert_null(prof);
    /* only the answer */
    assert_int_equal(icc_from_cicp(12, 13, NULL, NULL, err, sizeof err), 0);
    assert_int_equal(icc_from_cicp(1, 13, NULL, NULL, err, sizeof err), 1);
    assert_int_equal(icc_from_cicp(9, 16, NULL, NULL, err, sizeof err), 2);
    icc_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_icc__swapped_profile_swaps_red_and_green),
        cmocka_unit_test(test_icc__sixteen_bit_samples),
        cmocka_unit_test(test_icc__srgb_profile_is_identity),
        cmocka_unit_test(test_icc__gray_profile_stays_gray),
        cmocka_unit_test(test_icc__bad_profiles_change_nothing),
        cmocka_unit_test(test_icc__space_of_reads_the_header),
        cmocka_unit_test(test_icc__from_cicp),
    };
    return cmocka_run_group_tests_name("icc", tests, NULL, NULL);
}
