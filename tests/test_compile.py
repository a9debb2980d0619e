"""autograd.compile / nn.compile_step: generated NumPy code gives the eager engine's numbers."""
import copy
import os
import subprocess
import sys

import numpy as np
import pytest

import autograd
import nn
from autograd import Tensor
from autograd.tracer import TraceError
from nn.compare import _autograd_pass
from nn.manual import ManualMLP

RNG = np.random.default_rng(0)

# (name, layer sizes, activations, loss, targets for n rows): the example networks and every loss
NETWORKS = {
    "moons_bce": ([2, 16, 8, 1], ["relu", "relu", "sigmoid"], nn.BCELoss,
                  lambda r, n: (r.random((n, 1)) > 0.5).astype(float)),
    "xor_logits": ([2, 4, 1], ["tanh", "identity"], nn.BCEWithLogitsLoss,
                   lambda r, n: (r.random((n, 1)) > 0.5).astype(float)),
    "sine_mse": ([1, 50, 50, 1], ["tanh", "tanh", "identity"], nn.MSELoss, lambda r, n: r.normal(size=(n, 1))),
    "surface_l1": ([2, 32, 1], ["leaky_relu", "identity"], nn.L1Loss, lambda r, n: r.normal(size=(n, 1))),
    "classes_ce": ([2, 8, 3], ["relu", "identity"], nn.CrossEntropyLoss, lambda r, n: r.integers(0, 3, n)),
}
OPTIMIZERS = {
    "sgd": lambda ps: nn.optim.SGD(ps, lr=0.1),
    "momentum": lambda ps: nn.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "adam": lambda ps: nn.optim.Adam(ps, lr=0.01),
    "adamw": lambda ps: nn.optim.AdamW(ps, lr=0.01),
    "rmsprop": lambda ps: nn.optim.RMSprop(ps, lr=0.01, momentum=0.5),
}


def _setup(net: str, dtype, seed: int = 3, n: int = 24):
    sizes, acts, loss_cls, targets = NETWORKS[net]
    model = nn.MLP(sizes, activations=acts, seed=seed).to(dtype)
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, sizes[0])).astype(dtype)
    y = targets(r, n)
    return model, loss_cls(), x, (y.astype(dtype) if y.dtype.kind == "f" else y)


def _eager_step(model, loss_fn, opt, x, y):
    opt.zero_grad()
    loss = loss_fn(model(Tensor(x)), y)
    loss.backward()
    opt.step()
    return float(loss.item())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("opt", sorted(OPTIMIZERS))
@pytest.mark.parametrize("net", sorted(NETWORKS))
def test_compiled_step_is_bit_identical_to_the_eager_loop(net, opt, dtype):
    model, loss_fn, x, y = _setup(net, dtype)
    twin = copy.deepcopy(model)
    step = nn.compile_step(model, loss_fn, OPTIMIZERS[opt](model.parameters()))
    eager_opt = OPTIMIZERS[opt](twin.parameters())
    for _ in range(3):
        compiled_loss = step(x, y)
        eager_loss = _eager_step(twin, loss_fn, eager_opt, x, y)
        assert float(compiled_loss.item()) == eager_loss
        assert compiled_loss.dtype == dtype
        for (name, p), q in zip(model.named_parameters(), twin.parameters()):
            assert p.data.dtype == dtype
            np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_compiled_and_eager_steps_can_alternate_and_schedulers_change_lr():
    model, loss_fn, x, y = _setup("moons_bce", np.float64)
    twin = copy.deepcopy(model)
    opt, eager_opt = nn.optim.Adam(model.parameters(), lr=0.02), nn.optim.Adam(twin.parameters(), lr=0.02)
    step = nn.compile_step(model, loss_fn, opt)
    for i in range(4):
        if i == 2:
            opt.lr = eager_opt.lr = 0.005      # what a scheduler does between epochs
        if i == 1:
            _eager_step(model, loss_fn, opt, x, y)   # an eager step in between
        else:
            step(x, y)
        _eager_step(twin, loss_fn, eager_opt, x, y)
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.data, q.data)
    assert opt.step_count == eager_opt.step_count == 4


