"""Layers: Linear, activations, Dropout, and the MLP built from them."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from autograd import Tensor, as_tensor, make_rng
from nn import functional as F
from nn import init as init_
from nn import registry
from nn.module import Module, ModuleList, Parameter


class Linear(Module):
    """y = x @ Wᵀ + b with weight W of shape (out_features, in_features) and bias (out_features,)."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 init: Any = None, bias_init: Any = "zeros", seed: int | None = None,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64,
                 activation: str | None = None) -> None:
        super().__init__()
        for label, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"Linear: {label} must be a positive integer, got {n!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        self._label = f"Linear(in_features={self.in_features})"  # for error messages, built once
        r = make_rng(seed, rng)
        w = init_.resolve(init, activation)((self.out_features, self.in_features), r)
        self.weight = Parameter(np.asarray(w, dtype=dtype))
        if bias:
            b = init_.resolve(bias_init)((self.out_features,), r)
            self.bias = Parameter(np.asarray(b, dtype=dtype))
        else:
            self.bias = None

    def forward(self, x: Any) -> Tensor:
        return F.linear(x, self.weight, self.bias, self._label)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"

    def describe(self) -> str:
        return f"Linear({self.in_features}→{self.out_features})"


class ReLU(Module):
    """max(x, 0)."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).relu()


class Tanh(Module):
    """tanh(x)."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).tanh()


