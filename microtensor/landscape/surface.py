"""Looking at a network's loss surface: random slices and straight-line interpolation.

A network's loss L(θ) lives in millions of dimensions; we can only look at low-dimensional
slices through it. Pick one or two directions δ, η in parameter space and plot

    1-D:  α ↦ L(θ* + α δ)            2-D:  (α, β) ↦ L(θ* + α δ + β η).

**Filter normalisation** (Li, Xu, Taylor, Studer & Goldstein, *Visualizing the Loss Landscape of
Neural Nets*, NeurIPS 2018). A network with ReLUs is scale invariant layer by layer: multiply a
layer's weights by 10 and divide the next layer's by 10 and nothing changes, but a fixed-size
random step is then 10× smaller relative to those weights and the surface looks 10× flatter.
To compare slices fairly, each direction is drawn from N(0, I) and then every *filter* of it (a
row of a Linear weight = one output neuron, or one output channel of a Conv2d weight: index 0
of the tensor) is rescaled to the norm of the matching filter of the weights:

    δ_{i,j} ← δ_{i,j} / ‖δ_{i,j}‖ · ‖θ_{i,j}‖          (layer i, filter j).

One-dimensional tensors (biases, BatchNorm's weight and bias) get a zero direction by default
(``ignore_1d=True``, the paper's "biasbn" setting): they stay at their trained values. Buffers
(BatchNorm running statistics) are never moved. Random directions in high dimension are nearly
orthogonal, so two independent draws serve as the two axes of a 2-D slice.

**Linear interpolation** (Goodfellow, Vinyals & Saxe 2015) evaluates the loss along the segment
θ(α) = (1 − α) θ_a + α θ_b between two trained networks (or initial and final weights): a bump in
the middle is a barrier between two minima; a monotone curve says the segment stays low.

The losses are measured in eval mode (dropout off, BatchNorm on running statistics) without
recording a graph, and the model's parameters, buffers, gradients and mode are restored
afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from microtensor.landscape._model import (
    LossFn,
    average_loss,
    named_parameters,
    parameters,
    preserved,
    write,
)

__all__ = ["Interpolation", "Landscape", "interpolate", "loss_landscape", "random_direction"]

_NORMALIZATIONS = ("filter", "layer", "none")


def random_direction(model: Any, rng: np.random.Generator | int = 0,
                     normalization: str = "filter", ignore_1d: bool = True) -> list[np.ndarray]:
    """One random direction in parameter space, one float64 array per parameter.

    Args:
        model: the network (its ``parameters()`` give the shapes and the norms).
        rng: a NumPy generator, or a seed.
        normalization: ``"filter"`` (Li et al.: each filter, i.e. each slice along dim 0, gets
            the norm of the matching weight filter), ``"layer"`` (each whole tensor gets the
            norm of its weight tensor) or ``"none"`` (raw N(0, I) entries).
        ignore_1d: give 1-D parameters (biases, BatchNorm scale and shift) a zero direction.
            If False, a 1-D tensor is treated as a single filter.
    """
    if normalization not in _NORMALIZATIONS:
        raise ValueError(
            f"loss_landscape: normalization must be one of {_NORMALIZATIONS}, got "
            f"{normalization!r}"
        )
    if isinstance(rng, int):
        rng = np.random.default_rng(rng)
    direction = []
    for _, p in named_parameters(model):
        theta = np.asarray(p._data, dtype=np.float64)
        d = rng.standard_normal(theta.shape)
        if theta.ndim <= 1 and ignore_1d:
            d[...] = 0.0
        elif normalization == "filter" and theta.ndim >= 2:
            axes = tuple(range(1, theta.ndim))
            scale = (np.sqrt((theta**2).sum(axis=axes, keepdims=True))
                     / (np.sqrt((d**2).sum(axis=axes, keepdims=True)) + 1e-10))
            d *= scale
        elif normalization != "none":  # "layer", or a 1-D tensor under "filter"
            d *= np.linalg.norm(theta) / (np.linalg.norm(d) + 1e-10)
        direction.append(d)
    return direction


def _grid(steps: int, span: float) -> np.ndarray:
    """``steps`` points from −span to span; for odd ``steps`` the middle one is exactly 0."""
    if steps < 2:
        raise ValueError(f"loss_landscape: steps must be >= 2, got {steps}")
    half = (steps - 1) / 2
    return span * (np.arange(steps) - half) / half


@dataclass
class Landscape:
    """A 1-D or 2-D slice of the loss.

    Attributes:
        alphas: (steps,) coordinates along the first direction.
        betas: (steps,) coordinates along the second direction (None for 1-D).
        losses: (steps,) for 1-D; (steps, steps) for 2-D, ``losses[i, j]`` at
            (alphas[i], betas[j]).
        center_loss: the loss at the model's own parameters (α = β = 0).
        directions: the direction(s) used, each a list of arrays shaped like the parameters.
    """

    alphas: np.ndarray
    betas: np.ndarray | None
    losses: np.ndarray
    center_loss: float
    directions: list[list[np.ndarray]]

    @property
    def ndim(self) -> int:
        return 1 if self.betas is None else 2


def loss_landscape(model: Any, loss_fn: LossFn, data: Any, directions: int = 1,
                   steps: int = 21, span: float = 1.0, seed: int = 0,
                   normalization: str = "filter", ignore_1d: bool = True) -> Landscape:
    """The loss along one or two random (filter-normalised) directions through the model.

    Args:
        model: the network (an ``nn.Module``), at the point to look around.
        loss_fn: ``loss_fn(model(inputs), targets)`` → scalar, e.g. ``nn.CrossEntropyLoss()``.
        data: an ``(inputs, targets)`` pair, or a DataLoader (the loss is then averaged over
            its batches, weighted by batch size).
        directions: 1 (a curve) or 2 (a surface).
        steps: points per axis (odd, so that the model itself is in the middle).
        span: the axes run from −span to span, in units of the (normalised) direction.
        seed: seeds the random directions.
        normalization, ignore_1d: see :func:`random_direction`.

    Returns:
        A :class:`Landscape`. The model is restored afterwards (see the module docstring).
    """
    if directions not in (1, 2):
        raise ValueError(f"loss_landscape: directions must be 1 or 2, got {directions}")
    params = parameters(model)
    rng = np.random.default_rng(seed)
    dirs = [random_direction(model, rng, normalization, ignore_1d) for _ in range(directions)]
    alphas = _grid(steps, span)
    betas = _grid(steps, span) if directions == 2 else None
    with preserved(model, mode=False):
        origin = [np.array(p._data, dtype=np.float64) for p in params]

        def loss_at(a: float, b: float) -> float:
            for k, p in enumerate(params):
                value = origin[k] + a * dirs[0][k]
                if b != 0.0:
                    value = value + b * dirs[1][k]
                write(p, value)
            return average_loss(model, loss_fn, data)

        if betas is None:
            losses = np.array([loss_at(a, 0.0) for a in alphas])
        else:
            losses = np.array([[loss_at(a, b) for b in betas] for a in alphas])
        for p, value in zip(params, origin):
            write(p, value)
        center = average_loss(model, loss_fn, data)
    return Landscape(alphas, betas, losses, center, dirs)


@dataclass
class Interpolation:
    """Losses along θ(α) = (1 − α) θ_a + α θ_b (α = 0: model_a, α = 1: model_b)."""

    alphas: np.ndarray
    losses: np.ndarray

    @property
    def barrier(self) -> float:
        """max loss on the path minus the larger of the two end losses (> 0: a bump)."""
        ends = self.losses[[int(np.argmin(np.abs(self.alphas))),
                            int(np.argmin(np.abs(self.alphas - 1)))]]
        return float(self.losses.max() - ends.max())


def interpolate(model_a: Any, model_b: Any, loss_fn: LossFn, data: Any, steps: int = 25,
                alphas: Sequence[float] | None = None) -> Interpolation:
    """The loss on the straight line between two models' parameters.

    Args:
        model_a, model_b: two networks of the same architecture (the parameters are paired in
            order and must have equal shapes). The losses are computed with ``model_a``
            (temporarily holding the interpolated parameters, and its own buffers), which is
            restored afterwards; ``model_b`` is not changed.
        loss_fn, data: as in :func:`loss_landscape`.
        steps: the number of α values from 0 to 1 (ignored when ``alphas`` is given).
        alphas: the α values to use (values outside [0, 1] extrapolate).
    """
    params_a, params_b = parameters(model_a), parameters(model_b)
    if len(params_a) != len(params_b):
        raise ValueError(
            f"interpolate: model_a has {len(params_a)} parameter tensors, model_b "
            f"{len(params_b)}; the models must have the same architecture"
        )
    for i, (pa, pb) in enumerate(zip(params_a, params_b)):
        if pa.shape != pb.shape:
            raise ValueError(
                f"interpolate: parameter {i} has shape {tuple(pa.shape)} in model_a but "
                f"{tuple(pb.shape)} in model_b"
            )
    grid = np.linspace(0.0, 1.0, steps) if alphas is None else np.asarray(alphas, float)
    start = [np.array(p._data, dtype=np.float64) for p in params_a]
    end = [np.array(p._data, dtype=np.float64) for p in params_b]
    losses = []
    with preserved(model_a, mode=False):
        for a in grid:
            for p, t0, t1 in zip(params_a, start, end):
                write(p, (1.0 - a) * t0 + a * t1)
            losses.append(average_loss(model_a, loss_fn, data))
    return Interpolation(grid, np.array(losses))
