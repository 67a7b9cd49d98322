"""Seeing what happens: computation graphs (Graphviz) and training curves (matplotlib).

* :func:`draw_graph` turns the graph behind a tensor into a ``graphviz.Digraph``: tensors, ops,
  constants, values and gradients. :func:`render` writes it as SVG or PNG with Graphviz's ``dot``.
* :func:`plot_history` plots loss, metrics and learning rate per epoch. matplotlib is optional and
  imported only when a plot is made.
"""

from microtensor.viz.graph import GraphDrawing, draw_graph, render
from microtensor.viz.history import plot_history

__all__ = ["GraphDrawing", "draw_graph", "plot_history", "render"]
