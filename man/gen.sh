#!/bin/sh
# Man pages and bash completion made from the programs' own --help, when
# they are built (man/CMakeLists.txt), so that neither can drift from it.
#
#   sh man/gen.sh man PROGRAM TEMPLATE OUT VERSION
#       TEMPLATE with these lines replaced:
#         @SYNOPSIS@  PROGRAM's usage lines (one per COMMAND with subcommands)
#         @COMMANDS@  `PROGRAM --help`, then a subsection per COMMAND with
#                     `PROGRAM COMMAND --help`
#         @HELP@      `PROGRAM --help` (a program without subcommands)
#       and @VERSION@ anywhere by VERSION.
#   sh man/gen.sh doc DOC.md TEMPLATE OUT VERSION
#       TEMPLATE (a section-5 page) with the line @DOC@ replaced by DOC.md.
#   sh man/gen.sh completion PROGRAM OUT
#       a bash completion file: COMMANDs, each COMMAND's options, and the
#       values of options whose metavariable lists them (a|b|c).
#
# POSIX sh and awk only (the build has no Python).  A --help that fails
# fails the build.  The programs run with leak checking off (a sanitizer
# build runs them here too).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}
export ASAN_OPTIONS
LC_ALL=C
export LC_ALL

die() {
    echo "man/gen.sh: $*" >&2
    exit 1
}

# help FILE PROGRAM [COMMAND]: its --help text into FILE, or fail
help() {
    _f=$1
    shift
    "$@" --help >"$_f" || die "'$* --help' failed (exit $?)"
}

# commands HELP_FILE: the COMMAND names a --help text lists ("  name  what it does")
commands() {
    awk 'NR > 1 && /^  [a-z][a-z0-9-]*  / { print $1 }' "$1"
}

# esc TEXT: man(7) text
esc() {
    printf '%s\n' "$1" | sed -e 's/\\/\\e/g' -e 's/-/\\-/g'
}

# fill TEMPLATE OUT KEY=FILE...: the template with each line "@KEY@" replaced
# by FILE's lines and @VERSION@ by $version
fill() {
    template=$1
    out=$2
    shift 2
    awk -v version="$version" -v pairs="$*" '
        BEGIN {
            k = split(pairs, p, / /)
            for (i = 1; i <= k; i++) {
                eq = index(p[i], "=")
                file["@" substr(p[i], 1, eq - 1) "@"] = substr(p[i], eq + 1)
            }
        }
        $0 in file {
            f = file[$0]
            while ((getline l < f) > 0)
                print l
            close(f)
            next
        }
        { gsub(/@VERSION@/, version); print }' "$template" >"$out.tmp"
    if grep -n '@[A-Z]*@' "$out.tmp" >&2; then
        rm -f "$out.tmp"
        die "$template: a marker above was not replaced"
    fi
    mv "$out.tmp" "$out"
}

mode=${1:-}
case "$mode" in
man)
    [ $# -eq 5 ] || die "usage: gen.sh man PROGRAM TEMPLATE OUT VERSION"
    prog=$2 template=$3 out=$4 version=$5
    name=$(basename "$prog")
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/vggman.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    help "$tmp/help" "$prog"
    cmds=$(commands "$tmp/help")
    if [ -n "$cmds" ]; then
        for c in $cmds; do
            help "$tmp/help.$c" "$prog" "$c"
        done
        {
            echo ".nf"
            printf '\\fB%s\\fR \\fICOMMAND\\fR [\\fIoptions\\fR]\n' "$name"
            for c in $cmds; do
                u=$(sed -n '1s/^usage: //p' "$tmp/help.$c")
                case "$u" in
                    "$name $c"*) ;;
                    *) die "'$name $c --help' does not begin with 'usage: $name $c'" ;;
                esac
                printf '\\fB%s\\fR%s\n' "$(esc "$name $c")" "$(esc "${u#"$name $c"}")"
            done
            printf '\\fB%s\\fR \\fB\\-\\-help\\fR | \\fB\\-\\-version\\fR\n' "$name"
            echo ".fi"
        } >"$tmp/synopsis"
        {
            awk -v cmd="$name" -v usage=skip -f "$here/help2man.awk" "$tmp/help"
            for c in $cmds; do
                printf '.SS "%s"\n' "$name $c"
                awk -v cmd="$name $c" -f "$here/help2man.awk" "$tmp/help.$c"
            done
        } >"$tmp/commands"
        fill "$template" "$out" SYNOPSIS="$tmp/synopsis" COMMANDS="$tmp/commands"
    else
        awk -v cmd="$name" -f "$here/help2man.awk" "$tmp/help" >"$tmp/synopsis.help"
        # the usage block is the synopsis; the rest the description
        awk '/^\.fi$/ && !done { print; done = 1; exit } { print }' "$tmp/synopsis.help" >"$tmp/synopsis"
        awk -v cmd="$name" -v usage=skip -f "$here/help2man.awk" "$tmp/help" >"$tmp/body"
        fill "$template" "$out" SYNOPSIS="$tmp/synopsis" HELP="$tmp/body"
    fi
    ;;
