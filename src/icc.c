/* icc.c — embedded ICC profiles to sRGB through lcms2.
 *
 * Design note. lcms2 is thread-safe when each thread works in its own
 * context (the *THR functions): each struct icc owns one, with an error
 * handler that keeps lcms2's first message for the caller instead of letting
 * it go anywhere. The targets are lcms2's built-in sRGB profile (what Pillow's
 * ImageCms.createProfile("sRGB") is, so results match Pillow's to the level)
 * and, for gray images, a gray profile with sRGB's tone curve and the D50
 * white point, so gray stays one channel.
 *
 * Building a transform (parsing the profile, optimising the pipeline into
 * 8-bit tables) costs more than converting a thumbnail-sized decode, and a
 * folder of photos usually shares one profile: the last transform is kept
 * (one for 8-bit input, one for 16-bit), keyed by the profile's bytes and the
 * pixel layout, so the second photo from the same camera pays only the
 * conversion.
 *
 * Rows are converted one call each: cmsDoTransform counts pixels in 32 bits.
 *
 * HEIF and AVIF may give colour as H.273 code points (nclx) instead of a
 * profile; icc_from_cicp turns those into a profile, so everything after the
 * decoder sees one kind of colour description.
 */
#include "imgpool/icc.h"

#include <lcms2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A cached transform. */
struct icc_slot {
    unsigned char *key;             /* its profile's bytes ... */
    size_t key_len;
    cmsUInt32Number key_in;         /* ... and input format */
    cmsHTRANSFORM xf;               /* NULL: nothing cached */
    int identity;                   /* xf moves no sample by more than a level */
};

/* One slot for 8-bit input and one for 16-bit: a 16-bit image asks first
 * whether its profile changes colours at all (icc_prepare, 8-bit) and then
 * converts at 16 bits, which with one slot built both transforms again for
 * every file of a folder. */
struct icc {
    cmsContext ctx;
    char msg[160];                  /* lcms2's first error during the current call */
    struct icc_slot slot[2];        /* [0] 8-bit input, [1] 16-bit */
};

static void icc_on_error(cmsContext ctx, cmsUInt32Number code, const char *text)
{
    struct icc *c = cmsGetContextUserData(ctx);
    (void)code;
    if (c && !c->msg[0])
        snprintf(c->msg, sizeof c->msg, "%s", text ? text : "unknown lcms2 error");
}

int icc_create(struct icc **out, char *err, size_t errlen)
{
    struct icc *c = calloc(1, sizeof *c);
    if (c)
        c->ctx = cmsCreateContext(NULL, c);
    if (!c || !c->ctx) {
        free(c);
        snprintf(err, errlen, "out of memory creating an lcms2 context");
        return -1;
    }
    cmsSetLogErrorHandlerTHR(c->ctx, icc_on_error);
    *out = c;
    return 0;
}

static void icc_forget(struct icc_slot *s)
{
    if (s->xf)
        cmsDeleteTransform(s->xf);
    free(s->key);
    *s = (struct icc_slot){0};
}

void icc_destroy(struct icc *c)
{
    if (!c)
        return;
    icc_forget(&c->slot[0]);
    icc_forget(&c->slot[1]);
    cmsDeleteContext(c->ctx);
    free(c);
}

const char *icc_version(void)
{
    static char v[16];
    int n = cmsGetEncodedCMMversion();  /* 2140 for 2.14 */
    snprintf(v, sizeof v, "%d.%d", n / 1000, n % 1000 / 10);
    return v;
}

enum icc_space icc_space_of(const unsigned char *icc, size_t len)
{
    if (!icc || len < 128 || len > ICC_MAX_BYTES || memcmp(icc + 36, "acsp", 4) != 0)
        return ICC_SPACE_OTHER;
    if (memcmp(icc + 16, "GRAY", 4) == 0)
        return ICC_SPACE_GRAY;
    if (memcmp(icc + 16, "RGB ", 4) == 0)
        return ICC_SPACE_RGB;
    if (memcmp(icc + 16, "CMYK", 4) == 0)
        return ICC_SPACE_CMYK;
    return ICC_SPACE_OTHER;
}

int icc_space_fits(enum icc_space space, unsigned ch)
{
    switch (space) {
    case ICC_SPACE_GRAY: return ch == 1 || ch == 2;
    case ICC_SPACE_RGB:  return ch == 3 || ch == 4;
    case ICC_SPACE_CMYK: return ch == 4;
    default:             return 0;
    }
}

