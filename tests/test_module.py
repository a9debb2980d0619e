"""Module: registration, traversal, modes, state, saving, dtype conversion."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import Linear, Module, Parameter, ReLU, Sequential


class TwoParams(Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = Parameter(np.ones((2, 3)))
        self.b = Parameter(np.zeros(3))

    def forward(self, x):
        return x @ self.a.T + self.b[:2]


class Stack(Module):
    """Sub-modules held in a plain Python list."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = [Linear(2, 3, seed=0), ReLU(), Linear(3, 1, seed=1)]

    def forward(self, x):
        for m in self.layers:
            x = m(x)
        return x


def _weights(model: Module) -> dict[str, np.ndarray]:
    return {k: v.copy() for k, v in model.state_dict().items()}


def _assert_same_weights(model: Module, expected: dict[str, np.ndarray]) -> None:
    got = model.state_dict()
    assert list(got) == list(expected)
    for k in expected:
        np.testing.assert_array_equal(got[k], expected[k], err_msg=k)


# -- registration -------------------------------------------------------------------------
def test_parameters_assigned_as_attributes_are_registered_in_assignment_order():
    m = TwoParams()
    assert [n for n, _ in m.named_parameters()] == ["a", "b"]
    assert m.parameters()[0] is m.a and m.parameters()[1] is m.b


