"""vggtrain train keeps its promises (docs/robustness.md) where its metrics
log, its validations and its checkpoint's lock are concerned:

- the metrics log (--log) on a full disk stops the run, naming the log; the
  checkpoint is saved with the state of the last finished iteration and the
  line that could not be written (or, for a validation's line, the
  validation still owed); the log keeps whole lines only; `--resume` with
  room ends with the weights and the log (timings aside) of an
  uninterrupted run.  Once for a progress line, once for a validation's;
- SIGTERM, and SIGINT during the redone validation of the resumed run,
  stop a validation rather than finish it: exit 143 / 130, the usual
  message, the checkpoint of the iteration before it, owing the
  validation; `--resume` does it and ends with the bytes of an
  uninterrupted run.  Once in one process, once with --devices cpu,cpu
  (rank 0 validates, rank 1 hears of the signal from it).  The signal
  comes when the run has stopped itself just before the validation
  (VGGTRAIN_STOP_AFTER, pretrain/README.md), not after some time;
- a second run on a checkpoint in use is refused before it reads its data:
  its list and validation list are never opened (inotify, cli_check.opens),
  and it writes nothing.

A full disk is a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored, so write()
fails with EFBIG as it fails with ENOSPC); the limit is a little more than
the checkpoint's size, so the log, growing past it, meets it first.  The
training set is 60 images of 28x28 made here as idx files and imported
with `vggtrain import-idx`, as in test_robust_write.py.

Run by CTest: test_train_robust.py BINDIR WORKDIR.  Exit 0 pass, 1 fail.
"""
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys

from cli_check import bar_idx_set, check, digest, finish, opens, run, wait_stopped

bindir, work = (os.path.abspath(a) for a in sys.argv[1:3])
VGGTRAIN = os.path.join(bindir, "vggtrain")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)

# 60 images of 28x28 in 3 classes: class c is a bright bar in the c-th third
bar_idx_set()
rc, out = run([VGGTRAIN, "import-idx", "img.idx", "lab.idx", "-o", "set"])
check(rc == 0, "import-idx makes the training set", out)
TINY = ["--list", "set/list.txt", "--classes", "set/classes.txt", "--config", "A",
        "--width", "0.03125", "--fc-dim", "8", "--input-size", "32", "--init", "he",
        "--scale-jitter", "32,36", "--threads", "1", "--loaders", "1", "--seed", "4"]


def args(tag, extra):
    return [VGGTRAIN, "train"] + TINY + ["--checkpoint", tag + ".ckpt", "--log", tag + ".jsonl",
                                         "-o", tag + ".st"] + list(extra)


def train(tag, extra, fsize=None):
    return run(args(tag, extra), timeout=300, fsize=fsize)


def meta(path):
    """a checkpoint's metadata (safetensors: u64 header length, JSON header)"""
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(size)).get("__metadata__", {})


TIMINGS = ("img_s", "elapsed", "allreduce_s")


def log_lines(path):
    """the log's lines without their timings; None if a line is not whole JSON"""
    with open(path) as f:
        text = f.read()
    if text and not text.endswith("\n"):
        return None
    try:
        lines = [json.loads(line) for line in text.splitlines()]
    except ValueError:
        return None
    return [{k: v for k, v in d.items() if k not in TIMINGS} for d in lines]


def without_window(lines):
    """the progress lines without the loss and accuracy of their window,
    which a resume starts anew"""
    return [d if "val_loss" in d else {k: v for k, v in d.items() if k not in ("loss", "acc")}
            for d in lines]


def leftovers(prefix):
    """files beside an output that a failed write could have left"""
    return sorted(f for f in os.listdir(".") if f.startswith(prefix + ".") and
                  not f.endswith((".lock", ".st", ".ckpt", ".jsonl", ".out")))


