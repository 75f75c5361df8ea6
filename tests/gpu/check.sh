#!/bin/sh
# The GPU check: one run on a machine with one NVIDIA GPU prints one table
# that settles whether the CUDA backend works there and how fast it is:
#
#   libraries   ldd of every program (any "not found" but the driver's
#               libcuda.so.1 is a FAIL row) and cuDNN's sub-libraries
#               opened as cuDNN opens them, and cuBLAS as the backend opens
#               it (gpu_check dlopen)
#   operations  every backend operation forward and backward on cuda:0
#               against cpu-ref (test_backend_ops cuda:0)
#   agreement   VGG-16 dense descriptors at Q=256 and 384 with flips
#               against cpu-ref, fp32 (bound 1e-5 relative L2) and tf32
#               (1e-2), the measured figure printed; one VGG-16 training
#               step's gradients in fp32 (1e-4); two training steps with
#               the gradients through a one-rank NCCL communicator against
#               the plain steps (the same bytes); an mpirun run of vggtrain
#               where mpirun and an MPI build are there (else SKIP)
#   speed       VGG-16/19 dense at Q=256 and 384 (image + flip, batches of
#               1 and 16) and a VGG-16 training step at batch 64, fp32 and
#               tf32, one process per side per precision, against PyTorch
#               + cuDNN (tests/gpu/torch_peer.py) with the same precision
#               pinned and the same algorithm policy, as ratios, with the
#               TFLOP/s achieved and their share of the card's peak; the
#               whole `vggfeat extract` pipeline on 64 JPEGs with 16 loaders
#               against a PyTorch DataLoader pipeline
#
# and the cuDNN algorithm chosen for every shape (VGG_LOG_ALGOS=1).
# Nothing passes by accident: every step's exit status and every row it
# owes are checked (a missing row is a FAIL row), a global deadline stops
# what runs past it (the rows not reached are NOT RUN), steps that need
# what the machine lacks print SKIP with the reason.  Exit 0 only when
# every row is ok (speed rows below PyTorch say "slow" and do not decide
# it), or SKIP.
#
#   sh tests/gpu/check.sh                  (from anywhere in the repository)
#
# The programs: from the bundle made by tests/gpu/bundle.sh
# ($BUILD/bundle/vggfeat-gpu.tar.xz: unpacked into a temporary folder,
# never configured or compiled here), else from a build in $BUILD/bin,
# else built here with cmake and nvcc.  CUDA's libraries (cudart, cuBLAS,
# cuDNN, NCCL) from the PyTorch environment's nvidia/*/lib folders (found
# through `python -c "import nvidia"`, else under /opt/*/.venv and the
# usual site-packages), put on the programs' library path only.
#
# Environment: BUILD (default build-gpu); PYTHON (default: python3 that
# imports torch, else /opt/torch/.venv/bin/python3 ...); GPU_CHECK_DEADLINE_S
# (default 420: 7 minutes on one H100); GPU_CHECK_TIME_S (default 1.5:
# seconds each timing row measures, after two untimed runs); the table is
# written as markdown to $OUT/gpu-table.md where OUT names a folder, else
# to $BUILD/gpu-table.md, and every step's output to gpu-check.log beside
# it.  For tests of this script: GPU_CHECK_BIN (a folder of programs to
# run instead), GPU_CHECK_PEER (the peer's command instead of
# "$PYTHON tests/gpu/torch_peer.py"), GPU_CHECK_NVIDIA (a folder of
# <package>/lib folders instead of the torch environment's).
# shellcheck disable=SC2086,SC2046  # word lists split on purpose
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here" || exit 1
BUILD=${BUILD:-build-gpu}
deadline_s=${GPU_CHECK_DEADLINE_S:-420}
time_s=${GPU_CHECK_TIME_S:-1.5}
case $deadline_s in ''|*[!0-9]*) echo "check.sh: GPU_CHECK_DEADLINE_S '$deadline_s' is not a number of seconds" >&2; exit 2;; esac
start=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
trap 'rm -rf "$work"; exit 130' INT TERM HUP
rows=$work/rows
algos=$work/algos
notes=$work/notes
: >"$rows"; : >"$algos"; : >"$notes"
if [ -n "${OUT:-}" ] && [ -d "${OUT:-}" ]; then outdir=$OUT; else outdir=$BUILD; fi
mkdir -p "$outdir" || exit 1
table_md=$outdir/gpu-table.md
logf=$outdir/gpu-check.log
: >"$logf"

