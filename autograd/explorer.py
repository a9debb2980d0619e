"""The backprop explorer: one self-contained HTML page that steps through a recorded backward pass.

`Explorer(trace)` (usually `trace.explore(lr=...)` or `trace.to_html(path)`)
lays the graph out ONCE with graphviz (`draw_graph` → SVG) and embeds, as
JSON, everything the page shows: every tensor's value and this pass's
gradient, every op's derivative rule (its docstring), one frame per backward
step with that step's numbers (upstream gradient, local derivative, product),
an optional final SGD-update frame, and the layers of a small MLP for the
neuron view. The page's script (`explorer_assets/explorer.js`, styles in
`explorer.css`, both inlined) changes only classes and texts from frame to
frame, so the picture never jumps. No server, no network: the file works
offline and inline in Jupyter (element ids are scoped per explorer).

The neuron view needs the layers: `model=` takes an object with
`named_parameters()` (pairs `<prefix>.weight` (out, in) / `<prefix>.bias`
(out,), in order, such as an `nn.MLP`) or a list of `(weight, bias)` tensor
pairs; by default the trace's `params`, else the graph's `linear` ops.
autograd imports nothing from `nn`: the model is only duck-typed.
"""
from __future__ import annotations

import hashlib
import html
import itertools
import json
import math
import os
import re
from typing import Any

import numpy as np

from autograd.draw import NamedParameters, draw_graph, fmt_array
from autograd.engine import toposort
from autograd.function import Function
from autograd.tensor import Tensor
from autograd.trace import BackwardTrace, _arg_name, local_derivative, rule_for

__all__ = ["Explorer", "encode_array", "neuron_layers"]

FULL_MAX = 4096       # arrays up to this many elements are embedded whole (a 64×64 weight matrix)
HEAT_MAX = 64         # larger ones as a heat-map of at most HEAT_MAX × HEAT_MAX block means
NEURON_MAX = 64       # the neuron view draws MLPs of at most this many units a layer
_ASSETS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "explorer_assets")
_counter = itertools.count()


# -- arrays as JSON ----------------------------------------------------------------------
def _numbers(a: np.ndarray) -> list[float | None]:
    """Flat list with 5 significant digits (short JSON); NaN and ±inf become null."""
    flat = np.asarray(a, dtype=np.float64).ravel().tolist()
    return [float(f"{v:.5g}") if math.isfinite(v) else None for v in flat]


def _as_2d(a: np.ndarray) -> np.ndarray:
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(-1, a.shape[-1])


