/* bench_pool_overhead — what the pool itself costs, per task and in parent memory.
 *
 *   bench_pool_overhead [-j PROCS] [-n TASKS]      (defaults 2 and 10000)
 *
 * Runs TASKS no-op tasks through pool_create/publish/close/wait and prints one
 * line:  tasks N procs P wall_s W us_per_task U parent_maxrss_kb R workers_maxrss_kb C
 *
 * Design note: /usr/bin/time cannot tell the parent from its workers (wait4
 * folds reaped children's peak into the child's), and tests/tool_pool keeps
 * every record (pool_map, about 2.4 KB a task), so neither shows whether the
 * pool's own parent memory stays flat as tasks grow. Here on_result only
 * counts, and getrusage splits RUSAGE_SELF (the parent) from
 * RUSAGE_CHILDREN (the largest reaped worker).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include "imgpool/pool.h"
#include "imgpool/clock.h"

static int overhead_task(void *ctx, uint64_t task, const void *arg, size_t len,
                         struct pool_record *rec)
{
    (void)ctx; (void)task; (void)arg; (void)len; (void)rec;
    return POOL_OK;
}

static void overhead_result(void *ctx, const struct pool_record *rec)
{
    uint64_t *ok = ctx;
    *ok += rec->status == POOL_OK;
}

int main(int argc, char **argv)
{
    struct pool_options o = {0};
    uint64_t n = 10000, ok = 0;
    int c;
    o.procs = 2;
    while ((c = getopt(argc, argv, "j:n:")) != -1) {
        switch (c) {
        case 'j': o.procs = (unsigned)atoi(optarg); break;
        case 'n': n = strtoull(optarg, NULL, 10); break;
        default:
            fprintf(stderr, "usage: bench_pool_overhead [-j PROCS] [-n TASKS]\n");
            return 2;
        }
    }
    o.task = overhead_task;
    o.on_result = overhead_result;
    o.ctx = &ok;

    int64_t t0 = clock_now_ns();
    struct pool *p;
    if (pool_create(&o, n, &p) != 0) {
        perror("bench_pool_overhead: pool_create");
        return 1;
    }
    for (uint64_t i = 0; i < n; i++)
        pool_publish(p, i, NULL, 0);
    pool_close(p);
    int rc = pool_wait(p);
    unsigned procs = pool_procs(p);
    pool_destroy(p);
    double wall = (double)(clock_now_ns() - t0) / 1e9;

    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    printf("tasks %llu procs %u wall_s %.3f us_per_task %.1f parent_maxrss_kb %ld "
           "workers_maxrss_kb %ld\n", (unsigned long long)n, procs, wall,
           n ? wall * 1e6 / (double)n : 0.0, self.ru_maxrss, kids.ru_maxrss);
    if (rc != POOL_DONE || ok != n) {
        fprintf(stderr, "bench_pool_overhead: %llu of %llu tasks ok\n",
                (unsigned long long)ok, (unsigned long long)n);
        return 1;
    }
    return 0;
}
