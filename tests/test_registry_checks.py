"""One table per idea: the loss/activation registry drives every name table, and nn.checks words
each bad input one way."""
from __future__ import annotations

import numpy as np
import pytest

import nn
from autograd import Tensor
from nn import checks, functional as F, layers, losses, manual, registry
from nn.output_loss import OUTPUT_ACTIVATIONS, probabilities


# -- registry ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", registry.ACTIVATION_SPECS, ids=lambda s: s.name)
def test_every_activation_row_names_its_module_and_every_spelling_builds_it(spec):
    for spelling in (spec.name, *spec.aliases, spec.name.upper()):
        assert type(nn.activation(spelling)).__name__ == spec.module
        assert registry.activation_name(spelling) == spec.name
    assert spec.name in manual.ACTIVATIONS and spec.formula and spec.derivative


@pytest.mark.parametrize("spec", registry.LOSS_SPECS, ids=lambda s: s.name)
def test_every_loss_row_resolves_to_its_module_functional_form_and_manual_name(spec):
    fn = losses.functional_form(spec.name)
    assert fn is getattr(F, spec.functional, None) or fn is getattr(losses, spec.functional)
    if spec.module:
        module = getattr(losses, spec.module)()
        assert registry.loss_of_module(module) == spec.name and losses.LOSSES[spec.name] is type(module)
    assert (spec.name in manual.LOSSES) == (spec.manual is not None)
    assert spec.default_output in spec.outputs and OUTPUT_ACTIVATIONS[spec.name] == spec.outputs
    assert spec.metric in nn.metrics.__all__
    for alias in spec.aliases:
        assert registry.loss_name(alias) == spec.name


def test_the_name_tables_are_read_from_the_registry():
    assert set(layers.ACTIVATIONS) == {a for s in registry.ACTIVATION_SPECS for a in (s.name, *s.aliases)}
    assert registry.TRAIN_LOSSES == ("mse", "l1", "bce", "bce_with_logits", "cross_entropy")
    assert manual.LOSSES == registry.MANUAL_LOSSES == ("mse", "half_sse", "bce", "bce_with_logits", "cross_entropy")
    assert registry.LOSS_ALIASES == {"ce": "cross_entropy", "sse": "half_sse"}
    assert registry.loss_name("hinge") is None and registry.activation_name("swish") is None


def test_a_custom_loss_module_has_no_registry_name():
    class Hinge(nn.Module):
        pass
    assert registry.loss_of_module(Hinge()) is None


def test_half_sse_loss_is_half_the_summed_squares():
    p, y = Tensor([[1.0], [3.0]]), np.array([[0.0], [1.0]])
    assert losses.half_sse_loss(p, y).item() == 0.5 * (1 + 4)


# -- probabilities from the registry, never from the values ----------------------------------------
def test_probability_outputs_are_returned_as_they_are():
    out = np.array([[0.2, 0.8], [0.6, 0.4]])
    assert probabilities(out, "softmax", "cross_entropy") is out
    np.testing.assert_array_equal(probabilities(out[:, :1], "sigmoid"), out[:, :1])


def test_logits_become_probabilities_the_way_the_loss_says():
    z = np.array([[0.0, 2.0], [-1.0, 1.0]])
    np.testing.assert_allclose(probabilities(z[:, :1], "identity", "bce_with_logits"), 1 / (1 + np.exp(-z[:, :1])))
    e = np.exp(z)
    np.testing.assert_allclose(probabilities(z, "identity", "cross_entropy"), e / e.sum(axis=1, keepdims=True))
    np.testing.assert_array_equal(probabilities(z, "identity", "mse"), z)   # regression values stay


def test_without_a_loss_an_identity_output_is_squashed_by_its_column_count():
    z = np.array([[0.5], [0.25]])                       # looks like probabilities, but they are logits
    np.testing.assert_allclose(probabilities(z, "identity"), 1 / (1 + np.exp(-z)))


def test_plot_reads_a_plain_callables_outputs_as_probabilities():
    from nn.plot import _probabilities
    out = np.array([[3.0], [-2.0]])
    assert _probabilities(lambda X: X, out) is out


# -- MLP exposes its pre-activations ------------------------------------------------------------------
def test_forward_with_preactivations_returns_each_z_and_the_output():
    model = nn.MLP([3, 4, 2], activations=["tanh", "identity"], seed=0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    zs, out = model.forward_with_preactivations(X)
    W0, b0 = model.layers[0].weight.data, model.layers[0].bias.data
    np.testing.assert_allclose(zs[0].data, X @ W0.T + b0)
    np.testing.assert_allclose(out.data, model(X).data)
    out.sum().backward()
    assert zs[0].grad.shape == (5, 4)


# -- nn.checks: one wording per error ----------------------------------------------------------------
def test_rows_refuses_a_scalar_an_empty_array_and_strings():
    with pytest.raises(ValueError, match=r"^fit: X must be an array of samples, got a scalar$"):
        checks.rows(3.0, "X", "fit")
    with pytest.raises(ValueError, match=r"^fit: X is empty \(0 rows\)$"):
        checks.rows(np.zeros((0, 2)), "X", "fit")
    assert checks.rows(np.zeros((0, 2)), "X", "fit", empty=True).shape == (0, 2)
    with pytest.raises(checks.NonNumericError, match=r"^fit: X must be numeric, got dtype <U1$") as err:
        checks.rows(np.array(["a"]), "X", "fit")
    assert isinstance(err.value, TypeError) and isinstance(err.value, ValueError)
    assert checks.rows(np.array(["a"]), "y", "split", numeric=False).dtype.kind == "U"


def test_finite_counts_the_bad_values():
    with pytest.raises(ValueError, match=r"^fit: X contains 1 non-finite value \(NaN or inf\)$"):
        checks.finite(np.array([1.0, np.nan]), "X", "fit")
    with pytest.raises(ValueError, match=r"^fit: X contains 2 non-finite values \(NaN or inf\)$"):
        checks.finite(np.array([np.inf, np.nan]), "X", "fit")
    checks.finite(np.array([1, 2]), "X", "fit")       # integers are always finite


def test_rows_reads_a_tensor_through_its_data():
    np.testing.assert_array_equal(checks.rows(Tensor([[1.0, 2.0]]), "X", "fit"), [[1.0, 2.0]])


def test_same_rows_and_class_labels():
    with pytest.raises(ValueError, match=r"^fit: X has 3 rows but y has 2$"):
        checks.same_rows(np.zeros((3, 1)), np.zeros(2), "fit")
    with pytest.raises(ValueError, match=r"^acc: y must hold integer class labels, got non-integer values$"):
        checks.class_labels(np.array([0.5]), 2, "y", "acc")
    with pytest.raises(ValueError, match=r"^acc: y labels must lie in \[0, 1\] for 2 score columns, got values in \[0, 2\]$"):
        checks.class_labels(np.array([0, 2]), 2, "y", "acc")
    np.testing.assert_array_equal(checks.class_labels(np.array([1.0, 0.0]), 2, "y", "acc"), [1, 0])
