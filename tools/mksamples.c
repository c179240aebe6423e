/* mksamples.c — writes the sample images in samples/ (synthetic, deterministic).
 *
 * Rebuild the samples (from the repository root):
 *
 *   mkdir -p build && cc -std=c11 -O2 -Wall -Wextra tools/mksamples.c \
 *       $(pkg-config --cflags --libs stb) -lm -o build/mksamples && build/mksamples samples
 *
 * Every pixel is computed from integer coordinates with plain double arithmetic,
 * and stb_image_write is deterministic, so the same bytes come out each time.
 * Formats stb cannot write are done by hand here: PPM (a header and raw RGB),
 * GIF (a minimal writer: one global palette, 9-bit LZW codes with a clear code
 * often enough that the code size never grows), and the EXIF APP1 segment that
 * gives exif-rotate6.jpg its orientation.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb/stb_image_write.h>

struct buf {
    unsigned char *p;
    size_t len, cap;
};

static void buf_put(struct buf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            fprintf(stderr, "mksamples: out of memory\n");
            exit(1);
        }
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void buf_byte(struct buf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    buf_put(b, &c, 1);
}

static void buf_le16(struct buf *b, unsigned v)
{
    buf_byte(b, v & 0xff);
    buf_byte(b, v >> 8);
}

static void buf_sink(void *ctx, void *data, int size)
{
    buf_put(ctx, data, (size_t)size);
}

static const char *out_dir;

static void save(const char *name, const struct buf *b)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", out_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(b->p, 1, b->len, f) != b->len || fclose(f) != 0) {
        fprintf(stderr, "mksamples: cannot write %s\n", path);
        exit(1);
    }
    printf("%-24s %8zu bytes\n", name, b->len);
}

/* ---- pixel helpers ---- */

static double clamp01(double v) { return v < 0 ? 0 : v > 1 ? 1 : v; }
static double mix(double a, double b, double t) { return a + (b - a) * t; }
static double smooth(double e0, double e1, double x)
{
    double t = clamp01((x - e0) / (e1 - e0));
    return t * t * (3 - 2 * t);
}
static unsigned char to8(double v) { return (unsigned char)(clamp01(v) * 255.0 + 0.5); }

/* Value noise: a hash of the lattice point, smoothly interpolated; fbm sums octaves. */
static double lattice(int x, int y, unsigned seed)
{
    uint32_t h = (uint32_t)x * 374761393u + (uint32_t)y * 668265263u + seed * 2246822519u;
    h = (h ^ (h >> 13)) * 1274126177u;
    return (double)((h ^ (h >> 16)) & 0xffff) / 65535.0;
}

static double noise(double x, double y, unsigned seed)
{
    int ix = (int)floor(x), iy = (int)floor(y);
    double fx = x - ix, fy = y - iy;
    fx = fx * fx * (3 - 2 * fx);
    fy = fy * fy * (3 - 2 * fy);
    double a = mix(lattice(ix, iy, seed), lattice(ix + 1, iy, seed), fx);
    double b = mix(lattice(ix, iy + 1, seed), lattice(ix + 1, iy + 1, seed), fx);
    return mix(a, b, fy);
}

static double fbm(double x, double y, unsigned seed)
{
    double sum = 0, amp = 0.5;
    for (int i = 0; i < 5; i++, x *= 2.03, y *= 2.03, amp *= 0.5)
        sum += amp * noise(x, y, seed + (unsigned)i);
    return sum;
}

/* A landscape at normalised coordinates (u right, v down, both 0..1): sky with
 * clouds, sun, two mountain ranges, a lake that mirrors the sky. */
