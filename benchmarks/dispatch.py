"""What NumPy dispatch costs: µs per call of `np.exp(t)` next to `t.exp()` and plain NumPy.

    python benchmarks/dispatch.py [--repeat 7] [--json PATH]

Each row times one forward call (recording the op) on a small tensor that
requires grad, with the best of `--repeat` timed loops (min is the least noisy
estimate of a call's own cost). The "via NumPy" column is the same op reached
through NumPy's protocols (`__array_ufunc__`/`__array_function__`); the
difference to the "method" column is the dispatch overhead. Rows whose NumPy
form is not supported by the `autograd` on the path (an older copy) show "—".
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import timeit

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.append(os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

import autograd  # noqa: E402
from autograd import Tensor  # noqa: E402

X = np.random.default_rng(0).standard_normal((32, 16))
W = np.random.default_rng(1).standard_normal((16, 8))

# name -> (setup of operands, method form, NumPy form, plain NumPy on arrays)
ROWS = {
    "exp": (lambda t, w: t.exp(), lambda t, w: np.exp(t), lambda a, w: np.exp(a)),
    "add": (lambda t, w: t + t, lambda t, w: np.add(t, t), lambda a, w: a + a),
    "mul by a number": (lambda t, w: t * 2.0, lambda t, w: np.multiply(t, 2.0), lambda a, w: a * 2.0),
    "matmul / dot": (lambda t, w: t @ w, lambda t, w: np.dot(t, w), lambda a, w: np.dot(a, w)),
    "mean(axis=1, keepdims)": (lambda t, w: t.mean(axis=1, keepdims=True),
                               lambda t, w: np.mean(t, axis=1, keepdims=True),
                               lambda a, w: np.mean(a, axis=1, keepdims=True)),
    "relu / maximum(0, z)": (lambda t, w: t.relu(), lambda t, w: np.maximum(0, t), lambda a, w: np.maximum(0, a)),
    "tanh": (lambda t, w: t.tanh(), lambda t, w: np.tanh(t), lambda a, w: np.tanh(a)),
}


def best_us(fn, repeat: int, number: int = 2000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e6


def measure(repeat: int) -> dict[str, dict[str, float | None]]:
    t, w = Tensor(X, requires_grad=True), Tensor(W, requires_grad=True)
    results = {}
    for name, (method, via_numpy, plain) in ROWS.items():
        row = {"numpy": best_us(lambda: plain(X, W), repeat), "method": best_us(lambda: method(t, w), repeat)}
        try:
            via_numpy(t, w)
            row["via_numpy"] = best_us(lambda: via_numpy(t, w), repeat)
        except TypeError:
            row["via_numpy"] = None
        results[name] = row
    return results


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=7, help="timed loops per row (best is kept)")
    p.add_argument("--json", help="also write the numbers as JSON")
    args = p.parse_args(argv)
    results = measure(args.repeat)
    print(f"autograd from {os.path.dirname(autograd.__file__)}; NumPy {np.__version__}; "
          f"a (32, 16) tensor; µs per call, best of {args.repeat}")
    print(f"{'op':<24}{'plain NumPy':>12}{'method':>10}{'via NumPy':>11}{'overhead':>10}")
    for name, r in results.items():
        via = "—" if r["via_numpy"] is None else f"{r['via_numpy']:.2f}"
        over = "—" if r["via_numpy"] is None else f"{r['via_numpy'] - r['method']:+.2f}"
        print(f"{name:<24}{r['numpy']:>12.2f}{r['method']:>10.2f}{via:>11}{over:>10}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
