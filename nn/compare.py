"""Autograd vs hand-derived backprop vs finite differences, side by side.

`compare_gradients` computes every parameter's gradient three ways — the
autograd engine, `nn.manual.ManualMLP` (numpy formulas, never a Tensor) and
central differences — plus each layer's δ (autograd's gradient of the
pre-activation z, rescaled to the seeds' per-sample convention δ = m·∂L/∂z),
and reports the largest disagreements. `compare_training` trains an autograd
copy and a manual copy from the same weights and reports how far they drift.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np

from autograd import Tensor, no_grad, numerical_grad
from nn import registry
from nn.backprop_check import BackpropReport, check_backprop  # noqa: F401  (re-exported: nn.compare's other half)
from nn.losses import cross_entropy_of_probabilities, functional_form
from nn.manual import ManualMLP
from nn.output_loss import output_activation, reads_probabilities
from nn.module import Module


def autograd_loss(name: str, model: Module) -> Callable[[Tensor, Any], Tensor]:
    """The autograd loss for `name` on this model's output: after a softmax layer, cross-entropy
    reads probabilities (nn.output_loss), exactly as nn.manual does."""
    if reads_probabilities(name, output_activation(model) or ""):
        return cross_entropy_of_probabilities
    return functional_form(name)


def loss_name(loss: str | Module) -> str:
    """The manual-backprop name of a loss given as a name or an nn loss module."""
    if isinstance(loss, str):
        name = registry.loss_name(loss)
    else:
        if getattr(loss, "reduction", "mean") != "mean":
            raise ValueError(f"compare: only reduction='mean' losses are compared, got "
                             f"{type(loss).__name__}(reduction={loss.reduction!r}); use loss='half_sse' for ½Σ(y−a)²")
        name = registry.loss_of_module(loss)
    if name not in registry.MANUAL_LOSSES:
        modules = "/".join(registry.LOSSES[n].module for n in registry.MANUAL_LOSSES if registry.LOSSES[n].module)
        raise ValueError(f"compare: unsupported loss {loss!r}; expected one of {sorted(registry.MANUAL_LOSSES)} "
                         f"or {modules}")
    return name


@dataclass
class Row:
    """One compared quantity: a parameter gradient or a layer's δ."""
    name: str
    kind: str                       # "param" or "delta"
    shape: tuple[int, ...]
    max_abs_manual: float           # max |autograd − manual|
    rel_manual: float               # that, relative to max |manual|
    max_abs_numerical: float | None  # max |autograd − numerical| (None when not computed)
    rel_numerical: float | None
    ok: bool


@dataclass
class GradientReport:
    """Rows for every parameter and every δ; `ok` when all agree within tolerance."""
    rows: list[Row]
    loss: str
    loss_value_autograd: float
    loss_value_manual: float
    batch_size: int
    rtol_manual: float
    tol_numerical: float
    autograd_grads: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    manual_grads: dict[str, np.ndarray] = field(repr=False, default_factory=dict)
    numerical_grads: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows) and np.isclose(
            self.loss_value_autograd, self.loss_value_manual, rtol=self.rtol_manual, atol=0)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": bool(self.ok), "loss": self.loss, "loss_value_autograd": self.loss_value_autograd,
                "loss_value_manual": self.loss_value_manual, "batch_size": self.batch_size,
                "rows": [{**asdict(r), "shape": list(r.shape)} for r in self.rows]}

    _HEAD = ("quantity", "shape", "|ag−manual|", "rel", "|ag−numeric|", "rel", "ok")

    def _cells(self) -> list[tuple[str, ...]]:
        """One row of text cells per compared quantity (the table body of str and HTML)."""
        def num(x: float | None) -> str:
            return "—" if x is None else f"{x:.2e}"
        return [(r.name, "×".join(map(str, r.shape)), num(r.max_abs_manual), num(r.rel_manual),
                 num(r.max_abs_numerical), num(r.rel_numerical), "✓" if r.ok else "✗") for r in self.rows]

    def _heading(self) -> str:
        return (f"loss {self.loss}: autograd {self.loss_value_autograd:.12g}, manual {self.loss_value_manual:.12g} "
                f"(batch of {self.batch_size}; δ = m·∂L/∂z)")

    def _verdict(self) -> str:
        return (f"{'PASS' if self.ok else 'FAIL'}: autograd matches manual backprop to rtol {self.rtol_manual:g}"
                + (f" and central differences to {self.tol_numerical:g}"
                   if any(r.max_abs_numerical is not None for r in self.rows) else ""))

    def _repr_html_(self) -> str:
        """Jupyter: the comparison as an HTML table with ✓/✗ per quantity."""
        from nn.display import FAIL_MARK, PASS_MARK, esc, html_table
        rows = [(*cells[:-1], PASS_MARK if r.ok else FAIL_MARK) for cells, r in zip(self._cells(), self.rows)]
        verdict = f"{PASS_MARK if self.ok else FAIL_MARK} {esc(self._verdict())}"
        return html_table(self._HEAD, rows, caption=self._heading(), right=(2, 3, 4, 5), raw=(6,), footer=verdict)

    def __str__(self) -> str:
        head, body = self._HEAD, self._cells()
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        fmt = lambda row: "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths)))
        rule = "  ".join("-" * w for w in widths)
        lines = [self._heading(), fmt(head), rule, *map(fmt, body), rule, self._verdict()]
        return "\n".join(lines)


