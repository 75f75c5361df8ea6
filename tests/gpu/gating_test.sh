#!/bin/sh
# tests/gpu/check.sh cannot pass by accident: run over fake programs
# (GPU_CHECK_BIN, GPU_CHECK_PEER) that behave well, or crash, or print too
# few rows, or run past the deadline, or find no GPU, it must exit 0 only
# for the healthy ones, and give each fault FAIL or NOT RUN rows and a
# non-zero exit.  No GPU, no build, no torch needed.
#   sh tests/gpu/gating_test.sh
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
check=$here/tests/gpu/check.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gpu-gating.XXXXXX") || exit 1
trap '[ -n "${KEEP:-}" ] || rm -rf "$tmp"' EXIT
fails=0
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

fake=$tmp/bin
mkdir -p "$fake" "$tmp/nvidia"

# gpu_check: every mode check.sh uses; FAKE_FAULT picks one fault
cat >"$fake/gpu_check" <<'EOF'
#!/bin/sh
fault=${FAKE_FAULT:-none}
case $1 in
probe)
    if [ "$fault" = nogpu ]; then
        echo "gpu_check: no usable GPU: device 'cuda:0': no CUDA driver (fake)"; exit 77
    fi
    echo "DEVICE cuda:0  NVIDIA H100 80GB HBM3  79.1 GiB  compute 9.0";;
dlopen)
    shift
    for l in "$@"; do echo "| dlopen $l | - | - | ok | /fake/$l |"; done;;
descriptors)
    echo "vgg-algo cuda:0 fp32 forward n=2 cin=3 256x341 cout=64 k=3 pad=1: IMPLICIT_PRECOMP_GEMM math=FMA workspace=0.0MiB heuristics" >&2
    echo "| fp32 VGG-16 descriptor Q=256 +flip | 2e-06 | 1e-05 | ok | fake |"
    case $fault in
        crash) kill -SEGV $$;;
        hang) exec sleep 600;;
    esac
    echo "| fp32 VGG-16 descriptor Q=384 +flip | 2e-06 | 1e-05 | ok | fake |"
    echo "| tf32 VGG-16 descriptor Q=256 +flip | 0.002 | 1e-02 | ok | fake |"
    if [ "$fault" = few ]; then exit 0; fi
    echo "| tf32 VGG-16 descriptor Q=384 +flip | 0.002 | 1e-02 | ok | fake |";;
gradients)
    echo "| fp32 VGG-16 step gradients n=$2 | 3e-06 | 1e-04 | ok | fake |";;
nccl)
    echo "| 1-rank NCCL step == plain step, bytes | 0 | 0e+00 | ok | fake |";;
time)
    shift 3
    for k in "$@"; do echo "RESULT $k 100.000 10.00"; done;;
write-net)
    : >"$3";;
*)  echo "fake gpu_check: unknown mode $1" >&2; exit 2;;
esac
EOF

# test_backend_ops cuda:0: cmocka's lines; FAKE_FAULT=ops-crash dies in case 6
cat >"$fake/test_backend_ops" <<'EOF'
#!/bin/sh
echo "[==========] Running 11 test(s)."
for i in 1 2 3 4 5 6 7 8 9 10 11; do
    echo "[ RUN      ] case_$i"
    if [ "${FAKE_FAULT:-}" = ops-crash ] && [ $i = 6 ]; then kill -SEGV $$; fi
    echo "[       OK ] case_$i"
done
echo "[==========] 11 test(s) run."
echo "[  PASSED  ] 11 test(s)."
EOF

# vggfeat extract: its summary line (t = 0.1 s + 10 ms an image)
cat >"$fake/vggfeat" <<'EOF'
#!/bin/sh
list=""; out=""
while [ $# -gt 0 ]; do
    case $1 in --list) list=$2; shift;; -o) out=$2; shift;; esac
    shift
done
n=$(wc -l <"$list")
: >"$out"
echo "vggfeat extract: $n images, 0 skipped, 0.1 s, $(awk -v n="$n" 'BEGIN { printf "%.2f", n / (0.1 + 0.01 * n) }') images/s; '$out' holds $n rows of 4096 floats" >&2
EOF

# the PyTorch peer (90 images/s; t = 0.2 s + 20 ms an image); FAKE_PEER_FAULT=crash
# prints the first key's result and dies
cat >"$fake/peer" <<'EOF'
#!/bin/sh
case $1 in
versions) echo "torch (fake)";;
time)
    echo "PRECISION $2 dense: fake"
    shift 3
    for k in "$@"; do
        echo "RESULT $k 90.000"
        if [ "${FAKE_PEER_FAULT:-}" = crash ]; then exit 3; fi
    done;;
