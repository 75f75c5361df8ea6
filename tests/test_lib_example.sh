#!/bin/sh
# examples/describe.c against libvggfeat, twice: as CMake builds it in the
# tree (example_describe), and compiled here against a copy installed with
#   cmake --install BUILD --prefix TMP --component libvggfeat
# through `cc $(pkg-config --cflags --libs vggfeat)` alone, which proves
# the installed header, library and vggfeat.pc.  Each one's rows must be
# byte for byte those of `vggfeat extract` on the same images (a tiny
# VGG-16 in a models folder, tests/extract_ref.py).
#
#   sh tests/test_lib_example.sh BUILD SOURCE LIBDIR VERSION CC PYTHON [CFLAGS]
#
# Exit 0 pass, 1 fail, 77 skip (no numpy to make the net).
set -eu

build=$1 src=$2 libdir=$3 version=$4 cc=$5 python=$6 cflags=${7:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/vgg_lib_example.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

cd "$work"
if ! "$python" "$src/tests/extract_ref.py" nets nets >nets.log 2>&1; then
    cat nets.log
    echo "skipped: the test net could not be made"
    exit 77
fi
mkdir models
cp nets/netD.safetensors models/vgg16.safetensors
cp -r "$src/tests/fixtures/extract/imgs" imgs
set -- imgs/a.png imgs/d.jpg imgs/sub/e.png imgs/sub/f.jpg

# the reference rows: vggfeat extract, exported as npy (float32, after a header)
"$build/bin/vggfeat" extract --quiet --models models -o ref.vggf "$@"
"$build/bin/vggfeat" export ref.vggf --format npy -o ref.npy >/dev/null

# same_rows ROWS: ROWS is the data of ref.npy, byte for byte
same_rows() {
    n=$(wc -c < "$1")
    [ "$n" -gt 0 ] && [ "$n" -eq $((4 * 32 * 4)) ] && tail -c "$n" ref.npy | cmp -s - "$1"
}

# 1. the example as CMake builds it
if "$build/bin/example_describe" models rows_tree.f32 "$@"; then
    same_rows rows_tree.f32 || fail "the in-tree example's rows are not vggfeat extract's"
else
    fail "the in-tree example failed"
fi

# 2. installed, then compiled with pkg-config alone
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" --component libvggfeat >install.log ||
    { cat install.log; fail "cmake --install --component libvggfeat failed"; }
for f in include/vgg/vggfeat.h "$libdir/libvggfeat.so.0" "$libdir/libvggfeat.so" \
         "$libdir/pkgconfig/vggfeat.pc"; do
    [ -e "$prefix/$f" ] || fail "not installed: $f"
done
export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
got=$(pkg-config --modversion vggfeat) || fail "pkg-config does not know vggfeat"
[ "$got" = "$version" ] || fail "pkg-config says version '$got', not $version"
flags=$(pkg-config --cflags --libs vggfeat)
case $flags in
    *"-I$prefix/include"*"-L$prefix/$libdir"*) ;;
    *) fail "pkg-config flags '$flags' do not name the prefix $prefix" ;;
esac
# shellcheck disable=SC2086 # the flags are words
if "$cc" $cflags -o describe "$src/examples/describe.c" $flags; then
    # the installed copy, not the build tree's
    LD_LIBRARY_PATH="$prefix/$libdir" ldd ./describe | grep -q "$prefix/$libdir/libvggfeat.so.0" ||
        fail "the example does not load the installed library"
    if LD_LIBRARY_PATH="$prefix/$libdir" ./describe models rows_installed.f32 "$@"; then
        same_rows rows_installed.f32 ||
            fail "the installed example's rows are not vggfeat extract's"
    else
        fail "the installed example failed"
    fi
    # its errors: the library's message naming the file, exit 1
    if LD_LIBRARY_PATH="$prefix/$libdir" ./describe models x.f32 imgs/nothere.png 2>err.txt; then
        fail "a missing image did not fail"
    fi
    grep -q "'imgs/nothere.png'" err.txt || fail "the message does not name the file: $(cat err.txt)"
else
    fail "examples/describe.c does not build with \$(pkg-config --cflags --libs vggfeat)"
fi

if [ "$fails" -eq 0 ]; then
    echo "1 passed, 0 failed"
    exit 0
fi
echo "0 passed, $fails failed"
exit 1
