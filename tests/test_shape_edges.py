"""Edge cases of the shape ops where microtensor used to crash or differ from PyTorch: split and
chunk of empty dims, 0-d transpose, ``F.pad`` misuse and negative (cropping) pads, dtype
promotion in cat/stack, and ``view`` of non-contiguous tensors. Expected values were computed
with PyTorch 2.13; the sweeps at the end compare against PyTorch where it is installed.
"""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from tests.gradcheck_cases import Case

# ----------------------------------------------------------------------------- split and chunk

# (dim size, split size) -> the sizes of the pieces, as torch.Tensor.split gives them
SPLIT_SIZES = {
    (0, 0): [0], (0, 1): [0], (0, 5): [0], (1, 1): [1], (1, 5): [1], (2, 1): [1, 1],
    (3, 2): [2, 1], (4, 3): [3, 1], (5, 2): [2, 2, 1], (6, 4): [4, 2], (7, 3): [3, 3, 1],
    (7, 8): [7],
}
# (dim size, chunks) -> the sizes of the pieces, as torch.Tensor.chunk gives them
CHUNK_SIZES = {
    (0, 1): [0], (0, 3): [0, 0, 0], (0, 8): [0] * 8, (1, 4): [1], (2, 1): [2], (3, 2): [2, 1],
    (4, 3): [2, 2], (5, 2): [3, 2], (5, 4): [2, 2, 1], (6, 4): [2, 2, 2], (6, 5): [2, 2, 2],
    (7, 4): [2, 2, 2, 1], (7, 8): [1] * 7,
}


@pytest.mark.parametrize("length, size", list(SPLIT_SIZES))
def test_split_sizes_match_pytorch(length, size):
    x = mt.zeros(2, length, 3)
    pieces = x.split(size, dim=1)
    assert isinstance(pieces, tuple)
    assert [p.shape[1] for p in pieces] == SPLIT_SIZES[length, size]
    assert all(p.shape[0] == 2 and p.shape[2] == 3 for p in pieces)


@pytest.mark.parametrize("length, chunks", list(CHUNK_SIZES))
def test_chunk_sizes_match_pytorch(length, chunks):
    pieces = mt.zeros(length, 2).chunk(chunks)
    assert [p.shape for p in pieces] == [(n, 2) for n in CHUNK_SIZES[length, chunks]]


def test_split_of_an_empty_dim_keeps_the_gradient_flowing():
    x = mt.zeros(0, 3, dtype=mt.float64, requires_grad=True)
    (piece,) = x.split(2)
    assert piece.shape == (0, 3)
    (piece.sum() + 1).backward()
    assert x.grad.shape == (0, 3)


def test_split_with_sizes_and_pieces_share_memory():
    x = mt.arange(10.0).reshape(5, 2)
    first, second = mt.split(x, [2, 3])
    assert first.tolist() == [[0.0, 1.0], [2.0, 3.0]] and second.shape == (3, 2)
    assert np.shares_memory(second.numpy(), x.numpy())
    assert mt.zeros(0, 2).split([]) == ()
    assert [p.shape for p in mt.zeros(0, 2).split([0, 0])] == [(0, 2), (0, 2)]


@pytest.mark.parametrize(
    "make, error, fragment",
    [
        (lambda: mt.zeros(3, 2).split(0), RuntimeError,
         "split_size can only be 0 if dimension size is 0, but got dimension size of 3"),
        (lambda: mt.zeros(3, 2).split(-1), RuntimeError, "split_size be non-negative"),
        (lambda: mt.zeros(3, 2).split([2, -1, 2]), RuntimeError, "only non-negative entries"),
        (lambda: mt.zeros(3, 2).split(2.0), TypeError, "must be an int or a sequence of ints"),
        (lambda: mt.tensor(1.0).split(1), RuntimeError, "at least a 1-dimensional tensor"),
        (lambda: mt.tensor(1.0).chunk(1), RuntimeError, "at least a 1-dimensional tensor"),
        (lambda: mt.zeros(3).chunk(0), RuntimeError, "`chunks` to be greater than 0, got: 0"),
        (lambda: mt.zeros(3).chunk(-2), RuntimeError, "greater than 0, got: -2"),
    ],
)
def test_split_and_chunk_errors(make, error, fragment):
    with pytest.raises(error, match=fragment):
        make()


