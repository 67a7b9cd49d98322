"""utils.data of issue 14: samplers, DataLoader's options and errors (PyTorch's rules), worker
threads, iterable and stacked data sets, default_convert."""

from __future__ import annotations

import collections
import threading

import numpy as np
import pytest

import microtensor as mt
from microtensor.utils.data import (
    BatchSampler,
    ChainDataset,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    StackDataset,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    default_collate,
    default_convert,
    get_worker_info,
    random_split,
)


def numbers(n: int = 10) -> TensorDataset:
    return TensorDataset(mt.arange(n))


def flat(loader) -> list[int]:
    return [int(v) for (batch,) in loader for v in batch.tolist()]


class Stream(IterableDataset):
    def __init__(self, n: int) -> None:
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


class Squares(Dataset):
    """A per-sample data set (no fast path)."""

    def __len__(self) -> int:
        return 10

    def __getitem__(self, i):
        return {"x": np.float32(i), "y": i * i}


# ----------------------------------------------------------------------------- samplers
def test_sequential_and_batch_samplers() -> None:
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    assert list(BatchSampler(range(10), 3, False)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert list(BatchSampler(range(10), 3, True)) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert len(BatchSampler(range(10), 3, True)) == 3
    assert len(BatchSampler(range(10), 3, False)) == 4
    with pytest.raises(ValueError, match="batch_size should be a positive integer value, but "
                                         "got batch_size=0"):
        BatchSampler([1, 2], 0, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value, but got "
                                         "drop_last=3"):
        BatchSampler([1, 2], 2, 3)


def test_random_sampler_permutation_replacement_and_num_samples() -> None:
    ds = numbers(10)
    order = list(RandomSampler(ds, generator=mt.Generator(0)))
    assert sorted(order) == list(range(10))
    assert order == list(RandomSampler(ds, generator=mt.Generator(0)))
    longer = list(RandomSampler(ds, num_samples=15, generator=mt.Generator(1)))
    assert len(longer) == 15 and sorted(longer[:10]) == list(range(10))  # whole permutations
    drawn = list(RandomSampler(ds, replacement=True, num_samples=200, generator=mt.Generator(2)))
    assert len(drawn) == 200 and set(drawn) <= set(range(10)) and len(set(drawn)) == 10
    assert len(RandomSampler(ds, num_samples=15)) == 15
    with pytest.raises(ValueError, match="num_samples should be a positive integer value, but "
                                         "got num_samples=0"):
        RandomSampler(ds, num_samples=0)
    with pytest.raises(TypeError, match="replacement should be a boolean value, but got "
                                        "replacement=1"):
        RandomSampler(ds, replacement=1)


def test_random_sampler_uses_the_global_generator_by_default() -> None:
    mt.manual_seed(3)
    first = list(RandomSampler(numbers(20)))
    mt.manual_seed(3)
    assert list(RandomSampler(numbers(20))) == first


def test_subset_random_sampler() -> None:
    sampler = SubsetRandomSampler([5, 6, 7], generator=mt.Generator(0))
    assert sorted(sampler) == [5, 6, 7] and len(sampler) == 3


def test_weighted_random_sampler() -> None:
    sampler = WeightedRandomSampler([0.0, 1.0, 3.0], 4000, generator=mt.Generator(0))
    counts = np.bincount(list(sampler), minlength=3)
    assert counts[0] == 0 and 2.5 < counts[2] / counts[1] < 3.5
    unique = list(WeightedRandomSampler([1.0, 1.0, 5.0], 3, replacement=False,
                                        generator=mt.Generator(0)))
    assert sorted(unique) == [0, 1, 2]
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size"):
        list(WeightedRandomSampler([0.0, 1.0], 3, replacement=False))
    with pytest.raises(RuntimeError, match="invalid multinomial distribution"):
        list(WeightedRandomSampler([-1.0, 1.0], 3))
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights "
                                         r"have shape \(1, 2\)"):
        WeightedRandomSampler([[1, 2]], 3)
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1, 2], 0)
    with pytest.raises(ValueError, match="replacement should be a boolean value"):
        WeightedRandomSampler([1, 2], 3, replacement=1)


def test_custom_sampler_drives_the_loader() -> None:
    class Backwards(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n - 1, -1, -1))

        def __len__(self):
            return self.n

    loader = DataLoader(numbers(5), batch_size=2, sampler=Backwards(5))
    assert [b[0].tolist() for b in loader] == [[4, 3], [2, 1], [0]]
    assert flat(DataLoader(numbers(10), batch_size=4, sampler=[9, 8, 7, 6, 5])) == [9, 8, 7, 6, 5]


