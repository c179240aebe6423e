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

#include <errno.h>
#include <fcntl.h>
#include <jpeglib.h>
#include <math.h>
#include <unistd.h>

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


/* ---- encoding ---- */

/* A w x h test picture with ch channels: smooth gradients and a hard edge. */
static struct img make_picture(unsigned w, unsigned h, unsigned ch)
{
    struct img im = {malloc((size_t)w * h * ch), w, h, ch};
    assert_non_null(im.px);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            for (unsigned k = 0; k < ch; k++)
                im.px[((size_t)y * w + x) * ch + k] =
                    (unsigned char)(x < w / 2 ? (x * 255 / w + k * 60 + y) & 255 : 200 - k * 70);
    return im;
}

/* jpeg_encode into a temp file; the file's bytes (free) and their count. */
static unsigned char *encode_to_mem(struct jpeg_enc *e, const struct img *im,
                                    const struct img_save_opts *so, size_t *len)
{
    char err[200];
    FILE *f = tmpfile();
    assert_non_null(f);
    long long n = jpeg_encode(e, im, so, fileno(f), err, sizeof err);
    if (n < 0)
        fail_msg("jpeg_encode: %s", err);
    unsigned char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(pread(fileno(f), buf, (size_t)n, 0), n);
    assert_int_equal(lseek(fileno(f), 0, SEEK_END), n);   /* bytes returned = bytes written */
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* The header of a JPEG in memory, read by libjpeg, APP1/APP2 markers kept. */
struct header {
    struct jpeg_decompress_struct d;
    struct jpeg_error_mgr jerr;
};

static void read_header(struct header *h, const unsigned char *buf, size_t len)
{
    h->d.err = jpeg_std_error(&h->jerr);
    jpeg_create_decompress(&h->d);
    jpeg_save_markers(&h->d, JPEG_APP0 + 1, 0xffff);
    jpeg_save_markers(&h->d, JPEG_APP0 + 2, 0xffff);
    jpeg_mem_src(&h->d, buf, (unsigned long)len);
    assert_int_equal(jpeg_read_header(&h->d, TRUE), JPEG_HEADER_OK);
}

/* The tables written at quality q are the ones libjpeg's own jpeg_set_quality
 * makes (the same call Pillow, ImageMagick and cjpeg make). */
static void test_jpeg__encode_quality_tables(void **state)
{
    (void)state;
    struct jpeg_enc *e;
    char err[200];
    assert_int_equal(jpeg_enc_create(&e, err, sizeof err), 0);
    struct img im = make_picture(37, 23, 3);
    static const int qs[] = {1, 10, 50, 75, 85, 90, 100};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        struct img_save_opts so = {.quality = qs[i]};
        size_t len;
        unsigned char *buf = encode_to_mem(e, &im, &so, &len);
        struct jpeg_compress_struct ref;
        struct jpeg_error_mgr rerr;
        ref.err = jpeg_std_error(&rerr);
        jpeg_create_compress(&ref);
        ref.in_color_space = JCS_RGB;
        ref.input_components = 3;
        jpeg_set_defaults(&ref);
        jpeg_set_quality(&ref, qs[i], TRUE);
        struct header h;
        read_header(&h, buf, len);
        for (int t = 0; t < 2; t++) {
            assert_non_null(h.d.quant_tbl_ptrs[t]);
            assert_memory_equal(h.d.quant_tbl_ptrs[t]->quantval, ref.quant_tbl_ptrs[t]->quantval,
                                sizeof ref.quant_tbl_ptrs[t]->quantval);
        }
        jpeg_destroy_compress(&ref);
        jpeg_destroy_decompress(&h.d);
        free(buf);
    }
    img_free(&im);
    jpeg_enc_destroy(e);
}

/* Gray is one component; colour follows --sampling; progressive and
 * optimize are what the header says; pixels survive (decoded back). */
