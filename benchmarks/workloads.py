"""The benchmark workloads W1–W6, and one training-step runner per system.

Each workload fixes its data, its initial weights (seeded, generated here with
NumPy so all systems start from the same arrays) and its hyper-parameters.
`make_runner(system, workload)` builds an object with

- `step()`: one full-batch training step — forward, loss, backward, SGD update
  (for W6: the 100,000-op chain forward and backward);
- `state()`: the arrays the correctness check compares (weights and biases in
  layer order, or the input gradient for W6), as NumPy arrays.

Systems: "numpy" (benchmarks.manual_numpy), "mlpgrad" (the normal user API:
`opt.zero_grad(); loss = loss_fn(model(X), y); loss.backward(); opt.step()`),
"torch1" / "torchN" (PyTorch eager; the thread count is set by the caller).
The data sets are generated here rather than by `nn.data`, so the benchmark
does not change when the library's data helpers do.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from benchmarks import manual_numpy

SYSTEMS = ("numpy", "mlpgrad", "mlpgrad-lean", "compiled", "jax", "torch1", "torchN")


# -- data ---------------------------------------------------------------------------
def moons(n: int, noise: float, seed: int, labels: tuple[float, float] = (0.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's recipe), shuffled, with Gaussian noise."""
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n - n0)
    X = np.vstack([np.column_stack([np.cos(t0), np.sin(t0)]),
                   np.column_stack([1 - np.cos(t1), 0.5 - np.sin(t1)])])
    y = np.concatenate([np.full(n0, labels[0]), np.full(n - n0, labels[1])])
    perm = rng.permutation(n)
    X = X[perm] + noise * rng.standard_normal((n, 2))
    return X, y[perm].reshape(-1, 1)


