"""Whether operations are recorded: ``no_grad``, ``enable_grad``, ``set_grad_enabled``.

One global switch, ``grad_state.enabled``. Every op reads it when it runs: with recording off, the
result of an op has no ``grad_fn`` and nothing is saved for a backward pass (this is how the
optimizer updates parameters and how evaluation saves memory).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


class _GradState:
    """The process-wide autograd switches (one instance, ``grad_state``)."""

    __slots__ = ("enabled", "anomaly", "recording_backward", "mutations")

    def __init__(self) -> None:
        self.enabled = True  # are ops recorded into the graph?
        self.anomaly = False  # is detect_anomaly() active?
        self.recording_backward = False  # is a create_graph=True backward running?
        self.mutations = 0  # how many in-place changes of tensor values so far


grad_state = _GradState()

def is_grad_enabled() -> bool:
    """True when new operations are recorded for backpropagation."""
    return grad_state.enabled


class _GradModeContext:
    """Base for the three context managers; each also works as a function decorator."""

    _mode = True

    def __enter__(self) -> None:
        self._previous = grad_state.enabled
        grad_state.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        grad_state.enabled = self._previous

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
        grad_state.enabled = self._mode

    def __enter__(self) -> None:
        grad_state.enabled = self._mode

    def __call__(self, function: F) -> F:
        mode = self._mode
        grad_state.enabled = self._previous  # used as a decorator: do not change the mode now

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):
                return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