static void test_jpeg__encode_layout(void **state)
{
    (void)state;
    struct jpeg_enc *e;
    struct jpeg_dec *d;
    char err[200];
    assert_int_equal(jpeg_enc_create(&e, err, sizeof err), 0);
    assert_int_equal(jpeg_dec_create(&d, err, sizeof err), 0);
    static const struct { unsigned ch; enum img_sampling s; int hs, vs, prog; } cases[] = {
        {1, IMG_SAMPLING_420, 1, 1, 0}, {3, IMG_SAMPLING_420, 2, 2, 0},
        {3, IMG_SAMPLING_422, 2, 1, 1}, {3, IMG_SAMPLING_444, 1, 1, 0},
        {1, IMG_SAMPLING_444, 1, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct img im = make_picture(61, 45, cases[i].ch), back;
        struct img_save_opts so = {.quality = 95, .sampling = cases[i].s,
                                   .progressive = cases[i].prog, .optimize = !cases[i].prog};
        size_t len;
        unsigned char *buf = encode_to_mem(e, &im, &so, &len);
        struct header h;
        read_header(&h, buf, len);
        assert_int_equal(h.d.num_components, (int)cases[i].ch);
        assert_int_equal(h.d.jpeg_color_space, cases[i].ch == 1 ? JCS_GRAYSCALE : JCS_YCbCr);
        assert_int_equal(h.d.comp_info[0].h_samp_factor, cases[i].hs);
        assert_int_equal(h.d.comp_info[0].v_samp_factor, cases[i].vs);
        for (int c = 1; c < h.d.num_components; c++)
            assert_int_equal(h.d.comp_info[c].h_samp_factor * h.d.comp_info[c].v_samp_factor, 1);
        assert_int_equal(h.d.progressive_mode, cases[i].prog);
        jpeg_destroy_decompress(&h.d);
        assert_int_equal(jpeg_decode(d, buf, len, 1, 0, 0, &back, err, sizeof err), 0);
        assert_int_equal(back.w, 61);
        assert_int_equal(back.h, 45);
        assert_int_equal(back.ch, cases[i].ch);
        double sum = 0;
        for (size_t k = 0; k < (size_t)61 * 45 * back.ch; k++)
            sum += abs((int)back.px[k] - (int)im.px[k]);
        if (sum / (61.0 * 45 * back.ch) > 3.0)
            fail_msg("case %zu: mean difference %.2f after encode+decode", i,
                     sum / (61.0 * 45 * back.ch));
        img_free(&back);
        img_free(&im);
        free(buf);
    }
    jpeg_dec_destroy(d);
    jpeg_enc_destroy(e);
}

/* EXIF, XMP and ICC come back from the markers byte for byte; an EXIF blob
 * too long for one segment is left out, the image still written. */
static void test_jpeg__encode_metadata(void **state)
{
    (void)state;
    struct jpeg_enc *e;
    char err[200];
    assert_int_equal(jpeg_enc_create(&e, err, sizeof err), 0);
    unsigned char exif[] = "II*\0\x08\0\0\0\0\0", xmp[] = "<x:xmpmeta>hello</x:xmpmeta>";
    size_t icc_len = 150000;                 /* three APP2 chunks */
    unsigned char *icc = malloc(icc_len);
    assert_non_null(icc);
    for (size_t i = 0; i < icc_len; i++)
        icc[i] = (unsigned char)(i * 7);
    struct img_meta m = {icc, icc_len, exif, sizeof exif, xmp, sizeof xmp - 1};
    struct img im = make_picture(20, 10, 3);
    struct img_save_opts so = {.meta = &m};
    size_t len;
    unsigned char *buf = encode_to_mem(e, &im, &so, &len);
    struct header h;
    read_header(&h, buf, len);
    int seen_exif = 0, seen_xmp = 0;
    for (jpeg_saved_marker_ptr p = h.d.marker_list; p; p = p->next) {
        if (p->marker == JPEG_APP0 + 1 && p->data_length == 6 + sizeof exif &&
            memcmp(p->data, "Exif\0\0", 6) == 0 && memcmp(p->data + 6, exif, sizeof exif) == 0)
            seen_exif++;
        if (p->marker == JPEG_APP0 + 1 && p->data_length == 29 + sizeof xmp - 1 &&
            memcmp(p->data, "http://ns.adobe.com/xap/1.0/\0", 29) == 0 &&
            memcmp(p->data + 29, xmp, sizeof xmp - 1) == 0)
            seen_xmp++;
    }
    assert_int_equal(seen_exif, 1);
    assert_int_equal(seen_xmp, 1);
    JOCTET *got = NULL;
    unsigned got_len = 0;
    assert_true(jpeg_read_icc_profile(&h.d, &got, &got_len));
    assert_int_equal(got_len, icc_len);
    assert_memory_equal(got, icc, icc_len);
    free(got);
    jpeg_destroy_decompress(&h.d);
    free(buf);

    m = (struct img_meta){.exif = icc, .exif_len = 70000};
    buf = encode_to_mem(e, &im, &so, &len);
    read_header(&h, buf, len);
    assert_null(h.d.marker_list);
    jpeg_destroy_decompress(&h.d);
    free(buf);
    free(icc);
    img_free(&im);
    jpeg_enc_destroy(e);
}

/* A full disk is the write's error, and the encoder works again afterwards. */
static void test_jpeg__encode_write_error(void **state)
{
    (void)state;
    struct jpeg_enc *e;
    char err[200];
    assert_int_equal(jpeg_enc_create(&e, err, sizeof err), 0);
    struct img im = make_picture(300, 300, 3);
    struct img_save_opts so = {0};
    int full = open("/dev/full", O_WRONLY);
    if (full >= 0) {
        assert_int_equal(jpeg_encode(e, &im, &so, full, err, sizeof err), -1);
        assert_string_equal(err, "write error: No space left on device");
        close(full);
    }
    struct img two = {im.px, 150, 600, 2};
    assert_int_equal(jpeg_encode(e, &two, &so, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "2 channels"));
    size_t len;
    free(encode_to_mem(e, &im, &so, &len));
    img_free(&im);
    jpeg_enc_destroy(e);
}

/* ---- JPEG to JPEG in YCbCr (img_planes) against the RGB path ---- */

/* A JPEG made by libjpeg itself: ncomp 1 (gray), 3 (YCbCr, luma hs x vs
 * over 1x1 chroma) or 4 (CMYK); an EXIF orientation if orient > 1. */
static unsigned char *make_jpeg(const struct img *im, int ncomp, int hs, int vs, int progressive,
                                int orient, unsigned long *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    unsigned char *out = NULL;
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &out, len);
    c.image_width = im->w;
    c.image_height = im->h;
    c.input_components = ncomp;
    c.in_color_space = ncomp == 1 ? JCS_GRAYSCALE : ncomp == 3 ? JCS_RGB : JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    if (ncomp == 3) {
        c.comp_info[0].h_samp_factor = hs;
        c.comp_info[0].v_samp_factor = vs;
    }
    if (progressive)
        jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    if (orient > 1) {
        unsigned char exif[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                                0x12, 0x01, 3, 0, 1, 0, 0, 0, (unsigned char)orient, 0, 0, 0,
                                0, 0, 0, 0};
        jpeg_write_marker(&c, JPEG_APP0 + 1, exif, sizeof exif);
    }
    unsigned char *cmyk = malloc((size_t)im->w * 4);
    assert_non_null(cmyk);
    for (unsigned y = 0; y < im->h; y++) {
        JSAMPROW row = im->px + (size_t)y * im->w * im->ch;
        if (ncomp == 4) {   /* Adobe's inverted CMYK with K = 255: C = R, and so on */
            for (unsigned x = 0; x < im->w; x++) {
                memcpy(cmyk + x * 4, row + x * 3, 3);
                cmyk[x * 4 + 3] = 255;
            }
            row = cmyk;
        }
        jpeg_write_scanlines(&c, &row, 1);
    }
    free(cmyk);
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    return out;
}

