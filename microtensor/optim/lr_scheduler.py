"""Learning-rate schedules (``torch.optim.lr_scheduler``).

A scheduler changes ``group["lr"]`` of an optimizer's parameter groups, once per call of
``scheduler.step()`` (usually once per epoch, after ``optimizer.step()``). The conventions are
PyTorch's:

* ``last_epoch`` counts the calls of ``step()``; it is -1 before the first one.
* Constructing a scheduler stores each group's current lr as ``group["initial_lr"]`` (the
  ``base_lrs``) and performs the initial step, which sets ``last_epoch`` to 0 and the lr to its
  value at epoch 0.
* ``step()`` updates the lr *recursively*, from the lr the group has now (the "chainable" form),
  so that two schedulers acting on one optimizer compose by multiplication. Each class also
  gives its value as a function of the epoch (the closed form, in its docstring and in
  ``_get_closed_form_lr``); alone on an optimizer, the two agree up to round-off.
* ``get_last_lr()`` returns the lrs set by the latest step; ``state_dict()`` holds everything
  but the optimizer, as plain numbers, strings and lists.

The usual loop::

    scheduler = StepLR(optimizer, step_size=30, gamma=0.1)
    for epoch in range(100):
        train_one_epoch(model, optimizer)
        scheduler.step()
"""

from __future__ import annotations

import math
import types
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from microtensor.optim.optimizer import Optimizer

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "MultiplicativeLR",
    "StepLR",
    "MultiStepLR",
    "ConstantLR",
    "LinearLR",
    "ExponentialLR",
    "PolynomialLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "SequentialLR",
    "ChainedScheduler",
    "ReduceLROnPlateau",
]


def _current_lrs(optimizer: Optimizer) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


