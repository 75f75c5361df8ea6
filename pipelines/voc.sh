#!/bin/sh
# The paper's PASCAL VOC experiment (appendix B) on your copy of VOC-2007 or
# VOC-2012: Net-D and Net-E descriptors averaged over Q = 256, 384, 512, 640,
# 768, with flips, stacked over the nets, L2-normalised; a binary linear SVM
# per class ("difficult" objects ignored, as the VOC protocol does), C chosen
# on a held-out 20% of the training set; per-class AP and mAP beside the
# paper's number.
#
#   sh pipelines/voc.sh VOCDIR [--models DIR] [--net D,E] [--out DIR]
#
# VOCDIR is VOCdevkit/VOC2007 or VOCdevkit/VOC2012 (ImageSets/Main,
# Annotations, JPEGImages).  VOC-2007: train on trainval, evaluate on test,
# AP with the 11-point interpolation of the 2007 devkit.  VOC-2012: its test
# labels are not public, so this trains on train and evaluates on val (AP as
# the area under the curve, the 2010+ devkit's); the paper's 2012 number is
# from the test server and not directly comparable.
#
# Options (and the environment variables that set them too):
#   --out DIR        outputs (OUT; default runs/voc2007 or runs/voc2012)
#   --year 2007|2012 (YEAR; default: from the folder's name)
#   --train-set S --eval-set S   image sets (TRAIN_SET, EVAL_SET)
#   --scales LIST    Q values, averaged (SCALES; 256,384,512,640,768)
#   --threads N --device cpu|cuda:N --batch N   passed to vggfeat extract
#   SVM_ARGS         extra vggsvm train options (e.g. "--cv 5" or "-c 1")
#   PROBE            images timed before extraction to estimate its length (8)
#
# Resumable: rerun the same command after an interruption.  Outputs:
# OUT/lists (labels files: path<TAB>class[,class...], 'class?' for classes
# present only as difficult objects), OUT/features, OUT/model, OUT/scores.tsv,
# OUT/metrics.json, OUT/ap.tsv.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
vgg_init voc "$0"

vocdir=""
models=${MODELS:-}
nets=${NETS:-D,E}
out=${OUT:-}
year=${YEAR:-}
train_set=${TRAIN_SET:-}
eval_set=${EVAL_SET:-}
scales=${SCALES:-256,384,512,640,768}
threads=${THREADS:-}
device=${DEVICE:-}
batch=${BATCH:-}
probe=${PROBE:-8}

while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        --models) models=$2; shift ;;
        --net) nets=$2; shift ;;
        --out) out=$2; shift ;;
        --year) year=$2; shift ;;
        --train-set) train_set=$2; shift ;;
        --eval-set) eval_set=$2; shift ;;
        --scales) scales=$2; shift ;;
        --threads) threads=$2; shift ;;
        --device) device=$2; shift ;;
        --batch) batch=$2; shift ;;
        -*) usage_error "unknown option '$1'" ;;
        *) [ -z "$vocdir" ] || usage_error "more than one VOC folder given"; vocdir=$1 ;;
    esac
    shift
done
[ -n "$vocdir" ] || usage_error "give the VOC folder (VOCdevkit/VOC2007 or VOCdevkit/VOC2012)"
[ -d "$vocdir/ImageSets/Main" ] || die "'$vocdir': no ImageSets/Main in it: give VOCdevkit/VOC2007 or VOCdevkit/VOC2012"

if [ -z "$year" ]; then
    case "$(basename "$vocdir")" in
        *2007*) year=2007 ;;
        *2012*) year=2012 ;;
        *) die "'$vocdir': cannot tell the year from the name: give --year 2007 or --year 2012" ;;
    esac
fi
case "$year" in
    2007) : "${train_set:=trainval}" "${eval_set:=test}"; ap_key=ap_voc07; map_key=map_voc07
          ap_name="11-point interpolated AP (VOC-2007 devkit)" ;;
    2012) : "${train_set:=train}" "${eval_set:=val}"; ap_key=ap_area; map_key=map_area
          ap_name="AP as the area under the precision/recall curve (VOC-2010+ devkit)" ;;
    *) usage_error "--year must be 2007 or 2012" ;;
esac
[ -n "$out" ] || out=runs/voc$year

vggdata=$(prog vggdata)
vggfeat=$(prog vggfeat)
vggsvm=$(prog vggsvm)
command -v jq >/dev/null 2>&1 || die "jq is missing (Debian package jq; sh pipelines/setup.sh installs it)"

case "$year,$nets" in
    2007,D,E|2007,E,D) paper="89.7" ;;
    2007,D|2007,E) paper="89.3" ;;
    2012,D,E|2012,E,D) paper="89.3 (VOC-2012 test server)" ;;
    2012,D|2012,E) paper="89.0 (VOC-2012 test server)" ;;
    *) paper="n/a (the paper reports D, E and D & E)" ;;
