#!/bin/sh
# Build every libFuzzer harness tests/fuzz/fuzz_*.c with clang, ASan and
# UBSan (and -Werror) into build-fuzz/, then run them in one of two modes.
#
#   sh tests/fuzz/run.sh [RUNS]             the gate (pipelines/test.sh):
#       each harness replays every input of its committed corpus
#       (tests/fuzz/corpus/<name>/), then makes RUNS mutations of it
#       (default 50000) from a fixed seed into a fresh scratch corpus.
#       Same tree, same result: nothing random, nothing timed.
#   sh tests/fuzz/run.sh --explore [SECONDS] [HARNESS...]
#       open-ended fuzzing (default 600 s a harness, a new seed each run),
#       never part of the test command.  Its findings accumulate in
#       build-fuzz/fuzz-out/<name>/corpus across runs.
#
# Exit status 1 on any crash, leak, timeout, out-of-memory or sanitizer
# report; the log and the input that did it are kept under
# build-fuzz/fuzz-out/<name>/.  An input that ever crashed a harness goes
# into tests/fuzz/gen_corpus.py (and so the committed corpus) with a test
# of the module that reads it.  The committed corpora are never written.
# Environment: BUILD_DIR (default build-fuzz), JOBS (default: all cores),
# FUZZ_SEED (the gate's seed, default 1).
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"

mode=gate
runs=50000
seconds=600
only=""
case "${1:-}" in
    --explore)
        mode=explore
        shift
        if [ $# -gt 0 ]; then seconds=$1; shift; fi
        only="$*"
        ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    "") ;;
    *) runs=$1 ;;
esac
case "$runs$seconds" in
    *[!0-9]*) echo "fuzz: RUNS and SECONDS are whole numbers ('$runs', '$seconds')" >&2; exit 2 ;;
esac
seed=${FUZZ_SEED:-1}
build=${BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc)}

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang not found (Debian packages clang, libclang-rt-14-dev)" >&2
    exit 1
fi

harnesses=""
for src in tests/fuzz/fuzz_*.c; do
    [ -f "$src" ] || continue
    h=$(basename "$src" .c)
    if [ -n "$only" ]; then
        case " $only " in *" $h "*|*" ${h#fuzz_} "*) ;; *) continue ;; esac
    fi
    harnesses="$harnesses $h"
done
if [ -z "$harnesses" ]; then
    echo "fuzz: no harnesses in tests/fuzz${only:+ named $only}" >&2
    exit 1
fi

mkdir -p "$build"
# shellcheck disable=SC2086
if ! { CC=clang cmake -S . -B "$build" -DVGG_FUZZ=ON -DVGG_BENCH=OFF -DVGG_CUDA=OFF \
           -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_FLAGS=-Werror &&
       cmake --build "$build" -j "$jobs" --target $harnesses; } >"$build/fuzz-build.log" 2>&1; then
    echo "fuzz: build failed:" >&2
    tail -40 "$build/fuzz-build.log" >&2
    exit 1
fi

# the options both modes share: sanitizer reports are fatal, stderr of the
# code under test is closed (the libraries' messages are not findings)
run_harness() {
    ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        "$@" -timeout=30 -rss_limit_mb=2560 -close_fd_mask=2 -print_final_stats=1
}

build_abs=$(cd "$build" && pwd)
# The gate's runs are the same run twice only with the addresses fixed (the
# mutations follow the coverage, and some of it follows pointers) and with
# libFuzzer's table of recent comparisons off (it records values that vary
# from run to run): both measured, 50000 runs of every harness, three times.
norand=""
if [ "$mode" = gate ]; then
    if setarch "$(uname -m)" -R true 2>/dev/null; then
        norand="setarch $(uname -m) -R"
    else
        echo "fuzz: warning: this kernel refuses to turn off address randomisation" \
             "(setarch -R); the fixed-seed runs may differ from run to run" >&2
    fi
fi
status=0
for h in $harnesses; do
    name=${h#fuzz_}
    out="$build_abs/fuzz-out/$name"
    seeds="$here/tests/fuzz/corpus/$name"
    if [ ! -d "$seeds" ] || [ -z "$(ls "$seeds")" ]; then
        echo "fuzz: $h has no committed corpus ($seeds): add its seeds to tests/fuzz/gen_corpus.py" >&2
        status=1
        continue
    fi
    if [ "$mode" = gate ]; then
        # a fresh scratch corpus every time: findings of an earlier run
        # must not change what this one does
        rm -rf "$out"
        mkdir -p "$out/corpus"
        echo "fuzz: $h: $(ls "$seeds" | wc -l) committed inputs, then $runs runs from seed $seed"
        if ! ( cd "$out" && VGG_FUZZ_FIXED=1 run_harness "$build_abs/bin/$h" -artifact_prefix="$out/" "$seeds"/* ) \
               >"$out/replay.log" 2>&1; then
            echo "fuzz: $h FAILED on its committed corpus; log $out/replay.log:" >&2
            tail -40 "$out/replay.log" >&2
            status=1
            continue
        fi
        log="$out/log"
        set -- -seed="$seed" -runs="$runs" -reload=0 -use_cmp=0 -artifact_prefix="$out/" "$out/corpus" "$seeds"
    else
        mkdir -p "$out/corpus"
        echo "fuzz: $h for ${seconds}s"
        log="$out/explore.log"
        set -- -max_total_time="$seconds" -artifact_prefix="$out/" "$out/corpus" "$seeds"
    fi
    # the gate runs in a scratch folder of its own with fixed scratch names
    # (fuzz_util.h): nothing of this process's id or the checkout's path
    # reaches the code under test
    if [ "$mode" = gate ]; then
        scratch=$(mktemp -d)
        ok=0
        # shellcheck disable=SC2086
        ( cd "$scratch" && VGG_FUZZ_FIXED=1 run_harness $norand "$build_abs/bin/$h" "$@" ) \
            >"$log" 2>&1 || ok=$?
        rm -rf "$scratch"
    else
        ok=0
        run_harness "$build_abs/bin/$h" "$@" >"$log" 2>&1 || ok=$?
    fi
    if [ "$ok" = 0 ]; then
        grep -E "^(stat::number_of_executed_units|Done)" "$log" | tr '\n' ' '
        echo
    else
        echo "fuzz: $h FAILED; log $log, inputs $out/crash-* etc.:" >&2
        tail -40 "$log" >&2
        if [ "$mode" = explore ]; then
            echo "fuzz: add the input to tests/fuzz/gen_corpus.py, with a test of the reader" >&2
        fi
        status=1
    fi
done
exit $status
