/* sample.c — what each thread and child process really did, sampled from the
 * kernel while a demo runs with --timeline or --trace.
 *
 * A demo records what it means to do ("held the lock"), but not whether the
 * kernel let it run: ten processes "running" on two cores are mostly waiting
 * for one. So a sampler thread in the demo's process reads, every slice, each
 * thread of the process and each child it forked: the CPU time it consumed
 * (its thread CPU clock, exact) and its run state from /proc/PID/task/TID/stat.
 * A slice becomes '#' for the CPU time consumed and, for the rest, '-' if the
 * thread is runnable (it wanted a CPU and had none) or 'z' if it sleeps or is
 * blocked. As '#' is CPU time actually consumed, the '#' of all rows in a
 * slice add up to at most the CPUs there are.
 *
 * The sampler keeps its slices in its own memory, keyed by thread id; after
 * the run the kit matches them to the rows by the pid/tid each row named.
 * Its slice is 1 ms, longer (up to 20 ms) when there are so many threads
 * that sampling them would cost over ~5 % of one CPU.
 */
#include "demo.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEMO_SAMPLE_MAX_IDS 512
#define DEMO_SAMPLE_MIN_NS 1000000
#define DEMO_SAMPLE_MAX_NS 20000000

struct demo_sample_id {
    int pid, tid;
    int gone;                  /* its files vanished: stop reading them */
    int64_t at, run;           /* the last reading */
};

/* Held by the sampler for each slice (it allocates, opens and reads files)
 * and by fork() in any thread of the process (pthread_atfork): a child must
 * not be born while the sampler is inside malloc or stdio, or it inherits
 * their locks held and its first allocation waits forever. glibc's own
 * allocator guards fork itself, but ASan's (GCC 12) does not: the demos'
 * children hung there, rarely, under ASan. */
static pthread_mutex_t demo_sample_fork_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t demo_sample_atfork_once = PTHREAD_ONCE_INIT;

static void demo_sample_fork_prepare(void)
{
    pthread_mutex_lock(&demo_sample_fork_lock);
}

static void demo_sample_fork_done(void)
{
    pthread_mutex_unlock(&demo_sample_fork_lock);
}

static void demo_sample_atfork(void)
{
    pthread_atfork(demo_sample_fork_prepare, demo_sample_fork_done, demo_sample_fork_done);
}

struct demo_sampler {
    pthread_t thread;
    atomic_int stop;
    int self_tid;              /* the sampler itself, not sampled */
    unsigned nids;
    struct demo_sample_id id[DEMO_SAMPLE_MAX_IDS];
    struct demo_sample_span *span;
    size_t nspans, cap;
    int failed;                /* out of memory: the picture is incomplete */
};

/* One thread's CPU time so far and its run state now ('R' running or
 * runnable, 'S' asleep, 'D' blocked in the kernel, ...). 0, or -1: gone. */
static int demo_sample_read(int pid, int tid, int64_t *run, char *state)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", pid, tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');   /* the name may hold spaces and ')' */
    unsigned long long ut, st;
    if (!p || sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                     state, &ut, &st) != 3 || *state == 'Z' || *state == 'X')
        return -1;
    /* The CPU clock, built as the kernel builds the ids pthread_getcpuclockid()
     * and clock_getcpuclockid() return: exact to the nanosecond, where the
     * stat file's ticks lag by up to one tick. A thread's clock for our own
     * threads; the process's for a child (the kernel refuses other processes'
     * thread clocks; the demos' children have one thread). */
    clockid_t cid = (clockid_t)(((unsigned)~tid << 3) | (pid == getpid() ? 6 : 2));
    struct timespec ts;
    if (clock_gettime(cid, &ts) == 0) {
        *run = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    } else {
        long hz = sysconf(_SC_CLK_TCK);
        *run = (int64_t)((ut + st) * (1000000000ull / (unsigned long long)(hz > 0 ? hz : 100)));
    }
    return 0;
}

static void demo_sample_push(struct demo_sampler *s, int tid, char mark, int64_t a, int64_t b)
{
    if (b <= a)
        return;
    if (s->nspans && s->span[s->nspans - 1].tid == tid && s->span[s->nspans - 1].mark == mark &&
        s->span[s->nspans - 1].end_ns == a) {
        s->span[s->nspans - 1].end_ns = b;   /* the same state goes on */
        return;
    }
    if (s->nspans == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 4096;
        struct demo_sample_span *n = realloc(s->span, cap * sizeof *n);
        if (!n) {
            s->failed = 1;
            return;
        }
        s->span = n;
        s->cap = cap;
    }
    s->span[s->nspans++] = (struct demo_sample_span){ tid, a, b, mark };
}

