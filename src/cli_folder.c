/* cli_folder.c — `imgpool [OPTIONS] DIR|FILE...`: the folder job.
 *
 * scan the inputs -> plan output names and order -> pool of workers running
 * job_file -> per-record messages, report, trace -> summary and exit code.
 * Everything the user sees is printed here; the modules below only return.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgpool/plan.h"
#include "imgpool/pool.h"
#include "imgpool/progress.h"
#include "imgpool/report.h"
#include "imgpool/shard.h"
#include "imgpool/text.h"
#include "imgpool/timeline.h"
#include "imgpool/trace.h"
#include "imgpool/clock.h"
#include "imgpool/stop.h"

#define CLI_FIRST_ERRORS 5

struct cli_run {
    /* options */
    struct job_options jo;
    struct cli_limits lim;
    const char *out_dir;
    struct scan_options so;
    int quiet, timeline;
    const char *trace_path, *report_path;
    struct shard shard;
    unsigned shards;             /* --shards N, for JOB_COMPLETION_INDEX */
    const char *files_from;      /* --files-from FILE, "-" = stdin */
    int nul;                     /* -0: the list is NUL-separated */
    /* run state (parent) */
    const struct cli_folder_words *w;   /* what the lines say */
    struct plan *plan;
    struct report *report;
    struct trace *trace;
    int tty, bar_shown;
    int64_t start_ns, cpu_ns;
    uint64_t total;              /* tasks of this run (this shard) */
    uint64_t done, ok, failed, crashed, skipped, up_to_date, list_errors;
    char first_errors[CLI_FIRST_ERRORS][POOL_MSG_MAX + 256];
    unsigned nerrors;
    struct timeline_span *spans;   /* --timeline: one per file */
    size_t nspans, capspans;
};

const struct cli_folder_words cli_folder_words_en = {
    .file = NULL,   /* the records' own English: cli_print_record */
    .interrupted = "interrupted after ",
    .counts = "%llu files: %llu %s, %llu skipped",
    .processed = { "processed", "would be processed" },
    .up_to_date = " (%llu up to date)",
    .failed = ", %llu failed",
    .crashed = ", %llu crashed",
    .times = "%.2f s wall, %.1f files/s, %u %s, %.2f s CPU in workers, CPU/wall %.2f\n",
    .workers = { "worker", "workers" },
    .first_errors = "first errors:\n",
    .kept = "up-to-date outputs were kept; --force redoes them\n",
    .nothing = "nothing to do: no files found%s\n",
    .in_shard = " in this shard",
    .row = "worker %u",
    .legend = { "processed", "skipped", "failed", "crashed" },
};

/* ---- usage ------------------------------------------------------------- */

