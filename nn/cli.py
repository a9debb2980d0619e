"""The `mlpgrad` command line: demo, train, predict, compare, graph.

Every sub-command takes the network as `--layers 2,16,8,1 --activations
relu,relu,sigmoid --loss bce`; left out, they follow the dataset (input and
output sizes from the data, the loss from the task). Exit status: 0 success;
1 the command ran and the answer is no (gradients disagree, a run did not
learn), with one line saying why; 2 a bad argument or input: one line
`mlpgrad: error: …`, never a traceback; 3 an internal error (a bug: one line,
`MLPGRAD_DEBUG=1` shows the traceback).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
import zipfile
from typing import Any, Callable, Sequence

import numpy as np

from nn import registry as _registry

DATASETS = ("moons", "circles", "xor", "sine", "surface", "spirals", "blobs")
MIN_SAMPLES = {"moons": 2, "circles": 2, "xor": 2, "sine": 2, "surface": 2, "spirals": 3, "blobs": 3}
BUILTIN_TASK = {"moons": "classify", "circles": "classify", "xor": "classify", "sine": "regress",
                "surface": "regress", "spirals": "classify", "blobs": "classify"}
# Loss and activation names come from the one table in nn.registry.
TRAIN_LOSSES = _registry.TRAIN_LOSSES          # losses with an nn module: train, graph
COMPARE_LOSSES = _registry.MANUAL_LOSSES       # losses with hand-derived backprop: compare
LOSS_ALIASES = _registry.LOSS_ALIASES
ACTIVATION_NAMES = tuple(_registry.ACTIVATIONS)
GRAPH_FORMATS = ("svg", "png", "pdf", "dot")
DEMO_ACCURACY = 0.9
SEED_MAX = 2**32 - 1
MAX_SAMPLES = 1_000_000
MAX_EPOCHS = 10_000_000
MAX_PARAMETERS = 50_000_000


class UsageError(Exception):
    """A bad command-line argument or input: reported in one line, exit status 2."""


class AnswerNo(Exception):
    """The command ran and the answer is no (did not learn, gradients disagree): one line, exit status 1.
    The message starts with the command's name."""


class _HelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default: written in the help text, or appended here."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        positional_required = not action.option_strings and action.nargs not in ("?", "*")
        if "default" in text or action.default is argparse.SUPPRESS or positional_required:
            return text
        return text + " (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # one line instead of usage + message
        raise UsageError(message)


# -- argument types: out-of-range numbers are refused while parsing -------------------
def _int_in(lo: int, hi: int) -> Callable[[str], int]:
    """An argparse type: an integer in [lo, hi]."""
    def parse(text: str) -> int:
        value = int(text)  # ValueError → argparse's "invalid int value: 'ten'"
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is out of range; expected an integer in [{lo}, {hi}]")
        return value
    parse.__name__ = "int"
    return parse


def _positive_float(text: str) -> float:
    """An argparse type: a finite number > 0."""
    value = float(text)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is out of range; expected a finite number > 0")
    return value


def _fraction(text: str) -> float:
    """An argparse type: a number strictly between 0 and 1."""
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} is out of range; expected a fraction between 0 and 1")
    return value


_positive_float.__name__ = _fraction.__name__ = "float"
SEED = _int_in(0, SEED_MAX)


