/* Unit tests for xkcd: range grammar, safe names, img URLs, image checks,
 * records. The downloader itself is covered by tests/integration/3*-xkcd-*. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgpool/xkcd.h"

/* Parses spec and compares with the expected list (-1 terminated). */
static void range_is(const char *spec, long latest, const long *want)
{
    long *nums;
    size_t n, k = 0;
    char err[256] = "";
    if (xkcd_range_parse(spec, latest, &nums, &n, err, sizeof err) != 0)
        fail_msg("'%s' did not parse: %s", spec, err);
    while (want[k] >= 0)
        k++;
    if (n != k)
        fail_msg("'%s': %zu numbers, want %zu", spec, n, k);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(nums[i], want[i]);
    free(nums);
}

static void range_fails(const char *spec, long latest, const char *why)
{
    long *nums = NULL;
    size_t n = 0;
    char err[256] = "";
    if (xkcd_range_parse(spec, latest, &nums, &n, err, sizeof err) == 0)
        fail_msg("'%s' parsed, want an error about '%s'", spec, why);
    if (!strstr(err, why))
        fail_msg("'%s': error '%s' does not mention '%s'", spec, err, why);
}

static void test_xkcd__range_numbers_and_lists(void **state)
{
    (void)state;
    range_is("100", 0, (long[]){ 100, -1 });
    range_is("100-109", 0, (long[]){ 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, -1 });
    range_is("100,105,200-202", 0, (long[]){ 100, 105, 200, 201, 202, -1 });
    range_is("5-5", 0, (long[]){ 5, -1 });
    /* sorted and without duplicates, whatever the order given */
    range_is("9,3-5,4,1", 0, (long[]){ 1, 3, 4, 5, 9, -1 });
    range_is("0001-0002", 0, (long[]){ 1, 2, -1 });
}

static void test_xkcd__range_latest(void **state)
{
    (void)state;
    range_is("latest", 3000, (long[]){ 3000, -1 });
    range_is("latest-2", 3000, (long[]){ 2998, -1 });
    range_is("latest-2-latest", 3000, (long[]){ 2998, 2999, 3000, -1 });
    range_is("2999-latest", 3000, (long[]){ 2999, 3000, -1 });
    range_is("1,latest-1-latest", 3000, (long[]){ 1, 2999, 3000, -1 });
    range_is("latest-latest", 3000, (long[]){ 3000, -1 });
    /* numbers past the latest stay: the site will say "not found" */
    range_is("3001", 3000, (long[]){ 3001, -1 });
    assert_true(xkcd_range_uses_latest("100,latest"));
    assert_false(xkcd_range_uses_latest("100-109"));
}

static void test_xkcd__range_errors(void **state)
{
    (void)state;
    range_fails("", 0, "expected a number");
    range_fails("abc", 0, "expected a number");
    range_fails("100-", 0, "position 5");
    range_fails("-5", 0, "position 1");
    range_fails("1,,2", 0, "position 3");
    range_fails("100 - 109", 0, "unexpected ' '");
    range_fails("109-100", 0, "backwards");
    range_fails("0", 0, "from 1");
    range_fails("0-5", 0, "from 1");
    range_fails("1-99999999999999999999", 0, "too large");
    range_fails("1-200000", 0, "more than");
    range_fails("latest", 0, "needs the latest");
    range_fails("latest-10", 5, "before comic 1");
    range_fails("latestx", 3000, "unexpected 'x'");
    range_fails("100;rm -rf", 0, "unexpected ';'");
}

static void slug_is(const char *title, const char *want)
{
    char out[XKCD_SLUG_MAX + 1];
    assert_string_equal(xkcd_slug(title, out, sizeof out), want);
}

static void test_xkcd__slug_is_safe(void **state)
{
    (void)state;
    slug_is("Family Circus", "family_circus");
    slug_is("M.C. Hammer Slide", "m_c_hammer_slide");
    slug_is("Snakes on a Plane! 2", "snakes_on_a_plane_2");
    slug_is("Crêpe", "cr_pe");                       /* non-ASCII bytes */
    slug_is("\u202eLTR", "ltr");                      /* RTL override */
    slug_is("The\u2009bacon", "the_bacon");           /* thin space */
    slug_is("(", "comic");                            /* nothing left */
    slug_is("", "comic");
    slug_is("../../../etc/passwd", "etc_passwd");
    slug_is("/abs/path", "abs_path");
    slug_is("..", "comic");
    slug_is("a\nb\rc\x1b[31md\x7f", "a_b_c_31md");
    slug_is("  spaced  out  ", "spaced_out");
    char long_title[1000];
    memset(long_title, 'a', sizeof long_title - 1);
    long_title[sizeof long_title - 1] = '\0';
    char out[XKCD_SLUG_MAX + 1];
    assert_int_equal(strlen(xkcd_slug(long_title, out, sizeof out)), XKCD_SLUG_MAX);
    /* a cut never ends on '_' */
    memset(long_title, 'b', XKCD_SLUG_MAX - 1);
    strcpy(long_title + XKCD_SLUG_MAX - 1, " cdef");
    xkcd_slug(long_title, out, sizeof out);
    assert_int_not_equal(out[strlen(out) - 1], '_');
    /* only [a-z0-9_] ever comes out */
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    xkcd_slug(all, out, sizeof out);
    for (const char *p = out; *p; p++)
        assert_non_null(strchr("abcdefghijklmnopqrstuvwxyz0123456789_", *p));
}

