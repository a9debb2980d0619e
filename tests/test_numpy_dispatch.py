"""NumPy speaks Tensor: NumPy's ufuncs and functions on Tensors record the same ops as the methods.

Each supported NumPy call is checked three ways: it returns a Tensor made by the
expected op, its value equals NumPy's on the data, and its gradient passes
central differences. Unsupported calls, in-place `out=` and `np.asarray` on a
tensor that requires grad raise clear errors. The bugs that differential
testing against PyTorch found are pinned here too.
"""
from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from autograd import Tensor

RNG = np.random.default_rng(0)
A = RNG.uniform(0.2, 1.5, (3, 4))          # positive: every log/sqrt is defined
B = RNG.uniform(-1.5, 1.5, (3, 4))
V = RNG.uniform(-1.0, 1.0, (4,))

# name -> (function of Tensors, function of arrays, expected op name of the result)
UFUNC_CASES = {
    "add": (lambda a, b: np.add(a, b), "add"),
    "subtract": (lambda a, b: np.subtract(a, b), "sub"),
    "multiply": (lambda a, b: np.multiply(a, b), "mul"),
    "divide": (lambda a, b: np.divide(a, b), "div"),
    "true_divide": (lambda a, b: np.true_divide(a, b), "div"),
    "power": (lambda a, b: np.power(a, b), "pow"),
    "maximum": (lambda a, b: np.maximum(a, b), "maximum"),
    "minimum": (lambda a, b: np.minimum(a, b), "minimum"),
    "matmul": (lambda a, b: np.matmul(a, b.T), "matmul"),
    "negative": (lambda a, b: np.negative(a), "neg"),
    "square": (lambda a, b: np.square(a), "pow_scalar"),
    "sqrt": (lambda a, b: np.sqrt(a), "sqrt"),
    "exp": (lambda a, b: np.exp(b), "exp"),
    "log": (lambda a, b: np.log(a), "log"),
    "log1p": (lambda a, b: np.log1p(a), "log1p"),
    "expm1": (lambda a, b: np.expm1(b), "expm1"),
    "abs": (lambda a, b: np.abs(b), "abs"),
    "absolute": (lambda a, b: np.absolute(b), "abs"),
    "sin": (lambda a, b: np.sin(b), "sin"),
    "cos": (lambda a, b: np.cos(b), "cos"),
    "tanh": (lambda a, b: np.tanh(b), "tanh"),
    "reciprocal": (lambda a, b: np.reciprocal(a), "rdiv_scalar"),
    "log(1 - p)": (lambda a, b: np.log(1 - a / 2), "log"),
    "maximum(0, z)": (lambda a, b: np.maximum(0, b), "maximum"),
}

FUNCTION_CASES = {
    "dot 2-D": (lambda a, b: np.dot(a, b.T), "matmul"),
    "dot 2-D·1-D": (lambda a, b: np.dot(a, b[0]), "matmul"),
    "dot with a number": (lambda a, b: np.dot(a, 2.0), "mul"),
    "outer": (lambda a, b: np.outer(a[0], b[1]), "mul"),
    "sum": (lambda a, b: np.sum(a), "sum"),
    "sum axis keepdims": (lambda a, b: np.sum(a, axis=1, keepdims=True), "sum"),
    "mean axis keepdims": (lambda a, b: np.mean(b, axis=1, keepdims=True), "mean"),
    "max": (lambda a, b: np.max(b, axis=0), "max"),
    "amax": (lambda a, b: np.amax(b), "max"),
    "min": (lambda a, b: np.min(b, axis=1), "min"),
    "amin": (lambda a, b: np.amin(b, axis=-1, keepdims=True), "min"),
    "clip": (lambda a, b: np.clip(b, -0.5, 0.7), "clip"),
    "clip keywords": (lambda a, b: np.clip(b, min=-0.5, max=0.7), "clip"),
    "where": (lambda a, b: np.where(b > 0, a, b), "where"),
    "concatenate": (lambda a, b: np.concatenate([a, b], axis=1), "concatenate"),
    "stack": (lambda a, b: np.stack([a, b]), "stack"),
    "hstack": (lambda a, b: np.hstack([a, b]), "concatenate"),
    "vstack": (lambda a, b: np.vstack([a, b[0]]), "concatenate"),
    "reshape": (lambda a, b: np.reshape(a, (4, 3)), "reshape"),
    "transpose": (lambda a, b: np.transpose(a), "transpose"),
    "expand_dims": (lambda a, b: np.expand_dims(a, 1), "reshape"),
    "squeeze": (lambda a, b: np.squeeze(np.expand_dims(a, 0)), "reshape"),
    "swapaxes": (lambda a, b: np.swapaxes(a, 0, 1), "transpose"),
    "ravel": (lambda a, b: np.ravel(a), "reshape"),
    "broadcast_to": (lambda a, b: np.broadcast_to(a[0], (2, 4)), "broadcast_to"),
    "take": (lambda a, b: np.take(a, [0, 2, 2], axis=1), "getitem"),
    "copy": (lambda a, b: np.copy(a), "copy"),
    "split": (lambda a, b: np.split(a, 2, axis=1)[1], "getitem"),
    "add.reduce": (lambda a, b: np.add.reduce(a, axis=1), "sum"),
}


