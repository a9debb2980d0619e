"""The layers of a user's forward pass, read off the graph autograd recorded while it ran.

A hand-written MLP, run on Tensors, leaves a graph in which every layer looks
the same: a matrix product of a weight parameter with the layer's input
(`W @ A` column-major, `X @ W` row-major, or either with `W.T`), plus maybe a
bias parameter, then an element-wise activation. `find_layers` returns those
layers in forward order, each with the axis of its weight that indexes the
layer's units, the batch axis of its pre-activation z, and the activation
(identified by value: the nearest element-wise descendant of z equal to
sigmoid(z), tanh(z) or relu(z)). Only autograd's public graph API is used
(`toposort`, `Tensor.op`, `op.inputs`, `op.name`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np

from autograd import Tensor, toposort

# Element-wise activations recognised by value, with f(z) for the check.
ACTIVATION_VALUES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "sigmoid": lambda z: 0.5 * (1 + np.tanh(0.5 * z)),   # σ(z) without overflow
    "tanh": np.tanh,
    "relu": lambda z: np.maximum(z, 0),
}
_SEARCH_DEPTH = 8   # ops between z and σ(z): 1/(1 + exp(−clip(z))) takes five


@dataclass
class TracedLayer:
    """One layer: z = W·a + b (any layout) and its activation a = σ(z) when recognised."""
    weight: Tensor
    weight_unit_axis: int | None   # axis of the weight that indexes this layer's units
    z: Tensor
    batch_axis: int | None         # axis of z over the samples (None for a 1-D z)
    bias: Tensor | None = None
    activation: str | None = None  # "sigmoid", "tanh", "relu", or None when not recognised
    a: Tensor | None = None        # the activation's output σ(z)


def _consumers(nodes: Iterable[Tensor]) -> dict[Tensor, list[Tensor]]:
    users: dict[Tensor, list[Tensor]] = {}
    for node in nodes:
        if node.op is not None:
            for parent in node.op.inputs:
                users.setdefault(parent, []).append(node)
    return users


def _weight_operand(t: Tensor, params: set[Tensor]) -> tuple[Tensor, bool] | None:
    """(W, transposed) when operand t is a 2-D parameter W or its transpose W.T."""
    if t in params and t.ndim == 2:
        return t, False
    op = t.op
    if op is not None and op.name == "transpose" and t.ndim == 2 and op.inputs[0] in params:
        return op.inputs[0], True
    return None


def _layer_of(node: Tensor, params: set[Tensor]) -> TracedLayer | None:
    """A layer whose product is `node` (a matmul output), or None."""
    for index, operand in enumerate(node.op.inputs):
        found = _weight_operand(operand, params)
        if found is None:
            continue
        weight, transposed = found
        # W @ A: rows of W are units; A @ W: columns are. A transpose swaps that.
        unit_axis = (0 if index == 0 else 1) ^ int(transposed)
        batch_axis = None if node.ndim != 2 else (1 if index == 0 else 0)
        return TracedLayer(weight, unit_axis, node, batch_axis)
    return None


def _add_bias(layer: TracedLayer, users: dict[Tensor, list[Tensor]], params: set[Tensor]) -> None:
    after = users.get(layer.z, [])
    if len(after) != 1 or after[0].op.name != "add":
        return
    other = [t for t in after[0].op.inputs if t is not layer.z]
    if len(other) == 1 and other[0] in params:
        layer.z, layer.bias = after[0], other[0]


def _find_activation(layer: TracedLayer, users: dict[Tensor, list[Tensor]]) -> None:
    """Breadth-first over z's element-wise descendants: the nearest equal to a known σ(z)."""
    z = layer.z.data
    with np.errstate(all="ignore"):
        targets = {name: f(z) for name, f in ACTIVATION_VALUES.items()}
    frontier, seen = [layer.z], {layer.z}
    for _ in range(_SEARCH_DEPTH):
        nxt = []
        for node in frontier:
            for user in users.get(node, []):
                if user in seen or user.shape != layer.z.shape or user.op.name == "matmul":
                    continue
                seen.add(user)
                for name, value in targets.items():
                    if np.allclose(user.data, value, rtol=1e-12, atol=1e-300):
                        layer.activation, layer.a = name, user
                        return
                nxt.append(user)
        frontier = nxt


def find_layers(loss: Tensor, params: Iterable[Tensor]) -> list[TracedLayer]:
    """The layers (matrix product with a weight parameter, bias, activation) in forward order."""
    nodes = toposort(loss)
    users = _consumers(nodes)
    param_set = set(params)
    layers = []
    for node in nodes:   # toposort: inputs before users, i.e. forward order
        if node.op is not None and node.op.name == "matmul":
            layer = _layer_of(node, param_set)
            if layer is not None:
                _add_bias(layer, users, param_set)
                _find_activation(layer, users)
                layers.append(layer)
    return layers


def batch_size_from_layers(layers: list[TracedLayer]) -> int | None:
    """The number of samples: the size of the first layer's batch axis."""
    if not layers or layers[0].batch_axis is None:
        return None
    return int(layers[0].z.shape[layers[0].batch_axis])
