"""autograd — a small, exact reverse-mode automatic differentiation engine over NumPy.

    >>> from autograd import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([2., 4.])
"""
from autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, scope
from autograd.tensor import Tensor, as_tensor
from autograd.function import Function, REGISTRY, unbroadcast
from autograd.engine import backward, gradients, toposort
from autograd.transforms import grad, hessian, jacobian, value_and_grad
from autograd.creation import concatenate, make_rng, ones, rand, randn, stack, where, zeros
from autograd.gradcheck import GradcheckError, gradcheck, numerical_grad
from autograd import numpy_api, ops  # noqa: F401  (importing numpy_api lets NumPy's functions take Tensors)
from autograd.compiler import compile  # noqa: A001  (jax.jit-like: trace once, run NumPy code)
from autograd.allocator import tune_allocator, _tune_on_import

_tune_on_import()   # keep freed memory for the next step (MLPGRAD_MALLOC=default opts out)


def draw_graph(root, *args, **kwargs):
    """Draw the computation graph that produced `root` (see `autograd.draw`)."""
    from autograd.draw import draw_graph as _draw
    return _draw(root, *args, **kwargs)


def trace_backward(root, grad=None, params=None):
    """Run backward on `root`, recording each gradient step (see `autograd.trace`)."""
    from autograd.trace import trace_backward as _trace
    return _trace(root, grad, params)


__all__ = [
    "Tensor", "as_tensor", "Function", "REGISTRY", "unbroadcast", "backward", "toposort", "gradients",
    "grad", "value_and_grad", "jacobian", "hessian",
    "no_grad", "enable_grad", "is_grad_enabled", "scope",
    "zeros", "ones", "randn", "rand", "make_rng", "concatenate", "stack", "where",
    "gradcheck", "numerical_grad", "GradcheckError", "draw_graph", "trace_backward", "ops",
    "tune_allocator", "compile",
]
