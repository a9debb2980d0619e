"""The backward pass: op outputs in decreasing recording order, then the leaves.

Every op gets a sequence number when it is recorded, and an op's inputs exist
before it; so visiting op outputs from the highest sequence number down
reaches each node only after every op that uses it (no recursive walk: a
chain of a million ops is fine). The backward sweep keeps the nodes waiting
for their gradient in a heap keyed by that number; `toposort` orders a graph
by the same number for drawings and traces.

Gradients of this pass live in a local buffer keyed by node identity; only
when a node's gradient is complete is it added into `.grad`. So a second
`backward()` accumulates like PyTorch (`retain_graph=True`) and never
re-propagates a gradient left over from an earlier pass.

`backward` is the first-order pass on arrays, tuned for training. `sweep` is
the same chain rule written plainly, for any gradient: on arrays, or on
Tensors (`create_graph=True`: every op's own backward formula is recorded, so
gradients have gradients) — behind `gradients()` and
`Tensor.backward(create_graph=True)`.
"""
from __future__ import annotations

import contextlib
import heapq
import operator
import sys
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Sequence

import numpy as np

from autograd.function import Node, _new_tensor, unbroadcast
from autograd.grad_mode import enable_grad

if TYPE_CHECKING:   # annotations only: autograd.tensor imports this module
    from autograd.tensor import Tensor


def toposort(root: Tensor, requires_grad_only: bool = True) -> list[Tensor]:
    """Nodes reachable from `root`, every input before the nodes that use it.

    Op outputs are ordered by their op's sequence number; leaves come first,
    in the reverse of the order in which `backward` reaches them, so
    `reversed(toposort(root))` is exactly the order of the backward pass.
    With `requires_grad_only`, only nodes that need a gradient.
    """
    made: list[Tensor] = []
    seen = {root}  # tensors hash by identity (see backward)
    stack = [root]
    while stack:
        node = stack.pop()
        op = node._op
        if op is None:
            continue
        made.append(node)
        for parent in op.inputs:
            if parent not in seen and (parent.requires_grad or not requires_grad_only):
                seen.add(parent)
                stack.append(parent)
    made.sort(key=_seq)
    leaves: dict[Tensor, None] = {} if made else {root: None}
    for node in reversed(made):
        for parent in node._op.inputs:
            if parent._op is None and parent in seen:
                leaves[parent] = None
    return list(reversed(leaves)) + made


_seq = operator.attrgetter("_op.seq")


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
        g = np.empty(root.data.shape, root.data.dtype)   # np.ones_like is a Python wrapper
        g.fill(1)
        return g
    g = np.array(grad.data if isinstance(grad, Node) else grad, dtype=root.data.dtype)
    if g.shape != root.shape:
        raise ValueError(f"backward: grad has shape {g.shape} but the tensor has shape {root.shape}; "
                         "expected the same shape")
    return g


def backward(root: Tensor, grad: Any = None, on_grad: Callable[[Tensor, np.ndarray], None] | None = None,
             on_contribution: Callable[[Tensor, Any, int, np.ndarray], None] | None = None,
             retain_grads: bool = True) -> None:
    """Add d(root)/d(node) · grad into `.grad` of every node that requires grad.

    With `retain_grads=False`, only leaves: intermediate gradients are dropped
    once propagated. `on_grad(node, g)` is called when a node's gradient for this
    pass is complete, and `on_contribution(parent, op, position, g)` for each
    gradient an op sends to one of its inputs (`trace_backward` records the pass
    with them).
    """
    # The chain rule as `sweep` below, for arrays only, written out for speed: no generator
    # and no call per gradient contribution (benchmarks/README.md, "Speed tricks that pay").
    pending = {root: _root_grad(root, grad)}
    heap = [] if root._op is None else [(-root._op.seq, root)]   # op outputs still to visit
    leaves = [] if heap else [root]

    while heap:
        node = heapq.heappop(heap)[1]
        g = pending.pop(node)
        if on_grad is not None:
            on_grad(node, g)
        if retain_grads:
            if node.grad is not None:
                node.grad = node.grad + g
            else:   # .grad is an array, also where NumPy returned a scalar for a 0-d result
                node.grad = g if type(g) is np.ndarray else np.array(g)
        op = node._op
        # an elementwise op keeps its one input un-tupled; its gradient has that input's shape
        parents = (op._inputs,) if op.elementwise else op._inputs
        exact = op.exact_grads
        position = -1   # (counting by hand: cheaper than enumerate on these short loops)
        for parent, pg in zip(parents, op.backward(g)):
            position += 1
            if pg is None or not parent.requires_grad:
                continue
            if not exact and (pg.shape != parent.data.shape or pg.dtype != parent.data.dtype):
                pg = _fit(pg, parent, op.name, create_graph=False)
            if on_contribution is not None:
                on_contribution(parent, op, position, pg)
            earlier = pending.get(parent)
            if earlier is not None:
                pending[parent] = earlier + pg
            else:
                pending[parent] = pg
                if parent._op is None:
                    leaves.append(parent)
                else:
                    heapq.heappush(heap, (-parent._op.seq, parent))
    g = pg = None   # drop our references: a leaf's gradient may then be handed on uncopied
    for leaf in leaves:
        g = pending.pop(leaf)
        if on_grad is not None:
            on_grad(leaf, g)
        _add_to_leaf(leaf, g)


