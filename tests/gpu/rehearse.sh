#!/bin/sh
# The GPU check's rehearsal, on a machine without a GPU: the bundle made
# by tests/gpu/bundle.sh run in a new minimal Debian 12 tree
# (debootstrap --variant=minbase, plus xz-utils to unpack the bundle:
# none of the project's packages, no Python, no compiler), the way the
# GPU machine will run it, with the CUDA
# libraries copied from this machine's toolkit (/usr/local/cuda) into the
# layout of a PyTorch environment's cu13 wheels
# (/opt/torch/.venv/lib/python3.12/site-packages/nvidia/{cu13,cudnn,nccl}/lib,
# which check.sh finds without Python).  It requires:
#
#   - ldd: every library of every program resolves, except the driver's
#     libcuda.so.1;
#   - gpu_check probe and test_backend_ops cuda:0 exit 77 with the
#     driver's message (there is no driver);
#   - sh tests/gpu/check.sh takes the bundle (no configure, no compiler),
#     prints its table with the library rows ok and every GPU row NOT RUN,
#     exits non-zero, and closes with one line naming the cause.
#
#   sudo sh tests/gpu/rehearse.sh [options]
#     --dir DIR      the tree and the logs (default /var/tmp/vggfeat-gpu-rehearsal)
#     --reuse        keep a tree made by an earlier run (nothing is ever
#                    installed in it; the copies are made afresh)
#     --mirror URL   the Debian archive (default: the first Debian URI in
#                    /etc/apt/sources.list*, else http://deb.debian.org/debian)
#
# Makes the bundle first (sh tests/gpu/bundle.sh) where $BUILD/bundle has
# none (BUILD default build-gpu).  Needs root, debootstrap, chroot, mount,
# the archive over the network for a new tree, and the CUDA 13 toolkit
# with cuDNN 9 and NCCL in /usr/local/cuda (CUDA=DIR for another place).
# Exit status 0 only if every requirement above holds; the log is
# DIR/logs/rehearse.log.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
dir=/var/tmp/vggfeat-gpu-rehearsal
reuse=0
mirror=""
BUILD=${BUILD:-build-gpu}
cuda=${CUDA:-/usr/local/cuda}
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir=${2:?--dir needs a folder}; shift ;;
        --reuse) reuse=1 ;;
        --mirror) mirror=${2:?--mirror needs a URL}; shift ;;
        -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
        *) echo "rehearse: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[ "$(id -u)" = 0 ] || { echo "rehearse: run as root (debootstrap, mount and chroot need it)" >&2; exit 1; }
for p in debootstrap chroot mount git tar; do
    command -v "$p" >/dev/null 2>&1 || { echo "rehearse: '$p' is missing" >&2; exit 1; }
done
[ -f "$cuda/lib64/libcudnn.so.9" ] || [ -f "$cuda/lib/libcudnn.so.9" ] ||
    { echo "rehearse: no cuDNN 9 in $cuda (set CUDA)" >&2; exit 1; }
culib=$cuda/lib64
[ -d "$culib" ] || culib=$cuda/lib

