"""``get_num_threads`` & co.: how many threads the math may use, and the default policy.

microtensor computes with NumPy, which runs one Python thread; what can use several cores is the
BLAS library behind ``@`` / ``matmul`` (OpenBLAS, MKL...). NumPy's default is one BLAS thread per
core for every product. On a machine that is busy with anything else that collapses: a BLAS
thread that waits for a core another process holds stalls the whole product, and its siblings
spin meanwhile. (Measured on 2 cores with one competing busy process in another session,
``benchmarks/bench_contention.py``: with NumPy's default a small MLP training step went from
0.8–1.0 ms to 1.7–9.3 ms, a small CNN step from 4.6–8.8 ms to 21–105 ms; PyTorch's CNN step
from 4–6 ms to 270–280 ms.)

The default policy (when ``threadpoolctl``, a dependency, can be imported, and neither
``set_num_threads`` was called nor a thread-count environment variable such as
``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` was set):

* The BLAS rests at **one thread**. Every product below ``BIG_PRODUCT_FLOPS`` (2²² ≈ 4 million
  floating-point operations, ~50 µs on one core) runs on it: a second thread would save less
  than waking it costs.
* A bigger product (the products of ``matmul``, ``Linear``, ``einsum`` and the convolutions, see
  ``microtensor/ops/blas.py``) gets as many threads as there are **free cores**: the cores this
  process may run on, less the cores other processes kept busy over the last quarter of a second
  (read from ``/proc/stat`` at most four times a second, ~20 µs; without ``/proc/stat`` the
  1-minute load average stands in, and without either a big product gets one thread), and never
  more than the BLAS's own default (one per core). Switching costs two calls into the BLAS
  (~2 µs), paid only by products that take ~50 µs or more.

So on an idle machine big products use every core, as before (the MLP, CNN and Conv2d-layer
steps within 1–4 % of NumPy's default), and on a busy one nothing oversubscribes (the steps
take 0.6–1.6× their idle time instead of 2–20×). The price: on float32 the BLAS does not return
bit-identical results for different thread counts (float64 products do match), so a float32
result can differ in its last bits between an idle and a busy run. For bit-reproducible runs
fix the count with ``set_num_threads(n)`` (then every product uses ``n`` threads, whatever the
load) or with ``OMP_NUM_THREADS=n``.

The same policy runs microtensor's own array kernels (max and average pooling, forward and
backward; ``microtensor/_parallel.py``) over pieces of the batch on a few threads of its own:

* A kernel over fewer than ``BIG_KERNEL_ELEMENTS`` (3·2¹⁷ ≈ 390,000) input elements runs on the
  calling thread alone. Handing a piece to a second thread costs ~50–100 µs (waking it, and
  the GIL between NumPy calls), which only pays on arrays that take a few hundred µs. Measured
  on 2 idle cores, 2 threads against 1: max/avg pooling 2x2 on 262,144 elements (8, 32, 32, 32)
  1.1–1.5× slower, on 401,408 (64, 8, 28, 28) 0.75–0.92×, on 2 million (32, 64, 32, 32)
  0.55–0.6×.
* A bigger one gets the count ``set_num_threads`` or the environment fixed, else the free cores
  (the same load meter as above; 1 when unknown). The results do not depend on it: every
  output element is computed by the same operations whichever thread computes it.

The convolutions (``conv_fast``, ``conv_small``) use the same pieces of the batch, with BLAS
products inside: a convolution of at least ``BIG_CONV_FLOPS`` (2²⁴ ≈ 17 million flops per pass)
runs in as many pieces as there are free cores (``conv_pieces``), and the products of a piece
get one BLAS thread (a thread-local "inside a piece" flag that ``product_threads`` honours):
the cores are shared out by the pieces, and no piece ever changes the process-wide BLAS
setting while another one computes. With a fixed count (``set_num_threads``, environment) the
BLAS runs that many threads for every product, so a convolution stays in one piece. (Measured:
1->8 channels on 28×28, batch 64, 7 Mflop, was 1.0 - 1.4× slower in 2 pieces; 8->16 on 14×14,
29 Mflop, 0.65 - 0.9×.) A float32 dL/dw is then summed per piece: its last bits depend on
the number of pieces, as they do on the BLAS's threads.

PyTorch does it differently: one intra-op thread per physical core for every parallel op,
whatever the size and whatever else runs (``torch.set_num_threads`` changes the count, never the
policy), so it collapses under contention the same way NumPy's default does. Note also that the
BLAS setting is per process: importing microtensor puts NumPy's BLAS at one thread for code
outside microtensor too (call ``set_num_threads`` to choose).

PyTorch's inter-op pool (``set_num_interop_threads``) runs independent ops in parallel;
microtensor has none, so that number is only recorded. As in PyTorch, it can be set once.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np  # noqa: F401  (loads the BLAS before threadpoolctl looks for it)

try:
    import threadpoolctl
except ImportError:  # without it NumPy's default stays and the numbers are only recorded
    threadpoolctl = None

BIG_PRODUCT_FLOPS = 2**22  # products of at least this many flops may use several threads
BIG_KERNEL_ELEMENTS = 3 * 2**17  # array kernels (pooling) over this many elements may too
BIG_CONV_FLOPS = 2**24  # convolutions of this many flops may run in pieces of the batch
THREAD_ENVIRONMENT_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
_LOAD_INTERVAL = 0.25  # seconds between two readings of what other processes keep busy

# "threads": the count set by set_num_threads (or the environment): every product uses it;
# None: the default policy. ("limiter" stays None; kept for code that restores the settings.)
_settings: dict[str, Any] = {"threads": None, "interop": None, "interop_set": False,
                             "limiter": None}


def _cores() -> list[int]:
    """The CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


