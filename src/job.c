/* job.c — one image through the chain, inside a pool worker.
 *
 * Order matters for hostile input: the file size is checked before reading,
 * the header (img_probe inside img_decode) before any pixel is allocated,
 * and the output goes to an unnamed temp file that becomes visible only when
 * it is complete (outfile). Each record carries an enum job_reason and the
 * reason's text; the CLI chooses the verb and puts the file name in.
 */
#include "imgpool/job.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgpool/meta.h"
#include "imgpool/outfile.h"
#include "imgpool/clock.h"

const char *job_reason_name(enum job_reason r)
{
    static const char *const names[JOB_REASON_COUNT] = {
        [JOB_DONE] = "done", [JOB_NOTE_ANIMATED] = "note-animated",
        [JOB_NOTE_MULTIPAGE] = "note-multipage",
        [JOB_NOTE_DAMAGED] = "note-damaged", [JOB_NOTE_METADATA] = "note-metadata",
        [JOB_UP_TO_DATE] = "up-to-date",
        [JOB_NOT_AN_IMAGE] = "not-an-image", [JOB_CANNOT_READ] = "cannot-read",
        [JOB_CANNOT_READ_FOLDER] = "cannot-read-folder",
        [JOB_CANNOT_DECODE] = "cannot-decode", [JOB_OUT_OF_MEMORY] = "out-of-memory",
        [JOB_CANNOT_PROCESS] = "cannot-process", [JOB_CANNOT_ENCODE] = "cannot-encode",
        [JOB_CANNOT_WRITE] = "cannot-write",
    };
    return (unsigned)r < JOB_REASON_COUNT ? names[r] : "unknown";
}

static int job_status_of(enum job_reason why)
{
    if (why <= JOB_NOTE_METADATA)
        return POOL_OK;
    return why <= JOB_NOT_AN_IMAGE ? POOL_SKIPPED : POOL_FAILED;
}

static int job_vend(struct pool_record *rec, enum job_reason why, enum job_detail detail,
                    const char *fmt, va_list ap)
{
    struct job_result *r = (struct job_result *)rec->data;
    vsnprintf(rec->msg, sizeof rec->msg, fmt, ap);
    r->reason = (uint8_t)why;
    r->detail = (uint8_t)detail;
    rec->data_len = sizeof *r;
    return job_status_of(why);
}

int job_end(struct pool_record *rec, enum job_reason why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = job_vend(rec, why, JOB_DETAIL_NONE, fmt, ap);
    va_end(ap);
    return status;
}

int job_end_detail(struct pool_record *rec, enum job_reason why, enum job_detail detail,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int status = job_vend(rec, why, detail, fmt, ap);
    va_end(ap);
    return status;
}

/* The size and limit a typed detail compares, beside rec->msg's numbers. */
static void job_sizes(struct pool_record *rec, uint64_t size, uint64_t limit)
{
    struct job_result *r = (struct job_result *)rec->data;
    r->size = size;
    r->limit = limit;
}

enum img_format job_output_format(const struct job_options *o, enum img_format in)
{
    if (o->format != IMG_FMT_UNKNOWN)
        return o->format;
    return img_format_writable(in) ? in : IMG_FMT_PNG;
}

/* The worker's input buffer, reused from file to file; one larger than
 * JOB_KEEP_BYTES is let go after its file (job_read_done), so a rare huge
 * input does not pin memory under the worker's address-space limit. */
#define JOB_KEEP_BYTES (64u << 20)
static unsigned char *job_in;
static size_t job_in_cap;

static void job_read_done(void)
{
    if (job_in_cap > JOB_KEEP_BYTES) {
        free(job_in);
        job_in = NULL;
        job_in_cap = 0;
    }
}

/* Reads the whole open file into job_in (valid until the next job_read).
 * 0, or -1 with the record filled. */
