"""mt.viz.explore: the collected graph, the recorded backward pass, the formulas and the page.

These tests read the data the page is built from; tests/test_explore_browser.py drives the page
itself in headless Chromium.
"""

from __future__ import annotations

import inspect
import json
import re

import numpy as np
import pytest

import microtensor as mt
from microtensor import nn
from microtensor.autograd.engine import backward_order
from microtensor.ops.elementwise import TanhOp
from microtensor.viz.explore import collect
from microtensor.viz.explore.formulas import formula_of, plug_numbers
from microtensor.viz.explore.page import kept_scopes, summarize

POINTS = [(0.5, 1.4), (2.3, 1.9), (2.9, 3.2)]


def line_fit() -> tuple[mt.Tensor, mt.Tensor, mt.Tensor]:
    intercept = mt.tensor(0.0, requires_grad=True)
    slope = mt.tensor(1.0, requires_grad=True)
    loss = None
    for weight, height in POINTS:
        squared = (height - (intercept + slope * weight)) ** 2
        loss = squared if loss is None else loss + squared
    return loss, intercept, slope


def page_data(page: mt.viz.ExplorerPage) -> dict:
    """The EXPLORER_DATA object of a written page (NaN/Infinity made JSON-readable)."""
    start = page.html.index("const EXPLORER_DATA = ") + len("const EXPLORER_DATA = ")
    text = page.html[start: page.html.index(";\n</script>", start)]
    text = re.sub(r"-Infinity|Infinity|NaN", "null", text).replace("<\\/", "</")
    return json.loads(text)


def named(graph: collect.Graph, name: str) -> collect.TensorNode:
    return next(t for t in graph.tensors.values() if t.name == name)


# --------------------------------------------------------------------------- the recorded pass
def test_line_fit_gradients_equal_the_engines():
    loss, intercept, slope = line_fit()
    graph = collect.collect([loss], {"intercept": intercept, "slope": slope})
    assert float(named(graph, "intercept").grad) == pytest.approx(-1.6, abs=1e-6)
    assert float(named(graph, "slope").grad) == pytest.approx(-0.8, abs=1e-6)
    assert intercept.grad is None  # exploring writes no .grad ...
    loss.backward()  # ... and frees nothing: the real pass still runs, with the same numbers
    assert named(graph, "intercept").grad == intercept.grad.numpy()
    assert named(graph, "slope").grad == slope.grad.numpy()


def test_backward_steps_follow_the_engines_order():
    loss, intercept, slope = line_fit()
    graph = collect.collect([loss])
    id_of = {id(op.node): op.id for op in graph.ops.values()}
    expected = [id_of[id(node)] for node in backward_order([loss])]
    assert graph.engine_order == expected
    assert [step.op for step in graph.backward_steps] == expected  # every node got a gradient
    assert sorted(graph.forward_order, key=lambda o: int(o[2:])) == graph.forward_order
    # forward order: every op after the ops that made its inputs
    position = {op: k for k, op in enumerate(graph.forward_order)}
    for op in graph.ops.values():
        for x in op.inputs:
            if isinstance(x, str) and graph.tensors[x].producer is not None:
                assert position[graph.tensors[x].producer] < position[op.id]


def test_a_tensor_used_twice_receives_the_sum_of_two_contributions():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3  # h is used twice below
    squares, total = h * h, h.sum()
    loss = squares.sum() + total
    graph = collect.collect([loss])
    op_id = {id(op.node): op.id for op in graph.ops.values()}
    step = next(s for s in graph.backward_steps if s.op == op_id[id(h.grad_fn)])
    # three uses: both operands of h * h (one op, two contributions) and h.sum()
    sources = sorted(source for source, _ in step.contributions)
    assert sources == sorted([op_id[id(squares.grad_fn)]] * 2 + [op_id[id(total.grad_fn)]])
    total = step.contributions[0][1] + step.contributions[1][1] + step.contributions[2][1]
    np.testing.assert_array_equal(step.grad, total)
    np.testing.assert_allclose(step.grad, 2 * h.detach().numpy() + 1)
    # the gradient sent to x is the engine's
    loss.backward()
    np.testing.assert_array_equal(step.sent[0][2], x.grad.numpy())


