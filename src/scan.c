/* scan.c — walking the inputs. Loops are caught by remembering every
 * directory entered (device and inode, in an open-addressing hash set, so a
 * tree of 100000 folders costs 100000 lookups, not 100000^2 / 2 compares),
 * which also keeps two symlinks to one folder from producing every file twice. */
#include "imgpool/scan.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct scan_dir_id { dev_t dev; ino_t ino; bool used; };

struct scan {
    struct scan_options opt;
    struct scan_entry *e;
    size_t n, cap;
    char **notes;
    size_t nnotes, capnotes;
    struct scan_dir_id *dirs;
    size_t ndirs, capdirs;
};

static int scan_grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 64;
    while (nc < need)
        nc *= 2;
    void *p = realloc(*arr, nc * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = nc;
    return 0;
}

int scan_create(const struct scan_options *o, struct scan **out)
{
    *out = calloc(1, sizeof **out);
    if (!*out)
        return -1;
    (*out)->opt = *o;
    return 0;
}

void scan_destroy(struct scan *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].path);
        free(s->e[i].rel);
    }
    for (size_t i = 0; i < s->nnotes; i++)
        free(s->notes[i]);
    free(s->e);
    free(s->notes);
    free(s->dirs);
    free(s);
}

static void scan_note_add(struct scan *s, const char *fmt, const char *path, const char *why)
{
    char buf[4200];
    snprintf(buf, sizeof buf, fmt, path, why);
    if (scan_grow((void **)&s->notes, &s->capnotes, s->nnotes + 1, sizeof *s->notes) == 0 &&
        (s->notes[s->nnotes] = strdup(buf)) != NULL)
        s->nnotes++;
}

/* Adds an entry: a file of `size` bytes, or (problem != SCAN_OK) a failure
 * to report. 0, or -1 when out of memory. */
static int scan_push_entry(struct scan *s, const char *path, const char *rel, uint64_t size,
                           enum scan_problem problem, int err)
{
    if (scan_grow((void **)&s->e, &s->cap, s->n + 1, sizeof *s->e) != 0)
        return -1;
    struct scan_entry *e = &s->e[s->n];
    e->path = strdup(path);
    e->rel = strdup(rel);
    e->size = size;
    e->problem = problem;
    e->err = err;
    if (!e->path || !e->rel) {
        free(e->path);
        free(e->rel);
        return -1;
    }
    s->n++;
    return 0;
}

static int scan_push(struct scan *s, const char *path, const char *rel, uint64_t size)
{
    return scan_push_entry(s, path, rel, size, SCAN_OK, 0);
}

static int scan_push_problem(struct scan *s, const char *path, const char *rel,
                             enum scan_problem problem, int err)
{
    return scan_push_entry(s, path, rel, 0, problem, err);
}

/* The slot of (dev, ino) in the set: the one holding it, or the empty one
 * where it belongs. The set is never full (at most half used). */
static struct scan_dir_id *scan_dir_slot(struct scan *s, dev_t dev, ino_t ino)
{
    uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15u ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4fu;
    size_t mask = s->capdirs - 1;
    for (size_t i = (size_t)(h ^ h >> 29) & mask;; i = (i + 1) & mask)
        if (!s->dirs[i].used || (s->dirs[i].dev == dev && s->dirs[i].ino == ino))
            return &s->dirs[i];
}

/* Doubles the set (64 slots at first). 0, or -1 when out of memory. */
static int scan_dirs_grow(struct scan *s)
{
    struct scan_dir_id *old = s->dirs;
    size_t oldcap = s->capdirs, cap = oldcap ? oldcap * 2 : 64;
    if (!(s->dirs = calloc(cap, sizeof *s->dirs))) {
        s->dirs = old;
        return -1;
    }
    s->capdirs = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i].used)
            *scan_dir_slot(s, old[i].dev, old[i].ino) = old[i];
    free(old);
    return 0;
}

/* 1 if the directory was seen before, 0 if new (now remembered), -1 OOM. */
static int scan_seen(struct scan *s, const struct stat *st)
{
    if ((s->ndirs + 1) * 2 > s->capdirs && scan_dirs_grow(s) != 0)
        return -1;
    struct scan_dir_id *d = scan_dir_slot(s, st->st_dev, st->st_ino);
    if (d->used)
        return 1;
    *d = (struct scan_dir_id){st->st_dev, st->st_ino, true};
    s->ndirs++;
    return 0;
}

static int scan_name_cmp(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static int scan_dir(struct scan *s, const char *path, const char *rel);

/* One directory entry: a file is taken, a folder entered (with -r). */
static int scan_entry_at(struct scan *s, const char *path, const char *rel)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return scan_push_problem(s, path, rel, SCAN_UNREADABLE, errno);
    if (S_ISREG(st.st_mode))
        return scan_push(s, path, rel, (uint64_t)st.st_size);
    if (S_ISDIR(st.st_mode))
        return s->opt.recursive ? scan_dir(s, path, rel) : 0;   /* no -r: not asked for */
    return scan_push_problem(s, path, rel, SCAN_NOT_REGULAR, 0);
}