class _BlasPools:
    """NumPy's BLAS libraries (through threadpoolctl) and the thread count last given to them."""

    def __init__(self) -> None:
        found = (threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers
                 if threadpoolctl is not None else [])
        self.libraries = found
        # the BLAS's own default (one thread per core, or what the environment asked for)
        self.default = max((library.num_threads for library in found), default=None)
        self.current = self.default

    def set(self, count: int) -> None:
        if count != self.current:
            for library in self.libraries:
                library.set_num_threads(count)
            self.current = count


class _LoadMeter:
    """How many of this process's cores other processes keep busy (a float, or None: unknown).

    Linux: from /proc/stat, the busy time of this process's CPUs over the last interval minus
    this process's own CPU time (all its threads), divided by the interval's length.
    """

    def __init__(self, cpus: list[int]) -> None:
        self.names = {f"cpu{cpu}".encode() for cpu in cpus}
        self.ticks_per_second = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.last = self._sample()
        self.busy_elsewhere: float | None = None
        self.lock = threading.Lock()

    def _busy_seconds(self, path: str = "/proc/stat") -> float | None:
        try:
            with open(path, "rb") as stat:
                lines = stat.read().splitlines()
        except OSError:
            return None
        busy = 0
        for line in lines[1:]:
            fields = line.split()
            if not fields or not fields[0].startswith(b"cpu"):
                break
            if fields[0] in self.names:  # user nice system idle iowait irq softirq steal
                ticks = [int(value) for value in fields[1:9]]
                busy += sum(ticks) - ticks[3] - ticks[4]
        return busy / self.ticks_per_second

    def _sample(self) -> tuple[float, float, float] | None:
        busy = self._busy_seconds()
        return None if busy is None else (time.monotonic(), busy, time.process_time())

    def read(self) -> float | None:
        """Cores kept busy elsewhere, refreshed when the last reading is older than the interval."""
        if self.last is None:
            return _load_average_elsewhere()
        # one thread refreshes at a time (several threads may run kernels); the others take
        # the last reading rather than wait
        if time.monotonic() - self.last[0] >= _LOAD_INTERVAL and self.lock.acquire(False):
            try:
                sample = self._sample()
                if sample is not None and sample[0] > self.last[0]:
                    wall, busy, own = (now - before for now, before in zip(sample, self.last))
                    self.busy_elsewhere = max(0.0, (busy - own) / wall)
                    self.last = sample
            finally:
                self.lock.release()
        return self.busy_elsewhere


def _load_average_elsewhere() -> float | None:
    """Without /proc/stat: the 1-minute load average less this process's one thread."""
    if not hasattr(os, "getloadavg"):
        return None
    return max(0.0, os.getloadavg()[0] - 1.0)


def _explicit_count_from_environment() -> int | None:
    """A thread count the user asked for through the environment (it then applies to all)."""
    for name in THREAD_ENVIRONMENT_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value.isdigit() and int(value) > 0:
            return int(value)
    return None


_cpus = _cores()
_ENVIRONMENT_COUNT = _explicit_count_from_environment()
_pools = _BlasPools()
_meter = _LoadMeter(_cpus)
if _pools.libraries:
    if _ENVIRONMENT_COUNT is not None:
        _settings["threads"] = _pools.default  # the count the BLAS took from the environment
    else:
        _pools.set(1)  # the default policy: rest at one thread


# per thread: True while this thread computes a piece of a batch (``_parallel.over_batch`` with
# ``one_blas_thread``); its products then stay on the BLAS's resting single thread
_piece = threading.local()


def blas_libraries() -> list:
    """threadpoolctl's controllers of NumPy's BLAS libraries (empty without threadpoolctl)."""
    return list(_pools.libraries)


