/* driver.c — `imgpool demo ...`: lists demos, parses the options every demo
 * shares plus its own numeric ones, prints the explanation, runs the demo,
 * then draws the timeline / writes the trace and says what to observe.
 *
 * Every usage error is found here, before the explanation: the options, the
 * relations between them the demo declares, and what the demo hands on to
 * another parser (its check). A demo's run never sees a bad argument. */
#include "demo.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "imgpool/trace.h"

struct demo_opts {
    int help, show_code, python, timeline;
    const char *trace;
    unsigned width;
};

static const struct demo *demo_find(const char *name)
{
    for (unsigned i = 0; i < demo_count; i++)
        if (strcmp(demo_registry[i].demo->name, name) == 0)
            return demo_registry[i].demo;
    return NULL;
}

static void demo_list(FILE *f, const struct demo_ctx *ctx)
{
    for (unsigned i = 0; i < demo_count; i++) {
        const struct demo *d = demo_registry[i].demo;
        fprintf(f, "  %-14s %s\n", d->name, demo_tr(ctx, d->summary.en, d->summary.de));
    }
}

static void demo_usage(FILE *f, const struct demo_ctx *ctx)
{
    fprintf(f, "%s", demo_tr(ctx,
        "usage: imgpool demo NAME [options]   (imgpool demo NAME --help for its options)\n"
        "       imgpool demo list\n"
        "       imgpool demo tour [--lang de|en]   (every demo in order, pausing between)\n"
        "\ndemos, in the order of the course:\n",
        "Aufruf: imgpool demo NAME [Optionen]   (imgpool demo NAME --help zeigt sie)\n"
        "        imgpool demo list\n"
        "        imgpool demo tour [--lang de|en]   (alle Demos der Reihe nach, mit Pausen)\n"
        "\nDemos, in der Reihenfolge des Kurses:\n"));
    demo_list(f, ctx);
}

/* The options every demo (with the right flags) takes, for --help. */
static const struct demo_common_opt {
    unsigned needs;   /* enum demo_flag bits the demo must have */
    const char *opt, *en, *de;
    int tour;         /* `imgpool demo tour` takes it too */
} demo_common[] = {
    { DEMO_OFFLINE, "--offline", "use the local xkcd stand-in server (no internet needed)",
      "den lokalen xkcd-Ersatzserver nutzen (kein Internet nötig)", 0 },
    { DEMO_GIL, "--gil", "emulate Python's GIL: one lock, handed over every 5 ms",
      "Pythons GIL nachbilden: ein Lock, alle 5 ms weitergereicht", 0 },
    { DEMO_STEP, "--step", "one step per Enter, to explain it live (EOF: run on)",
      "ein Schritt pro Enter, um es live zu erklären (EOF: weiterlaufen)", 0 },
    { DEMO_TIMELINE, "--timeline", "draw who was on a CPU when, one row per thread/process",
      "zeichnen, wer wann auf einer CPU war, eine Zeile pro Thread/Prozess", 0 },
    { DEMO_OWN_TIMELINE, "--timeline", "the job draws who worked on what when",
      "der Auftrag zeichnet, wer wann woran gearbeitet hat", 0 },
    { DEMO_TIMELINE, "--trace FILE", "write the same as Chrome trace JSON (ui.perfetto.dev)",
      "dasselbe als Chrome-Trace-JSON schreiben (ui.perfetto.dev)", 0 },
    { DEMO_TIMELINE, "--width N", "timeline columns (default 64)",
      "Spalten der Zeitleiste (Standard 64)", 0 },
    { 0, "--full", "print every line and every digit (default: fit one screen)",
      "jede Zeile und jede Ziffer ausgeben (Standard: passt auf einen Bildschirm)", 0 },
    { 0, "--show-code", "print the C code of the demo's core and exit",
      "den C-Code des Kerns der Demo zeigen und beenden", 0 },
    { 0, "--python",
      "the exercise in Python (reconstructed, not the slides' text), then the C core",
      "die Übung in Python (nachgebaut, nicht der Folientext), dann den C-Kern", 0 },
    { 0, "--lang de|en", "language of the explanations (default from LANG)",
      "Sprache der Erklärungen (Standard aus LANG)", 1 },
};

/* `tour` is no demo (it runs them all), but it takes options like one: its
 * --help and its usage errors name it as a demo's name the demo. */
