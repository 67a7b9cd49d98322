"""Random numbers: one seeded NumPy generator behind ``mt.manual_seed``, and ``mt.Generator``.

Every random factory (``rand``, ``randn``, ``randint``), dropout, ``nn.init`` and shuffling draws
from ``generator()`` unless given its own ``Generator``, so ``mt.manual_seed(0)`` makes a whole
run repeatable.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

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


def initial_seed() -> int:
    """The seed the global generator was last seeded with (``manual_seed`` or ``seed``)."""
    return default_generator.initial_seed()


def seed() -> int:
    """Seed the global generator with a fresh random 64-bit number, and return it."""
    new_seed = secrets.randbits(64)
    default_generator.manual_seed(new_seed)
    return new_seed


def get_rng_state() -> Any:
    """The global generator's state as a uint8 tensor (give it to ``set_rng_state`` to replay
    the same random numbers). Its bytes are NumPy's PCG64 state, written as JSON: its size
    differs from PyTorch's 5056 (a Mersenne Twister's), and the two do not mix."""
    from microtensor.tensor import Tensor

    text = json.dumps({"seed": default_generator.initial_seed(),
                       "state": default_generator.get_state()})
    return Tensor._make(np.frombuffer(text.encode(), dtype=np.uint8).copy())


def set_rng_state(new_state: Any) -> None:
    """Restore the global generator from a state ``get_rng_state`` returned."""
    from microtensor.tensor import Tensor

    if not isinstance(new_state, Tensor) or new_state.dtype != np.uint8:
        raise TypeError("RNG state must be a torch.ByteTensor (a uint8 tensor from "
                        "get_rng_state())")
    try:
        saved = json.loads(new_state._data.tobytes().decode())
        default_generator.set_state(saved["state"])
    except (ValueError, KeyError, TypeError) as error:
        raise RuntimeError("set_rng_state(): the tensor is not a state returned by "
                           f"microtensor's get_rng_state() ({error})") from None
    default_generator._initial_seed = saved["seed"]


def generator(gen: Generator | None = None) -> np.random.Generator:
    """The NumPy generator to draw from: ``gen``'s if given, else the global one."""
    return (gen or default_generator).numpy
