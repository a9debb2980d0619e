"""Watch backpropagation step by step: which gradient is computed when, and by which rule.

`trace_backward(loss)` observes the engine's own backward pass (through its
`on_grad`/`on_contribution` hooks), so `.grad` ends up exactly as after a plain
`loss.backward()`. It records one step per node that receives a gradient: the
node, each use of it that sent a gradient back (the op, the upstream gradient
of the op's output, the op's local derivative — the first paragraph of its
docstring — and the product), and the complete gradient. The trace then draws
one frame per step with that node highlighted (`frames`, `save_frames`), or
opens the interactive backprop explorer (`explore`, `to_html`, and inline in
Jupyter): one self-contained HTML page, see `autograd.explorer`.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from autograd.draw import Drawing, GraphvizNotFoundError, draw_graph, fmt_array, param_names, tensor_labels
from autograd.engine import toposort
from autograd.engine import backward as _engine_backward
from autograd.function import Function
from autograd.ops import _Binary
from autograd.tensor import Tensor

if TYPE_CHECKING:
    from autograd.explorer import Explorer

__all__ = ["trace_backward", "BackwardTrace", "BackwardStep", "Contribution"]


def local_derivative(op: Function) -> str:
    """The op's derivative rule: the first paragraph of its class docstring, on one line."""
    doc = (type(op).__doc__ or "").strip()
    first = doc.split("\n\n")[0]
    return " ".join(first.split()) or f"{op.name}: no derivative documented"


def rule_for(op: Function, arg: str | None) -> str | None:
    """The clause of the op's derivative rule about input `arg` (`dW = Gᵀ x` from linear's), if any."""
    if not arg:
        return None
    rule = local_derivative(op)
    derivative = rule.split(";", 1)[1] if ";" in rule else rule
    for clause in re.split(r"[,;]\s*(?=d)", derivative.strip().rstrip(".")):
        if re.match(rf"d(/d)?{re.escape(arg)}\b", clause.strip(), flags=re.IGNORECASE):
            return clause.strip()
    return None


def _arg_name(op: Function, pos: int) -> str | None:
    """How an op's docstring refers to input `pos` (a, b, base, exp, ...)."""
    names = getattr(op, "arg_names", None)
    if names and pos < len(names):
        return names[pos]
    n = len(op.inputs)
    if n == 2:
        return "ab"[pos]   # the docstrings of binary ops call their inputs a and b
    if n > 2:
        return f"#{pos}"
    return None


def _is_pointwise(op: Function) -> bool:
    """Each output element depends only on the same element of each (broadcast) input."""
    return bool(op.elementwise) or isinstance(op, _Binary)


@dataclass
class Contribution:
    """One use of a node that sent it a gradient: `grad` = what `op`'s backward gave input `pos`.

    `output` is the op's result and `upstream` its gradient (d root / d output);
    `grad` is upstream pushed back through the op (summed over broadcast axes).
    """
    op: Function
    pos: int
    grad: np.ndarray
    output: Tensor
    upstream: np.ndarray

    @property
    def arg(self) -> str | None:
        """The name the op's derivative rule gives this input (a, b, x, W, ...), if any."""
        return _arg_name(self.op, self.pos)

    def local(self) -> np.ndarray | None:
        """The local derivative d output / d input as numbers, where it is one array.

        For a pointwise op (tanh, mul, add, ...) it is elementwise, in the output's
        shape, and `grad` = upstream ⊙ local (summed over broadcast axes); for an op
        with a one-element output (a loss, a sum) it is the whole Jacobian, in the
        input's shape, and `grad` = upstream · local. Otherwise (matmul, linear,
        reshape, ...) the derivative is a product with other operands: None.
        """
        out = self.output.data
        whole = out.size == 1   # the Jacobian of a one-element output is one array
        if not (whole or _is_pointwise(self.op)):
            return None
        try:
            got = self.op.backward(np.ones(out.shape, dtype=out.dtype))[self.pos]
        except Exception:   # an op whose backward needs more than its saved arrays
            return None
        if got is None:
            return None
        got = np.asarray(getattr(got, "data", got))
        shape = self.op.inputs[self.pos].data.shape if whole else out.shape
        if got.size != int(np.prod(shape)) and whole:
            return None
        return np.broadcast_to(got.reshape(shape) if whole else got, shape).copy()


