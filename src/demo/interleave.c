/* interleave.c — demo 2: two threads print "a" and "b" 20 times each, at
 * once. Also the engine of demo 4 (lock), which runs the same function with
 * a lock: the flag is the only difference, so the difference is the lesson. */
#include "demo.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

enum { P_N, P_DELAY };

struct demo_interleave_arg {
    struct demo_ctx *ctx;
    const char *text;
    unsigned n, row;
    long delay_us;
    pthread_mutex_t *lock;   /* NULL: print without the lock */
};

static void demo_interleave_pause(long us)
{
    struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
}

/* demo:core */
/* Python: def print_multiple(text, n): for i in range(n): print(text, end='')
 * With a lock this is print_multiple_locked: `with lock:` around the loop. */
static void *demo_interleave_print_multiple(void *p)
{
    struct demo_interleave_arg *a = p;
    char label[32];
    snprintf(label, sizeof label, "%s%s", a->text,
             a->lock ? demo_tr(a->ctx, " (lock)", " (Lock)") : "");
    demo_row(a->ctx, a->row, getpid(), demo_tid(), label);
    int64_t asked = clock_now_ns();
    if (a->lock) {
        pthread_mutex_lock(a->lock);
        demo_span(a->ctx, a->row, DEMO_WAIT_LOCK, asked, clock_now_ns());
    }
    for (unsigned i = 0; i < a->n; i++) {
        int64_t t = clock_now_ns();
        fputs(a->text, stdout);
        fflush(stdout);                    /* one char at a time, like print() */
        if (a->delay_us)
            demo_interleave_pause(a->delay_us);   /* --delay-us: make switches visible */
        demo_span(a->ctx, a->row, a->lock ? DEMO_HELD_LOCK : DEMO_RAN, t, clock_now_ns());
    }
    if (a->lock)
        pthread_mutex_unlock(a->lock);
    return NULL;
}

int demo_interleave_pair(struct demo_ctx *ctx, pthread_mutex_t *lock, unsigned row,
                    unsigned n, long delay_us)
{
    struct demo_interleave_arg a = { ctx, "a", n, row, delay_us, lock };
    struct demo_interleave_arg b = { ctx, "b", n, row + 1, delay_us, lock };
    pthread_t ta, tb;
    if (demo_thread_start(ctx, &ta, demo_interleave_print_multiple, &a) != 0)
        return -1;
    if (demo_thread_start(ctx, &tb, demo_interleave_print_multiple, &b) != 0) {
        pthread_join(ta, NULL);
        return -1;
    }
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    return 0;
}
/* demo:end */

static int demo_interleave_run(struct demo_ctx *ctx)
{
    demo_rows(ctx, 2);
    int rc = demo_interleave_pair(ctx, NULL, 0, (unsigned)ctx->val[P_N], (long)ctx->val[P_DELAY]);
    putchar('\n');
    return rc ? 1 : 0;
}

const struct demo demo_interleave = {
    .name = "interleave",
    .summary = { "threads a and b print at the same time: the output interleaves",
                 "Threads a und b geben gleichzeitig aus: die Ausgabe mischt sich" },
    .intro = {
        "print_multiple(text, n) prints text n times without a newline. Threads \"a\"\n"
        "and \"b\" run it at the same time and are then joined. Nothing decides whose\n"
        "character comes next: the scheduler does, differently on every run.\n",
        "print_multiple(text, n) gibt text n-mal ohne Zeilenumbruch aus. Die Threads\n"
        "\"a\" und \"b\" führen es gleichzeitig aus und werden dann gejoint. Wessen\n"
        "Zeichen als nächstes kommt, entscheidet der Scheduler, bei jedem Lauf anders.\n" },
    .observe = {
        "- Run it a few times: the pattern changes. On two free cores a and b mix;\n"
        "  sometimes (often on one core: taskset -c 0) a thread prints all 20 in\n"
        "  one piece, finished before the other got the CPU. The slide's Python\n"
        "  prints whole blocks in about a third of runs, for the same reason.\n"
        "- --delay-us 1000 pauses after each character: the thread sleeps, the other\n"
        "  runs, and the switching becomes visible every time.\n"
        "- Every character arrives whole: stdout has its own internal lock per call.\n"
        "- Next: `imgpool demo lock` makes each thread print its block in one piece.\n",
        "- Mehrmals starten: das Muster ändert sich. Auf zwei freien Kernen mischen\n"
        "  sich a und b; manchmal (auf einem Kern, taskset -c 0, oft) gibt ein\n"
        "  Thread alle 20 am Stück aus, fertig, bevor der andere die CPU bekam. Das\n"
        "  Python der Folie gibt aus demselben Grund in etwa einem Drittel der Läufe\n"
        "  ganze Blöcke aus.\n"
        "- --delay-us 1000 pausiert nach jedem Zeichen: der Thread schläft, der andere\n"
        "  läuft, und die Wechsel werden jedes Mal sichtbar.\n"
        "- Jedes Zeichen kommt ganz an: stdout sperrt intern pro Aufruf.\n"
        "- Weiter: `imgpool demo lock` lässt jeden Thread seinen Block am Stück ausgeben.\n" },
    .python =
        "from threading import Thread\n"
        "def print_multiple(text, n):\n"
        "    for i in range(n):\n"
        "        print(text, end='')\n"
        "a = Thread(target=print_multiple, args=('a', 20))\n"
        "b = Thread(target=print_multiple, args=('b', 20))\n"
        "a.start(); b.start()\n"
        "a.join(); b.join()\n",
    .params = DEMO_INTERLEAVE_PARAMS,
    .flags = DEMO_TIMELINE,
    .run = demo_interleave_run,
};
