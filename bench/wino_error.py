#!/usr/bin/env python3
"""The fp32 error of Winograd F(m x m, 3x3) for m = 2, 4, 6, through VGG-16's
thirteen 3x3 convolutions, against the same chain in float64.

Why the CPU backend stops at F(4x4): the descriptors must stay within 1e-6
(relative L2) of cpu-ref's direct convolution, and a larger tile trades
fewer multiplies for a larger error.  This measures that error in a model of
the backend's arithmetic: every layer's input transform V = B^T d B, weight
transform U = G g G^T (in float64, rounded once to float32, as the backend
packs its weights), the products summed over the input channels, and the
output transform A^T M A are each done in float32; the bias, ReLU and 2x2
max pooling follow as in the net.  The reference is the direct 3x3
convolution in float64.  Weights: He-initialised (the paper's training
leaves a trained net's layers at a similar scale), biases 0.01; the input
an image-like pattern with noise.  The fc7 descriptor needs fc6 and fc7 on
top (F(2x2, 7x7) and a matrix product, the same for every m here), so the
figures printed are for conv5_3's output after pool5 and for its global
average over the positions (the descriptor averages fc7's map the same
way): each tile size's relative L2 distance from float64, and the same
for plain fp32 direct convolution (numpy's float32 matrix product: about
the error of cpu-ref itself).

The transforms' points: F(2x2) 0, 1, -1, inf; F(4x4) 0, 1, -1, 1/2, -2,
inf (net/cpu/wino_avx2.c); F(6x6) 0, 1, -1, 1/2, -1/2, 2, -2, inf (the
usual choice).  Matrices by the Toom-Cook construction in exact rationals.

  /usr/bin/python3 bench/wino_error.py [--size 96] [--seeds 3]

Needs numpy; about a minute.  The numbers and what they mean are in
net/README.md, "Why F(4x4) and not a larger tile".
"""
import argparse
from fractions import Fraction

import numpy as np

VGG16 = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]

POINTS = {
    2: [0, 1, -1],
    4: [0, 1, -1, Fraction(1, 2), -2],
    6: [0, 1, -1, Fraction(1, 2), Fraction(-1, 2), 2, -2],
}


def poly_mul(p, q):
    r = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        for j, b in enumerate(q):
            r[i + j] += a * b
    return r


def toom_cook(m, r=3):
    """A^T (m x n), G (n x r), B^T (n x n) of F(m, r) with the points of
    POINTS[m] and infinity, n = m + r - 1: y = A^T ((G g) * (B^T d)) is the
    correlation y_i = sum_k d_(i+k) g_k."""
    pts = [Fraction(p) for p in POINTS[m]]
    n = m + r - 1
    assert len(pts) == n - 1
    at = [[pts[j] ** i for j in range(n - 1)] + [Fraction(int(i == m - 1))] for i in range(m)]
    g = []
    for j, a in enumerate(pts):
        f = Fraction(1)
        for k, b in enumerate(pts):
            if k != j:
                f *= a - b
        g.append([a ** k / f for k in range(r)])
    g.append([Fraction(0)] * (r - 1) + [Fraction(1)])
    # M(x) = prod (x - a); row j of B^T: the coefficients of M(x) / (x - a_j),
    # the last row those of M(x) itself (ascending powers)
    full = [Fraction(1)]
    for a in pts:
        full = poly_mul(full, [-a, Fraction(1)])
    bt = []
    for j, a in enumerate(pts):
        q = [Fraction(1)]
        for k, b in enumerate(pts):
            if k != j:
                q = poly_mul(q, [-b, Fraction(1)])
        bt.append(q + [Fraction(0)] * (n - len(q)))
    bt.append(full)
    return (np.array(at, dtype=np.float64), np.array(g, dtype=np.float64),
            np.array(bt, dtype=np.float64))


def check_1d(m):
    """The matrices compute the correlation (exactly, in float64)."""
    at, g, bt = toom_cook(m)
    rng = np.random.default_rng(0)
    d, w = rng.standard_normal(m + 2), rng.standard_normal(3)
    y = at @ ((g @ w) * (bt @ d))
    ref = np.array([d[i:i + 3] @ w for i in range(m)])
    assert np.allclose(y, ref, rtol=1e-12, atol=1e-12), (m, y, ref)