static const struct demo demo_tour_self = {
    .name = "tour",
    .summary = { "every demo in the order of the course, pausing between",
                 "alle Demos der Reihe nach, mit Pausen" },
    .intro = { "Runs every demo with its defaults (xkcd offline), asking for Enter before\n"
               "each (q: stop); without a terminal it runs straight through.\n",
               "Startet jede Demo mit ihren Standardwerten (xkcd offline) und wartet vor\n"
               "jeder auf Enter (q: beenden); ohne Terminal läuft sie ohne Pause durch.\n" },
};

/* Whether demo d takes common option c. */
static int demo_takes(const struct demo *d, const struct demo_common_opt *c)
{
    return d == &demo_tour_self ? c->tour : (d->flags & c->needs) == c->needs;
}

static void demo_help(const struct demo_ctx *ctx)
{
    const struct demo *d = ctx->demo;
    printf("imgpool demo %s — %s\n%s: imgpool demo %s [%s]\n\n%s\n%s:\n", d->name,
           demo_tr(ctx, d->summary.en, d->summary.de), demo_tr(ctx, "usage", "Aufruf"),
           d->name, demo_tr(ctx, "options", "Optionen"),
           demo_tr(ctx, d->intro.en, d->intro.de), demo_tr(ctx, "options", "Optionen"));
    const char *dflt = demo_tr(ctx, "default", "Standard");
    for (const struct demo_param *p = d->params; p->name; p++) {
        char opt[40];
        const char *help = demo_tr(ctx, p->help.en, p->help.de);
        snprintf(opt, sizeof opt, "--%s %s", p->name, p->text ? demo_tr(ctx, "TEXT", "TEXT") : "N");
        if (!p->text)
            printf("  %-16s %s (%s %lld)\n", opt, help, dflt, p->def);
        else if (*p->text)
            printf("  %-16s %s (%s %s)\n", opt, help, dflt, *p->text);
        else
            printf("  %-16s %s\n", opt, help);
    }
    if (d->flags & DEMO_PASS)
        printf("  %-16s %s\n", "-- ARGS...", demo_tr(ctx, "passed on to the demo's job",
                                                     "an den Auftrag der Demo weitergegeben"));
    for (size_t i = 0; i < sizeof demo_common / sizeof demo_common[0]; i++) {
        const struct demo_common_opt *c = &demo_common[i];
        if (demo_takes(d, c))
            printf("  %-16s %s\n", c->opt, demo_tr(ctx, c->en, c->de));
    }
}

/* A usage error, on stderr in the chosen language: the demo (if known), what
 * is wrong, and where to look. Printed before anything else. Returns 2. */
__attribute__((format(printf, 2, 4)))
static int demo_usage_error(const struct demo_ctx *ctx, const char *en, const char *de, ...)
{
    const char *name = ctx->demo ? ctx->demo->name : NULL;
    va_list ap;
    va_start(ap, de);
    fprintf(stderr, "imgpool demo%s%s: ", name ? " " : "", name ? name : "");
    vfprintf(stderr, demo_tr(ctx, en, de), ap);
    va_end(ap);
    fprintf(stderr, " (%s imgpool demo %s%s--help)\n", demo_tr(ctx, "see", "siehe"),
            name ? name : "", name ? " " : "");
    return 2;
}

/* --name given last, without its value. Returns 2. */
static int demo_no_value(const struct demo_ctx *ctx, const char *name)
{
    return demo_usage_error(ctx, "--%s needs a value", "--%s braucht einen Wert", name);
}

/* Parses a number for --name; 0 or 2 (a usage error, printed). */
static int demo_number(const struct demo_ctx *ctx, const char *opt, const char *s,
                       long long min, long long max, long long *out)
{
    char *end;
    if (!s)
        return demo_no_value(ctx, opt);
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return demo_usage_error(ctx, "--%s needs a number from %lld to %lld, not '%s'",
                                "--%s braucht eine Zahl von %lld bis %lld, nicht '%s'",
                                opt, min, max, s);
    *out = v;
    return 0;
}

/* If argv[*i] is --name or --name=V, sets *val (the value, maybe NULL when
 * missing) and advances *i past it. */
static int demo_match(int argc, char **argv, int *i, const char *name, const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0)
        return 0;
    if (a[2 + n] == '=') {
        *val = a + 3 + n;
        return 1;
    }
    if (a[2 + n] != 0)
        return 0;
    *val = *i + 1 < argc ? argv[++*i] : NULL;
    return 1;
}