def _numpy_value(fn):
    return np.asarray(fn(A.copy(), B.copy()))


@pytest.mark.parametrize("name", list(UFUNC_CASES) + list(FUNCTION_CASES))
def test_numpy_call_on_tensors_records_the_op_and_matches_numpy(name):
    fn, op = {**UFUNC_CASES, **FUNCTION_CASES}[name]
    a, b = Tensor(A, requires_grad=True), Tensor(B, requires_grad=True)
    out = fn(a, b)
    assert isinstance(out, Tensor) and out.op is not None and out.op.name == op
    np.testing.assert_allclose(out.data, _numpy_value(fn), rtol=1e-15)


@pytest.mark.parametrize("name", list(UFUNC_CASES) + list(FUNCTION_CASES))
def test_numpy_call_on_tensors_has_the_right_gradient(name):
    fn, _ = {**UFUNC_CASES, **FUNCTION_CASES}[name]
    assert ag.gradcheck(fn, Tensor(A, requires_grad=True), Tensor(B, requires_grad=True), seed=1)


@pytest.mark.parametrize("method, args", [("T", None), ("dot", (B.T,)), ("sum", dict(axis=1, keepdims=True)),
                                          ("mean", dict(axis=0)), ("copy", ()), ("ravel", ()),
                                          ("squeeze", ()), ("swapaxes", (0, 1))])
def test_array_methods_work_on_tensors_as_on_arrays(method, args):
    t = Tensor(A, requires_grad=True)
    if args is None:
        got, want = getattr(t, method), getattr(A, method)
    elif isinstance(args, dict):
        got, want = getattr(t, method)(**args), getattr(A, method)(**args)
    else:
        got, want = getattr(t, method)(*args), getattr(A, method)(*args)
    assert isinstance(got, Tensor) and got.requires_grad
    np.testing.assert_array_equal(got.data, want)


def test_astype_float_of_a_comparison_is_a_constant_mask():
    z = Tensor(B, requires_grad=True)
    mask = (z > 0).astype(float)
    assert mask.dtype == np.float64 and not mask.requires_grad
    np.testing.assert_array_equal(mask.data, (B > 0).astype(float))


def test_astype_between_floats_is_differentiable_and_casts_the_gradient_back():
    z = Tensor(B.astype(np.float32), requires_grad=True)
    (z.astype(np.float64) * 2).sum().backward()
    assert z.grad.dtype == np.float32
    np.testing.assert_array_equal(z.grad, np.full(B.shape, 2, np.float32))


@pytest.mark.parametrize("ufunc", [np.greater, np.less, np.equal, np.greater_equal, np.less_equal,
                                   np.not_equal])
def test_comparisons_return_tensors_that_do_not_require_grad(ufunc):
    out = ufunc(Tensor(B, requires_grad=True), 0.0)
    assert isinstance(out, Tensor) and not out.requires_grad and out.dtype == bool
    np.testing.assert_array_equal(out.data, ufunc(B, 0.0))


def test_piecewise_constant_functions_return_constants():
    t = Tensor(B, requires_grad=True)
    for fn in (np.sign, np.floor, np.round, np.isfinite):
        out = fn(t)
        assert isinstance(out, Tensor) and not out.requires_grad
        np.testing.assert_array_equal(out.data, fn(B))


def test_index_and_shape_functions_return_plain_numpy():
    t = Tensor(B, requires_grad=True)
    assert np.argmax(t) == np.argmax(B)
    np.testing.assert_array_equal(np.argmax(t, axis=1), np.argmax(B, axis=1))
    assert np.shape(t) == B.shape
    z = np.zeros_like(t)
    assert type(z) is np.ndarray and z.shape == B.shape


