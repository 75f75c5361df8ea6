#!/bin/sh
# Build and run the descriptor benchmark: images/s for D and D+E at scales
# {256} and {256,384} on a handful of 500x375 images, vggfeat and PyTorch
# CPU at its fastest (traced, frozen, optimize_for_inference) side by side
# (2 threads each, after one untimed image); then vggfeat's peak memory for D and E
# at Q=768 on a 4:3 image (1024x768).
#   sh bench/run_extract.sh       BUILD_DIR (default build), IMAGES (default 3)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
build=${BUILD_DIR:-build}
images=${IMAGES:-3}
[ -d "$build" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target bench_extract -j 2 >/dev/null
for net in D D,E; do
    for scales in 256 256,384; do
        "$build/bin/bench_extract" --threads 2 --images "$images" --net "$net" --scales "$scales"
    done
done
echo "== Q=768, one 1024x768 image (memory)"
for net in D E; do
    "$build/bin/bench_extract" --threads 2 --images 1 --net "$net" --scales 768 --size 1024x768 --no-torch
done
