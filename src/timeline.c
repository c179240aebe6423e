/* timeline.c — renders recorded spans as rows of characters.
 *
 * A cell is a slice of time; many spans can touch it (a 5 ms GIL hand-off in
 * a 20 ms cell). Drawing the last span wins would make the picture depend on
 * recording order, so each cell sums how long each mark covers it and shows
 * the largest. A span touching a cell counts at least 1 ns there, so a span
 * shorter than a cell never vanishes when nothing else covers that cell.
 *
 * With a cap, the whole grid is decided before printing: a column is only
 * known to break the cap once every row's cell in it is.
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

/* The character for one cell: the mark covering it longest, blank if none.
 * skip: marks not to choose (NULL: none). */
static char timeline_cell(const int64_t *cov, const struct timeline_marks *m, const char *skip)
{
    char best = ' ';
    int64_t most = 0;
    for (unsigned k = 0; k < m->n; k++) {
        if (cov[k] > most && !(skip && strchr(skip, m->mark[k]))) {
            most = cov[k];
            best = m->mark[k];
        }
    }
    return best;
}

/* How long the capped marks cover one cell. */
static int64_t timeline_capped_cover(const int64_t *cov, const struct timeline_marks *m,
                                     const char *marks)
{
    int64_t sum = 0;
    for (unsigned k = 0; k < m->n; k++)
        if (strchr(marks, m->mark[k]))
            sum += cov[k];
    return sum;
}

/* Column c under the cap: the capped marks get as many cells as their time
 * in the column fills whole cells (rounded), at most cap->max, and these go
 * to the rows they cover longest (equals take turns by column); there each
 * shows its longest capped mark, elsewhere the longest other one, or
 * cap->demote if it had none. */
