"""The BLAS thread policy (microtensor/_threads.py, microtensor/ops/blas.py): which products get
how many threads, that set_num_threads overrides it, and that results do not depend on it.

Nothing here times anything: the decisions are tested with a stand-in for the BLAS pools and the
load meter, and the results with the real BLAS switched as the policy says.
"""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
from microtensor import _threads
from microtensor.ops import blas

BIG = _threads.BIG_PRODUCT_FLOPS


class FakePools:
    """Records the thread counts the policy gives the BLAS."""

    def __init__(self, default: int) -> None:
        self.libraries = ["a BLAS"]
        self.default = default
        self.current = 1
        self.calls: list[int] = []

    def set(self, count: int) -> None:
        self.calls.append(count)
        self.current = count


class FakeMeter:
    def __init__(self, busy_elsewhere: float | None) -> None:
        self.busy_elsewhere = busy_elsewhere

    def read(self) -> float | None:
        return self.busy_elsewhere


@pytest.fixture
def machine(monkeypatch, restore_policy):
    """A stand-in machine: ``machine(cores, blas_default, busy_elsewhere)`` -> its FakePools."""

    def build(cores: int, blas_default: int, busy_elsewhere: float | None) -> FakePools:
        pools = FakePools(blas_default)
        monkeypatch.setattr(_threads, "_pools", pools)
        monkeypatch.setattr(_threads, "_cpus", list(range(cores)))
        monkeypatch.setattr(_threads, "_meter", FakeMeter(busy_elsewhere))
        _threads._settings["threads"] = None
        return pools

    return build


# ------------------------------------------------------------------------------ the decisions

def test_product_flops_counts_two_per_multiply_add() -> None:
    assert blas.product_flops(np.ones((3, 4)), np.ones((4, 5))) == 2 * 3 * 4 * 5
    assert blas.product_flops(np.ones((7, 3, 4)), np.ones((4, 5))) == 2 * 7 * 3 * 4 * 5
    assert blas.product_flops(np.ones((3, 4)), np.ones((7, 4, 5))) == 2 * 7 * 3 * 4 * 5
    assert blas.product_flops(np.ones(4), np.ones((4, 5))) == 2 * 4 * 5
    assert blas.product_flops(np.ones((3, 4)), np.ones(4)) == 2 * 3 * 4


def test_einsum_flops_bound_the_loop_nest() -> None:
    a, b = np.ones((3, 4)), np.ones((4, 5))
    assert blas.einsum_flops("ij,jk->ik", (a, b)) == 2 * 3 * 4 * 5
    assert blas.einsum_flops("ij, jk -> ik", (a, b)) == 2 * 3 * 4 * 5  # spaces are allowed
    batched = np.ones((7, 3, 4))
    assert blas.einsum_flops("...ij,jk->...ik", (batched, b)) == 2 * 7 * 3 * 4 * 5
    assert blas.einsum_flops("ii->i", (np.ones((6, 6)),)) == 2 * 6
    assert blas.einsum_flops("i,i->", (np.ones(9), np.ones(9))) == 2 * 9


def test_a_big_einsum_raises_the_threads_then_rests_at_one(machine) -> None:
    pools = machine(cores=2, blas_default=2, busy_elsewhere=0.0)
    small = np.ones((8, 8))
    np.testing.assert_array_equal(mt.einsum("ij,jk->ik", mt.tensor(small), mt.tensor(small)),
                                  np.full((8, 8), 8.0))
    assert pools.calls == []
    big = np.ones((256, 256))
    assert blas.einsum_flops("ij,jk->ik", (big, big)) >= BIG
    result = mt.einsum("ij,jk->ik", mt.tensor(big), mt.tensor(big))
    np.testing.assert_array_equal(result, np.full((256, 256), 256.0))
    assert pools.calls == [2, 1] and pools.current == 1


def test_small_products_get_one_thread_whatever_the_load(machine) -> None:
    machine(cores=8, blas_default=8, busy_elsewhere=0.0)
    assert _threads.product_threads(BIG - 1) == 1
    assert _threads.product_threads(0) == 1


