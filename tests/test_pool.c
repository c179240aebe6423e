/* Unit tests for the process pool: real fork, real pipes, real crashes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imgpool/pool.h"
#include "imgpool/stop.h"

/* Fills the whole payload with a pattern derived from the task, so a torn or
 * mixed record shows up as a wrong byte. */
static unsigned char test_pool__pattern(uint64_t task, size_t i)
{
    return (unsigned char)((task * 131 + i * 7) & 0xff);
}

static int test_pool__fill_task(void *ctx, uint64_t task, const void *arg, size_t len,
                                struct pool_record *rec)
{
    (void)ctx; (void)arg; (void)len;
    for (size_t i = 0; i < POOL_DATA_MAX; i++)
        rec->data[i] = test_pool__pattern(task, i);
    rec->data_len = POOL_DATA_MAX;
    rec->bytes_in = task;
    rec->bytes_out = 1;
    return task % 7 == 3 ? POOL_SKIPPED : POOL_OK;
}

static void test_pool__check_map(unsigned procs, uint64_t n)
{
    struct pool_record *out = calloc(n ? n : 1, sizeof *out);
    assert_non_null(out);
    for (uint64_t i = 0; i < n; i++)
        out[i].status = -1;   /* "no record" */
    struct pool_options o = {0};
    o.procs = procs;
    o.task = test_pool__fill_task;
    assert_int_equal(pool_map(&o, n, out), POOL_DONE);
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(out[i].task, i);
        assert_int_equal(out[i].status, i % 7 == 3 ? POOL_SKIPPED : POOL_OK);
        assert_int_equal(out[i].data_len, POOL_DATA_MAX);
        for (size_t b = 0; b < POOL_DATA_MAX; b += 97)
            assert_int_equal(out[i].data[b], test_pool__pattern(i, b));
        assert_true(out[i].end_ns >= out[i].start_ns);
        assert_true(out[i].pid > 0);
    }
    free(out);
}

static void test_pool__every_task_once(void **state)
{
    (void)state;
    static const uint64_t sizes[] = { 0, 1, 2, 7, 100, 1000, 10000 };
    for (unsigned procs = 1; procs <= 8; procs++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            test_pool__check_map(procs, sizes[s]);
}

/* Counts records per task to catch duplicates, which pool_map's array hides. */
struct test_pool__tally {
    unsigned *seen;
    uint64_t records;
    int crashed_ok;
};

static void test_pool__tally_result(void *ctx, const struct pool_record *rec)
{
    struct test_pool__tally *t = ctx;
    t->seen[rec->task]++;
    t->records++;
}

static void test_pool__counters_add_up(void **state)
{
    (void)state;
    const uint64_t n = 5000;
    struct test_pool__tally t = { calloc(n, sizeof(unsigned)), 0, 0 };
    struct pool_options o = {0};
    o.procs = 8;
    o.task = test_pool__fill_task;
    o.on_result = test_pool__tally_result;
    o.ctx = &t;
    struct pool *p;
    assert_int_equal(pool_create(&o, n + 1, &p), 0);
    /* Publish in reverse to show the claim order is the publish order. */
    for (uint64_t i = n; i-- > 0;)
        assert_int_equal(pool_publish(p, i, NULL, 0), 0);
    assert_int_equal(pool_publish(p, 0, NULL, 0), -1);   /* published twice */
    pool_close(p);
    assert_int_equal(pool_wait(p), POOL_DONE);
    struct pool_stats st;
    pool_stats(p, &st);
    pool_destroy(p);
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(t.seen[i], 1);
    assert_int_equal(t.records, n);
    uint64_t skipped = 0, sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        skipped += i % 7 == 3;
        sum += i;
    }
    assert_int_equal(st.published, n);
    assert_int_equal(st.claimed, n);
    assert_int_equal(st.skipped, skipped);
    assert_int_equal(st.ok, n - skipped);
    assert_int_equal(st.failed + st.crashed, 0);
    assert_int_equal(st.bytes_in, sum);
    assert_int_equal(st.bytes_out, n);
    free(t.seen);
}

