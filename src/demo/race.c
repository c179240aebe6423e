/* race.c — "two threads can access the same data": two threads add 1 to one
 * shared counter, without a lock (updates get lost), with a lock (exact), and
 * with --gil under an emulated GIL (fewer lost, still lost).
 *
 * The GIL does not make `counter += 1` atomic: CPython runs it as several
 * bytecodes (load the counter, load 1, add, store), and the interpreter may
 * hand the GIL to another thread between any two of them. The emulation
 * models exactly that: each step below is one "bytecode", and before each one
 * the holder hands the GIL over if its 5 ms are up and someone waits. A
 * hand-over between the load and the store loses every update the other
 * thread makes in its turn. */
#include "demo.h"

#include <stdio.h>
#include <unistd.h>

enum { P_MS, P_N };

struct demo_race_shared {
    volatile long counter;
    pthread_mutex_t lock;
    struct demo_gil gil;
    struct demo_start start;
};

struct demo_race_arg {
    struct demo_ctx *ctx;
    struct demo_race_shared *sh;
    unsigned row;
    const char *name;
    int locked;
    long n;              /* 0: add for --ms */
    long added;          /* by its own count */
    long torn;           /* GIL hand-overs between its load and its store */
};

/* demo:core */
/* Python: def add(): global counter; for _ in range(n): counter += 1
 * One pass of the loop as CPython 3.9 runs it, one line per bytecode. Under
 * --gil the GIL may change hands where CPython 3.9 checks for it (the
 * demo_gil_tick calls); two of those lie between the read and the write.
 * Returns how many hand-overs fell there. */
static int demo_race_step(struct demo_race_arg *a)
{
    struct demo_race_shared *sh = a->sh;
    struct demo_ctx *ctx = a->ctx;
    struct demo_gil *gil = &sh->gil;
    demo_gil_tick(ctx, gil, a->row);                        /* FOR_ITER */
    demo_gil_tick(ctx, gil, a->row);                        /* STORE_FAST _ */
    if (a->locked && pthread_mutex_trylock(&sh->lock) != 0) {   /* with lock: */
        demo_gil_release(ctx, gil, a->row);   /* like Python: wait without the GIL */
        pthread_mutex_lock(&sh->lock);
        demo_gil_acquire(ctx, gil, a->row);
    }
    demo_gil_tick(ctx, gil, a->row);
    demo_step_begin(ctx, a->row);                           /* --step: wait for Enter */
    long v = sh->counter;                                   /* LOAD_GLOBAL counter */
    demo_step(ctx, a->row, demo_tr(ctx, "%s reads counter = %ld", "%s liest counter = %ld"),
              a->name, v);
    int torn = demo_gil_tick(ctx, gil, a->row);             /* LOAD_CONST 1 */
    v = v + 1;                                              /* INPLACE_ADD (no check) */
    torn += demo_gil_tick(ctx, gil, a->row);                /* STORE_GLOBAL counter */
    demo_step_begin(ctx, a->row);
    sh->counter = v;
    demo_step(ctx, a->row, demo_tr(ctx, "%s writes counter = %ld", "%s schreibt counter = %ld"),
              a->name, v);
    if (a->locked)
        pthread_mutex_unlock(&sh->lock);
    demo_gil_tick(ctx, gil, a->row);                        /* JUMP_ABSOLUTE */
    return torn;
}

static void *demo_race_thread(void *p)
{
    struct demo_race_arg *a = p;
    demo_row(a->ctx, a->row, getpid(), demo_tid(), a->name);
    demo_step_join(a->ctx, a->row);
    if (demo_start_wait(&a->sh->start, 2) != 0) {           /* both start together */
        demo_step_leave(a->ctx, a->row);
        return NULL;
    }
    demo_gil_acquire(a->ctx, &a->sh->gil, a->row);
    int64_t t = clock_now_ns(), until = t + a->ctx->val[P_MS] * 1000000;
    for (; a->n ? a->added < a->n : (a->added & 1023) || clock_now_ns() < until; a->added++)
        a->torn += demo_race_step(a);
    demo_ran(a->ctx, a->row, t, clock_now_ns());
    demo_gil_release(a->ctx, &a->sh->gil, a->row);
    demo_step_leave(a->ctx, a->row);
    return NULL;
}
/* demo:end */

/* Threads a and b on rows row, row+1; prints the result line. 0, or -1 if a
 * thread did not start or the locked count is wrong. */
