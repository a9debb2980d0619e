"""The command line gives no silent wrong result: defaults that learn, classes detected, the
standardizer saved with the model and applied by `predict`, help that tells the truth."""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nn", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env={**os.environ, "MPLBACKEND": "Agg"})


def final_score(stdout: str) -> float:
    return float(re.search(r"final (?:accuracy|R²) (-?[\d.]+)", stdout).group(1))


def write_csv(path, header: str, rows: np.ndarray, fmt: str = "%.6f", delimiter: str = ",",
              encoding: str = "utf-8") -> str:
    with open(path, "w", encoding=encoding) as f:
        f.write(header + "\n")
        np.savetxt(f, rows, fmt=fmt, delimiter=delimiter)
    return str(path)


@pytest.fixture(scope="module")
def three_classes(tmp_path_factory) -> str:
    """Two features on very different scales, labels 1/2/3 (not 0-based) in the last column."""
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, (300, 2))
    s = X[:, 0] + X[:, 1]
    label = np.where(s > 1.2, 3, np.where(s > 0.8, 2, 1))
    rows = np.column_stack([X[:, 0] * 1000, X[:, 1], label])
    return write_csv(tmp_path_factory.mktemp("cls") / "kinds.csv", "size,w,kind", rows, fmt="%.5f")


@pytest.fixture(scope="module")
def big_scale_regression(tmp_path_factory) -> str:
    """price = 3·size + 500·sin(6w) + 10000: raw scales far from 1, semicolon-separated."""
    rng = np.random.default_rng(1)
    size, w = rng.uniform(0, 1000, 300), rng.uniform(0, 1, 300)
    price = 3 * size + 500 * np.sin(6 * w) + 10_000
    return write_csv(tmp_path_factory.mktemp("reg") / "prices.csv", "price;size;w",
                     np.column_stack([price, size, w]), delimiter=";")