static void cli_usage(FILE *to)
{
    fputs(
"Usage: imgpool [OPTIONS] DIR|FILE...\n"
"       imgpool report merge REPORT.json... [-o OUT.json]\n"
"       imgpool xkcd RANGE [OPTIONS]      download xkcd comics (imgpool xkcd --help)\n"
"       imgpool demo NAME [OPTIONS]       lecture demos (imgpool demo list)\n"
"\n"
"Processes every image in the given folders and files with a pool of worker\n"
"processes. Outputs mirror the inputs' relative paths under --out.\n"
"\n"
"Operations (applied in the order given):\n"
"      --gray             to grayscale (ITU-R BT.601 luma), alpha kept\n"
"      --resize GEOMETRY  256x256 (fit inside), 50%, 800x, x600, WxH! (exact),\n"
"                         WxH> (only shrink), WxH< (only enlarge)\n"
"Output:\n"
"  -o, --out DIR          output folder (default: imgpool-out); never the inputs\n"
"      --format FMT       png, jpg, webp, avif, tiff, bmp or tga (default: the\n"
"                         input's if writable, else png)\n"
"      --quality Q        1-100 as each library means it: JPEG (default 90), WebP\n"
"                         (as cwebp/Pillow; default 80), AVIF (as Pillow; default 75)\n"
"      --lossless         WebP output is lossless\n"
"      --png-level N      PNG effort 1 (fast) to 12 (small) (default 6)\n"
"      --sampling S       JPEG chroma subsampling: 420 (default), 422 or 444\n"
"      --progressive      progressive JPEG (smaller, slower to write and read)\n"
"      --optimize         JPEG with optimal Huffman tables (smaller, slower)\n"
"      --force            redo outputs that are already up to date\n"
"      --no-autorotate    keep pixels as stored (ignore the orientation of JPEG,\n"
"                         WebP and TIFF; HEIC/AVIF rotation always applies)\n"
"      --no-embedded-thumbnail  decode a HEIC whole even where its embedded\n"
"                         thumbnail covers the resize (slower, never softer)\n"
"Colour and metadata:\n"
"      --keep-profile     keep pixels in their embedded ICC profile and embed it in\n"
"                         the output (default: convert to sRGB, drop the profile)\n"
"      --strip            write no metadata: no EXIF (GPS...), XMP or profile\n"
"                         (default: EXIF without thumbnail, orientation 1; XMP)\n"
"Inputs:\n"
"  -r, --recursive        descend into sub-folders (mirrored under --out)\n"
"      --hidden           include hidden files and folders (.name)\n"
"      --files-from FILE  also take the paths listed in FILE (- for stdin), one a line\n"
"  -0, --null             the list is NUL-separated (find -print0)\n"
"Many machines:\n"
"      --shard K/N        process only shard K of N (a stable hash of each path)\n"
"      --shards N         shard count for Kubernetes' JOB_COMPLETION_INDEX\n"
"                         (Slurm's SLURM_ARRAY_TASK_ID/COUNT are read by themselves)\n"
"Pool:\n"
CLI_LIMITS_HELP
"Reporting:\n"
"  -n, --dry-run          say what would be done, write nothing\n"
"  -q, --quiet            only errors; no progress bar, no summary\n"
"      --report FILE      JSON record per file (schema imgpool-report/1)\n"
"      --trace FILE       Chrome trace (open in ui.perfetto.dev): one span per file\n"
"      --timeline         at the end, draw one row per worker: who worked on what when\n"
"  -h, --help             this help\n"
"  -V, --version          version and libraries\n"
"\n"
"Exit status: 0 all done, 1 some files failed, 2 usage error, 130 interrupted.\n",
          to);
}

/* ---- option parsing ---------------------------------------------------- */

enum { CLI_OPT_HIDDEN = 0x2000, CLI_OPT_REPORT,
       CLI_OPT_TRACE, CLI_OPT_SHARD, CLI_OPT_SHARDS, CLI_OPT_FILES_FROM, CLI_OPT_TIMELINE };

/* --shard wins; else a scheduler's environment; else everything. */
static int cli_resolve_shard(struct cli_run *r)
{
    char err[256];
    if (r->shard.source)
        return 0;
    if (shard_from_env(getenv, r->shards, &r->shard, err, sizeof err) < 0) {
        fprintf(stderr, "imgpool: %s\n", err);
        return -1;
    }
    if (r->shards && !r->shard.source) {
        fprintf(stderr, "imgpool: --shards needs JOB_COMPLETION_INDEX in the environment"
                " (or use --shard K/N)\n");
        return -1;
    }
    return 0;
}

/* Applies one folder-job option (not a processing option): 1 if applied,
 * 2 after --help/--version were printed, -1 after a message. */
static int cli_folder_option(struct cli_run *r, int c, const char *arg, char **argv)
{
    switch (c) {
    case 'o': r->out_dir = arg; return 1;
    case 'r': r->so.recursive = 1; return 1;
    case CLI_OPT_HIDDEN: r->so.hidden = 1; return 1;
    case 'n': r->jo.dry_run = 1; return 1;
    case 'q': r->quiet = 1; return 1;
    case CLI_OPT_REPORT: r->report_path = arg; return 1;
    case CLI_OPT_TRACE: r->trace_path = arg; return 1;
    case CLI_OPT_TIMELINE: r->timeline = 1; return 1;
    case CLI_OPT_SHARD: {
        char err[200];
        if (shard_parse(arg, &r->shard, err, sizeof err) != 0) {
            fprintf(stderr, "imgpool: %s\n", err);
            return -1;
        }
        return 1;
    }
    case CLI_OPT_SHARDS:
        if (cli_parse_count("--shards", arg, SHARD_MAX, &r->shards) != 0)
            return -1;
        return 1;
    case CLI_OPT_FILES_FROM: r->files_from = arg; return 1;
    case '0': r->nul = 1; return 1;
    case 'h': cli_usage(stdout); return 2;
    case 'V': cli_version(); return 2;
    case ':':
        fprintf(stderr, "imgpool: option '%s' needs a value\n", argv[optind - 1]);
        return -1;
    default:
        fprintf(stderr, "imgpool: unknown option '%s'\n", argv[optind - 1]);
        return -1;
    }
}

