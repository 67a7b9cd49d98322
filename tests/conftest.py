"""Settings every test runs under."""

from __future__ import annotations

import pytest

import microtensor as mt
from microtensor import _threads


@pytest.fixture(autouse=True, scope="session")
def one_thread_for_reproducible_floats():
    """Every product on one BLAS thread for the whole session.

    The default policy (``microtensor/_threads.py``) gives a big product as many threads as
    there are free cores *at that moment*, and a float32 product's last bits depend on its
    thread count. Two runs of a lesson that a test compares (the same seed must give the same
    numbers) could then differ when the machine's load changed in between, as it does on a
    shared machine. The policy itself is tested on stand-in machines in ``test_threads.py`` and
    ``test_parallel_kernels.py``, whose fixtures restore this setting afterwards.
    """
    mt.set_num_threads(1)
    yield


@pytest.fixture
def restore_policy():
    """Put the thread settings back as the test found them (tests of the policy change them)."""
    saved = dict(_threads._settings)
    yield
    _threads._settings.clear()
    _threads._settings.update(saved)
    if saved["threads"] is None:
        _threads._use_default_policy()
    else:
        _threads._pools.set(saved["threads"])
