"""Every example runs in --quick mode and prints the result it is about.

Each script ends with a machine-readable line ``RESULT key=value ...``. The
scripts run as subprocesses (the way a user runs them), all started at once
so the suite stays fast, each with its own temporary --out folder.
"""
from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
EXAMPLES = ["surface_regression", "moons", "exercises", "sine_regression", "moons_sklearn", "xor",
            "hand_calculations", "check_my_backprop", "second_order"]
TIMEOUT = 240
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass
class Run:
    name: str
    returncode: int
    stdout: str
    stderr: str
    out: Path

    @property
    def result(self) -> dict[str, Any]:
        lines = [ln for ln in self.stdout.splitlines() if ln.startswith("RESULT ")]
        assert lines, f"{self.name} printed no RESULT line:\n{self.stdout[-2000:]}\n{self.stderr[-2000:]}"
        return {k: parse(v) for k, v in (item.split("=", 1) for item in lines[-1].split()[1:])}

    def png(self, name: str) -> bool:
        path = self.out / name
        return path.is_file() and path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 1000


def parse(value: str) -> Any:
    if value in ("true", "false"):
        return value == "true"
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def run_example(name: str, out: Path) -> Run:
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1", PYTHONWARNINGS="error::RuntimeWarning")
    proc = subprocess.run([sys.executable, str(EXAMPLES_DIR / f"{name}.py"), "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=TIMEOUT, env=env, cwd=out.parent)
    return Run(name, proc.returncode, proc.stdout, proc.stderr, out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Future]:
    """Start every example at once; each test waits for its own."""
    root = tmp_path_factory.mktemp("examples")
    pool = ThreadPoolExecutor(max_workers=4)
    futures = {name: pool.submit(run_example, name, root / name) for name in EXAMPLES}
    yield futures
    pool.shutdown(wait=True)


def finished(runs: dict[str, Future], name: str) -> Run:
    run = runs[name].result()
    assert run.returncode == 0, f"{name} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run


def test_sine_regression_early_stopping_reaches_the_noise_level(runs):
    run = finished(runs, "sine_regression")
    r = run.result
    assert "seed 100" in run.stdout
    assert r["val_mse"] < 0.02 and r["test_mse"] < 0.03          # noise variance 0.01
    assert 1 <= r["best_epoch"] <= r["stopped_after"]
    assert r["linear_mse"] == pytest.approx(0.2097, abs=5e-4)      # gradient descent has converged for the line
    for fig in ("fits.png", "loss_history.png", "early_stopping.png", "early_stopping_fit.png"):
        assert run.png(fig), fig


def test_hand_calculations_match_the_seeds_and_flag_their_slips(runs):
    run = finished(runs, "hand_calculations")
    r = run.result
    assert r["checked"] == 43 and r["slips"] == 4
    assert r["max_autograd_manual_diff"] < 1e-12
    assert round(r["seed002_yhat"], 4) == 0.7492 and round(r["seed002_loss"], 4) == 0.2888
    # Seed 002's tanh exercise prints z2 = 0.5312, a2 = 0.6298; the right values are 0.6314, 0.6528.
    assert round(r["tanh_exercise_z2"], 4) == 0.6314 and round(r["tanh_exercise_a2"], 4) == 0.6528
    assert "SEED SLIP: correct value 0.6314" in run.stdout
    assert run.png("activations.png")


def test_xor_all_four_points_right(runs):
    run = finished(runs, "xor")
    r = run.result
    assert r["all_correct"] is True
    assert round(r["loss_002_first"], 6) == 0.694109                # seed 002 prints this epoch-0 loss
    assert [round(float(p)) for p in r["pred_002"].split(",")] == [0, 1, 1, 0]
    assert [round(float(p)) for p in r["pred_001"].split(",")] == [0, 1, 1, 0]
    assert run.png("loss.png") and run.png("decision_boundary.png")


def test_moons_reaches_ninety_percent_on_the_test_set(runs):
    run = finished(runs, "moons")
    r = run.result
    assert r["test_acc"] >= 0.9
    assert len(r["arch_test_acc"].split(",")) == 5 and len(r["lr_test_acc"].split(",")) == 5
    for fig in ("decision_boundary.png", "loss.png", "architectures.png", "learning_rates.png"):
        assert run.png(fig), fig


def test_moons_sklearn_replays_seed_003_and_compares_with_sklearn(runs):
    run = finished(runs, "moons_sklearn")
    r = run.result
    assert r["losses_match_seed"] is True                          # 0.7422 0.2968 0.2715 at epochs 0, 100, 200
    assert r["test_acc"] >= 0.9
    assert run.png("decision_boundary.png") and run.png("loss.png")
    try:
        import sklearn  # noqa: F401
    except ImportError:
        assert r["sklearn_test_acc"] == "none"
    else:
        assert r["sklearn_test_acc"] >= 0.85
        assert run.png("decision_boundary_sklearn.png")


def test_surface_regression_prints_seed_004_mse_and_shows_symmetry(runs):
    run = finished(runs, "surface_regression")
    r = run.result
    # Seed 004: 203.1757236001885 with a sigmoid output, 198.65838851753207 with a linear output.
    assert r["mse_sigmoid_output"] == pytest.approx(203.1757236001885, abs=5e-13)
    assert r["mse_linear_output"] == pytest.approx(198.65838851753207, abs=5e-14)
    assert "203.1757236001885" in run.stdout and "198.65838851753207" in run.stdout
    assert r["ones_spread"] == 0.0 and r["ones_distinct"] == "1,1,1,1"     # all-ones: identical units
    assert r["xavier_distinct"] == "2,4,8,16"
    assert r["he_distinct"] == 16 and r["he_spread"] > 0.1
    assert run.png("hidden_sizes.png") and run.png("init_comparison.png")


def test_exercises_each_feature_against_the_baseline(runs):
    run = finished(runs, "exercises")
    r = run.result
    assert r["baseline_test_acc"] >= 0.8
    assert r["softmax_test_acc"] >= 0.8 and r["momentum_test_acc"] >= 0.9
    assert r["l2_w2"] < r["baseline_w2"] and r["weight_decay_w2"] < r["baseline_w2"]
    assert r["l2_w2"] == pytest.approx(r["weight_decay_w2"], rel=0.02)  # the two ways of writing L2 agree
    assert r["decay_final_lr"] == pytest.approx(0.5 / (1 + 0.01 * r["epochs"]))
    assert r["circles_test_acc"] >= 0.9 and r["spirals_test_acc"] >= 0.8
    for fig in ("curves.png", "circles_boundary.png", "spirals_boundary.png"):
        assert run.png(fig), fig


def test_check_my_backprop_passes_both_layouts_and_diagnoses_three_mistakes(runs):
    run = finished(runs, "check_my_backprop")
    r = run.result
    assert r["column_ok"] is True and r["row_ok"] is True and r["batch_size"] == 16
    assert r["summed_kind"] == "factor" and "constant factor 16: ×m (m = 16, the batch size)" in run.stdout
    assert r["sigma_of_a_kind"] == "hypothesis" and r["sigma_of_a_first_wrong"] == "b2"
    assert "σ′(a) where σ′(z) was meant at the sigmoids after W1 and W2" in run.stdout
    assert r["descent_kind"] == "factor" and "the descent direction" in run.stdout
    assert r["summed_first_wrong"] == r["descent_first_wrong"] == "b3"


def test_second_order_hessian_is_symmetric_and_newton_beats_gradient_descent(runs):
    run = finished(runs, "second_order")
    r = run.result
    assert r["n_params"] == 13 and r["min_eig"] < 0 < r["max_eig"]
    assert r["newton_converged_in"] <= 10 and r["newton_final"] < r["gd_final"] - 0.01
    assert "symmetric to" in run.stdout and run.png("second_order.png")


def test_every_example_prints_its_seed_and_takes_a_seed_argument(runs):
    for name in EXAMPLES:
        run = finished(runs, name)
        assert f"{name}: seed " in run.stdout.splitlines()[0]
        assert "quick mode" in run.stdout.splitlines()[0]


def test_common_helpers(tmp_path, capsys):
    sys.path.insert(0, str(EXAMPLES_DIR))
    try:
        import _common
    finally:
        sys.path.remove(str(EXAMPLES_DIR))
    args = _common.setup("demo", "A demo.", ["--quick", "--seed", "7", "--out", str(tmp_path / "o")])
    assert args.quick and args.seed == 7 and (tmp_path / "o").is_dir()
    assert _common.result(a=1, b=0.5, c=True, d="x y") == {"a": 1, "b": 0.5, "c": True, "d": "x y"}
    out = capsys.readouterr().out
    assert "demo: seed 7" in out and "RESULT a=1 b=0.5 c=true d=x_y" in out
    text = _common.table(["name", "value"], [["a", 1], ["bb", 22]])
    assert text.splitlines()[0] == "name  value" and text.splitlines()[-1] == "bb       22"
