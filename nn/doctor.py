"""The gradient doctor: how a hand-written gradient differs from the exact one, in plain words.

`diagnose(exact, got)` compares one parameter's hand-written gradient `got`
with the exact gradient and names the mistake: a constant factor (m or 1/m:
sum vs mean over the batch; −1: the descent direction; 2 or ½: the ½ of
½(y−ŷ)²), a transposed matrix, a wrong shape, one gradient per sample, an
all-zero (missing) gradient, NaN/inf, errors confined to some units (rows or
columns), a caller-supplied hypothesis such as σ′(a) used where σ′(z) was
meant, or else "no simple relation" with the worst entry. Pure NumPy: the
exact gradient comes from the caller (`nn.backprop_check`).

The error measure is CS231n's relative error |a − b| / max(|a|, |b|), taken
element by element (an entry that is zero on both sides passes); `floor`
adds an absolute noise floor to the denominator so that round-off around an
exact zero (1e-17 against 0) is not called a mistake.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any, Sequence

import numpy as np

# Recognisable constant factors: sign × m^i × 2^j, each with its plain-words cause.
_SIGN_TEXT = ("−gradient, the descent direction (y − ŷ instead of ŷ − y): fine if you add it "
              "(W += lr·dW), wrong if you subtract it (W -= lr·dW)")
_M_TEXT = {1: "×m (m = {m}, the batch size): the gradient of the sum over the batch of m rows, not of "
              "the mean — divide by m",
           -1: "×1/m (m = {m}, the batch size): the gradient of the mean over the batch, but the loss "
               "is a sum over the m rows — do not divide by m"}
_TWO_TEXT = {1: "×2: the loss has the ½ of ½(y − ŷ)² (derivative ŷ − y), but your gradient has the 2 "
                "of (y − ŷ)²",
             -1: "×½: the loss is (y − ŷ)² without a ½ (derivative 2(ŷ − y)), but you used ŷ − y, the "
                 "derivative of ½(y − ŷ)²"}


@dataclass(frozen=True)
class Diagnosis:
    """One parameter's verdict: `ok`, a short `kind` for programs and `text` for people.

    `kind` is one of: match, factor, transposed, shape, per_sample, missing,
    not_finite, hypothesis, localised, unrelated, not_array. `max_abs_error`
    and `rel_error` compare the values (None when the shapes make that
    impossible); `factor` is the constant c with got = c·exact when found.
    """
    ok: bool
    kind: str
    text: str
    max_abs_error: float | None = None
    rel_error: float | None = None
    factor: float | None = None


def relative_error(exact: np.ndarray, got: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """CS231n's element-wise |a − b| / max(|a|, |b|, floor); 0 where both are zero."""
    diff = np.abs(got - exact)
    denom = np.maximum(np.maximum(np.abs(exact), np.abs(got)), floor)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(denom > 0, diff / np.where(denom > 0, denom, 1.0), np.where(diff > 0, np.inf, 0.0))
    return rel


def _close(exact: np.ndarray, got: np.ndarray, rtol: float, floor: float) -> bool:
    return bool(np.all(relative_error(exact, got, floor) <= rtol))


def _errors(exact: np.ndarray, got: np.ndarray, floor: float) -> tuple[float, float]:
    if exact.size == 0:
        return 0.0, 0.0
    return float(np.max(np.abs(got - exact))), float(np.max(relative_error(exact, got, floor)))


def explain_factor(c: float, m: int | None) -> str:
    """Plain words for got = c · exact: the recognisable factors named, anything else reported."""
    names = []
    best = None
    ms = (0, 1, -1) if m is not None and m > 1 else (0,)
    for sign, i, j in product((1, -1), ms, (0, 1, -1)):
        value = sign * float(m or 1) ** i * 2.0 ** j
        if value == 1 or abs(c - value) > 1e-6 * abs(value):
            continue
        parts = [p for p in (_SIGN_TEXT if sign < 0 else None, _M_TEXT[i].format(m=m) if i else None,
                             _TWO_TEXT[j] if j else None) if p]
        if best is None or len(parts) < best:
            best, names = len(parts), []
        if len(parts) == best:
            names.append("; and ".join(parts))
    if names:
        return f"constant factor {_num(c)}: " + ("  — or —  ".join(names))
    hint = " (a learning rate multiplied in?)" if 0 < c < 1 else ""
    m_text = f"m = {m}, " if m is not None and m > 1 else ""
    return (f"constant factor c = {_num(c)}{hint}: not −1, 2, ½ or the batch size ({m_text}m, 1/m) — "
            "look for a scale applied to the whole gradient")


