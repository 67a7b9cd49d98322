"""Over-fitting and four ways to tame it: L2, L1, dropout and early stopping.

A network with 2 hidden layers of 50 units (about 2,700 weights) is trained on only 30 noisy
points of a smooth curve, y = sin(2πx) + noise. With that many weights it can pass close to every
training point: the training loss keeps falling, but beyond some epoch the model is fitting the
*noise*, and the loss on new points from the same curve (the **validation** loss) goes *up*.
That gap between training and validation loss is **over-fitting** (high variance).

Regularisation trades a little training loss for a smoother function:

* **L2 penalty** (ridge, weight decay): minimise loss + (λ/2) Σ w². Its gradient λw pulls every
  weight towards zero in proportion to its size; large weights, needed for wiggles, cost a lot.
  ``nn.utils.l2_penalty(model, λ)`` adds it to the loss; ``SGD(weight_decay=λ)`` adds the same
  λw to the gradient instead. (With Adam the two differ slightly; AdamW decouples the decay.)
* **L1 penalty** (lasso): loss + λ Σ |w|. Its gradient λ·sign(w) has the same size for small and
  large weights, so it pushes small weights all the way to zero: sparse models.
* **Dropout**: while training, each hidden unit is zeroed with probability p (and the others
  scaled by 1/(1 − p)), so no unit can rely on a few others: it trains an ensemble of thinned
  networks. ``model.train()`` turns it on, ``model.eval()`` off, for measuring.
* **Early stopping**: watch the validation loss and keep the weights of its best epoch
  (``mt.utils.EarlyStopping(patience, restore_best=True)``): stop before the noise is learnt.

Biases are left out of the penalties (``skip_bias=True``): shifting the curve up or down does not
make it wiggly. Too much regularisation *under*-fits (high bias): the last variant's λ is so
large that it cannot even fit the training points.

Every variant starts from the same initial weights (same seed) and uses Adam with the same
learning rate. Early stopping picks its epoch *by* the validation loss, which makes its
validation loss slightly optimistic: the test loss, on 500 points used for nothing else, is the
honest comparison.

Run:  python examples/regularization.py [--epochs E] [--fast] [--out runs/regularization]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import microtensor as mt
from microtensor import nn
from microtensor.utils import EarlyStopping

NOISE = 0.3  # standard deviation of the noise: the best possible MSE is NOISE² = 0.09
Split = tuple[mt.Tensor, mt.Tensor]


@dataclass(frozen=True)
class Variant:
    """One way to train: which regulariser, and how strong."""

    name: str
    l2: float = 0.0
    l1: float = 0.0
    dropout: float = 0.0
    early_stopping: bool = False


VARIANTS = (
    Variant("no regularisation"),
    Variant("L2 penalty, λ = 0.02", l2=0.02),
    Variant("L1 penalty, λ = 0.003", l1=0.003),
    Variant("dropout, p = 0.5", dropout=0.5),
    Variant("early stopping", early_stopping=True),
    Variant("L2 too strong, λ = 0.1", l2=0.1),
)


@dataclass
class Result:
    """The losses of one variant: per epoch, and of the final (or restored) model."""

    variant: Variant
    model: nn.Module
    train_curve: list[float] = field(default_factory=list)
    val_curve: list[float] = field(default_factory=list)
    train: float = 0.0
    val: float = 0.0
    test: float = 0.0
    stopped_at: int | None = None  # the epoch early stopping stopped at
    best_epoch: int | None = None  # the epoch whose weights it restored


def curve(x: np.ndarray) -> np.ndarray:
    """The smooth function behind the data."""
    return np.sin(2 * np.pi * x)


def make_data(seed: int = 0) -> dict[str, Split]:
    """30 training points, 100 validation points, 500 test points, all from the same curve."""
    rng = np.random.default_rng(seed)
    splits = {}
    for name, size in (("train", 30), ("val", 100), ("test", 500)):
        x = rng.uniform(0, 1, size)
        y = curve(x) + NOISE * rng.standard_normal(size)
        splits[name] = (mt.tensor(x[:, None], dtype=mt.float32),
                        mt.tensor(y[:, None], dtype=mt.float32))
    return splits


def make_model(hidden: int, dropout: float, seed: int) -> nn.Sequential:
    """1 → hidden → hidden → 1 with tanh; Dropout after each hidden layer if dropout > 0."""
    mt.manual_seed(seed)  # the same initial weights for every variant (Dropout has none)
    layers: list[nn.Module] = [nn.Linear(1, hidden), nn.Tanh()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers += [nn.Linear(hidden, hidden), nn.Tanh()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, 1))
    return nn.Sequential(*layers)


def mse(model: nn.Module, split: Split) -> float:
    """The mean squared error of the model on a split, measured in eval mode (no dropout)."""
    x, y = split
    model.eval()
    with mt.no_grad():
        value = nn.functional.mse_loss(model(x), y).item()
    model.train()
    return value


def objective(model: nn.Module, split: Split, variant: Variant) -> mt.Tensor:
    """What the optimizer minimises: the data loss plus the variant's penalty."""
    x, y = split
    loss = nn.functional.mse_loss(model(x), y)
    if variant.l2:
        loss = loss + nn.utils.l2_penalty(model, weight_decay=variant.l2, skip_bias=True)
    if variant.l1:
        loss = loss + nn.utils.l1_penalty(model, weight=variant.l1, skip_bias=True)
    return loss


