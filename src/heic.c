/* heic.c — HEIC through libheif (libde265), the box-level probe of HEIC and
 * AVIF, and AVIF encoding (libheif with libaom), from and to memory.
 *
 * Design note. libheif parses the whole box structure when a context is
 * read, but decodes no image data until heif_decode_image, so the probe reads
 * the context, takes the primary image's upright size and lets it go. Images
 * deeper than 8 bits are asked for as 16-bit little-endian interleaved RGB(A)
 * and rounded here: libheif's own conversion to 8 bits shifts (truncates).
 * AVIF pixels are not decoded here but by avif.c (libavif and libaom): libheif
 * 1.15 decodes AV1 with dav1d, which logs a damaged file's parse errors to
 * stderr, with no way to pick another decoder or hook the log.
 * libheif reports through returned heif_error structs, never by printing.
 */
#include "imgpool/heic.h"

#include "imgpool/icc.h"
#include "imgpool/meta.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libheif/heif.h>

static pthread_once_t heic_once = PTHREAD_ONCE_INIT;

static void heic_init(void)
{
    heif_init(NULL);    /* reference counted; kept for the process's life */
}

/* 0 if e is a success, else -1 with "HEIF: <what>: <libheif's message>". */
static int heic_check(struct heif_error e, const char *what, char *err, size_t errlen)
{
    if (e.code == heif_error_Ok)
        return 0;
    const char *m = e.message && *e.message ? e.message : "error";
    snprintf(err, errlen, "HEIF: %s: %.*s", what, (int)strcspn(m, "\n"), m);  /* some end in \n */
    return -1;
}

/* Reads buf and takes its primary image; on success the caller releases both. */
static int heic_open(const unsigned char *buf, size_t len, struct heif_context **ctx,
                     struct heif_image_handle **h, char *err, size_t errlen)
{
    pthread_once(&heic_once, heic_init);
    *h = NULL;
    if (!(*ctx = heif_context_alloc())) {
        snprintf(err, errlen, "HEIF: out of memory");
        return -1;
    }
    /* libheif's own limit (32768 x 32768) would refuse first, in its words:
     * leave sizes to img_probe's check, which names --max-pixels */
    heif_context_set_maximum_image_size_limit(*ctx, (int)IMG_MAX_SIDE);
    heif_context_set_max_decoding_threads(*ctx, 0);     /* a grid's tiles too: see heic.h */
    if (heic_check(heif_context_read_from_memory_without_copy(*ctx, buf, len, NULL),
                   "cannot read", err, errlen) != 0 ||
        heic_check(heif_context_get_primary_image_handle(*ctx, h), "no primary image", err,
                   errlen) != 0) {
        heif_context_free(*ctx);
        *ctx = NULL;
        return -1;
    }
    return 0;
}

static void heic_close(struct heif_context *ctx, struct heif_image_handle *h)
{
    heif_image_handle_release(h);
    heif_context_free(ctx);
}

/* The H.273 code points of h's nclx colour box: 1, or 0 if it has none. */
static int heic_cicp(const struct heif_image_handle *h, unsigned *prim, unsigned *transfer)
{
    struct heif_color_profile_nclx *nclx = NULL;
    int ok = heif_image_handle_get_nclx_color_profile(h, &nclx).code == heif_error_Ok && nclx;
    if (ok) {
        *prim = nclx->color_primaries;
        *transfer = nclx->transfer_characteristics;
    }
    heif_nclx_color_profile_free(nclx);     /* libheif may hand one over with an error too */
    return ok;
}

static int heic_probe_handle(const struct heif_image_handle *h, struct img_info *info, char *err,
                             size_t errlen)
{
    int w = heif_image_handle_get_width(h), ht = heif_image_handle_get_height(h);
    if (w < 1 || ht < 1) {
        snprintf(err, errlen, "HEIF: corrupt header (size %dx%d)", w, ht);
        return -1;
    }
    info->w = (unsigned)w;
    info->h = (unsigned)ht;
    info->ch = heif_image_handle_has_alpha_channel(h) ? 4 : 3;
    return 0;
}

int heic_probe(const unsigned char *buf, size_t len, struct img_info *info, char *err,
               size_t errlen)
{
    struct heif_context *ctx;
    struct heif_image_handle *h;
    if (heic_open(buf, len, &ctx, &h, err, errlen) != 0)
        return -1;
    int rc = heic_probe_handle(h, info, err, errlen);
    /* colour given by code points that no profile is made for (HDR curves,
     * unknown primaries) stays as decoded: the file's note says so, once,
     * here (not for each thumbnail or decode) */
    unsigned prim, transfer;
    if (rc == 0 && heif_image_handle_get_color_profile_type(h) == heif_color_profile_type_nclx &&
        heic_cicp(h, &prim, &transfer))
        icc_from_cicp(prim, transfer, NULL, NULL, info->note, sizeof info->note);
    heic_close(ctx, h);
    return rc;
}

