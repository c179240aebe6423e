/* resample.c — separable resampling in linear light, vectorised.
 *
 * Design note. The work is the one Pillow's resampler does (precomputed
 * weights per output column and row, a horizontal then a vertical pass), with
 * two differences: samples are linear light (floats on a 0..65535 scale)
 * instead of 8-bit sRGB, and a box average shrinks large reductions first.
 *
 * Pipeline, one output row at a time (memory is a few rows, never a copy of
 * the image):
 *
 *   src rows --linearise (+ kx x ky box)--> box row, premultiplied
 *            --horizontal taps--> ring of the last nv rows
 *            --vertical taps--> one row --unpremultiply, to sRGB--> dst row
 *
 * Speed comes from float vectors (GCC's vector extension) of W lanes: 4
 * (SSE2, NEON) or, on x86-64 machines with AVX2, 8 (resample_rows.inc is
 * compiled once per width; the first call picks). Every pixel takes P lanes,
 * P = 1, 2 or 4 (3 channels are padded to 4), so W / P pixels fill a vector:
 * the vertical pass is one multiply-add per vector of a row, and the
 * horizontal pass a dot product of the source span with weights repeated P
 * times, whose lanes are then folded by P. Both widths do the same
 * operations in the same order (no fused multiply-add), so every machine
 * writes the same bytes. The float filter of stb_image_resize did the same
 * maths scalar, at three to five times the cost of the four-lane copy.
 *
 * Edges: taps that would fall outside the image are dropped and the rest
 * renormalised (as Pillow does), rather than repeating the edge pixel.
 */
#include "imgpool/resample.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef float resample_v4 __attribute__((vector_size(16)));
/* For the functions taking a channel count that each call site fixes: a copy
 * per count, whose channel loops (marked "GCC unroll") keep sums in registers.
 * Also for everything the row loop calls, so that each copy of the loop (see
 * resample_rows.inc) compiles them for its own instruction set. */
#define RESAMPLE_PER_CH static inline __attribute__((always_inline))
#define RESAMPLE_INLINE static inline __attribute__((always_inline))
/* The AVX2 copy of the row loop: GCC on x86-64, unless RESAMPLE_PORTABLE
 * (tests/tool_resample compares the bytes of both builds). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(RESAMPLE_PORTABLE)
#define RESAMPLE_AVX2 1
#endif
/* Floats a loop step of either pass takes: 16, so that both widths add in
 * the same order, and as several vectors whose sums are independent: one
 * sum waits on its own previous add (four cycles) at every step. */
#define RESAMPLE_STEP 16

/* How 8-bit samples map to the 0..65535 working scale and back. */
struct resample_curve {
    uint16_t to_linear16[256];      /* 8-bit -> working scale */
    float to_linear[256];           /* the same as floats */
    unsigned char to_u8[65536];     /* working scale -> 8-bit, rounded */
};
static struct resample_curve resample_srgb;   /* sRGB: decoded to linear light */
static struct resample_curve resample_as_is;  /* straight: v * 257 */
static pthread_once_t resample_once = PTHREAD_ONCE_INIT;

