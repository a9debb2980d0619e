"""The training loop: `fit` → `History`, with validation, early stopping and schedules."""
from __future__ import annotations

import csv
import json
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from autograd import Tensor, no_grad
from nn import checks
from nn.module import Module
from nn.output_loss import loss_for_model, output_activation, probabilities
from nn.registry import loss_of_module
from nn.optim import LRScheduler, Optimizer


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


def _check_xy(X: Any, y: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    X, y = checks.rows(X, "X", fn), checks.rows(y, "y", fn)
    checks.same_rows(X, y, fn)
    return X, y


def _metric_fns(metrics: Sequence[str | Callable] | None) -> dict[str, Callable]:
    from nn import metrics as M
    out: dict[str, Callable] = {}
    for m in metrics or ():
        if callable(m):
            out[getattr(m, "__name__", "metric")] = m
        elif m in M.__all__:
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
    return _evaluate(model, X, y, loss_for_model(model, get_loss(loss), "evaluate"), _metric_fns(metrics))


def _evaluate(model: Module, X: np.ndarray, y: np.ndarray, loss_fn: Any, metric_fns: dict[str, Callable]
              ) -> dict[str, float]:
    """`evaluate` on data already checked, with a loss already fitted to the model (fit, each epoch)."""
    out = predict(model, X)
    with no_grad():
        loss = float(loss_fn(Tensor(out), y).item())
    return {"loss": loss, **_scores(model, loss_fn, metric_fns, y, out)}


def _scores(model: Module, loss_fn: Any, metric_fns: dict[str, Callable], y: np.ndarray, out: np.ndarray
            ) -> dict[str, float]:
    """Each metric of the outputs `out`. Metrics see probabilities: logits go through the
    sigmoid/softmax the loss says (nn.registry)."""
    if not metric_fns:
        return {}
    name = loss_of_module(loss_fn)
    scores = out if name is None else probabilities(out, output_activation(model), name)
    return {metric: float(fn(y, scores)) for metric, fn in metric_fns.items()}


# -- the loop ------------------------------------------------------------------------------------
@dataclass
class Run:
    """What `fit` hands its callbacks: the model, optimizer, loss and data, the `History` so far,
    the current epoch and step. A callback stops training by setting `stop_reason`."""
    model: Module
    optimizer: Optimizer
    loss_fn: Any
    X: np.ndarray
    y: np.ndarray
    validation: tuple[np.ndarray, np.ndarray] | None
    metric_fns: dict[str, Callable]
    history: History
    epochs: int
    epoch: int = 0
    step: int = 0
    stop_reason: str = ""


class Callback:
    """Hooks `fit` calls; subclass, override what you need and pass `fit(..., callbacks=[...])`.

    `on_train_begin(run)` once; per step `before_update(run, loss)` (after
    backward, before `optimizer.step()`) and `after_update(run, loss)`;
    `on_epoch_end(run)` when the epoch's losses are in `run.history` (set
    `run.stop_reason` to stop); `on_train_end(run)` at the end, also after an
    error. fit's own guards, metrics, early stopping and progress bar are
    callbacks too, and run before yours.
    """

    def on_train_begin(self, run: Run) -> None:
        pass

    def before_update(self, run: Run, loss: float) -> None:
        pass

    def after_update(self, run: Run, loss: float) -> None:
        pass

    def on_epoch_end(self, run: Run) -> None:
        pass

    def on_train_end(self, run: Run) -> None:
        pass


_ADVICE = "the model keeps its last finite weights. Try a smaller learning rate or standardised inputs."


class TrainingDiverged(FloatingPointError):
    """Raised by `FiniteGuard`: `what` became non-finite (e.g. "loss became nan") at `epoch`, `step`."""

    def __init__(self, message: str, what: str, epoch: int, step: int) -> None:
        super().__init__(message)
        self.what, self.epoch, self.step = what, epoch, step


class FiniteGuard(Callback):
    """Raise `TrainingDiverged` as soon as the loss, a gradient, or a weight after an update is
    not finite, leaving the model and the optimizer as they were before that update.

    Per step: one look at the loss, one finiteness check of the gradients (before the update,
    so a NaN never reaches the weights or the optimizer's moments), one copy of the weights and
    one check of the updated weights (an overflowing update is undone from the copy).
    """

    def on_train_begin(self, run: Run) -> None:
        self.params = run.model.parameters()
        self.saved = [p.data.copy() for p in self.params]

    def before_update(self, run: Run, loss: float) -> None:
        where = f"epoch {run.epoch}, step {run.step}"
        if not math.isfinite(loss):
            self._stop(run, f"the loss became {loss}", f"loss became {loss} at {where}")
        if not all(p.grad is None or np.isfinite(p.grad).all() for p in self.params):
            self._stop(run, "a gradient became non-finite", f"a gradient became non-finite at {where}")
        for p, saved in zip(self.params, self.saved):
            np.copyto(saved, p.data)

    def after_update(self, run: Run, loss: float) -> None:
        if all(np.isfinite(p.data).all() for p in self.params):
            return
        for p, saved in zip(self.params, self.saved):
            np.copyto(p.data, saved)
        self._stop(run, "a weight became non-finite", f"the update at epoch {run.epoch}, step {run.step} made "
                                                      f"a weight non-finite (loss was {loss:.6g})")

    @staticmethod
    def _stop(run: Run, what: str, message: str) -> None:
        raise TrainingDiverged(f"fit: {message}; {_ADVICE}", what, run.epoch, run.step)


class Metrics(Callback):
    """After each epoch: the training metrics, and the validation loss and metrics, into the history."""

    def on_epoch_end(self, run: Run) -> None:
        hist = run.history
        if run.metric_fns:
            out = predict(run.model, run.X)
            for name, v in _scores(run.model, run.loss_fn, run.metric_fns, run.y, out).items():
                hist.metrics.setdefault(name, []).append(v)
        if run.validation is not None:
            ev = _evaluate(run.model, *run.validation, run.loss_fn, run.metric_fns)
            hist.val_loss.append(ev.pop("loss"))
            for name, v in ev.items():
                hist.val_metrics.setdefault(name, []).append(v)


@dataclass
class EarlyStopping(Callback):
    """Stop when the monitored loss has not improved by `min_delta` for `patience` epochs;
    with `restore_best`, put back the weights of the best epoch.

    The monitored loss is the validation loss, or the training loss without
    validation. `fit` always records `history.best_epoch` this way (with
    `patience=None`: never stop).
    """
    patience: int | None = 10
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self) -> None:
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"EarlyStopping: patience must be >= 1, got {self.patience}")
        if self.min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {self.min_delta}")

    def on_train_begin(self, run: Run) -> None:
        self.best, self.bad_epochs, self.best_state, self.stopped = math.inf, 0, None, False

    def on_epoch_end(self, run: Run) -> None:
        hist = run.history
        monitored = (hist.val_loss or hist.train_loss)[-1]
        if monitored < self.best - self.min_delta:
            self.best, self.bad_epochs, hist.best_epoch = monitored, 0, run.epoch
            if self.restore_best and self.patience is not None:
                self.best_state = run.model.state_dict()
        else:
            self.bad_epochs += 1
        if self.patience is not None and self.bad_epochs >= self.patience:
            run.stop_reason = (f"early stopping: no improvement for {self.patience} epochs "
                               f"(best epoch {hist.best_epoch})")
            self.stopped = True

    def on_train_end(self, run: Run) -> None:
        if self.stopped and self.best_state is not None:
            run.model.load_state_dict(self.best_state)


