/* rle.h — zlib streams of run-length deflate: every match is a run of the
 * byte before it (distance 1), everything else a literal, each block coded
 * with its own Huffman codes. What zlib's Z_RLE strategy writes, at a
 * fraction of its cost, for PNG's filtered photographs (see png.c).
 *
 *   struct rle *r;
 *   if (rle_create(&r) != 0) ...out of memory...;
 *   size_t n = rle_zlib_compress(r, in, len, out, rle_zlib_bound(len));
 *   rle_destroy(r);
 *
 * One coder per thread (it keeps a block's tokens between calls); any
 * process may own one. Nothing here prints.
 */
#ifndef IMGPOOL_RLE_H
#define IMGPOOL_RLE_H

#include <stddef.h>

struct rle;

/* Returns 0 and sets *out (free with rle_destroy), or -1 when out of memory. */
int rle_create(struct rle **out);

/* NULL: no-op. */
void rle_destroy(struct rle *r);

/* The most bytes rle_zlib_compress writes for n input bytes (a stored block
 * where coding would not pay). */
size_t rle_zlib_bound(size_t n);

/* A complete zlib stream (header, deflate blocks, Adler-32) of in[0..n) into
 * out; its size, or 0 when it does not fit in cap bytes (never with
 * rle_zlib_bound(n)). */
size_t rle_zlib_compress(struct rle *r, const unsigned char *in, size_t n, unsigned char *out,
                         size_t cap);

#endif