static double resample_srgb_decode(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

/* The 64 KiB inverse table is filled from the 255 thresholds where rounding
 * to the next sRGB level starts: 255 pow() calls instead of 65536. The
 * forward table holds whole numbers, so 8-bit -> linear -> 8-bit is exact. */
static void resample_tables(void)
{
    struct resample_curve *c = &resample_srgb, *id = &resample_as_is;
    for (unsigned v = 0; v < 256; v++) {
        c->to_linear16[v] = (uint16_t)lrint(resample_srgb_decode(v / 255.0) * 65535);
        c->to_linear[v] = c->to_linear16[v];
        id->to_linear16[v] = (uint16_t)(v * 257);
        id->to_linear[v] = id->to_linear16[v];
    }
    for (unsigned i = 0; i < 65536; i++)
        id->to_u8[i] = (unsigned char)((i + 128) / 257);
    unsigned v = 0;
    double next = resample_srgb_decode(0.5 / 255) * 65535;
    for (unsigned i = 0; i < 65536; i++) {
        while (v < 255 && i >= next) {
            v++;
            next = v < 255 ? resample_srgb_decode((v + 0.5) / 255) * 65535 : 65536;
        }
        c->to_u8[i] = (unsigned char)v;
    }
}



/* Catmull-Rom (Keys' cubic with a = -0.5). */
static double resample_cubic(double x)
{
    x = fabs(x);
    if (x < 1)
        return (1.5 * x - 2.5) * x * x + 1;
    if (x < 2)
        return ((-0.5 * x + 2.5) * x - 4) * x + 2;
    return 0;
}

/* The weights of one axis: output i reads inputs first[i] .. first[i] +
 * count[i] - 1 with weights w[i * n ..] (they add up to 1). */
struct resample_taps {
    unsigned n;
    unsigned *first, *count;
    float *w;
};

static void resample_taps_free(struct resample_taps *t)
{
    free(t->first);
    free(t->count);
    free(t->w);
}

/* Taps for out samples over in samples, scale = in / out input samples per
 * output sample. Returns 0, or -1 when out of memory. */
static int resample_taps_init(struct resample_taps *t, unsigned in, unsigned out, double scale)
{
    double fs = scale > 1 ? scale : 1, support = 2 * fs;
    unsigned n = 2 * (unsigned)ceil(support) + 1;
    n = n < in ? n : in;
    *t = (struct resample_taps){n, malloc(out * sizeof *t->first), malloc(out * sizeof *t->count),
                                calloc((size_t)out * n, sizeof *t->w)};
    double *wd = malloc(n * sizeof *wd);
    if (!t->first || !t->count || !t->w || !wd) {
        free(wd);
        resample_taps_free(t);
        *t = (struct resample_taps){0};   /* the caller frees it again */
        return -1;
    }
    for (unsigned i = 0; i < out; i++) {
        double center = (i + 0.5) * scale, sum = 0;
        double lo = floor(center - support + 0.5), hi = floor(center + support + 0.5);
        unsigned first = lo < 0 ? 0 : (unsigned)lo;
        unsigned end = hi > in ? in : (unsigned)hi;
        for (unsigned j = first; j < end; j++)
            sum += wd[j - first] = resample_cubic((j + 0.5 - center) / fs);
        for (unsigned j = first; j < end; j++)
            t->w[(size_t)i * n + j - first] = (float)(wd[j - first] / sum);
        t->first[i] = first;
        t->count[i] = end - first;
    }
    free(wd);
    return 0;
}

/* How far resample_h may read past a row of n-tap spans: a pair's longer
 * span from the other's start, rounded up to a step. */
static size_t resample_span_pad(unsigned n, unsigned lanes)
{
    return (size_t)n * lanes + RESAMPLE_STEP;
}

/* Horizontal weights laid out for P-lane pixels: output i's weights, each
 * repeated P times, zero-padded to whole steps; stride floats apart. */
static float *resample_taps_lanes(const struct resample_taps *t, unsigned out, unsigned lanes,
                                  size_t *stride)
{
    *stride = ((size_t)t->n * lanes + RESAMPLE_STEP - 1) / RESAMPLE_STEP * RESAMPLE_STEP;
    float *wx = calloc(out * *stride, sizeof *wx);
    if (!wx)
        return NULL;
    for (unsigned i = 0; i < out; i++)
        for (unsigned j = 0; j < t->count[i]; j++)
            for (unsigned c = 0; c < lanes; c++)
                wx[i * *stride + (size_t)j * lanes + c] = t->w[(size_t)i * t->n + j];
    return wx;
}

/* Where the source rows come from: the image itself, or kx x ky boxes of it. */
struct resample_src {
    const unsigned char *px;
    unsigned w, h, ch, kx, ky, bw;   /* box kx wide, ky tall; bw: width in boxes */
    uint64_t *sums;             /* bw * ch box sums, with a box only */
    const struct resample_curve *curve;
};

/* One pixel as linear, premultiplied samples: colours scaled by alpha,
 * alpha on the same 0..65535 scale. */
RESAMPLE_PER_CH void resample_pixel(const struct resample_curve *cv, const unsigned char *p,
                                    float *v, unsigned ch)
{
    const float *tl = cv->to_linear;
    if (ch >= 3) {   /* built in a register, one store instead of three */
        resample_v4 px = {tl[p[0]], tl[p[1]], tl[p[2]], 0};
        if (ch == 4) {
            float al = p[3], m = al * (1.0f / 255);
            px = (resample_v4){px[0], px[1], px[2], 257} * (resample_v4){m, m, m, al};
        }
        memcpy(v, &px, sizeof px);
        return;
    }
    if (ch == 2) {
        float al = p[1];
        v[0] = tl[p[0]] * (al * (1.0f / 255));
        v[1] = al * 257;
    } else {
        v[0] = tl[p[0]];
    }
}

/* Adds n pixels at p to sum: linear colours times alpha (0..255), and alpha;
 * without alpha, linear colours. */
RESAMPLE_PER_CH void resample_box_add(const struct resample_curve *cv, const unsigned char *p,
                                      unsigned n, uint64_t *sum, unsigned ch)
{
    uint64_t acc[4] = {0, 0, 0, 0};
    for (unsigned x = 0; x < n; x++, p += ch) {
        if (ch == 2 || ch == 4) {
            uint32_t al = p[ch - 1];
#pragma GCC unroll 4
            for (unsigned c = 0; c + 1 < ch; c++)
                acc[c] += cv->to_linear16[p[c]] * al;
            acc[ch - 1] += al;
        } else {
#pragma GCC unroll 4
            for (unsigned c = 0; c < ch; c++)
                acc[c] += cv->to_linear16[p[c]];
        }
    }
#pragma GCC unroll 4
    for (unsigned c = 0; c < ch; c++)
        sum[c] += acc[c];
}

/* Box row r of s as linear premultiplied lanes (bw * lanes floats; a padding
 * lane is left as it is, 0). Edge boxes average the pixels they have. */
RESAMPLE_PER_CH void resample_src_row_ch(const struct resample_src *s, unsigned r, float *row,
                                       unsigned ch)
{
    unsigned kx = s->kx, ky = s->ky, lanes = ch == 3 ? 4 : ch;
    unsigned y0 = r * ky, y1 = y0 + ky < s->h ? y0 + ky : s->h;
    const unsigned char *p = s->px + (size_t)y0 * s->w * ch;
    if (kx == 1 && ky == 1) {
        /* Locals: the pixel's store may alias *s, so s->... would be read
         * again for every pixel. */
        const struct resample_curve *cv = s->curve;
        for (unsigned x = 0, w = s->w; x < w; x++, p += ch)
            resample_pixel(cv, p, row + (size_t)x * lanes, ch);
        return;
    }
    /* Integer sums: exact, and one cycle an add where a float sum waits four. */
    memset(s->sums, 0, (size_t)s->bw * ch * sizeof *s->sums);
    for (unsigned y = y0; y < y1; y++, p += (size_t)s->w * ch)
        for (unsigned b = 0; b < s->bw; b++) {
            unsigned x0 = b * kx, x1 = x0 + kx < s->w ? x0 + kx : s->w;
            resample_box_add(s->curve, p + (size_t)x0 * ch, x1 - x0, s->sums + (size_t)b * ch, ch);
        }
    for (unsigned b = 0; b < s->bw; b++) {
        unsigned x0 = b * kx, x1 = x0 + kx < s->w ? x0 + kx : s->w;
        double n = (double)(x1 - x0) * (y1 - y0);
        const uint64_t *sum = s->sums + (size_t)b * ch;
        float *out = row + (size_t)b * lanes;
        if (ch == 2 || ch == 4) {
#pragma GCC unroll 4
            for (unsigned c = 0; c + 1 < ch; c++)
                out[c] = (float)(sum[c] / (n * 255));
            out[ch - 1] = (float)(sum[ch - 1] * 257 / n);
        } else {
#pragma GCC unroll 4
            for (unsigned c = 0; c < ch; c++)
                out[c] = (float)(sum[c] / n);
        }
    }
}

RESAMPLE_INLINE void resample_src_row(const struct resample_src *s, unsigned r, float *row)
{
    switch (s->ch) {
    case 1: resample_src_row_ch(s, r, row, 1); break;
    case 2: resample_src_row_ch(s, r, row, 2); break;
    case 3: resample_src_row_ch(s, r, row, 3); break;
    default: resample_src_row_ch(s, r, row, 4); break;
    }
}

/* An output pixel's folded sum (four floats) written as lanes floats. */
RESAMPLE_INLINE void resample_h_put(float *out, resample_v4 acc, unsigned lanes)
{
    if (lanes == 4)
        memcpy(out, &acc, sizeof acc);
    else if (lanes == 2)
        out[0] = acc[0] + acc[2], out[1] = acc[1] + acc[3];
    else
        out[0] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

unsigned resample_box_factor(unsigned from, unsigned to)
{
    double r = (double)from / to;
    return r >= 4 ? (unsigned)(r / 2) : 1;
}

/* One resampling: its shape and buffers (all freed by resample_free). */
struct resample_run {
    unsigned dw, dh, lanes;
    size_t olen, stride;  /* floats in a ring row, whole steps; in wx, a row's */
    struct resample_taps th, tv;
    float *wx;           /* horizontal weights in lanes */
    float *row, *ring;   /* one box row; nv horizontally filtered rows */
    float *acc;          /* one output row */
    const float **rows;  /* the ring rows they weight */
    uint64_t *sums;      /* box sums */
};

static void resample_free(struct resample_run *r)
{
    resample_taps_free(&r->th);
    resample_taps_free(&r->tv);
    free(r->wx);
    free(r->row);
    free(r->ring);
    free(r->acc);
    free(r->rows);
    free(r->sums);
}

#define RESAMPLE_W 4
#define RESAMPLE_NAME(x) resample_##x##_4
#include "resample_rows.inc"
#undef RESAMPLE_W
#undef RESAMPLE_NAME
#ifdef RESAMPLE_AVX2
#pragma GCC push_options
#pragma GCC target("avx2")
#define RESAMPLE_W 8
#define RESAMPLE_NAME(x) resample_##x##_8
#include "resample_rows.inc"
#undef RESAMPLE_W
#undef RESAMPLE_NAME
#pragma GCC pop_options
#endif

typedef void resample_rows_fn(struct resample_run *r, const struct resample_src *s,
                              unsigned char *dst);
static resample_rows_fn *resample_rows;   /* set once, by resample_setup */

static void resample_setup(void)
{
    resample_tables();
    resample_rows = resample_rows_4;
#ifdef RESAMPLE_AVX2
    if (__builtin_cpu_supports("avx2"))
        resample_rows = resample_rows_8;
#endif
}

int resample_u8(const unsigned char *src, unsigned sw, unsigned sh, unsigned ch,
                unsigned char *dst, unsigned dw, unsigned dh)
{
    return resample_u8_with(src, sw, sh, ch, dst, dw, dh, NULL);
}

int resample_u8_with(const unsigned char *src, unsigned sw, unsigned sh, unsigned ch,
                     unsigned char *dst, unsigned dw, unsigned dh, const struct resample_opts *o)
{
    static const struct resample_opts defaults = {0};
    if (!o)
        o = &defaults;
    double scale_x = o->scale_x > 0 ? o->scale_x : (double)sw / dw;
    double scale_y = o->scale_y > 0 ? o->scale_y : (double)sh / dh;
    pthread_once(&resample_once, resample_setup);
    unsigned kx = resample_box_factor(sw, dw), ky = resample_box_factor(sh, dh);
    unsigned lanes = ch == 3 ? 4 : ch, boxed = kx > 1 || ky > 1;
    struct resample_src s = {src, sw, sh, ch, kx, ky, (sw + kx - 1) / kx, NULL,
                             o->space == RESAMPLE_AS_IS ? &resample_as_is : &resample_srgb};
    unsigned bh = (sh + ky - 1) / ky;
    struct resample_run r = {
        .dw = dw, .dh = dh, .lanes = lanes,
        .olen = ((size_t)dw * lanes + RESAMPLE_STEP - 1) / RESAMPLE_STEP * RESAMPLE_STEP};
    if (resample_taps_init(&r.th, s.bw, dw, scale_x / kx) != 0 ||
        resample_taps_init(&r.tv, bh, dh, scale_y / ky) != 0)
        goto fail;
    r.wx = resample_taps_lanes(&r.th, dw, lanes, &r.stride);
    r.row = calloc((size_t)s.bw * lanes + resample_span_pad(r.th.n, lanes), sizeof *r.row);
    r.ring = calloc(r.tv.n * r.olen, sizeof *r.ring);
    r.acc = malloc(r.olen * sizeof *r.acc);
    r.rows = malloc(r.tv.n * sizeof *r.rows);
    r.sums = boxed ? malloc((size_t)s.bw * ch * sizeof *r.sums) : NULL;
    if (!r.wx || !r.row || !r.ring || !r.acc || !r.rows || (boxed && !r.sums))
        goto fail;
    s.sums = r.sums;
    resample_rows(&r, &s, dst);
    resample_free(&r);
    return 0;
fail:
    resample_free(&r);
    return -1;
}
