#!/bin/sh
# pipelines/pretrain_glyphs.sh on its cut-down setting (QUICK=1, 40
# classes x 10 renders, one epoch), run twice into two folders: the same
# seed and threads give the same bytes, and the .sha256 beside the net is
# the digest of those bytes; a configuration other than D or E is a usage
# error.
#   test_pretrain_glyphs.sh BIN_DIR WORK_DIR
set -eu
bin=$1
work=$2
here=$(cd "$(dirname "$0")/.." && pwd)
rm -rf "$work"
mkdir -p "$work"
fail=0
check() {
    if ! eval "$1"; then
        echo "FAIL: $2"
        fail=1
    fi
}
for run in a b; do
    QUICK=1 SKIP_SETUP=1 VGG_BIN=$bin sh "$here/pipelines/pretrain_glyphs.sh" "$work/$run" \
        >"$work/$run.log" 2>&1 || { cat "$work/$run.log"; echo "FAIL: run $run exited non-zero"; exit 1; }
done
net_a=$(ls "$work"/a/glyphs-D-BN-*.safetensors)
net_b=$(ls "$work"/b/glyphs-D-BN-*.safetensors)
check '[ "$(basename "$net_a")" = "$(basename "$net_b")" ]' "both runs name the net by the same settings"
check 'cmp -s "$net_a" "$net_b"' "the same seed and threads give the same bytes"
check '(cd "$work/a" && sha256sum --quiet -c "$(basename "$net_a").sha256")' "the .sha256 is the net's digest"
check 'grep -q "SHA-256: $(sha256sum "$net_a" | cut -d" " -f1)" "$work/a.log"' "the digest is printed"
# a rerun finds the net trained
QUICK=1 SKIP_SETUP=1 VGG_BIN=$bin sh "$here/pipelines/pretrain_glyphs.sh" "$work/a" >"$work/a2.log" 2>&1
check 'grep -q "already trained" "$work/a2.log" && ! grep -q "^iter " "$work/a2.log"' "a rerun trains nothing"
rc=0
CONFIG=A QUICK=1 SKIP_SETUP=1 VGG_BIN=$bin sh "$here/pipelines/pretrain_glyphs.sh" "$work/c" \
    >"$work/c.log" 2>&1 || rc=$?
check '[ "$rc" = 2 ] && grep -q "CONFIG=A: D or E" "$work/c.log"' "CONFIG=A is a usage error"
if [ "$fail" = 0 ]; then
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
    exit 1
fi