def in_piece() -> bool:
    """True on a thread that is computing a piece of a batch (its products get one thread)."""
    return getattr(_piece, "active", False)


def mark_piece(active: bool) -> bool:
    """Set this thread's "inside a piece" flag; returns the previous value (to restore)."""
    previous = in_piece()
    _piece.active = active
    return previous


def policy_is_adaptive() -> bool:
    """True while the default policy chooses each product's thread count."""
    return _settings["threads"] is None and bool(_pools.libraries)


def product_threads(flops: float) -> int:
    """How many BLAS threads a product of ``flops`` floating-point operations gets.

    ``set_num_threads(n)`` (or the environment) fixes it to n; else 1 below BIG_PRODUCT_FLOPS
    and otherwise the free cores, at most the BLAS's default (see the module docstring).
    """
    if _settings["threads"] is not None:
        return _settings["threads"]
    if in_piece() or flops < BIG_PRODUCT_FLOPS or not _pools.default or _pools.default <= 1:
        return 1  # (inside a piece the other cores already run the other pieces)
    return _free_cores(_pools.default)


def kernel_threads(elements: int) -> int:
    """How many threads an array kernel (pooling, ``microtensor/_parallel.py``) over
    ``elements`` elements gets: 1 below BIG_KERNEL_ELEMENTS, else the count fixed by
    ``set_num_threads`` or the environment, else the free cores (see the module docstring)."""
    if elements < BIG_KERNEL_ELEMENTS:
        return 1
    if _settings["threads"] is not None:
        return _settings["threads"]
    if _ENVIRONMENT_COUNT is not None:
        return _ENVIRONMENT_COUNT
    return _free_cores(len(_cpus))


def conv_pieces(flops: float) -> int:
    """How many pieces of the batch a convolution of ``flops`` floating-point operations is
    computed in, each on a thread of its own with single-threaded products (``conv_fast``,
    ``conv_small``): 1 below BIG_CONV_FLOPS, inside a piece already, or when the BLAS thread
    count is fixed (``set_num_threads`` or the environment: then every product uses that many
    threads and two pieces at once would oversubscribe the cores); else the free cores."""
    if flops < BIG_CONV_FLOPS or in_piece() or not policy_is_adaptive():
        return 1
    return _free_cores(len(_cpus))


def _free_cores(most: int) -> int:
    """The cores other processes leave free (one when unknown), between 1 and ``most``."""
    busy_elsewhere = _meter.read()
    if busy_elsewhere is None:
        return 1
    free = int(len(_cpus) - busy_elsewhere + 0.5)  # a core at least half free counts
    return max(1, min(most, free))


def run_with_threads(threads: int, compute: Callable[[], Any]) -> Any:
    """``compute()`` with the BLAS on ``threads`` threads, then back to one (the resting state)."""
    _pools.set(threads)
    try:
        return compute()
    finally:
        _pools.set(1)


def _check_positive(name: str, count: Any) -> int:
    if isinstance(count, bool) or not isinstance(count, int):
        raise RuntimeError(f"{name} expects an int, but got {type(count).__name__}")
    if count <= 0:
        raise RuntimeError(f"{name} expects a positive integer (got {count})")
    return count


def get_num_threads() -> int:
    """The number of threads the BLAS may use: the count ``set_num_threads`` fixed, else the
    most a big product gets on an idle machine (one per core, as PyTorch reports)."""
    if _settings["threads"] is not None:
        return _settings["threads"]
    return _pools.default or len(_cpus)


def set_num_threads(count: int) -> None:
    """Fix the BLAS to ``count`` threads for every product, whatever its size and the load.

    This replaces the default policy (one thread for small products, the free cores for big
    ones; see the module docstring) by PyTorch's: ``torch.set_num_threads(n)`` also makes every
    parallel op use ``n`` threads. With a fixed count, float32 results are bit-reproducible.
    Without threadpoolctl the number is only recorded.
    """
    _settings["threads"] = _check_positive("set_num_threads", count)
    _pools.set(count)


def _use_default_policy() -> None:
    """Back to the default policy (for tests; PyTorch has no such call)."""
    _settings["threads"] = None
    if _pools.libraries:
        _pools.set(1)


def get_num_interop_threads() -> int:
    """The recorded inter-op thread count (microtensor runs ops one after another)."""
    return _settings["interop"] if _settings["interop"] is not None else len(_cpus)


def set_num_interop_threads(count: int) -> None:
    """Record the inter-op thread count; like PyTorch, only once and before any parallel work
    (here: a second call raises, as PyTorch's does after its pool has started)."""
    count = _check_positive("set_num_interop_threads", count)
    if _settings["interop_set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _settings["interop"], _settings["interop_set"] = count, True