def test_modules_in_a_plain_list_are_registered_with_dotted_names():
    m = Stack()
    assert [n for n, _ in m.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert m.layers[0].weight is dict(m.named_parameters())["layers.0.weight"]


def test_parameters_in_a_plain_list_are_registered_with_dotted_names():
    class Owner(Module):
        def __init__(self) -> None:
            super().__init__()
            self.ws = [Parameter(np.ones(2)), Parameter(np.zeros(3))]

    m = Owner()
    assert [n for n, _ in m.named_parameters()] == ["ws.0", "ws.1"]
    assert m.ws[1].shape == (3,) and len(m.ws) == 2


def test_sequential_registers_children_by_position():
    seq = Sequential(Linear(2, 4, seed=0), ReLU(), Linear(4, 1, seed=1))
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(seq) == 3 and isinstance(seq[1], ReLU)


def test_mlp_parameter_names_are_dotted_layer_paths():
    m = nn.MLP([2, 16, 8, 1], seed=0)
    assert [n for n, _ in m.named_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
        "layers.2.weight", "layers.2.bias"]


def test_nested_module_names_join_every_level():
    outer = Sequential(Sequential(Linear(2, 2, seed=0)), Linear(2, 1, seed=1))
    assert [n for n, _ in outer.named_parameters()] == ["0.0.weight", "0.0.bias", "1.weight", "1.bias"]


def test_reassigning_an_attribute_replaces_its_registration():
    m = TwoParams()
    m.b = None
    assert [n for n, _ in m.named_parameters()] == ["a"]
    m.a = Linear(3, 1, seed=0)
    assert [n for n, _ in m.named_parameters()] == ["a.weight", "a.bias"]
    del m.a
    assert m.parameters() == []


def test_a_shared_parameter_is_listed_once():
    lin = Linear(2, 2, seed=0)
    seq = Sequential(lin, ReLU(), lin)
    assert len(seq.parameters()) == 2
    assert seq.num_parameters() == 6


def test_plain_tensors_and_numbers_are_not_registered():
    class Holder(Module):
        def __init__(self) -> None:
            super().__init__()
            self.t = Tensor(np.ones(3), requires_grad=True)
            self.k = 3

    assert Holder().parameters() == []


def test_assigning_before_super_init_raises_a_clear_error():
    class Broken(Module):
        def __init__(self) -> None:
            self.w = Parameter(np.ones(2))

    with pytest.raises(RuntimeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_num_parameters_counts_every_scalar():
    m = nn.MLP([2, 16, 8, 1], seed=0)
    assert m.num_parameters() == sum(o * i + o for i, o in [(2, 16), (16, 8), (8, 1)])


# -- behaviour ----------------------------------------------------------------------------
def test_call_runs_forward():
    m = TwoParams()
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(m(x).data, x @ np.ones((3, 2)))


def test_a_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="Module must define forward"):
        Module()(1.0)


def test_zero_grad_clears_every_parameter_gradient():
    m = nn.MLP([3, 4, 2], seed=0)
    m(np.ones((5, 3))).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_train_and_eval_reach_every_submodule():
    m = Sequential(Linear(2, 2, seed=0), Sequential(nn.Dropout(0.5, seed=0), ReLU()))
    assert m.eval() is m
    assert all(not sub.training for sub in m.modules())
    m.train()
    assert all(sub.training for sub in m.modules())


def test_repr_lists_layers_with_their_shapes():
    text = repr(nn.MLP([2, 16, 1], activations=["relu", "sigmoid"], seed=0))
    assert "(16, 2)" in text and "(1, 16)" in text
    assert "ReLU()" in text and "Sigmoid()" in text and "65 parameters" in text
    seq = repr(Sequential(Linear(2, 3), ReLU()))
    assert "(0): Linear(in_features=2, out_features=3, bias=True)" in seq and "(1): ReLU()" in seq


# -- state_dict ---------------------------------------------------------------------------
def test_state_dict_holds_copies_keyed_by_dotted_name():
    m = nn.MLP([2, 3, 1], seed=0)
    sd = m.state_dict()
    assert list(sd) == [n for n, _ in m.named_parameters()]
    sd["layers.0.weight"][...] = 99.0
    assert not np.any(m.layers[0].weight.data == 99.0)


def test_load_state_dict_round_trip_reproduces_outputs():
    a, b = nn.MLP([2, 5, 1], seed=0), nn.MLP([2, 5, 1], seed=1)
    x = np.random.default_rng(0).normal(size=(4, 2))
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(b(x).data, a(x).data)


def test_load_state_dict_reports_every_problem_at_once_and_loads_nothing():
    model = nn.MLP([2, 8, 1], seed=0)
    before = _weights(model)
    bad = nn.MLP([2, 16, 1], seed=1).state_dict()   # layers.0.* and layers.1.weight have other shapes
    del bad["layers.1.bias"]                         # missing
    bad["layers.9.weight"] = np.zeros((1, 1))        # unexpected
    with pytest.raises(ValueError) as err:
        model.load_state_dict(bad)
    msg = str(err.value)
    assert msg.startswith("load_state_dict:")
    assert "missing keys ['layers.1.bias']" in msg
    assert "unexpected keys ['layers.9.weight']" in msg
    assert "shape mismatch for layers.0.weight: (16, 2) in file vs (8, 2) in model" in msg
    assert "layers.0.bias" in msg and "layers.1.weight" in msg
    _assert_same_weights(model, before)


def test_load_state_dict_with_one_bad_shape_loads_no_other_key():
    model = nn.MLP([2, 3, 1], seed=0)
    before = _weights(model)
    sd = nn.MLP([2, 3, 1], seed=1).state_dict()
    sd["layers.1.bias"] = np.zeros(2)
    with pytest.raises(ValueError, match=r"layers.1.bias: \(2,\) in file vs \(1,\) in model"):
        model.load_state_dict(sd)
    _assert_same_weights(model, before)


def test_load_state_dict_non_strict_ignores_missing_and_unexpected_keys():
    model = nn.MLP([2, 3, 1], seed=0)
    donor = nn.MLP([2, 3, 1], seed=1).state_dict()
    partial = {"layers.0.weight": donor["layers.0.weight"], "extra": np.ones(1)}
    model.load_state_dict(partial, strict=False)
    np.testing.assert_array_equal(model.layers[0].weight.data, donor["layers.0.weight"])
    assert not np.array_equal(model.layers[1].weight.data, donor["layers.1.weight"])


def test_load_state_dict_keeps_the_model_dtype():
    model = nn.MLP([2, 3, 1], seed=0).to(np.float32)
    model.load_state_dict(nn.MLP([2, 3, 1], seed=1).state_dict())
    assert all(p.dtype == np.float32 for p in model.parameters())


# -- saving -------------------------------------------------------------------------------
def test_save_then_load_round_trips_the_weights(tmp_path):
    a, b = nn.MLP([2, 4, 1], seed=0), nn.MLP([2, 4, 1], seed=1)
    path = a.save(tmp_path / "model.npz")
    b.load(path)
    _assert_same_weights(b, _weights(a))


def test_saved_file_is_a_plain_npz_readable_without_pickle(tmp_path):
    a = nn.MLP([2, 4, 1], activations=["tanh", "sigmoid"], seed=0)
    path = a.save(tmp_path / "model.npz")
    with np.load(path, allow_pickle=False) as f:
        files = set(f.files)
        np.testing.assert_array_equal(f["layers.0.weight"], a.layers[0].weight.data)
        config = json.loads(str(f["__config__"]))
    assert files == {"layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "__config__"}
    assert config["layer_sizes"] == [2, 4, 1] and config["activations"] == ["tanh", "sigmoid"]


def test_save_leaves_no_temporary_file(tmp_path):
    nn.MLP([2, 3, 1], seed=0).save(tmp_path / "m.npz")
    nn.MLP([2, 3, 1], seed=1).save(tmp_path / "m.npz")   # overwrite too
    assert os.listdir(tmp_path) == ["m.npz"]


def test_save_adds_the_npz_suffix_and_load_finds_it(tmp_path):
    a, b = nn.MLP([2, 3, 1], seed=0), nn.MLP([2, 3, 1], seed=1)
    path = a.save(tmp_path / "model")
    assert path == str(tmp_path / "model.npz")
    b.load(tmp_path / "model")
    _assert_same_weights(b, _weights(a))
    _assert_same_weights(nn.load_model(tmp_path / "model"), _weights(a))


def test_saved_file_gets_the_usual_permissions_not_mkstemps_private_ones(tmp_path):
    path = nn.MLP([2, 3, 1], seed=0).save(tmp_path / "m.npz")
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask


def test_a_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    old = nn.MLP([2, 3, 1], seed=0)
    path = old.save(tmp_path / "m.npz")
    before = Path(path).read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        nn.MLP([2, 3, 1], seed=1).save(path)
    assert Path(path).read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]


def test_load_into_a_different_architecture_raises_and_loads_nothing(tmp_path):
    path = nn.MLP([2, 16, 1], seed=0).save(tmp_path / "m.npz")
    model = nn.MLP([2, 8, 1], seed=1)
    before = _weights(model)
    with pytest.raises(ValueError, match="shape mismatch for layers.0.weight: \\(16, 2\\) in file vs \\(8, 2\\)"):
        model.load(path)
    _assert_same_weights(model, before)


def test_load_model_rebuilds_an_mlp_with_its_activations_and_weights(tmp_path):
    a = nn.MLP([2, 5, 3, 1], activations=["tanh", "relu", "sigmoid"], seed=0)
    path = a.save(tmp_path / "m.npz")
    b = nn.load_model(path)
    assert isinstance(b, nn.MLP)
    assert b.layer_sizes == [2, 5, 3, 1] and b.activation_names == ["tanh", "relu", "sigmoid"]
    x = np.random.default_rng(0).normal(size=(6, 2))
    np.testing.assert_array_equal(b(x).data, a(x).data)


def test_load_model_keeps_each_leaky_relu_slope(tmp_path):
    a = nn.MLP([2, 3, 1], activations=["leaky_relu", "leaky_relu"], negative_slope=[0.2, 0.3], seed=0)
    b = nn.load_model(a.save(tmp_path / "m.npz"))
    assert [m.negative_slope for m in b.activation_modules] == [0.2, 0.3]
    assert b.config() == a.config()


def test_load_model_keeps_float32(tmp_path):
    path = nn.MLP([2, 3, 1], seed=0).to(np.float32).save(tmp_path / "m.npz")
    assert all(p.dtype == np.float32 for p in nn.load_model(path).parameters())


def test_load_model_refuses_a_file_without_architecture(tmp_path):
    path = Sequential(Linear(2, 1, seed=0)).save(tmp_path / "seq.npz")
    with pytest.raises(ValueError, match="no architecture config"):
        nn.load_model(path)


# -- dtype --------------------------------------------------------------------------------
def test_to_float32_converts_every_parameter_in_place():
    m = nn.MLP([2, 4, 1], seed=0)
    w64 = m.layers[0].weight.data.copy()
    assert m.to(np.float32) is m
    assert all(p.dtype == np.float32 for p in m.parameters()) and m.dtype == np.float32
    np.testing.assert_array_equal(m.layers[0].weight.data, w64.astype(np.float32))
    assert m.double().dtype == np.float64


def test_to_refuses_a_non_float_dtype():
    with pytest.raises(TypeError, match="to: expected a floating dtype, got int64"):
        nn.MLP([2, 1], seed=0).to(np.int64)


@pytest.mark.parametrize("loss, out_features, activation, target", [
    (nn.MSELoss(), 1, "identity", lambda n: np.ones((n, 1))),
    (nn.L1Loss(), 1, "identity", lambda n: np.ones((n, 1))),
    (nn.BCELoss(), 1, "sigmoid", lambda n: np.full((n, 1), 0.25)),
    (nn.BCEWithLogitsLoss(), 1, "identity", lambda n: np.ones((n, 1))),
    (nn.CrossEntropyLoss(), 3, "identity", lambda n: np.arange(n) % 3),
], ids=["mse", "l1", "bce", "bce_logits", "cross_entropy"])
def test_a_float32_model_stays_float32_through_output_loss_and_gradients(loss, out_features, activation, target):
    m = nn.MLP([2, 4, out_features], activations=["tanh", activation], seed=0).to(np.float32)
    x = np.random.default_rng(0).normal(size=(6, 2))   # float64 data is cast, not the model upcast
    out = m(x)
    value = loss(out, target(6))
    value.backward()
    assert out.dtype == np.float32 and value.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in m.parameters())


def test_a_float32_model_refuses_a_float64_tensor_input():
    m = nn.MLP([2, 1], seed=0).to(np.float32)
    with pytest.raises(TypeError, match="input dtype float64 does not match parameter dtype float32"):
        m(Tensor(np.ones((1, 2))))
