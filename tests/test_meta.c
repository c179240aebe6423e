/* Unit tests for meta: ICC profiles split over JPEG APP2 segments are joined
 * in sequence order (and left out whole when a part is missing), EXIF and XMP
 * come out of JPEG APP1, the PNG encoder's iCCP / eXIf / iTXt chunks read
 * back byte for byte, hostile chunks are refused, and EXIF for an output loses
 * its thumbnail and orientation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libexif/exif-data.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "test_util.h"
#include "imgpool/icc.h"
#include "imgpool/meta.h"
#include "imgpool/png.h"

/* A growing byte buffer for hand-made files. */
struct buf {
    unsigned char *p;
    size_t n;
};

static void put(struct buf *b, const void *d, size_t n)
{
    b->p = realloc(b->p, b->n + n + 1);
    assert_non_null(b->p);
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

/* A JPEG marker segment: FF marker, length, head, body. */
static void segment(struct buf *b, unsigned marker, const void *head, size_t hn,
                    const void *body, size_t n)
{
    unsigned char m[4] = {0xff, (unsigned char)marker, (unsigned char)((hn + n + 2) >> 8),
                          (unsigned char)(hn + n + 2)};
    put(b, m, 4);
    put(b, head, hn);
    put(b, body, n);
}

static void icc_segment(struct buf *b, unsigned seq, unsigned count, const unsigned char *d,
                        size_t n)
{
    unsigned char head[14] = "ICC_PROFILE";
    head[12] = (unsigned char)seq;
    head[13] = (unsigned char)count;
    segment(b, 0xe2, head, sizeof head, d, n);
}

static unsigned char *pattern(size_t n, unsigned seed)
{
    unsigned char *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31 + seed + (i >> 8));
    return p;
}

static void test_meta__jpeg_icc_joined_in_sequence_order(void **state)
{
    (void)state;
    size_t part = 60000;
    unsigned char *icc = pattern(3 * part, 1);
    static const char xmp[] = "<x:xmpmeta>hello</x:xmpmeta>";
    static const char exif[] = "MM\0*\0\0\0\x08rest";
    struct buf b = {0};
    put(&b, "\xff\xd8", 2);
    icc_segment(&b, 2, 3, icc + part, part);       /* out of order, as the spec allows */
    segment(&b, 0xe1, "Exif\0\0", 6, exif, sizeof exif - 1);
    icc_segment(&b, 3, 3, icc + 2 * part, part);
    segment(&b, 0xe1, "http://ns.adobe.com/xap/1.0/", 29, xmp, sizeof xmp - 1);
    icc_segment(&b, 1, 3, icc, part);
    put(&b, "\xff\xda\x00\x02\xff\xd9", 6);

    struct img_meta m = {0};
    char note[128] = "";
    assert_int_equal(meta_read(IMG_FMT_JPG, b.p, b.n, META_ALL, &m, note, sizeof note), 0);
    assert_int_equal(m.icc_len, 3 * part);
    assert_memory_equal(m.icc, icc, 3 * part);
    assert_int_equal(m.exif_len, sizeof exif - 1);
    assert_memory_equal(m.exif, exif, sizeof exif - 1);
    assert_int_equal(m.xmp_len, sizeof xmp - 1);
    assert_memory_equal(m.xmp, xmp, sizeof xmp - 1);
    img_meta_free(&m);

    /* only the profile when only it is wanted */
    assert_int_equal(meta_read(IMG_FMT_JPG, b.p, b.n, META_ICC, &m, note, sizeof note), 0);
    assert_non_null(m.icc);
    assert_null(m.exif);
    assert_null(m.xmp);
    img_meta_free(&m);
    free(b.p);
    free(icc);
}

