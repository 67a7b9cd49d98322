"""``detect_anomaly``: stop at the first NaN or inf, naming the op that produced it."""

from __future__ import annotations

from microtensor.autograd.grad_mode import anomaly_mode


class detect_anomaly:
    """Context manager: while active, every op checks its forward output and every backward
    its gradients for NaN/inf and raises a RuntimeError naming the op (slower; for debugging).

    As in PyTorch the switch is process-wide: it applies to ops in every thread."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self) -> None:
        self._previous = anomaly_mode.enabled
        anomaly_mode.enabled = self.check_nan

    def __exit__(self, *exc: object) -> None:
        anomaly_mode.enabled = self._previous


def is_anomaly_enabled() -> bool:
    """Is anomaly detection on
    (inside ``detect_anomaly()``)?"""
    return anomaly_mode.enabled
