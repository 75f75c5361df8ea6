#!/bin/sh
# The README's two commands on a freshly installed Debian 12, the way a new
# user's machine would run them: debootstrap a minimal bookworm tree
# (--variant=minbase: the base system and nothing else) from the package
# archive, put a clean clone of this repository's HEAD in it, and run
#     sh pipelines/quickstart.sh
#     sh pipelines/test.sh
# inside it with chroot, as root (the README's `sudo`, which minbase does
# not have).  Each command's pass or fail is reported, its log kept.
#
# And the Debian package (deb): `sh pipelines/package.sh` builds
# vggfeat_*.deb from the clone in that tree; then a SECOND new minbase tree,
# which never sees the source, gets only the .deb, `apt-get install
# ./vggfeat_*.deb` there (Recommends included, as apt does by default), and
# the installed commands are run: every program's --version, `man vggfeat`
# and `man 5 vggfeat` (after installing man-db, which minbase lacks),
# vggdata glyphs -> vggfeat extract -> vggsvm train/predict/eval on images
# rendered there with the installed nets, vggfeat-quickstart (QUICK=1), and
# `import vggfeat` where the package has the Python bindings.  What apt
# brought in is listed (logs/deb-packages.txt) and must hold no compiler and
# no -dev package; the .deb's size and Depends line are printed.
#
#   sudo sh tests/fresh/run.sh [options]
#     --dir DIR      where the trees and the logs go (default /var/tmp/vggfeat-fresh)
#     --reuse        keep the trees made by an earlier run: the first tree
#                    with the packages it installed, and the pristine minbase
#                    the second tree is copied from (the clone is always made
#                    afresh, the second tree always new)
#     --only NAME    run only one check: quickstart, test or deb
#     --mirror URL   the Debian archive (default: the first Debian URI in
#                    /etc/apt/sources.list*, else http://deb.debian.org/debian)
#
# Exit status 0 only if every check run passed.  Needs root, debootstrap,
# git and the archive over the network; nothing else is fetched.  A new tree
# takes a few minutes; the commands then install their packages in it (the
# test command's include PyTorch) and build; the whole run is about as long
# as the two commands on a fresh machine, and the deb check about 15
# minutes more.  Environment passed into the trees: JOBS, FUZZ_RUNS.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
dir=/var/tmp/vggfeat-fresh
reuse=0
only=""
mirror=""
while [ $# -gt 0 ]; do
    case "$1" in
        --dir) dir=${2:?--dir needs a folder}; shift ;;
        --reuse) reuse=1 ;;
        --only) only=${2:?--only needs quickstart, test or deb}; shift ;;
        --mirror) mirror=${2:?--mirror needs a URL}; shift ;;
        -h|--help) sed -n '2,38p' "$0"; exit 0 ;;
        *) echo "fresh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$only" in
    ''|quickstart|test|deb) ;;
    *) echo "fresh: --only takes quickstart, test or deb, not '$only'" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "fresh: run as root (debootstrap, mount and chroot need it)" >&2; exit 1; }
for p in debootstrap git chroot mount; do
    command -v "$p" >/dev/null 2>&1 || { echo "fresh: '$p' is missing" >&2; exit 1; }
done

