"""Weight initialisers. An initialiser is `fn(shape, rng) -> ndarray`.

Weights have shape (out_features, in_features), so fan_in = shape[-1] and
fan_out = shape[0]. `he_normal` and `xavier_uniform` are initialisers;
`normal(std)` and `constant(value)` build them (the seeds use
`randn * 0.1`, He, and all ones).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

Initializer = Callable[[tuple, np.random.Generator], np.ndarray]


def _fans(shape: tuple) -> tuple[int, int]:
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[-1], shape[0]


def he_normal(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """N(0, 2 / fan_in): keeps ReLU activations' variance constant layer to layer."""
    fan_in, _ = _fans(shape)
    return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)


def xavier_uniform(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """U(−a, a) with a = √(6 / (fan_in + fan_out)): Glorot's choice for tanh/sigmoid."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape)


def normal(std: float = 0.1, mean: float = 0.0) -> Initializer:
    """N(mean, std²) — `normal(0.1)` is the seeds' `randn * 0.1`."""
    if std < 0:
        raise ValueError(f"normal: std must be >= 0, got {std}")

    def init(shape: tuple, rng: np.random.Generator) -> np.ndarray:
        return mean + std * rng.standard_normal(shape)
    init.__name__ = f"normal(std={std})"
    return init


def constant(value: float) -> Initializer:
    """Every entry equal to `value` (seed 004's all-ones network: `constant(1.0)`)."""
    def init(shape: tuple, rng: np.random.Generator) -> np.ndarray:
        return np.full(shape, float(value))
    init.__name__ = f"constant({value})"
    return init


def zeros(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """All zeros (the default for biases)."""
    return np.zeros(shape)


NAMED: dict[str, Initializer] = {
    "he_normal": he_normal, "he": he_normal, "xavier_uniform": xavier_uniform,
    "xavier": xavier_uniform, "glorot": xavier_uniform, "normal": normal(0.1),
    "zeros": zeros, "ones": constant(1.0),
}

# What a practitioner picks for each activation: He for the ReLU family, Glorot otherwise.
DEFAULT_FOR_ACTIVATION = {"relu": he_normal, "leaky_relu": he_normal}


def resolve(init: str | Initializer | None, activation: str | None = None) -> Initializer:
    """Turn an init argument (name, callable, None/'default') into an initialiser."""
    if init is None or init == "default":
        return DEFAULT_FOR_ACTIVATION.get(activation or "", xavier_uniform)
    if callable(init):
        return init
    if isinstance(init, str) and init in NAMED:
        return NAMED[init]
    raise ValueError(f"init: unknown initialiser {init!r}; expected one of {sorted(NAMED)}, "
                     "'default', or a callable (shape, rng) -> array")
