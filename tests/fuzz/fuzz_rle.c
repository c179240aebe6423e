/* fuzz_rle.c — libFuzzer harness for the run-length deflate coder (rle.c):
 * every input must come back from zlib's inflate byte for byte within
 * rle_zlib_bound, and into a buffer one byte short of its stream the coder
 * must fail (return 0) without writing past it. Built and run by
 * `make fuzz`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "imgpool/rle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rle *r;
    if (!r && rle_create(&r) != 0)
        abort();
    size_t cap = rle_zlib_bound(size);
    unsigned char *z = malloc(cap), *back = malloc(size + 1);
    if (!z || !back)
        abort();
    size_t n = rle_zlib_compress(r, data, size, z, cap);
    uLongf got = (uLongf)size + 1;
    if (n == 0 || n > cap || uncompress(back, &got, z, (uLong)n) != Z_OK || got != size ||
        memcmp(back, data, size) != 0)
        abort();
    unsigned char *shy = malloc(n - 1);   /* ASan: exactly n - 1 bytes */
    if (!shy || rle_zlib_compress(r, data, size, shy, n - 1) != 0)
        abort();
    free(shy);
    free(z);
    free(back);
    return 0;
}
