"""Specification of `autograd.draw_graph`: what the DOT source says, and that dot renders it."""
from __future__ import annotations

import html
import re
import shutil
import time
import warnings
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

import autograd
from autograd import Tensor, toposort
from autograd.draw import COLORS, Drawing, GraphvizNotFoundError, draw_graph


# -- a small DOT reader (graphviz's Python package writes one statement per line) -----------
class Dot:
    def __init__(self, source: str) -> None:
        self.graph: dict[str, str] = {}
        self.nodes: dict[str, dict[str, str]] = {}
        self.edges: list[tuple[str, str, dict[str, str]]] = []
        self.clusters: dict[str, dict] = {}     # name -> {"attrs", "nodes" (incl. nested), "parent"}
        stack: list[str] = []
        for line in source.splitlines():
            s = line.strip()
            if s.startswith("subgraph "):
                name = s.split()[1]
                self.clusters[name] = {"attrs": {}, "nodes": [], "parent": stack[-1] if stack else None}
                stack.append(name)
            elif s == "}":
                if stack:
                    stack.pop()
            elif m := re.match(r"^(\S+) -> (\S+)(?: \[(.*)\])?$", s):
                self.edges.append((m[1], m[2], parse_attrs(m[3] or "")))
            elif m := re.match(r"^(\S+) \[(.*)\]$", s):
                name, attrs = m[1], parse_attrs(m[2])
                if name == "graph":
                    (self.clusters[stack[-1]]["attrs"] if stack else self.graph).update(attrs)
                elif name not in ("node", "edge"):
                    self.nodes[name] = attrs
                    for c in stack:
                        self.clusters[c]["nodes"].append(name)

    def text(self, node_id: str) -> str:
        return label_text(self.nodes[node_id].get("label", ""))

    def kind_nodes(self, prefix: str) -> list[str]:
        return [n for n in self.nodes if n.startswith(prefix)]

    def edges_between(self, src: str, dst: str) -> list[dict[str, str]]:
        return [a for s, d, a in self.edges if s == src and d == dst]


def parse_attrs(s: str) -> dict[str, str]:
    attrs: dict[str, str] = {}
    i = 0
    while True:
        m = re.compile(r"\s*([A-Za-z_]+)=").match(s, i)
        if not m:
            return attrs
        key, i = m[1], m.end()
        if s[i] == '"':
            j = i + 1
            while s[j] != '"':
                j += 2 if s[j] == "\\" else 1
            attrs[key], i = s[i + 1:j], j + 1
        elif s[i] == "<":
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(s[j], 0)
                j += 1
                if depth == 0:
                    break
            attrs[key], i = s[i + 1:j - 1], j
        else:
            m = re.compile(r"[^\s\]]+").match(s, i)
            attrs[key], i = m[0], m.end()


