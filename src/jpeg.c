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

/* JPEG_DEC_CMYK: the samples as CMYK with 0 = no ink, for a CMYK profile.
 * Files with an Adobe marker store them inverted (Photoshop's convention, as
 * libvips and Pillow read it); others as they are. */
static void jpeg_cmyk_plain(const unsigned char *in, unsigned char *out, unsigned w, int inverted)
{
    if (!inverted) {
        memcpy(out, in, (size_t)w * 4);
        return;
    }
    for (size_t i = 0; i < (size_t)w * 4; i++)
        out[i] = (unsigned char)(255 - in[i]);
}

/* One decode: what was asked, and what it has allocated so far (freed by
 * jpeg_decode_job after an error, whichever way it came). */
struct jpeg_job {
    unsigned denom;
    unsigned flags;                 /* JPEG_DEC_* */
    unsigned long long max_pixels;
    struct img *out;                /* pixels wanted (jpeg_decode), or */
    struct img_planes *planes;      /* planes wanted (jpeg_decode_planes) */
    unsigned char *px;              /* out's pixels while they are being decoded */
};

/* 1 if the planes can be taken as they are: grayscale, or YCbCr with both
 * chroma components 1x1 and luma 1 or 2 wide by 1 or 2 tall (4:4:4, 4:2:2,
 * 4:2:0, 4:4:0). 4:1:1 is left to the RGB path: libjpeg repeats its chroma
 * 4 times where the planes would interpolate, and small 4:1:1 images came
 * out up to 1 dB worse than through RGB. */
static int jpeg_planes_fit(const struct jpeg_decompress_struct *c)
{
    if (c->num_components == 1)
        return c->jpeg_color_space == JCS_GRAYSCALE;
    if (c->num_components != 3 || c->jpeg_color_space != JCS_YCbCr)
        return 0;
    const jpeg_component_info *ci = c->comp_info;
    for (int i = 1; i < 3; i++)
        if (ci[i].h_samp_factor != 1 || ci[i].v_samp_factor != 1)
            return 0;
    int h = ci[0].h_samp_factor, v = ci[0].v_samp_factor;
    return (h == 1 || h == 2) && (v == 1 || v == 2);
}

/* The channels jpeg_read_pixels gives a file with num_components. */
static unsigned jpeg_pixel_channels(const struct jpeg_decompress_struct *c,
                                    const struct jpeg_job *j)
{
    if (c->num_components == 4)
        return j->flags & JPEG_DEC_CMYK ? 4 : 3;
    return (unsigned)c->output_components;
}

static void jpeg_read_pixels(struct jpeg_dec *d, struct jpeg_job *j, int cmyk)
{
    struct jpeg_decompress_struct *c = &d->cinfo;
    unsigned och = jpeg_pixel_channels(c, j);
    size_t stride = (size_t)c->output_width * och;
    j->px = malloc(stride * c->output_height);
    if (!j->px || (cmyk && jpeg_row_buffer(d, (size_t)c->output_width * 4) != 0)) {
        snprintf(d->fail.msg, sizeof d->fail.msg, "out of memory (%ux%u)", c->output_width,
                 c->output_height);
        longjmp(d->fail.escape, 1);
    }
    while (c->output_scanline < c->output_height) {
        JSAMPROW row = j->px + stride * c->output_scanline;
        if (cmyk) {
            JSAMPROW in = d->row;
            jpeg_read_scanlines(c, &in, 1);
            if (j->flags & JPEG_DEC_CMYK)
                jpeg_cmyk_plain(d->row, row, c->output_width, c->saw_Adobe_marker);
            else
                jpeg_cmyk_to_rgb(d->row, row, c->output_width);
        } else {
            jpeg_read_scanlines(c, &row, 1);
        }
    }
}

/* The most rows of one component in one iMCU row: v_samp_factor (<= 4)
 * times DCT_scaled_size (<= 8). */
#define JPEG_RAW_ROWS 32

/* Raw planes, one iMCU row at a time, through d->row: libjpeg writes whole
 * blocks (rows padded to width_in_blocks, iMCU rows past the bottom), the
 * planes get the samples inside the image. */
