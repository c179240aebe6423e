/* cli.h — the command-line layer: the only code that parses options and
 * prints. Each subcommand has one entry point taking (argc, argv) with
 * argv[0] = the subcommand's name, returning the process exit code. */
#ifndef IMGPOOL_CLI_H
#define IMGPOOL_CLI_H

#include <stdio.h>

#include "imgpool/job.h"

/* Exit codes, documented in the README. */
enum { CLI_OK = 0, CLI_FAILED = 1, CLI_USAGE = 2, CLI_INTERRUPTED = 130 };

/* `imgpool [OPTIONS] DIR|FILE...` (src/cli_folder.c) */
int cli_folder_main(int argc, char **argv);
/* `imgpool report merge REPORT.json... [-o OUT]` (src/cli_report.c) */
int cli_report_main(int argc, char **argv);
/* `imgpool xkcd RANGE [OPTIONS]` (src/cli_xkcd.c) */
int cli_xkcd_main(int argc, char **argv);

/* The processing options the folder job and xkcd share. getopt_long codes: */
enum {
    CLI_OPT_GRAY = 0x1000, CLI_OPT_RESIZE, CLI_OPT_FORMAT, CLI_OPT_QUALITY,
    CLI_OPT_NO_AUTOROTATE, CLI_OPT_FORCE, CLI_OPT_PNG_LEVEL,
    CLI_OPT_SAMPLING, CLI_OPT_PROGRESSIVE, CLI_OPT_OPTIMIZE,
    CLI_OPT_LOSSLESS, CLI_OPT_KEEP_PROFILE, CLI_OPT_STRIP,
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

/* --max-memory (bytes, 0: none) against what a worker needs to start: this
 * process's address space, which a forked worker inherits, plus its codecs.
 * 0, or -1 after printing why (a usage error). */
int cli_check_max_memory(uint64_t max_memory);

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
