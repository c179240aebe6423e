/* kit.c — what every demo shares: timeline recording in shared memory, the
 * emulated GIL, timings, fib.
 *
 * The recorder is one MAP_SHARED|MAP_ANONYMOUS mapping made before the demo
 * runs, so a span recorded in a forked child lands where the parent reads it.
 * Slots are claimed with one atomic fetch-add (relaxed: the parent reads them
 * only after joining the threads / reaping the children, which orders the
 * writes). Each row keeps a pending span in the mapping that only the row's
 * writer touches; runs of one mark are merged there so a loop recording
 * every iteration costs a slot per stretch, not per iteration.
 */
#include "demo.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "imgpool/trace.h"

#define DEMO_MERGE_NS 20000
#define DEMO_REC_CAP (1u << 17)

struct demo_rec_row {
    char label[48];
    int pid, tid;            /* for the Chrome trace; 0: unnamed */
    int has_pend;
    struct timeline_span pend;   /* not yet pushed: may still grow */
};

struct demo_rec {
    unsigned rows;
    struct demo_rec_row row[DEMO_MAX_ROWS];
    atomic_size_t used;      /* slots claimed; beyond cap they are dropped */
    size_t cap;
    struct timeline_span span[];
};

static size_t demo_rec_size(void)
{
    return sizeof(struct demo_rec) + DEMO_REC_CAP * sizeof(struct timeline_span);
}

struct demo_rec *demo_rec_create(void)
{
    struct demo_rec *rec = mmap(NULL, demo_rec_size(), PROT_READ | PROT_WRITE,
                                MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (rec == MAP_FAILED)
        return NULL;
    atomic_init(&rec->used, 0);   /* the rest is zero, as mmap gives it */
    rec->cap = DEMO_REC_CAP;
    return rec;
}

void demo_rec_destroy(struct demo_rec *rec)
{
    if (rec)
        munmap(rec, demo_rec_size());
}

int demo_tid(void)
{
    return (int)gettid();
}

const char *demo_tr(const struct demo_ctx *ctx, const char *en, const char *de)
{
    return ctx->de ? de : en;
}

void demo_rows(struct demo_ctx *ctx, unsigned rows)
{
    if (ctx->rec)
        ctx->rec->rows = rows < DEMO_MAX_ROWS ? rows : DEMO_MAX_ROWS;
}

void demo_row(struct demo_ctx *ctx, unsigned row, int pid, int tid, const char *label)
{
    if (!ctx->rec || row >= ctx->rec->rows)
        return;
    struct demo_rec_row *r = &ctx->rec->row[row];
    r->pid = pid;
    r->tid = tid;
    snprintf(r->label, sizeof r->label, "%s", label);
}

static void demo_rec_push(struct demo_rec *rec, const struct timeline_span *sp)
{
    size_t i = atomic_fetch_add_explicit(&rec->used, 1, memory_order_relaxed);
    if (i < rec->cap)
        rec->span[i] = *sp;
}

void demo_span(struct demo_ctx *ctx, unsigned row, char mark, int64_t start_ns,
               int64_t end_ns)
{
    struct demo_rec *rec = ctx->rec;
    if (!rec || row >= rec->rows)
        return;
    struct demo_rec_row *r = &rec->row[row];
    if (r->has_pend && r->pend.mark == mark && start_ns - r->pend.end_ns <= DEMO_MERGE_NS &&
        start_ns >= r->pend.start_ns) {
        if (end_ns > r->pend.end_ns)
            r->pend.end_ns = end_ns;
        return;
    }
    if (r->has_pend)
        demo_rec_push(rec, &r->pend);
    r->pend = (struct timeline_span){ row, start_ns, end_ns, mark };
    r->has_pend = 1;
}

static void demo_rec_flush(struct demo_rec *rec)
{
    for (unsigned i = 0; i < rec->rows; i++) {
        if (rec->row[i].has_pend)
            demo_rec_push(rec, &rec->row[i].pend);
        rec->row[i].has_pend = 0;
    }
}

/* Meanings of the marks, for the legend and the trace's event names. */
static const struct {
    char mark;
    const char *en, *de;
} demo_marks[] = {
    { DEMO_RAN, "ran", "lief" },
    { DEMO_HELD_LOCK, "held the lock", "hielt das Lock" },
    { DEMO_WAIT_LOCK, "waited for the lock", "wartete auf das Lock" },
    { DEMO_HELD_GIL, "held the GIL (ran)", "hielt den GIL (lief)" },
    { DEMO_WAIT_GIL, "waited for the GIL", "wartete auf den GIL" },
    { DEMO_BLOCKED, "blocked (join, read, wait)", "blockiert (join, read, wait)" },
};
#define DEMO_NMARKS (sizeof demo_marks / sizeof demo_marks[0])

static const char *demo_mark_name(char mark)
{
    for (size_t i = 0; i < DEMO_NMARKS; i++)
        if (demo_marks[i].mark == mark)
            return demo_marks[i].en;
    return "span";
}

static int demo_rec_timeline(const struct demo_ctx *ctx, const struct demo_rec *rec,
                             size_t n, unsigned width)
{
    int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (rec->span[i].start_ns < t0)
            t0 = rec->span[i].start_ns;
        if (rec->span[i].end_ns > t1)
            t1 = rec->span[i].end_ns;
    }
    const char *labels[DEMO_MAX_ROWS];
    for (unsigned r = 0; r < rec->rows; r++)
        labels[r] = rec->row[r].label;
    struct timeline_legend legend[DEMO_NMARKS];
    for (size_t i = 0; i < DEMO_NMARKS; i++)
        legend[i] = (struct timeline_legend){ demo_marks[i].mark,
                                              demo_tr(ctx, demo_marks[i].en, demo_marks[i].de) };
    char *s = timeline_render(labels, rec->rows, rec->span, n, legend, DEMO_NMARKS,
                              n ? t0 : 0, n ? t1 : 1, width);
    if (!s) {
        fprintf(stderr, "imgpool demo: out of memory drawing the timeline\n");
        return -1;
    }
    printf("\n%s\n%s", demo_tr(ctx, "Timeline:", "Zeitleiste:"), s);
    free(s);
    return 0;
}

