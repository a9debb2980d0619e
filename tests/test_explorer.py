"""Specification of the backprop explorer's page: the data it embeds, its scoping, its errors.

The page's behaviour in a real browser is checked in test_explorer_browser.py.
"""
from __future__ import annotations

import json
import re
import shutil
import time

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from autograd.explorer import FULL_MAX, HEAT_MAX, Explorer, encode_array, neuron_layers
from autograd.trace import local_derivative, trace_backward

pytestmark = pytest.mark.skipif(shutil.which("dot") is None,
                                reason="graphviz 'dot' is not installed (make setup installs it)")


def page_data(html: str) -> dict:
    """The JSON a page (or widget) embeds."""
    m = re.search(r'<script type="application/json" class="mlpx-data">(.*?)</script>', html, re.S)
    assert m, "no embedded data"
    return json.loads(m.group(1))


def mlp_trace(sizes=(2, 4, 1), acts=("tanh", "sigmoid"), n=4, seed=0):
    X, y = nn.data.make_moons(n, noise=0.2, seed=seed)
    model = nn.MLP(list(sizes), activations=list(acts), seed=seed)
    loss = nn.BCELoss()(model(Tensor(X, name="X")), Tensor(y, name="y"))
    loss.name = "loss"
    return model, loss, trace_backward(loss, params=model)


def by_label(data, label):
    return next(t for t in data["tensors"] if t["label"] == label)


def test_frames_are_the_forward_state_then_one_per_backward_step():
    model, loss, trace = mlp_trace()
    data = Explorer(trace).data
    frames = data["frames"]
    assert [f["kind"] for f in frames] == ["forward"] + ["step"] * len(trace.steps)
    assert frames[0]["caption"].startswith("before backward")
    for k, step in enumerate(trace.steps, start=1):
        t = data["tensors"][frames[k]["tensor"]]
        assert t["label"] == step.label and t["step"] == k
        assert frames[k]["caption"] == f"{step.caption(len(trace.steps))}\n{step.equation()}"
    assert data["tensors"][data["root"]]["label"] == "loss" and data["root_label"] == "loss"


def test_values_and_gradients_are_the_tensors_numbers():
    model, loss, trace = mlp_trace()
    data = Explorer(trace).data
    w = model.layers[0].weight
    entry = by_label(data, "layers.0.weight")
    assert entry["shape"] == [4, 2] and entry["dtype"] == "float64" and entry["kind"] == "param"
    np.testing.assert_allclose(np.reshape(entry["value"]["data"], (4, 2)), w.data, rtol=1e-4)
    np.testing.assert_allclose(np.reshape(entry["grad"]["data"], (4, 2)), w.grad, rtol=1e-4, atol=1e-12)
    assert entry["value"]["text"] == autograd.draw.fmt_array(w.data)
    x = by_label(data, "X")
    assert x["kind"] == "input" and x["grad"] is None and x["step"] is None
    assert by_label(data, "loss")["kind"] == "root"


def test_ops_carry_their_derivative_rule_from_the_docstring():
    model, loss, trace = mlp_trace()
    data = Explorer(trace).data
    ops = {op.name: op for op in (t._op for t in autograd.toposort(loss, requires_grad_only=False)) if op}
    entries = {o["name"]: o for o in data["ops"]}
    assert set(entries) == {"linear", "tanh", "sigmoid", "bce_loss"}
    for name, op in ops.items():
        assert entries[name]["rule"] == local_derivative(op)
    assert entries["tanh"]["rule"] == "tanh(a); d/da = 1 − tanh²(a)."
    assert entries["linear"]["args"] == ["x", "W", "b"]
    lin = next(o for o in data["ops"] if o["name"] == "linear" and data["tensors"][o["inputs"][0]]["label"] == "X")
    assert [data["tensors"][i]["label"] for i in lin["inputs"]] == ["X", "layers.0.weight", "layers.0.bias"]


