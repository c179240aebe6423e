/* Unit tests for fetch: a tiny HTTP server on a loopback port, run by a
 * thread of this test, answers scripted paths; the tests check both what
 * fetch_get returned and what the server saw (request counts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "imgpool/fetch.h"

/* ---- the scripted server ------------------------------------------------ */

struct srv {
    int fd;
    int port;
    pthread_t tid;
    atomic_int stop;
    atomic_int hits_flaky, hits_404, hits_500, hits_429, requests;
    atomic_int_least64_t first_429_ns, retry_429_ns;   /* when /429 was asked, 1st and 2nd */
    atomic_int active;           /* connection threads still running */
    int flaky_failures;          /* /flaky answers 500 this many times */
    char last_ua[128];           /* under ua_lock */
    pthread_mutex_t ua_lock;
};

static void srv_send(int c, const char *status, const char *extra, const char *body)
{
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %s\r\nContent-Length: %zu\r\nContent-Type: text/plain\r\n"
                     "Connection: close\r\n%s\r\n", status, strlen(body), extra);
    if (write(c, head, (size_t)n) < 0 || write(c, body, strlen(body)) < 0)
        return;
}

static void srv_answer(struct srv *s, int c, const char *path, const char *req)
{
    char body[4096];
    atomic_fetch_add(&s->requests, 1);
    if (strcmp(path, "/ok") == 0) {
        srv_send(c, "200 OK", "", "hello");
    } else if (strcmp(path, "/flaky") == 0) {
        if (atomic_fetch_add(&s->hits_flaky, 1) < s->flaky_failures)
            srv_send(c, "500 Internal Server Error", "", "oops");
        else
            srv_send(c, "200 OK", "", "recovered");
    } else if (strcmp(path, "/500") == 0) {
        atomic_fetch_add(&s->hits_500, 1);
        srv_send(c, "503 Service Unavailable", "", "down");
    } else if (strcmp(path, "/429") == 0) {
        /* too many requests, come back in 1 s; then fine */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t now = ts.tv_sec * 1000000000LL + ts.tv_nsec;
        if (atomic_fetch_add(&s->hits_429, 1) == 0) {
            atomic_store(&s->first_429_ns, now);
            srv_send(c, "429 Too Many Requests", "Retry-After: 1\r\n", "slow down");
        } else {
            atomic_store(&s->retry_429_ns, now);
            srv_send(c, "200 OK", "", "thanks");
        }
    } else if (strcmp(path, "/404") == 0) {
        atomic_fetch_add(&s->hits_404, 1);
        srv_send(c, "404 Not Found", "", "<html>nope</html>");
    } else if (strcmp(path, "/big") == 0) {
        memset(body, 'x', 3000);
        body[3000] = '\0';
        srv_send(c, "200 OK", "", body);
    } else if (strcmp(path, "/loop") == 0) {
        srv_send(c, "302 Found", "Location: /loop\r\n", "");
    } else if (strcmp(path, "/to-file") == 0) {
        srv_send(c, "302 Found", "Location: file:///etc/passwd\r\n", "");
    } else if (strcmp(path, "/to-ok") == 0) {
        srv_send(c, "301 Moved", "Location: /ok\r\n", "");
    } else if (strcmp(path, "/stall") == 0) {
        /* headers promise a body that never comes, until the test ends */
        if (write(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 40) < 0)
            return;
        char b;
        struct pollfd p = { c, POLLIN, 0 };
        while (!atomic_load(&s->stop))
            if (poll(&p, 1, 20) > 0 && read(c, &b, 1) <= 0)
                break;   /* the client hung up */
    } else if (strcmp(path, "/ua") == 0) {
        const char *ua = strcasestr(req, "\r\nUser-Agent: ");
        pthread_mutex_lock(&s->ua_lock);
        snprintf(s->last_ua, sizeof s->last_ua, "%.*s",
                 ua ? (int)strcspn(ua + 14, "\r") : 0, ua ? ua + 14 : "");
        pthread_mutex_unlock(&s->ua_lock);
        srv_send(c, "200 OK", "", "ua");
    } else {
        srv_send(c, "404 Not Found", "", "unknown");
    }
}

