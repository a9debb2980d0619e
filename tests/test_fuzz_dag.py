"""Differential fuzzing against PyTorch: random expression DAGs, built in both engines.

Each example draws a few leaves (broadcast-compatible shapes, values from a small
grid so that ties and zeros happen), then a chain of nodes, each an op applied to
earlier nodes chosen at random — so nodes fan out, paths meet again (diamonds),
operands broadcast, reductions see ties, and NumPy scalars and Python numbers
appear as operands. The same DAG is built with autograd (through operators,
methods and NumPy functions) and with PyTorch; outputs, every leaf gradient and
their dtypes must agree, in float64 and float32. This is how `x ** 0` at 0,
NumPy scalars promoting float32, and float64 op parameters were found.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd as ag
from autograd import Tensor

torch = pytest.importorskip("torch")

GRID = [-2.0, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 1.5]
LEAF_SHAPES = [(), (3,), (2, 3), (2, 1), (1, 3)]

# name -> (ours, theirs); each keeps values moderate so long chains stay finite
UNARY = {
    "tanh": (np.tanh, torch.tanh),
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid),
    "relu": (lambda x: x.relu(), torch.relu),
    "abs": (np.abs, torch.abs),
    "sin": (np.sin, torch.sin),
    "exp(tanh)": (lambda x: np.exp(np.tanh(x)), lambda x: torch.exp(torch.tanh(x))),
    "tanh³": (lambda x: np.tanh(x) ** 3, lambda x: torch.tanh(x) ** 3),
    "x**0": (lambda x: x ** 0, lambda x: x ** 0),
    "square": (np.square, torch.square),
    "neg": (lambda x: -x, lambda x: -x),
    "clip": (lambda x: np.clip(x, -1.0, 0.5), lambda x: torch.clamp(x, -1.0, 0.5)),
    "leaky": (lambda x: x.leaky_relu(0.1), lambda x: torch.nn.functional.leaky_relu(x, 0.1)),
    "·np.float64": (lambda x: x * np.float64(1.5), lambda x: x * 1.5),
    "+np.int64": (lambda x: x + np.int64(2), lambda x: x + 2),
    "np.float32·": (lambda x: np.float32(0.5) * x, lambda x: 0.5 * x),
    "np.bool_ −": (lambda x: np.bool_(True) - x, lambda x: 1 - x),
    "/2": (lambda x: x / 2, lambda x: x / 2),
    "max keepdims": (lambda x: np.max(x, axis=-1, keepdims=True), lambda x: torch.amax(x, dim=-1, keepdim=True)),
    "min keepdims": (lambda x: x.min(axis=0, keepdims=True), lambda x: torch.amin(x, dim=0, keepdim=True)),
    "mean keepdims": (lambda x: np.mean(x, axis=-1, keepdims=True), lambda x: x.mean(dim=-1, keepdim=True)),
    "sum keepdims": (lambda x: x.sum(axis=0, keepdims=True), lambda x: x.sum(dim=0, keepdim=True)),
}
# reductions need at least the axes they reduce
NEEDS_AXIS = {"max keepdims", "min keepdims", "mean keepdims", "sum keepdims"}

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: np.subtract(a, b), lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "maximum": (np.maximum, torch.maximum),
    "minimum": (np.minimum, torch.minimum),
    "where": (lambda a, b: np.where(a > b, a, b), lambda a, b: torch.where(a > b, a, b)),
}


@st.composite
def dags(draw):
    """A recipe: leaf values, then (op, operand indices) steps, then output weights."""
    n_leaves = draw(st.integers(1, 3))
    leaves = []
    for _ in range(n_leaves):
        shape = draw(st.sampled_from(LEAF_SHAPES))
        size = int(np.prod(shape))
        leaves.append(np.array(draw(st.lists(st.sampled_from(GRID), min_size=size, max_size=size))).reshape(shape))
    steps = []
    for k in range(draw(st.integers(1, 8))):
        available = n_leaves + k
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(BINARY))), draw(st.integers(0, available - 1)),
                          draw(st.integers(0, available - 1))))
        else:
            steps.append((draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, available - 1)), None))
    weights = draw(st.lists(st.sampled_from([-1.5, -1.0, 0.5, 1.0, 2.0]),
                            min_size=n_leaves + len(steps), max_size=n_leaves + len(steps)))
    return leaves, steps, weights


def build(recipe, ours_side: bool, leaves):
    _, steps, weights = recipe
    nodes = list(leaves)
    for name, i, j in steps:
        if j is None:
            fn = UNARY[name][0 if ours_side else 1]
            x = nodes[i]
            if name in NEEDS_AXIS and x.ndim == 0:
                fn = UNARY["tanh"][0 if ours_side else 1]
            nodes.append(fn(x))
        else:
            nodes.append(BINARY[name][0 if ours_side else 1](nodes[i], nodes[j]))
    # every node feeds the output (fan-out; diamonds wherever steps reuse nodes)
    return sum(w * node.sum() for w, node in zip(weights, nodes))


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-4)], ids=["float64", "float32"])
@settings(deadline=None, max_examples=150)
@given(recipe=dags())
def test_random_dag_matches_pytorch(dtype, rtol, recipe):
    arrays_ = [a.astype(dtype) for a in recipe[0]]
    ours_leaves = [Tensor(a, requires_grad=True) for a in arrays_]
    theirs_leaves = [torch.tensor(a, requires_grad=True) for a in arrays_]
    with np.errstate(all="raise"):
        ours = build(recipe, True, ours_leaves)
        ours.backward()
    theirs = build(recipe, False, theirs_leaves)
    theirs.backward()
    assert ours.dtype == dtype
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=rtol)
    for k, (a, b) in enumerate(zip(ours_leaves, theirs_leaves)):
        assert a.grad is not None and a.grad.dtype == dtype, f"leaf {k}"
        expected = b.grad.numpy() if b.grad is not None else np.zeros(a.shape, dtype)
        np.testing.assert_allclose(a.grad, expected, rtol=rtol, atol=rtol * 10, err_msg=f"leaf {k}")
