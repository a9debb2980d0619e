"""check_backprop: a hand-written NumPy MLP checked as written, then with each classic mistake injected.

The network below is written the way the seed tutorials write theirs — plain
NumPy, `np.dot`, `np.exp`, `np.sum(..., keepdims=True)` — in both layouts:
column-major (`W @ A + b`, X of shape (features, m)) and row-major
(`X @ W + b`, X of shape (m, features)). Each test injects one mistake into
its backward pass and checks the doctor names it.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import nn
from nn import backprop_check as bc
from nn.backprop_check import check_backprop, infer_batch_size, match_keys
from nn.doctor import diagnose, explain_factor, relative_error


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


ACTIVATIONS = {  # name -> (f, f′ written in terms of z and a, as the tutorials do)
    "sigmoid": (sigmoid, lambda z, a: a * (1 - a)),
    "tanh": (np.tanh, lambda z, a: 1 - a ** 2),
    "relu": (lambda z: np.maximum(0, z), lambda z, a: (z > 0).astype(float)),
}


class HandMLP:
    """A from-scratch MLP: hidden activation `act`, output sigmoid + BCE ("bce") or linear + MSE ("mse")."""

    def __init__(self, sizes, layout="col", act="sigmoid", loss="bce", m=16, seed=0):
        rng = np.random.default_rng(seed)
        self.layout, self.act, self.loss_name, self.L = layout, act, loss, len(sizes) - 1
        self.params = {}
        for l in range(1, self.L + 1):
            n_in, n_out = sizes[l - 1], sizes[l]
            W = rng.normal(size=(n_out, n_in)) / np.sqrt(n_in) * 1.5
            b = rng.normal(size=(n_out, 1)) * 0.3
            self.params[f"W{l}"], self.params[f"b{l}"] = (W, b) if layout == "col" else (W.T.copy(), b.T.copy())
        X = rng.normal(size=(m, sizes[0]))
        Y = (rng.random((m, sizes[-1])) > 0.5).astype(float) if loss == "bce" else rng.normal(size=(m, sizes[-1]))
        self.X, self.Y = (X.T.copy(), Y.T.copy()) if layout == "col" else (X, Y)
        self.m = m

    def linear(self, p, l, A):
        return np.dot(p[f"W{l}"], A) + p[f"b{l}"] if self.layout == "col" else np.dot(A, p[f"W{l}"]) + p[f"b{l}"]

    def forward(self, p, X):
        f = ACTIVATIONS[self.act][0]
        A, cache = X, [(None, X)]
        for l in range(1, self.L + 1):
            Z = self.linear(p, l, A)
            A = (sigmoid(Z) if self.loss_name == "bce" else Z) if l == self.L else f(Z)
            cache.append((Z, A))
        return A, cache

    def loss(self, p, X, Y):
        A, _ = self.forward(p, X)
        if self.loss_name == "bce":
            return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))
        return np.mean((A - Y) ** 2)

    def grads(self, p, X, Y, mistake=None, unit=2):
        """Backprop by hand; `mistake` injects one classic error."""
        m = self.m
        A, cache = self.forward(p, X)
        k = Y.size // m
        if self.loss_name == "bce":
            dZ = (A - Y) / (m * k)
        else:
            dZ = (1 if mistake == "no_two" else 2) * (A - Y) / (m * k)
        if mistake == "sum":
            dZ = dZ * m
        if mistake == "descent":
            dZ = -dZ
        g = {}
        for l in range(self.L, 0, -1):
            A_prev = cache[l - 1][1]
            if self.layout == "col":
                g[f"dW{l}"] = np.dot(dZ, A_prev.T)
                g[f"db{l}"] = np.sum(dZ, axis=1, keepdims=True)
            else:
                g[f"dW{l}"] = np.dot(A_prev.T, dZ)
                g[f"db{l}"] = np.sum(dZ, axis=0, keepdims=True)
            if l > 1:
                dA = np.dot(p[f"W{l}"].T, dZ) if self.layout == "col" else np.dot(dZ, p[f"W{l}"].T)
                Z, Ah = cache[l - 1]
                deriv = ACTIVATIONS[self.act][1]
                if mistake == "sigma_of_a":        # σ′ written for z, given A
                    d = deriv(Ah, ACTIVATIONS[self.act][0](Ah))
                elif mistake == "a_form_of_z":     # a(1 − a) written for a, given Z
                    d = deriv(Z, Z)
                else:
                    d = deriv(Z, Ah)
                if mistake == "one_unit" and l == self.L:
                    d = d.copy()
                    if self.layout == "col":
                        d[unit] = 1.0
                    else:
                        d[:, unit] = 1.0
                dZ = dA * d
        return g

    def check(self, mistake=None, edit=None, **kw):
        def grads(p, X, Y):
            g = self.grads(p, X, Y, mistake)
            if edit:
                edit(g)
            return g
        return check_backprop(self.loss, grads, self.params, self.X, self.Y, **kw)


LAYOUTS = ["col", "row"]


# -- as written -----------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_a_correct_network_passes(layout, act, loss):
    net = HandMLP([3, 5, 4, 1], layout, act, loss)
    report = net.check()
    assert report.ok and report.first_wrong is None
    assert [r.name for r in report.rows] == ["W1", "b1", "W2", "b2", "W3", "b3"]
    assert all(r.key == "d" + r.name and r.rel_error <= 1e-6 for r in report.rows)
    assert all(r.numerical_rel_error is not None and r.numerical_rel_error < 1e-4 for r in report.rows)
    assert report.batch_size == 16


def test_grads_keyed_by_the_parameter_names_are_accepted():
    net = HandMLP([2, 3, 1])
    report = check_backprop(net.loss, lambda p, X, Y: {k[1:]: v for k, v in net.grads(p, X, Y).items()},
                            net.params, net.X, net.Y)
    assert report.ok and report.rows[0].key == "W1"


# -- constant factors -------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
def test_sum_instead_of_mean_is_factor_m(layout):
    report = HandMLP([3, 4, 1], layout, m=12).check("sum")
    assert not report.ok
    for row in report.rows:
        assert row.kind == "factor" and row.factor == pytest.approx(12)
        assert "×m (m = 12, the batch size)" in row.diagnosis and "sum over the batch" in row.diagnosis


def test_dividing_by_m_for_a_summed_loss_is_factor_one_over_m():
    net = HandMLP([3, 4, 1], m=10)
    summed = lambda p, X, Y: net.loss(p, X, Y) * net.m   # the loss is a sum; the grads still divide by m
    report = check_backprop(summed, net.grads, net.params, net.X, net.Y)
    assert all(r.kind == "factor" and r.factor == pytest.approx(0.1) for r in report.rows)
    assert "×1/m (m = 10" in report.rows[0].diagnosis and "do not divide by m" in report.rows[0].diagnosis


@pytest.mark.parametrize("layout", LAYOUTS)
def test_descent_direction_is_factor_minus_one(layout):
    report = HandMLP([3, 4, 1], layout).check("descent")
    assert all(r.kind == "factor" and r.factor == pytest.approx(-1) for r in report.rows)
    assert "descent direction" in report.rows[0].diagnosis and "W += lr·dW" in report.rows[0].diagnosis


def test_missing_two_of_the_squared_error_is_factor_half():
    report = HandMLP([3, 4, 1], loss="mse").check("no_two")
    assert all(r.kind == "factor" and r.factor == pytest.approx(0.5) for r in report.rows)
    assert "the loss is (y − ŷ)² without a ½" in report.rows[0].diagnosis


def test_the_two_against_a_half_squared_error_is_factor_two():
    net = HandMLP([3, 4, 1], loss="mse", m=8)
    half_sse = lambda p, X, Y: 0.5 * np.sum((net.forward(p, X)[0] - Y) ** 2)
    sse_grads = lambda p, X, Y: {k: v * 8 for k, v in net.grads(p, X, Y).items()}   # 2(ŷ − y), no /m
    report = check_backprop(half_sse, sse_grads, net.params, net.X, net.Y)
    assert all(r.kind == "factor" and r.factor == pytest.approx(2) for r in report.rows)
    assert "the ½ of ½(y − ŷ)²" in report.rows[0].diagnosis


def test_other_factors_are_reported_with_their_value():
    report = HandMLP([3, 4, 1]).check(edit=lambda g: g.update(dW2=g["dW2"] * 0.01))
    row = report.row("W2")
    assert row.kind == "factor" and row.factor == pytest.approx(0.01)
    assert "c = 0.01" in row.diagnosis and "learning rate" in row.diagnosis


def test_factor_names_combine_and_list_ambiguous_readings():
    assert "×m" in explain_factor(4.0, 8) and "×½" in explain_factor(4.0, 8)      # forgot /m and the 2
    both = explain_factor(2.0, 2)                                                   # m = 2: two readings
    assert "— or —" in both and "×m (m = 2" in both and "the ½ of ½(y − ŷ)²" in both
    assert "descent direction" in explain_factor(-8.0, 8) and "×m" in explain_factor(-8.0, 8)
    assert "c = 3" in explain_factor(3.0, 8)


# -- shapes -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
def test_transposed_weight_gradient(layout):
    report = HandMLP([3, 5, 1], layout).check(edit=lambda g: g.update(dW1=g["dW1"].T))
    row = report.row("W1")
    assert row.kind == "transposed" and "its transpose is the gradient" in row.diagnosis
    assert row.max_abs_error is None and report.first_wrong == "W1"


def test_transposed_square_weight_gradient_is_found_by_value():
    report = HandMLP([4, 4, 1]).check(edit=lambda g: g.update(dW1=g["dW1"].T))
    row = report.row("W1")
    assert row.kind == "transposed" and "square" in row.diagnosis


def test_wrong_shape_names_the_expected_shape():
    report = HandMLP([3, 5, 1]).check(edit=lambda g: g.update(db1=g["db1"][:3]))
    row = report.row("b1")
    assert row.kind == "shape" and "shape (3, 1) instead of (5, 1)" in row.diagnosis


def test_right_values_in_a_broadcastable_shape_pass_with_a_note():
    report = HandMLP([3, 5, 1], "row").check(edit=lambda g: g.update(db1=g["db1"].ravel()))
    assert report.ok and "values match (shape (5,) instead of (1, 5)" in report.row("b1").diagnosis
    assert "note: b1: values match" in str(report)


def test_right_values_in_a_shape_that_would_not_broadcast_are_wrong():
    report = HandMLP([3, 5, 1], "col").check(edit=lambda g: g.update(db1=g["db1"].ravel()))
    row = report.row("b1")
    assert row.kind == "shape" and "the values are right — reshape it" in row.diagnosis


def test_per_sample_gradients_are_told_to_sum_over_the_batch():
    net = HandMLP([3, 5, 1], "row", m=12)

    def edit(g):   # db2 left as dZ: one row per sample
        A, _ = net.forward(net.params, net.X)
        g["db2"] = (A - net.Y) / net.m

    row = net.check(edit=edit).row("b2")
    assert row.kind == "per_sample" and "the sum over axis 0 (the batch of m = 12)" in row.diagnosis


# -- missing, NaN -------------------------------------------------------------------------------------
def test_all_zero_gradient_is_missing():
    report = HandMLP([3, 4, 1]).check(edit=lambda g: g.update(db1=np.zeros_like(g["db1"])))
    assert report.row("b1").kind == "missing" and "all zeros" in report.row("b1").diagnosis


def test_absent_key_is_missing():
    report = HandMLP([3, 4, 1]).check(edit=lambda g: g.pop("db2"))
    row = report.row("b2")
    assert row.key is None and row.kind == "missing" and "expected key 'b2' or 'db2'" in row.diagnosis


def test_nan_and_inf_are_counted():
    def edit(g):
        g["dW1"] = g["dW1"].copy()
        g["dW1"][0, 1], g["dW1"][2, 0] = np.nan, np.inf
    row = HandMLP([3, 4, 1]).check(edit=edit).row("W1")
    assert row.kind == "not_finite" and "1 NaN and 1 inf of 12 entries (first at [0, 1])" in row.diagnosis


# -- localised errors and recomputed hypotheses ----------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
def test_one_hidden_unit_wrong_is_localised_to_that_unit(layout):
    report = HandMLP([3, 5, 1], layout, act="tanh").check("one_unit")
    for name in ("W1", "b1"):
        row = report.row(name)
        assert row.kind == "localised" and "only unit 2 of 5 is wrong" in row.diagnosis
    assert report.row("W2").ok and report.first_wrong == "b1"


@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_activation_derivative_of_a_instead_of_z_is_found_by_recomputing(layout, act):
    report = HandMLP([3, 5, 4, 1], layout, act=act).check("sigma_of_a")
    wrong = [r for r in report.rows if not r.ok]
    assert [r.name for r in wrong] == ["W1", "b1", "W2", "b2"]
    for row in wrong:
        assert row.kind == "hypothesis" and "where" in row.diagnosis and "was meant" in row.diagnosis
        assert "gives exactly your gradient" in row.diagnosis
    assert report.first_wrong == "b2"


def test_output_form_of_the_derivative_given_z_is_found_by_recomputing():
    report = HandMLP([3, 5, 1], act="sigmoid").check("a_form_of_z")
    row = report.row("W1")
    assert row.kind == "hypothesis" and row.diagnosis.startswith("a(1 − a) evaluated at z at the sigmoid after W1")


def test_unrelated_error_names_the_worst_entry_and_both_values():
    net = HandMLP([3, 4, 1])
    noise = np.random.default_rng(5).normal(size=(4, 3))
    row = net.check(edit=lambda g: g.update(dW1=noise)).row("W1")
    exact = net.grads(net.params, net.X, net.Y)["dW1"]
    rel = relative_error(exact, noise)
    i, j = np.unravel_index(np.argmax(rel), rel.shape)
    assert row.kind == "unrelated"
    assert f"worst entry [{i}, {j}]: yours {noise[i, j]:.6g}, exact {exact[i, j]:.6g}" in row.diagnosis


# -- first_wrong: where the mistake starts --------------------------------------------------------
def test_first_wrong_is_the_wrong_parameter_closest_to_the_output():
    net = HandMLP([3, 4, 4, 1])
    report = net.check(edit=lambda g: g.update(dW1=2 * g["dW1"], dW2=2 * g["dW2"]))
    assert report.first_wrong == "W2"
    assert report.backward_order == ["b3", "W3", "b2", "W2", "b1", "W1"]


def test_first_wrong_follows_the_graph_not_the_dict_order():
    net = HandMLP([3, 4, 1])
    params = dict(reversed(list(net.params.items())))
    report = check_backprop(net.loss, lambda p, X, Y: {**net.grads(p, X, Y), "dW1": 0 * p["W1"] + 1,
                                                       "dW2": 0 * p["W2"] + 1}, params, net.X, net.Y)
    assert report.first_wrong == "W2" and [r.name for r in report.rows][0] == "b2"


# -- keys ----------------------------------------------------------------------------------------------
def test_unknown_keys_are_an_error_listing_what_was_expected():
    with pytest.raises(ValueError, match=r"unknown key 'grad_W1'; expected one per parameter, named like "
                                         r"it or with a 'd' prefix: 'W1'/'dW1', 'b1'/'db1'"):
        match_keys({"grad_W1": 0}, ["W1", "b1"])


def test_both_spellings_of_one_key_are_an_error():
    with pytest.raises(ValueError, match=r"both 'W1' and 'dW1' for parameter 'W1'; expected one of them"):
        match_keys({"W1": 0, "dW1": 0}, ["W1"])


def test_grads_must_be_a_dict():
    net = HandMLP([2, 3, 1])
    with pytest.raises(TypeError, match=r"grads_fn must return a dict of gradients keyed by parameter name "
                                        r"\(or 'd' \+ name\), got tuple"):
        check_backprop(net.loss, lambda p, X, Y: (1, 2), net.params, net.X, net.Y)


def test_params_must_be_a_dict_of_arrays():
    with pytest.raises(TypeError, match="params must be a non-empty dict name -> ndarray, got list"):
        check_backprop(lambda p: 0.0, lambda p: {}, [np.ones(2)])
    with pytest.raises(TypeError, match=r"params\['W'\] must be an array of real numbers"):
        check_backprop(lambda p: 0.0, lambda p: {}, {"W": "abc"})


def test_loss_must_be_a_finite_scalar():
    net = HandMLP([2, 3, 1])
    with pytest.raises(ValueError, match=r"loss_fn must return a scalar loss, got ndarray of shape \(1, 16\); "
                                         "reduce it with np.mean or np.sum"):
        check_backprop(lambda p, X, Y: net.forward(p, X)[0], net.grads, net.params, net.X, net.Y)
    with pytest.raises(ValueError, match="loss_fn returned nan at the given params; expected a finite loss"):
        check_backprop(lambda p, X, Y: np.nan * np.sum(p["W1"]), net.grads, net.params, net.X, net.Y)


# -- batch size ----------------------------------------------------------------------------------------
def test_batch_size_is_the_dimension_shared_by_the_data():
    assert infer_batch_size((np.ones((2, 7)), np.ones((1, 7))), []) == 7
    assert infer_batch_size((np.ones((7, 2)), np.ones((7,))), []) == 7
    assert infer_batch_size((np.ones((7, 1)), np.ones((7, 1))), []) == 7


@pytest.mark.parametrize("layout", LAYOUTS)
def test_batch_size_falls_back_to_the_graph(layout):
    net = HandMLP([3, 3, 3], layout, loss="mse", m=3)   # every dimension is 3: ambiguous from shapes alone
    report = net.check()
    assert report.ok and report.batch_size == 3
    net9 = HandMLP([9, 4, 1], layout, m=6)
    only_x = check_backprop(lambda p, X: net9.loss(p, X, net9.Y), lambda p, X: net9.grads(p, X, net9.Y),
                            net9.params, net9.X)
    assert only_x.batch_size == 6


def test_batch_size_can_be_given():
    report = HandMLP([3, 4, 1], m=12).check("sum", batch_size=12)
    assert report.batch_size == 12 and report.rows[0].factor == pytest.approx(12)


# -- numerical: a forward pass autograd cannot follow is caught -------------------------------------
def _detach_w2(net):
    def loss(p, X, Y):   # a step that leaves the graph on Tensors (a stand-in for any such escape)
        W2 = p["W2"].detach() if hasattr(p["W2"], "detach") else p["W2"]
        return net.loss({**p, "W2": W2}, X, Y)
    return loss


def test_a_step_autograd_cannot_follow_is_judged_by_central_differences():
    net = HandMLP([3, 4, 1])
    report = check_backprop(_detach_w2(net), net.grads, net.params, net.X, net.Y)
    assert report.ok
    assert report.row("W2").reference == "central differences" and report.row("W2").numerical_rel_error > 1e-4
    assert report.row("W1").reference == "autograd"
    assert any("autograd disagrees with central differences of your loss for W2" in n for n in report.notes)


def test_a_mistake_is_still_diagnosed_against_central_differences():
    net = HandMLP([3, 4, 1])
    report = check_backprop(_detach_w2(net), lambda p, X, Y: net.grads(p, X, Y, "sum"), net.params, net.X, net.Y)
    row = report.row("W2")
    assert row.reference == "central differences" and row.kind == "factor" and row.factor == pytest.approx(16)


def test_a_loss_autograd_cannot_run_falls_back_to_central_differences():
    net = HandMLP([3, 4, 1])

    def loss(p, X, Y):
        return float(net.loss({k: np.asarray(v) for k, v in p.items()}, X, Y))

    report = check_backprop(loss, net.grads, net.params, net.X, net.Y)
    assert report.ok and all(r.reference == "central differences" for r in report.rows)
    assert "autograd could not follow your loss (TypeError: np.asarray" in report.notes[0]
    assert "test_backprop_check.py:" in report.notes[0]
    with pytest.raises(ValueError, match=r"autograd could not follow loss_fn \(TypeError: .*pass numerical=True"):
        check_backprop(loss, net.grads, net.params, net.X, net.Y, numerical=False)


def test_numerical_false_skips_central_differences():
    report = HandMLP([3, 4, 1]).check(numerical=False)
    assert report.ok and all(r.numerical_rel_error is None for r in report.rows)
    assert "numerical=False" in report.notes[0]


def test_big_parameters_are_sampled_for_central_differences(monkeypatch):
    monkeypatch.setattr(bc, "MAX_NUMERICAL_ENTRIES", 5)
    calls = []
    net = HandMLP([6, 8, 1])
    counted = lambda p, X, Y: calls.append(1) or net.loss(p, X, Y)
    report = check_backprop(counted, net.grads, net.params, net.X, net.Y)
    assert report.ok
    # 2 runs (plain + traced) + 2 per sampled entry: W1 (48 → 5), b1 (8 → 5), W2 (8 → 5), b2 (1)
    assert len(calls) == 2 + 2 * (5 + 5 + 5 + 1)


# -- tolerance -----------------------------------------------------------------------------------------
def test_float32_gradients_are_judged_at_1e_4():
    net = HandMLP([3, 4, 1])
    p32 = {k: v.astype(np.float32) for k, v in net.params.items()}
    X32, Y32 = net.X.astype(np.float32), net.Y.astype(np.float32)
    report = check_backprop(net.loss, net.grads, p32, X32, Y32)
    assert report.ok and max(r.rel_error for r in report.rows) > 1e-9


def test_rtol_decides_the_verdict():
    net = HandMLP([3, 4, 1])
    nudged = lambda g: g.update(dW1=g["dW1"] * (1 + 1e-5))
    assert not net.check(edit=nudged).row("W1").ok
    assert net.check(edit=nudged, rtol=1e-4).row("W1").ok


def test_round_off_around_an_exact_zero_passes():
    exact = np.array([1.0, 0.0, -2.0])
    assert diagnose(exact, np.array([1.0, 1e-17, -2.0]), floor=1e-10 * 2).ok
    assert not diagnose(exact, np.array([1.0, 1e-6, -2.0]), floor=1e-10 * 2).ok
    assert diagnose(np.zeros(3), np.zeros(3)).ok   # both zero: passes


# -- the report ---------------------------------------------------------------------------------------
def test_report_text_table_and_dict():
    report = HandMLP([3, 4, 1], m=12).check("sum")
    text = str(report)
    assert text.splitlines()[0].startswith("check_backprop: loss ") and "batch of m = 12" in text
    assert "W1 (dW1)" in text and "✗ wrong" in text
    assert "✗ W1, b1, W2, b2: constant factor 12: ×m" in text    # one line for a shared diagnosis
    assert text.splitlines()[-1] == ("4 of 4 gradients wrong; first wrong (closest to the output): b2 — earlier "
                                     "layers inherit its error, so fix it first")
    d = json.loads(json.dumps(report.to_dict()))
    assert d["ok"] is False and d["first_wrong"] == "b2" and d["batch_size"] == 12


def test_a_single_wrong_gradient_is_not_said_to_spread_to_earlier_layers():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5, 2))
    params = {"W1": rng.normal(size=(2, 3)), "W2": rng.normal(size=(3, 1))}

    def loss(p, X):
        return np.mean(np.dot(np.tanh(np.dot(X, p["W1"])), p["W2"]) ** 2)

    def grads(p, X):
        h = np.tanh(X @ p["W1"])
        d_out = 2 * (h @ p["W2"]) / len(X)
        dW1 = X.T @ ((d_out @ p["W2"].T) * (1 - h ** 2))
        return {"W1": dW1, "W2": h.T @ d_out * len(X)}     # only W2 wrong (×m)

    last = str(check_backprop(loss, grads, params, X)).splitlines()[-1]
    assert last.startswith("1 of 2 gradients wrong") and last.endswith("W2 — fix it") and "inherit" not in last


def test_report_html_marks_and_escapes():
    net = HandMLP([3, 4, 1])
    html = net.check(edit=lambda g: g.update(db1=g["db1"][:2]))._repr_html_()
    assert html.count("✓") >= 3 and "✗" in html and "<table" in html
    assert "shape (2, 1) instead of (4, 1)" in html


def test_row_lookup_names_the_parameters():
    with pytest.raises(KeyError, match=r"no parameter 'W9'; parameters are \['W1', 'b1', 'W2', 'b2'\]"):
        HandMLP([3, 4, 1]).check().row("W9")


def test_reexported_from_nn_and_nn_compare():
    from nn.compare import check_backprop as from_compare
    assert nn.check_backprop is check_backprop is from_compare


def test_grads_fn_cannot_change_the_callers_params():
    net = HandMLP([3, 4, 1])
    before = {k: v.copy() for k, v in net.params.items()}

    def greedy(p, X, Y):
        g = net.grads(p, X, Y)
        for k in p:
            p[k] -= 0.1 * g["d" + k]   # updates in place, as a training step would
        return g

    assert check_backprop(net.loss, greedy, net.params, net.X, net.Y).ok
    assert all(np.array_equal(before[k], net.params[k]) for k in before)


# -- seed 001's scalar network: (y − ŷ) is the descent direction --------------------------------------
def test_scalar_parameters_and_seed_001s_sign():
    def loss(p, x, y):
        a1 = sigmoid(p["w1"] * x + p["b1"])
        return 0.5 * (y - sigmoid(p["w2"] * a1 + p["b2"])) ** 2

    def grads(p, x, y):   # seed 001 writes δ = (y − ŷ)σ′: the direction to move in
        a1 = sigmoid(p["w1"] * x + p["b1"])
        y_hat = sigmoid(p["w2"] * a1 + p["b2"])
        d2 = (y - y_hat) * y_hat * (1 - y_hat)
        d1 = p["w2"] * d2 * a1 * (1 - a1)
        return {"dw2": d2 * a1, "db2": d2, "dw1": d1 * x, "db1": d1}

    params = {"w1": np.array(0.5), "b1": np.array(0.1), "w2": np.array(1.5), "b2": np.array(-0.3)}
    report = check_backprop(loss, grads, params, 1.0, 2.0)
    assert report.batch_size is None and report.first_wrong == "b2"
    assert all(r.shape == () and r.kind == "factor" and r.factor == pytest.approx(-1) for r in report.rows)


# -- the doctor on its own ---------------------------------------------------------------------------
def test_doctor_refuses_what_is_not_an_array():
    d = diagnose(np.ones(2), {"a": 1})
    assert not d.ok and d.kind == "not_array" and d.text == "not an array of numbers: got dict"


def test_doctor_transposed_with_a_factor():
    e = np.arange(1.0, 7.0).reshape(2, 3)
    d = diagnose(e, -e.T, m=4)
    assert d.kind == "transposed" and "and constant factor -1" in d.text and d.factor == pytest.approx(-1)


def test_doctor_per_sample_mean():
    per = np.random.default_rng(1).normal(size=(5, 3))
    d = diagnose(per.mean(axis=0), per, m=5)
    assert d.kind == "per_sample" and "the mean over axis 0" in d.text and "np.mean(..., axis=0)" in d.text


def test_doctor_localised_columns_without_a_unit_axis():
    e = np.random.default_rng(2).normal(size=(4, 6))
    g = e.copy()
    g[:, [1, 4]] *= 3
    d = diagnose(e, g)
    assert d.kind == "localised" and "only columns 1, 4 of 6 are wrong" in d.text


def test_doctor_nonzero_gradient_where_the_exact_one_is_zero():
    d = diagnose(np.zeros(3), np.array([0.0, 2.0, 0.0]))
    assert not d.ok and d.kind == "unrelated"
    assert d.text == ("the exact gradient is all zeros here (the loss does not depend on this parameter at these "
                      "values, e.g. dead ReLU units or an unused parameter), yours is not: worst entry [1]: "
                      "yours 2, exact 0")


def test_doctor_hypotheses_are_tried_after_the_simple_relations():
    e, alt = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 7.0])
    d = diagnose(e, alt.copy(), hypotheses=[("the mistake", alt)])
    assert d.kind == "hypothesis" and d.text == "the mistake"
    assert diagnose(e, 2 * e, hypotheses=[("never", 2 * e)]).kind == "factor"


# -- any network, any factor --------------------------------------------------------------------------
from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 5), min_size=3, max_size=4), layout=st.sampled_from(LAYOUTS),
       act=st.sampled_from(["sigmoid", "tanh"]), loss=st.sampled_from(["bce", "mse"]), m=st.integers(2, 9),
       c=st.floats(0.05, 20).filter(lambda c: abs(c - 1) > 1e-3), seed=st.integers(0, 2**16))
def test_every_network_passes_and_a_scaled_gradient_reports_its_factor(sizes, layout, act, loss, m, c, seed):
    net = HandMLP(sizes, layout, act, loss, m=m, seed=seed)
    assert net.check(numerical=False).ok
    row = net.check(edit=lambda g: g.update(dW1=c * g["dW1"]), numerical=False).row("W1")
    assert row.kind == "factor" and row.factor == pytest.approx(c, rel=1e-9)