def sine(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seed 000's regression data: y = sin x + 0.1 ε on n evenly spaced x in [−π, π]."""
    rng = np.random.default_rng(seed)
    X = np.linspace(-np.pi, np.pi, n).reshape(-1, 1)
    return X, np.sin(X) + 0.1 * rng.standard_normal((n, 1))


def surface(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seed 004's surface: y = x1·x2 + x1² + exp(sin x2) + ε, x ~ U(−5, 5)²."""
    rng = np.random.default_rng(seed)
    eps = rng.standard_normal(n)
    x1, x2 = rng.uniform(-5, 5, n), rng.uniform(-5, 5, n)
    y = x1 * x2 + x1 ** 2 + np.exp(np.sin(x2)) + eps
    return np.column_stack([x1, x2]), y.reshape(-1, 1)


def pixels(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """MNIST-shaped stand-in: n rows of 784 intensities in [0, 1), integer labels 0–9."""
    rng = np.random.default_rng(seed)
    return rng.random((n, 784)), rng.integers(0, 10, n)


# -- workloads ------------------------------------------------------------------------
@dataclass(frozen=True)
class MLPWorkload:
    key: str
    title: str
    sizes: tuple[int, ...]
    activations: tuple[str, ...]
    loss: str                      # "bce" | "mse" | "ce"
    dtype: Any
    lr: float
    make_data: Callable[[], tuple[np.ndarray, np.ndarray]]
    goal: float                    # target ratio mlpgrad / numpy
    weight_seed: int = 0
    kind: str = "mlp"
    extra_goal: str = ""           # described in the report
    l2: float = 0.0                # α of the penalty α·Σ w² added to the loss (the micrograd demo)

    @property
    def rows(self) -> int:
        return self.data()[0].shape[0]

    def data(self) -> tuple[np.ndarray, np.ndarray]:
        X, y = self.make_data()
        X = X.astype(self.dtype)
        y = y.astype(np.int64) if self.loss == "ce" else y.astype(self.dtype)
        return X, y

    def weights(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W, b) per layer: He normal for ReLU layers, Xavier uniform otherwise, small random biases."""
        rng = np.random.default_rng(self.weight_seed)
        out = []
        for n_in, n_out, act in zip(self.sizes[:-1], self.sizes[1:], self.activations):
            if act == "relu":
                W = rng.standard_normal((n_out, n_in)) * math.sqrt(2.0 / n_in)
            else:
                lim = math.sqrt(6.0 / (n_in + n_out))
                W = rng.uniform(-lim, lim, (n_out, n_in))
            b = 0.1 * rng.standard_normal(n_out)
            out.append((W.astype(self.dtype), b.astype(self.dtype)))
        return out

    def describe(self) -> str:
        arch = "→".join(map(str, self.sizes))
        loss = self.loss.upper() + (f" + {self.l2:g}·L2 (composed)" if self.l2 else "")
        return f"{arch} {'/'.join(self.activations)}, {loss}, {self.rows} rows, {np.dtype(self.dtype).name}"


@dataclass(frozen=True)
class ChainWorkload:
    key: str
    title: str
    n_ops: int
    size: int
    c: float
    goal: float
    seed: int = 0
    dtype: Any = np.float64
    kind: str = "chain"
    extra_goal: str = ""

    def x0(self) -> np.ndarray:
        return np.random.default_rng(self.seed).uniform(-1, 1, self.size).astype(self.dtype)

    def describe(self) -> str:
        return (f"x ↦ tanh(x)·{self.c} × {self.n_ops // 2:,} (= {self.n_ops:,} ops) on a "
                f"{self.size}-vector, then sum + backward, {np.dtype(self.dtype).name}")

    def scaled(self, n_ops: int) -> "ChainWorkload":
        return ChainWorkload(self.key, self.title, n_ops, self.size, self.c, self.goal, self.seed, self.dtype)


WORKLOADS: dict[str, MLPWorkload | ChainWorkload] = {w.key: w for w in [
    MLPWorkload("W1", "moons classifier", (2, 16, 8, 1), ("relu", "relu", "sigmoid"), "bce", np.float64,
                0.1, lambda: moons(400, 0.2, seed=1), goal=1.3),
    MLPWorkload("W2", "sine regression (seed 000)", (1, 50, 50, 1), ("tanh", "tanh", "identity"), "mse",
                np.float64, 0.01, lambda: sine(200, seed=87), goal=1.3),
    MLPWorkload("W3", "surface regression (seed 004)", (2, 16, 1), ("sigmoid", "identity"), "mse",
                np.float64, 1e-3, lambda: surface(10_000, seed=2025), goal=1.1,
                extra_goal="and not slower than torch 1-thread"),
    MLPWorkload("W4", "MNIST-sized classifier", (784, 512, 512, 10), ("relu", "relu", "identity"), "ce",
                np.float32, 0.01, lambda: pixels(256, seed=4), goal=1.1),
    MLPWorkload("W5", "micrograd demo", (2, 16, 16, 1), ("relu", "relu", "identity"), "mse", np.float64,
                0.05, lambda: moons(100, 0.1, seed=5, labels=(-1.0, 1.0)), goal=1.3),
    ChainWorkload("W6", "long elementwise chain", n_ops=100_000, size=16, c=1.0000001, goal=3.0),
    MLPWorkload("W7", "micrograd demo, hinge + L2", (2, 16, 16, 1), ("relu", "relu", "identity"), "hinge",
                np.float64, 0.05, lambda: moons(100, 0.1, seed=5, labels=(-1.0, 1.0)), goal=2.0, l2=1e-4),
]}


# -- runners ------------------------------------------------------------------------------
@dataclass
class Runner:
    step: Callable[[], Any]
    state: Callable[[], list[np.ndarray]]
    extra: dict = field(default_factory=dict)


def make_runner(system: str, wl: MLPWorkload | ChainWorkload) -> Runner:
    """A fresh runner (fresh weights) for `system` on workload `wl`.

    "mlpgrad-lean" is mlpgrad with `loss.backward(retain_grads=False)` (only the
    parameters keep `.grad`, as in `nn.fit`); it is measured for memory only.
    """
    base = system[:5] if system.startswith("torch") else system
    builders = {"numpy": _numpy_runner, "mlpgrad": _mlpgrad_runner,
                "mlpgrad-lean": functools.partial(_mlpgrad_runner, retain_grads=False), "torch": _torch_runner,
                "compiled": _compiled_runner, "jax": _jax_runner}
    if base not in builders:
        raise ValueError(f"unknown system {system!r}; expected one of {SYSTEMS}")
    return builders[base](wl)


def _numpy_runner(wl) -> Runner:
    if wl.kind == "chain":
        net = manual_numpy.ManualChain(wl.x0(), wl.n_ops, wl.c)
        box: list[np.ndarray] = []

        def step():
            box[:] = [net.step()]
        return Runner(step, lambda: list(box))
    X, y = wl.data()
    net = manual_numpy.ManualMLP(wl.weights(), wl.activations, wl.loss, wl.lr, X, y, l2=wl.l2)
    return Runner(net.step, net.parameters, {"net": net})


_MLPGRAD_LOSSES = {"bce": "BCELoss", "mse": "MSELoss", "ce": "CrossEntropyLoss"}


def _mlpgrad_runner(wl, retain_grads: bool = True) -> Runner:
    import nn
    from autograd import Tensor

    if wl.kind == "chain":
        x0, c, pairs = wl.x0(), wl.c, wl.n_ops // 2
        box: list[np.ndarray] = []

        def step():
            x = Tensor(x0, requires_grad=True)
            y = x
            for _ in range(pairs):
                y = y.tanh()
                y = y * c
            y.sum().backward()
            box[:] = [x.grad]
        return Runner(step, lambda: list(box))

    X, y = wl.data()
    model = nn.MLP(list(wl.sizes), activations=list(wl.activations), dtype=wl.dtype, seed=0)
    state = {}
    for i, (W, b) in enumerate(wl.weights()):
        state[f"layers.{i}.weight"], state[f"layers.{i}.bias"] = W, b
    model.load_state_dict(state)
    loss_fn = _mlpgrad_loss(wl, model)
    opt = nn.optim.SGD(model.parameters(), lr=wl.lr)
    Xt = Tensor(X)
    yt = y if wl.loss == "ce" else Tensor(y)   # integer labels stay a NumPy int array

    def step():
        opt.zero_grad()
        loss = loss_fn(model(Xt), yt)
        loss.backward(retain_grads=retain_grads)
        opt.step()

    def params():
        out = []
        for layer in model.layers:
            out += [layer.weight.data, layer.bias.data]
        return out
    return Runner(step, params, {"model": model})


def _mlpgrad_loss(wl, model) -> Callable:
    """The workload's loss as mlpgrad users write it: a loss module, or the micrograd demo's
    hinge + L2 composed from primitive ops (as in micrograd's demo notebook)."""
    import nn
    if wl.loss != "hinge":
        return getattr(nn, _MLPGRAD_LOSSES[wl.loss])()
    params = model.parameters()

    def hinge_l2(scores, y):
        data_loss = (1 - y * scores).relu().mean()
        reg_loss = wl.l2 * sum((p * p).sum() for p in params)
        return data_loss + reg_loss
    return hinge_l2


def _compiled_runner(wl) -> Runner:
    """mlpgrad's step traced once by `nn.compile_step` (autograd.compile for the chain), then run as NumPy code."""
    import time
    import autograd
    from autograd import Tensor
    if wl.kind == "chain":
        x0, c, pairs = wl.x0(), wl.c, wl.n_ops // 2

        def chain(x):
            y = x
            for _ in range(pairs):
                y = y.tanh()
                y = y * c
            y.sum().backward()
            return x.grad
        compiled = autograd.compile(chain)
        start = time.perf_counter()
        compiled.trace(Tensor(x0, requires_grad=True))
        traced_s = time.perf_counter() - start
        box: list[np.ndarray] = []

        def step():
            box[:] = [compiled(Tensor(x0, requires_grad=True))]
        return Runner(step, lambda: list(box), {"compile_s": traced_s})
    import nn
    base = _mlpgrad_runner(wl)
    model = base.extra["model"]
    X, y = wl.data()
    loss_fn = _mlpgrad_loss(wl, model)
    compiled = nn.compile_step(model, loss_fn, nn.optim.SGD(model.parameters(), lr=wl.lr))
    Xt, yt = Tensor(X), (y if wl.loss == "ce" else Tensor(y))
    start = time.perf_counter()
    compiled.trace(Xt, yt)
    traced_s = time.perf_counter() - start
    return Runner(lambda: compiled(Xt, yt), base.state,
                  {"model": model, "compile_s": traced_s, "compiled": compiled})


def _torch_runner(wl) -> Runner:
    import torch

    tdtype = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[np.dtype(wl.dtype)]
    if wl.kind == "chain":
        x0, c, pairs = torch.from_numpy(wl.x0().copy()), wl.c, wl.n_ops // 2
        box: list[np.ndarray] = []

        def step():
            x = x0.detach().clone().requires_grad_(True)
            y = x
            for _ in range(pairs):
                y = y.tanh()
                y = y * c
            y.sum().backward()
            box[:] = [x.grad.numpy()]
        return Runner(step, lambda: list(box))

    X, y = wl.data()
    acts = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid,
            "identity": torch.nn.Identity}
    mods = []
    linears = []
    for (W, b), act in zip(wl.weights(), wl.activations):
        lin = torch.nn.Linear(W.shape[1], W.shape[0], dtype=tdtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(W))
            lin.bias.copy_(torch.from_numpy(b))
        linears.append(lin)
        mods += [lin] if act == "identity" else [lin, acts[act]()]
    model = torch.nn.Sequential(*mods)
    if wl.loss == "hinge":
        def loss_fn(scores, target):
            reg = wl.l2 * sum((p * p).sum() for p in model.parameters())
            return torch.relu(1 - target * scores).mean() + reg
    else:
        loss_fn = {"bce": torch.nn.BCELoss, "mse": torch.nn.MSELoss, "ce": torch.nn.CrossEntropyLoss}[wl.loss]()
    opt = torch.optim.SGD(model.parameters(), lr=wl.lr)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(Xt), yt)
        loss.backward()
        opt.step()

    def params():
        out = []
        for lin in linears:
            out += [lin.weight.detach().numpy().copy(), lin.bias.detach().numpy().copy()]
        return out
    return Runner(step, params, {"model": model})


def _jax_runner(wl) -> Runner:
    """JAX: the loss written with jax.numpy, `jax.grad` and the SGD update in one `jax.jit` step
    (float64 enabled; XLA on one thread). The first call (trace + XLA compile) is timed as compile_s."""
    import os
    import time
    os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)
    if wl.kind == "chain":
        raise ValueError("jax runner: the 100k-op chain is not traced with jax.jit (compile time)")
    X, y = wl.data()
    acts = {"relu": jax.nn.relu, "tanh": jnp.tanh, "sigmoid": jax.nn.sigmoid, "identity": lambda z: z}
    rows = np.arange(X.shape[0])

    def loss_fn(params, X, y):
        a = X
        for (W, b), act in zip(params, wl.activations):
            a = acts[act](a @ W.T + b)
        if wl.loss == "bce":
            return -jnp.mean(y * jnp.maximum(jnp.log(a), -100) + (1 - y) * jnp.maximum(jnp.log1p(-a), -100))
        if wl.loss == "mse":
            return jnp.mean((a - y) ** 2)
        if wl.loss == "ce":
            return jnp.mean(jax.scipy.special.logsumexp(a, axis=1) - a[rows, y])
        reg = wl.l2 * sum(jnp.sum(W * W) + jnp.sum(b * b) for W, b in params)
        return jnp.mean(jax.nn.relu(1 - y * a)) + reg

    @jax.jit
    def step(params, X, y):
        grads = jax.grad(loss_fn)(params, X, y)
        return [(W - wl.lr * gW, b - wl.lr * gb) for (W, b), (gW, gb) in zip(params, grads)]

    box = [[(jnp.asarray(W), jnp.asarray(b)) for W, b in wl.weights()]]
    Xj, yj = jnp.asarray(X), jnp.asarray(y)
    start = time.perf_counter()
    jax.block_until_ready(step(box[0], Xj, yj))   # trace + compile (the result is discarded)
    compile_s = time.perf_counter() - start

    def run():
        box[0] = jax.block_until_ready(step(box[0], Xj, yj))

    def params():
        return [np.asarray(a) for Wb in box[0] for a in Wb]
    return Runner(run, params, {"compile_s": compile_s})


def jax_available() -> bool:
    try:
        import jax  # noqa: F401
    except Exception:
        return False
    return True


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except Exception:
        return False
    return True
