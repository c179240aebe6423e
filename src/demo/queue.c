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
#define QUEUE_STOP UINT32_MAX   /* sentinel producer id */

struct demo_queue_msg {
    uint32_t producer, seq;
};

struct demo_queue_shm {
    sem_t slots, items, mutex;
    sem_t rlock, wlock;                  /* the Python-style queue's pipe ends */
    unsigned head, tail;                 /* under mutex */
    struct demo_queue_msg buf[QUEUE_CAP];
    atomic_uint got[QUEUE_MAX_PROCS];    /* messages taken, per consumer */
    atomic_uint seen[];                  /* deliveries per (producer, seq) */
};

/* demo:core */
static int demo_queue_put(struct demo_queue_shm *q, struct demo_queue_msg m)
{
    if (demo_sem_wait(&q->slots) != 0 || demo_sem_wait(&q->mutex) != 0)   /* room? then lock */
        return -1;
    q->buf[q->tail++ % QUEUE_CAP] = m;
    sem_post(&q->mutex);
    sem_post(&q->items);                                             /* wake a consumer */
    return 0;
}

static int demo_queue_get(struct demo_queue_shm *q, struct demo_queue_msg *m)
{
    if (demo_sem_wait(&q->items) != 0 || demo_sem_wait(&q->mutex) != 0)   /* item? then lock */
        return -1;
    *m = q->buf[q->head++ % QUEUE_CAP];
    sem_post(&q->mutex);
    sem_post(&q->slots);                                             /* wake a producer */
    return 0;
}

static int demo_queue_producer(const struct demo_ctx *ctx, struct demo_queue_shm *q,
                               unsigned id, unsigned n)
{
    for (unsigned seq = 0; seq < n; seq++)
        if (demo_queue_put(q, (struct demo_queue_msg){ id, seq }) != 0)
            return -1;
    demo_say(ctx, "producer %u (pid %d): put %u messages\n",
             "Produzent %u (PID %d): %u Nachrichten eingestellt\n", id, getpid(), n);
    return 0;
}

static int demo_queue_consumer(const struct demo_ctx *ctx, struct demo_queue_shm *q,
                               unsigned id, unsigned per_producer)
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
    demo_say(ctx, "consumer %u (pid %d): got %u messages\n",
             "Konsument %u (PID %d): %u Nachrichten erhalten\n", id, getpid(),
             atomic_load(&q->got[id]));
    return 0;
}
/* demo:end */

