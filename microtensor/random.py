"""Random numbers: one seeded NumPy generator behind ``mt.manual_seed``, and ``mt.Generator``.

Every random factory (``rand``, ``randn``, ``randint``), dropout, ``nn.init`` and shuffling draws
from ``generator()`` unless given its own ``Generator``, so ``mt.manual_seed(0)`` makes a whole
run repeatable.
"""

from __future__ import annotations

import numpy as np


class Generator:
    """A seedable source of random numbers (PyTorch's ``torch.Generator`` for the CPU)."""

    def __init__(self, seed: int | None = None) -> None:
        self._initial_seed = seed
        self.numpy = np.random.default_rng(seed)

    def manual_seed(self, seed: int) -> Generator:
        self._initial_seed = int(seed)
        self.numpy = np.random.default_rng(int(seed))
        return self

    def initial_seed(self) -> int | None:
        return self._initial_seed

    def get_state(self) -> dict:
        return self.numpy.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.numpy.bit_generator.state = state


default_generator = Generator(0)


def manual_seed(seed: int) -> Generator:
    """Seed the global generator (returns it, as PyTorch does)."""
    return default_generator.manual_seed(seed)


def generator(gen: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: ``gen``'s if given, else the global one."""
    return (gen or default_generator).numpy
