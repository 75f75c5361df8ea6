#!/usr/bin/python3
"""Make the extractor's test images (committed in tests/fixtures/extract).

    /usr/bin/python3 tests/gen_extract_fixtures.py [OUTDIR]

Needs Pillow and numpy.  Small non-square images with smooth content and
a little noise (so that a net's features vary between them), in PNG and
JPEG, one grayscale, one in a subfolder, one smaller than any scale, and a text file that a directory
walk must pass over.  Deterministic (fixed seed).
"""
import os
import sys

import numpy as np
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "fixtures", "extract")
rng = np.random.default_rng(20150410)


def picture(w, h, phase):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 128 + 100 * np.sin(x / (5 + phase) + y / 11)
    g = 128 + 100 * np.cos(y / (7 + phase) - x / 13)
    b = 128 + 90 * np.sin((x + y) / (9 + 2 * phase))
    img = np.stack([r, g, b], axis=2) + rng.normal(0, 12, (h, w, 3))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


os.makedirs(os.path.join(out, "imgs", "sub"), exist_ok=True)
# (name, width, height): non-square, both orientations; c.png has its
# smaller side exactly 64 (no resize at Q = 64)
Image.fromarray(picture(97, 71, 0)).save(os.path.join(out, "imgs", "a.png"))
Image.fromarray(picture(60, 90, 1)).save(os.path.join(out, "imgs", "b.png"))
Image.fromarray(picture(80, 64, 2)).save(os.path.join(out, "imgs", "c.png"))
Image.fromarray(picture(120, 90, 3)).save(os.path.join(out, "imgs", "d.jpg"), quality=90)
Image.fromarray(picture(70, 50, 4)).convert("L").save(os.path.join(out, "imgs", "sub", "e.png"))
Image.fromarray(picture(66, 100, 5)).save(os.path.join(out, "imgs", "sub", "f.jpg"), quality=85)
# smaller than every scale: scaled up, as the paper does
os.makedirs(os.path.join(out, "small"), exist_ok=True)
Image.fromarray(picture(10, 8, 6)).save(os.path.join(out, "small", "tiny.png"))
with open(os.path.join(out, "imgs", "notes.txt"), "w") as f:
    f.write("not an image: a directory walk passes over this file\n")
print("wrote", out)
