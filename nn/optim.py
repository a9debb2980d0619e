"""Optimizers (SGD, Adam, AdamW, RMSprop) and learning-rate schedules.

Updates follow PyTorch's single-tensor implementations operation for
operation, so float64 trajectories agree with `torch.optim` to rounding.
Steps update `.data` in place, record no graph and never modify `.grad`.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np

from autograd import Tensor


class Optimizer:
    """Holds the parameters, their per-parameter state, and the hyper-parameters."""

    def __init__(self, params: Iterable[Tensor], lr: float, **hyper: Any) -> None:
        if hasattr(params, "parameters") and callable(params.parameters):
            params = params.parameters()
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, Tensor) or not p.requires_grad:
                raise TypeError(f"{type(self).__name__}: parameter {i} is not a Tensor that requires grad")
        if not (isinstance(lr, (int, float)) and lr > 0 and math.isfinite(lr)):
            raise ValueError(f"{type(self).__name__}: lr must be a positive number, got {lr!r}")
        for k, v in hyper.items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0:
                raise ValueError(f"{type(self).__name__}: {k} must be >= 0, got {v}")
        self.lr = float(lr)
        self.initial_lr = self.lr
        self.hyper = hyper
        self.state: list[dict[str, Any]] = [{} for _ in self.params]
        self.step_count = 0

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Apply one update to every parameter that has a gradient."""
        self.step_count += 1
        # The updates work on the arrays (.data) in place, so no graph can be recorded.
        for p, state in zip(self.params, self.state):
            if p.grad is not None:
                self._update(p.data, p.grad, state)

    def _update(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> None:
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        return {"lr": self.lr, "initial_lr": self.initial_lr, "hyper": dict(self.hyper),
                "step_count": self.step_count,
                "state": [{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                          for s in self.state]}

    def load_state_dict(self, sd: dict[str, Any]) -> None:
        if len(sd["state"]) != len(self.params):
            raise ValueError(f"{type(self).__name__}.load_state_dict: state has {len(sd['state'])} "
                             f"entries but the optimizer has {len(self.params)} parameters")
        self.lr, self.initial_lr = sd["lr"], sd["initial_lr"]
        self.hyper = dict(sd["hyper"])
        self.step_count = sd["step_count"]
        self.state = [{k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
                      for s in sd["state"]]

    def __repr__(self) -> str:
        hp = ", ".join(f"{k}={v}" for k, v in self.hyper.items())
        return f"{type(self).__name__}(lr={self.lr}{', ' + hp if hp else ''})"


class SGD(Optimizer):
    """w ← w − lr·d with d = g + λw; momentum: b ← μb + d (b = d at first), d = b (or d + μb, Nesterov)."""

    def __init__(self, params: Iterable[Tensor], lr: float, momentum: float = 0.0,
                 nesterov: bool = False, weight_decay: float = 0.0, dampening: float = 0.0) -> None:
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov needs momentum > 0 and dampening = 0")
        super().__init__(params, lr, momentum=momentum, nesterov=nesterov,
                         weight_decay=weight_decay, dampening=dampening)

    def step(self) -> None:
        h = self.hyper
        if h["momentum"] or h["weight_decay"]:
            return super().step()
        self.step_count += 1
        lr = None   # the learning rate as a 0-d array of the parameters' dtype
        for p in self.params:   # plain SGD, the common case: w ← w − lr·g
            g = p.grad
            if g is not None:
                w = p.data
                if lr is None or lr.dtype is not w.dtype:
                    lr = np.asarray(self.lr, dtype=w.dtype)   # 0-d: float32 weights stay float32
                _subtract_scaled(w, lr, g)

    def _update(self, w, g, state):
        h = self.hyper
        d = g + h["weight_decay"] * w if h["weight_decay"] else g
        mu = h["momentum"]
        if mu:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(d, copy=True)
            else:
                buf *= mu
                buf += (1 - h["dampening"]) * d
            d = d + mu * buf if h["nesterov"] else buf
        w -= self.lr * d


_CHUNK = 1 << 16   # elements per pass of _subtract_scaled (512 KiB in float64)


def _subtract_scaled(w: np.ndarray, lr: np.ndarray, g: np.ndarray) -> None:
    """w −= lr·g in place, with a temporary of at most _CHUNK elements (no full-size lr·g)."""
    if w.size <= _CHUNK or not (w.flags.c_contiguous and g.flags.c_contiguous):
        w -= lr * g
        return
    wf, gf = w.reshape(-1), g.reshape(-1)
    for i in range(0, wf.size, _CHUNK):
        wf[i:i + _CHUNK] -= lr * gf[i:i + _CHUNK]


class Adam(Optimizer):
    """m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − lr·m̂ / (√v̂ + ε) with bias corrections."""

    decoupled = False

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0) -> None:
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"{type(self).__name__}: betas must lie in [0, 1), got {betas}")
        super().__init__(params, lr, beta1=b1, beta2=b2, eps=eps, weight_decay=weight_decay)

    def _update(self, w, g, state):
        h = self.hyper
        if h["weight_decay"]:
            if self.decoupled:
                w *= 1 - self.lr * h["weight_decay"]
            else:
                g = g + h["weight_decay"] * w
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(w)
            state["exp_avg_sq"] = np.zeros_like(w)
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        b1, b2 = h["beta1"], h["beta2"]
        m += (1 - b1) * (g - m)          # torch: exp_avg.lerp_(grad, 1 - beta1)
        v *= b2
        v += (1 - b2) * (g * g)
        step_size, bias_correction2_sqrt = self._corrections(t)
        denom = np.sqrt(v) / bias_correction2_sqrt + h["eps"]
        w -= step_size * (m / denom)

    def _corrections(self, t: int) -> tuple[float, float]:
        """lr / (1 − β₁ᵗ) and √(1 − β₂ᵗ), the numbers of step t (a compiled step takes them as arguments)."""
        h = self.hyper
        return self.lr / (1 - h["beta1"] ** t), math.sqrt(1 - h["beta2"] ** t)


class AdamW(Adam):
    """Adam with decoupled weight decay: w ← w(1 − lr·λ) before the Adam step."""

    decoupled = True

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.01) -> None:
        super().__init__(params, lr, betas, eps, weight_decay)


