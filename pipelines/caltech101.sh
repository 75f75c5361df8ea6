#!/bin/sh
# The paper's Caltech-101 experiment (appendix B) on your copy of the dataset:
# 3 seeded random splits of 30 training and up to 50 test images per class
# (102 classes, BACKGROUND_Google included), Net-D and Net-E descriptors at
# Q = 256, 384, 512 stacked, with flips, L2-normalised; one-vs-rest linear
# SVMs with C chosen on a held-out 20% of each training split; mean class
# recall, mean ± std over the splits, beside the paper's number.
#
#   sh pipelines/caltech101.sh DATASET_DIR [--models DIR] [--net D,E] [--out DIR]
#
# DATASET_DIR holds 101_ObjectCategories/ (or is that folder).  Weights:
# --models DIR with vgg16.safetensors (D) and vgg19.safetensors (E), as
# vggfeat extract finds them (default $VGGFEAT_MODELS, else ./models); --net
# takes letters or weight files, comma-separated.
#
# Options (and the environment variables that set them too):
#   --out DIR        outputs (OUT; default runs/caltech101)
#   --splits K       random splits (SPLITS; 3)          --seed S  (SEED; 1)
#   --train N        training images per class (TRAIN; 30)
#   --test N         test images per class, at most; 0 = all the rest (TEST; 50)
#   --scales LIST    Q values, stacked (SCALES; 256,384,512)
#   --threads N --device cpu|cuda:N --batch N   passed to vggfeat extract
#                    (THREADS, DEVICE, BATCH)
#   SVM_ARGS         extra vggsvm train options (e.g. "--cv 5" or "-c 1")
#   PROBE            images timed before extraction to estimate its length (8)
#
# Resumable: rerun the same command after an interruption; finished steps
# are skipped and an interrupted extraction continues where it stopped.
# Outputs: OUT/lists (splits), OUT/features (one store of every image
# used, and each split's train/test stores), OUT/models, OUT/scores,
# OUT/metrics (JSON per split), OUT/results.tsv.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

kind=${CALTECH_KIND:-101}
case "$kind" in
    101) name=caltech101; def_train=30; def_test=50 ;;
    256) name=caltech256; def_train=60; def_test=0 ;;
    *) echo "CALTECH_KIND must be 101 or 256" >&2; exit 2 ;;
esac
vgg_init "$name" "$0"

dataset=""
models=${MODELS:-}
nets=${NETS:-D,E}
out=${OUT:-runs/$name}
splits=${SPLITS:-3}
seed=${SEED:-1}
n_train=${TRAIN:-$def_train}
n_test=${TEST:-$def_test}
scales=${SCALES:-256,384,512}
threads=${THREADS:-}
device=${DEVICE:-}
batch=${BATCH:-}
probe=${PROBE:-8}

while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help)
            sed -n '2,/^set -eu/p' "$here/caltech101.sh" | sed '$d' | sed 's/^# \{0,1\}//'
            if [ "$kind" = 256 ]; then
                echo "(caltech256.sh: Caltech-256, 257 classes with clutter, 60 training images"
                echo " per class and all the rest for testing; paper 86.2 ± 0.3 for D & E)"
            fi
            exit 0 ;;
        --models) models=$2; shift ;;
        --net) nets=$2; shift ;;
        --out) out=$2; shift ;;
        --splits) splits=$2; shift ;;
        --seed) seed=$2; shift ;;
        --train) n_train=$2; shift ;;
        --test) n_test=$2; shift ;;
        --scales) scales=$2; shift ;;
        --threads) threads=$2; shift ;;
        --device) device=$2; shift ;;
        --batch) batch=$2; shift ;;
        -*) usage_error "unknown option '$1'" ;;
        *) [ -z "$dataset" ] || usage_error "more than one dataset folder given"; dataset=$1 ;;
    esac
    shift
done
[ -n "$dataset" ] || usage_error "give the dataset folder (the one holding ${kind}_ObjectCategories)"
[ -d "$dataset" ] || die "'$dataset': no such folder"

vggdata=$(prog vggdata)
vggfeat=$(prog vggfeat)
vggsvm=$(prog vggsvm)
command -v jq >/dev/null 2>&1 || die "jq is missing (Debian package jq; sh pipelines/setup.sh installs it)"

# The paper's numbers (appendix B, mean class recall, %).
case "$kind,$nets" in
    101,D,E|101,E,D) paper="92.7 ± 0.5" ;;
    101,D) paper="91.8 ± 1.0" ;;
    101,E) paper="92.3 ± 0.5" ;;
    256,D,E|256,E,D) paper="86.2 ± 0.3" ;;
    256,D) paper="85.0 ± 0.2" ;;
    256,E) paper="85.1 ± 0.3" ;;
    *) paper="n/a (the paper reports D, E and D & E)" ;;