def label_text(label: str) -> str:
    """The visible text of an HTML-like label."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", label)).split())


def dot_of(drawing: Drawing) -> Dot:
    return Dot(drawing.source)


# -- fake modules: anything with __call__ under autograd.scope, named_* and describe ------------
class FakeModule:
    def __call__(self, *args):
        with autograd.scope(self):
            return self.forward(*args)

    def _children(self):
        for k, v in vars(self).items():
            if isinstance(v, FakeModule):
                yield k, v
            elif isinstance(v, list):
                yield from ((f"{k}.{i}", m) for i, m in enumerate(v) if isinstance(m, FakeModule))

    def named_modules(self, prefix=""):
        yield prefix, self
        for k, m in self._children():
            yield from m.named_modules(f"{prefix}.{k}" if prefix else k)

    def named_parameters(self):
        for path, m in self.named_modules():
            for k, v in vars(m).items():
                if isinstance(v, Tensor) and v.requires_grad:
                    yield (f"{path}.{k}" if path else k), v


class FakeLinear(FakeModule):
    def __init__(self, n_in, n_out, seed=0):
        rng = np.random.default_rng(seed)
        self.n_in, self.n_out = n_in, n_out
        self.weight = Tensor(rng.standard_normal((n_out, n_in)) * 0.5, requires_grad=True)
        self.bias = Tensor(np.zeros(n_out), requires_grad=True)

    def forward(self, x):
        return x @ self.weight.T + self.bias

    def describe(self):
        return f"Linear({self.n_in}→{self.n_out})"


class FakeReLU(FakeModule):
    def forward(self, x):
        return x.relu()


class FakeSigmoid(FakeModule):      # no describe(): the class name is used
    def forward(self, x):
        return x.sigmoid()


class FakeMLP(FakeModule):
    def __init__(self, sizes):
        self.layers = []
        for k, (i, o) in enumerate(zip(sizes, sizes[1:])):
            self.layers.append(FakeLinear(i, o, seed=k))
            self.layers.append(FakeReLU() if k < len(sizes) - 2 else FakeSigmoid())

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def describe(self):
        return "MLP"


def mlp_loss(sizes=(2, 3, 1)):
    model = FakeMLP(list(sizes))
    X = Tensor(np.random.default_rng(0).standard_normal((4, sizes[0])), name="X")
    loss = ((model(X) - 1.0) ** 2).mean()
    loss.name = "loss"
    return model, X, loss


def micrograd_example():
    """Karpathy's first example: L = (a·b + c)·f."""
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(-3.0, requires_grad=True, name="b")
    c = Tensor(10.0, name="c")
    f = Tensor(-2.0, requires_grad=True, name="f")
    L = (a * b + c) * f
    L.name = "L"
    return a, b, c, f, L


def require_dot():
    assert shutil.which("dot"), ("the graphviz 'dot' program is missing: `make test` installs it "
                                 "(or: sudo apt-get install graphviz / brew install graphviz)")


# -- structure -----------------------------------------------------------------------------------
def test_one_node_per_tensor_and_one_per_op():
    *_, L = micrograd_example()
    x = Tensor([1.0, 2.0], requires_grad=True, name="x")
    root = (L * x * x).sum()      # x used twice by the same op
    d = dot_of(draw_graph(root))
    order = toposort(root, requires_grad_only=False)
    assert len(d.kind_nodes("t")) == len(order) == 11
    assert len(d.kind_nodes("o")) == sum(t._op is not None for t in order) == 6
    assert set(d.nodes) == set(d.kind_nodes("t")) | set(d.kind_nodes("o")) | {"legend"}
    # every op has one edge per input (x * x: two) and one edge to its output
    for t in order:
        if t._op is not None:
            oid = f"o{id(t._op)}"
            assert sum(1 for s, dd, _ in d.edges if dd == oid) == len(t._op.inputs)
            assert d.edges_between(oid, f"t{id(t)}")


def test_node_ids_use_identity_not_values():
    a = Tensor(1.0, requires_grad=True, name="same")
    b = Tensor(1.0, requires_grad=True, name="same")
    drawing = draw_graph(a + b)
    d = dot_of(drawing)
    assert drawing.node_id(a) == f"t{id(a)}" != drawing.node_id(b) == f"t{id(b)}"
    assert drawing.node_id(a) in d.nodes and drawing.node_id(b) in d.nodes


def test_op_nodes_are_ovals_with_name_symbol_and_params():
    x = Tensor(np.ones((2, 3)), requires_grad=True, name="x")
    root = (x * 2).sum(axis=1).leaky_relu(0.1).mean()
    drawing = draw_graph(root)
    d = dot_of(drawing)
    texts = {d.text(o) for o in d.kind_nodes("o")}
    assert "× mul_scalar c=2" in texts and "mean" in texts   # a Python number is a parameter
    assert any(t.startswith("Σ sum") and "axis=(1,)" in t for t in texts)
    assert any(t.startswith("leaky_relu") and "slope=0.1" in t for t in texts)
    assert all(d.nodes[o]["shape"] == "ellipse" for o in d.kind_nodes("o"))


