/* cli_xkcd.c — `imgpool xkcd RANGE [OPTIONS]`: download xkcd comics with
 * parallel threads, optionally process them in the pool while the downloads
 * run, or time sequential against parallel (--compare).
 *
 * The order of start-up is the design:
 *
 *   main thread                     download threads           pool workers
 *   fetch_global_init (curl, once)
 *   pool_create: fork ───────────────────────────────────────► wait for tasks
 *   xkcd_start ───────────────────► an image lands, pending
 *                                   on_comic: pool_publish ──► job_verify, or
 *                                   (last one) pool_close      job_file with
 *                                                              processing options
 *   pool_wait: records, progress ◄───────────────────────────── one record each
 *     xkcd_accept (rename, sidecar) or xkcd_reject (delete)
 *   xkcd_wait, summary
 *
 * Every downloaded image is decoded whole in a pool worker, under the same
 * limits as the folder job (--max-pixels before any pixel is allocated,
 * --max-memory, --timeout), before the comic counts as downloaded: a
 * truncated or hostile image (a PNG bomb) costs a worker at most, never the
 * download threads, and is not kept, so the next run fetches it again.
 *
 * curl_global_init is not thread-safe, so it runs before any thread. The
 * workers are forked before the download threads exist: fork() copies only
 * the calling thread, and a child forked while other threads hold locks
 * (malloc's, libcurl's, OpenSSL's) inherits those locks held forever.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgpool/fetch.h"
#include "imgpool/pool.h"
#include "imgpool/timeline.h"
#include "imgpool/trace.h"
#include "imgpool/xkcd.h"
#include "imgpool/clock.h"
#include "imgpool/stop.h"

#define CLI_XKCD_MAX_THREADS 256
#define CLI_XKCD_STR2(x) #x
#define CLI_XKCD_STR(x) CLI_XKCD_STR2(x)   /* a number macro, in the help text */
#define CLI_XKCD_TRACE_ROW 1000   /* trace rows: workers 1.., download threads 1000.. */

struct cli_xkcd {
    /* options */
    const char *range, *out_dir, *base_url, *trace_path;
    unsigned threads;
    bool compare, quiet, verbose, process;
    struct fetch_options fo;
    struct job_options jo;
    struct cli_limits lim;
    const struct cli_xkcd_words *w;   /* what the terminal line and --compare say */
    /* the run */
    long *nums;
    size_t n;
    char proc_dir[PATH_MAX];
    struct pool *pool;
    struct xkcd_run *run;
    struct trace *trace;
    int trace_row;               /* first trace row of this run's threads */
    int tty;
    int64_t start_ns;
    pthread_mutex_t lock;        /* guards what the download threads share: */
    bool bar_shown;              /*   the terminal line */
    char (*names)[XKCD_NAME_MAX];/*   names[i]: comic i's file, for the parent */
    struct timeline_span *spans; /*   request spans, for --compare */
    size_t nspans, capspans;
    /* parent only (pool callbacks) */
    uint64_t proc_done, proc_ok, proc_failed, proc_skipped;
    struct cli_xkcd_comparison *cmp;   /* --compare's result */
};

/* The runs of --compare, as the temp folders and the trace name them. */
static const char *const cli_xkcd_run_names[2] = { "sequential", "parallel" };

/* What a pool task carries: the comic's image name, and whether the image
 * is still pending (just downloaded: its decode is the verdict). */
struct cli_xkcd_task_arg {
    bool pending;
    char file[XKCD_NAME_MAX];
};

/* ---- options ------------------------------------------------------------ */

static void cli_xkcd_usage(FILE *to)
{
    fputs(
"Usage: imgpool xkcd RANGE [OPTIONS] [PROCESSING OPTIONS]\n"
"\n"
"Downloads xkcd comics with parallel threads: NNNN-<title>.<ext> and a JSON\n"
"sidecar (title, alt text, date, source URL) per comic. Each image is decoded\n"
"whole by a pool worker before it counts as downloaded (a broken one is not\n"
"kept). Comics already there are not fetched again.\n"
"\n"
"RANGE: comma-separated numbers and ranges, 'latest' and 'latest-N':\n"
"  100-109   100,105,200-210   latest   latest-9-latest   2900-latest\n"
"\n"
"Downloading:\n"
"  -o, --out DIR           where the comics go (default: xkcd)\n"
"  -t, --threads N         parallel download threads (default "
    CLI_XKCD_STR(XKCD_DEFAULT_THREADS) ");\n"
"                          fewer requests are sent at once while the server\n"
"                          answers 429 Too Many Requests\n"
"      --sequential        one at a time (same as --threads 1)\n"
"      --compare           download the range sequentially, then in parallel\n"
"                          (temp folders, no cache), and print a table and a\n"
"                          timeline of both\n"
"      --force             download again (and reprocess) what is already there\n"
"      --base-url URL      the site (default $" XKCD_BASE_URL_ENV " or " XKCD_DEFAULT_BASE_URL ")\n"
"      --cacert FILE       trust this CA (PEM) for https; certificates are\n"
"                          always verified\n"
"      --retries N         retries after a 5xx or a network error (default 3;\n"
"                          a timeout is retried once, a 429 up to 8 times)\n"
"      --retry-delay S     first backoff, doubling per retry (default 0.5); a\n"
"                          Retry-After from the server replaces it (up to 60 s)\n"
"      --connect-timeout S (default 10)\n"
"      --request-timeout S per request (default 60)\n"
"      --low-speed-limit B abort a request slower than B bytes/s ...\n"
"      --low-speed-time S  ... for S seconds (defaults 1000 and 15)\n"
"Processing (in the pool, while downloads run; outputs in DIR/processed):\n"
"      --gray, --resize GEOMETRY, --format FMT, --quality Q   as for folders\n"
"      --png-level N, --sampling S, --progressive, --optimize  as for folders\n"
"      --keep-profile, --strip                                 as for folders\n"
"Pool (decoding every image, and processing), as for folders:\n"
CLI_LIMITS_HELP
"Reporting:\n"
"  -q, --quiet             only errors\n"
"  -v, --verbose           one line per comic\n"
"      --trace FILE        Chrome trace: every request of every download thread,\n"
"                          every task of every worker (ui.perfetto.dev)\n"
"  -h, --help              this help\n"
"\n"
"Exit status: 0 all there (a missing comic, like 404, or one without an image\n"
"is reported, not an error), 1 some failed (a broken image, a record without\n"
"\"img\", a site that does not answer), 2 usage error, 130 interrupted.\n",
          to);
}

