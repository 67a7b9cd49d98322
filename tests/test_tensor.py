"""The Tensor object: creation, dtypes, attributes, repr, NumPy interop, Python protocols."""

from __future__ import annotations

import itertools
import operator

import numpy as np
import pytest

import microtensor as mt


@pytest.fixture
def float64_default():
    """Switch the default dtype to float64 for one test, and always switch it back."""
    previous = mt.get_default_dtype()
    mt.set_default_dtype(mt.float64)
    try:
        yield
    finally:
        mt.set_default_dtype(previous)


# --------------------------------------------------------------------------- creation


@pytest.mark.parametrize(
    "data, dtype",
    [
        ([1.0, 2.0], mt.float32),
        ([1, 2], mt.int64),
        ([True, False], mt.bool),
        ([1, 2.5], mt.float32),  # mixed int/float: float
        ([[1, 2], [3, 4]], mt.int64),
        (3.5, mt.float32),
        (7, mt.int64),
        (True, mt.bool),
        ([], mt.float32),
    ],
)
def test_tensor_infers_dtype_like_pytorch(data, dtype):
    t = mt.tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=dtype))


def test_tensor_from_numpy_array_keeps_its_dtype_and_copies():
    for dtype in (np.float64, np.float32, np.int32, np.int64, np.bool_, np.uint8):
        source = np.arange(6).reshape(2, 3).astype(dtype)
        t = mt.tensor(source)
        assert t.dtype == np.dtype(dtype)
        assert t.shape == (2, 3)
        source[0, 1] = 0
        assert t.tolist()[0][1] == (1 if dtype is not np.bool_ else True)  # mt.tensor copied


def test_tensor_explicit_dtype_and_copy_of_tensor():
    t = mt.tensor([1, 2, 3], dtype=mt.float64)
    assert t.dtype == mt.float64
    copy = mt.tensor(t)
    copy.add_(1)
    assert t.tolist() == [1.0, 2.0, 3.0]
    assert copy.tolist() == [2.0, 3.0, 4.0]
    assert mt.tensor([1.7, -1.7], dtype=mt.int32).tolist() == [1, -1]


def test_tensor_constructor_class_makes_float():
    assert mt.Tensor([1, 2]).dtype == mt.float32
    assert mt.Tensor([1, 2]).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("factory, fill", [(mt.zeros, 0.0), (mt.ones, 1.0)])
def test_zeros_ones_accept_all_shape_spellings(factory, fill):
    for args in [(2, 3), ((2, 3),), ([2, 3],)]:
        t = factory(*args)
        assert t.shape == (2, 3)
        assert t.dtype == mt.float32
        assert np.all(t.numpy() == fill)
    assert factory(()).shape == ()
    assert factory(0).shape == (0,)
    assert factory(2, dtype=mt.int64).dtype == mt.int64
    assert factory(2, requires_grad=True).requires_grad


def test_empty_full_and_like_factories():
    assert mt.empty(2, 3).shape == (2, 3)
    assert mt.empty(2, 3).dtype == mt.float32
    assert mt.full((2, 2), 3).dtype == mt.int64  # PyTorch infers from the fill value
    assert mt.full((2, 2), 1.5).dtype == mt.float32
    assert mt.full((2,), True).dtype == mt.bool
    assert mt.full((2, 3), 7.0).tolist() == [[7.0] * 3] * 2
    assert mt.full((2,), 1, dtype=mt.float64).dtype == mt.float64

    base = mt.tensor([[1, 2], [3, 4]], dtype=mt.int32)
    assert mt.zeros_like(base).dtype == mt.int32
    assert mt.zeros_like(base).tolist() == [[0, 0], [0, 0]]
    assert mt.ones_like(base, dtype=mt.float64).dtype == mt.float64
    assert mt.full_like(base, 5).tolist() == [[5, 5], [5, 5]]
    assert mt.empty_like(base).shape == (2, 2)
    floats = mt.ones(3, 2, dtype=mt.float64)
    assert mt.rand_like(floats).dtype == mt.float64
    assert mt.randn_like(floats).shape == (3, 2)
    assert mt.zeros_like(floats, requires_grad=True).requires_grad


