/* shared-memory.c — demo 11: Value and Array shared with a child process,
 * then the classic lost update: several processes increment one shared
 * counter, without and with a lock.
 *
 * Shared memory is an anonymous MAP_SHARED mapping made before fork(): the
 * only memory parent and children still share after fork. The lock is a
 * process-shared POSIX semaphore inside that mapping, as multiprocessing.Lock
 * is; every wait on it is bounded (a child that died holding it must not hang
 * the others). */
#include "demo.h"

#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { P_PROCS, P_MS, P_N, P_YIELD };

#define SHARED_MEMORY_MAX_PROCS 32

struct demo_shared_memory_area {
    double value;              /* Value('d', 0.0) */
    int array[3];              /* Array('i', [2, 4, 13]) */
    volatile long counter;     /* the contested counter */
    long added[SHARED_MEMORY_MAX_PROCS];   /* += done by each child, by its own count */
    sem_t lock;                /* Lock() */
    struct demo_start start;   /* the children begin together */
};

/* demo:core */
/* Python: def f(n, a): n.value = 3.1415927; for i in range(len(a)): a[i] = -a[i] */
static void demo_shared_memory_change(struct demo_shared_memory_area *s)
{
    s->value = 3.1415927;
    for (int i = 0; i < 3; i++)
        s->array[i] = -s->array[i];
}

/* Adds 1 to the shared counter n times, or (n == 0) for ms milliseconds;
 * with the lock, each += is alone. yield: give the CPU away between the read
 * and the write (--yield). How many it added, by its own count, or -1. */
static long demo_shared_memory_increment(struct demo_ctx *ctx,
                                         struct demo_shared_memory_area *s, unsigned row,
                                         long n, int locked, int yield)
{
    if (demo_start_wait(&s->start, (unsigned)ctx->val[P_PROCS]) != 0)
        return -1;                           /* all children start together */
    int64_t t0 = clock_now_ns(), until = t0 + ctx->val[P_MS] * 1000000;
    long i = 0;
    for (; n ? i < n : (i & 1023) || clock_now_ns() < until; i++) {
        int64_t asked = locked ? clock_now_ns() : 0;
        if (locked && demo_sem_wait(&s->lock) != 0)
            return -1;
        int64_t got = locked ? clock_now_ns() : 0;
        long v = s->counter;                 /* read */
        if (yield)
            sched_yield();                   /* another process may run here */
        s->counter = v + 1;                  /* add, write: lost if someone wrote since */
        if (locked) {
            sem_post(&s->lock);
            if (got - asked > 10000)         /* record only real waits */
                demo_span(ctx, row, DEMO_WAIT_LOCK, asked, got);
            demo_span(ctx, row, DEMO_HELD_LOCK, got, clock_now_ns());   /* merged runs */
        }
    }
    if (!locked)
        demo_span(ctx, row, DEMO_RAN, t0, clock_now_ns());
    return i;
}

/* Starts procs children that each add n, waits for them; the final count. */
static long demo_shared_memory_race(struct demo_ctx *ctx, struct demo_shared_memory_area *s,
                                    long n, int locked, long *want)
{
    unsigned procs = (unsigned)ctx->val[P_PROCS];
    s->counter = 0;
    demo_start_init(&s->start);
    pid_t pid[SHARED_MEMORY_MAX_PROCS];
    unsigned started = 0;
    for (; started < procs; started++) {
        unsigned row = (locked ? procs : 0) + started;
        if ((pid[started] = demo_fork(ctx)) < 0)
            break;
        if (pid[started] == 0) {
            char label[32];
            snprintf(label, sizeof label, "%s %d",
                     locked ? demo_tr(ctx, "lock", "Lock") : demo_tr(ctx, "no lock", "ohne Lock"),
                     getpid());
            demo_row(ctx, row, getpid(), getpid(), label);
            int yield = ctx->val[P_YIELD] != 0;
            s->added[started] = demo_shared_memory_increment(ctx, s, row, n, locked, yield);
            demo_child_exit(s->added[started] < 0 ? 1 : 0);
        }
    }
    int failed = started < procs;
    *want = 0;
    for (unsigned i = 0; i < started; i++) {
        failed |= demo_reap(ctx, pid[i]) != 0;
        *want += s->added[i];
    }
    return failed ? -1 : s->counter;
}
/* demo:end */

static void demo_shared_memory_print_array(const struct demo_ctx *ctx, int after,
                                 const struct demo_shared_memory_area *s)
{
    printf("%s value = %.7f, array = [%d, %d, %d]\n",
           after ? demo_tr(ctx, "parent, after child: ", "Elternprozess, nach Kind:   ")
                 : demo_tr(ctx, "parent, before:      ", "Elternprozess, vorher:      "),
           s->value, s->array[0], s->array[1], s->array[2]);
}

static int demo_shared_memory_values(const struct demo_ctx *ctx, struct demo_shared_memory_area *s)
{
    demo_shared_memory_print_array(ctx, 0, s);
    pid_t pid = demo_fork(ctx);
    if (pid < 0)
        return -1;
    if (pid == 0) {
        demo_shared_memory_change(s);
        demo_child_exit(0);
    }
    if (demo_reap(ctx, pid) != 0)
        return -1;
    demo_shared_memory_print_array(ctx, 1, s);
    return 0;
}