static int demo_race_once(struct demo_ctx *ctx, unsigned row, int locked, long n)
{
    struct demo_race_shared sh = { .counter = 0 };
    pthread_mutex_init(&sh.lock, NULL);
    demo_gil_init(&sh.gil);
    demo_start_init(&sh.start);
    struct demo_race_arg arg[2] = {
        { ctx, &sh, row, locked ? demo_tr(ctx, "a (lock)", "a (Lock)") : "a", locked, n, 0, 0 },
        { ctx, &sh, row + 1, locked ? demo_tr(ctx, "b (lock)", "b (Lock)") : "b", locked, n, 0, 0 },
    };
    pthread_t t[2];
    int started = 0;
    while (started < 2 && demo_thread_start(ctx, &t[started], demo_race_thread, &arg[started]) == 0)
        started++;
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    long want = arg[0].added + arg[1].added, got = sh.counter;
    demo_say(ctx, "%-13s counter = %ld, expected %ld (%ld updates lost)\n",
             "%-13s counter = %ld, erwartet %ld (%ld Aktualisierungen verloren)\n",
             locked ? demo_tr(ctx, "with lock:", "mit Lock:")
                    : demo_tr(ctx, "without lock:", "ohne Lock:"), got, want, want - got);
    if (ctx->gil && !locked)
        demo_say(ctx, "              GIL hand-overs: %lu; %ld between the read and the write\n"
                      "              of +=, each overwriting the other thread's turn\n",
                 "              GIL-Wechsel: %lu; %ld zwischen Lesen und Schreiben des +=,\n"
                 "              jeder überschreibt den Anteil des anderen Threads\n",
                 atomic_load(&sh.gil.switches), arg[0].torn + arg[1].torn);
    demo_gil_destroy(&sh.gil);
    pthread_mutex_destroy(&sh.lock);
    return started == 2 && (!locked || got == want) ? 0 : -1;
}

static int demo_race_run(struct demo_ctx *ctx)
{
    demo_rows(ctx, 4);
    if (ctx->step)
        demo_say(ctx, "--step: Enter runs the next step of the other thread (Ctrl-D: run on)\n",
                 "--step: Enter führt den nächsten Schritt des anderen Threads aus"
                 " (Strg-D: weiterlaufen)\n");
    long n = ctx->step && !ctx->val[P_N] ? 3 : (long)ctx->val[P_N];   /* --step: a few */
    if (demo_race_once(ctx, 0, 0, n) != 0 || demo_race_once(ctx, 2, 1, n) != 0)
        return 1;
    return 0;
}

const struct demo demo_race = {
    .name = "race",
    .summary = { "two threads add to one counter: lost updates, a lock, the GIL",
                 "zwei Threads addieren auf einen Zähler: verlorene Aktualisierungen, Lock, GIL" },
    .intro = {
        "Two threads of one process share its memory, so both can change the same\n"
        "variable. Threads a and b, started together, each add 1 to one counter for\n"
        "100 ms and count their own additions. counter += 1 is three steps: read,\n"
        "add, write. If the other thread writes between them, its update is lost.\n"
        "Then the same with a lock around the +=. --gil runs both under a GIL.\n",
        "Zwei Threads eines Prozesses teilen seinen Speicher, beide können also\n"
        "dieselbe Variable ändern. Die Threads a und b starten gleichzeitig, addieren\n"
        "100 ms lang 1 auf einen Zähler und zählen selbst mit. counter += 1 sind drei\n"
        "Schritte: lesen, addieren, schreiben. Schreibt der andere Thread dazwischen,\n"
        "geht seine Aktualisierung verloren. Dann dasselbe mit einem Lock um das +=.\n"
        "--gil lässt beide unter einem GIL laufen.\n" },
    .observe = {
        "- Without the lock the counter ends short, by a different amount each run.\n"
        "- With the lock it is exact: read, add, write happen as one step.\n"
        "- With --gil only one thread runs at a time: updates no longer collide all\n"
        "  the time, only when the GIL changes hands between the read and the write\n"
        "  of += (a few times per run). But each time, the other thread's whole turn\n"
        "  is overwritten: updates are still lost. The GIL protects the interpreter,\n"
        "  not your data: Python needs the lock too.\n"
        "- --step shows it one step per Enter: a reads, b reads, a writes, b writes.\n",
        "- Ohne Lock fehlt am Ende etwas, bei jedem Lauf anders viel.\n"
        "- Mit Lock stimmt der Zähler genau: lesen, addieren, schreiben geschehen\n"
        "  wie ein Schritt.\n"
        "- Mit --gil läuft immer nur ein Thread: Aktualisierungen kollidieren nicht\n"
        "  mehr ständig, nur wenn der GIL zwischen Lesen und Schreiben des += wechselt\n"
        "  (einige Male pro Lauf). Aber jedes Mal wird der ganze Anteil des anderen\n"
        "  Threads überschrieben: es gehen trotzdem Aktualisierungen verloren. Der GIL\n"
        "  schützt den Interpreter, nicht Ihre Daten: auch Python braucht das Lock.\n"
        "- --step zeigt es Schritt für Schritt mit Enter: a liest, b liest, a\n"
        "  schreibt, b schreibt.\n" },
    .python =
        "import threading\n"
        "counter = 0\n"
        "def add(n):\n"
        "    global counter\n"
        "    for _ in range(n):\n"
        "        counter += 1          # read, add, write\n"
        "a = threading.Thread(target=add, args=(1000000,))\n"
        "b = threading.Thread(target=add, args=(1000000,))\n"
        "a.start(); b.start(); a.join(); b.join()\n"
        "print(counter)              # often less than 2000000\n",
    .params = {
        { "ms", 100, 1, 60000, { "each thread adds for this long (milliseconds)",
          "so lange addiert jeder Thread (Millisekunden)" } },
        { "n", 0, 0, 100000000, { "instead: exactly this many additions per thread",
          "stattdessen: genau so viele Additionen pro Thread" } },
    },
    .flags = DEMO_TIMELINE | DEMO_GIL | DEMO_STEP,
    .run = demo_race_run,
};
