"""Reference metrics for test_svm_sklearn, computed with scikit-learn.

usage: svm_sklearn_ref.py DATA OUT [DATA OUT ...]

DATA: a line "n k mode" (mode: single | multi), then n lines.  single:
"class s_1 ... s_k"; multi: "t_1 ... t_k s_1 ... s_k" with t in {1, -1, 0}
(0: difficult, left out of that class).
OUT: "key value" lines: accuracy, balanced_accuracy, top5 (single only),
confusion (k*k integers, rows true), and per class "ap K v", "ap07 K v",
"area K v" (nan for a class without positives).

average_precision_score, balanced_accuracy_score, accuracy_score,
top_k_accuracy_score and confusion_matrix are scikit-learn's.  The
VOC-2007 11-point and VOC-2010+ area values are computed here from
scikit-learn's precision_recall_curve (the points at each distinct score).
"""
import sys

import numpy as np
from sklearn.metrics import (accuracy_score, average_precision_score,
                             balanced_accuracy_score, confusion_matrix,
                             precision_recall_curve, top_k_accuracy_score)


def voc_aps(y, s):
    """(11-point, area) AP from scikit-learn's precision-recall points."""
    npos = int(y.sum())
    if npos == 0:
        return float("nan"), float("nan")
    precision, recall, _ = precision_recall_curve(y, s)
    # drop the (recall 0, precision 1) point scikit-learn appends
    precision, recall = precision[:-1], recall[:-1]
    ap07 = 0.0
    for t in range(11):
        mask = recall >= t / 10.0 - 1e-12
        ap07 += (precision[mask].max() if mask.any() else 0.0) / 11.0
    order = np.argsort(recall, kind="stable")
    r, p = recall[order], precision[order]
    area, prev = 0.0, 0.0
    for i in range(len(r)):
        env = p[r >= r[i]].max()
        area += (r[i] - prev) * env
        prev = r[i]
    return ap07, area


def one(data, out):
    with open(data) as f:
        n, k, mode = f.readline().split()
        n, k = int(n), int(k)
        rows = [list(map(float, f.readline().split())) for _ in range(n)]
    a = np.array(rows)
    lines = []
    if mode == "single":
        y = a[:, 0].astype(int)
        s = a[:, 1:]
        pred = s.argmax(axis=1)
        lines.append("accuracy %.17g" % accuracy_score(y, pred))
        lines.append("balanced_accuracy %.17g" % balanced_accuracy_score(y, pred))
        lines.append("top5 %.17g" % top_k_accuracy_score(y, s, k=5, labels=list(range(k))))
        cm = confusion_matrix(y, pred, labels=list(range(k)))
        lines.append("confusion " + " ".join(str(int(v)) for v in cm.ravel()))
        truth = np.where(y[:, None] == np.arange(k)[None, :], 1, -1)
    else:
        truth = a[:, :k].astype(int)
        s = a[:, k:]
    for c in range(k):
        keep = truth[:, c] != 0
        yc = (truth[keep, c] > 0).astype(int)
        sc = s[keep, c]
        if yc.sum() == 0:
            ap = float("nan")
        else:
            ap = average_precision_score(yc, sc)
        ap07, area = voc_aps(yc, sc)
        lines.append("ap %d %.17g" % (c, ap))
        lines.append("ap07 %d %.17g" % (c, ap07))
        lines.append("area %d %.17g" % (c, area))
    with open(out, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    args = sys.argv[1:]
    for i in range(0, len(args) - 1, 2):
        one(args[i], args[i + 1])


if __name__ == "__main__":
    main()