/* One connection per request (Connection: close keeps the server simple). */
static void *srv_conn(void *arg)
{
    void **a = arg;
    struct srv *s = a[0];
    int c = (int)(intptr_t)a[1];
    free(a);
    char req[4096] = "";
    size_t len = 0;
    while (len < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
        struct pollfd p = { c, POLLIN, 0 };
        if (poll(&p, 1, 2000) <= 0)
            break;
        ssize_t n = read(c, req + len, sizeof req - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        req[len] = '\0';
    }
    req[len] = '\0';
    char path[256] = "";
    sscanf(req, "GET %255s", path);
    srv_answer(s, c, path, req);
    close(c);
    atomic_fetch_sub(&s->active, 1);
    return NULL;
}

static void *srv_main(void *arg)
{
    struct srv *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = { s->fd, POLLIN, 0 };
        if (poll(&p, 1, 50) <= 0)
            continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0)
            continue;
        void **a = malloc(2 * sizeof *a);
        a[0] = s;
        a[1] = (void *)(intptr_t)c;
        pthread_t t;
        atomic_fetch_add(&s->active, 1);
        if (pthread_create(&t, NULL, srv_conn, a) == 0) {
            pthread_detach(t);
        } else {
            atomic_fetch_sub(&s->active, 1);
            close(c);
            free(a);
        }
    }
    return NULL;
}

/* A port nothing listens on: bind one, then close it. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static int setup(void **state)
{
    struct srv *s = calloc(1, sizeof *s);
    pthread_mutex_init(&s->ua_lock, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (bind(s->fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(s->fd, 64) != 0
        || getsockname(s->fd, (struct sockaddr *)&sa, &sl) != 0)
        return -1;
    s->port = ntohs(sa.sin_port);
    if (pthread_create(&s->tid, NULL, srv_main, s) != 0)
        return -1;
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    struct srv *s = *state;
    atomic_store(&s->stop, 1);
    pthread_join(s->tid, NULL);
    close(s->fd);
    for (int i = 0; i < 500 && atomic_load(&s->active) > 0; i++)
        usleep(10000);   /* detached connection threads see `stop` */
    pthread_mutex_destroy(&s->ua_lock);
    free(s);
    return 0;
}

static void url(char *out, size_t n, const struct srv *s, const char *path)
{
    snprintf(out, n, "http://127.0.0.1:%d%s", s->port, path);
}

/* GETs path with opt; returns the result (body freed by the caller). */
static int get(const struct srv *s, const struct fetch_options *opt,
               const char *path, size_t max, struct fetch_result *res)
{
    struct fetch_client *c;
    char err[256], u[256];
    assert_int_equal(fetch_client_create(opt, NULL, &c, err, sizeof err), 0);
    url(u, sizeof u, s, path);
    int rc = fetch_get(c, u, max, res);
    fetch_client_destroy(c);
    return rc;
}

/* ---- tests -------------------------------------------------------------- */

static void test_fetch__get_ok(void **state)
{
    struct fetch_options o = { 0 };
    struct fetch_result r;
    assert_int_equal(get(*state, &o, "/ok", 1000, &r), 0);
    assert_int_equal(r.outcome, FETCH_OK);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(r.len, 5);
    assert_string_equal((char *)r.body, "hello");
    assert_string_equal(r.content_type, "text/plain");
    assert_true(r.end_ns >= r.start_ns);
    free(r.body);
}

static void test_fetch__follows_a_redirect(void **state)
{
    struct fetch_options o = { 0 };
    struct fetch_result r;
    assert_int_equal(get(*state, &o, "/to-ok", 1000, &r), 0);
    assert_string_equal((char *)r.body, "hello");
    free(r.body);
}

static void test_fetch__retries_5xx_until_success(void **state)
{
    struct srv *s = *state;
    s->flaky_failures = 2;
    atomic_store(&s->hits_flaky, 0);
    struct fetch_options o = { .retries = 3, .retry_delay_ms = 1 };
    struct fetch_result r;
    assert_int_equal(get(s, &o, "/flaky", 1000, &r), 0);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(atomic_load(&s->hits_flaky), 3);
    assert_string_equal((char *)r.body, "recovered");
    free(r.body);
}

static void test_fetch__gives_up_after_retries(void **state)
{
    struct srv *s = *state;
    atomic_store(&s->hits_500, 0);
    struct fetch_options o = { .retries = 2, .retry_delay_ms = 1 };
    struct fetch_result r;
    assert_int_equal(get(s, &o, "/500", 1000, &r), -1);
    assert_int_equal(r.outcome, FETCH_HTTP_ERROR);
    assert_int_equal(r.status, 503);
    assert_int_equal(r.attempts, 3);
    assert_int_equal(atomic_load(&s->hits_500), 3);
    assert_null(r.body);
    assert_non_null(strstr(r.msg, "503"));
}