/* lcms2 pixel formats for ch channels in space: *in (16-bit samples if
 * deep) and *out (always 8-bit). */
static void icc_formats(enum icc_space space, unsigned ch, int deep, cmsUInt32Number *in,
                        cmsUInt32Number *out)
{
    switch (space) {
    case ICC_SPACE_GRAY: *in = *out = ch == 2 ? TYPE_GRAYA_8 : TYPE_GRAY_8; break;
    case ICC_SPACE_CMYK: *in = TYPE_CMYK_8; *out = TYPE_RGB_8; break;
    default:             *in = *out = ch == 4 ? TYPE_RGBA_8 : TYPE_RGB_8; break;
    }
    if (deep)
        *in = (*in & ~(cmsUInt32Number)BYTES_SH(7)) | BYTES_SH(2);
}

/* The target: lcms2's sRGB, or for gray a gray profile on sRGB's curve. */
static cmsHPROFILE icc_target(struct icc *c, enum icc_space space)
{
    if (space != ICC_SPACE_GRAY)
        return cmsCreate_sRGBProfileTHR(c->ctx);
    /* IEC 61966-2-1: Y = ((X + 0.055) / 1.055)^2.4 above 0.04045, X / 12.92 below */
    static const cmsFloat64Number srgb[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
    cmsToneCurve *curve = cmsBuildParametricToneCurve(c->ctx, 4, srgb);
    if (!curve)
        return NULL;
    cmsHPROFILE p = cmsCreateGrayProfileTHR(c->ctx, cmsD50_xyY(), curve);
    cmsFreeToneCurve(curve);
    return p;
}

/* 1 if xf (8-bit gray or RGB, with or without alpha) moves no sample of a
 * grid through its colour space (every gray level; 17^3 RGB colours) by more
 * than one level: an sRGB profile (as cameras, GIMP and Photoshop embed
 * them), which then costs nothing per image. */
static int icc_is_identity(cmsHTRANSFORM xf, cmsUInt32Number fmt)
{
    enum { STEPS = 17 };
    unsigned colours = T_CHANNELS(fmt), bpp = colours + T_EXTRA(fmt);
    unsigned n = colours == 1 ? 256 : STEPS * STEPS * STEPS;
    unsigned char in[STEPS * STEPS * STEPS * 4], out[sizeof in];
    for (unsigned i = 0; i < n; i++) {
        unsigned char *p = in + i * bpp;
        if (colours == 1) {
            p[0] = (unsigned char)i;
        } else {
            unsigned v[3] = {i % STEPS, i / STEPS % STEPS, i / (STEPS * STEPS)};
            for (unsigned k = 0; k < 3; k++)
                p[k] = (unsigned char)(v[k] * 255 / (STEPS - 1));
        }
        if (bpp > colours)
            p[colours] = 255;
    }
    cmsDoTransform(xf, in, out, n);
    for (unsigned i = 0; i < n; i++)
        for (unsigned k = 0; k < colours; k++)
            if (abs(in[i * bpp + k] - out[i * bpp + k]) > 1)
                return 0;
    return 1;
}

/* The slot holding the transform for profile icc and input format in: the
 * cached one if its key matches, else a new one (replacing what that
 * depth's slot held). NULL with c->msg set on error. */
static struct icc_slot *icc_transform(struct icc *c, const unsigned char *icc, size_t len,
                                      enum icc_space space, cmsUInt32Number in,
                                      cmsUInt32Number out)
{
    struct icc_slot *sl = &c->slot[T_BYTES(in) == 2];
    if (sl->xf && sl->key_in == in && sl->key_len == len && memcmp(sl->key, icc, len) == 0)
        return sl;
    icc_forget(sl);
    unsigned char *key = malloc(len);
    cmsHPROFILE src = cmsOpenProfileFromMemTHR(c->ctx, icc, (cmsUInt32Number)len);
    cmsHPROFILE dst = src ? icc_target(c, space) : NULL;
    cmsHTRANSFORM xf = NULL;
    if (key && src && dst)
        xf = cmsCreateTransformTHR(c->ctx, src, in, dst, out, INTENT_PERCEPTUAL,
                                   cmsFLAGS_COPY_ALPHA);
    if (src)
        cmsCloseProfile(src);
    if (dst)
        cmsCloseProfile(dst);
    if (!xf) {
        free(key);
        if (!c->msg[0])
            snprintf(c->msg, sizeof c->msg, "%s",
                     key ? "cannot build a transform" : "out of memory");
        return NULL;
    }
    memcpy(key, icc, len);
    /* the check feeds 8-bit samples; 16-bit input always converts */
    *sl = (struct icc_slot){key, len, in, xf,
                            space != ICC_SPACE_CMYK && T_BYTES(in) == 1 &&
                                icc_is_identity(xf, in)};
    return sl;
}

/* The transform for ch-channel pixels (16-bit samples if deep) in profile
 * icc: 0 with *sl (its slot) and the space, or -1 with the reason in err. */
static int icc_prepare_space(struct icc *c, const unsigned char *icc, size_t len, unsigned ch,
                             int deep, struct icc_slot **sl, enum icc_space *space, char *err,
                             size_t errlen)
{
    static const char *const names[] = {"other", "gray", "RGB", "CMYK"};
    *space = icc_space_of(icc, len);
    if (*space == ICC_SPACE_OTHER) {
        snprintf(err, errlen, "not a gray, RGB or CMYK profile");
        return -1;
    }
    if (!icc_space_fits(*space, ch)) {
        snprintf(err, errlen, "a %s profile on a %u-channel image", names[*space], ch);
        return -1;
    }
    cmsUInt32Number in, out;
    icc_formats(*space, ch, deep, &in, &out);
    c->msg[0] = '\0';
    if (!(*sl = icc_transform(c, icc, len, *space, in, out))) {
        snprintf(err, errlen, "%s", c->msg);
        return -1;
    }
    return 0;
}

int icc_prepare(struct icc *c, const unsigned char *icc, size_t len, unsigned ch, char *err,
                size_t errlen)
{
    struct icc_slot *sl;
    enum icc_space space;
    if (icc_prepare_space(c, icc, len, ch, 0, &sl, &space, err, errlen) != 0)
        return -1;
    return sl->identity;
}

int icc_to_srgb(struct icc *c, const unsigned char *icc, size_t len, struct img *im,
                char *err, size_t errlen)
{
    struct icc_slot *sl;
    enum icc_space space;
    if (icc_prepare_space(c, icc, len, im->ch, 0, &sl, &space, err, errlen) != 0)
        return -1;
    if (sl->identity)
        return 0;                       /* sRGB already, to the level */
    unsigned och = space == ICC_SPACE_CMYK ? 3 : im->ch;
    size_t in_stride = (size_t)im->w * im->ch, out_stride = (size_t)im->w * och;
    unsigned char *dst = im->px;
    if (och != im->ch && !(dst = malloc(out_stride * im->h))) {
        snprintf(err, errlen, "out of memory converting %ux%u to sRGB", im->w, im->h);
        return -1;
    }
    for (unsigned y = 0; y < im->h; y++)
        cmsDoTransform(sl->xf, im->px + y * in_stride, dst + y * out_stride, im->w);
    if (dst != im->px) {
        free(im->px);
        im->px = dst;
        im->ch = och;
    }
    return 0;
}

int icc_to_srgb16(struct icc *c, const unsigned char *icc, size_t len, const uint16_t *src,
                  unsigned w, unsigned h, unsigned ch, unsigned char *dst, char *err,
                  size_t errlen)
{
    struct icc_slot *sl;
    enum icc_space space;
    if (icc_prepare_space(c, icc, len, ch, 1, &sl, &space, err, errlen) != 0)
        return -1;
    unsigned och = space == ICC_SPACE_CMYK ? 3 : ch;
    for (unsigned y = 0; y < h; y++)
        cmsDoTransform(sl->xf, src + (size_t)y * w * ch, dst + (size_t)y * w * och, w);
    return 0;
}

/* H.273's colour primaries as CIE xy chromaticities: red, green, blue, white. */
struct icc_primaries {
    unsigned code;
    double x[4], y[4];
};
static const struct icc_primaries icc_primaries[] = {
    {1, {0.640, 0.300, 0.150, 0.3127}, {0.330, 0.600, 0.060, 0.3290}},    /* BT.709 */
    {5, {0.640, 0.290, 0.150, 0.3127}, {0.330, 0.600, 0.060, 0.3290}},    /* BT.601 625 */
    {6, {0.630, 0.310, 0.155, 0.3127}, {0.340, 0.595, 0.070, 0.3290}},    /* BT.601 525 */
    {7, {0.630, 0.310, 0.155, 0.3127}, {0.340, 0.595, 0.070, 0.3290}},    /* SMPTE 240M */
    {9, {0.708, 0.170, 0.131, 0.3127}, {0.292, 0.797, 0.046, 0.3290}},    /* BT.2020 */
    {11, {0.680, 0.265, 0.150, 0.314}, {0.320, 0.690, 0.060, 0.351}},     /* DCI-P3 */
    {12, {0.680, 0.265, 0.150, 0.3127}, {0.320, 0.690, 0.060, 0.3290}},   /* Display P3 */
};

/* The H.273 transfer codes shown with sRGB's curve: sRGB's own, the BT.709
 * family's camera curves, and "unspecified". */
static int icc_cicp_srgb_curve(unsigned transfer)
{
    return transfer == 1 || transfer == 2 || transfer == 6 || transfer == 13 ||
           transfer == 14 || transfer == 15;
}

/* The gamma of a pure power-law transfer code (linear, 2.2, 2.8); 0 if none. */
static double icc_cicp_gamma(unsigned transfer)
{
    return transfer == 8 ? 1.0 : transfer == 4 ? 2.2 : transfer == 5 ? 2.8 : 0;
}

/* The tone curve for a transfer code that one of the two above knows. */
static cmsToneCurve *icc_cicp_curve(cmsContext ctx, unsigned transfer)
{
    /* IEC 61966-2-1 as lcms2's parametric type 4: Y = (aX + b)^g above d, cX below */
    static const double srgb[5] = {2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045};
    if (icc_cicp_srgb_curve(transfer))
        return cmsBuildParametricToneCurve(ctx, 4, srgb);
    return cmsBuildGamma(ctx, icc_cicp_gamma(transfer));
}

static const struct icc_primaries *icc_cicp_primaries(unsigned code)
{
    for (size_t i = 0; i < sizeof icc_primaries / sizeof icc_primaries[0]; i++)
        if (icc_primaries[i].code == code)
            return &icc_primaries[i];
    return NULL;
}

/* The profile for primaries p and a transfer curve, serialised; NULL when out
 * of memory. Its description names the code points it stands for. */
static unsigned char *icc_cicp_profile(cmsContext ctx, const struct icc_primaries *p,
                                       unsigned transfer, cmsToneCurve *curve, size_t *len)
{
    cmsCIExyY white = {p->x[3], p->y[3], 1.0};
    cmsCIExyYTRIPLE rgb = {{p->x[0], p->y[0], 1.0}, {p->x[1], p->y[1], 1.0},
                           {p->x[2], p->y[2], 1.0}};
    cmsToneCurve *curves[3] = {curve, curve, curve};
    cmsHPROFILE h = cmsCreateRGBProfileTHR(ctx, &white, &rgb, curves);
    cmsMLU *desc = cmsMLUalloc(ctx, 1);
    char name[64];
    snprintf(name, sizeof name, "imgpool: H.273 primaries %u, transfer %u", p->code, transfer);
    unsigned char *out = NULL;
    cmsUInt32Number n = 0;
    if (h && desc && cmsMLUsetASCII(desc, "en", "US", name) &&
        cmsWriteTag(h, cmsSigProfileDescriptionTag, desc) && cmsSaveProfileToMem(h, NULL, &n) &&
        n && (out = malloc(n)) != NULL && !cmsSaveProfileToMem(h, out, &n)) {
        free(out);
        out = NULL;
    }
    if (desc)
        cmsMLUfree(desc);
    if (h)
        cmsCloseProfile(h);
    *len = n;
    return out;
}

int icc_from_cicp(unsigned primaries, unsigned transfer, unsigned char **out, size_t *len,
                  char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    if ((primaries == 1 || primaries == 2) && icc_cicp_srgb_curve(transfer))
        return 1;
    const struct icc_primaries *p = icc_cicp_primaries(primaries == 2 ? 1 : primaries);
    if (!p || (!icc_cicp_srgb_curve(transfer) && !icc_cicp_gamma(transfer))) {
        snprintf(err, errlen, "colour primaries %u with transfer %u%s are left as decoded",
                 primaries, transfer, transfer == 16 || transfer == 18 ? " (HDR)" : "");
        return 2;
    }
    if (!out)
        return 0;
    cmsContext ctx = cmsCreateContext(NULL, NULL);
    cmsToneCurve *curve = ctx ? icc_cicp_curve(ctx, transfer) : NULL;
    *out = curve ? icc_cicp_profile(ctx, p, transfer, curve, len) : NULL;
    if (curve)
        cmsFreeToneCurve(curve);
    if (ctx)
        cmsDeleteContext(ctx);
    if (*out)
        return 0;
    snprintf(err, errlen, "out of memory building a profile for colour primaries %u",
             primaries);
    return -1;
}
