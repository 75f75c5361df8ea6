"""vggtrain train's checkpoint and outputs, as issue 24 (3.3-3.6) asks:

- a run without --resume refuses to replace a checkpoint that is there,
  saying how to go on (--resume) or start over (remove it); a file there
  that is not a checkpoint (a trained net's weights) is refused too;
- no output replaces an input or another output: -o, --checkpoint and
  --log naming one file (by the same name, another spelling, a symbolic
  link, the default WEIGHTS.ckpt), a checkpoint naming the --weights or
  --init-from net: refused, nothing written;
- --resume refuses every change that alters the run, naming the option
  and both values (--lr, --momentum, --dropout, --weight-decay, a reordered
  --list, a --classes file in another order, a validation set, the scale,
  flips, colour shift, --lr-steps, the micro-batch, the seed), leaving the
  checkpoint and the weights as they were; the length, --threads,
  --loaders and the checkpoint period may change (the run ends with the
  bytes of an uninterrupted one); --new-schedule takes the learning-rate
  schedule from the command line, nothing else;
- checkpoints carry a SHA-256 of their tensors and metadata
  (train.sha256, recomputed here from the file by the scheme of
  net/include/vgg/train.h): a flipped byte in a weight, in a momentum, in
  the metadata, or two tensors swapped in the header, is refused naming
  the file, as is a checkpoint of the earlier format without it; the same
  tensors and metadata written by another safetensors writer resume;
- a learning rate that makes the loss diverge says so, at which iteration,
  and to lower --lr.

The training set is 60 images of 28x28 made here as idx files and
imported with `vggtrain import-idx`, as in test_train_robust.py.

Run by CTest: test_train_resume_checks.py BINDIR WORKDIR.  Exit 0 pass, 1 fail.
"""
import hashlib
import json
import os
import re
import shutil
import struct
import sys

from cli_check import bar_idx_set, check, digest, finish, run

bindir, work = (os.path.abspath(a) for a in sys.argv[1:3])
VGGTRAIN = os.path.join(bindir, "vggtrain")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)

bar_idx_set()
rc, out = run([VGGTRAIN, "import-idx", "img.idx", "lab.idx", "-o", "set"])
check(rc == 0, "import-idx makes the training set", out)
with open("set/list.txt") as f:
    lines = f.read().splitlines(True)
with open("set/reversed.txt", "w") as f:
    f.writelines(reversed(lines))
with open("set/classes.txt") as f:
    names = f.read().splitlines()
with open("set/classes_swapped.txt", "w") as f:
    f.write("\n".join([names[1], names[0]] + names[2:]) + "\n")

TINY = {"--list": "set/list.txt", "--classes": "set/classes.txt", "--config": "A",
        "--width": "0.03125", "--fc-dim": "8", "--input-size": "32", "--init": "he",
        "--scale-jitter": "32,36", "--threads": "1", "--loaders": "1", "--seed": "4",
        "--batch": "2", "--iterations": "4"}


def train(out, changes=(), extra=(), **kw):
    """vggtrain train on the tiny set, -o out, options of TINY replaced by
    changes ((option, value) pairs), then the flags and options of extra"""
    opts = dict(TINY)
    opts.update(dict(changes))
    args = [VGGTRAIN, "train"]
    for k, v in opts.items():
        args += [k, v]
    return run(args + list(extra) + ["-o", out], timeout=300, **kw)


def read_st(path):
    """(header dict, data bytes) of a safetensors file"""
    with open(path, "rb") as f:
        blob = f.read()
    n = struct.unpack("<Q", blob[:8])[0]
    return json.loads(blob[8:8 + n]), blob[8 + n:]


def write_st(path, header, data):
    text = json.dumps(header, indent=1, sort_keys=True).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


DTYPES = {"F32": 0, "F16": 1, "BF16": 2, "F64": 3, "I64": 4}


