"""Building the explorer's HTML page from a collected :class:`~collect.Graph`.

The page is one file: the data (a JavaScript object literal), one SVG per *view* and the
explorer's script and style (``assets/``), all inline, so it opens from disk with no server and
no network.

Views. A module whose sub-graph has two ops or more (``features``, ``features.0``, ...) is a
*scope*. Each scope is laid out on its own by Graphviz's ``dot``: its own ops, its tensors, and
each child module as one box (click it to open it). A 10,000-node graph is then many small
layouts rather than one huge one, and the page only puts the view on screen into the document.
A graph of at most ``COLLAPSE_ABOVE`` ops is shown in one view, modules flattened.
"""

from __future__ import annotations

import html
import json
import math
import re
import subprocess
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from microtensor.viz.explore.collect import Graph, OpNode, TensorNode, is_freed
from microtensor.viz.explore.formulas import docstring_of, formula_of, plug_numbers
from microtensor.viz.graph import (
    _OP_ATTRIBUTES,
    _STYLE,
    INSTALL_HINT,
    _bold,
    _describe,
    _format_number,
    _format_values,
    _row,
    _table,
    _value_row,
)

__all__ = ["build_page", "COLLAPSE_ABOVE", "EXPLODING", "VANISHING"]

ASSETS = Path(__file__).resolve().parent / "assets"
COLLAPSE_ABOVE = 150  # graphs with more ops than this start with their modules collapsed
EXPLODING = 1e4  # a gradient with an element this large (in absolute value) is flagged
VANISHING = 1e-8  # a parameter whose gradient is everywhere smaller than this is flagged
HISTOGRAM_BINS = 24
SHOWN_IN_GRAPH = 4  # tensors with at most this many elements show their values in the graph


# --------------------------------------------------------------------------- numbers
def summarize(array: np.ndarray | None, max_elements: int) -> dict[str, Any] | None:
    """Values in full for a small array; statistics and a histogram for a large one."""
    if array is None:
        return None
    array = np.asarray(array)
    summary: dict[str, Any] = {"shape": list(array.shape), "dtype": str(array.dtype),
                               "n": int(array.size)}
    if array.size <= max_elements:
        summary["text"] = _format_values(array)
    if array.dtype.kind not in "fiub" or array.size == 0:
        return summary
    values = array.astype(np.float64, copy=False).ravel()
    finite = values[np.isfinite(values)]
    summary["nan"] = int(np.isnan(values).sum())
    summary["inf"] = int(np.isinf(values).sum())
    if finite.size:
        summary.update(min=_round(finite.min()), max=_round(finite.max()),
                       mean=_round(finite.mean()), std=_round(finite.std()),
                       norm=_round(math.sqrt(float(np.dot(finite, finite)))),
                       absmax=_round(np.abs(finite).max()))
    if array.size > max_elements and finite.size:
        counts, edges = np.histogram(finite, bins=HISTOGRAM_BINS)
        summary["hist"] = {"counts": counts.tolist(), "lo": _round(edges[0]),
                           "hi": _round(edges[-1])}
    return summary


def _round(value: Any) -> float:
    return float(f"{float(value):.6g}")


def _first_number(array: np.ndarray | None) -> float | None:
    if array is None or np.asarray(array).size != 1:
        return None
    return _round(np.asarray(array).ravel()[0])


# --------------------------------------------------------------------------- page data
def page_data(graph: Graph, title: str, max_elements: int) -> dict[str, Any]:
    """Everything the script needs, as plain lists and dicts."""
    data: dict[str, Any] = {"title": title, "outputs": graph.outputs,
                            "forward": graph.forward_order, "engineOrder": graph.engine_order}
    data["tensors"] = {t.id: _tensor_data(t, max_elements) for t in graph.tensors.values()}
    data["ops"] = {op.id: _op_data(op, graph) for op in graph.ops.values()}
    data["docs"] = {type(op.node).__name__: {"doc": docstring_of(op.node),  # once per class
                                             "formula": formula_of(op.node)}
                    for op in graph.ops.values()}
    data["backward"] = [_step_data(step, graph, max_elements) for step in graph.backward_steps]
    data["anomalies"] = _anomalies(graph)
    return data


def _tensor_data(t: TensorNode, max_elements: int) -> dict[str, Any]:
    freed = is_freed(t.tensor)
    data = None if freed else t.tensor._data
    entry = {"name": t.name, "kind": t.kind, "describe": _describe(t.tensor._data),
             "producer": t.producer, "consumers": t.consumers, "freed": freed,
             "data": summarize(data, max_elements), "grad": summarize(t.grad, max_elements),
             "value": _first_number(data), "gradValue": _first_number(t.grad)}
    entry["flags"] = _flags(t, data)
    return entry


