"""The op table: every differentiable operation as a small class.

Each op's `forward` computes the value with NumPy and saves what its
derivative needs; `backward(g)` maps the upstream gradient g = dL/d(out) to
one gradient per input. Broadcasting ops return gradients in the output's
shape; the engine's single `unbroadcast` gives them the inputs' shapes.
Conventions at kinks: relu'(0) = 0, abs'(0) = 0, leaky_relu'(0) = slope;
ties in max/min share the gradient evenly (as `torch.amax`).
"""
from __future__ import annotations

import functools
import math
import numbers
from typing import Any

import numpy as np

from autograd.function import Function, Node, raw as _raw, unbroadcast

Axis = int | tuple[int, ...] | None


# -- helpers -------------------------------------------------------------------
def normalize_axes(axis: Axis, ndim: int, op: str) -> tuple[int, ...]:
    """Axis argument -> sorted tuple of non-negative axes, with a clear error."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, numbers.Integral) else tuple(axis)
    out = []
    for a in axes:
        if not isinstance(a, numbers.Integral) or not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a tensor with {ndim} dimension(s); "
                             f"expected an integer in [{-ndim}, {ndim - 1}]")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis}")
    return tuple(sorted(out))


def single_axis(axis: Any, ndim: int, op: str) -> int:
    """One integer axis, normalised, for ops that work along exactly one axis."""
    if not isinstance(axis, numbers.Integral):
        raise ValueError(f"{op}: axis must be a single integer, got {axis!r}")
    return normalize_axes(axis, ndim, op)[0]


def _broadcast_error(op: str, *arrays: np.ndarray) -> ValueError:
    shapes = " and ".join(str(a.shape) for a in arrays)
    return ValueError(f"{op}: shapes {shapes} cannot be broadcast together; "
                      "expected equal sizes, or 1, in each trailing dimension")


def _domain_check(op: str, x: np.ndarray, bad: np.ndarray, expected: str) -> None:
    if bad.any():
        raise ValueError(f"{op}: {int(bad.sum())} input value(s) outside the domain "
                         f"(e.g. {x[bad].flat[0]!r}); expected {expected}")


def _expand(g: Any, kept: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    """Repeat g, a reduction's result, over the reduced axes: `kept` is its shape with
    those axes kept (size 1), `shape` the input's."""
    if g.ndim and g.ndim != len(kept):   # keepdims=False dropped reduced axes (0-d g broadcasts as is)
        g = g.reshape(kept)
    if isinstance(g, (np.ndarray, np.generic)):   # (Mean's g / n of a 0-d g is a NumPy scalar)
        # A filled buffer: one C-level copy, several times cheaper than np.broadcast_to's
        # Python wrapper for the small arrays this engine is for (benchmarks/README.md).
        out = np.empty(shape, g.dtype)
        out[...] = g
        return out
    return np.broadcast_to(g, shape)   # a Tensor: the broadcast_to op


# -- binary, broadcasting --------------------------------------------------------
class _Binary(Function):
    __slots__ = ()
    ufunc: np.ufunc

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        try:
            return self.ufunc(a, b)
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None


class Add(_Binary):
    """a + b;  d/da = 1, d/db = 1."""
    __slots__ = ()
    name, symbol, ufunc = "add", "+", np.add

    def backward(self, g):
        return g, g


class Sub(_Binary):
    """a − b;  d/da = 1, d/db = −1."""
    __slots__ = ()
    name, symbol, ufunc = "sub", "−", np.subtract
    arg_names = ("a", "b")

    def backward(self, g):
        return g, (-g if self.inputs[1].requires_grad else None)


class Mul(_Binary):
    """a · b;  d/da = b, d/db = a."""
    __slots__ = ("a", "b")
    name, symbol = "mul", "×"
    saved = {"a": 0, "b": 1}

    def forward(self, a, b):
        self.a, self.b = a, b
        try:
            return a * b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None

    def backward(self, g):
        x, y = self.inputs
        if x is y:   # a · a (an L2 term): both gradients are g · a, so compute it once
            ga = g * self.a
            return ga, ga
        return (g * self.b if x.requires_grad else None,
                g * self.a if y.requires_grad else None)