def checksum(header, data):
    """train.sha256 as net/include/vgg/train.h defines it: each tensor in
    the order of its data (name NUL, dtype, rank, shape, byte count as
    little-endian u64, the bytes), then each metadata pair but the checksum
    in key order (key NUL value NUL)"""
    h = hashlib.sha256()
    tensors = sorted((v["data_offsets"][0], k) for k, v in header.items() if k != "__metadata__")
    for _, name in tensors:
        t = header[name]
        b, e = t["data_offsets"]
        h.update(name.encode() + b"\0")
        for v in [DTYPES[t["dtype"]], len(t["shape"])] + t["shape"] + [e - b]:
            h.update(struct.pack("<Q", v))
        h.update(data[b:e])
    for k, v in sorted(header["__metadata__"].items()):
        if k != "train.sha256":
            h.update(k.encode() + b"\0" + v.encode() + b"\0")
    return h.hexdigest()


def said(out, text):
    return ("vggtrain train: " + text) in out


# ------------------------------------------------------ a run to resume
rc, out = train("base.st")
check(rc == 0 and os.path.exists("base.st.ckpt"), "a run of 4 iterations and its checkpoint", out)
hdr, data = read_st("base.st.ckpt")
md = hdr.get("__metadata__", {})
check(md.get("train.format") == "vggfeat-checkpoint-2" and
      md.get("train.sha256") == checksum(hdr, data),
      "the checkpoint carries train.sha256, the SHA-256 of its tensors and metadata",
      json.dumps(md)[:2000])
shutil.copy("base.st.ckpt", "base.ckpt.orig")
shutil.copy("base.st", "base.st.orig")


def untouched(what):
    check(digest("base.st.ckpt") == digest("base.ckpt.orig") and
          digest("base.st") == digest("base.st.orig"),
          "%s: the checkpoint and the weights are as they were" % what)


# ------------------------------------------------------ 3.3 no silent restart
rc, out = train("base.st")
check(rc == 1 and said(out, "'base.st.ckpt': the checkpoint of an earlier run is there (at "
                       "iteration 4): give --resume to go on from it, or remove it to start "
                       "over"),
      "a rerun without --resume refuses to replace the checkpoint, saying how to resume or "
      "start over", out)
untouched("the refused rerun")
shutil.copy("base.st.orig", "trained.st")
rc, out = train("other.st", extra=["--checkpoint", "trained.st"])
check(rc == 1 and said(out, "'trained.st': a file that is not a training checkpoint is there, "
                       "and writing the checkpoint would replace it: give another "
                       "--checkpoint, or remove it") and
      digest("trained.st") == digest("base.st.orig") and not os.path.exists("other.st"),
      "a --checkpoint naming a trained net's weights is refused, the weights kept", out)
shutil.copy("base.ckpt.orig", "again.st.ckpt")
rc, out = train("again.st")
check(rc == 1 and said(out, "'again.st.ckpt': the checkpoint of an earlier run is there"),
      "another run's checkpoint under the default name is refused too", out)
os.remove("again.st.ckpt")
rc, out = train("again.st")
check(rc == 0 and digest("again.st") == digest("base.st.orig"),
      "with the checkpoint removed, the run starts over", out)

# ------------------------------------------------------ 3.4 outputs apart
os.symlink("trained.st", "link.st")
os.makedirs("sub")
CASES = (
    (["--checkpoint", "X"], "X", "'X': -o and --checkpoint name the same file"),
    (["--log", "L"], "L", "'L': -o and --log name the same file"),
    (["--log", "./L"], "L", "'./L': -o and --log name the same file"),
    (["--log", "sub/../L"], "L", "'sub/../L': -o and --log name the same file"),
    (["--log", "c.st.ckpt"], "c.st",
     "'c.st.ckpt': the checkpoint (-o's name and .ckpt) and --log name the same file"),
    (["--checkpoint", "C", "--log", "C"], "c.st", "'C': --checkpoint and --log name the same "
     "file"),
    (["--log", "link.st"], "trained.st", "'link.st': -o and --log name the same file"),
)
for extra, out_name, message in CASES:
    before = sorted(os.listdir("."))
    d = digest("trained.st")
    rc, out = train(out_name, extra=extra)
    check(rc == 1 and said(out, message + "; each output needs a file of its own") and
          sorted(os.listdir(".")) == before and digest("trained.st") == d,
          "%s -o %s is refused and writes nothing" % (" ".join(extra), out_name), out)
