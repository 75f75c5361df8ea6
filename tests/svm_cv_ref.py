"""How vggsvm train chooses C, recomputed independently for test_svm_cv.

usage: svm_cv_ref.py DATA OUT [DATA OUT ...]

DATA: a line "n k folds holdout seed", a line of the grid's C values, then
n lines "class x_1 ... x_d" (class 0..k-1, values as %.17g).  folds >= 2:
K-fold cross-validation; folds 0: one held-out part of the given fraction.
OUT: "fold i f" per row, "score g v" per grid value (mean class recall on
the validated rows of every round, pooled), "chosen C".

Nothing here calls vggsvm's code:
- the folds follow the rule classifier/src/svm.c states and
  classifier/include/vgg/svm.h documents (the seed's splitmix64 stream,
  core/src/rng.c; a Fisher-Yates shuffle of the rows drawing j = next % i
  for i = n..2; each class's rows, in shuffled order, dealt round-robin
  over the K folds, or its first floor(f * n_c) held out, at least one
  left to train on); written again here from that rule;
- each round is LIBLINEAR's own programs: liblinear-train -s 1 -B 1 -c C
  on the other folds' rows (in row order), liblinear-predict on the
  round's rows;
- the score is scikit-learn's balanced_accuracy_score (mean class recall)
  of those predictions; the chosen C the first of the highest scores.
"""
import math
import os
import subprocess
import sys
import tempfile

from sklearn.metrics import balanced_accuracy_score

MASK = (1 << 64) - 1


def splitmix64(state):
    """(next state, value): core/src/rng.c's vgg_rng_next"""
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def make_folds(cls, k, folds, holdout, seed):
    n = len(cls)
    perm = list(range(n))
    s = seed
    for i in range(n, 1, -1):
        s, v = splitmix64(s)
        j = v % i
        perm[i - 1], perm[j] = perm[j], perm[i - 1]
    count = [cls.count(c) for c in range(k)]
    seen = [0] * k
    fold = [None] * n
    for p in perm:
        c = cls[p]
        q = seen[c]
        seen[c] += 1
        if folds >= 2:
            fold[p] = q % folds
        else:
            nval = min(int(math.floor(holdout * count[c])), count[c] - 1)
            fold[p] = 0 if q < nval else 1
    return fold


def write_rows(path, rows, cls, which):
    with open(path, "w") as f:
        for i in which:
            feats = " ".join("%d:%s" % (j + 1, v) for j, v in enumerate(rows[i])
                             if float(v) != 0.0)
            f.write("%d %s\n" % (cls[i] + 1, feats))


def one(data, out, tmp):
    with open(data) as f:
        n, k, folds, holdout, seed = f.readline().split()
        n, k, folds, holdout, seed = int(n), int(k), int(folds), float(holdout), int(seed)
        grid = [float(v) for v in f.readline().split()]
        cls, rows = [], []
        for _ in range(n):
            t = f.readline().split()
            cls.append(int(t[0]))
            rows.append(t[1:])
    fold = make_folds(cls, k, folds, holdout, seed)
    rounds = folds if folds >= 2 else 1
    scores = []
    for g, C in enumerate(grid):
        truth, pred = [], []
        for r in range(rounds):
            va = [i for i in range(n) if fold[i] == r]
            tr = [i for i in range(n) if fold[i] != r]
            if not va or not tr:
                continue
            a, b, m, p = (os.path.join(tmp, x) for x in ("tr.txt", "va.txt", "m.model", "p.txt"))
            write_rows(a, rows, cls, tr)
            write_rows(b, rows, cls, va)
            subprocess.run(["liblinear-train", "-q", "-s", "1", "-B", "1", "-c", repr(C), a, m],
                           check=True, stdout=subprocess.DEVNULL)
            subprocess.run(["liblinear-predict", b, m, p], check=True, stdout=subprocess.DEVNULL)
            with open(p) as f:
                pred += [int(line) - 1 for line in f]
            truth += [cls[i] for i in va]
        scores.append(balanced_accuracy_score(truth, pred))
    best = 0
    for g in range(1, len(grid)):
        if scores[g] > scores[best]:
            best = g
    with open(out, "w") as f:
        for i in range(n):
            f.write("fold %d %d\n" % (i, fold[i]))
        for g in range(len(grid)):
            f.write("score %d %.17g\n" % (g, scores[g]))
        f.write("chosen %.17g\n" % grid[best])


def main():
    args = sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(0, len(args) - 1, 2):
            one(args[i], args[i + 1], tmp)


if __name__ == "__main__":
    main()
