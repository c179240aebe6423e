/* text.h — text that goes into messages and JSON files: file names are bytes,
 * JSON is UTF-8, and a message line has a length.
 *
 * Pure functions on NUL-terminated strings; any process or thread. Nothing
 * here prints.
 */
#ifndef IMGPOOL_TEXT_H
#define IMGPOOL_TEXT_H

#include <stddef.h>

/* 1 if s is well-formed UTF-8 (no overlong forms, surrogates or code points
 * above U+10FFFF), else 0. */
int text_utf8_valid(const char *s);

/* A copy of s in which every byte that is not part of well-formed UTF-8 is
 * replaced by U+FFFD (the Unicode replacement character). The caller frees
 * it; NULL when out of memory. */
char *text_utf8_fix(const char *s);

/* The bytes of s in lower-case hex ("ff41" for "\xffA"). The caller frees
 * it; NULL when out of memory. */
char *text_hex(const char *s);

/* Copies s into buf (buflen bytes), shortened in the middle to at most max
 * bytes ("photos/aaaa...zzzz.png") when it is longer, so both the start and
 * the name at the end stay readable. The cut never splits a UTF-8 sequence.
 * max is clamped to buflen - 1. Returns buf. */
const char *text_shorten(const char *s, size_t max, char *buf, size_t buflen);

#endif
