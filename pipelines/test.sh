#!/bin/sh
# The test run: install, build with -Werror, run every test that needs no
# GPU, then the same tests (unit and integration, less the two PyTorch
# comparisons) built with AddressSanitizer + UndefinedBehaviorSanitizer
# (and -Werror), then each fuzz harness over its committed corpus and a
# fixed number of mutations from a fixed seed (the same tree gives the same
# result: nothing here is random or timed).  Exit status 0 only if all pass.
# Environment:
#   FUZZ_RUNS      mutations per fuzz harness (default 50000; 0 skips fuzzing;
#                  open-ended fuzzing is `sh tests/fuzz/run.sh --explore`)
#   JOBS           parallel builds and tests (default: all cores)
#   VGG_REQUIRE_REFERENCES  default 1: setup.sh --tests has installed every
#                  package the tests use, so a test that finds one missing
#                  (PyTorch, scikit-learn, liblinear-tools, ...) fails instead
#                  of reporting itself skipped
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
export VGG_REQUIRE_REFERENCES="${VGG_REQUIRE_REFERENCES:-1}"

jobs=${JOBS:-$(nproc)}
export JOBS="$jobs"
CMAKE_ARGS="-DCMAKE_C_FLAGS=-Werror ${CMAKE_ARGS:-}" sh pipelines/setup.sh --tests
passed=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# count CTest's passed tests from its log (every test passed if it returns 0)
count() {
    n=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9][0-9]*\).*/\1/p' "$1" | tail -n 1)
    passed=$((passed + ${n:-0}))
}

echo "== tests (build/)"
ctest --test-dir build -LE cuda --output-on-failure -j "$jobs" -O "$logs/main.log"
count "$logs/main.log"

# Optimised (-O1) so that the integration tests, which train and extract,
# stay within minutes under the sanitizers.  The two PyTorch comparisons
# (test_*_torch) spend their time in PyTorch, and test_net_fast in full-size
# VGG-16/19 passes on the reference; the code they compare runs under the
# sanitizers in the other tests of its module (every extract test runs the
# oneDNN chain): left out here.
echo "== tests under ASan+UBSan (build-asan/)"
cmake -S . -B build-asan -DVGG_SANITIZE=ON -DVGG_TESTS=ON -DVGG_BENCH=OFF -DVGG_CUDA=OFF \
      -DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-O1 -g" -DCMAKE_C_FLAGS=-Werror >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -LE cuda -E '_torch$|^test_net_fast$' --output-on-failure -j "$jobs" -O "$logs/asan.log"
count "$logs/asan.log"

fuzz_runs=${FUZZ_RUNS:-50000}
if [ "$fuzz_runs" -gt 0 ] && [ -f tests/fuzz/run.sh ]; then
    echo "== fuzzing (build-fuzz/: each committed corpus, then $fuzz_runs runs from a fixed seed)"
    sh tests/fuzz/run.sh "$fuzz_runs"
    passed=$((passed + $(ls tests/fuzz/fuzz_*.c | wc -l)))
fi
echo "== all tests passed (CTest in build/ and build-asan/, and the fuzz harnesses)"
echo "tests: $passed passed, 0 failed"
