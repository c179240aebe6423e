#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "imgpool/timeline.h"

#define MS 1000000LL

static const char *const labels2[] = { "a", "bb" };
static const struct timeline_legend legend[] = {
    { '#', "ran" }, { '.', "waited for the lock" }, { 'G', "held the GIL" },
};

/* Returns line `n` (0-based) of s in buf. */
static const char *line_of(const char *s, int n, char *buf, size_t len)
{
    for (; n > 0 && s; n--) {
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    assert_non_null(s);
    size_t l = strcspn(s, "\n");
    assert_true(l < len);
    memcpy(buf, s, l);
    buf[l] = 0;
    return buf;
}

static void test_timeline__cells_land_where_expected(void **state)
{
    (void)state;
    struct timeline_span sp[] = {
        { 1, 30 * MS, 60 * MS, '.' },
        { 0, 0, 30 * MS, '#' },
        { 1, 90 * MS, 100 * MS, '#' },
    };
    char *s = timeline_render(labels2, 2, sp, 3, legend, 3, 0, 100 * MS, 10);
    assert_non_null(s);
    char buf[128];
    assert_string_equal(line_of(s, 0, buf, sizeof buf), "a  |###       |");
    assert_string_equal(line_of(s, 1, buf, sizeof buf), "bb |   ...   #|");
    assert_string_equal(line_of(s, 2, buf, sizeof buf), "    0 100.0 ms");
    /* legend: used marks only, in the legend's order */
    assert_string_equal(line_of(s, 3, buf, sizeof buf), "# ran   . waited for the lock");
    assert_null(strstr(s, "GIL"));
    free(s);
}

static void test_timeline__short_span_shows_one_cell(void **state)
{
    (void)state;
    const char *const l[] = { "x" };
    struct timeline_span sp[] = { { 0, 55 * MS, 55 * MS + 1000, 'G' } };
    char *s = timeline_render(l, 1, sp, 1, legend, 3, 0, 100 * MS, 10);
    assert_non_null(s);
    char buf[128];
    assert_string_equal(line_of(s, 0, buf, sizeof buf), "x |     G    |");
    free(s);
}

static void test_timeline__cell_shows_dominant_mark(void **state)
{
    (void)state;
    const char *const l[] = { "x" };
    /* cell 0 = [0,10): '#' covers 7 ms, '.' 3 ms, in either order */
    struct timeline_span sp[] = {
        { 0, 7 * MS, 10 * MS, '.' }, { 0, 0, 7 * MS, '#' },
        { 0, 10 * MS, 12 * MS, '#' }, { 0, 12 * MS, 20 * MS, '.' },
    };
    char *s = timeline_render(l, 1, sp, 4, legend, 3, 0, 100 * MS, 10);
    assert_non_null(s);
    char buf[128];
    assert_string_equal(line_of(s, 0, buf, sizeof buf), "x |#.        |");
    free(s);
}

static void test_timeline__clips_and_ignores_bad_rows(void **state)
{
    (void)state;
    const char *const l[] = { "x" };
    struct timeline_span sp[] = {
        { 0, -50 * MS, 5 * MS, '#' },      /* starts before t0 */
        { 0, 95 * MS, 500 * MS, '#' },     /* ends after t1 */
        { 3, 0, 100 * MS, 'Z' },           /* no such row */
        { 0, 200 * MS, 300 * MS, '.' },    /* wholly outside */
    };
    char *s = timeline_render(l, 1, sp, 4, legend, 3, 0, 100 * MS, 10);
    assert_non_null(s);
    char buf[128];
    assert_string_equal(line_of(s, 0, buf, sizeof buf), "x |#        #|");
    assert_null(strchr(s, 'Z'));
    free(s);
}

static void test_timeline__default_width_and_units(void **state)
{
    (void)state;
    const char *const l[] = { "row" };
    struct timeline_span sp[] = { { 0, 0, 2500 * MS, '?' } };
    char *s = timeline_render(l, 1, sp, 1, legend, 3, 0, 2500 * MS, 0);
    assert_non_null(s);
    char buf[256];
    line_of(s, 0, buf, sizeof buf);
    assert_int_equal(strlen(buf), strlen("row ||") + 60);
    assert_non_null(strstr(line_of(s, 1, buf, sizeof buf), "2.50 s"));
    /* a mark without a meaning is listed bare */
    assert_string_equal(line_of(s, 2, buf, sizeof buf), "?");
    free(s);
}

/* Three rows "on a CPU" at once on two CPUs: each column keeps the two
 * covered longest; a row that also waited shows that, one that did not shows
 * the demote mark; equal rows take turns losing. */
static void test_timeline__cap_per_column(void **state)
{
    (void)state;
    static const char *const l3[] = { "a", "b", "c" };
    struct timeline_span sp[] = {
        { 0, 0, 100 * MS, '#' },
        { 1, 0, 100 * MS, '#' },
        { 2, 0, 60 * MS, '#' },              /* covers cells 0-5 fully */
        { 2, 60 * MS, 100 * MS, '.' },
    };
    struct timeline_cap cap = { "#", 2, '-' };
    char *s = timeline_render_capped(l3, 3, sp, 4, legend, 3, 0, 100 * MS, 10, &cap);
    assert_non_null(s);
    char buf[64];
    /* columns 0-5: three equal rows, one loses by turns; 6-9: c waited */
    int lost[3] = { 0, 0, 0 };
    for (int r = 0; r < 3; r++) {
        line_of(s, r, buf, sizeof buf);
        for (int c = 0; c < 10; c++) {
            char ch = buf[strlen(l3[r]) + 2 + c];
            if (c >= 6 && r == 2)
                assert_int_equal(ch, '.');
            else if (ch == '-')
                lost[r]++;
            else
                assert_int_equal(ch, '#');
        }
    }
    assert_int_equal(lost[0] + lost[1] + lost[2], 6);
    for (int r = 0; r < 3; r++)
        assert_true(lost[r] >= 1 && lost[r] <= 3);   /* round-robin, not one victim */
    assert_non_null(strstr(s, "   -\n"));           /* the demote mark is in the legend */
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeline__cells_land_where_expected),
        cmocka_unit_test(test_timeline__short_span_shows_one_cell),
        cmocka_unit_test(test_timeline__cell_shows_dominant_mark),
        cmocka_unit_test(test_timeline__clips_and_ignores_bad_rows),
        cmocka_unit_test(test_timeline__default_width_and_units),
        cmocka_unit_test(test_timeline__cap_per_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
