"""Data sets: map-style (``Dataset``: ``dataset[i]`` and ``len``) and iterable-style
(``IterableDataset``: ``iter(dataset)``), with the ready-made ``TensorDataset``, ``Subset``,
``ConcatDataset``, ``ChainDataset``, ``StackDataset`` and ``random_split``."""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np

from microtensor import random as _random
from microtensor.tensor import Tensor

BatchFetcher = Callable[[np.ndarray], Any]
"""Takes an int64 array of sample indices, returns the collated batch (the fast path)."""


class Dataset:
    """A map-style data set: ``dataset[i]`` is sample ``i`` and ``len(dataset)`` their number.

    Subclasses implement ``__getitem__`` and ``__len__``. ``a + b`` concatenates two data sets.
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])

    # A data set may also define ``__getitems__(indices) -> list of samples`` to fetch a whole
    # batch at once; ``DataLoader`` calls it instead of ``__getitem__`` per sample (PyTorch's
    # protocol, see ``StackDataset``).

    def _batch_fetcher(self) -> BatchFetcher | None:
        """A function that fetches a whole collated batch at once, or None (the default) if
        this data set can only be read one sample at a time.

        ``DataLoader`` uses it when no ``collate_fn`` is given. It must return exactly what
        ``default_collate([self[i] for i in indices])`` would.
        """
        return None


class TensorDataset(Dataset):
    """Samples are slices of tensors along their first dimension: ``(t[i] for t in tensors)``.

    Args:
        *tensors: tensors (or NumPy arrays) with the same size in dim 0, e.g. inputs and labels.
        transform: microtensor extension: applied to the first element of each sample (the
            input), e.g. random augmentation from ``mt.transforms``. It sees one sample at a time.
        target_transform: microtensor extension: applied to the second element (the label).

    Without transforms a ``DataLoader`` indexes the tensors once per batch (fast path).
    """

    def __init__(
        self,
        *tensors: Tensor | np.ndarray,
        transform: Callable[[Any], Any] | None = None,
        target_transform: Callable[[Any], Any] | None = None,
    ) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        converted = []
        for k, t in enumerate(tensors):
            if isinstance(t, np.ndarray):
                t = Tensor._make(t)
            if not isinstance(t, Tensor):
                raise TypeError(
                    f"TensorDataset: argument {k} is a {type(t).__name__}; expected a Tensor or "
                    "np.ndarray (convert lists with mt.tensor(...))"
                )
            if t.ndim == 0:
                raise ValueError(
                    f"TensorDataset: argument {k} is a 0-d tensor; every tensor needs a first "
                    "dimension that counts the samples"
                )
            converted.append(t)
        sizes = [t.shape[0] for t in converted]
        if len(set(sizes)) > 1:
            shapes = ", ".join(str(tuple(t.shape)) for t in converted)
            raise ValueError(
                "TensorDataset: all tensors must have the same size in dim 0 (the number of "
                f"samples), got sizes {', '.join(map(str, sizes))} (shapes {shapes})"
            )
        self.tensors: tuple[Tensor, ...] = tuple(converted)
        self.transform = transform
        self.target_transform = target_transform

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        sample = [t[index] for t in self.tensors]
        if self.transform is not None:
            sample[0] = self.transform(sample[0])
        if self.target_transform is not None and len(sample) > 1:
            sample[1] = self.target_transform(sample[1])
        return tuple(sample)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def _batch_fetcher(self) -> BatchFetcher | None:
        if (
            self.transform is not None
            or self.target_transform is not None
            or type(self).__getitem__ is not TensorDataset.__getitem__  # a subclass changed it
        ):
            return None
        tensors = self.tensors
        # default_collate turns a batch of tuples into a list, one stacked tensor per position
        return lambda indices: [t[indices] for t in tensors]

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(t.shape)) for t in self.tensors)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order.

    ``subset[i]`` is ``dataset[indices[i]]``.
    """

    def __init__(self, dataset: Any, indices: Sequence[int] | np.ndarray) -> None:
        array = np.asarray(indices)
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise ValueError(
                f"Subset: indices must be a 1-D sequence of ints, got shape {array.shape} of "
                f"dtype {array.dtype}"
            )
        self.dataset = dataset
        self.indices = indices
        self._index_array = array.astype(np.int64)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, list):
            return self.dataset[[int(self._index_array[i]) for i in index]]
        return self.dataset[int(self._index_array[index])]

    def __len__(self) -> int:
        return len(self._index_array)

    def _batch_fetcher(self) -> BatchFetcher | None:
        if type(self).__getitem__ is not Subset.__getitem__:
            return None
        inner = _batch_fetcher_of(self.dataset)
        if inner is None:
            return None
        index_array = self._index_array
        return lambda indices: inner(index_array[indices])