static void test_meta__jpeg_icc_with_a_gap_is_left_out(void **state)
{
    (void)state;
    unsigned char *icc = pattern(1000, 2);
    struct buf b = {0};
    put(&b, "\xff\xd8", 2);
    icc_segment(&b, 1, 3, icc, 500);
    icc_segment(&b, 3, 3, icc + 500, 500);
    put(&b, "\xff\xd9", 2);
    struct img_meta m = {0};
    char note[128] = "";
    assert_int_equal(meta_read(IMG_FMT_JPG, b.p, b.n, META_ALL, &m, note, sizeof note), 1);
    assert_null(m.icc);
    assert_non_null(strstr(note, "segment 2 of 3 missing"));

    /* a duplicate, and a segment whose length runs past the end */
    free(b.p);
    b = (struct buf){0};
    put(&b, "\xff\xd8", 2);
    icc_segment(&b, 1, 2, icc, 500);
    icc_segment(&b, 1, 2, icc, 500);
    icc_segment(&b, 2, 2, icc, 500);
    note[0] = '\0';
    assert_int_equal(meta_read(IMG_FMT_JPG, b.p, b.n, META_ALL, &m, note, sizeof note), 1);
    assert_null(m.icc);
    assert_true(note[0] != '\0');
    free(b.p);
    b = (struct buf){0};
    put(&b, "\xff\xd8", 2);
    icc_segment(&b, 1, 2, icc, 500);
    icc_segment(&b, 2, 2, icc, 500);
    b.p[b.n - 516] = 0xff;                          /* last segment's length: 65k+ */
    assert_int_equal(meta_read(IMG_FMT_JPG, b.p, b.n, META_ALL, &m, note, sizeof note), 1);
    assert_null(m.icc);
    assert_non_null(strstr(note, "segment 2 of 2 missing"));
    free(b.p);
    free(icc);
}

/* The encoder writes the blocks; the reader gets the same bytes back. */
static void test_meta__png_chunks_round_trip(void **state)
{
    (void)state;
    struct png_enc *e;
    char err[128], note[128] = "";
    unsigned char *icc = pattern(5000, 3), px[4 * 4 * 3] = {0};
    static const char exif[] = "II*\0\x08\0\0\0exif";
    static const char xmp[] = "<?xpacket begin?><x:xmpmeta/>";
    struct img_meta in = {icc, 5000, (unsigned char *)exif, sizeof exif - 1,
                          (unsigned char *)xmp, sizeof xmp - 1};
    assert_int_equal(png_enc_create(&e, err, sizeof err), 0);
    size_t n;
    const unsigned char *png = png_encode(e, px, 4, 4, 3, 6, &in, &n, err, sizeof err);
    assert_non_null(png);
    struct img_meta out = {0};
    assert_int_equal(meta_read(IMG_FMT_PNG, png, n, META_ALL, &out, note, sizeof note), 0);
    assert_int_equal(out.icc_len, 5000);
    assert_memory_equal(out.icc, icc, 5000);
    assert_int_equal(out.exif_len, sizeof exif - 1);
    assert_memory_equal(out.exif, exif, sizeof exif - 1);
    assert_int_equal(out.xmp_len, sizeof xmp - 1);
    assert_memory_equal(out.xmp, xmp, sizeof xmp - 1);
    img_meta_free(&out);

    /* A profile chunk that inflates beyond ICC_MAX_BYTES is refused, the
     * other blocks still read. */
    size_t big = ICC_MAX_BYTES + 1024;
    unsigned char *zeros = calloc(1, big);
    uLongf zn = compressBound(big);
    unsigned char *z = malloc(zn);
    assert_int_equal(compress(z, &zn, zeros, big), Z_OK);
    struct buf b = {0};
    put(&b, png, 33);                                /* signature and IHDR */
    size_t cn = zn + 14;                             /* name, NUL, method, data */
    unsigned char len4[4] = {(unsigned char)(cn >> 24), (unsigned char)(cn >> 16),
                             (unsigned char)(cn >> 8), (unsigned char)cn};
    put(&b, len4, 4);
    put(&b, "iCCPbomb profile\0\0", 18);
    put(&b, z, zn);
    put(&b, "crc!", 4);
    put(&b, png + 33, n - 33);                        /* the real chunks after it */
    assert_int_equal(meta_read(IMG_FMT_PNG, b.p, b.n, META_ALL, &out, note, sizeof note), 1);
    assert_null(out.icc);                           /* nor the second iCCP after it */
    assert_non_null(strstr(note, "ICC profile left out"));
    assert_non_null(out.xmp);
    img_meta_free(&out);
    free(b.p);
    free(z);
    free(zeros);
    free(icc);
    png_enc_destroy(e);
}

/* EXIF made with libexif: orientation 6, a thumbnail, pixel dimensions. */
static unsigned char *make_exif(size_t *len)
{
    ExifData *ed = exif_data_new();
    assert_non_null(ed);
    exif_data_set_byte_order(ed, EXIF_BYTE_ORDER_INTEL);
    ExifEntry *o = exif_entry_new();
    exif_content_add_entry(ed->ifd[EXIF_IFD_0], o);
    exif_entry_initialize(o, EXIF_TAG_ORIENTATION);
    exif_set_short(o->data, EXIF_BYTE_ORDER_INTEL, 6);
    exif_entry_unref(o);
    ExifEntry *px = exif_entry_new();
    exif_content_add_entry(ed->ifd[EXIF_IFD_EXIF], px);
    exif_entry_initialize(px, EXIF_TAG_PIXEL_X_DIMENSION);
    exif_set_long(px->data, EXIF_BYTE_ORDER_INTEL, 4000);
    exif_entry_unref(px);
    ed->data = malloc(3000);                          /* the thumbnail: freed by libexif */
    memset(ed->data, 0xd8, 3000);
    ed->size = 3000;
    unsigned char *d = NULL;
    unsigned int n = 0;
    exif_data_save_data(ed, &d, &n);
    exif_data_unref(ed);
    assert_true(n > 3006);
    unsigned char *tiff = malloc(n - 6);
    memcpy(tiff, d + 6, n - 6);                      /* without "Exif\0\0" */
    free(d);
    *len = n - 6;
    return tiff;
}