static int cli_parse(struct cli_run *r, int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_JOB_LONGOPTS,
        CLI_LIMITS_LONGOPTS,
        {"out", required_argument, 0, 'o'},
        {"recursive", no_argument, 0, 'r'},
        {"hidden", no_argument, 0, CLI_OPT_HIDDEN},
        {"dry-run", no_argument, 0, 'n'},
        {"quiet", no_argument, 0, 'q'},
        {"report", required_argument, 0, CLI_OPT_REPORT},
        {"trace", required_argument, 0, CLI_OPT_TRACE},
        {"timeline", no_argument, 0, CLI_OPT_TIMELINE},
        {"shard", required_argument, 0, CLI_OPT_SHARD},
        {"shards", required_argument, 0, CLI_OPT_SHARDS},
        {"files-from", required_argument, 0, CLI_OPT_FILES_FROM},
        {"null", no_argument, 0, '0'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":j:o:rnqhV0", longopts, NULL)) != -1) {
        int rc = cli_job_option(c, optarg, &r->jo);
        if (rc == 0)
            rc = cli_limits_option(c, optarg, &r->lim);
        if (rc == 0)
            rc = cli_folder_option(r, c, optarg, argv);
        if (rc != 1)
            return rc == 2 ? 1 : -1;
    }
    if (optind >= argc && !r->files_from) {
        fprintf(stderr, "imgpool: no input given (a folder or files)\n");
        return -1;
    }
    return cli_resolve_shard(r);
}

/* ---- the run ----------------------------------------------------------- */

static void cli_bar_clear(struct cli_run *r)
{
    if (r->bar_shown) {
        cli_bar_erase();
        r->bar_shown = 0;
    }
}

static void cli_tick(void *ctx, struct pool *p)
{
    struct cli_run *r = ctx;
    if (!r->tty || r->quiet)
        return;
    struct pool_stats st;
    pool_stats(p, &st);
    struct progress_view v = {
        st.ok + st.failed + st.skipped + st.crashed, r->total,
        st.failed + st.crashed, clock_now_ns() - r->start_ns, st.busy, st.procs,
        r->w->progress,
    };
    char line[256];
    progress_line(&v, cli_term_width() - 1, line, sizeof line);
    cli_bar_draw(line);
    r->bar_shown = 1;
}

static const char *cli_status_name(int status)
{
    static const char *const names[] = { "ok", "failed", "skipped", "crashed" };
    return status >= 0 && status <= POOL_CRASHED ? names[status] : "failed";
}

static void cli_trace_record(struct cli_run *r, const struct plan_item *it,
                             const struct pool_record *rec)
{
    int pid = getpid(), tid = (int)rec->worker + 1;
    trace_span(r->trace, it->in->rel, cli_status_name(rec->status), pid, tid,
               rec->start_ns, rec->end_ns);
    if (rec->status != POOL_OK || rec->data_len < sizeof(struct job_result))
        return;
    const struct job_result *jr = (const void *)rec->data;
    int64_t t = rec->end_ns - jr->decode_ns - jr->ops_ns - jr->encode_ns;
    trace_span(r->trace, "decode", "stage", pid, tid, t, t + jr->decode_ns);
    t += jr->decode_ns;
    trace_span(r->trace, "operations", "stage", pid, tid, t, t + jr->ops_ns);
    t += jr->ops_ns;
    trace_span(r->trace, "encode+write", "stage", pid, tid, t, t + jr->encode_ns);
}