static void jpeg_read_planes(struct jpeg_dec *d, struct jpeg_job *j)
{
    struct jpeg_decompress_struct *c = &d->cinfo;
    int n = c->num_components;
    size_t bw[3], off[3], total = 0;
    unsigned rows[3];
    struct img_planes *p = j->planes;
    p->w = c->output_width;
    p->h = c->output_height;
    p->n = (unsigned)n;
    for (int i = 0; i < n; i++) {
        const jpeg_component_info *ci = &c->comp_info[i];
        rows[i] = (unsigned)(ci->v_samp_factor * ci->DCT_scaled_size);
        bw[i] = (size_t)ci->width_in_blocks * (size_t)ci->DCT_scaled_size;
        off[i] = total;
        total += bw[i] * rows[i];
        struct img *pl = &p->plane[i];
        *pl = (struct img){malloc((size_t)ci->downsampled_width * ci->downsampled_height),
                           ci->downsampled_width, ci->downsampled_height, 1};
        /* Whole numbers: libjpeg scales chroma up only by powers of 2 that
         * divide the sampling ratio. */
        p->sx[i] = (unsigned)(c->max_h_samp_factor * c->min_DCT_scaled_size /
                              (ci->h_samp_factor * ci->DCT_scaled_size));
        p->sy[i] = (unsigned)(c->max_v_samp_factor * c->min_DCT_scaled_size /
                              (ci->v_samp_factor * ci->DCT_scaled_size));
        if (!pl->px || rows[i] > JPEG_RAW_ROWS) {
            snprintf(d->fail.msg, sizeof d->fail.msg, "out of memory (%ux%u)", p->w, p->h);
            longjmp(d->fail.escape, 1);
        }
    }
    if (jpeg_row_buffer(d, total) != 0) {
        snprintf(d->fail.msg, sizeof d->fail.msg, "out of memory (%ux%u)", p->w, p->h);
        longjmp(d->fail.escape, 1);
    }
    JSAMPROW ptr[3][JPEG_RAW_ROWS];
    JSAMPARRAY arr[3];
    for (int i = 0; i < n; i++) {
        arr[i] = ptr[i];
        for (unsigned r = 0; r < rows[i]; r++)
            ptr[i][r] = d->row + off[i] + r * bw[i];
    }
    JDIMENSION lines = (JDIMENSION)(c->max_v_samp_factor * c->min_DCT_scaled_size);
    for (unsigned imcu = 0; c->output_scanline < c->output_height; imcu++) {
        jpeg_read_raw_data(c, arr, lines);
        for (int i = 0; i < n; i++) {
            struct img *pl = &p->plane[i];
            for (unsigned r = 0, y = imcu * rows[i]; r < rows[i] && y < pl->h; r++, y++)
                memcpy(pl->px + (size_t)y * pl->w, ptr[i][r], pl->w);
        }
    }
}

/* The part of a decode that may longjmp: header, scale, decompress.
 * Returns 0, 1 (warning), -1 (error, in d->fail.msg) or 2 (planes asked for
 * a file that has none to give: nothing decoded). */
static int jpeg_run(struct jpeg_dec *d, const unsigned char *buf, size_t len, struct jpeg_job *j)
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
    if (j->max_pixels && (unsigned long long)c->image_width * c->image_height > j->max_pixels) {
        snprintf(d->fail.msg, sizeof d->fail.msg, "image too large: %ux%u", c->image_width,
                 c->image_height);
        return -1;
    }
    if (j->planes && !jpeg_planes_fit(c))
        return 2;
    c->scale_num = 1;
    c->scale_denom = j->denom;
    c->raw_data_out = j->planes ? TRUE : FALSE;
    int gray = (j->flags & JPEG_DEC_GRAY) != 0;
    c->out_color_space = cmyk ? JCS_CMYK : gray || c->num_components == 1 ? JCS_GRAYSCALE
                                                                          : JCS_RGB;
    c->dct_method = JDCT_ISLOW;
    /* coef_bits exists only in progressive mode (a sequential file may have
     * several scans too: one per component). */
    int dc_only = j->denom == 8 && c->progressive_mode;
    c->buffered_image = dc_only ? TRUE : FALSE;
    c->do_block_smoothing = FALSE;      /* would guess AC values the 1x1 IDCT ignores */
    jpeg_start_decompress(c);
    if (dc_only)
        jpeg_read_dc_scans(c);
    if (j->planes)
        jpeg_read_planes(d, j);
    else
        jpeg_read_pixels(d, j, cmyk);
    /* Cut before the last row: an error. Cut after it (no EOI marker, say):
     * every pixel is there, so only a warning. */
    int cut = d->fail.truncated;
    if (dc_only)
        jpeg_finish_output(c);          /* the rest of the file is never read */
    else
        jpeg_finish_decompress(c);
    if (cut)
        return -1;
    if (j->out) {
        *j->out = (struct img){j->px, c->output_width, c->output_height,
                               jpeg_pixel_channels(c, j)};
        j->px = NULL;
    }
    return d->fail.warned ? 1 : 0;
}

