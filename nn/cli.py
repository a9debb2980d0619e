"""The `mlpgrad` command line: demo, train, compare, graph.

Every sub-command takes the network as `--layers 2,16,8,1 --activations
relu,relu,sigmoid --loss bce`. Bad arguments print one line and exit with
status 2, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any, Sequence

import numpy as np

DATASETS = ("moons", "circles", "xor", "sine", "surface", "spirals", "blobs")
LOSS_FOR_DATASET = {"moons": "bce", "circles": "bce", "xor": "bce", "sine": "mse", "surface": "mse",
                    "spirals": "cross_entropy", "blobs": "cross_entropy"}
OUTPUT_ACTIVATION = {"bce": "sigmoid", "bce_with_logits": "identity", "mse": "identity", "l1": "identity",
                     "cross_entropy": "identity", "half_sse": "identity"}


class UsageError(Exception):
    """A bad command-line argument: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line instead of usage + message
        raise UsageError(message)


# -- argument helpers ----------------------------------------------------------------
def _int_list(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{what} must be comma-separated integers, got {text!r}") from None
    if len(values) < 2 or any(v < 1 for v in values):
        raise UsageError(f"{what} needs at least two positive sizes (input and output), got {text!r}")
    return values


def _network_args(p: argparse.ArgumentParser, layers: str | None, activations: str | None = None) -> None:
    p.add_argument("--layers", default=layers, help="layer sizes, e.g. 2,16,8,1 (input first, output last)")
    p.add_argument("--activations", default=activations,
                   help="one activation per layer: relu, leaky_relu, tanh, sigmoid, softmax, identity")
    p.add_argument("--loss", default=None, help="mse, l1, bce, bce_with_logits, cross_entropy")
    p.add_argument("--seed", type=int, default=0, help="seed for data and initial weights (default 0)")


def _build_model(args: argparse.Namespace, n_in: int | None = None, n_out: int | None = None):
    import nn
    from nn.layers import ACTIVATIONS
    from nn.losses import LOSSES
    loss = args.loss
    if loss is not None and loss not in LOSSES and loss != "half_sse":
        raise UsageError(f"unknown loss {loss!r}; expected one of {sorted(LOSSES)}")
    sizes = _int_list(args.layers, "--layers") if args.layers else None
    if sizes is None:
        raise UsageError("--layers is required, e.g. --layers 2,16,8,1")
    if n_in is not None and sizes[0] != n_in:
        raise UsageError(f"--layers starts with {sizes[0]} inputs but the data has {n_in} features")
    if n_out is not None and sizes[-1] != n_out:
        raise UsageError(f"--layers ends with {sizes[-1]} outputs but the task needs {n_out}")
    if args.activations:
        acts = [a.strip().lower() for a in args.activations.split(",")]
    else:
        acts = ["relu"] * (len(sizes) - 2) + [OUTPUT_ACTIVATION.get(loss or "mse", "identity")]
    unknown = [a for a in acts if a not in ACTIVATIONS]
    if unknown:
        raise UsageError(f"unknown activation {unknown[0]!r}; expected one of "
                         f"{sorted(k for k in ACTIVATIONS if k not in ('linear', 'none'))}")
    if len(acts) != len(sizes) - 1:
        raise UsageError(f"--layers {args.layers} has {len(sizes) - 1} layers but --activations gives "
                         f"{len(acts)} names")
    if loss == "bce" and acts[-1] != "sigmoid":
        raise UsageError(f"--loss bce needs a sigmoid output layer, got {acts[-1]!r}; "
                         "use --loss bce_with_logits for a linear output")
    return nn.MLP(sizes, activations=acts, seed=args.seed)


def _load_dataset(name: str, n: int | None, seed: int, target: str | None = None):
    """(X, y, task) for a built-in dataset name or a CSV path; task is binary/regression/multiclass."""
    from nn import data
    if name in DATASETS:
        makers = {"moons": lambda: data.make_moons(n or 500, noise=0.2, seed=seed),
                  "circles": lambda: data.make_circles(n or 500, noise=0.1, factor=0.5, seed=seed),
                  "xor": lambda: data.make_xor(n or 4, seed=seed),
                  "sine": lambda: data.make_sine(n or 200, seed=seed),
                  "surface": lambda: data.make_surface(n or 10_000, seed=seed),
                  "spirals": lambda: data.make_spirals(n or 300, n_classes=3, noise=0.2, seed=seed),
                  "blobs": lambda: data.make_blobs(n or 300, centers=3, seed=seed)}
        X, y = makers[name]()
        task = {"sine": "regression", "surface": "regression", "spirals": "multiclass",
                "blobs": "multiclass"}.get(name, "binary")
        return X, y, task
    return _load_csv(name, target)


def _load_csv(path: str, target: str | None):
    if not os.path.exists(path):
        raise UsageError(f"dataset {path!r} is neither a built-in name {DATASETS} nor an existing CSV file")
    if not target:
        raise UsageError(f"a CSV dataset needs --target COLUMN ({path})")
    import csv
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise UsageError(f"{path}: expected a header row and at least one data row")
    header, body = [h.strip() for h in rows[0]], rows[1:]
    if target not in header:
        raise UsageError(f"{path}: no column {target!r}; columns are {header}")
    try:
        table = np.array([[float(v) for v in r] for r in body if r], dtype=np.float64)
    except ValueError as e:
        raise UsageError(f"{path}: non-numeric value ({e})") from None
    if table.ndim != 2 or table.shape[1] != len(header):
        raise UsageError(f"{path}: rows have differing numbers of columns")
    if not np.isfinite(table).all():
        raise UsageError(f"{path}: contains NaN/inf values")
    j = header.index(target)
    y = table[:, j:j + 1]
    X = np.delete(table, j, axis=1)
    values = np.unique(y)
    task = "binary" if set(values.tolist()) <= {0.0, 1.0} else "regression"
    return X, y, task


def _n_outputs(y: np.ndarray, task: str) -> int:
    return int(y.max()) + 1 if task == "multiclass" else y.shape[1]


def _default_loss(task: str) -> str:
    return {"binary": "bce", "regression": "mse", "multiclass": "cross_entropy"}[task]


# -- sub-commands ---------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace) -> int:
    """The main job: train the moons MLP, check its gradients, draw its graph, plot."""
    import autograd
    import nn
    from nn import data, metrics
    from nn.compare import compare_gradients
    out = args.out
    os.makedirs(out, exist_ok=True)
    seed = args.seed
    print(f"mlpgrad demo (seed {seed}): two moons, 2→16→8→1 ReLU/ReLU/sigmoid, BCE, SGD lr 0.1")
    # seed 002's data and split, replayed exactly (its legacy RandomState recipe)
    X, y = data.make_moons(500, noise=0.2, seed=seed, legacy="tutorial")
    X_tr, X_te, y_tr, y_te = data.train_test_split(X, y, test_size=0.2, seed=seed, legacy="tutorial")
    scaler = data.Standardizer().fit(X_tr)
    X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    model = nn.MLP([2, 16, 8, 1], activations=["relu", "relu", "sigmoid"], seed=seed)
    print(model)
    opt = nn.optim.SGD(model.parameters(), lr=0.1)
    t0 = time.perf_counter()
    hist = nn.fit(model, X_tr, y_tr, nn.BCELoss(), opt, epochs=args.epochs, validation=(X_te, y_te),
                  metrics=["accuracy"], progress=True, seed=seed)
    secs = time.perf_counter() - t0
    acc_tr = metrics.accuracy(y_tr, nn.predict(model, X_tr))
    acc_te = metrics.accuracy(y_te, nn.predict(model, X_te))
    print(f"\ntrained {hist.epochs} epochs in {secs:.2f} s: loss {hist.train_loss[0]:.4f} → "
          f"{hist.train_loss[-1]:.4f}; train accuracy {acc_tr:.3f}, test accuracy {acc_te:.3f}")
    print("\nAutograd vs manual backprop vs central differences (first 64 training rows):")
    report = compare_gradients(model, X_tr[:64], y_tr[:64], nn.BCELoss())
    print(report)
    files = []
    with open(os.path.join(out, "gradient_check.txt"), "w") as f:
        f.write(str(report) + "\n")
    files.append(os.path.join(out, "gradient_check.txt"))
    files.append(model.save(os.path.join(out, "model.npz")))
    hist.save_json(os.path.join(out, "history.json"))
    files.append(os.path.join(out, "history.json"))
    loss = nn.BCELoss()(model(autograd.Tensor(X_tr[:8], name="X")), autograd.Tensor(y_tr[:8], name="y"))
    loss.backward()
    drawing = autograd.draw_graph(loss, params=model, title="2→16→8→1 MLP, BCE loss (8 rows)")
    files.append(_render(drawing, os.path.join(out, "graph"), "svg"))
    files.append(_render(autograd.draw_graph(loss, params=model, collapse=True),
                         os.path.join(out, "graph_collapsed"), "png"))
    model.zero_grad()
    files += _plots(model, hist, X_tr, y_tr, "binary", out)
    print("\nfiles written:")
    for f in files:
        if f:
            print(f"  {f}")
    ok = report.ok and acc_te >= 0.9
    print(f"\nRESULT test_accuracy={acc_te:.4f} gradients_match={report.ok}")
    return 0 if ok else 1


def _render(drawing: Any, stem: str, fmt: str) -> str | None:
    try:
        return drawing.render(stem, format=fmt)
    except RuntimeError as e:  # graphviz `dot` missing: keep the DOT source and say how to render it
        path = stem + ".dot"
        with open(path, "w") as f:
            f.write(drawing.source)
        print(f"note: {e}; wrote {path} instead", file=sys.stderr)
        return path


def _plots(model: Any, hist: Any, X: np.ndarray, y: np.ndarray, task: str, out: str) -> list[str]:
    try:
        from nn import plot
    except ImportError as e:
        print(f"note: skipping plots ({e})", file=sys.stderr)
        return []
    files = []
    try:
        p = os.path.join(out, "loss.png")
        plot.plot_history(hist, path=p)
        files.append(p)
        if X.shape[1] == 2 and task in ("binary", "multiclass"):
            p = os.path.join(out, "decision_boundary.png")
            plot.plot_decision_boundary(model, X, y, path=p)
            files.append(p)
        elif X.shape[1] == 1 and task == "regression":
            p = os.path.join(out, "fit.png")
            plot.plot_regression_fit(model, X, y, path=p)
            files.append(p)
    except ImportError as e:
        print(f"note: skipping plots ({e})", file=sys.stderr)
    return files


def cmd_train(args: argparse.Namespace) -> int:
    import nn
    from nn import data
    X, y, task = _load_dataset(args.dataset, args.samples, args.seed, args.target)
    args.loss = args.loss or _default_loss(task)
    if args.layers is None:
        hidden = [16, 8]
        args.layers = ",".join(map(str, [X.shape[1], *hidden, _n_outputs(y, task)]))
    model = _build_model(args, X.shape[1], _n_outputs(y, task))
    optimizers = nn.optim.OPTIMIZERS
    if args.optimizer not in optimizers:
        raise UsageError(f"unknown optimizer {args.optimizer!r}; expected one of {sorted(optimizers)}")
    if args.epochs < 1:
        raise UsageError(f"--epochs must be >= 1, got {args.epochs}")
    if args.lr <= 0:
        raise UsageError(f"--lr must be > 0, got {args.lr}")
    if args.standardize:
        X = data.Standardizer().fit_transform(X)
    opt = optimizers[args.optimizer](model.parameters(), lr=args.lr)
    metrics = ["accuracy"] if task != "regression" else ["r2"]
    print(f"mlpgrad train (seed {args.seed}): {args.dataset}, {X.shape[0]} rows, {model.describe()} "
          f"{model.activation_names}, loss {args.loss}, {args.optimizer} lr {args.lr}")
    try:
        hist = nn.fit(model, X, y, args.loss, opt, epochs=args.epochs, batch_size=args.batch_size,
                      validation_fraction=args.val_fraction, early_stopping=args.early_stopping,
                      metrics=metrics, progress=True, seed=args.seed)
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None
    print(hist)
    for k, v in hist.metrics.items():
        print(f"train {k}: {v[-1]:.4f}" + (f", validation {k}: {hist.val_metrics[k][-1]:.4f}"
                                         if k in hist.val_metrics else ""))
    os.makedirs(args.out, exist_ok=True)
    files = [model.save(os.path.join(args.out, "model.npz"))]
    hist.save_json(os.path.join(args.out, "history.json"))
    hist.save_csv(os.path.join(args.out, "history.csv"))
    files += [os.path.join(args.out, "history.json"), os.path.join(args.out, "history.csv")]
    files += _plots(model, hist, X, y, task, args.out)
    print("files written:\n" + "\n".join(f"  {f}" for f in files))
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from nn.compare import compare_gradients
    X, y, task = _load_dataset(args.dataset, args.samples, args.seed, args.target)
    args.loss = args.loss or _default_loss(task)
    model = _build_model(args, X.shape[1], _n_outputs(y, task))
    try:
        report = compare_gradients(model, X, y, args.loss, numerical=not args.no_numerical)
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None
    print(f"mlpgrad compare (seed {args.seed}): {args.dataset}, {X.shape[0]} rows, {model.describe()} "
          f"{model.activation_names}")
    print(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.to_dict(), f, indent=1)
    return 0 if report.ok else 1


def cmd_graph(args: argparse.Namespace) -> int:
    import autograd
    import nn
    X, y, task = _load_dataset(args.dataset, args.samples, args.seed, None)
    args.loss = args.loss or _default_loss(task)
    model = _build_model(args, X.shape[1], _n_outputs(y, task))
    loss = nn.get_loss(args.loss)(model(autograd.Tensor(X, name="X")), autograd.Tensor(y, name="y"))
    if args.steps:
        from autograd.trace import trace_backward
        trace = trace_backward(loss, params=model)
        os.makedirs(args.steps, exist_ok=True)
        frames = trace.save_frames(args.steps, format="svg")
        html = trace.to_html(os.path.join(args.steps, "index.html"))
        print(f"wrote {len(frames)} frames and {html}")
    else:
        loss.backward()
    drawing = autograd.draw_graph(loss, params=model, collapse=args.collapse)
    stem, ext = os.path.splitext(args.out)
    fmt = args.format or (ext.lstrip(".") if ext else "svg")
    if fmt not in ("svg", "png", "pdf", "dot"):
        raise UsageError(f"--format must be svg, png, pdf or dot, got {fmt!r}")
    if os.path.dirname(stem):
        os.makedirs(os.path.dirname(stem), exist_ok=True)
    if fmt == "dot":
        with open(stem + ".dot", "w") as f:
            f.write(drawing.source)
        print(f"wrote {stem}.dot")
    else:
        print(f"wrote {_render(drawing, stem, fmt)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="mlpgrad", description="Train MLPs, check autograd against manual backprop, draw graphs.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    d = sub.add_parser("demo", help="train the moons MLP, compare gradients, draw the graph, plot")
    d.add_argument("--out", default="out/demo")
    d.add_argument("--epochs", type=int, default=2000)
    d.add_argument("--seed", type=int, default=42)
    t = sub.add_parser("train", help="train an MLP on a dataset or CSV file")
    t.add_argument("dataset", nargs="?", default="moons", help=f"one of {', '.join(DATASETS)} or a CSV path")
    _network_args(t, None)
    t.add_argument("--target", help="target column of a CSV dataset")
    t.add_argument("--samples", type=int, default=None)
    t.add_argument("--optimizer", default="sgd", help="sgd, adam, adamw, rmsprop")
    t.add_argument("--lr", type=float, default=0.1)
    t.add_argument("--epochs", type=int, default=500)
    t.add_argument("--batch-size", type=int, default=None)
    t.add_argument("--val-fraction", type=float, default=None)
    t.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE")
    t.add_argument("--standardize", action="store_true", help="standardise the features first")
    t.add_argument("--out", default="out/train")
    c = sub.add_parser("compare", help="autograd vs manual vs numerical gradients, as a table")
    _network_args(c, "2,16,8,1", "relu,relu,sigmoid")
    c.add_argument("--dataset", default="moons")
    c.add_argument("--target", help="target column of a CSV dataset")
    c.add_argument("--samples", type=int, default=64)
    c.add_argument("--no-numerical", action="store_true", help="skip central differences")
    c.add_argument("--json", help="also write the report as JSON")
    g = sub.add_parser("graph", help="draw the computation graph of an MLP's loss")
    _network_args(g, "2,4,1", "tanh,sigmoid")
    g.add_argument("--dataset", default="moons")
    g.add_argument("--samples", type=int, default=4)
    g.add_argument("--out", default="graph.svg")
    g.add_argument("--format", default=None, help="svg, png, pdf or dot (default: from --out)")
    g.add_argument("--collapse", action="store_true", help="one box per module")
    g.add_argument("--steps", default=None, metavar="DIR", help="also write backprop frames + HTML here")
    return p


COMMANDS = {"demo": cmd_demo, "train": cmd_train, "compare": cmd_compare, "graph": cmd_graph}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        if getattr(args, "samples", None) is not None and args.samples < 1:
            raise UsageError(f"--samples must be >= 1, got {args.samples}")
        return COMMANDS[args.command](args)
    except UsageError as e:
        print(f"mlpgrad: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
