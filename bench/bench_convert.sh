#!/bin/sh
# Conversion time and peak RSS of `vggfeat convert` on a full-size
# random-weight caffemodel (VGG-19 by default, in Oxford's V1 form, made by
# tests/gen_caffe_fixtures.py full), side by side with the usual Python
# route (bench/bench_convert.py: python3-protobuf + numpy + torch.save) in
# the same run, both under /usr/bin/time -v; the ratio is printed.  The
# converted file is then checked value by value (check-full).
#   sh bench/bench_convert.sh [CONFIG] [VGGFEAT] [WORKDIR]
#   CONFIG D or E (default E); VGGFEAT default build/bin/vggfeat;
#   WORKDIR default a new folder under ${TMPDIR:-/tmp} (about 2 GB; removed).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
config=${1:-E}
vggfeat=${2:-$here/build/bin/vggfeat}
py=/usr/bin/python3
if [ -n "${3:-}" ]; then
    work=$3
    mkdir -p "$work"
    trap 'rm -f "$work"/bench.caffemodel "$work"/bench.safetensors "$work"/bench.pt' EXIT
else
    work=$(mktemp -d "${TMPDIR:-/tmp}/bench_convert.XXXXXX")
    trap 'rm -rf "$work"' EXIT
fi

[ -x "$vggfeat" ] || { echo "bench_convert: no $vggfeat (build it first)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench_convert: /usr/bin/time missing (Debian package time)" >&2; exit 1; }

echo "bench_convert: writing a full-size random-weight $config caffemodel"
"$py" "$here/tests/gen_caffe_fixtures.py" full "$config" "$work/bench.caffemodel" --seed 11
size=$(stat -c %s "$work/bench.caffemodel")
sync

# seconds and peak RSS (MB) from /usr/bin/time -v's report
measure() {
    log=$1
    shift
    /usr/bin/time -v "$@" >"$log.out" 2>"$log" || { cat "$log.out" "$log" >&2; exit 1; }
    secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0;
                     for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$log")
    rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2 / 1024}' "$log")
    echo "$secs $rss"
}

set -- $(measure "$work/vggfeat.time" "$vggfeat" convert "$work/bench.caffemodel" \
             -o "$work/bench.safetensors")
ours_s=$1 ours_rss=$2
cat "$work/vggfeat.time.out"
"$py" "$here/tests/gen_caffe_fixtures.py" check-full "$config" "$work/bench.safetensors" --seed 11

set -- $(measure "$work/torch.time" "$py" "$here/bench/bench_convert.py" "$work/bench.caffemodel" \
             "$work/bench.pt")
torch_s=$1 torch_rss=$2
cat "$work/torch.time.out"

awk -v c="$config" -v size="$size" -v os="$ours_s" -v orss="$ours_rss" \
    -v ts="$torch_s" -v trss="$torch_rss" 'BEGIN {
    printf "\nconvert a full-size %s caffemodel (%.1f MB), %s\n", c, size / 1048576, "both in this run";
    printf "  %-40s %8s %12s\n", "", "seconds", "peak RSS MB";
    printf "  %-40s %8.2f %12.1f\n", "vggfeat convert (mmap, streamed)", os, orss;
    printf "  %-40s %8.2f %12.1f\n", "python3-protobuf + numpy + torch.save", ts, trss;
    printf "  ratio (python / vggfeat): time %.1fx, peak RSS %.1fx\n", ts / os, trss / orss;
}'