def _flags(t: TensorNode, data: np.ndarray | None) -> list[str]:
    flags = []
    if data is not None and data.dtype.kind in "fc" and not np.isfinite(data).all():
        flags.append("nan" if np.isnan(data).any() else "inf")
    grad = t.grad
    if grad is not None and grad.dtype.kind in "fc" and grad.size:
        if not np.isfinite(grad).all():
            flags.append("grad-nan" if np.isnan(grad).any() else "grad-inf")
        else:
            largest = float(np.abs(grad).max())
            if largest > EXPLODING:
                flags.append("exploding")
            elif t.kind == "param" and largest < VANISHING:
                flags.append("vanishing")
    return flags


def _op_data(op: OpNode, graph: Graph) -> dict[str, Any]:
    attrs = {}
    for key in _OP_ATTRIBUTES:
        value = op.node.__dict__.get(key) if hasattr(op.node, "__dict__") else None
        if isinstance(value, int | float | tuple) and len(repr(value)) <= 40:
            attrs[key] = repr(value)
    inputs = [x if isinstance(x, str) else {"const": _constant_text(x[1])} for x in op.inputs]
    return {"name": op.node.op_name, "cls": type(op.node).__name__, "attrs": attrs,
            "inputs": inputs, "output": op.output, "scope": op.scope}


def _constant_text(value: Any) -> str:
    if isinstance(value, np.ndarray | np.generic):
        array = np.asarray(value)
        return _format_values(array) if array.size <= 6 else _describe(array)
    if isinstance(value, bool | int | float):
        return _format_number(value)
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _step_data(step: Any, graph: Graph, max_elements: int) -> dict[str, Any]:
    op = graph.ops[step.op]
    inputs = [_input_value(graph, x) for x in op.inputs]
    output = graph.tensors[op.output].tensor if op.output else None
    output_data = None if output is None or is_freed(output) else output._data
    return {
        "op": step.op,
        "contributions": [{"from": source, "grad": summarize(g, max_elements)}
                          for source, g in step.contributions],
        "grad": summarize(step.grad, max_elements),
        "sent": [{"position": position, "tensor": tensor_id, "grad": summarize(g, max_elements)}
                 for position, tensor_id, g in step.sent],
        "plug": plug_numbers(op.node, step.grad, output_data, inputs),
    }


def _input_value(graph: Graph, x: Any) -> np.ndarray | None:
    if isinstance(x, str):
        tensor = graph.tensors[x].tensor
        return None if is_freed(tensor) else tensor._data
    value = x[1]
    return np.asarray(value) if isinstance(value, int | float | np.ndarray | np.generic) else None


def _anomalies(graph: Graph) -> dict[str, Any]:
    """The first op whose output holds NaN/inf while its inputs don't (what detect_anomaly
    names in the forward pass), and the first backward step that sent a NaN/inf gradient out of
    finite ones (what it names in the backward pass)."""
    forward = None
    for op_id in graph.forward_order:
        op = graph.ops[op_id]
        if op.output and _bad(graph.tensors[op.output].tensor._data) and not any(
                isinstance(x, str) and _bad(graph.tensors[x].tensor._data) for x in op.inputs):
            forward = {"op": op_id, "name": op.node.op_name, "tensor": op.output}
            break
    backward = None
    for step in graph.backward_steps:
        if not _bad(step.grad) and any(_bad(g) for _, _, g in step.sent):
            backward = {"op": step.op, "name": graph.ops[step.op].node.op_name}
            break
    return {"forward": forward, "backward": backward}


def _bad(array: np.ndarray) -> bool:
    return array.dtype.kind in "fc" and not np.isfinite(array).all()


# --------------------------------------------------------------------------- views (scopes)
def kept_scopes(graph: Graph, collapse: bool) -> dict[str, str]:
    """Each op scope -> the view it is drawn in: the nearest enclosing module with >= 2 ops
    ("" for the top level). Without ``collapse``, everything is in the top-level view."""
    if not collapse:
        return {op.scope: "" for op in graph.ops.values()}
    counts: dict[str, int] = {}
    for op in graph.ops.values():
        parts = op.scope.split(".") if op.scope else []
        for depth in range(1, len(parts) + 1):
            prefix = ".".join(parts[:depth])
            counts[prefix] = counts.get(prefix, 0) + 1
    view_of = {}
    for op in graph.ops.values():
        parts = op.scope.split(".") if op.scope else []
        kept = [".".join(parts[:d]) for d in range(1, len(parts) + 1)
                if counts[".".join(parts[:d])] >= 2]
        view_of[op.scope] = kept[-1] if kept else ""
    return view_of


def _chain(scope: str, kept: set[str]) -> list[str]:
    """The kept scopes from the top level down to ``scope``: ["", "features", "features.0"]."""
    parts = scope.split(".") if scope else []
    return [""] + [p for p in (".".join(parts[:d]) for d in range(1, len(parts) + 1)) if p in kept]


