"""Hostile and careless use of the programs at the command line (issues 11
and 18): every input accounted for, full disks, two writers, kills, hangs,
outputs equal to inputs, damaged tails and the messages that name them.

Run by CTest: test_robust_cli.py BINDIR WORKDIR.  Exit 0 pass, 1 fail, 77 skip.
The images are made here with Pillow; the nets by extract_ref.py.
"""
import os
import shutil
import signal
import struct
import subprocess
import sys

from cli_check import check, digest, failures, missing, run, wait_stopped

try:
    import numpy as np
    from PIL import Image
except ImportError as e:  # a skip for CTest (77), a failure in CI (cli_check.missing)
    missing("%s for %s" % (e.name, sys.executable))

HERE = os.path.dirname(os.path.abspath(__file__))
bindir, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
VGGFEAT, VGGSVM, VGGDATA = (os.path.join(bindir, p) for p in ("vggfeat", "vggsvm", "vggdata"))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)
# the plain CPU path: byte-identical from run to run
NET = ["--device", "cpu-ref", "--threads", "1", "--net", "nets/netD.safetensors",
       "--scales", "64"]


subprocess.run([sys.executable, os.path.join(HERE, "extract_ref.py"), "nets", "nets"],
               check=True, capture_output=True)

# ------------------------------------------------------ every input accounted for
rng = np.random.default_rng(11)
os.makedirs("photos/sub")
rgb = Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8), "RGB")
rgb.convert("L").save("photos/gray.jpg")
rgb.convert("CMYK").save("photos/cmyk.jpg")
rgba = rgb.convert("RGBA")
rgba.putalpha(128)
rgba.save("photos/alpha.png")
Image.fromarray((rng.integers(0, 65536, (40, 40))).astype(np.uint16)).save("photos/deep16.png")
rgb.save("photos/progressive.jpeg", progressive=True)
exif = Image.Exif()
exif[0x0112] = 6   # rotated 90 degrees
rgb.save("photos/sub/rotated.JPG", exif=exif)
rgb.convert("P").save("photos/sub/palette.png")
rgb.save("photos/sub/named_wrong.dat", format="PNG")   # an image by content
# the bad ones: empty, random bytes, cut short, a header claiming 65000x65000
open("photos/b_empty.jpg", "wb").close()
with open("photos/c_random.png", "wb") as f:
    f.write(rng.integers(0, 256, 900, dtype=np.uint8).tobytes())
with open("photos/progressive.jpeg", "rb") as f:
    whole = f.read()
with open("photos/d_truncated.jpg", "wb") as f:
    f.write(whole[:len(whole) // 2])
png = open("photos/deep16.png", "rb").read()
ihdr = bytearray(png[:33])
ihdr[16:24] = (65000).to_bytes(4, "big") * 2
import zlib  # noqa: E402
ihdr[29:33] = zlib.crc32(bytes(ihdr[12:29])).to_bytes(4, "big")
with open("photos/e_huge.png", "wb") as f:
    f.write(bytes(ihdr) + png[33:])
# not images: a note, a BMP, a FIFO
with open("photos/notes.txt", "w") as f:
    f.write("holiday pictures\n")
rgb.save("photos/sub/old.bmp")
os.mkfifo("photos/sub/pipe.jpg")

rc, out = run([VGGFEAT, "extract"] + NET + ["--on-error", "skip", "-o", "scan.vggf", "photos"],
              timeout=60)
check(rc == 0 and "8 images, 4 skipped" in out, "scan: 8 rows and 4 skipped", out)
for name, why in (("b_empty.jpg", "empty file"), ("c_random.png", "not a JPEG or PNG"),
                  ("d_truncated.jpg", "Premature end of JPEG"),
                  ("e_huge.png", "65000x65000 (4225000000 pixels), over the limit")):
    check("skipped 'photos/%s'" % name in out and why in out, "scan names %s (%s)" % (name, why),
          out)
check("2 files are not images: photos/notes.txt, photos/sub/old.bmp" in out,
      "scan lists the files that are not images", out)
check("1 entry is not a regular file" in out and "photos/sub/pipe.jpg" in out,
      "scan counts the FIFO", out)
rc, out = run([VGGFEAT, "info", "scan.vggf"])
check("rows:        8" in out, "scan store holds 8 rows", out)
rc, out = run([VGGFEAT, "extract"] + NET + ["-o", "scanfail.vggf", "photos"], timeout=60)
check(rc != 0 and "photos/b_empty.jpg" in out and "stopped at 'photos/b_empty.jpg'" in out,
      "scan in fail mode stops at the first bad file", out)

# ------------------------------------------------------ hangs, under a timeout
with open("fifo.txt", "w") as f:
    f.write("photos/gray.jpg\nphotos/sub/pipe.jpg\n")
try:
    rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "fifo.txt", "-o", "fifo.vggf"],
                  timeout=30)
    check(rc != 0 and "pipe.jpg" in out and "FIFO" in out, "a FIFO in a list is refused", out)