def test_each_step_embeds_upstream_local_derivative_and_product():
    model, loss, trace = mlp_trace()
    data = Explorer(trace).data
    k, frame = next((k, f) for k, f in enumerate(data["frames"])
                    if f["kind"] == "step" and f["uses"] and data["ops"][f["uses"][0]["op"]]["name"] == "tanh")
    step = trace.steps[k - 1]
    use = frame["uses"][0]
    assert data["tensors"][use["output"]]["label"] == trace.steps[0].labels[id(step.contributions[0].output)]
    out = step.contributions[0].output.data
    np.testing.assert_allclose(np.reshape(use["local"]["data"], out.shape), 1 - out ** 2, rtol=1e-4)
    assert use["grad"] is None                 # one use: the product is the gradient itself
    assert use["rule"] is None and use["whole"] is False
    lin = next(f for f in data["frames"] if f["kind"] == "step" and f["uses"] and f["uses"][0]["arg"] == "W")
    assert lin["uses"][0]["local"] is None and lin["uses"][0]["rule"] == "dW = Gᵀ x"
    assert "back through linear as W (dW = Gᵀ x, G = that gradient)" in lin["caption"]


def test_a_node_used_twice_shows_each_product():
    a = Tensor([1.0, 2.0], requires_grad=True, name="a")
    loss = (a * a.exp()).sum()
    loss.name = "loss"
    trace = trace_backward(loss)
    data = Explorer(trace).data
    frame = next(f for f in data["frames"] if f["kind"] == "step" and data["tensors"][f["tensor"]]["label"] == "a")
    assert len(frame["uses"]) == 2
    total = sum(np.array(u["grad"]["data"]) for u in frame["uses"])
    np.testing.assert_allclose(total, a.grad, rtol=1e-4)
    assert "sum of 2 uses" in frame["caption"]


def test_sgd_step_shows_each_parameter_after_the_update():
    model, loss, trace = mlp_trace()
    data = Explorer(trace, lr=0.5).data
    assert data["frames"][-1]["kind"] == "sgd" and data["lr"] == 0.5
    assert len(data["frames"]) == len(trace.steps) + 2
    for name, p in model.named_parameters():
        entry = by_label(data, name)
        np.testing.assert_allclose(np.reshape(entry["after"]["data"], p.shape), p.data - 0.5 * p.grad, rtol=1e-4,
                                   atol=1e-12)
        assert f"{name}: " in data["frames"][-1]["caption"]
    assert "after" not in by_label(data, "X")
    before = model.layers[0].weight.data.copy()
    Explorer(trace, lr=0.5)
    np.testing.assert_array_equal(model.layers[0].weight.data, before)      # shown, not applied
    assert data["frames"][-1]["caption"].startswith("SGD update (lr = 0.5): every parameter W ← W − 0.5·∇W")


@pytest.mark.parametrize("lr", [0, -0.1, float("nan"), float("inf"), "0.1", True])
def test_lr_must_be_a_positive_number(lr):
    *_, trace = mlp_trace()
    with pytest.raises(ValueError, match=r"explore: lr must be a positive finite number, got"):
        trace.explore(lr=lr)


def test_explorer_refuses_what_it_sets_itself_and_non_traces():
    *_, trace = mlp_trace()
    with pytest.raises(TypeError, match=r"explore: highlight= is set by the explorer itself"):
        trace.explore(highlight=[])
    with pytest.raises(TypeError, match=r"Explorer: expected a BackwardTrace, got list"):
        Explorer([])


def test_neuron_view_layers_of_an_mlp():
    model, loss, trace = mlp_trace((2, 5, 3, 1), ("relu", "tanh", "sigmoid"), n=6)
    nv = Explorer(trace).data["neurons"]
    assert [(L["inputs"], L["units"], L["act"]) for L in nv["layers"]] == [(2, 5, "relu"), (5, 3, "tanh"), (3, 1, "sigmoid")]
    data = Explorer(trace).data
    first = nv["layers"][0]
    assert data["tensors"][first["weight"]]["label"] == "layers.0.weight"
    assert data["tensors"][first["bias"]]["label"] == "layers.0.bias"
    a0 = model.activation_modules[0](model.layers[0](Tensor(data_x(data))))
    np.testing.assert_allclose(first["a_mean"], a0.data.mean(axis=0), rtol=1e-4, atol=1e-12)
    z_grad = trace.steps[data["tensors"][first["z"]]["step"] - 1].grad
    np.testing.assert_allclose(first["delta_mean"], z_grad.mean(axis=0), rtol=1e-4, atol=1e-12)
    np.testing.assert_allclose(nv["x_mean"], data_x(data).mean(axis=0), rtol=1e-4)
    # the graph nodes of a layer: W, b, the linear op, z, the activation op and a
    labels = {data["tensors"][i]["label"] for i in first["tensors"]}
    assert {"layers.0.weight", "layers.0.bias"} <= labels and len(labels) == 4 and len(first["nodes"]) == 6
    assert sorted(data["ops"][j]["name"] for j in first["ops"]) == ["linear", "relu"]


