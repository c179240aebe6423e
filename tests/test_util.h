/* test_util.h — small helpers shared by the unit tests (header only: the
 * Makefile builds each tests/test_*.c on its own). */
#ifndef IMGPOOL_TEST_UTIL_H
#define IMGPOOL_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <libheif/heif.h>

#include "imgpool/heic.h"
#include "imgpool/icc.h"
#include "imgpool/img.h"

/* The whole file in a malloc'd buffer (one spare byte), its size in *len;
 * NULL if it cannot be read. */
static inline unsigned char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;
    *len = 0;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* The bytes written so far to fd (a memfd), malloc'd, count in *len. */
static inline unsigned char *test_fd_bytes(int fd, size_t *len)
{
    off_t n = lseek(fd, 0, SEEK_END);
    unsigned char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
    *len = 0;
    if (buf && pread(fd, buf, (size_t)n, 0) == (ssize_t)n)
        *len = (size_t)n;
    else {
        free(buf);
        buf = NULL;
    }
    return buf;
}

/* A w x h image of ch channels: smooth gradients, alpha (if any) varying
 * across the image; deterministic. Free px with free(). */
static inline struct img test_gradient(unsigned w, unsigned h, unsigned ch)
{
    struct img im = {malloc((size_t)w * h * ch), w, h, ch};
    for (unsigned y = 0; im.px && y < h; y++)
        for (unsigned x = 0; x < w; x++) {
            unsigned char *p = im.px + ((size_t)y * w + x) * ch;
            unsigned v[4] = {x * 255 / (w - 1), y * 255 / (h - 1), (x + y) * 255 / (w + h - 2),
                             64 + (x * 191) / (w - 1)};
            if (ch <= 2) {
                p[0] = (unsigned char)v[0];
                if (ch == 2)
                    p[1] = (unsigned char)v[3];
            } else {
                for (unsigned k = 0; k < ch; k++)
                    p[k] = (unsigned char)v[k];
            }
        }
    return im;
}

/* Mean absolute difference of two same-sized images' samples. */
static inline double test_mean_diff(const struct img *a, const struct img *b)
{
    size_t n = (size_t)a->w * a->h * a->ch;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += abs((int)a->px[i] - (int)b->px[i]);
    return n ? sum / (double)n : 0;
}

/* Sends stderr to a memfd until test_stderr_end, which returns what was
 * printed (malloc'd, *len bytes; NULL if nothing) and restores stderr. For
 * tests that libraries print nothing. */
static inline int test_stderr_begin(int *saved)
{
    int sink = memfd_create("stderr", MFD_CLOEXEC);
    fflush(stderr);
    *saved = dup(2);
    if (sink >= 0 && *saved >= 0)
        dup2(sink, 2);
    return sink;
}

static inline unsigned char *test_stderr_end(int sink, int saved, size_t *len)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    unsigned char *text = test_fd_bytes(sink, len);
    close(sink);
    if (text && !*len) {
        free(text);
        text = NULL;
    }
    return text;
}

/* A codec module's decoder (webp_decode, heic_decode, avif_decode; TIFF's
 * through a wrapper in test_tiff.c). */
typedef int (*test_decode_fn)(const unsigned char *buf, size_t len, struct img *out,
                              struct img_meta *meta, char *err, size_t errlen);

/* A small little-endian EXIF block (TIFF structure) as a camera lays one out:
 * a first directory with Make "Cam", Orientation `orientation` and a pointer
 * to an EXIF directory holding DateTimeOriginal "2024:05:06 07:08:09" (its
 * value stored after the directories). Fills b (TEST_EXIF_LEN bytes). */
