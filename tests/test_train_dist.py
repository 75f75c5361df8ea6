"""Data-parallel pretraining over MPI (issue 15), on 2 CPU ranks of a tiny
net with --threads 1:

- `mpirun -np 2 vggtrain train` gives weights byte-identical to
  `vggtrain train --slices 2` (one process summing the same two slices in
  the same order), and within 1e-6 relative of the plain one-process run
  with the same global batch (the figure is printed);
- one rank under mpirun (the collective's path) gives the plain run's bytes;
- killing rank 1 mid-run ends the job (rank 0 stops itself after iteration
  7's line, VGGTRAIN_STOP_AFTER, iteration 5's checkpoint saved; rank 1
  is killed there and rank 0 let go on), mpirun naming rank 1; the
  checkpoint left is whole, and `mpirun -np 1 ... --slices 2 --resume`
  finishes the run with the bytes of an uninterrupted 2-rank run (rank 0
  read the checkpoint and broadcast it);
- `--devices cpu,cpu` (one process, a thread per device, the collectives
  over shared memory) gives the same bytes;
- refusals: bad --devices lists, --slices with several ranks, a batch smaller than the ranks,
  GPU ranks where no GPU can be used (exit 1, the rank named, no hang).

The training set is 48 images of 28x28 made here as idx files and imported
with `vggtrain import-idx`.  Open MPI refuses to run as root unless
OMPI_ALLOW_RUN_AS_ROOT=1 and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 are set;
they are set here.

Run by CTest: test_train_dist.py BINDIR MPIRUN WORKDIR.  Exit 0 pass, 1 fail.
"""
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

from cli_check import check, finish, run

bindir, mpirun, work = sys.argv[1], sys.argv[2], os.path.abspath(sys.argv[3])
VGGTRAIN = os.path.join(os.path.abspath(bindir), "vggtrain")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
# Under AddressSanitizer (pipelines/test.sh's second pass): Open MPI never
# frees what its components allocate, and LeakSanitizer would abort every
# rank at exit; leak checking is off here, memory errors are still caught
# (and the one-process runs are leak-checked by the other training tests).
ENV["ASAN_OPTIONS"] = ":".join(filter(None, [os.environ.get("ASAN_OPTIONS"), "detect_leaks=0"]))
MPI = [mpirun, "--oversubscribe"]

# 48 images of 3 classes: a vertical bar, a horizontal bar, a diagonal, on noise
rng = random.Random(3)
with open("img.idx", "wb") as fi, open("lab.idx", "wb") as fl:
    fi.write(struct.pack(">IIII", 0x803, 48, 28, 28))
    fl.write(struct.pack(">II", 0x801, 48))
    for i in range(48):
        c = i % 3
        px = bytearray(rng.randrange(0, 60) for _ in range(784))
        for y in range(28):
            for x in range(28):
                if (c == 0 and 8 <= x < 20) or (c == 1 and 8 <= y < 20) or \
                   (c == 2 and abs(x - y) < 4):
                    px[y * 28 + x] += 180
        fi.write(bytes(px))
        fl.write(bytes([c]))
rc, out = run([VGGTRAIN, "import-idx", "img.idx", "lab.idx", "-o", "set"])
check(rc == 0, "import-idx makes the training set", out)

# dropout, scale jitter, flips and the colour shift all on: their draws must
# follow the images' places in the global batch
TINY = ["--list", "set/list.txt", "--classes", "set/classes.txt", "--config", "A",
        "--width", "0.0625", "--fc-dim", "16", "--input-size", "32", "--init", "he",
        "--batch", "8", "--scale-jitter", "32,36", "--threads", "1", "--loaders", "1",
        "--print-every", "1", "--seed", "5"]


def train(tag, extra, ranks=None, iters="6", timeout=300):
    args = [VGGTRAIN, "train"] + TINY + ["--iterations", iters, "-o", tag + ".st",
                                         "--checkpoint", tag + ".ckpt"] + extra
    if ranks:
        args = MPI + ["-np", str(ranks)] + args
    p = subprocess.run(args, capture_output=True, text=True, errors="replace",
                       timeout=timeout, env=ENV)
    return p.returncode, p.stdout + p.stderr