class Div(_Binary):
    """a / b;  d/da = 1/b, d/db = −a/b² = −out/b."""
    __slots__ = ("b", "out")
    name, symbol = "div", "÷"
    arg_names = ("a", "b")
    saved = {"b": 1, "out": "out"}

    def forward(self, a, b):
        try:
            self.out = a / b
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None
        self.b = b
        return self.out

    def backward(self, g):
        x, y = self.inputs
        ga = g / self.b
        return (ga if x.requires_grad else None,
                -ga * self.out if y.requires_grad else None)


class Pow(_Binary):
    """a ** b (both tensors);  d/da = b·a^(b−1) (0 at a = b = 0), d/db = a^b · ln a (0 where a = 0 ≤ b)."""
    __slots__ = ("a", "b", "out")
    name, symbol = "pow", "^"
    arg_names = ("base", "exp")
    saved = {"a": 0, "b": 1, "out": "out"}

    def forward(self, a, b):
        try:
            self.out = np.power(a, b)
        except ValueError:
            raise _broadcast_error(self.name, a, b) from None
        self.a, self.b = a, b
        if np.isnan(self.out).any() and not np.isnan(a).any() and not np.isnan(b).any():
            raise ValueError("pow: a negative base with a non-integer exponent has no real value; "
                             "expected base >= 0 or integer exponents")
        return self.out

    def backward(self, g):
        x, y = self.inputs
        a, b = self.a, self.b
        ga = gb = None
        if x.requires_grad:
            # b·a^(b−1) is 0·inf = NaN at a = 0, b = 0, where the derivative of a⁰ = 1 is 0.
            with np.errstate(divide="ignore", invalid="ignore"):
                ga = g * np.where((b == 0) & (a == 0), 0, b * np.power(a, b - 1))
        if y.requires_grad:
            _domain_check("pow", _raw(a), (_raw(a) < 0) | ((_raw(a) == 0) & (_raw(b) < 0)),
                          "a base > 0 (or 0 with an exponent >= 0) to differentiate with respect to the exponent")
            # a^b · ln a is 0·(−inf) at a = 0, where the limit is 0 (as PyTorch).
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = g * np.where(a == 0, 0, self.out * np.log(np.where(a == 0, 1, a)))
        return ga, gb


class PowScalar(Function):
    """a ** p for a number p;  d/da = p·a^(p−1) (0 for p = 0)."""
    __slots__ = ("a", "p")
    elementwise = True
    name, symbol = "pow_scalar", "^"
    saved = {"a": 0}

    def forward(self, a, exponent):
        # A Python int/float (not a NumPy scalar, which would promote float32 to float64).
        p = int(exponent) if isinstance(exponent, numbers.Integral) else float(exponent)
        self.a, self.p = a, p
        if p != int(p):
            _domain_check("pow", a, a < 0, f"x >= 0 for the non-integer exponent {p}")
        return a ** p

    def params(self):
        return {"exponent": self.p}

    def backward(self, g):
        p = self.p
        if p == 0:   # a⁰ = 1: p·a^(p−1) would be 0·inf = NaN at a = 0
            return (np.zeros_like(g),)
        if p == 2:
            return (g * (2 * self.a),)
        return (g * (p * self.a ** (p - 1)),)


