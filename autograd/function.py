"""The op base class, the op registry, and the one place broadcasting is undone.

An op is a small class: `forward(*arrays, **params) -> ndarray` computes the
value and saves what the derivative needs on the instance; `backward(grad)`
returns one gradient per input (or None where an input needs none), in the
shape of the *output* for broadcasting ops. The engine then calls
`unbroadcast` so each gradient gets exactly its input's shape.

Every `backward` is written with NumPy functions and operators, so the same
formula runs on plain arrays (a first-order backward pass) and on Tensors
(NumPy dispatch records it: a backward pass with a graph, for gradients of
gradients). `saved` names the attributes that the formula differentiates
through; `backward_graph` runs the formula with those bound to the tensors.

This module sits below `autograd.tensor`: `Node` is the part of a Tensor that
ops and the engine rely on, so they make and recognise Tensors without
importing the Tensor class (which registers itself as the class of op outputs).
"""
from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Union

import numpy as np

from autograd.grad_mode import STATE

if TYPE_CHECKING:   # annotations only: autograd.tensor imports this module
    from autograd.tensor import Tensor

REGISTRY: dict[str, type["Function"]] = {}


class Node:
    """Base of `autograd.Tensor`: a value in a graph, with `data`, `grad`, `requires_grad`,
    `name` and `_op` (the op that made it, None for a leaf).

    `class Tensor(Node, made_by_ops=True)` names the class that ops return.
    """
    __slots__ = ()
    made_by_ops: ClassVar[type]

    def __init_subclass__(cls, made_by_ops: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if made_by_ops:
            Node.made_by_ops = cls


def _new_tensor(data: np.ndarray) -> Any:
    """Wrap an ndarray as a Tensor without copying or validation: a constant (no grad)."""
    t = _object_new(Node.made_by_ops)
    t.data = data
    t.grad = t.name = t._op = None
    t.requires_grad = False
    return t


# Where a saved attribute comes from: input i, "out" (the op's output), or a function of
# (inputs, output) that recomputes it from tensors (returning None keeps the saved array).
Source = Union[int, str, Callable[[tuple, Any], Any]]
_next_seq = itertools.count().__next__
_object_new = object.__new__
_ndarray = np.ndarray


class Function:
    """Base of every op. Subclasses set `name` (and optionally `symbol`)."""

    # seq: recording order. An op's inputs always existed before it, so sorting
    # ops by seq is a topological order (the engine needs no recursive walk).
    # _inputs: the input tensors as a tuple, or for an elementwise op the one input itself:
    # one object fewer per op for the garbage collector to scan (`inputs` hides the
    # difference; benchmarks/README.md, "Speed tricks that pay").
    __slots__ = ("_inputs", "scope", "seq")
    name: ClassVar[str] = "function"
    symbol: ClassVar[str | None] = None   # short label for drawings, e.g. "+"
    arg_names: ClassVar[tuple[str, ...] | None] = None  # edge labels when order matters
    # backward returns, for every input, a gradient of exactly its shape and dtype
    # (or None): the engine then skips unbroadcast and the dtype cast.
    exact_grads: ClassVar[bool] = False
    # A unary elementwise op: one input, output of its shape (so exact_grads); traces and
    # the explorer show such ops as pointwise.
    elementwise: ClassVar[bool] = False
    # The attributes `backward` differentiates through (attributes it uses only for masks,
    # shapes or signs need not be listed: their derivative is 0 almost everywhere).
    saved: ClassVar[dict[str, Source]] = {}
    _slot_names: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.elementwise:
            cls.exact_grads = True
        cls._slot_names = tuple(dict.fromkeys(
            name for klass in cls.__mro__ for name in getattr(klass, "__slots__", ())))
        if "name" in cls.__dict__:
            REGISTRY[cls.name] = cls

    @property
    def inputs(self) -> tuple["Tensor", ...]:
        """The tensors this op was applied to, in argument order."""
        return (self._inputs,) if self.elementwise else self._inputs

    def forward(self, *arrays: np.ndarray, **params: Any) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError

    def params(self) -> dict[str, Any]:
        """Non-tensor arguments worth showing in a drawing (axis, slope, ...)."""
        return {}

    def backward_graph(self, grad: "Tensor", out: "Tensor") -> tuple[Any, ...]:
        """`backward` on Tensors, recording a graph: the same formula, with the `saved`
        attributes bound to the tensors they came from (so gradients have gradients)."""
        twin = _object_new(type(self))
        for name in self._slot_names:
            if hasattr(self, name):
                setattr(twin, name, getattr(self, name))
        inputs = self.inputs
        for name, source in self.saved.items():
            if source == "out":
                value = out
            elif isinstance(source, int):
                value = inputs[source]
            else:
                value = source(inputs, out)
            if value is not None:
                setattr(twin, name, value)
        return twin.backward(grad)

    @classmethod
    def call(cls, *args: Any, **params: Any) -> Any:
        """Apply the op: recorded when an argument is a Tensor, else plain NumPy on arrays.

        Lets a derivative formula use an op that NumPy has no function for (the
        adjoint of indexing) and still run on both arrays and Tensors.
        """
        if any(isinstance(a, Node) for a in args):
            return cls.apply(*[a if isinstance(a, Node) else _new_tensor(np.asarray(a)) for a in args], **params)
        return _object_new(cls).forward(*args, **params)

    @classmethod
    def apply(cls, *inputs: "Tensor", **params: Any) -> "Tensor":
        """Run forward on the inputs' data; record the op when a graph is wanted."""
        op = _object_new(cls)
        out = _object_new(Node.made_by_ops)
        n = len(inputs)
        if n == 1:   # the common arities unrolled (benchmarks/README.md, "Speed tricks that pay")
            x = inputs[0]
            out.data = op.forward(x.data, **params) if params else op.forward(x.data)
            record = x.requires_grad
        elif n == 2:
            x, y = inputs
            out.data = op.forward(x.data, y.data, **params) if params else op.forward(x.data, y.data)
            record = x.requires_grad or y.requires_grad
        elif n == 3:  # the linear layer: x, W, b
            x, y, z = inputs
            out.data = op.forward(x.data, y.data, z.data, **params)
            record = x.requires_grad or y.requires_grad or z.requires_grad
        else:
            out.data = op.forward(*[t.data for t in inputs], **params)
            record = False
            for t in inputs:
                if t.requires_grad:
                    record = True
                    break
        if type(out.data) is not _ndarray:   # NumPy returns scalars for 0-d results
            out.data = np.asarray(out.data)
        out.grad = out.name = None
        if record:
            state = STATE
            if state.enabled:
                out.requires_grad = True
                op._inputs = inputs[0] if cls.elementwise else inputs
                op.scope = state.scope
                op.seq = _next_seq()
                out._op = op
                return out
        out.requires_grad = False
        out._op = None
        return out

    def __repr__(self) -> str:
        return f"<{self.name}>"


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...], op_name: str) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting expanded, giving it `shape`.

    Broadcasting copies an input along new leading axes and along axes of
    size 1; the derivative of a copy is the sum of the copies' gradients.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    if extra >= 0:
        axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
        if axes:
            grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:
        raise AssertionError(
            f"{op_name}: backward produced a gradient of shape {grad.shape} "
            f"for an input of shape {shape}; expected the input's shape")
    return grad


def raw(x: Any) -> Any:
    """The array inside a Tensor, or x itself."""
    return x.data if isinstance(x, Node) else x
