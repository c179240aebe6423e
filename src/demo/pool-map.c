/* pool-map.c — demo 10: with Pool(processes=4) as pool:
 * pool.map(fib, range(1000, 1100)) — exact big integers (GMP), results in
 * input order, on the project's process pool; timed with 1 and 4 processes.
 *
 * Each task computes fib(n) from scratch by n big-integer additions (like
 * the slide's Python loop, not GMP's shortcut) and returns its decimal
 * digits in the record's data; pool_map stores records by task index, which
 * is what keeps map's order whatever order the workers finish in. */
#include "demo.h"

#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgpool/pool.h"

enum { P_FROM, P_TO, P_PROCS };

struct demo_pool_map_ctx {
    unsigned long from;
};

/* demo:core */
/* Worker: fib(from + task) as decimal text in rec->data. Never prints. */
static int demo_pool_map_fib(void *ctx, uint64_t task, const void *arg, size_t arg_len,
                        struct pool_record *rec)
{
    (void)arg;
    (void)arg_len;
    unsigned long n = ((const struct demo_pool_map_ctx *)ctx)->from + task;
    mpz_t a, b;
    mpz_init_set_ui(a, 0);
    mpz_init_set_ui(b, 1);
    for (unsigned long i = 0; i < n; i++) {      /* a, b = b, a + b */
        mpz_add(a, a, b);
        mpz_swap(a, b);
    }
    int status = POOL_OK;
    if (mpz_sizeinbase(a, 10) + 2 > sizeof rec->data) {
        status = POOL_FAILED;   /* its only failure: the parent words it */
    } else {
        mpz_get_str((char *)rec->data, 10, a);
        rec->data_len = (uint32_t)strlen((char *)rec->data);
    }
    mpz_clear(a);
    mpz_clear(b);
    return status;
}

/* pool.map(fib, range(from, from + n)) with `procs` processes; wall time. */
static int demo_pool_map_run_once(struct demo_pool_map_ctx *pc, unsigned procs, uint64_t n,
                             struct pool_record *out, int64_t *wall_ns)
{
    struct pool_options o = { 0 };
    o.procs = procs;
    o.task = demo_pool_map_fib;
    o.ctx = pc;
    int64_t t = clock_now_ns();
    int rc = pool_map(&o, n, out);
    *wall_ns = clock_now_ns() - t;
    return rc;
}
/* demo:end */

/* Checks that every record is OK; prints the first failure, worded by its
 * status (the task fails only when the digits do not fit a record). */
static int demo_pool_map_check(const struct demo_ctx *ctx, const struct pool_record *rec,
                               uint64_t n, unsigned long from)
{
    for (uint64_t i = 0; i < n; i++) {
        unsigned long k = from + (unsigned long)i;
        if (rec[i].status == POOL_OK)
            continue;
        if (rec[i].status == POOL_FAILED)
            demo_complain(ctx, "fib(%lu) has too many digits for one record\n",
                          "fib(%lu) hat zu viele Stellen für einen Datensatz\n", k);
        else
            demo_complain(ctx, "fib(%lu): the worker died\n",
                          "fib(%lu): der Arbeitsprozess ist gestorben\n", k);
        return -1;
    }
    return 0;
}

static int64_t demo_pool_map_cpu(const struct pool_record *rec, uint64_t n)
{
    int64_t cpu = 0;
    for (uint64_t i = 0; i < n; i++)
        cpu += rec[i].cpu_ns;
    return cpu;
}

/* One row per worker slot; a slot may have got no task at all. */
static void demo_pool_map_timeline(struct demo_ctx *ctx, const struct pool_record *rec,
                              uint64_t n, unsigned procs)
{
    demo_rows(ctx, procs);
    for (unsigned w = 0; w < procs; w++) {
        char label[32];
        snprintf(label, sizeof label, "%s %u", demo_tr(ctx, "worker", "Worker"), w);
        int pid = 0;
        for (uint64_t i = 0; i < n && !pid; i++)
            pid = rec[i].worker == w ? rec[i].pid : 0;
        demo_row(ctx, w, pid, pid, label);
    }
    for (uint64_t i = 0; i < n; i++)
        demo_span(ctx, rec[i].worker, DEMO_RAN, rec[i].start_ns, rec[i].end_ns);
}

