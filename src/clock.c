/* clock.c — thin wrappers over clock_gettime (see clock.h). */
#include "imgpool/clock.h"

#include <time.h>

static int64_t clock_read(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t clock_now_ns(void) { return clock_read(CLOCK_MONOTONIC); }
int64_t clock_cpu_ns(void) { return clock_read(CLOCK_PROCESS_CPUTIME_ID); }
int64_t clock_thread_cpu_ns(void) { return clock_read(CLOCK_THREAD_CPUTIME_ID); }
