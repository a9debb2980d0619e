"""Evaluation metrics — numpy only: ``accuracy``, ``mse``, ``r2``.

Every metric takes numpy arrays, array-likes, or any object with a ``.data``
ndarray attribute (our ``Tensor``), and returns a Python float. Shapes must
match exactly: ``(n, 1)`` against ``(n,)`` is an error, never a silent
broadcast to ``(n, n)``. The one documented exception is ``accuracy`` with
``(n, k)`` class scores, which takes labels ``(n,)`` or one-hot ``(n, k)``.
Non-finite values (NaN, inf) are refused with a message saying how many.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nn import checks

__all__ = ["accuracy", "mse", "r2"]


def _array(fn: str, name: str, x: Any) -> np.ndarray:
    """``x`` as a non-empty, numeric, finite ndarray with at least one axis (``Tensor`` -> its ``.data``)."""
    return checks.rows(x, name, fn)


def _same_shape(fn: str, t: np.ndarray, p: np.ndarray) -> None:
    """Raise unless ``y_true`` and ``y_pred`` have exactly the same shape."""
    if t.shape != p.shape:
        hint = ""
        if t.size == p.size:
            hint = "; reshape one of them (e.g. y.reshape(-1, 1)) — metrics do not broadcast"
        raise ValueError(f"{fn}: y_true has shape {t.shape} but y_pred has shape {p.shape}{hint}")


def accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of samples classified correctly.

    Accepted forms of ``y_pred``:

    - ``(n, k)`` with ``k >= 2``: class scores (logits or probabilities); the
      prediction is the argmax of each row. ``y_true`` is integer labels
      ``(n,)`` or one-hot (or soft) targets ``(n, k)``, compared by argmax.
    - floats of shape ``(n, 1)`` or ``(n,)``: probabilities of class 1,
      predicted as ``y_pred >= threshold`` (seed 002's rule); ``y_true`` must
      have the same shape and hold 0/1.
    - integers or bools of shape ``(n,)`` or ``(n, 1)``: predicted labels,
      compared with ``y_true`` of the same shape.
    """
    fn = "accuracy"
    t = _array(fn, "y_true", y_true)
    p = _array(fn, "y_pred", y_pred)
    if t.shape[0] != p.shape[0]:
        raise ValueError(f"{fn}: y_true has {t.shape[0]} samples but y_pred has {p.shape[0]} "
                         f"(shapes {t.shape} and {p.shape})")
    if p.ndim > 2:
        raise ValueError(f"{fn}: y_pred must be (n,), (n, 1) or (n, k) scores, got shape {p.shape}")
    if p.ndim == 2 and p.shape[1] >= 2:
        k = p.shape[1]
        predicted = np.argmax(p, axis=1)
        if t.shape == p.shape:
            truth = np.argmax(t, axis=1)
        elif t.ndim == 1:
            truth = checks.class_labels(t, k, "y_true", fn)
        else:
            raise ValueError(
                f"{fn}: y_pred holds scores of shape {p.shape}, so y_true must be labels of shape "
                f"({p.shape[0]},) or one-hot of shape {p.shape}; got shape {t.shape}"
            )
        return float(np.mean(predicted == truth))
    _same_shape(fn, t, p)
    if p.dtype.kind == "f":
        if not np.all((t == 0) | (t == 1)):
            raise ValueError(
                f"{fn}: y_pred holds probabilities of shape {p.shape}, so y_true must hold 0/1; "
                f"got values {np.unique(t)[:5].tolist()}; for multi-class pass (n, k) scores or integer labels"
            )
        return float(np.mean((p >= threshold) == (t == 1)))
    return float(np.mean(p == t))


def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error ``mean((y_true - y_pred) ** 2)`` over all elements (shapes must match)."""
    fn = "mse"
    t = _array(fn, "y_true", y_true)
    p = _array(fn, "y_pred", y_pred)
    _same_shape(fn, t, p)
    diff = t.astype(np.float64) - p.astype(np.float64)
    return float(np.mean(diff * diff))


def r2(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` (shapes must match).

    For ``(n, k)`` targets the score is computed per column and averaged, as
    scikit-learn's ``r2_score`` does by default. A constant target column
    scores 1.0 if predicted exactly and 0.0 otherwise (scikit-learn's
    ``force_finite`` convention) instead of dividing by zero. At least two
    samples are required.
    """
    fn = "r2"
    t = _array(fn, "y_true", y_true)
    p = _array(fn, "y_pred", y_pred)
    _same_shape(fn, t, p)
    if t.shape[0] < 2:
        raise ValueError(f"{fn}: needs at least 2 samples, got {t.shape[0]}")
    t = t.astype(np.float64).reshape(t.shape[0], -1)
    p = p.astype(np.float64).reshape(p.shape[0], -1)
    ss_res = np.sum((t - p) ** 2, axis=0)
    ss_tot = np.sum((t - t.mean(axis=0)) ** 2, axis=0)
    safe = ss_tot != 0
    scores = np.where(ss_res == 0, 1.0, 0.0)
    scores[safe] = 1.0 - ss_res[safe] / ss_tot[safe]
    return float(np.mean(scores))