/* Seconds ("2", "0.5") up to max_s, into milliseconds (at least 1). */
static int cli_xkcd_seconds(const char *opt, const char *arg, double max_s, long *ms)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end || !(v > 0) || v > max_s) {
        fprintf(stderr, "imgpool: invalid value for %s: '%s' (seconds, up to %g)\n",
                opt, arg, max_s);
        return -1;
    }
    *ms = v * 1000 < 1 ? 1 : (long)(v * 1000);
    return 0;
}

/* A whole number from min to max, into a long (the fetch options' type). */
static int cli_xkcd_number(const char *opt, const char *arg, long min, long max, long *out)
{
    uint64_t v;
    if (cli_parse_range(opt, arg, (uint64_t)min, (uint64_t)max, &v) != 0)
        return -1;
    *out = (long)v;
    return 0;
}

enum {
    CLI_XKCD_SEQUENTIAL = 0x3000, CLI_XKCD_COMPARE, CLI_XKCD_BASE_URL, CLI_XKCD_CACERT,
    CLI_XKCD_RETRIES, CLI_XKCD_RETRY_DELAY, CLI_XKCD_CONNECT_TIMEOUT, CLI_XKCD_REQUEST_TIMEOUT,
    CLI_XKCD_LOW_SPEED_LIMIT, CLI_XKCD_LOW_SPEED_TIME, CLI_XKCD_TRACE,
};

/* The options that are not processing options. 0 ok, -1 bad. */
static int cli_xkcd_option(struct cli_xkcd *x, int c, const char *arg)
{
    long v;
    switch (c) {
    case 'o': x->out_dir = arg; return 0;
    case 't':
        return cli_parse_count("--threads", arg, CLI_XKCD_MAX_THREADS, &x->threads);
    case CLI_XKCD_SEQUENTIAL: x->threads = 1; return 0;
    case CLI_XKCD_COMPARE: x->compare = true; return 0;
    case CLI_XKCD_BASE_URL: x->base_url = arg; return 0;
    case CLI_XKCD_CACERT: x->fo.cacert = arg; return 0;
    case CLI_XKCD_RETRIES:
        if (cli_xkcd_number("--retries", arg, 0, 20, &v) != 0)
            return -1;
        x->fo.retries = (unsigned)v;
        return 0;
    case CLI_XKCD_RETRY_DELAY:
        if (cli_xkcd_seconds("--retry-delay", arg, 60, &v) != 0)
            return -1;
        x->fo.retry_delay_ms = (unsigned)v;
        return 0;
    case CLI_XKCD_CONNECT_TIMEOUT:
        return cli_xkcd_seconds("--connect-timeout", arg, 600, &x->fo.connect_timeout_ms);
    case CLI_XKCD_REQUEST_TIMEOUT:
        return cli_xkcd_seconds("--request-timeout", arg, 3600, &x->fo.timeout_ms);
    case CLI_XKCD_LOW_SPEED_LIMIT:
        return cli_xkcd_number("--low-speed-limit", arg, 1, 1L << 30, &x->fo.low_speed_limit);
    case CLI_XKCD_LOW_SPEED_TIME:
        return cli_xkcd_number("--low-speed-time", arg, 1, 3600, &x->fo.low_speed_time);
    case 'q': x->quiet = true; return 0;
    case 'v': x->verbose = true; return 0;
    case CLI_XKCD_TRACE: x->trace_path = arg; return 0;
    default: return -1;
    }
}

/* compare: --compare without asking. Returns 0 to run, 1 after --help, -1
 * after a message. */