elapsed() { echo $(( $(date +%s) - start )); }
say() { echo "$*"; echo "$*" >>"$logf"; }
note() { echo "$*" >>"$notes"; say "$*"; }
# a table row: check, value, bound, verdict (ok, FAIL, slow, SKIP, NOT RUN), detail
row() {
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" \
        "$(printf '%s' "$5" | tr '|\n' '/ ')" >>"$rows"
}

# ---- what the programs need -------------------------------------------------
programs="gpu_check test_backend_ops vggfeat"
# opened at run time, not linked: cuDNN's sub-libraries (as cuDNN opens
# them), cuBLAS (net/cuda/blas.c opens it at a device's first use) and
# what they need
cudnn_parts="libcudnn_graph.so.9 libcudnn_ops.so.9 libcudnn_cnn.so.9 libcudnn_heuristic.so.9
             libcudnn_engines_precompiled.so.9 libcudnn_engines_runtime_compiled.so.9
             libcublas.so.13 libcublasLt.so.13 libnvrtc.so.13"

find_python() {
    if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
    for c in python3 /opt/torch/.venv/bin/python3 /opt/*/.venv/bin/python3 /opt/*/bin/python3 \
             /usr/local/bin/python3 /usr/bin/python3; do
        if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import torch' >/dev/null 2>&1; then
            echo "$c"; return
        fi
    done
    echo python3
}
PY=$(find_python)
peer=${GPU_CHECK_PEER:-"$PY tests/gpu/torch_peer.py"}

