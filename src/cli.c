/* cli.c — what every subcommand's command line shares: the processing
 * options (--gray, --resize, --format, ...), number parsers, file messages,
 * the progress line and --version. The subcommands live in cli_folder.c,
 * cli_xkcd.c and cli_report.c; only this layer prints.
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <gmp.h>
#include <stdio.h>      /* before jpeglib.h, which needs FILE */
#include <jpeglib.h>
#include <libdeflate.h>
#include <zlib.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "imgpool/avif.h"
#include "imgpool/heic.h"
#include "imgpool/icc.h"
#include "imgpool/png.h"
#include "imgpool/tiff.h"
#include "imgpool/webp.h"

/* ---- shared processing options ---------------------------------------- */

void cli_job_defaults(struct job_options *jo)
{
    memset(jo, 0, sizeof *jo);
    jo->autorotate = 1;
    jo->max_file_bytes = 1ull << 30;
}

int cli_parse_range(const char *opt, const char *arg, uint64_t min, uint64_t max,
                    uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || v < min || v > max) {
        fprintf(stderr, "imgpool: invalid value for %s: '%s' (a whole number from %llu to %llu)\n",
                opt, arg, (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_count(const char *opt, const char *arg, unsigned max, unsigned *out)
{
    uint64_t v;
    if (cli_parse_range(opt, arg, 1, max, &v) != 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* "512M", "2G", "1048576" -> bytes. */
int cli_parse_bytes(const char *opt, const char *arg, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    unsigned shift = 0;
    if (*end == 'K' || *end == 'k') shift = 10, end++;
    else if (*end == 'M' || *end == 'm') shift = 20, end++;
    else if (*end == 'G' || *end == 'g') shift = 30, end++;
    if (errno || end == arg || *end || arg[0] == '-' || v > (UINT64_MAX >> shift)) {
        fprintf(stderr, "imgpool: invalid value for %s: '%s' (bytes, with K, M or G)\n",
                opt, arg);
        return -1;
    }
    *out = (uint64_t)v << shift;
    return 0;
}

static int cli_add_op(struct job_options *jo, const struct job_op *op)
{
    if (jo->nops >= JOB_OPS_MAX) {
        fprintf(stderr, "imgpool: too many operations (at most %d)\n", JOB_OPS_MAX);
        return -1;
    }
    jo->ops[jo->nops++] = *op;
    return 1;
}

/* --sampling 444|422|420 (also with colons, as 4:2:0). 1, or -1 with a message. */
static int cli_parse_sampling(const char *arg, enum img_sampling *out)
{
    static const struct { const char *a, *b; enum img_sampling s; } names[] = {
        {"420", "4:2:0", IMG_SAMPLING_420}, {"422", "4:2:2", IMG_SAMPLING_422},
        {"444", "4:4:4", IMG_SAMPLING_444},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(arg, names[i].a) == 0 || strcmp(arg, names[i].b) == 0) {
            *out = names[i].s;
            return 1;
        }
    fprintf(stderr, "imgpool: invalid --sampling '%s' (444, 422 or 420)\n", arg);
    return -1;
}

int cli_job_option(int c, const char *arg, struct job_options *jo)
{
    char err[200];
    struct job_op op = {0};
    uint64_t v;
    switch (c) {
    case CLI_OPT_GRAY:
        op.kind = JOB_OP_GRAY;
        return cli_add_op(jo, &op);
    case CLI_OPT_RESIZE:
        if (geom_parse(arg, &op.geom, err, sizeof err) != 0) {
            fprintf(stderr, "imgpool: invalid geometry '%s': %s\n", arg, err);
            return -1;
        }
        op.kind = JOB_OP_RESIZE;
        return cli_add_op(jo, &op);
    case CLI_OPT_FORMAT:
        jo->format = img_format_parse(arg);
        if (!img_format_writable(jo->format)) {
            fprintf(stderr, "imgpool: invalid --format '%s' (png, jpg, webp, avif, tiff, bmp "
                    "or tga)\n", arg);
            return -1;
        }
        return 1;
    case CLI_OPT_QUALITY:
        if (cli_parse_range("--quality", arg, 1, 100, &v) != 0)
            return -1;
        jo->quality = (int)v;
        return 1;
    case CLI_OPT_LOSSLESS:
        jo->lossless = 1;
        return 1;
    case CLI_OPT_PNG_LEVEL:
        if (cli_parse_range("--png-level", arg, PNG_LEVEL_MIN, PNG_LEVEL_MAX, &v) != 0)
            return -1;
        jo->png_level = (int)v;
        return 1;
    case CLI_OPT_SAMPLING:
        return cli_parse_sampling(arg, &jo->sampling);
    case CLI_OPT_PROGRESSIVE:
        jo->progressive = 1;
        return 1;
    case CLI_OPT_OPTIMIZE:
        jo->optimize = 1;
        return 1;
    case CLI_OPT_NO_AUTOROTATE:
        jo->autorotate = 0;
        return 1;
    case CLI_OPT_NO_EMBEDDED_THUMBNAIL:
        jo->no_embedded_thumbnail = 1;
        return 1;
    case CLI_OPT_KEEP_PROFILE:
        jo->keep_profile = 1;
        return 1;
    case CLI_OPT_STRIP:
        jo->strip = 1;
        return 1;
    case CLI_OPT_FORCE:
        jo->force = 1;
        return 1;
    default:
        return 0;
    }
}

void cli_limits_defaults(struct cli_limits *l)
{
    *l = (struct cli_limits){
        .max_memory = 2ull << 30, .max_pixels = 100000000, .timeout_s = 120,
    };
}

int cli_limits_option(int c, const char *arg, struct cli_limits *l)
{
    uint64_t v;
    switch (c) {
    case CLI_OPT_PROCS:
        return cli_parse_count("--procs", arg, 1024, &l->procs) == 0 ? 1 : -1;
    case CLI_OPT_MAX_MEMORY:
        return cli_parse_bytes("--max-memory", arg, &l->max_memory) == 0 ? 1 : -1;
    case CLI_OPT_MAX_PIXELS:
        return cli_parse_range("--max-pixels", arg, 0, UINT64_MAX, &l->max_pixels) == 0 ? 1 : -1;
    case CLI_OPT_TIMEOUT:
        if (cli_parse_range("--timeout", arg, 0, 86400, &v) != 0)
            return -1;
        l->timeout_s = (unsigned)v;
        return 1;
    default:
        return 0;
    }
}

void cli_limits_apply(const struct cli_limits *l, struct pool_options *po,
                      struct job_options *jo)
{
    po->procs = l->procs;
    po->max_memory = l->max_memory;
    po->task_timeout_ms = l->timeout_s * 1000;
    jo->max_pixels = l->max_pixels;
}

/* This process's mapped address space (VmSize), which a forked worker starts
 * with; 0 if unknown. Under ASan it is terabytes of shadow memory, and the
 * pool sets no ceiling there: 0 too. */
static uint64_t cli_vm_size(void)
{
#ifdef __SANITIZE_ADDRESS__
    return 0;
#else
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %llu kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return (uint64_t)kb << 10;
#endif
}

int cli_limits_finish(const struct cli_limits *l)
{
    uint64_t max_memory = l->max_memory;
    /* Measured (release build, 16x16 PNG): the parent maps 21.5 MiB when the
     * pool starts, and a worker fails below 23 MiB; 16 MiB above the parent
     * leaves room for the codecs' buffers, the pool's shared memory and a
     * small image. */
    uint64_t need = (cli_vm_size() + (16ull << 20) + (1 << 20) - 1) >> 20;
    if (max_memory == 0 || max_memory >> 20 >= need)
        return 0;
    fprintf(stderr, "imgpool: --max-memory %llu%s is below what a worker needs to start"
            " (about %lluM: the program itself, its libraries and codec buffers); use at"
            " least %lluM, or 0 for no limit\n",
            (unsigned long long)(max_memory >= (1 << 20) ? max_memory >> 20 : max_memory),
            max_memory >= (1 << 20) ? "M" : "", (unsigned long long)need,
            (unsigned long long)need);
    return -1;
}

const struct job_result *cli_job_result(const struct pool_record *rec)
{
    if (rec->status == POOL_CRASHED || rec->data_len < sizeof(struct job_result))
        return NULL;
    return (const void *)rec->data;
}

const char *cli_record_verb(const struct pool_record *rec)
{
    static const char *const verbs[JOB_REASON_COUNT] = {
        [JOB_DONE] = "done", [JOB_NOTE_ANIMATED] = "note", [JOB_NOTE_MULTIPAGE] = "note",
        [JOB_NOTE_DAMAGED] = "note",
        [JOB_NOTE_METADATA] = "note",
        [JOB_UP_TO_DATE] = "skipped", [JOB_NOT_AN_IMAGE] = "skipped",
        [JOB_CANNOT_READ] = "cannot read", [JOB_CANNOT_READ_FOLDER] = "cannot read folder",
        [JOB_CANNOT_DECODE] = "cannot decode",
        [JOB_OUT_OF_MEMORY] = "cannot decode", [JOB_CANNOT_PROCESS] = "cannot process",
        [JOB_CANNOT_ENCODE] = "cannot encode", [JOB_CANNOT_WRITE] = "cannot write",
    };
    const struct job_result *jr = cli_job_result(rec);
    return jr && jr->reason < JOB_REASON_COUNT ? verbs[jr->reason] : "cannot process";
}

void cli_print_record(FILE *to, const char *path, const struct pool_record *rec)
{
    fprintf(to, "imgpool: %s '%s': %s\n", cli_record_verb(rec), path, rec->msg);
}

#define CLI_STR2(x) #x
#define CLI_STR(x) CLI_STR2(x)   /* LIBJPEG_TURBO_VERSION is a bare 2.1.5 */

void cli_version(void)
{
    printf("imgpool %s\n", IMGPOOL_VERSION);
    printf("  stb_image 2.27 (Debian libstb)\n");
    printf("  %s\n", curl_version());
    printf("  cJSON %s\n", cJSON_Version());
    printf("  GMP %s\n", gmp_version);
    printf("  libjpeg-turbo %s\n", CLI_STR(LIBJPEG_TURBO_VERSION));
    printf("  libdeflate %s\n", LIBDEFLATE_VERSION_STRING);
    printf("  zlib %s\n", zlibVersion());
    printf("  libwebp %s\n", webp_version());
    printf("  libtiff %s\n", tiff_version());
    printf("  libheif %s\n", heic_version());
    printf("  libavif %s\n", avif_version());
    printf("  lcms2 %s\n", icc_version());
}

/* ---- the progress line ------------------------------------------------ */

void cli_bar_draw(const char *line)
{
    fprintf(stderr, "\r%s\033[K", line);   /* rewrite, then clear what was longer */
}

void cli_bar_erase(void)
{
    fputs("\r\033[K", stderr);
}

unsigned cli_term_width(void)
{
    struct winsize ws;
    if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

