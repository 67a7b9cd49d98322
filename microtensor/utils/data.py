"""Datasets and mini-batches: ``Dataset``, ``TensorDataset``, ``DataLoader``, ``random_split``.

The names and behaviour follow ``torch.utils.data``::

    dataset = TensorDataset(images, labels)             # sample i is (images[i], labels[i])
    train, val = random_split(dataset, [0.8, 0.2], generator=mt.Generator(0))
    for x, y in DataLoader(train, batch_size=64, shuffle=True):
        ...                                              # x: (64, ...) tensor, y: (64,) tensor

Batch, mini-batch and stochastic gradient descent are one loop with three batch sizes: with
``batch_size=len(dataset)`` every step sees the whole data set (batch gradient descent), with
``batch_size=B`` a random mini-batch of B samples (mini-batch SGD, the usual choice), and with
``batch_size=1`` a single sample (pure stochastic gradient descent).

Speed: a ``DataLoader`` over a ``TensorDataset`` (or a ``Subset`` of one, as ``random_split``
returns) builds each batch by indexing the stored tensors once with an array of indices, not by
fetching samples one at a time and stacking them. Datasets that transform each sample (random
augmentation) or a custom ``collate_fn`` take the per-sample path, as in PyTorch.
"""

from __future__ import annotations

import bisect
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from microtensor import random as _random
from microtensor.ops.shape import stack
from microtensor.tensor import Tensor

__all__ = [
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "Subset",
    "TensorDataset",
    "default_collate",
    "random_split",
]

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
            raise ValueError("ConcatDataset: datasets should not be an empty sequence")
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


def _batch_fetcher_of(dataset: Any) -> BatchFetcher | None:
    method = getattr(dataset, "_batch_fetcher", None)
    return method() if method is not None else None


# ---------------------------------------------------------------------------------- collate
def default_collate(batch: Sequence[Any]) -> Any:
    """Merge a list of samples into a batch, as ``torch.utils.data.default_collate`` does.

    * tensors and NumPy arrays are stacked along a new first dimension;
    * Python ints become an int64 tensor, floats a float64 tensor (as in PyTorch), bools a bool
      tensor, NumPy scalars a tensor of their dtype;
    * strings stay a list;
    * dicts, tuples and lists are collated position by position (key by key): a batch of
      ``(x, y)`` tuples becomes ``[stacked_x, stacked_y]``; named tuples keep their type.
    """
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return stack(list(batch))
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OUS":
            raise TypeError(
                f"default_collate: cannot batch arrays of dtype {elem.dtype} into a tensor"
            )
        return Tensor._make(np.stack(batch))
    if isinstance(elem, np.generic):
        return Tensor._make(np.array(batch))
    if isinstance(elem, bool):
        return Tensor._make(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return Tensor._make(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return Tensor._make(np.array(batch, dtype=np.float64))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # a namedtuple
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError(
                "default_collate: each sample in the batch should have the same length, got "
                f"lengths {sorted({len(sample) for sample in batch})}"
            )
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        "default_collate: a batch must contain tensors, NumPy arrays, numbers, strings, dicts or "
        f"lists/tuples of those; found {type(elem).__name__}"
    )


# ---------------------------------------------------------------------------------- loader
class DataLoader:
    """Iterate over a data set in batches, optionally reshuffled at every epoch.

    Args:
        dataset: any object with ``__getitem__(int)`` and ``__len__`` (usually a ``Dataset``).
        batch_size: samples per batch, an int >= 1. ``len(dataset)`` gives batch gradient
            descent, ``1`` pure stochastic gradient descent, anything between mini-batches.
        shuffle: draw a new random order at the start of every epoch (every ``iter(loader)``).
        drop_last: drop the last batch if it has fewer than ``batch_size`` samples.
        generator: an ``mt.Generator`` to shuffle with; by default the global generator, so
            ``mt.manual_seed(s)`` makes the order repeatable.
        collate_fn: merges a list of samples into a batch (default: ``default_collate``).
        seed: microtensor extension: shorthand for ``generator=mt.Generator(seed)``.
        num_workers, pin_memory: accepted so PyTorch code runs; microtensor always loads in the
            main process on the CPU, so they change nothing.

    ``len(loader)`` is the number of batches per epoch. The loader can be iterated any number
    of times. Without ``collate_fn``, a ``TensorDataset`` (or a ``Subset`` of one) is batched
    by indexing its tensors with one index array per batch; other data sets are read sample by
    sample and collated.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        *,
        drop_last: bool = False,
        generator: _random.Generator | None = None,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        seed: int | None = None,
        num_workers: int = 0,
        pin_memory: bool = False,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer, got {batch_size!r} "
                f"({type(batch_size).__name__})"
            )
        if batch_size < 1:
            raise ValueError(
                f"DataLoader: batch_size should be a positive integer, got {batch_size}"
            )
        if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(
                f"DataLoader: num_workers should be a non-negative integer, got {num_workers!r}"
            )
        if seed is not None:
            if generator is not None:
                raise ValueError("DataLoader: pass either generator or seed, not both")
            generator = _random.Generator(seed)
        if generator is not None and not isinstance(generator, (_random.Generator,
                                                                np.random.Generator)):
            raise TypeError(
                f"DataLoader: generator should be an mt.Generator, got {type(generator).__name__}"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.collate_fn = collate_fn
        self.num_workers = num_workers
        self.pin_memory = pin_memory

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.drop_last:
            return n // self.batch_size
        return math.ceil(n / self.batch_size)

    def _rng(self) -> np.random.Generator:
        if isinstance(self.generator, np.random.Generator):
            return self.generator
        return _random.generator(self.generator)

    def __iter__(self) -> Iterator[Any]:
        # the order is drawn now, when the epoch starts, not lazily at the first batch
        n = len(self.dataset)
        order = self._rng().permutation(n) if self.shuffle else np.arange(n)
        fetch = _batch_fetcher_of(self.dataset) if self.collate_fn is None else None
        return self._batches(order, fetch)

    def _batches(self, order: np.ndarray, fetch: BatchFetcher | None) -> Iterator[Any]:
        collate = self.collate_fn if self.collate_fn is not None else default_collate
        n, size = len(order), self.batch_size
        stop = n - n % size if self.drop_last else n
        for start in range(0, stop, size):
            indices = order[start : start + size]
            if fetch is not None:
                yield fetch(indices)
            else:
                yield collate([self.dataset[int(i)] for i in indices])

    def __repr__(self) -> str:
        return (
            f"DataLoader(dataset={type(self.dataset).__name__} of {len(self.dataset)}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )


# ---------------------------------------------------------------------------------- split
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
