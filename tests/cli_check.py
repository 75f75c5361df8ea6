"""What the Python command-line tests share: running a program (under a
file-size limit that stands for a full disk), recording checks, digests,
a missing dependency, a run stopped at a known point, a file never opened."""
import ctypes
import hashlib
import os
import random
import resource
import signal
import struct
import subprocess
import sys

failures = []


def run(args, timeout=120, fsize=None, env=None):
    """Run args; return (exit status, stdout + stderr).  With fsize, the
    program runs under RLIMIT_FSIZE with SIGXFSZ ignored, so write() fails
    with EFBIG as it fails with ENOSPC on a full disk."""
    def limits():
        if fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # write() fails with EFBIG instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    p = subprocess.run(args, capture_output=True, text=True, errors="replace",
                       timeout=timeout, preexec_fn=limits, env=env)
    return p.returncode, p.stdout + p.stderr


def check(cond, what, out=""):
    if not cond:
        failures.append(what)
        print("FAIL: %s\n%s" % (what, out[-3000:]))
    else:
        print("ok: %s" % what)


def digest(path):
    """the file's SHA-256, or the reason it cannot be read"""
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError as e:
        return str(e)


def wait_stopped(proc):
    """Wait until proc stops itself at the point its environment names
    (VGGFEAT_STOP_AT, docs/extract.md; VGGTRAIN_STOP_AFTER,
    pretrain/README.md): an event, no clock.  False, proc.returncode set,
    if it ended instead."""
    _, status = os.waitpid(proc.pid, os.WUNTRACED)
    if os.WIFSTOPPED(status):
        return True
    proc.returncode = os.waitstatus_to_exitcode(status)
    return False


IN_ACCESS, IN_OPEN = 0x1, 0x20


def opens(path, action):
    """(action(), whether anything opened or read path while it ran), told
    by the kernel (inotify): whether a file was read, without a clock."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    try:
        if libc.inotify_add_watch(fd, os.fsencode(path), IN_OPEN | IN_ACCESS) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch '%s'" % path)
        result = action()
        try:
            seen = len(os.read(fd, 65536)) > 0
        except BlockingIOError:
            seen = False
        return result, seen
    finally:
        os.close(fd)


def missing(what):
    """A dependency of the test is absent (a Python module, a Debian tool):
    a failure where VGG_REQUIRE_REFERENCES=1 (pipelines/test.sh, whose setup
    installs everything the tests use), else the test is skipped (exit 77,
    CTest's SKIP_RETURN_CODE: "Skipped", never "Passed")."""
    if os.environ.get("VGG_REQUIRE_REFERENCES") == "1":
        print("FAIL: %s is missing, and VGG_REQUIRE_REFERENCES=1 says everything the tests "
              "use is installed here (sh pipelines/setup.sh --tests)" % what)
        sys.exit(1)
    print("skipped: %s is missing (sh pipelines/setup.sh --tests installs it)" % what)
    sys.exit(77)


def finish():
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)


def bar_idx_set(images="img.idx", labels="lab.idx", n=60):
    """n images of 28x28 in 3 classes as idx files: class c is a bright bar
    in the c-th third over noise (seeded, the same bytes every time)."""
    rnd = random.Random(11)
    pixels = bytearray()
    for i in range(n):
        c = i % 3
        for y in range(28):
            for x in range(28):
                v = rnd.randrange(32)
                if c * 9 <= x < c * 9 + 9 and 3 < y < 24:
                    v += 200
                pixels.append(v)
    with open(images, "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + bytes(pixels))
    with open(labels, "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + bytes(i % 3 for i in range(n)))
