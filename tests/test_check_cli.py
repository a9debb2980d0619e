"""`mlpgrad check FILE.py`: exit 0 when every gradient matches, 1 when one is wrong, 2 on a broken file."""
from __future__ import annotations

import json
import textwrap


from nn.cli import main

GOOD = '''
import numpy as np

rng = np.random.default_rng(0)
X = rng.normal(size=(2, 8))
Y = (rng.random((1, 8)) > 0.5).astype(float)
params = {"W1": rng.normal(size=(3, 2)), "b1": np.zeros((3, 1)),
          "W2": rng.normal(size=(1, 3)), "b2": np.zeros((1, 1))}
args = (X, Y)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def loss(p, X, Y):
    A1 = sigmoid(np.dot(p["W1"], X) + p["b1"])
    A2 = sigmoid(np.dot(p["W2"], A1) + p["b2"])
    return -np.mean(Y * np.log(A2) + (1 - Y) * np.log(1 - A2))


def grads(p, X, Y):
    m = X.shape[1]
    A1 = sigmoid(np.dot(p["W1"], X) + p["b1"])
    A2 = sigmoid(np.dot(p["W2"], A1) + p["b2"])
    dZ2 = A2 - Y
    dZ1 = np.dot(p["W2"].T, dZ2) * A1 * (1 - A1)
    return {"dW2": np.dot(dZ2, A1.T) / m, "db2": np.sum(dZ2, axis=1, keepdims=True) / m,
            "dW1": np.dot(dZ1, X.T) / m, "db1": np.sum(dZ1, axis=1, keepdims=True) / m}
'''


def run(tmp_path, source: str, *flags: str, name: str = "mine.py") -> tuple:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path, main(["check", str(path), *flags])


def test_correct_gradients_exit_0(tmp_path, capsys):
    _, code = run(tmp_path, GOOD)
    out = capsys.readouterr().out
    assert code == 0 and "all 4 gradients match" in out and "W1 (dW1)" in out


def test_a_wrong_gradient_exits_1_with_its_diagnosis(tmp_path, capsys):
    _, code = run(tmp_path, GOOD.replace('np.dot(dZ2, A1.T) / m', 'np.dot(dZ2, A1.T)'))
    out = capsys.readouterr().out
    assert code == 1
    assert "✗ W2: constant factor 8: ×m (m = 8, the batch size)" in out
    assert "first wrong (closest to the output): W2" in out


def test_json_report(tmp_path, capsys):
    _, code = run(tmp_path, GOOD, "--json", str(tmp_path / "r.json"), "--no-numerical")
    d = json.loads((tmp_path / "r.json").read_text())
    assert code == 0 and d["ok"] is True and [r["name"] for r in d["rows"]] == ["W1", "b1", "W2", "b2"]
    assert all(r["numerical_rel_error"] is None for r in d["rows"])


def test_rtol_flag(tmp_path, capsys):
    nudged = GOOD.replace('"db2": np.sum(dZ2, axis=1, keepdims=True) / m',
                          '"db2": np.sum(dZ2, axis=1, keepdims=True) / m * (1 + 1e-5)')
    assert run(tmp_path, nudged)[1] == 1
    assert run(tmp_path, nudged, "--rtol", "1e-4")[1] == 0


def broken(tmp_path, capsys, source: str, name: str = "mine.py") -> str:
    _, code = run(tmp_path, source, name=name)
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and "Traceback" not in captured.err + captured.out, captured.err
    return lines[0]


def test_missing_definitions_are_named(tmp_path, capsys):
    line = broken(tmp_path, capsys, GOOD.replace("def grads", "def gradz").replace("params =", "parms ="))
    assert line == ("mlpgrad: error: mine.py defines no params, grads; expected params (a dict of arrays), "
                    "loss(params, *args), grads(params, *args) and optionally args (a tuple)")


def test_loss_that_is_not_a_function(tmp_path, capsys):
    line = broken(tmp_path, capsys, GOOD + "\nloss = 3\n")
    assert "mine.py: loss is of type int, not a function" in line


def test_args_must_be_a_tuple(tmp_path, capsys):
    line = broken(tmp_path, capsys, GOOD + "\nargs = X\n")
    assert "mine.py: args is of type ndarray; expected a tuple of the extra arguments" in line


def test_syntax_error_names_the_line(tmp_path, capsys):
    line = broken(tmp_path, capsys, "import numpy as np\nx = (1 +\n")
    assert line.startswith("mlpgrad: error: mine.py:2: SyntaxError: ") and line.endswith("(while running the file)")


def test_exception_while_running_the_file_names_the_line(tmp_path, capsys):
    line = broken(tmp_path, capsys, "import numpy as np\n\nparams = {'W': np.ones(2)}\nq = params['V']\n")
    assert line == "mlpgrad: error: mine.py:4: KeyError: 'V' (while running the file)"


def test_exception_inside_grads_names_the_users_line(tmp_path, capsys):
    source = GOOD.replace("    dZ2 = A2 - Y\n", "    dZ2 = A2 - Y\n    bad = np.dot(dZ2, X)\n")
    line = broken(tmp_path, capsys, source)
    lineno = source.splitlines().index("    bad = np.dot(dZ2, X)") + 1
    assert line.startswith(f"mlpgrad: error: mine.py:{lineno} in grads: ValueError: shapes (1,8) and (2,8) not aligned")
    assert line.endswith("(while checking the gradients)")


def test_sys_exit_in_the_file_is_reported(tmp_path, capsys):
    line = broken(tmp_path, capsys, "import sys\nsys.exit(3)\n")
    assert line == "mlpgrad: error: mine.py: called sys.exit(3) while running the file"


def test_unknown_gradient_keys(tmp_path, capsys):
    line = broken(tmp_path, capsys, GOOD.replace('"dW2":', '"gradW2":'))
    assert line.startswith("mlpgrad: error: mine.py: grads_fn returned unknown key 'gradW2'; expected one per "
                           "parameter, named like it or with a 'd' prefix: 'W1'/'dW1'")


def test_loss_returning_an_array(tmp_path, capsys):
    line = broken(tmp_path, capsys, GOOD.replace("return -np.mean(", "return -(").replace(
        "np.log(1 - A2))", "np.log(1 - A2))"))
    assert "mine.py: loss_fn must return a scalar loss, got ndarray of shape (1, 8)" in line


def test_missing_file(tmp_path, capsys):
    code = main(["check", str(tmp_path / "nope.py")])
    err = capsys.readouterr().err
    assert code == 2 and "nope.py: no such file; expected a Python file defining params" in err


def test_the_file_may_import_its_neighbours(tmp_path, capsys):
    (tmp_path / "mymlp.py").write_text(textwrap.dedent(GOOD))
    _, code = run(tmp_path, "from mymlp import params, loss, grads, args\n")
    assert code == 0


def test_main_block_of_the_file_does_not_run(tmp_path, capsys):
    _, code = run(tmp_path, GOOD + "\nif __name__ == '__main__':\n    raise SystemExit('trained!')\n")
    assert code == 0