esac

extract_args="--net $nets --scales $scales --aggregate stack"
[ -z "$models" ] || extract_args="$extract_args --models $models"
[ -z "$threads" ] || extract_args="$extract_args --threads $threads"
[ -z "$device" ] || extract_args="$extract_args --device $device"
[ -z "$batch" ] || extract_args="$extract_args --batch $batch"

mkdir -p "$out/lists" "$out/features" "$out/models" "$out/scores" "$out/metrics"

# 1. splits (cheap and deterministic: always remade)
"$vggdata" caltech "$dataset" --train "$n_train" --test "$n_test" --splits "$splits" \
    --seed "$seed" -o "$out/lists" >&2 || die "reading the dataset failed"
n_classes=$(count_lines "$out/lists/classes.txt")
LC_ALL=C sort -u "$out"/lists/split*/train.list "$out"/lists/split*/test.list >"$out/lists/all.list.tmp"
mv "$out/lists/all.list.tmp" "$out/lists/all.list"
n_all=$(count_lines "$out/lists/all.list")
# every later step depends on the lists: their digest is part of each step's key
VGG_STEP_SALT=$(cat "$out/lists/classes.txt" "$out"/lists/split*/*.list | cksum | tr ' ' '-')
tag=$(printf '%s_%s' "$nets" "$scales" | tr ',/' '-_')
store="$out/features/all_$tag.vgf"

log "plan: $n_classes classes, $splits splits of $n_train train / $( [ "$n_test" = 0 ] && echo 'the rest' || echo "up to $n_test" ) test per class (seed $seed)"
log "plan: extract $n_all images once with nets $nets at Q = $scales (stacked), flips, L2 -> $store"
log "plan: per split, vggsvm train (C on a held-out 20% of the training split${SVM_ARGS:+; $SVM_ARGS}), predict, eval"

# 2. features of every image used by any split
# shellcheck disable=SC2086
if ! step_done "$store" "$vggfeat" extract $extract_args --list "$out/lists/all.list" -o "$store"; then
    rate=$(probe_rate "$out/lists/all.list" "$probe" $extract_args)
    log "speed: $rate images/s measured on the first $probe images; extraction of $n_all images will take $(estimate "$n_all" "$rate")"
fi
# shellcheck disable=SC2086
run_step "extracting $n_all images" "$store" \
    "$vggfeat" extract $extract_args --list "$out/lists/all.list" -o "$store"

# 3. per split: train, predict, evaluate
: >"$out/results.tsv.tmp"
recalls=""
k=1
while [ "$k" -le "$splits" ]; do
    s="split$k"
    for part in train test; do
        run_step "$s: $part features" "$out/features/${s}_$part.vgf" \
            "$vggdata" subset "$store" --list "$out/lists/$s/$part.list" -o "$out/features/${s}_$part.vgf"
    done
    # shellcheck disable=SC2086
    run_step "$s: training $n_classes one-vs-rest SVMs" "$out/models/$s.model" \
        "$vggsvm" train --features "$out/features/${s}_train.vgf" --single-label --seed "$k" \
        ${SVM_ARGS:-} -o "$out/models/$s.model" --quiet
    run_step "$s: scoring the test images" "$out/scores/$s.tsv" \
        "$vggsvm" predict --model "$out/models/$s.model" --features "$out/features/${s}_test.vgf" \
        -o "$out/scores/$s.tsv"
    "$vggsvm" eval --scores "$out/scores/$s.tsv" --features "$out/features/${s}_test.vgf" \
        --single-label --confusion-csv "$out/metrics/$s.confusion.csv" --json \
        >"$out/metrics/$s.json" || die "$s: evaluation failed"
    r=$(json_get "$out/metrics/$s.json" '.mean_class_recall * 100 | . * 100 | round / 100')
    acc=$(json_get "$out/metrics/$s.json" '.accuracy * 100 | . * 100 | round / 100')
    imgs=$(json_get "$out/metrics/$s.json" '.images')
    log "$s: mean class recall $r % (accuracy $acc %, $imgs test images)"
    printf '%s\t%s\t%s\t%s\n' "$s" "$r" "$acc" "$imgs" >>"$out/results.tsv.tmp"
    recalls="$recalls $r"
    k=$((k + 1))
done
mv "$out/results.tsv.tmp" "$out/results.tsv"

# shellcheck disable=SC2086
result=$(mean_std $recalls)
log "finished in $(fmt_duration "$(elapsed)"); outputs in $out"
echo "$name: mean class recall over $splits splits, $(net_label "$nets"), Q $scales stacked, $n_classes classes"
echo "result: mean class recall $result %   (paper: $paper)"
