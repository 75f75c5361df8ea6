#!/bin/sh
# vggfeat quickstart: the paper's transfer protocol in miniature, offline.
#
#   sh pipelines/quickstart.sh [OUTDIR]          (default runs/quickstart)
#
# 1. installs what is missing (Debian packages, as root) and builds;
# 2. the source net: a D-shaped net with batch normalisation (1/8 width,
#    fc 256, 32x32 input) pretrained on 1000 CJK ideographs rendered from
#    Debian's fonts (pipelines/pretrain_glyphs.sh makes it, about 17 minutes
#    on one core), and E-BN/8 the same way (23 minutes); the copies in
#    pipelines/models/ are used after checking their SHA-256 (PRETRAIN=1
#    trains them here instead);
# 3. two targets whose classes the net never saw, Caltech-style (3 random
#    splits of 30 training and 50 test images per class):
#      - near: 20 Hangul syllables rendered the same way (vggdata glyphs),
#      - far:  the 10 Fashion-MNIST classes (its test set);
#    vggfeat extract at two scales with flips (stacked), L2; vggsvm train
#    with C chosen on a held-out fifth of the training images; vggsvm eval;
# 4. prints mean class recall +- std over the splits for the kinds of
#    features: the pretrained net; it stacked with E-BN/8 (the paper's
#    Net-D & Net-E, pretrained the same way), with one L2 over the stacked
#    row or each net's part normalised first (--l2 final | per-net); and two
#    controls: the same D-BN/8 with random weights (He's initialisation),
#    and raw pixels.
#
# Environment:
#   QUICK=1        a cut-down run (fewer classes and images) for CI
#   PRETRAIN=1     pretrain the source net here (pipelines/pretrain_glyphs.sh)
#   THREADS=N      compute threads (default 1: the net is tiny)
#   HANGUL_CLASSES=N  syllables in the near target (20; 50 takes ~4x longer)
#   MODELS=DIR     where the committed net and its .sha256 are (pipelines/models)
#   SKIP_SETUP=1   do not run pipelines/setup.sh (programs already built)
#   PRECISION=P    vggfeat extract's --precision (fp32 default; bf16 or int8
#                  where the CPU has them: docs/extract.md)
# Everything is resumable: rerun the same command after an interruption.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
    -h|--help) sed -n '2,35p' "$0"; exit 0 ;;
esac

if [ "${SKIP_SETUP:-0}" != 1 ]; then
    sh "$here/pipelines/setup.sh"
fi

. "$here/pipelines/lib.sh"
vgg_init quickstart "$0"

out=${1:-$here/runs/quickstart}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# The net is so small that a second thread costs more in synchronisation
# than it gains (measured: 940 vs 510 images/s training on 2 cores).
threads=${THREADS:-1}
precision=${PRECISION:-fp32}
quick=${QUICK:-0}
fm=/usr/share/datasets/fashion-mnist
[ -f "$fm/t10k-images-idx3-ubyte.gz" ] ||
    die "Fashion-MNIST is missing ($fm): install Debian's dataset-fashion-mnist (sh pipelines/setup.sh does)"

vggtrain=$(prog vggtrain)
vggfeat=$(prog vggfeat)
vggsvm=$(prog vggsvm)
vggdata=$(prog vggdata)

# The source net: what pipelines/pretrain_glyphs.sh writes with its defaults.
arch="--config D --batch-norm --width 0.125 --fc-dim 256 --input-size 32"
tag=D-BN-w0.125-fc256-c1000-n80-e5-b64-lr0.05-d0-pytorch-s1-t1
scales=32,48            # the transfer scales Q: the whole image, and 1.5x
n_train=30
n_test=50
n_splits=3
# C chosen on a held-out fifth of each training set: the controls (raw
# pixels, random weights) are not separable and want C = 100, where each
# LIBLINEAR fit takes longest; 5-fold cross-validation over 5 values cost
# minutes a split with 50 classes
grid=0.1,1,10,100
hangul_classes=${HANGUL_CLASSES:-20}
hangul_renders=80
fm_limit=""
if [ "$quick" = 1 ]; then
    n_train=8
    n_test=8
    hangul_classes=10
    hangul_renders=16
    fm_limit="--limit 400"
