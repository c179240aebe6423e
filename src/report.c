/* report.c — the --report JSON writer (schema in report.h). File names are
 * bytes, JSON is UTF-8: a name that is not UTF-8 is written with U+FFFD in
 * place of each bad byte, plus its exact bytes in hex beside it. */
#include "imgpool/report.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imgpool/outfile.h"
#include "imgpool/text.h"

struct report {
    struct outfile *file;
    FILE *fp;
    size_t count;
    int failed;    /* errno of the first write error */
};

int report_create(const char *path, struct report **out, char *err, size_t errlen)
{
    struct report *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (outfile_open_target(path, &r->file, err, errlen) != 0) {
        free(r);
        return -1;
    }
    /* The outfile keeps its fd: write through a dup so fclose is ours. */
    int fd = dup(outfile_fd(r->file));
    r->fp = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!r->fp) {
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        outfile_abort(r->file);
        free(r);
        return -1;
    }
    fputs("{\"schema\": \"imgpool-report/1\",\n \"files\": [", r->fp);
    *out = r;
    return 0;
}

static void report_put_json(struct report *r, cJSON *obj, const char *prefix)
{
    char *s = obj ? cJSON_PrintUnformatted(obj) : NULL;
    if (!s) {
        r->failed = r->failed ? r->failed : ENOMEM;
    } else if (fprintf(r->fp, "%s%s", prefix, s) < 0 && !r->failed) {
        r->failed = errno;
    }
    free(s);
    cJSON_Delete(obj);
}

/* Adds key: s (null if s is NULL), as UTF-8; with bytes_key, the exact
 * bytes in hex too when s is not UTF-8. 0, or -1 when out of memory. */
static int report_add_text(cJSON *o, const char *key, const char *s, const char *bytes_key)
{
    if (!s)
        return cJSON_AddNullToObject(o, key) ? 0 : -1;
    if (text_utf8_valid(s))
        return cJSON_AddStringToObject(o, key, s) ? 0 : -1;
    char *fixed = text_utf8_fix(s), *hex = bytes_key ? text_hex(s) : NULL;
    int ok = fixed && cJSON_AddStringToObject(o, key, fixed) &&
             (!bytes_key || (hex && cJSON_AddStringToObject(o, bytes_key, hex)));
    free(fixed);
    free(hex);
    return ok ? 0 : -1;
}

int report_add(struct report *r, const struct report_file *f)
{
    cJSON *o = cJSON_CreateObject();
    if (o && (report_add_text(o, "path", f->path, "path_bytes") != 0 ||
              report_add_text(o, "output", f->output, "output_bytes") != 0 ||
              report_add_text(o, "status", f->status, NULL) != 0 ||
              report_add_text(o, "error", f->error, NULL) != 0 ||
              report_add_text(o, "reason", f->reason, NULL) != 0)) {
        cJSON_Delete(o);
        o = NULL;
    }
    if (o) {
        cJSON_AddNumberToObject(o, "bytes_in", (double)f->bytes_in);
        cJSON_AddNumberToObject(o, "bytes_out", (double)f->bytes_out);
        cJSON_AddNumberToObject(o, "width", f->width);
        cJSON_AddNumberToObject(o, "height", f->height);
        cJSON_AddNumberToObject(o, "out_width", f->out_width);
        cJSON_AddNumberToObject(o, "out_height", f->out_height);
        cJSON_AddNumberToObject(o, "ms", f->ms);
        cJSON_AddNumberToObject(o, "worker_pid", f->worker_pid);
        cJSON_AddNumberToObject(o, "worker", f->worker);
    }
    report_put_json(r, o, r->count++ ? ",\n  " : "\n  ");
    return r->failed ? -1 : 0;
}

int report_close(struct report *r, const struct report_summary *s, char *err, size_t errlen)
{
    cJSON *o = cJSON_CreateObject();
    if (o) {
        cJSON_AddNumberToObject(o, "files", (double)s->files);
        cJSON_AddNumberToObject(o, "ok", (double)s->ok);
        cJSON_AddNumberToObject(o, "failed", (double)s->failed);
        cJSON_AddNumberToObject(o, "skipped", (double)s->skipped);
        cJSON_AddNumberToObject(o, "crashed", (double)s->crashed);
        cJSON_AddNumberToObject(o, "wall_ms", s->wall_ms);
        cJSON_AddNumberToObject(o, "cpu_ms", s->cpu_ms);
        cJSON_AddNumberToObject(o, "procs", s->procs);
        cJSON_AddBoolToObject(o, "interrupted", s->interrupted);
    }
    report_put_json(r, o, "\n ],\n \"summary\": ");
    if (fputs("}\n", r->fp) < 0 && !r->failed)
        r->failed = errno;
    if (fclose(r->fp) != 0 && !r->failed)
        r->failed = errno;
    int rc;
    if (r->failed) {
        snprintf(err, errlen, "cannot write report: %s", strerror(r->failed));
        outfile_abort(r->file);
        rc = -1;
    } else {
        rc = outfile_commit(r->file, err, errlen);
    }
    free(r);
    return rc;
}

void report_abort(struct report *r)
{
    if (!r)
        return;
    fclose(r->fp);
    outfile_abort(r->file);
    free(r);
}