static void landscape(double u, double v, double aspect, double rgb[3])
{
    double horizon = 0.62, x = u * aspect;
    double sky_v = v < horizon ? v : 2 * horizon - v;          /* the lake mirrors */
    double t = sky_v / horizon;
    double sky[3] = {mix(0.25, 0.98, t), mix(0.45, 0.75, t), mix(0.85, 0.55, t)};
    double sun = smooth(0.075, 0.06, hypot(x - 0.72 * aspect, sky_v - 0.30));
    double cloud = smooth(0.5, 0.8, fbm(x * 3, sky_v * 8, 7)) * (1 - t * 0.6);
    for (int k = 0; k < 3; k++)
        rgb[k] = mix(mix(sky[k], 1.0, cloud * 0.8), (double[]){1.0, 0.95, 0.7}[k], sun);

    double far = 0.42 + 0.08 * fbm(x * 2.5, 0.5, 11);
    double near = 0.50 + 0.10 * fbm(x * 1.7 + 3, 1.5, 23);
    double mv = v < horizon ? v : 2 * horizon - v;
    if (mv > far) {
        double shade = 0.8 + 0.2 * fbm(x * 20, mv * 20, 5);
        double far_c[3] = {0.42, 0.45, 0.62};
        for (int k = 0; k < 3; k++)
            rgb[k] = mix(rgb[k], far_c[k] * shade, 0.9);
    }
    if (mv > near) {
        double shade = 0.6 + 0.4 * fbm(x * 30, mv * 30, 9);
        double near_c[3] = {0.18, 0.36, 0.20};
        for (int k = 0; k < 3; k++)
            rgb[k] = near_c[k] * shade;
    }
    if (v >= horizon) {                                          /* water: darker, rippled */
        double ripple = 0.9 + 0.1 * sin(v * 400 + 6 * fbm(x * 4, v * 40, 3));
        for (int k = 0; k < 3; k++)
            rgb[k] *= 0.75 * ripple;
        rgb[2] += 0.06;
    }
}

/* ---- the samples: one pixel function each ---- */

/* Fills p (the sample's channel count of bytes) for pixel (x, y) of a w x h image. */
typedef void pixel_fn(int x, int y, int w, int h, unsigned char *p);

static void landscape_px(int x, int y, int w, int h, unsigned char *p)
{
    double rgb[3];
    landscape((x + 0.5) / w, (y + 0.5) / h, (double)w / h, rgb);
    for (int k = 0; k < 3; k++)
        p[k] = to8(rgb[k]);
}

/* Sunset over hills. */
static void sunset_px(int x, int y, int w, int h, unsigned char *p)
{
    double u = (double)x / w, v = (double)y / h, rgb[3];
    double sun = smooth(0.13, 0.11, hypot(u - 0.5, (v - 0.62) * h / w));
    rgb[0] = mix(0.35, 1.0, v) + sun;
    rgb[1] = mix(0.15, 0.55, v * v) + sun * 0.8;
    rgb[2] = mix(0.45, 0.25, v) + sun * 0.3;
    double hill = 0.70 + 0.06 * sin(u * 9.0) + 0.03 * sin(u * 23.0 + 1.0);
    if (v > hill)
        rgb[0] = 0.22 - (v - hill) * 0.2, rgb[1] = 0.10, rgb[2] = 0.20;
    for (int k = 0; k < 3; k++)
        p[k] = to8(rgb[k]);
}

/* A round badge with a ring on a transparent background, anti-aliased edges. */
static void badge_px(int x, int y, int w, int h, unsigned char *p)
{
    double dx = (x + 0.5 - w / 2.0) / (w / 2.0), dy = (y + 0.5 - h / 2.0) / (h / 2.0);
    double r = hypot(dx, dy), a = atan2(dy, dx);
    double alpha = clamp01((0.95 - r) * w / 2.0);
    double ring = smooth(0.03, 0.0, fabs(r - 0.78));
    p[0] = to8(mix(0.5 + 0.5 * cos(a), 1.0, ring));
    p[1] = to8(mix(0.5 + 0.5 * cos(a + 2.094), 1.0, ring));
    p[2] = to8(mix(0.5 + 0.5 * cos(a + 4.189), 1.0, ring));
    p[3] = to8(alpha * (r < 0.5 ? 0.6 + 0.4 * r / 0.5 : 1.0));
}

/* Concentric rings that get finer outwards: shows resampling quality. */
static void rings_px(int x, int y, int w, int h, unsigned char *p)
{
    double r = hypot(x - w / 2.0 + 0.5, y - h / 2.0 + 0.5);
    p[0] = to8(0.5 + 0.5 * cos(r * r / 90.0));
}

