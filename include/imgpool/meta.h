/* meta.h — the metadata blocks of JPEG, PNG and TIFF files (ICC profile,
 * EXIF, XMP): found with bounded walks, copied out into a struct img_meta,
 * and EXIF made fit for an output; the EXIF orientation read and reset; a
 * walk of a TIFF structure's first directory for the TIFF encoder.
 *
 *   struct img_meta m = {0};
 *   meta_read(IMG_FMT_JPG, buf, len, META_ALL, &m, note, sizeof note);
 *   ...m.icc, m.exif, m.xmp...
 *   img_meta_free(&m);
 *
 * Input is hostile: every length is checked against the buffer, compressed
 * blocks are inflated under a size cap, a malformed block is left out with a
 * note and never fails the image. Any process or thread may call these.
 * Nothing here prints.
 */
#ifndef IMGPOOL_META_H
#define IMGPOOL_META_H

#include <stddef.h>
#include <stdint.h>

#include "imgpool/img.h"

/* Which blocks meta_read copies. */
enum { META_ICC = 1, META_EXIF = 2, META_XMP = 4, META_ALL = 7 };

/* Largest EXIF block kept for an output: what one JPEG APP1 segment holds
 * after its "Exif\0\0" header. */
#define META_EXIF_MAX (65533u - 6u)
/* Largest XMP packet read or kept (one JPEG APP1 segment after its header
 * for output; larger packets are left out with a note). */
#define META_XMP_MAX (65533u - 29u)

/* The data of the first JPEG segment with this marker (0xe0..0xef) whose data
 * starts with id[0..idlen), before the first scan: a pointer into b at the id,
 * and its length (id included) in *seglen. NULL if there is none. */
const unsigned char *meta_jpeg_segment(const unsigned char *b, size_t len, unsigned marker,
                                       const char *id, size_t idlen, size_t *seglen);

/* Copies the blocks in `want` (META_* bits) that fmt's container holds:
 *   JPEG: ICC from the APP2 "ICC_PROFILE" segments, joined in their sequence
 *         order; EXIF from APP1 "Exif\0\0" (stored without that header);
 *         XMP from APP1 "http://ns.adobe.com/xap/1.0/";
 *   PNG:  ICC from iCCP (inflated, at most ICC_MAX_BYTES), EXIF from eXIf,
 *         XMP from the iTXt chunk "XML:com.adobe.xmp";
 *   TIFF (classic and BigTIFF, the first directory): ICC from tag 34675 (at
 *         most ICC_MAX_BYTES), XMP from tag 700, and EXIF built as a TIFF
 *         structure of its own from the directory's camera tags (Make, Model,
 *         Orientation, DateTime, Artist, Copyright, Software,
 *         ImageDescription, with the resolution) and its EXIF, GPS and
 *         interoperability directories, every entry copied as stored; none
 *         if the file has none of those (the resolution, or orientation 1,
 *         alone is not EXIF).
 * Other formats: nothing. Blobs already set in m are left alone. Returns 0;
 * or 1 when a block was malformed and left out, with a note in note
 * ("ICC profile left out: segment 2 of 3 missing"); the other blocks are
 * still read. When only META_ICC is wanted, a PNG is read only up to its
 * first IDAT. */
int meta_read(enum img_format fmt, const unsigned char *buf, size_t len, unsigned want,
              struct img_meta *m, char *note, size_t notelen);

/* The EXIF block exif[0..len) (TIFF structure, no "Exif\0\0") rewritten with
 * libexif for an output of w x h pixels: the embedded thumbnail (IFD1) is
 * removed, the orientation set to 1 if reset_orientation (the pixels were
 * turned upright), and PixelXDimension / PixelYDimension set to w and h where
 * present. Returns 0 with *out (malloc'd, the caller frees) and *outlen
 * (*out NULL for a block with no entries: nothing to keep), or -1 with a
 * message when the block cannot be read or comes out larger than
 * META_EXIF_MAX. */
int meta_exif_for_output(const unsigned char *exif, size_t len, int reset_orientation,
                         unsigned w, unsigned h, unsigned char **out, size_t *outlen,
                         char *err, size_t errlen);

/* How many bytes of exif[0..len) come before its TIFF structure when a
 * writer left JPEG's APP1 header "Exif\0\0" in front of it, where a WebP
 * chunk or a HEIF item should hold the structure itself (Pillow's WebP
 * writer did, and some older tools): 6, or 0 when there is no such header. */
size_t meta_exif_app1_header(const unsigned char *exif, size_t len);

/* The orientation 1..8 that the EXIF block exif[0..len) (TIFF structure)
 * records in its first directory; 1 if none, out of range or unreadable. */
int meta_exif_orientation(const unsigned char *exif, size_t len);

/* Sets the orientation the EXIF block records to 1, in place, if it has one
 * (a SHORT); nothing else changes. For HEIF and AVIF, whose EXIF orientation
 * does not describe the pixels (see heic.h). NULL-safe. */
void meta_exif_reset_orientation(unsigned char *exif, size_t len);

/* ---- The first directory of a TIFF structure ----
 * A TIFF file or an EXIF block, classic or BigTIFF, walked entry by entry with
 * every offset checked against the buffer:
 *
 *   struct meta_tiff_walk w;
 *   struct meta_tiff_entry e;
 *   if (meta_tiff_first(&w, buf, len) == 0)
 *       while (meta_tiff_next(&w, &e)) ...e.tag, meta_tiff_uint(&w, &e, 0)...
 */
struct meta_tiff_walk {
    const unsigned char *b;
    size_t len;
    int le, big;            /* little-endian ("II"); BigTIFF (8-byte counts and offsets) */
    size_t at;              /* the next entry */
    uint64_t left;          /* entries left in the directory */
};

struct meta_tiff_entry {
    unsigned tag, type;     /* type: TIFF's field type, 1 (BYTE) .. 18 (IFD8) */
    uint64_t count;
    const unsigned char *value; /* count values, in the structure's byte order, inside b */
    size_t size;            /* bytes at value */
};

/* Starts w at the first directory of b[0..len). Returns 0, or -1 if b does not
 * start with a TIFF header. */
int meta_tiff_first(struct meta_tiff_walk *w, const unsigned char *b, size_t len);

/* The next entry of the directory whose type is known and whose value lies
 * inside the buffer (others are passed over). Returns 1 with *e, or 0 at the
 * end. */
int meta_tiff_next(struct meta_tiff_walk *w, struct meta_tiff_entry *e);

/* Value i of an unsigned integer entry (BYTE, SHORT, LONG, IFD, LONG8, IFD8)
 * in the host's order; 0 for another type or i past the count. */
uint64_t meta_tiff_uint(const struct meta_tiff_walk *w, const struct meta_tiff_entry *e,
                        uint64_t i);

/* Sets the orientation an XMP packet records (tiff:Orientation, as an
 * attribute or an element) to 1, in place, so a viewer that reads XMP does
 * not turn pixels that were already turned upright. NULL-safe. */
void meta_xmp_reset_orientation(unsigned char *xmp, size_t len);

#endif
