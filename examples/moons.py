"""Seed 002, parts 5–6: a 2 → 16 → 8 → 1 MLP on two moons, its decision boundary, and the comparison tables.

The data, split and standardisation are the seed's: 500 points with noise 0.2
made by its own moons recipe (seed 42), 20 % held out for testing (seed 42),
features standardised with the training set's mean and standard deviation.
The network is ReLU, ReLU, sigmoid with binary cross-entropy, trained by plain
full-batch gradient descent (lr 0.1, 2000 epochs), He-initialised after
np.random.seed(42) as the seed's class does — so with the default --seed the
printed accuracies and losses reproduce the seed's digit for digit.

Part 6 trains five architectures (1500 epochs) and five learning rates
(1000 epochs) and prints the seed's two tables next to ours.

    python examples/moons.py [--quick] [--out DIR] [--seed N]
"""
from __future__ import annotations

from typing import Any, Sequence

from _common import figure, pct, result, seed_he_normal, setup, table

import nn
from nn import data as D
from nn import plot

# What seed 002 prints: (architecture, train acc, test acc, final loss) and (lr, test acc).
SEED_ARCHITECTURES = [
    ("Shallow (2→4→1)", [2, 4, 1], 0.9550, 0.93, 0.123278),
    ("Medium (2→8→1)", [2, 8, 1], 0.9325, 0.90, 0.165954),
    ("Wide (2→16→1)", [2, 16, 1], 0.9650, 0.94, 0.102576),
    ("Deep (2→8→8→1)", [2, 8, 8, 1], 0.9800, 0.97, 0.057835),
    ("Wide-Deep (2→16→8→1)", [2, 16, 8, 1], 0.9850, 0.96, 0.058604),
]
SEED_LEARNING_RATES = [(0.001, 0.80), (0.01, 0.83), (0.1, 0.96), (0.5, 0.96), (1.0, 0.96)]


def moons_data() -> tuple:
    """Seed 002's moons: 500 points, noise 0.2, an 80/20 split, standardised on the training part."""
    X, y = D.make_moons(500, noise=0.2, seed=42, legacy="tutorial")
    X_train, X_test, y_train, y_test = D.train_test_split(X, y, test_size=0.2, seed=42, legacy="tutorial")
    scaler = D.Standardizer().fit(X_train)
    return X_train, X_test, y_train, y_test, scaler


def train(sizes: list[int], lr: float, epochs: int, seed: int, X: Any, y: Any,
          metrics: list[str] | None = None) -> tuple[nn.MLP, nn.History]:
    """Seed 002's recipe: ReLU hidden layers, sigmoid output, BCE, full-batch gradient descent."""
    model = nn.MLP(sizes, activations=["relu"] * (len(sizes) - 2) + ["sigmoid"], init=seed_he_normal(seed))
    history = nn.fit(model, X, y, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=lr), epochs=epochs,
                     metrics=metrics, progress=False)
    return model, history


def accuracy(model: nn.MLP, X: Any, y: Any) -> float:
    return nn.evaluate(model, X, y, nn.BCELoss(), ["accuracy"])["accuracy"]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = setup("moons", __doc__, argv, seed_help="weight seed; 42 is seed 002's np.random.seed(42)")
    X_train_raw, X_test_raw, y_train, y_test, scaler = moons_data()
    X_train, X_test = scaler.transform(X_train_raw), scaler.transform(X_test_raw)
    print(f"training samples {len(X_train)}, test samples {len(X_test)}, "
          f"class counts (train) {[int((y_train == c).sum()) for c in (0, 1)]}")
    epochs = 800 if args.quick else 2000
    arch_epochs, lr_epochs = (200, 200) if args.quick else (1500, 1000)

    # -- the main model --------------------------------------------------------------------------
    model, history = train([2, 16, 8, 1], 0.1, epochs, args.seed, X_train, y_train, metrics=["accuracy"])
    marks = sorted({*range(0, epochs, 200), epochs - 1})
    print()
    print(table(["epoch", "loss", "train accuracy"],
                [[e, f"{history.train_loss[e]:.6f}", pct(history.metrics["accuracy"][e])] for e in marks],
                title=f"2 → 16 → 8 → 1, lr 0.1, {epochs} epochs (the accuracy is measured after each update)"))
    train_acc, test_acc = accuracy(model, X_train, y_train), accuracy(model, X_test, y_test)
    print(f"training accuracy {pct(train_acc)}, test accuracy {pct(test_acc)} "
          f"(seed 002 after 2000 epochs: 98.50%, 96.00%)")
    figure(plot.plot_decision_boundary, model, X_test_raw, y_test, transform=scaler.transform,
           path=args.out / "decision_boundary.png",
           title=f"MLP decision boundary on the test set (test accuracy {pct(test_acc)})")
    figure(plot.plot_history, history, log=True, ylabel="BCE", path=args.out / "loss.png",
           title="training loss")

    # -- 6.1 architectures -----------------------------------------------------------------------
    rows, curves, arch_test, arch_same = [], {}, [], []
    for name, sizes, seed_train, seed_test, seed_loss in SEED_ARCHITECTURES:
        m, h = train(sizes, 0.1, arch_epochs, args.seed, X_train, y_train)
        tr, te = accuracy(m, X_train, y_train), accuracy(m, X_test, y_test)
        arch_test.append(te)
        ours = (round(tr, 4), round(te, 4), round(h.train_loss[-1], 6))
        arch_same.append(ours == (seed_train, seed_test, seed_loss))
        curves[name] = h.train_loss
        rows.append([name, pct(tr), pct(te), f"{h.train_loss[-1]:.6f}",
                     pct(seed_train), pct(seed_test), f"{seed_loss:.6f}"])
    print()
    print(table(["architecture", "train acc", "test acc", "final loss", "seed: train", "test", "loss"], rows,
                title=f"Architecture comparison (lr 0.1, {arch_epochs} epochs; the seed's table: 1500 epochs)"))
    figure(plot.plot_curves, curves, title="architectures: training loss (lr 0.1)", log=True, ylabel="BCE",
           path=args.out / "architectures.png")

    # -- 6.2 learning rates ----------------------------------------------------------------------
    rows, curves, lr_test = [], {}, []
    for lr, seed_test in SEED_LEARNING_RATES:
        m, h = train([2, 16, 8, 1], lr, lr_epochs, args.seed, X_train, y_train)
        te = accuracy(m, X_test, y_test)
        lr_test.append(te)
        curves[f"lr = {lr}"] = h.train_loss
        rows.append([f"{lr:g}", pct(te), f"{h.train_loss[-1]:.6f}", pct(seed_test)])
    print()
    print(table(["learning rate", "test acc", "final loss", "seed: test acc"], rows,
                title=f"Learning-rate comparison (2 → 16 → 8 → 1, {lr_epochs} epochs; the seed's: 1000 epochs)"))
    figure(plot.plot_curves, curves, title="learning rates: training loss (2 → 16 → 8 → 1)", log=True,
           ylabel="BCE", path=args.out / "learning_rates.png")

    same = (not args.quick and all(arch_same)
            and all(round(a, 4) == s[1] for a, s in zip(lr_test, SEED_LEARNING_RATES)))
    if not args.quick:
        print(f"\nevery number in both tables equals the seed's: {same}")
    return result(epochs=epochs, train_acc=train_acc, test_acc=test_acc, final_loss=history.train_loss[-1],
                  arch_test_acc=",".join(f"{a:.4f}" for a in arch_test),
                  lr_test_acc=",".join(f"{a:.4f}" for a in lr_test), tables_match_seed=same)


if __name__ == "__main__":
    main()