class MatMul(Function):
    """a @ b (np.matmul);  dA = G @ Bᵀ, dB = Aᵀ @ G (1-D operands promoted, then squeezed)."""
    __slots__ = ("a", "b")
    name, symbol = "matmul", "@"
    arg_names = ("a", "b")
    saved = {"a": 0, "b": 1}

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and {b.shape}; "
                             "use * for scalars")
        k_a, k_b = a.shape[-1], b.shape[-2] if b.ndim > 1 else b.shape[0]
        if k_a != k_b:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not align ({k_a} != {k_b}); "
                             "expected a.shape[-1] == b.shape[-2]")
        self.a, self.b = a, b
        if a.ndim == 2 and b.ndim == 2:  # the same product as matmul, with less call overhead
            return np.dot(a, b)
        try:
            return np.matmul(a, b)
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {a.shape} and {b.shape} "
                             "cannot be broadcast together") from None

    def backward(self, g):
        a, b = self.a, self.b
        x, y = self.inputs
        if a.ndim == 2 and b.ndim == 2:  # the common case, no reshaping
            return (np.dot(g, b.T) if x.requires_grad else None,
                    np.dot(a.T, g) if y.requires_grad else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if b.ndim == 1:  # restore b's column axis first: for 1-D @ 1-D, g is 0-d
            g2 = np.expand_dims(g2, -1)
        if a.ndim == 1:
            g2 = np.expand_dims(g2, -2)
        ga = gb = None
        if x.requires_grad:
            ga = g2 @ np.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if y.requires_grad:
            gb = np.swapaxes(a2, -1, -2) @ g2
            if b.ndim == 1:
                gb = gb[..., :, 0]
        return ga, gb


# -- with a Python number: c is a constant parameter, not a node of the graph ---------------
_CONSTANTS: dict[tuple[float, np.dtype], np.ndarray] = {}


def constant(c: float, dtype: np.dtype) -> np.ndarray:
    """The number c as a cached read-only 0-d array of `dtype` (a weak scalar: float32 stays float32).

    NumPy's ufuncs take a 0-d array faster than a Python float (no conversion per
    call), and a 0-d array of the tensor's dtype rounds c as NumPy rounds a weak scalar.
    """
    negative_zero = c == 0 and math.copysign(1.0, c) < 0   # −0.0 == 0.0: it would share 0's entry
    key = (c, dtype)
    arr = None if negative_zero else _CONSTANTS.get(key)
    if arr is None:
        arr = np.asarray(c, dtype)
        arr.flags.writeable = False
        if not negative_zero:
            if len(_CONSTANTS) >= 1024:
                _CONSTANTS.clear()
            _CONSTANTS[key] = arr
    return arr


_ONE: dict[np.dtype, np.ndarray] = {}
_ZERO: dict[np.dtype, np.ndarray] = {}


def one(dtype: np.dtype) -> np.ndarray:
    """1 as a cached 0-d array of `dtype` (for 1 − x in derivatives)."""
    c = _ONE.get(dtype)
    return c if c is not None else _ONE.setdefault(dtype, constant(1, dtype))


def zero(dtype: np.dtype) -> np.ndarray:
    """0 as a cached 0-d array of `dtype` (relu's threshold): one dict lookup, no key to build."""
    c = _ZERO.get(dtype)
    return c if c is not None else _ZERO.setdefault(dtype, constant(0, dtype))


class _ScalarOp(Function):
    __slots__ = ("c",)
    elementwise = True

    def params(self):
        return {"c": self.c.item()}


class AddScalar(_ScalarOp):
    """a + c (or c + a) for a number c;  d/da = 1."""
    __slots__ = ()
    name, symbol = "add_scalar", "+"

    def forward(self, a, c):
        self.c = c = constant(c, a.dtype)
        return a + c

    def backward(self, g):
        return (g,)


class SubScalar(_ScalarOp):
    """a − c for a number c;  d/da = 1."""
    __slots__ = ()
    name, symbol = "sub_scalar", "−"

    def forward(self, a, c):
        self.c = c = constant(c, a.dtype)
        return a - c

    def backward(self, g):
        return (g,)


class RSubScalar(_ScalarOp):
    """c − a for a number c;  d/da = −1."""
    __slots__ = ()
    name, symbol = "rsub_scalar", "−"

    def forward(self, a, c):
        self.c = c = constant(c, a.dtype)
        return c - a

    def backward(self, g):
        return (-g,)


class MulScalar(_ScalarOp):
    """a · c (or c · a) for a number c;  d/da = c."""
    __slots__ = ()
    name, symbol = "mul_scalar", "×"

    def forward(self, a, c):
        self.c = c = constant(c, a.dtype)
        return a * c

    def backward(self, g):
        return (g * self.c,)


class DivScalar(_ScalarOp):
    """a / c for a number c;  d/da = 1/c."""
    __slots__ = ()
    name, symbol = "div_scalar", "÷"

    def forward(self, a, c):
        self.c = c = constant(c, a.dtype)
        return a / c

    def backward(self, g):
        return (g / self.c,)


class RDivScalar(_ScalarOp):
    """c / a for a number c;  d/da = −c/a² = −out/a."""
    __slots__ = ("a", "out")
    name, symbol = "rdiv_scalar", "÷"
    saved = {"a": 0, "out": "out"}

    def forward(self, a, c):
        self.c = c = constant(c, a.dtype)
        self.a = a
        self.out = c / a
        return self.out

    def backward(self, g):
        return (-(g / self.a) * self.out,)


# -- unary elementwise ---------------------------------------------------------------
class Neg(Function):
    """−a;  d/da = −1."""
    __slots__ = ()
    elementwise = True
    name, symbol = "neg", "−"

    def forward(self, a):
        return -a

    def backward(self, g):
        return (-g,)


class Exp(Function):
    """exp(a);  d/da = exp(a)."""
    __slots__ = ("out",)
    elementwise = True
    saved = {"out": "out"}
    name = "exp"

    def forward(self, a):
        self.out = np.exp(a)
        return self.out

    def backward(self, g):
        return (g * self.out,)


class Log(Function):
    """ln(a) for a ≥ 0 (ln 0 = −inf);  d/da = 1/a."""
    __slots__ = ("a",)
    elementwise = True
    saved = {"a": 0}
    name = "log"

    def forward(self, a):
        _domain_check("log", a, a < 0, "x >= 0")
        self.a = a
        with np.errstate(divide="ignore"):
            return np.log(a)

    def backward(self, g):
        return (g / self.a,)


class Sqrt(Function):
    """√a for a ≥ 0;  d/da = 1 / (2√a)."""
    __slots__ = ("out",)
    elementwise = True
    saved = {"out": "out"}
    name = "sqrt"

    def forward(self, a):
        _domain_check("sqrt", a, a < 0, "x >= 0")
        self.out = np.sqrt(a)
        return self.out

    def backward(self, g):
        return (g / (2 * self.out),)


class Abs(Function):
    """|a|;  d/da = sign(a), with abs'(0) = 0."""
    __slots__ = ("a",)
    elementwise = True
    name = "abs"

    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, g):
        return (g * np.sign(self.a),)


