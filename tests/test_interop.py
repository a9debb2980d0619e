"""Outgrowing mlpgrad: `to_torch`, `MLP.from_torch` and `export_onnx` give the same model elsewhere."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn import data
from nn.interop import MIN_OPSET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ACTIVATIONS = ["relu", "leaky_relu", "tanh", "sigmoid", "softmax", "identity"]
TORCH_TYPES = {"relu": torch.nn.ReLU, "leaky_relu": torch.nn.LeakyReLU, "tanh": torch.nn.Tanh,
               "sigmoid": torch.nn.Sigmoid, "softmax": torch.nn.Softmax, "identity": torch.nn.Identity}

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def inputs(n: int, d: int, dtype=np.float64, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)


def torch_out(module, X: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return module(torch.from_numpy(X)).numpy()


def onnx_out(path: str, X: np.ndarray, input_name: str = "input") -> np.ndarray:
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {input_name: X})
    return out


architectures = st.integers(1, 3).flatmap(lambda n: st.tuples(
    st.lists(st.integers(1, 6), min_size=n + 1, max_size=n + 1),
    st.lists(st.sampled_from(ACTIVATIONS), min_size=n, max_size=n),
    st.booleans(), st.sampled_from([np.float64, np.float32]), st.integers(0, 2**16)))


# -- to_torch -----------------------------------------------------------------------------------
@settings(max_examples=25)
@given(architectures)
def test_to_torch_computes_the_same_function_with_the_same_weights(arch):
    sizes, acts, bias, dtype, seed = arch
    model = nn.MLP(sizes, activations=acts, bias=bias, dtype=dtype, seed=seed)
    module = model.to_torch()
    assert isinstance(module, torch.nn.Sequential)
    assert [type(m) for m in module] == [t for a in acts for t in (torch.nn.Linear, TORCH_TYPES[a])]
    for i, lin in enumerate(module[::2]):
        assert lin.weight.dtype == (torch.float64 if dtype == np.float64 else torch.float32)
        np.testing.assert_array_equal(lin.weight.detach().numpy(), model.layers[i].weight.data)
        assert (lin.bias is None) == (not bias)
    X = inputs(5, sizes[0], dtype, seed)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(torch_out(module, X), model(X).data, rtol=tol, atol=tol)


def test_to_torch_copies_weights_and_mode():
    model = nn.MLP([2, 3, 1], activations=["tanh", "sigmoid"], seed=0).eval()
    module = model.to_torch()
    assert module.training is False
    with torch.no_grad():
        module[0].weight.add_(1.0)
    assert not np.allclose(module[0].weight.detach().numpy(), model.layers[0].weight.data)
    assert model.train().to_torch().training is True


def test_sequential_with_nested_blocks_slopes_axes_and_dropout():
    inner = nn.Sequential(nn.Linear(4, 5, seed=1), nn.LeakyReLU(0.2))
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.Tanh(), inner, nn.Dropout(0.3, seed=0),
                          nn.Linear(5, 2, bias=False, seed=2), nn.Softmax(axis=1)).eval()
    module = model.to_torch()
    assert [type(m).__name__ for m in module] == ["Linear", "Tanh", "Linear", "LeakyReLU", "Dropout", "Linear",
                                                  "Softmax"]
    assert module[3].negative_slope == 0.2 and module[4].p == 0.3 and module[6].dim == 1
    X = inputs(6, 3)
    np.testing.assert_allclose(torch_out(module.eval(), X), model(X).data, rtol=1e-12, atol=1e-14)


class Doubler(nn.Module):
    def forward(self, x):
        return x * 2


def test_to_torch_names_the_layer_it_cannot_convert():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), Doubler()))
    with pytest.raises(TypeError, match=r"to_torch: cannot convert layer '1\.1' \(Doubler\); supported layers "
                                        r"are Linear, ReLU, LeakyReLU, Tanh, Sigmoid, Softmax, Identity, Dropout"):
        model.to_torch()
    with pytest.raises(TypeError, match=r"to_torch: expected an nn\.MLP or an nn\.Sequential .*got Doubler"):
        Doubler().to_torch()


# -- from_torch ---------------------------------------------------------------------------------
@settings(max_examples=20)
@given(architectures)
def test_round_trip_through_torch_gives_the_same_mlp(arch):
    sizes, acts, bias, dtype, seed = arch
    model = nn.MLP(sizes, activations=acts, bias=bias, dtype=dtype, seed=seed)
    back = nn.MLP.from_torch(model.to_torch())
    assert back.layer_sizes == sizes and back.activation_names == acts and back.dtype == dtype
    for (k, a), (k2, b) in zip(model.state_dict().items(), back.state_dict().items()):
        assert k == k2
        np.testing.assert_array_equal(a, b)


def test_from_torch_reads_a_hand_built_sequential():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.LeakyReLU(0.1), torch.nn.Dropout(0.5),
                                 torch.nn.Linear(8, 4), torch.nn.Linear(4, 2), torch.nn.Softmax(dim=1)).double()
    model = nn.MLP.from_torch(module.eval())
    assert model.layer_sizes == [3, 8, 4, 2]
    assert model.activation_names == ["leaky_relu", "identity", "softmax"]
    assert model.activation_modules[0].negative_slope == 0.1 and model.training is False
    X = inputs(5, 3)
    np.testing.assert_allclose(model(X).data, torch_out(module, X), rtol=1e-12, atol=1e-14)
    assert nn.MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 1))).dtype == np.float32
    assert nn.MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 1)), dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("layers, error, message", [
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Conv1d(1, 1, 1)], TypeError,
     r"from_torch: cannot convert layer '1' \(Conv1d\(1, 1, kernel_size=\(1,\), stride=\(1,\)\)\); an MLP is "
     r"built from Linear layers each followed by at most one of ReLU, LeakyReLU, Tanh, Sigmoid, Softmax, "
     r"Identity \(Dropout is skipped\)"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.GELU())], TypeError,
     r"cannot convert layer '1\.1' \(GELU"),
    (lambda: [torch.nn.ReLU(), torch.nn.Linear(2, 3)], TypeError,
     r"cannot convert layer '0' \(ReLU\(\)\): an MLP has one activation after each Linear, and this one comes "
     r"before the first Linear"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Tanh()], TypeError,
     r"layer '2' \(Tanh\(\)\).*right after another activation"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)], ValueError,
     r"from_torch: Linear 1 takes 4 inputs but the layer before it gives 3"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Linear(3, 1, bias=False)], ValueError,
     r"some Linear layers have a bias and some do not"),
    (lambda: [torch.nn.Dropout(0.1)], ValueError, r"from_torch: the Sequential has no Linear layer"),
    (lambda: [torch.nn.Linear(2, 3), torch.nn.Softmax(dim=0)], ValueError,
     r"layer '1' is Softmax\(dim=0\); an MLP's softmax runs along the features"),
    (lambda: [torch.nn.Linear(2, 3).half()], TypeError,
     r"from_torch: weights are torch.float16; expected float32 or float64"),
])
def test_from_torch_errors_name_the_problem(layers, error, message):
    with pytest.raises(error, match=message):
        nn.MLP.from_torch(torch.nn.Sequential(*layers()))


def test_from_torch_rejects_what_is_not_a_sequential():
    with pytest.raises(TypeError, match=r"from_torch: expected a torch\.nn\.Sequential .*got Linear"):
        nn.MLP.from_torch(torch.nn.Linear(2, 3))


def test_a_subclass_of_a_torch_activation_is_not_taken_for_it():
    class Shifted(torch.nn.ReLU):
        def forward(self, x):
            return super().forward(x) + 1

    with pytest.raises(TypeError, match=r"cannot convert layer '1' \(Shifted"):
        nn.MLP.from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), Shifted()))


def test_missing_torch_or_onnx_says_what_to_install(monkeypatch, tmp_path):
    model = nn.MLP([2, 1], seed=0)
    monkeypatch.setitem(sys.modules, "torch", None)          # import torch -> ImportError
    with pytest.raises(ImportError, match=r"to_torch: needs the 'torch' package, which is not installed; "
                                          r"install it with: pip install torch"):
        model.to_torch()
    with pytest.raises(ImportError, match=r"from_torch: needs the 'torch' package"):
        nn.MLP.from_torch(object())
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"export_onnx: needs the 'onnx' package, which is not installed; "
                                          r"install it with: pip install 'mlpgrad\[onnx\]'"):
        model.export_onnx(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


# -- the two engines agree while training ------------------------------------------------------
def test_training_continued_in_torch_follows_mlpgrad_exactly():
    X, y = data.make_moons(200, noise=0.2, seed=0)
    model = nn.MLP([2, 16, 8, 1], activations=["relu", "tanh", "sigmoid"], seed=0)
    nn.fit(model, X, y, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.1), epochs=30, progress=False)
    module = model.to_torch()

    opt = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(module.parameters(), lr=0.1, momentum=0.9)
    loss_fn, tloss_fn = nn.BCELoss(), torch.nn.BCELoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    ours, theirs = [], []
    for _ in range(25):
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        opt.step()
        ours.append(loss.item())
        topt.zero_grad()
        tloss = tloss_fn(module(Xt), yt)
        tloss.backward()
        topt.step()
        theirs.append(tloss.item())
    assert ours[-1] < ours[0] - 1e-3                                   # it is really training
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-10)
    back = nn.MLP.from_torch(module)
    for (k, a), b in zip(model.state_dict().items(), back.state_dict().values()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-10, err_msg=k)


# -- ONNX ---------------------------------------------------------------------------------------
@settings(max_examples=15)
@given(architectures)
def test_onnx_export_runs_in_onnxruntime_like_the_model(tmp_path_factory, arch):
    sizes, acts, bias, dtype, seed = arch
    model = nn.MLP(sizes, activations=acts, bias=bias, dtype=dtype, seed=seed)
    path = model.export_onnx(tmp_path_factory.mktemp("onnx") / "model.onnx")
    tol = 1e-12 if dtype == np.float64 else 1e-5
    for n in (1, 7):                                                   # the batch dimension is dynamic
        X = inputs(n, sizes[0], dtype, seed)
        out = onnx_out(path, X)
        assert out.dtype == dtype and out.shape == (n, sizes[-1])
        np.testing.assert_allclose(out, model(X).data, rtol=tol, atol=tol)


def test_onnx_graph_has_named_io_dynamic_batch_and_opset(tmp_path):
    model = nn.MLP([3, 4, 2], activations=["leaky_relu", "softmax"], seed=0, dtype=np.float32)
    path = model.export_onnx(tmp_path / "m.onnx", input_name="features", output_name="probs", opset=18)
    proto = onnx.load(path)
    onnx.checker.check_model(proto, full_check=True)
    assert [o.version for o in proto.opset_import if o.domain == ""] == [18]
    (inp,), (out,) = proto.graph.input, proto.graph.output
    assert inp.name == "features" and out.name == "probs"
    for value, width in ((inp, 3), (out, 2)):
        dims = value.type.tensor_type.shape.dim
        assert dims[0].dim_param == "batch" and dims[1].dim_value == width
        assert value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "PRelu", "Gemm", "Softmax"]
    X = inputs(9, 3, np.float32)
    np.testing.assert_allclose(onnx_out(path, X, "features"), model(X).data, rtol=1e-5, atol=1e-6)


def test_onnx_default_opset_is_17_and_sequential_leaves_dropout_out(tmp_path):
    model = nn.Sequential(nn.Linear(2, 5, seed=0), nn.ReLU(), nn.Dropout(0.5, seed=0), nn.Linear(5, 1, seed=1),
                          nn.Identity())
    path = model.export_onnx(tmp_path / "seq.onnx")
    proto = onnx.load(path)
    assert [o.version for o in proto.opset_import] == [MIN_OPSET] and MIN_OPSET == 17
    assert [n.op_type for n in proto.graph.node] == ["Gemm", "Relu", "Gemm"]
    X = inputs(4, 2)
    np.testing.assert_allclose(onnx_out(path, X), model.eval()(X).data, rtol=1e-12, atol=1e-14)


def test_onnx_export_errors(tmp_path):
    model = nn.MLP([2, 1], seed=0)
    with pytest.raises(ValueError, match=r"export_onnx: opset=16; expected an integer >= 17"):
        model.export_onnx(tmp_path / "m.onnx", opset=16)
    with pytest.raises(ValueError, match=r"export_onnx: input_name and output_name must differ, both are 'x'"):
        model.export_onnx(tmp_path / "m.onnx", input_name="x", output_name="x")
    with pytest.raises(ValueError, match=r"export_onnx: the model has no Linear layer"):
        nn.Sequential(nn.ReLU()).export_onnx(tmp_path / "m.onnx")
    with pytest.raises(TypeError, match=r"export_onnx: cannot convert layer '1' \(Doubler\)"):
        nn.Sequential(nn.Linear(2, 2), Doubler()).export_onnx(tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []                             # nothing half-written


@pytest.mark.parametrize("dataset, layers, activations", [("moons", "2,8,1", "relu,sigmoid"),
                                                         ("sine", "1,8,1", "tanh,identity")])
def test_cli_train_exports_onnx_that_takes_raw_columns(tmp_path, dataset, layers, activations):
    """Training standardizes by default; the ONNX file has the scaling folded in, so it takes
    raw columns and (for regression) answers in the target's units, exactly like `predict`."""
    from nn.tasks import load_model
    onnx_path = tmp_path / "sub" / f"{dataset}.onnx"
    r = subprocess.run([sys.executable, "-m", "nn", "train", dataset, "--layers", layers, "--activations",
                        activations, "--epochs", "20", "--out", str(tmp_path / "run"), "--export-onnx",
                        str(onnx_path)], capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={**os.environ, "MPLBACKEND": "Agg"})
    assert r.returncode in (0, 1), r.stderr      # 1: trained, but 20 epochs may not beat chance
    assert str(onnx_path) in r.stdout
    model, prep = load_model(str(tmp_path / "run" / "model.npz"))
    assert prep.x_mean is not None
    X = inputs(10, int(layers[0])) * 3 + 1
    expected = prep.outputs(model(prep.inputs(X.copy())).data)
    np.testing.assert_allclose(onnx_out(str(onnx_path), X), expected, rtol=1e-10, atol=1e-12)


def test_cli_export_onnx_without_onnx_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "onnx.py").write_text("raise ImportError('No module named onnx')\n")
    r = subprocess.run([sys.executable, "-m", "nn", "train", "moons", "--epochs", "1", "--out",
                        str(tmp_path / "run"), "--export-onnx", str(tmp_path / "m.onnx")],
                       capture_output=True, text=True, cwd=ROOT, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(blocker), "MPLBACKEND": "Agg"})
    assert r.returncode == 2
    assert r.stderr.strip() == ("mlpgrad: error: --export-onnx: needs the 'onnx' package, which is not "
                                "installed; install it with: pip install 'mlpgrad[onnx]'")
    assert not (tmp_path / "run").exists()                            # refused before training