def _block_means(a: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Average a 2-D array over a rows × cols grid of nearly equal blocks (non-finite values skipped).

    Needs rows ≤ a.shape[0] and cols ≤ a.shape[1] (every block non-empty).
    """
    r_starts = np.linspace(0, a.shape[0], rows + 1).astype(int)[:-1]
    c_starts = np.linspace(0, a.shape[1], cols + 1).astype(int)[:-1]
    finite = np.isfinite(a)

    def block_sums(x: np.ndarray) -> np.ndarray:
        return np.add.reduceat(np.add.reduceat(x, r_starts, axis=0), c_starts, axis=1)

    sums, counts = block_sums(np.where(finite, a, 0.0)), block_sums(finite.astype(np.float64))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def encode_array(a: Any) -> dict[str, Any]:
    """An array as the page embeds it: shape, summary text and stats, and the numbers.

    Up to FULL_MAX elements: all of them (`data`, row-major). Larger: a heat-map
    grid of block means (`grid`, at most HEAT_MAX × HEAT_MAX) plus the stats.
    """
    a = np.asarray(a)
    f = a.astype(np.float64) if a.dtype.kind in "biuf" else np.zeros(a.shape)
    finite = f[np.isfinite(f)]
    out: dict[str, Any] = {"shape": list(a.shape), "dtype": str(a.dtype), "text": fmt_array(a)}
    if finite.size:
        out["stats"] = {"mean": _numbers(finite.mean())[0], "std": _numbers(finite.std())[0],
                        "min": _numbers(finite.min())[0], "max": _numbers(finite.max())[0],
                        "norm": _numbers(np.sqrt((finite * finite).sum()))[0],
                        "nonfinite": int(f.size - finite.size)}
    else:
        out["stats"] = {"nonfinite": int(f.size)}
    if a.size <= FULL_MAX:
        out["data"] = _numbers(f)
    else:
        two = _as_2d(f)
        rows, cols = min(HEAT_MAX, two.shape[0]), min(HEAT_MAX, two.shape[1])
        out["grid"] = {"rows": rows, "cols": cols, "data": _numbers(_block_means(two, rows, cols))}
    return out


# -- the layers of an MLP, for the neuron view ---------------------------------------------
def neuron_layers(trace: BackwardTrace, model: Any = None) -> tuple[list[tuple[Tensor, Tensor | None]], str]:
    """The MLP's (weight, bias) pairs in order, and "" — or [] and why there is no neuron view.

    `model`: an object with `named_parameters()`, a list of (weight, bias)
    pairs, or None for the trace's params, else the graph's linear ops. The
    layers must chain (each weight (out, in) takes the previous layer's out)
    and have at most NEURON_MAX units each.
    """
    source = model if model is not None else trace.params
    if source is None:
        pairs = [(op.inputs[1], op.inputs[2] if len(op.inputs) > 2 else None)
                 for op in _ops(trace.root) if op.name == "linear" and len(op.inputs) >= 2]
    elif isinstance(source, NamedParameters):
        pairs = _pairs_from_names(list(source.named_parameters()))
    elif isinstance(source, dict):
        pairs = _pairs_from_names(list(source.items()))
    else:
        try:
            pairs = [(p[0], p[1] if len(p) > 1 else None) for p in source]
        except TypeError:
            raise TypeError(f"explore: model must have named_parameters(), or be a list of (weight, bias) "
                            f"pairs, got {type(source).__name__}") from None
    for w, b in pairs:
        if not isinstance(w, Tensor) or not (b is None or isinstance(b, Tensor)):
            raise TypeError(f"explore: model layers must be (weight, bias) Tensors, got "
                            f"({type(w).__name__}, {type(b).__name__})")
    if not pairs:
        return [], "no weight matrices found"
    for k, (w, b) in enumerate(pairs):
        if w.ndim != 2:
            return [], f"layer {k}'s weight has shape {w.shape}, not (out, in)"
        if k and w.shape[1] != pairs[k - 1][0].shape[0]:
            return [], (f"layer {k}'s weight {w.shape} does not take layer {k - 1}'s "
                        f"{pairs[k - 1][0].shape[0]} outputs: not a chain of layers")
        if max(w.shape) > NEURON_MAX:
            return [], f"layer {k} has {max(w.shape)} units, more than {NEURON_MAX}"
    return pairs, ""


def _pairs_from_names(named: list[tuple[str, Any]]) -> list[tuple[Tensor, Tensor | None]]:
    """`<p>.weight` (2-D) with its `<p>.bias`, in the order the weights come."""
    by_name = dict(named)
    pairs = []
    for name, t in named:
        if name.endswith("weight") and isinstance(t, Tensor) and t.ndim == 2:
            bias = by_name.get(name[: -len("weight")] + "bias")
            pairs.append((t, bias if isinstance(bias, Tensor) else None))
    return pairs


def _ops(root: Tensor) -> list[Function]:
    return [t._op for t in toposort(root, requires_grad_only=False) if t._op is not None]


# -- the data the page embeds -----------------------------------------------------------------
class _Index:
    """Numbers every tensor and op of the graph and knows who uses whom."""

    def __init__(self, root: Tensor) -> None:
        self.root = root
        self.tensors = toposort(root, requires_grad_only=False)
        self.t_index = {id(t): i for i, t in enumerate(self.tensors)}
        self.ops = [t._op for t in self.tensors if t._op is not None]
        self.o_index = {id(op): j for j, op in enumerate(self.ops)}
        self.output = {id(t._op): t for t in self.tensors if t._op is not None}
        self.users: dict[int, list[Function]] = {}
        for op in self.ops:
            for inp in op.inputs:
                users = self.users.setdefault(id(inp), [])
                if not any(u is op for u in users):
                    users.append(op)


def _layer_parts(ix: _Index, w: Tensor, b: Tensor | None) -> dict[str, Any] | None:
    """Find in the graph the layer's ops and its z (pre-activation) and a (activation)."""
    users = ix.users.get(id(w), [])
    if not users:
        return None
    op = users[0]
    ops: list[Function] = [op]
    if op.name == "transpose" and ix.users.get(id(ix.output[id(op)])):   # x @ W.T (+ b)
        wt = ix.output[id(op)]
        op = ix.users[id(wt)][0]
        ops.append(op)
        x = next((t for t in op.inputs if t is not wt), None)
    else:                                                                  # linear(x, W, b)
        x = next((t for t in op.inputs if t is not w), None)
    z = ix.output[id(op)]
    if b is not None and not any(t is b for t in op.inputs):
        adds = [u for u in ix.users.get(id(z), []) if any(t is b for t in u.inputs)]
        if adds:
            ops.append(adds[0])
            z = ix.output[id(adds[0])]
    a, act = z, "identity"
    after = ix.users.get(id(z), [])
    if len(after) == 1 and after[0].elementwise:
        ops.append(after[0])
        a, act = ix.output[id(after[0])], after[0].name
    return {"ops": ops, "x": x, "z": z, "a": a, "act": act}


def _batch_mean(t: Tensor | None, grad: np.ndarray | None = None) -> list[float | None] | None:
    """Per-unit mean over the batch rows of a (batch, units) or (units,) array."""
    a = grad if grad is not None else (None if t is None else t.data)
    if a is None:
        return None
    a = np.asarray(a, dtype=np.float64)
    return _numbers(a.reshape(-1, a.shape[-1]).mean(axis=0) if a.ndim else a.reshape(1))


def _node_id(drawing: Any, obj: Any) -> str | None:
    get = getattr(drawing, "node_id", None)
    return get(obj) if callable(get) else None


class Explorer:
    """The backprop explorer for one trace: `.save(path)`, `.html()` (the widget), `.page()`.

    Built with graphviz's `dot` (the graph is laid out once; raises
    `GraphvizNotFoundError` without it). `.data` is the JSON the page embeds.
    Shows itself inline in Jupyter.
    """

    def __init__(self, trace: BackwardTrace, lr: float | None = None, model: Any = None,
                 title: str | None = None, **draw_kwargs: Any) -> None:
        if not isinstance(trace, BackwardTrace):
            raise TypeError(f"Explorer: expected a BackwardTrace, got {type(trace).__name__}")
        if lr is not None and (isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating))
                               or not math.isfinite(lr) or lr <= 0):
            raise ValueError(f"explore: lr must be a positive finite number, got {lr!r}")
        for bad in ("highlight", "grads", "title"):
            if bad in draw_kwargs:
                raise TypeError(f"explore: {bad}= is set by the explorer itself; pass the other "
                                "draw_graph arguments (collapse=, rankdir=, max_nodes=, ...)")
        self.trace = trace
        self.lr = None if lr is None else float(lr)
        n = len(trace.steps)
        root_label = trace.steps[0].label if trace.steps else "?"
        self.title = title or f"backward pass of {root_label}: {n} steps"
        draw_kwargs.setdefault("params", trace.params)
        self.drawing = draw_graph(trace.root, grads={s.node: s.grad for s in trace.steps}, **draw_kwargs)
        svg = self.drawing.pipe(format="svg")
        self.svg = svg.decode("utf-8") if isinstance(svg, bytes) else svg
        self.data = _build_data(trace, self.drawing, self.title, self.lr, model)

    # -- output ------------------------------------------------------------------------
    def html(self) -> str:
        """The explorer as one `<div>` (styles, SVG, data and script inline), ids scoped to it."""
        blob = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        uid = "mlpx" + hashlib.sha1(blob.encode()).hexdigest()[:8] + str(next(_counter))
        svg = self.svg[self.svg.find("<svg"):]            # drop the XML prolog and DOCTYPE
        svg = re.sub(r'(\s)id="', rf'\1id="{uid}-', svg)   # graphviz's ids, unique per explorer
        svg = svg.replace('href="#', f'href="#{uid}-')
        safe = blob.replace("<", "\\u003c")   # no "</script>" or "<!--" can end the data early
        return _asset("explorer.html").format(
            uid=uid, css=_asset("explorer.css"), svg=svg, data=safe, js=_asset("explorer.js"),
            title=html.escape(self.title), n=len(self.data["frames"]) - 1)

    def page(self) -> str:
        """A whole HTML document around `html()`."""
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<title>{html.escape(self.title)}</title>\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<style>body { margin: 0; background: #fff; }</style>\n</head>\n<body>\n"
                f"{self.html()}\n</body>\n</html>\n")

    def save(self, path: str | os.PathLike) -> str:
        """Write the page to `path` (folders created); return the path."""
        path = os.fspath(path)
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.page())
        return path

    def _repr_html_(self) -> str:
        return self.html()

    def __repr__(self) -> str:
        return f"<Explorer: {self.title}, {len(self.data['frames'])} frames>"


