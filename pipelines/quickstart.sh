#!/bin/sh
# vggfeat quickstart: the paper's transfer protocol on Fashion-MNIST, with
# nothing downloaded.
#
#   sh pipelines/quickstart.sh [OUTDIR]          (default runs/quickstart)
#
# 1. installs what is missing (Debian packages, as root) and builds;
# 2. pretrains a small D-shaped net (1/8 width, fc 256, 32x32 input) on the
#    Fashion-MNIST *source* classes 0-4 (training images only), unless a
#    matching one is already in models/;
# 3. transfers it to the *target* classes 5-9, Caltech-style: 3 random
#    splits of 30 training and 50 test images per class drawn from the
#    Fashion-MNIST test set; vggfeat extract at two scales with flips
#    (stacked), L2; vggsvm train with C by cross-validation; vggsvm eval;
# 4. prints mean class recall +- std over the splits beside two controls on
#    the same splits: a linear SVM on raw pixels, and the same net with
#    random weights.
#
# Environment:
#   QUICK=1        a cut-down run (fewer images and iterations) for CI
#   EPOCHS=N       pretraining epochs (default 3)
#   WIDTH=W FC=N   the net's channel multiplier and fc6/fc7 width (0.125, 256)
#   JITTER=A,B     training scale S drawn per image in [A, B] (32,40)
#   THREADS=N      compute threads (default 1: the net is tiny)
#   MODELS=DIR     where the pretrained net is kept (default models/)
#   SKIP_SETUP=1   do not run pipelines/setup.sh (programs already built)
# Everything is resumable: rerun the same command after an interruption.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
esac

if [ "${SKIP_SETUP:-0}" != 1 ]; then
    sh "$here/pipelines/setup.sh"
fi

. "$here/pipelines/lib.sh"
vgg_init quickstart "$0"

out=${1:-$here/runs/quickstart}
mkdir -p "$out"
out=$(cd "$out" && pwd)
models=${MODELS:-$here/models}
mkdir -p "$models"
# The net is so small that a second thread costs more in synchronisation
# than it gains (measured: 940 vs 510 images/s training on 2 cores).
threads=${THREADS:-1}
quick=${QUICK:-0}
fm=/usr/share/datasets/fashion-mnist
[ -f "$fm/train-images-idx3-ubyte.gz" ] ||
    die "Fashion-MNIST is missing ($fm): install Debian's dataset-fashion-mnist (sh pipelines/setup.sh does)"

vggtrain=$(prog vggtrain)
vggfeat=$(prog vggfeat)
vggsvm=$(prog vggsvm)
vggdata=$(prog vggdata)

# The settings.  The net: configuration D at 1/8 width (conv widths 8, 16,
# 32, 64, 64), fc6/fc7 256 wide, 32x32 input (Fashion-MNIST's 28x28 images
# are rescaled to the training scale S, jittered in [32, 40]).
width=${WIDTH:-0.125}
fc=${FC:-256}
jitter=${JITTER:-32,40}   # training scale S, drawn per image (the paper's jittering)
input=32
scales=32,48            # the transfer scales Q: the whole image, and 1.5x
epochs=${EPOCHS:-3}
batch=64
n_train=30
n_test=50
n_splits=3
source_limit=""
if [ "$quick" = 1 ]; then
    epochs=1
    source_limit="--limit 1500"
    n_train=8
    n_test=8
fi

log "output folder: $out"
log "plan: pretrain D/8 on Fashion-MNIST classes 0-4 ($epochs epoch(s)), then $n_splits splits of $n_train train / $n_test test images per class of classes 5-9; features at Q = $scales, flips, stacked, L2"

# ---- data: PNG files and lists from Debian's idx files -------------------
run_step "source images: Fashion-MNIST training set, classes 0-4" "$out/data/source/list.txt" \
    "$vggtrain" import-idx "$fm/train-images-idx3-ubyte.gz" "$fm/train-labels-idx1-ubyte.gz" \
    --classes 0-4 $source_limit -o "$out/data/source"
