/* xkcd.c — demo 6: download comics 100-109 sequentially and in parallel and
 * compare. Waits for the xkcd job (cli_xkcd_main, src/cli_xkcd.c), which has
 * not landed yet: until then the demo says so instead of pretending. */
#include "demo.h"

#include <stdio.h>

/* demo:core */
static int xkcd_run(struct demo_ctx *ctx)
{
    fprintf(stderr, "%s", demo_tr(ctx,
        "imgpool demo xkcd: not yet available in this build: the xkcd downloader\n"
        "(imgpool xkcd) has not landed yet. The other demos all work.\n",
        "imgpool demo xkcd: in diesem Build noch nicht verfügbar: der xkcd-Downloader\n"
        "(imgpool xkcd) ist noch nicht eingebaut. Alle anderen Demos funktionieren.\n"));
    return 1;
}
/* demo:end */

const struct demo demo_xkcd = {
    .name = "xkcd",
    .summary = { "download xkcd 100-109 sequentially and in parallel (not yet available)",
                 "xkcd 100-109 nacheinander und parallel laden (noch nicht verfügbar)" },
    .intro = {
        "Downloading is waiting: for the network, not for the CPU. Threads waiting on\n"
        "I/O do not need a core each, so ten downloads in parallel take about as long\n"
        "as the slowest one, while one after the other they add up — GIL or not.\n",
        "Herunterladen ist Warten: auf das Netz, nicht auf die CPU. Threads, die auf\n"
        "I/O warten, brauchen keinen eigenen Kern; zehn parallele Downloads dauern\n"
        "etwa so lange wie der langsamste, nacheinander addieren sie sich — mit oder\n"
        "ohne GIL.\n" },
    .observe = {
        "- Parallel wall time is close to the slowest single download.\n",
        "- Die parallele Laufzeit liegt nahe beim langsamsten einzelnen Download.\n" },
    .run = xkcd_run,
};
