"""Seed 004: y = x1·x2 + x1² + exp(sin x2) + ε on 10 000 points, a 2 → h → 1 network started from all ones.

1. The MSE before any training of the seed's 2 → 2 → 1 network with every
   weight 1 and every bias 0: with a sigmoid output (the seed's first try,
   203.1757236001885) and with a linear output (198.65838851753207).
2. Training curves for h = 2, 4, 8, 16 hidden sigmoid units, linear output,
   MSE, full-batch gradient descent with lr 0.01 for 1000 epochs — the seed's
   figure.
3. What the all-ones start does: every hidden unit computes the same function
   and receives the same gradient, so after training all rows of
   layers.0.weight are still equal — h units are worth one. A random start
   (Xavier, nn.MLP's default for sigmoid layers, or He) breaks the symmetry.

    python examples/surface_regression.py [--quick] [--out DIR] [--seed N]
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from _common import figure, result, setup, table

import nn
from nn import data as D
from nn import plot

SIZES = (2, 4, 8, 16)


def network(h: int, init: Any, output: str = "identity", seed: int | None = None) -> nn.MLP:
    """The seed's 2 → h → 1 network: sigmoid hidden units, zero biases."""
    return nn.MLP([2, h, 1], activations=["sigmoid", output], init=init, seed=seed)


def train(model: nn.MLP, X: np.ndarray, y: np.ndarray, epochs: int) -> nn.History:
    return nn.fit(model, X, y, nn.MSELoss(), nn.optim.SGD(model.parameters(), lr=0.01), epochs=epochs,
                  progress=False)


def distinct_units(model: nn.MLP, tol: float = 1e-9) -> int:
    """How many different hidden units there are: units with equal in-weights, bias and out-weight count once."""
    first, second = model.layers[0], model.layers[1]
    units = np.column_stack([first.weight.data, first.bias.data, second.weight.data[0]])
    distinct: list[np.ndarray] = []
    for u in units:
        if not any(np.max(np.abs(u - d)) <= tol for d in distinct):
            distinct.append(u)
    return len(distinct)


def row_spread(model: nn.MLP) -> float:
    """max |W[i] − W[0]| over the rows of layers.0.weight (0 when all hidden units are identical)."""
    W = model.layers[0].weight.data
    return float(np.max(np.abs(W - W[0])))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = setup("surface_regression", __doc__, argv, seed_help="seed of the random (Xavier/He) initialisations")
    X, y = D.make_surface()        # 10 000 points drawn after np.random.seed(2025), the seed's order
    epochs = 30 if args.quick else 1000
    print(f"y: mean {y.mean():.3f}, min {y.min():.3f}, max {y.max():.3f}  (seed 004: 9.532, -7.282, 53.252)")

    # -- 1. the MSE before training -------------------------------------------------------------
    ones = nn.init.constant(1.0)
    mse_sigmoid = nn.evaluate(network(2, ones, output="sigmoid"), X, y, nn.MSELoss())["loss"]
    mse_linear = nn.evaluate(network(2, ones, output="identity"), X, y, nn.MSELoss())["loss"]
    print()
    print(table(["2 → 2 → 1, all weights 1, biases 0", "MSE before training", "seed 004 prints"], [
        ["sigmoid output (ŷ in (0, 1), y up to 53)", repr(mse_sigmoid), "203.1757236001885"],
        ["linear output", repr(mse_linear), "198.65838851753207"]]))

    # -- 2. the seed's curves, and 3. the same networks from a random start ---------------------
    curves, rows, results = {}, [], {}
    for h in SIZES:
        same = network(h, ones)
        h_same = train(same, X, y, epochs)
        rand = network(h, "xavier_uniform", seed=args.seed)
        h_rand = train(rand, X, y, epochs)
        curves[f"{h} neurons"] = h_same.train_loss
        results[h] = (same, h_same, rand, h_rand)
        rows.append([h, f"{h_same.train_loss[-1]:.3f}", f"{row_spread(same):.1e}", distinct_units(same),
                     f"{h_rand.train_loss[-1]:.3f}", f"{row_spread(rand):.2f}", distinct_units(rand)])
    he = network(SIZES[-1], "he_normal", seed=args.seed)
    h_he = train(he, X, y, epochs)
    rows.append([f"{SIZES[-1]} (He normal)", "", "", "", f"{h_he.train_loss[-1]:.3f}", f"{row_spread(he):.2f}",
                 distinct_units(he)])
    print()
    print(table(["hidden units h", "all ones: MSE", "row spread", "distinct units",
                 "Xavier: MSE", "row spread", "distinct units"], rows,
                title=f"After {epochs} epochs of gradient descent (lr 0.01); row spread = max |W[i] − W[0]| "
                      f"over layers.0.weight"))
    same16 = results[SIZES[-1]][0]
    print(f"\nlayers.0.weight of the all-ones 2 → {SIZES[-1]} → 1 network after training (first 3 rows):")
    print(np.array2string(same16.layers[0].weight.data[:3], precision=6))
    print("Every hidden unit starts equal, sees the same inputs and gets the same gradient, so they stay equal:")
    print("the all-ones network has the capacity of a single hidden unit, whatever h is.")

    figure(plot.plot_curves, curves, title="all-ones start: MSE per epoch for h hidden units (lr 0.01)",
           ylabel="MSE", path=args.out / "hidden_sizes.png")
    comparison = {}
    for h in (SIZES[0], SIZES[-1]):
        comparison[f"h = {h}, all ones"] = results[h][1].train_loss
        comparison[f"h = {h}, Xavier"] = results[h][3].train_loss
    comparison[f"h = {SIZES[-1]}, He"] = h_he.train_loss
    figure(plot.plot_curves, comparison, title="all-ones vs random initialisation", ylabel="MSE", log=True,
           path=args.out / "init_comparison.png")

    return result(epochs=epochs, mse_sigmoid_output=mse_sigmoid, mse_linear_output=mse_linear,
                  ones_spread=max(row_spread(results[h][0]) for h in SIZES),
                  ones_distinct=",".join(str(distinct_units(results[h][0])) for h in SIZES),
                  xavier_distinct=",".join(str(distinct_units(results[h][2])) for h in SIZES),
                  he_distinct=distinct_units(he), he_spread=row_spread(he),
                  ones_final_mse=",".join(f"{results[h][1].train_loss[-1]:.4f}" for h in SIZES),
                  xavier_final_mse=",".join(f"{results[h][3].train_loss[-1]:.4f}" for h in SIZES))


if __name__ == "__main__":
    main()
