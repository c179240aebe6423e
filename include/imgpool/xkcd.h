/* xkcd.h — download xkcd comics with parallel threads.
 *
 * The pieces, in the order a download uses them:
 *
 *   xkcd_range_parse   "100-109,200,latest-9-latest" -> sorted comic numbers
 *   xkcd_start         N threads, each with its own fetch_client, claim the
 *                      numbers one at a time; per comic (xkcd_comic_fetch's
 *                      steps, the same for --sequential and --threads N):
 *                        already on disk?  -> cached, no request
 *                        GET BASE/N/info.0.json, parse it with cJSON
 *                        img usable?       -> else "no image", skipped
 *                        GET img, check it is a complete PNG/JPEG/GIF/WebP
 *                        write NNNN-<slug>.<ext> and NNNN-<slug>.json
 *                        (each to a temp file, then rename); with
 *                        opt.verify the image waits under a pending name
 *                        for the caller's verdict (xkcd_accept: renamed,
 *                        sidecar written; xkcd_reject: deleted)
 *   xkcd_wait          the caller's bounded wait, for a progress display
 *   xkcd_comics        one result per number, in input order
 *
 * Output names come from the comic number and a slug of its title, never
 * from the img URL: a hostile URL can choose neither folder nor name, and
 * two comics sharing one image file get two files. The extension is the
 * format the downloaded bytes turned out to have.
 *
 * Callbacks run in the download threads (several at once): they must be
 * thread-safe, quick, and must not print from library code's point of view
 * (the CLI's callbacks may). A comic ends up in exactly one status.
 */
#ifndef IMGPOOL_XKCD_H
#define IMGPOOL_XKCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imgpool/fetch.h"

#define XKCD_DEFAULT_BASE_URL "https://xkcd.com"
#define XKCD_BASE_URL_ENV "IMGPOOL_XKCD_BASE_URL"
#define XKCD_NUM_MAX 9999999L        /* largest comic number accepted */
#define XKCD_RANGE_MAX 100000        /* most comics one range may name */
#define XKCD_SLUG_MAX 48             /* bytes of title slug in a file name */
#define XKCD_NAME_MAX 80             /* file name buffer: NNNN-slug.ext */
#define XKCD_PENDING_MAX (XKCD_NAME_MAX + 18)  /* ".NAME.imgpool-pending" */
#define XKCD_DEFAULT_THREADS 8       /* download threads unless told */

/* ---- range grammar -------------------------------------------------------
 *   range := item { "," item }
 *   item  := bound [ "-" bound ]            a single comic or lo..hi
 *   bound := NUMBER | "latest" [ "-" NUMBER ]
 * e.g. "100-109", "100,105,200-210", "latest", "latest-9-latest",
 * "2900-latest". No spaces; numbers from 1; lo <= hi. */

/* Parses spec into a sorted array of distinct comic numbers (*nums, *n; the
 * caller frees *nums). latest is the latest comic's number, needed only when
 * spec says "latest" (see xkcd_range_uses_latest); numbers above latest are
 * kept (they will be "not found"). Returns 0, or -1 and a message naming the
 * problem. Any thread. */
int xkcd_range_parse(const char *spec, long latest, long **nums, size_t *n,
                     char *err, size_t errlen);
/* True if spec mentions "latest", so the caller must look it up first. */
bool xkcd_range_uses_latest(const char *spec);

/* ---- records ------------------------------------------------------------ */

/* One comic's API record. Strings are owned (xkcd_record_clear frees them)
 * and never NULL after a successful parse; missing fields are "" or 0. */
struct xkcd_record {
    long num;
    char *title, *safe_title, *alt, *img, *transcript, *link, *news;
    int year, month, day;
};

/* Parses an info.0.json body (len bytes, need not be NUL-terminated) with
 * cJSON. Requires an object with a numeric "num"; the date fields may be
 * strings (as xkcd sends them) or numbers. Returns 0, or -1 and a message
 * (out is then empty). */
int xkcd_record_parse(const char *json, size_t len, struct xkcd_record *out,
                      char *err, size_t errlen);
void xkcd_record_clear(struct xkcd_record *r);

/* ---- names and content checks ------------------------------------------- */

/* Writes a file-name-safe slug of title into out: lower-case ASCII letters
 * and digits, every other run of bytes (spaces, punctuation, '/', '.',
 * control and non-ASCII bytes) becomes one '_', no leading or trailing '_',
 * at most XKCD_SLUG_MAX bytes; "comic" if nothing is left. outlen must be
 * > XKCD_SLUG_MAX. Returns out. */
