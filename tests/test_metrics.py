"""Specification of nn.metrics: accuracy, mse, r2 — checked against scikit-learn."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nn import metrics

sk = pytest.importorskip("sklearn.metrics")

FAST = settings(max_examples=40, deadline=None)


class FakeTensor:
    """Stands in for autograd.Tensor: an object holding its values in `.data`."""

    def __init__(self, data):
        self.data = np.asarray(data)


# --------------------------------------------------------------------------
# against scikit-learn on random data
# --------------------------------------------------------------------------

@FAST
@given(n=st.integers(1, 60), seed=st.integers(0, 10_000), threshold=st.floats(0.05, 0.95))
def test_accuracy_of_probability_column_matches_sklearn(n, seed, threshold):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, (n, 1)).astype(float)
    p = rng.random((n, 1))
    expected = sk.accuracy_score(y.ravel(), (p.ravel() >= threshold).astype(int))
    assert metrics.accuracy(y, p, threshold=threshold) == pytest.approx(expected)


@FAST
@given(n=st.integers(1, 60), k=st.integers(2, 6), seed=st.integers(0, 10_000))
def test_accuracy_of_scores_matches_sklearn_for_labels_and_one_hot(n, k, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    scores = rng.normal(size=(n, k))
    expected = sk.accuracy_score(labels, scores.argmax(axis=1))
    assert metrics.accuracy(labels, scores) == pytest.approx(expected)
    assert metrics.accuracy(np.eye(k)[labels], scores) == pytest.approx(expected)


@FAST
@given(n=st.integers(1, 60), seed=st.integers(0, 10_000))
def test_accuracy_of_predicted_labels_matches_sklearn(n, seed):
    rng = np.random.default_rng(seed)
    t, p = rng.integers(0, 4, n), rng.integers(0, 4, n)
    assert metrics.accuracy(t, p) == pytest.approx(sk.accuracy_score(t, p))
    assert metrics.accuracy(t.reshape(-1, 1), p.reshape(-1, 1)) == pytest.approx(sk.accuracy_score(t, p))


@FAST
@given(n=st.integers(1, 50), k=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_mse_matches_sklearn(n, k, seed):
    rng = np.random.default_rng(seed)
    t, p = rng.normal(size=(n, k)), rng.normal(size=(n, k))
    assert metrics.mse(t, p) == pytest.approx(sk.mean_squared_error(t, p), rel=1e-12)


@FAST
@given(n=st.integers(2, 50), k=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_r2_matches_sklearn(n, k, seed):
    rng = np.random.default_rng(seed)
    t = rng.normal(size=(n, k))
    p = t + rng.normal(scale=0.5, size=(n, k))
    assert metrics.r2(t, p) == pytest.approx(sk.r2_score(t, p), rel=1e-10, abs=1e-12)
    assert metrics.r2(t[:, 0], p[:, 0]) == pytest.approx(sk.r2_score(t[:, 0], p[:, 0]), rel=1e-10, abs=1e-12)


def test_r2_of_constant_target_follows_sklearn():
    t = np.full((5, 1), 2.0)
    assert metrics.r2(t, t.copy()) == sk.r2_score(t, t) == 1.0
    assert metrics.r2(t, t + 1) == sk.r2_score(t, t + 1) == 0.0


# --------------------------------------------------------------------------
# semantics
# --------------------------------------------------------------------------

def test_accuracy_threshold_is_inclusive():
    y = np.array([[1.0], [0.0]])
    assert metrics.accuracy(y, np.array([[0.5], [0.49]])) == 1.0
    assert metrics.accuracy(y, np.array([[0.5], [0.5]]), threshold=0.6) == 0.5


def test_logits_can_be_thresholded_at_zero():
    y = np.array([[1.0], [0.0], [1.0]])
    assert metrics.accuracy(y, np.array([[2.0], [-1.0], [-0.5]]), threshold=0.0) == pytest.approx(2 / 3)


def test_metrics_accept_objects_with_data_attribute():
    y = FakeTensor([[1.0], [0.0], [1.0], [1.0]])
    p = FakeTensor([[0.9], [0.2], [0.3], [0.6]])
    assert metrics.accuracy(y, p) == 0.75
    assert metrics.mse(y, p) == pytest.approx(np.mean((y.data - p.data) ** 2))
    assert metrics.r2(y, p) == pytest.approx(sk.r2_score(y.data, p.data))


def test_metrics_accept_lists_and_return_python_floats():
    for value in [metrics.accuracy([0, 1], [0, 0]), metrics.mse([1.0, 2.0], [1.0, 3.0]),
                  metrics.r2([1.0, 2.0, 3.0], [1.0, 2.0, 2.0])]:
        assert type(value) is float
    assert metrics.mse([1.0, 2.0], [1.0, 3.0]) == 0.5


def test_float32_inputs_work():
    t = np.array([[1.0], [2.0]], dtype=np.float32)
    assert metrics.mse(t, t * 2) == pytest.approx(2.5)


# --------------------------------------------------------------------------
# errors
# --------------------------------------------------------------------------

@pytest.mark.parametrize("fn", [metrics.mse, metrics.r2, metrics.accuracy])
def test_column_against_vector_is_refused_not_broadcast(fn):
    t = np.array([[0.0], [1.0], [1.0]])
    p = np.array([0.0, 1.0, 0.0])
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"{name}: y_true has shape \(3, 1\) but y_pred has shape \(3,\); reshape"):
        fn(t, p)


def test_mse_mismatched_lengths():
    with pytest.raises(ValueError, match=r"mse: y_true has shape \(3, 1\) but y_pred has shape \(4, 1\)$"):
        metrics.mse(np.zeros((3, 1)), np.zeros((4, 1)))


def test_accuracy_sample_count_mismatch():
    with pytest.raises(ValueError, match=r"accuracy: y_true has 3 samples but y_pred has 4"):
        metrics.accuracy(np.zeros(3), np.zeros((4, 2)))


def test_accuracy_probabilities_need_binary_truth():
    with pytest.raises(ValueError, match=r"accuracy: y_pred holds probabilities of shape \(3, 1\), so y_true must hold 0/1"):
        metrics.accuracy(np.array([[0.0], [2.0], [1.0]]), np.array([[0.1], [0.9], [0.5]]))


def test_accuracy_scores_need_labels_or_one_hot():
    with pytest.raises(ValueError, match=r"accuracy: y_pred holds scores of shape \(2, 3\), so y_true must be labels of shape \(2,\) or one-hot"):
        metrics.accuracy(np.array([[0], [2]]), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"accuracy: y_true labels must lie in \[0, 2\] for 3 score columns, got values in \[0, 3\]"):
        metrics.accuracy(np.array([0, 3]), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"accuracy: y_true must hold integer class labels"):
        metrics.accuracy(np.array([0.5, 1.0]), np.zeros((2, 3)))


def test_accuracy_rejects_three_dimensional_predictions():
    with pytest.raises(ValueError, match=r"accuracy: y_pred must be \(n,\), \(n, 1\) or \(n, k\) scores, got shape \(2, 2, 2\)"):
        metrics.accuracy(np.zeros(2), np.zeros((2, 2, 2)))


@pytest.mark.parametrize("fn", [metrics.mse, metrics.r2, metrics.accuracy])
def test_empty_scalar_and_nonfinite_inputs_are_refused(fn):
    name = fn.__name__
    with pytest.raises(ValueError, match=rf"{name}: y_true is empty"):
        fn(np.zeros((0, 1)), np.zeros((0, 1)))
    with pytest.raises(ValueError, match=rf"{name}: y_pred must be an array of samples, got a scalar"):
        fn(np.zeros(1), 0.5)
    with pytest.raises(ValueError, match=rf"{name}: y_pred contains 2 non-finite values \(NaN or inf\)"):
        fn(np.zeros((3, 1)), np.array([[np.nan], [0.0], [np.inf]]))
    with pytest.raises(ValueError, match=rf"{name}: y_true must be numeric, got dtype <U1"):
        fn(np.array(["a", "b"]), np.zeros(2))


def test_r2_needs_two_samples():
    with pytest.raises(ValueError, match=r"r2: needs at least 2 samples, got 1"):
        metrics.r2(np.zeros((1, 1)), np.zeros((1, 1)))
