/* stop.h — the process-wide "stop now" request: Ctrl-C and SIGTERM, or code.
 *
 *   stop_catch_signals();               once, in main's subcommand
 *   while (!stop_requested()) ...work...
 *   return stop_signal() ? 130 : 0;
 *
 * The pool's parent loop, the xkcd downloader's threads and the CLI all watch
 * this one flag, so one Ctrl-C stops every stage. The handler only sets
 * volatile sig_atomic_t flags; everything else happens in the watchers.
 */
#ifndef IMGPOOL_STOP_H
#define IMGPOOL_STOP_H

/* Async-signal-safe: requests a stop. The request stays until stop_clear(),
 * so a Ctrl-C that comes before anyone watches is not lost. */
void stop_request(void);
/* Forgets the request and the signal (tests, and a second run in one process). */
void stop_clear(void);
/* 1 once a stop was requested, else 0. Any thread. */
int stop_requested(void);
/* Installs SIGINT/SIGTERM handlers that request a stop (and ignores SIGPIPE,
 * so a closed pipe or socket is an error return, not a death). */
void stop_catch_signals(void);
/* The first stop signal received (SIGINT, SIGTERM), 0 if none. */
int stop_signal(void);

#endif
