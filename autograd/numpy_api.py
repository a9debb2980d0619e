"""NumPy speaks Tensor: NumPy's own functions on Tensors record the same ops as the methods.

`Tensor` implements NumPy's dispatch protocols — `__array_ufunc__` (NEP 13) for
ufuncs such as `np.exp` or `np.maximum`, `__array_function__` (NEP 18) for
functions such as `np.dot` or `np.mean` — so a learner's unchanged NumPy code,
given Tensors, builds a graph. This module is only a table from NumPy's names
to Tensor methods and ops: no derivative is written here.

Three kinds of entries:
- differentiable: the result is a Tensor in the graph (`UFUNCS`, `FUNCTIONS`);
- piecewise constant (comparisons, `np.sign`, `np.floor`, ...): a Tensor that
  does not require grad, because the derivative is 0 almost everywhere (as in
  PyTorch);
- about the values, not of them (`np.argmax`, `np.shape`, `np.zeros_like`,
  ...): plain NumPy results computed from the data.
Anything else raises TypeError naming the function: a NumPy call never
silently returns an ndarray that has dropped the graph.
"""
from __future__ import annotations

import operator
from typing import Any, Callable

import numpy as np

from autograd import creation, ops
from autograd.function import _new_tensor, raw
from autograd.tensor import Tensor, tensors


def _binary(method: str, reflected: str) -> Callable[[Any, Any], Tensor]:
    """`a <op> b` through the Tensor operand's own operator method."""
    def apply(a: Any, b: Any) -> Tensor:
        if isinstance(a, Tensor):
            return getattr(a, method)(b)
        return getattr(b, reflected)(a)
    return apply


def _op(cls: type) -> Callable[..., Tensor]:
    return lambda *xs: cls.apply(*tensors(xs))


UFUNCS: dict[np.ufunc, Callable[..., Tensor]] = {
    np.add: _binary("__add__", "__radd__"),
    np.subtract: _binary("__sub__", "__rsub__"),
    np.multiply: _binary("__mul__", "__rmul__"),
    np.divide: _binary("__truediv__", "__rtruediv__"),   # np.true_divide is np.divide
    np.power: _binary("__pow__", "__rpow__"),
    np.matmul: _binary("__matmul__", "__rmatmul__"),
    np.maximum: _op(ops.Maximum),
    np.minimum: _op(ops.Minimum),
    np.negative: operator.neg,
    np.positive: operator.pos,
    np.square: lambda x: x ** 2,
    np.reciprocal: lambda x: 1 / x,
    np.sqrt: Tensor.sqrt,
    np.exp: Tensor.exp,
    np.expm1: _op(ops.Expm1),
    np.log: Tensor.log,
    np.log1p: _op(ops.Log1p),
    np.absolute: Tensor.abs,
    np.sin: Tensor.sin,
    np.cos: Tensor.cos,
    np.tanh: Tensor.tanh,
}

# Piecewise constant: a result that does not require grad (derivative 0 almost everywhere).
CONSTANT_UFUNCS = {
    np.greater, np.greater_equal, np.less, np.less_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_xor, np.logical_not,
    np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert,
    np.isnan, np.isinf, np.isfinite, np.signbit, np.sign, np.floor, np.ceil, np.rint, np.trunc,
}

_REDUCE = {np.add: "sum", np.maximum: "max", np.minimum: "min"}

# Keyword arguments of a ufunc call that may appear with their default value only.
_UFUNC_DEFAULTS = {"casting": "same_kind", "order": "K", "dtype": None, "subok": True,
                   "signature": None, "where": True}


def _name(func: Any) -> str:
    module = getattr(func, "__module__", None) or "numpy"
    prefix = "np" + module[len("numpy"):] if module.startswith("numpy") else module
    return f"{prefix}.{func.__name__}"


def _unsupported(func: Any, what: str = "function") -> TypeError:
    names = sorted({_name(f) for f in (*UFUNCS, *FUNCTIONS)})
    return TypeError(
        f"{_name(func)}: this NumPy {what} is not differentiable in autograd and was given a Tensor; "
        f"supported: {', '.join(names)} (and comparisons/np.sign/np.floor as constants); "
        "to compute it without a gradient, pass t.detach().numpy()")


