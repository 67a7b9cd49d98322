"""Tests of microtensor.utils.EarlyStopping."""

from __future__ import annotations

import math

import numpy as np
import pytest

import microtensor as mt
from microtensor.utils import EarlyStopping
from microtensor.utils.early_stopping import EarlyStopping as EarlyStoppingDirect


class StubModel:
    """Anything with state_dict()/load_state_dict() works."""

    def __init__(self) -> None:
        self.weight = mt.zeros(2, 2)
        self.bias = np.zeros(2, dtype=np.float32)
        self.steps = 0

    def state_dict(self) -> dict:
        # the live objects, as nn.Module returns them: a copy must be made by EarlyStopping
        return {"weight": self.weight, "bias": self.bias, "meta": {"steps": self.steps}}

    def load_state_dict(self, state: dict) -> None:
        self.weight._data[...] = state["weight"]._data
        self.bias[...] = state["bias"]
        self.steps = state["meta"]["steps"]

    def train_step(self, value: float) -> None:
        self.weight._data[...] = value
        self.bias[...] = -value
        self.steps += 1


def test_exported_from_utils():
    assert EarlyStopping is EarlyStoppingDirect


def test_counts_epochs_without_improvement_and_stops():
    stopper = EarlyStopping(patience=2)
    decisions = [stopper.step(m) for m in [1.0, 0.8, 0.9, 0.85]]
    assert decisions == [False, False, False, True]
    assert stopper.best == 0.8 and stopper.best_epoch == 1
    assert stopper.counter == 2 and stopper.should_stop


def test_improvement_resets_counter():
    stopper = EarlyStopping(patience=2)
    for m in [1.0, 1.1, 0.9, 1.0]:
        assert not stopper.step(m)
    assert stopper.counter == 1 and stopper.best_epoch == 2


def test_patience_zero_stops_at_first_non_improvement():
    stopper = EarlyStopping(patience=0)
    assert not stopper.step(3.0)
    assert not stopper.step(2.0)
    assert stopper.step(2.0)


def test_min_delta():
    stopper = EarlyStopping(patience=1, min_delta=0.1)
    assert not stopper.step(1.0)
    assert stopper.step(0.95)  # better, but not by more than 0.1
    assert stopper.best == 1.0
    stopper = EarlyStopping(patience=1, min_delta=0.1)
    stopper.step(1.0)
    assert not stopper.step(0.85)
    assert stopper.best == 0.85


def test_mode_max():
    stopper = EarlyStopping(patience=1, mode="max")
    assert stopper.best == -math.inf
    assert not stopper.step(0.5)
    assert not stopper.step(0.7)
    assert stopper.step(0.6)
    assert stopper.best == 0.7 and stopper.best_epoch == 1


def test_tensor_metric_and_nan():
    stopper = EarlyStopping(patience=1)
    assert not stopper.step(mt.tensor(2.0))
    assert stopper.best == 2.0
    assert stopper.step(float("nan"))  # NaN never improves
    with pytest.raises(ValueError, match="single number"):
        EarlyStopping().step(mt.tensor([1.0, 2.0]))


def test_keeps_a_deep_copy_and_restores_best_weights():
    model = StubModel()
    stopper = EarlyStopping(patience=2)
    stop_at = None
    for epoch, (value, loss) in enumerate([(1.0, 0.5), (2.0, 0.3), (3.0, 0.4), (4.0, 0.35)]):
        model.train_step(value)
        if stopper.step(loss, model):
            stop_at = epoch
            break
    assert stop_at == 3 and stopper.best_epoch == 1
    # the snapshot did not follow the later in-place changes, and was loaded back on stop
    np.testing.assert_array_equal(model.weight.numpy(), np.full((2, 2), 2.0))
    np.testing.assert_array_equal(model.bias, [-2.0, -2.0])
    assert model.steps == 2
    # restoring again after more training gives the same weights
    model.train_step(9.0)
    stopper.restore(model)
    np.testing.assert_array_equal(model.weight.numpy(), np.full((2, 2), 2.0))
    # restore hands out a copy: changing the model does not change the snapshot
    model.train_step(7.0)
    np.testing.assert_array_equal(stopper.best_state["weight"].numpy(), np.full((2, 2), 2.0))


def test_restore_best_false_keeps_nothing():
    model = StubModel()
    stopper = EarlyStopping(patience=1, restore_best=False)
    model.train_step(1.0)
    stopper.step(1.0, model)
    model.train_step(2.0)
    assert stopper.step(2.0, model)
    assert stopper.best_state is None
    np.testing.assert_array_equal(model.weight.numpy(), np.full((2, 2), 2.0))
    with pytest.raises(RuntimeError, match="no weights saved"):
        stopper.restore(model)


def test_reset():
    stopper = EarlyStopping(patience=0)
    stopper.step(1.0)
    stopper.step(2.0)
    assert stopper.should_stop
    stopper.reset()
    assert not stopper.should_stop and stopper.best == math.inf and stopper.best_epoch is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"patience": -1}, "patience"), ({"patience": 1.5}, "patience"),
     ({"min_delta": -0.1}, "min_delta"), ({"mode": "minimum"}, "mode")],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EarlyStopping(**kwargs)


def make_nn_model():
    """mt.nn.Linear when it exists, else a one-Parameter nn.Module (skip if nn is missing)."""
    nn = pytest.importorskip("microtensor.nn", reason="microtensor.nn is not written yet")
    if hasattr(nn, "Linear"):
        return nn.Linear(3, 2)
    module = pytest.importorskip("microtensor.nn.module", reason="nn.Module is not written yet")

    class TinyModel(module.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weight = module.Parameter(mt.randn(2, 3))
            self.bias = module.Parameter(mt.zeros(2))

    return TinyModel()


def test_with_nn_module():
    mt.manual_seed(0)
    model = make_nn_model()
    stopper = EarlyStopping(patience=1)
    stopper.step(1.0, model)
    best = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    assert best
    with mt.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    assert stopper.step(2.0, model)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), best[k])
