"""Check analytic gradients against central finite differences, element by element.

For f: inputs -> output and an upstream gradient v (random unless given), the
analytic gradient of ⟨v, f⟩ from `backward` is compared with
(⟨v, f(x + εeᵢ)⟩ − ⟨v, f(x − εeᵢ)⟩) / 2ε for every element i of every input.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from autograd.grad_mode import no_grad
from autograd.tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by `gradcheck` when analytic and numerical gradients disagree."""


@dataclass
class GradcheckResult:
    """One failing input: its worst element and the errors there."""
    input_index: int
    name: str | None
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float

    def __str__(self) -> str:
        label = f"input {self.input_index}" + (f" ({self.name})" if self.name else "")
        return (f"{label}: worst element {self.worst_index}: analytic {self.analytic:.10g}, "
                f"numeric {self.numeric:.10g}, abs error {self.abs_error:.3g}, rel error {self.rel_error:.3g}")


def _scalar_objective(fn: Callable[..., Tensor], inputs: Sequence[Tensor], v: np.ndarray | None) -> float:
    out = fn(*inputs)
    data = out.data if isinstance(out, Tensor) else np.asarray(out)
    return float(np.sum(data * v)) if v is not None else float(np.sum(data))


def numerical_grad(fn: Callable[..., Tensor], *inputs: Any, eps: float = 1e-6,
                   grad: Any = None) -> list[np.ndarray | None]:
    """Central-difference gradient of sum(grad ⊙ fn(*inputs)) w.r.t. every input.

    `grad` defaults to ones (the gradient of `fn(...).sum()`). Tensor inputs are
    perturbed in place and restored; one array per input is returned (None for
    inputs that are not Tensors, such as targets passed as plain arrays).
    """
    v = None if grad is None else np.asarray(grad.data if isinstance(grad, Tensor) else grad)
    results: list[np.ndarray | None] = []
    with no_grad():
        for t in inputs:
            if not isinstance(t, Tensor):
                results.append(None)
                continue
            g = np.zeros(t.data.shape, dtype=np.float64)
            flat = t.data.reshape(-1)  # a view: perturbations reach fn
            if not np.shares_memory(flat, t.data):
                raise ValueError("numerical_grad: input data must be contiguous to be perturbed in place")
            gflat = g.reshape(-1)
            for i in range(flat.size):
                orig = flat[i]
                flat[i] = orig + eps
                plus = _scalar_objective(fn, inputs, v)
                flat[i] = orig - eps
                minus = _scalar_objective(fn, inputs, v)
                flat[i] = orig
                gflat[i] = (plus - minus) / (2 * eps)
            results.append(g.astype(t.data.dtype, copy=False))
    return results


def gradcheck(fn: Callable[..., Tensor], *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4, grad: Any = None, seed: int | None = 0,
              raise_exception: bool = True) -> bool:
    """True when backward's gradients match central differences for every input needing grad.

    The upstream gradient is `grad` or, by default, a random normal array
    (seeded), so every output element is weighted differently. On failure,
    raises `GradcheckError` (or returns False) with a report naming the input,
    the worst index, both values and the errors.
    """
    tensors_ = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not tensors_:
        raise ValueError("gradcheck: no input requires grad; pass tensors with requires_grad=True")
    if any(t.data.dtype != np.float64 for t in tensors_):
        warnings.warn("gradcheck: inputs are not float64; finite differences in low precision "
                      "are unreliable (use dtype=np.float64)", stacklevel=2)
    out = fn(*inputs)
    v = (np.random.default_rng(seed).standard_normal(out.shape) if grad is None
         else np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=np.float64))
    v = v.astype(out.data.dtype, copy=False)
    saved = [t.grad for t in tensors_]
    for t in tensors_:
        t.grad = None
    try:
        out.backward(v)
        analytic = [np.zeros(t.shape) if t.grad is None else np.array(t.grad, dtype=np.float64)
                    for t in tensors_]
    finally:
        for t, s in zip(tensors_, saved):
            t.grad = s
    numeric = numerical_grad(fn, *inputs, eps=eps, grad=v)
    by_input = {id(t): n for t, n in zip(inputs, numeric)}
    failures = []
    for t, a in zip(tensors_, analytic):
        n = by_input[id(t)].astype(np.float64)
        err = np.abs(a - n)
        bad = err > atol + rtol * np.abs(n)
        if bad.any() or not np.isfinite(a).all():
            i = np.unravel_index(int(np.argmax(np.where(np.isfinite(err), err, np.inf))), a.shape)
            index = next(k for k, x in enumerate(inputs) if x is t)  # identity: Tensor == is elementwise
            failures.append(GradcheckResult(
                index, t.name, tuple(int(k) for k in i), float(a[i]), float(n[i]),
                float(err[i]), float(err[i] / max(abs(n[i]), 1e-300))))
    if failures:
        if raise_exception:
            raise GradcheckError("gradcheck: analytic and numerical gradients differ "
                                 f"(atol={atol}, rtol={rtol}, eps={eps}):\n  "
                                 + "\n  ".join(str(f) for f in failures))
        return False
    return True