def data_x(data):
    x = by_label(data, "X")
    return np.reshape(x["value"]["data"], x["shape"])


def test_neuron_view_from_pairs_and_from_the_graph_alone():
    rng = np.random.default_rng(0)
    W1 = Tensor(rng.standard_normal((3, 2)), requires_grad=True, name="W1")
    b1 = Tensor(np.zeros(3), requires_grad=True, name="b1")
    W2 = Tensor(rng.standard_normal((1, 3)), requires_grad=True, name="W2")
    x = Tensor(rng.standard_normal((4, 2)), name="x")
    loss = ((x @ W1.T + b1).tanh() @ W2.T).sum()     # the user's own layers: matmul + add, no bias last
    trace = trace_backward(loss)
    assert neuron_layers(trace) == ([], "no weight matrices found")
    nv = Explorer(trace, model=[(W1, b1), (W2, None)]).data["neurons"]
    assert [(L["inputs"], L["units"], L["act"]) for L in nv["layers"]] == [(2, 3, "tanh"), (3, 1, "identity")]
    model, loss, trace = mlp_trace()
    layers, why = neuron_layers(trace_backward(loss))        # no params: the graph's linear ops
    assert why == "" and [w.shape for w, _ in layers] == [(4, 2), (1, 4)]


def test_neuron_view_says_why_it_is_absent():
    model, loss, trace = mlp_trace((2, 65, 1), ("relu", "sigmoid"))
    data = Explorer(trace).data
    assert data["neurons"] is None and data["neurons_note"] == "layer 0 has 65 units, more than 64"
    W1 = Tensor(np.ones((3, 2)), requires_grad=True)
    W2 = Tensor(np.ones((1, 4)), requires_grad=True)
    assert neuron_layers(trace, model=[(W1, None), (W2, None)])[1] == (
        "layer 1's weight (1, 4) does not take layer 0's 3 outputs: not a chain of layers")
    with pytest.raises(TypeError, match=r"explore: model must have named_parameters\(\), or be a list of "
                                        r"\(weight, bias\) pairs, got int"):
        neuron_layers(trace, model=3)
    with pytest.raises(TypeError, match=r"explore: model layers must be \(weight, bias\) Tensors, got \(ndarray"):
        neuron_layers(trace, model=[(np.ones((2, 2)), None)])


def test_big_arrays_are_embedded_as_a_heat_map_of_block_means():
    a = np.arange(130 * 70, dtype=np.float64).reshape(130, 70)
    enc = encode_array(a)
    assert "data" not in enc and enc["grid"]["rows"] == HEAT_MAX and enc["grid"]["cols"] == HEAT_MAX
    grid = np.reshape(enc["grid"]["data"], (HEAT_MAX, HEAT_MAX))
    rows = np.linspace(0, 130, HEAT_MAX + 1).astype(int)
    cols = np.linspace(0, 70, HEAT_MAX + 1).astype(int)
    np.testing.assert_allclose(grid[5, 7], a[rows[5]:rows[6], cols[7]:cols[8]].mean(), rtol=1e-4)
    assert enc["stats"]["max"] == a.max() and enc["stats"]["min"] == 0 and enc["stats"]["nonfinite"] == 0
    holes = np.ones((130, 70))
    holes[0:2, 0:1] = np.nan                 # block (0, 0) is rows 0–1, column 0: all NaN
    holes[2, 1] = np.inf                     # block (1, 1) is rows 2–3, column 1: half non-finite
    grid = encode_array(holes)["grid"]["data"]
    assert grid[0] is None and grid[HEAT_MAX + 1] == 1.0 and encode_array(holes)["stats"]["nonfinite"] == 3
    small = encode_array(np.arange(FULL_MAX, dtype=np.float64))
    assert len(small["data"]) == FULL_MAX and "grid" not in small


def test_non_finite_numbers_become_null_and_are_counted():
    enc = encode_array(np.array([1.0, np.nan, np.inf, -2.0]))
    assert enc["data"] == [1.0, None, None, -2.0] and enc["stats"]["nonfinite"] == 2
    assert enc["stats"]["min"] == -2.0 and enc["stats"]["max"] == 1.0
    assert encode_array(np.array([np.nan]))["stats"] == {"nonfinite": 1}
    json.dumps(enc, allow_nan=False)          # valid JSON: no NaN tokens


