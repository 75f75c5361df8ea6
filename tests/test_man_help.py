#!/usr/bin/env python3
"""The man pages and the bash completion against the programs' --help.

    test_man_help.py BIN_DIR MAN_DIR VERSION SOURCE_DIR

For vggfeat, vggsvm, vggtrain and vggdata (those built):
  - `P --version` and `P version` begin with "P VERSION" (CMake's project
    version) and name the build's options;
  - P(1) has one subsection per command of `P --help`, in its order, and no
    other; its .TH names the version;
  - each command's subsection names exactly the options of
    `P COMMAND --help` (every -x/--xyz word of the text, both read here
    from scratch: the help as printed, the page with its troff escapes
    undone);
  - the completion offers, after `P `, the commands (plus help, version,
    --help, --version); after `P COMMAND -`, every option that starts a line
    of the help's option tables or appears in its usage line, and nothing
    the help does not name; after an option whose metavariable lists its
    values (--format npy|liblinear|csv), those values.
vggfeat-quickstart(1) names the options of its --help, which names every
variable of quickstart.sh's Environment list but SKIP_SETUP (set for it).
vggfeat(5) has every heading and every `code` word of
docs/feature-store.md.  Every page formats without a groff warning.
"""
import gzip
import os
import re
import shutil
import subprocess
import sys

bin_dir, man_dir, version, source = sys.argv[1:5]
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


OPT = re.compile(r"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*)")


def options(text):
    return set(OPT.findall(text))


def run(*args):
    r = subprocess.run(list(args), capture_output=True, text=True)
    if r.returncode != 0:
        fail("%s exited %d: %s" % (" ".join(args), r.returncode, r.stderr.strip()))
    return r.stdout


def untroff(line):
    """A man page line as the reader sees its words."""
    line = re.sub(r"\\f[BIRP]", "", line)
    line = line.replace("\\&", "").replace("\\-", "-").replace("\\e", "\\")
    line = line.replace("\\(bu", "*").replace("\\(en", "-")
    return line


def page(name):
    path = os.path.join(man_dir, name)
    if not os.path.exists(path):
        fail("no man page %s" % path)
        return ""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    with gzip.open(path + ".gz", "rt", encoding="utf-8") as f:
        if f.read() != text:
            fail("%s.gz is not %s compressed" % (path, path))
    return text


def sections(text):
    """{".SS name": body text (requests left out, escapes undone)}, and the
    order of the subsections"""
    out, order, cur = {}, [], None
    for line in text.splitlines():
        m = re.match(r'^\.(SH|SS) +"?([^"]*)"?$', line)
        if m:
            cur = (m.group(1), m.group(2))
            out[cur] = []
            if m.group(1) == "SS":
                order.append(m.group(2))
            continue
        if cur is None or (line.startswith(".") and not line.startswith("\\&")):
            continue
        out[cur].append(untroff(line))
    return {k: "\n".join(v) for k, v in out.items()}, order


def commands(help_text):
    return [m.group(1) for line in help_text.splitlines()[1:]
            for m in [re.match(r"^  ([a-z][a-z0-9-]*)  ", line)] if m]


def table_options(help_text):
    """options that start an option-table line (the term before the column
    gap) or appear in the usage line: what completion must offer"""
    lines = help_text.splitlines()
    found = options(lines[0])
    for line in lines[1:]:
        s = line.strip()
        if line.startswith(" ") and s.startswith("-"):
            found |= options(re.split(r"\s{2,}", s)[0])
    return found


def complete(comp_file, prog, words):
    script = ('source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); '
              '_%s; printf "%%s\\n" "${COMPREPLY[@]}"' % prog)
    r = subprocess.run(["bash", "-c", script, "complete", comp_file] + words,
                       capture_output=True, text=True)
    if r.returncode != 0 or r.stderr:
        fail("completion %s %s: exit %d, %s" % (prog, words, r.returncode, r.stderr.strip()))
    return set(w for w in r.stdout.split("\n") if w)


def choices(help_text):
    """{option: values} where the help writes "--opt a|b|c" (lower-case
    values; "[...]" dropped), in the usage line and the indented lines"""
    out = {}
    lines = help_text.splitlines()
    for line in [lines[0]] + [l for l in lines[1:] if l.startswith(" ")]:
        for m in re.finditer(r"(?<![\w-])(--?[A-Za-z][A-Za-z0-9-]*) ([^\s|]+(?:\|[^\s|]+)+)", line):
            vals = set()
            for v in m.group(2).rstrip("]),;").split("|"):
                v = re.sub(r"\[[^]]*\]", "", v)
                if re.fullmatch(r"[a-z0-9][a-z0-9.-]*", v):
                    vals.add(v)
            out.setdefault(m.group(1), set()).update(vals)
    return {k: v for k, v in out.items() if v}


def groff_check(path):
    if not shutil.which("groff"):
        return
    r = subprocess.run(["groff", "-t", "-man", "-Tutf8", "-ww", "-z", "-k", path],
                       capture_output=True, text=True)
    if r.returncode != 0 or r.stderr.strip():
        fail("groff warns on %s: %s" % (path, r.stderr.strip()))


