/* geom.h — ImageMagick-style resize geometry ("256x256", "800x", "50%", "WxH!", "WxH>").
 *
 * geom_parse turns the text of a --resize option into a struct geom; geom_apply
 * computes the output size for one image, rounding exactly like ImageMagick's
 * `convert -resize` (floor(scale * side + 0.5), at least 1).
 *
 * Pure functions without global state: any thread or process may call them.
 */
#ifndef IMGPOOL_GEOM_H
#define IMGPOOL_GEOM_H

#include <stddef.h>

/* Largest side geom_parse accepts and geom_apply returns, in pixels. */
#define GEOM_MAX_SIDE 1000000u
/* Largest percentage geom_parse accepts (a 10000x enlargement is surely a typo). */
#define GEOM_MAX_PERCENT 10000.0

enum geom_kind { GEOM_NONE = 0, GEOM_FIT, GEOM_PERCENT, GEOM_EXACT };
enum geom_only { GEOM_ANY = 0, GEOM_SHRINK, GEOM_ENLARGE };   /* '>' and '<' suffixes */

/* kind GEOM_FIT: fit inside w x h keeping the aspect ratio; w or h may be 0
 *   ("800x", "x600"): that side follows from the other.
 * kind GEOM_PERCENT: scale both sides by percent (w,h unused), or by percent
 *   horizontally and percent_y vertically ("50%x25%").
 * kind GEOM_EXACT: exactly w x h, aspect ignored ("WxH!").
 * only: with GEOM_SHRINK an image is changed only if it is larger than the
 *   target ('>'); with GEOM_ENLARGE only if it is smaller ('<'). */
struct geom {
    enum geom_kind kind;
    unsigned w, h;          /* 0 = not given */
    double percent;
    enum geom_only only;
    double percent_y;       /* GEOM_PERCENT: vertical percentage (== percent unless "X%xY%") */
};

/* Parses s. Accepted forms: "WxH", "Wx", "W" (same as "Wx"), "xH", "P%", "P%xQ%"
 * (P, Q may have decimals), each optionally followed by one of '!' (exact; needs
 * both W and H), '>' (only shrink) or '<' (only enlarge). Sides are 1..GEOM_MAX_SIDE,
 * percentages > 0 and <= GEOM_MAX_PERCENT.
 * Returns 0 and fills *out, or -1 with a message in err naming what is wrong
 * (*out is then zeroed). s may be NULL or "" (an error). */
int geom_parse(const char *s, struct geom *out, char *err, size_t errlen);

/* Target size for an in_w x in_h image (both >= 1). Never 0: each side is at
 * least 1 and at most GEOM_MAX_SIDE (a side that would be larger is clamped,
 * which changes the aspect; callers limit the pixel count separately).
 * Returns the input size when the geometry says no change: GEOM_NONE, '>' with
 * an image that already fits, '<' with an image that is already large enough. */
void geom_apply(const struct geom *g, unsigned in_w, unsigned in_h,
                unsigned *out_w, unsigned *out_h);

/* Writes the canonical text of g ("256x256>", "50%", "800x") into buf
 * (snprintf semantics); "" for GEOM_NONE. For messages and logs. */
void geom_format(const struct geom *g, char *buf, size_t buflen);

#endif
