"""autograd.compile: trace a function once and run it as plain, generated NumPy code.

`compile(fn, params=...)` returns a `Compiled` function. Its first call runs
`fn` once with every array replaced by a recording proxy (`autograd.tracer`):
the ops' own `forward` formulas, the chain rule (`backward()`), each op's own
`backward` formula and anything after it (an optimizer update) compute their
real values and write one line of NumPy source per call. Dead lines (error
checks, values nothing uses) are dropped; the rest becomes a Python function
over arrays — no Tensor objects, no graph, NumPy only — with preallocated
buffers and `out=` where a value never leaves the call. `.source` is the
readable code. This module traces; `autograd.program` turns the recorded lines
into code (with `autograd.buffers` and `autograd.loops` for the fast form).

Semantics as `jax.jit` / `torch.jit.trace`: shapes, dtypes, Python control
flow and Python-level conversions (`bool()`, `float()`, `.item()`, data
checks such as "targets are finite") are fixed at trace time, and so is
anything random (a dropout mask would be reused: `nn.compile_step` refuses
it); a call with new shapes or dtypes (or new non-array arguments) traces
again. Not traceable, with a TraceError: `backward(create_graph=True)`,
functions outside NumPy's namespace, `out=` into an untraced array. Tracing
temporarily routes `Function.apply`, `Tensor.backward` and the Tensor
constructor's array conversion through the recorder (one trace at a time,
not thread-safe). Parameters are
updated in place exactly as `fn` updates them; their `.grad` after a call is
the gradient of that call (as if `fn` started with `zero_grad()`).
"""
from __future__ import annotations

import contextlib
import functools
import gc
import heapq
import inspect
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping

import numpy as np

import autograd.function as _function
import autograd.tensor as _tensor
from autograd.function import Function, unbroadcast
from autograd.grad_mode import STATE
from autograd.tensor import Tensor, _new_tensor
from autograd.program import Program
from autograd.tracer import Recorder, Traced, TraceError, Var, unwrap

Params = Mapping[str, Tensor] | Iterable[Tensor] | None


# -- recording the ops and the chain rule ----------------------------------------------------
@functools.lru_cache(maxsize=None)
def rule(cls: type) -> tuple[str, str]:
    """(forward formula, derivative rule) from the first line of an op's docstring."""
    doc = " ".join(line.strip() for line in (cls.__doc__ or "").strip().split("\n\n")[0].split("\n"))
    value, _, deriv = doc.rstrip(".").partition(";")
    return f"{cls.name}: {value.strip()}", f"{cls.name}′: {deriv.strip() or value.strip()}"


