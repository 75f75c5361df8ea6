#!/bin/sh
# `cmake --install BUILD --prefix P` into a new folder, then the installed
# programs run from there, finding their data relative to themselves:
#   - P/bin has vggfeat, vggsvm, vggtrain, vggdata and vggfeat-quickstart;
#     each program's --version says "NAME VERSION" (CMake's project version)
#     and names P/share/vggfeat as its data, also when run through a link
#     from elsewhere and after P is moved (nothing of P is written into
#     the programs);
#   - the quickstart's nets (their SHA-256 files agree) and scripts are
#     under P/share/vggfeat; the man pages (man1: the five commands, man5:
#     vggfeat) and the bash completion files are where man and
#     bash-completion look, and load;
#   - an installed vggfeat with no ./models and no $VGGFEAT_MODELS takes
#     --net D from P/share/vggfeat/models (its rows equal --net FILE's), and
#     says that folder when the file is missing there;
#   - vggfeat-quickstart runs the quickstart (QUICK=1) from P alone: the
#     programs on PATH are not used, the source tree is not read;
# MODE lib, where the tree builds libvggfeat (LIB=1): the library,
# vgg/vggfeat.h and vggfeat.pc under P, a program built with
# `pkg-config --cflags --libs vggfeat` against them, and the Python package
# installed under P, whose Store reads a store as `vggfeat export --format
# npy` writes it and whose Extractor, loaded from P's library, finds P's
# models folder as the program does.  Without libvggfeat in the tree
# (LIB=0) MODE lib says so and exits 77 (skipped).  A sanitizer build
# passes its flags (CFLAGS) for the program built against the library;
# Python cannot load such a library (its runtime must come first), so
# there the Python part is left out, saying so.
#
#   sh tests/test_install.sh programs|lib BUILD_DIR SOURCE_DIR VERSION WORK_DIR LIB PYTHON [CFLAGS]
# ($CMAKE: the cmake that installs, default cmake on PATH)
set -eu
mode=$1
build=$2
source=$3
version=$4
work=$5
lib=$6
python=${7:-python3}
cflags=${8:-}
if [ "$mode" = lib ] && [ "$lib" != 1 ]; then
    echo "skipped: this tree has no libvggfeat target (no library, vggfeat.pc or Python package to install)"
    exit 77
fi

rm -rf "$work"
mkdir -p "$work"
work=$(cd "$work" && pwd)
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# ---- MODE lib: the library, its header, vggfeat.pc and the Python package ---------
lib_checks() {
    P=$(cd "$prefix" && pwd -P)
    so=$(find "$P" -name 'libvggfeat.so.*' | head -n 1)
    [ -n "$so" ] || fail "no libvggfeat.so.* under $P"
    [ -f "$P/include/vgg/vggfeat.h" ] || fail "$P/include/vgg/vggfeat.h is not installed"
    pc=$(find "$P" -name vggfeat.pc | head -n 1)
    if [ -z "$pc" ]; then
        fail "no vggfeat.pc under $P"
    else
        printf '#include <vgg/vggfeat.h>\nint main(void) { return 0; }\n' >"$work/pc.c"
        # shellcheck disable=SC2046,SC2086
        if ! cc $cflags "$work/pc.c" -o "$work/pc" \
                $(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs vggfeat) \
                >"$work/pc.log" 2>&1; then
            cat "$work/pc.log"
            fail "a program built with pkg-config --cflags --libs vggfeat (PKG_CONFIG_PATH=$(dirname "$pc"))"
        fi
    fi
    init=$(find "$P" -path '*/vggfeat/__init__.py' | head -n 1)
    if [ -z "$init" ]; then
        fail "no Python package vggfeat under $P"
    elif [ -n "$cflags" ]; then
        echo "note: a sanitizer build ($cflags): Python cannot load its library; the Python package was not run"
    elif ! "$python" -c 'import numpy' 2>/dev/null; then
        echo "note: $python lacks numpy: the Python package was not run"
    else
        # a store by the installed program with the net named by its file;
        # then the rows from Python, through P's library, the net named D
        # and found in P's models folder (by the library's own location)
        cp "$net" "$data/models/vgg16.safetensors"
        (
            cd "$work/run"
            unset VGGFEAT_MODELS VGGFEAT_LIB
            "$P/bin/vggfeat" extract --net "$net" --scales 32 --threads 1 --quiet -o d.vggf imgs
            "$P/bin/vggfeat" export d.vggf --format npy -o d.npy
            PYTHONPATH=$(dirname "$(dirname "$init")") "$python" - <<'EOT'
import numpy as np, vggfeat
s = vggfeat.Store("d.vggf")
x = np.load("d.npy")
assert np.array_equal(np.asarray(s.rows), x), "Store.rows differ from export --format npy"
paths = list(s.names)
with vggfeat.Extractor(nets="D", scales=(32,), threads=1) as e:
    rows = e.describe(paths)
assert rows.tobytes() == x.tobytes(), "Extractor rows (installed models folder) differ from extract's"
print("python: Store and Extractor of the installed prefix agree with vggfeat")
EOT
        ) >"$work/python.log" 2>&1 || { cat "$work/python.log"; fail "the installed Python package"; }
    fi
    if [ "$fails" -ne 0 ]; then
        echo "$fails check(s) failed"
        exit 1
    fi
    echo "install: libvggfeat, vggfeat.h, vggfeat.pc and the Python package under the prefix"
}

