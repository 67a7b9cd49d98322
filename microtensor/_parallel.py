"""Run an array kernel over the batch axis in pieces, on a few threads at once.

microtensor's kernels are NumPy calls made from one Python thread. NumPy releases the GIL
inside a ufunc's loop over a large array (``np.maximum``, ``np.add``... on anything but object
arrays), so two Python threads that each call ufuncs on *different* arrays run on two cores at
the same time; only the Python between the calls is serialised, a few µs per call. A kernel
that treats each sample of a batch on its own (pooling: every output reads one image) can
therefore be split along the batch axis: piece k computes samples [lo_k, hi_k) and writes
them into its rows of an output allocated once by the caller. The values are those of one
call over the whole batch, bit for bit, since every element is computed by the same
operations in the same order; only *which thread* computes it changes.

How many pieces a call gets is the thread policy's answer for that much work
(``_threads.kernel_threads``: one below ``BIG_KERNEL_ELEMENTS``, else the free cores, or the
count ``set_num_threads`` / the environment fixed). With one piece the kernel is just called.

The pool: a few daemon threads, started on first use, that take jobs from one queue. A call
with k pieces puts k - 1 "helper" jobs on the queue and then works on the pieces itself; the
caller and the helpers take the next piece from a shared counter until none is left, and the
caller then waits only for pieces that a helper has *started*. So:

* nothing can deadlock: if every pool thread is busy (several user threads, DataLoader worker
  threads calling kernels at once, or a kernel calling another from a pool thread) the caller
  simply does all the pieces itself, and a started piece never waits for anything;
* a helper that starts late finds no piece left and returns at once;
* an exception in any piece is re-raised in the caller (the first one; the pieces not started
  yet are skipped), after every started piece has finished, so no thread still writes into
  the outputs when the call returns or raises;
* after ``os.fork`` (multiprocessing, DataLoader worker processes) the child starts with an
  empty pool of its own: the parent's threads do not exist there.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from queue import SimpleQueue

from microtensor import _threads


def batch_pieces(n: int, count: int) -> list[slice]:
    """``range(n)`` cut into ``min(count, n)`` contiguous slices whose sizes differ by one at
    most (the first ones get the extra samples); one empty slice when n is 0."""
    count = max(1, min(count, n))
    size, extra = divmod(n, count)
    pieces, start = [], 0
    for k in range(count):
        stop = start + size + (1 if k < extra else 0)
        pieces.append(slice(start, stop))
        start = stop
    return pieces


def over_batch(kernel: Callable[[slice], object], n: int, elements: int) -> None:
    """Call ``kernel(piece)`` for pieces of ``range(n)`` that together cover it once, on as many
    threads as the policy gives ``elements`` elements of work (see the module docstring).

    ``kernel`` must write its results into arrays it shares with the caller (its rows of them);
    what it returns is ignored. Exceptions propagate to the caller."""
    run_pieces(kernel, batch_pieces(n, _threads.kernel_threads(elements)))


def over_batch_products(kernel: Callable[[slice], object], n: int, pieces: int) -> None:
    """``over_batch`` for kernels whose pieces call BLAS products (the convolutions): ``kernel``
    over ``pieces`` pieces of ``range(n)`` (``_threads.conv_pieces`` decides how many), every
    piece with this thread's "inside a piece" flag set, so that its products run on the BLAS's
    resting single thread. The cores are shared out by the pieces, not inside each product: a
    product would otherwise switch the process-wide BLAS setting while another piece computes
    (two pieces each asking for all cores oversubscribe them). With one piece the kernel is
    called as it is (its big products may then get the free cores themselves)."""
    if pieces <= 1:
        kernel(slice(0, n))
        return

    def one_piece(piece: slice) -> None:
        previous = _threads.mark_piece(True)
        try:
            kernel(piece)
        finally:
            _threads.mark_piece(previous)

    run_pieces(one_piece, batch_pieces(n, pieces))


def run_pieces(kernel: Callable[[slice], object], pieces: list[slice]) -> None:
    """``kernel(piece)`` for every piece: the first on this thread, the others shared with the
    pool (see the module docstring); returns when all are done, re-raising the first error."""
    if len(pieces) == 1:
        kernel(pieces[0])
        return
    call = _Call(kernel, pieces)
    _pool.start(len(pieces) - 1)
    for _ in range(len(pieces) - 1):
        _pool.jobs.put(call.work)
    call.work()
    call.finished.acquire()  # released by whoever finishes the last piece
    if call.error is not None:
        raise call.error


class _Call:
    """The pieces of one ``run_pieces`` call, handed out one at a time to whoever asks."""

    def __init__(self, kernel: Callable[[slice], object], pieces: list[slice]) -> None:
        self.kernel, self.pieces = kernel, pieces
        self.lock = threading.Lock()
        self.next = 0  # the next piece to hand out
        self.unfinished = len(pieces)
        # held until the last piece is done: a lock taken now and released then (an Event
        # would do the same with a Condition around a lock: ~4 µs more to create, per call)
        self.finished = threading.Lock()
        self.finished.acquire()
        self.error: BaseException | None = None

    def _take(self) -> slice | None:
        with self.lock:
            if self.next == len(self.pieces):
                return None
            self.next += 1
            return self.pieces[self.next - 1]

    def work(self) -> None:
        """Run pieces until none is left (skipping them once one has failed)."""
        while (piece := self._take()) is not None:
            try:
                if self.error is None:
                    self.kernel(piece)
            except BaseException as error:  # handed to the caller, whatever it is
                with self.lock:
                    self.error = self.error or error
            finally:
                with self.lock:
                    self.unfinished -= 1
                    if self.unfinished == 0:
                        self.finished.release()


class _Pool:
    """Daemon threads that run the jobs put on ``jobs`` (started on demand, never stopped:
    an idle one sleeps in ``get``, costing nothing)."""

    def __init__(self) -> None:
        self.jobs: SimpleQueue[Callable[[], None]] = SimpleQueue()
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def start(self, count: int) -> None:
        """Make sure at least ``count`` threads are running."""
        if len(self.threads) >= count:
            return
        with self.lock:
            while len(self.threads) < count:
                thread = threading.Thread(target=self._serve, daemon=True,
                                          name=f"microtensor-kernel-{len(self.threads)}")
                thread.start()
                self.threads.append(thread)

    def _serve(self) -> None:
        while True:
            self.jobs.get()()  # a job (``_Call.work``) never raises


_pool = _Pool()


def _new_pool_after_fork() -> None:
    global _pool
    _pool = _Pool()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_pool_after_fork)