static void test_meta__exif_for_output(void **state)
{
    (void)state;
    size_t len, n;
    unsigned char *exif = make_exif(&len), *out = NULL;
    char err[128];
    assert_int_equal(meta_exif_for_output(exif, len, 1, 640, 480, &out, &n, err, sizeof err), 0);
    assert_true(n < len - 2900);                      /* the thumbnail is gone */
    unsigned char *framed = malloc(n + 6);
    memcpy(framed, "Exif\0\0", 6);
    memcpy(framed + 6, out, n);
    ExifData *ed = exif_data_new_from_data(framed, (unsigned)(n + 6));
    assert_non_null(ed);
    ExifByteOrder bo = exif_data_get_byte_order(ed);
    ExifEntry *o = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
    assert_non_null(o);
    assert_int_equal(exif_get_short(o->data, bo), 1);
    ExifEntry *px = exif_content_get_entry(ed->ifd[EXIF_IFD_EXIF], EXIF_TAG_PIXEL_X_DIMENSION);
    assert_non_null(px);
    assert_int_equal(exif_get_long(px->data, bo), 640);
    assert_null(ed->data);
    assert_int_equal(ed->ifd[EXIF_IFD_1]->count, 0);
    exif_data_unref(ed);
    free(framed);
    free(out);

    /* orientation kept when the pixels were not turned */
    assert_int_equal(meta_exif_for_output(exif, len, 0, 640, 480, &out, &n, err, sizeof err), 0);
    framed = malloc(n + 6);
    memcpy(framed, "Exif\0\0", 6);
    memcpy(framed + 6, out, n);
    ed = exif_data_new_from_data(framed, (unsigned)(n + 6));
    o = exif_content_get_entry(ed->ifd[EXIF_IFD_0], EXIF_TAG_ORIENTATION);
    assert_int_equal(exif_get_short(o->data, exif_data_get_byte_order(ed)), 6);
    exif_data_unref(ed);
    free(framed);
    free(out);

    /* an EXIF block without entries (as GIMP writes) is nothing to keep, no error */
    out = (unsigned char *)"x";
    assert_int_equal(meta_exif_for_output((const unsigned char *)"MM\0*\0\0\0\x08\0\0", 10, 1, 1,
                                          1, &out, &n, err, sizeof err), 0);
    assert_null(out);
    assert_int_equal(n, 0);

    /* garbage is refused with a reason */
    out = NULL;
    assert_int_equal(meta_exif_for_output((const unsigned char *)"garbage!garbage!", 16, 1, 1, 1,
                                          &out, &n, err, sizeof err), -1);
    assert_null(out);
    assert_non_null(strstr(err, "EXIF"));
    free(exif);
}

static void test_meta__xmp_orientation_reset(void **state)
{
    (void)state;
    char a[] = "<rdf:Description tiff:Orientation=\"6\" tiff:Make='x'/>"
               "<tiff:Orientation>8</tiff:Orientation><tiff:Orientation>12</tiff:Orientation>"
               "tiff:Orientation=\"";
    meta_xmp_reset_orientation((unsigned char *)a, sizeof a - 1);
    assert_string_equal(a, "<rdf:Description tiff:Orientation=\"1\" tiff:Make='x'/>"
                           "<tiff:Orientation>1</tiff:Orientation>"
                           "<tiff:Orientation>12</tiff:Orientation>"
                           "tiff:Orientation=\"");
}

/* The EXIF orientation read and reset in place, through a bounded walk: a
 * cut block reads as 1 or as what it says, never past its end (ASan). */