esac

extract_args="--net $nets --scales $scales --aggregate average"
[ -z "$models" ] || extract_args="$extract_args --models $models"
[ -z "$threads" ] || extract_args="$extract_args --threads $threads"
[ -z "$device" ] || extract_args="$extract_args --device $device"
[ -z "$batch" ] || extract_args="$extract_args --batch $batch"

mkdir -p "$out/lists" "$out/features"

# 1. labels files from the XML annotations (cheap: always remade)
for set in "$train_set" "$eval_set"; do
    "$vggdata" voc "$vocdir" --set "$set" -o "$out/lists/$set.labels" \
        --classes "$out/lists/$set.classes.txt" >&2 || die "reading the $set set failed"
    # the images alone for vggfeat (the labels go to vggsvm from the labels file)
    cut -f1 "$out/lists/$set.labels" >"$out/lists/$set.list.tmp"
    mv "$out/lists/$set.list.tmp" "$out/lists/$set.list"
done
cmp -s "$out/lists/$train_set.classes.txt" "$out/lists/$eval_set.classes.txt" ||
    die "the $train_set and $eval_set sets do not have the same classes (see $out/lists/*.classes.txt)"
n_classes=$(count_lines "$out/lists/$train_set.classes.txt")
n_train=$(count_lines "$out/lists/$train_set.labels")
n_eval=$(count_lines "$out/lists/$eval_set.labels")
tag=$(printf '%s_%s' "$nets" "$scales" | tr ',/' '-_')
VGG_STEP_SALT=$(cat "$out/lists/$train_set.labels" "$out/lists/$eval_set.labels" | cksum | tr ' ' '-')

log "plan: VOC-$year, $n_classes classes: train on $train_set ($n_train images), evaluate on $eval_set ($n_eval images)"
[ "$year" = 2012 ] && log "note: VOC-2012 test labels are not public: evaluating on val, not test"
log "plan: nets $nets at Q = $scales (averaged), flips, L2; one binary SVM per class, difficult objects ignored"

# 2. features
total=0
for set in "$train_set" "$eval_set"; do
    st="$out/features/${set}_$tag.vgf"
    # shellcheck disable=SC2086
    if ! step_done "$st" "$vggfeat" extract $extract_args --list "$out/lists/$set.list" -o "$st"; then
        total=$((total + $(count_lines "$out/lists/$set.labels")))
    fi
done
if [ "$total" -gt 0 ]; then
    # shellcheck disable=SC2086
    rate=$(probe_rate "$out/lists/$train_set.list" "$probe" $extract_args)
    log "speed: $rate images/s measured on the first $probe images; extracting $total images will take $(estimate "$total" "$rate")"
fi
for set in "$train_set" "$eval_set"; do
    st="$out/features/${set}_$tag.vgf"
    # shellcheck disable=SC2086
    run_step "extracting $set ($(count_lines "$out/lists/$set.labels") images)" "$st" \
        "$vggfeat" extract $extract_args --list "$out/lists/$set.list" -o "$st"
done

# 3. SVMs, scores, AP
# shellcheck disable=SC2086
run_step "training $n_classes binary SVMs on $train_set" "$out/model" \
    "$vggsvm" train --features "$out/features/${train_set}_$tag.vgf" \
    --labels "$out/lists/$train_set.labels" --multilabel ${SVM_ARGS:-} -o "$out/model" --quiet
run_step "scoring $eval_set" "$out/scores.tsv" \
    "$vggsvm" predict --model "$out/model" --features "$out/features/${eval_set}_$tag.vgf" \
    -o "$out/scores.tsv"
"$vggsvm" eval --scores "$out/scores.tsv" --labels "$out/lists/$eval_set.labels" --multilabel \
    --json >"$out/metrics.json" || die "evaluation failed"

jq -r --arg k "$ap_key" '.classes[] | "\(.name)\t\(if .[$k] == null then "n/a" else (.[$k] * 10000 | round / 100) end)"' \
    "$out/metrics.json" >"$out/ap.tsv" || die "'$out/metrics.json': no per-class AP"
map=$(json_get "$out/metrics.json" ".$map_key * 100" | awk '{ printf "%.1f", $1 }')
echo "voc$year: $ap_name on $eval_set, $(net_label "$nets"), Q $scales averaged"
awk -F "\t" '{ if ($2 == "n/a") printf "  %-14s %6s\n", $1, $2; else printf "  %-14s %6.1f\n", $1, $2 }' "$out/ap.tsv"
log "finished in $(fmt_duration "$(elapsed)"); outputs in $out"
echo "result: mAP $map %   (paper: $paper)"
