#!/bin/sh
# Build the Debian package of vggfeat: install what is missing (as root,
# pipelines/setup.sh), build the programs for /usr without the tests, and
# let CPack's DEB generator make build-deb/vggfeat_<version>_<arch>.deb.
#
#   sh pipelines/package.sh
#   sudo apt-get install ./build-deb/vggfeat_*.deb
#
# One package with everything the install rules declare: the four programs,
# vggfeat-quickstart, the quickstart's nets and scripts (/usr/share/vggfeat),
# man pages, bash completion (and the library, its header, vggfeat.pc and
# the Python bindings where the tree has them).  Its Depends are computed
# by dpkg-shlibdeps from the ELF files; Recommends names the quickstart's
# fonts, dataset and jq (and python3, python3-numpy for the bindings):
# cmake/install.cmake says why.  A CPU build: the CUDA backend needs
# NVIDIA's libraries, which no Debian package provides (tests/gpu/bundle.sh
# makes the GPU bundle instead).
# Environment: BUILD_DIR (default build-deb), JOBS (default: all cores),
# CMAKE_ARGS (more options for cmake's configure step).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
case "${1:-}" in
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    '') ;;
    *) echo "package.sh: unknown option '$1'" >&2; exit 2 ;;
esac

build=${BUILD_DIR:-build-deb}
BUILD_DIR=$build \
CMAKE_ARGS="-DCMAKE_INSTALL_PREFIX=/usr -DVGG_TESTS=OFF -DVGG_BENCH=OFF -DVGG_CUDA=OFF ${CMAKE_ARGS:-}" \
    sh pipelines/setup.sh
(cd "$build" && cpack -G DEB) >"$build/cpack.log" 2>&1 || {
    cat "$build/cpack.log" >&2
    echo "package.sh: cpack failed (log $build/cpack.log)" >&2
    exit 1
}
deb=$(ls -t "$build"/vggfeat_*.deb | head -n 1)
echo "package: $deb ($(du -k "$deb" | cut -f1) KiB; installed size $(dpkg-deb -f "$deb" Installed-Size) KiB)"
dpkg-deb -f "$deb" Depends | sed 's/^/  Depends: /'
dpkg-deb -f "$deb" Recommends | sed 's/^/  Recommends: /'
echo "install it with: sudo apt-get install ./$deb"
