/* xkcd.c — the xkcd downloader (see xkcd.h).
 *
 * Design note.
 *
 * Work distribution. The comic numbers sit in one array; a thread claims the
 * next one with an atomic fetch-and-add on `next`, handles it completely
 * (JSON, image, files) and claims again. That is the whole queue: each index
 * is claimed exactly once, no lock is held while a request is in flight,
 * and a slow comic holds up only its own thread. --sequential is the same
 * code with one thread, so the comparison measures only the parallelism.
 *
 * Ownership. comics[i] is written only by the thread that claimed i, and read
 * by others only after that thread ended (pthread_join) or from on_comic in
 * the same thread. Progress counters are statistics: relaxed atomics.
 *
 * Ending. The last thread to leave calls on_finish (the CLI closes the pool
 * there: nothing more will be published), then sets `finished` under the
 * mutex and broadcasts; xkcd_wait() waits on that condition with a timeout
 * and joins the threads once it is set, so the waiting thread can redraw a
 * progress line while downloads run and never blocks without a bound.
 *
 * Files. Nothing reaches its final name unfinished: the image and the
 * sidecar are written to unnamed temp files in the output folder (outfile)
 * linked into place when complete; the sidecar goes last and is what marks a
 * comic as done for the next run (it records the image's name and size,
 * and a mismatch means "download again"). With opt.verify the image is
 * linked under a hidden pending name instead, and the comic waits in
 * XKCD_VERIFY with its sidecar's JSON kept in verdicts[i]; the caller's
 * xkcd_accept renames it and writes the sidecar, xkcd_reject deletes it, and
 * xkcd_destroy deletes whatever never got a verdict (an interrupted run).
 *
 * A dead site. A request that got no HTTP answer at all, while no request
 * of this run ever did, means the site is down (nothing listening, TLS
 * refused, a server that accepts and stalls): the run stops (`down`, seen by
 * xkcd_stopping) and keeps the first reason, instead of paying every comic's
 * retries and printing one error per comic.
 *
 * Hostile input. Records and images come from the network: JSON goes
 * through cJSON, never string search; file names come from the number and a
 * slug of the title (letters and digits only), never from the img URL; the
 * image must be complete and of a known format before it is written; and
 * every message that may quote the server is cleaned of control bytes
 * before anyone prints it.
 */
#include "imgpool/xkcd.h"
#include "imgpool/outfile.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imgpool/clock.h"

#define XKCD_DEFAULT_MAX_JSON ((size_t)1 << 20)
#define XKCD_DEFAULT_MAX_IMAGE ((size_t)32 << 20)
#define XKCD_SIDECAR_MAX ((size_t)1 << 20)

/* ------------------------------------------------------------ range grammar */

static int xkcd_range_number(const char **p, long *out)
{
    if (!isdigit((unsigned char)**p))
        return -1;
    long v = 0;
    while (isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        if (v > XKCD_NUM_MAX)
            return -1;
        (*p)++;
    }
    *out = v;
    return 0;
}

/* bound := NUMBER | "latest" [ "-" NUMBER ] */
static int xkcd_range_bound(const char *spec, const char **p, long latest,
                            long *out, char *err, size_t errlen)
{
    if (strncmp(*p, "latest", 6) == 0) {
        *p += 6;
        long back = 0;
        if ((*p)[0] == '-' && isdigit((unsigned char)(*p)[1])) {
            (*p)++;
            if (xkcd_range_number(p, &back) != 0)
                goto toobig;
        }
        if (latest < 1) {
            snprintf(err, errlen, "range '%s' needs the latest comic's number",
                     spec);
            return -1;
        }
        if (latest - back < 1) {
            snprintf(err, errlen, "range '%s': latest-%ld is before comic 1",
                     spec, back);
            return -1;
        }
        *out = latest - back;
        return 0;
    }
    if (!isdigit((unsigned char)**p)) {
        snprintf(err, errlen,
                 "range '%s': expected a number or 'latest' at position %td",
                 spec, *p - spec + 1);
        return -1;
    }
    if (xkcd_range_number(p, out) != 0)
        goto toobig;
    if (*out < 1) {
        snprintf(err, errlen, "range '%s': comics are numbered from 1", spec);
        return -1;
    }
    return 0;
toobig:
    snprintf(err, errlen, "range '%s': number too large (max %ld)", spec,
             XKCD_NUM_MAX);
    return -1;
}

