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
network's output differs (logits or probabilities).
"""
from __future__ import annotations

from typing import Any

ANY_OUTPUT = ("relu", "leaky_relu", "tanh", "sigmoid", "identity", "softmax")

OUTPUT_ACTIVATIONS: dict[str, tuple[str, ...]] = {
    "mse": ANY_OUTPUT, "l1": ANY_OUTPUT, "half_sse": ANY_OUTPUT,
    "bce": ("sigmoid",),
    "bce_with_logits": ("identity",),
    "cross_entropy": ("identity", "softmax"),
}

_WHY = {
    "bce": "BCE reads probabilities; use bce_with_logits for an identity (logits) output",
    "bce_with_logits": "it applies the sigmoid itself, so a sigmoid (or softmax) layer would squash twice; "
                       "use bce on a sigmoid output",
    "cross_entropy": "it reads logits from an identity output or probabilities from a softmax output",
}
_MODULE_LOSS = {"MSELoss": "mse", "L1Loss": "l1", "BCELoss": "bce", "BCEWithLogitsLoss": "bce_with_logits",
                "CrossEntropyLoss": "cross_entropy", "SoftmaxOutputCrossEntropyLoss": "cross_entropy"}


def check_output(loss: str, activation: str, where: str) -> None:
    """Raise ValueError when `loss` cannot read what an `activation` output layer produces."""
    allowed = OUTPUT_ACTIVATIONS.get(loss, ANY_OUTPUT)
    if activation not in allowed:
        raise ValueError(f"{where}: loss {loss!r} does not fit a {activation!r} output layer; expected "
                         f"{' or '.join(repr(a) for a in allowed)} ({_WHY[loss]})")


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
    act, name = output_activation(model), _MODULE_LOSS.get(type(loss).__name__)
    if act is None or name is None:
        return loss   # not an MLP, or a custom loss: nothing to check
    check_output(name, act, where)
    if reads_probabilities(name, act) and type(loss).__name__ == "CrossEntropyLoss":
        from nn.losses import SoftmaxOutputCrossEntropyLoss
        return SoftmaxOutputCrossEntropyLoss(loss.reduction)
    return loss
