/* pool.c — the fork-based process pool.
 *
 * Design note (read with pool.h).
 *
 * Shared memory. One anonymous MAP_SHARED mapping, made before the first
 * fork, holds everything parent and workers share:
 *
 *   struct pool_shm  claim counters, totals, the wake-up semaphore, flags
 *   slots[procs]     one per worker slot: pid, task held, start time, count
 *   order[capacity]  task numbers in publish order (written by the parent,
 *                    only past the in-order prefix: see pool_order_task)
 *   args[capacity]   per-task argument bytes (only if arg_max > 0)
 *
 * Each field has one writer, or is changed only by atomic read-modify-write:
 * `published` and `order` by the parent (under pub_lock, as several parent
 * threads may publish), `next` by workers (CAS), totals by workers (atomic
 * add, plus `crashed` by the parent), a slot's fields by the worker that owns
 * it (the parent only reads them and resets them after reaping). Hot
 * counters sit on their own cache lines so claiming does not bounce the
 * totals' line.
 *
 * Memory orders. The parent writes order[k] (or in_order) and args, then stores
 * published=k+1 with release; a worker loads published with acquire before
 * it claims k, so it sees the task's order entry and argument. A worker
 * stores its slot's task with release after claiming, and -1 with release
 * after its record's write() returned; the parent loads with acquire. The
 * totals are statistics only: relaxed.
 *
 * Claiming. A worker claims the next published task by CAS on `next` while
 * next < published, so each published task is claimed exactly once. With
 * nothing to claim it sleeps on a process-shared semaphore (posted once per
 * publish, and procs times on close and stop) with a timeout, so a lost
 * wake-up costs at most one timeout, never a hang.
 *
 * Records. A finished task is one struct pool_record (<= PIPE_BUF) sent with
 * one write() to a pipe shared by all workers, so records never interleave.
 * The parent reads whatever is there and reassembles whole records (a read
 * may end mid-record only if the buffer does; we keep the remainder).
 *
 * Crashes. The parent reaps with waitpid(WNOHANG). Before it blames a dead
 * worker it drains the pipe, since the worker may have sent its record and
 * died afterwards. If the slot still names a task with no record, that task
 * gets a POOL_CRASHED record made by the parent, and the slot gets a new
 * worker — unless the slot's workers keep dying before finishing any task
 * (a broken worker_init, say): after POOL_STARTUP_DEATHS such deaths the
 * slot stays empty. A worker killed in the few instructions between its CAS
 * and its slot store leaves a task claimed by nobody; once the pool is closed,
 * everything is claimed and all workers are idle (no slot holding a task or
 * flagged as claiming one: a live worker preempted inside that window is not
 * idle), such tasks are reported as crashed too (the done bitmap says which). If no slot has a
 * worker left,
 * remaining tasks are failed rather than waited for.
 *
 * Shutdown. pool_close makes workers exit once nothing is left. A stop
 * request (signal flag) sets shm->stopping and sends SIGTERM: a worker
 * finishes its current task (outputs are committed atomically, so a task is
 * all or nothing) and exits; after grace_ms the rest get SIGKILL. Workers
 * ignore SIGINT, so a terminal's Ctrl-C reaches them only through the parent,
 * and die with the parent (PR_SET_PDEATHSIG).
 */
#include "imgpool/pool.h"

#include "imgpool/clock.h"
#include "imgpool/stop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define POOL_CACHELINE 64
#define POOL_STARTUP_DEATHS 3
#define POOL_IDLE_WAIT_MS 200
#define POOL_POLL_MS 50

struct pool_slot {
    _Alignas(POOL_CACHELINE) atomic_int pid;
    atomic_int_least64_t task;      /* -1 idle */
    atomic_int claiming;            /* 1 from before its CAS until task is stored */
    atomic_int_least64_t start_ns;  /* when task was claimed */
    atomic_uint_least64_t count;
};

