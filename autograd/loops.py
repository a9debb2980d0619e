"""Rolling a very long program's repeated blocks into loops (the fast form of a long chain).

A traced 100,000-op chain is 300,000 lines of straight code: Python compiles
that slowly and runs it from a cold instruction cache. `find_loops` finds the
long runs where a block of a few lines repeats with only its names changed
and checks that every name plays the same role in every iteration (`Loop`);
`rolled_source` writes those runs as `for` loops, with each value that is
needed after its iteration kept in a stack (one row per iteration) and the
rest in reused buffers. `.source`, the readable form, stays straight.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from autograd.buffers import allocate, elementwise_call, stackable
from autograd.tracer import Line, Var, _owner

ROLL_MIN_LINES = 2000     # shorter programs run as straight lines
ROLL_MIN_COUNT = 16       # a block must repeat this often to become a loop
ROLL_MAX_PERIOD = 8       # lines per repeated block


class NoRoll(Exception):
    """The program does not fit the loop form; it runs as straight-line code. `iteration`: the
    first iteration of a repeated block that breaks the pattern (the ones before may still loop)."""

    def __init__(self, iteration: int = 0) -> None:
        super().__init__(iteration)
        self.iteration = iteration


def _signature(line: Line) -> tuple:
    """What must be equal for two lines to be the same line of a loop body (names aside)."""
    v, fast = line.value, line.fast
    arr = v.__class__ is np.ndarray
    return (line.kind, len(line.targets), line.section, line.comment,
            tuple([p if p.__class__ is str else None for p in line.parts]),
            fast if fast is None else tuple([p if p.__class__ is str else None for p in fast]),
            type(v), v.shape if arr else None, v.dtype if arr else None,
            arr and v.flags.c_contiguous, arr and v.base is None)


class Loop:
    """Lines [start, start + period·count) of a program: one block of `period` lines `count` times.

    Iteration k's lines are iteration 0's with other names, and each name in a line is, in every
    iteration, the same role (`roles`): ("s", q, ti), a value of this iteration (or, read before
    line q defines it, of the previous one: carried, set from `inits` before the loop);
    ("x", var), the same outside value; ("L", loop, q, ti, base, step), row base + step·k of
    another loop's value (kept in a stack: one row per iteration).
    """

    def __init__(self, start: int, period: int, count: int, lines: list[Line]) -> None:
        self.start, self.period, self.count, self.lines = start, period, count, lines
        self.body = lines[:period]
        self.roles: list[tuple[list[tuple], list[tuple]]] = []     # per body line: (parts, fast)
        self.inits: dict[tuple[int, int], Var] = {}
        self.carried: set[tuple[int, int]] = set()
        self.views: dict[int, int] = {}          # body line -> the body line whose value it views
        self.stacks: dict[tuple[int, int], str] = {}
        self.buffers: dict[int, str] = {}
        self.index = ""

    def slot(self, q: int, ti: int) -> str:
        return self.body[q].targets[ti].name

    def verify(self, where: dict[Var, tuple]) -> None:
        """Find every name's role (raise NoRoll if some name has none); `where`: earlier loops' values."""
        p, lines = self.period, self.lines
        defs = {v: (j % p, j // p, ti) for j, line in enumerate(lines) for ti, v in enumerate(line.targets)}
        place: dict[int, int] = {}

        def role(u: Var, q: int, k: int) -> tuple:
            d = defs.get(u)
            if d is not None:
                q2, k2, ti = d
                if (k2 == k and q2 < q) or (k2 == k - 1 and q2 >= q):
                    return ("s", q2, ti)
                raise NoRoll
            return where.get(u, ("x", u))

        for q in range(p):
            line0, line1 = lines[q], lines[p + q]
            for j, line in enumerate(lines[q::p]):     # a view must view a value of its own iteration
                v = line.value
                if v.__class__ is np.ndarray and v.base is not None:
                    if not place:
                        place.update((id(x.value), i) for i, x in enumerate(lines))
                    o = place.get(id(_owner(v)), -1)
                    if o // p != j or self.views.setdefault(q, o % p) != o % p:
                        raise NoRoll
            found = []
            for fast in (False, True):
                if fast and (line0.fast is None or line0.fast is line0.parts):
                    found.append([] if line0.fast is None else found[0])
                    continue
                roles = []
                for u0, u1 in zip(line0.uses(fast), line1.uses(fast)):
                    r = role(u1, q, 1)
                    if r[0] == "s" and defs[u1][1] == 0:          # carried: iteration 0 reads an init
                        if u0 in defs or self.inits.setdefault(r[1:], u0) is not u0:
                            raise NoRoll
                        self.carried.add(r[1:])
                    elif r[0] == "L":
                        r0 = role(u0, q, 0)
                        if r0[:4] != r[:4]:
                            raise NoRoll
                        r = r[:4] + (r0[4], r[4] - r0[4])
                    elif role(u0, q, 0) != r:
                        raise NoRoll
                    roles.append(r)
                for k in range(2, self.count):     # the same roles in every iteration
                    for r, u in zip(roles, lines[k * p + q].uses(fast)):
                        if r[0] == "s":
                            expected = lines[(k if r[1] < q else k - 1) * p + r[1]].targets[r[2]]
                        elif r[0] == "x":
                            expected = r[1]
                        else:
                            other, row = r[1], r[4] + r[5] * k
                            if not 0 <= row < other.count:
                                raise NoRoll(k)
                            expected = other.lines[row * other.period + r[2]].targets[r[3]]
                        if u is not expected:
                            raise NoRoll(k)
                found.append(roles)
            self.roles.append((found[0], found[1]))


def find_loops(lines: list[Line]) -> list[Loop]:
    """The long repeated blocks of `lines`, each verified as a loop (see `Loop`)."""
    sigs: dict[tuple, int] = {}
    seq = [sigs.setdefault(_signature(line), len(sigs)) for line in lines]
    loops: list[Loop] = []
    where: dict[Var, tuple] = {}
    i, n = 0, len(seq)
    while i < n:
        best = (0, 0)
        for p in range(1, ROLL_MAX_PERIOD + 1):
            if best[0] and p % best[0] == 0:
                continue           # a multiple of a period found covers no more
            j = i
            while j + p < n and seq[j] == seq[j + p]:
                j += 1
            count = (j - i + p) // p
            if count >= ROLL_MIN_COUNT and count * p > best[0] * best[1]:
                best = (p, count)
        if not best[0]:
            i += 1
            continue
        p, count = best
        while True:
            loop = Loop(i, p, count, lines[i:i + p * count])
            try:
                loop.verify(where)
                break
            except NoRoll as e:
                if e.iteration < ROLL_MIN_COUNT:
                    loop = None
                    break
                count = e.iteration      # the iterations before the odd one
        if loop is None:
            i += p * count          # keep the whole run straight (and the search linear)
            continue
        for j, line in enumerate(loop.lines):
            for ti, v in enumerate(line.targets):
                where[v] = ("L", loop, j % p, ti, j // p)
        loops.append(loop)
        i += p * count
    return loops


# -- writing a program with its loops ---------------------------------------------------------
def rolled_source(program: Any, lines: list[Line], loops: list[Loop]) -> str:
    """`program`'s fast form with `loops` (raise NoRoll if a value cannot be kept as the loop form
    needs). `lines`: the program's fast lines, of which the loops are runs."""
    if not loops:
        raise NoRoll
    where = {v: ("L", loop, j % loop.period, ti, j // loop.period)
             for loop in loops for j, line in enumerate(loop.lines) for ti, v in enumerate(line.targets)}
    items = _interleave(lines, loops)
    exported, stacked = _read_outside(items, where, program.outputs)
    stacks = _make_stacks(stacked)
    # buffers: outside the loops as for straight code (a loop reads its outside values at its
    # place), inside a loop for the values that die within their iteration
    buffers, allocations = program.buffered(_as_outer_lines(items, where))
    out_vars = {v for v in program.outputs if isinstance(v, Var)}
    escaping = [line.value for line in lines if line.value.__class__ is np.ndarray and
                not out_vars.isdisjoint(line.targets)]      # (views of a loop's buffer would change)
    for n, loop in enumerate(loops):
        loop.index = f"_k{n}"
        _loop_buffers(loop, exported, escaping, allocations)
    body = _render(program, items, buffers, where)

    def returned(u: Var) -> str:
        """A returned row of a stack, or a loop value in a buffer, is returned as a copy."""
        hit = where.get(u)
        reused = hit is not None and (hit[2] in hit[1].buffers or hit[1].stacks.get(hit[2:4]))
        return _outside_name(u, where) + (".copy()" if reused else "")
    return program.module_source(allocations, stacks, body, returned)


def _interleave(lines: list[Line], loops: list[Loop]) -> list[Any]:
    """The program as its straight lines with each loop in place of its run."""
    items: list[Any] = []
    pos = 0
    for loop in loops:
        items += lines[pos:loop.start]
        items.append(loop)
        pos = loop.start + len(loop.lines)
    return items + lines[pos:]


def _read_outside(items: list[Any], where: dict[Var, tuple], outputs: list[Any]) -> tuple[set, set]:
    """Which loop values (loop, q, ti) are read outside their loop, and which of those are needed
    from every iteration (so they are kept in a stack)."""
    exported: set[tuple] = set()
    stacked: set[tuple] = set()

    def note(loop: Loop, q: int, ti: int, k: int, step: int = 0) -> None:
        exported.add((loop, q, ti))
        if k != loop.count - 1 or step:
            stacked.add((loop, q, ti))
    for item in items:
        if isinstance(item, Loop):
            for roles in item.roles:
                for r in roles[0] + roles[1]:
                    if r[0] == "L":
                        note(*r[1:])
            for init in item.inits.values():
                if init in where:
                    note(*where[init][1:])
        else:
            for u in item.reads:
                if u in where:
                    note(*where[u][1:])
    for v in outputs:      # (a returned row of a stack is returned as a copy)
        if isinstance(v, Var) and v in where:
            note(*where[v][1:])
    return exported, stacked


def _make_stacks(stacked: set[tuple]) -> list[tuple[str, tuple, np.dtype]]:
    """A stack (one row per iteration) for each value in `stacked`; recorded in its loop."""
    stacks: list[tuple[str, tuple, np.dtype]] = []
    for loop, q, ti in sorted(stacked, key=lambda s: (s[0].start, s[1], s[2])):
        line = loop.body[q]
        if not stackable(line):
            raise NoRoll
        name = loop.stacks[(q, ti)] = f"_s{len(stacks)}"
        stacks.append((name, (loop.count,) + line.value.shape, line.value.dtype))
    return stacks


def _as_outer_lines(items: list[Any], where: dict[Var, tuple]) -> list[Line]:
    """`items` with each loop as one line reading the outside values it reads."""
    return [item if isinstance(item, Line) else
            Line([], [], {r[1] for roles in item.roles for r in roles[0] + roles[1] if r[0] == "x"}
                 | {u for u in item.inits.values() if u not in where}, set(), "", None, kind="loop")
            for item in items]


def _loop_buffers(loop: Loop, exported: set[tuple], escaping: list[Any], allocations: list) -> None:
    """Buffers for `loop`'s values that die within their iteration, and one buffer for each carried
    value that can be overwritten in place; recorded in `loop.buffers`."""
    p = loop.period
    local = [all((loop, q, ti) not in exported and (q, ti) not in loop.carried and
                 (q, ti) not in loop.stacks for ti in range(len(line.targets)))
             for q, line in enumerate(loop.body)]
    for q in sorted(loop.views, reverse=True):
        if not local[q]:
            local[loop.views[q]] = False
    end = {}
    for q3, roles in enumerate(loop.roles):
        for r in roles[0] + roles[1]:
            if r[0] == "s" and r[1] < q3:
                end[r[1]] = max(end.get(r[1], r[1]), q3)
    for q in sorted(loop.views, reverse=True):
        o = loop.views[q]
        end[o] = max(end.get(o, o), end.get(q, q))
    start = {id(line): q for q, line in enumerate(loop.body)
             if local[q] and stackable(line) and (q, 0) not in loop.stacks}
    ends = {id(loop.body[q]): end.get(q, q) for q in range(p)}
    named = allocate(loop.body, start, ends, allocations)
    loop.buffers = {q: named[id(line)] for q, line in enumerate(loop.body) if id(line) in named}
    for q, ti in sorted(loop.carried):
        # one buffer for every iteration when the previous value is read only before line q
        # redefines it (or by line q itself, elementwise)
        line, last = loop.body[q], loop.lines[len(loop.lines) - loop.period + q].value
        if ((q, ti) in loop.stacks or not stackable(line) or q in loop.views.values()
                or any(np.may_share_memory(last, e) for e in escaping if e is not last)):
            continue
        if all(q3 < q or (q3 == q and elementwise_call(line)) for q3, roles in enumerate(loop.roles)
               for r in roles[0] + roles[1] if r[0] == "s" and r[1:] == (q, ti) and r[1] >= q3):
            loop.buffers[q] = f"_buf{len(allocations)}"
            allocations.append((loop.buffers[q], line.value.shape, line.value.dtype))


def _render(program: Any, items: list[Any], buffers: dict[int, str], where: dict[Var, tuple]) -> list[str]:
    """The function body: straight lines as in the straight form, each loop as a `for`."""
    body: list[str] = []
    section = comment_above = None
    for item in items:
        if isinstance(item, Line):
            names = [_outside_name(u, where) for u in item.uses(id(item) in buffers)]
            section, comment_above = program.emit(body, item, section, comment_above,
                                                  program.typed(item).render(buffers.get(id(item)), names))
            continue
        loop = item
        for (q, ti), init in loop.inits.items():
            body.append(f"    {loop.slot(q, ti)} = {_outside_name(init, where)}")
        if loop.body[0].section != section:
            section = loop.body[0].section
            body.append(f"    # -- {section} --")
        body.append(f"    for {loop.index} in range({loop.count}):   # lines {loop.start}–"
                    f"{loop.start + len(loop.lines) - 1} of the straight code: {loop.period} line(s) "
                    f"{loop.count} times")
        for q, line in enumerate(loop.body):
            buf = loop.buffers.get(q)
            if (q, 0) in loop.stacks:
                buf = f"{loop.stacks[(q, 0)]}[{loop.index}]"
            names = [_role_name(loop, r) for r in loop.roles[q][buf is not None]]
            section, comment_above = program.emit(body, line, section, comment_above,
                                                  program.typed(line).render(buf, names), indent="        ")
    return body


def _outside_name(u: Var, where: dict[Var, tuple]) -> str:
    """How code outside the loops names a value (a loop's value: its name, or its row of a stack)."""
    hit = where.get(u)
    if hit is None:
        return u.name
    _, loop, q, ti, k = hit
    stack = loop.stacks.get((q, ti))
    return loop.slot(q, ti) if stack is None else f"{stack}[{k}]"


def _role_name(loop: Loop, r: tuple) -> str:
    """A name in `loop`'s body (see `Loop` for the roles)."""
    if r[0] == "s":
        return loop.slot(r[1], r[2])
    if r[0] == "x":
        return r[1].name
    _, other, q, ti, base, step = r
    stack = other.stacks.get((q, ti))
    if stack is None:
        return other.slot(q, ti)
    k = loop.index
    index = (str(base) if step == 0 else f"{base} - {k}" if step == -1 else
             (f"{base} + {k}" if base else k) if step == 1 else f"{base} + {step} * {k}")
    return f"{stack}[{index}]"
