"""The command line never prints a traceback: every sub-command against a table of bad inputs.

Each case runs `python -m nn …` in a subprocess, as a user would, and asserts
the exit status (2: bad argument or input; 1: ran, and the answer is no), that
stderr is exactly one line starting `mlpgrad: error:` (status 2) or
`mlpgrad: <command>:` (status 1) and naming the problem, and that no
"Traceback" appears. Placeholders such as `{dir}` are files made per test.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNWRITABLE = "/proc/mlpgrad-cannot-write-here/out"  # /proc refuses new entries, even to root


def run(*args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nn", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout, env={**os.environ, "MPLBACKEND": "Agg"})


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """Bad (and a few good) input files, by placeholder name."""
    d = tmp_path_factory.mktemp("inputs")
    paths = {"dir": str(d / "a_directory"), "file": str(d / "plain_file")}
    os.makedirs(paths["dir"])
    contents: dict[str, bytes] = {
        "plain_file": b"not a directory\n",
        "good.csv": b"a,b,y\n" + b"".join(f"{i / 7:.3f},{(i * 3) % 5},{i % 2}\n".encode() for i in range(40)),
        "binary.csv": bytes(range(256)) * 4,
        "latin1.csv": "a,b,y\n1,2,0\ncaf\u00e9,3,1\n".encode("latin-1"),
        "ragged.csv": b"a,b,y\n1,2,0\n3,4,1\n5,6\n",
        "decimal_comma.csv": b"a;b;y\n1,5;2,0;0\n3,5;4,0;1\n",
        "nan.csv": b"a,b,y\n1,2,0\n3,nan,1\n",
        "text.csv": b"a,b,y\n1,2,0\n3,hello,1\n",
        "empty.csv": b"",
        "header_only.csv": b"a,b,y\n",
        "no_header.csv": b"1,2,0\n3,4,1\n",
        "utf16.csv": "a,b,y\n1,2,0\n".encode("utf-16"),
        "float_target.csv": b"a,y\n1,0.5\n2,1.5\n3,2.5\n",
        "one_column.csv": b"y\n1\n2\n",
    }
    for name, data in contents.items():
        (d / name).write_bytes(data)
        paths[name.replace(".csv", "")] = str(d / name)
    r = run("train", paths["good"], "--target", "y", "--epochs", "3", "--out", str(d / "trained"))
    assert r.returncode in (0, 1), r.stderr  # 3 epochs may not beat chance: only the file matters here
    paths["model"] = str(d / "trained" / "model.npz")
    return paths


def _fill(args: list[str], files: dict[str, str]) -> list[str]:
    return [a.format(**files) if "{" in a else a for a in args]


# (arguments, expected exit status, text the one stderr line must contain)
BAD_NUMBERS = [
    (["train", "moons", "--seed", "-1"], 2, "--seed: -1 is out of range"),
    (["train", "moons", "--seed", "99999999999"], 2, "--seed: 99999999999 is out of range"),
    (["compare", "--seed", "-1"], 2, "--seed: -1 is out of range"),
    (["graph", "--seed", "4294967296"], 2, "--seed: 4294967296 is out of range"),
    (["demo", "--seed", "-5"], 2, "--seed: -5 is out of range"),
    (["demo", "--epochs", "0"], 2, "--epochs: 0 is out of range"),
    (["train", "moons", "--epochs", "-3"], 2, "--epochs: -3 is out of range"),
    (["train", "moons", "--epochs", "ten"], 2, "invalid int value: 'ten'"),
    (["train", "spirals", "--samples", "2"], 2, "--samples 2 is too few for spirals; expected at least 3"),
    (["compare", "--dataset", "blobs", "--samples", "2"], 2, "too few for blobs"),
    (["graph", "--dataset", "moons", "--samples", "1"], 2, "too few for moons"),
    (["train", "moons", "--samples", "0"], 2, "--samples: 0 is out of range"),
    (["train", "moons", "--samples", "10000000000"], 2, "--samples: 10000000000 is out of range"),
    (["train", "moons", "--lr", "0"], 2, "--lr: 0 is out of range"),
    (["train", "moons", "--lr", "nan"], 2, "--lr: nan is out of range"),
    (["train", "moons", "--lr=-inf"], 2, "--lr: -inf is out of range"),
    (["train", "moons", "--lr", "-0.5"], 2, "--lr: -0.5 is out of range"),
    (["train", "moons", "--batch-size", "0"], 2, "--batch-size: 0 is out of range"),
    (["train", "moons", "--val-fraction", "1"], 2, "--val-fraction: 1 is out of range"),
    (["train", "moons", "--early-stopping", "0"], 2, "--early-stopping: 0 is out of range"),
    (["train", "sine", "--samples", "3", "--val-fraction", "0.5"], 2, "expected at least 2 in each"),
    (["train", "moons", "--layers", "2,0,1"], 2, "at least two positive sizes"),
    (["train", "moons", "--layers", "2,100000,10000,1"], 2, "parameters; expected at most"),
]

BAD_OUTPUTS = [
    (["train", "moons", "--out", "{file}"], 2, "is an existing file; expected a directory"),
    (["demo", "--out", "{file}"], 2, "is an existing file; expected a directory"),
    (["train", "moons", "--out", "{file}/sub"], 2, "which is a file"),
    (["train", "moons", "--out", UNWRITABLE], 2, "cannot create or write to it"),
    (["demo", "--out", UNWRITABLE], 2, "cannot create or write to it"),
    (["compare", "--json", "{file}/report.json"], 2, "which is a file"),
    (["compare", "--json", "{dir}"], 2, "is a directory; expected a file name"),
    (["compare", "--json", UNWRITABLE + "/r.json"], 2, "cannot write there"),
    (["graph", "--out", "{dir}"], 2, "is a directory"),
    (["graph", "--out", "{file}/g.svg"], 2, "which is a file"),
    (["graph", "--out", UNWRITABLE + "/g.svg"], 2, "cannot write there"),
    (["graph", "--steps", "{file}"], 2, "--steps"),
    (["graph", "--out", "g.svg", "--format", "png"], 2, "ends in .svg but --format is png"),
    (["graph", "--out", "g.txt"], 2, "expected one of svg, png, pdf, dot"),
    (["graph", "--format", "jpg"], 2, "invalid choice: 'jpg'"),
    (["predict", "{model}", "{good}", "--out", "{dir}"], 2, "is a directory"),
    (["predict", "{model}", "{good}", "--out", "{file}/p.csv"], 2, "which is a file"),
]

BAD_INPUTS = [
    (["train", "{dir}", "--target", "y"], 2, "is a directory; expected a CSV file"),
    (["train", "{binary}", "--target", "y"], 2, "looks like a binary file"),
    (["train", "{latin1}", "--target", "y"], 2, "line 3 is not UTF-8 text (byte 0xe9)"),
    (["train", "{utf16}", "--target", "y"], 2, "is UTF-16 text; save it as UTF-8"),
    (["train", "{ragged}", "--target", "y"], 2, "line 4 has 2 fields but the header has 3 columns"),
    (["train", "{decimal_comma}", "--target", "y"], 2, "line 2, column 'a': '1,5' uses a decimal comma"),
    (["train", "{nan}", "--target", "y"], 2, "line 3, column 'b': 'nan' is not a finite number"),
    (["train", "{text}", "--target", "y"], 2, "line 3, column 'b': 'hello' is not a number"),
    (["train", "{empty}", "--target", "y"], 2, "the file is empty"),
    (["train", "{header_only}", "--target", "y"], 2, "no data rows"),
    (["train", "{no_header}", "--target", "y"], 2, "expected a header row"),
    (["train", "{one_column}", "--target", "y"], 2, "expected at least one feature column"),
    (["train", "{good}"], 2, "a CSV dataset needs --target COLUMN"),
    (["train", "{good}", "--target", "label"], 2, "no column 'label'; columns are ['a', 'b', 'y']"),
    (["train", "{float_target}", "--target", "y", "--task", "classify"], 2, "needs integer class labels"),
    (["train", "no_such_file.csv", "--target", "y"], 2, "neither a built-in name"),
    (["compare", "--dataset", "{ragged}", "--target", "y"], 2, "line 4 has 2 fields"),
    (["compare", "--dataset", "{binary}", "--target", "y"], 2, "looks like a binary file"),
    (["graph", "--dataset", "{latin1}", "--target", "y"], 2, "is not UTF-8 text"),
    (["graph", "--dataset", "{dir}", "--target", "y"], 2, "is a directory"),
    (["predict", "{model}", "{ragged}"], 2, "line 4 has 2 fields"),
    (["predict", "{model}", "{binary}"], 2, "looks like a binary file"),
    (["predict", "{dir}", "{good}"], 2, "is a directory; expected a model .npz"),
    (["predict", "{good}", "{good}"], 2, "is not a .npz (zip) file"),
    (["predict", "missing_model.npz", "{good}"], 2, "no such model file"),
    (["predict", "{model}", "{float_target}"], 2, "lacks the column(s) ['b']"),
    (["check", "{dir}"], 2, ""),
    (["check", "{binary}"], 2, ""),
]

BAD_NETWORKS = [
    (["train", "moons", "--loss", "cross_entropy", "--layers", "2,8,1"], 2, "needs one per class (2)"),
    (["train", "spirals", "--loss", "mse"], 2, "--loss mse does not fit spirals"),
    (["train", "sine", "--loss", "bce"], 2, "--loss bce does not fit sine"),
    (["train", "moons", "--loss", "hinge"], 2, "unknown loss 'hinge'"),
    (["compare", "--loss", "l1"], 2, "unknown loss 'l1'; expected one of mse, half_sse"),
    (["graph", "--loss", "half_sse"], 2, "unknown loss 'half_sse'"),
    (["train", "moons", "--optimizer", "lbfgs"], 2, "unknown optimizer 'lbfgs'"),
    (["train", "moons", "--activations", "relu,wiggle,sigmoid"], 2, "unknown activation 'wiggle'"),
    (["frobnicate"], 2, "invalid choice"),
    ([], 2, "a command is required"),
]

# Runs that complete but learn nothing, or diverge: status 1, one line with the epoch and a hint.
NO_ANSWERS = [
    (["train", "moons", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "50"], 1, "lower the learning rate"),
    (["train", "surface", "--samples", "300", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "60"], 1,
     "training diverged at epoch"),
    (["train", "sine", "--lr", "1e6", "--epochs", "50"], 1, "the loss rose from"),
    (["demo", "--epochs", "5"], 1, "test accuracy"),
]

CASES = BAD_NUMBERS + BAD_OUTPUTS + BAD_INPUTS + BAD_NETWORKS + NO_ANSWERS


@pytest.mark.parametrize("args, status, message", CASES, ids=[" ".join(c[0]) or "(none)" for c in CASES])
def test_bad_input_gives_one_line_and_the_right_status(files, tmp_path, args, status, message):
    argv = _fill(args, files)
    if args[:1] in (["train"], ["demo"]) and "--out" not in args:
        argv += ["--out", str(tmp_path / "out")]
    r = run(*argv)
    assert "Traceback" not in r.stderr, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    prefix = "mlpgrad: error: " if status == 2 else f"mlpgrad: {args[0]}: "
    assert lines[0].startswith(prefix), lines[0]
    assert message in lines[0], lines[0]
    assert r.returncode == status, (r.returncode, r.stderr)


def test_diverging_runs_name_the_epoch_and_save_nothing(tmp_path):
    r = run("train", "surface", "--samples", "300", "--optimizer", "sgd", "--lr", "1e6", "--epochs", "60",
            "--out", str(tmp_path))
    assert r.returncode == 1
    line = r.stderr.strip()
    epoch = int(line.split("diverged at epoch ")[1].split()[0])
    assert 1 <= epoch <= 60 and "--lr 1e+06 now; try 100000" in line and "nothing was saved" in line
    assert not (tmp_path / "model.npz").exists()


def test_demo_with_too_few_epochs_says_why_it_exits_1(tmp_path):
    r = run("demo", "--epochs", "5", "--out", str(tmp_path))
    assert r.returncode == 1
    assert "below the 0.9 the demo expects after 5 epochs" in r.stderr
    acc = float(r.stdout.split("RESULT test_accuracy=")[1].split()[0])
    assert acc < 0.9 and f"test accuracy {acc:.3f}" in r.stderr


def test_json_into_a_missing_directory_creates_it(tmp_path):
    target = tmp_path / "new" / "deeper" / "report.json"
    r = run("compare", "--samples", "16", "--no-numerical", "--json", str(target))
    assert r.returncode == 0, r.stderr
    assert target.exists() and target.read_text().lstrip().startswith("{")


def test_an_existing_graph_file_is_replaced(tmp_path):
    out = tmp_path / "g.dot"
    out.write_text("old")
    r = run("graph", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text().startswith("digraph")


def test_a_bug_is_one_line_with_status_3_not_a_traceback(tmp_path, monkeypatch):
    # An internal error (here: a sabotaged dataset maker) must not leak a traceback either.
    script = tmp_path / "sabotage.py"
    script.write_text("import sys, nn.data\n"
                      "def boom(*a, **k):\n    raise KeyError('oops')\n"
                      "nn.data.make_moons = boom\n"
                      "from nn.cli import main\nsys.exit(main(['compare']))\n")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 3 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        "mlpgrad: internal error: KeyError: 'oops' (a bug; rerun with MLPGRAD_DEBUG=1 for the traceback "
        "and please report it)"]


def test_every_case_class_of_the_issue_is_in_the_table():
    # seeds, epochs, samples; every output flag; every input-file problem; every sub-command
    flat = [" ".join(c[0]) for c in CASES]
    for needle in ("--seed -1", "--seed 99999999999", "demo --epochs 0", "spirals --samples 2",
                   UNWRITABLE, "{file}/sub", "--json {file}", "{dir}", "{binary}", "{latin1}", "{ragged}",
                   "--lr 1e6", "demo --epochs 5"):
        assert any(needle in f for f in flat), needle
    assert {c[0][0] for c in CASES if c[0]} >= {"demo", "train", "predict", "compare", "graph", "check"}
    assert np.unique([c[1] for c in CASES]).tolist() == [1, 2]
