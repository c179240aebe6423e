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

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

/* No real encoder writes more than a few dozen scans. */
#define JPEG_MAX_SCANS 500

struct jpeg_dec {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr jerr;
    struct jpeg_progress_mgr progress;
    jmp_buf escape;
    int warned;                     /* a warning was raised during this image */
    int truncated;                  /* ... and it was "premature end of JPEG file" */
    char msg[JMSG_LENGTH_MAX];      /* the first error or warning */
    unsigned char *row;             /* one CMYK row, kept between images */
    size_t row_cap;
};

static struct jpeg_dec *jpeg_of(j_common_ptr cinfo)
{
    return (struct jpeg_dec *)((char *)cinfo - offsetof(struct jpeg_dec, cinfo));
}

static void jpeg_on_error(j_common_ptr cinfo)
{
    struct jpeg_dec *d = jpeg_of(cinfo);
    cinfo->err->format_message(cinfo, d->msg);   /* the fatal reason beats any warning */
    longjmp(d->escape, 1);
}

/* level -1: a warning (corrupt data); 0+ are trace messages, ignored. */
static void jpeg_on_message(j_common_ptr cinfo, int level)
{
    struct jpeg_dec *d = jpeg_of(cinfo);
    if (level >= 0)
        return;
    if (cinfo->err->msg_code == JWRN_JPEG_EOF)
        d->truncated = 1;
    if (!d->warned) {
        d->warned = 1;
        cinfo->err->format_message(cinfo, d->msg);
    }
}

static void jpeg_on_progress(j_common_ptr cinfo)
{
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    if (dinfo->input_scan_number > JPEG_MAX_SCANS) {
        struct jpeg_dec *d = jpeg_of(cinfo);
        snprintf(d->msg, sizeof d->msg, "more than %d scans", JPEG_MAX_SCANS);
        longjmp(d->escape, 1);
    }
}

int jpeg_dec_create(struct jpeg_dec **out, char *err, size_t errlen)
{
    struct jpeg_dec *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory creating a JPEG decoder");
        return -1;
    }
    d->cinfo.err = jpeg_std_error(&d->jerr);
    d->jerr.error_exit = jpeg_on_error;
    d->jerr.emit_message = jpeg_on_message;
    if (setjmp(d->escape)) {
        snprintf(err, errlen, "cannot create a JPEG decoder: %s", d->msg);
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
        snprintf(d->msg, sizeof d->msg, "unsupported: %d colour components",
                 c->num_components);
        return -1;
    }
    if (max_pixels && (unsigned long long)c->image_width * c->image_height > max_pixels) {
        snprintf(d->msg, sizeof d->msg, "image too large: %ux%u", c->image_width,
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
        snprintf(d->msg, sizeof d->msg, "out of memory (%ux%u)", c->output_width,
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
    int cut = d->truncated;
    if (dc_only)
        jpeg_finish_output(c);          /* the rest of the file is never read */
    else
        jpeg_finish_decompress(c);
    if (cut)
        return -1;
    *out = (struct img){*px, c->output_width, c->output_height, och};
    *px = NULL;
    return d->warned ? 1 : 0;
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
    d->warned = d->truncated = 0;
    d->msg[0] = '\0';
    if (setjmp(d->escape))
        rc = -1;
    else
        rc = jpeg_run(d, buf, len, denom, gray, max_pixels, out, &px);
    jpeg_abort_decompress(&d->cinfo);
    free(px);
    if (rc != 0)
        snprintf(err, errlen, "JPEG: %s%s", rc < 0 && d->truncated ? "truncated: " : "",
                 d->msg[0] ? d->msg : "corrupt data");
    return rc;
}
