#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgpool/trace.h"

struct fixture {
    char dir[64];
    char path[128];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/test_trace.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/run.json", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    int rc = rmdir(f->dir);   /* fails if a temporary file leaked */
    free(f);
    return rc;
}

/* Parses the whole file; the caller frees with cJSON_Delete. */
static cJSON *load(const char *path)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    static char buf[1 << 22];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = 0;
    cJSON *root = cJSON_Parse(buf);
    assert_non_null(root);
    return root;
}

static const cJSON *find_event(const cJSON *events, const char *ph, const char *name)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, events) {
        if (strcmp(cJSON_GetObjectItem(e, "ph")->valuestring, ph) == 0 &&
            strcmp(cJSON_GetObjectItem(e, "name")->valuestring, name) == 0)
            return e;
    }
    return NULL;
}

static void test_trace__writes_spans_and_names(void **state)
{
    struct fixture *f = *state;
    struct trace *t;
    char err[256];
    assert_int_equal(trace_create(f->path, &t, err, sizeof err), 0);
    /* before creation: times count from the first span */
    trace_span(t, "first", "demo", 10, 1, 1000000, 3500000);
    trace_span(t, "say \"hi\"\n\\", "demo", 10, 2, 2000000, 2000500);
    trace_process_name(t, 10, "imgpool demo");
    trace_thread_name(t, 10, 2, "thread b");
    assert_int_equal(trace_close(t, err, sizeof err), 0);

    cJSON *root = load(f->path);
    assert_string_equal(cJSON_GetObjectItem(root, "displayTimeUnit")->valuestring, "ms");
    const cJSON *ev = cJSON_GetObjectItem(root, "traceEvents");
    assert_int_equal(cJSON_GetArraySize(ev), 4);
    const cJSON *a = find_event(ev, "X", "first");
    assert_non_null(a);
    assert_string_equal(cJSON_GetObjectItem(a, "cat")->valuestring, "demo");
    assert_int_equal(cJSON_GetObjectItem(a, "pid")->valueint, 10);
    assert_int_equal(cJSON_GetObjectItem(a, "tid")->valueint, 1);
    assert_true(cJSON_GetObjectItem(a, "ts")->valuedouble == 0.0);
    assert_true(cJSON_GetObjectItem(a, "dur")->valuedouble == 2500.0);
    const cJSON *b = find_event(ev, "X", "say \"hi\"\n\\");
    assert_non_null(b);
    assert_true(cJSON_GetObjectItem(b, "ts")->valuedouble == 1000.0);
    assert_true(cJSON_GetObjectItem(b, "dur")->valuedouble == 0.5);
    const cJSON *p = find_event(ev, "M", "process_name");
    assert_non_null(p);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "args"), "name")->valuestring,
                        "imgpool demo");
    const cJSON *th = find_event(ev, "M", "thread_name");
    assert_non_null(th);
    assert_int_equal(cJSON_GetObjectItem(th, "tid")->valueint, 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(th, "args"), "name")->valuestring,
                        "thread b");
    cJSON_Delete(root);
}

struct spam {
    struct trace *t;
    int tid;
};

static void *spam_thread(void *arg)
{
    struct spam *s = arg;
    for (int i = 0; i < 5000; i++)
        trace_span(s->t, "tick", "load", 1, s->tid, i * 1000, i * 1000 + 500);
    return NULL;
}

static void test_trace__thread_safe(void **state)
{
    struct fixture *f = *state;
    struct trace *t;
    char err[256];
    assert_int_equal(trace_create(f->path, &t, err, sizeof err), 0);
    pthread_t th[4];
    struct spam s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = (struct spam){ t, i };
        assert_int_equal(pthread_create(&th[i], NULL, spam_thread, &s[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    assert_int_equal(trace_close(t, err, sizeof err), 0);
    cJSON *root = load(f->path);
    const cJSON *ev = cJSON_GetObjectItem(root, "traceEvents");
    assert_int_equal(cJSON_GetArraySize(ev), 20000);
    int per_tid[4] = { 0 };
    const cJSON *e;
    cJSON_ArrayForEach(e, ev) per_tid[cJSON_GetObjectItem(e, "tid")->valueint]++;
    for (int i = 0; i < 4; i++)
        assert_int_equal(per_tid[i], 5000);
    cJSON_Delete(root);
}

static void test_trace__bad_path_fails_early(void **state)
{
    (void)state;
    struct trace *t = (struct trace *)1;
    char err[256] = "";
    assert_int_equal(trace_create("/nonexistent-dir/x.json", &t, err, sizeof err), -1);
    assert_null(t);
    assert_non_null(strstr(err, "/nonexistent-dir"));
    assert_int_equal(trace_close(NULL, err, sizeof err), 0);
    trace_span(NULL, "x", "y", 1, 1, 0, 1);   /* NULL is a no-op */
}

static void test_trace__empty_trace_is_valid(void **state)
{
    struct fixture *f = *state;
    struct trace *t;
    char err[256];
    assert_int_equal(trace_create(f->path, &t, err, sizeof err), 0);
    assert_int_equal(trace_close(t, err, sizeof err), 0);
    cJSON *root = load(f->path);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(root, "traceEvents")), 0);
    cJSON_Delete(root);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trace__writes_spans_and_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trace__thread_safe, setup, teardown),
        cmocka_unit_test(test_trace__bad_path_fails_early),
        cmocka_unit_test_setup_teardown(test_trace__empty_trace_is_valid, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
