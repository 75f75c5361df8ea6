#!/bin/sh
# Inside a new minimal Debian 12 tree that never saw the source (run by
# tests/fresh/run.sh, as root, in /root beside the package):
#
#   sh deb_check.sh vggfeat_<version>_<arch>.deb
#
# apt-get installs the package (Recommends too, apt's default) and what it
# depends on; then the installed commands must work with nothing else:
# every program's --version, `man vggfeat` and `man 5 vggfeat` (man-db
# installed for it: minbase has none), the bash completion, glyph images
# rendered by vggdata, their features by vggfeat extract with the installed
# net, SVMs by vggsvm train/predict/eval, the default models folder named
# in vggfeat's message, vggfeat-quickstart (QUICK=1), and the Python
# bindings where the package has them.  The packages apt brought in go to
# /root/deb-packages.txt; none may be a compiler or a -dev package.
set -eu
deb=${1:?usage: deb_check.sh PACKAGE.deb}
export DEBIAN_FRONTEND=noninteractive
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
step() {
    printf '\n== %s\n' "$*"
}

step "the tree: no source, no compiler"
[ ! -e /root/vggfeat ] || fail "/root/vggfeat exists: this tree must not have the source"
for p in cc gcc cmake; do
    ! command -v "$p" >/dev/null 2>&1 || fail "$p is installed before the package"
done

# Docker-style images drop /usr/share/man (path-exclude in
# /etc/dpkg/dpkg.cfg.d/); a desktop does not.  Say whether this tree does,
# and undo it so that the man pages land.
if grep -rsl 'path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/; then
    echo "note: dpkg excludes /usr/share/man here (the files above); removing that exclusion"
    for f in $(grep -rsl 'path-exclude.*/usr/share/man' /etc/dpkg/dpkg.cfg.d/); do
        sed -i '/path-exclude.*\/usr\/share\/man/d' "$f"
    done
else
    echo "note: dpkg excludes nothing of /usr/share/man here (/etc/dpkg/dpkg.cfg.d: $(ls /etc/dpkg/dpkg.cfg.d 2>/dev/null | tr '\n' ' '))"
fi

step "apt-get install ./$deb"
apt-get update -q
dpkg-query -W -f='${Package}\n' | sort >/root/before.txt
apt-get install -y -q "./$deb"
dpkg-query -W -f='${Package}\n' | sort >/root/after.txt
comm -13 /root/before.txt /root/after.txt >/root/deb-packages.txt
echo "apt brought in $(wc -l </root/deb-packages.txt) packages ($(du -sm /usr | cut -f1) MB in /usr now):"
tr '\n' ' ' </root/deb-packages.txt
echo
bad=$(grep -E '^(gcc|gcc-[0-9]+|cpp|cpp-[0-9]+|g\+\+|cmake|make|build-essential|dpkg-dev|.*-dev)$' \
    /root/deb-packages.txt || true)
[ -z "$bad" ] || fail "apt installed build packages: $bad"
dpkg -s vggfeat | grep -q '^Status: install ok installed' || fail "vggfeat is not installed"

step "--version"
for p in vggfeat vggsvm vggtrain vggdata; do
    out=$($p --version) || { fail "$p --version exited non-zero"; continue; }
    printf '%s\n' "$out"
    printf '%s\n' "$out" | head -n 1 | grep -Eq "^$p [0-9]+\.[0-9]+\.[0-9]+$" || fail "$p --version: $out"
    printf '%s\n' "$out" | grep -qx 'data: /usr/share/vggfeat' || fail "$p --version does not name /usr/share/vggfeat"
done
vggfeat-quickstart --version || fail "vggfeat-quickstart --version"

step "man vggfeat (man-db installed for it)"
apt-get install -y -q man-db
for m in vggfeat vggsvm vggtrain vggdata vggfeat-quickstart; do
    [ -f "/usr/share/man/man1/$m.1.gz" ] || fail "/usr/share/man/man1/$m.1.gz is missing"