class ConcatDataset(Dataset):
    """Several data sets one after the other (``ConcatDataset([a, b])`` is also ``a + b``)."""

    def __init__(self, datasets: Sequence[Any]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise AssertionError("ConcatDataset does not support IterableDataset (chain "
                                     "iterable data sets with ChainDataset or `a + b`)")
        self.cumulative_sizes: list[int] = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> Any:
        if index < 0:
            if -index > len(self):
                raise IndexError(
                    f"ConcatDataset: index {index} is out of range for length {len(self)}"
                )
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for length {len(self)}")
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        return self.datasets[which][index - start]


class IterableDataset(Dataset):
    """A data set read as a stream: subclasses implement ``__iter__`` (no indexing).

    For data that arrives in order (a file read line by line, a generator of samples). A
    ``DataLoader`` over it takes samples in the order the iterator gives them, and accepts no
    ``shuffle``, ``sampler`` or ``batch_sampler``. ``a + b`` chains two of them.
    """

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __getitem__(self, index: int) -> Any:
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate over it, it "
                        "cannot be indexed")

    def __len__(self) -> int:
        raise TypeError(f"object of type '{type(self).__name__}' has no len()")

    def __add__(self, other: Any) -> ChainDataset:
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several iterable data sets one after the other."""

    def __init__(self, datasets: Iterable[Any]) -> None:
        self.datasets = datasets

    def __iter__(self) -> Iterator[Any]:
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise AssertionError("ChainDataset only supports IterableDataset")
            yield from dataset

    def __len__(self) -> int:
        return sum(len(dataset) for dataset in self.datasets)


class StackDataset(Dataset):
    """Data sets of the same length side by side: sample ``i`` is ``(a[i], b[i], ...)`` for
    ``StackDataset(a, b)``, or ``{"x": a[i], "y": b[i]}`` for ``StackDataset(x=a, y=b)``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args and kwargs:
            raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via "
                             "``kwargs``) like input/output, but both types are given.")
        if not args and not kwargs:
            raise ValueError("At least one dataset should be passed")
        self.datasets: tuple[Any, ...] | dict[str, Any] = args or kwargs
        parts = args or tuple(kwargs.values())
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError("Size mismatch between datasets: lengths "
                             + ", ".join(str(len(d)) for d in parts))

    def __getitem__(self, index: int) -> Any:
        if isinstance(self.datasets, dict):
            return {key: d[index] for key, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices: list[int]) -> list[Any]:
        """The samples at ``indices`` (a data set's own ``__getitems__`` is used if it has one)."""
        return [self[i] for i in indices]

    def __len__(self) -> int:
        return self._length


def _batch_fetcher_of(dataset: Any) -> BatchFetcher | None:
    method = getattr(dataset, "_batch_fetcher", None)
    return method() if method is not None else None


def random_split(
    dataset: Any,
    lengths: Sequence[int | float],
    generator: _random.Generator | None = None,
) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping ``Subset``s of the given lengths.

    ``lengths`` are either sample counts summing to ``len(dataset)``, or fractions summing to 1.
    Fractions follow PyTorch's rule: each split gets ``floor(n * fraction)`` samples, then the
    remaining samples are handed out one at a time to the splits in order (round robin).
    The permutation comes from ``generator`` (an ``mt.Generator``) or the global generator.
    """
    n = len(dataset)
    lengths = split_lengths(n, lengths)
    if isinstance(generator, np.random.Generator):
        permutation = generator.permutation(n)
    else:
        permutation = _random.generator(generator).permutation(n)
    subsets = []
    offset = 0
    for length in lengths:
        subsets.append(Subset(dataset, permutation[offset : offset + length].tolist()))
        offset += length
    return subsets


def split_lengths(n: int, lengths: Sequence[int | float]) -> list[int]:
    """The sample counts ``random_split`` uses: ``lengths`` itself if it holds counts summing
    to ``n``; for fractions summing to 1, ``floor(n * fraction)`` each, plus the remainder
    handed out one by one to the splits in order (PyTorch's rule)."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths should not be empty")
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        counts = []
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(
                    f"random_split: fraction at index {i} is {fraction}, not between 0 and 1"
                )
            counts.append(math.floor(n * fraction))
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(
                    f"random_split: length of split at index {i} is 0; this might result in an "
                    "empty dataset",
                    stacklevel=3,
                )
        return counts
    for i, length in enumerate(lengths):
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
            raise ValueError(
                f"random_split: lengths must be non-negative ints or fractions summing to 1; "
                f"got {length!r} at index {i}"
            )
    if total != n:
        raise ValueError(
            f"random_split: the lengths {lengths} sum to {total}, but the dataset has {n} "
            "samples"
        )
    return [int(length) for length in lengths]