def test_tensor_label_shows_name_shape_dtype_and_small_values_in_full():
    x = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]], requires_grad=True, name="x")
    d = dot_of(draw_graph(x.sum()))
    text = d.text(f"t{id(x)}")
    assert "x (2, 3) float64" in text
    assert "data: [[1, 2, 3], [4, 5, 6.5]]" in text


def test_large_values_are_summarised_by_mean_min_max():
    x = Tensor(np.arange(10.0), requires_grad=True, name="big")
    root = x.sum()
    root.backward()
    text = dot_of(draw_graph(root)).text(f"t{id(x)}")
    assert "(10,) float64" in text
    assert "data: mean 4.5 · min 0 · max 9" in text
    assert "grad: mean 1 · min 1 · max 1" in text


def test_float32_dtype_is_shown():
    x = Tensor(np.ones(2, dtype=np.float32), requires_grad=True, name="x32")
    s = Tensor(np.float32(3.0), requires_grad=True, name="s32")
    d = dot_of(draw_graph((x * s).sum()))
    assert "float32" in d.text(f"t{id(x)}") and "float32" in d.text(f"t{id(s)}")


def test_grad_shows_dash_before_backward_and_numbers_after():
    a, b, c, f, L = micrograd_example()
    before = dot_of(draw_graph(L))
    for t in (a, b, c, f, L):
        assert "grad: —" in before.text(f"t{id(t)}")
    L.backward()
    after = dot_of(draw_graph(L))
    assert "grad: 6" in after.text(f"t{id(a)}")       # dL/da = b·f
    assert "grad: -4" in after.text(f"t{id(b)}")
    assert "grad: 4" in after.text(f"t{id(f)}")
    assert "grad: 1" in after.text(f"t{id(L)}")
    assert "grad: —" in after.text(f"t{id(c)}")       # a constant never gets a gradient


def test_zero_gradient_shows_0_not_dash():
    w = Tensor(3.0, requires_grad=True, name="w")
    v = Tensor([1.0, 2.0], requires_grad=True, name="v")
    root = (w * v).sum()
    w.grad = np.zeros(())
    v.grad = np.zeros(2)
    d = dot_of(draw_graph(root))
    assert "grad: 0" in d.text(f"t{id(w)}") and "—" not in d.text(f"t{id(w)}")
    assert "grad: [0, 0]" in d.text(f"t{id(v)}")


def test_scalar_graph_is_micrograd_like_records_and_ovals():
    a, b, c, f, L = micrograd_example()
    L.backward()
    d = dot_of(draw_graph(L))
    label = d.nodes[f"t{id(a)}"]["label"]
    assert label.count("<TR>") == 1 and label.count("<VR/>") == 2   # name | data | grad in one row
    assert d.text(f"t{id(a)}") == "a data: 2 grad: 6"
    assert d.nodes[f"t{id(a)}"]["shape"] == "box"
    assert {d.nodes[o]["shape"] for o in d.kind_nodes("o")} == {"ellipse"}
    assert sorted(d.text(o) for o in d.kind_nodes("o")) == ["+ add", "× mul", "× mul"]


def test_unnamed_tensors_get_short_auto_labels():
    x = Tensor(1.0, requires_grad=True)
    y = x.exp().sin()
    d = dot_of(draw_graph(y))
    names = sorted(d.text(f"t{id(t)}").split()[0] for t in toposort(y, requires_grad_only=False))
    assert names == ["t0", "t1", "t2"]