except subprocess.TimeoutExpired:
    check(False, "a FIFO in a list is refused (it hung)")
Image.fromarray(rng.integers(0, 256, (1, 3000, 3), dtype=np.uint8), "RGB").save("strip.png")
try:
    # (AddressSanitizer reserves terabytes of address space: a build with it
    # runs without the limit, the refusal still checked)
    with open(VGGFEAT, "rb") as f:
        under_asan = b"__asan_init" in f.read()
    limit = "" if under_asan else "ulimit -v 2000000; "
    rc, out = run(["sh", "-c", limit + "exec \"$0\" \"$@\"", VGGFEAT, "extract",
                   "--device", "cpu-ref", "--threads", "1", "--net", "nets/netD.safetensors",
                   "--scales", "256", "-o", "strip.vggf", "strip.png"], timeout=60)
    check(rc == 1 and "strip.png" in out and "--max-input-pixels" in out,
          "a 3000x1 PNG at --scales 256 is refused by name", out)
except subprocess.TimeoutExpired:
    check(False, "a 3000x1 PNG at --scales 256 (it hung)")

# ------------------------------------------------------ outputs that are inputs
shutil.copy("scan.vggf", "a.vggf")
before = digest("a.vggf")
os.symlink("a.vggf", "link.vggf")
for args in ([VGGFEAT, "export", "a.vggf", "--format", "npy", "-o", "a.vggf"],
             [VGGFEAT, "export", "a.vggf", "--format", "csv", "-o", "link.vggf"],
             [VGGSVM, "train", "--features", "a.vggf", "-c", "1", "-o", "a.vggf"],
             [VGGSVM, "train", "--features", "link.vggf", "-c", "1", "-o", "a.vggf"]):
    rc, out = run(args)
    check(rc != 0 and "a.vggf" in out and digest("a.vggf") == before,
          "output equal to an input refused: %s" % " ".join(args[1:]), out)

# ------------------------------------------------------ full disk
rc, out = run([VGGFEAT, "export", "a.vggf", "--format", "csv", "-o", "full.csv"], fsize=1000)
check(rc == 1 and "full.csv" in out and "too large" in out.lower() and
      not os.path.exists("full.csv"), "export csv on a full disk says why, leaves nothing", out)
list48 = ["photos/gray.jpg", "photos/cmyk.jpg", "photos/alpha.png", "photos/deep16.png",
          "photos/progressive.jpeg", "photos/sub/rotated.JPG"]
with open("many.txt", "w") as f:
    for i in range(48):
        f.write("%s%s\tc%d\n" % ("./" * (i // 6), list48[i % 6], i % 3))
rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "many.txt", "-o", "ref.vggf"], timeout=300)
check(rc == 0, "reference extraction", out)
size_ref = os.path.getsize("ref.vggf")
rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "many.txt", "-o", "disk.vggf"],
              timeout=300, fsize=size_ref // 2)
check(rc == 1 and "disk.vggf" in out, "extract on a full disk names the store", out)
rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "many.txt", "-o", "disk.vggf"],
              timeout=300)
