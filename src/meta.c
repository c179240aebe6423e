/* meta.c — ICC, EXIF and XMP blocks out of JPEG and PNG files; EXIF for outputs.
 *
 * Design note. The blocks are found by walking the container, never by
 * searching the bytes: JPEG marker segments up to the first scan (each length
 * checked against the buffer), PNG chunks up to IEND. An ICC profile larger
 * than 64 KB is split by JPEG writers into numbered APP2 segments; they are
 * joined by sequence number, and a set with a gap, a duplicate or disagreeing
 * counts is left out whole (a partial profile is worse than none). PNG's iCCP
 * and compressed iTXt are inflated by zlib into a buffer that grows up to a
 * cap, so a small chunk cannot inflate into gigabytes.
 *
 * EXIF for an output goes through libexif with its "fix to the
 * specification" option off (it would add tags the camera never wrote) and
 * the maker note left as it is. The thumbnail is dropped because it shows
 * the original (uncropped, unrotated, ungreyed) image: a privacy and
 * correctness hazard in a resized output, and most of EXIF's bytes.
 */
#include "imgpool/meta.h"

#include "imgpool/icc.h"

#include <libexif/exif-data.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define META_XMP_ID "http://ns.adobe.com/xap/1.0/"   /* + NUL */
#define META_ICC_ID "ICC_PROFILE"                    /* + NUL, seq, count */

static unsigned meta_be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }
static uint32_t meta_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Copies p[0..n) into a new block: *dst and *dst_len. 0, or -1 out of memory. */
static int meta_copy(const unsigned char *p, size_t n, unsigned char **dst, size_t *dst_len)
{
    unsigned char *q = malloc(n ? n : 1);
    if (!q)
        return -1;
    memcpy(q, p, n);
    *dst = q;
    *dst_len = n;
    return 0;
}

/* ---- JPEG ---- */

struct meta_jpeg_walk {
    const unsigned char *b;
    size_t len, pos;
};

/* The next marker segment before the first scan: 1 with its marker, data
 * (after the length field) and data length; 0 at the scan, the end, or the
 * first malformed segment. */
static int meta_jpeg_next(struct meta_jpeg_walk *w, unsigned *marker, const unsigned char **data,
                          size_t *n)
{
    const unsigned char *b = w->b;
    while (w->pos + 4 <= w->len && b[w->pos] == 0xff) {
        unsigned m = b[w->pos + 1];
        if (m == 0xff) {                        /* fill byte */
            w->pos++;
            continue;
        }
        if (m == 0xd8 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
            w->pos += 2;
            continue;
        }
        if (m == 0xda || m == 0xd9)
            return 0;
        size_t seg = meta_be16(b + w->pos + 2);
        if (seg < 2 || w->pos + 2 + seg > w->len)
            return 0;
        *marker = m;
        *data = b + w->pos + 4;
        *n = seg - 2;
        w->pos += 2 + seg;
        return 1;
    }
    return 0;
}

const unsigned char *meta_jpeg_segment(const unsigned char *b, size_t len, unsigned marker,
                                       const char *id, size_t idlen, size_t *seglen)
{
    struct meta_jpeg_walk w = {b, len, 2};
    unsigned m;
    const unsigned char *d;
    size_t n;
    while (meta_jpeg_next(&w, &m, &d, &n))
        if (m == marker && n >= idlen && memcmp(d, id, idlen) == 0) {
            *seglen = n;
            return d;
        }
    return NULL;
}

/* The APP2 ICC_PROFILE segments seen so far, by sequence number (1..255). */
struct meta_icc_parts {
    const unsigned char *data[256];
    size_t len[256];
    unsigned count;                 /* as the segments declare it; 0 before the first */
    int bad;                        /* a duplicate, a 0 sequence or counts that differ */
};

