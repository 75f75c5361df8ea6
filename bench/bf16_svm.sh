#!/bin/sh
# What --precision bf16 (or int8) does to an SVM result: the same images
# extracted in fp32 and in bf16 on the cpu device, SVMs trained on the
# first half (C by 5-fold cross-validation) and evaluated on the second,
# the metric lines printed one above the other.  PRECISIONS="fp32 int8"
# compares int8 instead (default "fp32 bf16").
#   sh bench/bf16_svm.sh NET LIST [N] [SCALES]
# NET: a weights file; LIST: "path<TAB>label" lines (e.g. a Fashion-MNIST
# list made by pipelines/quickstart.sh); N: images used (default 2000,
# the first N/2 train, the rest test); SCALES (default 32,64).
# BUILD_DIR (default build), THREADS (2), WORK (default a new temporary
# directory).
set -eu
[ $# -ge 2 ] || { echo "usage: sh bench/bf16_svm.sh NET LIST [N] [SCALES]" >&2; exit 2; }
net=$1 list=$2 n=${3:-2000} scales=${4:-32,64}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/${BUILD_DIR:-build}/bin
work=${WORK:-$(mktemp -d)}
head -n "$n" "$list" >"$work/all.list"
half=$(( $(wc -l <"$work/all.list") / 2 ))
head -n "$half" "$work/all.list" >"$work/train.list"
tail -n +"$((half + 1))" "$work/all.list" >"$work/test.list"
for p in ${PRECISIONS:-fp32 bf16}; do
    rm -f "$work/$p.vggf"
    "$bin/vggfeat" extract --net "$net" --scales "$scales" --threads "${THREADS:-2}" --quiet \
        --precision "$p" --list "$work/all.list" -o "$work/$p.vggf"
    "$bin/vggdata" subset "$work/$p.vggf" --list "$work/train.list" -o "$work/$p-train.vggf"
    "$bin/vggdata" subset "$work/$p.vggf" --list "$work/test.list" -o "$work/$p-test.vggf"
    "$bin/vggsvm" train --features "$work/$p-train.vggf" --cv 5 -q -o "$work/$p.model"
    "$bin/vggsvm" predict --model "$work/$p.model" --features "$work/$p-test.vggf" \
        -o "$work/$p-scores.tsv"
    "$bin/vggsvm" eval --scores "$work/$p-scores.tsv" --features "$work/$p-test.vggf" --json \
        >"$work/$p-metrics.json"
    printf '%s: ' "$p"
    tr -d ' \n' <"$work/$p-metrics.json" | grep -o '"accuracy":[^,]*,\|"mean_class_recall":[^,]*,\|"map_voc07":[^,]*,' | tr -d '\n'
    echo
done
echo "(files in $work)"