class Sin(Function):
    """sin(a);  d/da = cos(a)."""
    __slots__ = ("a",)
    elementwise = True
    saved = {"a": 0}
    name = "sin"

    def forward(self, a):
        self.a = a
        return np.sin(a)

    def backward(self, g):
        return (g * np.cos(self.a),)


class Cos(Function):
    """cos(a);  d/da = −sin(a)."""
    __slots__ = ("a",)
    elementwise = True
    saved = {"a": 0}
    name = "cos"

    def forward(self, a):
        self.a = a
        return np.cos(a)

    def backward(self, g):
        return (-g * np.sin(self.a),)


class Tanh(Function):
    """tanh(a);  d/da = 1 − tanh²(a)."""
    __slots__ = ("out",)
    elementwise = True
    saved = {"out": "out"}
    name = "tanh"

    def forward(self, a):
        self.out = np.tanh(a)
        return self.out

    def backward(self, g):
        out = self.out
        t = one(out.dtype) - out * out
        t *= g
        return (t,)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(−x)) in one buffer, within 1 ulp for every x.

    For x < −709 (float64) e^(−x) overflows to inf and 1/(1 + inf) = 0, the
    correctly rounded answer, so the overflow is expected and silenced.
    (benchmarks/sigmoid_variants.py measures it: faster than the
    np.where(x >= 0, …) form, and more accurate than ½(1 + tanh(x/2)).)
    """
    t = np.negative(x, out=np.empty_like(x))  # out= keeps 0-d inputs arrays
    with np.errstate(over="ignore"):
        np.exp(t, out=t)
    t += one(t.dtype)
    return np.reciprocal(t, out=t)


class Sigmoid(Function):
    """σ(a) = 1/(1 + e^(−a));  d/da = σ(a)(1 − σ(a))."""
    __slots__ = ("out",)
    elementwise = True
    saved = {"out": "out"}
    name = "sigmoid"

    def forward(self, a):
        self.out = sigmoid(a)
        return self.out

    def backward(self, g):
        out = self.out
        t = one(out.dtype) - out   # one buffer: g · out(1 − out)
        t *= out
        t *= g
        return (t,)


class ReLU(Function):
    """max(a, 0);  d/da = 1 where a > 0, else 0 (relu'(0) = 0)."""
    __slots__ = ("out",)
    elementwise = True
    name = "relu"

    def forward(self, a):
        self.out = np.maximum(a, zero(a.dtype))
        return self.out

    def backward(self, g):
        out = self.out
        return (g * (out > zero(out.dtype)),)


class LeakyReLU(Function):
    """a if a > 0 else s·a;  d/da = 1 where a > 0, else s."""
    __slots__ = ("a", "slope")
    elementwise = True
    name = "leaky_relu"

    def forward(self, a, negative_slope=0.01):
        # float(): a NumPy float64 slope would promote a float32 input to float64
        self.a, self.slope = a, float(negative_slope)
        return np.where(a > 0, a, a * self.slope)

    def params(self):
        return {"slope": self.slope}

    def backward(self, g):
        return (np.where(self.a > 0, g, g * self.slope),)


class Clip(Function):
    """min(max(a, lo), hi);  d/da = 1 where lo ≤ a ≤ hi, else 0."""
    __slots__ = ("a", "lo", "hi")
    elementwise = True
    name = "clip"

    def forward(self, a, lo=None, hi=None):
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"clip: lo={lo} is greater than hi={hi}; expected lo <= hi")
        # Python floats: NumPy float64 bounds would promote a float32 input to float64
        lo = None if lo is None else float(lo)
        hi = None if hi is None else float(hi)
        self.a, self.lo, self.hi = a, lo, hi
        return np.clip(a, lo, hi)

    def params(self):
        return {"lo": self.lo, "hi": self.hi}

    def backward(self, g):
        inside = np.ones(self.a.shape, dtype=bool)
        if self.lo is not None:
            inside &= self.a >= self.lo
        if self.hi is not None:
            inside &= self.a <= self.hi
        return (g * inside,)


