/* stop.c — the stop flag and its signal handlers (see stop.h). */
#include "imgpool/stop.h"

#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t stop_signo;

void stop_request(void) { stop_flag = 1; }

void stop_clear(void)
{
    stop_flag = 0;
    stop_signo = 0;
}

int stop_requested(void) { return stop_flag != 0; }

int stop_signal(void) { return stop_signo; }

static void stop_on_signal(int sig)
{
    if (!stop_signo)
        stop_signo = sig;
    stop_flag = 1;
}

void stop_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = stop_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}
