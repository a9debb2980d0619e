"""Check your own backprop: two from-scratch NumPy MLPs, checked as written and with classic mistakes.

The two classes below are written the way the tutorials write them, in plain
NumPy: `ColumnMLP` keeps samples in columns (`Z = W @ A + b`, W of shape
(out, in), like seed 002), `RowMLP` keeps them in rows (`Z = X @ W + b`, W of
shape (in, out), like seeds 000 and 003). `check_backprop` runs each class's
own forward pass on Tensors (NumPy dispatch) to get exact gradients, and
compares them with the class's hand-written backward pass.

Then three classic mistakes are injected, each by overriding one small
method, and the doctor's diagnosis is printed:

1. the gradient of the sum over the batch instead of the mean (no 1/m);
2. the sigmoid derivative written for z applied to the activation A;
3. the descent direction y − ŷ instead of the gradient ŷ − y.
"""
from __future__ import annotations

import sys

import numpy as np

from _common import result, setup

from nn.compare import check_backprop


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def sigmoid_derivative(z):
    """σ′(z) = σ(z)(1 − σ(z)) — written for z (seed 003's convention)."""
    return sigmoid(z) * (1 - sigmoid(z))


# -- the column-major network: samples are columns, Z = W @ A + b ---------------------------------
class ColumnMLP:
    """A sigmoid MLP with binary cross-entropy; X is (features, m), Y is (1, m)."""

    def __init__(self, layer_sizes, seed=0):
        rng = np.random.default_rng(seed)
        self.L = len(layer_sizes) - 1
        self.params = {}
        for l in range(1, self.L + 1):
            self.params[f"W{l}"] = rng.normal(size=(layer_sizes[l], layer_sizes[l - 1])) * np.sqrt(2 / layer_sizes[l - 1])
            self.params[f"b{l}"] = np.zeros((layer_sizes[l], 1))

    def forward(self, X):
        self.cache = {"A0": X}
        A = X
        for l in range(1, self.L + 1):
            Z = np.dot(self.params[f"W{l}"], A) + self.params[f"b{l}"]
            A = sigmoid(Z)
            self.cache[f"Z{l}"], self.cache[f"A{l}"] = Z, A
        return A

    def compute_loss(self, A, Y):
        return -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))

    def batch_scale(self, m):
        return 1 / m                     # the loss is a mean over the batch

    def output_delta(self, A, Y):
        return A - Y                     # sigmoid + cross-entropy: δᴸ = aᴸ − y

    def backward(self, Y):
        m = Y.shape[1]
        grads = {}
        dZ = self.output_delta(self.cache[f"A{self.L}"], Y)
        for l in range(self.L, 0, -1):
            grads[f"dW{l}"] = self.batch_scale(m) * np.dot(dZ, self.cache[f"A{l - 1}"].T)
            grads[f"db{l}"] = self.batch_scale(m) * np.sum(dZ, axis=1, keepdims=True)
            if l > 1:
                A_prev = self.cache[f"A{l - 1}"]
                dZ = np.dot(self.params[f"W{l}"].T, dZ) * A_prev * (1 - A_prev)
        return grads


# -- the row-major network: samples are rows, Z = X @ W + b -------------------------------------
class RowMLP:
    """Two sigmoid hidden layers and a sigmoid output, BCE; X is (m, features), y is (m, 1)."""

    def __init__(self, n_input, n_hidden_1, n_hidden_2, seed=0):
        rng = np.random.default_rng(seed)
        self.W1 = rng.normal(size=(n_input, n_hidden_1))
        self.b1 = np.zeros((1, n_hidden_1))
        self.W2 = rng.normal(size=(n_hidden_1, n_hidden_2))
        self.b2 = np.zeros((1, n_hidden_2))
        self.W3 = rng.normal(size=(n_hidden_2, 1))
        self.b3 = np.zeros((1, 1))

    def forward(self, X):
        self.z1 = np.dot(X, self.W1) + self.b1
        self.a1 = sigmoid(self.z1)
        self.z2 = np.dot(self.a1, self.W2) + self.b2
        self.a2 = sigmoid(self.z2)
        self.z3 = np.dot(self.a2, self.W3) + self.b3
        return sigmoid(self.z3)

    def loss(self, X, y):
        y_pred = self.forward(X)
        return -np.mean(y * np.log(y_pred) + (1 - y) * np.log(1 - y_pred))

    def hidden_derivative(self, z, a):
        return sigmoid_derivative(z)     # σ′ at the pre-activation z

    def backward(self, X, y):
        m = len(X)
        y_pred = self.forward(X)
        d_z3 = (y_pred - y) / m
        d_z2 = np.dot(d_z3, self.W3.T) * self.hidden_derivative(self.z2, self.a2)
        d_z1 = np.dot(d_z2, self.W2.T) * self.hidden_derivative(self.z1, self.a1)
        return {"dW3": np.dot(self.a2.T, d_z3), "db3": np.sum(d_z3, axis=0, keepdims=True),
                "dW2": np.dot(self.a1.T, d_z2), "db2": np.sum(d_z2, axis=0, keepdims=True),
                "dW1": np.dot(X.T, d_z1), "db1": np.sum(d_z1, axis=0, keepdims=True)}


