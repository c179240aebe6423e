/* pipe.c — demo 12: a two-way pipe to a background process that sleeps
 * until it is given work, does it, answers, and sleeps again.
 *
 * Python's Pipe() is a socketpair on Unix: one connection, both directions.
 * Messages are fixed-size records; the child's blocking read() is its sleep
 * (the kernel wakes it when a record arrives, and EOF ends it when the
 * parent closes its end). The parent waits for each answer with poll() and a
 * timeout, so a stuck child cannot hang it. */
#include "demo.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { P_JOBS, P_N, P_PAUSE };

#define PIPE_ANSWER_TIMEOUT_MS 10000

struct demo_pipe_msg {
    uint32_t seq, n;           /* job number, fib argument */
    uint64_t value;            /* answer: fib(n) */
    int32_t pid;               /* answer: who computed it */
    uint32_t pad;
};

/* Reads one whole record; 1, 0 at EOF, -1 on error or (timeout_ms >= 0)
 * when nothing arrives in time. */
static int demo_pipe_recv(const struct demo_ctx *ctx, int fd, struct demo_pipe_msg *m,
                          int timeout_ms)
{
    size_t got = 0;
    while (got < sizeof *m) {
        struct pollfd p = { fd, POLLIN, 0 };
        if (timeout_ms >= 0 && poll(&p, 1, timeout_ms) == 0) {
            demo_complain(ctx, "no answer within %d ms\n", "keine Antwort innerhalb von %d ms\n",
                          timeout_ms);
            return -1;
        }
        ssize_t r = read(fd, (char *)m + got, sizeof *m - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r == 0 && got == 0 ? 0 : -1;
        got += (size_t)r;
    }
    return 1;
}

static int demo_pipe_send(int fd, const struct demo_pipe_msg *m)
{
    /* one write() of a small record on a socket: whole or error */
    return write(fd, m, sizeof *m) == (ssize_t)sizeof *m ? 0 : -1;
}

/* demo:core */
/* The background process: sleep in read() until work comes, do it, answer. */
static int demo_pipe_worker(struct demo_ctx *ctx, int fd)
{
    demo_row(ctx, 1, getpid(), getpid(), demo_tr(ctx, "child", "Kindprozess"));
    for (;;) {
        demo_say(ctx, "child %d:  sleeping until there is work\n",
                 "Kindprozess %d:  schläft, bis es Arbeit gibt\n", getpid());
        fflush(stdout);
        int64_t t = clock_now_ns();
        struct demo_pipe_msg m;
        int r = demo_pipe_recv(ctx, fd, &m, -1);            /* blocks: the process sleeps */
        int64_t woke = clock_now_ns();
        demo_span(ctx, 1, DEMO_BLOCKED, t, woke);
        if (r <= 0) {
            demo_say(ctx, "child %d:  pipe closed, exiting\n",
                     "Kindprozess %d:  Pipe geschlossen, Ende\n", getpid());
            return r;
        }
        demo_say(ctx, "child %d:  woke up: job %u, fib(%u)\n",
                 "Kindprozess %d:  aufgewacht: Auftrag %u, fib(%u)\n", getpid(), m.seq, m.n);
        fflush(stdout);
        m.value = demo_fib(m.n);
        m.pid = getpid();
        demo_span(ctx, 1, DEMO_RAN, woke, clock_now_ns());
        if (demo_pipe_send(fd, &m) != 0)
            return -1;
    }
}

/* The parent: hand out jobs one by one, with pauses, and collect answers. */
static int demo_pipe_boss(struct demo_ctx *ctx, int fd, unsigned jobs, unsigned n, long pause_ms)
{
    demo_row(ctx, 0, getpid(), getpid(), demo_tr(ctx, "parent", "Elternprozess"));
    for (unsigned i = 1; i <= jobs; i++) {
        struct timespec pause = { pause_ms / 1000, (pause_ms % 1000) * 1000000 };
        nanosleep(&pause, NULL);                  /* busy elsewhere: the child sleeps */
        int64_t t = clock_now_ns();
        struct demo_pipe_msg m = { i, n + i - 1, 0, 0, 0 };
        demo_say(ctx, "parent:     sending job %u: fib(%u)\n",
                 "Elternprozess:  sendet Auftrag %u: fib(%u)\n", m.seq, m.n);
        fflush(stdout);
        if (demo_pipe_send(fd, &m) != 0) {
            demo_complain(ctx, "cannot send job %u: %s\n", "kann Auftrag %u nicht senden: %s\n",
                          m.seq, strerror(errno));
            return -1;
        }
        int64_t sent = clock_now_ns();
        demo_span(ctx, 0, DEMO_RAN, t, sent);
        if (demo_pipe_recv(ctx, fd, &m, PIPE_ANSWER_TIMEOUT_MS) != 1 || m.seq != i) {
            demo_complain(ctx, "answer %u missing or out of order\n",
                          "Antwort %u fehlt oder kam außer der Reihe\n", i);
            return -1;
        }
        demo_span(ctx, 0, DEMO_BLOCKED, sent, clock_now_ns());
        demo_say(ctx, "parent:     answer %u: fib(%u) = %llu (from pid %d)\n",
                 "Elternprozess:  Antwort %u: fib(%u) = %llu (von PID %d)\n", m.seq, m.n,
               (unsigned long long)m.value, m.pid);
    }
    return 0;
}

static int demo_pipe_run(struct demo_ctx *ctx)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {   /* Pipe() */
        demo_complain(ctx, "cannot create a pipe (socketpair): %s\n",
                      "kann keine Pipe anlegen (socketpair): %s\n", strerror(errno));
        return 1;
    }
    demo_rows(ctx, 2);
    pid_t pid = demo_fork(ctx);
    if (pid == 0) {
        close(sv[0]);
        demo_child_exit(demo_pipe_worker(ctx, sv[1]) == 0 ? 0 : 1);
    }
    close(sv[1]);
    unsigned jobs = (unsigned)ctx->val[P_JOBS];
    int rc = pid < 0 ? -1 : demo_pipe_boss(ctx, sv[0], jobs, (unsigned)ctx->val[P_N],
                                      (long)ctx->val[P_PAUSE]);
    close(sv[0]);                                 /* EOF: the child's loop ends */
    if (pid > 0 && demo_reap(ctx, pid) != 0)
        rc = -1;
    if (rc == 0)
        demo_say(ctx, "all %u answers received exactly once, in order\n",
                 "alle %u Antworten genau einmal und in Reihenfolge erhalten\n", jobs);
    return rc ? 1 : 0;
}
/* demo:end */