static void test_xkcd__file_name(void **state)
{
    (void)state;
    char out[XKCD_NAME_MAX];
    assert_string_equal(xkcd_file_name(100, "Family Circus", "jpg", out),
                        "0100-family_circus.jpg");
    assert_string_equal(xkcd_file_name(7, "../x", "png", out), "0007-x.png");
    assert_string_equal(xkcd_file_name(12345, "", "gif", out), "12345-comic.gif");
    char title[500];
    memset(title, 'z', sizeof title - 1);
    title[sizeof title - 1] = '\0';
    xkcd_file_name(XKCD_NUM_MAX, title, "webp", out);
    assert_true(strlen(out) < XKCD_NAME_MAX);
    assert_null(strchr(out, '/'));
}

static void test_xkcd__img_check(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(xkcd_img_check("https://imgs.xkcd.com/comics/family_circus.jpg",
                                    err, sizeof err), XKCD_IMG_OK);
    assert_int_equal(xkcd_img_check("http://imgs.xkcd.com/comics/(.png", err, sizeof err),
                     XKCD_IMG_OK);
    assert_int_equal(xkcd_img_check("HTTPS://h/comics/landing/awake.png", err, sizeof err),
                     XKCD_IMG_OK);
    assert_int_equal(xkcd_img_check("", err, sizeof err), XKCD_IMG_NONE);
    assert_int_equal(xkcd_img_check("https://imgs.xkcd.com/comics/", err, sizeof err),
                     XKCD_IMG_NONE);
    assert_int_equal(xkcd_img_check("https://imgs.xkcd.com", err, sizeof err),
                     XKCD_IMG_NONE);
    assert_int_equal(xkcd_img_check("file:///etc/passwd", err, sizeof err), XKCD_IMG_BAD);
    assert_int_equal(xkcd_img_check("ftp://h/x.png", err, sizeof err), XKCD_IMG_BAD);
    assert_int_equal(xkcd_img_check("/comics/x.png", err, sizeof err), XKCD_IMG_BAD);
    assert_int_equal(xkcd_img_check("https:///x.png", err, sizeof err), XKCD_IMG_BAD);
    /* a message quoting the URL carries no control bytes */
    assert_int_equal(xkcd_img_check("gopher://\x1b[31m\n", err, sizeof err), XKCD_IMG_BAD);
    for (const char *p = err; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);
}

static const unsigned char png_1x1[] = {
    0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
    0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55, 0, 0, 0, 10,
    'I', 'D', 'A', 'T', 0x78, 0x9c, 0x63, 0x60, 0, 0, 0, 2, 0, 1, 0x48, 0xaf,
    0xa4, 0x71, 0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82,
};

static void format_is(const void *buf, size_t len, const char *want, const char *why)
{
    char err[256] = "";
    const char *got = xkcd_image_format(buf, len, err, sizeof err);
    if (want) {
        if (!got || strcmp(got, want) != 0)
            fail_msg("want %s, got %s (%s)", want, got ? got : "NULL", err);
    } else {
        if (got)
            fail_msg("want an error about '%s', got %s", why, got);
        if (!strstr(err, why))
            fail_msg("error '%s' does not mention '%s'", err, why);
    }
}