static void cli_report_record(struct cli_run *r, const struct plan_item *it,
                              const struct pool_record *rec)
{
    const struct job_result *jr = cli_job_result(rec);
    char error[POOL_MSG_MAX + 64];
    snprintf(error, sizeof error, "%s: %s", cli_record_verb(rec), rec->msg);
    struct report_file f = {
        .path = it->in->path,
        .output = rec->status == POOL_OK && !r->jo.dry_run ? it->out : NULL,
        .status = cli_status_name(rec->status),
        .reason = jr ? job_reason_name(jr->reason) : "crashed",
        .error = rec->status == POOL_OK ? NULL : error,
        .bytes_in = rec->bytes_in, .bytes_out = rec->bytes_out,
        .width = jr ? jr->in_w : 0, .height = jr ? jr->in_h : 0,
        .out_width = jr ? jr->out_w : 0, .out_height = jr ? jr->out_h : 0,
        .ms = (rec->end_ns - rec->start_ns) / 1e6,
        .worker_pid = rec->pid, .worker = rec->worker,
    };
    report_add(r->report, &f);
}

/* A file's line in the caller's words (r->w->file), path as given. */
static void cli_file_words(const struct cli_run *r, const struct plan_item *it,
                           const char *path, const struct pool_record *rec,
                           char *out, size_t len)
{
    struct cli_folder_file f = {
        .path = path, .taken_by = it->clash_with, .rec = rec, .jr = cli_job_result(rec),
    };
    r->w->file(&f, out, len);
}

/* A note, skip or failure: its line on stderr. */
static void cli_print_file(struct cli_run *r, const struct plan_item *it,
                           const struct pool_record *rec)
{
    cli_bar_clear(r);
    if (!r->w->file) {
        cli_print_record(stderr, it->in->path, rec);
        return;
    }
    char line[sizeof r->first_errors[0]];
    cli_file_words(r, it, it->in->path, rec, line, sizeof line);
    fprintf(stderr, "imgpool: %s\n", line);
}

/* The failure's line now, and again in the summary's first errors, with
 * the path shortened in the middle there so the reason always shows. */
static void cli_note_failure(struct cli_run *r, const struct plan_item *it,
                             const struct pool_record *rec)
{
    cli_print_file(r, it, rec);
    if (r->nerrors >= CLI_FIRST_ERRORS)
        return;
    char shown[200], *to = r->first_errors[r->nerrors++];
    text_shorten(it->in->path, sizeof shown - 1, shown, sizeof shown);
    if (r->w->file)
        cli_file_words(r, it, shown, rec, to, sizeof r->first_errors[0]);
    else
        snprintf(to, sizeof r->first_errors[0], "%s: %s: %s", shown, cli_record_verb(rec),
                 rec->msg);
}

static void cli_timeline_record(struct cli_run *r, const struct pool_record *rec)
{
    if (r->nspans == r->capspans) {
        size_t cap = r->capspans ? 2 * r->capspans : 256;
        struct timeline_span *sp = realloc(r->spans, cap * sizeof *sp);
        if (!sp)
            return;   /* the picture loses a span, the run goes on */
        r->spans = sp;
        r->capspans = cap;
    }
    static const char marks[] = { '#', 'x', '-', 'X' };
    r->spans[r->nspans++] = (struct timeline_span){
        rec->worker, rec->start_ns, rec->end_ns,
        marks[rec->status >= 0 && rec->status <= POOL_CRASHED ? rec->status : 1],
    };
}

static void cli_timeline_print(const struct cli_run *r, unsigned procs)
{
    const struct timeline_legend legend[] = {
        { '#', r->w->legend[0] }, { '-', r->w->legend[1] }, { 'x', r->w->legend[2] },
        { 'X', r->w->legend[3] },
    };
    char names[64][32];
    const char *labels[64];
    unsigned rows = procs < 64 ? procs : 64;
    for (unsigned w = 0; w < rows; w++) {
        snprintf(names[w], sizeof names[w], r->w->row, w);
        labels[w] = names[w];
    }
    char *pic = timeline_render(labels, rows, r->spans, r->nspans, legend, 4, r->start_ns,
                                clock_now_ns(), cli_term_width() > 40 ? cli_term_width() - 20 : 60);
    if (pic)
        fputs(pic, stderr);
    free(pic);
}

