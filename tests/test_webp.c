/* Unit tests for webp: probe, lossless and lossy round trips through libwebp,
 * metadata chunks, and hostile variants (truncated, bit-flipped, lying size). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/mman.h>

#include "test_util.h"
#include "imgpool/img.h"
#include "imgpool/webp.h"

/* im encoded as WebP (quality q, lossless or not, with meta), bytes malloc'd. */
static unsigned char *webp_bytes(const struct img *im, int q, int lossless,
                                 const struct img_meta *meta, size_t *len)
{
    char err[256] = "";
    int fd = test_memfd();
    return test_encoded(fd, webp_encode(im, q, lossless, meta, fd, err, sizeof err), err, len);
}

static void test_webp__lossless_exact(void **state)
{
    (void)state;
    for (unsigned ch = 3; ch <= 4; ch++) {
        struct img src = test_gradient(37, 21, ch);
        size_t len;
        unsigned char *buf = webp_bytes(&src, 90, 1, NULL, &len);
        struct img_info info = {0};
        char err[256];
        assert_int_equal(webp_probe(buf, len, &info, err, sizeof err), 0);
        assert_int_equal(info.w, 37);
        assert_int_equal(info.h, 21);
        assert_int_equal(info.ch, ch);
        assert_false(info.animated);
        struct img out = test_decoded(webp_decode, buf, len, NULL);
        assert_int_equal(out.ch, ch);
        assert_memory_equal(out.px, src.px, (size_t)37 * 21 * ch);
        img_free(&out);
        free(buf);
        img_free(&src);
    }
}

static void test_webp__lossy_quality(void **state)
{
    (void)state;
    struct img src = test_gradient(96, 64, 3);
    size_t lo_len, hi_len;
    unsigned char *lo = webp_bytes(&src, 20, 0, NULL, &lo_len);
    unsigned char *hi = webp_bytes(&src, 95, 0, NULL, &hi_len);
    assert_true(lo_len < hi_len);
    struct img a = test_decoded(webp_decode, lo, lo_len, NULL);
    struct img b = test_decoded(webp_decode, hi, hi_len, NULL);
    double da = test_mean_diff(&a, &src), db = test_mean_diff(&b, &src);
    assert_true(db < da);
    assert_true(db < 2.0);
    img_free(&a);
    img_free(&b);
    free(lo);
    free(hi);
    img_free(&src);
}

/* Grey and grey+alpha are stored as RGB(A) with equal channels. */
static void test_webp__gray_widened(void **state)
{
    (void)state;
    struct img src = test_gradient(20, 10, 2);
    size_t len;
    unsigned char *buf = webp_bytes(&src, 100, 1, NULL, &len);
    struct img out = test_decoded(webp_decode, buf, len, NULL);
    assert_int_equal(out.ch, 4);
    for (size_t i = 0; i < (size_t)20 * 10; i++) {
        assert_int_equal(out.px[4 * i], src.px[2 * i]);
        assert_int_equal(out.px[4 * i + 2], src.px[2 * i]);
        assert_int_equal(out.px[4 * i + 3], src.px[2 * i + 1]);
    }
    img_free(&out);
    free(buf);
    img_free(&src);
}

static void test_webp__metadata_round_trip(void **state)
{
    (void)state;
    unsigned char icc[] = "not a real profile, but bytes all the same";
    unsigned char exif[] = "MM\0*\0\0\0\x08\0\0";
    unsigned char xmp[] = "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>";
    struct img_meta in = {icc, sizeof icc, exif, sizeof exif, xmp, sizeof xmp}, out = {0};
    struct img src = test_gradient(16, 16, 3);
    size_t len;
    unsigned char *buf = webp_bytes(&src, 80, 0, &in, &len);
    struct img im = test_decoded(webp_decode, buf, len, &out);
    test_meta_equal(&out, &in);
    img_meta_free(&out);
    img_free(&im);
    /* without metadata: a plain file, nothing filled */
    free(buf);
    buf = webp_bytes(&src, 80, 0, NULL, &len);
    im = test_decoded(webp_decode, buf, len, &out);
    assert_null(out.icc);
    assert_null(out.exif);
    assert_null(out.xmp);
    img_free(&im);
    free(buf);
    img_free(&src);
}

static void test_webp__hostile(void **state)
{
    (void)state;
    struct img src = test_gradient(40, 30, 4);
    unsigned char icc[64] = "profile";
    struct img_meta meta = {.icc = icc, .icc_len = sizeof icc};
    for (int lossless = 0; lossless <= 1; lossless++) {
        size_t len;
        unsigned decoded;
        unsigned char *buf = webp_bytes(&src, 70, lossless, &meta, &len);
        assert_int_equal(test_hostile_variants(webp_decode, buf, len, 3, &decoded), 0);
        assert_int_equal(decoded, 0);             /* a cut file never passes as whole */
        free(buf);
    }
    img_free(&src);
}

/* A VP8L header that claims 16384 x 16384: refused by img_probe before any
 * pixel is allocated, with the size in the message. */
static void test_webp__lying_size(void **state)
{
    (void)state;
    struct img src = test_gradient(8, 8, 3), im;
    struct img_info info;
    size_t len;
    char err[256] = "";
    unsigned char *buf = webp_bytes(&src, 100, 1, NULL, &len);
    assert_memory_equal(buf + 12, "VP8L", 4);
    /* 14 bits width-1, 14 bits height-1, after the 0x2f signature at 20 */
    buf[21] = 0xff;
    buf[22] = 0xff;
    buf[23] = 0xff;
    buf[24] = (unsigned char)((buf[24] & ~0x0f) | 0x0f);
    struct img_load_opts o = {.max_pixels = 100000000};
    assert_int_equal(img_decode(buf, len, &o, &im, &info, err, sizeof err), -1);
    assert_non_null(strstr(err, "too large: 16384x16384"));
    free(buf);
    img_free(&src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_webp__lossless_exact),
        cmocka_unit_test(test_webp__lossy_quality),
        cmocka_unit_test(test_webp__gray_widened),
        cmocka_unit_test(test_webp__metadata_round_trip),
        cmocka_unit_test(test_webp__hostile),
        cmocka_unit_test(test_webp__lying_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
