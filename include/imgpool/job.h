/* job.h — the per-image work: read, decode, operate, encode, commit.
 *
 * The folder job and the xkcd pipeline both run job_file() inside pool
 * workers; it reports through the pool record only (status, msg, bytes and
 * a struct job_result in rec->data). Never prints, never exits.
 */
#ifndef IMGPOOL_JOB_H
#define IMGPOOL_JOB_H

#include <stdint.h>

#include "imgpool/geom.h"
#include "imgpool/img.h"
#include "imgpool/pool.h"

/* One operation of the chain, applied in the order given on the command line. */
enum job_op_kind { JOB_OP_GRAY = 1, JOB_OP_RESIZE };
struct job_op {
    enum job_op_kind kind;
    struct geom geom;            /* JOB_OP_RESIZE */
};

#define JOB_OPS_MAX 16

struct job_options {
    struct job_op ops[JOB_OPS_MAX];
    unsigned nops;
    enum img_format format;      /* IMG_FMT_UNKNOWN: keep the input's if writable, else PNG */
    int quality;                 /* 1..100; 0: the format's default (JPEG 90, WebP 80, AVIF 75) */
    int png_level;               /* PNG compression 1..12; 0: the default (6) */
    enum img_sampling sampling;  /* JPEG chroma subsampling; 0: 4:2:0 */
    int progressive, optimize;   /* JPEG: progressive scans, optimal Huffman tables */
    int lossless;                /* WebP output lossless */
    int autorotate;              /* apply EXIF orientation */
    int no_embedded_thumbnail;   /* never decode a HEIC's thumbnail in place of the image */
    int keep_profile;            /* keep pixels in their embedded ICC profile and embed it
                                    in the output; default: convert to sRGB, drop it */
    int strip;                   /* write no metadata (EXIF, XMP; the ICC profile too,
                                    unless keep_profile) */
    uint64_t max_pixels;         /* refuse larger images after the header; 0: no limit */
    uint64_t max_file_bytes;     /* refuse larger files before reading; 0: no limit */
    int force;                   /* redo outputs that are up to date */
    int dry_run;                 /* decide, but write nothing */
    const char *out_root;        /* if set, the output folder: an out_path below it is
                                    reached without following any symlink below it */
};

/* Why a file ended as it did. Every record job_file (or job_end) writes
 * carries one in struct job_result, so a caller decides by it, never by the
 * text: rec->msg holds only the human reason ("JPEG: bad huffman code"). */
enum job_reason {
    JOB_DONE = 0,            /* ok */
    JOB_NOTE_ANIMATED,       /* ok: an animated GIF or WebP, first frame only */
    JOB_NOTE_MULTIPAGE,      /* ok: a multi-page TIFF, first page only */
    JOB_NOTE_DAMAGED,        /* ok: damaged data, converted what was readable */
    JOB_NOTE_METADATA,       /* ok: metadata left out or an ICC profile not applied */
    JOB_UP_TO_DATE,          /* skipped: the output is newer than the input */
    JOB_NOT_AN_IMAGE,        /* skipped: not an image, and not named like one */
    JOB_CANNOT_READ,         /* failed: missing, unreadable, not a regular file, too big */
    JOB_CANNOT_READ_FOLDER,  /* failed: a folder below an input cannot be listed */
    JOB_CANNOT_DECODE,       /* failed: not an image despite its name, corrupt,
                                unsupported, over a size limit */
    JOB_OUT_OF_MEMORY,       /* failed: decoding needs more than the worker may use */
    JOB_CANNOT_PROCESS,      /* failed: an operation (gray, resize) failed */
    JOB_CANNOT_ENCODE,       /* failed: the encoder failed */
    JOB_CANNOT_WRITE,        /* failed: the output cannot be made (would overwrite the
                                input, name taken, symlink in the way, disk full) */
    JOB_REASON_COUNT
};

/* A stable lower-case name for reports: "done", "note-animated", ...,
 * "cannot-write"; "unknown" outside the enum. */
const char *job_reason_name(enum job_reason r);

/* Ends a task without job_file (the caller refuses the file itself): sets
 * rec->msg from fmt and a struct job_result holding only `why`, and returns
 * the enum pool_status that `why` implies, for the task to return. */
