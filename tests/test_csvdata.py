"""nn.csvdata (numeric CSVs → arrays, errors naming the line) and nn.tasks (task, targets, saved scaler)."""
from __future__ import annotations

import os
import tracemalloc

import numpy as np
import pytest

from nn.csvdata import CSVError, read_csv
from nn.tasks import Dataset, Preprocessing, detect_task, load_model, save_model


def write(tmp_path, data: bytes, name: str = "d.csv") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("data, delimiter", [
    (b"a,b\n1,2\n3,4\n", ","),
    (b"\xef\xbb\xbfa,b\r\n1,2\r\n3,4\r\n", ","),          # Excel "CSV UTF-8": BOM and CRLF
    (b"a;b\n1;2\n3;4", ";"),                              # semicolons, no final newline
    (b"a\tb\n1\t2\n\n3\t4\n", "\t"),                      # tabs, a blank line
    (b'"a","b"\n"1","2"\n3,4\n', ","),                    # quoted names and values
    (b"\n\na|b\n1|2\n3|4\n", "|"),                        # leading blank lines, bars
])
def test_reads_the_common_dialects(tmp_path, data, delimiter):
    table = read_csv(write(tmp_path, data))
    assert table.columns == ["a", "b"] and table.delimiter == delimiter
    np.testing.assert_array_equal(table.values, [[1, 2], [3, 4]])
    assert table.values.dtype == np.float64


def test_max_rows_reads_only_the_first_rows(tmp_path):
    path = write(tmp_path, b"a,b\n" + b"".join(f"{i},{2 * i}\n".encode() for i in range(100)))
    np.testing.assert_array_equal(read_csv(path, max_rows=3).values, [[0, 0], [1, 2], [2, 4]])


