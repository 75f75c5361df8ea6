#!/bin/sh
# The layout's promise, read from the programs themselves: vggsvm and
# vggdata need neither the network engine (oneDNN, OpenBLAS) nor the image
# decoders (libjpeg, libpng) directly.  Reads the NEEDED entries of each
# ELF file (readelf -d).  The same check on vggfeat, which must need them,
# shows that the reading finds what it looks for.  Debian's liblinear.so.4
# itself needs libblas.so.3, which the alternatives system may point at
# OpenBLAS: that comes with LIBLINEAR, not with vggsvm, and is not a
# direct need.
#
#   sh tests/test_linked.sh BIN_DIR
#
# Exit 0 pass, 1 fail.
set -eu

bin=$1
fails=0
forbidden='libjpeg|libpng|libopenblas|libblas|libcblas|libdnnl'

needed() {
    readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
}

for prog in vggsvm vggdata; do
    if [ ! -x "$bin/$prog" ]; then
        echo "FAIL: $bin/$prog is missing" >&2
        fails=$((fails + 1))
        continue
    fi
    libs=$(needed "$bin/$prog")
    echo "$prog needs: $(echo $libs)"
    bad=$(echo "$libs" | grep -E "^($forbidden)" || true)
    if [ -n "$bad" ]; then
        echo "FAIL: $prog needs $(echo $bad) directly" >&2
        fails=$((fails + 1))
    fi
done

# the reading itself: vggfeat decodes images and runs the engine
if [ -x "$bin/vggfeat" ]; then
    libs=$(needed "$bin/vggfeat")
    for want in libjpeg libpng libdnnl libopenblas; do
        if ! echo "$libs" | grep -q "^$want"; then
            echo "FAIL: vggfeat does not list $want among its NEEDED entries: $(echo $libs)" >&2
            fails=$((fails + 1))
        fi
    done
else
    echo "FAIL: $bin/vggfeat is missing" >&2
    fails=$((fails + 1))
fi

[ "$fails" -eq 0 ] && echo "test_linked: ok"
[ "$fails" -eq 0 ]
