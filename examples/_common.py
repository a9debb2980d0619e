"""Plumbing shared by the example scripts (not part of the library).

* ``setup(name, doc, argv)`` parses ``--quick / --out DIR / --seed N``, creates
  the output folder (``out/NAME`` by default) and prints the seed in use.
* ``figure(plot_fn, ..., path=...)`` draws and saves one figure with
  `nn.plot`, closes it, and prints where it went (or a note when matplotlib
  is missing, so the numbers are still printed).
* ``table`` formats a small text table; ``result`` prints the final
  machine-readable ``RESULT key=value ...`` line the tests read.
* ``seed_he_normal``, ``seed_randn`` and ``seed_uniform`` replay the weight
  draws of the seed documents, which call the legacy global generator
  (``np.random.seed(k)`` then ``randn``/``rand``) — that is how the examples
  reproduce the seeds' printed numbers digit for digit.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

# Small networks run fastest single-threaded: BLAS threads only add overhead (and
# thrash on a busy machine). Set before numpy is imported; the caller may override.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:          # run from a checkout without installing
    sys.path.insert(0, str(HERE.parent))


def setup(name: str, doc: str | None, argv: Sequence[str] | None, default_seed: int = 42,
          seed_help: str = "weight-initialisation and split seed") -> argparse.Namespace:
    """Parse the common arguments, create ``args.out`` and print the seed."""
    summary = (doc or "").strip().splitlines()[0] if doc else name
    parser = argparse.ArgumentParser(prog=f"{name}.py", description=summary)
    parser.add_argument("--quick", action="store_true",
                        help="few epochs / small settings (seconds; used by the test suite)")
    parser.add_argument("--out", type=Path, default=Path("out") / name,
                        help=f"folder for the figures (default: out/{name})")
    parser.add_argument("--seed", type=int, default=default_seed,
                        help=f"{seed_help} (default: {default_seed})")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    mode = "quick" if args.quick else "full"
    print(f"{name}: seed {args.seed} ({seed_help}; --seed N to change), {mode} mode, figures in {args.out}/")
    return args


def figure(plot_fn: Callable[..., Any], *args: Any, path: Path, **kwargs: Any) -> Path | None:
    """Draw with an `nn.plot` function, save to `path`, close the figure; None without matplotlib."""
    try:
        fig = plot_fn(*args, path=path, **kwargs)
    except ImportError as exc:
        if "matplotlib" not in str(exc):
            raise
        print(f"  (no figure {path.name}: {exc})")
        return None
    import matplotlib.pyplot as plt
    plt.close(fig)
    print(f"  figure: {path}")
    return path


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> str:
    """A plain text table; the first column is left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    rule = "-" * len(fmt(cells[0]))
    lines = ([title, "=" * len(rule)] if title else []) + [fmt(cells[0]), rule] + [fmt(r) for r in cells[1:]]
    return "\n".join(lines)


def result(**values: Any) -> dict[str, Any]:
    """Print ``RESULT key=value ...`` (floats with full precision) and return the values."""
    def show(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (float, np.floating)):
            return repr(float(v))
        return str(v).replace(" ", "_")
    print("RESULT " + " ".join(f"{k}={show(v)}" for k, v in values.items()))
    return values


def pct(x: float) -> str:
    """0.955 -> '95.50%' (the seeds print accuracies this way)."""
    return f"{100 * x:.2f}%"


# -- the seeds' legacy weight draws ------------------------------------------------------------
# nn.MLP calls its initialiser once per layer, in layer order, with the PyTorch
# shape (out, in). Sharing one RandomState across the calls replays a script that
# seeds the global generator once and then draws layer after layer.

def seed_he_normal(seed: int) -> Callable[[tuple, Any], np.ndarray]:
    """Seed 002's MLP: ``np.random.seed(seed)``; ``W = randn(n_out, n_in) * sqrt(2 / n_in)`` per layer."""
    rs = np.random.RandomState(seed)

    def init(shape: tuple, rng: Any) -> np.ndarray:
        return rs.randn(*shape) * math.sqrt(2.0 / shape[1])
    return init


def seed_randn(rs: np.random.RandomState, scale: float = 1.0) -> Callable[[tuple, Any], np.ndarray]:
    """Seeds 000 and 003: ``W = randn(n_in, n_out) * scale`` (row-major x @ W), transposed to (out, in)."""
    def init(shape: tuple, rng: Any) -> np.ndarray:
        return rs.randn(shape[1], shape[0]).T * scale
    return init


def seed_uniform(rs: np.random.RandomState) -> Callable[[tuple, Any], np.ndarray]:
    """Seed 001's XOR class: ``W = rand(n_in, n_out)`` (uniform on [0, 1)), transposed to (out, in)."""
    def init(shape: tuple, rng: Any) -> np.ndarray:
        return rs.rand(shape[1], shape[0]).T
    return init
