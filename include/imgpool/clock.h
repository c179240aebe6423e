/* clock.h — the time every module measures with.
 *
 *   int64_t t0 = clock_now_ns(), c0 = clock_cpu_ns();
 *   ...work...
 *   wall = clock_now_ns() - t0; cpu = clock_cpu_ns() - c0;
 *
 * One clock for records, traces, timelines and demos, so their timestamps
 * compare: CLOCK_MONOTONIC is shared by every process and thread of the
 * machine, so a worker's timestamp and the parent's lie on one axis.
 * Async-signal-safe, any process or thread.
 */
#ifndef IMGPOOL_CLOCK_H
#define IMGPOOL_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t clock_now_ns(void);
/* CPU time of the calling process (all its threads) in nanoseconds. */
int64_t clock_cpu_ns(void);
/* CPU time of the calling thread in nanoseconds. */
int64_t clock_thread_cpu_ns(void);

#endif
