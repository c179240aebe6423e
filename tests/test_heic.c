/* Unit tests for heic: AVIF from our encoder read back by libheif (size,
 * alpha, closeness, quality), metadata round trip (ICC, EXIF without HEIF's
 * offset header, XMP), a HEIC from libheif's x265 encoder with its hostile
 * variants (truncated, bit-flipped), an ispe box that lies about the size.
 * Images are small: AV1 and HEVC under ASan are slow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/mman.h>

#include <libheif/heif.h>

#include "test_util.h"
#include "imgpool/heic.h"
#include "imgpool/img.h"

static void test_heic__avif_round_trip(void **state)
{
    (void)state;
    for (unsigned ch = 3; ch <= 4; ch++) {
        struct img src = test_gradient(48, 32, ch);
        size_t len;
        unsigned char *buf = test_avif_bytes(&src, 90, NULL, &len);
        struct img_info info = {0};
        char err[256];
        assert_int_equal(img_sniff(buf, len), IMG_FMT_AVIF);
        assert_int_equal(heic_probe(buf, len, &info, err, sizeof err), 0);
        assert_int_equal(info.w, 48);
        assert_int_equal(info.h, 32);
        assert_int_equal(info.ch, ch);
        struct img out = test_decoded(heic_decode, buf, len, NULL);
        assert_int_equal(out.ch, ch);
        double d = test_mean_diff(&out, &src);
        if (d > 3.0)
            fail_msg("%u channels: mean difference %.2f", ch, d);
        img_free(&out);
        free(buf);
        img_free(&src);
    }
}

static void test_heic__quality(void **state)
{
    (void)state;
    struct img src = test_gradient(64, 48, 3);
    size_t lo_len, hi_len;
    unsigned char *lo = test_avif_bytes(&src, 10, NULL, &lo_len);
    unsigned char *hi = test_avif_bytes(&src, 95, NULL, &hi_len);
    assert_true(lo_len < hi_len);
    struct img a = test_decoded(heic_decode, lo, lo_len, NULL);
    struct img b = test_decoded(heic_decode, hi, hi_len, NULL);
    assert_true(test_mean_diff(&b, &src) < test_mean_diff(&a, &src));
    img_free(&a);
    img_free(&b);
    free(lo);
    free(hi);
    img_free(&src);
}

static void test_heic__metadata_round_trip(void **state)
{
    (void)state;
    test_avif_meta_round_trip(heic_decode);
}

/* x265 keeps one 1168-byte block for the life of the process (its own
 * leak, seen in every x265 user): not ours to report. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libx265.so\n"; }

/* A HEIC (HEVC) of im written by libheif's x265 encoder, as heif-enc makes
 * them; with a thumbnail that fits in thumb x thumb unless thumb is 0 (heif-enc -t). */
static unsigned char *heic_bytes(const struct img *im, int thumb, size_t *len)
{
    struct heif_context *ctx = heif_context_alloc();
    struct heif_encoder *enc = NULL;
    struct heif_image *hi = NULL;
    int stride;
    assert_int_equal(heif_context_get_encoder_for_format(ctx, heif_compression_HEVC, &enc).code, 0);
    heif_encoder_set_lossy_quality(enc, 60);
    assert_int_equal(heif_image_create((int)im->w, (int)im->h, heif_colorspace_RGB,
                                       heif_chroma_interleaved_RGB, &hi).code, 0);
    heif_image_add_plane(hi, heif_channel_interleaved, (int)im->w, (int)im->h, 8);
    uint8_t *p = heif_image_get_plane(hi, heif_channel_interleaved, &stride);
    for (unsigned y = 0; y < im->h; y++)
        memcpy(p + (size_t)y * stride, im->px + (size_t)y * im->w * 3, (size_t)im->w * 3);
    struct heif_image_handle *h = NULL;
    assert_int_equal(heif_context_encode_image(ctx, hi, enc, NULL, &h).code, 0);
    if (thumb)
        assert_int_equal(heif_context_encode_thumbnail(ctx, hi, h, enc, NULL, thumb, NULL).code, 0);
    heif_image_handle_release(h);
    unsigned char *buf = test_heif_bytes(ctx, len);
    heif_image_release(hi);
    heif_encoder_release(enc);
    heif_context_free(ctx);
    return buf;
}

