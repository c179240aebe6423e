/* demo.h — the lecture demos (`imgpool demo NAME`): what a demo file defines,
 * and the kit every demo shares (option values, timeline recording, the
 * emulated GIL, timings). CLI layer: demos print; the library does not.
 *
 * A demo is one file src/demo/<name>.c defining `const struct demo
 * demo_<name>` and listed in registry.c. Its core (what --show-code prints)
 * sits between a line holding the comment "demo:core" and one holding
 * "demo:end".
 */
#ifndef IMGPOOL_DEMO_H
#define IMGPOOL_DEMO_H

#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/types.h>

#include "imgpool/clock.h"
#include "imgpool/timeline.h"

/* `imgpool demo ...`: argv[0] is "demo". Returns the exit code: 0 ok, 1 the
 * demo failed or found its result wrong, 2 usage error. */
int demo_main(int argc, char **argv);

#define DEMO_MAX_PARAMS 6
#define DEMO_MAX_PASS 64   /* DEMO_PASS: arguments after `--` at most */
#define DEMO_MAX_ROWS 128

struct demo_text {
    const char *en, *de;
};

/* An option `--name N` with the slide's value as default, or, if `text` is
 * set, `--name TEXT` with *text as its default (NULL: none). The driver
 * checks all of them, and the relations declared here, before the demo
 * prints anything: a bad value is a usage error, never the run's. */
struct demo_param {
    const char *name;
    long long def, min, max;
    struct demo_text help;
    const char *const *text;
    const char *floor;   /* NULL, or the option this one may not be below */
    int above;           /* ... nor equal to: range(from, to) is never empty */
};

enum demo_flag {
    DEMO_TIMELINE = 1,    /* records spans: --timeline and --trace work */
    DEMO_GIL = 2,         /* CPU-bound threads: --gil works */
    DEMO_PASS = 4,        /* arguments after `--` go to the demo (ctx->rest) */
    DEMO_OFFLINE = 8,     /* --offline: use the local stand-in server */
    DEMO_STEP = 16,       /* --step: its threads call demo_step() */
    DEMO_OWN_TIMELINE = 32,   /* --timeline goes to the job it runs (ctx->timeline) */
};

struct demo_ctx;

struct demo {
    const char *name;
    struct demo_text summary;   /* one line for `demo list` */
    struct demo_text intro;     /* 3-6 lines printed before the run */
    struct demo_text observe;   /* what to look at, printed after the run */
    struct demo_param params[DEMO_MAX_PARAMS];   /* ends at name == NULL */
    unsigned flags;             /* enum demo_flag */
    const char *uses;           /* a demo whose core --show-code prints too */
    const char *python;         /* the slide's exercise in Python, for --python:
                                   reconstructed, not the slides' own code */
    /* Checks what the demo hands on to another parser (xkcd's range, the
     * folder job's options), with that parser, before the demo prints
     * anything: 0 to run, 1 if it answered instead (the job's --help), -1
     * after the parser said what is wrong (the driver adds the hint).
     * Optional. */
    int (*check)(const struct demo_ctx *ctx);
    /* Runs the demo; returns 0, or 1 after printing what went wrong. Its
     * arguments are valid: the driver checked them. */
    int (*run)(struct demo_ctx *ctx);
};

struct demo_rec;

/* What a demo gets: options already parsed and checked. */
struct demo_ctx {
    const struct demo *demo;
    int de;                          /* German texts (--lang de) */
    int gil;                         /* --gil */
    int full;                        /* --full: every line, every digit */
    int timeline;                    /* --timeline, for DEMO_OWN_TIMELINE */
    atomic_int step;                 /* --step (DEMO_STEP); 0 once stdin ends */
    int offline;                     /* --offline (DEMO_OFFLINE) */
    long long val[DEMO_MAX_PARAMS];  /* option values, in params[] order */
    const char *str[DEMO_MAX_PARAMS];  /* values of text options, same order */
    int nrest;                       /* DEMO_PASS: arguments after `--` */
    char **rest;
    struct demo_rec *rec;            /* NULL unless --timeline or --trace */
};

/* The registry (registry.c): every demo with its embedded source file. */
struct demo_entry {
    const struct demo *demo;
    const char *src;
};
extern const struct demo_entry demo_registry[];
extern const unsigned demo_count;
/* The demo's core source, or NULL if it has no markers; embedded at build. */
const char *demo_source(const struct demo *d, unsigned *len);

/* German or English, as chosen. */
const char *demo_tr(const struct demo_ctx *ctx, const char *en, const char *de);
/* printf of the chosen one of two formats taking the same arguments. */
__attribute__((format(printf, 2, 4)))
void demo_say(const struct demo_ctx *ctx, const char *en, const char *de, ...);
/* The same on stderr after "imgpool demo: ": what went wrong, in the chosen
 * language (a system's reason, strerror, stays as libc gives it). */
