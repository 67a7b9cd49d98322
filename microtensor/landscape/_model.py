"""Helpers shared by the landscape tools: a model's tensors, saving and restoring them, and the
average loss over a batch or a loader. Only PyTorch's ``nn.Module`` API is assumed
(``parameters()``, optionally ``named_parameters()``, ``buffers()``, ``training``, ``train()``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from microtensor.autograd.grad_mode import no_grad
from microtensor.tensor import Tensor

LossFn = Callable[[Tensor, Tensor], Tensor]


def parameters(model: Any) -> list[Tensor]:
    """The model's parameters, in order (a Module, or an iterable of tensors)."""
    params = list(model.parameters()) if hasattr(model, "parameters") else list(model)
    if not params:
        raise ValueError("the model has no parameters")
    return params


def named_parameters(model: Any) -> list[tuple[str, Tensor]]:
    if hasattr(model, "named_parameters"):
        return list(model.named_parameters())
    return [(str(i), p) for i, p in enumerate(parameters(model))]


def _buffers(model: Any) -> list[Tensor]:
    if hasattr(model, "buffers"):
        return [b for b in model.buffers() if isinstance(b, Tensor)]
    return []


def write(tensor: Tensor, array: np.ndarray) -> None:
    """Set a tensor's values in place (as ``with no_grad(): t.copy_(array)`` would)."""
    if tensor._data.flags.writeable:
        np.copyto(tensor._data, array, casting="unsafe")
    else:
        tensor._data = np.array(array, dtype=tensor.dtype)
    tensor._bump_version()


@contextmanager
def preserved(model: Any, mode: bool | None = None) -> Iterator[None]:
    """Run a block that may change the model's parameters, buffers (BatchNorm statistics),
    gradients or train/eval mode, and put them all back afterwards, even on an exception.

    ``mode``: switch to train (True) or eval (False) mode for the block (None: leave it).
    """
    params, buffers = parameters(model), _buffers(model)
    saved = [t._data.copy() for t in params + buffers]
    grads = [None if p.grad is None else Tensor._make(p.grad._data.copy()) for p in params]
    training = getattr(model, "training", None)
    if mode is not None and hasattr(model, "train"):
        model.train(mode)
    try:
        yield
    finally:
        for tensor, array in zip(params + buffers, saved):
            write(tensor, array)
        for p, g in zip(params, grads):
            p.grad = g
        if training is not None and hasattr(model, "train"):
            model.train(training)


def _as_tensor(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return Tensor._make(value)
    return value


def is_single_batch(data: Any) -> bool:
    return (isinstance(data, tuple | list) and len(data) == 2
            and isinstance(data[0], Tensor | np.ndarray))


def batches(data: Any) -> Iterator[tuple[Any, Any]]:
    """Yield (inputs, targets): once for a pair, else every batch of the loader."""
    if is_single_batch(data):
        yield _as_tensor(data[0]), _as_tensor(data[1])
        return
    for batch in data:
        inputs, targets = batch
        yield _as_tensor(inputs), _as_tensor(targets)


def average_loss(model: Any, loss_fn: LossFn, data: Any) -> float:
    """The loss over ``data``: loss_fn(model(x), y) for a pair; for a loader, the batch losses
    averaged with weights = batch sizes (exact for a mean-reduced loss)."""
    total, count = 0.0, 0
    with no_grad():
        for inputs, targets in batches(data):
            size = len(inputs)
            total += float(loss_fn(model(inputs), targets).item()) * size
            count += size
    if count == 0:
        raise ValueError("the data has no batches")
    return total / count