class Progress(Callback):
    """A tqdm bar on an interactive stderr (nothing when tqdm is missing or stderr is a file)."""

    def on_train_begin(self, run: Run) -> None:
        self.bar = None
        if sys.stderr.isatty():
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=run.epochs, unit="epoch", leave=False)

    def on_epoch_end(self, run: Run) -> None:
        if self.bar is not None:
            hist = run.history
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{hist.train_loss[-1]:.4g}",
                                 **({"val": f"{hist.val_loss[-1]:.4g}"} if hist.val_loss else {}))

    def on_train_end(self, run: Run) -> None:
        if self.bar is not None:
            self.bar.close()


class ProgressLines(Callback):
    """Progress for logs, CI and pipes (where a bar would be noise): prints
    `epoch 50/500  loss 0.31  elapsed 1.2s  ETA 10.8s` about ten times a run and at
    least every 10 seconds. `mlpgrad train` uses it when stdout is not a terminal."""

    def on_train_begin(self, run: Run) -> None:
        self.every = max(1, run.epochs // 10)
        self.start = self.last = time.perf_counter()

    def on_epoch_end(self, run: Run) -> None:
        epoch, epochs, hist = run.epoch, run.epochs, run.history
        now = time.perf_counter()
        if not (epoch == 1 or epoch % self.every == 0 or epoch == epochs or now - self.last >= 10):
            return
        self.last = now
        elapsed = now - self.start
        val = f"  val_loss {hist.val_loss[-1]:.4g}" if hist.val_loss else ""
        print(f"epoch {epoch:>{len(str(epochs))}}/{epochs}  loss {hist.train_loss[-1]:.4g}{val}  "
              f"elapsed {_seconds(elapsed)}  ETA {_seconds(elapsed / epoch * (epochs - epoch))}", flush=True)


def _seconds(s: float) -> str:
    return f"{s:.1f}s" if s < 60 else f"{int(s // 60)}m{int(s % 60):02d}s"


class EveryEpoch(Callback):
    """Call `fn(epoch, history)` after every epoch (fit's `callback=`)."""

    def __init__(self, fn: Callable[[int, History], None]) -> None:
        self.fn = fn

    def on_epoch_end(self, run: Run) -> None:
        self.fn(run.epoch, run.history)


def train_step(run: Run, xb: Any, yb: Any, hooks: Sequence[Callback] = ()) -> float:
    """One optimizer step on a batch: forward, loss, backward, update; returns the loss."""
    run.optimizer.zero_grad()
    out = run.loss_fn(run.model(xb), yb)
    value = float(out.data)
    out.backward(retain_grads=False)   # nobody looks at intermediate gradients here
    for cb in hooks:
        cb.before_update(run, value)
    run.optimizer.step()
    for cb in hooks:
        cb.after_update(run, value)
    return value


def _validation(X: np.ndarray, y: np.ndarray, validation: tuple[Any, Any] | None,
                validation_fraction: float | None, seed: int | None) -> tuple[np.ndarray, ...]:
    """(X, y, X_val, y_val): the given validation data, or a held-out fraction of (X, y)."""
    from nn import data as D
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
        return X, y, X_val, y_val
    if validation is not None:
        return (X, y, *_check_xy(*validation, "fit (validation)"))
    return X, y, None, None


def _callbacks(early_stopping: EarlyStopping | int | bool | None, progress: bool,
               callback: Callable[[int, History], None] | None, callbacks: Sequence[Callback]) -> list[Callback]:
    """fit's own callbacks, in order, then the user's."""
    if early_stopping is True:
        early_stopping = EarlyStopping()
    elif isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping(patience=early_stopping)
    monitor = early_stopping or EarlyStopping(patience=None)   # records best_epoch either way
    own: list[Callback] = [FiniteGuard(), Metrics(), monitor]
    own += [Progress()] if progress else []
    own += [EveryEpoch(callback)] if callback is not None else []
    return own + list(callbacks)


def fit(model: Module, X: Any, y: Any, loss: Any, optimizer: Optimizer, epochs: int,
        batch_size: int | None = None, validation: tuple[Any, Any] | None = None,
        validation_fraction: float | None = None, early_stopping: EarlyStopping | int | None = None,
        scheduler: LRScheduler | None = None, metrics: Sequence[str | Callable] | None = None,
        progress: bool = True, seed: int | None = None, shuffle: bool = True,
        callback: Callable[[int, History], None] | None = None, callbacks: Sequence[Callback] = ()
        ) -> History:
    """Train `model` on (X, y) for `epochs` epochs and return the `History`.

    Validation data comes from `validation=(X_val, y_val)` or a held-out
    `validation_fraction` (split with `seed`). Early stopping monitors the
    validation loss (the training loss without validation). If the loss, a
    gradient or an updated weight stops being finite, raises `TrainingDiverged`
    (a FloatingPointError) and leaves the model with its last finite weights.
    `callback(epoch, history)` runs after every epoch (the CLI prints progress
    lines with it); `callbacks` are `Callback` objects with hooks per step and
    per epoch (see `Callback`).
    """
    from nn import data as D
    run = _run(model, X, y, loss, optimizer, epochs, batch_size, validation, validation_fraction, metrics, seed)
    cbs = _callbacks(early_stopping, progress, callback, callbacks)
    hooks = [cb for cb in cbs if type(cb).before_update is not Callback.before_update
             or type(cb).after_update is not Callback.after_update]
    rng = np.random.default_rng(seed)
    model.train()
    try:
        for cb in cbs:
            cb.on_train_begin(run)
        for run.epoch in range(1, epochs + 1):
            batches = D.batches(run.X, run.y, batch_size, shuffle=shuffle and batch_size is not None, rng=rng)
            run.history.train_loss.append(_epoch(run, batches, hooks))
            run.history.lr.append(optimizer.lr)
            if scheduler is not None:
                scheduler.step()
            for cb in cbs:
                cb.on_epoch_end(run)
            if run.stop_reason:
                break
        else:
            run.stop_reason = f"completed {epochs} epochs"
    finally:
        for cb in cbs:
            cb.on_train_end(run)
    run.history.stop_reason = run.stop_reason
    return run.history


def _run(model: Module, X: Any, y: Any, loss: Any, optimizer: Optimizer, epochs: int, batch_size: int | None,
         validation: tuple[Any, Any] | None, validation_fraction: float | None,
         metrics: Sequence[str | Callable] | None, seed: int | None) -> Run:
    """fit's arguments checked once, as the `Run` its callbacks see."""
    from nn.losses import get_loss
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    if batch_size is not None and (not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"fit: batch_size must be a positive integer or None, got {batch_size!r}")
    X, y, X_val, y_val = _validation(*_check_xy(X, y, "fit"), validation, validation_fraction, seed)
    loss_fn = loss_for_model(model, get_loss(loss))   # e.g. softmax output + cross-entropy: probabilities
    run = Run(model, optimizer, loss_fn, X, y, None if X_val is None else (X_val, y_val), _metric_fns(metrics),
              History(seed=seed), epochs)
    # Bad targets (labels out of range, shapes) or a wrong feature count fail now, before any update
    # (a full batch would fail at its first step anyway; a later mini-batch or validation would not).
    if batch_size is not None and batch_size < len(X):
        _evaluate(model, X, y, loss_fn, {})
    if run.validation is not None:
        _evaluate(model, *run.validation, loss_fn, {})
    return run


def _epoch(run: Run, batches: Any, hooks: Sequence[Callback]) -> float:
    """One pass over the batches; the epoch's loss, the row-weighted mean of the batch losses."""
    total = count = 0
    for run.step, (xb, yb) in enumerate(batches, start=1):
        total += train_step(run, xb, yb, hooks) * len(xb)
        count += len(xb)
    return total / count
