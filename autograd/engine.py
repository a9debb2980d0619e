"""The backward pass: one iterative topological sort and one reverse sweep.

Gradients of this pass live in a local buffer keyed by node identity; only
when a node's gradient is complete is it added into `.grad`. So a second
`backward()` accumulates like PyTorch (`retain_graph=True`) and never
re-propagates a gradient left over from an earlier pass.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd.function import unbroadcast
from autograd.tensor import Tensor


def toposort(root: Tensor, requires_grad_only: bool = True) -> list[Tensor]:
    """Nodes reachable from `root`, every input before the nodes that use it.

    One iterative sweep collects the reachable nodes (a chain of a million ops
    needs no recursion); op outputs are then ordered by their op's recording
    sequence number, which is topological because an op's inputs exist before
    it. Leaves come first. With `requires_grad_only`, only nodes that need a
    gradient.
    """
    leaves: list[Tensor] = []
    made: list[Tensor] = []
    seen = {id(root)}
    stack = [root]
    while stack:
        node = stack.pop()
        op = node._op
        if op is None:
            leaves.append(node)
            continue
        made.append(node)
        for parent in op.inputs:
            if id(parent) not in seen and (parent.requires_grad or not requires_grad_only):
                seen.add(id(parent))
                stack.append(parent)
    made.sort(key=_seq)
    return leaves + made


def _seq(t: Tensor) -> int:
    return t._op.seq


def _root_grad(root: Tensor, grad: Any) -> np.ndarray:
    if not root.requires_grad:
        raise RuntimeError(
            f"backward: this tensor (shape {root.shape}) does not require grad and has no graph; "
            "create its leaves with requires_grad=True and compute it outside no_grad()")
    if grad is None:
        if root.data.size != 1:
            raise RuntimeError(
                f"backward: grad can be implied only for a one-element tensor, got shape {root.shape}; "
                "pass grad= (an array of that shape) or call .sum() or .mean() first")
        return np.ones_like(root.data)
    g = np.array(grad.data if isinstance(grad, Tensor) else grad, dtype=root.data.dtype)
    if g.shape != root.shape:
        raise ValueError(f"backward: grad has shape {g.shape} but the tensor has shape {root.shape}; "
                         "expected the same shape")
    return g


def backward(root: Tensor, grad: Any = None) -> None:
    """Add d(root)/d(node) · grad into `.grad` of every node that requires grad."""
    g = _root_grad(root, grad)
    order = toposort(root)
    pending: dict[int, np.ndarray] = {id(root): g}
    stored: set[int] = set()  # arrays already handed to some .grad in this pass
    for node in reversed(order):
        g = pending.pop(id(node), None)
        if g is None:
            continue
        if node.grad is None:
            # A leaf's gradient must be its own writable array (users clip or scale it in
            # place). Copy only when g is a read-only or borrowed view, or an array another
            # node already holds (add hands one array to both inputs).
            if node._op is None and (g.base is not None or id(g) in stored or not g.flags.writeable):
                g = g.copy()
            node.grad = g
            stored.add(id(g))
        else:
            node.grad = node.grad + g
        op = node._op
        if op is None:
            continue
        for parent, pg in zip(op.inputs, op.backward(g)):
            if pg is None or not parent.requires_grad:
                continue
            data = parent.data
            if pg.shape != data.shape:
                pg = unbroadcast(pg, data.shape, op.name)
            if pg.dtype != data.dtype:
                pg = pg.astype(data.dtype)
            key = id(parent)
            prev = pending.get(key)
            pending[key] = pg if prev is None else prev + pg