class ViewBuilder:
    """Writes the DOT text of one view and lays it out with ``dot``."""

    def __init__(self, graph: Graph, view_of: dict[str, str], classes: dict[str, str]) -> None:
        self.graph = graph
        self.classes = classes
        self.op_view = {op.id: view_of[op.scope] for op in graph.ops.values()}
        self.kept = set(self.op_view.values()) | {""}
        self.chains = {v: _chain(v, self.kept) for v in self.kept}
        # what each view may show (an op, or the box around it, appears in every view of its
        # chain), so that laying out one view does not look at the whole graph
        self.ops_in: dict[str, list[str]] = {v: [] for v in self.kept}
        for op_id, view in self.op_view.items():
            for scope in self.chains[view]:
                self.ops_in[scope].append(op_id)
        self.op_count = {v: len(ops) for v, ops in self.ops_in.items()}
        self.tensors_in: dict[str, dict[str, None]] = {v: {} for v in self.kept}
        for tensor in graph.tensors.values():
            for op_id in [tensor.producer, *tensor.consumers]:
                if op_id is not None:
                    for scope in self.chains[self.op_view[op_id]]:
                        self.tensors_in[scope][tensor.id] = None
            if tensor.producer is None and not tensor.consumers:  # an output that is a leaf
                self.tensors_in[""][tensor.id] = None

    def views(self) -> dict[str, dict[str, Any]]:
        """Each view: its parent view, class name and op count (for the breadcrumb)."""
        return {v: {"parent": self.chains[v][-2] if v else None, "cls": self.classes.get(v, ""),
                    "ops": self.op_count.get(v, 0)} for v in sorted(self.kept)}

    def item(self, op_id: str | None, view: str) -> str | None:
        """What stands for op ``op_id`` in ``view``: the op itself, the box of the child module
        it ran in, or None when it is outside the view."""
        if op_id is None:
            return None
        chain = self.chains[self.op_view[op_id]]
        if chain[-1] == view:
            return op_id
        if view in chain:
            return "m_" + chain[chain.index(view) + 1]
        return None

    def dot_source(self, view: str) -> str:
        graph = graphviz.Digraph(
            graph_attr={"rankdir": "LR", "nodesep": "0.2", "ranksep": "0.3"},
            node_attr={"fontname": "Helvetica", "fontsize": "11", "style": "filled"},
            edge_attr={"arrowsize": "0.6", "color": "#666666"})
        boxes: set[str] = set()
        for op_id in self.ops_in[view]:
            op = self.graph.ops[op_id]
            item = self.item(op_id, view)
            if item == op_id:
                self._op_node(graph, op)
            elif item is not None and item not in boxes:
                boxes.add(item)
                self._box_node(graph, item[2:])
        for tensor_id in self.tensors_in[view]:
            self._tensor_with_edges(graph, self.graph.tensors[tensor_id], view)
        return graph.source

    def _op_node(self, graph: graphviz.Digraph, op: OpNode) -> None:
        fill, border = _STYLE["op"]
        graph.node(op.id, f"<{_bold(op.node.op_name)}>", id=op.id, shape="ellipse",
                   fillcolor=fill, color=border)
        for k, x in enumerate(op.inputs):
            if not isinstance(x, str):
                const_id = f"{op.id}c{k}"
                graph.node(const_id, html.escape(_constant_text(x[1])), id=const_id, shape="box",
                           style="filled,dashed,rounded", fillcolor=_STYLE["constant"][0],
                           color=_STYLE["constant"][1], fontsize="10", height="0.2",
                           width="0.2", margin="0.04,0.02")
                graph.edge(const_id, op.id)

    def _box_node(self, graph: graphviz.Digraph, scope: str) -> None:
        label = (f"<{_bold(scope)}<BR/>{html.escape(self.classes.get(scope, 'module'))} · "
                 f"{self.op_count.get(scope, 0)} ops<BR/><FONT POINT-SIZE='9'>click to open"
                 "</FONT>>")
        graph.node("m_" + scope, label, id="m_" + scope, shape="box3d", fillcolor="#e8e0f8",
                   color="#6a51a3")

    def _tensor_with_edges(self, graph: graphviz.Digraph, tensor: TensorNode, view: str) -> None:
        producer = self.item(tensor.producer, view)
        consumers = list(dict.fromkeys(self.item(c, view) for c in tensor.consumers))
        inside = [c for c in consumers if c is not None]
        if not self._shown(tensor, view, producer, inside, len(inside) < len(consumers)):
            return
        rows = [_row(_bold(tensor.name))] if tensor.name else []
        if tensor.kind == "output" and not tensor.name:
            rows.append(_row(_bold("output")))
        rows.append(_row(html.escape(_describe(tensor.tensor._data))))
        if tensor.tensor._data.size <= SHOWN_IN_GRAPH and not is_freed(tensor.tensor):
            rows.append(_value_row("data", tensor.tensor._data, SHOWN_IN_GRAPH,
                                   _bad(tensor.tensor._data)))
        fill, border = _STYLE[tensor.kind]
        attrs = {"shape": "box", "fillcolor": fill, "color": border, "id": tensor.id}
        if tensor.kind == "param":
            attrs["style"] = "filled,rounded"
        graph.node(tensor.id, _table(rows), **attrs)
        if producer is not None:
            graph.edge(producer, tensor.id)
        for consumer in inside:
            graph.edge(tensor.id, consumer)

    def _shown(self, tensor: TensorNode, view: str, producer: str | None, inside: list[str],
               used_outside: bool) -> bool:
        """Is the tensor drawn in this view? Yes if an op of the view makes or uses it, or if
        it crosses a box's border; a parameter used only inside one box stays in the box."""
        items = ([producer] if producer is not None else []) + inside
        if not items:
            return tensor.kind == "output" and view == ""
        if any(not item.startswith("m_") for item in items):
            return True
        if len(set(items)) > 1:
            return True
        if tensor.producer is None:  # a leaf used only inside one box
            return tensor.kind != "param"
        made_outside = producer is None
        return made_outside or used_outside or tensor.kind == "output"


