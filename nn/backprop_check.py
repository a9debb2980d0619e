"""Check your own backprop: a learner's NumPy gradients against exact ones, with a diagnosis.

`check_backprop(loss_fn, grads_fn, params, *args)` runs the learner's
unchanged NumPy forward pass `loss_fn(params, *args)` once with Tensors in
place of the parameter arrays (NumPy dispatch records the graph), takes the
exact gradients with `autograd.gradients`, and compares them with the
hand-written `grads_fn(params, *args)` one parameter at a time; every wrong
one gets a diagnosis from `nn.doctor`. With `numerical=True` the exact
gradients are themselves checked against central differences of the plain
NumPy `loss_fn` — so a forward pass that autograd could not follow is caught,
not trusted (the rows concerned are then judged against the differences).
"""
from __future__ import annotations

import os
import traceback
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

import numpy as np

from autograd import Tensor, gradients, toposort
from nn.doctor import Diagnosis, diagnose, relative_error
from nn.mistakes import derivative_mistakes
from nn.traced_layers import batch_size_from_layers, find_layers

NOISE_FLOOR = 1e-10        # relative-error floor, × the largest exact gradient entry (float64 round-off)
LOW_PRECISION_RTOL = 1e-4  # float32 (or smaller) gradients cannot agree to 1e-6
LOW_PRECISION_FLOOR = 1e-5
NUMERICAL_RTOL = 1e-4      # autograd vs central differences (their error is ~1e-10 · |L| / ε)
NUMERICAL_FLOOR = 1e-3
MAX_NUMERICAL_ENTRIES = 1000   # per parameter; larger ones are sampled at evenly spaced entries


@dataclass
class BackpropRow:
    """One parameter: its exact gradient's shape, the errors, the verdict and the diagnosis."""
    name: str
    key: str | None                 # the key grads_fn used ("dW1"), None when it gave none
    shape: tuple[int, ...]
    max_abs_error: float | None     # max |yours − exact|
    rel_error: float | None         # max CS231n |a − b| / max(|a|, |b|)
    verdict: str                    # "match" or "wrong"
    kind: str                       # the diagnosis kind (see nn.doctor.Diagnosis)
    diagnosis: str
    factor: float | None = None
    numerical_rel_error: float | None = None   # autograd vs central differences (None: not checked)
    reference: str = "autograd"     # or "central differences" when autograd could not follow

    @property
    def ok(self) -> bool:
        return self.verdict == "match"