done
MANWIDTH=80 man -P cat vggfeat >/root/man1.txt 2>/root/man1.err || fail "man vggfeat exited non-zero: $(cat /root/man1.err)"
head -n 12 /root/man1.txt
grep -q 'vggfeat extract' /root/man1.txt && grep -q -- '--scales' /root/man1.txt ||
    fail "man vggfeat does not show vggfeat extract and its options"
MANWIDTH=80 man -P cat 5 vggfeat >/root/man5.txt 2>&1 || fail "man 5 vggfeat exited non-zero"
grep -q 'data_offset' /root/man5.txt || fail "man 5 vggfeat does not show the store's layout"
[ ! -s /root/man1.err ] || { cat /root/man1.err; fail "man vggfeat warned"; }

step "bash completion"
for p in vggfeat vggsvm vggtrain vggdata; do
    bash -c ". /usr/share/bash-completion/completions/$p && complete -p $p" || fail "completion of $p"
done

step "vggdata glyphs -> vggfeat extract -> vggsvm train, predict, eval"
rm -rf /tmp/work
mkdir -p /tmp/work
cd /tmp/work
net=$(ls /usr/share/vggfeat/models/glyphs-D-*.safetensors | head -n 1)
if vggdata glyphs --range AC00-D7A3 --classes 4 --per-class 12 --seed 3 -o glyphs &&
   vggfeat extract --net "$net" --scales 32,48 --threads 2 --list glyphs/list.txt -o g.vggf &&
   vggfeat info g.vggf &&
   vggsvm train --features g.vggf --holdout 0.25 -o svm.model &&
   vggsvm predict --model svm.model --features g.vggf -o scores.tsv &&
   vggsvm eval --scores scores.tsv --features g.vggf; then
    [ "$(vggfeat info g.vggf | grep -c .)" -gt 0 ] || fail "vggfeat info g.vggf printed nothing"
else
    fail "glyphs -> extract -> train -> predict -> eval"
fi

step "the default models folder: /usr/share/vggfeat/models"
if vggfeat extract --net D --scales 32 --list glyphs/list.txt -o none.vggf >err 2>&1; then
    fail "extract --net D succeeded without vgg16.safetensors"
fi
cat err
grep -q '/usr/share/vggfeat/models/vgg16.safetensors' err ||
    fail "the missing net's message does not name /usr/share/vggfeat/models/vgg16.safetensors"

step "vggfeat-quickstart (QUICK=1)"
if QUICK=1 THREADS=1 vggfeat-quickstart /tmp/qs >/tmp/qs.log 2>&1; then
    tail -n 12 /tmp/qs.log
    grep -q 'quickstart: done in .*; outputs in /tmp/qs' /tmp/qs.log || fail "the quickstart's closing line"
    grep -q 'pretrained net: using /usr/share/vggfeat/models/' /tmp/qs.log || fail "the quickstart's nets"
else
    tail -n 30 /tmp/qs.log
    fail "vggfeat-quickstart exited non-zero"
fi

step "python3 -c 'import vggfeat' (where the package has the bindings)"
if dpkg -L vggfeat | grep -q '/vggfeat/__init__.py$'; then
    vggfeat export g.vggf --format npy -o g.npy
    if python3 - <<'EOF'
import glob
import numpy as np
import vggfeat
s = vggfeat.Store("g.vggf")
x = np.load("g.npy")
assert np.array_equal(np.asarray(s.rows), x), "Store.rows differ from vggfeat export --format npy"
names = list(s.names)
net = sorted(glob.glob("/usr/share/vggfeat/models/glyphs-D-*.safetensors"))[0]
with vggfeat.Extractor(nets=net, scales=(32, 48), threads=2) as e:
    rows = e.describe(names[:5])
assert rows.tobytes() == x[:5].tobytes(), "Extractor rows differ from vggfeat extract's"
print("python3: vggfeat.Store and vggfeat.Extractor agree with vggfeat (%d rows, dim %d)" % x.shape)
EOF
    then :; else fail "the Python bindings"; fi
else
    echo "note: this package has no Python bindings (python/vggfeat is not in its tree)"
fi

if [ "$fails" -ne 0 ]; then
    printf '\n%s check(s) failed\n' "$fails"
    exit 1
fi
printf '\nthe package installs and runs in a tree without the source\n'
