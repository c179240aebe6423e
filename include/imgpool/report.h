/* report.h — the --report JSON file: one record per input file, then totals.
 *
 * Schema "imgpool-report/1" (documented in the README):
 *   {"schema": "imgpool-report/1",
 *    "files": [{"path", "output", "status": "ok|failed|skipped|crashed",
 *               "reason" (enum job_reason's name, or "crashed"),
 *               "error" (string or null), "bytes_in", "bytes_out",
 *               "width", "height", "out_width", "out_height",
 *               "ms", "worker_pid", "worker",
 *               "path_bytes", "output_bytes" (only for names that are not
 *               UTF-8: the exact bytes in hex; the string fields then carry
 *               U+FFFD for each byte that is not UTF-8)}, ...],
 *    "summary": {"files", "ok", "failed", "skipped", "crashed",
 *                "wall_ms", "cpu_ms", "procs", "interrupted"}}
 * Records are streamed as they arrive (memory stays flat); the file is
 * written through outfile_open_target: a regular file appears under its name
 * only when complete, a FIFO or device is written in place. Parent only.
 */
#ifndef IMGPOOL_REPORT_H
#define IMGPOOL_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct report_file {
    const char *path, *output;   /* output may be NULL */
    const char *status;          /* "ok", "failed", "skipped", "crashed" */
    const char *reason;          /* a short keyword, e.g. "cannot-decode" */
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

/* Opens the report at path (see outfile_open_target: an unusable path fails
 * here, before any work). 0 and *out, or -1 with a message. */
int report_create(const char *path, struct report **out, char *err, size_t errlen);
/* 0, or -1 if the record could not be written (the error is kept for close). */
int report_add(struct report *r, const struct report_file *f);
/* Writes the summary and puts the file in place; frees r. 0 or -1. */
int report_close(struct report *r, const struct report_summary *s, char *err, size_t errlen);
/* Discards the report (nothing appears under a regular file's name) and
 * frees r. NULL: no-op. */
void report_abort(struct report *r);

#endif
