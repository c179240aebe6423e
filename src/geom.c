/* geom.c — ImageMagick resize geometry: parsing and size arithmetic.
 *
 * geom_apply mirrors ImageMagick's ParseMetaGeometry: a fit scales by the
 * smaller of W/w and H/h, each side becomes floor(scale * side + 0.5) with a
 * minimum of 1, and '>' / '<' then keep the original size per side. The
 * numbers in tests/test_geom.c were taken from `convert -resize` (IM 6.9.11).
 */
#include "imgpool/geom.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* One number of a geometry: digits with an optional fraction. */
struct geom_num {
    int given;
    int has_fraction;
    double value;
};

/* Reads a number at *p, advancing *p. Values are capped (not overflowed) far
 * above any accepted limit so the range check afterwards sees "too large". */
static void geom_read_num(const char **p, struct geom_num *n)
{
    const char *s = *p;
    double v = 0, scale = 0.1;
    memset(n, 0, sizeof *n);
    while (*s >= '0' && *s <= '9') {
        if (v < 1e15)
            v = v * 10 + (*s - '0');
        s++;
        n->given = 1;
    }
    if (*s == '.' && s[1] >= '0' && s[1] <= '9') {
        n->has_fraction = 1;
        for (s++; *s >= '0' && *s <= '9'; s++, scale /= 10)
            v += (*s - '0') * scale;
        n->given = 1;
    }
    n->value = v;
    *p = s;
}

static int geom_fail(struct geom *out, char *err, size_t errlen, const char *s,
                     const char *why)
{
    memset(out, 0, sizeof *out);
    snprintf(err, errlen, "bad geometry '%s': %s", s, why);
    return -1;
}

static int geom_check_side(const struct geom_num *n, unsigned *side, const char **why)
{
    if (!n->given)
        return 0;
    if (n->has_fraction)
        *why = "a size must be a whole number of pixels (or use '%')";
    else if (n->value < 1)
        *why = "a size must be at least 1 pixel";
    else if (n->value > GEOM_MAX_SIDE)
        *why = "a size may be at most 1000000 pixels";
    else {
        *side = (unsigned)n->value;
        return 0;
    }
    return -1;
}

static int geom_check_percent(const struct geom_num *n, double *pct, const char **why)
{
    if (n->value <= 0)
        *why = "a percentage must be greater than 0";
    else if (n->value > GEOM_MAX_PERCENT)
        *why = "a percentage may be at most 10000%";
    else {
        *pct = n->value;
        return 0;
    }
    return -1;
}

int geom_parse(const char *s, struct geom *out, char *err, size_t errlen)
{
    struct geom_num a, b;
    const char *p = s, *why = NULL;
    int percent = 0;
    char bad[48];

    memset(out, 0, sizeof *out);
    if (!s || !*s)
        return geom_fail(out, err, errlen, s ? s : "", "empty");
    geom_read_num(&p, &a);
    if (*p == '%') { percent = 1; p++; }
    if (*p == 'x' || *p == 'X') {
        p++;
        geom_read_num(&p, &b);
        if (*p == '%') { percent = 1; p++; }
    } else {
        memset(&b, 0, sizeof b);
    }
    if (*p == '!') out->kind = GEOM_EXACT;
    else if (*p == '>') out->only = GEOM_SHRINK;
    else if (*p == '<') out->only = GEOM_ENLARGE;
    if (*p == '!' || *p == '>' || *p == '<')
        p++;
    if (*p) {
        snprintf(bad, sizeof bad, "unexpected '%c' at position %d", *p, (int)(p - s) + 1);
        return geom_fail(out, err, errlen, s, bad);
    }
    if (!a.given && !b.given)
        return geom_fail(out, err, errlen, s, "no size given (expected WxH, W, xH or P%)");

    if (percent) {
        if (out->kind == GEOM_EXACT)
            return geom_fail(out, err, errlen, s, "'!' needs a size WxH, not a percentage");
        if (!a.given)
            return geom_fail(out, err, errlen, s, "a percentage needs a number before 'x'");
        if (geom_check_percent(&a, &out->percent, &why) != 0 ||
            geom_check_percent(b.given ? &b : &a, &out->percent_y, &why) != 0)
            return geom_fail(out, err, errlen, s, why);
        out->kind = GEOM_PERCENT;
        return 0;
    }
    if (geom_check_side(&a, &out->w, &why) != 0 || geom_check_side(&b, &out->h, &why) != 0)
        return geom_fail(out, err, errlen, s, why);
    if (out->kind == GEOM_EXACT && (!out->w || !out->h))
        return geom_fail(out, err, errlen, s, "'!' needs both width and height");
    if (out->kind != GEOM_EXACT)
        out->kind = GEOM_FIT;
    return 0;
}

/* floor(x + 0.5) clamped to 1..GEOM_MAX_SIDE, as ImageMagick rounds. */
static unsigned geom_round(double x)
{
    double r = floor(x + 0.5);
    if (r < 1)
        return 1;
    if (r > GEOM_MAX_SIDE)
        return GEOM_MAX_SIDE;
    return (unsigned)r;
}

void geom_apply(const struct geom *g, unsigned in_w, unsigned in_h,
                unsigned *out_w, unsigned *out_h)
{
    unsigned w = in_w ? in_w : 1, h = in_h ? in_h : 1;
    double scale;

    switch (g ? g->kind : GEOM_NONE) {
    case GEOM_FIT:
        if (g->w && g->h)
            scale = fmin((double)g->w / w, (double)g->h / h);
        else if (g->w)
            scale = (double)g->w / w;
        else
            scale = (double)g->h / h;
        *out_w = geom_round(scale * w);
        *out_h = geom_round(scale * h);
        break;
    case GEOM_PERCENT:
        *out_w = geom_round(g->percent * w / 100.0);
        *out_h = geom_round(g->percent_y * h / 100.0);
        break;
    case GEOM_EXACT:
        *out_w = g->w;
        *out_h = g->h;
        break;
    default:
        *out_w = w;
        *out_h = h;
        return;
    }
    if (g->only == GEOM_SHRINK) {
        if (*out_w > w) *out_w = w;
        if (*out_h > h) *out_h = h;
    } else if (g->only == GEOM_ENLARGE) {
        if (*out_w < w) *out_w = w;
        if (*out_h < h) *out_h = h;
    }
}

void geom_format(const struct geom *g, char *buf, size_t buflen)
{
    const char *suffix = g->kind == GEOM_EXACT ? "!"
                       : g->only == GEOM_SHRINK ? ">"
                       : g->only == GEOM_ENLARGE ? "<" : "";
    char w[16] = "", h[16] = "";

    switch (g->kind) {
    case GEOM_PERCENT:
        if (g->percent_y == g->percent)
            snprintf(buf, buflen, "%g%%%s", g->percent, suffix);
        else
            snprintf(buf, buflen, "%g%%x%g%%%s", g->percent, g->percent_y, suffix);
        break;
    case GEOM_FIT:
    case GEOM_EXACT:
        if (g->w) snprintf(w, sizeof w, "%u", g->w);
        if (g->h) snprintf(h, sizeof h, "%u", g->h);
        snprintf(buf, buflen, "%sx%s%s", w, h, suffix);
        break;
    default:
        if (buflen)
            buf[0] = '\0';
    }
}