def test_transpose_of_a_0d_tensor():
    s = mt.tensor(2.0, dtype=mt.float64, requires_grad=True)
    for dims in ((0, 0), (-1, 0), (0, -1), (-1, -1)):
        out = s.transpose(*dims)
        assert out.shape == () and out.item() == 2.0
    (s.transpose(0, 0) * 3).backward()
    assert s.grad.item() == 3.0
    with pytest.raises(IndexError, match=r"range of \[-1, 0\], but got 1"):
        s.transpose(0, 1)


# ----------------------------------------------------------------------------- pad

# (pad, mode, PyTorch's result) for x = arange(6.).reshape(1, 2, 3)
PAD_RESULTS = [
    ((-1, 2), "constant", [[[1.0, 2.0, 0.0, 0.0], [4.0, 5.0, 0.0, 0.0]]]),
    ((-1, -1), "constant", [[[1.0], [4.0]]]),
    ((-3, 1), "constant", [[[0.0], [0.0]]]),
    ((-1, 2, -1, 0), "constant", [[[4.0, 5.0, 0.0, 0.0]]]),
    ((2, -2, 0, 1), "constant", [[[0.0, 0.0, 0.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0]]]),
    ((-1, 1), "reflect", [[[1.0, 2.0, 1.0], [4.0, 5.0, 4.0]]]),
    ((-2, 2), "reflect", [[[2.0, 1.0, 0.0], [5.0, 4.0, 3.0]]]),
    ((1, 1, -1, 0), "reflect", [[[4.0, 3.0, 4.0, 5.0, 4.0]]]),
    ((-1, 1), "replicate", [[[1.0, 2.0, 2.0], [4.0, 5.0, 5.0]]]),
    ((-3, 1), "replicate", [[[2.0], [5.0]]]),
    ((1, 1, 0, -2), "replicate", [[]]),
    ((2, 1), "circular", [[[1.0, 2.0, 0.0, 1.0, 2.0, 0.0], [4.0, 5.0, 3.0, 4.0, 5.0, 3.0]]]),
    ((1, 1, 1, 1), "circular", [[[5.0, 3.0, 4.0, 5.0, 3.0], [2.0, 0.0, 1.0, 2.0, 0.0],
                                 [5.0, 3.0, 4.0, 5.0, 3.0], [2.0, 0.0, 1.0, 2.0, 0.0]]]),
    ((3, 3), "circular", [[[0.0, 1.0, 2.0, 0.0, 1.0, 2.0, 0.0, 1.0, 2.0],
                           [3.0, 4.0, 5.0, 3.0, 4.0, 5.0, 3.0, 4.0, 5.0]]]),
]


@pytest.mark.parametrize("pad, mode, expected", PAD_RESULTS)
def test_pad_values_match_pytorch(pad, mode, expected):
    x = mt.arange(6.0).reshape(1, 2, 3)
    assert F.pad(x, pad, mode=mode).tolist() == expected


def test_negative_constant_pad_crops_and_its_gradient_is_zero_where_cropped():
    x = mt.arange(6.0, dtype=mt.float64).reshape(2, 3).requires_grad_()
    out = F.pad(x, (-1, 2), value=7.0)
    assert out.tolist() == [[1.0, 2.0, 7.0, 7.0], [4.0, 5.0, 7.0, 7.0]]
    (out * mt.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]], dtype=mt.float64)).sum(
    ).backward()
    assert x.grad.tolist() == [[0.0, 1.0, 2.0], [0.0, 5.0, 6.0]]


def test_pad_in_non_constant_mode_accepts_value_zero_only():
    x = mt.zeros(1, 2, 3)
    assert F.pad(x, (1, 1), mode="reflect", value=0).shape == (1, 2, 5)
    with pytest.raises(RuntimeError, match="padding mode \"reflect\" doesn't take in value"):
        F.pad(x, (1, 1), mode="reflect", value=1.0)