def test_broadcast_gradient_is_summed_to_the_input_shape():
    w = mt.ones(1, 3, requires_grad=True)
    loss = (w * mt.arange(6.0).reshape(2, 3)).sum()
    graph = collect.collect([loss], {"w": w})
    np.testing.assert_array_equal(named(graph, "w").grad, [[3.0, 5.0, 7.0]])


def test_a_freed_graph_is_refused_with_advice():
    loss, _, _ = line_fit()
    loss.backward()
    with pytest.raises(RuntimeError, match="before loss.backward"):
        collect.collect([loss])


def test_errors(tmp_path):
    with pytest.raises(RuntimeError, match="does not require grad"):
        mt.viz.explore(mt.tensor(1.0), path=tmp_path / "a.html", quiet=True)
    loss, _, _ = line_fit()
    with pytest.raises(ValueError, match="max_elements"):
        mt.viz.explore(loss, path=tmp_path / "b.html", max_elements=-1, quiet=True)
    with pytest.raises(TypeError, match="Tensor"):
        mt.viz.explore([loss, 3], path=tmp_path / "c.html", quiet=True)


# --------------------------------------------------------------------------- formulas
def test_formula_is_the_docstrings_first_paragraph():
    y = mt.tanh(mt.tensor(1.0, requires_grad=True))
    assert formula_of(y.grad_fn) == inspect.cleandoc(TanhOp.__doc__).split("\n\n")[0]
    assert "dL/dx = g * (1 - z²)" in formula_of(y.grad_fn)


def test_tanh_numbers_plugged_in():
    x = mt.tensor(1.0, requires_grad=True)
    z = mt.tanh(x)
    lines = plug_numbers(z.grad_fn, np.array(0.25), z.detach().numpy(), [x.detach().numpy()])
    assert lines == ["dL/dx = g · (1 − z²) = 0.25 · (1 − 0.7616²) = 0.105"]


def test_plugged_numbers_match_the_recorded_gradients(tmp_path):
    loss, intercept, slope = line_fit()
    graph = collect.collect([loss])
    page = mt.viz.explore(loss, {"intercept": intercept, "slope": slope}, quiet=True,
                          path=tmp_path / "line.html")
    data = page_data(page)
    for step in data["backward"]:
        name = data["ops"][step["op"]]["name"]
        assert step["plug"], f"{name} should have its numbers plugged in"
        last = float(step["plug"][-1].rsplit("= ", 1)[1])
        sent = step["sent"][-1]["grad"]["text"]
        assert last == pytest.approx(float(sent), rel=1e-3, abs=1e-6), (name, step["plug"])
    assert len(data["backward"]) == len(graph.backward_steps)


def test_plug_numbers_for_mul_matmul_sum_mean():
    a = mt.tensor([[1.0, 2.0]], requires_grad=True)
    b = mt.tensor([[3.0], [4.0]], requires_grad=True)
    product = a * 2.0
    assert plug_numbers(product.grad_fn, np.ones((1, 2)), product.detach().numpy(),
                        [a.detach().numpy(), np.asarray(2.0)]) == ["dL/da = g · b = 1 · 2 = 2"]
    m = a @ b
    lines = plug_numbers(m.grad_fn, np.ones((1, 1)), m.detach().numpy(),
                         [a.detach().numpy(), b.detach().numpy()])
    assert lines[0].startswith("dL/dA = G @ Bᵀ") and lines[0].endswith("= 3")
    s = a.mean()
    assert plug_numbers(s.grad_fn, np.array(1.0), s.detach().numpy(), [a.detach().numpy()]) == [
        "dL/dx = g / n = 1 / 2 = 0.5"]


# --------------------------------------------------------------------------- page data
def test_summaries_small_in_full_large_as_statistics():
    small = summarize(np.array([1.0, -2.5]), max_elements=4)
    assert small["text"] == "[1, -2.5]" and "hist" not in small
    large = summarize(np.arange(100.0), max_elements=4)
    assert "text" not in large and sum(large["hist"]["counts"]) == 100
    assert (large["min"], large["max"], large["mean"]) == (0.0, 99.0, 49.5)
    bad = summarize(np.array([1.0, np.nan, np.inf]), max_elements=4)
    assert (bad["nan"], bad["inf"]) == (1, 1)