def test_ndarray_operand_on_the_left_gives_a_tensor():
    t = Tensor(B, requires_grad=True)
    for out in (A + t, A * t, A - t, A / (t + 5), A @ t.T, np.float64(2.0) * t):
        assert isinstance(out, Tensor) and out.requires_grad


def test_a_plain_numpy_mlp_forward_is_differentiated_end_to_end():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((5, 2)), rng.integers(0, 2, (5, 1)).astype(float)
    W1, b1, W2, b2 = rng.standard_normal((2, 4)), np.zeros(4), rng.standard_normal((4, 1)), np.zeros(1)

    def loss(W1, b1, W2, b2):
        h = np.maximum(0, np.dot(X, W1) + b1)
        p = 1 / (1 + np.exp(-(np.dot(h, W2) + b2)))
        p = np.clip(p, 1e-12, 1 - 1e-12)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    params = [Tensor(p, requires_grad=True) for p in (W1, b1, W2, b2)]
    assert ag.gradcheck(loss, *params, seed=2)
    assert loss(W1, b1, W2, b2) == pytest.approx(loss(*params).item(), rel=1e-15)


# -- refusals ------------------------------------------------------------------------------
@pytest.mark.parametrize("call, name", [(lambda t: np.linalg.norm(t), "np.linalg.norm"),
                                        (lambda t: np.arctan(t), "np.arctan"),
                                        (lambda t: np.prod(t), "np.prod"),
                                        (lambda t: np.cumsum(t), "np.cumsum"),
                                        (lambda t: np.add.accumulate(t), "np.add")])
def test_unsupported_numpy_functions_raise_naming_the_function_and_what_is_supported(call, name):
    with pytest.raises(TypeError) as info:
        call(Tensor(B, requires_grad=True))
    msg = str(info.value)
    assert msg.startswith(name) and "not differentiable" in msg and "supported:" in msg and "np.exp" in msg


def test_unsupported_arguments_are_refused_by_name():
    t = Tensor(B, requires_grad=True)
    with pytest.raises(TypeError, match="np.sum: argument dtype= is not supported"):
        np.sum(t, dtype=np.float32)
    with pytest.raises(TypeError, match=r"np.exp: argument where= is not supported"):
        np.exp(t, where=B > 0)
    with pytest.raises(TypeError, match="np.dot: operands of shapes"):
        np.dot(Tensor(np.ones((2, 2, 2))), np.ones((2, 2)))
    with pytest.raises(TypeError, match="np.clip: bounds must be numbers"):
        np.clip(t, np.zeros(4), 1.0)


def test_asarray_of_a_tensor_that_requires_grad_raises_and_points_to_detach():
    t = Tensor(B, requires_grad=True)
    with pytest.raises(TypeError, match=r"np.asarray: .*requires grad.*t.detach\(\).numpy\(\)"):
        np.asarray(t)
    with pytest.raises(TypeError, match="requires grad"):
        np.array(t)


def test_asarray_of_a_constant_tensor_gives_its_data():
    t = Tensor(B)
    np.testing.assert_array_equal(np.asarray(t), B)
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    np.testing.assert_array_equal(np.asarray(Tensor(B, requires_grad=True).detach()), B)


def test_out_into_a_tensor_raises_and_changes_nothing():
    t = Tensor(B.copy(), requires_grad=True)
    with pytest.raises(TypeError, match="np.exp: out= a Tensor"):
        np.exp(t, out=t)
    np.testing.assert_array_equal(t.data, B)


def test_in_place_update_of_an_ndarray_with_a_grad_tensor_raises_and_changes_nothing():
    arr = A.copy()
    with pytest.raises(TypeError, match=r"np.add: writing a result that requires grad into an ndarray"):
        arr += Tensor(B, requires_grad=True)
    np.testing.assert_array_equal(arr, A)


def test_in_place_update_of_an_ndarray_with_a_constant_tensor_is_plain_numpy():
    arr = A.copy()
    arr += Tensor(B)
    np.testing.assert_array_equal(arr, A + B)


def test_assigning_into_a_tensor_raises_with_a_hint():
    t = Tensor(B, requires_grad=True)
    with pytest.raises(TypeError, match="setitem: .*np.where"):
        t[t < 0] = 0