@pytest.mark.parametrize("data, message", [
    (b"a,b\n1,2\n3\n", "line 3 has 1 fields but the header has 2 columns"),
    (b"a,b\n1,2\n3,4,5\n", "line 3 has 3 fields but the header has 2 columns"),
    (b"a,b\n1,2\n\n\n3,x\n", "line 5, column 'b': 'x' is not a number"),
    (b"a,b\n1,\n", "line 2, column 'b': empty value"),
    (b"a,b\n1,inf\n", "line 2, column 'b': 'inf' is not a finite number"),
    (b"a;b\n1,25;2\n", "line 2, column 'a': '1,25' uses a decimal comma"),
    (b"a,b\n1,2\n\xff,3\n", "line 3 is not UTF-8 text (byte 0xff)"),
    (b"a,\x00b\n", "looks like a binary file (NUL byte at offset 2)"),
    ("a,b\n".encode("utf-16"), "is UTF-16 text"),
    (b"", "the file is empty"),
    (b"a,b\n", "has a header but no data rows"),
    (b"1,2\n3,4\n", "expected a header row of column names"),
    (b"a,,c\n1,2,3\n", "empty column name (column 2)"),
    (b"a,a\n1,2\n", "repeats the column name(s) ['a']"),
])
def test_refusals_name_the_line_and_what_was_expected(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(CSVError) as e:
        read_csv(path)
    assert message in str(e.value) and str(e.value).startswith(path)
    assert "\n" not in str(e.value)


def test_a_directory_or_a_missing_file_is_refused(tmp_path):
    with pytest.raises(CSVError, match="is a directory; expected a CSV file"):
        read_csv(str(tmp_path))
    with pytest.raises(CSVError, match=r"cannot read the file \(No such file or directory\)"):
        read_csv(str(tmp_path / "nope.csv"))


def test_a_non_utf8_byte_deep_in_a_big_file_names_its_line(tmp_path):
    body = b"".join(f"{i},{i % 3}\n".encode() for i in range(20_000))  # past the 64 KiB sniffed at first
    path = write(tmp_path, b"a,b\n" + body + b"1\xe9,2\n")
    with pytest.raises(CSVError, match="line 20002 is not UTF-8 text"):
        read_csv(path)


def test_memory_is_about_the_size_of_the_table(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.normal(size=(60_000, 11))
    path = tmp_path / "big.csv"
    with open(path, "w") as f:
        f.write(",".join(f"c{i}" for i in range(11)) + "\n")
        np.savetxt(f, values, fmt="%.6f", delimiter=",")
    size = os.path.getsize(path)
    tracemalloc.start()
    table = read_csv(str(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    np.testing.assert_allclose(table.values, values, atol=5e-7)
    assert peak < 2 * size, (peak, size)  # the old csv.reader loader needed ~16x the file


@pytest.mark.parametrize("values, requested, task, classes", [
    ([0, 1, 1, 0], "auto", "binary", [0, 1]),
    ([1, 2, 3, 2], "auto", "multiclass", [1, 2, 3]),
    ([-1, 1, 1], "auto", "binary", [-1, 1]),
    ([0.5, 1.0, 2.0], "auto", "regression", None),
    (list(range(21)), "auto", "regression", None),          # more than MAX_CLASSES distinct integers
    (list(range(21)), "classify", "multiclass", list(range(21))),
    ([0, 1, 2], "regress", "regression", None),
])
def test_detect_task(values, requested, task, classes):
    assert detect_task(np.asarray(values, dtype=float), requested) == (task, classes)


def test_detect_task_refuses_impossible_classification():
    with pytest.raises(ValueError, match="needs integer class labels, got the value 0.5"):
        detect_task(np.array([0.5, 1.0]), "classify")
    with pytest.raises(ValueError, match="needs at least 2 classes, got only the value 3"):
        detect_task(np.array([3.0, 3.0]), "classify")


def test_targets_follow_the_loss():
    data = Dataset.from_columns("d", np.zeros((4, 2)), np.array([2.0, 5.0, 5.0, 2.0]), ["a", "b"], "y")
    assert data.task == "binary" and data.classes == [2.0, 5.0]
    y, n_out = data.targets_for("cross_entropy")
    assert n_out == 2 and y.tolist() == [0, 1, 1, 0] and y.dtype == np.int64
    y, n_out = data.targets_for("bce")
    assert n_out == 1 and y.shape == (4, 1) and y.dtype == np.float64
    assert data.chance_accuracy() == 0.5


def test_model_and_preprocessing_round_trip(tmp_path):
    import nn
    rng = np.random.default_rng(0)
    data = Dataset.from_columns("d", rng.normal(5, 3, (50, 2)), rng.normal(100, 10, 50), ["a", "b"], "y",
                                "regress")
    prep = Preprocessing.fit(data, "mse", standardize=True)
    model = nn.MLP([2, 3, 1], activations=["tanh", "identity"], seed=0)
    path = save_model(model, str(tmp_path / "m"), prep)
    again, prep2 = load_model(path)
    assert prep2 == prep
    X = data.X.copy()
    np.testing.assert_allclose(prep2.inputs(X), (data.X - data.X.mean(0)) / data.X.std(0))
    np.testing.assert_array_equal(nn.predict(again, X), nn.predict(model, X))
    np.testing.assert_allclose(prep.outputs(prep.targets(data.target)), data.target)
    assert nn.load_model(path).layer_sizes == [2, 3, 1]   # the plain loader still reads it


def test_the_csv_benchmark_runs_and_the_new_loader_uses_less_memory(tmp_path):
    import json
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = tmp_path / "r.json"
    r = subprocess.run([sys.executable, os.path.join(root, "benchmarks", "csv_load.py"), "--rows", "40000",
                        "--path", str(tmp_path / "b.csv"), "--json", str(out)],
                       capture_output=True, text=True, timeout=300, cwd=root)
    assert r.returncode == 0, r.stderr
    old, new = json.loads(out.read_text())
    assert old["shape"] == new["shape"] == [40000, 11]
    assert new["increase_mib"] < old["increase_mib"] / 3