class _Tracing:
    """While active: `Function.apply` records on proxies, `Tensor.backward` is the recorded chain rule."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec
        self.counts: dict[str, int] = {}

    def rewrap(self, x: Any) -> Any:
        """An ndarray that came from np.asarray(proxy) is that proxy again."""
        if isinstance(x, np.ndarray):
            hit = self.rec.concrete.get(id(x))
            if hit is not None and hit[0] is x:
                return hit[1]
        return x

    def apply(self, cls: type, inputs: tuple, params: dict) -> Tensor:
        rec = self.rec
        saved, rec.comment = rec.comment, rule(cls)[0]
        try:
            op = object.__new__(cls)
            data = op.forward(*[self.rewrap(t.data) for t in inputs], **params)
            data = self.rewrap(data)
            if isinstance(data, Traced) and isinstance(data.value, np.generic):
                data = rec.emit(rec.call("np.asarray", (data,), {}), np.asarray(data.value))
            elif not isinstance(data, (Traced, np.ndarray)):
                data = np.asarray(data)
        finally:
            rec.comment = saved
        if isinstance(data, Traced) and not data.var.named:
            k = self.counts[cls.name] = self.counts.get(cls.name, 0) + 1
            data.var.name, data.var.named = f"{cls.name}{k}", True
        out = object.__new__(Tensor)
        out.data, out.grad, out.name = data, None, None
        if any(t.requires_grad for t in inputs) and STATE.enabled:
            out.requires_grad = True
            op._inputs = inputs[0] if cls.elementwise else tuple(inputs)
            op.scope, op.seq = STATE.scope, _function._next_seq()
            out._op = op
        else:
            out.requires_grad, out._op = False, None
        return out

    def backward(self, root: Tensor, grad: Any = None, retain_grads: bool = True,
                 create_graph: bool = False) -> None:
        """The engine's chain rule, on proxies: each op's own `backward` writes its lines."""
        if create_graph:
            raise TraceError("compile: backward(create_graph=True) cannot be traced; "
                             "compile the first-order step, or run higher-order gradients eagerly")
        rec = self.rec
        rec.section = "backward"
        if grad is None:
            if np.size(unwrap(root.data)) != 1:
                raise RuntimeError(f"backward: grad can be implied only for a one-element tensor, "
                                   f"got shape {root.shape}")
            grad = np.ones(np.shape(unwrap(root.data)), unwrap(root.data).dtype)
        pending: dict[Tensor, Any] = {root: grad}
        heap = [(-root._op.seq, root)] if root._op is not None else []
        leaves: list[Tensor] = [] if heap else [root]
        while heap:
            node = heapq.heappop(heap)[1]
            g = self.rewrap(pending.pop(node))
            _name_grad(g, node)
            if retain_grads:
                node.grad = g if node.grad is None else node.grad + g
            op = node._op
            rec.comment = rule(type(op))[1]
            for parent, pg in zip(op.inputs, op.backward(g)):
                if pg is None or not parent.requires_grad:
                    continue
                pg = self.rewrap(pg)
                if not op.exact_grads:
                    shape, dtype = np.shape(unwrap(parent.data)), unwrap(parent.data).dtype
                    if np.shape(unwrap(pg)) != shape:
                        pg = unbroadcast(pg, shape, op.name)
                    if unwrap(pg).dtype != dtype:
                        pg = pg.astype(dtype)
                if parent in pending:
                    pending[parent] = pending[parent] + pg
                elif parent._op is None:
                    pending[parent] = pg
                    leaves.append(parent)
                else:
                    pending[parent] = pg
                    heapq.heappush(heap, (-parent._op.seq, parent))
        for leaf in leaves:
            g = pending.pop(leaf)
            _name_grad(g, leaf)
            leaf.grad = g if leaf.grad is None else leaf.grad + g
        rec.section, rec.comment = "update", None

    def as_array(self, data: Any, dtype: Any = None, copy: bool = True) -> Any:
        """`autograd.tensor._as_array` for a proxy: the same conversions, recorded."""
        if isinstance(data, Tensor):
            data = data.data
        if not isinstance(data, Traced):
            return _ORIGINAL_AS_ARRAY(data, dtype, copy)
        arr = data if dtype is None or data.dtype == np.dtype(dtype) else data.astype(dtype)
        if copy and arr is data:
            arr = arr.copy()
        if dtype is None and arr.dtype.kind in "biu":
            arr = arr.astype(np.float64)
        return arr


def _name_grad(g: Any, node: Tensor) -> None:
    if isinstance(g, Traced) and not g.var.named and isinstance(node.data, Traced):
        g.var.name, g.var.named = "d_" + node.data.var.name, True


_ORIGINAL_AS_ARRAY = _tensor._as_array


@contextlib.contextmanager
def tracing(rec: Recorder) -> Iterator[_Tracing]:
    """Route op application, `Tensor.backward` and array conversion through the recorder.

    (Patched for the duration of the trace, then restored; a hook in Function.apply
    and the engine would make this unnecessary.)
    """
    t = _Tracing(rec)
    saved = Function.__dict__["apply"], Tensor.__dict__["backward"]
    Function.apply = classmethod(lambda cls, *inputs, **params: t.apply(cls, inputs, params))
    Tensor.backward = lambda self, grad=None, retain_grads=True, create_graph=False: \
        t.backward(self, grad, retain_grads, create_graph)
    _tensor._as_array = t.as_array
    try:
        yield t
    finally:
        Function.apply, Tensor.backward = saved
        _tensor._as_array = _ORIGINAL_AS_ARRAY


# -- compile(): the user-facing function ------------------------------------------------------
def _named_params(params: Params) -> list[tuple[str, Tensor]]:
    if params is None:
        return []
    if hasattr(params, "named_parameters"):
        return list(params.named_parameters())
    if isinstance(params, Mapping):
        return list(params.items())
    return [(f"p{i}", p) for i, p in enumerate(params)]


def _flatten(x: Any) -> tuple[list[Any], Callable[[list[Any]], Any]]:
    """Leaves of a nested tuple/list result, and how to rebuild it from new leaves."""
    if isinstance(x, (tuple, list)):
        parts = [_flatten(v) for v in x]
        sizes = [len(p[0]) for p in parts]

        def rebuild(leaves: list[Any]) -> Any:
            out, i = [], 0
            for (_, rb), n in zip(parts, sizes):
                out.append(rb(leaves[i:i + n]))
                i += n
            return type(x)(out)
        return [leaf for p in parts for leaf in p[0]], rebuild
    return [x], lambda leaves: leaves[0]


@dataclass
class Trace:
    """One traced program with how to call it and how to put its results back."""
    program: Program
    run: Callable[..., tuple]
    rebuild: Callable[[list[Any]], Any]
    kinds: list[str]                        # per returned leaf: "tensor", "array" or "const"
    writebacks: list[tuple[Tensor, str]]    # (param, "data" or "grad") for the trailing outputs
    seconds: float = 0.0


class Compiled:
    """A function traced to NumPy code; call it like the original (see `compile`)."""

    def __init__(self, fn: Callable, params: Params = None, name: str = "step", extra: Any = None,
                 grads: bool = True) -> None:
        self.fn, self.name = fn, name
        self.params = _named_params(params)   # the parameter set is fixed; their arrays may change
        self.grads = grads                    # write each parameter's gradient back to .grad
        # More arguments (optimizer state arrays, a learning rate): an object with
        # declare(rec) -> [Var] (install proxies for the trace), restore(), values() -> [value].
        self.extra = extra
        self._traces: dict[Any, Trace] = {}
        self._last: Trace | None = None
        try:
            self._arg_names = [p.name for p in inspect.signature(fn).parameters.values()
                               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        except (TypeError, ValueError):
            self._arg_names = []

    @property
    def source(self) -> str:
        """The readable generated NumPy code of the last trace (call the function first)."""
        if self._last is None:
            raise RuntimeError(f"compile: {self.name} has not been traced yet; call it once (or .trace(...))")
        return self._last.program.source()

    @property
    def compile_seconds(self) -> float:
        """Seconds the last trace took (tracing, pruning, generating and exec)."""
        return self._last.seconds if self._last else 0.0

    def trace(self, *args: Any) -> "Compiled":
        """Trace on example arguments now (otherwise the first call does)."""
        self._get(args)
        return self

    def _key(self, args: tuple) -> Any:
        key = []
        for a in args:
            if isinstance(a, Tensor) and isinstance(a.data, np.ndarray):
                key.append((a.data.shape, a.data.dtype, a.requires_grad))
            elif isinstance(a, np.ndarray):
                key.append((a.shape, a.dtype, None))
            else:
                key.append(("value", repr(a)))   # a Python value is fixed at trace time
        for _, p in self.params:
            key.append((p.data.shape, p.data.dtype))
        return tuple(key)

    def _get(self, args: tuple) -> Trace:
        key = self._key(args)
        tr = self._traces.get(key)
        if tr is None:
            start = time.perf_counter()
            # A trace makes one object (proxy, line, name) per call and frees none of them; the
            # cyclic collector would walk them all again and again (a 100k-op chain: half the time).
            enabled = gc.isenabled()
            gc.disable()
            try:
                tr = self._trace(args)
            finally:
                if enabled:
                    gc.enable()
            tr.seconds = time.perf_counter() - start
            self._traces[key] = tr
        self._last = tr
        return tr

    def __call__(self, *args: Any) -> Any:
        tr = self._get(args)
        arrays = [a.data if isinstance(a, Tensor) else a for a in args if _is_arg(a)]
        arrays += [p.data for _, p in self.params]
        if self.extra is not None:
            arrays += self.extra.values()
        results = tr.run(*arrays)
        n = len(tr.kinds)
        for (p, attr), value in zip(tr.writebacks, results[n:]):
            setattr(p, attr, value)
        leaves = [_new_tensor(np.asarray(v)) if k == "tensor" else v for k, v in zip(tr.kinds, results[:n])]
        return tr.rebuild(leaves)

    def _trace(self, args: tuple) -> Trace:
        rec = Recorder()
        arg_vars, traced_args = self._proxy_args(rec, args)
        named = self.params
        saved = [(p.data, p.grad) for _, p in named]
        proxies = []
        try:
            for name, p in named:
                var = Var(name, named=True)
                arg_vars.append(var)
                proxies.append(rec.wrap(p.data.copy(), var))
                p.data, p.grad = proxies[-1], None
            if self.extra is not None:
                arg_vars += self.extra.declare(rec)
            with tracing(rec):
                result = self.fn(*traced_args)
            leaves, rebuild = _flatten(result)
            outputs, kinds = self._outputs(rec, leaves)
            writebacks = self._writebacks(proxies, outputs)
        finally:
            for (_, p), (data, grad) in zip(named, saved):
                p.data, p.grad = data, grad
            if self.extra is not None:
                self.extra.restore()
        program = Program(self.name, arg_vars, rec.lines, outputs, rec.constants)
        program.prune()
        program.finalize_names()
        return Trace(program, program.build(), rebuild, kinds, writebacks)

    def _proxy_args(self, rec: Recorder, args: tuple) -> tuple[list[Var], list[Any]]:
        """The arguments' variables, and the arguments as `fn` sees them while traced: arrays
        (and Tensors' data) as proxies, Python values as they are (fixed at trace time)."""
        names = self._arg_names + [f"arg{i}" for i in range(len(self._arg_names), len(args))]
        arg_vars: list[Var] = []
        traced_args = []
        for name, a in zip(names, args):
            if not _is_arg(a):
                traced_args.append(a)
                continue
            data = a.data if isinstance(a, Tensor) else a
            var = Var(name, named=True)
            arg_vars.append(var)
            proxy = rec.wrap(data.copy(), var)
            if isinstance(a, Tensor):
                t = object.__new__(Tensor)
                t.data, t.grad, t.requires_grad, t._op, t.name = proxy, None, a.requires_grad, None, a.name
                traced_args.append(t)
            else:
                traced_args.append(proxy)
        return arg_vars, traced_args

    def _outputs(self, rec: Recorder, leaves: list[Any]) -> tuple[list[Any], list[str]]:
        """What the program returns for `fn`'s result leaves, and the kind of each leaf."""
        outputs, kinds = [], []
        for leaf in leaves:
            d = leaf.data if isinstance(leaf, Tensor) else leaf
            if isinstance(d, Traced):
                outputs.append(d.var)
                kinds.append("tensor" if isinstance(leaf, Tensor) else "array")
            elif isinstance(d, np.ndarray):
                outputs.append(Var(rec.constant(d)))
                kinds.append("tensor" if isinstance(leaf, Tensor) else "array")
            elif d is None or isinstance(d, (bool, int, float, str)):
                outputs.append(d)
                kinds.append("const")
            else:
                raise TraceError(f"compile: {self.name} returned a {type(leaf).__name__}; expected "
                                 "Tensors, arrays, numbers or tuples/lists of them")
        return outputs, kinds

    def _writebacks(self, proxies: list[Traced], outputs: list[Any]) -> list[tuple[Tensor, str]]:
        """The parameters' new values and gradients, appended to `outputs`: (param, attribute)."""
        writebacks = []
        for (name, p), proxy in zip(self.params, proxies):
            if p.data is not proxy:
                if not isinstance(p.data, Traced):
                    raise TraceError(f"compile: parameter {name} was replaced by a value that does not "
                                     "depend on the traced inputs")
                outputs.append(p.data.var)
                writebacks.append((p, "data"))
            if self.grads and isinstance(p.grad, Traced):
                outputs.append(p.grad.var)
                writebacks.append((p, "grad"))
        return writebacks


def _is_arg(a: Any) -> bool:
    return isinstance(a, np.ndarray) or (isinstance(a, Tensor) and isinstance(a.data, np.ndarray))


def compile(fn: Callable | None = None, *, params: Params = None, name: str = "step") -> Any:
    """Trace `fn` on its first call and run it from then on as generated NumPy code.

    `fn` takes Tensors and/or arrays (the inputs; they may change from call to
    call) and may use `params` (a Module, a dict name → Tensor, or a list):
    forward, `loss.backward()`, an update of the parameters in place. Returns
    a `Compiled` whose `.source` is the readable NumPy code, named after the
    arguments and parameters, one line per NumPy call with the op and its
    derivative rule as a comment. Usable as `@compile(params=model)`. Shapes,
    dtypes and Python control flow are fixed at trace time (new shapes or
    dtypes trace again); see the module docstring for what is not traced.
    """
    if fn is None:
        return lambda f: Compiled(f, params, name)
    return Compiled(fn, params, name)
