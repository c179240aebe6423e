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
#include <limits.h>
#include <stdarg.h>
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
    struct demo_sampler *sampler;   /* the parent's; NULL: not sampling */
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
    rec->sampler = demo_sample_start();
    return rec;
}

void demo_rec_destroy(struct demo_rec *rec)
{
    if (rec) {
        if (rec->sampler) {
            size_t n;
            demo_sample_stop(rec->sampler, &n);
            demo_sample_destroy(rec->sampler);
        }
        munmap(rec, demo_rec_size());
    }
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
    { DEMO_RAN, "on a CPU", "auf einer CPU" },
    { DEMO_READY, "ready, waiting for a CPU", "bereit, wartet auf eine CPU" },
    { DEMO_BLOCKED, "asleep or blocked", "schläft oder blockiert" },
    { DEMO_HELD_LOCK, "on a CPU, holding the lock", "auf einer CPU, hält das Lock" },
    { DEMO_WAIT_LOCK, "waiting for the lock", "wartet auf das Lock" },
    { DEMO_HELD_GIL, "on a CPU, holding the GIL", "auf einer CPU, hält den GIL" },
    { DEMO_WAIT_GIL, "waiting for the GIL", "wartet auf den GIL" },
};
#define DEMO_NMARKS (sizeof demo_marks / sizeof demo_marks[0])

static const char *demo_mark_name(char mark)
{
    for (size_t i = 0; i < DEMO_NMARKS; i++)
        if (demo_marks[i].mark == mark)
            return demo_marks[i].en;
    return "span";
}

/* ---- what is drawn: sampled state refined by the demo's own marks ---- */

/* A mark the demo records for what it means to do, not for the CPU state. */
static int demo_mark_is_meaning(char mark)
{
    return mark == DEMO_HELD_LOCK || mark == DEMO_WAIT_LOCK || mark == DEMO_HELD_GIL ||
           mark == DEMO_WAIT_GIL;
}

/* The sampled state `state` while the demo said `meaning`: holding the lock
 * or the GIL shows while on a CPU, waiting for one while asleep or spinning;
 * a thread ready but without a CPU shows that, whatever it meant to do. */
static char demo_mark_refine(char state, char meaning)
{
    if (state == DEMO_RAN && (meaning == DEMO_HELD_LOCK || meaning == DEMO_HELD_GIL))
        return meaning;
    if (state != DEMO_READY && (meaning == DEMO_WAIT_LOCK || meaning == DEMO_WAIT_GIL))
        return meaning;
    return state;
}

/* The spans being built for drawing. */
struct demo_draw {
    struct timeline_span *span;
    size_t n, cap;
};

static int demo_draw_add(struct demo_draw *d, unsigned row, char mark, int64_t a, int64_t b)
{
    if (b <= a)
        return 0;
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 1024;
        struct timeline_span *n = realloc(d->span, cap * sizeof *n);
        if (!n)
            return -1;
        d->span = n;
        d->cap = cap;
    }
    d->span[d->n++] = (struct timeline_span){ row, a, b, mark };
    return 0;
}

