"""Draw the computation graph behind a tensor with graphviz: values, gradients, modules.

`draw_graph(root)` walks the graph iteratively (`toposort`) and draws one box
per tensor (name, shape, dtype, value, gradient) and one oval per op (name,
symbol, params), with edges from each input to its op labelled by argument
position where order matters (`a − b`, `a @ b`, ...). Ops created inside an
`nn.Module`'s forward (tagged via `autograd.scope`) are grouped into nested
clusters, which `collapse=` folds into single boxes. Colours separate inputs,
parameters, intermediates, ops and the root; a legend says which is which.

The result is a `graphviz.Digraph` (subclass `Drawing`), so everything graphviz
users type works on it. Only the `graphviz` Python package is needed to build
the drawing (`.source`, `.save`); the `dot` program is needed to render it
(`.render`, `.pipe`, `.svg()`, Jupyter).
"""
from __future__ import annotations

import contextlib
import html
import os
import sys
import warnings
from collections import deque
from typing import Any, Iterable, Iterator, Mapping, Protocol, runtime_checkable

import graphviz
import numpy as np

from autograd.engine import toposort
from autograd.function import Function
from autograd.tensor import Tensor

__all__ = ["draw_graph", "Drawing", "GraphvizNotFoundError", "tensor_labels", "param_names"]

# Node colours by kind: (fill, legend text).
COLORS: dict[str, tuple[str, str]] = {
    "input": ("#dbeafe", "input (no grad)"),
    "param": ("#fde68a", "parameter (leaf, requires grad)"),
    "inter": ("#f1f5f9", "intermediate"),
    "op": ("#e9d5ff", "op"),
    "root": ("#fca5a5", "output (root)"),
    "module": ("#a5f3fc", "module (collapsed)"),
    "highlight": ("#86efac", "highlighted"),
}
HIGHLIGHT_BORDER = "#15803d"
CLUSTER_FILLS = ("#f8fafc", "#eef2ff")
FULL_VALUE_MAX = 6          # arrays up to this many elements are shown in full
_ORDERED_OPS = {"concatenate", "stack"}   # n-ary ops whose input order matters
_RANKDIRS = ("LR", "RL", "TB", "BT")

_INSTALL_HINT = ("install Graphviz: 'sudo apt-get install graphviz' (Debian/Ubuntu), "
                 "'brew install graphviz' (macOS) or 'conda install graphviz'")


class GraphvizNotFoundError(graphviz.ExecutableNotFound):
    """The graphviz `dot` program, needed to render a drawing, is not on PATH (a RuntimeError).

    A subclass of graphviz's own `ExecutableNotFound`, so code written for
    graphviz catches it too; its message says how to install Graphviz.
    """

    def __init__(self, message: str) -> None:
        RuntimeError.__init__(self, message)   # graphviz's __init__ formats a fixed message instead


# -- naming -------------------------------------------------------------------------
# What drawings, traces and the explorer read from a model: the two methods nn.Module has
# (autograd never imports nn; any object with them works the same).
@runtime_checkable
class NamedParameters(Protocol):
    """Names its parameters, `(name, tensor)` pairs: drawings label those tensors with them."""
    def named_parameters(self) -> Iterable[tuple[str, Tensor]]: ...


@runtime_checkable
class NamedModules(Protocol):
    """Names its submodules, `(dotted path, module)` pairs: drawings title each module's ops
    (with the module's `describe()` when it has one)."""
    def named_modules(self) -> Iterable[tuple[str, Any]]: ...


def param_names(params: Any) -> dict[int, str]:
    """`id(tensor) -> name` from a Module (`named_parameters()`), a dict, or (name, tensor) pairs."""
    if params is None:
        return {}
    if isinstance(params, NamedParameters):
        pairs: Iterable = params.named_parameters()
    elif isinstance(params, Mapping):
        pairs = params.items()
    else:
        try:
            pairs = list(params)
        except TypeError:
            raise TypeError(f"draw_graph: params must be a Module, a dict name -> Tensor or (name, Tensor) "
                            f"pairs, got {type(params).__name__}") from None
    out: dict[int, str] = {}
    for name, t in pairs:
        if isinstance(t, Tensor):
            out.setdefault(id(t), str(name))
    return out


