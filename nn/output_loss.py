"""How a loss reads a network's output: one table for nn, nn.manual, compare, fit and the CLI.

=================  ===============  ==============================================================
loss               output layer     what the loss reads
=================  ===============  ==============================================================
mse, l1, half_sse  any              the output values
bce                sigmoid          probabilities
bce_with_logits    identity         logits (the loss applies the sigmoid itself)
cross_entropy      identity         logits (the loss applies the softmax: PyTorch's CrossEntropyLoss)
cross_entropy      softmax          probabilities: L = −Σ y log p, the softmax applied once, by the
                                    layer (the tutorials' softmax + cross-entropy, δᴸ = aᴸ − y)
=================  ===============  ==============================================================

Every other pair is refused with an error that names the pairs that work: a
sigmoid or softmax before a loss that applies its own would squash twice, and
a tanh/ReLU output is neither logits of one class among k nor probabilities.
The two cross-entropy rows give the same loss and the same gradients; only the
network's output differs (logits or probabilities). The table itself is the
`outputs` column of `nn.registry.LOSS_SPECS`.
"""
from __future__ import annotations

from typing import Any

from nn.registry import ACTIVATIONS, ANY_OUTPUT, LOSSES, loss_of_module

__all__ = ["ANY_OUTPUT", "OUTPUT_ACTIVATIONS", "check_output", "reads_probabilities", "output_activation",
           "loss_for_model", "probabilities"]

OUTPUT_ACTIVATIONS: dict[str, tuple[str, ...]] = {s.name: s.outputs for s in LOSSES.values()}


def check_output(loss: str, activation: str, where: str) -> None:
    """Raise ValueError when `loss` cannot read what an `activation` output layer produces."""
    allowed = OUTPUT_ACTIVATIONS.get(loss, ANY_OUTPUT)
    if activation not in allowed:
        raise ValueError(f"{where}: loss {loss!r} does not fit a {activation!r} output layer; expected "
                         f"{' or '.join(repr(a) for a in allowed)} ({LOSSES[loss].why})")


def reads_probabilities(loss: str, activation: str) -> bool:
    """True for cross-entropy after a softmax layer: the outputs are probabilities, not logits."""
    return loss == "cross_entropy" and activation == "softmax"


def output_activation(model: Any) -> str | None:
    """The name of the model's last activation (an nn.MLP's `activation_names[-1]`), or None."""
    names = getattr(model, "activation_names", None)
    return names[-1] if names else None


def loss_for_model(model: Any, loss: Any, where: str = "fit") -> Any:
    """The loss module to apply to `model(X)`: `loss` itself, checked against the table above, or
    for cross-entropy after a softmax layer the cross-entropy of those probabilities."""
    act, name = output_activation(model), loss_of_module(loss)
    if act is None or name is None:
        return loss   # not an MLP, or a custom loss: nothing to check
    check_output(name, act, where)
    if reads_probabilities(name, act) and type(loss).__name__ == "CrossEntropyLoss":
        from nn.losses import SoftmaxOutputCrossEntropyLoss
        return SoftmaxOutputCrossEntropyLoss(loss.reduction)
    return loss


def probabilities(out: Any, activation: str | None, loss: str | None = None) -> Any:
    """The outputs `out` (an (n, k) ndarray) as probabilities, by the registry, never by their values.

    A sigmoid or softmax output layer already gives probabilities. Otherwise
    the loss says how its logits become probabilities (sigmoid for
    bce_with_logits, softmax for cross_entropy); a regression loss leaves the
    values as they are. Without a loss (a plot of a model alone), logits
    from any other output layer go through the sigmoid (one column) or the
    softmax (k columns).
    """
    if activation is not None and ACTIVATIONS[activation].probabilities:
        return out
    if loss is not None:
        squash = LOSSES[loss].logits_to_probabilities
    else:
        squash = "sigmoid" if out.shape[-1] == 1 else "softmax"
    if squash is None:
        return out
    from autograd import Tensor, no_grad   # lazily: nn.manual reads this module and never imports autograd
    with no_grad():
        t = Tensor(out)
        return (t.sigmoid() if squash == "sigmoid" else t.softmax(-1)).data