@pytest.mark.parametrize("net", ["moons_bce", "sine_mse", "classes_ce"])
def test_compiled_gradients_and_hidden_deltas_match_compare_gradients(net):
    model, loss_fn, x, y = _setup(net, np.float64)
    name = {"moons_bce": "bce", "sine_mse": "mse", "classes_ce": "cross_entropy"}[net]
    from nn.compare import autograd_loss

    def grads(xt):
        a, zs = xt, []
        for layer, act in zip(model.layers, model.activation_modules):
            zs.append(layer(a))
            a = act(zs[-1])
        loss = autograd_loss(name, model)(a, y)
        loss.backward()
        return loss, [p.grad for p in model.parameters()], [z.grad for z in zs]

    loss, pgrads, dz = autograd.compile(grads, params=model)(Tensor(x))
    ref_loss, ref_grads, ref_dz = _autograd_pass(model, x, y, name)
    assert float(loss.item()) == ref_loss
    for g, ref in zip(pgrads, ref_grads.values()):
        np.testing.assert_array_equal(g, ref)
    for d, ref in zip(dz, ref_dz):
        np.testing.assert_array_equal(d, ref)
    manual = ManualMLP.from_module(model, name).backward(x, y)   # the hand-derived δ of every layer
    for d, delta in zip(dz, manual.deltas):
        np.testing.assert_allclose(d * x.shape[0], delta, rtol=1e-12, atol=1e-15)


def test_source_reads_forward_backward_update_named_after_parameters():
    model, loss_fn, x, y = _setup("moons_bce", np.float64)
    step = nn.compile_step(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.1)).trace(x, y)
    src = step.source
    fwd, bwd, upd = (src.index(f"# -- {s} --") for s in ("forward", "backward", "update"))
    assert fwd < bwd < upd
    assert "def train_step(x, y, layers_0_weight, layers_0_bias" in src
    assert "linear1 = np.dot(x, " in src
    assert "# linear′: dx = G W, dW = Gᵀ x, db = Σ_rows G" in src     # the op's own derivative rule
    assert "d_layers_0_weight = np.dot(" in src
    assert "layers_0_weight -= " in src
    assert "Tensor" not in src and "autograd" not in src.split('"""', 2)[2]
    # trace-time data checks (finite targets, predictions in [0, 1]) are not in the code
    assert "isfinite" not in src and ".min()" not in src


def test_generated_source_matches_the_code_that_runs():
    model, loss_fn, x, y = _setup("sine_mse", np.float64)
    twin = copy.deepcopy(model)
    step = nn.compile_step(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.1))
    step(x, y)
    ns: dict = {}
    exec(step.source, ns)      # the readable source (no buffers) gives the same update
    args = [x, y] + [p.data for p in twin.parameters()] + [0.1]
    ns["train_step"](*args)
    for p, q in zip(model.parameters(), twin.parameters()):
        np.testing.assert_array_equal(p.data, q.data)


def test_new_shape_or_dtype_traces_again():
    calls = []

    def f(x):
        calls.append(1)
        return np.tanh(x) * 2.0

    g = autograd.compile(f)
    a = RNG.normal(size=(3, 2))
    np.testing.assert_array_equal(g(a), np.tanh(a) * 2.0)
    g(RNG.normal(size=(3, 2)))
    assert len(calls) == 1
    b = RNG.normal(size=(5,)).astype(np.float32)
    out = g(b)
    assert len(calls) == 2 and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.tanh(b) * 2.0)


def test_compile_of_a_tensor_function_returns_tensors_and_grads():
    w = Tensor(RNG.normal(size=(3,)), requires_grad=True)

    def f(x):
        loss = (np.exp(x * w) + np.sin(w)).sum()
        loss.backward()
        return loss

    g = autograd.compile(f, params={"w": w})
    x = RNG.normal(size=(3,))
    loss = g(Tensor(x))
    assert isinstance(loss, Tensor)
    expected = np.exp(x * w.data) * x + np.cos(w.data)
    np.testing.assert_allclose(w.grad, expected, rtol=1e-14)
    assert "def step(x, w):" in g.source


