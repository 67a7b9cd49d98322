"""Seeing what happens: computation graphs (Graphviz) and training curves (matplotlib).

* :func:`draw_graph` turns the graph behind a tensor into a ``graphviz.Digraph``: tensors, ops,
  constants, values and gradients. :func:`render` writes it as SVG or PNG with Graphviz's ``dot``.
* :func:`plot_history` plots loss, metrics and learning rate per epoch. matplotlib is optional and
  imported only when a plot is made.
* The optimization lab's pictures (``viz/landscape_plots.py``): :func:`plot_trajectories` (contours
  with optimizer paths), :func:`plot_loss_curves`, :func:`plot_landscape` (1-D/2-D loss slices),
  :func:`plot_interpolation` and :func:`plot_lr_finder`.
"""

from microtensor.viz.explore import ExplorerPage, explore
from microtensor.viz.graph import GraphDrawing, draw_graph, render
from microtensor.viz.history import plot_history
from microtensor.viz.landscape_plots import (
    plot_interpolation,
    plot_landscape,
    plot_loss_curves,
    plot_lr_finder,
    plot_trajectories,
)

__all__ = ["ExplorerPage", "GraphDrawing", "draw_graph", "explore", "plot_history",
           "plot_interpolation", "plot_landscape", "plot_loss_curves", "plot_lr_finder",
           "plot_trajectories", "render"]