static void meta_icc_part(struct meta_icc_parts *p, const unsigned char *d, size_t n)
{
    const size_t head = sizeof META_ICC_ID + 2;   /* id, NUL, seq, count */
    unsigned seq = d[sizeof META_ICC_ID], count = d[sizeof META_ICC_ID + 1];
    if (seq == 0 || seq > count || (p->count && p->count != count) || p->data[seq]) {
        p->bad = 1;
        return;
    }
    p->count = count;
    p->data[seq] = d + head;
    p->len[seq] = n - head;
}

/* Joins the parts into m->icc. 0, or 1 with a note when they are incomplete. */
static int meta_icc_join(const struct meta_icc_parts *p, struct img_meta *m, char *note,
                         size_t notelen)
{
    size_t total = 0;
    for (unsigned s = 1; s <= p->count && !p->bad; s++) {
        if (!p->data[s]) {
            snprintf(note, notelen, "ICC profile left out: segment %u of %u missing", s, p->count);
            return 1;
        }
        total += p->len[s];
    }
    if (p->bad) {
        snprintf(note, notelen, "ICC profile left out: its segments are inconsistent");
        return 1;
    }
    unsigned char *icc = malloc(total ? total : 1);
    if (!icc) {
        snprintf(note, notelen, "ICC profile left out: out of memory");
        return 1;
    }
    size_t at = 0;
    for (unsigned s = 1; s <= p->count; s++) {
        memcpy(icc + at, p->data[s], p->len[s]);
        at += p->len[s];
    }
    m->icc = icc;
    m->icc_len = total;
    return 0;
}

static int meta_read_jpeg(const unsigned char *buf, size_t len, unsigned want,
                          struct img_meta *m, char *note, size_t notelen)
{
    struct meta_jpeg_walk w = {buf, len, 2};
    struct meta_icc_parts *icc = NULL;
    unsigned marker;
    const unsigned char *d;
    size_t n;
    int rc = 0;
    if ((want & META_ICC) && !m->icc && !(icc = calloc(1, sizeof *icc))) {
        snprintf(note, notelen, "ICC profile left out: out of memory");
        rc = 1;
    }
    while (meta_jpeg_next(&w, &marker, &d, &n)) {
        if (marker == 0xe2 && icc && n > sizeof META_ICC_ID + 2 &&
            memcmp(d, META_ICC_ID, sizeof META_ICC_ID) == 0) {
            meta_icc_part(icc, d, n);
        } else if (marker == 0xe1 && (want & META_EXIF) && !m->exif && n > 6 &&
                   memcmp(d, "Exif\0\0", 6) == 0) {
            if (meta_copy(d + 6, n - 6, &m->exif, &m->exif_len) != 0)
                rc = 1, snprintf(note, notelen, "EXIF left out: out of memory");
        } else if (marker == 0xe1 && (want & META_XMP) && !m->xmp && n > sizeof META_XMP_ID &&
                   memcmp(d, META_XMP_ID, sizeof META_XMP_ID) == 0) {
            if (meta_copy(d + sizeof META_XMP_ID, n - sizeof META_XMP_ID, &m->xmp,
                          &m->xmp_len) != 0)
                rc = 1, snprintf(note, notelen, "XMP left out: out of memory");
        }
    }
    if (icc && (icc->count || icc->bad) && meta_icc_join(icc, m, note, notelen) != 0)
        rc = 1;
    free(icc);
    return rc;
}

/* ---- PNG ---- */

/* Inflates the zlib stream z[0..zlen) into a new block of at most cap bytes:
 * 0 with *out, *outlen; -1 if it is corrupt, larger than cap, or memory runs
 * out. */
