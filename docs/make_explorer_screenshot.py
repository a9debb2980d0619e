"""Regenerate docs/explorer.png: the backprop explorer of the README's 2→4→1 MLP, mid-pass.

The page is made exactly as a user would (`trace_backward(...).to_html(path, lr=0.1)`),
opened in headless Chromium through the browser test's harness (tests/browser.py),
stepped with the arrow key to the gradient through the hidden layer's tanh, and
photographed with that node's panel open.

    .venv/bin/python docs/make_explorer_screenshot.py [--out docs/explorer.png]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import autograd  # noqa: E402
import nn  # noqa: E402


def _browser():
    path = os.path.join(os.path.dirname(HERE), "tests", "browser.py")
    spec = importlib.util.spec_from_file_location("_browser", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_page(path: str) -> dict:
    """The README's network on 4 moons rows; returns the page's data."""
    X, y = nn.data.make_moons(4, noise=0.2, seed=0)
    model = nn.MLP([2, 4, 1], activations=["tanh", "sigmoid"], seed=0)
    loss = nn.BCELoss()(model(autograd.Tensor(X, name="X")), autograd.Tensor(y, name="y"))
    loss.name = "loss"
    explorer = autograd.trace_backward(loss, params=model).explore(lr=0.1)
    explorer.save(path)
    return explorer.data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "explorer.png"))
    args = parser.parse_args(argv)
    browser = _browser()
    reason = browser.unavailable()
    if reason:
        print(f"make_explorer_screenshot: cannot take the screenshot: {reason}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        page_path = os.path.join(tmp, "explorer.html")
        data = build_page(page_path)
        # the step where the gradient goes back through the hidden layer's tanh
        frame = next(k for k, f in enumerate(data["frames"]) if f["kind"] == "step" and f["uses"]
                     and data["ops"][f["uses"][0]["op"]]["name"] == "tanh")
        with browser.chromium(width=1500, height=940) as context:
            page = context.new_page()
            page.goto(f"file://{page_path}")
            page.wait_for_selector(".mlpx-caption:not(:empty)")
            page.keyboard.press("0")                   # 100 %: natural size; "follow" then centres each step's node
            for _ in range(frame):
                page.keyboard.press("ArrowRight")
            page.mouse.move(5, 5)                      # no hover highlight or tooltip in the picture
            page.wait_for_timeout(200)
            page.screenshot(path=args.out, full_page=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
