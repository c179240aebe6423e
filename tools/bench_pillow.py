#!/usr/bin/python3
"""bench_pillow.py JOB IN_DIR OUT_DIR [PROCS] -- the Python contender in `make bench`.

What a Python user would write: multiprocessing.Pool(PROCS, default 2) over
the sorted file list with chunksize=1 (one file per task, so the big
wallpapers do not land in one chunk), Pillow doing each file in its best
ordinary form. JOB is gray (full-size grayscale), fit (fit inside 256x256) or
grayfit (both): every file becomes OUT_DIR/<stem>.png (Pillow's default zlib
level 6); webp (fit, WebP quality 80): OUT_DIR/<stem>.webp; photo50 (half
size, JPEG quality 90) or jpeg85 (full size, JPEG quality 85):
OUT_DIR/<stem>.jpg, Pillow's default 4:2:0, images without colour kept as
one-component JPEGs, alpha dropped (convert("RGB"), what a script would do).
Exit 0 if every file was written; failures go to stderr.

Best form: Image.draft lets the JPEG decoder hand out grayscale directly
and, for fit and photo50, decode at 1/2, 1/4 or 1/8 scale; thumbnail() then
resizes with its default reducing_gap, photo50 with resize() (bicubic) when
the draft is not already the target size. Palette images are expanded first, as resizing in
mode P would silently fall back to nearest-neighbour.
"""
import os
import sys
from multiprocessing import Pool

from PIL import Image

FIT = (256, 256)
JOBS = {"gray": (True, False), "fit": (False, True), "grayfit": (True, True),
        "webp": (False, True, True)}
JPEG_JOBS = {"photo50": (0.5, 90), "jpeg85": (1, 85)}


def has_alpha(im):
    return "A" in im.getbands() or "transparency" in im.info


def convert(path, out_dir, gray, fit, webp=False):
    """One file; returns None or an error line (never raises into the pool)."""
    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        with Image.open(path) as im:
            if gray and im.mode in ("RGB", "L"):
                im.draft("L", FIT if fit else im.size)
            elif fit:
                im.draft(im.mode, FIT)
            if im.mode not in ("L", "LA", "RGB", "RGBA"):
                im = im.convert("RGBA" if has_alpha(im) else "RGB")
            if gray:
                im = im.convert("LA" if has_alpha(im) else "L")
            if fit:
                im.thumbnail(FIT)
            if webp:
                im.save(os.path.join(out_dir, stem + ".webp"), "WEBP", quality=80)
            else:
                im.save(os.path.join(out_dir, stem + ".png"), "PNG")
    except (OSError, ValueError) as e:
        return f"bench_pillow: cannot convert '{path}': {e}"
    return None


def to_jpeg(path, out_dir, scale, quality):
    """One file of a JPEG job; returns None or an error line."""
    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        with Image.open(path) as im:
            target = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
            if scale != 1:
                im.draft(im.mode, target)
            if im.mode not in ("L", "RGB"):
                im = im.convert("RGB")
            if im.size != target:
                im = im.resize(target, Image.BICUBIC)
            im.save(os.path.join(out_dir, stem + ".jpg"), "JPEG", quality=quality)
    except (OSError, ValueError) as e:
        return f"bench_pillow: cannot convert '{path}': {e}"
    return None


def main(argv):
    if len(argv) not in (4, 5) or (argv[1] not in JOBS and argv[1] not in JPEG_JOBS):
        print("usage: bench_pillow.py gray|fit|grayfit|webp|photo50|jpeg85 IN_DIR OUT_DIR [PROCS]",
              file=sys.stderr)
        return 2
    in_dir, out_dir = argv[2], argv[3]
    procs = int(argv[4]) if len(argv) == 5 else 2
    names = sorted(n for n in os.listdir(in_dir)
                   if not n.startswith(".") and os.path.isfile(os.path.join(in_dir, n)))
    job, params = (to_jpeg, JPEG_JOBS[argv[1]]) if argv[1] in JPEG_JOBS else (convert, JOBS[argv[1]])
    args = [(os.path.join(in_dir, n), out_dir) + params for n in names]
    failed = 0
    with Pool(procs) as pool:
        for err in pool.starmap(job, args, chunksize=1):
            if err:
                print(err, file=sys.stderr)
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