static int demo_span_by_start(const void *a, const void *b)
{
    const struct timeline_span *x = a, *y = b;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

/* One sampled slice of `row`, split where the row's meaning spans (sorted,
 * `mean`) cover it. */
static int demo_draw_slice(struct demo_draw *d, unsigned row, const struct demo_sample_span *s,
                           const struct timeline_span *mean, size_t nmean)
{
    size_t lo = 0, hi = nmean;
    while (lo < hi) {   /* the first meaning starting after the slice's start */
        size_t mid = (lo + hi) / 2;
        if (mean[mid].start_ns <= s->start_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    int64_t at = s->start_ns;
    for (size_t i = lo ? lo - 1 : 0; i < nmean && mean[i].start_ns < s->end_ns; i++) {
        int64_t a = mean[i].start_ns > at ? mean[i].start_ns : at;
        int64_t b = mean[i].end_ns < s->end_ns ? mean[i].end_ns : s->end_ns;
        if (b <= a)
            continue;
        if (demo_draw_add(d, row, s->mark, at, a) != 0 ||
            demo_draw_add(d, row, demo_mark_refine(s->mark, mean[i].mark), a, b) != 0)
            return -1;
        at = b;
    }
    return demo_draw_add(d, row, s->mark, at, s->end_ns);
}

/* Row r's recorded spans outside the sampled window [w0, w1) (all of them
 * when it was never sampled, w0 == w1), then its samples refined. */
static int demo_draw_row(struct demo_draw *d, const struct demo_rec *rec, size_t nrec,
                         unsigned r, const struct demo_sample_span *smp, size_t nsmp)
{
    int tid = rec->row[r].pid ? rec->row[r].tid : 0;
    int64_t w0 = INT64_MAX, w1 = INT64_MIN;
    for (size_t i = 0; tid && i < nsmp; i++) {
        if (smp[i].tid == tid) {
            w0 = smp[i].start_ns < w0 ? smp[i].start_ns : w0;
            w1 = smp[i].end_ns > w1 ? smp[i].end_ns : w1;
        }
    }
    if (w0 > w1)
        w0 = w1 = 0;
    struct timeline_span *mean = malloc((nrec ? nrec : 1) * sizeof *mean);
    size_t nmean = 0;
    int rc = mean ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < nrec; i++) {
        const struct timeline_span *sp = &rec->span[i];
        if (sp->row != r)
            continue;
        if (demo_mark_is_meaning(sp->mark))
            mean[nmean++] = *sp;
        /* outside the window the demo's own record is all there is */
        rc = demo_draw_add(d, r, sp->mark, sp->start_ns, sp->end_ns < w0 ? sp->end_ns : w0);
        if (rc == 0)
            rc = demo_draw_add(d, r, sp->mark, sp->start_ns > w1 ? sp->start_ns : w1, sp->end_ns);
    }
    if (mean)
        qsort(mean, nmean, sizeof *mean, demo_span_by_start);
    for (size_t i = 0; rc == 0 && tid && i < nsmp; i++)
        if (smp[i].tid == tid)
            rc = demo_draw_slice(d, r, &smp[i], mean, nmean);
    free(mean);
    return rc;
}

/* CPUs this process may run on: the most that can be on a CPU at once. */
static unsigned demo_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void demo_timeline_oom(const struct demo_ctx *ctx)
{
    demo_complain(ctx, "out of memory drawing the timeline\n",
                  "kein Speicher zum Zeichnen der Zeitleiste\n");
}

static int demo_rec_timeline(const struct demo_ctx *ctx, const struct demo_rec *rec,
                             const struct timeline_span *sp, size_t n, unsigned width)
{
    int64_t t0 = INT64_MAX, t1 = INT64_MIN;
    for (size_t i = 0; i < n; i++) {
        if (sp[i].start_ns < t0)
            t0 = sp[i].start_ns;
        if (sp[i].end_ns > t1)
            t1 = sp[i].end_ns;
    }
    const char *labels[DEMO_MAX_ROWS];
    for (unsigned r = 0; r < rec->rows; r++)
        labels[r] = rec->row[r].label;
    struct timeline_legend legend[DEMO_NMARKS];
    for (size_t i = 0; i < DEMO_NMARKS; i++)
        legend[i] = (struct timeline_legend){ demo_marks[i].mark,
                                              demo_tr(ctx, demo_marks[i].en, demo_marks[i].de) };
    /* never more on a CPU in one column than there are CPUs */
    const char on_cpu[] = { DEMO_RAN, DEMO_HELD_LOCK, DEMO_HELD_GIL, 0 };
    struct timeline_cap cap = { on_cpu, demo_cpus(), DEMO_READY };
    char *s = timeline_render_capped(labels, rec->rows, sp, n, legend, DEMO_NMARKS,
                                     n ? t0 : 0, n ? t1 : 1, width, &cap);
    if (!s) {
        demo_timeline_oom(ctx);
        return -1;
    }
    printf("\n%s (%u CPU%s)\n", demo_tr(ctx, "Timeline:", "Zeitleiste:"), cap.max,
           cap.max == 1 ? "" : "s");
    /* one screen: the first and last rows, unless --full (the cap above
     * counted them all) */
    const char *line = s;
    for (size_t r = 0; *line; r++) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        if (r >= rec->rows || demo_shown(ctx, r, rec->rows))
            fwrite(line, 1, len, stdout);
        line += len;
    }
    free(s);
    return 0;
}

/* Fills and closes t (made before the run, so a bad path failed early). */
static int demo_rec_trace(const struct demo_ctx *ctx, const struct demo_rec *rec,
                          const struct timeline_span *sp, size_t n, struct trace *t,
                          const char *path)
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
        const struct demo_rec_row *row = &rec->row[sp[i].row];
        trace_span(t, demo_mark_name(sp[i].mark), ctx->demo->name,
                   row->pid ? row->pid : getpid(), row->pid ? row->tid : (int)sp[i].row + 1,
                   sp[i].start_ns, sp[i].end_ns);
    }
    if (trace_close(t, err, sizeof err) != 0) {
        /* the trace module's reason, as it gives it */
        demo_complain(ctx, "%s\n", "Trace nicht geschrieben (%s)\n", err);
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
    size_t nsmp = 0;
    const struct demo_sample_span *smp = rec->sampler ? demo_sample_stop(rec->sampler, &nsmp)
                                                      : NULL;
    demo_rec_flush(rec);
    size_t used = atomic_load(&rec->used);
    size_t n = used < rec->cap ? used : rec->cap;
    if (used > n)
        demo_complain(ctx, "timeline full, %zu spans dropped\n",
                      "Zeitleiste voll, %zu Abschnitte verworfen\n", used - n);
    for (unsigned r = 0; r < rec->rows; r++)
        if (!rec->row[r].label[0])
            snprintf(rec->row[r].label, sizeof rec->row[r].label, "%u", r);
    struct demo_draw d = { 0 };
    int rc = 0;
    for (unsigned r = 0; r < rec->rows && rc == 0; r++)
        rc = demo_draw_row(&d, rec, n, r, smp, nsmp);
    if (rc != 0)
        demo_timeline_oom(ctx);
    if (rc == 0 && timeline && demo_rec_timeline(ctx, rec, d.span, d.n, width) != 0)
        rc = -1;
    if (trace && demo_rec_trace(ctx, rec, d.span, d.n, trace, trace_path) != 0)
        rc = -1;
    free(d.span);
    if (rec->sampler) {
        demo_sample_destroy(rec->sampler);
        rec->sampler = NULL;
    }
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
    /* CPU/wall: how many cores worked at once on average. Not a speed-up:
     * that compares the wall times of two runs. */
    demo_say(ctx, "%s: wall %.3f s, CPU %.3f s, CPU/wall %.2f (%u cores)\n",
             "%s: Laufzeit %.3f s, CPU-Zeit %.3f s, CPU/Laufzeit %.2f (%u Kerne)\n", label,
             wall / 1e9, cpu / 1e9, wall > 0 ? (double)cpu / (double)wall : 0.0, demo_cpus());
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

struct timespec demo_deadline(long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000;
    }
    return ts;
}

