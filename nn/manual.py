r"""Hand-derived backpropagation for a multi-layer perceptron, in plain NumPy.

This module is the *independent witness* that the autograd engine is checked
against.  It never imports ``autograd`` or ``Tensor``: every derivative below is
written out by hand, the way the seeds derive them on paper.

Conventions (PyTorch's layout)
------------------------------
* Arrays are ``(batch m, features)``.
* Layer ``l`` (0-based index in code, ``l + 1`` in the seeds' notation) has a
  weight ``W`` of shape ``(out, in)`` and a bias ``b`` of shape ``(out,)`` or no
  bias at all (``None``)::

      z^l = a^{l-1} @ W^l.T + b^l          a^l = act_l(z^l)          a^0 = X

  The seeds' column-major ``z = W a + b`` is the transpose of this.

Losses (mean reduction, exactly PyTorch's definitions)
------------------------------------------------------
For a batch of ``m`` samples with ``k`` outputs::

    mse              L = 1/(m k) Σ_i Σ_j (a_ij − y_ij)²                 (nn.MSELoss)
    half_sse         E = ½ Σ_i Σ_j (y_ij − a_ij)²                       (seed 001)
    bce              L = 1/(m k) Σ −[y log a + (1 − y) log(1 − a)]     (nn.BCELoss,
                                               logs clamped at −100 like torch)
    bce_with_logits  bce applied to sigmoid(z), computed stably        (nn.BCEWithLogitsLoss)
    cross_entropy    L = 1/m Σ_i −Σ_j y_ij log softmax(z_i)_j          (nn.CrossEntropyLoss)

``half_sse`` is a *sum* over samples as well as outputs: seed 001 writes
``E = ½ Σ (y − ŷ)²`` and its XOR code accumulates the weight update over the
batch without dividing by ``m`` (``np.dot(hidden.T, output_delta)``), which is
exactly the gradient of that sum.  With a single sample (both of seed 001's
numerical examples) the distinction does not matter.

The δ convention
----------------
Every loss above is ``L = c · Σ_i ℓ_i`` — a per-sample loss ``ℓ_i`` times a batch
factor ``c`` (``c = 1/m`` for the mean losses, ``c = 1`` for ``half_sse``).  The
seeds reason per sample, so we store

    δ^l_i = ∂ℓ_i / ∂z^l_i        (i.e. δ^l = m · ∂L/∂z^l for the mean losses)

and then

    output layer   δ^L = ∂ℓ/∂a^L ⊙ σ'(z^L)                (general chain rule)
                   δ^L = (a^L − y) / k                     (sigmoid + bce: the shortcut)
                   δ^L = (sigmoid(z^L) − y) / k            (bce_with_logits)
                   δ^L = softmax(z^L) − y                  (softmax/logits + cross entropy)
    hidden layers  δ^l = (δ^{l+1} @ W^{l+1}) ⊙ σ'(z^l)
    gradients      ∂L/∂W^l = c · δ^lᵀ @ a^{l−1}            (= δᵀa / m for the mean losses)
                   ∂L/∂b^l = c · Σ_i δ^l_i

The ``1/k`` of ``mse`` and ``bce`` (they average over outputs too) lives in
``ℓ_i``, so the gradients are the true gradients of the loss PyTorch computes.
For one sigmoid output and bce, ``k = 1`` and the shortcut is the seeds'
``δ^L = a^L − y``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "ManualGrads",
    "ManualMLP",
    "activate",
    "activation_derivative",
    "identity",
    "leaky_relu",
    "relu",
    "sigmoid",
    "softmax",
    "log_softmax",
    "tanh",
]

# Names come from the one registry of nn (plain Python, no autograd): its rows say which losses
# have a hand-derived counterpart here and which output activations each loss can read.
from nn import registry as _registry  # noqa: E402
from nn.output_loss import OUTPUT_ACTIVATIONS as _OUTPUT_ACTIVATIONS  # noqa: E402

ACTIVATIONS: tuple[str, ...] = tuple(_registry.ACTIVATIONS)
"""Activation names understood by :class:`ManualMLP`."""

LOSSES: tuple[str, ...] = _registry.MANUAL_LOSSES
"""Loss names understood by :class:`ManualMLP`."""

# Mean-reduction losses divide by the batch size; half_sse is a plain sum.
_SUM_LOSSES = ("half_sse",)

# torch.nn.BCELoss clamps its log terms at -100 so that log(0) never appears.
_BCE_LOG_FLOOR = -100.0


# ----------------------------------------------------------------------------
# Activation functions and their derivatives
# ----------------------------------------------------------------------------


def sigmoid(z: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid σ(z) = 1 / (1 + e^{−z}), computed without overflow.

    ``e^{−z}`` overflows for z ≲ −710, so both branches use ``e^{−|z|} ≤ 1``::

        z ≥ 0:  σ(z) = 1 / (1 + e^{−|z|})
        z < 0:  σ(z) = e^{−|z|} / (1 + e^{−|z|})      (same value, rearranged)
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(z: np.ndarray) -> np.ndarray:
    r"""tanh(z) = (e^z − e^{−z}) / (e^z + e^{−z});  tanh'(z) = 1 − tanh²(z)."""
    return np.tanh(z)