#define TEST_EXIF_LEN 88
static inline void test_exif_block(unsigned char b[TEST_EXIF_LEN], unsigned orientation)
{
    static const unsigned char head[] = {
        'I', 'I', 42, 0, 8, 0, 0, 0,                    /* header, first directory at 8 */
        3, 0,                                           /* 3 entries */
        0x0f, 0x01, 2, 0, 4, 0, 0, 0, 'C', 'a', 'm', 0, /* Make, ASCII[4], inline */
        0x12, 0x01, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0,       /* Orientation, SHORT (set below) */
        0x69, 0x87, 4, 0, 1, 0, 0, 0, 50, 0, 0, 0,      /* EXIF directory at 50 */
        0, 0, 0, 0,                                     /* no next directory */
        1, 0,                                           /* 50: 1 entry */
        0x03, 0x90, 2, 0, 20, 0, 0, 0, 68, 0, 0, 0,     /* DateTimeOriginal, at 68 */
        0, 0, 0, 0};
    memcpy(b, head, sizeof head);
    b[30] = (unsigned char)orientation;
    memcpy(b + 68, "2024:05:06 07:08:09", 20);
}

#ifdef fail_msg     /* cmocka is in: helpers that fail the test themselves */
/* decode(buf) or the test fails with the decoder's message. */
static inline struct img test_decoded(test_decode_fn decode, const unsigned char *buf, size_t len,
                                      struct img_meta *meta)
{
    struct img im;
    char err[256] = "";
    if (decode(buf, len, &im, meta, err, sizeof err) != 0)
        fail_msg("decoding failed: %s", err);
    return im;
}

/* A new memfd for an encoder to write into. */
static inline int test_memfd(void)
{
    int fd = memfd_create("encoded", MFD_CLOEXEC);
    assert_true(fd >= 0);
    return fd;
}

/* What an encoder wrote into the memfd fd (n bytes by its return value, or
 * an error in err): the bytes, malloc'd, count in *len; closes fd. */
static inline unsigned char *test_encoded(int fd, long long n, const char *err, size_t *len)
{
    if (n <= 0)
        fail_msg("encoder failed: %s", err);
    unsigned char *buf = test_fd_bytes(fd, len);
    close(fd);
    assert_non_null(buf);
    assert_int_equal(*len, n);
    return buf;
}

/* im encoded as AVIF by heic_encode_avif (quality q, with meta), malloc'd. */
static inline unsigned char *test_avif_bytes(const struct img *im, int q,
                                             const struct img_meta *meta, size_t *len)
{
    char err[256] = "";
    int fd = test_memfd();
    return test_encoded(fd, heic_encode_avif(im, q, meta, fd, err, sizeof err), err, len);
}

/* got holds want's ICC, EXIF and XMP blobs, byte for byte. */
static inline void test_meta_equal(const struct img_meta *got, const struct img_meta *want)
{
    assert_int_equal(got->icc_len, want->icc_len);
    assert_int_equal(got->exif_len, want->exif_len);
    assert_int_equal(got->xmp_len, want->xmp_len);
    assert_memory_equal(got->icc, want->icc, want->icc_len);
    assert_memory_equal(got->exif, want->exif, want->exif_len);
    assert_memory_equal(got->xmp, want->xmp, want->xmp_len);
}

/* Metadata written by heic_encode_avif and read back by decode (heic_decode
 * or avif_decode): the ICC profile and XMP byte for byte, the EXIF block too
 * but for its orientation, which goes in as 6 and must come out as 1 (HEIF's
 * irot and imir are authoritative: see heic.h). */
