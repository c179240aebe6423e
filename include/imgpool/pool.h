/* pool.h — a fork-based process pool, like Python's multiprocessing.Pool.
 *
 * A pool forks N worker processes once and hands them tasks, numbered
 * 0..capacity-1. Tasks are claimed through shared memory, one per claim, in
 * the order the parent published them; each finished task comes back to the
 * parent as one fixed-size record through one pipe. A worker that dies (a
 * decoder's SIGSEGV, the OOM killer's SIGKILL) costs only the task it held:
 * the parent reports that task as crashed and forks a replacement.
 *
 *   parent                         shared memory               workers
 *   pool_publish(t) ─► order[k]=t, published++ ─► claim k (CAS on next)
 *                                  counters  ◄─── atomic adds after each task
 *   pool_wait(): poll(pipe) ◄──────── one write() of a pool_record per task
 *
 * Typical use (what pool_map does):
 *
 *   struct pool_options o = {0};
 *   o.task = my_task; o.on_result = my_result; o.ctx = &my_ctx;
 *   struct pool *p;
 *   if (pool_create(&o, n, &p) != 0) ...;
 *   for (size_t i = 0; i < n; i++) pool_publish(p, i, NULL, 0);
 *   pool_close(p);
 *   int rc = pool_wait(p);          // POOL_DONE or POOL_INTERRUPTED
 *   pool_destroy(p);
 *
 * Threads: pool_publish and pool_close may be called from any thread of the
 * parent (a download thread feeding the pool, say); everything else from the
 * thread that created the pool. Worker callbacks run in the forked children,
 * which inherit a copy of everything the parent had at pool_create().
 */
#ifndef IMGPOOL_POOL_H
#define IMGPOOL_POOL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* How a task ended. */
enum pool_status {
    POOL_OK = 0,      /* the task did its job */
    POOL_FAILED,      /* the task reported an error (message in rec->msg) */
    POOL_SKIPPED,     /* nothing to do (up to date, not an image, ...) */
    POOL_CRASHED,     /* the worker died while it held the task (set by the parent) */
};

/* Why a task was reported POOL_CRASHED, typed beside the record's English
 * msg, for a caller that words it itself. */
enum pool_death {
    POOL_DEATH_NONE = 0,     /* not crashed */
    POOL_DEATH_SIGNAL,       /* the worker was killed by signal death_code */
    POOL_DEATH_EXIT,         /* the worker exited with status death_code */
    POOL_DEATH_TIMEOUT,      /* the worker was killed after death_code ms on the task */
    POOL_DEATH_NO_WORKER,    /* no worker was left alive to run it */
    POOL_DEATH_CLAIMING,     /* its worker died between claiming it and saying so */
};

#define POOL_MSG_MAX 256
#define POOL_DATA_MAX 2048

/* One task's result: fixed size, zero-initialised by the pool before the task
 * runs, sent with a single write() so records from many workers never tear.
 * The task fills status-dependent fields; the pool fills the rest. */
struct pool_record {
    uint64_t task;           /* pool: task number */
    int32_t status;          /* task (its return value): enum pool_status */
    int32_t pid;             /* pool: worker pid */
    uint32_t worker;         /* pool: worker slot, 0..procs-1 */
    uint32_t data_len;       /* task: bytes used in data[] (optional) */
    int64_t start_ns;        /* pool: CLOCK_MONOTONIC when the task started */
    int64_t end_ns;          /* pool: ... and ended */
    int64_t cpu_ns;          /* pool: worker CPU time the task took */
    uint64_t bytes_in;       /* task: optional, summed into pool_stats */
    uint64_t bytes_out;      /* task: optional, summed into pool_stats */
    int32_t death;           /* pool, POOL_CRASHED: enum pool_death */
    int32_t death_code;      /* pool: the signal, the exit status or the timeout in ms */
    char msg[POOL_MSG_MAX];  /* task: error or note, NUL-terminated */
    unsigned char data[POOL_DATA_MAX]; /* task: client-defined payload */
};
_Static_assert(sizeof(struct pool_record) <= PIPE_BUF,
               "a record must fit one atomic pipe write");

/* A snapshot of the shared counters, for progress displays. */
struct pool_stats {
    uint64_t published;   /* tasks made claimable so far */
    uint64_t claimed;     /* tasks taken by a worker */
    uint64_t ok, failed, skipped, crashed;   /* finished, by status */
    uint64_t bytes_in, bytes_out;
    unsigned procs;       /* worker slots */
    unsigned busy;        /* workers holding a task right now */
    unsigned respawns;    /* workers forked to replace dead ones */
};