int demo_sem_wait(sem_t *s)
{
    struct timespec until = demo_deadline(DEMO_SEM_TIMEOUT_MS);
    while (sem_timedwait(s, &until) != 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

int demo_find_data(const char *src_rel, const char *share_rel, char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    const char *const up[] = { "/../", "/../../", "/../share/imgpool/" };
    for (size_t i = 0; i < sizeof up / sizeof *up; i++) {
        snprintf(out, len, "%s%s%s", exe, up[i], i < 2 ? src_rel : share_rel);
        if (access(out, R_OK) == 0)
            return 0;
    }
    return -1;
}

int demo_shown(const struct demo_ctx *ctx, size_t i, size_t n)
{
    if (ctx->full || n <= 2 * DEMO_SHOWN_ENDS + 1 || i < DEMO_SHOWN_ENDS ||
        i >= n - DEMO_SHOWN_ENDS)
        return 1;
    if (i == DEMO_SHOWN_ENDS)
        demo_say(ctx, "... %zu more (--full shows all)\n",
                 "... %zu weitere (--full zeigt alle)\n", n - 2 * DEMO_SHOWN_ENDS);
    return 0;
}

const char *demo_digits(const struct demo_ctx *ctx, const char *digits, char *buf, size_t len)
{
    size_t n = strlen(digits);
    if (ctx->full || n <= 40)
        return digits;
    snprintf(buf, len, "%.20s...%s (%zu %s)", digits, digits + n - 10, n,
             demo_tr(ctx, "digits", "Stellen"));
    return buf;
}

unsigned long long demo_fib(unsigned n)
{
    return n < 2 ? n : demo_fib(n - 1) + demo_fib(n - 2);
}

pid_t demo_fork(const struct demo_ctx *ctx)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        demo_complain(ctx, "cannot fork: %s\n",
                      "kann keinen Prozess starten (fork): %s\n", strerror(errno));
    return pid;
}

_Noreturn void demo_child_exit(int status)
{
    fflush(NULL);
    _exit(status);
}

int demo_reap(const struct demo_ctx *ctx, pid_t pid)
{
    int st;
    pid_t r;
    while ((r = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (r < 0) {
        demo_complain(ctx, "waitpid %d: %s\n",
                      "kann nicht auf Prozess %d warten (waitpid): %s\n", (int)pid,
                      strerror(errno));
        return -1;
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    if (WIFSIGNALED(st))
        demo_complain(ctx, "process %d killed by signal %d\n",
                      "Prozess %d durch Signal %d beendet\n", (int)pid, WTERMSIG(st));
    else
        demo_complain(ctx, "process %d exited with %d\n", "Prozess %d endete mit Status %d\n",
                      (int)pid, WEXITSTATUS(st));
    return -1;
}

int demo_thread_start(const struct demo_ctx *ctx, pthread_t *t, void *(*fn)(void *), void *arg)
{
    int rc = pthread_create(t, NULL, fn, arg);
    if (rc != 0)   /* pthread functions return their error, errno is untouched */
        demo_complain(ctx, "cannot start a thread: %s\n", "kann keinen Thread starten: %s\n",
                      strerror(rc));
    return rc ? -1 : 0;
}

/* ---- --step ---- */

/* One stepper per process: only one demo runs at a time. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned active;   /* rows (< 32) that step and have not left */
    int turn;          /* the row whose event comes next, -1: anyone */
} demo_stepper = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, -1 };

#define DEMO_STEP_TURN_NS 300000000   /* a row blocked elsewhere loses its turn */

/* The next stepping row after `row`, round the table; row itself if alone. */
static int demo_step_next(int row)
{
    for (int i = 1; i <= 32; i++) {
        int r = (row + i) % 32;
        if (demo_stepper.active & (1u << r))
            return r;
    }
    return -1;
}

void demo_step_join(struct demo_ctx *ctx, unsigned row)
{
    if (!atomic_load(&ctx->step) || row >= 32)
        return;
    pthread_mutex_lock(&demo_stepper.mu);
    if (!demo_stepper.active)
        demo_stepper.turn = -1;   /* a new run: whoever comes first */
    demo_stepper.active |= 1u << row;
    pthread_mutex_unlock(&demo_stepper.mu);
}

void demo_step_leave(struct demo_ctx *ctx, unsigned row)
{
    if (!atomic_load(&ctx->step) || row >= 32)
        return;
    pthread_mutex_lock(&demo_stepper.mu);
    demo_stepper.active &= ~(1u << row);
    if (demo_stepper.turn == (int)row)
        demo_stepper.turn = demo_step_next((int)row);
    pthread_cond_broadcast(&demo_stepper.cv);
    pthread_mutex_unlock(&demo_stepper.mu);
}

/* Set while this thread holds the stepper between demo_step_begin and
 * demo_step. */
static _Thread_local int demo_step_held;

void demo_step_begin(struct demo_ctx *ctx, unsigned row)
{
    if (!atomic_load(&ctx->step) || demo_step_held)
        return;
    pthread_mutex_lock(&demo_stepper.mu);
    demo_step_held = 1;
    int64_t give_up = clock_now_ns() + DEMO_STEP_TURN_NS;
    while (atomic_load(&ctx->step) && demo_stepper.turn >= 0 && demo_stepper.turn != (int)row &&
           clock_now_ns() < give_up) {
        struct timespec ts = demo_deadline(20);
        pthread_cond_timedwait(&demo_stepper.cv, &demo_stepper.mu, &ts);
    }
}

void demo_step(struct demo_ctx *ctx, unsigned row, const char *fmt, ...)
{
    demo_step_begin(ctx, row);
    if (!demo_step_held)
        return;
    if (atomic_load(&ctx->step)) {
        va_list ap;
        va_start(ap, fmt);
        fputs("  > ", stdout);
        vprintf(fmt, ap);
        va_end(ap);
        fputs("  ", stdout);
        fflush(stdout);
        char line[64];
        if (!fgets(line, sizeof line, stdin)) {
            atomic_store(&ctx->step, 0);   /* EOF: no one to press Enter, run on */
            putchar('\n');
        } else if (!isatty(STDIN_FILENO)) {
            putchar('\n');                  /* no terminal echoed the Enter */
        }
        demo_stepper.turn = row < 32 ? demo_step_next((int)row) : -1;
    }
    pthread_cond_broadcast(&demo_stepper.cv);
    demo_step_held = 0;
    pthread_mutex_unlock(&demo_stepper.mu);
}

void demo_say(const struct demo_ctx *ctx, const char *en, const char *de, ...)
{
    va_list ap;
    va_start(ap, de);
    vprintf(demo_tr(ctx, en, de), ap);
    va_end(ap);
}

void demo_complain(const struct demo_ctx *ctx, const char *en, const char *de, ...)
{
    va_list ap;
    va_start(ap, de);
    fflush(stdout);                 /* after what the demo printed so far */
    fputs("imgpool demo: ", stderr);
    vfprintf(stderr, demo_tr(ctx, en, de), ap);
    va_end(ap);
}

void demo_append(char *out, size_t len, const char *fmt, ...)
{
    size_t used = strlen(out);
    va_list ap;
    va_start(ap, fmt);
    if (used < len)
        vsnprintf(out + used, len - used, fmt, ap);
    va_end(ap);
}
