/* fetch.c — HTTP GET into memory with libcurl (see fetch.h).
 *
 * Design note.
 *
 * Threads and curl. curl_global_init() is not thread-safe, so the caller
 * runs it once before any thread. A CURL easy handle must never be used by
 * two threads at once, so every thread gets its own (fetch_client), reused
 * for all of that thread's requests: the handle keeps its connections alive,
 * and the second request to a host skips the TCP and TLS handshakes.
 *
 * The share object. Handles in different threads can still pool what they
 * learn: the DNS cache and TLS session tickets live in one CURLSH, so a
 * thread's first TLS handshake can resume a session another thread
 * negotiated. libcurl touches that shared data from many threads and does
 * not lock it itself: it calls our lock/unlock callbacks with the kind of
 * data it is about to touch. We keep one mutex per kind (curl_lock_data),
 * so a DNS lookup never waits for a TLS session store, and libcurl holds a
 * lock only for the moment it reads or writes the cache, never across
 * network I/O. The connection cache is deliberately NOT shared: libcurl
 * documents that sharing connections between concurrent threads is not
 * supported (CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT; curl issues #4544 and
 * #13840), so connections stay per thread.
 *
 * Retries. 5xx answers and transient network errors (refused or reset
 * connections, timeouts, a body cut short) are retried after 0.5 s, 1 s,
 * 2 s, ... (retry_delay_ms doubling, capped); 4xx answers never are, and
 * neither are certificate failures, refused URLs or oversized bodies, which
 * would fail again the same way.
 */
#include "imgpool/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imgpool/clock.h"

#define FETCH_BACKOFF_CAP_MS 30000u
#define FETCH_SLEEP_SLICE_MS 50

struct fetch_share {
    CURLSH *sh;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

struct fetch_client {
    CURL *curl;
    struct fetch_options opt;
    char errbuf[CURL_ERROR_SIZE];
    /* the body being received */
    unsigned char *buf;
    size_t len, cap, max;
    bool too_big;
};

const char *fetch_user_agent(void)
{
    return "imgpool/" IMGPOOL_VERSION;
}

int fetch_global_init(char *err, size_t errlen)
{
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl: %s",
                 curl_easy_strerror(rc));
        return -1;
    }
    return 0;
}

void fetch_global_cleanup(void)
{
    curl_global_cleanup();
}

/* libcurl's lock callbacks: one mutex per kind of shared data. */
static void fetch_share_lock(CURL *h, curl_lock_data data,
                             curl_lock_access access, void *userp)
{
    (void)h;
    (void)access;   /* shared or single: a mutex serves both */
    struct fetch_share *s = userp;
    pthread_mutex_lock(&s->locks[data]);
}

static void fetch_share_unlock(CURL *h, curl_lock_data data, void *userp)
{
    (void)h;
    struct fetch_share *s = userp;
    pthread_mutex_unlock(&s->locks[data]);
}

int fetch_share_create(struct fetch_share **out, char *err, size_t errlen)
{
    struct fetch_share *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&s->locks[i], NULL);
    s->sh = curl_share_init();
    if (!s->sh
        || curl_share_setopt(s->sh, CURLSHOPT_LOCKFUNC, fetch_share_lock)
        || curl_share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, fetch_share_unlock)
        || curl_share_setopt(s->sh, CURLSHOPT_USERDATA, s)
        || curl_share_setopt(s->sh, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS)
        || curl_share_setopt(s->sh, CURLSHOPT_SHARE,
                             CURL_LOCK_DATA_SSL_SESSION)) {
        snprintf(err, errlen, "cannot set up a libcurl share object");
        fetch_share_destroy(s);
        return -1;
    }
    *out = s;
    return 0;
}

void fetch_share_destroy(struct fetch_share *s)
{
    if (!s)
        return;
    if (s->sh)
        curl_share_cleanup(s->sh);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&s->locks[i]);
    free(s);
}