__attribute__((format(printf, 2, 4)))
void demo_complain(const struct demo_ctx *ctx, const char *en, const char *de, ...);
/* Appends printf output to the string in out (len bytes in all), for a line
 * put together from typed parts (a demo's own wording of a tool's result). */
__attribute__((format(printf, 3, 4)))
void demo_append(char *out, size_t len, const char *fmt, ...);

/* ---- --step: the lecturer advances one event per Enter ----
 * A thread that steps joins (its row, < 32) before its first event and
 * leaves after its last. demo_step() waits for the row's turn, prints the
 * event and waits for Enter; the threads take turns, one event each (a
 * thread blocked elsewhere loses its turn after 0.3 s). To show an event
 * in the order it happened, call demo_step_begin() before doing it: the
 * turn is then held from before the deed until its demo_step() (do nothing
 * that blocks in between). EOF on stdin (no terminal, Ctrl-D) ends
 * stepping: the demo runs on freely, nothing hangs. No-ops without --step.
 * Threads of the demo's process only (a child would read the same stdin). */
void demo_step_join(struct demo_ctx *ctx, unsigned row);
void demo_step_leave(struct demo_ctx *ctx, unsigned row);
void demo_step_begin(struct demo_ctx *ctx, unsigned row);
__attribute__((format(printf, 3, 4)))
void demo_step(struct demo_ctx *ctx, unsigned row, const char *fmt, ...);

/* Linux thread id of the caller. */
int demo_tid(void);

/* ---- timeline recording (all no-ops when ctx->rec is NULL) ----
 * Spans live in shared memory mapped before any fork, so threads and child
 * processes record alike. Each row has one writer (its thread or process);
 * consecutive spans of one mark less than 20 us apart are merged. */

/* Marks used by all demos; the legend is built from these. '#', '-' and
 * 'z' are states the sampler (sample.c) reads from the scheduler; the others
 * are what a demo says it does, drawn where the state agrees. */
enum {
    DEMO_RAN = '#', DEMO_READY = '-', DEMO_BLOCKED = 'z',
    DEMO_HELD_LOCK = 'L', DEMO_WAIT_LOCK = '.', DEMO_HELD_GIL = 'G', DEMO_WAIT_GIL = ',',
};

/* ---- the sampler (sample.c), used by the recorder ---- */
struct demo_sample_span {
    int tid;                   /* thread id; a child process's pid */
    int64_t start_ns, end_ns;
    char mark;                 /* DEMO_RAN, DEMO_READY or DEMO_BLOCKED */
};
struct demo_sampler;
/* Starts sampling every thread of this process and every child of its main
 * thread, each slice; NULL if it cannot (the timeline then shows what the
 * demos recorded). Main thread, before the demo runs. */
struct demo_sampler *demo_sample_start(void);
/* Stops it (within one slice) and returns its slices, time-ordered per
 * thread, owned by s; *n their number. */
const struct demo_sample_span *demo_sample_stop(struct demo_sampler *s, size_t *n);
void demo_sample_destroy(struct demo_sampler *s);

/* Driver only: the shared recorder (NULL if mmap failed), and, after the
 * run, drawing the timeline and/or filling and closing `trace` (made by the
 * driver before the run; NULL: none). 0 or -1 (printed). */
struct trace;
struct demo_rec *demo_rec_create(void);
void demo_rec_destroy(struct demo_rec *rec);
int demo_rec_finish(const struct demo_ctx *ctx, int timeline, struct trace *trace,
                    const char *trace_path, unsigned width);

/* Sets the number of rows (<= DEMO_MAX_ROWS). Before threads/forks. */
void demo_rows(struct demo_ctx *ctx, unsigned rows);
/* Names a row; pid/tid are what the Chrome trace shows. Any thread/process. */
void demo_row(struct demo_ctx *ctx, unsigned row, int pid, int tid, const char *label);
/* Records [start_ns, end_ns) on row with `mark`. The row's writer only. */
void demo_span(struct demo_ctx *ctx, unsigned row, char mark, int64_t start_ns,
               int64_t end_ns);
/* Records a '#' (ran) span, except under --gil, where running means holding
 * the GIL and the GIL functions record 'G' spans themselves. */
void demo_ran(struct demo_ctx *ctx, unsigned row, int64_t start_ns, int64_t end_ns);

/* ---- the emulated GIL (--gil) ----
 * One lock for all threads, held while running; the holder hands it over
 * every 5 ms (Python's sys.getswitchinterval()) if another thread waits.
 * Records 'G' (held) and ',' (waited) spans. All functions are no-ops when
 * ctx->gil is 0, so a demo calls them unconditionally. */
