"""Layers (Parameter, Linear, activations, Dropout, Sequential, MLP) and nn.init."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import nn
from autograd import Tensor
from nn import init


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# -- Parameter ------------------------------------------------------------------------------
def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, Tensor) and p.requires_grad and p.dtype == np.float64
    assert repr(p).startswith("Parameter(")


def test_parameter_copies_its_data():
    a = np.ones(3)
    p = nn.Parameter(a)
    a[0] = 5.0
    assert p.data[0] == 1.0


# -- Linear ------------------------------------------------------------------------------------
def test_linear_weight_is_out_by_in_and_bias_is_out():
    lin = nn.Linear(3, 5, seed=0)
    assert lin.weight.shape == (5, 3) and lin.bias.shape == (5,)


def test_linear_computes_x_times_weight_transposed_plus_bias():
    lin = nn.Linear(3, 2, bias_init=init.normal(1.0), seed=0)
    x = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(lin(x).data, x @ lin.weight.data.T + lin.bias.data, rtol=1e-14)


def test_linear_without_bias_has_only_a_weight():
    lin = nn.Linear(3, 2, bias=False, seed=0)
    x = np.random.default_rng(1).normal(size=(4, 3))
    assert lin.bias is None and [n for n, _ in lin.named_parameters()] == ["weight"]
    np.testing.assert_allclose(lin(x).data, x @ lin.weight.data.T, rtol=1e-14)


def test_linear_accepts_nested_lists_and_single_samples():
    lin = nn.Linear(2, 3, seed=0)
    np.testing.assert_allclose(lin([[1.0, 2.0]]).data, lin(np.array([[1.0, 2.0]])).data)
    assert lin(np.array([1.0, 2.0])).shape == (3,)


def test_linear_rejects_the_wrong_feature_count_naming_both():
    with pytest.raises(ValueError, match=r"Linear\(in_features=4\) got input with 3 features \(shape \(5, 3\)\)"):
        nn.Linear(4, 2, seed=0)(np.ones((5, 3)))


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_linear_rejects_non_positive_integer_sizes(bad):
    with pytest.raises(ValueError, match="in_features must be a positive integer"):
        nn.Linear(bad, 2)


def test_linear_seed_makes_weights_reproducible():
    np.testing.assert_array_equal(nn.Linear(3, 4, seed=7).weight.data, nn.Linear(3, 4, seed=7).weight.data)
    assert not np.array_equal(nn.Linear(3, 4, seed=7).weight.data, nn.Linear(3, 4, seed=8).weight.data)


def test_linear_takes_an_initialiser_callable():
    lin = nn.Linear(3, 2, init=init.constant(0.5))
    np.testing.assert_array_equal(lin.weight.data, np.full((2, 3), 0.5))


def test_linear_rejects_an_unknown_initialiser_name():
    with pytest.raises(ValueError, match="init: unknown initialiser 'bogus'"):
        nn.Linear(3, 2, init="bogus")


# -- activations ---------------------------------------------------------------------------
X = np.array([[-2.0, -0.5, 0.0, 0.5, 3.0]])


@pytest.mark.parametrize("module, expected", [
    (nn.ReLU(), np.maximum(X, 0)),
    (nn.LeakyReLU(0.1), np.where(X > 0, X, 0.1 * X)),
    (nn.Tanh(), np.tanh(X)),
    (nn.Sigmoid(), _sigmoid(X)),
    (nn.Softmax(), np.exp(X) / np.exp(X).sum(axis=-1, keepdims=True)),
    (nn.Identity(), X),
], ids=["relu", "leaky_relu", "tanh", "sigmoid", "softmax", "identity"])
def test_activation_module_values(module, expected):
    np.testing.assert_allclose(module(Tensor(X)).data, expected, rtol=1e-14, atol=1e-16)


def test_leaky_relu_default_slope_is_pytorchs():
    assert nn.LeakyReLU().negative_slope == 0.01


def test_softmax_rows_sum_to_one_along_its_axis():
    x = np.random.default_rng(0).normal(size=(3, 4))
    np.testing.assert_allclose(nn.Softmax(axis=0)(Tensor(x)).data.sum(axis=0), np.ones(4))


def test_activation_by_name_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.activation("swish")


# -- Dropout ---------------------------------------------------------------------------------
def test_dropout_zeroes_about_p_of_the_inputs():
    out = nn.Dropout(0.3, seed=0)(Tensor(np.ones((200, 500)))).data
    assert abs(np.mean(out == 0) - 0.3) < 0.01


def test_dropout_is_inverted_so_the_expected_output_is_the_input():
    x = np.random.default_rng(1).uniform(1, 2, size=(400, 250))
    out = nn.Dropout(0.4, seed=0)(Tensor(x)).data
    kept = out != 0
    np.testing.assert_allclose(out[kept], x[kept] / 0.6)
    assert abs(out.mean() / x.mean() - 1) < 0.01


def test_dropout_is_the_identity_in_eval_mode():
    d = nn.Dropout(0.5, seed=0).eval()
    x = Tensor(np.random.default_rng(0).normal(size=(4, 5)))
    np.testing.assert_array_equal(d(x).data, x.data)


def test_dropout_with_a_seed_is_reproducible():
    x = Tensor(np.ones((10, 10)))
    np.testing.assert_array_equal(nn.Dropout(0.5, seed=3)(x).data, nn.Dropout(0.5, seed=3)(x).data)
    assert not np.array_equal(nn.Dropout(0.5, seed=3)(x).data, nn.Dropout(0.5, seed=4)(x).data)


def test_dropout_gradient_is_the_same_mask_scaled():
    x = Tensor(np.ones((20, 20)), requires_grad=True)
    out = nn.Dropout(0.25, seed=0)(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, out.data)   # out = mask/(1-p) * 1


def test_dropout_keeps_float32():
    assert nn.Dropout(0.5, seed=0)(Tensor(np.ones(8, dtype=np.float32))).dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5])
def test_dropout_rejects_p_outside_zero_to_one(p):
    with pytest.raises(ValueError, match=r"Dropout: p must lie in \[0, 1\)"):
        nn.Dropout(p)


# -- Sequential -------------------------------------------------------------------------------
def test_sequential_applies_modules_in_order():
    a, b = nn.Linear(2, 3, seed=0), nn.Linear(3, 1, seed=1)
    x = np.random.default_rng(0).normal(size=(4, 2))
    expected = np.tanh(x @ a.weight.data.T + a.bias.data) @ b.weight.data.T + b.bias.data
    np.testing.assert_allclose(nn.Sequential(a, nn.Tanh(), b)(x).data, expected, rtol=1e-14)


# -- MLP ---------------------------------------------------------------------------------------
def test_mlp_default_is_relu_hidden_layers_and_a_linear_output():
    m = nn.MLP([2, 4, 3, 1], seed=0)
    assert m.activation_names == ["relu", "relu", "identity"]
    x = np.random.default_rng(0).normal(size=(5, 2))
    h = x
    for layer, act in zip(m.layers, [lambda z: np.maximum(z, 0)] * 2 + [lambda z: z]):
        h = act(h @ layer.weight.data.T + layer.bias.data)
    np.testing.assert_allclose(m(x).data, h, rtol=1e-13)


def test_mlp_applies_one_named_activation_per_layer():
    m = nn.MLP([2, 3, 1], activations=["tanh", "sigmoid"], seed=0)
    x = np.random.default_rng(0).normal(size=(5, 2))
    l0, l1 = m.layers
    expected = _sigmoid(np.tanh(x @ l0.weight.data.T + l0.bias.data) @ l1.weight.data.T + l1.bias.data)
    np.testing.assert_allclose(m(x).data, expected, rtol=1e-13)


def test_mlp_layer_shapes_follow_layer_sizes():
    m = nn.MLP([2, 16, 8, 1], activations=["relu", "relu", "sigmoid"], seed=42)
    assert [l.weight.shape for l in m.layers] == [(16, 2), (8, 16), (1, 8)]
    assert [l.bias.shape for l in m.layers] == [(16,), (8,), (1,)]


def test_mlp_biases_start_at_zero():
    assert all(np.all(l.bias.data == 0) for l in nn.MLP([2, 5, 1], seed=0).layers)


def test_mlp_rejects_an_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        nn.MLP([2, 3, 1], activations=["swish", "sigmoid"])


def test_mlp_rejects_an_activation_count_that_does_not_match_the_layers():
    with pytest.raises(ValueError, match=r"MLP: 2 layers \(\[2, 3, 1\]\) need 2 activation names, got 3"):
        nn.MLP([2, 3, 1], activations=["relu", "relu", "sigmoid"])


def test_mlp_rejects_a_single_string_for_activations():
    with pytest.raises(TypeError, match="one name per layer, got the string 'relu'"):
        nn.MLP([2, 3, 1], activations="relu")


def test_mlp_needs_at_least_two_sizes():
    with pytest.raises(ValueError, match="at least an input and an output size"):
        nn.MLP([3])


def test_mlp_seed_makes_it_reproducible():
    a, b, c = nn.MLP([2, 8, 1], seed=5), nn.MLP([2, 8, 1], seed=5), nn.MLP([2, 8, 1], seed=6)
    assert all(np.array_equal(p.data, q.data) for p, q in zip(a.parameters(), b.parameters()))
    assert not np.array_equal(a.layers[0].weight.data, c.layers[0].weight.data)


def test_mlp_with_dtype_float32_builds_float32_parameters():
    assert all(p.dtype == np.float32 for p in nn.MLP([2, 3, 1], dtype=np.float32, seed=0).parameters())


def test_mlp_config_is_its_architecture_as_plain_data():
    model = nn.MLP([2, 3, 1], activations=["leaky_relu", "sigmoid"], negative_slope=0.2, bias=False, seed=0)
    assert model.config() == {"class": "MLP", "layer_sizes": [2, 3, 1], "activations": ["leaky_relu", "sigmoid"],
                              "negative_slopes": [0.2, 0.01], "bias": False, "dtype": "float64"}
    assert model.activation_modules[0].negative_slope == 0.2


def test_mlp_takes_one_negative_slope_per_layer_or_refuses_the_wrong_count():
    model = nn.MLP([2, 3, 3, 1], activations=["leaky_relu"] * 3, negative_slope=[0.1, 0.2, 0.3], seed=0)
    assert [m.negative_slope for m in model.activation_modules] == [0.1, 0.2, 0.3]
    with pytest.raises(ValueError, match="MLP: got 2 negative slopes for 3 layers"):
        nn.MLP([2, 3, 3, 1], activations=["leaky_relu"] * 3, negative_slope=[0.1, 0.2])


def test_mlp_weights_are_copies_of_each_layers_weight_and_bias():
    model = nn.MLP([2, 3, 1], seed=0, bias=False)
    (W0, b0), (W1, b1) = model.weights()
    np.testing.assert_array_equal(W0, model.layers[0].weight.data)
    assert W1.shape == (1, 3) and b0 is None and b1 is None
    W0[...] = 7.0
    assert not np.any(model.layers[0].weight.data == 7.0)
    (_, b0), _ = nn.MLP([2, 3, 1], seed=0).weights()
    np.testing.assert_array_equal(b0, np.zeros(3))


# -- nn.init -----------------------------------------------------------------------------------
RNG = np.random.default_rng


def test_he_normal_has_std_sqrt_2_over_fan_in():
    w = init.he_normal((400, 500), RNG(0))          # (out, in): fan_in = 500
    assert abs(w.mean()) < 0.003
    assert abs(w.std() / np.sqrt(2 / 500) - 1) < 0.01


def test_xavier_uniform_is_bounded_by_its_limit_with_uniform_std():
    w = init.xavier_uniform((300, 500), RNG(0))
    limit = np.sqrt(6 / (500 + 300))
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    assert abs(w.std() / (limit / np.sqrt(3)) - 1) < 0.01


def test_normal_has_the_requested_std_and_mean():
    w = init.normal(0.1)((500, 400), RNG(0))
    assert abs(w.std() - 0.1) < 0.002 and abs(w.mean()) < 0.002
    assert abs(init.normal(0.5, mean=3.0)((500, 400), RNG(0)).mean() - 3.0) < 0.01


def test_normal_rejects_a_negative_std():
    with pytest.raises(ValueError, match="normal: std must be >= 0"):
        init.normal(-1.0)


@settings(deadline=None, max_examples=20)
@given(value=st.floats(-10, 10), rows=st.integers(1, 5), cols=st.integers(1, 5))
def test_constant_fills_every_entry(value, rows, cols):
    np.testing.assert_array_equal(init.constant(value)((rows, cols), RNG(0)), np.full((rows, cols), value))


@pytest.mark.parametrize("fn", [init.he_normal, init.xavier_uniform, init.normal(0.1)],
                         ids=["he_normal", "xavier_uniform", "normal"])
def test_initialisers_are_reproducible_from_the_generator_seed(fn):
    np.testing.assert_array_equal(fn((4, 3), RNG(11)), fn((4, 3), RNG(11)))
    assert not np.array_equal(fn((4, 3), RNG(11)), fn((4, 3), RNG(12)))


def test_mlp_default_init_is_he_for_relu_family_and_xavier_otherwise():
    m = nn.MLP([400, 300, 300, 200], activations=["relu", "leaky_relu", "tanh"], seed=0)
    for layer in m.layers[:2]:
        fan_in = layer.in_features
        assert abs(layer.weight.data.std() / np.sqrt(2 / fan_in) - 1) < 0.02
    w = m.layers[2].weight.data
    limit = np.sqrt(6 / (300 + 200))
    assert np.abs(w).max() <= limit and abs(w.std() / (limit / np.sqrt(3)) - 1) < 0.02


def test_mlp_init_argument_overrides_the_default():
    m = nn.MLP([2, 3, 1], init=init.constant(1.0))
    assert all(np.all(l.weight.data == 1.0) for l in m.layers)
    m = nn.MLP([300, 300, 1], activations=["relu", "identity"], init="xavier_uniform", seed=0)
    assert np.abs(m.layers[0].weight.data).max() <= np.sqrt(6 / 600)
