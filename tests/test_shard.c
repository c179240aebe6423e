#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imgpool/shard.h"

/* Every file in exactly one shard, for N = 1..16 and 0..5000 files, and the
 * shards are not wildly uneven. */
static void test_shard__partition_property(void **state)
{
    (void)state;
    static const unsigned sizes[] = { 0, 1, 2, 17, 5000 };
    for (unsigned n = 1; n <= 16; n++) {
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            unsigned files = sizes[s], per[16] = {0};
            for (unsigned i = 0; i < files; i++) {
                char key[64];
                snprintf(key, sizeof key, "dir%u/photo-%05u.jpg", i % 7, i);
                unsigned owners = 0;
                for (unsigned k = 0; k < n; k++)
                    owners += shard_of(key, n) == k;
                assert_int_equal(owners, 1);
                per[shard_of(key, n)]++;
            }
            if (files == 5000)
                for (unsigned k = 0; k < n; k++)
                    assert_true(per[k] > 5000 / n / 2 && per[k] < 5000 / n * 2);
        }
    }
}

static void test_shard__stable_values(void **state)
{
    (void)state;
    /* FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c: the key must never change
     * between versions, or shards of one batch would disagree. */
    assert_int_equal(shard_of("a", 1000), 0xaf63dc4c8601ec8cull % 1000);
    assert_int_equal(shard_of("anything", 1), 0);
}

static void test_shard__parse(void **state)
{
    (void)state;
    struct shard s;
    char err[200];
    assert_int_equal(shard_parse("2/8", &s, err, sizeof err), 0);
    assert_int_equal(s.index, 1);
    assert_int_equal(s.count, 8);
    static const char *const bad[] = { "0/4", "5/4", "1/0", "x/4", "2", "2/", "/2", "-1/4",
                                       "1/4x", "" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(shard_parse(bad[i], &s, err, sizeof err), -1);
}

static const char *const *test_env;

static char *test_getenv(const char *name)
{
    for (const char *const *e = test_env; e && *e; e += 2)
        if (strcmp(e[0], name) == 0)
            return (char *)e[1];
    return NULL;
}

static void test_shard__from_environment(void **state)
{
    (void)state;
    struct shard s;
    char err[200];
    static const char *const none[] = { NULL };
    test_env = none;
    assert_int_equal(shard_from_env(test_getenv, 0, &s, err, sizeof err), 0);
    assert_int_equal(s.count, 1);

    static const char *const slurm[] = { "SLURM_ARRAY_TASK_ID", "3",
                                         "SLURM_ARRAY_TASK_COUNT", "4", NULL };
    test_env = slurm;
    assert_int_equal(shard_from_env(test_getenv, 0, &s, err, sizeof err), 1);
    assert_int_equal(s.index, 3);
    assert_int_equal(s.count, 4);
    assert_string_equal(s.source, "SLURM_ARRAY_TASK_ID");

    static const char *const minmax[] = { "SLURM_ARRAY_TASK_ID", "12", "SLURM_ARRAY_TASK_MIN",
                                          "10", "SLURM_ARRAY_TASK_MAX", "13", NULL };
    test_env = minmax;
    assert_int_equal(shard_from_env(test_getenv, 0, &s, err, sizeof err), 1);
    assert_int_equal(s.index, 2);
    assert_int_equal(s.count, 4);

    static const char *const k8s[] = { "JOB_COMPLETION_INDEX", "5", NULL };
    test_env = k8s;
    assert_int_equal(shard_from_env(test_getenv, 0, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "--shards"));
    assert_int_equal(shard_from_env(test_getenv, 8, &s, err, sizeof err), 1);
    assert_int_equal(s.index, 5);
    assert_int_equal(s.count, 8);
    assert_int_equal(shard_from_env(test_getenv, 5, &s, err, sizeof err), -1);

    static const char *const broken[] = { "SLURM_ARRAY_TASK_ID", "7",
                                          "SLURM_ARRAY_TASK_COUNT", "4", NULL };
    test_env = broken;
    assert_int_equal(shard_from_env(test_getenv, 0, &s, err, sizeof err), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard__partition_property),
        cmocka_unit_test(test_shard__stable_values),
        cmocka_unit_test(test_shard__parse),
        cmocka_unit_test(test_shard__from_environment),
    };
    return cmocka_run_group_tests_name("shard", tests, NULL, NULL);
}