/* A photo-like picture: gradients, a disc with a hard edge, fine texture. */
static struct img make_photo(unsigned w, unsigned h, unsigned ch)
{
    struct img im = {malloc((size_t)w * h * ch), w, h, ch};
    assert_non_null(im.px);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            int dx = (int)x - (int)w / 3, dy = (int)y - (int)h / 2;
            int disc = dx * dx + dy * dy < (int)(w * h / 16);
            unsigned char v[3] = {(unsigned char)(40 + x * 180 / w + ((x / 4 + y / 4) % 3) * 4),
                                  (unsigned char)(disc ? 200 : 60 + y * 150 / h),
                                  (unsigned char)(disc ? 40 : 120 + ((x / 8 + y / 8) % 2) * 30)};
            unsigned char *p = im.px + ((size_t)y * w + x) * ch;
            if (ch == 1)
                p[0] = (unsigned char)((299 * v[0] + 587 * v[1] + 114 * v[2]) / 1000);
            else
                memcpy(p, v, 3);
        }
    return im;
}

static double psnr(const struct img *a, const struct img *b)
{
    assert_int_equal(a->w, b->w);
    assert_int_equal(a->h, b->h);
    assert_int_equal(a->ch, b->ch);
    double se = 0;
    size_t n = (size_t)a->w * a->h * a->ch;
    for (size_t i = 0; i < n; i++)
        se += ((double)a->px[i] - b->px[i]) * ((double)a->px[i] - b->px[i]);
    return se == 0 ? 99 : 10 * log10(255.0 * 255 * n / se);
}