def test_edge_labels_give_argument_positions_for_ordered_ops():
    a = Tensor(np.ones((2, 2)), requires_grad=True, name="A")
    b = Tensor(np.full((2, 2), 2.0), requires_grad=True, name="B")
    cond = np.array([[True, False], [False, True]])
    outs = {"sub": a - b, "div": a / b, "matmul": a @ b, "pow": a ** b, "where": autograd.where(cond, a, b)}
    expected = {"sub": ("a", "b"), "div": ("a", "b"), "matmul": ("a", "b"), "pow": ("base", "exp"),
                "where": ("a", "b")}
    for name, out in outs.items():
        d = dot_of(draw_graph(out))
        oid = f"o{id(out._op)}"
        assert d.text(oid).endswith(name)
        assert [e.get("label") for e in d.edges_between(f"t{id(a)}", oid)] == [expected[name][0]], name
        assert [e.get("label") for e in d.edges_between(f"t{id(b)}", oid)] == [expected[name][1]], name
    # reversed operands: b − a labels b as "a" (the first argument)
    out = b - a
    d = dot_of(draw_graph(out))
    assert d.edges_between(f"t{id(b)}", f"o{id(out._op)}")[0]["label"] == "a"
    # commutative ops get no labels
    out = a + b
    assert all("label" not in e for _, _, e in dot_of(draw_graph(out)).edges)


def test_params_dict_names_parameters():
    w = Tensor([1.0, 2.0], requires_grad=True, name="ignored")
    x = Tensor([3.0, 4.0], name="x")
    d = dot_of(draw_graph((w * x).sum(), params={"layer.weight": w}))
    assert d.text(f"t{id(w)}").startswith("layer.weight (2,)")
    assert d.text(f"t{id(x)}").startswith("x (2,)")


def test_params_module_names_parameters_by_dotted_path():
    model, X, loss = mlp_loss()
    d = dot_of(draw_graph(loss, params=model))
    lin = model.layers[0]
    assert d.text(f"t{id(lin.weight)}").startswith("layers.0.weight (3, 2) float64")
    assert d.text(f"t{id(model.layers[2].bias)}").startswith("layers.2.bias (1,)")


def test_colours_distinguish_input_parameter_intermediate_op_and_root():
    a, b, c, f, L = micrograd_example()
    d = dot_of(draw_graph(L))
    inter = [t for t in toposort(L, requires_grad_only=False) if t._op is not None and t is not L][0]
    fills = {
        "param": d.nodes[f"t{id(a)}"]["fillcolor"],
        "input": d.nodes[f"t{id(c)}"]["fillcolor"],
        "inter": d.nodes[f"t{id(inter)}"]["fillcolor"],
        "op": d.nodes[f"o{id(L._op)}"]["fillcolor"],
        "root": d.nodes[f"t{id(L)}"]["fillcolor"],
    }
    assert len(set(fills.values())) == 5
    assert all(fills[k] == COLORS[k][0] for k in fills)
    assert d.nodes[f"t{id(b)}"]["fillcolor"] == fills["param"]
    assert all(v == "filled" or "filled" in v for v in (d.nodes[n]["style"] for n in d.nodes if n != "legend"))


def test_legend_lists_the_colours_in_use():
    *_, L = micrograd_example()
    d = dot_of(draw_graph(L))
    legend = d.nodes["legend"]["label"]
    for kind in ("input", "param", "inter", "op", "root"):
        assert f'BGCOLOR="{COLORS[kind][0]}"' in legend
        assert COLORS[kind][1] in label_text(legend)
    assert "module (collapsed)" not in label_text(legend)
    assert "legend" not in dot_of(draw_graph(L, legend=False)).nodes


def test_rankdir_is_honoured_and_validated():
    *_, L = micrograd_example()
    assert dot_of(draw_graph(L)).graph["rankdir"] == "LR"
    assert dot_of(draw_graph(L, rankdir="TB")).graph["rankdir"] == "TB"
    with pytest.raises(ValueError, match="rankdir"):
        draw_graph(L, rankdir="sideways")


