#!/bin/sh
# Install what is missing (Debian packages, as root), then configure and
# build vggfeat into ./build.
#   sh pipelines/setup.sh            build the programs
#   sh pipelines/setup.sh --tests    also install what the tests need
# The programs build without the test packages; the tests are built where
# cmocka is installed (always after --tests).
# Environment: BUILD_DIR (default build), JOBS (default: all cores),
# CMAKE_ARGS (more options for cmake's configure step).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

want_tests=0
for arg in "$@"; do
    case "$arg" in
        --tests) want_tests=1 ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option '$arg'" >&2; exit 2 ;;
    esac
done

# Packages the build and the programs need (Open MPI: vggtrain trains
# data-parallel under mpirun wherever this script built it; file: CPack's
# Debian package, pipelines/package.sh, reads the ELF files with it).
pkgs="build-essential cmake pkg-config libopenblas-dev libdnnl-dev libjpeg62-turbo-dev libpng-dev
      libjson-c-dev libssl-dev liblinear-dev openmpi-bin libopenmpi-dev
      dataset-fashion-mnist gnuplot-nox libxml2-dev jq zlib1g-dev libfreetype-dev
      fonts-noto-cjk fonts-arphic-ukai fonts-arphic-uming fonts-ipafont-gothic
      fonts-ipafont-mincho fonts-wqy-microhei file"
# And what the tests and reference generators need.
if [ "$want_tests" = 1 ]; then
    pkgs="$pkgs libcmocka-dev liblinear-tools python3 python3-numpy python3-pil
          python3-torch python3-torchvision python3-sklearn python3-protobuf
          protobuf-compiler clang libclang-rt-14-dev libomp-14-dev libjpeg-turbo-progs time"
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    echo "setup: installing:$missing"
    if [ "$(id -u)" != 0 ]; then
        echo "setup: these Debian packages are missing; run as root or install them:$missing" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # shellcheck disable=SC2086
    apt-get install -y -q --no-install-recommends $missing
fi

build=${BUILD_DIR:-build}
jobs=${JOBS:-$(nproc)}
# the tests are built where cmocka is installed; with --tests it must be
tests=AUTO
[ "$want_tests" = 1 ] && tests=ON
# shellcheck disable=SC2086
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVGG_TESTS=$tests ${CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$jobs"
echo "setup: built into $build/bin"