/* The bytes written to a temp file by one of the encode calls. */
static struct img decode_written(FILE *f, long long n)
{
    char err[200];
    assert_true(n > 0);
    unsigned char *buf = malloc((size_t)n);
    assert_non_null(buf);
    assert_int_equal(pread(fileno(f), buf, (size_t)n, 0), n);
    struct img out;
    if (img_decode(buf, (size_t)n, NULL, &out, NULL, err, sizeof err) != 0)
        fail_msg("decoding the output: %s", err);
    free(buf);
    return out;
}

/* A copy of im as a viewer shows it under EXIF orientation 1, 3, 6 or 8. */
static struct img upright(const struct img *im, int orient)
{
    int turn = orient == 6 || orient == 8;
    struct img out = {malloc((size_t)im->w * im->h * im->ch), turn ? im->h : im->w,
                      turn ? im->w : im->h, im->ch};
    assert_non_null(out.px);
    for (unsigned y = 0; y < out.h; y++)
        for (unsigned x = 0; x < out.w; x++) {
            unsigned sx = x, sy = y;
            if (orient == 3)
                sx = im->w - 1 - x, sy = im->h - 1 - y;
            else if (orient == 6)
                sx = y, sy = im->h - 1 - x;
            else if (orient == 8)
                sx = im->w - 1 - y, sy = x;
            memcpy(out.px + ((size_t)y * out.w + x) * im->ch,
                   im->px + ((size_t)sy * im->w + sx) * im->ch, im->ch);
        }
    return out;
}

struct planes_case {
    const char *name;
    unsigned w, h;
    int ncomp, hs, vs, progressive, orient, gray;
    unsigned tw, th;            /* upright target */
};

/* One case both ways, each decoded back and compared with the source
 * resized by the same resampler (in RGB, upright). */
static void check_planes_case(struct img_codec *c, const struct planes_case *k)
{
    char err[200];
    struct img src = make_photo(k->w, k->h, k->ncomp == 1 ? 1 : 3);
    unsigned long len;
    unsigned char *jpg = make_jpeg(&src, k->ncomp, k->hs, k->vs, k->progressive, k->orient, &len);
    struct img_load_opts lo = {.autorotate = 1, .target_w = k->tw, .target_h = k->th,
                               .gray = k->gray};
    struct img_save_opts so = {.quality = 90};
    struct img_info info;

    /* The reference: the source pixels, upright, resized. */
    struct img ref = upright(&src, k->orient);
    if (k->gray)
        assert_int_equal(img_gray(&ref, err, sizeof err), 0);
    assert_int_equal(img_resize(&ref, k->tw, k->th, err, sizeof err), 0);

    FILE *fa = tmpfile(), *fb = tmpfile();
    assert_non_null(fa);
    assert_non_null(fb);
    struct img rgb;
    assert_int_equal(img_codec_decode(c, jpg, len, &lo, &rgb, &info, err, sizeof err), 0);
    if (k->gray)
        assert_int_equal(img_gray(&rgb, err, sizeof err), 0);
    assert_int_equal(img_resize(&rgb, k->tw, k->th, err, sizeof err), 0);
    struct img a = decode_written(fa, img_codec_encode(c, &rgb, IMG_FMT_JPG, &so, fileno(fa),
                                                       err, sizeof err));
    struct img_planes p;
    struct img_info pinfo;
    int rc = img_codec_decode_planes(c, jpg, len, &lo, &p, &pinfo, err, sizeof err);
    if (k->ncomp == 4 || k->hs == 4) {
        assert_int_equal(rc, 1);           /* CMYK, 4:1:1: the RGB path's alone */
    } else {
        if (rc != 0)
            fail_msg("%s: decode_planes returned %d (%s)", k->name, rc, err);
        assert_int_equal(pinfo.w, info.w);
        assert_int_equal(pinfo.h, info.h);
        assert_int_equal(img_planes_resize(&p, k->tw, k->th, &so, err, sizeof err), 0);
        long long n = img_codec_encode_planes(c, &p, &so, fileno(fb), err, sizeof err);
        if (n < 0)
            fail_msg("%s: %s", k->name, err);
        struct img b = decode_written(fb, n);
        assert_int_equal(b.ch, a.ch);
        double pa = psnr(&a, &ref), pb = psnr(&b, &ref);
        print_message("%-22s RGB path %.2f dB, planes %.2f dB\n", k->name, pa, pb);
        if (pb < pa - 0.5 && pb < 45)
            fail_msg("%s: planes %.2f dB, RGB path %.2f dB", k->name, pb, pa);
        img_free(&b);
        img_planes_free(&p);
    }
    fclose(fa);
    fclose(fb);
    img_free(&a);
    img_free(&rgb);
    img_free(&ref);
    img_free(&src);
    free(jpg);
}

