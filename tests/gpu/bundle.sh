#!/bin/sh
# Make, on this machine, what tests/gpu/check.sh runs on a GPU machine
# that has the NVIDIA driver and a PyTorch environment with NVIDIA's cu13
# wheels but none of Debian's packages: the CUDA build (sm_90) of the
# programs check.sh runs, and every shared library they load that is
# neither the C runtime nor a CUDA library, packed into one xz file.
#
#   sh tests/gpu/bundle.sh            (from anywhere in the repository)
#
# The result is the folder $BUILD/bundle (default build-gpu/bundle), the
# only part of the build that travels (carry that path): vggfeat-gpu.tar.xz
# (bin/: gpu_check, test_backend_ops, vggfeat, stripped; lib/: their
# libraries under their sonames) and MANIFEST (what is in it, the CUDA
# sonames the programs need and the wheels that ship them, the newest
# glibc symbol version they use).  check.sh unpacks it and never
# configures or compiles where it finds it.
#
# Left out, found there: the C runtime (libc, libm, libdl, libpthread,
# librt, the loader), libgcc_s and libstdc++ (the wheels' cuDNN and NCCL
# need them in a version at least as new as their own), the driver
# (libcuda.so.1), and the CUDA libraries (libcudart.so.13, libcublas.so.13,
# libcublasLt.so.13, libcudnn.so.9 and the sub-libraries it opens,
# libnccl.so.2), which check.sh takes from the torch environment's
# nvidia/*/lib folders.  Open MPI is left out of the build (-DVGG_MPI=OFF):
# the GPU machine has no mpirun.
#
# Environment: BUILD (default build-gpu), NVCC (default
# /usr/local/cuda/bin/nvcc, else nvcc on the PATH), JOBS (default: all
# cores).  Needs cmake, the CUDA 13 toolkit with cuDNN 9 and NCCL, the
# project's Debian packages (pipelines/setup.sh --tests), xz.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
BUILD=${BUILD:-build-gpu}
jobs=${JOBS:-$(nproc)}
nvcc=${NVCC:-}
if [ -z "$nvcc" ]; then
    if [ -x /usr/local/cuda/bin/nvcc ]; then nvcc=/usr/local/cuda/bin/nvcc
    else nvcc=$(command -v nvcc || true); fi
fi
die() { echo "bundle: $*" >&2; exit 1; }
if [ -z "$nvcc" ] || [ ! -x "$nvcc" ]; then die "no CUDA compiler (nvcc): set NVCC"; fi
for t in cmake ldd objdump strip xz tar sha256sum; do
    command -v "$t" >/dev/null 2>&1 || die "'$t' is missing"
done

# the programs check.sh runs (vggtrain only with mpirun, which that
# machine lacks)
programs="gpu_check test_backend_ops vggfeat"
# sonames found on the GPU machine: not packed
system_re='^(linux-vdso\.so|ld-linux-x86-64\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libresolv\.so|libutil\.so|libgcc_s\.so|libstdc\+\+\.so)'
cuda_re='^(libcuda\.so|libcudart\.so|libcublas\.so|libcublasLt\.so|libcudnn[a-z_]*\.so|libnccl\.so|libnvrtc|libnvJitLink)'
# what the cu13 wheels ship (nvidia-cuda-runtime, nvidia-cublas,
# nvidia-cudnn-cu13, nvidia-nccl-cu13)
wheel_sonames="libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9 libnccl.so.2"

echo "== configure $BUILD (CUDA, sm_90, no MPI)"
mkdir -p "$BUILD"
launcher=""
command -v ccache >/dev/null 2>&1 && launcher="-DCMAKE_C_COMPILER_LAUNCHER=ccache"
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVGG_CUDA=ON -DVGG_MPI=OFF \
      -DVGG_BENCH=OFF -DVGG_TESTS=ON -DCMAKE_C_FLAGS=-Werror -DCMAKE_CUDA_COMPILER="$nvcc" \
      -DCMAKE_CUDA_ARCHITECTURES=90 $launcher >"$BUILD/bundle-configure.log" 2>&1 ||
    { tail -n 20 "$BUILD/bundle-configure.log"; die "cmake could not configure (log: $BUILD/bundle-configure.log)"; }
