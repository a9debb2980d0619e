"""nn.plot: every function returns a Figure, writes a valid PNG, and draws what it says."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import nn  # noqa: E402
from nn import data as D  # noqa: E402
from nn import plot  # noqa: E402

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def is_png(path) -> bool:
    with open(path, "rb") as f:
        return f.read(8) == PNG_MAGIC and os.path.getsize(path) > 1000


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def moons_run():
    """A tiny classifier trained on moons, with validation and an accuracy metric."""
    X, y = D.make_moons(120, noise=0.15, seed=0)
    model = nn.MLP([2, 12, 1], activations=["tanh", "sigmoid"], seed=0)
    history = nn.fit(model, X, y, nn.BCELoss(), nn.optim.Adam(model.parameters(), lr=0.05), epochs=150,
                     validation_fraction=0.25, metrics=["accuracy"], seed=0, progress=False)
    return model, history, X, y


# -- plot_history ----------------------------------------------------------------------------------
def test_plot_history_returns_figure_and_writes_png(moons_run, tmp_path):
    _, history, _, _ = moons_run
    path = tmp_path / "deep" / "folder" / "loss.png"
    fig = plot.plot_history(history, path=path)
    assert isinstance(fig, Figure)
    assert is_png(path)
    ax = fig.axes[0]
    train, val = ax.lines[0], ax.lines[1]
    np.testing.assert_allclose(train.get_ydata(), history.train_loss)
    np.testing.assert_allclose(val.get_ydata(), history.val_loss)
    assert any("best epoch" in t.get_text() for t in ax.get_legend().get_texts())


def test_plot_history_several_runs_metric_and_log_scale(moons_run, tmp_path):
    _, history, _, _ = moons_run
    fig = plot.plot_history({"a": history, "b": history}, metric="accuracy", log=True, path=tmp_path / "acc.png")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert ax.get_ylabel() == "accuracy"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "a train" in labels and "b validation" in labels
    np.testing.assert_allclose(ax.lines[0].get_ydata(), history.metrics["accuracy"])
    assert is_png(tmp_path / "acc.png")


def test_plot_history_list_needs_matching_labels(moons_run):
    _, history, _, _ = moons_run
    fig = plot.plot_history([history, history], labels=["x", "y"])
    assert isinstance(fig, Figure)
    with pytest.raises(ValueError, match="2 histories but 1 labels"):
        plot.plot_history([history, history], labels=["x"])


def test_plot_history_unknown_metric_names_what_was_recorded(moons_run):
    _, history, _, _ = moons_run
    with pytest.raises(ValueError, match=r"'r2' was not recorded.*\['accuracy'\]"):
        plot.plot_history(history, metric="r2")


# -- plot_decision_boundary ------------------------------------------------------------------------
def test_decision_boundary_binary_draws_probabilities_and_the_half_contour(moons_run, tmp_path):
    model, _, X, y = moons_run
    path = tmp_path / "boundary.png"
    fig = plot.plot_decision_boundary(model, X, y, path=path, resolution=60)
    assert isinstance(fig, Figure)
    assert is_png(path)
    assert len(fig.axes) == 2                         # the plot and its probability colorbar
    assert fig.axes[1].get_ylabel() == "P(class 1)"


def test_decision_boundary_probabilities_are_the_models(moons_run):
    """The filled contours come from nn.predict on the grid: check one grid point through a callable."""
    model, _, X, y = moons_run
    seen = {}

    def spy(G):
        seen["grid"] = G
        return nn.predict(model, G)
    plot.plot_decision_boundary(spy, X, y, resolution=30)
    G = seen["grid"]
    assert G.shape == (900, 2)
    assert G[:, 0].min() == pytest.approx(X[:, 0].min() - 0.5)
    assert G[:, 1].max() == pytest.approx(X[:, 1].max() + 0.5)


def test_decision_boundary_logits_and_transform(tmp_path):
    X, y = D.make_circles(100, noise=0.05, factor=0.5, seed=1)
    scaler = D.Standardizer().fit(X)
    model = nn.MLP([2, 16, 1], activations=["relu", "identity"], seed=1)   # logits
    nn.fit(model, scaler.transform(X), y, nn.BCEWithLogitsLoss(), nn.optim.Adam(model.parameters(), lr=0.05),
           epochs=100, progress=False)
    fig = plot.plot_decision_boundary(model, X, y, transform=scaler.transform, path=tmp_path / "c.png",
                                      resolution=40)
    assert is_png(tmp_path / "c.png")
    assert isinstance(fig, Figure)


def test_decision_boundary_multiclass(tmp_path):
    X, y = D.make_blobs(150, centers=3, cluster_std=0.8, seed=3)
    model = nn.MLP([2, 16, 3], activations=["relu", "identity"], seed=3)
    nn.fit(model, X, y, nn.CrossEntropyLoss(), nn.optim.Adam(model.parameters(), lr=0.05), epochs=80,
           progress=False)
    fig = plot.plot_decision_boundary(model, X, y, path=tmp_path / "blobs.png", resolution=50)
    assert isinstance(fig, Figure)
    assert is_png(tmp_path / "blobs.png")
    assert len(fig.axes) == 1                         # regions shaded by confidence, no colorbar


def test_decision_boundary_rejects_inputs_that_are_not_2d(moons_run):
    model, _, X, y = moons_run
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\), got \(120, 3\)"):
        plot.plot_decision_boundary(model, np.hstack([X, X[:, :1]]), y)
    with pytest.raises(ValueError, match="X has 120 rows but y has 10"):
        plot.plot_decision_boundary(model, X, y[:10])


# -- plot_regression_fit ---------------------------------------------------------------------------
def test_regression_fit_draws_data_and_one_line_per_model(tmp_path):
    X, y = D.make_sine(60)
    model = nn.MLP([1, 8, 1], activations=["tanh", "identity"], seed=0)
    path = tmp_path / "fit.png"
    fig = plot.plot_regression_fit({"net": model, "sin": np.sin}, X, y, path=path, n_points=50)
    assert isinstance(fig, Figure)
    assert is_png(path)
    ax = fig.axes[0]
    assert len(ax.lines) == 2
    sin_line = ax.lines[1]
    np.testing.assert_allclose(sin_line.get_ydata(), np.sin(sin_line.get_xdata()))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["data", "net", "sin"]


def test_regression_fit_single_model_is_labelled_by_its_architecture():
    X, y = D.make_sine(30)
    fig = plot.plot_regression_fit(nn.MLP([1, 4, 1], seed=0), X[:, 0], y[:, 0])
    assert "1→4→1" in fig.axes[0].get_legend().get_texts()[1].get_text()


def test_regression_fit_needs_one_input_feature():
    X, y = D.make_surface(50)
    with pytest.raises(ValueError, match="X must have one feature"):
        plot.plot_regression_fit(np.sin, X, y)


# -- plot_curves -----------------------------------------------------------------------------------
def test_plot_curves_one_line_per_label(tmp_path):
    curves = {"lr = 0.1": [1.0, 0.5, 0.25], "lr = 0.01": [1.0, 0.9, 0.8, 0.7]}
    path = tmp_path / "curves.png"
    fig = plot.plot_curves(curves, title="learning rates", ylabel="BCE", log=True, path=path)
    assert isinstance(fig, Figure)
    assert is_png(path)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "BCE" and ax.get_title() == "learning rates"
    assert [list(line.get_ydata()) for line in ax.lines] == [curves["lr = 0.1"], curves["lr = 0.01"]]
    assert list(ax.lines[1].get_xdata()) == [1, 2, 3, 4]


def test_plot_curves_rejects_nothing_to_plot():
    with pytest.raises(ValueError, match="no curves"):
        plot.plot_curves({})
    with pytest.raises(ValueError, match="curve 'a' is empty"):
        plot.plot_curves({"a": []})


# -- activations -----------------------------------------------------------------------------------
ANALYTIC = {
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "tanh": (np.tanh, lambda x: 1 / np.cosh(x) ** 2),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.1 * x), lambda x: np.where(x > 0, 1.0, 0.1)),
}


def test_activation_curves_are_autograd_derivatives_matching_the_formulas():
    x = np.linspace(-6, 6, 241)
    x = x[np.abs(x) > 1e-9]                            # ReLU's kink: the derivative there is a convention
    curves = plot.activation_curves(tuple(ANALYTIC), x, negative_slope=0.1)
    for name, (f, df) in ANALYTIC.items():
        np.testing.assert_allclose(curves[name][0], f(x), rtol=1e-12, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(curves[name][1], df(x), rtol=1e-12, atol=1e-14, err_msg=name)


def test_plot_activations_draws_functions_over_their_derivatives(tmp_path):
    path = tmp_path / "act.png"
    fig = plot.plot_activations(path=path, n_points=200)      # 200 points: z = 0 is not on the grid
    assert isinstance(fig, Figure)
    assert is_png(path)
    assert len(fig.axes) == 8
    top, bottom = fig.axes[:4], fig.axes[4:]
    for j, name in enumerate(ANALYTIC):
        f, df = ANALYTIC[name]
        x = top[j].lines[0].get_xdata()
        np.testing.assert_allclose(top[j].lines[0].get_ydata(), f(x), atol=1e-12, err_msg=name)
        np.testing.assert_allclose(bottom[j].lines[0].get_ydata(), df(x), atol=1e-12, err_msg=name)


def test_activation_curves_refuse_softmax():
    with pytest.raises(ValueError, match="softmax is not element-wise"):
        plot.activation_curves(["softmax"])


# -- lazy import, headless backend, missing matplotlib ---------------------------------------------
def test_nn_does_not_import_matplotlib_and_headless_plots_use_agg():
    code = textwrap.dedent("""
        import sys, nn, nn.plot
        print("imported:", "matplotlib" in sys.modules)
        nn.plot.plot_curves({"a": [1, 2]})
        import matplotlib
        print("backend:", matplotlib.get_backend().lower())
    """)
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "MPLBACKEND")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "imported: False" in out.stdout
    assert "backend: agg" in out.stdout


def test_missing_matplotlib_raises_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"install mlpgrad\[plot\]"):
        plot.plot_curves({"a": [1.0, 0.5]})