@pytest.mark.parametrize(
    "shape, pad, mode, error, fragment",
    [
        ((2, 3), (1,), "constant", RuntimeError,
         r"pad: padding length must be divisible by 2, got 1"),
        ((2, 3), (1, 1, 1), "reflect", RuntimeError, "divisible by 2"),
        ((2, 3), (1, 1, 1, 1, 1, 1), "constant", RuntimeError,
         r"pad: padding length should be less than or equal to two times the input dimension "
         r"but got padding length 6 and input of dimension 2 \(shape \(2, 3\)\)"),
        ((), (1, 1), "constant", RuntimeError, "input of dimension 0"),
        ((2, 3), (1.5, 1), "constant", TypeError, "must be a sequence of ints.*float at pos 0"),
        ((2, 3), (-4, 1), "constant", RuntimeError,
         r"pad: negative padding \(-4, 1\) at dimension 1 crops more than the 3 elements"),
        ((2, 3), (0, 0, -2, -1), "constant", RuntimeError, r"\(-2, -1\) at dimension 0"),
        ((1, 2, 3), (3, 0), "reflect", RuntimeError,
         r"pad: reflect padding \(3, 0\) at dimension 2 of input \(1, 2, 3\): padding size "
         r"should be less than the corresponding input dimension"),
        ((1, 2, 3), (1, 1, 2, 1), "reflect", RuntimeError, r"\(2, 1\) at dimension 1"),
        ((1, 1, 1), (1, 0), "reflect", RuntimeError, "should be less than"),
        ((1, 2, 3), (1, 1, 1, 1, 1, 1), "replicate", NotImplementedError,
         r"pad: padding size 6 is not supported for 3D input tensor \(shape \(1, 2, 3\)\)"),
        ((3,), (1, 1), "reflect", NotImplementedError, "not supported for 1D input tensor"),
        ((1, 1, 1, 2, 3), (1, 1), "circular", NotImplementedError, "not supported for 5D"),
        ((1, 0), (1, 1), "replicate", RuntimeError,
         r"other non-zero dimensions, but got shape \(1, 0\)"),
        ((0, 2), (1, 1), "reflect", RuntimeError, "non-zero dimensions"),
        ((1, 2, 3), (-2, -1), "reflect", RuntimeError, "too small for the padding"),
        ((1, 2, 3), (4, 1), "circular", RuntimeError, "wraps around more than once"),
        ((1, 2, 3), (-1, 1), "circular", RuntimeError,
         r"circular padding does not take negative \(cropping\) widths"),
        ((1, 2, 3), (1, 1), "foo", NotImplementedError, "unrecognised padding mode 'foo'"),
    ],
)
def test_pad_misuse_raises_like_pytorch(shape, pad, mode, error, fragment):
    x = mt.zeros(*shape)
    with pytest.raises(error, match=fragment):
        F.pad(x, pad, mode=mode)


def test_pad_accepts_empty_batches_and_empty_pads():
    assert F.pad(mt.zeros(0, 2, 3), (1, 1), mode="reflect").shape == (0, 2, 5)
    assert F.pad(mt.zeros(0, 2), (1, 1), mode="circular").shape == (0, 4)
    assert F.pad(mt.tensor(1.0), ()).shape == ()
    assert F.pad(mt.zeros(1, 2), (1, 1)).shape == (1, 4)
    assert F.pad(mt.arange(4), (1, 1), value=2.7).tolist() == [2, 0, 1, 2, 3, 2]


# ----------------------------------------------------------------------------- cat and stack


