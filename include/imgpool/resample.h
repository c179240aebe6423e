/* resample.h — resizing 8-bit images in linear light, with float vectors.
 *
 *   unsigned char *dst = malloc((size_t)dw * dh * ch);
 *   if (resample_u8(src, sw, sh, ch, dst, dw, dh) != 0) ...out of memory...
 *
 * The filter is Catmull-Rom (the cubic Pillow calls BICUBIC), widened by the
 * ratio when shrinking. A side that shrinks 4x or more is first reduced by an
 * integer box average to 2-4x its target, as libvips does, so the filter
 * never sees many more pixels than it needs (at most 17 taps a side) and
 * memory stays at a few rows, whatever the ratio. Everything between the
 * 8-bit input and output is 16-bit linear light: gamma-encoded sRGB is
 * decoded first, so a black and white checkerboard shrinks to the grey the
 * eye sees (188), not 128.
 *
 * Pure functions over caller-owned pixels; any thread or process may call them.
 * Nothing here prints.
 */
#ifndef IMGPOOL_RESAMPLE_H
#define IMGPOOL_RESAMPLE_H

/* Writes src (sw x sh, ch channels, rows packed) resized to dw x dh into dst,
 * which the caller allocated with dw * dh * ch bytes. ch 1..4; with 2 and 4
 * channels the last is alpha, which weights the colours, so fully transparent
 * pixels never bleed into visible ones. Every size must be >= 1; the same size
 * gives a copy (exact for opaque images). Returns 0, or -1 when out of memory
 * (dst then holds nothing useful). */
int resample_u8(const unsigned char *src, unsigned sw, unsigned sh, unsigned ch,
                unsigned char *dst, unsigned dw, unsigned dh);

/* What the 8-bit samples are: sRGB-encoded light (resized in linear light),
 * or values to filter as they are (JPEG's Cb and Cr, which are not light). */
enum resample_space { RESAMPLE_SRGB = 0, RESAMPLE_AS_IS };

/* How to resample; {0} is what resample_u8 does. */
struct resample_opts {
    enum resample_space space;
    double scale_x, scale_y;    /* source samples per destination sample, when the two
                                   grids do not span the same extent (a JPEG chroma plane
                                   of an odd-sized image overhangs by half a sample);
                                   sample i's centre maps to (i + 0.5) * scale.
                                   0: sw / dw and sh / dh */
};

/* resample_u8 with options (NULL: defaults). Same results and errors. */
int resample_u8_with(const unsigned char *src, unsigned sw, unsigned sh, unsigned ch,
                     unsigned char *dst, unsigned dw, unsigned dh,
                     const struct resample_opts *o);

/* The box factor resample_u8 uses on a side before its filter, from pixels
 * to pixels: 1 (none) below a 4x reduction, else half the ratio, so the
 * filter is left a 2-4x reduction. Exposed for the tests. */
unsigned resample_box_factor(unsigned from, unsigned to);

#endif
