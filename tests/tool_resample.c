/* tool_resample — a digest of the resampler's output over a fixed set of
 * cases, for integration tests: built twice, against the resample module as
 * every build has it and against a copy compiled without its per-CPU row
 * loops (RESAMPLE_PORTABLE), so a test can check that every machine writes
 * the same bytes whichever copy it runs.
 *
 *   tool_resample      prints "SW SH CH -> DW DH SPACE: HASH" per case
 *
 * The images are made here from a fixed seed: smooth ramps (where rounding
 * differences show), noise (where every tap counts) and transparent holes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "imgpool/resample.h"

struct tool_case {
    unsigned sw, sh, ch, dw, dh;
    enum resample_space space;
};

static const struct tool_case tool_cases[] = {
    {1, 1, 3, 1, 1, RESAMPLE_SRGB},      {1, 1, 4, 5, 3, RESAMPLE_SRGB},
    {7, 5, 1, 3, 2, RESAMPLE_SRGB},      {640, 480, 3, 256, 192, RESAMPLE_SRGB},
    {641, 479, 4, 255, 191, RESAMPLE_SRGB}, {1001, 333, 2, 256, 85, RESAMPLE_SRGB},
    {999, 1500, 1, 171, 256, RESAMPLE_SRGB}, {2000, 1200, 3, 256, 154, RESAMPLE_SRGB},
    {1203, 905, 4, 97, 73, RESAMPLE_SRGB}, {300, 200, 3, 301, 613, RESAMPLE_SRGB},
    {97, 61, 4, 1000, 17, RESAMPLE_SRGB}, {500, 375, 1, 250, 188, RESAMPLE_AS_IS},
    {513, 3, 3, 2, 1, RESAMPLE_SRGB},    {3, 517, 2, 1, 40, RESAMPLE_SRGB},
};

/* A pixel of case k at (x, y): ramps plus noise from a fixed LCG, and in
 * images with alpha, a transparent hole and a semi-transparent band. */
static void tool_fill(unsigned char *px, const struct tool_case *c, uint32_t seed)
{
    for (unsigned y = 0; y < c->sh; y++)
        for (unsigned x = 0; x < c->sw; x++) {
            unsigned char *p = px + ((size_t)y * c->sw + x) * c->ch;
            for (unsigned k = 0; k < c->ch; k++) {
                seed = seed * 1664525u + 1013904223u;
                unsigned ramp = (x * 255u / c->sw + y * 127u / c->sh + k * 40u) & 255u;
                p[k] = (unsigned char)((seed >> 24) < 64 ? seed >> 24 : ramp);
            }
            if (c->ch == 2 || c->ch == 4) {
                unsigned dx = x - c->sw / 2, dy = y - c->sh / 2;
                p[c->ch - 1] = dx * dx + dy * dy < c->sw * c->sh / 16 ? 0
                             : y % 16 < 4                           ? 128
                                                                    : 255;
            }
        }
}

int main(void)
{
    for (size_t i = 0; i < sizeof tool_cases / sizeof *tool_cases; i++) {
        const struct tool_case *c = &tool_cases[i];
        unsigned char *src = malloc((size_t)c->sw * c->sh * c->ch);
        unsigned char *dst = malloc((size_t)c->dw * c->dh * c->ch);
        if (!src || !dst)
            return fprintf(stderr, "tool_resample: out of memory\n"), 1;
        tool_fill(src, c, (uint32_t)i + 1);
        struct resample_opts o = {.space = c->space};
        if (resample_u8_with(src, c->sw, c->sh, c->ch, dst, c->dw, c->dh, &o) != 0)
            return fprintf(stderr, "tool_resample: resample failed\n"), 1;
        uint64_t h = 1469598103934665603u;   /* FNV-1a */
        for (size_t k = 0; k < (size_t)c->dw * c->dh * c->ch; k++)
            h = (h ^ dst[k]) * 1099511628211u;
        printf("%u %u %u -> %u %u %s: %016llx\n", c->sw, c->sh, c->ch, c->dw, c->dh,
               c->space == RESAMPLE_AS_IS ? "as-is" : "srgb", (unsigned long long)h);
        free(src);
        free(dst);
    }
    return 0;
}