comp_dir = os.path.join(man_dir, "completions")
for prog in ("vggfeat", "vggsvm", "vggtrain", "vggdata"):
    exe = os.path.join(bin_dir, prog)
    if not os.path.exists(exe):
        continue
    # --version
    for arg in ("--version", "version"):
        out = run(exe, arg).splitlines()
        if not out or out[0] != "%s %s" % (prog, version):
            fail("%s %s: first line %r, expected %r" % (prog, arg, out[:1], "%s %s" % (prog, version)))
        if not any(l.startswith("build: ") and "oneDNN" in l and "CUDA" in l for l in out):
            fail("%s %s: no 'build:' line with oneDNN and CUDA: %r" % (prog, arg, out))
    top = run(exe, "--help")
    cmds = commands(top)
    if not cmds:
        fail("%s --help lists no commands" % prog)
    text = page(prog + ".1")
    groff_check(os.path.join(man_dir, prog + ".1"))
    th = [l for l in text.splitlines() if l.startswith(".TH ")]
    if not th or ('"vggfeat %s"' % version) not in th[0]:
        fail("%s.1: .TH %r does not name vggfeat %s" % (prog, th[:1], version))
    secs, order = sections(text)
    want = ["%s %s" % (prog, c) for c in cmds]
    if order != want:
        fail("%s.1: subsections %r, expected %r (the commands of %s --help)" % (prog, order, want, prog))
    commands_text = secs.get(("SH", "COMMANDS"), "")
    for c in cmds:
        if not re.search(r"^%s\b" % re.escape(c), commands_text, re.M):
            fail("%s.1: COMMANDS does not list %s" % (prog, c))
    comp = os.path.join(comp_dir, prog)
    if not os.path.exists(comp):
        fail("no completion file %s" % comp)
    else:
        got = complete(comp, prog, [prog, ""])
        expect = set(cmds) | {"help", "version", "--help", "--version"}
        if got != expect:
            fail("completion of '%s ': %s, expected %s" % (prog, sorted(got), sorted(expect)))
    for c in cmds:
        h = run(exe, c, "--help")
        if not h.startswith("usage: %s %s" % (prog, c)):
            fail("%s %s --help does not begin with its usage" % (prog, c))
        sec = secs.get(("SS", "%s %s" % (prog, c)))
        if sec is None:
            continue
        hs, ms = options(h), options(sec)
        if hs != ms:
            fail("%s(1), %s: options only in --help %s, only in the page %s"
                 % (prog, c, sorted(hs - ms), sorted(ms - hs)))
        if not os.path.exists(comp):
            continue
        got = complete(comp, prog, [prog, c, "-"])
        need = table_options(h) | {"--help"}
        if not need <= got:
            fail("completion of '%s %s -' lacks %s" % (prog, c, sorted(need - got)))
        if not got <= hs | {"--help"}:
            fail("completion of '%s %s -' offers %s, not in its --help" % (prog, c, sorted(got - hs)))
        for opt, vals in choices(h).items():
            got = complete(comp, prog, [prog, c, opt, ""])
            if got != vals:
                fail("completion of '%s %s %s ': %s, expected %s" % (prog, c, opt, sorted(got), sorted(vals)))

# the installed quickstart's command
qs = os.path.join(bin_dir, "vggfeat-quickstart")
if os.path.exists(qs):
    h = run(qs, "--help")
    text = page("vggfeat-quickstart.1")
    groff_check(os.path.join(man_dir, "vggfeat-quickstart.1"))
    body = "\n".join(untroff(l) for l in text.splitlines() if not l.startswith("."))
    if options(h) != options(body):
        fail("vggfeat-quickstart(1): options %s, its --help %s" % (sorted(options(body)), sorted(options(h))))
    flat = " ".join(body.split())
    for line in h.splitlines():
        line = " ".join(re.sub(r"^usage: ", "", line).split())
        if line and line not in flat:
            fail("vggfeat-quickstart(1) lacks the help line %r" % line)
    with open(os.path.join(source, "pipelines", "quickstart.sh")) as f:
        qsrc = f.read()
    env = re.search(r"^# Environment:\n((?:#   .*\n)+)", qsrc, re.M)
    names = re.findall(r"^#   ([A-Z_]+)=", env.group(1), re.M) if env else []
    if not names:
        fail("quickstart.sh has no Environment list")
    for n in names:
        if n != "SKIP_SETUP" and not re.search(r"^  %s=" % n, h, re.M):
            fail("vggfeat-quickstart --help does not list %s (quickstart.sh's Environment)" % n)

# vggfeat(5) from docs/feature-store.md
text = page("vggfeat.5")
groff_check(os.path.join(man_dir, "vggfeat.5"))
body = "\n".join(untroff(l) for l in text.splitlines() if not l.startswith(".") or l.startswith(".SH"))
with open(os.path.join(source, "docs", "feature-store.md")) as f:
    doc = f.read()
for h in re.findall(r"^## (.*)$", doc, re.M):
    if ('.SH "%s"' % h.upper()) not in text:
        fail("vggfeat(5) has no section %s" % h.upper())
flat = " ".join(body.split())
prose = " ".join(re.sub(r"^```.*?^```$", "", doc, flags=re.M | re.S).split())
for w in set(re.findall(r"`([^`]+)`", prose)):
    if w not in flat:
        fail("vggfeat(5) lacks %r (docs/feature-store.md)" % w)
for line in re.findall(r"^```\w*\n(.*?)^```$", doc, flags=re.M | re.S):
    if " ".join(line.split()) not in flat:
        fail("vggfeat(5) lacks a code block of docs/feature-store.md")

if failures:
    print("%d failure(s)" % len(failures))
    sys.exit(1)
print("man pages and completion agree with --help and docs/feature-store.md")
