"""Training does not leak: a finished step's graph is garbage, and memory stays flat."""

from __future__ import annotations

import gc
import sys
import weakref
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt
from microtensor import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "examples"))
from train_cnn import DigitNet


def _batch(seed: int, size: int = 16) -> tuple[mt.Tensor, mt.Tensor]:
    rng = np.random.default_rng(seed)
    images = rng.random((size, 1, 8, 8), dtype=np.float32)
    labels = rng.integers(0, 10, size)
    return mt.tensor(images), mt.tensor(labels)


def test_graph_of_a_finished_step_is_garbage_without_the_cycle_collector() -> None:
    mt.manual_seed(0)
    model = DigitNet(8)
    optimizer = mt.optim.Adam(model.parameters(), lr=1e-3)
    images, labels = _batch(0)
    gc.disable()  # only reference counting: the graph must hold no reference cycles
    try:
        optimizer.zero_grad()
        hidden = model.features(images)
        loss = nn.functional.cross_entropy(model.classifier(hidden), labels)
        hidden_ref, loss_ref = weakref.ref(hidden), weakref.ref(loss)
        node_inputs = loss.grad_fn.inputs
        assert any(isinstance(x, mt.Tensor) for x in node_inputs)
        del hidden, node_inputs
        assert hidden_ref() is not None  # the graph keeps the activation alive until ...
        loss.backward()
        optimizer.step()
        del loss
        assert loss_ref() is None  # ... the step is over and the loss is dropped
        assert hidden_ref() is None
    finally:
        gc.enable()


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    import resource

    return pages * resource.getpagesize()


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs Linux /proc")
def test_two_thousand_cnn_steps_keep_memory_flat() -> None:
    mt.manual_seed(0)
    model = DigitNet(8)
    optimizer = mt.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    batches = [_batch(seed) for seed in range(8)]

    def train(steps: int) -> None:
        for step in range(steps):
            images, labels = batches[step % len(batches)]
            optimizer.zero_grad()
            loss_fn(model(images), labels).backward()
            optimizer.step()

    train(200)  # warm up: optimizer state, allocator pools
    gc.collect()
    before = _resident_bytes()
    train(1800)
    gc.collect()
    growth = _resident_bytes() - before
    # one step's graph is ~100 KB; a leak of one graph per step would add ~180 MB
    assert growth < 8 * 2**20, f"resident memory grew by {growth / 2**20:.1f} MiB"