@dataclass
class BackpropReport:
    """All rows, the backward order, and where the mistake starts (`first_wrong`)."""
    rows: list[BackpropRow]
    backward_order: list[str]
    batch_size: int | None
    rtol: float
    loss: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def first_wrong(self) -> str | None:
        """The wrong parameter closest to the output: the backward pass reaches it first."""
        wrong = {r.name for r in self.rows if not r.ok}
        return next((n for n in self.backward_order if n in wrong), None)

    def row(self, name: str) -> BackpropRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"BackpropReport: no parameter {name!r}; parameters are {[r.name for r in self.rows]}")

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "first_wrong": self.first_wrong, "batch_size": self.batch_size,
                "rtol": self.rtol, "loss": self.loss, "backward_order": self.backward_order,
                "notes": self.notes, "rows": [{**asdict(r), "shape": list(r.shape), "ok": r.ok} for r in self.rows]}

    def _cells(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        head = ("parameter", "shape", "max |Δ|", "rel. error", "verdict")
        body = [(r.name if r.key in (None, r.name) else f"{r.name} ({r.key})", str(r.shape), _sci(r.max_abs_error),
                 _sci(r.rel_error), "✓ match" if r.ok else "✗ wrong") for r in self.rows]
        return head, body

    def _summary(self) -> tuple[list[str], str]:
        m = f"batch of m = {self.batch_size}" if self.batch_size else "batch size unknown"
        n_wrong = sum(not r.ok for r in self.rows)
        lines = [f"check_backprop: loss {self.loss:.6g}, {m}, rtol {self.rtol:g}"]
        if not n_wrong:
            return lines, f"all {len(self.rows)} gradients match"
        # A mistake propagates backwards only through the δ it corrupts: say so only when more is wrong.
        advice = "earlier layers inherit its error, so fix it first" if n_wrong > 1 else "fix it"
        return lines, (f"{n_wrong} of {len(self.rows)} gradients wrong; first wrong (closest to the output): "
                       f"{self.first_wrong} — {advice}")

    def __str__(self) -> str:
        head, body = self._cells()
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        fmt = lambda row: "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
        top, verdict = self._summary()
        lines = [*top, fmt(head), "  ".join("-" * w for w in widths), *map(fmt, body)]
        groups: dict[str, list[str]] = {}   # one line per diagnosis, naming every row it explains
        for r in self.rows:
            if not r.ok:
                groups.setdefault(r.diagnosis, []).append(r.name)
        lines += [f"✗ {', '.join(names)}: {text}" for text, names in groups.items()]
        lines += [f"note: {r.name}: {r.diagnosis}" for r in self.rows if r.ok and r.diagnosis]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join([*lines, verdict])

    def _repr_html_(self) -> str:
        """Jupyter: the rows as an HTML table with ✓/✗ and each diagnosis."""
        from nn.display import FAIL_MARK, PASS_MARK, esc, html_table
        head, body = self._cells()
        rows = [(*cells[:-1], PASS_MARK if r.ok else FAIL_MARK, r.diagnosis) for cells, r in zip(body, self.rows)]
        top, verdict = self._summary()
        notes = "".join(f"<br>note: {esc(n)}" for n in self.notes)
        footer = f"{PASS_MARK if self.ok else FAIL_MARK} {esc(verdict)}{notes}"
        return html_table((*head, "diagnosis"), rows, caption=top[0], right=(2, 3), raw=(4,), footer=footer)


def _sci(x: float | None) -> str:
    return "—" if x is None else f"{x:.2e}"


# -- inputs ------------------------------------------------------------------------------------
def _as_params(params: Any) -> dict[str, np.ndarray]:
    if not isinstance(params, Mapping) or not params:
        raise TypeError(f"check_backprop: params must be a non-empty dict name -> ndarray, got "
                        f"{type(params).__name__ if not isinstance(params, Mapping) else 'an empty dict'}")
    out = {}
    for name, value in params.items():
        arr = np.asarray(value)
        if not isinstance(name, str) or arr.dtype.kind not in "biuf":
            raise TypeError(f"check_backprop: params[{name!r}] must be an array of real numbers under a string "
                            f"name, got {type(value).__name__} of dtype {arr.dtype}")
        out[name] = arr
    return out


def _copy(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) else x


def _copies(arrays: Mapping[str, np.ndarray], dtype: Any = None) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=dtype or (v.dtype if v.dtype.kind == "f" else np.float64)) for k, v in arrays.items()}


def _scalar(value: Any, where: str) -> float:
    if isinstance(value, Tensor):
        value = value.data
    arr = np.asarray(value)
    if arr.size != 1 or arr.dtype.kind not in "biuf":
        raise ValueError(f"check_backprop: {where} must return a scalar loss, got "
                         f"{type(value).__name__} of shape {arr.shape}; reduce it with np.mean or np.sum")
    x = float(arr.reshape(()))
    if not np.isfinite(x):
        raise ValueError(f"check_backprop: {where} returned {x} at the given params; expected a finite loss")
    return x


