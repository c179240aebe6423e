/* outfile.c — temp file in the destination directory, then rename.
 *
 * Design note. rename() within one directory is atomic, so the final name only
 * ever points at a complete file. With O_TMPFILE the data has no name at all
 * until commit, so a process killed mid-write leaves nothing behind; commit
 * gives it a hidden temporary name with linkat() through /proc/self/fd (the
 * AT_EMPTY_PATH variant needs CAP_DAC_READ_SEARCH) and renames that over the
 * final name, because linkat() cannot replace an existing file. Temp names are
 * random and created exclusively, so concurrent writers never collide.
 */
#include "imgpool/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define OUTFILE_SUFFIX ".imgpool-XXXXXX"
#define OUTFILE_TRIES 100

struct outfile {
    int fd;
    int named;          /* 1: tmp exists on disk since open (the fallback) */
    char *final;        /* final path */
    char *tmp;          /* DIR/.NAME.imgpool-XXXXXX, filled in when needed */
};

/* Replaces the last 6 characters of f->tmp with random letters and digits. */
static void outfile_randomize(struct outfile *f)
{
    static const char alphabet[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    static unsigned long counter;
    unsigned char r[6];
    char *x = f->tmp + strlen(f->tmp) - 6;

    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        /* No entropy yet (early boot): names only need to differ, not be secret. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        unsigned long v = (unsigned long)ts.tv_nsec ^ (unsigned long)getpid() << 16 ^ ++counter;
        for (size_t i = 0; i < sizeof r; i++, v = v * 2654435761u + 1)
            r[i] = (unsigned char)(v >> 7);
    }
    for (size_t i = 0; i < sizeof r; i++)
        x[i] = alphabet[r[i] % (sizeof alphabet - 1)];
}

/* Builds f->tmp from f->final; writes the directory into dir (for messages and
 * the O_TMPFILE open). */
static int outfile_paths(struct outfile *f, char *dir, size_t dirlen, char *err, size_t errlen)
{
    const char *slash = strrchr(f->final, '/');
    const char *base = slash ? slash + 1 : f->final;
    size_t dlen = slash ? (size_t)(slash - f->final) : 0;

    if (!*base) {
        snprintf(err, errlen, "cannot write '%s': not a file name", f->final);
        return -1;
    }
    if (!slash)
        snprintf(dir, dirlen, ".");
    else if (dlen == 0)
        snprintf(dir, dirlen, "/");
    else
        snprintf(dir, dirlen, "%.*s", (int)dlen, f->final);
    size_t n = (size_t)(base - f->final) + 1 + strlen(base) + sizeof OUTFILE_SUFFIX;
    if (!(f->tmp = malloc(n))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(f->tmp, n, "%.*s.%s" OUTFILE_SUFFIX, (int)(base - f->final), f->final, base);
    return 0;
}

/* The fallback: an exclusive, hidden, named temp file. */
static int outfile_open_named(struct outfile *f)
{
    for (int i = 0; i < OUTFILE_TRIES; i++) {
        outfile_randomize(f);
        f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (f->fd >= 0 || errno != EEXIST)
            break;
    }
    f->named = f->fd >= 0;
    return f->fd >= 0 ? 0 : -1;
}

static void outfile_free(struct outfile *f)
{
    free(f->final);
    free(f->tmp);
    free(f);
}

int outfile_open_flags(const char *final_path, unsigned flags, struct outfile **out,
                       char *err, size_t errlen)
{
    char dir[4096];
    struct outfile *f = calloc(1, sizeof *f);

    *out = NULL;
    if (!f || !(f->final = strdup(final_path ? final_path : ""))) {
        free(f);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    f->fd = -1;
    if (outfile_paths(f, dir, sizeof dir, err, errlen) != 0) {
        outfile_free(f);
        return -1;
    }
    int tmpfile_ok = !(flags & OUTFILE_NAMED) && access("/proc/self/fd", X_OK) == 0;
    if (tmpfile_ok)
        f->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    /* EISDIR: kernel without O_TMPFILE; EOPNOTSUPP: filesystem without it. */
    if (f->fd < 0 && (!tmpfile_ok || errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
        outfile_open_named(f);
    if (f->fd < 0) {
        snprintf(err, errlen, "cannot create a file in '%s': %s", dir, strerror(errno));
        outfile_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

int outfile_open(const char *final_path, struct outfile **out, char *err, size_t errlen)
{
    return outfile_open_flags(final_path, 0, out, err, errlen);
}

int outfile_fd(const struct outfile *f)
{
    return f->fd;
}

/* Gives the unnamed O_TMPFILE the name f->tmp. */
static int outfile_link(struct outfile *f)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
    for (int i = 0; i < OUTFILE_TRIES; i++) {
        outfile_randomize(f);
        if (linkat(AT_FDCWD, proc, AT_FDCWD, f->tmp, AT_SYMLINK_FOLLOW) == 0) {
            f->named = 1;
            return 0;
        }
        if (errno != EEXIST)
            break;
    }
    return -1;
}

int outfile_write(struct outfile *f, const void *data, size_t len, char *err, size_t errlen)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t w = write(outfile_fd(f), p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            snprintf(err, errlen, "cannot write '%s': %s", f->final, strerror(e));
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int outfile_commit(struct outfile *f, char *err, size_t errlen)
{
    const char *step = NULL;
    int fd = f->fd;

    if (!f->named && outfile_link(f) != 0) {
        step = "cannot name the new file";
    } else {
        f->fd = -1;
        if (close(fd) != 0)                     /* e.g. a delayed write error */
            step = "cannot write";
        else if (rename(f->tmp, f->final) != 0)
            step = "cannot rename the new file to";
    }
    if (step)
        snprintf(err, errlen, "%s '%s': %s", step, f->final, strerror(errno));
    else
        f->named = 0;                           /* the temp name is gone: renamed */
    outfile_abort(f);
    return step ? -1 : 0;
}

void outfile_abort(struct outfile *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    if (f->named)
        unlink(f->tmp);
    outfile_free(f);
}