@pytest.mark.parametrize("cores, blas_default, busy_elsewhere, expected", [
    (2, 2, 0.0, 2),    # idle 2-core machine: both cores
    (2, 2, 0.3, 2),    # a little background work: a core at least half free still counts
    (2, 2, 1.0, 1),    # one competing busy process: only one core is free
    (2, 2, 2.0, 1),    # all busy: still one thread (this process's own)
    (2, 2, 5.0, 1),
    (8, 8, 3.0, 5),    # 8 cores, 3 busy elsewhere
    (8, 4, 0.0, 4),    # never more than the BLAS's own default (e.g. OMP_NUM_THREADS)
    (4, 1, 0.0, 1),    # a single-threaded BLAS stays single-threaded
    (4, 4, None, 1),   # load unknown: do not risk oversubscribing
])
def test_big_products_get_the_free_cores(machine, cores, blas_default, busy_elsewhere,
                                         expected) -> None:
    machine(cores, blas_default, busy_elsewhere)
    assert _threads.product_threads(BIG) == expected
    assert _threads.product_threads(1e12) == expected


def test_set_num_threads_fixes_the_count_for_every_product(machine) -> None:
    pools = machine(cores=2, blas_default=2, busy_elsewhere=2.0)
    assert _threads.policy_is_adaptive()
    mt.set_num_threads(3)
    assert pools.calls == [3] and pools.current == 3
    assert not _threads.policy_is_adaptive()
    assert mt.get_num_threads() == 3
    assert _threads.product_threads(1) == 3
    assert _threads.product_threads(1e12) == 3  # whatever the load


def test_get_num_threads_reports_what_a_big_product_may_use(machine) -> None:
    machine(cores=4, blas_default=4, busy_elsewhere=0.0)
    assert mt.get_num_threads() == 4


# ------------------------------------------------------------------ the switching around products

def test_small_products_do_not_touch_the_blas(machine) -> None:
    pools = machine(cores=2, blas_default=2, busy_elsewhere=0.0)
    a = np.ones((16, 16))
    np.testing.assert_array_equal(blas.matmul(a, a), np.full((16, 16), 16.0))
    (mt.ones(16, 16, requires_grad=True) @ mt.ones(16, 16)).sum().backward()
    assert pools.calls == []


def test_a_big_product_raises_the_threads_then_rests_at_one(machine) -> None:
    pools = machine(cores=2, blas_default=2, busy_elsewhere=0.0)
    a = np.ones((256, 256))
    assert blas.product_flops(a, a) >= BIG
    out = np.empty((256, 256))
    result = blas.matmul(a, a, out=out)
    assert result is out
    np.testing.assert_array_equal(out, np.full((256, 256), 256.0))
    assert pools.calls == [2, 1] and pools.current == 1


def test_a_big_product_on_a_busy_machine_stays_on_one_thread(machine) -> None:
    pools = machine(cores=2, blas_default=2, busy_elsewhere=1.0)
    a = np.ones((256, 256))
    blas.matmul(a, a)
    assert pools.calls == []


def test_the_blas_rests_at_one_thread_even_when_the_product_fails(machine) -> None:
    pools = machine(cores=2, blas_default=2, busy_elsewhere=0.0)
    with pytest.raises(ValueError):
        blas.matmul(np.ones((256, 256)), np.ones((256, 256)), out=np.empty((3, 3)))
    assert pools.calls == [2, 1]


def test_with_a_fixed_count_products_do_not_switch(machine) -> None:
    pools = machine(cores=2, blas_default=2, busy_elsewhere=0.0)
    mt.set_num_threads(2)
    blas.matmul(np.ones((256, 256)), np.ones((256, 256)))
    assert pools.calls == [2]


def test_tensors_go_through_the_differentiable_product(machine) -> None:
    machine(cores=2, blas_default=2, busy_elsewhere=0.0)
    a = mt.ones(3, 4, requires_grad=True)
    product = blas.matmul(a, mt.ones(4, 2))
    assert isinstance(product, mt.Tensor) and product.requires_grad
    assert product.tolist() == [[4.0, 4.0]] * 3


# --------------------------------------------------------- results identical with any thread count