def test_arange_linspace_eye_match_numpy():
    assert mt.arange(5).dtype == mt.int64
    assert mt.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert mt.arange(1, 4).tolist() == [1, 2, 3]
    assert mt.arange(10, 0, -3).tolist() == [10, 7, 4, 1]
    assert mt.arange(5.0).dtype == mt.float32
    np.testing.assert_allclose(mt.arange(0, 1, 0.25).numpy(), [0, 0.25, 0.5, 0.75])
    assert mt.arange(0, 1, 0.1).shape == (10,)
    assert mt.arange(3, dtype=mt.float64).dtype == mt.float64
    np.testing.assert_allclose(mt.linspace(-1, 1, 5).numpy(), np.linspace(-1, 1, 5))
    assert mt.linspace(0, 1, 5).dtype == mt.float32
    np.testing.assert_array_equal(mt.eye(3).numpy(), np.eye(3))
    np.testing.assert_array_equal(mt.eye(2, 3).numpy(), np.eye(2, 3))
    assert mt.eye(3).dtype == mt.float32


def test_random_factories_are_seeded_and_in_range():
    mt.manual_seed(123)
    a = mt.randn(4, 5)
    u = mt.rand(1000)
    mt.manual_seed(123)
    b = mt.randn(4, 5)
    assert a.equal(b)
    assert a.dtype == mt.float32 and a.shape == (4, 5)
    assert 0.0 <= u.numpy().min() and u.numpy().max() < 1.0
    assert abs(u.numpy().mean() - 0.5) < 0.05

    g1, g2 = mt.Generator(7), mt.Generator(7)
    assert mt.rand(3, generator=g1).equal(mt.rand(3, generator=g2))
    assert not mt.rand(3, generator=g1).equal(mt.rand(3, generator=mt.Generator(8)))

    r = mt.randint(2, 5, (200,))
    assert r.dtype == mt.int64
    assert set(r.tolist()) == {2, 3, 4}
    r0 = mt.randint(3, (50,))  # randint(high, size), as in PyTorch
    assert r0.shape == (50,) and set(r0.tolist()) <= {0, 1, 2}
    assert mt.randint(0, 4, size=(2, 2)).shape == (2, 2)
    assert sorted(mt.randperm(6).tolist()) == list(range(6))
    assert mt.randperm(6).dtype == mt.int64
    assert mt.randn(3, dtype=mt.float64).dtype == mt.float64


# --------------------------------------------------------------------------- default dtype


def test_default_dtype_is_float32():
    assert mt.get_default_dtype() == mt.float32
    for t in (mt.tensor([1.0]), mt.zeros(1), mt.ones(1), mt.rand(1), mt.randn(1),
              mt.arange(1.0), mt.linspace(0, 1, 2), mt.eye(1), mt.full((1,), 2.0)):
        assert t.dtype == mt.float32


def test_set_default_dtype_changes_new_float_tensors(float64_default):
    assert mt.get_default_dtype() == mt.float64
    for t in (mt.tensor([1.0]), mt.zeros(1), mt.ones(1), mt.rand(1), mt.randn(1),
              mt.arange(1.0), mt.linspace(0, 1, 2), mt.eye(1), mt.tensor(2.5)):
        assert t.dtype == mt.float64
    assert mt.tensor([1, 2]).dtype == mt.int64  # integers are not affected
    assert (mt.tensor([1, 2]) / 2).dtype == mt.float64  # true division gives the default
    assert mt.tensor([1, 2]).exp().dtype == mt.float64
    assert repr(mt.tensor([1.5])) == "tensor([1.5000])"  # the default is not printed
    assert repr(mt.tensor([1.5], dtype=mt.float32)) == "tensor([1.5000], dtype=microtensor.float32)"


