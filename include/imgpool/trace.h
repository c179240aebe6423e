/* trace.h — Chrome trace-event JSON, the format Perfetto (ui.perfetto.dev) and
 * chrome://tracing open.
 *
 * A trace buffers events in memory and writes them all at trace_close(), to an
 * unnamed temporary file beside `path` that is then put in place, so a reader
 * never sees half a file and a SIGKILL leaves nothing (a FIFO or device
 * `path` is written in place: see outfile_open_target). Times go in as CLOCK_MONOTONIC nanoseconds
 * (what
 * clock_now_ns() returns); the file shows them in microseconds relative to the
 * earliest of trace creation and the first span.
 *
 *   struct trace *t;
 *   if (trace_create("run.json", &t, err, sizeof err) != 0) ...;
 *   trace_process_name(t, getpid(), "imgpool");
 *   trace_thread_name(t, getpid(), 1, "thread a");
 *   trace_span(t, "ran", "demo", getpid(), 1, start_ns, end_ns);
 *   if (trace_close(t, err, sizeof err) != 0) ...;
 *
 * Threads: every function may be called from any thread of the process that
 * created the trace (a mutex guards the buffer). Not across fork(): a child's
 * copy is not written anywhere. Comfortable up to ~100k events.
 */
#ifndef IMGPOOL_TRACE_H
#define IMGPOOL_TRACE_H

#include <stddef.h>
#include <stdint.h>

struct trace;

/* Starts a trace that trace_close() writes to `path`. The output is opened
 * now, so an unwritable path fails here, before any work. Returns 0
 * and *out (owned by the caller, freed by trace_close), or -1 with a message
 * in err. */
int trace_create(const char *path, struct trace **out, char *err, size_t errlen);

/* Adds a complete event ("ph":"X") named `name` in category `cat` on the row
 * (pid, tid), from start_ns to end_ns (CLOCK_MONOTONIC ns; end before start
 * is shown as zero length). name and cat are copied. Out of memory drops the
 * event and makes trace_close() fail. NULL t: no-op. */
void trace_span(struct trace *t, const char *name, const char *cat, int pid,
                int tid, int64_t start_ns, int64_t end_ns);

/* Metadata events: the name the viewer shows for process `pid` / for thread
 * row (pid, tid). name is copied. NULL t: no-op. */
void trace_process_name(struct trace *t, int pid, const char *name);
void trace_thread_name(struct trace *t, int pid, int tid, const char *name);

/* Writes {"traceEvents":[...],"displayTimeUnit":"ms"} to the temporary file,
 * checks every write and fclose, puts it in place as `path`, and frees t (also
 * on error, when nothing appears under `path`). Returns 0, or -1 with a message
 * in err. NULL t: no-op returning 0. */
int trace_close(struct trace *t, char *err, size_t errlen);

/* Discards the trace: nothing appears under a regular file's name; frees t.
 * NULL: no-op. */
void trace_abort(struct trace *t);

#endif
