#include "imgpool/progress.h"

#include <stdio.h>
#include <string.h>

char *progress_clock(double seconds, char *buf, size_t len)
{
    if (seconds < 0 || seconds > 359999) {
        snprintf(buf, len, "-:--");
        return buf;
    }
    unsigned s = (unsigned)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, len, "%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, len, "%u:%02u", s / 60, s % 60);
    return buf;
}

const struct progress_words progress_words_en = {"img/s", "ETA", "failed"};

char *progress_line(const struct progress_view *v, unsigned width, char *buf, size_t len)
{
    const struct progress_words *w = v->words ? v->words : &progress_words_en;
    double secs = v->elapsed_ns / 1e9;
    double rate = secs > 0 ? v->done / secs : 0;
    double pct = v->total ? 100.0 * v->done / v->total : 100.0;
    char eta[16], tail[128], fail[32] = "";
    if (rate > 0 && v->done < v->total)
        progress_clock((v->total - v->done) / rate, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, v->done >= v->total ? "0:00" : "-:--");
    if (v->failed)
        snprintf(fail, sizeof fail, "  %llu %s", (unsigned long long)v->failed, w->failed);
    snprintf(tail, sizeof tail, " %llu/%llu %3.0f%%  %.1f %s  %s %s%s",
             (unsigned long long)v->done, (unsigned long long)v->total, pct, rate, w->rate,
             w->eta, eta, fail);
    size_t tl = strlen(tail);
    int bar = (int)width - (int)tl - 2;
    if (bar > 40)
        bar = 40;
    if (bar < 5) {   /* too narrow for a bar: numbers only */
        snprintf(buf, len, "%s", tail + 1);
        return buf;
    }
    int filled = v->total ? (int)((double)bar * v->done / v->total) : bar;
    char b[48];
    for (int i = 0; i < bar; i++)
        b[i] = i < filled ? '#' : '-';
    b[bar] = '\0';
    snprintf(buf, len, "[%s]%s", b, tail);
    return buf;
}
