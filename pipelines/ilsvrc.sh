#!/bin/sh
# The paper's ILSVRC-2012 training recipe (section 3) as a sequence of
# vggtrain runs, and its evaluation tables (section 4):
#   1. class index and lists from the ILSVRC-2012 layout (vggdata ilsvrc);
#   2. net A from random initialisation, training scale S = 256;
#   3. for each deeper net X (D, E; with --full: A-LRN and B at S = 256,
#      and C, D, E): X at S = 256, its first four conv layers and three FC
#      layers copied from A, the rest random (A-LRN, as shallow as A, from
#      random initialisation);
#      X at S = 384, initialised from X at 256, learning rate 1e-3;
#      X with S jittered in [256, 512], fine-tuned from X at 384;
#   4. top-1 / top-5 validation error, each beside the paper's number
#      (pipelines/paper/ilsvrc_tables.tsv):
#      Table 3: every net at one test scale, dense (Q = S; jittered: Q = 384);
#      Table 4: every net but A and A-LRN at three test scales, dense
#        (fixed S: Q = S-32, S, S+32; jittered: Q = 256, 384, 512);
#      Table 5: the jittered nets by method (dense, multi-crop, both);
#      Table 6: ensembles, each net at its own Table 4 scales: the jittered
#        nets (dense; dense and multi-crop), and every multi-scale net.
# The optimiser and schedule are vggtrain train's defaults, the paper's
# (batch 256, momentum 0.9, weight decay 5e-4, dropout 0.5, learning rate
# 1e-2 divided by 10 when validation accuracy stops improving, three times
# at most, 74 epochs); this script names the data, the nets and the scales.
#
#   sh pipelines/ilsvrc.sh DIR (--devkit-gt FILE --synsets FILE | --val-csv FILE)
#                          [--net D,E] [--full] [--out DIR] [--device cuda:0]
#
# DIR holds train/<wnid>/*.JPEG and val/ (see 'vggdata ilsvrc --help' for
# the ground-truth files accepted; val/ sorted into val/<wnid>/ needs none).
#
# Options (and the environment variables that set them too):
#   --out DIR          outputs (OUT; default runs/ilsvrc)
#   --net LIST         the deeper nets trained at three scales (NETS; D,E)
#   --full             all six nets of Table 3: A, A-LRN, B, C, D, E (FULL=1)
#   --device DEV --threads N   passed to vggtrain (DEVICE, THREADS)
#   Overrides of vggtrain's defaults, for small trials only (unset: the paper's):
#   EPOCHS, ITERATIONS, BATCH, ACCUM, LR, PATIENCE
#   LR_FINETUNE (0.001)  the S=384 and jittered runs' learning rate
#   S_FIXED (256) S_HIGH (384) JITTER (256,512)  training scales
#   Q_STEP (32)        Table 4's fixed-S test scales: S-Q_STEP, S, S+Q_STEP
#   INPUT_SIZE (224) WIDTH (1) FC_DIM (4096)   the nets' shape
#   VAL_LIMIT          validate and evaluate on the first N val images only
#   GRID (5)           multi-crop grid per scale
#   TRAIN_ARGS         extra vggtrain train options
#
# Resumable: rerun the same command; finished runs are skipped and an
# interrupted run continues from its checkpoint (vggtrain --resume).
# Outputs: OUT/lists, OUT/models/<net>_<scale>.safetensors (+ .ckpt and
# .log.jsonl), OUT/eval/*.txt (vggtrain eval's tables), OUT/eval/tables.txt
# (the four tables beside the paper's numbers).
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
epochs=${EPOCHS:-}
iterations=${ITERATIONS:-}
batch=${BATCH:-}
accum=${ACCUM:-}
lr=${LR:-}
lr_ft=${LR_FINETUNE:-0.001}
patience=${PATIENCE:-}
full=${FULL:-0}
s_fixed=${S_FIXED:-256}
s_high=${S_HIGH:-384}
jitter=${JITTER:-256,512}
q_step=${Q_STEP:-32}
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
        --full) full=1 ;;
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
common="$common --input-size $input_size --width $width --fc-dim $fc_dim"
[ -z "$batch" ] || common="$common --batch $batch"
[ -z "$accum" ] || common="$common --accum $accum"
[ -z "$patience" ] || common="$common --patience $patience"
[ -z "$val_limit" ] || common="$common --val-limit $val_limit"
[ -z "$device" ] || common="$common --device $device"
[ -z "$threads" ] || common="$common --threads $threads"
if [ -n "$iterations" ]; then
    common="$common --iterations $iterations"
    per_run=$((iterations * ${batch:-256}))
    length="$iterations iterations"
