"""`mlpgrad compile`: write the generated NumPy training step of a CLI-built network as a module.

The module (`--out step.py`) holds the traced `train_step(...)` and a `main()`
that loads the data and initial weights from the `.npz` written beside it and
trains; it imports only NumPy (`python step.py` runs it).
"""
from __future__ import annotations

import argparse
import os
from typing import Any, Callable

import numpy as np

OPTIMIZERS = ("sgd", "momentum", "adam")

_MAIN = '''

def main(steps={steps}, every={every}):
    """Train from the weights and data in {npz}: {opt_text}."""
    import os
    data = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), {npz!r}))
    x, y = data["x"], data["y"]
    arrays = [data[f"a{{i}}"].copy() for i in range({n_arrays})]   # parameters, then optimizer state
    lr = {lr!r}
    for t in range(1, steps + 1):
{scalars}        loss = train_step(x, y, *arrays, {scalar_args})[0]
        if t == 1 or t % every == 0:
            print(f"step {{t}}: loss {{float(loss):.6f}}")
    return arrays


if __name__ == "__main__":
    main()
'''


def add_parser(sub: Any, data_args: Callable, network_args: Callable, losses: Any) -> None:
    """Register `mlpgrad compile` (the CLI's data and network options, plus the optimizer)."""
    c = sub.add_parser("compile", help="write the generated NumPy training step of an MLP as a module")
    c.add_argument("--dataset", default="moons", help="a built-in dataset name, or a CSV path")
    data_args(c, 200, "number of rows: generated for a built-in dataset, the first N of a CSV")
    network_args(c, losses, "16,8", "relu")
    c.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS, help="the update in the step")
    c.add_argument("--lr", type=float, default=0.1, help="learning rate")
    c.add_argument("--out", default="out/step.py", help="the module to write (data and weights go beside "
                                                        "it as .npz)")


def run(args: argparse.Namespace, model: Any, loss: str, X: np.ndarray, y: np.ndarray,
        usage_error: type[Exception]) -> int:
    """Trace the network's step and write the module and its .npz; print what was written."""
    import nn
    from nn.compare import autograd_loss
    if not args.out.endswith(".py"):
        raise usage_error(f"--out {args.out!r} must name a .py file")
    if not (args.lr > 0 and np.isfinite(args.lr)):
        raise usage_error(f"--lr must be a positive number, got {args.lr}")
    params = model.parameters()
    opt = {"sgd": lambda: nn.optim.SGD(params, lr=args.lr),
           "momentum": lambda: nn.optim.SGD(params, lr=args.lr, momentum=0.9),
           "adam": lambda: nn.optim.Adam(params, lr=args.lr)}[args.optimizer]()
    X = np.asarray(X, dtype=model.dtype)
    step = nn.compile_step(model, autograd_loss(loss, model), opt).trace(X, y)
    state = [v for s in opt.state for v in s.values() if isinstance(v, np.ndarray)]
    arrays = [p.data for p in params] + state
    stem = os.path.splitext(os.path.basename(args.out))[0]
    npz = f"{stem}.npz"
    folder = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(folder, exist_ok=True)
    y_arr = np.asarray(y.data if hasattr(y, "data") else y)
    np.savez(os.path.join(folder, npz), x=X, y=y_arr, **{f"a{i}": a for i, a in enumerate(arrays)})
    if args.optimizer == "adam":
        b1, b2 = opt.hyper["beta1"], opt.hyper["beta2"]
        scalars = (f"        step_size = lr / (1 - {b1!r} ** t)   # Adam's bias corrections of step t\n"
                   f"        bias_correction2_sqrt = math.sqrt(1 - {b2!r} ** t)\n")
        scalar_args = "lr, step_size, bias_correction2_sqrt"
    else:
        scalars, scalar_args = "", "lr"
    text = step.source + _MAIN.format(steps=200, every=50, npz=npz, n_arrays=len(arrays), lr=args.lr,
                                      opt_text=f"{args.optimizer}, lr {args.lr}", scalars=scalars,
                                      scalar_args=scalar_args)
    with open(args.out, "w") as f:
        f.write(text)
    print(f"mlpgrad compile: wrote {args.out} ({len(text.splitlines())} lines; run: python {args.out}) "
          f"and {os.path.join(os.path.dirname(args.out), npz)}; traced in {step.compile_seconds * 1000:.0f} ms")
    return 0
