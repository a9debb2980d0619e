"""Specification of `autograd.trace.trace_backward`: a recorded backward pass and its frames."""
from __future__ import annotations

import importlib.util
import os
import re

import numpy as np
import pytest

from autograd import Tensor, toposort
from autograd.draw import COLORS
from autograd.trace import BackwardTrace, trace_backward

# The DOT reader and fake modules live beside the drawing tests; load them by path
# so this works whatever pytest's import mode.
_spec = importlib.util.spec_from_file_location(
    "_draw_spec", os.path.join(os.path.dirname(__file__), "test_draw.py"))
_draw_spec = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_draw_spec)
Dot, FakeMLP = _draw_spec.Dot, _draw_spec.FakeMLP

HIGHLIGHT = COLORS["highlight"][0]


def build(seed=0):
    """A small graph with a shared leaf (a feeds two ops), a constant and a broadcast."""
    rng = np.random.default_rng(seed)
    a = Tensor(rng.standard_normal(3), requires_grad=True, name="a")
    b = Tensor(rng.standard_normal((2, 3)), requires_grad=True, name="b")
    c = Tensor(2.0, name="c")
    h = (a * b + a).tanh() * c        # a is broadcast and used twice
    loss = h.sum()
    loss.name = "loss"
    return a, b, c, h, loss


def all_tensors(root):
    return toposort(root, requires_grad_only=False)


def test_steps_count_equals_nodes_that_received_a_gradient():
    *_, loss = build()
    trace = trace_backward(loss)
    got_grad = [t for t in all_tensors(loss) if t.grad is not None]
    assert len(trace.steps) == len(got_grad) == 7
    assert {id(s.node) for s in trace.steps} == {id(t) for t in got_grad}
    assert [s.index for s in trace.steps] == list(range(7))


def test_gradients_equal_a_normal_backward():
    traced, plain = build(1), build(1)
    trace_backward(traced[-1])
    plain[-1].backward()
    for t_traced, t_plain in zip(all_tensors(traced[-1]), all_tensors(plain[-1])):
        if t_plain.grad is None:
            assert t_traced.grad is None
        else:
            np.testing.assert_array_equal(t_traced.grad, t_plain.grad)
    for step in trace_backward(build(1)[-1]).steps:
        assert step.grad.shape == step.node.shape


def test_steps_follow_the_engine_order_root_first():
    *_, loss = build()
    trace = trace_backward(loss)
    order = [t for t in reversed(toposort(loss, requires_grad_only=True))]
    assert [id(s.node) for s in trace.steps] == [id(t) for t in order]
    root = trace.steps[0]
    assert root.node is loss and root.op is None and root.via == "seed"
    np.testing.assert_array_equal(root.grad, 1.0)


def test_step_records_the_ops_and_local_derivatives_used():
    a, b, c, h, loss = build()
    trace = trace_backward(loss)
    step_a = next(s for s in trace.steps if s.node is a)
    assert sorted(op.name for op in step_a.ops) == ["add", "mul"]
    assert "d/da = b" in step_a.derivative and "d/da = 1" in step_a.derivative
    assert sum(c.grad for c in step_a.contributions).shape == (3,)            # unbroadcast
    np.testing.assert_allclose(sum(c.grad for c in step_a.contributions), step_a.grad)
    np.testing.assert_array_equal(step_a.grad, a.grad)
    step_h = next(s for s in trace.steps if s.node is h)
    assert step_h.op.name == "sum" and step_h.derivative.startswith("Σ a over axes")
    cap = step_h.caption(len(trace.steps))
    assert re.match(r"step 2/7: grad of t\d+ via sum → loss: Σ a over axes", cap)
    assert trace.captions()[0] == "step 1/7: grad of loss via seed: dloss/dloss = 1"
    assert "step 7/7" in str(trace)


