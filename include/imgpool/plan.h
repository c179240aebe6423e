/* plan.h — what each input becomes: its output path, and the order of work.
 *
 * Parent only, before the pool starts. Output paths mirror the input's path
 * relative to its root under the output folder, with the extension of the
 * output format. The plan reads each file's first bytes (not the image): the
 * output format depends on content when --format is not given, and a file
 * those bytes say will not be written (not an image, or a format imgpool does
 * not read: IMG_0001.MOV beside IMG_0001.HEIC) keeps its whole name in its
 * output name (IMG_0001.MOV.jpg), so that it never takes the image's.
 *
 * Name clashes: when several inputs would produce one output name (photo.png
 * and photo.ppm, both to PNG), each of them whose own extension does not name
 * the output's format (in any case or spelling: .JPG and .jpeg name jpg)
 * keeps it in the name: photo.png -> photo.png, photo.ppm -> photo.ppm.png.
 * If names still clash, the first input in path order keeps the name and the
 * others fail with a message naming both: no file silently overwrites another.
 */
#ifndef IMGPOOL_PLAN_H
#define IMGPOOL_PLAN_H

#include <stddef.h>

#include "imgpool/job.h"
#include "imgpool/scan.h"

struct plan_item {
    const struct scan_entry *in;   /* borrowed from the scan */
    char *out;                     /* owned by the plan; "" for an entry with a problem */
    const char *clash_with;        /* non-NULL: do not write; another input has this name */
};

struct plan;

/* Builds the plan for every entry of s (which must outlive the plan).
 * 0, or -1 with a message. */
int plan_create(const struct scan *s, const char *out_dir, const struct job_options *jo,
                struct plan **out, char *err, size_t errlen);
void plan_destroy(struct plan *p);

size_t plan_count(const struct plan *p);
const struct plan_item *plan_get(const struct plan *p, size_t i);
/* Indices of the items, largest input first (ties: path order), so one big
 * file does not start last and hold up the end of the run. */
const size_t *plan_order(const struct plan *p);

/* Creates the output folders the plan needs (mkdir -p), never following a
 * symlink below the output folder. A folder that cannot be made is left for
 * its files to fail, each with the reason, when they are written. */
void plan_make_dirs(const struct plan *p);

#endif
