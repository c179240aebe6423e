/* plan.c — output names, clash resolution and work order (see plan.h). */
#include "imgpool/plan.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgpool/outfile.h"

struct plan {
    char *dir;                /* the output folder */
    struct plan_item *items;
    size_t n;
    size_t *order;
};

/* The format by the first bytes (a TIFF-based camera raw as a raw); UNKNOWN
 * if unreadable or not an image. O_NONBLOCK and regular files only: a FIFO
 * put in a file's place since the scan must not hang the parent (the worker
 * then reports it). */
static enum img_format plan_peek(const char *path)
{
    unsigned char head[IMG_SNIFF_HEAD];
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return IMG_FMT_UNKNOWN;
    ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, head, sizeof head) : -1;
    close(fd);
    return n > 0 ? img_sniff_head(head, (size_t)n) : IMG_FMT_UNKNOWN;
}

/* Where the extension of rel starts (the last '.' of the base name, not a
 * leading one), or the end of rel. */
static size_t plan_stem_len(const char *rel)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    const char *dot = strrchr(base, '.');
    return dot && dot != base ? (size_t)(dot - rel) : strlen(rel);
}

static char *plan_name(const char *dir, const char *rel, size_t keep, const char *ext)
{
    size_t n = strlen(dir) + keep + strlen(ext) + 2;
    char *s = malloc(n);
    if (s)
        snprintf(s, n, "%s/%.*s%s", dir, (int)keep, rel, ext);
    return s;
}

static int plan_cmp_out(const void *a, const void *b, void *items)
{
    const struct plan_item *it = items;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int c = strcmp(it[x].out, it[y].out);
    return c ? c : strcmp(it[x].in->rel, it[y].in->rel);
}

static int plan_cmp_size(const void *a, const void *b, void *items)
{
    const struct plan_item *it = items;
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    if (it[x].in->size != it[y].in->size)
        return it[x].in->size > it[y].in->size ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Sorts `order` by output name and calls fn on each run of equal names.
 * Returns how many items were in clashing runs. */
static size_t plan_clashes(struct plan *p, void (*fn)(struct plan *, size_t *, size_t))
{
    size_t clashing = 0;
    qsort_r(p->order, p->n, sizeof *p->order, plan_cmp_out, p->items);
    for (size_t i = 0; i < p->n;) {
        size_t j = i + 1;
        while (j < p->n && strcmp(p->items[p->order[i]].out, p->items[p->order[j]].out) == 0)
            j++;
        if (j - i > 1 && p->items[p->order[i]].out[0]) {   /* "": nothing to write */
            clashing += j - i;
            fn(p, p->order + i, j - i);
        }
        i = j;
    }
    return clashing;
}

/* 1 if an input named with extension in_ext ("" for none) already has the
 * output's format, out_ext: ".JPG" and ".jpeg" are ".jpg". */
static int plan_same_ext(const char *in_ext, const char *out_ext)
{
    if (strcmp(in_ext, out_ext) == 0)
        return 1;
    enum img_format f = in_ext[0] == '.' ? img_format_parse(in_ext + 1) : IMG_FMT_UNKNOWN;
    return f != IMG_FMT_UNKNOWN && f == img_format_parse(out_ext + 1);
}

static void plan_keep_ext(struct plan *p, size_t *idx, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        struct plan_item *it = &p->items[idx[k]];
        const char *out_ext = strrchr(it->out, '.');
        size_t stem = plan_stem_len(it->in->rel);
        if (!out_ext || plan_same_ext(it->in->rel + stem, out_ext))
            continue;
        char *s = plan_name(p->dir, it->in->rel, strlen(it->in->rel), out_ext);
        if (s) {
            free(it->out);
            it->out = s;
        }
    }
}

static void plan_refuse(struct plan *p, size_t *idx, size_t n)
{
    for (size_t k = 1; k < n; k++)   /* idx is in path order within the run */
        p->items[idx[k]].clash_with = p->items[idx[0]].in->path;
}

int plan_create(const struct scan *s, const char *out_dir, const struct job_options *jo,
                struct plan **out, char *err, size_t errlen)
{
    struct plan *p = calloc(1, sizeof *p);
    size_t n = scan_count(s);
    if (p) {
        p->n = n;
        p->items = calloc(n ? n : 1, sizeof *p->items);
        p->order = calloc(n ? n : 1, sizeof *p->order);
        p->dir = strdup(out_dir);
    }
    if (!p || !p->items || !p->order || !p->dir) {
        plan_destroy(p);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        struct plan_item *it = &p->items[i];
        it->in = scan_get(s, i);
        enum img_format in = it->in->problem ? IMG_FMT_UNKNOWN : plan_peek(it->in->path);
        /* A file its first bytes say will not be written (not an image, or
         * a format imgpool does not read: a live photo's IMG_0001.MOV and
         * an .AAE beside IMG_0001.HEIC, a CR2 beside its JPEG) keeps its whole
         * name in its output name: the stem belongs to the image beside it,
         * which would otherwise lose it to the clash rule. */
        size_t keep = img_format_readable(in) ? plan_stem_len(it->in->rel) : strlen(it->in->rel);
        it->out = it->in->problem ? strdup("")
                  : plan_name(p->dir, it->in->rel, keep,
                              img_format_ext(job_output_format(jo, in)));
        p->order[i] = i;
        if (!it->out) {
            plan_destroy(p);
            snprintf(err, errlen, "out of memory");
            return -1;
        }
    }
    if (plan_clashes(p, plan_keep_ext))
        plan_clashes(p, plan_refuse);
    for (size_t i = 0; i < n; i++)
        p->order[i] = i;
    qsort_r(p->order, n, sizeof *p->order, plan_cmp_size, p->items);
    *out = p;
    return 0;
}

void plan_destroy(struct plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->items && i < p->n; i++)
        free(p->items[i].out);
    free(p->items);
    free(p->order);
    free(p->dir);
    free(p);
}

size_t plan_count(const struct plan *p) { return p->n; }
const struct plan_item *plan_get(const struct plan *p, size_t i) { return &p->items[i]; }
const size_t *plan_order(const struct plan *p) { return p->order; }

void plan_make_dirs(const struct plan *p)
{
    char last[PATH_MAX] = "", err[256];
    size_t dlen = strlen(p->dir);
    for (size_t i = 0; i < p->n; i++) {
        const char *out = p->items[i].out;
        const char *slash = strrchr(out, '/');
        if (strncmp(out, p->dir, dlen) != 0 || out[dlen] != '/' || slash <= out + dlen)
            continue;   /* right in the output folder, or nothing to write */
        const char *rel = out + dlen + 1;
        size_t len = (size_t)(slash - rel);
        if (len >= sizeof last || (strncmp(last, rel, len) == 0 && last[len] == '\0'))
            continue;   /* same folder as the previous file: made already */
        memcpy(last, rel, len);
        last[len] = '\0';
        int fd = outfile_dir_beneath(p->dir, last, 1, err, sizeof err);
        if (fd >= 0)
            close(fd);
    }
}