static int demo_flag(const char *a, const char *name)
{
    return strncmp(a, "--", 2) == 0 && strcmp(a + 2, name) == 0;
}

/* --lang: 0, or 2 (a usage error, printed). */
static int demo_lang(struct demo_ctx *ctx, const char *s)
{
    if (!s)
        return demo_no_value(ctx, "lang");
    if (strcmp(s, "de") != 0 && strcmp(s, "en") != 0)
        return demo_usage_error(ctx, "--lang takes de or en, not '%s'",
                                "--lang nimmt de oder en, nicht '%s'", s);
    ctx->de = strcmp(s, "de") == 0;
    return 0;
}

/* The relations between options the demo declares (demo_param.floor). 0,
 * or 2 (a usage error, printed). */
static int demo_relations(const struct demo_ctx *ctx)
{
    const struct demo_param *p = ctx->demo->params;
    for (int k = 0; p[k].name; k++)
        for (int f = 0; p[k].floor && p[f].name; f++) {
            if (strcmp(p[f].name, p[k].floor) != 0
                || ctx->val[k] >= ctx->val[f] + (p[k].above ? 1 : 0))
                continue;
            if (p[k].above)
                return demo_usage_error(ctx, "--%s %lld must be above --%s %lld",
                                        "--%s %lld muss über --%s %lld liegen",
                                        p[k].name, ctx->val[k], p[f].name, ctx->val[f]);
            return demo_usage_error(ctx, "--%s %lld must not be below --%s %lld",
                                    "--%s %lld darf nicht unter --%s %lld liegen",
                                    p[k].name, ctx->val[k], p[f].name, ctx->val[f]);
        }
    return 0;
}

/* After the options: what no single option can show. 0 to run, 1 if the
 * demo's check answered (a job's --help), 2 for a usage error (printed). */
static int demo_check(const struct demo_ctx *ctx)
{
    const struct demo *d = ctx->demo;
    if (ctx->nrest > DEMO_MAX_PASS)
        return demo_usage_error(ctx, "at most %d arguments after --, not %d",
                                "höchstens %d Argumente nach --, nicht %d", DEMO_MAX_PASS,
                                ctx->nrest);
    int rc = demo_relations(ctx);
    if (rc != 0 || !d->check)
        return rc;
    rc = d->check(ctx);
    if (rc < 0)   /* the parser it hands on to has said what is wrong */
        return demo_usage_error(ctx, "the arguments are not valid",
                                "die Argumente sind ungültig");
    return rc;
}

/* An argument no option of the demo (or tour) takes. Returns 2. */
static int demo_reject(const struct demo_ctx *ctx, const char *a)
{
    if (a[0] == '-')
        return demo_usage_error(ctx, "unknown option '%s'", "unbekannte Option '%s'", a);
    return demo_usage_error(ctx, "unexpected argument '%s'", "unerwartetes Argument '%s'", a);
}

/* The language of argv[2..] (up to a `--`, past which arguments belong to a
 * job) before anything is parsed, so that a usage error found before the
 * --lang argument is reported in its language too. A bad --lang value is
 * left for the parser to report. */
static void demo_lang_prescan(int argc, char **argv, struct demo_ctx *ctx)
{
    for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *val;
        if (demo_match(argc, argv, &i, "lang", &val) && val &&
            (strcmp(val, "de") == 0 || strcmp(val, "en") == 0))
            ctx->de = strcmp(val, "de") == 0;
    }
}

