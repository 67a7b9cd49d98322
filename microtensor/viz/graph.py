"""Drawing the computation graph: which tensors flowed through which ops.

Every op result remembers the node that made it (``tensor.grad_fn``) and every node remembers its
inputs (``node.inputs``), so walking ``grad_fn.inputs`` backwards from a loss visits the whole
graph that ``backward()`` will traverse. :func:`draw_graph` makes that walk and writes the graph in
Graphviz's DOT language:

* a **box per tensor**: its shape and dtype and, for small tensors, its values (and its gradient
  once ``backward()`` has filled ``.grad``); larger tensors are summarised by their norm;
* an **ellipse per op** (``Mul``, ``MatMul``, ``Conv2d``...);
* a **small dashed box per constant** an op captured (the ``2`` in ``x * 2``);
* **edges in the direction data flows**: input tensor -> op -> output tensor.

Colours: light blue for leaves that require grad (what the optimizer updates), grey for tensors
that don't (the data), white for intermediate results, green for the output(s), yellow for ops,
and red for any tensor whose value or gradient holds NaN or inf.

The result is a ``graphviz.Digraph``: ``.source`` is the DOT text (no Graphviz install needed),
and :func:`render`, ``.render()`` and ``.pipe()`` run Graphviz's ``dot`` program to make SVG or PNG.
In Jupyter the graph displays itself.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from microtensor._files import PathLike, write_bytes_atomically
from microtensor.autograd.function import FreedTensor
from microtensor.tensor import Tensor

__all__ = ["GraphDrawing", "draw_graph", "render", "INSTALL_HINT"]

INSTALL_HINT = (
    "Graphviz's `dot` program was not found: install it (Debian/Ubuntu: apt-get install "
    "graphviz; macOS: brew install graphviz; conda: conda install graphviz); the DOT source is "
    "available as graph.source"
)

# fill colour, border colour
_STYLE = {
    "param": ("#cfe8fc", "#1f77b4"),  # leaf that requires grad
    "input": ("#eeeeee", "#888888"),  # leaf that doesn't (data, targets)
    "intermediate": ("#ffffff", "#555555"),
    "output": ("#d5f5d5", "#2ca02c"),
    "op": ("#fff3c4", "#b58900"),
    "constant": ("#f7f7f7", "#999999"),
    "nonfinite": ("#ffd6d6", "#d62728"),
}

# node attributes shown under an op's name, when the op stored them (PowScalar's exponent...)
_OP_ATTRIBUTES = ("exponent", "dim", "axis", "repeats")
_VALUE_FONT = "Courier"  # numbers in a fixed-width font line up row under row


class GraphDrawing(graphviz.Digraph):
    """A ``graphviz.Digraph`` whose ``render``/``pipe`` explain how to install a missing Graphviz.

    Everything else is graphviz's own ``Digraph``: ``.source``, ``.save()``, ``.node()``, ...
    """

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise RuntimeError(INSTALL_HINT) from error

    def render(self, *args: Any, **kwargs: Any) -> str:
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound as error:
            raise RuntimeError(INSTALL_HINT) from error


def draw_graph(
    output: Tensor | Sequence[Tensor],
    params: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None = None,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "LR",
    max_elements: int = 6,
) -> GraphDrawing:
    """Draw the graph of ops that produced ``output`` (a tensor, or a list/tuple of tensors).

    Args:
        output: the tensor(s) to start from, typically the loss. Everything they were computed
            from is drawn, down to the leaves.
        params: names for tensors, e.g. ``dict(model.named_parameters())`` (the iterator
            ``model.named_parameters()`` works too). Any tensor in it is labelled with its
            name, so ``{"slope": w, "intercept": b}`` works for hand-made tensors as well.
        show_data: print each tensor's values (at most ``max_elements`` of them; a larger tensor
            shows its norm instead).
        show_grad: print ``.grad`` where it is set: after ``backward()``, for leaves and for
            non-leaves that called ``retain_grad()``.
        rankdir: layout direction, Graphviz's ``"LR"`` (left to right), ``"TB"``, ``"RL"``,
            ``"BT"``.
        max_elements: tensors with at most this many elements show their values.

    Returns:
        A ``graphviz.Digraph`` (subclass :class:`GraphDrawing`). Use ``.source`` for the DOT
        text, :func:`render` (or ``.render()`` / ``.pipe()``) for SVG and PNG.

    The walk over the graph is iterative and visits every node once, so graphs of any depth
    work. It only follows ``node.inputs``, which survive ``backward()``, so drawing works before
    and after. But ``backward()`` (without ``retain_graph=True``) frees what the graph held, as
    PyTorch does: intermediate tensors larger than 4 KB that nobody else holds lose their values,
    and their boxes say "values freed by backward()". To see every value after the backward
    pass, keep references to the tensors, draw before ``backward()``, or pass
    ``retain_graph=True``.

    Example::

        x = mt.tensor([1.0, 2.0], requires_grad=True)
        loss = (x * x).sum()
        loss.backward()
        mt.viz.draw_graph(loss, params={"x": x})   # x's box shows data [1, 2], grad [2, 4]
    """
    outputs = _as_output_list(output)
    if max_elements < 0:
        raise ValueError(f"draw_graph: max_elements must be >= 0, got {max_elements}")
    names = _names_by_id(params)
    ops = _ops_inputs_first(outputs)

    # which tensors each op produced (usually one; tensors are found as inputs or outputs)
    produced: dict[int, list[Tensor]] = {}
    seen_tensors: set[int] = set()
    for tensor in [x for op in ops for x in _flat_inputs(op)] + outputs:
        tensor = _alive(tensor)
        if isinstance(tensor, Tensor) and id(tensor) not in seen_tensors:
            seen_tensors.add(id(tensor))
            if tensor.grad_fn is not None:
                produced.setdefault(id(tensor.grad_fn), []).append(tensor)

    graph = GraphDrawing(
        name="microtensor",
        graph_attr={"rankdir": rankdir, "nodesep": "0.25", "ranksep": "0.35"},
        node_attr={"fontname": "Helvetica", "fontsize": "11", "style": "filled"},
        edge_attr={"arrowsize": "0.7", "color": "#555555"},
    )
    drawer = _Drawer(graph, names, outputs, show_data, show_grad, max_elements)
    for op in ops:
        input_ids = [drawer.tensor(_alive(x)) if isinstance(x, Tensor) else drawer.constant(x)
                     for x in _flat_inputs(op) if x is not None]
        op_id = drawer.op(op)
        for input_id in input_ids:
            graph.edge(input_id, op_id)
        for tensor in produced.get(id(op), ()):
            graph.edge(op_id, drawer.tensor(tensor))
    for tensor in outputs:  # outputs that are leaves (no op made them)
        drawer.tensor(tensor)
    return graph


def render(graph: graphviz.Digraph, path: PathLike, format: str | None = None) -> Path:
    """Run Graphviz's ``dot`` on ``graph`` and write the picture to ``path``; returns the path.

    ``format`` is ``"svg"``, ``"png"``, ``"pdf"``... (any format ``dot -T`` knows); by default it
    is taken from the file's suffix, and is ``"svg"`` when there is none (the suffix is then
    added). The file is written atomically: a temporary file in the same folder, then renamed,
    so an interrupted run never leaves half a picture. Raises ``RuntimeError`` saying how to
    install Graphviz when ``dot`` is missing (``graph.source`` still holds the DOT text).
    """
    path = Path(path)
    if format is None:
        format = path.suffix[1:].lower() or "svg"
    if not path.suffix:
        path = path.with_suffix("." + format)
    try:
        picture = graph.pipe(format=format)
    except graphviz.ExecutableNotFound as error:
        raise RuntimeError(INSTALL_HINT) from error
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomically(path, picture)
    return path


# --------------------------------------------------------------------------- the walk
def _as_output_list(output: Any) -> list[Tensor]:
    outputs = list(output) if isinstance(output, list | tuple) else [output]
    for i, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            where = f" (item {i} of the list)" if isinstance(output, list | tuple) else ""
            raise TypeError(
                f"draw_graph expects a Tensor or a list/tuple of Tensors, got "
                f"{type(t).__name__}{where}"
            )
    if not outputs:
        raise ValueError("draw_graph needs at least one tensor to draw")
    return outputs


def _names_by_id(params: Any) -> dict[int, str]:
    if params is None:
        return {}
    items = params.items() if isinstance(params, Mapping) else params
    names: dict[int, str] = {}
    for name, tensor in items:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"draw_graph: params[{name!r}] is a {type(tensor).__name__}, "
                            "not a Tensor")
        names.setdefault(id(tensor), str(name))
    return names


def _alive(x: Any) -> Any:
    """The tensor itself for a value-less stand-in left by ``backward()``, while it lives."""
    if isinstance(x, FreedTensor):
        original = x.original()
        return original if original is not None else x
    return x


def _flat_inputs(op: Any) -> list[Any]:
    """The op's inputs, with lists/tuples of tensors (custom Functions may take them) flattened."""
    flat: list[Any] = []
    for x in op.inputs:
        if isinstance(x, list | tuple) and any(isinstance(item, Tensor) for item in x):
            flat.extend(x)
        else:
            flat.append(x)
    return flat


