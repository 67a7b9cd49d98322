"""Samplers: which sample indices a ``DataLoader`` reads, and in which order.

A sampler is an iterable of indices (``SequentialSampler``: 0, 1, 2, ...; ``RandomSampler``: a
random permutation), and a ``BatchSampler`` groups another sampler's indices into lists of
``batch_size``. ``DataLoader(shuffle=True)`` is ``RandomSampler`` + ``BatchSampler``.

Every random sampler draws its whole order when an epoch starts (``iter(sampler)``), from its
``generator`` (an ``mt.Generator``) or, without one, from the global generator, so
``mt.manual_seed(s)`` makes the order repeatable.

Speed: the index samplers also give their order as one NumPy array (``_index_array``), so a
``BatchSampler`` over them cuts batches out of it without a Python loop over the indices.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence, Sized
from typing import Any

import numpy as np

from microtensor import random as _random
from microtensor.tensor import Tensor

__all__ = ["BatchSampler", "RandomSampler", "Sampler", "SequentialSampler",
           "SubsetRandomSampler", "WeightedRandomSampler"]


class Sampler:
    """Base class: subclasses implement ``__iter__`` (the indices) and usually ``__len__``."""

    def __init__(self, data_source: Sized | None = None) -> None:
        pass

    def __iter__(self) -> Iterator[int]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def _index_array(self) -> np.ndarray | None:
        """This epoch's indices as one int64 array, or None if only ``__iter__`` gives them."""
        return None


def _rng(generator: Any) -> np.random.Generator:
    if isinstance(generator, np.random.Generator):
        return generator
    return _random.generator(generator)


def _check_positive_int(name: str, value: Any, error: type[Exception] = ValueError) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value <= 0:
        raise error(f"{name} should be a positive integer value, but got {name}={value}")


def _check_bool(name: str, value: Any, error: type[Exception]) -> None:
    if not isinstance(value, bool):
        raise error(f"{name} should be a boolean value, but got {name}={value}")


class SequentialSampler(Sampler):
    """The indices 0, 1, ..., len(data_source) - 1, in order."""

    def __init__(self, data_source: Sized) -> None:
        self.data_source = data_source

    def _index_array(self) -> np.ndarray:
        return np.arange(len(self.data_source), dtype=np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices: a permutation of the data set (each sample once per epoch), or with
    ``replacement=True`` ``num_samples`` independent draws.

    Without replacement, ``num_samples`` larger than the data set gives whole permutations one
    after another, the last one cut short (as in PyTorch).
    """

    def __init__(self, data_source: Sized, replacement: bool = False,
                 num_samples: int | None = None, generator: Any = None) -> None:
        _check_bool("replacement", replacement, TypeError)
        if num_samples is not None:
            _check_positive_int("num_samples", num_samples)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def _index_array(self) -> np.ndarray:
        n, count, rng = len(self.data_source), self.num_samples, _rng(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=count, dtype=np.int64)
        if count == n:
            return rng.permutation(n).astype(np.int64, copy=False)
        rounds = -(-count // n) if n else 0
        return np.concatenate([rng.permutation(n) for _ in range(rounds)]
                              or [np.empty(0, np.int64)])[:count].astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())  # drawn now, at the start of the epoch

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices``, in a new random order every epoch (no replacement)."""

    def __init__(self, indices: Sequence[int], generator: Any = None) -> None:
        self.indices = indices
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        indices = np.asarray(self.indices, dtype=np.int64).reshape(-1)
        return indices[_rng(self.generator).permutation(len(indices))]

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices drawn with probability proportional to ``weights``.

    With ``replacement=False`` an index is drawn at most once (so ``num_samples`` may not
    exceed the number of non-zero weights). Weights need not sum to 1; they must be
    non-negative and finite with a positive sum.
    """

    def __init__(self, weights: Sequence[float] | Tensor | np.ndarray, num_samples: int,
                 replacement: bool = True, generator: Any = None) -> None:
        _check_positive_int("num_samples", num_samples)
        _check_bool("replacement", replacement, ValueError)
        array = np.asarray(weights._data if isinstance(weights, Tensor) else weights,
                           dtype=np.float64)
        if array.ndim != 1:
            raise ValueError("weights should be a 1d sequence but given weights have shape "
                             f"{tuple(array.shape)}")
        self.weights = Tensor._make(array)
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def _index_array(self) -> np.ndarray:
        weights = self.weights._data
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (weights must be finite, "
                               "non-negative and have a positive sum)")
        if not self.replacement and self.num_samples > np.count_nonzero(weights):
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               f"replacement: {self.num_samples} samples from "
                               f"{np.count_nonzero(weights)} non-zero weights")
        rng = _rng(self.generator)
        return rng.choice(len(weights), size=self.num_samples, replace=self.replacement,
                          p=weights / weights.sum()).astype(np.int64)

    def __iter__(self) -> Iterator[int]:
        return iter(self._index_array().tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` into lists of ``batch_size`` (the last one shorter,
    or dropped with ``drop_last=True``)."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        _check_positive_int("batch_size", batch_size)
        _check_bool("drop_last", drop_last, ValueError)
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def _index_batches(self) -> Iterator[np.ndarray] | None:
        """The batches as int64 arrays cut from the sampler's index array, if it has one."""
        method = getattr(self.sampler, "_index_array", None)
        order = method() if method is not None else None
        if order is None:
            return None
        size = self.batch_size
        stop = len(order) - len(order) % size if self.drop_last else len(order)
        return (order[start:start + size] for start in range(0, stop, size))

    def __iter__(self) -> Iterator[list[int]]:
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return -(-len(self.sampler) // self.batch_size)
