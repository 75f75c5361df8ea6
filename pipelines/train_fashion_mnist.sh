#!/bin/sh
# Train a small D-shaped net (configuration D at 1/4 width, fc 512, input
# 32) from scratch on Fashion-MNIST (Debian's dataset-fashion-mnist) on the
# CPU, then evaluate it on the 10,000 test images.
#   sh pipelines/train_fashion_mnist.sh [RUN_DIR]        (default runs/fashion_mnist)
# Environment: BUILD_DIR (build), THREADS (1 compute thread), LOADERS (1
# decoding thread), EPOCHS (7), BATCH (64), WIDTH (0.25), FC (512), DROPOUT (0.3),
# RESUME=1 to continue an interrupted run from its checkpoint.
# Leaves in RUN_DIR: net.safetensors, net.safetensors.ckpt, metrics.jsonl,
# train.log, eval.txt, curves.png / curves.svg.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$here/build}
run=${1:-$here/runs/fashion_mnist}
src=/usr/share/datasets/fashion-mnist
threads=${THREADS:-1}
loaders=${LOADERS:-1}
epochs=${EPOCHS:-7}
batch=${BATCH:-64}
width=${WIDTH:-0.25}
fc=${FC:-512}
dropout=${DROPOUT:-0.3}
vggtrain=$build/bin/vggtrain
[ -x "$vggtrain" ] || { echo "train_fashion_mnist: build first ($vggtrain missing)" >&2; exit 1; }
[ -f $src/train-images-idx3-ubyte.gz ] || {
    echo "train_fashion_mnist: install dataset-fashion-mnist ($src missing)" >&2; exit 1; }
mkdir -p "$run"

# PNG files and lists; the last 5,000 training images are held out for
# validation (the learning-rate schedule never sees the test set).
if [ ! -f "$run/data/train/list.txt" ]; then
    "$vggtrain" import-idx $src/train-images-idx3-ubyte.gz $src/train-labels-idx1-ubyte.gz \
        -o "$run/data/train"
    "$vggtrain" import-idx $src/t10k-images-idx3-ubyte.gz $src/t10k-labels-idx1-ubyte.gz \
        -o "$run/data/test"
fi
head -n 55000 "$run/data/train/list.txt" > "$run/data/train55k.txt"
tail -n 5000 "$run/data/train/list.txt" > "$run/data/val5k.txt"
classes=$run/data/train/classes.txt

iters_per_epoch=$(( (55000 + batch - 1) / batch ))
total=$(( epochs * iters_per_epoch ))
# lr 1e-2, divided by 10 after 60% and 85% of the run; validation every
# half epoch on the held-out images
step1=$(( total * 60 / 100 ))
step2=$(( total * 85 / 100 ))
resume=""
[ "${RESUME:-0}" = 1 ] && resume="--resume"

start=$(date +%s)
"$vggtrain" train --list "$run/data/train55k.txt" --classes "$classes" \
    --val-list "$run/data/val5k.txt" --val-every $(( iters_per_epoch / 2 )) \
    --config D --width "$width" --fc-dim "$fc" --input-size 32 --init he \
    --batch "$batch" --lr 0.01 --momentum 0.9 --weight-decay 5e-4 --dropout "$dropout" \
    --lr-steps "$step1,$step2" --patience 0 --iterations "$total" \
    --scale-jitter 32,36 --color-shift 0 --seed 1 \
    --threads "$threads" --loaders "$loaders" --print-every 50 \
    --checkpoint-every 200 --log "$run/metrics.jsonl" $resume \
    -o "$run/net.safetensors" 2>&1 | tee "$run/train.log"
end=$(date +%s)
echo "train_fashion_mnist: training took $(( end - start )) s" | tee -a "$run/train.log"

# Test set: centre crop and dense (flip averaged) at Q = 32 (the whole
# image) and Q = 34 (the middle training scale), and both scales together.
"$vggtrain" eval -w "$run/net.safetensors" --list "$run/data/test/list.txt" \
    --classes "$run/data/test/classes.txt" --scales 32,34 --methods center,dense \
    --threads "$threads" | tee "$run/eval.txt"

sh "$here/pipelines/plot_training.sh" "$run/metrics.jsonl" "$run/curves"
