/* image-pool.c — demo 14: "process all images in a directory" with a pool:
 * the program's main job on samples/, once with 1 process, once with N. */
#include "demo.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli.h"

enum { P_DIR, P_OUT, P_PROCS };

static const char *const demo_image_pool_none = NULL;

/* The job's command line: the fixed arguments, then the user's after --. */
#define IMAGE_POOL_ARGV (DEMO_MAX_PASS + 10)

/* The images: --dir, else the project's samples (the source tree's, or the
 * installed PREFIX/share/imgpool/samples), else ./samples. */
static const char *demo_image_pool_dir(const struct demo_ctx *ctx, char *buf, size_t len)
{
    if (ctx->str[P_DIR])
        return ctx->str[P_DIR];
    return demo_find_data("samples", "samples", buf, len) == 0 ? buf : "samples";
}

/* Removes the demo's own temp folder and what a failed job left in it. */
static int demo_image_pool_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 ? 0 : -1;
}

/* demo:core */
/* `imgpool DIR --procs N --out OUT --force [-q] [ARGS...]` in argv (room
 * for IMAGE_POOL_ARGV, NULL-terminated; the driver allows DEMO_MAX_PASS
 * ARGS); returns argc. nprocs: room for the number. */
static int demo_image_pool_argv(const struct demo_ctx *ctx, const char *dir, const char *out,
                                long long procs, int quiet, char *nprocs, size_t len,
                                char **argv)
{
    snprintf(nprocs, len, "%lld", procs);
    int argc = 0;
    const char *fixed[] = { "imgpool", dir, "--procs", nprocs, "--out", out, "--force" };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        argv[argc++] = (char *)fixed[i];
    if (quiet)
        argv[argc++] = "-q";
    else if (ctx->timeline)
        argv[argc++] = "--timeline";   /* the job draws its workers itself */
    for (int i = 0; i < ctx->nrest; i++)
        argv[argc++] = ctx->rest[i];
    argv[argc] = NULL;
    optind = 0;                  /* a fresh getopt scan for the job's parser */
    return argc;
}

/* The folder job itself (src/cli_folder.c) on dir into out, timed. Its exit
 * code; wall and CPU time. */
static int demo_image_pool_job(struct demo_ctx *ctx, const char *dir, const char *out,
                               long long procs, int quiet, int64_t *wall_ns, int64_t *cpu_ns)
{
    char nprocs[24], *argv[IMAGE_POOL_ARGV];
    int argc = demo_image_pool_argv(ctx, dir, out, procs, quiet, nprocs, sizeof nprocs, argv);
    struct demo_clock clock;
    demo_clock_start(&clock);
    fflush(stdout);
    int rc = cli_folder_main(argc, argv);
    demo_clock_stop(&clock, wall_ns, cpu_ns);
    fflush(stderr);
    return rc;
}

static int demo_image_pool_run(struct demo_ctx *ctx)
{
    const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char tmp[PATH_MAX], samples[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/imgpool-demo-XXXXXX", tmpdir);
    const char *dir = demo_image_pool_dir(ctx, samples, sizeof samples);
    const char *out = ctx->str[P_OUT];
    if (!out && !(out = mkdtemp(tmp))) {
        demo_complain(ctx, "cannot create a temp folder in %s: %s\n",
                      "kann in %s keinen Ordner anlegen: %s\n", tmpdir, strerror(errno));
        return 1;
    }
    demo_say(ctx, "images: %s\n", "Bilder: %s\n", dir);
    long long procs[2] = { 1, ctx->val[P_PROCS] };
    int64_t wall[2], cpu[2];
    int rc = 0;
    for (int k = 0; k < 2 && rc == 0; k++) {       /* the baseline quietly, then N */
        rc = demo_image_pool_job(ctx, dir, out, procs[k], k == 0, &wall[k], &cpu[k]);
        if (rc == 0)   /* a failed job's time measures nothing */
            demo_say(ctx, "%lld %-10s wall %.3f s, CPU %.3f s\n",
                     "%lld %-10s Laufzeit %.3f s, CPU-Zeit %.3f s\n", procs[k],
                     procs[k] == 1 ? demo_tr(ctx, "process:", "Prozess:")
                                   : demo_tr(ctx, "processes:", "Prozesse:"),
                     wall[k] / 1e9, cpu[k] / 1e9);
    }
    if (rc == 0) {
        demo_say(ctx, "speed-up with %lld processes: %.2fx (wall time of 1 / of %lld)\n",
                 "Beschleunigung mit %lld Prozessen: %.2fx (Laufzeit mit 1 / mit %lld)\n",
                 procs[1], (double)wall[0] / (double)(wall[1] ? wall[1] : 1), procs[1]);
        demo_say(ctx, "outputs in %s\n", "Ergebnisse in %s\n", out);
    } else {
        demo_say(ctx, "the job failed (exit %d): no timings\n",
                 "der Auftrag ist fehlgeschlagen (Status %d): keine Zeiten\n", rc);
        if (out == tmp)
            nftw(tmp, demo_image_pool_rm, 8, FTW_DEPTH | FTW_PHYS);
    }
    return rc == 0 ? 0 : 1;
}
/* demo:end */

/* The job's parser, on the job's arguments, before the demo prints anything
 * (the output folder is not made yet: any name does for the parser). */
static int demo_image_pool_check(const struct demo_ctx *ctx)
{
    char samples[PATH_MAX], nprocs[24], *argv[IMAGE_POOL_ARGV];
    const char *out = ctx->str[P_OUT] ? ctx->str[P_OUT] : "imgpool-demo-out";
    int argc = demo_image_pool_argv(ctx, demo_image_pool_dir(ctx, samples, sizeof samples),
                                    out, ctx->val[P_PROCS], 0, nprocs, sizeof nprocs, argv);
    return cli_folder_check(argc, argv);
}

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
        "- Große Bilder dominieren: die Beschleunigung ist durch die größte Datei\n"
        "  begrenzt.\n" },
    .python =
        "import os\n"
        "from multiprocessing import Pool\n"
        "from PIL import Image\n"
        "def process(name):\n"
        "    im = Image.open(os.path.join('samples', name)).convert('L')\n"
        "    im.save(os.path.join('out', name))\n"
        "if __name__ == '__main__':\n"
        "    with Pool() as pool:\n"
        "        pool.map(process, os.listdir('samples'))\n",
    .params = {
        { "dir", 0, 0, 0, { "folder of images (default: the samples imgpool ships)",
          "Ordner mit Bildern (Standard: die mitgelieferten Beispielbilder)" },
          &demo_image_pool_none },
        { "out", 0, 0, 0, { "output folder (default: a new folder in $TMPDIR or /tmp)",
          "Ausgabeordner (Standard: ein neuer Ordner in $TMPDIR oder /tmp)" },
          &demo_image_pool_none },
        { "procs", 4, 1, 256, { "processes of the second run",
          "Prozesse im zweiten Lauf" } },
    },
    .flags = DEMO_PASS | DEMO_OWN_TIMELINE,
    .check = demo_image_pool_check,
    .run = demo_image_pool_run,
};
