/* webp.c — WebP through libwebp: WebPGetFeatures for the header, WebPDecode
 * into a buffer allocated here (so the size check in img_probe bounds it),
 * WebPAnimDecoder for the first frame of an animation, WebPDemux for the
 * metadata chunks (and the EXIF orientation, which img.c applies as a JPEG's),
 * WebPEncode plus WebPMux to write.
 */
#include "imgpool/webp.h"

#include "imgpool/meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>
#include <webp/mux.h>

static const char *webp_status_text(VP8StatusCode st)
{
    switch (st) {
    case VP8_STATUS_OUT_OF_MEMORY:       return "out of memory";
    case VP8_STATUS_INVALID_PARAM:       return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR:     return "corrupt data (bitstream error)";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED:           return "suspended";
    case VP8_STATUS_USER_ABORT:          return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA:     return "truncated data";
    default:                             return "unknown error";
    }
}

/* The orientation the EXIF chunk records; 1 if there is none. */
static int webp_orientation(const unsigned char *buf, size_t len)
{
    WebPData data = {buf, len};
    WebPChunkIterator it;
    int orientation = 1;
    WebPDemuxer *dmux = WebPDemux(&data);
    if (dmux && WebPDemuxGetChunk(dmux, "EXIF", 1, &it)) {
        size_t skip = meta_exif_app1_header(it.chunk.bytes, it.chunk.size);
        orientation = meta_exif_orientation(it.chunk.bytes + skip, it.chunk.size - skip);
        WebPDemuxReleaseChunkIterator(&it);
    }
    WebPDemuxDelete(dmux);
    return orientation;
}

int webp_probe(const unsigned char *buf, size_t len, struct img_info *info, char *err,
               size_t errlen)
{
    WebPBitstreamFeatures f;
    VP8StatusCode st = WebPGetFeatures(buf, len, &f);
    if (st != VP8_STATUS_OK) {
        snprintf(err, errlen, "WebP: %s in the header", webp_status_text(st));
        return -1;
    }
    if (f.width < 1 || f.height < 1) {
        snprintf(err, errlen, "WebP: corrupt header (size %dx%d)", f.width, f.height);
        return -1;
    }
    info->w = (unsigned)f.width;
    info->h = (unsigned)f.height;
    info->ch = f.has_alpha ? 4 : 3;
    info->animated = f.has_animation != 0;
    info->orientation = webp_orientation(buf, len);
    return 0;
}

/* A malloc'd copy of a chunk's payload, or 0 bytes if absent. */
static int webp_copy_chunk(const WebPDemuxer *dmux, const char *fourcc, unsigned char **out,
                           size_t *outlen)
{
    WebPChunkIterator it;
    int rc = 0;
    if (!WebPDemuxGetChunk(dmux, fourcc, 1, &it))
        return 0;
    if (it.chunk.size > 0) {
        *out = malloc(it.chunk.size);
        if (*out) {
            memcpy(*out, it.chunk.bytes, it.chunk.size);
            *outlen = it.chunk.size;
        } else {
            rc = -1;
        }
    }
    WebPDemuxReleaseChunkIterator(&it);
    return rc;
}

static int webp_read_meta(const unsigned char *buf, size_t len, struct img_meta *meta,
                          char *err, size_t errlen)
{
    WebPData data = {buf, len};
    WebPDemuxer *dmux = WebPDemux(&data);
    if (!dmux)
        return 0;                   /* a plain VP8/VP8L file: no chunks to read */
    int rc = 0;
    if (webp_copy_chunk(dmux, "ICCP", &meta->icc, &meta->icc_len) != 0 ||
        webp_copy_chunk(dmux, "EXIF", &meta->exif, &meta->exif_len) != 0 ||
        webp_copy_chunk(dmux, "XMP ", &meta->xmp, &meta->xmp_len) != 0) {
        snprintf(err, errlen, "WebP: out of memory reading metadata");
        rc = -1;
    }
    img_meta_exif_unwrap(meta);
    WebPDemuxDelete(dmux);
    return rc;
}

