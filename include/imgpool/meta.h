/* meta.h — the metadata blocks of JPEG and PNG files (ICC profile, EXIF,
 * XMP): found with bounded walks, copied out into a struct img_meta, and
 * EXIF made fit for an output.
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
 *         XMP from the iTXt chunk "XML:com.adobe.xmp".
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

/* Sets the orientation an XMP packet records (tiff:Orientation, as an
 * attribute or an element) to 1, in place, so a viewer that reads XMP does
 * not turn pixels that were already turned upright. */
void meta_xmp_reset_orientation(unsigned char *xmp, size_t len);

#endif
