/* Unit tests for jpeg: libjpeg-turbo decoding at full and reduced scale,
 * compared with stb_image's full decode.
 *
 * Tolerances (8-bit levels, all channels):
 *  - full scale vs stb_image: mean |diff| <= 1.5, because the two use
 *    different IDCT rounding and chroma upsampling;
 *  - 1/2, 1/4, 1/8 scale vs stb_image's full decode averaged over the same
 *    2x2, 4x4, 8x8 blocks: mean |diff| <= 2.5 (a scaled IDCT keeps a little
 *    more detail than a box average);
 *  - gray (the Y channel) vs BT.601 luma of the RGB decode: mean |diff| <= 1.0,
 *    max <= 8 (they differ only where RGB had to be clamped).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image.h>

#include "test_util.h"
#include "imgpool/img.h"
#include "imgpool/jpeg.h"

/* A shared corpus file, or NULL (with a note) when the corpus is absent. */
static unsigned char *read_shared(const char *rel, size_t *len)
{
    char path[1024];
    const char *shared = getenv("SHARED");
    snprintf(path, sizeof path, "%s/corpus/%s", shared ? shared : "../shared", rel);
    unsigned char *buf = test_read_file(path, len);
    if (!buf)
        print_message("%s not found (set SHARED): skipping that file\n", path);
    return buf;
}

/* Mean |a - b| between im and the stb decode (ch channels) averaged over
 * denom x denom blocks (partial blocks at the edges). */
static double mean_diff_box(const struct img *im, const unsigned char *ref, unsigned rw,
                            unsigned rh, unsigned denom)
{
    double total = 0;
    for (unsigned y = 0; y < im->h; y++)
        for (unsigned x = 0; x < im->w; x++)
            for (unsigned k = 0; k < im->ch; k++) {
                unsigned sum = 0, n = 0;
                for (unsigned yy = y * denom; yy < (y + 1) * denom && yy < rh; yy++)
                    for (unsigned xx = x * denom; xx < (x + 1) * denom && xx < rw; xx++, n++)
                        sum += ref[((size_t)yy * rw + xx) * im->ch + k];
                double d = im->px[((size_t)y * im->w + x) * im->ch + k] - (double)sum / n;
                total += d < 0 ? -d : d;
            }
    return total / ((double)im->w * im->h * im->ch);
}

/* Decodes buf at 1/1 .. 1/8: the sizes must be right, and the mean
 * difference from stb's full decode (box-averaged) within full_tol at full
 * scale and scaled_tol below it (scaled_tol < 0: sizes only). */
static void check_scales_within(struct jpeg_dec *d, const unsigned char *buf, size_t len,
                                const char *name, double full_tol, double scaled_tol)
{
    int rw, rh, rc;
    unsigned char *ref = stbi_load_from_memory(buf, (int)len, &rw, &rh, &rc, 0);
    char err[200];
    assert_non_null(ref);
    for (unsigned denom = 1; denom <= 8; denom *= 2) {
        struct img im;
        if (jpeg_decode(d, buf, len, denom, 0, 0, &im, err, sizeof err) != 0)
            fail_msg("%s 1/%u: %s", name, denom, err);
        assert_int_equal(im.w, (rw + denom - 1) / denom);
        assert_int_equal(im.h, (rh + denom - 1) / denom);
        assert_int_equal(im.ch, rc);
        double tol = denom == 1 ? full_tol : scaled_tol;
        double diff = mean_diff_box(&im, ref, (unsigned)rw, (unsigned)rh, denom);
        if (tol >= 0 && diff > tol)
            fail_msg("%s at 1/%u: mean difference %.2f", name, denom, diff);
        img_free(&im);
    }
    stbi_image_free(ref);
}

static void check_scales(struct jpeg_dec *d, const unsigned char *buf, size_t len,
                         const char *name)
{
    check_scales_within(d, buf, len, name, 1.5, 2.5);
}

/* check_scales_within on each shared corpus file named (absent ones skipped). */
static void check_shared(const char *const *files, size_t n, double full_tol,
                         double scaled_tol)
{
    struct jpeg_dec *d;
    char err[200];
    assert_int_equal(jpeg_dec_create(&d, err, sizeof err), 0);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        unsigned char *buf = read_shared(files[i], &len);
        if (buf)
            check_scales_within(d, buf, len, files[i], full_tol, scaled_tol);
        free(buf);
    }
    jpeg_dec_destroy(d);
}

