"""Files we write stay whole, and a checkpoint has one writer (issue 11):
a full disk during `vggfeat convert` and during a `vggtrain train`
checkpoint, and two `vggtrain train` runs sharing one checkpoint.

A full disk is a file-size limit (RLIMIT_FSIZE, SIGXFSZ ignored, so write()
fails with EFBIG as it fails with ENOSPC on a full disk).  The caffemodels
are the committed fixtures of tests/fixtures/convert (gen_caffe_fixtures.py);
the training set is 60 images of 28x28 made here as idx files and imported
with `vggtrain import-idx`, as in test_train_cli.c.

Run by CTest: test_robust_write.py BINDIR FIXTURES WORKDIR.  Exit 0 pass, 1 fail.
"""
import os
import re
import shutil
import signal
import subprocess
import sys

from cli_check import bar_idx_set, check, digest, finish, run, wait_stopped

bindir, fixtures, work = (os.path.abspath(a) for a in sys.argv[1:4])
VGGFEAT, VGGTRAIN = os.path.join(bindir, "vggfeat"), os.path.join(bindir, "vggtrain")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)


def leftovers(prefix):
    """files beside the output that a failed write could have left"""
    return sorted(f for f in os.listdir(".") if f.startswith(prefix + ".") and
                  not f.endswith(".lock"))


