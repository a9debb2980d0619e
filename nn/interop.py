"""Outgrowing mlpgrad: move a model to PyTorch (and back) or export it to ONNX.

`to_torch(model)` turns an `nn.MLP` or an `nn.Sequential` of supported layers
into an equivalent `torch.nn.Sequential` — same weights, dtype, activations and
train/eval mode — so training can go on with torch's DataLoader, GPUs and
DistributedDataParallel. `mlp_from_torch(module)` (`nn.MLP.from_torch`) goes
the other way. `export_onnx(model, path)` writes a standard ONNX model built
with the `onnx` package itself (no torch needed): Gemm + activation nodes,
opset ≥ 17, a named input and output, and a dynamic batch dimension.

torch and onnx are optional: each is imported inside the function that needs
it, with an error naming the package to install when it is missing.
"""
from __future__ import annotations

import importlib
import os
from typing import Any

import numpy as np

from nn import registry
from nn.layers import MLP, NEGATIVE_SLOPE, Dropout, Identity, LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh
from nn.module import Module, Sequential, write_atomically

__all__ = ["to_torch", "mlp_from_torch", "export_onnx", "require_onnx", "supported_layers"]

MIN_OPSET = 17
_ACTIVATION_TYPES = (ReLU, LeakyReLU, Tanh, Sigmoid, Softmax, Identity)
# torch.nn class name -> our activation name (what MLP(activations=...) takes): torch names its
# activation classes as nn.layers does, so the registry's module column is torch's class name too
_TORCH_ACTIVATIONS = {spec.module: spec.name for spec in registry.ACTIVATION_SPECS}
_SUPPORTED_TEXT = "Linear, ReLU, LeakyReLU, Tanh, Sigmoid, Softmax, Identity, Dropout"


def _require(package: str, fn: str, install: str) -> Any:
    """Import an optional package, or raise ImportError saying how to install it."""
    try:
        return importlib.import_module(package)
    except ImportError as e:
        raise ImportError(f"{fn}: needs the {package!r} package, which is not installed; "
                          f"install it with: pip install {install}") from e


def require_onnx(fn: str = "export_onnx") -> Any:
    """The `onnx` module, or ImportError saying `pip install 'mlpgrad[onnx]'` (checked before long work)."""
    return _require("onnx", fn, "'mlpgrad[onnx]'")


def supported_layers(model: Module, fn: str = "to_torch") -> list[tuple[str, Module]]:
    """The model as a flat list of (dotted name, layer) in the order they run.

    An `nn.MLP` gives Linear, activation, Linear, activation, ...; an
    `nn.Sequential` (nested ones are flattened) may hold Linear, the
    activations and Dropout. Anything else raises TypeError naming the layer.
    """
    if isinstance(model, MLP):
        out: list[tuple[str, Module]] = []
        for i, (layer, act) in enumerate(zip(model.layers, model.activation_modules)):
            out += [(f"layers.{i}", layer), (f"activation_modules.{i}", act)]
        return out
    if not isinstance(model, Sequential):
        raise TypeError(f"{fn}: expected an nn.MLP or an nn.Sequential of {_SUPPORTED_TEXT}, "
                        f"got {type(model).__name__}")
    out = []
    stack: list[tuple[str, Module]] = list(reversed([(n, m) for n, m in model._modules.items()]))
    while stack:
        name, m = stack.pop()
        if isinstance(m, Sequential):
            stack += reversed([(f"{name}.{k}", c) for k, c in m._modules.items()])
        elif isinstance(m, (Linear, Dropout, *_ACTIVATION_TYPES)):
            out.append((name, m))
        else:
            raise TypeError(f"{fn}: cannot convert layer {name!r} ({m.describe()}); "
                            f"supported layers are {_SUPPORTED_TEXT} (and nested Sequential)")
    return out


# -- PyTorch ----------------------------------------------------------------------------------
def _torch_dtype(torch: Any, dtype: np.dtype | None) -> Any:
    return torch.float32 if dtype == np.float32 else torch.float64


def _torch_layer(torch: Any, layer: Module, dtype: Any) -> Any:
    """The torch module computing what `layer` computes (weights copied)."""
    tnn = torch.nn
    if isinstance(layer, Linear):
        lin = tnn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(np.array(layer.weight.data)))
            if layer.bias is not None:
                lin.bias.copy_(torch.from_numpy(np.array(layer.bias.data)))
        return lin
    if isinstance(layer, LeakyReLU):
        return tnn.LeakyReLU(layer.negative_slope)
    if isinstance(layer, Softmax):
        return tnn.Softmax(dim=layer.axis)
    if isinstance(layer, Dropout):
        return tnn.Dropout(layer.p)
    return {ReLU: tnn.ReLU, Tanh: tnn.Tanh, Sigmoid: tnn.Sigmoid, Identity: tnn.Identity}[type(layer)]()


