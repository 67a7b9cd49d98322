"""``get_num_threads`` & co.: how many threads the math may use.

microtensor computes with NumPy, which runs one Python thread; what can use several cores is the
BLAS library behind ``@`` / ``matmul`` (OpenBLAS, MKL...). If the optional package
``threadpoolctl`` is installed, ``set_num_threads(n)`` limits those BLAS pools to ``n`` threads and
``get_num_threads()`` reads their setting; without it, the value is only recorded (and
``get_num_threads()`` returns it, by default the number of CPU cores, as PyTorch does).

PyTorch's inter-op pool (``set_num_interop_threads``) runs independent ops in parallel;
microtensor has none, so that number is only recorded. As in PyTorch, it can be set once.
"""

from __future__ import annotations

import os
from typing import Any

try:
    import threadpoolctl
except ImportError:  # optional: the numbers are then only recorded
    threadpoolctl = None

_settings: dict[str, Any] = {"threads": None, "interop": None, "interop_set": False,
                             "limiter": None}


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _check_positive(name: str, count: Any) -> int:
    if isinstance(count, bool) or not isinstance(count, int):
        raise RuntimeError(f"{name} expects an int, but got {type(count).__name__}")
    if count <= 0:
        raise RuntimeError(f"{name} expects a positive integer (got {count})")
    return count


def get_num_threads() -> int:
    """The number of threads the BLAS may use (see the module docstring)."""
    if _settings["threads"] is not None:
        return _settings["threads"]
    if threadpoolctl is not None:
        pools = [info["num_threads"] for info in threadpoolctl.threadpool_info()
                 if info.get("user_api") == "blas"]
        if pools:
            return max(pools)
    return _cores()


def set_num_threads(count: int) -> None:
    """Limit the BLAS thread pools to ``count`` threads (with threadpoolctl; else recorded)."""
    _settings["threads"] = _check_positive("set_num_threads", count)
    if threadpoolctl is not None:
        _settings["limiter"] = threadpoolctl.threadpool_limits(limits=count, user_api="blas")


def get_num_interop_threads() -> int:
    """The recorded inter-op thread count (microtensor runs ops one after another)."""
    return _settings["interop"] if _settings["interop"] is not None else _cores()


def set_num_interop_threads(count: int) -> None:
    """Record the inter-op thread count; like PyTorch, only once and before any parallel work
    (here: a second call raises, as PyTorch's does after its pool has started)."""
    count = _check_positive("set_num_interop_threads", count)
    if _settings["interop_set"]:
        raise RuntimeError("Error: cannot set number of interop threads after parallel work "
                           "has started or set_num_interop_threads called")
    _settings["interop"], _settings["interop_set"] = count, True