for opt in ("--weights", "--init-from"):
    rc, out = train("w.st", extra=[opt, "trained.st", "--checkpoint", "trained.st"])
    check(rc == 1 and said(out, "'trained.st': the output is also an input") and
          digest("trained.st") == digest("base.st.orig") and not os.path.exists("w.st"),
          "a checkpoint naming the %s net is refused" % opt, out)

# ------------------------------------------------------ 3.5 a resume repeats the run
CHANGES = (
    ([("--lr", "0.001")], "--lr", "0.01", "0.001", True),
    ([("--momentum", "0.5")], "--momentum", "0.9", "0.5", False),
    ([("--dropout", "0.2")], "--dropout", "0.5", "0.2", False),
    ([("--weight-decay", "0")], "--weight-decay", "0.0005", "0", False),
    ([("--list", "set/reversed.txt")], "--list (its images and their classes, in order)",
     None, None, False),
    ([("--classes", "set/classes_swapped.txt")], "--classes (the class names, in order)",
     None, None, False),
    ([("--scale-jitter", "32,40")], "--scale/--scale-jitter", "32,36", "32,40", False),
    ([("--color-shift", "0")], "--color-shift", "0.1", "0", False),
    ([("--micro-batch", "1")], "--micro-batch/--accum", "2", "1", False),
    ([("--seed", "5")], "--seed", "4", "5", False),
    ([("--lr-steps", "10")], "--lr-steps", "none", "10", True),
    ([("--warmup", "3")], "--warmup", "0", "3", True),
    ([("--val-list", "set/list.txt")], "--val-list (its images and their classes, in order)",
     "none", None, False),
)
for changes, option, was, now, schedule in CHANGES:
    rc, out = train("base.st", changes, ["--resume"])
    m = re.search(r"vggtrain train: 'base\.st\.ckpt': (.*) differs from the run that wrote this "
                  r"checkpoint \(there: (.*); now: (.*)\): a resumed run must repeat its "
                  r"options(.*)", out)
    what = " ".join("%s %s" % c for c in changes)
    ok = rc == 1 and m and m.group(1) == option and m.group(2) != m.group(3)
    if ok and was is not None:
        ok = m.group(2) == was
    if ok and now is not None:
        ok = m.group(3) == now
    if ok and changes[0][0] in ("--list", "--classes"):
        ok = re.fullmatch(r"(60 images|3 classes), sha256 [0-9a-f]{16}", m.group(3)) is not None
    if ok:
        ok = ("--new-schedule" in m.group(4)) == schedule
    check(ok, "--resume with %s is refused, naming %s and both values" % (what, option), out)
    untouched("--resume with %s" % what)
rc, out = train("base.st", extra=["--resume", "--no-flip"])
check(rc == 1 and "--no-flip differs from the run that wrote this checkpoint (there: not given; "
      "now: given)" in out, "--resume with --no-flip is refused", out)
untouched("--resume with --no-flip")
rc, out = train("base.st", [("--lr", "0.001")], ["--new-schedule"])
check(rc == 2 and said(out, "--new-schedule goes with --resume"),
      "--new-schedule without --resume is a usage error", out)
rc, out = train("base.st", [("--momentum", "0.5"), ("--lr", "0.001")],
                ["--resume", "--new-schedule"])
check(rc == 1 and "--momentum differs" in out,
      "--new-schedule lets the schedule change, not the momentum", out)
untouched("--new-schedule with --momentum")

# what may change: the length, loaders, the checkpoint period, the
# progress lines (the run ends with the bytes of an uninterrupted one), and
# the threads
rc, out = train("whole.st", [("--iterations", "7")])
check(rc == 0, "an uninterrupted run of 7 iterations", out)
shutil.copy("base.ckpt.orig", "long.st.ckpt")
rc, out = train("long.st", [("--iterations", "7"), ("--loaders", "2")],
                ["--resume", "--checkpoint-every", "2", "--print-every", "1"])
check(rc == 0 and said(out, "resumed from 'long.st.ckpt' at iteration 4 ") and
      digest("long.st") == digest("whole.st"),
      "--resume with another length, --loaders and checkpoint period goes on, to the bytes of "
      "the uninterrupted run", out)
