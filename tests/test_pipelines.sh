#!/bin/sh
# The dataset pipelines end to end on miniature copies of each dataset's
# official layout (tests/make_mini_datasets.py: a few classes, a handful of
# generated JPEGs each, VOC XML annotations, an ILSVRC tree with a devkit
# ground-truth file) with tiny random-weight nets (width 1/16, fc 32,
# input 32) at small scales.  Checks that each script reaches its metric
# line with sane values, recomputes the Caltech metrics from the scores and
# lists independently (awk), the VOC APs from the scores and labels
# (tests/recompute_metrics.py, numpy), that the ILSVRC fine-tuning runs
# start from the previous run's weights with the learning rate and scales
# they claim, the rows of Tables 3-6 (Q sets, per-net scales in an
# ensemble) against evaluations run here, the VOC-2012 server files against
# the scores, the VOC-2012 action box lists against the annotations and the
# per-action AP against the scores, the VOC labels' difficult marks, that a rerun skips finished
# steps with the same result, and the error paths.
#
#   sh tests/test_pipelines.sh BIN_DIR PYTHON SOURCE_DIR
#
# Exit 0 pass, 1 fail, 77 skipped (Pillow or numpy missing; a failure where
# VGG_REQUIRE_REFERENCES=1).
set -eu

bin=$1
python=$2
src=$3
work=$PWD/pipelines_tmp
fails=0

fail() {
    echo "FAIL: $*" >&2
    fails=$((fails + 1))
}
ok() {
    echo "ok: $*"
}

# recall_from_scores TEST_LIST SCORES_TSV: "MEAN_CLASS_RECALL_PERCENT ROWS",
# the arg max of each row of the scores against the list's label
recall_from_scores() {
    awk -F '\t' '
        NR == FNR { truth[$1] = $2; n[$2]++; next }
        FNR == 1 { for (i = 2; i <= NF; i++) cls[i] = $i; next }
        { best = 2; for (i = 3; i <= NF; i++) if ($i + 0 > $best + 0) best = i;
          if (cls[best] == truth[$1]) hit[truth[$1]]++; seen++ }
        END { s = 0; k = 0; for (c in n) { s += hit[c] / n[c]; k++ } printf "%.2f %d\n", 100 * s / k, seen }
    ' "$1" "$2"
}

# in_range VALUE LO HI
in_range() {
    awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v ~ /^-?[0-9.]+$/ && v + 0 >= lo && v + 0 <= hi) }'
}

for p in vggdata vggfeat vggsvm vggtrain; do
    if [ ! -x "$bin/$p" ]; then
        echo "FAIL: program '$p' is missing from $bin (not built yet?): the pipelines need it" >&2
        exit 1
    fi
done
if ! "$python" -c 'import numpy, PIL' 2>/dev/null; then
    if [ "${VGG_REQUIRE_REFERENCES:-}" = 1 ]; then
        echo "FAIL: $python lacks numpy or Pillow, and VGG_REQUIRE_REFERENCES=1 says everything the tests use is installed here" >&2
        exit 1
    fi
    echo "SKIP: $python lacks numpy or Pillow (python3-numpy, python3-pil)"
    exit 77