def match_keys(got: Any, names: list[str]) -> dict[str, tuple[str, Any]]:
    """The user's gradients keyed by parameter name: keys are names or 'd' + name, nothing else."""
    if not isinstance(got, Mapping):
        raise TypeError(f"check_backprop: grads_fn must return a dict of gradients keyed by parameter name "
                        f"(or 'd' + name), got {type(got).__name__}")
    wanted = {f"d{n}": n for n in names} | {n: n for n in names}
    unknown = [k for k in got if k not in wanted]
    expected = ", ".join(f"{n!r}/{'d' + n!r}" for n in names)
    if unknown:
        raise ValueError(f"check_backprop: grads_fn returned unknown key{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, unknown))}; expected one per parameter, named like it or with "
                         f"a 'd' prefix: {expected}")
    out: dict[str, tuple[str, Any]] = {}
    for key, value in got.items():
        name = wanted[key]
        if name in out:
            raise ValueError(f"check_backprop: grads_fn returned both {out[name][0]!r} and {key!r} for "
                             f"parameter {name!r}; expected one of them")
        out[name] = (key, value)
    return out


def infer_batch_size(args: tuple, layers: list) -> int | None:
    """m: the one dimension size shared by every array argument (X and y), else the graph's batch axis."""
    shapes = [a.shape for a in args if isinstance(a, np.ndarray) and a.ndim >= 1]
    if shapes:
        common = set(shapes[0]).intersection(*map(set, shapes[1:]))
        if len(common) > 1:
            common.discard(1)
        if len(common) == 1:
            return int(common.pop())
    return batch_size_from_layers(layers)


# -- the three gradients ---------------------------------------------------------------------
@dataclass
class _Traced:
    """The loss run on Tensors: exact gradients, backward order, layers (or why it failed)."""
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    layers: list = field(default_factory=list)
    loss: Tensor | None = None
    names: dict[Tensor, str] = field(default_factory=dict)
    failure: str | None = None


def user_frame(exc: BaseException) -> str:
    """'file.py:12' of the innermost traceback frame outside autograd and nn (the user's code)."""
    ours = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))),)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not any(os.path.abspath(f.filename).startswith(os.path.join(p, d) + os.sep)
                         for p in ours for d in ("autograd", "nn"))]
    if not frames:
        return ""
    f = frames[-1]
    return f"{os.path.basename(f.filename)}:{f.lineno}"


def _trace(loss_fn: Callable, arrays: dict[str, np.ndarray], args: tuple) -> _Traced:
    tensors = {k: Tensor(v, requires_grad=True, dtype=np.float64, name=k) for k, v in arrays.items()}
    try:
        out = loss_fn(dict(tensors), *map(_copy, args))
    except Exception as e:   # the plain NumPy run worked: this is a step autograd cannot follow
        where = user_frame(e)
        return _Traced(failure=f"{type(e).__name__}: {e}" + (f" (at {where})" if where else ""))
    if not isinstance(out, Tensor):
        return _Traced(failure=f"on Tensors the loss came back as {type(out).__name__}, not a Tensor: some step "
                               "left the graph (float(), .item(), math.* or a Python loop over values)")
    if not out.requires_grad or out.size != 1:
        return _Traced(failure="on Tensors the loss does not depend on any parameter as far as autograd can see")
    names = {t: k for k, t in tensors.items()}
    exact = gradients(out.reshape(()) if out.ndim else out, list(tensors.values()))
    order = [names[t] for t in reversed(toposort(out)) if t in names]
    order += [k for k in tensors if k not in order]   # parameters the loss does not use
    return _Traced(dict(zip(tensors, exact)), order, find_layers(out, tensors.values()), out, names)


def _entries(size: int) -> np.ndarray:
    if size <= MAX_NUMERICAL_ENTRIES:
        return np.arange(size)
    return np.unique(np.linspace(0, size - 1, MAX_NUMERICAL_ENTRIES).round().astype(np.int64))


