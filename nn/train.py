"""The training loop: `fit` → `History`, with validation, early stopping and schedules."""
from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from autograd import Tensor, no_grad
from nn.module import Module
from nn.output_loss import loss_for_model
from nn.optim import LRScheduler, Optimizer


@dataclass
class EarlyStopping:
    """Stop when the monitored loss has not improved by `min_delta` for `patience` epochs;
    with `restore_best`, put back the weights of the best epoch."""
    patience: int = 10
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self) -> None:
        if self.patience < 1:
            raise ValueError(f"EarlyStopping: patience must be >= 1, got {self.patience}")
        if self.min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {self.min_delta}")


@dataclass
class History:
    """Per-epoch losses and metrics of a `fit` run."""
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    val_metrics: dict[str, list[float]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    stop_reason: str = ""
    seed: int | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict[str, Any]:
        return {"train_loss": self.train_loss, "val_loss": self.val_loss, "metrics": self.metrics,
                "val_metrics": self.val_metrics, "lr": self.lr, "best_epoch": self.best_epoch,
                "stop_reason": self.stop_reason, "epochs": self.epochs, "seed": self.seed}

    def save_json(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump(self.to_dict(), f, indent=1)

    def save_csv(self, path: str) -> None:
        cols: dict[str, list[float]] = {"train_loss": self.train_loss}
        if self.val_loss:
            cols["val_loss"] = self.val_loss
        cols.update({f"train_{k}": v for k, v in self.metrics.items()})
        cols.update({f"val_{k}": v for k, v in self.val_metrics.items()})
        cols["lr"] = self.lr
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["epoch", *cols])
            for i in range(self.epochs):
                w.writerow([i + 1, *(c[i] if i < len(c) else "" for c in cols.values())])

    def _repr_html_(self) -> str:
        """Jupyter: the final numbers as a table, and the loss curves (log scale) beside it."""
        from nn.display import html_table, loss_curve_svg
        rows: list[tuple[str, Any]] = [("epochs", self.epochs), ("stop", self.stop_reason or "—"),
                                       ("best epoch", "—" if self.best_epoch is None else self.best_epoch)]
        rows += [(f"train {k}", f"{v[-1]:.6g}") for k, v in [("loss", self.train_loss), *self.metrics.items()] if v]
        rows += [(f"validation {k}", f"{v[-1]:.6g}") for k, v in [("loss", self.val_loss),
                                                                    *self.val_metrics.items()] if v]
        curves = [("train", self.train_loss, "#1f77b4")] + ([("validation", self.val_loss, "#ff7f0e")]
                                                           if self.val_loss else [])
        table = html_table(("History", ""), rows, right=(1,))
        return (f'<div style="display:flex;gap:16px;align-items:flex-start">{table}'
                f'{loss_curve_svg(curves)}</div>')

    def __repr__(self) -> str:
        last = f"train_loss={self.train_loss[-1]:.6g}" if self.train_loss else "empty"
        if self.val_loss:
            last += f", val_loss={self.val_loss[-1]:.6g}"
        return f"History(epochs={self.epochs}, {last}, best_epoch={self.best_epoch}, stop={self.stop_reason!r})"


def _as_array(x: Any, what: str, fn: str) -> np.ndarray:
    arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    if arr.size == 0 or arr.shape[0] == 0:
        raise ValueError(f"{fn}: {what} is empty")
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {what} must be numeric, got dtype {arr.dtype}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError(f"{fn}: {what} contains {int((~np.isfinite(arr)).sum())} NaN/inf value(s)")
    return arr


def _check_xy(X: Any, y: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = _as_array(X, "X", fn), _as_array(y, "y", fn)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"{fn}: X has {X.shape[0]} rows but y has {y.shape[0]}")
    return X, y


def _metric_fns(metrics: Sequence[str | Callable] | None) -> dict[str, Callable]:
    from nn import metrics as M
    out: dict[str, Callable] = {}
    for m in metrics or ():
        if callable(m):
            out[getattr(m, "__name__", "metric")] = m
        elif hasattr(M, m) and m in ("accuracy", "mse", "r2"):
            out[m] = getattr(M, m)
        else:
            raise ValueError(f"fit: unknown metric {m!r}; expected 'accuracy', 'mse', 'r2' or a callable")
    return out


def predict(model: Module, X: Any, batch_size: int | None = None) -> np.ndarray:
    """The model's output for X as an ndarray, in eval mode and without a graph."""
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            X = np.asarray(X.data if isinstance(X, Tensor) else X)
            if batch_size is None:
                return model(X).data
            return np.concatenate([model(X[i:i + batch_size]).data for i in range(0, len(X), batch_size)])
    finally:
        model.train(was_training)


def evaluate(model: Module, X: Any, y: Any, loss: Any, metrics: Sequence[str | Callable] | None = None
             ) -> dict[str, float]:
    """{'loss': …, metric: …} of the model on (X, y), without a graph."""
    from nn.losses import get_loss
    X, y = _check_xy(X, y, "evaluate")
    loss_fn = loss_for_model(model, get_loss(loss), "evaluate")
    out = predict(model, X)
    with no_grad():
        result = {"loss": float(loss_fn(Tensor(out), y).item())}
    for name, fn in _metric_fns(metrics).items():
        result[name] = float(fn(y, _metric_input(loss_fn, out)))
    return result


def _metric_input(loss_fn: Any, out: np.ndarray) -> np.ndarray:
    """Metrics see probabilities: logits from a with-logits loss go through the sigmoid."""
    from nn.losses import BCEWithLogitsLoss
    from autograd.ops import sigmoid
    return sigmoid(out) if isinstance(loss_fn, BCEWithLogitsLoss) else out


def _progress(epochs: int, enabled: bool):
    if not enabled or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=epochs, unit="epoch", leave=False)