@pytest.mark.parametrize(
    "first, second, expected",
    [
        (mt.float32, mt.int64, mt.float32),  # NumPy would say float64
        (mt.int64, mt.float32, mt.float32),
        (mt.bool, mt.int32, mt.int32),
        (mt.int32, mt.int64, mt.int64),
        (mt.float32, mt.float64, mt.float64),
        (mt.bool, mt.bool, mt.bool),
    ],
)
def test_cat_and_stack_promote_like_pytorch(first, second, expected):
    a, b = mt.ones(2, 3, dtype=first), mt.ones(2, 3, dtype=second)
    assert mt.cat([a, b]).dtype == expected
    assert mt.stack([a, b]).dtype == expected
    assert mt.stack([mt.tensor(1, dtype=first), mt.tensor(0, dtype=second)]).dtype == expected


def test_promoted_cat_keeps_values_and_gives_each_input_its_own_gradient_dtype():
    a = mt.tensor([1.5, 2.5], dtype=mt.float32, requires_grad=True)
    b = mt.tensor([3, 4], dtype=mt.int64)
    out = mt.cat([a, b])
    assert out.dtype == mt.float32 and out.tolist() == [1.5, 2.5, 3.0, 4.0]
    c = mt.tensor([1.0, 2.0], dtype=mt.float64, requires_grad=True)
    joined = mt.stack([a, c])
    assert joined.dtype == mt.float64
    (joined * mt.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=mt.float64)).sum().backward()
    assert a.grad.dtype == mt.float32 and a.grad.tolist() == [1.0, 2.0]
    assert c.grad.dtype == mt.float64 and c.grad.tolist() == [3.0, 4.0]


def test_cat_skips_empty_1d_tensors_as_pytorch_does():
    x = mt.ones(2, 3, requires_grad=True)
    empty = mt.zeros(0, dtype=mt.float64, requires_grad=True)
    out = mt.cat([x, empty])
    assert out.shape == (2, 3) and out.dtype == mt.float64  # still counts for the dtype
    assert mt.cat([empty, x], dim=1).shape == (2, 3)
    out.sum().backward()
    assert x.grad.tolist() == [[1.0] * 3] * 2
    assert empty.grad.shape == (0,)


@pytest.mark.parametrize(
    "make, error, fragment",
    [
        (lambda: mt.cat([mt.tensor(1.0), mt.tensor(2.0)]), RuntimeError,
         r"zero-dimensional tensor \(at position 0\) cannot be concatenated"),
        (lambda: mt.cat([mt.ones(2), [1.0, 2.0]]), TypeError,
         "expected Tensor as element 1 in argument 0, but got list"),
        (lambda: mt.stack([mt.ones(2), np.ones(2)]), TypeError, "element 1.*ndarray"),
        (lambda: mt.cat(mt.ones(2)), TypeError, "must be a sequence of Tensors, not Tensor"),
        (lambda: mt.cat([]), ValueError, "non-empty"),
        (lambda: mt.stack([]), RuntimeError, "non-empty"),
    ],
)
def test_cat_and_stack_errors(make, error, fragment):
    with pytest.raises(error, match=fragment):
        make()


# ----------------------------------------------------------------------------- view


def test_view_of_a_non_contiguous_tensor_raises_like_pytorch():
    x = mt.arange(24.0).reshape(2, 3, 4)
    message = (r"view size is not compatible with input tensor's size and stride \(at least one "
               r"dimension spans across two contiguous subspaces\).*Use \.reshape\(\.\.\.\) "
               r"instead\.")
    for make in (lambda: x.transpose(0, 1).view(-1), lambda: x.transpose(1, 2).view(2, 12),
                 lambda: x[:, ::2].view(2, 8), lambda: x.expand(2, 2, 3, 4).view(4, 12),
                 lambda: x.transpose(0, 1).view_as(mt.zeros(24))):
        with pytest.raises(RuntimeError, match=message):
            make()
    assert x.transpose(0, 1).reshape(-1).shape == (24,)  # reshape copies instead


