/* Unit tests for geom: parsing, and sizes compared with ImageMagick 6.9.11
 * (`convert -size WxH xc:red -resize G -format %wx%h info:`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "imgpool/geom.h"

static struct geom parse_ok(const char *s)
{
    struct geom g;
    char err[128] = "";
    int rc = geom_parse(s, &g, err, sizeof err);
    if (rc != 0)
        fail_msg("geom_parse(\"%s\") failed: %s", s, err);
    return g;
}

static void test_geom__parse_forms(void **state)
{
    (void)state;
    struct geom g = parse_ok("256x256");
    assert_int_equal(g.kind, GEOM_FIT);
    assert_int_equal(g.w, 256);
    assert_int_equal(g.h, 256);
    assert_int_equal(g.only, GEOM_ANY);

    g = parse_ok("800x");
    assert_int_equal(g.kind, GEOM_FIT);
    assert_int_equal(g.w, 800);
    assert_int_equal(g.h, 0);
    g = parse_ok("800");
    assert_int_equal(g.w, 800);
    assert_int_equal(g.h, 0);
    g = parse_ok("x600");
    assert_int_equal(g.w, 0);
    assert_int_equal(g.h, 600);

    g = parse_ok("50%");
    assert_int_equal(g.kind, GEOM_PERCENT);
    assert_true(g.percent == 50.0 && g.percent_y == 50.0);
    g = parse_ok("50%x25%");
    assert_true(g.percent == 50.0 && g.percent_y == 25.0);
    g = parse_ok("12.5%");
    assert_true(g.percent == 12.5);

    g = parse_ok("100x50!");
    assert_int_equal(g.kind, GEOM_EXACT);
    assert_int_equal(g.w, 100);
    assert_int_equal(g.h, 50);
    g = parse_ok("300x300>");
    assert_int_equal(g.only, GEOM_SHRINK);
    g = parse_ok("300x300<");
    assert_int_equal(g.only, GEOM_ENLARGE);
    g = parse_ok("1000000x1");
    assert_int_equal(g.w, 1000000);
}

static void test_geom__parse_rejects(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "x", "%", "0x0", "0x10", "10x0", "-5x5", "5x-5", "abc", "10y10", "10x10x10",
        "10 x10", " 10x10", "10x10 ", "10.5x10", "0%", "-50%", "nan%", "inf%",
        "1000001x1", "99999999999999999999999x1", "4294967297x1", "100x!", "x100!",
        "50%!", "10x10>>", "10x10!>", "1e3x1", "20000%", "%x50%", "0x0x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct geom g;
        char err[128] = "";
        if (geom_parse(bad[i], &g, err, sizeof err) != -1)
            fail_msg("geom_parse(\"%s\") accepted it", bad[i]);
        if (!strstr(err, "bad geometry"))
            fail_msg("geom_parse(\"%s\"): no message (got \"%s\")", bad[i], err);
        assert_int_equal(g.kind, GEOM_NONE);
    }
    struct geom g;
    char err[128];
    assert_int_equal(geom_parse(NULL, &g, err, sizeof err), -1);
}

/* in size, geometry, expected size — measured with ImageMagick 6.9.11. */
static const struct { unsigned w, h; const char *g; unsigned ow, oh; } geom_im_cases[] = {
    {640, 480, "256x256", 256, 192},   {640, 480, "100x", 100, 75},
    {640, 480, "x100", 133, 100},      {640, 480, "50%", 320, 240},
    {640, 480, "33%", 211, 158},       {640, 480, "50%x25%", 320, 120},
    {640, 480, "100x100!", 100, 100},  {640, 480, "300x300>", 300, 225},
    {640, 480, "300x300<", 640, 480},  {640, 480, "10x10>", 10, 8},
    {640, 480, "2000x2000<", 2000, 1500}, {640, 480, "3x3", 3, 2},
    {333, 222, "256x256", 256, 171},   {333, 222, "100x", 100, 67},
    {333, 222, "x100", 150, 100},      {333, 222, "50%", 167, 111},
    {333, 222, "33%", 110, 73},        {333, 222, "50%x25%", 167, 56},
    {333, 222, "2000x2000<", 2000, 1333}, {333, 222, "10x10>", 10, 7},
    {1000, 1, "256x256", 256, 1},      {1000, 1, "2000x2000<", 2000, 2},
    {1000, 1, "1x1", 1, 1},            {1, 1000, "256x256", 1, 256},
    {1, 1000, "2000x2000<", 2, 2000},  {7, 3, "256x256", 256, 110},
    {7, 3, "100x", 100, 43},           {7, 3, "x100", 233, 100},
    {7, 3, "50%", 4, 2},               {7, 3, "33%", 2, 1},
    {7, 3, "300x300>", 7, 3},          {7, 3, "300x300<", 300, 129},
    {7, 3, "10x10>", 7, 3},            {7, 3, "3x3", 3, 1},
};

static void test_geom__apply_matches_imagemagick(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof geom_im_cases / sizeof geom_im_cases[0]; i++) {
        struct geom g = parse_ok(geom_im_cases[i].g);
        unsigned w, h;
        geom_apply(&g, geom_im_cases[i].w, geom_im_cases[i].h, &w, &h);
        if (w != geom_im_cases[i].ow || h != geom_im_cases[i].oh)
            fail_msg("%ux%u -resize %s: got %ux%u, ImageMagick gives %ux%u",
                     geom_im_cases[i].w, geom_im_cases[i].h, geom_im_cases[i].g, w, h,
                     geom_im_cases[i].ow, geom_im_cases[i].oh);
    }
}

static void test_geom__apply_never_zero_or_huge(void **state)
{
    (void)state;
    unsigned w, h;
    struct geom g = parse_ok("33%");
    geom_apply(&g, 1000, 1, &w, &h);            /* ImageMagick errors out: 330x0 */
    assert_int_equal(w, 330);
    assert_int_equal(h, 1);
    g = parse_ok("x1000000");
    geom_apply(&g, 1000000, 1, &w, &h);         /* would be 10^12 wide */
    assert_int_equal(w, GEOM_MAX_SIDE);
    assert_int_equal(h, 1000000);
    g = parse_ok("10000%");
    geom_apply(&g, 4000000000u, 4000000000u, &w, &h);
    assert_int_equal(w, GEOM_MAX_SIDE);
    geom_apply(NULL, 5, 6, &w, &h);
    assert_int_equal(w, 5);
    assert_int_equal(h, 6);
    struct geom none = {0};
    geom_apply(&none, 0, 0, &w, &h);
    assert_int_equal(w, 1);
    assert_int_equal(h, 1);
}

static void test_geom__format_round_trips(void **state)
{
    (void)state;
    const char *forms[] = {"256x256", "800x", "x600", "50%", "50%x25%", "100x50!",
                           "300x300>", "300x300<", "12.5%"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        struct geom g = parse_ok(forms[i]);
        char buf[64];
        geom_format(&g, buf, sizeof buf);
        assert_string_equal(buf, forms[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geom__parse_forms),
        cmocka_unit_test(test_geom__parse_rejects),
        cmocka_unit_test(test_geom__apply_matches_imagemagick),
        cmocka_unit_test(test_geom__apply_never_zero_or_huge),
        cmocka_unit_test(test_geom__format_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
