"""Toy datasets, splitting, standardisation and mini-batches — numpy only.

Return conventions (every ``make_*`` function returns ``(X, y)``):

- ``X`` is float64 of shape ``(n_samples, n_features)``.
- Binary targets (moons, circles, xor) and regression targets (sine, surface)
  are float64 **columns** of shape ``(n_samples, 1)``: the models output
  ``(n, 1)`` and our losses refuse to broadcast ``(n, 1)`` against ``(n,)``.
- Multi-class targets (spirals, blobs) are int64 **labels** of shape
  ``(n_samples,)``, the form ``CrossEntropyLoss`` takes.

Randomness is explicit: pass ``seed=`` (an int) or ``rng=`` (a
``numpy.random.Generator``, or a legacy ``numpy.random.RandomState`` to
continue an old-style stream), not both: ``seed=`` and ``rng=`` together are
an error, as everywhere in mlpgrad (``make_sine`` and ``make_surface`` ignore
their default seed when ``rng=`` is given). The global
``np.random`` state is never read or changed.

Reproducing the seed documents. Several tutorials draw their data with the
legacy global generator (``np.random.seed(k)`` then ``np.random.randn`` ...).
``legacy=`` replays exactly those calls on a local
``np.random.RandomState(seed)``, so the numbers come out bit for bit:

- ``make_sine()`` (seed 000) and ``make_surface()`` (seed 004) default to
  ``legacy=True`` with the seeds' seeds (87 and 2025): the defaults *are* the
  seeds' datasets.
- ``make_moons(500, noise=0.2, seed=42, legacy="tutorial")`` is seed 002's
  hand-made moons; ``make_moons(1000, noise=0.2, seed=42, legacy="sklearn")``
  is ``sklearn.datasets.make_moons(..., random_state=42)`` used by seed 003.
- ``train_test_split(..., seed=42, legacy="tutorial"|"sklearn")`` replays
  seed 002's split and scikit-learn's split (seed 003).

Without ``legacy`` the generic generators use ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

import math
import numbers
from typing import Iterator, Optional, Sequence, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

from nn import checks

__all__ = [
    "make_moons",
    "make_circles",
    "make_xor",
    "make_sine",
    "make_surface",
    "make_spirals",
    "make_blobs",
    "train_test_split",
    "Standardizer",
    "batches",
]

RandomSource = Union[np.random.Generator, np.random.RandomState]
Legacy = Union[bool, str, None]


# --------------------------------------------------------------------------
# validation helpers
# --------------------------------------------------------------------------

def _is_int(value: object) -> bool:
    """True for Python/numpy integers, False for bools."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_n_samples(fn: str, n_samples: object, minimum: int = 1) -> int:
    """Return ``n_samples`` as an int after checking it is an integer >= minimum."""
    if not _is_int(n_samples) or int(n_samples) < minimum:
        raise ValueError(f"{fn}: n_samples must be an integer >= {minimum}, got {n_samples!r}")
    return int(n_samples)


def _check_nonneg(fn: str, name: str, value: object) -> float:
    """Return ``value`` as a float after checking it is a finite real >= 0."""
    if not isinstance(value, numbers.Real) or isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{fn}: {name} must be a real number >= 0, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{fn}: {name} must be a finite number >= 0, got {value!r}")
    return value


def _random_source(fn: str, seed: Optional[int], rng: Optional[RandomSource], legacy: bool,
                   default_seed: Optional[int] = None) -> RandomSource:
    """The stream to draw from: ``rng`` if given, else a fresh one built from ``seed``.

    ``legacy=True`` builds ``np.random.RandomState(seed)`` (the generator behind
    ``np.random.seed``), otherwise ``np.random.default_rng(seed)``. Passing both
    ``seed`` and ``rng`` is an error (as in ``autograd.randn``); a function whose
    seed has a documented default (``make_sine``'s 87) passes it as
    ``default_seed``, so that ``rng=`` alone still works there.
    """
    if rng is not None:
        if seed is not None and seed != default_seed:
            raise ValueError(f"{fn}: pass either seed= or rng=, not both")
        if not isinstance(rng, (np.random.Generator, np.random.RandomState)):
            raise TypeError(
                f"{fn}: rng must be a numpy.random.Generator or RandomState, got {type(rng).__name__}"
            )
        return rng
    if seed is not None and (not _is_int(seed) or not 0 <= int(seed) < 2**32):
        raise ValueError(f"{fn}: seed must be None or an integer in [0, 2**32), got {seed!r}")
    if legacy:
        return np.random.RandomState(seed)
    return np.random.default_rng(seed)


