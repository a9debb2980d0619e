"""Recording arrays: run NumPy code once on real values and write each call down as source.

A `Traced` array carries a concrete ndarray (so every formula computes its real
value, and checks such as `.any()` or `float()` see real numbers) and a
variable name. It implements NumPy's dispatch protocols (`__array_ufunc__`,
`__array_function__`), the operators and the common ndarray methods; each call
on it computes the result with NumPy and appends one line of NumPy source
(`h1 = np.dot(x, W1.T)`) to the `Recorder`. `TracedScalar` does the same for
Python numbers that change from call to call (a learning rate).

What is recorded is exactly what ran: the ops' own `forward`/`backward`
formulas, not a second description of them. Python control flow and
conversions to Python values (`bool()`, `float()`, `.item()`) are evaluated
once, at trace time, as in `jax.jit` or `torch.jit.trace`.
"""
from __future__ import annotations

import keyword
import math
import operator
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


class TraceError(TypeError):
    """Something in a traced function cannot be written down as NumPy source."""


class Var:
    """A name in the generated code (renamed freely until the source is rendered)."""
    __slots__ = ("name", "named")

    def __init__(self, name: str, named: bool = False) -> None:
        self.name, self.named = name, named

    def __repr__(self) -> str:
        return self.name


@dataclass
class Line:
    """One statement: `targets = parts` (parts: strings and Vars), or a bare statement."""
    targets: list[Var]
    parts: list[Any]
    reads: set[Var]
    writes: set[Var]           # for a statement that mutates arrays: every Var it may change
    section: str
    comment: str | None
    kind: str = "assign"       # "assign", "mutate", "alias"
    value: Any = None          # the traced value of the single target (shapes for buffers)
    fast: list[Any] | None = None   # the same computation as a ufunc/np.dot call that can take out=

    def render(self, out_buffer: str | None = None, names: list[str] | None = None) -> str:
        """The statement; `names`: what to write for each Var of the parts, in order (a loop body)."""
        parts = self.parts if out_buffer is None else self.fast
        it = iter(names) if names is not None else None
        expr = "".join((p.name if it is None else next(it)) if isinstance(p, Var) else p for p in parts)
        if out_buffer is not None:
            expr = expr[:-1] + f", out={out_buffer})"
        if not self.targets:
            return expr
        return ", ".join(v.name for v in self.targets) + " = " + expr

    def uses(self, fast: bool = False) -> list["Var"]:
        """The Vars of the parts (or of the fast form), in order, with repeats."""
        return [p for p in (self.fast if fast else self.parts) if isinstance(p, Var)]