class Sigmoid(Module):
    """1 / (1 + e^(−x))."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).sigmoid()


class Identity(Module):
    """Returns its input unchanged (a linear output layer)."""

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x)


NEGATIVE_SLOPE = 0.01   # LeakyReLU's default slope (PyTorch's)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope · x."""

    def __init__(self, negative_slope: float = NEGATIVE_SLOPE) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """exp(x) / Σ exp(x) along `axis`."""

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).softmax(self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p and scale the
    rest by 1/(1 − p); the identity in eval mode. Masks come from a seeded generator."""

    def __init__(self, p: float = 0.5, seed: int | None = None,
                 rng: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must lie in [0, 1), got {p}")
        self.p = float(p)
        self.rng = make_rng(seed, rng)

    def forward(self, x: Any) -> Tensor:
        x = as_tensor(x)
        if not self.training or self.p == 0:
            return x
        keep = self.rng.random(x.shape) >= self.p
        return x * (keep / (1 - self.p)).astype(x.dtype)

    def extra_repr(self) -> str:
        return f"p={self.p}"


ACTIVATIONS: dict[str, type[Module]] = {alias: globals()[spec.module] for spec in registry.ACTIVATION_SPECS
                                        for alias in (spec.name, *spec.aliases)}
for _spec in registry.ACTIVATION_SPECS:   # each class's `activation_name` comes from the registry's row
    ACTIVATIONS[_spec.name].activation_name = _spec.name


def activation(name: str) -> Module:
    """An activation module from its name (relu, leaky_relu, tanh, sigmoid, softmax, identity)."""
    return ACTIVATIONS[_canonical(name)]()


def _canonical(name: str) -> str:
    key = registry.activation_name(name)
    if key is None:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(registry.ACTIVATIONS)}")
    return key


def _activation_names(activations: Sequence[str] | None, sizes: list[int]) -> list[str]:
    """One canonical activation name per layer (default: ReLU hidden layers and an identity output)."""
    n_layers = len(sizes) - 1
    if activations is None:
        return ["relu"] * (n_layers - 1) + ["identity"]
    if isinstance(activations, str):
        raise TypeError(f"MLP: activations must be a list with one name per layer, got the string "
                        f"{activations!r}; e.g. {[activations] * n_layers}")
    if len(activations) != n_layers:
        raise ValueError(f"MLP: {n_layers} layers ({sizes}) need {n_layers} activation names, "
                         f"got {len(activations)}: {list(activations)}")
    return [_canonical(a) for a in activations]


def _slopes(negative_slope: float | Sequence[float], n_layers: int) -> list[float]:
    """One LeakyReLU slope per layer, from one number or one per layer."""
    if isinstance(negative_slope, (int, float, np.integer, np.floating)):
        return [float(negative_slope)] * n_layers
    slopes = [float(s) for s in negative_slope]
    if len(slopes) != n_layers:
        raise ValueError(f"MLP: got {len(slopes)} negative slopes for {n_layers} layers; "
                         "give one number or one per layer")
    return slopes


class MLP(Module):
    """A multilayer perceptron: `MLP([2, 16, 8, 1], activations=["relu", "relu", "sigmoid"], seed=42)`.

    `layers[l]` is the l-th Linear layer and `activation_modules[l]` its
    activation; `activations` has one name per layer (default: ReLU hidden
    layers and a linear output). `init` is an initialiser name or callable
    (default: He for ReLU layers, Xavier otherwise); biases start at zero
    unless `bias_init` says otherwise. `negative_slope` is the LeakyReLU
    slope: one number, or one per layer (layers of other activations ignore it).
    `config()` and `weights()` give the architecture and the weights as plain data.
    """

    def __init__(self, layer_sizes: Sequence[int], activations: Sequence[str] | None = None,
                 init: Any = None, bias_init: Any = "zeros", seed: int | None = None,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64,
                 bias: bool = True, negative_slope: float | Sequence[float] = NEGATIVE_SLOPE) -> None:
        super().__init__()
        sizes = list(layer_sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: layer_sizes needs at least an input and an output size, got {sizes}")
        self.activation_names = _activation_names(activations, sizes)
        slopes = _slopes(negative_slope, len(self.activation_names))
        r = make_rng(seed, rng)
        self.layer_sizes = sizes
        self.layers = ModuleList(
            Linear(n_in, n_out, bias=bias, init=init, bias_init=bias_init, rng=r, dtype=dtype, activation=a)
            for n_in, n_out, a in zip(sizes, sizes[1:], self.activation_names))
        self.activation_modules = ModuleList(LeakyReLU(s) if a == "leaky_relu" else activation(a)
                                             for a, s in zip(self.activation_names, slopes))

    def forward(self, x: Any) -> Tensor:
        for layer, act in zip(self.layers, self.activation_modules):
            x = layer(x)
            if type(act) is not Identity:   # an identity output layer records nothing: skip the call
                x = act(x)
        return x

    def forward_with_preactivations(self, x: Any) -> tuple[list[Tensor], Tensor]:
        """The forward pass that also returns every layer's pre-activation: `(zs, output)`.

        `zs[l]` is z^l = a^{l−1} Wˡᵀ + bˡ, a Tensor in the graph, so after
        `loss.backward()` its `.grad` is ∂L/∂zˡ (the δ of backprop, up to the
        batch factor). `nn.compare` reads δ this way.
        """
        zs = []
        for layer, act in zip(self.layers, self.activation_modules):
            zs.append(layer(x))
            x = act(zs[-1])
        return zs, x

    @classmethod
    def from_torch(cls, module: Any, dtype: Any = None) -> "MLP":
        """An MLP from a `torch.nn.Sequential` of Linear layers and activations (see `nn.interop`)."""
        from nn.interop import mlp_from_torch
        return mlp_from_torch(module, dtype)

    def config(self) -> dict:
        """The architecture as plain data: layer sizes, activation names, LeakyReLU slopes (one per
        layer, as `negative_slope` takes them), bias, dtype. `save` stores it with the weights and
        `nn.load_model` rebuilds the model from it."""
        slopes = [act.negative_slope if isinstance(act, LeakyReLU) else NEGATIVE_SLOPE
                  for act in self.activation_modules]
        return {"class": "MLP", "layer_sizes": list(self.layer_sizes), "activations": list(self.activation_names),
                "negative_slopes": slopes, "bias": self.layers[0].bias is not None, "dtype": str(self.dtype)}

    def weights(self) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """Copies of each layer's weight W, shape (out, in), and bias b, shape (out,) or None."""
        return [(layer.weight.data.copy(), None if layer.bias is None else layer.bias.data.copy())
                for layer in self.layers]

    def extra_repr(self) -> str:
        return f"{'→'.join(map(str, self.layer_sizes))}"

    def describe(self) -> str:
        return f"MLP({self.extra_repr()})"

    def __repr__(self) -> str:
        lines = [f"MLP({self.extra_repr()}, {self.num_parameters()} parameters, {self.dtype}"]
        for i, (layer, act) in enumerate(zip(self.layers, self.activation_modules)):
            shapes = f"weight {layer.weight.shape}" + (f", bias {layer.bias.shape}" if layer.bias is not None else "")
            lines.append(f"  (layers.{i}): {layer.describe():<16} {shapes}")
            lines.append(f"  (activation_modules.{i}): {act!r}")
        return "\n".join(lines) + "\n)"