def test_title_values_and_grads_can_be_hidden():
    x = Tensor(np.arange(3.0), requires_grad=True, name="x")
    root = x.sum()
    d = dot_of(draw_graph(root, title="my <graph>", show_values=False, show_grads=False))
    assert label_text(d.graph["label"]) == "my <graph>"
    text = d.text(f"t{id(x)}")
    assert text == "x (3,) float64"


def test_rejects_non_tensors_and_bad_options():
    with pytest.raises(TypeError, match="expected a Tensor"):
        draw_graph([1.0, 2.0])
    x = Tensor(1.0, requires_grad=True)
    with pytest.raises(ValueError, match="max_nodes"):
        draw_graph(x, max_nodes=1)
    with pytest.raises(ValueError, match="collapse"):
        draw_graph(x, collapse=-1)


def test_highlight_and_grads_override():
    a, b, c, f, L = micrograd_example()
    d = dot_of(draw_graph(L, highlight=[a, L._op], grads={a: np.array(0.5)}))
    assert d.nodes[f"t{id(a)}"]["fillcolor"] == COLORS["highlight"][0]
    assert d.nodes[f"o{id(L._op)}"]["fillcolor"] == COLORS["highlight"][0]
    assert d.nodes[f"t{id(b)}"]["fillcolor"] == COLORS["param"][0]
    assert "grad: 0.5" in d.text(f"t{id(a)}")
    assert "grad: —" in d.text(f"t{id(L)}")          # not in `grads`


# -- modules ---------------------------------------------------------------------------------------
def test_cluster_per_module_titled_with_path_and_kind():
    model, X, loss = mlp_loss((2, 3, 1))
    d = dot_of(draw_graph(loss, params=model))
    titles = {name: label_text(c["attrs"]["label"]) for name, c in d.clusters.items()}
    assert sorted(titles.values()) == sorted(["MLP", "layers.0 · Linear(2→3)", "layers.1 · FakeReLU",
                                              "layers.2 · Linear(3→1)", "layers.3 · FakeSigmoid"])
    by_title = {v: k for k, v in titles.items()}
    outer = by_title["MLP"]
    assert all(d.clusters[c]["parent"] == outer for c in by_title.values() if c != outer)
    assert d.clusters[outer]["parent"] is None
    lin0 = d.clusters[by_title["layers.0 · Linear(2→3)"]]["nodes"]
    w = model.layers[0].weight
    assert f"t{id(w)}" in lin0 and f"t{id(model.layers[0].bias)}" in lin0   # parameters join their layer
    assert sum(n.startswith("o") for n in lin0) == 3                      # transpose, matmul, add
    assert f"t{id(X)}" not in d.clusters[outer]["nodes"]                   # the input stays outside
    assert f"t{id(loss)}" not in d.clusters[outer]["nodes"]                # so does the loss
    assert all(name.startswith("cluster_") for name in d.clusters)


def test_cluster_titles_without_params_use_describe_or_class_name():
    model, X, loss = mlp_loss((2, 3, 1))
    titles = sorted(label_text(c["attrs"]["label"]) for c in dot_of(draw_graph(loss)).clusters.values())
    assert titles == sorted(["MLP", "Linear(2→3)", "FakeReLU", "Linear(3→1)", "FakeSigmoid"])