static int scan_dir(struct scan *s, const char *path, const char *rel)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    if (rel[0] && s->opt.skip_dir && st.st_dev == s->opt.skip_dev &&
        st.st_ino == s->opt.skip_ino)
        return 0;   /* our own output folder inside an input folder */
    int seen = scan_seen(s, &st);
    if (seen < 0)
        return -1;
    if (seen) {
        scan_note_add(s, "skipped '%s': %s", path, "folder already scanned (symlink loop?)");
        return 0;
    }
    struct dirent **list;
    int n = scandir(path, &list, NULL, scan_name_cmp);
    if (n < 0)
        return scan_push_problem(s, path, rel, SCAN_UNREADABLE_FOLDER, errno);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        const char *name = list[i]->d_name;
        if (rc == 0 && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
            (s->opt.hidden || name[0] != '.')) {
            size_t lp = strlen(path), lr = strlen(rel), ln = strlen(name);
            char *p = malloc(lp + ln + 2), *r = malloc(lr + ln + 2);
            if (!p || !r) {
                rc = -1;
            } else {
                sprintf(p, "%s%s%s", path, lp && path[lp - 1] == '/' ? "" : "/", name);
                sprintf(r, "%s%s%s", rel, lr ? "/" : "", name);
                rc = scan_entry_at(s, p, r);
            }
            free(p);
            free(r);
        }
        free(list[i]);
    }
    free(list);
    return rc;
}

/* 1 if the folder at path is the skip folder (the output folder) or lies
 * inside it, by device and inode up the real path, so a symlink or ".."
 * cannot hide it. */
static int scan_inside_skip(const struct scan *s, const char *path)
{
    char *real = s->opt.skip_dir ? realpath(path, NULL) : NULL;
    int inside = 0;
    for (char *slash; real && !inside; *slash = '\0') {
        struct stat st;
        inside = stat(real, &st) == 0 && st.st_dev == s->opt.skip_dev &&
                 st.st_ino == s->opt.skip_ino;
        slash = strrchr(real, '/');
        if (!slash || (slash == real && real[1] == '\0'))
            break;
        if (slash == real)
            slash++;   /* "/x" -> "/" */
    }
    free(real);
    return inside;
}

int scan_add(struct scan *s, const char *arg, char *err, size_t errlen)
{
    struct stat st;
    if (stat(arg, &st) != 0) {
        snprintf(err, errlen, "cannot open '%s': %s", arg, strerror(errno));
        return -1;
    }
    int rc;
    if (S_ISDIR(st.st_mode) && scan_inside_skip(s, arg)) {
        snprintf(err, errlen, "cannot use folder '%s': the output folder is this folder or"
                 " contains it (outputs would land among the inputs)", arg);
        return -1;
    } else if (S_ISDIR(st.st_mode)) {
        rc = scan_dir(s, arg, "");   /* its sub-folders only with -r */
    } else if (S_ISREG(st.st_mode)) {
        const char *base = strrchr(arg, '/');
        rc = scan_push(s, arg, base ? base + 1 : arg, (uint64_t)st.st_size);
    } else {
        snprintf(err, errlen, "cannot use '%s': not a file or folder", arg);
        return -1;
    }
    if (rc != 0)
        snprintf(err, errlen, "out of memory while scanning '%s'", arg);
    return rc;
}

static int scan_has_dotdot(const char *p)
{
    for (const char *c = p; (c = strstr(c, "..")) != NULL; c += 2)
        if ((c == p || c[-1] == '/') && (c[2] == '\0' || c[2] == '/'))
            return 1;
    return 0;
}

int scan_add_listed(struct scan *s, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0 || S_ISDIR(st.st_mode))
        return scan_add(s, path, err, errlen);   /* folders, and the error message */
    const char *rel = path;
    while (*rel == '/' || (rel[0] == '.' && rel[1] == '/'))
        rel += rel[0] == '/' ? 1 : 2;
    if (!*rel || scan_has_dotdot(rel)) {
        snprintf(err, errlen, "cannot use '%s' from a list: a path with '..' cannot be mirrored"
                 " under the output folder", path);
        return -1;
    }
    int rc = S_ISREG(st.st_mode) ? scan_push(s, path, rel, (uint64_t)st.st_size)
             : scan_push_problem(s, path, rel, SCAN_NOT_REGULAR, 0);
    if (rc != 0) {
        snprintf(err, errlen, "out of memory while scanning '%s'", path);
        return -1;
    }
    return 0;
}

size_t scan_count(const struct scan *s) { return s->n; }
const struct scan_entry *scan_get(const struct scan *s, size_t i) { return &s->e[i]; }
size_t scan_note_count(const struct scan *s) { return s->nnotes; }
const char *scan_note(const struct scan *s, size_t i) { return s->notes[i]; }
