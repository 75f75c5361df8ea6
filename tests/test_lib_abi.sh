#!/bin/sh
# libvggfeat's ABI hygiene: the shared library exports exactly the
# functions its public header declares (nothing of the internal modules
# linked into it), its soname is libvggfeat.so.MAJOR, and the header
# compiles alone, in C and in C++.
#
#   sh tests/test_lib_abi.sh LIBRARY HEADER MAJOR [CC [CXX]]
#
# Exit 0 pass, 1 fail.
set -eu

lib=$1 header=$2 major=$3 cc=${4:-cc} cxx=${5:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/vgg_lib_abi.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# the header's functions: its declarations after the preprocessor (no
# comments), each name followed by its parenthesis
"$cc" -E -P -x c "$header" | grep -oE '\bvgg_[a-z0-9_]+[[:space:]]*\(' |
    sed 's/[[:space:]]*($//' | sort -u > "$work/declared"
nm -D --defined-only "$lib" | awk 'NF == 3 { print $3 }' | sed 's/@.*//' | sort -u \
    > "$work/exported"
echo "declared: $(wc -l < "$work/declared") functions; exported: $(wc -l < "$work/exported") symbols"
[ -s "$work/declared" ] || fail "no function found in $header"
extra=$(comm -13 "$work/declared" "$work/exported")
missing=$(comm -23 "$work/declared" "$work/exported")
[ -z "$extra" ] || fail "exported but not in the header: $(echo $extra)"
[ -z "$missing" ] || fail "in the header but not exported: $(echo $missing)"

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
[ "$soname" = "libvggfeat.so.$major" ] || fail "soname '$soname', expected libvggfeat.so.$major"

# the header stands alone: no internal header, no GNU extension needed
printf '#include "vgg/vggfeat.h"\nint main(void) { return vgg_version() == 0; }\n' > "$work/alone.c"
inc=$(dirname "$(dirname "$header")")
"$cc" -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$work/alone.c" ||
    fail "the header does not compile alone as C99"
if [ -n "$cxx" ] && command -v "$cxx" >/dev/null 2>&1; then
    "$cxx" -x c++ -Wall -Wextra -Werror -fsyntax-only -I"$inc" "$work/alone.c" ||
        fail "the header does not compile alone as C++"
fi

if [ "$fails" -eq 0 ]; then
    echo "1 passed, 0 failed"
    exit 0
fi
echo "0 passed, $fails failed"
exit 1