static int xkcd_cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int xkcd_range_parse(const char *spec, long latest, long **nums, size_t *n,
                     char *err, size_t errlen)
{
    long *v = NULL;
    size_t len = 0;
    const char *p = spec;
    for (;;) {
        long lo, hi;
        if (xkcd_range_bound(spec, &p, latest, &lo, err, errlen) != 0)
            goto fail;
        hi = lo;
        if (*p == '-') {
            p++;
            if (xkcd_range_bound(spec, &p, latest, &hi, err, errlen) != 0)
                goto fail;
        }
        if (lo > hi) {
            snprintf(err, errlen, "range '%s': %ld-%ld runs backwards", spec,
                     lo, hi);
            goto fail;
        }
        if ((size_t)(hi - lo) >= XKCD_RANGE_MAX - len) {
            snprintf(err, errlen, "range '%s': more than %d comics", spec,
                     XKCD_RANGE_MAX);
            goto fail;
        }
        long *nv = realloc(v, (len + (size_t)(hi - lo) + 1) * sizeof *v);
        if (!nv) {
            snprintf(err, errlen, "out of memory");
            goto fail;
        }
        v = nv;
        for (long k = lo; k <= hi; k++)
            v[len++] = k;
        if (*p == '\0')
            break;
        if (*p != ',') {
            snprintf(err, errlen, "range '%s': unexpected '%c' at position %td",
                     spec, isprint((unsigned char)*p) ? *p : '?', p - spec + 1);
            goto fail;
        }
        p++;
    }
    qsort(v, len, sizeof *v, xkcd_cmp_long);
    size_t k = 0;
    for (size_t i = 0; i < len; i++)
        if (k == 0 || v[i] != v[k - 1])
            v[k++] = v[i];
    *nums = v;
    *n = k;
    return 0;
fail:
    free(v);
    return -1;
}

bool xkcd_range_uses_latest(const char *spec)
{
    return strstr(spec, "latest") != NULL;
}

/* ------------------------------------------------------------------ records */

static char *xkcd_json_string(const cJSON *obj, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(obj, key));
    return strdup(s ? s : "");
}

/* The date fields are strings ("2006", "5") on xkcd; numbers are accepted. */
static int xkcd_json_int(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (cJSON_IsNumber(it))
        return it->valueint;
    if (cJSON_IsString(it)) {
        char *end;
        long v = strtol(it->valuestring, &end, 10);
        if (end != it->valuestring && *end == '\0' && v >= 0 && v <= 99999)
            return (int)v;
    }
    return 0;
}