run_step "target images: Fashion-MNIST test set, classes 5-9" "$out/data/target/list.txt" \
    "$vggtrain" import-idx "$fm/t10k-images-idx3-ubyte.gz" "$fm/t10k-labels-idx1-ubyte.gz" \
    --classes 5-9 -o "$out/data/target"

# A folder per class (links to the PNGs), the layout vggdata splits.
bycls=$out/data/target-by-class
if ! is_done "$bycls" "links of $out/data/target/list.txt"; then
    log "target images: a folder per class"
    rm -rf "$bycls"
    mkdir -p "$bycls"
    # the paths of each class into a file, then one ln per class
    awk -F '\t' -v d="$bycls" -v cwd="$(pwd)" '
        {
            p = $1; if (substr(p, 1, 1) != "/") p = cwd "/" p
            c = $2; gsub("/", "_", c)
            if (!(c in seen)) { seen[c] = 1; print c > (d "/.classes") }
            print p > (d "/.paths." c)
        }' "$out/data/target/list.txt"
    while IFS= read -r cls; do
        mkdir "$bycls/$cls"
        tr '\n' '\0' <"$bycls/.paths.$cls" | xargs -0 ln -s -t "$bycls/$cls"
        rm "$bycls/.paths.$cls"
    done <"$bycls/.classes"
    rm "$bycls/.classes"
    mark_done "$bycls" "links of $out/data/target/list.txt"
fi

run_step "splits: $n_splits x ($n_train train + $n_test test per class), seed 1" "$out/splits/classes.txt" \
    "$vggdata" caltech "$bycls" --train "$n_train" --test "$n_test" --splits "$n_splits" \
    --seed 1 -o "$out/splits"

# Every image some split uses, once: features are extracted once and each
# split's train and test stores are cut out of them.
all=$out/splits/all.list
cat "$out"/splits/split*/train.list "$out"/splits/split*/test.list | sort -u >"$all.tmp"
mv "$all.tmp" "$all"
log "$(count_lines "$all") distinct target images in the splits"

# ---- pretraining ----------------------------------------------------------
n_source=$(count_lines "$out/data/source/list.txt")
iters=$(( (n_source * epochs + batch - 1) / batch ))
step1=$(( iters * 70 / 100 ))
tag="D-w${width}-fc${fc}-in${input}-S${jitter%,*}-${jitter#*,}-e${epochs}-n${n_source}"
net=$models/fmnist-source-$tag.safetensors
if is_done "$net" "pretrained $tag"; then
    log "pretrained net: using $net (already in $(basename "$models")/)"
else
    log "pretraining: $iters iterations of $batch images (the first run measures the speed; expect a few minutes on 2 cores)"
    resume=""
    [ -f "$net.ckpt" ] && resume="--resume"
    "$vggtrain" train --list "$out/data/source/list.txt" --classes "$out/data/source/classes.txt" \
        --config D --width "$width" --fc-dim "$fc" --input-size "$input" --init he \
        --batch "$batch" --lr 0.01 --lr-steps "$step1" --iterations "$iters" \
        --scale-jitter "$jitter" --color-shift 0 --seed 1 --threads "$threads" \
        --print-every 50 --checkpoint-every 100 --log "$out/pretrain-metrics.jsonl" \
        $resume -o "$net" ||
        die "pretraining failed (rerun to resume from $net.ckpt)"
    mark_done "$net" "pretrained $tag"
fi

# The control net: the same architecture, random weights (the same
# initialisation the pretraining started from).
random=$out/models/random-$tag.safetensors
mkdir -p "$out/models"
run_step "control net with random weights" "$random" \
    "$vggtrain" init --config D --width "$width" --fc-dim "$fc" --input-size "$input" \
    --classes "$out/data/source/classes.txt" --init he --seed 1 -o "$random"

# ---- features -------------------------------------------------------------
mkdir -p "$out/features"
quiet=""
[ -t 2 ] || quiet="--quiet"
run_step "features of the pretrained net (Q = $scales, flips, stacked, L2)" "$out/features/pretrained.vggf" \
    "$vggfeat" extract --net "$net" --scales "$scales" --threads "$threads" $quiet \
    --list "$all" -o "$out/features/pretrained.vggf"