def _ops_inputs_first(outputs: list[Tensor]) -> list[Any]:
    """Every op reachable from ``outputs``, each once, in an order where inputs come first.

    An iterative depth-first walk (no recursion, so depth is unlimited): a node is pushed once to
    expand its inputs and once more, underneath them, to be emitted after they are all done.
    """
    order: list[Any] = []
    visited: set[int] = set()
    stack: list[tuple[Any, bool]] = [
        (t.grad_fn, False) for t in reversed(outputs) if t.grad_fn is not None
    ]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for x in reversed(_flat_inputs(node)):
            if isinstance(x, Tensor) and x.grad_fn is not None and id(x.grad_fn) not in visited:
                stack.append((x.grad_fn, False))
    return order


# --------------------------------------------------------------------------- the labels
class _Drawer:
    """Adds nodes to the graph, each object once, and remembers their DOT names."""

    def __init__(
        self,
        graph: graphviz.Digraph,
        names: dict[int, str],
        outputs: list[Tensor],
        show_data: bool,
        show_grad: bool,
        max_elements: int,
    ) -> None:
        self.graph = graph
        self.names = names
        self.output_index = {id(t): i for i, t in reversed(list(enumerate(outputs)))}
        self.several_outputs = len(outputs) > 1
        self.show_data = show_data
        self.show_grad = show_grad
        self.max_elements = max_elements
        self.ids: dict[int, str] = {}
        self.keep_alive: list[Any] = []  # ids stay unique only while the objects live
        self.ops = 0  # counters that number the DOT names: t0, t1, ...; op1, ...; c1, ...
        self.constants = 0

    def tensor(self, t: Tensor) -> str:
        node_id = self.ids.get(id(t))
        if node_id is not None:
            return node_id
        node_id = self.ids[id(t)] = f"t{len(self.ids) - self.ops}"
        self.keep_alive.append(t)

        if id(t) in self.output_index:
            kind = "output"
        elif t.grad_fn is not None:
            kind = "intermediate"
        else:
            kind = "param" if t.requires_grad else "input"
        title = self.names.get(id(t))
        if title is None and kind == "output":
            title = f"output {self.output_index[id(t)]}" if self.several_outputs else "output"

        rows = [_row(_bold(title))] if title else []
        rows.append(_row(html.escape(_describe(t._data))))
        freed = isinstance(t, FreedTensor)
        data_bad = not freed and _nonfinite(t._data)
        if freed:
            rows.append(_row("values freed by backward()"))
        elif self.show_data:
            rows.append(_value_row("data", t._data, self.max_elements, data_bad))
        grad = t._grad._data if t._grad is not None else None  # (.grad warns on non-leaves)
        grad_bad = grad is not None and _nonfinite(grad)
        if self.show_grad and grad is not None:
            rows.append(_value_row("grad", grad, self.max_elements, grad_bad))
        if data_bad and not self.show_data:
            rows.append(_row(_red("data holds NaN/inf")))
        if grad_bad and not self.show_grad:
            rows.append(_row(_red("grad holds NaN/inf")))

        fill, border = _STYLE["nonfinite" if data_bad or grad_bad else kind]
        attrs = {"shape": "box", "fillcolor": fill, "color": border, "tooltip": _tooltip(t)}
        if data_bad or grad_bad:
            attrs["penwidth"] = "2.5"
        if kind == "param":
            attrs["style"] = "filled,rounded"
        self.graph.node(node_id, _table(rows), **attrs)
        return node_id

    def op(self, node: Any) -> str:
        self.ops += 1
        node_id = self.ids[id(node)] = f"op{self.ops}"
        self.keep_alive.append(node)
        lines = [_bold(node.op_name)]
        extra = getattr(node, "__dict__", {})
        for key in _OP_ATTRIBUTES:
            value = extra.get(key)
            if isinstance(value, int | float | tuple) and len(repr(value)) <= 24:
                lines.append(html.escape(f"{key}={value!r}"))
        fill, border = _STYLE["op"]
        self.graph.node(node_id, _html(lines), shape="ellipse", fillcolor=fill, color=border,
                        tooltip=f"{node.op_name} (grad_fn {node!r})")
        return node_id

    def constant(self, value: Any) -> str:
        """A constant is drawn once per use, next to the op that captured it."""
        self.constants += 1
        node_id = f"c{self.constants}"
        if isinstance(value, np.ndarray | np.generic):
            array = np.asarray(value)
            lines = [] if array.ndim == 0 else [html.escape(_describe(array))]
            if array.size <= self.max_elements:
                lines.append(html.escape(_format_values(array)).replace("\n", "<BR/>"))
            text = "<BR/>".join(lines)
            bad = _nonfinite(array)
        elif isinstance(value, bool | int | float | complex):
            text = html.escape(_format_number(value))
            bad = isinstance(value, float | complex) and not np.isfinite(value)
        else:
            text = html.escape(_short_repr(value))
            bad = False
        fill, border = _STYLE["nonfinite" if bad else "constant"]
        self.graph.node(node_id, f"<{text}>", shape="box", style="filled,dashed,rounded",
                        fillcolor=fill, color=border, fontsize="10", height="0.2", width="0.2",
                        margin="0.04,0.02", tooltip="constant")
        return node_id


