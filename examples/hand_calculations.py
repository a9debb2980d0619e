"""Seeds 001 and 002: every hand-calculated number, next to autograd's and the hand-derived backprop's.

For each worked example the same network is evaluated three ways:

* **autograd** — the forward pass written with `Tensor`s, then `loss.backward()`;
  the δ terms are the gradients left on the intermediate tensors z (δ = ∂L/∂z),
  and the weight update is one `nn.optim.SGD` step on an `nn.MLP` holding the
  seed's weights;
* **manual** — `nn.manual.ManualMLP`, numpy only, the seed's formulas
  (δᴸ = aᴸ − y, δˡ = (δˡ⁺¹ Wˡ⁺¹) ⊙ σ'(zˡ), dW = δᵀ a, ...);
* **seed** — the number the document prints, checked to the digits it prints.

A printed value that disagrees with both computations is flagged as a SEED SLIP
with the correct value. Seed 001 prints no numbers (its examples are symbolic)
and gives no learning rate; its values are computed here with η = 0.1.
The script also draws the activation functions with their autograd derivatives.

    python examples/hand_calculations.py [--quick] [--out DIR] [--seed N]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from _common import figure, result, setup, table

import nn
from autograd import Tensor
from nn import plot
from nn.manual import ManualMLP


@dataclass
class Check:
    """One quantity: what the seed prints (a string, or None), autograd's and the manual value."""
    name: str
    printed: str | None
    autograd: float
    manual: float

    @property
    def decimals(self) -> int:
        digits = self.printed.lstrip("≈ ").split(".")
        return len(digits[1]) if len(digits) == 2 else 0

    @property
    def seed_right(self) -> bool | None:
        """Does the printed number equal the computed one rounded to the printed digits?"""
        if self.printed is None:
            return None
        return abs(float(self.printed.lstrip("≈ ")) - self.autograd) <= 0.5 * 10.0 ** -self.decimals + 1e-12

    def row(self) -> list[str]:
        if self.seed_right is None:
            verdict = "(not printed)"
        elif self.seed_right:
            verdict = "ok"
        else:
            verdict = f"SEED SLIP: correct value {self.autograd:.{self.decimals}f}"
        return [self.name, self.printed or "—", f"{self.autograd:+.10f}", f"{self.manual:+.10f}", verdict]


def report(title: str, checks: list[Check]) -> list[Check]:
    print()
    print(table(["quantity", "seed prints", "autograd", "manual (numpy)", "verdict"],
                [c.row() for c in checks], title=title))
    return checks


def mlp_with(weights: list[np.ndarray], biases: list[np.ndarray], activations: list[str]) -> nn.MLP:
    """An nn.MLP holding the given (out, in) weights and biases."""
    sizes = [weights[0].shape[1]] + [w.shape[0] for w in weights]
    model = nn.MLP(sizes, activations=activations, init=nn.init.constant(0.0))
    for layer, w, b in zip(model.layers, weights, biases):
        layer.weight.data[...] = w
        layer.bias.data[...] = b
    return model


def sgd_step(model: nn.MLP, X: np.ndarray, y: np.ndarray, loss: Callable[[Any, Any], Any], lr: float) -> None:
    """One plain gradient-descent step on the library model."""
    opt = nn.optim.SGD(model.parameters(), lr=lr)
    opt.zero_grad()
    loss(model(X), y).backward()
    opt.step()


def half_sse(p: Any, y: Any) -> Any:
    """Seed 001's error E = ½ Σ (y − ŷ)²."""
    return 0.5 * ((p - y) ** 2).sum()


def two_layer_forward(x: np.ndarray, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray,
                      hidden: str) -> dict[str, Tensor]:
    """z1 = x W1ᵀ + b1, a1 = act(z1), z2 = a1 W2ᵀ + b2, ŷ = σ(z2), with Tensors that record a graph."""
    t = {"W1": Tensor(W1, requires_grad=True), "b1": Tensor(b1, requires_grad=True),
         "W2": Tensor(W2, requires_grad=True), "b2": Tensor(b2, requires_grad=True)}
    t["W1x"] = Tensor(x) @ t["W1"].T
    t["z1"] = t["W1x"] + t["b1"]
    t["a1"] = getattr(t["z1"], hidden)()
    t["W2a1"] = t["a1"] @ t["W2"].T
    t["z2"] = t["W2a1"] + t["b2"]
    t["yhat"] = t["z2"].sigmoid()
    return t