def test_set_default_dtype_refuses_non_float():
    with pytest.raises(TypeError, match="float32 and float64"):
        mt.set_default_dtype(mt.int64)
    assert mt.get_default_dtype() == mt.float32


def test_dtype_aliases():
    assert mt.float is mt.float32 and mt.double is mt.float64
    assert mt.long is mt.int64 and mt.int is mt.int32
    assert mt.float32 == np.float32


# --------------------------------------------------------------------------- attributes


def test_attributes():
    t = mt.zeros(2, 3, 4)
    assert t.shape == (2, 3, 4)
    assert t.size() == (2, 3, 4)
    assert t.size(0) == 2 and t.size(-1) == 4
    assert t.ndim == 3 and t.dim() == 3
    assert t.numel() == 24
    assert t.dtype == mt.float32
    assert t.element_size() == 4
    assert t.device == "cpu"
    assert t.is_leaf and not t.requires_grad and t.grad is None and t.grad_fn is None
    assert mt.numel(t) == 24
    assert mt.is_tensor(t) and not mt.is_tensor(np.zeros(2))
    with pytest.raises(IndexError):
        t.size(3)


def test_transposes_T_and_mT():
    a = np.arange(24.0).reshape(2, 3, 4)
    t = mt.tensor(a)
    with pytest.warns(UserWarning, match="deprecated"):  # x.T beyond 2-D, as PyTorch warns
        np.testing.assert_array_equal(t.T.numpy(), a.T)
    np.testing.assert_array_equal(t.mT.numpy(), a.swapaxes(-1, -2))
    m = mt.tensor([[1, 2], [3, 4]])
    assert m.t().tolist() == [[1, 3], [2, 4]]
    with pytest.raises(RuntimeError, match="<= 2 dims"):
        t.t()


def test_leaf_and_grad_fn_attributes():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and x.grad_fn is None
    assert not y.is_leaf and y.requires_grad and y.grad_fn is not None
    assert y.grad_fn.name() == "MulBackward"
    # PyTorch's (node, input index) pairs: the leaf's AccumulateGrad, and (None, 0) for the 2
    (accumulate, index), constant = y.grad_fn.next_functions
    assert type(accumulate).__name__ == "AccumulateGrad" and accumulate.variable is x
    assert index == 0 and constant == (None, 0)
    z = y.exp()
    assert z.grad_fn.next_functions == ((y.grad_fn, 0),)
    with mt.no_grad():
        w = x * 2
    assert w.is_leaf and not w.requires_grad


def test_conversions_between_dtypes():
    t = mt.tensor([1.7, -2.2])
    assert t.double().dtype == mt.float64
    assert t.long().tolist() == [1, -2]
    assert t.int().dtype == mt.int32
    assert t.float().dtype == mt.float32
    assert mt.tensor([1, 0]).bool().tolist() == [True, False]
    assert t.to(mt.float64).dtype == mt.float64
    assert t.to(dtype=mt.float64).dtype == mt.float64
    assert t.to("cpu") is t
    assert t.type(mt.float64).dtype == mt.float64
    assert t.type_as(mt.zeros(1, dtype=mt.int64)).dtype == mt.int64
    assert t.is_floating_point() and not t.long().is_floating_point()
    # casting between floats is differentiable
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x.double() * 3
    y.sum().backward()
    assert x.grad.dtype == mt.float32
    assert x.grad.tolist() == [3.0, 3.0]