/* The first frame of an animation, composited by libwebp on its canvas. */
static int webp_decode_anim(const unsigned char *buf, size_t len, struct img *out, char *err,
                            size_t errlen)
{
    WebPData data = {buf, len};
    WebPAnimDecoderOptions opt;
    WebPAnimInfo ai;
    uint8_t *frame;
    int ts, rc = -1;
    if (!WebPAnimDecoderOptionsInit(&opt)) {
        snprintf(err, errlen, "WebP: libwebp version mismatch");
        return -1;
    }
    opt.color_mode = MODE_RGBA;
    opt.use_threads = 0;
    WebPAnimDecoder *dec = WebPAnimDecoderNew(&data, &opt);
    if (!dec) {
        snprintf(err, errlen, "WebP: corrupt or truncated animation");
        return -1;
    }
    if (!WebPAnimDecoderGetInfo(dec, &ai) || !WebPAnimDecoderGetNext(dec, &frame, &ts)) {
        snprintf(err, errlen, "WebP: cannot decode the first frame of the animation");
    } else if (!(out->px = malloc((size_t)ai.canvas_width * ai.canvas_height * 4))) {
        snprintf(err, errlen, "WebP: out of memory for a %ux%u frame", ai.canvas_width,
                 ai.canvas_height);
    } else {
        memcpy(out->px, frame, (size_t)ai.canvas_width * ai.canvas_height * 4);
        *out = (struct img){out->px, ai.canvas_width, ai.canvas_height, 4};
        rc = 0;
    }
    WebPAnimDecoderDelete(dec);
    return rc;
}

static int webp_decode_still(const unsigned char *buf, size_t len, struct img *out, char *err,
                             size_t errlen)
{
    WebPDecoderConfig cfg;
    if (!WebPInitDecoderConfig(&cfg)) {
        snprintf(err, errlen, "WebP: libwebp version mismatch");
        return -1;
    }
    VP8StatusCode st = WebPGetFeatures(buf, len, &cfg.input);
    if (st != VP8_STATUS_OK) {
        snprintf(err, errlen, "WebP: %s in the header", webp_status_text(st));
        return -1;
    }
    unsigned w = (unsigned)cfg.input.width, h = (unsigned)cfg.input.height;
    unsigned ch = cfg.input.has_alpha ? 4 : 3;
    size_t stride = (size_t)w * ch, size = stride * h;
    unsigned char *px = malloc(size ? size : 1);
    if (!px) {
        snprintf(err, errlen, "WebP: out of memory for %ux%u pixels", w, h);
        return -1;
    }
    cfg.output.colorspace = ch == 4 ? MODE_RGBA : MODE_RGB;
    cfg.output.is_external_memory = 1;
    cfg.output.u.RGBA.rgba = px;
    cfg.output.u.RGBA.stride = (int)stride;
    cfg.output.u.RGBA.size = size;
    st = WebPDecode(buf, len, &cfg);
    WebPFreeDecBuffer(&cfg.output);      /* external memory: frees nothing of ours */
    if (st != VP8_STATUS_OK) {
        free(px);
        snprintf(err, errlen, "WebP: %s", webp_status_text(st));
        return -1;
    }
    *out = (struct img){px, w, h, ch};
    return 0;
}

int webp_decode(const unsigned char *buf, size_t len, struct img *out, struct img_meta *meta,
                char *err, size_t errlen)
{
    struct img_info info;
    memset(out, 0, sizeof *out);
    if (webp_probe(buf, len, &info, err, errlen) != 0)
        return -1;
    int rc = info.animated ? webp_decode_anim(buf, len, out, err, errlen)
                           : webp_decode_still(buf, len, out, err, errlen);
    if (rc == 0 && meta && webp_read_meta(buf, len, meta, err, errlen) != 0) {
        img_free(out);
        return -1;
    }
    return rc;
}

/* Grey (1 or 2 channels) widened to RGB or RGBA for WebPPictureImport*. */
static unsigned char *webp_widen_gray(const struct img *im)
{
    size_t n = (size_t)im->w * im->h;
    unsigned och = im->ch == 2 ? 4 : 3;
    unsigned char *out = malloc(n * och);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *s = im->px + i * im->ch;
        unsigned char *d = out + i * och;
        d[0] = d[1] = d[2] = s[0];
        if (och == 4)
            d[3] = s[1];
    }
    return out;
}

