"""Grad mode is per thread and anomaly mode process-wide, as in PyTorch (its AnomalyMode is one
global flag: ``torch.is_anomaly_enabled()`` in the main thread is True while another thread is
inside ``detect_anomaly()``)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import microtensor as mt


def _in_other_thread_while(context_factory, body):
    """Run ``body()`` in this thread while another thread sits inside ``context_factory()``."""
    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with context_factory():
            entered.set()
            release.wait(timeout=10)

    thread = threading.Thread(target=other)
    thread.start()
    try:
        assert entered.wait(timeout=10)
        return body()
    finally:
        release.set()
        thread.join()


def test_no_grad_in_another_thread_does_not_stop_recording_here() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    w = mt.tensor([3.0, 4.0], requires_grad=True)

    def train_step():
        loss = (x * x * w).sum()
        loss.backward()
        return loss

    loss = _in_other_thread_while(mt.no_grad, train_step)
    assert loss.requires_grad
    assert x.grad.tolist() == [6.0, 16.0]  # 2 x w
    assert w.grad.tolist() == [1.0, 4.0]   # x²


def test_a_new_thread_starts_with_recording_on_even_inside_no_grad_here() -> None:
    seen = {}

    def worker() -> None:
        seen["enabled"] = mt.is_grad_enabled()
        t = mt.tensor([1.0], requires_grad=True)
        seen["recorded"] = (t * 2).requires_grad

    with mt.no_grad():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert not mt.is_grad_enabled()  # this thread's mode is untouched
    assert seen == {"enabled": True, "recorded": True}


def test_anomaly_mode_is_one_switch_for_all_threads_as_in_pytorch() -> None:
    x = mt.tensor([0.0], requires_grad=True)

    def nan_step():
        assert mt.autograd.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match="detect_anomaly: the forward pass of Log produced "
                                               "inf"):
            x.log()  # log(0) = -inf

    _in_other_thread_while(mt.autograd.detect_anomaly, nan_step)
    assert not mt.autograd.is_anomaly_enabled()


def test_set_grad_enabled_is_per_thread() -> None:
    def body():
        return mt.is_grad_enabled()

    assert _in_other_thread_while(lambda: mt.set_grad_enabled(False), body) is True


def _threads_with_recording_off() -> int:
    from microtensor.autograd.grad_mode import recording_off

    return recording_off.value


def test_the_count_of_threads_with_recording_off_follows_every_switch() -> None:
    # Op.apply trusts ``recording_off.value == 0`` to mean "recording is on in this thread"
    # without the per-thread read: every way of switching must keep the count.
    assert _threads_with_recording_off() == 0
    with mt.no_grad():
        assert _threads_with_recording_off() == 1
        with mt.enable_grad():
            assert _threads_with_recording_off() == 0
        with mt.no_grad():  # already off: no second count
            assert _threads_with_recording_off() == 1
        assert _threads_with_recording_off() == 1
    with mt.inference_mode():
        assert _threads_with_recording_off() == 1
    mt.set_grad_enabled(False)
    assert _threads_with_recording_off() == 1
    mt.set_grad_enabled(True)

    @mt.no_grad()
    def evaluate() -> int:
        return _threads_with_recording_off()

    assert evaluate() == 1
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    (gx,) = mt.autograd.grad((x * x * x).sum(), x, create_graph=True)  # backward recorded
    gx.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * x.detach().numpy())
    assert _threads_with_recording_off() == 0


def test_ops_record_here_while_another_thread_has_recording_off() -> None:
    # with the count above 0, the per-thread flag decides
    x = mt.tensor([1.0, 2.0], requires_grad=True)

    def record_here():
        assert _threads_with_recording_off() == 1
        y = x.tanh() * x + x
        assert y.grad_fn is not None
        y.sum().backward()
        with mt.no_grad():
            assert (x * 2).grad_fn is None
        return x.grad.numpy().copy()

    grads = _in_other_thread_while(mt.no_grad, record_here)
    t = np.tanh(x.detach().numpy())
    np.testing.assert_allclose(grads, (1 - t * t) * x.detach().numpy() + t + 1)
    assert _threads_with_recording_off() == 0
