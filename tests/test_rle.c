/* Unit tests for rle: every stream inflates with zlib to exactly its input
 * (runs at the limits and across blocks, noise that must be stored, a
 * Huffman code that would run past 15 bits), its size stays with zlib's own
 * Z_RLE, and a cap too small fails without writing past it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "imgpool/rle.h"

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* Compresses in with rle, inflates with zlib, checks the bytes; returns the
 * stream's size. */
static size_t round_trip(const unsigned char *in, size_t n)
{
    struct rle *r;
    assert_int_equal(rle_create(&r), 0);
    size_t cap = rle_zlib_bound(n);
    unsigned char *z = malloc(cap), *back = malloc(n + 1);
    assert_non_null(z);
    assert_non_null(back);
    size_t zn = rle_zlib_compress(r, in, n, z, cap);
    assert_true(zn > 0 && zn <= cap);
    uLongf got = (uLongf)n + 1;
    assert_int_equal(uncompress(back, &got, z, (uLong)zn), Z_OK);
    assert_int_equal(got, n);
    assert_memory_equal(back, in, n);
    free(z);
    free(back);
    rle_destroy(r);
    return zn;
}

/* zlib's own Z_RLE stream size for in. */
static size_t zlib_rle_size(const unsigned char *in, size_t n)
{
    z_stream s = {0};
    assert_int_equal(deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15, 9, Z_RLE), Z_OK);
    uLong cap = deflateBound(&s, (uLong)n);
    unsigned char *z = malloc(cap);
    assert_non_null(z);
    s.next_in = (unsigned char *)in;
    s.avail_in = (uInt)n;
    s.next_out = z;
    s.avail_out = (uInt)cap;
    assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
    size_t zn = s.total_out;
    deflateEnd(&s);
    free(z);
    return zn;
}

static void test_rle__small_inputs(void **state)
{
    (void)state;
    static const unsigned char bytes[] = {7, 7, 7, 7, 1, 2, 2, 2, 0};
    round_trip(bytes, 0);
    for (size_t n = 1; n <= sizeof bytes; n++)
        round_trip(bytes, n);
}

/* Runs of every length around the codes' edges (2, 3, 4, ..., 257, 258,
 * 259, 516, 517), and one long run that crosses many blocks. */
static void test_rle__runs(void **state)
{
    (void)state;
    size_t n = 0, cap = 1 << 20;
    unsigned char *in = malloc(cap);
    assert_non_null(in);
    for (unsigned len = 1; len <= 520; len++) {
        unsigned char c = (unsigned char)(len * 37);
        for (unsigned k = 0; k < len; k++)
            in[n++] = c;
        in[n++] = (unsigned char)(c + 1);
    }
    round_trip(in, n);
    memset(in, 200, cap);
    size_t zn = round_trip(in, cap);
    assert_true(zn < cap / 100);
    free(in);
}

/* Noise: coding does not pay, so the blocks are stored; the stream must
 * still fit rle_zlib_bound and a smaller cap must fail. */
static void test_rle__noise_stored(void **state)
{
    (void)state;
    size_t n = 300000;
    unsigned char *in = malloc(n), *z = malloc(rle_zlib_bound(n));
    assert_non_null(in);
    assert_non_null(z);
    uint32_t s = 1;
    for (size_t i = 0; i < n; i++)
        in[i] = (unsigned char)lcg(&s);
    size_t zn = round_trip(in, n);
    assert_true(zn >= n && zn <= rle_zlib_bound(n));
    struct rle *r;
    assert_int_equal(rle_create(&r), 0);
    assert_int_equal(rle_zlib_compress(r, in, n, z, zn - 1), 0);
    assert_int_equal(rle_zlib_compress(r, in, n, z, 5), 0);
    rle_destroy(r);
    free(in);
    free(z);
}

/* Symbol counts 1, 2, 3, 5, 8, ... (with the end-of-block symbol's 1) make
 * the optimal Huffman code a chain as deep as there are symbols (20 bits
 * here, all in one block): the 15-bit limit must be enforced and the code
 * stay complete, or zlib refuses the block. No byte follows its own copy,
 * so there are no runs to change the counts. */
static void test_rle__length_limit(void **state)
{
    (void)state;
    unsigned left[20] = {1, 2};
    for (unsigned k = 2; k < 20; k++)
        left[k] = left[k - 1] + left[k - 2];
    size_t n = 0;
    for (unsigned k = 0; k < 20; k++)
        n += left[k];
    unsigned char *in = malloc(n);
    assert_non_null(in);
    for (size_t i = 0, prev = 20; i < n; i++) {
        size_t best = 20;
        for (size_t k = 0; k < 20; k++)
            if (k != prev && left[k] && (best == 20 || left[k] > left[best]))
                best = k;
        assert_true(best < 20);
        left[best]--;
        in[i] = (unsigned char)(best * 10);
        prev = best;
    }
    round_trip(in, n);
    free(in);
}

/* Filtered-image-like data (smooth values, small differences, zero runs):
 * the size stays within 0.5% of zlib's Z_RLE (same tokens and blocks). */
static void test_rle__size_as_zlib(void **state)
{
    (void)state;
    size_t n = 500000;
    unsigned char *in = malloc(n);
    assert_non_null(in);
    uint32_t s = 9;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = lcg(&s);
        in[i] = (i / 3000) % 4 == 0 ? 0 : (unsigned char)((v % 9) - 4 + (v % 97 == 0) * 60);
    }
    size_t ours = round_trip(in, n), theirs = zlib_rle_size(in, n);
    assert_true(ours * 1000 <= theirs * 1005);
    free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rle__small_inputs),
        cmocka_unit_test(test_rle__runs),
        cmocka_unit_test(test_rle__noise_stored),
        cmocka_unit_test(test_rle__length_limit),
        cmocka_unit_test(test_rle__size_as_zlib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
