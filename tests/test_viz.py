"""Tests of microtensor.viz: graph drawings (checked in the DOT source and in real SVG from `dot`)
and training-curve plots."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt
import microtensor.viz as viz
from microtensor.autograd.function import Op

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(
    not HAS_DOT,
    reason="Graphviz's `dot` program is not installed (apt-get install graphviz); CI installs it",
)
SVG = "{http://www.w3.org/2000/svg}"
POINTS = [(0.5, 1.4), (2.3, 1.9), (2.9, 3.2)]  # (weight, height)


# --------------------------------------------------------------------------- helpers
def line_fit(backward: bool = True) -> tuple[mt.Tensor, mt.Tensor, mt.Tensor]:
    """loss = Σ (height - (intercept + slope * weight))² at intercept 0, slope 1."""
    intercept = mt.tensor(0.0, requires_grad=True)
    slope = mt.tensor(1.0, requires_grad=True)
    loss = None
    for weight, height in POINTS:
        term = (height - (intercept + slope * weight)) ** 2
        loss = term if loss is None else loss + term
    if backward:
        loss.backward()
    return loss, intercept, slope


def nodes(source: str) -> dict[str, str]:
    """DOT node name -> its statement line."""
    return {m.group(1): m.group(0) for m in re.finditer(r"^\s*(\w+) \[label=.*$", source, re.M)}


def edges(source: str) -> list[tuple[str, str]]:
    return re.findall(r"^\s*(\w+) -> (\w+)", source, re.M)


def node_with(source: str, text: str) -> str:
    """The one node statement containing ``text``."""
    found = [line for line in nodes(source).values() if text in line]
    assert len(found) == 1, f"{len(found)} nodes contain {text!r}"
    return found[0]


def svg_summary(path: Path) -> tuple[int, int, list[str]]:
    """(number of nodes, number of edges, every text) of an SVG written by dot."""
    root = ET.parse(path).getroot()
    groups = list(root.iter(f"{SVG}g"))
    n_nodes = sum(g.get("class") == "node" for g in groups)
    n_edges = sum(g.get("class") == "edge" for g in groups)
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    return n_nodes, n_edges, texts


class ScaleBy(Op):
    """z = x * factor, where factor is a NumPy array captured as a constant input."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.save_for_backward(factor)
        return x * factor

    @staticmethod
    def backward(ctx, grad):
        (factor,) = ctx.saved_tensors
        return grad * factor, None


# --------------------------------------------------------------------------- the DOT source
def test_line_fit_graph_structure() -> None:
    loss, intercept, slope = line_fit()
    source = viz.draw_graph(loss, params={"intercept": intercept, "slope": slope}).source
    statements = nodes(source)
    ops = [line for name, line in statements.items() if name.startswith("op")]
    op_names = sorted(re.search(r"<B>(\w+)</B>", line).group(1) for line in ops)
    # per point: Mul, Add, Sub, PowScalar; then two Adds sum the three terms
    assert op_names == sorted(["Mul", "Add", "Sub", "PowScalar"] * 3 + ["Add"] * 2)
    constants = [name for name in statements if name.startswith("c")]
    tensors = [name for name in statements if name.startswith("t")]
    assert len(constants) == 6  # the three weights and the three heights
    assert len(tensors) == 2 + 4 * 3 + 2  # the 2 parameters, 4 results per point, 2 sums
    # edges: Mul, Add, Sub have 2 inputs and 1 output, PowScalar 1 and 1; the sums 2 and 1
    assert len(edges(source)) == source.count("->") == 3 * (3 + 3 + 3 + 2) + 2 * 3
    assert "<B>intercept</B>" in source and "<B>slope</B>" in source
    assert "PowScalar</B><BR/>exponent=2" in source  # the op's constant parameter is shown


def test_edges_follow_the_data() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    source = viz.draw_graph(y, params={"x": x}).source
    x_node = node_with(source, "<B>x</B>").split()[0]
    y_node = node_with(source, "<B>output</B>").split()[0]
    const = node_with(source, "dashed").split()[0]
    assert re.search(r"\[label=<2>", node_with(source, "dashed"))
    mul = node_with(source, "<B>Mul</B>").split()[0]
    assert sorted(edges(source)) == sorted([(x_node, mul), (const, mul), (mul, y_node)])