def _reject_extra(name: str, given: dict[str, Any], defaults: dict[str, Any]) -> None:
    for key, value in given.items():
        default = defaults.get(key, np._NoValue)
        if value is not default and not (isinstance(value, (str, bool)) and value == default):
            raise TypeError(f"{name}: argument {key}= is not supported on Tensors")


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict) -> Any:
    """`Tensor.__array_ufunc__`: route a ufunc call with a Tensor operand to the op table."""
    if method == "__call__" and not kwargs:   # the common case first: np.exp(t), a + t
        fn = UFUNCS.get(ufunc)
        if fn is not None:
            return fn(*inputs)
    out = kwargs.pop("out", None)
    if out is not None:
        return _ufunc_into(ufunc, method, inputs, kwargs, out)
    if method == "reduce" and ufunc in _REDUCE:
        return _ufunc_reduce(ufunc, inputs, kwargs)
    if method != "__call__":
        raise _unsupported(ufunc, f"ufunc method .{method}")
    _reject_extra(_name(ufunc), kwargs, _UFUNC_DEFAULTS)
    if ufunc in CONSTANT_UFUNCS:
        return _new_tensor(np.asarray(ufunc(*[raw(x) for x in inputs])))
    fn = UFUNCS.get(ufunc)
    if fn is None:
        raise _unsupported(ufunc, "ufunc")
    return fn(*inputs)


def _ufunc_into(ufunc: np.ufunc, method: str, inputs: tuple, kwargs: dict, out: tuple) -> Any:
    """`out=` (and in-place operators such as `arr += t`): allowed only where no graph is lost."""
    name = _name(ufunc)
    if any(isinstance(o, Tensor) for o in out):
        raise TypeError(f"{name}: out= a Tensor (or an in-place operator on one) would overwrite it, "
                        f"which autograd cannot differentiate; write y = {name}(...) instead")
    if ufunc not in CONSTANT_UFUNCS and any(isinstance(x, Tensor) and x.requires_grad for x in inputs):
        raise TypeError(f"{name}: writing a result that requires grad into an ndarray (out=, or an "
                        "in-place operator such as arr += t) would drop it from the graph; "
                        "write arr = arr + t instead")
    return getattr(ufunc, method)(*[raw(x) for x in inputs], out=out, **kwargs)


def _ufunc_reduce(ufunc: np.ufunc, inputs: tuple, kwargs: dict) -> Tensor:
    (a,) = inputs
    axis, keepdims = kwargs.pop("axis", 0), kwargs.pop("keepdims", False)
    _reject_extra(f"{_name(ufunc)}.reduce", kwargs, {"dtype": None})
    return getattr(a, _REDUCE[ufunc])(axis=axis, keepdims=keepdims)


# -- NumPy functions (NEP 18) ---------------------------------------------------------
def _as_t(x: Any) -> Tensor:
    return tensors([x])[0]


def _no_extra(name: str, **given: Any) -> None:
    """Refuse arguments (out=, dtype=, where=, ...) that have no meaning for a Tensor result."""
    for key, value in given.items():
        if value is not None and value is not np._NoValue:
            raise TypeError(f"np.{name}: argument {key}= is not supported on Tensors")


def _reduction(method: str) -> Callable[..., Tensor]:
    def reduce(a: Any, axis: Any = None, dtype: Any = None, out: Any = None, keepdims: Any = False,
               initial: Any = None, where: Any = None) -> Tensor:
        _no_extra(method, dtype=dtype, out=out, initial=initial, where=where)
        keep = False if keepdims is np._NoValue else bool(keepdims)
        return getattr(_as_t(a), method)(axis=axis, keepdims=keep)
    return reduce


def _max_min(method: str) -> Callable[..., Tensor]:
    def reduce(a: Any, axis: Any = None, out: Any = None, keepdims: Any = False,
               initial: Any = None, where: Any = None) -> Tensor:
        _no_extra(method, out=out, initial=initial, where=where)
        keep = False if keepdims is np._NoValue else bool(keepdims)
        return getattr(_as_t(a), method)(axis=axis, keepdims=keep)
    return reduce