def _asset(name: str) -> str:
    with open(os.path.join(_ASSETS, name), encoding="utf-8") as f:
        return f.read()


def _build_data(trace: BackwardTrace, drawing: Any, title: str, lr: float | None, model: Any) -> dict[str, Any]:
    """Everything the page shows, as plain JSON-able data (see the module docstring)."""
    ix = _Index(trace.root)
    labels = trace.steps[0].labels if trace.steps else {}
    root_label = trace.steps[0].root_label if trace.steps else "L"
    step_of = {id(s.node): s.index + 1 for s in trace.steps}       # frame index of each gradient
    grad_of = {id(s.node): s.grad for s in trace.steps}
    tensors = [_tensor_entry(t, ix, drawing, labels, step_of, grad_of, lr) for t in ix.tensors]
    ops = [_op_entry(op, ix, drawing) for op in ix.ops]
    frames = [{"kind": "forward", "caption":
               f"before backward: the forward pass has computed every value ({len(ix.tensors)} tensors, "
               f"{len(ix.ops)} ops); step → to send the gradient back from {root_label}"}]
    total = len(trace.steps)
    for s in trace.steps:
        frames.append({"kind": "step", "tensor": ix.t_index[id(s.node)],
                       "caption": f"{s.caption(total)}\n{s.equation()}",
                       "uses": [_use_entry(c, ix, single=len(s.contributions) == 1) for c in s.contributions]})
    if lr is not None:
        frames.append({"kind": "sgd", "caption": _sgd_caption(trace, lr, labels)})
    layers, why = neuron_layers(trace, model)
    return {"version": 1, "title": title, "root": ix.t_index[id(trace.root)], "root_label": root_label,
            "lr": lr, "tensors": tensors, "ops": ops, "frames": frames,
            "neurons": _neuron_entry(layers, ix, drawing, grad_of, step_of), "neurons_note": why}


