"""A traced program: its lines of NumPy calls, and the Python module they become.

`Program` holds what `autograd.compile` recorded (arguments, one `Line` per
NumPy call, outputs, constants). `source()` is the readable form, one line
per call with the op and its derivative rule as comments; `source(fast=True)`
is what runs: the same numbers from fewer or cheaper calls, with values in
preallocated buffers (`autograd.buffers`) and a very long program's repeated
blocks as loops (`autograd.loops`).
"""
from __future__ import annotations

import builtins
import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from autograd.buffers import buffered
from autograd import loops
from autograd.loops import NoRoll, find_loops, rolled_source
from autograd.tracer import Line, Var, _owner, identifier


@dataclass
class Program:
    """Straight-line code: arguments, lines, outputs; rendered as source and run with exec."""
    name: str
    args: list[Var]
    lines: list[Line]
    outputs: list[Any]                 # Vars (or constant values) returned, in order
    constants: dict[str, np.ndarray]
    externals: set[Var] = field(default_factory=set)
    numbers: dict[tuple[str, np.dtype], str] = field(default_factory=dict)   # the fast form's 0-d constants
    dtypes: dict[Var, np.dtype] = field(default_factory=dict)

    def prune(self) -> None:
        """Drop lines whose values reach no output and that change no argument (dead code)."""
        live = {v for v in self.outputs if isinstance(v, Var)} | set(self.args)
        kept = []
        for line in reversed(self.lines):
            defined = set(line.targets)
            if line.kind == "mutate":
                if not (line.writes & live):
                    continue
            elif not (defined & live):
                continue
            live -= defined
            live |= line.reads
            kept.append(line)
        self.lines = kept[::-1]

    def finalize_names(self) -> None:
        taken: set[str] = set()
        for v in self.args:
            v.name = identifier(v.name, taken)
        for line in self.lines:
            for v in line.targets:
                v.name = identifier(v.name, taken)

    def fast_lines(self) -> list[Line]:
        """The lines of the fast form: the same numbers from fewer or cheaper NumPy calls.

        A call repeated on unchanged operands (an op whose two inputs are one tensor: `p * p`
        differentiates to `g·p + g·p`) is made once; `np.asarray` of a NumPy scalar is skipped,
        and + − · / on NumPy scalars are written as operators (NumPy's scalar arithmetic: the
        same IEEE operations, without the array machinery). Values returned, viewed or changed
        in place keep their own lines. (Rendering adds typed number constants: `typed`.)
        """
        keep = {v for v in self.outputs if isinstance(v, Var)}
        viewed = set()
        for line in self.lines:
            if line.kind == "mutate":
                keep |= line.writes
            elif line.value.__class__ is np.ndarray and line.value.base is not None:
                viewed.add(id(_owner(line.value)))
        self.numbers = {}
        sub: dict[Var, Var] = {}
        seen: dict[tuple, Var] = {}
        version: dict[Var, int] = {}
        scalars: set[Var] = set()
        dtypes = self.dtypes = {}     # (of the array values, for `typed`)
        out = []
        for line in self.lines:
            if sub and not sub.keys().isdisjoint(line.reads):
                line = _substituted(line, sub)
            if line.kind == "mutate" or len(line.targets) != 1:
                for v in line.writes:
                    version[v] = version.get(v, 0) + 1
                out.append(line)
                continue
            t, parts, v = line.targets[0], line.parts, line.value
            if v.__class__ is np.ndarray:
                dtypes[t] = v.dtype
            elif isinstance(v, np.generic):
                scalars.add(t)
            if t not in keep and id(v) not in viewed:
                if parts[0] == "np.asarray" and len(parts) == 4 and parts[2] in scalars:
                    sub[t] = parts[2]
                    continue
                if line.fast is not None:
                    key = tuple([(p, version.get(p, 0)) if p.__class__ is Var else p for p in line.fast])
                    hit = seen.setdefault(key, t)
                    if hit is not t:
                        sub[t] = hit
                        continue
            op = _OPERATOR_OF.get(parts[0])
            if (op and t in scalars and v.dtype.kind == "f" and len(parts) == 6 and parts[3] == ", "
                    and all(p in scalars or p.__class__ is str for p in (parts[2], parts[4]))):
                line = _changed(line, parts=[parts[2], op, parts[4]])
            out.append(line)
        return out

    def typed(self, line: Line) -> Line:
        """`line` (of `fast_lines`) with its Python-number operands as 0-d arrays of the dtype NumPy
        converts them to (module constants `_n0`, ...), so no call converts them again."""
        v = line.value
        if v.__class__ is not np.ndarray or line.fast is None or line.fast[0] not in _ARITHMETIC:
            return line
        # the result's dtype (arithmetic), or the operand's (a comparison such as x > 0)
        dtype = v.dtype if v.dtype.kind == "f" else (
            self.dtypes.get(next(iter(line.reads))) if len(line.reads) == 1 else None)
        return line if dtype is None or dtype.kind != "f" else self._typed_numbers(line, dtype)

    def _typed_numbers(self, line: Line, dtype: np.dtype) -> Line:
        """`line` with its number literals (positional operands) as constants of `dtype`."""
        def typed(parts: list[Any]) -> list[Any]:
            return [self.numbers.setdefault((p, dtype), f"_n{len(self.numbers)}")
                    if p.__class__ is str and p[:1] in _NUMBER_START and _is_number(p) else p for p in parts]
        if not any(p.__class__ is str and p[:1] in _NUMBER_START for p in line.fast) or any(
                p.__class__ is str and p.endswith("=") for p in line.fast):
            return line
        fast = typed(line.fast)
        parts = fast if line.fast is line.parts else typed(line.parts) if len(line.parts) == 3 else line.parts
        return _changed(line, parts=parts, fast=fast)

    def buffered(self, lines: list[Line] | None = None, allocations: list | None = None
                 ) -> tuple[dict[int, str], list[tuple[str, tuple, np.dtype]]]:
        """Preallocated buffers for `out=` (see `autograd.buffers`): {id(line): buffer name},
        and the buffers to allocate."""
        return buffered(self.lines if lines is None else lines, self.outputs, allocations)

    def source(self, fast: bool = False) -> str:
        """The program as a NumPy module: constants, (buffers,) and one function.

        The fast form of a very long program runs its long repeated blocks as loops (`Loop`).
        """
        lines = self.fast_lines() if fast else self.lines
        if fast and len(lines) >= loops.ROLL_MIN_LINES:
            try:
                return rolled_source(self, lines, find_loops(lines))
            except NoRoll:
                pass
        buffers, allocations = self.buffered(lines) if fast else ({}, [])
        body = []
        section = comment_above = None
        for line in lines:
            code = (self.typed(line) if fast else line).render(buffers.get(id(line)))
            section, comment_above = self.emit(body, line, section, comment_above, code)
        return self.module_source(allocations, [], body, lambda v: v.name, fast)

    @staticmethod
    def emit(out: list[str], line: Line, section: Any, comment_above: Any, code: str,
             indent: str = "    ") -> tuple[Any, Any]:
        """Append `code` for `line` to `out`, with a section header when the section changes and
        the op's comment on its first line; returns the new (section, comment_above)."""
        if line.section != section:
            section = line.section
            out.append(f"    # -- {section} --")
        # the op and its rule once per op, on its first line
        comment = f"  # {line.comment}" if line.comment and line.comment != comment_above else ""
        out.append(f"{indent}{code}{comment}")
        return section, line.comment

    def module_source(self, allocations: list, stacks: list, body: list[str], ref: Callable[[Var], str],
                      fast: bool = True) -> str:
        """The whole module: constants, typed numbers (fast form), buffers, stacks, then the function
        with `body` and a return of the outputs, each named by `ref`."""
        out = ['"""Generated by autograd.compile: forward, backward and update as plain NumPy."""',
               "import math", "", "import numpy as np", ""]
        for name, arr in self.constants.items():
            out.append(f"{name} = {constant_source(arr)}")
        for (text, dtype), name in (self.numbers.items() if fast else ()):
            out.append(f"{name} = np.array({text}, np.{dtype.name})   # 0-d: no conversion per call")
        for name, shape, dtype in allocations:
            out.append(f"{name} = np.empty({shape}, np.{dtype.name})")
        for name, shape, dtype in stacks:     # (a list of rows: indexing a list is the cheaper)
            out.append(f"{name} = list(np.empty({shape}, np.{dtype.name}))")
        out += ["", "", f"def {self.name}({', '.join(v.name for v in self.args)}):"]
        out += body
        rets = [ref(v) if isinstance(v, Var) else repr(v) for v in self.outputs]
        out.append(f"    return ({', '.join(rets)}{',' if len(rets) == 1 else ''})")
        return "\n".join(out) + "\n"

    def build(self, fast: bool = True) -> Callable[..., tuple]:
        """Execute the fast source (or the readable one); return the function it defines."""
        namespace: dict[str, Any] = {"__name__": f"autograd_compiled_{self.name}"}
        exec(compile_source(self.source(fast=fast), f"<autograd.compile {self.name}>"), namespace)
        return namespace[self.name]