static void test_jpeg__scale_for(void **state)
{
    (void)state;
    assert_int_equal(jpeg_scale_for(2000, 1500, 0, 0), 1);
    assert_int_equal(jpeg_scale_for(2000, 1500, 2000, 1500), 1);
    assert_int_equal(jpeg_scale_for(2000, 1500, 1001, 10), 1);
    assert_int_equal(jpeg_scale_for(2000, 1500, 1000, 750), 2);
    assert_int_equal(jpeg_scale_for(2000, 1500, 256, 192), 4);
    assert_int_equal(jpeg_scale_for(2000, 1500, 250, 188), 8);
    assert_int_equal(jpeg_scale_for(2000, 1500, 250, 189), 4);   /* 1500/8 = 187.5 -> 188 */
    assert_int_equal(jpeg_scale_for(2001, 1501, 251, 188), 8);   /* ceil(2001/8) = 251 */
    assert_int_equal(jpeg_scale_for(7, 7, 1, 1), 8);
}

static void test_jpeg__scaled_close_to_full(void **state)
{
    struct jpeg_dec *d;
    char err[200];
    size_t len;
    (void)state;
    assert_int_equal(jpeg_dec_create(&d, err, sizeof err), 0);
    static const char *const samples[] = {"samples/photo.jpg", "samples/large-landscape.jpg"};
    for (unsigned i = 0; i < 2; i++) {
        unsigned char *buf = test_read_file(samples[i], &len);
        assert_non_null(buf);
        check_scales(d, buf, len, samples[i]);
        free(buf);
    }
    static const char *const shared[] = {"jpeg/image-rs/progressive-cat.jpg",
                                         "jpeg/jpeg-decoder/grayscale_large.jpg",
                                         "jpeg/libjpeg-turbo/testorig.jpg"};
    for (unsigned i = 0; i < 3; i++) {
        unsigned char *buf = read_shared(shared[i], &len);
        if (buf)
            check_scales(d, buf, len, shared[i]);
        free(buf);
    }
    jpeg_dec_destroy(d);
}

static void test_jpeg__gray_is_luma(void **state)
{
    struct jpeg_dec *d;
    struct img rgb, y;
    char err[200];
    size_t len;
    (void)state;
    unsigned char *buf = test_read_file("samples/photo.jpg", &len);
    assert_non_null(buf);
    assert_int_equal(jpeg_dec_create(&d, err, sizeof err), 0);
    assert_int_equal(jpeg_decode(d, buf, len, 2, 0, 0, &rgb, err, sizeof err), 0);
    assert_int_equal(jpeg_decode(d, buf, len, 2, 1, 0, &y, err, sizeof err), 0);
    assert_int_equal(rgb.ch, 3);
    assert_int_equal(y.ch, 1);
    assert_int_equal(img_gray(&rgb, err, sizeof err), 0);
    double total = 0;
    unsigned worst = 0;
    for (size_t i = 0; i < (size_t)y.w * y.h; i++) {
        unsigned diff = (unsigned)abs(y.px[i] - rgb.px[i]);
        total += diff;
        worst = diff > worst ? diff : worst;
    }
    assert_true(total / ((double)y.w * y.h) <= 1.0);
    assert_true(worst <= 8);
    img_free(&rgb);
    img_free(&y);
    free(buf);
    jpeg_dec_destroy(d);
}

/* Garbage and files cut short are errors, damaged data that libjpeg can
 * decode is kept with its warning (rc 1), and the decoder still works
 * afterwards. No JPEG goes to stb_image any more. */
