/* jpeg.c — JPEG decoding through libjpeg-turbo (libjpeg API, DCT scaling).
 *
 * Design note. libjpeg-turbo decodes with SIMD and can run its inverse DCT at
 * 1/2, 1/4 or 1/8 scale, so a photo that will become a thumbnail never has
 * its full pixel count computed (what Pillow's draft mode and libvips'
 * shrink-on-load do). For greyscale output it hands back the Y channel and
 * skips the colour conversion entirely.
 *
 * libjpeg reports fatal errors by calling error_exit, which by default calls
 * exit(): here it longjmps back to jpeg_decode, which aborts the decompressor
 * (keeping it reusable) and frees what it allocated. Every JPEG ends here:
 * none is handed to stb_image any more, whose JPEG decoder reads
 * uninitialised memory on some hostile files (found by fuzzing: an assert in
 * stbi__jpeg_huff_decode fired depending on the heap's contents). So:
 *  - a fatal error is the file's error (libjpeg's message);
 *  - "premature end of JPEG file" before the last row is a truncated file:
 *    an error, as in Pillow (libjpeg would fill the rest with grey); after
 *    it (a missing EOI marker) only a warning;
 *  - other warnings (corrupt data, extraneous bytes) keep libjpeg's image,
 *    with rc 1 and the warning, so the caller can say the file was damaged;
 *  - CMYK and YCCK files (Adobe's inverted CMYK, as Photoshop writes them)
 *    are converted to RGB here: R = C * K / 255, and so on.
 * A scan limit stops progressive files built to take minutes (thousands of
 * tiny scans), as djpeg -maxscan does.
 *
 * Progressive files at 1/8 scale: the 1x1 inverse DCT uses only each block's
 * DC coefficient, and progressive files send all DC values in their first
 * scans. So the decoder runs in buffered-image mode, stops reading once every
 * component's DC is complete (coef_bits[c][0] == 0) and outputs then: the same
 * pixels, without entropy-decoding the AC scans, which are most of the file.
 */
#include "imgpool/jpeg.h"

#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <jerror.h>

/* No real encoder writes more than a few dozen scans. */
#define JPEG_MAX_SCANS 500

/* libjpeg's error manager with a way out: error_exit longjmps to escape. The
 * decoder and the encoder each embed one (as cinfo->err). */
struct jpeg_fail {
    struct jpeg_error_mgr mgr;      /* first: cinfo->err points here */
    jmp_buf escape;
    int warned;                     /* a warning was raised during this image */
    int truncated;                  /* ... and it was "premature end of JPEG file" */
    char msg[JMSG_LENGTH_MAX];      /* the first error or warning */
};

struct jpeg_dec {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_fail fail;
    struct jpeg_progress_mgr progress;
    unsigned char *row;             /* one CMYK row, kept between images */
    size_t row_cap;
};

static struct jpeg_fail *jpeg_fail_of(j_common_ptr cinfo)
{
    return (struct jpeg_fail *)cinfo->err;
}

static void jpeg_on_error(j_common_ptr cinfo)
{
    struct jpeg_fail *f = jpeg_fail_of(cinfo);
    cinfo->err->format_message(cinfo, f->msg);   /* the fatal reason beats any warning */
    longjmp(f->escape, 1);
}

/* level -1: a warning (corrupt data); 0+ are trace messages, ignored. */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    struct jpeg_fail *f = jpeg_fail_of(cinfo);
    if (level >= 0)
        return;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF)
        f->truncated = 1;
    if (!f->warned) {
        f->warned = 1;
        cinfo->err->format_message(cinfo, f->msg);
    }
}

static void jpeg_on_progress(j_common_ptr cinfo)
{
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    if (dinfo->input_scan_number > JPEG_MAX_SCANS) {
        struct jpeg_fail *f = jpeg_fail_of(cinfo);
        snprintf(f->msg, sizeof f->msg, "more than %d scans", JPEG_MAX_SCANS);
        longjmp(f->escape, 1);
    }
}

static struct jpeg_error_mgr *jpeg_fail_init(struct jpeg_fail *f)
{
    struct jpeg_error_mgr *m = jpeg_std_error(&f->mgr);
    m->error_exit = jpeg_on_error;
    m->emit_message = jpeg_on_message;
    return m;
}

static void jpeg_fail_reset(struct jpeg_fail *f)
{
    f->warned = f->truncated = 0;
    f->msg[0] = '\0';
}

int jpeg_dec_create(struct jpeg_dec **out, char *err, size_t errlen)
{
    struct jpeg_dec *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory creating a JPEG decoder");
        return -1;
    }
    d->cinfo.err = jpeg_fail_init(&d->fail);
    if (setjmp(d->fail.escape)) {
        snprintf(err, errlen, "cannot create a JPEG decoder: %s", d->fail.msg);
        free(d);
        return -1;
    }
    jpeg_create_decompress(&d->cinfo);
    d->progress.progress_monitor = jpeg_on_progress;
    d->cinfo.progress = &d->progress;
    *out = d;
    return 0;
}

