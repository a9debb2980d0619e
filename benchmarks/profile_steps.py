#!/usr/bin/env python3
"""Profile one system's training steps on a workload with cProfile.

    python benchmarks/profile_steps.py W1                 # mlpgrad, 300 steps, top 25 by tottime
    python benchmarks/profile_steps.py W6 --steps 1 --w6-ops 20000
    python benchmarks/profile_steps.py W3 --system numpy --sort cumtime

To profile a modified copy of the library: `PYTHONPATH=/tmp/perf-copy python
benchmarks/profile_steps.py W1` (benchmarks/ appends the repo root to
sys.path, so PYTHONPATH wins). BLAS threads are pinned to 1 as in run.py.
"""
from __future__ import annotations

import argparse
import os
import sys

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import cProfile  # noqa: E402
import pstats  # noqa: E402

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.append(_ROOT)

from benchmarks import workloads as W  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="cProfile a benchmark workload")
    p.add_argument("workload", choices=list(W.WORKLOADS))
    p.add_argument("--system", default="mlpgrad", choices=["numpy", "mlpgrad", "torch1"])
    p.add_argument("--steps", type=int, default=None, help="steps to profile (default 300; W6: 1)")
    p.add_argument("--w6-ops", type=int, default=None)
    p.add_argument("--sort", default="tottime", choices=["tottime", "cumtime", "ncalls"])
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    wl = W.WORKLOADS[args.workload]
    if wl.kind == "chain" and args.w6_ops:
        wl = wl.scaled(args.w6_ops)
    steps = args.steps or (1 if wl.kind == "chain" else 300)
    if args.system == "torch1":
        import torch
        torch.set_num_threads(1)
    r = W.make_runner(args.system, wl)
    r.step()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(steps):
        r.step()
    prof.disable()
    print(f"{args.system} on {wl.key} ({wl.describe()}), {steps} step(s)")
    st = pstats.Stats(prof)
    st.sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