fi

log "output folder: $out"
log "plan: features of D-BN/8 pretrained on 1000 ideographs, at Q = $scales (flips, stacked, L2, $precision), on $n_splits splits of $n_train train / $n_test test images per class of two unseen targets: $hangul_classes Hangul syllables and the 10 Fashion-MNIST classes"

# ---- the source net ---------------------------------------------------------
if [ "${PRETRAIN:-0}" = 1 ]; then
    log "pretraining the source net here (pipelines/pretrain_glyphs.sh)"
    SKIP_SETUP=1 THREADS=1 sh "$here/pipelines/pretrain_glyphs.sh" "$out/pretrain" ||
        die "pretraining failed (rerun to resume)"
    net=$out/pretrain/glyphs-$tag.safetensors
    SKIP_SETUP=1 THREADS=1 CONFIG=E sh "$here/pipelines/pretrain_glyphs.sh" "$out/pretrain" ||
        die "pretraining failed (rerun to resume)"
    net_e=$out/pretrain/glyphs-E${tag#D}.safetensors
else
    net=${MODELS:-$here/pipelines/models}/glyphs-$tag.safetensors
    net_e=${MODELS:-$here/pipelines/models}/glyphs-E${tag#D}.safetensors
    for n in "$net" "$net_e"; do
        [ -f "$n" ] || die "'$n' is missing: run with PRETRAIN=1 to make it"
        (cd "$(dirname "$n")" && sha256sum --quiet -c "$(basename "$n").sha256") ||
            die "'$n' does not match its SHA-256 ($n.sha256): run with PRETRAIN=1 to make it"
        log "pretrained net: using $n (made by pipelines/pretrain_glyphs.sh; SHA-256 checked)"
    done
fi
# The control net: the same architecture with random weights drawn by He's
# rule, which keeps the activations' scale from layer to layer.  (Not the
# initialisation the pretraining started from: PyTorch's default shrinks
# the scale about 6-fold a layer, which batch normalisation undoes in
# training but not with the untrained statistics an inference uses, so
# every image would get the same descriptor.)
mkdir -p "$out/models"
random=$out/models/random-he-$tag.safetensors
# shellcheck disable=SC2086
run_step "control net with random weights (He)" "$random" \
    "$vggtrain" init $arch --num-classes 1000 --init he --seed 1 -o "$random"

# ---- the targets ------------------------------------------------------------
run_step "near target: $hangul_classes Hangul syllables x $hangul_renders renders (seed 2)" \
    "$out/data/hangul/list.txt" \
    "$vggdata" glyphs --range AC00-D7A3 --classes "$hangul_classes" \
    --per-class "$hangul_renders" --seed 2 -o "$out/data/hangul"
# shellcheck disable=SC2086
run_step "far target: Fashion-MNIST test set, 10 classes" "$out/data/fmnist/list.txt" \
    "$vggtrain" import-idx "$fm/t10k-images-idx3-ubyte.gz" "$fm/t10k-labels-idx1-ubyte.gz" \
    $fm_limit -o "$out/data/fmnist"

# A folder per class (links to the PNGs), the layout vggdata splits.
by_class() {
    list=$1 dir=$2
    is_done "$dir" "links of $list" && return 0
    log "a folder per class: $dir"
    rm -rf "$dir"
    mkdir -p "$dir"
    awk -F '\t' -v d="$dir" -v cwd="$(pwd)" '
        {
            p = $1; if (substr(p, 1, 1) != "/") p = cwd "/" p
            c = $2; gsub("/", "_", c)
            if (!(c in seen)) { seen[c] = 1; print c > (d "/.classes") }
            print p > (d "/.paths." c)
        }' "$list"
    while IFS= read -r cls; do
        mkdir "$dir/$cls"
        tr '\n' '\0' <"$dir/.paths.$cls" | xargs -0 ln -s -t "$dir/$cls"
        rm "$dir/.paths.$cls"
    done <"$dir/.classes"
    rm "$dir/.classes"
    mark_done "$dir" "links of $list"
}
by_class "$out/data/fmnist/list.txt" "$out/data/fmnist-by-class"

quiet=""
[ -t 2 ] || quiet="--quiet"

# features and SVMs of one target: TARGET IMAGES_BY_CLASS PIXEL_SIDE
# sets recalls_<kind> to the per-split mean class recalls (percent)
transfer() {
    t=$1 images=$2 side=$3
    run_step "$t: splits: $n_splits x ($n_train train + $n_test test per class), seed 1" \
        "$out/splits/$t/classes.txt" \
        "$vggdata" caltech "$images" --train "$n_train" --test "$n_test" \
        --splits "$n_splits" --seed 1 -o "$out/splits/$t"
    # every image some split uses, once: features are extracted once and
    # each split's train and test stores are cut out of them
    all=$out/splits/$t/all.list
    cat "$out/splits/$t"/split*/train.list "$out/splits/$t"/split*/test.list | sort -u >"$all.tmp"
    mv "$all.tmp" "$all"
    f=$out/features/$t
    mkdir -p "$f"
    run_step "$t: features of the pretrained net ($(count_lines "$all") images)" "$f/pretrained.vggf" \
        "$vggfeat" extract --net "$net" --scales "$scales" --threads "$threads" $quiet \
        --precision "$precision" --list "$all" -o "$f/pretrained.vggf"
    # the paper's stacking of Net-D and Net-E, with the two places of L2
    for l2 in final per-net; do
        run_step "$t: features of D-BN/8 and E-BN/8 stacked, L2 $l2" "$f/de-$l2.vggf" \
            "$vggfeat" extract --net "$net,$net_e" --scales "$scales" --l2 "$l2" \
            --threads "$threads" $quiet --precision "$precision" --list "$all" \
            -o "$f/de-$l2.vggf"
    done
    run_step "$t: features of the random-weight net" "$f/random.vggf" \
        "$vggfeat" extract --net "$random" --scales "$scales" --threads "$threads" $quiet \
        --precision "$precision" --list "$all" -o "$f/random.vggf"
    # (vggfeat pixels never overwrites: a store left by an interrupted run goes)
    step_done "$f/pixels.vggf" "$vggfeat" pixels --size "$side" --list "$all" \
        -o "$f/pixels.vggf" || rm -f "$f/pixels.vggf"
    run_step "$t: raw pixels (${side}x$side, L2)" "$f/pixels.vggf" \
        "$vggfeat" pixels --size "$side" --list "$all" -o "$f/pixels.vggf"
    recalls_pretrained="" recalls_de_final="" recalls_de_per_net="" recalls_random=""
    recalls_pixels=""
    for split in "$out/splits/$t"/split*; do
        k=${split##*/split}
        for kind in pretrained de-final de-per-net random pixels; do
            d=$out/svm/$t/$kind/split$k
            store=$f/$kind.vggf
            mkdir -p "$d"
            run_step "$t split $k, $kind: training store" "$d/train.vggf" \
                "$vggdata" subset "$store" --list "$split/train.list" -o "$d/train.vggf"
            run_step "$t split $k, $kind: test store" "$d/test.vggf" \
                "$vggdata" subset "$store" --list "$split/test.list" -o "$d/test.vggf"
            run_step "$t split $k, $kind: SVMs (C of $grid on a held-out fifth)" "$d/svm.model" \
                "$vggsvm" train --features "$d/train.vggf" --holdout 0.2 --grid "$grid" -q \
                -o "$d/svm.model"
            run_step "$t split $k, $kind: scores" "$d/scores.tsv" \
                "$vggsvm" predict --model "$d/svm.model" --features "$d/test.vggf" -o "$d/scores.tsv"
            "$vggsvm" eval --scores "$d/scores.tsv" --features "$d/test.vggf" \
                --confusion-csv "$d/confusion.csv" --confusion-svg "$d/confusion.svg" \
                --json >"$d/metrics.json" || die "$t split $k, $kind: evaluation failed"
            r=$(json_get "$d/metrics.json" '.mean_class_recall')
            r=$(awk -v r="$r" 'BEGIN { printf "%.2f\n", 100 * r }')
            log "$t split $k, $kind: mean class recall $r%"
            v=recalls_$(printf '%s' "$kind" | tr - _)
            eval "$v=\"\$$v $r\""
        done
    done
}

transfer hangul "$out/data/hangul/images" 32
h_pre=$recalls_pretrained h_rnd=$recalls_random h_pix=$recalls_pixels
h_def=$recalls_de_final h_dep=$recalls_de_per_net
transfer fmnist "$out/data/fmnist-by-class" 28
f_pre=$recalls_pretrained f_rnd=$recalls_random f_pix=$recalls_pixels
f_def=$recalls_de_final f_dep=$recalls_de_per_net

# ---- summary ----------------------------------------------------------------
list_json() { echo $* | tr ' ' ','; }
secs=$(elapsed)
{
    printf '{\n  "source": "1000 CJK ideographs x 80 renders (pipelines/pretrain_glyphs.sh)",\n'
    printf '  "net": "%s",\n  "net_e": "%s",\n  "random_net": "%s",\n' "$net" "$net_e" "$random"
    printf '  "scales": [%s], "flip": true, "combine": "stack", "l2": "final",\n' "$scales"
    printf '  "splits": %s, "train_per_class": %s, "test_per_class": %s,\n' "$n_splits" "$n_train" "$n_test"
    printf '  "targets": {\n'
    printf '    "hangul": { "classes": %s, "pixels": 32,\n' "$hangul_classes"
    printf '      "mean_class_recall": { "pretrained": [%s], "d_e_l2_final": [%s], "d_e_l2_per_net": [%s], "random_weights": [%s], "raw_pixels": [%s] } },\n' \
        "$(list_json $h_pre)" "$(list_json $h_def)" "$(list_json $h_dep)" "$(list_json $h_rnd)" "$(list_json $h_pix)"
    printf '    "fmnist": { "classes": 10, "pixels": 28,\n'
    printf '      "mean_class_recall": { "pretrained": [%s], "d_e_l2_final": [%s], "d_e_l2_per_net": [%s], "random_weights": [%s], "raw_pixels": [%s] } }\n' \
        "$(list_json $f_pre)" "$(list_json $f_def)" "$(list_json $f_dep)" "$(list_json $f_rnd)" "$(list_json $f_pix)"
    printf '  },\n  "seconds": %s\n}\n' "$secs"
} >"$out/summary.json"

# shellcheck disable=SC2086
{
    printf '\nTransfer to classes the net never saw (%s splits of %s train / %s test per class)\n' \
        "$n_splits" "$n_train" "$n_test"
    printf '  %-44s %-18s %s\n' "features" "Hangul (near)" "Fashion-MNIST (far)"
    printf '  %-44s %-18s %s\n' "pretrained D-BN/8, Q $scales stacked, flip" "$(mean_std $h_pre)" "$(mean_std $f_pre)"
    printf '  %-44s %-18s %s\n' "D-BN/8 & E-BN/8 stacked, L2 final" "$(mean_std $h_def)" "$(mean_std $f_def)"
    printf '  %-44s %-18s %s\n' "D-BN/8 & E-BN/8 stacked, L2 per net" "$(mean_std $h_dep)" "$(mean_std $f_dep)"
    printf '  %-44s %-18s %s\n' "control: same net, random weights" "$(mean_std $h_rnd)" "$(mean_std $f_rnd)"
    printf '  %-44s %-18s %s\n' "control: raw pixels" "$(mean_std $h_pix)" "$(mean_std $f_pix)"
    printf '  (mean class recall, %%, mean +- std over the splits)\n'
}
printf '\nquickstart: done in %s; outputs in %s\n' "$(fmt_duration "$secs")" "$out"
printf '  features/<target>/  svm/<target>/<kind>/split<k>/ (models, scores, metrics.json, confusion.svg)  summary.json\n'