static int demo_pool_map_run(struct demo_ctx *ctx)
{
    struct demo_pool_map_ctx pc = { (unsigned long)ctx->val[P_FROM] };
    uint64_t n = (uint64_t)(ctx->val[P_TO] - ctx->val[P_FROM]);
    unsigned procs = (unsigned)ctx->val[P_PROCS];
    struct pool_record *one = calloc(n, sizeof *one), *many = calloc(n, sizeof *many);
    int64_t wall1, wallp;
    int rc = 1;
    if (!one || !many) {
        demo_complain(ctx, "out of memory\n", "kein Speicher mehr\n");
    } else if (demo_pool_map_run_once(&pc, 1, n, one, &wall1) != POOL_DONE ||
               demo_pool_map_run_once(&pc, procs, n, many, &wallp) != POOL_DONE) {
        demo_complain(ctx, "the pool did not finish\n", "der Pool ist nicht fertig geworden\n");
    } else if (demo_pool_map_check(ctx, one, n, pc.from) == 0 &&
               demo_pool_map_check(ctx, many, n, pc.from) == 0) {
        rc = 0;
        for (uint64_t i = 0; i < n; i++) {
            char buf[80];
            if (demo_shown(ctx, i, n))
                printf("fib(%lu) = %s\n", pc.from + (unsigned long)i,
                       demo_digits(ctx, (const char *)many[i].data, buf, sizeof buf));
            if (strcmp((const char *)one[i].data, (const char *)many[i].data) != 0)
                rc = 1;
        }
        printf("%s\n", rc ? demo_tr(ctx, "PROBLEM: 1 and N processes disagree",
                                    "PROBLEM: 1 und N Prozesse liefern Verschiedenes")
                          : demo_tr(ctx, "1 and N processes give identical results",
                                    "1 und N Prozesse liefern identische Ergebnisse"));
        demo_say(ctx, "1 process:   wall %.3f s, CPU in tasks %.3f s\n",
                 "1 Prozess:   Laufzeit %.3f s, CPU-Zeit in Aufgaben %.3f s\n", wall1 / 1e9,
                 demo_pool_map_cpu(one, n) / 1e9);
        demo_say(ctx, "%u processes: wall %.3f s, CPU in tasks %.3f s, speed-up %.2fx\n",
                 "%u Prozesse: Laufzeit %.3f s, CPU-Zeit in Aufgaben %.3f s,"
                 " Beschleunigung %.2fx\n",
                 procs, wallp / 1e9, demo_pool_map_cpu(many, n) / 1e9,
                 (double)wall1 / (double)wallp);
        demo_pool_map_timeline(ctx, many, n, procs);
    }
    free(one);
    free(many);
    return rc;
}

const struct demo demo_pool_map = {
    .name = "pool-map",
    .summary = { "Pool(4).map(fib, range(1000, 1100)): exact big integers, in order",
                 "Pool(4).map(fib, range(1000, 1100)): exakte große Zahlen, in Reihenfolge" },
    .intro = {
        "A pool starts its worker processes once and hands them tasks; map() gives\n"
        "each number to some worker and returns the results in input order, as map\n"
        "does. fib(1099) has 230 digits: exact big integers (GMP), sent back to the\n"
        "parent through a pipe. Run twice, with 1 and with 4 processes.\n",
        "Ein Pool startet seine Arbeitsprozesse einmal und gibt ihnen Aufgaben; map()\n"
        "gibt jede Zahl irgendeinem Worker und liefert die Ergebnisse in der\n"
        "Reihenfolge der Eingabe, wie map. fib(1099) hat 230 Stellen: exakte große\n"
        "Zahlen (GMP), per Pipe zurück. Zweimal: mit 1 und mit 4 Prozessen.\n" },
    .observe = {
        "- The results are in input order although the workers finish in any order.\n"
        "- Each task takes microseconds: starting processes and passing results cost\n"
        "  more than the work, so 4 processes gain little or lose. A pool pays off\n"
        "  when each task is big: compare `imgpool demo fib-procs`.\n",
        "- Die Ergebnisse sind in Eingabereihenfolge, obwohl die Worker in beliebiger\n"
        "  Reihenfolge fertig werden.\n"
        "- Jede Aufgabe dauert Mikrosekunden: Prozesse starten und Ergebnisse\n"
        "  übertragen kostet mehr als die Arbeit, 4 Prozesse bringen wenig oder\n"
        "  schaden. Ein Pool lohnt bei großen Aufgaben: vgl. `imgpool demo fib-procs`.\n" },
    .python =
        "from multiprocessing import Pool\n"
        "def fib(n):\n"
        "    a, b = 0, 1\n"
        "    for _ in range(n):\n"
        "        a, b = b, a + b\n"
        "    return a\n"
        "if __name__ == '__main__':\n"
        "    with Pool(processes=4) as pool:\n"
        "        print(pool.map(fib, range(1000, 1100)))\n",
    .params = {
        { "from", 1000, 0, 9000, { "first n (range start)",
          "erstes n (Anfang des Bereichs)" } },
        { "to", 1100, 1, 9001, { "range end (exclusive)",
          "Ende des Bereichs (ausschließlich)" }, .floor = "from", .above = 1 },
        { "procs", 4, 1, 64, { "processes of the second run",
          "Prozesse im zweiten Lauf" } },
    },
    .flags = DEMO_TIMELINE,
    .run = demo_pool_map_run,
};
