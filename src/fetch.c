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
 * connections, a body cut short) are retried up to `retries` times after
 * 0.5 s, 1 s, 2 s, ... (retry_delay_ms doubling, capped). A timeout is
 * retried once at most: a server that did not answer in time is rarely
 * quicker the third time, and each try costs the whole timeout. 429 Too
 * Many Requests is retried up to FETCH_THROTTLE_RETRIES times (a throttling
 * server expects it; --retries 0 still means none). When a 429 or 503 says
 * Retry-After (delta-seconds or an HTTP date; libcurl parses both), that is
 * the wait, capped at FETCH_RETRY_AFTER_CAP_S. Other 4xx answers are never
 * retried, and neither are certificate failures, refused URLs or oversized
 * bodies, which would fail again the same way.
 *
 * Requests in flight. The clients of one share also share a limit on
 * requests in flight, AIMD as in TCP congestion control: unlimited until
 * the server first answers 429, then halved on a 429 (to half of what was in
 * flight when it came back, at least 1), and raised by one after twice that
 * many successes in a row, until it again covers every client. Only a 429 to
 * a request sent under the current limit lowers it (the `gen` count), so a
 * burst of 429s to one burst of requests halves once, not once each. A
 * client waits for a free place (polling should_stop) and holds it only for
 * the attempt, never across a backoff sleep. This is what lets a user leave
 * --threads alone: against a server that allows 4, 8 threads settle near 4.
 */
#include "imgpool/fetch.h"

#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "imgpool/clock.h"

#define FETCH_BACKOFF_CAP_MS 30000u
#define FETCH_SLEEP_SLICE_MS 50
#define FETCH_THROTTLE_RETRIES 8
#define FETCH_TIMEOUT_RETRIES 1
#define FETCH_RETRY_AFTER_CAP_S 60
#define FETCH_UNLIMITED UINT_MAX

/* The shared limit on requests in flight (see the design note). */
struct fetch_limit {
    pthread_mutex_t lock;
    pthread_cond_t cond;       /* a place came free */
    unsigned clients;          /* clients attached: the most that can be in flight */
    unsigned limit;            /* FETCH_UNLIMITED until the first 429 */
    unsigned in_flight;
    unsigned successes;        /* in a row since the limit last changed */
    unsigned gen;              /* bumped by each decrease */
    unsigned throttled;        /* 429 answers seen */
    unsigned lowest;           /* lowest limit so far, FETCH_UNLIMITED if none */
};

struct fetch_share {
    CURLSH *sh;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
    struct fetch_limit lim;
};

struct fetch_client {
    CURL *curl;
    struct fetch_options opt;
    struct fetch_share *share;   /* NULL: no shared limit */
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
    pthread_mutex_init(&s->lim.lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->lim.cond, &ca);
    pthread_condattr_destroy(&ca);
    s->lim.limit = s->lim.lowest = FETCH_UNLIMITED;
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
    pthread_mutex_destroy(&s->lim.lock);
    pthread_cond_destroy(&s->lim.cond);
    free(s);
}

void fetch_share_stats(struct fetch_share *s, struct fetch_share_stats *out)
{
    pthread_mutex_lock(&s->lim.lock);
    out->throttled = s->lim.throttled;
    out->lowest_limit = s->lim.lowest == FETCH_UNLIMITED ? 0 : s->lim.lowest;
    pthread_mutex_unlock(&s->lim.lock);
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
    if (share) {
        FETCH_SETOPT(h, CURLOPT_SHARE, share->sh);
        pthread_mutex_lock(&share->lim.lock);
        share->lim.clients++;
        pthread_mutex_unlock(&share->lim.lock);
        c->share = share;
    }
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
    if (c->share) {
        pthread_mutex_lock(&c->share->lim.lock);
        c->share->lim.clients--;
        pthread_mutex_unlock(&c->share->lim.lock);
    }
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

/* Takes a place under the shared in-flight limit; *gen is the limit's
 * generation the request is sent under. Returns -1 if should_stop said so
 * while waiting. */
static int fetch_limit_enter(struct fetch_client *c, unsigned *gen)
{
    struct fetch_limit *l = &c->share->lim;
    int rc = 0;
    pthread_mutex_lock(&l->lock);
    while (l->in_flight >= l->limit) {
        if (c->opt.should_stop && c->opt.should_stop(c->opt.stop_ctx)) {
            rc = -1;
            break;
        }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += FETCH_SLEEP_SLICE_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&l->cond, &l->lock, &until);
    }
    if (rc == 0)
        l->in_flight++;
    *gen = l->gen;
    pthread_mutex_unlock(&l->lock);
    return rc;
}

/* Gives the place back and adjusts the limit by how the request ended:
 * multiplicative decrease on a 429, additive increase on a 2xx. */