@dataclass
class Recorder:
    """The lines recorded so far, the variables, the constants, and where we are (section, op)."""
    lines: list[Line] = field(default_factory=list)
    constants: dict[str, np.ndarray] = field(default_factory=dict)
    section: str = "forward"
    comment: str | None = None
    counter: int = 0
    traced: dict[int, list["Traced"]] = field(default_factory=dict)   # proxies by their memory's owner
    dtypes: frozenset = frozenset()   # dtypes of the array operands of the call being written
    concrete: dict[int, tuple[Any, "Traced"]] = field(default_factory=dict)  # np.asarray(proxy) results
    _constant_names: dict[int, str] = field(default_factory=dict)   # id(array) -> its name

    def var(self, hint: str = "t") -> Var:
        self.counter += 1
        return Var(f"{hint}{self.counter}")

    def wrap(self, value: Any, var: Var) -> "Traced":
        t = Traced(value, var, self)
        self.traced.setdefault(id(_owner(value)), []).append(t)
        return t

    def emit(self, parts: list[Any], value: Any, hint: str = "t", fast: tuple | None = None) -> Any:
        """Record `new = parts` for a result `value`; return its proxy (or proxies)."""
        if isinstance(value, (list, tuple)) and value and all(_is_array(v) for v in value):
            outs = [self.wrap(v, self.var(hint)) for v in value]
            self._add(Line([o.var for o in outs], parts, _reads(parts), set(), self.section, self.comment))
            return type(value)(outs) if isinstance(value, tuple) else outs
        if not _is_array(value):
            return value          # a Python value (a shape, a bool): fixed at trace time
        out = self.wrap(value, self.var(hint))
        line = Line([out.var], parts, _reads(parts), set(), self.section, self.comment, value=value)
        name = parts[0] if len(parts) > 1 and parts[1] == "(" and isinstance(parts[0], str) else None
        if name is not None and (name == "np.dot" or isinstance(getattr(np, name[3:], None), np.ufunc)):
            line.fast = parts          # a call that can take out=
        elif fast is not None and fast[0] is not None:
            line.fast = self.call(fast[0], fast[1:], {})
        self._add(line)
        return out

    def mutate(self, parts: list[Any], target: "Traced") -> None:
        """Record a statement that changes `target` (and whatever shares its memory) in place."""
        # views (and the arrays they view) share an owner: only those can change with target
        same = self.traced.get(id(_owner(target.value)), ())
        writes = {t.var for t in same if t.var is target.var or _may_share(t.value, target.value)} | {target.var}
        self._add(Line([], parts, _reads(parts) | {target.var}, writes, self.section, self.comment, kind="mutate"))

    def _add(self, line: Line) -> None:
        self.lines.append(line)

    # -- writing values as source ------------------------------------------------------
    def fmt(self, x: Any, index: bool = False) -> list[Any]:
        """Source parts for an argument: a Var, a literal, or a named constant."""
        if isinstance(x, (Traced, TracedScalar)):
            return [x.var]
        if isinstance(x, np.ndarray):
            hit = self.concrete.get(id(x))
            if hit is not None and hit[0] is x:
                return [hit[1].var]
            if x.ndim == 0:
                # A 0-d constant (ops cache 1, 0, ... of the tensor's dtype): a plain literal is the
                # same number when every array operand has its dtype (NumPy 2 treats it as weak).
                return [_float_literal(float(x)) if x.dtype.kind == "f" and self.dtypes == {x.dtype}
                        else _scalar_literal(x[()])]
            return [self.constant(x)]
        if isinstance(x, np.generic):
            return [_scalar_literal(x)]
        if x is None or isinstance(x, (bool, int, str)):
            return [repr(x)]
        if isinstance(x, float):
            return [_float_literal(x)]
        if isinstance(x, slice):
            if not index:
                return ["slice("] + self._join([x.start, x.stop, x.step]) + [")"]
            parts: list[Any] = []
            bounds = (x.start, x.stop) if x.step is None else (x.start, x.stop, x.step)
            for k, v in enumerate(bounds):
                if k:
                    parts.append(":")
                if v is not None:
                    parts += self.fmt(v)
            return parts
        if x is Ellipsis:
            return ["..."]
        if isinstance(x, tuple):
            if index:
                return self._join(list(x), index=True) + ([","] if len(x) == 1 else [])
            return ["("] + self._join(list(x)) + ([",)"] if len(x) == 1 else [")"])
        if isinstance(x, list):
            return ["["] + self._join(x) + ["]"]
        if isinstance(x, np.dtype) or (isinstance(x, type) and issubclass(x, np.generic)):
            return [f"np.{np.dtype(x).name}"]
        if x is float or x is int or x is bool:
            return [x.__name__]
        if isinstance(x, np.ufunc):
            return [f"np.{x.__name__}"]
        raise TraceError(f"compile: cannot write a value of type {type(x).__name__} ({x!r:.60}) into the "
                         "generated NumPy code; expected arrays, numbers, tuples, slices or dtypes")

    def _join(self, xs: list[Any], index: bool = False) -> list[Any]:
        parts: list[Any] = []
        for k, v in enumerate(xs):
            if k:
                parts.append(", ")
            parts += self.fmt(v, index=index)
        return parts

    def operands(self, *xs: Any) -> None:
        """Note the dtypes of the array operands of the next call (see `fmt` of 0-d constants)."""
        found: set = set()
        for x in xs:
            cls = x.__class__
            if cls is Traced:
                found.add(x.value.dtype)
                continue
            if cls is float or cls is int or cls is TracedScalar or x is None:
                continue
            if isinstance(x, (tuple, list)):
                self.operands(*x)
                found |= self.dtypes
            v = unwrap(x)
            if isinstance(v, (np.ndarray, np.generic)) and not (isinstance(v, np.ndarray) and v.ndim == 0
                                                                  and not isinstance(x, Traced)):
                found.add(v.dtype)
        self.dtypes = frozenset(found)

    def call(self, fname: str | list[Any], args: tuple, kwargs: dict) -> list[Any]:
        """Source parts for `fname(*args, **kwargs)` (fname: a string, or parts such as [var, ".sum"])."""
        self.operands(*args, *kwargs.values())
        head = [fname] if isinstance(fname, str) else list(fname)
        parts: list[Any] = head + ["("] + self._join(list(args))
        for k, v in kwargs.items():
            parts += [", " if args or parts[-1] != "(" else "", f"{k}="] + self.fmt(v)
        return parts + [")"]

    def constant(self, arr: np.ndarray) -> str:
        """A named module-level constant for an array that is not a traced value."""
        name = self._constant_names.get(id(arr))
        if name is not None:
            return name
        name = self._constant_names[id(arr)] = f"_c{len(self.constants)}"
        self.constants[name] = arr      # (kept alive here, so its id stays its own)
        return name