struct pool_shm {
    _Alignas(POOL_CACHELINE) atomic_uint_least64_t next;
    _Alignas(POOL_CACHELINE) atomic_uint_least64_t published;
    atomic_uint_least64_t in_order;   /* publishes 0..in_order-1 were tasks 0..in_order-1 */
    atomic_int closed;
    atomic_int stopping;
    _Alignas(POOL_CACHELINE) atomic_uint_least64_t ok, failed, skipped, crashed;
    atomic_uint_least64_t bytes_in, bytes_out;
    _Alignas(POOL_CACHELINE) sem_t work;
};

struct pool_slot_life {   /* parent-private bookkeeping per slot */
    uint64_t count_at_fork;
    unsigned startup_deaths;
    bool retired;          /* stopped respawning */
    bool timed_out;        /* the parent killed it for overrunning task_timeout_ms */
};

struct pool {
    struct pool_options opt;
    uint64_t capacity;
    unsigned procs;
    size_t arg_stride;      /* bytes per args[] entry: length word + arg_max */
    void *map;
    size_t map_len;
    struct pool_shm *shm;
    struct pool_slot *slots;
    uint64_t *order;
    unsigned char *args;
    int rd, wr;             /* the record pipe */
    pid_t parent;
    pthread_mutex_t pub_lock;
    /* parent-private */
    struct pool_slot_life *life;
    unsigned char *done;    /* bitmap: a record was delivered for task */
    unsigned char *pub;     /* bitmap: task was published (under pub_lock) */
    uint64_t finished;      /* records delivered */
    unsigned respawns;
    unsigned char rbuf[2 * sizeof(struct pool_record)];
    size_t rlen;
    bool waited;
};

static volatile sig_atomic_t pool_worker_term; /* worker: SIGTERM seen */

static void pool_on_worker_term(int sig)
{
    (void)sig;
    pool_worker_term = 1;
}

/* ---- layout ----------------------------------------------------------- */

static size_t pool_align(size_t n)
{
    return (n + POOL_CACHELINE - 1) & ~(size_t)(POOL_CACHELINE - 1);
}

static int pool_map_shared(struct pool *p)
{
    size_t off_slots = pool_align(sizeof(struct pool_shm));
    size_t off_order = off_slots + pool_align(p->procs * sizeof(struct pool_slot));
    size_t off_args = off_order + pool_align(p->capacity * sizeof(uint64_t));
    p->map_len = off_args + p->capacity * p->arg_stride;
    p->map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE,
                  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p->map == MAP_FAILED) {
        p->map = NULL;
        return -1;
    }
    unsigned char *base = p->map;
    p->shm = (struct pool_shm *)base;
    p->slots = (struct pool_slot *)(base + off_slots);
    p->order = (uint64_t *)(base + off_order);
    p->args = p->arg_stride ? base + off_args : NULL;
    /* The mapping is zero-filled; only non-zero initial state is set here. */
    if (sem_init(&p->shm->work, 1, 0) != 0)
        return -1;
    for (unsigned i = 0; i < p->procs; i++)
        atomic_store(&p->slots[i].task, -1);
    return 0;
}

/* ---- worker ----------------------------------------------------------- */

static void pool_worker_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = pool_on_worker_term;   /* no SA_RESTART: wakes sem waits */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGINT, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    /* A crash must kill the worker so the parent can blame it; handlers
     * inherited from the parent (a test framework's, a sanitizer's) would
     * run parent logic in the child instead. */
    static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++)
        signal(fatal[i], SIG_DFL);
}

static void pool_worker_limits(const struct pool *p)
{
#ifndef __SANITIZE_ADDRESS__
    if (p->opt.max_memory) {
        struct rlimit rl = { p->opt.max_memory, p->opt.max_memory };
        setrlimit(RLIMIT_AS, &rl);
    }
#else
    (void)p;
#endif
}