# ------------------------------------------------------ the log on a full disk
LONG = ["--batch", "2", "--iterations", "1000", "--checkpoint-every", "100"]
KINDS = (
    # a progress line per iteration, no validation
    ("progress", LONG + ["--print-every", "1"]),
    # a validation per iteration (2 images), hardly any progress line; the
    # plateau rule on (lr / 10 after 200 validations without progress)
    ("validation", LONG + ["--print-every", "100000", "--val-list", "set/list.txt",
                           "--val-every", "1", "--val-limit", "2", "--patience", "200",
                           "--max-drops", "0"]),
)
for kind, extra in KINDS:
    ref = kind + "_ref"
    rc, out = train(ref, extra)
    check(rc == 0, "%s lines: an uninterrupted run of 1000 iterations" % kind, out)
    limit = os.path.getsize(ref + ".ckpt") + 4096
    check(os.path.getsize(ref + ".jsonl") > limit + 10000,
          "%s lines: the log (%d bytes) outgrows the limit (%d)" %
          (kind, os.path.getsize(ref + ".jsonl"), limit))
    tag = kind + "_full"
    rc, out = train(tag, extra, fsize=limit)
    m = re.search(r"vggtrain train: '%s\.jsonl': cannot write the metrics log: File too large; "
                  r"checkpoint '%s\.ckpt' saved at iteration (\d+), --resume goes on from there"
                  % (tag, tag), out)
    check(rc == 1 and m, "%s lines: a log on a full disk stops the run, naming the log, the "
          "reason and the checkpoint" % kind, out)
    at = int(m.group(1)) if m else -1
    want = log_lines(ref + ".jsonl")
    got = log_lines(tag + ".jsonl")
    # the line that failed is the first of iteration `at` (progress lines),
    # or iteration at's validation line (validations)
    cut = [i for i, d in enumerate(want) if d["iter"] == at]
    check(got is not None and cut and got == want[:cut[0]],
          "%s lines: the log holds whole lines, those before the one that failed (%d lines)" %
          (kind, len(got or [])))
    md = meta(tag + ".ckpt") if os.path.exists(tag + ".ckpt") else {}
    check(md.get("train.iteration") == str(at),
          "%s lines: the checkpoint holds iteration %d" % (kind, at), str(md))
    if kind == "progress":
        pending = md.get("pt.log_line", "")
        check(pending.startswith('{"iter":%d,' % at) and pending.endswith("}\n") and
              md.get("pt.validate") == "0",
              "progress lines: the checkpoint keeps the line that was not written", str(md))
    else:
        check(md.get("pt.log_line") == "" and md.get("pt.validate") == "1",
              "validation lines: the checkpoint owes the validation whose line was not written",
              str(md))
    check(leftovers(tag) == [], "%s lines: no partial file is left: %s" % (kind, leftovers(tag)))
    rc, out = train(tag, extra + ["--resume"])
    check(rc == 0 and "resumed from '%s.ckpt' at iteration %d " % (tag, at) in out,
          "%s lines: --resume with room goes on from that checkpoint" % kind, out)
    check(digest(tag + ".st") == digest(ref + ".st"),
          "%s lines: and ends with the weights of the uninterrupted run" % kind)
    got = log_lines(tag + ".jsonl") or []
    if kind == "validation":
        # the one progress line (the last iteration's) averages loss and
        # accuracy since the previous line or the resume: those differ
        got, want = without_window(got), without_window(want)
    check(got == want, "%s lines: and with its log, each line once (timings aside)" % kind)


# ------------------------------------------------------ a signal during a validation
def stop_with(proc, sig, path):
    """send sig to the stopped proc, let it go on; (exit status, its output)"""
    proc.send_signal(sig)
    proc.send_signal(signal.SIGCONT)
    proc.wait()
    with open(path) as f:
        return proc.returncode, f.read()


def start(tag, extra, log_name, stop_after):
    """the run, which stops itself after the first line beginning with
    stop_after (VGGTRAIN_STOP_AFTER)"""
    out = open(log_name, "w")
    return subprocess.Popen(args(tag, extra), stdout=out, stderr=subprocess.STDOUT,
                            env=dict(os.environ, VGGTRAIN_STOP_AFTER=stop_after))