def test_augmented_assignment_on_a_tensor_builds_a_new_node():
    x = Tensor(B, requires_grad=True)
    y = x * 1.0
    before = y
    y += x
    assert y is not before and y.op.name == "add"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(B.shape, 2.0))


# -- what differential testing against PyTorch found -----------------------------------------
@pytest.mark.parametrize("exponent", [0, 0.0, np.float64(0.0)], ids=["int", "float", "np.float64"])
def test_x_to_the_zero_has_gradient_zero_at_zero(exponent, recwarn):
    x = Tensor([0.0, 2.0], requires_grad=True)
    (x ** exponent).backward(grad=np.ones(2))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_x_to_a_zero_tensor_exponent_has_gradient_zero_at_zero(recwarn):
    x = Tensor([0.0, 2.0], requires_grad=True)
    (x ** Tensor([0.0, 0.0])).backward(grad=np.ones(2))
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_zero_to_the_zero_plus_a_does_not_poison_a_grad():
    a = Tensor([1.0, 2.0], requires_grad=True)
    ((a - a) ** 0 + a).backward(grad=np.ones(2))
    np.testing.assert_array_equal(a.grad, [1.0, 1.0])


@pytest.mark.parametrize("scalar", [np.int64(2), np.int32(2), np.bool_(True), np.float64(2.0), np.uint8(3)],
                         ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("side", ["right", "left"])
def test_numpy_scalars_do_not_promote_float32(scalar, side):
    x = Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    out = x * scalar if side == "right" else scalar * x
    assert out.dtype == np.float32
    (out + scalar).sum().backward()
    assert x.grad.dtype == np.float32


def test_dividing_by_a_numpy_integer_count_keeps_float32():
    x = Tensor([1.0, 2.0, 3.0], dtype=np.float32, requires_grad=True)
    mask = np.array([True, False, True])
    out = x / mask.sum()
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("call", [lambda x: x ** np.float64(2.5), lambda x: x.leaky_relu(np.float64(0.1)),
                                  lambda x: x.clip(np.float64(0), np.float64(1)),
                                  lambda x: np.clip(x, np.float64(0), np.float64(1)),
                                  lambda x: np.power(x, np.float64(1.5))],
                         ids=["pow", "leaky_relu", "clip", "np.clip", "np.power"])
def test_numpy_float64_parameters_keep_float32_outputs_and_grads(call):
    x = Tensor([0.5, 2.0], dtype=np.float32, requires_grad=True)
    out = call(x)
    assert out.dtype == np.float32
    out.sum().backward()
    assert x.grad.dtype == np.float32


@pytest.mark.parametrize("make", [lambda x: (x * x).sum(), lambda x: x.mean(), lambda x: x[0] * x[1],
                                  lambda x: np.dot(x, x)], ids=["sum", "mean", "index product", "dot"])
def test_zero_d_results_and_grads_are_writable_arrays(make):
    x = Tensor([1.5, -2.0], requires_grad=True)
    out = make(x)
    assert type(out.data) is np.ndarray and out.data.ndim == 0
    out.backward()
    assert type(out.grad) is np.ndarray and out.grad.flags.writeable


def test_zero_d_leaf_grad_is_a_writable_array():
    s = Tensor(3.0, requires_grad=True)
    (s * s).backward()
    assert type(s.grad) is np.ndarray and s.grad.ndim == 0 and s.grad.flags.writeable
    s.grad *= 0.5
    assert s.grad == 3.0


# -- drawings and traces see the same ops ----------------------------------------------------
def _op_names(root):
    return [t.op.name for t in ag.toposort(root) if t.op is not None]


def test_graphs_built_through_numpy_have_the_ops_of_the_method_form_in_drawings_and_traces():
    X = np.arange(6.0).reshape(3, 2)
    W = Tensor(np.full((2, 3), 0.1), requires_grad=True, name="W")
    via_numpy = np.mean(np.tanh(np.dot(X, W) + 1.0) ** 2)
    via_methods = ((Tensor(X) @ W + 1.0).tanh() ** 2).mean()
    assert _op_names(via_numpy) == _op_names(via_methods) == ["matmul", "add_scalar", "tanh", "pow_scalar", "mean"]
    source = ag.draw_graph(via_numpy).source
    for op in ("matmul", "tanh", "mean"):
        assert op in source
    trace = ag.trace_backward(via_numpy)
    vias = [s.via.split(" ")[0] for s in trace.steps[1:]]
    assert vias == list(reversed(_op_names(via_numpy)))[:len(vias)] and len(vias) >= 4
