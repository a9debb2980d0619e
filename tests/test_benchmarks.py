"""The benchmark harness: its NumPy baseline computes what mlpgrad computes, and run.py reports.

No timing thresholds here: speed is measured by `make bench`, not asserted by tests.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from benchmarks import manual_numpy, workloads as W  # noqa: E402

MLP_KEYS = [k for k, wl in W.WORKLOADS.items() if wl.kind == "mlp"]
RTOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-4}


def _mlpgrad_grads_and_loss(wl):
    import nn
    from autograd import Tensor
    runner = W.make_runner("mlpgrad", wl)
    model = runner.extra["model"]
    X, y = wl.data()
    loss_fn = W._mlpgrad_loss(wl, model)
    loss = loss_fn(model(Tensor(X)), y if wl.loss == "ce" else Tensor(y))
    loss.backward()
    grads = []
    for layer in model.layers:
        grads += [layer.weight.grad, layer.bias.grad]
    return grads, float(loss.item())


def _states_after_steps(wl, *systems, steps=3):
    """The compared arrays of each system after `steps` steps from the same start."""
    runners = [W.make_runner(s, wl) for s in systems]
    for _ in range(steps):
        for r in runners:
            r.step()
    return [r.state() for r in runners]


def _assert_close(got, want, dtype, what):
    rtol = RTOL[np.dtype(dtype)]
    for i, (g, w) in enumerate(zip(got, want)):
        assert g.shape == w.shape, f"{what}[{i}]: shape {g.shape} vs {w.shape}"
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol * 1e-3 * max(1.0, float(np.abs(w).max())),
                                   err_msg=f"{what}[{i}]")


@pytest.mark.parametrize("key", MLP_KEYS)
def test_manual_gradients_equal_mlpgrad_gradients(key):
    wl = W.WORKLOADS[key]
    X, y = wl.data()
    net = manual_numpy.ManualMLP(wl.weights(), wl.activations, wl.loss, wl.lr, X, y, l2=wl.l2)
    want, _ = _mlpgrad_grads_and_loss(wl)
    _assert_close(net.gradients(), want, wl.dtype, f"{key} gradients")


@pytest.mark.parametrize("key", MLP_KEYS)
def test_manual_loss_equals_mlpgrad_loss(key):
    wl = W.WORKLOADS[key]
    X, y = wl.data()
    net = manual_numpy.ManualMLP(wl.weights(), wl.activations, wl.loss, wl.lr, X, y, l2=wl.l2)
    _, want = _mlpgrad_grads_and_loss(wl)
    assert float(net.step()) == pytest.approx(want, rel=RTOL[np.dtype(wl.dtype)])


@pytest.mark.parametrize("key", MLP_KEYS)
def test_manual_step_is_gradients_then_update(key):
    wl = W.WORKLOADS[key]
    X, y = wl.data()
    net = manual_numpy.ManualMLP(wl.weights(), wl.activations, wl.loss, wl.lr, X, y, l2=wl.l2)
    before = [p.copy() for p in net.parameters()]
    grads = net.gradients()
    net.step()
    _assert_close(net.parameters(), [p - wl.lr * g for p, g in zip(before, grads)], wl.dtype, f"{key} step")


@pytest.mark.parametrize("key", MLP_KEYS)
def test_three_steps_agree_with_mlpgrad(key):
    wl = W.WORKLOADS[key]
    want, got = _states_after_steps(wl, "numpy", "mlpgrad")
    _assert_close(got, want, wl.dtype, f"{key} weights after 3 steps")


def test_chain_gradient_equals_mlpgrad():
    wl = W.WORKLOADS["W6"].scaled(400)
    a, b = W.make_runner("numpy", wl), W.make_runner("mlpgrad", wl)
    a.step()
    b.step()
    _assert_close(b.state(), a.state(), wl.dtype, "W6 input gradient")


def test_chain_gradient_matches_closed_form_for_two_ops():
    x0 = np.array([-0.7, 0.1, 0.9])
    g = manual_numpy.ManualChain(x0, 2, 1.5).step()
    np.testing.assert_allclose(g, 1.5 * (1 - np.tanh(x0) ** 2), rtol=1e-15)


def test_workload_data_and_weights_are_deterministic():
    for wl in W.WORKLOADS.values():
        if wl.kind != "mlp":
            np.testing.assert_array_equal(wl.x0(), wl.x0())
            continue
        (X1, y1), (X2, y2) = wl.data(), wl.data()
        np.testing.assert_array_equal(X1, X2)
        np.testing.assert_array_equal(y1, y2)
        for (Wa, ba), (Wb, bb) in zip(wl.weights(), wl.weights()):
            np.testing.assert_array_equal(Wa, Wb)
            np.testing.assert_array_equal(ba, bb)
            assert Wa.dtype == np.dtype(wl.dtype) and ba.dtype == np.dtype(wl.dtype)


def test_manual_baseline_keeps_float32():
    wl = W.WORKLOADS["W4"]
    X, y = wl.data()
    net = manual_numpy.ManualMLP(wl.weights(), wl.activations, wl.loss, wl.lr, X, y, l2=wl.l2)
    net.step()
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert all(g.dtype == np.float32 for g in net.gradients())


def test_torch_runner_agrees_with_numpy_baseline():
    pytest.importorskip("torch")
    wl = W.WORKLOADS["W1"]
    want, got = _states_after_steps(wl, "numpy", "torch1")
    _assert_close(got, want, wl.dtype, "torch W1 weights")


@pytest.mark.parametrize("key", ["W1", "W4"])
def test_lean_runner_trains_exactly_like_the_default_runner(key):
    """retain_grads=False changes what is kept, never the parameter gradients."""
    default, lean = _states_after_steps(W.WORKLOADS[key], "mlpgrad", "mlpgrad-lean")
    for x, y in zip(default, lean):
        np.testing.assert_array_equal(x, y)


def test_quick_run_prints_table_and_passes_check(tmp_path):
    out = tmp_path / "bench.json"
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--workloads", "W1,W6",
         "--w6-ops", "2000", "--repeat", "2", "--json", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout
    assert "## Median time per training step" in text
    assert "| mlpgrad / numpy |" in text
    for key in ("W1", "W6"):
        assert f"| {key} |" in text
    assert "CHECK FAILED" not in proc.stderr
    assert "mlpgrad ok" in text
    assert "## Fresh process, one system alone" in text
    data = json.loads(out.read_text())
    assert [r["workload"] for r in data["results"]] == ["W1", "W6"]
    for r in data["results"]:
        assert r["check"]["systems"]["mlpgrad"]["ok"] is True
        assert r["timing"]["mlpgrad"]["median_s"] > 0 and r["timing"]["numpy"]["median_s"] > 0
        assert r["growth"]["mlpgrad"]["steps"] >= 1
        alone = r["standalone"]
        assert alone["numpy"]["wall_s"] > 0 and alone["mlpgrad"]["wall_s"] > 0 and alone["mlpgrad"]["steps"] >= 2
    assert data["machine"]["env_threads"]["OPENBLAS_NUM_THREADS"] == "1"


def test_unknown_workload_is_refused():
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--workloads", "W9"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 2
    assert "unknown workload" in proc.stderr


@pytest.mark.parametrize("what", ["step", "chain", "chain-forward"])
def test_the_instruction_counter_runs_each_step_it_counts(what):
    from benchmarks import instructions
    code = instructions.child_code(what, "W4")
    proc = subprocess.run([sys.executable, "-c", code, "2"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_numpy_only_replay_is_the_eager_step_without_the_graph():
    from benchmarks import eager_floor
    wl = W.WORKLOADS["W7"]
    replay, eager = eager_floor.replay_runner(wl), W.make_runner("mlpgrad", wl)
    for _ in range(3):
        replay.step()
        eager.step()
    for a, b in zip(replay.state(), eager.state()):
        np.testing.assert_array_equal(a, b)   # the same NumPy calls in the same order


def test_eager_floor_prints_the_three_systems(capsys):
    from benchmarks import eager_floor
    assert eager_floor.main(["--workload", "W5", "--blocks", "1", "--per-block", "2"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in ("numpy manual", "NumPy-only replay", "eager mlpgrad")), out