/* Copies the decoded interleaved plane into *out, deep samples through deep
 * (which may overwrite them in the plane). */
static int heic_copy_pixels(struct heif_image *im, unsigned w, unsigned h, unsigned ch,
                            struct img_deep *deep, struct img *out, char *err, size_t errlen)
{
    int stride = 0;
    uint8_t *p = heif_image_get_plane(im, heif_channel_interleaved, &stride);
    int bits = heif_image_get_bits_per_pixel_range(im, heif_channel_interleaved);
    size_t row = (size_t)w * ch * (bits > 8 ? 2 : 1);
    if (!p || heif_image_get_width(im, heif_channel_interleaved) != (int)w ||
        heif_image_get_height(im, heif_channel_interleaved) != (int)h || bits < 8 ||
        bits > 16 || stride < 0 || (size_t)stride < row) {
        snprintf(err, errlen, "HEIF: decoder returned a bad image");
        return -1;
    }
    unsigned char *px = malloc((size_t)w * h * ch);
    if (!px) {
        snprintf(err, errlen, "HEIF: out of memory for %ux%u pixels", w, h);
        return -1;
    }
    for (unsigned y = 0; y < h; y++) {
        uint8_t *s = p + (size_t)y * (size_t)stride;
        unsigned char *d = px + (size_t)y * w * ch;
        if (bits == 8)
            memcpy(d, s, (size_t)w * ch);
        else                    /* little-endian 16-bit: the host's order on x86 and ARM */
            img_deep_row(deep, (uint16_t *)(void *)s, w, ch, (unsigned)bits, d);
    }
    *out = (struct img){px, w, h, ch};
    return 0;
}

static int heic_decode_pixels(const struct heif_image_handle *h, const struct img_info *pi,
                              struct img_deep *deep, struct img *out, char *err,
                              size_t errlen)
{
    int wide = heif_image_handle_get_luma_bits_per_pixel(h) > 8;
    enum heif_chroma chroma = pi->ch == 4 ? (wide ? heif_chroma_interleaved_RRGGBBAA_LE
                                                  : heif_chroma_interleaved_RGBA)
                                          : (wide ? heif_chroma_interleaved_RRGGBB_LE
                                                  : heif_chroma_interleaved_RGB);
    struct heif_image *im = NULL;
    struct heif_decoding_options *o = heif_decoding_options_alloc();
    if (!o) {
        snprintf(err, errlen, "HEIF: out of memory");
        return -1;
    }
    o->convert_hdr_to_8bit = 0;
    int rc = heic_check(heif_decode_image(h, &im, heif_colorspace_RGB, chroma, o), "cannot decode",
                        err, errlen);
    heif_decoding_options_free(o);
    if (rc == 0)
        rc = heic_copy_pixels(im, pi->w, pi->h, pi->ch, deep, out, err, errlen);
    heif_image_release(im);
    return rc;
}

/* The first metadata block of a type (and content type, if given); 0 if none. */
static int heic_block(const struct heif_image_handle *h, const char *type, const char *ctype,
                      unsigned char **out, size_t *outlen)
{
    heif_item_id ids[16];
    int n = heif_image_handle_get_list_of_metadata_block_IDs(h, type, ids, 16);
    for (int i = 0; i < n; i++) {
        const char *ct = heif_image_handle_get_metadata_content_type(h, ids[i]);
        if (ctype && (!ct || strcmp(ct, ctype) != 0))
            continue;
        size_t size = heif_image_handle_get_metadata_size(h, ids[i]);
        if (size == 0)
            continue;
        unsigned char *p = malloc(size);
        if (!p)
            return -1;
        if (heif_image_handle_get_metadata(h, ids[i], p).code != heif_error_Ok) {
            free(p);
            continue;
        }
        *out = p;
        *outlen = size;
        return 0;
    }
    return 0;
}