/* The task published k-th. As long as every publish k has been task k
 * (pool_map, generated tasks), shm->in_order grows and order[] is neither
 * written nor read, so the order pages are never touched and memory stays
 * flat however many tasks run. in_order is stored before the release store of
 * `published`, and only grows, so a worker that acquired published > k sees
 * in_order > k exactly when publish k was in order; otherwise order[k]. */
static uint64_t pool_order_task(const struct pool *p, uint64_t k)
{
    return k < atomic_load_explicit(&p->shm->in_order, memory_order_relaxed) ? k : p->order[k];
}

/* Returns the claimed index into order[], or -1 if nothing is published. */
/* Claims the next published task for slot, or -1. The slot says
 * "claiming" from before the CAS until pool_run_task has stored the task, so
 * the parent never takes a task between CAS and slot store for an orphan
 * (seq_cst: the parent that sees next advanced also sees the flag). */
static int64_t pool_claim(struct pool_shm *shm, struct pool_slot *slot)
{
    atomic_store(&slot->claiming, 1);
    uint64_t k = atomic_load_explicit(&shm->next, memory_order_relaxed);
    while (k < atomic_load_explicit(&shm->published, memory_order_acquire)) {
        if (atomic_compare_exchange_weak_explicit(&shm->next, &k, k + 1,
                                                  memory_order_seq_cst,
                                                  memory_order_relaxed))
            return (int64_t)k;
    }
    atomic_store_explicit(&slot->claiming, 0, memory_order_release);
    return -1;
}

static void pool_idle_wait(struct pool_shm *shm)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_nsec += POOL_IDLE_WAIT_MS * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    sem_clockwait(&shm->work, CLOCK_MONOTONIC, &ts);
}

static int pool_write_record(int fd, const struct pool_record *rec)
{
    for (;;) {
        ssize_t n = write(fd, rec, sizeof *rec);
        if (n == (ssize_t)sizeof *rec)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        return -1;   /* parent gone (EPIPE); a short write cannot happen below PIPE_BUF */
    }
}

static void pool_count(struct pool_shm *shm, const struct pool_record *rec)
{
    atomic_uint_least64_t *total =
        rec->status == POOL_OK ? &shm->ok :
        rec->status == POOL_SKIPPED ? &shm->skipped : &shm->failed;
    atomic_fetch_add_explicit(total, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&shm->bytes_in, rec->bytes_in, memory_order_relaxed);
    atomic_fetch_add_explicit(&shm->bytes_out, rec->bytes_out, memory_order_relaxed);
}

static void pool_run_task(struct pool *p, unsigned w, uint64_t k, struct pool_record *rec)
{
    struct pool_slot *slot = &p->slots[w];
    uint64_t task = pool_order_task(p, k);
    atomic_store_explicit(&slot->start_ns, clock_now_ns(), memory_order_relaxed);
    atomic_store_explicit(&slot->task, (int64_t)task, memory_order_release);
    atomic_store_explicit(&slot->claiming, 0, memory_order_release);

    const void *arg = NULL;
    size_t arg_len = 0;
    if (p->args) {
        unsigned char *a = p->args + task * p->arg_stride;
        memcpy(&arg_len, a, sizeof arg_len);
        arg = a + sizeof arg_len;
    }
    memset(rec, 0, sizeof *rec);
    rec->task = task;
    rec->pid = getpid();
    rec->worker = w;
    int64_t cpu0 = clock_cpu_ns();
    rec->start_ns = clock_now_ns();
    int st = p->opt.task(p->opt.ctx, task, arg, arg_len, rec);
    rec->end_ns = clock_now_ns();
    rec->cpu_ns = clock_cpu_ns() - cpu0;
    rec->status = (st >= POOL_OK && st <= POOL_SKIPPED) ? st : POOL_FAILED;
    rec->msg[POOL_MSG_MAX - 1] = '\0';
    if (rec->data_len > POOL_DATA_MAX)
        rec->data_len = POOL_DATA_MAX;
}

