"""Plots for training runs and trained models — matplotlib, imported lazily.

Every function builds one matplotlib ``Figure``, returns it, and also writes it
as a PNG when ``path`` is given (parent folders are created). matplotlib is
imported inside the functions, so ``import nn`` never needs it; without a
display (a headless Linux box, CI) the ``Agg`` backend is selected before
pyplot is first imported.

    >>> from nn.plot import plot_history
    >>> fig = plot_history(history, path="out/loss.png")     # doctest: +SKIP

``plot_activations`` differentiates the activations with autograd itself, so
the derivative curves it draws are the engine's gradients, not formulas.
"""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, Union

import numpy as np

if TYPE_CHECKING:  # pragma: no cover - typing only
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "plot_history", "plot_decision_boundary", "plot_regression_fit", "plot_curves",
    "plot_activations", "activation_curves", "save_figure",
]

PathLike = Union[str, "os.PathLike[str]"]
Predictor = Any  # an nn.Module or a callable X (n, d) -> array (n, k)


# -- matplotlib plumbing ---------------------------------------------------------------------------
def _headless() -> bool:
    """True when nothing says where to draw: no MPLBACKEND and no X11/Wayland display on Linux/BSD."""
    if os.environ.get("MPLBACKEND"):
        return False
    if sys.platform.startswith(("win", "cygwin", "darwin")):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _pyplot():
    """Import pyplot on first use (Agg when headless), with a clear message when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("nn.plot needs matplotlib, which is not installed; "
                          "install mlpgrad[plot] (pip install 'mlpgrad[plot]')") from exc
    if "matplotlib.pyplot" not in sys.modules and _headless():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_figure(fig: "Figure", path: PathLike, dpi: int = 120) -> str:
    """Write `fig` as a PNG at `path` (creating its folder) and return the path as a string."""
    path = os.fspath(path)
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    fig.savefig(path, dpi=dpi, format="png")
    return path


def _new_axes(ax: "Axes | None", figsize: tuple[float, float]) -> tuple["Figure", "Axes"]:
    if ax is not None:
        return ax.figure, ax
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=figsize)
    return fig, ax


def _inline_backend() -> bool:
    """True inside Jupyter with matplotlib's inline backend (the notebook default)."""
    matplotlib = sys.modules.get("matplotlib")
    return matplotlib is not None and "inline" in str(matplotlib.get_backend()).lower()


def _finish(fig: "Figure", path: PathLike | None, own_figure: bool = True) -> "Figure":
    if own_figure:
        fig.tight_layout()
    if path is not None:
        save_figure(fig, path)
    if own_figure and _inline_backend():
        # Jupyter displays the returned figure; left open in pyplot, the inline backend
        # would display it a second time when the cell ends.
        _pyplot().close(fig)
    return fig


def _predict(model: Predictor, X: np.ndarray) -> np.ndarray:
    """Outputs of an nn.Module (no graph, eval mode) or of a plain callable, as a 2-D float array."""
    from nn.module import Module
    if isinstance(model, Module):
        from nn.train import predict
        out = predict(model, X)
    elif callable(model):
        out = model(X)
        out = getattr(out, "data", out)
    else:
        raise TypeError(f"plot: expected an nn.Module or a callable X -> predictions, got {type(model).__name__}")
    out = np.asarray(out, dtype=np.float64)
    if out.ndim == 1:
        out = out.reshape(-1, 1)
    if out.ndim != 2 or out.shape[0] != X.shape[0]:
        raise ValueError(f"plot: the model returned shape {out.shape} for {X.shape[0]} inputs; "
                         f"expected ({X.shape[0]}, k)")
    return out


def _model_label(model: Predictor, i: int) -> str:
    describe = getattr(model, "describe", None)
    if callable(describe):
        return str(describe())
    return getattr(model, "__name__", f"model {i + 1}")