doc)
    [ $# -eq 5 ] || die "usage: gen.sh doc DOC.md TEMPLATE OUT VERSION"
    doc=$2 template=$3 out=$4 version=$5
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/vggman.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    awk -f "$here/md2man.awk" "$doc" >"$tmp/doc"
    fill "$template" "$out" DOC="$tmp/doc"
    ;;
completion)
    [ $# -eq 3 ] || die "usage: gen.sh completion PROGRAM OUT"
    prog=$2 out=$3
    name=$(basename "$prog")
    fn=_$(printf '%s' "$name" | tr -c 'A-Za-z0-9_' _)
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/vggcomp.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT
    help "$tmp/help" "$prog"
    cmds=$(commands "$tmp/help")
    [ -n "$cmds" ] || die "$name --help lists no commands"
    for c in $cmds; do
        help "$tmp/help.$c" "$prog" "$c"
        awk -f "$here/complete.awk" "$tmp/help.$c" >"$tmp/opts.$c"
    done
    {
        printf '# bash completion for %s: its commands and their options, made from\n' "$name"
        printf "# '%s --help' and '%s COMMAND --help' by man/gen.sh when %s was built.\n" \
            "$name" "$name" "$name"
        printf '%s()\n{\n' "$fn"
        printf '    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} opts=\n'
        printf '    if [ "$COMP_CWORD" -eq 1 ]; then\n'
        printf "        COMPREPLY=(\$(compgen -W '%s help version --help --version' -- \"\$cur\"))\n" \
            "$(printf '%s ' $cmds | sed 's/ $//')"
        printf '        return 0\n    fi\n'
        printf '    case ${COMP_WORDS[1]} in\n'
        for c in $cmds; do
            opts=$(sed -n 's/^opts //p' "$tmp/opts.$c")
            printf '    %s)\n' "$c"
            printf "        opts='%s --help'\n" "$opts"
            if grep -q '^choice ' "$tmp/opts.$c"; then
                printf '        case $prev in\n'
                sed -n 's/^choice \([^ ]*\) \(.*\)$/        \1) COMPREPLY=($(compgen -W '"'"'\2'"'"' -- "$cur")); return 0 ;;/p' \
                    "$tmp/opts.$c"
                printf '        esac\n'
            fi
            printf '        ;;\n'
        done
        printf '    *) return 0 ;;\n    esac\n'
        printf '    if [[ $cur == -* ]]; then\n'
        printf '        COMPREPLY=($(compgen -W "$opts" -- "$cur"))\n'
        printf '    elif declare -F _filedir >/dev/null; then\n'
        printf '        _filedir\n'
        printf '    else\n'
        printf '        COMPREPLY=($(compgen -f -- "$cur"))\n'
        printf '    fi\n'
        printf '}\n'
        printf 'complete -F %s %s\n' "$fn" "$name"
    } >"$out.tmp"
    mv "$out.tmp" "$out"
    ;;
*)
    die "usage: gen.sh man|doc|completion ... (see the comment at the top)"
    ;;
esac
