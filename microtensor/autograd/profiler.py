"""A small profiler: where does the time of a forward and backward pass go?

    with mt.autograd.profiler.profile() as prof:      # or mt.profiler.profile(activities=[...])
        loss = model(x).sum()
        loss.backward()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))

Each op's forward (its NumPy computation, e.g. ``Mul``) and backward (``MulBackward``) is timed
with ``time.perf_counter`` and counted under its name; ``key_averages()`` sums them by name into
rows with PyTorch's fields (``count``, ``cpu_time_total``, ``self_cpu_time_total``,
``cpu_time``, in microseconds). *Self* time excludes the ops that ran inside (a
``create_graph=True`` backward records the ops its formula uses), and ``record_function("name")``
adds a block of your own.

Cost when not profiling: one flag test (``profiling.active``) in ``Op.apply`` and one in
``Op.run_backward``. What is timed is the op's own computation, not the graph bookkeeping
around it, so the totals are a little below the wall time of the block. Custom
``autograd.Function`` ops are not timed (the built-in ops they call are).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any


class _ProfilerState:
    """Is a ``profile`` block active? (``active`` is what the hot paths test.)"""

    __slots__ = ("active", "events", "child_time")

    def __init__(self) -> None:
        self.active = False
        self.events: list[tuple[str, float, float]] = []  # (name, total s, self s)
        self.child_time: list[float] = []  # per open record: time spent in records inside it


profiling = _ProfilerState()


def timed(name: str, function: Callable[..., Any], *args: Any) -> Any:
    """Run ``function(*args)`` and record its time under ``name`` (total, and self: minus the
    records made inside it)."""
    profiling.child_time.append(0.0)
    start = time.perf_counter()
    try:
        return function(*args)
    finally:
        elapsed = time.perf_counter() - start
        inside = profiling.child_time.pop()
        if profiling.child_time:
            profiling.child_time[-1] += elapsed
        profiling.events.append((name, elapsed, elapsed - inside))


def timed_forward(cls: type, ctx: Any, arrays: list[Any], params: dict[str, Any]) -> Any:
    """``cls.forward(ctx, *arrays, **params)``, timed under the op's name (``Op.apply``)."""
    from microtensor.autograd.function import display_name

    return timed(display_name(cls), lambda: cls.forward(ctx, *arrays, **params))


def timed_backward(node: Any, grad: Any, ctx: Any = None) -> Any:
    """``node.backward(ctx, grad)`` (ctx: the node itself unless given), timed under
    ``<name>Backward`` (``Op.run_backward``)."""
    return timed(node.name(), node.backward, node if ctx is None else ctx, grad)


# --------------------------------------------------------------------------- results


@dataclass
class FunctionEventAvg:
    """One row of ``key_averages()``: all the records of one name. Times in microseconds."""

    key: str
    count: int = 0
    cpu_time_total: float = 0.0
    self_cpu_time_total: float = 0.0

    @property
    def cpu_time(self) -> float:
        """Average time per call."""
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def self_cpu_time(self) -> float:
        return self.self_cpu_time_total / self.count if self.count else 0.0


class EventList(list):
    """The rows of ``key_averages()``; ``table()`` formats them as PyTorch does."""

    def table(self, sort_by: str | None = None, row_limit: int = 100, **ignored: Any) -> str:
        """A text table of the rows, largest ``sort_by`` first (any row field, e.g.
        ``"self_cpu_time_total"``, ``"cpu_time_total"``, ``"count"``)."""
        rows = list(self)
        if sort_by is not None:
            if not hasattr(FunctionEventAvg(""), sort_by):
                raise AttributeError(f"table(sort_by={sort_by!r}): not a field of the rows; "
                                     "use e.g. 'self_cpu_time_total' or 'cpu_time_total'")
            rows.sort(key=lambda row: getattr(row, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        return _format_table(rows, sum(row.self_cpu_time_total for row in self))


_HEADERS = ("Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg",
            "# of Calls")


def _format_table(rows: list[FunctionEventAvg], self_total: float) -> str:
    def percent(value: float) -> str:
        return f"{100 * value / self_total:.2f}%" if self_total else "0.00%"

    lines = [(row.key, percent(row.self_cpu_time_total), _us(row.self_cpu_time_total),
              percent(row.cpu_time_total), _us(row.cpu_time_total), _us(row.cpu_time),
              str(row.count)) for row in rows]
    name_width = max([len(_HEADERS[0])] + [len(line[0]) for line in lines]) + 2
    widths = (name_width,) + (14,) * (len(_HEADERS) - 1)
    rule = "  ".join("-" * w for w in widths)

    def render(cells: tuple[str, ...]) -> str:
        return "  ".join(cell.rjust(w) for cell, w in zip(cells, widths))

    body = [rule, render(_HEADERS), rule, *(render(line) for line in lines), rule]
    return "\n".join(body) + f"\nSelf CPU time total: {_us(self_total)}\n"


def _us(microseconds: float) -> str:
    if microseconds >= 1e6:
        return f"{microseconds / 1e6:.3f}s"
    if microseconds >= 1e3:
        return f"{microseconds / 1e3:.3f}ms"
    return f"{microseconds:.3f}us"


# --------------------------------------------------------------------------- the context managers


class ProfilerActivity(Enum):
    """Which devices to profile (``torch.profiler.ProfilerActivity``); only CPU exists here."""

    CPU = "CPU"
    CUDA = "CUDA"


class profile:
    """Record the time of every op inside the block (see the module docstring).

    Accepts PyTorch's arguments (``enabled``, ``record_shapes``, ``profile_memory``,
    ``with_stack``, ``activities``...); only the CPU timings exist, the others are ignored.
    """

    def __init__(self, enabled: bool = True, *, activities: Any = None, **options: Any) -> None:
        self.enabled = enabled
        self.options = options
        self.events: list[tuple[str, float, float]] = []
        self._outer: tuple[bool, list[tuple[str, float, float]], list[float]] | None = None

    def __enter__(self) -> profile:
        if self.enabled:
            self._outer = (profiling.active, profiling.events, profiling.child_time)
            profiling.events, profiling.child_time = self.events, []
            profiling.active = True
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._outer is not None:
            profiling.active, profiling.events, profiling.child_time = self._outer
            self._outer = None

    # torch.profiler.profile's explicit form
    def start(self) -> None:
        self.__enter__()

    def stop(self) -> None:
        self.__exit__(None, None, None)

    def step(self) -> None:
        """(PyTorch's schedule step; nothing to do here.)"""

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """One row per name, in order of first appearance, times in microseconds."""
        rows: dict[str, FunctionEventAvg] = {}
        for name, total, own in self.events:
            row = rows.setdefault(name, FunctionEventAvg(name))
            row.count += 1
            row.cpu_time_total += total * 1e6
            row.self_cpu_time_total += own * 1e6
        return EventList(rows.values())

    def table(self, **kwargs: Any) -> str:
        return self.key_averages().table(**kwargs)


class record_function:
    """Time a block of your own under ``name`` (shown as a row of the table)."""

    def __init__(self, name: str, args: Any = None) -> None:
        self.name = name
        self._start = 0.0

    def __enter__(self) -> record_function:
        if profiling.active:
            profiling.child_time.append(0.0)
            self._start = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        if profiling.active and profiling.child_time:
            elapsed = time.perf_counter() - self._start
            inside = profiling.child_time.pop()
            if profiling.child_time:
                profiling.child_time[-1] += elapsed
            profiling.events.append((self.name, elapsed, elapsed - inside))