def to_torch(model: Module) -> Any:
    """An equivalent `torch.nn.Sequential`: same weights (copied), dtype, activations and mode.

    Supports `nn.MLP` and `nn.Sequential` of Linear, ReLU, LeakyReLU, Tanh,
    Sigmoid, Softmax, Identity and Dropout (Dropout's masks come from torch's
    generator after the move). The result is independent of `model`.
    """
    layers = supported_layers(model, "to_torch")
    torch = _require("torch", "to_torch", "torch")
    dtype = _torch_dtype(torch, model.dtype)
    seq = torch.nn.Sequential(*(_torch_layer(torch, layer, dtype) for _, layer in layers))
    return seq.train(model.training)


def _torch_layers(torch: Any, module: Any) -> list[tuple[str, str, Any]]:
    """(name, kind, layer) of a torch Sequential, nested Sequentials flattened.

    `kind` is the torch.nn class name when the layer is exactly that class
    (a subclass may compute something else), else "".
    """
    out: list[tuple[str, str, Any]] = []
    for name, child in module.named_children():
        if isinstance(child, torch.nn.Sequential):
            out += [(f"{name}.{n}", k, c) for n, k, c in _torch_layers(torch, child)]
        else:
            kind = type(child).__name__
            out.append((name, kind if getattr(torch.nn, kind, None) is type(child) else "", child))
    return out


def _check_torch_activation(name: str, kind: str, layer: Any) -> None:
    if kind == "Softmax" and layer.dim not in (-1, 1):
        raise ValueError(f"from_torch: layer {name!r} is Softmax(dim={layer.dim}); an MLP's softmax runs "
                         "along the features (dim=-1 or 1)")


def _read_torch_layers(torch: Any, module: Any) -> tuple[list[Any], list[tuple[str, Any]]]:
    """The Linear layers of a torch Sequential and, for each, its activation (name, torch layer or None)."""
    linears: list[Any] = []
    acts: list[tuple[str, Any]] = []
    for name, kind, layer in _torch_layers(torch, module):
        if kind == "Linear":
            if len(acts) < len(linears):
                acts.append(("identity", None))          # Linear straight after Linear
            linears.append(layer)
        elif kind in _TORCH_ACTIVATIONS:
            if not linears or len(acts) == len(linears):
                where = "before the first Linear" if not linears else "right after another activation"
                raise TypeError(f"from_torch: cannot convert layer {name!r} ({layer}): an MLP has one activation "
                                f"after each Linear, and this one comes {where}")
            _check_torch_activation(name, kind, layer)
            acts.append((_TORCH_ACTIVATIONS[kind], layer))
        elif kind != "Dropout":                              # Dropout: the identity at inference
            raise TypeError(f"from_torch: cannot convert layer {name!r} ({layer}); an MLP is built from Linear "
                            f"layers each followed by at most one of {', '.join(_TORCH_ACTIVATIONS)} "
                            "(Dropout is skipped)")
    if not linears:
        raise ValueError("from_torch: the Sequential has no Linear layer")
    return linears, acts + [("identity", None)] * (len(linears) - len(acts))


def _layer_sizes(linears: list[Any]) -> list[int]:
    """[in, hidden..., out] of chained Linear layers (ValueError where one does not fit the last)."""
    sizes = [linears[0].in_features]
    for i, lin in enumerate(linears):
        if lin.in_features != sizes[-1]:
            raise ValueError(f"from_torch: Linear {i} takes {lin.in_features} inputs but the layer before it "
                             f"gives {sizes[-1]}")
        sizes.append(lin.out_features)
    return sizes


def mlp_from_torch(module: Any, dtype: Any = None) -> MLP:
    """Build an `nn.MLP` from a `torch.nn.Sequential` of Linear layers and activations.

    Each Linear may be followed by one of ReLU, LeakyReLU, Tanh, Sigmoid,
    Softmax, Identity (none means identity); Dropout is skipped (it is the
    identity at inference). Weights are copied; `dtype` defaults to theirs
    (float32 or float64). A layer that cannot be converted raises TypeError
    naming it; sizes that do not chain raise ValueError.
    """
    torch = _require("torch", "from_torch", "torch")
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch: expected a torch.nn.Sequential of Linear layers and activations, "
                        f"got {type(module).__name__}")
    linears, acts = _read_torch_layers(torch, module)
    sizes = _layer_sizes(linears)
    has_bias = {lin.bias is not None for lin in linears}
    if len(has_bias) > 1:
        raise ValueError("from_torch: some Linear layers have a bias and some do not; an MLP needs all or none")
    if dtype is None:
        weight_dtype = linears[0].weight.dtype
        if weight_dtype not in (torch.float32, torch.float64):
            raise TypeError(f"from_torch: weights are {weight_dtype}; expected float32 or float64 "
                            "(or pass dtype=np.float32 / np.float64)")
        dtype = np.float32 if weight_dtype == torch.float32 else np.float64
    slopes = [float(layer.negative_slope) if kind == "leaky_relu" else NEGATIVE_SLOPE for kind, layer in acts]
    model = MLP(sizes, activations=[a for a, _ in acts], bias=has_bias.pop(), dtype=dtype, seed=0,
                negative_slope=slopes)
    for ours, (kind, layer) in zip(model.activation_modules, acts):
        if kind == "softmax":
            ours.axis = int(layer.dim)   # 1 or -1 (checked above), kept as torch had it
    state = {}
    for i, lin in enumerate(linears):
        state[f"layers.{i}.weight"] = lin.weight.detach().cpu().double().numpy()
        if lin.bias is not None:
            state[f"layers.{i}.bias"] = lin.bias.detach().cpu().double().numpy()
    model.load_state_dict(state)
    return model.train(module.training)