int job_end(struct pool_record *rec, enum job_reason why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* What exactly a record's reason was, where the tool itself said it (typed,
 * beside rec->msg's English, which stays as it is), so a caller can word
 * it in its own language. Sizes and limits are in struct job_result. */
enum job_detail {
    JOB_DETAIL_NONE = 0,         /* nothing finer than the reason: rec->msg is the words
                                    of the library or module that failed (a decoder's,
                                    an encoder's, the system's strerror), a note's own
                                    text, or the reason's plain English ("up to date") */
    JOB_DETAIL_FILE_TOO_LARGE,   /* read: the file's size bytes are over limit */
    JOB_DETAIL_NOT_REGULAR,      /* read: a FIFO, device or socket, never opened for data */
    JOB_DETAIL_NAMED_LIKE_IMAGE, /* decode: not an image, though its name's extension
                                    promises one */
    JOB_DETAIL_OVER_PIXELS,      /* decode: in_w x in_h pixels are over limit (max_pixels) */
    JOB_DETAIL_OVER_SIDE,        /* decode: a side of in_w x in_h is over limit pixels */
    JOB_DETAIL_OVER_DECODER,     /* decode: in_w x in_h x in_ch is size bytes, over the
                                    decoder's limit bytes per image */
    JOB_DETAIL_NEEDS_MEMORY,     /* out of memory: in_w x in_h x in_ch needs about size
                                    bytes; limit: the worker's ceiling (0: none known) */
    JOB_DETAIL_OVERWRITE_INPUT,  /* write: the output would be the input itself */
    JOB_DETAIL_NAME_TAKEN,       /* write: an earlier input has this output name (the
                                    caller's plan knows which) */
};

/* job_end with the record typed by detail too (its sizes: job.c sets them). */
int job_end_detail(struct pool_record *rec, enum job_reason why, enum job_detail detail,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* What job_file leaves in rec->data (rec->data_len = sizeof), on every
 * outcome; the sizes are 0 where the file was not decoded; on a decode
 * failure in_fmt and unsupported are set too. */
struct job_result {
    uint32_t in_w, in_h, in_ch;
    uint32_t out_w, out_h, out_ch;
    uint8_t in_fmt, out_fmt;     /* enum img_format */
    uint8_t animated;            /* only the first frame was used */
    uint8_t orientation;         /* EXIF orientation applied (1: none) */
    uint8_t multipage;           /* only the first page (TIFF) was used */
    uint8_t unsupported;         /* failed: an image, but in_fmt is a format imgpool
                                    does not read (JPEG XL, camera raw, ...) */
    uint8_t reason;              /* enum job_reason */
    uint8_t detail;              /* enum job_detail */
    uint64_t size, limit;        /* what the detail compares (see enum job_detail) */
    char warning[128];           /* JOB_NOTE_DAMAGED: the decoder's own words, as it said
                                    them ("JPEG: Corrupt JPEG data: ..."); else "" */
    int64_t decode_ns, ops_ns, encode_ns;
};
_Static_assert(sizeof(struct job_result) <= POOL_DATA_MAX, "fits a pool record");

/* The output format for an input of format `in` under `o`. */
enum img_format job_output_format(const struct job_options *o, enum img_format in);

/* Worker: processes in_path into out_path (its directory must exist).
 * Decoder and encoder state (struct img_codec) is made on the first call and
 * kept for the life of the process, so call it from one thread per process
 * (a pool worker).
 * Up-to-date outputs (newer than the input) are skipped unless o->force.
 * Refuses to write over the input itself, and anything but a regular file
 * (opened without blocking, so a FIFO cannot hang the worker). The output
 * appears atomically or not at all. Returns an enum pool_status, with the
 * reason in the struct job_result and the text in rec->msg on failure, skip
 * or note; fills rec->bytes_in/out. */
int job_file(const struct job_options *o, const char *in_path,
             const char *out_path, struct pool_record *rec);

/* Worker: checks that in_path is an image this build decodes whole: the
 * same size checks as job_file (o->max_file_bytes before reading,
 * o->max_pixels after the header, before any pixel is allocated), then a
 * full decode, thrown away. Writes nothing. Returns POOL_OK (rec->data holds
 * a struct job_result, rec->msg a note on damaged data that did decode) or
 * POOL_FAILED with "cannot ...: reason" in rec->msg. Same thread rule as
 * job_file. */
int job_verify(const struct job_options *o, const char *in_path, struct pool_record *rec);

#endif