static void fetch_limit_leave(struct fetch_client *c, unsigned gen, long status)
{
    struct fetch_limit *l = &c->share->lim;
    pthread_mutex_lock(&l->lock);
    unsigned was = l->in_flight--;
    if (status == 429) {
        l->throttled++;
        if (gen == l->gen) {
            unsigned half = was / 2 ? was / 2 : 1;
            l->limit = half < l->limit ? half : l->limit;
            l->lowest = l->limit < l->lowest ? l->limit : l->lowest;
            l->successes = 0;
            l->gen++;
        }
    } else if (status >= 200 && status < 300 && l->limit != FETCH_UNLIMITED
               && ++l->successes >= 2 * l->limit) {
        l->successes = 0;
        l->limit = l->limit + 1 >= l->clients ? FETCH_UNLIMITED : l->limit + 1;
    }
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
}

/* How an attempt ended, for the retry loop. */
enum fetch_next { FETCH_DONE, FETCH_AGAIN, FETCH_AGAIN_TIMEOUT, FETCH_AGAIN_THROTTLED };

/* The server's Retry-After, in ms (capped), or 0 if it gave none. */
static unsigned fetch_retry_after_ms(struct fetch_client *c)
{
    curl_off_t ra = 0;
    if (curl_easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK || ra <= 0)
        return 0;
    return ra > FETCH_RETRY_AFTER_CAP_S ? FETCH_RETRY_AFTER_CAP_S * 1000u
                                        : (unsigned)ra * 1000u;
}

/* Classifies a finished transfer into res; returns what may come next. */
static enum fetch_next fetch_outcome(struct fetch_client *c, CURLcode rc,
                                     struct fetch_result *res)
{
    res->lib_reason = rc != CURLE_OK ? curl_easy_strerror(rc) : NULL;
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
            if (!fetch_transient(rc))
                return FETCH_DONE;
            return rc == CURLE_OPERATION_TIMEDOUT ? FETCH_AGAIN_TIMEOUT : FETCH_AGAIN;
        }
        return FETCH_DONE;
    }
    if (res->status >= 200 && res->status < 300) {
        res->outcome = FETCH_OK;
        return FETCH_DONE;
    }
    res->outcome = res->status == 404 || res->status == 410 ? FETCH_NOT_FOUND
                                                            : FETCH_HTTP_ERROR;
    const char *what = res->outcome == FETCH_NOT_FOUND ? "not found"
                       : res->status == 429 ? "too many requests"
                       : res->status >= 500 ? "server error"
                       : "refused by the server";
    snprintf(res->msg, sizeof res->msg, "%s (HTTP %ld)", what, res->status);
    if (res->status == 429 || res->status == 503)
        res->retry_after_ms = fetch_retry_after_ms(c);
    if (res->status == 429) {
        res->throttled++;
        return FETCH_AGAIN_THROTTLED;
    }
    return res->status >= 500 ? FETCH_AGAIN : FETCH_DONE;
}

/* One attempt, under the shared in-flight limit if there is one. */
static enum fetch_next fetch_attempt(struct fetch_client *c, struct fetch_result *res)
{
    unsigned gen = 0;
    c->len = 0;
    c->too_big = false;
    c->errbuf[0] = '\0';
    res->retry_after_ms = 0;
    if (c->share && fetch_limit_enter(c, &gen) != 0) {
        res->outcome = FETCH_ABORTED;
        snprintf(res->msg, sizeof res->msg, "interrupted");
        return FETCH_DONE;
    }
    CURLcode rc = curl_easy_perform(c->curl);
    res->attempts++;
    res->status = 0;
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &res->status);
    if (c->share)
        fetch_limit_leave(c, gen, res->status);
    res->answered |= res->status != 0;
    return fetch_outcome(c, rc, res);
}

/* Whether the retry budget allows another attempt after `next`. */
static bool fetch_may_retry(const struct fetch_client *c, enum fetch_next next,
                            unsigned *retries, unsigned *timeouts, unsigned *throttles)
{
    if (c->opt.retries == 0)
        return false;
    switch (next) {
    case FETCH_AGAIN_THROTTLED:
        return ++*throttles <= FETCH_THROTTLE_RETRIES;
    case FETCH_AGAIN_TIMEOUT:
        if (++*timeouts > FETCH_TIMEOUT_RETRIES)
            return false;
        return ++*retries <= c->opt.retries;
    case FETCH_AGAIN:
        return ++*retries <= c->opt.retries;
    default:
        return false;
    }
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
    unsigned retries = 0, timeouts = 0, throttles = 0;
    enum fetch_next next;
    while ((next = fetch_attempt(c, res)) != FETCH_DONE
           && fetch_may_retry(c, next, &retries, &timeouts, &throttles)) {
        /* the server's Retry-After replaces our backoff step, never adds to it */
        unsigned wait = res->retry_after_ms ? res->retry_after_ms : delay;
        if (fetch_backoff(c, wait) != 0) {
            res->outcome = FETCH_ABORTED;
            snprintf(res->msg, sizeof res->msg, "interrupted");
            break;
        }
        if (!res->retry_after_ms)
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
