#!/bin/sh
# The paper's PASCAL VOC experiment (appendix B) on your copy of VOC-2007 or
# VOC-2012: Net-D and Net-E descriptors averaged over Q = 256, 384, 512, 640,
# 768, with flips, stacked over the nets, L2-normalised; a binary linear SVM
# per class ("difficult" objects ignored, as the VOC protocol does), C chosen
# on a held-out 20% of the training set; per-class AP and mAP beside the
# paper's number.
#
#   sh pipelines/voc.sh VOCDIR [--models DIR] [--net D,E] [--out DIR] [--server]
#   sh pipelines/voc.sh VOCdevkit/VOC2012 --actions [--models DIR] [--out DIR]
#
# VOCDIR is VOCdevkit/VOC2007 or VOCdevkit/VOC2012 (ImageSets/Main,
# Annotations, JPEGImages).  VOC-2007: train on trainval, evaluate on test,
# AP with the 11-point interpolation of the 2007 devkit.  VOC-2012: its test
# labels are not public, so by default this is the local check: train on
# train, evaluate on val (AP as the area under the curve, the 2010+
# devkit's), not directly comparable with the paper's test-server number.
# VOC-2012 with --server is the paper's protocol: train on trainval, score
# the test images (ImageSets/Main/test.txt and JPEGImages of the test
# release) and write the evaluation server's files for the classification
# task with outside data (competition 2: the nets were trained on ILSVRC),
# OUT/results/VOC2012/Main/comp2_cls_test_<class>.txt, one line
# "<image id> <confidence>" per test image in test.txt's order, and
# OUT/results.tgz holding them to upload; no mAP is printed (only the
# server knows it).
#
# VOC-2012 with --actions is the paper's action classification (Table 11):
# one row per annotated person (ImageSets/Action, the <actions> of each
# annotation's persons; vggdata voc --actions), the descriptor of the
# person's box stacked with that of the whole image (vggfeat extract
# --with-image, the same nets and scales), one binary SVM per action
# (a person doing none of the ten is a negative of each), trained on train
# and evaluated on val (the action test set's labels are not public):
# per-action AP and mAP beside the paper's 84.0 (D & E, test server).
#
# Options (and the environment variables that set them too):
#   --out DIR        outputs (OUT; default runs/voc2007 or runs/voc2012)
#   --year 2007|2012 (YEAR; default: from the folder's name)
#   --train-set S --eval-set S   image sets (TRAIN_SET, EVAL_SET)
#   --scales LIST    Q values, averaged (SCALES; 256,384,512,640,768)
#   --server         VOC-2012: trainval -> test, the server's result files (SERVER=1)
#   --actions        VOC-2012 action classification, boxes and images (ACTIONS=1)
#   --l2 final|per-net  where vggfeat extract L2-normalises (L2; final)
#   --threads N --device cpu|cuda:N --batch N   passed to vggfeat extract
#   SVM_ARGS         extra vggsvm train options (e.g. "--cv 5" or "-c 1")
#   PROBE            images timed before extraction to estimate its length (8)
#
# Resumable: rerun the same command after an interruption.  Outputs:
# OUT/lists (labels files: path<TAB>class[,class...], 'class?' for classes
# present only as difficult objects), OUT/features, OUT/model, OUT/scores.tsv,
# OUT/metrics.json, OUT/ap.tsv (with --server: OUT/results/, OUT/results.tgz;
# with --actions, default OUT runs/voc2012_actions: OUT/lists/<set>.list, the
# box lists, and <set>.labels, "path#x1,y1,x2,y2<TAB>action[,action...]" as
# vggfeat names the rows).
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
server=${SERVER:-0}
actions=${ACTIONS:-0}
l2=${L2:-final}

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
        --server) server=1 ;;
        --actions) actions=1 ;;
        --l2) l2=$2; shift ;;
        -*) usage_error "unknown option '$1'" ;;
        *) [ -z "$vocdir" ] || usage_error "more than one VOC folder given"; vocdir=$1 ;;
    esac
    shift