void jpeg_dec_destroy(struct jpeg_dec *d)
{
    if (!d)
        return;
    jpeg_destroy_decompress(&d->cinfo);
    free(d->row);
    free(d);
}

unsigned jpeg_scale_for(unsigned w, unsigned h, unsigned tw, unsigned th)
{
    if (tw == 0 || th == 0)
        return 1;
    for (unsigned denom = 8; denom > 1; denom /= 2)
        if ((w + denom - 1) / denom >= tw && (h + denom - 1) / denom >= th)
            return denom;
    return 1;
}

/* Buffered-image mode: reads scans until every component's DC coefficients
 * are complete (or the file ends), then starts the output pass. */
static void jpeg_read_dc_scans(struct jpeg_decompress_struct *c)
{
    for (;;) {
        int r = jpeg_consume_input(c);
        if (r == JPEG_REACHED_EOI || r == JPEG_SUSPENDED)
            break;
        if (r != JPEG_SCAN_COMPLETED)
            continue;
        int done = 1;
        for (int ci = 0; ci < c->num_components; ci++)
            done = done && c->coef_bits[ci][0] == 0;
        if (done)
            break;
    }
    jpeg_start_output(c, c->input_scan_number);
}

/* d->row with room for n bytes. 0, or -1 when out of memory. */
static int jpeg_row_buffer(struct jpeg_dec *d, size_t n)
{
    if (n <= d->row_cap)
        return 0;
    unsigned char *p = realloc(d->row, n);
    if (!p)
        return -1;
    d->row = p;
    d->row_cap = n;
    return 0;
}

/* Adobe CMYK (stored inverted: 255 = no ink) to RGB, the conversion stb_image
 * and most viewers use: each colour times K, rounded. */
static void jpeg_cmyk_to_rgb(const unsigned char *in, unsigned char *out, unsigned w)
{
    for (unsigned x = 0; x < w; x++, in += 4, out += 3)
        for (unsigned c = 0; c < 3; c++)
            out[c] = (unsigned char)((in[c] * in[3] + 127) / 255);
}

/* The part of jpeg_decode that may longjmp: header, scale, decompress rows.
 * Everything it allocates outside libjpeg goes through *px for cleanup. */
static int jpeg_run(struct jpeg_dec *d, const unsigned char *buf, size_t len, unsigned denom,
                    int gray, unsigned long long max_pixels, struct img *out,
                    unsigned char *volatile *px)
{
    struct jpeg_decompress_struct *c = &d->cinfo;
    jpeg_mem_src(c, buf, (unsigned long)len);
    jpeg_read_header(c, TRUE);
    int cmyk = c->num_components == 4;
    if (c->num_components != 1 && c->num_components != 3 && !cmyk) {
        snprintf(d->fail.msg, sizeof d->fail.msg, "unsupported: %d colour components",
                 c->num_components);
        return -1;
    }
    if (max_pixels && (unsigned long long)c->image_width * c->image_height > max_pixels) {
        snprintf(d->fail.msg, sizeof d->fail.msg, "image too large: %ux%u", c->image_width,
                 c->image_height);
        return -1;
    }
    c->scale_num = 1;
    c->scale_denom = denom;
    c->out_color_space = cmyk ? JCS_CMYK : gray || c->num_components == 1 ? JCS_GRAYSCALE
                                                                          : JCS_RGB;
    c->dct_method = JDCT_ISLOW;
    /* coef_bits exists only in progressive mode (a sequential file may have
     * several scans too: one per component). */
    int dc_only = denom == 8 && c->progressive_mode;
    c->buffered_image = dc_only ? TRUE : FALSE;
    c->do_block_smoothing = FALSE;      /* would guess AC values the 1x1 IDCT ignores */
    jpeg_start_decompress(c);
    if (dc_only)
        jpeg_read_dc_scans(c);
    unsigned och = cmyk ? 3 : (unsigned)c->output_components;
    size_t stride = (size_t)c->output_width * och;
    *px = malloc(stride * c->output_height);
    if (!*px || (cmyk && jpeg_row_buffer(d, (size_t)c->output_width * 4) != 0)) {
        snprintf(d->fail.msg, sizeof d->fail.msg, "out of memory (%ux%u)", c->output_width,
                 c->output_height);
        return -1;
    }
    while (c->output_scanline < c->output_height) {
        JSAMPROW row = *px + stride * c->output_scanline;
        if (cmyk) {
            JSAMPROW in = d->row;
            jpeg_read_scanlines(c, &in, 1);
            jpeg_cmyk_to_rgb(d->row, row, c->output_width);
        } else {
            jpeg_read_scanlines(c, &row, 1);
        }
    }
    /* Cut before the last row: an error. Cut after it (no EOI marker, say):
     * every pixel is there, so only a warning. */
    int cut = d->fail.truncated;
    if (dc_only)
        jpeg_finish_output(c);          /* the rest of the file is never read */
    else
        jpeg_finish_decompress(c);
    if (cut)
        return -1;
    *out = (struct img){*px, c->output_width, c->output_height, och};
    *px = NULL;
    return d->fail.warned ? 1 : 0;
}