# -- training curves ------------------------------------------------------------------------------
def plot_history(history: Any, labels: Sequence[str] | None = None, metric: str | None = None,
                 log: bool = False, path: PathLike | None = None, title: str | None = None,
                 ylabel: str | None = None, ax: "Axes | None" = None) -> "Figure":
    """Training (solid) and validation (dashed) curves of one `History` or several.

    `history` is a `History`, a list of them, or a ``{label: History}`` dict.
    With ``metric=None`` the losses are drawn, otherwise ``history.metrics[metric]``
    and ``history.val_metrics[metric]``. Where a run has validation data its best
    epoch is marked. `log` puts the y axis on a log scale; `ylabel` names the
    quantity (default: "loss" or the metric's name).
    """
    if isinstance(history, Mapping):
        labels = list(history.keys()) if labels is None else list(labels)
        runs = list(history.values())
    elif isinstance(history, (list, tuple)):
        runs = list(history)
    else:
        runs = [history]
    if not runs:
        raise ValueError("plot_history: got no histories")
    if labels is None:
        labels = [""] * len(runs) if len(runs) == 1 else [f"run {i + 1}" for i in range(len(runs))]
    labels = list(labels)
    if len(labels) != len(runs):
        raise ValueError(f"plot_history: {len(runs)} histories but {len(labels)} labels")

    fig, ax_ = _new_axes(ax, (8, 5))
    colors = [f"C{i % 10}" for i in range(len(runs))]
    quantity = metric or "loss"
    for run, label, color in zip(runs, labels, colors):
        if metric is None:
            train, val = list(getattr(run, "train_loss")), list(getattr(run, "val_loss", []) or [])
        else:
            metrics = getattr(run, "metrics", {}) or {}
            if metric not in metrics:
                raise ValueError(f"plot_history: metric {metric!r} was not recorded; the history has "
                                 f"{sorted(metrics)} (pass metrics=[{metric!r}] to fit)")
            train, val = list(metrics[metric]), list((getattr(run, "val_metrics", {}) or {}).get(metric, []))
        if not train:
            raise ValueError("plot_history: a history has no epochs")
        prefix = f"{label} " if label else ""
        ax_.plot(np.arange(1, len(train) + 1), train, color=color, lw=1.6, label=f"{prefix}train")
        if val:
            ax_.plot(np.arange(1, len(val) + 1), val, color=color, lw=1.6, ls="--", label=f"{prefix}validation")
            best = getattr(run, "best_epoch", None)
            if best is not None and 1 <= best <= len(val):
                ax_.axvline(best, color=color, lw=0.8, ls=":")
                ax_.plot([best], [val[best - 1]], "o", color=color, ms=5,
                         label=f"{prefix}best epoch {best}")
    if log:
        ax_.set_yscale("log")
    ax_.set_xlabel("epoch")
    ax_.set_ylabel(ylabel or quantity)
    ax_.set_title(title or f"{ylabel or quantity} per epoch")
    ax_.grid(True, alpha=0.3)
    ax_.legend(fontsize=9)
    return _finish(fig, path, own_figure=ax is None)


def plot_curves(curves: Mapping[str, Sequence[float]], title: str | None = None, ylabel: str = "loss",
                log: bool = False, path: PathLike | None = None, xlabel: str = "epoch",
                ax: "Axes | None" = None) -> "Figure":
    """Several curves on one figure, e.g. ``{"2→4→1": losses, "2→8→1": losses}``.

    Use it to compare architectures, learning rates or hidden sizes; each curve
    is drawn against 1, 2, … (epochs) and labelled by its key.
    """
    if not curves:
        raise ValueError("plot_curves: got no curves")
    fig, ax_ = _new_axes(ax, (8, 5))
    for label, values in curves.items():
        v = np.asarray(values, dtype=np.float64).ravel()
        if v.size == 0:
            raise ValueError(f"plot_curves: curve {label!r} is empty")
        ax_.plot(np.arange(1, v.size + 1), v, lw=1.6, label=str(label))
    if log:
        ax_.set_yscale("log")
    ax_.set_xlabel(xlabel)
    ax_.set_ylabel(ylabel)
    if title:
        ax_.set_title(title)
    ax_.grid(True, alpha=0.3)
    ax_.legend(fontsize=9)
    return _finish(fig, path, own_figure=ax is None)


# -- what a trained model does --------------------------------------------------------------------
def _probabilities(model: Predictor, out: np.ndarray) -> np.ndarray:
    """Class probabilities from an nn.MLP's outputs, by its output layer (see nn.output_loss.probabilities);
    any other callable must return probabilities itself."""
    from nn.output_loss import output_activation, probabilities
    act = output_activation(model)
    return out if act is None else probabilities(out, act)