echo "== build $programs"
# shellcheck disable=SC2086
cmake --build "$BUILD" -j "$jobs" --target $programs >"$BUILD/bundle-build.log" 2>&1 ||
    { tail -n 30 "$BUILD/bundle-build.log"; die "the CUDA build failed (log: $BUILD/bundle-build.log)"; }

out=$BUILD/bundle
stage=$out/stage
rm -rf "$out"
mkdir -p "$stage/bin" "$stage/lib"
needed=$out/needed.txt
: >"$needed"
for p in $programs; do
    cp "$BUILD/bin/$p" "$stage/bin/$p"
    strip --strip-unneeded "$stage/bin/$p"
    # every library the loader resolves for it here, transitively
    ldd "$BUILD/bin/$p" >"$out/ldd.$p" || die "ldd $BUILD/bin/$p failed"
    if grep -q 'not found' "$out/ldd.$p"; then
        cat "$out/ldd.$p"
        die "$p has libraries that do not resolve here"
    fi
    objdump -p "$BUILD/bin/$p" | awk '$1 == "NEEDED" { print $2 }' >>"$needed"
done
cat "$out"/ldd.* | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | sort -u >"$out/libs.txt"
packed=""
while read -r soname path; do
    if printf '%s\n' "$soname" | grep -Eq "$system_re|$cuda_re"; then
        continue
    fi
    cp -L "$path" "$stage/lib/$soname"
    chmod u+w "$stage/lib/$soname"
    strip --strip-unneeded "$stage/lib/$soname" 2>/dev/null || true
    packed="$packed $soname"
done <"$out/libs.txt"

# the CUDA sonames the programs ask for must be the wheels'
cuda_needed=$(cat "$out"/ldd.* | awk '{ print $1 }' | grep -E "$cuda_re" | sort -u | tr '\n' ' ')
for s in $cuda_needed; do
    case " $wheel_sonames libcuda.so.1 " in
        *" $s "*) ;;
        *) die "the programs need $s, which the cu13 wheels do not ship ($wheel_sonames)";;
    esac
done
# (cuBLAS is not among them: net/cuda/blas.c opens it at run time, and
# check.sh's dlopen row finds it)
for s in libcudart.so.13 libcudnn.so.9 libnccl.so.2; do
    case " $cuda_needed " in
        *" $s "*) ;;
        *) die "the programs do not link $s: is this a CUDA build with NCCL? (log: $BUILD/bundle-configure.log)";;
    esac
done

# the newest glibc symbol version anything packed needs
glibc=$(for f in "$stage"/bin/* "$stage"/lib/*; do objdump -T "$f"; done 2>/dev/null |
    grep -o 'GLIBC_[0-9][0-9.]*' | sort -u -V | tail -n 1)

echo "== pack"
tarball=$out/vggfeat-gpu.tar.xz
XZ_OPT="-T0 -6" tar -C "$stage" -cJf "$tarball" bin lib
{
    echo "vggfeat GPU bundle, made by tests/gpu/bundle.sh"
    echo "commit: $(git rev-parse HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' (with uncommitted changes)')"
    echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
    echo "nvcc: $("$nvcc" --version | tail -n 1)"
    echo "cuda architectures: 90"
    echo "programs: $programs"
    echo "packed libraries:$packed"
    echo "cuda sonames needed (from the torch environment's nvidia/*/lib): $cuda_needed"
    echo "opened at run time (same place): libcublas.so.13 (then libcublasLt.so.13)"
    echo "glibc needed: $glibc or newer"
    echo "sha256: $(sha256sum "$tarball" | cut -d' ' -f1)"
    echo "unpacked bytes: $(du -sb "$stage" | cut -f1)"
} >"$out/MANIFEST"
# which wheel ships each CUDA soname, where this toolkit came from wheels
for rec in /usr/local/cuda/dist-info/*/RECORD; do
    [ -f "$rec" ] || continue
    for s in $cuda_needed; do
        w=$(grep -m 1 "/lib/$s," "$rec" | cut -d, -f1)
        [ -n "$w" ] && echo "  $s: $(basename "$(dirname "$rec")" .dist-info) ($w)" >>"$out/MANIFEST"
    done
done
rm -rf "$stage" "$out"/ldd.* "$out/libs.txt" "$needed"
cat "$out/MANIFEST"
echo "bundle: $(du -b "$tarball" | cut -f1) bytes in $tarball; the folder that travels:"
du -sh "$out"
