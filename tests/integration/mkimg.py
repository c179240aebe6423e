#!/usr/bin/env python3
"""Makes test images with the standard library only (no PIL on a fresh Debian).

  mkimg.py png W H OUT         an RGB gradient PNG (noise-free, deterministic)
  mkimg.py bigheader W H OUT   a PNG whose header declares WxH, with a tiny IDAT
  mkimg.py truncate IN N OUT   the first N bytes of IN
  mkimg.py flat W H OUT        a valid black RGB PNG (fast at any size)
  mkimg.py ppm W H OUT         an RGB gradient PPM (P6), e.g. for cjpeg
"""
import struct
import sys
import zlib


def chunk(kind, data):
    c = struct.pack(">I", len(data)) + kind + data
    return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(w, h, rows):
    head = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
    return head + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b"")


def gradient(w, h):
    out = bytearray()
    for y in range(h):
        out.append(0)
        for x in range(w):
            out += bytes(((x * 255) // max(w - 1, 1), (y * 255) // max(h - 1, 1), ((x ^ y) & 0xFF)))
    return bytes(out)


def main(argv):
    cmd = argv[1]
    if cmd == "png":
        w, h, out = int(argv[2]), int(argv[3]), argv[4]
        open(out, "wb").write(png(w, h, gradient(w, h)))
    elif cmd == "bigheader":
        w, h, out = int(argv[2]), int(argv[3]), argv[4]
        open(out, "wb").write(png(w, h, b"\x00" * 16))
    elif cmd == "flat":
        w, h, out = int(argv[2]), int(argv[3]), argv[4]
        open(out, "wb").write(png(w, h, b"\x00" * ((w * 3 + 1) * h)))
    elif cmd == "ppm":
        w, h, out = int(argv[2]), int(argv[3]), argv[4]
        rows = gradient(w, h)
        body = b"".join(rows[y * (w * 3 + 1) + 1:(y + 1) * (w * 3 + 1)] for y in range(h))
        open(out, "wb").write(b"P6\n%d %d\n255\n" % (w, h) + body)
    elif cmd == "truncate":
        data = open(argv[2], "rb").read()
        open(argv[4], "wb").write(data[: int(argv[3])])
    else:
        sys.exit("unknown command " + cmd)


main(sys.argv)