def _exact(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Small integers as float64: every sum is exact, so any order of summation agrees."""
    return rng.integers(-4, 5, shape).astype(np.float64)


def _train_and_collect() -> list[np.ndarray]:
    """Forward and backward of Linear, batched matmul and Conv2d, big enough to be switched."""
    rng = np.random.default_rng(0)
    x = mt.tensor(_exact(rng, 256, 300), requires_grad=True)
    weight = mt.tensor(_exact(rng, 200, 300), requires_grad=True)
    bias = mt.tensor(_exact(rng, 200), requires_grad=True)
    batch_a = mt.tensor(_exact(rng, 4, 128, 96), requires_grad=True)
    batch_b = mt.tensor(_exact(rng, 96, 160), requires_grad=True)
    image = mt.tensor(_exact(rng, 8, 16, 24, 24), requires_grad=True)
    kernel = mt.tensor(_exact(rng, 32, 16, 3, 3), requires_grad=True)
    loss = (mt.nn.functional.linear(x, weight, bias).sum() + (batch_a @ batch_b).sum()
            + mt.nn.functional.conv2d(image, kernel, padding=1).sum())
    loss.backward()
    return [loss.detach().numpy()] + [t.grad.numpy() for t in
                                      (x, weight, bias, batch_a, batch_b, image, kernel)]


def test_results_are_identical_with_the_policy_and_with_fixed_counts(monkeypatch,
                                                                     restore_policy) -> None:
    monkeypatch.setattr(_threads, "_meter", FakeMeter(0.0))  # as if idle: big products switch
    _threads._use_default_policy()
    with_policy = _train_and_collect()
    results = {}
    for count in (1, 2):
        mt.set_num_threads(count)
        results[count] = _train_and_collect()
    for count, fixed in results.items():
        for ours, theirs in zip(with_policy, fixed):
            np.testing.assert_array_equal(ours, theirs, err_msg=f"set_num_threads({count})")


# -------------------------------------------------------------- the order of a product


@pytest.mark.parametrize("rows, features, outputs, dtype, layout, avx512, swapped", [
    (16, 784, 256, np.float32, "transposed", True, True),  # Linear 784 -> 256, batch 16
    (64, 512, 512, np.float32, "transposed", True, True),
    (65, 784, 256, np.float32, "transposed", True, False),  # too many rows
    (4, 784, 256, np.float32, "transposed", True, False),  # OpenBLAS's small-matrix kernel
    (16, 128, 64, np.float32, "transposed", True, False),  # a small weight
    (16, 784, 256, np.float32, "row-major", True, False),  # b not a transposed matrix
    (16, 784, 256, np.float64, "transposed", True, False),  # float64: the orders tie
    (16, 784, 256, np.float32, "transposed", False, False),  # not the AVX-512 kernels
])
def test_a_few_rows_times_a_transposed_weight_swap_only_where_measured(
        monkeypatch, rows, features, outputs, dtype, layout, avx512, swapped) -> None:
    monkeypatch.setattr(blas, "_blas_has_avx512_kernels", lambda answer=avx512: answer)
    rng = np.random.default_rng(rows)
    a = rng.standard_normal((rows, features)).astype(dtype)
    weight = rng.standard_normal((outputs, features)).astype(dtype)
    b = weight.T if layout == "transposed" else np.ascontiguousarray(weight.T)
    assert blas._swap_operands(a, b) is swapped
    result = blas.matmul(a, b)
    assert result.shape == (rows, outputs) and result.flags.c_contiguous
    assert result.dtype == dtype
    np.testing.assert_allclose(result, a.astype(np.float64) @ b.astype(np.float64),
                               rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-3)


def test_a_swapped_product_does_not_swap_back(monkeypatch) -> None:
    # (32, 4096) @ (4096, 32)ᵀ-view qualifies, and so would its swap bᵀ @ aᵀ: done once only
    monkeypatch.setattr(blas, "_blas_has_avx512_kernels", lambda: True)
    a = np.ones((32, 4096), np.float32)
    b = np.full((32, 4096), 2, np.float32).T
    assert blas._swap_operands(a, b) and blas._swap_operands(b.T, a.T)
    np.testing.assert_array_equal(blas.matmul(a, b), np.full((32, 32), 8192, np.float32))


def test_linear_gives_the_same_values_either_way(monkeypatch) -> None:
    layer = mt.nn.Linear(784, 256)
    x = mt.randn(16, 784)
    results = []
    for avx512 in (False, True):
        monkeypatch.setattr(blas, "_blas_has_avx512_kernels", lambda answer=avx512: answer)
        results.append(layer(x).detach().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-5)
    assert results[1].flags.c_contiguous


# ------------------------------------------------------------------------ measuring the load

def test_load_meter_reads_this_processs_cpus_from_proc_stat(tmp_path) -> None:
    stat = tmp_path / "stat"
    stat.write_text("cpu  900 0 100 5000 0 0 0 0 0 0\n"
                    "cpu0 400 0 100 2000 50 0 0 0 0 0\n"   # busy 500 ticks (iowait is idle)
                    "cpu1 500 0 0 3000 0 0 0 0 0 0\n"      # busy 500 ticks
                    "cpu2 70 0 0 3000 0 0 0 30 0 0\n"      # busy 100 ticks (steal is busy)
                    "intr 12345\n")
    meter = _threads._LoadMeter([0, 2])
    assert meter._busy_seconds(str(stat)) == pytest.approx(600 / meter.ticks_per_second)
    assert meter._busy_seconds(str(tmp_path / "missing")) is None


def test_load_meter_subtracts_this_processs_own_cpu_time(monkeypatch) -> None:
    meter = _threads._LoadMeter([0, 1])
    meter.last = (10.0, 100.0, 5.0)  # (wall, busy CPU seconds of our cores, our CPU seconds)
    monkeypatch.setattr(meter, "_sample", lambda: (11.0, 101.8, 5.9))
    monkeypatch.setattr(_threads, "_LOAD_INTERVAL", 0.5)
    monkeypatch.setattr(_threads.time, "monotonic", lambda: 11.0)
    assert meter.read() == pytest.approx(0.9)  # 1.8 busy seconds in 1 s, 0.9 of them ours
    assert meter.last == (11.0, 101.8, 5.9)
    monkeypatch.setattr(meter, "_sample", lambda: pytest.fail("read again within the interval"))
    monkeypatch.setattr(_threads.time, "monotonic", lambda: 11.2)
    assert meter.read() == pytest.approx(0.9)


def test_load_meter_never_reports_negative_load(monkeypatch) -> None:
    meter = _threads._LoadMeter([0, 1])
    meter.last = (10.0, 100.0, 5.0)
    monkeypatch.setattr(meter, "_sample", lambda: (11.0, 100.5, 6.0))  # tick rounding
    monkeypatch.setattr(_threads.time, "monotonic", lambda: 11.0)
    assert meter.read() == 0.0


def test_a_thread_count_in_the_environment_is_an_explicit_setting(monkeypatch) -> None:
    for name in _threads.THREAD_ENVIRONMENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert _threads._explicit_count_from_environment() is None
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "")
    assert _threads._explicit_count_from_environment() is None
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert _threads._explicit_count_from_environment() == 3


def test_set_num_threads_rejects_bad_counts(restore_policy) -> None:
    with pytest.raises(RuntimeError, match="positive"):
        mt.set_num_threads(0)
    with pytest.raises(RuntimeError, match="expects an int"):
        mt.set_num_threads(2.0)


# ------------------------------------------------------------- array kernels (_parallel.py)


@pytest.mark.parametrize("cores, busy_elsewhere, expected",
                         [(2, 0.0, 2), (2, 0.4, 2), (2, 1.0, 1), (4, 1.2, 3), (2, None, 1)])
def test_big_kernels_get_the_free_cores(machine, monkeypatch, cores, busy_elsewhere,
                                        expected) -> None:
    machine(cores, cores, busy_elsewhere)
    monkeypatch.setattr(_threads, "_ENVIRONMENT_COUNT", None)
    assert _threads.kernel_threads(_threads.BIG_KERNEL_ELEMENTS) == expected
    assert _threads.kernel_threads(_threads.BIG_KERNEL_ELEMENTS - 1) == 1  # small: one


def test_a_fixed_count_applies_to_big_kernels_only(machine, monkeypatch) -> None:
    machine(2, 2, 1.0)  # busy: the policy alone would give one thread
    monkeypatch.setattr(_threads, "_ENVIRONMENT_COUNT", None)
    mt.set_num_threads(3)
    assert _threads.kernel_threads(_threads.BIG_KERNEL_ELEMENTS) == 3
    assert _threads.kernel_threads(1000) == 1
    _threads._settings["threads"] = None
    monkeypatch.setattr(_threads, "_ENVIRONMENT_COUNT", 2)  # e.g. OMP_NUM_THREADS=2
    assert _threads.kernel_threads(_threads.BIG_KERNEL_ELEMENTS) == 2


def test_the_load_meter_is_refreshed_by_one_thread_at_a_time(monkeypatch) -> None:
    meter = _threads._LoadMeter([0, 1])
    meter.last = (10.0, 100.0, 5.0)
    meter.busy_elsewhere = 0.25
    monkeypatch.setattr(meter, "_sample", lambda: pytest.fail("sampled while another thread is"))
    monkeypatch.setattr(_threads.time, "monotonic", lambda: 11.0)
    with meter.lock:  # another thread is refreshing: the last reading is returned
        assert meter.read() == 0.25