done
[ -n "$vocdir" ] || usage_error "give the VOC folder (VOCdevkit/VOC2007 or VOCdevkit/VOC2012)"
[ "$actions" = 1 ] || [ -d "$vocdir/ImageSets/Main" ] || die "'$vocdir': no ImageSets/Main in it: give VOCdevkit/VOC2007 or VOCdevkit/VOC2012"

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
    2012) if [ "$server" = 1 ]; then : "${train_set:=trainval}" "${eval_set:=test}"
          else : "${train_set:=train}" "${eval_set:=val}"; fi
          ap_key=ap_area; map_key=map_area
          ap_name="AP as the area under the precision/recall curve (VOC-2010+ devkit)" ;;
    *) usage_error "--year must be 2007 or 2012" ;;
esac
if [ "$server" = 1 ]; then
    [ "$year" = 2012 ] || usage_error "--server is for VOC-2012 (VOC-2007's test labels are public: run without it)"
    [ -f "$vocdir/ImageSets/Main/$eval_set.txt" ] ||
        die "'$vocdir/ImageSets/Main/$eval_set.txt' is missing: unpack the VOC-2012 test release (VOC2012test.tar) into the same VOCdevkit"
fi
case "$l2" in final|per-net) ;; *) usage_error "--l2 must be final or per-net" ;; esac
if [ "$actions" = 1 ]; then
    [ "$year" = 2012 ] || usage_error "--actions is VOC-2012's action classification (give VOCdevkit/VOC2012)"
    [ "$server" = 0 ] || usage_error "--actions with --server: the action test server's files are not written; run --actions alone (train -> val)"
    [ -d "$vocdir/ImageSets/Action" ] || die "'$vocdir': no ImageSets/Action in it: the action annotations are part of the VOC-2012 trainval release"
fi
if [ -z "$out" ]; then
    out=runs/voc$year
    [ "$server" = 1 ] && out=runs/voc${year}_server
    [ "$actions" = 1 ] && out=runs/voc${year}_actions
fi

vggdata=$(prog vggdata)
vggfeat=$(prog vggfeat)
vggsvm=$(prog vggsvm)
command -v jq >/dev/null 2>&1 || die "jq is missing (Debian package jq; sh pipelines/setup.sh installs it)"

case "$actions,$year,$nets" in
    1,2012,D,E|1,2012,E,D) paper="84.0 (VOC-2012 action test server)" ;;
    1,*) paper="n/a (the paper reports D & E only)" ;;
    0,2007,D,E|0,2007,E,D) paper="89.7" ;;
    0,2007,D|0,2007,E) paper="89.3" ;;
    0,2012,D,E|0,2012,E,D) paper="89.3 (VOC-2012 test server)" ;;
    0,2012,D|0,2012,E) paper="89.0 (VOC-2012 test server)" ;;
    *) paper="n/a (the paper reports D, E and D & E)" ;;
esac

extract_args="--net $nets --scales $scales --aggregate average --l2 $l2"
[ -z "$models" ] || extract_args="$extract_args --models $models"
[ -z "$threads" ] || extract_args="$extract_args --threads $threads"
[ -z "$device" ] || extract_args="$extract_args --device $device"
[ -z "$batch" ] || extract_args="$extract_args --batch $batch"

mkdir -p "$out/lists" "$out/features"