prefix=$work/prefix
if ! "${CMAKE:-cmake}" --install "$build" --prefix "$prefix" >"$work/install.log" 2>&1; then
    cat "$work/install.log"
    echo "FAIL: cmake --install $build --prefix $prefix"
    exit 1
fi
data=$(cd "$prefix" && pwd -P)/share/vggfeat
mkdir -p "$work/run/imgs"
cp "$source"/tests/fixtures/extract/imgs/*.png "$work/run/imgs/"
net=$(ls "$data"/models/glyphs-D-*.safetensors 2>/dev/null | head -n 1)

if [ "$mode" = lib ]; then
    [ -n "$net" ] || { echo "FAIL: no glyphs-D net in $data/models"; exit 1; }
    lib_checks
    exit
fi

# ---- programs and --version ------------------------------------------------
check_version() {   # PROGRAM_PATH NAME DATA
    out=$("$1" --version 2>&1) || { fail "$1 --version exited non-zero: $out"; return; }
    first=$(printf '%s\n' "$out" | head -n 1)
    [ "$first" = "$2 $version" ] || fail "$1 --version: '$first', expected '$2 $version'"
    printf '%s\n' "$out" | grep -q '^build: .*oneDNN.*CUDA' || fail "$1 --version has no build line: $out"
    printf '%s\n' "$out" | grep -qx "data: $3" || fail "$1 --version does not name its data $3: $out"
}
for p in vggfeat vggsvm vggtrain vggdata; do
    if [ ! -x "$prefix/bin/$p" ]; then
        fail "$prefix/bin/$p is not installed"
        continue
    fi
    check_version "$prefix/bin/$p" "$p" "$data"
done
[ -x "$prefix/bin/vggfeat-quickstart" ] || fail "$prefix/bin/vggfeat-quickstart is not installed"
"$prefix/bin/vggfeat-quickstart" --version | grep -qx "vggfeat-quickstart $version" ||
    fail "vggfeat-quickstart --version"
# through a link from another folder
mkdir -p "$work/links"
ln -s "$prefix/bin/vggfeat" "$work/links/vggfeat"
check_version "$work/links/vggfeat" vggfeat "$data"

# ---- data, man pages, completion ----------------------------------------------
for f in pipelines/quickstart.sh pipelines/lib.sh pipelines/pretrain_glyphs.sh; do
    [ -f "$data/$f" ] || fail "$data/$f is not installed"
done
n=0
for f in "$data"/models/*.safetensors; do
    [ -f "$f" ] || continue
    n=$((n + 1))
    (cd "$data/models" && sha256sum --quiet -c "$(basename "$f").sha256") ||
        fail "$f does not match its .sha256"
done
[ "$n" = 2 ] || fail "$data/models holds $n nets, expected the quickstart's two"
for m in man1/vggfeat.1 man1/vggsvm.1 man1/vggtrain.1 man1/vggdata.1 man1/vggfeat-quickstart.1 \
         man5/vggfeat.5; do
    f=$prefix/share/man/$m.gz
    if [ ! -f "$f" ]; then
        fail "$f is not installed"
        continue
    fi
    name=$(basename "$m" | sed 's/\.[15]$//' | tr 'a-z' 'A-Z')
    gzip -dc "$f" | grep -q "^\.TH $name ${m##*.} " || fail "$f: no .TH $name line"
done
if command -v man >/dev/null 2>&1; then
    MANPATH=$prefix/share/man man -w vggfeat 2>/dev/null | grep -qx "$prefix/share/man/man1/vggfeat.1.gz" ||
        fail "man -w vggfeat with MANPATH=$prefix/share/man does not find the installed page"
    MANPATH=$prefix/share/man MANWIDTH=80 man -P cat 5 vggfeat 2>/dev/null | grep -q "data_offset" ||
        fail "man 5 vggfeat does not show the store's layout"
fi
for p in vggfeat vggsvm vggtrain vggdata; do
    f=$prefix/share/bash-completion/completions/$p
    if [ ! -f "$f" ]; then
        fail "$f is not installed"
        continue
    fi
    bash -c ". '$f' && complete -p $p" 2>&1 | grep -q -- "-F _$p $p" || fail "$f does not load"
done

# ---- the default models folder of an installed vggfeat --------------------------
if [ -n "$net" ]; then
    (
        cd "$work/run"
        unset VGGFEAT_MODELS
        # no vgg16.safetensors there yet: the message names the installed folder
        if "$prefix/bin/vggfeat" extract --net D --scales 32 --quiet -o none.vggf imgs >err 2>&1; then
            echo "FAIL: extract --net D succeeded with no weights"
        fi
        grep -q "$data/models/vgg16.safetensors" err ||
            { echo "FAIL: the missing net's message does not name $data/models:"; cat err; }
    ) | grep FAIL && fails=$((fails + 1))
    cp "$net" "$data/models/vgg16.safetensors"
    (
        cd "$work/run"
        unset VGGFEAT_MODELS
        "$prefix/bin/vggfeat" extract --net D --scales 32 --threads 1 --quiet -o d.vggf imgs &&
            "$prefix/bin/vggfeat" extract --net "$net" --scales 32 --threads 1 --quiet -o file.vggf imgs &&
            "$prefix/bin/vggfeat" export d.vggf --format npy -o d.npy &&
            "$prefix/bin/vggfeat" export file.vggf --format npy -o file.npy &&
            cmp -s d.npy file.npy
    ) >"$work/run/log" 2>&1 || { cat "$work/run/log"; fail "extract --net D from the installed models folder"; }
else
    fail "no glyphs-D net in $data/models"
fi

# ---- moved: the same programs from another prefix --------------------------------
mv "$prefix" "$work/moved"
moved=$(cd "$work/moved" && pwd -P)
check_version "$work/moved/bin/vggfeat" vggfeat "$moved/share/vggfeat"
[ ! -e "$prefix" ] || fail "$prefix still exists after the move"

# ---- the installed quickstart, from the moved prefix alone --------------------------
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] ||
   ! command -v jq >/dev/null 2>&1; then
    echo "note: the installed quickstart was not run (dataset-fashion-mnist or jq missing)"
else
    # a PATH without the build's programs, the source tree out of reach
    if (cd "$work" && env -i HOME="$work" PATH=/usr/bin:/bin LANG=C.UTF-8 QUICK=1 THREADS=1 \
            "$work/moved/bin/vggfeat-quickstart" "$work/qs") >"$work/qs.log" 2>&1; then
        grep -q "quickstart: done in .*; outputs in $work/qs" "$work/qs.log" ||
            fail "the installed quickstart did not print its closing line"
        grep -q "pretrained net: using $moved/share/vggfeat/models/glyphs-D-" "$work/qs.log" ||
            fail "the installed quickstart did not use the installed nets"
        jq -e '.targets.hangul.mean_class_recall.pretrained | length == 3' "$work/qs/summary.json" \
            >/dev/null || fail "the installed quickstart's summary.json"
        if grep -q -e "$source/pipelines" -e "$build/bin" "$work/qs.log" "$work/qs/summary.json"; then
            fail "the installed quickstart names the source tree's scripts or programs"
        fi
    else
        tail -30 "$work/qs.log"
        fail "the installed quickstart (QUICK=1) exited non-zero"
    fi
fi

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "install: programs, data, man pages and completion found relative to the prefix"