def tensor_labels(order: list[Tensor], names: Mapping[int, str] | None = None) -> dict[int, str]:
    """`id(tensor) -> label`: the params= name, else `.name`, else `t0`, `t1`, ... in `order`."""
    names = names or {}
    labels: dict[int, str] = {}
    k = 0
    for t in order:
        label = names.get(id(t)) or t.name
        if not label:
            label = f"t{k}"
            k += 1
        labels[id(t)] = str(label)
    return labels


def _module_paths(params: Any) -> dict[int, str]:
    if not isinstance(params, NamedModules):
        return {}
    out: dict[int, str] = {}
    for path, m in params.named_modules():
        out.setdefault(id(m), str(path))
    return out


def _describe(m: Any) -> str:
    describe = getattr(m, "describe", None)
    if callable(describe):
        try:
            return str(describe())
        except Exception:   # a broken describe() must not break the drawing
            pass
    return type(m).__name__


def _title_html(m: Any, paths: Mapping[int, str]) -> str:
    """`<B>layers.0</B> · Linear(2→16)`, or just the description when the path is unknown/root."""
    path = paths.get(id(m))
    return f"<B>{_esc(path)}</B> · {_esc(_describe(m))}" if path else f"<B>{_esc(_describe(m))}</B>"


# -- value formatting ------------------------------------------------------------------
def _fmt_num(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x))
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    return f"{float(x):.4g}"


def fmt_array(a: Any) -> str:
    """All of a small array (≤ 6 elements), else `mean · min · max` (and the NaN count)."""
    a = np.asarray(a)
    if a.ndim == 0:
        return _fmt_num(a.item())
    if a.size <= FULL_VALUE_MAX:
        s = np.array2string(a, separator=", ", max_line_width=10_000,
                            formatter={"float_kind": _fmt_num, "int_kind": _fmt_num})
        return " ".join(s.split())
    if a.dtype.kind == "b":
        return f"{int(a.sum())} of {a.size} true"
    if a.dtype.kind not in "fiu":
        return f"{a.size} values"
    extra = ""
    if a.dtype.kind == "f":
        nans = int(np.isnan(a).sum())
        if nans:
            extra = f" · {nans} NaN"
            a = a[~np.isnan(a)]
            if a.size == 0:
                return f"all {nans} NaN"
    return f"mean {_fmt_num(a.mean())} · min {_fmt_num(a.min())} · max {_fmt_num(a.max())}{extra}"


