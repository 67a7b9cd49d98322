"""Recurrent networks read a digit row by row: an LSTM and a GRU, compared with an MLP and the CNN.

    python examples/rnn_digits.py                 # about a minute on one core
    python examples/rnn_digits.py --hidden 128 --epochs 40
    python examples/rnn_digits.py --fast          # a tiny run in seconds (what the test runs)

An 8x8 image of a handwritten digit can be read as a *sequence*: 8 time steps, one image row of
8 pixels at each. A recurrent layer reads the rows one after the other and keeps a **hidden
state** h, a vector of ``--hidden`` numbers that it updates at every step from the previous state
and the new row: hₜ = cell(hₜ₋₁, xₜ). The hidden state is all the network remembers of the rows
it has read so far, a running summary it learns to write (which strokes were where); after the
last row, h₇ alone must say which digit it was, so a linear layer reads the class scores from it.

What happens, step by step:

1. The data: scikit-learn's 1,797 digits, the same seeded 70 / 15 / 15 % train / validation /
   test split as ``examples/train_cnn.py``; each (1, 8, 8) image is reshaped to (8 steps, 8
   features) and the layers are ``batch_first`` (input (batch, time, features)).
2. Why gates: the vanishing gradient. A plain RNN computes hₜ = tanh(xₜ W_ihᵀ + hₜ₋₁ W_hhᵀ + b),
   so the gradient that reaches row t from the loss is a product of one Jacobian per later step,
   dhₜ₊₁/dhₜ = diag(1 − hₜ₊₁²) W_hh. With small weights (PyTorch starts them uniform in
   ±1/√hidden) each factor shrinks the gradient, so the first rows get almost none of it and
   the network can hardly learn what they hold. An LSTM keeps a second state, the cell c,
   updated *additively*: cₜ = f ⊙ cₜ₋₁ + i ⊙ g, with a forget gate f = σ(...) in (0, 1), an
   input gate i and a candidate g = tanh(...); hₜ = o ⊙ tanh(cₜ). Along the cell the Jacobian
   is just diag(f): no weight matrix, no squashing. When f is near 1 the gradient flows back
   almost unchanged, and the network *learns* when to keep (f ≈ 1) and when to forget (f ≈ 0).
   At PyTorch's initialisation f = σ(≈ 0) ≈ 0.5, which still halves the gradient at every step;
   the usual remedy (Gers et al. 2000; Jozefowicz et al. 2015), used here, starts the forget
   gate's bias at 1, so f ≈ 0.73. A GRU does the same with one state: hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁.
3. The measurement, at initialisation, before any training: the input images are a tensor that
   requires grad; after ``loss.backward()`` its ``.grad`` holds dL/dxₜ for every row t. The plot
   ``gradient_flow.png`` shows ‖dL/dxₜ‖ relative to the last row's, for a plain
   ``nn.RNN(nonlinearity="tanh")``, an ``nn.LSTM`` as PyTorch initialises it, the lesson's LSTM
   (forget bias 1) and an ``nn.GRU``. With the defaults the first row receives about 2 % of the
   last row's gradient in the plain RNN, about 2.5 % in the default LSTM and about 20 % in the
   LSTM with forget bias 1 (the script prints the figures). So gates alone do not save the
   gradient at the start (PyTorch's LSTM is only a little better than the plain RNN, and at
   small hidden sizes not at all); a forget gate that starts open does: about ten times more
   gradient reaches the first row, and training can tell the network what that row held.
4. Training: ``nn.LSTM`` and ``nn.GRU`` (one layer, ``--hidden`` units) followed by
   ``nn.Linear(hidden, 10)`` on the last step's output, and, for an honest comparison on the
   same split in the same run, an MLP (64 → 128 → ReLU → 10) that sees the whole image at
   once. Each: ``optim.Adam``, a cosine learning-rate schedule, gradient clipping at norm 1
   (``nn.utils.clip_grad_norm_``, customary for recurrent networks), and the weights of the
   best validation loss kept (``mt.utils.EarlyStopping(restore_best=True)``). One table per
   model, one row per epoch.
5. The result: the test accuracy of the three, next to the CNN of ``examples/train_cnn.py``
   (99.26 % with its defaults, quoted from the README), and the curves in ``curves.png``. With
   the defaults: MLP 98.14 %, LSTM 97.77 %, GRU 99.63 % (``docs/lessons/rnn.md`` has the run).
   All are far above chance (10 %). The test set has 269 images, so one image is 0.37 %: the
   four models are within five images of each other (GRU 1 error, CNN 2, MLP 5, LSTM 6), too
   few to rank them firmly; another ``--seed``, or a change in the last bit of a float
   anywhere in training, reorders them. The MLP learns fastest (it sees the whole image at
   once); the recurrent networks, which see one row at a time and must carry what they saw
   through their state, need a few more epochs.

The same ``--seed`` gives the same numbers, run after run.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import microtensor as mt
from microtensor import nn
from microtensor.nn import functional as F
from microtensor.utils.data import DataLoader

CNN_TEST_ACCURACY = 0.9926  # examples/train_cnn.py with its defaults (README)
ROWS = FEATURES = 8  # an 8x8 image: 8 time steps of 8 features
FAST = dict(hidden=24, epochs=4)


# --- the models ---------------------------------------------------------------------------------

class SequenceClassifier(nn.Module):
    """A recurrent layer reads the image rows; a linear layer reads the class from its last output.

    ``kind`` is ``"LSTM"``, ``"GRU"`` or ``"RNN"`` (tanh). ``forget_bias`` (LSTM only) is the
    starting value of the forget gate's bias (PyTorch's layer starts it near 0; see the module
    docstring)."""

    def __init__(self, kind: str, hidden: int, forget_bias: float | None = None) -> None:
        super().__init__()
        self.rnn = getattr(nn, kind)(FEATURES, hidden, batch_first=True)
        self.head = nn.Linear(hidden, 10)
        if forget_bias is not None:
            set_forget_bias(self.rnn, forget_bias)

    def forward(self, images: mt.Tensor) -> mt.Tensor:
        rows = images.reshape(images.shape[0], ROWS, FEATURES)  # (batch, time, features)
        outputs, _ = self.rnn(rows)  # (batch, time, hidden): hₜ of every step
        return self.head(outputs[:, -1])  # the last hidden state decides


def set_forget_bias(lstm: nn.LSTM, value: float) -> None:
    """Start the forget gate f at σ(value): the second quarter of ``bias_ih`` (gate order i, f,
    g, o, as in PyTorch) gets ``value`` and that of ``bias_hh`` 0 (their sum is the bias)."""
    hidden = lstm.hidden_size
    with mt.no_grad():
        lstm.bias_ih_l0[hidden:2 * hidden] = value
        lstm.bias_hh_l0[hidden:2 * hidden] = 0.0


class MLP(nn.Module):
    """The whole image at once: 64 pixels → 128 → ReLU → 10 class scores."""

    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Flatten(), nn.Linear(ROWS * FEATURES, hidden), nn.ReLU(),
                                    nn.Linear(hidden, 10))

    def forward(self, images: mt.Tensor) -> mt.Tensor:
        return self.layers(images)


# The three models the lesson trains, by name: each makes a fresh model of ``hidden`` units.
MODELS = {
    "MLP": lambda hidden: MLP(),
    "GRU": lambda hidden: SequenceClassifier("GRU", hidden),
    "LSTM": lambda hidden: SequenceClassifier("LSTM", hidden, forget_bias=1.0),
}


# --- the gradient reaching each time step -------------------------------------------------------

def gradient_per_step(model: nn.Module, images: mt.Tensor, labels: mt.Tensor) -> np.ndarray:
    """‖dL/dxₜ‖ for each row t (over the whole batch), divided by the last row's."""
    rows = images.reshape(images.shape[0], ROWS, FEATURES).detach().clone().requires_grad_(True)
    model.zero_grad()
    loss = F.cross_entropy(model(rows), labels)
    loss.backward()
    norms = np.sqrt((rows.grad.numpy().astype(np.float64) ** 2).sum(axis=(0, 2)))
    return norms / norms[-1]


