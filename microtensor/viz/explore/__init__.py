"""``mt.viz.explore``: an interactive page to watch backpropagation happen.

``explore(loss)`` writes one self-contained HTML file (no server, no network: the data, the
Graphviz layout as SVG, the script and the style are all inside) in which a learner can

* see the graph (tensors and ops, named as in ``draw_graph``), pan and zoom, and open a
  module's box to see its sub-graph;
* step through the forward pass (every op after its inputs) and then the backward pass in the
  exact order the engine processes the nodes (``engine.backward_order``), watching the gradient
  each node receives -- a sum where a tensor is used twice -- and what it sends to its inputs;
* click a tensor for its values and gradient (statistics and a histogram when large), and an op
  for its backward formula (its docstring) with the local numbers plugged in;
* see NaN/inf values and exploding or vanishing gradients flagged, with the first op that
  produced them.

Three files do the work: ``collect.py`` (walk the graph, record a backward pass),
``formulas.py`` (the numbers plugged into the formulas), ``page.py`` (the layout and the HTML);
``assets/`` holds the page's script and style.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from microtensor._files import PathLike, write_bytes_atomically
from microtensor.tensor import Tensor
from microtensor.viz.explore import collect
from microtensor.viz.explore.collect import Graph
from microtensor.viz.explore.page import build_page
from microtensor.viz.graph import _as_output_list

__all__ = ["ExplorerPage", "explore"]

DEFAULT_PATH = "graph_explorer.html"


class ExplorerPage:
    """The written page: ``.path`` (the file), ``.html`` (its text), ``.graph`` (the collected
    data). In Jupyter it displays itself inline (an ``<iframe>`` holding the page)."""

    def __init__(self, path: Path, text: str, graph: Graph) -> None:
        self.path = path
        self.html = text
        self.graph = graph

    def _repr_html_(self) -> str:
        return (f'<iframe srcdoc="{html.escape(self.html, quote=True)}" '
                'style="width:100%;height:640px;border:1px solid #ccc" '
                'sandbox="allow-scripts"></iframe>')

    def __repr__(self) -> str:
        return f"ExplorerPage('{self.path}')"


def explore(
    output: Tensor | Callable[[], Tensor],
    params: Mapping[str, Tensor] | Iterable[tuple[str, Tensor]] | None = None,
    *,
    model: Any = None,
    path: PathLike | None = None,
    title: str | None = None,
    max_elements: int = 64,
    collapse: bool | None = None,
    quiet: bool = False,
) -> ExplorerPage:
    """Write an interactive explorer page for the graph behind ``output``; returns the page.

    Args:
        output: the tensor to backpropagate from (typically the loss, a scalar), or a function
            of no arguments that computes it. With a function and ``model``, every op is
            recorded with the module it ran in, and each module becomes a box to open.
        params: names for tensors, as in ``draw_graph`` (``{"slope": w}`` or
            ``model.named_parameters()``). Default: ``model.named_parameters()`` if ``model``.
        model: an ``nn.Module`` whose parameter names (and, with a function, modules) to use.
        path: the HTML file to write (default ``graph_explorer.html`` in the current folder).
        title: the page's heading (default: the file's stem).
        max_elements: tensors with at most this many elements show every value; larger ones
            show statistics and a histogram.
        collapse: draw modules as boxes to open (True), or everything in one view (False).
            Default: boxes when the graph has more than ``page.COLLAPSE_ABOVE`` ops.
        quiet: do not print the path.

    The gradients shown are those of one backward pass from ``output`` (seeded with ones, as
    ``output.backward()`` for a scalar), computed by the engine's own ops in the engine's order,
    *without* writing ``.grad`` or freeing the graph: call it before ``loss.backward()`` (or
    after ``loss.backward(retain_graph=True)``). Gradient hooks are not run.

    Example::

        loss = ((height - (intercept + slope * weight)) ** 2).sum()
        mt.viz.explore(loss, {"intercept": intercept, "slope": slope}, path="line_fit.html")
    """
    if max_elements < 0:
        raise ValueError(f"explore: max_elements must be >= 0, got {max_elements}")
    classes: dict[str, str] = {}
    scopes: dict[Any, str] = {}
    if callable(output) and not isinstance(output, Tensor):
        output, scopes, classes = _run(output, model)
    outputs = _as_output_list(output)
    if not any(t.requires_grad for t in outputs):
        raise RuntimeError("explore: the output does not require grad, so there is no graph to "
                           "explore; did you create it under no_grad, or forget "
                           "requires_grad=True on a parameter?")
    if params is None and model is not None:
        params = model.named_parameters()
    graph = collect.collect(outputs, params, scopes)
    graph.modules = classes
    target = Path(path if path is not None else DEFAULT_PATH)
    text = build_page(graph, title or target.stem.replace("_", " "), max_elements, collapse)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomically(target, text.encode("utf-8"))
    if not quiet:
        print(f"explorer page written to {target.resolve()}")
    return ExplorerPage(target, text, graph)


def _run(function: Callable[[], Any], model: Any) -> tuple[Any, dict[Any, str], dict[str, str]]:
    if model is None:
        return function(), {}, {}
    return collect.record_modules(model, function)
