"""Functional forms of layers and losses, and the fused ops behind them.

Fused ops exist where the derivative has a closed form that is cheaper and
more accurate than the composed graph: the linear layer x @ Wᵀ + b,
BCE-with-logits (dL/dz = (σ(z) − y)/N), softmax cross-entropy
(dL/dz = (softmax(z) − Y)/m), MSE and BCE. Each is tested against the same
function composed from primitive ops.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from autograd import Function, Tensor, as_tensor
from autograd.ops import Sigmoid, constant, one as _one

REDUCTIONS = ("mean", "sum", "none")


# -- fused linear layer -----------------------------------------------------------
class LinearOp(Function):
    """y = x @ Wᵀ + b;  dx = G W, dW = Gᵀ x, db = Σ_rows G."""
    __slots__ = ("x", "w", "has_bias")
    name = "linear"
    arg_names = ("x", "W", "b")
    saved = {"x": 0, "w": 1}
    exact_grads = True   # one dtype for x, W and b (checked), and no broadcasting

    # np.dot rather than @ throughout: for a 2-D right operand it is the same product,
    # and it reaches BLAS with less call overhead (small layers are call-bound; benchmarks/README.md).
    def forward(self, x, w, b=None):
        dt = w.dtype
        if (x.dtype is not dt and x.dtype != dt) or (b is not None and b.dtype is not dt and b.dtype != dt):
            raise TypeError(f"linear: x, W and b must share one dtype, got {x.dtype}, {w.dtype}"
                            f"{'' if b is None else ', ' + str(b.dtype)}")
        if w.ndim != 2 or (b is not None and b.shape != w.shape[:1]):
            raise ValueError(f"linear: expected W of shape (out, in) and b of shape (out,), got "
                             f"{w.shape}{'' if b is None else ' and ' + str(b.shape)}")
        self.x, self.w, self.has_bias = x, w, b is not None
        out = np.dot(x, w.T)
        if b is not None:
            out += b  # out is fresh: adding in place saves a temporary
        return out

    def backward(self, g):
        x, w = self.x, self.w
        ins = self.inputs
        gx = np.dot(g, w) if ins[0].requires_grad else None
        if x.ndim != 2:  # fold leading batch axes into one
            g, x = g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1])
        gw = np.dot(g.T, x) if ins[1].requires_grad else None
        # column sums as a GEMV (1ᵀ G): faster than g.sum(axis=0) for tall, narrow G
        gb = np.dot(_ones(g.shape[0], g.dtype), g) if self.has_bias and ins[2].requires_grad else None
        return (gx, gw, gb) if self.has_bias else (gx, gw)


_ONES: dict = {}


def _ones(n: int, dtype) -> np.ndarray:
    """A cached read-only vector of n ones (for column sums as 1ᵀ G)."""
    v = _ONES.get((n, dtype))
    if v is None:
        if len(_ONES) > 64:
            _ONES.clear()
        v = _ONES[(n, dtype)] = np.ones(n, dtype=dtype)
        v.flags.writeable = False
    return v


def linear(x: Any, weight: Tensor, bias: Tensor | None = None, layer: str | None = None) -> Tensor:
    """x @ weight.T + bias as one op (weight is (out, in), PyTorch's layout).

    `layer` names the calling module in the wrong-feature-count message.
    """
    if type(x) is not Tensor or x.data.dtype is not weight.data.dtype:
        x = _input_like(x, weight, "linear")
    try:  # matmul itself detects a wrong feature count; explain it only when it happens
        return LinearOp.apply(x, weight) if bias is None else LinearOp.apply(x, weight, bias)
    except ValueError:
        shape, wshape = x.data.shape, weight.data.shape
        if len(wshape) != 2 or (shape and shape[-1] == wshape[1]):
            raise   # not a feature-count mismatch: the op's own message says what is wrong
        k = wshape[1]
    n = shape[-1] if shape else 0
    if layer is not None:
        raise ValueError(f"{layer} got input with {n} features (shape {shape}); "
                         f"expected shape (batch, {k})")
    raise ValueError(f"linear: input of shape {shape} has {n} features but the weight "
                     f"{weight.shape} expects {k}")


def _input_like(x: Any, ref: Tensor, op: str) -> Tensor:
    """Coerce data to a Tensor of `ref`'s dtype; refuse a Tensor of another dtype."""
    if isinstance(x, Tensor):
        if x.dtype != ref.dtype:
            raise TypeError(f"{op}: input dtype {x.dtype} does not match parameter dtype {ref.dtype}; "
                            f"convert the input or call model.to(np.{x.dtype})")
        return x
    return as_tensor(np.asarray(x, dtype=ref.dtype))


# -- activations --------------------------------------------------------------------
def relu(x: Tensor) -> Tensor:
    return x.relu()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    return x.leaky_relu(negative_slope)


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    return x.softmax(axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    return x.log_softmax(axis)


# -- loss helpers ---------------------------------------------------------------------
def _check_reduction(reduction: str, op: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _target(target: Any, pred: Tensor, op: str, finite: bool = True) -> Tensor:
    """Targets as a Tensor of the prediction's dtype and exactly its shape; checked finite
    unless `finite=False` (the caller checks a range, which NaN and inf fail, or the loss)."""
    dtype = pred.data.dtype
    if isinstance(target, Tensor):
        t = target
        if t.data.dtype != dtype and not t.requires_grad:
            t = as_tensor(t.data.astype(dtype))
    else:
        arr = np.asarray(target)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{op}: targets must be numeric, got dtype {arr.dtype}")
        t = as_tensor(arr.astype(dtype, copy=False))
    if t.data.shape != pred.data.shape:
        hint = f"; reshape the targets with y.reshape{pred.shape}" if t.size == pred.size else ""
        raise ValueError(f"{op}: prediction shape {pred.shape} and target shape {t.shape} differ; "
                         f"expected equal shapes (no silent broadcasting){hint}")
    if finite:
        _require_finite(t.data, op)
    return t


def _require_finite(y: np.ndarray, op: str) -> None:
    # A finite sum proves every target finite in one pass; only otherwise look closer.
    if not math.isfinite(y.sum()) and not np.isfinite(y).all():
        raise ValueError(f"{op}: targets contain {int((~np.isfinite(y)).sum())} NaN/inf value(s)")


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":  # np.mean's arithmetic (sum, then divide), minus its Python wrappers
        return np.asarray(np.add.reduce(values, axis=None) / values.size)
    if reduction == "sum":
        return np.asarray(np.add.reduce(values, axis=None))
    return values


def _scale(g: np.ndarray, reduction: str, n: int, k: float = 1) -> np.ndarray:
    """k · the upstream gradient per element (÷ n for the mean).

    For a reduced loss g is one number: the factor is then computed in Python and
    returned as a cached 0-d constant (cheaper than 0-d array arithmetic).
    A Tensor g (a backward pass with a graph) keeps its graph.
    """
    if g.ndim == 0 and not isinstance(g, Tensor):
        v = float(g)
        return constant(k * (v / n) if reduction == "mean" else k * v, g.dtype)
    g = g / n if reduction == "mean" else g
    return k * g if k != 1 else g


class _Loss(Function):
    __slots__ = ("reduction", "n")
    arg_names = ("input", "target")

    def params(self):
        return {"reduction": self.reduction}


# -- fused losses -------------------------------------------------------------------------
class MSELossOp(_Loss):
    """L = mean((p − y)²);  dL/dp = 2(p − y)/N, dL/dy = −2(p − y)/N."""
    __slots__ = ("diff",)
    name = "mse_loss"
    saved = {"diff": lambda inputs, out: inputs[0] - inputs[1]}

    def forward(self, p, y, reduction="mean"):
        self.reduction, self.n = reduction, p.size
        self.diff = d = p - y
        if reduction == "none":
            out = d * d
        else:  # Σ d² as one dot product: no array of squares
            flat = d.reshape(-1)
            out = np.asarray(np.dot(flat, flat) / d.size if reduction == "mean" else np.dot(flat, flat))
        # NaN or inf targets make the loss non-finite, so look at them only then.
        if reduction == "none" or not math.isfinite(out):
            _require_finite(y, "MSELoss")
        return out

    def backward(self, g):
        gp = _scale(g, self.reduction, self.n, 2) * self.diff  # scalar factor first: one array pass
        return gp, (-gp if self.inputs[1].requires_grad else None)


# PyTorch's BCE backward clamps p(1 − p) at 1e-12 rounded to float32; the same constant makes
# the gradient at p = 0 or 1 agree with torch to the last bit.
_BCE_EPS = float(np.float32(1e-12))


class BCELossOp(_Loss):
    """L = −mean(y log p + (1 − y) log(1 − p)), logs clamped at −100 (as PyTorch);
    dL/dp = (p − y) / max(p(1 − p), ε) / N with ε = float32(1e-12) (PyTorch's constant)."""
    __slots__ = ("p", "y")
    name = "bce_loss"
    saved = {"p": 0, "y": 1}

    def forward(self, p, y, reduction="mean"):
        self.reduction, self.n, self.p, self.y = reduction, p.size, p, y
        one, lo = _one(p.dtype), constant(-100, p.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_p = np.maximum(np.log(p), lo)
            log_1mp = np.maximum(np.log(one - p), lo)
        out = _reduce(-(y * log_p + (one - y) * log_1mp), reduction)
        # A prediction outside [0, 1] (or NaN) makes a log, and so the loss, NaN: look only then.
        if reduction == "none" or not math.isfinite(out):
            _require_unit_interval(p, "BCELoss", "predictions", "; did you mean BCEWithLogitsLoss?")
        return out

    def backward(self, g):
        p, y = self.p, self.y
        one, s = _one(p.dtype), _scale(g, self.reduction, self.n)
        gp = (p - y) / np.maximum(p * (one - p), constant(_BCE_EPS, p.dtype))
        gp *= s
        gy = None
        if self.inputs[1].requires_grad:
            lo = constant(-100, p.dtype)
            with np.errstate(divide="ignore"):
                gy = s * (np.maximum(np.log(one - p), lo) - np.maximum(np.log(p), lo))
        return gp, gy


class BCEWithLogitsOp(_Loss):
    """L = mean(max(z, 0) − z·y + log(1 + e^(−|z|)))  (stable);  dL/dz = (σ(z) − y)/N."""
    __slots__ = ("z", "y")
    name = "bce_with_logits"
    saved = {"z": 0, "y": 1}

    def forward(self, z, y, reduction="mean"):
        self.reduction, self.n, self.z, self.y = reduction, z.size, z, y
        return _reduce(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), reduction)

    def backward(self, g):
        s = _scale(g, self.reduction, self.n)
        gz = s * (Sigmoid.call(self.z) - self.y)
        return gz, (-s * self.z if self.inputs[1].requires_grad else None)


class CrossEntropyOp(_Loss):
    """L = mean_i(logsumexp(z_i) − Σ_k Y_ik z_ik) for logits z;  dL/dz = (softmax(z) − Y)/m."""
    __slots__ = ("probs", "onehot", "logp")
    name = "cross_entropy"
    saved = {"probs": lambda inputs, out: inputs[0].softmax(axis=1),
             "logp": lambda inputs, out: inputs[0].log_softmax(axis=1),
             "onehot": lambda inputs, out: inputs[1] if inputs[1].ndim == 2 else None}

    def forward(self, z, y, reduction="mean"):
        self.reduction, self.n = reduction, z.shape[0]
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        s = e.sum(axis=1, keepdims=True)
        self.logp = shifted - np.log(s)
        self.probs = e / s
        if y.ndim == 1:  # integer labels
            onehot = np.zeros_like(z)
            onehot[np.arange(z.shape[0]), y.astype(np.intp)] = 1
        else:
            onehot = y
        self.onehot = onehot
        return _reduce(-(onehot * self.logp).sum(axis=1), reduction)

    def backward(self, g):
        # dL_i/dz_i = softmax(z_i)·Σ_k Y_ik − Y_i, which is p − Y when each row of Y sums to 1.
        scale = g[:, None] if g.ndim == 1 else _scale(g, self.reduction, self.n)
        y = self.onehot
        rows = y.sum(axis=1, keepdims=True)
        gz = scale * (self.probs * rows - y)
        gy = -scale * self.logp if self.inputs[1].requires_grad else None
        return gz, gy


# -- loss functions ---------------------------------------------------------------------
def mse_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error, mean over all elements (like torch.nn.MSELoss)."""
    _check_reduction(reduction, "MSELoss")
    return MSELossOp.apply(input, _target(target, input, "MSELoss", finite=False), reduction=reduction)


def l1_loss(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error;  d/dp = sign(p − y)/N (0 at equality)."""
    _check_reduction(reduction, "L1Loss")
    err = (input - _target(target, input, "L1Loss")).abs()
    return err.mean() if reduction == "mean" else err.sum() if reduction == "sum" else err


def _in_unit_interval(x: np.ndarray) -> bool:
    # Two reductions instead of four elementwise passes; NaN fails both comparisons.
    return bool(x.size == 0 or (x.min() >= 0 and x.max() <= 1))


def _require_unit_interval(x: np.ndarray, op: str, what: str, hint: str = "") -> None:
    if not _in_unit_interval(x):
        bad = int((~np.isfinite(x)).sum())
        if bad:
            raise ValueError(f"{op}: {what} contain {bad} NaN/inf value(s)")
        raise ValueError(f"{op}: {what} must lie in [0, 1] (got min {x.min():.4g}, max {x.max():.4g}){hint}")


def binary_cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """BCE on probabilities in [0, 1] (like torch.nn.BCELoss, logs clamped at −100)."""
    _check_reduction(reduction, "BCELoss")
    t = _target(target, input, "BCELoss", finite=False)
    _require_unit_interval(t.data, "BCELoss", "targets")   # predictions: checked by the op
    return BCELossOp.apply(input, t, reduction=reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """BCE on logits z, computed stably from z (like torch.nn.BCEWithLogitsLoss)."""
    _check_reduction(reduction, "BCEWithLogitsLoss")
    t = _target(target, input, "BCEWithLogitsLoss", finite=False)
    _require_unit_interval(t.data, "BCEWithLogitsLoss", "targets")
    return BCEWithLogitsOp.apply(input, t, reduction=reduction)


def cross_entropy(input: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy from logits (m, k) with integer labels (m,) or probabilities (m, k)."""
    op = "CrossEntropyLoss"
    _check_reduction(reduction, op)
    if input.ndim != 2:
        raise ValueError(f"{op}: expected logits of shape (batch, classes), got {input.shape}")
    m, k = input.shape
    raw = target.data if isinstance(target, Tensor) else np.asarray(target)
    if raw.ndim == 1:
        if raw.shape[0] != m:
            raise ValueError(f"{op}: {m} rows of logits but {raw.shape[0]} labels")
        if raw.dtype.kind == "f":
            if not np.isfinite(raw).all() or not np.array_equal(raw, np.round(raw)):
                raise ValueError(f"{op}: labels must be integers in [0, {k}), got non-integer values")
        elif raw.dtype.kind not in "iu":
            raise TypeError(f"{op}: labels must be integers, got dtype {raw.dtype}")
        if raw.size and (raw.min() < 0 or raw.max() >= k):
            raise ValueError(f"{op}: labels must be integers in [0, {k}), got values in "
                             f"[{int(raw.min())}, {int(raw.max())}]")
        t = as_tensor(raw.astype(np.intp))
    else:
        t = _target(target, input, op, finite=False)
        if not _in_unit_interval(t.data):
            raise ValueError(f"{op}: one-hot/probability targets must lie in [0, 1]")
    return CrossEntropyOp.apply(input, t, reduction=reduction)
