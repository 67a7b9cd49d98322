"""Watch backpropagation happen: interactive explorer pages for three computations.

``mt.viz.explore(loss)`` writes one HTML file (open it in any browser; no server, no network).
Step through the forward pass and then the backward pass in the order the engine runs it, click a
tensor for its values and gradient, click an op for its backward formula with the numbers in.

1. **The line fit** of ``examples/line_fit.py``: ``loss = Σ (height − (intercept + slope·weight))²``
   for the points (0.5, 1.4), (2.3, 1.9), (2.9, 3.2) at intercept 0 and slope 1. Each parameter
   is used three times, so the backward pass *sums* three contributions into it:
   d loss/d intercept = −1.6 and d loss/d slope = −0.8.
2. **A two-layer perceptron** (Linear, Tanh, Linear) with a mean-squared-error loss.
3. **One training step of the CNN** of ``examples/train_cnn.py`` on a batch of 8x8 digits; its
   modules are boxes to open (pass a function and the model so the explorer sees which module
   each op ran in).

With ``--big``, a fourth page: a deep network of about 10,000 graph nodes (opens collapsed).

Usage::

    python examples/explore_graph.py                 # writes runs/explorer/*.html
    python examples/explore_graph.py --out some/dir --big
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import microtensor as mt
from microtensor import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_cnn import DigitNet  # (the example next to this one)

POINTS = [(0.5, 1.4), (2.3, 1.9), (2.9, 3.2)]  # (weight, height)


def line_fit(out: Path) -> mt.viz.ExplorerPage:
    """The sum of squared residuals at intercept 0, slope 1, written point by point."""
    intercept = mt.tensor(0.0, requires_grad=True)
    slope = mt.tensor(1.0, requires_grad=True)
    loss = None
    for weight, height in POINTS:
        squared = (height - (intercept + slope * weight)) ** 2
        loss = squared if loss is None else loss + squared
    return mt.viz.explore(loss, {"intercept": intercept, "slope": slope},
                          path=out / "line_fit.html", title="line fit")


def mlp(out: Path) -> mt.viz.ExplorerPage:
    """Linear(3, 4) → Tanh → Linear(4, 1), MSE on a batch of 5."""
    mt.manual_seed(0)
    x, y = mt.randn(5, 3), mt.randn(5, 1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    return mt.viz.explore(lambda: ((model(x) - y) ** 2).mean(), model=model,
                          path=out / "mlp.html", title="two-layer perceptron", collapse=False)


def cnn_step(out: Path, batch: int = 32) -> mt.viz.ExplorerPage:
    """The forward and backward pass of one training step of examples/train_cnn.py's model."""
    mt.manual_seed(0)
    digits = mt.datasets.load_digits()
    images, labels = digits.images[:batch], digits.labels[:batch]
    model = DigitNet(image_size=8)
    return mt.viz.explore(lambda: nn.functional.cross_entropy(model(images), labels),
                          model=model, path=out / "cnn_step.html", title="CNN training step",
                          collapse=True)


def deep_network(out: Path, stages: int = 34, blocks: int = 49) -> mt.viz.ExplorerPage:
    """stages × blocks of (Linear, Tanh): about 10,000 nodes (6 per block); modules are boxes."""
    mt.manual_seed(0)
    model = nn.Sequential(*[
        nn.Sequential(*[nn.Sequential(nn.Linear(4, 4), nn.Tanh()) for _ in range(blocks)])
        for _ in range(stages)])
    x = mt.randn(2, 4)
    return mt.viz.explore(lambda: model(x).sum(), model=model, path=out / "deep.html",
                          title="deep network")


def main(argv: list[str] | None = None) -> list[mt.viz.ExplorerPage]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("runs/explorer"))
    parser.add_argument("--big", action="store_true", help="also the 10,000-node page")
    args = parser.parse_args(argv)
    pages = [line_fit(args.out), mlp(args.out), cnn_step(args.out)]
    if args.big:
        pages.append(deep_network(args.out))
    return pages


if __name__ == "__main__":
    main()