/* A soft drop shadow under a square: grey + alpha (128x128). */
static void shadow_px(int x, int y, int w, int h, unsigned char *p)
{
    (void)w, (void)h;
    int inside = x >= 24 && x < 96 && y >= 24 && y < 96;
    double dx = fmax(fmax(34.0 - x, x - 105.0), 0), dy = fmax(fmax(34.0 - y, y - 105.0), 0);
    p[0] = to8(inside ? 0.9 - 0.3 * y / 128.0 : 0.0);
    p[1] = to8(inside ? 1.0 : 0.6 * smooth(14, 0, hypot(dx, dy)));
}

/* A wide banner: hue sweep with blocks, an extreme aspect ratio. */
static void banner_px(int x, int y, int w, int h, unsigned char *p)
{
    (void)h;
    double hue = 6.2832 * x / w;
    int block = (x / 50 + y / 50) % 2;
    for (int k = 0; k < 3; k++)
        p[k] = to8((0.55 + 0.35 * cos(hue - k * 2.094)) * (block ? 1.0 : 0.8));
}

/* What exif-rotate6.jpg looks like when shown upright (300x400): sky above,
 * ground below, and a red arrow pointing up. */
static void upright_px(int x, int y, int w, int h, unsigned char *p)
{
    double rgb[3] = {0.45 + 0.3 * y / h, 0.65 + 0.2 * y / h, 0.95};
    if (y > h * 3 / 4)
        rgb[0] = 0.35, rgb[1] = 0.6, rgb[2] = 0.25;
    int in_head = y >= 60 && y < 160 && abs(x - w / 2) <= (y - 60);
    int in_shaft = y >= 160 && y < 330 && abs(x - w / 2) <= 30;
    if (in_head || in_shaft)
        rgb[0] = 0.85, rgb[1] = 0.12, rgb[2] = 0.1;
    for (int k = 0; k < 3; k++)
        p[k] = to8(rgb[k]);
}

/* The upright scene stored a quarter turn anticlockwise: EXIF orientation 6
 * ("turn 90 degrees clockwise to show") brings it back. */
static void rotated6_px(int x, int y, int w, int h, unsigned char *p)
{
    upright_px(h - 1 - y, x, h, w, p);
}

/* Coloured tiles with a diagonal sheen. */
static void tiles_px(int x, int y, int w, int h, unsigned char *p)
{
    (void)w, (void)h;
    int tx = x / 40, ty = y / 40, edge = x % 40 < 2 || y % 40 < 2;
    double sheen = 0.15 * sin((x + y) * 0.05);
    double rgb[3] = {0.3 + 0.1 * tx, 0.2 + 0.12 * ty, 0.8 - 0.08 * (tx + ty)};
    for (int k = 0; k < 3; k++)
        p[k] = edge ? 245 : to8(rgb[k] + sheen);
}

/* Diagonal stripes fading out to the right. */
static void stripes_px(int x, int y, int w, int h, unsigned char *p)
{
    (void)h;
    int stripe = ((x + y) / 16) % 3;
    p[0] = stripe == 0 ? 230 : 40;
    p[1] = stripe == 1 ? 200 : 60;
    p[2] = stripe == 2 ? 240 : 80;
    p[3] = to8(1.0 - 0.8 * x / (double)w);
}

/* The Mandelbrot set in blues and golds. */
static void mandel_px(int x, int y, int w, int h, unsigned char *p)
{
    double cr = -2.2 + 3.0 * x / w, ci = -1.125 + 2.25 * y / h, zr = 0, zi = 0;
    int i = 0;
    for (; i < 64 && zr * zr + zi * zi < 4; i++) {
        double t = zr * zr - zi * zi + cr;
        zi = 2 * zr * zi + ci;
        zr = t;
    }
    double t = i == 64 ? 0 : sqrt(i / 64.0);
    p[0] = to8(t);
    p[1] = to8(t * 0.8);
    p[2] = to8(0.25 + t * 0.3);
}

/* Frame bounce_frame of a ball bouncing on grass. */
static int bounce_frame;