def _labels_of(y: Any, n: int) -> np.ndarray:
    y = np.asarray(getattr(y, "data", y))
    if y.shape[0] != n:
        raise ValueError(f"plot_decision_boundary: X has {n} rows but y has {y.shape[0]}")
    if y.ndim == 2 and y.shape[1] > 1:      # one-hot
        return y.argmax(axis=1)
    return np.rint(y.reshape(n)).astype(int)


def plot_decision_boundary(model: Predictor, X: Any, y: Any, path: PathLike | None = None,
                           resolution: int = 200, transform: Callable[[np.ndarray], np.ndarray] | None = None,
                           title: str | None = None, padding: float = 0.5,
                           ax: "Axes | None" = None) -> "Figure":
    """Decision regions of a classifier on 2-D inputs, with the data on top.

    Binary models (one output: a sigmoid probability, or a logit) get filled
    probability contours and the p = 0.5 boundary; multi-class models (k
    outputs) get their argmax regions, shaded by confidence. `transform` maps
    the plotted coordinates to the model's inputs (e.g. ``scaler.transform``
    when the model was trained on standardised data and X is raw); `y` is
    ``(n, 1)`` 0/1, ``(n,)`` labels or one-hot.
    """
    X = np.asarray(getattr(X, "data", X), dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must have shape (n, 2), got {X.shape}")
    if not isinstance(resolution, (int, np.integer)) or resolution < 2:
        raise ValueError(f"plot_decision_boundary: resolution must be an integer >= 2, got {resolution!r}")
    labels = _labels_of(y, X.shape[0])
    (x0, y0), (x1, y1) = X.min(axis=0) - padding, X.max(axis=0) + padding
    xx, yy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    P = _probabilities(model, _predict(model, transform(grid) if transform else grid))

    fig, ax_ = _new_axes(ax, (7, 6))
    if P.shape[1] == 1:
        p1 = P[:, 0].reshape(xx.shape)
        filled = ax_.contourf(xx, yy, p1, levels=np.linspace(0, 1, 11), cmap="RdYlBu", alpha=0.8)
        fig.colorbar(filled, ax=ax_, label="P(class 1)")
        ax_.contour(xx, yy, p1, levels=[0.5], colors="black", linewidths=2, linestyles="--")
        ax_.scatter(X[:, 0], X[:, 1], c=labels, cmap="RdYlBu", vmin=0, vmax=1,
                    edgecolors="black", linewidths=0.7, s=30)
    else:
        from matplotlib.colors import ListedColormap, to_rgba
        k = P.shape[1]
        palette = [to_rgba(f"C{i % 10}") for i in range(k)]
        winner = P.argmax(axis=1).reshape(xx.shape)
        confidence = P.max(axis=1).reshape(xx.shape)
        image = np.array(palette)[winner]
        image[..., 3] = 0.15 + 0.55 * (confidence - 1.0 / k) / (1 - 1.0 / k)
        ax_.imshow(image, origin="lower", extent=(x0, x1, y0, y1), aspect="auto", interpolation="nearest")
        ax_.contour(xx, yy, winner, levels=np.arange(k) + 0.5, colors="black", linewidths=1)
        ax_.scatter(X[:, 0], X[:, 1], c=labels, cmap=ListedColormap(palette), vmin=-0.5, vmax=k - 0.5,
                    edgecolors="black", linewidths=0.7, s=30)
    ax_.set_xlim(x0, x1)
    ax_.set_ylim(y0, y1)
    ax_.set_xlabel("x₁")
    ax_.set_ylabel("x₂")
    ax_.set_title(title or "decision boundary")
    return _finish(fig, path, own_figure=ax is None)


def plot_regression_fit(models: Predictor | Sequence[Predictor] | Mapping[str, Predictor], X: Any, y: Any,
                        path: PathLike | None = None, labels: Sequence[str] | None = None,
                        title: str | None = None, n_points: int = 400,
                        ax: "Axes | None" = None) -> "Figure":
    """The data of a 1-D regression as dots and each model's prediction as a line.

    `models` is one model, a list, or a ``{label: model}`` dict; a model is an
    `nn.Module` or a callable ``X (n, 1) -> predictions``. Predictions are drawn
    on `n_points` evenly spaced inputs spanning X.
    """
    X = np.asarray(getattr(X, "data", X), dtype=np.float64)
    y = np.asarray(getattr(y, "data", y), dtype=np.float64)
    if X.ndim == 1:
        X = X.reshape(-1, 1)
    if X.ndim != 2 or X.shape[1] != 1:
        raise ValueError(f"plot_regression_fit: X must have one feature, shape (n, 1) or (n,), got {X.shape}")
    if y.reshape(len(y), -1).shape != (X.shape[0], 1):
        raise ValueError(f"plot_regression_fit: y must have shape ({X.shape[0]}, 1) or ({X.shape[0]},), "
                         f"got {y.shape}")
    if isinstance(models, Mapping):
        labels = list(models.keys()) if labels is None else list(labels)
        models = list(models.values())
    elif not isinstance(models, (list, tuple)):
        models = [models]
    if not models:
        raise ValueError("plot_regression_fit: got no models")
    if labels is None:
        labels = [_model_label(m, i) for i, m in enumerate(models)]
    if len(labels) != len(models):
        raise ValueError(f"plot_regression_fit: {len(models)} models but {len(labels)} labels")

    grid = np.linspace(X.min(), X.max(), n_points).reshape(-1, 1)
    fig, ax_ = _new_axes(ax, (8, 5))
    ax_.scatter(X[:, 0], y.ravel(), s=6, color="black", label="data", zorder=3)
    for model, label in zip(models, labels):
        out = _predict(model, grid)
        ax_.plot(grid[:, 0], out[:, 0], lw=2, label=str(label))
    ax_.set_xlabel("x")
    ax_.set_ylabel("y")
    ax_.set_title(title or "fit")
    ax_.grid(True, alpha=0.3)
    ax_.legend(fontsize=9)
    return _finish(fig, path, own_figure=ax is None)


# -- activation functions -------------------------------------------------------------------------
def activation_curves(names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"),
                      x: Any = None, negative_slope: float = 0.1) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{name: (f(x), f'(x))}`` for the library's activations, f' computed by autograd.

    Each activation module is applied to a Tensor of inputs and
    ``f(x).sum().backward()`` leaves ``f'(x)`` in ``x.grad`` (the functions act
    element-wise). `x` defaults to 401 points on [-5, 5]; `negative_slope` is
    the LeakyReLU slope.
    """
    from autograd import Tensor
    from nn.layers import LeakyReLU, activation
    grid = np.linspace(-5.0, 5.0, 401) if x is None else np.asarray(x, dtype=np.float64)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name in names:
        key = name.lower()
        if key == "softmax":
            raise ValueError("activation_curves: softmax is not element-wise; pick from sigmoid, tanh, relu, "
                             "leaky_relu, identity")
        module = LeakyReLU(negative_slope) if key == "leaky_relu" else activation(key)
        t = Tensor(grid.copy(), requires_grad=True)
        f = module(t)
        f.sum().backward()
        out[name] = (np.array(f.data), np.array(t.grad))
    return out


def plot_activations(names: Sequence[str] = ("sigmoid", "tanh", "relu", "leaky_relu"),
                     path: PathLike | None = None, x_range: tuple[float, float] = (-5.0, 5.0),
                     n_points: int = 401, negative_slope: float = 0.1) -> "Figure":
    """Activation functions (top row) and their derivatives computed by autograd (bottom row)."""
    from nn.registry import ACTIVATIONS, activation_name
    x = np.linspace(x_range[0], x_range[1], n_points)
    curves = activation_curves(names, x, negative_slope)
    plt = _pyplot()
    fig, axes = plt.subplots(2, len(names), figsize=(3.6 * len(names), 6.2), squeeze=False)
    for j, name in enumerate(names):
        f, df = curves[name]
        spec = ACTIVATIONS.get(activation_name(name) or "")
        top, bottom = (spec.formula, spec.derivative) if spec else (name, f"{name}'")
        shown = f"{name} (α = {negative_slope:g})" if name.lower() == "leaky_relu" else name
        axes[0, j].plot(x, f, color="C0", lw=2.2)
        axes[0, j].set_title(f"{shown}: {top}", fontsize=10)
        axes[1, j].plot(x, df, color="C3", lw=2.2)
        axes[1, j].set_title(f"autograd: {bottom}", fontsize=10)
        for a in axes[:, j]:
            a.axhline(0, color="black", lw=0.5)
            a.axvline(0, color="black", lw=0.5)
            a.grid(True, alpha=0.3)
        axes[1, j].set_xlabel("z")
    axes[0, 0].set_ylabel("f(z)")
    axes[1, 0].set_ylabel("f'(z)")
    return _finish(fig, path)