static void timeline_cap_column(char *grid, const int64_t *covered, const int64_t *cov,
                                const struct timeline_marks *m, unsigned rows, unsigned width,
                                unsigned c, int64_t cell_ns, const struct timeline_cap *cap)
{
    int64_t sum = 0;
    for (unsigned r = 0; r < rows; r++)
        sum += covered[(size_t)r * width + c];
    unsigned budget = (unsigned)((sum + cell_ns / 2) / (cell_ns > 0 ? cell_ns : 1));
    if (budget > cap->max)
        budget = cap->max;
    unsigned nm = m->n ? m->n : 1;
    char others[257];
    size_t no = 0;
    for (unsigned k = 0; k < m->n; k++)
        if (!strchr(cap->marks, m->mark[k]))
            others[no++] = m->mark[k];
    others[no] = '\0';
    for (unsigned r = 0; r < rows; r++) {   /* first as if none got a capped cell */
        size_t at = (size_t)r * width + c;
        if (covered[at] > 0 || (grid[at] != ' ' && strchr(cap->marks, grid[at]))) {
            char other = timeline_cell(cov + at * nm, m, cap->marks);
            grid[at] = other != ' ' ? other : covered[at] > 0 ? cap->demote : ' ';
        }
    }
    for (unsigned given = 0; given < budget; given++) {
        unsigned best = rows;
        for (unsigned i = 0; i < rows; i++) {   /* start the scan at c: turns */
            unsigned r = (c + i) % rows;
            size_t at = (size_t)r * width + c;
            if (covered[at] > 0 && !strchr(cap->marks, grid[at]) &&
                (best == rows || covered[at] > covered[(size_t)best * width + c]))
                best = r;
        }
        if (best == rows)
            break;
        size_t at = (size_t)best * width + c;
        grid[at] = timeline_cell(cov + at * nm, m, others);
    }
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
 * any others bare; a new line before an entry that would pass `cols`. */
static void timeline_legend_line(FILE *f, const struct timeline_marks *m,
                                 const struct timeline_legend *legend, size_t nlegend, int cols)
{
    int listed[256] = { 0 };
    int col = 0;
    for (size_t i = 0; i <= nlegend; i++) {
        for (unsigned k = 0; k < m->n; k++) {
            unsigned char c = (unsigned char)m->mark[k];
            /* first pass over legend[i]; the last pass lists the rest bare */
            if (listed[c] || (i < nlegend && legend[i].mark != (char)c))
                continue;
            const char *meaning = i < nlegend ? legend[i].meaning : "";
            int len = 1 + (*meaning ? 1 + (int)strlen(meaning) : 0);
            if (col && col + 3 + len > cols) {
                fputc('\n', f);
                col = 0;
            }
            col += fprintf(f, "%s%c%s%s", col ? "   " : "", c, *meaning ? " " : "", meaning);
            listed[c] = 1;
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
    return timeline_render_capped(labels, rows, spans, nspans, legend, nlegend, t0_ns, t1_ns,
                                  width, NULL);
}

char *timeline_render_capped(const char *const *labels, unsigned rows,
                             const struct timeline_span *spans, size_t nspans,
                             const struct timeline_legend *legend, size_t nlegend,
                             int64_t t0_ns, int64_t t1_ns, unsigned width,
                             const struct timeline_cap *cap)
{
    if (width == 0)
        width = 60;
    int64_t total = t1_ns > t0_ns ? t1_ns - t0_ns : 1;
    struct timeline_marks m;
    timeline_collect(spans, nspans, rows, &m);
    unsigned nm = m.n ? m.n : 1;
    size_t cells = (size_t)width * (rows ? rows : 1);
    int64_t *cov = calloc(cells * nm, sizeof *cov);
    int64_t *covered = calloc(cells, sizeof *covered);
    char *grid = malloc(cells);
    char *out = NULL;
    size_t outlen = 0;
    FILE *f = cov && covered && grid ? open_memstream(&out, &outlen) : NULL;
    if (!f) {
        free(cov);
        free(covered);
        free(grid);
        return NULL;
    }
    for (size_t i = 0; i < nspans; i++)
        if (spans[i].row < rows)
            timeline_cover(cov + (size_t)spans[i].row * width * nm, nm,
                           m.index[(unsigned char)spans[i].mark], &spans[i], t0_ns, total, width);
    for (size_t at = 0; at < (size_t)rows * width; at++) {
        grid[at] = timeline_cell(cov + at * nm, &m, NULL);
        if (cap)
            covered[at] = timeline_capped_cover(cov + at * nm, &m, cap->marks);
    }
    for (unsigned c = 0; cap && c < width; c++)
        timeline_cap_column(grid, covered, cov, &m, rows, width, c, total / width, cap);
    int pad = 0;
    for (unsigned r = 0; r < rows; r++)
        if ((int)strlen(labels[r]) > pad)
            pad = (int)strlen(labels[r]);
    for (unsigned r = 0; r < rows; r++)
        fprintf(f, "%-*s |%.*s|\n", pad, labels[r], (int)width, grid + (size_t)r * width);
    timeline_axis(f, pad, width, total);
    /* the legend lists what is drawn: a mark may lose every cell it touched,
     * and a cap may draw its demote mark */
    int drawn[256] = { 0 };
    for (size_t at = 0; at < (size_t)rows * width; at++)
        drawn[(unsigned char)grid[at]] = 1;
    struct timeline_marks shown = { .n = 0 };
    for (int i = 0; i < 256; i++)
        shown.index[i] = -1;
    for (unsigned k = 0; k <= m.n; k++) {
        unsigned char c = (unsigned char)(k < m.n ? m.mark[k] : cap ? cap->demote : ' ');
        if (c != ' ' && drawn[c] && shown.index[c] < 0) {
            shown.index[c] = (int)shown.n;
            shown.mark[shown.n++] = (char)c;
        }
    }
    int cols = pad + 2 + (int)width;
    timeline_legend_line(f, &shown, legend, nlegend, cols > 60 ? cols : 60);
    free(cov);
    free(covered);
    free(grid);
    if (fclose(f) != 0 || !out) {
        free(out);
        return NULL;
    }
    return out;
}
