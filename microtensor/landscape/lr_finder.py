"""The learning-rate range test ("LR finder"; Smith 2017, popularised by fastai).

Train for a few hundred mini-batches while raising the learning rate exponentially,

    lr_i = start_lr · (end_lr / start_lr)^(i / (steps − 1)),

and record the loss. Too small a learning rate changes nothing (flat curve); a good one makes
the loss fall fastest; too large a one makes it blow up (the step overshoots the curvature,
lr > 2/λ_max). A common pick is the lr where the (smoothed) loss falls most steeply against
log(lr), or about a tenth of the lr at the minimum of the curve.

The noisy mini-batch losses are smoothed with a bias-corrected exponential moving average,
avg ← (1 − s)·avg + s·loss, reported as avg / (1 − (1 − s)^(i+1)) (as Adam corrects its moments).
The test stops early once the smoothed loss exceeds ``diverge_factor`` × its best value. The
model (parameters, buffers, gradients, train/eval mode) is restored afterwards: the test is a
measurement, not training.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from microtensor.landscape._model import LossFn, batches, parameters, preserved

__all__ = ["LRFinderResult", "lr_range_test"]


@dataclass
class LRFinderResult:
    """What :func:`lr_range_test` recorded.

    Attributes:
        lrs: the learning rate of each step.
        losses: the smoothed losses.
        raw_losses: the mini-batch losses before smoothing.
        diverged: True if the test stopped early because the loss blew up.
    """

    lrs: np.ndarray
    losses: np.ndarray
    raw_losses: np.ndarray
    diverged: bool

    @property
    def best_lr(self) -> float:
        """The lr at the lowest smoothed loss (usually too large to train with: divide by ~10)."""
        return float(self.lrs[int(np.nanargmin(self.losses))])

    def suggestion(self, skip_start: int | None = None, skip_end: int | None = None,
                   window: int | None = None) -> float:
        """The lr where the smoothed loss decreases fastest per decade of lr.

        The slope d loss / d log10(lr) at each point is the least-squares slope of the points
        within ``window`` steps on either side (default: 5% of the steps), which keeps
        mini-batch noise from picking a spurious dip; the first ``skip_start`` points
        (default 10%: the moving average is still warming up) and the last ``skip_end``
        (default 5%: the blow-up) are ignored.
        """
        n = len(self.lrs)
        if n < 3:
            raise ValueError("suggestion: need at least 3 recorded steps")
        lo = max(n // 10, 1) if skip_start is None else skip_start
        hi = n - (max(n // 20, 1) if skip_end is None else skip_end)
        if hi - lo < 3:
            lo, hi = 0, n
        half = max(n // 20, 1) if window is None else max(window, 1)
        logs, values = np.log10(self.lrs), self.losses
        slopes = []
        for i in range(lo, hi):
            a, b = max(i - half, 0), min(i + half + 1, n)
            x, y = logs[a:b], values[a:b]
            slopes.append(np.polyfit(x, y, 1)[0] if np.all(np.isfinite(y)) else np.nan)
        return float(self.lrs[lo + int(np.nanargmin(slopes))])


def lr_range_test(model: Any, loss_fn: LossFn, loader: Any,
                  optimizer_cls: Callable[..., Any], start_lr: float = 1e-7,
                  end_lr: float = 10.0, steps: int = 100, smooth: float = 0.05,
                  diverge_factor: float = 4.0, **opt_kwargs: Any) -> LRFinderResult:
    """Sweep the learning rate exponentially from ``start_lr`` to ``end_lr`` over ``steps``
    mini-batches (cycling through ``loader`` as often as needed), recording the loss.

    Args:
        model: the network (trained in train mode during the test, then restored).
        loss_fn: ``loss_fn(model(inputs), targets)`` → scalar.
        loader: a DataLoader (or any iterable of (inputs, targets)), or a single
            (inputs, targets) pair used for every step.
        optimizer_cls: e.g. ``mt.optim.SGD``; built on ``model.parameters()`` with
            ``lr=start_lr`` and ``**opt_kwargs`` (momentum etc.), and thrown away afterwards.
        start_lr, end_lr, steps: the sweep.
        smooth: the weight s of the newest loss in the moving average (1: no smoothing).
        diverge_factor: stop once smoothed loss > diverge_factor × best smoothed loss
            (or it is not finite); this assumes a non-negative loss, as usual.

    Returns:
        An :class:`LRFinderResult`; ``result.suggestion()`` proposes a learning rate.
    """
    if not 0 < start_lr < end_lr:
        raise ValueError(f"lr_range_test: need 0 < start_lr < end_lr, got {start_lr}, {end_lr}")
    if steps < 2:
        raise ValueError(f"lr_range_test: steps must be >= 2, got {steps}")
    if not 0 < smooth <= 1:
        raise ValueError(f"lr_range_test: smooth must be in (0, 1], got {smooth}")
    schedule = start_lr * (end_lr / start_lr) ** (np.arange(steps) / (steps - 1))
    lrs: list[float] = []
    raw: list[float] = []
    smoothed: list[float] = []
    diverged = False

    def endless() -> Any:
        while True:
            empty = True
            for batch in batches(loader):
                empty = False
                yield batch
            if empty:
                raise ValueError("lr_range_test: the loader has no batches")

    with preserved(model, mode=True), np.errstate(over="ignore", invalid="ignore"):
        optimizer = optimizer_cls(parameters(model), lr=start_lr, **opt_kwargs)
        stream = endless()
        avg, best = 0.0, float("inf")
        for i, lr in enumerate(schedule):
            for group in optimizer.param_groups:
                group["lr"] = float(lr)
            inputs, targets = next(stream)
            optimizer.zero_grad()
            loss = loss_fn(model(inputs), targets)
            value = float(loss.item())
            lrs.append(float(lr))
            raw.append(value)
            avg = (1 - smooth) * avg + smooth * value
            current = avg / (1 - (1 - smooth) ** (i + 1))
            smoothed.append(current)
            if not np.isfinite(current) or (i > 0 and current > diverge_factor * best):
                diverged = True
                break
            best = min(best, current)
            loss.backward()
            optimizer.step()
    return LRFinderResult(np.array(lrs), np.array(smoothed), np.array(raw), diverged)