static void test_jpeg__planes_match_rgb_path(void **state)
{
    (void)state;
    static const struct planes_case cases[] = {
        {"4:4:4 half", 160, 120, 3, 1, 1, 0, 1, 0, 80, 60},
        {"4:2:2 half", 160, 120, 3, 2, 1, 0, 1, 0, 80, 60},
        {"4:2:0 half", 160, 120, 3, 2, 2, 0, 1, 0, 80, 60},
        {"4:1:1 half", 160, 120, 3, 4, 1, 0, 1, 0, 80, 60},
        {"4:4:0 half", 160, 120, 3, 1, 2, 0, 1, 0, 80, 60},
        {"4:2:0 to 1/4 (DCT)", 256, 192, 3, 2, 2, 0, 1, 0, 60, 45},
        {"4:2:0 to 1/8 (DCT)", 256, 192, 3, 2, 2, 0, 1, 0, 30, 23},
        {"progressive 1/8", 256, 192, 3, 2, 2, 1, 1, 0, 30, 23},
        {"progressive full", 97, 61, 3, 2, 2, 1, 1, 0, 97, 61},
        {"gray", 160, 120, 1, 1, 1, 0, 1, 0, 80, 60},
        {"gray op on colour", 160, 120, 3, 2, 2, 0, 1, 1, 80, 60},
        {"odd 33x17", 33, 17, 3, 2, 2, 0, 1, 0, 17, 9},
        {"odd 4:1:1 37x13", 37, 13, 3, 4, 1, 0, 1, 0, 19, 7},
        {"1x1", 1, 1, 3, 2, 2, 0, 1, 0, 1, 1},
        {"1x1 to 3x3", 1, 1, 3, 2, 2, 0, 1, 0, 3, 3},
        {"upscale", 40, 30, 3, 2, 2, 0, 1, 0, 100, 75},
        {"EXIF 6 (90 CW)", 160, 120, 3, 2, 2, 0, 6, 0, 60, 80},
        {"EXIF 3 (180)", 160, 120, 3, 2, 1, 0, 3, 0, 80, 60},
        {"EXIF 8 4:2:2 1/4", 256, 192, 3, 2, 1, 0, 8, 0, 48, 64},
        {"CMYK", 64, 48, 4, 1, 1, 0, 1, 0, 32, 24},
    };
    struct img_codec *c;
    char err[200];
    assert_int_equal(img_codec_create(&c, err, sizeof err), 0);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_planes_case(c, &cases[i]);
    img_codec_destroy(c);
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
        cmocka_unit_test(test_jpeg__encode_quality_tables),
        cmocka_unit_test(test_jpeg__encode_layout),
        cmocka_unit_test(test_jpeg__encode_metadata),
        cmocka_unit_test(test_jpeg__encode_write_error),
        cmocka_unit_test(test_jpeg__planes_match_rgb_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