const struct demo demo_pipe = {
    .name = "pipe",
    .summary = { "a two-way pipe to a background process that sleeps until given work",
                 "eine Pipe in beide Richtungen zu einem Hintergrundprozess, der auf Arbeit"
                 " wartet" },
    .intro = {
        "Pipe() connects two processes; here both can send (duplex). The child loops:\n"
        "it blocks in read() — asleep, using no CPU — until the parent sends a job,\n"
        "computes it, sends the answer back and goes back to sleep. Closing the pipe\n"
        "(EOF) tells it to stop.\n",
        "Pipe() verbindet zwei Prozesse; hier können beide senden (duplex). Der\n"
        "Kindprozess wartet in read() — er schläft, ohne CPU —, bis der Elternprozess\n"
        "einen Auftrag schickt, rechnet, schickt die Antwort zurück und schläft wieder.\n"
        "Schließen der Pipe (EOF) beendet ihn.\n" },
    .observe = {
        "- The child wakes exactly when a job arrives and sleeps in between\n"
        "  (--timeline: z = blocked in read).\n"
        "- Every answer arrives once, in order: a pipe is a byte stream, and fixed-\n"
        "  size records keep the messages apart.\n",
        "- Der Kindprozess wacht genau dann auf, wenn ein Auftrag kommt, und schläft\n"
        "  dazwischen (--timeline: z = blockiert in read).\n"
        "- Jede Antwort kommt genau einmal, in Reihenfolge: eine Pipe ist ein\n"
        "  Bytestrom, Datensätze fester Größe halten die Nachrichten auseinander.\n" },
    .python =
        "from multiprocessing import Process, Pipe\n"
        "def worker(conn):\n"
        "    while True:\n"
        "        try:\n"
        "            n = conn.recv()            # sleeps until there is work\n"
        "        except EOFError:\n"
        "            break\n"
        "        conn.send(fib(n))\n"
        "if __name__ == '__main__':\n"
        "    parent, child = Pipe()\n"
        "    p = Process(target=worker, args=(child,)); p.start()\n"
        "    for n in range(30, 35):\n"
        "        parent.send(n); print(parent.recv())\n"
        "    parent.close(); p.join()\n",
    .params = {
        { "jobs", 5, 1, 10000, { "jobs to send",
          "Anzahl der Aufträge" } },
        { "n", 30, 0, 45, { "the first job computes fib(n), the next fib(n+1), ...",
          "der erste Auftrag rechnet fib(n), der nächste fib(n+1), ..." } },
        { "pause-ms", 50, 0, 10000, { "parent's pause before each job",
          "Pause des Elternprozesses vor jedem Auftrag (ms)" } },
    },
    .flags = DEMO_TIMELINE,
    .run = demo_pipe_run,
};
