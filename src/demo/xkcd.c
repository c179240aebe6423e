/* xkcd.c — demo 6: download comics 100-109 sequentially and in parallel and
 * compare: `imgpool xkcd RANGE --compare`, the real downloader, whose typed
 * result the demo prints in its language (the words below, or the tool's
 * English). With --offline it first starts the local stand-in server
 * (tools/xkcd-server.py) with a realistic latency per request, so it works
 * in a lecture hall. */
#include "demo.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cli.h"
#include "imgpool/xkcd.h"

enum { P_RANGE, P_THREADS, P_LATENCY, P_BASE_URL };

static const char *const demo_xkcd_default_range = "100-109";
static const char *const demo_xkcd_no_url = NULL;

/* The server script: $IMGPOOL_XKCD_SERVER, else the project's own copy. */
static int demo_xkcd_find_server(char *out, size_t len)
{
    const char *env = getenv("IMGPOOL_XKCD_SERVER");
    if (env) {
        snprintf(out, len, "%s", env);
        return access(out, R_OK);
    }
    return demo_find_data("tools/xkcd-server.py", "xkcd-server.py", out, len);
}

/* --warm A-B for the server when the range is one stretch "A-B" or "N": the
 * images are generated before it listens, so neither timed run pays for it. */
static void demo_xkcd_warm(const char *range, char *out, size_t len)
{
    unsigned long a, b;
    int used = 0;
    if (sscanf(range, "%lu-%lu%n", &a, &b, &used) == 2 && !range[used])
        snprintf(out, len, "%lu-%lu", a, b);
    else if (sscanf(range, "%lu%n", &a, &used) == 1 && !range[used])
        snprintf(out, len, "%lu-%lu", a, a);
    else
        out[0] = '\0';
}

/* Starts the server on a free loopback port; its URL in url. The pid, or -1. */
static pid_t demo_xkcd_start_server(const struct demo_ctx *ctx, char *url, size_t len)
{
    char script[PATH_MAX], dir[] = "/tmp/imgpool-xkcd-XXXXXX", portfile[64], latency[32];
    char warm[64];
    demo_xkcd_warm(ctx->str[P_RANGE], warm, sizeof warm);
    if (demo_xkcd_find_server(script, sizeof script) != 0) {
        demo_complain(ctx, "cannot find tools/xkcd-server.py (set IMGPOOL_XKCD_SERVER)\n",
                      "tools/xkcd-server.py nicht gefunden (IMGPOOL_XKCD_SERVER setzen)\n");
        return -1;
    }
    if (!mkdtemp(dir)) {
        demo_complain(ctx, "cannot create a temp folder in /tmp: %s\n",
                      "kann in /tmp keinen Ordner anlegen: %s\n", strerror(errno));
        return -1;
    }
    snprintf(portfile, sizeof portfile, "%s/port", dir);
    snprintf(latency, sizeof latency, "%lld", ctx->val[P_LATENCY]);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, STDOUT_FILENO);
        execlp("python3", "python3", script, "--latency", latency, "--latest", "3000",
               "--port-file", portfile, warm[0] ? "--warm" : (char *)NULL, warm, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; pid > 0 && i < 600; i++) {   /* at most 30 s, warming included */
        FILE *f = fopen(portfile, "r");
        int port = 0;
        if (f && fscanf(f, "%d", &port) == 1 && port > 0) {
            fclose(f);
            unlink(portfile);
            rmdir(dir);
            snprintf(url, len, "http://127.0.0.1:%d", port);
            return pid;
        }
        if (f)
            fclose(f);
        if (waitpid(pid, NULL, WNOHANG) == pid)
            break;   /* it died: python3 missing or the script failed */
        usleep(50000);
    }
    demo_complain(ctx, "the local xkcd server did not start\n",
                  "der lokale xkcd-Server ist nicht gestartet\n");
    if (pid > 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
    unlink(portfile);
    rmdir(dir);
    return -1;
}

/* A comic that did not arrive, in German, from its typed failure (never
 * from the downloader's English msg); libcurl's own words stay as a quoted
 * detail, as the library gives them. */