def test_collapse_true_draws_each_innermost_module_as_one_box():
    model, X, loss = mlp_loss((2, 16, 8, 1))
    drawing = draw_graph(loss, params=model, collapse=True)
    d = dot_of(drawing)
    boxes = d.kind_nodes("m")
    assert sorted(label_text(d.nodes[m]["label"]).split(" ")[0] for m in boxes) == [
        "layers.0", "layers.1", "layers.2", "layers.3", "layers.4", "layers.5"]
    assert len(d.clusters) == 1          # MLP stays a cluster around the boxes
    box = {label_text(d.nodes[m]["label"]).split(" ")[0]: m for m in boxes}
    assert "Linear(2→16)" in d.text(box["layers.0"]) and "weight (16, 2)" in d.text(box["layers.0"])
    # edges kept: X -> layers.0 -> layers.1 -> ... -> layers.5 -> (outside ops)
    assert d.edges_between(f"t{id(X)}", box["layers.0"])
    for i in range(5):
        assert d.edges_between(box[f"layers.{i}"], box[f"layers.{i + 1}"])
    sub_op = [o for o in d.kind_nodes("o") if d.text(o) == "− sub_scalar c=1"][0]
    assert d.edges_between(box["layers.5"], sub_op)
    # nothing from inside a module is drawn; everything outside is
    assert len(d.kind_nodes("o")) == 3 and f"t{id(loss)}" in d.nodes
    assert drawing.node_id(model.layers[0].weight) == box["layers.0"]
    assert len(d.nodes) - 1 <= 16        # fits on a screen (legend excluded)


def test_collapse_depth_one_draws_the_whole_model_as_one_box():
    model, X, loss = mlp_loss((2, 16, 8, 1))
    d = dot_of(draw_graph(loss, params=model, collapse=1))
    (box,) = d.kind_nodes("m")
    assert d.text(box).startswith("MLP")
    assert not d.clusters
    assert d.edges_between(f"t{id(X)}", box)


def test_collapse_depth_two_matches_layers_in_a_one_level_model():
    model, X, loss = mlp_loss((2, 3, 1))
    d = dot_of(draw_graph(loss, params=model, collapse=2))
    assert len(d.kind_nodes("m")) == 4


def test_root_stays_visible_when_its_module_is_collapsed():
    model = FakeMLP([2, 3, 1])
    out = model(Tensor(np.ones((1, 2)), name="X"))
    d = dot_of(draw_graph(out, params=model, collapse=True))
    assert f"t{id(out)}" in d.nodes and d.nodes[f"t{id(out)}"]["fillcolor"] == COLORS["root"][0]


def test_max_nodes_collapses_modules_first_and_warns():
    model, X, loss = mlp_loss((2, 16, 8, 1))
    with pytest.warns(UserWarning, match=r"max_nodes=20; modules collapsed \(collapse=True\)"):
        drawing = draw_graph(loss, params=model, max_nodes=20)
    assert drawing.collapse is True and len(dot_of(drawing).kind_nodes("m")) == 6


# -- big graphs ---------------------------------------------------------------------------------
def tanh_chain(n):
    x = Tensor(0.5, requires_grad=True, name="x")
    y = x
    for _ in range(n):
        y = y.tanh()
    return x, y


def test_ten_thousand_nodes_draw_without_recursion():
    x, y = tanh_chain(5000)      # 5001 tensors + 5000 ops
    y.backward()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        drawing = draw_graph(y, max_nodes=20_000)
        source = drawing.source
    elapsed = time.perf_counter() - start
    d = Dot(source)
    assert len(d.kind_nodes("t")) == 5001 and len(d.kind_nodes("o")) == 5000
    assert len(d.edges) == 10_000
    assert elapsed < 10, f"drawing 10,001 nodes took {elapsed:.1f}s"


def test_ten_thousand_nodes_are_summarised_above_max_nodes_with_a_warning():
    x, y = tanh_chain(5000)
    with pytest.warns(UserWarning, match=r"10001 nodes, more than max_nodes=500.*9502 more nodes"):
        drawing = draw_graph(y)
    d = dot_of(drawing)
    assert len(d.nodes) - 1 == 500 and drawing.hidden == 9502
    assert d.text("more") == "… 9502 more nodes"
    assert f"t{id(y)}" in d.nodes and f"t{id(x)}" not in d.nodes       # nearest the root kept
    assert drawing.node_id(x) == "more"
    (into,) = [dst for src, dst, _ in d.edges if src == "more"]
    assert into in d.nodes


