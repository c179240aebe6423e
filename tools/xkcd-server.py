#!/usr/bin/env python3
"""xkcd-server.py — a local stand-in for xkcd.com, for tests, benchmarks and the offline demo.

    tools/xkcd-server.py [--records FILE] [--latency MS] [--fault N:KIND[:ARG]]...
                         [--tls-cert PEM --tls-key PEM] [--port-file FILE]

Serves /info.0.json (the latest comic), /N/info.0.json and the images the records name, on
127.0.0.1 and a free port (printed on the first stdout line, and written to --port-file).
Records come from xkcd-records.jsonl beside this script (the project's fixture: 50 real API
records, public JSON from xkcd.com, each with the measured format, size and byte count of its
real image); numbers without a real record get a synthetic one, so any range up to --latest
works. Images are generated, never copied:
deterministic PNG (every colour type and bit depth the records name), baseline JPEG and GIF
files of each comic's real width, height and roughly its real byte count.

Faults per comic (--fault, repeatable):
  404           the comic's JSON answers 404 (comic 404 always does, as on the real site)
  500[:K]       the first K (default 1) JSON requests answer 500, then it works
  img500[:K]    the same for the image
  badjson       malformed JSON
  truncated     the image is cut in half but served as a complete 200 response
  cut           the image declares its full length, sends half and closes the connection
  slow[:BPS]    the image trickles at BPS bytes/s (default 200)
  html          an HTML page where the image should be
  hostile[:V]   a hostile img URL and title; V = dotdot, pct, abs, long, ctrl, file, ftp, esc
  emptyimg[:V]  no usable image: V = folder (the bare comics/ URL, default), empty (""), or
                missing (the record has no "img" key at all)
  halfrows      a PNG whose IDAT holds only the first half of its rows (every CRC valid, IEND
                in place: only a full decode notices)
  bomb          a PNG declaring 100000x100000 pixels in about 1.6 KB (a decompression bomb)
  stall[:S]     the JSON request is accepted and never answered (for S seconds, default 60,
                then the connection closes)
  503[:K[:RA]]  the first K (default 1) JSON requests answer 503 with Retry-After: RA (default
                1; "date" sends an HTTP date 2 s ahead instead of seconds)
Whole-site behaviour:
  --max-inflight N [--retry-after RA]   beyond N requests in progress at once, answer 429 Too
                Many Requests with Retry-After: RA (default 1; "date" as above)
  --stall-all   accept every request and never answer (a hung site)
GET /_stats returns what the server saw as JSON: requests by kind, connections, TLS session
reuse, user agents, the peak number of requests in progress at once (which tests use to
tell parallel from sequential downloads without timing anything), answers by status
("status": {"429": 3, ...}), the peak in progress among the requests it did serve
("max_served_concurrent"), and "early_retries": requests for a path that came back before the
Retry-After the server had given for it; /_stats?reset=1 also resets.

Why the Python standard library: ThreadingHTTPServer gives one thread per connection, which is
exactly what counting overlapping requests needs, and ssl gives TLS with a self-signed
certificate; python3 is already a test dependency, so the demo and CI need no new package and
no C build (libmicrohttpd would need both). The image encoders are small and pure Python
(zlib for PNG; JPEG written straight in the DCT domain; GIF with 8-bit LZW literal codes),
because Debian's python3 has no PIL.
"""
import argparse
import email.utils
import hashlib
import http.server
import json
import math
import os
import posixpath
import random
import ssl
import struct
import sys
import threading
import time
import zlib

IMG_HOSTS = ("https://imgs.xkcd.com/", "http://imgs.xkcd.com/")
FAULTS = ("404", "500", "img500", "badjson", "truncated", "cut", "slow", "html", "hostile",
          "emptyimg", "halfrows", "bomb", "stall", "503")
