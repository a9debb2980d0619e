"""`mlpgrad check FILE.py`: a teacher's autograder for hand-written backprop.

FILE defines `params` (a dict name -> array), `loss(params, *args)`,
`grads(params, *args)` and optionally `args` (a tuple). The file is run, its
gradients are checked with `nn.backprop_check.check_backprop`, and the report
is printed. Exit status: 0 when every gradient matches, 1 when any is wrong,
2 when the file is broken — reported in one line naming what is missing, or
the exception with the file:line in the user's code where it was raised.
"""
from __future__ import annotations

import os
import runpy
import sys
import traceback
from typing import Any, Callable

REQUIRED = "params (a dict of arrays), loss(params, *args), grads(params, *args) and optionally args (a tuple)"


class SubmissionError(Exception):
    """The checked file is broken: one line for the user, exit status 2."""


def _where(exc: BaseException, path: str) -> str:
    """'file.py:12 in grads: ' for the innermost frame of the exception inside the user's file."""
    target = os.path.abspath(path)
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == target]
    if isinstance(exc, SyntaxError) and exc.lineno is not None and os.path.abspath(exc.filename or "") == target:
        return f"{os.path.basename(path)}:{exc.lineno}: "
    if not frames:
        return f"{os.path.basename(path)}: "
    f = frames[-1]
    inside = "" if f.name == "<module>" else f" in {f.name}"
    return f"{os.path.basename(path)}:{f.lineno}{inside}: "


def _one_line(exc: BaseException) -> str:
    text = str(exc.msg if isinstance(exc, SyntaxError) else exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def guarded(path: str, what: str, fn: Callable[[], Any]) -> Any:
    """Run `fn`; any exception (or sys.exit) becomes a one-line SubmissionError with the user's file:line."""
    try:
        return fn()
    except SystemExit as e:
        raise SubmissionError(f"{os.path.basename(path)}: called sys.exit({e.code!r}) while {what}") from None
    except Exception as e:   # the user's code may raise anything: report it, never a traceback
        text = str(e)
        if text.startswith("check_backprop: "):   # our own verdict on what the file returned
            raise SubmissionError(f"{os.path.basename(path)}: {text[len('check_backprop: '):]}") from None
        raise SubmissionError(f"{_where(e, path)}{_one_line(e)} (while {what})") from None


def load_submission(path: str) -> tuple[Any, Callable, Callable, tuple]:
    """(params, loss, grads, args) defined by the file at `path`."""
    if not os.path.isfile(path):
        raise SubmissionError(f"{path}: no such file; expected a Python file defining {REQUIRED}")
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)   # so the file can import its neighbours
    try:
        names = guarded(path, "running the file", lambda: runpy.run_path(path, run_name="__mlpgrad_check__"))
    finally:
        sys.path.remove(folder)
    base = os.path.basename(path)
    missing = [n for n in ("params", "loss", "grads") if n not in names]
    if missing:
        raise SubmissionError(f"{base} defines no {', '.join(missing)}; expected {REQUIRED}")
    for n in ("loss", "grads"):
        if not callable(names[n]):
            raise SubmissionError(f"{base}: {n} is of type {type(names[n]).__name__}, not a function; "
                                  f"expected {REQUIRED}")
    args = names.get("args", ())
    if isinstance(args, list):
        args = tuple(args)
    if not isinstance(args, tuple):
        raise SubmissionError(f"{base}: args is of type {type(args).__name__}; expected a tuple of the extra arguments "
                              "of loss and grads, e.g. args = (X, y)")
    return names["params"], names["loss"], names["grads"], args


def run_check(path: str, numerical: bool = True, rtol: float = 1e-6, json_path: str | None = None) -> int:
    """Check the file's gradients and print the report; 0 all match, 1 some wrong (SubmissionError: broken)."""
    from nn.backprop_check import check_backprop
    params, loss, grads, args = load_submission(path)
    report = guarded(path, "checking the gradients",
                     lambda: check_backprop(loss, grads, params, *args, numerical=numerical, rtol=rtol))
    print(f"mlpgrad check {path}")
    print(report)
    if json_path:
        import json
        with open(json_path, "w") as f:
            json.dump(report.to_dict(), f, indent=1)
    return 0 if report.ok else 1