def _reads(parts: list[Any]) -> set[Var]:
    return {p for p in parts if p.__class__ is Var}


def _is_array(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic)) and not isinstance(x, (str, bytes))


def _owner(x: Any) -> Any:
    """The array that owns x's memory (x itself, or the base of a view)."""
    while isinstance(x, np.ndarray) and x.base is not None:
        x = x.base
    return x


def _may_share(a: Any, b: Any) -> bool:
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.may_share_memory(a, b)


def _float_literal(x: float) -> str:
    if math.isnan(x):
        return "np.nan"
    if math.isinf(x):
        return "np.inf" if x > 0 else "-np.inf"
    return repr(x)


def _scalar_literal(x: np.generic) -> str:
    """A NumPy scalar keeps its type (a strong float64 must not become a weak Python float)."""
    kind = x.dtype.kind
    value = _float_literal(float(x)) if kind == "f" else repr(x.item())
    return f"np.{x.dtype.name}({value})"


def unwrap(x: Any) -> Any:
    """The concrete values inside proxies (recursively through tuples, lists and dicts)."""
    cls = x.__class__
    if cls is Traced:
        return x.value
    if cls is float or cls is int or cls is np.ndarray or x is None:
        return x
    if isinstance(x, Traced):
        return x.value
    if isinstance(x, TracedScalar):
        return float(x)
    if isinstance(x, tuple):
        return tuple(unwrap(v) for v in x)
    if isinstance(x, list):
        return [unwrap(v) for v in x]
    if isinstance(x, dict):
        return {k: unwrap(v) for k, v in x.items()}
    return x


def _numpy_name(func: Any) -> str:
    name = getattr(func, "__name__", None)
    if name and getattr(np, name, None) is func:
        return f"np.{name}"
    for sub in ("linalg", "fft"):
        if name and getattr(getattr(np, sub), name, None) is func:
            return f"np.{sub}.{name}"
    raise TraceError(f"compile: {func!r} is not a public NumPy function; it cannot be written as NumPy code")


_UFUNC_OF = {"+": "np.add", "-": "np.subtract", "*": "np.multiply", "/": "np.divide", "<": "np.less",
             "<=": "np.less_equal", ">": "np.greater", ">=": "np.greater_equal", "==": "np.equal",
             "!=": "np.not_equal", "&": "np.bitwise_and", "|": "np.bitwise_or", "^": "np.bitwise_xor",
             "-x": "np.negative", "~x": "np.invert", "abs(x": "np.absolute"}


def _binop(sym: str, fn: Callable, reflected: bool = False) -> Callable:
    def method(self: "Traced", other: Any) -> Any:
        a, b = (other, self) if reflected else (self, other)
        value = fn(unwrap(a), unwrap(b))
        rec = self.rec
        rec.operands(a, b)
        return rec.emit(rec.fmt(a) + [f" {sym} "] + rec.fmt(b), value, fast=(_UFUNC_OF.get(sym), a, b))
    return method


def _inplace(sym: str, fn: Callable) -> Callable:
    def method(self: "Traced", other: Any) -> "Traced":
        fn(self.value, unwrap(other))
        self.rec.operands(self, other)
        self.rec.mutate([self.var, f" {sym}= "] + self.rec.fmt(other), self)
        return self
    return method