int xkcd_record_parse(const char *json, size_t len, struct xkcd_record *out,
                      char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root) {
        snprintf(err, errlen, "malformed JSON");
        return -1;
    }
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(root, "num");
    if (!cJSON_IsObject(root) || !cJSON_IsNumber(num) || num->valuedouble < 0
        || num->valuedouble > XKCD_NUM_MAX
        || num->valuedouble != (double)(long)num->valuedouble) {
        snprintf(err, errlen, "not an xkcd record (no valid \"num\")");
        cJSON_Delete(root);
        return -1;
    }
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(root, "img"))) {
        snprintf(err, errlen, "not an xkcd record (no \"img\" string)");
        cJSON_Delete(root);
        return -1;
    }
    out->num = (long)num->valuedouble;
    out->title = xkcd_json_string(root, "title");
    out->safe_title = xkcd_json_string(root, "safe_title");
    out->alt = xkcd_json_string(root, "alt");
    out->img = xkcd_json_string(root, "img");
    out->transcript = xkcd_json_string(root, "transcript");
    out->link = xkcd_json_string(root, "link");
    out->news = xkcd_json_string(root, "news");
    out->year = xkcd_json_int(root, "year");
    out->month = xkcd_json_int(root, "month");
    out->day = xkcd_json_int(root, "day");
    cJSON_Delete(root);
    if (!out->title || !out->safe_title || !out->alt || !out->img
        || !out->transcript || !out->link || !out->news) {
        xkcd_record_clear(out);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

void xkcd_record_clear(struct xkcd_record *r)
{
    free(r->title);
    free(r->safe_title);
    free(r->alt);
    free(r->img);
    free(r->transcript);
    free(r->link);
    free(r->news);
    memset(r, 0, sizeof *r);
}

/* -------------------------------------------------------- names and content */

char *xkcd_slug(const char *title, char *out, size_t outlen)
{
    size_t k = 0, max = outlen - 1 < XKCD_SLUG_MAX ? outlen - 1 : XKCD_SLUG_MAX;
    bool gap = false;
    for (const unsigned char *s = (const unsigned char *)title; *s && k < max; s++) {
        if (*s < 0x80 && isalnum(*s)) {
            if (gap && k > 0) {
                if (k + 2 > max)
                    break;
                out[k++] = '_';
            }
            gap = false;
            out[k++] = (char)tolower(*s);
        } else {
            gap = true;
        }
    }
    while (k > 0 && out[k - 1] == '_')
        k--;
    out[k] = '\0';
    if (k == 0)
        snprintf(out, outlen, "comic");
    return out;
}

char *xkcd_file_name(long num, const char *title, const char *ext, char *out)
{
    char slug[XKCD_SLUG_MAX + 1];
    snprintf(out, XKCD_NAME_MAX, "%04ld-%s.%.5s", num,
             xkcd_slug(title, slug, sizeof slug), ext);
    return out;
}

/* Replaces control, DEL and non-ASCII bytes with '?', so text quoted from a
 * server cannot drive the terminal it is printed on. */
static void xkcd_clean_text(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

int xkcd_img_check(const char *img, char *err, size_t errlen)
{
    const char *rest = NULL;
    if (img[0] == '\0') {
        snprintf(err, errlen, "the record names no image");
        return XKCD_IMG_NONE;
    }
    if (strncasecmp(img, "https://", 8) == 0)
        rest = img + 8;
    else if (strncasecmp(img, "http://", 7) == 0)
        rest = img + 7;
    if (!rest || rest[0] == '/' || rest[0] == '\0') {
        snprintf(err, errlen, "img is not an http(s) URL: '%.80s'", img);
        xkcd_clean_text(err);
        return XKCD_IMG_BAD;
    }
    size_t pathlen = strcspn(rest, "?#");
    const char *slash = memchr(rest, '/', pathlen);
    if (!slash || rest[pathlen - 1] == '/') {
        snprintf(err, errlen, "img names a folder, not an image (interactive comic?)");
        return XKCD_IMG_NONE;
    }
    return XKCD_IMG_OK;
}

/* Length of buf without trailing NUL and white-space bytes (padding some
 * encoders leave after the end marker). */
static size_t xkcd_trimmed(const unsigned char *buf, size_t len)
{
    while (len > 0 && (buf[len - 1] == 0 || isspace(buf[len - 1])))
        len--;
    return len;
}

const char *xkcd_image_format(const unsigned char *buf, size_t len,
                              char *err, size_t errlen)
{
    static const unsigned char png_sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    static const unsigned char png_end[12] = { 0, 0, 0, 0, 'I', 'E', 'N', 'D',
                                               0xae, 0x42, 0x60, 0x82 };
    if (len >= 8 && memcmp(buf, png_sig, 8) == 0) {
        /* signature, IHDR chunk (25 bytes), ..., IEND chunk (12 bytes) */
        if (len < 8 + 25 + 12 || memcmp(buf + len - 12, png_end, 12) != 0)
            goto truncated;
        return "png";
    }
    if (len >= 4 && buf[0] == 0xff && buf[1] == 0xd8 && buf[2] == 0xff) {
        size_t t = xkcd_trimmed(buf, len);
        if (t < 4 || buf[t - 2] != 0xff || buf[t - 1] != 0xd9)
            goto truncated;
        return "jpg";
    }
    if (len >= 14 && (memcmp(buf, "GIF87a", 6) == 0 || memcmp(buf, "GIF89a", 6) == 0)) {
        size_t t = xkcd_trimmed(buf, len);
        if (t < 14 || buf[t - 1] != 0x3b)
            goto truncated;
        return "gif";
    }
    if (len >= 12 && memcmp(buf, "RIFF", 4) == 0 && memcmp(buf + 8, "WEBP", 4) == 0) {
        uint32_t riff = (uint32_t)buf[4] | (uint32_t)buf[5] << 8
                        | (uint32_t)buf[6] << 16 | (uint32_t)buf[7] << 24;
        if ((uint64_t)riff + 8 > len)
            goto truncated;
        return "webp";
    }
    size_t i = 0;
    while (i < len && isspace(buf[i]))
        i++;
    if (i < len && buf[i] == '<')
        snprintf(err, errlen, "an HTML page instead of an image");
    else
        snprintf(err, errlen, "not a PNG, JPEG, GIF or WebP image");
    return NULL;
truncated:
    snprintf(err, errlen, "truncated image (%zu bytes, no end marker)", len);
    return NULL;
}

/* -------------------------------------------------------------------- files */

static int xkcd_path(char *out, const char *dir, const char *name)
{
    int k = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    return k < 0 || k >= PATH_MAX ? -1 : 0;
}

/* Writes data to dir/name: an unnamed temp file linked into place when
 * complete (outfile), so no kill leaves a partial or stray file. */
static int xkcd_write_file(const char *dir, const char *name, const void *data,
                           size_t len, char *err, size_t errlen)
{
    char final[PATH_MAX];
    struct outfile *f;
    if (xkcd_path(final, dir, name) != 0) {
        snprintf(err, errlen, "output path too long");
        return -1;
    }
    if (outfile_open(final, &f, err, errlen) != 0)
        return -1;
    if (outfile_write(f, data, len, err, errlen) != 0) {
        outfile_abort(f);
        return -1;
    }
    return outfile_commit(f, err, errlen);
}

/* The sidecar: what the comic is, where it came from, which file holds it. */
static char *xkcd_sidecar_json(const struct xkcd_record *rec, const char *base,
                               const char *file, const char *fmt, size_t bytes)
{
    char date[24] = "", url[512];
    if (rec->year > 0)
        snprintf(date, sizeof date, "%04d-%02d-%02d", rec->year, rec->month, rec->day);
    snprintf(url, sizeof url, "%s/%ld/", base, rec->num);
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "num", (double)rec->num);
    cJSON_AddStringToObject(o, "title", rec->title);
    cJSON_AddStringToObject(o, "safe_title", rec->safe_title);
    cJSON_AddStringToObject(o, "alt", rec->alt);
    cJSON_AddStringToObject(o, "date", date);
    cJSON_AddStringToObject(o, "url", url);
    cJSON_AddStringToObject(o, "img", rec->img);
    cJSON_AddStringToObject(o, "transcript", rec->transcript);
    cJSON_AddStringToObject(o, "file", file);
    cJSON_AddStringToObject(o, "format", fmt);
    cJSON_AddNumberToObject(o, "bytes", (double)bytes);
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    return s;
}

/* Reads at most max bytes of a small file; NULL if missing or larger. */
static char *xkcd_read_small(const char *path, size_t max, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(max + 1);
    size_t n = buf ? fread(buf, 1, max + 1, f) : 0;
    fclose(f);
    if (!buf || n > max) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---------------------------------------------------------------- the run */

struct xkcd_run {
    struct xkcd_options opt;
    char *base_url, *out_dir;
    long *nums;
    size_t n;
    struct xkcd_comic *comics;
    char **sidecars;             /* sidecars[i]: a sidecar name seen for nums[i] */
    unsigned nthreads;           /* threads planned, one client each */
    unsigned started;            /* threads created (to join) */
    pthread_t *tids;
    struct fetch_share *share;   /* outlives the clients that use it */
    struct fetch_client **clients;
    char **verdicts;             /* verify: verdicts[i], comic i's sidecar JSON
                                    until xkcd_accept/xkcd_reject */
    atomic_size_t next;
    atomic_int stop;
    atomic_int answered;         /* some request got an HTTP answer */
    atomic_int down;             /* 0, 1 while down_msg is written, 2 after */
    char down_msg[256];          /* written once, by the thread that set down */
    /* progress, relaxed */
    atomic_size_t done, ok, cached, not_found, no_image, failed;
    atomic_uint_least64_t bytes;
    /* ending */
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned running;            /* under lock */
    bool start_failed;           /* under lock: no on_finish then */
    bool finished;               /* under lock: on_finish has run */
    bool joined;
};

struct xkcd_thread_arg {
    struct xkcd_run *run;
    unsigned index;
};

static int xkcd_stopping(void *ctx)
{
    struct xkcd_run *r = ctx;
    return atomic_load_explicit(&r->stop, memory_order_relaxed)
           || atomic_load_explicit(&r->down, memory_order_relaxed)
           || (r->opt.should_stop && r->opt.should_stop(r->opt.ctx));
}

char *xkcd_pending_name(const char *file, char *out)
{
    snprintf(out, XKCD_PENDING_MAX, ".%s.imgpool-pending", file);
    return out;
}

/* A pending image left by a run that was killed: "." + a number + "-". */
static bool xkcd_is_stale_pending(const char *name, long *num)
{
    const char *p = name + 1;
    size_t len = strlen(name), sfx = strlen(".imgpool-pending");
    return name[0] == '.' && len > sfx && strcmp(name + len - sfx, ".imgpool-pending") == 0
           && xkcd_range_number(&p, num) == 0 && *p == '-';
}

/* Finds the sidecars already in out_dir ("NNNN-*.json") of requested comics. */
static void xkcd_scan_out_dir(struct xkcd_run *r)
{
    DIR *d = opendir(r->out_dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        const char *name = e->d_name, *p = name;
        size_t len = strlen(name);
        long num;
        char path[PATH_MAX];
        if (xkcd_is_stale_pending(name, &num)
            && bsearch(&num, r->nums, r->n, sizeof *r->nums, xkcd_cmp_long)
            && xkcd_path(path, r->out_dir, name) == 0) {
            unlink(path);
            continue;
        }
        if (len < 7 || strcmp(name + len - 5, ".json") != 0
            || xkcd_range_number(&p, &num) != 0 || *p != '-')
            continue;
        long *hit = bsearch(&num, r->nums, r->n, sizeof *r->nums, xkcd_cmp_long);
        if (hit && !r->sidecars[hit - r->nums])
            r->sidecars[hit - r->nums] = strdup(name);
    }
    closedir(d);
}

/* True if comic i is complete on disk: its sidecar names an image file of the
 * recorded size. Fills c->file. */
static bool xkcd_is_cached(const struct xkcd_run *r, size_t i, struct xkcd_comic *c)
{
    char path[PATH_MAX];
    size_t len;
    struct stat st;
    bool ok = false;
    if (!r->sidecars[i] || xkcd_path(path, r->out_dir, r->sidecars[i]) != 0)
        return false;
    char *text = xkcd_read_small(path, XKCD_SIDECAR_MAX, &len);
    cJSON *o = text ? cJSON_ParseWithLength(text, len) : NULL;
    const cJSON *num = cJSON_GetObjectItemCaseSensitive(o, "num");
    const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(o, "bytes");
    const char *file = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "file"));
    if (cJSON_IsNumber(num) && num->valuedouble == (double)c->num
        && cJSON_IsNumber(bytes) && file && file[0] != '.' && !strchr(file, '/')
        && strlen(file) < sizeof c->file && xkcd_path(path, r->out_dir, file) == 0
        && stat(path, &st) == 0 && S_ISREG(st.st_mode)
        && (double)st.st_size == bytes->valuedouble) {
        snprintf(c->file, sizeof c->file, "%s", file);
        ok = true;
    }
    cJSON_Delete(o);
    free(text);
    return ok;
}

