#!/bin/sh
# The GPU check: one run on a machine with one NVIDIA GPU (an H200 here)
# prints one table: every backend operation forward and backward on
# cuda:0 against cpu-ref, VGG-16 dense descriptors at Q=256 and 384 with
# flips against cpu-ref (fp32 and tf32), one VGG-16 training step's
# gradients, three training steps as the one rank of an mpirun job
# (gradients through NCCL) against the plain run (the same bytes; needs
# Open MPI's mpirun, installed by pipelines/setup.sh), and timings against PyTorch + cuDNN on the same GPU with the
# same precision pinned on both sides, as ratios, with the TFLOP/s
# achieved.  Exit 0 only if every agreement is within its bound.
#
#   sh tests/gpu/check.sh            (from the repository root)
#
# Environment: BUILD (default build-gpu): a build with CUDA to use, made
# here with cmake when it has no bin/gpu_check; PYTHON (default python3):
# the Python with torch, whose pip wheels (nvidia-cudnn-cu12,
# nvidia-cublas-cu12, nvidia-nccl-cu12, ...) supply cuDNN, cuBLAS and the
# runtime where the machine has none of its own.  Fails with a message
# and a non-zero status where something is missing (no driver, no GPU,
# no compiler, no cuDNN).
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here" || exit 1
BUILD=${BUILD:-build-gpu}
PY=${PYTHON:-python3}
start=$(date +%s)
rows=$(mktemp)
trap 'rm -f "$rows" "$rows.err"' EXIT

fail() { echo "check.sh: $*" >&2; exit 1; }
elapsed() { echo $(( $(date +%s) - start )); }

echo "== versions"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader ||
        fail "nvidia-smi found no usable GPU (see its message above)"
    gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -n 1)
    nvidia-smi | sed -n 's/.*CUDA Version: *\([0-9.]*\).*/driver supports CUDA up to \1/p'
else
    fail "no NVIDIA driver on this machine (nvidia-smi not found): nothing to check"
fi
"$PY" - <<'PYEOF' || fail "$PY cannot import torch with CUDA (the peer of the timings)"
import torch
print("torch", torch.__version__, "built for CUDA", torch.version.cuda,
      "cuDNN", torch.backends.cudnn.version(), "GPU available:", torch.cuda.is_available())
assert torch.cuda.is_available()
PYEOF

