"""Early stopping: end training when a validation metric has stopped improving.

    stopper = EarlyStopping(patience=5)
    for epoch in range(100):
        train_one_epoch(model)
        if stopper.step(validation_loss(model), model):
            break                    # the best weights are already back in ``model``
    stopper.restore(model)           # also when the loop ran to the end

Not part of PyTorch (Keras and Lightning have the same idea); it works with any training loop
and any model that has ``state_dict()`` and ``load_state_dict()``.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Protocol

import numpy as np

from microtensor.tensor import Tensor

__all__ = ["EarlyStopping"]


class _HasStateDict(Protocol):
    def state_dict(self) -> Any: ...

    def load_state_dict(self, state_dict: Any) -> Any: ...


def _copy_state(state: Any) -> Any:
    """A deep copy of a state dict: tensors and arrays get their own memory."""
    if isinstance(state, Tensor):
        return Tensor._make(state._data.copy())
    if isinstance(state, np.ndarray):
        return state.copy()
    if isinstance(state, dict):
        return type(state)((key, _copy_state(value)) for key, value in state.items())
    if isinstance(state, (list, tuple)):
        return type(state)(_copy_state(value) for value in state)
    return copy.deepcopy(state)


def _to_float(metric: Any) -> float:
    if isinstance(metric, Tensor):
        if metric.numel() != 1:
            raise ValueError(
                f"EarlyStopping: the metric must be a single number, got a tensor of shape "
                f"{tuple(metric.shape)}"
            )
        return float(metric._data.reshape(()))
    return float(metric)


class EarlyStopping:
    """Stop when ``metric`` has not improved for ``patience`` epochs in a row.

    Args:
        patience: how many epochs without improvement to accept; ``step`` returns True at the
            ``patience``-th one (``patience=0`` stops at the first epoch that does not improve).
        min_delta: an epoch improves only if it beats the best by more than this (>= 0).
        mode: ``"min"`` for metrics to minimise (loss), ``"max"`` for ones to maximise
            (accuracy).
        restore_best: keep a copy of the model's ``state_dict()`` from the best epoch (when
            ``step`` gets a model) and load it back into the model when ``step`` decides to stop.

    Attributes:
        best: the best metric so far (``inf`` / ``-inf`` before the first step).
        best_epoch: the 0-based index of the ``step`` call that gave ``best`` (None before).
        counter: epochs since the last improvement.
        should_stop: True once ``step`` has returned True.
        best_state: the copied ``state_dict`` of the best epoch, or None.

    A NaN metric never counts as an improvement.
    """

    def __init__(
        self,
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "min",
        restore_best: bool = True,
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        self.patience = patience
        self.min_delta = float(min_delta)
        self.mode = mode
        self.restore_best = bool(restore_best)
        self.reset()

    def reset(self) -> None:
        """Forget everything seen so far (start a new training run)."""
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.counter = 0
        self.epoch = 0
        self.should_stop = False
        self.best_state: Any = None

    def is_improvement(self, metric: float) -> bool:
        """Does ``metric`` beat the best so far by more than ``min_delta``?"""
        if self.mode == "min":
            return metric < self.best - self.min_delta
        return metric > self.best + self.min_delta

    def step(self, metric: Any, model: _HasStateDict | None = None) -> bool:
        """Record this epoch's ``metric`` (a number or one-element tensor); True means stop.

        If ``model`` is given and ``restore_best`` is on, its weights are copied when the
        metric improves, and loaded back into it when this call returns True.
        """
        value = _to_float(metric)
        if self.is_improvement(value):
            self.best = value
            self.best_epoch = self.epoch
            self.counter = 0
            if self.restore_best and model is not None:
                self.best_state = _copy_state(model.state_dict())
        else:
            self.counter += 1
            if self.counter >= self.patience:
                self.should_stop = True
        self.epoch += 1
        if self.should_stop and self.restore_best and model is not None:
            self.restore(model)
        return self.should_stop

    def restore(self, model: _HasStateDict) -> None:
        """Load the weights of the best epoch into ``model``."""
        if self.best_state is None:
            raise RuntimeError(
                "EarlyStopping.restore: no weights saved yet; pass the model to step(metric, "
                "model) with restore_best=True so the best epoch's weights are kept"
            )
        model.load_state_dict(_copy_state(self.best_state))

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(patience={self.patience}, min_delta={self.min_delta}, "
            f"mode={self.mode!r}, best={self.best}, best_epoch={self.best_epoch}, "
            f"counter={self.counter})"
        )