if [ -z "$mirror" ]; then
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        sed -n -e 's|^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\(https\{0,1\}://[^[:space:]]*/debian\)/\{0,1\}[[:space:]].*|\2|p' \
               -e 's|^URIs:[[:space:]]*\(https\{0,1\}://[^[:space:]]*/debian\)/\{0,1\}[[:space:]]*$|\1|p' | head -n 1)
    mirror=${mirror:-http://deb.debian.org/debian}
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
root=$dir/bookworm
logs=$dir/logs
mkdir -p "$logs"
log=$logs/rehearse.log
: >"$log"

mounted=""
cleanup() {
    for m in $mounted; do
        umount -R "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    mounted=""
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP

say() { printf '[rehearse %s] %s\n' "$(date +%H:%M:%S)" "$*" | tee -a "$log"; }
failures=0
require() {   # what, then a command that must succeed
    what=$1; shift
    if "$@" >>"$log" 2>&1; then say "ok: $what"; else say "FAIL: $what"; failures=$((failures + 1)); fi
}

# ---- the bundle ---------------------------------------------------------------
cd "$here"
if [ ! -f "$BUILD/bundle/vggfeat-gpu.tar.xz" ]; then
    say "no bundle in $BUILD/bundle: making it (sh tests/gpu/bundle.sh, log $logs/bundle.log)"
    BUILD=$BUILD sh tests/gpu/bundle.sh >"$logs/bundle.log" 2>&1 ||
        { tail -n 20 "$logs/bundle.log" >&2; echo "rehearse: bundle.sh failed" >&2; exit 1; }
fi
say "bundle: $(du -b "$BUILD/bundle/vggfeat-gpu.tar.xz" | cut -f1) bytes ($BUILD/bundle/vggfeat-gpu.tar.xz); the folder that travels, $BUILD/bundle: $(du -sb "$BUILD/bundle" | cut -f1) bytes"
sed 's/^/    /' "$BUILD/bundle/MANIFEST" | tee -a "$log"

# ---- the tree -------------------------------------------------------------------
# minbase has no xz; the GPU machine has xz or its torch Python (check.sh
# unpacks with either; tests/gpu/gating_test.sh covers the Python way)
tree_kind="bookworm minbase + xz-utils"
if [ "$reuse" = 1 ] && [ "$(cat "$root/.vggfeat-rehearsal-done" 2>/dev/null)" = "$tree_kind" ]; then
    say "reusing the tree in $root"
else
    if [ -e "$root" ]; then
        if grep -q " $root/" /proc/mounts; then
            echo "rehearse: something is mounted under $root; unmount it first" >&2
            exit 1
        fi
        rm -rf "$root"
    fi
    say "debootstrap --variant=minbase --include=xz-utils bookworm $root $mirror (log $logs/debootstrap.log)"
    if ! debootstrap --variant=minbase --include=xz-utils bookworm "$root" "$mirror" >"$logs/debootstrap.log" 2>&1; then
        tail -20 "$logs/debootstrap.log" >&2
        echo "rehearse: debootstrap failed (log $logs/debootstrap.log)" >&2
        exit 1
    fi
    echo "$tree_kind" >"$root/.vggfeat-rehearsal-done"
fi
say "the tree has $(chroot "$root" dpkg-query -W -f='${Status}\n' | grep -c 'install ok installed') packages; python3: $(chroot "$root" sh -c 'command -v python3 || echo none'); cmake: $(chroot "$root" sh -c 'command -v cmake || echo none'); xz: $(chroot "$root" sh -c 'command -v xz || echo none')"

# ---- what travels: the working tree (tracked and untracked files git does
# not ignore) and the bundle folder -----------------------------------------------
rm -rf "$root/root/vggfeat"
mkdir -p "$root/root/vggfeat"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -C "$root/root/vggfeat" -xf -
tar -cf - "$BUILD/bundle" | tar -C "$root/root/vggfeat" -xf -
say "copied the working tree ($(du -sh "$root/root/vggfeat" | cut -f1) with the bundle) to $root/root/vggfeat"

# ---- the CUDA libraries, where the cu13 wheels put them ----------------------------
nv=$root/opt/torch/.venv/lib/python3.12/site-packages/nvidia
rm -rf "$root/opt/torch"
mkdir -p "$nv/cu13/lib" "$nv/cudnn/lib" "$nv/nccl/lib"
put() {   # package soname...
    pkg=$1; shift
    for s in "$@"; do
        src=$(readlink -f "$culib/$s")
        [ -f "$src" ] || { say "FAIL: $culib/$s is missing"; failures=$((failures + 1)); continue; }
        ln "$src" "$nv/$pkg/lib/$s" 2>/dev/null || cp "$src" "$nv/$pkg/lib/$s"
    done
}
put cu13 libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libnvrtc.so.13 libnvrtc-builtins.so.13.0 \
    libnvJitLink.so.13
# shellcheck disable=SC2046
put cudnn $(cd "$culib" && ls libcudnn*.so.9)
put nccl libnccl.so.2
say "CUDA libraries from $culib as $nv/{cu13,cudnn,nccl}/lib: $(ls "$nv"/*/lib | grep -c '\.so')"

mount -t proc proc "$root/proc" && mounted="$root/proc $mounted"
mount -t sysfs sysfs "$root/sys" && mounted="$root/sys $mounted"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" && mounted="$root/dev $mounted"

# in the tree, as root, with a clean environment
inside() {
    chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin sh -c "cd /root/vggfeat && $1"
}
ld="/tmp/rehearse/lib:/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cu13/lib:/opt/torch/.venv/lib/python3.12/site-packages/nvidia/cudnn/lib:/opt/torch/.venv/lib/python3.12/site-packages/nvidia/nccl/lib"
inside "rm -rf /tmp/rehearse && mkdir -p /tmp/rehearse && tar -C /tmp/rehearse -xJf $BUILD/bundle/vggfeat-gpu.tar.xz" >>"$log" 2>&1 ||
    { say "FAIL: the bundle does not unpack in the tree"; exit 1; }

# 1. every library resolves but the driver
for p in gpu_check test_backend_ops vggfeat; do
    inside "LD_LIBRARY_PATH=$ld ldd /tmp/rehearse/bin/$p" >"$logs/ldd.$p" 2>&1 || true
    cat "$logs/ldd.$p" >>"$log"
    missing=$(grep 'not found' "$logs/ldd.$p" | grep -v 'libcuda\.so\.1' || true)
    n=$(grep -c '=>' "$logs/ldd.$p" || true)
    require "ldd $p: $n libraries, every one resolves but libcuda.so.1" \
        test -z "$missing" -a "$n" -gt 5
done

# 2. the programs say there is no driver
no_driver() {   # command, its expected exit status
    out=$(inside "LD_LIBRARY_PATH=$ld $1" 2>&1); rc=$?
    printf '%s\n' "$out" >>"$log"
    printf '%s\n' "$out" | grep -q -i 'driver' && [ "$rc" = "$2" ]
}
require "gpu_check probe exits 77 with the driver's message" no_driver "/tmp/rehearse/bin/gpu_check probe" 77
require "test_backend_ops cuda:0 exits 77 with the driver's message" no_driver "/tmp/rehearse/bin/test_backend_ops cuda:0" 77
say "    $(inside "LD_LIBRARY_PATH=$ld /tmp/rehearse/bin/gpu_check probe" 2>&1 | head -n 1)"

# 3. the whole check
t0=$(date +%s)
set +e
inside "BUILD=$BUILD sh tests/gpu/check.sh" >"$logs/check.log" 2>&1
rc=$?
set -e
say "sh tests/gpu/check.sh in the tree: exit status $rc after $(( $(date +%s) - t0 )) s (log $logs/check.log)"
cat "$logs/check.log" >>"$log"
verdicts() { grep '^| ' "$logs/check.log" | grep -v '^| check |' | grep -v '^| --- |' | awk -F'|' '{ v = $5; gsub(/^ +| +$/, "", v); print v }'; }
n_rows=$(verdicts | wc -l)
n_not=$(verdicts | grep -c '^NOT RUN$' || true)
n_ok=$(verdicts | grep -c '^ok$' || true)
n_other=$(verdicts | grep -v -c -E '^(NOT RUN|ok|SKIP)$' || true)
require "check.sh exits non-zero" test "$rc" != 0
require "check.sh took the bundle (no configure, no compiler)" grep -q '^programs: the bundle' "$logs/check.log"
require "check.sh found the CUDA libraries without Python" grep -q '^CUDA libraries from: .*nvidia/cudnn/lib' "$logs/check.log"
require "check.sh: the library rows ok ($n_ok), every GPU row NOT RUN ($n_not), nothing else ($n_other)" \
    test "$n_ok" -ge 11 -a "$n_not" -ge 20 -a "$n_other" = 0 -a "$n_rows" = $((n_ok + n_not))
require "check.sh: one closing line, naming the driver" \
    sh -c "test \"\$(grep -c '^check.sh: ' '$logs/check.log')\" = 1 && grep -q '^check.sh: FAIL: no usable GPU (.*driver' '$logs/check.log'"
say "check.sh's rows:"
grep '^| \|^check.sh: ' "$logs/check.log" | tee -a "$log"
cleanup
if [ "$failures" -gt 0 ]; then
    say "rehearsal: $failures requirements failed (log $log)"
    exit 1
fi
say "rehearsal: every requirement holds (log $log)"