_COMMENT = re.compile(r"<!--.*?-->\n?", re.S)  # dot's comments: a third of the SVG's size


def layout(sources: list[str]) -> list[str]:
    """Graphviz's ``dot`` layout of each DOT text, as SVG text (no XML prolog).

    All the graphs go through one ``dot`` process (it lays out every graph of its input in turn
    and writes one SVG document after another), which saves a process start per view.
    """
    try:
        finished = subprocess.run(["dot", "-Tsvg"], input="\n".join(sources).encode("utf-8"),
                                  capture_output=True, check=False)
    except FileNotFoundError as error:
        raise RuntimeError(INSTALL_HINT) from error
    if finished.returncode != 0:
        raise RuntimeError(f"explore: dot failed: {finished.stderr.decode(errors='replace')}")
    output = finished.stdout
    documents = output.decode("utf-8").split("<svg")[1:]
    svgs = [_COMMENT.sub("", "<svg" + document[: document.rindex("</svg>") + 6])
            for document in documents]
    if len(svgs) != len(sources):
        raise RuntimeError(f"explore: dot returned {len(svgs)} drawings for {len(sources)} views")
    return svgs


# --------------------------------------------------------------------------- the HTML
def build_page(graph: Graph, title: str, max_elements: int, collapse: bool | None) -> str:
    """The whole HTML document."""
    if collapse is None:
        collapse = len(graph.ops) > COLLAPSE_ABOVE
    builder = ViewBuilder(graph, kept_scopes(graph, collapse), graph.modules)
    data = page_data(graph, title, max_elements)
    data["views"] = builder.views()
    data["opView"] = builder.op_view
    views = list(data["views"])
    data["svg"] = dict(zip(views, layout([builder.dot_source(view) for view in views])))
    script = (ASSETS / "explorer.js").read_text(encoding="utf-8")
    style = (ASSETS / "explorer.css").read_text(encoding="utf-8")
    payload = json.dumps(data, separators=(",", ":"), allow_nan=True,
                         ensure_ascii=False)  # NaN/Infinity: JS literals
    payload = payload.replace("</", "<\\/")  # never close the <script> element early
    return _TEMPLATE.format(title=html.escape(title), style=style, data=payload, script=script)


_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} · microtensor graph explorer</title>
<style>
{style}
</style>
</head>
<body>
<header>
  <h1>{title}</h1>
  <nav id="crumbs" aria-label="module path"></nav>
  <div id="alerts"></div>
</header>
<main>
  <section id="stage" tabindex="0" aria-label="computation graph: drag to pan, wheel to zoom">
    <div id="canvas"></div>
  </section>
  <aside id="panel" aria-live="polite"><p class="hint">Click a tensor or an op, or step
  through the forward and backward passes below.</p></aside>
</main>
<footer id="controls">
  <button id="first" title="start (Home)">|&#x25C0;</button>
  <button id="prev" title="previous step (&#x2190;)">&#x25C0;</button>
  <button id="play" title="play / pause (space)">play</button>
  <button id="next" title="next step (&#x2192;)">&#x25B6;</button>
  <button id="last" title="end (End)">&#x25B6;|</button>
  <input id="slider" type="range" min="0" value="0" aria-label="step">
  <span id="stepLabel"></span>
  <button id="fit" title="fit the graph to the window">fit</button>
</footer>
<script>
const EXPLORER_DATA = {data};
</script>
<script>
{script}
</script>
</body>
</html>
"""