# cuDNN, cuBLAS, the runtime, NCCL from the PyTorch environment's wheels
nvroot=$("$PY" -c 'import nvidia, os; print(list(nvidia.__path__)[0])' 2>/dev/null || true)
if [ -n "$nvroot" ] && [ -d "$nvroot" ]; then
    for d in "$nvroot"/*/lib; do
        [ -d "$d" ] && LD_LIBRARY_PATH="$d${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    done
    export LD_LIBRARY_PATH
    echo "libraries from $nvroot: $(ls "$nvroot" | tr '\n' ' ')"
fi

echo "== build ($BUILD)"
if [ ! -x "$BUILD/bin/gpu_check" ]; then
    command -v cmake >/dev/null 2>&1 || fail "no carried build in $BUILD and no cmake to make one"
    nvcc=$(command -v nvcc || true)
    for c in /usr/local/cuda/bin/nvcc "$nvroot/cuda_nvcc/bin/nvcc"; do
        [ -z "$nvcc" ] && [ -x "$c" ] && nvcc=$c
    done
    [ -n "$nvcc" ] || fail "no carried build in $BUILD and no CUDA compiler (nvcc) to make one"
    cudnn_inc=""; cudnn_lib=""
    if [ -n "$nvroot" ] && [ -f "$nvroot/cudnn/include/cudnn.h" ]; then
        cudnn_inc="-DCUDNN_INCLUDE_DIR=$nvroot/cudnn/include"
        lib=$(ls "$nvroot"/cudnn/lib/libcudnn.so* 2>/dev/null | head -n 1)
        [ -n "$lib" ] && cudnn_lib="-DCUDNN_LIBRARY=$lib"
    fi
    cmake -S . -B "$BUILD" -DVGG_CUDA=ON -DVGG_BENCH=OFF -DVGG_TESTS=ON \
          -DCMAKE_CUDA_COMPILER="$nvcc" $cudnn_inc $cudnn_lib >"$BUILD.log" 2>&1 ||
        { tail -n 20 "$BUILD.log"; fail "cmake could not configure a CUDA build (log: $BUILD.log)"; }
    cmake --build "$BUILD" -j "$(nproc)" --target test_backend_ops gpu_check vggtrain >>"$BUILD.log" 2>&1 ||
        { tail -n 20 "$BUILD.log"; fail "the CUDA build failed (log: $BUILD.log)"; }
fi
"$BUILD/bin/gpu_check" time D 256 >/dev/null 2>"$rows.err"
case $? in
    0) ;;
    77) "$BUILD/bin/gpu_check" time D 256; fail "cuda:0 cannot be opened (message above)";;
    *) cat "$rows.err"; fail "gpu_check does not run (message above)";;
esac
echo "built and runs ($(elapsed) s)"

row() { printf '| %-44s | %10s | %8s | %-4s |\n' "$1" "$2" "$3" "$4" >>"$rows"; }

echo "== operations, cuda:0 against cpu-ref and the references (fp32)"
out=$(VGG_PRECISION=fp32 CMOCKA_MESSAGE_OUTPUT=stdout timeout 300 "$BUILD/bin/test_backend_ops" cuda:0 2>&1)
echo "$out" | grep -E 'FAIL|ERROR|max\|diff' || true
echo "$out" | sed -n 's/^\[       OK \] \(.*\)/\1/p' | while read -r t; do row "op $t" "-" "-" ok; done
echo "$out" | sed -n 's/^\[  FAILED  \] \([a-z_0-9]*\)$/\1/p' | while read -r t; do row "op $t" "-" "-" FAIL; done
echo "$out" | grep -q '^\[  PASSED  \] 11 test' || row "operations (all 11 ran and passed)" "-" "-" FAIL

echo "== VGG-16 descriptors and a training step against cpu-ref ($(elapsed) s)"
for p in fp32 tf32; do
    VGG_PRECISION=$p timeout 300 "$BUILD/bin/gpu_check" descriptors | grep '^|' |
        sed "s/| VGG-16 descriptor/| $p VGG-16 descriptor/" >>"$rows" || row "$p descriptors" "-" "-" FAIL
done
VGG_PRECISION=fp32 timeout 300 "$BUILD/bin/gpu_check" gradients 8 | grep '^|' >>"$rows" ||
    row "fp32 VGG-16 step gradients" "-" "-" FAIL

echo "== data-parallel: one MPI rank, gradients through NCCL, against the plain run ($(elapsed) s)"
# the same 3 deterministic iterations of a small net A on cuda:0, alone and
# as the only rank of an mpirun job (ncclAllReduce over one rank): the
# weights must be the same bytes
dist_check() {
    command -v mpirun >/dev/null 2>&1 || { echo "no mpirun (Debian: openmpi-bin)"; return 1; }
    [ -x "$BUILD/bin/vggtrain" ] || { echo "no $BUILD/bin/vggtrain"; return 1; }
    d=$(mktemp -d) || return 1
    "$PY" - "$d" <<'PYEOF' || return 1
import random, struct, sys
rng = random.Random(3)
with open(sys.argv[1] + "/img.idx", "wb") as fi, open(sys.argv[1] + "/lab.idx", "wb") as fl:
    fi.write(struct.pack(">IIII", 0x803, 48, 28, 28))
    fl.write(struct.pack(">II", 0x801, 48))
    for i in range(48):
        fi.write(bytes(rng.randrange(256) for _ in range(784)))
        fl.write(bytes([i % 3]))
PYEOF
    "$BUILD/bin/vggtrain" import-idx "$d/img.idx" "$d/lab.idx" -o "$d/set" >/dev/null || return 1
    t="train --list $d/set/list.txt --classes $d/set/classes.txt --config A --width 0.25
       --fc-dim 64 --input-size 32 --batch 16 --iterations 3 --deterministic --print-every 1"
    # shellcheck disable=SC2086
    timeout 300 "$BUILD/bin/vggtrain" $t --device cuda:0 -o "$d/plain.st" 2>"$d/plain.log" ||
        { tail -n 3 "$d/plain.log"; return 1; }
    # shellcheck disable=SC2086
    OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 300 mpirun -np 1 \
        "$BUILD/bin/vggtrain" $t --device cuda -o "$d/nccl.st" 2>"$d/nccl.log" ||
        { tail -n 5 "$d/nccl.log"; return 1; }
    grep -q "gradients summed by NCCL" "$d/nccl.log" || { echo "NCCL was not used"; return 1; }
    cmp -s "$d/plain.st" "$d/nccl.st"; r=$?
    rm -rf "$d"
    return $r
}
if msg=$(dist_check 2>&1); then
    row "1-rank NCCL training == plain (3 steps, bytes)" "same" "same" ok
else
    echo "$msg"
    row "1-rank NCCL training == plain (3 steps, bytes)" "differs" "same" FAIL
fi

echo "== timings against PyTorch + cuDNN ($(elapsed) s)"
# peak dense TFLOP/s of the GPU (fp32 CUDA cores; TF32 tensor cores)
case "$gpu_name" in
    *H200*|*H100*SXM*|*"H100 80GB HBM3"*) peak_fp32=67; peak_tf32=495;;
    *H100*) peak_fp32=51; peak_tf32=378;;
    *A100*) peak_fp32=19.5; peak_tf32=156;;
    *) peak_fp32=""; peak_tf32="";;
esac
timing() {   # precision, label, our command..., --, peer command...
    p=$1; label=$2; shift 2
    ours=""; peer=""
    ours_line=$(VGG_PRECISION=$p timeout 120 "$BUILD/bin/gpu_check" "$@" 2>&1 | grep '^RESULT')
    ours=$(echo "$ours_line" | awk '{print $5}'); tf=$(echo "$ours_line" | awk '{print $6}')
    peer=$(timeout 180 "$PY" tests/gpu/torch_peer.py $PEER "$p" 2>&1 | grep '^RESULT' | awk '{print $5}')
    if [ -z "$ours" ] || [ -z "$peer" ]; then
        row "$p $label speed vs PyTorch" "missing" ">= 1" FAIL
        return
    fi
    ratio=$(awk -v a="$ours" -v b="$peer" 'BEGIN { printf "%.3f", a / b }')
    pk=$([ "$p" = tf32 ] && echo "$peak_tf32" || echo "$peak_fp32")
    share=$([ -n "$pk" ] && awk -v t="$tf" -v k="$pk" 'BEGIN { printf " (%.0f%% of %s)", 100 * t / k, k }')
    verdict=$(awk -v r="$ratio" 'BEGIN { print (r >= 1.0 ? "ok" : "slow") }')
    row "$p $label: ${ours} vs ${peer} img/s, ${tf} TFLOP/s$share" "$ratio" ">= 1" "$verdict"
}
for p in fp32 tf32; do
    for net in D E; do
        for q in 256 384; do
            PEER="dense $net $q" timing "$p" "VGG-$([ $net = D ] && echo 16 || echo 19) Q=$q dense+flip" time "$net" "$q"
        done
    done
    PEER="train 64" timing "$p" "VGG-16 train step n=64" time-train 64
done

echo
echo "GPU: $gpu_name; $(elapsed) s in all"
printf '| %-44s | %10s | %8s | %-4s |\n' check value bound ok
printf '|%s|%s|%s|%s|\n' "----------------------------------------------" "------------" "----------" "------"
cat "$rows"
if grep -q '| FAIL |' "$rows"; then
    echo "check.sh: some agreements are out of bounds (FAIL rows above)"
    exit 1
fi
echo "check.sh: every agreement within its bound (speed rows marked slow are below PyTorch)"