if [ "$actions" = 1 ]; then
    # 1. box lists (one line per person) and labels files under the rows' names
    for set in "$train_set" "$eval_set"; do
        "$vggdata" voc "$vocdir" --actions --set "$set" -o "$out/lists/$set.list" \
            --classes "$out/lists/actions.txt" >&2 || die "reading the $set action set failed"
        awk -F '\t' '{ print $1 "#" substr($3, 5) "\t" $2 }' "$out/lists/$set.list" \
            >"$out/lists/$set.labels.tmp" && mv "$out/lists/$set.labels.tmp" "$out/lists/$set.labels"
    done
    n_train=$(count_lines "$out/lists/$train_set.list")
    n_eval=$(count_lines "$out/lists/$eval_set.list")
    tag=$(printf 'actions_%s_%s' "$nets" "$scales" | tr ',/' '-_')
    [ "$l2" = final ] || tag=${tag}_l2-$l2
    VGG_STEP_SALT=$(cat "$out/lists/$train_set.list" "$out/lists/$eval_set.list" | cksum | tr ' ' '-')
    log "plan: VOC-2012 actions: train on $train_set ($n_train persons), evaluate on $eval_set ($n_eval persons)"
    log "note: the action test labels are not public: evaluating on val (the local check)"
    log "plan: nets $nets at Q = $scales (averaged), flips, L2 ($l2); each person's box stacked with the whole image; one binary SVM per action"
    # 2. features: box and image
    total=0
    for set in "$train_set" "$eval_set"; do
        # shellcheck disable=SC2086
        step_done "$out/features/${set}_$tag.vgf" "$vggfeat" extract $extract_args --with-image \
            --list "$out/lists/$set.list" -o "$out/features/${set}_$tag.vgf" ||
            total=$((total + $(count_lines "$out/lists/$set.list")))
    done
    if [ "$total" -gt 0 ]; then
        # shellcheck disable=SC2086
        rate=$(probe_rate "$out/lists/$train_set.list" "$probe" $extract_args --with-image)
        log "speed: $rate persons/s measured on the first $probe persons; extracting $total persons will take $(estimate "$total" "$rate")"
    fi
    for set in "$train_set" "$eval_set"; do
        # shellcheck disable=SC2086
        run_step "extracting $set (boxes and images of $(count_lines "$out/lists/$set.list") persons)" \
            "$out/features/${set}_$tag.vgf" \
            "$vggfeat" extract $extract_args --with-image --list "$out/lists/$set.list" \
            -o "$out/features/${set}_$tag.vgf"
    done
    # 3. SVMs, scores, AP
    # shellcheck disable=SC2086
    run_step "training one binary SVM per action on $train_set" "$out/model" \
        "$vggsvm" train --features "$out/features/${train_set}_$tag.vgf" \
        --labels "$out/lists/$train_set.labels" --multilabel ${SVM_ARGS:-} -o "$out/model" --quiet
    run_step "scoring $eval_set" "$out/scores.tsv" \
        "$vggsvm" predict --model "$out/model" --features "$out/features/${eval_set}_$tag.vgf" \
        -o "$out/scores.tsv"
    "$vggsvm" eval --scores "$out/scores.tsv" --labels "$out/lists/$eval_set.labels" --multilabel \
        --json >"$out/metrics.json" || die "evaluation failed"
    jq -r '.classes[] | "\(.name)\t\(if .ap_area == null then "n/a" else (.ap_area * 10000 | round / 100) end)"' \
        "$out/metrics.json" >"$out/ap.tsv" || die "'$out/metrics.json': no per-action AP"
    map=$(json_get "$out/metrics.json" ".map_area * 100" | awk '{ printf "%.1f", $1 }')
    echo "voc2012 actions: AP as the area under the precision/recall curve on $eval_set (local check: $train_set -> $eval_set), $(net_label "$nets"), box and image, Q $scales averaged"
    awk -F "\t" '{ if ($2 == "n/a") printf "  %-18s %6s\n", $1, $2; else printf "  %-18s %6.1f\n", $1, $2 }' "$out/ap.tsv"
    log "finished in $(fmt_duration "$(elapsed)"); outputs in $out"
    echo "result: mAP $map % over $(count_lines "$out/ap.tsv") actions (local check: $train_set -> $eval_set)   (paper: $paper)"
    exit 0
fi