else
    [ -z "$epochs" ] || common="$common --epochs $epochs"
    per_run=$((${epochs:-74} * n_train))
    length="at most ${epochs:-74} epochs"
fi
common="$common ${TRAIN_ARGS:-}"
# the training learning rate, when overridden (else vggtrain's 1e-2)
lr_arg=""
[ -z "$lr" ] || lr_arg="--lr $lr"
eval_common="--list $out/lists/val.list --classes $out/lists/classes.txt --grid $grid"
[ -z "$val_limit" ] || eval_common="$eval_common --limit $val_limit"
[ -z "$device" ] || eval_common="$eval_common --device $device"
[ -z "$threads" ] || eval_common="$eval_common --threads $threads"
jmin=${jitter%,*}
jmax=${jitter#*,}
jmid=$(((jmin + jmax) / 2))
jtag=$jmin-$jmax

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
shallow=""
if [ "$full" = 1 ]; then
    shallow="A-LRN B"
    deeper=$(printf '%s\n' C $deeper | awk '!seen[$0]++' | tr '\n' ' ')
fi
n_runs=$((1 + $(echo $shallow | wc -w) + 3 * $(echo $deeper | wc -w)))
log "plan: $n_classes classes, $n_train training and $n_val validation images"
log "plan: $n_runs vggtrain runs of $length each: A at S=$s_fixed;${shallow:+ $shallow at S=$s_fixed;} then for $deeper: S=$s_fixed (from A), S=$s_high (lr $lr_ft), S in [$jitter]"
log "plan: Tables 3-6: dense at Q=S (jittered: Q=$jmid); at Q=S-$q_step,S,S+$q_step (jittered: $jmin,$jmid,$jmax); jittered nets by method (multi-crop $grid x $grid x 2); ensembles, each net at its own scales"

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
# shellcheck disable=SC2086
if ! step_done "$out/models/A_$s_fixed.safetensors" "$vggtrain" train $common --config A \
        --scale "$s_fixed" $lr_arg --checkpoint "$out/models/A_$s_fixed.safetensors.ckpt" \
        --log "$out/models/A_$s_fixed.safetensors.log.jsonl" -o "$out/models/A_$s_fixed.safetensors"; then
    probe_dir=$(mktemp -d "${TMPDIR:-/tmp}/vggprobe.XXXXXX")
    t0=$(now)
    # shellcheck disable=SC2086
    if "$vggtrain" train $common --iterations 2 --config A --scale "$s_fixed" \
            --val-every 1000000000 -o "$probe_dir/probe.safetensors" >"$probe_dir/log" 2>&1; then
        rate=$(awk -v n="$((2 * ${batch:-256}))" -v a="$t0" -v b="$(now)" 'BEGIN { d = b - a; if (d < .001) d = .001; printf "%.2f\n", n / d }')
        log "speed: $rate images/s for net A (2 iterations measured); each deeper net is slower"
        log "estimate: A alone $(estimate "$per_run" "$rate"); the whole sequence several times that"
    else
        log "could not measure the speed:"
        cat "$probe_dir/log" >&2
    fi
    rm -rf "$probe_dir"
fi

# 2. A at S_FIXED (and, with --full, A-LRN and B)
# shellcheck disable=SC2086
train_run "A_$s_fixed" "net A, S=$s_fixed, random initialisation" --config A --scale "$s_fixed" $lr_arg
for x in $shallow; do
    from="--init-from $out/models/A_$s_fixed.safetensors"
    how="initialised from A"
    [ "$x" = A-LRN ] && from="" how="random initialisation"
    # shellcheck disable=SC2086
    train_run "${x}_$s_fixed" "net $x, S=$s_fixed, $how" --config "$x" --scale "$s_fixed" $lr_arg $from
done

# 3. the deeper nets
for x in $deeper; do
    # shellcheck disable=SC2086
    train_run "${x}_$s_fixed" "net $x, S=$s_fixed, initialised from A" \
        --config "$x" --scale "$s_fixed" $lr_arg --init-from "$out/models/A_$s_fixed.safetensors"
    [ -n "$finetune_opt" ] ||
        die "this vggtrain has no option to start from all the weights of a trained net ('vggtrain train --help'); the S=$s_high and jittered runs need one"
    train_run "${x}_$s_high" "net $x, S=$s_high, from S=$s_fixed, lr $lr_ft" \
        --config "$x" --scale "$s_high" --lr "$lr_ft" "$finetune_opt" "$out/models/${x}_$s_fixed.safetensors"
    train_run "${x}_$jtag" "net $x, S in [$jitter], from S=$s_high" \
        --config "$x" --scale-jitter "$jitter" --lr "$lr_ft" "$finetune_opt" "$out/models/${x}_$s_high.safetensors"
done

# 4. evaluation tables, each row beside the paper's
paper_tsv=$here/paper/ilsvrc_tables.tsv
tables="$out/eval/tables.txt"
: >"$tables.tmp"
# eval_run FILE ARGS...: vggtrain eval into FILE (skipped when done)
eval_run() {
    _file=$1
    shift
    # shellcheck disable=SC2086
    run_step "evaluating: $(basename "$_file" .txt)" "$_file" sh -c '"$@" >"$0.tmp" && mv "$0.tmp" "$0"' "$_file" \
        "$vggtrain" eval $eval_common "$@"
}
# row TABLE FILE NET-IN-FILE Q-TEXT METHOD LABEL PAPER-NET PAPER-S: one
# line of the tables, our errors from FILE's row, the paper's from its TSV
row() {
    awk -v net="$3" -v q="$4" -v m="$5" -v label="$6" -v t="$1" -v pn="$7" -v ps="$8" -v tsv="$paper_tsv" '
        BEGIN { FS = "\t"; p1 = p5 = "-"
                while ((getline l < tsv) > 0) { if (l ~ /^#/) continue; split(l, f, "\t")
                    if (f[1] == t && f[2] == pn && f[3] == ps && f[4] == m) { p1 = f[5]; p5 = f[6] } }
                FS = " " }
        # vggtrain eval: name (32), Q (16), method (18), two errors
        substr($0, 1, 33) == sprintf("%-32s ", net) && substr($0, 34, 17) == sprintf("%-16s ", q) &&
        substr($0, 51, 19) == sprintf("%-18s ", m) { e1 = $(NF - 1); e5 = $NF }
        END { if (e1 == "") exit 1
              printf "%-44s %-16s %-17s %7s %7s   %7s %7s\n", label, q, m, e1, e5, p1, p5 }
    ' "$2" >>"$tables.tmp" || die "'$2': no row for $3 at Q=$4 ($5)"
}
header() {
    { echo; echo "== $1"; printf "%-44s %-16s %-17s %7s %7s   %7s %7s\n" ConvNet "test scale Q" method top-1 top-5 "paper 1" "paper 5"; } >>"$tables.tmp"
}
# the paper's name of a training scale
paper_s() {
    case "$1" in "$s_fixed") echo 256 ;; "$s_high") echo 384 ;; *) echo 256-512 ;; esac
}
# each trained net: NAME (file stem) CONFIG S-TAG
trained="A_$s_fixed"
for x in $shallow; do trained="$trained ${x}_$s_fixed"; done
for x in $deeper; do trained="$trained ${x}_$s_fixed ${x}_$s_high ${x}_$jtag"; done
# a net's own scales: Table 3's one, Table 4's three
q1_of() { case "$1" in *_"$jtag") echo "$jmid" ;; *) echo "${1##*_}" ;; esac; }
q3_of() {
    case "$1" in
        *_"$jtag") echo "$jmin,$jmid,$jmax" ;;
        *) _s=${1##*_}; echo "$((_s - q_step)),$_s,$((_s + q_step))" ;;
    esac
}

