/* fetch.h — HTTP(S) GET into memory with libcurl, made for download threads.
 *
 * Three objects, three lifetimes:
 *
 *   fetch_global_init()    once per process, in the main thread, before any
 *                          thread starts (curl_global_init is not thread-safe)
 *   struct fetch_share     one per batch of downloads: DNS cache and TLS
 *                          sessions shared by all its clients, guarded by one
 *                          mutex per kind of data (libcurl's lock callbacks)
 *   struct fetch_client    one per thread: its own CURL easy handle, and with
 *                          it its own connection cache (kept alive between
 *                          that thread's requests)
 *
 * A request is fetch_get(): timeouts, retries with exponential backoff for
 * 5xx answers and transient network errors (a timeout once at most), 429
 * Too Many Requests retried too, Retry-After honoured (capped at 60 s),
 * other 4xx never retried, at most a few redirects, http and https only,
 * certificates always verified, a size cap, and a User-Agent naming
 * imgpool. The clients of one share keep their requests in flight under one
 * limit that a 429 halves and successes raise again (AIMD), so a throttling
 * server sets the pace, not the thread count. The body lands in memory
 * (capped), so the caller checks it completely before anything touches the
 * disk.
 */
#ifndef IMGPOOL_FETCH_H
#define IMGPOOL_FETCH_H

#include <stddef.h>
#include <stdint.h>

/* Settings of a client. Zero means the default noted for each field, except
 * `retries`, where zero means no retry. */
struct fetch_options {
    long connect_timeout_ms;  /* 0: 10000 */
    long timeout_ms;          /* whole transfer, per attempt; 0: 60000 */
    long low_speed_limit;     /* abort below this many bytes/s ... ; 0: 1000 */
    long low_speed_time;      /* ... for this many seconds; 0: 15 */
    unsigned retries;         /* extra attempts after a 5xx or network error
                                 (a timeout: once at most); 0 also means no
                                 retry of a 429, else up to 8 of those */
    unsigned retry_delay_ms;  /* first backoff, doubling per retry (capped
                                 at 30 s); 0: 500 */
    long max_redirects;       /* 0: 5 */
    const char *cacert;       /* PEM file of trusted CAs; NULL: system store */
    const char *user_agent;   /* NULL: "imgpool/<version>" */
    /* Polled during transfers and backoff sleeps, from the calling thread: a
     * non-zero return aborts the request (FETCH_ABORTED). Optional. */
    int (*should_stop)(void *ctx);
    void *stop_ctx;
};

/* How a request ended. */
enum fetch_outcome {
    FETCH_OK = 0,        /* 2xx and a complete body */
    FETCH_NOT_FOUND,     /* HTTP 404 or 410 */
    FETCH_HTTP_ERROR,    /* any other non-2xx status (5xx after the retries) */
    FETCH_NETWORK,       /* connection, timeout, TLS, truncation (after the retries) */
    FETCH_TOO_BIG,       /* the body is larger than the cap */
    FETCH_REFUSED,       /* bad URL or a scheme other than http/https */
    FETCH_ABORTED,       /* should_stop asked to stop */
};

/* What fetch_get() tells about one request, retries included. */
struct fetch_result {
    int outcome;             /* enum fetch_outcome */
    long status;             /* last HTTP status, 0 if none arrived */
    unsigned attempts;       /* requests made, >= 1 (0 if interrupted before
                                the first) */
    unsigned throttled;      /* of those, answered 429 Too Many Requests */
    unsigned retry_after_ms; /* the last answer's Retry-After (capped), 0: none */
    int answered;            /* some attempt got an HTTP answer (any status) */
    unsigned char *body;     /* FETCH_OK: the body, NUL-terminated (not
                                counted in len); owned by the caller, free() */
    size_t len;
    char content_type[96];   /* as the server sent it, "" if none */
    int64_t start_ns;        /* CLOCK_MONOTONIC at the first attempt ... */
    int64_t end_ns;          /* ... and when the last one ended */
    char msg[256];           /* not FETCH_OK: one-line reason, in English */
    const char *lib_reason;  /* the last attempt's libcurl error in libcurl's own
                                words (curl_easy_strerror: static, any thread
                                may keep it), NULL if libcurl reported none
                                (an HTTP answer, a stop, out of memory): for
                                a caller that words the failure itself */
};

/* Once per process, before any thread exists. Returns 0, or -1 and a message.
 * fetch_global_cleanup() after every thread has ended. */
int fetch_global_init(char *err, size_t errlen);
void fetch_global_cleanup(void);

struct fetch_share;
/* Creates a share object (DNS cache and TLS sessions). Returns 0 and *out
 * (the caller frees it with fetch_share_destroy, after every client using it
 * is destroyed), or -1 and a message. */
int fetch_share_create(struct fetch_share **out, char *err, size_t errlen);
void fetch_share_destroy(struct fetch_share *s);

/* What the clients of a share met so far. */
struct fetch_share_stats {
    unsigned throttled;       /* 429 answers */
    unsigned lowest_limit;    /* fewest requests in flight allowed, 0: never limited */
};
/* Any thread. */
void fetch_share_stats(struct fetch_share *s, struct fetch_share_stats *out);

struct fetch_client;
/* Creates a client with its own CURL easy handle. share may be NULL. The
 * options are copied (strings must outlive the client). Returns 0 and *out,
 * or -1 and a message. Any thread; the client is then used by one thread at
 * a time. Free with fetch_client_destroy(). */
int fetch_client_create(const struct fetch_options *opt,
                        struct fetch_share *share,
                        struct fetch_client **out, char *err, size_t errlen);
void fetch_client_destroy(struct fetch_client *c);

/* GETs url with at most max_bytes of body into *res (zeroed first). Returns
 * 0 for FETCH_OK, else -1 with res->outcome and res->msg saying why. The
 * caller frees res->body. Only the thread using the client. */
int fetch_get(struct fetch_client *c, const char *url, size_t max_bytes,
              struct fetch_result *res);

/* The User-Agent sent by default: "imgpool/<version>". */
const char *fetch_user_agent(void);

#endif
