"""The fair baseline: hand-written NumPy training steps, as a competent person writes them.

Forward, loss, backward and a plain SGD update for an MLP (`ManualMLP`), and
forward plus backward for the long elementwise chain of W6 (`ManualChain`).
Written for speed, not for teaching (`nn.manual` is the readable version and
is deliberately *not* used here, so this file is an independent witness):

- the output delta is fused with the loss: δ = (p − y)/N for sigmoid + BCE,
  δ = (softmax(z) − Y)/m for softmax + cross-entropy, δ = 2(p − y)/N for MSE;
- activations are applied in place on the fresh pre-activation array, and
  their derivatives are taken from the saved outputs;
- the hidden delta δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(aˡ) is formed in place;
- parameters are updated in place (W -= lr·dW), after the delta that needs the
  old W has been computed, so the result equals "all gradients, then update".

Layout is PyTorch's: X is (m, in), W is (out, in), b is (out,), z = X Wᵀ + b.
Only NumPy is imported.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

HIDDEN_ACTIVATIONS = ("relu", "tanh", "sigmoid", "identity")


def sigmoid_(z: np.ndarray) -> np.ndarray:
    """σ(z) computed in place in z and returned: σ(z) = 1/(1 + e^(−z)).

    Four ufunc passes, no temporary. e^(−z) overflows to inf for z < −709
    (f64) / −88 (f32), which still gives the right limit 0; the overflow
    warning is silenced.
    """
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1.0
    np.reciprocal(z, out=z)
    return z


def _activate_(z: np.ndarray, name: str) -> np.ndarray:
    """Apply a hidden/output activation in place (z is a fresh array we own)."""
    if name == "relu":
        return np.maximum(z, 0, out=z)
    if name == "tanh":
        return np.tanh(z, out=z)
    if name == "sigmoid":
        return sigmoid_(z)
    if name == "identity":
        return z
    raise ValueError(f"manual_numpy: unknown activation {name!r}")


def _times_derivative_(d: np.ndarray, a: np.ndarray, name: str) -> None:
    """d ⊙= σ'(z), with σ' written in terms of the saved output a = σ(z)."""
    if name == "relu":
        np.multiply(d, a > 0, out=d)          # relu'(z) = [z > 0] = [a > 0]
    elif name == "tanh":
        t = np.multiply(a, a)                  # 1 − a²
        np.subtract(1.0, t, out=t)
        d *= t
    elif name == "sigmoid":
        t = np.subtract(1.0, a)                # a(1 − a)
        t *= a
        d *= t
    elif name != "identity":
        raise ValueError(f"manual_numpy: unknown activation {name!r}")


class ManualMLP:
    """One full-batch SGD training step of an MLP, in plain NumPy.

    `weights` is a list of (W, b) pairs (copied); `activations` one name per
    layer; `loss` is "bce" (output must be sigmoid), "mse" (any output
    activation, usually identity) or "ce" (identity output = logits, integer
    labels). `step()` returns the loss (before the update) as a 0-d array.
    """

    def __init__(self, weights: Sequence[tuple[np.ndarray, np.ndarray]], activations: Sequence[str],
                 loss: str, lr: float, X: np.ndarray, y: np.ndarray, l2: float = 0.0) -> None:
        if len(weights) != len(activations):
            raise ValueError("ManualMLP: one activation per layer")
        if loss == "bce" and activations[-1] != "sigmoid":
            raise ValueError("ManualMLP: the fused BCE delta needs a sigmoid output")
        if loss == "ce" and activations[-1] != "identity":
            raise ValueError("ManualMLP: cross-entropy takes logits (identity output)")
        if loss not in ("bce", "mse", "ce", "hinge"):
            raise ValueError(f"ManualMLP: unknown loss {loss!r}")
        self.W = [np.array(W, copy=True) for W, _ in weights]
        self.b = [np.array(b, copy=True) for _, b in weights]
        self.activations = list(activations)
        self.loss, self.lr, self.l2 = loss, float(lr), float(l2)   # l2: α of the penalty α·Σ w²
        self.X = X
        self.y = y
        self.m = X.shape[0]
        if loss == "ce":
            self.labels = np.asarray(y, dtype=np.intp)
            self.rows = np.arange(self.m)

    def parameters(self) -> list[np.ndarray]:
        """[W0, b0, W1, b1, ...] (the live arrays)."""
        out = []
        for W, b in zip(self.W, self.b):
            out += [W, b]
        return out

    def forward(self) -> list[np.ndarray]:
        """Activations [X, a1, …, aL] (aL is the output: probabilities, predictions or logits)."""
        a = self.X
        acts = [a]
        for W, b, name in zip(self.W, self.b, self.activations):
            z = a @ W.T
            z += b
            a = _activate_(z, name)
            acts.append(a)
        return acts

    def _output_delta(self, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(loss, δᴸ = dLoss/dzᴸ) from the output layer's activation `out` (overwritten)."""
        y, loss = self.y, self.loss
        if loss == "bce":  # p = σ(z): dL/dz = (p − y)/N
            n = out.size
            with np.errstate(divide="ignore"):
                lp = np.log(out)
                l1p = np.log1p(-out)
            np.maximum(lp, -100, out=lp)
            np.maximum(l1p, -100, out=l1p)
            lp -= l1p                          # y log p + (1 − y) log(1 − p) = y (lp − l1p) + l1p
            lp *= y
            lp += l1p
            value = -lp.sum() / n
            d = out
            d -= y
            d *= 1.0 / n
            return np.asarray(value), d
        if loss == "mse":  # dL/dp = 2(p − y)/N
            n = out.size
            d = out
            d -= y
            flat = d.reshape(-1)
            value = np.dot(flat, flat) / n
            d *= 2.0 / n
            return np.asarray(value), d
        if loss == "hinge":  # mean(max(0, 1 − y·s)): dL/ds = −y·[1 − y·s > 0]/N
            n = out.size
            margin = 1.0 - y * out
            active = margin > 0
            value = np.dot(margin.reshape(-1), active.reshape(-1)) / n
            d = out
            np.multiply(y, active, out=d)
            d *= -1.0 / n
            return np.asarray(value), d
        # softmax cross-entropy on logits: dL/dz = (softmax(z) − onehot)/m
        z = out
        z -= z.max(axis=1, keepdims=True)
        picked = z[self.rows, self.labels]     # shifted logit of the true class
        np.exp(z, out=z)
        s = z.sum(axis=1, keepdims=True)
        value = (np.log(s).sum() - picked.sum()) / self.m
        z /= s
        z[self.rows, self.labels] -= 1.0
        z *= 1.0 / self.m
        return np.asarray(value), z

    def step(self) -> np.ndarray:
        """Forward, loss, backward and `W -= lr·dW` for every layer; returns the loss."""
        acts = self.forward()
        value, d = self._output_delta(acts[-1])
        if self.l2:   # + α Σ w² over every weight and bias: d/dw = 2αw
            value = value + self.l2 * sum(np.dot(w.reshape(-1), w.reshape(-1)) for w in self.parameters())
        lr = self.lr
        for l in range(len(self.W) - 1, -1, -1):
            W, b = self.W[l], self.b[l]
            dW = d.T @ acts[l]
            db = d.sum(axis=0)
            if self.l2:
                dW += (2 * self.l2) * W
                db += (2 * self.l2) * b
            if l > 0:                          # uses the old W, so before the update
                d = d @ W
                _times_derivative_(d, acts[l], self.activations[l - 1])
            dW *= lr
            W -= dW
            db *= lr
            b -= db
        return value

    def gradients(self) -> list[np.ndarray]:
        """[dW0, db0, dW1, db1, ...] at the current weights (no update); for tests."""
        acts = self.forward()
        _, d = self._output_delta(acts[-1])
        grads: list[np.ndarray] = []
        for l in range(len(self.W) - 1, -1, -1):
            grads[:0] = [d.T @ acts[l] + 2 * self.l2 * self.W[l], d.sum(axis=0) + 2 * self.l2 * self.b[l]]
            if l > 0:
                d = d @ self.W[l]
                _times_derivative_(d, acts[l], self.activations[l - 1])
        return grads


class ManualChain:
    """W6: x ↦ (tanh, ×c) repeated n_ops/2 times, loss = Σ output; `step()` returns dLoss/dx.

    Forward keeps each tanh output (what backward needs); backward walks them in
    reverse: g ← g·c, then g ← g·(1 − t²), reusing t's storage for 1 − t².
    """

    def __init__(self, x0: np.ndarray, n_ops: int, c: float) -> None:
        if n_ops % 2:
            raise ValueError("ManualChain: n_ops must be even (tanh, mul pairs)")
        self.x0 = x0
        self.pairs = n_ops // 2
        self.c = float(c)

    def step(self) -> np.ndarray:
        c = self.c
        saved = []
        x = self.x0
        for _ in range(self.pairs):
            t = np.tanh(x)
            saved.append(t)
            x = t * c
        self.value = x.sum()
        g = np.ones_like(x)
        for t in reversed(saved):
            g *= c
            np.multiply(t, t, out=t)
            np.subtract(1.0, t, out=t)
            g *= t
        return g