def relu(z: np.ndarray) -> np.ndarray:
    r"""ReLU(z) = max(0, z);  ReLU'(z) = 1 if z > 0 else 0 (so ReLU'(0) = 0, like torch)."""
    return np.maximum(z, 0)


def leaky_relu(z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    r"""LeakyReLU(z) = z if z > 0 else s·z;  derivative 1 if z > 0 else s."""
    return np.where(z > 0, z, negative_slope * z)


def identity(z: np.ndarray) -> np.ndarray:
    r"""identity(z) = z;  derivative 1."""
    return z


def log_softmax(z: np.ndarray) -> np.ndarray:
    r"""Row-wise log softmax: log softmax(z)_j = z_j − max(z) − log Σ_k e^{z_k − max(z)}."""
    shifted = z - np.max(z, axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def softmax(z: np.ndarray) -> np.ndarray:
    r"""Row-wise softmax(z)_j = e^{z_j} / Σ_k e^{z_k} (max subtracted first: no overflow).

    Its Jacobian is ∂a_j/∂z_i = a_j (1[i = j] − a_i), so for an upstream gradient
    g = ∂ℓ/∂a the chain rule gives ∂ℓ/∂z = a ⊙ (g − Σ_j g_j a_j).
    """
    shifted = z - np.max(z, axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=1, keepdims=True)


def activate(name: str, z: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
    """Apply the activation called ``name`` to ``z`` (rows are samples)."""
    if name == "relu":
        return relu(z)
    if name == "leaky_relu":
        return leaky_relu(z, negative_slope)
    if name == "tanh":
        return tanh(z)
    if name == "sigmoid":
        return sigmoid(z)
    if name == "identity":
        return identity(z)
    if name == "softmax":
        return softmax(z)
    raise ValueError(f"activate: unknown activation {name!r}; expected one of {ACTIVATIONS}")


def activation_derivative(
    name: str, z: np.ndarray, a: np.ndarray, negative_slope: float = 0.01
) -> np.ndarray:
    r"""Element-wise derivative σ'(z), using the cached output a = σ(z) where handy.

    ==========  ======================================
    sigmoid     σ'(z) = σ(z)(1 − σ(z)) = a(1 − a)
    tanh        tanh'(z) = 1 − tanh²(z) = 1 − a²
    relu        1 if z > 0 else 0
    leaky_relu  1 if z > 0 else negative_slope
    identity    1
    ==========  ======================================

    softmax has no element-wise derivative (its Jacobian is a full matrix); the
    backward pass handles it separately.
    """
    if name == "sigmoid":
        return a * (1 - a)
    if name == "tanh":
        return 1 - a * a
    if name == "relu":
        return (z > 0).astype(z.dtype)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, negative_slope).astype(z.dtype)
    if name == "identity":
        return np.ones_like(z)
    if name == "softmax":
        raise ValueError("activation_derivative: softmax has a full Jacobian, not an element-wise derivative")
    raise ValueError(f"activation_derivative: unknown activation {name!r}; expected one of {ACTIVATIONS}")


# ----------------------------------------------------------------------------
# Result of a backward pass
# ----------------------------------------------------------------------------


@dataclass
class ManualGrads:
    r"""Everything the hand-derived backward pass computed.

    Indexing follows the code's 0-based layer index (the seeds' layer ``l + 1``):

    * ``grads``: ``{"layers.0.weight": ∂L/∂W, "layers.0.bias": ∂L/∂b, ...}`` keyed
      exactly like PyTorch's ``named_parameters()`` (layers without a bias have
      no bias key).
    * ``deltas[l]``: δ of layer ``l``, shape ``(m, out_l)``, per-sample
      convention δ_i = ∂ℓ_i/∂z_i (see the module docstring).
    * ``grad_outputs[l]``: per-sample ∂ℓ_i/∂a_i of layer ``l``'s output — for
      hidden layers that is ``deltas[l + 1] @ W^{l+1}``; for the output layer it
      is the loss derivative, or ``None`` when a shortcut skipped it.
    * ``activation_derivatives[l]``: σ'(z) of layer ``l``, or ``None`` where no
      element-wise derivative was used (a shortcut, or a softmax output).
    * ``zs[l]``: pre-activation of layer ``l``; ``activations[0]`` is the input X
      and ``activations[l + 1]`` the output of layer ``l``.
    * ``loss``: the loss value at the weights used.
    """

    loss: float
    grads: dict[str, np.ndarray]
    deltas: list[np.ndarray]
    grad_outputs: list[np.ndarray | None]
    activation_derivatives: list[np.ndarray | None]
    zs: list[np.ndarray]
    activations: list[np.ndarray]

    def __getitem__(self, name: str) -> np.ndarray:
        return self.grads[name]

    def keys(self):
        return self.grads.keys()


# ----------------------------------------------------------------------------
# The network
# ----------------------------------------------------------------------------


def _normalize_activation(name: Any, where: str) -> str:
    if name is None:
        return "identity"
    if not isinstance(name, str):
        raise ValueError(f"ManualMLP: {where}: activation must be a string, got {name!r}")
    key = _registry.activation_name(name)
    if key not in ACTIVATIONS:
        raise ValueError(f"ManualMLP: {where}: unknown activation {name!r}; expected one of {ACTIVATIONS}")
    return key


def _normalize_loss(loss: Any) -> str:
    """Accept a loss name, or (duck-typed) a loss module such as ``nn.MSELoss()``."""
    if isinstance(loss, str):
        key = _registry.loss_name(loss)
    else:
        reduction = getattr(loss, "reduction", "mean")
        if reduction != "mean":
            raise ValueError(
                f"ManualMLP: loss {type(loss).__name__} has reduction={reduction!r}; only 'mean' is "
                "supported (use loss='half_sse' for ½ Σ (y − a)²)"
            )
        key = _registry.loss_of_module(loss)
    if key not in LOSSES:
        raise ValueError(f"ManualMLP: unknown loss {loss!r}; expected one of {LOSSES}")
    return key


def _model_dtype(weights: list, biases: list, dtype: Any) -> np.dtype:
    """float32 only if asked for, or if every array given is float32; float64 otherwise."""
    if dtype is None:
        given = [w for w in weights] + [b for b in biases if b is not None]
        all_f32 = all(isinstance(x, np.ndarray) and x.dtype == np.float32 for x in given)
        dtype = np.float32 if all_f32 else np.float64
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"ManualMLP: dtype must be float32 or float64, got {dtype}")
    return dtype


def _copy_layers(weights: list, biases: list, dtype: np.dtype) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Copies of the weights and biases in `dtype`, checked: W (out, in), b (out,), in = previous out,
    all finite."""
    out_w: list[np.ndarray] = []
    out_b: list[np.ndarray | None] = []
    for l, (W, b) in enumerate(zip(weights, biases)):
        W = np.array(W, dtype=dtype, copy=True)
        if W.ndim != 2:
            raise ValueError(
                f"ManualMLP: layer {l} weight must be 2-D (out_features, in_features), got shape {_shape(W)}"
            )
        if l > 0:
            prev = out_w[l - 1]
            if W.shape[1] != prev.shape[0]:
                raise ValueError(
                    f"ManualMLP: layer {l} weight has shape {_shape(W)} but layer {l - 1} weight has "
                    f"shape {_shape(prev)}: layer {l} expects {W.shape[1]} input features, layer "
                    f"{l - 1} produces {prev.shape[0]}"
                )
        if not np.all(np.isfinite(W)):
            raise ValueError(f"ManualMLP: layer {l} weight contains NaN or inf")
        if b is not None:
            b = np.array(b, dtype=dtype, copy=True)
            if b.shape != (W.shape[0],):
                raise ValueError(
                    f"ManualMLP: layer {l} bias has shape {_shape(b)} but weight has shape "
                    f"{_shape(W)}; expected bias shape ({W.shape[0]},)"
                )
            if not np.all(np.isfinite(b)):
                raise ValueError(f"ManualMLP: layer {l} bias contains NaN or inf")
        out_w.append(W)
        out_b.append(b)
    return out_w, out_b


def _slopes(negative_slope: float | Sequence[float], n: int) -> list[float]:
    """One finite LeakyReLU slope per layer, from one number or one per layer."""
    if isinstance(negative_slope, (int, float, np.integer, np.floating)):
        slopes = [float(negative_slope)] * n
    else:
        slopes = [float(s) for s in negative_slope]
        if len(slopes) != n:
            raise ValueError(
                f"ManualMLP: got {len(slopes)} negative slopes for {n} layers; give one number or one per layer"
            )
    for l, s in enumerate(slopes):
        if not math.isfinite(s):
            raise ValueError(f"ManualMLP: layer {l}: negative_slope must be finite, got {s}")
    return slopes


def _shape(a: np.ndarray) -> tuple[int, ...]:
    return tuple(int(s) for s in a.shape)


class ManualMLP:
    r"""A multi-layer perceptron whose backward pass is written out by hand.

    Parameters
    ----------
    weights:
        ``weights[l]`` has shape ``(out_l, in_l)`` and ``in_{l+1} = out_l``.
    biases:
        ``biases[l]`` has shape ``(out_l,)``, or is ``None`` for a layer without bias.
    activations:
        One name per layer: ``"relu"``, ``"leaky_relu"``, ``"tanh"``, ``"sigmoid"``,
        ``"identity"`` or ``"softmax"`` (output layer only).
    loss:
        ``"mse"``, ``"half_sse"``, ``"bce"`` (sigmoid output), ``"bce_with_logits"``
        (identity output), ``"cross_entropy"`` (identity = logits, or softmax output).
    negative_slope:
        LeakyReLU slope: one number for every layer, or one per layer.
    dtype:
        ``np.float64`` or ``np.float32``.  By default float32 is kept when every
        array given is float32, and anything else becomes float64.

    The arrays are copied; the model owns ``weights`` and ``biases``.
    After :meth:`forward`, ``zs[l]`` holds layer ``l``'s pre-activation and
    ``activations`` holds ``[a^0 = X, a^1, ..., a^L]``.
    """

    def __init__(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray | None],
        activations: Sequence[str],
        loss: Any,
        negative_slope: float | Sequence[float] = 0.01,
        *,
        dtype: Any = None,
    ) -> None:
        weights = list(weights)
        biases = list(biases)
        names = list(activations)
        n = len(weights)
        if n == 0:
            raise ValueError("ManualMLP: need at least one layer, got 0 weights")
        if len(biases) != n or len(names) != n:
            raise ValueError(
                f"ManualMLP: got {n} weights, {len(biases)} biases and {len(names)} activations; "
                "expected one of each per layer (use None for a missing bias)"
            )

        self.dtype: np.dtype = _model_dtype(weights, biases, dtype)
        self.weights, self.biases = _copy_layers(weights, biases, self.dtype)

        self.activation_names: list[str] = [
            _normalize_activation(name, f"layer {l}") for l, name in enumerate(names)
        ]
        for l, name in enumerate(self.activation_names[:-1]):
            if name == "softmax":
                raise ValueError(
                    f"ManualMLP: layer {l}: softmax is only allowed on the output layer (layer {n - 1})"
                )

        self.negative_slopes: list[float] = _slopes(negative_slope, n)

        self.loss_name: str = _normalize_loss(loss)
        out_act = self.activation_names[-1]
        allowed = _OUTPUT_ACTIVATIONS[self.loss_name]
        if out_act not in allowed:
            raise ValueError(
                f"ManualMLP: loss {self.loss_name!r} does not fit output activation {out_act!r} "
                f"(layer {n - 1}); expected output activation in {allowed}"
            )

        # Forward cache and the last backward result.
        self.zs: list[np.ndarray] = []
        self.activations: list[np.ndarray] = []
        self.last_grads: ManualGrads | None = None

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_module(cls, model: Any, loss: Any) -> "ManualMLP":
        """Copy an ``nn.MLP`` (or any model with the same two methods): its ``weights()``, one
        ``(W, b)`` pair of arrays per layer, and from its ``config()`` the ``"activations"``
        and the ``"negative_slopes"``."""
        try:
            layers, config = model.weights(), model.config()
        except AttributeError:
            raise TypeError(
                "ManualMLP.from_module: model needs .weights() and .config(), as nn.MLP has; "
                f"{type(model).__name__} lacks them"
            ) from None
        weights = [W for W, _ in layers]
        biases = [b for _, b in layers]
        return cls(weights, biases, config["activations"], loss, negative_slope=config["negative_slopes"])

    # ------------------------------------------------------------------ properties

    @property
    def n_layers(self) -> int:
        """Number of linear layers L."""
        return len(self.weights)

    @property
    def layer_sizes(self) -> list[int]:
        """``[in_features, out_0, out_1, ..., out_{L-1}]``."""
        return [int(self.weights[0].shape[1])] + [int(W.shape[0]) for W in self.weights]

    @property
    def in_features(self) -> int:
        return int(self.weights[0].shape[1])

    @property
    def out_features(self) -> int:
        return int(self.weights[-1].shape[0])

    def parameter_names(self) -> list[str]:
        """Names in PyTorch's ``named_parameters()`` order."""
        names = []
        for l, b in enumerate(self.biases):
            names.append(f"layers.{l}.weight")
            if b is not None:
                names.append(f"layers.{l}.bias")
        return names

    def __repr__(self) -> str:
        sizes = " → ".join(str(s) for s in self.layer_sizes)
        return (
            f"ManualMLP({sizes}, activations={self.activation_names}, loss={self.loss_name!r}, "
            f"dtype={self.dtype.name})"
        )

    # ------------------------------------------------------------------ input checks

    def _check_input(self, X: Any, where: str) -> np.ndarray:
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.in_features:
            raise ValueError(
                f"ManualMLP.{where}: X must have shape (batch, {self.in_features}), got {_shape(X)}"
                + (" (use X.reshape(1, -1) for a single sample)" if X.ndim == 1 else "")
            )
        if X.shape[0] == 0:
            raise ValueError(f"ManualMLP.{where}: X has no samples (shape {_shape(X)})")
        return X

    def _prepare_targets(self, y: Any, m: int, where: str) -> np.ndarray:
        """Return targets of shape (m, k) in the model dtype.

        cross_entropy accepts integer labels of shape (m,) (turned into one-hot
        rows) or probability rows of shape (m, k) that sum to 1.  The other losses
        want shape (m, k); shape (m,) is accepted when k = 1.
        """
        k = self.out_features
        y = np.asarray(y)
        if self.loss_name == "cross_entropy" and y.ndim == 1:
            if y.shape[0] != m:
                raise ValueError(f"ManualMLP.{where}: got {y.shape[0]} labels for {m} samples")
            yf = y.astype(np.float64)
            if not np.all(np.isfinite(yf)) or np.any(yf != np.round(yf)):
                raise ValueError(f"ManualMLP.{where}: cross_entropy labels of shape (m,) must be integers")
            labels = yf.astype(np.int64)
            if labels.min() < 0 or labels.max() >= k:
                raise ValueError(
                    f"ManualMLP.{where}: cross_entropy labels must lie in [0, {k - 1}], "
                    f"got min {labels.min()} and max {labels.max()}"
                )
            onehot = np.zeros((m, k), dtype=self.dtype)
            onehot[np.arange(m), labels] = 1
            return onehot

        y = y.astype(self.dtype)
        if y.ndim == 1 and k == 1:
            y = y.reshape(-1, 1)
        if y.shape != (m, k):
            raise ValueError(f"ManualMLP.{where}: targets have shape {_shape(y)}, expected ({m}, {k})")
        if not np.all(np.isfinite(y)):
            raise ValueError(f"ManualMLP.{where}: targets contain NaN or inf")
        if self.loss_name in ("bce", "bce_with_logits") and (np.any(y < 0) or np.any(y > 1)):
            raise ValueError(f"ManualMLP.{where}: {self.loss_name} targets must lie in [0, 1]")
        if self.loss_name == "cross_entropy":
            tol = max(1e-6, 1000 * float(np.finfo(self.dtype).eps))
            if np.any(y < 0) or not np.allclose(y.sum(axis=1), 1.0, rtol=0.0, atol=tol):
                raise ValueError(
                    f"ManualMLP.{where}: cross_entropy targets of shape ({m}, {k}) must be probability "
                    "rows (non-negative, each row summing to 1); pass integer labels of shape (m,) otherwise"
                )
        return y

    # ------------------------------------------------------------------ forward

    def forward(self, X: Any) -> np.ndarray:
        r"""Forward pass; caches ``zs`` and ``activations`` and returns a^L.

        For l = 1..L:  z^l = a^{l−1} @ W^lᵀ + b^l,   a^l = σ_l(z^l),   with a^0 = X.
        """
        a = self._check_input(X, "forward")
        self.zs = []
        self.activations = [a]
        for W, b, name, slope in zip(self.weights, self.biases, self.activation_names, self.negative_slopes):
            z = a @ W.T
            if b is not None:
                z = z + b
            a = activate(name, z, slope)
            self.zs.append(z)
            self.activations.append(a)
        return a

    __call__ = forward

    # ------------------------------------------------------------------ loss

    def _batch_factor(self, m: int) -> float:
        """c in L = c · Σ_i ℓ_i:  1/m for the mean losses, 1 for half_sse."""
        return 1.0 if self.loss_name in _SUM_LOSSES else 1.0 / m

    def _loss_from_cache(self, Y: np.ndarray) -> float:
        """Loss value from the cached forward pass (targets already prepared)."""
        z, a = self.zs[-1], self.activations[-1]
        name = self.loss_name
        if name == "mse":
            # L = mean over all m·k elements of (a − y)²
            value = np.mean((a - Y) ** 2)
        elif name == "half_sse":
            # E = ½ Σ_i Σ_j (y − a)²   (a sum over the batch, see the module docstring)
            value = 0.5 * np.sum((Y - a) ** 2)
        elif name == "bce":
            # L = mean of −[y log a + (1 − y) log(1 − a)], each log clamped at −100
            with np.errstate(divide="ignore"):
                log_a = np.maximum(np.log(a), _BCE_LOG_FLOOR)
                log_1ma = np.maximum(np.log(1 - a), _BCE_LOG_FLOOR)
            value = np.mean(-(Y * log_a + (1 - Y) * log_1ma))
        elif name == "bce_with_logits":
            # −[y log σ(z) + (1 − y) log(1 − σ(z))] = max(z, 0) − z·y + log(1 + e^{−|z|})
            value = np.mean(np.maximum(z, 0) - z * Y + np.log1p(np.exp(-np.abs(z))))
        elif name == "cross_entropy":
            # L = 1/m Σ_i −Σ_j y_ij log softmax(z_i)_j.  With a softmax output this is
            # −Σ y log a; log a is computed as log_softmax(z) (same number, no log(0)).
            value = np.mean(-np.sum(Y * log_softmax(z), axis=1))
        else:  # pragma: no cover - names are validated in __init__
            raise AssertionError(name)
        return float(value)

    def loss(self, X: Any, y: Any) -> float:
        """Run the forward pass and return the loss value (a Python float)."""
        self.forward(X)
        Y = self._prepare_targets(y, self.activations[0].shape[0], "loss")
        return self._loss_from_cache(Y)

    # ------------------------------------------------------------------ backward

    def _output_delta(self, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        r"""δ^L_i = ∂ℓ_i/∂z^L_i, plus ∂ℓ/∂a^L and σ'(z^L) when the general rule was used.

        Shortcuts (the seeds' derivations, with k outputs):

        * sigmoid + bce:   ℓ = (1/k) Σ_j −[y log a + (1−y) log(1−a)] and
          ∂ℓ/∂a = (1/k)(a − y)/(a(1 − a)), σ'(z) = a(1 − a)  ⇒  δ^L = (a − y)/k.
        * bce_with_logits: the same with a = σ(z) inside the loss ⇒ δ^L = (σ(z) − y)/k.
        * cross_entropy:   ℓ = −Σ_j y_j log softmax(z)_j, Σ_j y_j = 1 ⇒ δ^L = softmax(z) − y.

        General chain rule otherwise (mse, half_sse with any output activation):

        * mse:       ℓ = (1/k) Σ_j (a − y)²   ⇒ ∂ℓ/∂a = 2(a − y)/k
        * half_sse:  ℓ = ½ Σ_j (y − a)²       ⇒ ∂ℓ/∂a = a − y
        * δ^L = ∂ℓ/∂a ⊙ σ'(z^L), or a ⊙ (g − Σ_j g_j a_j) with g = ∂ℓ/∂a for softmax.
        """
        z, a = self.zs[-1], self.activations[-1]
        k = a.shape[1]
        name, act = self.loss_name, self.activation_names[-1]

        if name == "bce":  # act == "sigmoid"
            return (a - Y) / k, None, None
        if name == "bce_with_logits":  # act == "identity"
            return (sigmoid(z) - Y) / k, None, None
        if name == "cross_entropy":  # act in ("identity", "softmax")
            p = a if act == "softmax" else softmax(z)
            return p - Y, None, None

        if name == "mse":
            dl_da = 2 * (a - Y) / k
        else:  # half_sse
            dl_da = a - Y
        if act == "softmax":
            delta = a * (dl_da - np.sum(dl_da * a, axis=1, keepdims=True))
            return delta, dl_da, None
        d_act = activation_derivative(act, z, a, self.negative_slopes[-1])
        return dl_da * d_act, dl_da, d_act

    def backward(self, X: Any, y: Any) -> ManualGrads:
        r"""Forward + hand-derived backward pass; returns a :class:`ManualGrads`.

        With c = 1/m (mean losses) or 1 (half_sse)::

            δ^L      from :meth:`_output_delta`
            δ^l    = (δ^{l+1} @ W^{l+1}) ⊙ σ'(z^l)        for l = L−1, ..., 1
            ∂L/∂W^l = c · δ^lᵀ @ a^{l−1}
            ∂L/∂b^l = c · Σ_i δ^l_i

        The result is also kept as ``self.last_grads`` for :meth:`step`.
        """
        self.forward(X)
        m = self.activations[0].shape[0]
        Y = self._prepare_targets(y, m, "backward")
        loss_value = self._loss_from_cache(Y)
        c = self._batch_factor(m)

        L = self.n_layers
        deltas: list[np.ndarray] = [None] * L  # type: ignore[list-item]
        grad_outputs: list[np.ndarray | None] = [None] * L
        derivs: list[np.ndarray | None] = [None] * L

        deltas[L - 1], grad_outputs[L - 1], derivs[L - 1] = self._output_delta(Y)
        for l in range(L - 2, -1, -1):
            # ∂ℓ/∂a^l = δ^{l+1} @ W^{l+1}  (the seeds' (W^{l+1})ᵀ δ^{l+1}, transposed)
            grad_outputs[l] = deltas[l + 1] @ self.weights[l + 1]
            derivs[l] = activation_derivative(
                self.activation_names[l], self.zs[l], self.activations[l + 1], self.negative_slopes[l]
            )
            deltas[l] = grad_outputs[l] * derivs[l]

        grads: dict[str, np.ndarray] = {}
        for l in range(L):
            a_prev = self.activations[l]
            grads[f"layers.{l}.weight"] = c * (deltas[l].T @ a_prev)
            if self.biases[l] is not None:
                grads[f"layers.{l}.bias"] = c * np.sum(deltas[l], axis=0)

        result = ManualGrads(
            loss=loss_value,
            grads=grads,
            deltas=deltas,
            grad_outputs=grad_outputs,
            activation_derivatives=derivs,
            zs=list(self.zs),
            activations=list(self.activations),
        )
        self.last_grads = result
        return result

    # ------------------------------------------------------------------ training

    def step(self, lr: float) -> None:
        r"""Plain gradient descent with the last :meth:`backward`'s gradients, in place:

            W^l := W^l − α ∂L/∂W^l,     b^l := b^l − α ∂L/∂b^l
        """
        if self.last_grads is None:
            raise RuntimeError("ManualMLP.step: no gradients yet; call backward(X, y) first")
        if isinstance(lr, bool) or not isinstance(lr, (int, float, np.integer, np.floating)):
            raise ValueError(f"ManualMLP.step: lr must be a number, got {lr!r}")
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"ManualMLP.step: lr must be a finite number >= 0, got {lr}")
        grads = self.last_grads.grads
        for l in range(self.n_layers):
            self.weights[l] -= lr * grads[f"layers.{l}.weight"]
            if self.biases[l] is not None:
                self.biases[l] -= lr * grads[f"layers.{l}.bias"]

    def train_step(self, X: Any, y: Any, lr: float) -> float:
        """One step of gradient descent; returns the loss *before* the update."""
        grads = self.backward(X, y)
        self.step(lr)
        return grads.loss

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of the parameters keyed like PyTorch (``"layers.0.weight"``, ...)."""
        state: dict[str, np.ndarray] = {}
        for l, (W, b) in enumerate(zip(self.weights, self.biases)):
            state[f"layers.{l}.weight"] = W.copy()
            if b is not None:
                state[f"layers.{l}.bias"] = b.copy()
        return state

    def predict(self, X: Any) -> np.ndarray:
        """Predictions: class labels for the classification losses, outputs otherwise.

        * bce (sigmoid output):      1 where a ≥ 0.5, else 0 (per output)
        * bce_with_logits (logits):  1 where z ≥ 0 (⇔ σ(z) ≥ 0.5), else 0
        * cross_entropy:             argmax over outputs, shape (m,)
        * mse, half_sse:             the network output a^L
        """
        out = self.forward(X)
        if self.loss_name == "bce":
            return (out >= 0.5).astype(np.int64)
        if self.loss_name == "bce_with_logits":
            return (out >= 0).astype(np.int64)
        if self.loss_name == "cross_entropy":
            return np.argmax(out, axis=1)
        return out