# the nvidia/<package>/lib folders of the torch environment's wheels
nvidia_dirs() {
    if [ -n "${GPU_CHECK_NVIDIA:-}" ]; then
        roots=$GPU_CHECK_NVIDIA
    else
        roots=$("$PY" -c 'import nvidia; print("\n".join(nvidia.__path__))' 2>/dev/null || true)
        # where that Python cannot say: the usual places of a venv's wheels
        [ -n "$roots" ] || for g in /opt/*/.venv/lib/python3*/site-packages/nvidia /opt/*/lib/python3*/site-packages/nvidia \
                 /usr/local/lib/python3*/dist-packages/nvidia /usr/local/lib/python3*/site-packages/nvidia \
                 /usr/lib/python3/dist-packages/nvidia; do
            [ -d "$g" ] && roots="$roots
$g"
        done
    fi
    printf '%s\n' "$roots" | while IFS= read -r r; do
        [ -n "$r" ] || continue
        for d in "$r"/*/lib; do
            [ -d "$d" ] && (cd "$d" && pwd -P)
        done
    done | awk '!seen[$0]++'
}

# ---- the plan: every row a GPU owes, by step ------------------------------------
time_keys="dense:D:256:1 dense:D:256:16 dense:D:384:1 dense:D:384:16
           dense:E:256:1 dense:E:256:16 dense:E:384:1 dense:E:384:16 train:D:224:64"
time_label() {   # precision key
    set -- "$1" $(echo "$2" | tr ':' ' ')
    net=VGG-16; [ "$3" = E ] && net=VGG-19
    if [ "$2" = dense ]; then echo "$1 $net dense Q=$4 n=$5 +flip"; else echo "$1 $net train step n=$5"; fi
}
labels() {   # step: its rows' labels, one a line
    case $1 in
        dlopen) printf 'dlopen %s\n' $cudnn_parts;;
        ops) echo "operations: test_backend_ops cuda:0";;
        descriptors) for p in fp32 tf32; do for q in 256 384; do
                         echo "$p VGG-16 descriptor Q=$q +flip"; done; done;;
        gradients) echo "fp32 VGG-16 step gradients n=4";;
        nccl) echo "1-rank NCCL step == plain step, bytes";;
        mpirun) echo "mpirun -np 1 vggtrain, NCCL == plain, bytes";;
        time-fp32|time-tf32) for k in $time_keys; do time_label "${1#time-}" "$k"; done;;
        extract) echo "fp32 extract pipeline VGG-16 Q=256 +flip, 16 loaders";;
    esac
}
gpu_steps="ops descriptors gradients nccl mpirun time-fp32 time-tf32 extract"

# every row of the steps given, marked NOT RUN with a reason
not_run() {   # reason step...
    why=$1; shift
    for s in "$@"; do
        labels "$s" | while IFS= read -r l; do row "$l" - - "NOT RUN" "$why"; done
    done
}

# ---- running a step ---------------------------------------------------------------
# run_step NAME CAP_S COMMAND...: COMMAND under the deadline (and at most
# CAP_S), stdout in $work/NAME.out, stderr in $work/NAME.err; sets
# step_state (ok, failed, timeout, deadline, nogpu) and step_why
run_step() {
    name=$1; cap=$2; shift 2
    : >"$work/$name.out"; : >"$work/$name.err"
    left=$(( deadline_s - $(elapsed) ))
    if [ "$left" -le 0 ]; then
        step_state=deadline; step_rc=""
        step_why="not started: the deadline ($deadline_s s) had passed"
        echo "== $name: $step_why" >>"$logf"
        return
    fi
    lim=$cap; by_deadline=0
    if [ "$left" -lt "$cap" ]; then lim=$left; by_deadline=1; fi
    echo "== $name ($(elapsed) s; limit $lim s): $*" >>"$logf"
    t0=$(date +%s)
    timeout -k 5 "$lim" "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null
    step_rc=$?
    took=$(( $(date +%s) - t0 ))
    cat "$work/$name.out" "$work/$name.err" >>"$logf"
    echo "-- $name: exit status $step_rc after $took s" >>"$logf"
    grep '^vgg-algo ' "$work/$name.err" | sed "s/^vgg-algo /$name: /" >>"$algos"
    last=$(grep -v '^vgg-algo ' "$work/$name.err" | grep . | tail -n 1)
    case $step_rc in
        0) step_state=ok; step_why="";;
        124|137)
            if [ "$by_deadline" = 1 ]; then
                step_state=deadline; step_why="stopped at the deadline ($deadline_s s in all)"
            else
                step_state=timeout; step_why="no end within its limit of $lim s"
            fi;;
        77) step_state=nogpu
            step_why="cuda:0 could not be opened: $(grep -m 1 'no usable GPU' "$work/$name.out" || echo "$last")";;
        *)  step_state=failed
            sig=""
            [ "$step_rc" -gt 128 ] && sig=" (signal $(( step_rc - 128 )))"
            step_why="exit status $step_rc$sig${last:+: $last}";;
    esac
}

# take_rows NAME STEP: the table rows NAME printed, for STEP's labels in
# their order; a label with no row is FAIL (NOT RUN where the deadline
# stopped the step); a row with another label, a second row of a label or
# a verdict other than ok/FAIL is FAIL; an exit status other than 0 adds a
# FAIL row
take_rows() {
    name=$1; step=$2
    labels "$step" >"$work/$name.labels"
    if [ "$step_state" = deadline ]; then miss="NOT RUN"; else miss=FAIL; fi
    why=${step_why:-"printed no row for it"}
    awk -F'|' -v miss="$miss" -v why="$why" '
        function trim(s) { gsub(/^[ \t]+|[ \t]+$/, "", s); return s }
        NR == FNR { want[++n] = $0; wanted[$0] = 1; next }
        /^\| / {
            k = trim($2)
            if (k in got) { extra[++ne] = k; extra_why[ne] = "a second row of this check"; next }
            if (!(k in wanted)) { extra[++ne] = k; extra_why[ne] = "not a row check.sh expects"; next }
            v = trim($5)
            got[k] = sprintf("| %s | %s | %s | %s | %s |", k, trim($3), trim($4),
                             (v == "ok" || v == "FAIL") ? v : "FAIL",
                             (v == "ok" || v == "FAIL") ? trim($6) : "verdict \"" v "\": " trim($6))
        }
        END {
            for (i = 1; i <= n; i++)
                print (want[i] in got) ? got[want[i]] : sprintf("| %s | - | - | %s | %s |", want[i], miss, why)
            for (i = 1; i <= ne; i++)
                printf "| %s | - | - | FAIL | %s |\n", extra[i], extra_why[i]
        }' "$work/$name.labels" "$work/$name.out" >>"$rows"
    case $step_state in
        ok|deadline) ;;
        *) row "$name: the step's exit" "${step_rc:--}" 0 FAIL "$step_why";;
    esac
}

# ---- the programs -------------------------------------------------------------------
say "== GPU check ($(date -u +%Y-%m-%dT%H:%M:%SZ), deadline $deadline_s s)"
manifest=""
bin=""
if [ -n "${GPU_CHECK_BIN:-}" ]; then
    bin=$GPU_CHECK_BIN; blib=""
    say "programs: $bin (GPU_CHECK_BIN)"
elif [ -f "$BUILD/bundle/vggfeat-gpu.tar.xz" ]; then
    bundle=$BUILD/bundle/vggfeat-gpu.tar.xz
    manifest=$BUILD/bundle/MANIFEST
    mkdir -p "$work/bundle"
    how="with xz"
    if tar -C "$work/bundle" -xJf "$bundle" 2>"$work/untar.err" ||
       { how="with Python's tarfile (no xz)"
         "$PY" -c 'import sys, tarfile; tarfile.open(sys.argv[1], "r:xz").extractall(sys.argv[2])' \
             "$bundle" "$work/bundle" 2>>"$work/untar.err"; }; then
        bin=$work/bundle/bin; blib=$work/bundle/lib
        say "programs: the bundle $bundle ($(du -k "$bundle" | cut -f1) KiB), unpacked $how"
        want=$(sed -n 's/^sha256: //p' "$manifest" 2>/dev/null)
        have=$(sha256sum "$bundle" 2>/dev/null | cut -d' ' -f1)
        if [ -n "$want" ] && [ "$want" != "$have" ]; then
            row "bundle: $bundle" - - FAIL "sha256 $have, MANIFEST says $want: a bundle cut short or changed"
        fi
        sed -n 's/^\(commit\|made\|glibc needed\): /bundle \1: /p' "$manifest" 2>/dev/null | while IFS= read -r l; do note "$l"; done
    else
        row "bundle: $bundle" - - FAIL "could not be unpacked: $(tail -n 1 "$work/untar.err")"
    fi
elif [ -x "$BUILD/bin/gpu_check" ]; then
    bin=$BUILD/bin; blib=""
    say "programs: the build in $BUILD/bin (no bundle)"
else
    say "== no bundle and no build in $BUILD: building it here (cmake, nvcc)"
    nvcc=$(command -v nvcc || true)
    [ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
    if command -v cmake >/dev/null 2>&1 && [ -n "$nvcc" ] &&
       cmake -S . -B "$BUILD" -DVGG_CUDA=ON -DVGG_BENCH=OFF -DVGG_TESTS=ON \
             -DCMAKE_CUDA_COMPILER="$nvcc" >>"$logf" 2>&1 &&
       cmake --build "$BUILD" -j "$(nproc)" --target $programs vggtrain >>"$logf" 2>&1; then
        bin=$BUILD/bin; blib=""
    else
        row "build: cmake and nvcc in $BUILD" - - FAIL "no bundle ($BUILD/bundle), no build, and no CUDA build could be made here (log: $logf)"
    fi
fi

nvdirs=$(nvidia_dirs | tr '\n' ':')
nvdirs=${nvdirs%:}
ours_ld=${blib:+$blib:}${nvdirs}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if [ -n "$nvdirs" ]; then
    note "CUDA libraries from: $(echo "$nvdirs" | tr ':' ' ')"
else
    note "CUDA libraries: no nvidia/*/lib folder found (PYTHON=$PY); the system's, if any"
fi

# ---- libraries -------------------------------------------------------------------------
if [ -n "$bin" ]; then
    for p in $programs; do
        if [ ! -x "$bin/$p" ]; then
            row "libraries of $p" - - FAIL "no program $bin/$p"
            continue
        fi
        if ! command -v ldd >/dev/null 2>&1; then
            row "libraries of $p" - - SKIP "no ldd on this machine"
            continue
        fi
        env LD_LIBRARY_PATH="$ours_ld" ldd "$bin/$p" >"$work/ldd.$p" 2>&1
        rc=$?
        say "ldd $bin/$p:"
        sed 's/^[[:space:]]*/    /' "$work/ldd.$p" | tee -a "$logf"
        if grep -q 'not a dynamic executable' "$work/ldd.$p"; then
            row "libraries of $p" - - SKIP "not a dynamic executable"
            continue
        fi
        missing=$(grep 'not found' "$work/ldd.$p" | grep -v 'libcuda\.so\.1' | sed 's/^[[:space:]]*//' | tr '\n' ';')
        n=$(grep -c '=>' "$work/ldd.$p")
        if [ -n "$missing" ] || [ "$rc" != 0 ]; then
            row "libraries of $p" "$n" - FAIL "ldd: ${missing:-exit status $rc}"
        else
            cudnn=$(awk '$1 == "libcudnn.so.9" { print $3 }' "$work/ldd.$p")
            row "libraries of $p" "$n" - ok "all resolve${cudnn:+; cuDNN $cudnn}"
        fi
    done
    # shellcheck disable=SC2086
    run_step dlopen 60 env LD_LIBRARY_PATH="$ours_ld" "$bin/gpu_check" dlopen $cudnn_parts
    take_rows dlopen dlopen
fi

# ---- the GPU ---------------------------------------------------------------------------
gpu_name=""
gpu_missing=1   # 0 once a GPU answered, or when the deadline came first
if command -v nvidia-smi >/dev/null 2>&1; then
    smi=$(nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader 2>&1)
    note "nvidia-smi: $(echo "$smi" | head -n 2 | tr '\n' ' ')"
else
    note "nvidia-smi: not on this machine"
fi
if [ -z "$bin" ]; then
    gpu_why="no programs to run"; gpu_missing=0
else
    run_step probe 60 env LD_LIBRARY_PATH="$ours_ld" "$bin/gpu_check" probe
    if [ "$step_state" = deadline ]; then
        gpu_why=$step_why; gpu_missing=0
    elif [ "$step_state" = ok ]; then
        gpu_why=""
        gpu_name=$(sed -n 's/^DEVICE cuda:0 *\(.*[^ ]\) \{2,\}[0-9.]* GiB.*/\1/p' "$work/probe.out" | head -n 1)
        [ -n "$gpu_name" ] || gpu_name=$(sed -n 's/^DEVICE cuda:0 *//p' "$work/probe.out" | head -n 1)
        grep -v '^DEVICE ' "$work/probe.out" | while IFS= read -r l; do note "$l"; done
        note "GPU: $(sed -n 's/^DEVICE //p' "$work/probe.out" | head -n 1)"
    else
        gpu_why=$(grep -m 1 . "$work/probe.out" || true)
        gpu_why=${gpu_why:-$step_why}
        gpu_why=${gpu_why#gpu_check: }
        gpu_why=${gpu_why#no usable GPU: }
    fi
fi
if [ -n "$gpu_why" ]; then
    if [ "$gpu_missing" = 1 ]; then r="no usable GPU: $gpu_why"; else r=$gpu_why; fi
    # shellcheck disable=SC2086
    not_run "$r" $gpu_steps
fi

# the peer's versions (also where there is no GPU: they are printed)
run_step versions 120 $peer versions
while IFS= read -r l; do note "PyTorch: $l"; done <"$work/versions.out"
[ "$step_state" = ok ] || note "PyTorch: the peer cannot run ($step_why)"
note "NVIDIA_TF32_OVERRIDE: ${NVIDIA_TF32_OVERRIDE:-unset} (where set to 0 no TF32 runs anywhere)"

if [ -z "$gpu_why" ]; then
    # ---- operations -------------------------------------------------------------------
    run_step ops 240 env LD_LIBRARY_PATH="$ours_ld" VGG_PRECISION=fp32 CMOCKA_MESSAGE_OUTPUT=stdout \
        "$bin/test_backend_ops" cuda:0
    if [ "$step_state" = deadline ] && [ ! -s "$work/ops.out" ]; then
        not_run "$step_why" ops
    else
        # cmocka's lines to rows: a case that started and did not end is
        # FAIL, and so is every case announced and never started
        awk -v state="$step_state" -v why="$step_why" '
            BEGIN { announced = 0; n = 0; cur = "" }
            /^\[==========\] Running [0-9]+ test/ { announced = $3 + 0; next }
            /^\[ RUN      \] / { cur = substr($0, 14); detail = ""; next }
            /^\[       OK \] / && cur != "" { printf "| op %s | - | - | ok | |\n", cur; n++; cur = ""; next }
            /^\[  FAILED  \] / && cur != "" { printf "| op %s | - | - | FAIL | %s |\n", cur, detail; n++; cur = ""; next }
            /^\[  SKIPPED \] / && cur != "" { printf "| op %s | - | - | FAIL | skipped on cuda:0 |\n", cur; n++; cur = ""; next }
            cur != "" && NF { d = $0; gsub(/\|/, "/", d); detail = d }
            END {
                miss = (state == "deadline") ? "NOT RUN" : "FAIL"
                if (cur != "") { printf "| op %s | - | - | %s | ended during this case: %s |\n", cur, miss, why; n++ }
                want = announced > 11 ? announced : 11
                for (i = n + 1; i <= want; i++)
                    printf "| op case %d of %d | - | - | %s | never reached%s |\n", i, want, miss, why != "" ? ": " why : ""
            }' "$work/ops.out" >>"$rows"
        case $step_state in
            ok|deadline) ;;
            *) row "ops: the step's exit" "${step_rc:--}" 0 FAIL "$step_why";;
        esac
    fi

    # ---- agreement ---------------------------------------------------------------------
    run_step descriptors 240 env LD_LIBRARY_PATH="$ours_ld" VGG_LOG_ALGOS=1 "$bin/gpu_check" descriptors
    take_rows descriptors descriptors
    run_step gradients 180 env LD_LIBRARY_PATH="$ours_ld" VGG_LOG_ALGOS=1 "$bin/gpu_check" gradients 4
    take_rows gradients gradients
    run_step nccl 120 env LD_LIBRARY_PATH="$ours_ld" VGG_LOG_ALGOS=1 "$bin/gpu_check" nccl
    take_rows nccl nccl

    # mpirun: the same steps as the only rank of an MPI job (needs Open
    # MPI's mpirun and a vggtrain built with MPI: neither is in the bundle)
    if ! command -v mpirun >/dev/null 2>&1; then
        row "$(labels mpirun)" - - SKIP "no mpirun on this machine (the NCCL row above covers the collective)"
    elif [ ! -x "$bin/vggtrain" ] || ! env LD_LIBRARY_PATH="$ours_ld" ldd "$bin/vggtrain" 2>/dev/null | grep -q libmpi; then
        row "$(labels mpirun)" - - SKIP "no vggtrain built with MPI in $bin"
    else
        d=$work/dist
        mkdir -p "$d"
        cat >"$d/make_set.py" <<'PYEOF'
import random, struct, sys
rng = random.Random(3)
with open(sys.argv[1] + "/img.idx", "wb") as fi, open(sys.argv[1] + "/lab.idx", "wb") as fl:
    fi.write(struct.pack(">IIII", 0x803, 48, 28, 28))
    fl.write(struct.pack(">II", 0x801, 48))
    for i in range(48):
        fi.write(bytes(rng.randrange(256) for _ in range(784)))
        fl.write(bytes([i % 3]))
PYEOF
        if "$PY" "$d/make_set.py" "$d" >>"$logf" 2>&1 &&
           env LD_LIBRARY_PATH="$ours_ld" "$bin/vggtrain" import-idx "$d/img.idx" "$d/lab.idx" -o "$d/set" >>"$logf" 2>&1; then
            t="train --list $d/set/list.txt --classes $d/set/classes.txt --config A --width 0.25
               --fc-dim 64 --input-size 32 --batch 16 --iterations 3 --deterministic --print-every 1"
            # shellcheck disable=SC2086
            run_step mpi-plain 120 env LD_LIBRARY_PATH="$ours_ld" "$bin/vggtrain" $t --device cuda:0 -o "$d/plain.st"
            s1=$step_state; w1=$step_why
            # shellcheck disable=SC2086
            run_step mpi-nccl 120 env LD_LIBRARY_PATH="$ours_ld" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
                mpirun -np 1 "$bin/vggtrain" $t --device cuda -o "$d/nccl.st"
            if [ "$s1" != ok ]; then
                row "$(labels mpirun)" - same FAIL "the plain run: $w1"
            elif [ "$step_state" != ok ]; then
                row "$(labels mpirun)" - same FAIL "the mpirun run: $step_why"
            elif ! grep -q "gradients summed by NCCL" "$work/mpi-nccl.err" "$work/mpi-nccl.out"; then
                row "$(labels mpirun)" - same FAIL "the mpirun run did not sum through NCCL"
            elif cmp -s "$d/plain.st" "$d/nccl.st"; then
                row "$(labels mpirun)" same same ok "3 steps of A/4"
            else
                row "$(labels mpirun)" differs same FAIL "3 steps of A/4: the weights differ"
            fi
        else
            row "$(labels mpirun)" - same FAIL "the data set could not be made (log: $logf)"
        fi
    fi

    # ---- speed -----------------------------------------------------------------------
    # peak dense TFLOP/s (fp32 on CUDA cores, TF32 on tensor cores), by name
    case "$gpu_name" in
        *H200*|*H100*SXM*|*"H100 80GB HBM3"*) peak_fp32=67; peak_tf32=495;;
        *H100*NVL*) peak_fp32=60; peak_tf32=418;;
        *H100*) peak_fp32=51; peak_tf32=378;;
        *A100*) peak_fp32=19.5; peak_tf32=156;;
        *) peak_fp32=""; peak_tf32="";;
    esac
    note "peak dense TFLOP/s of '${gpu_name:-?}' (from a table of data sheets, by name): fp32 ${peak_fp32:-unknown}, tf32 ${peak_tf32:-unknown}"
    for p in fp32 tf32; do
        # shellcheck disable=SC2086
        run_step "time-$p-ours" 180 env LD_LIBRARY_PATH="$ours_ld" VGG_LOG_ALGOS=1 "$bin/gpu_check" time "$p" "$time_s" $time_keys
        so=$step_state; wo=$step_why
        # shellcheck disable=SC2086
        run_step "time-$p-peer" 240 $peer time "$p" "$time_s" $time_keys
        sp=$step_state; wp=$step_why
        grep '^PRECISION ' "$work/time-$p-peer.out" | sort -u | while IFS= read -r l; do note "PyTorch $l"; done
        pk=$peak_fp32; [ "$p" = tf32 ] && pk=$peak_tf32
        for k in $time_keys; do
            label=$(time_label "$p" "$k")
            o=$(awk -v k="$k" '$1 == "RESULT" && $2 == k { print $3, $4; exit }' "$work/time-$p-ours.out")
            e=$(awk -v k="$k" '$1 == "RESULT" && $2 == k { print $3; exit }' "$work/time-$p-peer.out")
            if [ -z "$o" ] || [ -z "$e" ]; then
                if [ "$so" = deadline ] || [ "$sp" = deadline ]; then v="NOT RUN"; else v=FAIL; fi
                [ -z "$o" ] && why="ours: ${wo:-no RESULT line}" || why="PyTorch: ${wp:-no RESULT line}"
                row "$label" - ">= 1" "$v" "$why"
                continue
            fi
            set -- $o
            row "$label" "$(awk -v a="$1" -v b="$e" 'BEGIN { printf "%.3f", a / b }')" ">= 1" \
                "$(awk -v a="$1" -v b="$e" 'BEGIN { print (a >= b ? "ok" : "slow") }')" \
                "ours $1 img/s, $2 TFLOP/s$([ -n "$pk" ] && awk -v t="$2" -v k="$pk" 'BEGIN { printf " (%.0f%% of %s)", 100 * t / k, k }'); PyTorch $e img/s"
        done
        case $so in ok|deadline) ;; *) row "time-$p-ours: the step's exit" - 0 FAIL "$wo";; esac
        case $sp in ok|deadline) ;; *) row "time-$p-peer: the step's exit" - 0 FAIL "$wp";; esac
    done

    # the whole pipeline: 16 and 64 JPEGs through each side, each in a
    # process of its own; images/s over the last 48 = 48 / (t64 - t16),
    # so that start-up (weights, the first cuDNN calls, worker processes)
    # counts on neither side
    label=$(labels extract)
    x=$work/extract
    mkdir -p "$x"
    ext_why=""; ext_state=ok
    ext_step() {   # run_step's arguments; the first failure is kept
        [ -n "$ext_why" ] && return 1
        run_step "$@"
        if [ "$step_state" != ok ]; then ext_why="$1: $step_why"; ext_state=$step_state; return 1; fi
    }
    ext_step extract-net 120 env LD_LIBRARY_PATH="$ours_ld" "$bin/gpu_check" write-net D "$x/vgg16.safetensors"
    ext_step extract-jpegs 120 $peer jpegs "$x/jpegs" 64
    for n in 16 64; do
        ext_step "extract-ours-$n" 180 env LD_LIBRARY_PATH="$ours_ld" "$bin/vggfeat" extract --device cuda:0 \
            --precision fp32 --net "$x/vgg16.safetensors" --scales 256 --loaders 16 --batch 16 \
            --list "$x/jpegs/list$n.txt" -o "$x/ours$n.vggf"
        ext_step "extract-peer-$n" 180 $peer pipeline fp32 "$x/jpegs/list$n.txt" 16 16
    done
    if [ -n "$ext_why" ]; then
        if [ "$ext_state" = deadline ]; then v="NOT RUN"; else v=FAIL; fi
        row "$label" - ">= 1" "$v" "$ext_why"
    else
        # ours: the summary's images and images/s; PyTorch: its seconds
        t_o16=$(sed -n 's/^vggfeat extract: \([0-9]*\) images, .* s, \([0-9.]*\) images\/s;.*/\1 \2/p' "$work/extract-ours-16.err")
        t_o64=$(sed -n 's/^vggfeat extract: \([0-9]*\) images, .* s, \([0-9.]*\) images\/s;.*/\1 \2/p' "$work/extract-ours-64.err")
        t_p16=$(awk '$1 == "RESULT" && $2 == "pipeline" { print $3, $4 }' "$work/extract-peer-16.out")
        t_p64=$(awk '$1 == "RESULT" && $2 == "pipeline" { print $3, $4 }' "$work/extract-peer-64.out")
        r=$(awk -v o16="$t_o16" -v o64="$t_o64" -v p16="$t_p16" -v p64="$t_p64" 'BEGIN {
                split(o16, a, " "); split(o64, b, " "); split(p16, c, " "); split(p64, d, " ")
                if (a[1] != 16 || b[1] != 64 || c[1] != 16 || d[1] != 64 || a[2] <= 0 || b[2] <= 0) { print "bad"; exit }
                to = b[1] / b[2] - a[1] / a[2]; tp = d[2] - c[2]
                if (to <= 0 || tp <= 0) { print "bad"; exit }
                printf "%.3f %.1f %.1f\n", (48 / to) / (48 / tp), 48 / to, 48 / tp }')
        if [ "$r" = bad ] || [ -z "$r" ]; then
            row "$label" - ">= 1" FAIL "the rows or seconds do not add up (ours: '$t_o16' '$t_o64'; PyTorch: '$t_p16' '$t_p64')"
        else
            set -- $r
            row "$label" "$1" ">= 1" "$(awk -v r="$1" 'BEGIN { print (r >= 1 ? "ok" : "slow") }')" \
                "ours $2 img/s, PyTorch DataLoader + cuDNN $3 img/s (48 JPEGs of 500x375 past the first 16)"
        fi
    fi
