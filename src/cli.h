/* cli.h — the command-line layer: the only code that parses options and
 * prints. Each subcommand has one entry point taking (argc, argv) with
 * argv[0] = the subcommand's name, returning the process exit code. */
#ifndef IMGPOOL_CLI_H
#define IMGPOOL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "imgpool/job.h"

/* Exit codes, documented in the README. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2, CLI_INTERRUPTED = 130 };

/* `imgpool [OPTIONS] DIR|FILE...` (src/cli_folder.c) */
int cli_folder_main(int argc, char **argv);
/* ---- the folder job in a caller's words (the image-pool demo, in German) ---- */

/* One file's note, skip or failure, as the folder job has it. */
struct cli_folder_file {
    const char *path;              /* the input, as it is to be shown */
    const char *taken_by;          /* JOB_DETAIL_NAME_TAKEN: the input that has the output
                                      name; else NULL */
    const struct pool_record *rec; /* rec->death says why a worker crashed */
    const struct job_result *jr;   /* the typed result; NULL for a crashed worker */
};

struct progress_words;

/* The words the folder job prints its lines in. Each format takes the
 * arguments its comment lists, in that order and of those types (a
 * translation keeps them). cli_folder_words_en: the tool's own, English. */
struct cli_folder_words {
    /* A file's line after "imgpool: " on stderr, and the same in the
     * summary's first errors (path shortened there), into out, from f's
     * typed result. Parent only. NULL: the tool's own English, from rec->msg. */
    void (*file)(const struct cli_folder_file *f, char *out, size_t len);
    const char *interrupted;  /* before counts when Ctrl-C ended the run */
    const char *counts;       /* files %llu, processed %llu, processed[] %s, skipped %llu */
    const char *processed[2]; /* a run, a dry run */
    const char *up_to_date;   /* of the skipped %llu */
    const char *failed;       /* %llu */
    const char *crashed;      /* %llu */
    const char *times;        /* wall s %.2f, files/s %.1f, workers %u, workers[] %s,
                                 CPU s %.2f, CPU/wall %.2f; ends the line */
    const char *workers[2];   /* singular, plural */
    const char *first_errors; /* the heading of the first errors, a line */
    const char *kept;         /* up-to-date outputs kept (--force redoes them), a line */
    const char *nothing;      /* no files found, in this shard %s (in_shard or ""), a line */
    const char *in_shard;
    const char *row;          /* --timeline: a worker's row, worker %u */
    const char *legend[4];    /* --timeline: '#' processed, '-' skipped, 'x' failed,
                                 'X' crashed */
    const struct progress_words *progress;   /* the bar on a terminal (NULL: English) */
};
extern const struct cli_folder_words cli_folder_words_en;
/* cli_folder_main, its lines told in w's words (NULL: cli_folder_words_en).
 * The options' and setup's complaints stay the tool's English. */
int cli_folder_run(int argc, char **argv, const struct cli_folder_words *w);
/* Its options only, as cli_folder_main reads them, for a caller that runs it
 * later (the image-pool demo): 0 good, 1 after printing --help/--version,
 * -1 after printing what is wrong. Inputs and outputs are not looked at. */
int cli_folder_check(int argc, char **argv);
/* `imgpool report merge REPORT.json... [-o OUT]` (src/cli_report.c) */
int cli_report_main(int argc, char **argv);
/* `imgpool xkcd RANGE [OPTIONS]` (src/cli_xkcd.c) */
int cli_xkcd_main(int argc, char **argv);

/* ---- xkcd --compare as a typed result, for callers that print it in their
 * own words (the xkcd demo, in German) ---- */

/* One timed run of --compare. */
struct timeline_span;
struct xkcd_comic;
struct cli_xkcd_timing {
    unsigned threads;              /* download threads it ran with */
    double wall, slowest;          /* seconds; slowest: one comic's JSON+image chain */
    uint64_t bytes;                /* downloaded */
    size_t ok;                     /* comics downloaded (failed: n - ok) */
    int64_t start_ns;              /* the timeline's 0 */
    struct timeline_span *spans;   /* every request: row = thread, 'J' JSON, 'I' image */
    size_t nspans;                 /*   (requests sent) */
    char down[256];                /* "" or why the site stopped answering, in
                                      libcurl's words (xkcd_progress.down) */
};
/* Both runs: [0] sequential, [1] parallel. Filled only if both ran
 * (`ran`); the caller frees it with cli_xkcd_comparison_free. */