static int heic_read_meta(const struct heif_image_handle *h, struct img_meta *m, char *err,
                          size_t errlen)
{
    enum heif_color_profile_type t = heif_image_handle_get_color_profile_type(h);
    if (t == heif_color_profile_type_prof || t == heif_color_profile_type_rICC) {
        size_t n = heif_image_handle_get_raw_color_profile_size(h);
        if (n && (m->icc = malloc(n)) != NULL) {
            if (heif_image_handle_get_raw_color_profile(h, m->icc).code == heif_error_Ok) {
                m->icc_len = n;
            } else {
                free(m->icc);
                m->icc = NULL;
            }
        } else if (n) {
            goto oom;
        }
    }
    unsigned prim, transfer;
    char why[128];          /* colour left as decoded is not an error */
    if (!m->icc && heic_cicp(h, &prim, &transfer) &&
        icc_from_cicp(prim, transfer, &m->icc, &m->icc_len, why, sizeof why) < 0)
        goto oom;
    if (heic_block(h, "Exif", NULL, &m->exif, &m->exif_len) != 0 ||
        heic_block(h, "mime", "application/rdf+xml", &m->xmp, &m->xmp_len) != 0)
        goto oom;
    img_meta_exif_unwrap(m);
    /* libheif applies irot and imir, which HEIF makes authoritative; the EXIF
     * orientation is informational there (libheif's own converters reset it
     * to 1 too), and left as it is it would turn a JPEG output again. */
    meta_exif_reset_orientation(m->exif, m->exif_len);
    meta_xmp_reset_orientation(m->xmp, m->xmp_len);
    return 0;
oom:
    snprintf(err, errlen, "HEIF: out of memory reading metadata");
    return -1;
}

/* Whether a and b have the same aspect ratio, within 1%. */
static int heic_same_shape(const struct img_info *a, const struct img_info *b)
{
    double x = (double)a->w * b->h, y = (double)a->h * b->w;
    return fabs(x - y) <= 0.01 * x;
}

/* The smallest thumbnail of h (probed as pi) that covers min_w x min_h with
 * h's alpha and shape, its size in *t; NULL if none (or min is 0x0). */
static struct heif_image_handle *heic_thumbnail(const struct heif_image_handle *h,
                                                const struct img_info *pi, unsigned min_w,
                                                unsigned min_h, struct img_info *t)
{
    heif_item_id ids[8];
    int n = min_w || min_h ? heif_image_handle_get_list_of_thumbnail_IDs(h, ids, 8) : 0;
    struct heif_image_handle *best = NULL;
    for (int i = 0; i < n; i++) {
        struct heif_image_handle *th;
        struct img_info ti = {0};
        char why[64];
        if (heif_image_handle_get_thumbnail(h, ids[i], &th).code != heif_error_Ok)
            continue;
        int fits = heic_probe_handle(th, &ti, why, sizeof why) == 0 && ti.w >= min_w &&
                   ti.h >= min_h && ti.w < pi->w && ti.h < pi->h && ti.ch == pi->ch &&
                   heic_same_shape(&ti, pi) && (!best || ti.w < t->w);
        if (fits) {
            heif_image_handle_release(best);
            best = th;
            *t = ti;
        } else {
            heif_image_handle_release(th);
        }
    }
    return best;
}

int heic_decode(const unsigned char *buf, size_t len, struct img *out, struct img_meta *meta,
                char *err, size_t errlen)
{
    return heic_decode_at_least(buf, len, 0, 0, NULL, out, meta, err, errlen);
}

int heic_decode_at_least(const unsigned char *buf, size_t len, unsigned min_w, unsigned min_h,
                         struct img_deep *deep, struct img *out, struct img_meta *meta,
                         char *err, size_t errlen)
{
    struct heif_context *ctx;
    struct heif_image_handle *h;
    struct img_info info = {0}, tinfo;
    memset(out, 0, sizeof *out);
    if (heic_open(buf, len, &ctx, &h, err, errlen) != 0)
        return -1;
    int rc = heic_probe_handle(h, &info, err, errlen);
    struct heif_image_handle *th = rc == 0 ? heic_thumbnail(h, &info, min_w, min_h, &tinfo)
                                           : NULL;
    if (rc == 0 && meta)            /* first: deep converts by its profile */
        rc = heic_read_meta(h, meta, err, errlen);
    if (rc == 0)
        rc = th ? heic_decode_pixels(th, &tinfo, deep, out, err, errlen)
                : heic_decode_pixels(h, &info, deep, out, err, errlen);
    heif_image_handle_release(th);
    heic_close(ctx, h);
    return rc;
}

