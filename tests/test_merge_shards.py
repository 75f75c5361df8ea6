"""vggfeat merge and the input list each store records (issue 24, item 10):
the shards of one list merge back to the unsharded store byte for byte;
shards of different lists, a missing shard, a shard given twice, different
N, and stores that record no list are refused, with --partial for the
missing ones; the digest is checked against hashlib; a store is never
resumed by another shard.

Run by CTest: test_merge_shards.py BINDIR WORKDIR.  Exit 0 pass, 1 fail,
77 skip (no numpy or Pillow; 1 instead where VGG_REQUIRE_REFERENCES is set).
"""
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

from cli_check import check, failures, finish, run  # noqa: F401

try:
    import numpy as np
    from PIL import Image
except ImportError as e:
    print("skipped: %s" % e)
    sys.exit(1 if os.environ.get("VGG_REQUIRE_REFERENCES") else 77)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from extract_ref import read_store  # noqa: E402

bindir, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
VGGFEAT, VGGDATA = (os.path.join(bindir, p) for p in ("vggfeat", "vggdata"))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)
NET = ["--device", "cpu-ref", "--threads", "1", "--net", "nets/netD.safetensors",
       "--scales", "64", "--quiet"]
subprocess.run([sys.executable, os.path.join(HERE, "extract_ref.py"), "nets", "nets"],
               check=True, capture_output=True)

rng = np.random.default_rng(24)
os.makedirs("img")
for i in range(12):
    Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8), "RGB").save(
        "img/i%02d.png" % i)


def write_list(path, labels):
    with open(path, "w") as f:
        for i, lab in enumerate(labels):
            f.write("img/i%02d.png\t%s\n" % (i, lab))


def extract(lst, out, *extra):
    if os.path.exists(out):
        os.unlink(out)
    return run([VGGFEAT, "extract"] + NET + ["--list", lst, "-o", out] + list(extra))


def merge(out, *args):
    if os.path.exists(out):
        os.unlink(out)
    return run([VGGFEAT, "merge"] + list(args) + ["-o", out])


def same(a, b):
    if not (os.path.exists(a) and os.path.exists(b)):
        return False
    with open(a, "rb") as f, open(b, "rb") as g:
        return f.read() == g.read()


def desc(path):
    """the store's description ({} when there is no store to read)"""
    if not os.path.exists(path):
        return {}
    return read_store(path)[0]["desc"]


A = ["c%d" % (i % 3) for i in range(12)]
write_list("a.txt", A)
rc, out = extract("a.txt", "whole.vggf")
check(rc == 0, "the unsharded store", out)
for k in range(3):
    rc, out = extract("a.txt", "a%d.vggf" % k, "--shard", "%d/3" % k)
    check(rc == 0, "shard %d/3" % k, out)

# ------------------------------------------------ what is recorded
want = hashlib.sha256()
for i, lab in enumerate(A):
    want.update(b"img/i%02d.png\0%s\0" % (i, lab.encode()))
d = desc("a1.vggf")
check(d.get("list") == {"sha256": want.hexdigest(), "inputs": 12, "shards": "1", "of": 3},
      "a shard records the list's SHA-256 (names and labels), its inputs and K of N", str(d))
check(desc("whole.vggf").get("list") == {"sha256": want.hexdigest(), "inputs": 12},
      "an unsharded store records the whole list", str(desc("whole.vggf")))
rc, out = run([VGGFEAT, "info", "a1.vggf"])
check(rc == 0 and "list:        12 inputs, sha256 " + want.hexdigest() in out and
      "shard:       1 of 3" in out, "info shows the list and the shard", out)

# ------------------------------------------------ all shards: the unsharded store
rc, out = merge("all.vggf", "a2.vggf", "a0.vggf", "a1.vggf")
check(rc == 0 and same("all.vggf", "whole.vggf"),
      "three shards merge to the unsharded store, byte for byte", out)

# ------------------------------------------------ a shard missing
rc, out = merge("two.vggf", "a0.vggf", "a1.vggf")
check(rc == 1 and "shard 2 of 3 missing" in out and "4 of the 12 inputs" in out and
      "--partial" in out and not os.path.exists("two.vggf"),
      "shards 0 and 1 of 3 without 2 are refused, naming it", out)
rc, out = merge("two.vggf", "a0.vggf", "a1.vggf", "--partial")
check(rc == 0 and "partial merge: no input holds shard 2 of 3 (4 inputs of the list)" in out and
      "8 rows" in out, "--partial merges them and says what is missing", out)
check(desc("two.vggf").get("list", {}).get("shards") == "0-1",
      "the partial store records the shards it holds", str(desc("two.vggf")))
rc, out = merge("three.vggf", "two.vggf", "a2.vggf")
check(rc == 0 and same("three.vggf", "whole.vggf"),
      "the partial store and the missing shard merge to the whole", out)
