/* avif.c — AVIF decoding through libavif (libaom's decoder); see avif.h for
 * why not libheif, which reads the boxes for img_probe. */
#include "imgpool/avif.h"

#include "imgpool/icc.h"
#include "imgpool/meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <avif/avif.h>

static int avif_fail(avifResult r, const avifDecoder *d, const char *what, char *err,
                     size_t errlen)
{
    const char *diag = d && d->diag.error[0] ? d->diag.error : NULL;
    snprintf(err, errlen, "AVIF: %s: %s%s%s", what, avifResultToString(r), diag ? ": " : "",
             diag ? diag : "");
    return -1;
}

/* The EXIF orientation that does what irot (anticlockwise quarter turns) and
 * then imir (libavif's mode 0: top and bottom exchanged, 1: left and right)
 * do, for img_orient. */
static int avif_orientation(const avifImage *im)
{
    static const int turned[4] = {1, 8, 3, 6};
    static const int mirrored[2][4] = {{4, 5, 2, 7}, {2, 7, 4, 5}};
    int a = im->transformFlags & AVIF_TRANSFORM_IROT ? im->irot.angle & 3 : 0;
    if (im->transformFlags & AVIF_TRANSFORM_IMIR)
        return mirrored[im->imir.mode & 1][a];
    return turned[a];
}

/* The part of the image its clean aperture keeps (all of it without one, or
 * with one libavif finds invalid). */
static avifCropRect avif_visible(const avifImage *im)
{
    avifCropRect r = {0, 0, im->width, im->height};
    avifDiagnostics diag;
    if (im->transformFlags & AVIF_TRANSFORM_CLAP &&
        !avifCropRectConvertCleanApertureBox(&r, &im->clap, im->width, im->height, im->yuvFormat,
                                             &diag))
        r = (avifCropRect){0, 0, im->width, im->height};
    return r;
}

/* The decoded frame as 8-bit RGB(A), cropped to r, deep samples through
 * deep. */
static int avif_to_rgb(const avifImage *im, avifCropRect r, struct img_deep *deep,
                       struct img *out, char *err, size_t errlen)
{
    avifRGBImage rgb;
    unsigned ch = im->alphaPlane ? 4 : 3;
    avifRGBImageSetDefaults(&rgb, im);
    rgb.format = ch == 4 ? AVIF_RGB_FORMAT_RGBA : AVIF_RGB_FORMAT_RGB;
    rgb.depth = im->depth > 8 ? im->depth : 8;
    size_t bps = rgb.depth > 8 ? 2 : 1, row = (size_t)im->width * ch * bps;
    rgb.rowBytes = (uint32_t)row;
    rgb.pixels = malloc(row * im->height);
    unsigned char *px = malloc((size_t)r.width * r.height * ch);
    avifResult res = rgb.pixels && px ? avifImageYUVToRGB(im, &rgb) : AVIF_RESULT_OUT_OF_MEMORY;
    if (res == AVIF_RESULT_OK) {
        for (uint32_t y = 0; y < r.height; y++) {
            unsigned char *s = rgb.pixels + (size_t)(r.y + y) * row + (size_t)r.x * ch * bps;
            unsigned char *d = px + (size_t)y * r.width * ch;
            if (bps == 1)
                memcpy(d, s, (size_t)r.width * ch);
            else
                img_deep_row(deep, (uint16_t *)(void *)s, r.width, ch, rgb.depth, d);
        }
        *out = (struct img){px, r.width, r.height, ch};
    } else {
        free(px);
        avif_fail(res, NULL, "cannot convert to RGB", err, errlen);
    }
    free(rgb.pixels);
    return res == AVIF_RESULT_OK ? 0 : -1;
}

static int avif_copy_blob(const avifRWData *b, unsigned char **out, size_t *outlen)
{
    if (!b->data || !b->size)
        return 0;
    if (!(*out = malloc(b->size)))
        return -1;
    memcpy(*out, b->data, b->size);
    *outlen = b->size;
    return 0;
}