/* im as a libheif RGB(A) image (grey widened); NULL with a message. */
static struct heif_image *heic_image_of(const struct img *im, char *err, size_t errlen)
{
    struct heif_image *hi = NULL;
    unsigned och = im->ch == 2 || im->ch == 4 ? 4 : 3;
    int stride = 0;
    if (heic_check(heif_image_create((int)im->w, (int)im->h, heif_colorspace_RGB,
                                     och == 4 ? heif_chroma_interleaved_RGBA
                                              : heif_chroma_interleaved_RGB, &hi),
                   "cannot create an image", err, errlen) != 0)
        return NULL;
    if (heic_check(heif_image_add_plane(hi, heif_channel_interleaved, (int)im->w, (int)im->h, 8),
                   "cannot create an image", err, errlen) != 0) {
        heif_image_release(hi);
        return NULL;
    }
    uint8_t *p = heif_image_get_plane(hi, heif_channel_interleaved, &stride);
    for (unsigned y = 0; y < im->h; y++) {
        const unsigned char *s = im->px + (size_t)y * im->w * im->ch;
        uint8_t *d = p + (size_t)y * (size_t)stride;
        for (unsigned x = 0; x < im->w; x++, s += im->ch, d += och) {
            int gray = im->ch < 3;
            d[0] = s[0];
            d[1] = gray ? s[0] : s[1];
            d[2] = gray ? s[0] : s[2];
            if (och == 4)
                d[3] = s[im->ch - 1];
        }
    }
    return hi;
}

/* Where heif_context_write sends the file. */
struct heic_sink {
    int fd;
    long long bytes;
    char msg[160];          /* img_write_fd's message, handed back to libheif */
};

static struct heif_error heic_write(struct heif_context *ctx, const void *data, size_t size,
                                    void *user)
{
    struct heic_sink *w = user;
    struct heif_error e = {heif_error_Ok, heif_suberror_Unspecified, "Success"};
    (void)ctx;
    if (img_write_fd(w->fd, data, size, w->msg, sizeof w->msg) != 0) {
        e.code = heif_error_Encoding_error;
        e.subcode = heif_suberror_Cannot_write_output_data;
        e.message = w->msg;
    } else {
        w->bytes += (long long)size;
    }
    return e;
}

/* Encodes hi into ctx with the metadata attached. */
static int heic_encode_into(struct heif_context *ctx, struct heif_image *hi, int quality,
                            const struct img_meta *meta, char *err, size_t errlen)
{
    struct heif_encoder *enc = NULL;
    struct heif_image_handle *h = NULL;
    if (heic_check(heif_context_get_encoder_for_format(ctx, heif_compression_AV1, &enc),
                   "no AV1 encoder", err, errlen) != 0)
        return -1;
    int rc = heic_check(heif_encoder_set_lossy_quality(enc, quality), "bad quality", err, errlen);
    if (rc == 0 && meta && meta->icc && meta->icc_len)
        rc = heic_check(heif_image_set_raw_color_profile(hi, "prof", meta->icc, meta->icc_len),
                        "cannot set the ICC profile", err, errlen);
    if (rc == 0)
        rc = heic_check(heif_context_encode_image(ctx, hi, enc, NULL, &h), "cannot encode", err,
                        errlen);
    if (rc == 0 && meta && meta->exif && meta->exif_len)
        rc = heic_check(heif_context_add_exif_metadata(ctx, h, meta->exif, (int)meta->exif_len),
                        "cannot add EXIF", err, errlen);
    if (rc == 0 && meta && meta->xmp && meta->xmp_len)
        rc = heic_check(heif_context_add_XMP_metadata(ctx, h, meta->xmp, (int)meta->xmp_len),
                        "cannot add XMP", err, errlen);
    heif_image_handle_release(h);
    heif_encoder_release(enc);
    return rc;
}

long long heic_encode_avif(const struct img *im, int quality, const struct img_meta *meta,
                           int fd, char *err, size_t errlen)
{
    struct heic_sink w = {.fd = fd};
    struct heif_writer writer = {1, heic_write};
    pthread_once(&heic_once, heic_init);
    if (meta && (meta->exif_len > INT32_MAX || meta->xmp_len > INT32_MAX)) {
        snprintf(err, errlen, "HEIF: metadata too large");
        return -1;
    }
    struct heif_image *hi = heic_image_of(im, err, errlen);
    if (!hi)
        return -1;
    struct heif_context *ctx = heif_context_alloc();
    int rc = ctx ? heic_encode_into(ctx, hi, quality, meta, err, errlen) : -1;
    if (!ctx)
        snprintf(err, errlen, "HEIF: out of memory");
    if (rc == 0)
        rc = heic_check(heif_context_write(ctx, &writer, &w), "cannot write", err, errlen);
    heif_context_free(ctx);
    heif_image_release(hi);
    return rc == 0 ? w.bytes : -1;
}

const char *heic_version(void)
{
    return heif_get_version();
}