def test_views_that_need_no_copy_are_allowed_and_share_memory():
    x = mt.arange(24.0).reshape(2, 3, 4)
    for source, shape in ((x.transpose(1, 2), (2, 4, 3)), (x.transpose(0, 1), (3, 2, 2, 2)),
                          (x[:, :, ::2], (2, 6)), (x[:, :, ::2], (12,)), (x[:, :1], (2, 4)),
                          (x.expand(2, 2, 3, 4), (2, 24)), (x.permute(2, 0, 1), (4, 6)),
                          (mt.ones(4)[::2], (2, 1, 1))):
        assert not source.is_contiguous()
        out = source.view(*shape)
        assert out.shape == shape
        np.testing.assert_array_equal(out.numpy(), source.numpy().reshape(shape))
        if out.numel():
            assert np.shares_memory(out.numpy(), x.numpy() if source.numel() > 4 else
                                    source.numpy())


def test_view_shape_errors():
    x = mt.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"view: shape \[5\] is invalid for input of shape"):
        x.view(5)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)
    with pytest.raises(RuntimeError, match=r"invalid shape dimension -2 at index 0"):
        x.view(-2, 3)
    with pytest.raises(RuntimeError, match="the unspecified dimension size -1 can be any value"):
        mt.zeros(0, 2).view(0, -1)
    assert mt.zeros(0, 3).view(-1).shape == (0,)
    assert mt.tensor(1.0).view(1, 1).shape == (1, 1)


def test_contiguous_copies_only_when_needed_and_passes_the_gradient():
    x = mt.arange(6.0, dtype=mt.float64).reshape(2, 3).requires_grad_()
    assert x.is_contiguous() and x.contiguous() is x
    t = x.t()
    assert not t.is_contiguous()
    c = t.contiguous()
    assert c.is_contiguous() and c.tolist() == t.tolist()
    assert not np.shares_memory(c.detach().numpy(), x.detach().numpy())
    (c.view(-1) * mt.arange(6.0, dtype=mt.float64)).sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]]
    assert mt.zeros(3, 1).expand(3, 4).is_contiguous() is False
    assert mt.zeros(3, 0).t().is_contiguous()  # no elements: contiguous, as in PyTorch
    assert mt.zeros(3, 1)[:, :1].is_contiguous()


GRADCHECK_CASES = [
    Case("pad_constant_negative", lambda x: F.pad(x, (-1, 2, 1, -1), value=0.5), [(3, 4)],
         reference=lambda x: np.pad(x[:-1, 1:], ((1, 0), (0, 2)), constant_values=0.5)),
    Case("pad_reflect_negative", lambda x: F.pad(x, (-1, 2), mode="reflect"), [(2, 4)],
         reference=lambda x: np.pad(x, ((0, 0), (0, 2)), mode="reflect")[:, 1:]),
    Case("cat_promoted", lambda a: mt.cat([a, mt.tensor([[1, 2]]), mt.zeros(0)]), [(2, 2)],
         reference=lambda a: np.concatenate([a, [[1.0, 2.0]]])),
    Case("stack_promoted", lambda a: mt.stack([a, mt.tensor([3, 4])], dim=1), [(2,)],
         reference=lambda a: np.stack([a, [3.0, 4.0]], axis=1)),
    Case("view_non_contiguous", lambda x: x.transpose(1, 2).view(2, 2, 2, 3), [(2, 3, 4)],
         reference=lambda x: np.swapaxes(x, 1, 2).reshape(2, 2, 2, 3)),
    Case("contiguous", lambda x: x.t().contiguous().view(-1), [(2, 3)],
         reference=lambda x: x.T.reshape(-1)),
]


# ----------------------------------------------------------------------------- against PyTorch


def test_split_and_chunk_sizes_match_pytorch_everywhere():
    torch = pytest.importorskip("torch")
    for length in range(10):
        for size in range(11):
            if size or not length:
                theirs = [p.shape[0] for p in torch.empty(length, 2).split(size)]
                assert [p.shape[0] for p in mt.zeros(length, 2).split(size)] == theirs
            if size:
                theirs = [p.shape[0] for p in torch.empty(length, 2).chunk(size)]
                assert [p.shape[0] for p in mt.zeros(length, 2).chunk(size)] == theirs