def _describe(array: np.ndarray) -> str:
    """``(3, 2) float32``, or ``scalar float32`` for a 0-d array."""
    shape = "scalar" if array.ndim == 0 else str(tuple(array.shape))
    return f"{shape} {array.dtype}"


def _value_row(what: str, array: np.ndarray, max_elements: int, bad: bool) -> str:
    """``data | [1, 2]`` for a small array; ``data | norm 3.7`` (and NaN/inf counts) otherwise."""
    if array.size <= max_elements:
        text = html.escape(_format_values(array)).replace("\n", "<BR/>")
        text = f'<FONT FACE="{_VALUE_FONT}">{text}</FONT>'
    else:
        norm = float(np.linalg.norm(array.astype(np.float64, copy=False).ravel()))
        text = f"norm {_format_number(norm)}"
        if bad:
            text += f" ({_count_nonfinite(array)})"
    if bad:
        text = _red(text)
    return (f'<TR><TD ALIGN="RIGHT" VALIGN="TOP">{what}</TD>'
            f'<TD ALIGN="LEFT" BALIGN="LEFT">{text}</TD></TR>')


def _format_values(array: np.ndarray) -> str:
    """Values with 4 significant digits: ``[0.5, 2.3, -1.6]`` (NumPy alone would print ``1.``).

    A matrix gets one line per row, its numbers padded to a common width.
    """
    if array.ndim == 0:
        return _format_number(array.item())
    width = max((len(_format_number(v)) for v in array.flat), default=0) if array.ndim > 1 else 0
    text = np.array2string(array, separator=", ", max_line_width=10**6, threshold=10**6,
                           formatter={"all": lambda v: _format_number(v).rjust(width)})
    return text.replace("], [", "],\n [")