def derivative(name: str, z: np.ndarray) -> np.ndarray:
    """σ'(z) by autograd: differentiate Σ act(z) with respect to z."""
    zt = Tensor(z, requires_grad=True)
    getattr(zt, name)().sum().backward()
    return zt.grad


# -- seed 002: 2 → 2 → 1, sigmoid units, binary cross-entropy, x = [1, 2], y = 1 ----------------------
def seed002_backprop() -> list[Check]:
    x, y = np.array([[1.0, 2.0]]), np.array([[1.0]])
    W1, b1 = np.array([[0.1, 0.2], [0.3, 0.4]]), np.array([0.1, 0.2])
    W2, b2 = np.array([[0.5, 0.6]]), np.array([0.3])
    lr = 0.1

    t = two_layer_forward(x, W1, b1, W2, b2, "sigmoid")
    loss = nn.BCELoss()(t["yhat"], y)
    loss.backward()
    sig1 = derivative("sigmoid", t["z1"].data)

    model = mlp_with([W1, W2], [b1, b2], ["sigmoid", "sigmoid"])
    manual = ManualMLP.from_module(model, "bce")
    g = manual.backward(x, y)
    manual.step(lr)
    sgd_step(model, x, y, nn.BCELoss(), lr)

    def c(name: str, printed: str | None, auto: float, man: float) -> Check:
        return Check(name, printed, float(auto), float(man))
    z1, a1, z2, a2 = t["z1"].data[0], t["a1"].data[0], t["z2"].data[0, 0], t["yhat"].data[0, 0]
    mz1, ma1, mz2, ma2 = g.zs[0][0], g.activations[1][0], g.zs[1][0, 0], g.activations[2][0, 0]
    checks = [
        c("W1·x [0]", "0.50", t["W1x"].data[0, 0], mz1[0] - b1[0]),
        c("W1·x [1]", "1.10", t["W1x"].data[0, 1], mz1[1] - b1[1]),
        c("z1 [0]", "0.6", z1[0], mz1[0]), c("z1 [1]", "1.3", z1[1], mz1[1]),
        c("a1 [0]", "0.64565631", a1[0], ma1[0]), c("a1 [1]", "0.78583498", a1[1], ma1[1]),
        c("W2·a1", "0.7943", t["W2a1"].data[0, 0], mz2 - b2[0]),
        c("z2", "1.09432914", z2, mz2),
        c("ŷ = a2", "0.74919605", a2, ma2),
        c("L = −log ŷ", "0.2888", loss.item(), g.loss),
        c("1 − ŷ", "0.2508", 1 - a2, 1 - ma2),
        c("δ2 = a2 − y", "-0.2508", t["z2"].grad[0, 0], g.deltas[1][0, 0]),
        c("dW2 [0]", "-0.16193315", t["W2"].grad[0, 0], g["layers.1.weight"][0, 0]),
        c("dW2 [1]", "-0.19709052", t["W2"].grad[0, 1], g["layers.1.weight"][0, 1]),
        c("db2", "-0.2508", t["b2"].grad[0], g["layers.1.bias"][0]),
        c("da1 [0] = W2ᵀδ2", "-0.1254", t["a1"].grad[0, 0], g.grad_outputs[0][0, 0]),
        c("da1 [1]", "-0.1505", t["a1"].grad[0, 1], g.grad_outputs[0][0, 1]),
        c("1 − a1 [0]", "0.3543", 1 - a1[0], 1 - ma1[0]), c("1 − a1 [1]", "0.2142", 1 - a1[1], 1 - ma1[1]),
        c("σ'(z1) [0]", "0.2288", sig1[0, 0], g.activation_derivatives[0][0, 0]),
        c("σ'(z1) [1]", "0.1683", sig1[0, 1], g.activation_derivatives[0][0, 1]),
        c("δ1 [0]", "-0.0287", t["z1"].grad[0, 0], g.deltas[0][0, 0]),
        c("δ1 [1]", "-0.0253", t["z1"].grad[0, 1], g.deltas[0][0, 1]),
    ]
    for (i, j), printed in zip([(0, 0), (0, 1), (1, 0), (1, 1)], ["-0.02869", "-0.05737999", "-0.02532594",
                                                                   "-0.05065187"]):
        checks.append(c(f"dW1 [{i},{j}]", printed, t["W1"].grad[i, j], g["layers.0.weight"][i, j]))
    checks += [c("db1 [0]", "-0.02869", t["b1"].grad[0], g["layers.0.bias"][0]),
               c("db1 [1]", "-0.02532594", t["b1"].grad[1], g["layers.0.bias"][1])]
    W2_new, W1_new = model.layers[1].weight.data, model.layers[0].weight.data
    checks += [c("W2_new [0] (α = 0.1)", "0.51619332", W2_new[0, 0], manual.weights[1][0, 0]),
               c("W2_new [1]", "0.61970905", W2_new[0, 1], manual.weights[1][0, 1])]
    for (i, j), printed in zip([(0, 0), (0, 1), (1, 0), (1, 1)], ["0.102869", "0.205738", "0.30253259",
                                                                   "0.40506519"]):
        checks.append(c(f"W1_new [{i},{j}]", printed, W1_new[i, j], manual.weights[0][i, j]))
    # The backprop cell opens with a comment recalling the forward pass: "z2 ≈ [0.9941], a2 ≈ [0.7299]".
    checks += [c("z2 (cell comment)", "≈ 0.9941", z2, mz2), c("a2 (cell comment)", "≈ 0.7299", a2, ma2)]
    return report("Seed 002, §2.3–3.4: 2 → 2 → 1 sigmoid network, BCE, x = [1, 2], y = 1, α = 0.1", checks)


