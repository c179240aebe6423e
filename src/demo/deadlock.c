/* deadlock.c — two threads take two locks in opposite order: each holds one
 * and waits for the other's, for ever. Here not for ever: the second lock is
 * taken with pthread_mutex_timedlock, so after --timeout-ms both notice, say
 * so and let go. --fix makes both take the locks in one order. */
#include "demo.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

enum { P_HOLD_MS, P_TIMEOUT_MS, P_FIX };

struct demo_deadlock_arg {
    struct demo_ctx *ctx;
    struct demo_start *start;
    unsigned row;
    const char *name;
    pthread_mutex_t *first, *second;
    int first_no, second_no;      /* 1 or 2, for the messages */
    int stuck;                    /* result: gave up waiting for `second` */
};

/* Takes m within timeout_ms; 0, or ETIMEDOUT. Records the wait. */
static int demo_deadlock_take(struct demo_deadlock_arg *a, pthread_mutex_t *m, long timeout_ms)
{
    struct timespec until = demo_deadline(timeout_ms);
    int64_t t = clock_now_ns();
    int rc = pthread_mutex_timedlock(m, &until);
    demo_span(a->ctx, a->row, DEMO_WAIT_LOCK, t, clock_now_ns());
    return rc;
}

static void demo_deadlock_hold(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);   /* work done while holding the lock */
}

/* demo:core */
/* Python: with first: time.sleep(0.1); with second: ... */
static void *demo_deadlock_thread(void *p)
{
    struct demo_deadlock_arg *a = p;
    struct demo_ctx *ctx = a->ctx;
    long hold = (long)ctx->val[P_HOLD_MS], timeout = (long)ctx->val[P_TIMEOUT_MS];
    demo_row(ctx, a->row, getpid(), demo_tid(), a->name);
    demo_step_join(ctx, a->row);
    if (demo_start_wait(a->start, 2) != 0)
        goto out;
    if (ctx->step)
        demo_step(ctx, a->row, demo_tr(ctx, "%s wants lock %d", "%s will Lock %d"),
                  a->name, a->first_no);
    if (demo_deadlock_take(a, a->first, timeout) != 0) {   /* only with --fix can it wait */
        a->stuck = 1;
        goto out;
    }
    int64_t held = clock_now_ns();
    if (ctx->step)
        demo_step(ctx, a->row, demo_tr(ctx, "%s holds lock %d, wants lock %d",
                                       "%s hält Lock %d, will Lock %d"),
                  a->name, a->first_no, a->second_no);
    demo_deadlock_hold(hold);
    if (demo_deadlock_take(a, a->second, timeout) == 0) {
        demo_deadlock_hold(hold);
        pthread_mutex_unlock(a->second);
    } else {
        a->stuck = 1;   /* timed out: the other holds it and waits for ours */
    }
    if (ctx->step)
        demo_step(ctx, a->row, a->stuck ? demo_tr(ctx, "%s gives up after %ld ms, frees lock %d",
                                                  "%s gibt nach %ld ms auf, gibt Lock %d frei")
                                        : demo_tr(ctx, "%s is done after %ld ms, frees lock %d",
                                                  "%s ist nach %ld ms fertig, gibt Lock %d frei"),
                  a->name, (long)((clock_now_ns() - held) / 1000000), a->first_no);
    demo_span(ctx, a->row, DEMO_HELD_LOCK, held, clock_now_ns());
    pthread_mutex_unlock(a->first);
out:
    demo_step_leave(ctx, a->row);
    return NULL;
}