def test_nan_flagged_with_the_first_op_that_made_it(tmp_path):
    x = mt.tensor([-1.0, 2.0], requires_grad=True)
    loss = (mt.log(x) * 2).sum()
    data = page_data(mt.viz.explore(loss, {"x": x}, path=tmp_path / "nan.html", quiet=True))
    first = data["anomalies"]["forward"]
    assert data["ops"][first["op"]]["name"] == "Log"
    assert "nan" in data["tensors"][first["tensor"]]["flags"]


def test_exploding_and_vanishing_gradients_are_flagged(tmp_path):
    w = mt.tensor([1e-12], requires_grad=True)
    v = mt.tensor([1.0], requires_grad=True)
    loss = (w * 1e-12).sum() + (v * 1e6).sum()
    data = page_data(mt.viz.explore(loss, {"w": w, "v": v}, path=tmp_path / "g.html",
                                    quiet=True))
    flags = {t["name"]: t["flags"] for t in data["tensors"].values() if t["name"]}
    assert flags == {"w": ["vanishing"], "v": ["exploding"]}


def test_page_is_self_contained(tmp_path):
    loss, intercept, slope = line_fit()
    page = mt.viz.explore(loss, {"intercept": intercept, "slope": slope},
                          path=tmp_path / "sub" / "line.html", quiet=True)
    text = (tmp_path / "sub" / "line.html").read_text(encoding="utf-8")
    assert text == page.html
    assert "<script src" not in text and "<link" not in text and "url(" not in text
    assert "https://" not in text
    assert text.count("<svg width") == 1  # one view: the whole graph
    assert "<iframe srcdoc=" in page._repr_html_()


def test_explore_prints_the_path(tmp_path, capsys):
    loss, _, _ = line_fit()
    page = mt.viz.explore(loss, path=tmp_path / "p.html")
    assert str(page.path.resolve()) in capsys.readouterr().out


def test_modules_become_views(tmp_path):
    mt.manual_seed(0)
    model = nn.Sequential(nn.Sequential(nn.Linear(3, 4), nn.Tanh()), nn.Linear(4, 1))
    x = mt.randn(2, 3)
    page = mt.viz.explore(lambda: model(x).sum(), model=model, path=tmp_path / "m.html",
                          collapse=True, quiet=True)
    by_scope = sorted((op.node.op_name, op.scope) for op in page.graph.ops.values())
    assert by_scope == [("Linear", "0.0"), ("Linear", "1"), ("Sum", ""), ("Tanh", "0.1")]
    views = kept_scopes(page.graph, collapse=True)
    assert views == {"0.0": "0", "0.1": "0", "1": "", "": ""}
    data = page_data(page)
    assert sorted(data["views"]) == ["", "0"]
    assert 'id="m_0"' in data["svg"][""]  # the module's box in the top view
    assert "features" not in data["svg"][""]
    names = {t["name"] for t in data["tensors"].values()}
    assert {"0.0.weight", "0.0.bias", "1.weight", "1.bias"} <= names
    # the parameters of module 0 are inside its box, not in the top view
    weight = next(k for k, t in data["tensors"].items() if t["name"] == "0.0.weight")
    assert f'id="{weight}"' in data["svg"]["0"] and f'id="{weight}"' not in data["svg"][""]
    assert all(handle == {} for handle in [model[0]._forward_hooks, model[1]._forward_hooks])


def test_example_writes_the_three_pages(tmp_path):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parent.parent / "examples" / "explore_graph.py"
    spec = importlib.util.spec_from_file_location("explore_graph", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    pages = module.main(["--out", str(tmp_path)])
    assert sorted(p.path.name for p in pages) == ["cnn_step.html", "line_fit.html", "mlp.html"]
    cnn = page_data(pages[2])
    assert {"", "features", "classifier"} <= set(cnn["views"])
    assert pages[2].path.stat().st_size < 5_000_000