static inline void test_avif_meta_round_trip(test_decode_fn decode)
{
    unsigned char icc[] = "profile bytes, carried as they are";
    unsigned char exif[TEST_EXIF_LEN], upright[TEST_EXIF_LEN];
    unsigned char xmp[] = "<x:xmpmeta xmlns:x='adobe:ns:meta/'/>";
    test_exif_block(exif, 6);
    test_exif_block(upright, 1);
    struct img_meta in = {icc, sizeof icc, exif, sizeof exif, xmp, sizeof xmp}, out = {0};
    struct img_meta want = {icc, sizeof icc, upright, sizeof upright, xmp, sizeof xmp};
    struct img src = test_gradient(16, 16, 3);
    size_t len;
    unsigned char *buf = test_avif_bytes(&src, 60, &in, &len);
    struct img im = test_decoded(decode, buf, len, &out);
    assert_int_equal(im.w, 16);             /* the EXIF orientation turned nothing */
    test_meta_equal(&out, &want);
    img_meta_free(&out);
    img_free(&im);
    free(buf);
    img_free(&src);
}
/* What libheif's context ctx would write as a file: the bytes, malloc'd. */
static inline unsigned char *test_heif_bytes(struct heif_context *ctx, size_t *len)
{
    int fd = test_memfd();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    assert_int_equal(heif_context_write_to_file(ctx, path).code, 0);
    unsigned char *buf = test_fd_bytes(fd, len);
    close(fd);
    assert_non_null(buf);
    return buf;
}

/* buf's nclx colour (the colr box libheif writes) set to the given
 * H.273 primaries and transfer, as a file labelled so would have them. */
static inline void test_set_cicp(unsigned char *buf, size_t len, unsigned prim, unsigned transfer)
{
    unsigned char *b = memmem(buf, len, "colrnclx", 8);
    assert_non_null(b);
    b[8] = 0, b[9] = (unsigned char)prim;
    b[10] = 0, b[11] = (unsigned char)transfer;
}

/* A w x h RGB ramp of `bits`-bit samples (in src, w * h * 3 of them),
 * labelled BT.2020 with sRGB's curve (nclx 9/13), coded by libheif in fmt
 * (HEVC: a HEIC; AV1: an AVIF) losslessly (4:4:4), as heif-enc -L does it. */
static inline unsigned char *test_deep_bytes(enum heif_compression_format fmt, unsigned bits,
                                             unsigned w, unsigned h, uint16_t *src, size_t *len)
{
    struct heif_context *ctx = heif_context_alloc();
    struct heif_encoder *enc = NULL;
    struct heif_image *hi = NULL;
    struct heif_image_handle *handle = NULL;
    int stride;
    assert_int_equal(heif_context_get_encoder_for_format(ctx, fmt, &enc).code, 0);
    assert_int_equal(heif_encoder_set_lossless(enc, 1).code, 0);
    assert_int_equal(heif_encoder_set_parameter_string(enc, "chroma", "444").code, 0);
    assert_int_equal(heif_image_create((int)w, (int)h, heif_colorspace_RGB,
                                       heif_chroma_interleaved_RRGGBB_LE, &hi).code, 0);
    assert_int_equal(heif_image_add_plane(hi, heif_channel_interleaved, (int)w, (int)h,
                                          (int)bits).code, 0);
    uint8_t *p = heif_image_get_plane(hi, heif_channel_interleaved, &stride);
    unsigned max = (1u << bits) - 1;
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w * 3; x++) {   /* a slow ramp down, a little across */
            uint16_t v = (uint16_t)((y * (max / 2) / (h - 1) + x * 7 + 40 * (x % 3)) % (max + 1));
            src[(size_t)y * w * 3 + x] = v;
            memcpy(p + (size_t)y * stride + 2 * x, &v, 2);
        }
    struct heif_encoding_options *o = heif_encoding_options_alloc();
    o->macOS_compatibility_workaround_no_nclx_profile = 0;  /* else no colr box at all */
    assert_int_equal(heif_context_encode_image(ctx, hi, enc, o, &handle).code, 0);
    unsigned char *buf = test_heif_bytes(ctx, len);
    /* libheif 1.15 writes "unspecified" whatever it is told (output_nclx_profile) */
    test_set_cicp(buf, *len, 9, 13);
    heif_encoding_options_free(o);
    heif_image_handle_release(handle);
    heif_image_release(hi);
    heif_encoder_release(enc);
    heif_context_free(ctx);
    return buf;
}

