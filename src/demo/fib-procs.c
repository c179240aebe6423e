/* fib-procs.c — demo 8: print_fib(n) for n in 30..39, each in its own
 * process, all started together and joined; each prints when it finishes. */
#include "demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { P_FROM, P_TO };

/* demo:core */
/* Python: def print_fib(n): print('fib({}) = {}'.format(n, fib(n))) */
static void demo_fib_procs_print_fib(struct demo_ctx *ctx, unsigned row, unsigned n)
{
    int64_t t = clock_now_ns();
    char label[32];
    snprintf(label, sizeof label, "fib(%u)", n);
    demo_row(ctx, row, getpid(), getpid(), label);
    unsigned long long v = demo_fib(n);
    int64_t end = clock_now_ns();
    demo_span(ctx, row, DEMO_RAN, t, end);
    demo_say(ctx, "fib(%u) = %llu   (pid %d, %.2f s)\n", "fib(%u) = %llu   (PID %d, %.2f s)\n",
             n, v, getpid(), (end - t) / 1e9);
}

static int demo_fib_procs_run(struct demo_ctx *ctx)
{
    unsigned from = (unsigned)ctx->val[P_FROM], to = (unsigned)ctx->val[P_TO];
    unsigned count = to - from + 1;
    pid_t *pid = calloc(count, sizeof *pid);
    if (!pid)
        return 1;
    demo_rows(ctx, count);
    struct demo_clock clock;
    demo_clock_start(&clock);
    unsigned started = 0;
    for (; started < count; started++) {        /* start them all ... */
        pid[started] = demo_fork(ctx);
        if (pid[started] < 0)
            break;
        if (pid[started] == 0) {
            demo_fib_procs_print_fib(ctx, started, from + started);
            demo_child_exit(0);
        }
    }
    int failed = started < count;
    for (unsigned i = 0; i < started; i++)      /* ... then join them all */
        failed |= demo_reap(ctx, pid[i]) != 0;
    free(pid);
    if (!failed)
        demo_say(ctx, "all %u processes joined\n", "alle %u Prozesse gejoint\n", count);
    demo_clock_print(ctx, &clock, demo_tr(ctx, "all processes", "alle Prozesse"));
    return failed;
}
/* demo:end */

const struct demo demo_fib_procs = {
    .name = "fib-procs",
    .summary = { "print_fib(n) for n = 30..39, each in its own process",
                 "print_fib(n) für n = 30..39, jedes in einem eigenen Prozess" },
    .intro = {
        "fib(n) computed the slow, recursive way, once per process for n = 30..39.\n"
        "All ten processes start together and run on all cores at once; each\n"
        "prints its result the moment it is done, then the parent joins them all.\n",
        "fib(n) auf die langsame, rekursive Art, ein Prozess pro n = 30..39. Alle\n"
        "zehn Prozesse starten zusammen und laufen gleichzeitig auf allen Kernen;\n"
        "jeder gibt sein Ergebnis aus, sobald er fertig ist, dann joint der\n"
        "Elternprozess alle.\n" },
    .observe = {
        "- The results arrive in order of size: fib(39) costs 1.6 times fib(38).\n"
        "- CPU time is the sum over all processes; wall time is much less when\n"
        "  there are several cores: CPU/wall says how many worked at once.\n"
        "- --timeline: never more processes on a CPU (#) than there are cores;\n"
        "  the others are ready and wait for one (-).\n",
        "- Die Ergebnisse kommen der Größe nach: fib(39) kostet 1,6-mal so viel wie\n"
        "  fib(38).\n"
        "- Die CPU-Zeit ist die Summe aller Prozesse; die Laufzeit ist bei mehreren\n"
        "  Kernen viel kleiner: CPU/Laufzeit sagt, wie viele gleichzeitig arbeiteten.\n"
        "- --timeline: nie mehr Prozesse auf einer CPU (#), als es Kerne gibt; die\n"
        "  anderen sind bereit und warten auf eine (-).\n" },
    .python =
        "from multiprocessing import Process\n"
        "def fib(n):\n"
        "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
        "def print_fib(n):\n"
        "    print('fib({}) = {}'.format(n, fib(n)))\n"
        "if __name__ == '__main__':\n"
        "    ps = [Process(target=print_fib, args=(n,)) for n in range(30, 40)]\n"
        "    for p in ps: p.start()\n"
        "    for p in ps: p.join()\n",
    .params = {
        { "from", 30, 0, 45, { "first n",
          "erstes n" } },
        { "to", 39, 0, 45, { "last n",
          "letztes n" }, .floor = "from" },
    },
    .flags = DEMO_TIMELINE,
    .run = demo_fib_procs_run,
};