def conv_direct(x, w, b, dtype):
    """x [cin, h, w], w [cout, cin, 3, 3], zero padding 1: the direct
    convolution as one matrix product in dtype."""
    cin, h, wd = x.shape
    xp = np.zeros((cin, h + 2, wd + 2), dtype)
    xp[:, 1:-1, 1:-1] = x
    cols = np.stack([xp[:, ky:ky + h, kx:kx + wd] for ky in range(3) for kx in range(3)], 1)
    y = w.reshape(w.shape[0], -1).astype(dtype) @ cols.reshape(cin * 9, h * wd)
    return y.reshape(-1, h, wd) + b.astype(dtype)[:, None, None]


def conv_wino(x, w, b, m):
    """The same convolution by F(m x m, 3x3), every step in float32."""
    at, g, bt = toom_cook(m)
    a = m + 2
    cin, h, wd = x.shape
    cout = w.shape[0]
    th, tw = -(-h // m), -(-wd // m)
    xp = np.zeros((cin, th * m + 2, tw * m + 2), np.float32)
    xp[:, 1:h + 1, 1:wd + 1] = x
    # tiles [cin, th, tw, a, a]
    idx_y = (np.arange(th) * m)[:, None] + np.arange(a)[None, :]
    idx_x = (np.arange(tw) * m)[:, None] + np.arange(a)[None, :]
    d = xp[:, idx_y[:, None, :, None], idx_x[None, :, None, :]]
    bt32, at32 = bt.astype(np.float32), at.astype(np.float32)
    v = np.einsum("ij,ctujk,lk->ilctu", bt32, d.transpose(0, 1, 2, 3, 4), bt32, optimize=True)
    v = v.astype(np.float32).reshape(a * a, cin, th * tw)
    u = np.einsum("ij,ocjk,lk->ilco", g, w.astype(np.float64), g).astype(np.float32)
    u = u.reshape(a * a, cin, cout)
    mm = np.matmul(u.transpose(0, 2, 1), v)           # [P, cout, tiles], float32
    mm = mm.reshape(a, a, cout, th, tw)
    y = np.einsum("ij,jkotu,lk->otiul", at32, mm, at32, optimize=True).astype(np.float32)
    y = y.reshape(cout, th * m, tw * m)[:, :h, :wd]
    return y + b.astype(np.float32)[:, None, None]


def pool(x):
    c, h, w = x.shape
    return x[:, :h // 2 * 2, :w // 2 * 2].reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


def chain(x, layers, conv):
    for item in layers:
        if item == "M":
            x = pool(x)
        else:
            x = np.maximum(conv(x, *item), 0)
    return x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=96, help="input side (default 96)")
    ap.add_argument("--seeds", type=int, default=3, help="nets and inputs (default 3)")
    args = ap.parse_args()
    for m in POINTS:
        check_1d(m)
    print(f"VGG-16's 3x3 chain to pool5 on a {args.size}x{args.size} input, relative L2 "
          "distance from float64 direct convolution: pool5's map (and its global average)")
    print("| seed | fp32 direct | F(2x2) | F(4x4) | F(6x6) |")
    print("| --- | --- | --- | --- | --- |")
    for seed in range(args.seeds):
        rng = np.random.default_rng(seed)
        layers, cin = [], 3
        for item in VGG16:
            if item == "M":
                layers.append("M")
                continue
            w = rng.standard_normal((item, cin, 3, 3)) * np.sqrt(2.0 / (9 * cin))
            layers.append((w, np.full(item, 0.01)))
            cin = item
        yy, xx = np.mgrid[0:args.size, 0:args.size]
        x = np.stack([np.sin(xx / (7.0 + c) + yy / 11.0) for c in range(3)])
        x = x + 0.2 * rng.standard_normal(x.shape)
        ref = chain(x.astype(np.float64), layers, lambda x, w, b: conv_direct(x, w, b, np.float64))
        x32 = x.astype(np.float32)
        runs = [chain(x32, layers, lambda x, w, b: conv_direct(x, w, b, np.float32))]
        runs += [chain(x32, layers, lambda x, w, b, m=m: conv_wino(x, w, b, m)) for m in POINTS]
        def rel(a, b):
            return np.linalg.norm((a - b).ravel()) / np.linalg.norm(b.ravel())
        errs = [f"{rel(r, ref):.2e} ({rel(r.mean(axis=(1, 2)), ref.mean(axis=(1, 2))):.2e})"
                for r in runs]
        print(f"| {seed} | " + " | ".join(errs) + " |")


if __name__ == "__main__":
    main()