def _tensor_entry(t: Tensor, ix: _Index, drawing: Any, labels: dict[int, str], step_of: dict[int, int],
                  grad_of: dict[int, np.ndarray], lr: float | None) -> dict[str, Any]:
    kind = "inter" if t._op is not None else ("param" if t.requires_grad else "input")
    if t is ix.root:
        kind = "root"
    grad = grad_of.get(id(t))
    entry = {"label": labels.get(id(t), "?"), "kind": kind, "shape": list(t.shape), "dtype": str(t.dtype),
             "node": _node_id(drawing, t), "op": ix.o_index.get(id(t._op)) if t._op is not None else None,
             "users": [ix.o_index[id(u)] for u in ix.users.get(id(t), [])],
             "value": encode_array(t.data), "grad": None if grad is None else encode_array(grad),
             "step": step_of.get(id(t))}
    if lr is not None and kind == "param" and grad is not None:
        entry["after"] = encode_array(_sgd(t.data, grad, lr))
    return entry


def _sgd(value: np.ndarray, grad: np.ndarray, lr: float) -> np.ndarray:
    """One plain SGD step, W − lr·∇W, in the parameter's dtype (the model is not touched)."""
    return (value - value.dtype.type(lr) * grad).astype(value.dtype)


def _sgd_caption(trace: BackwardTrace, lr: float, labels: dict[int, str]) -> str:
    params = [s for s in trace.steps if s.node._op is None and s.node.requires_grad]
    lines = [f"SGD update (lr = {lr:g}): every parameter W ← W − {lr:g}·∇W (shown, not applied to the model)"]
    for s in params:
        new = _sgd(s.node.data, s.grad, lr)
        lines.append(f"  {s.label}: {fmt_array(s.node.data)} → {fmt_array(new)}")
    return "\n".join(lines)


