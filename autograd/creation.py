"""Tensor factories and n-ary functions: zeros, ones, randn, rand, concatenate, stack, where."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from autograd import ops
from autograd.tensor import ArrayLike, Tensor, tensors


def _shape(shape: tuple) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def make_rng(seed: int | None = None, rng: np.random.Generator | None = None) -> np.random.Generator:
    """The generator to draw from: `rng` itself, or `np.random.default_rng(seed)`."""
    if rng is not None and seed is not None:
        raise ValueError("pass either seed= or rng=, not both")
    return rng if rng is not None else np.random.default_rng(seed)


def zeros(*shape: int, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros, e.g. `zeros(3, 4)` or `zeros((3, 4))`."""
    return Tensor(np.zeros(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def ones(*shape: int, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return Tensor(np.ones(_shape(shape), dtype=dtype), requires_grad=requires_grad)


def randn(*shape: int, seed: int | None = None, rng: np.random.Generator | None = None,
          dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from `np.random.default_rng(seed)` (or the given `rng`)."""
    data = make_rng(seed, rng).standard_normal(_shape(shape)).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape: int, seed: int | None = None, rng: np.random.Generator | None = None,
         dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1)."""
    data = make_rng(seed, rng).random(_shape(shape)).astype(dtype, copy=False)
    return Tensor(data, requires_grad=requires_grad)


def concatenate(xs: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (np.concatenate)."""
    return ops.Concatenate.apply(*tensors(xs), axis=axis)


def stack(xs: Sequence[ArrayLike], axis: int = 0) -> Tensor:
    """Join equal-shaped tensors along a new axis (np.stack)."""
    return ops.Stack.apply(*tensors(xs), axis=axis)


def where(cond: ArrayLike, a: ArrayLike, b: ArrayLike) -> Tensor:
    """Elementwise `a if cond else b`, broadcasting all three (np.where)."""
    cond_arr = np.asarray(cond.data if isinstance(cond, Tensor) else cond).astype(bool, copy=False)
    x, y = tensors([a, b])
    return ops.Where.apply(x, y, cond=cond_arr)