static int job_read(int fd, const struct stat *st, uint64_t max_bytes,
                    unsigned char **buf, size_t *len, struct pool_record *rec)
{
    if (max_bytes && (uint64_t)st->st_size > max_bytes) {
        job_end_detail(rec, JOB_CANNOT_READ, JOB_DETAIL_FILE_TOO_LARGE,
                       "file too large: %lld bytes exceeds %llu", (long long)st->st_size,
                       (unsigned long long)max_bytes);
        job_sizes(rec, (uint64_t)st->st_size, max_bytes);
        return -1;
    }
    size_t cap = (size_t)st->st_size, n = 0;
    if (job_in_cap < cap || !job_in) {
        free(job_in);
        job_in = malloc(cap ? cap : 1);
        job_in_cap = job_in ? cap : 0;
    }
    unsigned char *b = job_in;
    int err = b ? 0 : ENOMEM;
    while (!err && n < cap) {
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            err = errno;
        else if (r == 0)
            break;   /* shrank while we read: take what is there */
        else
            n += (size_t)r;
    }
    if (err) {
        job_read_done();
        job_end(rec, JOB_CANNOT_READ, "%s", strerror(err));
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* A name that promises an image makes unrecognised content an error; any
 * other non-image (README.txt, .DS_Store) is skipped with a note. */
static int job_not_an_image(const char *path, struct pool_record *rec)
{
    static const char *const exts[] = { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga",
                                        ".ppm", ".pgm", ".pnm", ".psd", ".hdr", ".pic",
                                        ".webp", ".tif", ".tiff", ".heic", ".heif", ".avif" };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof exts / sizeof *exts; i++) {
        if (strcasecmp(dot, exts[i]) == 0)
            return job_end_detail(rec, JOB_CANNOT_DECODE, JOB_DETAIL_NAMED_LIKE_IMAGE,
                                  "not an image (content does not match its %s name)",
                                  exts[i]);
    }
    return job_end(rec, JOB_NOT_AN_IMAGE, "not an image");
}

/* The size after each op, planned on the full upright size w x h, so a
 * resize keeps its meaning ("50%") when the decoder hands back a reduced-scale
 * JPEG. Also sets the decode hints: the first resize's size, and gray when
 * gray comes first (the decoder may then give luma straight away). */
static void job_plan(const struct job_options *o, unsigned w, unsigned h,
                     unsigned sizes[][2], struct img_load_opts *lo)
{
    int hinted = 0;
    lo->gray = o->nops > 0 && o->ops[0].kind == JOB_OP_GRAY;
    for (unsigned i = 0; i < o->nops; i++) {
        if (o->ops[i].kind == JOB_OP_RESIZE) {
            geom_apply(&o->ops[i].geom, w, h, &w, &h);
            if (!hinted) {
                lo->target_w = w;
                lo->target_h = h;
                hinted = 1;
            }
        }
        sizes[i][0] = w;
        sizes[i][1] = h;
    }
}

/* This process's codec, made on first use and kept until exit: buffers and
 * compressor state are reused from one file to the next. */
static struct img_codec *job_codec;

static struct img_save_opts job_save_opts(const struct job_options *o)
{
    return (struct img_save_opts){.quality = o->quality, .png_level = o->png_level,
                                  .sampling = o->sampling, .progressive = o->progressive,
                                  .optimize = o->optimize, .lossless = o->lossless};
}

/* One image in the chain: pixels, or (JPEG to JPEG) the YCbCr planes. */
struct job_image {
    int planar;                  /* 1: planes hold it, im is unused */
    struct img im;
    struct img_planes planes;
};

static void job_image_free(struct job_image *ji)
{
    img_free(&ji->im);
    img_planes_free(&ji->planes);
}

/* The image's shape for the result record. */
static struct img job_image_shape(const struct job_image *ji)
{
    if (!ji->planar)
        return ji->im;
    return (struct img){NULL, ji->planes.w, ji->planes.h, ji->planes.n};
}

/* The planes can go through when a JPEG becomes a JPEG and every op is one
 * they support (gray, resize). */
static int job_wants_planes(const struct job_options *o, enum img_format out_fmt)
{
    if (out_fmt != IMG_FMT_JPG)
        return 0;
    for (unsigned i = 0; i < o->nops; i++)
        if (o->ops[i].kind != JOB_OP_GRAY && o->ops[i].kind != JOB_OP_RESIZE)
            return 0;
    return 1;
}

/* Decodes into planes if they apply (info->fmt is the probed format), else
 * into pixels. 0, or -1 with a message. */
static int job_decode_image(const struct job_options *o, const unsigned char *buf, size_t len,
                      const struct img_load_opts *lo, struct img_info *info,
                      struct job_image *ji, char *err, size_t errlen)
{
    if (info->fmt == IMG_FMT_JPG && job_wants_planes(o, job_output_format(o, info->fmt))) {
        int rc = img_codec_decode_planes(job_codec, buf, len, lo, &ji->planes, info, err, errlen);
        if (rc <= 0) {
            ji->planar = rc == 0;
            return rc;
        }
    }
    return img_codec_decode(job_codec, buf, len, lo, &ji->im, info, err, errlen);
}

static int job_apply_ops(const struct job_options *o, unsigned sizes[][2], struct job_image *ji,
                         struct pool_record *rec)
{
    char err[200];
    const struct img_save_opts so = job_save_opts(o);
    struct img *im = &ji->im;
    for (unsigned i = 0; i < o->nops; i++) {
        int rc = 0;
        if (ji->planar && o->ops[i].kind == JOB_OP_GRAY)
            img_planes_gray(&ji->planes);
        else if (ji->planar)
            rc = img_planes_resize(&ji->planes, sizes[i][0], sizes[i][1], &so, err, sizeof err);
        else if (o->ops[i].kind == JOB_OP_GRAY)
            rc = img_gray(im, err, sizeof err);
        else if (sizes[i][0] != im->w || sizes[i][1] != im->h)
            rc = img_resize(im, sizes[i][0], sizes[i][1], err, sizeof err);
        if (rc != 0)
            return job_end(rec, JOB_CANNOT_PROCESS, "%s", err), -1;
    }
    return 0;
}


/* First file in this process: the codec, and malloc told to keep image-sized
 * blocks (up to 64 MiB) in its heap. By default glibc maps each block above
 * 128 KiB afresh and unmaps it on free, so every decoded image paid page
 * faults again (the wallpapers' 59 MB buffers above all). On the fit
 * benchmark, --procs 2: system time 0.28 -> 0.18 s, wall -5%, for a largest
 * worker peak of 128 MiB instead of 108 MiB. */
static int job_worker_start(char *err, size_t errlen)
{
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 128 << 20);
    return img_codec_create(&job_codec, err, errlen);
}