def _inputs(model: Module, X: Any, y: Any, loss: str | Module) -> tuple[str, np.ndarray, np.ndarray, ManualMLP]:
    """The loss's manual-backprop name, X in the model's dtype, y as an array, and a manual copy of the model."""
    name = loss_name(loss)
    X = np.asarray(X.data if isinstance(X, Tensor) else X, dtype=model.dtype)
    y = y.data if isinstance(y, Tensor) else np.asarray(y)
    return name, X, y, ManualMLP.from_module(model, name)


def _close(got: np.ndarray, ref: np.ndarray, rtol: float, floor: float) -> tuple[float, bool]:
    """max|got − ref|, and whether it is at most rtol · max(max|ref|, floor)."""
    d = float(np.max(np.abs(got - ref))) if got.size else 0.0
    return d, d <= rtol * max(float(np.max(np.abs(ref), initial=0.0)), floor)


def _rel(diff: float, ref: np.ndarray) -> float:
    scale = float(np.max(np.abs(ref))) if ref.size else 0.0
    return diff / scale if scale > 0 else diff


def _autograd_pass(model: Module, X: np.ndarray, y: Any, name: str
                   ) -> tuple[float, dict[str, np.ndarray], list[np.ndarray]]:
    """Loss, parameter gradients and ∂L/∂z per layer, leaving the model's .grad untouched."""
    params = dict(model.named_parameters())
    saved = {k: p.grad for k, p in params.items()}
    try:
        model.zero_grad()
        zs, a = model.forward_with_preactivations(X)
        loss = autograd_loss(name, model)(a, y)
        loss.backward()
        grads = {k: (np.zeros_like(p.data) if p.grad is None else p.grad.copy()) for k, p in params.items()}
        dz = [z.grad.copy() for z in zs]
        return float(loss.item()), grads, dz
    finally:
        for k, p in params.items():
            p.grad = saved[k]


def _numerical(model: Module, X: np.ndarray, y: Any, name: str, eps: float) -> dict[str, np.ndarray]:
    params = dict(model.named_parameters())

    def objective(*_: Tensor) -> Tensor:
        return autograd_loss(name, model)(model(X), y)

    with no_grad():
        grads = numerical_grad(objective, *params.values(), eps=eps)
    return dict(zip(params, grads))