static void pool_worker_main(struct pool *p, unsigned w)
{
    struct pool_slot *slot = &p->slots[w];
    pool_worker_signals();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != p->parent)   /* parent died before prctl took effect */
        _exit(1);
    close(p->rd);
    pool_worker_limits(p);
    if (p->opt.worker_init && p->opt.worker_init(p->opt.ctx, w) != 0)
        _exit(1);

    struct pool_record *rec = malloc(sizeof *rec);
    if (!rec)
        _exit(1);
    while (!pool_worker_term && !atomic_load(&p->shm->stopping)) {
        /* closed is read before claiming: every publish happens before
         * close, so a failed claim after seeing it means nothing is left
         * (claiming again after the check would drop what it claimed). */
        bool closed = atomic_load_explicit(&p->shm->closed, memory_order_acquire);
        int64_t k = pool_claim(p->shm, slot);
        if (k < 0) {
            if (closed)
                break;
            pool_idle_wait(p->shm);
            continue;
        }
        pool_run_task(p, w, (uint64_t)k, rec);
        pool_count(p->shm, rec);
        atomic_fetch_add_explicit(&slot->count, 1, memory_order_relaxed);
        int wr = pool_write_record(p->wr, rec);
        atomic_store_explicit(&slot->task, -1, memory_order_release);
        if (wr != 0)
            break;
    }
    free(rec);
    _exit(0);
}

/* Parent: forks a worker into slot w. 0 or -1 (errno from fork). */
static int pool_spawn(struct pool *p, unsigned w)
{
    atomic_store(&p->slots[w].task, -1);
    atomic_store(&p->slots[w].claiming, 0);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0)
        pool_worker_main(p, w);   /* never returns */
    atomic_store(&p->slots[w].pid, pid);
    p->life[w].count_at_fork = atomic_load(&p->slots[w].count);
    p->life[w].timed_out = false;
    return 0;
}

/* ---- create / publish / close ----------------------------------------- */

unsigned pool_default_procs(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

static void pool_free(struct pool *p)
{
    if (!p)
        return;
    if (p->map) {
        sem_destroy(&p->shm->work);
        munmap(p->map, p->map_len);
    }
    if (p->rd >= 0)
        close(p->rd);
    if (p->wr >= 0)
        close(p->wr);
    pthread_mutex_destroy(&p->pub_lock);
    free(p->life);
    free(p->done);
    free(p->pub);
    free(p);
}

int pool_create(const struct pool_options *opt, uint64_t capacity, struct pool **out)
{
    *out = NULL;
    if (!opt || !opt->task || capacity > (UINT64_MAX / 2) / sizeof(uint64_t)) {
        errno = EINVAL;
        return -1;
    }
    struct pool *p = calloc(1, sizeof *p);
    if (!p)
        return -1;
    p->rd = p->wr = -1;
    pthread_mutex_init(&p->pub_lock, NULL);
    p->opt = *opt;
    if (!p->opt.tick_ms)
        p->opt.tick_ms = 100;
    if (!p->opt.grace_ms)
        p->opt.grace_ms = 2000;
    p->capacity = capacity;
    p->procs = opt->procs ? opt->procs : pool_default_procs();
    if (p->procs > capacity)   /* no idle workers for tiny batches */
        p->procs = capacity ? (unsigned)capacity : 1;
    p->arg_stride = opt->arg_max ? sizeof(size_t) + opt->arg_max : 0;
    p->parent = getpid();
    p->life = calloc(p->procs, sizeof *p->life);
    p->done = calloc(capacity / 8 + 1, 1);
    p->pub = calloc(capacity / 8 + 1, 1);
    int fds[2];
    if (!p->life || !p->done || !p->pub || pool_map_shared(p) != 0 ||
        pipe2(fds, O_CLOEXEC) != 0) {
        int e = errno;
        pool_free(p);
        errno = e;
        return -1;
    }
    p->rd = fds[0];
    p->wr = fds[1];
    fcntl(p->rd, F_SETFL, O_NONBLOCK);
    for (unsigned w = 0; w < p->procs; w++) {
        if (pool_spawn(p, w) != 0) {
            int e = errno;
            pool_destroy(p);
            errno = e;
            return -1;
        }
    }
    *out = p;
    return 0;
}

int pool_publish(struct pool *p, uint64_t task, const void *arg, size_t arg_len)
{
    if (task >= p->capacity || arg_len > p->opt.arg_max) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&p->pub_lock);
    int rc = 0;
    uint64_t k = atomic_load_explicit(&p->shm->published, memory_order_relaxed);
    if (atomic_load(&p->shm->closed)) {
        errno = EPIPE;
        rc = -1;
    } else if (k >= p->capacity || (p->pub[task / 8] & (1u << (task % 8)))) {
        errno = EINVAL;   /* published twice */
        rc = -1;
    } else {
        p->pub[task / 8] |= (unsigned char)(1u << (task % 8));
        if (p->args) {
            unsigned char *a = p->args + task * p->arg_stride;
            memcpy(a, &arg_len, sizeof arg_len);
            if (arg_len)
                memcpy(a + sizeof arg_len, arg, arg_len);
        }
        if (task == k && atomic_load_explicit(&p->shm->in_order, memory_order_relaxed) == k)
            atomic_store_explicit(&p->shm->in_order, k + 1, memory_order_relaxed);
        else
            p->order[k] = task;
        atomic_store_explicit(&p->shm->published, k + 1, memory_order_release);
        sem_post(&p->shm->work);
    }
    pthread_mutex_unlock(&p->pub_lock);
    return rc;
}