static void test_fetch__4xx_never_retried(void **state)
{
    struct srv *s = *state;
    atomic_store(&s->hits_404, 0);
    struct fetch_options o = { .retries = 5, .retry_delay_ms = 1 };
    struct fetch_result r;
    assert_int_equal(get(s, &o, "/404", 1000, &r), -1);
    assert_int_equal(r.outcome, FETCH_NOT_FOUND);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(atomic_load(&s->hits_404), 1);
}

/* 429 is retried, not before the server's Retry-After (as the server saw
 * it), and it lowers the share's limit on requests in flight. */
static void test_fetch__429_retried_after_retry_after(void **state)
{
    struct srv *s = *state;
    struct fetch_options o = { .retries = 1, .retry_delay_ms = 1 };
    struct fetch_share *sh;
    struct fetch_client *c;
    struct fetch_result r;
    struct fetch_share_stats st;
    char err[256], u[256];
    atomic_store(&s->hits_429, 0);
    assert_int_equal(fetch_share_create(&sh, err, sizeof err), 0);
    assert_int_equal(fetch_client_create(&o, sh, &c, err, sizeof err), 0);
    url(u, sizeof u, s, "/429");
    assert_int_equal(fetch_get(c, u, 1000, &r), 0);
    assert_int_equal(r.attempts, 2);
    assert_int_equal(r.throttled, 1);
    assert_int_equal(atomic_load(&s->hits_429), 2);
    assert_true(atomic_load(&s->retry_429_ns) - atomic_load(&s->first_429_ns) >= 950000000LL);
    fetch_share_stats(sh, &st);
    assert_int_equal(st.throttled, 1);
    assert_int_equal(st.lowest_limit, 1);   /* one in flight, halved: at least 1 */
    free(r.body);
    fetch_client_destroy(c);
    fetch_share_destroy(sh);
}

/* A timeout is retried once, whatever --retries says. */
static void test_fetch__timeout_retried_once(void **state)
{
    struct fetch_options o = { .retries = 5, .retry_delay_ms = 1, .timeout_ms = 300 };
    struct fetch_result r;
    assert_int_equal(get(*state, &o, "/stall", 1000, &r), -1);
    assert_int_equal(r.outcome, FETCH_NETWORK);
    assert_int_equal(r.attempts, 2);
    assert_true(r.answered);   /* headers came, the body did not */
}

static void test_fetch__size_cap(void **state)
{
    struct fetch_options o = { .retries = 2, .retry_delay_ms = 1 };
    struct fetch_result r;
    assert_int_equal(get(*state, &o, "/big", 1000, &r), -1);
    assert_int_equal(r.outcome, FETCH_TOO_BIG);
    assert_int_equal(r.attempts, 1);
    assert_null(r.body);
    assert_int_equal(get(*state, &o, "/big", 3000, &r), 0);
    assert_int_equal(r.len, 3000);
    free(r.body);
}

static void test_fetch__only_http_and_https(void **state)
{
    struct fetch_options o = { .retries = 2, .retry_delay_ms = 1 };
    struct fetch_client *c;
    struct fetch_result r;
    char err[256];
    assert_int_equal(fetch_client_create(&o, NULL, &c, err, sizeof err), 0);
    assert_int_equal(fetch_get(c, "file:///etc/passwd", 1000, &r), -1);
    assert_int_equal(r.outcome, FETCH_REFUSED);
    assert_int_equal(fetch_get(c, "ftp://127.0.0.1/x", 1000, &r), -1);
    assert_int_equal(r.outcome, FETCH_REFUSED);
    fetch_client_destroy(c);
    /* nor through a redirect */
    assert_int_equal(get(*state, &o, "/to-file", 1000, &r), -1);
    assert_int_equal(r.outcome, FETCH_REFUSED);
    assert_int_equal(r.attempts, 1);
}

static void test_fetch__redirect_limit(void **state)
{
    struct fetch_options o = { .max_redirects = 3 };
    struct fetch_result r;
    assert_int_equal(get(*state, &o, "/loop", 1000, &r), -1);
    assert_int_equal(r.outcome, FETCH_NETWORK);
    assert_int_equal(r.attempts, 1);
    assert_non_null(strstr(r.msg, "redirect"));
}

static void test_fetch__user_agent_names_imgpool(void **state)
{
    struct srv *s = *state;
    struct fetch_options o = { 0 };
    struct fetch_result r;
    assert_int_equal(get(s, &o, "/ua", 1000, &r), 0);
    free(r.body);
    pthread_mutex_lock(&s->ua_lock);
    assert_string_equal(s->last_ua, "imgpool/" IMGPOOL_VERSION);
    pthread_mutex_unlock(&s->ua_lock);
    assert_string_equal(fetch_user_agent(), "imgpool/" IMGPOOL_VERSION);
}

