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
#   sudo sh tests/fresh/run.sh [options]
#     --dir DIR      where the tree and the logs go (default /var/tmp/vggfeat-fresh)
#     --reuse        keep a tree made by an earlier run (the packages it
#                    installed stay; the clone is always made afresh)
#     --only NAME    run only one command: quickstart or test
#     --mirror URL   the Debian archive (default: the first Debian URI in
#                    /etc/apt/sources.list*, else http://deb.debian.org/debian)
#
# Exit status 0 only if every command run passed.  Needs root, debootstrap,
# git and the archive over the network; nothing else is fetched.  A new tree
# takes a few minutes; the commands then install their packages in it (the
# test command's include PyTorch) and build; the whole run is about as long
# as the two commands on a fresh machine.  Environment passed into the tree:
# JOBS, FUZZ_RUNS.
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
        --only) only=${2:?--only needs quickstart or test}; shift ;;
        --mirror) mirror=${2:?--mirror needs a URL}; shift ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        *) echo "fresh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
case "$only" in
    ''|quickstart|test) ;;
    *) echo "fresh: --only takes quickstart or test, not '$only'" >&2; exit 2 ;;
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
root=$dir/bookworm
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

# ---- the tree ---------------------------------------------------------------
if [ "$reuse" = 1 ] && [ -f "$root/.vggfeat-fresh-done" ]; then
    log "reusing the tree in $root"
else
    [ "$reuse" = 1 ] && log "no finished tree in $root: making one"
    if [ -e "$root" ]; then
        # nothing may still be mounted in a tree we remove
        if grep -q " $root/" /proc/mounts; then
            echo "fresh: something is mounted under $root; unmount it first" >&2
            exit 1
        fi
        rm -rf "$root"
    fi
    log "debootstrap --variant=minbase bookworm $root $mirror (log $logs/debootstrap.log)"
    if ! debootstrap --variant=minbase bookworm "$root" "$mirror" >"$logs/debootstrap.log" 2>&1; then
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
    } >"$root/etc/apt/sources.list"
    # no services start inside the tree
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    touch "$root/.vggfeat-fresh-done"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# ---- a clean clone of HEAD ---------------------------------------------------
rm -rf "$root/root/vggfeat"
head=$(git -C "$here" rev-parse HEAD)
git clone -q --no-hardlinks "$here" "$root/root/vggfeat"
git -C "$root/root/vggfeat" checkout -q --detach "$head"
if [ -n "$(git -C "$here" status --porcelain --untracked-files=no)" ]; then
    log "note: $here has uncommitted changes; the tree gets HEAD ($head) only"
fi
log "clone of $head in $root/root/vggfeat"

# ---- mounts -------------------------------------------------------------------
mount -t proc proc "$root/proc" && mounted="$root/proc $mounted"
mount -t sysfs sysfs "$root/sys" && mounted="$root/sys $mounted"
mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev" && mounted="$root/dev $mounted"

# ---- the README's commands -------------------------------------------------------
# run_cmd NAME SCRIPT: sh SCRIPT in the clone inside the tree, as root, with
# a clean environment.
run_cmd() {
    log "sh $2 (log $logs/$1.log)"
    t0=$(date +%s)
    if chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            ${JOBS:+JOBS=$JOBS} ${FUZZ_RUNS:+FUZZ_RUNS=$FUZZ_RUNS} \
            sh -c "cd /root/vggfeat && sh $2" </dev/null >"$logs/$1.log" 2>&1; then
        r=pass
    else
        r="FAIL (exit $?)"
        tail -30 "$logs/$1.log" | sed 's/^/    /'
    fi
    log "$1: $r in $(( $(date +%s) - t0 )) s"
    results="$results$1: $r
"
    [ "$r" = pass ]
}

results=""
status=0
if [ -z "$only" ] || [ "$only" = quickstart ]; then
    run_cmd quickstart pipelines/quickstart.sh || status=1
fi
if [ -z "$only" ] || [ "$only" = test ]; then
    run_cmd test pipelines/test.sh || status=1
fi
cleanup
printf '\nfresh bookworm (%s), commit %s:\n%s' "$mirror" "$head" "$results"
exit $status
