#!/bin/sh
# The test run: install, build, run every test that needs no GPU, then the
# same unit tests under AddressSanitizer + UndefinedBehaviorSanitizer, then
# the fuzz harnesses for a bounded time.  Exit status 0 only if all pass.
#   FUZZ_SECONDS (default 60 per harness; 0 skips fuzzing)
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

sh pipelines/setup.sh --tests
jobs=$(nproc)

echo "== tests (build/)"
ctest --test-dir build -LE cuda --output-on-failure -j "$jobs"

echo "== tests under ASan+UBSan (build-asan/)"
cmake -S . -B build-asan -DVGG_SANITIZE=ON -DVGG_BENCH=OFF -DVGG_CUDA=OFF \
      -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build-asan -L unit --output-on-failure -j "$jobs"

fuzz_seconds=${FUZZ_SECONDS:-60}
if [ "$fuzz_seconds" -gt 0 ] && [ -f tests/fuzz/run.sh ]; then
    echo "== fuzzing (build-fuzz/, ${fuzz_seconds}s per harness)"
    sh tests/fuzz/run.sh "$fuzz_seconds"
fi
echo "== all tests passed"
