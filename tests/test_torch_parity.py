"""Every op against PyTorch in float64: the same inputs give the same values and gradients."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from autograd import Tensor
from strategies import OP_TABLE, arrays, shapes

torch = pytest.importorskip("torch", reason="PyTorch is not installed: parity checks against torch are skipped")

VARIANTS = pytest.mark.parametrize("variant", OP_TABLE, ids=lambda v: v.id)
# test_ops.py already checks every op against finite differences with the full example
# budget; torch is a second, independent witness, so half the examples suffice.
FEW = max(5, settings.default.max_examples // 2)
RTOL, ATOL = 1e-10, 1e-12


def run_both(case, v_seed=None):
    """Forward (and backward, with one random upstream gradient) in autograd and torch."""
    ours = [Tensor(a, requires_grad=True) for a in case.arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in case.arrays]
    out, tout = case.fn(*ours), case.run_torch(torch, *theirs)
    if v_seed is not None:
        v = np.random.default_rng(v_seed).standard_normal(out.shape)
        out.backward(v)
        tout.backward(torch.from_numpy(v))
    return ours, theirs, out, tout


@VARIANTS
@settings(deadline=None, max_examples=max(3, FEW // 2))
@given(data=st.data())
def test_forward_matches_torch(variant, data):
    case = data.draw(variant.cases)
    _, _, out, tout = run_both(case)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=RTOL, atol=ATOL)


@VARIANTS
@settings(deadline=None, max_examples=FEW)
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_gradients_match_torch(variant, data, seed):
    case = data.draw(variant.cases)
    ours, theirs, _, _ = run_both(case, seed)
    for t, tt in zip(ours, theirs):
        assert t.grad is not None and tt.grad is not None
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("op, torch_op", [("max", "amax"), ("min", "amin")])
@settings(deadline=None)
@given(data=st.data(), keepdims=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_max_min_ties_split_the_gradient_like_torch_amax(op, torch_op, data, keepdims, seed):
    shape = data.draw(shapes(1))
    axis = data.draw(st.none() | st.integers(-len(shape), len(shape) - 1))
    values = data.draw(arrays(shape, st.sampled_from([-1.0, 0.0, 1.0])))  # ties everywhere
    dims = tuple(range(len(shape))) if axis is None else axis
    x = Tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    out = getattr(x, op)(axis=axis, keepdims=keepdims)
    tout = getattr(torch, torch_op)(tx, dim=dims, keepdim=keepdims)
    v = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(v)
    tout.backward(torch.from_numpy(v))
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("method", ["softmax", "log_softmax", "logsumexp", "sigmoid", "tanh"])
def test_extreme_inputs_match_torch(method):
    values = np.array([[-1000.0, -1.0, 0.0, 1.0, 1000.0], [800.0, 800.0, -800.0, 1e-3, -1e-3]])
    x = Tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    out = getattr(x, method)(axis=-1) if method in ("softmax", "log_softmax", "logsumexp") else getattr(x, method)()
    tout = getattr(torch, method)(tx, dim=-1) if method in ("softmax", "log_softmax", "logsumexp") \
        else getattr(torch, method)(tx)
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(v)
    tout.backward(torch.from_numpy(v))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=RTOL, atol=ATOL)
