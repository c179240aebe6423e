/* fib-map.c — demo 9 (exercise): map fib over [0, 1, 2, ...] in one process. */
#include "demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { P_N };

/* Prints a Python list, wrapped before column 100 (a projector's width). */
static void demo_fib_map_list(const unsigned long long *v, unsigned n)
{
    int col = printf("[");
    for (unsigned i = 0; i < n; i++) {
        char item[32];
        int len = snprintf(item, sizeof item, "%llu", v[i]);
        if (i && col + len + 3 > 96) {   /* ", ", the item, "]" */
            printf(",\n ");
            col = 1;
        } else if (i) {
            col += printf(", ");
        }
        col += printf("%s", item);
    }
    printf("]\n");
}

/* demo:core */
/* Python: list(map(fib, range(n))) — one call per element, in order. */
static int demo_fib_map_run(struct demo_ctx *ctx)
{
    unsigned n = (unsigned)ctx->val[P_N];
    unsigned long long *in = malloc(n * sizeof *in), *out = malloc(n * sizeof *out);
    if (!in || !out) {
        free(in);
        free(out);
        return 1;
    }
    demo_rows(ctx, 1);
    demo_row(ctx, 0, getpid(), demo_tid(), demo_tr(ctx, "main", "Hauptthread"));
    int64_t t = clock_now_ns();
    for (unsigned i = 0; i < n; i++) {   /* map: apply fib to each input, in order */
        in[i] = i;
        out[i] = demo_fib(i);
    }
    demo_span(ctx, 0, DEMO_RAN, t, clock_now_ns());
    demo_fib_map_list(in, n);
    printf("  -> map(fib) ->\n");
    demo_fib_map_list(out, n);
    free(in);
    free(out);
    return 0;
}
/* demo:end */

const struct demo demo_fib_map = {
    .name = "fib-map",
    .summary = { "map(fib, [0, 1, 2, ...]) in one process",
                 "map(fib, [0, 1, 2, ...]) in einem Prozess" },
    .intro = {
        "map(f, xs) applies f to each element of xs and returns the results in the\n"
        "same order. Here in one process, one element after the other: the baseline\n"
        "that `imgpool demo pool-map` spreads over several processes.\n",
        "map(f, xs) wendet f auf jedes Element von xs an und liefert die Ergebnisse in\n"
        "derselben Reihenfolge. Hier in einem Prozess, ein Element nach dem anderen:\n"
        "die Grundlage, die `imgpool demo pool-map` auf mehrere Prozesse verteilt.\n" },
    .observe = {
        "- The output list has the order of the input list.\n"
        "- Each result needs the recursion again: fib(30) takes a while. Try --n 35.\n",
        "- Die Ausgabeliste hat die Reihenfolge der Eingabeliste.\n"
        "- Jedes Ergebnis rechnet die Rekursion neu: fib(30) dauert. --n 35 probieren.\n" },
    .python =
        "def fib(n):\n"
        "    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
        "print(list(map(fib, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])))\n",
    .params = {
        { "n", 20, 1, 45, { "map over 0..n-1",
          "map über 0..n-1" } },
    },
    .flags = DEMO_TIMELINE,
    .run = demo_fib_map_run,
};
