"""XOR, the problem no single perceptron solves, learned by the two small MLPs of seeds 002 and 001.

* Seed 002's test: 2 → 4 → 1, tanh then sigmoid, binary cross-entropy, plain
  gradient descent with lr 0.5 for 5000 epochs, He-initialised after
  np.random.seed(42) — replayed draw for draw, so the losses it prints
  (0.694109 at epoch 0 … 0.000983 at epoch 4999) come out again.
* Seed 001's class: 2 → 2 → 1 sigmoid units, E = ½ Σ (y − ŷ)², lr 0.5,
  10 000 epochs, weights uniform on [0, 1) (the seed does not fix its random
  state; --seed does here).

    python examples/xor.py [--quick] [--out DIR] [--seed N]
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from _common import figure, result, seed_he_normal, seed_uniform, setup, table

import nn
from nn import data as D
from nn import plot


def half_sse(p: Any, y: Any) -> Any:
    """Seed 001's error E = ½ Σ (y − ŷ)² (its update sums over the four points)."""
    return 0.5 * ((p - y) ** 2).sum()


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = setup("xor", __doc__, argv, seed_help="weight seed; 42 is seed 002's np.random.seed(42)")
    X, y = D.make_xor()                          # (0,0) (0,1) (1,0) (1,1) -> 0 1 1 0
    epochs_002, epochs_001 = (1000, 2500) if args.quick else (5000, 10000)

    seed002 = nn.MLP([2, 4, 1], activations=["tanh", "sigmoid"], init=seed_he_normal(args.seed))
    h002 = nn.fit(seed002, X, y, nn.BCELoss(), nn.optim.SGD(seed002.parameters(), lr=0.5),
                  epochs=epochs_002, progress=False)
    seed001 = nn.MLP([2, 2, 1], activations=["sigmoid", "sigmoid"],
                     init=seed_uniform(np.random.RandomState(args.seed)))
    h001 = nn.fit(seed001, X, y, half_sse, nn.optim.SGD(seed001.parameters(), lr=0.5),
                  epochs=epochs_001, progress=False)
    mse001 = [2 * e / len(X) for e in h001.train_loss]      # seed 001 prints mean((y − ŷ)²) = 2E / 4

    print()
    marks = sorted({0, *range(1000, epochs_002, 1000), epochs_002 - 1})
    print(table(["epoch"] + [str(e) for e in marks], [["BCE"] + [f"{h002.train_loss[e]:.6f}" for e in marks]],
                title="Seed 002's 2 → 4 → 1 tanh/sigmoid network, BCE, lr 0.5 (seed prints 0.694109 … 0.000983)"))
    marks = sorted({0, *range(2000, epochs_001, 2000), epochs_001 - 1})
    print()
    print(table(["epoch"] + [str(e) for e in marks], [["MSE"] + [f"{mse001[e]:.6f}" for e in marks]],
                title="Seed 001's 2 → 2 → 1 sigmoid network, ½Σ(y − ŷ)², lr 0.5"))

    p002, p001 = nn.predict(seed002, X)[:, 0], nn.predict(seed001, X)[:, 0]
    rows = [[f"[{int(a)}, {int(b)}]", int(t), f"{q2:.4f}", int(q2 >= 0.5), f"{q1:.4f}", int(q1 >= 0.5)]
            for (a, b), t, q2, q1 in zip(X, y[:, 0], p002, p001)]
    print()
    print(table(["input", "XOR", "seed 002 net", "→", "seed 001 net", "→"], rows, title="Predictions"))
    right002 = bool(np.all((p002 >= 0.5) == (y[:, 0] == 1)))
    right001 = bool(np.all((p001 >= 0.5) == (y[:, 0] == 1)))
    print(f"all four right: seed 002 net {right002}, seed 001 net {right001}")

    figure(plot.plot_curves, {"seed 002: 2→4→1 tanh/sigmoid, BCE": h002.train_loss,
                              "seed 001: 2→2→1 sigmoid, MSE": mse001},
           title="XOR: loss per epoch", log=True, path=args.out / "loss.png")
    figure(plot.plot_decision_boundary, seed002, X, y, path=args.out / "decision_boundary.png",
           title="XOR: seed 002's 2 → 4 → 1 network", padding=0.5)
    return result(correct_002=right002, correct_001=right001, all_correct=right002 and right001,
                  loss_002_first=h002.train_loss[0], loss_002_last=h002.train_loss[-1], mse_001_last=mse001[-1],
                  pred_002=",".join(f"{v:.4f}" for v in p002), pred_001=",".join(f"{v:.4f}" for v in p001))


if __name__ == "__main__":
    main()
