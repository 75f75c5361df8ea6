#!/bin/sh
# 'vggfeat info --devices' exits 0 and either lists GPUs ("cuda:N ...") or
# says why there are none ("no GPUs: <cause>").  Usage: devices_test.sh VGGFEAT
out=$("$1" info --devices) || { echo "vggfeat info --devices failed"; exit 1; }
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -Eq '^(no GPUs: .+|cuda:0 .+)$'