# ------------------------------------------------------ convert on a full disk
d_caffe = os.path.join(fixtures, "convert", "d_new.caffemodel")
e_caffe = os.path.join(fixtures, "convert", "e_new.caffemodel")
rc, out = run([VGGFEAT, "convert", d_caffe, "-o", "net.safetensors"])
check(rc == 0, "convert: a first output", out)
before = digest("net.safetensors")
size = os.path.getsize("net.safetensors")
# the E net's file is larger than the D net's: a limit of a third of it is
# met in the middle of its tensors
rc, out = run([VGGFEAT, "convert", e_caffe, "-o", "net.safetensors"], fsize=size // 3)
check(rc == 1 and "'net.safetensors'" in out and "File too large" in out,
      "convert on a full disk names the output and the reason", out)
check(digest("net.safetensors") == before, "convert on a full disk keeps the previous output")
check(leftovers("net.safetensors") == [], "convert on a full disk leaves no partial file: %s" %
      leftovers("net.safetensors"))
rc, out = run([VGGFEAT, "convert", e_caffe, "-o", "new.safetensors"], fsize=size // 3)
check(rc == 1 and "'new.safetensors'" in out and not os.path.exists("new.safetensors") and
      leftovers("new.safetensors") == [],
      "convert on a full disk without a previous output leaves nothing", out)
rc, out = run([VGGFEAT, "convert", e_caffe, "-o", "e.safetensors"])
rc2, out2 = run([VGGFEAT, "convert", e_caffe, "-o", "net.safetensors"])
check(rc == 0 and rc2 == 0 and digest("net.safetensors") == digest("e.safetensors"),
      "convert with room replaces the kept output with the whole new one", out + out2)

# ------------------------------------------------------ a tiny training set
# 60 images of 28x28 in 3 classes: class c is a bright bar in the c-th third
bar_idx_set()
rc, out = run([VGGTRAIN, "import-idx", "img.idx", "lab.idx", "-o", "set"])
check(rc == 0, "import-idx makes the training set", out)
TINY = ["--list", "set/list.txt", "--classes", "set/classes.txt", "--config", "A",
        "--width", "0.0625", "--fc-dim", "16", "--input-size", "32", "--init", "he",
        "--batch", "12", "--scale-jitter", "32,36", "--threads", "1", "--loaders", "2",
        "--print-every", "1", "--seed", "4", "--checkpoint-every", "3"]


def train(tag, iterations, ckpt, extra=(), fsize=None):
    return run([VGGTRAIN, "train"] + TINY + ["--iterations", str(iterations), "--checkpoint",
                                             ckpt, "--log", tag + ".jsonl",
                                             "-o", tag + ".safetensors"] + list(extra),
               fsize=fsize)


# ------------------------------------------------------ a checkpoint on a full disk
rc, out = train("whole", 12, "whole.ckpt")
check(rc == 0, "an uninterrupted run of 12 iterations", out)
rc, out = train("cut", 6, "cut.ckpt")
check(rc == 0 and os.path.exists("cut.ckpt"), "6 iterations leave a checkpoint", out)
ckpt_before = digest("cut.ckpt")
ckpt_size = os.path.getsize("cut.ckpt")
# resumed to 12 iterations under a limit below one checkpoint: the save at
# iteration 9 fails
rc, out = train("cut", 12, "cut.ckpt", ["--resume"], fsize=ckpt_size // 2)
check(rc == 1 and "resumed from 'cut.ckpt' at iteration 6" in out and "iter 9/12" in out and
      "iter 10/12" not in out and "'cut.ckpt'" in out and "File too large" in out,
      "a checkpoint on a full disk stops the run, naming the checkpoint and the reason", out)
check(digest("cut.ckpt") == ckpt_before, "the previous checkpoint is intact")
check(leftovers("cut.ckpt") == [], "no partial checkpoint is left: %s" % leftovers("cut.ckpt"))
rc, out = train("cut", 12, "cut.ckpt", ["--resume"])
check(rc == 0 and "resumed from 'cut.ckpt' at iteration 6" in out,
      "a rerun with --resume continues from the kept checkpoint", out)
check(rc == 0 and digest("cut.safetensors") == digest("whole.safetensors"),
      "and ends with the weights of the uninterrupted run")
with open("cut.jsonl") as f:
    iters = [line.split(",")[0] for line in f if line.startswith('{"iter":')]
check(iters == ['{"iter":%d' % i for i in range(1, 13)],
      "the metrics log has each iteration once, in order", "\n".join(iters))

# ------------------------------------------------------ two runs, one checkpoint
# the first run stops itself after iteration 4's line (VGGTRAIN_STOP_AFTER,
# pretrain/README.md), iteration 3's checkpoint saved, and is held there;
# its loader is the slow side (one thread resizing to S = 1000), so the
# signal below, sent as it goes on, mostly finds it waiting for a batch
first = subprocess.Popen([VGGTRAIN, "train"] + TINY + ["--iterations", "1000000",
                                                       "--scale-jitter", "1000,1000",
                                                       "--loaders", "1",
                                                       "--checkpoint", "shared.ckpt",
                                                       "-o", "first.safetensors"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=dict(os.environ, VGGTRAIN_STOP_AFTER="iter 4/"))
check(wait_stopped(first) and os.path.exists("shared.ckpt"),
      "the first run is training and has saved a checkpoint")
rc, out = train("second", 6, "shared.ckpt", ["--resume"])
check(rc == 1 and "'shared.ckpt': in use by another writer (process %d)" % first.pid in out and
      "iter 1/" not in out,
      "a second run on the same checkpoint is refused before training, naming it", out)
check(not os.path.exists("second.safetensors") and not os.path.exists("second.jsonl"),
      "the refused run wrote nothing")
first.send_signal(signal.SIGCONT)
first.send_signal(signal.SIGTERM)
text, _ = first.communicate()
m = re.search(r"interrupted by SIGTERM at iteration (\d+); checkpoint 'shared.ckpt' saved", text)
stopped_at = m and int(m.group(1))
check(first.returncode == 143 and stopped_at and stopped_at >= 4,
      "the first run, stopped by SIGTERM, saves the checkpoint it held", text)
check(not os.path.exists("shared.ckpt.lock"), "the lock goes with its holder")
rc, out = train("second", 6, "shared.ckpt", ["--resume", "--scale-jitter", "1000,1000"])
check("resumed from 'shared.ckpt' at iteration %s " % stopped_at in out and
      "in use by another writer" not in out,
      "once the first run has ended, the checkpoint is free and holds the iteration it "
      "stopped at (%s)" % stopped_at, out)

finish()