# the validation set: the 60 images 60 times, a few seconds of validation
with open("set/list.txt") as f:
    lines = f.read()
with open("slow.txt", "w") as f:
    f.write(lines * 60)
# 10 iterations, a validation at the end of each epoch (iterations 5, 10)
VAL = ["--batch", "12", "--iterations", "10", "--print-every", "1", "--val-list", "slow.txt",
       "--checkpoint-every", "1000"]
for where, extra in (("one process", []), ("--devices cpu,cpu", ["--devices", "cpu,cpu"])):
    ref, tag = ("vref", "vint") if not extra else ("dref", "dint")
    rc, out = train(ref, VAL + extra)
    check(rc == 0 and "validation at iter 5:" in out,
          "%s: an uninterrupted run with two validations" % where, out)
    # SIGTERM as the validation at iteration 5 begins: the run stops itself
    # after iteration 5's progress line, the validation next
    first = start(tag, VAL + extra, tag + ".out", "iter 5/10")
    caught = wait_stopped(first)
    check(caught, "%s: the run stops before its validation at iteration 5" % where)
    if not extra:
        # ------------------------------------------------------ a second run, refused at once
        # while the first holds its checkpoint (stopped): before it reads
        # anything, so its lists are never opened
        with open("second.txt", "w") as f:
            f.write(lines)
        (rc, out), read = opens("second.txt", lambda: run(
            [VGGTRAIN, "train"] + TINY + ["--list", "second.txt", "--val-list", "second.txt",
                                          "--iterations", "10", "--checkpoint", tag + ".ckpt",
                                          "--log", "second.jsonl", "-o", "second.st"]))
        check(rc == 1 and "'%s.ckpt': in use by another writer (process %d)" % (tag, first.pid)
              in out and not read,
              "a second run on the checkpoint is refused before it opens its list and "
              "validation list (%s)" % ("opened" if read else "never opened"), out)
        check(not os.path.exists("second.st") and not os.path.exists("second.jsonl"),
              "the refused run wrote nothing")
        os.remove("second.txt")
    rc, out = stop_with(first, signal.SIGTERM, tag + ".out")
    check(rc == 143 and "interrupted by SIGTERM at iteration 5; checkpoint '%s.ckpt' saved, "
          "--resume goes on from there" % tag in out and "validation at iter 5:" not in out,
          "%s: SIGTERM at a validation exits 143 without finishing it, saving the checkpoint"
          % where, out)
    md = meta(tag + ".ckpt") if os.path.exists(tag + ".ckpt") else {}
    check(md.get("train.iteration") == "5" and md.get("pt.validate") == "1",
          "%s: the checkpoint is iteration 5's, owing its validation" % where, str(md))
    # SIGINT as the resumed run begins the validation it owes
    again = start(tag, VAL + extra + ["--resume"], tag + ".out2", "vggtrain train: resumed from")
    caught = wait_stopped(again)
    check(caught, "%s: the resumed run stops before the validation it owes" % where)
    rc, out = stop_with(again, signal.SIGINT, tag + ".out2")
    md = meta(tag + ".ckpt") if os.path.exists(tag + ".ckpt") else {}
    check(rc == 130 and "interrupted by SIGINT at iteration 5; checkpoint '%s.ckpt' saved" % tag
          in out and "validation at iter 5:" not in out and "iter 6/10" not in out and
          md.get("pt.validate") == "1",
          "%s: SIGINT at the redone validation exits 130 without finishing it, still owing it" %
          where, out + str(md))
    rc, out = train(tag, VAL + extra + ["--resume"])
    check(rc == 0 and "resumed from '%s.ckpt' at iteration 5 " % tag in out and
          "validation at iter 5:" in out,
          "%s: --resume does the validation it owes, then the rest" % where, out)
    check(digest(tag + ".st") == digest(ref + ".st"),
          "%s: and ends with the weights of the uninterrupted run" % where)
    check(log_lines(tag + ".jsonl") == log_lines(ref + ".jsonl"),
          "%s: and with its log (timings aside)" % where)

finish()