/* Accounts for one request and reports it. */
static void xkcd_note_request(struct xkcd_run *r, struct xkcd_comic *c, int kind,
                              const struct fetch_result *res)
{
    uint64_t got = res->outcome == FETCH_OK ? res->len : 0;
    c->bytes += got;
    c->attempts += res->attempts;
    if (res->answered)
        atomic_store_explicit(&r->answered, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->bytes, got, memory_order_relaxed);
    if (r->opt.on_request) {
        struct xkcd_request rq = {
            .num = c->num, .thread = c->thread, .kind = kind,
            .outcome = res->outcome, .attempts = res->attempts, .bytes = got,
            .start_ns = res->start_ns, .end_ns = res->end_ns,
        };
        r->opt.on_request(r->opt.ctx, &rq);
    }
}

/* The site has not answered a single request of this run and this one got
 * no answer either (refused, unresolvable, timed out): it is down, and the
 * run stops rather than pay every comic's retries. The first thread to see
 * it keeps the reason. Returns true if the site counts as down. */
static bool xkcd_site_down(struct xkcd_run *r, const struct fetch_result *res)
{
    if (res->outcome != FETCH_NETWORK || res->answered
        || atomic_load_explicit(&r->answered, memory_order_relaxed))
        return false;
    int expected = 0;
    if (atomic_compare_exchange_strong(&r->down, &expected, 1)) {
        snprintf(r->down_msg, sizeof r->down_msg, "%s", res->msg);
        xkcd_clean_text(r->down_msg);
        atomic_store_explicit(&r->down, 2, memory_order_release);
    }
    return true;
}