HOSTILE = {
    "dotdot": "comics/../../../../xkcd-evil-dotdot.png",
    "pct": "comics/%2e%2e%2f%2e%2e%2f%2e%2e%2fxkcd-evil-pct.png",
    "abs": "comics/%2Ftmp%2Fxkcd-evil-abs.png",
    "long": "comics/" + "x" * 3000 + ".png",
    "ctrl": "comics/evil%0a%0d%1b%5b31m%00%7f.png",
    "file": "file:///etc/passwd",
    "ftp": "ftp://127.0.0.1/comics/evil.png",
    "esc": "gopher://x/\x1b[2J\x1b]0;pwned\x07\r\n.png",   # raw terminal escapes
}
HOSTILE_TITLE = "../../..//etc/passwd\n\x1b[31m\u202eevil\u0000"


# ---------------------------------------------------------------- records

def load_records(path, latest):
    """num -> {"rec": api record, "img": [fmt, w, h, kind, bytes] or None}."""
    recs = {}
    if path:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    d = json.loads(line)
                    recs[d["rec"]["num"]] = d
    if latest is None:
        latest = max(recs) if recs else 3000
    return recs, latest


def synthetic(num):
    """A made-up but realistic record for a number without a real one."""
    h = hashlib.sha256(b"xkcd-%d" % num).digest()
    height = 200 + h[0] * 3
    size = 15000 + h[1] * 300
    year = 2006 + num * 18 // 3000
    return {"rec": {"month": str(1 + h[2] % 12), "num": num, "link": "", "year": str(year),
                    "news": "", "safe_title": "Comic %d" % num, "transcript": "",
                    "alt": "Alt text of comic %d." % num,
                    "img": "https://imgs.xkcd.com/comics/comic_%d.png" % num,
                    "title": "Comic %d" % num, "day": str(1 + h[3] % 28)},
            "img": ["png", 740, height, "bd8ct0il0", size]}


# ---------------------------------------------------------------- images

def canvas(w, h, seed):
    """An 8-bit gray comic-like page: white, panel borders, lines of 'text'."""
    rnd = random.Random(seed)
    c = bytearray(b"\xff") * (w * h)
    panels = 1 if w < 350 else rnd.randint(2, 3)
    pw = (w - 4) // panels
    for p in range(panels):
        x0, x1, y0, y1 = 2 + p * pw, 2 + (p + 1) * pw - 4, 2, h - 3
        if x1 - x0 < 8 or y1 - y0 < 8:
            continue
        for y in (y0, y0 + 1, y1 - 1, y1):
            c[y * w + x0:y * w + x1] = bytes(x1 - x0)
        for x in (x0, x0 + 1, x1 - 2, x1 - 1):
            c[y0 * w + x:y1 * w + x:w] = bytes(y1 - y0)
        for line in range(rnd.randint(1, 4)):
            y = y0 + 10 + line * 12
            if y + 2 >= y1:
                break
            xs = x0 + 8
            while xs < x1 - 20:
                word = rnd.randint(6, 30)
                xe = min(xs + word, x1 - 8)
                for yy in (y, y + 1):
                    c[yy * w + xs:yy * w + xe] = b"\x30" * (xe - xs)
                xs = xe + rnd.randint(4, 8)
    return c


