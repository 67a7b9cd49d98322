"""``DataLoader``: batches from a data set, and ``default_collate``, which merges samples
into a batch."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import Any

import numpy as np

from microtensor import random as _random
from microtensor.ops.shape import stack
from microtensor.tensor import Tensor
from microtensor.utils.data.dataset import IterableDataset, _batch_fetcher_of
from microtensor.utils.data.sampler import BatchSampler, RandomSampler, SequentialSampler


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
                "default_collate: each element in list of batch should be of equal size (the "
                f"same length); got lengths {sorted({len(sample) for sample in batch})}"
            )
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(
        "default_collate: a batch must contain tensors, NumPy arrays, numbers, strings, dicts or "
        f"lists/tuples of those; found {type(elem).__name__}"
    )


def default_convert(data: Any) -> Any:
    """What a ``DataLoader`` with ``batch_size=None`` does to each sample: NumPy arrays and
    scalars become tensors, inside dicts, named tuples, tuples and lists too (a tuple becomes a
    list, as in PyTorch); everything else is returned as it is."""
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "OUS" else Tensor._make(data)
    if isinstance(data, np.generic):
        return Tensor._make(np.asarray(data))
    if isinstance(data, Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, list | tuple):
        return [default_convert(d) for d in data]
    return data


# ---------------------------------------------------------------------------------- loader
class DataLoader:
    """Iterate over a data set in batches, optionally reshuffled at every epoch.

    PyTorch's signature and rules. Which samples, in which order:

    * ``shuffle=True``: a new random permutation every epoch (``RandomSampler``), else in order
      (``SequentialSampler``); or your own ``sampler`` (not together with ``shuffle``);
    * ``batch_size`` samples per batch (``BatchSampler``), the last batch shorter unless
      ``drop_last``; or your own ``batch_sampler`` of index lists (then no ``batch_size``,
      ``shuffle``, ``sampler`` nor ``drop_last``); ``batch_size=None`` yields single samples,
      converted by ``default_convert`` instead of collated;
    * an ``IterableDataset`` is read in its own order (no shuffle, sampler or batch_sampler).

    ``batch_size=len(dataset)`` is batch gradient descent, ``1`` pure stochastic gradient
    descent, anything between mini-batches.

    Loading: ``num_workers=0`` loads in the calling thread. ``num_workers > 0`` loads batches
    in a pool of that many *threads* (not processes, as in PyTorch), ``prefetch_factor`` batches
    ahead per worker, yielding them in the same order as ``num_workers=0``; ``worker_init_fn(id)``
    runs once in each thread, ``timeout`` bounds the wait for one batch, ``persistent_workers``
    keeps the pool between epochs. Threads speed up loading that spends its time in NumPy
    (which releases the GIL), not pure-Python per-sample code. An ``IterableDataset`` cannot
    be split between threads: it needs ``num_workers=0``.
    ``pin_memory`` is accepted and does nothing (there is no GPU to copy to).

    microtensor extension: ``seed=s`` is shorthand for ``generator=mt.Generator(s)``.

    Speed: without ``collate_fn``, a ``TensorDataset`` (or a ``Subset`` of one) with the
    built-in samplers is batched by indexing its tensors with one index array per batch; other
    data sets are read sample by sample (or through their ``__getitems__``) and collated.
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Any = None,
        batch_sampler: Any = None,
        num_workers: int = 0,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], Any] | None = None,
        multiprocessing_context: Any = None,
        generator: Any = None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        seed: int | None = None,
    ) -> None:
        generator = _checked_generator(generator, seed)
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers,
                       multiprocessing_context)
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor if prefetch_factor is not None or not num_workers \
            else 2
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.timeout, self.worker_init_fn = timeout, worker_init_fn
        self.persistent_workers, self.in_order = persistent_workers, in_order
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            _check_iterable_options(shuffle, sampler, batch_sampler, num_workers)
        self.shuffle = bool(shuffle)
        self.sampler, self.batch_sampler = _choose_samplers(
            dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, generator,
            self._iterable)
        self.batch_size = None if batch_sampler is not None else batch_size
        self.drop_last = drop_last
        self.collate_fn = collate_fn
        self._pool: ThreadPoolExecutor | None = None

    @property
    def _auto_collation(self) -> bool:
        return self.batch_sampler is not None or (self._iterable and self.batch_size is not None)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)  # a TypeError if the stream has no length, as in PyTorch
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self) -> Iterator[Any]:
        # the order is drawn now, when the epoch starts, not lazily at the first batch
        load, items = self._iterable_plan() if self._iterable else self._plan()
        if self.num_workers == 0:
            return map(load, items)
        return self._in_threads(partial(load, item) for item in items)

    # ------------------------------------------------------------------ what each batch is
    def _plan(self) -> tuple[Callable[[Any], Any], Iterator[Any]]:
        """``(load, items)``: batch k is ``load(items[k])``, run here or in a worker thread."""
        if self.batch_sampler is None:  # batch_size=None: one converted sample per step
            return self._single, iter(list(self.sampler))
        fetch = _batch_fetcher_of(self.dataset) if self.collate_fn is None else None
        batches = getattr(self.batch_sampler, "_index_batches", lambda: None)()
        if batches is None:
            batches = iter(self.batch_sampler)
        return (fetch if fetch is not None else self._collated), batches

    def _single(self, index: int) -> Any:
        sample = self.dataset[index]
        return self.collate_fn(sample) if self.collate_fn is not None else default_convert(sample)

    def _collated(self, indices: Any) -> Any:
        indices = [int(i) for i in indices]
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems else [self.dataset[i] for i in indices]
        return (self.collate_fn or default_collate)(samples)

    def _iterable_plan(self) -> tuple[Callable[[Any], Any], Iterator[Any]]:
        stream = iter(self.dataset)
        if self.batch_size is None:
            return (self.collate_fn or default_convert), stream
        size = self.batch_size

        def batches() -> Iterator[list[Any]]:
            while batch := list(islice(stream, size)):
                if len(batch) < size and self.drop_last:
                    return
                yield batch

        return (self.collate_fn or default_collate), batches()

    # ------------------------------------------------------------------ worker threads
    def _in_threads(self, jobs: Iterator[Callable[[], Any]]) -> Iterator[Any]:
        """Run the jobs in the thread pool, ``num_workers * prefetch_factor`` ahead, and yield
        the results in the jobs' order."""
        pool = self._pool if self._pool is not None else self._new_pool()
        ahead: deque[Future[Any]] = deque()
        limit = self.num_workers * self.prefetch_factor
        try:
            for job in jobs:
                ahead.append(pool.submit(job))
                if len(ahead) >= limit:
                    yield self._result(ahead.popleft())
            while ahead:
                yield self._result(ahead.popleft())
        finally:
            for future in ahead:
                future.cancel()
            if not self.persistent_workers:
                pool.shutdown(wait=False)
                self._pool = None

    def _new_pool(self) -> ThreadPoolExecutor:
        ids = iter(range(self.num_workers))
        lock = threading.Lock()

        def start_worker() -> None:
            with lock:
                worker_id = next(ids)
            _worker.info = WorkerInfo(id=worker_id, num_workers=self.num_workers,
                                      seed=None, dataset=self.dataset)
            if self.worker_init_fn is not None:
                self.worker_init_fn(worker_id)

        self._pool = ThreadPoolExecutor(self.num_workers, thread_name_prefix="DataLoader",
                                        initializer=start_worker)
        return self._pool

    def _result(self, future: Future[Any]) -> Any:
        try:
            return future.result(timeout=self.timeout if self.timeout > 0 else None)
        except FutureTimeout:
            raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds") from None

    def __repr__(self) -> str:
        size = f"{len(self.dataset)}" if hasattr(self.dataset, "__len__") else "?"
        return (
            f"DataLoader(dataset={type(self.dataset).__name__} of {size}, "
            f"batch_size={self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )


# ---------------------------------------------------------------------------------- workers
@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its ``id`` (0 to
    ``num_workers - 1``), ``num_workers``, ``seed`` (None: threads share the generators) and
    the ``dataset``."""

    id: int
    num_workers: int
    seed: int | None
    dataset: Any


_worker = threading.local()  # .info is set in each worker thread


def get_worker_info() -> WorkerInfo | None:
    """Inside a ``DataLoader`` worker thread, that worker's ``WorkerInfo``; elsewhere None."""
    return getattr(_worker, "info", None)


# ---------------------------------------------------------------------------------- checks
def _checked_generator(generator: Any, seed: int | None) -> Any:
    if seed is not None:
        if generator is not None:
            raise ValueError("DataLoader: pass either generator or seed, not both")
        generator = _random.Generator(seed)
    if generator is not None and not isinstance(generator, _random.Generator
                                                | np.random.Generator):
        raise TypeError(
            f"DataLoader: generator should be an mt.Generator, got {type(generator).__name__}"
        )
    return generator


def _check_workers(num_workers: Any, timeout: float, prefetch_factor: int | None,
                   persistent_workers: bool, multiprocessing_context: Any) -> None:
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                         f"disable multiprocessing (got num_workers={num_workers!r}).")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                         "let num_workers > 0 to enable multiprocessing, otherwise set "
                         "prefetch_factor to None.")
    if prefetch_factor is not None and prefetch_factor < 0:
        raise ValueError("prefetch_factor option should be non-negative")
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")
    if multiprocessing_context is not None:
        raise ValueError("multiprocessing_context is not supported: microtensor's DataLoader "
                         "workers are threads, not processes; leave it None")


