"""vggtrain init: the weights vggtrain train starts from, written alone.

Run by CTest: test_train_init.py VGGTRAIN WORKDIR.  Exit 0 pass, 1 fail, 77 skip.
"""
import os
import shutil
import subprocess
import sys

from cli_check import missing

try:
    import numpy as np
    from PIL import Image
except ImportError as e:  # a skip for CTest (77), a failure in CI (cli_check.missing)
    missing("%s for %s" % (e.name, sys.executable))

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from extract_ref import read_safetensors  # noqa: E402

vggtrain, work = sys.argv[1], sys.argv[2]
# a fresh folder: a training run refuses to replace an earlier run's checkpoint
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def run(*args):
    return subprocess.run([vggtrain] + list(args), capture_output=True, text=True)


with open("classes.txt", "w") as f:
    f.write("a\nb\nc\n")
arch = ["--config", "D", "--width", "0.25", "--fc-dim", "64", "--input-size", "32"]

r1 = run("init", *arch, "--classes", "classes.txt", "--init", "he", "-o", "he1.safetensors")
r2 = run("init", *arch, "--num-classes", "3", "--init", "he", "-o", "he2.safetensors")
r3 = run("init", *arch, "--num-classes", "3", "--init", "he", "--seed", "2", "-o", "he3.safetensors")
for r in (r1, r2, r3):
    check(r.returncode == 0, "init failed: %s" % r.stderr)
one = open("he1.safetensors", "rb").read()
check(one == open("he2.safetensors", "rb").read(), "same seed, different files")
check(one != open("he3.safetensors", "rb").read(), "another seed, same file")

t, meta = read_safetensors("he1.safetensors")
check(meta.get("config") == "D" and meta.get("num_classes") == "3", "metadata %r" % meta)
check(tuple(t["classifier.6.weight"].shape) == (3, 64), "fc8 shape %r" % (t["classifier.6.weight"].shape,))
for name, w in t.items():
    if name.endswith(".bias"):
        check(not np.any(w), "%s not zero" % name)
    elif w.size >= 2000:
        fan_in = w.size // w.shape[0]
        want = np.sqrt(2.0 / fan_in)
        got = float(np.std(w))
        check(abs(got - want) < 0.1 * want, "%s: std %.4g, He wants %.4g" % (name, got, want))
        check(abs(float(np.mean(w))) < 0.1 * want, "%s: mean %.4g" % (name, float(np.mean(w))))

r = run("init", *arch, "--num-classes", "3", "-o", "normal.safetensors")
check(r.returncode == 0, "normal init failed")
t, _ = read_safetensors("normal.safetensors")
w = t["features.0.weight"]
for name, w in t.items():
    if not name.endswith(".bias") and w.size >= 2000:
        check(abs(float(np.std(w)) - 0.01) < 0.001, "%s: std %.4g, want 0.01" % (name, float(np.std(w))))

# torchvision's VGG: conv weights N(0, 2 / fan_out) (kaiming_normal_, mode
# "fan_out"), fc weights N(0, --init-std^2), biases 0
r = run("init", *arch, "--num-classes", "3", "--init", "torchvision", "--init-std", "0.02",
        "-o", "tv.safetensors")
check(r.returncode == 0, "torchvision init failed: %s" % r.stderr)
t, _ = read_safetensors("tv.safetensors")
for name, w in t.items():
    if name.endswith(".bias"):
        check(not np.any(w), "%s not zero" % name)
    elif name.startswith("features.") and w.ndim == 4 and w.size >= 2000:
        want = np.sqrt(2.0 / (w.shape[0] * w.shape[2] * w.shape[3]))
        got = float(np.std(w))
        check(abs(got - want) < 0.1 * want, "%s: std %.4g, fan_out wants %.4g" % (name, got, want))
    elif name.startswith("classifier.") and w.size >= 2000:
        check(abs(float(np.std(w)) - 0.02) < 0.002, "%s: std %.4g, want 0.02" % (name, float(np.std(w))))

# the very weights training starts from: one step with learning rate 0
os.makedirs("img/a", exist_ok=True)
os.makedirs("img/b", exist_ok=True)
os.makedirs("img/c", exist_ok=True)
rng = np.random.default_rng(3)
for cls in "abc":
    for i in range(3):
        Image.fromarray(rng.integers(0, 256, (36, 40, 3), dtype=np.uint8)).save("img/%s/%d.png" % (cls, i))
r = run("train", "--data", "img", *arch, "--init", "he", "--batch", "3", "--iterations", "1",
        "--lr", "0", "--weight-decay", "0", "--threads", "1", "--loaders", "1",
        "-o", "trained0.safetensors")
check(r.returncode == 0, "train failed: %s" % r.stderr)
check(open("trained0.safetensors", "rb").read() == one,
      "vggtrain train with lr 0 did not keep vggtrain init's weights")

# --weights: fine-tuning starts from every weight of a trained net, keeping
# its architecture and metadata (lr 0: nothing moves)
r = run("train", "--data", "img", "--weights", "trained0.safetensors", "--scale", "36",
        "--batch", "3", "--iterations", "1", "--lr", "0", "--weight-decay", "0",
        "--threads", "1", "--loaders", "1", "-o", "ft0.safetensors")
check(r.returncode == 0, "train --weights failed: %s" % r.stderr)
a, ma = read_safetensors("ft0.safetensors")
b, mb = read_safetensors("he1.safetensors")
check(sorted(a) == sorted(b) and all(np.array_equal(a[k].ravel(), b[k].ravel()) for k in a),
      "--weights with lr 0 changed the weights")
check(ma == mb, "--weights did not keep the metadata: %r vs %r" % (ma, mb))
# with a learning rate the weights move, from there
r = run("train", "--data", "img", "--weights", "he1.safetensors", "--scale", "36",
        "--batch", "3", "--iterations", "2", "--lr", "0.01", "--threads", "1", "--loaders", "1",
        "-o", "ft1.safetensors")
check(r.returncode == 0, "train --weights (lr 0.01) failed: %s" % r.stderr)
a, _ = read_safetensors("ft1.safetensors")
check(not np.array_equal(a["features.0.weight"], b["features.0.weight"]), "weights did not move")
# an architecture given on the command line must agree with the file
r = run("train", "--data", "img", "--weights", "he1.safetensors", "--config", "E", "--scale", "36",
        "--iterations", "1", "-o", "bad.safetensors")
check(r.returncode == 1 and "he1.safetensors" in r.stderr and "configuration" in r.stderr,
      "mismatched --config: %r" % r.stderr)
check(not os.path.exists("bad.safetensors"), "output written on a mismatch")
check(run("train", "--data", "img", "--weights", "he1.safetensors", "--init-from", "he1.safetensors",
          "-o", "bad.safetensors").returncode == 2, "--weights with --init-from: not a usage error")

# usage errors
check(run("init", *arch, "-o", "x.safetensors").returncode == 2, "no class count: not a usage error")
check(run("init", "--config", "Q", "--num-classes", "3", "-o", "x.safetensors").returncode == 2,
      "bad config: not a usage error")
r = run("init", *arch, "--classes", "missing.txt", "-o", "x.safetensors")
check(r.returncode == 1 and "missing.txt" in r.stderr, "missing class file: %r" % r.stderr)
check(not os.path.exists("x.safetensors"), "output written on error")

print("%d passed, %d failed" % (0 if failures else 1, 1 if failures else 0))
sys.exit(1 if failures else 0)
