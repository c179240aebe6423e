/* outfile.c — temp file in the destination directory, then rename.
 *
 * Design note. rename() within one directory is atomic, so the final name only
 * ever points at a complete file. With O_TMPFILE the data has no name at all
 * until commit, so a process killed mid-write leaves nothing behind; commit
 * gives it a hidden temporary name with linkat() through /proc/self/fd (the
 * AT_EMPTY_PATH variant needs CAP_DAC_READ_SEARCH) and renames that over the
 * final name, because linkat() cannot replace an existing file. Temp names are
 * random and created exclusively, so concurrent writers never collide; they
 * shorten a long NAME so that they fit NAME_MAX.
 *
 * Beneath a root (outfile_open_beneath): the folders between the root and the
 * file are opened one component at a time with O_NOFOLLOW, and every later
 * call is relative to the last folder's descriptor, so a symlink planted
 * inside the output folder can never redirect a write outside it.
 *
 * A target the user named (outfile_open_target) that is a FIFO or a device is
 * written in place: replacing /dev/null with a file would break the machine.
 */
#include "imgpool/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imgpool/text.h"

#define OUTFILE_SUFFIX ".imgpool-XXXXXX"
#define OUTFILE_TRIES 100
/* The longest NAME kept whole in a temp name ".NAME.imgpool-XXXXXX". */
#define OUTFILE_TMP_BASE_MAX (NAME_MAX - 1 - (sizeof OUTFILE_SUFFIX - 1))

struct outfile {
    int fd;
    int dirfd;          /* final and tmp are relative to it (AT_FDCWD: plain paths) */
    int named;          /* 1: tmp exists on disk since open (the fallback) */
    int direct;         /* 1: fd is the target itself (a FIFO or device) */
    char *final;        /* final path, relative to dirfd */
    char *shown;        /* the path for messages */
    char *tmp;          /* DIR/.NAME.imgpool-XXXXXX, filled in when needed */
};

/* "STEP 'PATH': REASON" in err, the path shortened in the middle so that the
 * reason always fits. */
static void outfile_msg(char *err, size_t errlen, const char *step, const char *path,
                        const char *reason)
{
    char shown[PATH_MAX];
    size_t fixed = strlen(step) + strlen(reason) + 6;
    size_t room = errlen > fixed + 40 ? errlen - fixed : 40;
    snprintf(err, errlen, "%s '%s': %s", step, text_shorten(path, room, shown, sizeof shown),
             reason);
}

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
        outfile_msg(err, errlen, "cannot write", f->shown, "not a file name");
        return -1;
    }
    if (!slash)
        snprintf(dir, dirlen, ".");
    else if (dlen == 0)
        snprintf(dir, dirlen, "/");
    else
        snprintf(dir, dirlen, "%.*s", (int)dlen, f->final);
    size_t blen = strlen(base);
    if (blen > OUTFILE_TMP_BASE_MAX)
        blen = OUTFILE_TMP_BASE_MAX;   /* the name only has to be unique, not whole */
    size_t n = (size_t)(base - f->final) + 1 + blen + sizeof OUTFILE_SUFFIX;
    if (!(f->tmp = malloc(n))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(f->tmp, n, "%.*s.%.*s" OUTFILE_SUFFIX, (int)(base - f->final), f->final,
             (int)blen, base);
    return 0;
}

/* The fallback: an exclusive, hidden, named temp file. */
static int outfile_open_named(struct outfile *f)
{
    for (int i = 0; i < OUTFILE_TRIES; i++) {
        outfile_randomize(f);
        f->fd = openat(f->dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                       0644);
        if (f->fd >= 0 || errno != EEXIST)
            break;
    }
    f->named = f->fd >= 0;
    return f->fd >= 0 ? 0 : -1;
}

static void outfile_free(struct outfile *f)
{
    if (f->dirfd >= 0)
        close(f->dirfd);
    free(f->final);
    free(f->shown);
    free(f->tmp);
    free(f);
}

/* A new struct outfile for final (relative to dirfd, which it then owns),
 * shown as `shown` in messages. NULL when out of memory (dirfd closed). */
static struct outfile *outfile_new(int dirfd, const char *final, const char *shown)
{
    struct outfile *f = calloc(1, sizeof *f);
    if (f) {
        f->fd = -1;
        f->dirfd = dirfd;
        f->final = strdup(final);
        f->shown = strdup(shown);
    }
    if (!f || !f->final || !f->shown) {
        if (f)
            outfile_free(f);
        else if (dirfd >= 0)
            close(dirfd);
        return NULL;
    }
    return f;
}