static void test_heic__hevc_and_hostile(void **state)
{
    (void)state;
    struct img src = test_gradient(64, 32, 3), im;
    size_t len;
    unsigned decoded;
    char err[256] = "";
    unsigned char *buf = heic_bytes(&src, 0, &len);
    assert_int_equal(img_sniff(buf, len), IMG_FMT_HEIC);
    if (heic_decode(buf, len, &im, NULL, err, sizeof err) != 0)
        fail_msg("heic_decode: %s", err);
    assert_int_equal(im.w, 64);
    assert_int_equal(im.ch, 3);
    assert_true(test_mean_diff(&im, &src) < 3.0);
    img_free(&im);
    assert_int_equal(test_hostile_variants(heic_decode, buf, len, 5, &decoded), 0);
    assert_int_equal(decoded, 0);
    free(buf);
    img_free(&src);
}

/* An ispe box claiming 60000 x 60000: refused before decoding. */
static void test_heic__lying_size(void **state)
{
    (void)state;
    struct img src = test_gradient(16, 16, 3), im;
    struct img_info info;
    size_t len;
    char err[256] = "";
    unsigned char *buf = test_avif_bytes(&src, 50, NULL, &len);
    unsigned char *ispe = memmem(buf, len, "ispe", 4);
    assert_non_null(ispe);
    memcpy(ispe + 8, "\0\0\xea\x60\0\0\xea\x60", 8);      /* after version and flags */
    struct img_load_opts o = {.max_pixels = 100000000};
    assert_int_equal(img_decode(buf, len, &o, &im, &info, err, sizeof err), -1);
    if (!strstr(err, "too large: 60000x60000") && strncmp(err, "HEIF: ", 6) != 0)
        fail_msg("unexpected message: %s", err);
    free(buf);
    img_free(&src);
}

/* A target the embedded thumbnail covers decodes the thumbnail (so does
 * img_decode with that target, keeping the full size in its info); a larger
 * target, or none, the image. */
static void test_heic__thumbnail_for_small_targets(void **state)
{
    (void)state;
    struct img src = test_gradient(160, 120, 3), im;
    size_t len;
    char err[256] = "";
    unsigned char *buf = heic_bytes(&src, 40, &len);
    static const struct { unsigned min_w, min_h, want_w; } cases[] = {
        {32, 24, 40}, {40, 30, 40}, {0, 0, 160}, {41, 30, 160}, {40, 31, 160}, {160, 120, 160}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        if (heic_decode_at_least(buf, len, cases[k].min_w, cases[k].min_h, NULL, &im, NULL, err,
                                 sizeof err) != 0)
            fail_msg("%ux%u: %s", cases[k].min_w, cases[k].min_h, err);
        if (im.w != cases[k].want_w || im.h * 4 != im.w * 3)
            fail_msg("%ux%u: decoded %ux%u, want %u wide", cases[k].min_w, cases[k].min_h,
                     im.w, im.h, cases[k].want_w);
        struct img small = test_gradient(im.w, im.h, 3);
        assert_true(test_mean_diff(&im, &small) < 4.0);
        img_free(&small);
        img_free(&im);
    }
    struct img_info info;
    struct img_load_opts o = {.target_w = 32, .target_h = 24};
    assert_int_equal(img_decode(buf, len, &o, &im, &info, err, sizeof err), 0);
    assert_int_equal(im.w, 40);
    assert_int_equal(info.w, 160);
    img_free(&im);
    free(buf);
    img_free(&src);
}

/* A 10- and 12-bit HEIC (HEVC, x265) whose colour is not sRGB's: converted from
 * all its bits (test_deep_colour). The same from libheif's AV1 encoder
 * trips an assertion in libaom 3.6 at 4:4:4; 16-colour tests AVIF. */
static void test_heic__deep_colour(void **state)
{
    (void)state;
    test_deep_colour(heif_compression_HEVC, 10);
    test_deep_colour(heif_compression_HEVC, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heic__avif_round_trip),
        cmocka_unit_test(test_heic__quality),
        cmocka_unit_test(test_heic__metadata_round_trip),
        cmocka_unit_test(test_heic__hevc_and_hostile),
        cmocka_unit_test(test_heic__lying_size),
        cmocka_unit_test(test_heic__thumbnail_for_small_targets),
        cmocka_unit_test(test_heic__deep_colour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
