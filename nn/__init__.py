"""nn — modules, losses, optimizers, data and training on top of `autograd`.

    >>> import nn
    >>> model = nn.MLP([2, 16, 8, 1], activations=["relu", "relu", "sigmoid"], seed=42)
"""
from nn.module import Module, ModuleList, Parameter, ParameterList, Sequential
from nn.layers import (MLP, Dropout, Identity, LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh,
                       activation)
from nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, get_loss
from nn import functional, init, optim
from nn.train import Callback, EarlyStopping, History, Run, evaluate, fit, predict, train_step
from nn.compile_step import CompiledStep, compile_step


def load_model(path: str) -> Module:
    """Rebuild a model saved with `model.save(path)` (MLPs carry their architecture)."""
    from nn.layers import NEGATIVE_SLOPE
    from nn.module import npz_path, read_config
    path = npz_path(path)
    cfg = read_config(path)
    if cfg is None:
        raise ValueError(f"load_model: {path} has no architecture config; build the model and call model.load(path)")
    if cfg.get("class") != "MLP":
        raise ValueError(f"load_model: unsupported model class {cfg.get('class')!r}")
    model = MLP(cfg["layer_sizes"], cfg["activations"], bias=cfg.get("bias", True), dtype=cfg.get("dtype", "float64"),
                negative_slope=cfg.get("negative_slopes", NEGATIVE_SLOPE))
    return model.load(path)


def __getattr__(name: str):
    # Submodules that pull optional or numpy-only pieces load on first use.
    import importlib
    if name in ("data", "metrics", "manual", "compare", "plot", "cli", "interop", "display"):
        return importlib.import_module(f"nn.{name}")
    if name == "check_backprop":   # the gradient doctor (nn.backprop_check), also in nn.compare
        return importlib.import_module("nn.backprop_check").check_backprop
    raise AttributeError(f"module 'nn' has no attribute {name!r}")


__all__ = [
    "Module", "ModuleList", "Parameter", "ParameterList", "Sequential", "MLP", "Linear", "ReLU", "LeakyReLU", "Tanh",
    "Sigmoid", "Softmax", "Identity", "Dropout", "activation", "MSELoss", "L1Loss", "BCELoss",
    "BCEWithLogitsLoss", "CrossEntropyLoss", "get_loss", "functional", "init", "optim",
    "fit", "predict", "evaluate", "train_step", "Callback", "Run", "compile_step", "CompiledStep", "History", "EarlyStopping", "load_model",
]