def _add_to_leaf(leaf: Tensor, g: np.ndarray) -> None:
    """leaf.grad += g, leaving .grad an array of the leaf's own (users clip or scale it in place)."""
    if leaf.grad is not None:
        leaf.grad = np.asarray(leaf.grad + g)
    elif type(g) is not np.ndarray:   # a NumPy scalar from a 0-d result
        leaf.grad = np.array(g)
    # Copy only when g is a read-only or borrowed view, or when anything besides this pass
    # holds it (add hands one array to both inputs, and an intermediate's .grad may be that
    # array): CPython's reference count tells (the caller's variable, ours and getrefcount's
    # own argument).
    elif g.base is None and g.flags.writeable and sys.getrefcount(g) <= 3:
        leaf.grad = g
    else:
        leaf.grad = g.copy()


# -- the chain rule: any order of gradient --------------------------------------------------
def sweep(root: Tensor, seed: Any, wanted: Callable[[Tensor], bool] | None = None,
          create_graph: bool = False) -> Iterator[tuple[Tensor, Any]]:
    """Yield (node, d(root)/d(node) · seed) for every node that requires grad (and that
    `wanted` accepts), each once its gradient is complete: op outputs in decreasing
    recording order, then the leaves in the order they were reached.

    With `create_graph`, gradients are Tensors and each op's backward formula is
    recorded (`Function.backward_graph`); otherwise they are arrays.
    """
    pending: dict[Tensor, Any] = {root: seed}
    heap: list = [] if root._op is None else [(-root._op.seq, root)]  # op outputs still to visit
    leaves: list[Tensor] = [root] if root._op is None else []
    while heap:
        node = heapq.heappop(heap)[1]
        g = pending.pop(node)
        yield node, g
        op = node._op
        grads = op.backward_graph(g, node) if create_graph else op.backward(g)
        exact = op.exact_grads and not create_graph
        for parent, pg in zip(op.inputs, grads):
            if pg is None or not parent.requires_grad or (wanted is not None and not wanted(parent)):
                continue
            if not exact:   # undo broadcasting and dtype promotion
                pg = _fit(pg, parent, op.name, create_graph)
            earlier = pending.get(parent)
            if earlier is not None:
                pending[parent] = earlier + pg
                continue
            pending[parent] = pg
            if parent._op is None:
                leaves.append(parent)
            else:
                heapq.heappush(heap, (-parent._op.seq, parent))
    g = pg = None   # drop our references: a leaf's gradient may then be handed on uncopied
    for leaf in leaves:
        yield leaf, pending.pop(leaf)


def _fit(g: Any, parent: Tensor, op_name: str, create_graph: bool) -> Any:
    """A gradient in its input's shape (undo broadcasting) and dtype, as an array or a Tensor."""
    if create_graph and not isinstance(g, Node):   # a constant in the backward formula
        g = _new_tensor(np.asarray(g))
    if g.shape != parent.data.shape:
        g = unbroadcast(g, parent.data.shape, op_name)
    if g.dtype != parent.data.dtype:
        g = g.astype(parent.data.dtype)
    return g


def _seed(root: Tensor, grad: Any, create_graph: bool) -> Any:
    if create_graph and isinstance(grad, Node) and grad.requires_grad:
        if grad.shape != root.shape:
            raise ValueError(f"backward: grad has shape {grad.shape} but the tensor has shape {root.shape}; "
                             "expected the same shape")
        return grad
    seed = _root_grad(root, grad)
    return _new_tensor(seed) if create_graph else seed


def backward_with_graph(root: Tensor, grad: Any = None, retain_grads: bool = True) -> None:
    """`root.backward(create_graph=True)`: like `backward`, but each `.grad` is a Tensor
    whose graph is the backward pass itself (so it can be differentiated again)."""
    seed = _seed(root, grad, create_graph=True)
    with enable_grad():
        for node, g in sweep(root, seed, create_graph=True):
            if node._op is None or retain_grads:
                node.grad = g if node.grad is None else node.grad + g


def gradients(output: Tensor, inputs: Tensor | Sequence[Tensor], grad_output: Any = None,
              create_graph: bool = False) -> tuple[Any, ...]:
    """d(output)/d(input) · grad_output for each input, without touching any `.grad`.

    Like `torch.autograd.grad`: `grad_output` may be omitted for a one-element
    output. Returns arrays, or with `create_graph=True` Tensors whose graph is
    the backward pass (differentiate them again for second derivatives). An
    input that the output does not depend on gets zeros.
    """
    inputs = (inputs,) if isinstance(inputs, Node) else tuple(inputs)
    for i, x in enumerate(inputs):
        if not isinstance(x, Node) or not x.requires_grad:
            raise ValueError(f"gradients: input {i} must be a Tensor that requires grad, got "
                             f"{type(x).__name__}{'' if not isinstance(x, Node) else ' without requires_grad'}")
    if not isinstance(output, Node):
        raise TypeError(f"gradients: output must be a Tensor, got {type(output).__name__}")
    found: dict[Tensor, Any] = {}
    if output.requires_grad:
        needed, wanted = _leading_to(output, inputs), set(inputs)
        seed = _seed(output, grad_output, create_graph)
        with enable_grad() if create_graph else contextlib.nullcontext():
            for node, g in sweep(output, seed, needed.__contains__, create_graph):
                if node in wanted:
                    found[node] = g if create_graph else np.asarray(g)
    return tuple(_zeros_for(x, create_graph) if x not in found else found[x] for x in inputs)


def _leading_to(output: Tensor, inputs: Iterable[Tensor]) -> set[Tensor]:
    """The nodes on some path from one of `inputs` to `output` (the inputs included)."""
    needed = set(inputs)
    for node in toposort(output):
        if node._op is not None and any(p in needed for p in node._op.inputs):
            needed.add(node)
    return needed


def _zeros_for(x: Tensor, create_graph: bool) -> Any:
    z = np.zeros(x.data.shape, dtype=x.data.dtype)
    return _new_tensor(z) if create_graph else z