def _op_entry(op: Function, ix: _Index, drawing: Any) -> dict[str, Any]:
    doc = (type(op).__doc__ or "").strip()
    try:
        params = op.params()
    except Exception:   # an op half-built by a failed forward
        params = {}
    return {"name": op.name, "symbol": getattr(op, "symbol", None), "node": _node_id(drawing, op),
            "rule": local_derivative(op), "doc": " ".join(doc.split()) if doc else "",
            "inputs": [ix.t_index.get(id(t)) for t in op.inputs],
            "args": [_arg_name(op, p) for p in range(len(op.inputs))],
            "output": ix.t_index[id(ix.output[id(op)])],
            "params": ", ".join(f"{k}={v}" for k, v in params.items())}


def _use_entry(c: Any, ix: _Index, single: bool) -> dict[str, Any]:
    local = c.local()
    return {"op": ix.o_index[id(c.op)], "pos": c.pos, "arg": c.arg, "output": ix.t_index[id(c.output)],
            "rule": rule_for(c.op, c.arg), "local": None if local is None else encode_array(local),
            "whole": bool(c.output.data.size == 1),
            "grad": None if single else encode_array(c.grad)}


def _neuron_entry(layers: list[tuple[Tensor, Tensor | None]], ix: _Index, drawing: Any,
                  grad_of: dict[int, np.ndarray], step_of: dict[int, int]) -> dict[str, Any] | None:
    out = []
    for w, b in layers:
        if id(w) not in ix.t_index:
            return None
        parts = _layer_parts(ix, w, b)
        if parts is None:
            return None
        objs: list[Any] = [w, *([b] if b is not None else []), *parts["ops"], parts["z"], parts["a"]]
        objs += [ix.output[id(op)] for op in parts["ops"]]
        nodes = sorted({n for n in (_node_id(drawing, o) for o in objs) if n})
        z, a = parts["z"], parts["a"]
        out.append({"weight": ix.t_index[id(w)], "bias": None if b is None else ix.t_index.get(id(b)),
                    "x": None if parts["x"] is None else ix.t_index.get(id(parts["x"])),
                    "z": ix.t_index[id(z)], "a": ix.t_index[id(a)], "act": parts["act"], "nodes": nodes,
                    "units": int(w.shape[0]), "inputs": int(w.shape[1]),
                    "a_mean": _batch_mean(a), "delta_mean": _batch_mean(z, grad_of.get(id(z))),
                    "delta_step": step_of.get(id(z)),
                    "tensors": sorted({ix.t_index[id(o)] for o in objs if isinstance(o, Tensor)}),
                    "ops": sorted({ix.o_index[id(o)] for o in objs if isinstance(o, Function)})})
    if not out:
        return None
    first_x = out[0]["x"]
    return {"layers": out, "x_mean": None if first_x is None else _batch_mean(ix.tensors[first_x])}