static void pool_wake_all(struct pool *p)
{
    for (unsigned i = 0; i < p->procs; i++)
        sem_post(&p->shm->work);
}

void pool_close(struct pool *p)
{
    pthread_mutex_lock(&p->pub_lock);
    atomic_store_explicit(&p->shm->closed, 1, memory_order_release);
    pthread_mutex_unlock(&p->pub_lock);
    pool_wake_all(p);
}

/* ---- the parent's wait loop ------------------------------------------- */

static bool pool_is_done(const struct pool *p, uint64_t task)
{
    return p->done[task / 8] & (1u << (task % 8));
}

static void pool_deliver(struct pool *p, const struct pool_record *rec)
{
    if (rec->task >= p->capacity || pool_is_done(p, rec->task))
        return;   /* cannot happen with well-behaved workers; never count twice */
    p->done[rec->task / 8] |= (unsigned char)(1u << (rec->task % 8));
    p->finished++;
    if (p->opt.on_result)
        p->opt.on_result(p->opt.ctx, rec);
}

/* Reads all records available now. */
static void pool_drain(struct pool *p)
{
    for (;;) {
        ssize_t n = read(p->rd, p->rbuf + p->rlen, sizeof p->rbuf - p->rlen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;   /* EAGAIN: nothing more now; 0: no writer left */
        p->rlen += (size_t)n;
        while (p->rlen >= sizeof(struct pool_record)) {
            struct pool_record rec;
            memcpy(&rec, p->rbuf, sizeof rec);
            p->rlen -= sizeof rec;
            memmove(p->rbuf, p->rbuf + sizeof rec, p->rlen);
            pool_deliver(p, &rec);
        }
    }
}

static void pool_blame(struct pool *p, unsigned w, uint64_t task, int pid, const char *why,
                       enum pool_death death, int code)
{
    struct pool_record rec;
    memset(&rec, 0, sizeof rec);
    rec.task = task;
    rec.status = POOL_CRASHED;
    rec.pid = pid;
    rec.worker = w;
    rec.start_ns = atomic_load(&p->slots[w].start_ns);
    rec.end_ns = clock_now_ns();
    snprintf(rec.msg, sizeof rec.msg, "%s", why);
    rec.death = death;
    rec.death_code = code;
    atomic_fetch_add_explicit(&p->shm->crashed, 1, memory_order_relaxed);
    pool_deliver(p, &rec);
}

static void pool_describe_death(int status, char *buf, size_t len)
{
    if (WIFSIGNALED(status))
        snprintf(buf, len, "worker crashed: signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "worker exited with status %d", WEXITSTATUS(status));
}

/* A slot whose workers die before finishing a single task, several times
 * in a row, has a problem a new fork will not fix (a failing worker_init,
 * a resource limit too low to start). */
static bool pool_should_respawn(struct pool *p, unsigned w, bool did_work)
{
    struct pool_slot_life *l = &p->life[w];
    if (atomic_load(&p->shm->stopping))
        return false;
    l->startup_deaths = did_work ? 0 : l->startup_deaths + 1;
    if (l->startup_deaths >= POOL_STARTUP_DEATHS)
        l->retired = true;
    return !l->retired;
}

static void pool_on_death(struct pool *p, unsigned w, pid_t pid, int status)
{
    struct pool_slot *slot = &p->slots[w];
    pool_drain(p);   /* its record may be in the pipe already */
    int64_t task = atomic_load_explicit(&slot->task, memory_order_acquire);
    bool did_work = atomic_load(&slot->count) > p->life[w].count_at_fork;
    if (task >= 0 && !pool_is_done(p, (uint64_t)task)) {
        char why[POOL_MSG_MAX];
        enum pool_death death = WIFSIGNALED(status) ? POOL_DEATH_SIGNAL : POOL_DEATH_EXIT;
        int code = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
        if (p->life[w].timed_out) {
            snprintf(why, sizeof why, "timed out after %u ms: worker killed",
                     p->opt.task_timeout_ms);
            death = POOL_DEATH_TIMEOUT;
            code = (int)p->opt.task_timeout_ms;
        } else {
            pool_describe_death(status, why, sizeof why);
        }
        pool_blame(p, w, (uint64_t)task, pid, why, death, code);
        did_work = true;   /* it died on a task, not at start-up */
    }
    atomic_store(&slot->pid, 0);
    atomic_store(&slot->task, -1);
    atomic_store(&slot->claiming, 0);   /* a task it claimed is an orphan now */
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;   /* left because the pool is closed or stopping */
    if (pool_should_respawn(p, w, did_work) && pool_spawn(p, w) == 0)
        p->respawns++;
}

/* Reaps only our own workers: the program may have other children. */
static void pool_reap(struct pool *p)
{
    for (unsigned w = 0; w < p->procs; w++) {
        pid_t pid = atomic_load(&p->slots[w].pid);
        int status;
        if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid)
            pool_on_death(p, w, pid, status);
    }
}

/* A task that overruns task_timeout_ms (a decoder stuck in a loop) costs
 * its worker: SIGKILL, then the reaper blames and replaces it. */
static void pool_enforce_timeout(struct pool *p)
{
    if (!p->opt.task_timeout_ms)
        return;
    int64_t now = clock_now_ns();
    for (unsigned w = 0; w < p->procs; w++) {
        struct pool_slot *s = &p->slots[w];
        pid_t pid = atomic_load(&s->pid);
        if (pid <= 0 || p->life[w].timed_out ||
            atomic_load_explicit(&s->task, memory_order_acquire) < 0)
            continue;
        if (now - atomic_load(&s->start_ns) > (int64_t)p->opt.task_timeout_ms * 1000000) {
            p->life[w].timed_out = true;
            kill(pid, SIGKILL);
        }
    }
}

static unsigned pool_live(const struct pool *p)
{
    unsigned n = 0;
    for (unsigned w = 0; w < p->procs; w++)
        n += atomic_load(&p->slots[w].pid) != 0;
    return n;
}

/* A slot is busy while claiming or holding a task. claiming is read first:
 * once it reads 0 after a claim, the task stored before it is visible. */
static bool pool_any_busy(const struct pool *p)
{
    for (unsigned w = 0; w < p->procs; w++)
        if (atomic_load(&p->slots[w].claiming) ||
            atomic_load_explicit(&p->slots[w].task, memory_order_acquire) >= 0)
            return true;
    return false;
}

/* Tasks published but never to get a record: claimed by a worker killed
 * between claim and slot store, or left when no worker is alive. */
static void pool_sweep_orphans(struct pool *p, const char *why, enum pool_death death)
{
    uint64_t published = atomic_load(&p->shm->published);
    for (uint64_t k = 0; k < published && p->finished < published; k++) {
        uint64_t task = pool_order_task(p, k);
        if (!pool_is_done(p, task))
            pool_blame(p, 0, task, 0, why, death, 0);
    }
}

static bool pool_finished_all(struct pool *p)
{
    if (!atomic_load_explicit(&p->shm->closed, memory_order_acquire))
        return false;
    uint64_t published = atomic_load(&p->shm->published);
    if (p->finished >= published)
        return true;
    if (pool_live(p) == 0) {
        pool_sweep_orphans(p, "no worker left to run it", POOL_DEATH_NO_WORKER);
        return true;
    }
    if (atomic_load(&p->shm->next) >= published && !pool_any_busy(p)) {
        pool_drain(p);   /* records written before the slots went idle */
        if (p->finished < published && !pool_any_busy(p))
            pool_sweep_orphans(p, "worker died while claiming it", POOL_DEATH_CLAIMING);
        return p->finished >= published;
    }
    return false;
}

static void pool_signal_all(struct pool *p, int sig)
{
    for (unsigned w = 0; w < p->procs; w++) {
        pid_t pid = atomic_load(&p->slots[w].pid);
        if (pid > 0)
            kill(pid, sig);
    }
}

/* Stop: TERM, let workers finish their task for grace_ms, then KILL. */
static void pool_terminate(struct pool *p)
{
    atomic_store(&p->shm->stopping, 1);
    pool_signal_all(p, SIGTERM);
    pool_wake_all(p);
    int64_t deadline = clock_now_ns() + (int64_t)p->opt.grace_ms * 1000000;
    while (pool_live(p) > 0 && clock_now_ns() < deadline) {
        struct pollfd pfd = { .fd = p->rd, .events = POLLIN };
        poll(&pfd, 1, 20);
        pool_drain(p);
        pool_reap(p);
    }
    pool_signal_all(p, SIGKILL);
    for (unsigned w = 0; w < p->procs; w++) {
        pid_t pid = atomic_load(&p->slots[w].pid);
        if (pid > 0) {
            int status;
            waitpid(pid, &status, 0);   /* bounded: SIGKILL cannot be ignored */
            atomic_store(&p->slots[w].pid, 0);
        }
    }
    pool_drain(p);
}

static void pool_tick(struct pool *p, int64_t *next_tick)
{
    int64_t now = clock_now_ns();
    if (p->opt.on_tick && now >= *next_tick) {
        p->opt.on_tick(p->opt.ctx, p);
        *next_tick = now + (int64_t)p->opt.tick_ms * 1000000;
    }
}

int pool_wait(struct pool *p)
{
    if (p->waited)
        return POOL_DONE;
    int64_t next_tick = 0;
    int poll_ms = (int)(p->opt.tick_ms < POOL_POLL_MS ? p->opt.tick_ms : POOL_POLL_MS);
    for (;;) {
        struct pollfd pfd = { .fd = p->rd, .events = POLLIN };
        poll(&pfd, 1, poll_ms);
        pool_drain(p);
        pool_reap(p);
        pool_enforce_timeout(p);
        if (stop_requested()) {
            pool_terminate(p);
            p->waited = true;
            return POOL_INTERRUPTED;
        }
        pool_tick(p, &next_tick);
        if (pool_finished_all(p))
            break;
    }
    /* Closed and complete: idle workers see `closed` and exit by themselves. */
    pool_wake_all(p);
    int64_t deadline = clock_now_ns() + (int64_t)p->opt.grace_ms * 1000000;
    while (pool_live(p) > 0 && clock_now_ns() < deadline) {
        usleep(5000);
        pool_reap(p);
    }
    if (pool_live(p) > 0)
        pool_terminate(p);
    if (p->opt.on_tick)
        p->opt.on_tick(p->opt.ctx, p);
    p->waited = true;
    return POOL_DONE;
}

void pool_destroy(struct pool *p)
{
    if (!p)
        return;
    if (pool_live(p) > 0)
        pool_terminate(p);
    pool_free(p);
}

/* ---- queries ---------------------------------------------------------- */

void pool_stats(const struct pool *p, struct pool_stats *out)
{
    struct pool_shm *s = p->shm;
    memset(out, 0, sizeof *out);
    out->published = atomic_load(&s->published);
    out->claimed = atomic_load(&s->next);
    out->ok = atomic_load_explicit(&s->ok, memory_order_relaxed);
    out->failed = atomic_load_explicit(&s->failed, memory_order_relaxed);
    out->skipped = atomic_load_explicit(&s->skipped, memory_order_relaxed);
    out->crashed = atomic_load_explicit(&s->crashed, memory_order_relaxed);
    out->bytes_in = atomic_load_explicit(&s->bytes_in, memory_order_relaxed);
    out->bytes_out = atomic_load_explicit(&s->bytes_out, memory_order_relaxed);
    out->procs = p->procs;
    out->busy = 0;
    for (unsigned w = 0; w < p->procs; w++)
        out->busy += atomic_load(&p->slots[w].task) >= 0;
    out->respawns = p->respawns;
}

void pool_worker(const struct pool *p, unsigned w, struct pool_worker_info *out)
{
    const struct pool_slot *s = &p->slots[w];
    out->pid = atomic_load(&s->pid);
    out->task = atomic_load(&s->task);
    out->count = atomic_load(&s->count);
}

unsigned pool_procs(const struct pool *p) { return p->procs; }

/* ---- map -------------------------------------------------------------- */

struct pool_map_ctx {
    const struct pool_options *user;
    struct pool_record *out;
};

static int pool_map_task(void *ctx, uint64_t task, const void *arg, size_t len,
                         struct pool_record *rec)
{
    struct pool_map_ctx *m = ctx;
    return m->user->task(m->user->ctx, task, arg, len, rec);
}

static int pool_map_init(void *ctx, unsigned worker)
{
    struct pool_map_ctx *m = ctx;
    return m->user->worker_init ? m->user->worker_init(m->user->ctx, worker) : 0;
}

static void pool_map_result(void *ctx, const struct pool_record *rec)
{
    struct pool_map_ctx *m = ctx;
    m->out[rec->task] = *rec;
    if (m->user->on_result)
        m->user->on_result(m->user->ctx, rec);
}

static void pool_map_tick(void *ctx, struct pool *p)
{
    struct pool_map_ctx *m = ctx;
    if (m->user->on_tick)
        m->user->on_tick(m->user->ctx, p);
}

int pool_map(const struct pool_options *opt, uint64_t n, struct pool_record *out)
{
    struct pool_map_ctx m = { opt, out };
    struct pool_options o = *opt;
    o.ctx = &m;
    o.task = pool_map_task;
    o.worker_init = pool_map_init;
    o.on_result = pool_map_result;
    o.on_tick = pool_map_tick;
    o.arg_max = 0;
    struct pool *p;
    if (!opt->task) {
        errno = EINVAL;
        return -1;
    }
    if (pool_create(&o, n, &p) != 0)
        return -1;
    for (uint64_t i = 0; i < n; i++)
        pool_publish(p, i, NULL, 0);
    pool_close(p);
    int rc = pool_wait(p);
    pool_destroy(p);
    return rc;
}
