/* Unit tests for avif: files from libheif's AV1 encoder decoded by libavif
 * (size, alpha, closeness to the source and to libheif's own decode),
 * metadata (ICC, EXIF behind HEIF's offset header, XMP), hostile variants,
 * and silence: a damaged AV1 stream must not make a library print. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "test_util.h"
#include "imgpool/avif.h"
#include "imgpool/heic.h"
#include "imgpool/icc.h"
#include "imgpool/img.h"

static void test_avif__decode_like_libheif(void **state)
{
    (void)state;
    for (unsigned ch = 3; ch <= 4; ch++) {
        struct img src = test_gradient(40, 24, ch);
        size_t len;
        unsigned char *buf = test_avif_bytes(&src, 90, NULL, &len);
        struct img a = test_decoded(avif_decode, buf, len, NULL);
        struct img h = test_decoded(heic_decode, buf, len, NULL);
        assert_int_equal(a.w, 40);
        assert_int_equal(a.h, 24);
        assert_int_equal(a.ch, ch);
        assert_true(test_mean_diff(&a, &src) < 3.0);
        /* libavif (full-precision colour conversion, smooth chroma upsampling)
         * is at least as close to the source as libheif 1.15 */
        if (test_mean_diff(&a, &src) > test_mean_diff(&h, &src) + 0.1)
            fail_msg("%u channels: %.2f from the source, libheif %.2f", ch,
                     test_mean_diff(&a, &src), test_mean_diff(&h, &src));
        img_free(&a);
        img_free(&h);
        free(buf);
        img_free(&src);
    }
}

static void test_avif__metadata(void **state)
{
    (void)state;
    test_avif_meta_round_trip(avif_decode);
}

/* Every truncation and byte flip fails with a message or decodes, and no
 * library prints (dav1d, libheif's AV1 decoder, would). */
static void test_avif__hostile_and_silent(void **state)
{
    (void)state;
    struct img src = test_gradient(24, 16, 4);
    size_t len, printed;
    unsigned decoded;
    unsigned char *buf = test_avif_bytes(&src, 50, NULL, &len);
    int saved, sink = test_stderr_begin(&saved);
    assert_true(sink >= 0);
    unsigned silent = test_hostile_variants(avif_decode, buf, len, 3, &decoded);
    unsigned char *text = test_stderr_end(sink, saved, &printed);
    if (text)
        fail_msg("a library printed: %.*s", (int)(printed > 300 ? 300 : printed), text);
    assert_int_equal(silent, 0);
    assert_int_equal(decoded, 0);
    free(buf);
    img_free(&src);
}

/* The rounding the deep decoders share: 10 and 12 bits to 8, not truncated. */
static void test_avif__rounding(void **state)
{
    (void)state;
    const uint16_t in[] = {0, 2, 3, 1020, 1023, 2000, 4095, 9999};
    unsigned char out[8];
    img_samples_to_8(in, 5, 10, out);
    assert_int_equal(out[0], 0);
    assert_int_equal(out[1], 0);      /* 0.499 */
    assert_int_equal(out[2], 1);      /* 0.748: truncation says 0 */
    assert_int_equal(out[3], 254);    /* 254.25 */
    assert_int_equal(out[4], 255);
    img_samples_to_8(in + 5, 3, 12, out);
    assert_int_equal(out[0], 125);    /* 124.54 */
    assert_int_equal(out[1], 255);
    assert_int_equal(out[2], 255);    /* above the range: clamped */
}

/* Colour given as nclx code points reaches the caller as a profile, from
 * both decoders (libavif's and libheif's, which HEIC takes): Display P3 and
 * BT.2020 do, so their pixels are converted to sRGB like a profile's;
 * "unspecified" and sRGB need none; an HDR curve or an unknown code gets
 * none (left as decoded), and nothing leaks (fuzz_img found libheif's nclx
 * leaking there; ASan's leak check runs the test). */
static void test_avif__nclx_colour(void **state)
{
    (void)state;
    static const struct { unsigned prim, transfer; int profile; } cases[] = {
        {12, 13, 1}, {9, 1, 1}, {2, 2, 0}, {1, 13, 0}, {9, 16, 0},
        {2, 33, 0}};    /* no such transfer: libheif hands its nclx over with an error */
    static const test_decode_fn decoders[] = {avif_decode, heic_decode};
    struct img src = test_gradient(16, 8, 3);
    size_t len;
    unsigned char *buf = test_avif_bytes(&src, 90, NULL, &len);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        test_set_cicp(buf, len, cases[k].prim, cases[k].transfer);
        for (size_t d = 0; d < 2; d++) {
            struct img_meta m = {0};
            struct img im = test_decoded(decoders[d], buf, len, &m);
            if (!cases[k].profile != !m.icc)
                fail_msg("decoder %zu, primaries %u, transfer %u: %s profile", d,
                         cases[k].prim, cases[k].transfer, m.icc ? "a" : "no");
            if (m.icc)
                assert_int_equal(icc_space_of(m.icc, m.icc_len), ICC_SPACE_RGB);
            img_meta_free(&m);
            img_free(&im);
        }
    }
    free(buf);
    img_free(&src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_avif__decode_like_libheif),
        cmocka_unit_test(test_avif__metadata),
        cmocka_unit_test(test_avif__hostile_and_silent),
        cmocka_unit_test(test_avif__rounding),
        cmocka_unit_test(test_avif__nclx_colour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