fi
command -v jq >/dev/null 2>&1 || { echo "FAIL: jq is missing (Debian package jq)" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
"$python" "$src/tests/make_mini_datasets.py" "$work/data" || { echo "FAIL: making the miniature datasets" >&2; exit 1; }
data=$work/data
export VGG_BIN="$bin" THREADS=1 PROBE=2

# ---------------------------------------------------------------- Caltech-101
run101() {
    SCALES=32,48 sh "$src/pipelines/caltech101.sh" "$data/caltech101" --models "$data/models" \
        --train 4 --test 3 --out "$work/c101" >"$work/c101.out" 2>"$work/c101.err"
}
if run101; then
    line=$(grep '^result: mean class recall' "$work/c101.out" || true)
    mean=$(printf '%s\n' "$line" | awk '{ print $5 }')
    sd=$(printf '%s\n' "$line" | awk '{ print $7 }')
    if in_range "$mean" 0 100 && in_range "$sd" 0 100 && printf '%s\n' "$line" | grep -q 'paper: 92.7 ± 0.5'; then
        ok "caltech101: $line"
    else
        fail "caltech101: no sane result line in: $(cat "$work/c101.out")"
    fi
    [ "$(wc -l <"$work/c101/lists/classes.txt")" -eq 4 ] && grep -qx BACKGROUND_Google "$work/c101/lists/classes.txt" ||
        fail "caltech101: expected 4 classes with BACKGROUND_Google"
    # each split: 4 training images per class, 3 test, disjoint
    for k in 1 2 3; do
        l="$work/c101/lists/split$k"
        bad=$(cut -f2 "$l/train.list" | sort | uniq -c | awk '$1 != 4' | wc -l)
        [ "$bad" -eq 0 ] || fail "caltech101 split$k: a class without exactly 4 training images"
        [ "$(wc -l <"$l/test.list")" -eq 12 ] || fail "caltech101 split$k: expected 12 test images"
        [ -z "$(sort "$l/train.list" "$l/test.list" | uniq -d)" ] || fail "caltech101 split$k: train and test share images"
        # mean class recall recomputed from the scores (arg max) and the test list
        r=$(awk -F '\t' '
            NR == FNR { truth[$1] = $2; n[$2]++; next }
            FNR == 1 { for (i = 2; i <= NF; i++) cls[i] = $i; next }
            { best = 2; for (i = 3; i <= NF; i++) if ($i + 0 > $best + 0) best = i;
              if (cls[best] == truth[$1]) hit[truth[$1]]++; seen++ }
            END { s = 0; k = 0; for (c in n) { s += hit[c] / n[c]; k++ } printf "%.2f %d\n", 100 * s / k, seen }
        ' "$l/test.list" "$work/c101/scores/split$k.tsv")
        got=$(awk -F '\t' -v s="split$k" '$1 == s { print $2 }' "$work/c101/results.tsv")
        awk -v a="${r% *}" -v b="$got" 'BEGIN { exit !(a - b < 0.011 && b - a < 0.011) }' ||
            fail "caltech101 split$k: recall $got, recomputed from the scores ${r% *}"
        [ "${r#* }" -eq 12 ] || fail "caltech101 split$k: ${r#* } scored images, expected 12"
    done
    # mean ± std over the splits recomputed from results.tsv
    want=$(awk -F '\t' '{ x[NR] = $2; s += $2 } END { m = s / NR; for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2;
            printf "%.1f %.1f\n", m, sqrt(v / (NR - 1)) }' "$work/c101/results.tsv")
    [ "$want" = "$mean $sd" ] || fail "caltech101: result '$mean ± $sd', recomputed '$want'"
    # the D and E descriptors at two scales, stacked: 2 x 2 x fc 32
    dim=$("$bin/vggfeat" info "$work/c101/features/split1_test.vgf" | awk '/dim/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { print $i; exit } }')
    [ "$dim" = 128 ] || fail "caltech101: descriptor dimension '$dim', expected 128"
    # a rerun skips every step and prints the same result
    if run101; then
        line2=$(grep '^result:' "$work/c101.out" || true)
        [ "$line2" = "$line" ] || fail "caltech101 rerun: '$line2' differs from '$line'"
        grep -q 'extracting' "$work/c101.err" && ! grep -q 'done already: extracting' "$work/c101.err" &&
            fail "caltech101 rerun: extraction ran again"
        [ "$(grep -c 'done already' "$work/c101.err")" -eq 13 ] ||
            fail "caltech101 rerun: expected 13 steps skipped: $(cat "$work/c101.err")"
    else
        fail "caltech101 rerun failed: $(tail -5 "$work/c101.err")"
    fi
else
    fail "caltech101.sh failed: $(tail -20 "$work/c101.err")"
fi

# ---------------------------------------------------------------- Caltech-256
if SCALES=32 sh "$src/pipelines/caltech256.sh" "$data/caltech256" --models "$data/models" --net D \
        --train 5 --splits 2 --out "$work/c256" >"$work/c256.out" 2>"$work/c256.err"; then
    line=$(grep '^result: mean class recall' "$work/c256.out" || true)
    mean=$(printf '%s\n' "$line" | awk '{ print $5 }')
    if in_range "$mean" 0 100 && printf '%s\n' "$line" | grep -q 'paper: 85.0 ± 0.2'; then
        ok "caltech256: $line"
    else
        fail "caltech256: no sane result line in: $(cat "$work/c256.out")"
    fi
    # 257.clutter kept; the rest of each class (38 - 4 x 5 = 18) tested
    grep -qx 257.clutter "$work/c256/lists/classes.txt" || fail "caltech256: 257.clutter missing"
    [ "$(json_images=$(jq .images "$work/c256/metrics/split1.json"); echo "$json_images")" = 18 ] ||
        fail "caltech256: expected 18 test images"
    [ "$(wc -l <"$work/c256/results.tsv")" -eq 2 ] || fail "caltech256: expected 2 splits"
    # each split's mean class recall recomputed from its scores (arg max)
    # and its test list, and mean ± std over the splits from results.tsv,
    # independently of vggsvm eval (awk), as for Caltech-101
    sd=$(printf '%s\n' "$line" | awk '{ print $7 }')
    for k in 1 2; do
        l="$work/c256/lists/split$k"
        r=$(recall_from_scores "$l/test.list" "$work/c256/scores/split$k.tsv")
        got=$(awk -F '\t' -v s="split$k" '$1 == s { print $2 }' "$work/c256/results.tsv")
        awk -v a="${r% *}" -v b="$got" 'BEGIN { exit !(a - b < 0.011 && b - a < 0.011) }' ||
            fail "caltech256 split$k: recall $got, recomputed from the scores ${r% *}"
        [ "${r#* }" -eq 18 ] || fail "caltech256 split$k: ${r#* } scored images, expected 18"
    done
    want=$(awk -F '\t' '{ x[NR] = $2; s += $2 } END { m = s / NR; for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2;
            printf "%.1f %.1f\n", m, sqrt(v / (NR - 1)) }' "$work/c256/results.tsv")
    [ "$want" = "$mean $sd" ] || fail "caltech256: result '$mean ± $sd', recomputed '$want'"
else
    fail "caltech256.sh failed: $(tail -20 "$work/c256.err")"
fi

# ---------------------------------------------------------------- VOC
for year in 2007 2012; do
    if SCALES=32,40 sh "$src/pipelines/voc.sh" "$data/VOCdevkit/VOC$year" --models "$data/models" \
            --out "$work/voc$year" >"$work/voc$year.out" 2>"$work/voc$year.err"; then
        line=$(grep '^result: mAP' "$work/voc$year.out" || true)
        map=$(printf '%s\n' "$line" | awk '{ print $3 }')
        paper=89.7
        [ "$year" = 2012 ] && paper=89.3
        if in_range "$map" 0 100 && printf '%s\n' "$line" | grep -q "paper: $paper"; then
            ok "voc$year: $line"
        else
            fail "voc$year: no sane result line in: $(cat "$work/voc$year.out")"
        fi
        [ "$(wc -l <"$work/voc$year/ap.tsv")" -eq 3 ] || fail "voc$year: expected 3 classes' AP"
        awk -F "\t" '{ if (!($2 >= 0 && $2 <= 100.0001)) bad = 1 } END { exit bad }' "$work/voc$year/ap.tsv" ||
            fail "voc$year: per-class AP out of [0, 100]"
        # mAP is the mean of the per-class APs printed
        m=$(awk -F '\t' '{ s += $2 } END { printf "%.1f", s / NR }' "$work/voc$year/ap.tsv")
        awk -v a="$m" -v b="$map" 'BEGIN { exit !(a - b < 0.051 && b - a < 0.051) }' ||
            fail "voc$year: mAP $map, mean of the class APs $m"
        # every class's AP and the mAP recomputed from the scores and the
        # labels, independently of vggsvm eval (numpy)
        eset=test mode=voc07
        [ "$year" = 2012 ] && eset=val mode=area
        "$python" "$src/tests/recompute_metrics.py" voc "$work/voc$year/scores.tsv" \
            "$work/voc$year/lists/$eset.labels" "$work/voc$year/ap.tsv" "$map" "$mode" \
            >"$work/voc$year.recompute" 2>&1 ||
            fail "voc$year: AP differs from the recomputation: $(cat "$work/voc$year.recompute")"
        # labels: a class present only as difficult objects is marked '?'
        grep -q '?' "$work/voc$year/lists/"*.labels || fail "voc$year: no difficult marks in the labels files"
        if [ "$year" = 2007 ]; then
            [ "$(wc -l <"$work/voc2007/lists/test.labels")" -eq 12 ] || fail "voc2007: expected 12 test images"
            grep -q '11-point' "$work/voc2007.out" || fail "voc2007: the 11-point AP is not named"
        else
            grep -q 'evaluating on val' "$work/voc2012.err" || fail "voc2012: does not say it evaluates on val"
            grep -q '^result: mAP .* (local check: train -> val)' "$work/voc2012.out" ||
                fail "voc2012: the train -> val result is not labelled the local check"
            [ -f "$work/voc2012/lists/val.labels" ] || fail "voc2012: no val labels"
        fi
    else
        fail "voc.sh $year failed: $(tail -20 "$work/voc$year.err")"
    fi
done

# VOC-2012 as the paper ran it: trainval -> test, the evaluation server's files
if SCALES=32,40 sh "$src/pipelines/voc.sh" "$data/VOCdevkit/VOC2012" --models "$data/models" --server \
        --out "$work/voc2012s" >"$work/voc2012s.out" 2>"$work/voc2012s.err"; then
    res=$work/voc2012s/results/VOC2012/Main
    tst=$data/VOCdevkit/VOC2012/ImageSets/Main/test.txt
    [ "$(ls "$res" | sort | tr '\n' ' ')" = "comp2_cls_test_cat.txt comp2_cls_test_dog.txt comp2_cls_test_person.txt " ] ||
        fail "voc2012 server: expected the 3 classes' comp2_cls_test_<class>.txt, got: $(ls "$res")"
    grep -q 'training 3 binary SVMs on trainval' "$work/voc2012s.err" || fail "voc2012 server: not trained on trainval"
    [ "$(wc -l <"$work/voc2012s/lists/trainval.labels")" -eq 24 ] || fail "voc2012 server: trainval should hold 24 images"
    for c in cat dog person; do
        f=$res/comp2_cls_test_$c.txt
        # "<id> <confidence>": the test ids in test.txt's order, nothing else
        cut -d' ' -f1 "$f" | cmp -s - "$tst" || fail "voc2012 server: $c: the ids are not test.txt's"
        awk 'NF != 2 || $1 !~ /^2012_[0-9][0-9][0-9][0-9][0-9][0-9]$/ || $2 !~ /^-?[0-9]+\.[0-9][0-9][0-9][0-9][0-9][0-9]$/ { bad = 1 } END { exit bad }' "$f" ||
            fail "voc2012 server: $c: a line is not '<image id> <confidence>': $(head -3 "$f")"
        # each confidence is the SVM's score for that image and class
        awk -F '\t' -v c="$c" -v f="$f" '
            NR == 1 { for (i = 2; i <= NF; i++) if ($i == c) col = i; next }
            { n = split($1, p, "/"); id = p[n]; sub(/\.jpg$/, "", id); want[id] = $col; rows++ }
            END { while ((getline l < f) > 0) { split(l, x, " "); seen++
                      d = x[2] - want[x[1]]; if (!(x[1] in want) || d > 5e-7 || d < -5e-7) bad = 1 }
                  exit bad || !col || seen != rows || rows != 7 }' "$work/voc2012s/scores.tsv" ||
            fail "voc2012 server: $c: confidences differ from scores.tsv"
    done
    [ "$(tar -tzf "$work/voc2012s/results.tgz" | grep -c 'results/VOC2012/Main/comp2_cls_test_.*\.txt$')" -eq 3 ] ||
        fail "voc2012 server: results.tgz does not hold the 3 files"
    grep -q '^result: 3 result files' "$work/voc2012s.out" && ! grep -q 'mAP' "$work/voc2012s.out" ||
        fail "voc2012 server: expected the files named and no mAP: $(cat "$work/voc2012s.out")"
    ok "voc2012 server: 3 result files of 7 test images"
else
    fail "voc.sh --server failed: $(tail -20 "$work/voc2012s.err")"
fi
set +e
sh "$src/pipelines/voc.sh" "$data/VOCdevkit/VOC2007" --server --out "$work/e4" >/dev/null 2>"$work/e4.err"
[ $? -eq 2 ] && grep -q 'for VOC-2012' "$work/e4.err" || fail "voc.sh VOC2007 --server: expected exit 2"
set -e

# VOC-2012 action classification (Table 11): a box list per set against the
# annotations, box and image descriptors, per-action AP recomputed
va=$work/voca
if SCALES=32,40 sh "$src/pipelines/voc.sh" "$data/VOCdevkit/VOC2012" --models "$data/models" --actions \
        --out "$va" >"$work/voca.out" 2>"$work/voca.err"; then
    want=$(sed -n 's/^voc2012 actions train \([0-9]*\) val \([0-9]*\)$/\1 \2/p' "$data/expected.txt")
    [ "$(wc -l <"$va/lists/train.list" | tr -d ' ') $(wc -l <"$va/lists/val.list" | tr -d ' ')" = "$want" ] ||
        fail "voc2012 actions: expected $want persons in train and val"
    for set in train val; do
        "$python" "$src/tests/recompute_metrics.py" voc-actions "$data/VOCdevkit/VOC2012" "$set" \
            "$va/lists/$set.list" "$va/lists/$set.labels" >"$work/voca.$set.check" 2>&1 ||
            fail "voc2012 actions $set: $(cat "$work/voca.$set.check")"
    done
    line=$(grep '^result: mAP' "$work/voca.out" || true)
    map=$(printf '%s\n' "$line" | awk '{ print $3 }')
    in_range "$map" 0 100 && printf '%s\n' "$line" | grep -q 'paper: 84.0 (VOC-2012 action test server)' ||
        fail "voc2012 actions: no sane result line in: $(cat "$work/voca.out")"
    [ "$(cut -f1 "$va/ap.tsv" | tr '\n' ' ')" = "jumping phoning running " ] ||
        fail "voc2012 actions: expected the AP of jumping, phoning, running: $(cat "$va/ap.tsv")"
    "$python" "$src/tests/recompute_metrics.py" voc "$va/scores.tsv" "$va/lists/val.labels" "$va/ap.tsv" \
        "$map" area >"$work/voca.recompute" 2>&1 ||
        fail "voc2012 actions: AP differs from the recomputation: $(cat "$work/voca.recompute")"
    # the box's descriptor and the image's: 2 x (D and E, fc 32)
    dim=$("$bin/vggfeat" info "$va/features/val_actions_D-E_32-40.vgf" | awk '/^dim:/ { print $2 }')
    [ "$dim" = 128 ] || fail "voc2012 actions: descriptor dimension '$dim', expected 128"
    grep -q 'one binary SVM per action on train' "$work/voca.err" || fail "voc2012 actions: not trained on train"
    ok "voc2012 actions: $line"
else
    fail "voc.sh --actions failed: $(tail -20 "$work/voca.err")"
fi
set +e
sh "$src/pipelines/voc.sh" "$data/VOCdevkit/VOC2007" --actions --out "$work/e5" >/dev/null 2>"$work/e5.err"
[ $? -eq 2 ] && grep -q 'VOC-2012' "$work/e5.err" || fail "voc.sh VOC2007 --actions: expected exit 2"
sh "$src/pipelines/voc.sh" "$data/VOCdevkit/VOC2012" --actions --server --out "$work/e6" >/dev/null 2>"$work/e6.err"
[ $? -eq 2 ] || fail "voc.sh --actions --server: expected exit 2"
set -e

# ---------------------------------------------------------------- ILSVRC
if ITERATIONS=2 BATCH=6 INPUT_SIZE=32 WIDTH=0.0625 FC_DIM=32 S_FIXED=36 S_HIGH=44 JITTER=32,48 \
        Q_STEP=4 GRID=2 sh "$src/pipelines/ilsvrc.sh" "$data/ilsvrc" --full \
        --devkit-gt "$data/ilsvrc/ILSVRC2012_validation_ground_truth.txt" \
        --synsets "$data/ilsvrc/synsets.txt" --out "$work/ilsvrc" >"$work/ilsvrc.out" 2>"$work/ilsvrc.err"; then
    grep -q '^result: evaluation tables' "$work/ilsvrc.out" || fail "ilsvrc: no result line"
    for f in A_36 A-LRN_36 B_36 C_36 C_44 C_32-48 D_36 D_44 D_32-48 E_36 E_44 E_32-48; do
        [ -s "$work/ilsvrc/models/$f.safetensors" ] || fail "ilsvrc: no weights $f"
    done
    grep -q 'from A' "$work/ilsvrc.err" || fail "ilsvrc: D and E not initialised from A"
    tb=$work/ilsvrc/eval/tables.txt
    # the tables' rows: (net, Q set, method) per table, as the paper's
    # Tables 3-6 have them with Q = S or the middle of the jitter range
    # (Table 3), S-4, S, S+4 or 32, 40, 48 (Table 4, Q_STEP 4), and the
    # paper's numbers beside them (every error a percentage)
    awk '/^== Table/ { t = $3; sub(":", "", t); next } /^== |^ConvNet|^$/ { next }
         { n = split($0, f, /  +/); printf "%s|%s|%s|%s\n", t, f[1], f[2], f[3] }' "$tb" >"$work/ilsvrc.rows"
    cat >"$work/ilsvrc.want" <<'ROWS'
3|A (S 36)|36|dense
3|A-LRN (S 36)|36|dense
3|B (S 36)|36|dense
3|C (S 36)|36|dense
3|C (S 44)|44|dense
3|C (S 32,48)|40|dense
3|D (S 36)|36|dense
3|D (S 44)|44|dense
3|D (S 32,48)|40|dense
3|E (S 36)|36|dense
3|E (S 44)|44|dense
3|E (S 32,48)|40|dense
4|B (S 36)|32,36,40|dense
4|C (S 36)|32,36,40|dense
4|C (S 44)|40,44,48|dense
4|C (S 32,48)|32,40,48|dense
4|D (S 36)|32,36,40|dense
4|D (S 44)|40,44,48|dense
4|D (S 32,48)|32,40,48|dense
4|E (S 36)|32,36,40|dense
4|E (S 44)|40,44,48|dense
4|E (S 32,48)|32,40,48|dense
5|C (S 32,48)|32,40,48|dense
5|C (S 32,48)|32,40,48|multi-crop
5|C (S 32,48)|32,40,48|dense+multi-crop
5|D (S 32,48)|32,40,48|dense
5|D (S 32,48)|32,40,48|multi-crop
5|D (S 32,48)|32,40,48|dense+multi-crop
5|E (S 32,48)|32,40,48|dense
5|E (S 32,48)|32,40,48|multi-crop
5|E (S 32,48)|32,40,48|dense+multi-crop
6|D&E jittered|32,40,48|dense
6|D&E jittered|32,40,48|dense+multi-crop
6|7 nets (C, D, E at 256 and 384, D jittered)|per net|dense
ROWS
    cmp -s "$work/ilsvrc.rows" "$work/ilsvrc.want" ||
        fail "ilsvrc: the tables' rows differ from the paper's Tables 3-6: $(diff "$work/ilsvrc.want" "$work/ilsvrc.rows")"
    awk '/^== |^ConvNet|^$/ { next } { if (!($(NF-3) >= 0 && $(NF-3) <= 100 && $(NF-2) >= 0 && $(NF-2) <= 100)) bad = 1 }
         END { exit bad }' "$tb" || fail "ilsvrc: an error figure out of [0, 100]: $(cat "$tb")"
    # the paper's numbers beside ours (Table 3: A 29.6 / 10.4, E at 256 27.3 / 9.0;
    # Table 5: D both methods 24.4 / 7.2; Table 6: D & E both 23.7 / 6.8)
    for r in 'A (S 36).* 29\.6 *10\.4$' 'E (S 36) *36 .* 27\.3 *9\.0$' \
             'D (S 32,48) .*dense+multi-crop .* 24\.4 *7\.2$' 'D&E jittered .*dense+multi-crop .* 23\.7 *6\.8$' \
             '^7 nets .* 24\.7 *7\.5$'; do
        grep -q "$r" "$tb" || fail "ilsvrc: no row matching '$r' in: $(cat "$tb")"
    done
    # each figure recomputed by vggtrain eval run here with the Q sets the
    # paper gives: D at S=44 on 40,44,48; the 7-net ensemble, every net at its own set
    m=$work/ilsvrc/models
    ev="$bin/vggtrain eval --list $work/ilsvrc/lists/val.list --classes $work/ilsvrc/lists/classes.txt --grid 2 --threads 1"
    $ev -w "$m/D_44.safetensors" --scales 40,44,48 --methods dense >"$work/ilsvrc.t4" 2>/dev/null &&
        cmp -s "$work/ilsvrc.t4" "$work/ilsvrc/eval/t4_D_44.txt" ||
        fail "ilsvrc: Table 4's D at S=44 is not its evaluation at Q = 40,44,48"
    $ev -w "$m/C_36.safetensors" --scales 32,36,40 -w "$m/C_44.safetensors" --scales 40,44,48 \
        -w "$m/D_36.safetensors" --scales 32,36,40 -w "$m/D_44.safetensors" --scales 40,44,48 \
        -w "$m/D_32-48.safetensors" --scales 32,40,48 -w "$m/E_36.safetensors" --scales 32,36,40 \
        -w "$m/E_44.safetensors" --scales 40,44,48 --methods dense >"$work/ilsvrc.t6" 2>/dev/null &&
        cmp -s "$work/ilsvrc.t6" "$work/ilsvrc/eval/t6_all.txt" ||
        fail "ilsvrc: Table 6's 7-net ensemble is not each net at its own scales"
    grep -q '^ensemble of 7  *per net  *dense ' "$work/ilsvrc.t6" || fail "ilsvrc: no per-net ensemble row"
    [ "$(wc -l <"$work/ilsvrc/lists/val.list")" -eq 9 ] || fail "ilsvrc: expected 9 validation images"
    # val image i has class (i-1) mod 3 in sorted wnid order, whatever the devkit IDs
    awk -F '\t' '{ split("n01440764 n01443537 n01484850", w, " "); if ($2 != w[(NR - 1) % 3 + 1]) bad = 1 } END { exit bad }' \
        "$work/ilsvrc/lists/val.list" || fail "ilsvrc: validation labels wrong"
    # the S=44 (the paper's 384) runs start from every weight of the S=36
    # (256) nets with the fine-tuning learning rate, the jittered runs from
    # the S=44 nets, S drawn in [32, 48]: from what vggtrain says of each run
    # (the block after the script's line naming it), its JSON log, and the
    # weights themselves (a few steps at lr 0.001 move them little)
    m=$work/ilsvrc/models
    for x in D E; do
        blk_hi=$(awk -v h="net $x, S=44, from S=36, lr 0.001" 'index($0, "[ilsvrc") == 1 { on = index($0, h) > 0; next } on' "$work/ilsvrc.err")
        blk_j=$(awk -v h="net $x, S in [32,48], from S=44" 'index($0, "[ilsvrc") == 1 { on = index($0, h) > 0; next } on' "$work/ilsvrc.err")
        printf '%s\n' "$blk_hi" | grep -qF "starting from every weight of '$m/${x}_36.safetensors'" ||
            fail "ilsvrc: $x at S=44 does not start from every weight of ${x}_36: $blk_hi"
        printf '%s\n' "$blk_hi" | grep -q "input 32, S 44," ||
            fail "ilsvrc: $x at S=44 does not train at S 44: $blk_hi"
        printf '%s\n' "$blk_j" | grep -qF "starting from every weight of '$m/${x}_44.safetensors'" ||
            fail "ilsvrc: jittered $x does not start from every weight of ${x}_44: $blk_j"
        printf '%s\n' "$blk_j" | grep -qF "input 32, S in [32, 48]," ||
            fail "ilsvrc: jittered $x does not draw S in [32, 48]: $blk_j"
        for f in "${x}_36:0.01" "${x}_44:0.001" "${x}_32-48:0.001"; do
            jq -se --argjson lr "${f#*:}" '[.[] | select(.lr != null) | .lr] | length > 0 and all(. == $lr)' \
                "$m/${f%%:*}.safetensors.log.jsonl" >/dev/null ||
                fail "ilsvrc: ${f%%:*} did not train at lr ${f#*:}: $(cat "$m/${f%%:*}.safetensors.log.jsonl")"
        done
        "$python" - "$m/${x}_36.safetensors" "$m/${x}_44.safetensors" "$m/${x}_32-48.safetensors" <<'PY' ||
import json, struct, sys
import numpy as np
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop("__metadata__", None)
    return {k: np.frombuffer(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]],
                             dtype=np.float32) for k, v in sorted(h.items())}
