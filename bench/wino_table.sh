#!/bin/sh
# The measurement behind the "cpu" backend's algorithm table for 3x3
# convolutions (net/cpu/conv_table.c, pinned by tests/test_cpu_conv_table.c):
# this machine's FMA peak and memory bandwidth (bench_machine), then each
# VGG layer class by every algorithm the backend has here (bench_wino:
# oneDNN's choice, our F(4x4, 3x3) and F(2x2, 3x3), F(4x4) with its products
# on AVX2 where the CPU has AVX-512 too, our direct conv1_1 where it has
# AVX-512), at Q=256 (256x341, an image and its flip) and Q=384 (384x512).
# Read the fastest per layer class; a row of the table changes only with a
# measurement like this one, on a quiet machine, quoted in the commit.
#   sh bench/wino_table.sh          BUILD_DIR (default build), THREADS (2), REPEAT (5)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
build=${BUILD_DIR:-build}
threads=${THREADS:-2}
repeat=${REPEAT:-5}
[ -d "$build" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DVGG_BENCH=ON >/dev/null
cmake --build "$build" --target bench_machine bench_wino -j 2 >/dev/null
out=$("$build/bin/bench_machine" --threads "$threads")
echo "$out"
peak=$(echo "$out" | sed -n "s/.*FMA peak, $threads threads\{0,1\}: \([0-9.]*\) GFLOP.*/\1/p" | head -n 1)
for size in 256x341 384x512; do
    echo "== $size (+ flip)"
    "$build/bin/bench_wino" --size "$size" --batch 2 --threads "$threads" --repeat "$repeat" \
        ${peak:+--peak "$peak"} --algos onednn,wino4,wino2,wino4-avx2,direct8
done