/* Tasks 5 and 17 kill their worker, 11 segfaults: each is reported once as
 * crashed, the workers are replaced, every other task completes. */
static int test_pool__crash_task(void *ctx, uint64_t task, const void *arg, size_t len,
                                 struct pool_record *rec)
{
    (void)ctx; (void)arg; (void)len;
    if (task == 5 || task == 17)
        raise(SIGKILL);
    if (task == 11)
        raise(SIGSEGV);
    snprintf(rec->msg, sizeof rec->msg, "fine %llu", (unsigned long long)task);
    return POOL_OK;
}

static void test_pool__crash_is_reported_and_replaced(void **state)
{
    (void)state;
    const uint64_t n = 40;
    struct test_pool__tally t = { calloc(n, sizeof(unsigned)), 0, 0 };
    struct pool_record *out = calloc(n, sizeof *out);
    struct pool_options o = {0};
    o.procs = 3;
    o.task = test_pool__crash_task;
    o.on_result = test_pool__tally_result;
    o.ctx = &t;
    assert_int_equal(pool_map(&o, n, out), POOL_DONE);
    for (uint64_t i = 0; i < n; i++) {
        assert_int_equal(t.seen[i], 1);
        if (i == 5 || i == 17) {
            assert_int_equal(out[i].status, POOL_CRASHED);
            assert_non_null(strstr(out[i].msg, "worker crashed: signal 9"));
            assert_int_equal(out[i].death, POOL_DEATH_SIGNAL);   /* typed too */
            assert_int_equal(out[i].death_code, 9);
        } else if (i == 11) {
            assert_int_equal(out[i].status, POOL_CRASHED);
            assert_non_null(strstr(out[i].msg, "worker crashed: signal 11"));
            assert_int_equal(out[i].death_code, 11);
        } else {
            assert_int_equal(out[i].status, POOL_OK);
            assert_int_equal(out[i].death, POOL_DEATH_NONE);
        }
    }
    free(out);
    free(t.seen);
}

static int test_pool__hang_task(void *ctx, uint64_t task, const void *arg, size_t len,
                                struct pool_record *rec)
{
    (void)ctx; (void)arg; (void)len; (void)rec;
    if (task == 2)
        for (;;)
            pause();   /* SIGTERM only sets a flag; the pool must SIGKILL */
    return POOL_OK;
}

static void test_pool__timeout_kills_a_stuck_task(void **state)
{
    (void)state;
    struct pool_record out[6];
    struct pool_options o = {0};
    o.procs = 2;
    o.task_timeout_ms = 300;
    o.task = test_pool__hang_task;
    assert_int_equal(pool_map(&o, 6, out), POOL_DONE);
    for (int i = 0; i < 6; i++)
        assert_int_equal(out[i].status, i == 2 ? POOL_CRASHED : POOL_OK);
    assert_non_null(strstr(out[2].msg, "timed out"));
    assert_int_equal(out[2].death, POOL_DEATH_TIMEOUT);
    assert_int_equal(out[2].death_code, 300);
}

static int test_pool__init_fails(void *ctx, unsigned worker)
{
    (void)ctx; (void)worker;
    return -1;
}

/* Workers that cannot start are not respawned forever, and the run ends. */
static void test_pool__broken_workers_end_the_run(void **state)
{
    (void)state;
    struct pool_record out[4];
    struct pool_options o = {0};
    o.procs = 2;
    o.task = test_pool__fill_task;
    o.worker_init = test_pool__init_fails;
    memset(out, 0xff, sizeof out);
    assert_int_equal(pool_map(&o, 4, out), POOL_DONE);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(out[i].status, POOL_CRASHED);
        assert_non_null(strstr(out[i].msg, "no worker"));
        assert_int_equal(out[i].death, POOL_DEATH_NO_WORKER);
    }
}

/* Pipeline: a parent thread publishes tasks with arguments while the main
 * thread waits, as the xkcd job feeds downloads into the pool. */
struct test_pool__feeder { struct pool *p; uint64_t n; };

