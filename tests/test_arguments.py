"""int_pair: the one normaliser of int-or-pair arguments (conv and pooling ops, nn.Conv2d,
the crop and shift transforms)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from microtensor import transforms as T
from microtensor._arguments import int_pair


@pytest.mark.parametrize("value, expected", [
    (3, (3, 3)), (np.int32(2), (2, 2)), ((2, 5), (2, 5)), ([4, 1], (4, 1)), ((7,), (7, 7)),
    ((np.int64(1), 2), (1, 2)),
])
def test_ints_and_pairs_become_pairs(value: Any, expected: tuple[int, int]) -> None:
    pair = int_pair(value, "stride", "conv2d")
    assert pair == expected
    assert all(type(n) is int for n in pair)


@pytest.mark.parametrize("value", [True, 2.0, "3", (1, 2, 3), (), (1, 2.5), (True, 1), None,
                                   np.array([1, 2])])
def test_anything_else_is_a_type_error_naming_the_argument(value: Any) -> None:
    with pytest.raises(TypeError, match=r"RandomCrop: size must be an int or a pair of ints"):
        int_pair(value, "size", "RandomCrop")


def test_minimum() -> None:
    assert int_pair(0, "padding", "max_pool2d", minimum=0) == (0, 0)
    with pytest.raises(RuntimeError, match=r"max_pool2d: padding must be non-negative, got -1"):
        int_pair(-1, "padding", "max_pool2d", minimum=0)
    with pytest.raises(RuntimeError, match=r"conv2d: stride must be positive, got \(1, 0\)"):
        int_pair((1, 0), "stride", "conv2d", minimum=1)
    with pytest.raises(RuntimeError, match=r"f: n must be >= 3, got 2"):
        int_pair(2, "n", "f", minimum=3)
    assert int_pair(-4, "shift", "f") == (-4, -4)  # no minimum: no check


def test_transforms_use_it() -> None:
    assert T.RandomCrop([5]).size == (5, 5)
    assert T.RandomShift((1, 2)).max_shift == (1, 2)
    with pytest.raises(TypeError, match="CenterCrop: size must be an int or a pair of ints"):
        T.CenterCrop((2, 2, 2))
    with pytest.raises(ValueError, match="RandomShift: max_shift must be >= 0"):
        T.RandomShift(-1)
