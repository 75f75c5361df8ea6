#!/bin/sh
# Build and run the VGG-16 CPU forward benchmark (vggfeat and PyTorch CPU,
# 2 threads each, 256x341 and 384x512), then the peak memory of vggfeat at
# Q=768 on a 4:3 image (768x1024).
#   sh bench/run_forward.sh        BUILD_DIR (default build)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
build=${BUILD_DIR:-build}
[ -d "$build" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target bench_forward -j 2 >/dev/null
"$build/bin/bench_forward" --threads 2 --repeat 2 --sizes 256x341,384x512
echo "== large input (memory)"
"$build/bin/bench_forward" --threads 2 --repeat 0 --sizes 768x1024 --no-torch