static void *test_pool__feed(void *arg)
{
    struct test_pool__feeder *f = arg;
    for (uint64_t i = 0; i < f->n; i++) {
        char word[64];
        int len = snprintf(word, sizeof word, "item-%llu", (unsigned long long)(f->n - 1 - i));
        pool_publish(f->p, f->n - 1 - i, word, (size_t)len + 1);
        if (i % 16 == 0)
            usleep(1000);
    }
    pool_close(f->p);
    return NULL;
}

static int test_pool__echo_task(void *ctx, uint64_t task, const void *arg, size_t len,
                                struct pool_record *rec)
{
    (void)ctx; (void)task;
    memcpy(rec->data, arg, len);
    rec->data_len = (uint32_t)len;
    return POOL_OK;
}

struct test_pool__echo { unsigned *seen; int bad; };

static void test_pool__echo_result(void *ctx, const struct pool_record *rec)
{
    struct test_pool__echo *e = ctx;
    char want[64];
    snprintf(want, sizeof want, "item-%llu", (unsigned long long)rec->task);
    e->seen[rec->task]++;
    if (rec->status != POOL_OK || strcmp((const char *)rec->data, want) != 0)
        e->bad++;
}

static void test_pool__publish_from_a_thread_with_args(void **state)
{
    (void)state;
    const uint64_t n = 300;
    struct test_pool__echo e = { calloc(n, sizeof(unsigned)), 0 };
    struct pool_options o = {0};
    o.procs = 4;
    o.arg_max = 64;
    o.task = test_pool__echo_task;
    o.on_result = test_pool__echo_result;
    o.ctx = &e;
    struct pool *p;
    assert_int_equal(pool_create(&o, n, &p), 0);
    assert_int_equal(pool_publish(p, n, "x", 2), -1);              /* beyond capacity */
    char big[65] = {0};
    assert_int_equal(pool_publish(p, 0, big, sizeof big), -1);   /* over arg_max */
    struct test_pool__feeder f = { p, n };
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, test_pool__feed, &f), 0);
    assert_int_equal(pool_wait(p), POOL_DONE);
    pthread_join(th, NULL);
    assert_int_equal(pool_publish(p, 1, "x", 2), -1);               /* after close */
    pool_destroy(p);
    assert_int_equal(e.bad, 0);
    for (uint64_t i = 0; i < n; i++)
        assert_int_equal(e.seen[i], 1);
    free(e.seen);
}

/* One worker runs tasks in publish order, whether that is the task numbers'
 * own order (nothing stored) or not (stored in the shared order array): a mix
 * of both, checked by the order the records arrive in. */
struct test_pool__arrivals { uint64_t seq[64]; unsigned n; };

static void test_pool__arrived(void *ctx, const struct pool_record *rec)
{
    struct test_pool__arrivals *a = ctx;
    if (a->n < 64)
        a->seq[a->n++] = rec->task;
}

static void test_pool__runs_in_publish_order(void **state)
{
    (void)state;
    /* positions 0-3 and 8-9 hold their own number, the rest are shuffled */
    static const uint64_t order[] = {0, 1, 2, 3, 7, 4, 6, 5, 8, 9, 15, 10, 14, 11, 13, 12};
    const unsigned n = sizeof order / sizeof order[0];
    struct test_pool__arrivals a = {{0}, 0};
    struct pool_options o = {0};
    o.procs = 1;
    o.task = test_pool__echo_task;
    o.arg_max = 8;
    o.on_result = test_pool__arrived;
    o.ctx = &a;
    struct pool *p;
    assert_int_equal(pool_create(&o, n, &p), 0);
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(pool_publish(p, order[i], "", 1), 0);
    pool_close(p);
    assert_int_equal(pool_wait(p), POOL_DONE);
    pool_destroy(p);
    assert_int_equal(a.n, n);
    for (unsigned i = 0; i < n; i++)
        if (a.seq[i] != order[i])
            fail_msg("record %u was task %llu, published %llu", i,
                     (unsigned long long)a.seq[i], (unsigned long long)order[i]);
}