@dataclass
class BackwardStep:
    """One node's gradient, complete: `grad` = d(root)/d(node) · upstream, for this pass.

    `contributions` lists one `Contribution` for each use of the node that
    sent a gradient back; the root's step has none (it is seeded).
    """
    index: int
    node: Tensor
    label: str
    grad: np.ndarray
    contributions: list[Contribution] = field(default_factory=list)
    via: str = ""          # e.g. "mul → t3 (as a)"; "seed" for the root
    derivative: str = ""   # the local derivative text(s) used
    labels: dict[int, str] = field(default_factory=dict, repr=False)   # id(tensor) -> label
    root_label: str = "L"

    @property
    def ops(self) -> list[Function]:
        """The ops whose backward produced this gradient (no repeats, in order)."""
        out: list[Function] = []
        for c in self.contributions:
            if not any(c.op is o for o in out):
                out.append(c.op)
        return out

    @property
    def op(self) -> Function | None:
        """The (first) op whose backward produced this gradient; None for the root."""
        return self.contributions[0].op if self.contributions else None

    def caption(self, total: int) -> str:
        """`step k/N: grad of <node> via <op>: <derivative>` (k counts from 1)."""
        return f"step {self.index + 1}/{total}: grad of {self.label} via {self.via}: {self.derivative}"

    def equation(self) -> str:
        """This step's numbers: `∂L/∂x = upstream ⊙ local = product` per use, then their sum.

        L is the root's label. Arrays of up to 6 elements are written in full,
        larger ones as `mean · min · max` (as in the drawings).
        """
        root = self.root_label
        lhs = f"∂{root}/∂{self.label}"
        if not self.contributions:
            return f"{lhs} = {fmt_array(self.grad)}  (the seed)"
        terms = [self._term(c, root) for c in self.contributions]
        if len(terms) == 1:
            return f"{lhs} = {terms[0]}"
        parts = "\n".join(f"  use {i + 1}: {t}" for i, t in enumerate(terms))
        return f"{lhs} = sum of {len(terms)} uses = {fmt_array(self.grad)}\n{parts}"

    def _term(self, c: Contribution, root: str) -> str:
        out = self.labels.get(id(c.output), "?")
        up = f"∂{root}/∂{out} {fmt_array(c.upstream)}"
        arg = f" as {c.arg}" if c.arg else ""
        local = c.local()
        if local is None:
            rule = rule_for(c.op, c.arg)
            how = f" ({rule}, G = that gradient)" if rule else ""
            return f"{up} back through {c.op.name}{arg}{how} = {fmt_array(c.grad)}"
        sign = "·" if c.output.data.size == 1 else "⊙"
        return f"{up} {sign} local ∂{out}/∂{self.label} {fmt_array(local)} = {fmt_array(c.grad)}"