static int demo_shared_memory_run(struct demo_ctx *ctx)
{
    unsigned procs = (unsigned)ctx->val[P_PROCS];
    long n = (long)ctx->val[P_N];
    struct demo_shared_memory_area *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) {
        demo_complain(ctx, "mmap: %s\n", "mmap: %s\n", strerror(errno));
        return 1;
    }
    *s = (struct demo_shared_memory_area){ .value = 0.0, .array = { 2, 4, 13 } };
    int rc = sem_init(&s->lock, 1, 1) == 0 ? 0 : 1;
    if (rc == 0)
        rc = demo_shared_memory_values(ctx, s) != 0;
    demo_rows(ctx, 2 * procs);
    for (int locked = 0; locked <= 1 && rc == 0; locked++) {
        long want;
        long got = demo_shared_memory_race(ctx, s, n, locked, &want);
        if (got < 0) {
            rc = 1;
            break;
        }
        printf(demo_tr(ctx, "%-13s counter = %ld, expected %ld (%ld updates lost)\n",
                       "%-13s Zähler = %ld, erwartet %ld (%ld Aktualisierungen verloren)\n"),
               locked ? demo_tr(ctx, "with lock:", "mit Lock:")
                      : demo_tr(ctx, "without lock:", "ohne Lock:"),
               got, want, want - got);
        if (locked && got != want)
            rc = 1;
    }
    sem_destroy(&s->lock);
    munmap(s, sizeof *s);
    return rc;
}

const struct demo demo_shared_memory = {
    .name = "shared-memory",
    .summary = { "Value and Array shared with a child; lost updates on a shared counter",
                 "Value und Array mit einem Kindprozess geteilt; verlorene Aktualisierungen" },
    .intro = {
        "After fork() parent and child share no ordinary memory. Value and Array live\n"
        "in a shared mapping made before fork, so the child's changes are visible to\n"
        "the parent. Then several processes, started together, add 1 to one shared\n"
        "counter for 100 ms, each counting its own additions: counter += 1 is read,\n"
        "add, write, and without a lock updates get lost (a lost update).\n",
        "Nach fork() teilen Eltern- und Kindprozess keinen gewöhnlichen Speicher. Value\n"
        "und Array liegen in einem vor fork angelegten gemeinsamen Speicherbereich,\n"
        "daher sieht der Elternprozess die Änderungen des Kindprozesses. Dann addieren\n"
        "mehrere gleichzeitig gestartete Prozesse 100 ms lang 1 auf einen gemeinsamen\n"
        "Zähler und zählen dabei selbst mit: counter += 1 heißt lesen, addieren,\n"
        "schreiben; ohne Lock gehen Aktualisierungen verloren (Lost Update).\n" },
    .observe = {
        "- The child negated the array and set the value: the parent sees it.\n"
        "- Without the lock the counter ends short, by a different amount every run.\n"
        "- On one core (taskset -c 0) an update is lost only when the process is\n"
        "  switched out between read and write. In 100 ms that happens; with\n"
        "  --n 100000 each process finishes within one time slice and usually\n"
        "  nothing is lost. --yield 1 gives the CPU away right there: lost again.\n"
        "- With the lock it is exact, and much slower: every += waits its turn.\n",
        "- Der Kindprozess hat das Array negiert und den Wert gesetzt: der\n"
        "  Elternprozess sieht es.\n"
        "- Ohne Lock fehlt am Ende etwas, bei jedem Lauf anders viel.\n"
        "- Auf einem Kern (taskset -c 0) geht nur etwas verloren, wenn der Prozess\n"
        "  zwischen Lesen und Schreiben verdrängt wird. In 100 ms kommt das vor; mit\n"
        "  --n 100000 ist jeder Prozess in einer Zeitscheibe fertig, meist geht nichts\n"
        "  verloren. --yield 1 gibt genau dort die CPU ab: wieder Verluste.\n"
        "- Mit Lock stimmt der Zähler genau, und es ist viel langsamer: jedes +=\n"
        "  wartet, bis es an der Reihe ist.\n" },
    .python =
        "from multiprocessing import Process, Value, Array, Lock\n"
        "def f(n, a):\n"
        "    n.value = 3.1415927\n"
        "    for i in range(len(a)):\n"
        "        a[i] = -a[i]\n"
        "def add(counter, lock, times):\n"
        "    for _ in range(times):\n"
        "        with lock:                     # without it: lost updates\n"
        "            counter.value += 1\n"
        "if __name__ == '__main__':\n"
        "    num, arr = Value('d', 0.0), Array('i', [2, 4, 13])\n"
        "    p = Process(target=f, args=(num, arr)); p.start(); p.join()\n"
        "    print(num.value, arr[:])\n",
    .params = {
        { "procs", 4, 1, SHARED_MEMORY_MAX_PROCS, { "processes incrementing the counter",
          "Prozesse, die den Zähler erhöhen" } },
        { "ms", 100, 1, 60000, { "each process adds for this long (milliseconds)",
          "so lange addiert jeder Prozess (Millisekunden)" } },
        { "n", 0, 0, 100000000, { "instead: exactly this many increments per process",
          "stattdessen: genau so viele Additionen pro Prozess" } },
        { "yield", 0, 0, 1, { "1: sched_yield() between the read and the write of +=",
          "1: sched_yield() zwischen Lesen und Schreiben des +=" } },
    },
    .flags = DEMO_TIMELINE,
    .run = demo_shared_memory_run,
};
