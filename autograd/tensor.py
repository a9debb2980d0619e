"""`Tensor`: an ndarray plus the op that made it, and the gradient that flows back.

Operators follow NumPy broadcasting; `@` follows `np.matmul`. Each method is a
thin call to an op class in `autograd.ops`, where forward and derivative sit
side by side. NumPy's own functions work on Tensors too (`np.exp(t)`,
`np.dot(X, W)`): `autograd.numpy_api` maps them onto the same methods and ops.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Iterable

import numpy as np

from autograd import engine as _engine
from autograd import ops as _ops
from autograd.function import Node, _new_tensor

ArrayLike = Any
Axis = int | tuple[int, ...] | None

# Python numbers (not bool, not NumPy scalars) that the *_scalar ops take as parameters.
_NUMBERS = (float, int)
_REJECTED_KINDS = {"O": "object", "U": "str", "S": "bytes", "c": "complex", "V": "void"}


def _as_array(data: ArrayLike, dtype: Any = None, copy: bool = True) -> np.ndarray:
    """Convert to an ndarray: ints/bools become float64 unless a dtype is given."""
    if isinstance(data, Tensor):
        data = data.data
    try:
        arr = np.array(data, dtype=dtype, copy=copy) if copy else np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"Tensor: cannot convert {type(data).__name__} to a numeric array ({e})") from None
    kind = arr.dtype.kind
    if kind in _REJECTED_KINDS:
        raise TypeError(
            f"Tensor: data of dtype {arr.dtype} ({_REJECTED_KINDS[kind]}) is not supported; "
            "expected real numbers (float, int or bool)")
    if dtype is None and kind in "biu":
        arr = arr.astype(np.float64)
    return arr


class Tensor(Node, made_by_ops=True):
    """An n-dimensional array that records the ops applied to it for backprop.

    `Tensor(data, requires_grad=False, dtype=None, name=None)` copies `data`
    (like `torch.tensor`). Python/NumPy ints and bools become float64 unless
    `dtype` is given; float32 stays float32 through every op.
    """

    __slots__ = ("data", "grad", "requires_grad", "_op", "name", "__weakref__")
    # Identity, never value, decides which node is which.
    __hash__ = object.__hash__

    # -- NumPy's dispatch protocols (NEP 13, NEP 18) ---------------------------------------
    # Answered by `autograd.numpy_api`, a table from NumPy's names to this class's methods:
    # written with them, it sits above this module and sets these two when it is imported
    # (by `import autograd`).
    numpy_ufunc: ClassVar[Callable[[np.ufunc, str, tuple, dict], Any]]
    numpy_function: ClassVar[Callable[[Any, tuple, dict], Any]]

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return Tensor.numpy_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        return Tensor.numpy_function(func, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """`np.asarray(t)`: the data, for a tensor that does not require grad.

        For one that does, converting would silently drop it from the graph (NumPy
        code would go on with a constant), so it raises, as PyTorch does; leave the
        graph deliberately with `t.detach().numpy()` or `t.data`.
        """
        if self.requires_grad:
            raise TypeError(
                f"np.asarray: this Tensor (shape {self.shape}) requires grad, and converting it to an "
                "ndarray would drop it from the graph; use t.detach().numpy() (or t.data) to leave the "
                "graph deliberately, or a NumPy function that autograd supports")
        data = self.data if dtype is None else self.data.astype(dtype, copy=False)
        return data.copy() if copy else data

    def __init__(self, data: ArrayLike, requires_grad: bool = False,
                 dtype: Any = None, name: str | None = None) -> None:
        self.data = _as_array(data, dtype)
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"Tensor: requires_grad=True needs a floating dtype, got {self.data.dtype}; "
                "pass dtype=np.float64 (or float32)")
        self.grad: np.ndarray | None = None
        self.requires_grad = bool(requires_grad)
        self._op = None
        self.name = name

    # -- properties -------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user rather than by an op."""
        return self._op is None

    @property
    def op(self):
        """The op that produced this tensor (None for leaves)."""
        return self._op

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    # -- conversion -------------------------------------------------------
    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item: only a one-element tensor converts to a number, got shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The data (an ndarray, shared, outside any graph)."""
        return self.data

    def astype(self, dtype: Any, copy: bool = True) -> "Tensor":
        """The values as `dtype`: differentiable between float dtypes (a cast op); a
        non-float result (int, bool) is a constant, as PyTorch's `.long()`."""
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype and not copy:
            return self
        if dtype.kind == "f" and self.requires_grad:
            return _ops.Cast.apply(self, dtype=dtype)
        return _new_tensor(self.data.astype(dtype))

    def copy(self) -> "Tensor":
        """A new node with the same values (differentiable: d/dx = 1)."""
        return _ops.Copy.apply(self)

    def dot(self, other: ArrayLike) -> "Tensor":
        """`np.dot(self, other)`: the matrix product for up to 2-D operands."""
        return np.dot(self, other)

    def ravel(self) -> "Tensor":
        return self.reshape(-1)

    def flatten(self) -> "Tensor":
        return self.reshape(-1)

    def squeeze(self, axis: Axis = None) -> "Tensor":
        return np.squeeze(self, axis)

    def swapaxes(self, axis1: int, axis2: int) -> "Tensor":
        return np.swapaxes(self, axis1, axis2)

    def __setitem__(self, index: Any, value: Any) -> None:
        raise TypeError("setitem: assigning into a Tensor in place is not differentiable here; "
                        "build a new tensor instead, e.g. np.where(mask, value, t) or np.concatenate")

    def detach(self) -> "Tensor":
        """A tensor sharing this data, with no graph and no grad."""
        return _new_tensor(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (set `.grad` to None, like PyTorch)."""
        self.grad = None

    def backward(self, grad: ArrayLike | None = None, retain_grads: bool = True,
                 create_graph: bool = False) -> None:
        """Backpropagate from this tensor, adding d(self)/d(node) into every `.grad`.

        `grad` is the upstream gradient (same shape as self); it may be omitted
        only for a one-element tensor, where it is 1. With `retain_grads=False`
        only leaves get `.grad` (PyTorch's default): each intermediate gradient
        is freed as soon as it has been used, which lowers a step's peak memory.
        With `create_graph=True` the backward pass is itself recorded and each
        `.grad` is a Tensor with a graph (as in PyTorch), so it can be
        differentiated again.
        """
        if create_graph:
            _engine.backward_with_graph(self, grad, retain_grads=retain_grads)
        else:
            _engine.backward(self, grad, retain_grads=retain_grads)

    def __float__(self) -> float:
        return float(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"bool: the truth value of a tensor of shape {self.shape} is ambiguous; "
                             "use .any() / .all() on .data")
        return bool(self.data)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len: a 0-d tensor has no length")
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", precision=4, prefix="Tensor(")
        extra = ""
        if self.data.dtype != np.float64:
            extra += f", dtype={self.data.dtype}"
        if self._op is not None:
            extra += f", op={self._op.name}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        if self.name:
            extra += f", name={self.name!r}"
        return f"Tensor({body}{extra})"

    # -- arithmetic -------------------------------------------------------
    # A Python number operand becomes a parameter of a *_scalar op rather than a
    # constant node: one node fewer, and no conversion to a Tensor.
    def __add__(self, other: ArrayLike) -> "Tensor":
        if type(other) in _NUMBERS and self.data.dtype.kind == "f":
            return _ops.AddScalar.apply(self, c=other)
        return _ops.Add.apply(self, _coerce(other, self))

    def __radd__(self, other: ArrayLike) -> "Tensor":
        if type(other) in _NUMBERS and self.data.dtype.kind == "f":
            return _ops.AddScalar.apply(self, c=other)
        return _ops.Add.apply(_coerce(other, self), self)

    def __sub__(self, other: ArrayLike) -> "Tensor":
        if type(other) in _NUMBERS and self.data.dtype.kind == "f":
            return _ops.SubScalar.apply(self, c=other)
        return _ops.Sub.apply(self, _coerce(other, self))

    def __rsub__(self, other: ArrayLike) -> "Tensor":
        if type(other) in _NUMBERS and self.data.dtype.kind == "f":
            return _ops.RSubScalar.apply(self, c=other)
        return _ops.Sub.apply(_coerce(other, self), self)

    def __mul__(self, other: ArrayLike) -> "Tensor":
        if type(other) in _NUMBERS and self.data.dtype.kind == "f":
            return _ops.MulScalar.apply(self, c=other)
        return _ops.Mul.apply(self, _coerce(other, self))

    def __rmul__(self, other: ArrayLike) -> "Tensor":
        if type(other) in _NUMBERS and self.data.dtype.kind == "f":
            return _ops.MulScalar.apply(self, c=other)
        return _ops.Mul.apply(_coerce(other, self), self)

    def __truediv__(self, other: ArrayLike) -> "Tensor":
        if type(other) in _NUMBERS and self.data.dtype.kind == "f":
            return _ops.DivScalar.apply(self, c=other)
        return _ops.Div.apply(self, _coerce(other, self))

    def __rtruediv__(self, other: ArrayLike) -> "Tensor":
        if type(other) in _NUMBERS and self.data.dtype.kind == "f":
            return _ops.RDivScalar.apply(self, c=other)
        return _ops.Div.apply(_coerce(other, self), self)

    def __pow__(self, other: ArrayLike) -> "Tensor":
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return _ops.PowScalar.apply(self, exponent=other)
        return _ops.Pow.apply(self, _coerce(other, self))

    def __rpow__(self, other: ArrayLike) -> "Tensor":
        return _ops.Pow.apply(_coerce(other, self), self)

    def __matmul__(self, other: ArrayLike) -> "Tensor":
        return _ops.MatMul.apply(self, _coerce(other, self))

    def __rmatmul__(self, other: ArrayLike) -> "Tensor":
        return _ops.MatMul.apply(_coerce(other, self), self)

    def __neg__(self) -> "Tensor":
        return _ops.Neg.apply(self)

    def __pos__(self) -> "Tensor":
        return self

    # -- comparisons: plain boolean tensors, never part of a graph --------
    def _compare(self, other: ArrayLike, ufunc: np.ufunc) -> "Tensor":
        other = other.data if isinstance(other, Tensor) else other
        return _new_tensor(ufunc(self.data, other))

    def __lt__(self, other: ArrayLike) -> "Tensor":
        return self._compare(other, np.less)

    def __le__(self, other: ArrayLike) -> "Tensor":
        return self._compare(other, np.less_equal)

    def __gt__(self, other: ArrayLike) -> "Tensor":
        return self._compare(other, np.greater)

    def __ge__(self, other: ArrayLike) -> "Tensor":
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: ArrayLike) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: ArrayLike) -> "Tensor":  # type: ignore[override]
        return self._compare(other, np.not_equal)

    # -- logic on masks (results never require grad) ------------------------------------
    def __and__(self, other: ArrayLike) -> "Tensor":
        return self._compare(other, np.logical_and)

    __rand__ = __and__

    def __or__(self, other: ArrayLike) -> "Tensor":
        return self._compare(other, np.logical_or)

    __ror__ = __or__

    def __xor__(self, other: ArrayLike) -> "Tensor":
        return self._compare(other, np.logical_xor)

    __rxor__ = __xor__

    def __invert__(self) -> "Tensor":
        return _new_tensor(np.invert(self.data) if self.data.dtype.kind in "bui" else ~self.data)

    # -- elementwise functions --------------------------------------------
    def exp(self) -> "Tensor":
        return _ops.Exp.apply(self)

    def log(self) -> "Tensor":
        return _ops.Log.apply(self)

    def sqrt(self) -> "Tensor":
        return _ops.Sqrt.apply(self)

    def abs(self) -> "Tensor":
        return _ops.Abs.apply(self)

    def sin(self) -> "Tensor":
        return _ops.Sin.apply(self)

    def cos(self) -> "Tensor":
        return _ops.Cos.apply(self)

    def tanh(self) -> "Tensor":
        return _ops.Tanh.apply(self)

    def sigmoid(self) -> "Tensor":
        return _ops.Sigmoid.apply(self)

    def relu(self) -> "Tensor":
        return _ops.ReLU.apply(self)

    def leaky_relu(self, negative_slope: float = 0.01) -> "Tensor":
        return _ops.LeakyReLU.apply(self, negative_slope=negative_slope)

    def clip(self, lo: float | None = None, hi: float | None = None) -> "Tensor":
        return _ops.Clip.apply(self, lo=lo, hi=hi)

    # -- reductions --------------------------------------------------------
    def sum(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        if axis is None and not keepdims:   # a loss's reduction: no keyword arguments to pass on
            return _ops.Sum.apply(self)
        return _ops.Sum.apply(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        if axis is None and not keepdims:
            return _ops.Mean.apply(self)
        return _ops.Mean.apply(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        return _ops.Max.apply(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        return _ops.Min.apply(self, axis=axis, keepdims=keepdims)

    def softmax(self, axis: int = -1) -> "Tensor":
        return _ops.Softmax.apply(self, axis=axis)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        return _ops.LogSoftmax.apply(self, axis=axis)

    def logsumexp(self, axis: Axis = None, keepdims: bool = False) -> "Tensor":
        return _ops.LogSumExp.apply(self, axis=axis, keepdims=keepdims)

    # -- shape -------------------------------------------------------------
    def reshape(self, *shape: int | tuple[int, ...]) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.Reshape.apply(self, shape=shape)

    def transpose(self, *axes: int | tuple[int, ...]) -> "Tensor":
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.Transpose.apply(self, axes=axes or None)

    def __getitem__(self, index: Any) -> "Tensor":
        return _ops.GetItem.apply(self, index=index)


def _coerce(x: ArrayLike, like: Tensor | None = None) -> Tensor:
    """Make an operand a Tensor; Python numbers and int/bool arrays take `like`'s float dtype."""
    if isinstance(x, Tensor):
        if like is not None and x.data.dtype.kind in "biu" and like.data.dtype.kind == "f":
            return _new_tensor(x.data.astype(like.data.dtype))   # int/bool tensors: no upcast of float32
        return x
    if like is not None:
        dtype = like.data.dtype
        if dtype.kind == "f":
            kind = type(x)
            if kind is float or kind is int:
                return _new_tensor(np.asarray(x, dtype))
            if kind is np.ndarray and x.dtype.kind in "biu":  # int/bool arrays: no upcast of float32
                return _new_tensor(x.astype(dtype))
            # bool and NumPy scalars (np.float64, np.int64, np.bool_): weak, like PyTorch's scalars
            if isinstance(x, (int, float, np.integer, np.bool_, np.floating)):
                return _new_tensor(np.asarray(x, dtype))
    return _new_tensor(_as_array(x, copy=False))


def as_tensor(x: ArrayLike, dtype: Any = None) -> Tensor:
    """Return `x` if it is a Tensor, else wrap it without copying (a constant)."""
    if isinstance(x, Tensor) and dtype is None:
        return x
    return _new_tensor(_as_array(x, dtype, copy=False))


def tensors(xs: Iterable[ArrayLike]) -> list[Tensor]:
    """Coerce a sequence of operands, numbers taking the first tensor's dtype."""
    xs = list(xs)
    like = next((x for x in xs if isinstance(x, Tensor)), None)
    return [_coerce(x, like) for x in xs]
