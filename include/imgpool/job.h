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
    uint64_t max_pixels;         /* refuse larger images after the header; 0: no limit */
    uint64_t max_file_bytes;     /* refuse larger files before reading; 0: no limit */
    int force;                   /* redo outputs that are up to date */
    int dry_run;                 /* decide, but write nothing */
};

/* What job_file leaves in rec->data (rec->data_len = sizeof): on success;
 * on a decode failure only in_fmt and unsupported (the rest 0). */
struct job_result {
    uint32_t in_w, in_h, in_ch;
    uint32_t out_w, out_h, out_ch;
    uint8_t in_fmt, out_fmt;     /* enum img_format */
    uint8_t animated;            /* only the first frame was used */
    uint8_t orientation;         /* EXIF orientation applied (1: none) */
    uint8_t multipage;           /* only the first page (TIFF) was used */
    uint8_t unsupported;         /* failed: an image, but in_fmt is a format imgpool
                                    does not read (JPEG XL, camera raw, ...) */
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
 * Refuses to write over the input itself. The output appears atomically or
 * not at all. Returns an enum pool_status, with rec->msg saying why on
 * failure or skip; fills rec->bytes_in/out and a struct job_result. */
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