# ----------------------------------------------------------------------------- DataLoader options
@pytest.mark.parametrize("options, message", [
    (dict(sampler=[1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[1]], batch_size=2), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[1]], shuffle=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[1]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[1]], sampler=[1]), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "disables auto-batching and is mutually exclusive"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(batch_size=0), "batch_size should be a positive integer value, but got batch_size=0"),
    (dict(batch_size=2.0), "batch_size should be a positive integer value"),
    (dict(multiprocessing_context="spawn", num_workers=1), "workers are threads"),
])
def test_loader_option_errors(options, message) -> None:
    with pytest.raises(ValueError, match=message):
        DataLoader(numbers(), **options)


def test_loader_builds_pytorchs_samplers() -> None:
    ds = numbers()
    assert isinstance(DataLoader(ds, shuffle=True).sampler, RandomSampler)
    plain = DataLoader(ds, batch_size=3, drop_last=True)
    assert isinstance(plain.sampler, SequentialSampler)
    assert isinstance(plain.batch_sampler, BatchSampler) and plain.batch_sampler.drop_last
    assert len(plain) == 3
    custom = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 3, False))
    assert custom.batch_size is None and len(custom) == 4
    assert flat(custom) == list(range(10))
    assert flat(DataLoader(ds, batch_sampler=[[3, 1], [0]])) == [3, 1, 0]


def test_batch_size_none_yields_converted_samples() -> None:
    loader = DataLoader(numbers(3), batch_size=None)
    samples = list(loader)
    assert len(loader) == 3 and samples[1][0].tolist() == 1 and isinstance(samples[1], list)
    arrays = DataLoader([np.arange(2), np.arange(2) + 1], batch_size=None)
    assert [type(s) for s in arrays] == [mt.Tensor, mt.Tensor]


def test_shuffle_with_generator_is_repeatable_and_a_permutation() -> None:
    a = flat(DataLoader(numbers(30), batch_size=4, shuffle=True, generator=mt.Generator(5)))
    b = flat(DataLoader(numbers(30), batch_size=4, shuffle=True, generator=mt.Generator(5)))
    assert a == b and sorted(a) == list(range(30)) and a != list(range(30))


def test_getitems_is_used_for_whole_batches() -> None:
    calls = []

    class Batched(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            raise AssertionError("__getitems__ should be used")

        def __getitems__(self, indices):
            calls.append(list(indices))
            return [float(i) for i in indices]

    batches = [b.tolist() for b in DataLoader(Batched(), batch_size=4)]
    assert batches == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]] and calls == [[0, 1, 2, 3], [4, 5]]


def test_pin_memory_is_accepted_and_changes_nothing() -> None:
    loader = DataLoader(numbers(4), batch_size=2, pin_memory=True, pin_memory_device="")
    assert flat(loader) == [0, 1, 2, 3]


# ----------------------------------------------------------------------------- worker threads
@pytest.mark.parametrize("dataset", [numbers(23), Squares()])
def test_workers_give_the_same_batches_in_the_same_order(dataset) -> None:
    def batches(**options):
        loader = DataLoader(dataset, batch_size=4, shuffle=True, generator=mt.Generator(7),
                            **options)
        return [repr(batch) for batch in loader]

    assert batches(num_workers=3) == batches() == batches(num_workers=2, prefetch_factor=1)


def test_workers_are_threads_that_run_worker_init_fn() -> None:
    started, loaded_in = [], set()

    class Where(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            loaded_in.add(threading.current_thread().name)
            return i

    loader = DataLoader(Where(), batch_size=2, num_workers=2, worker_init_fn=started.append,
                        persistent_workers=True)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    assert sorted(started) == [0, 1] and all(n.startswith("DataLoader") for n in loaded_in)
    pool = loader._pool
    assert flat_numbers(loader) == list(range(8)) and loader._pool is pool  # kept
    assert sorted(started) == [0, 1]  # no new workers for the second epoch
    pool.shutdown()


def test_get_worker_info_inside_and_outside_workers() -> None:
    class WhoLoads(Dataset):
        def __len__(self):
            return 6

        def __getitem__(self, i):
            info = get_worker_info()
            return (info.id, info.num_workers, info.dataset is dataset)

    dataset = WhoLoads()
    ids, counts, same = DataLoader(dataset, batch_size=6, num_workers=2).__iter__().__next__()
    assert set(ids.tolist()) <= {0, 1} and counts.tolist() == [2] * 6 and all(same.tolist())
    assert get_worker_info() is None


def flat_numbers(loader) -> list[int]:
    return [v for batch in loader for v in batch.tolist()]


def test_worker_timeout_raises() -> None:
    release = threading.Event()

    class Slow(Dataset):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            release.wait(5)
            return i

    loader = DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.05)
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.05 seconds"):
        list(loader)
    release.set()