/* Turns one slice [from, to) of one thread into '#' for the CPU time it
 * consumed, then for the rest '-' if it is runnable now (it wanted a CPU
 * and had none), else 'z'. Only the proportions within a slice are known,
 * not the order: on-CPU first. */
static void demo_sample_slice(struct demo_sampler *s, int tid, int64_t from, int64_t to,
                              int64_t run, char state)
{
    int64_t dt = to - from;
    run = run < 0 ? 0 : run > dt ? dt : run;
    demo_sample_push(s, tid, DEMO_RAN, from, from + run);
    demo_sample_push(s, tid, state == 'R' ? DEMO_READY : DEMO_BLOCKED, from + run, to);
}

static struct demo_sample_id *demo_sample_find(struct demo_sampler *s, int pid, int tid)
{
    for (unsigned i = 0; i < s->nids; i++)
        if (s->id[i].tid == tid)
            return &s->id[i];
    if (s->nids == DEMO_SAMPLE_MAX_IDS)
        return NULL;
    s->id[s->nids] = (struct demo_sample_id){ pid, tid, 0, 0, 0 };
    return &s->id[s->nids++];
}

static void demo_sample_one(struct demo_sampler *s, int pid, int tid, int64_t now)
{
    struct demo_sample_id *id = demo_sample_find(s, pid, tid);
    if (!id || id->gone)
        return;
    int64_t run;
    char state;
    if (demo_sample_read(pid, tid, &run, &state) != 0) {
        id->gone = 1;
        return;
    }
    if (id->at)
        demo_sample_slice(s, tid, id->at, now, run - id->run, state);
    id->at = now;
    id->run = run;
}

/* Every thread of this process, then every child the main thread forked
 * (the demos and the pool fork from it) with its threads. */
static void demo_sample_all(struct demo_sampler *s, int64_t now)
{
    int self = getpid();
    DIR *d = opendir("/proc/self/task");
    for (struct dirent *e; d && (e = readdir(d));) {
        int tid = atoi(e->d_name);
        if (tid > 0 && tid != s->self_tid)
            demo_sample_one(s, self, tid, now);
    }
    if (d)
        closedir(d);
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", self);
    FILE *f = fopen(path, "r");
    for (int pid; f && fscanf(f, "%d", &pid) == 1;)
        demo_sample_one(s, pid, pid, now);
    if (f)
        fclose(f);
}

static void *demo_sample_thread(void *p)
{
    struct demo_sampler *s = p;
    s->self_tid = demo_tid();
    int64_t period = DEMO_SAMPLE_MIN_NS;
    while (!atomic_load(&s->stop)) {
        int64_t t = clock_now_ns(), c = clock_thread_cpu_ns();
        pthread_mutex_lock(&demo_sample_fork_lock);
        demo_sample_all(s, t);
        pthread_mutex_unlock(&demo_sample_fork_lock);
        /* CPU, not wall: on a busy machine the sampler itself waits for a core */
        int64_t cost = clock_thread_cpu_ns() - c;
        if (20 * cost > period)
            period = 20 * cost < DEMO_SAMPLE_MAX_NS ? 20 * cost : DEMO_SAMPLE_MAX_NS;
        int64_t spent = clock_now_ns() - t;
        struct timespec ts = { 0, (long)(period - spent > 0 ? period - spent : 0) };
        ts.tv_sec = ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&demo_sample_fork_lock);
    demo_sample_all(s, clock_now_ns());   /* the last slice */
    pthread_mutex_unlock(&demo_sample_fork_lock);
    return NULL;
}

struct demo_sampler *demo_sample_start(void)
{
    pthread_once(&demo_sample_atfork_once, demo_sample_atfork);
    struct demo_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    atomic_init(&s->stop, 0);
    if (pthread_create(&s->thread, NULL, demo_sample_thread, s) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

const struct demo_sample_span *demo_sample_stop(struct demo_sampler *s, size_t *n)
{
    atomic_store(&s->stop, 1);
    pthread_join(s->thread, NULL);   /* it ends within one slice */
    *n = s->nspans;
    return s->span;
}

void demo_sample_destroy(struct demo_sampler *s)
{
    if (s) {
        free(s->span);
        free(s);
    }
}
