"""Optimizers and learning-rate schedules: update rules, bookkeeping, and PyTorch parity."""
from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import optim


@pytest.fixture
def torch():
    torch = pytest.importorskip("torch", reason="trajectory and schedule cross-checks need torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # tiny tensors: extra threads only spin and slow a busy machine
    yield torch
    torch.set_num_threads(threads)


def _problem(seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(32, 3))
    y = np.sin(X @ np.array([[1.0], [-2.0], [0.5]])) + 0.1 * rng.normal(size=(32, 1))
    return X, y


def _model(seed: int = 0) -> nn.MLP:
    return nn.MLP([3, 8, 4, 1], activations=["tanh", "relu", "identity"], seed=seed)


def _backward(model, X, y):
    model.zero_grad()
    loss = nn.MSELoss()(model(X), y)
    loss.backward()
    return loss


def _train(model, opt, X, y, steps):
    for _ in range(steps):
        _backward(model, X, y)
        opt.step()


# -- update rules, by hand ------------------------------------------------------------------------
def test_sgd_step_is_weight_minus_lr_times_gradient():
    w = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    w.grad = np.array([0.5, 0.25, -1.0])
    optim.SGD([w], lr=0.1).step()
    np.testing.assert_array_equal(w.data, np.array([1.0, -2.0, 3.0]) - 0.1 * np.array([0.5, 0.25, -1.0]))


def test_sgd_momentum_accumulates_the_velocity():
    grads = np.random.default_rng(0).normal(size=(4, 2))
    w = Tensor(np.zeros(2), requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.5)
    expected, velocity = np.zeros(2), np.zeros(2)
    for g in grads:
        w.grad = g
        opt.step()
        velocity = 0.5 * velocity + g          # b ← μb + g (b = g on the first step)
        expected = expected - 0.1 * velocity
    np.testing.assert_allclose(w.data, expected, rtol=1e-15)


def test_adam_first_step_moves_each_weight_by_lr_against_the_gradient_sign():
    w = Tensor(np.array([1.0, 1.0]), requires_grad=True)
    w.grad = np.array([3.0, -0.002])
    optim.Adam([w], lr=0.01).step()
    np.testing.assert_allclose(w.data, [1.0 - 0.01, 1.0 + 0.01], rtol=1e-6)


def test_adamw_decays_weights_even_with_zero_gradient():
    w = Tensor(np.array([2.0]), requires_grad=True)
    w.grad = np.array([0.0])
    optim.AdamW([w], lr=0.1, weight_decay=0.5).step()
    np.testing.assert_allclose(w.data, [2.0 * (1 - 0.1 * 0.5)])


# -- bookkeeping ---------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.1),
                                  lambda p: optim.Adam(p, lr=0.1, weight_decay=0.1),
                                  lambda p: optim.AdamW(p, lr=0.1),
                                  lambda p: optim.RMSprop(p, lr=0.1, momentum=0.5, weight_decay=0.1)],
                         ids=["sgd", "adam", "adamw", "rmsprop"])
def test_step_records_no_graph_and_leaves_grad_untouched(make):
    X, y = _problem()
    model = _model()
    opt = make(model.parameters())
    _backward(model, X, y)
    grads = [p.grad for p in model.parameters()]
    copies = [g.copy() for g in grads]
    before = [p.data.copy() for p in model.parameters()]
    opt.step()
    opt.step()
    for p, g, c, b in zip(model.parameters(), grads, copies, before):
        assert p.is_leaf and p.op is None and p.requires_grad
        assert p.grad is g
        np.testing.assert_array_equal(p.grad, c)
        assert not np.array_equal(p.data, b)


def test_step_skips_parameters_without_a_gradient():
    a, b = Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2), requires_grad=True)
    a.grad = np.ones(2)
    optim.Adam([a, b], lr=0.1).step()
    assert not np.array_equal(a.data, np.ones(2))
    np.testing.assert_array_equal(b.data, np.ones(2))


def test_zero_grad_clears_every_gradient():
    model = _model()
    opt = optim.SGD(model, lr=0.1)       # a Module is accepted in place of its parameters
    _backward(model, *_problem())
    opt.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
                                  lambda p: optim.Adam(p, lr=0.01),
                                  lambda p: optim.RMSprop(p, lr=0.01, momentum=0.3)],
                         ids=["sgd", "adam", "rmsprop"])