def test_worker_errors_reach_the_caller() -> None:
    class Failing(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 2:
                raise KeyError("sample 2 is broken")
            return i

    with pytest.raises(KeyError, match="sample 2 is broken"):
        list(DataLoader(Failing(), batch_size=1, num_workers=2))


# ----------------------------------------------------------------------------- iterable data sets
def test_iterable_dataset_batches_in_stream_order() -> None:
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(7), batch_size=3, drop_last=True)] == [
        [0, 1, 2], [3, 4, 5]]
    assert [int(b) for b in DataLoader(Stream(3), batch_size=None)] == [0, 1, 2]
    with pytest.raises(TypeError, match="has no len"):
        len(DataLoader(Stream(3)))
    chained = Stream(2) + Stream(3)
    assert isinstance(chained, ChainDataset) and list(chained) == [0, 1, 0, 1, 2]


@pytest.mark.parametrize("options, message", [
    (dict(shuffle=True), "expected unspecified shuffle option, but got shuffle=True"),
    (dict(sampler=[1]), r"expected unspecified sampler option, but got sampler=\[1\]"),
    (dict(batch_sampler=[[1]]), "expected unspecified batch_sampler option"),
    (dict(num_workers=2), "num_workers > 0 is not supported"),
])
def test_iterable_dataset_option_errors(options, message) -> None:
    with pytest.raises(ValueError, match=message):
        DataLoader(Stream(3), **options)


def test_concat_refuses_iterable_and_empty() -> None:
    with pytest.raises(AssertionError, match="ConcatDataset does not support IterableDataset"):
        ConcatDataset([Stream(2)])
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])


# ----------------------------------------------------------------------------- StackDataset
def test_stack_dataset_tuple_and_dict_forms() -> None:
    a, b = mt.arange(3), mt.arange(3) * 2
    assert [int(v) for v in StackDataset(a, b)[1]] == [1, 2]
    as_dict = StackDataset(x=a, y=b)
    assert {k: int(v) for k, v in as_dict[2].items()} == {"x": 2, "y": 4} and len(as_dict) == 3
    batch = next(iter(DataLoader(as_dict, batch_size=3)))
    assert batch["y"].tolist() == [0, 2, 4]
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(mt.zeros(3), mt.zeros(4))
    with pytest.raises(ValueError, match="but both types are given"):
        StackDataset(mt.zeros(3), y=mt.zeros(3))
    with pytest.raises(ValueError, match="At least one dataset should be passed"):
        StackDataset()


# ----------------------------------------------------------------------------- collate / convert
def test_default_collate_and_convert_kinds() -> None:
    assert default_collate([1.5, 2.5]).dtype == mt.float64
    assert default_collate(["a", "b"]) == ["a", "b"] and default_collate([b"x", b"y"]) == [b"x",
                                                                                          b"y"]
    batch = default_collate([{"a": 1, "b": [1, 2]}, {"a": 2, "b": [3, 4]}])
    assert batch["a"].tolist() == [1, 2] and [t.tolist() for t in batch["b"]] == [[1, 3], [2, 4]]
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal"):
        default_collate([(1, 2), (3,)])
    Pair = collections.namedtuple("Pair", "x y")
    converted = default_convert(Pair(np.arange(2), "text"))
    assert isinstance(converted, Pair) and isinstance(converted.x, mt.Tensor)
    assert converted.y == "text"
    assert isinstance(default_convert((np.float32(1), 2))[0], mt.Tensor)
    assert default_convert({"a": np.arange(1)})["a"].tolist() == [0]


def test_per_sample_dataset_of_dicts() -> None:
    batch = next(iter(DataLoader(Squares(), batch_size=4)))
    assert batch["x"].dtype == mt.float32 and batch["y"].tolist() == [0, 1, 4, 9]


def test_random_split_with_generator_is_repeatable() -> None:
    first = random_split(range(10), [3, 7], generator=mt.Generator(0))
    second = random_split(range(10), [3, 7], generator=mt.Generator(0))
    assert first[0].indices == second[0].indices and len(first[1]) == 7
    assert sorted(first[0].indices + first[1].indices) == list(range(10))


def test_option_errors_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    data = torch.utils.data
    for options in (dict(sampler=[1], shuffle=True), dict(batch_sampler=[[1]], batch_size=2),
                    dict(batch_size=None, drop_last=True), dict(persistent_workers=True),
                    dict(timeout=-1), dict(batch_size=0)):
        with pytest.raises(ValueError) as theirs:
            data.DataLoader(data.TensorDataset(torch.arange(4)), **options)
        with pytest.raises(ValueError) as ours:
            DataLoader(numbers(4), **options)
        assert str(ours.value) == str(theirs.value)
    # sequential batches are identical
    theirs = [b[0].tolist() for b in data.DataLoader(data.TensorDataset(torch.arange(7)),
                                                     batch_size=3, drop_last=True)]
    assert [b[0].tolist() for b in DataLoader(numbers(7), batch_size=3, drop_last=True)] == theirs