static void test_meta__exif_orientation(void **state)
{
    (void)state;
    unsigned char b[TEST_EXIF_LEN], upright[TEST_EXIF_LEN];
    test_exif_block(b, 6);
    test_exif_block(upright, 1);
    assert_int_equal(meta_exif_orientation(b, sizeof b), 6);
    for (size_t n = 0; n < sizeof b; n++) {
        unsigned char *cut = malloc(n ? n : 1);
        memcpy(cut, b, n);
        int v = meta_exif_orientation(cut, n);
        assert_true(v == 1 || (v == 6 && n >= 34));
        meta_exif_reset_orientation(cut, n);
        free(cut);
    }
    meta_exif_reset_orientation(b, sizeof b);
    assert_memory_equal(b, upright, sizeof b);      /* only the value changed */
    test_exif_block(b, 9);                          /* out of range */
    assert_int_equal(meta_exif_orientation(b, sizeof b), 1);
    test_exif_block(b, 8);
    b[24] = 4;                                      /* a LONG: not EXIF's orientation */
    assert_int_equal(meta_exif_orientation(b, sizeof b), 1);
    meta_exif_reset_orientation(b, sizeof b);
    assert_int_equal(b[30], 8);
    assert_int_equal(meta_exif_orientation(NULL, 0), 1);
}

/* EXIF as decoders find it becomes the bare TIFF structure: as it is, behind
 * HEIF's 4-byte offset, or behind JPEG's "Exif\0\0" (Pillow's WebP files);
 * a block with no TIFF header anywhere is dropped. */
static void test_meta__exif_unwrap(void **state)
{
    (void)state;
    unsigned char tiff[TEST_EXIF_LEN];
    test_exif_block(tiff, 6);
    static const unsigned char heif[4] = {0, 0, 0, 2}, app1[6] = "Exif\0", junk[2] = {7, 7};
    const struct { const unsigned char *head; size_t n; } wraps[] = {
        {NULL, 0}, {app1, sizeof app1}, {heif, sizeof heif}};
    for (size_t i = 0; i < sizeof wraps / sizeof wraps[0]; i++) {
        size_t n = wraps[i].n + (i == 2 ? sizeof junk : 0) + sizeof tiff;
        struct img_meta m = {.exif = malloc(n), .exif_len = n};
        memcpy(m.exif, wraps[i].head ? wraps[i].head : tiff, wraps[i].n);
        if (i == 2)
            memcpy(m.exif + wraps[i].n, junk, sizeof junk);
        memcpy(m.exif + n - sizeof tiff, tiff, sizeof tiff);
        img_meta_exif_unwrap(&m);
        assert_int_equal(m.exif_len, sizeof tiff);
        assert_memory_equal(m.exif, tiff, sizeof tiff);
        assert_int_equal(meta_exif_orientation(m.exif, m.exif_len), 6);
        img_meta_free(&m);
    }
    struct img_meta m = {.exif = malloc(sizeof tiff), .exif_len = sizeof tiff};
    memcpy(m.exif, "Exif\0\0", 6);
    memset(m.exif + 6, 'x', sizeof tiff - 6);
    img_meta_exif_unwrap(&m);
    assert_null(m.exif);
    assert_int_equal(m.exif_len, 0);
}

/* The walk over a TIFF structure: entries in order with their values; no
 * walk of what is not one. */
static void test_meta__tiff_walk(void **state)
{
    (void)state;
    unsigned char b[TEST_EXIF_LEN];
    struct meta_tiff_walk w;
    struct meta_tiff_entry e;
    test_exif_block(b, 3);
    assert_int_equal(meta_tiff_first(&w, b, sizeof b), 0);
    unsigned tags[3], n = 0;
    while (meta_tiff_next(&w, &e) && n < 3)
        tags[n++] = e.tag;
    assert_int_equal(n, 3);
    assert_int_equal(tags[0], 0x010f);
    assert_int_equal(tags[2], 0x8769);
    assert_int_equal(meta_tiff_uint(&w, &e, 0), 50);
    assert_int_equal(meta_tiff_uint(&w, &e, 1), 0);         /* past the count */
    assert_int_equal(meta_tiff_first(&w, b + 1, sizeof b - 1), -1);
    assert_int_equal(meta_tiff_first(&w, (const unsigned char *)"II*\0\xff\0\0\0", 8), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta__jpeg_icc_joined_in_sequence_order),
        cmocka_unit_test(test_meta__jpeg_icc_with_a_gap_is_left_out),
        cmocka_unit_test(test_meta__png_chunks_round_trip),
        cmocka_unit_test(test_meta__exif_for_output),
        cmocka_unit_test(test_meta__xmp_orientation_reset),
        cmocka_unit_test(test_meta__exif_orientation),
        cmocka_unit_test(test_meta__exif_unwrap),
        cmocka_unit_test(test_meta__tiff_walk),
    };
    return cmocka_run_group_tests_name("meta", tests, NULL, NULL);
}