static int cli_xkcd_parse(struct cli_xkcd *x, int argc, char **argv, bool compare)
{
    static const struct option longopts[] = {
        CLI_JOB_LONGOPTS,
        CLI_LIMITS_LONGOPTS,
        {"out", required_argument, 0, 'o'},
        {"threads", required_argument, 0, 't'},
        {"sequential", no_argument, 0, CLI_XKCD_SEQUENTIAL},
        {"compare", no_argument, 0, CLI_XKCD_COMPARE},
        {"base-url", required_argument, 0, CLI_XKCD_BASE_URL},
        {"cacert", required_argument, 0, CLI_XKCD_CACERT},
        {"retries", required_argument, 0, CLI_XKCD_RETRIES},
        {"retry-delay", required_argument, 0, CLI_XKCD_RETRY_DELAY},
        {"connect-timeout", required_argument, 0, CLI_XKCD_CONNECT_TIMEOUT},
        {"request-timeout", required_argument, 0, CLI_XKCD_REQUEST_TIMEOUT},
        {"low-speed-limit", required_argument, 0, CLI_XKCD_LOW_SPEED_LIMIT},
        {"low-speed-time", required_argument, 0, CLI_XKCD_LOW_SPEED_TIME},
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"trace", required_argument, 0, CLI_XKCD_TRACE},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":o:t:j:qvh", longopts, NULL)) != -1) {
        int job = cli_job_option(c, optarg, &x->jo);
        if (job == 0)
            job = cli_limits_option(c, optarg, &x->lim);
        if (job < 0)
            return -1;
        if (job > 0)
            continue;
        if (c == 'h') {
            cli_xkcd_usage(stdout);
            return 1;
        }
        if (c == ':' || c == '?') {
            fprintf(stderr, "imgpool: %s '%s' (imgpool xkcd --help)\n",
                    c == ':' ? "option needs a value:" : "unknown option",
                    argv[optind - 1]);
            return -1;
        }
        if (cli_xkcd_option(x, c, optarg) != 0)
            return -1;
    }
    if (optind + 1 != argc) {
        fprintf(stderr, "imgpool: xkcd takes one RANGE, e.g. 100-109 (imgpool xkcd --help)\n");
        return -1;
    }
    x->range = argv[optind];
    x->compare |= compare;
    x->process = x->jo.nops > 0 || x->jo.format != IMG_FMT_UNKNOWN;
    if (x->compare && x->process) {
        fprintf(stderr, "imgpool: --compare times downloads only; drop the processing "
                "options\n");
        return -1;
    }
    if (strncmp(x->base_url, "http://", 7) != 0 && strncmp(x->base_url, "https://", 8) != 0) {
        fprintf(stderr, "imgpool: --base-url must be an http:// or https:// URL: '%s'\n",
                x->base_url);
        return -1;
    }
    return 0;
}

/* ---- terminal output ---------------------------------------------------- */

static char *cli_xkcd_bytes(uint64_t b, char *buf, size_t len)
{
    if (b < 10 * 1024)
        snprintf(buf, len, "%llu B", (unsigned long long)b);
    else if (b < 10 * 1024 * 1024)
        snprintf(buf, len, "%.0f KiB", b / 1024.0);
    else
        snprintf(buf, len, "%.1f MiB", b / 1048576.0);
    return buf;
}

/* Prints a message line from any thread, clearing the progress line first. */
static void cli_xkcd_say(struct cli_xkcd *x, FILE *to, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&x->lock);
    if (x->bar_shown) {
        cli_bar_erase();
        x->bar_shown = false;
    }
    vfprintf(to, fmt, ap);
    fflush(to);
    pthread_mutex_unlock(&x->lock);
    va_end(ap);
}

/* The one progress line for both stages, on a terminal. Main thread. */
static void cli_xkcd_draw(struct cli_xkcd *x)
{
    if (!x->tty || x->quiet || !x->run)
        return;
    struct xkcd_progress p;
    char line[240], size[32], processed[64] = "";
    xkcd_progress(x->run, &p);
    if (x->process)
        snprintf(processed, sizeof processed, "  processed %llu/%zu",
                 (unsigned long long)x->proc_done, p.ok + p.cached);
    snprintf(line, sizeof line, x->w->progress, p.done, p.total, processed,
             cli_xkcd_bytes(p.bytes, size, sizeof size), p.threads,
             x->w->threads[p.threads != 1], (clock_now_ns() - x->start_ns) / 1e9);
    pthread_mutex_lock(&x->lock);
    cli_bar_draw(line);
    x->bar_shown = true;
    pthread_mutex_unlock(&x->lock);
}

static void cli_xkcd_bar_clear(struct cli_xkcd *x)
{
    pthread_mutex_lock(&x->lock);
    if (x->bar_shown)
        cli_bar_erase();
    x->bar_shown = false;
    pthread_mutex_unlock(&x->lock);
}

/* ---- download callbacks (download threads) ------------------------------ */

static int cli_xkcd_should_stop(void *ctx)
{
    (void)ctx;
    return stop_signal() != 0;
}

static void cli_xkcd_on_request(void *ctx, const struct xkcd_request *rq)
{
    struct cli_xkcd *x = ctx;
    char name[48];
    snprintf(name, sizeof name, "%s %ld", rq->kind == XKCD_REQ_JSON ? "json" : "image",
             rq->num);
    trace_span(x->trace, name, "download", getpid(), x->trace_row + (int)rq->thread,
               rq->start_ns, rq->end_ns);
    if (!x->compare)
        return;
    pthread_mutex_lock(&x->lock);
    if (x->nspans == x->capspans) {
        size_t cap = x->capspans ? 2 * x->capspans : 64;
        struct timeline_span *s = realloc(x->spans, cap * sizeof *s);
        if (s) {
            x->spans = s;
            x->capspans = cap;
        }
    }
    if (x->nspans < x->capspans)
        x->spans[x->nspans++] = (struct timeline_span){
            rq->thread, rq->start_ns, rq->end_ns, rq->kind == XKCD_REQ_JSON ? 'J' : 'I' };
    pthread_mutex_unlock(&x->lock);
}

/* A comic that did not arrive, one line on stderr in x->w's words. Any
 * thread. */