static void test_xkcd__image_format(void **state)
{
    (void)state;
    format_is(png_1x1, sizeof png_1x1, "png", NULL);
    format_is(png_1x1, sizeof png_1x1 - 1, NULL, "truncated");
    format_is(png_1x1, sizeof png_1x1 / 2, NULL, "truncated");
    static const unsigned char jpg[] = { 0xff, 0xd8, 0xff, 0xe0, 0, 16, 'J', 'F', 'I', 'F',
                                         0, 1, 0xff, 0xd9 };
    format_is(jpg, sizeof jpg, "jpg", NULL);
    format_is(jpg, sizeof jpg - 2, NULL, "truncated");
    unsigned char jpg_pad[sizeof jpg + 3];
    memcpy(jpg_pad, jpg, sizeof jpg);
    memset(jpg_pad + sizeof jpg, 0, 3);
    format_is(jpg_pad, sizeof jpg_pad, "jpg", NULL);   /* padding after EOI */
    static const unsigned char gif[] = "GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00"
                                       "\xff\xff\xff\x2c\x00\x00\x00\x00\x01\x00\x01\x00"
                                       "\x00\x02\x02\x44\x01\x00\x3b";
    format_is(gif, sizeof gif - 1, "gif", NULL);
    format_is(gif, sizeof gif - 2, NULL, "truncated");
    static const unsigned char webp[] = "RIFF\x08\x00\x00\x00WEBPVP8 ";
    format_is(webp, sizeof webp - 1, "webp", NULL);
    format_is(webp, sizeof webp - 3, NULL, "truncated");
    const char *html = "\n  <!DOCTYPE html><html><body>Please enable JavaScript</body></html>";
    format_is(html, strlen(html), NULL, "HTML");
    format_is("{\"num\": 1}", 10, NULL, "not a PNG");
    format_is("", 0, NULL, "not a PNG");
}

static void test_xkcd__record_parse(void **state)
{
    (void)state;
    const char *json =
        "{\"month\": \"5\", \"num\": 100, \"link\": \"\", \"year\": \"2006\", \"news\": \"\","
        " \"safe_title\": \"Family Circus\", \"transcript\": \"[[...]]\","
        " \"alt\": \"This was my friend David's idea\","
        " \"img\": \"https://imgs.xkcd.com/comics/family_circus.jpg\","
        " \"title\": \"Family Circus\", \"day\": \"10\"}";
    struct xkcd_record r;
    char err[256];
    assert_int_equal(xkcd_record_parse(json, strlen(json), &r, err, sizeof err), 0);
    assert_int_equal(r.num, 100);
    assert_string_equal(r.title, "Family Circus");
    assert_string_equal(r.alt, "This was my friend David's idea");
    assert_string_equal(r.img, "https://imgs.xkcd.com/comics/family_circus.jpg");
    assert_int_equal(r.year, 2006);
    assert_int_equal(r.month, 5);
    assert_int_equal(r.day, 10);
    xkcd_record_clear(&r);

    /* key order, escapes, numbers for dates, missing fields */
    const char *odd = "{\"img\":\"\",\"title\":\"\\u00e9 \\\"q\\\" }\",\"num\":1608,"
                      "\"year\":2016,\"extra_parts\":{\"x\":1}}";
    assert_int_equal(xkcd_record_parse(odd, strlen(odd), &r, err, sizeof err), 0);
    assert_int_equal(r.num, 1608);
    assert_string_equal(r.title, "\xc3\xa9 \"q\" }");
    assert_string_equal(r.img, "");
    assert_string_equal(r.safe_title, "");
    assert_int_equal(r.year, 2016);
    assert_int_equal(r.month, 0);
    xkcd_record_clear(&r);

    /* the length counts: a parser reading past it would see valid JSON */
    const char *cut = "{\"num\": 5}";
    assert_int_equal(xkcd_record_parse(cut, 5, &r, err, sizeof err), -1);
    assert_non_null(strstr(err, "malformed"));

    const char *bad[] = {
        "{\"num\": 100, \"title\": \"x\"",   /* truncated */
        "{\"num\": }",
        "<html>404</html>",
        "[1, 2]",
        "{\"num\": \"100\"}",                 /* num must be a number */
        "{\"num\": 1.5}",
        "{\"num\": -3}",
        "{\"title\": \"no num\"}",
        "{\"num\": 100, \"title\": \"no img key\"}",   /* a schema error, not "no image" */
        "{\"num\": 100, \"img\": null}",
        "{\"num\": 100, \"img\": 7}",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (xkcd_record_parse(bad[i], strlen(bad[i]), &r, err, sizeof err) != -1)
            fail_msg("'%s' parsed", bad[i]);
        assert_null(r.title);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_xkcd__range_numbers_and_lists),
        cmocka_unit_test(test_xkcd__range_latest),
        cmocka_unit_test(test_xkcd__range_errors),
        cmocka_unit_test(test_xkcd__slug_is_safe),
        cmocka_unit_test(test_xkcd__file_name),
        cmocka_unit_test(test_xkcd__img_check),
        cmocka_unit_test(test_xkcd__image_format),
        cmocka_unit_test(test_xkcd__record_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
