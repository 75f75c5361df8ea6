"""vggfeat extract and pixels on the images the ecosystem reads (issue 24):
decoder warnings counted, not fatal; the network input's budget instead of
an aspect-ratio rule; transparency dropped by default and composed on white
with --alpha white, recorded in the store; stores from before the record
read as made on white.

Run by CTest: test_extract_images.py BINDIR WORKDIR.  Exit 0 pass, 1 fail,
77 skip (numpy or Pillow missing; a failure where VGG_REQUIRE_REFERENCES is
set).  The images are made here with Pillow; the nets by extract_ref.py.
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

from cli_check import check, failures, run

try:
    import numpy as np
    from PIL import Image
except ImportError as e:
    print("skipped: %s" % e)
    sys.exit(1 if os.environ.get("VGG_REQUIRE_REFERENCES", "0") not in ("", "0") else 77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from extract_ref import read_store  # noqa: E402

bindir, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
VGGFEAT = os.path.join(bindir, "vggfeat")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)
subprocess.run([sys.executable, os.path.join(HERE, "extract_ref.py"), "nets", "nets"],
               check=True, capture_output=True)
NET = ["--device", "cpu-ref", "--threads", "1", "--net", "nets/netD.safetensors"]

rng = np.random.default_rng(24)
photo = Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), "RGB")


def rows_of(path):
    info, rows = read_store(path)
    return info["desc"], {r["name"].decode(): np.array(r["x"]) for r in rows}


def same(a, b):
    return a.shape == b.shape and np.max(np.abs(a - b)) <= 1e-6


# ------------------------------------------------------ decoder warnings
photo.save("clean.jpg", quality=90)
good = open("clean.jpg", "rb").read()
sos = good.index(b"\xff\xda")
with open("junk.jpg", "wb") as f:        # what Photoshop and bad EXIF blocks leave
    f.write(good[:sos] + b"\x00\x11\x22\x33" + good[sos:])
rc, out = run([VGGFEAT, "extract"] + NET + ["--scales", "64", "-o", "warn.vggf",
                                            "clean.jpg", "junk.jpg"])
check(rc == 0, "a JPEG with extraneous bytes before a marker is extracted", out)
check("1 image decoded despite 1 decoder warning, as Pillow decodes them; the first: "
      "'junk.jpg': Corrupt JPEG data: 4 extraneous bytes before marker 0xda" in out,
      "the summary counts the warning and names it", out)
if rc == 0:
    _, rows = rows_of("warn.vggf")
    check(same(rows["junk.jpg"], rows["clean.jpg"]), "its row is the clean file's (same pixels)")
with open("cut.jpg", "wb") as f:
    f.write(good[:-1])
rc, out = run([VGGFEAT, "extract"] + NET + ["--scales", "64", "-o", "cut.vggf", "cut.jpg"])
check(rc == 1 and "'cut.jpg': damaged JPEG: the file is truncated" in out,
      "a JPEG missing its last byte is refused as truncated, as Pillow refuses it", out)

# ------------------------------------------------------ the input budget
for w, h in [(60, 900), (256, 10), (750, 30)]:
    Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)).save("s%dx%d.png" % (w, h))
rc, out = run([VGGFEAT, "extract", "--device", "cpu", "--threads", "2", "--net",
               "nets/netD.safetensors", "--scales", "256", "-o", "shapes.vggf",
               "s60x900.png", "s256x10.png", "s750x30.png"], timeout=600)
check(rc == 0 and "3 images" in out, "60x900, 256x10 and 750x30 at Q=256 (no aspect rule)", out)
Image.fromarray(rng.integers(0, 256, (5000, 1, 3), dtype=np.uint8)).save("line.png")
rc, out = run([VGGFEAT, "extract"] + NET + ["--scales", "256", "-o", "line.vggf", "line.png"])
check(rc == 1 and "'line.png': image is 1x5000; at scale 256 it would be 256x1280000 = 327680000 "
      "pixels of network input, about 312.5 GiB of the net's memory (512 bytes a pixel, twice "
      "with the flip), over the budget of 8388608 pixels (8.0 GiB); raise it with "
      "--max-input-pixels or use a smaller scale" in out,
      "a 1x5000 line at Q=256 is refused naming both numbers and the option", out)
rc, out = run([VGGFEAT, "extract"] + NET + ["--scales", "256", "--max-input-pixels", "500000",
                                            "-o", "small_budget.vggf", "s60x900.png"])
check(rc == 1 and "256x3840 = 983040 pixels" in out and "budget of 500000 pixels" in out,
      "--max-input-pixels lowers the budget", out)
rc, out = run([VGGFEAT, "extract"] + NET + ["--scales", "256", "--no-flip", "--max-input-pixels",
                                            "1000000", "-o", "raised.vggf", "s60x900.png"])
check(rc == 0, "--max-input-pixels 1000000 lets 256x3840 through", out)
for bad in ["0", "-5", "1e6", "2147483648", "x"]:
    rc, out = run([VGGFEAT, "extract"] + NET + ["--max-input-pixels", bad, "-o", "u.vggf",
                                                "clean.jpg"])
    check(rc == 2 and "--max-input-pixels '%s'" % bad in out, "--max-input-pixels %s refused" % bad,
          out)

# ------------------------------------------------------ transparency
a = np.asarray(photo).copy()
alpha = np.linspace(0, 255, 48 * 64).reshape(48, 64).astype(np.uint8)
rgba = Image.fromarray(np.dstack([a, alpha]), "RGBA")
rgba.save("alpha.png")
photo.save("dropped.png")                                    # convert("RGB")
white = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
white.convert("RGB").save("on_white.png")                    # Pillow on white
ins = ["alpha.png", "dropped.png", "on_white.png"]
rc, out = run([VGGFEAT, "extract"] + NET + ["--scales", "64", "-o", "drop.vggf"] + ins)
check(rc == 0, "extract with the default alpha", out)
if rc == 0:
    desc, rows = rows_of("drop.vggf")
    check(desc.get("alpha") == "drop", "the store records alpha drop: %r" % desc)
    check(same(rows["alpha.png"], rows["dropped.png"]), "by default alpha is dropped")
    check(not same(rows["alpha.png"], rows["on_white.png"]), "... and not composed on white")
rc, out = run([VGGFEAT, "extract"] + NET + ["--scales", "64", "--alpha", "white", "-o",
                                            "white.vggf"] + ins)
check(rc == 0, "extract --alpha white", out)
if rc == 0:
    desc, rows = rows_of("white.vggf")
    check(desc.get("alpha") == "white", "the store records alpha white: %r" % desc)
    check(same(rows["alpha.png"], rows["on_white.png"]), "--alpha white composes on white")
rc, out = run([VGGFEAT, "extract"] + NET + ["--scales", "64", "-o", "white.vggf"] + ins)
check(rc == 1 and "transparency differs: white vs drop (--alpha)" in out,
      "a store made on white is not resumed with the default", out)
rc, out = run([VGGFEAT, "merge", "drop.vggf", "white.vggf", "-o", "mixed.vggf"])
check(rc != 0 and "transparency differs" in out, "stores of the two kinds are not merged", out)
rc, out = run([VGGFEAT, "extract"] + NET + ["--alpha", "black", "-o", "b.vggf", "alpha.png"])
check(rc == 2 and "--alpha 'black': drop or white" in out, "--alpha black refused", out)
rc, out = run([VGGFEAT, "info", "white.vggf"])
check(rc == 0 and "alpha:       white" in out, "vggfeat info shows alpha", out)


def strip_alpha_key(src, dst):
    """A store as written before the description had "alpha" (nor "list",
    which came at the same time): the keys taken out, the JSON padded to its
    length, the header CRC redone."""
    data = bytearray(open(src, "rb").read())
    jl = struct.unpack("<I", data[40:44])[0]
    info = json.loads(bytes(data[64:64 + jl]))
    del info["desc"]["alpha"]
    info["desc"].pop("list", None)
    text = json.dumps(info, separators=(",", ":")).encode()
    assert len(text) <= jl
    data[64:64 + jl] = text + b" " * (jl - len(text))
    off = struct.unpack("<Q", data[32:40])[0]
    head = bytearray(data[:off])
    head[44:48] = b"\0\0\0\0"
    data[44:48] = struct.pack("<I", zlib.crc32(bytes(head)))
    open(dst, "wb").write(bytes(data))


strip_alpha_key("white.vggf", "old.vggf")
rc, out = run([VGGFEAT, "info", "old.vggf"])
check(rc == 0 and "alpha:       white" in out, "a store without the key reads as white", out)
ins2 = ins + ["clean.jpg"]
rc, out = run([VGGFEAT, "extract"] + NET + ["--scales", "64", "-o", "old.vggf"] + ins2)
check(rc == 1 and "transparency differs: white vs drop" in out,
      "an old store is not resumed dropping alpha", out)
rc, out = run([VGGFEAT, "extract"] + NET + ["--scales", "64", "--alpha", "white", "-o",
                                            "old.vggf"] + ins2)
check(rc == 0 and "resuming after 3 rows" in out, "an old store resumes with --alpha white", out)

# ------------------------------------------------------ vggfeat pixels --alpha
with open("px.txt", "w") as f:
    f.write("alpha.png\n")
for mode, ref in (("drop", photo), ("white", white.convert("RGB"))):
    args = [VGGFEAT, "pixels", "--list", "px.txt", "--size", "8", "--no-l2", "-o", "px_%s.vggf" % mode]
    rc, out = run(args + (["--alpha", mode] if mode == "white" else []))
    check(rc == 0, "pixels --alpha %s" % mode, out)
    if rc == 0:
        desc, rows = rows_of("px_%s.vggf" % mode)
        want = np.asarray(ref.resize((8, 8), Image.BILINEAR), dtype=np.float64)
        want = want.transpose(2, 0, 1).reshape(-1) / 255.0
        check(desc.get("alpha") == mode and np.max(np.abs(rows["alpha.png"] - want)) <= 1.5 / 255,
              "pixels --alpha %s: Pillow's pixels, recorded" % mode)

print("%d failed" % len(failures) if failures else "all passed")
sys.exit(1 if failures else 0)