@pytest.mark.parametrize("dataset, extra, least", [
    ("moons", [], 0.95), ("circles", [], 0.95), ("xor", [], 1.0), ("blobs", [], 0.95),
    ("spirals", [], 0.75), ("sine", [], 0.95), ("surface", ["--samples", "2000"], 0.95),
])
def test_default_training_learns_on_every_builtin_dataset(tmp_path, dataset, extra, least):
    r = run("train", dataset, *extra, "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert final_score(r.stdout) >= least, r.stdout


def test_cross_entropy_on_two_classes_sizes_the_output_layer_from_the_data(tmp_path):
    r = run("train", "moons", "--loss", "cross_entropy", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "MLP(2→16→8→2)" in r.stdout and final_score(r.stdout) > 0.95
    import nn
    assert nn.load_model(str(tmp_path / "model.npz")).layer_sizes == [2, 16, 8, 2]


def test_integer_labels_train_a_multiclass_softmax_network(tmp_path, three_classes):
    r = run("train", three_classes, "--target", "kind", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "3 classes (1, 2, 3)" in r.stdout and "loss cross_entropy" in r.stdout and "MLP(2→16→8→3)" in r.stdout
    assert final_score(r.stdout) > 0.9


def test_task_regress_overrides_the_class_guess(tmp_path, three_classes):
    r = run("train", three_classes, "--target", "kind", "--task", "regress", "--epochs", "20", "--out", str(tmp_path))
    assert r.returncode in (0, 1), r.stderr
    assert "a regression target" in r.stdout and "loss mse" in r.stdout and "final R²" in r.stdout


def test_predict_applies_the_saved_standardizer_to_raw_data(tmp_path, big_scale_regression):
    r = run("train", big_scale_regression, "--target", "price", "--out", str(tmp_path / "m"))
    assert r.returncode == 0, r.stderr
    assert "standardized inputs and target" in r.stdout
    out = tmp_path / "pred.csv"
    r = run("predict", str(tmp_path / "m" / "model.npz"), big_scale_regression, "--out", str(out))
    assert r.returncode == 0, r.stderr
    r2 = float(re.search(r"R² (-?[\d.]+) against column 'price'", r.stdout).group(1))
    assert r2 > 0.95
    predicted = np.loadtxt(out, delimiter=",", skiprows=1)
    # the same numbers by hand: raw columns → saved scaler → network → target units
    from nn.tasks import load_model
    import nn
    model, prep = load_model(str(tmp_path / "m" / "model.npz"))
    table = np.loadtxt(big_scale_regression, delimiter=";", skiprows=1)
    by_hand = prep.outputs(nn.predict(model, (table[:, 1:] - prep.x_mean) / prep.x_scale)).reshape(-1)
    np.testing.assert_allclose(predicted, by_hand, rtol=1e-8)
    raw = nn.predict(model, table[:, 1:]).reshape(-1)  # without the scaler the answer would be far off
    assert np.abs(raw - table[:, 0]).mean() > 10 * np.abs(predicted - table[:, 0]).mean()


def test_predict_writes_class_values_and_probabilities(tmp_path, three_classes):
    assert run("train", three_classes, "--target", "kind", "--out", str(tmp_path / "m")).returncode == 0
    # columns in another order, an extra column, no target: matched by name
    table = np.loadtxt(three_classes, delimiter=",", skiprows=1)
    shuffled = write_csv(tmp_path / "new.csv", "note,w,size", np.column_stack([np.zeros(len(table)),
                                                                              table[:, 1], table[:, 0]]))
    r = run("predict", str(tmp_path / "m" / "model.npz"), shuffled)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "prediction,p_1,p_2,p_3"
    values = np.loadtxt(lines[1:], delimiter=",")
    assert set(np.unique(values[:, 0])) <= {1.0, 2.0, 3.0}
    np.testing.assert_allclose(values[:, 1:].sum(axis=1), 1.0, atol=1e-8)
    assert np.mean(values[:, 0] == table[:, 2]) > 0.9


def test_predict_reads_a_softmax_output_as_probabilities_once(tmp_path, three_classes):
    r = run("train", three_classes, "--target", "kind", "--activations", "relu,relu,softmax", "--epochs", "50",
            "--out", str(tmp_path / "m"))
    assert r.returncode == 0, r.stderr
    r = run("predict", str(tmp_path / "m" / "model.npz"), three_classes)
    assert r.returncode == 0, r.stderr
    probs = np.loadtxt(r.stdout.splitlines()[1:], delimiter=",")[:, 1:]
    import nn
    from nn.tasks import load_model
    model, prep = load_model(str(tmp_path / "m" / "model.npz"))
    table = np.loadtxt(three_classes, delimiter=",", skiprows=1)
    expected = nn.predict(model, prep.inputs(table[:, :2]))   # the softmax layer's own output
    np.testing.assert_allclose(probs, expected, rtol=1e-8, atol=1e-10)


def test_the_cli_model_file_still_loads_with_nn_load_model(tmp_path):
    assert run("train", "xor", "--epochs", "5", "--out", str(tmp_path)).returncode in (0, 1)
    import nn
    assert nn.load_model(str(tmp_path / "model.npz")).layer_sizes == [2, 16, 8, 1]


def test_a_bom_and_a_semicolon_file_are_read_correctly(tmp_path):
    rows = np.column_stack([np.arange(30) % 2, np.linspace(0, 1, 30), np.linspace(1, 0, 30)])
    bom = write_csv(tmp_path / "excel.csv", "label,a,b", rows, fmt="%g", encoding="utf-8-sig")
    semi = write_csv(tmp_path / "semi.csv", "label;a;b", rows, fmt="%g", delimiter=";")
    for path in (bom, semi):  # the target is the first column: a BOM left in the name would hide it
        r = run("train", path, "--target", "label", "--epochs", "5", "--out", str(tmp_path / "o"))
        assert r.returncode in (0, 1) and "Traceback" not in r.stderr, r.stderr
        assert "30 rows, 2 classes (0, 1)" in r.stdout


def test_compare_defaults_follow_the_dataset():
    r = run("compare", "--dataset", "spirals", "--samples", "30")
    assert r.returncode == 0, r.stderr
    assert "MLP(2→16→8→3)" in r.stdout and "PASS" in r.stdout


def test_compare_and_graph_take_a_csv_and_honour_samples(tmp_path, three_classes):
    r = run("compare", "--dataset", three_classes, "--target", "kind", "--samples", "10")
    assert r.returncode == 0, r.stderr
    assert "10 rows" in r.stdout and "PASS" in r.stdout
    r = run("graph", "--dataset", three_classes, "--target", "kind", "--out", str(tmp_path / "g.dot"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_progress_lines_when_stdout_is_not_a_terminal(tmp_path):
    r = run("train", "moons", "--epochs", "20", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stdout.splitlines() if line.startswith("epoch")]
    assert [int(re.match(r"epoch\s+(\d+)/20", line).group(1)) for line in lines] == [1, 2, 4, 6, 8, 10, 12, 14,
                                                                                     16, 18, 20]
    assert all(re.search(r"loss [\d.e+-]+  elapsed [\d.]+s  ETA [\d.]+s$", line) for line in lines), lines


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_every_option_has_help_that_shows_its_default():
    from nn.cli import build_parser
    for name, sub in _subparsers(build_parser()).items():
        formatter = sub._get_formatter()
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, (name, action.dest)
            if action.option_strings or action.nargs == "?":
                shown = formatter._get_help_string(action)
                assert "default" in shown, (name, action.dest, shown)


def test_help_lists_only_what_each_subcommand_accepts():
    r = run("compare", "--help")
    assert r.returncode == 0
    loss_help = " ".join(r.stdout.split()).split("--loss LOSS")[-1].split("--seed")[0]
    assert "l1" not in loss_help and "half_sse" in loss_help
    r = run("train", "--help")
    assert "l1" in " ".join(r.stdout.split()).split("--loss LOSS")[-1].split("--seed")[0]
    assert "(default: 0.01)" in r.stdout and "(default: adam)" in r.stdout
    assert "predict" in run("--help").stdout
