#!/usr/bin/env python3
"""How much of eager mlpgrad's step is NumPy work, and how much is graph bookkeeping.

    python benchmarks/eager_floor.py            # W7, each system alone in this process
    python benchmarks/eager_floor.py --workload W1 --blocks 5

`nn.compile_step` writes down the NumPy calls the eager step makes (the ops' own
forward and backward formulas) as readable source; run as it is (not the
buffered fast form), that source is the eager step with the Tensors, the graph
and the engine taken away. Its time is what any eager engine running these
formulas would pay in NumPy: the rest of eager's time is Python bookkeeping.
Prints the median µs per step of: the hand-written NumPy loop, that NumPy-only
replay, and eager mlpgrad.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if _ROOT not in sys.path:
    sys.path.append(_ROOT)

from benchmarks import workloads as W  # noqa: E402


def replay_runner(wl: W.MLPWorkload) -> W.Runner:
    """The compiled step running its readable source instead of the buffered fast form: the
    eager step's NumPy calls with no Tensor in sight (the trace's `run` swapped, through
    `autograd.compile`'s internals; the call and the writebacks are `Compiled.__call__`'s)."""
    runner = W.make_runner("compiled", wl)
    trace = runner.extra["compiled"]._compiled._last
    trace.run = trace.program.build(fast=False)
    return runner


def median_us(step, blocks: int, per_block: int) -> float:
    for _ in range(per_block):
        step()
    medians = []
    for _ in range(blocks):
        times = []
        for _ in range(per_block):
            start = time.process_time_ns()
            step()
            times.append(time.process_time_ns() - start)
        times.sort()
        medians.append(times[len(times) // 2])
    medians.sort()
    return medians[len(medians) // 2] / 1e3


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workload", default="W7", choices=[k for k, w in W.WORKLOADS.items() if w.kind == "mlp"])
    p.add_argument("--blocks", type=int, default=15)
    p.add_argument("--per-block", type=int, default=200)
    args = p.parse_args(argv)
    wl = W.WORKLOADS[args.workload]
    systems = {"numpy manual": lambda: W.make_runner("numpy", wl), "NumPy-only replay": lambda: replay_runner(wl),
               "eager mlpgrad": lambda: W.make_runner("mlpgrad", wl)}
    results = {name: median_us(build().step, args.blocks, args.per_block) for name, build in systems.items()}
    base = results["numpy manual"]
    print(f"{wl.key} ({wl.describe()}), median µs per step (cpu time):")
    for name, us in results.items():
        print(f"  {name:18} {us:9.1f}  {us / base:5.2f}× numpy manual")
    return 0


if __name__ == "__main__":
    sys.exit(main())
