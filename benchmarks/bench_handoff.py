"""What a second thread costs microtensor's kernels: the hand-off, not the memory.

    python benchmarks/bench_handoff.py             # about 20 s
    python benchmarks/bench_handoff.py --quick     # fewer repetitions

microtensor's pooling and small convolutions split the batch among Python threads
(``microtensor/_parallel.py``): the calling thread puts a job on a queue, a pool thread that
sleeps on that queue wakes up and takes pieces of the batch, and the caller waits for it at the
end. Between their NumPy calls both threads need the GIL. This benchmark measures what that
costs on the machine it runs on, next to what the memory allows:

1. **Wake-up**: a thread blocked on a lock, released by another, until it runs again (median
   and 90th percentile). A sleeping pool thread pays this before its first piece, and the
   caller pays it again when it has to wait for the last piece.
2. **A call in two pieces**: ``run_pieces`` with a kernel that does nothing, and with a copy
   of 2 million float32 values: when the caller's and the helper's pieces start, counted from
   the call, and the whole call against one thread copying everything.
3. **Two threads, no hand-off**: two threads each copying their own arrays in a long loop
   against one thread doing both loops (best of three). This is what the cores and the memory
   allow NumPy's memory-bound passes when no thread waits for another.
4. **PyTorch** (when installed, in a process of its own that imports only PyTorch): the same
   copies on 1 and 2 intra-op threads. Its OpenMP threads spin between parallel regions, so
   they start within microseconds.

If (3) shows that copies scale and (2) shows a hand-off of tens of microseconds, then a kernel
of T µs split in two takes about T/2 plus the hand-off: small kernels (a few hundred µs) gain
little, which is what the two-thread figures of ``bench_programs.py`` show.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable

import numpy as np

SIZES = (50_000, 200_000, 1_000_000)


def percentiles(values: list[float]) -> str:
    """'median m µs, p90 q µs' of values in seconds."""
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    return f"median {statistics.median(ordered) * 1e6:6.1f} us, p90 {p90 * 1e6:6.1f} us"


def wake_latencies(count: int) -> list[float]:
    """Seconds from ``release()`` of a lock until the thread blocked on it runs, ``count``
    times (the releasing thread sleeps in between, so the waiter is really asleep)."""
    go, back = threading.Lock(), threading.Lock()
    go.acquire()
    back.acquire()
    released_at = [0.0]
    latencies: list[float] = []

    def waiter() -> None:
        for _ in range(count):
            go.acquire()
            latencies.append(time.perf_counter() - released_at[0])
            back.release()

    thread = threading.Thread(target=waiter)
    thread.start()
    for _ in range(count):
        time.sleep(0.0003)
        released_at[0] = time.perf_counter()
        go.release()
        back.acquire()
    thread.join()
    return latencies


def two_piece_starts(count: int, size: int) -> dict[str, list[float]]:
    """``run_pieces`` of a copy of ``size`` float32 values in two pieces, ``count`` times:
    seconds from the call to the start of the caller's first piece and of the helper's
    (when it got one), the whole call, and one thread copying everything."""
    from microtensor import _parallel  # (sets microtensor's allocator and thread policy)

    source, target = np.random.default_rng(0).random(size, np.float32), np.empty(size, np.float32)
    starts: dict[str, list[float]] = {"caller": [], "helper": [], "call": [], "one thread": []}
    called_at = [0.0]
    main = threading.main_thread()

    def piece(part: slice) -> None:
        who = "caller" if threading.current_thread() is main else "helper"
        starts[who].append(time.perf_counter() - called_at[0])
        np.copyto(target[part], source[part])

    for _ in range(count):
        time.sleep(0.0003)
        called_at[0] = time.perf_counter()
        _parallel.run_pieces(piece, _parallel.batch_pieces(size, 2))
        starts["call"].append(time.perf_counter() - called_at[0])
        begin = time.perf_counter()
        np.copyto(target, source)
        starts["one thread"].append(time.perf_counter() - begin)
    return starts


def empty_call(count: int) -> tuple[list[float], list[float]]:
    """Seconds of ``run_pieces`` with two pieces that do nothing, and of calling that kernel
    twice directly."""
    from microtensor import _parallel

    pieces = _parallel.batch_pieces(2, 2)
    split, direct = [], []
    for _ in range(count):
        begin = time.perf_counter()
        _parallel.run_pieces(lambda part: None, pieces)
        split.append(time.perf_counter() - begin)
        begin = time.perf_counter()
        for part in pieces:
            (lambda part: None)(part)
        direct.append(time.perf_counter() - begin)
    return split, direct


def concurrent_copies(size: int, loops: int, copy: Callable, make: Callable) -> tuple[float, float]:
    """(seconds for one thread to run both loops of ``loops`` copies, seconds for two threads
    running one loop each at once), best of three; arrays of ``size`` values from ``make``."""
    (a_in, a_out), (b_in, b_out) = make(size), make(size)

    def loop(source, target) -> None:
        for _ in range(loops):
            copy(source, target)

    loop(a_in, a_out)
    sequential = together = float("inf")
    for _ in range(3):
        begin = time.perf_counter()
        loop(a_in, a_out)
        loop(b_in, b_out)
        sequential = min(sequential, time.perf_counter() - begin)
        other = threading.Thread(target=loop, args=(b_in, b_out))
        begin = time.perf_counter()
        other.start()
        loop(a_in, a_out)
        other.join()
        together = min(together, time.perf_counter() - begin)
    return sequential, together


def numpy_arrays(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.random.default_rng(size).random(size, np.float32), np.empty(size, np.float32)


TORCH_PROGRAM = """
import json, statistics, sys, time
import torch
sizes, repeats = json.loads(sys.argv[1]), int(sys.argv[2])
out = {}
for threads in (1, 2):
    torch.set_num_threads(threads)
    for size in sizes:
        source, target = torch.rand(2 * size), torch.empty(2 * size)
        for _ in range(20):
            target.copy_(source)
        times = []
        for _ in range(repeats):
            begin = time.perf_counter()
            target.copy_(source)
            times.append(time.perf_counter() - begin)
        out[f"{threads} {size}"] = statistics.median(times)
