"""benchmarks/bench_handoff.py measures the hand-off of a kernel to microtensor's pool thread:
check that each measurement does what it says, with tiny counts (nothing here is timed)."""

from __future__ import annotations

import numpy as np

from tests.test_bench_programs import _load

handoff = _load("bench_handoff")


def test_wake_latencies_are_one_per_release():
    latencies = handoff.wake_latencies(5)
    assert len(latencies) == 5 and all(0 <= value < 5 for value in latencies)


def test_two_piece_starts_record_every_piece_once():
    starts = handoff.two_piece_starts(4, 10_000)
    assert len(starts["caller"]) + len(starts["helper"]) == 2 * 4  # each piece ran once
    assert len(starts["caller"]) >= 4  # the caller always works on a piece itself
    assert len(starts["call"]) == len(starts["one thread"]) == 4


def test_concurrent_copies_run_both_loops():
    copied = []

    def copy(source, target):
        np.copyto(target, source)
        copied.append(id(target))

    sequential, together = handoff.concurrent_copies(1000, 3, copy, handoff.numpy_arrays)
    assert sequential > 0 and together > 0
    assert len(copied) == 3 + 3 * (2 * 3 + 2 * 3) and len(set(copied)) == 2  # both arrays


def test_percentiles_reads_seconds_as_microseconds():
    assert handoff.percentiles([1e-6] * 9 + [1e-3]) == "median    1.0 us, p90 1000.0 us"
