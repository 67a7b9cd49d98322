"""Array kernels run over pieces of the batch on several threads (microtensor/_parallel.py, used
by the pooling kernels of microtensor/ops/pool_fast.py).

What is checked: the pieces cover the batch once; pooling gives bit-identical values, indices
and gradients with 1, 2 and 3 pieces (odd batch sizes, an empty batch, non-contiguous inputs,
NaNs); an exception in any piece reaches the caller; ``set_num_threads(1)`` means one piece;
several user threads (and a kernel started from a pool thread) get correct results and do not
deadlock. Nothing here times anything.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import microtensor as mt
from microtensor import _parallel, _threads
from microtensor.ops import pool_fast as PK


@pytest.fixture
def pieces(monkeypatch):
    """``pieces(k)``: every kernel call is cut into (at most) k pieces from now on; returns the
    list to which each ``run_pieces`` call appends its pieces."""
    seen: list[list[slice]] = []
    run = _parallel.run_pieces

    def recording(kernel, parts):
        seen.append(list(parts))
        return run(kernel, parts)

    monkeypatch.setattr(_parallel, "run_pieces", recording)

    def use(count: int) -> list[list[slice]]:
        monkeypatch.setattr(_threads, "kernel_threads", lambda elements: count)
        seen.clear()
        return seen

    return use


# (kind, kernel, stride, padding, ceil_mode, count_include_pad): every path of pool_fast
CASES = [
    ("max", 2, 2, 0, False, True),  # windows tile the input: written, from np.empty
    ("max", 3, 2, 1, False, True),  # overlapping windows: one scatter (np.add.at)
    ("max", 2, 2, 1, True, True),  # no overlap, windows reach into the padding: cropped
    ("max", 3, 3, 0, True, True),  # no overlap, ceil_mode: some pixels in no window
    ("avg", 2, 2, 0, False, True),
    ("avg", 3, 2, 1, False, False),  # overlapping, a divisor per window
    ("avg", 3, 3, 1, True, True),
]


def _pool(x: np.ndarray, grad_seed: int, case: tuple) -> list[np.ndarray]:
    """Forward values (and argmax), and the backward, of one case on arrays."""
    kind, k, s, p, ceil_mode, include_pad = case
    g = PK.PoolGeometry.of(x.shape, (k, k), (s, s), (p, p), (1, 1), ceil_mode)
    grad = np.random.default_rng(grad_seed).standard_normal((g.n, g.c, g.ho, g.wo))
    grad = grad.astype(x.dtype)
    if kind == "max":
        out, argmax = PK.max_pool2d_forward(x, g)
        return [out, argmax, PK.max_pool2d_backward(grad, argmax, g)]
    divisor = PK._avg_divisor(g, include_pad, None, x.dtype)
    return [PK.avg_pool2d_forward(x, g, divisor), PK.avg_pool2d_backward(grad, g, divisor)]


def _image(n: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal((n, 3, 9, 11)).astype(np.float32)
    x[..., 2, 3:5] = x[..., 2, 2:3]  # ties: the first maximum must win in every piece
    return x


def test_batch_pieces_cover_the_batch_once_in_near_equal_parts() -> None:
    for n in range(12):
        for count in (1, 2, 3, 5):
            parts = _parallel.batch_pieces(n, count)
            assert len(parts) == max(1, min(count, n))
            covered = [i for part in parts for i in range(part.start, part.stop)]
            assert covered == list(range(n))
            sizes = [part.stop - part.start for part in parts]
            assert max(sizes) - min(sizes) <= 1
    assert _parallel.batch_pieces(0, 2) == [slice(0, 0)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}{c[1]}s{c[2]}p{c[3]}c{c[4]:d}")
@pytest.mark.parametrize("n", [1, 3, 7])
def test_pooling_is_bit_identical_with_one_two_and_three_pieces(pieces, case, n) -> None:
    x = _image(n)
    seen = pieces(1)
    one = _pool(x, 1, case)
    assert all(len(parts) == 1 for parts in seen)
    for count in (2, 3):
        seen = pieces(count)
        many = _pool(x, 1, case)
        assert seen and all(len(parts) == min(count, n) for parts in seen)
        for a, b in zip(one, many):
            assert a.dtype == b.dtype and a.shape == b.shape
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", CASES[:2], ids=["tiling", "overlapping"])
def test_a_nan_in_one_piece_follows_pytorchs_rule_in_that_piece_only(pieces, case) -> None:
    x = _image(5)
    x[3, 1, 4, 4] = np.nan  # in the second piece of two
    pieces(1)
    one = _pool(x, 2, case)
    pieces(2)
    two = _pool(x, 2, case)
    assert np.isnan(two[0][3, 1]).any() and not np.isnan(two[0][:3]).any()
    for a, b in zip(one, two):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}{c[1]}s{c[2]}p{c[3]}c{c[4]:d}")
def test_an_empty_batch_gives_empty_results(pieces, case) -> None:
    pieces(2)
    x = np.zeros((0, 3, 9, 11), np.float32)
    results = _pool(x, 3, case)
    assert results[0].shape[:2] == (0, 3) and results[0].size == 0
    assert results[-1].shape == x.shape


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c[0]}{c[1]}s{c[2]}p{c[3]}c{c[4]:d}")
def test_non_contiguous_inputs_give_the_same_results(pieces, case) -> None:
    x = _image(6, seed=4)
    strided = np.zeros((12, 3, 11, 9), np.float32)[::2].transpose(0, 1, 3, 2)  # (6, 3, 9, 11)
    strided[...] = x
    assert not strided.flags.c_contiguous
    pieces(1)
    expected = _pool(x, 5, case)
    pieces(2)
    for a, b in zip(expected, _pool(strided, 5, case)):
        np.testing.assert_array_equal(a, b)


def test_pooling_through_autograd_gives_identical_gradients(pieces) -> None:
    x = _image(3)
    results = []
    for count in (1, 2):
        pieces(count)
        xt = mt.from_numpy(x.copy()).requires_grad_()
        y = mt.nn.functional.max_pool2d(xt, 3, 2, 1)  # (3, 3, 5, 6)
        z = mt.nn.functional.avg_pool2d(xt, 2)  # (3, 3, 4, 5)
        ((y * y).sum() + (z * z * z).sum()).backward()
        results.append((y.detach().numpy(), z.detach().numpy(), xt.grad.numpy()))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


class PieceFailed(Exception):
    pass


@pytest.mark.parametrize("failing", [0, 1, 2])
def test_an_exception_in_any_piece_reaches_the_caller(failing) -> None:
    done = []

    def kernel(part: slice) -> None:
        if part.start == failing:
            raise PieceFailed(f"piece {part.start}")
        done.append(part.start)

    with pytest.raises(PieceFailed, match=f"piece {failing}"):
        _parallel.run_pieces(kernel, _parallel.batch_pieces(3, 3))
    assert failing not in done
    # the pool still works afterwards
    out = np.zeros(6)
    _parallel.run_pieces(lambda part: out.__setitem__(part, 1.0), _parallel.batch_pieces(6, 3))
    np.testing.assert_array_equal(out, 1.0)


def test_a_kernel_error_propagates_through_pooling(pieces, monkeypatch) -> None:
    pieces(2)

    def broken(*args, **kwargs):
        raise PieceFailed("in the kernel")

    monkeypatch.setattr(PK, "_avg_pool_sum", broken)
    x = _image(4)
    g = PK.PoolGeometry.of(x.shape, (2, 2), (2, 2), (0, 0), (1, 1), False)
    with pytest.raises(PieceFailed, match="in the kernel"):
        PK.avg_pool2d_forward(x, g, 4.0)


def test_set_num_threads_1_means_one_piece(restore_policy, monkeypatch) -> None:
    monkeypatch.setattr(_threads, "_cpus", [0, 1])
    monkeypatch.setattr(_threads, "_meter", type("Idle", (), {"read": lambda self: 0.0})())
    big = _threads.BIG_KERNEL_ELEMENTS
    _threads._use_default_policy()
    monkeypatch.setattr(_threads, "_ENVIRONMENT_COUNT", None)
    assert _threads.kernel_threads(big) == 2  # idle machine, big kernel: both cores
    mt.set_num_threads(1)
    assert _threads.kernel_threads(big * 100) == 1
    seen = []
    run = _parallel.run_pieces
    monkeypatch.setattr(_parallel, "run_pieces",
                        lambda kernel, parts: (seen.append(parts), run(kernel, parts)))
    x = np.random.default_rng(0).standard_normal((8, 64, 32, 32)).astype(np.float32)
    assert x.size >= big
    g = PK.PoolGeometry.of(x.shape, (2, 2), (2, 2), (0, 0), (1, 1), False)
    PK.max_pool2d_forward(x, g)
    assert seen == [[slice(0, 8)]]


def test_concurrent_calls_from_several_threads_give_correct_results(pieces) -> None:
    inputs = [_image(n, seed=n) for n in (2, 3, 5, 7)]
    pieces(1)
    expected = [[_pool(x, 7, case) for case in CASES] for x in inputs]
    pieces(2)
    errors: list[BaseException] = []

    def user(index: int) -> None:
        try:
            for _ in range(5):
                for case, want in zip(CASES, expected[index]):
                    for a, b in zip(want, _pool(inputs[index], 7, case)):
                        np.testing.assert_array_equal(a, b)
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    users = [threading.Thread(target=user, args=(i,)) for i in range(len(inputs))]
    for thread in users:
        thread.start()
    for thread in users:
        thread.join(timeout=120)  # a guard against a deadlock, not a measurement
    assert not any(thread.is_alive() for thread in users), "a kernel call never returned"
    assert errors == []


def test_a_kernel_that_starts_kernels_on_pool_threads_does_not_deadlock() -> None:
    out = np.zeros((4, 4))

    def inner(row: int):
        def kernel(part: slice) -> None:
            out[row, part] = row + 1
        return kernel

    def outer(part: slice) -> None:
        for row in range(part.start, part.stop):
            _parallel.run_pieces(inner(row), _parallel.batch_pieces(4, 4))

    worker = threading.Thread(target=_parallel.run_pieces,
                              args=(outer, _parallel.batch_pieces(4, 4)))
    worker.start()
    worker.join(timeout=60)  # a guard against a deadlock, not a measurement
    assert not worker.is_alive()
    np.testing.assert_array_equal(out, np.arange(1, 5)[:, None] * np.ones(4))