def central_differences(loss_fn: Callable, arrays: dict[str, np.ndarray], args: tuple, eps: float = 1e-6
                        ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(flat entries, (L(θ + ε) − L(θ − ε)) / 2ε there) per parameter, of the plain NumPy loss.

    Not `autograd.numerical_grad`: the point is to run the user's function on
    plain arrays, never on Tensors, and to sample the entries of big weights.
    """
    work = _copies(arrays, np.float64)
    out = {}
    for name, arr in work.items():
        flat, idx = arr.reshape(-1), _entries(arr.size)
        est = np.empty(len(idx))
        for j, i in enumerate(idx):
            keep = flat[i]
            flat[i] = keep + eps
            plus = _scalar(loss_fn(_copies(work), *map(_copy, args)), "loss_fn")
            flat[i] = keep - eps
            minus = _scalar(loss_fn(_copies(work), *map(_copy, args)), "loss_fn")
            flat[i] = keep
            est[j] = (plus - minus) / (2 * eps)
        out[name] = (idx, est)
    return out


# -- judging one parameter ------------------------------------------------------------------
def _tolerance(got: Any, rtol: float, scale: float) -> tuple[float, float]:
    dtype = getattr(np.asarray(got) if not isinstance(got, Tensor) else got.data, "dtype", np.dtype(np.float64))
    if dtype.kind == "f" and dtype.itemsize < 8:
        return max(rtol, LOW_PRECISION_RTOL), LOW_PRECISION_FLOOR * scale
    return rtol, NOISE_FLOOR * scale


def _absent(name: str) -> Diagnosis:
    return Diagnosis(False, "missing", f"missing: grads_fn returned no gradient for {name!r} "
                                       f"(expected key {name!r} or {'d' + name!r})")


def _against_numerical(shape: tuple, got: Any, idx: np.ndarray, est: np.ndarray, m: int | None,
                       floor: float) -> Diagnosis:
    """Judge against central differences (autograd could not follow this parameter)."""
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        g = None
    if g is not None and g.shape == shape and len(idx) < int(np.prod(shape, dtype=np.int64)):
        return diagnose(est, g.reshape(-1)[idx], m=m, rtol=NUMERICAL_RTOL, floor=floor)
    full = np.zeros(shape)
    full.reshape(-1)[idx] = est
    return diagnose(full, got, m=m, rtol=NUMERICAL_RTOL, floor=floor)


def _unit_axes(layers: list, names: dict) -> dict[str, int | None]:
    axes: dict[str, int | None] = {}
    for layer in layers:
        axes[names[layer.weight]] = layer.weight_unit_axis
        if layer.bias is not None and layer.bias.ndim == 2 and layer.z.ndim == 2:
            axes[names[layer.bias]] = 1 - layer.batch_axis if layer.batch_axis is not None else None
    return axes


def check_backprop(loss_fn: Callable[..., Any], grads_fn: Callable[..., Mapping[str, Any]],
                   params: Mapping[str, np.ndarray], *args: Any, numerical: bool = True, rtol: float = 1e-6,
                   batch_size: int | None = None, eps: float = 1e-6) -> BackpropReport:
    """Compare hand-written gradients `grads_fn(params, *args)` with exact ones of `loss_fn(params, *args)`.

    `params` maps names to arrays in the user's own layout; `grads_fn` returns
    a dict keyed by those names or by 'd' + name. Each parameter passes when
    the CS231n relative error |a − b| / max(|a|, |b|) is at most `rtol` in every
    entry (float32 gradients: 1e-4). The report has `.ok`, `.rows`,
    `.first_wrong`, `.to_dict()`, a text table and an HTML table. `batch_size`
    overrides the m inferred from `args`; `eps` is the central-difference step.
    """
    arrays = _as_params(params)
    loss_value = _scalar(loss_fn(_copies(arrays), *map(_copy, args)), "loss_fn")
    got = match_keys(grads_fn(_copies(arrays), *map(_copy, args)), list(arrays))
    traced = _trace(loss_fn, arrays, args)
    if traced.failure and not numerical:
        raise ValueError(f"check_backprop: autograd could not follow loss_fn ({traced.failure}); pass "
                         "numerical=True to compare with central differences of your loss instead")
    numeric = central_differences(loss_fn, arrays, args, eps) if numerical else {}
    m = batch_size or infer_batch_size(args, traced.layers)
    exact_scale = max((float(np.max(np.abs(g), initial=0.0)) for g in traced.grads.values()), default=0.0)
    num_scale = max((float(np.max(np.abs(e), initial=0.0)) for _, e in numeric.values()), default=0.0)
    units = _unit_axes(traced.layers, traced.names)
    rows = [_judge(name, arr.shape, got.get(name, (None, None)), traced, numeric, m, rtol, exact_scale,
                   num_scale, units.get(name)) for name, arr in arrays.items()]
    unexplained = [r.name for r in rows if r.reference == "autograd" and r.kind in ("localised", "unrelated")]
    if unexplained:
        _try_hypotheses(rows, unexplained, traced, got, m, rtol, exact_scale, units)
    return BackpropReport(rows, traced.order or list(arrays), m, rtol, loss_value,
                          _numerical_notes(rows, traced, numeric))


def _judge(name: str, shape: tuple, keyed: tuple[str | None, Any], traced: _Traced, numeric: dict,
           m: int | None, rtol: float, exact_scale: float, num_scale: float, unit_axis: int | None) -> BackpropRow:
    """One parameter's row: against autograd, or against central differences where autograd disagrees."""
    key, value = keyed
    numerical_rel, reference = None, "autograd"
    if name in numeric and not traced.failure:
        idx, est = numeric[name]
        numerical_rel = float(np.max(relative_error(est, traced.grads[name].reshape(-1)[idx],
                                                    NUMERICAL_FLOOR * max(num_scale, 1e-300)), initial=0.0))
    if key is None:
        d = _absent(name)
    elif traced.failure or (numerical_rel is not None and numerical_rel > NUMERICAL_RTOL):
        reference = "central differences"
        d = _against_numerical(shape, value, *numeric[name], m, NUMERICAL_FLOOR * num_scale)
    else:
        r, floor = _tolerance(value, rtol, exact_scale)
        d = diagnose(traced.grads[name], value, m=m, rtol=r, floor=floor, unit_axis=unit_axis)
    return BackpropRow(name, key, tuple(shape), d.max_abs_error, d.rel_error, "match" if d.ok else "wrong",
                       d.kind, d.text, d.factor, numerical_rel, reference)


def _try_hypotheses(rows: list[BackpropRow], names: list[str], traced: _Traced, got: dict, m: int | None,
                    rtol: float, scale: float, units: dict) -> None:
    """Re-diagnose the unexplained rows with the activation-derivative mistakes replayed."""
    hyps = derivative_mistakes(traced.loss, traced.layers, traced.names)
    for row in rows:
        if row.name in names and hyps.get(row.name):
            value = got[row.name][1]
            r, floor = _tolerance(value, rtol, scale)
            d = diagnose(traced.grads[row.name], value, m=m, rtol=r, floor=floor, unit_axis=units.get(row.name),
                         hypotheses=hyps[row.name])
            row.kind, row.diagnosis = d.kind, d.text


def _numerical_notes(rows: list[BackpropRow], traced: _Traced, numeric: dict) -> list[str]:
    if not numeric:
        return ["autograd not checked against central differences (numerical=False)"]
    if traced.failure:
        return [f"autograd could not follow your loss ({traced.failure}); every parameter was judged against "
                "central differences of your loss instead (tolerance 1e-4)"]
    off = [r.name for r in rows if r.reference != "autograd"]
    n = sum(len(i) for i, _ in numeric.values())
    worst = max((r.numerical_rel_error or 0.0) for r in rows)
    if off:
        return [f"autograd disagrees with central differences of your loss for {', '.join(off)} (it could not "
                "follow part of your forward pass); those rows were judged against central differences"]
    return [f"autograd agrees with central differences of your loss (max rel. error {worst:.1e} over {n} entries)"]