# 1. labels files from the XML annotations (cheap: always remade); the
# server's test set has none: its list is test.txt's images
for set in "$train_set" "$eval_set"; do
    if [ "$server" = 1 ] && [ "$set" = "$eval_set" ]; then
        awk -v d="$vocdir" 'NF { sub(/\r$/, "", $1); print d "/JPEGImages/" $1 ".jpg" }' \
            "$vocdir/ImageSets/Main/$set.txt" >"$out/lists/$set.list.tmp"
        mv "$out/lists/$set.list.tmp" "$out/lists/$set.list"
        cp "$out/lists/$set.list" "$out/lists/$set.labels"
        cp "$out/lists/$train_set.classes.txt" "$out/lists/$set.classes.txt"
        continue
    fi
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
[ "$l2" = final ] || tag=${tag}_l2-$l2
VGG_STEP_SALT=$(cat "$out/lists/$train_set.labels" "$out/lists/$eval_set.labels" | cksum | tr ' ' '-')

log "plan: VOC-$year, $n_classes classes: train on $train_set ($n_train images), evaluate on $eval_set ($n_eval images)"
if [ "$year" = 2012 ] && [ "$server" = 1 ]; then
    log "note: VOC-2012 test labels are not public: writing the evaluation server's files (competition 2), no mAP here"
elif [ "$year" = 2012 ]; then
    log "note: VOC-2012 test labels are not public: evaluating on val, not test (the local check; --server for the paper's protocol)"
fi
log "plan: nets $nets at Q = $scales (averaged), flips, L2 ($l2); one binary SVM per class, difficult objects ignored"

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
if [ "$server" = 1 ]; then
    # the server's files: scores.tsv's header is "name<TAB>class...", its
    # rows are the test images in test.txt's order
    res=$out/results/VOC2012/Main
    rm -rf "$out/results" "$out/results.tgz"
    mkdir -p "$res"
    awk -F '\t' -v dir="$res" '
        NR == 1 { for (i = 2; i <= NF; i++) cls[i] = $i; n = NF; next }
        { id = $1; sub(/^.*\//, "", id); sub(/\.[^.]*$/, "", id)
          for (i = 2; i <= n; i++) printf "%s %.6f\n", id, $i > (dir "/comp2_cls_test_" cls[i] ".txt") }
    ' "$out/scores.tsv" || die "writing the result files failed"
    (cd "$out" && tar -czf results.tgz results) || die "packing '$out/results.tgz' failed"
    n_files=$(find "$res" -name 'comp2_cls_test_*.txt' | wc -l | tr -d ' ')
    echo "voc$year: trainval -> test, $(net_label "$nets"), Q $scales averaged"
    log "finished in $(fmt_duration "$(elapsed)"); outputs in $out"
    echo "result: $n_files result files in $res ($n_eval test images each); upload $out/results.tgz to the evaluation server (paper: $paper)"
    exit 0
fi
"$vggsvm" eval --scores "$out/scores.tsv" --labels "$out/lists/$eval_set.labels" --multilabel \
    --json >"$out/metrics.json" || die "evaluation failed"

jq -r --arg k "$ap_key" '.classes[] | "\(.name)\t\(if .[$k] == null then "n/a" else (.[$k] * 10000 | round / 100) end)"' \
    "$out/metrics.json" >"$out/ap.tsv" || die "'$out/metrics.json': no per-class AP"
map=$(json_get "$out/metrics.json" ".$map_key * 100" | awk '{ printf "%.1f", $1 }')
check=""
[ "$year" = 2012 ] && check=" (local check: $train_set -> $eval_set)"
echo "voc$year: $ap_name on $eval_set$check, $(net_label "$nets"), Q $scales averaged"
awk -F "\t" '{ if ($2 == "n/a") printf "  %-14s %6s\n", $1, $2; else printf "  %-14s %6.1f\n", $1, $2 }' "$out/ap.tsv"
log "finished in $(fmt_duration "$(elapsed)"); outputs in $out"
echo "result: mAP $map %$check   (paper: $paper)"
