"""Draw computation graphs: what ``backward()`` walks through, with values and gradients.

Two pictures:

(a) The line fit ``loss = Σ (height - (intercept + slope·weight))²`` for the three points
    (weight, height) = (0.5, 1.4), (2.3, 1.9), (2.9, 3.2), written out point by point with
    scalars, at intercept 0 and slope 1, after ``loss.backward()``. Each residual is
    height - predicted = 0.9, -0.4, 0.3, so

        d loss / d intercept = -2 Σ residual          = -2 · 0.8  = -1.6
        d loss / d slope     = -2 Σ residual · weight = -2 · 0.4  = -0.8

    and the drawing shows those gradients in the intercept and slope boxes. Each of the two
    parameters feeds three ops, and its gradient is the sum of what comes back along the three
    paths (the multivariate chain rule).

(b) A two-layer perceptron (Linear, ReLU, Linear, mean squared error) on a small batch, with its
    parameters labelled by name (``dict(model.named_parameters())``). Tensors with more than
    ``max_elements`` values are summarised by their norm.

Usage::

    python examples/draw_graph.py                  # writes runs/graphs/*.png and *.svg
    python examples/draw_graph.py --out some/dir
    python examples/draw_graph.py --docs           # also writes docs/images/line_fit_graph.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import microtensor as mt
import microtensor.viz as viz
from microtensor import nn

ROOT = Path(__file__).resolve().parent.parent
POINTS = [(0.5, 1.4), (2.3, 1.9), (2.9, 3.2)]  # (weight, height)


def line_fit_graph() -> tuple[mt.Tensor, viz.GraphDrawing]:
    """The sum of squared residuals of the line at intercept 0, slope 1, after backward."""
    intercept = mt.tensor(0.0, requires_grad=True)
    slope = mt.tensor(1.0, requires_grad=True)
    loss = None
    for weight, height in POINTS:
        predicted = intercept + slope * weight
        residual = height - predicted
        squared = residual**2
        loss = squared if loss is None else loss + squared
    loss.backward()
    print(f"line fit: loss = {loss.item():.4g}, d loss/d intercept = {intercept.grad.item():.4g}, "
          f"d loss/d slope = {slope.grad.item():.4g}")
    graph = viz.draw_graph(loss, params={"intercept": intercept, "slope": slope})
    return loss, graph


def mlp_graph() -> tuple[mt.Tensor, viz.GraphDrawing]:
    """Linear(3, 4) -> ReLU -> Linear(4, 1), MSE loss on a batch of 5, after backward."""
    mt.manual_seed(0)
    x = mt.randn(5, 3)
    y = mt.randn(5, 1)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    prediction = model(x)
    loss = ((prediction - y) ** 2).mean()
    loss.backward()
    params = dict(model.named_parameters())
    print(f"mlp: loss = {loss.item():.4g}, parameters: {', '.join(params)}")
    return loss, viz.draw_graph(loss, params=params)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/graphs"),
                        help="folder for the PNG and SVG files (default: runs/graphs)")
    parser.add_argument("--docs", action="store_true",
                        help="also write the line-fit PNG to docs/images/line_fit_graph.png")
    args = parser.parse_args()

    graphs = {"line_fit_graph": line_fit_graph()[1], "mlp_graph": mlp_graph()[1]}
    targets = [(graph, args.out / f"{name}.{fmt}")
               for name, graph in graphs.items() for fmt in ("png", "svg")]
    if args.docs:
        targets.append((graphs["line_fit_graph"], ROOT / "docs" / "images" / "line_fit_graph.png"))
    for graph, path in targets:
        try:
            print(f"wrote {viz.render(graph, path)}")
        except RuntimeError as error:  # Graphviz is missing: keep the DOT source at least
            print(error)
            for name, graph in graphs.items():
                print(f"wrote the DOT source to {graph.save(args.out / f'{name}.dot')} instead")
            return


if __name__ == "__main__":
    main()
