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
#include "imgpool/progress.h"

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

/* A file that failed, why, in German from its typed result; where only a
 * library's or the system's words say why (a decoder's, strerror), they
 * follow as a quoted detail, as the library gives them. */
static void demo_image_pool_why_de(const struct cli_folder_file *f, char *out, size_t len)
{
    const struct job_result *jr = f->jr;
    const char *dot = strrchr(f->path, '.');
    unsigned long long size = jr->size, limit = jr->limit;
    switch (jr->detail) {
    case JOB_DETAIL_FILE_TOO_LARGE:
        demo_append(out, len, ": Datei zu groß, %llu Bytes, höchstens %llu", size, limit);
        return;
    case JOB_DETAIL_NOT_REGULAR:
        demo_append(out, len, ": keine gewöhnliche Datei");
        return;
    case JOB_DETAIL_NAMED_LIKE_IMAGE:
        demo_append(out, len, ": kein Bild (der Inhalt passt nicht zur Endung %s)",
                    dot ? dot : "");
        return;
    case JOB_DETAIL_OVER_PIXELS:
        demo_append(out, len, ": Bild zu groß, %ux%u Pixel, --max-pixels ist %llu",
                    jr->in_w, jr->in_h, limit);
        return;
    case JOB_DETAIL_OVER_SIDE:
        demo_append(out, len, ": Bild zu groß, %ux%u Pixel, eine Seite höchstens %llu",
                    jr->in_w, jr->in_h, limit);
        return;
    case JOB_DETAIL_OVER_DECODER:
        demo_append(out, len, ": Bild zu groß, %ux%u Pixel sind %llu MiB, der Dekoder nimmt"
                    " höchstens %llu MiB", jr->in_w, jr->in_h, size >> 20, limit >> 20);
        return;
    case JOB_DETAIL_NEEDS_MEMORY:
        demo_append(out, len, ": zu wenig Speicher, %ux%u Pixel brauchen etwa %llu MiB",
                    jr->in_w, jr->in_h, (size + (1u << 19)) >> 20);
        if (limit)
            demo_append(out, len, ", erlaubt sind %llu MiB (--max-memory)", limit >> 20);
        return;
    case JOB_DETAIL_OVERWRITE_INPUT:
        demo_append(out, len, ": das Ergebnis würde die Eingabe überschreiben");
        return;
    case JOB_DETAIL_NAME_TAKEN:
        demo_append(out, len, ": der Ausgabename gehört schon zu '%s'",
                    f->taken_by ? f->taken_by : "?");
        return;
    default:
        if (jr->unsupported)
            demo_append(out, len, ": das Format %s wird nicht unterstützt",
                        img_format_label(jr->in_fmt));
        else if (f->rec->msg[0])
            demo_append(out, len, " (%s)", f->rec->msg);
        return;
    }
}

/* A worker that died on the file, in German from the pool's typed record. */
static void demo_image_pool_crash_de(const struct cli_folder_file *f, char *out, size_t len)
{
    int code = f->rec->death_code;
    switch (f->rec->death) {
    case POOL_DEATH_SIGNAL:
        snprintf(out, len, "Arbeitsprozess bei '%s' abgestürzt: Signal %d (%s)", f->path,
                 code, strsignal(code));
        break;
    case POOL_DEATH_EXIT:
        snprintf(out, len, "Arbeitsprozess bei '%s' beendet, Status %d", f->path, code);
        break;
    case POOL_DEATH_TIMEOUT:
        snprintf(out, len, "'%s' nach %d ms abgebrochen: Arbeitsprozess beendet", f->path,
                 code);
        break;
    case POOL_DEATH_NO_WORKER:
        snprintf(out, len, "'%s' nicht bearbeitet: kein Arbeitsprozess mehr übrig", f->path);
        break;
    default:
        snprintf(out, len, "'%s' nicht bearbeitet: der Arbeitsprozess ist gestorben",
                 f->path);
        break;
    }
}

/* A note on a file that was converted, in German by its typed reason;
 * the decoder's words on damaged data, and a metadata note's own text,
 * follow quoted. */
