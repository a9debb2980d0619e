"""nn.compile_step: one training step (forward, loss, backward, optimizer update) as generated NumPy code.

`compile_step(model, loss_fn, optimizer)` traces `loss_fn(model(x), y)`,
`loss.backward()` and the optimizer's own update once (`autograd.compile`)
and returns a `CompiledStep`: calling it with a batch does what the eager loop
`zero_grad(); loss = loss_fn(model(x), y); loss.backward(); optimizer.step()`
does, with the same NumPy calls in the same order (so the same numbers), and
returns the loss. The optimizer's state arrays and its per-step numbers (the
learning rate, Adam's bias corrections) are arguments of the generated code,
so schedulers and `state_dict` keep working and eager and compiled steps can
be mixed. Parameters' `.grad` is not written (the gradients live inside the
compiled step).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from autograd import Tensor, as_tensor
from autograd.compiler import Compiled
from autograd.tracer import Recorder, TracedScalar, Var
from nn.module import Module
from nn.optim import SGD, Adam, Optimizer


def _rule(optimizer: Optimizer) -> str:
    doc = (type(optimizer).__doc__ or "").strip().split("\n")[0].rstrip(".")
    return f"{type(optimizer).__name__}: {doc}"


def _init_state(optimizer: Optimizer) -> None:
    """Create each parameter's optimizer state now (zeros), as the first eager step would.

    Momentum buffers start at zero rather than at the first gradient: μ·0 + g = g,
    so the first update is the same number either way (which is why dampening,
    where PyTorch's first step skips the (1 − dampening) factor, is refused).
    """
    if isinstance(optimizer, SGD) and optimizer.hyper["momentum"] and optimizer.hyper["dampening"]:
        raise ValueError("compile_step: SGD with dampening cannot be compiled (its first step differs "
                         "from the later ones); use dampening=0 or the eager loop")
    for p, state in zip(optimizer.params, optimizer.state):
        if state:
            continue
        optimizer._update(p.data.copy(), np.zeros_like(p.data), state)   # creates the state's arrays
        for k, v in state.items():
            if isinstance(v, np.ndarray):
                v[...] = 0
            elif k == "step":
                state[k] = 0


def _refuse_random_layers(model: Module) -> None:
    """A traced step would freeze a random draw (a dropout mask) into a constant: refuse it."""
    from nn.layers import Dropout
    for name, m in model.named_modules():
        if isinstance(m, Dropout) and m.training and m.p > 0:
            raise ValueError(f"compile_step: {name or 'the model'} is Dropout(p={m.p}) in training mode; a "
                             "compiled step would reuse one mask forever; call model.eval() or drop the layer")


class _OptimizerArguments:
    """The optimizer's state arrays and per-step numbers, as arguments of the generated code."""

    def __init__(self, optimizer: Optimizer, names: dict[int, str]) -> None:
        self.opt, self.names = optimizer, names
        self._saved: tuple | None = None

    def declare(self, rec: Recorder) -> list[Var]:
        """Install proxies for the trace: state arrays, `lr` and Adam's corrections."""
        opt = self.opt
        self._saved = (opt.state, opt.lr)
        out: list[Var] = []
        traced_states = []
        for p, state in zip(opt.params, opt.state):
            traced = {}
            for k, v in state.items():
                if isinstance(v, np.ndarray):
                    var = Var(f"{self.names[id(p)]}_{k}", named=True)
                    out.append(var)
                    v = rec.wrap(v.copy(), var)
                traced[k] = v
            traced_states.append(traced)
        opt.state = traced_states
        scalars = self._scalars()
        traced_scalars = {}
        for k, v in scalars.items():
            var = Var(k, named=True)
            out.append(var)
            traced_scalars[k] = TracedScalar(v, var, rec)
        opt.lr = traced_scalars["lr"]
        if isinstance(opt, Adam):
            opt._corrections = lambda t: (traced_scalars["step_size"], traced_scalars["bias_correction2_sqrt"])
        return out

    def restore(self) -> None:
        if self._saved is not None:
            self.opt.state, self.opt.lr = self._saved
            self.opt.__dict__.pop("_corrections", None)
            self._saved = None

    def _scalars(self) -> dict[str, float]:
        opt = self.opt
        out = {"lr": float(opt.lr)}
        if isinstance(opt, Adam):
            t = next((s["step"] for s in opt.state if "step" in s), 0) + 1
            out["step_size"], out["bias_correction2_sqrt"] = opt._corrections(t)
        return out

    def values(self) -> list[Any]:
        arrays = [v for state in self.opt.state for v in state.values() if isinstance(v, np.ndarray)]
        return arrays + list(self._scalars().values())

    def advance(self) -> None:
        """The bookkeeping of one eager `optimizer.step()` (counters)."""
        self.opt.step_count += 1
        for state in self.opt.state:
            if "step" in state:
                state["step"] += 1


class CompiledStep:
    """A compiled training step: `step(x, y) -> loss` (a Tensor); `.source` is the NumPy code."""

    def __init__(self, model: Module, loss_fn: Callable[[Tensor, Any], Tensor], optimizer: Optimizer,
                 name: str = "train_step") -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        names = {id(p): n for n, p in model.named_parameters()}
        missing = [i for i, p in enumerate(optimizer.params) if id(p) not in names]
        if missing:
            raise ValueError(f"compile_step: optimizer parameter(s) {missing} are not parameters of the model; "
                             "build the optimizer from model.parameters()")
        _refuse_random_layers(model)
        _init_state(optimizer)
        self._args = _OptimizerArguments(optimizer, names)
        self._compiled = Compiled(self._traced_step, params=model, name=name, extra=self._args, grads=False)

    def _traced_step(self, x: Tensor, y: Tensor) -> Tensor:
        loss = self.loss_fn(self.model(x), y)
        loss.backward()
        rec = x.data.rec
        rec.section, rec.comment = "update", _rule(self.optimizer)
        opt = self.optimizer
        for p, state in zip(opt.params, opt.state):
            if p.grad is not None:
                opt._update(p.data, p.grad, state)
        return loss

    def _batch(self, x: Any, y: Any) -> tuple[Tensor, Tensor]:
        if not isinstance(x, Tensor):
            x = as_tensor(np.asarray(x, dtype=self.model.dtype or np.float64))
        return x, (y if isinstance(y, Tensor) else as_tensor(y))

    def __call__(self, x: Any, y: Any) -> Tensor:
        loss = self._compiled(*self._batch(x, y))
        self._args.advance()
        return loss

    @property
    def source(self) -> str:
        """The readable NumPy code of the step (after the first call)."""
        return self._compiled.source

    @property
    def compile_seconds(self) -> float:
        return self._compiled.compile_seconds

    def trace(self, x: Any, y: Any) -> "CompiledStep":
        """Trace on an example batch without training (so `.source` is available)."""
        self._compiled.trace(*self._batch(x, y))
        return self


def compile_step(model: Module, loss_fn: Callable[[Tensor, Any], Tensor], optimizer: Optimizer,
                 name: str = "train_step") -> CompiledStep:
    """One training step of `model` traced to NumPy code (see the module docstring).

    `step = nn.compile_step(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1))`,
    then `loss = step(X, y)` per batch. A batch of a new shape traces again.
    """
    return CompiledStep(model, loss_fn, optimizer, name)