static struct demo_queue_shm *demo_queue_create(const struct demo_ctx *ctx, size_t nseen,
                                                 size_t *size)
{
    *size = sizeof(struct demo_queue_shm) + nseen * sizeof(atomic_uint);
    struct demo_queue_shm *q = mmap(NULL, *size, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (q == MAP_FAILED) {
        demo_complain(ctx, "cannot map shared memory (mmap): %s\n",
                      "kann keinen gemeinsamen Speicher anlegen (mmap): %s\n", strerror(errno));
        return NULL;
    }
    sem_init(&q->slots, 1, QUEUE_CAP);   /* the mapping starts zeroed */
    sem_init(&q->items, 1, 0);
    sem_init(&q->mutex, 1, 1);
    sem_init(&q->rlock, 1, 1);
    sem_init(&q->wlock, 1, 1);
    return q;
}

static void demo_queue_destroy(struct demo_queue_shm *q, size_t size)
{
    sem_destroy(&q->slots);
    sem_destroy(&q->items);
    sem_destroy(&q->mutex);
    sem_destroy(&q->rlock);
    sem_destroy(&q->wlock);
    munmap(q, size);
}

/* Forks a child on `row` running producer (or consumer) `id`; its pid or -1. */
static pid_t demo_queue_spawn(struct demo_ctx *ctx, struct demo_queue_shm *q, unsigned row,
                         int producer, unsigned id, unsigned per_producer)
{
    pid_t pid = demo_fork(ctx);
    if (pid != 0)
        return pid;
    char label[32];
    snprintf(label, sizeof label, "%s %u",
             producer ? demo_tr(ctx, "producer", "Produzent")
                      : demo_tr(ctx, "consumer", "Konsument"),
             id);
    demo_row(ctx, row, getpid(), getpid(), label);
    int64_t t = clock_now_ns();
    int rc = producer ? demo_queue_producer(ctx, q, id, per_producer)
                      : demo_queue_consumer(ctx, q, id, per_producer);
    demo_span(ctx, row, DEMO_RAN, t, clock_now_ns());
    demo_child_exit(rc ? 1 : 0);
}

/* Part 1: P producers, C consumers; checks every message came exactly once. */
static int demo_queue_many(struct demo_ctx *ctx, unsigned np, unsigned nc, unsigned per)
{
    size_t size;
    struct demo_queue_shm *q = demo_queue_create(ctx, (size_t)np * per, &size);
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
        failed |= demo_reap(ctx, pid[i]) != 0;
    for (unsigned i = 0; i < nc; i++)          /* ... then one sentinel per consumer */
        failed |= demo_queue_put(q, (struct demo_queue_msg){ QUEUE_STOP, 0 }) != 0;
    for (unsigned i = 0; i < nc && i < n; i++)
        failed |= demo_reap(ctx, pid[i]) != 0;
    size_t once = 0, total = (size_t)np * per;
    for (size_t i = 0; i < total; i++)
        once += atomic_load(&q->seen[i]) == 1;
    if (once == total && !failed)
        demo_say(ctx, "all %zu messages delivered exactly once\n",
                 "alle %zu Nachrichten genau einmal zugestellt\n", total);
    else
        demo_say(ctx, "PROBLEM: %zu of %zu messages delivered exactly once\n",
                 "PROBLEM: %zu von %zu Nachrichten genau einmal zugestellt\n", once, total);
    demo_queue_destroy(q, size);
    return once == total && !failed ? 0 : -1;
}

/* ---- a queue built as Python's multiprocessing.Queue is ----
 * put() appends to a buffer (a deque) under a thread lock and wakes a
 * feeder thread; the feeder pickles each message (here: copies it into a
 * length-prefixed record) and writes it to a pipe under a write lock shared
 * by all processes; get() takes the read lock, reads the length, then the
 * record, and unpickles it (copies it out). Per message that is two thread
 * lock rounds, a wake-up, two copies, two semaphore rounds, a write() and two
 * read()s: the same pipe, much more around it. */
struct demo_queue_py {
    struct demo_queue_shm *q;          /* its rlock and wlock */
    int rfd, wfd;
    pthread_mutex_t mu;                /* the buffer, in the putting process */
    pthread_cond_t more;
    struct demo_queue_msg *buf;
    size_t head, tail, cap;
    int closed, failed;
};

static int demo_queue_py_put(struct demo_queue_py *py, struct demo_queue_msg m)
{
    pthread_mutex_lock(&py->mu);
    if (py->tail == py->cap) {
        size_t cap = py->cap ? 2 * py->cap : 1024;
        struct demo_queue_msg *n = realloc(py->buf, cap * sizeof *n);
        if (!n) {
            pthread_mutex_unlock(&py->mu);
            return -1;
        }
        py->buf = n;
        py->cap = cap;
    }
    py->buf[py->tail++] = m;
    pthread_cond_signal(&py->more);    /* the feeder */
    pthread_mutex_unlock(&py->mu);
    return 0;
}

static void *demo_queue_py_feeder(void *p)
{
    struct demo_queue_py *py = p;
    for (;;) {
        pthread_mutex_lock(&py->mu);
        while (py->head == py->tail && !py->closed)
            pthread_cond_wait(&py->more, &py->mu);   /* the putter always closes */
        if (py->head == py->tail) {
            pthread_mutex_unlock(&py->mu);
            return NULL;
        }
        struct demo_queue_msg m = py->buf[py->head++];
        pthread_mutex_unlock(&py->mu);
        unsigned char rec[sizeof(uint32_t) + sizeof m];   /* "pickle": header, bytes */
        uint32_t len = sizeof m;
        memcpy(rec, &len, sizeof len);
        memcpy(rec + sizeof len, &m, sizeof m);
        if (demo_sem_wait(&py->q->wlock) != 0) {
            py->failed = 1;
            return NULL;
        }
        ssize_t w = write(py->wfd, rec, sizeof rec);
        sem_post(&py->q->wlock);
        if (w != (ssize_t)sizeof rec) {
            py->failed = 1;
            return NULL;
        }
    }
}

/* Reads exactly len bytes; 0 or -1. */
static int demo_queue_read(int fd, void *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        ssize_t r = read(fd, (char *)buf + got, len - got);
        if (r <= 0 && !(r < 0 && errno == EINTR))
            return -1;
        got += r > 0 ? (size_t)r : 0;
    }
    return 0;
}

static int demo_queue_py_get(struct demo_queue_py *py, struct demo_queue_msg *m)
{
    uint32_t len;
    unsigned char rec[sizeof *m];
    if (demo_sem_wait(&py->q->rlock) != 0)
        return -1;
    int rc = demo_queue_read(py->rfd, &len, sizeof len) == 0 && len == sizeof rec &&
             demo_queue_read(py->rfd, rec, len) == 0 ? 0 : -1;
    sem_post(&py->q->rlock);
    memcpy(m, rec, sizeof *m);         /* "unpickle" */
    return rc;
}

