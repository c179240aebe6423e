/* text.c — UTF-8 checks and repairs, hex, shortening (see text.h). */
#include "imgpool/text.h"

#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s, or 0 if there is none. */
static size_t text_utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    if (c < 0x80)
        return 1;
    size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
             : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) ||   /* overlong, surrogate */
        (c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))     /* overlong, > U+10FFFF */
        return 0;
    return n;
}

int text_utf8_valid(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = text_utf8_seq(p);
        if (!n)
            return 0;
        p += n;
    }
    return 1;
}

char *text_utf8_fix(const char *s)
{
    char *out = malloc(strlen(s) * 3 + 1), *d = out;   /* U+FFFD is 3 bytes */
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = text_utf8_seq(p);
        if (n) {
            memcpy(d, p, n);
            d += n;
            p += n;
        } else {
            memcpy(d, "\xef\xbf\xbd", 3);
            d += 3;
            p++;
        }
    }
    *d = '\0';
    return out;
}

char *text_hex(const char *s)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = strlen(s);
    char *out = malloc(2 * n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[(unsigned char)s[i] >> 4];
        out[2 * i + 1] = digits[(unsigned char)s[i] & 15];
    }
    out[2 * n] = '\0';
    return out;
}

const char *text_shorten(const char *s, size_t max, char *buf, size_t buflen)
{
    static const char dots[] = "...";
    size_t n = strlen(s);
    if (buflen == 0)
        return buf;
    if (max > buflen - 1)
        max = buflen - 1;
    if (n <= max || max < sizeof dots + 1) {
        size_t k = n < max ? n : max;
        memcpy(buf, s, k);
        buf[k] = '\0';
        return buf;
    }
    size_t keep = max - (sizeof dots - 1), head = keep / 2, tail = keep - head;
    while (head > 0 && ((unsigned char)s[head] & 0xc0) == 0x80)
        head--;                                 /* do not split a character */
    while (tail > 0 && ((unsigned char)s[n - tail] & 0xc0) == 0x80)
        tail--;
    memcpy(buf, s, head);
    memcpy(buf + head, dots, sizeof dots - 1);
    memcpy(buf + head + sizeof dots - 1, s + n - tail, tail);
    buf[head + sizeof dots - 1 + tail] = '\0';
    return buf;
}
