/* timeline.c — renders recorded spans as rows of characters.
 *
 * A cell is a slice of time; many spans can touch it (a 5 ms GIL hand-off in
 * a 20 ms cell). Drawing the last span wins would make the picture depend on
 * recording order, so each cell sums how long each mark covers it and shows
 * the largest. A span touching a cell counts at least 1 ns there, so a span
 * shorter than a cell never vanishes when nothing else covers that cell.
 */
#include "imgpool/timeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The marks that appear, in order of first appearance. */
struct timeline_marks {
    char mark[256];
    int index[256];       /* mark byte -> position in mark[], -1 if absent */
    unsigned n;
};

static void timeline_collect(const struct timeline_span *spans, size_t nspans,
                             unsigned rows, struct timeline_marks *m)
{
    m->n = 0;
    for (int i = 0; i < 256; i++)
        m->index[i] = -1;
    for (size_t i = 0; i < nspans; i++) {
        unsigned char c = (unsigned char)spans[i].mark;
        if (spans[i].row < rows && m->index[c] < 0) {
            m->index[c] = (int)m->n;
            m->mark[m->n++] = (char)c;
        }
    }
}

/* Adds the span's time to cov[cell * nmarks + mark] for the cells it touches. */
static void timeline_cover(int64_t *cov, unsigned nmarks, int mark,
                           const struct timeline_span *sp,
                           int64_t t0, int64_t total, unsigned width)
{
    int64_t s = sp->start_ns < t0 ? t0 : sp->start_ns;
    int64_t e = sp->end_ns > t0 + total ? t0 + total : sp->end_ns;
    if (e < s)
        return;   /* wholly outside, or reversed */
    unsigned c0 = (unsigned)((double)(s - t0) * width / total);
    /* end is exclusive: a span ending on a cell boundary stays left of it */
    int64_t last = e > s ? e - 1 : e;
    unsigned c1 = (unsigned)((double)(last - t0) * width / total);
    if (c0 >= width)
        c0 = width - 1;
    if (c1 >= width)
        c1 = width - 1;
    for (unsigned c = c0; c <= c1; c++) {
        int64_t cs = t0 + (int64_t)((double)total * c / width);
        int64_t ce = t0 + (int64_t)((double)total * (c + 1) / width);
        int64_t o = (e < ce ? e : ce) - (s > cs ? s : cs);
        cov[(size_t)c * nmarks + (unsigned)mark] += o > 0 ? o : 1;
    }
}

/* The character for one cell: the mark covering it longest, blank if none. */
static char timeline_cell(const int64_t *cov, const struct timeline_marks *m)
{
    char best = ' ';
    int64_t most = 0;
    for (unsigned k = 0; k < m->n; k++) {
        if (cov[k] > most) {
            most = cov[k];
            best = m->mark[k];
        }
    }
    return best;
}

static void timeline_duration(char *buf, size_t len, int64_t ns)
{
    if (ns < 1000000)
        snprintf(buf, len, "%.1f us", ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, len, "%.1f ms", ns / 1e6);
    else
        snprintf(buf, len, "%.2f s", ns / 1e9);
}

static void timeline_axis(FILE *f, int pad, unsigned width, int64_t total)
{
    char tot[32];
    timeline_duration(tot, sizeof tot, total);
    int gap = (int)width - 1 - (int)strlen(tot);
    fprintf(f, "%*s 0%*s%s\n", pad + 1, "", gap > 1 ? gap : 1, "", tot);
}

/* The marks that appear: those with a meaning in the caller's order, then
 * any others bare. */
static void timeline_legend_line(FILE *f, const struct timeline_marks *m,
                                 const struct timeline_legend *legend, size_t nlegend)
{
    int listed[256] = { 0 };
    const char *sep = "";
    for (size_t i = 0; i < nlegend; i++) {
        unsigned char c = (unsigned char)legend[i].mark;
        if (m->index[c] >= 0 && !listed[c]) {
            fprintf(f, "%s%c %s", sep, legend[i].mark, legend[i].meaning);
            listed[c] = 1;
            sep = "   ";
        }
    }
    for (unsigned k = 0; k < m->n; k++) {
        if (!listed[(unsigned char)m->mark[k]]) {
            fprintf(f, "%s%c", sep, m->mark[k]);
            sep = "   ";
        }
    }
    if (m->n)
        fputc('\n', f);
}

char *timeline_render(const char *const *labels, unsigned rows,
                      const struct timeline_span *spans, size_t nspans,
                      const struct timeline_legend *legend, size_t nlegend,
                      int64_t t0_ns, int64_t t1_ns, unsigned width)
{
    if (width == 0)
        width = 60;
    int64_t total = t1_ns > t0_ns ? t1_ns - t0_ns : 1;
    struct timeline_marks m;
    timeline_collect(spans, nspans, rows, &m);
    unsigned nm = m.n ? m.n : 1;
    int64_t *cov = malloc((size_t)width * nm * sizeof *cov);
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = cov ? open_memstream(&out, &outlen) : NULL;
    if (!f) {
        free(cov);
        return NULL;
    }
    int pad = 0;
    for (unsigned r = 0; r < rows; r++)
        if ((int)strlen(labels[r]) > pad)
            pad = (int)strlen(labels[r]);
    for (unsigned r = 0; r < rows; r++) {
        memset(cov, 0, (size_t)width * nm * sizeof *cov);
        for (size_t i = 0; i < nspans; i++)
            if (spans[i].row == r)
                timeline_cover(cov, nm, m.index[(unsigned char)spans[i].mark],
                               &spans[i], t0_ns, total, width);
        fprintf(f, "%-*s |", pad, labels[r]);
        for (unsigned c = 0; c < width; c++)
            fputc(timeline_cell(cov + (size_t)c * nm, &m), f);
        fputs("|\n", f);
    }
    timeline_axis(f, pad, width, total);
    timeline_legend_line(f, &m, legend, nlegend);
    free(cov);
    if (fclose(f) != 0 || !out) {
        free(out);
        return NULL;
    }
    return out;
}