static int webp_picture(const struct img *im, WebPPicture *pic, int lossless)
{
    const unsigned char *px = im->px;
    unsigned char *wide = NULL;
    unsigned ch = im->ch;
    if (ch < 3) {
        if (!(wide = webp_widen_gray(im)))
            return 0;
        px = wide;
        ch = ch == 2 ? 4 : 3;
    }
    pic->width = (int)im->w;
    pic->height = (int)im->h;
    pic->use_argb = lossless;
    int ok = ch == 4 ? WebPPictureImportRGBA(pic, px, (int)(im->w * ch))
                     : WebPPictureImportRGB(pic, px, (int)(im->w * ch));
    free(wide);
    return ok;
}

/* Adds the non-empty metadata blobs as chunks around the encoded image. */
static int webp_add_meta(const WebPMemoryWriter *wr, const struct img_meta *meta,
                         WebPData *assembled)
{
    const WebPData image = {wr->mem, wr->size};
    WebPMux *mux = WebPMuxCreate(&image, 0);
    int ok = mux != NULL;
    const struct { const char *fourcc; const unsigned char *p; size_t n; } chunks[] = {
        {"ICCP", meta->icc, meta->icc_len}, {"EXIF", meta->exif, meta->exif_len},
        {"XMP ", meta->xmp, meta->xmp_len}};
    for (size_t i = 0; ok && i < sizeof chunks / sizeof *chunks; i++) {
        const WebPData d = {chunks[i].p, chunks[i].n};
        if (chunks[i].p && chunks[i].n)
            ok = WebPMuxSetChunk(mux, chunks[i].fourcc, &d, 0) == WEBP_MUX_OK;
    }
    ok = ok && WebPMuxAssemble(mux, assembled) == WEBP_MUX_OK;
    WebPMuxDelete(mux);
    return ok;
}

static int webp_has_meta(const struct img_meta *m)
{
    return m && ((m->icc && m->icc_len) || (m->exif && m->exif_len) || (m->xmp && m->xmp_len));
}

long long webp_encode(const struct img *im, int quality, int lossless,
                      const struct img_meta *meta, int fd, char *err, size_t errlen)
{
    WebPConfig cfg;
    WebPPicture pic;
    WebPMemoryWriter wr;
    WebPData assembled = {NULL, 0};
    long long rc = -1;

    if (im->w > WEBP_MAX_DIMENSION || im->h > WEBP_MAX_DIMENSION) {
        snprintf(err, errlen, "WebP: %ux%u is larger than WebP's %d-pixel side limit", im->w,
                 im->h, WEBP_MAX_DIMENSION);
        return -1;
    }
    if (!WebPConfigInit(&cfg) || !WebPPictureInit(&pic)) {
        snprintf(err, errlen, "WebP: libwebp version mismatch");
        return -1;
    }
    cfg.quality = (float)quality;
    cfg.lossless = lossless != 0;
    WebPMemoryWriterInit(&wr);
    if (!webp_picture(im, &pic, cfg.lossless)) {
        snprintf(err, errlen, "WebP: out of memory encoding %ux%u", im->w, im->h);
        goto out;
    }
    pic.writer = WebPMemoryWrite;
    pic.custom_ptr = &wr;
    if (!WebPEncode(&cfg, &pic)) {
        snprintf(err, errlen, "WebP: cannot encode %ux%u (error %d)", im->w, im->h,
                 (int)pic.error_code);
        goto out;
    }
    const unsigned char *bytes = wr.mem;
    size_t n = wr.size;
    if (webp_has_meta(meta)) {
        if (!webp_add_meta(&wr, meta, &assembled)) {
            snprintf(err, errlen, "WebP: cannot add the metadata chunks");
            goto out;
        }
        bytes = assembled.bytes;
        n = assembled.size;
    }
    if (img_write_fd(fd, bytes, n, err, errlen) == 0)
        rc = (long long)n;
out:
    WebPDataClear(&assembled);
    WebPMemoryWriterClear(&wr);
    WebPPictureFree(&pic);
    return rc;
}

const char *webp_version(void)
{
    static char v[16];
    int n = WebPGetDecoderVersion();
    snprintf(v, sizeof v, "%d.%d.%d", n >> 16 & 0xff, n >> 8 & 0xff, n & 0xff);
    return v;
}