class RMSprop(Optimizer):
    """s ← αs + (1−α)g², w ← w − lr·g / (√s + ε)  (optionally with momentum)."""

    def __init__(self, params: Iterable[Tensor], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0) -> None:
        super().__init__(params, lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)

    def _update(self, w, g, state):
        h = self.hyper
        if h["weight_decay"]:
            g = g + h["weight_decay"] * w
        if not state:
            state["square_avg"] = np.zeros_like(w)
            if h["momentum"]:
                state["momentum_buffer"] = np.zeros_like(w)
        s = state["square_avg"]
        s *= h["alpha"]
        s += (1 - h["alpha"]) * (g * g)
        avg = np.sqrt(s) + h["eps"]
        if h["momentum"]:
            buf = state["momentum_buffer"]
            buf *= h["momentum"]
            buf += g / avg
            w -= self.lr * buf
        else:
            w -= self.lr * (g / avg)


OPTIMIZERS = {"sgd": SGD, "adam": Adam, "adamw": AdamW, "rmsprop": RMSprop}


# -- schedules --------------------------------------------------------------------
class LRScheduler:
    """Sets `optimizer.lr` from the epoch count; call `step()` once per epoch."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.initial_lr
        self.epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> float:
        self.epoch += 1
        self.optimizer.lr = self.lr_at(self.epoch)
        return self.optimizer.lr

    def get_last_lr(self) -> float:
        return self.optimizer.lr


class InverseTimeDecay(LRScheduler):
    """lr = lr₀ / (1 + k · epoch)  (seed 002's learning-rate decay)."""

    def __init__(self, optimizer: Optimizer, decay: float) -> None:
        if decay < 0:
            raise ValueError(f"InverseTimeDecay: decay must be >= 0, got {decay}")
        super().__init__(optimizer)
        self.decay = decay

    def lr_at(self, epoch: int) -> float:
        return self.base_lr / (1 + self.decay * epoch)


class StepLR(LRScheduler):
    """lr = lr₀ · γ^⌊epoch / step_size⌋."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr = lr₀ · γ^epoch."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        if gamma <= 0:
            raise ValueError(f"ExponentialLR: gamma must be > 0, got {gamma}")
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** epoch
