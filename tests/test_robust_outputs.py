"""What the programs write, and where (issue 24, section 3, items 1 and 7):
an output that names a device node, a FIFO or standard output is never
replaced by a regular file; outputs that make sense as a stream (text
exports, npy, scores, confusion CSV and SVG) are written in place, the
others refused with the path and what it is; a write error on standard
output fails the command; and the messages of a full disk name the output
(not a temporary) and promise that an earlier file was kept only when
there was one.

Device nodes: as root, private ones made with mknod in the work folder (a
copy of /dev/null, 1:3, and of /dev/full, 1:7), so that a regression never
replaces the machine's own; as another user (who cannot make them)
symbolic links to /dev/null and /dev/full.  Stream names (/dev/stdout,
/dev/fd/1) are tried as root only in a mount namespace with a /dev of its
own (skipped where there is none), as another user directly.  A full disk is a
file-size limit (cli_check.run's fsize), standard output on a full disk is
/dev/full.  The images are PNGs written here with zlib; the nets are made
by `vggtrain init`, the training set by `vggtrain import-idx`.

Run by CTest: test_robust_outputs.py BINDIR FIXTURES WORKDIR.  Exit 0 pass,
1 fail.
"""
import os
import shutil
import stat
import struct
import subprocess
import sys
import zlib

from cli_check import bar_idx_set, check, digest, finish, run

bindir, fixtures, work = (os.path.abspath(a) for a in sys.argv[1:4])
VGGFEAT, VGGSVM, VGGDATA, VGGTRAIN = (os.path.join(bindir, p)
                                      for p in ("vggfeat", "vggsvm", "vggdata", "vggtrain"))
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)


def png(path, w, h, seed):
    """an RGB PNG of seeded noise"""
    rows, v = b"", seed
    for _ in range(h):
        row = bytearray([0])
        for _ in range(3 * w):
            v = (v * 1103515245 + 12345) & 0x7FFFFFFF
            row.append(v >> 23)
        rows += bytes(row)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def beside(path):
    """files a writer could have made next to path (sidecars, temporaries, locks)"""
    d, base = os.path.split(path)
    return sorted(f for f in os.listdir(d or ".") if f.startswith(base + "."))