static int meta_inflate(const unsigned char *z, size_t zlen, size_t cap, unsigned char **out,
                        size_t *outlen)
{
    z_stream s = {0};
    size_t size = zlen * 4 < 4096 ? 4096 : zlen * 4;
    unsigned char *o = NULL;
    int zr = Z_OK;
    if (size > cap)
        size = cap;
    if (zlen > UINT32_MAX || inflateInit(&s) != Z_OK)
        return -1;
    s.next_in = (unsigned char *)z;
    s.avail_in = (uInt)zlen;
    while (zr == Z_OK) {
        unsigned char *bigger = realloc(o, size);
        if (!bigger)
            break;
        o = bigger;
        s.next_out = o + s.total_out;
        s.avail_out = (uInt)(size - s.total_out);
        zr = inflate(&s, Z_FINISH);
        if (zr == Z_BUF_ERROR && s.avail_out == 0 && size < cap)
            zr = Z_OK, size = size * 2 > cap ? cap : size * 2;
        else if (zr == Z_BUF_ERROR)
            break;
    }
    inflateEnd(&s);
    if (zr != Z_STREAM_END) {
        free(o);
        return -1;
    }
    *out = o;
    *outlen = s.total_out;
    return 0;
}

/* iCCP: name (1..79 bytes), NUL, method 0, zlib data. */
static int meta_png_iccp(const unsigned char *d, size_t n, struct img_meta *m, char *note,
                         size_t notelen)
{
    const unsigned char *nul = memchr(d, 0, n < 80 ? n : 80);
    if (!nul || nul == d || (size_t)(nul - d) + 2 > n || nul[1] != 0) {
        snprintf(note, notelen, "ICC profile left out: malformed iCCP chunk");
        return 1;
    }
    size_t at = (size_t)(nul - d) + 2;
    if (meta_inflate(d + at, n - at, ICC_MAX_BYTES, &m->icc, &m->icc_len) != 0) {
        snprintf(note, notelen, "ICC profile left out: iCCP data corrupt or over %u bytes",
                 ICC_MAX_BYTES);
        return 1;
    }
    return 0;
}

/* iTXt: keyword, NUL, compression flag, method, language, NUL, translated
 * keyword, NUL, text. Only the XMP packet is taken. */
static int meta_png_itxt(const unsigned char *d, size_t n, struct img_meta *m, char *note,
                         size_t notelen)
{
    static const char key[] = "XML:com.adobe.xmp";
    if (n < sizeof key + 2 || memcmp(d, key, sizeof key) != 0)
        return 0;
    size_t at = sizeof key;
    int compressed = d[at];
    const unsigned char *lang = d + at + 2, *end = d + n;
    const unsigned char *nul1 = memchr(lang, 0, (size_t)(end - lang));
    const unsigned char *nul2 = nul1 ? memchr(nul1 + 1, 0, (size_t)(end - nul1 - 1)) : NULL;
    int bad = !nul2 || compressed > 1 || (compressed && d[at + 1] != 0);
    if (!bad) {
        const unsigned char *text = nul2 + 1;
        size_t tn = (size_t)(end - text);
        bad = compressed ? meta_inflate(text, tn, META_XMP_MAX, &m->xmp, &m->xmp_len) != 0
                         : tn > META_XMP_MAX || meta_copy(text, tn, &m->xmp, &m->xmp_len) != 0;
    }
    if (bad)
        snprintf(note, notelen, "XMP left out: malformed, or larger than %u bytes",
                 META_XMP_MAX);
    return bad;
}

static int meta_read_png(const unsigned char *buf, size_t len, unsigned want,
                         struct img_meta *m, char *note, size_t notelen)
{
    size_t pos = 8;
    int rc = 0, icc_seen = 0;          /* one iCCP is allowed: never inflate a second */
    while (pos + 12 <= len) {
        size_t n = meta_be32(buf + pos);
        const unsigned char *type = buf + pos + 4, *d = buf + pos + 8;
        if (n > len - pos - 12 || memcmp(type, "IEND", 4) == 0)
            break;
        if (memcmp(type, "IDAT", 4) == 0 && want == META_ICC)
            break;                          /* iCCP comes before the image data */
        if (memcmp(type, "iCCP", 4) == 0 && (want & META_ICC) && !m->icc && !icc_seen++)
            rc |= meta_png_iccp(d, n, m, note, notelen);
        else if (memcmp(type, "eXIf", 4) == 0 && (want & META_EXIF) && !m->exif &&
                 meta_copy(d, n, &m->exif, &m->exif_len) != 0)
            rc = 1, snprintf(note, notelen, "EXIF left out: out of memory");
        else if (memcmp(type, "iTXt", 4) == 0 && (want & META_XMP) && !m->xmp)
            rc |= meta_png_itxt(d, n, m, note, notelen);
        pos += 12 + n;
    }
    return rc;
}


