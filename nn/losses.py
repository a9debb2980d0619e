"""Loss modules (thin wrappers over `nn.functional`), each with `reduction="mean"|"sum"|"none"`."""
from __future__ import annotations

from typing import Any

from autograd import Tensor, as_tensor
from nn import functional as F
from nn import registry
from nn.module import Module


class _Loss(Module):
    fn = staticmethod(F.mse_loss)

    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        F._check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def forward(self, input: Tensor, target: Any) -> Tensor:
        return type(self).fn(input, target, self.reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class MSELoss(_Loss):
    """mean((p − y)²) over all elements."""
    fn = staticmethod(F.mse_loss)


class L1Loss(_Loss):
    """mean(|p − y|) over all elements."""
    fn = staticmethod(F.l1_loss)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities p ∈ [0, 1]."""
    fn = staticmethod(F.binary_cross_entropy)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits (sigmoid folded in, numerically stable)."""
    fn = staticmethod(F.binary_cross_entropy_with_logits)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy on logits with integer labels or one-hot/probability targets."""
    fn = staticmethod(F.cross_entropy)


def cross_entropy_of_probabilities(p: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """−Σ_j y_j log p_j per row, for probability rows p (the output of a softmax layer).

    Computed as the logits cross-entropy of log p (softmax(log p) = p when each
    row sums to 1), so targets are read exactly as by `CrossEntropyLoss`;
    through the softmax layer the gradient is ∂L/∂z = (p − y)/m. p is clipped
    at the dtype's smallest normal number so that log 0 never appears.
    """
    import numpy as np
    p = as_tensor(p)
    return F.cross_entropy(p.clip(float(np.finfo(p.dtype).tiny), 1.0).log(), target, reduction)


class SoftmaxOutputCrossEntropyLoss(CrossEntropyLoss):
    """Cross-entropy of a softmax layer's probabilities, −Σ y log p (see nn.output_loss); what
    `fit`, `evaluate` and `compare` use for an MLP ending in softmax with CrossEntropyLoss."""
    fn = staticmethod(cross_entropy_of_probabilities)


def half_sse_loss(input: Tensor, target: Any, reduction: str = "sum") -> Tensor:
    """½ Σ (p − y)² over all elements (seed 001's E; a sum, so `reduction` is ignored)."""
    return 0.5 * F.mse_loss(input, target, reduction="sum")


def functional_form(name: str) -> Any:
    """The functional form `fn(input, target, reduction)` of the loss `name` (by nn.registry)."""
    attr = registry.LOSSES[name].functional
    return getattr(F, attr, None) or globals()[attr]


LOSSES: dict[str, type[_Loss]] = {alias: globals()[spec.module] for spec in registry.LOSS_SPECS if spec.module
                                  for alias in (spec.name, *registry.LOSS_ALIASES_OF[spec.name])}


def get_loss(loss: str | Module) -> Module:
    """A loss module from a name (mse, l1, bce, bce_with_logits, cross_entropy) or a module."""
    if isinstance(loss, Module) or callable(loss) and not isinstance(loss, str):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)}")
    return LOSSES[loss]()
