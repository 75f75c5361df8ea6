#!/bin/sh
# Build and run the descriptor benchmark: images/s for D and D+E at scales
# {256} and {256,384} on a handful of 500x375 images, vggfeat and PyTorch
# CPU at its fastest (traced, frozen, optimize_for_inference) side by side
# (2 threads each, after one untimed image), and vggfeat at --precision
# int8 beside the same PyTorch; then vggfeat extract's own
# pipeline (bench_extract --job: loaders decoding ahead, the store written)
# on 16 JPEGs made here with Pillow, its "nets" rate against the same inputs
# run in process; then vggfeat's peak memory for D and E at Q=768 on a 4:3
# image (1024x768).
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
echo "== the same at --precision int8 (a CPU without VNNI says so), PyTorch in fp32"
for net in D D,E; do
    for scales in 256 256,384; do
        "$build/bin/bench_extract" --threads 2 --images "$images" --net "$net" \
            --scales "$scales" --precision int8 || true
    done
done
echo "== vggfeat extract's own pipeline (loaders decoding JPEGs ahead, the store written) against the same inputs run in process"
jpegs=$(mktemp -d)
trap 'rm -rf "$jpegs"' EXIT
/usr/bin/python3 - "$jpegs" <<'PY'
import sys
import numpy as np
from PIL import Image
rng = np.random.default_rng(0)
y, x = np.mgrid[0:375, 0:500]
for k in range(16):
    rgb = np.stack([128 + 100 * np.sin((x + 7 * k) / (9.0 + c) + y / 13.0) for c in range(3)], -1)
    rgb = np.clip(rgb + rng.normal(0, 12, rgb.shape), 0, 255).astype(np.uint8)
    Image.fromarray(rgb).save(f"{sys.argv[1]}/{k:02d}.jpg", quality=90)
PY
cmake --build "$build" --target bench_extract -j 2 >/dev/null
"$build/bin/bench_extract" --threads 2 --job "$jpegs" --images 32 --net D --scales 256
"$build/bin/bench_extract" --threads 2 --job "$jpegs" --images 16 --net D,E --scales 256,384
echo "== Q=768, one 1024x768 image (memory)"
for net in D E; do
    "$build/bin/bench_extract" --threads 2 --images 1 --net "$net" --scales 768 --size 1024x768 --no-torch
done
