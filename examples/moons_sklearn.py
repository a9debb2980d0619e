"""Seed 003: a 2 → 10 → 5 → 1 sigmoid MLP on 1000 noisy moons, then scikit-learn's MLPClassifier on the same split.

The seed's experiment, replayed: scikit-learn's two-moons recipe (1000
points, noise 0.2, seed 42) and its 70/30 split (seed 42), reproduced by
`nn.data` without scikit-learn; weights drawn with randn after
np.random.seed(42) in the seed's order, zero biases, sigmoid everywhere,
binary cross-entropy and 1000 epochs of full-batch gradient descent with
lr 0.01. The seed's update uses the gradient of the *summed* loss (it never
divides by the number of samples) while it prints the mean loss; here that is
`BCELoss(reduction="sum")` with lr 0.01, and the printed loss is the mean.

scikit-learn's `MLPClassifier(hidden_layer_sizes=(10, 5), max_iter=1000)`
(ReLU, Adam, mini-batches of 200, L2 penalty 1e-4) then trains on the same
split, when scikit-learn is installed.

    python examples/moons_sklearn.py [--quick] [--out DIR] [--seed N]
"""
from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np

from _common import figure, pct, result, seed_randn, setup, table

import nn
from nn import data as D
from nn import plot

# Seed 003 prints the mean loss every 100 epochs, then "Accuracy: 0.95".
SEED_LOSSES = [0.7422, 0.2968, 0.2715, 0.1847, 0.1221, 0.1006, 0.0938, 0.1417, 0.0788, 0.0848]

def sklearn_mlp(X_train: np.ndarray, y_train: np.ndarray, max_iter: int, seed: int) -> Any:
    """scikit-learn's MLPClassifier as the seed configures it, or None when scikit-learn is absent."""
    try:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier
    except ImportError:
        return None
    clf = MLPClassifier(hidden_layer_sizes=(10, 5), max_iter=max_iter, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)   # --quick stops it early on purpose
        clf.fit(X_train, y_train.ravel().astype(int))
    return clf


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = setup("moons_sklearn", __doc__, argv, seed_help="weight seed; 42 is seed 003's np.random.seed(42)")
    X, y = D.make_moons(1000, noise=0.2, seed=42, legacy="sklearn")
    X_train, X_test, y_train, y_test = D.train_test_split(X, y, test_size=0.3, seed=42, legacy="sklearn")
    epochs, max_iter = (300, 200) if args.quick else (1000, 1000)
    m = len(X_train)

    model = nn.MLP([2, 10, 5, 1], activations=["sigmoid"] * 3, init=seed_randn(np.random.RandomState(args.seed)))
    history = nn.fit(model, X_train, y_train, nn.BCELoss(reduction="sum"),
                     nn.optim.SGD(model.parameters(), lr=0.01), epochs=epochs, progress=False)
    mean_loss = [s / m for s in history.train_loss]
    test_acc = nn.evaluate(model, X_test, y_test, nn.BCELoss(), ["accuracy"])["accuracy"]
    marks = list(range(0, epochs, 100))
    print()
    print(table(["epoch"] + [str(e) for e in marks], [["mean BCE"] + [f"{mean_loss[e]:.4f}" for e in marks]],
                title=f"2 → 10 → 5 → 1 sigmoid, gradient descent on the summed BCE, lr 0.01 ({m} training points)"))
    same = all(round(mean_loss[e], 4) == v for e, v in zip(marks, SEED_LOSSES))
    print(f"  seed 003 prints {' '.join(f'{v:.4f}' for v in SEED_LOSSES)} and accuracy 0.95; "
          f"the losses above are the same: {same}")
    print(f"  test accuracy {test_acc:.4f} ({test_acc:.2f})")
    figure(plot.plot_decision_boundary, model, X, y, path=args.out / "decision_boundary.png",
           title=f"mlpgrad 2 → 10 → 5 → 1 sigmoid MLP (test accuracy {pct(test_acc)})")

    clf = sklearn_mlp(X_train, y_train, max_iter, args.seed)
    rows = [["mlpgrad MLP", "2→10→5→1", "sigmoid", "gradient descent, lr 0.01", epochs, pct(test_acc), "95%"]]
    curves = {"mlpgrad (full batch GD)": mean_loss}
    sk_acc: Any = "none"
    if clf is None:
        print("\nscikit-learn is not installed, so there is no MLPClassifier to compare with "
              "(pip install 'mlpgrad[compare]').")
    else:
        sk_acc = float(clf.score(X_test, y_test.ravel().astype(int)))
        rows.append(["sklearn MLPClassifier", "2→10→5→1", clf.activation, "Adam, lr 0.001, batch 200",
                     clf.n_iter_, pct(sk_acc), "97%"])
        curves["scikit-learn (Adam, per iteration)"] = clf.loss_curve_
        figure(plot.plot_decision_boundary, lambda G: clf.predict_proba(G)[:, 1:], X, y,
               path=args.out / "decision_boundary_sklearn.png",
               title=f"scikit-learn MLPClassifier (test accuracy {pct(sk_acc)})")
    print()
    print(table(["model", "layers", "activation", "training", "epochs", "test acc", "seed 003"], rows,
                title="Same data, same 70/30 split"))
    figure(plot.plot_curves, curves, title="training loss (mean BCE; scikit-learn's includes its L2 term)",
           ylabel="loss", xlabel="epoch / iteration", path=args.out / "loss.png")
    return result(epochs=epochs, losses_match_seed=same, test_acc=test_acc, sklearn_test_acc=sk_acc, loss_first=mean_loss[0],
                  loss_last=mean_loss[-1])


if __name__ == "__main__":
    main()