char *xkcd_slug(const char *title, char *out, size_t outlen);

/* Writes "NNNN-<slug>.<ext>" (number zero-padded to 4 digits) into out,
 * which has room for XKCD_NAME_MAX bytes. ext must be a short lower-case
 * extension from xkcd_image_format. Returns out. */
char *xkcd_file_name(long num, const char *title, const char *ext, char *out);

/* What a record's img field means. */
enum xkcd_img_kind {
    XKCD_IMG_OK = 0,   /* an http(s) URL naming a file */
    XKCD_IMG_NONE,     /* empty, or a bare folder (interactive comics) */
    XKCD_IMG_BAD,      /* another scheme, or not a URL at all */
};
/* Classifies img (a record without an "img" string fails xkcd_record_parse);
 * for XKCD_IMG_NONE and XKCD_IMG_BAD leaves a reason. */
int xkcd_img_check(const char *img, char *err, size_t errlen);

/* Checks that buf holds one complete image and names its format: "png",
 * "jpg", "gif" or "webp". NULL, with a reason in err, for an HTML page, a
 * truncated file (no PNG IEND, JPEG EOI or GIF trailer; a short WebP) or
 * anything else. */
const char *xkcd_image_format(const unsigned char *buf, size_t len,
                              char *err, size_t errlen);

/* ---- the downloader ----------------------------------------------------- */

enum xkcd_status {
    XKCD_PENDING = 0,  /* not handled (yet, or stopped before it) */
    XKCD_OK,           /* downloaded now */
    XKCD_CACHED,       /* already in out_dir from an earlier run */
    XKCD_NOT_FOUND,    /* the site has no such comic (HTTP 404) */
    XKCD_NO_IMAGE,     /* the record names no image: skipped */
    XKCD_FAILED,       /* an error, in msg */
    XKCD_VERIFY,       /* opt.verify: the image is in out_dir under its pending
                          name, waiting for xkcd_accept or xkcd_reject */
};

/* Where a comic's handling stopped, typed, for a caller that words the
 * failure itself (msg is the tool's English wording of the same). */
enum xkcd_step {
    XKCD_STEP_NONE = 0,     /* it did not fail */
    XKCD_STEP_RECORD,       /* GET N/info.0.json failed (the request fields) */
    XKCD_STEP_RECORD_BAD,   /* the answer is no xkcd record, or another comic's */
    XKCD_STEP_IMG_URL,      /* the record names no image (XKCD_NO_IMAGE) or no
                               http(s) URL */
    XKCD_STEP_IMAGE,        /* GET of the image failed (the request fields) */
    XKCD_STEP_IMAGE_BAD,    /* the bytes are not one complete PNG/JPEG/GIF/WebP */
    XKCD_STEP_SAVE,         /* writing its files failed (or out of memory) */
    XKCD_STEP_REJECTED,     /* xkcd_reject: the caller's verdict on the image */
};
struct xkcd_failure {
    int step;                /* enum xkcd_step */
    /* XKCD_STEP_RECORD and XKCD_STEP_IMAGE: the failed request, as fetch_get
     * reported it (struct fetch_result) */
    int outcome;             /* enum fetch_outcome */
    long status;             /* last HTTP status, 0 if none arrived */
    unsigned attempts;       /* requests made for it, retries included */
    const char *lib_reason;  /* libcurl's own words, or NULL (static) */
};

/* One comic's result. Written by the thread that handled it; read it from
 * on_comic in that thread, or after xkcd_wait returned 1. */
struct xkcd_comic {
    long num;
    size_t index;               /* position in the nums given to xkcd_start */
    int status;                 /* enum xkcd_status */
    unsigned thread;            /* download thread, 0..threads-1 */
    char file[XKCD_NAME_MAX];   /* OK, CACHED: image file name in out_dir */
    uint64_t bytes;             /* bytes received (JSON and image) */
    unsigned attempts;          /* requests made, retries included */
    int64_t start_ns, end_ns;   /* CLOCK_MONOTONIC span of its handling */
    char msg[256];              /* FAILED, NOT_FOUND, NO_IMAGE: why, in English */
    struct xkcd_failure why;    /* the same, typed */
};

/* One finished HTTP request (retries included), for timelines and traces. */
enum xkcd_req_kind { XKCD_REQ_JSON, XKCD_REQ_IMAGE };
struct xkcd_request {
    long num;
    unsigned thread;
    int kind;                   /* enum xkcd_req_kind */
    int outcome;                /* enum fetch_outcome */
    unsigned attempts;
    uint64_t bytes;
    int64_t start_ns, end_ns;
};