def test_gradients_shown_after_backward_only() -> None:
    loss, intercept, slope = line_fit(backward=False)
    names = {"intercept": intercept, "slope": slope}
    before = viz.draw_graph(loss, params=names).source
    assert ">grad<" not in before
    loss.backward()  # frees the arrays saved for backward; the inputs stay and are drawn
    after = viz.draw_graph(loss, params=names).source
    assert nodes(after).keys() == nodes(before).keys()
    assert "-1.6</FONT>" in node_with(after, "<B>intercept</B>")  # -2 Σ residual
    assert "-0.8</FONT>" in node_with(after, "<B>slope</B>")  # -2 Σ residual · weight
    assert ">data<" in node_with(after, "<B>slope</B>")
    assert "1.06</FONT>" in node_with(after, "<B>output</B>")  # 0.81 + 0.16 + 0.09
    hidden = viz.draw_graph(loss, params=names, show_data=False, show_grad=False).source
    assert ">grad<" not in hidden and ">data<" not in hidden and "scalar float32" in hidden


def test_retained_non_leaf_gradient_is_shown() -> None:
    x = mt.tensor([1.0, 3.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    (h * h).sum().backward()  # d/dh = 2h = [6, 18]
    source = viz.draw_graph((h * h).sum(), params={"h": h}).source
    assert "[6, 18]" in node_with(source, "<B>h</B>")


def test_small_tensors_show_values_large_ones_a_norm() -> None:
    small = mt.tensor([0.5, 2.3, 2.9], requires_grad=True)
    large = mt.arange(100, dtype=mt.float32).reshape(10, 10).requires_grad_()
    loss = (small.sum() + large.sum()) * 1.0
    loss.backward()
    source = viz.draw_graph(loss, params={"small": small, "large": large}).source
    small_node = node_with(source, "<B>small</B>")
    assert "(3,) float32" in small_node
    assert "[0.5, 2.3, 2.9]" in small_node and "[1, 1, 1]" in small_node
    large_node = node_with(source, "<B>large</B>")
    assert "(10, 10) float32" in large_node
    norm = np.linalg.norm(np.arange(100.0))
    assert f"norm {norm:.4g}" in large_node and "norm 10<" in large_node  # data, grad (ones)
    assert "99" not in large_node.split("tooltip")[0]  # the values themselves are not listed
    # max_elements moves the threshold
    assert "[0.5, 2.3, 2.9]" not in viz.draw_graph(loss, params={"s": small},
                                                    max_elements=2).source


def test_matrix_values_one_row_a_line() -> None:
    m = mt.tensor([[1.0, -2.5], [30.0, 4.0]], requires_grad=True)
    source = viz.draw_graph(m.sum(), params={"m": m}).source
    assert "[[   1, -2.5],<BR/> [  30,    4]]" in node_with(source, "<B>m</B>")


def test_leaves_requiring_grad_styled_apart_from_data_and_constants() -> None:
    w = mt.tensor([1.0, 2.0], requires_grad=True)
    data = mt.tensor([3.0, 4.0])
    out = (w * data + 1.5).sum()
    source = viz.draw_graph(out, params={"w": w, "data": data}).source
    fills = {key: re.search(r'fillcolor="(#\w+)"', node_with(source, text)).group(1)
             for key, text in [("w", "<B>w</B>"), ("data", "<B>data</B>"),
                               ("constant", "dashed"), ("output", "<B>output</B>")]}
    assert len(set(fills.values())) == 4, fills
    assert "rounded" in node_with(source, "<B>w</B>")


def test_array_constant_captured_by_an_op() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = ScaleBy.apply(x, np.array([10.0, 20.0]))
    source = viz.draw_graph(y).source
    constant = node_with(source, "dashed")
    assert "(2,) float64" in constant and "[10, 20]" in constant
    assert "<B>ScaleBy</B>" in source and len(edges(source)) == 3


def test_nan_and_inf_are_highlighted() -> None:
    x = mt.tensor([1.0, -1.0, 4.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = x.log()  # log(-1) = nan
    loss = (y * 2).sum()
    source = viz.draw_graph(loss, params={"x": x, "y": y}).source
    red = "#ffd6d6"
    assert red in node_with(source, "<B>y</B>") and red in node_with(source, "<B>output</B>")
    assert red not in node_with(source, "<B>x</B>")
    assert 'FONT COLOR="#d62728"' in node_with(source, "<B>y</B>")

    # an infinite gradient marks its leaf, also when values are summarised or hidden
    z = mt.zeros(10, requires_grad=True)
    with np.errstate(divide="ignore"):
        z.sqrt().sum().backward()  # d sqrt(z)/dz = 1/(2 sqrt(0)) = inf
    for kwargs in ({}, {"show_grad": False}):
        drawn = node_with(viz.draw_graph(z, params={"z": z}, **kwargs).source, "<B>z</B>")
        assert red in drawn and ("10 inf" in drawn or "NaN/inf" in drawn)


def test_multiple_outputs_share_their_inputs() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    a, b = x.exp(), x.sin()
    source = viz.draw_graph([a, b], params={"x": x}).source
    assert "<B>output 0</B>" in source and "<B>output 1</B>" in source
    assert source.count("<B>x</B>") == 1
    assert len(edges(source)) == 4
    assert viz.draw_graph((a, b)).source.count("->") == 4  # tuples too


def test_parameters_from_a_named_parameters_iterator() -> None:
    weight = mt.randn(2, 3, requires_grad=True)
    bias = mt.zeros(2, requires_grad=True)
    x = mt.randn(4, 3)
    out = x @ weight.T + bias
    source = viz.draw_graph(out, params=iter([("fc.weight", weight), ("fc.bias", bias)])).source
    assert "<B>fc.weight</B>" in source and "<B>fc.bias</B>" in source
    assert "<B>MatMul</B>" in source and "<B>Permute</B>" in source


def test_named_parameters_of_an_nn_module() -> None:
    nn = pytest.importorskip("microtensor.nn")
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    loss = model(mt.randn(5, 3)).sum()
    source = viz.draw_graph(loss, params=dict(model.named_parameters())).source
    for name, _ in model.named_parameters():
        assert f"<B>{name}</B>" in source


def test_conv2d_op_name() -> None:
    conv = pytest.importorskip("microtensor.ops.conv")
    if not hasattr(conv, "conv2d"):
        pytest.skip("microtensor.ops.conv has no conv2d yet")
    x = mt.randn(1, 1, 5, 5)
    w = mt.randn(2, 1, 3, 3, requires_grad=True)
    source = viz.draw_graph(conv.conv2d(x, w), params={"kernel": w}).source
    assert "<B>Conv2d</B>" in source and "<B>kernel</B>" in source


def test_leaf_output_and_bad_arguments() -> None:
    x = mt.tensor([1.0, 2.0])
    assert len(nodes(viz.draw_graph(x).source)) == 1
    with pytest.raises(TypeError, match="Tensor or a list/tuple of Tensors"):
        viz.draw_graph(np.ones(3))
    with pytest.raises(TypeError, match="item 1"):
        viz.draw_graph([x, 3.0])
    with pytest.raises(TypeError, match="not a Tensor"):
        viz.draw_graph(x, params={"x": np.ones(2)})
    with pytest.raises(ValueError, match="at least one"):
        viz.draw_graph([])


def test_ten_thousand_nodes_without_recursion() -> None:
    x = mt.tensor(0.5, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y.tanh()
    limit = sys.getrecursionlimit()
    graph = viz.draw_graph(y)
    assert sys.getrecursionlimit() == limit
    assert len(nodes(graph.source)) == 10_001  # 5000 ops, 5001 tensors
    assert len(edges(graph.source)) == 10_000
    y.backward()
    assert len(nodes(viz.draw_graph(y).source)) == 10_001


def test_shared_subgraph_drawn_once() -> None:
    x = mt.tensor(2.0, requires_grad=True)
    y = x * x  # x enters Mul twice: two edges, one node
    z = y + y
    source = viz.draw_graph(z).source
    assert len(nodes(source)) == 5  # x, Mul, y, Add, z
    assert len(edges(source)) == 6  # x->Mul twice, Mul->y, y->Add twice, Add->z
    assert viz.draw_graph(z).source == source  # deterministic


# --------------------------------------------------------------------------- rendering with dot
@needs_dot
def test_render_svg_and_png_with_dot(tmp_path: Path) -> None:
    loss, intercept, slope = line_fit()
    graph = viz.draw_graph(loss, params={"intercept": intercept, "slope": slope})
    svg = viz.render(graph, tmp_path / "line_fit.svg")
    png = viz.render(graph, tmp_path / "line_fit", format="png")
    assert png == tmp_path / "line_fit.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    n_nodes, n_edges, texts = svg_summary(svg)
    assert (n_nodes, n_edges) == (36, 39)  # 16 tensors + 14 ops + 6 constants
    for word in ("Mul", "Add", "Sub", "PowScalar", "intercept", "slope", "output"):
        assert word in texts
    assert "-1.6" in texts and "-0.8" in texts and "1.06" in texts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["line_fit.png", "line_fit.svg"]


@needs_dot
def test_digraph_pipe_and_render_methods(tmp_path: Path) -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    graph = viz.draw_graph((x * x).sum(), params={"x": x})
    assert graph.pipe(format="svg").lstrip().startswith(b"<?xml")
    out = Path(graph.render(tmp_path / "g", format="png", cleanup=True))
    assert out.read_bytes()[:4] == b"\x89PNG"


@needs_dot
def test_nan_node_is_red_in_the_svg(tmp_path: Path) -> None:
    x = mt.tensor([1.0, -1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        y = x.sqrt()
    root = ET.parse(viz.render(viz.draw_graph(y), tmp_path / "nan.svg")).getroot()
    fills = {p.get("fill") for p in root.iter(f"{SVG}polygon")}
    assert "#ffd6d6" in fills


def test_missing_dot_explains_how_to_install(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    graph = viz.draw_graph(x * 2)
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    for attempt in (lambda: viz.render(graph, tmp_path / "g.svg"),
                    lambda: graph.pipe(format="png"),
                    lambda: graph.render(tmp_path / "g", format="svg")):
        with pytest.raises(RuntimeError) as error:
            attempt()
        message = str(error.value)
        assert "Graphviz's `dot` program was not found" in message
        assert "apt-get install graphviz" in message and "brew install graphviz" in message
        assert "graph.source" in message
    assert "Mul" in graph.source  # the DOT text is still there
    assert not (tmp_path / "g.svg").exists()


# --------------------------------------------------------------------------- plot_history
HISTORY = {
    "train_loss": [1.0, 0.6, 0.4, 0.3],
    "val_loss": [1.1, 0.7, 0.5, 0.45],
    "val_acc": [0.5, 0.7, 0.8, 0.85],
    "lr": [0.1, 0.1, 0.01, 0.01],
}


def test_plot_history_writes_a_png_with_three_panels(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    figure = viz.plot_history(HISTORY, path=tmp_path / "history.png", title="run")
    assert [ax.get_title() for ax in figure.axes] == ["loss", "metrics", "learning rate"]
    assert [len(ax.get_lines()) for ax in figure.axes] == [2, 1, 1]
    assert (tmp_path / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["history.png"]  # no temporary left over
    assert figure.axes[2].get_yscale() == "linear"  # 0.1 / 0.01 is only one decade


def test_plot_history_panels_follow_the_keys(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    only_losses = viz.plot_history({"loss": [3.0, 2.0, 1.0]}, path=tmp_path / "loss")
    assert len(only_losses.axes) == 1 and (tmp_path / "loss.png").exists()
    # a list of per-epoch records, with an epoch entry for x and a tensor and a gap as values
    records = [{"epoch": 5, "loss": mt.tensor(2.0), "acc": 0.5},
               {"epoch": 6, "loss": 1.0, "acc": None}]
    figure = viz.plot_history(records)
    assert len(figure.axes) == 2
    assert list(figure.axes[0].get_lines()[0].get_xdata()) == [5, 6]
    assert figure.axes[0].get_xlabel() == "epoch"


def test_plot_history_on_given_axes() -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    figure = Figure()
    ax = figure.add_subplot()
    assert viz.plot_history(HISTORY, ax=ax) is figure
    assert len(ax.get_lines()) == 4
    figure = Figure()
    axes = figure.subplots(1, 3)
    viz.plot_history(HISTORY, ax=axes)
    assert [len(a.get_lines()) for a in axes] == [2, 1, 1]
    with pytest.raises(ValueError, match="2 Axes for 3 panels"):
        viz.plot_history(HISTORY, ax=list(axes[:2]))


def test_plot_history_stretches_per_step_series_to_epochs() -> None:
    pytest.importorskip("matplotlib")
    figure = viz.plot_history({"train_loss": list(np.linspace(1, 0, 20)), "val_loss": [1, 0.5]})
    train, val = figure.axes[0].get_lines()
    assert list(val.get_xdata()) == [1, 2]
    assert train.get_xdata()[0] == pytest.approx(0.1) and train.get_xdata()[-1] == 2


def test_plot_history_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(ValueError, match="no series"):
        viz.plot_history({})
    with pytest.raises(TypeError, match="list of numbers"):
        viz.plot_history({"loss": ["high", "low"]})
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install \"microtensor\[examples\]\""):
        viz.plot_history(HISTORY)


def test_importing_viz_does_not_import_matplotlib() -> None:
    code = "import sys, microtensor.viz; print('matplotlib' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "False"
