"""Rich display in Jupyter: what `_repr_html_` of a Module, a History and a gradient report shows."""
from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nn
from nn import data
from nn.compare import GradientReport, Row, compare_gradients
from nn.display import html_table, loss_curve_svg


def cells(markup: str) -> list[list[str]]:
    """The text of every table row's cells."""
    rows = re.findall(r"<tr>(.*?)</tr>", markup)
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
            for r in rows]


def test_module_shows_its_summary_as_a_table():
    model = nn.MLP([2, 16, 8, 1], activations=["relu", "relu", "sigmoid"], seed=0)
    markup = model._repr_html_()
    assert "MLP(2→16→8→1): 193 parameters, float64; activations relu, relu, sigmoid" in markup
    rows = cells(markup)
    assert rows[0] == ["parameter", "shape", "dtype", "count"]
    assert rows[1] == ["layers.0.weight", "(16, 2)", "float64", "32"]
    assert rows[-1] == ["total", "", "", "193"]
    assert len(rows) == 2 + 6
    assert "Linear(2→3)" in nn.Linear(2, 3)._repr_html_()


def test_history_shows_final_numbers_and_an_svg_loss_curve():
    X, y = data.make_moons(100, noise=0.2, seed=0)
    model = nn.MLP([2, 8, 1], activations=["relu", "sigmoid"], seed=0)
    hist = nn.fit(model, X, y, nn.BCELoss(), nn.optim.SGD(model.parameters(), lr=0.5), epochs=30,
                  validation_fraction=0.25, metrics=["accuracy"], progress=False, seed=0)
    markup = hist._repr_html_()
    rows = dict(r for r in cells(markup) if len(r) == 2)
    assert rows["epochs"] == "30"
    assert rows["train loss"] == f"{hist.train_loss[-1]:.6g}"
    assert rows["validation loss"] == f"{hist.val_loss[-1]:.6g}"
    assert rows["train accuracy"] == f"{hist.metrics['accuracy'][-1]:.6g}"
    svg = ET.fromstring(re.search(r"<svg.*</svg>", markup).group(0))
    lines = [el for el in svg.iter() if el.tag.endswith("polyline")]
    assert len(lines) == 2                                        # train and validation
    assert len(lines[0].get("points").split()) == 30
    labels = [el.text for el in svg.iter() if el.tag.endswith("text")]
    low = min(min(hist.train_loss), min(hist.val_loss))
    assert f"{low:.3g} (log scale)" in labels and "train" in labels and "validation" in labels


def test_loss_curve_drops_non_finite_and_non_positive_points_on_a_log_scale():
    svg = loss_curve_svg([("train", [1.0, float("nan"), 0.1, 0.0, 0.01], "red")])
    (line,) = [el for el in ET.fromstring(svg).iter() if el.tag.endswith("polyline")]
    points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
    assert len(points) == 3
    assert points[0][1] < points[1][1] < points[2][1]             # falling loss: lower on the picture
    assert loss_curve_svg([("train", [float("inf")], "red")]) == ""


def test_gradient_report_shows_a_table_with_check_marks():
    X, y = data.make_moons(16, noise=0.2, seed=0)
    model = nn.MLP([2, 4, 1], activations=["tanh", "sigmoid"], seed=0)
    report = compare_gradients(model, X, y, nn.BCELoss())
    markup = report._repr_html_()
    rows = cells(markup)
    assert rows[0] == ["quantity", "shape", "|ag−manual|", "rel", "|ag−numeric|", "rel", "ok"]
    assert [r[0] for r in rows[1:]] == [r.name for r in report.rows]
    assert all(r[-1] == "✓" for r in rows[1:])
    assert "PASS: autograd matches manual backprop" in html.unescape(markup)
    assert str(report).splitlines()[0] in html.unescape(markup)        # the same heading as the text table


def test_gradient_report_marks_failures_with_a_cross():
    rows = [Row("layers.0.weight", "param", (2, 2), 1e-3, 1e-2, None, None, False),
            Row("layers.0.bias", "param", (2,), 0.0, 0.0, None, None, True)]
    report = GradientReport(rows, "mse", 0.5, 0.5, 4, 1e-8, 1e-5)
    markup = report._repr_html_()
    assert [r[-1] for r in cells(markup)[1:]] == ["✗", "✓"]
    assert "FAIL: autograd matches" in markup and "<script" not in markup


def test_html_table_escapes_cells_unless_raw():
    markup = html_table(("a", "b"), [("<x>", "<b>y</b>")], caption="c & d", raw=(1,))
    assert "&lt;x&gt;" in markup and "<b>y</b>" in markup and "c &amp; d" in markup


def test_plots_close_their_figure_under_the_inline_backend(monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt
    from nn import plot
    hist = nn.History(train_loss=[1.0, 0.5, 0.25])
    monkeypatch.setattr(plot, "_inline_backend", lambda: True)
    fig = plot.plot_history(hist)
    assert not plt.fignum_exists(fig.number)        # Jupyter shows the returned figure, and only it
    monkeypatch.setattr(plot, "_inline_backend", lambda: False)
    fig = plot.plot_history(hist)
    assert plt.fignum_exists(fig.number)            # a script's plt.show() still sees it
    plt.close(fig)
