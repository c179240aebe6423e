/* cli_report.c — `imgpool report merge REPORT.json... [-o OUT.json]`:
 * merges --report files of shards into one and prints the totals. A path
 * that appears in two reports means two shards overlapped: an error. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "imgpool/outfile.h"

static cJSON *cli_report_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "imgpool: cannot read '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len + 65536 > cap) {
            char *nb = realloc(buf, cap = 2 * cap + 65536);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
    } while (n > 0);
    fclose(f);
    buf[len] = '\0';
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    const cJSON *schema = cJSON_GetObjectItemCaseSensitive(j, "schema");
    if (!cJSON_IsString(schema) || strcmp(schema->valuestring, "imgpool-report/1") != 0 ||
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "files"))) {
        fprintf(stderr, "imgpool: '%s' is not an imgpool-report/1 file\n", path);
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

static int cli_report_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Counts paths reported twice (sorted copy of the path list). */
static size_t cli_report_duplicates(const cJSON *files)
{
    size_t n = (size_t)cJSON_GetArraySize(files), i = 0, dups = 0;
    const char **paths = calloc(n ? n : 1, sizeof *paths);
    if (!paths)
        return 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, files) {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(f, "path_bytes");
        if (!cJSON_IsString(p))   /* a name that is not UTF-8: its exact bytes */
            p = cJSON_GetObjectItemCaseSensitive(f, "path");
        paths[i++] = cJSON_IsString(p) ? p->valuestring : "";
    }
    qsort(paths, n, sizeof *paths, cli_report_cmp);
    for (i = 1; i < n; i++)
        if (strcmp(paths[i - 1], paths[i]) == 0) {
            fprintf(stderr, "imgpool: '%s' is in more than one report\n", paths[i]);
            dups++;
        }
    free(paths);
    return dups;
}

static void cli_report_sum(cJSON *total, const cJSON *summary)
{
    static const char *const sums[] = { "files", "ok", "failed", "skipped", "crashed", "cpu_ms" };
    for (size_t i = 0; i < sizeof sums / sizeof *sums; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(summary, sums[i]);
        cJSON *t = cJSON_GetObjectItemCaseSensitive(total, sums[i]);
        cJSON_SetNumberValue(t, t->valuedouble + (cJSON_IsNumber(v) ? v->valuedouble : 0));
    }
    const cJSON *wall = cJSON_GetObjectItemCaseSensitive(summary, "wall_ms");
    cJSON *tw = cJSON_GetObjectItemCaseSensitive(total, "wall_ms");
    if (cJSON_IsNumber(wall) && wall->valuedouble > tw->valuedouble)
        cJSON_SetNumberValue(tw, wall->valuedouble);   /* shards run side by side */
    if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(summary, "interrupted")))
        cJSON_ReplaceItemInObjectCaseSensitive(total, "interrupted", cJSON_CreateTrue());
}

static int cli_report_write(const cJSON *merged, const char *path)
{
    char err[4200];
    struct outfile *f;
    char *text = cJSON_Print(merged);
    if (!text || outfile_open_target(path, &f, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool: %s\n", text ? err : "out of memory");
        free(text);
        return -1;
    }
    int rc = outfile_write(f, text, strlen(text), err, sizeof err);
    free(text);
    if (rc != 0) {
        fprintf(stderr, "imgpool: %s\n", err);
        outfile_abort(f);
        return -1;
    }
    if (outfile_commit(f, err, sizeof err) != 0) {
        fprintf(stderr, "imgpool: %s\n", err);
        return -1;
    }
    return 0;
}

static void cli_report_usage(FILE *to)
{
    fputs("Usage: imgpool report merge REPORT.json... [-o OUT.json]\n"
          "Merges --report files (e.g. one per shard) and prints the totals.\n"
          "Exit status: 0 merged, 1 a report unreadable or a file in two reports, 2 usage.\n",
          to);
}

int cli_report_main(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        cli_report_usage(stdout);
        return CLI_OK;
    }
    if (argc < 3 || strcmp(argv[1], "merge") != 0) {
        cli_report_usage(stderr);
        return CLI_USAGE;
    }
    const char *out = NULL;
    cJSON *merged = cJSON_CreateObject(), *files = cJSON_CreateArray();
    cJSON *total = cJSON_CreateObject();
    cJSON_AddStringToObject(merged, "schema", "imgpool-report/1");
    cJSON_AddItemToObject(merged, "files", files);
    static const char *const fields[] = { "files", "ok", "failed", "skipped", "crashed",
                                          "wall_ms", "cpu_ms" };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        cJSON_AddNumberToObject(total, fields[i], 0);
    cJSON_AddBoolToObject(total, "interrupted", 0);
    int rc = CLI_OK, inputs = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) {
            out = argv[++i];
            continue;
        }
        cJSON *j = cli_report_load(argv[i]);
        if (!j) {
            rc = CLI_FAILED;
            continue;
        }
        inputs++;
        cJSON *f;
        cJSON *list = cJSON_DetachItemFromObjectCaseSensitive(j, "files");
        while ((f = cJSON_DetachItemFromArray(list, 0)) != NULL)
            cJSON_AddItemToArray(files, f);
        cJSON_Delete(list);
        cli_report_sum(total, cJSON_GetObjectItemCaseSensitive(j, "summary"));
        cJSON_Delete(j);
    }
    cJSON_AddNumberToObject(total, "reports", inputs);
    cJSON_AddItemToObject(merged, "summary", total);
    if (cli_report_duplicates(files))
        rc = CLI_FAILED;
    printf("%d reports: %.0f files: %.0f ok, %.0f skipped, %.0f failed, %.0f crashed;"
           " %.2f s longest shard, %.2f s CPU\n", inputs,
           cJSON_GetObjectItem(total, "files")->valuedouble,
           cJSON_GetObjectItem(total, "ok")->valuedouble,
           cJSON_GetObjectItem(total, "skipped")->valuedouble,
           cJSON_GetObjectItem(total, "failed")->valuedouble,
           cJSON_GetObjectItem(total, "crashed")->valuedouble,
           cJSON_GetObjectItem(total, "wall_ms")->valuedouble / 1e3,
           cJSON_GetObjectItem(total, "cpu_ms")->valuedouble / 1e3);
    if (out && cli_report_write(merged, out) != 0)
        rc = CLI_FAILED;
    cJSON_Delete(merged);
    return rc;
}
