"""The main example: the CNN on the 8x8 digits trains to >= 98 % test accuracy, repeatably."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
import train_cnn


def test_default_run_reaches_98_percent_and_saves_the_best_model(tmp_path, capsys) -> None:
    result = train_cnn.main(["--no-progress", "--out", str(tmp_path)])
    assert result["test_acc"] >= 0.98
    printed = capsys.readouterr().out
    assert "test accuracy" in printed and "epoch train loss" in printed
    # the saved weights are the best epoch's and load into a fresh model
    state = mt.load(tmp_path / "best_model.npz")
    model = train_cnn.DigitNet(8)
    model.load_state_dict(state)
    assert (tmp_path / "curves.png").stat().st_size > 10_000
    digits = mt.datasets.load_digits()
    _, _, test = digits.split((0.7, 0.15, 0.15), seed=0)
    model.eval()
    with mt.no_grad():
        images, labels = test.tensors
        accuracy = (model(images).argmax(dim=1) == labels).float().mean().item()
    assert accuracy == pytest.approx(result["test_acc"])


def test_same_seed_gives_the_same_numbers(tmp_path) -> None:
    runs = [train_cnn.main(["--epochs", "2", "--no-progress", "--out", str(tmp_path / str(k))])
            for k in range(2)]
    assert runs[0]["history"] == runs[1]["history"]
    other = train_cnn.main(["--epochs", "2", "--seed", "1", "--no-progress",
                            "--out", str(tmp_path / "other")])
    assert other["history"]["train_loss"] != runs[0]["history"]["train_loss"]


@pytest.mark.parametrize("optimizer", ["sgd", "adamw"])
def test_flags_augment_batch_norm_and_optimizers_run(tmp_path, optimizer) -> None:
    result = train_cnn.main(["--epochs", "2", "--augment", "--batch-norm", "--optimizer",
                             optimizer, "--batch-size", "64", "--no-progress",
                             "--out", str(tmp_path)])
    assert len(result["history"]["train_loss"]) == 2
    assert result["history"]["train_loss"][1] < result["history"]["train_loss"][0]


def test_mnist_from_idx_files(tmp_path) -> None:
    rng = np.random.default_rng(0)
    for prefix, count in (("train", 120), ("t10k", 40)):
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = (rng.random((count, 28, 28)) * 40).astype(np.uint8)
        images[np.arange(count), labels * 2 + 4, 4:24] = 255  # a label-dependent stroke
        mt.datasets.write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images)
        mt.datasets.write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", labels)
    result = train_cnn.main(["--dataset", "mnist", "--data-dir", str(tmp_path), "--epochs", "3",
                             "--no-progress", "--out", str(tmp_path / "out")])
    assert 0.0 <= result["test_acc"] <= 1.0
    assert len(result["history"]["val_acc"]) <= 3


def test_mnist_without_files_says_what_is_missing(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="train-images"):
        train_cnn.main(["--dataset", "mnist", "--data-dir", str(tmp_path), "--no-progress",
                        "--out", str(tmp_path / "out")])