def test_trace_accumulates_into_grad_like_backward():
    a, b, c, h, loss = build()
    loss.backward()
    once = a.grad.copy()
    trace = trace_backward(loss)           # a second pass adds, as backward would
    np.testing.assert_allclose(a.grad, 2 * once)
    step_a = next(s for s in trace.steps if s.node is a)
    np.testing.assert_allclose(step_a.grad, once)       # steps hold this pass's gradient only


def test_explicit_upstream_grad_and_errors_match_backward():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x * x
    trace = trace_backward(y, grad=np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 40.0])
    assert "given grad" in trace.steps[0].derivative
    with pytest.raises(RuntimeError, match="one-element"):
        trace_backward(x * 3)
    with pytest.raises(TypeError, match="expected a Tensor"):
        trace_backward(np.ones(2))


def test_params_name_nodes_in_captions():
    model = FakeMLP([2, 2, 1])
    loss = model(Tensor(np.ones((3, 2)), name="X")).mean()
    trace = trace_backward(loss, params=model)
    assert any("grad of layers.0.weight via transpose" in cap for cap in trace.captions())


def test_frames_highlight_the_node_just_computed():
    a, b, c, h, loss = build()
    trace = trace_backward(loss)
    frames = trace.frames()
    assert len(frames) == len(trace.steps)
    for k, (step, drawing) in enumerate(zip(trace.steps, frames)):
        d = Dot(drawing.source)
        lit = [n for n, attrs in d.nodes.items() if attrs.get("fillcolor") == HIGHLIGHT]
        assert [n for n in lit if n.startswith("t")] == [f"t{id(step.node)}"]
        lit_ops = {n for n in lit if n.startswith("o")}
        assert lit_ops == {f"o{id(op)}" for op in step.ops}
        assert _draw_spec.label_text(d.graph["label"]) == " ".join(step.caption(len(trace.steps)).split())
        # gradients appear as the pass reaches them: done nodes show numbers, later ones "—"
        for j, other in enumerate(trace.steps):
            text = d.text(f"t{id(other.node)}")
            assert ("grad: —" in text) == (j > k)


def test_save_frames_writes_numbered_files(tmp_path):
    _draw_spec.require_dot()
    x = Tensor(1.5, requires_grad=True, name="x")
    y = (x * x).sin()
    trace = trace_backward(y)
    paths = trace.save_frames(tmp_path / "frames")
    assert [os.path.basename(p) for p in paths] == ["step_000.svg", "step_001.svg", "step_002.svg"]
    assert sorted(os.listdir(tmp_path / "frames")) == ["step_000.svg", "step_001.svg", "step_002.svg"]
    assert all(open(p, encoding="utf-8").read().count("<svg") == 1 for p in paths)
    pngs = trace.save_frames(tmp_path / "png", format="png")
    assert all(open(p, "rb").read(4) == b"\x89PNG" for p in pngs)


def test_to_html_writes_one_self_contained_explorer_page(tmp_path):
    _draw_spec.require_dot()
    a, b, c, h, loss = build()
    trace = trace_backward(loss)
    path = trace.to_html(tmp_path / "backward.html")
    assert os.listdir(tmp_path) == ["backward.html"]
    page = open(path, encoding="utf-8").read()
    assert page.count("<svg") == 1                      # one layout for every frame
    assert page.startswith("<!DOCTYPE html>") and 'class="mlpx-data"' in page
    for cls in ("mlpx-prev", "mlpx-next", "mlpx-play", "mlpx-slider", "mlpx-fit", "mlpx-z100"):
        assert f'class="{cls}"' in page
    assert "ArrowLeft" in page and "ArrowRight" in page
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|https?://(?!www\.w3\.org)", page)


def test_trace_type():
    *_, loss = build()
    trace = trace_backward(loss)
    assert isinstance(trace, BackwardTrace) and len(trace) == 7
    assert list(trace) == trace.steps