/* ---- TIFF structures: TIFF files and EXIF blocks ---- */

/* Bytes per value of TIFF field types 1..18 (0: unknown or not used). */
static const unsigned char meta_tiff_type_size[19] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8,
                                                      4, 0, 0, 8, 8, 8};

/* n bytes (1, 2, 4 or 8) at p in w's byte order. */
static uint64_t meta_tiff_get(const struct meta_tiff_walk *w, const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[w->le ? i : n - 1 - i] << (8 * i);
    return v;
}

/* Points w at the directory at offset off: 0, or -1 if it is outside the
 * buffer. A directory that runs past the end is read as far as it goes. */
static int meta_tiff_dir(struct meta_tiff_walk *w, uint64_t off)
{
    unsigned head = w->big ? 8 : 2;
    size_t entry = w->big ? 20 : 12;
    if (off < 8 || off > w->len || w->len - off < head)
        return -1;
    uint64_t n = meta_tiff_get(w, w->b + off, head);
    uint64_t room = (w->len - off - head) / entry;
    w->at = (size_t)off + head;
    w->left = n < room ? n : room;
    return 0;
}

int meta_tiff_first(struct meta_tiff_walk *w, const unsigned char *b, size_t len)
{
    *w = (struct meta_tiff_walk){.b = b, .len = len};
    if (len < 8 || (memcmp(b, "II", 2) != 0 && memcmp(b, "MM", 2) != 0))
        return -1;
    w->le = b[0] == 'I';
    unsigned version = (unsigned)meta_tiff_get(w, b + 2, 2);
    w->big = version == 43;
    if (version != 42 && !(w->big && len >= 16 && meta_tiff_get(w, b + 4, 4) == 8))
        return -1;
    return meta_tiff_dir(w, w->big ? meta_tiff_get(w, b + 8, 8) : meta_tiff_get(w, b + 4, 4));
}

int meta_tiff_next(struct meta_tiff_walk *w, struct meta_tiff_entry *e)
{
    unsigned word = w->big ? 8 : 4;
    while (w->left) {
        const unsigned char *p = w->b + w->at;
        w->at += w->big ? 20 : 12;
        w->left--;
        e->tag = (unsigned)meta_tiff_get(w, p, 2);
        e->type = (unsigned)meta_tiff_get(w, p + 2, 2);
        e->count = meta_tiff_get(w, p + 4, word);
        unsigned size = e->type < sizeof meta_tiff_type_size ? meta_tiff_type_size[e->type] : 0;
        if (!size || e->count > w->len / size)
            continue;
        e->size = (size_t)e->count * size;
        e->value = p + 4 + word;
        if (e->size > word) {
            uint64_t off = meta_tiff_get(w, e->value, word);
            if (off > w->len || e->size > w->len - off)
                continue;
            e->value = w->b + off;
        }
        return 1;
    }
    return 0;
}

uint64_t meta_tiff_uint(const struct meta_tiff_walk *w, const struct meta_tiff_entry *e,
                        uint64_t i)
{
    static const unsigned char is_uint[19] = {[1] = 1, [3] = 1, [4] = 1, [13] = 1, [16] = 1,
                                              [18] = 1};
    if (e->type >= sizeof is_uint || !is_uint[e->type] || i >= e->count)
        return 0;
    unsigned size = meta_tiff_type_size[e->type];
    return meta_tiff_get(w, e->value + i * size, size);
}