def seed002_tanh_exercise() -> list[Check]:
    x = np.array([[0.5, 0.8]])
    W1, b1 = np.array([[0.2, 0.4], [0.6, 0.1]]), np.array([0.0, 0.1])
    W2, b2 = np.array([[0.3, 0.7]]), np.array([0.2])
    t = two_layer_forward(x, W1, b1, W2, b2, "tanh")
    manual = ManualMLP([W1, W2], [b1, b2], ["tanh", "sigmoid"], "bce")
    manual.forward(x)
    z1, a1 = t["z1"].data[0], t["a1"].data[0]
    checks = [Check("z1 [0]", "0.42", z1[0], manual.zs[0][0, 0]), Check("z1 [1]", "0.48", z1[1], manual.zs[0][0, 1]),
              Check("a1 [0] = tanh", "0.3969", a1[0], manual.activations[1][0, 0]),
              Check("a1 [1]", "0.4462", a1[1], manual.activations[1][0, 1]),
              Check("z2", "0.5312", t["z2"].data[0, 0], manual.zs[1][0, 0]),
              Check("a2 = σ(z2)", "0.6298", t["yhat"].data[0, 0], manual.activations[2][0, 0])]
    report("Seed 002, exercise: tanh hidden layer, sigmoid output, x = [0.5, 0.8]", checks)
    print(f"  (the seed's a2 = 0.6298 is σ(0.5312) = {1 / (1 + np.exp(-0.5312)):.4f}: its z2 slip carried over)")
    return checks