static size_t fetch_on_data(char *data, size_t size, size_t n, void *userp)
{
    struct fetch_client *c = userp;
    size_t add = size * n;
    if (add > c->max - c->len) {
        c->too_big = true;
        return 0;   /* makes libcurl fail with CURLE_WRITE_ERROR */
    }
    if (c->len + add + 1 > c->cap) {
        size_t cap = c->cap ? c->cap : 16384;
        while (cap < c->len + add + 1)
            cap *= 2;
        unsigned char *p = realloc(c->buf, cap);
        if (!p)
            return 0;
        c->buf = p;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, data, add);
    c->len += add;
    return add;
}

static int fetch_on_progress(void *userp, curl_off_t dltotal, curl_off_t dlnow,
                             curl_off_t ultotal, curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    struct fetch_client *c = userp;
    return c->opt.should_stop && c->opt.should_stop(c->opt.stop_ctx);
}

#define FETCH_SETOPT(c, opt, val) \
    do { if (curl_easy_setopt((c), (opt), (val)) != CURLE_OK) goto fail; } while (0)

int fetch_client_create(const struct fetch_options *opt,
                        struct fetch_share *share,
                        struct fetch_client **out, char *err, size_t errlen)
{
    struct fetch_client *c = calloc(1, sizeof *c);
    if (!c || !(c->curl = curl_easy_init())) {
        snprintf(err, errlen, "cannot create a libcurl handle");
        free(c);
        return -1;
    }
    c->opt = *opt;
    struct fetch_options *o = &c->opt;
    CURL *h = c->curl;
    FETCH_SETOPT(h, CURLOPT_NOSIGNAL, 1L);   /* no SIGALRM in threads */
    if (share)
        FETCH_SETOPT(h, CURLOPT_SHARE, share->sh);
    FETCH_SETOPT(h, CURLOPT_ERRORBUFFER, c->errbuf);
    FETCH_SETOPT(h, CURLOPT_WRITEFUNCTION, fetch_on_data);
    FETCH_SETOPT(h, CURLOPT_WRITEDATA, c);
    FETCH_SETOPT(h, CURLOPT_XFERINFOFUNCTION, fetch_on_progress);
    FETCH_SETOPT(h, CURLOPT_XFERINFODATA, c);
    FETCH_SETOPT(h, CURLOPT_NOPROGRESS, 0L);
    FETCH_SETOPT(h, CURLOPT_USERAGENT,
                 o->user_agent ? o->user_agent : fetch_user_agent());
    FETCH_SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
    FETCH_SETOPT(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    FETCH_SETOPT(h, CURLOPT_FOLLOWLOCATION, 1L);
    FETCH_SETOPT(h, CURLOPT_MAXREDIRS, o->max_redirects ? o->max_redirects : 5L);
    FETCH_SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
    FETCH_SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->cacert)
        FETCH_SETOPT(h, CURLOPT_CAINFO, o->cacert);
    FETCH_SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS,
                 o->connect_timeout_ms ? o->connect_timeout_ms : 10000L);
    FETCH_SETOPT(h, CURLOPT_TIMEOUT_MS, o->timeout_ms ? o->timeout_ms : 60000L);
    FETCH_SETOPT(h, CURLOPT_LOW_SPEED_LIMIT,
                 o->low_speed_limit ? o->low_speed_limit : 1000L);
    FETCH_SETOPT(h, CURLOPT_LOW_SPEED_TIME,
                 o->low_speed_time ? o->low_speed_time : 15L);
    FETCH_SETOPT(h, CURLOPT_ACCEPT_ENCODING, "");
    *out = c;
    return 0;
fail:
    snprintf(err, errlen, "cannot configure libcurl: %s",
             c->errbuf[0] ? c->errbuf : "unsupported option (libcurl too old?)");
    fetch_client_destroy(c);
    return -1;
}

void fetch_client_destroy(struct fetch_client *c)
{
    if (!c)
        return;
    curl_easy_cleanup(c->curl);
    free(c->buf);
    free(c);
}

/* Errors worth another attempt: the server or the path may recover. */
static bool fetch_transient(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return true;
    default:
        return false;
    }
}