jpegs)
    mkdir -p "$2"
    i=0; while [ $i -lt "$3" ]; do echo "$2/img$i.jpg"; i=$((i + 1)); done >"$2/list$3.txt"
    head -n 16 "$2/list$3.txt" >"$2/list16.txt";;
pipeline)
    n=$(wc -l <"$3")
    echo "RESULT pipeline $n $(awk -v n="$n" 'BEGIN { printf "%.6f", 0.2 + 0.02 * n }')";;
esac
EOF
chmod +x "$fake"/*

# run NAME [VAR=VALUE...]: check.sh over the fakes; its stdout in $tmp/NAME.out,
# its exit status in $tmp/NAME.rc
run() {
    name=$1; shift
    mkdir -p "$tmp/$name"
    env -u OUT -u NVIDIA_TF32_OVERRIDE BUILD="$tmp/$name/build" GPU_CHECK_BIN="$fake" \
        GPU_CHECK_PEER="sh $fake/peer" GPU_CHECK_NVIDIA="$tmp/nvidia" PYTHON=/nonexistent/python3 \
        GPU_CHECK_TIME_S=0.1 "$@" sh "$check" >"$tmp/$name.out" 2>&1
    echo $? >"$tmp/$name.rc"
}
rc() { cat "$tmp/$1.rc"; }
verdict() {   # run label: the verdict of the row with that label
    awk -F'|' -v l="$2" '{ k = $2; gsub(/^ +| +$/, "", k); if (k == l) { v = $5; gsub(/^ +| +$/, "", v); print v; exit } }' "$tmp/$1.out"
}
expect_verdict() {   # run label verdict
    v=$(verdict "$1" "$2")
    [ "$v" = "$3" ] || bad "$1: the row '$2' is '${v:-missing}', expected '$3'"
}
expect_fail_exit() {
    [ "$(rc "$1")" != 0 ] || bad "$1: check.sh exited 0"
}
rows_of() { grep -c "^| .* | $2 |" "$tmp/$1.out"; }

# healthy: exit 0, every row ok or SKIP, the table also written under $OUT
mkdir -p "$tmp/out"
run healthy OUT="$tmp/out"
[ "$(rc healthy)" = 0 ] || bad "healthy: check.sh exited $(rc healthy)"
[ "$(rows_of healthy FAIL)" = 0 ] || bad "healthy: FAIL rows"
[ "$(rows_of healthy "NOT RUN")" = 0 ] || bad "healthy: NOT RUN rows"
expect_verdict healthy "tf32 VGG-16 descriptor Q=384 +flip" ok
expect_verdict healthy "op case_11" ok
expect_verdict healthy "tf32 VGG-19 dense Q=384 n=16 +flip" ok
expect_verdict healthy "fp32 extract pipeline VGG-16 Q=256 +flip, 16 loaders" ok
expect_verdict healthy "mpirun -np 1 vggtrain, NCCL == plain, bytes" SKIP
[ -s "$tmp/out/gpu-table.md" ] || bad "healthy: no $tmp/out/gpu-table.md"
grep -q 'IMPLICIT_PRECOMP_GEMM' "$tmp/out/gpu-table.md" || bad "healthy: the table has no cuDNN algorithm"
grep -q '^check.sh: ok' "$tmp/healthy.out" || bad "healthy: no closing 'check.sh: ok' line"

# a gpu_check that crashes after its first row
run crash FAKE_FAULT=crash
expect_fail_exit crash
expect_verdict crash "fp32 VGG-16 descriptor Q=256 +flip" ok
expect_verdict crash "fp32 VGG-16 descriptor Q=384 +flip" FAIL
expect_verdict crash "tf32 VGG-16 descriptor Q=384 +flip" FAIL
expect_verdict crash "descriptors: the step's exit" FAIL
grep -q "signal 11" "$tmp/crash.out" || bad "crash: the signal is not named"
expect_verdict crash "1-rank NCCL step == plain step, bytes" ok   # the steps after it ran

# one that prints too few rows and exits 0
run few FAKE_FAULT=few
expect_fail_exit few
expect_verdict few "tf32 VGG-16 descriptor Q=256 +flip" ok
expect_verdict few "tf32 VGG-16 descriptor Q=384 +flip" FAIL

# an operations run that dies in its sixth case: that case and the five
# never reached are FAIL
run opscrash FAKE_FAULT=ops-crash
expect_fail_exit opscrash
expect_verdict opscrash "op case_5" ok
expect_verdict opscrash "op case_6" FAIL
expect_verdict opscrash "op case 11 of 11" FAIL

# one past the deadline: stopped there, its rows and every later one NOT RUN
run hang FAKE_FAULT=hang GPU_CHECK_DEADLINE_S=5
expect_fail_exit hang
expect_verdict hang "fp32 VGG-16 descriptor Q=384 +flip" "NOT RUN"
expect_verdict hang "fp32 VGG-16 step gradients n=4" "NOT RUN"
expect_verdict hang "fp32 extract pipeline VGG-16 Q=256 +flip, 16 loaders" "NOT RUN"
grep -q '^check.sh: FAIL: .* not run' "$tmp/hang.out" || bad "hang: no closing FAIL line"

# a peer that dies after its first result: the rows it owes are FAIL
run peer FAKE_PEER_FAULT=crash
expect_fail_exit peer
expect_verdict peer "fp32 VGG-16 dense Q=256 n=1 +flip" ok
expect_verdict peer "fp32 VGG-16 dense Q=256 n=16 +flip" FAIL

# no GPU: every GPU row NOT RUN, one closing line naming the cause
run nogpu FAKE_FAULT=nogpu
expect_fail_exit nogpu
expect_verdict nogpu "fp32 VGG-16 descriptor Q=256 +flip" "NOT RUN"
expect_verdict nogpu "operations: test_backend_ops cuda:0" "NOT RUN"
expect_verdict nogpu "tf32 VGG-16 train step n=64" "NOT RUN"
expect_verdict nogpu "dlopen libcudnn_graph.so.9" ok
[ "$(rows_of nogpu ok)" -ge 1 ] || bad "nogpu: the library rows are missing"
[ "$(grep -c '^check.sh: ' "$tmp/nogpu.out")" = 1 ] || bad "nogpu: not one closing line"
grep -q "^check.sh: FAIL: no usable GPU (device 'cuda:0': no CUDA driver (fake)): 27 rows not run" "$tmp/nogpu.out" ||
    bad "nogpu: the closing line does not give the driver's message"

# the bundle path: a bundle of the fakes in $BUILD/bundle, unpacked by
# Python's tarfile where xz fails (a stub xz first on the PATH), used
# without GPU_CHECK_BIN; then the same bundle with a MANIFEST whose sha256
# does not match: a FAIL row
python=$(command -v python3 || true)
if [ -n "$python" ] && command -v xz >/dev/null 2>&1; then
    for r in bundle badsum; do
        mkdir -p "$tmp/$r/build/bundle"
        tar -C "$tmp" -cJf "$tmp/$r/build/bundle/vggfeat-gpu.tar.xz" bin
        sum=$(sha256sum "$tmp/$r/build/bundle/vggfeat-gpu.tar.xz" | cut -d' ' -f1)
        [ "$r" = badsum ] && sum=0000$sum
        echo "sha256: $sum" >"$tmp/$r/build/bundle/MANIFEST"
    done
    mkdir -p "$tmp/noxz"
    printf '#!/bin/sh\nexit 1\n' >"$tmp/noxz/xz"
    chmod +x "$tmp/noxz/xz"
    for r in bundle badsum; do
        mkdir -p "$tmp/$r"
        env -u OUT PATH="$tmp/noxz:$PATH" BUILD="$tmp/$r/build" GPU_CHECK_PEER="sh $fake/peer" \
            GPU_CHECK_NVIDIA="$tmp/nvidia" PYTHON="$python" GPU_CHECK_TIME_S=0.1 \
            sh "$check" >"$tmp/$r.out" 2>&1
        echo $? >"$tmp/$r.rc"
    done
    [ "$(rc bundle)" = 0 ] || bad "bundle: check.sh exited $(rc bundle)"
    grep -q "^programs: the bundle .* unpacked with Python's tarfile" "$tmp/bundle.out" ||
        bad "bundle: the bundle was not used, or not unpacked by Python"
    expect_verdict bundle "fp32 VGG-16 descriptor Q=256 +flip" ok
    expect_fail_exit badsum
    grep -q '^| bundle: .* | FAIL | sha256 ' "$tmp/badsum.out" || bad "badsum: no FAIL row for the checksum"
else
    echo "gating_test: no python3 or no xz here: the bundle cases not run"
fi

if [ "$fails" -gt 0 ]; then
    for r in healthy crash few opscrash hang peer nogpu bundle badsum; do
        [ -f "$tmp/$r.out" ] || continue
        echo "==== check.sh output: $r (exit $(rc $r))"; cat "$tmp/$r.out"
    done
    echo "gating_test: $fails failures"
    exit 1
fi
echo "gating_test: every fault gave FAIL or NOT RUN rows and a non-zero exit; the healthy run passed"