# -- rendering with the dot program --------------------------------------------------------------
def test_render_svg_is_valid_xml_with_op_names(tmp_path):
    require_dot()
    model, X, loss = mlp_loss((2, 3, 1))
    loss.backward()
    path = draw_graph(loss, params=model).render(tmp_path / "graph.svg")
    assert path == str(tmp_path / "graph.svg")
    tree = ET.parse(path)
    assert tree.getroot().tag.endswith("svg")
    text = " ".join(t for t in tree.getroot().itertext())
    for name in ("matmul", "relu", "sigmoid", "mean", "layers.0.weight", "Linear(2→3)"):
        assert name in text


def test_render_png_and_pdf(tmp_path):
    require_dot()
    *_, L = micrograd_example()
    drawing = draw_graph(L)
    png = drawing.render(tmp_path / "graph", format="png")
    assert png.endswith("graph.png")
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    pdf = drawing.render(tmp_path / "graph.pdf")
    assert open(pdf, "rb").read(5) == b"%PDF-"


def test_jupyter_repr_is_inline_svg():
    require_dot()
    *_, L = micrograd_example()
    bundle = draw_graph(L)._repr_mimebundle_()
    assert list(bundle) == ["image/svg+xml"]
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml") and "<svg" in bundle["image/svg+xml"]


def test_save_writes_the_dot_source(tmp_path):
    *_, L = micrograd_example()
    drawing = draw_graph(L)
    path = drawing.save(tmp_path / "g.dot")
    assert open(path, encoding="utf-8").read() == drawing.source
    assert drawing.source.startswith("digraph")