def tensors(path):
    """name -> list of floats, from a safetensors file (F32 tensors)"""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    head = json.loads(data[8:8 + n])
    out = {}
    for k, v in head.items():
        if k == "__metadata__" or v["dtype"] != "F32":
            continue
        a, b = v["data_offsets"]
        raw = data[8 + n + a:8 + n + b]
        out[k] = struct.unpack("<%df" % (len(raw) // 4), raw)
    return out


def same_bytes(a, b):
    try:
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read() == fb.read()
    except OSError:
        return False


# ------------------------------------------- 2 ranks == 2 slices, ~ 1 process
rc, out_mpi = train("mpi2", [], ranks=2)
check(rc == 0, "mpirun -np 2 vggtrain train runs", out_mpi)
check("data-parallel: 2 ranks, gradients summed by MPI" in out_mpi,
      "the run says it is data-parallel over 2 ranks", out_mpi)
check(out_mpi.count("iter 6/6") == 1, "one progress line per iteration (rank 0's)", out_mpi)
rc, out = train("slices2", ["--slices", "2"])
check(rc == 0, "vggtrain train --slices 2 runs", out)
check(same_bytes("mpi2.st", "slices2.st"),
      "2 MPI ranks give weights byte-identical to one process summing 2 slices")
rc, out = train("plain", [])
check(rc == 0, "the plain one-process run", out)
check(not same_bytes("plain.st", "slices2.st"),
      "the plain run's summation order differs (the comparison can fail)")
rc, out = train("mpi1", [], ranks=1)
check(rc == 0 and "data-parallel: 1 rank, gradients summed by MPI" in out,
      "mpirun -np 1 takes the data-parallel path", out)
check(same_bytes("mpi1.st", "plain.st"), "one MPI rank gives the plain run's bytes")
if os.path.exists("plain.st") and os.path.exists("mpi2.st"):
    a, b = tensors("plain.st"), tensors("mpi2.st")
    worst, where, moved = 0.0, "", 0.0
    for k in a:
        scale = max(abs(x) for x in a[k]) or 1.0
        d = max(abs(x - y) for x, y in zip(a[k], b[k])) / scale
        if d > worst:
            worst, where = d, k
    init = "init.st"
    subprocess.run([VGGTRAIN, "train"] + TINY + ["--iterations", "1", "--lr", "0", "-o", init,
                    "--checkpoint", "init.ckpt"], capture_output=True, env=ENV)
    c = tensors(init) if os.path.exists(init) else a
    moved = max(max(abs(x - y) for x, y in zip(a[k], c[k])) for k in a)
    print("relative difference, 2 ranks vs one process, batch 8, 6 iterations: "
          "max over tensors of max|a-b|/max|a| = %.3g (%s); training moved the weights "
          "by up to %.3g" % (worst, where, moved))
    check(worst <= 1e-6, "2 ranks within 1e-6 relative of the plain one-process run")
    check(moved > 1e-3, "training moved the weights (the comparison is not of the start)")

# ------------------------------------ --devices: one process, a thread each
rc, out = train("threads2", ["--devices", "cpu,cpu"])
check(rc == 0 and "data-parallel: 2 ranks" in out, "--devices cpu,cpu trains on two threads", out)
check(same_bytes("threads2.st", "slices2.st"),
      "two device threads give the bytes of 2 slices (and of 2 MPI ranks)")
rc, out = train("bad_dev1", ["--devices", "gpu0"], timeout=60)
check(rc == 2 and "'gpu0' is not a device" in out, "--devices gpu0: a usage error (exit 2)", out)
rc, out = train("bad_dev2", ["--devices", "cuda:0,0"], timeout=60)
check(rc == 2 and "cuda:0,0': 0 given twice" in out, "a GPU given twice is refused (exit 2)", out)
rc, out = train("bad_dev3", ["--devices", "cpu,cpu", "--slices", "2"], timeout=60)
check(rc == 2 and "exclude each other" in out, "--devices with --slices is refused", out)
rc, out = train("bad_dev4", ["--devices", "cpu,cpu"], ranks=2, timeout=60)
check(rc != 0 and "under mpirun or srun give --device cuda" in out,
      "--devices under mpirun is refused", out)
rc, out = train("no_gpu2", ["--devices", "cuda:0,1"], timeout=120)
if "gradients summed by NCCL" not in out:
    check(rc == 1 and re.search(r"device cuda:[01] \(rank [01] of 2\): device 'cuda:[01]'",
                                out) is not None,
          "--devices cuda:0,1 without usable GPUs fails naming the device, no hang", out)

# ------------------------------------------------------ refusals, no hangs
rc, out = train("bad_slices", ["--slices", "2"], ranks=2, timeout=60)
check(rc != 0 and "rank 0 of 2" in out and "--slices 2 with 2 ranks" in out,
      "--slices with 2 ranks is refused, naming the rank", out)
rc, out = train("bad_batch", ["--batch", "1"], ranks=2, timeout=60)
check(rc != 0 and "a batch of 1 cannot be cut into 2 slices" in out,
      "a batch smaller than the number of ranks is refused", out)
rc, out = train("no_gpu", ["--device", "cuda"], ranks=2, timeout=120)
if "data-parallel: 2 ranks, gradients summed by NCCL" not in out:
    check(rc != 0 and re.search(r"rank [01] of 2: .*cuda:[01]", out) is not None,
          "GPU ranks without a usable GPU fail naming the rank and its device", out)

# ------------------------------------- kill rank 1, resume on one rank
for f in ("kill.ckpt", "kill.st"):
    if os.path.exists(f):
        os.remove(f)
args = MPI + ["-np", "2", VGGTRAIN, "train"] + TINY + [
    "--iterations", "100000", "--checkpoint-every", "5", "-o", "kill.st",
    "--checkpoint", "kill.ckpt"]
log = open("kill.log", "w")
# rank 0 stops itself after iteration 7's progress line (rank 1 waits for it
# in the next allreduce): mid-run, iteration 5's checkpoint saved
p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                     env=dict(ENV, VGGTRAIN_STOP_AFTER="iter 7/"))


def rank_pid(parent, rank):
    """the pid of the child of parent that Open MPI started as rank"""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid != parent:
                continue
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read().split(b"\0")
            if b"OMPI_COMM_WORLD_RANK=%d" % rank in env:
                return int(d)
        except (OSError, IndexError, ValueError):
            continue
    return None


def state(pid):
    """a process's state letter (T: stopped), None once it is gone"""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


# wait for the event (rank 0 stopped at its line), looking every 0.1 s; the
# job cannot end before it, and CTest's TIMEOUT is the guard against a hang
rank0 = None
while p.poll() is None and (rank0 is None or state(rank0) != "T"):
    rank0 = rank0 or rank_pid(p.pid, 0)
    time.sleep(0.1)
victim = rank_pid(p.pid, 1)
check(rank0 is not None and victim is not None and p.poll() is None and
      os.path.exists("kill.ckpt"), "rank 0 held after iteration 7, rank 1 found, a checkpoint")
if rank0 and victim:
    os.kill(victim, signal.SIGKILL)
    os.kill(rank0, signal.SIGCONT)
    p.wait()
    log.close()
    with open("kill.log") as f:
        text = f.read()
    check(p.returncode != 0, "killing rank 1 ends the job, its status a failure", text)
    check(re.search(r"rank 1 .*(signal 9|Killed)", text) is not None,
          "mpirun names rank 1 and its signal", text)
    check(not os.path.exists("kill.st"), "no weights were written by the killed job")
    done = re.findall(r"iter (\d+)/100000", text)
    it = int(done[-1]) if done else 0
    # the uninterrupted 2-rank run to a few iterations past the kill, and the
    # resumed run on one rank summing 2 slices: the same bytes
    total = str(it + 4)
    rc, out = train("whole", [], ranks=2, iters=total)
    check(rc == 0, "the uninterrupted 2-rank run to %s iterations" % total, out)
    rc, out = train("kill", ["--slices", "2", "--resume"], ranks=1, iters=total)
    m = re.search(r"resumed from 'kill.ckpt' at iteration (\d+)", out)
    check(rc == 0 and m is not None and int(m.group(1)) > 0,
          "mpirun -np 1 resumes from the checkpoint the killed job left", out)
    check(same_bytes("kill.st", "whole.st"),
          "the resumed run ends with the bytes of the uninterrupted 2-rank run")

finish()
