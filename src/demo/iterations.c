/* iterations.c — demo 3 (exercise): threads a and b each spin in a loop and
 * count iterations; whenever a thread notices it did not run for a while (a
 * time slice ended), it prints how many iterations it managed in that slice.
 *
 * "Did not run" is detected from the clock: each iteration reads it, and a
 * jump of more than --gap-us between two iterations means the thread was
 * descheduled (or, with --gil, waited for the GIL). */
#include "demo.h"

#include <stdio.h>
#include <unistd.h>

enum { P_MS, P_GAP };

/* Slice lines each thread prints without --full. */
#define DEMO_ITERATIONS_SHOWN 12

struct demo_iterations_arg {
    struct demo_ctx *ctx;
    struct demo_gil *gil;
    const char *name;
    unsigned row;
    int64_t until_ns, gap_ns;
    unsigned long long total, slices;
};

/* demo:core */
static void demo_iterations_slice(struct demo_iterations_arg *a, unsigned long long count,
                             int64_t from, int64_t to)
{
    /* one screen: a busy machine cuts many slices; the totals count them all */
    if (a->ctx->full || a->slices < DEMO_ITERATIONS_SHOWN)
        demo_say(a->ctx, "%llu iterations in thread %s\n", "%llu Durchläufe in Thread %s\n",
                 count, a->name);
    else if (a->slices == DEMO_ITERATIONS_SHOWN)
        demo_say(a->ctx, "... thread %s: further slices not listed (--full lists all)\n",
                 "... Thread %s: weitere Zeitscheiben nicht aufgeführt (--full zeigt alle)\n",
                 a->name);
    demo_ran(a->ctx, a->row, from, to);
    a->total += count;
    a->slices++;
}

static void *demo_iterations_thread(void *p)
{
    struct demo_iterations_arg *a = p;
    demo_row(a->ctx, a->row, getpid(), demo_tid(), a->name);
    demo_gil_acquire(a->ctx, a->gil, a->row);          /* no-op without --gil */
    unsigned long long count = 0;
    int64_t start = clock_now_ns(), last = start;
    for (;;) {
        demo_gil_tick(a->ctx, a->gil, a->row);        /* hands over every 5 ms */
        int64_t now = clock_now_ns();
        if (now - last > a->gap_ns) {                 /* we did not run: slice over */
            demo_iterations_slice(a, count, start, last);
            count = 0;
            start = now = clock_now_ns();              /* printing took time too */
        }
        last = now;
        if (now >= a->until_ns)
            break;
        count++;
    }
    if (count > 0 || a->slices == 0)
        demo_iterations_slice(a, count, start, last);
    demo_gil_release(a->ctx, a->gil, a->row);
    return NULL;
}
/* demo:end */

static int demo_iterations_run(struct demo_ctx *ctx)
{
    struct demo_gil gil;
    demo_gil_init(&gil);
    demo_rows(ctx, 2);
    int64_t until = clock_now_ns() + ctx->val[P_MS] * 1000000;
    struct demo_iterations_arg arg[2] = {
        { ctx, &gil, "a", 0, until, ctx->val[P_GAP] * 1000, 0, 0 },
        { ctx, &gil, "b", 1, until, ctx->val[P_GAP] * 1000, 0, 0 },
    };
    struct demo_clock clock;
    demo_clock_start(&clock);
    pthread_t t[2];
    int started = 0;
    while (started < 2 &&
           demo_thread_start(ctx, &t[started], demo_iterations_thread, &arg[started]) == 0)
        started++;
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    demo_gil_destroy(&gil);
    if (started < 2)
        return 1;
    for (int i = 0; i < 2; i++)
        demo_say(ctx, "thread %s: %llu iterations in total, %llu slices\n",
                 "Thread %s: %llu Durchläufe insgesamt, %llu Zeitscheiben\n", arg[i].name,
               arg[i].total, arg[i].slices);
    if (ctx->gil)
        demo_say(ctx, "GIL hand-overs: %lu\n", "GIL-Wechsel: %lu\n", atomic_load(&gil.switches));
    demo_clock_print(ctx, &clock, ctx->gil ? demo_tr(ctx, "with the GIL", "mit GIL")
                                           : demo_tr(ctx, "without a GIL", "ohne GIL"));
    return 0;
}

const struct demo demo_iterations = {
    .name = "iterations",
    .summary = { "threads a and b count loop iterations per time slice",
                 "Threads a und b zählen Schleifendurchläufe pro Zeitscheibe" },
    .intro = {
        "Two threads spin for the same time and count their iterations. When a thread\n"
        "notices a gap in its own clock readings, it was not running: its time slice\n"
        "ended, and it prints what it did in that slice, like \"797 iterations in\n"
        "thread a\". With --gil only one thread may run at a time (Python's GIL).\n",
        "Zwei Threads laufen gleich lange in einer Schleife und zählen mit. Bemerkt ein\n"
        "Thread eine Lücke in seinen Zeitmessungen, lief er nicht: seine Zeitscheibe war\n"
        "vorbei, und er gibt aus, was er darin geschafft hat, etwa \"797 Durchläufe in\n"
        "Thread a\". Mit --gil darf immer nur ein Thread laufen (Pythons GIL).\n" },
    .observe = {
        "- Without a GIL and with a free core each, a and b run side by side: few or\n"
        "  no slices, CPU time about twice the wall time.\n"
        "- With --gil they take turns every 5 ms: many short slices alternating a, b,\n"
        "  half the iterations each, CPU time about equal to the wall time.\n",
        "- Ohne GIL und mit je einem freien Kern laufen a und b nebeneinander: wenige\n"
        "  oder keine Zeitscheiben, CPU-Zeit etwa doppelt so groß wie die Laufzeit.\n"
        "- Mit --gil wechseln sie sich alle 5 ms ab: viele kurze Scheiben, abwechselnd\n"
        "  a und b, je halb so viele Durchläufe, CPU-Zeit etwa gleich der Laufzeit.\n" },
    .python =
        "import time\n"
        "from threading import Thread\n"
        "def count(name, seconds=0.3, gap=0.001):\n"
        "    end, last, n = time.time() + seconds, time.time(), 0\n"
        "    while (now := time.time()) < end:\n"
        "        if now - last > gap:            # we did not run: a slice ended\n"
        "            print(n, 'iterations in thread', name)\n"
        "            n = 0\n"
        "        last, n = now, n + 1\n"
        "a = Thread(target=count, args=('a',)); b = Thread(target=count, args=('b',))\n"
        "a.start(); b.start(); a.join(); b.join()\n",
    .params = {
        { "ms", 300, 1, 60000, { "how long both threads spin, in milliseconds",
          "wie lange beide Threads laufen, in Millisekunden" } },
        { "gap-us", 1000, 10, 1000000, { "a clock jump this long ends a slice (microseconds)",
          "ein so großer Zeitsprung beendet eine Scheibe (Mikrosekunden)" } },
    },
    .flags = DEMO_TIMELINE | DEMO_GIL,
    .run = demo_iterations_run,
};