def fit(model: Module, X: Any, y: Any, loss: Any, optimizer: Optimizer, epochs: int,
        batch_size: int | None = None, validation: tuple[Any, Any] | None = None,
        validation_fraction: float | None = None, early_stopping: EarlyStopping | int | None = None,
        scheduler: LRScheduler | None = None, metrics: Sequence[str | Callable] | None = None,
        progress: bool = True, seed: int | None = None, shuffle: bool = True,
        callback: Callable[[int, History], None] | None = None) -> History:
    """Train `model` on (X, y) for `epochs` epochs and return the `History`.

    Validation data comes from `validation=(X_val, y_val)` or a held-out
    `validation_fraction` (split with `seed`). Early stopping monitors the
    validation loss (the training loss without validation). If the loss or a
    gradient stops being finite, raises FloatingPointError and leaves the
    model with its last finite weights. `callback(epoch, history)` runs after
    every epoch (the CLI prints progress lines with it).
    """
    from nn import data as D
    from nn.losses import get_loss
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"fit: batch_size must be a positive integer or None, got {batch_size!r}")
    X, y = _check_xy(X, y, "fit")
    if validation is not None and validation_fraction is not None:
        raise ValueError("fit: pass validation=(X_val, y_val) or validation_fraction, not both")
    if validation_fraction is not None:
        if not 0 < validation_fraction < 1:
            raise ValueError(f"fit: validation_fraction must lie in (0, 1), got {validation_fraction}")
        n_val = int(round(len(X) * validation_fraction))
        if n_val < 1 or n_val >= len(X):
            raise ValueError(f"fit: validation_fraction={validation_fraction} of {len(X)} rows leaves "
                             f"{n_val} validation rows; need at least 1 in each part")
        X, X_val, y, y_val = D.train_test_split(X, y, test_size=n_val, seed=seed)
        validation = (X_val, y_val)
    if validation is not None:
        X_val, y_val = _check_xy(*validation, "fit (validation)")
    if early_stopping is True:
        early_stopping = EarlyStopping()
    elif isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=early_stopping)
    loss_fn = loss_for_model(model, get_loss(loss))   # e.g. softmax output + cross-entropy: probabilities
    metric_fns = _metric_fns(metrics)
    # Bad targets (labels out of range, shapes) or a wrong feature count fail now, before any update
    # (a full batch would fail at its first step anyway; a later mini-batch or validation would not).
    if batch_size is not None and batch_size < len(X):
        evaluate(model, X, y, loss_fn)
    if validation is not None:
        evaluate(model, X_val, y_val, loss_fn)
    hist = History(seed=seed)
    best, best_state, bad_epochs = math.inf, None, 0
    rng = np.random.default_rng(seed)
    params = model.parameters()
    last_finite = [p.data.copy() for p in params]  # restored if an update overflows
    bar = _progress(epochs, progress)
    model.train()
    try:
        for epoch in range(1, epochs + 1):
            total, count = 0.0, 0
            for step, (xb, yb) in enumerate(D.batches(X, y, batch_size, shuffle=shuffle and batch_size is not None,
                                                      rng=rng), start=1):
                optimizer.zero_grad()
                out = loss_fn(model(xb), yb)
                value = float(out.data)
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"fit: loss became {value} at epoch {epoch}, step {step}; the model keeps its last "
                        "finite weights. Try a smaller learning rate or standardised inputs.")
                out.backward(retain_grads=False)   # nobody looks at intermediate gradients here
                for p in params:
                    if p.grad is not None and not np.isfinite(p.grad).all():
                        raise FloatingPointError(
                            f"fit: a gradient became non-finite at epoch {epoch}, step {step}; the model keeps "
                            "its last finite weights. Try a smaller learning rate or standardised inputs.")
                for p, saved in zip(params, last_finite):
                    np.copyto(saved, p.data)
                optimizer.step()
                if not all(np.isfinite(p.data).all() for p in params):
                    for p, saved in zip(params, last_finite):
                        p.data = saved.copy()
                    raise FloatingPointError(
                        f"fit: the update at epoch {epoch}, step {step} made a weight non-finite (loss was "
                        f"{value:.6g}); the model keeps its last finite weights. Try a smaller learning rate "
                        "or standardised inputs.")
                total += value * len(xb)
                count += len(xb)
            hist.train_loss.append(total / count)
            hist.lr.append(optimizer.lr)
            if metric_fns:
                train_out = predict(model, X)
                for name, fn in metric_fns.items():
                    hist.metrics.setdefault(name, []).append(float(fn(y, _metric_input(loss_fn, train_out))))
            monitored = hist.train_loss[-1]
            if validation is not None:
                ev = evaluate(model, X_val, y_val, loss_fn, list(metric_fns.values()))
                hist.val_loss.append(ev.pop("loss"))
                for name, v in ev.items():
                    hist.val_metrics.setdefault(name, []).append(v)
                monitored = hist.val_loss[-1]
            if monitored < best - (early_stopping.min_delta if early_stopping else 0.0):
                best, bad_epochs, hist.best_epoch = monitored, 0, epoch
                if early_stopping and early_stopping.restore_best:
                    best_state = model.state_dict()
            else:
                bad_epochs += 1
            if scheduler is not None:
                scheduler.step()
            if bar is not None:
                bar.update(1)
                bar.set_postfix(loss=f"{hist.train_loss[-1]:.4g}",
                                **({"val": f"{hist.val_loss[-1]:.4g}"} if hist.val_loss else {}))
            if callback is not None:
                callback(epoch, hist)
            if early_stopping and bad_epochs >= early_stopping.patience:
                hist.stop_reason = (f"early stopping: no improvement for {early_stopping.patience} epochs "
                                    f"(best epoch {hist.best_epoch})")
                if best_state is not None:
                    model.load_state_dict(best_state)
                break
        else:
            hist.stop_reason = f"completed {epochs} epochs"
    finally:
        if bar is not None:
            bar.close()
    return hist