/* Sleeps ms in short slices; returns -1 as soon as should_stop says so. */
static int fetch_backoff(const struct fetch_client *c, unsigned ms)
{
    while (ms > 0) {
        if (c->opt.should_stop && c->opt.should_stop(c->opt.stop_ctx))
            return -1;
        unsigned slice = ms < FETCH_SLEEP_SLICE_MS ? ms : FETCH_SLEEP_SLICE_MS;
        struct timespec ts = { 0, (long)slice * 1000000L };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        ms -= slice;
    }
    return 0;
}

/* One attempt. Returns true if another attempt may help. */
static bool fetch_attempt(struct fetch_client *c, struct fetch_result *res)
{
    c->len = 0;
    c->too_big = false;
    c->errbuf[0] = '\0';
    CURLcode rc = curl_easy_perform(c->curl);
    res->attempts++;
    res->status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &res->status);
    if (rc != CURLE_OK) {
        const char *why = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
        if (c->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
            res->outcome = FETCH_TOO_BIG;
            snprintf(res->msg, sizeof res->msg, "larger than %zu bytes", c->max);
        } else if (rc == CURLE_ABORTED_BY_CALLBACK) {
            res->outcome = FETCH_ABORTED;
            snprintf(res->msg, sizeof res->msg, "interrupted");
        } else if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT) {
            res->outcome = FETCH_REFUSED;
            snprintf(res->msg, sizeof res->msg, "refused: %.200s", why);
        } else {
            res->outcome = FETCH_NETWORK;
            snprintf(res->msg, sizeof res->msg, "%s", why);
            return fetch_transient(rc);
        }
        return false;
    }
    if (res->status >= 200 && res->status < 300) {
        res->outcome = FETCH_OK;
        return false;
    }
    res->outcome = res->status == 404 || res->status == 410 ? FETCH_NOT_FOUND
                                                            : FETCH_HTTP_ERROR;
    const char *what = res->outcome == FETCH_NOT_FOUND ? "not found"
                       : res->status >= 500 ? "server error"
                       : "refused by the server";
    snprintf(res->msg, sizeof res->msg, "%s (HTTP %ld)", what, res->status);
    return res->status >= 500;
}

int fetch_get(struct fetch_client *c, const char *url, size_t max_bytes,
              struct fetch_result *res)
{
    memset(res, 0, sizeof *res);
    res->start_ns = clock_now_ns();
    c->max = max_bytes;
    if (curl_easy_setopt(c->curl, CURLOPT_URL, url) != CURLE_OK
        || curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE,
                            (curl_off_t)max_bytes) != CURLE_OK) {
        res->outcome = FETCH_REFUSED;
        snprintf(res->msg, sizeof res->msg, "refused: bad URL");
        res->end_ns = clock_now_ns();
        return -1;
    }
    unsigned delay = c->opt.retry_delay_ms ? c->opt.retry_delay_ms : 500;
    while (fetch_attempt(c, res) && res->attempts <= c->opt.retries) {
        if (fetch_backoff(c, delay) != 0) {
            res->outcome = FETCH_ABORTED;
            snprintf(res->msg, sizeof res->msg, "interrupted");
            break;
        }
        delay = delay > FETCH_BACKOFF_CAP_MS / 2 ? FETCH_BACKOFF_CAP_MS : delay * 2;
    }
    res->end_ns = clock_now_ns();
    if (res->outcome != FETCH_OK)
        return -1;
    const char *ct = NULL;
    curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(res->content_type, sizeof res->content_type, "%s", ct ? ct : "");
    /* hand the buffer over; the next request allocates a fresh one */
    if (!c->buf && !(c->buf = malloc(1))) {
        res->outcome = FETCH_NETWORK;
        snprintf(res->msg, sizeof res->msg, "out of memory");
        return -1;
    }
    c->buf[c->len] = '\0';
    res->body = c->buf;
    res->len = c->len;
    c->buf = NULL;
    c->len = c->cap = 0;
    return 0;
}