static void demo_xkcd_comic_de(const struct xkcd_comic *c, char *out, size_t len)
{
    static const char *const step[] = {
        [XKCD_STEP_NONE] = "fehlgeschlagen",
        [XKCD_STEP_RECORD] = "Download von info.0.json fehlgeschlagen",
        [XKCD_STEP_RECORD_BAD] = "info.0.json ist kein passender xkcd-Datensatz",
        [XKCD_STEP_IMG_URL] = "der Datensatz nennt keine Bild-URL (http/https)",
        [XKCD_STEP_IMAGE] = "Download des Bildes fehlgeschlagen",
        [XKCD_STEP_IMAGE_BAD] = "die Antwort ist kein vollständiges Bild (PNG, JPEG, GIF, WebP)",
        [XKCD_STEP_SAVE] = "Datei nicht geschrieben",
        [XKCD_STEP_REJECTED] = "Bild beim Dekodieren verworfen",
    };
    const struct xkcd_failure *f = &c->why;
    int known = f->step >= 0 && (size_t)f->step < sizeof step / sizeof *step;
    if (c->status == XKCD_NOT_FOUND) {
        snprintf(out, len, "Comic %ld: gibt es nicht (HTTP %ld)", c->num, f->status);
        return;
    }
    if (c->status == XKCD_NO_IMAGE) {
        snprintf(out, len, "Comic %ld: übersprungen, der Datensatz nennt kein Bild", c->num);
        return;
    }
    snprintf(out, len, "Comic %ld: %s", c->num, step[known ? f->step : XKCD_STEP_NONE]);
    if (f->step != XKCD_STEP_RECORD && f->step != XKCD_STEP_IMAGE)
        return;
    if (f->outcome == FETCH_TOO_BIG)
        demo_append(out, len, " (zu groß)");
    else if (f->lib_reason)
        demo_append(out, len, " (libcurl: %s)", f->lib_reason);
    else if (f->status)
        demo_append(out, len, " (HTTP %ld)", f->status);
    if (f->attempts > 1)
        demo_append(out, len, ", nach %u Versuchen", f->attempts);
}

/* What --compare says, in German; English is the downloader's own. */
static const struct cli_xkcd_words demo_xkcd_words_de = {
    .comics = { "Comic", "Comics" },
    .threads = { "Thread", "Threads" },
    .title = "xkcd %s: %zu %s von %s\n",
    .heads = { "Threads", "Laufzeit", "Comics/s", "geladen", "Anfragen" },
    .names = { "sequenziell", "parallel" },
    .speed_up = "  Beschleunigung %.1fx; Laufzeit parallel = %.1fx die Kette JSON+Bild des"
                " langsamsten Comics;\n  identische Dateien: %zu von %zu\n",
    .no_speed_up = "  keine Beschleunigung: %zu von %zu Comics fehlgeschlagen (sequenziell),"
                   " %zu parallel;\n  identische Dateien: %zu von %zu\n",
    .run = "\n%s, %u %s:\n",
    .row = "Thread %u",
    .legend = { "Anfrage info.0.json", "Bildanfrage" },
    .no_timeline = "(keine Zeitleiste: Speicher voll)\n",
    .down = "imgpool: xkcd: keine Antwort von %s (libcurl: %s); Lauf %s abgebrochen\n",
    .comic = demo_xkcd_comic_de,
    .progress = "xkcd: geladen %zu/%zu%s  %s  %u %s  %.1f s",
};

/* `xkcd RANGE --threads N [--base-url URL] [ARGS after --]` in argv (room for
 * XKCD_ARGV, NULL-terminated; the driver allows DEMO_MAX_PASS after `--`);
 * returns argc. threads: room for the number. */
#define XKCD_ARGV (DEMO_MAX_PASS + 7)
/* demo:core */
static int demo_xkcd_argv(const struct demo_ctx *ctx, const char *url, char *threads,
                          size_t len, char **argv)
{
    snprintf(threads, len, "%lld", ctx->val[P_THREADS]);
    int argc = 0;
    argv[argc++] = "xkcd";
    argv[argc++] = (char *)ctx->str[P_RANGE];
    argv[argc++] = "--threads";
    argv[argc++] = threads;
    if (url) {
        argv[argc++] = "--base-url";
        argv[argc++] = (char *)url;
    }
    for (int i = 0; i < ctx->nrest; i++)   /* the downloader's own options */
        argv[argc++] = ctx->rest[i];
    argv[argc] = NULL;
    optind = 0;   /* a fresh getopt scan for the xkcd parser */
    return argc;
}

/* The lecture exercise is the downloader's own --compare: the same range
 * once with one thread, once with many, same per-comic code. */
static int demo_xkcd_compare(struct demo_ctx *ctx, const char *url)
{
    char threads[24], *argv[XKCD_ARGV];
    int argc = demo_xkcd_argv(ctx, url, threads, sizeof threads, argv);
    const struct cli_xkcd_words *w = ctx->de ? &demo_xkcd_words_de : &cli_xkcd_words_en;
    struct cli_xkcd_comparison c;
    fflush(stdout);
    int rc = cli_xkcd_compare_main(argc, argv, w, &c);
    cli_xkcd_comparison_print(&c, w);
    cli_xkcd_comparison_free(&c);
    return rc;
}

