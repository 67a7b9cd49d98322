"""Shared helpers for the per-op checks.

Every test module may define ``GRADCHECK_CASES``: a list of ``Case``. ``tests/test_gradcheck.py``
runs gradcheck (and gradgradcheck where ``double`` is set) on all of them, and compares the
forward result with ``reference`` (the same computation in plain NumPy) where a case has one.
``tests/test_op_registry.py`` fails if some ``Op`` of the package is exercised by no gradcheck
case, by no case with a NumPy reference, or (when it supports double backward) by no
gradgradcheck case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import microtensor as mt


@dataclass
class Case:
    name: str
    fn: Callable[..., Any]
    shapes: list[Any]  # one per input: a shape tuple (random float64 requiring grad) or a value
    double: bool = True  # also run gradgradcheck
    positive: bool = False  # draw inputs from (0.5, 2) instead of N(0, 1)
    distinct: bool = False  # make values well separated (max, sort-like ops: no ties)
    kwargs: dict = field(default_factory=dict)
    # the forward in plain NumPy: called with the inputs as arrays, returns the expected output
    # (an array, or a tuple of arrays for several outputs)
    reference: Callable[..., Any] | None = None

    def inputs(self, seed: int = 0) -> tuple[Any, ...]:
        rng = np.random.default_rng(seed)
        made = []
        for shape in self.shapes:
            if not isinstance(shape, tuple):
                made.append(shape)
                continue
            if self.positive:
                values = rng.uniform(0.5, 2.0, shape)
            elif self.distinct:
                size = int(np.prod(shape))
                values = (rng.permutation(size) * 0.37 + rng.uniform(-0.1, 0.1, size)).reshape(
                    shape)
            else:
                values = rng.standard_normal(shape)
            made.append(mt.tensor(values, dtype=mt.float64, requires_grad=True))
        return tuple(made)

    def reference_arrays(self, inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        """The inputs as NumPy arrays (Tensors unwrapped), for ``reference``."""
        return tuple(x.detach().numpy() if isinstance(x, mt.Tensor) else x for x in inputs)

    def __repr__(self) -> str:
        return self.name
