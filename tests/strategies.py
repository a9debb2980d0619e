"""Reusable hypothesis strategies for the autograd tests, and the op table.

Shapes and values:
    SHAPES                      hand-picked shapes that exercise broadcasting
    shapes(min_dims)            one of SHAPES or a random small shape
    broadcastable_shapes(n)     n shapes that broadcast together
    floats(lo, hi), nonzero(lo, hi)
                                element strategies (finite float64, no subnormals)
    arrays(shape, elements)     float64 arrays with independently drawn elements
    axes(ndim, kind)            an `axis=` argument: None, int, negative int or tuple
    distinct_arrays(shape)      arrays without near-ties (for max/min)
    nudge(a, *kinks), off(a, *kinks), spread(a)
                                keep values away from kinks; predicates for assume()

The op table OP_TABLE lists, for every op that autograd registers in `REGISTRY`, one or more
`Variant`s. A variant is a strategy drawing a `Case`: float64 input arrays
(kept inside the op's domain and away from its kinks), the function under test
written with autograd, and the same function written with torch. Test modules
run every variant through gradient checks, dtype/shape checks and PyTorch
parity; `test_ops.py` fails when a registered op has no variant here.
"""
from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from hypothesis import assume, strategies as st
from hypothesis.extra import numpy as hnp

import autograd as ag
from autograd import Tensor

SHAPES: list[tuple[int, ...]] = [(), (4,), (1, 4), (3, 4), (3, 1), (2, 3, 4)]

# Distance kept from kinks (relu/abs/leaky_relu at 0, clip bounds, ties of max/min);
# much larger than the finite-difference step 1e-6.
MARGIN = 1e-3


# -- shapes and values ---------------------------------------------------------------
# Strategy factories are cached: composite strategies call them on every draw, and
# building (and validating) a fresh hypothesis strategy each time costs milliseconds.
cached = functools.lru_cache(maxsize=None)


def _broadcasts(*shape_list: tuple[int, ...]) -> bool:
    try:
        np.broadcast_shapes(*shape_list)
    except ValueError:
        return False
    return True


@cached
def shapes(min_dims: int = 0, max_dims: int = 3) -> st.SearchStrategy[tuple[int, ...]]:
    """One of SHAPES (within the dims) or a random shape with sides 1..4."""
    listed = [s for s in SHAPES if min_dims <= len(s) <= max_dims]
    drawn = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=4)
    return st.sampled_from(listed) | drawn


@cached
def broadcastable_shapes(num_shapes: int = 2) -> st.SearchStrategy[tuple[tuple[int, ...], ...]]:
    """`num_shapes` shapes that broadcast together: combinations of SHAPES, or random ones."""
    listed = [c for c in itertools.product(SHAPES, repeat=num_shapes) if _broadcasts(*c)]
    drawn = hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=0, max_dims=3,
                                              min_side=1, max_side=4).map(lambda b: tuple(b.input_shapes))
    return st.sampled_from(listed) | drawn


