"""Thread-local recording state: whether ops record a graph, and the current scope.

`no_grad()` switches recording off for the current thread only. `scope(obj)`
tags every op created inside it with `obj` (nn.Module uses it so drawings can
group a module's ops into a cluster); autograd itself never looks inside obj.
"""
from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _State(threading.local):
    # Class attributes are the per-thread defaults: each new thread starts
    # with recording on and no scope.
    enabled: bool = True
    scope: tuple = ()


STATE = _State()


def is_grad_enabled() -> bool:
    """True when ops record a graph in this thread."""
    return STATE.enabled


class _GradMode:
    """Context manager / decorator that sets recording on or off for this thread."""

    mode: bool

    def __enter__(self) -> None:
        self._prev = STATE.enabled
        STATE.enabled = self.mode

    def __exit__(self, *exc: object) -> None:
        STATE.enabled = self._prev

    def __call__(self, fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Nothing computed inside records a graph (like `torch.no_grad`); thread-local."""

    mode = False


class enable_grad(_GradMode):
    """Switch recording back on inside a `no_grad` block."""

    mode = True


class scope:
    """Tag the ops created inside with `obj` (innermost last in `op.scope`)."""

    __slots__ = ("obj", "_prev")

    def __init__(self, obj: object) -> None:
        self.obj = obj

    def __enter__(self) -> None:
        self._prev = STATE.scope
        STATE.scope = self._prev + (self.obj,)

    def __exit__(self, *exc: object) -> None:
        STATE.scope = self._prev

    @staticmethod
    def call(obj: object, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`fn(*args, **kwargs)` inside `scope(obj)`, in one Python call instead of three
        (nn.Module.__call__ runs every layer so)."""
        state = STATE
        prev = state.scope
        state.scope = prev + (obj,)
        try:
            return fn(*args, **kwargs)
        finally:
            state.scope = prev