# -- three classic mistakes, one method each ------------------------------------------------------
class SummedOverBatch(ColumnMLP):
    def batch_scale(self, m):
        return 1.0                       # forgot the 1/m of the mean


class DerivativeOfActivation(RowMLP):
    def hidden_derivative(self, z, a):
        return sigmoid_derivative(a)     # σ′ written for z, given the activation a


class DescentDirection(ColumnMLP):
    def output_delta(self, A, Y):
        return Y - A                     # y − ŷ: the direction to move in, not the gradient


# -- how a class meets check_backprop: loss(params, *args) and grads(params, *args) -------------
def check_column(net, X, Y):
    saved = net.params

    def loss(params, X, Y):
        net.params = params
        return net.compute_loss(net.forward(X), Y)

    def grads(params, X, Y):
        net.params = params
        net.forward(X)
        return net.backward(Y)

    try:
        return check_backprop(loss, grads, saved, X, Y)
    finally:
        net.params = saved


ROW_NAMES = ("W1", "b1", "W2", "b2", "W3", "b3")


def check_row(net, X, y):
    saved = {k: getattr(net, k) for k in ROW_NAMES}

    def use(params):
        for k, v in params.items():
            setattr(net, k, v)

    def loss(params, X, y):
        use(params)
        return net.loss(X, y)

    def grads(params, X, y):
        use(params)
        return net.backward(X, y)

    try:
        return check_backprop(loss, grads, saved, X, y)
    finally:
        use(saved)


def make_data(m, seed):
    """Two noisy blobs, labels 0/1 (rows are samples)."""
    rng = np.random.default_rng(seed)
    y = (rng.random((m, 1)) > 0.5).astype(float)
    X = rng.normal(size=(m, 2)) + 1.5 * (2 * y - 1)
    return X, y


def show(title, report):
    print(f"\n== {title}")
    print(report)


def main(argv=None) -> dict:
    args = setup("check_my_backprop", __doc__, argv, seed_help="data and weight seed")
    m = 16 if args.quick else 64
    X, y = make_data(m, args.seed)
    Xc, Yc = X.T.copy(), y.T.copy()        # the column-major network wants samples in columns

    col = check_column(ColumnMLP([2, 4, 3, 1], seed=args.seed), Xc, Yc)
    show("ColumnMLP (W @ A + b), as written", col)
    row = check_row(RowMLP(2, 5, 3, seed=args.seed), X, y)
    show("RowMLP (X @ W + b), as written", row)

    mistakes = {
        "summed": check_column(SummedOverBatch([2, 4, 3, 1], seed=args.seed), Xc, Yc),
        "sigma_of_a": check_row(DerivativeOfActivation(2, 5, 3, seed=args.seed), X, y),
        "descent": check_column(DescentDirection([2, 4, 3, 1], seed=args.seed), Xc, Yc),
    }
    show("mistake 1: ColumnMLP without the 1/m of the mean", mistakes["summed"])
    show("mistake 2: RowMLP with sigmoid_derivative(a) where sigmoid_derivative(z) was meant",
         mistakes["sigma_of_a"])
    show("mistake 3: ColumnMLP with δᴸ = y − ŷ", mistakes["descent"])

    kinds = {k: ",".join(sorted({r.kind for r in rep.rows if not r.ok})) for k, rep in mistakes.items()}
    return result(column_ok=col.ok, row_ok=row.ok, batch_size=m,
                  summed_kind=kinds["summed"], summed_first_wrong=mistakes["summed"].first_wrong,
                  sigma_of_a_kind=kinds["sigma_of_a"], sigma_of_a_first_wrong=mistakes["sigma_of_a"].first_wrong,
                  descent_kind=kinds["descent"], descent_first_wrong=mistakes["descent"].first_wrong)


if __name__ == "__main__":
    main(sys.argv[1:])
