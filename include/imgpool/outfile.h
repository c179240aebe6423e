/* outfile.h — write a file so that it appears complete or not at all.
 *
 *   struct outfile *f;
 *   if (outfile_open("out/a.png", &f, err, sizeof err) != 0) ...;
 *   if (img_encode(&im, IMG_FMT_PNG, 0, outfile_fd(f), err, sizeof err) < 0) {
 *       outfile_abort(f);            // nothing was ever visible as out/a.png
 *       ...;
 *   }
 *   if (outfile_commit(f, err, sizeof err) != 0) ...;   // f is freed either way
 *
 * The data goes into an unnamed O_TMPFILE in the destination directory; commit
 * links it under a hidden temporary name and renames that over the final name,
 * so a reader (or a SIGKILL at any moment) sees either the old file, no file,
 * or the complete new one. Where O_TMPFILE is unsupported (some filesystems,
 * or no /proc to link it through) a hidden named temp file ".NAME.imgpool-XXXXXX"
 * is used instead; a SIGKILL then can leave that hidden file behind, never a
 * partial NAME. No fsync: this protects against crashes of the process, not
 * against power loss.
 *
 * One struct outfile belongs to one thread; different outfiles may be used from
 * any threads or processes at once. Nothing here prints.
 */
#ifndef IMGPOOL_OUTFILE_H
#define IMGPOOL_OUTFILE_H

#include <stddef.h>

struct outfile;

/* outfile_open_flags flags. */
#define OUTFILE_NAMED 1u    /* skip O_TMPFILE, use the named hidden temp file */

/* Opens a temporary file in final_path's directory for writing; nothing appears
 * under final_path until outfile_commit. Returns 0 and sets *out (finish it with
 * outfile_commit or outfile_abort), or -1 with a message naming the directory
 * and the reason (*out = NULL). */
int outfile_open(const char *final_path, struct outfile **out, char *err, size_t errlen);

/* outfile_open with flags (OUTFILE_NAMED, for tests and odd filesystems). */
int outfile_open_flags(const char *final_path, unsigned flags, struct outfile **out,
                       char *err, size_t errlen);

/* outfile_open for root/rel, where no folder between root and the file may
 * be a symlink (each is opened with O_NOFOLLOW, and the file is made relative
 * to the last one), so nothing lands outside root; the folders must exist. A
 * symlink in the way is an error saying so. rel is relative, without "..". */
int outfile_open_beneath(const char *root, const char *rel, struct outfile **out,
                         char *err, size_t errlen);

/* The folder root/rel_dir as an O_DIRECTORY descriptor (the caller closes
 * it), reached without following any symlink below root; with create,
 * missing folders are made (mkdir -p). -1 with a message naming the folder
 * and the reason (a symlink, a "..", a name too long, errno). */
int outfile_dir_beneath(const char *root, const char *rel_dir, int create, char *err,
                        size_t errlen);

/* For a path the user named (--report, --trace): an existing FIFO, character
 * device or socket is opened and written in place, never replaced (opened
 * without blocking: a FIFO nobody reads fails here instead of hanging); a
 * symlink is followed, and the file it points to is replaced (the link
 * stays; a dangling one is created through); a folder is an error; any
 * other path is outfile_open. So a bad target fails here, before any work.
 * Commit and abort as usual (abort cannot take back what a FIFO was sent). */
int outfile_open_target(const char *path, struct outfile **out, char *err, size_t errlen);

/* The descriptor to write to (O_WRONLY, close-on-exec). Do not close it. */
int outfile_fd(const struct outfile *f);

/* Writes all of data (retrying short writes and EINTR). 0, or -1 with a
 * message naming the final path. The file stays open: commit or abort it. */
int outfile_write(struct outfile *f, const void *data, size_t len, char *err, size_t errlen);

/* Closes the descriptor (a failed close() is an error), then puts the file in
 * place under final_path atomically, replacing any existing file; mode is
 * 0644 & ~umask. Frees f whatever the result; on error no temp file remains.
 * Returns 0, or -1 with a message. */
int outfile_commit(struct outfile *f, char *err, size_t errlen);

/* Discards the data: removes any temp file and frees f. NULL-safe. */
void outfile_abort(struct outfile *f);

#endif
