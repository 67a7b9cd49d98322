"""Train a small convolutional network on real handwritten digits: microtensor's main example.

    python examples/train_cnn.py                      # the 8x8 digits that scikit-learn ships
    python examples/train_cnn.py --augment --epochs 40
    python examples/train_cnn.py --dataset mnist --data-dir ~/data/mnist

What happens, step by step:

1. The data: 1,797 images of 8x8 pixels, split with a fixed seed into train / validation /
   test sets (70 / 15 / 15 %, every class in proportion); or MNIST's 28x28 from IDX files (10 %
   of the training images held out for validation, the official test set for the test).
2. The model: Conv2d → ReLU → MaxPool2d → Conv2d → ReLU → MaxPool2d → Dropout → Linear, written
   exactly as in PyTorch (``mt.nn``).
3. Each epoch: mini-batches from a ``DataLoader``; forward pass, cross-entropy loss,
   ``loss.backward()`` (the engine computes every gradient), ``optimizer.step()`` (the optimizer
   reads ``.grad`` and updates the weights), then the learning-rate schedule steps.
4. Validation after each epoch: early stopping watches the validation loss and keeps the best
   weights, which are saved with ``mt.save``; the test set is used once, at the end.
5. Output: a progress bar, a table per epoch, the test accuracy, and a PNG of the curves.

The same ``--seed`` gives the same numbers, run after run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import microtensor as mt
from microtensor import nn
from microtensor.utils.data import DataLoader, TensorDataset

OPTIMIZERS = {
    "adam": lambda params, lr: mt.optim.Adam(params, lr=lr),
    "adamw": lambda params, lr: mt.optim.AdamW(params, lr=lr, weight_decay=1e-2),
    "nadam": lambda params, lr: mt.optim.NAdam(params, lr=lr),
    "rmsprop": lambda params, lr: mt.optim.RMSprop(params, lr=lr),
    "sgd": lambda params, lr: mt.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "lion": lambda params, lr: mt.optim.Lion(params, lr=lr),
}
DEFAULT_LR = {"adam": 3e-3, "adamw": 3e-3, "nadam": 3e-3, "rmsprop": 1e-3, "sgd": 5e-2,
              "lion": 3e-4}


class DigitNet(nn.Module):
    """Two convolution blocks and a linear classifier.

    For 8x8 inputs: (1, 8, 8) → conv 3x3 → (32, 8, 8) → pool → (32, 4, 4) → conv 3x3 →
    (64, 4, 4) → pool → (64, 2, 2) → flatten (256) → dropout → linear → 10 class scores.
    """

    def __init__(self, image_size: int, batch_norm: bool = False, dropout: float = 0.25) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 32, kernel_size=3, padding=1),
            nn.BatchNorm2d(32) if batch_norm else nn.Identity(),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, kernel_size=3, padding=1),
            nn.BatchNorm2d(64) if batch_norm else nn.Identity(),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        side = image_size // 4
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(dropout), nn.Linear(64 * side * side, 10)
        )

    def forward(self, x: mt.Tensor) -> mt.Tensor:
        return self.classifier(self.features(x))


def load_data(args: argparse.Namespace) -> tuple[TensorDataset, TensorDataset, TensorDataset]:
    """Train, validation and test sets (seeded)."""
    if args.dataset == "digits":
        digits = mt.datasets.load_digits()
        return digits.split((0.7, 0.15, 0.15), seed=args.seed)
    if args.data_dir is None:
        sys.exit("--dataset mnist needs --data-dir DIR (a folder with the MNIST IDX files)")
    train_full = mt.datasets.MNIST(args.data_dir, train=True)
    test = mt.datasets.MNIST(args.data_dir, train=False)
    order = mt.Generator(args.seed).numpy.permutation(len(train_full))
    n_val = len(train_full) // 10  # 10 % of the training images for validation
    val_idx, train_idx = order[:n_val], order[n_val:]
    images, labels = train_full.images, train_full.labels
    return (TensorDataset(images[train_idx], labels[train_idx]),
            TensorDataset(images[val_idx], labels[val_idx]),
            TensorDataset(test.images, test.labels))


def augmentation(image_size: int) -> mt.transforms.Compose:
    """New but plausible digits every epoch: rotation, shift and scaling in one affine
    resampling, then a random crop of 85-100 % of the area stretched back to full size."""
    shift = (1 if image_size <= 8 else 2) / image_size  # as a fraction of the width
    return mt.transforms.Compose([
        mt.transforms.RandomAffine(degrees=10, translate=(shift, shift), scale=(0.9, 1.1)),
        mt.transforms.RandomResizedCrop(image_size, scale=(0.85, 1.0), ratio=(0.9, 1.1)),
    ])


def evaluate(model: nn.Module, loader: DataLoader) -> tuple[float, float]:
    """Mean cross-entropy and accuracy over a data set (no graph is recorded)."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with mt.no_grad():
        for images, labels in loader:
            scores = model(images)
            total_loss += nn.functional.cross_entropy(scores, labels, reduction="sum").item()
            correct += int((scores.argmax(dim=1) == labels).sum().item())
            count += labels.shape[0]
    return total_loss / count, correct / count


