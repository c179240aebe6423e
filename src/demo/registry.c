/* registry.c — the table of demos, in the order of the course, and their
 * sources embedded at build time for --show-code.
 *
 * The assembler's .incbin copies each src/demo/<name>.c into .rodata (plus a
 * NUL), so the code printed is exactly the code compiled into this binary:
 * no generated files, no xxd. Paths are relative to the repository root,
 * where make runs; the Makefile makes registry.o depend on every demo source. */
#include "demo.h"

#include <string.h>

#define DEMO_EMBED(sym, file)                                              \
    __asm__(".pushsection .rodata\n.globl " #sym "\n.hidden " #sym "\n" #sym \
            ":\n.incbin \"" file "\"\n.byte 0\n.popsection\n");              \
    extern const char sym[]

#define DEMO_ENTRY(id, file)                                               \
    extern const struct demo demo_##id;                                    \
    DEMO_EMBED(demo_src_##id, "src/demo/" file ".c")

DEMO_ENTRY(thread, "thread");
DEMO_ENTRY(interleave, "interleave");
DEMO_ENTRY(iterations, "iterations");
DEMO_ENTRY(race, "race");
DEMO_ENTRY(lock, "lock");
DEMO_ENTRY(deadlock, "deadlock");
DEMO_ENTRY(primes, "primes");
DEMO_ENTRY(xkcd, "xkcd");
DEMO_ENTRY(process, "process");
DEMO_ENTRY(fib_procs, "fib-procs");
DEMO_ENTRY(fib_map, "fib-map");
DEMO_ENTRY(pool_map, "pool-map");
DEMO_ENTRY(shared_memory, "shared-memory");
DEMO_ENTRY(pipe, "pipe");
DEMO_ENTRY(queue, "queue");
DEMO_ENTRY(image_pool, "image-pool");

const struct demo_entry demo_registry[] = {
    { &demo_thread, demo_src_thread },
    { &demo_interleave, demo_src_interleave },
    { &demo_iterations, demo_src_iterations },
    { &demo_race, demo_src_race },
    { &demo_lock, demo_src_lock },
    { &demo_deadlock, demo_src_deadlock },
    { &demo_primes, demo_src_primes },
    { &demo_xkcd, demo_src_xkcd },
    { &demo_process, demo_src_process },
    { &demo_fib_procs, demo_src_fib_procs },
    { &demo_fib_map, demo_src_fib_map },
    { &demo_pool_map, demo_src_pool_map },
    { &demo_shared_memory, demo_src_shared_memory },
    { &demo_pipe, demo_src_pipe },
    { &demo_queue, demo_src_queue },
    { &demo_image_pool, demo_src_image_pool },
};

const unsigned demo_count = sizeof demo_registry / sizeof demo_registry[0];

const char *demo_source(const struct demo *d, unsigned *len)
{
    for (unsigned i = 0; i < demo_count; i++) {
        if (demo_registry[i].demo != d)
            continue;
        const char *begin = strstr(demo_registry[i].src, "demo:core");
        const char *end = begin ? strstr(begin, "demo:end") : NULL;
        if (!end)
            return NULL;
        begin = strchr(begin, '\n') + 1;
        while (end > begin && end[-1] != '\n')
            end--;
        *len = (unsigned)(end - begin);
        return begin;
    }
    return NULL;
}
