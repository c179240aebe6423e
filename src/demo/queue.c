/* queue.c — demo 13: several producers and consumers on one queue, then
 * messages per second through a pipe vs through the queue.
 *
 * The queue is a bounded ring buffer in a shared mapping with three
 * process-shared semaphores (free slots, items, a mutex): the textbook
 * design, and close to what multiprocessing.Queue does minus its pipe, feeder
 * thread and pickling. Every semaphore wait has a timeout, so a dead peer
 * turns into an error instead of a hang. Consumers stop at a sentinel, one
 * per consumer, put after all producers are done. */
#include "demo.h"

#include <errno.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { P_PRODUCERS, P_CONSUMERS, P_MESSAGES, P_COUNT };

#define QUEUE_CAP 64
#define QUEUE_MAX_PROCS 16
#define QUEUE_TIMEOUT_S 10
#define QUEUE_STOP UINT32_MAX   /* sentinel producer id */

struct demo_queue_msg {
    uint32_t producer, seq;
};

struct demo_queue_shm {
    sem_t slots, items, mutex;
    unsigned head, tail;                 /* under mutex */
    struct demo_queue_msg buf[QUEUE_CAP];
    atomic_uint got[QUEUE_MAX_PROCS];    /* messages taken, per consumer */
    atomic_uint seen[];                  /* deliveries per (producer, seq) */
};