fi

# ---- the table ---------------------------------------------------------------------------
count() { awk -F'|' -v v="$1" '{ x = $5; gsub(/^ +| +$/, "", x); if (x == v) n++ } END { print n + 0 }' "$rows"; }
n_fail=$(count FAIL); n_not=$(count "NOT RUN"); n_skip=$(count SKIP); n_slow=$(count slow); n_all=$(wc -l <"$rows")
{
    echo "# GPU check"
    echo
    while IFS= read -r l; do echo "- $l"; done <"$notes"
    echo "- $(elapsed) s in all (deadline $deadline_s s)"
    echo
    echo "| check | value | bound | verdict | detail |"
    echo "| --- | --- | --- | --- | --- |"
    cat "$rows"
    if [ -s "$algos" ]; then
        echo
        echo "## cuDNN algorithms (VGG_LOG_ALGOS=1), by step"
        echo
        awk '!seen[$0]++ { print "    " $0 }' "$algos"
    fi
} >"$table_md"
echo
echo "| check | value | bound | verdict | detail |"
echo "| --- | --- | --- | --- | --- |"
cat "$rows"
if [ -s "$algos" ]; then
    echo
    echo "cuDNN algorithms of the agreement steps (every step's: $table_md):"
    grep -E '^(descriptors|gradients|nccl): ' "$algos" | awk '!seen[$0]++ { print "  " $0 }'
fi
echo
if [ -n "$gpu_why" ] && [ "$gpu_missing" = 1 ]; then
    echo "check.sh: FAIL: no usable GPU ($gpu_why): $n_not rows not run$([ "$n_fail" -gt 0 ] && echo ", $n_fail failed"); nothing about the GPU path is proven (table: $table_md)"
    exit 1
fi
if [ "$n_fail" -gt 0 ] || [ "$n_not" -gt 0 ]; then
    echo "check.sh: FAIL: $n_fail rows failed, $n_not not run, of $n_all (table: $table_md)"
    exit 1
fi
echo "check.sh: ok: every agreement within its bound and every step ran ($n_slow speed rows below PyTorch, $n_skip skipped; $(elapsed) s; table: $table_md)"
exit 0