/* Progress counters, any thread, any time. */
struct xkcd_progress {
    size_t total, done;         /* comics, and comics in a final status */
    size_t ok, cached, not_found, no_image, failed;
    uint64_t bytes;             /* received so far */
    unsigned threads;
    unsigned throttled;         /* 429 Too Many Requests answers */
    unsigned lowest_limit;      /* fewest requests in flight the 429s left
                                   allowed (fetch.h), 0: never limited */
    char down[256];             /* "" or, when the site answered no request
                                   and the run stopped early, why: always a
                                   network failure, in libcurl's own words */
};

struct xkcd_options {
    const char *base_url;       /* required: "https://xkcd.com", no '/' at the end */
    const char *out_dir;        /* required: an existing folder */
    unsigned threads;           /* 0: XKCD_DEFAULT_THREADS; never more than
                                   there are comics */
    bool force;                 /* download again what is already there */
    bool verify;                /* each downloaded image waits (XKCD_VERIFY)
                                   for xkcd_accept or xkcd_reject, e.g. after
                                   a full decode in a pool worker; until then
                                   no sidecar marks it done */
    size_t max_json;            /* body caps; 0: 1 MiB ... */
    size_t max_image;           /* ... and 32 MiB */
    struct fetch_options fetch; /* should_stop is set by xkcd_start */

    /* Download thread, after each request. Optional. */
    void (*on_request)(void *ctx, const struct xkcd_request *rq);
    /* Download thread, once per comic when it reaches its final status
     * (files are in place for OK), or XKCD_VERIFY (the pending image is in
     * place; its final status comes from xkcd_accept/xkcd_reject and gets no
     * call). Optional. */
    void (*on_comic)(void *ctx, const struct xkcd_comic *c);
    /* Called once when no comic is left to download (by the last thread to
     * finish, or by xkcd_start if there is nothing to do), before
     * xkcd_wait can return 1: e.g. pool_close. Optional. */
    void (*on_finish)(void *ctx);
    /* Polled by every thread between and during requests: non-zero stops the
     * download (unfinished comics stay XKCD_PENDING). Optional. */
    int (*should_stop)(void *ctx);
    void *ctx;
};

struct xkcd_run;

/* Starts the download of nums (n numbers, ascending and distinct, as
 * xkcd_range_parse gives them; copied) with min(threads, n) threads, whose
 * clients share one fetch_share (DNS, TLS sessions) owned by the run.
 * fetch_global_init must have run. Returns 0 and *out (free with
 * xkcd_destroy), or -1 and a message if nothing started. Call from one
 * thread (the one that waits). */
int xkcd_start(const struct xkcd_options *opt, const long *nums, size_t n,
               struct xkcd_run **out, char *err, size_t errlen);

/* Waits up to timeout_ms. Returns 1 once every thread has ended (joined),
 * 0 if they are still running. */
int xkcd_wait(struct xkcd_run *r, unsigned timeout_ms);

/* Counters now. Any thread. */
void xkcd_progress(const struct xkcd_run *r, struct xkcd_progress *out);

/* The results, one per number in the order given to xkcd_start; complete
 * once xkcd_wait returned 1. Owned by r. */
const struct xkcd_comic *xkcd_comics(const struct xkcd_run *r);

/* Stops the threads if still running (a transfer in flight is aborted
 * within about a second), joins them and frees r. NULL: no-op. */
void xkcd_destroy(struct xkcd_run *r);

/* The pending name of image file `file`: ".FILE.imgpool-pending", into out
 * (XKCD_PENDING_MAX bytes). A run removes the pending images of its comics
 * that a killed run left. Returns out. */
char *xkcd_pending_name(const char *file, char *out);

/* The verdict on comic index i in XKCD_VERIFY (any other status: no-op).
 * xkcd_accept moves the image to its final name and writes the sidecar that
 * marks it done: XKCD_OK, 0 (or XKCD_FAILED, -1, if that fails); xkcd_reject
 * deletes the image: XKCD_FAILED, with msg "image: WHY". Call from one
 * thread (the one that waits), after on_comic reported XKCD_VERIFY; a comic
 * still waiting when the run is destroyed is deleted and left XKCD_PENDING. */
int xkcd_accept(struct xkcd_run *r, size_t i);
void xkcd_reject(struct xkcd_run *r, size_t i, const char *why);

/* Looks up the latest comic's number (GET base_url/info.0.json) with a
 * client of its own. Returns 0 and *num, or -1 and a message. */
int xkcd_latest(const char *base_url, const struct fetch_options *fopt,
                struct fetch_share *share, long *num, char *err, size_t errlen);

#endif
