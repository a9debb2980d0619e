"""The backprop explorer in a real browser: headless Chromium driven by Playwright.

Skips (with the reason) only where no browser can be installed; under CI
(CI=true) a missing browser fails instead. Every test fails on any console
error or uncaught exception in the page.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil

import numpy as np
import pytest

import nn
from autograd import Tensor
from autograd.trace import trace_backward

_spec = importlib.util.spec_from_file_location("_browser", os.path.join(os.path.dirname(__file__), "browser.py"))
browser = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(browser)


def _missing() -> str | None:
    if shutil.which("dot") is None:
        return "graphviz 'dot' is not installed (make setup installs it)"
    return browser.unavailable()


@pytest.fixture(scope="module")
def context():
    reason = _missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run on CI, but {reason}")
        pytest.skip(f"no browser: {reason}")
    with browser.chromium() as ctx:
        yield ctx


@pytest.fixture
def open_page(context):
    """open_page(path) -> page; at the end, no console error and no uncaught exception."""
    pages, errors = [], []

    def _open(path):
        page = context.new_page()
        page.set_default_timeout(8000)
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
        page.goto(f"file://{path}")
        page.wait_for_selector(".mlpx-caption:not(:empty)")
        pages.append(page)
        return page

    yield _open
    for page in pages:
        page.close()
    assert errors == []


def mlp(sizes=(2, 4, 1), acts=("tanh", "sigmoid"), n=4):
    X, y = nn.data.make_moons(n, noise=0.2, seed=0)
    model = nn.MLP(list(sizes), activations=list(acts), seed=0)
    loss = nn.BCELoss()(model(Tensor(X, name="X")), Tensor(y, name="y"))
    loss.name = "loss"
    return model, trace_backward(loss, params=model)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    model, trace = mlp()
    explorer = trace.explore(lr=0.1)
    path = explorer.save(tmp_path_factory.mktemp("explorer") / "small.html")
    return model, explorer.data, str(path)


def caption(page) -> str:
    return page.inner_text(".mlpx-caption")


def disabled(page, cls) -> bool:
    return page.eval_on_selector(f".mlpx-{cls}", "b => b.disabled")


def node(data, label):
    return next(t for t in data["tensors"] if t["label"] == label)["node"]


def click_node(page, node_id):
    """Click a graph node as a user would: with the whole graph in view ("fit")."""
    page.click(".mlpx-fit")
    page.locator("g.node", has=page.locator(f"title:text-is('{node_id}')")).first.click()


def rect(page, node_id):
    return page.locator("g.node", has=page.locator(f"title:text-is('{node_id}')")).first.bounding_box()


def panel_numbers(page, cls) -> np.ndarray:
    return np.array([float(x) for x in page.locator(f".mlpx-panel .{cls} td").all_inner_texts()])


def test_stepping_with_keys_buttons_and_slider(open_page, small):
    model, data, path = small
    page = open_page(path)
    frames = data["frames"]
    assert caption(page).startswith("before backward")
    assert disabled(page, "first") and disabled(page, "prev") and not disabled(page, "next")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert caption(page) == frames[2]["caption"] and "step 2/9" in caption(page)
    assert page.input_value(".mlpx-slider") == "2" and page.inner_text(".mlpx-pos") == "step 2 of 9"
    page.click(".mlpx-next")
    assert caption(page) == frames[3]["caption"]
    page.click(".mlpx-prev")
    assert caption(page) == frames[2]["caption"]
    page.keyboard.press("End")
    assert caption(page).startswith("SGD update (lr = 0.1)") and page.inner_text(".mlpx-pos") == "SGD update"
    assert disabled(page, "next") and disabled(page, "last") and disabled(page, "play") and not disabled(page, "prev")
    page.keyboard.press("Home")
    assert caption(page) == frames[0]["caption"] and disabled(page, "prev")
    page.eval_on_selector(".mlpx-slider", "s => { s.value = 5; s.dispatchEvent(new Event('input')); }")
    assert caption(page) == frames[5]["caption"]
    page.click(".mlpx-play")
    assert page.inner_text(".mlpx-play") == "❚❚ pause"
    page.wait_for_function("() => document.querySelector('.mlpx-slider').value === '6'", timeout=5000)
    page.click(".mlpx-play")
    assert page.inner_text(".mlpx-play") == "▶ play"


def test_graph_marks_the_step_and_shows_gradients_as_they_arrive(open_page, small):
    model, data, path = small
    page = open_page(path)
    bias = page.locator("g.node", has=page.locator(f"title:text-is('{node(data, 'layers.1.bias')}')")).first
    assert "grad: —" in bias.text_content()
    for _ in range(next(t for t in data["tensors"] if t["label"] == "layers.1.bias")["step"]):
        page.keyboard.press("ArrowRight")
    assert "mlpx-cur" in bias.get_attribute("class")
    assert "grad: —" not in bias.text_content() and "grad: [-0.09156]" in bias.text_content()
    assert page.locator("g.node.mlpx-via").count() == 1 and page.locator("g.edge.mlpx-flow").count() == 2
    page.keyboard.press("ArrowRight")
    assert "mlpx-done" in bias.get_attribute("class") and "mlpx-cur" not in bias.get_attribute("class")


def test_clicking_a_node_shows_its_value_gradient_and_derivative(open_page, small):
    model, data, path = small
    page = open_page(path)
    page.keyboard.press("End")
    click_node(page, node(data, "layers.0.weight"))
    assert page.inner_text(".mlpx-panel h3").startswith("layers.0.weight")
    w = model.layers[0].weight
    np.testing.assert_allclose(panel_numbers(page, "mlpx-grad"), w.grad.ravel(), rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(panel_numbers(page, "mlpx-value"), w.data.ravel(), rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(panel_numbers(page, "mlpx-after"), (w.data - 0.1 * w.grad).ravel(), rtol=1e-3, atol=1e-6)
    assert "dW = Gᵀ x" in page.inner_text(".mlpx-panel")
    page.keyboard.press("Home")
    click_node(page, node(data, "layers.0.weight"))
    assert "not computed yet" in page.inner_text(".mlpx-panel .mlpx-grad-pending")
    tanh = next(o for o in data["ops"] if o["name"] == "tanh")
    click_node(page, tanh["node"])
    assert "tanh(a); d/da = 1 − tanh²(a)." in page.inner_text(".mlpx-panel .mlpx-rule")


def test_each_step_shows_upstream_local_and_product(open_page, small):
    model, data, path = small
    page = open_page(path)
    k = next(f for f, fr in enumerate(data["frames"]) if fr["kind"] == "step" and fr["uses"]
             and data["ops"][fr["uses"][0]["op"]]["name"] == "tanh")
    for _ in range(k):
        page.keyboard.press("ArrowRight")
    text = page.inner_text(".mlpx-panel")
    assert "upstream ∂loss/∂" in text and "local derivative" in text and "product (upstream ⊙ local)" in text
    local = data["frames"][k]["uses"][0]["local"]                       # 1 − tanh², (4, 4): a table
    np.testing.assert_allclose(panel_numbers(page, "mlpx-local"), local["data"], rtol=1e-3)
    assert len(local["data"]) == 16


def test_zoom_and_pan_change_what_is_rendered(open_page, small):
    model, data, path = small
    page = open_page(path)
    root = node(data, "loss")
    page.click(".mlpx-z100")
    natural = rect(page, root)
    page.click(".mlpx-zin")
    bigger = rect(page, root)
    assert bigger["width"] == pytest.approx(natural["width"] * 1.25, rel=0.02)
    assert page.inner_text(".mlpx-zoom") == "125 %"
    page.click(".mlpx-z100")
    assert rect(page, root)["width"] == pytest.approx(natural["width"], rel=0.01)
    px, pt = page.evaluate(f"""() => {{
        const g = [...document.querySelectorAll('g.node')].find(n => n.querySelector('title').textContent === '{root}');
        const p = g.querySelector('polygon');
        return [p.getBoundingClientRect().width, p.getBBox().width]; }}""")
    assert px == pytest.approx(pt * 4 / 3, rel=0.01)             # 100 %: one point of the layout = 4/3 px
    view = page.locator(".mlpx-view").bounding_box()
    page.mouse.move(view["x"] + 200, view["y"] + 200)
    page.mouse.wheel(0, -300)
    page.wait_for_function("() => document.querySelector('.mlpx-zoom').textContent !== '100 %'")
    assert rect(page, root)["width"] > natural["width"] * 1.2
    before = rect(page, root)
    page.mouse.move(view["x"] + 300, view["y"] + 300)
    page.mouse.down()
    page.mouse.move(view["x"] + 250, view["y"] + 280, steps=5)
    page.mouse.up()
    after = rect(page, root)
    assert after["x"] == pytest.approx(before["x"] - 50, abs=2) and after["y"] == pytest.approx(before["y"] - 20, abs=2)
    page.click(".mlpx-fit")
    svg = page.locator(".mlpx-view svg g.graph").bounding_box()
    assert svg["width"] <= view["width"] + 1 and svg["height"] <= view["height"] + 1


def test_text_is_readable_at_100_percent_on_a_64_unit_mlp(open_page, tmp_path):
    model, trace = mlp((2, 64, 64, 64, 1), ("relu", "relu", "relu", "sigmoid"))
    path = trace.to_html(tmp_path / "big.html", lr=0.1)
    page = open_page(path)
    page.click(".mlpx-z100")
    heights = page.evaluate("""() => [...document.querySelectorAll('g.node text')].slice(0, 20)
        .map(t => t.getBoundingClientRect().height)""")
    assert min(heights) >= 11            # 11 pt labels = 14.7 px
    for _ in range(len(trace.steps) + 1):
        page.keyboard.press("ArrowRight")
    assert page.inner_text(".mlpx-pos") == "SGD update"
    assert page.locator(".mlpx-neurons").is_visible()
    assert page.locator(".mlpx-ncanvas").bounding_box()["height"] > 400
    # a 64×64 gradient: summary numbers and a heat-map whose cells tell their value on hover
    data = json.loads(page.locator("script.mlpx-data").text_content())
    click_node(page, node(data, "layers.1.weight"))
    heat = page.locator(".mlpx-panel .mlpx-grad canvas").bounding_box()
    assert heat["width"] >= 256 and heat["height"] >= 256
    page.mouse.move(heat["x"] + heat["width"] * (5.5 / 64), heat["y"] + heat["height"] * (2.5 / 64))
    got = re.fullmatch(r"\[2, 5\] = (\S+)", page.inner_text(".mlpx-panel .mlpx-grad .mlpx-cell"))
    assert got and float(got.group(1)) == pytest.approx(model.layers[1].weight.grad[2, 5], rel=1e-3, abs=1e-7)
    assert "mean " in page.inner_text(".mlpx-panel .mlpx-grad .mlpx-stats")


def test_modules_fold_and_unfold_in_place(open_page, small):
    model, data, path = small
    page = open_page(path)
    page.click(".mlpx-fit")
    layout = rect(page, node(data, "X"))
    page.click(".mlpx-collapse")
    boxes = page.locator("g.mlpx-box:not(.mlpx-hide)")
    assert boxes.count() >= 4            # layers.0, its activation, layers.1, its activation, the loss
    w0 = node(data, "layers.0.weight")
    hidden = page.locator("g.node.mlpx-hide", has=page.locator(f"title:text-is('{w0}')"))
    assert hidden.count() == 1
    assert rect(page, node(data, "X")) == layout                           # nothing moves
    assert rect(page, node(data, "loss")) is not None                      # the output stays visible
    box = boxes.filter(has_text="layers.0").first
    box.click()
    assert hidden.count() == 0
    page.click(".mlpx-expand")
    assert page.locator("g.mlpx-box:not(.mlpx-hide)").count() == 0
    page.locator("g.cluster > text", has_text="layers.1").first.click()      # a cluster's title folds it
    assert page.locator("g.mlpx-box:not(.mlpx-hide)").count() == 1


def test_neuron_view_and_graph_select_the_same_layer(open_page, small):
    model, data, path = small
    page = open_page(path)
    layers = data["neurons"]["layers"]
    canvas = page.locator(".mlpx-ncanvas").bounding_box()
    page.mouse.click(canvas["x"] + canvas["width"] * 0.3, canvas["y"] + canvas["height"] / 2)   # the first band
    lit = page.eval_on_selector_all("g.node.mlpx-inlayer title", "ts => ts.map(t => t.textContent)")
    assert sorted(lit) == sorted(layers[0]["nodes"])
    assert page.inner_text(".mlpx-panel h3").startswith("layers.0.weight")
    click_node(page, node(data, "layers.1.weight"))
    assert page.evaluate("() => document.querySelector('.mlpx').mlpx.state.layer") == 1
    lit = page.eval_on_selector_all("g.node.mlpx-inlayer title", "ts => ts.map(t => t.textContent)")
    assert sorted(lit) == sorted(layers[1]["nodes"])


def test_two_explorers_on_one_page_step_independently(open_page, tmp_path):
    model, trace = mlp()
    doc = ("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><div class='notebook'>"
           f"<div class='cell'>{trace._repr_html_()}</div><div class='cell'>{trace.explore(lr=0.1)._repr_html_()}</div>"
           "</div></body></html>")
    path = tmp_path / "notebook.html"
    path.write_text(doc, encoding="utf-8")
    page = open_page(path)
    ids = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
    assert len(ids) == len(set(ids))
    roots = page.locator(".mlpx")
    assert roots.count() == 2
    roots.nth(1).locator(".mlpx-next").click()
    assert "step 1/9" in roots.nth(1).locator(".mlpx-caption").inner_text()
    assert roots.nth(0).locator(".mlpx-caption").inner_text().startswith("before backward")
    roots.nth(0).locator(".mlpx-caption").click()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert "step 2/9" in roots.nth(0).locator(".mlpx-caption").inner_text()
    assert "step 1/9" in roots.nth(1).locator(".mlpx-caption").inner_text()
    data = json.loads(roots.nth(1).locator("script.mlpx-data").text_content())
    assert data["frames"][-1]["kind"] == "sgd" and re.match(r"mlpx[0-9a-f]{8}\d+", roots.nth(1).get_attribute("id"))


def test_a_graph_drawn_with_folded_modules_and_no_neuron_view(open_page, tmp_path):
    model, trace = mlp((2, 65, 1), ("relu", "sigmoid"))
    explorer = trace.explore(collapse=True)
    page = open_page(explorer.save(tmp_path / "folded.html"))
    assert page.inner_text(".mlpx-ntitle") == "no neuron view: layer 0 has 65 units, more than 64"
    assert not page.locator(".mlpx-ncanvas").is_visible()
    box = node(explorer.data, "layers.0.weight")
    step = next(t for t in explorer.data["tensors"] if t["label"] == "layers.0.weight")["step"]
    for _ in range(step):
        page.keyboard.press("ArrowRight")
    lit = page.locator("g.node.mlpx-cur title").all_text_contents()
    assert lit == [box]                      # the step's node is inside the box: the box lights up
    click_node(page, box)
    assert page.inner_text(".mlpx-panel h3").endswith("nodes in one box")
    assert "layers.0.weight" in page.inner_text(".mlpx-panel")