print(json.dumps(out))
"""


def torch_copies(repeats: int) -> dict[str, float] | None:
    """PyTorch's median copy of 2*size float32 values on 1 and 2 threads, in a process of its
    own; None without PyTorch."""
    done = subprocess.run([sys.executable, "-c", TORCH_PROGRAM, json.dumps(SIZES), str(repeats)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args(argv)
    count = 60 if args.quick else 400

    print(f"python {sys.version.split()[0]}, NumPy {np.__version__}")
    print(f"1. wake-up of a sleeping thread: {percentiles(wake_latencies(count))}")

    split, direct = empty_call(count)
    print(f"2. run_pieces, two pieces that do nothing: {percentiles(split)} "
          f"(the kernel called twice directly: {percentiles(direct)})")
    starts = two_piece_starts(count, 2_000_000)
    print("   a copy of 2,000,000 float32 values in two pieces, from the call:")
    for who in ("caller", "helper"):
        got = len(starts[who])
        print(f"     {who} piece starts {percentiles(starts[who])} ({got} pieces of "
              f"{2 * count})")
    print(f"     whole call {percentiles(starts['call'])}; one thread copying it all "
          f"{percentiles(starts['one thread'])}")

    print("3. two threads each copying their own arrays in a loop, against one thread doing "
          "both loops (best of 3):")
    for size in SIZES:
        loops = max(20, int(4e8 // (size * 8)) // (10 if args.quick else 1))
        sequential, together = concurrent_copies(size, loops, np.copyto, numpy_arrays)
        print(f"   NumPy copy of {size:>9,} float32: one thread {sequential / loops * 1e6:8.1f} us "
              f"per pair, two threads {together / loops * 1e6:8.1f} us, "
              f"speed-up {sequential / together:.2f}")

    measured = torch_copies(count)
    if measured is None:
        print("4. PyTorch not installed: its figures are left out")
        return
    print("4. PyTorch (a program of its own), one copy of 2*size values, 1 and 2 threads:")
    for size in SIZES:
        one, two = measured[f"1 {size}"], measured[f"2 {size}"]
        print(f"   torch copy of {2 * size:>9,} float32: 1 thread {one * 1e6:8.1f} us, "
              f"2 threads {two * 1e6:8.1f} us, speed-up {one / two:.2f}")


if __name__ == "__main__":
    main()