class BackwardTrace:
    """The recorded backward pass: `.steps`, frames to step through, and the explorer page."""

    def __init__(self, root: Tensor, steps: list[BackwardStep], params: Any) -> None:
        self.root = root
        self.steps = steps
        self.params = params

    def __len__(self) -> int:
        return len(self.steps)

    def __iter__(self):
        return iter(self.steps)

    def captions(self) -> list[str]:
        """One caption per step."""
        return [s.caption(len(self.steps)) for s in self.steps]

    def __str__(self) -> str:
        lines = []
        for s, cap in zip(self.steps, self.captions()):
            lines.append(f"{cap}\n    = {fmt_array(s.grad)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<BackwardTrace: {len(self.steps)} steps from {self.steps[0].label if self.steps else '?'}>"

    def frame(self, k: int, **draw_kwargs: Any) -> Drawing:
        """The drawing after step k: its node highlighted (with the ops its gradient came
        through), gradients shown for the nodes done so far in this pass, "—" for the rest."""
        step = self.steps[k]
        grads = {s.node: s.grad for s in self.steps[:k + 1]}
        kwargs: dict[str, Any] = {"params": self.params, "title": step.caption(len(self.steps))}
        kwargs.update(draw_kwargs)
        return draw_graph(self.root, highlight=[step.node, *step.ops], grads=grads, **kwargs)

    def frames(self, **draw_kwargs: Any) -> list[Drawing]:
        """One drawing per step (see `frame`); keyword arguments go to `draw_graph`."""
        return [self.frame(k, **draw_kwargs) for k in range(len(self.steps))]

    def save_frames(self, directory: str | os.PathLike, format: str = "svg", **draw_kwargs: Any) -> list[str]:
        """Render every frame to `directory/step_000.<format>`, ...; return the paths."""
        directory = os.fspath(directory)
        os.makedirs(directory, exist_ok=True)
        width = max(3, len(str(len(self.steps) - 1)))
        return [d.render(os.path.join(directory, f"step_{k:0{width}d}.{format}"), format=format)
                for k, d in enumerate(self.frames(**draw_kwargs))]

    def explore(self, lr: float | None = None, model: Any = None, title: str | None = None,
                **draw_kwargs: Any) -> "Explorer":
        """The backprop explorer for this pass (an `autograd.explorer.Explorer`).

        `lr` adds a final "SGD update" step showing each parameter before and
        after `W − lr·∇W`; `model` (an object with `named_parameters()` such as
        an `nn.MLP`, or a list of (weight, bias) tensor pairs) gives the layers
        of the neuron view, by default the trace's `params`, else the graph's
        linear ops. Other keyword arguments go to `draw_graph`.
        """
        from autograd.explorer import Explorer   # the explorer is built on this module
        return Explorer(self, lr=lr, model=model, title=title, **draw_kwargs)

    def to_html(self, path: str | os.PathLike, title: str | None = None, lr: float | None = None,
                model: Any = None, **draw_kwargs: Any) -> str:
        """Write the backprop explorer as ONE self-contained HTML page; return the path.

        Needs graphviz's `dot` (the graph is laid out once). See `explore`.
        """
        return self.explore(lr=lr, model=model, title=title, **draw_kwargs).save(path)

    def _repr_html_(self) -> str | None:
        """The explorer inline in Jupyter (None without `dot`, so the text repr shows)."""
        try:
            return self.explore()._repr_html_()
        except GraphvizNotFoundError:
            return None


def trace_backward(root: Tensor, grad: Any = None, params: Any = None) -> BackwardTrace:
    """Run `root.backward(grad)` while recording each node's gradient and how it was made.

    Behaves exactly like `backward` (PyTorch semantics): this pass's gradients
    are ADDED into `.grad` of every node that requires grad, so call
    `zero_grad` first for fresh gradients. The steps (and the frames) show this
    pass's gradients only, in the engine's order (reverse topological), one
    step per node that received a gradient. `params` (a Module or dict) names
    the parameters in captions and drawings.
    """
    if not isinstance(root, Tensor):
        raise TypeError(f"trace_backward: expected a Tensor, got {type(root).__name__}")
    labels = tensor_labels(toposort(root, requires_grad_only=False), param_names(params))
    out_of = {id(t._op): t for t in toposort(root) if t._op is not None}   # op -> the tensor it produced
    grad_of: dict[int, np.ndarray] = {}
    steps: list[BackwardStep] = []
    sources: dict[int, list[Contribution]] = {}

    def on_grad(node: Tensor, g: np.ndarray) -> None:
        g = np.array(g)
        grad_of[id(node)] = g
        steps.append(_step(len(steps), node, labels, g, sources.pop(id(node), []), seeded=grad is not None,
                           root_label=labels[id(root)]))

    def on_contribution(parent: Tensor, op: Function, pos: int, pg: np.ndarray) -> None:
        out = out_of[id(op)]
        sources.setdefault(id(parent), []).append(Contribution(op, pos, np.array(pg), out, grad_of[id(out)]))

    # The engine's own pass, observed: `.grad` is exactly what backward gives.
    _engine_backward(root, grad, on_grad=on_grad, on_contribution=on_contribution)
    return BackwardTrace(root, steps, params)


def _step(index: int, node: Tensor, labels: dict[int, str], grad: np.ndarray,
          contributions: list[Contribution], seeded: bool, root_label: str) -> BackwardStep:
    label = labels.get(id(node), "?")
    if not contributions:   # the root
        via = "seed"
        derivative = (f"d{label}/d{label} · given grad" if seeded else f"d{label}/d{label} = 1")
        return BackwardStep(index, node, label, grad, [], via, derivative, labels, root_label)
    vias, rules = [], []
    for c in contributions:
        arg = c.arg
        vias.append(f"{c.op.name} → {labels.get(id(c.output), '?')}" + (f" (as {arg})" if arg else ""))
        rule = local_derivative(c.op)
        if rule not in rules:
            rules.append(rule)
    return BackwardStep(index, node, label, grad, contributions, " + ".join(vias), " | ".join(rules),
                        labels, root_label)
