/* fib-map.c — demo 9 (exercise): map fib over [0, 1, 2, ...] in one process. */
#include "demo.h"

#include <stdio.h>
#include <stdlib.h>

enum { P_N };

/* demo:core */
/* Python: list(map(fib, range(n))) — one call per element, in order. */
static int demo_fib_map_run(struct demo_ctx *ctx)
{
    unsigned n = (unsigned)ctx->val[P_N];
    unsigned long long *out = malloc(n * sizeof *out);
    if (!out)
        return 1;
    for (unsigned i = 0; i < n; i++)     /* map: apply fib to each input */
        out[i] = demo_fib(i);
    printf("[");
    for (unsigned i = 0; i < n; i++)
        printf("%s%u", i ? ", " : "", i);
    printf("]\n  -> map(fib) ->\n[");
    for (unsigned i = 0; i < n; i++)
        printf("%s%llu", i ? ", " : "", out[i]);
    printf("]\n");
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
    .params = {
        { "n", 20, 1, 45, "map over 0..n-1" },
    },
    .run = demo_fib_map_run,
};