/* The largest difference between n samples of a and b. */
static inline int test_max_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
    int worst = 0;
    for (size_t i = 0; i < n; i++)
        worst = abs(a[i] - b[i]) > worst ? abs(a[i] - b[i]) : worst;
    return worst;
}

/* A ramp of `bits`-bit samples coded in fmt, labelled BT.2020, through img_decode:
 * converted to sRGB from all its bits, within a level of icc_to_srgb16's
 * conversion of the samples (widened to 16 bits; the coding moves a few by
 * one of their 1024 or 4096 levels), where 8-bit roundings of them,
 * converted, are 2 or more off; with keep_profile, rounded
 * (img_samples_to_8) as before. */
static inline void test_deep_colour(enum heif_compression_format fmt, unsigned bits)
{
    enum { W = 6, H = 96, N = W * H * 3 };
    unsigned char *icc, want[N], first8[N];
    uint16_t src[N], wide[N];
    size_t icc_len, len;
    struct icc *c;
    char err[256] = "";
    assert_int_equal(icc_from_cicp(9, 13, &icc, &icc_len, err, sizeof err), 0);
    assert_int_equal(icc_create(&c, err, sizeof err), 0);
    unsigned char *buf = test_deep_bytes(fmt, bits, W, H, src, &len);
    unsigned max = (1u << bits) - 1;
    for (size_t i = 0; i < N; i++)
        wide[i] = (uint16_t)((src[i] * 65535u + max / 2) / max);
    assert_int_equal(icc_to_srgb16(c, icc, icc_len, wide, W, H, 3, want, err, sizeof err), 0);
    struct img im8 = {first8, W, H, 3}, got, kept;
    img_samples_to_8(src, N, bits, first8);
    assert_int_equal(icc_to_srgb(c, icc, icc_len, &im8, err, sizeof err), 0);
    assert_true(test_max_diff(first8, want, N) > 1);    /* the test can tell them apart */
    struct img_load_opts keep = {.keep_profile = 1};
    if (img_decode(buf, len, NULL, &got, NULL, err, sizeof err) != 0 ||
        img_decode(buf, len, &keep, &kept, NULL, err, sizeof err) != 0)
        fail_msg("%u bits: %s", bits, err);
    assert_int_equal(got.w * got.h * got.ch, N);
    if (test_max_diff(got.px, want, N) > 1)
        fail_msg("%u bits: %d levels off", bits, test_max_diff(got.px, want, N));
    img_samples_to_8(src, N, bits, first8);
    assert_true(test_max_diff(kept.px, first8, N) <= 1);
    img_free(&got);
    img_free(&kept);
    free(buf);
    icc_destroy(c);
    free(icc);
}

#endif

/* Hostile variants of a valid file buf: every prefix at a stride (each in a
 * heap block of exactly its size, so ASan sees a read past it) and copies
 * with one byte changed. Each decode must succeed or fail with a message;
 * ASan and UBSan catch the rest. Returns the number of silent failures;
 * *decoded counts the prefixes that decoded anyway. */
static inline unsigned test_hostile_variants(test_decode_fn decode, const unsigned char *buf,
                                             size_t len, size_t stride, unsigned *decoded)
{
    unsigned silent = 0;
    *decoded = 0;
    for (size_t i = 0; i < 2 * len; i += stride) {
        int flip = i >= len;
        size_t n = flip ? len : i;
        unsigned char *copy = malloc(n ? n : 1);
        struct img im;
        struct img_meta meta = {0};
        char err[256] = "";
        if (!copy)
            return silent + 1;
        memcpy(copy, buf, n);
        if (flip)
            copy[i - len] ^= (unsigned char)(0x55 + i);
        if (decode(copy, n, &im, &meta, err, sizeof err) == 0) {
            *decoded += !flip;
            img_free(&im);
        } else if (!err[0]) {
            silent++;
        }
        img_meta_free(&meta);
        free(copy);
    }
    return silent;
}

#endif