def test_errors():
    g = autograd.compile(lambda x: x)
    with pytest.raises(RuntimeError, match="compile: step has not been traced yet"):
        g.source
    w = Tensor([1.0, 2.0], requires_grad=True)

    def second_order(x):
        (w * w * x).sum().backward(create_graph=True)
        return w.grad

    with pytest.raises(TraceError, match=r"backward\(create_graph=True\) cannot be traced"):
        autograd.compile(second_order, params=[w])(Tensor([1.0, 1.0]))
    model = nn.MLP([2, 2], activations=["identity"], seed=0)
    with pytest.raises(ValueError, match="SGD with dampening cannot be compiled"):
        nn.compile_step(model, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, dampening=0.1))
    dropped = nn.Sequential(nn.Linear(2, 2, seed=0), nn.Dropout(0.5, seed=0))
    with pytest.raises(ValueError, match=r"compile_step: 1 is Dropout\(p=0.5\) in training mode"):
        nn.compile_step(dropped, nn.MSELoss(), nn.optim.SGD(dropped.parameters(), lr=0.1))
    other = nn.MLP([2, 2], activations=["identity"], seed=0)
    with pytest.raises(ValueError, match=r"optimizer parameter\(s\) \[0, 1\] are not parameters of the model"):
        nn.compile_step(model, nn.MSELoss(), nn.optim.SGD(other.parameters(), lr=0.1))


