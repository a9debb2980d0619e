"""Input checks shared by nn: one function, and one wording, per kind of bad input.

Every message follows `where: what was wrong; what was expected`:

- ``rows(x, "X", "fit")``: ``fit: X must be an array of samples, got a scalar``,
  ``fit: X is empty (0 rows)``, ``fit: X must be numeric, got dtype <U1`` (NonNumericError),
  and the finiteness check below;
- ``finite(arr, "X", "fit")``: ``fit: X contains 2 non-finite values (NaN or inf)``;
- ``same_rows(X, y, "fit")``: ``fit: X has 40 rows but y has 39``;
- ``class_labels(y, k, "y_true", "accuracy")``: ``accuracy: y_true must hold integer class
  labels, got non-integer values`` and ``accuracy: y_true labels must lie in [0, 2] for 3
  score columns, got values in [0, 3]``.

NumPy only (`nn.data` and `nn.metrics` work without autograd); a `Tensor`, or anything
with an ndarray `.data`, is read through that attribute.
"""
from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["NonNumericError", "array", "rows", "finite", "same_rows", "class_labels"]


class NonNumericError(TypeError, ValueError):
    """Data of a non-numeric dtype (strings, objects). A TypeError, and a ValueError for callers that
    catch bad values (as NumPy's AxisError is both a ValueError and an IndexError)."""


def array(x: Any) -> np.ndarray:
    """`x` as an ndarray: a Tensor's `.data`, anything else through `np.asarray`."""
    if not isinstance(x, (np.ndarray, np.generic)):   # ndarray.data is a memoryview: leave arrays alone
        x = getattr(x, "data", x)
    return np.asarray(x)


def finite(arr: np.ndarray, what: str, where: str) -> None:
    """Raise ValueError if a float/complex array holds NaN or inf, saying how many."""
    if arr.dtype.kind in "fc":
        bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
        if bad:
            raise ValueError(f"{where}: {what} contains {bad} non-finite {'value' if bad == 1 else 'values'} "
                             "(NaN or inf)")


def rows(x: Any, what: str, where: str, numeric: bool = True, empty: bool = False) -> np.ndarray:
    """`x` as an ndarray of one or more rows (axis 0, the samples), numeric and finite
    (`numeric=False`: any dtype, finite if it is a float; `empty=True`: zero rows allowed)."""
    arr = array(x)
    if arr.ndim == 0:
        raise ValueError(f"{where}: {what} must be an array of samples, got a scalar")
    if arr.shape[0] == 0 and not empty:
        raise ValueError(f"{where}: {what} is empty (0 rows)")
    if numeric and arr.dtype.kind not in "biuf":
        raise NonNumericError(f"{where}: {what} must be numeric, got dtype {arr.dtype}")
    finite(arr, what, where)
    return arr


def same_rows(X: np.ndarray, y: np.ndarray, where: str, names: tuple[str, str] = ("X", "y")) -> None:
    """Raise ValueError unless X and y have the same number of rows."""
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{where}: {names[0]} has {X.shape[0]} rows but {names[1]} has {y.shape[0]}")


def class_labels(a: np.ndarray, n_classes: int, what: str, where: str) -> np.ndarray:
    """`a` (1-D) as int64 class labels in [0, n_classes)."""
    if a.dtype.kind == "f" and not np.all(a == np.round(a)):
        raise ValueError(f"{where}: {what} must hold integer class labels, got non-integer values")
    labels = a.astype(np.int64)
    if labels.min() < 0 or labels.max() >= n_classes:
        raise ValueError(f"{where}: {what} labels must lie in [0, {n_classes - 1}] for {n_classes} score columns, "
                         f"got values in [{labels.min()}, {labels.max()}]")
    return labels