def test_local_derivative_is_the_docstrings_first_paragraph():
    from autograd import Function
    from autograd.trace import local_derivative

    class TwoLine(Function):      # no `name`: stays out of the op registry
        """y = a, written over
        two lines;  d/da = 1.

        Details that are not the rule."""
        __slots__ = ()

        def forward(self, a):
            return a

        def backward(self, g):
            return (g,)

    x = Tensor(2.0, requires_grad=True, name="x")
    y = TwoLine.apply(x)
    assert local_derivative(y._op) == "y = a, written over two lines; d/da = 1."
    step_x = trace_backward(y).steps[1]
    assert step_x.node is x and step_x.derivative == local_derivative(y._op)


def test_every_step_gradient_equals_the_grad_a_fresh_backward_leaves():
    *_, loss = build(2)
    trace = trace_backward(loss)
    for step in trace.steps:
        np.testing.assert_array_equal(step.grad, step.node.grad)
        assert step.node.grad.flags.writeable or step.node._op is not None


def test_contribution_knows_upstream_local_derivative_and_product():
    a, b, c, h, loss = build()
    trace = trace_backward(loss)
    step_a = next(s for s in trace.steps if s.node is a)
    mul = next(con for con in step_a.contributions if con.op.name == "mul")
    assert mul.arg == "a" and mul.output.shape == (2, 3) and mul.pos == 0
    # mul's output is a·b (2, 3): upstream is its gradient, local d(a·b)/da = b, product summed over rows
    np.testing.assert_array_equal(mul.upstream, mul.output.grad)
    np.testing.assert_allclose(mul.local(), np.broadcast_to(b.data, (2, 3)))
    np.testing.assert_allclose(mul.grad, (mul.upstream * mul.local()).sum(axis=0))
    step_h = next(s for s in trace.steps if s.node is h)
    whole = step_h.contributions[0]                       # sum → loss: a one-element output
    np.testing.assert_array_equal(whole.local(), np.ones((2, 3)))


def test_local_derivative_of_an_elementwise_op_is_its_rule_in_numbers():
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True, name="x")
    y = x.tanh()
    loss = (y * y).sum()
    step_x = next(s for s in trace_backward(loss).steps if s.node is x)
    np.testing.assert_allclose(step_x.contributions[0].local(), 1 - np.tanh(x.data) ** 2)


def test_local_derivative_is_none_where_it_is_a_product_with_other_operands():
    x = Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    w = Tensor(np.ones((3, 4)), requires_grad=True, name="w")
    loss = (x @ w).tanh().sum()
    step_x = next(s for s in trace_backward(loss).steps if s.node is x)
    assert step_x.contributions[0].local() is None
    assert "back through matmul as a (dA = G @ Bᵀ, G = that gradient)" in step_x.equation()


def test_equation_states_the_numbers_of_each_step():
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    y = x * 3.0
    loss = (y + x).sum()
    loss.name = "loss"
    trace = trace_backward(loss)
    assert trace.steps[0].equation() == "∂loss/∂loss = 1  (the seed)"
    step_x = next(s for s in trace.steps if s.node is x)
    eq = step_x.equation()
    assert eq.startswith("∂loss/∂x = sum of 2 uses = [4, 4]")
    assert "⊙ local ∂t0/∂x [3, 3] = [3, 3]" in eq and "= [1, 1]" in eq


def test_rule_for_picks_the_clause_about_one_input():
    from autograd.trace import rule_for
    x = Tensor(np.ones((2, 3)), requires_grad=True)
    w = Tensor(np.ones((3, 4)), requires_grad=True)
    op = (x @ w)._op
    assert rule_for(op, "a") == "dA = G @ Bᵀ"
    assert rule_for(op, "b").startswith("dB = Aᵀ @ G")
    assert rule_for(op, None) is None and rule_for(op, "zz") is None
    assert rule_for((x * w.sum()).exp()._op, "a") == "d/da = exp(a)"


def test_without_dot_the_explorer_says_how_to_install_it_and_jupyter_falls_back(tmp_path, monkeypatch):
    from autograd.draw import GraphvizNotFoundError
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    *_, loss = build()
    trace = trace_backward(loss)
    assert trace._repr_html_() is None           # Jupyter then shows the text repr
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        trace.to_html(tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()