# -- ONNX -------------------------------------------------------------------------------------
def _onnx_nodes(onnx: Any, layers: list[tuple[str, Module]], x: str, dtype: np.dtype
                ) -> tuple[list[Any], list[Any], str]:
    """Nodes and initializers computing the layers from tensor `x`; returns the last tensor's name."""
    helper, numpy_helper = onnx.helper, onnx.numpy_helper
    nodes: list[Any] = []
    inits: list[Any] = []
    for name, layer in layers:
        out = f"{name}.out"
        if isinstance(layer, Linear):
            inputs = [x, f"{name}.weight"]
            inits.append(numpy_helper.from_array(np.asarray(layer.weight.data, dtype=dtype), f"{name}.weight"))
            if layer.bias is not None:
                inputs.append(f"{name}.bias")
                inits.append(numpy_helper.from_array(np.asarray(layer.bias.data, dtype=dtype), f"{name}.bias"))
            nodes.append(helper.make_node("Gemm", inputs, [out], name=name, transB=1))   # x @ Wᵀ + b
        elif isinstance(layer, (Identity, Dropout)):
            continue                                                                    # identity at inference
        elif isinstance(layer, LeakyReLU):
            # PRelu with the slope as a tensor of the model's dtype: LeakyRelu's alpha is a float32
            # attribute, which would round a float64 model's slope (0.01 → 0.0099999998).
            inits.append(numpy_helper.from_array(np.asarray(layer.negative_slope, dtype=dtype), f"{name}.slope"))
            nodes.append(helper.make_node("PRelu", [x, f"{name}.slope"], [out], name=name))
        elif isinstance(layer, Softmax):
            nodes.append(helper.make_node("Softmax", [x], [out], name=name, axis=layer.axis))
        else:
            op = {ReLU: "Relu", Tanh: "Tanh", Sigmoid: "Sigmoid"}[type(layer)]
            nodes.append(helper.make_node(op, [x], [out], name=name))
        x = out
    return nodes, inits, x


def export_onnx(model: Module, path: str | os.PathLike, *, input_name: str = "input",
                output_name: str = "output", opset: int = MIN_OPSET) -> str:
    """Write `model` as an ONNX file (built with the `onnx` package) and return the path.

    The graph takes `input_name` of shape (batch, in_features) and gives
    `output_name` of shape (batch, out_features), with `batch` a dynamic
    dimension, in the model's dtype (float32 or float64). Dropout is left out
    (inference). The model is checked with `onnx.checker` and written atomically.
    """
    layers = supported_layers(model, "export_onnx")
    onnx = require_onnx()
    if not isinstance(opset, int) or opset < MIN_OPSET:
        raise ValueError(f"export_onnx: opset={opset!r}; expected an integer >= {MIN_OPSET}")
    if input_name == output_name:
        raise ValueError(f"export_onnx: input_name and output_name must differ, both are {input_name!r}")
    linears = [layer for _, layer in layers if isinstance(layer, Linear)]
    if not linears:
        raise ValueError("export_onnx: the model has no Linear layer, so its input size is unknown")
    dtype = np.dtype(model.dtype)
    helper = onnx.helper
    elem = helper.np_dtype_to_tensor_dtype(dtype)
    nodes, inits, last = _onnx_nodes(onnx, layers, input_name, dtype)
    if nodes:
        nodes[-1].output[0] = output_name
    else:
        nodes.append(helper.make_node("Identity", [input_name], [output_name]))
    graph = helper.make_graph(
        nodes, "mlpgrad", [helper.make_tensor_value_info(input_name, elem, ["batch", linears[0].in_features])],
        [helper.make_tensor_value_info(output_name, elem, ["batch", linears[-1].out_features])], inits)
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, opset_imports=opsets, producer_name="mlpgrad",
                              ir_version=helper.find_min_ir_version_for(opsets),
                              doc_string=f"{model.describe()} exported by mlpgrad")
    onnx.checker.check_model(proto, full_check=True)
    return write_atomically(path, lambda f: f.write(proto.SerializeToString()))