def test_missing_dot_binary_gives_install_hint_but_source_works(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    *_, L = micrograd_example()
    drawing = draw_graph(L)
    assert "digraph" in drawing.source
    with pytest.raises(RuntimeError) as info:
        drawing.render(tmp_path / "g.svg")
    assert isinstance(info.value, GraphvizNotFoundError)
    assert "apt-get install graphviz" in str(info.value) and "brew install graphviz" in str(info.value)
    assert not (tmp_path / "g.svg").exists()
    assert isinstance(info.value, graphviz.ExecutableNotFound)      # what graphviz users catch
    bundle = drawing._repr_mimebundle_()
    assert list(bundle) == ["text/plain"] and "apt-get install graphviz" in bundle["text/plain"]
    for call in (lambda: drawing.pipe(), lambda: drawing.svg(),
                 lambda: drawing.render(filename="g", directory=tmp_path, format="png", cleanup=True)):
        with pytest.raises(GraphvizNotFoundError, match="brew install graphviz"):
            call()


def test_autograd_draw_graph_delegates():
    *_, L = micrograd_example()
    assert isinstance(autograd.draw_graph(L, rankdir="TB"), Drawing)


# -- graphviz compatibility: a Drawing is a graphviz.Digraph ---------------------------------------
def test_cli_graph_writes_only_the_image(tmp_path):
    require_dot()
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "nn", "graph", "--out", str(tmp_path / "g.png")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.png"]     # no DOT file left beside it


def test_drawing_is_a_graphviz_digraph_with_svg_as_default_format():
    *_, L = micrograd_example()
    drawing = draw_graph(L)
    assert isinstance(drawing, graphviz.Digraph)
    assert drawing.format == "svg" and drawing.source == str(drawing)


def test_graphviz_render_signature_with_directory_format_and_cleanup(tmp_path):
    require_dot()
    *_, L = micrograd_example()
    path = draw_graph(L).render(filename="graph", directory=tmp_path, format="svg", cleanup=True)
    assert path == str(tmp_path / "graph.svg")
    assert ET.parse(path).getroot().tag.endswith("svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.svg"]     # cleanup removed the DOT file


def test_graphviz_render_without_cleanup_keeps_the_dot_source_beside_the_image(tmp_path):
    require_dot()
    *_, L = micrograd_example()
    drawing = draw_graph(L)
    path = drawing.render(filename="g.gv", directory=tmp_path, format="png")
    assert path == str(tmp_path / "g.gv.png") and open(path, "rb").read(4) == b"\x89PNG"
    assert (tmp_path / "g.gv").read_text(encoding="utf-8") == drawing.source
    default = draw_graph(L).render(directory=tmp_path / "d")   # graphviz's default name, our default format
    assert default == str(tmp_path / "d" / "autograd.gv.svg")


def test_graphviz_render_outfile_keyword(tmp_path):
    require_dot()
    *_, L = micrograd_example()
    path = draw_graph(L).render(outfile=tmp_path / "out.pdf", cleanup=True)
    assert open(path, "rb").read(5) == b"%PDF-" and path.endswith("out.pdf")


def test_render_image_name_writes_only_that_file(tmp_path):
    require_dot()
    *_, L = micrograd_example()
    drawing = draw_graph(L)
    path = drawing.render(tmp_path / "sub" / "graph.png")
    assert path == str(tmp_path / "sub" / "graph.png") and open(path, "rb").read(4) == b"\x89PNG"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["graph.png"]
    assert drawing.render("graph.svg", directory=tmp_path) == str(tmp_path / "graph.svg")
    with pytest.raises(graphviz.FileExistsError, match="graph.svg"):
        drawing.render("graph.svg", directory=tmp_path, raise_if_result_exists=True)
    # an explicit format that disagrees with the extension follows graphviz: source + source.format
    assert drawing.render(tmp_path / "g.png", format="svg") == str(tmp_path / "g.png.svg")


def test_graphviz_pipe_signature():
    require_dot()
    *_, L = micrograd_example()
    drawing = draw_graph(L)
    assert drawing.pipe().lstrip().startswith(b"<?xml")                     # svg by default
    assert drawing.pipe(format="png")[:4] == b"\x89PNG"
    text = drawing.pipe(format="svg", encoding="utf-8")
    assert isinstance(text, str) and text == drawing.svg()


def test_graphviz_save_and_view(tmp_path):
    require_dot()
    *_, L = micrograd_example()
    drawing = draw_graph(L)
    assert drawing.save(filename="g.gv", directory=tmp_path) == str(tmp_path / "g.gv")
    opened = []
    drawing._view = lambda path, format, quiet: opened.append((path, format))   # no desktop viewer here
    path = drawing.view(filename="v.gv", directory=tmp_path, cleanup=True)
    assert opened == [(path, "svg")] and path == str(tmp_path / "v.gv.svg")
    assert not (tmp_path / "v.gv").exists()


def test_copy_keeps_the_drawing_and_its_node_ids():
    *_, L = micrograd_example()
    drawing = draw_graph(L)
    twin = drawing.copy()
    assert type(twin) is Drawing and twin.source == drawing.source
    assert twin.node_id(L) == drawing.node_id(L) == f"t{id(L)}" and twin.n_nodes == drawing.n_nodes
    twin.node("extra")
    assert "extra" not in drawing.source


def test_real_nn_mlp_collapses_to_one_box_per_layer_and_activation():
    nn = pytest.importorskip("nn")
    model = nn.MLP([2, 16, 8, 1], activations=["relu", "relu", "sigmoid"], seed=42)
    X = Tensor(np.random.default_rng(0).standard_normal((8, 2)), name="X")
    out = model(X)
    loss = ((out - 1.0) ** 2).mean()
    d = dot_of(draw_graph(loss, params=model, collapse=True))
    titles = [d.text(m) for m in d.kind_nodes("m")]
    assert len(titles) == 6
    assert sum("Linear(2→16)" in t for t in titles) == 1
    full = dot_of(draw_graph(loss, params=model))
    names = [full.text(n).split()[0] for n in full.kind_nodes("t")]
    assert {name for name, _ in model.named_parameters()} <= set(names)