/* Sets the status after a failed request for the record or the image: no
 * such comic, interrupted (or the site is down: left pending), or failed. */
static void xkcd_fetch_failed(struct xkcd_run *r, struct xkcd_comic *c, bool record,
                              const struct fetch_result *res)
{
    c->why = (struct xkcd_failure){ record ? XKCD_STEP_RECORD : XKCD_STEP_IMAGE, res->outcome,
                                    res->status, res->attempts, res->lib_reason };
    if (xkcd_site_down(r, res)) {
        c->status = XKCD_PENDING;
        return;
    }
    if (record && res->outcome == FETCH_NOT_FOUND) {
        c->status = XKCD_NOT_FOUND;
        snprintf(c->msg, sizeof c->msg, "not found (HTTP %ld)", res->status);
        return;
    }
    c->status = res->outcome == FETCH_ABORTED ? XKCD_PENDING : XKCD_FAILED;
    int k = snprintf(c->msg, sizeof c->msg, "%s: %s",
                     record ? "info.0.json" : "image", res->msg);
    if (res->attempts > 1 && k > 0 && (size_t)k < sizeof c->msg)
        snprintf(c->msg + k, sizeof c->msg - (size_t)k, " after %u attempts",
                 res->attempts);
}

/* The sidecar's name: the image's, with .json for its extension. */
static void xkcd_sidecar_name(const char *file, char *out)
{
    const char *dot = strrchr(file, '.');
    snprintf(out, XKCD_NAME_MAX, "%.*s.json", (int)(dot ? dot - file : 64), file);
}

/* Writes the sidecar that marks comic c done; it owns json (frees it). */
static int xkcd_write_sidecar(struct xkcd_run *r, struct xkcd_comic *c, char *json)
{
    char side[XKCD_NAME_MAX];
    xkcd_sidecar_name(c->file, side);
    int rc = xkcd_write_file(r->out_dir, side, json, strlen(json), c->msg, sizeof c->msg);
    free(json);
    return rc;
}

/* Writes the image, then the sidecar that marks the comic done; with
 * opt.verify, the image under its pending name and the sidecar kept for
 * xkcd_accept. Returns the comic's status (XKCD_FAILED with msg). */
static int xkcd_save(struct xkcd_run *r, size_t i, struct xkcd_comic *c,
                     const struct xkcd_record *rec, const struct fetch_result *img,
                     const char *fmt)
{
    char pending[XKCD_PENDING_MAX];
    xkcd_file_name(c->num, rec->safe_title[0] ? rec->safe_title : rec->title, fmt,
                   c->file);
    char *json = xkcd_sidecar_json(rec, r->base_url, c->file, fmt, img->len);
    c->why.step = XKCD_STEP_SAVE;   /* what may fail from here on */
    if (!json) {
        snprintf(c->msg, sizeof c->msg, "out of memory");
        return XKCD_FAILED;
    }
    const char *name = r->opt.verify ? xkcd_pending_name(c->file, pending) : c->file;
    if (xkcd_write_file(r->out_dir, name, img->body, img->len, c->msg, sizeof c->msg) != 0) {
        free(json);
        return XKCD_FAILED;
    }
    if (r->opt.verify) {
        r->verdicts[i] = json;
        return XKCD_VERIFY;
    }
    return xkcd_write_sidecar(r, c, json) == 0 ? XKCD_OK : XKCD_FAILED;
}

/* Handles one comic from start to final status: the one function behind both
 * --sequential and --threads N. */