/* The first-directory entry of exif with this tag, SHORT, one value: 1 with
 * *e, else 0. */
static int meta_exif_short(const unsigned char *exif, size_t len, unsigned tag,
                           struct meta_tiff_walk *w, struct meta_tiff_entry *e)
{
    if (!exif || meta_tiff_first(w, exif, len) != 0)
        return 0;
    while (meta_tiff_next(w, e))
        if (e->tag == tag)
            return e->type == 3 && e->count == 1;
    return 0;
}

#define META_TAG_ORIENTATION 0x0112

size_t meta_exif_app1_header(const unsigned char *exif, size_t len)
{
    return len > 6 && memcmp(exif, "Exif\0\0", 6) == 0 ? 6 : 0;
}

int meta_exif_orientation(const unsigned char *exif, size_t len)
{
    struct meta_tiff_walk w;
    struct meta_tiff_entry e;
    if (!meta_exif_short(exif, len, META_TAG_ORIENTATION, &w, &e))
        return 1;
    uint64_t v = meta_tiff_uint(&w, &e, 0);
    return v >= 1 && v <= 8 ? (int)v : 1;
}

void meta_exif_reset_orientation(unsigned char *exif, size_t len)
{
    struct meta_tiff_walk w;
    struct meta_tiff_entry e;
    if (meta_exif_short(exif, len, META_TAG_ORIENTATION, &w, &e)) {
        unsigned char *v = exif + (e.value - exif);     /* inline: inside the entry */
        v[w.le ? 0 : 1] = 1;
        v[w.le ? 1 : 0] = 0;
    }
}

/* The first-directory tags of a TIFF file that belong to EXIF's first
 * directory: 2 for a camera's description of the picture (ImageDescription,
 * Make, Model, Software, DateTime, Artist, Copyright), 1 for those that go
 * along but make no EXIF on their own (the resolution, and the orientation,
 * which every TIFF writer sets), 0 for the rest. */
static int meta_tiff_exif_tag(unsigned tag)
{
    static const unsigned short camera[] = {0x010e, 0x010f, 0x0110, 0x0131, 0x0132, 0x013b,
                                            0x8298};
    for (size_t i = 0; i < sizeof camera / sizeof *camera; i++)
        if (camera[i] == tag)
            return 2;
    return tag == META_TAG_ORIENTATION || tag == 0x011a || tag == 0x011b || tag == 0x0128;
}

/* The EXIF being built from a TIFF file's directories. */
struct meta_tiff_exif {
    ExifData *ed;
    ExifMem *mem;
    size_t bytes;           /* value bytes copied so far */
    int camera;             /* a camera tag or an EXIF/GPS entry was copied */
    int too_large;          /* more than an output can keep */
};

/* Copies entry e into ifd as stored: 0, or -1 if the EXIF would outgrow what
 * an output can keep, or memory ran out. Types EXIF has no name for (IFD,
 * BigTIFF's 8-byte integers) are left out. */
static int meta_tiff_exif_add(struct meta_tiff_exif *x, ExifIfd ifd,
                              const struct meta_tiff_entry *e)
{
    if (e->type > EXIF_FORMAT_DOUBLE || exif_content_get_entry(x->ed->ifd[ifd], e->tag))
        return 0;
    if (e->size > META_EXIF_MAX - x->bytes) {
        x->too_large = 1;
        return -1;
    }
    ExifEntry *n = exif_entry_new_mem(x->mem);
    unsigned char *data = n ? exif_mem_alloc(x->mem, (ExifLong)(e->size ? e->size : 1)) : NULL;
    if (!data) {
        if (n)
            exif_entry_unref(n);
        return -1;
    }
    memcpy(data, e->value, e->size);
    n->tag = (ExifTag)e->tag;
    n->format = (ExifFormat)e->type;
    n->components = (unsigned long)e->count;
    n->data = data;
    n->size = (unsigned)e->size;
    exif_content_add_entry(x->ed->ifd[ifd], n);
    exif_entry_unref(n);
    x->bytes += e->size;
    return 0;
}

