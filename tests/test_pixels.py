"""vggfeat pixels against an independent computation with Pillow and numpy.

Run by CTest: test_pixels.py VGGFEAT WORKDIR.  Exit 0 pass, 1 fail, 77 skip.
"""
import os
import subprocess
import sys

from cli_check import missing

try:
    import numpy as np
    from PIL import Image
except ImportError as e:  # a skip for CTest (77), a failure in CI (cli_check.missing)
    missing("%s for %s" % (e.name, sys.executable))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from extract_ref import read_store  # noqa: E402

vggfeat, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
os.chdir(work)
for f in os.listdir("."):
    os.remove(f)

rng = np.random.default_rng(7)
paths = []
img = Image.fromarray(rng.integers(0, 256, (30, 40, 3), dtype=np.uint8), "RGB")
img.save("rgb.png")
paths.append(("rgb.png", "a"))
gray = Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8), "L")
gray.save("gray.png")
paths.append(("gray.png", "b"))
with open("list.txt", "w") as f:
    for p, lab in paths:
        f.write("%s\t%s\n" % (p, lab))


def reference(path, size, l2):
    im = Image.open(path).convert("RGB")
    if im.size != (size, size):
        im = im.resize((size, size), Image.BILINEAR)
    x = np.asarray(im, dtype=np.float64).transpose(2, 0, 1).reshape(-1) / 255.0
    if l2:
        x = x / np.linalg.norm(x)
    return x


failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


for size, l2 in ((28, True), (16, False)):
    out = "px%d.vggf" % size
    cmd = [vggfeat, "pixels", "--list", "list.txt", "--size", str(size), "-o", out]
    if not l2:
        cmd.append("--no-l2")
    r = subprocess.run(cmd, capture_output=True, text=True)
    check(r.returncode == 0, "exit status %d: %s" % (r.returncode, r.stderr))
    info, rows = read_store(out)
    desc = info["desc"]
    check(desc["layer"] == "pixels" and desc["nets"] == [] and desc["scales"] == [size],
          "description %r" % desc)
    check(desc["l2"] == l2 and desc["flip"] is False, "l2/flip in %r" % desc)
    check(rows.shape[0] == 2, "rows %d" % rows.shape[0])
    for k, (p, lab) in enumerate(paths):
        check(rows[k]["name"].decode() == p and rows[k]["label"].decode() == lab,
              "row %d name/label" % k)
        got = np.asarray(rows[k]["x"], dtype=np.float64)
        want = reference(p, size, l2)
        # the resize agrees with Pillow within one grey level on every pixel
        norm = np.linalg.norm(reference(p, size, False)) if l2 else 1.0
        tol = (1.0 / 255.0 + 1e-6) / norm
        check(np.max(np.abs(got - want)) <= tol,
              "%s at %d: max difference %g" % (p, size, np.max(np.abs(got - want))))
        if p == "gray.png" and size == 28:  # no resize: exact
            check(np.max(np.abs(got - want)) < 1e-6, "gray 28x28 not exact")

# an existing store is never overwritten
r = subprocess.run([vggfeat, "pixels", "--list", "list.txt", "-o", "px28.vggf"],
                   capture_output=True, text=True)
check(r.returncode == 1 and "px28.vggf" in r.stderr, "overwrite refused: %r" % r.stderr)

# unreadable images: fail names the file; skip counts it and goes on
with open("bad.png", "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n garbage")
with open("bad.txt", "w") as f:
    f.write("bad.png\tc\nrgb.png\ta\n")
r = subprocess.run([vggfeat, "pixels", "--list", "bad.txt", "-o", "bad1.vggf"],
                   capture_output=True, text=True)
check(r.returncode == 1 and "bad.png" in r.stderr, "fail mode: %r" % r.stderr)
r = subprocess.run([vggfeat, "pixels", "--list", "bad.txt", "--on-error", "skip", "-o", "bad2.vggf"],
                   capture_output=True, text=True)
check(r.returncode == 0 and "1 skipped" in r.stderr, "skip mode: %r" % r.stderr)
info, rows = read_store("bad2.vggf")
check(rows.shape[0] == 1 and rows[0]["name"].decode() == "rgb.png", "skip mode rows")

r = subprocess.run([vggfeat, "pixels", "--list", "list.txt", "--size", "0", "-o", "z.vggf"],
                   capture_output=True, text=True)
check(r.returncode == 2, "--size 0 is a usage error")

# the LIBLINEAR export numbers labels in sorted order (as vggsvm's models do),
# not in order of appearance
with open("order.txt", "w") as f:
    f.write("rgb.png\tzeta\ngray.png\talpha\n")
r = subprocess.run([vggfeat, "pixels", "--list", "order.txt", "-o", "order.vggf"],
                   capture_output=True, text=True)
check(r.returncode == 0, "order store: %r" % r.stderr)
r = subprocess.run([vggfeat, "export", "order.vggf", "--format", "liblinear", "-o", "order.svm"],
                   capture_output=True, text=True)
check(r.returncode == 0, "export: %r" % r.stderr)
check([l.split()[0] for l in open("order.svm")] == ["2", "1"], "liblinear label numbers")
check(open("order.svm.labels").read().split() == ["1", "alpha", "2", "zeta"],
      "label numbering file %r" % open("order.svm.labels").read())

print("%d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
sys.exit(1 if failures else 0)