static void xkcd_comic_fetch(struct xkcd_run *r, struct fetch_client *fc,
                             size_t i, struct xkcd_comic *c)
{
    struct fetch_result res = { 0 }, img = { 0 };
    struct xkcd_record rec = { 0 };
    char url[PATH_MAX], why[192];
    c->status = XKCD_FAILED;
    c->why = (struct xkcd_failure){ 0 };   /* each step below names itself */
    if (!r->opt.force && xkcd_is_cached(r, i, c)) {
        c->status = XKCD_CACHED;
        return;
    }
    snprintf(url, sizeof url, "%s/%ld/info.0.json", r->base_url, c->num);
    int rc = fetch_get(fc, url, r->opt.max_json, &res);
    xkcd_note_request(r, c, XKCD_REQ_JSON, &res);
    if (rc != 0) {
        xkcd_fetch_failed(r, c, true, &res);
        goto out;
    }
    c->why.step = XKCD_STEP_RECORD_BAD;
    if (xkcd_record_parse((const char *)res.body, res.len, &rec, why, sizeof why) != 0) {
        snprintf(c->msg, sizeof c->msg, "info.0.json: %s", why);
        goto out;
    }
    if (rec.num != c->num) {
        snprintf(c->msg, sizeof c->msg, "info.0.json: the record is comic %ld", rec.num);
        goto out;
    }
    c->why.step = XKCD_STEP_IMG_URL;
    int kind = xkcd_img_check(rec.img, why, sizeof why);
    if (kind != XKCD_IMG_OK) {
        c->status = kind == XKCD_IMG_NONE ? XKCD_NO_IMAGE : XKCD_FAILED;
        snprintf(c->msg, sizeof c->msg, "%s", why);
        goto out;
    }
    rc = fetch_get(fc, rec.img, r->opt.max_image, &img);
    xkcd_note_request(r, c, XKCD_REQ_IMAGE, &img);
    if (rc != 0) {
        xkcd_fetch_failed(r, c, false, &img);
        goto out;
    }
    c->why.step = XKCD_STEP_IMAGE_BAD;
    const char *fmt = xkcd_image_format(img.body, img.len, why, sizeof why);
    if (!fmt) {
        snprintf(c->msg, sizeof c->msg, "image: %s", why);
        goto out;
    }
    c->status = xkcd_save(r, i, c, &rec, &img, fmt);
out:
    if (c->status == XKCD_OK || c->status == XKCD_VERIFY || c->status == XKCD_PENDING)
        c->why.step = XKCD_STEP_NONE;
    xkcd_clean_text(c->msg);
    if (c->status != XKCD_OK && c->status != XKCD_VERIFY)
        c->file[0] = '\0';
    xkcd_record_clear(&rec);
    free(res.body);
    free(img.body);
}

static void xkcd_count(struct xkcd_run *r, int status)
{
    atomic_size_t *ctr[] = {
        [XKCD_OK] = &r->ok, [XKCD_CACHED] = &r->cached,
        [XKCD_NOT_FOUND] = &r->not_found, [XKCD_NO_IMAGE] = &r->no_image,
        [XKCD_FAILED] = &r->failed,
    };
    atomic_fetch_add_explicit(ctr[status], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->done, 1, memory_order_relaxed);
}

/* The last one out calls on_finish, then wakes xkcd_wait. */
static void xkcd_leave(struct xkcd_run *r)
{
    pthread_mutex_lock(&r->lock);
    bool last = --r->running == 0;
    bool call = last && !r->start_failed;
    pthread_mutex_unlock(&r->lock);
    if (!last)
        return;
    if (call && r->opt.on_finish)
        r->opt.on_finish(r->opt.ctx);
    pthread_mutex_lock(&r->lock);
    r->finished = true;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
}

static void *xkcd_thread(void *argp)
{
    struct xkcd_thread_arg *arg = argp;
    struct xkcd_run *r = arg->run;
    struct fetch_client *fc = r->clients[arg->index];
    /* the gate: xkcd_start holds the lock until every thread exists */
    pthread_mutex_lock(&r->lock);
    pthread_mutex_unlock(&r->lock);
    while (!xkcd_stopping(r)) {
        size_t i = atomic_fetch_add_explicit(&r->next, 1, memory_order_relaxed);
        if (i >= r->n)
            break;
        struct xkcd_comic *c = &r->comics[i];
        c->thread = arg->index;
        c->start_ns = clock_now_ns();
        xkcd_comic_fetch(r, fc, i, c);
        c->end_ns = clock_now_ns();
        if (c->status == XKCD_PENDING)
            break;   /* interrupted, or the site is down */
        if (c->status != XKCD_VERIFY)
            xkcd_count(r, c->status);
        if (r->opt.on_comic)
            r->opt.on_comic(r->opt.ctx, c);
    }
    free(arg);
    xkcd_leave(r);
    return NULL;
}

static char *xkcd_strip_slash(const char *s)
{
    char *d = strdup(s);
    size_t n = d ? strlen(d) : 0;
    while (n > 0 && d[n - 1] == '/')
        d[--n] = '\0';
    return d;
}

