/* shard.h — splitting one batch across machines without coordination.
 *
 * Every file belongs to exactly one of N shards, decided by a stable hash
 * (64-bit FNV-1a) of its key: the path relative to the input root, as it
 * appears under --out. Nothing else (machine, listing order, file count)
 * changes the answer, so N independent runs together do each file once.
 */
#ifndef IMGPOOL_SHARD_H
#define IMGPOOL_SHARD_H

#include <stddef.h>
#include <stdint.h>

struct shard {
    unsigned index;         /* 0-based */
    unsigned count;         /* 1: no sharding */
    const char *source;     /* "--shard", "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX", or NULL */
};

#define SHARD_MAX 100000

/* The shard (0..count-1) of a key. */
unsigned shard_of(const char *key, unsigned count);

/* Parses "K/N" (1 <= K <= N <= SHARD_MAX) into out (index K-1). 0 or -1 with a message. */
int shard_parse(const char *s, struct shard *out, char *err, size_t errlen);

/* Reads a scheduler's environment via getenv_fn (getenv in real use):
 * Slurm job arrays (SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT, or
 * with SLURM_ARRAY_TASK_MIN/MAX), else Kubernetes Indexed Jobs
 * (JOB_COMPLETION_INDEX, 0-based, with `shards` from --shards since the
 * count is not in the environment). Returns 1 and *out if one was found, 0
 * if none (out = no sharding), -1 with a message if it is inconsistent. */
int shard_from_env(char *(*getenv_fn)(const char *), unsigned shards, struct shard *out,
                   char *err, size_t errlen);

#endif
