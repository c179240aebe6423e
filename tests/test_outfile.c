/* Unit tests for outfile: the final name shows a complete file or nothing,
 * with O_TMPFILE and with the named fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "imgpool/outfile.h"

/* Each test runs twice: state points at the flags (0 = O_TMPFILE, or OUTFILE_NAMED). */
static unsigned outfile_test_modes[] = {0, OUTFILE_NAMED};

struct tdir {
    char path[256];
};

static void tdir_make(struct tdir *d)
{
    const char *t = getenv("TMPDIR");
    snprintf(d->path, sizeof d->path, "%s/test_outfile.XXXXXX", t && *t ? t : "/tmp");
    assert_non_null(mkdtemp(d->path));
}

/* Number of entries; hidden counts those starting with '.'. */
static int tdir_count(const struct tdir *d, int *hidden)
{
    DIR *dir = opendir(d->path);
    struct dirent *e;
    int n = 0;
    assert_non_null(dir);
    *hidden = 0;
    while ((e = readdir(dir))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        n++;
        *hidden += e->d_name[0] == '.';
    }
    closedir(dir);
    return n;
}

static void tdir_remove(struct tdir *d)
{
    DIR *dir = opendir(d->path);
    struct dirent *e;
    char p[600];
    while (dir && (e = readdir(dir))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", d->path, e->d_name);
        unlink(p);
    }
    if (dir)
        closedir(dir);
    rmdir(d->path);
}

