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
    activation_name = "relu"

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).relu()


class Tanh(Module):
    """tanh(x)."""
    activation_name = "tanh"

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).tanh()


class Sigmoid(Module):
    """1 / (1 + e^(−x))."""
    activation_name = "sigmoid"

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).sigmoid()


class Identity(Module):
    """Returns its input unchanged (a linear output layer)."""
    activation_name = "identity"

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope · x."""
    activation_name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Any) -> Tensor:
        return as_tensor(x).leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """exp(x) / Σ exp(x) along `axis`."""
    activation_name = "softmax"

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


def activation(name: str) -> Module:
    """An activation module from its name (relu, leaky_relu, tanh, sigmoid, softmax, identity)."""
    key = registry.activation_name(name)
    if key is None:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(registry.ACTIVATIONS)}")
    return ACTIVATIONS[key]()


class MLP(Module):
    """A multilayer perceptron: `MLP([2, 16, 8, 1], activations=["relu", "relu", "sigmoid"], seed=42)`.

    `layers[l]` is the l-th Linear layer and `activation_modules[l]` its
    activation; `activations` has one name per layer (default: ReLU hidden
    layers and a linear output). `init` is an initialiser name or callable
    (default: He for ReLU layers, Xavier otherwise); biases start at zero
    unless `bias_init` says otherwise.
    """

    def __init__(self, layer_sizes: Sequence[int], activations: Sequence[str] | None = None,
                 init: Any = None, bias_init: Any = "zeros", seed: int | None = None,
                 rng: np.random.Generator | None = None, dtype: Any = np.float64,
                 bias: bool = True) -> None:
        super().__init__()
        sizes = list(layer_sizes)
        if len(sizes) < 2:
            raise ValueError(f"MLP: layer_sizes needs at least an input and an output size, got {sizes}")
        n_layers = len(sizes) - 1
        if activations is None:
            activations = ["relu"] * (n_layers - 1) + ["identity"]
        elif isinstance(activations, str):
            raise TypeError(f"MLP: activations must be a list with one name per layer, got the string "
                            f"{activations!r}; e.g. {[activations] * n_layers}")
        if len(activations) != n_layers:
            raise ValueError(f"MLP: {n_layers} layers ({sizes}) need {n_layers} activation names, "
                             f"got {len(activations)}: {list(activations)}")
        mods = [activation(a) for a in activations]
        r = make_rng(seed, rng)
        self.layer_sizes = sizes
        self.activation_names = [registry.activation_name(a) for a in activations]
        self.layers = ModuleList(
            Linear(sizes[i], sizes[i + 1], bias=bias, init=init, bias_init=bias_init, rng=r,
                   dtype=dtype, activation=self.activation_names[i])
            for i in range(n_layers))
        self.activation_modules = ModuleList(mods)

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
        """The architecture as plain data: layer sizes, activation names, bias, dtype (saved with the weights)."""
        return {"class": "MLP", "layer_sizes": self.layer_sizes, "activations": self.activation_names,
                "bias": self.layers[0].bias is not None, "dtype": str(self.dtype)}

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