def _random_pad_case(rng, mode):
    """A shape and a pad, mostly within PyTorch's limits for the mode (rank, widths)."""
    ndim = int(rng.integers(1, 5))
    padded = int(rng.integers(0, ndim + 1))
    if mode != "constant" and rng.random() < 0.8:  # 1-3 padded dims, and 1 or 2 more
        padded = int(rng.integers(1, 4))
        ndim = padded + int(rng.integers(1, 3))
    shape = tuple(int(s) for s in rng.integers(1, 5, size=ndim))
    return shape, tuple(int(w) for w in rng.integers(-2, 4, size=2 * padded))


def test_random_pads_match_pytorch():
    """Values and gradients where PyTorch pads, an error of the same type where it refuses."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    compared = 0
    for _ in range(600):
        mode = ["constant", "reflect", "replicate", "circular"][int(rng.integers(0, 4))]
        shape, pad = _random_pad_case(rng, mode)
        if mode == "circular" and min(pad, default=0) < 0:
            continue  # refused on purpose (PyTorch returns uninitialised memory for some)
        a = rng.standard_normal(shape)
        try:
            theirs_x = torch.tensor(a, requires_grad=True)
            theirs = torch.nn.functional.pad(theirs_x, pad, mode=mode)
        except (RuntimeError, NotImplementedError) as error:
            with pytest.raises(type(error)):
                F.pad(mt.tensor(a), pad, mode=mode)
            continue
        weights = rng.standard_normal(tuple(theirs.shape))
        (theirs * torch.tensor(weights)).sum().backward()
        x = mt.tensor(a, dtype=mt.float64, requires_grad=True)
        ours = F.pad(x, pad, mode=mode)
        context = f"{mode} {pad} on {shape}"
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy(), context)
        (ours * mt.tensor(weights, dtype=mt.float64)).sum().backward()
        # with nothing padded out, PyTorch's reflect/replicate backward leaves its gradient
        # uninitialised (seen in 2.13); the gradient of an empty output is zero
        expected = theirs_x.grad.numpy() if theirs.numel() else np.zeros(shape)
        np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12, err_msg=context)
        compared += 1
    assert compared > 250


def _random_layout(lib, rng, values):
    """The same non-contiguous layout in both libraries: a permutation, steps, an expand."""
    x = lib.tensor(values)
    x = x.permute(*[int(d) for d in rng.permutation(x.ndim)])
    steps = tuple(slice(None, None, int(rng.integers(1, 3))) for _ in range(x.ndim))
    x = x[steps]
    if rng.random() < 0.3:
        x = x.unsqueeze(0).expand(2, *x.shape)
    return x


def _random_shape_of(rng, numel):
    shape = []
    while numel > 1:
        divisors = [d for d in range(2, numel + 1) if numel % d == 0]
        d = divisors[int(rng.integers(0, len(divisors)))]
        shape.append(d)
        numel //= d
    shape += [1] * int(rng.integers(0, 2))
    order = rng.permutation(len(shape))
    return tuple(shape[k] for k in order)


def test_view_is_allowed_exactly_where_pytorch_allows_it():
    torch = pytest.importorskip("torch")
    allowed = refused = 0
    for seed in range(800):
        shape = tuple(int(s) for s in np.random.default_rng(seed).integers(1, 5, size=3))
        values = np.arange(float(np.prod(shape))).reshape(shape)
        theirs = _random_layout(torch, np.random.default_rng(seed), values)
        ours = _random_layout(mt, np.random.default_rng(seed), values)
        assert ours.is_contiguous() == theirs.is_contiguous()
        new_shape = _random_shape_of(np.random.default_rng(seed + 10_000), theirs.numel())
        try:
            expected = theirs.view(new_shape)
        except RuntimeError:
            with pytest.raises(RuntimeError, match="Use .reshape"):
                ours.view(new_shape)
            refused += 1
            continue
        out = ours.view(new_shape)
        np.testing.assert_array_equal(out.numpy(), expected.numpy())
        assert np.shares_memory(out.numpy(), ours.numpy())
        allowed += 1
    assert allowed > 150 and refused > 150
