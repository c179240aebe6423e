/* icc.h — colour management with lcms2: pixels in the colour space of an
 * embedded ICC profile are converted to sRGB.
 *
 *   struct icc *c;
 *   if (icc_create(&c, err, sizeof err) != 0) ...;
 *   if (icc_to_srgb(c, profile, profile_len, &im, err, sizeof err) != 0)
 *       ...the pixels are unchanged; err says why (a warning, not a failure)...;
 *   icc_destroy(c);
 *
 * An icc object holds its own lcms2 context (so several threads, each with
 * its own object, never share lcms2 state) and the last transform it built
 * for 8-bit and for 16-bit samples, keyed by the profile's bytes and the
 * pixel layout: a folder of photos from one camera builds one transform.
 * One object per thread; any process may own one. Nothing here prints:
 * lcms2's own messages are captured into err.
 */
#ifndef IMGPOOL_ICC_H
#define IMGPOOL_ICC_H

#include <stddef.h>
#include <stdint.h>

#include "imgpool/img.h"

/* Profiles larger than this are refused (the largest a JPEG can carry is
 * 255 APP2 segments, about 16 MB; real ones are a few KB to a few MB). */
#define ICC_MAX_BYTES (16u << 20)

/* The data colour space an ICC profile's header declares. */
enum icc_space { ICC_SPACE_OTHER = 0, ICC_SPACE_GRAY, ICC_SPACE_RGB, ICC_SPACE_CMYK };

/* Reads the 128-byte header only (no lcms2): the colour space of icc, or
 * ICC_SPACE_OTHER for any other space (Lab, ...) or a blob too short or too
 * long to be a profile. */
enum icc_space icc_space_of(const unsigned char *icc, size_t len);

/* 1 if a profile of this colour space describes pixels of ch channels
 * (gray: 1 or 2, RGB: 3 or 4, CMYK: 4), else 0. */
int icc_space_fits(enum icc_space space, unsigned ch);

struct icc;

/* Returns 0 and sets *out (free with icc_destroy), or -1 with a message. */
int icc_create(struct icc **out, char *err, size_t errlen);

/* Frees c, its lcms2 context and its cached transforms. NULL: no-op. */
void icc_destroy(struct icc *c);

/* Converts im to sRGB from the colour space of the ICC profile icc[0..len),
 * with the perceptual intent:
 *   RGB profile, 3 or 4 channels: to sRGB in place; alpha is copied untouched;
 *   gray profile, 1 or 2 channels: to gray with sRGB's tone curve, in place;
 *   CMYK profile, 4 channels taken as CMYK (0 = no ink): to 3-channel sRGB,
 *     im->px replaced (the old buffer is freed).
 * A gray or RGB profile that lcms2 maps onto sRGB within one level (sRGB
 * itself, as cameras and editors embed it) leaves the pixels as they are.
 * Returns 0, or -1 with the reason in err and im unchanged: the profile cannot
 * be read (lcms2's message, e.g. "Corrupted memory profile"), its colour space
 * does not fit the channels ("a CMYK profile on a 3-channel image"), or memory
 * ran out. */
int icc_to_srgb(struct icc *c, const unsigned char *icc, size_t len, struct img *im,
                char *err, size_t errlen);

/* icc_to_srgb for 16-bit samples (a 16-bit TIFF's), rounded to 8 bits only
 * by the transform itself, so the profile's curves work on all the source's
 * precision: a wide-gamut (ProPhoto) gradient rounded to 8 bits before its
 * conversion comes out in steps of up to 3 levels, this way 1 or 2.
 * src: w x h pixels of ch samples, host order; dst: w x h pixels of ch 8-bit
 * samples (3 from a CMYK profile's 4). Called once per band of rows, it
 * reuses the transform like icc_to_srgb. Same errors as icc_to_srgb, dst
 * untouched on error; unlike it, an sRGB profile converts too (ask
 * icc_prepare first). */
int icc_to_srgb16(struct icc *c, const unsigned char *icc, size_t len, const uint16_t *src,
                  unsigned w, unsigned h, unsigned ch, unsigned char *dst, char *err,
                  size_t errlen);

/* Builds (and keeps, so the next icc_to_srgb with the same profile and
 * channels reuses it) the transform for ch-channel 8-bit pixels in profile
 * icc. Returns 0 if such pixels can be converted, 1 if they can but need not
 * be (the profile is sRGB to the level: icc_to_srgb leaves them as they are),
 * or -1 with the reason, as icc_to_srgb would give it. Lets a decoder choose
 * its output (CMYK samples, its own RGB conversion, 16-bit samples) before
 * decoding. */
int icc_prepare(struct icc *c, const unsigned char *icc, size_t len, unsigned ch, char *err,
                size_t errlen);

/* "2.14": the lcms2 version linked. */
const char *icc_version(void);

/* Colour that a HEIF or AVIF file signals with code points instead of a
 * profile (its nclx box: ITU-T H.273 colour primaries and transfer
 * characteristics), as an ICC profile, so that icc_to_srgb converts those
 * pixels like any other's and --keep-profile has a profile to keep.
 * Primaries: 1 (BT.709 = sRGB's), 5, 6, 7 (BT.601), 9 (BT.2020), 11 (DCI-P3),
 * 12 (Display P3); 2 = unspecified, taken as BT.709. Transfer: 13 (sRGB),
 * and 1, 6, 14, 15 (BT.709's camera curve, shown with sRGB's curve as
 * browsers do), 2 = unspecified; 8 (linear), 4 (gamma 2.2), 5 (gamma 2.8).
 * Returns 0 with *out (malloc'd, the caller frees) and *len; 1 when no
 * profile is needed (the code points mean sRGB, or say nothing); 2 with a
 * message for colour it does not convert (HDR curves: PQ 16, HLG 18; other
 * code points), whose pixels are then best left as decoded; -1 with a
 * message when out of memory. *out is NULL unless 0 is returned. out NULL:
 * only the answer, no profile built (0 then means one would be). */
int icc_from_cicp(unsigned primaries, unsigned transfer, unsigned char **out, size_t *len,
                  char *err, size_t errlen);

#endif