static void test_fetch__connection_refused_is_retried(void **state)
{
    (void)state;
    struct fetch_options o = { .retries = 2, .retry_delay_ms = 1 };
    struct fetch_client *c;
    struct fetch_result r;
    char err[256], u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/x", free_port());
    assert_int_equal(fetch_client_create(&o, NULL, &c, err, sizeof err), 0);
    assert_int_equal(fetch_get(c, u, 1000, &r), -1);
    assert_int_equal(r.outcome, FETCH_NETWORK);
    assert_int_equal(r.attempts, 3);
    fetch_client_destroy(c);
}

static int stop_now(void *ctx)
{
    return atomic_load((atomic_int *)ctx);
}

static void *set_after_200ms(void *ctx)
{
    usleep(200000);
    atomic_store((atomic_int *)ctx, 1);
    return NULL;
}

static void test_fetch__should_stop_aborts_a_stalled_transfer(void **state)
{
    atomic_int flag = 0;
    struct fetch_options o = { .retries = 3, .should_stop = stop_now, .stop_ctx = &flag,
                               .low_speed_time = 60, .timeout_ms = 60000 };
    struct fetch_result r;
    pthread_t t;
    pthread_create(&t, NULL, set_after_200ms, &flag);
    assert_int_equal(get(*state, &o, "/stall", 1000, &r), -1);
    pthread_join(t, NULL);
    assert_int_equal(r.outcome, FETCH_ABORTED);
    assert_int_equal(r.attempts, 1);
    assert_true(r.end_ns - r.start_ns < 5000000000LL);   /* not the 60 s timeout */
}

static void test_fetch__low_speed_limit(void **state)
{
    struct fetch_options o = { .low_speed_limit = 1000, .low_speed_time = 1 };
    struct fetch_result r;
    assert_int_equal(get(*state, &o, "/stall", 1000, &r), -1);
    assert_int_equal(r.outcome, FETCH_NETWORK);
}

/* Many threads, one client each, one share object: the lock callbacks keep
 * libcurl's shared DNS/TLS caches consistent (ASan/TSan would tell). */
struct worker {
    const struct srv *s;
    struct fetch_share *share;
    int ok;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct fetch_options o = { 0 };
    struct fetch_client *c;
    char err[256], u[256];
    if (fetch_client_create(&o, w->share, &c, err, sizeof err) != 0)
        return NULL;
    url(u, sizeof u, w->s, "/ok");
    for (int i = 0; i < 20; i++) {
        struct fetch_result r;
        if (fetch_get(c, u, 100, &r) == 0 && strcmp((char *)r.body, "hello") == 0)
            w->ok++;
        free(r.body);
    }
    fetch_client_destroy(c);
    return NULL;
}

static void test_fetch__threads_with_a_share(void **state)
{
    struct srv *s = *state;
    struct fetch_share *share;
    char err[256];
    assert_int_equal(fetch_share_create(&share, err, sizeof err), 0);
    struct worker w[8];
    pthread_t t[8];
    int before = atomic_load(&s->requests);
    for (int i = 0; i < 8; i++) {
        w[i] = (struct worker){ s, share, 0 };
        assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, 20);
    }
    assert_int_equal(atomic_load(&s->requests) - before, 160);
    fetch_share_destroy(share);
}

int main(void)
{
    char err[256];
    if (fetch_global_init(err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch__get_ok),
        cmocka_unit_test(test_fetch__follows_a_redirect),
        cmocka_unit_test(test_fetch__retries_5xx_until_success),
        cmocka_unit_test(test_fetch__gives_up_after_retries),
        cmocka_unit_test(test_fetch__4xx_never_retried),
        cmocka_unit_test(test_fetch__429_retried_after_retry_after),
        cmocka_unit_test(test_fetch__timeout_retried_once),
        cmocka_unit_test(test_fetch__size_cap),
        cmocka_unit_test(test_fetch__only_http_and_https),
        cmocka_unit_test(test_fetch__redirect_limit),
        cmocka_unit_test(test_fetch__user_agent_names_imgpool),
        cmocka_unit_test(test_fetch__connection_refused_is_retried),
        cmocka_unit_test(test_fetch__should_stop_aborts_a_stalled_transfer),
        cmocka_unit_test(test_fetch__low_speed_limit),
        cmocka_unit_test(test_fetch__threads_with_a_share),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    fetch_global_cleanup();
    return rc;
}