a, b, c = (load(p) for p in sys.argv[1:])
assert list(a) == list(b) == list(c), "different tensors"
for x, y, what in ((a, b, "S=44 from S=36"), (b, c, "jittered from S=44")):
    num = sum(float(np.sum((x[k] - y[k]) ** 2)) for k in x) ** 0.5
    den = sum(float(np.sum(x[k] ** 2)) for k in x) ** 0.5
    # two steps at lr 0.001 from the same weights: changed, but by little
    assert 0 < num / den < 0.02, "%s: relative change %.4g" % (what, num / den)
PY
            fail "ilsvrc: the $x weights are not fine-tuned from the previous run's"
    done
    ok "ilsvrc: 12 vggtrain runs and $(wc -l <"$work/ilsvrc.rows") table rows"
elif grep -q 'no option to start from all the weights' "$work/ilsvrc.err"; then
    fail "ilsvrc: vggtrain has no option to start a run from every weight of a trained net (needed for the S=384 and jittered runs), so ilsvrc.sh stops after A and D at the first scale"
else
    fail "ilsvrc.sh failed: $(tail -20 "$work/ilsvrc.err")"
fi

# ---------------------------------------------------------------- errors
set +e
sh "$src/pipelines/caltech101.sh" "$work/nowhere" >/dev/null 2>"$work/e1.err"
[ $? -eq 1 ] && grep -q nowhere "$work/e1.err" || fail "caltech101.sh on a missing folder: expected exit 1 naming it"
sh "$src/pipelines/voc.sh" --bogus >/dev/null 2>&1
[ $? -eq 2 ] || fail "voc.sh --bogus: expected exit 2"
mkdir -p "$work/emptyclass/101_ObjectCategories/ant" "$work/emptyclass/101_ObjectCategories/bee"
cp "$data/caltech101/101_ObjectCategories/ant/image_0001.jpg" "$work/emptyclass/101_ObjectCategories/ant/"
sh "$src/pipelines/caltech101.sh" "$work/emptyclass" --models "$data/models" --out "$work/e3" >/dev/null 2>"$work/e3.err"
[ $? -eq 1 ] && grep -q "101_ObjectCategories/bee" "$work/e3.err" || fail "caltech101.sh with an empty class: expected exit 1 naming it"
set -e

if [ "$fails" -gt 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all pipeline checks passed"
