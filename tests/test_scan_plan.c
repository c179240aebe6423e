/* Unit tests for scan (finding inputs) and plan (output names, clashes, order). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imgpool/plan.h"
#include "imgpool/scan.h"

static char test_dir[64];

static void test_put(const char *rel, const char *content, size_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", test_dir, rel);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(content, 1, len, f);
    fclose(f);
}

static int test_setup(void **state)
{
    (void)state;
    snprintf(test_dir, sizeof test_dir, "/tmp/imgpool-test-XXXXXX");
    if (!mkdtemp(test_dir))
        return -1;
    char p[256];
    snprintf(p, sizeof p, "%s/sub", test_dir);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/.hid", test_dir);
    mkdir(p, 0777);
    static const char png[] = "\x89PNG\r\n\x1a\n....";
    test_put("b.png", png, sizeof png);
    test_put("a.png", "\x89PNG\r\n\x1a\nlonger file.......", 26);
    test_put("sub/c.png", png, sizeof png);
    test_put(".hidden.png", png, sizeof png);
    test_put(".hid/d.png", png, sizeof png);
    snprintf(p, sizeof p, "%s/sub/loop", test_dir);
    return symlink("..", p);   /* sub/loop -> the top folder: a loop */
}

static int test_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_dir);
    return system(cmd);
}

static struct scan *test_scan(int recursive, int hidden)
{
    struct scan_options o = { .recursive = recursive, .hidden = hidden };
    struct scan *s;
    char err[256];
    assert_int_equal(scan_create(&o, &s), 0);
    assert_int_equal(scan_add(s, test_dir, err, sizeof err), 0);
    return s;
}

static void test_scan__flat_sorted_no_hidden(void **state)
{
    (void)state;
    struct scan *s = test_scan(0, 0);
    assert_int_equal(scan_count(s), 2);
    assert_string_equal(scan_get(s, 0)->rel, "a.png");
    assert_string_equal(scan_get(s, 1)->rel, "b.png");
    scan_destroy(s);
}

static void test_scan__recursive_survives_a_loop(void **state)
{
    (void)state;
    struct scan *s = test_scan(1, 0);
    assert_int_equal(scan_count(s), 3);   /* a, b, sub/c: the loop adds nothing */
    assert_string_equal(scan_get(s, 2)->rel, "sub/c.png");
    assert_true(scan_note_count(s) >= 1);
    assert_non_null(strstr(scan_note(s, 0), "loop"));
    scan_destroy(s);
    s = test_scan(1, 1);
    assert_int_equal(scan_count(s), 5);
    scan_destroy(s);
}

/* 300 folders, each with a file and a link back to the top: every file once,
 * every link noticed, through several growths of the set of seen folders. */
static void test_scan__many_folders(void **state)
{
    (void)state;
    char top[64], p[128];
    snprintf(top, sizeof top, "/tmp/imgpool-many-XXXXXX");
    assert_non_null(mkdtemp(top));
    for (int i = 0; i < 300; i++) {
        snprintf(p, sizeof p, "%s/d%03d", top, i);
        assert_int_equal(mkdir(p, 0777), 0);
        snprintf(p, sizeof p, "%s/d%03d/x.png", top, i);
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        fclose(f);
        snprintf(p, sizeof p, "%s/d%03d/up", top, i);
        assert_int_equal(symlink("..", p), 0);
    }
    struct scan_options o = { .recursive = 1 };
    struct scan *s;
    char err[256];
    assert_int_equal(scan_create(&o, &s), 0);
    assert_int_equal(scan_add(s, top, err, sizeof err), 0);
    assert_int_equal(scan_count(s), 300);
    assert_string_equal(scan_get(s, 299)->rel, "d299/x.png");
    assert_int_equal(scan_note_count(s), 300);
    scan_destroy(s);
    snprintf(p, sizeof p, "rm -rf '%s'", top);
    assert_int_equal(system(p), 0);
}