def _int_list(text: str, what: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(f"{what} must be comma-separated integers, got {text!r}") from None
    if len(values) < 2 or any(v < 1 for v in values):
        raise UsageError(f"{what} needs at least two positive sizes (input and output), got {text!r}")
    return values


# -- output paths: checked before any work, so a long run never dies at the end ---------
def _check_ancestors(path: str, flag: str) -> None:
    """Refuse a path that lies under an existing file."""
    parent = os.path.dirname(os.path.abspath(path))
    while parent and not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if parent and not os.path.isdir(parent):
        raise UsageError(f"{flag} {path!r} lies under {parent!r}, which is a file; expected a path in a directory")


def _output_dir(path: str, flag: str = "--out") -> str:
    """Create directory `path` (and parents) and make sure a file can be written in it."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise UsageError(f"{flag} {path!r} is an existing file; expected a directory to write into")
    _check_ancestors(path, flag)
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as e:
        raise UsageError(f"{flag} {path!r}: cannot create or write to it ({e.strerror}); "
                         "expected a writable directory") from None
    return path


def _output_file(path: str, flag: str) -> str:
    """Check that file `path` can be written (creating its directory); an existing file is replaced."""
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path!r} is a directory; expected a file name")
    _check_ancestors(path, flag)
    folder = os.path.dirname(path) or "."
    try:
        os.makedirs(folder, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise UsageError(f"{flag} {path!r}: cannot write there ({e.strerror}); expected a writable location") \
            from None
    return path


# -- data and network ----------------------------------------------------------------------
def _load_dataset(args: argparse.Namespace):
    """The `Dataset` named by `args.dataset`: a built-in name or a CSV path (its first --samples rows)."""
    name, n = args.dataset, args.samples
    if name in DATASETS:
        return _builtin_dataset(name, n, args.seed, getattr(args, "task", "auto"))
    if not os.path.exists(name):
        raise UsageError(f"dataset {name!r} is neither a built-in name ({', '.join(DATASETS)}) nor an "
                         "existing CSV file")
    return _csv_dataset(name, getattr(args, "target", None), n, getattr(args, "task", "auto"))


def _builtin_dataset(name: str, n: int | None, seed: int, task: str):
    from nn import data
    from nn.tasks import Dataset
    if n is not None and n < MIN_SAMPLES[name]:
        raise UsageError(f"--samples {n} is too few for {name}; expected at least {MIN_SAMPLES[name]}")
    makers = {"moons": lambda: data.make_moons(n or 500, noise=0.2, seed=seed),
              "circles": lambda: data.make_circles(n or 500, noise=0.1, factor=0.5, seed=seed),
              "xor": lambda: data.make_xor(n or 4, seed=seed),
              "sine": lambda: data.make_sine(n or 200, seed=seed),
              "surface": lambda: data.make_surface(n or 10_000, seed=seed),
              "spirals": lambda: data.make_spirals(n or 300, n_classes=3, noise=0.2, seed=seed),
              "blobs": lambda: data.make_blobs(n or 300, centers=3, seed=seed)}
    try:
        X, y = makers[name]()
        features = [f"x{i + 1}" for i in range(X.shape[1])]
        return Dataset.from_columns(name, X, y, features, "y", BUILTIN_TASK[name] if task == "auto" else task)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _csv_dataset(path: str, target: str | None, n: int | None, task: str):
    from nn.csvdata import CSVError, read_csv
    from nn.tasks import Dataset
    try:
        table = read_csv(path, max_rows=n)
    except CSVError as e:
        raise UsageError(str(e)) from None
    if not target:
        raise UsageError(f"a CSV dataset needs --target COLUMN; {path} has the columns {table.columns}")
    if target not in table.columns:
        raise UsageError(f"{path}: no column {target!r}; columns are {table.columns}")
    if len(table.columns) < 2:
        raise UsageError(f"{path}: has only the target column {target!r}; expected at least one feature column")
    j = table.columns.index(target)
    y = table.values[:, j].copy()
    X = np.delete(table.values, j, axis=1)
    features = [c for c in table.columns if c != target]
    del table  # the full table is no longer needed: keep the peak at about two copies
    try:
        return Dataset.from_columns(path, X, y, features, target, task)
    except ValueError as e:
        raise UsageError(f"{path}: {e}") from None


def _choose_loss(requested: str | None, data: Any, accepted: Sequence[str]) -> str:
    """The loss to use: `requested` if it suits the dataset's task, else the task's default."""
    from nn.tasks import DEFAULT_LOSS, LOSSES_FOR_TASK
    if requested is None:
        return DEFAULT_LOSS[data.task]
    name = LOSS_ALIASES.get(requested.strip().lower(), requested.strip().lower())
    if name not in accepted:
        raise UsageError(f"unknown loss {requested!r}; expected one of {', '.join(accepted)}")
    suitable = [loss for loss in accepted if loss in LOSSES_FOR_TASK[data.task]]
    if name not in suitable:
        raise UsageError(f"--loss {name} does not fit {data.name}: its target is {_describe_target(data)}; "
                         f"expected one of {', '.join(suitable)}")
    return name


def _describe_target(data: Any) -> str:
    if data.task == "regression":
        return "a regression target"
    classes = ", ".join(f"{c:g}" for c in data.classes[:6]) + (", …" if data.n_classes > 6 else "")
    return f"{data.n_classes} classes ({classes})"


def _build_model(args: argparse.Namespace, data: Any, loss: str, hidden: Sequence[int], hidden_act: str):
    """The MLP of --layers/--activations, or one sized from the data: inputs, `hidden`, outputs."""
    import nn
    y, n_out = data.targets_for(loss)
    n_in = data.X.shape[1]
    sizes = _int_list(args.layers, "--layers") if args.layers else [n_in, *hidden, n_out]
    if sizes[0] != n_in:
        raise UsageError(f"--layers starts with {sizes[0]} inputs but the data has {n_in} features")
    if sizes[-1] != n_out:
        why = f"one per class ({n_out})" if loss == "cross_entropy" else f"{n_out}"
        raise UsageError(f"--layers ends with {sizes[-1]} outputs but --loss {loss} on {data.name} needs {why}; "
                         f"end --layers with {n_out}")
    if args.activations:
        acts = [a.strip().lower() for a in args.activations.split(",")]
    else:
        acts = [hidden_act] * (len(sizes) - 2) + [_registry.LOSSES[loss].default_output]
    unknown = [a for a in acts if _registry.activation_name(a) is None]
    if unknown:
        raise UsageError(f"unknown activation {unknown[0]!r}; expected one of {', '.join(ACTIVATION_NAMES)}")
    if len(acts) != len(sizes) - 1:
        raise UsageError(f"--layers {args.layers} has {len(sizes) - 1} layers but --activations gives "
                         f"{len(acts)} names")
    from nn.output_loss import check_output   # the one table of which output layer each loss reads
    try:
        check_output(loss, "identity" if acts[-1] in ("linear", "none") else acts[-1], "--activations")
    except ValueError as e:
        raise UsageError(str(e)) from None
    n_params = sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))
    if n_params > MAX_PARAMETERS:
        raise UsageError(f"--layers {','.join(map(str, sizes))} has {n_params:,} parameters; expected at most "
                         f"{MAX_PARAMETERS:,}")
    return nn.MLP(sizes, activations=acts, seed=args.seed), y


def _network_args(p: argparse.ArgumentParser, losses: Sequence[str], hidden: str, hidden_act: str) -> None:
    p.add_argument("--layers", default=None,
                   help=f"layer sizes, input first and output last, e.g. 2,16,8,1 "
                        f"(default: from the data: inputs,{hidden},outputs)")
    p.add_argument("--activations", default=None,
                   help=f"one per layer, from {', '.join(ACTIVATION_NAMES)} (default: {hidden_act} for hidden "
                        "layers, then sigmoid for bce, identity otherwise)")
    p.add_argument("--loss", default=None,
                   help=f"one of {', '.join(losses)} (default: from the task: bce for two classes, "
                        "cross_entropy for more, mse for regression)")
    p.add_argument("--seed", type=SEED, default=0, help=f"seed for the data and initial weights, 0..{SEED_MAX}")


def _data_args(p: argparse.ArgumentParser, samples: int | None, samples_help: str) -> None:
    p.add_argument("--target", default=None,
                   help="the target column of a CSV dataset (default: none; required for a CSV)")
    p.add_argument("--task", default="auto", choices=("auto", "classify", "regress"),
                   help="auto: a target of 2 to 20 distinct integers is classification, anything else "
                        "regression")
    p.add_argument("--samples", type=_int_in(1, MAX_SAMPLES), default=samples, help=samples_help)


# -- sub-commands ---------------------------------------------------------------------
def cmd_demo(args: argparse.Namespace) -> int:
    """The main job: train the moons MLP, check its gradients, draw its graph, plot."""
    import autograd
    import nn
    from nn import data, metrics
    from nn.compare import compare_gradients
    out = _output_dir(args.out)
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
    hist = _fit("demo", model, X_tr, y_tr, nn.BCELoss(), opt, args.epochs, 0.1, validation=(X_te, y_te),
                metrics=["accuracy"], seed=seed)
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
    print(f"\nRESULT test_accuracy={acc_te:.4f} gradients_match={report.ok}")
    reasons = ([] if acc_te >= DEMO_ACCURACY else
               [f"test accuracy {acc_te:.3f} is below the {DEMO_ACCURACY} the demo expects after {hist.epochs} "
                "epochs (the default --epochs 2000 reaches it)"])
    reasons += [] if report.ok else ["autograd and manual backprop disagree (see the table)"]
    if reasons:
        raise AnswerNo(f"demo: {'; '.join(reasons)}")
    return 0


def _render(drawing: Any, stem: str, fmt: str) -> str | None:
    try:
        return drawing.render(f"{stem}.{fmt}")   # an image name: only the image is written
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


def _fit(command: str, model: Any, X: np.ndarray, y: np.ndarray, loss: Any, optimizer: Any, epochs: int,
         lr: float, **kwargs: Any) -> Any:
    """`nn.fit` with progress lines off a terminal; divergence and bad data become one-line errors."""
    import nn
    from nn.train import ProgressLines, TrainingDiverged
    on_terminal = sys.stdout.isatty()
    try:
        return nn.fit(model, X, y, loss, optimizer, epochs=epochs, progress=on_terminal,
                      callbacks=[] if on_terminal else [ProgressLines()], **kwargs)
    except TrainingDiverged as e:
        raise AnswerNo(f"{command}: training diverged at epoch {e.epoch} ({e.what}); nothing was saved; "
                       f"lower the learning rate (--lr {lr:g} now; try {lr / 10:g})") from None
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None


def cmd_train(args: argparse.Namespace) -> int:
    """Train an MLP on a dataset or CSV, save it with its preprocessing; exit 1 if it learned nothing."""
    import nn
    from nn.tasks import Preprocessing, save_model
    if args.export_onnx:   # say so now, not after training
        from nn.interop import require_onnx
        try:
            require_onnx("--export-onnx")
        except ImportError as e:
            raise UsageError(str(e)) from None
        _output_file(args.export_onnx, "--export-onnx")
    _output_dir(args.out)
    if args.optimizer not in nn.optim.OPTIMIZERS:
        raise UsageError(f"unknown optimizer {args.optimizer!r}; expected one of {', '.join(nn.optim.OPTIMIZERS)}")
    data = _load_dataset(args)
    if len(data.X) < 2:
        raise UsageError(f"{data.name} has {len(data.X)} row; training needs at least 2")
    _check_split(len(data.X), args.val_fraction, data.task)
    loss = _choose_loss(args.loss, data, TRAIN_LOSSES)
    model, y = _build_model(args, data, loss, hidden=(16, 8), hidden_act="relu")
    prep = Preprocessing.fit(data, loss, args.standardize)
    data.X, y = prep.inputs(data.X), prep.targets(y)  # replace, not copy: one table in memory
    opt = nn.optim.OPTIMIZERS[args.optimizer](model.parameters(), lr=args.lr)
    scaled = ("inputs and target" if data.task == "regression" else "inputs") if args.standardize else "nothing"
    print(f"mlpgrad train (seed {args.seed}): {data.name}, {len(y)} rows, {_describe_target(data)}, "
          f"{model.describe()} {model.activation_names}, loss {loss}, {args.optimizer} lr {args.lr:g}, "
          f"standardized {scaled}")
    hist = _fit("train", model, data.X, y, loss, opt, args.epochs, args.lr, batch_size=args.batch_size,
                validation_fraction=args.val_fraction, early_stopping=args.early_stopping,
                metrics=["r2" if data.task == "regression" else "accuracy"], seed=args.seed)
    print(hist)
    for k, v in hist.metrics.items():
        print(f"train {k}: {v[-1]:.4f}" + (f", validation {k}: {hist.val_metrics[k][-1]:.4f}"
                                         if k in hist.val_metrics else ""))
    summary, warning = _final_fit(model, data, prep, hist, args.lr)
    print(summary)
    files = [save_model(model, os.path.join(args.out, "model.npz"), prep)]
    if args.export_onnx:
        files.append(prep.folded(model).export_onnx(args.export_onnx))   # takes raw columns
    hist.save_json(os.path.join(args.out, "history.json"))
    hist.save_csv(os.path.join(args.out, "history.csv"))
    files += [os.path.join(args.out, "history.json"), os.path.join(args.out, "history.csv")]
    files += _plots(model, hist, data.X, y, data.task, args.out)
    print("files written:\n" + "\n".join(f"  {f}" for f in files))
    if warning:
        raise AnswerNo(f"train: warning: {warning}")
    return 0


def _check_split(n: int, fraction: float | None, task: str) -> None:
    """Refuse a --val-fraction that leaves a part too small to score (R² needs 2 rows)."""
    if fraction is None:
        return
    n_val = int(round(n * fraction))
    need = 2 if task == "regression" else 1
    if min(n_val, n - n_val) < need:
        raise UsageError(f"--val-fraction {fraction:g} of {n} rows leaves {n_val} for validation and {n - n_val} "
                         f"for training; expected at least {need} in each (use more --samples)")


def _final_fit(model: Any, data: Any, prep: Any, hist: Any, lr: float) -> tuple[str, str | None]:
    """The final score on the training data in the target's own units, and a warning when the run
    learned nothing: R² < 0 (worse than the mean), accuracy at the majority rate, or a rising loss."""
    import nn
    from nn import metrics
    predicted, _ = prep.predict(nn.predict(model, data.X), model.activation_names[-1])
    if data.task == "regression":
        r2 = metrics.r2(data.target, predicted.reshape(-1, 1))
        summary = f"final R² {r2:.4f} on the training data"
        problem = f"the final R² = {r2:.4g} is worse than predicting the mean (R² = 0)" if r2 < 0 else ""
    else:
        acc = float(np.mean(predicted == np.asarray(data.classes)[data.target]))
        chance = data.chance_accuracy()
        summary = f"final accuracy {acc:.4f} on the training data (chance: {chance:.4f})"
        problem = (f"the final accuracy {acc:.4f} is no better than chance ({chance:.4f}, always predicting the "
                   "most frequent class)" if acc <= chance < 1 else "")
    first, last = hist.train_loss[0], hist.train_loss[-1]
    rose = last > first
    if not (problem or rose):
        return summary, None
    problems = [problem] if problem else []
    if rose:
        problems.append(f"the loss rose from {first:.4g} (epoch 1) to {last:.4g} (epoch {hist.epochs}): training "
                        f"diverged; lower the learning rate (--lr {lr:g} now; try {lr / 10:g})")
    else:
        problems.append(f"train longer (--epochs), lower --lr (now {lr:g}) or keep --standardize")
    return summary, "; ".join(problems)


def cmd_predict(args: argparse.Namespace) -> int:
    """Apply a model saved by `train` (with its standardizer and classes) to the rows of a CSV."""
    import nn
    from nn.csvdata import CSVError, read_csv
    if args.out != "-":
        _output_file(args.out, "--out")
    model, prep = _load_saved_model(args.model)
    try:
        table = read_csv(args.csv)
    except CSVError as e:
        raise UsageError(str(e)) from None
    X = _feature_columns(table, model, prep, args.model)
    out = nn.predict(model, prep.inputs(X) if prep else X)
    if prep is None:
        preds, probs, header = out, None, [f"output{i + 1}" for i in range(out.shape[1])]
    else:
        preds, probs = prep.predict(out, model.activation_names[-1])
        header = ["prediction"] + ([f"p_{c:g}" for c in prep.classes] if probs is not None else [])
    columns = [preds.reshape(len(X), -1)] + ([probs] if probs is not None else [])
    if args.out == "-":
        _write_predictions(sys.stdout, header, np.hstack(columns))
        return 0
    with open(args.out, "w", newline="") as f:
        _write_predictions(f, header, np.hstack(columns))
    print(f"wrote {len(X)} predictions to {args.out}")
    if prep is not None and prep.target in table.columns:
        print(_score_line(prep, preds, table.values[:, table.columns.index(prep.target)]))
    return 0


def _load_saved_model(path: str) -> tuple[Any, Any]:
    from nn.module import npz_path
    from nn.tasks import load_model
    path = npz_path(path)
    if os.path.isdir(path):
        raise UsageError(f"{path}: is a directory; expected a model .npz written by mlpgrad train")
    if not os.path.exists(path):
        raise UsageError(f"{path}: no such model file; expected a .npz written by mlpgrad train")
    if not zipfile.is_zipfile(path):
        raise UsageError(f"{path}: is not a .npz (zip) file; expected a model .npz written by mlpgrad train")
    try:
        return load_model(path)
    except Exception as e:  # a text file, a truncated zip, a foreign .npz: all mean "not our model"
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise UsageError(f"{path}: cannot be read as a model ({reason}); expected a .npz written by "
                         "mlpgrad train") from None


def _feature_columns(table: Any, model: Any, prep: Any, model_path: str) -> np.ndarray:
    """The model's input columns of `table`, by name (any order, extra columns ignored)."""
    n_in = model.layer_sizes[0]
    if prep is None:  # a plain model.save file: every column, in file order
        if len(table.columns) != n_in:
            raise UsageError(f"{table.path}: has {len(table.columns)} columns but the model {model_path} takes "
                             f"{n_in} inputs (and records no feature names)")
        return table.values
    missing = [c for c in prep.features if c not in table.columns]
    if missing:
        raise UsageError(f"{table.path}: lacks the column(s) {missing}; the model {model_path} was trained on "
                         f"{prep.features}")
    return table.values[:, [table.columns.index(c) for c in prep.features]]


def _write_predictions(f: Any, header: list[str], values: np.ndarray) -> None:
    np.savetxt(f, values, delimiter=",", fmt="%.10g", header=",".join(header), comments="")


def _score_line(prep: Any, preds: np.ndarray, truth: np.ndarray) -> str:
    from nn import metrics
    if prep.task == "regression":
        return f"R² {metrics.r2(truth.reshape(-1, 1), preds.reshape(-1, 1)):.4f} against column {prep.target!r}"
    return f"accuracy {float(np.mean(preds == truth)):.4f} against column {prep.target!r}"


def cmd_compare(args: argparse.Namespace) -> int:
    from nn.compare import compare_gradients
    if args.json:
        _output_file(args.json, "--json")
    data = _load_dataset(args)
    loss = _choose_loss(args.loss, data, COMPARE_LOSSES)
    model, y = _build_model(args, data, loss, hidden=(16, 8), hidden_act="relu")
    try:
        report = compare_gradients(model, data.X, y, loss, numerical=not args.no_numerical)
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None
    print(f"mlpgrad compare (seed {args.seed}): {data.name}, {len(y)} rows, {model.describe()} "
          f"{model.activation_names}")
    print(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report.to_dict(), f, indent=1)
    if not report.ok:
        raise AnswerNo("compare: autograd, manual backprop and central differences disagree (see the table)")
    return 0


def _graph_format(out: str, requested: str | None) -> tuple[str, str]:
    """(stem, format) from --out and --format, refusing a conflict such as g.svg with --format png."""
    if os.path.isdir(out):
        raise UsageError(f"--out {out!r} is a directory; expected an image file name such as graph.svg")
    stem, ext = os.path.splitext(out)
    ext = ext.lstrip(".").lower()
    if requested and ext and ext != requested:
        raise UsageError(f"--out {out!r} ends in .{ext} but --format is {requested}; make them agree "
                         "(or leave out --format)")
    fmt = requested or ext or "svg"
    if fmt not in GRAPH_FORMATS:
        raise UsageError(f"--out {out!r} asks for the format {fmt!r}; expected one of {', '.join(GRAPH_FORMATS)}")
    return (stem if ext else out), fmt


def cmd_graph(args: argparse.Namespace) -> int:
    import autograd
    import nn
    stem, fmt = _graph_format(args.out, args.format)
    _output_file(f"{stem}.{fmt}", "--out")
    if args.steps:
        _output_dir(args.steps, "--steps")
    if args.html:
        _output_file(args.html, "--html")
    data = _load_dataset(args)
    loss = _choose_loss(args.loss, data, TRAIN_LOSSES)
    model, y = _build_model(args, data, loss, hidden=(4,), hidden_act="tanh")
    try:
        from nn.output_loss import loss_for_model   # softmax output + cross-entropy: probabilities
        out = loss_for_model(model, nn.get_loss(loss), "graph")(model(autograd.Tensor(data.X, name="X")),
                                                                autograd.Tensor(y, name="y"))
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None
    if args.steps or args.html:
        trace = autograd.trace_backward(out, params=model)
        if args.steps:
            frames = trace.save_frames(args.steps, format="svg")
            html = trace.to_html(os.path.join(args.steps, "index.html"), lr=args.lr)
            print(f"wrote {len(frames)} frames and {html}")
        if args.html:
            print(f"wrote {trace.to_html(args.html, lr=args.lr)}")
    else:
        out.backward()
    drawing = autograd.draw_graph(out, params=model, collapse=args.collapse)
    if fmt == "dot":
        with open(stem + ".dot", "w") as f:
            f.write(drawing.source)
        print(f"wrote {stem}.dot")
    else:
        print(f"wrote {_render(drawing, stem, fmt)}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Autograde a hand-written backprop (the logic is in nn.check_cli)."""
    from nn.check_cli import SubmissionError, run_check
    if args.json:
        _output_file(args.json, "--json")
    try:
        return run_check(args.file, numerical=not args.no_numerical, rtol=args.rtol, json_path=args.json)
    except SubmissionError as e:
        raise UsageError(str(e)) from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="mlpgrad", description="Train MLPs, check autograd against manual backprop, draw graphs.",
                epilog="exit status: 0 ok; 1 ran, and the answer is no (gradients disagree, nothing learned); "
                       "2 bad argument or input; 3 internal error")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    d = sub.add_parser("demo", help="train the moons MLP, compare gradients, draw the graph, plot")
    d.add_argument("--out", default="out/demo", help="directory for the files written")
    d.add_argument("--epochs", type=_int_in(1, MAX_EPOCHS), default=2000, help="training epochs")
    d.add_argument("--seed", type=SEED, default=42, help=f"seed for data, split and weights, 0..{SEED_MAX}")
    t = sub.add_parser("train", help="train an MLP on a dataset or CSV file")
    t.add_argument("dataset", nargs="?", default="moons", help=f"one of {', '.join(DATASETS)}, or a CSV path")
    _data_args(t, None, "number of rows: generated for a built-in dataset, the first N of a CSV "
                        "(default: the dataset's own size, or the whole CSV)")
    _network_args(t, TRAIN_LOSSES, "16,8", "relu")
    t.add_argument("--optimizer", default="adam", help="one of sgd, adam, adamw, rmsprop")
    t.add_argument("--lr", type=_positive_float, default=0.01, help="learning rate")
    t.add_argument("--epochs", type=_int_in(1, MAX_EPOCHS), default=500, help="training epochs")
    t.add_argument("--batch-size", type=_int_in(1, 10**9), default=None,
                   help="rows per step (default: all rows, full batch)")
    t.add_argument("--val-fraction", type=_fraction, default=None,
                   help="hold out this fraction of rows for validation (default: none)")
    t.add_argument("--early-stopping", type=_int_in(1, MAX_EPOCHS), default=None, metavar="PATIENCE",
                   help="stop after PATIENCE epochs without improvement (default: off)")
    t.add_argument("--standardize", action=argparse.BooleanOptionalAction, default=True,
                   help="standardize the inputs, and a regression target; saved with the model")
    t.add_argument("--out", default="out/train", help="directory for model.npz, history and plots")
    t.add_argument("--export-onnx", default=None, metavar="PATH",
                   help="also write the trained model as ONNX (needs mlpgrad[onnx]) (default: off)")
    r = sub.add_parser("predict", help="apply a model saved by train to the rows of a CSV")
    r.add_argument("model", help="model .npz written by mlpgrad train")
    r.add_argument("csv", help="CSV with the model's feature columns (by name; others are ignored)")
    r.add_argument("--out", default="-", help="CSV file for the predictions; - writes them to stdout")
    c = sub.add_parser("compare", help="autograd vs manual vs numerical gradients, as a table")
    c.add_argument("--dataset", default="moons", help=f"one of {', '.join(DATASETS)}, or a CSV path")
    _data_args(c, 64, "number of rows: generated for a built-in dataset, the first N of a CSV")
    _network_args(c, COMPARE_LOSSES, "16,8", "relu")
    c.add_argument("--no-numerical", action="store_true", help="skip central differences")
    c.add_argument("--json", default=None, help="also write the report as JSON to this file (default: no)")
    g = sub.add_parser("graph", help="draw the computation graph of an MLP's loss")
    g.add_argument("--dataset", default="moons", help=f"one of {', '.join(DATASETS)}, or a CSV path")
    _data_args(g, 4, "number of rows: generated for a built-in dataset, the first N of a CSV")
    _network_args(g, TRAIN_LOSSES, "4", "tanh")
    g.add_argument("--out", default="graph.svg", help="image file; its extension sets the format")
    g.add_argument("--format", default=None, choices=GRAPH_FORMATS,
                   help="svg, png, pdf or dot; must agree with --out's extension (default: from --out)")
    g.add_argument("--collapse", action="store_true", help="one box per module")
    g.add_argument("--steps", default=None, metavar="DIR",
                   help="also write backprop frames + HTML here (default: no)")
    g.add_argument("--html", default=None, metavar="PATH",
                   help="also write the backprop explorer here: one self-contained HTML page (default: no)")
    g.add_argument("--lr", type=_positive_float, default=None,
                   help="with --html/--steps: end with an SGD-update step at this learning rate (default: none)")
    k = sub.add_parser("check", help="check hand-written NumPy gradients: FILE.py defines params, "
                                     "loss(params, *args), grads(params, *args) and optionally args")
    k.add_argument("file", help="the Python file to check")
    k.add_argument("--rtol", type=_positive_float, default=1e-6,
                   help="largest relative error |a − b| / max(|a|, |b|) that passes (default 1e-6)")
    k.add_argument("--no-numerical", action="store_true", help="skip the central-difference check of autograd")
    k.add_argument("--json", default=None, help="also write the report as JSON to this file (default: no)")
    from nn import compile_cli   # `mlpgrad compile`: its logic lives in nn/compile_cli.py
    compile_cli.add_parser(sub, _data_args, _network_args, TRAIN_LOSSES)
    return p


def cmd_compile(args: argparse.Namespace) -> int:
    from nn import compile_cli
    data = _load_dataset(args)
    loss = _choose_loss(args.loss, data, TRAIN_LOSSES)
    model, y = _build_model(args, data, loss, hidden=(16, 8), hidden_act="relu")
    return compile_cli.run(args, model, loss, data.X, y, UsageError)


COMMANDS = {"demo": cmd_demo, "train": cmd_train, "predict": cmd_predict, "compare": cmd_compare,
            "graph": cmd_graph, "check": cmd_check, "compile": cmd_compile}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 answer no, 2 bad input, 3 internal error)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            raise UsageError(f"a command is required: {', '.join(COMMANDS)}")
        with np.errstate(all="ignore"):  # overflow in a diverging run is reported once, by the command
            return COMMANDS[args.command](args)
    except UsageError as e:
        print(f"mlpgrad: error: {e}", file=sys.stderr)
        return 2
    except AnswerNo as e:
        print(f"mlpgrad: {e}", file=sys.stderr)
        return 1
    except MemoryError:
        print("mlpgrad: error: out of memory; use fewer --samples or smaller --layers", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mlpgrad: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `mlpgrad predict … | head`: the reader left; nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:
        if os.environ.get("MLPGRAD_DEBUG"):
            raise
        text = " ".join(str(e).split()) or "no message"
        print(f"mlpgrad: internal error: {type(e).__name__}: {text} (a bug; rerun with MLPGRAD_DEBUG=1 "
              "for the traceback and please report it)", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
