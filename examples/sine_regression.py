"""Seed 000: fit y = sin x + 0.1·ε with a line, one ReLU layer and two tanh layers, then stop early.

Part 1 replays the notebook: its 200 points (seed 87), its three models with
its initial weights (np.random.seed(100), randn·0.1, drawn in its order), MSE
loss and plain full-batch gradient descent (lr 0.01, 1000 epochs).

Part 2 answers the notebook's closing question — how to split the data and
when to stop — by holding out a validation set (and a test set, touched once
at the end), watching the validation MSE every epoch and stopping when it has
not improved for a while, keeping the best weights.

    python examples/sine_regression.py [--quick] [--out DIR] [--seed N]
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from _common import figure, result, seed_randn, setup, table

import nn
from nn import data as D
from nn import plot


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = setup("sine_regression", __doc__, argv, default_seed=100,
                 seed_help="weight seed; 100 is the notebook's np.random.seed(100)")
    X, y = D.make_sine()          # 200 points on [-π, π], noise from np.random.seed(87): the notebook's data
    epochs = 200 if args.quick else 1000

    # -- Part 1: the notebook's three models ---------------------------------------------------
    rs = np.random.RandomState(args.seed)          # one stream: the ReLU net draws first, then the tanh net
    models = {
        "linear regression": nn.MLP([1, 1], activations=["identity"], init=nn.init.constant(0.0)),
        "1 hidden layer, ReLU (5)": nn.MLP([1, 5, 1], activations=["relu", "identity"],
                                           init=seed_randn(rs, 0.1)),
        "2 hidden layers, tanh (50, 50)": nn.MLP([1, 50, 50, 1], activations=["tanh", "tanh", "identity"],
                                                 init=seed_randn(rs, 0.1)),
    }
    losses = {}
    for name, model in models.items():
        history = nn.fit(model, X, y, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.01),
                         epochs=epochs, progress=False)
        losses[name] = history.train_loss
    marks = [e for e in (1, 100, 500, epochs) if e <= epochs]
    print()
    print(table(["model"] + [f"MSE epoch {e}" for e in marks],
                [[name] + [f"{h[e - 1]:.4f}" for e in marks] for name, h in losses.items()],
                title=f"Part 1: full-batch gradient descent, lr 0.01, {epochs} epochs, all 200 points"))
    figure(plot.plot_regression_fit, models, X, y, path=args.out / "fits.png",
           title=f"y = sin x + 0.1ε: three models after {epochs} epochs of gradient descent")
    figure(plot.plot_curves, losses, title="loss history (MSE on all 200 points)", ylabel="MSE",
           path=args.out / "loss_history.png")

    # -- Part 2: split, validate, stop early ---------------------------------------------------
    X_rest, X_test, y_rest, y_test = D.train_test_split(X, y, test_size=0.2, seed=args.seed)
    X_train, X_val, y_train, y_val = D.train_test_split(X_rest, y_rest, test_size=0.25, seed=args.seed)
    max_epochs, patience = (400, 50) if args.quick else (3000, 200)
    model = nn.MLP([1, 50, 50, 1], activations=["tanh", "tanh", "identity"], init=nn.init.normal(0.1),
                   seed=args.seed)
    history = nn.fit(model, X_train, y_train, nn.MSELoss(), nn.optim.Adam(model.parameters(), lr=0.003),
                     epochs=max_epochs, validation=(X_val, y_val),
                     early_stopping=nn.EarlyStopping(patience=patience, restore_best=True), progress=False)
    best = history.best_epoch
    val_mse = history.val_loss[best - 1]
    train_mse = nn.evaluate(model, X_train, y_train, "mse")["loss"]   # the restored best weights
    test_mse = nn.evaluate(model, X_test, y_test, "mse")["loss"]
    print()
    print(f"Part 2: split 60/20/20 -> {len(X_train)} train, {len(X_val)} validation, {len(X_test)} test points.")
    print(f"  The notebook's 2×50 tanh network, trained with Adam (lr 0.003) on the training part only;")
    print(f"  stop when the validation MSE has not improved for {patience} epochs, keep the best weights.")
    print(f"  {history.stop_reason}; ran {history.epochs} epochs.")
    print(table(["MSE", f"best epoch ({best})", f"last epoch ({history.epochs})"], [
        ["train", f"{train_mse:.5f}", f"{history.train_loss[-1]:.5f}"],
        ["validation", f"{val_mse:.5f}", f"{history.val_loss[-1]:.5f}"],
        ["test (used once, best weights)", f"{test_mse:.5f}", ""],
        ["noise variance 0.1²", "0.01000", ""]]))
    print("  The validation MSE bottoms out near the noise variance: past that point more epochs only fit the")
    print("  noise of the training points, so the validation curve, not the training loss, says when to stop.")
    figure(plot.plot_history, history, log=True, ylabel="MSE", path=args.out / "early_stopping.png",
           title="2×50 tanh network: training vs validation MSE (early stopping)")
    figure(plot.plot_regression_fit, {"early-stopped 2×50 tanh network": model}, X_test, y_test,
           path=args.out / "early_stopping_fit.png", title=f"held-out test points, test MSE {test_mse:.4f}")

    last = {name: h[-1] for name, h in losses.items()}
    names = list(last)
    return result(epochs=epochs, linear_mse=last[names[0]], relu_mse=last[names[1]], tanh_mse=last[names[2]],
                  best_epoch=best, stopped_after=history.epochs, train_mse=train_mse, val_mse=val_mse,
                  test_mse=test_mse)


if __name__ == "__main__":
    main()
