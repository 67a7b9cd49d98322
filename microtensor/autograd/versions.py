"""Write tracking per block of memory, for the saved-tensor check of the backward pass.

Every in-place change bumps the changed tensor's version counter. But several tensors can share
memory (a view such as ``x[0:2]`` or ``x.reshape(...)``, ``.data``, an op's saved output), and
each has its own counter. So writes are also recorded per *memory owner* (the end of an array's
``.base`` chain): ``function._check_saved_versions`` asks ``written_since`` whether the memory
of a saved array was written after the node that saved it was recorded.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np


class WriteClock:
    """Counts in-place writes in the whole program (all threads): ``write_clock.now``.

    A node remembers the clock when it is recorded (``recorded_at``); a value written later
    carries a later time, which is how the backward pass notices a saved value that changed.
    """

    __slots__ = ("now",)

    def __init__(self) -> None:
        self.now = 0

    def tick(self) -> int:
        """One more in-place write; returns the new time."""
        self.now += 1
        return self.now


write_clock = WriteClock()


class VersionCounter:
    """How often a tensor's values were changed in place, and when last.

    ``version`` is PyTorch's ``tensor._version``. ``last_write`` is ``write_clock.now`` at the last
    change: a node recorded when the clock read ``recorded_at`` used the current values exactly
    when ``last_write <= recorded_at``.
    """

    __slots__ = ("version", "last_write", "last_writer")

    def __init__(self) -> None:
        self.version = 0
        self.last_write = 0
        self.last_writer: str | None = None  # what changed it last (for error messages)

    def bump(self, writer: str | None = None) -> None:
        """Record one in-place change, now, made by ``writer`` (e.g. "add_", "SGD.step()")."""
        self.version += 1
        self.last_write = write_clock.tick()
        self.last_writer = writer


# id(memory owner) -> (write_clock.now at its last in-place write, weak reference to it)
_written: dict[int, tuple[int, Any]] = {}


def memory_owner(array: np.ndarray) -> np.ndarray:
    """The array that owns ``array``'s memory (the end of its ``.base`` chain of views)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def note_write(array: np.ndarray) -> None:
    """Remember that the memory of ``array`` was just written in place.

    Views share memory with their base but not a version counter, so writes are also recorded
    per memory owner: ``function._check_saved_versions`` then catches a saved array whose
    memory was changed through any view of it (or a saved output changed after the op ran).
    """
    owner = memory_owner(array)
    key = id(owner)
    entry = _written.get(key)
    if entry is not None and entry[1]() is owner:
        _written[key] = (write_clock.now, entry[1])
        return
    try:
        reference = weakref.ref(owner, lambda _, key=key: _written.pop(key, None))
    except TypeError:  # not weakly referenceable: cannot be tracked
        return
    _written[key] = (write_clock.now, reference)


def written_since(array: np.ndarray, recorded_at: int) -> bool:
    """Was the memory of ``array`` written in place after ``write_clock.now`` was
    ``recorded_at``?"""
    entry = _written.get(id(memory_owner(array)))
    return entry is not None and entry[0] > recorded_at
