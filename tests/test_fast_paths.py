"""Behaviours introduced or changed by the performance work, one specification per test.

Python numbers as op parameters, cached constants, backward(retain_grads=False), the
heap-ordered backward sweep, the elementwise fast path, the fused linear op's checks,
post-hoc loss validation, the plain SGD step and the glibc allocator tuning.
"""
from __future__ import annotations

import math
import os
import platform
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import autograd as ag
import nn
from autograd import Tensor
from autograd.ops import constant
from nn import functional as F
from strategies import OP_TABLE, arrays, floats, nonzero, shapes

ROOT = Path(__file__).resolve().parents[1]
SEEDS = st.integers(0, 2**32 - 1)
FEW = max(5, settings.default.max_examples // 5)
DTYPES = pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
REDUCTIONS = pytest.mark.parametrize("reduction", ["mean", "sum", "none"])


# -- 1. Python numbers are parameters of *_scalar ops ------------------------------------------
# (id, the expression for a tensor or array t and a number c, the scalar op, its binary op)
SCALAR_OPS = [
    ("t + c", lambda t, c: t + c, "add_scalar", "add"),
    ("c + t", lambda t, c: c + t, "add_scalar", "add"),
    ("t - c", lambda t, c: t - c, "sub_scalar", "sub"),
    ("c - t", lambda t, c: c - t, "rsub_scalar", "sub"),
    ("t * c", lambda t, c: t * c, "mul_scalar", "mul"),
    ("c * t", lambda t, c: c * t, "mul_scalar", "mul"),
    ("t / c", lambda t, c: t / c, "div_scalar", "div"),
    ("c / t", lambda t, c: c / t, "rdiv_scalar", "div"),
]
OPS = pytest.mark.parametrize("expr, fn, scalar_op, binary_op", SCALAR_OPS, ids=[s[0] for s in SCALAR_OPS])


@OPS
@pytest.mark.parametrize("c", [2.5, 2, -4], ids=["float", "int", "negative int"])
def test_python_number_makes_a_one_input_scalar_op_with_c_as_its_param(expr, fn, scalar_op, binary_op, c):
    t = Tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
    op = fn(t, c).op
    assert op.name == scalar_op
    assert len(op.inputs) == 1 and op.inputs[0] is t
    assert op.params() == {"c": c}


@OPS
@DTYPES
@settings(deadline=None, max_examples=FEW)
@given(a=arrays(shapes(), nonzero(0.5, 3.0)),
       c=nonzero(1e-3, 1e3) | st.integers(1, 10**6) | st.integers(-10**6, -1))
def test_scalar_op_values_equal_numpys_exactly_and_keep_the_dtype(expr, fn, scalar_op, binary_op, dtype, a, c):
    a = a.astype(dtype)
    out = fn(Tensor(a, requires_grad=True), c)
    expected = fn(a, c)
    assert out.dtype == expected.dtype == dtype
    np.testing.assert_array_equal(out.data, expected)


@OPS
@pytest.mark.parametrize("operand", [np.float64(2.5), np.float32(2.5), True, np.array(2.5), np.array([2.5, 1.5, 4.0])],
                         ids=["np.float64", "np.float32", "bool", "0-d array", "array"])
def test_numpy_scalars_bools_and_arrays_still_use_the_binary_op(expr, fn, scalar_op, binary_op, operand):
    t = Tensor(np.array([0.5, -1.5, 2.0]), requires_grad=True)
    out = fn(t, operand)
    assert out.op.name == binary_op
    assert len(out.op.inputs) == 2 and any(x is t for x in out.op.inputs)
    np.testing.assert_array_equal(out.data, fn(t.data, operand))


@OPS
def test_integer_tensor_with_a_python_float_follows_numpy(expr, fn, scalar_op, binary_op):
    ints = np.arange(1, 4, dtype=np.int64)
    out = fn(Tensor(ints, dtype=np.int64), 2.5)
    expected = fn(ints, 2.5)
    assert out.dtype == expected.dtype == np.float64
    np.testing.assert_array_equal(out.data, expected)


# -- 2. autograd.ops.constant --------------------------------------------------------------------
@DTYPES
@pytest.mark.parametrize("c", [2.5, 3, 1e-3, 0.0, -0.0, math.nan], ids=str)
def test_constant_is_a_read_only_0d_array_of_the_dtype(dtype, c):
    k = constant(c, np.dtype(dtype))
    assert isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype == dtype
    np.testing.assert_array_equal(k, np.asarray(c, dtype))
    assert not k.flags.writeable, f"constant({c!r}, {np.dtype(dtype)}) is writable"


@DTYPES
@pytest.mark.parametrize("c", [2.5, 7, 0.0, 1e-3], ids=str)
def test_constant_returns_the_same_object_for_the_same_number_and_dtype(dtype, c):
    assert constant(c, np.dtype(dtype)) is constant(c, np.dtype(dtype))
    other = np.float64 if dtype is np.float32 else np.float32
    assert constant(c, np.dtype(other)).dtype == other   # the dtype is part of the key


@DTYPES
@pytest.mark.parametrize("order", [(-0.0, 0.0), (0.0, -0.0)], ids=["-0 first", "+0 first"])
def test_constant_never_confuses_zero_and_negative_zero(dtype, order):
    t = Tensor(np.array([1.0, 2.0], dtype))
    for c in order:
        negative = math.copysign(1.0, c) < 0
        for data in (constant(c, np.dtype(dtype)), (t * c).data):
            assert np.all(data == 0) and np.all(np.signbit(data) == negative), f"{c!r} gave {data!r}"


@DTYPES
def test_constant_of_nan_is_nan_and_propagates(dtype):
    assert np.isnan(constant(math.nan, np.dtype(dtype)))
    assert np.isnan(constant(float("nan"), np.dtype(dtype)))
    t = Tensor(np.array([1.0, -2.0], dtype))
    for out in (t * math.nan, t + float("nan"), math.nan - t, t / math.nan):
        assert out.dtype == dtype and np.isnan(out.data).all()


@settings(deadline=None, max_examples=FEW)
@given(a=arrays(shapes(1), floats(-3.0, 3.0)), c=floats(-1e30, 1e30))
def test_float32_constant_rounds_like_numpys_weak_scalar(a, c):
    a32 = a.astype(np.float32)
    k = constant(c, np.dtype(np.float32))
    assert k == np.float32(c)
    for ufunc in (np.multiply, np.add, np.subtract, np.divide):
        with np.errstate(all="ignore"):      # c may be 0: both sides then divide by zero alike
            got, want = ufunc(a32, k), ufunc(a32, c)
        assert got.dtype == want.dtype == np.float32
        np.testing.assert_array_equal(got, want)


# -- 3. backward(retain_grads=False) --------------------------------------------------------------
def shared_graph(seed: int = 0):
    """x, w (leaves), y = x*w (shared), sq = y*y, s = sq + y, z = s.sum()."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    w = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    y = x * w
    sq = y * y
    s = sq + y
    return x, w, y, sq, s, s.sum()


def test_retain_grads_false_gives_leaves_the_same_grads_as_the_default():
    x1, w1, *_, z1 = shared_graph()
    x2, w2, *_, z2 = shared_graph()
    z1.backward()
    z2.backward(retain_grads=False)
    np.testing.assert_array_equal(x2.grad, x1.grad)
    np.testing.assert_array_equal(w2.grad, w1.grad)


def test_retain_grads_false_leaves_intermediate_grads_none():
    x, w, y, sq, s, z = shared_graph()
    z.backward(retain_grads=False)
    inner = [n for n in ag.toposort(z) if not n.is_leaf]
    assert len(inner) == 4
    assert all(n.grad is None for n in inner)
    assert x.grad is not None and w.grad is not None


def test_default_backward_keeps_every_intermediate_grad():
    x, w, y, sq, s, z = shared_graph()
    z.backward()
    assert all(n.grad is not None for n in ag.toposort(z))
    assert z.grad == 1.0
    np.testing.assert_array_equal(s.grad, np.ones(s.shape))
    np.testing.assert_array_equal(sq.grad, np.ones(sq.shape))
    dy = 2 * y.data + 1                          # d/dy of Σ (y² + y)
    np.testing.assert_allclose(y.grad, dy, rtol=1e-14)
    np.testing.assert_allclose(x.grad, dy * w.data, rtol=1e-14)


def test_second_backward_with_retain_grads_false_accumulates_like_the_default():
    x1, w1, *_, z1 = shared_graph()
    x2, w2, *_, z2 = shared_graph()
    z1.backward()
    once = x1.grad.copy()
    z1.backward()
    z2.backward(retain_grads=False)
    z2.backward(retain_grads=False)
    np.testing.assert_array_equal(x2.grad, x1.grad)
    np.testing.assert_array_equal(w2.grad, w1.grad)
    np.testing.assert_array_equal(x2.grad, 2 * once)


def test_retain_grads_false_gives_each_leaf_its_own_writable_grad():
    x = Tensor(np.ones(3), requires_grad=True)
    w = Tensor(np.ones(3), requires_grad=True)
    (x + w).backward(np.array([1.0, 2.0, 3.0]), retain_grads=False)   # add hands one array to both
    assert x.grad is not w.grad and x.grad.flags.writeable and w.grad.flags.writeable
    x.grad[...] = 0.0
    np.testing.assert_array_equal(w.grad, [1.0, 2.0, 3.0])


# -- 4. the backward order -------------------------------------------------------------------------
def test_backward_visits_nodes_in_reversed_toposort_order_leaves_last():
    rng = np.random.default_rng(1)
    X = Tensor(rng.normal(size=(5, 3)), requires_grad=True, name="X")
    W1 = Tensor(rng.normal(size=(3, 4)), requires_grad=True, name="W1")
    b1 = Tensor(rng.normal(size=4), requires_grad=True, name="b1")
    W2 = Tensor(rng.normal(size=(4, 2)), requires_grad=True, name="W2")
    b2 = Tensor(rng.normal(size=2), requires_grad=True, name="b2")
    h = (X @ W1 + b1).tanh()
    out = (h @ W2 + b2).tanh()
    loss = (out * out).sum() + (W1 * W1).sum() * 0.01 + (h.sum(axis=0) * b1).sum()   # W1, b1, h reused
    visited = []
    ag.engine.backward(loss, on_grad=lambda node, g: visited.append(node))
    expected = list(reversed(ag.toposort(loss)))
    assert [id(n) for n in visited] == [id(n) for n in expected]
    leaves = {id(t) for t in (X, W1, b1, W2, b2)}
    assert {id(n) for n in visited[-5:]} == leaves
    assert all(id(n) not in leaves for n in visited[:-5])


@pytest.mark.slow
def test_chain_of_200k_elementwise_ops_matches_a_numpy_loop():
    steps, c = 100_000, 1.0000001            # 200,000 ops: tanh, then * c
    x0 = np.array([0.3, -0.7, 1.2, 0.0])
    v, grad = x0.copy(), np.ones_like(x0)
    for _ in range(steps):                   # d/dx0 = Π_k c·(1 − tanh²(v_k)), accumulated forward
        t = np.tanh(v)
        grad = grad * ((1.0 - t * t) * c)
        v = t * c
    x = Tensor(x0, requires_grad=True)
    y = x
    for _ in range(steps):
        y = y.tanh() * c
    y.sum().backward(retain_grads=False)
    np.testing.assert_allclose(y.data, v, rtol=1e-12)
    np.testing.assert_allclose(x.grad, grad, rtol=1e-8)
    assert np.all(grad[:3] > 0)              # a non-trivial gradient


# -- 5. elementwise ops return exact gradients (the engine does not fix them) ----------------------
ELEMENTWISE = sorted(name for name, cls in ag.REGISTRY.items() if cls.elementwise)


@pytest.mark.parametrize("name", ELEMENTWISE)
@DTYPES
@pytest.mark.parametrize("shape", [(), (4,), (2, 3)], ids=str)
@settings(deadline=None, max_examples=5)
@given(data=st.data(), seed=SEEDS)
def test_elementwise_op_gradient_has_exactly_the_input_shape_and_dtype(name, dtype, shape, data, seed):
    variants = [v for v in OP_TABLE if v.op == name]
    assert variants, f"elementwise op {name!r} has no case in tests/strategies.py OP_TABLE"
    case = data.draw(st.sampled_from(variants).flatmap(lambda v: v.cases))
    assert len(case.arrays) == 1
    x = Tensor(np.resize(case.arrays[0], shape).astype(dtype), requires_grad=True)   # values in the domain
    out = case.fn(x)
    assert type(out.op) is ag.REGISTRY[name] and out.shape == shape and out.dtype == dtype
    g = np.asarray(np.random.default_rng(seed).standard_normal(shape), dtype)
    (direct,) = out.op.backward(g.copy())
    assert np.shape(direct) == shape and direct.dtype == dtype
    out.backward(g)
    assert x.grad.shape == shape and x.grad.dtype == dtype


# -- 6. the fused linear op ------------------------------------------------------------------------
@pytest.mark.parametrize("odd", ["x", "W", "b"])
def test_linear_op_rejects_mixed_dtypes_naming_linear_and_the_dtypes(odd):
    dt = {k: (np.float32 if k == odd else np.float64) for k in ("x", "W", "b")}
    x = Tensor(np.ones((4, 3), dt["x"]))
    W = Tensor(np.ones((2, 3), dt["W"]), requires_grad=True)
    b = Tensor(np.ones(2, dt["b"]), requires_grad=True)
    with pytest.raises(TypeError) as info:
        F.LinearOp.apply(x, W, b)
    msg = str(info.value)
    assert msg.startswith("linear") and "float32" in msg and "float64" in msg, msg


@pytest.mark.parametrize("w_shape, b_shape", [((3,), (2,)), ((2, 3, 1), (2,)), ((2, 3), (3,)), ((2, 3), (2, 1))],
                         ids=["W 1-D", "W 3-D", "b too long", "b 2-D"])
def test_linear_op_rejects_bad_weight_or_bias_shapes_naming_them(w_shape, b_shape):
    W = Tensor(np.ones(w_shape), requires_grad=True)
    b = Tensor(np.ones(b_shape), requires_grad=True)
    with pytest.raises(ValueError) as info:
        F.LinearOp.apply(Tensor(np.ones((4, 3))), W, b)
    msg = str(info.value)
    assert msg.startswith("linear") and str(w_shape) in msg and str(b_shape) in msg, msg


@pytest.mark.parametrize("x_shape", [(4, 5), (5,)], ids=str)
def test_linear_rejects_the_wrong_feature_count_naming_both_counts(x_shape):
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    pattern = re.escape(f"input of shape {x_shape} has 5 features but the weight (2, 3) expects 3")
    with pytest.raises(ValueError, match=pattern):
        F.linear(Tensor(np.ones(x_shape)), W, Tensor(np.zeros(2), requires_grad=True))


def test_linear_layer_names_itself_in_the_feature_count_error():
    with pytest.raises(ValueError, match=re.escape("Linear(in_features=3) got input with 5 features")):
        nn.Linear(3, 2)(np.ones((4, 5)))


@pytest.mark.parametrize("x_shape", [(3,), (4, 3), (2, 4, 3)], ids=["1-D", "2-D", "3-D batched"])
@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no bias"])
@settings(deadline=None, max_examples=FEW)
@given(seed=SEEDS)
def test_linear_gradient_matches_central_differences(x_shape, bias, seed):
    rng = np.random.default_rng(seed)
    x = Tensor(rng.normal(size=x_shape), requires_grad=True)
    W = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    args = (x, W, Tensor(rng.normal(size=2), requires_grad=True)) if bias else (x, W)
    out = F.linear(*args)
    assert type(out.op) is F.LinearOp and out.shape == x_shape[:-1] + (2,)
    assert ag.gradcheck(F.linear, *args, seed=seed)


# -- 7. loss validation after the loss is computed ------------------------------------------------
@REDUCTIONS
@pytest.mark.parametrize("bad", [1 + 1e-9, -1e-9, math.nan], ids=["just above 1", "just below 0", "nan"])
def test_bce_rejects_predictions_outside_the_unit_interval_without_warnings(reduction, bad):
    p = Tensor(np.array([[0.5], [bad]]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"^BCELoss: predictions"):
            nn.BCELoss(reduction=reduction)(p, np.array([[0.0], [1.0]]))


@REDUCTIONS
def test_bce_accepts_predictions_of_exactly_0_and_1_with_logs_clamped_at_minus_100(reduction):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.3])
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5])
    # −(y·max(log p, −100) + (1 − y)·max(log(1 − p), −100)), element by element:
    per_element = np.array([100.0, 100.0, 0.0, 0.0, -(0.5 * math.log(0.3) + 0.5 * math.log(0.7))])
    expected = {"mean": per_element.mean(), "sum": per_element.sum(), "none": per_element}[reduction]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = nn.BCELoss(reduction=reduction)(Tensor(p, requires_grad=True), y)
    np.testing.assert_allclose(loss.data, expected, rtol=1e-14, atol=0)


@REDUCTIONS
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=str)
def test_mse_rejects_nan_or_inf_targets_for_every_reduction(reduction, bad):
    with pytest.raises(ValueError, match=re.escape("MSELoss: targets contain 1 NaN/inf value(s)")):
        nn.MSELoss(reduction=reduction)(Tensor(np.array([0.5, 2.0, 1.0]), requires_grad=True),
                                        np.array([0.5, bad, 1.0]))


@REDUCTIONS
def test_mse_with_nan_predictions_gives_a_nan_loss_instead_of_raising(reduction):
    loss = nn.MSELoss(reduction=reduction)(Tensor(np.array([math.nan, 2.0]), requires_grad=True),
                                           np.array([0.5, 2.0]))
    if reduction == "none":
        assert np.isnan(loss.data[0]) and loss.data[1] == 0.0
    else:
        assert np.isnan(loss.item())


@REDUCTIONS
@pytest.mark.parametrize("bad", [1.5, -0.1], ids=str)
def test_bce_rejects_targets_outside_the_unit_interval(reduction, bad):
    with pytest.raises(ValueError, match=re.escape("BCELoss: targets must lie in [0, 1]")):
        nn.BCELoss(reduction=reduction)(Tensor(np.array([0.5, 0.5]), requires_grad=True), np.array([bad, 1.0]))


@REDUCTIONS
def test_bce_rejects_nan_targets_counting_them(reduction):
    with pytest.raises(ValueError, match=re.escape("BCELoss: targets contain 1 NaN/inf value(s)")):
        nn.BCELoss(reduction=reduction)(Tensor(np.array([0.5, 0.5]), requires_grad=True),
                                        np.array([math.nan, 1.0]))


# -- 8. the plain SGD step --------------------------------------------------------------------------
def sgd_case(kind: str, dtype, rng):
    """(w, g) for one parameter; large means more than 65,536 elements (the chunked path)."""
    def normal(*shape):
        return rng.normal(size=shape).astype(dtype)
    if kind == "large":
        return normal(300, 300), normal(300, 300)
    if kind == "large, strided weight":
        return normal(300, 600)[:, ::2], normal(300, 300)
    if kind == "large, transposed grad":
        return normal(300, 300), normal(300, 300).T
    if kind == "small, strided":
        return normal(4, 6)[:, ::2], normal(3, 4).T
    return np.asarray(normal(1)[0]), np.asarray(normal(1)[0])    # 0-d


@DTYPES
@pytest.mark.parametrize("kind", ["large", "large, strided weight", "large, transposed grad", "small, strided", "0-d"])
def test_plain_sgd_step_is_exactly_w_minus_lr_g_and_leaves_grad_alone(dtype, kind):
    w, g = sgd_case(kind, dtype, np.random.default_rng(3))
    assert w.size > 65_536 or kind in ("small, strided", "0-d")
    p = Tensor(np.zeros(w.shape, dtype), requires_grad=True)
    p.data, p.grad = w, g
    lr = 0.1
    expected = w.copy() - lr * g
    g_before = g.copy()
    nn.optim.SGD([p], lr=lr).step()
    assert p.data is w and p.data.dtype == dtype          # updated in place
    np.testing.assert_array_equal(p.data, expected)
    assert p.grad is g
    np.testing.assert_array_equal(p.grad, g_before)


# -- 9. glibc allocator tuning ----------------------------------------------------------------------
IS_GLIBC = platform.libc_ver()[0] == "glibc"


def test_tune_allocator_returns_a_bool_that_allocator_tuned_reflects():
    result = ag.tune_allocator()
    assert type(result) is bool
    assert ag.allocator.tuned is result
    assert result is IS_GLIBC


@pytest.mark.parametrize("setting, expected", [(None, IS_GLIBC), ("default", False)], ids=["unset", "default"])
def test_import_tunes_the_allocator_unless_mlpgrad_malloc_is_default(setting, expected):
    env = {k: v for k, v in os.environ.items() if k != "MLPGRAD_MALLOC"}
    if setting is not None:
        env["MLPGRAD_MALLOC"] = setting
    proc = subprocess.run([sys.executable, "-c", "import autograd; print(autograd.allocator.tuned)"],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(expected)