run_step "features of the random-weight net" "$out/features/random.vggf" \
    "$vggfeat" extract --net "$random" --scales "$scales" --threads "$threads" $quiet \
    --list "$all" -o "$out/features/random.vggf"
# (vggfeat pixels never overwrites: a store left by an interrupted run goes)
pix=$out/features/pixels.vggf
step_done "$pix" "$vggfeat" pixels --size 28 --list "$all" -o "$pix" || rm -f "$pix"
run_step "raw pixels (28x28, L2)" "$pix" \
    "$vggfeat" pixels --size 28 --list "$all" -o "$pix"

# ---- SVMs per split -------------------------------------------------------
recalls_pretrained=""
recalls_random=""
recalls_pixels=""
for split in "$out"/splits/split*; do
    k=${split##*/split}
    for kind in pretrained random pixels; do
        d=$out/svm/$kind/split$k
        mkdir -p "$d"
        run_step "split $k, $kind: training store" "$d/train.vggf" \
            "$vggdata" subset "$out/features/$kind.vggf" --list "$split/train.list" -o "$d/train.vggf"
        run_step "split $k, $kind: test store" "$d/test.vggf" \
            "$vggdata" subset "$out/features/$kind.vggf" --list "$split/test.list" -o "$d/test.vggf"
        run_step "split $k, $kind: SVMs (C by 5-fold cross-validation)" "$d/svm.model" \
            "$vggsvm" train --features "$d/train.vggf" --cv 5 -q -o "$d/svm.model"
        run_step "split $k, $kind: scores" "$d/scores.tsv" \
            "$vggsvm" predict --model "$d/svm.model" --features "$d/test.vggf" -o "$d/scores.tsv"
        "$vggsvm" eval --scores "$d/scores.tsv" --features "$d/test.vggf" \
            --confusion-csv "$d/confusion.csv" --confusion-svg "$d/confusion.svg" \
            --json >"$d/metrics.json" || die "split $k, $kind: evaluation failed"
        r=$(json_get "$d/metrics.json" '.mean_class_recall')
        r=$(awk -v r="$r" 'BEGIN { printf "%.2f\n", 100 * r }')
        log "split $k, $kind: mean class recall $r%"
        eval "recalls_$kind=\"\$recalls_$kind $r\""
    done
done

# ---- summary --------------------------------------------------------------
# shellcheck disable=SC2086
m_pre=$(mean_std $recalls_pretrained)
# shellcheck disable=SC2086
m_rnd=$(mean_std $recalls_random)
# shellcheck disable=SC2086
m_pix=$(mean_std $recalls_pixels)
secs=$(elapsed)
{
    printf '{\n  "dataset": "Fashion-MNIST, target classes 5-9",\n'
    printf '  "splits": %s, "train_per_class": %s, "test_per_class": %s,\n' "$n_splits" "$n_train" "$n_test"
    printf '  "scales": [%s], "net": "%s",\n' "$scales" "$net"
    printf '  "mean_class_recall": {\n'
    printf '    "pretrained": [%s],\n' "$(echo $recalls_pretrained | tr ' ' ',')"
    printf '    "random_weights": [%s],\n' "$(echo $recalls_random | tr ' ' ',')"
    printf '    "raw_pixels": [%s]\n  },\n' "$(echo $recalls_pixels | tr ' ' ',')"
    printf '  "seconds": %s\n}\n' "$secs"
} >"$out/summary.json"

printf '\nFashion-MNIST transfer (classes 5-9, %s splits of %s train / %s test per class)\n' \
    "$n_splits" "$n_train" "$n_test"
printf '  %-40s %s\n' "features" "mean class recall (%)"
printf '  %-40s %s\n' "pretrained D/8, Q $scales stacked, flip, L2" "$m_pre"
printf '  %-40s %s\n' "control: same net, random weights" "$m_rnd"
printf '  %-40s %s\n' "control: raw pixels" "$m_pix"
printf '\nquickstart: done in %s; outputs in %s\n' "$(fmt_duration "$secs")" "$out"
printf '  features/  svm/<kind>/split<k>/ (models, scores, metrics.json, confusion.svg)  summary.json\n'
