"""Thread counts within their limits at the command line (issue 24, 3.2):

- every program's thread options share one cap (VGG_MAX_THREADS, 64):
  `vggtrain train --threads/--loaders`, `vggtrain eval --threads` and
  `vggfeat extract --threads/--loaders` refuse 100000 (and 65) as a usage
  error naming the option and the range; their --help states the cap;
- under an address-space limit such as a cluster job's
  (`ulimit -v 8000000`), 64 compute threads (about 14 GiB of stacks and
  OpenBLAS buffers) are refused at once with a message naming the limit
  and the count that fits, by `vggtrain eval` and `vggtrain train` on
  `cpu` and `cpu-ref`: they used to hang (libgomp "Thread creation
  failed", threads spinning, deaf to SIGTERM) or die with a segmentation
  fault; the count that fits, and 0 (one per core), run.

AddressSanitizer reserves terabytes of address space: a build with it runs
the limit's cases without the limit, the refusal at the option still
checked.  The training set is 60 images of 28x28 made here as idx files
and imported with `vggtrain import-idx`, as in test_train_robust.py.

Run by CTest: test_threads_cli.py BINDIR WORKDIR.  Exit 0 pass, 1 fail.
"""
import os
import re
import resource
import shutil
import subprocess
import sys

from cli_check import bar_idx_set, check, finish, run

bindir, work = (os.path.abspath(a) for a in sys.argv[1:3])
VGGTRAIN = os.path.join(bindir, "vggtrain")
VGGFEAT = os.path.join(bindir, "vggfeat")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
os.chdir(work)

bar_idx_set()
rc, out = run([VGGTRAIN, "import-idx", "img.idx", "lab.idx", "-o", "set"])
check(rc == 0, "import-idx makes the training set", out)
DATA = ["--list", "set/list.txt", "--classes", "set/classes.txt"]
TINY = DATA + ["--config", "A", "--width", "0.03125", "--fc-dim", "8", "--input-size", "32",
               "--init", "he", "--scale-jitter", "32,36", "--loaders", "1", "--seed", "4",
               "--batch", "2", "--iterations", "2"]


def train(tag, extra, **kw):
    return run([VGGTRAIN, "train"] + TINY + ["-o", tag + ".st"] + extra, **kw)


def evaluate(extra, **kw):
    return run([VGGTRAIN, "eval", "-w", "net.st"] + DATA + ["--limit", "2"] + extra, **kw)


rc, out = train("net", ["--threads", "1"])
check(rc == 0, "a tiny net to evaluate", out)

# ------------------------------------------------------ the one cap, at the options
USAGE = "is not a usable count: give 1 to 64 threads"
for what, cmd in (
        ("vggtrain train --threads 100000", lambda: train("x", ["--threads", "100000"])),
        ("vggtrain train --threads 65", lambda: train("x", ["--threads", "65"])),
        ("vggtrain train --loaders 100000", lambda: train("x", ["--loaders", "100000"])),
        ("vggtrain eval --threads 100000", lambda: evaluate(["--threads", "100000"])),
        ("vggtrain eval --threads 3000", lambda: evaluate(["--threads", "3000"])),
        ("vggfeat extract --threads 100000",
         lambda: run([VGGFEAT, "extract", "--threads", "100000", "-o", "x.vggf", "set"])),
        ("vggfeat extract --loaders 65",
         lambda: run([VGGFEAT, "extract", "--loaders", "65", "-o", "x.vggf", "set"]))):
    try:
        rc, out = cmd()
    except subprocess.TimeoutExpired:
        rc, out = None, "(it hung)"
    option = what.split()[2]
    check(rc == 2 and "%s: '%s' %s" % (option, what.split()[3], USAGE) in out,
          "%s is a usage error naming the option and the range" % what, out)
check(not os.path.exists("x.st") and not os.path.exists("x.vggf"), "and nothing is written")
for prog in ([VGGTRAIN, "train"], [VGGTRAIN, "eval"], [VGGFEAT, "extract"]):
    rc, out = run(prog + ["--help"])
    check(rc == 0 and re.search(r"--threads N +[^\n]*at most 64", out),
          "%s --help states the cap" % " ".join(os.path.basename(p) for p in prog), out)

# ------------------------------------------------------ under an address-space limit
with open(VGGTRAIN, "rb") as f:
    under_asan = b"__asan_init" in f.read()
LIMIT = 8000000 * 1024     # ulimit -v 8000000 (KiB)


def limited():
    if not under_asan:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def run_limited(args):
    """(exit status, output) under the limit; a hang is killed and reported"""
    try:
        p = subprocess.run(args, capture_output=True, text=True, errors="replace",
                           timeout=120, preexec_fn=limited)
        return p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired:
        return None, "(it hung)"


REFUSED = re.compile(r"cpu: 64 threads need about [0-9.]+ GiB of address space \(stacks and "
                     r"buffers\), and the address-space limit \(ulimit -v, 7\.6 GiB\) leaves "
                     r"[0-9.]+ GiB beside what this process maps: at most (\d+) threads fit; "
                     r"give fewer threads or raise the limit")
if under_asan:
    print("note: AddressSanitizer build: the address-space limit's cases are left out")
else:
    fits = []
    for device in ("cpu", "cpu-ref"):
        rc, out = run_limited([VGGTRAIN, "eval", "-w", "net.st"] + DATA +
                              ["--limit", "2", "--device", device, "--threads", "64"])
        m = REFUSED.search(out)
        check(rc == 1 and m and out.startswith("vggtrain eval: "),
              "under ulimit -v 8000000, vggtrain eval --device %s --threads 64 is refused "
              "at once, naming the limit and the count that fits" % device, out)
        rc, out = run_limited([VGGTRAIN, "train"] + TINY +
                              ["--device", device, "--threads", "64", "-o", "t64.st"])
        m2 = REFUSED.search(out)
        check(rc == 1 and m2 and not os.path.exists("t64.st"),
              "under the limit, vggtrain train --device %s --threads 64 is refused, writing "
              "nothing" % device, out)
        if m:
            fits.append((device, int(m.group(1))))
    for device, fit in fits:
        rc, out = run_limited([VGGTRAIN, "eval", "-w", "net.st"] + DATA +
                              ["--limit", "2", "--device", device, "--threads", str(fit)])
        check(rc == 0 and "(2 images)" in out,
              "under the limit, the %d threads that fit evaluate on %s" % (fit, device), out)
        rc, out = run_limited([VGGTRAIN, "train"] + TINY +
                              ["--device", device, "--threads", str(fit),
                               "-o", "fit_%s.st" % device])
        check(rc == 0 and os.path.exists("fit_%s.st" % device),
              "under the limit, %d threads train on %s" % (fit, device), out)
    rc, out = run_limited([VGGTRAIN, "train"] + TINY + ["--threads", "0", "-o", "all.st"])
    check(rc == 0 and os.path.exists("all.st"), "under the limit, --threads 0 trains", out)

finish()
