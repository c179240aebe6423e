#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "imgpool/progress.h"

static void test_progress__clock(void **state)
{
    (void)state;
    char b[16];
    assert_string_equal(progress_clock(0, b, sizeof b), "0:00");
    assert_string_equal(progress_clock(65, b, sizeof b), "1:05");
    assert_string_equal(progress_clock(7389, b, sizeof b), "2:03:09");
    assert_string_equal(progress_clock(-1, b, sizeof b), "-:--");
}

static void test_progress__line_counts_and_bar(void **state)
{
    (void)state;
    char b[256];
    struct progress_view v = { 40, 100, 2, 4000000000LL, 2, 2, NULL };
    progress_line(&v, 80, b, sizeof b);
    assert_non_null(strstr(b, "40/100"));
    assert_non_null(strstr(b, " 40%"));
    assert_non_null(strstr(b, "10.0 img/s"));
    assert_non_null(strstr(b, "ETA 0:06"));
    assert_non_null(strstr(b, "2 failed"));
    assert_true(strlen(b) <= 80);
    /* 40% of the bar is filled */
    const char *open = strchr(b, '['), *close = strchr(b, ']');
    size_t bar = (size_t)(close - open - 1), hashes = 0;
    for (const char *c = open + 1; c < close; c++)
        hashes += *c == '#';
    assert_int_equal(hashes, bar * 40 / 100);
}

static void test_progress__narrow_terminal_drops_the_bar(void **state)
{
    (void)state;
    char b[256];
    struct progress_view v = { 1, 3, 0, 1000000000LL, 1, 1, NULL };
    progress_line(&v, 20, b, sizeof b);
    assert_null(strchr(b, '['));
    assert_non_null(strstr(b, "1/3"));
}

/* Another language's words (the image-pool demo's German): all three are
 * used, none of the English is left, and the line still fits. */
static void test_progress__words(void **state)
{
    (void)state;
    char b[256];
    static const struct progress_words de = {"Bilder/s", "Rest", "fehlgeschlagen"};
    struct progress_view v = { 40, 100, 2, 4000000000LL, 2, 2, &de };
    progress_line(&v, 80, b, sizeof b);
    assert_non_null(strstr(b, "10.0 Bilder/s  Rest 0:06  2 fehlgeschlagen"));
    assert_null(strstr(b, "img/s"));
    assert_null(strstr(b, "ETA"));
    assert_null(strstr(b, "failed"));
    assert_true(strlen(b) <= 80);
    assert_non_null(strchr(b, '['));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_progress__clock),
        cmocka_unit_test(test_progress__line_counts_and_bar),
        cmocka_unit_test(test_progress__narrow_terminal_drops_the_bar),
        cmocka_unit_test(test_progress__words),
    };
    return cmocka_run_group_tests_name("progress", tests, NULL, NULL);
}