static void cli_result(void *ctx, const struct pool_record *rec)
{
    struct cli_run *r = ctx;
    const struct plan_item *it = plan_get(r->plan, rec->task);
    const struct job_result *jr = cli_job_result(rec);
    enum job_reason why = jr ? (enum job_reason)jr->reason : JOB_CANNOT_PROCESS;
    r->done++;
    r->cpu_ns += rec->cpu_ns;
    if (rec->status == POOL_OK) {
        r->ok++;
        if (why != JOB_DONE && !r->quiet)   /* a note, e.g. animated GIF */
            cli_print_file(r, it, rec);
        if (r->jo.dry_run && jr) {
            cli_bar_clear(r);
            printf("%s -> %s (%ux%u)\n", it->in->path, it->out, jr->in_w, jr->in_h);
        }
    } else if (rec->status == POOL_SKIPPED) {
        r->skipped++;
        if (why == JOB_UP_TO_DATE) {
            r->up_to_date++;
        } else if (!r->quiet) {
            cli_print_file(r, it, rec);
        }
    } else {
        if (rec->status == POOL_CRASHED)
            r->crashed++;
        else
            r->failed++;
        cli_note_failure(r, it, rec);
    }
    if (r->report)
        cli_report_record(r, it, rec);
    if (r->trace)
        cli_trace_record(r, it, rec);
    if (r->timeline)
        cli_timeline_record(r, rec);
}

static int cli_task(void *ctx, uint64_t task, const void *arg, size_t len,
                    struct pool_record *rec)
{
    struct cli_run *r = ctx;
    (void)arg; (void)len;
    const struct plan_item *it = plan_get(r->plan, task);
    if (it->in->problem == SCAN_UNREADABLE_FOLDER)
        return job_end(rec, JOB_CANNOT_READ_FOLDER, "%s", strerror(it->in->err));
    if (it->in->problem == SCAN_NOT_REGULAR)
        return job_end_detail(rec, JOB_CANNOT_READ, JOB_DETAIL_NOT_REGULAR,
                              "not a regular file");
    if (it->in->problem)
        return job_end(rec, JOB_CANNOT_READ, "%s", strerror(it->in->err));
    if (it->clash_with) {
        char a[100], b[100];
        return job_end_detail(rec, JOB_CANNOT_WRITE, JOB_DETAIL_NAME_TAKEN,
                              "output name '%s' is taken by '%s'",
                              text_shorten(it->out, sizeof a - 1, a, sizeof a),
                              text_shorten(it->clash_with, sizeof b - 1, b, sizeof b));
    }
    return job_file(&r->jo, it->in->path, it->out, rec);
}

/* The counts line of the summary. */
static void cli_summary_counts(const struct cli_run *r, int interrupted)
{
    const struct cli_folder_words *w = r->w;
    fprintf(stderr, "imgpool: %s", interrupted ? w->interrupted : "");
    fprintf(stderr, w->counts, (unsigned long long)r->done, (unsigned long long)r->ok,
            w->processed[r->jo.dry_run != 0], (unsigned long long)r->skipped);
    if (r->up_to_date)
        fprintf(stderr, w->up_to_date, (unsigned long long)r->up_to_date);
    fprintf(stderr, w->failed, (unsigned long long)r->failed);
    if (r->crashed)
        fprintf(stderr, w->crashed, (unsigned long long)r->crashed);
    fputc('\n', stderr);
}

static void cli_summary(const struct cli_run *r, int interrupted, unsigned procs)
{
    const struct cli_folder_words *w = r->w;
    double wall = (clock_now_ns() - r->start_ns) / 1e9;
    double cpu = r->cpu_ns / 1e9;
    cli_summary_counts(r, interrupted);
    fputs("imgpool: ", stderr);
    fprintf(stderr, w->times, wall, wall > 0 ? r->done / wall : 0.0, procs,
            w->workers[procs != 1], cpu, wall > 0 ? cpu / wall : 0.0);
    if (r->nerrors) {
        fprintf(stderr, "imgpool: %s", w->first_errors);
        for (unsigned i = 0; i < r->nerrors; i++)
            fprintf(stderr, "  %s\n", r->first_errors[i]);
    }
    if (r->up_to_date && !r->jo.force)
        fprintf(stderr, "imgpool: %s", w->kept);
}

/* The output folder: made (unless dry run) and checked before any work, so
 * an unwritable one is one message, not one per file. */
