"""The `mlpgrad` command line, run as a user would: in a subprocess."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args: str, cwd: str | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nn", *args], capture_output=True, text=True,
                          cwd=cwd or ROOT, timeout=timeout, env={**os.environ, "MPLBACKEND": "Agg"})


def test_compare_prints_a_passing_table(tmp_path):
    out = tmp_path / "report.json"
    r = run("compare", "--layers", "2,16,8,1", "--activations", "relu,relu,sigmoid", "--loss", "bce",
            "--dataset", "moons", "--samples", "32", "--json", str(out))
    assert r.returncode == 0, r.stderr
    assert "layers.0.weight" in r.stdout and "δ layers.2" in r.stdout and "PASS" in r.stdout
    report = json.loads(out.read_text())
    assert report["ok"] is True
    assert {row["name"] for row in report["rows"] if row["kind"] == "param"} == {
        f"layers.{i}.{k}" for i in range(3) for k in ("weight", "bias")}


def test_compare_cross_entropy_on_spirals():
    r = run("compare", "--layers", "2,8,3", "--activations", "tanh,identity", "--loss", "cross_entropy",
            "--dataset", "spirals", "--samples", "30")
    assert r.returncode == 0, r.stderr
    assert "PASS" in r.stdout


def test_train_writes_model_history_and_plots(tmp_path):
    r = run("train", "moons", "--layers", "2,8,1", "--activations", "relu,sigmoid", "--epochs", "30",
            "--val-fraction", "0.2", "--early-stopping", "5", "--out", str(tmp_path), "--seed", "3")
    assert r.returncode == 0, r.stderr
    for name in ("model.npz", "history.json", "history.csv", "loss.png", "decision_boundary.png"):
        assert (tmp_path / name).exists(), name
    hist = json.loads((tmp_path / "history.json").read_text())
    assert hist["seed"] == 3 and len(hist["val_loss"]) == hist["epochs"] >= 1
    import nn
    model = nn.load_model(str(tmp_path / "model.npz"))
    assert model.layer_sizes == [2, 8, 1]


def test_train_on_a_csv_file(tmp_path):
    csv = tmp_path / "d.csv"
    rows = ["a,b,label"] + [f"{i / 10},{(i % 7) / 7},{i % 2}" for i in range(40)]
    csv.write_text("\n".join(rows) + "\n")
    r = run("train", str(csv), "--target", "label", "--layers", "2,4,1", "--activations", "tanh,sigmoid",
            "--epochs", "5", "--out", str(tmp_path / "o"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o" / "model.npz").exists()


@pytest.mark.parametrize("args, message", [
    (["train", "moons", "--layers", "2,8,1", "--activations", "relu,wiggle"], "unknown activation 'wiggle'"),
    (["train", "moons", "--layers", "2,8,4,1", "--activations", "relu,sigmoid"], "3 layers"),
    (["train", "no_such_file.csv", "--target", "y"], "neither a built-in name"),
    (["train", "moons", "--layers", "3,8,1"], "data has 2 features"),
    (["train", "moons", "--optimizer", "lbfgs", "--layers", "2,4,1"], "unknown optimizer"),
    (["train", "moons", "--epochs", "ten"], "invalid int value"),
    (["compare", "--loss", "hinge"], "unknown loss"),
    (["graph", "--layers", "2,x,1"], "comma-separated integers"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_give_one_line_and_status_2(args, message):
    r = run(*args)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("mlpgrad: error:") and message in lines[0]
    assert "Traceback" not in r.stderr


def test_non_numeric_csv_is_a_usage_error(tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("a,label\n1,0\nhello,1\n")
    r = run("train", str(csv), "--target", "label", "--layers", "1,2,1")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "line 3, column 'a': 'hello' is not a number" in r.stderr


def test_graph_writes_svg_and_png(tmp_path):
    svg = tmp_path / "g.svg"
    r = run("graph", "--layers", "2,4,1", "--activations", "tanh,sigmoid", "--loss", "bce", "--out", str(svg))
    assert r.returncode == 0, r.stderr
    assert svg.read_text().lstrip().startswith(("<?xml", "<svg", "<!DOCTYPE"))
    png = tmp_path / "g.png"
    r = run("graph", "--out", str(png), "--format", "png", "--collapse")
    assert r.returncode == 0, r.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_steps_writes_frames_and_html(tmp_path):
    r = run("graph", "--layers", "2,2,1", "--activations", "tanh,sigmoid", "--samples", "2",
            "--out", str(tmp_path / "g.svg"), "--steps", str(tmp_path / "steps"))
    assert r.returncode == 0, r.stderr
    frames = sorted(p for p in os.listdir(tmp_path / "steps") if p.endswith(".svg"))
    assert frames and (tmp_path / "steps" / "index.html").exists()


def test_demo_runs_end_to_end(tmp_path):
    r = run("demo", "--out", str(tmp_path), "--epochs", "800", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "test accuracy" in r.stdout and "PASS" in r.stdout
    for name in ("model.npz", "history.json", "gradient_check.txt", "loss.png", "decision_boundary.png"):
        assert (tmp_path / name).exists(), name
    assert any(f.startswith("graph") for f in os.listdir(tmp_path))


def test_python_dash_m_and_console_script_agree():
    r = run("--help")
    assert r.returncode == 0 and "demo" in r.stdout and "compare" in r.stdout
