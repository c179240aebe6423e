/* bench_stb_floor — the bare fork loop around stb, the floor imgpool is measured against.
 *
 *   bench_stb_floor gray|fit|grayfit IN_DIR OUT_DIR [PROCS]
 *
 * Every regular file in IN_DIR becomes OUT_DIR/<stem>.png: stbi_load, then
 * (gray) BT.601 luma with alpha kept, (fit) stbir_resize_uint8_srgb to fit
 * inside 256x256, then stbi_write_png straight to the final name. PROCS
 * (default 2) forked processes split the file list dynamically: each takes
 * the next index from one atomic counter in a MAP_SHARED page. The list is
 * largest file first (ties by name), imgpool's order, so the two differ in
 * what they do per file, not in how the work is dealt out.
 *
 * Design note: this is deliberately what imgpool does minus imgpool: no size
 * check before decoding, no EXIF orientation, no temp-then-rename, no result
 * records, no crash handling, no progress. The gap between this and imgpool
 * is the price of those; anything below this is a faster codec, not a better
 * pool. Exit 0 if every file was written, 1 otherwise (errors on stderr).
 */
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stb/stb_image.h>
#include <stb/stb_image_resize.h>
#include <stb/stb_image_write.h>

#define FLOOR_FIT 256
#define FLOOR_PROCS_MAX 64

struct floor_file {
    char *name;
    off_t size;
};

struct floor_job {
    int gray, fit;
    const char *in_dir, *out_dir;
    struct floor_file *files;
    size_t n;
};

/* Largest first, then by name. */
static int floor_cmp(const void *a, const void *b)
{
    const struct floor_file *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return strcmp(x->name, y->name);
}

static void floor_free(struct floor_file *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

/* The regular files in dir, largest first; -1 on error (errno set). */
static int floor_list(const char *dir, struct floor_file **out, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    struct floor_file *v = NULL;
    size_t len = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d))) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (len == cap) {
            cap = cap ? cap * 2 : 256;
            struct floor_file *bigger = realloc(v, cap * sizeof *v);
            if (!bigger) {
                rc = -1;
                break;
            }
            v = bigger;
        }
        v[len].size = st.st_size;
        if (!(v[len].name = strdup(e->d_name)))
            rc = -1;
        else
            len++;
    }
    closedir(d);
    if (rc != 0) {
        floor_free(v, len);
        return -1;
    }
    qsort(v, len, sizeof *v, floor_cmp);
    *out = v;
    *n = len;
    return 0;
}

/* In place, like img_gray: RGB -> Y, RGBA -> YA, gray stays. Returns channels. */
static int floor_gray(unsigned char *px, size_t npx, int ch)
{
    if (ch < 3)
        return ch;
    int och = ch == 4 ? 2 : 1;
    for (size_t i = 0; i < npx; i++) {
        const unsigned char *s = px + i * ch;
        unsigned char *d = px + i * och;
        unsigned char alpha = ch == 4 ? s[3] : 0;
        d[0] = (unsigned char)((299u * s[0] + 587u * s[1] + 114u * s[2] + 500u) / 1000u);
        if (och == 2)
            d[1] = alpha;
    }
    return och;
}

/* Fit w x h inside FLOOR_FIT x FLOOR_FIT keeping the aspect ratio, into *w, *h. */
static void floor_fit_size(int *w, int *h)
{
    long W = *w, H = *h;
    if (W >= H) {
        *w = FLOOR_FIT;
        *h = (int)((H * FLOOR_FIT + W / 2) / W);
    } else {
        *h = FLOOR_FIT;
        *w = (int)((W * FLOOR_FIT + H / 2) / H);
    }
    if (*w < 1) *w = 1;
    if (*h < 1) *h = 1;
}

static int floor_file(const struct floor_job *j, const char *name)
{
    char in[4096], out[4096];
    snprintf(in, sizeof in, "%s/%s", j->in_dir, name);
    const char *dot = strrchr(name, '.');
    int stem = dot ? (int)(dot - name) : (int)strlen(name);
    snprintf(out, sizeof out, "%s/%.*s.png", j->out_dir, stem, name);

    int w, h, ch;
    unsigned char *px = stbi_load(in, &w, &h, &ch, 0);
    if (!px) {
        fprintf(stderr, "bench_stb_floor: cannot decode '%s': %s\n", in, stbi_failure_reason());
        return -1;
    }
    if (j->gray)
        ch = floor_gray(px, (size_t)w * h, ch);
    if (j->fit) {
        int nw = w, nh = h;
        floor_fit_size(&nw, &nh);
        unsigned char *small = malloc((size_t)nw * nh * ch);
        int alpha = ch == 2 || ch == 4 ? ch - 1 : STBIR_ALPHA_CHANNEL_NONE;
        if (!small || !stbir_resize_uint8_srgb(px, w, h, 0, small, nw, nh, 0, ch, alpha, 0)) {
            fprintf(stderr, "bench_stb_floor: cannot resize '%s'\n", in);
            free(small);
            stbi_image_free(px);
            return -1;
        }
        stbi_image_free(px);
        px = small;
        w = nw;
        h = nh;
    }
    int ok = stbi_write_png(out, w, h, ch, px, w * ch);
    stbi_image_free(px);
    if (!ok) {
        fprintf(stderr, "bench_stb_floor: cannot write '%s'\n", out);
        return -1;
    }
    return 0;
}

/* A worker: take the next index until none is left. Returns the exit status. */
static int floor_worker(const struct floor_job *j, atomic_size_t *next)
{
    int status = 0;
    for (;;) {
        size_t i = atomic_fetch_add_explicit(next, 1, memory_order_relaxed);
        if (i >= j->n)
            return status;
        if (floor_file(j, j->files[i].name) != 0)
            status = 1;
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: bench_stb_floor gray|fit|grayfit IN_DIR OUT_DIR [PROCS]\n");
        return 2;
    }
    struct floor_job j = {
        .gray = !strcmp(argv[1], "gray") || !strcmp(argv[1], "grayfit"),
        .fit = !strcmp(argv[1], "fit") || !strcmp(argv[1], "grayfit"),
        .in_dir = argv[2], .out_dir = argv[3],
    };
    int procs = argc == 5 ? atoi(argv[4]) : 2;
    if ((!j.gray && !j.fit) || procs < 1 || procs > FLOOR_PROCS_MAX) {
        fprintf(stderr, "bench_stb_floor: bad job '%s' or PROCS (1-%d)\n", argv[1],
                FLOOR_PROCS_MAX);
        return 2;
    }
    if (floor_list(j.in_dir, &j.files, &j.n) != 0) {
        perror("bench_stb_floor: cannot list input folder");
        return 1;
    }
    if (j.n == 0) {
        fprintf(stderr, "bench_stb_floor: no files in '%s'\n", j.in_dir);
        return 1;
    }
    /* The counter lives in shared memory so both children see one sequence;
     * relaxed order is enough: the index is the only thing handed over. */
    atomic_size_t *next = mmap(NULL, sizeof *next, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (next == MAP_FAILED) {
        perror("bench_stb_floor: mmap");
        return 1;
    }
    atomic_init(next, 0);
    int started = 0, status = 0;
    for (; started < procs; started++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("bench_stb_floor: fork");
            status = 1;
            break;
        }
        if (pid == 0)
            _exit(floor_worker(&j, next));
    }
    for (int k = 0; k < started; k++) {
        int ws;
        if (wait(&ws) < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
            status = 1;
    }
    floor_free(j.files, j.n);
    return status;
}
