"""``detect_anomaly``: stop at the first NaN or inf, naming the op that produced it."""

from __future__ import annotations

from microtensor.autograd.grad_mode import grad_state


class detect_anomaly:
    """Context manager: while active, every op checks its forward output and every backward
    its gradients for NaN/inf and raises a RuntimeError naming the op (slower; for debugging)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._previous = grad_state.anomaly
        grad_state.anomaly = self.check_nan

    def __exit__(self, *exc: object) -> None:
        grad_state.anomaly = self._previous


def is_anomaly_enabled() -> bool:
    return grad_state.anomaly