static int cli_prepare_out(struct cli_run *r)
{
    struct stat st;
    if (!r->jo.dry_run && mkdir(r->out_dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "imgpool: cannot create output folder '%s': %s\n", r->out_dir,
                strerror(errno));
        return -1;
    }
    if (stat(r->out_dir, &st) != 0) {
        if (r->jo.dry_run)
            return 0;
        fprintf(stderr, "imgpool: cannot use output folder '%s': %s\n", r->out_dir,
                strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "imgpool: output '%s' is not a folder\n", r->out_dir);
        return -1;
    }
    if (!r->jo.dry_run && access(r->out_dir, W_OK | X_OK) != 0) {
        fprintf(stderr, "imgpool: cannot write to output folder '%s': %s\n", r->out_dir,
                strerror(errno));
        return -1;
    }
    r->jo.out_root = r->out_dir;
    r->so.skip_dir = 1;
    r->so.skip_dev = st.st_dev;
    r->so.skip_ino = st.st_ino;
    return 0;
}

/* --files-from: one path per line (or per NUL with -0). A missing listed
 * file is a per-file error (exit 1), not a usage error. */
static int cli_read_list(struct cli_run *r, struct scan *s)
{
    FILE *f = strcmp(r->files_from, "-") == 0 ? stdin : fopen(r->files_from, "r");
    if (!f) {
        fprintf(stderr, "imgpool: cannot open list '%s': %s\n", r->files_from, strerror(errno));
        return -1;
    }
    char *line = NULL, err[4200];
    size_t cap = 0;
    ssize_t n;
    while ((n = getdelim(&line, &cap, r->nul ? '\0' : '\n', f)) > 0) {
        if (line[n - 1] == (r->nul ? '\0' : '\n'))
            line[--n] = '\0';
        if (n == 0)
            continue;
        if (scan_add_listed(s, line, err, sizeof err) != 0) {
            fprintf(stderr, "imgpool: %s\n", err);
            r->list_errors++;
        }
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return 0;
}

static int cli_scan(struct cli_run *r, int argc, char **argv, struct scan **out)
{
    char err[4200];
    if (scan_create(&r->so, out) != 0) {
        fprintf(stderr, "imgpool: out of memory\n");
        return -1;
    }
    int rc = 0;
    for (int i = optind; i < argc; i++) {
        if (scan_add(*out, argv[i], err, sizeof err) != 0) {
            fprintf(stderr, "imgpool: %s\n", err);
            rc = -1;
        }
    }
    if (rc == 0 && r->files_from)
        rc = cli_read_list(r, *out);
    for (size_t i = 0; !r->quiet && i < scan_note_count(*out); i++)
        fprintf(stderr, "imgpool: %s\n", scan_note(*out, i));
    return rc;
}

static int cli_open_outputs(struct cli_run *r)
{
    char err[4200];
    if (r->report_path && report_create(r->report_path, &r->report, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool: %s\n", err);
        return -1;
    }
    if (r->trace_path && trace_create(r->trace_path, &r->trace, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool: %s\n", err);
        return -1;
    }
    return 0;
}

static int cli_close_outputs(struct cli_run *r, int interrupted, unsigned procs)
{
    char err[4200];
    int rc = 0;
    if (r->report) {
        struct report_summary s = {
            r->done, r->ok, r->failed, r->skipped, r->crashed,
            (clock_now_ns() - r->start_ns) / 1e6, r->cpu_ns / 1e6, procs, interrupted,
        };
        if (report_close(r->report, &s, err, sizeof err) != 0) {
            fprintf(stderr, "imgpool: %s\n", err);
            rc = -1;
        }
        r->report = NULL;
    }
    if (r->trace) {
        int pid = getpid();
        trace_process_name(r->trace, pid, "imgpool workers");
        for (unsigned w = 0; w < procs; w++) {
            char name[32];
            snprintf(name, sizeof name, "worker %u", w);
            trace_thread_name(r->trace, pid, (int)w + 1, name);
        }
        if (trace_close(r->trace, err, sizeof err) != 0) {
            fprintf(stderr, "imgpool: %s\n", err);
            rc = -1;
        }
        r->trace = NULL;
    }
    return rc;
}

static int cli_in_shard(const struct cli_run *r, size_t item)
{
    return r->shard.count <= 1 ||
           shard_of(plan_get(r->plan, item)->in->rel, r->shard.count) == r->shard.index;
}

static int cli_run_pool(struct cli_run *r, unsigned *procs_out)
{
    struct pool_options o = {0};
    cli_limits_apply(&r->lim, &o, &r->jo);
    o.task = cli_task;
    o.on_result = cli_result;
    o.on_tick = cli_tick;
    o.ctx = r;
    size_t n = plan_count(r->plan);
    if (!o.procs)
        o.procs = pool_default_procs();
    if (o.procs > r->total)   /* the pool caps by capacity, which counts every shard */
        o.procs = (unsigned)r->total;
    struct pool *p;
    if (pool_create(&o, n, &p) != 0) {
        fprintf(stderr, "imgpool: cannot start worker processes: %s\n", strerror(errno));
        return -1;
    }
    *procs_out = pool_procs(p);
    const size_t *order = plan_order(r->plan);
    for (size_t i = 0; i < n; i++)
        if (cli_in_shard(r, order[i]))
            pool_publish(p, order[i], NULL, 0);
    pool_close(p);
    int end = pool_wait(p);
    pool_destroy(p);
    cli_bar_clear(r);
    return end;
}

/* Defaults, the options, and what no single option can show: 0 to run, 1
 * after --help/--version, -1 after a message (a usage error). */
static int cli_folder_setup(struct cli_run *r, int argc, char **argv)
{
    cli_job_defaults(&r->jo);
    r->out_dir = "imgpool-out";
    cli_limits_defaults(&r->lim);
    int prc = cli_parse(r, argc, argv);
    if (prc != 0)
        return prc;
    return cli_limits_finish(&r->lim) != 0 ? -1 : 0;
}

int cli_folder_check(int argc, char **argv)
{
    struct cli_run r = {0};
    return cli_folder_setup(&r, argc, argv);
}

int cli_folder_main(int argc, char **argv)
{
    return cli_folder_run(argc, argv, NULL);
}

int cli_folder_run(int argc, char **argv, const struct cli_folder_words *w)
{
    struct cli_run r = {0};
    r.w = w ? w : &cli_folder_words_en;
    int prc = cli_folder_setup(&r, argc, argv);
    if (prc != 0)
        return prc > 0 ? CLI_OK : CLI_USAGE;
    r.tty = isatty(STDERR_FILENO);
    r.start_ns = clock_now_ns();
    stop_catch_signals();

    struct scan *scan = NULL;
    int rc = CLI_FAILED;
    if (cli_prepare_out(&r) != 0)
        goto out;
    if (cli_open_outputs(&r) != 0 || cli_scan(&r, argc, argv, &scan) != 0) {
        rc = CLI_USAGE;
        goto out;
    }
    char err[4200];
    if (plan_create(scan, r.out_dir, &r.jo, &r.plan, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool: %s\n", err);
        goto out;
    }
    if (!r.jo.dry_run)
        plan_make_dirs(r.plan);
    for (size_t i = 0; i < plan_count(r.plan); i++)
        r.total += cli_in_shard(&r, i);
    if (r.shard.count > 1 && !r.quiet)
        fprintf(stderr, "imgpool: shard %u/%u (from %s): %llu of %zu files\n",
                r.shard.index + 1, r.shard.count, r.shard.source,
                (unsigned long long)r.total, plan_count(r.plan));
    if (r.total == 0) {   /* still a (empty) report: a merge step expects one per shard */
        if (!r.quiet) {
            fputs("imgpool: ", stderr);
            fprintf(stderr, r.w->nothing, r.shard.count > 1 ? r.w->in_shard : "");
        }
        rc = cli_close_outputs(&r, 0, 0) != 0 || r.list_errors ? CLI_FAILED : CLI_OK;
        goto out;
    }
    unsigned procs = 0;
    int end = stop_signal() ? POOL_INTERRUPTED : cli_run_pool(&r, &procs);
    if (end < 0)
        goto out;
    if (r.timeline)
        cli_timeline_print(&r, procs);
    if (!r.quiet || end == POOL_INTERRUPTED)
        cli_summary(&r, end == POOL_INTERRUPTED, procs);
    int closed = cli_close_outputs(&r, end == POOL_INTERRUPTED, procs);
    rc = end == POOL_INTERRUPTED ? CLI_INTERRUPTED
         : (r.failed || r.crashed || r.list_errors || closed != 0) ? CLI_FAILED : CLI_OK;
out:
    if (rc == CLI_USAGE) {   /* no report of a run that never started */
        report_abort(r.report);
        trace_abort(r.trace);
    } else {
        cli_close_outputs(&r, 1, 0);
    }
    plan_destroy(r.plan);
    scan_destroy(scan);
    free(r.spans);
    return rc;
}