check(rc == 0 and "resuming after" in out and digest("disk.vggf") == digest("ref.vggf"),
      "the store a full disk stopped resumes to the uninterrupted bytes", out)
rc, out = run([VGGFEAT, "merge", "ref.vggf", "-o", "merged.vggf"], fsize=size_ref // 3)
check(rc == 1 and "merged.vggf" in out and not os.path.exists("merged.vggf"),
      "merge on a full disk leaves no store", out)
rc, out = run([VGGSVM, "train", "--features", "ref.vggf", "-c", "1", "-o", "m.model", "-q"])
check(rc == 0, "a model", out)
model_before = digest("m.model")
rc, out = run([VGGSVM, "train", "--features", "ref.vggf", "-c", "2", "-o", "m.model", "-q"],
              fsize=300)
check(rc == 1 and "m.model" in out and digest("m.model") == model_before,
      "vggsvm train on a full disk keeps the previous model", out)

# ------------------------------------------------------ two writers, kill -9, SIGTERM
def start(out_path, stop_at):
    """the extraction of many.txt (as ref.vggf), which stops itself once stop_at
    inputs are done (VGGFEAT_STOP_AT, docs/extract.md): mid-run, holding its lock"""
    return subprocess.Popen([VGGFEAT, "extract"] + NET + ["--list", "many.txt", "-o", out_path],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, VGGFEAT_STOP_AT=str(stop_at)))


def rows(path):
    rc, out = run([VGGFEAT, "info", path])
    for line in out.splitlines():
        if line.startswith("rows:"):
            return int(line.split()[1])
    return 0


def rows_on_disk(path):
    """complete rows by the header's record size and data offset (the store
    format, docs/feature-store.md), without starting a program: a CUDA build's
    vggfeat takes about a second to start"""
    try:
        with open(path, "rb") as f:
            head = f.read(40)
        record, offset = struct.unpack("<QQ", head[24:40])
        return (os.path.getsize(path) - offset) // record if record else 0
    except (OSError, struct.error):
        return 0


first = start("two.vggf", 3)
check(wait_stopped(first) and rows_on_disk("two.vggf") == 3,
      "the first writer is held mid-run with 3 rows")
rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "many.txt", "-o", "two.vggf"])
check(rc == 1 and "another process is writing" in out,
      "a second writer of a store is refused at once", out)
first.send_signal(signal.SIGKILL)
first.wait()
killed_rows = rows("two.vggf")
rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "many.txt", "-o", "two.vggf"], timeout=300)
check(rc == 0 and killed_rows == 3 and digest("two.vggf") == digest("ref.vggf"),
      "kill -9 mid-run, rerun: nothing lost or repeated (%d rows before)" % killed_rows, out)
term = start("term.vggf", 2)
check(wait_stopped(term), "a writer held mid-run with 2 rows")
term.send_signal(signal.SIGTERM)
term.send_signal(signal.SIGCONT)
term.wait()
check(term.returncode == 143, "SIGTERM exits 143 (got %s)" % term.returncode)

# ------------------------------------------------------ damaged stores
shutil.copy("ref.vggf", "cut.vggf")
with open("cut.vggf", "r+b") as f:
    f.truncate(os.path.getsize("ref.vggf") - 100)
for args in ([VGGFEAT, "info", "cut.vggf"],
             [VGGFEAT, "export", "cut.vggf", "--format", "npy", "-o", "cut.npy"],
             [VGGSVM, "train", "--features", "cut.vggf", "-c", "1", "-o", "cut.model", "-q"]):
    rc, out = run(args)
    check(rc == 0 and "read 47 rows; a partial last row" in out,
          "%s says a partial row was ignored" % " ".join(args[:2]), out)
with open("one.txt", "w") as f:
    f.write("photos/gray.jpg\n")
rc, out = run([VGGDATA, "subset", "cut.vggf", "--list", "one.txt", "-o", "sub.vggf"])
check("read 47 rows; a partial last row" in out, "vggdata subset says a partial row was ignored",
      out)