int jpeg_decode(struct jpeg_dec *d, const unsigned char *buf, size_t len, unsigned denom,
                int gray, unsigned long long max_pixels, struct img *out, char *err,
                size_t errlen)
{
    unsigned char *volatile px = NULL;
    int rc;
    memset(out, 0, sizeof *out);
    if (denom != 1 && denom != 2 && denom != 4 && denom != 8) {
        snprintf(err, errlen, "JPEG: bad scale 1/%u", denom);
        return -1;
    }
    jpeg_fail_reset(&d->fail);
    if (setjmp(d->fail.escape))
        rc = -1;
    else
        rc = jpeg_run(d, buf, len, denom, gray, max_pixels, out, &px);
    jpeg_abort_decompress(&d->cinfo);
    free(px);
    if (rc != 0)
        snprintf(err, errlen, "JPEG: %s%s", rc < 0 && d->fail.truncated ? "truncated: " : "",
                 d->fail.msg[0] ? d->fail.msg : "corrupt data");
    return rc;
}

/* ---- encoding ------------------------------------------------------------- */

/* Rows handed to jpeg_write_scanlines per call. */
#define JPEG_ENC_ROWS 16

struct jpeg_enc {
    struct jpeg_compress_struct cinfo;
    struct jpeg_fail fail;
    struct jpeg_destination_mgr dest;
    int fd;
    int write_errno;                /* the failed write's errno, 0 if none */
    long long bytes;                /* written to fd so far */
    unsigned char buf[1 << 16];
};

static struct jpeg_enc *jpeg_enc_of(j_compress_ptr cinfo)
{
    return (struct jpeg_enc *)cinfo->client_data;
}

/* Writes the first n bytes of the buffer, or longjmps with the errno kept. */
static void jpeg_dest_flush(struct jpeg_enc *e, size_t n)
{
    const unsigned char *p = e->buf;
    while (n > 0) {
        ssize_t r = write(e->fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            e->write_errno = r < 0 ? errno : EIO;
            longjmp(e->fail.escape, 1);
        }
        p += r;
        n -= (size_t)r;
        e->bytes += r;
    }
    e->dest.next_output_byte = e->buf;
    e->dest.free_in_buffer = sizeof e->buf;
}

static void jpeg_dest_init(j_compress_ptr cinfo)
{
    struct jpeg_enc *e = jpeg_enc_of(cinfo);
    e->dest.next_output_byte = e->buf;
    e->dest.free_in_buffer = sizeof e->buf;
}

/* libjpeg calls this with the whole buffer full (free_in_buffer is stale). */
static boolean jpeg_dest_empty(j_compress_ptr cinfo)
{
    jpeg_dest_flush(jpeg_enc_of(cinfo), sizeof jpeg_enc_of(cinfo)->buf);
    return TRUE;
}

static void jpeg_dest_term(j_compress_ptr cinfo)
{
    struct jpeg_enc *e = jpeg_enc_of(cinfo);
    jpeg_dest_flush(e, sizeof e->buf - e->dest.free_in_buffer);
}

int jpeg_enc_create(struct jpeg_enc **out, char *err, size_t errlen)
{
    struct jpeg_enc *e = calloc(1, sizeof *e);
    if (!e) {
        snprintf(err, errlen, "out of memory creating a JPEG encoder");
        return -1;
    }
    e->cinfo.err = jpeg_fail_init(&e->fail);
    if (setjmp(e->fail.escape)) {
        snprintf(err, errlen, "cannot create a JPEG encoder: %s", e->fail.msg);
        free(e);
        return -1;
    }
    jpeg_create_compress(&e->cinfo);
    e->cinfo.client_data = e;
    e->dest.init_destination = jpeg_dest_init;
    e->dest.empty_output_buffer = jpeg_dest_empty;
    e->dest.term_destination = jpeg_dest_term;
    e->cinfo.dest = &e->dest;
    *out = e;
    return 0;
}

void jpeg_enc_destroy(struct jpeg_enc *e)
{
    if (!e)
        return;
    jpeg_destroy_compress(&e->cinfo);
    free(e);
}