#define DEMO_GIL_SWITCH_NS 5000000
struct demo_gil {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int holder;            /* row holding it, -1 none */
    int dropped_by;        /* row that just handed it over: may not retake */
    atomic_uint waiting;   /* threads waiting for it */
    int64_t since;         /* when the holder took it */
    atomic_ulong switches; /* hand-overs so far */
};
void demo_gil_init(struct demo_gil *g);
void demo_gil_destroy(struct demo_gil *g);
void demo_gil_acquire(struct demo_ctx *ctx, struct demo_gil *g, unsigned row);
void demo_gil_release(struct demo_ctx *ctx, struct demo_gil *g, unsigned row);
/* Called often by the holder: hands over after 5 ms. Returns 1 if it did. */
int demo_gil_tick(struct demo_ctx *ctx, struct demo_gil *g, unsigned row);

/* ---- timings ---- */
struct demo_clock {
    int64_t wall_ns, cpu_ns;   /* at start: CPU of this process and reaped children */
};
void demo_clock_start(struct demo_clock *c);
/* Wall and CPU time since start (children count once reaped). */
void demo_clock_stop(const struct demo_clock *c, int64_t *wall_ns, int64_t *cpu_ns);
/* Prints "label: wall 0.31 s, CPU 0.60 s, CPU/wall 1.94 (2 cores)". */
void demo_clock_print(const struct demo_ctx *ctx, const struct demo_clock *c,
                      const char *label);

/* ---- a start line ----
 * Threads or processes (then in shared memory mapped before fork) that must
 * start their work together: each of n runners calls demo_start_wait(),
 * which spins (yielding the CPU) until all n have arrived. Started one after
 * another, short runners would otherwise finish before the next one begins
 * and a race would never show. Bounded: after 10 s a runner gives up and gets
 * -1 (a sibling that was never started cannot hang the others); else 0. */
struct demo_start {
    atomic_uint arrived;
};
void demo_start_init(struct demo_start *s);
int demo_start_wait(struct demo_start *s, unsigned n);

/* ---- bounded waits ----
 * The CLOCK_REALTIME instant ms milliseconds from now, as the *_timedwait
 * and *_timedlock functions want it. */
struct timespec demo_deadline(long ms);
/* sem_wait on a process-shared semaphore, for at most 10 s (a peer that died
 * holding it must not hang the demo); 0, or -1 with errno set. */
#define DEMO_SEM_TIMEOUT_MS 10000
int demo_sem_wait(sem_t *s);

/* A file or folder the project ships: beside the binary in the source tree
 * (build/imgpool or build/asan/imgpool -> src_rel from the repository root),
 * else installed (PREFIX/bin/imgpool -> PREFIX/share/imgpool/share_rel).
 * 0 with the path in out, or -1 if neither exists. */
int demo_find_data(const char *src_rel, const char *share_rel, char *out, size_t len);

/* ---- one screen (--full: everything) ---- */
#define DEMO_SHOWN_ENDS 4
/* Whether item i of n gets its line: every one with --full, else the first
 * and last DEMO_SHOWN_ENDS; at the first one left out it prints a line
 * saying how many are and that --full shows them. */
int demo_shown(const struct demo_ctx *ctx, size_t i, size_t n);
/* The decimal `digits`, or without --full and over 40 digits, shortened
 * with their count, "43466557686937456435...8228875 (209 digits)", in buf. */
const char *demo_digits(const struct demo_ctx *ctx, const char *digits, char *buf, size_t len);

/* fib(n) by the slide's recursion, deliberately slow. */
unsigned long long demo_fib(unsigned n);

/* Threads: pthread_create, printing the error (in ctx's language) and
 * returning -1 on failure. */
int demo_thread_start(const struct demo_ctx *ctx, pthread_t *t, void *(*fn)(void *), void *arg);

/* Processes: fork() after flushing stdio (a child must not inherit and
 * repeat buffered text); prints the error (in ctx's language) and returns -1
 * on failure. A child ends with demo_child_exit(), never exit(): it flushes
 * its own output only. */
pid_t demo_fork(const struct demo_ctx *ctx);
_Noreturn void demo_child_exit(int status);
/* Waits for a child known to be ending; 0 if it exited with status 0, else
 * -1 after printing how it ended (in ctx's language). */
int demo_reap(const struct demo_ctx *ctx, pid_t pid);

/* interleave.c, used by lock.c: threads "a" and "b" run print_multiple(text,
 * n) at once on rows row, row+1, holding `lock` while printing if not NULL;
 * each character is followed by a pause of delay_us (0: none, the real
 * behaviour; a pause hands the CPU over and makes switching visible). 0 or -1
 * (printed). */
int demo_interleave_pair(struct demo_ctx *ctx, pthread_mutex_t *lock, unsigned row,
                    unsigned n, long delay_us);
/* Their options: --n (index 0) and --delay-us (index 1). */
#define DEMO_INTERLEAVE_PARAMS {                                                  \
        { "n", 20, 1, 100000, { "characters per thread", "Zeichen pro Thread" } },       \
        { "delay-us", 0, 0, 1000000, { "pause after each character, in microseconds",   \
                                       "Pause nach jedem Zeichen, in Mikrosekunden" } }, \
    }

#endif