/* Runs j with libjpeg's errors caught; frees what a failed run allocated;
 * leaves the decoder reusable. */
static int jpeg_decode_job(struct jpeg_dec *d, const unsigned char *buf, size_t len,
                           struct jpeg_job *j, char *err, size_t errlen)
{
    int rc;
    if (j->denom != 1 && j->denom != 2 && j->denom != 4 && j->denom != 8) {
        snprintf(err, errlen, "JPEG: bad scale 1/%u", j->denom);
        return -1;
    }
    jpeg_fail_reset(&d->fail);
    if (setjmp(d->fail.escape))
        rc = -1;
    else
        rc = jpeg_run(d, buf, len, j);
    jpeg_abort_decompress(&d->cinfo);
    free(j->px);
    j->px = NULL;
    if (rc < 0 && j->planes)
        img_planes_free(j->planes);
    if (rc == 1 || rc < 0)
        snprintf(err, errlen, "JPEG: %s%s", rc < 0 && d->fail.truncated ? "truncated: " : "",
                 d->fail.msg[0] ? d->fail.msg : "corrupt data");
    return rc;
}

int jpeg_decode(struct jpeg_dec *d, const unsigned char *buf, size_t len, unsigned denom,
                unsigned flags, unsigned long long max_pixels, struct img *out, char *err,
                size_t errlen)
{
    struct jpeg_job j = {.denom = denom, .flags = flags, .max_pixels = max_pixels, .out = out};
    memset(out, 0, sizeof *out);
    return jpeg_decode_job(d, buf, len, &j, err, errlen);
}

