/* timeline.h — a terminal picture of who ran when: one row per thread or
 * process, time running left to right.
 *
 *   a    |####    ####    ####    |
 *   b    |    ####    ####    ####|
 *        0                  12.3 ms
 *   # ran   . waited for the lock
 *
 * Pure function, no I/O: any thread may call it.
 */
#ifndef IMGPOOL_TIMELINE_H
#define IMGPOOL_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

/* One stretch of time on one row. mark is the character drawn, e.g. '#' ran,
 * '.' waited, 'G' held the GIL, 'J'/'I' a json/image request. */
struct timeline_span {
    unsigned row;
    int64_t start_ns, end_ns;
    char mark;
};

/* What a mark means, for the legend line. */
struct timeline_legend {
    char mark;
    const char *meaning;
};

/* Renders rows 0..rows-1 (labels[i] names row i) over [t0_ns, t1_ns] with
 * `width` columns of time (0: 60). Each cell shows the mark that covers most
 * of the cell's time, blank if none; a span shorter than a cell still marks
 * the cell it falls in (unless another mark covers more of it). Spans on rows
 * >= rows are ignored, parts outside [t0, t1] are clipped. Below the rows: a
 * time axis with the total time, then a legend of the marks that appear
 * (in `legend` order with their meanings, then marks without one, bare). Returns a
 * malloc'd, NUL-terminated string ending in a newline (caller frees), or NULL
 * when out of memory. */
char *timeline_render(const char *const *labels, unsigned rows,
                      const struct timeline_span *spans, size_t nspans,
                      const struct timeline_legend *legend, size_t nlegend,
                      int64_t t0_ns, int64_t t1_ns, unsigned width);

/* A limit per column for marks that stand for a scarce resource, e.g. marks
 * "#LG" (on a CPU) with max the number of CPUs. In each column these marks
 * get as many cells as their time there fills whole cells (rounded), never
 * more than `max`: three rows each on a CPU for a third of a column's time
 * make one cell, not three. The cells go to the rows they cover longest
 * (equals take turns by column, so no row always loses); every other row
 * shows its longest other mark, or `demote` if it had none. */
struct timeline_cap {
    const char *marks;
    unsigned max;
    char demote;
};

/* timeline_render with a cap (NULL: none). */
char *timeline_render_capped(const char *const *labels, unsigned rows,
                             const struct timeline_span *spans, size_t nspans,
                             const struct timeline_legend *legend, size_t nlegend,
                             int64_t t0_ns, int64_t t1_ns, unsigned width,
                             const struct timeline_cap *cap);

#endif
