#!/bin/sh
# Draw training curves from a vggtrain metrics log (JSON lines) with gnuplot.
#   sh pipelines/plot_training.sh METRICS.jsonl [OUT_PREFIX]
# Writes OUT_PREFIX.png and OUT_PREFIX.svg (default: the log's name without
# .jsonl): training loss and validation loss against epochs (left), training
# accuracy and validation top-1 / top-5 error against epochs (right), the
# learning rate on a log scale (bottom).
set -eu
log=${1:?usage: plot_training.sh METRICS.jsonl [OUT_PREFIX]}
out=${2:-${log%.jsonl}}
command -v gnuplot >/dev/null || { echo "plot_training: gnuplot is missing (gnuplot-nox)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# JSON lines -> columns; training lines carry "loss", validation lines "val_top1_err".
field() { # field NAME LINE
    printf '%s\n' "$2" | sed -n "s/.*\"$1\":\([-0-9.eE+naif]*\).*/\1/p"
}
while IFS= read -r line; do
    case "$line" in
        *'"val_top1_err"'*)
            printf '%s %s %s %s\n' "$(field epoch "$line")" "$(field val_top1_err "$line")" \
                "$(field val_top5_err "$line")" "$(field val_loss "$line")" >> "$tmp/val.dat" ;;
        *'"loss"'*)
            printf '%s %s %s %s\n' "$(field epoch "$line")" "$(field loss "$line")" \
                "$(field acc "$line")" "$(field lr "$line")" >> "$tmp/train.dat" ;;
    esac
done < "$log"
[ -s "$tmp/train.dat" ] || { echo "plot_training: no training lines in '$log'" >&2; exit 1; }
[ -s "$tmp/val.dat" ] || echo "nan nan nan nan" > "$tmp/val.dat"

for term in png svg; do
    if [ $term = png ]; then setterm="set terminal pngcairo size 1200,800 noenhanced"
    else setterm="set terminal svg size 1200,800 noenhanced"; fi
    # fall back to the plain png terminal where cairo is absent
    if [ $term = png ] && ! gnuplot -e "set terminal pngcairo" >/dev/null 2>&1; then
        setterm="set terminal png size 1200,800"
    fi
    gnuplot <<GP
$setterm
set output "$out.$term"
set multiplot layout 2,2 title "$(basename "$log")"
set xlabel "epoch"
set grid
set title "loss"
plot "$tmp/train.dat" using 1:2 with lines title "training (window mean)", \
     "$tmp/val.dat" using 1:4 with linespoints title "validation"
set title "error (%)"
set yrange [0:*]
plot "$tmp/train.dat" using 1:(100*(1-\$3)) with lines title "training top-1", \
     "$tmp/val.dat" using 1:(100*\$2) with linespoints title "validation top-1", \
     "$tmp/val.dat" using 1:(100*\$3) with linespoints title "validation top-5"
set title "learning rate"
stats "$tmp/train.dat" using 4 nooutput
set yrange [STATS_min / 3 : STATS_max * 3]
set logscale y
plot "$tmp/train.dat" using 1:4 with lines title "lr"
unset multiplot
GP
done
echo "plot_training: $out.png $out.svg"