def node(name, minor):
    """name as a character device: as root a private copy of /dev/null
    (minor 3) or /dev/full (7), as another user a symbolic link to the
    system's own (which that user cannot replace, whatever the programs do;
    a writer that renamed over the link is caught all the same)"""
    for f in [name] + beside(name):   # and what an earlier case left beside it
        if os.path.lexists(f):
            os.unlink(f)
    if os.geteuid() == 0:
        os.mknod(name, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    else:
        os.symlink("/dev/null" if minor == 3 else "/dev/full", name)
    return name


if os.geteuid() == 0:
    try:
        node("probe", 3)
        os.unlink("probe")
    except OSError as e:
        # root that cannot make a node could still replace /dev/null
        print("skipped: root without mknod (%s); the real /dev/null is not risked" % e)
        sys.exit(77)


# Stream names (/dev/stdout, /dev/fd/1) are tried as root only in a mount
# namespace whose /dev is a private tmpfs holding fd, stdout and stderr: a
# writer that renamed a file over /dev/stdout would replace that one alone.
PRIVATE_DEV = ("mount -t tmpfs tmpfs /dev && ln -s /proc/self/fd /dev/fd && "
               "ln -s /proc/self/fd/1 /dev/stdout && ln -s /proc/self/fd/2 /dev/stderr && "
               "exec \"$@\"")


def dev_safe(args):
    """args to run with a stream name in them, or None when that cannot be
    done without risking the machine's /dev"""
    if os.geteuid() != 0:
        return args
    wrapped = ["unshare", "--mount", "sh", "-c", PRIVATE_DEV, "sh"] + args
    return wrapped if DEV_NS else None


def is_chardev(path):
    return stat.S_ISCHR(os.stat(path).st_mode)


def run_stdout(args, stdout, timeout=120, fsize=None):
    """run args with stdout going to the open file stdout; (rc, stderr)"""
    import resource
    import signal

    def limits():
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    p = subprocess.run(args, stdout=stdout, stderr=subprocess.PIPE, text=True,
                       errors="replace", timeout=timeout, preexec_fn=limits)
    return p.returncode, p.stderr


def to_file_after(args, prefix=b"HEAD\n"):
    """run args with stdout appended to a file that already holds prefix:
    (rc, stderr, what the file holds after prefix, whether prefix is kept);
    None when args name /dev/stdout or /dev/fd/1 and dev_safe says no"""
    if any(a.startswith("/dev/") for a in args):
        args = dev_safe(args)
        if args is None:
            return None
    with open("stdout.bin", "wb") as f:
        f.write(prefix)
    with open("stdout.bin", "ab") as f:
        rc, err = run_stdout(args, f)
    with open("stdout.bin", "rb") as f:
        got = f.read()
    return rc, err, got[len(prefix):], got.startswith(prefix)


def read(path):
    with open(path, "rb") as f:
        return f.read()


try:
    DEV_NS = subprocess.run(["unshare", "--mount", "sh", "-c", PRIVATE_DEV, "sh", "true"],
                            capture_output=True).returncode == 0
except OSError:
    DEV_NS = False
if os.geteuid() == 0 and not DEV_NS:
    print("note: no private mount namespace here; /dev/stdout and /dev/fd/1 not tried")

# ------------------------------------------------------ the material
os.makedirs("img")
with open("list.txt", "w") as f, open("ints.txt", "w") as g:
    for i in range(8):
        png("img/%d.png" % i, 20 + i, 16, i + 1)
        f.write("img/%d.png\tc%d\n" % (i, i % 2))
        g.write("img/%d.png\t%d\n" % (i, i % 2 + 1))
rc, out = run([VGGFEAT, "pixels", "--list", "list.txt", "--size", "8", "-o", "px.vggf"])
rc2, out2 = run([VGGFEAT, "pixels", "--list", "ints.txt", "--size", "8", "-o", "ints.vggf"])
check(rc == 0 and rc2 == 0, "pixels stores", out + out2)
rc, out = run([VGGSVM, "train", "--features", "px.vggf", "-c", "1", "-q", "-o", "m.model"])
check(rc == 0, "a model", out)
rc, out = run([VGGSVM, "predict", "--model", "m.model", "--features", "px.vggf", "-o", "s.tsv"])
check(rc == 0, "scores", out)
rc, out = run([VGGTRAIN, "init", "--num-classes", "3", "--width", "0.0625", "--fc-dim", "16",
               "--input-size", "32", "-o", "n.safetensors"])
check(rc == 0, "a tiny net", out)
bar_idx_set()
rc, out = run([VGGTRAIN, "import-idx", "img.idx", "lab.idx", "--limit", "12", "-o", "set"])
check(rc == 0, "a tiny training set", out)
CAFFE = os.path.join(fixtures, "convert", "d_new.caffemodel")
EXTRACT = [VGGFEAT, "extract", "--device", "cpu-ref", "--threads", "1", "--net",
           "n.safetensors", "--scales", "32", "--list", "list.txt"]
TRAIN = [VGGTRAIN, "train", "--list", "set/list.txt", "--classes", "set/classes.txt",
         "--config", "A", "--width", "0.0625", "--fc-dim", "16", "--input-size", "32",
         "--batch", "4", "--scale-jitter", "32,36", "--threads", "1", "--loaders", "1",
         "--iterations", "1"]
reference = {}
for fmt in ("csv", "npy", "liblinear"):
    store = "ints.vggf" if fmt == "liblinear" else "px.vggf"
    rc, out = run([VGGFEAT, "export", store, "--format", fmt, "-o", "ref." + fmt])
    check(rc == 0, "export %s to a file" % fmt, out)
    reference[fmt] = read("ref." + fmt)
rc, out = run([VGGSVM, "eval", "--scores", "s.tsv", "--features", "px.vggf",
               "--confusion-csv", "ref_conf.csv", "--confusion-svg", "ref_conf.svg"])
check(rc == 0, "confusion files", out)

# ------------------------------------------------------ 1. outputs that must be regular files
NOT_REGULAR = "is a character device, not a regular file"
refused = [
    ("vggsvm train -o", [VGGSVM, "train", "--features", "px.vggf", "-c", "1", "-q", "-o"]),
    ("vggfeat export liblinear (labels named in FILE.labels) -o",
     [VGGFEAT, "export", "px.vggf", "--format", "liblinear", "-o"],
     "the labels of 'px.vggf' are not all integers"),
    ("vggfeat convert -o", [VGGFEAT, "convert", CAFFE, "-o"]),
    ("vggtrain init -o", [VGGTRAIN, "init", "--num-classes", "2", "--width", "0.0625",
                          "--fc-dim", "16", "--input-size", "32", "-o"]),
    ("vggdata subset -o", [VGGDATA, "subset", "px.vggf", "--list", "list.txt", "-o"]),
    ("vggfeat merge -o", [VGGFEAT, "merge", "px.vggf", "-o"]),
    ("vggfeat pixels -o", [VGGFEAT, "pixels", "--list", "list.txt", "--size", "8", "-o"]),
    ("vggfeat extract -o", EXTRACT + ["-o"]),
    ("vggtrain train -o", TRAIN + ["-o"]),
    ("vggtrain train --checkpoint", TRAIN + ["-o", "t1.safetensors", "--checkpoint"]),
    ("vggtrain train --log", TRAIN + ["-o", "t2.safetensors", "--log"]),
]
for minor in (3, 7):
    for what, args, *why in refused:
        n = node("dev%d" % minor, minor)
        rc, out = run(args + [n], timeout=120)
        check(rc != 0 and "'%s': %s" % (n, why[0] if why else NOT_REGULAR) in out and
              is_chardev(n),
              "%s %s: refused, the device node kept" % (what, "null" if minor == 3 else "full"),
              out)
        check(beside(n) == [], "%s: nothing made beside the node: %s" % (what, beside(n)))
        check("cannot sync" not in out, "%s: no 'cannot sync'" % what, out)
for t in ("t1", "t2"):
    check(not os.path.exists(t + ".safetensors"), "vggtrain train %s: refused before training" % t)

# sidecars: MODEL.json and FILE.labels that are device nodes
n = node("side.model.json", 3)
rc, out = run([VGGSVM, "train", "--features", "px.vggf", "-c", "1", "-q", "-o", "side.model"])
check(rc != 0 and NOT_REGULAR in out and is_chardev(n) and not os.path.exists("side.model"),
      "vggsvm train: a sidecar MODEL.json that is a device is refused before anything is "
      "written", out)
n = node("side.txt.labels", 3)
rc, out = run([VGGFEAT, "export", "px.vggf", "--format", "liblinear", "-o", "side.txt"])
check(rc != 0 and NOT_REGULAR in out and is_chardev(n) and not os.path.exists("side.txt"),
      "export liblinear: a FILE.labels that is a device is refused before anything is written",
      out)

# files written into a folder: vggdata's lists, import-idx's PNGs and list
os.makedirs("cal/a")
os.makedirs("cal/b")
for i in range(6):
    shutil.copy("img/%d.png" % i, "cal/%s/%d.png" % ("ab"[i // 3], i))
os.makedirs("calout")
n = node("calout/classes.txt", 3)
rc, out = run([VGGDATA, "caltech", "cal", "--train", "1", "-o", "calout"])
check(rc != 0 and "'calout/classes.txt': %s" % NOT_REGULAR in out and is_chardev(n) and
      beside(n) == [], "vggdata caltech: a class index that is a device is refused, kept", out)
os.makedirs("set3/images")
n = node("set3/list.txt", 3)
rc, out = run([VGGTRAIN, "import-idx", "img.idx", "lab.idx", "--limit", "3", "-o", "set3"])
check(rc != 0 and "'set3/list.txt': %s" % NOT_REGULAR in out and is_chardev(n) and
      beside(n) == [], "vggtrain import-idx: a list that is a device is refused, kept", out)
os.unlink(n)
os.mkfifo("set3/images/00000.png")
try:
    rc, out = run([VGGTRAIN, "import-idx", "img.idx", "lab.idx", "--limit", "3", "-o", "set3"],
                  timeout=60)
    check(rc != 0 and "'set3/images/00000.png': is a FIFO (named pipe), not a regular file"
          in out and stat.S_ISFIFO(os.stat("set3/images/00000.png").st_mode),
          "vggtrain import-idx: an image path that is a FIFO is refused, not waited on", out)
except subprocess.TimeoutExpired:
    check(False, "vggtrain import-idx: an image path that is a FIFO (it hung)")

# a FIFO where a store goes: refused at once, never opened (so never waited on)
os.mkfifo("pipe.vggf")
for what, args in (("extract", refused[7][1]), ("pixels", refused[6][1]),
                   ("subset", refused[4][1]), ("merge", refused[5][1])):
    try:
        rc, out = run(args + ["pipe.vggf"], timeout=60)
        check(rc != 0 and "'pipe.vggf': is a FIFO (named pipe), not a regular file" in out and
              stat.S_ISFIFO(os.stat("pipe.vggf").st_mode),
              "%s -o FIFO: refused, the FIFO kept" % what, out)
    except subprocess.TimeoutExpired:
        check(False, "%s -o FIFO: refused (it hung)" % what)

# "-" (standard output) is no place for a store, a model or weights: no file named "-"
for what, args in (("extract", EXTRACT + ["-o"]), ("subset", refused[4][1]),
                   ("vggsvm train", refused[0][1]), ("vggtrain init", refused[3][1])):
    rc, out = run(args + ["-"])
    check(rc != 0 and "'-': names standard output, not a regular file" in out and
          not os.path.lexists("-"), "%s -o -: refused, no file named '-'" % what, out)

# ------------------------------------------------------ 1. streams written in place
for fmt in ("csv", "npy", "liblinear"):
    store = "ints.vggf" if fmt == "liblinear" else "px.vggf"
    n = node("null_%s" % fmt, 3)
    rc, out = run([VGGFEAT, "export", store, "--format", fmt, "-o", n])
    check(rc == 0 and is_chardev(n) and beside(n) == [],
          "export %s -o a null device: written, the node kept" % fmt, out)
    for name in ("-", "/dev/stdout", "/dev/fd/1"):
        ran = to_file_after([VGGFEAT, "export", store, "--format", fmt, "-o", name])
        if ran is None:
            continue
        rc, err, got, kept = ran
        check(rc == 0 and kept and got == reference[fmt],
              "export %s -o %s: the bytes of a file export, after what stdout held" %
              (fmt, name), err)
    full = node("full_%s" % fmt, 7)
    rc, out = run([VGGFEAT, "export", store, "--format", fmt, "-o", full])
    check(rc == 1 and "'%s': cannot write: No space left on device" % full in out and
          "previous" not in out and is_chardev(full),
          "export %s -o a full device: the reason, the node kept" % fmt, out)
    with open("/dev/full", "wb") as f:
        rc, err = run_stdout([VGGFEAT, "export", store, "--format", fmt, "-o", "-"], f)
    check(rc == 1 and "vggfeat export: cannot write to standard output: No space left on device"
          in err, "export %s -o - on a full disk fails" % fmt, err)

rc, out = run([VGGFEAT, "export", "px.vggf", "--format", "liblinear", "-o", "-"])
check(rc == 1 and "not all integers" in out and "FILE.labels" in out,
      "export liblinear -o - with labels to number: refused, says why", out)

for name in ("-", "/dev/stdout"):
    ran = to_file_after([VGGSVM, "predict", "--model", "m.model", "--features", "px.vggf",
                         "-o", name])
    if ran is not None:
        rc, err, got, kept = ran
        check(rc == 0 and kept and got == read("s.tsv"), "predict -o %s: in place" % name, err)
n = node("null_scores", 3)
rc, out = run([VGGSVM, "predict", "--model", "m.model", "--features", "px.vggf", "-o", n])
check(rc == 0 and is_chardev(n) and beside(n) == [],
      "predict -o a null device: the node kept", out)
full = node("full_scores", 7)
for extra in ([], ["--json"]):
    rc, out = run([VGGSVM, "predict", "--model", "m.model", "--features", "px.vggf", "-o",
                   full] + extra)
    check(rc == 1 and "'%s': cannot write: No space left on device" % full in out and
          "previous" not in out and is_chardev(full),
          "predict %s-o a full device: the reason, the node kept" % " ".join(extra), out)

for opt, ref in (("--confusion-csv", "ref_conf.csv"), ("--confusion-svg", "ref_conf.svg")):
    n = node("null_conf", 3)
    rc, out = run([VGGSVM, "eval", "--scores", "s.tsv", "--features", "px.vggf", opt, n])
    check(rc == 0 and is_chardev(n) and beside(n) == [],
          "eval %s a null device: the node kept" % opt, out)
    full = node("full_conf", 7)
    rc, out = run([VGGSVM, "eval", "--scores", "s.tsv", "--features", "px.vggf", opt, full])
    check(rc == 1 and "'%s': cannot write: No space left on device" % full in out and
          is_chardev(full), "eval %s a full device: the reason, the node kept" % opt, out)
    rc, err, got, kept = to_file_after([VGGSVM, "eval", "--scores", "s.tsv", "--features",
                                        "px.vggf", "--json", opt, "-"])
    check(rc == 0 and kept and got.startswith(read(ref)) and b'"map_area"' in got[len(read(ref)):],
          "eval %s -: the file's bytes on stdout, then the results" % opt, err)

# a FIFO with a reader: the CSV goes through it
os.mkfifo("pipe.csv")
reader = subprocess.Popen(["cat", "pipe.csv"], stdout=subprocess.PIPE)
try:
    rc, out = run([VGGFEAT, "export", "px.vggf", "--format", "csv", "-o", "pipe.csv"],
                  timeout=60)
except subprocess.TimeoutExpired:
    rc, out = -1, "timed out"
try:
    got = reader.communicate(timeout=30)[0]
except subprocess.TimeoutExpired:   # a FIFO replaced: cat never sees a writer
    reader.kill()
    got = reader.communicate()[0]
check(rc == 0 and got == reference["csv"] and stat.S_ISFIFO(os.stat("pipe.csv").st_mode),
      "export csv -o a FIFO: the bytes go to its reader, the FIFO kept", out)

# ------------------------------------------------------ 7. standard output on a full disk
rc, out = run([VGGTRAIN, "init", "--classes", "set/classes.txt", "--width", "0.0625",
               "--fc-dim", "16", "--input-size", "32", "-o", "n3.safetensors"])
check(rc == 0, "a net for the set's classes", out)
stdout_runs = [
    ("vggsvm eval", [VGGSVM, "eval", "--scores", "s.tsv", "--features", "px.vggf"]),
    ("vggsvm eval", [VGGSVM, "eval", "--scores", "s.tsv", "--features", "px.vggf", "--json"]),
    ("vggsvm train", [VGGSVM, "train", "--features", "px.vggf", "-c", "1", "-o", "j.model",
                      "--json"]),
    ("vggsvm train", [VGGSVM, "train", "--features", "px.vggf", "-c", "1", "-o", "t.model"]),
    ("vggsvm predict", [VGGSVM, "predict", "--model", "m.model", "--features", "px.vggf"]),
    ("vggsvm predict", [VGGSVM, "predict", "--model", "m.model", "--features", "px.vggf",
                        "--json"]),
    ("vggfeat info", [VGGFEAT, "info", "px.vggf"]),
    ("vggfeat info", [VGGFEAT, "info", "n.safetensors"]),
    ("vggfeat info", [VGGFEAT, "info", "--devices"]),
    ("vggfeat convert", [VGGFEAT, "convert", CAFFE, "-o", "c.safetensors"]),
    ("vggdata subset", [VGGDATA, "subset", "px.vggf", "--list", "list.txt", "-o", "so.vggf"]),
    ("vggtrain eval", [VGGTRAIN, "eval", "-w", "n3.safetensors", "--list", "set/list.txt",
                       "--classes", "set/classes.txt", "--methods", "center", "--limit", "2",
                       "--threads", "1"]),
    ("vggtrain import-idx", [VGGTRAIN, "import-idx", "img.idx", "lab.idx", "--limit", "3",
                             "-o", "set2"]),
    ("vggfeat export", [VGGFEAT, "export", "--help"]),
    ("vggfeat", [VGGFEAT, "--help"]),
    ("vggsvm", [VGGSVM, "--version"]),
    ("vggdata", [VGGDATA, "help"]),
    ("vggtrain", [VGGTRAIN, "--help"]),
]
for what, args in stdout_runs:
    with open("stdout.txt", "w") as f:
        rc_ok, err_ok = run_stdout(args, f)
    printed = os.path.getsize("stdout.txt") > 0
    with open("/dev/full", "w") as f:
        rc, err = run_stdout(args, f)
    check(rc_ok == 0 and (not printed or
                          (rc == 1 and "%s: cannot write to standard output: No space left on "
                           "device" % what in err)),
          "%s > /dev/full: exit 1, says so (%s)" % (what, " ".join(args[1:4])), err_ok + err)
    check(printed, "%s prints something to check (%s)" % (what, " ".join(args[1:4])), err_ok)

# ------------------------------------------------------ 3. messages of a full disk
# subset and merge write a temporary and rename it: the message names the output
for what, args, out_path in (
        ("vggdata subset", [VGGDATA, "subset", "px.vggf", "--list", "list.txt", "-o",
                            "cut_subset.vggf"], "cut_subset.vggf"),
        ("vggfeat merge", [VGGFEAT, "merge", "px.vggf", "-o", "cut_merge.vggf"],
         "cut_merge.vggf")):
    for fsize in (300, 1500):   # in the header, in the rows
        rc, out = run(args, fsize=fsize)
        check(rc == 1 and "'%s': cannot write: File too large" % out_path in out and
              ".tmp." not in out and not os.path.exists(out_path) and beside(out_path) == [],
              "%s on a full disk (%d bytes) names the output, leaves nothing" % (what, fsize),
              out)

# "the previous X is left as it was" only when there was one
for what, args, path in (
        ("pixels", [VGGFEAT, "pixels", "--list", "list.txt", "--size", "8", "-o"], "new.vggf"),
        ("export csv", [VGGFEAT, "export", "px.vggf", "--format", "csv", "-o"], "new.csv"),
        ("predict", [VGGSVM, "predict", "--model", "m.model", "--features", "px.vggf", "-o"],
         "new.tsv"),
        ("eval --confusion-csv", [VGGSVM, "eval", "--scores", "s.tsv", "--features", "px.vggf",
                                  "--confusion-csv"], "new_conf.csv"),
        ("eval --confusion-svg", [VGGSVM, "eval", "--scores", "s.tsv", "--features", "px.vggf",
                                  "--confusion-svg"], "new_conf.svg")):
    rc, out = run(args + [path], fsize=30)
    check(rc == 1 and "'%s': cannot write: File too large" % path in out and
          "previous" not in out and not os.path.exists(path),
          "%s on a full disk, no earlier file: no promise about one" % what, out)
    if what == "pixels":
        continue   # a store is never overwritten
    with open(path, "w") as f:
        f.write("earlier\n")
    rc, out = run(args + [path], fsize=30)
    check(rc == 1 and "'%s': cannot write: File too large; the previous '%s' is left as it was"
          % (path, path) in out and read(path) == b"earlier\n",
          "%s on a full disk, an earlier file: kept, and said so" % what, out)

finish()