/* What goes into the output of the input's metadata m (changed in place):
 * nothing but a kept profile under --strip; otherwise EXIF rewritten for the
 * output (no thumbnail, orientation 1 once applied, its size w x h) and XMP
 * as it was but for its orientation. The ICC profile is in m only with
 * --keep-profile (img_decode drops it after converting to sRGB). A block that cannot be kept goes,
 * with the
 * reason in note unless it already holds one. */
static void job_output_meta(const struct job_options *o, unsigned w, unsigned h,
                            struct img_meta *m, char *note, size_t notelen)
{
    if (o->strip) {
        unsigned char *icc = m->icc;
        size_t icc_len = m->icc_len;
        m->icc = NULL;
        img_meta_free(m);
        m->icc = icc;
        m->icc_len = icc_len;
        return;
    }
    if (m->exif) {
        unsigned char *exif = NULL;
        size_t n = 0;
        char why[100];
        if (meta_exif_for_output(m->exif, m->exif_len, o->autorotate, w, h, &exif, &n,
                                 why, sizeof why) != 0 && !note[0])
            snprintf(note, notelen, "%s", why);     /* a decoder's note comes first */
        free(m->exif);
        m->exif = exif;
        m->exif_len = n;
    }
    if (m->xmp && o->autorotate)
        meta_xmp_reset_orientation(m->xmp, m->xmp_len);
}

static int job_write(const struct job_options *o, struct job_image *ji, enum img_format fmt,
                     const struct img_meta *meta, const char *out_path, struct pool_record *rec)
{
    char err[200];
    struct outfile *f;
    struct img_save_opts so = job_save_opts(o);
    so.meta = meta;
    size_t root = o->out_root ? strlen(o->out_root) : 0;
    int beneath = root && strncmp(out_path, o->out_root, root) == 0 && out_path[root] == '/';
    if ((beneath ? outfile_open_beneath(o->out_root, out_path + root + 1, &f, err, sizeof err)
                 : outfile_open(out_path, &f, err, sizeof err)) != 0)
        return job_end(rec, JOB_CANNOT_WRITE, "%s", err), -1;
    long long n = ji->planar
                      ? img_codec_encode_planes(job_codec, &ji->planes, &so, outfile_fd(f), err,
                                                sizeof err)
                      : img_codec_encode(job_codec, &ji->im, fmt, &so, outfile_fd(f), err,
                                         sizeof err);
    if (n < 0) {
        outfile_abort(f);
        return job_end(rec, JOB_CANNOT_ENCODE, "%s", err), -1;
    }
    if (outfile_commit(f, err, sizeof err) != 0)
        return job_end(rec, JOB_CANNOT_WRITE, "%s", err), -1;
    rec->bytes_out = (uint64_t)n;
    return 0;
}

