"""Watch backpropagation step by step: which gradient is computed when, and by which rule.

`trace_backward(loss)` replays the engine's sweep (same order, same arithmetic)
without touching `.grad`, then runs `loss.backward()` itself, so `.grad` ends up
exactly as after a plain backward. It records one step per node that receives
a gradient: the node, the ops through which its gradient arrived, each op's
local derivative (the first paragraph of the op's docstring) and the gradient
itself. The trace then draws one frame per step with that node highlighted
(`frames`, `save_frames`) or writes a single self-contained HTML page that
steps through them (`to_html`).
"""
from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograd.draw import Drawing, draw_graph, fmt_array, param_names, tensor_labels
from autograd.engine import toposort
from autograd.engine import backward as _engine_backward
from autograd.function import Function
from autograd.tensor import Tensor

__all__ = ["trace_backward", "BackwardTrace", "BackwardStep"]


def local_derivative(op: Function) -> str:
    """The op's derivative rule: the first paragraph of its class docstring, on one line."""
    doc = (type(op).__doc__ or "").strip()
    first = doc.split("\n\n")[0]
    return " ".join(first.split()) or f"{op.name}: no derivative documented"


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


@dataclass
class BackwardStep:
    """One node's gradient, complete: `grad` = d(root)/d(node) · upstream, for this pass.

    `contributions` lists (op, input position, gradient) for each use of the
    node that sent a gradient back; the root's step has none (it is seeded).
    """
    index: int
    node: Tensor
    label: str
    grad: np.ndarray
    contributions: list[tuple[Function, int, np.ndarray]] = field(default_factory=list)
    via: str = ""          # e.g. "mul → t3 (as a)"; "seed" for the root
    derivative: str = ""   # the local derivative text(s) used

    @property
    def ops(self) -> list[Function]:
        """The ops whose backward produced this gradient (no repeats, in order)."""
        out: list[Function] = []
        for op, _, _ in self.contributions:
            if not any(op is o for o in out):
                out.append(op)
        return out

    @property
    def op(self) -> Function | None:
        """The (first) op whose backward produced this gradient; None for the root."""
        return self.contributions[0][0] if self.contributions else None

    def caption(self, total: int) -> str:
        """`step k/N: grad of <node> via <op>: <derivative>` (k counts from 1)."""
        return f"step {self.index + 1}/{total}: grad of {self.label} via {self.via}: {self.derivative}"


class BackwardTrace:
    """The recorded backward pass: `.steps`, and frames / HTML to step through it."""

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

    def to_html(self, path: str | os.PathLike, title: str | None = None, **draw_kwargs: Any) -> str:
        """Write ONE self-contained HTML page (inline SVG frames, previous/next buttons,
        ← / → keys) that steps through the backward pass; return the path."""
        path = os.fspath(path)
        n = len(self.steps)
        title = title or f"backward pass of {self.steps[0].label if self.steps else '?'}: {n} steps"
        figures = []
        for k, (drawing, cap) in enumerate(zip(self.frames(**draw_kwargs), self.captions())):
            svg = drawing.svg()
            svg = svg[svg.find("<svg"):]   # drop the XML prolog and DOCTYPE
            svg = svg.replace(' id="', f' id="f{k}_')   # element ids unique across frames
            hidden = "" if k == 0 else " hidden"
            figures.append(f'<figure class="frame" id="frame-{k}"{hidden}>'
                           f"<figcaption>{html.escape(cap)}</figcaption>\n{svg}</figure>")
        page = _HTML.format(title=html.escape(title), n=n, frames="\n".join(figures))
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(page)
        return path


_HTML = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 1em; }}
#controls {{ position: sticky; top: 0; background: white; padding: .5em 0; }}
button {{ font-size: 1em; padding: .3em .8em; }}
figcaption {{ font-family: monospace; margin: .5em 0; white-space: pre-wrap; }}
figure {{ margin: 0; }}
figure svg {{ max-width: 100%; height: auto; }}
</style>
</head>
<body>
<h1>{title}</h1>
<div id="controls">
<button id="prev" type="button">&#9664; previous</button>
<span id="position">1 / {n}</span>
<button id="next" type="button">next &#9654;</button>
<small>(keys: &larr; &rarr;, Home, End)</small>
</div>
{frames}
<script>
(function () {{
  var frames = document.querySelectorAll("figure.frame");
  var k = 0;
  function show(i) {{
    if (!frames.length) return;
    k = Math.max(0, Math.min(frames.length - 1, i));
    for (var j = 0; j < frames.length; j++) frames[j].hidden = (j !== k);
    document.getElementById("position").textContent = (k + 1) + " / " + frames.length;
  }}
  document.getElementById("prev").onclick = function () {{ show(k - 1); }};
  document.getElementById("next").onclick = function () {{ show(k + 1); }};
  document.addEventListener("keydown", function (e) {{
    if (e.key === "ArrowLeft") show(k - 1);
    else if (e.key === "ArrowRight") show(k + 1);
    else if (e.key === "Home") show(0);
    else if (e.key === "End") show(frames.length - 1);
  }});
  show(0);
}})();
</script>
</body>
</html>
"""


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
    steps: list[BackwardStep] = []
    sources: dict[int, list[tuple[Function, int, np.ndarray]]] = {}

    def on_grad(node: Tensor, g: np.ndarray) -> None:
        steps.append(_step(len(steps), node, labels, np.array(g), sources.pop(id(node), []),
                           out_of, seeded=grad is not None))

    def on_contribution(parent: Tensor, op: Function, pos: int, pg: np.ndarray) -> None:
        sources.setdefault(id(parent), []).append((op, pos, np.array(pg)))

    # The engine's own pass, observed: `.grad` is exactly what backward gives.
    _engine_backward(root, grad, on_grad=on_grad, on_contribution=on_contribution)
    return BackwardTrace(root, steps, params)


def _step(index: int, node: Tensor, labels: dict[int, str], grad: np.ndarray,
          contributions: list[tuple[Function, int, np.ndarray]], out_of: dict[int, Tensor],
          seeded: bool) -> BackwardStep:
    label = labels.get(id(node), "?")
    if not contributions:   # the root
        via = "seed"
        derivative = (f"d{label}/d{label} · given grad" if seeded else f"d{label}/d{label} = 1")
        return BackwardStep(index, node, label, grad, [], via, derivative)
    vias, rules = [], []
    for op, pos, _ in contributions:
        out = out_of.get(id(op))
        arg = _arg_name(op, pos)
        vias.append(f"{op.name} → {labels.get(id(out), '?')}" + (f" (as {arg})" if arg else ""))
        rule = local_derivative(op)
        if rule not in rules:
            rules.append(rule)
    return BackwardStep(index, node, label, grad, contributions, " + ".join(vias), " | ".join(rules))
