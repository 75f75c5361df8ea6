# Shared shell functions of the dataset pipelines (POSIX sh; sourced, not run).
#
#   . "$(dirname "$0")/lib.sh"; vgg_init caltech101 "$0"
#
# Programs are taken from $VGG_BIN, else <repo>/build/bin, else $PATH.
# Steps are resumable: run_step records "<output>.done" holding the step's
# command line when the step succeeds, and skips the step next time if the
# marker holds the same command (an interrupted or changed step runs again;
# vggfeat extract continues an interrupted store by itself).

vgg_init() {
    VGG_NAME=$1
    VGG_ROOT=$(cd "$(dirname "$2")/.." && pwd)
    if [ -z "${VGG_BIN:-}" ] && [ -d "$VGG_ROOT/build/bin" ]; then
        VGG_BIN=$VGG_ROOT/build/bin
    fi
    VGG_T0=$(now)
}

log() {
    printf '[%s %s] %s\n' "$VGG_NAME" "$(date +%H:%M:%S)" "$*" >&2
}

die() {
    printf '%s: %s\n' "$VGG_NAME" "$*" >&2
    exit 1
}

usage_error() {
    printf '%s: %s\n' "$VGG_NAME" "$*" >&2
    printf "(run '%s --help' for the options)\n" "$VGG_NAME" >&2
    exit 2
}

# prog NAME: the path of one of the project's programs, or exit saying how
# to build it.
prog() {
    if [ -n "${VGG_BIN:-}" ] && [ -x "$VGG_BIN/$1" ]; then
        printf '%s\n' "$VGG_BIN/$1"
    elif command -v "$1" >/dev/null 2>&1; then
        command -v "$1"
    else
        die "'$1' not found in ${VGG_BIN:-<repo>/build/bin} or on PATH: build it first (sh pipelines/setup.sh) or set VGG_BIN"
    fi
}

# now: seconds since the epoch, with a fraction where date(1) has one.
now() {
    t=$(date +%s.%N 2>/dev/null)
    case "$t" in
        *N*|'') date +%s ;;
        *) printf '%s\n' "$t" ;;
    esac
}

# fmt_duration SECONDS: "45 s", "12 min", "3 h 20 min".
fmt_duration() {
    awk -v s="$1" 'BEGIN {
        s = int(s + 0.5);
        if (s < 90) printf "%d s\n", s;
        else if (s < 5400) printf "%d min\n", int(s / 60 + 0.5);
        else printf "%d h %02d min\n", int(s / 3600), int((s % 3600) / 60 + 0.5);
    }'
}

elapsed() {
    awk -v a="$VGG_T0" -v b="$(now)" 'BEGIN { printf "%.1f\n", b - a }'
}

count_lines() {
    if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi
}

# is_done OUTPUT KEY / mark_done OUTPUT KEY
is_done() {
    [ -e "$1" ] && [ -f "$1.done" ] && [ "$(cat "$1.done")" = "$2" ]
}

mark_done() {
    printf '%s\n' "$2" >"$1.done.tmp" && mv "$1.done.tmp" "$1.done"
}

# run_step DESCRIPTION OUTPUT COMMAND [ARG...]: run the command unless
# OUTPUT is complete from an earlier run of the same command.  The key kept
# in the marker is the command line plus $VGG_STEP_SALT (set it to a digest
# of the step's inputs).  An output left by a different command is removed
# first; an interrupted one (no marker) is kept, so the command can resume.
# The command's own output goes to stderr.
run_step() {
    _desc=$1
    _out=$2
    shift 2
    _key="$*${VGG_STEP_SALT:+ # $VGG_STEP_SALT}"
    if is_done "$_out" "$_key"; then
        log "done already: $_desc"
        return 0
    fi
    if [ -f "$_out.done" ]; then
        log "settings or inputs changed: redoing $_desc"
        rm -f "$_out" "$_out.done"
    fi
    log "$_desc"
    "$@" >&2 || die "step failed: $_desc (command: $*)"
    mark_done "$_out" "$_key"
}

# step_done OUTPUT COMMAND [ARG...]: would run_step skip this command?
step_done() {
    _out=$1
    shift
    is_done "$_out" "$*${VGG_STEP_SALT:+ # $VGG_STEP_SALT}"
}

# probe_rate LIST N EXTRACT-ARGS...: extract the first N images of LIST
# into a scratch store and print the images per second: vggfeat's own
# figure (net loading excluded) where its summary line gives one, else the
# wall time (loading included, so erring on the slow side).
probe_rate() {
    _list=$1
    _n=$2
    shift 2
    _dir=$(mktemp -d "${TMPDIR:-/tmp}/vggprobe.XXXXXX")
    head -n "$_n" "$_list" >"$_dir/probe.list"
    _got=$(count_lines "$_dir/probe.list")
    _t0=$(now)
    if "$(prog vggfeat)" extract "$@" --list "$_dir/probe.list" -o "$_dir/probe.vgf" \
        >"$_dir/log" 2>&1 </dev/null; then
        _t1=$(now)
        _r=$(sed -n 's/.* \([0-9][0-9.]*\) images\/s;.*/\1/p' "$_dir/log" | tail -n 1)
        if [ -z "$_r" ] || ! awk -v r="$_r" 'BEGIN { exit !(r > 0) }'; then
            _r=$(awk -v n="$_got" -v a="$_t0" -v b="$_t1" 'BEGIN { d = b - a; if (d < 0.001) d = 0.001; printf "%.3f\n", n / d }')
        fi
        printf '%s\n' "$_r"
        rm -rf "$_dir"
    else
        cat "$_dir/log" >&2
        rm -rf "$_dir"
        die "measuring the speed on the first $_got images of $_list failed (see above)"
    fi
}

# estimate IMAGES RATE: "about 12 min"
estimate() {
    _s=$(awk -v n="$1" -v r="$2" 'BEGIN { printf "%.0f\n", (r > 0 ? n / r : 0) }')
    printf 'about %s\n' "$(fmt_duration "$_s")"
}

# mean_std NUMBERS...: "mean ± std" (sample standard deviation, n - 1;
# 0 for a single number), one decimal.
mean_std() {
    printf '%s\n' "$@" | awk '
        { x[NR] = $1; s += $1 }
        END {
            if (NR == 0) { print "n/a"; exit }
            m = s / NR; v = 0;
            for (i = 1; i <= NR; i++) v += (x[i] - m) ^ 2;
            sd = NR > 1 ? sqrt(v / (NR - 1)) : 0;
            printf "%.1f \302\261 %.1f\n", m, sd
        }'
}

# json_get FILE JQ-FILTER: one value from a JSON file (jq from Debian).
json_get() {
    command -v jq >/dev/null 2>&1 || die "jq is missing (Debian package jq; sh pipelines/setup.sh installs it)"
    jq -er "$2" "$1" || die "'$1': no value at $2"
}

# net_label D,E -> "D & E"
net_label() {
    printf '%s\n' "$1" | sed 's/,/ \& /g'
}
