"""Replay a traced MLP's backward pass with a classic activation-derivative mistake.

The doctor tests a hypothesis by recomputing: "if you had used σ′(a) where
σ′(z) was meant, your gradients would be exactly these". For each layer of
the user's forward pass (see `nn.traced_layers`) the replay runs backprop
layer by layer with autograd's vector-Jacobian products
(`autograd.gradients`), and at the mistaken layers replaces the local
derivative ∂a/∂z by the wrong one:

    δᴸ = ∂L/∂aᴸ ⊙ σ′ᴸ            (or exactly ∂L/∂zᴸ where nothing is mistaken)
    ∂L/∂Wˡ, ∂L/∂bˡ = VJP of zˡ with δˡ
    δˡ⁻¹ = VJP of zˡ w.r.t. aˡ⁻¹ with δˡ, ⊙ the wrong σ′ at mistaken layers

The mistakes, for sigmoid (tanh alike): σ′ evaluated at the output a = σ(z)
(σ(a)(1 − σ(a)) — a derivative written for z, given A), and the output form
a(1 − a) evaluated at z (z(1 − z) — a derivative written for a, given Z).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from autograd import Tensor, gradients
from nn.traced_layers import TracedLayer


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * x))


# activation -> [(short name, wrong σ′(z, a), how it happens)]
WRONG_DERIVATIVES: dict[str, list[tuple[str, Callable[[np.ndarray, np.ndarray], np.ndarray], str]]] = {
    "sigmoid": [
        ("σ′(a) where σ′(z) was meant", lambda z, a: _sigmoid(a) * (1 - _sigmoid(a)),
         "the sigmoid derivative evaluated at the output a = σ(z) instead of at z (a derivative written "
         "for z, σ(z)(1 − σ(z)), given A)"),
        ("a(1 − a) evaluated at z", lambda z, a: z * (1 - z),
         "the output form of the sigmoid derivative, a(1 − a), given z instead of a = σ(z) (a derivative "
         "written for a, given Z)"),
    ],
    "tanh": [
        ("tanh′(a) where tanh′(z) was meant", lambda z, a: 1 - np.tanh(a) ** 2,
         "the tanh derivative evaluated at the output a = tanh(z) instead of at z (1 − tanh²(·) given A)"),
        ("1 − a² evaluated at z", lambda z, a: 1 - z ** 2,
         "the output form of the tanh derivative, 1 − a², given z instead of a = tanh(z)"),
    ],
}


def _mistake_sets(layers: list[TracedLayer]) -> list[tuple[int, ...]]:
    """Which layers make the mistake: all that can, all hidden ones, or one at a time."""
    able = tuple(i for i, l in enumerate(layers) if l.activation in WRONG_DERIVATIVES and l.a is not None)
    sets = [able, tuple(i for i in able if i != len(layers) - 1), *((i,) for i in able)]
    unique = []
    for s in sets:
        if s and s not in unique:
            unique.append(s)
    return unique


def _replay(loss: Tensor, layers: list[TracedLayer], mistaken: tuple[int, ...],
            wrong: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> dict[Tensor, np.ndarray]:
    """Parameter gradients of backprop with `wrong` as ∂a/∂z at the `mistaken` layers."""
    def local(i: int, upstream: np.ndarray) -> np.ndarray:
        layer = layers[i]
        return upstream * wrong(layer.z.data, layer.a.data)

    last = len(layers) - 1
    if last in mistaken:
        delta = local(last, gradients(loss, [layers[last].a])[0])
    else:
        delta = gradients(loss, [layers[last].z])[0]
    grads: dict[Tensor, np.ndarray] = {}
    for i in range(last, -1, -1):
        layer = layers[i]
        own = [t for t in (layer.weight, layer.bias) if t is not None]
        for t, g in zip(own, gradients(layer.z, own, delta)):
            grads[t] = grads[t] + g if t in grads else g
        if i == 0:
            break
        below = layers[i - 1]
        if i - 1 in mistaken:
            delta = local(i - 1, gradients(layer.z, [below.a], delta)[0])
        else:
            delta = gradients(layer.z, [below.z], delta)[0]
    return grads


def derivative_mistakes(loss: Tensor, layers: list[TracedLayer], names: dict[Tensor, str]
                        ) -> dict[str, list[tuple[str, np.ndarray]]]:
    """For each parameter name, [(explanation, the gradient that mistake gives)], every mistake tried."""
    out: dict[str, list[tuple[str, np.ndarray]]] = {}
    for mistaken in _mistake_sets(layers):
        kinds = {layers[i].activation for i in mistaken}
        if len(kinds) != 1:
            continue   # one wrong formula at a time (sigmoid and tanh layers mixed: try one by one)
        kind = kinds.pop()
        after = [names.get(layers[i].weight, "?") for i in mistaken]
        where = f"the {kind}{'s' if len(after) > 1 else ''} after {', '.join(after[:-1])}" + (
            f" and {after[-1]}" if len(after) > 1 else after[0])
        for short, wrong, how in WRONG_DERIVATIVES[kind]:
            try:
                grads = _replay(loss, layers, mistaken, wrong)
            except (ValueError, TypeError):   # a layer the replay cannot pass through: no hypothesis
                continue
            text = (f"{short} at {where}: {how} — redoing the backward pass with that mistake gives "
                    "exactly your gradient")
            for t, g in grads.items():
                if t in names:
                    out.setdefault(names[t], []).append((text, g))
    return out