static int avif_read_meta(const avifImage *im, struct img_meta *m, char *err, size_t errlen)
{
    char why[128];          /* colour left as decoded is not an error */
    if (avif_copy_blob(&im->icc, &m->icc, &m->icc_len) != 0 ||
        avif_copy_blob(&im->exif, &m->exif, &m->exif_len) != 0 ||
        avif_copy_blob(&im->xmp, &m->xmp, &m->xmp_len) != 0 ||
        (!m->icc && icc_from_cicp(im->colorPrimaries, im->transferCharacteristics, &m->icc,
                                  &m->icc_len, why, sizeof why) < 0)) {
        snprintf(err, errlen, "AVIF: out of memory reading metadata");
        return -1;
    }
    img_meta_exif_unwrap(m);
    /* The container's irot and imir are authoritative (HEIF, ISO/IEC
     * 23008-12, and MIAF: no transformation is to be expressed by EXIF), and
     * avif_decode applies them; an EXIF orientation left in the block would
     * turn the pixels a second time in a JPEG or PNG output. */
    meta_exif_reset_orientation(m->exif, m->exif_len);
    meta_xmp_reset_orientation(m->xmp, m->xmp_len);
    return 0;
}

/* A decoder set up for buf (libaom, one thread, lenient), its boxes parsed:
 * AVIF_RESULT_OK, or why not. *out is NULL only when memory ran out. */
static avifResult avif_parse(const unsigned char *buf, size_t len, int want_meta,
                             avifDecoder **out)
{
    avifDecoder *d = *out = avifDecoderCreate();
    if (!d)
        return AVIF_RESULT_OUT_OF_MEMORY;
    d->codecChoice = AVIF_CODEC_CHOICE_AOM;
    d->maxThreads = 1;                      /* the pool runs one worker per core */
    d->strictFlags = AVIF_STRICT_DISABLED;  /* read what libheif and browsers read */
    d->ignoreExif = d->ignoreXMP = !want_meta;
    avifResult r = avifDecoderSetIOMemory(d, buf, len);
    return r == AVIF_RESULT_OK ? avifDecoderParse(d) : r;
}

int avif_animated(const unsigned char *buf, size_t len)
{
    avifDecoder *d;
    int animated = avif_parse(buf, len, 0, &d) == AVIF_RESULT_OK && d->imageCount > 1;
    if (d)
        avifDecoderDestroy(d);
    return animated;
}

int avif_decode(const unsigned char *buf, size_t len, struct img *out, struct img_meta *meta,
                char *err, size_t errlen)
{
    return avif_decode_deep(buf, len, NULL, out, meta, err, errlen);
}

int avif_decode_deep(const unsigned char *buf, size_t len, struct img_deep *deep,
                     struct img *out, struct img_meta *meta, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    avifDecoder *d;
    avifResult r = avif_parse(buf, len, meta != NULL, &d);
    int rc = -1;
    if (!d)
        snprintf(err, errlen, "AVIF: out of memory");
    else if (r != AVIF_RESULT_OK)
        avif_fail(r, d, "cannot read", err, errlen);
    else if ((r = avifDecoderNextImage(d)) != AVIF_RESULT_OK)
        avif_fail(r, d, "cannot decode", err, errlen);
    else if (!meta || avif_read_meta(d->image, meta, err, errlen) == 0)
        rc = 0;                     /* the metadata first: deep converts by its profile */
    if (rc == 0 && avif_to_rgb(d->image, avif_visible(d->image), deep, out, err, errlen) != 0)
        rc = -1;
    if (rc == 0 && img_orient(out, avif_orientation(d->image), err, errlen) != 0)
        rc = -1;
    if (rc != 0)
        img_free(out);
    if (d)
        avifDecoderDestroy(d);
    return rc;
}

const char *avif_version(void)
{
    static char v[300];
    char codecs[256];
    avifCodecVersions(codecs);
    snprintf(v, sizeof v, "%s (%s)", avifVersion(), codecs);
    return v;
}