def _dot(a: Any, b: Any, out: Any = None) -> Tensor:
    """np.dot: a product for 0-d operands, else the matrix product (up to 2-D)."""
    if out is not None:
        _no_extra("dot", out=out)
    x, y = (a, b) if type(a) is Tensor and type(b) is Tensor else tensors([a, b])
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    if x.ndim > 2 or y.ndim > 2:
        raise TypeError(f"np.dot: operands of shapes {x.shape} and {y.shape}: np.dot of arrays with more "
                        "than 2 dimensions is not supported on Tensors; use np.matmul (or @)")
    return x @ y


def _outer(a: Any, b: Any, out: Any = None) -> Tensor:
    _no_extra("outer", out=out)
    x, y = tensors([a, b])
    return x.reshape(-1, 1) * y.reshape(1, -1)


def _clip(a: Any, a_min: Any = None, a_max: Any = None, out: Any = None, *,
          min: Any = None, max: Any = None, **kwargs: Any) -> Tensor:
    _no_extra("clip", out=out, **kwargs)
    lo = a_min if a_min is not None and a_min is not np._NoValue else min
    hi = a_max if a_max is not None and a_max is not np._NoValue else max
    bounds = []
    for bound in (lo, hi):
        if bound is None or bound is np._NoValue:
            bounds.append(None)
            continue
        value = np.asarray(raw(bound))
        if value.size != 1:
            raise TypeError(f"np.clip: bounds must be numbers on Tensors, got an array of shape {value.shape}; "
                            "use np.maximum / np.minimum for elementwise bounds")
        bounds.append(float(value.reshape(())))
    return _as_t(a).clip(*bounds)


def _where(condition: Any, x: Any = None, y: Any = None) -> Tensor:
    if x is None or y is None:
        raise TypeError("np.where: the one-argument form (indices) is not supported on Tensors; "
                        "use np.nonzero(t.detach().numpy())")
    return creation.where(condition, x, y)


def _concatenate(arrays: Any, axis: Any = 0, out: Any = None, dtype: Any = None, casting: Any = None) -> Tensor:
    _no_extra("concatenate", out=out, dtype=dtype)
    if axis is None:
        raise TypeError("np.concatenate: axis=None (flatten first) is not supported on Tensors; "
                        "reshape each to (-1,) and use axis=0")
    return creation.concatenate(list(arrays), axis=axis)


def _stack(arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None, casting: Any = None) -> Tensor:
    _no_extra("stack", out=out, dtype=dtype)
    return creation.stack(list(arrays), axis=axis)


def _hstack(tup: Any, *, dtype: Any = None, casting: Any = None) -> Tensor:
    _no_extra("hstack", dtype=dtype)
    ts = tensors(tup)
    return creation.concatenate(ts, axis=0 if ts and ts[0].ndim == 1 else 1)


def _vstack(tup: Any, *, dtype: Any = None, casting: Any = None) -> Tensor:
    _no_extra("vstack", dtype=dtype)
    return creation.concatenate([t.reshape(1, -1) if t.ndim < 2 else t for t in tensors(tup)], axis=0)


def _reshape(a: Any, shape: Any = None, order: str = "C", *, newshape: Any = None, copy: Any = None) -> Tensor:
    if order != "C":
        raise TypeError(f"np.reshape: order={order!r} is not supported on Tensors (only 'C')")
    return _as_t(a).reshape(shape if shape is not None else newshape)


def _shape_after(fn: Callable[..., np.ndarray], shape: tuple, *args: Any) -> tuple:
    """The shape that `fn` gives an array of `shape` (on a zero-stride view: nothing allocated)."""
    return fn(np.broadcast_to(np.empty((), dtype=bool), shape), *args).shape


def _expand_dims(a: Any, axis: Any) -> Tensor:
    t = _as_t(a)
    return t.reshape(_shape_after(np.expand_dims, t.shape, axis))