# -- reductions ----------------------------------------------------------------------
@functools.lru_cache(maxsize=None)
def _whole(ndim: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(axes, kept shape) of a reduction over all `ndim` axes."""
    return tuple(range(ndim)), (1,) * ndim


class _Reduce(Function):
    __slots__ = ("shape", "axes", "keepdims", "kept")
    # backward expands g to the input's shape, and g has the output's float dtype, which is the
    # input's (only float tensors require grad)
    exact_grads = True

    def _setup(self, a, axis, keepdims):
        self.shape, self.keepdims = a.shape, keepdims
        if axis is None:   # the common whole-tensor reduction (a loss): nothing to normalise
            self.axes, self.kept = _whole(a.ndim)
            return None
        self.axes = axes = normalize_axes(axis, a.ndim, self.name)
        self.kept = tuple(1 if i in axes else n for i, n in enumerate(a.shape))
        return axes

    def params(self):
        return {"axis": self.axes, "keepdims": self.keepdims} if self.axes != tuple(range(len(self.shape))) else {}


class Sum(_Reduce):
    """Σ a over axes;  d/da = 1 (g broadcast back over the summed axes)."""
    __slots__ = ()
    name, symbol = "sum", "Σ"

    def forward(self, a, axis=None, keepdims=False):
        return a.sum(axis=self._setup(a, axis, keepdims), keepdims=keepdims)

    def backward(self, g):
        return (_expand(g, self.kept, self.shape),)


class Mean(_Reduce):
    """mean of a over axes (n elements);  d/da = 1/n."""
    __slots__ = ("n",)
    name = "mean"

    def forward(self, a, axis=None, keepdims=False):
        axes = self._setup(a, axis, keepdims)
        self.n = a.size if axes is None else math.prod(a.shape[i] for i in axes)
        # What np.mean computes (sum, then divide), without its Python-level wrapper.
        return np.asarray(a.sum(axis=axes, keepdims=keepdims) / self.n)

    def backward(self, g):
        return (_expand(g / self.n, self.kept, self.shape),)


class Max(_Reduce):
    """max of a over axes;  d/da = 1/k at the k elements equal to the max, else 0."""
    __slots__ = ("a", "out")
    name = "max"
    reducer = staticmethod(np.max)

    def forward(self, a, axis=None, keepdims=False):
        axes = self._setup(a, axis, keepdims)
        if a.size == 0:
            raise ValueError(f"{self.name}: cannot reduce an empty tensor of shape {a.shape}")
        self.a = a
        self.out = type(self).reducer(a, axis=axes, keepdims=True)
        return self.out if keepdims else np.squeeze(self.out, axis=axes)

    def backward(self, g):
        mask = self.a == self.out
        share = mask / mask.sum(axis=self.axes, keepdims=True)
        return ((_expand(g, self.kept, self.shape) * share).astype(self.a.dtype, copy=False),)


class Min(Max):
    """min of a over axes;  d/da = 1/k at the k elements equal to the min, else 0."""
    __slots__ = ()
    name = "min"
    reducer = staticmethod(np.min)


class Softmax(Function):
    """s = exp(a − max) / Σ exp(a − max) along axis;  d/da: s ⊙ (g − Σ g⊙s)."""
    __slots__ = ("out", "axis")
    name = "softmax"
    saved = {"out": "out"}

    def forward(self, a, axis=-1):
        self.axis = single_axis(axis, a.ndim, self.name)
        e = np.exp(a - a.max(axis=self.axis, keepdims=True))
        self.out = e / e.sum(axis=self.axis, keepdims=True)
        return self.out

    def params(self):
        return {"axis": self.axis}

    def backward(self, g):
        s = self.out
        return (s * (g - (g * s).sum(axis=self.axis, keepdims=True)),)


class LogSoftmax(Function):
    """a − logsumexp(a) along axis;  d/da: g − softmax(a) · Σ g."""
    __slots__ = ("out", "axis")
    name = "log_softmax"
    saved = {"out": "out"}

    def forward(self, a, axis=-1):
        self.axis = single_axis(axis, a.ndim, self.name)
        shifted = a - a.max(axis=self.axis, keepdims=True)
        self.out = shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        return self.out

    def params(self):
        return {"axis": self.axis}

    def backward(self, g):
        return (g - np.exp(self.out) * g.sum(axis=self.axis, keepdims=True),)


class LogSumExp(_Reduce):
    """log Σ exp(a) over axes (shifted by the max);  d/da = softmax(a) over those axes."""
    __slots__ = ("a", "out")
    name = "logsumexp"
    saved = {"a": 0, "out": "out"}

    def forward(self, a, axis=None, keepdims=False):
        axes = self._setup(a, axis, keepdims)
        m = a.max(axis=axes, keepdims=True)
        m = np.where(np.isfinite(m), m, 0)
        self.a = a
        out = m + np.log(np.exp(a - m).sum(axis=axes, keepdims=True))
        self.out = out if keepdims else np.squeeze(out, axis=axes)
        return self.out

    def backward(self, g):
        expand = functools.partial(_expand, kept=self.kept, shape=self.shape)
        return (expand(g) * np.exp(self.a - expand(self.out)),)


# -- shape ------------------------------------------------------------------------------
class Reshape(Function):
    """a viewed with a new shape;  the gradient is g reshaped back."""
    __slots__ = ("in_shape", "shape")
    name = "reshape"

    def forward(self, a, shape):
        self.in_shape = a.shape
        try:
            out = a.reshape(shape)
        except (ValueError, TypeError):
            raise ValueError(f"reshape: cannot reshape a tensor of shape {a.shape} (size {a.size}) "
                             f"into shape {tuple(shape)}; expected the same number of elements") from None
        self.shape = out.shape
        return out

    def params(self):
        return {"shape": self.shape}

    def backward(self, g):
        return (g.reshape(self.in_shape),)


class Transpose(Function):
    """a with permuted axes (reversed by default);  the gradient is g with the inverse permutation."""
    __slots__ = ("axes",)
    name = "transpose"

    def forward(self, a, axes=None):
        if axes is None:
            axes = tuple(range(a.ndim))[::-1]
        elif sorted(normalize_axes(axes, a.ndim, self.name)) != list(range(a.ndim)) or len(axes) != a.ndim:
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the "
                             f"{a.ndim} axes of a tensor of shape {a.shape}")
        self.axes = tuple(int(x) % a.ndim for x in axes) if a.ndim else ()
        return a.transpose(self.axes)

    def params(self):
        return {"axes": self.axes}

    def backward(self, g):
        return (g.transpose(tuple(int(i) for i in np.argsort(self.axes))),)


def _is_advanced(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(p, (list, np.ndarray)) for p in parts)


class GetItem(Function):
    """a[index] (slices, integers, integer/bool arrays);  the gradient scatters g back, repeats add."""
    __slots__ = ("shape", "dtype", "index")
    name = "getitem"

    def forward(self, a, index):
        index = _unwrap_index(index)
        self.shape, self.dtype, self.index = a.shape, a.dtype, index
        try:
            return a[index]
        except IndexError as e:
            raise IndexError(f"getitem: index {index!r} is invalid for a tensor of shape {a.shape} ({e})") from None

    def params(self):
        return {"index": self.index}

    def backward(self, g):
        return (ScatterAdd.call(g, shape=self.shape, index=self.index),)


class ScatterAdd(Function):
    """zeros(shape) with g added at index (the adjoint of getitem);  the gradient is gg[index]."""
    __slots__ = ("index",)
    name = "scatter_add"

    def forward(self, g, shape, index):
        self.index = index
        out = np.zeros(shape, dtype=g.dtype)
        if _is_advanced(index):
            np.add.at(out, index, g)  # repeated indices accumulate
        else:
            out[index] = g
        return out

    def params(self):
        return {"index": self.index}

    def backward(self, gg):
        return (gg[self.index],)


def _unwrap_index(index: Any) -> Any:
    """Tensors inside an index become arrays; float tensors holding whole numbers (the
    default dtype of Tensor([0, 2])) become integer arrays."""
    def unwrap(i: Any) -> Any:
        if not isinstance(i, Node):
            return i
        d = i.data
        if d.dtype.kind == "f" and np.array_equal(d, np.round(d)):
            return d.astype(np.intp)
        return d
    return tuple(unwrap(i) for i in index) if isinstance(index, tuple) else unwrap(index)


class Concatenate(Function):
    """concatenate(tensors, axis);  each input's gradient is its slice of g."""
    __slots__ = ("axis", "splits")
    name = "concatenate"

    def forward(self, *arrays, axis=0):
        if not arrays:
            raise ValueError("concatenate: expected at least one tensor")
        self.axis = single_axis(axis, arrays[0].ndim, self.name)
        try:
            out = np.concatenate(arrays, axis=self.axis)
        except ValueError:
            raise ValueError(f"concatenate: shapes {[a.shape for a in arrays]} must match except "
                             f"along axis {axis}") from None
        self.splits = np.cumsum([a.shape[self.axis] for a in arrays])[:-1]
        return out

    def params(self):
        return {"axis": self.axis}

    def backward(self, g):
        return tuple(np.split(g, self.splits, axis=self.axis))


class Stack(Function):
    """stack(tensors, axis) along a new axis;  each input's gradient is g indexed along it."""
    __slots__ = ("axis", "n")
    name = "stack"

    def forward(self, *arrays, axis=0):
        if not arrays:
            raise ValueError("stack: expected at least one tensor")
        if len({a.shape for a in arrays}) != 1:
            raise ValueError(f"stack: all shapes must be equal, got {[a.shape for a in arrays]}")
        self.axis = single_axis(axis, arrays[0].ndim + 1, self.name)
        self.n = len(arrays)
        return np.stack(arrays, axis=self.axis)

    def params(self):
        return {"axis": self.axis}

    def backward(self, g):
        return tuple(np.take(g, i, axis=self.axis) for i in range(self.n))


class Where(Function):
    """where(cond, a, b);  d/da = cond, d/db = not cond."""
    __slots__ = ("cond",)
    name = "where"
    arg_names = ("a", "b")

    def forward(self, a, b, cond):
        self.cond = cond
        try:
            return np.where(cond, a, b)
        except ValueError:
            raise _broadcast_error(self.name, cond, a, b) from None

    def backward(self, g):
        zero = np.zeros((), dtype=g.dtype)
        x, y = self.inputs
        return (np.where(self.cond, g, zero) if x.requires_grad else None,
                np.where(self.cond, zero, g) if y.requires_grad else None)


# -- more NumPy ufuncs ------------------------------------------------------------------
class Maximum(_Binary):
    """max(a, b) elementwise;  d/da = 1 where a > b, ½ where a = b, else 0 (d/db: the rest, as PyTorch)."""
    __slots__ = ("a", "b")
    name = "maximum"
    ufunc = np.maximum

    def forward(self, a, b):
        self.a, self.b = a, b
        return super().forward(a, b)

    def backward(self, g):
        x, y = self.inputs
        share = _tie_share(self.a > self.b, self.a == self.b, g)   # constant: derivative 0 a.e.
        return (g * share if x.requires_grad else None,
                g - g * share if y.requires_grad else None)


class Minimum(Maximum):
    """min(a, b) elementwise;  d/da = 1 where a < b, ½ where a = b, else 0 (d/db: the rest, as PyTorch)."""
    __slots__ = ()
    name = "minimum"
    ufunc = np.minimum

    def backward(self, g):
        x, y = self.inputs
        share = _tie_share(self.a < self.b, self.a == self.b, g)
        return (g * share if x.requires_grad else None,
                g - g * share if y.requires_grad else None)


def _tie_share(wins: np.ndarray, ties: np.ndarray, g: Any) -> np.ndarray:
    """1 where the first argument wins, ½ at ties, 0 elsewhere, in g's dtype."""
    share = wins.astype(g.dtype)
    share += ties * np.asarray(0.5, g.dtype)
    return share


class Log1p(Function):
    """ln(1 + a) for a ≥ −1;  d/da = 1/(1 + a)."""
    __slots__ = ("a",)
    elementwise = True
    name = "log1p"
    saved = {"a": 0}

    def forward(self, a):
        _domain_check("log1p", a, a < -1, "x >= -1")
        self.a = a
        with np.errstate(divide="ignore"):
            return np.log1p(a)

    def backward(self, g):
        return (g / (self.a + one(self.a.dtype)),)


class Expm1(Function):
    """e^a − 1;  d/da = e^a = out + 1."""
    __slots__ = ("out",)
    elementwise = True
    name = "expm1"
    saved = {"out": "out"}

    def forward(self, a):
        self.out = np.expm1(a)
        return self.out

    def backward(self, g):
        return (g * (self.out + one(self.out.dtype)),)


class Copy(Function):
    """a copy of a (a new node with the same values);  d/da = 1."""
    __slots__ = ()
    elementwise = True
    name = "copy"

    def forward(self, a):
        return a.copy()

    def backward(self, g):
        return (g,)


class Cast(Function):
    """a converted to another floating dtype;  the gradient is g converted back to a's dtype."""
    __slots__ = ("dtype",)
    elementwise = True
    name = "cast"

    def forward(self, a, dtype):
        self.dtype = a.dtype
        return a.astype(dtype)

    def params(self):
        return {"from": str(self.dtype)}

    def backward(self, g):
        return (g.astype(self.dtype),)


class BroadcastTo(Function):
    """a broadcast to a larger shape (np.broadcast_to);  the gradient sums g over the copies."""
    __slots__ = ("in_shape",)
    name = "broadcast_to"

    def forward(self, a, shape):
        self.in_shape = a.shape
        try:
            return np.broadcast_to(a, shape)
        except ValueError:
            raise ValueError(f"broadcast_to: cannot broadcast shape {a.shape} to {tuple(shape)}; "
                             "expected equal sizes, or 1, in each trailing dimension") from None

    def params(self):
        return {"shape": self.in_shape}

    def backward(self, g):
        return (unbroadcast(g, self.in_shape, self.name),)
