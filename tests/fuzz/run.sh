#!/bin/sh
# Build every libFuzzer harness tests/fuzz/fuzz_*.c with clang, ASan and
# UBSan (and -Werror) into build-fuzz/, and run each for SECONDS on its seed corpus
# (tests/fuzz/corpus/<name>/ for fuzz_<name>).  Exit status 1 on any crash,
# leak, timeout, out-of-memory or sanitizer report (the log and the input
# that did it are kept under build-fuzz/fuzz-out/<name>/).
#   sh tests/fuzz/run.sh [SECONDS]      (default 60 per harness)
# Environment: BUILD_DIR (default build-fuzz), JOBS (default: all cores).
# A harness is declared in tests/fuzz/fuzz_<name>.cmake (see
# tests/fuzz/CMakeLists.txt).  New inputs found go to build-fuzz only;
# the committed seed corpora are never written.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"

seconds=${1:-60}
build=${BUILD_DIR:-build-fuzz}
jobs=${JOBS:-$(nproc)}

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang not found (Debian packages clang, libclang-rt-14-dev)" >&2
    exit 1
fi

harnesses=""
for src in tests/fuzz/fuzz_*.c; do
    [ -f "$src" ] || continue
    harnesses="$harnesses $(basename "$src" .c)"
done
if [ -z "$harnesses" ]; then
    echo "fuzz: no harnesses in tests/fuzz" >&2
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

status=0
for h in $harnesses; do
    name=${h#fuzz_}
    out="$build/fuzz-out/$name"
    mkdir -p "$out/corpus"
    seeds=""
    if [ -d "tests/fuzz/corpus/$name" ]; then
        seeds="tests/fuzz/corpus/$name"
    else
        echo "fuzz: warning: no seed corpus tests/fuzz/corpus/$name" >&2
    fi
    echo "fuzz: $h for ${seconds}s"
    # shellcheck disable=SC2086
    if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
       UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
       "$build/bin/$h" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 -close_fd_mask=2 \
           -artifact_prefix="$out/" -print_final_stats=1 "$out/corpus" $seeds \
           >"$out/log" 2>&1; then
        grep -E "^(stat::number_of_executed_units|Done)" "$out/log" | tr '\n' ' '
        echo
    else
        echo "fuzz: $h FAILED; log $out/log, inputs $out/crash-* etc.:" >&2
        tail -40 "$out/log" >&2
        status=1
    fi
done
exit $status