def _num(x: float) -> str:
    return f"{x:.6g}"


def _entry(index: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, index)) + "]"


def _factor_of(exact: np.ndarray, got: np.ndarray, rtol: float, floor: float) -> float | None:
    """c with got = c·exact (least squares, then checked entry by entry), or None."""
    ee = float(np.sum(exact * exact))
    if ee == 0:
        return None
    c = float(np.sum(exact * got)) / ee
    return c if c != 0 and _close(c * exact, got, rtol, floor) else None


def _value_relation(exact: np.ndarray, got: np.ndarray, m: int | None, rtol: float, floor: float
                    ) -> tuple[str, str, float | None] | None:
    """match / missing / factor between equal-shaped arrays, or None when none holds."""
    if _close(exact, got, rtol, floor):
        return "match", "", None
    if not np.any(got) and np.any(exact):
        return "missing", ("missing: all zeros — the gradient was never computed or never written back "
                           "(e.g. initialised with np.zeros_like and not updated)"), None
    c = _factor_of(exact, got, rtol, floor)
    if c is not None:
        return "factor", explain_factor(c, m), c
    return None


def _localised(exact: np.ndarray, got: np.ndarray, rtol: float, floor: float,
               unit_axis: int | None) -> str | None:
    """Errors confined to a few rows or columns (units), in words; else None."""
    bad = relative_error(exact, got, floor) > rtol
    if exact.ndim == 0 or not bad.any():
        return None
    axes = [unit_axis] if unit_axis is not None else []
    axes += [a for a in range(exact.ndim) if a not in axes and exact.shape[a] > 1]
    for axis in axes:
        others = tuple(a for a in range(exact.ndim) if a != axis)
        hit = np.flatnonzero(bad.any(axis=others) if others else bad)
        n = exact.shape[axis]
        if not 0 < len(hit) <= max(1, n // 2) or len(hit) == n:
            continue
        which = ", ".join(map(str, hit[:8])) + (" …" if len(hit) > 8 else "")
        one = len(hit) == 1
        if axis == unit_axis or sum(s > 1 for s in exact.shape) == 1:
            where = "" if exact.ndim == 1 else f" (index {which} along axis {axis})"
            return (f"localised: only unit{'' if one else 's'} {which} of {n} {'is' if one else 'are'} "
                    f"wrong{where} — look at what is specific to {'that unit' if one else 'those units'}, "
                    "e.g. its activation derivative or an index in a loop")
        line = ("row" if axis == 0 else "column" if axis == 1 else f"slice along axis {axis}") + ("" if one else "s")
        return (f"localised: only {line} {which} of {n} {'is' if one else 'are'} wrong — look at what is "
                "specific to them, e.g. one unit's activation derivative or an index in a loop")
    return None


def _worst(exact: np.ndarray, got: np.ndarray, floor: float) -> str:
    rel = relative_error(exact, got, floor)
    i = np.unravel_index(int(np.argmax(rel)), rel.shape) if rel.ndim else ()
    return (f"no simple relation: worst entry {_entry(tuple(int(k) for k in i))}: yours {_num(float(got[i]))}, "
            f"exact {_num(float(exact[i]))}")


def _not_finite(got: np.ndarray) -> str | None:
    finite = np.isfinite(got)
    if finite.all():
        return None
    n_nan, n_inf = int(np.isnan(got).sum()), int(np.isinf(got).sum())
    first = np.unravel_index(int(np.argmin(finite.ravel())), got.shape) if got.ndim else ()
    parts = [f"{n_nan} NaN" if n_nan else "", f"{n_inf} inf" if n_inf else ""]
    return (f"not finite: {' and '.join(p for p in parts if p)} of {got.size} entries (first at "
            f"{_entry(tuple(int(k) for k in first))}) — look for log(0), a division by zero or exp overflow")


def _shape_mismatch(exact: np.ndarray, got: np.ndarray, m: int | None, rtol: float, floor: float
                    ) -> Diagnosis:
    """got has another shape: values right but reshaped, transposed, per sample, or just wrong."""
    shape = f"shape {got.shape} instead of {exact.shape}"
    if got.size == exact.size and _close(exact, got.reshape(exact.shape), rtol, floor):
        d = _errors(exact, got.reshape(exact.shape), floor)
        try:
            fits = np.broadcast_shapes(exact.shape, got.shape) == exact.shape
        except ValueError:
            fits = False
        if fits:
            return Diagnosis(True, "match", f"values match ({shape}, which broadcasts in p -= lr·g)", *d)
        return Diagnosis(False, "shape", f"wrong shape: {shape} (the values are right — reshape it; "
                                         "p -= lr·g would fail or broadcast)")
    if exact.ndim == 2 and got.shape == exact.T.shape:
        rel = _value_relation(exact, got.T, m, rtol, floor)
        if rel is not None and rel[0] in ("match", "factor"):
            extra = "" if rel[0] == "match" else f", and {rel[1]}"
            return Diagnosis(False, "transposed", f"transposed: {shape}; its transpose is the gradient"
                             f"{extra} — swap the operands of the product (e.g. dZ @ A.T vs A.T @ dZ)",
                             factor=rel[2])
    per_sample = _per_sample(exact, got, m, rtol, floor)
    if per_sample is not None:
        return per_sample
    return Diagnosis(False, "shape", f"wrong shape: {shape}")


def _per_sample(exact: np.ndarray, got: np.ndarray, m: int | None, rtol: float, floor: float
                ) -> Diagnosis | None:
    """One gradient per sample: summing (or averaging) over a batch axis of size m gives the gradient."""
    for axis in range(got.ndim):
        if m is None or got.shape[axis] != m or m == 1:
            continue
        for how, reduce in (("sum", np.sum), ("mean", np.mean)):
            r = reduce(got, axis=axis)
            if r.size == exact.size and _close(exact, r.reshape(exact.shape), rtol, floor):
                return Diagnosis(False, "per_sample",
                                 f"one gradient per sample: shape {got.shape} instead of {exact.shape}; the "
                                 f"{how} over axis {axis} (the batch of m = {m}) is the gradient — use "
                                 f"np.{how}(..., axis={axis})")
    return None


def diagnose(exact: np.ndarray, got: Any, *, m: int | None = None, rtol: float = 1e-6, floor: float = 0.0,
             unit_axis: int | None = None, hypotheses: Sequence[tuple[str, np.ndarray]] = ()) -> Diagnosis:
    """Compare a hand-written gradient `got` with the `exact` one and say how they differ.

    `m` is the batch size (to name factors m and 1/m and find per-sample
    gradients), `rtol` the largest relative error that passes, `floor` the
    absolute noise floor of the relative error, `unit_axis` the axis of
    `exact` that indexes the layer's units, and `hypotheses` pairs of
    (explanation, the gradient that mistake would give), tried in order
    after the simple relations.
    """
    exact = np.asarray(exact, dtype=np.float64)
    try:
        g = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Diagnosis(False, "not_array", f"not an array of numbers: got {type(got).__name__}")
    bad = _not_finite(g)
    if bad:
        return Diagnosis(False, "not_finite", bad)
    if g.shape != exact.shape:
        return _shape_mismatch(exact, g, m, rtol, floor)
    errs = _errors(exact, g, floor)
    rel = _value_relation(exact, g, m, rtol, floor)
    if rel is not None:
        return Diagnosis(rel[0] == "match", rel[0], rel[1], *errs, rel[2])
    if exact.ndim == 2 and exact.shape[0] == exact.shape[1] > 1:
        t = _value_relation(exact, g.T, m, rtol, floor)
        if t is not None and t[0] in ("match", "factor"):
            extra = "" if t[0] == "match" else f", and {t[1]}"
            return Diagnosis(False, "transposed", "transposed: equals the transpose of the gradient (a square "
                             f"matrix, so the shape could not tell){extra}", *errs, t[2])
    if not np.any(exact):
        return Diagnosis(False, "unrelated", "the exact gradient is all zeros here (the loss does not depend on "
                         "this parameter at these values, e.g. dead ReLU units or an unused parameter), yours is "
                         "not: " + _worst(exact, g, floor).split(": ", 1)[1], *errs)
    for text, alt in hypotheses:
        if alt.shape == exact.shape and _close(alt, g, rtol, floor):
            return Diagnosis(False, "hypothesis", text, *errs)
    local = _localised(exact, g, rtol, floor, unit_axis)
    if local:
        return Diagnosis(False, "localised", local, *errs)
    return Diagnosis(False, "unrelated", _worst(exact, g, floor), *errs)
