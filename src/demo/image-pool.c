/* image-pool.c — demo 14: "process all images in a directory" with a pool:
 * the program's main job on samples/, once with 1 process, once with N. */
#include "demo.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"

enum { P_DIR, P_OUT, P_PROCS };

static const char *const demo_image_pool_samples = "samples";
static const char *const demo_image_pool_none = NULL;

#define IMAGE_POOL_MAX_ARGS 64

/* demo:core */
/* `imgpool DIR --procs N --out OUT --force [-q] [ARGS...]`: the folder job
 * itself (src/cli.c), timed. Its exit code; its wall time in *wall_ns. */
static int demo_image_pool_job(struct demo_ctx *ctx, const char *out, long long procs, int quiet,
                          int64_t *wall_ns)
{
    char nprocs[24];
    snprintf(nprocs, sizeof nprocs, "%lld", procs);
    char *argv[IMAGE_POOL_MAX_ARGS + 9] = {
        "imgpool", (char *)ctx->str[P_DIR], "--procs", nprocs, "--out", (char *)out, "--force",
    };
    int argc = 7;
    if (quiet)
        argv[argc++] = "-q";
    for (int i = 0; i < ctx->nrest && i < IMAGE_POOL_MAX_ARGS; i++)
        argv[argc++] = ctx->rest[i];
    optind = 0;                  /* a fresh getopt scan for the job's parser */
    struct demo_clock clock;
    demo_clock_start(&clock);
    fflush(stdout);
    int rc = cli_folder_main(argc, argv);
    char label[64];
    snprintf(label, sizeof label, "%lld %s", procs,
             procs == 1 ? demo_tr(ctx, "process", "Prozess") : demo_tr(ctx, "processes", "Prozesse"));
    fflush(stderr);
    demo_clock_print(ctx, &clock, label);
    int64_t cpu_ns;
    demo_clock_stop(&clock, wall_ns, &cpu_ns);
    return rc;
}

static int demo_image_pool_run(struct demo_ctx *ctx)
{
    char tmp[] = "/tmp/imgpool-demo-XXXXXX";
    const char *out = ctx->str[P_OUT];
    if (!out && !(out = mkdtemp(tmp))) {
        perror("imgpool demo: mkdtemp");
        return 1;
    }
    if (ctx->nrest > IMAGE_POOL_MAX_ARGS) {
        fprintf(stderr, "imgpool demo: at most %d arguments after --\n", IMAGE_POOL_MAX_ARGS);
        return 1;
    }
    int64_t wall1, walln;
    int rc = demo_image_pool_job(ctx, out, 1, 1, &wall1);           /* the baseline, quietly */
    if (rc == 0)
        rc = demo_image_pool_job(ctx, out, ctx->val[P_PROCS], 0, &walln);
    if (rc == 0)
        printf("%lld %s 1: %.2fx\n", ctx->val[P_PROCS],
               demo_tr(ctx, "processes, speed-up over", "Prozesse, Speed-up gegenüber"),
               (double)wall1 / (double)(walln ? walln : 1));
    printf("%s %s\n", demo_tr(ctx, "outputs in", "Ergebnisse in"), out);
    return rc == 0 ? 0 : 1;
}
/* demo:end */

const struct demo demo_image_pool = {
    .name = "image-pool",
    .summary = { "process all images in a folder with a pool (the main job, on samples/)",
                 "alle Bilder eines Ordners mit einem Pool verarbeiten (der Hauptauftrag)" },
    .intro = {
        "The course's goal: process every image in a folder with a process pool. This\n"
        "runs imgpool's own folder job (decode, transform, encode each image in a\n"
        "worker process), first with 1 process, then with several, and times both.\n"
        "Arguments after -- go to the job, e.g. -- --gray --resize 50%.\n",
        "Das Ziel des Kurses: jedes Bild eines Ordners mit einem Prozesspool\n"
        "verarbeiten. Das hier startet imgpools eigenen Ordner-Auftrag (jedes Bild in\n"
        "einem Arbeitsprozess dekodieren, umwandeln, kodieren), erst mit 1 Prozess,\n"
        "dann mit mehreren, und misst beide. Argumente nach -- gehen an den Auftrag.\n" },
    .observe = {
        "- Images are independent, so several processes share the work: compare\n"
        "  the wall times; CPU time stays about the same.\n"
        "- Big images dominate: the speed-up is limited by the largest file.\n",
        "- Bilder sind unabhängig, also teilen sich mehrere Prozesse die Arbeit:\n"
        "  Laufzeiten vergleichen; die CPU-Zeit bleibt etwa gleich.\n"
        "- Große Bilder dominieren: der Speed-up ist durch die größte Datei begrenzt.\n" },
    .params = {
        { "dir", 0, 0, 0, "folder of images", &demo_image_pool_samples },
        { "out", 0, 0, 0, "output folder (default: a new folder in /tmp)", &demo_image_pool_none },
        { "procs", 4, 1, 256, "processes of the second run" },
    },
    .flags = DEMO_PASS,
    .run = demo_image_pool_run,
};
