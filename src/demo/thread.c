/* thread.c — demo 1: start a thread whose target prints "hello", join it. */
#include "demo.h"

#include <stdio.h>
#include <unistd.h>

struct demo_thread_arg {
    struct demo_ctx *ctx;
    const char *text;
    int tid;              /* set by the thread: proof it is another one */
};

/* demo:core */
/* Python: Thread(target=print, args=('hello',), kwargs={'end': ''}) */
static void *demo_thread_target(void *p)
{
    struct demo_thread_arg *a = p;
    int64_t t = clock_now_ns();
    a->tid = demo_tid();
    demo_row(a->ctx, 1, getpid(), a->tid, demo_tr(a->ctx, "thread", "Thread"));
    printf("%s", a->text);            /* end='': no newline */
    fflush(stdout);
    demo_span(a->ctx, 1, DEMO_RAN, t, clock_now_ns());
    return NULL;
}

static int demo_thread_run(struct demo_ctx *ctx)
{
    demo_rows(ctx, 2);
    demo_row(ctx, 0, getpid(), demo_tid(), demo_tr(ctx, "main", "Hauptthread"));
    demo_say(ctx, "main thread: pid %d, tid %d\n", "Hauptthread: PID %d, tid %d\n", getpid(),
             demo_tid());
    fflush(stdout);
    struct demo_thread_arg a = { ctx, "hello", 0 };
    pthread_t t;
    int64_t t0 = clock_now_ns();
    if (demo_thread_start(ctx, &t, demo_thread_target, &a) != 0)     /* t.start() */
        return 1;
    int64_t t1 = clock_now_ns();
    pthread_join(t, NULL);                                  /* t.join() */
    int64_t t2 = clock_now_ns();
    demo_span(ctx, 0, DEMO_RAN, t0, t1);
    demo_span(ctx, 0, DEMO_BLOCKED, t1, t2);
    demo_say(ctx, "\njoined the thread: pid %d, tid %d\n", "\nThread gejoint: PID %d, tid %d\n",
             getpid(), a.tid);
    return 0;
}
/* demo:end */

const struct demo demo_thread = {
    .name = "thread",
    .summary = { "start a thread that prints \"hello\", then join it",
                 "einen Thread starten, der \"hello\" ausgibt, und ihn joinen" },
    .intro = {
        "A thread is a second flow of control inside the same process: same memory,\n"
        "same pid, its own stack and its own thread id (tid). Python's\n"
        "Thread(target=print, args=('hello',)) is pthread_create() in C; t.join()\n"
        "is pthread_join(): wait until the thread has finished.\n",
        "Ein Thread ist ein zweiter Ablauf im selben Prozess: gleicher Speicher,\n"
        "gleiche PID, eigener Stack und eigene Thread-ID (tid). Pythons\n"
        "Thread(target=print, args=('hello',)) ist in C pthread_create(); t.join()\n"
        "ist pthread_join(): warten, bis der Thread fertig ist.\n" },
    .observe = {
        "- The pid is the same for both threads, the tid differs.\n"
        "- \"hello\" has no newline (end=''); the main thread adds it after join.\n",
        "- Die PID ist für beide Threads gleich, die tid verschieden.\n"
        "- \"hello\" endet ohne Zeilenumbruch (end=''); den fügt der Hauptthread nach\n"
        "  dem join an.\n" },
    .python =
        "from threading import Thread\n"
        "t = Thread(target=print, args=('hello',), kwargs={'end': ''})\n"
        "t.start()\n"
        "t.join()\n",
    .flags = DEMO_TIMELINE,
    .run = demo_thread_run,
};