# --------------------------------------------------------------------------- repr


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda: mt.tensor([1.0, 2.5]), "tensor([1.0000, 2.5000])"),
        (lambda: mt.tensor([1.0, 2.0]), "tensor([1., 2.])"),
        (lambda: mt.tensor([-1.0, 2.0]), "tensor([-1.,  2.])"),
        (lambda: mt.tensor(3.0), "tensor(3.)"),
        (lambda: mt.tensor(3.25), "tensor(3.2500)"),
        (lambda: mt.tensor([1, 2, 3]), "tensor([1, 2, 3])"),
        (lambda: mt.tensor(2), "tensor(2)"),
        (lambda: mt.tensor([True, False]), "tensor([ True, False])"),
        (lambda: mt.tensor([1.0, 2.0], dtype=mt.float64),
         "tensor([1., 2.], dtype=microtensor.float64)"),
        (lambda: mt.tensor([1, 2], dtype=mt.int32), "tensor([1, 2], dtype=microtensor.int32)"),
        (lambda: mt.tensor([1.0, 2.0], requires_grad=True),
         "tensor([1., 2.], requires_grad=True)"),
        (lambda: mt.tensor([1.0, 2.0], requires_grad=True) * 2,
         "tensor([2., 4.], grad_fn=<MulBackward>)"),
        (lambda: mt.zeros(0), "tensor([])"),
        (lambda: mt.zeros(2, 0), "tensor([], size=(2, 0))"),
        (lambda: mt.tensor([[1.0, 2.0], [3.0, 4.0]]), "tensor([[1., 2.],\n        [3., 4.]])"),
        (lambda: mt.tensor([1e-5, 1.0, 1e5]), "tensor([1.0000e-05, 1.0000e+00, 1.0000e+05])"),
        (lambda: mt.tensor([1e10, 1.0]), "tensor([1.0000e+10, 1.0000e+00])"),
        (lambda: mt.tensor([5e-5, 1e-2]), "tensor([5.0000e-05, 1.0000e-02])"),
        (lambda: mt.tensor([-3e9, 1.0]), "tensor([-3.0000e+09,  1.0000e+00])"),
        (lambda: mt.tensor([float("nan"), 1.5, float("inf")]),
         "tensor([   nan, 1.5000,    inf])"),
        (lambda: mt.tensor([1.0, float("nan")]), "tensor([1., nan])"),
        (lambda: mt.tensor([100.5, -1.25]), "tensor([100.5000,  -1.2500])"),
        (lambda: mt.tensor([[1.5, -2.0], [1e-3, 4.0]]),
         "tensor([[ 1.5000e+00, -2.0000e+00],\n        [ 1.0000e-03,  4.0000e+00]])"),
    ],
)
def test_repr_like_pytorch(make, expected):
    assert repr(make()) == expected


def test_repr_matches_pytorch_on_random_values():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    samples = [
        rng.standard_normal((3, 4)),
        rng.standard_normal(5) * 1e4,
        rng.standard_normal(5) * 1e-5,
        rng.integers(-50, 50, (2, 3)).astype(float),
        np.array([0.0, 1e9, -2.0]),
        np.array([[0.0, -0.5], [np.nan, np.inf]]),
        rng.standard_normal((2, 2, 3)),
        np.float64(-0.125),
    ]
    for values in samples:
        ours = repr(mt.tensor(values, dtype=mt.float32))
        theirs = repr(torch.tensor(values, dtype=torch.float32))
        assert ours == theirs
    ints = rng.integers(-1000, 1000, (3, 3))
    assert repr(mt.tensor(ints)) == repr(torch.tensor(ints))


def test_repr_of_large_tensor_is_summarized():
    text = repr(mt.arange(5000))
    assert "..." in text
    assert len(text) < 200


# --------------------------------------------------------------------------- NumPy round trips


def test_numpy_round_trip_preserves_values_and_dtype():
    rng = np.random.default_rng(1)
    for dtype in (np.float32, np.float64, np.int64, np.int32, np.bool_):
        array = (rng.standard_normal((3, 2)) * 10).astype(dtype)
        back = mt.tensor(array).numpy()
        assert back.dtype == array.dtype
        np.testing.assert_array_equal(back, array)
    assert np.asarray(mt.tensor([[1, 2]])).tolist() == [[1, 2]]
    assert np.asarray(mt.tensor([1, 2]), dtype=np.float64).dtype == np.float64