static void demo_image_pool_note_de(const struct cli_folder_file *f, char *out, size_t len)
{
    const struct job_result *jr = f->jr;
    const char *format = img_format_label(jr->in_fmt);
    snprintf(out, len, "Hinweis zu '%s': ", f->path);
    if (jr->reason == JOB_NOTE_ANIMATED)
        demo_append(out, len, "animiertes %s, nur das erste Bild verwendet", format);
    else if (jr->reason == JOB_NOTE_MULTIPAGE)
        demo_append(out, len, "mehrseitiges %s, nur die erste Seite verwendet", format);
    else if (jr->reason == JOB_NOTE_DAMAGED)
        demo_append(out, len, "beschädigte Daten, der lesbare Teil wurde umgewandelt (%s)",
                    jr->warning);
    else
        demo_append(out, len, "Metadaten nicht (alle) übernommen (%s)", f->rec->msg);
}

/* A file's line after "imgpool: ", in German, by its typed reason (never
 * from the folder job's English msg, but as a quoted library detail). */
static void demo_image_pool_file_de(const struct cli_folder_file *f, char *out, size_t len)
{
    static const char *const said[JOB_REASON_COUNT] = {
        [JOB_DONE] = "'%s' fertig",
        [JOB_UP_TO_DATE] = "'%s' übersprungen: das Ergebnis ist aktuell",
        [JOB_NOT_AN_IMAGE] = "'%s' übersprungen: kein Bild",
        [JOB_CANNOT_READ] = "kann '%s' nicht lesen",
        [JOB_CANNOT_READ_FOLDER] = "kann den Ordner '%s' nicht lesen",
        [JOB_CANNOT_DECODE] = "kann '%s' nicht dekodieren",
        [JOB_OUT_OF_MEMORY] = "kann '%s' nicht dekodieren",
        [JOB_CANNOT_PROCESS] = "kann '%s' nicht verarbeiten",
        [JOB_CANNOT_ENCODE] = "kann '%s' nicht kodieren",
        [JOB_CANNOT_WRITE] = "kann '%s' nicht schreiben",
    };
    const struct job_result *jr = f->jr;
    if (!jr || jr->reason >= JOB_REASON_COUNT)
        demo_image_pool_crash_de(f, out, len);
    else if (f->rec->status == POOL_OK && jr->reason != JOB_DONE)
        demo_image_pool_note_de(f, out, len);
    else
        snprintf(out, len, said[jr->reason] ? said[jr->reason] : "'%s'", f->path);
    if (jr && f->rec->status == POOL_FAILED)
        demo_image_pool_why_de(f, out, len);
}

/* What the folder job says, in German; English is its own. */
static const struct cli_folder_words demo_image_pool_words_de = {
    .file = demo_image_pool_file_de,
    .interrupted = "abgebrochen nach ",
    .counts = "%llu Dateien: %llu %s, %llu übersprungen",
    .processed = { "verarbeitet", "würden verarbeitet" },
    .up_to_date = " (%llu davon aktuell)",
    .failed = ", %llu fehlgeschlagen",
    .crashed = ", %llu abgestürzt",
    .times = "%.2f s Laufzeit, %.1f Dateien/s, %u %s, %.2f s CPU-Zeit in den"
             " Arbeitsprozessen, CPU/Laufzeit %.2f\n",
    .workers = { "Arbeitsprozess", "Arbeitsprozesse" },
    .first_errors = "erste Fehler:\n",
    .kept = "aktuelle Ergebnisse wurden behalten; --force erzeugt sie neu\n",
    .nothing = "nichts zu tun: keine Dateien gefunden%s\n",
    .in_shard = " in diesem Teil",
    .row = "Worker %u",
    .legend = { "verarbeitet", "übersprungen", "fehlgeschlagen", "abgestürzt" },
    .progress = &(const struct progress_words){"Bilder/s", "Rest", "fehlgeschlagen"},
};

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
    int rc = cli_folder_run(argc, argv, ctx->de ? &demo_image_pool_words_de : NULL);
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