static void cli_xkcd_say_comic(struct cli_xkcd *x, const struct xkcd_comic *c)
{
    char line[512];
    if (x->w->comic)
        x->w->comic(c, line, sizeof line);
    else
        snprintf(line, sizeof line, "xkcd %ld: %s%s", c->num,
                 c->status == XKCD_NO_IMAGE ? "skipped: " : "", c->msg);
    cli_xkcd_say(x, stderr, "imgpool: %s\n", line);
}

static void cli_xkcd_on_comic(void *ctx, const struct xkcd_comic *c)
{
    struct cli_xkcd *x = ctx;
    char size[32];
    switch (c->status) {
    case XKCD_FAILED:
        cli_xkcd_say_comic(x, c);
        return;
    case XKCD_NOT_FOUND:
    case XKCD_NO_IMAGE:
        if (!x->quiet)
            cli_xkcd_say_comic(x, c);
        return;
    default:
        break;
    }
    if (x->verbose && c->status != XKCD_VERIFY)
        cli_xkcd_say(x, stdout, "xkcd %ld: %s %s (%s, thread %u, %.2f s)\n", c->num,
                     c->status == XKCD_CACHED ? "already there:" : "->", c->file,
                     cli_xkcd_bytes(c->bytes, size, sizeof size), c->thread,
                     (c->end_ns - c->start_ns) / 1e9);
    if (!x->pool || (c->status == XKCD_CACHED && !x->process))
        return;   /* --compare, or nothing to decode */
    struct cli_xkcd_task_arg arg = { .pending = c->status == XKCD_VERIFY };
    memcpy(arg.file, c->file, sizeof arg.file);
    pthread_mutex_lock(&x->lock);
    memcpy(x->names[c->index], c->file, sizeof x->names[c->index]);
    pthread_mutex_unlock(&x->lock);
    pool_publish(x->pool, c->index, &arg, sizeof arg);
}

static void cli_xkcd_on_finish(void *ctx)
{
    struct cli_xkcd *x = ctx;
    if (x->pool)
        pool_close(x->pool);
}

/* ---- processing (pool) --------------------------------------------------- */

/* out = dir/name; -1 if that does not fit PATH_MAX. */
static int cli_xkcd_join(char *out, const char *dir, const char *name)
{
    int k = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    return k < 0 || k >= PATH_MAX ? -1 : 0;
}

/* DIR/processed/<name without extension>.<output format's extension>. */
static int cli_xkcd_proc_path(const struct cli_xkcd *x, const char *file, char *out)
{
    const char *dot = strrchr(file, '.');
    enum img_format in = img_format_parse(dot ? dot + 1 : NULL);
    int stem = dot ? (int)(dot - file) : (int)strlen(file);
    int k = snprintf(out, PATH_MAX, "%s/%.*s%s", x->proc_dir, stem, file,
                     img_format_ext(job_output_format(&x->jo, in)));
    return k < 0 || k >= PATH_MAX ? -1 : 0;
}

/* Worker: decode a pending image whole (its verdict), processing it if
 * asked; or process an image already there. */
static int cli_xkcd_task(void *ctx, uint64_t task, const void *argp, size_t len,
                         struct pool_record *rec)
{
    const struct cli_xkcd *x = ctx;
    struct cli_xkcd_task_arg arg;
    char pending[XKCD_PENDING_MAX], in[PATH_MAX], out[PATH_MAX];
    (void)task;
    if (len != sizeof arg) {
        return job_end(rec, JOB_CANNOT_PROCESS, "bad task");
    }
    memcpy(&arg, argp, sizeof arg);
    arg.file[sizeof arg.file - 1] = '\0';
    const char *name = arg.pending ? xkcd_pending_name(arg.file, pending) : arg.file;
    if (cli_xkcd_join(in, x->out_dir, name) != 0
        || (x->process && cli_xkcd_proc_path(x, arg.file, out) != 0)) {
        return job_end(rec, JOB_CANNOT_PROCESS, "path too long");
    }
    if (!x->process)
        return job_verify(&x->jo, in, rec);
    struct job_options jo = x->jo;
    jo.force |= arg.pending;   /* a fresh download is never "up to date" unseen */
    return job_file(&jo, in, out, rec);
}

/* Parent: the verdict on a pending comic, from its pool record. */
static void cli_xkcd_verdict(struct cli_xkcd *x, const struct pool_record *rec)
{
    const struct xkcd_comic *c = &xkcd_comics(x->run)[rec->task];
    char size[32];
    char why[POOL_MSG_MAX + 32];
    snprintf(why, sizeof why, "%s: %s", cli_record_verb(rec),
             rec->msg[0] ? rec->msg : "the worker died");
    if (rec->status == POOL_OK)
        xkcd_accept(x->run, rec->task);
    else
        xkcd_reject(x->run, rec->task, why);
    if (c->status == XKCD_FAILED) {
        cli_xkcd_say_comic(x, c);
    } else if (x->verbose) {
        cli_xkcd_say(x, stdout, "xkcd %ld: -> %s (%s, thread %u, %.2f s)\n", c->num, c->file,
                     cli_xkcd_bytes(c->bytes, size, sizeof size), c->thread,
                     (c->end_ns - c->start_ns) / 1e9);
    }
}