/* One APPn segment: prefix then blob, left out if it cannot fit in one. */
static void jpeg_write_app(j_compress_ptr c, int marker, const char *prefix, size_t plen,
                           const unsigned char *blob, size_t len)
{
    if (!blob || len == 0 || plen + len > 65533)
        return;
    jpeg_write_m_header(c, marker, (unsigned)(plen + len));
    for (size_t i = 0; i < plen; i++)
        jpeg_write_m_byte(c, prefix[i]);
    for (size_t i = 0; i < len; i++)
        jpeg_write_m_byte(c, blob[i]);
}

static void jpeg_write_meta(j_compress_ptr c, const struct img_meta *m)
{
    static const char exif[] = "Exif\0", xmp[] = "http://ns.adobe.com/xap/1.0/";
    if (!m)
        return;
    jpeg_write_app(c, JPEG_APP0 + 1, exif, sizeof exif, m->exif, m->exif_len);
    jpeg_write_app(c, JPEG_APP0 + 1, xmp, sizeof xmp, m->xmp, m->xmp_len);
    if (m->icc && m->icc_len > 0 && m->icc_len <= UINT_MAX)
        jpeg_write_icc_profile(c, m->icc, (unsigned)m->icc_len);
}

/* Luma sampling factors for so->sampling (chroma is 1x1). */
static void jpeg_luma_factors(enum img_sampling s, int *h, int *v)
{
    *h = s == IMG_SAMPLING_444 ? 1 : 2;
    *v = s == IMG_SAMPLING_420 ? 2 : 1;
}

/* Parameters, destination, start and markers: everything before the pixels.
 * ncomp 1 (grayscale) or 3; raw: the caller passes YCbCr planes. */
static void jpeg_enc_start(struct jpeg_enc *e, unsigned w, unsigned h, int ncomp, int raw,
                           const struct img_save_opts *so)
{
    j_compress_ptr c = &e->cinfo;
    c->image_width = w;
    c->image_height = h;
    c->input_components = ncomp;
    c->in_color_space = ncomp == 1 ? JCS_GRAYSCALE : raw ? JCS_YCbCr : JCS_RGB;
    jpeg_set_defaults(c);
    jpeg_set_quality(c, so->quality ? so->quality : 90, TRUE);
    c->dct_method = JDCT_ISLOW;
    c->raw_data_in = raw ? TRUE : FALSE;
    c->optimize_coding = so->optimize ? TRUE : FALSE;
    if (ncomp == 3)
        jpeg_luma_factors(so->sampling, &c->comp_info[0].h_samp_factor,
                          &c->comp_info[0].v_samp_factor);
    if (so->progressive)
        jpeg_simple_progression(c);
    jpeg_start_compress(c, TRUE);
    jpeg_write_meta(c, so->meta);
}

static void jpeg_enc_pixels(struct jpeg_enc *e, const struct img *im)
{
    j_compress_ptr c = &e->cinfo;
    size_t stride = (size_t)im->w * im->ch;
    JSAMPROW rows[JPEG_ENC_ROWS];
    while (c->next_scanline < c->image_height) {
        unsigned n = 0;
        for (; n < JPEG_ENC_ROWS && c->next_scanline + n < c->image_height; n++)
            rows[n] = im->px + stride * (c->next_scanline + n);
        jpeg_write_scanlines(c, rows, n);
    }
}

/* The outcome of an encode (failed: libjpeg or a write longjmp'd out) as
 * bytes written or -1 with a message; leaves the encoder reusable. */
static long long jpeg_enc_finish(struct jpeg_enc *e, int failed, char *err, size_t errlen)
{
    if (!failed)
        return e->bytes;
    jpeg_abort_compress(&e->cinfo);
    if (e->write_errno)
        snprintf(err, errlen, "write error: %s", strerror(e->write_errno));
    else
        snprintf(err, errlen, "JPEG: %s", e->fail.msg[0] ? e->fail.msg : "cannot encode");
    return -1;
}

static void jpeg_enc_reset(struct jpeg_enc *e, int fd)
{
    jpeg_fail_reset(&e->fail);
    e->fd = fd;
    e->write_errno = 0;
    e->bytes = 0;
}

long long jpeg_encode(struct jpeg_enc *e, const struct img *im, const struct img_save_opts *so,
                      int fd, char *err, size_t errlen)
{
    jpeg_enc_reset(e, fd);
    if (im->ch != 1 && im->ch != 3) {
        snprintf(err, errlen, "JPEG: cannot encode %u channels (1 or 3)", im->ch);
        return -1;
    }
    int failed = setjmp(e->fail.escape);
    if (!failed) {
        jpeg_enc_start(e, im->w, im->h, (int)im->ch, 0, so);
        jpeg_enc_pixels(e, im);
        jpeg_finish_compress(&e->cinfo);
    }
    return jpeg_enc_finish(e, failed, err, errlen);
}