static int job_newer(const struct stat *a, const struct stat *b)
{
    if (a->st_mtim.tv_sec != b->st_mtim.tv_sec)
        return a->st_mtim.tv_sec > b->st_mtim.tv_sec;
    return a->st_mtim.tv_nsec >= b->st_mtim.tv_nsec;
}

/* Skip or refuse before any decoding: 1 = decided (status in *status). */
static int job_check_output(const struct job_options *o, const struct stat *in,
                            const char *out_path, struct pool_record *rec, int *status)
{
    struct stat out;
    if (lstat(out_path, &out) != 0)   /* a symlink there is replaced, never followed */
        return 0;
    if (out.st_dev == in->st_dev && out.st_ino == in->st_ino) {
        *status = job_end_detail(rec, JOB_CANNOT_WRITE, JOB_DETAIL_OVERWRITE_INPUT,
                                 "output would overwrite the input");
        return 1;
    }
    if (!o->force && S_ISREG(out.st_mode) && out.st_size > 0 && job_newer(&out, in)) {
        *status = job_end(rec, JOB_UP_TO_DATE, "up to date");
        return 1;
    }
    return 0;
}

static void job_fill_result(struct pool_record *rec, const struct img_info *info,
                            const struct img *im, enum img_format out_fmt)
{
    struct job_result *r = (struct job_result *)rec->data;
    r->in_w = info->w;
    r->in_h = info->h;
    r->in_ch = info->ch;
    r->in_fmt = (uint8_t)info->fmt;
    r->out_fmt = (uint8_t)out_fmt;
    r->animated = (uint8_t)(info->animated != 0);
    r->multipage = (uint8_t)(info->multipage != 0);
    r->orientation = (uint8_t)info->orientation;
    if (im) {
        r->out_w = im->w;
        r->out_h = im->h;
        r->out_ch = im->ch;
    }
    if (info->animated)
        job_end(rec, JOB_NOTE_ANIMATED, "animated %s, first frame only",
                img_format_label(info->fmt));
    else if (info->multipage)
        job_end(rec, JOB_NOTE_MULTIPAGE, "multi-page %s, first page only",
                img_format_label(info->fmt));
    else if (info->warning[0]) {
        job_end(rec, JOB_NOTE_DAMAGED, "damaged data, converted what was readable (%s)",
                info->warning);
        snprintf(r->warning, sizeof r->warning, "%s", info->warning);
    }
    else if (info->note[0])
        job_end(rec, JOB_NOTE_METADATA, "%s", info->note);
    else
        job_end(rec, JOB_DONE, "%s", "");
}

/* "64M" for 64 MiB: the way --max-memory is written. */
static void job_format_bytes(uint64_t v, char *buf, size_t len)
{
    static const char units[] = "GMK";
    for (int i = 0; i < 3; i++) {
        uint64_t u = 1ull << (10 * (3 - i));
        if (v >= u && v % u == 0) {
            snprintf(buf, len, "%llu%c", (unsigned long long)(v / u), units[i]);
            return;
        }
    }
    snprintf(buf, len, "%llu", (unsigned long long)v);
}

/* The header's size, for a record typed by it. */
static void job_shape(struct pool_record *rec, const struct img_info *info)
{
    struct job_result *r = (struct job_result *)rec->data;
    r->in_w = info->w;
    r->in_h = info->h;
    r->in_ch = info->ch;
}

/* A probe that refused the header's size: the record typed by the limit. */
static void job_over_limit(struct pool_record *rec, const struct img_info *info,
                           uint64_t max_pixels)
{
    struct job_result *r = (struct job_result *)rec->data;
    if (info->over == IMG_LIMIT_NONE)
        return;
    if (info->over == IMG_LIMIT_PIXELS) {
        r->detail = JOB_DETAIL_OVER_PIXELS;
        job_sizes(rec, 0, max_pixels);
    } else if (info->over == IMG_LIMIT_SIDE) {
        r->detail = JOB_DETAIL_OVER_SIDE;
        job_sizes(rec, 0, IMG_MAX_SIDE);
    } else {
        r->detail = JOB_DETAIL_OVER_DECODER;
        job_sizes(rec, (uint64_t)info->w * info->h * info->ch, IMG_DECODER_MAX_BYTES);
    }
    job_shape(rec, info);
}

