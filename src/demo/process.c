/* process.c — demo 7: run a function in its own process, show the pids. */
#include "demo.h"

#include <stdio.h>
#include <unistd.h>

/* demo:core */
/* Python: def hello(): print('hello from', os.getpid()) */
static void demo_process_hello(struct demo_ctx *ctx)
{
    int64_t t = clock_now_ns();
    demo_row(ctx, 1, getpid(), getpid(), demo_tr(ctx, "child", "Kindprozess"));
    demo_say(ctx, "child:  hello, my pid is %d, my parent's pid is %d\n",
             "Kindprozess:   Hallo, meine PID ist %d, die meines Elternprozesses %d\n",
             getpid(), getppid());
    demo_span(ctx, 1, DEMO_RAN, t, clock_now_ns());
}

static int demo_process_run(struct demo_ctx *ctx)
{
    demo_rows(ctx, 2);
    demo_row(ctx, 0, getpid(), getpid(), demo_tr(ctx, "parent", "Elternprozess"));
    demo_say(ctx, "parent: my pid is %d\n", "Elternprozess: meine PID ist %d\n", getpid());
    int64_t t0 = clock_now_ns();
    pid_t pid = demo_fork(ctx);                  /* p = Process(target=hello); p.start() */
    if (pid < 0)
        return 1;
    if (pid == 0) {
        demo_process_hello(ctx);                   /* the child runs the target ... */
        demo_child_exit(0);                   /* ... and ends: it never returns */
    }
    int64_t t1 = clock_now_ns();
    demo_say(ctx, "parent: started a child with pid %d\n",
             "Elternprozess: Kindprozess mit PID %d gestartet\n", (int)pid);
    fflush(stdout);
    int rc = demo_reap(ctx, pid);                  /* p.join() */
    demo_span(ctx, 0, DEMO_RAN, t0, t1);
    demo_span(ctx, 0, DEMO_BLOCKED, t1, clock_now_ns());
    demo_say(ctx, "parent: child %d has ended\n", "Elternprozess: Kindprozess %d ist beendet\n",
             (int)pid);
    return rc ? 1 : 0;
}
/* demo:end */

const struct demo demo_process = {
    .name = "process",
    .summary = { "start a function in its own process, show the pids",
                 "eine Funktion in einem eigenen Prozess starten, PIDs zeigen" },
    .intro = {
        "Process(target=hello).start() is fork(): the process is copied, memory and\n"
        "all, and the copy (the child) runs hello() while the parent goes on. The two\n"
        "share no memory afterwards; each has its own pid. join() is waitpid().\n",
        "Process(target=hello).start() ist fork(): der Prozess wird samt Speicher\n"
        "kopiert, die Kopie (der Kindprozess) führt hello() aus, der Elternprozess läuft\n"
        "weiter. Danach teilen sie keinen Speicher; jeder hat seine PID. join() ist\n"
        "waitpid().\n" },
    .observe = {
        "- The child's pid differs from the parent's; its parent pid is the parent's.\n"
        "- The order of the parent's and child's lines may change between runs.\n",
        "- Der Kindprozess hat eine andere PID; seine Eltern-PID ist die des\n"
        "  Elternprozesses.\n"
        "- Die Reihenfolge der Zeilen von Eltern- und Kindprozess kann sich ändern.\n" },
    .python =
        "import os\n"
        "from multiprocessing import Process\n"
        "def hello():\n"
        "    print('hello from', os.getpid(), 'parent', os.getppid())\n"
        "if __name__ == '__main__':\n"
        "    print('parent', os.getpid())\n"
        "    p = Process(target=hello)\n"
        "    p.start()\n"
        "    p.join()\n",
    .flags = DEMO_TIMELINE,
    .run = demo_process_run,
};