/* Allocates r and everything it owns except threads. */
static int xkcd_run_alloc(const struct xkcd_options *opt, const long *nums, size_t n,
                          struct xkcd_run *r, char *err, size_t errlen)
{
    r->opt = *opt;
    r->opt.max_json = opt->max_json ? opt->max_json : XKCD_DEFAULT_MAX_JSON;
    r->opt.max_image = opt->max_image ? opt->max_image : XKCD_DEFAULT_MAX_IMAGE;
    r->opt.fetch.should_stop = xkcd_stopping;
    r->opt.fetch.stop_ctx = r;
    unsigned t = opt->threads ? opt->threads : XKCD_DEFAULT_THREADS;
    r->nthreads = n < t ? (unsigned)n : t;
    r->n = n;
    r->base_url = xkcd_strip_slash(opt->base_url);
    r->out_dir = strdup(opt->out_dir);
    r->nums = malloc((n ? n : 1) * sizeof *r->nums);
    r->comics = calloc(n ? n : 1, sizeof *r->comics);
    r->sidecars = calloc(n ? n : 1, sizeof *r->sidecars);
    r->verdicts = calloc(n ? n : 1, sizeof *r->verdicts);
    r->tids = calloc(r->nthreads ? r->nthreads : 1, sizeof *r->tids);
    r->clients = calloc(r->nthreads ? r->nthreads : 1, sizeof *r->clients);
    if (!r->base_url || !r->out_dir || !r->nums || !r->comics || !r->sidecars
        || !r->verdicts || !r->tids || !r->clients) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        r->nums[i] = nums[i];
        r->comics[i].num = nums[i];
        r->comics[i].index = i;
    }
    if (fetch_share_create(&r->share, err, errlen) != 0)
        return -1;
    for (unsigned k = 0; k < r->nthreads; k++)
        if (fetch_client_create(&r->opt.fetch, r->share, &r->clients[k], err, errlen) != 0)
            return -1;
    return 0;
}

int xkcd_start(const struct xkcd_options *opt, const long *nums, size_t n,
               struct xkcd_run **out, char *err, size_t errlen)
{
    struct stat st;
    if (stat(opt->out_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "'%s' is not a folder", opt->out_dir);
        return -1;
    }
    struct xkcd_run *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&r->lock, NULL);
    r->joined = true;   /* nothing to join yet */
    if (xkcd_run_alloc(opt, nums, n, r, err, errlen) != 0) {
        xkcd_destroy(r);
        return -1;
    }
    xkcd_scan_out_dir(r);
    r->joined = false;
    int e = 0;
    pthread_mutex_lock(&r->lock);   /* the gate, see xkcd_thread */
    for (; r->started < r->nthreads && e == 0; r->started++) {
        struct xkcd_thread_arg *arg = malloc(sizeof *arg);
        if (!arg) {
            e = ENOMEM;
            break;
        }
        *arg = (struct xkcd_thread_arg){ r, r->started };
        e = pthread_create(&r->tids[r->started], NULL, xkcd_thread, arg);
        if (e != 0) {
            free(arg);
            break;
        }
    }
    r->running = r->started;
    if (e != 0) {   /* the threads that exist leave without touching a comic */
        atomic_store(&r->stop, 1);
        r->start_failed = true;
    }
    if (r->running == 0)
        r->finished = true;
    pthread_mutex_unlock(&r->lock);
    if (e != 0) {
        errno = e;
        snprintf(err, errlen, "cannot start a thread: %m");
        xkcd_destroy(r);
        return -1;
    }
    if (r->nthreads == 0 && opt->on_finish)
        opt->on_finish(opt->ctx);
    *out = r;
    return 0;
}

int xkcd_wait(struct xkcd_run *r, unsigned timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->lock);
    while (!r->finished)
        if (pthread_cond_timedwait(&r->cond, &r->lock, &until) == ETIMEDOUT)
            break;
    bool finished = r->finished;
    pthread_mutex_unlock(&r->lock);
    if (finished && !r->joined) {
        /* every thread is past its last use of r's state: joins are prompt */
        for (unsigned k = 0; k < r->started; k++)
            pthread_join(r->tids[k], NULL);
        r->joined = true;
    }
    return finished;
}

void xkcd_progress(const struct xkcd_run *r, struct xkcd_progress *out)
{
    struct xkcd_run *m = (struct xkcd_run *)r;   /* C11 atomic loads take non-const */
    *out = (struct xkcd_progress){
        .total = r->n,
        .done = atomic_load_explicit(&m->done, memory_order_relaxed),
        .ok = atomic_load_explicit(&m->ok, memory_order_relaxed),
        .cached = atomic_load_explicit(&m->cached, memory_order_relaxed),
        .not_found = atomic_load_explicit(&m->not_found, memory_order_relaxed),
        .no_image = atomic_load_explicit(&m->no_image, memory_order_relaxed),
        .failed = atomic_load_explicit(&m->failed, memory_order_relaxed),
        .bytes = atomic_load_explicit(&m->bytes, memory_order_relaxed),
        .threads = r->nthreads,
    };
    if (atomic_load_explicit(&m->down, memory_order_acquire) == 2)
        snprintf(out->down, sizeof out->down, "%s", r->down_msg);
    if (r->share) {
        struct fetch_share_stats st;
        fetch_share_stats(r->share, &st);
        out->throttled = st.throttled;
        out->lowest_limit = st.lowest_limit;
    }
}

