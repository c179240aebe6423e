#!/usr/bin/python3
"""quality.py A_DIR B_DIR -- how close two folders of resized images are.

Compares every A_DIR/<name> with B_DIR/<name> of the same name (PNG outputs of
two tools run on the same corpus, e.g. imgpool's and tools/bench_pillow.py's)
and prints the mean absolute difference in levels (0..255, over every sample)
and the PSNR in dB over all compared samples, then the five files that differ
most. Pairs whose sizes differ (rounding of the target size) are counted and
skipped. Both images are brought to one mode first: premultiplied RGBa if
either has alpha (the colour of a fully transparent pixel is invisible and
tools differ in what they leave there), else RGB if either has colour, else L.

`make bench` runs it for the fit job, imgpool --procs 2 against Pillow's
thumbnail(). Exit 0, or 1 when nothing could be compared, 2 on bad usage.
"""
import math
import os
import sys

from PIL import Image, ImageChops, ImageStat


def common_mode(a, b):
    bands = set(a.getbands()) | set(b.getbands())
    if "A" in bands or "transparency" in a.info or "transparency" in b.info:
        return "RGBa"
    return "RGB" if bands & {"R", "G", "B", "P"} else "L"


def compare(path_a, path_b):
    """(samples, sum of |diff|, sum of diff^2), or None when sizes differ."""
    with Image.open(path_a) as a, Image.open(path_b) as b:
        if a.size != b.size:
            return None
        mode = common_mode(a, b)
        if mode == "RGBa":
            a, b = a.convert("RGBA"), b.convert("RGBA")
        diff = ImageChops.difference(a.convert(mode), b.convert(mode))
        stat = ImageStat.Stat(diff)
        n = a.size[0] * a.size[1]
        return n * len(stat.sum), sum(stat.sum), sum(stat.sum2)


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 2
    dir_a, dir_b = argv[1], argv[2]
    names = sorted(n for n in os.listdir(dir_a) if os.path.isfile(os.path.join(dir_b, n)))
    samples = total_abs = total_sq = 0
    skipped = []
    per_file = []
    for name in names:
        r = compare(os.path.join(dir_a, name), os.path.join(dir_b, name))
        if r is None:
            skipped.append(name)
            continue
        n, s, s2 = r
        samples += n
        total_abs += s
        total_sq += s2
        per_file.append((s / n, name))
    if not samples:
        print("quality.py: no pair of images of the same size to compare", file=sys.stderr)
        return 1
    mse = total_sq / samples
    psnr = 10 * math.log10(255 * 255 / mse) if mse else float("inf")
    print(f"compared {len(per_file)} images ({len(skipped)} skipped: size differs), "
          f"{samples} samples")
    print(f"mean |diff| {total_abs / samples:.2f} levels, PSNR {psnr:.1f} dB")
    for mad, name in sorted(per_file, reverse=True)[:5]:
        print(f"  {mad:6.2f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
