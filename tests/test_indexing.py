"""Indexing follows PyTorch's rules, not NumPy's, where they differ.

The difference: PyTorch applies ints first, as selections (views), and only then places the
index tensors by the "adjacent or not" rule over the dims that remain; NumPy counts an int next
to an index array as one more index array. ``x[0, :, [1, 2]]`` is (3, 2) in PyTorch, (2, 3) in
NumPy. The hard-coded cases below were computed with PyTorch 2.13 and run without it; the
randomized comparison runs against PyTorch where it is installed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import microtensor as mt
from tests.gradcheck_cases import Case


class _IndexMaker:
    """``I[0, :, [1, 2]]`` is the index ``(0, slice(None), [1, 2])``, written as in ``x[...]``."""

    def __getitem__(self, index):
        return index


I = _IndexMaker()

# (index, PyTorch's result shape, PyTorch's values) for x = arange(24.).reshape(2, 3, 4)
TORCH_RESULTS = [
    (I[0, :, [1, 2]], (3, 2), [1, 2, 5, 6, 9, 10]),
    (I[:, 0, None, [0, 3]], (2, 1, 2), [0, 3, 12, 15]),
    (I[[0, 1], 0, [1, 2]], (2,), [1, 14]),
    (I[0, [0, 1], :, None], (2, 4, 1), [0, 1, 2, 3, 4, 5, 6, 7]),
    (I[None, 0, :, [1, 2]], (1, 3, 2), [1, 2, 5, 6, 9, 10]),
    (I[:, [0, 1], 0], (2, 2), [0, 4, 12, 16]),
    (I[True, 0, [1, 2]], (2, 4), [4, 5, 6, 7, 8, 9, 10, 11]),
    (I[0, True], (1, 3, 4), list(range(12))),
    (I[0, False, 1], (0, 4), []),
    (I[:, True, [0, 1]], (2, 2, 4), [0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 16, 17, 18, 19]),
    (I[1, [True, False, True], [0, 1]], (2,), [12, 21]),
    (I[..., [True, False, True, True]], (2, 3, 3),
     [0, 2, 3, 4, 6, 7, 8, 10, 11, 12, 14, 15, 16, 18, 19, 20, 22, 23]),
    (I[[0], ..., [1]], (1, 3), [1, 5, 9]),
    (I[None, None, 0, [0, 1], None, [1, 2]], (2, 1, 1, 1), [1, 6]),
    (I[[[0]], :, [[1, 2]]], (1, 2, 3), [1, 5, 9, 2, 6, 10]),
    (I[1:, [0, 1]], (1, 2, 4), [12, 13, 14, 15, 16, 17, 18, 19]),
    (I[-1, ::2, [-1, 0, -1]], (2, 3), [15, 12, 15, 23, 20, 23]),
    (I[[1, 0], :, 2], (2, 3), [14, 18, 22, 2, 6, 10]),
    (I[0, ..., [3, 0]], (3, 2), [3, 0, 7, 4, 11, 8]),
    (I[[[True, False, True], [False, True, True]], 1], (4,), [1, 9, 17, 21]),
    (I[[1, -1, 0, 1], [0, 1, 2, 0]], (4, 4),
     [12, 13, 14, 15, 16, 17, 18, 19, 8, 9, 10, 11, 12, 13, 14, 15]),
    (I[[[0], [1]], [0, 1, 2]], (2, 3, 4), list(range(24))),
    (I[:, [[0, 1], [2, 0]], 1:3], (2, 2, 2, 2),
     [1, 2, 5, 6, 9, 10, 1, 2, 13, 14, 17, 18, 21, 22, 13, 14]),
    (I[0, 0, 0], (), [0]),
    (I[0, 1, 2, None], (1,), [6]),
    (I[[True, False]], (1, 3, 4), list(range(12))),
    (I[..., None], (2, 3, 4, 1), list(range(24))),
    (I[1, :, None, [2]], (3, 1, 1), [14, 18, 22]),
    (I[mt.tensor(1), :, mt.tensor([0, 3])], (3, 2), [12, 15, 16, 19, 20, 23]),
    (I[mt.tensor(True)], (1, 2, 3, 4), list(range(24))),
    (I[:, mt.tensor(False)], (2, 0, 3, 4), []),
]


def _arange_x(requires_grad=False):
    return mt.arange(24.0, dtype=mt.float64).reshape(2, 3, 4).requires_grad_(requires_grad)


@pytest.mark.parametrize("index, shape, values", TORCH_RESULTS, ids=[str(k) for k in
                                                                    range(len(TORCH_RESULTS))])
def test_reading_follows_pytorch(index, shape, values):
    out = _arange_x()[index]
    assert out.shape == shape
    assert out.numpy().reshape(-1).tolist() == values


@pytest.mark.parametrize("index, shape, values", TORCH_RESULTS, ids=[str(k) for k in
                                                                    range(len(TORCH_RESULTS))])
def test_gradient_and_assignment_follow_pytorch(index, shape, values):
    """The gradient adds the upstream values back where they were read; assignment writes there."""
    weights = np.arange(1.0, 1.0 + int(np.prod(shape))).reshape(shape)
    x = _arange_x(requires_grad=True)
    (x[index] * mt.tensor(weights)).sum().backward()
    picked = x.grad.numpy().reshape(-1)
    expected = np.zeros(24)
    np.add.at(expected, np.asarray(values, dtype=int), weights.reshape(-1))
    np.testing.assert_array_equal(picked, expected)

    y = mt.zeros(2, 3, 4, dtype=mt.float64)
    y[index] = mt.tensor(weights)
    written = np.zeros(24)
    written[np.asarray(values, dtype=int)] = weights.reshape(-1)  # (no position repeats here
    if len(set(values)) == len(values):  # but in two cases; there the last write wins)
        np.testing.assert_array_equal(y.numpy().reshape(-1), written)


def test_the_issue_cases_by_hand():
    x = _arange_x(requires_grad=True)
    out = x[0, :, [1, 2]]
    assert out.shape == (3, 2)  # NumPy's rule gives (2, 3)
    assert out.tolist() == [[1.0, 2.0], [5.0, 6.0], [9.0, 10.0]]
    assert x[:, 0, None, [0, 3]].shape == (2, 1, 2)  # NumPy: (2, 2, 1)
    # the same shape as NumPy's, other values: a square case
    cube = mt.arange(27.0).reshape(3, 3, 3)
    assert cube[0, :, [0, 1, 2]].tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]
    assert np.arange(27.0).reshape(3, 3, 3)[0, :, [0, 1, 2]].tolist() == [
        [0.0, 3.0, 6.0], [1.0, 4.0, 7.0], [2.0, 5.0, 8.0]]

    weights = mt.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=mt.float64)
    (out * weights).sum().backward()
    expected = np.zeros((2, 3, 4))
    expected[0, :, 1], expected[0, :, 2] = [1.0, 3.0, 5.0], [2.0, 4.0, 6.0]
    np.testing.assert_array_equal(x.grad.numpy(), expected)

    y = mt.zeros(2, 3, 4)
    y[0, :, [1, 2]] = mt.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(y.numpy(), expected)


def test_assignment_gradients_follow_the_same_rule():
    x = _arange_x(requires_grad=True)
    value = mt.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=mt.float64, requires_grad=True)
    y = x * 1.0
    y[0, :, [1, 2]] = value
    weights = np.arange(24.0).reshape(2, 3, 4) + 1
    (y * mt.tensor(weights)).sum().backward()
    kept = np.ones((2, 3, 4))
    kept[0, :, 1:3] = 0
    np.testing.assert_array_equal(x.grad.numpy(), weights * kept)
    np.testing.assert_array_equal(value.grad.numpy(), weights[0][:, [1, 2]])


def test_repeated_indices_add_their_gradients():
    x = mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64, requires_grad=True)
    x[[0, 2, 0, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_an_overwritten_inf_does_not_make_the_gradient_nan():
    """The gradient of ``x[index] = v`` selects (zero where written), it does not multiply."""
    x = mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64, requires_grad=True)
    y = x * 1.0
    y[0, ...] = 5.0
    (y * mt.tensor([np.inf, 1.0, 1.0], dtype=mt.float64)).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0]


def test_basic_indices_give_views():
    x = mt.arange(24.0).reshape(2, 3, 4)
    for index in (I[0], I[0, 1, 2], I[:, 1:3, None], I[..., 1], I[mt.tensor(1), ::2], I[()]):
        assert np.shares_memory(x[index].numpy(), x.numpy()), index
    assert not np.shares_memory(x[[0]].numpy(), x.numpy())
    assert x[0, 1, 2].shape == () and x[0, 1, 2].item() == 6.0


def test_negative_steps_reverse_as_in_numpy():
    """PyTorch refuses negative steps; microtensor (which has no flip) reverses, as NumPy."""
    x = mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64, requires_grad=True)
    out = x[::-1]
    assert out.tolist() == [3.0, 2.0, 1.0]
    (out * mt.tensor([1.0, 10.0, 100.0], dtype=mt.float64)).sum().backward()
    assert x.grad.tolist() == [100.0, 10.0, 1.0]


def test_a_list_of_sequences_is_read_as_a_tuple_as_in_pytorch():
    x = _arange_x()
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        out = x[[[0, 1], [1, 0]]]
    assert out.shape == (2, 4)
    assert out.tolist() == [[4.0, 5.0, 6.0, 7.0], [12.0, 13.0, 14.0, 15.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x[[0, 1, 1]].shape == (3, 3, 4)  # a plain list of ints is an index list


def test_index_lists_of_other_kinds():
    x = _arange_x()
    assert x[[]].shape == (0, 3, 4)  # an empty list is an (empty) long index
    assert x[np.array([0, 1], dtype=np.uint8)].shape == (1, 3, 4)  # uint8: a mask (PyTorch)
    assert x[np.array([1, 0], dtype=np.int32)].numpy()[0, 0, 0] == 12.0
    assert x[np.array(1)].shape == (3, 4)  # a 0-d integer array selects
    assert x[np.int64(1), 2].tolist() == [20.0, 21.0, 22.0, 23.0]


@pytest.mark.parametrize(
    "index, error, fragment",
    [
        (I[5], IndexError, "index 5 is out of bounds for dimension 0 with size 2"),
        (I[-3], IndexError, "index -3 is out of bounds for dimension 0 with size 2"),
        (I[:, 3], IndexError, "index 3 is out of bounds for dimension 1 with size 3"),
        (I[:, [5]], IndexError, "index 5 is out of bounds for dimension 1 with size 3"),
        (I[:, [0, -4]], IndexError, "index -4 is out of bounds for dimension 1 with size 3"),
        (I[0, 0, 0, 0], IndexError, "too many indices for tensor of dimension 3"),
        (I[[True, False, True]], IndexError,
         r"The shape of the mask \[3\] at index 0 does not match the shape of the indexed "
         r"tensor \[2, 3, 4\] at index 0"),
        (I[:, [True, False]], IndexError, r"mask \[2\] at index 0 .* at index 1"),
        (I[1.5], IndexError, r"only integers, slices .* are valid indices \(got float\)"),
        (I[mt.tensor([1.0])], IndexError, "integer or bool"),
        (I[np.bool_(True)], IndexError, "valid indices"),
        (I[..., 0, ...], IndexError, "single ellipsis"),
        (I[:, ::0], ValueError, "slice step cannot be zero"),
        (I[[0, 1], [0, 1, 2]], IndexError, "shape mismatch"),
    ],
)
def test_bad_indices_raise_like_pytorch(index, error, fragment):
    x = _arange_x()
    with pytest.raises(error, match=fragment):
        x[index]
    with pytest.raises(error, match=fragment):
        x[index] = 1.0
    assert x.numpy().reshape(-1).tolist() == list(range(24))  # nothing was written


def test_out_of_range_indices_raise_even_when_nothing_is_picked():
    """PyTorch skips its bounds check when the result is empty (``zeros(2, 0, 3)[[0], :, [7]]``
    is a (1, 0) tensor there); an index out of range is an error all the same."""
    with pytest.raises(IndexError, match="index 7 is out of bounds for dimension 2 with size 3"):
        mt.zeros(2, 0, 3)[[0], :, [7]]
    with pytest.raises(IndexError, match="index 5 is out of bounds for dimension 0 with size 3"):
        mt.zeros(3, 0)[[5], :]
    assert mt.zeros(3, 0)[[2], :].shape == (1, 0)


def test_indexing_a_0d_tensor():
    s = mt.tensor(3.0)
    assert s[()].shape == () and s[...].shape == () and s[None].shape == (1,)
    assert s[True].shape == (1,) and s[False].shape == (0,)
    assert s[None, True].shape == (1, 1)
    with pytest.raises(IndexError, match=r"too many indices for tensor of dimension 0.*item\(\)"):
        s[0]


def _np_pt_index(a, *pytorch_steps):
    """NumPy reference of a PyTorch index: apply each step (basic first, then advanced)."""
    for step in pytorch_steps:
        a = a[step]
    return a


GRADCHECK_CASES = [
    Case("getitem_int_then_indices", lambda x: x[0, :, [1, 2, 1]], [(2, 3, 4)],
         reference=lambda x: _np_pt_index(x, 0, (slice(None), [1, 2, 1]))),
    Case("getitem_true_int_indices", lambda x: x[True, 1, [0, 2]], [(2, 3, 4)],
         reference=lambda x: x[None, 1][[0], [0, 2]]),
    Case("getitem_apart_indices_mask", lambda x: x[[1, 0], :, np.array([True, False, True])],
         [(2, 3, 3)], reference=lambda x: x[[1, 0], :, [0, 2]]),
    Case("setitem_int_then_indices", lambda x, v: _set(x, (0, slice(None), [1, 2]), v),
         [(2, 3, 4), (3, 2)],
         reference=lambda x, v: _set_reference(x, lambda y: y[0], (slice(None), [1, 2]), v)),
]


def _set(x, index, value):
    y = x * 1.0
    y[index] = value
    return y


def _set_reference(x, basic, advanced, value):
    y = x.copy()
    basic(y)[advanced] = value
    return y


# ----------------------------------------------------------------------------- against PyTorch


def _random_shape(rng):
    ndim = int(rng.integers(0, 5))
    return tuple(int(rng.choice([0, 1, 2, 3, 4], p=[0.05, 0.15, 0.3, 0.3, 0.2]))
                 for _ in range(ndim))


class _Spec:
    """A random index, written once and given to both libraries in their own types."""

    def __init__(self, rng, shape):
        self.rng, self.shape, self.items = rng, shape, []
        # index arrays share one broadcast shape (or a suffix of it) so they fit together
        self.broadcast = [(), (2,), (3,), (2, 1), (1, 3), (0,)][int(rng.integers(0, 6))]
        if rng.random() < 0.3:
            before = int(rng.integers(0, len(shape) + 1))
            after = int(rng.integers(before, len(shape) + 1))
            self._dims(0, before)
            self.items.append(("ellipsis",))
            self._dims(after, len(shape))  # `...` stands for the dims in between
        else:
            self._dims(0, int(rng.integers(0, len(shape) + 1)))
        self._sprinkle()

    def _dims(self, start, stop):
        d = start
        while d < stop:
            kind = self.rng.choice(["int", "slice", "array", "mask", "int0d", "list"])
            size = self.shape[d]
            if size == 0 and kind != "slice":  # nothing to pick: an empty mask or a slice
                kind = "mask" if self.rng.random() < 0.5 else "slice"
            if kind == "mask":
                k = int(self.rng.integers(1, min(2, stop - d) + 1))
                mask = self.rng.random(self.shape[d:d + k]) < 0.5
                self.items.append(("mask", mask))
                d += k
                continue
            if kind in ("int", "int0d"):
                self.items.append((kind, int(self.rng.integers(-size, size))))
            elif kind == "slice":
                step = [None, 1, 2, 3][int(self.rng.integers(0, 4))]
                self.items.append(("slice", slice(self._bound(size), self._bound(size), step)))
            else:
                cut = int(self.rng.integers(0, len(self.broadcast) + 1))
                indices = self.rng.integers(-size, size, size=self.broadcast[cut:])
                self.items.append((kind, indices))
            d += 1

    def _bound(self, size):
        return None if self.rng.random() < 0.3 else int(self.rng.integers(-size - 1, size + 2))

    def _sprinkle(self):
        """None, True and False take no dim: put a few anywhere."""
        for _ in range(int(self.rng.integers(0, 3))):
            at = int(self.rng.integers(0, len(self.items) + 1))
            item = [("none",), ("bool", True), ("bool", False), ("bool0d", True),
                    ("bool0d", False)][int(self.rng.integers(0, 5))]
            self.items.insert(at, item)

    def _convert(self, torch, item):
        kind, *rest = item
        value = rest[0] if rest else None
        if kind in ("int", "slice", "bool"):
            return value
        if kind == "none":
            return None
        if kind == "ellipsis":
            return Ellipsis
        if kind in ("int0d", "bool0d"):
            return torch.tensor(value) if torch else mt.tensor(value)
        if kind == "list":
            return value.tolist()
        if torch is not None:
            return torch.tensor(value)
        return value if self.rng.random() < 0.5 else mt.tensor(value)

    def index(self, torch=None):
        items = tuple(self._convert(torch, item) for item in self.items)
        if len(items) == 1 and self.items[0][0] not in ("list",):
            return items[0]
        return items


def _run(lib, x_array, index, weights, value, weights_set):
    """Read, the gradient of a weighted sum of what was read, assignment and its gradients."""
    x = lib.tensor(x_array, dtype=lib.float64, requires_grad=True)
    out = x[index]
    (out * lib.tensor(weights, dtype=lib.float64)).sum().backward()
    read, grad = out.detach().numpy().copy(), _grad_of(x).copy()
    x.grad = None
    v = lib.tensor(value, dtype=lib.float64, requires_grad=True)
    y = x * 1.0
    y[index] = v
    (y * lib.tensor(weights_set, dtype=lib.float64)).sum().backward()
    return read, grad, y.detach().numpy(), _grad_of(x), _grad_of(v)


def _grad_of(t):
    """The gradient as an array (none, as PyTorch leaves it for an empty write, is zero)."""
    return np.zeros(tuple(t.shape)) if t.grad is None else t.grad.numpy()


def _outcome(lib, *args):
    try:
        return _run(lib, *args)
    except (IndexError, ValueError, RuntimeError) as error:
        return type(error)


def test_random_indices_match_pytorch():
    """Read, gradient and assignment of many random index expressions (ints, negative ints,
    slices with steps, None, ``...``, int lists/arrays/tensors with repeats, masks, 0-d bools and
    0-d ints, in all combinations) on tensors of up to 4 dims, against PyTorch."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(20260501)
    compared = errors = 0
    for _ in range(1500):
        shape = _random_shape(rng)
        spec = _Spec(rng, shape)
        x_array = rng.standard_normal(shape)
        try:
            expected_shape = tuple(torch.zeros(shape)[spec.index(torch)].shape)
        except (IndexError, RuntimeError, ValueError):
            expected_shape = None
        if expected_shape is None:  # PyTorch refuses it: microtensor must refuse it too
            with pytest.raises((IndexError, ValueError, RuntimeError)):
                mt.zeros(*shape)[spec.index()]
            errors += 1
            continue
        positions = mt.tensor(np.arange(int(np.prod(shape))).reshape(shape))[spec.index()]
        repeats = len(np.unique(positions.numpy())) < positions.numel()
        weights = rng.standard_normal(expected_shape)
        value = rng.standard_normal() if repeats else rng.standard_normal(
            expected_shape[int(rng.integers(0, len(expected_shape) + 1)):])
        args = (x_array, weights, value, rng.standard_normal(shape))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = _outcome(torch, args[0], spec.index(torch), *args[1:])
            ours = _outcome(mt, args[0], spec.index(), *args[1:])
        context = f"shape {shape}, index {spec.items}"
        assert isinstance(theirs, tuple), context  # PyTorch read it, so it can assign it
        assert isinstance(ours, tuple), f"{context}: microtensor raised {ours}"
        for mine, reference in zip(ours, theirs):
            assert mine.shape == reference.shape, context
            np.testing.assert_allclose(mine, reference, rtol=1e-12, atol=0, err_msg=context)
        compared += 1
    assert compared > 1000 and errors < 200


def test_random_indices_give_views_and_layouts_as_in_pytorch():
    """A view exactly where PyTorch gives one, and contiguous exactly where PyTorch's result is
    (so that ``.view`` works on the result exactly where it works in PyTorch)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    compared = 0
    for _ in range(1000):
        shape = _random_shape(rng)
        spec = _Spec(rng, shape)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                theirs = torch.zeros(shape)[spec.index(torch)]
            except (IndexError, RuntimeError, ValueError):
                continue
            x = mt.zeros(*shape)
            ours = x[spec.index()]
        assert ours.is_contiguous() == theirs.is_contiguous(), spec.items
        if theirs.numel():
            assert np.shares_memory(ours.numpy(), x.numpy()) == theirs._is_view(), spec.items
        compared += 1
    assert compared > 800