/* Parses argv[2..]: 0, or 2 for a usage error (printed). */
static int demo_parse(int argc, char **argv, struct demo_ctx *ctx, struct demo_opts *o)
{
    const struct demo *d = ctx->demo;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val;
        long long w;
        int k = 0;
        for (; d->params[k].name; k++)
            if (demo_match(argc, argv, &i, d->params[k].name, &val))
                break;
        if (d->params[k].name && d->params[k].text) {
            if (!val || !*val)
                return demo_no_value(ctx, d->params[k].name);
            ctx->str[k] = val;
        } else if (d->params[k].name) {
            if (demo_number(ctx, d->params[k].name, val, d->params[k].min, d->params[k].max,
                            &ctx->val[k]) != 0)
                return 2;
        } else if ((d->flags & DEMO_PASS) && strcmp(a, "--") == 0) {
            ctx->nrest = argc - i - 1;
            ctx->rest = argv + i + 1;
            break;
        } else if (demo_flag(a, "help") || strcmp(a, "-h") == 0) {
            o->help = 1;
        } else if (demo_flag(a, "show-code")) {
            o->show_code = 1;
        } else if (demo_flag(a, "python")) {
            o->python = 1;
        } else if (demo_flag(a, "full")) {
            ctx->full = 1;
        } else if ((d->flags & DEMO_STEP) && demo_flag(a, "step")) {
            atomic_store(&ctx->step, 1);
        } else if (demo_match(argc, argv, &i, "lang", &val)) {
            if (demo_lang(ctx, val) != 0)
                return 2;
        } else if ((d->flags & DEMO_OFFLINE) && demo_flag(a, "offline")) {
            ctx->offline = 1;
        } else if ((d->flags & DEMO_GIL) && demo_flag(a, "gil")) {
            ctx->gil = 1;
        } else if ((d->flags & DEMO_TIMELINE) && demo_flag(a, "timeline")) {
            o->timeline = 1;
        } else if ((d->flags & DEMO_OWN_TIMELINE) && demo_flag(a, "timeline")) {
            ctx->timeline = 1;
        } else if ((d->flags & DEMO_TIMELINE) && demo_match(argc, argv, &i, "trace", &val)) {
            if (!val || !*val)
                return demo_no_value(ctx, "trace");
            o->trace = val;
        } else if ((d->flags & DEMO_TIMELINE) && demo_match(argc, argv, &i, "width", &val)) {
            if (demo_number(ctx, "width", val, 10, 1000, &w) != 0)
                return 2;
            o->width = (unsigned)w;
        } else {
            return demo_reject(ctx, a);
        }
    }
    return 0;
}

/* The core of demo d (ctx's, or one it uses), then of what it uses. */
static int demo_show_code(const struct demo_ctx *ctx, const struct demo *d)
{
    unsigned len;
    const char *src = demo_source(d, &len);
    if (!src) {
        demo_complain(ctx, "no embedded source for '%s'\n",
                      "kein eingebetteter Quelltext für '%s'\n", d->name);
        return 1;
    }
    printf("/* src/demo/%s.c (core) */\n%.*s", d->name, (int)len, src);
    const struct demo *u = d->uses ? demo_find(d->uses) : NULL;
    return u ? demo_show_code(ctx, u) : 0;
}

/* The slide's exercise in Python, then the C that does the same here. The
 * listings are reconstructions of the exercises (we do not have the slides'
 * code), and the header says so. */
static int demo_python(const struct demo_ctx *ctx)
{
    const struct demo *d = ctx->demo;
    if (d->python)
        printf("# %s\n%s\n", demo_tr(ctx, "the course's exercise in Python, reconstructed:"
                                     " not quoted from the slides",
                                     "die Übung des Kurses in Python, nachgebaut:"
                                     " nicht von den Folien zitiert"),
               d->python);
    else
        printf("# %s\n\n", demo_tr(ctx, "no Python for this demo",
                                     "zu dieser Demo gibt es kein Python"));
    return demo_show_code(ctx, d);
}

/* Runs the demo between its explanation and what to observe. */
static int demo_run(struct demo_ctx *ctx, const struct demo_opts *o)
{
    const struct demo *d = ctx->demo;
    struct trace *trace = NULL;
    char err[512];
    if (o->trace && trace_create(o->trace, &trace, err, sizeof err) != 0) {
        /* the trace module's reason, as it gives it */
        demo_complain(ctx, "%s\n", "Trace-Datei nicht angelegt (%s)\n", err);
        return 1;
    }
    if (o->timeline || o->trace) {
        ctx->rec = demo_rec_create();
        if (!ctx->rec) {
            demo_complain(ctx, "cannot map the timeline recorder: %s\n",
                          "kann den Speicher der Zeitleiste nicht anlegen: %s\n",
                          strerror(errno));
            trace_close(trace, err, sizeof err);
            return 1;
        }
    }
    printf("== imgpool demo %s ==\n%s\n\n%s\n", d->name,
           demo_tr(ctx, d->summary.en, d->summary.de), demo_tr(ctx, d->intro.en, d->intro.de));
    fflush(stdout);   /* before any fork: a child must not inherit buffered text */
    int rc = d->run(ctx);
    fflush(stdout);
    if (ctx->rec) {
        if (demo_rec_finish(ctx, o->timeline, trace, o->trace, o->width ? o->width : 64) != 0)
            rc = 1;
        demo_rec_destroy(ctx->rec);
        ctx->rec = NULL;
    }
    printf("\n%s\n%s", demo_tr(ctx, "What to observe:", "Worauf achten:"),
           demo_tr(ctx, d->observe.en, d->observe.de));
    return rc;
}

