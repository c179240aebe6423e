/* scan.h — find the input files: directories walked, files taken as given.
 *
 * Parent only. Directories are read in name order (strcmp), so runs are
 * reproducible. Hidden entries (".name") are left out unless asked for;
 * sub-folders are entered only with `recursive`; a directory reached again
 * through a symlink (a loop) is entered once. Problems that do not stop the
 * scan (an unreadable sub-folder, a loop) become notes the caller prints.
 */
#ifndef IMGPOOL_SCAN_H
#define IMGPOOL_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct scan_entry {
    char *path;        /* to open: the argument joined with the sub-path */
    char *rel;         /* relative to its root argument (a file argument: its base name) */
    uint64_t size;     /* bytes, from stat */
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
 * be used (missing, unreadable, not a file or folder); problems below it are
 * notes. */
int scan_add(struct scan *s, const char *arg, char *err, size_t errlen);

/* Adds one path from a list (--files-from). A file keeps its path as the
 * relative name (without leading "/" and "./"), so `find photos` output is
 * mirrored as photos/... under --out; a folder is read as by scan_add. A
 * path with a ".." component is refused (it would escape --out). */
int scan_add_listed(struct scan *s, const char *path, char *err, size_t errlen);

size_t scan_count(const struct scan *s);
const struct scan_entry *scan_get(const struct scan *s, size_t i);

size_t scan_note_count(const struct scan *s);
const char *scan_note(const struct scan *s, size_t i);

#endif
