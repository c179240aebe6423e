/* tool_pool — drives the pool with injected faults, for integration tests
 * (like git's test-tool). Each task i does what its spec says:
 *
 *   tool_pool [-j PROCS] [-n TASKS] [-t TIMEOUT_MS] [-m MAX_MEMORY_MB]
 *             [crash=I,...] [hang=I,...] [alloc=I,...] [fail=I,...] [sleep=MS]
 *
 * crash: SIGSEGV; hang: loop forever; alloc: allocate and touch 8 GiB;
 * fail: return POOL_FAILED; others: sleep MS and succeed.
 * Prints one line per task in task order: "TASK STATUS MESSAGE", then
 * "total N ok N failed N crashed N". Exit 0 if the pool ran to the end. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imgpool/pool.h"
#include "imgpool/stop.h"

struct tool_spec {
    const char *crash, *hang, *alloc, *fail;
    unsigned sleep_ms;
};

static int tool_listed(const char *list, uint64_t i)
{
    if (!list)
        return 0;
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)i);
    for (const char *p = list; *p;) {
        size_t n = strcspn(p, ",");
        if (n == strlen(buf) && strncmp(p, buf, n) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

static int tool_task(void *ctx, uint64_t i, const void *arg, size_t len, struct pool_record *rec)
{
    const struct tool_spec *s = ctx;
    (void)arg; (void)len;
    if (tool_listed(s->crash, i))
        raise(SIGSEGV);
    if (tool_listed(s->hang, i))
        for (volatile int spin = 1; spin;)
            ;
    if (tool_listed(s->alloc, i)) {
        size_t big = (size_t)8 << 30;
        char *p = malloc(big);
        if (!p) {
            snprintf(rec->msg, sizeof rec->msg, "out of memory (as intended)");
            return POOL_FAILED;
        }
        for (size_t k = 0; k < big; k += 4096)
            p[k] = 1;
        free(p);
    }
    if (tool_listed(s->fail, i)) {
        snprintf(rec->msg, sizeof rec->msg, "failed on purpose");
        return POOL_FAILED;
    }
    usleep(s->sleep_ms * 1000);
    return POOL_OK;
}

int main(int argc, char **argv)
{
    struct tool_spec spec = {0};
    struct pool_options o = {0};
    uint64_t n = 20;
    int c;
    while ((c = getopt(argc, argv, "j:n:t:m:")) != -1) {
        switch (c) {
        case 'j': o.procs = (unsigned)atoi(optarg); break;
        case 'n': n = strtoull(optarg, NULL, 10); break;
        case 't': o.task_timeout_ms = (unsigned)atoi(optarg); break;
        case 'm': o.max_memory = strtoull(optarg, NULL, 10) << 20; break;
        default: return 2;
        }
    }
    for (int i = optind; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq)
            return 2;
        *eq = '\0';
        const char *v = eq + 1;
        if (!strcmp(argv[i], "crash")) spec.crash = v;
        else if (!strcmp(argv[i], "hang")) spec.hang = v;
        else if (!strcmp(argv[i], "alloc")) spec.alloc = v;
        else if (!strcmp(argv[i], "fail")) spec.fail = v;
        else if (!strcmp(argv[i], "sleep")) spec.sleep_ms = (unsigned)atoi(v);
        else return 2;
    }
    o.task = tool_task;
    o.ctx = &spec;
    struct pool_record *out = calloc(n ? n : 1, sizeof *out);
    if (!out)
        return 1;
    stop_catch_signals();
    int rc = pool_map(&o, n, out);
    if (rc < 0) {
        perror("tool_pool");
        return 1;
    }
    static const char *const names[] = { "ok", "failed", "skipped", "crashed" };
    uint64_t count[4] = {0};
    for (uint64_t i = 0; i < n && rc == POOL_DONE; i++) {
        count[out[i].status]++;
        printf("%llu %s %s\n", (unsigned long long)i, names[out[i].status], out[i].msg);
    }
    printf("total %llu ok %llu failed %llu crashed %llu\n", (unsigned long long)n,
           (unsigned long long)count[0], (unsigned long long)count[1],
           (unsigned long long)count[3]);
    free(out);
    return rc == POOL_DONE ? 0 : 130;
}