def _squeeze(a: Any, axis: Any = None) -> Tensor:
    t = _as_t(a)
    return t.reshape(_shape_after(np.squeeze, t.shape, axis))


def _swapaxes(a: Any, axis1: int, axis2: int) -> Tensor:
    t = _as_t(a)
    perm = list(range(t.ndim))
    i, j = ops.single_axis(axis1, t.ndim, "swapaxes"), ops.single_axis(axis2, t.ndim, "swapaxes")
    perm[i], perm[j] = perm[j], perm[i]
    return t.transpose(tuple(perm))


def _split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    t = _as_t(ary)
    k = ops.single_axis(axis, t.ndim, "split")
    try:
        pieces = np.split(np.arange(t.shape[k]), indices_or_sections)
    except ValueError as e:
        raise ValueError(f"np.split: {e} (axis {axis} of a tensor of shape {t.shape})") from None
    lead = (slice(None),) * k
    return [t[lead + (slice(int(p[0]), int(p[-1]) + 1) if p.size else slice(0, 0),)] for p in pieces]


def _take(a: Any, indices: Any, axis: Any = None, out: Any = None, mode: str = "raise") -> Tensor:
    _no_extra("take", out=out)
    t = _as_t(a)
    if axis is None:
        return t.reshape(-1)[indices]
    k = ops.single_axis(axis, t.ndim, "take")
    return t[(slice(None),) * k + (raw(indices),)]


def _broadcast_to(array: Any, shape: Any, subok: bool = False) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return ops.BroadcastTo.apply(_as_t(array), shape=shape)


def _on_data(func: Callable[..., Any], constant: bool) -> Callable[..., Any]:
    """Call `func` on the data inside any Tensors; wrap a constant result as a Tensor."""
    def call(*args: Any, **kwargs: Any) -> Any:
        result = func(*[_unwrap(a) for a in args], **{k: _unwrap(v) for k, v in kwargs.items()})
        return _new_tensor(np.asarray(result)) if constant else result
    return call


def _unwrap(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(v) for v in x)
    return x


FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.dot: _dot,
    np.outer: _outer,
    np.sum: _reduction("sum"),
    np.mean: _reduction("mean"),
    np.max: _max_min("max"), np.amax: _max_min("max"),
    np.min: _max_min("min"), np.amin: _max_min("min"),
    np.clip: _clip,
    np.where: _where,
    np.concatenate: _concatenate,
    np.stack: _stack,
    np.hstack: _hstack,
    np.vstack: _vstack,
    np.reshape: _reshape,
    np.ravel: lambda a, order="C": _as_t(a).reshape(-1),
    np.transpose: lambda a, axes=None: _as_t(a).transpose(axes) if axes is not None else _as_t(a).transpose(),
    np.expand_dims: _expand_dims,
    np.squeeze: _squeeze,
    np.swapaxes: _swapaxes,
    np.split: _split,
    np.take: _take,
    np.broadcast_to: _broadcast_to,
    np.copy: lambda a, order="K", subok=False: _as_t(a).copy(),
}

# Piecewise constant values: a Tensor that does not require grad.
for _f in (np.round, np.around, np.fix):
    FUNCTIONS[_f] = _on_data(_f, constant=True)
# About the values, not of them (indices, truth values, shapes, fresh arrays): plain NumPy.
for _f in (np.argmax, np.argmin, np.argsort, np.nonzero, np.flatnonzero, np.count_nonzero,
           np.any, np.all, np.allclose, np.isclose, np.array_equal, np.shape, np.ndim, np.size,
           np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.result_type):
    FUNCTIONS[_f] = _on_data(_f, constant=False)


def array_function(func: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """`Tensor.__array_function__`: route a NumPy function call with a Tensor argument."""
    handler = FUNCTIONS.get(func)
    if handler is None:
        raise _unsupported(func)
    return handler(*args, **kwargs)


# Tensor's NumPy protocols answer through this module (autograd.tensor sits below it).
Tensor.numpy_ufunc = staticmethod(array_ufunc)
Tensor.numpy_function = staticmethod(array_function)
