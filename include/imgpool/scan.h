/* scan.h — find the input files: directories walked, files taken as given.
 *
 * Parent only. Directories are read in name order (strcmp), so runs are
 * reproducible. Hidden entries (".name") are left out unless asked for;
 * sub-folders are entered only with `recursive`; a directory reached again
 * through a symlink (a loop) is entered once, with a note the caller prints.
 * What cannot be used below an argument (an unreadable sub-folder, a FIFO,
 * a device, an entry stat() fails on) is never silently left out: it becomes
 * an entry with a problem, which the caller reports as a failure.
 */
#ifndef IMGPOOL_SCAN_H
#define IMGPOOL_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Why an entry cannot be processed. */
enum scan_problem {
    SCAN_OK = 0,
    SCAN_UNREADABLE_FOLDER,   /* a folder that cannot be listed (errno in err) */
    SCAN_UNREADABLE,          /* stat() failed (errno in err), e.g. a dangling symlink */
    SCAN_NOT_REGULAR,         /* a FIFO, device or socket */
};

struct scan_entry {
    char *path;        /* to open: the argument joined with the sub-path */
    char *rel;         /* relative to its root argument (a file argument: its base name) */
    uint64_t size;     /* bytes, from stat */
    enum scan_problem problem;   /* SCAN_OK: a regular file to process */
    int err;           /* errno for SCAN_UNREADABLE_FOLDER and SCAN_UNREADABLE */
};

struct scan_options {
    int recursive;
    int hidden;        /* include .hidden files and folders */
    int skip_dir;      /* leave out the folder skip_dev/skip_ino (the output folder) */
    dev_t skip_dev;
    ino_t skip_ino;
};

struct scan;

/* 0 or -1 (out of memory). Free with scan_destroy. */
int scan_create(const struct scan_options *o, struct scan **out);
void scan_destroy(struct scan *s);

/* Adds a file, or a folder's files. -1 with a message if `arg` itself cannot
 * be used (missing, not a file or folder, a folder that is the skip folder or
 * lies inside it); problems below it are entries or notes. */
int scan_add(struct scan *s, const char *arg, char *err, size_t errlen);

/* Adds one path from a list (--files-from). A file keeps its path as the
 * relative name (without leading "/" and "./"), so `find photos` output is
 * mirrored as photos/... under --out; a folder is read as by scan_add; a
 * FIFO, device or socket becomes an entry with SCAN_NOT_REGULAR. A path with
 * a ".." component is refused (it would escape --out). */
int scan_add_listed(struct scan *s, const char *path, char *err, size_t errlen);

size_t scan_count(const struct scan *s);
const struct scan_entry *scan_get(const struct scan *s, size_t i);

size_t scan_note_count(const struct scan *s);
const char *scan_note(const struct scan *s, size_t i);

#endif
