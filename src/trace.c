/* trace.c — Chrome trace-event JSON writer.
 *
 * Events are buffered (strings copied) under a mutex and serialised only at
 * trace_close(), one small cJSON object per event, so memory stays at the
 * buffer plus one event's text and cJSON does the string escaping (names
 * that are not UTF-8 get U+FFFD, so the JSON stays valid). The output is
 * opened at trace_create() through outfile_open_target (fail early on a bad
 * path; a FIFO or device is written in place; a regular file is an unnamed
 * temporary file, so a SIGKILL leaves nothing behind) and put in place only
 * after every write and fclose succeeded.
 */
#include "imgpool/trace.h"
#include "imgpool/clock.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "imgpool/outfile.h"
#include "imgpool/text.h"

struct trace_event {
    char ph;              /* 'X' span, 'M' metadata */
    int pid, tid;
    int64_t start_ns, end_ns;
    char *name;           /* span name, or "process_name"/"thread_name" */
    char *cat;            /* span category, or the metadata's name argument */
};

struct trace {
    pthread_mutex_t mu;
    struct trace_event *ev;
    size_t n, cap;
    int oom;              /* an event was dropped: trace_close fails */
    int64_t created_ns;
    char *path;
    struct outfile *out;
};

static void trace_free(struct trace *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->ev[i].name);
        free(t->ev[i].cat);
    }
    free(t->ev);
    pthread_mutex_destroy(&t->mu);
    outfile_abort(t->out);
    free(t->path);
    free(t);
}

int trace_create(const char *path, struct trace **out, char *err, size_t errlen)
{
    *out = NULL;
    struct trace *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    pthread_mutex_init(&t->mu, NULL);
    t->created_ns = clock_now_ns();
    t->path = strdup(path);
    if (!t->path) {
        snprintf(err, errlen, "out of memory");
        trace_free(t);
        return -1;
    }
    if (outfile_open_target(path, &t->out, err, errlen) != 0) {
        trace_free(t);
        return -1;
    }
    *out = t;
    return 0;
}

/* Appends one event; takes ownership of name and cat (freed on failure). */
static void trace_add(struct trace *t, struct trace_event e)
{
    pthread_mutex_lock(&t->mu);
    if (!e.name || !e.cat) {
        t->oom = 1;
    } else if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        struct trace_event *ev = realloc(t->ev, cap * sizeof *ev);
        if (ev) {
            t->ev = ev;
            t->cap = cap;
        } else {
            t->oom = 1;
        }
    }
    if (t->n < t->cap && e.name && e.cat) {
        t->ev[t->n++] = e;
        e.name = e.cat = NULL;
    }
    pthread_mutex_unlock(&t->mu);
    free(e.name);
    free(e.cat);
}

void trace_span(struct trace *t, const char *name, const char *cat, int pid,
                int tid, int64_t start_ns, int64_t end_ns)
{
    if (!t)
        return;
    struct trace_event e = { 'X', pid, tid, start_ns,
                             end_ns < start_ns ? start_ns : end_ns,
                             text_utf8_fix(name), text_utf8_fix(cat) };
    trace_add(t, e);
}

void trace_process_name(struct trace *t, int pid, const char *name)
{
    if (!t)
        return;
    struct trace_event e = { 'M', pid, 0, 0, 0, strdup("process_name"), text_utf8_fix(name) };
    trace_add(t, e);
}

void trace_thread_name(struct trace *t, int pid, int tid, const char *name)
{
    if (!t)
        return;
    struct trace_event e = { 'M', pid, tid, 0, 0, strdup("thread_name"), text_utf8_fix(name) };
    trace_add(t, e);
}

/* The event as one JSON object, or NULL when out of memory. Spans carry
 * times relative to base_ns, in microseconds. */
static cJSON *trace_event_json(const struct trace_event *e, int64_t base_ns)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    char ph[2] = { e->ph, 0 };
    int ok = cJSON_AddStringToObject(o, "name", e->name) &&
             cJSON_AddStringToObject(o, "ph", ph) &&
             cJSON_AddNumberToObject(o, "pid", e->pid) &&
             cJSON_AddNumberToObject(o, "tid", e->tid);
    if (ok && e->ph == 'X') {
        ok = cJSON_AddStringToObject(o, "cat", e->cat) &&
             cJSON_AddNumberToObject(o, "ts", (double)(e->start_ns - base_ns) / 1e3) &&
             cJSON_AddNumberToObject(o, "dur", (double)(e->end_ns - e->start_ns) / 1e3);
    } else if (ok) {
        cJSON *args = cJSON_AddObjectToObject(o, "args");
        ok = args && cJSON_AddStringToObject(args, "name", e->cat);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* Writes every event to f; 0 or -1 (write error or out of memory). */
static int trace_write(const struct trace *t, FILE *f)
{
    int64_t base = t->created_ns;
    for (size_t i = 0; i < t->n; i++)
        if (t->ev[i].ph == 'X' && t->ev[i].start_ns < base)
            base = t->ev[i].start_ns;
    if (fputs("{\"traceEvents\":[\n", f) < 0)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        cJSON *o = trace_event_json(&t->ev[i], base);
        char *s = o ? cJSON_PrintUnformatted(o) : NULL;
        cJSON_Delete(o);
        if (!s)
            return -1;
        int rc = fprintf(f, "%s%s\n", s, i + 1 < t->n ? "," : "");
        cJSON_free(s);
        if (rc < 0)
            return -1;
    }
    return fputs("],\"displayTimeUnit\":\"ms\"}\n", f) < 0 ? -1 : 0;
}

int trace_close(struct trace *t, char *err, size_t errlen)
{
    if (!t)
        return 0;
    int rc = -1;
    int fd = dup(outfile_fd(t->out));   /* the outfile keeps its own descriptor */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, errlen, "cannot write '%s': %s", t->path, strerror(errno));
        if (fd >= 0)
            close(fd);
    } else if (t->oom) {
        snprintf(err, errlen, "out of memory while tracing: '%s' not written", t->path);
        fclose(f);
    } else if (trace_write(t, f) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", t->path,
                 errno ? strerror(errno) : "out of memory");
        fclose(f);
    } else if (fclose(f) != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", t->path, strerror(errno));
    } else {
        struct outfile *o = t->out;
        t->out = NULL;
        rc = outfile_commit(o, err, errlen);
    }
    trace_free(t);
    return rc;
}

void trace_abort(struct trace *t)
{
    if (t)
        trace_free(t);
}