/* The temp file for f (O_TMPFILE, else the named fallback). 0 or -1. */
static int outfile_start(struct outfile *f, unsigned flags, struct outfile **out, char *err,
                         size_t errlen)
{
    char dir[PATH_MAX];
    if (outfile_paths(f, dir, sizeof dir, err, errlen) != 0) {
        outfile_free(f);
        return -1;
    }
    int tmpfile_ok = !(flags & OUTFILE_NAMED) && access("/proc/self/fd", X_OK) == 0;
    if (tmpfile_ok)
        f->fd = openat(f->dirfd, dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    /* EISDIR: kernel without O_TMPFILE; EOPNOTSUPP: filesystem without it. */
    if (f->fd < 0 && (!tmpfile_ok || errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
        outfile_open_named(f);
    if (f->fd < 0) {
        int e = errno;
        char shown[PATH_MAX];
        snprintf(shown, sizeof shown, "%s", f->shown);
        char *slash = strrchr(shown, '/');
        if (slash)
            *slash = '\0';
        outfile_msg(err, errlen, "cannot create a file in", slash ? shown : ".", strerror(e));
        outfile_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

int outfile_open_flags(const char *final_path, unsigned flags, struct outfile **out,
                       char *err, size_t errlen)
{
    *out = NULL;
    final_path = final_path ? final_path : "";
    struct outfile *f = outfile_new(AT_FDCWD, final_path, final_path);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return outfile_start(f, flags, out, err, errlen);
}

int outfile_open(const char *final_path, struct outfile **out, char *err, size_t errlen)
{
    return outfile_open_flags(final_path, 0, out, err, errlen);
}

/* Opens (or with create, makes) one folder below dirfd without following a
 * symlink. The new descriptor, or -1 with a message naming shown. */
static int outfile_step(int dirfd, const char *name, int create, const char *shown, char *err,
                        size_t errlen)
{
    if (create && mkdirat(dirfd, name, 0777) != 0 && errno != EEXIST) {
        outfile_msg(err, errlen, "cannot create folder", shown, strerror(errno));
        return -1;
    }
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        struct stat st;
        int e = errno;
        int link = fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
        outfile_msg(err, errlen, "cannot use folder", shown,
                    link ? "it is a symbolic link (never followed inside the output folder)"
                         : strerror(e));
    }
    return fd;
}

int outfile_dir_beneath(const char *root, const char *rel_dir, int create, char *err,
                        size_t errlen)
{
    char shown[PATH_MAX];
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        outfile_msg(err, errlen, "cannot use output folder", root, strerror(errno));
        return -1;
    }
    for (const char *c = rel_dir; *c; c += c[0] == '/') {
        size_t n = strcspn(c, "/");
        snprintf(shown, sizeof shown, "%s/%.*s", root, (int)(c - rel_dir + n), rel_dir);
        char name[NAME_MAX + 1];
        snprintf(name, sizeof name, "%.*s", (int)(n <= NAME_MAX ? n : 0), c);
        c += n;
        if (n == 0 || strcmp(name, ".") == 0)
            continue;
        int next = -1;
        if (n > NAME_MAX)
            outfile_msg(err, errlen, "cannot use folder", shown, strerror(ENAMETOOLONG));
        else if (strcmp(name, "..") == 0)
            outfile_msg(err, errlen, "cannot use folder", shown, "'..' leaves the output folder");
        else
            next = outfile_step(fd, name, create, shown, err, errlen);
        close(fd);
        if ((fd = next) < 0)
            return -1;
    }
    return fd;
}

int outfile_open_beneath(const char *root, const char *rel, struct outfile **out, char *err,
                         size_t errlen)
{
    *out = NULL;
    const char *slash = strrchr(rel, '/');
    char dir[PATH_MAX], shown[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - rel) : 0, rel);
    int dirfd = outfile_dir_beneath(root, dir, 0, err, errlen);
    if (dirfd < 0)
        return -1;
    snprintf(shown, sizeof shown, "%s/%s", root, rel);
    struct outfile *f = outfile_new(dirfd, slash ? slash + 1 : rel, shown);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return outfile_start(f, 0, out, err, errlen);
}

/* A FIFO, device or socket, or the file a dangling symlink names: opened
 * and written in place (O_NONBLOCK: a FIFO without a reader fails at once
 * instead of hanging the run). */
static int outfile_open_direct(const char *path, int create, struct outfile **out, char *err,
                               size_t errlen)
{
    struct outfile *f = outfile_new(-1, path, path);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    f->direct = 1;
    f->fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
                       (create ? O_CREAT | O_TRUNC : 0), 0666);
    if (f->fd < 0) {
        outfile_msg(err, errlen, "cannot write", path,
                    errno == ENXIO ? "no process is reading this FIFO" : strerror(errno));
        outfile_free(f);
        return -1;
    }
    fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_NONBLOCK);   /* writes may wait */
    *out = f;
    return 0;
}

int outfile_open_target(const char *path, struct outfile **out, char *err, size_t errlen)
{
    struct stat st;
    *out = NULL;
    if (stat(path, &st) != 0) {
        int e = errno;
        if (e == ENOENT && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
            return outfile_open_direct(path, 1, out, err, errlen);
        if (e == ENOENT)
            return outfile_open(path, out, err, errlen);
        outfile_msg(err, errlen, "cannot write", path, strerror(e));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        outfile_msg(err, errlen, "cannot write", path, "it is a folder");
        return -1;
    }
    if (!S_ISREG(st.st_mode))
        return outfile_open_direct(path, 0, out, err, errlen);
    char *real = realpath(path, NULL);   /* a symlink: replace what it points to */
    if (!real) {
        outfile_msg(err, errlen, "cannot write", path, strerror(errno));
        return -1;
    }
    int rc = outfile_open(real, out, err, errlen);
    free(real);
    return rc;
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
        if (linkat(AT_FDCWD, proc, f->dirfd, f->tmp, AT_SYMLINK_FOLLOW) == 0) {
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
            outfile_msg(err, errlen, "cannot write", f->shown, strerror(e));
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

    if (f->direct) {
        f->fd = -1;
        if (close(fd) != 0)
            step = "cannot write";
    } else if (!f->named && outfile_link(f) != 0) {
        step = "cannot name the new file";
    } else {
        f->fd = -1;
        if (close(fd) != 0)                     /* e.g. a delayed write error */
            step = "cannot write";
        else if (renameat(f->dirfd, f->tmp, f->dirfd, f->final) != 0)
            step = "cannot rename the new file to";
    }
    if (step)
        outfile_msg(err, errlen, step, f->shown, strerror(errno));
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
        unlinkat(f->dirfd, f->tmp, 0);
    outfile_free(f);
}