# The archive: the first Debian URI the host's apt uses (one-line or deb822).
if [ -z "$mirror" ]; then
    mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
        sed -n -e 's|^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\(https\{0,1\}://[^[:space:]]*/debian\)/\{0,1\}[[:space:]].*|\2|p' \
               -e 's|^URIs:[[:space:]]*\(https\{0,1\}://[^[:space:]]*/debian\)/\{0,1\}[[:space:]]*$|\1|p' | head -n 1)
    mirror=${mirror:-http://deb.debian.org/debian}
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
base=$dir/minbase        # debootstrap's tree, never entered: the others are copies
root=$dir/bookworm       # the README's commands and the package build
target=$dir/deb-target   # the .deb installed where the source never was
logs=$dir/logs
mkdir -p "$logs"

mounted=""
cleanup() {
    for m in $mounted; do
        umount -R "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
    done
    mounted=""
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP

log() {
    printf '[fresh %s] %s\n' "$(date +%H:%M:%S)" "$*"
}

# remove_tree DIR: nothing may still be mounted in a tree we remove
remove_tree() {
    [ -e "$1" ] || return 0
    if grep -q " $1/" /proc/mounts; then
        echo "fresh: something is mounted under $1; unmount it first" >&2
        exit 1
    fi
    rm -rf "$1"
}

# mount_tree DIR: /proc, /sys and /dev inside it
mount_tree() {
    mount -t proc proc "$1/proc" && mounted="$1/proc $mounted"
    mount -t sysfs sysfs "$1/sys" && mounted="$1/sys $mounted"
    mount --rbind /dev "$1/dev" && mount --make-rslave "$1/dev" && mounted="$1/dev $mounted"
    cp /etc/resolv.conf "$1/etc/resolv.conf" 2>/dev/null || true
}

# ---- the minbase tree ----------------------------------------------------------
if [ "$reuse" = 1 ] && [ -f "$base/.vggfeat-fresh-done" ]; then
    log "reusing the minbase tree in $base"
else
    [ "$reuse" = 1 ] && log "no finished minbase tree in $base: making one"
    remove_tree "$base"
    log "debootstrap --variant=minbase bookworm $base $mirror (log $logs/debootstrap.log)"
    if ! debootstrap --variant=minbase bookworm "$base" "$mirror" >"$logs/debootstrap.log" 2>&1; then
        tail -20 "$logs/debootstrap.log" >&2
        echo "fresh: debootstrap failed (log $logs/debootstrap.log)" >&2
        exit 1
    fi
    # the security archive too, as on an installed system
    sec=$(printf '%s\n' "$mirror" | sed 's|/debian$|/debian-security|')
    {
        echo "deb $mirror bookworm main"
        echo "deb $mirror bookworm-updates main"
        echo "deb $sec bookworm-security main"
    } >"$base/etc/apt/sources.list"
    # no services start inside the trees
    printf '#!/bin/sh\nexit 101\n' >"$base/usr/sbin/policy-rc.d"
    chmod 755 "$base/usr/sbin/policy-rc.d"
    touch "$base/.vggfeat-fresh-done"
fi

# ---- the first tree: a copy of minbase, kept with --reuse -------------------------
if [ "$reuse" = 1 ] && [ -f "$root/.vggfeat-fresh-done" ]; then
    log "reusing the tree in $root"
else
    remove_tree "$root"
    cp -a "$base" "$root"
    log "new tree $root (a copy of $base)"
fi

# ---- a clean clone of HEAD ---------------------------------------------------
rm -rf "$root/root/vggfeat"
head=$(git -C "$here" rev-parse HEAD)
git clone -q --no-hardlinks "$here" "$root/root/vggfeat"
git -C "$root/root/vggfeat" checkout -q --detach "$head"
if [ -n "$(git -C "$here" status --porcelain --untracked-files=no)" ]; then
    log "note: $here has uncommitted changes; the tree gets HEAD ($head) only"
fi
log "clone of $head in $root/root/vggfeat"
mount_tree "$root"

# ---- the checks ------------------------------------------------------------------------
results=""
# in_tree TREE NAME COMMAND: COMMAND (sh -c) inside TREE, as root, with a
# clean environment; its output in $logs/NAME.log
in_tree() {
    log "$2: $3 (log $logs/$2.log)"
    t0=$(date +%s)
    if chroot "$1" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            ${JOBS:+JOBS=$JOBS} ${FUZZ_RUNS:+FUZZ_RUNS=$FUZZ_RUNS} \
            sh -c "$3" </dev/null >"$logs/$2.log" 2>&1; then
        r=pass
    else
        r="FAIL (exit $?)"
        tail -30 "$logs/$2.log" | sed 's/^/    /'
    fi
    log "$2: $r in $(( $(date +%s) - t0 )) s"
    results="$results$2: $r
"
    [ "$r" = pass ]
}

status=0
if [ -z "$only" ] || [ "$only" = quickstart ]; then
    in_tree "$root" quickstart "cd /root/vggfeat && sh pipelines/quickstart.sh" || status=1
fi
if [ -z "$only" ] || [ "$only" = test ]; then
    in_tree "$root" test "cd /root/vggfeat && sh pipelines/test.sh" || status=1
fi

# ---- the Debian package ----------------------------------------------------------------
deb_summary=""
if [ -z "$only" ] || [ "$only" = deb ]; then
    rm -f "$root"/root/vggfeat/build-deb/vggfeat_*.deb
    if in_tree "$root" deb-build "cd /root/vggfeat && sh pipelines/package.sh"; then
        deb=$(ls "$root"/root/vggfeat/build-deb/vggfeat_*.deb | head -n 1)
        rm -f "$dir"/vggfeat_*.deb
        cp "$deb" "$dir/"
        deb=$dir/$(basename "$deb")
        # the second tree: new, from minbase; it gets the .deb and nothing else
        remove_tree "$target"
        cp -a "$base" "$target"
        cp "$deb" "$target/root/"
        cp "$here/tests/fresh/deb_check.sh" "$target/root/deb_check.sh"
        mount_tree "$target"
        in_tree "$target" deb-install "cd /root && sh deb_check.sh $(basename "$deb")" || status=1
        [ -f "$target/root/deb-packages.txt" ] && cp "$target/root/deb-packages.txt" "$logs/"
        n=$(grep -c . "$logs/deb-packages.txt" 2>/dev/null || echo '?')
        deb_summary="package $deb: $(du -k "$deb" | cut -f1) KiB, installed size $(dpkg-deb -f "$deb" Installed-Size) KiB
  Depends: $(dpkg-deb -f "$deb" Depends)
  Recommends: $(dpkg-deb -f "$deb" Recommends)
  apt-get install ./$(basename "$deb") in a new minbase tree brought in $n packages (logs/deb-packages.txt)
"
    else
        status=1
    fi
fi
cleanup
printf '\nfresh bookworm (%s), commit %s:\n%s%s' "$mirror" "$head" "$results" "$deb_summary"
exit $status