int jpeg_decode_planes(struct jpeg_dec *d, const unsigned char *buf, size_t len, unsigned denom,
                       unsigned long long max_pixels, struct img_planes *out, char *err,
                       size_t errlen)
{
    struct jpeg_job j = {.denom = denom, .max_pixels = max_pixels, .planes = out};
    memset(out, 0, sizeof *out);
    return jpeg_decode_job(d, buf, len, &j, err, errlen);
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
    unsigned char *scratch;         /* one iMCU row of raw planes, kept between images */
    size_t scratch_cap;
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
    free(e->scratch);
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

void jpeg_chroma_factors(enum img_sampling s, unsigned *sx, unsigned *sy)
{
    int hs, vs;
    jpeg_luma_factors(s, &hs, &vs);
    *sx = (unsigned)hs;
    *sy = (unsigned)vs;
}

void jpeg_plane_size(enum img_sampling s, unsigned w, unsigned h, unsigned comp, unsigned *pw,
                     unsigned *ph)
{
    unsigned sx = 1, sy = 1;
    if (comp > 0)
        jpeg_chroma_factors(s, &sx, &sy);
    *pw = (w + sx - 1) / sx;
    *ph = (h + sy - 1) / sy;
}

/* Raw planes, one iMCU row at a time: each component's rows copied into
 * e->scratch padded to whole blocks by repeating the last column, and rows
 * past the bottom repeat the last row (libjpeg codes whole blocks; edge
 * copies keep the padding cheap and invisible). */
static void jpeg_enc_planes(struct jpeg_enc *e, const struct img_planes *p)
{
    j_compress_ptr c = &e->cinfo;
    int n = c->num_components;
    size_t bw[3], off[3], total = 0;
    unsigned rows[3];
    for (int i = 0; i < n; i++) {
        rows[i] = (unsigned)c->comp_info[i].v_samp_factor * DCTSIZE;
        bw[i] = (size_t)c->comp_info[i].width_in_blocks * DCTSIZE;
        off[i] = total;
        total += bw[i] * rows[i];
    }
    if (total > e->scratch_cap) {
        unsigned char *s = realloc(e->scratch, total);
        if (!s) {
            snprintf(e->fail.msg, sizeof e->fail.msg, "out of memory (%ux%u)", p->w, p->h);
            longjmp(e->fail.escape, 1);
        }
        e->scratch = s;
        e->scratch_cap = total;
    }
    JSAMPROW ptr[3][JPEG_RAW_ROWS];
    JSAMPARRAY arr[3];
    for (int i = 0; i < n; i++) {
        arr[i] = ptr[i];
        for (unsigned r = 0; r < rows[i]; r++)
            ptr[i][r] = e->scratch + off[i] + r * bw[i];
    }
    JDIMENSION lines = (JDIMENSION)c->max_v_samp_factor * DCTSIZE;
    for (unsigned imcu = 0; c->next_scanline < c->image_height; imcu++) {
        for (int i = 0; i < n; i++) {
            const struct img *pl = &p->plane[i];
            for (unsigned r = 0; r < rows[i]; r++) {
                unsigned y = imcu * rows[i] + r;
                const unsigned char *src = pl->px + (size_t)(y < pl->h ? y : pl->h - 1) * pl->w;
                memcpy(ptr[i][r], src, pl->w);
                memset(ptr[i][r] + pl->w, src[pl->w - 1], bw[i] - pl->w);
            }
        }
        jpeg_write_raw_data(c, arr, lines);
    }
}

long long jpeg_encode_planes(struct jpeg_enc *e, const struct img_planes *p,
                             const struct img_save_opts *so, int fd, char *err, size_t errlen)
{
    jpeg_enc_reset(e, fd);
    for (unsigned i = 0; i < p->n; i++) {
        unsigned pw, ph;
        jpeg_plane_size(so->sampling, p->w, p->h, i, &pw, &ph);
        if ((p->n != 1 && p->n != 3) || p->plane[i].w != pw || p->plane[i].h != ph ||
            p->plane[i].ch != 1) {
            snprintf(err, errlen, "JPEG: plane %u is %ux%u, not %ux%u", i, p->plane[i].w,
                     p->plane[i].h, pw, ph);
            return -1;
        }
    }
    int failed = setjmp(e->fail.escape);
    if (!failed) {
        jpeg_enc_start(e, p->w, p->h, (int)p->n, 1, so);
        jpeg_enc_planes(e, p);
        jpeg_finish_compress(&e->cinfo);
    }
    return jpeg_enc_finish(e, failed, err, errlen);
}

int jpeg_probe(const unsigned char *buf, size_t len, unsigned *w, unsigned *h, unsigned *ch,
               char *err, size_t errlen)
{
    struct jpeg_dec *d;
    if (jpeg_dec_create(&d, err, errlen) != 0)
        return -1;
    int rc = -1;
    jpeg_fail_reset(&d->fail);
    if (setjmp(d->fail.escape) == 0) {
        jpeg_mem_src(&d->cinfo, buf, (unsigned long)len);
        jpeg_read_header(&d->cinfo, TRUE);
        int n = d->cinfo.num_components;
        if (n == 1 || n == 3 || n == 4) {
            *w = d->cinfo.image_width;
            *h = d->cinfo.image_height;
            *ch = n == 1 ? 1 : 3;   /* CMYK comes out as RGB */
            rc = 0;
        } else {
            snprintf(d->fail.msg, sizeof d->fail.msg, "unsupported: %d colour components", n);
        }
    }
    if (rc != 0)
        snprintf(err, errlen, "JPEG: %s", d->fail.msg[0] ? d->fail.msg : "corrupt header");
    jpeg_dec_destroy(d);   /* also aborts what the longjmp left */
    return rc;
}