# single_net_table TABLE QSETS-FUNCTION NET...: each net alone, dense, at its scales
single_net_table() {
    _t=$1
    _qf=$2
    shift 2
    for _n in "$@"; do
        _q=$($_qf "$_n")
        eval_run "$out/eval/t${_t}_$_n.txt" -w "$out/models/$_n.safetensors" --scales "$_q" --methods dense
        row "$_t" "$out/eval/t${_t}_$_n.txt" "$_n.safetensors" "$_q" dense \
            "${_n%_*} (S $(echo "${_n##*_}" | tr - ,))" "${_n%_*}" "$(paper_s "${_n##*_}")"
    done
}
header "Table 3: one test scale, dense (Q = S; jittered S: Q = $jmid)"
# shellcheck disable=SC2086
single_net_table 3 q1_of $trained
header "Table 4: three test scales, dense (fixed S: Q = S-$q_step, S, S+$q_step; jittered: $jmin, $jmid, $jmax)"
# shellcheck disable=SC2086
single_net_table 4 q3_of $(printf '%s\n' $trained | grep -v '^A_\|^A-LRN_')
header "Table 5: jittered S, Q = $jmin,$jmid,$jmax, by method"
for x in $deeper; do
    n=${x}_$jtag
    eval_run "$out/eval/t5_$n.txt" -w "$out/models/$n.safetensors" --scales "$jmin,$jmid,$jmax" \
        --methods dense,multi,combined
    for m in dense multi-crop dense+multi-crop; do
        row 5 "$out/eval/t5_$n.txt" "$n.safetensors" "$jmin,$jmid,$jmax" "$m" "$x (S $jmin,$jmax)" "$x" 256-512
    done
done
header "Table 6: ensembles (softmax averaged), each net at its own scales"
set --
for x in $(printf '%s\n' "$nets" | tr ',' ' '); do
    set -- "$@" -w "$out/models/${x}_$jtag.safetensors" --scales "$jmin,$jmid,$jmax"
done
if [ $# -gt 4 ]; then
    eval_run "$out/eval/t6_jittered.txt" "$@" --methods dense,multi,combined
    k=$(($# / 4))
    label="$(printf '%s\n' "$nets" | tr ',' '&') jittered"
    for m in dense dense+multi-crop; do
        row 6 "$out/eval/t6_jittered.txt" "ensemble of $k" "$jmin,$jmid,$jmax" "$m" "$label" "$label" 256-512
    done
fi
# every multi-scale net of the deeper ones at its own Table 4 scales: with
# C, D, E, the paper's 7-net submission (C and E at 256 and 384, D at all three)
set --
for x in $deeper; do
    for n in "${x}_$s_fixed" "${x}_$s_high" "${x}_$jtag"; do
        case "$x,$n" in C,*_"$jtag"|E,*_"$jtag") [ "$full" = 1 ] && continue ;; esac
        [ $# -lt 32 ] || continue
        set -- "$@" -w "$out/models/$n.safetensors" --scales "$(q3_of "$n")"
    done
done
if [ $# -gt 4 ]; then
    eval_run "$out/eval/t6_all.txt" "$@" --methods dense
    k=$(($# / 4))
    label="$k nets, own scales"
    pn=-
    [ "$full" = 1 ] && [ "$k" = 7 ] && pn="7 nets (C, D, E at 256 and 384, D jittered)" label=$pn
    row 6 "$out/eval/t6_all.txt" "ensemble of $k" "per net" dense "$label" "$pn" various
fi
mv "$tables.tmp" "$tables"
echo "ILSVRC-2012 validation error (%), ours beside the paper's (pipelines/paper/ilsvrc_tables.tsv)"
cat "$tables"
log "finished in $(fmt_duration "$(elapsed)"); outputs in $out"
echo "result: evaluation tables in $tables"