def test_page_is_self_contained_and_the_data_cannot_close_its_script():
    x = Tensor([1.0, 2.0], requires_grad=True, name="</script><!--x")
    trace = trace_backward((x * x).sum())
    page = Explorer(trace).page()
    assert page.count("</script>") == 2            # the data's and the code's, nothing from the name
    assert page_data(page)["tensors"][0]["label"] == "</script><!--x"
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|https?://(?!www\.w3\.org)", page)
    assert page.count("<svg") == 1 and "<?xml" not in page


def test_two_widgets_in_one_notebook_have_distinct_ids():
    *_, trace = mlp_trace()
    one, two = trace._repr_html_(), trace.explore()._repr_html_()
    assert not one.startswith("<!DOCTYPE") and one.startswith('<div class="mlpx" id="mlpx')
    ids = re.findall(r'\sid="([^"]+)"', one + two)
    assert len(ids) == len(set(ids)) > 10
    uid = re.match(r'<div class="mlpx" id="([^"]+)"', one).group(1)
    assert all(i == uid or i.startswith(uid + "-") for i in re.findall(r'\sid="([^"]+)"', one))
    assert f'window.mlpgradExplorer1(document.getElementById("{uid}"))' in one


def test_to_html_and_explorer_save_write_the_same_page(tmp_path):
    *_, trace = mlp_trace()
    path = trace.to_html(tmp_path / "sub" / "x.html", lr=0.1, title="my title")
    page = open(path, encoding="utf-8").read()
    assert "<title>my title</title>" in page and page_data(page)["lr"] == 0.1
    assert repr(trace.explore()).startswith("<Explorer: backward pass of loss: 9 steps, 10 frames")


def test_a_64_unit_mlp_page_is_small_and_quick():
    X, y = nn.data.make_moons(4, noise=0.2, seed=0)
    model = nn.MLP([2, 64, 64, 64, 1], activations=["relu", "relu", "relu", "sigmoid"], seed=0)
    loss = nn.BCELoss()(model(Tensor(X, name="X")), Tensor(y, name="y"))
    t0 = time.perf_counter()
    html = trace_backward(loss, params=model).explore(lr=0.1).page()
    seconds = time.perf_counter() - t0
    assert len(html.encode()) < 1_000_000 and seconds < 20
    nv = page_data(html)["neurons"]
    assert [L["units"] for L in nv["layers"]] == [64, 64, 64, 1]


def test_cli_graph_html_writes_the_explorer(tmp_path, capsys):
    from nn.cli import main
    page = tmp_path / "explorer.html"
    code = main(["graph", "--layers", "2,4,1", "--activations", "tanh,sigmoid", "--loss", "bce", "--samples", "4",
                 "--out", str(tmp_path / "g.svg"), "--html", str(page), "--lr", "0.1"])
    assert code == 0 and f"wrote {page}" in capsys.readouterr().out
    data = page_data(page.read_text(encoding="utf-8"))
    assert data["frames"][-1]["kind"] == "sgd" and data["lr"] == 0.1
    assert [L["units"] for L in data["neurons"]["layers"]] == [4, 1]


def test_cli_graph_html_refuses_a_directory(tmp_path, capsys):
    from nn.cli import main
    code = main(["graph", "--out", str(tmp_path / "g.svg"), "--html", str(tmp_path)])
    assert code == 2
    assert capsys.readouterr().err.strip() == f"mlpgrad: error: --html '{tmp_path}' is a directory; expected a file name"


def test_a_leaf_root_is_one_seeded_step():
    x = Tensor(3.0, requires_grad=True, name="x")
    data = Explorer(trace_backward(x)).data
    assert [f["kind"] for f in data["frames"]] == ["forward", "step"]
    assert data["frames"][1]["caption"] == "step 1/1: grad of x via seed: dx/dx = 1\n∂x/∂x = 1  (the seed)"
    assert data["neurons"] is None and data["neurons_note"] == "no weight matrices found"


def test_nodes_folded_by_draw_graph_point_at_their_module_box():
    model, loss, trace = mlp_trace()
    data = Explorer(trace, collapse=True).data
    w, b = by_label(data, "layers.0.weight"), by_label(data, "layers.0.bias")
    assert w["node"] == b["node"] and w["node"].startswith("m")       # one box for the Linear layer
    assert by_label(data, "X")["node"].startswith("t")                # inputs stay outside
    assert by_label(data, "loss")["node"].startswith("t")             # the root stays visible