def _unary(prefix: str, fn: Callable) -> Callable:
    def method(self: "Traced") -> Any:
        return self.rec.emit([prefix, self.var] + ([")"] if prefix.endswith("(") else []), fn(self.value),
                             fast=(_UFUNC_OF.get(prefix + "x"), self))
    return method


_METHODS = {"sum", "mean", "max", "min", "prod", "reshape", "transpose", "astype", "copy", "any", "all",
            "clip", "dot", "ravel", "flatten", "squeeze", "swapaxes", "argmax", "argmin", "cumsum",
            "std", "var", "round", "nonzero", "repeat", "take"}
_CONCRETE_ATTRS = {"shape", "dtype", "ndim", "size", "itemsize", "nbytes", "flags", "base", "strides", "flat"}


class Traced:
    """An array that records every NumPy call made on it (see the module docstring)."""
    __slots__ = ("value", "var", "rec")
    __array_priority__ = 1000

    def __init__(self, value: Any, var: Var, rec: Recorder) -> None:
        self.value, self.var, self.rec = value, var, rec

    # -- NumPy's protocols ----------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        rec = self.rec
        out = kwargs.get("out")
        raw_kwargs = {k: unwrap(v) for k, v in kwargs.items()}
        value = getattr(ufunc, method)(*unwrap(inputs), **raw_kwargs)
        name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
        if out is not None:
            outs = out if isinstance(out, tuple) else (out,)
            kw = dict(kwargs, out=outs[0] if len(outs) == 1 else outs)
            for o in outs:
                if not isinstance(o, Traced):
                    raise TraceError(f"compile: {name}(..., out=) into an array that is not traced")
            rec.mutate(rec.call(name, inputs, kw), outs[0])
            return outs[0] if len(outs) == 1 else outs
        return rec.emit(rec.call(name, inputs, kwargs), value)

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        name = _numpy_name(func)
        value = func(*unwrap(args), **unwrap(kwargs))
        return self.rec.emit(self.rec.call(name, args, kwargs), value)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # np.asarray(proxy) must give an ndarray: give the concrete one, and remember it, so that
        # when it comes back as an argument it is written as this variable, not as a constant.
        arr = np.asarray(self.value, dtype=dtype)
        if arr is not self.value:
            t = self.rec.emit(self.rec.call("np.asarray", (self,), {} if dtype is None else {"dtype": dtype}), arr)
        else:
            t = self
        self.rec.concrete[id(arr)] = (arr, t)
        return arr

    # -- values needed at trace time (control flow, error checks) -----------------------------
    def __bool__(self) -> bool:
        return bool(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __index__(self) -> int:
        return operator.index(self.value)

    def __len__(self) -> int:
        return len(self.value)

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"Traced({self.var.name}, shape={getattr(self.value, 'shape', ())}, dtype={self.value.dtype})"

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def item(self, *args: Any) -> Any:
        return self.value.item(*args)

    def tolist(self) -> Any:
        return self.value.tolist()

    # -- attributes and methods -------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name in _CONCRETE_ATTRS:
            return getattr(self.value, name)
        if name in _METHODS:
            def method(*args: Any, **kwargs: Any) -> Any:
                value = getattr(self.value, name)(*unwrap(args), **unwrap(kwargs))
                return self.rec.emit(self.rec.call([self.var, f".{name}"], args, kwargs), value)
            return method
        raise AttributeError(f"compile: traced arrays do not support .{name}")

    @property
    def T(self) -> Any:
        return self.rec.emit([self.var, ".T"], self.value.T)

    def fill(self, x: Any) -> None:
        self.value.fill(unwrap(x))
        self.rec.mutate([self.var, ".fill("] + self.rec.fmt(x) + [")"], self)

    def __getitem__(self, index: Any) -> Any:
        value = self.value[unwrap(index)]
        return self.rec.emit([self.var, "["] + self.rec.fmt(index, index=True) + ["]"], value)

    def __setitem__(self, index: Any, x: Any) -> None:
        self.value[unwrap(index)] = unwrap(x)
        self.rec.mutate([self.var, "["] + self.rec.fmt(index, index=True) + ["] = "] + self.rec.fmt(x), self)

    __add__, __radd__ = _binop("+", operator.add), _binop("+", operator.add, True)
    __sub__, __rsub__ = _binop("-", operator.sub), _binop("-", operator.sub, True)
    __mul__, __rmul__ = _binop("*", operator.mul), _binop("*", operator.mul, True)
    __truediv__, __rtruediv__ = _binop("/", operator.truediv), _binop("/", operator.truediv, True)
    __pow__, __rpow__ = _binop("**", operator.pow), _binop("**", operator.pow, True)
    __matmul__, __rmatmul__ = _binop("@", operator.matmul), _binop("@", operator.matmul, True)
    __and__, __rand__ = _binop("&", operator.and_), _binop("&", operator.and_, True)
    __or__, __ror__ = _binop("|", operator.or_), _binop("|", operator.or_, True)
    __xor__, __rxor__ = _binop("^", operator.xor), _binop("^", operator.xor, True)
    __lt__, __le__ = _binop("<", operator.lt), _binop("<=", operator.le)
    __gt__, __ge__ = _binop(">", operator.gt), _binop(">=", operator.ge)
    __eq__, __ne__ = _binop("==", operator.eq), _binop("!=", operator.ne)  # type: ignore[assignment]
    __iadd__, __isub__ = _inplace("+", operator.iadd), _inplace("-", operator.isub)
    __imul__, __itruediv__ = _inplace("*", operator.imul), _inplace("/", operator.itruediv)
    __iand__, __ior__ = _inplace("&", operator.iand), _inplace("|", operator.ior)
    __neg__, __pos__ = _unary("-", operator.neg), _unary("+", operator.pos)
    __invert__, __abs__ = _unary("~", operator.invert), _unary("abs(", abs)


def _scalar_op(sym: str, fn: Callable, reflected: bool = False) -> Callable:
    def method(self: "TracedScalar", other: Any) -> Any:
        if not isinstance(other, (int, float)) or isinstance(other, bool):
            return NotImplemented      # arrays (traced or not) handle a scalar themselves
        a, b = (other, self) if reflected else (self, other)
        value = float(fn(float(a), float(b)))
        rec = self.rec
        var = rec.var("s")
        rec._add(Line([var], rec.fmt(a) + [f" {sym} "] + rec.fmt(b), _reads(rec.fmt(a) + rec.fmt(b)), set(),
                      rec.section, rec.comment))
        return TracedScalar(value, var, rec)
    return method


class TracedScalar(float):
    """A Python number that is an argument of the compiled code (a learning rate), not a constant."""

    def __new__(cls, value: float, var: Var, rec: Recorder) -> "TracedScalar":
        self = super().__new__(cls, value)
        self.var, self.rec = var, rec
        return self

    __add__, __radd__ = _scalar_op("+", operator.add), _scalar_op("+", operator.add, True)
    __sub__, __rsub__ = _scalar_op("-", operator.sub), _scalar_op("-", operator.sub, True)
    __mul__, __rmul__ = _scalar_op("*", operator.mul), _scalar_op("*", operator.mul, True)
    __truediv__, __rtruediv__ = _scalar_op("/", operator.truediv), _scalar_op("/", operator.truediv, True)
    __pow__, __rpow__ = _scalar_op("**", operator.pow), _scalar_op("**", operator.pow, True)

    def __neg__(self) -> "TracedScalar":
        return self * -1.0


def identifier(name: str, taken: set[str]) -> str:
    """`name` made a fresh Python identifier ("layers.0.weight" -> "layers_0_weight")."""
    if (name not in taken and name.isidentifier() and name[0] != "_" and name[-1] != "_"
            and not keyword.iskeyword(name) and name not in ("np", "math")):
        taken.add(name)      # the common case: already a fresh identifier
        return name
    base = "".join(c if c.isalnum() or c == "_" else "_" for c in name).strip("_") or "v"
    if base[0].isdigit():
        base = "v" + base
    if keyword.iskeyword(base) or base in ("np", "math"):
        base += "_"
    out, k = base, 1
    while out in taken:
        k += 1
        out = f"{base}_{k}"
    taken.add(out)
    return out
