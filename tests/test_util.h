/* test_util.h — small helpers shared by the unit tests (header only: the
 * Makefile builds each tests/test_*.c on its own). */
#ifndef IMGPOOL_TEST_UTIL_H
#define IMGPOOL_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

/* The whole file in a malloc'd buffer (one spare byte), its size in *len;
 * NULL if it cannot be read. */
static inline unsigned char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long n;
    *len = 0;
    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

#endif
