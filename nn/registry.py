"""One row per loss and one row per activation: every table in nn is read from here.

Adding a loss or an activation is one row below plus its op (its module in
`nn.losses`/`nn.layers`, its functional form, and — for `nn.compare` — its
formulas in `nn.manual`). `nn.losses`, `nn.layers`, `nn.manual`,
`nn.output_loss`, `nn.compare`, `nn.train`, `nn.plot` and the CLI all look
names up here. The module is plain Python (no NumPy, no autograd) so that
`nn.manual`, the independent witness, can read it too: classes and functions
are named by strings and resolved where they are used.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActivationSpec:
    """One activation: its name, other spellings, `nn.layers` module class and its maths as text.

    `probabilities` marks an output layer whose values are probabilities
    (sigmoid, softmax); `elementwise` is False when the derivative is a full
    Jacobian (softmax).
    """
    name: str
    aliases: tuple[str, ...]
    module: str
    formula: str
    derivative: str
    probabilities: bool = False
    elementwise: bool = True


@dataclass(frozen=True)
class LossSpec:
    """One loss: names, its `nn.losses` module and `nn.functional` form, its `nn.manual` name,
    the output activations it reads, how its output becomes probabilities, its default metric.

    `module` names a class in `nn.losses` (None: the loss exists only for
    `nn.compare`/`nn.manual`), `functional` a function of `nn.functional` or
    `nn.losses` (see `nn.losses.functional_form`); `manual` is the loss
    name `nn.manual.ManualMLP` knows (None: no hand-derived counterpart).
    `outputs` are the output activations the loss can read and
    `default_output` the one the CLI picks; `logits_to_probabilities` is "sigmoid" or
    "softmax" for a loss that reads logits, None when the outputs are already
    probabilities or are regression values. `why` explains refused pairs.
    """
    name: str
    aliases: tuple[str, ...]
    module: str | None
    functional: str
    manual: str | None
    outputs: tuple[str, ...]
    logits_to_probabilities: str | None
    metric: str
    default_output: str = "identity"
    why: str = ""


ACTIVATION_SPECS: tuple[ActivationSpec, ...] = (
    ActivationSpec("relu", (), "ReLU", "max(0, z)", "ReLU'(z) = 1 if z > 0 else 0"),
    ActivationSpec("leaky_relu", ("leakyrelu",), "LeakyReLU", "max(αz, z)", "1 if z > 0 else α"),
    ActivationSpec("tanh", (), "Tanh", "tanh(z)", "tanh'(z) = 1 − tanh²(z)"),
    ActivationSpec("sigmoid", (), "Sigmoid", "σ(z) = 1 / (1 + e⁻ᶻ)", "σ'(z) = σ(z)(1 − σ(z))",
                   probabilities=True),
    ActivationSpec("softmax", (), "Softmax", "softmax(z)ⱼ = eᶻʲ / Σₖ eᶻᵏ", "∂aⱼ/∂zᵢ = aⱼ(1[i = j] − aᵢ)",
                   probabilities=True, elementwise=False),
    ActivationSpec("identity", ("linear", "none"), "Identity", "z", "1"),
)

ANY_OUTPUT: tuple[str, ...] = tuple(a.name for a in ACTIVATION_SPECS)

LOSS_SPECS: tuple[LossSpec, ...] = (
    LossSpec("mse", ("mseloss",), "MSELoss", "mse_loss", "mse", ANY_OUTPUT, None, "r2"),
    LossSpec("l1", ("l1loss",), "L1Loss", "l1_loss", None, ANY_OUTPUT, None, "r2"),
    LossSpec("half_sse", ("sse",), None, "half_sse_loss", "half_sse", ANY_OUTPUT, None, "r2"),
    LossSpec("bce", ("bceloss",), "BCELoss", "binary_cross_entropy", "bce", ("sigmoid",), None, "accuracy", "sigmoid",
             "BCE reads probabilities; use bce_with_logits for an identity (logits) output"),
    LossSpec("bce_with_logits", ("bcewithlogitsloss",), "BCEWithLogitsLoss", "binary_cross_entropy_with_logits",
             "bce_with_logits", ("identity",), "sigmoid", "accuracy", "identity",
             "it applies the sigmoid itself, so a sigmoid (or softmax) layer would squash twice; "
             "use bce on a sigmoid output"),
    LossSpec("cross_entropy", ("ce", "crossentropyloss", "softmaxoutputcrossentropyloss"), "CrossEntropyLoss",
             "cross_entropy", "cross_entropy", ("identity", "softmax"), "softmax", "accuracy", "identity",
             "it reads logits from an identity output or probabilities from a softmax output"),
)

ACTIVATIONS: dict[str, ActivationSpec] = {a.name: a for a in ACTIVATION_SPECS}
LOSSES: dict[str, LossSpec] = {s.name: s for s in LOSS_SPECS}
_ACTIVATION_NAMES = {alias: a.name for a in ACTIVATION_SPECS for alias in (a.name, *a.aliases)}
_LOSS_NAMES = {alias: s.name for s in LOSS_SPECS for alias in (s.name, *s.aliases)}


def activation_name(name: str) -> str | None:
    """The canonical name of an activation spelled `name` (any case, any alias), or None."""
    return _ACTIVATION_NAMES.get(name.strip().lower()) if isinstance(name, str) else None


def loss_name(name: str) -> str | None:
    """The canonical name of a loss spelled `name` (any case, alias or module class name), or None."""
    return _LOSS_NAMES.get(name.strip().lower()) if isinstance(name, str) else None


def loss_of_module(loss: object) -> str | None:
    """The canonical name of an nn loss module (by its class or a base class), or None for a custom loss."""
    for cls in type(loss).__mro__:
        name = _LOSS_NAMES.get(cls.__name__.lower())
        if name is not None:
            return name
    return None


def names(specs: tuple, where: str | None = None) -> tuple[str, ...]:
    """Canonical names of `specs`, keeping those whose attribute `where` is set (e.g. "module")."""
    return tuple(s.name for s in specs if where is None or getattr(s, where) is not None)


TRAIN_LOSSES: tuple[str, ...] = names(LOSS_SPECS, "module")      # losses nn.fit and `mlpgrad train` take
MANUAL_LOSSES: tuple[str, ...] = names(LOSS_SPECS, "manual")     # losses nn.manual / nn.compare take
# Short spellings (ce, sse) that names accept; class names (crossentropyloss, ...) are left out here.
LOSS_ALIASES: dict[str, str] = {a: s.name for s in LOSS_SPECS for a in s.aliases if not a.endswith("loss")}
LOSS_ALIASES_OF: dict[str, tuple[str, ...]] = {s.name: tuple(a for a, n in LOSS_ALIASES.items() if n == s.name)
                                               for s in LOSS_SPECS}
