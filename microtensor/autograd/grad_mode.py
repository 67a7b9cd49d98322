"""Whether operations are recorded: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

One switch per thread, ``grad_state.enabled``. Every op reads it when it runs: with recording
off, the result of an op has no ``grad_fn`` and nothing is saved for a backward pass (this is how
the optimizer updates parameters and how evaluation saves memory).

As in PyTorch, grad mode is per thread: a ``no_grad()`` in a data-loading or evaluation thread
does not switch recording off for the training thread, and each new thread starts with
recording on. Anomaly detection (``detect_anomaly``) is one switch for the whole process, as it
is in PyTorch (its ``AnomalyMode`` is a global flag: a ``detect_anomaly()`` in one thread is
seen by all), kept in ``anomaly_mode``.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _ThreadModes(threading.local):
    """The autograd switches of the current thread (one instance, ``grad_state``).

    ``threading.local`` gives each thread its own attributes; ``__init__`` runs once per thread,
    so every thread starts from the defaults. (Reading an attribute costs ~30 ns more than on a
    plain object; ``Op.apply`` reads one.)
    """

    def __init__(self) -> None:
        self.enabled = True  # are ops recorded into the graph?
        self.inference = False  # inside inference_mode()?


grad_state = _ThreadModes()


class _CountAcrossThreads:
    """A number all threads share, changed under a lock (``recording_off``).

    Why: reading an attribute of ``grad_state`` (a ``threading.local``) costs ~30 ns more than
    one of a plain object, and ``Op.apply`` asks "is recording on?" on every op. While no thread
    has switched recording off (``recording_off.value == 0``: the forward pass of training), the
    answer is yes without the per-thread read: 1.7 % of the instructions of a small op's forward
    and backward (callgrind, ``benchmarks/bench_overhead.py``'s chain). A thread that ends with
    recording off leaves the count above 0, which only means the per-thread flag is read from
    then on.
    """

    __slots__ = ("value", "lock")

    def __init__(self) -> None:
        self.value = 0
        self.lock = threading.Lock()

    def add(self, step: int) -> None:
        with self.lock:
            self.value += step


recording_off = _CountAcrossThreads()  # threads whose grad_state.enabled is False now


def switch_recording(enabled: bool) -> None:
    """Switch recording on or off in this thread: every write of ``grad_state.enabled``."""
    if enabled != grad_state.enabled:
        recording_off.add(-1 if enabled else 1)
        grad_state.enabled = enabled


class _AnomalyMode:
    """Is ``detect_anomaly()`` active (in any thread)? One instance, ``anomaly_mode``."""

    __slots__ = ("enabled",)

    def __init__(self) -> None:
        self.enabled = False


anomaly_mode = _AnomalyMode()

def is_grad_enabled() -> bool:
    """True when new operations are recorded for backpropagation."""
    return grad_state.enabled


class _GradModeContext:
    """Base for the three context managers; each also works as a function decorator."""

    _mode = True

    def __enter__(self) -> None:
        self._previous = grad_state.enabled
        switch_recording(self._mode)

    def __exit__(self, *exc: object) -> None:
        switch_recording(self._previous)

    def __call__(self, function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.__class__():
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class _BareDecoratorContext(_GradModeContext):
    """Also usable as a bare decorator, ``@no_grad`` (without the call), as in PyTorch."""

    def __new__(cls, function: Any = None) -> Any:
        context = super().__new__(cls)
        return context if function is None else context(function)


class no_grad(_BareDecoratorContext):
    """Context manager (or decorator) inside which no graph is recorded.

    >>> with mt.no_grad():
    ...     y = x * 2          # y.requires_grad is False even if x requires grad
    """

    _mode = False


class enable_grad(_BareDecoratorContext):
    """Context manager (or decorator) that turns recording back on, e.g. inside ``no_grad``."""

    _mode = True


class set_grad_enabled(_GradModeContext):
    """``set_grad_enabled(False)`` switches recording off *immediately* (a plain call works), and,
    used as a context manager, restores the previous mode on exit, as in PyTorch."""

    def __init__(self, mode: bool) -> None:
        self._previous = grad_state.enabled
        self._mode = bool(mode)
        switch_recording(self._mode)

    def __enter__(self) -> None:
        switch_recording(self._mode)

    def __call__(self, function: F) -> F:
        mode = self._mode
        switch_recording(self._previous)  # used as a decorator: do not change the mode now

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def is_inference_mode_enabled() -> bool:
    """True inside ``inference_mode()`` (in this thread)."""
    return grad_state.inference


class inference_mode(_GradModeContext):
    """``no_grad`` for code that will never need gradients: ``with mt.inference_mode():``, or
    ``@mt.inference_mode()`` / bare ``@mt.inference_mode`` as a decorator; ``mode=False`` makes
    it do nothing (PyTorch's signature).

    A simplification of PyTorch's: inside, recording is off exactly as in ``no_grad``, and the
    tensors made inside answer ``is_inference()`` with True. PyTorch also skips version counters
    there and later refuses some uses of such tensors in autograd; microtensor does neither
    (they are ordinary tensors without history), so code that works with PyTorch works here.
    """

    def __new__(cls, mode: Any = True) -> Any:
        context = super().__new__(cls)
        if callable(mode):  # bare decorator: @inference_mode
            context._inference = True
            return context(mode)
        return context

    def __init__(self, mode: Any = True) -> None:
        self._inference = bool(mode)

    def __enter__(self) -> None:
        from microtensor.tensor import mark_inference_tensors

        self._previous = grad_state.enabled
        self._previous_inference = grad_state.inference
        if self._inference:
            switch_recording(False)
            grad_state.inference = True
            mark_inference_tensors(True)

    def __exit__(self, *exc: object) -> None:
        from microtensor.tensor import mark_inference_tensors

        switch_recording(self._previous)
        grad_state.inference = self._previous_inference
        if self._inference:
            mark_inference_tensors(False)

    def __call__(self, function: F) -> F:
        inference = self._inference

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with inference_mode(inference):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