static void write_all(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

static void assert_content(const char *path, const char *want)
{
    char buf[256] = "";
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        fail_msg("cannot open %s: %s", path, strerror(errno));
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    assert_true(n >= 0);
    buf[n] = '\0';
    assert_string_equal(buf, want);
}

static void test_outfile__commit_produces_content(void **state)
{
    unsigned flags = *(unsigned *)*state;
    struct tdir d;
    struct outfile *f;
    char final[300], err[256] = "";
    struct stat st;
    int hidden;

    tdir_make(&d);
    snprintf(final, sizeof final, "%s/a.png", d.path);
    if (outfile_open_flags(final, flags, &f, err, sizeof err) != 0)
        fail_msg("outfile_open: %s", err);
    write_all(outfile_fd(f), "hello");
    assert_int_equal(access(final, F_OK), -1);           /* nothing under the final name */
    int before = tdir_count(&d, &hidden);
    assert_int_equal(before, hidden);                     /* at most a hidden temp */
    assert_int_equal(before, flags & OUTFILE_NAMED ? 1 : 0);
    if (outfile_commit(f, err, sizeof err) != 0)
        fail_msg("outfile_commit: %s", err);
    assert_content(final, "hello");
    assert_int_equal(tdir_count(&d, &hidden), 1);
    assert_int_equal(hidden, 0);
    mode_t mask = umask(0);
    umask(mask);
    assert_int_equal(stat(final, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644 & ~mask);

    /* A second commit replaces the file whole. */
    assert_int_equal(outfile_open_flags(final, flags, &f, err, sizeof err), 0);
    write_all(outfile_fd(f), "bye");
    assert_content(final, "hello");
    assert_int_equal(outfile_commit(f, err, sizeof err), 0);
    assert_content(final, "bye");
    assert_int_equal(tdir_count(&d, &hidden), 1);
    tdir_remove(&d);
}

static void test_outfile__abort_leaves_dir_as_it_was(void **state)
{
    unsigned flags = *(unsigned *)*state;
    struct tdir d;
    struct outfile *f;
    char final[300], err[256] = "";
    int hidden;

    tdir_make(&d);
    snprintf(final, sizeof final, "%s/keep.jpg", d.path);
    int fd = open(final, O_WRONLY | O_CREAT, 0644);
    write_all(fd, "old");
    close(fd);
    assert_int_equal(outfile_open_flags(final, flags, &f, err, sizeof err), 0);
    write_all(outfile_fd(f), "new data");
    outfile_abort(f);
    outfile_abort(NULL);
    assert_content(final, "old");
    assert_int_equal(tdir_count(&d, &hidden), 1);
    assert_int_equal(hidden, 0);
    tdir_remove(&d);
}

/* A child writes, tells us, and is killed mid-file: nothing visible may remain. */
static void test_outfile__sigkill_mid_write(void **state)
{
    unsigned flags = *(unsigned *)*state;
    struct tdir d;
    char final[300];
    int p[2], hidden;

    tdir_make(&d);
    snprintf(final, sizeof final, "%s/big.bmp", d.path);
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct outfile *f;
        char err[256], block[4096];
        memset(block, 'x', sizeof block);
        close(p[0]);
        if (outfile_open_flags(final, flags, &f, err, sizeof err) != 0)
            _exit(1);
        for (int i = 0; i < 64; i++)
            if (write(outfile_fd(f), block, sizeof block) != (ssize_t)sizeof block)
                _exit(1);
        if (write(p[1], "w", 1) != 1)
            _exit(1);
        for (;;)                 /* still writing when the kill comes */
            if (write(outfile_fd(f), block, 1) != 1 || lseek(outfile_fd(f), 0, SEEK_SET) < 0)
                _exit(1);
    }
    close(p[1]);
    struct pollfd pfd = {p[0], POLLIN, 0};
    char c = 0;
    int ready = poll(&pfd, 1, 10000);
    ssize_t n = ready == 1 ? read(p[0], &c, 1) : -1;
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    close(p[0]);
    assert_int_equal(n, 1);                            /* the child got to write */
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(access(final, F_OK), -1);
    int left = tdir_count(&d, &hidden);
    assert_int_equal(left, hidden);                    /* only a hidden temp, if any */
    if (!(flags & OUTFILE_NAMED))
        assert_int_equal(left, 0);                     /* O_TMPFILE: nothing at all */
    tdir_remove(&d);
}

static void test_outfile__errors_name_the_dir(void **state)
{
    unsigned flags = *(unsigned *)*state;
    struct tdir d;
    struct outfile *f = (struct outfile *)&d;
    char final[300], err[512] = "";
    int hidden;

    tdir_make(&d);
    snprintf(final, sizeof final, "%s/missing/a.png", d.path);
    assert_int_equal(outfile_open_flags(final, flags, &f, err, sizeof err), -1);
    assert_null(f);
    assert_non_null(strstr(err, "/missing'"));
    assert_non_null(strstr(err, strerror(ENOENT)));

    snprintf(final, sizeof final, "%s/", d.path);
    assert_int_equal(outfile_open_flags(final, flags, &f, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a file name"));

    if (geteuid() != 0) {       /* root ignores directory permissions */
        snprintf(final, sizeof final, "%s/a.png", d.path);
        assert_int_equal(chmod(d.path, 0555), 0);
        assert_int_equal(outfile_open_flags(final, flags, &f, err, sizeof err), -1);
        assert_non_null(strstr(err, d.path));
        assert_non_null(strstr(err, strerror(EACCES)));
        assert_int_equal(chmod(d.path, 0755), 0);
    }

    /* The final name is a directory: commit fails, and cleans up after itself. */
    snprintf(final, sizeof final, "%s/sub", d.path);
    assert_int_equal(mkdir(final, 0755), 0);
    assert_int_equal(outfile_open_flags(final, flags, &f, err, sizeof err), 0);
    write_all(outfile_fd(f), "x");
    assert_int_equal(outfile_commit(f, err, sizeof err), -1);
    assert_non_null(strstr(err, "sub'"));
    assert_int_equal(tdir_count(&d, &hidden), 1);
    assert_int_equal(rmdir(final), 0);
    tdir_remove(&d);
}

static void test_outfile__concurrent_writers(void **state)
{
    unsigned flags = *(unsigned *)*state;
    struct tdir d;
    struct outfile *f[8];
    char final[300], err[256], text[16];
    int hidden;

    tdir_make(&d);
    snprintf(final, sizeof final, "%s/same.tga", d.path);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(outfile_open_flags(final, flags, &f[i], err, sizeof err), 0);
        snprintf(text, sizeof text, "writer %d", i);
        write_all(outfile_fd(f[i]), text);
    }
    for (int i = 0; i < 8; i++)
        assert_int_equal(outfile_commit(f[i], err, sizeof err), 0);
    assert_content(final, "writer 7");
    assert_int_equal(tdir_count(&d, &hidden), 1);
    tdir_remove(&d);
}

#define BOTH_MODES(fn) \
    cmocka_unit_test_prestate(fn, &outfile_test_modes[0]), \
    cmocka_unit_test_prestate(fn, &outfile_test_modes[1])

int main(void)
{
    const struct CMUnitTest tests[] = {
        BOTH_MODES(test_outfile__commit_produces_content),
        BOTH_MODES(test_outfile__abort_leaves_dir_as_it_was),
        BOTH_MODES(test_outfile__sigkill_mid_write),
        BOTH_MODES(test_outfile__errors_name_the_dir),
        BOTH_MODES(test_outfile__concurrent_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