/* tour's options, argv[2..]: --lang and --help. 0, or 2 for a usage error
 * (printed). */
static int demo_tour_parse(int argc, char **argv, struct demo_ctx *ctx, int *help)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *val;
        if (demo_flag(a, "help") || strcmp(a, "-h") == 0)
            *help = 1;
        else if (demo_match(argc, argv, &i, "lang", &val)) {
            if (demo_lang(ctx, val) != 0)
                return 2;
        } else {
            return demo_reject(ctx, a);
        }
    }
    return 0;
}

/* `imgpool demo tour`: every demo in the order of the course with its
 * defaults (xkcd offline), pausing before each when stdin is a terminal;
 * without one it runs straight through. The worst exit code. */
static int demo_tour(int argc, char **argv, struct demo_ctx *ctx)
{
    int help = 0;
    ctx->demo = &demo_tour_self;
    int rc = demo_tour_parse(argc, argv, ctx, &help);
    if (rc != 0 || help) {
        if (help)
            demo_help(ctx);
        return rc;
    }
    int interactive = isatty(STDIN_FILENO), worst = 0;
    for (unsigned i = 0; i < demo_count; i++) {
        const char *name = demo_registry[i].demo->name;
        if (interactive) {
            printf("\n%s %u/%u: %s   %s ", demo_tr(ctx, "next demo", "nächste Demo"), i + 1,
                   demo_count, name, demo_tr(ctx, "(Enter: run it, q: stop)",
                                             "(Enter: starten, q: beenden)"));
            fflush(stdout);
            char line[64];
            if (!fgets(line, sizeof line, stdin))
                interactive = 0;   /* EOF: the rest without pausing */
            else if (line[0] == 'q')
                break;
        } else {
            putchar('\n');
        }
        char *sub[] = { "demo", (char *)name, "--lang", ctx->de ? "de" : "en",
                        strcmp(name, "xkcd") == 0 ? "--offline" : NULL, NULL };
        int one = demo_main(sub[4] ? 5 : 4, sub);
        fflush(stdout);
        if (one > worst)
            worst = one;
    }
    return worst;
}

int demo_main(int argc, char **argv)
{
    struct demo_ctx ctx = { 0 };
    const char *lang = getenv("LANG");
    ctx.de = lang && strncmp(lang, "de", 2) == 0;
    if (argc < 2) {
        demo_usage(stderr, &ctx);
        return 2;
    }
    const char *name = argv[1];
    if (name[0] == '-' || strcmp(name, "list") == 0 || strcmp(name, "help") == 0) {
        for (int i = 1; i < argc; i++) {   /* `demo --help --lang de`, `demo list --lang de` */
            const char *val;
            if (demo_match(argc, argv, &i, "lang", &val) && demo_lang(&ctx, val) != 0)
                return 2;
        }
    }
    if (strcmp(name, "list") == 0) {
        demo_list(stdout, &ctx);
        return 0;
    }
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        demo_usage(stdout, &ctx);
        return 0;
    }
    demo_lang_prescan(argc, argv, &ctx);
    if (strcmp(name, "tour") == 0)
        return demo_tour(argc, argv, &ctx);
    ctx.demo = demo_find(name);
    if (!ctx.demo) {
        demo_usage_error(&ctx, "no demo named '%s'", "keine Demo namens '%s'", name);
        demo_usage(stderr, &ctx);
        return 2;
    }
    for (int k = 0; ctx.demo->params[k].name; k++) {
        ctx.val[k] = ctx.demo->params[k].def;
        ctx.str[k] = ctx.demo->params[k].text ? *ctx.demo->params[k].text : NULL;
    }
    struct demo_opts o = { 0 };
    int rc = demo_parse(argc, argv, &ctx, &o);
    if (rc != 0)
        return rc;
    if (o.help) {
        demo_help(&ctx);
        return 0;
    }
    if (o.python)
        return demo_python(&ctx);
    if (o.show_code)
        return demo_show_code(&ctx, ctx.demo);
    rc = demo_check(&ctx);
    if (rc != 0)
        return rc == 1 ? 0 : rc;
    return demo_run(&ctx, &o);
}
