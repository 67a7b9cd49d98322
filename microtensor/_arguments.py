"""Normalising arguments that 2-D ops, layers and transforms share.

``kernel_size=3`` and ``kernel_size=(3, 3)`` mean the same thing in ``F.conv2d``, ``nn.Conv2d``
and ``transforms.RandomCrop``: :func:`int_pair` turns either into ``(rows, columns)`` and says
clearly what was wrong with anything else.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["int_pair", "tensor_argument"]


def _is_int(value: Any) -> bool:
    """A Python or NumPy integer, but not a bool (``True`` is not a size)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def int_pair(value: Any, name: str, caller: str, minimum: int | None = None) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(2, 3)`` or ``[2, 3]`` stays; ``(3,)`` -> ``(3, 3)`` (as PyTorch).

    Args:
        value: the argument as the user gave it.
        name: the argument's name, and ``caller`` the op, layer or transform it was given to;
            both appear in the error messages.
        minimum: when given, both numbers must be at least this (1: "positive", 0:
            "non-negative").

    Raises:
        TypeError: ``value`` is neither an int nor a tuple or list of one or two ints.
        RuntimeError: a number is below ``minimum`` (PyTorch raises RuntimeError for a
            non-positive stride or a negative padding).
    """
    if _is_int(value):
        pair = (int(value), int(value))
    elif isinstance(value, tuple | list) and len(value) in (1, 2) and all(map(_is_int, value)):
        pair = (int(value[0]), int(value[-1]))
    else:
        raise TypeError(f"{caller}: {name} must be an int or a pair of ints, got {value!r}")
    if minimum is not None and min(pair) < minimum:
        what = {0: "non-negative", 1: "positive"}.get(minimum, f">= {minimum}")
        raise RuntimeError(f"{caller}: {name} must be {what}, got {value!r}")
    return pair


def tensor_argument(value: Any, name: str, position: int, op: str) -> Any:
    """``value`` itself when it is a Tensor, else PyTorch's TypeError for the argument ``name``
    at ``position`` (1-based) of the function ``op``.

    As in PyTorch, no function turns a list, a NumPy array or a number into a tensor silently.
    """
    from microtensor.tensor import Tensor  # (the ops and layers import this module early)

    if isinstance(value, Tensor):
        return value
    kind = type(value)
    kind_name = (kind.__qualname__ if kind.__module__ == "builtins"
                 else f"{kind.__module__}.{kind.__qualname__}")
    raise TypeError(
        f"{op}(): argument '{name}' (position {position}) must be Tensor, not {kind_name}; "
        "make one with mt.tensor(...)"
    )
