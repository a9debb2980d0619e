"""Preallocated buffers for the fast form of a compiled program (`out=` instead of new arrays).

A value can live in a buffer when it is a ufunc or `np.dot` result with a
contiguous array value (`stackable`), is not returned, and shares no memory
with anything returned. Buffers are reused once a value and every view of it
are dead, so a step touches little memory; an elementwise call may write over
an operand that dies at that line, as `x *= 2` would.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd.tracer import Line, Var, _owner


def buffered(lines: list[Line], outputs: list[Any], allocations: list | None = None
             ) -> tuple[dict[int, str], list[tuple[str, tuple, np.dtype]]]:
    """Buffers for the values of `lines` that qualify (see the module docstring): {id(line):
    buffer name}, and `allocations` with the buffers to allocate appended."""
    allocations = [] if allocations is None else allocations
    out_vars = {v for v in outputs if isinstance(v, Var)}
    escaping = [line.value for line in lines if set(line.targets) & out_vars]
    last: dict[Var, int] = {}
    for i, line in enumerate(lines):
        for v in line.reads:
            last[v] = i
    chosen: dict[int, Line] = {}        # id(value) -> the line defining a buffered value
    start: dict[int, int] = {}          # id(line) -> its index
    end: dict[int, int] = {}            # id(line) -> index of the last line reading it or a view of it
    for i, line in enumerate(lines):
        v = line.value
        if not line.targets or not isinstance(v, np.ndarray):
            continue
        owner = _owner(v)
        if id(owner) in chosen:         # a view of a buffered value keeps the buffer busy
            base = chosen[id(owner)]
            end[id(base)] = max(end[id(base)], last.get(line.targets[0], i))
        if (not stackable(line) or line.targets[0] in out_vars
                or any(isinstance(e, np.ndarray) and np.may_share_memory(v, e) for e in escaping)):
            continue
        chosen[id(v)] = line
        start[id(line)], end[id(line)] = i, last.get(line.targets[0], i)
    return allocate(lines, start, end, allocations), allocations


def stackable(line: Line) -> bool:
    """A value that can be written into a preallocated array (`out=`): a ufunc or np.dot result."""
    v = line.value
    return (line.fast is not None and line.kind == "assign" and len(line.targets) == 1
            and isinstance(v, np.ndarray) and v.ndim > 0 and _owner(v) is v and v.flags.c_contiguous)


def elementwise_call(line: Line) -> bool:
    """An elementwise ufunc call (its output may be one of its operands)."""
    f = line.fast[0] if line.fast else None
    u = getattr(np, f[3:], None) if f.__class__ is str and f.startswith("np.") else None
    return isinstance(u, np.ufunc) and u.signature is None and line.fast[1] == "("


def allocate(lines: list[Any], start: dict[int, int], end: dict[int, int],
             allocations: list[tuple[str, tuple, np.dtype]]) -> dict[int, str]:
    """Buffers for the values defined at positions `start` (id(line) -> position), each busy until
    `end`; a buffer is reused once its value is dead. New buffers are appended to `allocations`."""
    free: dict[tuple, list[str]] = {}
    releases: dict[int, list[tuple[tuple, str]]] = {}
    names: dict[int, str] = {}
    held: dict[Var, str] = {}
    for i, line in enumerate(lines):
        if id(line) in start:
            key = (line.value.shape, line.value.dtype)
            pool = free.setdefault(key, [])
            # an elementwise call may write over an operand that dies here (as `x *= 2` would)
            dying = releases.get(i, ()) if elementwise_call(line) else ()
            name = next((held[u] for u in line.uses(True) if (key, held.get(u)) in dying), None)
            if name is not None:
                dying.remove((key, name))
            elif pool:
                name = pool.pop()
            else:
                name = f"_buf{len(allocations)}"
                allocations.append((name, *key))
            names[id(line)] = held[line.targets[0]] = name
            releases.setdefault(max(end[id(line)], i), []).append((key, name))
        for key, name in releases.pop(i, ()):
            free[key].append(name)
    return names
