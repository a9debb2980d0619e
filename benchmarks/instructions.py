#!/usr/bin/env python3
"""Instructions per step, counted by valgrind (callgrind): a steady measure on a busy machine.

    python benchmarks/instructions.py                 # W7 step and a 4,000-op chain, this checkout
    python benchmarks/instructions.py --what step --workload W1
    PYTHONPATH=/tmp/variant python benchmarks/instructions.py --what chain-forward

Timings on a shared 2-core box move by 10–30 %; the number of instructions a
step executes moves by about 1–3 %, so it can tell a 5 % change in Python
overhead apart (it does not see cache or branch effects: confirm a win with
`run.py`). Each measurement runs the step n and m times in fresh processes and
reports (count(m) − count(n)) / (m − n), so start-up and first-call costs
cancel. Needs `valgrind` (Debian package valgrind).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# One step of each measured thing; `n` is the number of repetitions (argv[1] of the child).
_SETUP = {
    "step": """
from benchmarks import workloads as W
import nn
from autograd import Tensor
wl = W.WORKLOADS[{workload!r}]
X, y = wl.data()
model = nn.MLP(list(wl.sizes), activations=list(wl.activations), dtype=wl.dtype, seed=0)
loss_fn = W._mlpgrad_loss(wl, model)
opt = nn.optim.SGD(model.parameters(), lr=wl.lr)
Xt, yt = Tensor(X), (y if wl.loss == "ce" else Tensor(y))
def step():
    opt.zero_grad(); loss_fn(model(Xt), yt).backward(); opt.step()
""",
    "chain": """
import numpy as np
from autograd import Tensor
x0 = np.random.default_rng(0).random(10)
def step(backward=True):
    x = Tensor(x0, requires_grad=True); y = x
    for _ in range(2000):
        y = y.tanh(); y = y * 1.01
    if backward:
        y.sum().backward()
""",
}
_SETUP["chain-forward"] = _SETUP["chain"] + "_step = step\nstep = lambda: _step(backward=False)\n"
_RUN = "import os, sys\nsys.path.append({root!r})\n{setup}\nfor _ in range(int(sys.argv[1])):\n    step()\n"
_STEPS = {"step": (20, 420), "chain": (1, 6), "chain-forward": (1, 6)}


def child_code(what: str, workload: str = "W7") -> str:
    """The program whose instructions are counted (argv[1]: how many steps)."""
    return _RUN.format(root=_ROOT, setup=_SETUP[what].replace("{workload!r}", repr(workload)))


def count(what: str, repeats: int, workload: str = "W7") -> int:
    code = child_code(what, workload)
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
                          sys.executable, "-c", code, str(repeats)],
                         capture_output=True, text=True, check=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
    return int(re.search(r"Collected : (\d+)", out.stderr).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--what", choices=sorted(_SETUP), action="append",
                        help="what to count (repeatable; default: step and chain)")
    parser.add_argument("--workload", default="W7", help="the MLP workload of `step` (default W7)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("instructions.py: valgrind is not installed (apt-get install valgrind)")
    for what in args.what or ["step", "chain"]:
        n, m = _STEPS[what]
        per_step = (count(what, m, args.workload) - count(what, n, args.workload)) / (m - n)
        label = f"{args.workload} step" if what == "step" else what
        print(f"{label}: {per_step / 1e6:.3f} M instructions per step")


if __name__ == "__main__":
    main()
