"""What the Python command-line tests share: running a program (under a
file-size limit that stands for a full disk), recording checks, digests."""
import hashlib
import resource
import signal
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


def finish():
    print("%d failure(s)" % len(failures))
    sys.exit(1 if failures else 0)