/* Per-worker state, for progress displays and blame. */
struct pool_worker_info {
    int pid;              /* 0 if the slot is empty */
    int64_t task;         /* task held, -1 when idle */
    uint64_t count;       /* tasks finished by this slot */
};

struct pool;

/* Options. Zero means default for every field. */
struct pool_options {
    unsigned procs;        /* workers; 0: online CPUs */
    size_t max_memory;     /* per-worker address-space ceiling (RLIMIT_AS)
                              in bytes; 0: none. Ignored under ASan, which
                              reserves terabytes of address space. */
    size_t arg_max;        /* bytes of argument per task (pool_publish);
                              0: tasks carry no argument */
    unsigned tick_ms;      /* on_tick interval; 0: 100 ms */
    unsigned task_timeout_ms; /* a task running longer gets its worker
                              SIGKILLed and is reported crashed ("timed
                              out"); 0: no limit */
    unsigned grace_ms;     /* on interrupt, how long workers may finish their
                              task after SIGTERM before SIGKILL; 0: 2000 ms */

    /* Worker: called once in each worker after fork, before any task; a
     * non-zero return makes the worker exit (a slot whose workers keep dying
     * at start-up is not respawned). Optional. */
    int (*worker_init)(void *ctx, unsigned worker);
    /* Worker: run one task. arg is what pool_publish copied (NULL if arg_max
     * is 0). Fill rec->msg, data, bytes_*; return an enum pool_status. Never
     * print or exit here. Required. */
    int (*task)(void *ctx, uint64_t task, const void *arg, size_t arg_len,
                struct pool_record *rec);
    /* Parent: one call per finished task, crashed ones included, in the
     * order the records arrive. Optional. */
    void (*on_result)(void *ctx, const struct pool_record *rec);
    /* Parent: every tick_ms while waiting, for progress. Optional. */
    void (*on_tick)(void *ctx, struct pool *p);
    void *ctx;
};

/* What pool_wait returns. */
enum pool_end { POOL_DONE = 0, POOL_INTERRUPTED = 1 };

/* The workers a pool forks when opt.procs is 0: the online CPUs (at least 1).
 * Any process or thread. */
unsigned pool_default_procs(void);

/* Maps the shared state for `capacity` tasks and forks the workers.
 * Returns 0 and *out, or -1 with errno set (EINVAL for bad options). The
 * caller owns *out and frees it with pool_destroy(). */
int pool_create(const struct pool_options *opt, uint64_t capacity,
                struct pool **out);

/* Makes `task` (< capacity, each at most once) claimable, after all tasks
 * published before it. arg (arg_len <= arg_max bytes) is copied into shared
 * memory. Any parent thread. Returns 0, or -1 with errno EINVAL (bad task,
 * published twice, too long an arg) or EPIPE (after pool_close). */
int pool_publish(struct pool *p, uint64_t task, const void *arg,
                 size_t arg_len);

/* No more tasks will be published: pool_wait returns once the published
 * ones are finished. Any parent thread. */
void pool_close(struct pool *p);

/* The parent's one waiting place: polls the record pipe, calls on_result per
 * record, reaps and replaces dead workers, calls on_tick, and watches the
 * stop flag (stop.h: stop_request, or SIGINT/SIGTERM once stop_catch_signals ran).
 * Returns POOL_DONE when the pool was closed and every published task has a
 * record; POOL_INTERRUPTED after a stop request (workers get SIGTERM, then
 * SIGKILL after grace_ms; unfinished tasks get no record). Then the workers
 * are gone. Every wait inside is bounded. */
int pool_wait(struct pool *p);

/* Ends the workers (if still running) and frees everything. NULL: no-op. */
void pool_destroy(struct pool *p);

/* Copies the shared counters. Parent only. */
void pool_stats(const struct pool *p, struct pool_stats *out);
/* Copies slot `worker`'s state (worker < procs). Parent only. */
void pool_worker(const struct pool *p, unsigned worker,
                 struct pool_worker_info *out);
unsigned pool_procs(const struct pool *p);

/* Convenience: runs task over 0..n-1 with a fresh pool and stores each
 * record at out[task] (n records, caller-owned), so results keep input
 * order like Python's Pool.map. Returns POOL_DONE, POOL_INTERRUPTED or -1
 * (errno set) if the pool could not start. */
int pool_map(const struct pool_options *opt, uint64_t n,
             struct pool_record *out);

#endif