static int demo_deadlock_run(struct demo_ctx *ctx)
{
    int fix = ctx->val[P_FIX] != 0;
    pthread_mutex_t lock1 = PTHREAD_MUTEX_INITIALIZER, lock2 = PTHREAD_MUTEX_INITIALIZER;
    struct demo_start start;
    demo_start_init(&start);
    struct demo_deadlock_arg arg[2] = {
        { ctx, &start, 0, "a", &lock1, &lock2, 1, 2, 0 },
        fix ? (struct demo_deadlock_arg){ ctx, &start, 1, "b", &lock1, &lock2, 1, 2, 0 }
            : (struct demo_deadlock_arg){ ctx, &start, 1, "b", &lock2, &lock1, 2, 1, 0 },
    };
    demo_rows(ctx, 2);
    int64_t t = clock_now_ns();
    pthread_t th[2];
    int started = 0;
    while (started < 2 &&
           demo_thread_start(ctx, &th[started], demo_deadlock_thread, &arg[started]) == 0)
        started++;
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);   /* bounded: every wait inside has a timeout */
    long ms = (long)((clock_now_ns() - t) / 1000000);
    if (started < 2)
        return 1;
    for (int i = 0; i < 2; i++)
        demo_say(ctx, "thread %s: lock %d, then lock %d: %s\n",
                 "Thread %s: Lock %d, dann Lock %d: %s\n", arg[i].name, arg[i].first_no,
                 arg[i].second_no, arg[i].stuck
                     ? demo_tr(ctx, "gave up waiting", "hat das Warten aufgegeben")
                     : demo_tr(ctx, "got both", "hat beide bekommen"));
    int stuck = arg[0].stuck || arg[1].stuck;
    if (stuck)
        demo_say(ctx, "deadlock: each thread held one lock and waited for the other's;\n"
                      "detected after %lld ms by pthread_mutex_timedlock (%ld ms in all)\n",
                 "Verklemmung (Deadlock): jeder Thread hielt ein Lock und wartete auf das des\n"
                 "anderen; nach %lld ms von pthread_mutex_timedlock erkannt (%ld ms insgesamt)\n",
                 ctx->val[P_TIMEOUT_MS], ms);
    else
        demo_say(ctx, "no deadlock: both threads finished (%ld ms)\n",
                 "keine Verklemmung: beide Threads sind fertig (%ld ms)\n", ms);
    /* the lesson's outcome: a deadlock without --fix, none with it */
    return stuck == !fix ? 0 : 1;
}
/* demo:end */

const struct demo demo_deadlock = {
    .name = "deadlock",
    .summary = { "two threads take two locks in opposite order and hang; --fix",
                 "zwei Threads nehmen zwei Locks in umgekehrter Reihenfolge und hängen; --fix" },
    .intro = {
        "Thread a takes lock 1, then lock 2; thread b takes lock 2, then lock 1.\n"
        "Each holds its first lock for a moment, then waits for the other one, which\n"
        "the other thread holds while it waits for the first: neither can go on, for\n"
        "ever. Here the second lock is taken with a timeout, so the demo notices the\n"
        "deadlock and ends. --fix 1 makes both take lock 1 first.\n",
        "Thread a nimmt Lock 1, dann Lock 2; Thread b nimmt Lock 2, dann Lock 1. Jeder\n"
        "hält sein erstes Lock einen Moment und wartet dann auf das andere, das der\n"
        "andere Thread hält, während er auf das erste wartet: keiner kommt weiter,\n"
        "nie. Hier wird das zweite Lock mit Zeitlimit genommen, so bemerkt die Demo\n"
        "die Verklemmung und endet. --fix 1 lässt beide zuerst Lock 1 nehmen.\n" },
    .observe = {
        "- In the timeline (--timeline) both threads sleep holding their first lock\n"
        "  (z), then wait (.) side by side until the timeout: neither runs.\n"
        "- With --fix 1 the second thread waits for lock 1 once, then gets both: one\n"
        "  global order of locks makes a cycle of waits impossible.\n"
        "- --step shows it one step per Enter.\n",
        "- In der Zeitleiste (--timeline) schlafen beide Threads mit ihrem ersten\n"
        "  Lock (z) und warten dann (.) nebeneinander bis zum Zeitlimit: keiner läuft.\n"
        "- Mit --fix 1 wartet der zweite Thread einmal auf Lock 1 und bekommt dann\n"
        "  beide: eine feste Reihenfolge der Locks macht einen Kreis von Wartenden\n"
        "  unmöglich.\n"
        "- --step zeigt es Schritt für Schritt mit Enter.\n" },
    .python =
        "import threading, time\n"
        "lock1, lock2 = threading.Lock(), threading.Lock()\n"
        "def a():\n"
        "    with lock1:\n"
        "        time.sleep(0.1)\n"
        "        with lock2: pass\n"
        "def b():\n"
        "    with lock2:               # --fix: lock1 first here too\n"
        "        time.sleep(0.1)\n"
        "        with lock1: pass\n"
        "ta, tb = threading.Thread(target=a), threading.Thread(target=b)\n"
        "ta.start(); tb.start(); ta.join(); tb.join()   # never returns\n",
    .params = {
        { "hold-ms", 100, 0, 10000, { "each thread holds its first lock this long",
          "so lange hält jeder Thread sein erstes Lock" } },
        { "timeout-ms", 1000, 1, 60000, { "give up waiting for the second lock after",
          "Warten auf das zweite Lock nach so vielen ms aufgeben" } },
        { "fix", 0, 0, 1, { "1: both take lock 1 first",
          "1: beide nehmen zuerst Lock 1" } },
    },
    .flags = DEMO_TIMELINE | DEMO_STEP,
    .run = demo_deadlock_run,
};