def _fmt_index(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for p in parts:
        if isinstance(p, slice):
            s = ("" if p.start is None else str(p.start)) + ":" + ("" if p.stop is None else str(p.stop))
            out.append(s + ("" if p.step is None else f":{p.step}"))
        elif p is Ellipsis:
            out.append("...")
        elif p is None:
            out.append("None")
        elif isinstance(p, (np.ndarray, list)):
            arr = np.asarray(p)
            out.append(fmt_array(arr) if arr.size <= FULL_VALUE_MAX else f"array{arr.shape}")
        else:
            out.append(str(p))
    return "[" + ", ".join(out) + "]"


def _fmt_param(key: str, value: Any) -> str:
    if key == "index":
        text = _fmt_index(value)
    elif isinstance(value, np.ndarray):
        text = fmt_array(value) if value.size <= FULL_VALUE_MAX else f"array{value.shape}"
    elif isinstance(value, float):
        text = _fmt_num(value)
    else:
        text = str(value)
    if len(text) > 40:
        text = text[:39] + "…"
    return f"{key}={text}"


def _esc(s: Any) -> str:
    return html.escape(str(s), quote=False)


# -- labels ------------------------------------------------------------------------------
def _table(rows: list[list[str]]) -> str:
    """An HTML-like label: rows of cells, ruled like a record."""
    body = "<HR/>".join("<TR>" + "<VR/>".join(f"<TD>{c}</TD>" for c in row) + "</TR>" for row in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="3">{body}</TABLE>>'


def _tensor_label(t: Tensor, label: str, grad: Any, show_values: bool, show_grads: bool) -> str:
    gtext = "—" if grad is None else fmt_array(grad)
    name = f"<B>{_esc(label)}</B>"
    if t.data.ndim == 0:   # micrograd style: name | data | grad on one line
        cells = [name]
        if t.data.dtype != np.float64:
            cells.append(_esc(t.data.dtype))
        if show_values:
            cells.append(_esc(f"data: {fmt_array(t.data)}"))
        if show_grads:
            cells.append(_esc(f"grad: {gtext}"))
        return _table([cells])
    rows = [[f"{name}  {_esc(tuple(t.data.shape))} {_esc(t.data.dtype)}"]]
    if show_values:
        rows.append([_esc(f"data: {fmt_array(t.data)}")])
    if show_grads:
        rows.append([_esc(f"grad: {gtext}")])
    return _table(rows)


def _op_label(op: Function) -> str:
    symbol = getattr(op, "symbol", None)
    head = f"<B>{_esc(symbol)}</B> {_esc(op.name)}" if symbol else f"<B>{_esc(op.name)}</B>"
    try:
        params = op.params()
    except Exception:   # an op half-built by a failed forward
        params = {}
    if params:
        text = _esc("  ".join(_fmt_param(k, v) for k, v in params.items()))
        head += f'<BR/><FONT POINT-SIZE="9">{text}</FONT>'
    return f"<{head}>"


def _edge_label(op: Function, pos: int) -> str | None:
    arg_names = getattr(op, "arg_names", None)
    if arg_names and pos < len(arg_names):
        return arg_names[pos]
    if op.name in _ORDERED_OPS and len(op.inputs) > 1:
        return str(pos)
    return None


# -- the drawing -----------------------------------------------------------------------
@contextlib.contextmanager
def _dot_errors(fmt: str | None) -> Iterator[None]:
    """Turn graphviz's bare 'dot not found' into GraphvizNotFoundError with install instructions."""
    try:
        yield
    except GraphvizNotFoundError:
        raise
    except graphviz.ExecutableNotFound:
        raise GraphvizNotFoundError(
            f"draw_graph: cannot render to {fmt or 'svg'}: the graphviz 'dot' program was not found on PATH; "
            f"{_INSTALL_HINT}. Drawing.source still gives the DOT text.") from None


_SOURCE_EXTENSIONS = {"gv", "dot", "xdot", "canon"}   # graphviz's names for DOT text, not images


def _image_format(filename: Any) -> str | None:
    """The output format a file name asks for by its extension (`graph.png` -> png), else None."""
    if filename is None:
        return None
    ext = os.path.splitext(os.fspath(filename))[1].lstrip(".").lower()
    return ext if ext in graphviz.FORMATS and ext not in _SOURCE_EXTENSIONS else None


class Drawing(graphviz.Digraph):
    """A drawn graph: a `graphviz.Digraph`, so graphviz's `render`/`pipe`/`view`/`save` all work.

    Two additions: `render("graph.png")` writes just that image, its format
    taken from the extension (graphviz would save the DOT text under that name
    and render `graph.png.svg`); and a missing `dot` program raises
    `GraphvizNotFoundError` (a `graphviz.ExecutableNotFound`) saying how to
    install it, while `.source` and `.save` never need it. The default output
    format is svg. In Jupyter it shows itself inline as SVG.
    """

    def __init__(self, *args: Any, node_ids: Mapping[int, str] | None = None, collapse: bool | int = False,
                 hidden: int = 0, n_nodes: int = 0, **kwargs: Any) -> None:
        kwargs.setdefault("format", "svg")
        super().__init__(*args, **kwargs)
        self._ids = dict(node_ids or {})
        self.n_nodes = n_nodes     # nodes drawn (tensors, ops, module boxes), legend excluded
        self.collapse = collapse   # the collapse level actually used (may be raised by max_nodes)
        self.hidden = hidden       # nodes left out and counted in the "… N more nodes" node

    def _copy_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        # graphviz's copy() rebuilds the object from these; keep what draw_graph learned too.
        # (graphviz's own _copy_kwargs drops keywords it does not know, so add ours after it)
        return {**super()._copy_kwargs(**kwargs), "node_ids": self._ids, "collapse": self.collapse,
                "hidden": self.hidden, "n_nodes": self.n_nodes}

    def node_id(self, obj: Tensor | Function) -> str | None:
        """The DOT id of a tensor or op (or of the module box / summary node that hides it)."""
        return self._ids.get(id(obj))

    def pipe(self, format: str | None = None, renderer: str | None = None, formatter: str | None = None,
             neato_no_op: bool | int | None = None, quiet: bool = False, *, engine: str | None = None,
             encoding: str | None = None) -> bytes | str:
        """graphviz's `pipe`: the rendered bytes (str with `encoding=`); svg by default."""
        with _dot_errors(format or self.format):
            return super().pipe(format=format, renderer=renderer, formatter=formatter,
                                neato_no_op=neato_no_op, quiet=quiet, engine=engine, encoding=encoding)

    def svg(self) -> str:
        """The drawing as an SVG document (text)."""
        return self.pipe(format="svg", encoding="utf-8")

    def render(self, filename: str | os.PathLike | None = None, directory: str | os.PathLike | None = None,
               view: bool = False, cleanup: bool = False, format: str | None = None,
               renderer: str | None = None, formatter: str | None = None,
               neato_no_op: bool | int | None = None, quiet: bool = False, quiet_view: bool = False, *,
               outfile: str | os.PathLike | None = None, engine: str | None = None,
               raise_if_result_exists: bool = False, overwrite_source: bool = False) -> str:
        """graphviz's `render`, and `render("graph.png")`: write that image only; return its path.

        When `filename` ends in an output format (`.svg`, `.png`, `.pdf`, ...)
        and `format` is not given or agrees, the image is written to
        `directory/filename` (folders created) and no DOT file is left beside
        it. Otherwise graphviz's own rules apply: the DOT source is saved to
        `filename` (default `autograd.gv`) and the image to `filename.format`.
        """
        image = _image_format(filename) if outfile is None else None
        if image and format in (None, image):
            path = os.path.join(os.fspath(directory or ""), os.fspath(filename))
            if raise_if_result_exists and os.path.exists(path):
                raise graphviz.FileExistsError(f"render: output file exists: {path!r}")
            data = self.pipe(format=image, renderer=renderer, formatter=formatter, neato_no_op=neato_no_op,
                             quiet=quiet, engine=engine)
            if os.path.dirname(path):
                os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            if view or quiet_view:
                self._view(path, format=image, quiet=quiet_view)
            return path
        with _dot_errors(format or self.format):
            return super().render(filename=filename, directory=directory, view=view, cleanup=cleanup,
                                  format=format, renderer=renderer, formatter=formatter,
                                  neato_no_op=neato_no_op, quiet=quiet, quiet_view=quiet_view,
                                  outfile=outfile, engine=engine, raise_if_result_exists=raise_if_result_exists,
                                  overwrite_source=overwrite_source)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, Any]:
        # Jupyter: graphviz's inline SVG, or the install hint as text when `dot` is missing.
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except GraphvizNotFoundError as e:
            return {"text/plain": f"{self!r}\n{e}"}

    def __repr__(self) -> str:
        return f"<Drawing: {self.n_nodes} nodes, rankdir={self.graph_attr.get('rankdir')}>"


class _Graph:
    """The drawable graph before emission: nodes, edges, module scopes."""

    def __init__(self) -> None:
        self.kind: dict[str, str] = {}       # node id -> input/param/inter/root/op/module/more
        self.obj: dict[str, Any] = {}        # node id -> Tensor / Function / scope key
        self.key: dict[str, tuple] = {}      # node id -> scope key (tuple of module ids)
        self.edges: list[tuple[str, str, str | None]] = []

    def count(self) -> int:
        return len(self.kind)


def _caller_stacklevel() -> int:
    """Stack level of the first frame outside the autograd package (for warnings)."""
    here = os.path.dirname(os.path.abspath(__file__))
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == here:
        frame, level = frame.f_back, level + 1
    return level


def _common_prefix(a: tuple, b: tuple) -> tuple:
    n = 0
    for x, y in zip(a, b):
        if x is not y:
            break
        n += 1
    return a[:n]


def _build(root: Tensor, order: list[Tensor]) -> tuple[_Graph, dict[int, Any]]:
    """Full graph: one node per tensor and per op; leaves requiring grad join their users' scope."""
    g = _Graph()
    modules: dict[int, Any] = {}
    leaf_scope: dict[int, tuple] = {}
    for t in order:
        op = t._op
        if op is None:
            continue
        scope = tuple(getattr(op, "scope", ()) or ())
        for m in scope:
            modules[id(m)] = m
        for inp in op.inputs:
            if inp._op is None and inp.requires_grad:
                prev = leaf_scope.get(id(inp))
                leaf_scope[id(inp)] = scope if prev is None else _common_prefix(prev, scope)
    for t in order:
        tid = f"t{id(t)}"
        op = t._op
        if t is root:
            kind = "root"
        elif op is not None:
            kind = "inter"
        else:
            kind = "param" if t.requires_grad else "input"
        scope = tuple(getattr(op, "scope", ()) or ()) if op is not None else leaf_scope.get(id(t), ())
        key = tuple(id(m) for m in scope)
        g.kind[tid], g.obj[tid], g.key[tid] = kind, t, key
        if op is not None:
            oid = f"o{id(op)}"
            g.kind[oid], g.obj[oid], g.key[oid] = "op", op, key
            for pos, inp in enumerate(op.inputs):
                g.edges.append((f"t{id(inp)}", oid, _edge_label(op, pos)))
            g.edges.append((oid, tid, None))
    return g, modules


def _scope_tree(keys: Iterable[tuple]) -> dict[tuple, set[tuple]]:
    """Every scope prefix -> its child prefixes."""
    children: dict[tuple, set[tuple]] = {}
    for key in set(keys):
        for i in range(1, len(key) + 1):
            children.setdefault(key[:i], set())
            if i > 1:
                children[key[:i - 1]].add(key[:i])
    return children


def _collapsed_keys(children: dict[tuple, set[tuple]], collapse: bool | int) -> set[tuple]:
    if collapse is True:
        return {k for k, kids in children.items() if not kids}
    if not collapse:
        return set()
    return {k for k in children if len(k) == collapse}


def _collapse(g: _Graph, collapsed: set[tuple], root_id: str) -> tuple[_Graph, dict[str, str]]:
    """Fold every node inside a collapsed scope into one box node per scope."""
    if not collapsed:
        return g, {}
    out = _Graph()
    rep: dict[str, str] = {}
    box_of: dict[tuple, tuple | None] = {}
    box_ids: dict[tuple, str] = {}
    for nid, kind in g.kind.items():
        key = g.key[nid]
        if key not in box_of:
            box_of[key] = next((key[:i] for i in range(1, len(key) + 1) if key[:i] in collapsed), None)
        box = box_of[key]
        if box is None or nid == root_id:   # the root stays visible, beside its box
            out.kind[nid], out.obj[nid] = kind, g.obj[nid]
            out.key[nid] = key if box is None else box[:-1]
            continue
        bid = box_ids.get(box)
        if bid is None:
            bid = box_ids[box] = f"m{len(box_ids)}_{box[-1]}"
            out.kind[bid], out.obj[bid], out.key[bid] = "module", box, box[:-1]
        rep[nid] = bid
    seen: set[tuple[str, str, str | None]] = set()
    for src, dst, label in g.edges:
        s, d = rep.get(src, src), rep.get(dst, dst)
        if s == d:
            continue
        if s != src or d != dst:
            if d != dst:       # an argument position means nothing on an edge into a box
                label = None
            if (s, d, label) in seen:
                continue
            seen.add((s, d, label))
        out.edges.append((s, d, label))
    return out, rep


def _summarize(g: _Graph, root_id: str, max_nodes: int) -> tuple[_Graph, dict[str, str], int]:
    """Keep the max_nodes − 1 nodes nearest the root; one '… N more nodes' node stands for the rest."""
    preds: dict[str, list[str]] = {}
    for src, dst, _ in g.edges:
        preds.setdefault(dst, []).append(src)
    keep: dict[str, None] = {root_id: None}
    queue = deque([root_id])
    while queue and len(keep) < max_nodes - 1:
        for p in preds.get(queue.popleft(), ()):
            if p not in keep:
                keep[p] = None
                queue.append(p)
                if len(keep) >= max_nodes - 1:
                    break
    hidden = g.count() - len(keep)
    out = _Graph()
    for nid in keep:
        out.kind[nid], out.obj[nid], out.key[nid] = g.kind[nid], g.obj[nid], g.key[nid]
    more = "more"
    out.kind[more], out.obj[more], out.key[more] = "more", hidden, ()
    rep = {nid: more for nid in g.kind if nid not in keep}
    seen: set[str] = set()
    for src, dst, label in g.edges:
        if dst not in keep:
            continue
        if src in keep:
            out.edges.append((src, dst, label))
        elif dst not in seen:
            seen.add(dst)
            out.edges.append((more, dst, None))
    return out, rep, hidden


def _box_label(key: tuple, modules: Mapping[int, Any], paths: Mapping[int, str],
               members: list[Any], labels: Mapping[int, str]) -> str:
    module = modules[key[-1]]
    title = _title_html(module, paths)
    prefix = (paths.get(id(module)) or "") + "."
    ops: dict[str, None] = {}
    params = []
    for obj in members:
        if isinstance(obj, Function):
            ops[obj.name] = None
        elif isinstance(obj, Tensor) and obj._op is None and obj.requires_grad:
            name = labels.get(id(obj), "?")
            name = name[len(prefix):] if prefix != "." and name.startswith(prefix) else name
            params.append(f"{name} {tuple(obj.shape)}")
    n_ops = sum(1 for o in members if isinstance(o, Function))
    rows = [title]
    if ops:
        names = ", ".join(list(ops)[:6]) + (", …" if len(ops) > 6 else "")
        ops_text = f"{n_ops} op{'s' if n_ops != 1 else ''}: {names}"
        rows.append(f'<FONT POINT-SIZE="9">{_esc(ops_text)}</FONT>')
    if params:
        text = ", ".join(params[:4]) + (f", … ({len(params)})" if len(params) > 4 else "")
        rows.append(f'<FONT POINT-SIZE="9">{_esc(text)}</FONT>')
    return "<" + "<BR/>".join(rows) + ">"


def draw_graph(root: Tensor, params: Any = None, rankdir: str = "LR", collapse: bool | int = False,
               max_nodes: int = 500, show_values: bool = True, show_grads: bool = True,
               title: str | None = None, *, legend: bool = True,
               highlight: Iterable[Tensor | Function] = (),
               grads: Mapping[Tensor, Any] | None = None) -> Drawing:
    """Draw the graph that produced `root`: a box per tensor, an oval per op, a cluster per module.

    `params` (a Module or a dict name -> tensor) names parameters (`layers.0.weight`)
    and module clusters (`layers.0 · Linear(2→16)`). `collapse=True` folds each
    innermost module into one box; `collapse=k` folds the modules at nesting
    depth k (1 = outermost). Above `max_nodes` nodes, modules are collapsed, then
    only the nodes nearest the root are kept (with a warning). `highlight` marks
    tensors/ops; `grads` (tensor -> array) shows those gradients instead of
    `.grad` (tensors missing from it show "grad: —").
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor, got {type(root).__name__}")
    if rankdir not in _RANKDIRS:
        raise ValueError(f"draw_graph: rankdir={rankdir!r} is not one of {', '.join(_RANKDIRS)}")
    if not isinstance(collapse, (bool, int, np.integer)) or collapse < 0:
        raise ValueError(f"draw_graph: collapse={collapse!r}; expected True, False or a depth >= 1")
    collapse = collapse if isinstance(collapse, bool) else int(collapse)
    if not isinstance(max_nodes, (int, np.integer)) or max_nodes < 2:
        raise ValueError(f"draw_graph: max_nodes={max_nodes!r}; expected an integer >= 2")

    order = toposort(root, requires_grad_only=False)
    labels = tensor_labels(order, param_names(params))
    full, modules = _build(root, order)
    g, rep, collapse, hidden = _fit(full, f"t{id(root)}", collapse, int(max_nodes))

    hl_ids = {rep.get(n, n) for n in (f"{'t' if isinstance(h, Tensor) else 'o'}{id(h)}" for h in highlight)}
    style = _Style(labels, _module_paths(params), modules, show_values, show_grads,
                   None if grads is None else {id(t): v for t, v in grads.items()}, hl_ids)
    ids = {id(obj): rep.get(nid, nid) for nid, obj in full.obj.items()}
    drawing = Drawing(name="autograd", node_ids=ids, collapse=collapse, hidden=hidden, n_nodes=g.count())
    _emit(drawing, g, full, rep, style, rankdir, title, legend)
    return drawing


def _fit(full: _Graph, root_id: str, collapse: bool | int,
         max_nodes: int) -> tuple[_Graph, dict[str, str], bool | int, int]:
    """Apply `collapse`; above max_nodes collapse modules further, then summarise (and warn).

    Returns the graph to draw, the map hidden node -> node standing for it, the
    collapse level used and the number of nodes summarised away.
    """
    children = _scope_tree(full.key.values())
    notes: list[str] = []
    g, rep = _collapse(full, _collapsed_keys(children, collapse), root_id)
    if g.count() > max_nodes and children:
        depth = max(len(k) for k in children)
        tries: list[bool | int] = ([True] if collapse is False else []) + [
            d for d in range(depth, 0, -1) if isinstance(collapse, bool) or d < collapse]
        for level in tries:
            g, rep = _collapse(full, _collapsed_keys(children, level), root_id)
            collapse = level
            if g.count() <= max_nodes:
                break
        notes.append(f"modules collapsed (collapse={collapse!r})")
    hidden = 0
    if g.count() > max_nodes:
        total = g.count()
        g, more_rep, hidden = _summarize(g, root_id, max_nodes)
        rep = {nid: more_rep.get(r, r) for nid, r in rep.items()}
        rep.update(more_rep)
        notes.append(f"kept the {total - hidden} nodes nearest the root and one '… {hidden} more nodes' node")
    if notes:
        warnings.warn(f"draw_graph: the graph has {full.count()} nodes, more than max_nodes={max_nodes}; "
                      f"{' and '.join(notes)}. Pass a larger max_nodes to draw everything.",
                      stacklevel=_caller_stacklevel())
    return g, rep, collapse, hidden


class _Style:
    """What the emitter needs to label and colour nodes."""

    def __init__(self, labels: dict[int, str], paths: dict[int, str], modules: dict[int, Any],
                 show_values: bool, show_grads: bool, grads: dict[int, Any] | None,
                 highlight: set[str]) -> None:
        self.labels, self.paths, self.modules = labels, paths, modules
        self.show_values, self.show_grads = show_values, show_grads
        self.grads, self.highlight = grads, highlight

    def node_attrs(self, nid: str, kind: str, obj: Any, members: list[Any]) -> dict[str, str]:
        hl = nid in self.highlight
        fill = COLORS["highlight" if hl else kind][0] if kind in COLORS else "white"
        attrs = {"style": "filled", "fillcolor": fill}
        if hl:
            attrs.update(penwidth="3", color=HIGHLIGHT_BORDER)
        if kind == "op":
            attrs.update(shape="ellipse", label=_op_label(obj), margin="0.05,0.02")
        elif kind == "module":
            attrs.update(shape="box", style="filled,rounded,bold",
                         label=_box_label(obj, self.modules, self.paths, members, self.labels))
        elif kind == "more":
            attrs.update(shape="note", style="dashed", fillcolor="white", label=_esc(f"… {obj} more nodes"))
        else:
            grad = self.grads.get(id(obj)) if self.grads is not None else obj.grad
            attrs.update(shape="box", margin="0", label=_tensor_label(
                obj, self.labels[id(obj)], grad, self.show_values, self.show_grads))
            if kind == "root" and not hl:
                attrs.update(penwidth="2")
        return attrs

    def cluster_attrs(self, key: tuple) -> dict[str, str]:
        return {"label": f"<{_title_html(self.modules[key[-1]], self.paths)}>", "style": "rounded,filled",
                "fillcolor": CLUSTER_FILLS[(len(key) - 1) % 2], "color": "#94a3b8",
                "fontsize": "10", "labeljust": "l"}


def _emit(dot: graphviz.Digraph, g: _Graph, full: _Graph, rep: dict[str, str], style: _Style,
          rankdir: str, title: str | None, legend: bool) -> None:
    """Write the graph into `dot`: attributes, nodes inside nested module clusters, edges, legend."""
    dot.graph_attr.update(rankdir=rankdir, fontname="Helvetica", nodesep="0.25", ranksep="0.35", labelloc="t")
    if title:
        dot.graph_attr.update(label=f"<<B>{_esc(title)}</B>>", fontsize="13")
    dot.node_attr.update(fontname="Helvetica", fontsize="11")
    dot.edge_attr.update(fontname="Helvetica", fontsize="9", fontcolor="#475569", arrowsize="0.7")
    members: dict[str, list[Any]] = {}     # what each collapsed box hides (for its label)
    for nid, bid in rep.items():
        if g.kind.get(bid) == "module":
            members.setdefault(bid, []).append(full.obj[nid])

    bodies: dict[tuple, Any] = {}   # scope key -> the Digraph (cluster) that holds its nodes

    def target(key: tuple) -> Any:
        if not key:
            return dot
        if key not in bodies:
            target(key[:-1])   # parents first, so clusters are numbered outside-in
            bodies[key] = graphviz.Digraph(name=f"cluster_{len(bodies)}", graph_attr=style.cluster_attrs(key))
        return bodies[key]

    last_op: dict[tuple, int] = {}   # create clusters in the order data flows out of them
    for i, (nid, kind) in enumerate(g.kind.items()):
        if kind == "op":
            last_op[g.key[nid]] = i
    for key in sorted(last_op, key=last_op.__getitem__):
        target(key)
    for nid, kind in g.kind.items():
        target(g.key[nid]).node(nid, **style.node_attrs(nid, kind, g.obj[nid], members.get(nid, [])))
    # Nest clusters bottom-up (a Digraph's body is copied into its parent by .subgraph).
    for key in sorted(bodies, key=len, reverse=True):
        target(key[:-1]).subgraph(bodies[key])

    for src, dst, label in g.edges:
        attrs = {} if label is None else {"label": label}
        if src in style.highlight and dst in style.highlight:
            attrs.update(color=HIGHLIGHT_BORDER, penwidth="2.5")
        dot.edge(src, dst, **attrs)

    if legend:
        used = set(g.kind.values())
        kinds = [k for k in ("input", "param", "inter", "op", "root", "module") if k in used]
        if style.highlight & set(g.kind):
            kinds.append("highlight")
        rows = "".join(f'<TR><TD BGCOLOR="{COLORS[k][0]}" WIDTH="14"> </TD>'
                       f'<TD ALIGN="LEFT">{_esc(COLORS[k][1])}</TD></TR>' for k in kinds)
        dot.node("legend", shape="plain", fontsize="9",
                 label=f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="2">'
                       f'<TR><TD COLSPAN="2"><B>legend</B></TD></TR>{rows}</TABLE>>')