def _check_iterable_options(shuffle: Any, sampler: Any, batch_sampler: Any,
                            num_workers: int) -> None:
    given = [("shuffle", shuffle)] if shuffle not in (None, False) else []
    given += [(name, value) for name, value in (("sampler", sampler),
                                                ("batch_sampler", batch_sampler))
              if value is not None]
    for name, value in given:
        raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} "
                         f"option, but got {name}={value}")
    if num_workers > 0:
        raise ValueError("DataLoader with IterableDataset: num_workers > 0 is not supported "
                         "(microtensor's workers are threads sharing one iterator, which "
                         "cannot be split between them); use num_workers=0")


def _choose_samplers(dataset: Any, batch_size: Any, shuffle: Any, sampler: Any,
                     batch_sampler: Any, drop_last: bool, generator: Any,
                     iterable: bool) -> tuple[Any, Any]:
    """The (sampler, batch_sampler) pair PyTorch's rules give for these options."""
    if sampler is not None and shuffle:
        raise ValueError("sampler option is mutually exclusive with shuffle")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                             "shuffle, sampler, and drop_last")
        return None, batch_sampler
    if batch_size is None:
        if drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
    elif isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) \
            or batch_size <= 0:
        raise ValueError("batch_size should be a positive integer value, but got "
                         f"batch_size={batch_size}")
    if iterable:
        return None, None
    if sampler is None:
        sampler = (RandomSampler(dataset, generator=generator) if shuffle
                   else SequentialSampler(dataset))
    if batch_size is None:
        return sampler, None
    return sampler, BatchSampler(sampler, int(batch_size), bool(drop_last))