/* Copies every entry of the directory at off into ifd (the pointer tags,
 * which libexif writes itself, left out); 0, or -1 as meta_tiff_exif_add.
 * An interoperability pointer is returned in *interop. */
static int meta_tiff_exif_dir(struct meta_tiff_exif *x, const struct meta_tiff_walk *file,
                              uint64_t off, ExifIfd ifd, uint64_t *interop)
{
    struct meta_tiff_walk w = *file;
    struct meta_tiff_entry e;
    if (!off || meta_tiff_dir(&w, off) != 0)
        return 0;
    while (meta_tiff_next(&w, &e)) {
        if (e.tag == EXIF_TAG_INTEROPERABILITY_IFD_POINTER && interop)
            *interop = meta_tiff_uint(&w, &e, 0);
        else if (e.tag != EXIF_TAG_EXIF_IFD_POINTER && e.tag != EXIF_TAG_GPS_INFO_IFD_POINTER &&
                 e.tag != EXIF_TAG_INTEROPERABILITY_IFD_POINTER) {
            if (meta_tiff_exif_add(x, ifd, &e) != 0)
                return -1;
            x->camera = 1;
        }
    }
    return 0;
}

/* The EXIF of a TIFF file (see meta_read) into m->exif. 0, or 1 with a note. */
static int meta_tiff_exif(const struct meta_tiff_walk *file, struct img_meta *m, char *note,
                          size_t notelen)
{
    struct meta_tiff_walk w = *file;
    struct meta_tiff_entry e;
    struct meta_tiff_exif x = {.mem = exif_mem_new_default()};
    uint64_t exif_at = 0, gps_at = 0, interop_at = 0;
    int rc = (x.ed = x.mem ? exif_data_new_mem(x.mem) : NULL) ? 0 : -1;
    if (rc == 0) {
        exif_data_unset_option(x.ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
        exif_data_set_byte_order(x.ed, w.le ? EXIF_BYTE_ORDER_INTEL : EXIF_BYTE_ORDER_MOTOROLA);
    }
    while (rc == 0 && meta_tiff_next(&w, &e)) {
        int kind = meta_tiff_exif_tag(e.tag);
        if (e.tag == EXIF_TAG_EXIF_IFD_POINTER)
            exif_at = meta_tiff_uint(&w, &e, 0);
        else if (e.tag == EXIF_TAG_GPS_INFO_IFD_POINTER)
            gps_at = meta_tiff_uint(&w, &e, 0);
        else if (kind)
            rc = meta_tiff_exif_add(&x, EXIF_IFD_0, &e);
        /* an orientation other than 1 is worth keeping for --no-autorotate */
        x.camera |= kind == 2 ||
                    (e.tag == META_TAG_ORIENTATION && meta_tiff_uint(&w, &e, 0) != 1);
    }
    if (rc == 0)
        rc = meta_tiff_exif_dir(&x, file, exif_at, EXIF_IFD_EXIF, &interop_at);
    if (rc == 0)
        rc = meta_tiff_exif_dir(&x, file, gps_at, EXIF_IFD_GPS, NULL);
    if (rc == 0)
        rc = meta_tiff_exif_dir(&x, file, interop_at, EXIF_IFD_INTEROPERABILITY, NULL);
    unsigned char *saved = NULL;
    unsigned int n = 0;
    if (rc == 0 && x.camera)
        exif_data_save_data(x.ed, &saved, &n);
    if (rc == 0 && x.camera &&
        (!saved || n <= 6 || meta_copy(saved + 6, n - 6, &m->exif, &m->exif_len) != 0))
        rc = -1;
    if (rc != 0)
        snprintf(note, notelen, "EXIF left out: %s",
                 x.too_large ? "larger than 64 KB" : "out of memory");
    free(saved);
    if (x.ed)
        exif_data_unref(x.ed);
    exif_mem_unref(x.mem);
    return rc != 0;
}

/* A block of a TIFF's first directory into *dst, if at most cap bytes. 0, or
 * 1 with a note. */
static int meta_tiff_block(const struct meta_tiff_entry *e, size_t cap, const char *what,
                           unsigned char **dst, size_t *dst_len, char *note, size_t notelen)
{
    if (e->size <= cap && meta_copy(e->value, e->size, dst, dst_len) == 0)
        return 0;
    snprintf(note, notelen, "%s left out: %s", what,
             e->size > cap ? "too large" : "out of memory");
    return 1;
}

static int meta_read_tiff(const unsigned char *buf, size_t len, unsigned want,
                          struct img_meta *m, char *note, size_t notelen)
{
    struct meta_tiff_walk w;
    struct meta_tiff_entry e;
    int rc = 0;
    if (meta_tiff_first(&w, buf, len) != 0)
        return 0;                       /* the decoder says what is wrong */
    struct meta_tiff_walk first = w;
    while (meta_tiff_next(&w, &e)) {
        if (e.tag == 0x8773 && (want & META_ICC) && !m->icc && e.size)
            rc |= meta_tiff_block(&e, ICC_MAX_BYTES, "ICC profile", &m->icc, &m->icc_len, note,
                                  notelen);
        else if (e.tag == 0x02bc && (want & META_XMP) && !m->xmp && e.size)
            rc |= meta_tiff_block(&e, META_XMP_MAX, "XMP", &m->xmp, &m->xmp_len, note, notelen);
    }
    if ((want & META_EXIF) && !m->exif)
        rc |= meta_tiff_exif(&first, m, note, notelen);
    return rc;
}

int meta_read(enum img_format fmt, const unsigned char *buf, size_t len, unsigned want,
              struct img_meta *m, char *note, size_t notelen)
{
    if (fmt == IMG_FMT_JPG && len >= 2)
        return meta_read_jpeg(buf, len, want, m, note, notelen);
    if (fmt == IMG_FMT_PNG && len >= 8)
        return meta_read_png(buf, len, want, m, note, notelen);
    if (fmt == IMG_FMT_TIFF)
        return meta_read_tiff(buf, len, want, m, note, notelen);
    return 0;
}

/* ---- EXIF for outputs ---- */

/* Sets a SHORT or LONG entry of ifd to v; removes it if v does not fit. */
static void meta_exif_set(ExifData *ed, ExifIfd ifd, ExifTag tag, unsigned v)
{
    ExifEntry *e = exif_content_get_entry(ed->ifd[ifd], tag);
    ExifByteOrder order = exif_data_get_byte_order(ed);
    if (!e || !e->data || e->components != 1)
        return;
    if (e->format == EXIF_FORMAT_LONG && e->size >= 4)
        exif_set_long(e->data, order, v);
    else if (e->format == EXIF_FORMAT_SHORT && e->size >= 2 && v <= 0xffff)
        exif_set_short(e->data, order, (ExifShort)v);
    else
        exif_content_remove_entry(ed->ifd[ifd], e);
}

/* Loads exif[0..len) into a new ExifData set up to change nothing by itself;
 * NULL when out of memory or nothing could be read. */
static ExifData *meta_exif_load(const unsigned char *exif, size_t len)
{
    unsigned char *framed = malloc(len + 6);
    ExifData *ed = framed ? exif_data_new() : NULL;
    if (ed) {
        exif_data_unset_option(ed, EXIF_DATA_OPTION_FOLLOW_SPECIFICATION);
        exif_data_unset_option(ed, EXIF_DATA_OPTION_IGNORE_UNKNOWN_TAGS);
        exif_data_set_option(ed, EXIF_DATA_OPTION_DONT_CHANGE_MAKER_NOTE);
        memcpy(framed, "Exif\0\0", 6);      /* libexif wants the APP1 header */
        memcpy(framed + 6, exif, len);
        exif_data_load_data(ed, framed, (unsigned)(len + 6));
        if (!ed->ifd[EXIF_IFD_0]->count) {
            exif_data_unref(ed);
            ed = NULL;
        }
    }
    free(framed);
    return ed;
}

/* 1 if exif is a TIFF header whose first IFD has no entries (GIMP writes
 * such blocks): nothing to keep, and nothing wrong with it. */
static int meta_exif_empty(const unsigned char *exif, size_t len)
{
    int le = len >= 8 && memcmp(exif, "II*\0", 4) == 0;
    if (!le && (len < 8 || memcmp(exif, "MM\0*", 4) != 0))
        return 0;
    uint32_t at = le ? (uint32_t)exif[4] | (uint32_t)exif[5] << 8 | (uint32_t)exif[6] << 16 |
                           (uint32_t)exif[7] << 24
                     : meta_be32(exif + 4);
    return at <= len - 2 && exif[at] == 0 && exif[at + 1] == 0;
}

int meta_exif_for_output(const unsigned char *exif, size_t len, int reset_orientation,
                         unsigned w, unsigned h, unsigned char **out, size_t *outlen,
                         char *err, size_t errlen)
{
    *out = NULL;
    *outlen = 0;
    if (meta_exif_empty(exif, len))
        return 0;
    ExifData *ed = len >= 8 && len <= UINT32_MAX - 6 ? meta_exif_load(exif, len) : NULL;
    if (!ed) {
        snprintf(err, errlen, "EXIF left out: unreadable");
        return -1;
    }
    ExifContent *ifd1 = ed->ifd[EXIF_IFD_1];
    while (ifd1->count)
        exif_content_remove_entry(ifd1, ifd1->entries[0]);
    unsigned char *thumb = ed->data;    /* libexif frees it with ed: hide it while saving */
    unsigned thumb_size = ed->size;
    ed->data = NULL;
    ed->size = 0;
    if (reset_orientation)
        meta_exif_set(ed, EXIF_IFD_0, EXIF_TAG_ORIENTATION, 1);
    meta_exif_set(ed, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_X_DIMENSION, w);
    meta_exif_set(ed, EXIF_IFD_EXIF, EXIF_TAG_PIXEL_Y_DIMENSION, h);
    unsigned char *saved = NULL;
    unsigned int n = 0;
    exif_data_save_data(ed, &saved, &n);
    ed->data = thumb;
    ed->size = thumb_size;
    exif_data_unref(ed);
    int ok = saved && n > 6 && n - 6 <= META_EXIF_MAX && memcmp(saved, "Exif\0\0", 6) == 0 &&
             meta_copy(saved + 6, n - 6, out, outlen) == 0;
    if (!ok)
        snprintf(err, errlen, "EXIF left out: %s", saved && n - 6 > META_EXIF_MAX
                 ? "larger than 64 KB" : "cannot be rewritten");
    free(saved);
    return ok ? 0 : -1;
}

void meta_xmp_reset_orientation(unsigned char *xmp, size_t len)
{
    static const char key[] = "tiff:Orientation";
    if (!xmp)
        return;
    unsigned char *p = xmp, *end = xmp + len;
    while ((p = memmem(p, (size_t)(end - p), key, sizeof key - 1))) {
        p += sizeof key - 1;
        /* attribute tiff:Orientation="6" or element <tiff:Orientation>6< */
        unsigned char *v = end - p >= 3 && p[0] == '=' && (p[1] == '"' || p[1] == '\'') ? p + 2
                           : end - p >= 2 && p[0] == '>' ? p + 1 : NULL;
        if (v && v + 1 < end && *v >= '1' && *v <= '8' &&
            (v[1] == '"' || v[1] == '\'' || v[1] == '<'))
            *v = '1';
    }
}
