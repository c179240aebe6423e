/* primes.c — demo 5: 64 threads, one per number 1000000000000..1000000000063,
 * each tests its number for primality by trial division and prints the
 * verdict; then "all threads finished". CPU-bound: the --gil showcase. */
#include "demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { P_FROM, P_COUNT, P_REPEAT };

struct demo_primes_arg {
    struct demo_ctx *ctx;
    struct demo_gil *gil;
    unsigned row;
    unsigned long long n;
    unsigned repeat;
    atomic_uint *composites;   /* "not prime" verdicts so far, for one screen */
};

/* demo:core */
/* Smallest divisor > 1 of n (n itself if prime), by trial division like the
 * slide's `for i in range(2, int(n ** 0.5) + 1)`. */
static unsigned long long demo_primes_divisor(struct demo_primes_arg *a)
{
    unsigned long long n = a->n;
    for (unsigned long long d = 2; d * d <= n; d++) {
        if ((d & 4095) == 0)
            demo_gil_tick(a->ctx, a->gil, a->row);   /* no-op without --gil */
        if (n % d == 0)
            return d;
    }
    return n;
}

static void *demo_primes_thread(void *p)
{
    struct demo_primes_arg *a = p;
    char label[32];
    snprintf(label, sizeof label, "%llu", a->n);
    demo_row(a->ctx, a->row, getpid(), demo_tid(), label);
    demo_gil_acquire(a->ctx, a->gil, a->row);
    int64_t t = clock_now_ns();
    unsigned long long d = 1;
    for (unsigned r = 0; r < a->repeat && a->n >= 2; r++)   /* --repeat: more work */
        d = demo_primes_divisor(a);
    unsigned k = d == a->n ? 0 : atomic_fetch_add(a->composites, 1);
    if (d == a->n)
        demo_say(a->ctx, "%llu is prime\n", "%llu ist prim\n", a->n);
    else if (a->ctx->full || k < DEMO_SHOWN_ENDS)   /* one screen: the primes, a few others */
        demo_say(a->ctx, "%llu is not prime (divisible by %llu)\n",
                 "%llu ist nicht prim (teilbar durch %llu)\n", a->n, d);
    else if (k == DEMO_SHOWN_ENDS)
        demo_say(a->ctx, "... (more \"not prime\" verdicts: --full shows them)\n",
                 "... (weitere Ergebnisse \"nicht prim\": --full zeigt sie)\n");
    demo_ran(a->ctx, a->row, t, clock_now_ns());
    demo_gil_release(a->ctx, a->gil, a->row);
    return NULL;
}

static int demo_primes_run(struct demo_ctx *ctx)
{
    unsigned count = (unsigned)ctx->val[P_COUNT];
    struct demo_primes_arg *arg = calloc(count, sizeof *arg);
    pthread_t *t = calloc(count, sizeof *t);
    struct demo_gil gil;
    demo_gil_init(&gil);
    atomic_uint composites;
    atomic_init(&composites, 0);
    demo_rows(ctx, count);
    struct demo_clock clock;
    demo_clock_start(&clock);
    unsigned started = 0;
    for (; arg && t && started < count; started++) {      /* one thread per number */
        arg[started] = (struct demo_primes_arg){ ctx, &gil, started,
                                            (unsigned long long)ctx->val[P_FROM] + started,
                                            (unsigned)ctx->val[P_REPEAT], &composites };
        if (demo_thread_start(ctx, &t[started], demo_primes_thread, &arg[started]) != 0)
            break;
    }
    for (unsigned i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    int ok = arg && t && started == count;
    if (ok)
        demo_say(ctx, "all threads finished: %u numbers, %u not prime\n",
                 "alle Threads sind fertig: %u Zahlen, %u nicht prim\n", count,
                 atomic_load(&composites));
    demo_clock_print(ctx, &clock, ctx->gil ? demo_tr(ctx, "with the GIL", "mit GIL")
                                           : demo_tr(ctx, "without a GIL", "ohne GIL"));
    if (ctx->gil)
        demo_say(ctx, "GIL hand-overs: %lu\n", "GIL-Wechsel: %lu\n", atomic_load(&gil.switches));
    demo_gil_destroy(&gil);
    free(arg);
    free(t);
    return ok ? 0 : 1;
}
/* demo:end */

const struct demo demo_primes = {
    .name = "primes",
    .summary = { "64 threads test 1000000000000..1000000000063 for primality",
                 "64 Threads prüfen 1000000000000..1000000000063 auf Primzahl" },
    .intro = {
        "One thread per number, 64 in all, each testing its number by trial division\n"
        "(up to a million divisions) and printing the verdict. This is CPU work: in C\n"
        "the threads really run in parallel on all cores. With --gil they take one\n"
        "lock that is handed over every 5 ms, as in CPython: one core at a time.\n",
        "Ein Thread pro Zahl, insgesamt 64, jeder prüft seine Zahl durch Probedivision\n"
        "(bis zu einer Million Divisionen) und gibt das Ergebnis aus. Das ist\n"
        "Rechenarbeit: in C laufen die Threads wirklich parallel auf allen Kernen. Mit\n"
        "--gil nehmen sie ein Lock, das alle 5 ms weitergereicht wird, wie in CPython.\n" },
    .observe = {
        "- The verdicts arrive in no fixed order: primes (long searches) come last.\n"
        "- Three of the 64 are prime: ...039, ...061, ...063.\n"
        "- C needs milliseconds where Python needs seconds. Give the threads Python's\n"
        "  workload with --repeat 200, then compare wall and CPU time with and without\n"
        "  --gil: with it, CPU/wall drops to 1, whatever the cores.\n",
        "- Die Ergebnisse kommen in keiner festen Reihenfolge: Primzahlen (lange Suche)\n"
        "  zuletzt.\n"
        "- Drei der 64 sind prim: ...039, ...061, ...063.\n"
        "- C braucht Millisekunden, wo Python Sekunden braucht. Mit --repeat 200 bekommen\n"
        "  die Threads Pythons Arbeitsmenge; dann Laufzeit und CPU-Zeit mit und ohne\n"
        "  --gil vergleichen: mit GIL fällt CPU/Laufzeit auf 1.\n" },
    .python =
        "from threading import Thread\n"
        "def is_prime(n):\n"
        "    for i in range(2, int(n ** 0.5) + 1):\n"
        "        if n % i == 0:\n"
        "            print(n, 'is not prime'); return\n"
        "    print(n, 'is prime')\n"
        "threads = [Thread(target=is_prime, args=(n,))\n"
        "           for n in range(1000000000000, 1000000000064)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "print('all threads finished')\n",
    .params = {
        { "from", 1000000000000LL, 0, 1000000000000000000LL, { "first number",
          "erste Zahl" } },
        { "count", 64, 1, DEMO_MAX_ROWS, { "numbers, one thread each",
          "Anzahl der Zahlen, je ein Thread" } },
        { "repeat", 1, 1, 100000, { "test each number this many times (C is fast)",
          "jede Zahl so oft prüfen (C ist schnell)" } },
    },
    .flags = DEMO_TIMELINE | DEMO_GIL,
    .run = demo_primes_run,
};