def test_state_dict_round_trip_resumes_the_same_trajectory(make):
    X, y = _problem()
    straight = _model()
    opt = make(straight.parameters())
    _train(straight, opt, X, y, 5)
    weights, state = straight.state_dict(), opt.state_dict()
    _train(straight, opt, X, y, 5)

    resumed = _model(seed=99)
    resumed.load_state_dict(weights)
    opt2 = make(resumed.parameters())
    opt2.load_state_dict(state)
    _train(resumed, opt2, X, y, 5)
    for (name, p), q in zip(straight.named_parameters(), resumed.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_state_dict_is_a_snapshot_not_a_live_view():
    X, y = _problem()
    model = _model()
    opt = optim.Adam(model.parameters(), lr=0.01)
    _train(model, opt, X, y, 2)
    sd = opt.state_dict()
    m0 = sd["state"][0]["exp_avg"].copy()
    _train(model, opt, X, y, 2)
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], m0)
    assert sd["step_count"] == 2


def test_load_state_dict_refuses_a_state_for_other_parameters():
    opt = optim.SGD(_model().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="state has 2 entries but the optimizer has 6 parameters"):
        opt.load_state_dict(optim.SGD(nn.Linear(2, 1).parameters(), lr=0.1).state_dict())


@pytest.mark.parametrize("call, match", [
    (lambda: optim.SGD([], lr=0.1), "SGD: got an empty parameter list"),
    (lambda: optim.SGD(_model().parameters(), lr=0.0), "SGD: lr must be a positive number, got 0.0"),
    (lambda: optim.SGD(_model().parameters(), lr=float("nan")), "lr must be a positive number"),
    (lambda: optim.SGD(_model().parameters(), lr=0.1, momentum=-0.5), "SGD: momentum must be >= 0"),
    (lambda: optim.SGD(_model().parameters(), lr=0.1, nesterov=True), "nesterov needs momentum > 0"),
    (lambda: optim.Adam(_model().parameters(), betas=(0.9, 1.0)), r"Adam: betas must lie in \[0, 1\)"),
    (lambda: optim.RMSprop(_model().parameters(), weight_decay=-1.0), "RMSprop: weight_decay must be >= 0"),
], ids=["empty", "lr_zero", "lr_nan", "momentum", "nesterov", "betas", "weight_decay"])
def test_bad_hyperparameters_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_parameters_that_do_not_require_grad_are_refused():
    with pytest.raises(TypeError, match="SGD: parameter 0 is not a Tensor that requires grad"):
        optim.SGD([Tensor(np.ones(2))], lr=0.1)


# -- PyTorch parity --------------------------------------------------------------------------------
CONFIGS = [
    ("SGD", dict(lr=0.1), {}),
    ("SGD", dict(lr=0.05, momentum=0.9), {}),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True), {}),
    ("SGD", dict(lr=0.1, weight_decay=0.01), {}),
    ("SGD", dict(lr=0.05, momentum=0.8, dampening=0.2, weight_decay=0.01), {}),
    ("Adam", dict(lr=0.01), {}),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.01), {}),
    ("AdamW", dict(lr=0.01, weight_decay=0.1), {}),
    ("RMSprop", dict(lr=0.01), {}),
    ("RMSprop", dict(lr=0.005, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5), {}),
]


def _torch_net(torch, model):
    mods = []
    for layer, act in zip(model.layers, model.activation_names):
        lin = torch.nn.Linear(layer.in_features, layer.out_features, dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(layer.weight.data))
            lin.bias.copy_(torch.from_numpy(layer.bias.data))
        mods += [lin, {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU, "identity": torch.nn.Identity}[act]()]
    return torch.nn.Sequential(*mods)


@pytest.mark.parametrize("name, kwargs, _", CONFIGS,
                         ids=[f"{n}-{'-'.join(k for k in kw if k != 'lr') or 'plain'}" for n, kw, _ in CONFIGS])