shutil.copy("ref.vggf", "flip.vggf")
with open("flip.vggf", "r+b") as f:
    f.seek(size_ref // 2)
    b = f.read(1)
    f.seek(size_ref // 2)
    f.write(bytes([b[0] ^ 0x40]))
rc, out = run([VGGFEAT, "info", "flip.vggf"])
check(rc == 1 and "will not repair" in out and "repairs" not in out,
      "a flipped byte in the middle does not promise a repair", out)

# ------------------------------------------------------ lists
with open("twice.txt", "w") as f:
    f.write("photos/gray.jpg\tcat\nphotos/cmyk.jpg\tdog\nphotos/gray.jpg\tdog\n")
rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "twice.txt", "-o", "twice.vggf"])
check("warning" in out and "line 3" in out and "given twice (first on line 1)" in out,
      "a list naming an image twice is warned about, both lines named", out)
with open("long.txt", "w") as f:
    f.write("photos/gray.jpg\n" + "x" * 10000 + ".jpg\n")
rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "long.txt", "-o", "long.vggf"])
check(rc != 0 and "long.txt', line 2" in out, "a 10,000-character line names file and line", out)

# ------------------------------------------------------ names through the parsers
import csv  # noqa: E402
import json  # noqa: E402
hostile = ["tab\there.png", "new\nline.png", "quote\".png", "comma,.png", "back\\slash.png",
           "latin1-\xe9.png"]
os.makedirs("hostile")
with open("hostile.txt", "wb") as f:
    for i, n in enumerate(hostile):
        p = b"hostile/" + n.encode("latin-1")
        rgb.save(os.fsdecode(p), format="PNG")
        if b"\t" in p or b"\n" in p:
            continue   # a list line cannot hold them: they come from the scan
        # labels with a quote, a backslash and a byte outside UTF-8
        f.write(p + b"\tq\"u\\o\xff%d\n" % (i % 2))
rc, out = run([VGGFEAT, "extract"] + NET + ["-o", "h.vggf", "hostile"])
check(rc == 0, "hostile names extracted", out)
rc, out = run([VGGFEAT, "export", "h.vggf", "--format", "csv", "-o", "h.csv"])
with open("h.csv", newline="", encoding="utf-8") as f:
    table = list(csv.reader(f))
check(rc == 0 and len(table) == 7 and all(len(r) == len(table[0]) for r in table),
      "CSV of hostile names parses with one row per image", out)
rc, out = run([VGGFEAT, "export", "h.vggf", "--format", "npy", "-o", "h.npy"])
check(rc == 0 and np.load("h.npy").shape[0] == 6, "npy of hostile names loads", out)
rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "hostile.txt", "-o", "hl.vggf"])
rc2, out2 = run([VGGSVM, "train", "--features", "hl.vggf", "-c", "1", "-o", "hl.model", "-q"])
rc3, out3 = run([VGGSVM, "predict", "--model", "hl.model", "--features", "h.vggf", "--json",
                 "-o", "h.json"])
ok = rc == 0 and rc2 == 0 and rc3 == 0
if ok:
    with open("h.json", encoding="utf-8") as f:
        json.load(f)
    with open("hl.model.json", encoding="utf-8") as f:
        json.load(f)
check(ok, "hostile names and labels through train and predict --json parse", out + out2 + out3)
rc, out = run([VGGSVM, "predict", "--model", "hl.model", "--features", "hl.vggf",
               "-o", "hl.scores"])
rc2, out2 = run([VGGSVM, "eval", "--scores", "hl.scores", "--features", "hl.vggf"])
check(rc == 0 and rc2 == 0, "predict -> eval with hostile names and labels", out + out2)



def vgg_unescape(text):
    """docs/escaping.md: the bytes of a name read from a TSV, CSV or JSON file."""
    import re
    plain = {b"\\": b"\\", b"t": b"\t", b"n": b"\n", b"r": b"\r"}
    return re.sub(rb"\\(\\|t|n|r|x[0-9a-f]{2})",
                  lambda m: plain.get(m.group(1)) or bytes([int(m.group(1)[1:], 16)]),
                  text.encode("utf-8"))


