"""Functional transforms of plain NumPy functions: grad, value_and_grad, jacobian, hessian.

As in HIPS autograd and JAX: `grad(f)` is a new function that returns the
gradient of `f` at its arguments. `f` takes NumPy arrays (or Python numbers)
and uses NumPy functions or Tensor methods; it is called once with Tensors in
place of the differentiated arguments (NumPy dispatch builds the graph), and
the results come back as NumPy arrays of each argument's shape.

They compose — `grad(grad(f))`, `jacobian(grad(f))`, a function that calls
`grad` inside — because an inner transform called while an outer one is
tracing records its own backward pass (`gradients(..., create_graph=True)`)
and hands Tensors back to the outer one.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, Sequence

import numpy as np

from autograd import creation
from autograd.engine import gradients
from autograd.tensor import Tensor, as_tensor

ArgNums = int | Sequence[int]


class _Depth(threading.local):
    value = 0   # transforms tracing in this thread: > 0 means an outer one may need our graph


_DEPTH = _Depth()


def grad(fun: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The gradient of a scalar-valued `fun` with respect to argument(s) `argnums`.

    >>> grad(lambda x: np.sum(np.tanh(x) ** 2))(np.array([0.5, -1.0]))  # doctest: +SKIP
    """
    @functools.wraps(fun)
    def grad_fun(*args: Any, **kwargs: Any) -> Any:
        return _value_and_grad(fun, argnums, args, kwargs, "grad")[1]
    return grad_fun


def value_and_grad(fun: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., tuple[Any, Any]]:
    """`fun`'s value and its gradient (like `jax.value_and_grad`), from one forward pass."""
    @functools.wraps(fun)
    def vg_fun(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        return _value_and_grad(fun, argnums, args, kwargs, "value_and_grad")
    return vg_fun


def jacobian(fun: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """d fun(x) / dx, of shape `fun(x).shape + x.shape` (one backward pass per output element)."""
    @functools.wraps(fun)
    def jac_fun(*args: Any, **kwargs: Any) -> Any:
        with _Tracing(args, argnums) as tr:
            out = tr.call(fun, kwargs)
            rows = [gradients(out, tr.inputs, grad_output=_basis(out, i), create_graph=tr.nested)
                    if out.requires_grad else tuple(tr.zeros()) for i in range(out.data.size)]
            jacs = [_assemble(out, [r[k] for r in rows], x, tr.nested) for k, x in enumerate(tr.inputs)]
            return tr.result(jacs)
    return jac_fun


def hessian(fun: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
    """The matrix of second derivatives of a scalar `fun`: `jacobian(grad(fun))`,
    of shape `x.shape + x.shape`."""
    return jacobian(grad(fun, argnums), argnums)


# -- the machinery -------------------------------------------------------------------------
def _value_and_grad(fun: Callable[..., Any], argnums: ArgNums, args: tuple, kwargs: dict,
                    name: str) -> tuple[Any, Any]:
    with _Tracing(args, argnums) as tr:
        out = tr.call(fun, kwargs)
        if out.data.size != 1:
            raise ValueError(f"{name}: fun must return a scalar (one element), got shape {out.shape}; "
                             "use jacobian for vector-valued functions")
        if out.requires_grad:
            grads = gradients(out, tr.inputs, create_graph=tr.nested)
        else:                      # the output does not depend on the arguments
            grads = tuple(tr.zeros())
        value = out if tr.nested else _scalar(out.data)
        return value, tr.result(grads)


class _Tracing:
    """The differentiated arguments as fresh graph nodes, for one call of `fun`."""

    def __init__(self, args: tuple, argnums: ArgNums) -> None:
        self.single = isinstance(argnums, int)
        self.argnums = (argnums,) if self.single else tuple(argnums)
        for i in self.argnums:
            if not isinstance(i, int) or not -len(args) <= i < len(args):
                raise ValueError(f"argnums: {i!r} is not a position among the {len(args)} argument(s)")
        self.args = list(args)
        # Nested inside another transform (or given its Tensors): hand Tensors back, with a graph.
        self.nested = _DEPTH.value > 0 or any(isinstance(a, Tensor) and a.requires_grad for a in args)
        self.numbers = [not isinstance(args[i], (np.ndarray, Tensor)) for i in self.argnums]
        self.inputs = [self._leaf(args[i], i) for i in self.argnums]
        for i, x in zip(self.argnums, self.inputs):
            self.args[i] = x

    @staticmethod
    def _leaf(x: Any, i: int) -> Tensor:
        if isinstance(x, Tensor):
            # A new node: d/d(this) is not confused with other uses of x in an outer function.
            return x.copy() if x.requires_grad else Tensor(x.data, requires_grad=True)
        arr = np.asarray(x)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"argument {i}: expected numbers, got dtype {arr.dtype}")
        return Tensor(arr if arr.dtype.kind == "f" else arr.astype(np.float64), requires_grad=True)

    def __enter__(self) -> "_Tracing":
        _DEPTH.value += 1
        return self

    def __exit__(self, *exc: object) -> None:
        _DEPTH.value -= 1

    def call(self, fun: Callable[..., Any], kwargs: dict) -> Tensor:
        out = fun(*self.args, **kwargs)
        return out if isinstance(out, Tensor) else as_tensor(np.asarray(out, dtype=np.float64))

    def zeros(self) -> list[Any]:
        return [np.zeros(x.shape, x.dtype) for x in self.inputs]

    def result(self, values: Sequence[Any]) -> Any:
        """Arrays (Python-number arguments get NumPy scalars), or Tensors when nested."""
        if not self.nested:
            values = [_scalar(v) if number else _array(v) for v, number in zip(values, self.numbers)]
        return values[0] if self.single else tuple(values)


def _array(v: Any) -> np.ndarray:
    return v.data if isinstance(v, Tensor) else np.asarray(v)


def _scalar(v: Any) -> Any:
    arr = _array(v)
    return arr.reshape(()).item() if arr.size == 1 and arr.ndim == 0 else arr


def _basis(out: Tensor, i: int) -> np.ndarray:
    e = np.zeros(out.data.size, dtype=out.data.dtype)
    e[i] = 1
    return e.reshape(out.shape)


def _assemble(out: Tensor, rows: list[Any], x: Tensor, nested: bool) -> Any:
    """Stack per-output-element gradients into shape out.shape + x.shape."""
    shape = out.shape + x.shape
    if nested:
        return creation.stack([as_tensor(r) for r in rows]).reshape(shape)
    return np.stack([np.asarray(r) for r in rows]).reshape(shape)