shutil.copy("base.ckpt.orig", "threads.st.ckpt")
rc, out = train("threads.st", [("--threads", "2")], ["--resume"])
check(rc == 0 and said(out, "resumed from 'threads.st.ckpt' at iteration 4 "),
      "--resume with other --threads goes on", out)
shutil.copy("base.ckpt.orig", "sched.st.ckpt")
rc, out = train("sched.st", [("--lr", "0.001"), ("--iterations", "6")],
                ["--resume", "--new-schedule", "--print-every", "1"])
check(rc == 0 and said(out, "resumed from 'sched.st.ckpt' at iteration 4 (epoch 0, image 8) "
                       "with the schedule of this command line") and
      re.search(r"iter 5/6 .* lr 0\.001 ", out),
      "--resume --new-schedule --lr 0.001 goes on at the new rate", out)

# ------------------------------------------------------ 3.6 checksums
def tampered(tag, change):
    """a copy of the base checkpoint changed by change(header, data) ->
    (header, data), resumed"""
    h, d = read_st("base.ckpt.orig")
    h, d = change(h, bytearray(d))
    write_st(tag + ".st.ckpt", h, bytes(d))
    kept = digest(tag + ".st.ckpt")
    rc, out = train(tag + ".st", extra=["--resume"])
    return rc, out, digest(tag + ".st.ckpt") == kept and not os.path.exists(tag + ".st")


def flip(name, at=5):
    def change(h, d):
        d[h[name]["data_offsets"][0] + at] ^= 0x01
        return h, d
    return change


def meta(key, value):
    def change(h, d):
        h["__metadata__"][key] = value
        return h, d
    return change


def swap(a, b):
    def change(h, d):
        h[a]["data_offsets"], h[b]["data_offsets"] = h[b]["data_offsets"], h[a]["data_offsets"]
        return h, d
    return change


SUM = ("fails its checksum (SHA-256 of its tensors and metadata, train.sha256): it was changed "
       "or damaged after it was written; restore it from a copy, or remove it to start over")
for tag, change, what in (
        ("flip_w", flip("features.0.weight"), "a flipped bit in a weight"),
        ("flip_m", flip("momentum.classifier.6.weight", 1), "a flipped bit in a momentum"),
        ("flip_pos", meta("pt.pos", str(int(md["pt.pos"]) + 2)), "another position in the data"),
        ("flip_lr", meta("pt.lr", "0.1"), "another learning rate in the state"),
        ("swap", swap("features.0.weight", "momentum.features.0.weight"),
         "a weight and its momentum swapped in the header")):
    rc, out, kept = tampered(tag, change)
    check(rc == 1 and said(out, "'%s.st.ckpt': the checkpoint %s" % (tag, SUM)) and kept,
          "%s is refused by the checksum, naming the file" % what, out)


def old_format(h, d):
    h["__metadata__"]["train.format"] = "vggfeat-checkpoint-1"
    h["__metadata__"].pop("train.sha256", None)
    return h, d


rc, out, kept = tampered("v1", old_format)
check(rc == 1 and said(out, "'v1.st.ckpt': a checkpoint of an earlier vggfeat "
                       "(vggfeat-checkpoint-1), without a checksum: it cannot be verified") and
      kept, "a checkpoint of the format without a checksum is refused", out)
rc, out, _ = tampered("rewritten", lambda h, d: (h, d))
check(rc == 0 and said(out, "resumed from 'rewritten.st.ckpt' at iteration 4 ") and
      digest("rewritten.st") == digest("base.st.orig"),
      "the same tensors and metadata written by another writer resume", out)

# ------------------------------------------------------ the loss diverging
rc, out = train("div.st", [("--lr", "1e30"), ("--iterations", "6")])
m = re.search(r"vggtrain train: the loss diverged at iteration (\d+) \(learning rate 1e\+30; "
              r"[^\n]*\): give a lower --lr \(or a --warmup\)", out)
check(rc == 1 and m and int(m.group(1)) >= 2,
      "--lr 1e30: the loss diverged, at which iteration, give a lower --lr", out)

finish()
