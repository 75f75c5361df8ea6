#!/bin/sh
# Data-parallel pretraining on the CPU: the step time of 1 and of 2 MPI
# ranks (Open MPI's mpirun, --threads 1 per rank) with the same global
# batch, and the share of the step rank 0 spends in the gradient allreduce
# (the log's allreduce_s, which counts waiting for the slower rank too).
# The net is A at width 1/4 (fc 1024, input 64: 3.8 M parameters, a
# 15 MB gradient buffer), batch 32, on 96 synthetic 28x28 images; the
# first 2 iterations are left out.  The load average is printed with the
# numbers: on a shared machine it says how far to trust them.
#   sh bench/run_dist.sh [BINDIR] [ITERATIONS]
#   BINDIR default build/bin; ITERATIONS default 12.
# As root, Open MPI needs OMPI_ALLOW_RUN_AS_ROOT=1 and
# OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 (set here).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${1:-$here/build/bin}" && pwd)
iters=${2:-12}
vggtrain=$bin/vggtrain
[ -x "$vggtrain" ] || { echo "run_dist: no $vggtrain (build it first)" >&2; exit 1; }
command -v mpirun >/dev/null 2>&1 ||
    { echo "run_dist: no mpirun (Debian: openmpi-bin; sh pipelines/setup.sh installs it)" >&2; exit 1; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d "${TMPDIR:-/tmp}/run_dist.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

python3 - <<'PYEOF'
import random, struct
rng = random.Random(7)
with open("img.idx", "wb") as fi, open("lab.idx", "wb") as fl:
    fi.write(struct.pack(">IIII", 0x803, 96, 28, 28))
    fl.write(struct.pack(">II", 0x801, 96))
    for i in range(96):
        fi.write(bytes(rng.randrange(256) for _ in range(784)))
        fl.write(bytes([i % 4]))
PYEOF
"$vggtrain" import-idx img.idx lab.idx -o set >/dev/null

opts="--list set/list.txt --classes set/classes.txt --config A --width 0.25 --fc-dim 1024
      --input-size 64 --init he --batch 32 --threads 1 --loaders 1 --print-every 1
      --iterations $iters --checkpoint-every 100000"

# the mean step time and allreduce share over the log's lines after the 2nd
summary() {
    python3 - "$1" "$2" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"loss"' in l]
rows = [r for r in rows if r["iter"] > 2]
t = [32 / r["img_s"] for r in rows]
a = [r["allreduce_s"] for r in rows]
step = sum(t) / len(t)
print("%-8s step %.3f s (%d iterations)  allreduce %.4f s  = %.1f%% of the step"
      % (sys.argv[2], step, len(t), sum(a) / len(a), 100 * sum(a) / sum(t)))
PYEOF
}

echo "run_dist: load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
# shellcheck disable=SC2086
"$vggtrain" train $opts -o one.st --log one.jsonl 2>/dev/null
summary one.jsonl "1 rank"
# shellcheck disable=SC2086
mpirun --oversubscribe -np 2 "$vggtrain" train $opts -o two.st --log two.jsonl 2>/dev/null
summary two.jsonl "2 ranks"
echo "run_dist: load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
