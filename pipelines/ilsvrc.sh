#!/bin/sh
# The paper's ILSVRC-2012 training recipe (section 3) as a sequence of
# vggtrain runs, and its evaluation tables (section 4):
#   1. class index and lists from the ILSVRC-2012 layout (vggdata ilsvrc);
#   2. net A from random initialisation, training scale S = 256;
#   3. for each deeper net X (D, E): X at S = 256, its first four conv layers
#      and three FC layers copied from A, the rest random;
#      X at S = 384, initialised from X at 256, learning rate 1e-3;
#      X with S jittered in [256, 512], fine-tuned from X at 384;
#   4. top-1 / top-5 validation error: each fixed-scale net at Q = S (dense),
#      each jittered net at Q = 256, 384, 512 (centre crop, dense,
#      multi-crop, both), and the ensemble of the jittered nets.
# SGD: batch 256, momentum 0.9, weight decay 5e-4, dropout 0.5, learning rate
# 1e-2 divided by 10 when validation accuracy stops improving.
#
#   sh pipelines/ilsvrc.sh DIR (--devkit-gt FILE --synsets FILE | --val-csv FILE)
#                          [--net D,E] [--out DIR] [--device cuda:0]
#
# DIR holds train/<wnid>/*.JPEG and val/ (see 'vggdata ilsvrc --help' for
# the ground-truth files accepted; val/ sorted into val/<wnid>/ needs none).
#
# Options (and the environment variables that set them too):
#   --out DIR          outputs (OUT; default runs/ilsvrc)
#   --net LIST         the deeper nets (NETS; D,E)
#   --device DEV --threads N   passed to vggtrain (DEVICE, THREADS)
#   EPOCHS (74)        most epochs of each run (the lr schedule may end it sooner);
#   ITERATIONS         or a fixed number of iterations per run instead
#   BATCH (256) ACCUM (1) LR (0.01) LR_FINETUNE (0.001) PATIENCE (1)
#   S_FIXED (256) S_HIGH (384) JITTER (256,512) EVAL_SCALES (256,384,512)
#   INPUT_SIZE (224) WIDTH (1) FC_DIM (4096)   the nets' shape
#   VAL_LIMIT          validate and evaluate on the first N val images only
#   GRID (5)           multi-crop grid per scale
#   TRAIN_ARGS         extra vggtrain train options
#
# Resumable: rerun the same command; finished runs are skipped and an
# interrupted run continues from its checkpoint (vggtrain --resume).
# Outputs: OUT/lists, OUT/models/<net>_<scale>.safetensors (+ .ckpt and
# .log.jsonl), OUT/eval/*.txt.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
vgg_init ilsvrc "$0"

dir=""
gt=""
synsets=""
valcsv=""
nets=${NETS:-D,E}
out=${OUT:-runs/ilsvrc}
device=${DEVICE:-}
threads=${THREADS:-}
epochs=${EPOCHS:-74}
iterations=${ITERATIONS:-}
batch=${BATCH:-256}
accum=${ACCUM:-1}
lr=${LR:-0.01}
lr_ft=${LR_FINETUNE:-0.001}
patience=${PATIENCE:-1}
s_fixed=${S_FIXED:-256}
s_high=${S_HIGH:-384}
jitter=${JITTER:-256,512}
eval_scales=${EVAL_SCALES:-256,384,512}
input_size=${INPUT_SIZE:-224}
width=${WIDTH:-1}
fc_dim=${FC_DIM:-4096}
val_limit=${VAL_LIMIT:-}
grid=${GRID:-5}

while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        --devkit-gt) gt=$2; shift ;;
        --synsets) synsets=$2; shift ;;
        --val-csv) valcsv=$2; shift ;;
        --net) nets=$2; shift ;;
        --out) out=$2; shift ;;
        --device) device=$2; shift ;;
        --threads) threads=$2; shift ;;
        -*) usage_error "unknown option '$1'" ;;
        *) [ -z "$dir" ] || usage_error "more than one dataset folder given"; dir=$1 ;;
    esac
    shift
done
[ -n "$dir" ] || usage_error "give the ILSVRC-2012 folder (holding train/ and val/)"
[ -d "$dir" ] || die "'$dir': no such folder"

vggdata=$(prog vggdata)
vggtrain=$(prog vggtrain)

mkdir -p "$out/lists" "$out/models" "$out/eval"