struct cli_xkcd_comparison {
    bool ran;
    const char *range, *base_url;  /* as asked (argv's, the environment's) */
    size_t n;                      /* comics in the range */
    size_t same;                   /* comics with byte-identical files in both runs */
    struct cli_xkcd_timing run[2];
};
/* The words --compare is told in. Each format takes the arguments its
 * comment lists, in that order and of those types (a translation keeps
 * them). cli_xkcd_words_en: the tool's own, English. */
struct cli_xkcd_words {
    const char *comics[2], *threads[2];  /* singular, plural */
    const char *title;        /* range %s, comics %zu, comics[] %s, site %s */
    const char *heads[5];     /* the columns: threads, wall, comics/s, downloaded, requests */
    const char *names[2];     /* the runs: sequential, parallel */
    const char *speed_up;     /* speed-up %.1f, parallel wall / slowest chain %.1f,
                                 identical %zu, compared %zu */
    const char *no_speed_up;  /* failed sequentially %zu, comics %zu, failed in parallel %zu,
                                 identical %zu, compared %zu */
    const char *run;          /* run name %s, threads %u, threads[] %s */
    const char *row;          /* a timeline row: thread number %u */
    const char *legend[2];    /* 'J', 'I' */
    const char *no_timeline;  /* a timeline that could not be drawn (out of memory) */
    const char *down;         /* on stderr: site %s, why (libcurl's words) %s, run name %s */
    /* A comic that failed, was not found or was skipped, as the line after
     * "imgpool: " on stderr, into out (from c->why, c->num, c->status).
     * Download threads, several at once. NULL: the tool's own English, from
     * c->msg. */
    void (*comic)(const struct xkcd_comic *c, char *out, size_t len);
    const char *progress;     /* the terminal line: done %zu, total %zu, what the pool did %s,
                                 bytes %s, threads %u, threads[] %s, seconds %.1f */
};
extern const struct cli_xkcd_words cli_xkcd_words_en;
/* `imgpool xkcd RANGE --compare [OPTIONS]` without printing the result:
 * argv as for cli_xkcd_main (--compare implied). Prints only errors, and on
 * a terminal the progress line in w's words. Fills *out (zeroed first).
 * Returns the exit code cli_xkcd_main would: CLI_OK only if both runs got
 * every comic and the files are identical. Main thread, once per process
 * at a time (it catches SIGINT/SIGTERM and initialises libcurl). */
int cli_xkcd_compare_main(int argc, char **argv, const struct cli_xkcd_words *w,
                          struct cli_xkcd_comparison *out);
/* What cli_xkcd_compare_main finds wrong in argv before any request (the
 * options, the RANGE's grammar), for a caller that prints something first:
 * 0 good, 1 after printing --help, -1 after printing what is wrong. */
int cli_xkcd_compare_check(int argc, char **argv);
/* Prints a comparison that ran in w's words: the table, the speed-up (or
 * why there is none) and a timeline per run on stdout; a site that stopped
 * answering on stderr. */
void cli_xkcd_comparison_print(const struct cli_xkcd_comparison *c,
                               const struct cli_xkcd_words *w);
/* Frees what c holds (not c) and zeroes it. */
void cli_xkcd_comparison_free(struct cli_xkcd_comparison *c);

/* The processing options the folder job and xkcd share. getopt_long codes: */
enum {
    CLI_OPT_GRAY = 0x1000, CLI_OPT_RESIZE, CLI_OPT_FORMAT, CLI_OPT_QUALITY,
    CLI_OPT_NO_AUTOROTATE, CLI_OPT_FORCE, CLI_OPT_PNG_LEVEL,
    CLI_OPT_SAMPLING, CLI_OPT_PROGRESSIVE, CLI_OPT_OPTIMIZE,
    CLI_OPT_LOSSLESS, CLI_OPT_KEEP_PROFILE, CLI_OPT_STRIP, CLI_OPT_NO_EMBEDDED_THUMBNAIL,
};
/* Their long option entries, for a struct option table:
 *   CLI_JOB_LONGOPTS, {"procs", required_argument, 0, 'j'}, ... */
#define CLI_JOB_LONGOPTS \
    {"gray", no_argument, 0, CLI_OPT_GRAY}, \
    {"grey", no_argument, 0, CLI_OPT_GRAY}, \
    {"resize", required_argument, 0, CLI_OPT_RESIZE}, \
    {"format", required_argument, 0, CLI_OPT_FORMAT}, \
    {"quality", required_argument, 0, CLI_OPT_QUALITY}, \
    {"png-level", required_argument, 0, CLI_OPT_PNG_LEVEL}, \
    {"sampling", required_argument, 0, CLI_OPT_SAMPLING}, \
    {"progressive", no_argument, 0, CLI_OPT_PROGRESSIVE}, \
    {"optimize", no_argument, 0, CLI_OPT_OPTIMIZE}, \
    {"lossless", no_argument, 0, CLI_OPT_LOSSLESS}, \
    {"no-autorotate", no_argument, 0, CLI_OPT_NO_AUTOROTATE}, \
    {"no-embedded-thumbnail", no_argument, 0, CLI_OPT_NO_EMBEDDED_THUMBNAIL}, \
    {"keep-profile", no_argument, 0, CLI_OPT_KEEP_PROFILE}, \
    {"strip", no_argument, 0, CLI_OPT_STRIP}, \
    {"force", no_argument, 0, CLI_OPT_FORCE}