@cached
def floats(lo: float = -3.0, hi: float = 3.0) -> st.SearchStrategy[float]:
    """Finite float64 values in [lo, hi] (no NaN, inf or subnormals)."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@cached
def nonzero(lo: float = 0.5, hi: float = 3.0) -> st.SearchStrategy[float]:
    """Values with lo <= |x| <= hi, of either sign."""
    return floats(lo, hi) | floats(-hi, -lo)


@cached
def arrays(shape: Any, elements: st.SearchStrategy[float] | None = None,
           unique: bool = False) -> st.SearchStrategy[np.ndarray]:
    """float64 arrays of `shape` (a tuple or a strategy), every element drawn on its own."""
    return hnp.arrays(np.float64, shape, elements=elements if elements is not None else floats(),
                      fill=st.nothing(), unique=unique)


@cached
def axes(ndim: int, kind: str) -> st.SearchStrategy[Any]:
    """An `axis=` for a tensor of `ndim` dims: kind "none", "int", "negative" or "tuple".

    Tuples are non-empty (NumPy reduces nothing over `()`, torch reduces everything)
    and mix positive and negative spellings.
    """
    if kind == "none":
        return st.none()
    if kind == "int":
        return st.integers(0, ndim - 1)
    if kind == "negative":
        return st.integers(-ndim, -1)
    if kind == "tuple":
        return (st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)
                .flatmap(lambda xs: st.tuples(*[st.sampled_from([x, x - ndim]) for x in xs])))
    raise ValueError(f"unknown axis kind {kind!r}")


def spread(a: np.ndarray, margin: float = MARGIN) -> bool:
    """True when all elements differ pairwise by more than `margin` (no ties)."""
    flat = np.sort(a.ravel())
    return flat.size < 2 or bool(np.diff(flat).min() > margin)


@st.composite
def distinct_arrays(draw, shape: tuple[int, ...]) -> np.ndarray:
    """float64 arrays whose elements differ pairwise by at least 0.15 (no ties, for max/min).

    A random ranking of the elements, each jittered by less than half a step.
    """
    size = int(np.prod(shape))
    rank = np.array(draw(st.permutations(range(size))), dtype=np.float64).reshape(shape)
    jitter = draw(arrays(shape, floats(0.0, 0.4)))
    return (rank + jitter - size / 2) * 0.25


def nudge(a: np.ndarray, *points: float | None, margin: float = MARGIN) -> np.ndarray:
    """Move elements closer than 2·margin to any of `points` (kinks) out to 2·margin, same side."""
    for p in points:
        if p is not None:
            near = np.abs(a - p) < 2 * margin
            a = np.where(near, np.where(a >= p, p + 2 * margin, p - 2 * margin), a)
    return a


def off(a: np.ndarray, *points: float | None, margin: float = MARGIN) -> bool:
    """True when no element lies within `margin` of any of `points` (kinks)."""
    return all(p is None or bool(np.all(np.abs(a - p) > margin)) for p in points)


# -- the op table ------------------------------------------------------------------
@dataclass(frozen=True)
class Case:
    """One drawn example: inputs, the function in autograd, and the same in torch.

    `fn(*tensors)` must have the op under test as its outermost op. `torch_fn`
    is called as `torch_fn(torch, *torch_tensors)`; None means `fn` itself
    works on torch tensors (operators and shared method names).
    """
    desc: str
    arrays: tuple[np.ndarray, ...]
    fn: Callable[..., Any]
    torch_fn: Callable[..., Any] | None = None

    def run_torch(self, torch: Any, *tensors: Any) -> Any:
        return self.torch_fn(torch, *tensors) if self.torch_fn is not None else self.fn(*tensors)


@dataclass(frozen=True)
class Variant:
    """One way of calling an op (e.g. matmul 1-D @ 2-D), as a strategy of Cases."""
    op: str
    name: str
    cases: st.SearchStrategy[Case]

    @property
    def id(self) -> str:
        return f"{self.op}[{self.name}]"

    def __repr__(self) -> str:
        return self.id


def _unary(op: str, fn: Callable, torch_fn: Callable | None = None,
           elements: st.SearchStrategy[float] | None = None,
           kinks: tuple[float, ...] = (), min_dims: int = 0) -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw):
        shape = draw(shapes(min_dims))
        a = draw(arrays(shape, elements))
        assume(off(a, *kinks))
        return Case(f"{op} {shape}", (a,), fn, torch_fn)
    return cases()


def _binary(op: str, fn: Callable, torch_fn: Callable | None = None,
            a_elements: st.SearchStrategy[float] | None = None,
            b_elements: st.SearchStrategy[float] | None = None) -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw):
        sa, sb = draw(broadcastable_shapes(2))
        a, b = draw(arrays(sa, a_elements)), draw(arrays(sb, b_elements))
        return Case(f"{op} {sa} with {sb}", (a, b), fn, torch_fn)
    return cases()


@st.composite
def _pow_scalar(draw, fractional: bool):
    if fractional:  # needs a positive base
        p = draw(st.sampled_from([0.5, 1.5, -0.5, 2.5, 1 / 3]))
        elements = floats(0.5, 3.0)
    else:           # any sign of base; integer-valued floats count as integers
        p = draw(st.sampled_from([0, 1, 2, 3, -1, -2, 2.0, 3.0]))
        elements = nonzero(0.5, 2.0)
    a = draw(arrays(draw(shapes()), elements))
    return Case(f"x ** {p!r}", (a,), lambda x: x ** p)


_MATMUL_SHAPES = {
    "1d@1d": lambda n, k, m: ((k,), (k,)),
    "1d@2d": lambda n, k, m: ((k,), (k, m)),
    "2d@1d": lambda n, k, m: ((n, k), (k,)),
    "2d@2d": lambda n, k, m: ((n, k), (k, m)),
    "1d@3d": lambda n, k, m: ((k,), (2, k, m)),
    "3d@1d": lambda n, k, m: ((2, n, k), (k,)),
    "(2,3,4)@(4,5)": lambda n, k, m: ((2, 3, 4), (4, 5)),
    "(5,1,3,4)@(2,4,2)": lambda n, k, m: ((5, 1, 3, 4), (2, 4, 2)),
}


def _matmul(kind: str) -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw):
        n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
        sa, sb = _MATMUL_SHAPES[kind](n, k, m)
        a, b = draw(arrays(sa)), draw(arrays(sb))
        return Case(f"matmul {sa} @ {sb}", (a, b), lambda x, y: x @ y)
    return cases()


_TORCH_REDUCERS = {"sum": "sum", "mean": "mean", "max": "amax", "min": "amin", "logsumexp": "logsumexp"}


def _reduction(op: str, axis_kind: str) -> st.SearchStrategy[Case]:
    ties_matter = op in ("max", "min")

    @st.composite
    def cases(draw):
        shape = draw(shapes(0 if axis_kind == "none" else 1))
        axis = draw(axes(len(shape), axis_kind))
        keepdims = draw(st.booleans())
        a = draw(distinct_arrays(shape) if ties_matter else arrays(shape))
        if ties_matter:
            assume(spread(a))
        dims = tuple(range(len(shape))) if axis is None else axis
        torch_name = _TORCH_REDUCERS[op]
        return Case(f"{op}(axis={axis!r}, keepdims={keepdims}) of {shape}", (a,),
                    lambda x: getattr(x, op)(axis=axis, keepdims=keepdims),
                    lambda torch, x: getattr(torch, torch_name)(x, dim=dims, keepdim=keepdims))
    return cases()


def _softmax(op: str, axis_kind: str) -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw):
        shape = draw(shapes(1))
        axis = draw(axes(len(shape), axis_kind))
        a = draw(arrays(shape))
        return Case(f"{op}(axis={axis}) of {shape}", (a,),
                    lambda x: getattr(x, op)(axis=axis),
                    lambda torch, x: getattr(torch, op)(x, dim=axis))
    return cases()


@st.composite
def _leaky_relu(draw):
    slope = draw(st.sampled_from([0.01, 0.1, 0.2]) | floats(0.0, 1.0))
    a = draw(arrays(draw(shapes()), nonzero(2 * MARGIN, 3.0)))
    assume(off(a, 0.0))
    return Case(f"leaky_relu(slope={slope}) of {a.shape}", (a,), lambda x: x.leaky_relu(slope),
                lambda torch, x: torch.nn.functional.leaky_relu(x, slope))


def _clip(bounds: str) -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw):
        lo = draw(floats(-2.0, 0.5)) if bounds in ("both", "lo") else None
        hi = draw(floats((lo if lo is not None else -0.5) + 0.1, 2.0)) if bounds in ("both", "hi") else None
        a = nudge(draw(arrays(draw(shapes()))), lo, hi)
        assume(off(a, lo, hi))
        return Case(f"clip({lo}, {hi}) of {a.shape}", (a,), lambda x: x.clip(lo, hi))
    return cases()


@st.composite
def _reshape(draw, varargs: bool):
    shape = draw(shapes())
    size = int(np.prod(shape))
    targets = [shape[::-1], (size,), (-1,), (1,) + shape, shape + (1,)]
    targets += [shape[:i] + (-1,) + shape[i + 1:] for i in range(len(shape))]
    if size == 1:
        targets.append(())
    target = draw(st.sampled_from(targets))
    a = draw(arrays(shape))
    if varargs and target:
        return Case(f"reshape{target} of {shape}", (a,), lambda x: x.reshape(*target))
    return Case(f"reshape({target}) of {shape}", (a,), lambda x: x.reshape(target))


def _transpose(kind: str) -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw):
        if kind == "T":
            shape = draw(shapes(2, 2))
            return Case(f"T of {shape}", (draw(arrays(shape)),), lambda x: x.T)
        shape = draw(shapes())
        a = draw(arrays(shape))
        ndim = len(shape)
        if kind == "reverse":
            rev = tuple(reversed(range(ndim)))
            return Case(f"transpose() of {shape}", (a,), lambda x: x.transpose(),
                        lambda torch, x: x.permute(rev))
        perm = draw(st.permutations(range(ndim)))
        perm = tuple(draw(st.sampled_from([p, p - ndim])) for p in perm)  # negative spellings too
        if kind == "varargs" and perm:
            return Case(f"transpose{perm} of {shape}", (a,), lambda x: x.transpose(*perm),
                        lambda torch, x: x.permute(*perm))
        return Case(f"transpose({perm}) of {shape}", (a,), lambda x: x.transpose(perm),
                    lambda torch, x: x.permute(perm))
    return cases()


def torch_basic_index(torch: Any, t: Any, index: tuple) -> Any:
    """Apply a tuple of ints and slices to a torch tensor (torch has no negative steps)."""
    d = 0
    for part in index:
        if isinstance(part, slice):
            t = t.index_select(d, torch.from_numpy(np.arange(t.shape[d])[part].copy()))
            d += 1
        else:
            t = t.select(d, part)
    return t


@st.composite
def _repeated_indices(draw, n: int) -> np.ndarray:
    """Integer indices into a side of length n (negative ones too), at least one repeated."""
    idx = draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=5))
    repeat = draw(st.sampled_from(idx))
    return np.array(idx + [repeat], dtype=np.int64)


def _getitem(kind: str) -> st.SearchStrategy[Case]:
    @st.composite
    def cases(draw):
        min_dims = 2 if kind in ("int array on axis 1", "two int arrays") else 1
        shape = draw(shapes(min_dims))
        a = draw(arrays(shape))
        n = shape[0]
        if kind == "slices":
            index = tuple(draw(st.slices(s)) for s in shape[:draw(st.integers(1, len(shape)))])
            return Case(f"[{index}] of {shape}", (a,), lambda x: x[index],
                        lambda torch, x: torch_basic_index(torch, x, index))
        if kind == "ints and slices":
            index = tuple(draw(st.integers(-s, s - 1) | st.slices(s)) for s in shape)
            return Case(f"[{index}] of {shape}", (a,), lambda x: x[index],
                        lambda torch, x: torch_basic_index(torch, x, index))
        if kind == "ellipsis and newaxis":
            index = draw(st.sampled_from([(Ellipsis, None), (None, Ellipsis, 0), (Ellipsis, slice(0, None, 2)),
                                          (slice(1, None), None)]))
            return Case(f"[{index}] of {shape}", (a,), lambda x: x[index])
        if kind == "int array, repeated":
            idx = draw(_repeated_indices(n))
            return Case(f"[{idx}] of {shape}", (a,), lambda x: x[idx],
                        lambda torch, x: x[torch.from_numpy(idx)])
        if kind == "int array on axis 1":
            idx = draw(_repeated_indices(shape[1]))
            return Case(f"[:, {idx}] of {shape}", (a,), lambda x: x[:, idx],
                        lambda torch, x: x[:, torch.from_numpy(idx)])
        if kind == "two int arrays":
            rows = draw(_repeated_indices(n))
            cols = draw(hnp.arrays(np.int64, rows.shape, elements=st.integers(-shape[1], shape[1] - 1)))
            return Case(f"[{rows}, {cols}] of {shape}", (a,), lambda x: x[rows, cols],
                        lambda torch, x: x[torch.from_numpy(rows), torch.from_numpy(cols)])
        if kind == "list, repeated":
            idx = draw(_repeated_indices(n)).tolist()
            return Case(f"[{idx}] of {shape}", (a,), lambda x: x[idx])
        if kind == "boolean mask":
            mask = draw(hnp.arrays(np.bool_, shape))
            return Case(f"[mask {mask.tolist()}] of {shape}", (a,), lambda x: x[mask],
                        lambda torch, x: x[torch.from_numpy(mask)])
        if kind == "boolean mask on axis 0":
            mask = draw(hnp.arrays(np.bool_, (n,)))
            return Case(f"[mask {mask.tolist()}] of {shape}", (a,), lambda x: x[mask],
                        lambda torch, x: x[torch.from_numpy(mask)])
        if kind == "Tensor of ints":
            idx = draw(_repeated_indices(n))
            t_idx = Tensor(idx, dtype=np.int64)
            return Case(f"[Tensor({idx})] of {shape}", (a,), lambda x: x[t_idx],
                        lambda torch, x: x[torch.from_numpy(idx)])
        if kind == "Tensor mask":
            mask = draw(hnp.arrays(np.bool_, shape))
            t_mask = Tensor(mask, dtype=bool)
            return Case(f"[Tensor(mask {mask.tolist()})] of {shape}", (a,), lambda x: x[t_mask],
                        lambda torch, x: x[torch.from_numpy(mask)])
        raise ValueError(kind)
    return cases()


@st.composite
def _concatenate(draw):
    shape = draw(shapes(1))
    ndim = len(shape)
    axis = draw(st.integers(-ndim, ndim - 1))
    k = axis % ndim
    count = draw(st.integers(1, 3))
    arrs = tuple(draw(arrays(shape[:k] + (draw(st.integers(1, 3)),) + shape[k + 1:])) for _ in range(count))
    return Case(f"concatenate(axis={axis}) of {[x.shape for x in arrs]}", arrs,
                lambda *ts: ag.concatenate(list(ts), axis=axis),
                lambda torch, *ts: torch.cat(ts, dim=axis))


@st.composite
def _stack(draw):
    shape = draw(shapes())
    ndim = len(shape)
    axis = draw(st.integers(-(ndim + 1), ndim))
    arrs = tuple(draw(arrays(shape)) for _ in range(draw(st.integers(1, 3))))
    return Case(f"stack(axis={axis}) of {len(arrs)} x {shape}", arrs,
                lambda *ts: ag.stack(list(ts), axis=axis),
                lambda torch, *ts: torch.stack(ts, dim=axis))


@st.composite
def _where(draw, scalar_branch: bool):
    if scalar_branch:
        sc, sa = draw(broadcastable_shapes(2))
        cond = draw(hnp.arrays(np.bool_, sc))
        a = draw(arrays(sa))
        return Case(f"where(cond {sc}, a {sa}, 0.5)", (a,), lambda x: ag.where(cond, x, 0.5),
                    lambda torch, x: torch.where(torch.from_numpy(cond), x, 0.5))
    sc, sa, sb = draw(broadcastable_shapes(3))
    cond = draw(hnp.arrays(np.bool_, sc))
    a, b = draw(arrays(sa)), draw(arrays(sb))
    return Case(f"where(cond {sc}, a {sa}, b {sb})", (a, b), lambda x, y: ag.where(cond, x, y),
                lambda torch, x, y: torch.where(torch.from_numpy(cond), x, y))


def _binary_no_ties(op: str, ufunc: np.ufunc) -> st.SearchStrategy[Case]:
    """maximum/minimum of broadcasting operands kept apart (no ties: a kink of the derivative)."""
    @st.composite
    def cases(draw):
        sa, sb = draw(broadcastable_shapes(2))
        a, b = draw(arrays(sa)), draw(arrays(sb))
        assume(bool(np.all(np.abs(np.subtract(a, b)) > MARGIN)))
        return Case(f"{op} {sa} with {sb}", (a, b), lambda x, y: ufunc(x, y),
                    lambda torch, x, y: getattr(torch, op)(x, y))
    return cases()


@st.composite
def _broadcast_to(draw):
    shape = draw(shapes(0, 2))
    target = (draw(st.integers(1, 3)),) + tuple(draw(st.sampled_from([1, 3])) if n == 1 else n for n in shape)
    a = draw(arrays(shape))
    return Case(f"broadcast_to({target}) of {shape}", (a,), lambda x: np.broadcast_to(x, target),
                lambda torch, x: torch.broadcast_to(x, target))


@st.composite
def _scatter_add(draw):
    shape = draw(shapes(1, 2))
    idx = draw(_repeated_indices(shape[0]))
    g = draw(arrays((len(idx),) + shape[1:]))

    def scatter(x):
        return ag.ops.ScatterAdd.apply(x, shape=shape, index=idx)

    def torch_scatter(torch, x):
        out = torch.zeros(shape, dtype=x.dtype)
        return out.index_add(0, torch.from_numpy(idx % shape[0]), x)
    return Case(f"scatter_add into {shape} at {idx}", (g,), scatter, torch_scatter)


OP_TABLE: list[Variant] = [
    # binary, broadcasting
    Variant("add", "broadcast", _binary("add", lambda a, b: a + b)),
    # a NumPy scalar is an operand like an array (a constant node), unlike a Python number
    Variant("add", "NumPy scalar left", _unary("add", lambda b: np.float64(2.5) + b, lambda torch, b: 2.5 + b)),
    Variant("sub", "broadcast", _binary("sub", lambda a, b: a - b)),
    Variant("sub", "NumPy scalar left", _unary("sub", lambda b: np.float64(2.5) - b, lambda torch, b: 2.5 - b)),
    Variant("mul", "broadcast", _binary("mul", lambda a, b: a * b)),
    Variant("mul", "NumPy scalar left", _unary("mul", lambda b: np.float64(-1.5) * b, lambda torch, b: -1.5 * b)),
    Variant("div", "broadcast", _binary("div", lambda a, b: a / b, b_elements=nonzero(0.5, 3.0))),
    Variant("div", "NumPy scalar left", _unary("div", lambda b: np.float64(1.5) / b, lambda torch, b: 1.5 / b,
                                               elements=nonzero(0.5, 3.0))),
    Variant("pow", "broadcast", _binary("pow", lambda a, b: a ** b,
                                        a_elements=floats(0.5, 3.0), b_elements=floats(-2.0, 2.0))),
    Variant("pow", "scalar base", _unary("pow", lambda b: 1.7 ** b)),
    Variant("pow_scalar", "integer exponent", _pow_scalar(fractional=False)),
    Variant("pow_scalar", "fractional exponent", _pow_scalar(fractional=True)),
    *(Variant("matmul", kind, _matmul(kind)) for kind in _MATMUL_SHAPES),
    # with a Python number (a parameter of the op, not a node)
    Variant("add_scalar", "right", _unary("add_scalar", lambda a: a + 2.5)),
    Variant("add_scalar", "left, int", _unary("add_scalar", lambda a: 3 + a)),
    Variant("sub_scalar", "any", _unary("sub_scalar", lambda a: a - 2.5)),
    Variant("rsub_scalar", "any", _unary("rsub_scalar", lambda a: 2.5 - a)),
    Variant("mul_scalar", "right", _unary("mul_scalar", lambda a: a * -1.5)),
    Variant("mul_scalar", "left, int", _unary("mul_scalar", lambda a: 3 * a)),
    Variant("div_scalar", "any", _unary("div_scalar", lambda a: a / 1.5)),
    Variant("rdiv_scalar", "nonzero", _unary("rdiv_scalar", lambda a: 1.5 / a, elements=nonzero(0.5, 3.0))),
    # unary, elementwise
    Variant("neg", "any", _unary("neg", lambda a: -a)),
    Variant("exp", "any", _unary("exp", lambda a: a.exp())),
    Variant("log", "positive", _unary("log", lambda a: a.log(), elements=floats(0.1, 5.0))),
    Variant("sqrt", "positive", _unary("sqrt", lambda a: a.sqrt(), elements=floats(0.1, 5.0))),
    Variant("abs", "off 0", _unary("abs", lambda a: a.abs(), elements=nonzero(2 * MARGIN, 3.0), kinks=(0.0,))),
    Variant("sin", "any", _unary("sin", lambda a: a.sin())),
    Variant("cos", "any", _unary("cos", lambda a: a.cos())),
    Variant("tanh", "any", _unary("tanh", lambda a: a.tanh())),
    Variant("sigmoid", "any", _unary("sigmoid", lambda a: a.sigmoid(), elements=floats(-8.0, 8.0))),
    Variant("relu", "off 0", _unary("relu", lambda a: a.relu(), elements=nonzero(2 * MARGIN, 3.0), kinks=(0.0,))),
    Variant("leaky_relu", "off 0", _leaky_relu()),
    *(Variant("clip", bounds, _clip(bounds)) for bounds in ("both", "lo", "hi")),
    # reductions
    *(Variant(op, f"axis {kind}", _reduction(op, kind))
      for op in ("sum", "mean", "max", "min", "logsumexp") for kind in ("none", "int", "negative", "tuple")),
    *(Variant(op, f"axis {kind}", _softmax(op, kind))
      for op in ("softmax", "log_softmax") for kind in ("int", "negative")),
    # shape
    Variant("reshape", "tuple", _reshape(varargs=False)),
    Variant("reshape", "varargs", _reshape(varargs=True)),
    *(Variant("transpose", kind, _transpose(kind)) for kind in ("reverse", "T", "axes", "varargs")),
    *(Variant("getitem", kind, _getitem(kind)) for kind in (
        "slices", "ints and slices", "ellipsis and newaxis", "int array, repeated", "int array on axis 1",
        "two int arrays", "list, repeated", "boolean mask", "boolean mask on axis 0", "Tensor of ints",
        "Tensor mask")),
    Variant("concatenate", "any axis", _concatenate()),
    Variant("stack", "any axis", _stack()),
    Variant("where", "broadcast", _where(scalar_branch=False)),
    Variant("where", "scalar branch", _where(scalar_branch=True)),
    # reached through NumPy's functions (autograd.numpy_api)
    Variant("maximum", "broadcast, no ties", _binary_no_ties("maximum", np.maximum)),
    Variant("maximum", "with a number", _unary("maximum", lambda a: np.maximum(0.25, a),
                                              lambda torch, a: torch.clamp(a, min=0.25),
                                              elements=nonzero(0.3, 3.0), kinks=(0.25,))),
    Variant("minimum", "broadcast, no ties", _binary_no_ties("minimum", np.minimum)),
    Variant("log1p", "above -1", _unary("log1p", lambda a: np.log1p(a), lambda torch, a: torch.log1p(a),
                                        elements=floats(-0.9, 5.0))),
    Variant("expm1", "any", _unary("expm1", lambda a: np.expm1(a), lambda torch, a: torch.expm1(a))),
    Variant("copy", "method", _unary("copy", lambda a: a.copy(), lambda torch, a: a.clone())),
    Variant("cast", "to its own dtype", _unary("cast", lambda a: a.astype(a.dtype),
                                               lambda torch, a: a.to(a.dtype))),
    Variant("broadcast_to", "new and size-1 axes", _broadcast_to()),
    Variant("scatter_add", "the adjoint of indexing", _scatter_add()),
]


def autograd_ops() -> set[str]:
    """Names of the ops that the autograd package itself registers."""
    return {name for name, cls in ag.REGISTRY.items() if cls.__module__.split(".")[0] == "autograd"}
