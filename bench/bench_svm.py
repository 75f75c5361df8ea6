"""scikit-learn LinearSVC on the features bench_svm wrote.

usage: bench_svm.py RAW_F32 LABELS N DIM C
Prints "fit SECONDS".  The same problem as vggsvm and liblinear-train:
one-vs-rest L2-regularised squared-hinge (L2-loss) dual, bias 1
(intercept_scaling 1, the intercept regularised as LIBLINEAR does),
tolerance 0.1 (liblinear-train's default for -s 1).
"""
import sys
import time

import numpy as np
from sklearn.svm import LinearSVC


def main():
    raw, labels, n, dim, c = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    x = np.fromfile(raw, dtype=np.float32).reshape(n, dim)
    y = np.loadtxt(labels, dtype=np.int64)
    clf = LinearSVC(C=c, loss="squared_hinge", dual=True, tol=0.1, fit_intercept=True,
                    intercept_scaling=1.0, max_iter=1000)
    t0 = time.perf_counter()
    clf.fit(x, y)
    print("fit %.3f" % (time.perf_counter() - t0))


if __name__ == "__main__":
    main()