def _format_number(value: Any) -> str:
    if isinstance(value, bool | int | np.integer | np.bool_ | str):
        return str(value)
    return f"{value:.4g}"


def _short_repr(value: Any, limit: int = 24) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _nonfinite(array: np.ndarray) -> bool:
    return array.dtype.kind in "fc" and not np.isfinite(array).all()


def _count_nonfinite(array: np.ndarray) -> str:
    counts = [(int(np.isnan(array).sum()), "NaN"), (int(np.isinf(array).sum()), "inf")]
    return ", ".join(f"{n} {kind}" for n, kind in counts if n)


def _tooltip(t: Tensor) -> str:
    """Hover text in SVG viewers: min, max and mean, also for tensors too large to print."""
    array = t._data
    text = _describe(array)
    if isinstance(t, FreedTensor):
        text += ", values freed by backward()"
    elif array.size > 1 and array.dtype.kind in "fiub":
        values = array.astype(np.float64, copy=False)
        text += (f", min {_format_number(values.min())}, max {_format_number(values.max())}, "
                 f"mean {_format_number(values.mean())}")
    if t.grad_fn is not None:
        text += f", made by {t.grad_fn.op_name}"
    return text


def _bold(text: str) -> str:
    return f"<B>{html.escape(text)}</B>"


def _red(text: str) -> str:
    return f'<FONT COLOR="#d62728">{text}</FONT>'


def _row(content: str) -> str:
    return f'<TR><TD COLSPAN="2">{content}</TD></TR>'


def _table(rows: list[str]) -> str:
    """An HTML-like Graphviz label: a borderless table, names left of values."""
    return ('<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">'
            + "".join(rows) + "</TABLE>>")


def _html(lines: list[str]) -> str:
    """An HTML-like Graphviz label (the outer angle brackets tell graphviz not to quote it)."""
    return "<" + "<BR/>".join(lines) + ">"