/* Parent: one record per decoded or processed comic. */
static void cli_xkcd_on_result(void *ctx, const struct pool_record *rec)
{
    struct cli_xkcd *x = ctx;
    char path[PATH_MAX], name[XKCD_NAME_MAX];
    pthread_mutex_lock(&x->lock);
    memcpy(name, x->names[rec->task], sizeof name);
    pthread_mutex_unlock(&x->lock);
    trace_span(x->trace, name, x->process ? "process" : "decode", getpid(),
               (int)rec->worker + 1, rec->start_ns, rec->end_ns);
    bool pending = xkcd_comics(x->run)[rec->task].status == XKCD_VERIFY;
    if (pending)
        cli_xkcd_verdict(x, rec);
    if (!x->process || (pending && rec->status != POOL_OK))
        return;   /* a rejected download was reported as the comic's error */
    if (cli_xkcd_join(path, x->out_dir, name) != 0)
        snprintf(path, sizeof path, "%s", name);
    x->proc_done++;
    if (rec->status == POOL_OK) {
        x->proc_ok++;
    } else if (rec->status == POOL_SKIPPED) {
        x->proc_skipped++;
    } else {
        x->proc_failed++;
        cli_xkcd_bar_clear(x);
        cli_print_record(stderr, path, rec);
    }
}

static void cli_xkcd_on_tick(void *ctx, struct pool *p)
{
    (void)p;
    cli_xkcd_draw(ctx);
}