# -- seed 001: sigmoid units, E = ½ (y − ŷ)², η = 0.1 ----------------------------------------------------
def seed001_example(title: str, x: float, y: float, W1: np.ndarray, b1: np.ndarray, W2: np.ndarray,
                    b2: np.ndarray, lr: float = 0.1) -> list[Check]:
    X, Y = np.array([[x]]), np.array([[y]])
    t = two_layer_forward(X, W1, b1, W2, b2, "sigmoid")
    E = half_sse(t["yhat"], Y)
    E.backward()
    model = mlp_with([W1, W2], [b1, b2], ["sigmoid", "sigmoid"])
    manual = ManualMLP.from_module(model, "half_sse")
    g = manual.backward(X, Y)
    manual.step(lr)
    sgd_step(model, X, Y, half_sse, lr)

    hidden = W1.shape[0]
    checks: list[Check] = []
    for j in range(hidden):
        checks.append(Check(f"a{j + 1} = σ(z{j + 1})", None, t["a1"].data[0, j], g.activations[1][0, j]))
    checks += [Check("z_out", None, t["z2"].data[0, 0], g.zs[1][0, 0]),
               Check("ŷ", None, t["yhat"].data[0, 0], g.activations[2][0, 0]),
               Check("E = ½(y − ŷ)²", None, E.item(), g.loss),
               Check("δ_out = (ŷ − y) σ'(z_out)", None, t["z2"].grad[0, 0], g.deltas[1][0, 0])]
    for j in range(hidden):
        checks.append(Check(f"δ{j + 1} = (w δ_out) σ'(z{j + 1})", None, t["z1"].grad[0, j], g.deltas[0][0, j]))
    for j in range(hidden):
        checks.append(Check(f"∂E/∂w (in → h{j + 1}) = δ{j + 1} x", None, t["W1"].grad[j, 0],
                            g["layers.0.weight"][j, 0]))
    for j in range(hidden):
        checks.append(Check(f"∂E/∂w (h{j + 1} → out) = δ_out a{j + 1}", None, t["W2"].grad[0, j],
                            g["layers.1.weight"][0, j]))
    for j in range(hidden):
        checks.append(Check(f"new w (in → h{j + 1}), η = {lr}", None, model.layers[0].weight.data[j, 0],
                            manual.weights[0][j, 0]))
    for j in range(hidden):
        checks.append(Check(f"new w (h{j + 1} → out)", None, model.layers[1].weight.data[0, j],
                            manual.weights[1][0, j]))
    checks.append(Check("E after the step", None, half_sse(model(X), Y).item(), manual.loss(X, Y)))
    return report(title, checks)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    args = setup("hand_calculations", __doc__, argv, seed_help="unused: every number here is deterministic")
    s2 = seed002_backprop()
    ex = seed002_tanh_exercise()
    e1 = seed001_example("Seed 001, example 1: 1 → 1 → 1, x = 1, y = 2, w1 = 0.5, b1 = 0.1, w2 = 1.5, b2 = −0.3",
                         1.0, 2.0, np.array([[0.5]]), np.array([0.1]), np.array([[1.5]]), np.array([-0.3]))
    print("  (y = 2 lies outside a sigmoid's range (0, 1): E can shrink but never reach 0)")
    e2 = seed001_example("Seed 001, example 2: 1 → 2 → 1, x = 3, y = 1, w11 = 0.1, w21 = −0.2, b = (0, 0.1), "
                         "w12 = 0.3 (both), b3 = −0.1",
                         3.0, 1.0, np.array([[0.1], [-0.2]]), np.array([0.0, 0.1]), np.array([[0.3, 0.3]]),
                         np.array([-0.1]))
    everything = s2 + ex + e1 + e2
    printed = [c for c in everything if c.printed is not None]
    slips = [c for c in printed if not c.seed_right]
    max_diff = max(abs(c.autograd - c.manual) for c in everything)
    print()
    print(f"{len(printed)} printed numbers checked, {len(slips)} seed slips: "
          + ", ".join(f"{c.name} printed {c.printed}, correct {c.autograd:.{c.decimals}f}" for c in slips))
    print(f"autograd and the hand-derived backprop agree on all {len(everything)} quantities "
          f"to {max_diff:.1e}")

    figure(plot.plot_activations, path=args.out / "activations.png")
    return result(checked=len(printed), slips=len(slips), max_autograd_manual_diff=max_diff,
                  seed002_yhat=s2[8].autograd, seed002_loss=s2[9].autograd,
                  tanh_exercise_z2=ex[4].autograd, tanh_exercise_a2=ex[5].autograd,
                  seed001_ex1_yhat=e1[2].autograd, seed001_ex2_yhat=e2[3].autograd)


if __name__ == "__main__":
    main()
