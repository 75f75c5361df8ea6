#!/usr/bin/python3
"""Pillow's side of bench_image (same files, same work, same process count).

    bench_image.py gen DIR N WxH      write N JPEGs of WxH into DIR
    bench_image.py time DIR Q SECONDS decode + resize (short side Q) with
                                      Pillow, full size and with draft();
                                      prints "full <img/s>" and "draft <img/s>",
                                      then the same with Pillow's block
                                      cache on ("full_cached", "draft_cached")

The JPEGs are crops and flips of the two CC-BY photographs that ship with
scikit-learn (see tests/fixtures/image/README), scaled to cover WxH, saved
at quality 90 with 4:2:0 subsampling; synthetic ones where those are absent.
"""
import os
import sys
import time

import numpy as np
from PIL import Image

PHOTOS = "/usr/lib/python3/dist-packages/sklearn/datasets/images"


def gen(out, n, w, h):
    os.makedirs(out, exist_ok=True)
    srcs = []
    for name in ("china.jpg", "flower.jpg"):
        p = os.path.join(PHOTOS, name)
        if os.path.exists(p):
            srcs.append(Image.open(p).convert("RGB"))
    rng = np.random.default_rng(0)
    for i in range(n):
        if srcs:
            im = srcs[i % len(srcs)]
            s = max(w / im.width, h / im.height) * rng.uniform(1.0, 1.6)
            im = im.resize((max(w, round(im.width * s)), max(h, round(im.height * s))), Image.BICUBIC)
            x, y = rng.integers(0, im.width - w + 1), rng.integers(0, im.height - h + 1)
            im = im.crop((x, y, x + w, y + h))
            if i % 4 >= 2:
                im = im.transpose(Image.FLIP_LEFT_RIGHT)
        else:
            a = rng.integers(0, 256, (h // 8, w // 8, 3), dtype=np.uint8)
            im = Image.fromarray(a).resize((w, h), Image.BICUBIC)
        im.save(os.path.join(out, f"img{i:04d}.jpg"), quality=90)


def short_side(w, h, q):
    # torchvision Resize(q)
    if w <= h:
        return q, int(q * h / w)
    return int(q * w / h), q


def one(path, q, draft):
    with Image.open(path) as im:
        tw, th = short_side(im.width, im.height, q)
        if draft:
            im.draft("RGB", (tw, th))
        im = im.convert("RGB")
        return im.resize((tw, th), Image.BILINEAR)


def rate(files, q, draft, seconds):
    for f in files[:2]:
        one(f, q, draft)                      # warm caches
    done, t0 = 0, time.process_time()      # CPU time, as bench_image.c
    while True:
        for f in files:
            one(f, q, draft)
        done += len(files)
        dt = time.process_time() - t0
        if dt >= seconds:
            return done / dt


def main():
    if sys.argv[1] == "gen":
        w, h = (int(v) for v in sys.argv[4].split("x"))
        gen(sys.argv[2], int(sys.argv[3]), w, h)
    elif sys.argv[1] == "time":
        d, q, seconds = sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
        files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".jpg"))
        print(f"full {rate(files, q, False, seconds):.3f}")
        print(f"draft {rate(files, q, True, seconds):.3f}")
        # Pillow frees image memory at once by default; with a block cache
        # it reuses it, which saves page faults (costly on some machines).
        Image.core.set_blocks_max(64)
        print(f"full_cached {rate(files, q, False, seconds):.3f}")
        print(f"draft_cached {rate(files, q, True, seconds):.3f}")
    else:
        sys.exit("usage: bench_image.py gen DIR N WxH | time DIR Q SECONDS")


if __name__ == "__main__":
    main()