def _legacy_recipe(fn: str, legacy: Legacy, recipes: Sequence[str]) -> Optional[str]:
    """Map the ``legacy`` argument to a recipe name (None = modern generator).

    ``True`` means the first recipe in ``recipes``.
    """
    if legacy is None or legacy is False:
        return None
    if legacy is True:
        return recipes[0]
    if isinstance(legacy, str) and legacy in recipes:
        return legacy
    choices = ", ".join(repr(r) for r in recipes)
    raise ValueError(f"{fn}: legacy must be False, True or one of {choices}, got {legacy!r}")


def _split_counts(n: int, k: int) -> np.ndarray:
    """``n`` items into ``k`` groups as evenly as possible (the first groups get the extra)."""
    counts = np.full(k, n // k, dtype=np.int64)
    counts[: n % k] += 1
    return counts


# --------------------------------------------------------------------------
# binary classification datasets
# --------------------------------------------------------------------------

def _moon_points(n_out: int, n_in: int) -> Tuple[np.ndarray, np.ndarray]:
    """The noise-free moons: upper half circle (label 0), then the shifted lower one (label 1)."""
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        np.column_stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5]),
    ])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)]).reshape(-1, 1)
    return X, y


def make_moons(
    n_samples: int = 200,
    noise: float = 0.0,
    seed: Optional[int] = None,
    rng: Optional[RandomSource] = None,
    legacy: Legacy = False,
) -> Tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: X ``(n, 2)`` float64, y ``(n, 1)`` float64 in {0, 1}.

    Class 0 lies on the upper unit half circle ``(cos t, sin t)``, class 1 on
    the lower one shifted to ``(1 - cos t, 0.5 - sin t)``, ``t`` evenly spaced
    on ``[0, pi]``; class 0 gets ``n // 2`` points, class 1 the rest. The rows
    are shuffled and Gaussian noise of standard deviation ``noise`` is added to
    every coordinate (``noise=0`` gives the exact geometry). ``legacy`` picks
    an old recipe drawn from ``np.random.RandomState(seed)``:
    ``"tutorial"`` (or ``True``) — seed 002's ``make_moons_manual`` (noise,
    then a permutation; unlike the seed it also works for odd ``n_samples``);
    ``"sklearn"`` — scikit-learn's ``make_moons`` (shuffle, then noise),
    identical to ``sklearn.datasets.make_moons(n, noise=noise, random_state=seed)``.
    """
    fn = "make_moons"
    n = _check_n_samples(fn, n_samples)
    noise = _check_nonneg(fn, "noise", noise)
    recipe = _legacy_recipe(fn, legacy, ("tutorial", "sklearn"))
    src = _random_source(fn, seed, rng, legacy=recipe is not None)
    X, y = _moon_points(n // 2, n - n // 2)
    if recipe == "tutorial":
        X += src.normal(0, noise, X.shape)
        perm = src.permutation(n)
        return X[perm], y[perm]
    return _shuffle_and_jitter(X, y, noise, src, recipe)


def _shuffle_and_jitter(X: np.ndarray, y: np.ndarray, noise: float, src: "RandomSource",
                        recipe: Optional[str]) -> Tuple[np.ndarray, np.ndarray]:
    """Shuffle the rows and add N(0, noise²) to every coordinate — in scikit-learn's
    call order for ``recipe == "sklearn"`` (bit-for-bit replay), else ours."""
    n = len(X)
    if recipe == "sklearn":
        idx = np.arange(n)
        src.shuffle(idx)
        X, y = X[idx], y[idx]
        X += src.normal(scale=noise, size=X.shape)
        return X, y
    perm = src.permutation(n)
    X, y = X[perm], y[perm]
    return X + noise * src.standard_normal(X.shape), y


def make_circles(
    n_samples: int = 200,
    noise: float = 0.0,
    factor: float = 0.5,
    seed: Optional[int] = None,
    rng: Optional[RandomSource] = None,
    legacy: Legacy = False,
) -> Tuple[np.ndarray, np.ndarray]:
    """Two concentric circles: X ``(n, 2)`` float64, y ``(n, 1)`` float64 in {0, 1}.

    Class 0 (``n // 2`` points) lies on the unit circle, class 1 (the rest) on
    the circle of radius ``factor`` (``0 <= factor < 1``), at evenly spaced
    angles ``2*pi*i/m`` (no repeated point). Rows are shuffled and Gaussian
    noise of standard deviation ``noise`` is added to each coordinate.
    ``legacy="sklearn"`` (or ``True``) replays scikit-learn's ``make_circles``
    on ``np.random.RandomState(seed)``, bit for bit.
    """
    fn = "make_circles"
    n = _check_n_samples(fn, n_samples)
    noise = _check_nonneg(fn, "noise", noise)
    if not isinstance(factor, numbers.Real) or not 0 <= float(factor) < 1:
        raise ValueError(f"{fn}: factor must lie in [0, 1), got {factor!r}")
    recipe = _legacy_recipe(fn, legacy, ("sklearn",))
    src = _random_source(fn, seed, rng, legacy=recipe is not None)
    n_out, n_in = n // 2, n - n // 2
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        np.column_stack([np.cos(t_in) * factor, np.sin(t_in) * factor]),
    ])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)]).reshape(-1, 1)
    return _shuffle_and_jitter(X, y, noise, src, recipe)


_XOR_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
_XOR_Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def make_xor(
    n_samples: int = 4,
    noise: float = 0.0,
    seed: Optional[int] = None,
    rng: Optional[RandomSource] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """The XOR problem: X ``(n, 2)`` float64, y ``(n, 1)`` float64 = x1 XOR x2 of the corner.

    Row ``i`` is corner ``i % 4`` of ``[[0,0], [0,1], [1,0], [1,1]]`` (labels
    ``[0, 1, 1, 0]``), so the default ``n_samples=4, noise=0`` is exactly the
    four XOR points in that order. For ``n_samples > 4`` the rows are shuffled;
    Gaussian noise of standard deviation ``noise`` is added to the coordinates
    (the label stays the corner's).
    """
    fn = "make_xor"
    n = _check_n_samples(fn, n_samples)
    noise = _check_nonneg(fn, "noise", noise)
    src = _random_source(fn, seed, rng, legacy=False)
    idx = np.arange(n) % 4
    if n > 4:
        idx = idx[src.permutation(n)]
    X, y = _XOR_X[idx], _XOR_Y[idx].copy()
    return X + noise * src.standard_normal(X.shape), y


# --------------------------------------------------------------------------
# regression datasets (seeds 000 and 004)
# --------------------------------------------------------------------------

def make_sine(
    n_samples: int = 200,
    noise: float = 0.1,
    seed: Optional[int] = 87,
    rng: Optional[RandomSource] = None,
    legacy: bool = True,
) -> Tuple[np.ndarray, np.ndarray]:
    """Seed 000's regression data: ``y = sin x + noise * eps``, X and y ``(n, 1)`` float64.

    ``x`` is ``n_samples`` evenly spaced points on ``[-pi, pi]`` (sorted, not
    shuffled) and ``eps`` is standard normal. With the defaults (``seed=87``,
    ``legacy=True``) ``eps`` is ``np.random.RandomState(87).randn(200, 1)``, so
    the data equal the notebook's ``np.random.seed(87)`` cell bit for bit;
    ``legacy=False`` draws ``eps`` from ``np.random.default_rng(seed)`` instead.
    """
    fn = "make_sine"
    n = _check_n_samples(fn, n_samples)
    noise = _check_nonneg(fn, "noise", noise)
    src = _random_source(fn, seed, rng, legacy=bool(legacy), default_seed=87)
    X = np.linspace(-np.pi, np.pi, n).reshape(-1, 1)
    y = np.sin(X) + noise * src.standard_normal((n, 1))  # RandomState: same draws as randn(n, 1)
    return X, y


def make_surface(
    n_samples: int = 10_000,
    noise: float = 1.0,
    seed: Optional[int] = 2025,
    rng: Optional[RandomSource] = None,
    legacy: bool = True,
) -> Tuple[np.ndarray, np.ndarray]:
    """Seed 004's surface: ``y = x1*x2 + x1**2 + exp(sin x2) + eps``; X ``(n, 2)``, y ``(n, 1)``.

    ``eps ~ N(0, noise**2)`` and ``x1, x2 ~ U(-5, 5)``, drawn in the notebook's
    order (all of ``eps``, then all of ``x1``, then all of ``x2``). With the
    defaults (``seed=2025``, ``legacy=True``) they come from
    ``np.random.RandomState(2025)``, i.e. exactly the notebook's data after
    ``np.random.seed(2025)``; ``legacy=False`` uses ``np.random.default_rng(seed)``.
    """
    fn = "make_surface"
    n = _check_n_samples(fn, n_samples)
    noise = _check_nonneg(fn, "noise", noise)
    src = _random_source(fn, seed, rng, legacy=bool(legacy), default_seed=2025)
    eps = src.normal(0, noise, n)
    x1 = src.uniform(-5, 5, n)
    x2 = src.uniform(-5, 5, n)
    y = x1 * x2 + x1**2 + np.exp(np.sin(x2)) + eps
    return np.column_stack([x1, x2]), y.reshape(-1, 1)


# --------------------------------------------------------------------------
# multi-class datasets
# --------------------------------------------------------------------------

def make_spirals(
    n_samples: int = 300,
    n_classes: int = 3,
    noise: float = 0.0,
    seed: Optional[int] = None,
    rng: Optional[RandomSource] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms: X ``(n, 2)`` float64, y ``(n,)`` int64 labels ``0..n_classes-1``.

    Arm ``k`` holds about ``n / n_classes`` points at radii ``r`` evenly spaced
    on ``(0, 1]`` and angles ``2*pi*k/n_classes + 4*r`` (each arm turns 4 rad,
    the arms never cross); point ``= r * (sin angle, cos angle)``. Rows are
    shuffled and Gaussian noise of standard deviation ``noise`` is added to the
    coordinates.
    """
    fn = "make_spirals"
    n = _check_n_samples(fn, n_samples)
    if not _is_int(n_classes) or int(n_classes) < 2:
        raise ValueError(f"{fn}: n_classes must be an integer >= 2, got {n_classes!r}")
    k = int(n_classes)
    if n < k:
        raise ValueError(f"{fn}: n_samples={n} is fewer than n_classes={k}; every arm needs a point")
    noise = _check_nonneg(fn, "noise", noise)
    src = _random_source(fn, seed, rng, legacy=False)
    xs, ys = [], []
    for label, m in enumerate(_split_counts(n, k)):
        r = np.linspace(0.0, 1.0, m + 1)[1:]
        angle = 2 * np.pi * label / k + 4.0 * r
        xs.append(np.column_stack([r * np.sin(angle), r * np.cos(angle)]))
        ys.append(np.full(m, label, dtype=np.int64))
    perm = src.permutation(n)
    X, y = np.vstack(xs)[perm], np.concatenate(ys)[perm]
    return X + noise * src.standard_normal(X.shape), y


def make_blobs(
    n_samples: int = 300,
    centers: Union[int, ArrayLike] = 3,
    n_features: Optional[int] = None,
    cluster_std: Union[float, Sequence[float]] = 1.0,
    center_box: Tuple[float, float] = (-10.0, 10.0),
    seed: Optional[int] = None,
    rng: Optional[RandomSource] = None,
) -> Tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters: X ``(n, n_features)`` float64, y ``(n,)`` int64 labels.

    ``centers`` is a count (the centres are then drawn uniformly from
    ``center_box`` in ``n_features`` dimensions, default 2) or an array of
    shape ``(k, n_features)``. Cluster ``j`` gets about ``n / k`` points drawn
    from ``N(centers[j], cluster_std[j]**2 I)`` (``cluster_std`` a number or
    one per cluster); rows are shuffled.
    """
    fn = "make_blobs"
    n = _check_n_samples(fn, n_samples)
    src = _random_source(fn, seed, rng, legacy=False)
    if n_features is not None and (not _is_int(n_features) or int(n_features) < 1):
        raise ValueError(f"{fn}: n_features must be an integer >= 1, got {n_features!r}")
    if _is_int(centers):
        k = int(centers)
        if k < 1:
            raise ValueError(f"{fn}: centers must be >= 1, got {k}")
        d = 2 if n_features is None else int(n_features)
        lo, hi = (float(v) for v in center_box)
        if not lo < hi:
            raise ValueError(f"{fn}: center_box must be (low, high) with low < high, got {center_box!r}")
        C = src.uniform(lo, hi, (k, d))
    else:
        C = np.asarray(centers, dtype=np.float64)
        if C.ndim != 2 or C.shape[0] < 1 or C.shape[1] < 1:
            raise ValueError(f"{fn}: centers must be an int or an array of shape (k, n_features), got shape {C.shape}")
        checks.finite(C, "centers", fn)
        k, d = C.shape
        if n_features is not None and int(n_features) != d:
            raise ValueError(f"{fn}: n_features={n_features} but centers have {d} features")
    stds = np.asarray(cluster_std, dtype=np.float64)
    if stds.ndim == 0:
        stds = np.full(k, float(stds))
    if stds.shape != (k,):
        raise ValueError(f"{fn}: cluster_std must be a number or one per center ({k}), got shape {stds.shape}")
    if not np.all(np.isfinite(stds)) or np.any(stds < 0):
        raise ValueError(f"{fn}: cluster_std must be finite and >= 0, got {cluster_std!r}")
    if n < k:
        raise ValueError(f"{fn}: n_samples={n} is fewer than the {k} centers; every cluster needs a point")
    xs, ys = [], []
    for label, m in enumerate(_split_counts(n, k)):
        xs.append(C[label] + stds[label] * src.standard_normal((m, d)))
        ys.append(np.full(m, label, dtype=np.int64))
    perm = src.permutation(n)
    return np.vstack(xs)[perm], np.concatenate(ys)[perm]


# --------------------------------------------------------------------------
# splitting
# --------------------------------------------------------------------------

def _test_count(fn: str, test_size: object, n: int, recipe: Optional[str]) -> int:
    """Number of test rows for ``test_size`` (fraction or count) out of ``n`` rows."""
    if _is_int(test_size):
        t = int(test_size)
        if not 1 <= t <= n:
            raise ValueError(
                f"{fn}: test_size={t} is out of range; expected a row count in [1, {n - 1}] "
                f"or a fraction in (0, 1)"
            )
        n_test = t
    elif isinstance(test_size, numbers.Real) and not isinstance(test_size, (bool, np.bool_)):
        t = float(test_size)
        if not 0.0 < t < 1.0:
            raise ValueError(
                f"{fn}: test_size={test_size!r} is out of range; expected a fraction in (0, 1) "
                f"or a row count in [1, {n - 1}]"
            )
        if recipe == "tutorial":      # seed 002: int(n * test_size)
            n_test = int(n * t)
        elif recipe == "sklearn":     # scikit-learn: ceil(test_size * n)
            n_test = math.ceil(t * n)
        else:                         # ceil, ignoring float fuzz such as 0.1 * 30 = 3.0000000000000004
            n_test = math.ceil(round(t * n, 9))
    else:
        raise ValueError(f"{fn}: test_size must be a fraction in (0, 1) or a row count, got {test_size!r}")
    if n_test >= n:
        raise ValueError(
            f"{fn}: test_size={test_size!r} puts all {n} rows in the test set and leaves the train set empty"
        )
    if n_test == 0:
        raise ValueError(f"{fn}: test_size={test_size!r} of {n} rows leaves the test set empty")
    return n_test


def _stratified_indices(
    fn: str, labels: np.ndarray, n_test: int, src: RandomSource
) -> Tuple[np.ndarray, np.ndarray]:
    """Train/test indices holding each class in (nearly) the same proportion."""
    n = labels.shape[0]
    _, inverse = np.unique(labels.reshape(n, -1), axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse)
    if counts.min() < 2:
        cls = labels.reshape(n, -1)[np.flatnonzero(inverse == counts.argmin())[0]]
        cls = cls.item() if cls.size == 1 else cls.tolist()
        raise ValueError(
            f"{fn}: cannot stratify, class {cls!r} has only 1 row; every class needs at least 2"
        )
    exact = n_test * counts / n                      # largest-remainder rounding
    per_class = np.floor(exact).astype(np.int64)
    short = n_test - int(per_class.sum())
    per_class[np.argsort(-(exact - per_class), kind="stable")[:short]] += 1
    test, train = [], []
    for c, k in enumerate(per_class):
        rows = src.permutation(np.flatnonzero(inverse == c))
        test.append(rows[:k])
        train.append(rows[k:])
    return src.permutation(np.concatenate(train)), src.permutation(np.concatenate(test))


def train_test_split(
    X: ArrayLike,
    y: ArrayLike,
    test_size: Union[float, int] = 0.2,
    seed: Optional[int] = None,
    rng: Optional[RandomSource] = None,
    stratify: Union[None, bool, ArrayLike] = None,
    shuffle: bool = True,
    legacy: Legacy = False,
) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split rows into ``X_train, X_test, y_train, y_test``.

    ``test_size`` is a fraction in (0, 1) (rounded up to whole rows) or a row
    count. With ``shuffle`` the test rows are the first ``n_test`` of a random
    permutation and the train rows the rest; without it the test set is the
    last ``n_test`` rows. ``stratify=True`` keeps the class proportions of
    ``y`` in both parts (``stratify=labels`` uses those labels; rows of a 2-D
    label array count as classes). ``y`` may be ``(n,)`` or ``(n, k)``; its
    shape is kept. ``legacy="tutorial"`` (or ``True``) replays seed 002's
    ``train_test_split_manual`` (``np.random.RandomState(seed).permutation``,
    ``n_test = int(n * test_size)``); ``legacy="sklearn"`` replays
    ``sklearn.model_selection.train_test_split(..., random_state=seed)``.
    """
    fn = "train_test_split"
    X = checks.rows(X, "X", fn, numeric=False, empty=True)
    y = checks.rows(y, "y", fn, numeric=False, empty=True)
    n = X.shape[0]
    checks.same_rows(X, y, fn)
    if n == 0:
        raise ValueError(f"{fn}: X and y are empty (0 rows); nothing to split")
    recipe = _legacy_recipe(fn, legacy, ("tutorial", "sklearn"))
    n_test = _test_count(fn, test_size, n, recipe)
    stratified = stratify is not None and stratify is not False
    if stratified and recipe is not None:
        raise ValueError(f"{fn}: stratify is not available with legacy={legacy!r}")
    if stratified and not shuffle:
        raise ValueError(f"{fn}: stratify requires shuffle=True")
    if not shuffle:
        train, test = np.arange(n - n_test), np.arange(n - n_test, n)
    else:
        src = _random_source(fn, seed, rng, legacy=recipe is not None)
        if stratified:
            labels = y if stratify is True else np.asarray(stratify)
            if labels.ndim == 0 or labels.shape[0] != n:
                got = "a scalar" if labels.ndim == 0 else f"{labels.shape[0]} entries"
                raise ValueError(f"{fn}: stratify has {got} but X has {n} rows")
            train, test = _stratified_indices(fn, labels, n_test, src)
        else:
            perm = src.permutation(n)
            test, train = perm[:n_test], perm[n_test:]
    return X[train], X[test], y[train], y[test]


# --------------------------------------------------------------------------
# standardisation
# --------------------------------------------------------------------------

class Standardizer:
    """Per-feature standardisation ``(X - mean_) / scale_``, fitted on training data.

    ``mean_`` and ``scale_`` (float64, one per feature) are the column means
    and population standard deviations (``ddof=0``, as ``X.std(axis=0)`` in
    seed 002's ``standardize``) of the data given to ``fit``. A constant
    column gets ``scale_ = 1`` so it maps to zeros instead of dividing by
    zero. Transforms keep a floating input's dtype (float32 stays float32);
    integer input becomes float64.
    """

    def __init__(self) -> None:
        """Create an unfitted standardizer (``mean_`` and ``scale_`` are None)."""
        self.mean_: Optional[np.ndarray] = None
        self.scale_: Optional[np.ndarray] = None

    @property
    def n_features(self) -> Optional[int]:
        """Number of features seen by ``fit`` (None before fitting)."""
        return None if self.mean_ is None else int(self.mean_.shape[0])

    def __repr__(self) -> str:
        """``Standardizer(n_features=2)``, or ``Standardizer(not fitted)``."""
        if self.mean_ is None:
            return "Standardizer(not fitted)"
        return f"Standardizer(n_features={self.n_features})"

    @staticmethod
    def _matrix(fn: str, X: ArrayLike) -> np.ndarray:
        """``X`` as a finite 2-D array ``(n, features)``."""
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(
                f"{fn}: X must be 2-D (n_samples, n_features), got shape {X.shape}"
                + ("; use X.reshape(-1, 1) for a single feature" if X.ndim == 1 else "")
            )
        if X.dtype.kind not in "biuf":
            raise ValueError(f"{fn}: X must be numeric, got dtype {X.dtype}")
        checks.finite(X, "X", fn)
        return X

    def fit(self, X: ArrayLike) -> "Standardizer":
        """Learn ``mean_`` and ``scale_`` from ``X`` ``(n, features)``; returns self."""
        fn = "Standardizer.fit"
        X = self._matrix(fn, X)
        if X.shape[0] == 0:
            raise ValueError(f"{fn}: X has no rows; cannot compute means")
        X64 = X.astype(np.float64)
        mean = X64.mean(axis=0)
        std = X64.std(axis=0)
        # A constant column's computed std is 0 or a few ulps of its mean: treat it as constant.
        constant = std <= 64 * np.finfo(np.float64).eps * np.abs(mean)
        self.mean_ = mean
        self.scale_ = np.where(constant, 1.0, std)
        return self

    def _check_fitted(self, fn: str, X: np.ndarray) -> None:
        """Raise if not fitted, or if ``X`` has a different number of features."""
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError(f"{fn}: this Standardizer is not fitted yet; call fit(X) or fit_transform(X) first")
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(
                f"{fn}: X has {X.shape[1]} features but the Standardizer was fitted on {self.mean_.shape[0]}"
            )

    @staticmethod
    def _out_dtype(X: np.ndarray) -> np.dtype:
        """Floating inputs keep their dtype; anything else becomes float64."""
        return X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Return ``(X - mean_) / scale_``."""
        fn = "Standardizer.transform"
        X = self._matrix(fn, X)
        self._check_fitted(fn, X)
        dt = self._out_dtype(X)
        return ((X - self.mean_) / self.scale_).astype(dt, copy=False)

    def fit_transform(self, X: ArrayLike) -> np.ndarray:
        """``fit(X)`` then ``transform(X)``."""
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: ArrayLike) -> np.ndarray:
        """Undo ``transform``: return ``Z * scale_ + mean_``."""
        fn = "Standardizer.inverse_transform"
        Z = self._matrix(fn, Z)
        self._check_fitted(fn, Z)
        dt = self._out_dtype(Z)
        return (Z * self.scale_ + self.mean_).astype(dt, copy=False)


# --------------------------------------------------------------------------
# mini-batches
# --------------------------------------------------------------------------

def batches(
    X: ArrayLike,
    y: Optional[ArrayLike],
    batch_size: Optional[int] = None,
    shuffle: bool = True,
    seed: Optional[int] = None,
    rng: Optional[RandomSource] = None,
) -> Iterator[Tuple[np.ndarray, Optional[np.ndarray]]]:
    """Iterate over ``(Xb, yb)`` mini-batches covering every row exactly once.

    ``batch_size=None`` gives one full batch; otherwise batches have
    ``batch_size`` rows and the last one keeps the remainder. With ``shuffle``
    the row order is a permutation drawn from ``rng`` (or a generator seeded
    with ``seed``): pass one ``Generator`` via ``rng`` for a fresh order every
    epoch, a fixed ``seed`` for the same order each time. ``y=None`` yields
    ``(Xb, None)``. Arguments are checked when ``batches`` is called, not at
    the first ``next``.
    """
    fn = "batches"
    X = checks.rows(X, "X", fn, numeric=False, empty=True)
    n = X.shape[0]
    if y is not None:
        y = checks.rows(y, "y", fn, numeric=False, empty=True)
        checks.same_rows(X, y, fn)
    if n == 0:
        raise ValueError(f"{fn}: X is empty (0 rows)")
    if batch_size is None:
        size = n
    elif _is_int(batch_size) and int(batch_size) >= 1:
        size = int(batch_size)
    else:
        raise ValueError(f"{fn}: batch_size must be an integer >= 1 or None, got {batch_size!r}")
    order = _random_source(fn, seed, rng, legacy=False).permutation(n) if shuffle else None
    return _iter_batches(X, y, size, order)


def _iter_batches(
    X: np.ndarray, y: Optional[np.ndarray], size: int, order: Optional[np.ndarray]
) -> Iterator[Tuple[np.ndarray, Optional[np.ndarray]]]:
    """The generator behind ``batches`` (arguments already validated)."""
    n = X.shape[0]
    for start in range(0, n, size):
        if order is None:
            rows = slice(start, start + size)
        else:
            rows = order[start:start + size]
        yield X[rows], (None if y is None else y[rows])