/* After a failed decode: if the decoded pixels alone cannot be allocated
 * under this worker's memory ceiling, that is the true reason, whatever the
 * decoder said (stb_image then often reports a stale reason). 1 if so, with
 * the record filled. */
static int job_out_of_memory(const struct img_info *info, struct pool_record *rec)
{
    static const char *const layout[] = { "", "gray", "gray+alpha", "RGB", "RGBA" };
    uint64_t need = (uint64_t)info->w * info->h * (info->ch ? info->ch : 4);
    void *p = need <= SIZE_MAX ? malloc((size_t)need) : NULL;
    free(p);
    if (p)
        return 0;
    char limit[64] = "";
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        memcpy(limit, ", --max-memory is ", 18);
        job_format_bytes(rl.rlim_cur, limit + 18, sizeof limit - 18);
    }
    job_end_detail(rec, JOB_OUT_OF_MEMORY, JOB_DETAIL_NEEDS_MEMORY,
                   "out of memory: %ux%u %s needs about %llu MiB%s",
                   info->w, info->h, layout[info->ch <= 4 ? info->ch : 4],
                   (unsigned long long)((need + (1u << 19)) >> 20), limit);
    job_sizes(rec, need, limit[0] ? (uint64_t)rl.rlim_cur : 0);
    job_shape(rec, info);
    return 1;
}

/* Opens the input without blocking (a FIFO must not hang the worker) and
 * takes regular files only. The descriptor, or -1 with the record filled. */
static int job_open_input(const char *path, struct stat *st, struct pool_record *rec)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return job_end(rec, JOB_CANNOT_READ, "%s", strerror(errno)), -1;
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
        int e = errno;
        if (S_ISREG(st->st_mode))
            job_end(rec, JOB_CANNOT_READ, "%s", strerror(e));
        else
            job_end_detail(rec, JOB_CANNOT_READ, JOB_DETAIL_NOT_REGULAR, "not a regular file");
        close(fd);
        return -1;
    }
    return fd;
}

/* Reads buf's header into info. 0, or -1 with the record filled, typed by
 * the limit it is over, if any. */
static int job_probe(const struct job_options *o, const unsigned char *buf, size_t len,
                     struct img_info *info, struct pool_record *rec)
{
    char err[POOL_MSG_MAX];
    if (img_probe(buf, len, o->max_pixels, info, err, sizeof err) == 0)
        return 0;
    job_end(rec, JOB_CANNOT_DECODE, "%s", err);
    job_over_limit(rec, info, o->max_pixels);
    return -1;
}

/* Fills the record after a failed decode of an image probed as probed: out
 * of memory if its pixels cannot be had, else the decoder's words in err. */
static void job_decode_failed(const struct img_info *probed, const char *err,
                              struct pool_record *rec)
{
    if (!job_out_of_memory(probed, rec))
        job_end(rec, JOB_CANNOT_DECODE, "%s", err);
}

/* Header, then pixels: the probe result goes into the decoder, so the header
 * (and a JPEG's EXIF) is parsed once. 0, or -1 with the record filled. */
static int job_decode(const struct job_options *o, const unsigned char *buf, size_t len,
                      struct img_info *info, struct job_image *ji, unsigned sizes[][2],
                      struct img_meta *meta, struct pool_record *rec)
{
    char err[POOL_MSG_MAX];
    struct img_load_opts lo = {.max_pixels = o->max_pixels, .autorotate = o->autorotate,
                               .keep_profile = o->keep_profile, .meta = meta,
                               .no_embedded_thumbnail = o->no_embedded_thumbnail};
    if (job_probe(o, buf, len, info, rec) != 0)
        return -1;
    if (o->dry_run)
        return 0;
    int turned = o->autorotate && info->orientation >= 5;
    job_plan(o, turned ? info->h : info->w, turned ? info->w : info->h, sizes, &lo);
    struct img_info probed = *info;
    lo.probed = &probed;
    if (job_decode_image(o, buf, len, &lo, info, ji, err, sizeof err) == 0)
        return 0;
    job_decode_failed(&probed, err, rec);
    return -1;
}