/* The putting child: a feeder thread, count puts, close, wait for the feeder. */
static int demo_queue_py_producer(const struct demo_ctx *ctx, struct demo_queue_py *py,
                                  unsigned count)
{
    pthread_t feeder;
    if (demo_thread_start(ctx, &feeder, demo_queue_py_feeder, py) != 0)
        return -1;
    int rc = 0;
    for (unsigned i = 0; i < count && rc == 0; i++)
        rc = demo_queue_py_put(py, (struct demo_queue_msg){ 0, i });
    pthread_mutex_lock(&py->mu);
    py->closed = 1;                    /* Queue.close(): the feeder drains, then ends */
    pthread_cond_signal(&py->more);
    pthread_mutex_unlock(&py->mu);
    pthread_join(feeder, NULL);        /* bounded: the reader drains the pipe */
    return rc || py->failed ? -1 : 0;
}

enum { QUEUE_VIA_PIPE, QUEUE_VIA_SHM, QUEUE_VIA_PY };

/* Part 2: a child sends `count` messages in order, the parent receives and
 * checks them, through a bare pipe, the shared-memory queue or the
 * Python-style queue. Messages/s, or -1. */
static double demo_queue_rate(const struct demo_ctx *ctx, unsigned count, int via)
{
    size_t size;
    struct demo_queue_shm *q = demo_queue_create(ctx, 0, &size);
    int fd[2];
    if (!q || pipe(fd) != 0) {
        if (q)
            demo_queue_destroy(q, size);
        return -1;
    }
    struct demo_queue_py py = { .q = q, .rfd = fd[0], .wfd = fd[1] };
    pthread_mutex_init(&py.mu, NULL);
    pthread_cond_init(&py.more, NULL);
    int64_t t = clock_now_ns();
    pid_t pid = demo_fork(ctx);
    if (pid == 0) {
        close(fd[0]);
        int rc = via == QUEUE_VIA_PY ? demo_queue_py_producer(ctx, &py, count) : 0;
        for (unsigned i = 0; via != QUEUE_VIA_PY && i < count && rc == 0; i++) {
            struct demo_queue_msg m = { 0, i };
            rc = via == QUEUE_VIA_SHM ? demo_queue_put(q, m)
                                      : write(fd[1], &m, sizeof m) == sizeof m ? 0 : -1;
        }
        demo_child_exit(rc ? 1 : 0);
    }
    close(fd[1]);
    unsigned i = 0;
    for (struct demo_queue_msg m; pid > 0 && i < count; i++) {
        int ok = via == QUEUE_VIA_SHM ? demo_queue_get(q, &m) == 0
                 : via == QUEUE_VIA_PY ? demo_queue_py_get(&py, &m) == 0
                                       : demo_queue_read(fd[0], &m, sizeof m) == 0;
        if (!ok || m.seq != i)
            break;
    }
    int64_t ns = clock_now_ns() - t;
    close(fd[0]);
    int reaped = pid > 0 && demo_reap(ctx, pid) == 0;
    pthread_cond_destroy(&py.more);
    pthread_mutex_destroy(&py.mu);
    demo_queue_destroy(q, size);
    return reaped && i == count ? count / (ns / 1e9) : -1;
}

