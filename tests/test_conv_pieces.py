"""Convolutions computed in pieces of the batch on several threads (``conv_fast`` and
``conv_small`` through ``_parallel.over_batch_products``; ``_threads.conv_pieces`` decides how
many pieces).

What is checked: 1, 2 and 3 pieces give the same forward values and gradients (float64 to
1e-12, float32 to round-off) on both kernels, with odd batch sizes, strides, dilation, groups,
gradients left out and an empty batch; the products inside a piece never change the BLAS thread
count (a stand-in for the BLAS pools records every change); the policy's choice of the number
of pieces; an exception in a piece reaches the caller and leaves no "inside a piece" flag set;
several user threads convolving at once get correct results. Nothing here times anything.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from microtensor import _parallel, _threads
from microtensor.ops import conv_fast as F
from microtensor.ops import conv_small as S

from .test_threads import FakeMeter, FakePools


@pytest.fixture(autouse=True)
def fresh_geometry():
    """conv_small caches geometries per shape; start and end each test without old ones."""
    S.SmallGeometry.of.cache_clear()
    yield
    S.SmallGeometry.of.cache_clear()


@pytest.fixture
def pieces(monkeypatch):
    """``pieces(k)``: every convolution from now on runs in k pieces of the batch; returns the
    list of piece counts the kernels were given (to check that pieces were really used)."""
    used: list[int] = []
    real = _parallel.run_pieces

    def counting(kernel, slices):
        used.append(len(slices))
        return real(kernel, slices)

    monkeypatch.setattr(_parallel, "run_pieces", counting)

    def choose(count: int) -> list[int]:
        monkeypatch.setattr(_threads, "conv_pieces", lambda flops: count)
        return used

    return choose


def _problem(n, c, o, groups, size, kernel, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, *size)).astype(dtype)
    w = rng.standard_normal((o, c // groups, *kernel)).astype(dtype)
    b = rng.standard_normal(o).astype(dtype)
    return x, w, b


# (n, C, O, groups, size, kernel, stride, padding (top, bottom, left, right), dilation)
FAST_CASES = [
    (7, 16, 24, 1, (9, 11), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),  # flat trick, odd batch
    (5, 12, 8, 1, (10, 9), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1)),  # polyphase, stride 2
    (6, 16, 16, 4, (8, 8), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),  # groups
    (3, 8, 6, 1, (12, 12), (3, 3), (1, 1), (2, 2, 2, 2), (2, 2)),  # dilation
    (9, 10, 6, 2, (7, 7), (1, 1), (2, 2), (0, 0, 0, 0), (1, 1)),  # 1x1 stride 2: strided views
    (4, 6, 5, 1, (8, 8), (3, 3), (1, 1), (0, 0, 0, 0), (1, 1)),  # no padding
]
SMALL_CASES = [
    (7, 1, 8, 1, (12, 12), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),  # 1 -> 8 channels
    (5, 8, 16, 1, (7, 7), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),
    (6, 4, 8, 2, (6, 6), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),  # groups
    (7, 8, 8, 4, (6, 7), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1)),  # backward from G's columns
    (5, 3, 4, 1, (9, 8), (3, 3), (2, 1), (0, 0, 0, 0), (1, 1)),  # strided windows
]


def _fast(x, w, b, case, need=(True, True, True)):
    *_, stride, padding, dilation = case
    groups = case[3]
    y = F.conv2d_forward(x, w, b, stride, padding, dilation, groups)
    g = np.cos(np.arange(y.size, dtype=y.dtype)).reshape(y.shape)
    grads = F.conv2d_backward(g, x, w, stride, padding, dilation, groups, *need)
    return (y, *grads)


def _small(x, w, b, case, need=(True, True, True), keep=False):
    *_, stride, padding, dilation = case
    groups = case[3]
    saved: list[np.ndarray] | None = [] if keep else None
    y = S.conv2d_forward(x, w, b if need[2] else None, stride, padding, dilation, groups,
                         saved=saved)
    g = np.cos(np.arange(y.size, dtype=y.dtype)).reshape(y.shape)
    cols = saved[0] if saved else None
    grads = S.conv2d_backward(g, x, w, stride, padding, dilation, groups, *need, cols=cols)
    return (y, *grads)


def _same(results, reference, rtol, atol):
    assert len(results) == len(reference)
    for got, want in zip(results, reference):
        if want is None:
            assert got is None
        else:
            assert got.shape == want.shape and got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def _compare(run, x, w, b, case, pieces, counts=(2, 3), rtol=1e-12, atol=1e-12, **options):
    """``run`` in 1 piece and in each of ``counts`` pieces: the same results; and the pieces
    were really used when the batch has that many images."""
    used = pieces(1)
    reference = run(x, w, b, case, **options)
    for count in counts:
        used.clear()
        pieces(count)
        _same(run(x, w, b, case, **options), reference, rtol, atol)
        if x.shape[0] >= count:
            assert count in used


@pytest.mark.parametrize("case", FAST_CASES)
def test_conv_fast_gives_the_same_results_in_one_two_and_three_pieces(case, pieces) -> None:
    x, w, b = _problem(*case[:6])
    _compare(_fast, x, w, b, case, pieces)


@pytest.mark.parametrize("case", SMALL_CASES)
@pytest.mark.parametrize("keep", [False, True])
def test_conv_small_gives_the_same_results_in_one_two_and_three_pieces(case, keep,
                                                                       pieces) -> None:
    x, w, b = _problem(*case[:6])
    _compare(_small, x, w, b, case, pieces, keep=keep)


@pytest.mark.parametrize("need", [(False, True, True), (True, False, True), (True, True, False),
                                  (False, False, True), (True, False, False)])
def test_gradients_left_out_stay_out_in_pieces(need, pieces) -> None:
    case = FAST_CASES[0]
    x, w, b = _problem(*case[:6])
    _compare(_fast, x, w, b, case, pieces, need=need)
    small = SMALL_CASES[1]
    x, w, b = _problem(*small[:6])
    _compare(_small, x, w, b, small, pieces, need=need)


def test_many_chunks_per_piece_give_the_same_results(pieces, monkeypatch) -> None:
    """Small chunks: every piece runs several chunks (and a last, shorter one)."""
    monkeypatch.setattr(F, "_CHUNK_BYTES", 4096)
    monkeypatch.setattr(S, "_CHUNK_BYTES", 4096)
    case = FAST_CASES[1]
    x, w, b = _problem(11, *case[1:6])
    _compare(_fast, x, w, b, case, pieces)
    small = SMALL_CASES[0]
    x, w, b = _problem(11, *small[1:6])
    _compare(_small, x, w, b, small, pieces)


def test_float32_agrees_to_round_off(pieces) -> None:
    case = FAST_CASES[0]
    x, w, b = _problem(*case[:6], dtype=np.float32)
    _compare(_fast, x, w, b, case, pieces, rtol=1e-5, atol=1e-4)
    small = SMALL_CASES[1]
    x, w, b = _problem(*small[:6], dtype=np.float32)
    _compare(_small, x, w, b, small, pieces, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("run, case", [(_fast, FAST_CASES[0]), (_small, SMALL_CASES[0])])
def test_an_empty_batch_gives_empty_outputs_and_zero_gradients(run, case, pieces) -> None:
    x, w, b = _problem(0, *case[1:6])
    pieces(2)
    y, grad_x, grad_w, grad_b = run(x, w, b, case)
    assert y.shape[0] == 0 and grad_x.shape == x.shape
    assert grad_w.shape == w.shape and not grad_w.any()
    assert grad_b.shape == b.shape and not grad_b.any()


# ------------------------------------------------------------------------- the BLAS setting

@pytest.fixture
def idle_two_cores(monkeypatch, restore_policy):
    """The default policy on a stand-in machine: 2 idle cores, a BLAS that defaults to 2
    threads; returns the stand-in pools, which record every change of the thread count."""
    pools = FakePools(2)
    monkeypatch.setattr(_threads, "_pools", pools)
    monkeypatch.setattr(_threads, "_cpus", [0, 1])
    monkeypatch.setattr(_threads, "_meter", FakeMeter(0.0))
    _threads._settings["threads"] = None
    return pools


def test_the_products_of_the_pieces_never_change_the_blas_thread_count(idle_two_cores) -> None:
    used: list[int] = []
    real = _parallel.run_pieces

    def counting(kernel, slices):
        used.append(len(slices))
        return real(kernel, slices)

    # big layers: their products alone would get 2 BLAS threads
    case = (8, 32, 64, 1, (32, 32), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    x, w, b = _problem(*case[:6], dtype=np.float32)
    small = (64, 8, 16, 1, (28, 28), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1))
    xs, ws, bs = _problem(*small[:6], dtype=np.float32)
    assert _threads.conv_pieces(F.ConvGeometry.of(x.shape, w.shape, (1, 1), (1, 1, 1, 1),
                                                  (1, 1), 1, 4).flops()) == 2
    _parallel.run_pieces = counting
    try:
        _fast(x, w, b, case)
        _small(xs, ws, bs, small)
        _small(xs, ws, bs, small, keep=True)
    finally:
        _parallel.run_pieces = real
    assert used and all(count == 2 for count in used)
    assert idle_two_cores.calls == []  # no piece (nor the caller) switched the BLAS


def test_inside_a_piece_a_big_product_gets_one_thread(idle_two_cores) -> None:
    big = 100 * _threads.BIG_PRODUCT_FLOPS
    assert _threads.product_threads(big) == 2
    seen: list[tuple[int, int]] = []
    _parallel.over_batch_products(
        lambda piece: seen.append((_threads.product_threads(big), _threads.conv_pieces(big))),
        4, 2)
    assert seen == [(1, 1), (1, 1)]  # one BLAS thread, and no pieces within a piece
    assert not _threads.in_piece() and _threads.product_threads(big) == 2


def test_how_many_pieces_the_policy_gives(idle_two_cores, monkeypatch) -> None:
    big = _threads.BIG_CONV_FLOPS
    assert _threads.conv_pieces(big - 1) == 1  # too small to pay for a second thread
    assert _threads.conv_pieces(big) == 2  # idle: both cores
    monkeypatch.setattr(_threads, "_meter", FakeMeter(1.0))
    assert _threads.conv_pieces(big) == 1  # one core busy elsewhere: never oversubscribe
    monkeypatch.setattr(_threads, "_meter", FakeMeter(None))
    assert _threads.conv_pieces(big) == 1  # load unknown
    monkeypatch.setattr(_threads, "_meter", FakeMeter(0.0))
    _threads.set_num_threads(2)  # fixed: the products carry the threads, one piece
    assert _threads.conv_pieces(big) == 1
    _threads._use_default_policy()
    assert _threads.conv_pieces(big) == 2


# ------------------------------------------------------------------------- errors, threads

def test_an_exception_in_a_piece_reaches_the_caller(pieces, monkeypatch) -> None:
    real = F._forward_images

    def failing(x, g, w_mat, plane, out, images):
        if images.start > 0:
            raise FloatingPointError("piece failed")
        return real(x, g, w_mat, plane, out, images)

    monkeypatch.setattr(F, "_forward_images", failing)
    case = FAST_CASES[0]
    x, w, b = _problem(*case[:6])
    pieces(3)
    with pytest.raises(FloatingPointError, match="piece failed"):
        _fast(x, w, b, case)
    assert not _threads.in_piece()  # the flag of the calling thread is restored
    pieces(1)
    _fast(x, w, b, case)  # one piece: only images from 0 on, no error


def test_over_batch_products_restores_the_flag_after_an_error() -> None:
    flags: list[bool] = []

    def kernel(piece: slice) -> None:
        flags.append(_threads.in_piece())
        raise KeyError(piece.start)

    with pytest.raises(KeyError):
        _parallel.over_batch_products(kernel, 6, 3)
    assert flags and all(flags)
    assert not _threads.in_piece()


def test_concurrent_calls_from_several_threads_give_correct_results(pieces) -> None:
    problems = [(_fast, FAST_CASES[i % 3]) for i in range(3)]
    problems += [(_small, SMALL_CASES[i % 2]) for i in range(3)]
    inputs = [_problem(*case[:6], seed=k) for k, (_, case) in enumerate(problems)]
    pieces(1)
    expected = [run(*inputs[k], case) for k, (run, case) in enumerate(problems)]
    pieces(2)
    results: list[object] = [None] * len(problems)
    errors: list[BaseException] = []

    def worker(k: int) -> None:
        try:
            run, case = problems[k]
            for _ in range(3):
                results[k] = run(*inputs[k], case)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(len(problems))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors and not any(thread.is_alive() for thread in threads)
    for got, want in zip(results, expected):
        _same(got, want, 1e-12, 1e-12)
