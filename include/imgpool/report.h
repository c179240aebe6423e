/* report.h — the --report JSON file: one record per input file, then totals.
 *
 * Schema "imgpool-report/1" (documented in the README):
 *   {"schema": "imgpool-report/1",
 *    "files": [{"path", "output", "status": "ok|failed|skipped|crashed",
 *               "error" (string or null), "bytes_in", "bytes_out",
 *               "width", "height", "out_width", "out_height",
 *               "ms", "worker_pid", "worker"}, ...],
 *    "summary": {"files", "ok", "failed", "skipped", "crashed",
 *                "wall_ms", "cpu_ms", "procs", "interrupted"}}
 * Records are streamed as they arrive (memory stays flat); the file appears
 * under its name only when complete (written through outfile). Parent only.
 */
#ifndef IMGPOOL_REPORT_H
#define IMGPOOL_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct report_file {
    const char *path, *output;   /* output may be NULL */
    const char *status;          /* "ok", "failed", "skipped", "crashed" */
    const char *error;           /* NULL if none */
    uint64_t bytes_in, bytes_out;
    unsigned width, height, out_width, out_height;
    double ms;
    int worker_pid;
    unsigned worker;
};

struct report_summary {
    uint64_t files, ok, failed, skipped, crashed;
    double wall_ms, cpu_ms;
    unsigned procs;
    int interrupted;
};

struct report;

int report_create(const char *path, struct report **out, char *err, size_t errlen);
/* 0, or -1 if the record could not be written (the error is kept for close). */
int report_add(struct report *r, const struct report_file *f);
/* Writes the summary and puts the file in place; frees r. 0 or -1. */
int report_close(struct report *r, const struct report_summary *s, char *err, size_t errlen);

#endif