def train(variant: Variant, data: dict[str, Split], epochs: int, hidden: int = 50,
          lr: float = 0.01, patience: int = 100, seed: int = 0) -> Result:
    """Full-batch Adam for ``epochs`` epochs (fewer if early stopping stops it)."""
    model = make_model(hidden, variant.dropout, seed)
    optimizer = mt.optim.Adam(model.parameters(), lr=lr)
    stopper = EarlyStopping(patience=patience, restore_best=True)
    result = Result(variant, model)
    for epoch in range(epochs):
        optimizer.zero_grad()
        objective(model, data["train"], variant).backward()
        optimizer.step()
        result.train_curve.append(mse(model, data["train"]))
        result.val_curve.append(mse(model, data["val"]))
        if variant.early_stopping and stopper.step(result.val_curve[-1], model):
            result.stopped_at, result.best_epoch = epoch, stopper.best_epoch
            break  # the stopper has loaded the best epoch's weights back into the model
    result.train, result.val, result.test = (mse(model, data[name])
                                             for name in ("train", "val", "test"))
    return result


def weight_counts(model: nn.Module, threshold: float = 0.01) -> tuple[int, int]:
    """(weights with |w| >= threshold, all weights), biases not counted: L1 zeroes most."""
    weights = np.concatenate([p.detach().numpy().ravel()
                              for name, p in model.named_parameters() if name.endswith("weight")])
    return int(np.sum(np.abs(weights) >= threshold)), weights.size


def print_table(results: list[Result]) -> None:
    print(f"{'variant':<24} {'train MSE':>9} {'val MSE':>8} {'gap':>7} {'test MSE':>8}  "
          f"{'weights with |w| ≥ 0.01':>23}")
    for r in results:
        used, total = weight_counts(r.model)
        print(f"{r.variant.name:<24} {r.train:>9.4f} {r.val:>8.4f} {r.val - r.train:>7.4f} "
              f"{r.test:>8.4f}  {used:>15} of {total}")
    print(f"(the noise alone gives MSE {NOISE**2:.2f}: less than that on the training set means "
          "the model has learnt some of the noise)")


def plot(results: list[Result], data: dict[str, Split], path: Path) -> None:
    """Left: the fitted functions. Right: validation loss per epoch for every variant."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FormatStrFormatter, NullFormatter

    figure = Figure(figsize=(13, 4.8), layout="constrained")
    fits, curves = figure.subplots(1, 2)
    grid = np.linspace(0, 1, 300)
    x_train, y_train = (t.numpy().ravel() for t in data["train"])
    fits.scatter(x_train, y_train, color="black", zorder=3, label="training points")
    fits.plot(grid, curve(grid), ":", color="gray", label="sin(2πx), the truth")
    for r in results:
        r.model.eval()
        with mt.no_grad():
            prediction = r.model(mt.tensor(grid[:, None], dtype=mt.float32)).numpy().ravel()
        fits.plot(grid, prediction, label=r.variant.name)
    fits.set(xlabel="x", ylabel="y = sin(2πx) + noise", ylim=(-2, 2),
             title="what each model learnt")
    fits.legend(fontsize="x-small", ncol=2)

    for r in results:
        line, = curves.plot(r.val_curve, label=r.variant.name)
        if r.best_epoch is not None:
            curves.plot(r.best_epoch, r.val_curve[r.best_epoch], "o", color=line.get_color())
    none = results[0]
    curves.plot(none.train_curve, "--", color="tab:blue", linewidth=0.8,
                label=f"{none.variant.name}: training loss")
    curves.axhline(NOISE**2, color="black", linestyle=":", linewidth=0.8, label="noise level")
    curves.set_yscale("log")
    # a few labelled ticks: labelling every minor tick of a log axis makes them overlap
    curves.set_yticks([0.02, 0.05, 0.1, 0.2, 0.5, 1.0])
    curves.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    curves.yaxis.set_minor_formatter(NullFormatter())
    curves.set(xlabel="epoch", ylabel="MSE", title="validation loss per epoch")
    curves.grid(True, alpha=0.3)
    curves.legend(fontsize="x-small")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2000)
    parser.add_argument("--fast", action="store_true", help="a short run (for tests)")
    parser.add_argument("--out", type=Path, default=Path("runs/regularization"))
    args = parser.parse_args(argv)
    epochs = 600 if args.fast else args.epochs

    data = make_data()
    print(f"30 training points of sin(2πx) + N(0, {NOISE}²); MLP 1-50-50-1 (tanh), full-batch "
          f"Adam(lr=0.01), {epochs} epochs, the same initial weights for every variant\n")
    results = [train(variant, data, epochs) for variant in VARIANTS]
    print_table(results)
    stopped = next(r for r in results if r.variant.early_stopping)
    if stopped.stopped_at is not None:
        print(f"\nearly stopping: stopped at epoch {stopped.stopped_at}, restored the weights of "
              f"epoch {stopped.best_epoch} (lowest validation loss)")
    none = results[0]
    best_val = min(results[1:], key=lambda r: r.val)
    print(f"without regularisation the validation loss is {none.val / none.train:.0f}× the "
          f"training loss; the best regulariser here ({best_val.variant.name}) lowers it from "
          f"{none.val:.3f} to {best_val.val:.3f}")

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print("\n(matplotlib is not installed: no plot)")
        return results
    path = args.out / "regularization.png"
    plot(results, data, path)
    print(f"\nplot: {path}")
    return results


if __name__ == "__main__":
    main()
