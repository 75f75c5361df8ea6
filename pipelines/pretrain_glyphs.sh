#!/bin/sh
# Pretrain a small D-shaped (or E-shaped) net with batch normalisation on a 1000-class
# source made offline: CJK ideographs rendered from Debian's fonts
# (vggdata glyphs).  The same seed and thread count give the same bytes.
#
#   sh pipelines/pretrain_glyphs.sh [OUTDIR]       (default runs/pretrain_glyphs)
#
# 1. renders the source: CLASSES ideographs of U+4E00-U+9FFF that all nine
#    Debian CJK faces cover, PER_CLASS renders each, 32x32 (seed SEED);
# 2. trains D-BN or E-BN (batch normalisation after each conv, as torchvision's
#    vgg16_bn) at 1/8 width, fc 256, 32x32 input, on it;
# 3. writes OUTDIR/glyphs-<settings>.safetensors and its SHA-256 beside it
#    (.sha256, the digest of the file's bytes).
#
# Environment (defaults in brackets):
#   CLASSES [1000]  PER_CLASS [80]  SEED [1]  EPOCHS [5]  BATCH [64]
#   LR [0.05]  DROPOUT [0]  WIDTH [0.125]  FC [256]  THREADS [1]
#   INIT [pytorch]  the initialisation (normal, glorot, he, torchvision, pytorch)
#   CONFIG [D]      the configuration, D (VGG-16) or E (VGG-19)
#   QUICK=1         40 classes x 10 renders, one epoch (a check of the script)
#   SKIP_SETUP=1    do not run pipelines/setup.sh
# Resumable: rerun the same command after an interruption.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
esac
if [ "${SKIP_SETUP:-0}" != 1 ]; then
    sh "$here/pipelines/setup.sh"
fi
. "$here/pipelines/lib.sh"
vgg_init pretrain_glyphs "$0"

out=${1:-$here/runs/pretrain_glyphs}
mkdir -p "$out"
out=$(cd "$out" && pwd)
classes=${CLASSES:-1000}
per_class=${PER_CLASS:-80}
seed=${SEED:-1}
epochs=${EPOCHS:-5}
batch=${BATCH:-64}
lr=${LR:-0.05}
dropout=${DROPOUT:-0}
width=${WIDTH:-0.125}
fc=${FC:-256}
threads=${THREADS:-1}
init=${INIT:-pytorch}
config=${CONFIG:-D}
case $config in
    D|E) ;;
    *) usage_error "CONFIG=$config: D or E" ;;
esac
if [ "${QUICK:-0}" = 1 ]; then
    classes=40
    per_class=10
    epochs=1
fi
vggdata=$(prog vggdata)
vggtrain=$(prog vggtrain)

src=$out/source-c$classes-n$per_class-s$seed
run_step "source: $classes ideographs x $per_class renders (seed $seed)" "$src/list.txt" \
    "$vggdata" glyphs --range 4E00-9FFF --classes "$classes" --per-class "$per_class" \
    --seed "$seed" -o "$src"

n=$(count_lines "$src/list.txt")
iters=$(( (n * epochs + batch - 1) / batch ))
# lr divided by 10 at 60% and 90% of the run
steps="$(( iters * 60 / 100 )),$(( iters * 90 / 100 ))"
tag="$config-BN-w$width-fc$fc-c$classes-n$per_class-e$epochs-b$batch-lr$lr-d$dropout-$init-s$seed-t$threads"
net=$out/glyphs-$tag.safetensors
if is_done "$net" "pretrained $tag"; then
    log "pretrained net: $net (already trained)"
else
    log "pretraining $config-BN at width $width on $classes classes: $iters iterations of $batch images"
    resume=""
    [ -f "$net.ckpt" ] && resume="--resume"
    # shellcheck disable=SC2086
    "$vggtrain" train --list "$src/list.txt" --classes "$src/classes.txt" \
        --config "$config" --batch-norm --width "$width" --fc-dim "$fc" --input-size 32 \
        --init "$init" --batch "$batch" --micro-batch "$batch" --lr "$lr" --lr-steps "$steps" \
        --iterations "$iters" --dropout "$dropout" --scale 32 --no-flip --color-shift 0 \
        --seed "$seed" --threads "$threads" --loaders 1 --print-every 100 \
        --checkpoint-every 500 --log "$out/metrics-$tag.jsonl" $resume -o "$net" ||
        die "pretraining failed (rerun to resume from $net.ckpt)"
    mark_done "$net" "pretrained $tag"
fi
digest=$(sha256sum "$net" | cut -d' ' -f1)
printf '%s  %s\n' "$digest" "$(basename "$net")" >"$net.sha256"
log "net: $net"
log "SHA-256: $digest"