def test_from_numpy_shares_memory_both_ways():
    array = np.zeros(3)
    t = mt.from_numpy(array)
    assert t.dtype == mt.float64
    array[0] = 5.0
    assert t.tolist() == [5.0, 0.0, 0.0]
    t.add_(1)
    assert array.tolist() == [6.0, 1.0, 1.0]
    t[2] = -1.0
    assert array[2] == -1.0
    assert np.shares_memory(t.numpy(), array)
    with pytest.raises(TypeError, match="np.ndarray"):
        mt.from_numpy([1.0, 2.0])


def test_numpy_shares_memory_and_refuses_while_requiring_grad():
    t = mt.tensor([1.0, 2.0])
    view = t.numpy()
    view[0] = 9.0
    assert t.tolist() == [9.0, 2.0]
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0, 2.0]


def test_as_tensor_avoids_copies():
    array = np.ones(3)
    t = mt.as_tensor(array)
    array[1] = 4.0
    assert t.tolist() == [1.0, 4.0, 1.0]
    assert mt.as_tensor(t) is t
    assert mt.as_tensor(array, dtype=mt.float32).dtype == mt.float32


# --------------------------------------------------------------------------- Python protocols


def test_item_returns_python_numbers():
    assert mt.tensor(3.5).item() == 3.5 and type(mt.tensor(3.5).item()) is float
    assert type(mt.tensor(3).item()) is int
    assert type(mt.tensor(True).item()) is bool
    assert mt.tensor([[2.5]]).item() == 2.5
    with pytest.raises(RuntimeError, match="2 elements"):
        mt.tensor([1.0, 2.0]).item()
    assert float(mt.tensor([1.5])) == 1.5
    assert int(mt.tensor(7)) == 7
    assert bool(mt.tensor([1.0])) and not bool(mt.tensor(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(mt.tensor([1.0, 2.0]))
    assert [10, 20, 30][mt.tensor(1)] == 20  # __index__
    with pytest.raises(TypeError):
        [10, 20][mt.tensor(1.0)]


def test_tolist():
    assert mt.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    assert mt.tensor([1.5, 2.0]).tolist() == [1.5, 2.0]
    assert mt.tensor(2.0).tolist() == 2.0
    assert mt.zeros(2, 0).tolist() == [[], []]


def test_len_and_iteration():
    t = mt.tensor([[1, 2], [3, 4], [5, 6]])
    assert len(t) == 3
    rows = list(t)
    assert len(rows) == 3 and all(isinstance(r, mt.Tensor) for r in rows)
    assert [r.tolist() for r in rows] == [[1, 2], [3, 4], [5, 6]]
    assert [x.item() for x in mt.tensor([4, 5])] == [4, 5]
    with pytest.raises(TypeError, match="0-d"):
        len(mt.tensor(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(mt.tensor(1.0))
    a, b = mt.tensor([1.0, 2.0])  # unpacking
    assert (a.item(), b.item()) == (1.0, 2.0)


def test_iteration_keeps_the_graph():
    x = mt.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    total = sum(row * (k + 1) for k, row in enumerate(x))
    total.sum().backward()
    assert x.grad.tolist() == [[1.0, 1.0], [2.0, 2.0]]


def test_comparisons_give_bool_tensors_outside_the_graph():
    x = mt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [
        (x > 2, [False, False, True]),
        (x >= 2, [False, True, True]),
        (x < 2, [True, False, False]),
        (x <= 2, [True, True, False]),
        (x == 2, [False, True, False]),
        (x != 2, [True, False, True]),
        (2 < x, [False, False, True]),
    ]:
        assert result.dtype == mt.bool
        assert not result.requires_grad
        assert result.tolist() == expected
    mask = (x > 1) & (x < 3)
    assert mask.tolist() == [False, True, False]
    assert (~mask).tolist() == [True, False, True]
    assert ((x > 2) | (x < 2)).tolist() == [True, False, True]
    assert (mt.tensor([7, -7]) // 2).tolist() == [3, -4]
    assert (mt.tensor([7, -7]) % 3).tolist() == [1, 2]
    assert x.detach().equal(mt.tensor([1.0, 2.0, 3.0]))
    assert x.detach().allclose(mt.tensor([1.0, 2.0, 3.0 + 1e-7]))
    assert hash(x) != hash(mt.tensor([1.0, 2.0, 3.0]))  # hashable by identity, usable in sets


def test_numpy_operands_defer_to_the_tensor():
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    for result in (np.float64(2.0) * x, np.float32(2.0) + x, np.ones(2) * x, x * np.float64(2)):
        assert isinstance(result, mt.Tensor)
        assert result.requires_grad
    y = np.float64(3.0) * x
    assert y.dtype == mt.float32  # a NumPy scalar promotes like a Python number
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


# --------------------------------------------------------------------------- dtype promotion

_PROMOTION_CASES = [
    # (dtype a, shape a, dtype b, shape b, expected) -- PyTorch's results
    ("float32", (2,), "int64", (2,), "float32"),
    ("int64", (2,), "float32", (2,), "float32"),
    ("float32", (2,), "float64", (2,), "float64"),
    ("float32", (2,), "float64", (), "float32"),  # a 0-d tensor of the same kind doesn't promote
    ("float64", (), "float32", (2,), "float32"),
    ("int32", (2,), "int64", (), "int32"),
    ("int32", (2,), "float64", (), "float64"),  # ... but a higher kind does
    ("int32", (2,), "int64", (2,), "int64"),
    ("bool", (2,), "int32", (2,), "int32"),
    ("bool", (2,), "float32", (), "float32"),
    ("uint8", (2,), "int8", (2,), "int16"),
    ("int64", (), "float32", (), "float32"),
    ("float64", (), "float32", (), "float64"),
]


@pytest.mark.parametrize("dtype_a, shape_a, dtype_b, shape_b, expected", _PROMOTION_CASES)
@pytest.mark.parametrize("op", [operator.add, operator.mul, operator.sub, mt.maximum])
def test_tensor_tensor_promotion(dtype_a, shape_a, dtype_b, shape_b, expected, op):
    if op is operator.sub and "bool" in (dtype_a, dtype_b):
        return  # PyTorch refuses to subtract bools
    a = mt.ones(shape_a, dtype=dtype_a)
    b = mt.ones(shape_b, dtype=dtype_b)
    assert op(a, b).dtype == np.dtype(expected)
    assert op(b, a).dtype == np.dtype(expected)


@pytest.mark.parametrize(
    "dtype, scalar, expected",
    [
        ("float32", 2, "float32"),
        ("float32", 2.5, "float32"),
        ("float64", 2.5, "float64"),
        ("int64", 2, "int64"),
        ("int32", 2, "int32"),
        ("int64", 2.5, "float32"),  # Python float with an integer tensor: the default dtype
        ("int32", 2.5, "float32"),
        ("bool", 2, "int64"),
        ("bool", 2.5, "float32"),
        ("uint8", 2, "uint8"),
        ("float32", np.float64(2.0), "float32"),  # NumPy scalars act as Python numbers
        ("int32", np.int64(2), "int32"),
    ],
)
def test_tensor_scalar_promotion(dtype, scalar, expected):
    t = mt.ones(3, dtype=dtype)
    assert (t + scalar).dtype == np.dtype(expected)
    assert (scalar + t).dtype == np.dtype(expected)
    assert (t * scalar).dtype == np.dtype(expected)


def test_true_division_of_integers_gives_default_float():
    a, b = mt.tensor([3, 4]), mt.tensor([2, 8])
    assert (a / b).dtype == mt.float32
    np.testing.assert_allclose((a / b).numpy(), [1.5, 0.5])
    assert (a / 2).dtype == mt.float32
    assert (1 / a).dtype == mt.float32
    assert mt.tensor([1, 4]).sqrt().dtype == mt.float32
    assert (mt.tensor([2, 3]) ** 2).dtype == mt.int64
    assert (mt.tensor([2, 3]) ** 0.5).dtype == mt.float32


def test_promotion_matches_pytorch_exhaustively():
    torch = pytest.importorskip("torch")
    names = ["float32", "float64", "int64", "int32", "uint8", "bool"]
    ops = {
        "add": operator.add, "mul": operator.mul, "truediv": operator.truediv,
        "maximum": lambda a, b: (torch if isinstance(a, torch.Tensor) else mt).maximum(a, b),
    }
    mismatches = []
    for (na, nb), (sa, sb), (op_name, op) in itertools.product(
        itertools.product(names, names), [((2,), (2,)), ((2,), ()), ((), (2,)), ((), ())],
        ops.items(),
    ):
        ours = op(mt.ones(sa, dtype=na), mt.ones(sb, dtype=nb)).dtype
        theirs = op(torch.ones(sa, dtype=getattr(torch, na)),
                    torch.ones(sb, dtype=getattr(torch, nb))).dtype
        if str(ours) != str(theirs).removeprefix("torch."):
            mismatches.append((op_name, na, sa, nb, sb, str(ours), str(theirs)))
    assert not mismatches
    scalar_mismatches = []
    for name, scalar, (op_name, op) in itertools.product(
        names, [2, 2.5, True, np.float64(1.5), np.int64(3)],
        [("add", operator.add), ("radd", lambda a, s: s + a), ("mul", operator.mul),
         ("truediv", operator.truediv), ("rtruediv", lambda a, s: s / a)],
    ):
        ours = op(mt.ones(2, dtype=name), scalar).dtype
        theirs = op(torch.ones(2, dtype=getattr(torch, name)), scalar).dtype
        if str(ours) != str(theirs).removeprefix("torch."):
            scalar_mismatches.append((op_name, name, scalar, str(ours), str(theirs)))
    assert not scalar_mismatches


def test_gradients_flow_through_promotion():
    x = mt.tensor([1.0, 2.0], requires_grad=True)  # float32
    n = mt.tensor([3, 4])  # int64
    y = x * n
    assert y.dtype == mt.float32
    y.sum().backward()
    assert x.grad.dtype == mt.float32
    assert x.grad.tolist() == [3.0, 4.0]
    w = mt.tensor([1.0, 2.0], dtype=mt.float64, requires_grad=True)
    z = x * w  # float32 * float64 -> float64; each input gets a gradient of its own dtype
    z.sum().backward()
    assert z.dtype == mt.float64
    assert x.grad.dtype == mt.float32 and w.grad.dtype == mt.float64
    assert x.grad.tolist() == [4.0, 6.0]
    assert w.grad.tolist() == [1.0, 2.0]


def test_where_clamp_matmul_result_dtypes_like_pytorch():
    cond = mt.tensor([True, False])
    assert mt.where(cond, 1.0, 0.0).dtype == mt.float32
    assert mt.where(cond, 1, 0).dtype == mt.int64
    assert mt.where(cond, 1, 0.5).dtype == mt.float32
    assert mt.where(cond, np.float64(1.0), 0).dtype == mt.float32
    assert mt.where(cond, mt.tensor([1, 2]), 0.5).dtype == mt.float32
    assert mt.tensor([1, 2]).clamp(0.5).dtype == mt.float32
    assert mt.tensor([1, 2]).clamp(0, 1).dtype == mt.int64
    with pytest.raises(RuntimeError, match="expected m1 and m2 to have the same dtype"):
        mt.ones(3) @ mt.tensor([1, 2, 3])  # PyTorch does not promote in matmul either
