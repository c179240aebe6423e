/* Unit tests for report: records and summary as JSON, names that are not
 * UTF-8, and targets a user may name (FIFO, symlink, folder). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgpool/report.h"
#include "imgpool/text.h"
#include "test_util.h"

struct tdir {
    char path[256];
};

static void tdir_make(struct tdir *d)
{
    const char *t = getenv("TMPDIR");
    snprintf(d->path, sizeof d->path, "%s/test_report.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(d->path));
}

static void tdir_remove(const struct tdir *d)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->path);
    assert_int_equal(system(cmd), 0);
}

static const struct report_file report_ok = {
    .path = "in/a.png", .output = "out/a.png", .status = "ok", .reason = "done",
    .bytes_in = 145, .bytes_out = 168, .width = 32, .height = 32, .out_width = 16,
    .out_height = 16, .ms = 2.5, .worker_pid = 42, .worker = 1,
};

static const struct report_summary report_sum = {
    .files = 2, .ok = 1, .failed = 1, .wall_ms = 12, .cpu_ms = 2, .procs = 2,
};

/* Writes a report of `files` to path and closes it; returns close's result. */
static int write_report(const char *path, const struct report_file *files, size_t n)
{
    struct report *r;
    char err[512];
    assert_int_equal(report_create(path, &r, err, sizeof err), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(report_add(r, &files[i]), 0);
    return report_close(r, &report_sum, err, sizeof err);
}

static cJSON *load_json(const char *path)
{
    size_t len;
    unsigned char *buf = test_read_file(path, &len);
    assert_non_null(buf);
    buf[len] = '\0';
    assert_true(text_utf8_valid((const char *)buf));
    cJSON *j = cJSON_Parse((const char *)buf);
    free(buf);
    assert_non_null(j);
    return j;
}

static void test_report__records_and_summary(void **state)
{
    (void)state;
    struct tdir d;
    char path[300];
    tdir_make(&d);
    snprintf(path, sizeof path, "%s/r.json", d.path);
    struct report_file files[2] = { report_ok, {
        .path = "in/b.png", .status = "failed", .reason = "cannot-decode",
        .error = "cannot decode: PNG: bad IHDR" } };
    assert_int_equal(write_report(path, files, 2), 0);
    cJSON *j = load_json(path);
    assert_string_equal(cJSON_GetObjectItem(j, "schema")->valuestring, "imgpool-report/1");
    const cJSON *list = cJSON_GetObjectItem(j, "files");
    assert_int_equal(cJSON_GetArraySize(list), 2);
    const cJSON *a = cJSON_GetArrayItem(list, 0), *b = cJSON_GetArrayItem(list, 1);
    assert_string_equal(cJSON_GetObjectItem(a, "reason")->valuestring, "done");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(a, "error")));
    assert_int_equal(cJSON_GetObjectItem(a, "out_width")->valueint, 16);
    assert_null(cJSON_GetObjectItem(a, "path_bytes"));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(b, "output")));
    assert_string_equal(cJSON_GetObjectItem(b, "error")->valuestring,
                        "cannot decode: PNG: bad IHDR");
    const cJSON *s = cJSON_GetObjectItem(j, "summary");
    assert_int_equal(cJSON_GetObjectItem(s, "files")->valueint, 2);
    assert_int_equal(cJSON_GetObjectItem(s, "failed")->valueint, 1);
    cJSON_Delete(j);
    tdir_remove(&d);
}

static void test_report__names_that_are_not_utf8(void **state)
{
    (void)state;
    struct tdir d;
    char path[300];
    tdir_make(&d);
    snprintf(path, sizeof path, "%s/r.json", d.path);
    struct report_file f = report_ok;
    f.path = "in/bad\xffname.png";
    f.output = "out/bad\xffname.png";
    assert_int_equal(write_report(path, &f, 1), 0);
    cJSON *j = load_json(path);   /* valid UTF-8, valid JSON */
    const cJSON *rec = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "files"), 0);
    assert_string_equal(cJSON_GetObjectItem(rec, "path")->valuestring,
                        "in/bad\xef\xbf\xbdname.png");
    assert_string_equal(cJSON_GetObjectItem(rec, "path_bytes")->valuestring,
                        "696e2f626164ff6e616d652e706e67");
    assert_non_null(cJSON_GetObjectItem(rec, "output_bytes"));
    cJSON_Delete(j);
    tdir_remove(&d);
}

static void test_report__fifo_is_written_in_place(void **state)
{
    (void)state;
    struct tdir d;
    char path[300], buf[65536];
    tdir_make(&d);
    snprintf(path, sizeof path, "%s/r.fifo", d.path);
    assert_int_equal(mkfifo(path, 0644), 0);
    int rd = open(path, O_RDONLY | O_NONBLOCK);   /* the reader the writer needs */
    assert_true(rd >= 0);
    assert_int_equal(write_report(path, &report_ok, 1), 0);
    ssize_t n = read(rd, buf, sizeof buf - 1);
    close(rd);
    assert_true(n > 0);
    buf[n] = '\0';
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    cJSON_Delete(j);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    /* Nobody reading: an error at once, never a hang. */
    struct report *r;
    char err[512];
    assert_int_equal(report_create(path, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "no process is reading"));
    tdir_remove(&d);
}

static void test_report__symlink_is_followed_and_folder_refused(void **state)
{
    (void)state;
    struct tdir d;
    char link[300], target[300];
    tdir_make(&d);
    snprintf(link, sizeof link, "%s/link.json", d.path);
    snprintf(target, sizeof target, "%s/real.json", d.path);
    FILE *f = fopen(target, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(symlink("real.json", link), 0);
    assert_int_equal(write_report(link, &report_ok, 1), 0);
    struct stat st;
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    cJSON_Delete(load_json(target));
    struct report *r;
    char err[512];
    assert_int_equal(report_create(d.path, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "folder"));
    tdir_remove(&d);
}

static void test_report__abort_leaves_nothing(void **state)
{
    (void)state;
    struct tdir d;
    char path[300];
    tdir_make(&d);
    snprintf(path, sizeof path, "%s/r.json", d.path);
    struct report *r;
    char err[512];
    assert_int_equal(report_create(path, &r, err, sizeof err), 0);
    assert_int_equal(report_add(r, &report_ok), 0);
    report_abort(r);
    report_abort(NULL);
    assert_int_equal(access(path, F_OK), -1);
    tdir_remove(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report__records_and_summary),
        cmocka_unit_test(test_report__names_that_are_not_utf8),
        cmocka_unit_test(test_report__fifo_is_written_in_place),
        cmocka_unit_test(test_report__symlink_is_followed_and_folder_refused),
        cmocka_unit_test(test_report__abort_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