/* The codec (first file of this worker) and in_path's bytes (job_read). */
static int job_input(const struct job_options *o, int fd, const struct stat *st,
                     unsigned char **buf, size_t *len, struct pool_record *rec)
{
    char err[200];
    if (!job_codec && job_worker_start(err, sizeof err) != 0) {
        job_end(rec, JOB_OUT_OF_MEMORY, "%s", err);
        return -1;
    }
    if (job_read(fd, st, o->max_file_bytes, buf, len, rec) != 0)
        return -1;
    rec->bytes_in = *len;
    return 0;
}

int job_verify(const struct job_options *o, const char *in_path, struct pool_record *rec)
{
    struct stat st;
    char err[POOL_MSG_MAX];
    unsigned char *buf = NULL;
    size_t len = 0;
    int fd = job_open_input(in_path, &st, rec);
    if (fd < 0)
        return POOL_FAILED;
    int read_rc = job_input(o, fd, &st, &buf, &len, rec);
    close(fd);
    if (read_rc != 0)
        return POOL_FAILED;
    struct img_info info;
    struct img im = {0};
    struct img_load_opts lo = {.max_pixels = o->max_pixels};
    int64_t t0 = clock_now_ns();
    int rc = -1;
    if (img_sniff(buf, len) == IMG_FMT_UNKNOWN)
        job_end(rec, JOB_CANNOT_DECODE, "not an image this build decodes");
    else if (job_probe(o, buf, len, &info, rec) == 0) {
        struct img_info probed = info;
        rc = img_codec_decode(job_codec, buf, len, &lo, &im, &info, err, sizeof err);
        if (rc != 0)
            job_decode_failed(&probed, err, rec);
    }
    job_read_done();
    if (rc != 0)
        return POOL_FAILED;
    job_fill_result(rec, &info, &im, info.fmt);
    ((struct job_result *)rec->data)->decode_ns = clock_now_ns() - t0;
    img_free(&im);
    return POOL_OK;
}

int job_file(const struct job_options *o, const char *in_path, const char *out_path,
             struct pool_record *rec)
{
    struct stat st;
    int fd = job_open_input(in_path, &st, rec);
    if (fd < 0)
        return POOL_FAILED;
    int status;
    if (job_check_output(o, &st, out_path, rec, &status)) {
        close(fd);
        return status;
    }
    unsigned char *buf = NULL;
    size_t len = 0;
    int rc = job_input(o, fd, &st, &buf, &len, rec);
    close(fd);
    if (rc != 0)
        return POOL_FAILED;
    struct job_result *res = (struct job_result *)rec->data;
    if (img_sniff(buf, len) == IMG_FMT_UNKNOWN) {
        job_read_done();
        return job_not_an_image(in_path, rec);
    }

    struct img_info info;
    struct job_image ji = {0};
    struct img_meta meta = {0};
    unsigned sizes[JOB_OPS_MAX][2];
    int64_t t0 = clock_now_ns();
    rc = job_decode(o, buf, len, &info, &ji, sizes, &meta, rec);
    job_read_done();
    if (rc != 0) {
        img_meta_free(&meta);
        /* an image in a format imgpool does not read fails (not skipped), typed
         * by its format, so a report can tell it from a damaged file */
        res->in_fmt = (uint8_t)info.fmt;
        res->unsupported = !img_format_readable(info.fmt);
        return POOL_FAILED;
    }
    enum img_format fmt = job_output_format(o, info.fmt);
    if (o->dry_run) {
        job_fill_result(rec, &info, NULL, fmt);
        return POOL_OK;
    }
    int64_t t1 = clock_now_ns();
    rc = job_apply_ops(o, sizes, &ji, rec);
    int64_t t2 = clock_now_ns();
    if (rc == 0 && !ji.planar)
        img_drop_opaque_alpha(&ji.im);
    struct img shape = job_image_shape(&ji);
    if (rc == 0) {
        job_output_meta(o, shape.w, shape.h, &meta, info.note, sizeof info.note);
        rc = job_write(o, &ji, fmt, &meta, out_path, rec);
    }
    img_meta_free(&meta);
    if (rc == 0)
        job_fill_result(rec, &info, &shape, fmt);
    res->decode_ns = t1 - t0;
    res->ops_ns = t2 - t1;
    res->encode_ns = clock_now_ns() - t2;
    job_image_free(&ji);
    return rc == 0 ? POOL_OK : POOL_FAILED;
}