static int demo_queue_wait(sem_t *s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += QUEUE_TIMEOUT_S;
    while (sem_timedwait(s, &until) != 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

/* demo:core */
static int demo_queue_put(struct demo_queue_shm *q, struct demo_queue_msg m)
{
    if (demo_queue_wait(&q->slots) != 0 || demo_queue_wait(&q->mutex) != 0)   /* room? then lock */
        return -1;
    q->buf[q->tail++ % QUEUE_CAP] = m;
    sem_post(&q->mutex);
    sem_post(&q->items);                                             /* wake a consumer */
    return 0;
}

static int demo_queue_get(struct demo_queue_shm *q, struct demo_queue_msg *m)
{
    if (demo_queue_wait(&q->items) != 0 || demo_queue_wait(&q->mutex) != 0)   /* item? then lock */
        return -1;
    *m = q->buf[q->head++ % QUEUE_CAP];
    sem_post(&q->mutex);
    sem_post(&q->slots);                                             /* wake a producer */
    return 0;
}

static int demo_queue_producer(struct demo_queue_shm *q, unsigned id, unsigned n)
{
    for (unsigned seq = 0; seq < n; seq++)
        if (demo_queue_put(q, (struct demo_queue_msg){ id, seq }) != 0)
            return -1;
    printf("producer %u (pid %d): put %u messages\n", id, getpid(), n);
    return 0;
}

static int demo_queue_consumer(struct demo_queue_shm *q, unsigned id, unsigned per_producer)
{
    struct demo_queue_msg m;
    for (;;) {
        if (demo_queue_get(q, &m) != 0)
            return -1;
        if (m.producer == QUEUE_STOP)
            break;
        atomic_fetch_add(&q->seen[m.producer * per_producer + m.seq], 1);
        atomic_fetch_add(&q->got[id], 1);
    }
    printf("consumer %u (pid %d): got %u messages\n", id, getpid(), atomic_load(&q->got[id]));
    return 0;
}
/* demo:end */

static struct demo_queue_shm *demo_queue_create(size_t nseen, size_t *size)
{
    *size = sizeof(struct demo_queue_shm) + nseen * sizeof(atomic_uint);
    struct demo_queue_shm *q = mmap(NULL, *size, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) {
        fprintf(stderr, "imgpool demo: mmap: %s\n", strerror(errno));
        return NULL;
    }
    sem_init(&q->slots, 1, QUEUE_CAP);   /* the mapping starts zeroed */
    sem_init(&q->items, 1, 0);
    sem_init(&q->mutex, 1, 1);
    return q;
}

static void demo_queue_destroy(struct demo_queue_shm *q, size_t size)
{
    sem_destroy(&q->slots);
    sem_destroy(&q->items);
    sem_destroy(&q->mutex);
    munmap(q, size);
}

/* Forks a child on `row` running producer (or consumer) `id`; its pid or -1. */
static pid_t demo_queue_spawn(struct demo_ctx *ctx, struct demo_queue_shm *q, unsigned row,
                         int producer, unsigned id, unsigned per_producer)
{
    pid_t pid = demo_fork();
    if (pid != 0)
        return pid;
    char label[32];
    snprintf(label, sizeof label, "%s %u", producer ? "producer" : "consumer", id);
    demo_row(ctx, row, getpid(), getpid(), label);
    int64_t t = clock_now_ns();
    int rc = producer ? demo_queue_producer(q, id, per_producer)
                      : demo_queue_consumer(q, id, per_producer);
    demo_span(ctx, row, DEMO_RAN, t, clock_now_ns());
    demo_child_exit(rc ? 1 : 0);
}

/* Part 1: P producers, C consumers; checks every message came exactly once. */
static int demo_queue_many(struct demo_ctx *ctx, unsigned np, unsigned nc, unsigned per)
{
    size_t size;
    struct demo_queue_shm *q = demo_queue_create((size_t)np * per, &size);
    if (!q)
        return -1;
    demo_rows(ctx, np + nc);
    pid_t pid[2 * QUEUE_MAX_PROCS];
    unsigned n = 0;
    int failed = 0;
    for (unsigned i = 0; i < nc && !failed; i++)
        failed = (pid[n++] = demo_queue_spawn(ctx, q, np + i, 0, i, per)) < 0;
    for (unsigned i = 0; i < np && !failed; i++)
        failed = (pid[n++] = demo_queue_spawn(ctx, q, i, 1, i, per)) < 0;
    n -= failed;
    for (unsigned i = nc; i < n; i++)          /* producers first ... */
        failed |= demo_reap(pid[i]) != 0;
    for (unsigned i = 0; i < nc; i++)          /* ... then one sentinel per consumer */
        failed |= demo_queue_put(q, (struct demo_queue_msg){ QUEUE_STOP, 0 }) != 0;
    for (unsigned i = 0; i < nc && i < n; i++)
        failed |= demo_reap(pid[i]) != 0;
    size_t once = 0, total = (size_t)np * per;
    for (size_t i = 0; i < total; i++)
        once += atomic_load(&q->seen[i]) == 1;
    if (once == total && !failed)
        printf("all %zu messages delivered exactly once\n", total);
    else
        printf("PROBLEM: %zu of %zu messages delivered exactly once\n", once, total);
    demo_queue_destroy(q, size);
    return once == total && !failed ? 0 : -1;
}

/* Part 2: a child sends `count` messages in order, the parent receives and
 * checks them, through a pipe (use_queue 0) or the queue. Messages/s or -1. */
static double demo_queue_rate(unsigned count, int use_queue)
{
    size_t size;
    struct demo_queue_shm *q = demo_queue_create(0, &size);
    int fd[2];
    if (!q || pipe(fd) != 0) {
        if (q)
            demo_queue_destroy(q, size);
        return -1;
    }
    int64_t t = clock_now_ns();
    pid_t pid = demo_fork();
    if (pid == 0) {
        close(fd[0]);
        for (unsigned i = 0; i < count; i++) {
            struct demo_queue_msg m = { 0, i };
            if (use_queue ? demo_queue_put(q, m) != 0 : write(fd[1], &m, sizeof m) != sizeof m)
                demo_child_exit(1);
        }
        demo_child_exit(0);
    }
    close(fd[1]);
    unsigned i = 0;
    for (struct demo_queue_msg m; pid > 0 && i < count; i++) {
        int ok = use_queue ? demo_queue_get(q, &m) == 0 : read(fd[0], &m, sizeof m) == sizeof m;
        if (!ok || m.seq != i)
            break;
    }
    int64_t ns = clock_now_ns() - t;
    close(fd[0]);
    int reaped = pid > 0 && demo_reap(pid) == 0;
    demo_queue_destroy(q, size);
    return reaped && i == count ? count / (ns / 1e9) : -1;
}

static int demo_queue_run(struct demo_ctx *ctx)
{
    if (demo_queue_many(ctx, (unsigned)ctx->val[P_PRODUCERS], (unsigned)ctx->val[P_CONSUMERS],
                   (unsigned)ctx->val[P_MESSAGES]) != 0)
        return 1;
    unsigned count = (unsigned)ctx->val[P_COUNT];
    printf("\n%s %u %s\n", demo_tr(ctx, "throughput, one producer to one consumer,",
                                   "Durchsatz, ein Produzent an einen Konsumenten,"),
           count, demo_tr(ctx, "messages:", "Nachrichten:"));
    double pipe_rate = demo_queue_rate(count, 0);
    double queue_rate = demo_queue_rate(count, 1);
    if (pipe_rate < 0 || queue_rate < 0) {
        fprintf(stderr, "imgpool demo: a throughput run lost or reordered messages\n");
        return 1;
    }
    printf("pipe:  %10.0f messages/s (all %u in order)\n", pipe_rate, count);
    printf("queue: %10.0f messages/s (all %u in order)\n", queue_rate, count);
    printf("%s\n", queue_rate < pipe_rate
                       ? demo_tr(ctx, "here the queue is slower than the pipe",
                                 "hier ist die Queue langsamer als die Pipe")
                       : demo_tr(ctx, "here the queue is faster than the pipe",
                                 "hier ist die Queue schneller als die Pipe"));
    return 0;
}

const struct demo demo_queue = {
    .name = "queue",
    .summary = { "producers and consumers on one queue; pipe vs queue throughput",
                 "Produzenten und Konsumenten an einer Queue; Durchsatz Pipe vs. Queue" },
    .intro = {
        "A queue lets any number of processes put messages and any number take them;\n"
        "each message goes to exactly one taker. Here: producers and consumers on one\n"
        "bounded queue in shared memory, guarded by semaphores. Then the slide's claim,\n"
        "measured: are queues slower than pipes?\n",
        "Eine Queue erlaubt beliebig vielen Prozessen, Nachrichten einzustellen und zu\n"
        "entnehmen; jede Nachricht bekommt genau ein Abnehmer. Hier: Produzenten und\n"
        "Konsumenten an einer begrenzten Queue im gemeinsamen Speicher, mit Semaphoren\n"
        "geschützt. Dann die Behauptung der Folie, gemessen: sind Queues langsamer?\n" },
    .observe = {
        "- The consumers share the messages unevenly, but together get each once.\n"
        "- Python's Queue is a pipe plus a lock, a feeder thread and pickling: more\n"
        "  work per message than a bare pipe, so there it is slower. This queue is\n"
        "  shared memory: a message costs no system call unless a side must sleep,\n"
        "  while the pipe costs a write() and a read(). Which wins depends on how\n"
        "  often the semaphores sleep: run it a few times, try --count.\n",
        "- Die Konsumenten teilen sich die Nachrichten ungleich, zusammen aber jede\n"
        "  genau einmal.\n"
        "- Pythons Queue ist eine Pipe plus Lock, Feeder-Thread und Pickle: mehr Arbeit\n"
        "  pro Nachricht als eine nackte Pipe, dort also langsamer. Diese Queue ist\n"
        "  gemeinsamer Speicher: eine Nachricht kostet keinen Systemaufruf, solange\n"
        "  niemand schlafen muss; die Pipe kostet write() und read(). Wer gewinnt, hängt\n"
        "  davon ab, wie oft die Semaphoren schlafen: mehrmals laufen lassen, --count.\n" },
    .params = {
        { "producers", 3, 1, QUEUE_MAX_PROCS, "producer processes" },
        { "consumers", 2, 1, QUEUE_MAX_PROCS, "consumer processes" },
        { "messages", 1000, 1, 1000000, "messages per producer" },
        { "count", 100000, 1, 10000000, "messages for the throughput test" },
    },
    .flags = DEMO_TIMELINE,
    .run = demo_queue_run,
};
