/* lock.c — demo 4: the same two printing threads as `interleave`, first
 * without and then with one global lock around each thread's loop. */
#include "demo.h"

#include <stdio.h>

enum { P_N, P_DELAY };

/* demo:core */
static pthread_mutex_t demo_lock_global = PTHREAD_MUTEX_INITIALIZER;   /* lock = Lock() */

static int demo_lock_run(struct demo_ctx *ctx)
{
    unsigned n = (unsigned)ctx->val[P_N];
    long delay = (long)ctx->val[P_DELAY];
    demo_rows(ctx, 4);
    printf("%-14s", demo_tr(ctx, "without lock:", "ohne Lock:"));
    fflush(stdout);
    if (demo_interleave_pair(ctx, NULL, 0, n, delay) != 0)            /* print_multiple */
        return 1;
    printf("\n%-14s", demo_tr(ctx, "with lock:", "mit Lock:"));
    fflush(stdout);
    /* print_multiple_locked */
    if (demo_interleave_pair(ctx, &demo_lock_global, 2, n, delay) != 0)
        return 1;
    putchar('\n');
    return 0;
}
/* demo:end */

const struct demo demo_lock = {
    .name = "lock",
    .summary = { "a global lock makes each thread print its block in one piece",
                 "ein globales Lock: jeder Thread gibt seinen Block am Stück aus" },
    .intro = {
        "One global lock; print_multiple_locked holds it while it prints. A thread\n"
        "that wants the lock while the other holds it waits (blocks) until it is\n"
        "released. First the same threads without the lock, then with it.\n",
        "Ein globales Lock; print_multiple_locked hält es, solange es ausgibt. Ein\n"
        "Thread, der das Lock will, während der andere es hält, wartet (blockiert),\n"
        "bis es frei wird. Erst dieselben Threads ohne Lock, dann mit.\n" },
    .observe = {
        "- Without the lock a and b interleave; with it the output is two whole\n"
        "  blocks (aaaa...bbbb... or bbbb...aaaa...).\n"
        "- The lock costs time: the second thread only waits (see --timeline).\n",
        "- Ohne Lock mischen sich a und b; mit Lock sind es zwei ganze Blöcke\n"
        "  (aaaa...bbbb... oder bbbb...aaaa...).\n"
        "- Das Lock kostet Zeit: der zweite Thread wartet nur (siehe --timeline).\n" },
    .python =
        "from threading import Thread, Lock\n"
        "lock = Lock()\n"
        "def print_multiple_locked(text, n):\n"
        "    with lock:\n"
        "        for i in range(n):\n"
        "            print(text, end='')\n"
        "a = Thread(target=print_multiple_locked, args=('a', 20))\n"
        "b = Thread(target=print_multiple_locked, args=('b', 20))\n"
        "a.start(); b.start(); a.join(); b.join()\n",
    .params = DEMO_INTERLEAVE_PARAMS,
    .flags = DEMO_TIMELINE,
    .uses = "interleave",
    .run = demo_lock_run,
};