# 1. class index and lists (cheap: always remade)
set -- "$dir" -o "$out/lists"
[ -z "$gt" ] || set -- "$@" --devkit-gt "$gt"
[ -z "$synsets" ] || set -- "$@" --synsets "$synsets"
[ -z "$valcsv" ] || set -- "$@" --val-csv "$valcsv"
"$vggdata" ilsvrc "$@" >&2 || die "reading the dataset failed"
n_classes=$(count_lines "$out/lists/classes.txt")
n_train=$(count_lines "$out/lists/train.list")
n_val=$(count_lines "$out/lists/val.list")
VGG_STEP_SALT=$(cat "$out/lists/classes.txt" "$out/lists/train.list" "$out/lists/val.list" | cksum | tr ' ' '-')

common="--list $out/lists/train.list --classes $out/lists/classes.txt --val-list $out/lists/val.list"
common="$common --input-size $input_size --width $width --fc-dim $fc_dim --batch $batch --accum $accum"
common="$common --patience $patience"
[ -z "$val_limit" ] || common="$common --val-limit $val_limit"
[ -z "$device" ] || common="$common --device $device"
[ -z "$threads" ] || common="$common --threads $threads"
if [ -n "$iterations" ]; then
    common="$common --iterations $iterations"
    per_run=$((iterations * batch))
    length="$iterations iterations"
else
    common="$common --epochs $epochs"
    per_run=$((epochs * n_train))
    length="at most $epochs epochs"
fi
common="$common ${TRAIN_ARGS:-}"
eval_common="--list $out/lists/val.list --classes $out/lists/classes.txt --grid $grid"
[ -z "$val_limit" ] || eval_common="$eval_common --limit $val_limit"
[ -z "$device" ] || eval_common="$eval_common --device $device"
[ -z "$threads" ] || eval_common="$eval_common --threads $threads"

# vggtrain's option that starts a run from every weight of a trained net
# of the same configuration (fine-tuning the S = 384 and jittered nets).
finetune_opt=""
for o in --start-from --finetune --weights --init-weights; do
    if "$vggtrain" train --help 2>&1 | grep -q -- "$o "; then
        finetune_opt=$o
        break
    fi
done

deeper=$(printf '%s\n' "$nets" | tr ',' ' ')
n_runs=$((1 + 3 * $(printf '%s\n' $deeper | wc -l)))
log "plan: $n_classes classes, $n_train training and $n_val validation images"
log "plan: $n_runs vggtrain runs of $length each: A at S=$s_fixed; then for $(net_label "$nets"): S=$s_fixed (from A), S=$s_high (lr $lr_ft), S in [$jitter]"
log "plan: evaluation at Q = $eval_scales: centre crop, dense, multi-crop ($grid x $grid x 2), both; ensemble of the jittered nets"

# train_run NAME DESCRIPTION ARGS...: one vggtrain run, resumed from its
# checkpoint if an earlier one was interrupted.
train_run() {
    _name=$1
    _desc=$2
    shift 2
    _w="$out/models/$_name.safetensors"
    # shellcheck disable=SC2086
    set -- "$vggtrain" train $common "$@" --checkpoint "$_w.ckpt" --log "$_w.log.jsonl" -o "$_w"
    if step_done "$_w" "$@"; then
        log "done already: $_desc"
        return 0
    fi
    if [ -f "$_w.done" ]; then
        log "settings changed: redoing $_desc"
        rm -f "$_w" "$_w.done" "$_w.ckpt" "$_w.log.jsonl"
    fi
    _key="$*${VGG_STEP_SALT:+ # $VGG_STEP_SALT}"
    if [ -f "$_w.ckpt" ]; then
        log "$_desc (resuming from its checkpoint)"
        "$@" --resume >&2 || die "step failed: $_desc (command: $* --resume)"
    else
        log "$_desc"
        "$@" >&2 || die "step failed: $_desc (command: $*)"
    fi
    mark_done "$_w" "$_key"
}

