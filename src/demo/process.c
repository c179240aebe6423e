/* process.c — demo 7: run a function in its own process, show the pids. */
#include "demo.h"


#include <stdio.h>
#include <unistd.h>

/* demo:core */
/* Python: def hello(): print('hello from', os.getpid()) */
static void demo_process_hello(struct demo_ctx *ctx)
{
    int64_t t = clock_now_ns();
    demo_row(ctx, 1, getpid(), getpid(), "child");
    printf("child:  hello, my pid is %d, my parent's pid is %d\n", getpid(), getppid());
    demo_span(ctx, 1, DEMO_RAN, t, clock_now_ns());
}

static int demo_process_run(struct demo_ctx *ctx)
{
    demo_rows(ctx, 2);
    demo_row(ctx, 0, getpid(), getpid(), "parent");
    printf("parent: my pid is %d\n", getpid());
    int64_t t0 = clock_now_ns();
    pid_t pid = demo_fork();                  /* p = Process(target=hello); p.start() */
    if (pid < 0)
        return 1;
    if (pid == 0) {
        demo_process_hello(ctx);                   /* the child runs the target ... */
        demo_child_exit(0);                   /* ... and ends: it never returns */
    }
    int64_t t1 = clock_now_ns();
    printf("parent: started a child with pid %d\n", (int)pid);
    fflush(stdout);
    int rc = demo_reap(pid);                  /* p.join() */
    demo_span(ctx, 0, DEMO_RAN, t0, t1);
    demo_span(ctx, 0, DEMO_BLOCKED, t1, clock_now_ns());
    printf("parent: child %d has ended\n", (int)pid);
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
        "kopiert, die Kopie (das Kind) führt hello() aus, der Elternprozess läuft\n"
        "weiter. Danach teilen sie keinen Speicher; jeder hat seine PID. join() ist\n"
        "waitpid().\n" },
    .observe = {
        "- The child's pid differs from the parent's; its parent pid is the parent's.\n"
        "- The order of the parent's and child's lines may change between runs.\n",
        "- Die PID des Kindes ist eine andere; seine Eltern-PID ist die des Elternteils.\n"
        "- Die Reihenfolge der Zeilen von Eltern und Kind kann sich ändern.\n" },
    .flags = DEMO_TIMELINE,
    .run = demo_process_run,
};