def compile_source(text: str, filename: str) -> Any:
    return builtins.compile(text, filename, "exec")


def constant_source(arr: np.ndarray) -> str:
    """NumPy source that rebuilds a constant array (np.full / np.arange when it is one)."""
    dt = f"np.{arr.dtype.name}"
    if arr.size and np.all(arr == arr.flat[0]):
        return f"np.full({arr.shape}, {arr.flat[0].item()!r}, {dt})"
    if arr.ndim == 1 and arr.dtype.kind in "iu" and np.array_equal(arr, np.arange(arr.size)):
        return f"np.arange({arr.size}, dtype={dt})"
    return f"np.array({arr.tolist()!r}, dtype={dt})"


_ARITHMETIC = {"np.add", "np.subtract", "np.multiply", "np.divide", "np.maximum", "np.minimum", "np.greater",
               "np.greater_equal", "np.less", "np.less_equal", "np.equal", "np.not_equal"}
_NUMBER_START = set("-0123456789")


@functools.lru_cache(maxsize=4096)
def _is_number(text: str) -> bool:
    """A Python int or float literal with a finite value."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _changed(line: Line, **changes: Any) -> Line:
    """A copy of `line` with some fields changed (dataclasses.replace, without its checks)."""
    new = object.__new__(Line)
    new.__dict__.update(line.__dict__)
    new.__dict__.update(changes)
    return new


_OPERATOR_OF = {"np.add": " + ", "np.subtract": " - ", "np.multiply": " * ", "np.divide": " / "}


def _substituted(line: Line, sub: dict[Var, Var]) -> Line:
    """`line` reading sub[v] wherever it read v."""
    parts = [sub.get(p, p) if p.__class__ is Var else p for p in line.parts]
    fast = parts if line.fast is line.parts else (
        None if line.fast is None else [sub.get(p, p) if p.__class__ is Var else p for p in line.fast])
    return _changed(line, parts=parts, fast=fast, reads={sub.get(v, v) for v in line.reads})
