#!/bin/sh
# The quickstart end to end on its cut-down setting (QUICK=1): it must
# finish, print its table, and leave features, models, metrics and the
# confusion matrix pictures in the folder it names; and the table must be
# what an independent recomputation from its stores and models gives
# (tests/recompute_metrics.py: scores as X.w with numpy, predictions by
# liblinear-predict, recalls and mean +- std recomputed).
#   test_quickstart.sh BIN_DIR WORK_DIR PYTHON
set -eu
bin=$1
work=$2
python=${3:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -f /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    echo "skipped: dataset-fashion-mnist is not installed"
    exit 77
fi
command -v jq >/dev/null 2>&1 || { echo "skipped: jq is not installed"; exit 77; }
"$python" -c 'import numpy' 2>/dev/null || { echo "skipped: $python lacks numpy (python3-numpy)"; exit 77; }
rm -rf "$work"
mkdir -p "$work"
fail=0
check() {
    if ! eval "$1"; then
        echo "FAIL: $2"
        fail=1
    fi
}

QUICK=1 SKIP_SETUP=1 THREADS=1 VGG_BIN=$bin MODELS=$work/models \
    sh "$here/pipelines/quickstart.sh" "$work/out" >"$work/log" 2>&1 || {
    cat "$work/log"
    echo "FAIL: quickstart exited non-zero"
    exit 1
}
out=$work/out
check 'grep -q "quickstart: done in .*; outputs in $out" "$work/log"' "closing line names the folder"
check 'grep -q "pretrained D/8" "$work/log" && grep -q "control: raw pixels" "$work/log" && grep -q "control: same net, random weights" "$work/log"' "table rows"
for kind in pretrained random pixels; do
    check '[ -s "$out/features/$kind.vggf" ]' "$kind features"
    for k in 1 2 3; do
        d=$out/svm/$kind/split$k
        check '[ -s "$d/svm.model" ] && [ -s "$d/svm.model.json" ] && [ -s "$d/scores.tsv" ]' "$kind split $k model and scores"
        check 'grep -q "<svg" "$d/confusion.svg"' "$kind split $k confusion picture"
        check 'jq -e ".mean_class_recall >= 0 and .mean_class_recall <= 1" "$d/metrics.json" >/dev/null' "$kind split $k recall in range"
    done
done
check 'ls "$work"/models/fmnist-source-*.safetensors >/dev/null 2>&1' "pretrained net kept in models/"
check 'jq -e ".mean_class_recall.pretrained | length == 3" "$out/summary.json" >/dev/null' "summary.json"
# 5 target classes, 8 test images each, every split
check '[ "$(jq ".classes | length" "$out/svm/pretrained/split1/metrics.json")" = 5 ]' "five target classes"
check '[ "$(jq ".images" "$out/svm/pretrained/split1/metrics.json")" = 40 ]' "40 test images per split"
# the printed table, recomputed from the stores and models
if ! "$python" "$here/tests/recompute_metrics.py" quickstart "$out" "$bin" <"$work/log" >"$work/recompute.log" 2>&1; then
    cat "$work/recompute.log"
    echo "FAIL: the quickstart's table differs from the recomputation from its stores"
    fail=1
fi

# a rerun finds everything done and reuses the pretrained net
QUICK=1 SKIP_SETUP=1 THREADS=1 VGG_BIN=$bin MODELS=$work/models \
    sh "$here/pipelines/quickstart.sh" "$work/out" >"$work/log2" 2>&1 || { cat "$work/log2"; fail=1; }
check 'grep -q "pretrained net: using" "$work/log2"' "rerun reuses the pretrained net"
check '! grep -q "pretraining:" "$work/log2"' "rerun does not pretrain again"

if [ "$fail" = 0 ]; then
    echo "1 passed, 0 failed"
else
    echo "0 passed, 1 failed"
    exit 1
fi