# a time estimate from two iterations of A
if ! step_done "$out/models/A_$s_fixed.safetensors" "$vggtrain" train $common --config A \
        --scale "$s_fixed" --lr "$lr" --checkpoint "$out/models/A_$s_fixed.safetensors.ckpt" \
        --log "$out/models/A_$s_fixed.safetensors.log.jsonl" -o "$out/models/A_$s_fixed.safetensors"; then
    probe_dir=$(mktemp -d "${TMPDIR:-/tmp}/vggprobe.XXXXXX")
    t0=$(now)
    # shellcheck disable=SC2086
    if "$vggtrain" train $common --iterations 2 --config A --scale "$s_fixed" \
            --val-every 1000000000 -o "$probe_dir/probe.safetensors" >"$probe_dir/log" 2>&1; then
        rate=$(awk -v n="$((2 * batch))" -v a="$t0" -v b="$(now)" 'BEGIN { d = b - a; if (d < .001) d = .001; printf "%.2f\n", n / d }')
        log "speed: $rate images/s for net A (2 iterations measured); each deeper net is slower"
        log "estimate: A alone $(estimate "$per_run" "$rate"); the whole sequence several times that"
    else
        log "could not measure the speed:"
        cat "$probe_dir/log" >&2
    fi
    rm -rf "$probe_dir"
fi

# 2. A at S_FIXED
train_run "A_$s_fixed" "net A, S=$s_fixed, random initialisation" --config A --scale "$s_fixed" --lr "$lr"

# 3. the deeper nets
for x in $deeper; do
    train_run "${x}_$s_fixed" "net $x, S=$s_fixed, initialised from A" \
        --config "$x" --scale "$s_fixed" --lr "$lr" --init-from "$out/models/A_$s_fixed.safetensors"
    [ -n "$finetune_opt" ] ||
        die "this vggtrain has no option to start from all the weights of a trained net ('vggtrain train --help'); the S=$s_high and jittered runs need one"
    train_run "${x}_$s_high" "net $x, S=$s_high, from S=$s_fixed, lr $lr_ft" \
        --config "$x" --scale "$s_high" --lr "$lr_ft" "$finetune_opt" "$out/models/${x}_$s_fixed.safetensors"
    jtag=$(printf '%s' "$jitter" | tr ',' '-')
    train_run "${x}_$jtag" "net $x, S in [$jitter], from S=$s_high" \
        --config "$x" --scale-jitter "$jitter" --lr "$lr_ft" "$finetune_opt" "$out/models/${x}_$s_high.safetensors"
done

# 4. evaluation tables
jtag=$(printf '%s' "$jitter" | tr ',' '-')
tables="$out/eval/tables.txt"
: >"$tables.tmp"
eval_run() {
    _file=$1
    _title=$2
    shift 2
    # shellcheck disable=SC2086
    run_step "evaluating: $_title" "$_file" sh -c '"$@" >"$0.tmp" && mv "$0.tmp" "$0"' "$_file" \
        "$vggtrain" eval $eval_common "$@"
    {
        echo "== $_title"
        cat "$_file"
        echo
    } >>"$tables.tmp"
}
for x in $deeper; do
    eval_run "$out/eval/${x}_$s_fixed.txt" "Table 3: $x trained at S=$s_fixed, dense at Q=$s_fixed" \
        -w "$out/models/${x}_$s_fixed.safetensors" --scales "$s_fixed" --methods dense
    eval_run "$out/eval/${x}_$s_high.txt" "Table 3: $x trained at S=$s_high, dense at Q=$s_high" \
        -w "$out/models/${x}_$s_high.safetensors" --scales "$s_high" --methods dense
    eval_run "$out/eval/${x}_$jtag.txt" "Tables 4-5: $x trained at S in [$jitter], Q=$eval_scales" \
        -w "$out/models/${x}_$jtag.safetensors" --scales "$eval_scales" --methods all
done
set --
for x in $deeper; do
    set -- "$@" -w "$out/models/${x}_$jtag.safetensors"
done
if [ $# -gt 2 ]; then
    eval_run "$out/eval/ensemble_$jtag.txt" "Table 6: ensemble of $(net_label "$nets") (jittered), Q=$eval_scales" \
        "$@" --scales "$eval_scales" --methods dense,multi,combined
fi
mv "$tables.tmp" "$tables"
cat "$tables"
echo "paper (top-1 / top-5 val. error, %): D jittered, Q {256,384,512}: dense 24.8 / 7.5, multi-crop 24.6 / 7.5, both 24.4 / 7.2"
echo "paper: D & E ensemble, dense and multi-crop: 23.7 / 6.8"
log "finished in $(fmt_duration "$(elapsed)"); outputs in $out"
echo "result: evaluation tables in $tables"
