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
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { P_PROCS, P_N };

#define SHM_MAX_PROCS 32
#define SHM_LOCK_TIMEOUT_S 10

struct shm_area {
    double value;              /* Value('d', 0.0) */
    int array[3];              /* Array('i', [2, 4, 13]) */
    volatile long counter;     /* the contested counter */
    sem_t lock;                /* Lock() */
};

static int shm_lock(struct shm_area *s)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += SHM_LOCK_TIMEOUT_S;
    while (sem_timedwait(&s->lock, &until) != 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

/* demo:core */
/* Python: def f(n, a): n.value = 3.1415927; for i in range(len(a)): a[i] = -a[i] */
static void shm_change(struct shm_area *s)
{
    s->value = 3.1415927;
    for (int i = 0; i < 3; i++)
        s->array[i] = -s->array[i];
}

/* Adds 1 to the shared counter n times; with the lock, each += is alone. */
static int shm_increment(struct demo_ctx *ctx, struct shm_area *s, unsigned row,
                         long n, int locked)
{
    int64_t t0 = clock_now_ns();
    for (long i = 0; i < n; i++) {
        if (locked) {
            int64_t asked = clock_now_ns();
            if (shm_lock(s) != 0)
                return -1;
            int64_t got = clock_now_ns();
            s->counter = s->counter + 1;     /* read, add, write: 3 steps */
            sem_post(&s->lock);
            if (got - asked > 10000)         /* record only real waits */
                demo_span(ctx, row, DEMO_WAIT_LOCK, asked, got);
            demo_span(ctx, row, DEMO_RAN, got, clock_now_ns());   /* merged runs */
        } else {
            s->counter = s->counter + 1;     /* the same 3 steps, unprotected */
        }
    }
    if (!locked)
        demo_span(ctx, row, DEMO_RAN, t0, clock_now_ns());
    return 0;
}

/* Starts procs children that each add n, waits for them; the final count. */
static long shm_race(struct demo_ctx *ctx, struct shm_area *s, unsigned procs, long n,
                     int locked)
{
    s->counter = 0;
    pid_t pid[SHM_MAX_PROCS];
    unsigned started = 0;
    for (; started < procs; started++) {
        unsigned row = (locked ? procs : 0) + started;
        if ((pid[started] = demo_fork()) < 0)
            break;
        if (pid[started] == 0) {
            char label[32];
            snprintf(label, sizeof label, "%s %d", locked ? "lock" : "no lock", getpid());
            demo_row(ctx, row, getpid(), getpid(), label);
            demo_child_exit(shm_increment(ctx, s, row, n, locked) ? 1 : 0);
        }
    }
    int failed = started < procs;
    for (unsigned i = 0; i < started; i++)
        failed |= demo_reap(pid[i]) != 0;
    return failed ? -1 : s->counter;
}
/* demo:end */

static void shm_print_array(const char *when, const struct shm_area *s)
{
    printf("%s value = %.7f, array = [%d, %d, %d]\n", when, s->value, s->array[0],
           s->array[1], s->array[2]);
}

static int shm_values(struct shm_area *s)
{
    shm_print_array("parent, before:     ", s);
    pid_t pid = demo_fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        shm_change(s);
        demo_child_exit(0);
    }
    if (demo_reap(pid) != 0)
        return -1;
    shm_print_array("parent, after child:", s);
    return 0;
}

static int shm_run(struct demo_ctx *ctx)
{
    unsigned procs = (unsigned)ctx->val[P_PROCS];
    long n = (long)ctx->val[P_N];
    struct shm_area *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
                              MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) {
        fprintf(stderr, "imgpool demo: mmap: %s\n", strerror(errno));
        return 1;
    }
    *s = (struct shm_area){ .value = 0.0, .array = { 2, 4, 13 } };
    int rc = sem_init(&s->lock, 1, 1) == 0 ? 0 : 1;
    if (rc == 0)
        rc = shm_values(s) != 0;
    demo_rows(ctx, 2 * procs);
    long want = (long)procs * n;
    for (int locked = 0; locked <= 1 && rc == 0; locked++) {
        long got = shm_race(ctx, s, procs, n, locked);
        if (got < 0) {
            rc = 1;
            break;
        }
        printf("%-13s counter = %ld, expected %ld (%ld updates lost)\n",
               locked ? "with lock:" : "without lock:", got, want, want - got);
        if (locked && got != want)
            rc = 1;
    }
    sem_destroy(&s->lock);
    munmap(s, sizeof *s);
    return rc;
}

const struct demo demo_shared_memory = {
    .name = "shared-memory",
    .summary = { "Value and Array shared with a child; the lost-update race",
                 "Value und Array mit einem Kind geteilt; das Lost-Update-Rennen" },
    .intro = {
        "After fork() parent and child share no ordinary memory. Value and Array live\n"
        "in a shared mapping made before fork, so the child's changes are visible to\n"
        "the parent. Then several processes each add 1 to one shared counter, n times:\n"
        "counter += 1 is read, add, write, and without a lock updates get lost.\n",
        "Nach fork() teilen Eltern und Kind keinen gewöhnlichen Speicher. Value und\n"
        "Array liegen in einem vor fork angelegten gemeinsamen Speicherbereich, daher\n"
        "sieht der Elternteil die Änderungen des Kindes. Dann addieren mehrere Prozesse\n"
        "je n-mal 1 auf einen gemeinsamen Zähler: lesen, addieren, schreiben; ohne Lock\n"
        "gehen Updates verloren.\n" },
    .observe = {
        "- The child negated the array and set the value: the parent sees it.\n"
        "- Without the lock the counter ends short, by a different amount every run\n"
        "  (on one core the loss is rare: the race needs a switch mid-update).\n"
        "- With the lock it is exact, and much slower: every += waits its turn.\n",
        "- Das Kind hat das Array negiert und den Wert gesetzt: der Elternteil sieht es.\n"
        "- Ohne Lock fehlt am Ende etwas, bei jedem Lauf anders viel (auf einem Kern\n"
        "  selten: das Rennen braucht einen Wechsel mitten im Update).\n"
        "- Mit Lock stimmt er genau, und es ist viel langsamer: jedes += wartet.\n" },
    .params = {
        { "procs", 4, 1, SHM_MAX_PROCS, "processes incrementing the counter" },
        { "n", 100000, 1, 100000000, "increments per process" },
    },
    .flags = DEMO_TIMELINE,
    .run = shm_run,
};
