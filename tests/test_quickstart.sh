#!/bin/sh
# The quickstart end to end on its cut-down setting (QUICK=1, with the
# pretrained net committed in pipelines/models/): it must finish, print its
# table, and leave features, models, metrics and the confusion matrix
# pictures in the folder it names; and the table must be
# what an independent recomputation from its stores and models gives
# (tests/recompute_metrics.py: scores as X.w with numpy, predictions by
# liblinear-predict, recalls and mean +- std recomputed).
#   test_quickstart.sh BIN_DIR WORK_DIR PYTHON
set -eu
bin=$1
work=$2
python=${3:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
# a missing dependency: skipped (77), a failure where VGG_REQUIRE_REFERENCES=1
missing() {
    if [ "${VGG_REQUIRE_REFERENCES:-}" = 1 ]; then
        echo "FAIL: $1 is missing, and VGG_REQUIRE_REFERENCES=1 says everything the tests use is installed here"
        exit 1
    fi
    echo "skipped: $1 is missing (sh pipelines/setup.sh --tests installs it)"
    exit 77
}
[ -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ] || missing "dataset-fashion-mnist"
command -v jq >/dev/null 2>&1 || missing "jq"
"$python" -c 'import numpy' 2>/dev/null || missing "numpy for $python (python3-numpy)"
rm -rf "$work"
mkdir -p "$work"
fail=0
check() {
    if ! eval "$1"; then
        echo "FAIL: $2"
        fail=1
    fi
}

QUICK=1 SKIP_SETUP=1 THREADS=1 VGG_BIN=$bin \
    sh "$here/pipelines/quickstart.sh" "$work/out" >"$work/log" 2>&1 || {
    cat "$work/log"
    echo "FAIL: quickstart exited non-zero"
    exit 1
}
out=$work/out
check 'grep -q "quickstart: done in .*; outputs in $out" "$work/log"' "closing line names the folder"
check 'grep -q "pretrained D-BN/8" "$work/log" && grep -q "D-BN/8 & E-BN/8 stacked, L2 per net" "$work/log" && grep -q "control: raw pixels" "$work/log" && grep -q "control: same net, random weights" "$work/log"' "table rows"
check 'grep -q "SHA-256 checked" "$work/log"' "the committed net is used after its digest is checked"
for t in hangul fmnist; do
    for kind in pretrained de-final de-per-net random pixels; do
        check '[ -s "$out/features/$t/$kind.vggf" ]' "$t $kind features"
        for k in 1 2 3; do
            d=$out/svm/$t/$kind/split$k
            check '[ -s "$d/svm.model" ] && [ -s "$d/svm.model.json" ] && [ -s "$d/scores.tsv" ]' "$t $kind split $k model and scores"
            check 'grep -q "<svg" "$d/confusion.svg"' "$t $kind split $k confusion picture"
            check 'jq -e ".mean_class_recall >= 0 and .mean_class_recall <= 1" "$d/metrics.json" >/dev/null' "$t $kind split $k recall in range"
        done
    done
    check 'jq -e ".targets.$t.mean_class_recall.pretrained | length == 3" "$out/summary.json" >/dev/null' "summary.json: $t"
done
check 'jq -e ".net_e | endswith(\".safetensors\")" "$out/summary.json" >/dev/null' "summary.json names the E net"
check 'jq -e ".net | endswith(\".safetensors\")" "$out/summary.json" >/dev/null && jq -e ".scales == [32,48]" "$out/summary.json" >/dev/null' "summary.json names the net and the scales"
# QUICK: 10 Hangul classes and the 10 Fashion-MNIST classes, 8 test images each
check '[ "$(jq ".classes | length" "$out/svm/hangul/pretrained/split1/metrics.json")" = 10 ]' "ten Hangul classes"
check '[ "$(jq ".images" "$out/svm/hangul/pretrained/split1/metrics.json")" = 80 ]' "80 Hangul test images per split"
check '[ "$(jq ".classes | length" "$out/svm/fmnist/pretrained/split1/metrics.json")" = 10 ]' "ten Fashion-MNIST classes"
# the near target shares no character with the source (the committed net's classes)
check '! grep -q "^U+[4-9]" "$out/splits/hangul/classes.txt" && grep -q "^U+[A-D]" "$out/splits/hangul/classes.txt"' "Hangul classes only"
# a damaged copy of the net is refused before anything runs on it
mkdir -p "$work/bad"
cp "$here"/pipelines/models/glyphs-*.safetensors "$here"/pipelines/models/glyphs-*.sha256 "$work/bad/"
for f in "$work"/bad/*.safetensors; do
    printf 'x' | dd of="$f" bs=1 seek=5000 conv=notrunc 2>/dev/null
done
if QUICK=1 SKIP_SETUP=1 VGG_BIN=$bin MODELS=$work/bad \
    sh "$here/pipelines/quickstart.sh" "$work/bad-out" >"$work/log-bad" 2>&1; then
    echo "FAIL: the quickstart ran on a net that does not match its SHA-256"
    fail=1
fi
check 'grep -q "does not match its SHA-256" "$work/log-bad" && [ ! -d "$work/bad-out/features" ]' "a damaged net is refused, naming the digest"
# the printed table, recomputed from the stores and models
if ! "$python" "$here/tests/recompute_metrics.py" quickstart "$out" "$bin" <"$work/log" >"$work/recompute.log" 2>&1; then
    cat "$work/recompute.log"
    echo "FAIL: the quickstart's table differs from the recomputation from its stores"
    fail=1
fi

# a rerun finds everything done
QUICK=1 SKIP_SETUP=1 THREADS=1 VGG_BIN=$bin \
    sh "$here/pipelines/quickstart.sh" "$work/out" >"$work/log2" 2>&1 || { cat "$work/log2"; fail=1; }
check 'grep -q "done already" "$work/log2" && ! grep -v "done already" "$work/log2" | grep -q "SVMs (C of"' "a rerun redoes nothing"

if [ "$fail" = 0 ]; then
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
    exit 1
fi