static int demo_xkcd_run(struct demo_ctx *ctx)
{
    char url[128];
    const char *base = ctx->str[P_BASE_URL];
    pid_t server = -1;
    if (ctx->offline) {
        if ((server = demo_xkcd_start_server(ctx, url, sizeof url)) < 0)
            return 1;
        base = url;
        demo_say(ctx, "local xkcd server: %s (%lld ms per request, images made in advance)\n\n",
                 "lokaler xkcd-Server: %s (%lld ms pro Anfrage, Bilder vorab erzeugt)\n\n", url,
                 ctx->val[P_LATENCY]);
    }
    int rc = demo_xkcd_compare(ctx, base);
    if (server > 0) {
        kill(server, SIGTERM);
        waitpid(server, NULL, 0);   /* python exits on SIGTERM at once */
    }
    fflush(stdout);
    if (rc != 0 && !ctx->offline)
        demo_say(ctx, "\nThe downloads failed: no network here? `imgpool demo xkcd --offline`\n"
                      "runs the same against a local stand-in server.\n",
                 "\nDie Downloads sind fehlgeschlagen: kein Netz? `imgpool demo xkcd --offline`\n"
                 "macht dasselbe mit einem lokalen Ersatzserver.\n");
    return rc == 0 ? 0 : 1;
}
/* demo:end */

/* The downloader's parser, on the range and URL, before the demo prints
 * anything (--offline: the local server's URL, good by construction). */
static int demo_xkcd_check(const struct demo_ctx *ctx)
{
    char threads[24], *argv[XKCD_ARGV];
    int argc = demo_xkcd_argv(ctx, ctx->offline ? NULL : ctx->str[P_BASE_URL], threads,
                              sizeof threads, argv);
    return cli_xkcd_compare_check(argc, argv);
}

const struct demo demo_xkcd = {
    .name = "xkcd",
    .summary = { "download xkcd 100-109 sequentially and in parallel (--offline: local server)",
                 "xkcd 100-109 nacheinander und parallel laden (--offline: lokaler Server)" },
    .intro = {
        "Downloading is waiting: for the network, not for the CPU. Threads waiting on\n"
        "I/O do not need a core each, so ten downloads in parallel take about as long\n"
        "as the slowest one, while one after the other they add up — GIL or not.\n"
        "Each comic is two requests: its JSON record, then the image it names.\n",
        "Herunterladen ist Warten: auf das Netz, nicht auf die CPU. Threads, die auf\n"
        "I/O warten, brauchen keinen eigenen Kern; zehn parallele Downloads dauern\n"
        "etwa so lange wie der langsamste, nacheinander addieren sie sich — mit oder\n"
        "ohne GIL. Jeder Comic sind zwei Anfragen: sein JSON, dann das Bild.\n" },
    .observe = {
        "- Parallel wall time is close to one comic's two round trips; sequential is\n"
        "  about ten times that.\n"
        "- In the timelines, J (JSON) and I (image) requests overlap across threads\n"
        "  in the parallel run and never in the sequential one.\n",
        "- Parallel dauert etwa so lange wie die zwei Anfragen eines Comics;\n"
        "  nacheinander etwa zehnmal so lange.\n"
        "- In den Zeitleisten überlappen sich J (JSON) und I (Bild) der Threads im\n"
        "  parallelen Lauf, im sequenziellen nie.\n" },
    .python =
        "import json, urllib.request\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "def download(n):\n"
        "    info = json.load(urllib.request.urlopen(f'https://xkcd.com/{n}/info.0.json'))\n"
        "    data = urllib.request.urlopen(info['img']).read()\n"
        "    open(info['img'].split('/')[-1], 'wb').write(data)\n"
        "for n in range(100, 110):                      # sequential\n"
        "    download(n)\n"
        "with ThreadPoolExecutor(10) as ex:             # parallel\n"
        "    list(ex.map(download, range(100, 110)))\n",
    .params = {
        { "range", 0, 0, 0, { "comics to download",
          "herunterzuladende Comics" }, &demo_xkcd_default_range },
        { "threads", 10, 1, 64, { "threads of the parallel run",
          "Threads im parallelen Lauf" } },
        { "latency", 200, 0, 5000, { "with --offline: the server's delay per request, ms",
          "mit --offline: Verzögerung des Servers pro Anfrage, ms" } },
        { "base-url", 0, 0, 0, { "the site (default https://xkcd.com, or the local server)",
          "die Website (Standard https://xkcd.com oder der lokale Server)" },
          &demo_xkcd_no_url },
    },
    .flags = DEMO_OFFLINE | DEMO_PASS | DEMO_OWN_TIMELINE,   /* --compare draws its runs always */
    .check = demo_xkcd_check,
    .run = demo_xkcd_run,
};
