/* Unit tests for job: every outcome carries its typed reason (callers never
 * read the text), inputs that are not regular files never block, and no
 * symlink below the output root is followed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "imgpool/job.h"

struct tdir {
    char path[256];
};

static void tdir_make(struct tdir *d)
{
    const char *t = getenv("TMPDIR");
    snprintf(d->path, sizeof d->path, "%s/test_job.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(d->path));
}

static void tdir_join(const struct tdir *d, const char *name, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", d->path, name);
}

static void tdir_remove(const struct tdir *d)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->path);
    assert_int_equal(system(cmd), 0);
}

/* A small RGB PNG at path, made by our own encoder. */
static void write_png(const char *path, unsigned w, unsigned h)
{
    unsigned char *px = calloc((size_t)w * h, 3);
    assert_non_null(px);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        px[i] = (unsigned char)(i * 7);
    struct img im = {px, w, h, 3};
    char err[256];
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_true(img_encode(&im, IMG_FMT_PNG, 0, fd, err, sizeof err) > 0);
    close(fd);
    free(px);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static enum job_detail detail_of(const struct pool_record *rec)
{
    return (enum job_detail)((const struct job_result *)rec->data)->detail;
}

/* Runs job_file with fresh record; returns the status, the reason in *why. */
static int run(const struct job_options *o, const char *in, const char *out,
               struct pool_record *rec, enum job_reason *why)
{
    memset(rec, 0, sizeof *rec);
    int status = job_file(o, in, out, rec);
    assert_int_equal(rec->data_len, sizeof(struct job_result));
    *why = (enum job_reason)((const struct job_result *)rec->data)->reason;
    return status;
}

static struct job_options defaults(void)
{
    struct job_options o;
    memset(&o, 0, sizeof o);
    o.autorotate = 1;
    o.max_pixels = 100000000;
    return o;
}

static void test_job__done_then_up_to_date_then_forced(void **state)
{
    (void)state;
    struct tdir d;
    char in[300], out[300];
    struct pool_record rec;
    enum job_reason why;
    tdir_make(&d);
    tdir_join(&d, "a.png", in, sizeof in);
    tdir_join(&d, "a.out.png", out, sizeof out);
    write_png(in, 20, 10);
    struct job_options o = defaults();
    assert_int_equal(run(&o, in, out, &rec, &why), POOL_OK);
    assert_int_equal(why, JOB_DONE);
    assert_string_equal(rec.msg, "");
    const struct job_result *r = (const void *)rec.data;
    assert_int_equal(r->in_w, 20);
    assert_int_equal(r->out_h, 10);
    /* The output is newer than the input: skipped, and said so by type. */
    assert_int_equal(run(&o, in, out, &rec, &why), POOL_SKIPPED);
    assert_int_equal(why, JOB_UP_TO_DATE);
    o.force = 1;
    assert_int_equal(run(&o, in, out, &rec, &why), POOL_OK);
    assert_int_equal(why, JOB_DONE);
    tdir_remove(&d);
}

static void test_job__not_an_image_by_name(void **state)
{
    (void)state;
    struct tdir d;
    char txt[300], png[300], out[300];
    struct pool_record rec;
    enum job_reason why;
    tdir_make(&d);
    tdir_join(&d, "notes.txt", txt, sizeof txt);
    tdir_join(&d, "fake.png", png, sizeof png);
    tdir_join(&d, "out.png", out, sizeof out);
    write_text(txt, "just text\n");
    write_text(png, "just text\n");
    struct job_options o = defaults();
    assert_int_equal(run(&o, txt, out, &rec, &why), POOL_SKIPPED);
    assert_int_equal(why, JOB_NOT_AN_IMAGE);
    assert_int_equal(run(&o, png, out, &rec, &why), POOL_FAILED);
    assert_int_equal(why, JOB_CANNOT_DECODE);
    assert_non_null(strstr(rec.msg, "does not match its .png name"));
    assert_int_equal(detail_of(&rec), JOB_DETAIL_NAMED_LIKE_IMAGE);
    assert_int_equal(access(out, F_OK), -1);   /* nothing written */
    tdir_remove(&d);
}

static void test_job__fifo_and_missing_fail_without_blocking(void **state)
{
    (void)state;
    struct tdir d;
    char fifo[300], missing[300], out[300];
    struct pool_record rec;
    enum job_reason why;
    tdir_make(&d);
    tdir_join(&d, "pipe.png", fifo, sizeof fifo);
    tdir_join(&d, "missing.png", missing, sizeof missing);
    tdir_join(&d, "out.png", out, sizeof out);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    struct job_options o = defaults();
    alarm(20);   /* a blocking open would hang here: let the test die instead */
    assert_int_equal(run(&o, fifo, out, &rec, &why), POOL_FAILED);
    alarm(0);
    assert_int_equal(why, JOB_CANNOT_READ);
    assert_string_equal(rec.msg, "not a regular file");
    assert_int_equal(detail_of(&rec), JOB_DETAIL_NOT_REGULAR);
    assert_int_equal(run(&o, missing, out, &rec, &why), POOL_FAILED);
    assert_int_equal(why, JOB_CANNOT_READ);
    assert_string_equal(rec.msg, "No such file or directory");
    assert_int_equal(detail_of(&rec), JOB_DETAIL_NONE);   /* the system's words */
    tdir_remove(&d);
}

static void test_job__never_over_the_input(void **state)
{
    (void)state;
    struct tdir d;
    char in[300];
    struct pool_record rec;
    enum job_reason why;
    tdir_make(&d);
    tdir_join(&d, "a.png", in, sizeof in);
    write_png(in, 4, 4);
    struct job_options o = defaults();
    o.force = 1;
    assert_int_equal(run(&o, in, in, &rec, &why), POOL_FAILED);
    assert_int_equal(why, JOB_CANNOT_WRITE);
    assert_string_equal(rec.msg, "output would overwrite the input");
    assert_int_equal(detail_of(&rec), JOB_DETAIL_OVERWRITE_INPUT);
    tdir_remove(&d);
}

/* A refusal by size says which limit, the size and the limit by type, so a
 * caller can word it without reading the English. */
static void test_job__size_limits_are_typed(void **state)
{
    (void)state;
    struct tdir d;
    char in[300], out[300];
    struct pool_record rec;
    enum job_reason why;
    struct stat st;
    tdir_make(&d);
    tdir_join(&d, "a.png", in, sizeof in);
    tdir_join(&d, "out.png", out, sizeof out);
    write_png(in, 20, 10);
    assert_int_equal(stat(in, &st), 0);
    struct job_options o = defaults();
    o.max_pixels = 100;
    assert_int_equal(run(&o, in, out, &rec, &why), POOL_FAILED);
    const struct job_result *r = (const void *)rec.data;
    assert_int_equal(why, JOB_CANNOT_DECODE);
    assert_int_equal(detail_of(&rec), JOB_DETAIL_OVER_PIXELS);
    assert_string_equal(rec.msg, "image too large: 20x10 exceeds --max-pixels 100");
    assert_int_equal(r->in_w, 20);
    assert_int_equal(r->in_h, 10);
    assert_int_equal(r->limit, 100);
    o = defaults();
    o.max_file_bytes = 10;
    assert_int_equal(run(&o, in, out, &rec, &why), POOL_FAILED);
    assert_int_equal(why, JOB_CANNOT_READ);
    assert_int_equal(detail_of(&rec), JOB_DETAIL_FILE_TOO_LARGE);
    assert_int_equal(r->size, (uint64_t)st.st_size);
    assert_int_equal(r->limit, 10);
    tdir_remove(&d);
}

/* The xkcd pipeline's check types its refusals as job_file does: a size
 * limit by which limit, sizes and limit set; not an image as such. */
static void test_job__verify_types_its_refusals(void **state)
{
    (void)state;
    struct tdir d;
    char in[300], text[300];
    struct pool_record rec;
    tdir_make(&d);
    tdir_join(&d, "a.png", in, sizeof in);
    tdir_join(&d, "b.png", text, sizeof text);
    write_png(in, 20, 10);
    write_text(text, "not a picture\n");
    struct job_options o = defaults();
    memset(&rec, 0, sizeof rec);
    assert_int_equal(job_verify(&o, in, &rec), POOL_OK);
    const struct job_result *r = (const void *)rec.data;
    assert_int_equal(r->in_w, 20);
    o.max_pixels = 100;
    memset(&rec, 0, sizeof rec);
    assert_int_equal(job_verify(&o, in, &rec), POOL_FAILED);
    assert_int_equal(r->reason, JOB_CANNOT_DECODE);
    assert_int_equal(detail_of(&rec), JOB_DETAIL_OVER_PIXELS);
    assert_string_equal(rec.msg, "image too large: 20x10 exceeds --max-pixels 100");
    assert_int_equal(r->in_w, 20);
    assert_int_equal(r->in_h, 10);
    assert_int_equal(r->limit, 100);
    memset(&rec, 0, sizeof rec);
    assert_int_equal(job_verify(&o, text, &rec), POOL_FAILED);
    assert_int_equal(r->reason, JOB_CANNOT_DECODE);
    assert_int_equal(detail_of(&rec), JOB_DETAIL_NONE);
    assert_string_equal(rec.msg, "not an image this build decodes");
    tdir_remove(&d);
}

static void test_job__symlink_below_out_root_is_not_followed(void **state)
{
    (void)state;
    struct tdir d, elsewhere;
    char in[300], root[300], link[400], out[400];
    struct pool_record rec;
    enum job_reason why;
    tdir_make(&d);
    tdir_make(&elsewhere);
    tdir_join(&d, "a.png", in, sizeof in);
    tdir_join(&d, "out", root, sizeof root);
    write_png(in, 4, 4);
    assert_int_equal(mkdir(root, 0777), 0);
    snprintf(link, sizeof link, "%s/sub", root);
    assert_int_equal(symlink(elsewhere.path, link), 0);
    snprintf(out, sizeof out, "%s/sub/a.png", root);
    struct job_options o = defaults();
    o.out_root = root;
    assert_int_equal(run(&o, in, out, &rec, &why), POOL_FAILED);
    assert_int_equal(why, JOB_CANNOT_WRITE);
    assert_non_null(strstr(rec.msg, "symbolic link"));
    char there[400];
    snprintf(there, sizeof there, "%s/a.png", elsewhere.path);
    assert_int_equal(access(there, F_OK), -1);
    /* Without the root, the same path is written through the link. */
    o.out_root = NULL;
    assert_int_equal(run(&o, in, out, &rec, &why), POOL_OK);
    assert_int_equal(access(there, F_OK), 0);
    tdir_remove(&d);
    tdir_remove(&elsewhere);
}

static void test_job__end_maps_reasons_to_statuses(void **state)
{
    (void)state;
    struct pool_record rec;
    memset(&rec, 0, sizeof rec);
    assert_int_equal(job_end(&rec, JOB_NOTE_ANIMATED, "first of %d", 3), POOL_OK);
    assert_string_equal(rec.msg, "first of 3");
    assert_int_equal(rec.data_len, sizeof(struct job_result));
    assert_int_equal(job_end(&rec, JOB_UP_TO_DATE, "x"), POOL_SKIPPED);
    assert_int_equal(job_end(&rec, JOB_NOT_AN_IMAGE, "x"), POOL_SKIPPED);
    for (int r = JOB_CANNOT_READ; r < JOB_REASON_COUNT; r++)
        assert_int_equal(job_end(&rec, (enum job_reason)r, "x"), POOL_FAILED);
    assert_int_equal(((const struct job_result *)rec.data)->reason, JOB_REASON_COUNT - 1);
}

static void test_job__reason_names_are_distinct(void **state)
{
    (void)state;
    for (int a = 0; a < JOB_REASON_COUNT; a++) {
        assert_string_not_equal(job_reason_name((enum job_reason)a), "unknown");
        for (int b = a + 1; b < JOB_REASON_COUNT; b++)
            assert_string_not_equal(job_reason_name((enum job_reason)a),
                                    job_reason_name((enum job_reason)b));
    }
    assert_string_equal(job_reason_name(JOB_REASON_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_job__done_then_up_to_date_then_forced),
        cmocka_unit_test(test_job__not_an_image_by_name),
        cmocka_unit_test(test_job__fifo_and_missing_fail_without_blocking),
        cmocka_unit_test(test_job__never_over_the_input),
        cmocka_unit_test(test_job__size_limits_are_typed),
        cmocka_unit_test(test_job__verify_types_its_refusals),
        cmocka_unit_test(test_job__symlink_below_out_root_is_not_followed),
        cmocka_unit_test(test_job__end_maps_reasons_to_statuses),
        cmocka_unit_test(test_job__reason_names_are_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
