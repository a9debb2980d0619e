#!/usr/bin/env python3
"""Sigmoid implementations for W3 (10,000 × 16 pre-activations): accuracy and speed.

    python benchmarks/sigmoid_variants.py [--rows 10000] [--cols 16]

Accuracy is the maximum relative error against a long-double (80-bit on x86)
reference computed as 1/(1 + e^(−x)) in extended precision, over (a) the W3
range (values like the real pre-activations, |x| ≲ 12), and (b) a wide range
[−800, 800] (f64) / [−110, 110] (f32) that reaches the overflow and subnormal
regions. Speed is the best of several timed repeats (BLAS threads pinned to 1).
"""
from __future__ import annotations

import argparse
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import timeit  # noqa: E402

import numpy as np  # noqa: E402


def where_stable(x):
    """autograd.ops.sigmoid today: exp of −|x| only, then np.where."""
    e = np.exp(-np.abs(x))
    r = 1 / (1 + e)
    return np.where(x >= 0, r, e * r)


def tanh_form(x):
    """σ(x) = ½(1 + tanh(x/2)), allocating."""
    return 0.5 * (1 + np.tanh(0.5 * x))


def tanh_inplace(x):
    """½(1 + tanh(x/2)) with out= (one array)."""
    t = np.multiply(x, 0.5)
    np.tanh(t, out=t)
    t += 1
    t *= 0.5
    return t


def exp_naive(x):
    """1/(1 + e^(−x)), allocating, overflow warning silenced."""
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def exp_inplace_errstate(x):
    """1/(1 + e^(−x)) with out= (one array), overflow silenced with np.errstate."""
    t = np.negative(x)
    with np.errstate(over="ignore"):
        np.exp(t, out=t)
    t += 1
    return np.reciprocal(t, out=t)


_LIMIT: dict = {}


def exp_inplace_clipped(x):
    """1/(1 + e^(−x)) with out=, −x clipped at log(max float) so e^(−x) never overflows."""
    lim = _LIMIT.get(x.dtype)
    if lim is None:
        lim = _LIMIT[x.dtype] = x.dtype.type(np.log(np.finfo(x.dtype).max) * (1 - 1e-3))
    t = np.negative(x)
    np.minimum(t, lim, out=t)
    np.exp(t, out=t)
    t += 1
    return np.reciprocal(t, out=t)


def where_inplace(x):
    """Stable form with out= and copyto(where=): exp only of −|x|."""
    e = np.abs(x)
    np.negative(e, out=e)
    np.exp(e, out=e)                  # e = e^(−|x|) ≤ 1
    r = np.add(e, 1)
    np.reciprocal(r, out=r)           # σ(|x|)
    np.multiply(e, r, out=e)          # σ(−|x|)
    np.copyto(r, e, where=x < 0)
    return r


VARIANTS = [where_stable, tanh_form, tanh_inplace, exp_naive, exp_inplace_errstate,
            exp_inplace_clipped, where_inplace]


def reference(x: np.ndarray) -> np.ndarray:
    xl = x.astype(np.longdouble)
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-xl))


def errors(y: np.ndarray, ref: np.ndarray, dtype) -> tuple[float, float]:
    """(max relative error where σ(x) ≥ the smallest normal float, max absolute error where below)."""
    y = y.astype(np.longdouble)
    err = np.abs(y - ref)
    normal = ref >= np.finfo(dtype).tiny
    rel = float((err[normal] / ref[normal]).max()) if normal.any() else 0.0
    tiny = float(err[~normal].max()) if (~normal).any() else 0.0
    return rel, tiny


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--cols", type=int, default=16)
    p.add_argument("--repeat", type=int, default=9)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"NumPy {np.__version__}; long double eps {np.finfo(np.longdouble).eps:.1e}; "
          f"{args.rows}×{args.cols} inputs\n")
    print("| variant | dtype | µs (best) | max rel err, W3 range (ulp) | max rel err, wide range | "
          "max abs err where σ < smallest normal |")
    print("|---|---|---:|---:|---:|---:|")
    for dt, wide in ((np.float64, 800.0), (np.float32, 110.0)):
        x_w3 = (rng.standard_normal((args.rows, args.cols)) * 4).astype(dt)   # |x| ≲ 16
        x_wide = rng.uniform(-wide, wide, (args.rows, args.cols)).astype(dt)
        ref_w3, ref_wide = reference(x_w3), reference(x_wide)
        eps = float(np.finfo(dt).eps)
        for f in VARIANTS:
            with np.errstate(over="ignore", under="ignore"):
                t = min(timeit.repeat(lambda: f(x_w3), number=20, repeat=args.repeat)) / 20
                e1, _ = errors(f(x_w3), ref_w3, dt)
                e2, e3 = errors(f(x_wide), ref_wide, dt)
            print(f"| {f.__name__} | {np.dtype(dt).name} | {t * 1e6:,.0f} | {e1:.2e} ({e1 / eps:.1f}) "
                  f"| {e2:.2e} | {e3:.1e} |")
    print("\nW3 range: N(0, 4²) inputs like the real pre-activations. Wide range: uniform on "
          "[−800, 800] (f64) / [−110, 110] (f32), errors split at the smallest normal float.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
