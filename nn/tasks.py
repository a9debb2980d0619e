"""What a dataset asks for: its task, the targets each loss wants, and the preprocessing saved with a model.

A target column is a *classification* target when it holds a few integer
values (2 to `MAX_CLASSES` distinct ones, e.g. 0/1/2 or 1..5): two classes
make a binary task, more a multi-class one. Anything else is regression.
`--task classify|regress` overrides the guess. Class values are kept in
`classes` (label i means `classes[i]`), so labels 1/2/3 or -1/1 work too.

`Preprocessing` records how raw inputs become the network's inputs (the
standardizer's mean and scale) and how its outputs become predictions (the
target's scale for regression, the class values for classification); it is
saved inside the model's `.npz` (in the JSON config, no pickle), so
`mlpgrad predict MODEL CSV` applies a saved model to new raw data.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

__all__ = ["TASKS", "MAX_CLASSES", "LOSSES_FOR_TASK", "DEFAULT_LOSS", "Dataset", "detect_task",
           "Preprocessing", "save_model", "load_model"]

TASKS = ("binary", "multiclass", "regression")
MAX_CLASSES = 20
LOSSES_FOR_TASK = {"binary": ("bce", "bce_with_logits", "cross_entropy", "mse", "l1", "half_sse"),
                   "multiclass": ("cross_entropy",),
                   "regression": ("mse", "l1", "half_sse")}
DEFAULT_LOSS = {"binary": "bce", "multiclass": "cross_entropy", "regression": "mse"}
PREPROCESSING_KEY = "preprocessing"


def detect_task(values: np.ndarray, requested: str = "auto") -> tuple[str, list[float] | None]:
    """(task, class values) for a 1-D target column; `requested` is auto, classify or regress."""
    distinct = np.unique(values)
    integer = bool(np.all(distinct == np.round(distinct)))
    if requested == "regress":
        return "regression", None
    if requested == "classify":
        if not integer:
            bad = distinct[distinct != np.round(distinct)][0]
            raise ValueError(f"--task classify needs integer class labels, got the value {bad:g}; "
                             "expected whole numbers such as 0, 1, 2")
        if len(distinct) < 2:
            raise ValueError(f"--task classify needs at least 2 classes, got only the value {distinct[0]:g}")
    elif not (integer and 2 <= len(distinct) <= MAX_CLASSES):
        return "regression", None
    return ("binary" if len(distinct) == 2 else "multiclass"), distinct.tolist()


@dataclass
class Dataset:
    """Inputs and target of one problem; `target` is (n, 1) floats (regression) or (n,) int labels."""
    name: str
    X: np.ndarray
    target: np.ndarray
    task: str
    features: list[str]
    target_name: str
    classes: list[float] | None = None

    @classmethod
    def from_columns(cls, name: str, X: np.ndarray, y: np.ndarray, features: Sequence[str], target_name: str,
                     task: str = "auto") -> "Dataset":
        """A dataset from a feature matrix and a raw target column, detecting (or checking) the task."""
        kind, classes = detect_task(y.reshape(-1), task)
        if classes is None:
            return cls(name, X, y.reshape(-1, 1).astype(np.float64), kind, list(features), target_name)
        labels = np.searchsorted(np.asarray(classes), y.reshape(-1)).astype(np.int64)
        return cls(name, X, labels, kind, list(features), target_name, classes)

    @property
    def n_classes(self) -> int:
        return len(self.classes) if self.classes is not None else 0

    def targets_for(self, loss: str) -> tuple[np.ndarray, int]:
        """(y in the form `loss` takes, number of network outputs it needs)."""
        if self.task == "regression":
            return self.target, 1
        if loss == "cross_entropy":
            return self.target, self.n_classes
        return self.target.reshape(-1, 1).astype(np.float64), 1

    def chance_accuracy(self) -> float:
        """Accuracy of always predicting the most frequent class."""
        return float(np.bincount(self.target).max() / len(self.target))


@dataclass
class Preprocessing:
    """How raw columns become network inputs and network outputs become predictions."""
    task: str
    loss: str
    features: list[str]
    target: str
    classes: list[float] | None = None
    x_mean: list[float] | None = None
    x_scale: list[float] | None = None
    y_mean: list[float] | None = None
    y_scale: list[float] | None = None

    @classmethod
    def fit(cls, data: Dataset, loss: str, standardize: bool) -> "Preprocessing":
        """Standardize the inputs (and a regression target) when asked, from `data`'s statistics."""
        from nn.data import Standardizer
        prep = cls(data.task, loss, data.features, data.target_name, data.classes)
        if standardize:
            sx = Standardizer().fit(data.X)
            prep.x_mean, prep.x_scale = sx.mean_.tolist(), sx.scale_.tolist()
            if data.task == "regression":
                sy = Standardizer().fit(data.target)
                prep.y_mean, prep.y_scale = sy.mean_.tolist(), sy.scale_.tolist()
        return prep

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """Raw features → network inputs."""
        if self.x_mean is None:
            return X
        X = X - np.asarray(self.x_mean)
        X /= np.asarray(self.x_scale)  # in place: no third copy of a big table
        return X

    def targets(self, y: np.ndarray) -> np.ndarray:
        """Targets in the form the network is trained on (a regression target standardized)."""
        if self.task != "regression" or self.y_mean is None:
            return y
        return (y - np.asarray(self.y_mean)) / np.asarray(self.y_scale)

    def outputs(self, out: np.ndarray) -> np.ndarray:
        """Network outputs → regression values in the target's units (classification: unchanged)."""
        if self.task != "regression" or self.y_mean is None:
            return out
        return out * np.asarray(self.y_scale) + np.asarray(self.y_mean)

    def predict(self, out: np.ndarray, activation: str | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """(predictions in the target's own values, class probabilities or None) from network outputs;
        `activation` is the output layer's (a sigmoid/softmax layer already gives probabilities)."""
        from nn.output_loss import probabilities
        if self.task == "regression":
            return self.outputs(out).reshape(-1), None
        p = probabilities(out, activation, self.loss)
        if p.shape[1] == 1:
            p = np.clip(p[:, 0], 0.0, 1.0)  # mse/l1 outputs are scores near 0/1
            p = np.column_stack([1.0 - p, p])
        return np.asarray(self.classes)[p.argmax(axis=1)], p

    def folded(self, model: Any) -> Any:
        """A copy of an `nn.MLP` that takes raw columns (and, for regression, answers in the
        target's units): the standardization folded exactly into its first and last linear
        layers, x' = (x − μ)/s ⇒ W' = W/s, b' = b − W'μ. What `--export-onnx` writes."""
        import copy
        out = copy.deepcopy(model)
        first, last = out.layers[0], out.layers[-1]
        if self.x_mean is not None:
            scale = np.asarray(self.x_scale, first.weight.dtype)
            first.weight.data = first.weight.data / scale
            if first.bias is not None:
                first.bias.data = first.bias.data - first.weight.data @ np.asarray(self.x_mean, first.weight.dtype)
        if self.task == "regression" and self.y_mean is not None and out.activation_names[-1] == "identity":
            ys, ym = np.asarray(self.y_scale, last.weight.dtype), np.asarray(self.y_mean, last.weight.dtype)
            last.weight.data = last.weight.data * ys[:, None]
            if last.bias is not None:
                last.bias.data = last.bias.data * ys + ym
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Preprocessing":
        known = {k: d[k] for k in cls.__dataclass_fields__ if k in d}
        return cls(**known)


def save_model(model: Any, path: str, prep: Preprocessing) -> str:
    """Write `model` (an `nn.MLP`) and `prep` to one `.npz` atomically; `nn.load_model` still reads it."""
    from nn.module import save_npz
    return save_npz(path, model.state_dict(), {**model.config(), PREPROCESSING_KEY: prep.to_dict()})


def load_model(path: str) -> tuple[Any, Preprocessing | None]:
    """(model, preprocessing) from a `.npz` written by `save_model` (preprocessing None for `model.save` files)."""
    import nn
    from nn.module import npz_path, read_config
    path = npz_path(path)
    model = nn.load_model(path)
    prep = read_config(path).get(PREPROCESSING_KEY)
    return model, (Preprocessing.from_dict(prep) if prep else None)
