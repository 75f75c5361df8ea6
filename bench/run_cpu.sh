#!/bin/sh
# The CPU forward benchmark in one command: VGG-16 and VGG-19 dense, Q=256
# (256x341) and Q=384 (384x512), an image and its flip, 2 threads; vggfeat
# ("cpu", oneDNN) against PyTorch traced + frozen + optimize_for_inference
# in the same run, with the machine's FMA peak and memory bandwidth
# (bench_machine), per-layer tables before (the chain on oneDNN alone) and
# after (the backend's own Winograd where net/cpu/conv_table.c says so, its
# fully connected product where net/cpu/fc.c does) side by side, with each
# fc layer's weights' GB/s against the machine's read bandwidth, each
# layer's and the net's bound (the least time possible at that peak and
# bandwidth, and PyTorch's time over it), the
# reference backend (cpu-ref) and "cpu" at --precision bf16 beside fp32
# (time, and the fc7 map's relative L2 distance from fp32; a CPU without
# bf16 says so) and at --precision int8 beside PyTorch's own int8 (a CPU
# without VNNI says so), with the int8 bound (8-bit direct products at
# bench_machine's "int8 dot" rate) and both int8 engines over it; then fc6 alone by the panel product and by the Winograd
# F(2x2, 7x7) (bench_fc --maps; on a CPU without AVX2 it says so); then the
# peak memory of VGG-16 and VGG-19 at Q=768 on a 4:3 image (768x1024),
# measured by /usr/bin/time -v; then a training step at batch 64 (a small
# D, and full D at 224) against PyTorch (bench_train).
#   sh bench/run_cpu.sh            BUILD_DIR (default build), THREADS (2)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
build=${BUILD_DIR:-build}
threads=${THREADS:-2}
[ -d "$build" ] || cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target bench_cpu bench_machine -j 2 >/dev/null
# the machine's FMA peak and memory bandwidth, the limits the tables are read against
machine=$("$build/bin/bench_machine" --threads "$threads")
echo "$machine"
peak=$(echo "$machine" | sed -n "s/.*FMA peak, $threads threads\{0,1\}: \([0-9.]*\) GFLOP.*/\1/p" | head -n 1)
readbw=$(echo "$machine" | sed -n "s/.*memory, $threads threads\{0,1\},.*read \([0-9.]*\) GB\/s.*/\1/p" | head -n 1)
vnni=$(echo "$machine" | sed -n "s/.*int8 dot (vpdpbusd), $threads threads\{0,1\}: \([0-9.]*\) GOP.*/\1/p" | head -n 1)
# before (the chain on oneDNN alone) and after (the backend's own kernels
# where its table says so), side by side in one run, with PyTorch
"$build/bin/bench_cpu" --threads "$threads" --repeat 3 --nets D,E --sizes 256x341,384x512 \
    --before ${peak:+--peak "$peak"} ${readbw:+--bandwidth "$readbw"} ${vnni:+--vnni "$vnni"} \
    --ref --bf16 --int8
# fc6 alone where the CPU has our kernels (AVX2 + FMA): the panel product
# against the Winograd F(2x2, 7x7) on pool5 maps of Q=256, 288, 384, 512
cmake --build "$build" --target bench_fc -j 2 >/dev/null
"$build/bin/bench_fc" --threads "$threads" --repeat 3 --maps 8x10,9x12,12x16,16x21
echo "== Q=768, 768x1024 (+ flip), VGG-16 and VGG-19 loaded together: peak memory"
if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$build/bin/bench_cpu" --together --threads "$threads" --nets D,E \
        --sizes 768x1024 2>&1 | grep -E "first call|Maximum resident|peak RSS"
else
    "$build/bin/bench_cpu" --together --threads "$threads" --nets D,E --sizes 768x1024
fi
echo "== training step at batch 64: a small D and full D (VGG-16) at 224, against PyTorch"
cmake --build "$build" --target bench_train -j 2 >/dev/null
"$build/bin/bench_train" --threads "$threads"
