"""How much memory and time does loading a big CSV take, before and after issue 16?

    python benchmarks/csv_load.py                       # 530,000 rows x 11 columns (~51 MB) in /tmp
    python benchmarks/csv_load.py --rows 50000          # a quick run
    python benchmarks/csv_load.py --train-epochs 3      # also time `mlpgrad train` on it to its first progress line

The file is generated once (seeded) outside the repository. Each loader runs in
a fresh Python process that imports everything first, then loads the file as
the command line does (target column split off); it reports the wall time and
the peak resident memory (`ru_maxrss`) minus the resident memory just before
loading. `old` is the loader mlpgrad had before issue 16 (commit 29bb34c:
`csv.reader` into lists of Python floats, then `np.array`), copied below so the
comparison needs no git checkout; `new` is `nn.csvdata.read_csv` plus the split
the CLI does (`nn.cli._csv_dataset`).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def make_csv(path: str, rows: int, cols: int, seed: int = 0) -> None:
    """`cols - 1` uniform features and a target y = features @ w + noise, 6 decimals."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(0, 1, (rows, cols - 1))
    y = X @ rng.normal(size=cols - 1) + 0.1 * rng.normal(size=rows)
    with open(path, "w") as f:
        f.write(",".join([f"x{i}" for i in range(1, cols)] + ["y"]) + "\n")
        np.savetxt(f, np.column_stack([X, y]), fmt="%.6f", delimiter=",")


def old_loader(path: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """The pre-issue-16 loader (nn/cli.py `_load_csv` at 29bb34c), error handling left out."""
    import csv
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = [h.strip() for h in rows[0]], rows[1:]
    table = np.array([[float(v) for v in r] for r in body if r], dtype=np.float64)
    j = header.index(target)
    y = table[:, j:j + 1]
    X = np.delete(table, j, axis=1)
    return X, y


def new_loader(path: str, target: str) -> tuple[np.ndarray, np.ndarray]:
    """The command line's loader since issue 16."""
    from nn.cli import _csv_dataset
    data = _csv_dataset(path, target, None, "auto")
    return data.X, data.target


def _rss_kib() -> int:
    with open("/proc/self/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def measure(which: str, path: str) -> dict:
    """Load `path` with one loader in this process; time and memory as a dict."""
    import nn.cli  # noqa: F401  (imports are not part of the measurement)
    loader = {"old": old_loader, "new": new_loader}[which]
    before = _rss_kib()
    t0 = time.perf_counter()
    X, y = loader(path, "y")
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {"loader": which, "seconds": secs, "peak_rss_mib": peak / 1024, "rss_before_mib": before / 1024,
            "increase_mib": (peak - before) / 1024, "shape": [int(X.shape[0]), int(X.shape[1] + 1)]}


def time_train(path: str, epochs: int) -> dict:
    """`mlpgrad train` on the file: seconds to the first progress line, total, peak memory of the child."""
    cmd = [sys.executable, "-m", "nn", "train", path, "--target", "y", "--epochs", str(epochs),
           "--out", "/tmp/mlpgrad_csv_bench_out"]
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                         env={**os.environ, "MPLBACKEND": "Agg"})
    first = None
    for line in p.stdout:
        if first is None and line.startswith("epoch"):
            first = time.perf_counter() - t0
    p.wait()
    total = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the train process only
    return {"first_progress_line_s": first, "total_s": total, "peak_rss_mib": peak, "status": p.returncode}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=530_000, help="data rows (default: 530000)")
    p.add_argument("--cols", type=int, default=11, help="columns, the last is the target (default: 11)")
    p.add_argument("--path", default=None, help="CSV file (default: /tmp/mlpgrad_csv_ROWSxCOLS.csv)")
    p.add_argument("--loaders", default="old,new", help="which loaders to run (default: old,new)")
    p.add_argument("--train-epochs", type=int, default=0, help="also time mlpgrad train (default: 0, skip)")
    p.add_argument("--json", default=None, help="write the results here too (default: no)")
    p.add_argument("--measure", default=None, help=argparse.SUPPRESS)  # internal: run in a child process
    args = p.parse_args()
    path = args.path or f"/tmp/mlpgrad_csv_{args.rows}x{args.cols}.csv"
    if args.measure:  # in a child process, so that ru_maxrss is this measurement's alone
        result = time_train(path, args.train_epochs) if args.measure == "train" else measure(args.measure, path)
        print(json.dumps(result))
        return 0
    if not os.path.exists(path):
        print(f"writing {path} ...", flush=True)
        make_csv(path, args.rows, args.cols)
    size = os.path.getsize(path) / 2**20
    print(f"{path}: {args.rows:,} rows x {args.cols} columns, {size:.1f} MiB")
    results = []
    print(f"{'loader':<7} {'seconds':>8} {'peak RSS MiB':>13} {'RSS before':>11} {'increase':>9} {'x file':>7}")
    for which in args.loaders.split(","):
        out = subprocess.run([sys.executable, __file__, "--measure", which, "--path", path], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
        r = json.loads(out)
        r["file_mib"] = size
        results.append(r)
        print(f"{which:<7} {r['seconds']:>8.2f} {r['peak_rss_mib']:>13.0f} {r['rss_before_mib']:>11.0f} "
              f"{r['increase_mib']:>9.0f} {r['increase_mib'] / size:>7.1f}")
    if args.train_epochs:
        t = json.loads(subprocess.run([sys.executable, __file__, "--measure", "train", "--path", path,
                                       "--train-epochs", str(args.train_epochs)], cwd=ROOT, capture_output=True,
                                      text=True, check=True).stdout)
        results.append({"train": t})
        print(f"mlpgrad train, {args.train_epochs} epochs: first progress line after {t['first_progress_line_s']:.1f} s, "
              f"done in {t['total_s']:.1f} s, peak RSS {t['peak_rss_mib']:.0f} MiB (exit {t['status']})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