/* Forks the workers, before any download thread exists. */
static int cli_xkcd_pool_start(struct cli_xkcd *x)
{
    int k = snprintf(x->proc_dir, sizeof x->proc_dir, "%s/processed", x->out_dir);
    if (x->process && (k < 0 || k >= (int)sizeof x->proc_dir
                       || (mkdir(x->proc_dir, 0777) != 0 && errno != EEXIST))) {
        fprintf(stderr, "imgpool: cannot create '%s': %s\n", x->proc_dir, strerror(errno));
        return -1;
    }
    struct pool_options o = {0};
    cli_limits_apply(&x->lim, &o, &x->jo);
    o.arg_max = sizeof(struct cli_xkcd_task_arg);
    o.task = cli_xkcd_task;
    o.on_result = cli_xkcd_on_result;
    o.on_tick = cli_xkcd_on_tick;
    o.ctx = x;
    if (pool_create(&o, x->n, &x->pool) != 0) {
        fprintf(stderr, "imgpool: cannot start worker processes: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- one download run ----------------------------------------------------- */

/* Downloads x->nums into out_dir with `threads` threads, feeding the pool if
 * there is one, and waits for both. Leaves x->run for the caller to read and
 * destroy. Returns 0 (per-comic failures included), -1 if it could not run. */
static int cli_xkcd_download(struct cli_xkcd *x, const char *out_dir, unsigned threads,
                             bool force)
{
    char err[512];
    struct xkcd_options o = {0};
    o.base_url = x->base_url;
    o.out_dir = out_dir;
    o.threads = threads;
    o.force = force;
    o.verify = x->pool != NULL;
    o.fetch = x->fo;
    o.on_request = cli_xkcd_on_request;
    o.on_comic = cli_xkcd_on_comic;
    o.on_finish = cli_xkcd_on_finish;
    o.should_stop = cli_xkcd_should_stop;
    o.ctx = x;
    x->start_ns = clock_now_ns();
    if (xkcd_start(&o, x->nums, x->n, &x->run, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool: %s\n", err);
        return -1;
    }
    if (x->pool)
        pool_wait(x->pool);   /* returns once downloads and processing are done */
    while (!xkcd_wait(x->run, 100))
        cli_xkcd_draw(x);
    cli_xkcd_bar_clear(x);
    return 0;
}

/* Wall time of the downloads: from the start to the last comic's end. */
static double cli_xkcd_wall(const struct cli_xkcd *x)
{
    const struct xkcd_comic *c = xkcd_comics(x->run);
    int64_t end = x->start_ns;
    for (size_t i = 0; i < x->n; i++)
        if (c[i].status != XKCD_PENDING && c[i].end_ns > end)
            end = c[i].end_ns;
    return (end - x->start_ns) / 1e9;
}

static void cli_xkcd_summary(const struct cli_xkcd *x)
{
    struct xkcd_progress p;
    char size[32];
    xkcd_progress(x->run, &p);
    double wall = cli_xkcd_wall(x);
    fprintf(stderr, "imgpool: xkcd %s: %zu comic%s: %zu downloaded, %zu already there, "
            "%zu not found, %zu without image, %zu failed\n", x->range, p.total,
            p.total == 1 ? "" : "s", p.ok, p.cached, p.not_found, p.no_image, p.failed);
    fprintf(stderr, "imgpool: %s in %.2f s, %.1f comics/s, %u thread%s, into '%s'\n",
            cli_xkcd_bytes(p.bytes, size, sizeof size), wall,
            wall > 0 ? p.ok / wall : 0.0, p.threads, p.threads == 1 ? "" : "s", x->out_dir);
    if (p.throttled)
        fprintf(stderr, "imgpool: the server answered 429 Too Many Requests %u time%s: "
                "requests in flight went down to %u\n", p.throttled,
                p.throttled == 1 ? "" : "s", p.lowest_limit);
    if (x->process)
        fprintf(stderr, "imgpool: processed %llu: %llu ok, %llu skipped, %llu failed, "
                "%u workers, into '%s'; all done after %.2f s\n",
                (unsigned long long)x->proc_done, (unsigned long long)x->proc_ok,
                (unsigned long long)x->proc_skipped, (unsigned long long)x->proc_failed,
                pool_procs(x->pool), x->proc_dir, (clock_now_ns() - x->start_ns) / 1e9);
}

/* ---- --compare ------------------------------------------------------------ */

const struct cli_xkcd_words cli_xkcd_words_en = {
    .comics = { "comic", "comics" },
    .threads = { "thread", "threads" },
    .title = "xkcd %s: %zu %s from %s\n",
    .heads = { "threads", "wall", "comics/s", "downloaded", "requests" },
    .names = { "sequential", "parallel" },
    .speed_up = "  speed-up %.1fx; parallel wall = %.1fx the slowest comic's JSON+image chain;\n"
                "  identical files: %zu of %zu\n",
    .no_speed_up = "  no speed-up: %zu of %zu comics failed sequentially, %zu in parallel;\n"
                   "  identical files: %zu of %zu\n",
    .run = "\n%s, %u %s:\n",
    .row = "thread %u",
    .legend = { "info.0.json request", "image request" },
    .no_timeline = "(no timeline: out of memory)\n",
    .down = "imgpool: xkcd: no answer from %s: %s; %s run stopped\n",
    .progress = "xkcd: downloaded %zu/%zu%s  %s  %u %s  %.1f s",
};

/* Removes what a --compare run left in its temp folder, then the folder. */
static void cli_xkcd_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0
            && cli_xkcd_join(path, dir, e->d_name) == 0)
            unlink(path);
    if (d)
        closedir(d);
    rmdir(dir);
}

/* One timed run with t->threads threads into a fresh temp folder; fills t,
 * taking over the run's request spans. -1 if it could not run, and then the
 * folder is gone: the caller removes only the folders of runs it holds. */
static int cli_xkcd_timed(struct cli_xkcd *x, struct cli_xkcd_timing *t, char *dir)
{
    if (!mkdtemp(dir)) {
        fprintf(stderr, "imgpool: cannot create a temp folder '%s': %s\n", dir,
                strerror(errno));
        return -1;
    }
    x->nspans = 0;
    if (cli_xkcd_download(x, dir, t->threads, true) != 0) {
        cli_xkcd_rmdir(dir);
        return -1;
    }
    struct xkcd_progress p;
    xkcd_progress(x->run, &p);
    const struct xkcd_comic *c = xkcd_comics(x->run);
    t->threads = p.threads;
    t->wall = cli_xkcd_wall(x);
    t->bytes = p.bytes;
    t->ok = p.ok;
    t->start_ns = x->start_ns;
    memcpy(t->down, p.down, sizeof t->down);
    for (size_t i = 0; i < x->n; i++)
        if (c[i].status == XKCD_OK && (c[i].end_ns - c[i].start_ns) / 1e9 > t->slowest)
            t->slowest = (c[i].end_ns - c[i].start_ns) / 1e9;
    t->spans = x->spans;   /* the download threads are done with them */
    t->nspans = x->nspans;
    x->spans = NULL;
    x->nspans = x->capspans = 0;
    return 0;
}

/* Counts comics whose files are byte-identical in both folders. */
static size_t cli_xkcd_identical(const struct xkcd_comic *a, const char *da,
                                 const struct xkcd_comic *b, const char *db, size_t n)
{
    size_t same = 0;
    for (size_t i = 0; i < n; i++) {
        char pa[PATH_MAX], pb[PATH_MAX];
        if (a[i].status != XKCD_OK || b[i].status != XKCD_OK
            || strcmp(a[i].file, b[i].file) != 0 || cli_xkcd_join(pa, da, a[i].file) != 0
            || cli_xkcd_join(pb, db, b[i].file) != 0)
            continue;
        FILE *fa = fopen(pa, "rb"), *fb = fopen(pb, "rb");
        int ca = 0, cb = 0;
        while (fa && fb && (ca = getc(fa)) == (cb = getc(fb)) && ca != EOF)
            ;
        same += fa && fb && ca == EOF && cb == EOF;
        if (fa)
            fclose(fa);
        if (fb)
            fclose(fb);
    }
    return same;
}

/* Whether both runs got every comic: only then do their times compare. */
static bool cli_xkcd_complete(const struct cli_xkcd_comparison *c)
{
    return c->run[0].ok == c->n && c->run[1].ok == c->n;
}

/* The range sequentially, then in parallel, into temp folders it removes;
 * fills c. Returns the exit code. */
static int cli_xkcd_compare(struct cli_xkcd *x, struct cli_xkcd_comparison *c)
{
    const char *tmp = getenv("TMPDIR") && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/tmp";
    char dir[2][PATH_MAX];
    struct xkcd_run *runs[2] = { NULL, NULL };
    int rc = CLI_FAILED;
    c->range = x->range;
    c->base_url = x->base_url;
    c->n = x->n;
    for (int k = 0; k < 2; k++) {
        snprintf(dir[k], sizeof dir[k], "%s/imgpool-xkcd-%s-XXXXXX", tmp,
                 cli_xkcd_run_names[k]);
        c->run[k].threads = k == 0 ? 1 : x->threads;
        x->trace_row = CLI_XKCD_TRACE_ROW * (k + 1);
        int ok = cli_xkcd_timed(x, &c->run[k], dir[k]);
        runs[k] = x->run;
        x->run = NULL;
        if (ok != 0 || stop_signal())
            goto out;
    }
    c->same = cli_xkcd_identical(xkcd_comics(runs[0]), dir[0], xkcd_comics(runs[1]),
                                 dir[1], x->n);
    c->ran = true;
    rc = cli_xkcd_complete(c) && c->same == c->run[0].ok ? CLI_OK : CLI_FAILED;
out:
    for (int k = 0; k < 2; k++) {
        if (runs[k])
            cli_xkcd_rmdir(dir[k]);
        xkcd_destroy(runs[k]);
    }
    return stop_signal() ? CLI_INTERRUPTED : rc;
}

static void cli_xkcd_print_timing(const struct cli_xkcd_timing *t, const char *name)
{
    char size[32];
    printf("  %-11s %7u %8.2f s %10.1f %12s %9zu\n", name, t->threads, t->wall,
           t->wall > 0 ? t->ok / t->wall : 0.0, cli_xkcd_bytes(t->bytes, size, sizeof size),
           t->nspans);
}

/* A run's timeline: one row per download thread. */
static void cli_xkcd_print_timeline(const struct cli_xkcd_timing *t,
                                    const struct cli_xkcd_words *w)
{
    char labels[CLI_XKCD_MAX_THREADS][24];
    const char *lp[CLI_XKCD_MAX_THREADS];
    unsigned rows = t->threads < CLI_XKCD_MAX_THREADS ? t->threads : CLI_XKCD_MAX_THREADS;
    for (unsigned k = 0; k < rows; k++) {
        snprintf(labels[k], sizeof labels[k], w->row, k);
        lp[k] = labels[k];
    }
    const struct timeline_legend legend[] = { { 'J', w->legend[0] }, { 'I', w->legend[1] } };
    char *s = timeline_render(lp, rows, t->spans, t->nspans, legend, 2, t->start_ns,
                              t->start_ns + (int64_t)(t->wall * 1e9), 0);
    fputs(s ? s : w->no_timeline, stdout);
    free(s);
}

void cli_xkcd_comparison_print(const struct cli_xkcd_comparison *c,
                               const struct cli_xkcd_words *w)
{
    const struct cli_xkcd_timing *t = c->run;
    if (!c->ran)
        return;
    printf(w->title, c->range, c->n, w->comics[c->n != 1], c->base_url);
    printf("  %-11s %7s %10s %10s %12s %9s\n", "", w->heads[0], w->heads[1], w->heads[2],
           w->heads[3], w->heads[4]);
    for (int k = 0; k < 2; k++)
        cli_xkcd_print_timing(&t[k], w->names[k]);
    if (!cli_xkcd_complete(c))
        /* timing a run that failed (or stopped: the site is down) compares
         * nothing: no figure */
        printf(w->no_speed_up, c->n - t[0].ok, c->n, c->n - t[1].ok, c->same, t[0].ok);
    else
        printf(w->speed_up, t[1].wall > 0 ? t[0].wall / t[1].wall : 0.0,
               t[1].slowest > 0 ? t[1].wall / t[1].slowest : 0.0, c->same, t[0].ok);
    for (int k = 0; k < 2; k++) {
        printf(w->run, w->names[k], t[k].threads, w->threads[t[k].threads != 1]);
        cli_xkcd_print_timeline(&t[k], w);
    }
    fflush(stdout);
    for (int k = 0; k < 2; k++)
        if (t[k].down[0])
            fprintf(stderr, w->down, c->base_url, t[k].down, w->names[k]);
}

void cli_xkcd_comparison_free(struct cli_xkcd_comparison *c)
{
    for (int k = 0; k < 2; k++)
        free(c->run[k].spans);
    memset(c, 0, sizeof *c);
}

/* ---- main ----------------------------------------------------------------- */

/* Resolves a range that says "latest", asking the site for its number
 * (cli_xkcd_setup has checked the grammar). Returns 0, or an exit code: a
 * site that cannot tell its latest comic is a failure. */
static int cli_xkcd_range(struct cli_xkcd *x)
{
    char err[512];
    long latest = 0;
    if (!xkcd_range_uses_latest(x->range))
        return 0;
    free(x->nums);
    x->nums = NULL;
    if (xkcd_latest(x->base_url, &x->fo, NULL, &latest, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool: %s (from %s)\n", err, x->base_url);
        return CLI_FAILED;
    }
    if (x->verbose)
        printf("xkcd: the latest comic is %ld\n", latest);
    if (xkcd_range_parse(x->range, latest, &x->nums, &x->n, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool: %s\n", err);
        return CLI_USAGE;
    }
    return 0;
}

/* The output folder, made and checked before the first request, so an
 * unwritable one costs one message and no download. */
static int cli_xkcd_prepare_out(const struct cli_xkcd *x)
{
    struct stat st;
    if (mkdir(x->out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "imgpool: cannot create output folder '%s': %s\n", x->out_dir,
                strerror(errno));
        return -1;
    }
    if (stat(x->out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "imgpool: output '%s' is not a folder\n", x->out_dir);
        return -1;
    }
    if (access(x->out_dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "imgpool: cannot write to output folder '%s': %s\n", x->out_dir,
                strerror(errno));
        return -1;
    }
    return 0;
}

static int cli_xkcd_run(struct cli_xkcd *x)
{
    char err[512];
    if (x->trace_path && trace_create(x->trace_path, &x->trace, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool: %s\n", err);
        return CLI_FAILED;
    }
    if (!x->compare && cli_xkcd_prepare_out(x) != 0)
        return CLI_FAILED;
    int rc = cli_xkcd_range(x);
    if (rc != 0)
        return rc;
    if (x->compare)
        return cli_xkcd_compare(x, x->cmp);
    x->names = calloc(x->n ? x->n : 1, sizeof *x->names);
    if (!x->names || cli_xkcd_pool_start(x) != 0)
        return CLI_FAILED;
    x->trace_row = CLI_XKCD_TRACE_ROW;
    if (cli_xkcd_download(x, x->out_dir, x->threads, x->jo.force) != 0)
        return CLI_FAILED;
    struct xkcd_progress p;
    xkcd_progress(x->run, &p);
    if (stop_signal()) {
        fprintf(stderr, "imgpool: interrupted after %zu of %zu comics\n", p.done, p.total);
        return CLI_INTERRUPTED;
    }
    if (p.down[0]) {
        fprintf(stderr, "imgpool: xkcd: no answer from %s: %s; stopped, %zu of %zu comics "
                "handled\n", x->base_url, p.down, p.done, p.total);
        return CLI_FAILED;
    }
    if (!x->quiet)
        cli_xkcd_summary(x);
    return p.failed || x->proc_failed ? CLI_FAILED : CLI_OK;
}

/* Names the trace rows and writes the trace. */
static int cli_xkcd_trace_close(struct cli_xkcd *x)
{
    char err[512], name[48];
    int pid = getpid();
    unsigned threads = x->threads < x->n ? x->threads : (unsigned)x->n;
    if (!x->trace)
        return 0;
    trace_process_name(x->trace, pid, "imgpool xkcd");
    for (int k = 0; k < (x->compare ? 2 : 1); k++)
        for (unsigned t = 0; t < (x->compare && k == 0 ? 1 : threads); t++) {
            snprintf(name, sizeof name, "%s thread %u",
                     x->compare ? cli_xkcd_run_names[k] : "download", t);
            trace_thread_name(x->trace, pid, CLI_XKCD_TRACE_ROW * (k + 1) + (int)t, name);
        }
    for (unsigned w = 0; x->pool && w < pool_procs(x->pool); w++) {
        snprintf(name, sizeof name, "worker %u", w);
        trace_thread_name(x->trace, pid, (int)w + 1, name);
    }
    int rc = trace_close(x->trace, err, sizeof err);
    x->trace = NULL;
    if (rc != 0)
        fprintf(stderr, "imgpool: %s\n", err);
    return rc;
}

/* Defaults, the options, and what no single option can show, the range's
 * grammar included (its numbers in x->nums, "latest" standing for
 * XKCD_NUM_MAX): 0 to run, 1 after --help, -1 after a message (a usage
 * error, found before any request). */
static int cli_xkcd_setup(struct cli_xkcd *x, int argc, char **argv, bool compare)
{
    char err[512];
    cli_job_defaults(&x->jo);
    cli_limits_defaults(&x->lim);
    x->out_dir = "xkcd";
    x->threads = XKCD_DEFAULT_THREADS;
    x->fo.retries = 3;
    x->base_url = getenv(XKCD_BASE_URL_ENV) && getenv(XKCD_BASE_URL_ENV)[0]
                  ? getenv(XKCD_BASE_URL_ENV) : XKCD_DEFAULT_BASE_URL;
    int prc = cli_xkcd_parse(x, argc, argv, compare);
    if (prc != 0)
        return prc;
    if (cli_limits_finish(&x->lim) != 0)
        return -1;
    if (xkcd_range_parse(x->range, XKCD_NUM_MAX, &x->nums, &x->n, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool: %s\n", err);
        return -1;
    }
    return 0;
}

/* Both entry points: `imgpool xkcd` (compare: --compare given or not) and
 * --compare for a caller that prints the result itself. */
static int cli_xkcd_entry(int argc, char **argv, bool compare,
                          const struct cli_xkcd_words *w, struct cli_xkcd_comparison *cmp)
{
    struct cli_xkcd x = { .w = w, .cmp = cmp };
    char err[512];
    memset(cmp, 0, sizeof *cmp);
    int prc = cli_xkcd_setup(&x, argc, argv, compare);
    if (prc != 0) {
        free(x.nums);
        return prc > 0 ? CLI_OK : CLI_USAGE;
    }
    x.tty = isatty(STDERR_FILENO);
    pthread_mutex_init(&x.lock, NULL);
    stop_catch_signals();
    if (fetch_global_init(err, sizeof err) != 0) {   /* before any thread */
        fprintf(stderr, "imgpool: %s\n", err);
        return CLI_FAILED;
    }
    int rc = cli_xkcd_run(&x);
    xkcd_destroy(x.run);       /* threads end before the pool goes */
    if (cli_xkcd_trace_close(&x) != 0 && rc == CLI_OK)
        rc = CLI_FAILED;
    pool_destroy(x.pool);
    fetch_global_cleanup();
    pthread_mutex_destroy(&x.lock);
    free(x.names);
    free(x.spans);
    free(x.nums);
    return rc;
}

int cli_xkcd_main(int argc, char **argv)
{
    struct cli_xkcd_comparison c;
    int rc = cli_xkcd_entry(argc, argv, false, &cli_xkcd_words_en, &c);
    cli_xkcd_comparison_print(&c, &cli_xkcd_words_en);
    cli_xkcd_comparison_free(&c);
    return rc;
}

int cli_xkcd_compare_main(int argc, char **argv, const struct cli_xkcd_words *w,
                          struct cli_xkcd_comparison *out)
{
    return cli_xkcd_entry(argc, argv, true, w, out);
}

int cli_xkcd_compare_check(int argc, char **argv)
{
    struct cli_xkcd x = { .w = &cli_xkcd_words_en };
    int rc = cli_xkcd_setup(&x, argc, argv, true);
    free(x.nums);
    return rc;
}