static int demo_queue_run(struct demo_ctx *ctx)
{
    if (demo_queue_many(ctx, (unsigned)ctx->val[P_PRODUCERS], (unsigned)ctx->val[P_CONSUMERS],
                        (unsigned)ctx->val[P_MESSAGES]) != 0)
        return 1;
    unsigned count = (unsigned)ctx->val[P_COUNT];
    demo_say(ctx, "\nthroughput, one producer process to one consumer process, %u messages:\n",
             "\nDurchsatz, ein Produzentenprozess an einen Konsumentenprozess, %u Nachrichten:\n",
             count);
    static const struct demo_text via[] = {
        { "bare pipe (write, read)", "nackte Pipe (write, read)" },
        { "queue in shared memory", "Queue im gemeinsamen Speicher" },
        { "queue as Python builds it", "Queue wie in Python gebaut" },
    };
    double rate[3];
    for (int k = 0; k < 3; k++) {
        rate[k] = demo_queue_rate(ctx, count, k);
        if (rate[k] < 0) {
            demo_complain(ctx, "a throughput run lost or reordered messages\n",
                          "ein Durchsatzlauf hat Nachrichten verloren oder vertauscht\n");
            return 1;
        }
        demo_say(ctx, "  %-28s %10.0f messages/s (all %u in order)\n",
                 "  %-28s %10.0f Nachrichten/s (alle %u in Reihenfolge)\n",
                 demo_tr(ctx, via[k].en, via[k].de), rate[k], count);
    }
    demo_say(ctx, "here the Python-style queue is %.1fx %s than the pipe; the shared-memory\n"
                  "queue is %.1fx %s\n",
             "hier ist die Queue wie in Python %.1fx %s als die Pipe; die Queue im\n"
             "gemeinsamen Speicher %.1fx %s\n",
             rate[2] < rate[0] ? rate[0] / rate[2] : rate[2] / rate[0],
             rate[2] < rate[0] ? demo_tr(ctx, "slower", "langsamer")
                               : demo_tr(ctx, "faster", "schneller"),
             rate[1] < rate[0] ? rate[0] / rate[1] : rate[1] / rate[0],
             rate[1] < rate[0] ? demo_tr(ctx, "slower", "langsamer")
                               : demo_tr(ctx, "faster", "schneller"));
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
        "measured: are queues slower than pipes? Three ways from one process to\n"
        "another: a bare pipe, the shared-memory queue, and a queue built as Python's\n"
        "multiprocessing.Queue is (a pipe, a lock, a feeder thread, pickling).\n",
        "Eine Queue erlaubt beliebig vielen Prozessen, Nachrichten einzustellen und zu\n"
        "entnehmen; jede Nachricht bekommt genau einen Abnehmer. Hier: Produzenten und\n"
        "Konsumenten an einer begrenzten Queue im gemeinsamen Speicher, mit Semaphoren\n"
        "geschützt. Dann die Behauptung der Folie, gemessen: sind Queues langsamer als\n"
        "Pipes? Drei Wege von einem Prozess zum anderen: eine nackte Pipe, die Queue im\n"
        "gemeinsamen Speicher und eine Queue, gebaut wie Pythons multiprocessing.Queue\n"
        "(eine Pipe, ein Lock, ein Feeder-Thread, Pickle).\n" },
    .observe = {
        "- The consumers share the messages unevenly, but together get each once.\n"
        "- Python's Queue is that pipe plus more per message: put() appends to a\n"
        "  buffer under a lock and wakes a feeder thread, which pickles the message\n"
        "  and writes it under a second lock; get() takes a third lock and reads the\n"
        "  length, then the bytes, and unpickles them. So in Python the slide holds:\n"
        "  the queue is slower than the pipe it is built on.\n"
        "- A queue need not be slower: the shared-memory one costs no system call\n"
        "  unless a side must sleep. Which of it and the pipe wins depends on how\n"
        "  often the semaphores sleep: run it a few times, try --count.\n",
        "- Die Konsumenten teilen sich die Nachrichten ungleich, zusammen aber bekommen\n"
        "  sie jede genau einmal.\n"
        "- Pythons Queue ist diese Pipe plus mehr Arbeit pro Nachricht: put() hängt sie\n"
        "  unter einem Lock an einen Puffer und weckt einen Feeder-Thread, der sie\n"
        "  pickelt und unter einem zweiten Lock schreibt; get() nimmt ein drittes Lock,\n"
        "  liest die Länge, dann die Bytes und entpickelt sie. In Python stimmt die\n"
        "  Folie also: die Queue ist langsamer als die Pipe, auf der sie aufbaut.\n"
        "- Eine Queue muss nicht langsamer sein: die im gemeinsamen Speicher kostet\n"
        "  keinen Systemaufruf, solange niemand schlafen muss. Ob sie oder die Pipe\n"
        "  gewinnt, hängt davon ab, wie oft die Semaphoren schlafen: mehrmals laufen\n"
        "  lassen, --count probieren.\n" },
    .python =
        "from multiprocessing import Process, Queue\n"
        "def producer(q, n):\n"
        "    for i in range(n):\n"
        "        q.put(i)\n"
        "def consumer(q):\n"
        "    while (item := q.get()) is not None:\n"
        "        pass\n"
        "if __name__ == '__main__':\n"
        "    q = Queue()\n"
        "    ps = [Process(target=producer, args=(q, 1000)) for _ in range(3)]\n"
        "    cs = [Process(target=consumer, args=(q,)) for _ in range(2)]\n"
        "    for p in ps + cs: p.start()\n"
        "    for p in ps: p.join()\n"
        "    for c in cs: q.put(None)           # one sentinel per consumer\n"
        "    for c in cs: c.join()\n",
    .params = {
        { "producers", 3, 1, QUEUE_MAX_PROCS, { "producer processes",
          "Produzentenprozesse" } },
        { "consumers", 2, 1, QUEUE_MAX_PROCS, { "consumer processes",
          "Konsumentenprozesse" } },
        { "messages", 1000, 1, 1000000, { "messages per producer",
          "Nachrichten pro Produzent" } },
        { "count", 100000, 1, 10000000, { "messages for the throughput test",
          "Nachrichten für die Durchsatzmessung" } },
    },
    .flags = DEMO_TIMELINE,
    .run = demo_queue_run,
};
