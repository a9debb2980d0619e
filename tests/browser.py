"""Headless Chromium for the explorer's browser test and the README screenshot.

Debian's `chromium` package (installed by `make setup`, as `dot` is) driven by
Playwright's Python package: Playwright's own browser downloads cannot work
offline, so it is pointed at that binary, with a new empty profile each time.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Iterator

CHROMIUM = os.environ.get("MLPGRAD_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def unavailable() -> str | None:
    """Why no browser can be driven here (None when one can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[dev]')"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (make setup installs Debian's chromium when root)"
    return None


@contextlib.contextmanager
def chromium(width: int = 1400, height: int = 1000) -> Iterator[object]:
    """A Playwright BrowserContext of headless Chromium with a fresh profile, closed afterwards."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="mlpgrad-chromium-") as profile:
        context = p.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=ARGS,
            viewport={"width": width, "height": height})
        try:
            yield context
        finally:
            context.close()