static void bounce_px(int x, int y, int w, int h, unsigned char *p)
{
    (void)w, (void)h;
    double bx = bounce_frame ? 100 : 55, by = bounce_frame ? 80 : 35;
    double d = hypot(x - bx, y - by), light = hypot(x - bx + 6, y - by + 6);
    double rgb[3] = {0.5, 0.7, 1.0 - y / 240.0};
    if (d < 16)
        rgb[0] = 1.0 - light / 40, rgb[1] = 0.15, rgb[2] = 0.1;
    else if (y > 96)
        rgb[0] = 0.2, rgb[1] = 0.6 + 0.2 * ((x / 8) % 2), rgb[2] = 0.2;
    for (int k = 0; k < 3; k++)
        p[k] = to8(rgb[k]);
}

static unsigned char *render(int w, int h, int ch, pixel_fn *fn)
{
    unsigned char *px = malloc((size_t)w * h * ch);
    if (!px) {
        fprintf(stderr, "mksamples: out of memory\n");
        exit(1);
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            fn(x, y, w, h, px + ((size_t)y * w + x) * ch);
    return px;
}

/* The EXIF APP1 segment: a big-endian TIFF whose IFD0 holds only Orientation. */
static void put_exif_orientation(struct buf *b, unsigned orientation)
{
    static const unsigned char head[] = {0xff, 0xe1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
                                         'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1};
    const unsigned char entry[] = {0x01, 0x12, 0, 3, 0, 0, 0, 1,
                                   0, (unsigned char)orientation, 0, 0, 0, 0, 0, 0};
    buf_put(b, head, sizeof head);
    buf_put(b, entry, sizeof entry);
}

/* Encodes px by the extension of name; a JPEG with an orientation gets an EXIF
 * APP1 segment right after its SOI marker. */
static void encode(struct buf *b, const char *name, int w, int h, int ch,
                   const unsigned char *px, int quality, unsigned orientation)
{
    const char *ext = strrchr(name, '.');
    if (strcmp(ext, ".png") == 0) {
        stbi_write_png_to_func(buf_sink, b, w, h, ch, px, w * ch);
    } else if (strcmp(ext, ".bmp") == 0) {
        stbi_write_bmp_to_func(buf_sink, b, w, h, ch, px);
    } else if (strcmp(ext, ".tga") == 0) {
        stbi_write_tga_to_func(buf_sink, b, w, h, ch, px);
    } else if (strcmp(ext, ".ppm") == 0) {
        char head[32];
        int n = snprintf(head, sizeof head, "P6\n%d %d\n255\n", w, h);
        buf_put(b, head, (size_t)n);
        buf_put(b, px, (size_t)w * h * 3);
    } else {
        struct buf jpg = {0};
        stbi_write_jpg_to_func(buf_sink, &jpg, w, h, ch, px, quality);
        buf_put(b, jpg.p, 2);                           /* SOI */
        if (orientation)
            put_exif_orientation(b, orientation);
        buf_put(b, jpg.p + 2, jpg.len - 2);
        free(jpg.p);
    }
}

static const struct sample {
    const char *name;
    int w, h, ch;
    pixel_fn *fn;
    int quality;            /* JPEG */
    unsigned orientation;   /* JPEG: EXIF orientation to write, 0 = none */
} samples[] = {
    {"sunset.png", 480, 320, 3, sunset_px, 0, 0},
    {"badge-alpha.png", 256, 256, 4, badge_px, 0, 0},
    {"gray-rings.png", 256, 256, 1, rings_px, 0, 0},
    {"shadow-gray-alpha.png", 128, 128, 2, shadow_px, 0, 0},
    {"banner-wide.png", 1200, 100, 3, banner_px, 0, 0},
    {"photo.jpg", 800, 600, 3, landscape_px, 85, 0},
    {"large-landscape.jpg", 2000, 1500, 3, landscape_px, 80, 0},
    {"exif-rotate6.jpg", 400, 300, 3, rotated6_px, 90, 6},
    {"tiles.bmp", 240, 180, 3, tiles_px, 0, 0},
    {"stripes-alpha.tga", 160, 120, 4, stripes_px, 0, 0},
    {"mandel.ppm", 240, 180, 3, mandel_px, 0, 0},
};

/* ---- GIF ---- */

/* Palette: a 6x6x6 colour cube, then a grey ramp. */
static void gif_palette(unsigned char pal[256][3])
{
    for (int i = 0; i < 256; i++) {
        if (i < 216) {
            pal[i][0] = (unsigned char)(i / 36 * 51);
            pal[i][1] = (unsigned char)(i / 6 % 6 * 51);
            pal[i][2] = (unsigned char)(i % 6 * 51);
        } else {
            pal[i][0] = pal[i][1] = pal[i][2] = (unsigned char)((i - 216) * 255 / 39);
        }
    }
}

/* The nearest colour-cube entry. */
static unsigned char gif_index(const unsigned char rgb[3])
{
    return (unsigned char)((rgb[0] * 5 + 127) / 255 * 36 + (rgb[1] * 5 + 127) / 255 * 6 +
                           (rgb[2] * 5 + 127) / 255);
}

/* LZW bit writer: codes LSB first, into 255-byte sub-blocks. */
struct gif_bits {
    struct buf *out;
    unsigned char block[255];
    unsigned nblock, acc, nacc;
};

static void gif_flush_block(struct gif_bits *g)
{
    if (g->nblock) {
        buf_byte(g->out, g->nblock);
        buf_put(g->out, g->block, g->nblock);
        g->nblock = 0;
    }
}

static void gif_code(struct gif_bits *g, unsigned code)
{
    g->acc |= code << g->nacc;
    for (g->nacc += 9; g->nacc >= 8; g->nacc -= 8, g->acc >>= 8) {
        g->block[g->nblock++] = (unsigned char)(g->acc & 0xff);
        if (g->nblock == 255)
            gif_flush_block(g);
    }
}

/* One frame as uncompressed LZW: 8-bit literals in 9-bit codes, with a clear
 * code every 200 literals so the decoder's table never needs 10 bits. */
static void gif_frame(struct buf *b, int w, int h, const unsigned char *idx)
{
    static const unsigned char gce[] = {0x21, 0xf9, 4, 0x04, 50, 0, 0, 0};   /* 0.5 s */
    struct gif_bits g = {.out = b};
    buf_put(b, gce, sizeof gce);
    buf_byte(b, 0x2c);
    buf_le16(b, 0);
    buf_le16(b, 0);
    buf_le16(b, (unsigned)w);
    buf_le16(b, (unsigned)h);
    buf_byte(b, 0);
    buf_byte(b, 8);                                     /* LZW minimum code size */
    for (long i = 0; i < (long)w * h; i++) {
        if (i % 200 == 0)
            gif_code(&g, 256);                          /* clear */
        gif_code(&g, idx[i]);
    }
    gif_code(&g, 257);                                  /* end of information */
    if (g.nacc)
        g.block[g.nblock++] = (unsigned char)g.acc;
    gif_flush_block(&g);
    buf_byte(b, 0);
}

/* Two frames of a ball bouncing on grass, looping. */
static void make_bounce_gif(void)
{
    enum { W = 160, H = 120 };
    static unsigned char idx[W * H];
    unsigned char pal[256][3];
    struct buf b = {0};
    static const unsigned char loop[] = {0x21, 0xff, 11, 'N', 'E', 'T', 'S', 'C', 'A', 'P', 'E',
                                         '2', '.', '0', 3, 1, 0, 0, 0};
    gif_palette(pal);
    buf_put(&b, "GIF89a", 6);
    buf_le16(&b, W);
    buf_le16(&b, H);
    buf_byte(&b, 0xf7);                                 /* global palette, 256 entries */
    buf_byte(&b, 0);
    buf_byte(&b, 0);
    buf_put(&b, pal, sizeof pal);
    buf_put(&b, loop, sizeof loop);
    for (bounce_frame = 0; bounce_frame < 2; bounce_frame++) {
        unsigned char *rgb = render(W, H, 3, bounce_px);
        for (int i = 0; i < W * H; i++)
            idx[i] = gif_index(rgb + i * 3);
        free(rgb);
        gif_frame(&b, W, H, idx);
    }
    buf_byte(&b, 0x3b);
    save("bounce.gif", &b);
    free(b.p);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: mksamples DIR\n");
        return 2;
    }
    out_dir = argv[1];
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const struct sample *s = &samples[i];
        struct buf b = {0};
        unsigned char *px = render(s->w, s->h, s->ch, s->fn);
        encode(&b, s->name, s->w, s->h, s->ch, px, s->quality, s->orientation);
        save(s->name, &b);
        free(px);
        free(b.p);
    }
    make_bounce_gif();
    return 0;
}
