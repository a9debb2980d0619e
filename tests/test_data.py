"""Specification of nn.data: toy datasets, the seeds' data, splitting, scaling, batching."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nn import data

FAST = settings(max_examples=40, deadline=None)

BINARY = [data.make_moons, data.make_circles, data.make_xor]
GENERIC = [data.make_moons, data.make_circles, data.make_xor, data.make_spirals, data.make_blobs]
ALL = GENERIC + [data.make_sine, data.make_surface]


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# --------------------------------------------------------------------------
# shapes, dtypes, reproducibility
# --------------------------------------------------------------------------

@pytest.mark.parametrize("make", BINARY)
def test_binary_datasets_return_float_column_targets(make):
    X, y = make(n_samples=37, noise=0.1, seed=0)
    assert X.shape == (37, 2) and X.dtype == np.float64
    assert y.shape == (37, 1) and y.dtype == np.float64
    assert set(np.unique(y)) <= {0.0, 1.0}


@pytest.mark.parametrize("make", [data.make_sine, data.make_surface])
def test_regression_datasets_return_float_column_targets(make):
    X, y = make(n_samples=50)
    assert X.dtype == np.float64 and X.shape[0] == 50 and X.ndim == 2
    assert y.shape == (50, 1) and y.dtype == np.float64


def test_sine_has_one_feature_and_surface_two():
    assert data.make_sine(10)[0].shape == (10, 1)
    assert data.make_surface(10)[0].shape == (10, 2)


@pytest.mark.parametrize("make", [data.make_spirals, data.make_blobs])
def test_multiclass_datasets_return_int64_labels(make):
    X, y = make(n_samples=61, seed=1)
    assert X.shape == (61, 2) and X.dtype == np.float64
    assert y.shape == (61,) and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1, 2}


@pytest.mark.parametrize("make", ALL)
def test_same_seed_gives_same_data(make):
    X1, y1 = make(n_samples=40, seed=5)
    X2, y2 = make(n_samples=40, seed=5)
    assert np.array_equal(X1, X2) and np.array_equal(y1, y2)


@pytest.mark.parametrize("make", [data.make_moons, data.make_circles, data.make_xor, data.make_spirals])
def test_different_seed_gives_different_data(make):
    X1, _ = make(n_samples=40, noise=0.1, seed=5)
    X2, _ = make(n_samples=40, noise=0.1, seed=6)
    assert not np.array_equal(X1, X2)


@pytest.mark.parametrize("make", [data.make_blobs, data.make_sine, data.make_surface])
def test_different_seed_gives_different_data_defaults(make):
    assert not np.array_equal(make(n_samples=40, seed=5)[1], make(n_samples=40, seed=6)[1])


@pytest.mark.parametrize("make", GENERIC)
def test_generator_passed_as_rng_is_used_and_advanced(make):
    rng = np.random.default_rng(3)
    first = make(n_samples=30, rng=rng)[0]
    second = make(n_samples=30, rng=rng)[0]
    assert np.array_equal(first, make(n_samples=30, rng=np.random.default_rng(3))[0])
    assert not np.array_equal(first, second)


def test_generic_generators_use_default_rng_with_the_seed():
    # make_moons draws the permutation then the noise from default_rng(seed)
    X, y = data.make_moons(20, noise=0.3, seed=11)
    X0, y0 = data.make_moons(20, noise=0.0, seed=11)
    g = np.random.default_rng(11)
    g.permutation(20)
    assert np.allclose(X - X0, 0.3 * g.standard_normal((20, 2)), rtol=0, atol=1e-15)
    assert np.array_equal(y, y0)


def test_generators_never_touch_the_global_numpy_state():
    np.random.seed(123)
    expected = np.random.rand(3)
    np.random.seed(123)
    data.make_sine()
    data.make_surface(100)
    data.make_moons(10, seed=1, legacy="tutorial")
    data.train_test_split(np.arange(10), np.arange(10), seed=1, legacy=True)
    assert np.array_equal(np.random.rand(3), expected)


# --------------------------------------------------------------------------
# geometry and balance
# --------------------------------------------------------------------------

@pytest.mark.parametrize("n", [2, 9, 100, 201])
@pytest.mark.parametrize("make", [data.make_moons, data.make_circles])
def test_moons_and_circles_are_balanced(make, n):
    _, y = make(n_samples=n, noise=0.2, seed=0)
    assert int((y == 0).sum()) == n // 2
    assert int((y == 1).sum()) == n - n // 2


def test_noise_free_moons_lie_on_their_half_circles():
    X, y = data.make_moons(101, noise=0.0, seed=3)
    upper, lower = X[y[:, 0] == 0], X[y[:, 0] == 1]
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)
    # the ends of each half circle are included
    assert np.isclose(upper[:, 0].max(), 1.0) and np.isclose(upper[:, 0].min(), -1.0)
    assert np.isclose(lower[:, 0].max(), 2.0) and np.isclose(lower[:, 0].min(), 0.0)


@pytest.mark.parametrize("factor", [0.0, 0.3, 0.8])
def test_noise_free_circles_have_radii_one_and_factor(factor):
    X, y = data.make_circles(60, noise=0.0, factor=factor, seed=2)
    r = np.hypot(X[:, 0], X[:, 1])
    assert np.allclose(r[y[:, 0] == 0], 1.0)
    assert np.allclose(r[y[:, 0] == 1], factor)
    # no repeated point on the outer circle
    assert len(np.unique(np.round(X[y[:, 0] == 0], 12), axis=0)) == 30


def test_noise_moves_points_off_the_geometry_by_about_noise():
    X0, _ = data.make_moons(4000, noise=0.0, seed=8)
    X1, _ = data.make_moons(4000, noise=0.25, seed=8)
    assert np.std(X1 - X0) == pytest.approx(0.25, rel=0.05)


def test_xor_default_is_exactly_the_four_points():
    X, y = data.make_xor()
    assert np.array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert np.array_equal(y, [[0], [1], [1], [0]])


def test_larger_xor_samples_around_the_corners_with_xor_labels():
    X, y = data.make_xor(400, noise=0.1, seed=0)
    corners = np.round(X).clip(0, 1)
    assert np.array_equal(y[:, 0], np.logical_xor(corners[:, 0], corners[:, 1]).astype(float))
    assert np.bincount(y[:, 0].astype(int)).tolist() == [200, 200]
    assert np.abs(X - corners).max() < 0.6


def test_noise_free_spiral_arms_follow_their_angle():
    X, y = data.make_spirals(90, n_classes=3, noise=0.0, seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    angle = np.arctan2(X[:, 0], X[:, 1])
    expected = 2 * np.pi * y / 3 + 4 * r
    assert np.allclose(np.angle(np.exp(1j * (angle - expected))), 0, atol=1e-9)
    assert r.min() > 0 and np.isclose(r.max(), 1.0)


def test_blobs_cluster_around_given_centers_with_given_spread():
    centers = np.array([[0.0, 0.0, 0.0], [10.0, -5.0, 2.0]])
    X, y = data.make_blobs(4000, centers=centers, cluster_std=[0.5, 2.0], seed=0)
    assert X.shape == (4000, 3)
    for k, std in enumerate([0.5, 2.0]):
        assert np.allclose(X[y == k].mean(axis=0), centers[k], atol=0.2)
        assert np.std(X[y == k] - centers[k]) == pytest.approx(std, rel=0.05)


def test_blobs_random_centers_lie_in_center_box():
    X, y = data.make_blobs(300, centers=4, n_features=5, cluster_std=0.0, center_box=(-2, 3), seed=9)
    assert X.shape == (300, 5)
    assert X.min() >= -2 and X.max() <= 3
    assert len(np.unique(X, axis=0)) == 4


def test_sine_inputs_are_sorted_on_minus_pi_pi():
    X, y = data.make_sine(200)
    assert X[0, 0] == -np.pi and X[-1, 0] == np.pi and np.all(np.diff(X[:, 0]) > 0)
    assert np.abs(y - np.sin(X)).max() < 0.5


def test_surface_without_noise_is_the_formula():
    X, y = data.make_surface(500, noise=0.0, seed=1)
    x1, x2 = X[:, 0], X[:, 1]
    assert np.allclose(y[:, 0], x1 * x2 + x1**2 + np.exp(np.sin(x2)))
    assert X.min() >= -5 and X.max() <= 5


# --------------------------------------------------------------------------
# the seeds' data (the printed numbers are the spec)
# --------------------------------------------------------------------------

def test_seed000_sine_defaults_are_the_notebooks_data():
    # notebook: np.random.seed(87); X = linspace(-pi, pi, 200); y = sin X + 0.1 randn(200, 1)
    X, y = data.make_sine()
    rs = np.random.RandomState(87)
    X_ref = np.linspace(-np.pi, np.pi, 200).reshape(-1, 1)
    y_ref = np.sin(X_ref) + 0.1 * rs.randn(200, 1)
    assert np.array_equal(X, X_ref) and np.array_equal(y, y_ref)


def test_seed000_sine_modern_stream_differs_from_legacy():
    assert not np.array_equal(data.make_sine(legacy=False)[1], data.make_sine()[1])


def test_seed004_surface_defaults_are_the_notebooks_data():
    X, y = data.make_surface()
    assert X.shape == (10_000, 2) and y.shape == (10_000, 1)
    rs = np.random.RandomState(2025)
    eps, x1, x2 = rs.normal(0, 1, 10_000), rs.uniform(-5, 5, 10_000), rs.uniform(-5, 5, 10_000)
    assert np.array_equal(X, np.column_stack([x1, x2]))
    assert np.array_equal(y[:, 0], x1 * x2 + x1**2 + np.exp(np.sin(x2)) + eps)


def test_seed004_printed_target_statistics():
    _, y = data.make_surface()
    assert f"{np.mean(y):.3f}" == "9.532"
    assert f"{np.min(y):.3f}" == "-7.282"
    assert f"{np.max(y):.3f}" == "53.252"


def _seed004_net(X, h, bias, sigmoid_output):
    """2 -> h -> 1, sigmoid hidden layer, every weight 1, every bias `bias`."""
    hidden = _sigmoid(X @ np.ones((2, h)) + bias)
    out = hidden @ np.ones((h, 1)) + bias
    return _sigmoid(out) if sigmoid_output else out


def test_seed004_printed_mse_before_training():
    # Both printed figures are for h = 2 with all weights 1 and all biases 0 (the
    # notebook's np.zeros biases): 203.17... with a sigmoid output unit (cell 3),
    # 198.65... with the linear output unit used for training (cell 5).
    X, y = data.make_surface()
    mse_sigmoid_out = np.mean((y - _seed004_net(X, 2, 0.0, True)) ** 2)
    mse_linear_out = np.mean((y - _seed004_net(X, 2, 0.0, False)) ** 2)
    assert mse_sigmoid_out == pytest.approx(203.1757236001885, rel=1e-12)
    assert mse_linear_out == pytest.approx(198.65838851753207, rel=1e-12)


def test_seed004_printed_mse_needs_zero_biases_not_ones():
    X, y = data.make_surface()
    mse_with_unit_biases = np.mean((y - _seed004_net(X, 2, 1.0, False)) ** 2)
    assert abs(mse_with_unit_biases - 198.65838851753207) > 1.0


def test_seed004_all_ones_hidden_units_are_identical():
    X, _ = data.make_surface(100)
    hidden = _sigmoid(X @ np.ones((2, 4)))
    assert np.all(hidden == hidden[:, :1])


def test_seed002_moons_and_split_reproduce_printed_class_counts():
    # make_moons_manual(500, noise=0.2, seed=42) then train_test_split_manual(test_size=0.2, seed=42)
    X, y = data.make_moons(500, noise=0.2, seed=42, legacy="tutorial")
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.2, seed=42, legacy="tutorial")
    assert X_tr.shape == (400, 2) and X_te.shape == (100, 2)
    assert np.bincount(y_tr[:, 0].astype(int)).tolist() == [201, 199]


def test_seed002_moons_recipe_draws_noise_then_permutation():
    X, y = data.make_moons(500, noise=0.2, seed=42, legacy=True)
    rs = np.random.RandomState(42)
    t = np.linspace(0, np.pi, 250)
    clean = np.vstack([np.column_stack([np.cos(t), np.sin(t)]),
                       np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])])
    noisy = clean + rs.normal(0, 0.2, clean.shape)
    perm = rs.permutation(500)
    assert np.allclose(X, noisy[perm], rtol=0, atol=1e-15)
    assert np.array_equal(y[:, 0], (perm >= 250).astype(float))


def test_seed002_recipe_also_works_for_odd_sizes():
    # the tutorial's own function fails for odd n (it permutes n rows but makes 2 * (n // 2))
    X, y = data.make_moons(501, noise=0.2, seed=42, legacy="tutorial")
    assert X.shape == (501, 2) and int(y.sum()) == 251


def test_seed003_moons_and_split_equal_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    model_selection = pytest.importorskip("sklearn.model_selection")
    X, y = data.make_moons(1000, noise=0.2, seed=42, legacy="sklearn")
    X_sk, y_sk = datasets.make_moons(n_samples=1000, noise=0.2, random_state=42)
    assert np.array_equal(X, X_sk) and np.array_equal(y[:, 0], y_sk)
    ours = data.train_test_split(X, y, test_size=0.3, seed=42, legacy="sklearn")
    theirs = model_selection.train_test_split(X_sk, y_sk, test_size=0.3, random_state=42)
    assert [a.shape[0] for a in ours] == [700, 300, 700, 300]
    for a, b in zip(ours, theirs):
        assert np.array_equal(a.reshape(b.shape), b)


def test_legacy_circles_equal_scikit_learn():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = data.make_circles(301, noise=0.05, factor=0.4, seed=7, legacy="sklearn")
    X_sk, y_sk = datasets.make_circles(n_samples=301, noise=0.05, factor=0.4, random_state=7)
    assert np.array_equal(X, X_sk) and np.array_equal(y[:, 0], y_sk)


# --------------------------------------------------------------------------
# train_test_split
# --------------------------------------------------------------------------

@FAST
@given(n=st.integers(2, 300), frac=st.floats(0.01, 0.99), seed=st.integers(0, 2**32 - 1))
def test_split_sizes_are_disjoint_and_cover_every_row(n, frac, seed):
    n_test = math.ceil(round(frac * n, 9))
    X = np.arange(n * 2).reshape(n, 2)
    y = np.arange(n)
    if n_test >= n:
        with pytest.raises(ValueError, match="leaves the train set empty"):
            data.train_test_split(X, y, test_size=frac, seed=seed)
        return
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=frac, seed=seed)
    assert len(X_te) == len(y_te) == n_test and len(X_tr) == len(y_tr) == n - n_test
    assert np.array_equal(X_tr[:, 0] // 2, y_tr) and np.array_equal(X_te[:, 0] // 2, y_te)
    assert sorted(np.concatenate([y_tr, y_te]).tolist()) == list(range(n))


def test_split_test_size_as_row_count():
    X_tr, X_te, _, _ = data.train_test_split(np.zeros((10, 3)), np.zeros((10, 1)), test_size=3, seed=0)
    assert X_tr.shape == (7, 3) and X_te.shape == (3, 3)


def test_split_fraction_ignores_float_fuzz():
    # 0.1 * 30 == 3.0000000000000004 in floating point; that is still 3 test rows
    _, X_te, _, _ = data.train_test_split(np.zeros((30, 1)), np.zeros(30), test_size=0.1, seed=0)
    assert len(X_te) == 3


def test_split_keeps_y_shape_and_pairs_rows():
    X, y = data.make_moons(50, noise=0.1, seed=0)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, seed=1)
    assert y_tr.shape == (40, 1) and y_te.shape == (10, 1)
    for Xa, ya in [(X_tr, y_tr), (X_te, y_te)]:
        for row, label in zip(Xa, ya):
            match = np.flatnonzero((X == row).all(axis=1))
            assert y[match[0], 0] == label[0]


def test_split_reproducible_with_seed_and_varies_across_seeds():
    X = np.arange(100).reshape(-1, 1)
    a = data.train_test_split(X, X, seed=4)
    b = data.train_test_split(X, X, seed=4)
    c = data.train_test_split(X, X, seed=5)
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    assert not np.array_equal(a[1], c[1])


def test_split_without_shuffle_takes_the_last_rows_for_test():
    X = np.arange(10).reshape(-1, 1)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, X[:, 0], test_size=0.3, shuffle=False)
    assert X_tr[:, 0].tolist() == list(range(7)) and X_te[:, 0].tolist() == [7, 8, 9]


@FAST
@given(
    counts=st.lists(st.integers(2, 60), min_size=2, max_size=4),
    frac=st.floats(0.1, 0.5),
    seed=st.integers(0, 1000),
)
def test_stratified_split_keeps_class_proportions(counts, frac, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    X = np.arange(len(y)).reshape(-1, 1)
    n = len(y)
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=frac, seed=seed, stratify=True)
    n_test = len(y_te)
    assert n_test == math.ceil(round(frac * n, 9))
    for k, c in enumerate(counts):
        # each class's test share is its proportional share, rounded up or down
        assert abs(int((y_te == k).sum()) - n_test * c / n) < 1
        assert int((y_te == k).sum()) + int((y_tr == k).sum()) == c
    assert np.array_equal(y[X_tr[:, 0]], y_tr) and np.array_equal(y[X_te[:, 0]], y_te)


def test_stratify_by_column_targets_and_by_explicit_labels():
    X, y = data.make_moons(100, noise=0.1, seed=0)
    _, _, _, y_te = data.train_test_split(X, y, test_size=0.2, seed=0, stratify=True)
    assert y_te.shape == (20, 1) and int(y_te.sum()) == 10
    groups = np.repeat([0, 1, 2, 3], 25)
    X_tr, X_te, _, _ = data.train_test_split(X, y, test_size=0.2, seed=0, stratify=groups)
    assert len(X_te) == 20


def test_stratified_test_rows_are_mixed_not_grouped_by_class():
    y = np.repeat([0, 1], 100)
    _, _, _, y_te = data.train_test_split(np.zeros((200, 1)), y, test_size=0.5, seed=0, stratify=True)
    assert np.count_nonzero(np.diff(y_te)) > 10


# --------------------------------------------------------------------------
# Standardizer
# --------------------------------------------------------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@FAST
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=20), elements=finite))
def test_standardizer_round_trip(X):
    s = data.Standardizer()
    Z = s.fit_transform(X)
    back = s.inverse_transform(Z)
    tol = 1e-9 * (1 + np.abs(X).max(axis=0))
    assert np.all(np.abs(back - X) <= tol)


@FAST
@given(hnp.arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)),
                  elements=st.floats(-100, 100, allow_nan=False)))
def test_standardized_columns_have_zero_mean_and_unit_or_zero_std(X):
    Z = data.Standardizer().fit_transform(X)
    assert np.allclose(Z.mean(axis=0), 0, atol=1e-9)
    stds = Z.std(axis=0)
    assert np.all(np.isclose(stds, 1, atol=1e-9) | np.isclose(stds, 0, atol=1e-9))


@FAST
@given(value=finite, n=st.integers(1, 500))
def test_constant_column_gets_scale_one(value, n):
    X = np.column_stack([np.full(n, value), np.arange(n, dtype=float)])
    s = data.Standardizer().fit(X)
    assert s.scale_[0] == 1.0
    Z = s.transform(X)
    assert np.all(np.isfinite(Z)) and np.allclose(Z[:, 0], 0, atol=1e-9 * (1 + abs(value)))


def test_standardizer_matches_mean_and_population_std():
    X = np.random.default_rng(0).normal(3, 2, (50, 3))
    s = data.Standardizer().fit(X)
    assert np.allclose(s.mean_, X.mean(axis=0)) and np.allclose(s.scale_, X.std(axis=0))
    assert np.allclose(s.transform(X), (X - X.mean(axis=0)) / X.std(axis=0))


def test_standardizer_uses_training_statistics_on_new_data():
    s = data.Standardizer().fit(np.array([[0.0], [2.0]]))
    assert s.transform(np.array([[4.0]])).tolist() == [[3.0]]


def test_standardizer_keeps_float32():
    X = np.random.default_rng(0).normal(size=(10, 2)).astype(np.float32)
    s = data.Standardizer()
    assert s.fit_transform(X).dtype == np.float32
    assert s.inverse_transform(s.transform(X)).dtype == np.float32
    assert s.transform(np.arange(4).reshape(2, 2)).dtype == np.float64


def test_standardizer_repr():
    s = data.Standardizer()
    assert repr(s) == "Standardizer(not fitted)"
    assert repr(s.fit(np.zeros((3, 2)))) == "Standardizer(n_features=2)"


# --------------------------------------------------------------------------
# batches
# --------------------------------------------------------------------------

@FAST
@given(n=st.integers(1, 120), batch_size=st.one_of(st.none(), st.integers(1, 150)),
       shuffle=st.booleans(), seed=st.integers(0, 100))
def test_batches_cover_every_row_exactly_once(n, batch_size, shuffle, seed):
    X = np.arange(n * 2).reshape(n, 2)
    y = np.arange(n).reshape(-1, 1)
    got = list(data.batches(X, y, batch_size=batch_size, shuffle=shuffle, seed=seed))
    size = n if batch_size is None else min(batch_size, n)
    assert len(got) == math.ceil(n / size)
    assert all(len(Xb) == size for Xb, _ in got[:-1]) and 1 <= len(got[-1][0]) <= size
    rows = np.concatenate([yb[:, 0] for _, yb in got])
    assert sorted(rows.tolist()) == list(range(n))
    for Xb, yb in got:
        assert np.array_equal(Xb[:, 0] // 2, yb[:, 0])
    if not shuffle:
        assert rows.tolist() == list(range(n))


def test_batches_full_batch_by_default_and_last_partial_kept():
    X = np.zeros((10, 1))
    assert [len(b) for b, _ in data.batches(X, X)] == [10]
    assert [len(b) for b, _ in data.batches(X, X, batch_size=4)] == [4, 4, 2]


def test_batches_shuffle_differs_per_epoch_with_shared_rng_and_repeats_with_seed():
    X = np.arange(50).reshape(-1, 1)
    rng = np.random.default_rng(0)
    e1 = np.concatenate([b for b, _ in data.batches(X, X, 10, rng=rng)])
    e2 = np.concatenate([b for b, _ in data.batches(X, X, 10, rng=rng)])
    assert not np.array_equal(e1, e2)
    s1 = np.concatenate([b for b, _ in data.batches(X, X, 10, seed=3)])
    s2 = np.concatenate([b for b, _ in data.batches(X, X, 10, seed=3)])
    assert np.array_equal(s1, s2) and not np.array_equal(s1, X)


def test_batches_without_targets_yield_none():
    assert all(yb is None for _, yb in data.batches(np.zeros((5, 2)), None, batch_size=2))


# --------------------------------------------------------------------------
# errors (the messages are part of the API)
# --------------------------------------------------------------------------

@pytest.mark.parametrize("make", ALL)
@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_n_samples_is_refused(make, n):
    with pytest.raises(ValueError, match=rf"{make.__name__}: n_samples must be an integer >= 1"):
        make(n_samples=n)


@pytest.mark.parametrize("make", [m for m in ALL if m is not data.make_blobs])
def test_negative_noise_is_refused(make):
    with pytest.raises(ValueError, match=rf"{make.__name__}: noise must be a finite number >= 0, got -0.1"):
        make(noise=-0.1)


def test_negative_cluster_std_is_refused():
    with pytest.raises(ValueError, match=r"make_blobs: cluster_std must be finite and >= 0, got -0.1"):
        data.make_blobs(cluster_std=-0.1)


def test_nan_noise_is_refused():
    with pytest.raises(ValueError, match=r"make_moons: noise must be a finite number >= 0, got nan"):
        data.make_moons(noise=float("nan"))


def test_other_generator_argument_errors():
    with pytest.raises(ValueError, match=r"make_circles: factor must lie in \[0, 1\), got 1.5"):
        data.make_circles(factor=1.5)
    with pytest.raises(ValueError, match=r"make_spirals: n_classes must be an integer >= 2, got 1"):
        data.make_spirals(n_classes=1)
    with pytest.raises(ValueError, match=r"make_spirals: n_samples=2 is fewer than n_classes=3"):
        data.make_spirals(n_samples=2)
    with pytest.raises(ValueError, match=r"make_blobs: n_features=3 but centers have 2 features"):
        data.make_blobs(centers=[[0, 0], [1, 1]], n_features=3)
    with pytest.raises(ValueError, match=r"make_blobs: cluster_std must be a number or one per center \(3\)"):
        data.make_blobs(cluster_std=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"make_moons: legacy must be False, True or one of 'tutorial', 'sklearn', got 'numpy'"):
        data.make_moons(legacy="numpy")
    with pytest.raises(ValueError, match=r"make_xor: seed must be None or an integer in \[0, 2\*\*32\), got -1"):
        data.make_xor(seed=-1)
    with pytest.raises(TypeError, match=r"make_moons: rng must be a numpy.random.Generator or RandomState, got int"):
        data.make_moons(rng=3)


def test_split_length_mismatch_names_both_counts():
    with pytest.raises(ValueError, match=r"^train_test_split: X has 10 rows but y has 9$"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(9))


@pytest.mark.parametrize("test_size", [0.0, 1.0, -0.2, 1.5, 0, -1, 11])
def test_split_test_size_out_of_range(test_size):
    with pytest.raises(ValueError, match=r"train_test_split: test_size=.* is out of range"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), test_size=test_size)


@pytest.mark.parametrize("test_size", ["0.2", None, True])
def test_split_test_size_of_wrong_type(test_size):
    with pytest.raises(ValueError, match=r"train_test_split: test_size must be a fraction in \(0, 1\) or a row count"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), test_size=test_size)


def test_split_leaving_an_empty_side():
    with pytest.raises(ValueError, match=r"train_test_split: test_size=0.95 puts all 10 rows in the test set"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), test_size=0.95)
    with pytest.raises(ValueError, match=r"train_test_split: test_size=10 puts all 10 rows in the test set"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), test_size=10)
    with pytest.raises(ValueError, match=r"train_test_split: test_size=0.05 of 10 rows leaves the test set empty"):
        data.train_test_split(np.zeros((10, 2)), np.zeros(10), test_size=0.05, legacy="tutorial")


def test_split_empty_data():
    with pytest.raises(ValueError, match=r"train_test_split: X and y are empty \(0 rows\)"):
        data.train_test_split(np.zeros((0, 2)), np.zeros(0))


def test_split_stratify_errors():
    X, y = np.zeros((10, 1)), np.array([0] * 9 + [1])
    with pytest.raises(ValueError, match=r"train_test_split: cannot stratify, class 1 has only 1 row"):
        data.train_test_split(X, y, stratify=True)
    with pytest.raises(ValueError, match=r"train_test_split: stratify has 9 entries but X has 10 rows"):
        data.train_test_split(X, y, stratify=np.zeros(9))
    with pytest.raises(ValueError, match=r"train_test_split: stratify requires shuffle=True"):
        data.train_test_split(X, y, stratify=True, shuffle=False)
    with pytest.raises(ValueError, match=r"train_test_split: stratify is not available with legacy='sklearn'"):
        data.train_test_split(X, y, stratify=True, legacy="sklearn")


@pytest.mark.parametrize("where", ["X", "y"])
def test_nonfinite_values_are_counted_and_refused(where):
    X, y = np.zeros((6, 2)), np.zeros((6, 1))
    if where == "X":
        X[0, 0], X[3, 1] = np.nan, np.inf
        count = "2 non-finite values"
    else:
        y[2, 0] = -np.inf
        count = "1 non-finite value"
    with pytest.raises(ValueError, match=rf"train_test_split: {where} contains {count} \(NaN or inf\)"):
        data.train_test_split(X, y)
    with pytest.raises(ValueError, match=rf"batches: {where} contains {count} \(NaN or inf\)"):
        data.batches(X, y)


def test_standardizer_errors():
    s = data.Standardizer()
    with pytest.raises(RuntimeError, match=r"Standardizer.transform: this Standardizer is not fitted yet; call fit"):
        s.transform(np.zeros((2, 2)))
    with pytest.raises(RuntimeError, match=r"Standardizer.inverse_transform: this Standardizer is not fitted yet"):
        s.inverse_transform(np.zeros((2, 2)))
    s.fit(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"Standardizer.transform: X has 3 features but the Standardizer was fitted on 2"):
        s.transform(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"Standardizer.inverse_transform: X has 1 features but the Standardizer was fitted on 2"):
        s.inverse_transform(np.zeros((4, 1)))
    with pytest.raises(ValueError, match=r"Standardizer.fit: X must be 2-D \(n_samples, n_features\), got shape \(4,\); use X.reshape\(-1, 1\)"):
        s.fit(np.zeros(4))
    with pytest.raises(ValueError, match=r"Standardizer.fit: X has no rows"):
        s.fit(np.zeros((0, 2)))
    with pytest.raises(ValueError, match=r"Standardizer.fit: X contains 1 non-finite value \(NaN or inf\)"):
        s.fit(np.array([[1.0, np.nan]]))


def test_batches_errors_are_raised_at_call_time():
    X = np.zeros((5, 2))
    for bad in [0, -1, 2.0, True]:
        with pytest.raises(ValueError, match=r"batches: batch_size must be an integer >= 1 or None, got"):
            data.batches(X, X, batch_size=bad)
    with pytest.raises(ValueError, match=r"batches: X has 5 rows but y has 4"):
        data.batches(X, np.zeros(4))
    with pytest.raises(ValueError, match=r"batches: X is empty \(0 rows\)"):
        data.batches(np.zeros((0, 2)), None)


@pytest.mark.parametrize("make", ALL)
def test_seed_and_rng_together_are_refused(make):
    with pytest.raises(ValueError, match=rf"^{make.__name__}: pass either seed= or rng=, not both$"):
        make(n_samples=20, seed=1, rng=np.random.default_rng(1))


def test_split_and_batches_refuse_seed_and_rng_together():
    X = np.arange(20.0).reshape(10, 2)
    with pytest.raises(ValueError, match=r"^train_test_split: pass either seed= or rng=, not both$"):
        data.train_test_split(X, X, seed=1, rng=np.random.default_rng(1))
    with pytest.raises(ValueError, match=r"^batches: pass either seed= or rng=, not both$"):
        list(data.batches(X, X, 5, seed=1, rng=np.random.default_rng(1)))


@pytest.mark.parametrize("make", [data.make_sine, data.make_surface])
def test_rng_alone_overrides_the_seeds_default_seed(make):
    a = make(n_samples=20, rng=np.random.default_rng(4), legacy=False)[1]
    assert np.array_equal(a, make(n_samples=20, seed=4, legacy=False)[1])
