"""Tests of microtensor.utils.data: TensorDataset, DataLoader, collate, random_split, Subset."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import microtensor as mt
from microtensor.utils.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
    split_lengths,
)


def make_dataset(n: int = 10, features: int = 3) -> TensorDataset:
    x = mt.tensor(np.arange(n * features, dtype=np.float32).reshape(n, features))
    y = mt.tensor(np.arange(n, dtype=np.int64))
    return TensorDataset(x, y)


class ListDataset(Dataset):
    """A plain map-style dataset (per-sample path) returning whatever it holds."""

    def __init__(self, items: list) -> None:
        self.items = items

    def __getitem__(self, index: int):
        return self.items[index]

    def __len__(self) -> int:
        return len(self.items)


def labels_in_order(loader: DataLoader) -> list[int]:
    return [int(v) for _, y in loader for v in y.tolist()]


# ----------------------------------------------------------------------------- TensorDataset
def test_tensor_dataset_len_and_items():
    ds = make_dataset(10)
    assert len(ds) == 10
    x, y = ds[3]
    np.testing.assert_array_equal(x.numpy(), [9.0, 10.0, 11.0])
    assert y.item() == 3 and y.shape == ()
    assert isinstance(ds[3], tuple)
    with pytest.raises(IndexError):
        ds[10]
    # Python's iteration protocol stops at the IndexError
    assert len(list(ds)) == 10


def test_tensor_dataset_accepts_arrays():
    ds = TensorDataset(np.zeros((4, 2), np.float32), np.arange(4))
    assert isinstance(ds[1][0], mt.Tensor) and len(ds) == 4


def test_tensor_dataset_size_mismatch_names_sizes():
    with pytest.raises(ValueError, match=r"sizes 5, 4 \(shapes \(5, 2\), \(4,\)\)"):
        TensorDataset(mt.zeros(5, 2), mt.zeros(4))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(TypeError, match="argument 1 is a list"):
        TensorDataset(mt.zeros(2), [1, 2])
    with pytest.raises(ValueError, match="0-d"):
        TensorDataset(mt.tensor(1.0))


def test_dataset_base_is_abstract():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Dataset())


def test_tensor_dataset_transforms_apply_per_sample():
    ds = make_dataset(4)
    ds_t = TensorDataset(*ds.tensors, transform=lambda x: x * 2, target_transform=lambda y: y + 100)
    x, y = ds_t[1]
    np.testing.assert_array_equal(x.numpy(), [6.0, 8.0, 10.0])
    assert y.item() == 101


# ----------------------------------------------------------------------------- DataLoader
def test_loader_batches_in_order_without_shuffle():
    ds = make_dataset(10)
    loader = DataLoader(ds, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [tuple(x.shape) for x, _ in batches] == [(4, 3), (4, 3), (2, 3)]
    assert labels_in_order(loader) == list(range(10))
    x0, y0 = batches[0]
    assert isinstance(batches[0], list)  # like PyTorch: a batch of tuples collates to a list
    np.testing.assert_array_equal(x0.numpy(), ds.tensors[0].numpy()[:4])
    assert x0.dtype == np.float32 and y0.dtype == np.int64


def test_loader_drop_last_and_len():
    ds = make_dataset(10)
    loader = DataLoader(ds, batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [x.shape[0] for x, _ in loader] == [4, 4]
    assert len(DataLoader(ds, batch_size=5, drop_last=True)) == 2
    assert len(DataLoader(ds, batch_size=3)) == 4
    assert len(DataLoader(ds, batch_size=100)) == 1
    assert len(DataLoader(ds, batch_size=100, drop_last=True)) == 0
    assert list(DataLoader(ds, batch_size=100, drop_last=True)) == []


def test_full_batch_minibatch_and_sgd_are_batch_sizes():
    ds = make_dataset(6)
    assert [x.shape[0] for x, _ in DataLoader(ds, batch_size=6)] == [6]
    assert [x.shape[0] for x, _ in DataLoader(ds, batch_size=1)] == [1] * 6


def test_shuffle_is_a_permutation_and_changes_per_epoch():
    ds = make_dataset(50)
    mt.manual_seed(0)
    loader = DataLoader(ds, batch_size=8, shuffle=True)
    first, second = labels_in_order(loader), labels_in_order(loader)
    assert sorted(first) == list(range(50)) == sorted(second)
    assert first != list(range(50))
    assert first != second  # a new order every epoch


def test_shuffle_reproducible_with_manual_seed():
    ds = make_dataset(30)
    loader = DataLoader(ds, batch_size=7, shuffle=True)
    mt.manual_seed(123)
    a = [labels_in_order(loader), labels_in_order(loader)]
    mt.manual_seed(123)
    b = [labels_in_order(loader), labels_in_order(loader)]
    assert a == b


def test_shuffle_with_generator_and_seed():
    ds = make_dataset(30)
    a = labels_in_order(DataLoader(ds, batch_size=4, shuffle=True, generator=mt.Generator(5)))
    mt.manual_seed(99)  # the global generator must not matter
    b = labels_in_order(DataLoader(ds, batch_size=4, shuffle=True, generator=mt.Generator(5)))
    c = labels_in_order(DataLoader(ds, batch_size=4, shuffle=True, seed=5))
    d = labels_in_order(DataLoader(ds, batch_size=4, shuffle=True, generator=mt.Generator(6)))
    assert a == b == c
    assert a != d
    # the order is the permutation drawn from the generator
    assert a == mt.Generator(5).numpy.permutation(30).tolist()
    with pytest.raises(ValueError, match="either generator or seed"):
        DataLoader(ds, shuffle=True, generator=mt.Generator(1), seed=1)
    with pytest.raises(TypeError, match="mt.Generator"):
        DataLoader(ds, shuffle=True, generator=5)


def test_shuffled_batches_pair_inputs_with_labels():
    ds = make_dataset(20)
    for x, y in DataLoader(ds, batch_size=6, shuffle=True, seed=0):
        np.testing.assert_array_equal(x.numpy()[:, 0], y.numpy() * 3)


@pytest.mark.parametrize("bad", [0, -1, 2.0, "8", True])
def test_bad_batch_size(bad):
    with pytest.raises(ValueError, match="batch_size should be a positive integer"):
        DataLoader(make_dataset(4), batch_size=bad)


def test_num_workers_accepted_and_checked():
    ds = make_dataset(5)
    assert labels_in_order(DataLoader(ds, batch_size=2, num_workers=2)) == list(range(5))
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)


def test_fast_path_does_not_fetch_samples_one_by_one(monkeypatch):
    ds = make_dataset(20)
    expected = [(x.numpy().copy(), y.numpy().copy())
                for x, y in DataLoader(TensorDataset(*ds.tensors, transform=lambda t: t),
                                       batch_size=6, shuffle=True, seed=3)]

    def forbidden(self, index):
        raise AssertionError("the fast path must not call __getitem__ per sample")

    monkeypatch.setattr(TensorDataset, "__getitem__", forbidden)
    got = list(DataLoader(ds, batch_size=6, shuffle=True, seed=3))
    assert len(got) == len(expected)
    for (x, y), (ex, ey) in zip(got, expected):
        np.testing.assert_array_equal(x.numpy(), ex)
        np.testing.assert_array_equal(y.numpy(), ey)
    # a Subset of a TensorDataset (what random_split returns) also takes the fast path
    train, _ = random_split(ds, [15, 5], generator=mt.Generator(0))
    assert sum(x.shape[0] for x, _ in DataLoader(train, batch_size=4)) == 15


def test_fast_and_per_sample_paths_agree_on_subsets():
    ds = make_dataset(25)
    slow = TensorDataset(*ds.tensors, transform=lambda t: t)
    a_parts = random_split(ds, [0.6, 0.4], generator=mt.Generator(1))
    b_parts = random_split(slow, [0.6, 0.4], generator=mt.Generator(1))
    for a, b in zip(a_parts, b_parts):
        fast = list(DataLoader(a, batch_size=4, shuffle=True, seed=2))
        per_sample = list(DataLoader(b, batch_size=4, shuffle=True, seed=2))
        assert len(fast) == len(per_sample)
        for (xa, ya), (xb, yb) in zip(fast, per_sample):
            assert xa.dtype == xb.dtype and ya.dtype == yb.dtype
            np.testing.assert_array_equal(xa.numpy(), xb.numpy())
            np.testing.assert_array_equal(ya.numpy(), yb.numpy())


def test_subclass_overriding_getitem_is_respected():
    class Doubled(TensorDataset):
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return x * 2, y

    ds = make_dataset(5)
    (x, _), = list(DataLoader(Doubled(*ds.tensors), batch_size=5))
    np.testing.assert_array_equal(x.numpy(), ds.tensors[0].numpy() * 2)


def test_custom_collate_fn():
    ds = make_dataset(5)
    loader = DataLoader(ds, batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(loader) == [2, 2, 1]


def test_tensors_requiring_grad_keep_their_graph():
    w = mt.ones(4, 2, requires_grad=True)
    ds = TensorDataset(w * 3)
    (batch,) = next(iter(DataLoader(ds, batch_size=4)))
    batch.sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.full((4, 2), 3.0))


def test_per_sample_dataset_of_numbers_and_dicts():
    ds = ListDataset([{"x": np.array([i, i + 1.0]), "y": i, "w": 0.5 * i, "name": f"s{i}"}
                      for i in range(5)])
    batches = list(DataLoader(ds, batch_size=2))
    assert len(batches) == 3
    b = batches[0]
    assert set(b) == {"x", "y", "w", "name"}
    np.testing.assert_array_equal(b["x"].numpy(), [[0.0, 1.0], [1.0, 2.0]])
    assert b["y"].dtype == np.int64 and b["y"].tolist() == [0, 1]
    assert b["w"].dtype == np.float64 and b["w"].tolist() == [0.0, 0.5]
    assert b["name"] == ["s0", "s1"]


# ----------------------------------------------------------------------------- collate
def test_default_collate_kinds():
    t = default_collate([mt.tensor([1.0, 2.0]), mt.tensor([3.0, 4.0])])
    assert isinstance(t, mt.Tensor) and t.shape == (2, 2)
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32
    nested = default_collate([(1, [2.0, mt.tensor(3.0)]), (4, [5.0, mt.tensor(6.0)])])
    assert nested[0].tolist() == [1, 4]
    assert nested[1][0].tolist() == [2.0, 5.0]
    assert nested[1][1].tolist() == [3.0, 6.0]
    Point = collections.namedtuple("Point", "x y")
    p = default_collate([Point(1, 2.0), Point(3, 4.0)])
    assert isinstance(p, Point) and p.x.tolist() == [1, 3]


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="same length"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(TypeError, match="found NoneType"):
        default_collate([None, None])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([mt.zeros(2), mt.zeros(3)])
    with pytest.raises(ValueError, match="empty"):
        default_collate([])


# ----------------------------------------------------------------------------- random_split
def test_random_split_counts():
    ds = make_dataset(10)
    parts = random_split(ds, [3, 7], generator=mt.Generator(0))
    assert [len(p) for p in parts] == [3, 7]
    assert all(isinstance(p, Subset) for p in parts)
    seen = sorted(int(p[i][1]) for p in parts for i in range(len(p)))
    assert seen == list(range(10))  # disjoint and complete


def test_random_split_fractions_follow_pytorch_rule():
    # floor(n * f) each, then the remainder one by one to the splits in order
    assert split_lengths(10, [0.33, 0.33, 0.34]) == [4, 3, 3]
    assert split_lengths(1797, [0.7, 0.15, 0.15]) == [1258, 270, 269]
    assert split_lengths(5, [0.5, 0.5]) == [3, 2]
    parts = random_split(make_dataset(10), [0.8, 0.2], generator=mt.Generator(0))
    assert [len(p) for p in parts] == [8, 2]


def test_random_split_matches_torch_lengths():
    torch = pytest.importorskip("torch")
    for n, fractions in [(10, [0.33, 0.33, 0.34]), (101, [0.5, 0.25, 0.25]), (7, [0.1, 0.9])]:
        expected = [len(s) for s in torch.utils.data.random_split(range(n), fractions)]
        assert split_lengths(n, fractions) == expected


def test_random_split_reproducible():
    ds = make_dataset(20)
    a = random_split(ds, [10, 10], generator=mt.Generator(4))
    b = random_split(ds, [10, 10], generator=mt.Generator(4))
    assert a[0].indices == b[0].indices
    mt.manual_seed(1)
    c = random_split(ds, [10, 10])
    mt.manual_seed(1)
    d = random_split(ds, [10, 10])
    assert c[1].indices == d[1].indices


def test_random_split_errors():
    ds = make_dataset(10)
    with pytest.raises(ValueError, match=r"sum to 9, but the dataset has 10"):
        random_split(ds, [4, 5])
    with pytest.raises(ValueError, match="non-negative"):
        random_split(ds, [11, -1])
    with pytest.raises(ValueError, match="not between 0 and 1"):
        random_split(ds, [1.5, -0.5])
    with pytest.warns(UserWarning, match="length of split at index 1 is 0"):
        random_split(make_dataset(2), [0.99, 0.01])


def test_subset_and_concat():
    ds = make_dataset(10)
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and int(sub[0][1]) == 7 and int(sub[-1][1]) == 5
    assert labels_in_order(DataLoader(sub, batch_size=2)) == [7, 2, 5]
    with pytest.raises(ValueError, match="1-D sequence of ints"):
        Subset(ds, [[1, 2]])
    both = ds + sub
    assert isinstance(both, ConcatDataset) and len(both) == 13
    assert int(both[10][1]) == 7 and int(both[-1][1]) == 5 and int(both[3][1]) == 3
    with pytest.raises(IndexError):
        both[13]
    assert labels_in_order(DataLoader(both, batch_size=5)) == list(range(10)) + [7, 2, 5]