rc, out = merge("again.vggf", "two.vggf", "a1.vggf")
check(rc == 1 and "shard 1 of 3 is in both 'two.vggf' and 'a1.vggf'" in out,
      "a shard held twice is refused, naming both stores", out)
rc, out = merge("twice.vggf", "a0.vggf", "a1.vggf", "a0.vggf", "--partial")
check(rc == 1 and "shard 0 of 3 is in both" in out and not os.path.exists("twice.vggf"),
      "the same shard given twice is refused, also with --partial", out)

# ------------------------------------------------ shards of another list
# the case: the same images under other labels, in another order
B = ["d%d" % (i % 2) for i in range(12)]
write_list("b.txt", B)
rc, out = extract("b.txt", "b2.vggf", "--shard", "2/3")
check(rc == 0, "shard 2/3 of another list", out)
for extra in ([], ["--partial"]):
    rc, out = merge("mixed.vggf", "a0.vggf", "a1.vggf", "b2.vggf", *extra)
    check(rc == 1 and "come from different input lists" in out and "a0.vggf" in out and
          "b2.vggf" in out and not os.path.exists("mixed.vggf"),
          "shards of two lists are refused %s" % " ".join(extra), out)
rc, out = extract("a.txt", "n2.vggf", "--shard", "1/2")
rc, out = merge("n.vggf", "a0.vggf", "n2.vggf", "--partial")
check(rc == 1 and "different numbers of shards (3 and 2)" in out,
      "one list dealt into 3 and into 2 shards is refused", out)

# ------------------------------------------------ shards that hold no input
write_list("small.txt", ["x", "y"])
for k in range(2):
    rc, out = extract("small.txt", "s%d.vggf" % k, "--shard", "%d/3" % k)
rc, out = merge("small.vggf", "s0.vggf", "s1.vggf")
check(rc == 0 and "partial" not in out and desc("small.vggf").get("list", {}).get("inputs") == 2
      and "shards" not in desc("small.vggf").get("list", {}),
      "shard 2 of 3 of a 2-image list holds nothing: the merge is whole", out)


# ------------------------------------------------ stores that record no list
def forget_list(src, dst):
    """src's bytes with "list" taken out of its description: a store as
    written before lists were recorded (header CRC-32 made again)."""
    with open(src, "rb") as f:
        b = bytearray(f.read())
    magic, version, dim, nb, lb, rec, off, jl, hcrc = struct.unpack("<8sIIIIQQII", bytes(b[:48]))
    info = json.loads(bytes(b[64:64 + jl]))
    info["desc"].pop("list", None)
    text = json.dumps(info, separators=(",", ":")).encode()
    b[40:44] = struct.pack("<I", len(text))
    b[64:off] = text + b" " * (off - 64 - len(text))
    b[44:48] = b"\0\0\0\0"
    b[44:48] = struct.pack("<I", zlib.crc32(bytes(b[:off])))
    with open(dst, "wb") as f:
        f.write(bytes(b))


for k in range(3):
    forget_list("a%d.vggf" % k, "old%d.vggf" % k)
rc, out = run([VGGFEAT, "info", "old0.vggf"])
check(rc == 0 and "list:        not recorded" in out, "a store without a list reads", out)
rc, out = merge("old.vggf", "old0.vggf", "old1.vggf", "old2.vggf")
check(rc == 0 and "12 rows" in out and "list" not in desc("old.vggf"),
      "stores without a list merge as they did", out)
rc, out = merge("half.vggf", "old0.vggf", "a1.vggf", "a2.vggf")
check(rc == 1 and "'old0.vggf' records no input list" in out and "--partial" in out,
      "a store without a list among shards that have one is refused", out)
rc, out = merge("half.vggf", "old0.vggf", "a1.vggf", "a2.vggf", "--partial")
check(rc == 0 and "some stores record no input list" in out and "list" not in desc("half.vggf"),
      "--partial merges them, and says none was checked", out)

# ------------------------------------------------ never resumed by another shard or list
shutil.copy("a0.vggf", "r.vggf")
for lst, shard in (("a.txt", "1/3"), ("b.txt", "0/3")):
    rc, out = run([VGGFEAT, "extract"] + NET + ["--list", lst, "--shard", shard, "-o", "r.vggf"])
    check(rc == 1 and "another input list or shard" in out and same("r.vggf", "a0.vggf"),
          "shard 0/3 of a.txt is not resumed as %s of %s" % (shard, lst), out)
rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "a.txt", "--shard", "0/3", "-o", "r.vggf"])
check(rc == 0 and same("r.vggf", "a0.vggf"), "the same shard resumes (nothing left to do)", out)

# ------------------------------------------------ a subset is no shard
with open("sub.txt", "w") as f:
    f.write("img/i00.png\nimg/i05.png\n")
rc, out = run([VGGDATA, "subset", "whole.vggf", "--list", "sub.txt", "-o", "sub.vggf"])
check(rc == 0 and "list" not in desc("sub.vggf"), "a subset records no list", out)

finish()