def json_stdout(args):
    """Run, and parse stdout as strict UTF-8 JSON; (rc, value or None, output)."""
    p = subprocess.run(args, capture_output=True, timeout=120)
    out = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    try:
        return p.returncode, json.loads(p.stdout.decode("utf-8")), out
    except ValueError as e:
        return p.returncode, None, out + "\n%s" % e


# the training and evaluation reports hold the escaped class names
want = sorted(b'q"u\\o\xff%d' % i for i in range(2))
rc, rep, out = json_stdout([VGGSVM, "train", "--features", "hl.vggf", "-c", "1",
                            "-o", "hl2.model", "--json"])
check(rc == 0 and rep is not None
      and sorted(vgg_unescape(c["name"]) for c in rep["classes"]) == want
      and all("\\xff" in c["name"] for c in rep["classes"]),
      "train --json with invalid UTF-8 and backslashes in class names parses, escaped", out)
rc, rep, out = json_stdout([VGGSVM, "eval", "--scores", "hl.scores", "--features", "hl.vggf",
                            "--json"])
check(rc == 0 and rep is not None
      and sorted(vgg_unescape(c["name"]) for c in rep["classes"]) == want,
      "eval --json with the same class names parses, escaped", out)

# ------------------------------------------------------ names vggdata lists cannot hold
def caltech_tree(root, classes):
    for cls, files in classes.items():
        d = os.path.join(os.fsencode(root), cls)
        os.makedirs(d)
        for n in files:
            rgb.save(os.fsdecode(os.path.join(d, n)), format="PNG")


ok_files = [b"a.png", b"b.png", b"c.png"]
for tag, classes, shown in [
        ("tab-class", {b"good": ok_files, b"tab\tclass": ok_files}, "tab\\tclass"),
        ("newline-file", {b"good": ok_files, b"other": ok_files + [b"new\nline.png"]},
         "new\\nline.png"),
        ("cr-file", {b"good": ok_files, b"other": ok_files + [b"cr\r.png"]}, "cr\\r.png"),
        ("comma-class", {b"good": ok_files, b"cats,dogs": ok_files}, "cats,dogs")]:
    caltech_tree("cal-" + tag, classes)
    rc, out = run([VGGDATA, "caltech", "cal-" + tag, "--train", "1", "--test", "1",
                   "--splits", "1", "-o", "calout-" + tag])
    check(rc == 1 and "'cal-%s'" % tag in out and shown in out and "rename it" in out
          and len(out.strip().splitlines()) <= 2
          and not os.path.exists("calout-%s/classes.txt" % tag)
          and not os.path.exists("calout-%s/split1/train.list" % tag),
          "vggdata caltech refuses a %s by its escaped name, writing nothing" % tag, out)
# names a list can hold go in as they are and read back to the very files
caltech_tree("cal-odd", {b"good": ok_files, b"q\"u o\xe9 \\": [b"x y.png", b"'\xff.png"]})
rc, out = run([VGGDATA, "caltech", "cal-odd", "--train", "1", "--test", "1", "--splits", "1",
               "-o", "calout-odd"])
lines = []
if rc == 0:
    for name in ("train", "test"):
        with open("calout-odd/split1/%s.list" % name, "rb") as f:
            lines += [ln.split(b"\t") for ln in f.read().splitlines()]
check(rc == 0 and len(lines) == 4 and all(len(p) == 2 and os.path.isfile(p[0]) for p in lines)
      and b'q"u o\xe9 \\' in [p[1] for p in lines],
      "vggdata writes quotes, spaces, backslashes and invalid UTF-8 as they are; they read back", out)
rc, out = run([VGGFEAT, "extract"] + NET + ["--list", "calout-odd/split1/train.list",
                                            "-o", "odd.vggf"])
check(rc == 0, "extract reads that list", out)

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