static void test_scan__missing_input_is_an_error(void **state)
{
    (void)state;
    struct scan_options o = {0};
    struct scan *s;
    char err[256];
    assert_int_equal(scan_create(&o, &s), 0);
    assert_int_equal(scan_add(s, "/nonexistent/x", err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file"));
    scan_destroy(s);
}

static void test_plan__names_order_and_clashes(void **state)
{
    (void)state;
    test_put("photo.ppm", "P6\n1 1\n255\nabc", 14);
    test_put("photo.png", "\x89PNG\r\n\x1a\n", 8);
    struct scan *s = test_scan(1, 0);
    struct job_options jo = {0};
    jo.format = IMG_FMT_PNG;
    struct plan *p;
    char err[256];
    assert_int_equal(plan_create(s, "/out", &jo, &p, err, sizeof err), 0);
    int seen_ppm = 0, seen_png = 0;
    for (size_t i = 0; i < plan_count(p); i++) {
        const struct plan_item *it = plan_get(p, i);
        assert_null(it->clash_with);
        if (strcmp(it->in->rel, "photo.ppm") == 0)
            seen_ppm = strcmp(it->out, "/out/photo.ppm.png") == 0;
        if (strcmp(it->in->rel, "photo.png") == 0)
            seen_png = strcmp(it->out, "/out/photo.png") == 0;
        if (strcmp(it->in->rel, "sub/c.png") == 0)
            assert_string_equal(it->out, "/out/sub/c.png");
    }
    assert_true(seen_ppm && seen_png);
    /* largest first */
    const size_t *order = plan_order(p);
    for (size_t i = 1; i < plan_count(p); i++)
        assert_true(plan_get(p, order[i - 1])->in->size >= plan_get(p, order[i])->in->size);
    plan_destroy(p);
    scan_destroy(s);
    char path[256];
    snprintf(path, sizeof path, "%s/photo.ppm", test_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/photo.png", test_dir);
    unlink(path);
}

static void test_plan__unresolvable_clash_is_refused(void **state)
{
    (void)state;
    /* a.png (a PNG) and a.png.bmp... simplest unresolvable case: a file
     * named "x.png.png" next to "x.png" converted with its extension kept. */
    test_put("x.png", "\x89PNG\r\n\x1a\n", 8);
    test_put("x.bmp", "\x89PNG\r\n\x1a\n", 8);
    test_put("x.bmp.png", "\x89PNG\r\n\x1a\n", 8);
    struct scan *s = test_scan(0, 0);
    struct job_options jo = {0};
    jo.format = IMG_FMT_PNG;
    struct plan *p;
    char err[256];
    assert_int_equal(plan_create(s, "/o", &jo, &p, err, sizeof err), 0);
    unsigned refused = 0;
    for (size_t i = 0; i < plan_count(p); i++)
        refused += plan_get(p, i)->clash_with != NULL;
    assert_int_equal(refused, 1);   /* x.bmp -> x.bmp.png clashes with x.bmp.png */
    plan_destroy(p);
    scan_destroy(s);
}

/* An iPhone's live photo (IMG_0001.HEIC, .MOV, .AAE) and a camera's RAW +
 * JPEG pair: the files that will not be written leave the stem to the image,
 * so nothing clashes and the image is named as if it were alone. Two images
 * on one stem: the one already in the output's format (.JPG, whatever its
 * case) keeps the plain name. */
static void test_plan__non_images_leave_the_stem(void **state)
{
    (void)state;
    static const char *const names[] = {"IMG_0001.HEIC", "IMG_0001.MOV", "IMG_0001.AAE",
                                        "IMG_0002.CR2", "IMG_0002.JPG", "IMG_0003.JPEG",
                                        "IMG_0003.PNG"};
    static const char jpeg[] = "\xff\xd8\xff\xe0\0\x10JFIF\0";
    test_put(names[0], "\0\0\0\x18" "ftypheic\0\0\0\0mif1heic", 24);
    test_put(names[1], "\0\0\0\x14" "ftypqt  \0\0\x02\0qt  ", 20);
    test_put(names[2], "<?xml version=\"1.0\"?><plist/>", 29);
    test_put(names[3], "II*\0\x10\0\0\0CR\x02\0", 12);
    test_put(names[4], jpeg, sizeof jpeg - 1);
    test_put(names[5], jpeg, sizeof jpeg - 1);
    test_put(names[6], "\x89PNG\r\n\x1a\n", 8);
    struct scan *s = test_scan(0, 0);
    struct job_options jo = {0};
    jo.format = IMG_FMT_JPG;
    struct plan *p;
    char err[256];
    assert_int_equal(plan_create(s, "/o", &jo, &p, err, sizeof err), 0);
    static const char *const want[] = {"/o/IMG_0001.jpg", "/o/IMG_0001.MOV.jpg",
                                       "/o/IMG_0001.AAE.jpg", "/o/IMG_0002.CR2.jpg",
                                       "/o/IMG_0002.jpg", "/o/IMG_0003.jpg",
                                       "/o/IMG_0003.PNG.jpg"};
    const unsigned nn = sizeof names / sizeof *names;
    unsigned found = 0;
    for (size_t i = 0; i < plan_count(p); i++) {
        const struct plan_item *it = plan_get(p, i);
        for (unsigned k = 0; k < nn; k++)    /* (other tests' files are here too) */
            if (strcmp(it->in->rel, names[k]) == 0) {
                assert_string_equal(it->out, want[k]);
                assert_null(it->clash_with);
                found++;
            }
    }
    assert_int_equal(found, nn);
    plan_destroy(p);
    scan_destroy(s);
    for (unsigned k = 0; k < nn; k++) {
        char path[256];
        snprintf(path, sizeof path, "%s/%s", test_dir, names[k]);
        unlink(path);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan__flat_sorted_no_hidden),
        cmocka_unit_test(test_scan__recursive_survives_a_loop),
        cmocka_unit_test(test_scan__many_folders),
        cmocka_unit_test(test_scan__missing_input_is_an_error),
        cmocka_unit_test(test_plan__names_order_and_clashes),
        cmocka_unit_test(test_plan__unresolvable_clash_is_refused),
        cmocka_unit_test(test_plan__non_images_leave_the_stem),
    };
    return cmocka_run_group_tests_name("scan_plan", tests, test_setup, test_teardown);
}