/* Fills and closes t (made before the run, so a bad path failed early). */
static int demo_rec_trace(const struct demo_ctx *ctx, const struct demo_rec *rec,
                          size_t n, struct trace *t, const char *path)
{
    char err[512];
    char name[96];
    snprintf(name, sizeof name, "imgpool demo %s", ctx->demo->name);
    trace_process_name(t, getpid(), name);
    for (unsigned r = 0; r < rec->rows; r++) {
        const struct demo_rec_row *row = &rec->row[r];
        int pid = row->pid ? row->pid : getpid();
        if (pid != getpid())
            trace_process_name(t, pid, row->label);
        trace_thread_name(t, pid, row->pid ? row->tid : (int)r + 1, row->label);
    }
    for (size_t i = 0; i < n; i++) {
        const struct demo_rec_row *row = &rec->row[rec->span[i].row];
        trace_span(t, demo_mark_name(rec->span[i].mark), ctx->demo->name,
                   row->pid ? row->pid : getpid(),
                   row->pid ? row->tid : (int)rec->span[i].row + 1,
                   rec->span[i].start_ns, rec->span[i].end_ns);
    }
    if (trace_close(t, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool demo: %s\n", err);
        return -1;
    }
    printf("%s %s (ui.perfetto.dev, chrome://tracing)\n",
           demo_tr(ctx, "trace written to", "Trace geschrieben nach"), path);
    return 0;
}

int demo_rec_finish(const struct demo_ctx *ctx, int timeline, struct trace *trace,
                    const char *trace_path, unsigned width)
{
    struct demo_rec *rec = ctx->rec;
    demo_rec_flush(rec);
    size_t used = atomic_load(&rec->used);
    size_t n = used < rec->cap ? used : rec->cap;
    if (used > n)
        fprintf(stderr, "imgpool demo: timeline full, %zu spans dropped\n", used - n);
    for (unsigned r = 0; r < rec->rows; r++)
        if (!rec->row[r].label[0])
            snprintf(rec->row[r].label, sizeof rec->row[r].label, "%u", r);
    int rc = 0;
    if (timeline && demo_rec_timeline(ctx, rec, n, width) != 0)
        rc = -1;
    if (trace && demo_rec_trace(ctx, rec, n, trace, trace_path) != 0)
        rc = -1;
    return rc;
}

void demo_ran(struct demo_ctx *ctx, unsigned row, int64_t start_ns, int64_t end_ns)
{
    if (!ctx->gil)
        demo_span(ctx, row, DEMO_RAN, start_ns, end_ns);
}

/* ---- GIL ---- */

void demo_gil_init(struct demo_gil *g)
{
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    g->holder = g->dropped_by = -1;
    atomic_init(&g->waiting, 0);
    atomic_init(&g->switches, 0);
    g->since = 0;
}

void demo_gil_destroy(struct demo_gil *g)
{
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
}

/* Waits for the GIL with g->mu held; a row that just dropped it waits until
 * another took it, so a hand-over really hands over. */
static void demo_gil_take(struct demo_ctx *ctx, struct demo_gil *g, unsigned row)
{
    int64_t t = clock_now_ns();
    atomic_fetch_add(&g->waiting, 1);
    while (g->holder != -1 || g->dropped_by == (int)row)
        pthread_cond_wait(&g->cv, &g->mu);
    atomic_fetch_sub(&g->waiting, 1);
    g->holder = (int)row;
    g->dropped_by = -1;
    g->since = clock_now_ns();
    demo_span(ctx, row, DEMO_WAIT_GIL, t, g->since);
}

void demo_gil_acquire(struct demo_ctx *ctx, struct demo_gil *g, unsigned row)
{
    if (!ctx->gil)
        return;
    pthread_mutex_lock(&g->mu);
    demo_gil_take(ctx, g, row);
    pthread_mutex_unlock(&g->mu);
}

void demo_gil_release(struct demo_ctx *ctx, struct demo_gil *g, unsigned row)
{
    if (!ctx->gil)
        return;
    pthread_mutex_lock(&g->mu);
    demo_span(ctx, row, DEMO_HELD_GIL, g->since, clock_now_ns());
    g->holder = -1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

int demo_gil_tick(struct demo_ctx *ctx, struct demo_gil *g, unsigned row)
{
    /* only the holder writes since; waiting is atomic: no lock on the fast path */
    if (!ctx->gil || clock_now_ns() - g->since < DEMO_GIL_SWITCH_NS ||
        atomic_load(&g->waiting) == 0)
        return 0;
    pthread_mutex_lock(&g->mu);
    demo_span(ctx, row, DEMO_HELD_GIL, g->since, clock_now_ns());
    g->holder = -1;
    g->dropped_by = (int)row;
    atomic_fetch_add(&g->switches, 1);
    pthread_cond_broadcast(&g->cv);
    demo_gil_take(ctx, g, row);
    pthread_mutex_unlock(&g->mu);
    return 1;
}

/* ---- timings ---- */

static int64_t demo_cpu_ns(void)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    int64_t us = (int64_t)(self.ru_utime.tv_sec + self.ru_stime.tv_sec +
                           kids.ru_utime.tv_sec + kids.ru_stime.tv_sec) * 1000000 +
                 self.ru_utime.tv_usec + self.ru_stime.tv_usec +
                 kids.ru_utime.tv_usec + kids.ru_stime.tv_usec;
    return us * 1000;
}

void demo_clock_start(struct demo_clock *c)
{
    c->wall_ns = clock_now_ns();
    c->cpu_ns = demo_cpu_ns();
}

void demo_clock_stop(const struct demo_clock *c, int64_t *wall_ns, int64_t *cpu_ns)
{
    *wall_ns = clock_now_ns() - c->wall_ns;
    *cpu_ns = demo_cpu_ns() - c->cpu_ns;
}

void demo_clock_print(const struct demo_ctx *ctx, const struct demo_clock *c,
                      const char *label)
{
    int64_t wall, cpu;
    demo_clock_stop(c, &wall, &cpu);
    printf("%s: %s %.3f s, %s %.3f s, %s %.2fx (%s, %ld %s)\n", label,
           demo_tr(ctx, "wall", "Laufzeit"), wall / 1e9,
           demo_tr(ctx, "CPU", "CPU-Zeit"), cpu / 1e9,
           "speed-up", wall > 0 ? (double)cpu / (double)wall : 0.0,
           "CPU/wall", sysconf(_SC_NPROCESSORS_ONLN), demo_tr(ctx, "cores", "Kerne"));
}

void demo_start_init(struct demo_start *s)
{
    atomic_init(&s->arrived, 0);
}

int demo_start_wait(struct demo_start *s, unsigned n)
{
    int64_t give_up = clock_now_ns() + 10 * (int64_t)1000000000;
    atomic_fetch_add(&s->arrived, 1);
    while (atomic_load(&s->arrived) < n) {
        if (clock_now_ns() > give_up)
            return -1;
        sched_yield();   /* let the runners still on their way reach the line */
    }
    return 0;
}

unsigned long long demo_fib(unsigned n)
{
    return n < 2 ? n : demo_fib(n - 1) + demo_fib(n - 2);
}

pid_t demo_fork(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        fprintf(stderr, "imgpool demo: cannot fork: %s\n", strerror(errno));
    return pid;
}

_Noreturn void demo_child_exit(int status)
{
    fflush(NULL);
    _exit(status);
}

int demo_reap(pid_t pid)
{
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (r < 0) {
        fprintf(stderr, "imgpool demo: waitpid %d: %s\n", (int)pid, strerror(errno));
        return -1;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFSIGNALED(st))
        fprintf(stderr, "imgpool demo: process %d killed by signal %d\n", (int)pid, WTERMSIG(st));
    else
        fprintf(stderr, "imgpool demo: process %d exited with %d\n", (int)pid, WEXITSTATUS(st));
    return -1;
}

int demo_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
    int rc = pthread_create(t, NULL, fn, arg);
    if (rc != 0)
        fprintf(stderr, "imgpool demo: cannot start a thread: %s\n", strerror(rc));
    return rc ? -1 : 0;
}