def test_written_module_runs_with_numpy_only(tmp_path):
    model, loss_fn, x, y = _setup("moons_bce", np.float64)
    step = nn.compile_step(model, loss_fn, nn.optim.SGD(model.parameters(), lr=0.5)).trace(x, y)
    path = tmp_path / "step.py"
    path.write_text(step.source)
    params = [p.data for p in model.parameters()]
    np.savez(tmp_path / "data.npz", x=x, y=y, *params)
    script = (
        "import sys; sys.modules['autograd'] = None; sys.modules['nn'] = None\n"   # importing them fails
        "import numpy as np, importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('step', {str(path)!r}); m = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(m)\n"
        f"d = np.load({str(tmp_path / 'data.npz')!r}); ps = [d[f'arr_{{i}}'] for i in range(6)]\n"
        "losses = [float(m.train_step(d['x'], d['y'], *ps, 0.5)[0]) for _ in range(30)]\n"
        "print(losses[0], losses[-1])\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                         env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert out.returncode == 0, out.stderr
    first, last = map(float, out.stdout.split())
    assert last < first   # it trains


def test_cli_compile_writes_a_numpy_only_module_that_trains(tmp_path, capsys):
    from nn.cli import main
    out = tmp_path / "step.py"
    assert main(["compile", "--dataset", "moons", "--samples", "100", "--optimizer", "adam", "--lr", "0.01",
                 "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    script = ("import sys; sys.modules['autograd'] = None; sys.modules['nn'] = None\n"
              f"sys.argv = [{str(out)!r}]; exec(compile(open({str(out)!r}).read(), 'step.py', 'exec'), "
              "{'__name__': '__main__', '__file__': " + repr(str(out)) + "})\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    losses = [float(line.split()[-1]) for line in run.stdout.splitlines()]
    assert len(losses) == 5 and losses[-1] < 0.8 * losses[0]


def test_cli_compile_refuses_an_output_that_is_not_python(tmp_path, capsys):
    from nn.cli import main
    assert main(["compile", "--out", str(tmp_path / "step.txt")]) == 2
    assert "mlpgrad: error: --out" in capsys.readouterr().err


def test_results_of_one_call_survive_the_next_call():
    # preallocated buffers hold only values that never leave the call
    g = autograd.compile(lambda x: (np.exp(x) * 2.0, np.exp(x) + 1.0))
    a1, b1 = g(np.ones((4, 3)))
    keep = a1.copy(), b1.copy()
    g(np.zeros((4, 3)))
    np.testing.assert_array_equal(a1, keep[0])
    np.testing.assert_array_equal(b1, keep[1])
    assert "out=_buf" in g._last.program.source(fast=True)   # the intermediate exp(x) is buffered


def test_unused_values_are_not_in_the_code():
    def f(x):
        unused = np.sin(x) * 3.0   # noqa: F841  (computed, never used)
        return np.cos(x)
    g = autograd.compile(f)
    g(np.ones(3))
    assert "np.cos(x)" in g.source and "np.sin" not in g.source


@pytest.mark.parametrize("key", ["W1", "W7"])
def test_benchmark_compiled_runner_equals_eager_runner(key):
    from benchmarks import workloads as W
    eager, compiled = W.make_runner("mlpgrad", W.WORKLOADS[key]), W.make_runner("compiled", W.WORKLOADS[key])
    for _ in range(3):
        eager.step()
        compiled.step()
    for a, b in zip(eager.state(), compiled.state()):
        np.testing.assert_array_equal(a, b)
    assert compiled.extra["compile_s"] > 0


def test_what_cannot_be_written_as_numpy_is_refused_by_name():
    with pytest.raises(AttributeError, match=r"compile: traced arrays do not support \.cumprod"):
        autograd.compile(lambda x: x.cumprod())(np.ones(3))
    with pytest.raises(TraceError, match=r"compile: np.add\(\.\.\., out=\) into an array that is not traced"):
        autograd.compile(lambda x: np.add(x, 1.0, out=np.empty(3)))(np.ones(3))
    with pytest.raises(TraceError, match=r"compile: cannot write a value of type complex \(1j\)"):
        autograd.compile(lambda x: x * 1j)(np.ones(3))


def test_buffers_are_reused_once_a_value_is_dead():
    def f(x):
        for _ in range(6):
            x = np.tanh(x) * 0.5
        return x
    g = autograd.compile(f)
    x = RNG.normal(size=(8, 4))
    expected = x
    for _ in range(6):
        expected = np.tanh(expected) * 0.5
    np.testing.assert_array_equal(g(x), expected)
    fast = g._last.program.source(fast=True)
    assert fast.count("out=_buf") == 11            # every intermediate, not the returned value
    assert fast.count("np.empty((8, 4)") == 1      # each call writes over the operand that dies there


def test_a_matrix_product_is_never_written_over_its_own_operand():
    def f(x, w):
        h = np.tanh(x)
        return np.exp(np.dot(h, w)) * 2.0       # np.dot's out= must not be h's buffer
    g = autograd.compile(f)
    x, w = RNG.normal(size=(4, 4)), RNG.normal(size=(4, 4))
    np.testing.assert_array_equal(g(x, w), np.exp(np.dot(np.tanh(x), w)) * 2.0)
    fast = g._last.program.source(fast=True)
    assert "np.dot(t1, w, out=_buf1)" in fast and "np.exp(t2, out=_buf1)" in fast, fast


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_long_chain_runs_as_loops_with_the_eager_numbers(dtype, monkeypatch):
    import autograd.loops
    monkeypatch.setattr(autograd.loops, "ROLL_MIN_LINES", 50)   # roll this short chain as the 100k-op one is rolled
    x0 = RNG.uniform(-1, 1, 8).astype(dtype)
    w = Tensor(np.full(8, 0.5, dtype), requires_grad=True)

    def chain(x):
        y = x
        for _ in range(40):
            y = (y * w).tanh() * 1.5
        y.sum().backward()
        return x.grad, y

    g = autograd.compile(chain, params={"w": w})
    fast = g.trace(Tensor(x0, requires_grad=True))._last.program.source(fast=True)
    assert fast.count("for _k") == 2 and "_s0[" in fast           # forward and backward loops
    results = [g(Tensor(x0, requires_grad=True)) for _ in range(2)]
    keep = [(a.copy(), b.data.copy(), w.grad.copy()) for a, b in results]
    x = Tensor(x0, requires_grad=True)
    w.grad = None
    eager_grad, eager_y = chain(x)
    for (grad, y, wgrad), (a, b) in zip(keep, results):   # the first results survive the second call
        np.testing.assert_array_equal(grad, eager_grad)
        np.testing.assert_array_equal(y, eager_y.data)
        np.testing.assert_array_equal(wgrad, w.grad)
        np.testing.assert_array_equal(a, grad)
        assert grad.dtype == dtype
    ns: dict = {}
    exec(g.source, ns)           # the readable form stays straight-line code with the same numbers
    assert "for _k" not in g.source
    np.testing.assert_array_equal(ns["step"](x0, w.data)[0], eager_grad)


def test_every_iteration_of_a_loop_can_be_returned_and_survives_the_next_call(monkeypatch):
    import autograd.loops
    monkeypatch.setattr(autograd.loops, "ROLL_MIN_LINES", 20)

    def f(x):
        out = [x]
        for _ in range(30):
            out.append(np.tanh(out[-1]) * 2.0)
        return out[1:]
    g = autograd.compile(f)
    x = RNG.normal(size=(3,))
    got = g(x)
    assert "for _k" in g._last.program.source(fast=True)
    g(x + 1.0)
    expected = x
    for a in got:
        expected = np.tanh(expected) * 2.0
        np.testing.assert_array_equal(a, expected)


def test_the_w6_chain_runs_as_loops_not_as_20k_lines_and_equals_eager():
    # What made the 100k-op compile take a minute was exec'ing one straight function of
    # ~350k lines; rolled into loops, the code that runs stays a few dozen lines long.
    from benchmarks import workloads as W
    wl = W.WORKLOADS["W6"].scaled(20_000)
    x0, c = wl.x0(), wl.c

    def chain(x):
        y = x
        for _ in range(wl.n_ops // 2):
            y = y.tanh()
            y = y * c
        y.sum().backward()
        return x.grad
    compiled = autograd.compile(chain)
    got = compiled(Tensor(x0, requires_grad=True))
    fast = compiled._last.program.source(fast=True)
    assert "for _k" in fast and len(fast.splitlines()) < 100
    eager = W.make_runner("mlpgrad", wl)
    eager.step()
    np.testing.assert_array_equal(got, eager.state()[0])


def test_a_value_carried_through_a_loop_stays_in_one_buffer_and_is_returned_as_a_copy(monkeypatch):
    import autograd.loops
    monkeypatch.setattr(autograd.loops, "ROLL_MIN_LINES", 20)

    def f(x, view):
        for _ in range(30):
            x = np.tanh(x) * 2.0
        return x.reshape(2, 2) if view else x
    for view in (False, True):
        g = autograd.compile(lambda x: f(x, view))
        got = g(np.full(4, 0.1))
        keep = got.copy()
        fast = g._last.program.source(fast=True)
        loop_body = fast.split("for _k0")[1].split("\n")[1:3]
        # carried x: one buffer; but a returned view of it must not be a view of a buffer
        assert all("out=" in line for line in loop_body) != view, fast
        g(np.full(4, 0.3))
        np.testing.assert_array_equal(got, keep)
        np.testing.assert_array_equal(got.reshape(-1), f(np.full(4, 0.1), False))


def test_the_fast_form_makes_a_repeated_call_once_and_keeps_the_numbers():
    w = Tensor(RNG.normal(size=(3, 2)), requires_grad=True)

    def step(x):
        loss = (x @ w).sum() + (w * 3.0).sum() + (w * 3.0).sum()    # the same product twice
        loss.backward()
        return loss, w.grad
    g = autograd.compile(step, params={"w": w})
    x = RNG.normal(size=(4, 3))
    loss, grad = g(Tensor(x))
    w2 = Tensor(w.data.copy(), requires_grad=True)
    eager = (Tensor(x) @ w2).sum() + (w2 * 3.0).sum() + (w2 * 3.0).sum()
    eager.backward()
    np.testing.assert_array_equal(grad, w2.grad)
    np.testing.assert_array_equal(loss.data, eager.data)
    slow, fast = g.source, g._last.program.source(fast=True)
    body = [[line for line in src.split("def step")[1].splitlines() if "mul_scalar" in line.split("=")[0]]
            for src in (slow, fast)]
    assert len(body[0]) == 2 and len(body[1]) == 1, (slow, fast)     # w·3 is computed once
