#include "imgpool/shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned shard_of(const char *key, unsigned count)
{
    uint64_t h = 14695981039346656037ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return count > 1 ? (unsigned)(h % count) : 0;
}

static int shard_number(const char *s, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = s ? strtoll(s, &end, 10) : 0;
    if (!s || errno || end == s || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

int shard_parse(const char *s, struct shard *out, char *err, size_t errlen)
{
    long long k, n;
    char kbuf[32];
    const char *slash = s ? strchr(s, '/') : NULL;
    if (!slash || slash - s >= (long)sizeof kbuf) {
        snprintf(err, errlen, "invalid shard '%s' (K/N, e.g. 2/8)", s ? s : "");
        return -1;
    }
    snprintf(kbuf, sizeof kbuf, "%.*s", (int)(slash - s), s);
    if (shard_number(slash + 1, 1, SHARD_MAX, &n) != 0 || shard_number(kbuf, 1, n, &k) != 0) {
        snprintf(err, errlen, "invalid shard '%s' (K/N with 1 <= K <= N <= %d)", s, SHARD_MAX);
        return -1;
    }
    out->index = (unsigned)(k - 1);
    out->count = (unsigned)n;
    out->source = "--shard";
    return 0;
}

static int shard_slurm(char *(*env)(const char *), struct shard *out, char *err, size_t errlen)
{
    long long id, count, min = 0, max;
    if (shard_number(env("SLURM_ARRAY_TASK_ID"), 0, 1LL << 31, &id) != 0) {
        snprintf(err, errlen, "SLURM_ARRAY_TASK_ID is not a number");
        return -1;
    }
    if (env("SLURM_ARRAY_TASK_MIN") &&
        shard_number(env("SLURM_ARRAY_TASK_MIN"), 0, id, &min) != 0) {
        snprintf(err, errlen, "SLURM_ARRAY_TASK_MIN is not a number <= SLURM_ARRAY_TASK_ID");
        return -1;
    }
    if (shard_number(env("SLURM_ARRAY_TASK_MAX"), id, 1LL << 31, &max) == 0) {
        count = max - min + 1;
    } else if (shard_number(env("SLURM_ARRAY_TASK_COUNT"), 1, SHARD_MAX, &count) != 0) {
        snprintf(err, errlen, "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT"
                 " nor SLURM_ARRAY_TASK_MAX is usable");
        return -1;
    }
    if (id - min >= count || count > SHARD_MAX) {
        snprintf(err, errlen, "SLURM array task %lld is outside %lld tasks from %lld", id, count,
                 min);
        return -1;
    }
    out->index = (unsigned)(id - min);
    out->count = (unsigned)count;
    out->source = "SLURM_ARRAY_TASK_ID";
    return 1;
}

int shard_from_env(char *(*env)(const char *), unsigned shards, struct shard *out,
                   char *err, size_t errlen)
{
    *out = (struct shard){ 0, 1, NULL };
    if (env("SLURM_ARRAY_TASK_ID"))
        return shard_slurm(env, out, err, errlen);
    const char *k8s = env("JOB_COMPLETION_INDEX");
    if (!k8s)
        return 0;
    long long idx;
    if (!shards) {
        snprintf(err, errlen, "JOB_COMPLETION_INDEX is set: give the number of completions"
                 " with --shards N");
        return -1;
    }
    if (shard_number(k8s, 0, (long long)shards - 1, &idx) != 0) {
        snprintf(err, errlen, "JOB_COMPLETION_INDEX '%s' is not in 0..%u", k8s, shards - 1);
        return -1;
    }
    out->index = (unsigned)idx;
    out->count = shards;
    out->source = "JOB_COMPLETION_INDEX";
    return 1;
}