/* Defaults: autorotate on, 1 GiB per file (--max-pixels is a pool limit). */
void cli_job_defaults(struct job_options *jo);
/* Applies one processing option. Returns 1 if c was one (value good), 0 if
 * c is not a processing option, -1 after printing a message for a bad value. */
int cli_job_option(int c, const char *arg, struct job_options *jo);
/* The pool limits, one option group for the folder job and xkcd alike:
 * --procs, --max-memory, --max-pixels, --timeout. getopt_long codes: */
enum { CLI_OPT_PROCS = 'j', CLI_OPT_MAX_MEMORY = 0x1800, CLI_OPT_MAX_PIXELS, CLI_OPT_TIMEOUT };
#define CLI_LIMITS_LONGOPTS \
    {"procs", required_argument, 0, CLI_OPT_PROCS}, \
    {"max-memory", required_argument, 0, CLI_OPT_MAX_MEMORY}, \
    {"max-pixels", required_argument, 0, CLI_OPT_MAX_PIXELS}, \
    {"timeout", required_argument, 0, CLI_OPT_TIMEOUT}
/* Their --help lines. */
#define CLI_LIMITS_HELP \
"  -j, --procs N          worker processes (default: online CPUs)\n" \
"      --max-memory SIZE  address-space limit per worker, e.g. 2G (default 2G; 0: none;\n" \
"                         below what a worker needs, about 80M, is a usage error)\n" \
"      --max-pixels N     refuse larger images before decoding (default 100000000)\n" \
"      --timeout SECONDS  kill a worker stuck on one file (default 120; 0: none)\n"
struct cli_limits {
    unsigned procs;          /* 0: online CPUs (pool_default_procs) */
    uint64_t max_memory;     /* bytes of address space per worker, 0: none */
    uint64_t max_pixels;     /* refused after the header, before decoding; 0: none */
    unsigned timeout_s;      /* per task, 0: none */
};
/* Defaults: online CPUs, 2 GiB, 100 megapixels, 120 s. */
void cli_limits_defaults(struct cli_limits *l);
/* Applies one pool-limit option: 1 if c was one (value good), 0 if not, -1
 * after a message for a bad value. */
int cli_limits_option(int c, const char *arg, struct cli_limits *l);
/* After the last option, before any work: checks what no single option can,
 * --max-memory (0: none) against what a worker needs to start (this
 * process's address space, which a forked worker inherits, plus its
 * codecs). 0, or -1 after printing why (a usage error). */
int cli_limits_finish(const struct cli_limits *l);
/* Puts the limits where they act: the pool's options and the job's. */
void cli_limits_apply(const struct cli_limits *l, struct pool_options *po,
                      struct job_options *jo);

/* Parses a whole number min..max into *out. 0, or -1 after a message. */
int cli_parse_range(const char *opt, const char *arg, uint64_t min, uint64_t max,
                    uint64_t *out);
/* Parses a size like "512M", "2G" or "0" into *out bytes. 0, or -1 after a message. */
int cli_parse_bytes(const char *opt, const char *arg, uint64_t *out);
/* Parses a count like "4" into *out (1..max). 0, or -1 after a message. */
int cli_parse_count(const char *opt, const char *arg, unsigned max, unsigned *out);

/* The struct job_result of a record, or NULL (a crash record has none). */
const struct job_result *cli_job_result(const struct pool_record *rec);
/* The verb a record is told with, from its typed reason: "cannot decode",
 * "skipped", "note"; "cannot process" for a crashed worker. */
const char *cli_record_verb(const struct pool_record *rec);
/* Prints "imgpool: VERB 'path': REASON" for a record. */
void cli_print_record(FILE *to, const char *path, const struct pool_record *rec);

/* `imgpool --version`: the version and every library's, on stdout. */
void cli_version(void);

/* The progress line on stderr (a terminal): draw line over the previous one,
 * or erase it before other output. The folder job and xkcd share them. */
void cli_bar_draw(const char *line);
void cli_bar_erase(void);
/* Columns of the terminal on stderr; 80 if it is not one. */
unsigned cli_term_width(void);

#endif