def compare_gradients(model: Module, X: Any, y: Any, loss: str | Module, numerical: bool = True,
                      eps: float = 1e-6, rtol: float | None = None, tol_numerical: float = 1e-5
                      ) -> GradientReport:
    """Compare autograd, manual and (optionally) numerical gradients of `loss` for an `nn.MLP`.

    A parameter passes when max|autograd − manual| ≤ rtol · max|manual| (plus a
    tiny absolute floor) and, when computed, max|autograd − numerical| ≤
    tol_numerical · max(1, max|numerical|). δ rows compare m·∂L/∂z from
    autograd with the manual δ (for half_sse, a sum, δ = ∂L/∂z). `rtol`
    defaults to 1e-8 in float64 and 1e-4 in float32.
    """
    name, X, y_arr, manual = _inputs(model, X, y, loss)
    mg = manual.backward(X, y_arr)
    ag_loss, ag_grads, dz = _autograd_pass(model, X, y_arr, name)
    num_grads = _numerical(model, X, y_arr, name, eps) if numerical else {}
    m = X.shape[0]
    scale = 1.0 if name == "half_sse" else float(m)
    if rtol is None:
        rtol = 1e-8 if model.dtype == np.float64 else 1e-4
    floor = float(np.finfo(model.dtype).tiny)  # all-zero gradients must then agree exactly
    rows = []
    for key, g in ag_grads.items():
        d, ok = _close(g, mg.grads[key], rtol, floor)
        r = _rel(d, mg.grads[key])
        dn = rn = None
        if key in num_grads:
            dn = float(np.max(np.abs(g - num_grads[key])))
            rn = _rel(dn, num_grads[key])
            ok = ok and dn <= tol_numerical * max(1.0, float(np.max(np.abs(num_grads[key]), initial=0.0)))
        rows.append(Row(key, "param", tuple(g.shape), d, r, dn, rn, bool(ok)))
    for l, (gz, delta) in enumerate(zip(dz, mg.deltas)):
        d, ok = _close(gz * scale, delta, rtol, floor)
        rows.append(Row(f"δ layers.{l} (m·∂L/∂z)" if scale != 1 else f"δ layers.{l} (∂L/∂z)", "delta",
                        tuple(gz.shape), d, _rel(d, delta), None, None, bool(ok)))
    return GradientReport(rows, name, ag_loss, mg.loss, m, rtol, tol_numerical,
                          ag_grads, dict(mg.grads), num_grads)


@dataclass
class TrainingComparison:
    """Loss curves of the autograd and manual copies and their largest divergence."""
    autograd_losses: list[float]
    manual_losses: list[float]
    max_loss_diff: float
    max_weight_diff: float
    final_weight_diff: float

    @property
    def ok(self) -> bool:
        return self.max_loss_diff <= 1e-9 and self.max_weight_diff <= 1e-9

    def __str__(self) -> str:
        return (f"{len(self.autograd_losses)} SGD steps: loss {self.autograd_losses[0]:.6g} → "
                f"{self.autograd_losses[-1]:.6g}; max |loss diff| {self.max_loss_diff:.2e}, "
                f"max |weight diff| {self.max_weight_diff:.2e} ({'PASS' if self.ok else 'FAIL'})")


def compare_training(model: Module, X: Any, y: Any, loss: str | Module, lr: float, epochs: int
                     ) -> TrainingComparison:
    """Train an autograd copy and a manual copy of `model` with full-batch SGD from the same weights.

    The model itself is not modified.
    """
    from nn.optim import SGD
    name, X, y_arr, manual = _inputs(model, X, y, loss)
    saved = model.state_dict()
    opt = SGD(model.parameters(), lr=lr)
    ag_losses, man_losses, max_w = [], [], 0.0
    try:
        for _ in range(epochs):
            opt.zero_grad()
            out = autograd_loss(name, model)(model(X), y_arr)
            out.backward()
            opt.step()
            ag_losses.append(float(out.item()))
            man_losses.append(manual.train_step(X, y_arr, lr))
            ms = manual.state_dict()
            max_w = max(max_w, max(float(np.max(np.abs(p.data - ms[k]))) for k, p in model.named_parameters()))
        final_w = max(float(np.max(np.abs(p.data - manual.state_dict()[k]))) for k, p in model.named_parameters())
    finally:
        model.load_state_dict(saved)
        model.zero_grad()
    max_l = float(np.max(np.abs(np.array(ag_losses) - np.array(man_losses)))) if ag_losses else 0.0
    return TrainingComparison(ag_losses, man_losses, max_l, max_w, final_w)