def train_one_epoch(model, loader, optimizer, loss_fn, progress) -> tuple[float, float]:
    model.train()
    total_loss, correct, count = 0.0, 0, 0
    for images, labels in loader:
        optimizer.zero_grad()
        scores = model(images)
        loss = loss_fn(scores, labels)
        loss.backward()
        optimizer.step()
        batch = labels.shape[0]
        total_loss += loss.item() * batch
        correct += int((scores.argmax(dim=1) == labels).sum().item())
        count += batch
        progress.update(1)
        progress.set_postfix(loss=f"{total_loss / count:.4f}", acc=f"{correct / count:.3f}")
    return total_loss / count, correct / count


def progress_bar(total: int, description: str, enabled: bool):
    """A tqdm bar (the ``examples`` extra), or a silent stand-in.

    Shown only when stderr is a terminal (tqdm's ``disable=None``): output redirected to a
    file or a pipe gets the epoch table, not hundreds of bar updates.
    """
    try:
        from tqdm import tqdm
    except ImportError:
        enabled = False
    if not enabled:
        return _Silent()
    return tqdm(total=total, desc=description, leave=False, file=sys.stderr, dynamic_ncols=True,
                disable=None)


class _Silent:
    def update(self, n: int) -> None: ...
    def set_postfix(self, **values: str) -> None: ...
    def close(self) -> None: ...


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a small CNN on handwritten digits.")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=None, help="default depends on --optimizer")
    parser.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="adam")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--augment", action="store_true",
                        help="random rotation, shift and scaling (RandomAffine, RandomResizedCrop)")
    parser.add_argument("--batch-norm", action="store_true", help="BatchNorm2d after each conv")
    parser.add_argument("--patience", type=int, default=8, help="early-stopping patience")
    parser.add_argument("--dataset", choices=["digits", "mnist"], default="digits")
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("runs/train_cnn"))
    parser.add_argument("--no-progress", action="store_true",
                        help="hide the progress bar (it is hidden anyway when stderr is not a "
                             "terminal)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    mt.manual_seed(args.seed)
    train_set, val_set, test_set = load_data(args)
    image_size = train_set.tensors[0].shape[-1]
    if args.augment:
        train_set.transform = augmentation(image_size)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                              generator=mt.Generator(args.seed))
    val_loader = DataLoader(val_set, batch_size=512)
    test_loader = DataLoader(test_set, batch_size=512)

    model = DigitNet(image_size, batch_norm=args.batch_norm)
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    optimizer = OPTIMIZERS[args.optimizer](model.parameters(), lr)
    scheduler = mt.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    stopper = mt.utils.EarlyStopping(patience=args.patience, mode="min", restore_best=True)
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{args.dataset}: {len(train_set)} train / {len(val_set)} validation / "
          f"{len(test_set)} test images of {image_size}x{image_size}; "
          f"{sum(p.numel() for p in model.parameters()):,} parameters; "
          f"{args.optimizer} lr {lr:g}; seed {args.seed}")

    history: dict[str, list[float]] = {"train_loss": [], "val_loss": [], "train_acc": [],
                                       "val_acc": [], "lr": []}
    print(f"{'epoch':>5} {'train loss':>10} {'train acc':>9} {'val loss':>9} {'val acc':>8} "
          f"{'lr':>9}")
    for epoch in range(1, args.epochs + 1):
        current_lr = optimizer.param_groups[0]["lr"]
        progress = progress_bar(len(train_loader), f"epoch {epoch}/{args.epochs}",
                                not args.no_progress)
        train_loss, train_acc = train_one_epoch(model, train_loader, optimizer, loss_fn, progress)
        progress.close()
        val_loss, val_acc = evaluate(model, val_loader)
        scheduler.step()
        for key, value in zip(history, (train_loss, val_loss, train_acc, val_acc, current_lr)):
            history[key].append(value)
        print(f"{epoch:5d} {train_loss:10.4f} {train_acc:9.3f} {val_loss:9.4f} {val_acc:8.3f} "
              f"{current_lr:9.2e}", flush=True)
        improved_before = stopper.best
        if stopper.step(val_loss, model):
            print(f"early stopping: no better validation loss for {args.patience} epochs")
            break
        if stopper.best != improved_before:
            mt.save(model.state_dict(), args.out / "best_model.npz")

    stopper.restore(model)  # the weights of the best validation loss
    test_loss, test_acc = evaluate(model, test_loader)
    elapsed = time.perf_counter() - started
    print(f"best epoch {stopper.best_epoch + 1}: val loss {stopper.best:.4f}")
    print(f"test accuracy {test_acc:.2%} (test loss {test_loss:.4f}) in {elapsed:.1f} s")
    print(f"saved the best model to {args.out / 'best_model.npz'}")
    try:
        mt.viz.plot_history(history, path=args.out / "curves.png", title="DigitNet on "
                            f"{args.dataset}")
        print(f"saved the curves to {args.out / 'curves.png'}")
    except ImportError as error:
        print(f"(no plot: {error})")
    return {"test_acc": test_acc, "test_loss": test_loss, "history": history,
            "seconds": elapsed, "best_epoch": stopper.best_epoch}


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()