def add_noise(c, w, h, count, seed):
    """Fills `count` pixels in the middle of the page with deterministic noise (shading), so
    the compressed file reaches roughly the real comic's byte count."""
    count = max(0, min(int(count), w * (h - 20)))
    if count:
        start = (h // 2) * w - count // 2
        start = max(10 * w, min(start, w * h - count - 10 * w))
        c[start:start + count] = random.Random(seed).randbytes(count)


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_encode(c, w, h, kind, rows_kept=None):
    """PNG of the gray canvas in the colour type and bit depth `kind` names (bd8ct2il0...);
    with rows_kept, the IDAT holds only that many rows (a damaged file, valid CRCs)."""
    bd, ct = 8, 0
    if kind.startswith("bd") and "ct" in kind:
        bd = int(kind[2:kind.index("ct")])
        ct = int(kind[kind.index("ct") + 2:kind.index("ct") + 3])
    plte = b""
    if ct == 3:
        levels = 1 << bd
        plte = b"".join(bytes([i * 255 // (levels - 1)] * 3) for i in range(levels))
    rows = []
    tint = bytes(v if v == 255 else min(255, v + 60) for v in range(256))
    digits = {1: 2, 2: 4, 4: 16}
    for y in range(h):
        g = bytes(c[y * w:(y + 1) * w])
        if ct == 0 and bd == 8:
            row = g
        elif ct == 3 and bd == 8:
            row = g
        elif ct == 3:
            # index = gray >> (8 - bd); pack with int(): each index is one base-2^bd digit
            base = digits[bd]
            tbl = bytes(b"0123456789abcdef"[v >> (8 - bd)] for v in range(256))
            s = g.translate(tbl).decode() + "0" * ((-w * bd) % 8 // bd)
            row = int(s, base).to_bytes((w * bd + 7) // 8, "big")
        elif ct in (2, 6):
            n = 3 if ct == 2 else 4
            r = bytearray(n * w)
            r[0::n], r[1::n], r[2::n] = g, g, g.translate(tint)
            if ct == 6:
                r[3::n] = b"\xff" * w
            if bd == 16:
                r16 = bytearray(2 * len(r))
                r16[0::2], r16[1::2] = r, r
                r = r16
            row = bytes(r)
        elif ct == 4:
            r = bytearray(2 * w)
            r[0::2], r[1::2] = g, b"\xff" * w
            row = bytes(r)
        else:
            raise ValueError("unsupported PNG kind " + kind)
        rows.append(b"\0" + row)
    ihdr = struct.pack(">IIBBBBB", w, h, bd, ct, 0, 0, 0)
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr)
    if plte:
        out += png_chunk(b"PLTE", plte)
    data = b"".join(rows[:rows_kept])
    return out + png_chunk(b"IDAT", zlib.compress(data, 6)) + png_chunk(b"IEND", b"")


def make_half_rows_png(num, w, h):
    """A gray PNG whose IDAT holds its first h/2 rows: complete, every CRC right, IEND last."""
    return png_encode(canvas(w, h, "half-%d" % num), w, h, "bd8ct0il0", rows_kept=h // 2)


def make_bomb_png():
    """100000x100000 gray pixels declared in about 1.6 KB: the IDAT holds the first 16 rows of
    zeros (deflate's ~1000:1), enough for a decoder that trusts IHDR to allocate 10 GB."""
    w = h = 100000
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    return out + png_chunk(b"IDAT", zlib.compress(bytes((w + 1) * 16), 9)) + png_chunk(b"IEND", b"")


def png_bits_per_pixel(kind):
    if not kind.startswith("bd"):
        return 8
    bd = int(kind[2:kind.index("ct")])
    ct = int(kind[kind.index("ct") + 2])
    # entropy the noise carries per pixel (the tinted/alpha channels add little)
    return min(bd, 8) if ct in (0, 3, 4) else 10


def make_png(num, w, h, kind, target):
    seed = "png-%d" % num
    c = canvas(w, h, seed)
    clean = bytes(c)
    base = len(png_encode(c, w, h, kind))
    noise = max(0, target - base) * 8 / png_bits_per_pixel(kind)
    add_noise(c, w, h, noise, seed)
    out = png_encode(c, w, h, kind)
    if noise and len(out) > base:   # one correction step, assuming noise dominates
        noise = noise * max(0, target - base) / (len(out) - base)
        c = bytearray(clean)
        add_noise(c, w, h, noise, seed)
        out = png_encode(c, w, h, kind)
    return out


# Baseline JPEG, one gray component, standard tables (ITU T.81 Annex K). Blocks are coded
# from a cached DCT of their pixels (uniform and line blocks repeat a lot), and "noise"
# blocks get random coefficients directly, which sets the byte count without a slow DCT.
ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41,
          34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30,
          37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63]
QLUM = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57,
        69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55,
        64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100,
        103, 99]
DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
DC_VALS = list(range(12))
AC_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d]
AC_VALS = bytes.fromhex(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f0"
    "2433627282090a161718191a25262728292a3435363738393a434445464748494a"
    "535455565758595a636465666768696a737475767778797a838485868788898a"
    "92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6"
    "c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa")
COS = [[math.cos((2 * x + 1) * u * math.pi / 16) * (math.sqrt(0.5) if u == 0 else 1)
         for x in range(8)] for u in range(8)]


def huff_codes(bits, vals):
    codes, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[vals[k]] = (code, length)
            code, k = code + 1, k + 1
        code <<= 1
    return codes


class BitWriter:
    def __init__(self):
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, value, length):
        self.acc = (self.acc << length) | (value & ((1 << length) - 1))
        self.n += length
        while self.n >= 8:
            self.n -= 8
            byte = (self.acc >> self.n) & 0xFF
            self.out.append(byte)
            if byte == 0xFF:
                self.out.append(0)
        self.acc &= (1 << self.n) - 1

    def flush(self):
        if self.n:
            self.put(0x7F, 8 - self.n)   # pad with ones


def jpeg_block_coeffs(block, q):
    """Quantized DCT coefficients (natural order) of 64 pixel values."""
    s = [v - 128 for v in block]
    rows = [[sum(COS[u][x] * s[y * 8 + x] for x in range(8)) for u in range(8)] for y in range(8)]
    out = []
    for v in range(8):
        for u in range(8):
            f = sum(COS[v][y] * rows[y][u] for y in range(8)) / 4
            out.append(int(round(f / q[v * 8 + u])))
    return out


def make_jpeg(num, w, h, target):
    rnd = random.Random("jpg-%d" % num)
    q = [max(1, min(255, (v * 50 + 50) // 100)) for v in QLUM]   # quality 75
    dc, ac = huff_codes(DC_BITS, DC_VALS), huff_codes(AC_BITS, AC_VALS)
    bw, bh = (w + 7) // 8, (h + 7) // 8
    pw = bw * 8
    c = canvas(w, h, "jpg-%d" % num)
    page = bytearray(b"\xff") * (pw * bh * 8)
    for y in range(h):
        page[y * pw:y * pw + w] = c[y * w:(y + 1) * w]
    cache, bits, prev = {}, BitWriter(), 0
    total = bw * bh
    for i in range(total):
        by, bx = divmod(i, bw)
        block = b"".join(page[(by * 8 + r) * pw + bx * 8:(by * 8 + r) * pw + bx * 8 + 8]
                         for r in range(8))
        coeffs = cache.get(block)
        if coeffs is None:
            coeffs = cache[block] = jpeg_block_coeffs(block, q)
        if len(bits.out) < target * (i + 1) // total - 600 and block == b"\xff" * 64:
            coeffs = [coeffs[0]] + [rnd.randint(-4, 4) if rnd.random() < 0.7 else 0
                                    for _ in range(63)]
        zz = [coeffs[k] for k in ZIGZAG]
        diff, prev = zz[0] - prev, zz[0]
        cat = abs(diff).bit_length()
        bits.put(*dc[cat])
        if cat:
            bits.put(diff if diff > 0 else diff - 1, cat)
        run = 0
        for v in zz[1:]:
            if v == 0:
                run += 1
                continue
            while run > 15:
                bits.put(*ac[0xF0])
                run -= 16
            cat = abs(v).bit_length()
            bits.put(*ac[(run << 4) | cat])
            bits.put(v if v > 0 else v - 1, cat)
            run = 0
        if run:
            bits.put(*ac[0x00])
    bits.flush()

    def seg(marker, data):
        return struct.pack(">BBH", 0xFF, marker, len(data) + 2) + data
    out = b"\xff\xd8" + seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
    out += seg(0xDB, b"\0" + bytes(q[k] for k in ZIGZAG))
    out += seg(0xC0, struct.pack(">BHHB", 8, h, w, 1) + b"\x01\x11\x00")
    out += seg(0xC4, b"\x00" + bytes(DC_BITS) + bytes(DC_VALS))
    out += seg(0xC4, b"\x10" + bytes(AC_BITS) + AC_VALS)
    out += seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return out + bytes(bits.out) + b"\xff\xd9"


def make_gif(num, w, h):
    """GIF89a, 128 grays, LZW with 8-bit literal codes only: a clear code every 125 pixels
    keeps the code width at 8 bits, so the code stream is just bytes."""
    c = canvas(w, h, "gif-%d" % num).translate(bytes(v >> 1 for v in range(256)))
    codes = bytearray()
    for i in range(0, len(c), 125):
        codes.append(128)
        codes += c[i:i + 125]
    codes.append(129)
    blocks = b"".join(bytes([len(codes[i:i + 255])]) + codes[i:i + 255]
                      for i in range(0, len(codes), 255))
    palette = b"".join(bytes([v * 255 // 127] * 3) for v in range(128))
    return (b"GIF89a" + struct.pack("<HHBBB", w, h, 0xE6, 0, 0) + palette
            + b"\x2c" + struct.pack("<HHHHB", 0, 0, w, h, 0) + b"\x07" + blocks + b"\x00\x3b")


def make_image(num, facts):
    fmt, w, h, kind, size = facts
    if fmt == "jpg":
        return make_jpeg(num, w, h, size), "image/jpeg"
    if fmt == "gif":
        return make_gif(num, w, h), "image/gif"
    return make_png(num, w, h, kind or "bd8ct0il0", size), "image/png"


# ---------------------------------------------------------------- server state

class Site:
    def __init__(self, args):
        self.recs, self.latest = load_records(args.records, args.latest)
        self.latency = args.latency / 1000.0
        self.max_inflight = args.max_inflight
        self.retry_after_spec = args.retry_after
        self.stall_all = args.stall_all
        self.faults = {}
        for spec in args.fault:
            parts = spec.split(":")
            if len(parts) < 2 or not parts[0].isdigit() or parts[1] not in FAULTS:
                raise SystemExit("xkcd-server: bad --fault %r (N:KIND[:ARG])" % spec)
            self.faults.setdefault(int(parts[0]), {})[parts[1]] = ":".join(parts[2:])
        self.lock = threading.Lock()
        self.images = {}      # num -> (bytes, content type), generated on first use
        self.gen_locks = {}
        self.fault_hits = {}  # (num, kind) -> count
        self.base = ""
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"requests": 0, "json": 0, "images": 0, "other": 0, "current": 0,
                      "max_concurrent": 0, "connections": 0, "tls_handshakes": 0,
                      "tls_resumed": 0, "user_agents": [], "paths": {}, "status": {},
                      "served": 0, "max_served_concurrent": 0, "early_retries": 0}
        self.not_before = {}   # path -> time.monotonic() before which a retry is early

    def retry_after(self, path, spec):
        """The Retry-After header value for spec ("2" seconds or "date"), remembering when a
        retry of path may come. Call with the lock held."""
        if spec == "date":
            when = int(time.time()) + 2
            self.not_before[path] = time.monotonic() + (when - time.time())
            return email.utils.formatdate(when, usegmt=True)
        self.not_before[path] = time.monotonic() + float(spec)
        return spec

    def entry(self, num):
        if num < 1 or num > self.latest or num == 404:
            return None
        return self.recs.get(num) or synthetic(num)

    def record(self, num):
        """The API record as served: img moved to this server, faults applied."""
        e = self.entry(num)
        rec = dict(e["rec"])
        img = rec["img"]
        for host in IMG_HOSTS:
            if img.startswith(host):
                img = self.base + img[len(host):]
        f = self.faults.get(num, {})
        if "hostile" in f:
            v = HOSTILE.get(f["hostile"] or "dotdot")
            img = v if ":" in v else self.base + v
            rec["title"] = rec["safe_title"] = HOSTILE_TITLE
        if "emptyimg" in f:
            img = "" if f["emptyimg"] == "empty" else self.base + "comics/"
        rec["img"] = img
        if f.get("emptyimg") == "missing":
            del rec["img"]
        return rec

    def image_for_path(self, path):
        """The comic number whose image lives at `path` (raw or dot-normalised), or None."""
        for num in list(self.recs) + [n for n in self.faults if n not in self.recs]:
            img = self.record(num).get("img", "") if self.entry(num) else ""
            if img.startswith(self.base) and self.entry(num)["img"]:
                p = "/" + img[len(self.base):]
                if path in (p, posixpath.normpath(p)):
                    return num
        if path.startswith("/comics/comic_") and path.endswith(".png"):
            n = path[len("/comics/comic_"):-4]
            if n.isdigit() and self.entry(int(n)) and int(n) not in self.recs:
                return int(n)
        return None

    def image(self, num):
        with self.lock:
            lk = self.gen_locks.setdefault(num, threading.Lock())
        with lk:
            if num not in self.images:
                f, facts = self.faults.get(num, {}), self.entry(num)["img"]
                if "bomb" in f:
                    self.images[num] = make_bomb_png(), "image/png"
                elif "halfrows" in f:
                    self.images[num] = make_half_rows_png(num, facts[1], facts[2]), "image/png"
                else:
                    self.images[num] = make_image(num, facts)
            return self.images[num]

    def hit(self, num, kind):
        """Counts a request against a counted fault; returns how many came before."""
        with self.lock:
            k = self.fault_hits.get((num, kind), 0)
            self.fault_hits[(num, kind)] = k + 1
            return k


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "xkcd-server/1"

    def setup(self):
        super().setup()
        site = self.server.site
        with site.lock:
            site.stats["connections"] += 1

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("xkcd-server: %s\n" % (fmt % args))

    def reply(self, code, body, ctype, declared=None, trickle=0, headers=()):
        site = self.server.site
        with site.lock:
            st = site.stats["status"]
            st[str(code)] = st.get(str(code), 0) + 1
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body) if declared is None else declared))
        self.end_headers()
        if trickle:
            for i in range(0, len(body), max(1, trickle // 10)):
                self.wfile.write(body[i:i + max(1, trickle // 10)])
                self.wfile.flush()
                time.sleep(0.1)
        else:
            self.wfile.write(body)
        if declared is not None and declared != len(body):
            self.close_connection = True

    def not_found(self):
        self.reply(404, b"<!DOCTYPE html><html><body><h1>404 - Not Found</h1></body></html>\n",
                   "text/html; charset=utf-8")

    def do_GET(self):
        site = self.server.site
        path = self.path.split("?", 1)[0]
        if path == "/_stats":
            with site.lock:
                body = json.dumps(site.stats, indent=1).encode()
                if self.path.endswith("?reset=1"):
                    site.reset_stats()
            return self.reply(200, body, "application/json")
        with site.lock:
            st = site.stats
            st["requests"] += 1
            st["current"] += 1
            st["max_concurrent"] = max(st["max_concurrent"], st["current"])
            st["paths"][path] = st["paths"].get(path, 0) + 1
            ua = self.headers.get("User-Agent", "")
            if ua not in st["user_agents"]:
                st["user_agents"].append(ua)
            self.count_tls(st)
            if time.monotonic() < site.not_before.get(path, 0):
                st["early_retries"] += 1
            throttled = site.max_inflight and st["current"] > site.max_inflight
            ra = site.retry_after(path, site.retry_after_spec) if throttled else None
            if not throttled:
                st["served"] += 1
                st["max_served_concurrent"] = max(st["max_served_concurrent"], st["served"])
        try:
            if throttled:
                return self.reply(429, b"Too Many Requests\n", "text/plain",
                                  headers=[("Retry-After", ra)])
            if site.stall_all:
                return self.stall(60)
            if site.latency:
                time.sleep(site.latency)
            self.route(site, path)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        finally:
            with site.lock:
                site.stats["current"] -= 1
                if not throttled:
                    site.stats["served"] -= 1

    def stall(self, seconds):
        """Accepts the request and never answers (for at most `seconds`), then hangs up."""
        end = time.monotonic() + seconds
        while time.monotonic() < end and not self.server.stopping:
            time.sleep(0.1)
        self.close_connection = True

    def count_tls(self, st):
        sock = self.connection
        if isinstance(sock, ssl.SSLSocket) and not getattr(self, "tls_counted", False):
            self.tls_counted = True
            st["tls_handshakes"] += 1
            st["tls_resumed"] += 1 if sock.session_reused else 0

    def route(self, site, path):
        parts = path.strip("/").split("/")
        if parts == ["info.0.json"]:
            return self.send_json(site, site.latest)
        if len(parts) == 2 and parts[1] == "info.0.json" and parts[0].isdigit():
            return self.send_json(site, int(parts[0]))
        num = site.image_for_path(path)
        if num is None:
            with site.lock:
                site.stats["other"] += 1
            return self.not_found()
        with site.lock:
            site.stats["images"] += 1
        f = site.faults.get(num, {})
        if "img500" in f and site.hit(num, "img500") < int(f["img500"] or 1):
            return self.reply(500, b"<html><body>500 Internal Server Error</body></html>\n",
                              "text/html")
        if "html" in f:
            return self.reply(200, b"<!DOCTYPE html>\n<html><head><title>xkcd</title></head>"
                              b"<body>Please enable JavaScript.</body></html>\n", "text/html")
        body, ctype = site.image(num)
        if "truncated" in f:
            return self.reply(200, body[:len(body) // 2], ctype)
        if "cut" in f:
            return self.reply(200, body[:len(body) // 2], ctype, declared=len(body))
        if "slow" in f:
            return self.reply(200, body, ctype, trickle=int(f["slow"] or 200))
        self.reply(200, body, ctype)

    def send_json(self, site, num):
        with site.lock:
            site.stats["json"] += 1
        f = site.faults.get(num, {})
        if site.entry(num) is None or "404" in f:
            return self.not_found()
        if "stall" in f:
            return self.stall(float(f["stall"] or 60))
        if "503" in f:
            k, _, ra = f["503"].partition(":")
            if site.hit(num, "503") < int(k or 1):
                with site.lock:
                    ra = site.retry_after(self.path.split("?", 1)[0], ra or "1")
                return self.reply(503, b"<html><body>503 Service Unavailable</body></html>\n",
                                  "text/html", headers=[("Retry-After", ra)])
        if "500" in f and site.hit(num, "500") < int(f["500"] or 1):
            return self.reply(500, b"<html><body>500 Internal Server Error</body></html>\n",
                              "text/html")
        body = json.dumps(site.record(num)).encode()
        if "badjson" in f:
            body = body[:len(body) // 2] + b'", "num": }'
        self.reply(200, body, "application/json")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    stopping = False

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_records = os.path.join(here, "xkcd-records.jsonl")
    ap = argparse.ArgumentParser(description="A local xkcd stand-in (see the file's docstring).")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    ap.add_argument("--port-file", help="write the port number here once listening")
    ap.add_argument("--records", default=default_records if os.path.exists(default_records)
                    else None, help="records, one JSON object a line (default: "
                    "xkcd-records.jsonl beside this script)")
    ap.add_argument("--latest", type=int, help="number of the latest comic (default: the "
                    "highest record)")
    ap.add_argument("--latency", type=float, default=0, help="delay per request, in ms")
    ap.add_argument("--fault", action="append", default=[], metavar="N:KIND[:ARG]")
    ap.add_argument("--max-inflight", type=int, default=0, metavar="N",
                    help="answer 429 beyond N requests in progress (0: never)")
    ap.add_argument("--retry-after", default="1", metavar="SECONDS|date",
                    help="the Retry-After of those 429 answers (default 1)")
    ap.add_argument("--stall-all", action="store_true", help="never answer any request")
    ap.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    ap.add_argument("--tls-key", help="PEM private key for --tls-cert")
    ap.add_argument("--warm", metavar="A-B", help="generate the images of comics A-B at start")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()

    site = Site(args)
    httpd = Server((args.bind, args.port), Handler)
    httpd.site, httpd.verbose = site, args.verbose
    scheme = "http"
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        # the handshake runs in the connection's thread, not in accept()
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True,
                                       do_handshake_on_connect=False)
        scheme = "https"
    port = httpd.server_address[1]
    site.base = "%s://%s:%d/" % (scheme, args.bind, port)
    if args.warm:
        lo, hi = (int(x) for x in args.warm.split("-"))
        for n in range(lo, hi + 1):
            if site.entry(n) and site.entry(n)["img"]:
                site.image(n)
    print("xkcd-server: %d real records, latest %d, on %s" % (len(site.recs), site.latest,
                                                             site.base), flush=True)
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.rename(tmp, args.port_file)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.stopping = True


if __name__ == "__main__":
    main()