def test_float64_trajectory_equals_torch_optim_over_150_steps(torch, name, kwargs, _):
    X, y = _problem()
    model = _model()
    net = _torch_net(torch, model)
    ours = getattr(optim, name)(model.parameters(), **kwargs)
    theirs = getattr(torch.optim, name)(net.parameters(), foreach=False, **kwargs)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for step in range(150):
        _backward(model, X, y)
        ours.step()
        theirs.zero_grad()
        torch.nn.functional.mse_loss(net(Xt), yt).backward()
        theirs.step()
    torch_params = [p.detach().numpy() for p in net.parameters()]
    moved = max(np.abs(p.data - q).max() for p, q in zip(model.parameters(), _model().state_dict().values()))
    assert moved > 1e-2   # the run actually trained
    for (pname, p), q in zip(model.named_parameters(), torch_params):
        np.testing.assert_allclose(p.data, q, rtol=1e-10, atol=1e-10, err_msg=pname)


# -- schedules ---------------------------------------------------------------------------------------
def _lrs(scheduler, epochs):
    return [scheduler.step() for _ in range(epochs)]


def test_inverse_time_decay_follows_lr0_over_one_plus_k_epoch():
    opt = optim.SGD(_model().parameters(), lr=0.5)
    got = _lrs(optim.InverseTimeDecay(opt, decay=0.1), 20)
    np.testing.assert_allclose(got, [0.5 / (1 + 0.1 * e) for e in range(1, 21)], rtol=1e-15)
    assert opt.lr == got[-1]


def test_step_lr_multiplies_by_gamma_every_step_size_epochs():
    opt = optim.SGD(_model().parameters(), lr=0.8)
    got = _lrs(optim.StepLR(opt, step_size=3, gamma=0.5), 10)
    np.testing.assert_allclose(got, [0.8 * 0.5 ** (e // 3) for e in range(1, 11)], rtol=1e-15)


def test_exponential_lr_multiplies_by_gamma_every_epoch():
    opt = optim.SGD(_model().parameters(), lr=0.3)
    got = _lrs(optim.ExponentialLR(opt, gamma=0.9), 10)
    np.testing.assert_allclose(got, [0.3 * 0.9 ** e for e in range(1, 11)], rtol=1e-14)


def test_schedules_equal_torch_step_lr_exponential_lr_and_lambda_lr(torch):
    ours_opt = optim.SGD(_model().parameters(), lr=0.2)
    ours = [optim.StepLR(ours_opt, step_size=4, gamma=0.3)]
    ours += [optim.ExponentialLR(optim.SGD(_model().parameters(), lr=0.2), gamma=0.95)]
    ours += [optim.InverseTimeDecay(optim.SGD(_model().parameters(), lr=0.2), decay=0.05)]

    def torch_opt():
        return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.2)

    theirs = [torch.optim.lr_scheduler.StepLR(torch_opt(), step_size=4, gamma=0.3),
              torch.optim.lr_scheduler.ExponentialLR(torch_opt(), gamma=0.95),
              torch.optim.lr_scheduler.LambdaLR(torch_opt(), lambda e: 1 / (1 + 0.05 * e))]
    for s_ours, s_theirs in zip(ours, theirs):
        got, want = [], []
        for _ in range(30):
            s_theirs.optimizer.step()
            s_theirs.step()
            got.append(s_ours.step())
            want.append(s_theirs.get_last_lr()[0])
        np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("call, match", [
    (lambda o: optim.InverseTimeDecay(o, decay=-1), "InverseTimeDecay: decay must be >= 0"),
    (lambda o: optim.StepLR(o, step_size=0), "StepLR: step_size must be >= 1"),
    (lambda o: optim.ExponentialLR(o, gamma=0), "ExponentialLR: gamma must be > 0"),
], ids=["inverse_time", "step", "exponential"])
def test_bad_schedule_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call(optim.SGD(_model().parameters(), lr=0.1))


@pytest.mark.parametrize("make", [lambda p: optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
                                  lambda p: optim.Adam(p, lr=0.01, weight_decay=0.01),
                                  lambda p: optim.AdamW(p, lr=0.01),
                                  lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5)],
                         ids=["sgd", "adam", "adamw", "rmsprop"])
def test_float32_parameters_and_optimizer_state_stay_float32(make):
    X, y = _problem()
    model = _model().to(np.float32)
    opt = make(model.parameters())
    _train(model, opt, X, y, 3)
    assert all(p.dtype == np.float32 for p in model.parameters())
    assert all(v.dtype == np.float32 for s in opt.state for v in s.values() if isinstance(v, np.ndarray))