static void test_jpeg__damaged_and_errors(void **state)
{
    struct jpeg_dec *d;
    struct img im;
    char err[200];
    size_t len;
    (void)state;
    assert_int_equal(jpeg_dec_create(&d, err, sizeof err), 0);
    unsigned char *buf = test_read_file("samples/photo.jpg", &len);
    assert_non_null(buf);
    assert_int_equal(jpeg_decode(d, buf, len / 2, 1, 0, 0, &im, err, sizeof err), -1);
    assert_null(im.px);
    assert_non_null(strstr(err, "JPEG: truncated"));
    /* Without its end marker every row is there: kept, with the warning. */
    assert_int_equal(jpeg_decode(d, buf, len - 2, 1, 0, 0, &im, err, sizeof err), 1);
    assert_non_null(im.px);
    assert_non_null(strstr(err, "Premature end"));
    img_free(&im);
    static const unsigned char junk[] = "not a JPEG file at all";
    assert_int_equal(jpeg_decode(d, junk, sizeof junk, 1, 0, 0, &im, err, sizeof err), -1);
    assert_non_null(strstr(err, "Not a JPEG"));
    assert_int_equal(jpeg_decode(d, buf, len, 3, 0, 0, &im, err, sizeof err), -1);
    assert_int_equal(jpeg_decode(d, buf, len, 1, 0, 1000, &im, err, sizeof err), -1);
    assert_non_null(strstr(err, "too large"));
    assert_int_equal(jpeg_decode(d, buf, len, 1, 0, 0, &im, err, sizeof err), 0);
    img_free(&im);
    free(buf);
    unsigned char *extra = read_shared("jpeg/jpeg-decoder/extraneous-data.jpg", &len);
    if (extra) {
        assert_int_equal(jpeg_decode(d, extra, len, 1, 0, 0, &im, err, sizeof err), 1);
        assert_int_equal(im.w, 16);
        assert_non_null(strstr(err, "extraneous bytes"));
        img_free(&im);
    }
    free(extra);
    jpeg_dec_destroy(d);
    jpeg_dec_destroy(NULL);
}

/* Sequential files with one scan per component: several scans, but not
 * progressive, so the DC-only shortcut must not apply (it read libjpeg's
 * progressive-only coefficient table, NULL here, at 1/8 scale). */
static void test_jpeg__multi_scan_sequential(void **state)
{
    static const char *const files[] = {
        "jpeg/jpegsuite/baseline/32x32x8_ycbcr.jpg",
        "jpeg/jpegsuite/baseline/32x32x8_rgb.jpg",
    };
    (void)state;
    check_shared(files, sizeof files / sizeof files[0], 1.5, 2.5);
}

/* CMYK (Adobe, inverted) comes out as RGB, as stb_image converts it: within
 * rounding of stb's decode at full scale (C * K is not linear, so a reduced
 * scale is not the box average of the full decode: only its size is checked). */
static void test_jpeg__cmyk_to_rgb(void **state)
{
    static const char *const files[] = {
        "jpeg/jpegsuite/baseline/32x32x8_cmyk.jpg",
        "jpeg/jpegsuite/progressive_huffman/32x32x8_cmyk_interleaved.jpg",
        "jpeg/mozilla/jpg-cmyk-1.jpg",
        "jpeg/mozilla/jpg-cmyk-2.jpg",
    };
    (void)state;
    check_shared(files, sizeof files / sizeof files[0], 0.5, -1);
}

/* Through img: a target hint shrinks the decode, the info still gives the
 * full upright size, EXIF rotation applies to the reduced image. */
static void test_jpeg__img_decode_with_target(void **state)
{
    char err[200];
    size_t len;
    (void)state;
    unsigned char *buf = test_read_file("samples/exif-rotate6.jpg", &len);
    assert_non_null(buf);
    struct img full, small;
    struct img_info fi, si;
    struct img_load_opts o = {.autorotate = 1};
    assert_int_equal(img_decode(buf, len, &o, &full, &fi, err, sizeof err), 0);
    o.target_w = fi.w / 4;
    o.target_h = fi.h / 4;
    o.gray = 1;
    assert_int_equal(img_decode(buf, len, &o, &small, &si, err, sizeof err), 0);
    assert_int_equal(si.w, fi.w);
    assert_int_equal(si.h, fi.h);
    assert_int_equal(small.w, (full.w + 3) / 4);
    assert_int_equal(small.h, (full.h + 3) / 4);
    assert_int_equal(small.ch, 1);
    assert_int_equal(si.ch, 1);
    /* Upright: the top-left block of the small image matches the full one's. */
    assert_int_equal(img_gray(&full, err, sizeof err), 0);
    unsigned sum = 0;
    for (unsigned y = 0; y < 4; y++)
        for (unsigned x = 0; x < 4; x++)
            sum += full.px[y * full.w + x];
    assert_true(abs((int)small.px[0] - (int)(sum / 16)) <= 6);
    img_free(&full);
    img_free(&small);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jpeg__scale_for),
        cmocka_unit_test(test_jpeg__scaled_close_to_full),
        cmocka_unit_test(test_jpeg__gray_is_luma),
        cmocka_unit_test(test_jpeg__damaged_and_errors),
        cmocka_unit_test(test_jpeg__multi_scan_sequential),
        cmocka_unit_test(test_jpeg__cmyk_to_rgb),
        cmocka_unit_test(test_jpeg__img_decode_with_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
