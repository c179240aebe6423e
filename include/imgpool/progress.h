/* progress.h — the one-line progress bar and the numbers of the summary.
 * Pure formatting: the CLI decides when and where to print. */
#ifndef IMGPOOL_PROGRESS_H
#define IMGPOOL_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

/* The bar's words: after the rate, before the time left, after the count of
 * failures. ASCII, so that a byte is a column. */
struct progress_words {
    const char *rate, *eta, *failed;
};
extern const struct progress_words progress_words_en;   /* "img/s", "ETA", "failed" */

struct progress_view {
    uint64_t done;        /* finished, any status */
    uint64_t total;
    uint64_t failed;      /* failed + crashed */
    int64_t elapsed_ns;
    unsigned busy, procs; /* workers holding a task / all */
    const struct progress_words *words;   /* NULL: progress_words_en */
};

/* Writes e.g. "[########------------]  40/100  40%  12.5 img/s  ETA 0:05  2 failed"
 * into buf, at most `width` columns (the bar shrinks first). Returns buf. */
char *progress_line(const struct progress_view *v, unsigned width, char *buf, size_t len);

/* "1:05", "0:07", "2:03:09" for a duration in seconds (negative: "-:--"). */
char *progress_clock(double seconds, char *buf, size_t len);

#endif
