"""`Module` and `Parameter`: the containers every layer and model is built from.

Parameters and sub-modules assigned as attributes (or in lists) register
themselves, so `named_parameters()` yields dotted names like
`layers.0.weight`, in the order they were assigned (PyTorch's behaviour).
"""
from __future__ import annotations

import json
import os
import tempfile
from collections import OrderedDict
from typing import Any, BinaryIO, Callable, Iterator, Mapping

import numpy as np

from autograd import Tensor, scope

CONFIG_KEY = "__config__"


class Parameter(Tensor):
    """A Tensor that a Module owns and an optimizer updates (requires grad)."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True, dtype: Any = None,
                 name: str | None = None) -> None:
        super().__init__(data, requires_grad=requires_grad, dtype=dtype, name=name)

    def __repr__(self) -> str:
        return "Parameter" + super().__repr__()[len("Tensor"):]


class Module:
    """Base class of layers and models: call it to run `forward`."""

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def __setattr__(self, name: str, value: Any) -> None:
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before assigning attributes")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        if isinstance(value, (list, tuple)) and value:
            if all(isinstance(v, Module) for v in value):
                value = ModuleList(value)
            elif all(isinstance(v, Parameter) for v in value):
                value = ParameterList(value)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # drawings group the ops made inside into one cluster per module
        return scope.call(self, self.forward, *args, **kwargs)

    # -- traversal ------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """(dotted path, module) for this module ('' for itself) and every descendant."""
        stack: list[tuple[str, Module]] = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            path, m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            yield path, m
            for name, child in reversed(list(m._modules.items())):
                stack.append((f"{path}.{name}" if path else name, child))

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def children(self) -> Iterator["Module"]:
        return iter(self._modules.values())

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs, each parameter once."""
        seen: set[int] = set()
        for path, m in self.named_modules():
            for name, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{path}.{name}" if path else name), p

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        """Total number of scalar parameters."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    # -- dtype ----------------------------------------------------------------
    @property
    def dtype(self) -> np.dtype | None:
        params = self.parameters()
        return params[0].dtype if params else None

    def to(self, dtype: Any) -> "Module":
        """Convert every parameter to `dtype` (np.float32 or np.float64), in place."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise TypeError(f"to: expected a floating dtype, got {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            p.grad = None
        return self

    def float(self) -> "Module":
        return self.to(np.float32)

    def double(self) -> "Module":
        return self.to(np.float64)

    # -- state ----------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter's data, keyed by dotted name."""
        return OrderedDict((name, p.data.copy()) for name, p in self.named_parameters())

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> None:
        """Copy arrays from `state` into the parameters; all checks run before anything is loaded."""
        own = dict(self.named_parameters())
        state = {k: v for k, v in state.items() if k != CONFIG_KEY}
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        problems = []
        if strict and (missing or unexpected):
            problems.append(f"missing keys {missing}, unexpected keys {unexpected}")
        for k, p in own.items():
            if k in state:
                arr = np.asarray(state[k].data if isinstance(state[k], Tensor) else state[k])
                if arr.shape != p.shape:
                    problems.append(f"shape mismatch for {k}: {arr.shape} in file vs {p.shape} in model")
                elif arr.dtype.kind not in "fiu":
                    problems.append(f"{k} has non-numeric dtype {arr.dtype}")
        if problems:
            raise ValueError("load_state_dict: " + "; ".join(problems) + " (nothing was loaded)")
        for k, p in own.items():
            if k in state:
                arr = state[k].data if isinstance(state[k], Tensor) else state[k]
                p.data = np.array(arr, dtype=p.dtype)
                p.grad = None

    def config(self) -> dict | None:
        """A JSON-able description from which the model can be rebuilt (None if unsupported)."""
        return None

    def save(self, path: str | os.PathLike) -> str:
        """Write the parameters (and config, when known) to a `.npz` file atomically."""
        return save_npz(path, self.state_dict(), self.config())

    def load(self, path: str | os.PathLike, strict: bool = True) -> "Module":
        """Load parameters saved by `save` (no pickle) into this module."""
        with np.load(npz_path(path), allow_pickle=False) as f:
            state = {k: f[k] for k in f.files}
        self.load_state_dict(state, strict=strict)
        return self

    # -- outgrowing mlpgrad (nn/interop.py) -----------------------------------
    def to_torch(self) -> Any:
        """An equivalent `torch.nn.Sequential` with copied weights (MLP or Sequential of supported layers)."""
        from nn.interop import to_torch
        return to_torch(self)

    def export_onnx(self, path: str | os.PathLike, *, input_name: str = "input", output_name: str = "output",
                    opset: int = 17) -> str:
        """Write the model as an ONNX file (opset ≥ 17, dynamic batch); see `nn.interop.export_onnx`."""
        from nn.interop import export_onnx
        return export_onnx(self, path, input_name=input_name, output_name=output_name, opset=opset)

    # -- printing -------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def describe(self) -> str:
        """Short label, e.g. `Linear(2→16)` (used in drawings)."""
        return f"{type(self).__name__}({self.extra_repr()})" if self.extra_repr() else type(self).__name__

    def __repr__(self) -> str:
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, m in self._modules.items():
            lines.append(f"  ({name}): " + repr(m).replace("\n", "\n  "))
        return "\n".join(lines) + "\n)"

    def _summary_rows(self) -> list[tuple[str, str, str, int]]:
        return [(n, str(p.shape), str(p.dtype), p.size) for n, p in self.named_parameters()]

    def summary(self) -> str:
        """A table of parameters: name, shape, dtype, count, and the total."""
        rows = self._summary_rows()
        w = max([len(r[0]) for r in rows] + [9])
        out = [f"{'parameter':<{w}}  {'shape':<12} {'dtype':<8} {'count':>8}"]
        out += [f"{n:<{w}}  {s:<12} {d:<8} {c:>8}" for n, s, d, c in rows]
        out.append(f"{'total':<{w}}  {'':<12} {'':<8} {self.num_parameters():>8}")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        """Jupyter: the summary as an HTML table, titled with the model and its activations."""
        from nn.display import html_table
        title = f"{self.describe()}: {self.num_parameters()} parameters, {self.dtype}"
        if getattr(self, "activation_names", None):
            title += f"; activations {', '.join(self.activation_names)}"
        rows = [*self._summary_rows(), ("total", "", "", self.num_parameters())]
        return html_table(("parameter", "shape", "dtype", "count"), rows, caption=title, right=(3,))


def save_npz(path: str | os.PathLike, state: Mapping[str, np.ndarray], config: dict | None) -> str:
    """Parameters, and the JSON `config` under CONFIG_KEY, as one `.npz` (the suffix added when
    missing), written atomically; returns the path."""
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    arrays = dict(state)
    if config is not None:
        arrays[CONFIG_KEY] = np.array(json.dumps(config))
    return write_atomically(path, lambda f: np.savez(f, **arrays))


def read_config(path: str | os.PathLike) -> dict | None:
    """The config `save_npz` stored in the `.npz` at `path`, or None when it has none."""
    with np.load(path, allow_pickle=False) as f:
        return json.loads(str(f[CONFIG_KEY])) if CONFIG_KEY in f.files else None


def write_atomically(path: str | os.PathLike, write: Callable[[BinaryIO], Any]) -> str:
    """Create `path` through `write(file)` in a temporary file beside it, then rename that over
    `path`: readers see the old file or the new one, never half of one."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
        os.chmod(tmp, _default_file_mode())  # mkstemp makes 0600; give the usual open() mode
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def npz_path(path: str | os.PathLike) -> str:
    """The file `save(path)` wrote: `path` itself, or `path + ".npz"` when `save` added the suffix."""
    path = os.fspath(path)
    if not os.path.exists(path) and not path.endswith(".npz") and os.path.exists(path + ".npz"):
        return path + ".npz"
    return path


def _default_file_mode() -> int:
    """0o666 minus the process umask: the mode `open(path, "w")` would give a new file.
    (Reading the umask means setting it; it is put back at once.)"""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


class _ItemList(Module):
    """A list of modules or parameters, registered as `0`, `1`, … (in `_modules` or `_parameters`)."""
    _kind: type = Module
    _store = "_modules"

    def __init__(self, items: Any = ()) -> None:
        super().__init__()
        for item in items:
            self.append(item)

    def append(self, item: Any) -> None:
        if not isinstance(item, self._kind):
            raise TypeError(f"{self._list_name}: expected a {self._kind.__name__}, got {type(item).__name__}")
        setattr(self, str(len(self)), item)

    def __getitem__(self, i: int) -> Any:
        return list(getattr(self, self._store).values())[i]

    def __len__(self) -> int:
        return len(getattr(self, self._store))

    def __iter__(self) -> Iterator[Any]:
        return iter(getattr(self, self._store).values())


class ModuleList(_ItemList):
    """A list of modules, registered as `0`, `1`, …"""
    _list_name = "ModuleList"


class Sequential(ModuleList):
    """Modules applied one after another: `Sequential(Linear(2, 4), ReLU(), Linear(4, 1))`."""

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def forward(self, x: Any) -> Any:
        for m in self._modules.values():
            x = m(x)
        return x


class ParameterList(_ItemList):
    """A list of parameters, registered as `0`, `1`, … (a list of Parameters assigned
    to a Module attribute becomes one, so its entries appear as `name.0`, `name.1`)."""
    _kind, _store, _list_name = Parameter, "_parameters", "ParameterList"

    def extra_repr(self) -> str:
        return ", ".join(str(p.shape) for p in self._parameters.values())