class LRScheduler:
    """Base class of the schedules. A subclass implements ``get_lr()``.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        last_epoch: index of the last epoch done; -1 (the default) starts a new schedule. Other
            values resume one and need ``"initial_lr"`` in every group (restored by
            ``optimizer.load_state_dict``).
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                        f"a schedule with last_epoch={last_epoch}; load the optimizer's state "
                        "dict first, or start the schedule with last_epoch=-1"
                    )
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Reset the step count and take the step that sets the lr of epoch ``last_epoch + 1``."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The lrs for epoch ``last_epoch``, computed from the current ones (used by ``step``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_lr()")

    def get_last_lr(self) -> list[float]:
        """The learning rates set by the most recent ``step()``, one per parameter group."""
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set the new learning rates.

        Call it after ``optimizer.step()``. Passing ``epoch`` (deprecated in PyTorch) jumps to
        that epoch and uses the closed form where the schedule has one.
        """
        self._step_count += 1
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed_form = getattr(self, "_get_closed_form_lr", None)
            values = closed_form() if closed_form is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _current_lrs(self.optimizer)

    def state_dict(self) -> dict[str, Any]:
        """Everything the scheduler knows except the optimizer (numbers, strings, lists)."""
        return {key: _copy_plain(value) for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a state produced by ``state_dict()``."""
        self.__dict__.update({key: _copy_plain(value) for key, value in state_dict.items()})

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self._last_lr})"


def _copy_plain(value: Any) -> Any:
    """A copy of nested lists/dicts so a state dict does not alias the scheduler's lists."""
    if isinstance(value, list):
        return [_copy_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy_plain(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------------------------- multipliers
class LambdaLR(LRScheduler):
    """lr = base_lr · f(epoch), for a function f (or one function per parameter group).

    Args:
        optimizer: the wrapped optimizer.
        lr_lambda: a function of the integer epoch giving a multiplicative factor, or a list of
            such functions, one per parameter group.
        last_epoch: see :class:`LRScheduler`.

    ``state_dict()`` cannot save plain functions or lambdas; for callable objects it saves their
    attributes (``__dict__``), as PyTorch does.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        last_epoch: int = -1,
    ) -> None:
        n_groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != n_groups:
                raise ValueError(f"Expected {n_groups} lr_lambdas, but got {len(lr_lambda)}")
            self.lr_lambdas = list(lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * n_groups
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [
            base_lr * fn(self.last_epoch)
            for fn, base_lr in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]

    def state_dict(self) -> dict[str, Any]:
        state = {
            key: _copy_plain(value)
            for key, value in vars(self).items()
            if key not in ("optimizer", "lr_lambdas")
        }
        # A plain function has nothing to save: its entry is an empty dict.
        state["lr_lambdas"] = [
            {} if _is_plain_function(fn) else dict(vars(fn)) for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved_lambdas = state.pop("lr_lambdas", [])
        super().load_state_dict(state)
        for fn, saved in zip(self.lr_lambdas, saved_lambdas, strict=False):
            if saved:
                fn.__dict__.update(saved)


def _is_plain_function(fn: Any) -> bool:
    return isinstance(fn, types.FunctionType) or not hasattr(fn, "__dict__")


class MultiplicativeLR(LambdaLR):
    """lr ← lr · f(epoch) at every step after the initial one.

    Takes the same arguments as :class:`LambdaLR` (and saves its state the same way); only the
    rule differs: the factor multiplies the *current* lr instead of the initial one.

    Args:
        optimizer: the wrapped optimizer.
        lr_lambda: a function of the epoch giving the factor, or one function per group.
        last_epoch: see :class:`LRScheduler`.
    """

    def get_lr(self) -> list[float]:
        if self.last_epoch > 0:
            return [
                group["lr"] * fn(self.last_epoch)
                for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)
            ]
        return _current_lrs(self.optimizer)


# ---------------------------------------------------------------------------------- step decays
class StepLR(LRScheduler):
    """Decay by ``gamma`` every ``step_size`` epochs: lr = base_lr · γ^⌊epoch / step_size⌋.

    Args:
        optimizer: the wrapped optimizer.
        step_size: period of the decay, in epochs.
        gamma: multiplicative factor (default 0.1).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        if step_size <= 0:
            raise ValueError(f"step_size must be a positive integer, got {step_size}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _current_lrs(self.optimizer)
        return [lr * self.gamma for lr in _current_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        return [
            base_lr * self.gamma ** (self.last_epoch // self.step_size) for base_lr in self.base_lrs
        ]


class MultiStepLR(LRScheduler):
    """Decay by ``gamma`` at each milestone: lr = base_lr · γ^(number of milestones ≤ epoch).

    Args:
        optimizer: the wrapped optimizer.
        milestones: epochs at which to decay; a milestone listed twice decays twice.
        gamma: multiplicative factor (default 0.1).
        last_epoch: see :class:`LRScheduler`.

    ``milestones`` is stored as a sorted list (PyTorch keeps a ``Counter``).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        hits = self.milestones.count(self.last_epoch)
        if hits == 0:
            return _current_lrs(self.optimizer)
        return [lr * self.gamma**hits for lr in _current_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        passed = bisect_right(self.milestones, self.last_epoch)
        return [base_lr * self.gamma**passed for base_lr in self.base_lrs]


class ConstantLR(LRScheduler):
    """lr = base_lr · factor for epochs < total_iters, then base_lr.

    Args:
        optimizer: the wrapped optimizer.
        factor: the factor applied until ``total_iters`` (default 1/3), in [0, 1].
        total_iters: number of epochs with the reduced lr (default 5).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError(f"Constant multiplicative factor must be in [0, 1], got {factor}")
        self.factor = factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self.last_epoch == 0:
            return [lr * self.factor for lr in _current_lrs(self.optimizer)]
        if self.last_epoch != self.total_iters:
            return _current_lrs(self.optimizer)
        return [lr * (1.0 / self.factor) for lr in _current_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        f = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base_lr * f for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Linear warmup (or decay) of the factor from ``start_factor`` to ``end_factor``.

    lr = base_lr · (s + (e − s) · min(epoch, T) / T), with s = start_factor, e = end_factor,
    T = total_iters; constant after T epochs.

    Args:
        optimizer: the wrapped optimizer.
        start_factor: factor at epoch 0, in (0, 1] (default 1/3).
        end_factor: factor from epoch T on, in [0, 1] (default 1).
        total_iters: T (default 5).
        last_epoch: see :class:`LRScheduler`.

    The recursive step multiplies the current lr by the ratio of consecutive factors,
    1 + (e − s) / (T·s + (epoch − 1)·(e − s)).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(
                f"start_factor must be in (0, 1] (it multiplies the lr), got {start_factor}"
            )
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"end_factor must be in [0, 1], got {end_factor}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lrs = _current_lrs(self.optimizer)
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in lrs]
        if self._is_initial or self.last_epoch > self.total_iters:
            return lrs
        s, e, t = self.start_factor, self.end_factor, self.total_iters
        ratio = 1.0 + (e - s) / (t * s + (self.last_epoch - 1) * (e - s))
        return [lr * ratio for lr in lrs]

    def _get_closed_form_lr(self) -> list[float]:
        s, e, t = self.start_factor, self.end_factor, self.total_iters
        f = s + (e - s) * min(t, self.last_epoch) / t
        return [base_lr * f for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Decay by ``gamma`` every epoch: lr = base_lr · γ^epoch.

    Args:
        optimizer: the wrapped optimizer.
        gamma: multiplicative factor per epoch.
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        if self._is_initial:
            return _current_lrs(self.optimizer)
        return [lr * self.gamma for lr in _current_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        return [base_lr * self.gamma**self.last_epoch for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Polynomial decay to zero in ``total_iters`` epochs.

    lr = base_lr · (1 − min(epoch, T) / T)^power, with T = total_iters.

    Args:
        optimizer: the wrapped optimizer.
        total_iters: T, the number of epochs of decay (default 5).
        power: the power of the polynomial (default 1, a linear decay).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(
        self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters = total_iters
        self.power = power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lrs = _current_lrs(self.optimizer)
        if self._is_initial or self.last_epoch > self.total_iters:
            return lrs
        t, n = self.last_epoch, self.total_iters
        factor = ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** self.power
        return [lr * factor for lr in lrs]

    def _get_closed_form_lr(self) -> list[float]:
        t, n = min(self.total_iters, self.last_epoch), self.total_iters
        return [base_lr * (1.0 - t / n) ** self.power for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from base_lr down to ``eta_min`` in ``T_max`` epochs (SGDR without
    restarts; Loshchilov & Hutter, 2017).

    lr = η_min + (base_lr − η_min) · (1 + cos(π · epoch / T_max)) / 2.

    After T_max epochs the lr rises again along the same cosine (period 2·T_max), as in PyTorch.

    Args:
        optimizer: the wrapped optimizer.
        T_max: number of epochs of the half period.
        eta_min: the minimum lr (default 0).
        last_epoch: see :class:`LRScheduler`.

    The recursive step, used by ``step()`` as in PyTorch, is
    lr ← η_min + (lr − η_min) · (1 + cos(π·t/T_max)) / (1 + cos(π·(t−1)/T_max)), except at the
    bottom of the cosine, where that ratio is 0/0 and the lr instead rises by
    (base_lr − η_min) · (1 − cos(π/T_max)) / 2.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lrs = _current_lrs(self.optimizer)
        t, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return lrs
        if self._step_count == 1 and t > 0:
            # Resuming at epoch t: use the closed form.
            return [
                eta_min + (base_lr - eta_min) * (1 + math.cos(t * math.pi / t_max)) / 2
                for base_lr in self.base_lrs
            ]
        if (t - 1 - t_max) % (2 * t_max) == 0:
            return [
                lr + (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
                for base_lr, lr in zip(self.base_lrs, lrs, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * t / t_max)) / (1 + math.cos(math.pi * (t - 1) / t_max))
        return [ratio * (lr - eta_min) + eta_min for lr in lrs]

    def _get_closed_form_lr(self) -> list[float]:
        t, t_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        return [
            eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * t / t_max)) / 2
            for base_lr in self.base_lrs
        ]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing with warm restarts (SGDR; Loshchilov & Hutter, 2017).

    Within a cycle of T_i epochs the lr follows a half cosine from base_lr down to ``eta_min``,
    then jumps back to base_lr (a "warm restart"); each cycle is ``T_mult`` times longer than
    the one before (T_0, T_0·T_mult, T_0·T_mult², ...)::

        lr = η_min + (base_lr − η_min) · (1 + cos(π · T_cur / T_i)) / 2

    where T_cur counts the epochs (possibly fractional) since the last restart.

    Args:
        optimizer: the wrapped optimizer.
        T_0: length of the first cycle, a positive int.
        T_mult: growth factor of the cycle length, an int ≥ 1 (default 1).
        eta_min: the minimum lr (default 0).
        last_epoch: see :class:`LRScheduler`.

    ``step()`` advances one epoch; ``step(epoch)`` jumps to ``epoch``, which may be fractional
    (``scheduler.step(epoch + i / iters_per_epoch)`` inside the batch loop): with T_mult > 1 the
    cycle holding it is the n with T_0·(T_mult^n − 1)/(T_mult − 1) ≤ epoch, n = ⌊log_T_mult(
    epoch·(T_mult − 1)/T_0 + 1)⌋. ``last_epoch`` is then ⌊epoch⌋.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_0: int,
        T_mult: int = 1,
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(
                f"Expected float or int eta_min, but got {eta_min} of type {type(eta_min)}"
            )
        self.T_0 = T_0
        self.T_i = T_0
        self.T_mult = T_mult
        self.eta_min = eta_min
        self.T_cur: float = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        one_plus_cos = 1 + math.cos(math.pi * self.T_cur / self.T_i)
        return [
            self.eta_min + (base_lr - self.eta_min) * one_plus_cos / 2 for base_lr in self.base_lrs
        ]

    def step(self, epoch: float | None = None) -> None:
        """Advance one epoch, or jump to ``epoch`` (fractional values allowed)."""
        self._step_count += 1
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:  # restart; the next cycle is T_mult times longer
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            self._jump_to(epoch)
        self.last_epoch = math.floor(epoch)
        for group, lr in zip(self.optimizer.param_groups, self.get_lr(), strict=True):
            group["lr"] = lr
        self._last_lr = _current_lrs(self.optimizer)

    def _jump_to(self, epoch: float) -> None:
        """Set the cycle length T_i and the position T_cur in it for an absolute ``epoch``."""
        if epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        if epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:
            n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult**n


# ---------------------------------------------------------------------------------- cyclical
def _one_per_group(name: str, optimizer: Optimizer, value: Any) -> list[Any]:
    """``value`` repeated for every parameter group, or checked to have one entry per group."""
    n_groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n_groups:
            raise ValueError(
                f"{name} must have the same length as optimizer.param_groups. "
                f"{name} has {len(value)} values, param_groups has {n_groups}."
            )
        return list(value)
    return [value] * n_groups


def _momentum_kind(optimizer: Optimizer) -> bool:
    """Whether the optimizer's momentum is β₁ of ``betas`` (Adam-like) rather than
    ``momentum`` (SGD, RMSprop); raises if it has neither."""
    if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
        raise ValueError(
            "optimizer must support momentum or beta1 with `cycle_momentum` option enabled "
            f"({type(optimizer).__name__} has neither 'momentum' nor 'betas'; pass "
            "cycle_momentum=False)"
        )
    return "betas" in optimizer.defaults


def _set_momentum(group: dict[str, Any], momentum: float, use_beta1: bool) -> None:
    if use_beta1:
        group["betas"] = (momentum, *group["betas"][1:])
    else:
        group["momentum"] = momentum


def _start_momentum_cycle(
    optimizer: Optimizer, base_momentum: Any, max_momentum: Any, use_beta1: bool
) -> tuple[list[float], list[float]]:
    """Record base/max momentum in every group and start each group at its max momentum."""
    base_momentums = _one_per_group("base_momentum", optimizer, base_momentum)
    max_momentums = _one_per_group("max_momentum", optimizer, max_momentum)
    for group, low, high in zip(optimizer.param_groups, base_momentums, max_momentums, strict=True):
        _set_momentum(group, high, use_beta1)
        group["max_momentum"] = high
        group["base_momentum"] = low
    return base_momentums, max_momentums


class CyclicLR(LRScheduler):
    """Cyclical learning rate (Smith, 2017): the lr goes back and forth between ``base_lr``
    and ``max_lr`` along a triangle, one *step* per batch.

    A cycle is ``step_size_up`` steps up and ``step_size_down`` steps down (total S). At step t::

        c = ⌊1 + t/S⌋                            the cycle, counted from 1
        x = 1 + t/S − c                          position in the cycle, in [0, 1)
        h = x/r if x ≤ r else (x − 1)/(r − 1)    height of the triangle, r = step_size_up/S
        lr = base_lr + (max_lr − base_lr) · h · scale

    with scale = 1 ("triangular"), 1/2^(c−1) ("triangular2": the amplitude halves each cycle),
    γ^t ("exp_range"), or ``scale_fn(c)`` / ``scale_fn(t)`` for a custom function
    (``scale_mode`` "cycle" / "iterations"). With ``cycle_momentum`` the momentum (or Adam's β₁)
    moves the opposite way: momentum = max_m − (max_m − base_m) · h · scale.

    Args:
        optimizer: the wrapped optimizer.
        base_lr: the lower lr, one number or one per group (it replaces the groups' lr).
        max_lr: the upper lr, one number or one per group.
        step_size_up: steps of the rising half (default 2000).
        step_size_down: steps of the falling half (default: ``step_size_up``).
        mode: "triangular", "triangular2" or "exp_range" (ignored if ``scale_fn`` is given).
        gamma: γ of "exp_range" (default 1).
        scale_fn: a custom amplitude function of one argument.
        scale_mode: "cycle" or "iterations", what ``scale_fn`` receives.
        cycle_momentum: cycle the momentum too (default True; needs ``momentum`` or ``betas``).
        base_momentum, max_momentum: the momentum bounds (default 0.8, 0.9).
        last_epoch: see :class:`LRScheduler`.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | Sequence[float],
        max_lr: float | Sequence[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[float], float] | None = None,
        scale_mode: str = "cycle",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.8,
        max_momentum: float | Sequence[float] = 0.9,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("triangular", "triangular2", "exp_range") and scale_fn is None:
            raise ValueError(
                f"mode is invalid and scale_fn is None (mode {mode!r}; use 'triangular', "
                "'triangular2' or 'exp_range', or give a scale_fn)"
            )
        base_lrs = _one_per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs, strict=True):
                group["lr"] = lr
        self.max_lrs = _one_per_group("max_lr", optimizer, max_lr)
        up = float(step_size_up)
        down = float(step_size_down) if step_size_down is not None else up
        self.total_size = up + down
        self.step_ratio = up / self.total_size
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        # The built-in modes fix what the amplitude function receives.
        self.scale_mode = (
            scale_mode
            if scale_fn is not None
            else ("iterations" if mode == "exp_range" else "cycle")
        )
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_kind(optimizer)
            self.base_momentums = _one_per_group("base_momentum", optimizer, base_momentum)
            self.max_momentums = _one_per_group("max_momentum", optimizer, max_momentum)
            if last_epoch == -1:
                _start_momentum_cycle(optimizer, base_momentum, max_momentum, self.use_beta1)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x: float) -> float:
        """The amplitude factor of cycle (or step) ``x``."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            height = x / self.step_ratio
        else:
            height = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [
            base_lr + (max_lr - base_lr) * height * scale
            for base_lr, max_lr in zip(self.base_lrs, self.max_lrs, strict=True)
        ]
        if self.cycle_momentum:
            for group, low, high in zip(
                self.optimizer.param_groups, self.base_momentums, self.max_momentums, strict=True
            ):
                _set_momentum(group, high - (high - low) * height * scale, self.use_beta1)
        return lrs

    def state_dict(self) -> dict[str, Any]:
        """As the base class; a custom ``scale_fn`` is saved as its attributes (``None`` for a
        plain function), as PyTorch does."""
        state = {
            key: _copy_plain(value)
            for key, value in vars(self).items()
            if key not in ("optimizer", "_scale_fn_custom")
        }
        fn = self._scale_fn_custom
        state["_scale_fn_custom"] = None if fn is None or _is_plain_function(fn) else dict(vars(fn))
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        saved_fn = state.pop("_scale_fn_custom", None)
        super().load_state_dict(state)
        if saved_fn is not None and self._scale_fn_custom is not None:
            self._scale_fn_custom.__dict__.update(saved_fn)


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2019): warm up to ``max_lr``, then anneal far below
    the start, in ``total_steps`` steps (one per batch).

    Phases (two, or three with ``three_phase``), each annealing from a start to an end value
    along a half cosine, end + (start − end)·(1 + cos(π·p))/2, or a line (``anneal_strategy``),
    p going from 0 to 1 over the phase::

        initial_lr = max_lr / div_factor,   min_lr = initial_lr / final_div_factor
        two phases:   initial_lr → max_lr (steps 0 … pct_start·N − 1), max_lr → min_lr (… N − 1)
        three phases: initial_lr → max_lr, max_lr → initial_lr (… 2·pct_start·N − 2),
                      initial_lr → min_lr (… N − 1)

    With ``cycle_momentum`` the momentum (or Adam's β₁) moves the opposite way, between
    ``max_momentum`` and ``base_momentum`` (and stays at max in the third phase).

    Args:
        optimizer: the wrapped optimizer.
        max_lr: the peak lr, one number or one per group.
        total_steps: N; or give ``epochs`` and ``steps_per_epoch`` (N = their product).
        pct_start: the fraction of N spent warming up (default 0.3), a float in [0, 1].
        anneal_strategy: "cos" (default) or "linear".
        cycle_momentum: cycle the momentum (default True).
        base_momentum, max_momentum: momentum bounds (default 0.85, 0.95).
        div_factor: initial_lr = max_lr / div_factor (default 25).
        final_div_factor: min_lr = initial_lr / final_div_factor (default 1e4).
        three_phase: use the three-phase schedule (default False).
        last_epoch: see :class:`LRScheduler`.

    Stepping more than N times raises ``ValueError``, as in PyTorch.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        max_lr: float | Sequence[float],
        total_steps: int | None = None,
        epochs: int | None = None,
        steps_per_epoch: int | None = None,
        pct_start: float = 0.3,
        anneal_strategy: str = "cos",
        cycle_momentum: bool = True,
        base_momentum: float | Sequence[float] = 0.85,
        max_momentum: float | Sequence[float] = 0.95,
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.total_steps = _one_cycle_total_steps(total_steps, epochs, steps_per_epoch)
        self._schedule_phases = _one_cycle_phases(pct_start, self.total_steps, three_phase)
        if not isinstance(pct_start, float) or pct_start < 0 or pct_start > 1:
            raise ValueError(f"Expected float between 0 and 1 pct_start, but got {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._anneal_func_type = anneal_strategy
        max_lrs = _one_per_group("max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, peak in zip(optimizer.param_groups, max_lrs, strict=True):
                group["initial_lr"] = peak / div_factor
                group["max_lr"] = peak
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_kind(optimizer)
            if last_epoch == -1:
                _start_momentum_cycle(optimizer, base_momentum, max_momentum, self.use_beta1)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self._anneal_func_type == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(
                f"Tried to step {step} times. The specified number of total steps is "
                f"{self.total_steps}"
            )
        lrs = []
        for group in self.optimizer.param_groups:
            phase, pct = self._phase_of(step)
            lrs.append(self._anneal(group[phase["start_lr"]], group[phase["end_lr"]], pct))
            if self.cycle_momentum:
                momentum = self._anneal(
                    group[phase["start_momentum"]], group[phase["end_momentum"]], pct
                )
                _set_momentum(group, momentum, self.use_beta1)
        return lrs

    def _phase_of(self, step: int) -> tuple[dict[str, Any], float]:
        """The phase holding ``step`` and the fraction of it done (the last phase runs on)."""
        start_step = 0.0
        last = len(self._schedule_phases) - 1
        for i, phase in enumerate(self._schedule_phases):
            end_step = phase["end_step"]
            if step <= end_step or i == last:
                return phase, (step - start_step) / (end_step - start_step)
            start_step = end_step
        raise AssertionError("unreachable: the last phase always matches")


def _one_cycle_total_steps(
    total_steps: int | None, epochs: int | None, steps_per_epoch: int | None
) -> int:
    if total_steps is not None:
        if not isinstance(total_steps, int) or total_steps <= 0:
            raise ValueError(f"Expected positive integer total_steps, but got {total_steps}")
        return total_steps
    if epochs is None or steps_per_epoch is None:
        raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"Expected positive integer epochs, but got {epochs}")
    if not isinstance(steps_per_epoch, int) or steps_per_epoch <= 0:
        raise ValueError(f"Expected positive integer steps_per_epoch, but got {steps_per_epoch}")
    return epochs * steps_per_epoch


def _one_cycle_phases(pct_start: float, total_steps: int, three_phase: bool) -> list[dict]:
    """The phases of the 1cycle policy: the step each ends at and the group keys it goes
    between (``initial_lr``, ``max_lr``, ``min_lr``; ``max_momentum``, ``base_momentum``)."""
    up_end = float(pct_start * total_steps) - 1

    def phase(end_step: float, lrs: tuple[str, str], momenta: tuple[str, str]) -> dict:
        return {
            "end_step": end_step,
            "start_lr": lrs[0],
            "end_lr": lrs[1],
            "start_momentum": momenta[0],
            "end_momentum": momenta[1],
        }

    warmup = phase(up_end, ("initial_lr", "max_lr"), ("max_momentum", "base_momentum"))
    if not three_phase:
        return [
            warmup,
            phase(total_steps - 1, ("max_lr", "min_lr"), ("base_momentum", "max_momentum")),
        ]
    return [
        warmup,
        phase(
            float(2 * pct_start * total_steps) - 2,
            ("max_lr", "initial_lr"),
            ("base_momentum", "max_momentum"),
        ),
        phase(total_steps - 1, ("initial_lr", "min_lr"), ("max_momentum", "max_momentum")),
    ]


# ---------------------------------------------------------------------------------- combinators
def _undo_initial_step(scheduler: Any) -> None:
    """Move a scheduler (and those it contains) back by one epoch."""
    if hasattr(scheduler, "_schedulers"):
        for inner in scheduler._schedulers:
            _undo_initial_step(inner)
    elif hasattr(scheduler, "last_epoch"):
        scheduler.last_epoch -= 1


class SequentialLR(LRScheduler):
    """Run schedulers one after the other, switching at the given milestones.

    The usual use is a warmup followed by a decay::

        warmup = LinearLR(opt, start_factor=0.1, total_iters=5)
        decay = CosineAnnealingLR(opt, T_max=95)
        scheduler = SequentialLR(opt, [warmup, decay], milestones=[5])

    Args:
        optimizer: the optimizer all the schedulers act on.
        schedulers: the schedulers, in order (not ``ReduceLROnPlateau``).
        milestones: the epochs at which the next scheduler takes over (one fewer than
            schedulers).
        last_epoch: see :class:`LRScheduler`.

    As in PyTorch: building it resets each group's lr to ``initial_lr``, moves every scheduler
    back by the initial step its own constructor took, and re-runs the first scheduler's initial
    step. At a milestone the next scheduler starts at its own epoch 0 (computed from its closed
    form); between milestones the active scheduler takes ordinary steps.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: Sequence[LRScheduler],
        milestones: Sequence[int],
        last_epoch: int = -1,
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError("SequentialLR expects at least one scheduler, but got none")
        for i, scheduler in enumerate(schedulers):
            if not hasattr(scheduler, "optimizer"):
                raise TypeError(f"SequentialLR: the scheduler at index {i} has no optimizer")
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(
                    "SequentialLR does not support ReduceLROnPlateau (its step() needs the "
                    f"metric), but got one at index {i}"
                )
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    "SequentialLR expects all schedulers to belong to the same optimizer, but "
                    f"the scheduler {type(scheduler).__name__} at index {i} has another one"
                )
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                "SequentialLR expects one milestone fewer than schedulers, but got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones"
            )
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer

        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_initial_step(self)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch, handing over to the next scheduler at a milestone."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler.step(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self) -> dict[str, Any]:
        state = {
            key: _copy_plain(value)
            for key, value in vars(self).items()
            if key not in ("optimizer", "_schedulers")
        }
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        state = dict(state_dict)
        inner_states = state.pop("_schedulers")
        self.__dict__.update({key: _copy_plain(value) for key, value in state.items()})
        for scheduler, inner in zip(self._schedulers, inner_states, strict=True):
            scheduler.load_state_dict(inner)


class ChainedScheduler(LRScheduler):
    """Step several schedulers together; their (recursive) effects multiply.

    Args:
        schedulers: schedulers of one optimizer, stepped in order at every ``step()``.
        optimizer: the optimizer (default: that of the first scheduler).
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler expects at least one scheduler")
        optimizer = optimizer if optimizer is not None else schedulers[0].optimizer
        for i, scheduler in enumerate(schedulers):
            if isinstance(scheduler, ReduceLROnPlateau):
                raise ValueError(f"ChainedScheduler does not support ReduceLROnPlateau (index {i})")
            if scheduler.optimizer is not optimizer:
                raise ValueError(
                    f"ChainedScheduler: the scheduler at index {i} belongs to another optimizer"
                )
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = _current_lrs(optimizer)

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler once."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _current_lrs(self.optimizer)

    state_dict = SequentialLR.state_dict
    load_state_dict = SequentialLR.load_state_dict


# ---------------------------------------------------------------------------------- on plateau
class ReduceLROnPlateau(LRScheduler):
    """Reduce the lr by ``factor`` when a metric has stopped improving for ``patience`` epochs.

    ``step(metric)`` is called with the validation loss (mode "min") or accuracy (mode "max").
    An epoch improves on the best value so far when, for mode "min", it is below
    best·(1 − threshold) (``threshold_mode="rel"``) or best − threshold ("abs"); for "max",
    above best·(1 + threshold) or best + threshold. After more than ``patience`` epochs without
    improvement, every group's lr becomes max(lr·factor, min_lr) (changes smaller than ``eps``
    are skipped) and ``cooldown`` epochs follow in which bad epochs are not counted.

    Args:
        optimizer: the wrapped optimizer.
        mode: "min" or "max" (default "min").
        factor: multiplicative factor of the reduction, < 1 (default 0.1).
        patience: epochs without improvement tolerated (default 10).
        threshold: minimal significant improvement (default 1e-4).
        threshold_mode: "rel" or "abs" (default "rel").
        cooldown: epochs to wait after a reduction (default 0).
        min_lr: lower bound of the lr, a number or one per group (default 0).
        eps: minimal change of the lr that is applied (default 1e-8).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | Sequence[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1.0, got {factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("min", "max"):
            raise ValueError(f"mode {mode!r} is unknown; use 'min' or 'max'")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold mode {threshold_mode!r} is unknown; use 'rel' or 'abs'")
        self.optimizer = optimizer
        self.factor = factor
        n_groups = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n_groups:
                raise ValueError(f"expected {n_groups} min_lrs, got {len(min_lr)}")
            self.default_min_lr: float | None = None
            self.min_lrs = [float(m) for m in min_lr]
        else:
            self.default_min_lr = float(min_lr)
            self.min_lrs = [float(min_lr)] * n_groups
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = _current_lrs(optimizer)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, current: float, best: float) -> bool:
        """Does ``current`` improve significantly on ``best``?"""
        if self.mode == "min" and self.threshold_mode == "rel":
            return current < best * (1.0 - self.threshold)
        if self.mode == "min":
            return current < best - self.threshold
        if self.threshold_mode == "rel":
            return current > best * (1.0 + self.threshold)
        return current > best + self.threshold

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Record this epoch's metric and reduce the lr if it has plateaued."""
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch

        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1

        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during the cooldown do not count

        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0

        self._last_lr = _current_lrs(self.optimizer)

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"the optimizer has {len(groups)} parameter groups but ReduceLROnPlateau "
                    f"was given {len(self.min_lrs)} min_lrs (was a group added?); set "
                    "scheduler.min_lrs to one value per group"
                )
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs, strict=True):
            old_lr = float(group["lr"])
            new_lr = max(old_lr * self.factor, min_lr)
            if old_lr - new_lr > self.eps:
                group["lr"] = new_lr