static int test_pool__slow_task(void *ctx, uint64_t task, const void *arg, size_t len,
                                struct pool_record *rec)
{
    (void)ctx; (void)task; (void)arg; (void)len; (void)rec;
    usleep(20000);
    return POOL_OK;
}

static void test_pool__stop_after_some(void *ctx, const struct pool_record *rec)
{
    uint64_t *count = ctx;
    (void)rec;
    if (++*count == 10)
        stop_request();
}

static void test_pool__stop_request_interrupts(void **state)
{
    (void)state;
    uint64_t count = 0;
    struct pool_options o = {0};
    o.procs = 2;
    o.task = test_pool__slow_task;
    o.on_result = test_pool__stop_after_some;
    o.ctx = &count;
    struct pool *p;
    assert_int_equal(pool_create(&o, 1000, &p), 0);
    for (uint64_t i = 0; i < 1000; i++)
        pool_publish(p, i, NULL, 0);
    pool_close(p);
    assert_int_equal(pool_wait(p), POOL_INTERRUPTED);
    struct pool_stats st;
    pool_stats(p, &st);
    for (unsigned w = 0; w < pool_procs(p); w++) {
        struct pool_worker_info wi;
        pool_worker(p, w, &wi);
        assert_int_equal(wi.pid, 0);   /* all workers gone */
    }
    pool_destroy(p);
    stop_clear();
    assert_true(count >= 10 && count < 1000);
    assert_true(st.ok >= count);   /* tasks finished in the grace time count too */
}

static int test_pool__quick_task(void *ctx, uint64_t task, const void *arg, size_t len,
                                 struct pool_record *rec)
{
    (void)ctx; (void)task; (void)arg; (void)len; (void)rec;
    return POOL_OK;
}

/* Tasks published while workers are idle, then closed at once, many times
 * over with more workers than cores: a worker preempted between its claim
 * and its slot store, or claiming once more after seeing the pool closed,
 * must not make the parent report a live worker's task as lost. */
static void test_pool__late_publish_loses_nothing(void **state)
{
    (void)state;
    uint64_t lost = 0;
    for (int round = 0; round < 300; round++) {
        struct pool_options o = {0};
        o.procs = 8;
        o.task = test_pool__quick_task;
        struct pool *p;
        assert_int_equal(pool_create(&o, 8, &p), 0);
        for (uint64_t i = 0; i < 8; i++)
            assert_int_equal(pool_publish(p, i, NULL, 0), 0);
        pool_close(p);
        assert_int_equal(pool_wait(p), POOL_DONE);
        struct pool_stats st;
        pool_stats(p, &st);
        pool_destroy(p);
        lost += st.crashed + st.failed;
    }
    assert_int_equal(lost, 0);
}

static void test_pool__bad_options(void **state)
{
    (void)state;
    struct pool_options o = {0};
    struct pool *p = (struct pool *)1;
    assert_int_equal(pool_create(&o, 10, &p), -1);   /* no task function */
    assert_null(p);
    pool_destroy(NULL);
}

int main(void)
{
    /* late_publish forks 2400 workers: first, while the parent is small.
     * Under ASan the tests before it leave their freed memory in the
     * quarantine (every_task_once alone 8 x 24 MB of records), which every
     * fork copies the page tables of: 30 s after them, 6 s before. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool__late_publish_loses_nothing),
        cmocka_unit_test(test_pool__every_task_once),
        cmocka_unit_test(test_pool__counters_add_up),
        cmocka_unit_test(test_pool__crash_is_reported_and_replaced),
        cmocka_unit_test(test_pool__timeout_kills_a_stuck_task),
        cmocka_unit_test(test_pool__broken_workers_end_the_run),
        cmocka_unit_test(test_pool__publish_from_a_thread_with_args),
        cmocka_unit_test(test_pool__runs_in_publish_order),
        cmocka_unit_test(test_pool__stop_request_interrupts),
        cmocka_unit_test(test_pool__bad_options),
    };
    return cmocka_run_group_tests_name("pool", tests, NULL, NULL);
}