/* Ends a comic waiting in XKCD_VERIFY: the verdict's JSON goes. */
static char *xkcd_take_verdict(struct xkcd_run *r, size_t i, char *pending_path)
{
    char pending[XKCD_PENDING_MAX];
    char *json = r->verdicts[i];
    r->verdicts[i] = NULL;
    if (xkcd_path(pending_path, r->out_dir, xkcd_pending_name(r->comics[i].file, pending)) != 0)
        pending_path[0] = '\0';
    return json;
}

int xkcd_accept(struct xkcd_run *r, size_t i)
{
    struct xkcd_comic *c = &r->comics[i];
    char from[PATH_MAX], to[PATH_MAX];
    if (c->status != XKCD_VERIFY)
        return c->status == XKCD_OK ? 0 : -1;
    char *json = xkcd_take_verdict(r, i, from);
    c->status = XKCD_FAILED;
    c->why.step = XKCD_STEP_SAVE;
    if (!from[0] || xkcd_path(to, r->out_dir, c->file) != 0) {
        snprintf(c->msg, sizeof c->msg, "output path too long");
        free(json);
    } else if (rename(from, to) != 0) {
        snprintf(c->msg, sizeof c->msg, "cannot write '%s': %s", c->file, strerror(errno));
        unlink(from);
        free(json);
    } else if (xkcd_write_sidecar(r, c, json) == 0) {
        c->status = XKCD_OK;
    }
    if (c->status != XKCD_OK)
        c->file[0] = '\0';
    else
        c->why.step = XKCD_STEP_NONE;
    xkcd_count(r, c->status);
    return c->status == XKCD_OK ? 0 : -1;
}

void xkcd_reject(struct xkcd_run *r, size_t i, const char *why)
{
    struct xkcd_comic *c = &r->comics[i];
    char from[PATH_MAX];
    if (c->status != XKCD_VERIFY)
        return;
    free(xkcd_take_verdict(r, i, from));
    if (from[0])
        unlink(from);
    c->status = XKCD_FAILED;
    c->why.step = XKCD_STEP_REJECTED;
    c->file[0] = '\0';
    snprintf(c->msg, sizeof c->msg, "image: %s", why);
    xkcd_clean_text(c->msg);
    xkcd_count(r, c->status);
}

const struct xkcd_comic *xkcd_comics(const struct xkcd_run *r)
{
    return r->comics;
}

void xkcd_destroy(struct xkcd_run *r)
{
    if (!r)
        return;
    if (!r->joined) {
        atomic_store(&r->stop, 1);
        /* each thread notices within one libcurl progress call (< 1 s) */
        while (!xkcd_wait(r, 1000))
            ;
    }
    for (unsigned k = 0; r->clients && k < r->nthreads; k++)
        fetch_client_destroy(r->clients[k]);
    fetch_share_destroy(r->share);
    for (size_t i = 0; r->sidecars && i < r->n; i++)
        free(r->sidecars[i]);
    for (size_t i = 0; r->verdicts && i < r->n; i++) {
        char path[PATH_MAX];
        if (r->verdicts[i]) {   /* never judged (interrupted): the image goes */
            free(xkcd_take_verdict(r, i, path));
            if (path[0])
                unlink(path);
            r->comics[i].status = XKCD_PENDING;
        }
    }
    free(r->verdicts);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    free(r->sidecars);
    free(r->clients);
    free(r->tids);
    free(r->comics);
    free(r->nums);
    free(r->out_dir);
    free(r->base_url);
    free(r);
}

int xkcd_latest(const char *base_url, const struct fetch_options *fopt,
                struct fetch_share *share, long *num, char *err, size_t errlen)
{
    struct fetch_client *fc;
    struct fetch_result res;
    struct xkcd_record rec;
    char url[PATH_MAX], why[192];
    char *base = xkcd_strip_slash(base_url);
    if (!base || fetch_client_create(fopt, share, &fc, err, errlen) != 0) {
        if (!base)
            snprintf(err, errlen, "out of memory");
        free(base);
        return -1;
    }
    snprintf(url, sizeof url, "%s/info.0.json", base);
    free(base);
    int rc = fetch_get(fc, url, XKCD_DEFAULT_MAX_JSON, &res);
    fetch_client_destroy(fc);
    if (rc != 0) {
        snprintf(err, errlen, "latest comic: %s", res.msg);
    } else if (xkcd_record_parse((const char *)res.body, res.len, &rec, why,
                                 sizeof why) != 0) {
        snprintf(err, errlen, "latest comic: %s", why);
        rc = -1;
    } else {
        *num = rec.num;
        xkcd_record_clear(&rec);
    }
    free(res.body);
    if (rc != 0)
        xkcd_clean_text(err);
    return rc;
}