def gradient_flow(hidden: int, images: mt.Tensor, labels: mt.Tensor, seed: int
                  ) -> dict[str, np.ndarray]:
    """The relative gradient per step of four freshly initialised recurrent classifiers."""
    makers = {
        "plain RNN (tanh)": lambda: SequenceClassifier("RNN", hidden),
        "LSTM, PyTorch's init": lambda: SequenceClassifier("LSTM", hidden),
        "LSTM, forget bias 1 (trained here)": lambda: SequenceClassifier("LSTM", hidden, 1.0),
        "GRU": lambda: SequenceClassifier("GRU", hidden),
    }
    flows = {}
    for name, make in makers.items():
        mt.manual_seed(seed)
        flows[name] = gradient_per_step(make(), images, labels)
    return flows


def plot_gradient_flow(flows: dict[str, np.ndarray], path: Path) -> bool:
    """One line per model: relative gradient norm against the time step, log scale."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    for (name, flow), marker in zip(flows.items(), "osD^"):
        ax.semilogy(np.arange(len(flow)), flow, marker=marker, ms=5, label=name)
    ax.set_xlabel("time step t (image row read at step t)")
    ax.set_ylabel("‖dL/dxₜ‖ / ‖dL/dx₇‖  (log scale)")
    ax.set_title("How much gradient reaches each row, at initialisation")
    ax.set_xticks(range(ROWS))
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


# --- training -----------------------------------------------------------------------------------

def evaluate(model: nn.Module, loader: DataLoader) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over a data set (no graph is recorded)."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with mt.no_grad():
        for images, labels in loader:
            scores = model(images)
            total_loss += F.cross_entropy(scores, labels, reduction="sum").item()
            correct += int((scores.argmax(dim=1) == labels).sum().item())
            count += labels.shape[0]
    return total_loss / count, correct / count


def train_one_epoch(model: nn.Module, loader: DataLoader, optimizer: mt.optim.Optimizer
                    ) -> tuple[float, float]:
    """One pass over the training set; mean loss and accuracy."""
    model.train()
    total_loss, correct, count = 0.0, 0, 0
    for images, labels in loader:
        optimizer.zero_grad()
        scores = model(images)
        loss = F.cross_entropy(scores, labels)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        total_loss += loss.item() * labels.shape[0]
        correct += int((scores.argmax(dim=1) == labels).sum().item())
        count += labels.shape[0]
    return total_loss / count, correct / count


def fit(name: str, model: nn.Module, loaders: dict[str, DataLoader], args: argparse.Namespace
        ) -> dict:
    """Train with Adam and a cosine schedule, keep the best validation epoch, print a table."""
    optimizer = mt.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = mt.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    keeper = mt.utils.EarlyStopping(patience=args.epochs, mode="min", restore_best=True)
    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "train_acc": [],
                                       "val_acc": []}
    parameters = sum(p.numel() for p in model.parameters())
    print(f"\n{name}: {parameters:,} parameters")
    print(f"{'epoch':>5} {'train loss':>10} {'train acc':>9} {'val loss':>9} {'val acc':>8}")
    started = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        train_loss, train_acc = train_one_epoch(model, loaders["train"], optimizer)
        val_loss, val_acc = evaluate(model, loaders["val"])
        scheduler.step()
        for key, value in zip(history, (train_loss, val_loss, train_acc, val_acc)):
            history[key].append(value)
        print(f"{epoch:5d} {train_loss:10.4f} {train_acc:9.3f} {val_loss:9.4f} {val_acc:8.3f}",
              flush=True)
        keeper.step(val_loss, model)
    keeper.restore(model)  # the weights of the best validation loss
    test_loss, test_acc = evaluate(model, loaders["test"])
    return {"history": history, "test_acc": test_acc, "test_loss": test_loss,
            "parameters": parameters, "best_epoch": keeper.best_epoch + 1,
            "seconds": time.perf_counter() - started}


def print_summary(results: dict[str, dict]) -> None:
    print(f"\n{'model':<34} {'parameters':>10} {'best epoch':>10} {'test acc':>9} {'seconds':>8}")
    for name, result in results.items():
        print(f"{name:<34} {result['parameters']:10,} {result['best_epoch']:10d} "
              f"{result['test_acc']:9.2%} {result['seconds']:8.1f}")
    print(f"{'CNN (examples/train_cnn.py, README)':<34} {'':>10} {'':>10} "
          f"{CNN_TEST_ACCURACY:9.2%}")


def plot_curves(results: dict[str, dict], path: Path) -> bool:
    """Loss (training solid, validation dashed) and validation accuracy by epoch, one colour per
    model."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return False
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
    for (name, result), color in zip(results.items(), ("tab:gray", "tab:blue", "tab:red")):
        history = result["history"]
        epochs = np.arange(1, len(history["train_loss"]) + 1)
        loss_ax.plot(epochs, history["train_loss"], color=color, label=f"{name} training")
        loss_ax.plot(epochs, history["val_loss"], color=color, linestyle="--",
                     label=f"{name} validation")
        acc_ax.plot(epochs, history["val_acc"], color=color, marker="o", ms=3, label=name)
    acc_ax.axhline(CNN_TEST_ACCURACY, color="black", linestyle=":",
                   label=f"CNN, test ({CNN_TEST_ACCURACY:.2%})")
    loss_ax.set_yscale("log")
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy (log scale)", title="loss")
    acc_ax.set(xlabel="epoch", ylabel="accuracy", title="validation accuracy")
    acc_ax.set_ylim(top=1.005)
    for ax in (loss_ax, acc_ax):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Digits read row by row (LSTM, GRU) or at once (MLP)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="An LSTM and a GRU read digits row by row.")
    parser.add_argument("--hidden", type=int, default=64, help="hidden units of LSTM and GRU")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/rnn_digits"))
    parser.add_argument("--fast", action="store_true",
                        help=f"a tiny run for tests: {FAST}")
    args = parser.parse_args(argv)
    if args.fast:
        for key, value in FAST.items():
            setattr(args, key, value)
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    train_set, val_set, test_set = mt.datasets.load_digits().split((0.7, 0.15, 0.15),
                                                                   seed=args.seed)
    loaders = {"train": DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                   generator=mt.Generator(args.seed)),
               "val": DataLoader(val_set, batch_size=512),
               "test": DataLoader(test_set, batch_size=512)}
    print(f"digits: {len(train_set)} train / {len(val_set)} validation / {len(test_set)} test "
          f"images, read as {ROWS} steps of {FEATURES} pixels; hidden {args.hidden}; "
          f"Adam lr {args.lr:g}; seed {args.seed}")

    images, labels = train_set.tensors
    flows = gradient_flow(args.hidden, images, labels, args.seed)
    print("\ngradient reaching each row at initialisation, ‖dL/dxₜ‖ / ‖dL/dx₇‖:")
    print(f"{'model':<36}" + "".join(f"{f't={t}':>7}" for t in range(ROWS)))
    for name, flow in flows.items():
        print(f"{name:<36}" + "".join(f"{value:7.3f}" for value in flow))
    plotted = plot_gradient_flow(flows, args.out / "gradient_flow.png")

    results = {}
    for name, make in MODELS.items():
        mt.manual_seed(args.seed)  # each model starts from the same seed
        results[name] = fit(name, make(args.hidden), loaders, args)
    print_summary(results)
    plotted = plot_curves(results, args.out / "curves.png") and plotted
    if plotted:
        print(f"saved {args.out / 'gradient_flow.png'} and {args.out / 'curves.png'}")
    else:
        print("(no plots: matplotlib is not installed)")
    return {"results": results, "flows": flows, "plotted": plotted, "out": args.out,
            "args": args}


if __name__ == "__main__":
    main()
