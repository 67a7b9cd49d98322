"""nn.init: gains, fan conventions, distributions, in-place filling under no_grad."""

from __future__ import annotations

import math

import numpy as np
import pytest

import microtensor as mt
from microtensor import nn
from microtensor.nn import init


def test_calculate_gain() -> None:
    assert init.calculate_gain("linear") == 1 and init.calculate_gain("conv2d") == 1
    assert init.calculate_gain("sigmoid") == 1
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")


def test_fan_in_and_fan_out_follow_pytorch() -> None:
    assert init._calculate_fan_in_and_fan_out(mt.empty(3, 4)) == (4, 3)
    assert init._calculate_fan_in_and_fan_out(mt.empty(16, 8, 3, 5)) == (8 * 15, 16 * 15)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.kaiming_uniform_(mt.empty(5))


def test_gains_and_fans_match_torch() -> None:
    torch = pytest.importorskip("torch")
    for shape in [(3, 4), (16, 8, 3, 5), (2, 3, 4)]:
        assert init._calculate_fan_in_and_fan_out(mt.empty(*shape)) == \
            torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    for name, param in [("tanh", None), ("relu", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(
            torch.nn.init.calculate_gain(name, param))


@pytest.mark.parametrize("fill, bound", [
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(6 / 200)),
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), 1 / math.sqrt(200)),
    (lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"), math.sqrt(6 / 300)),
    (lambda t: init.xavier_uniform_(t), math.sqrt(6 / 500)),
    (lambda t: init.xavier_uniform_(t, gain=2.0), 2 * math.sqrt(6 / 500)),
    (lambda t: init.uniform_(t, -0.3, 0.3), 0.3),
])
def test_uniform_initialisers_reach_but_do_not_cross_their_bound(fill, bound) -> None:
    mt.manual_seed(0)
    values = fill(mt.empty(300, 200)).numpy()
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.999 * bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


@pytest.mark.parametrize("fill, std", [
    (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / 200)),
    (lambda t: init.kaiming_normal_(t, mode="fan_out"), math.sqrt(2 / (1 + 1e-4)) / math.sqrt(300)),
    (lambda t: init.xavier_normal_(t), math.sqrt(2 / 500)),
    (lambda t: init.normal_(t, 1.0, 0.5), 0.5),
])
def test_normal_initialisers_have_the_right_std(fill, std) -> None:
    mt.manual_seed(1)
    values = fill(mt.empty(300, 200)).numpy()
    assert values.std() == pytest.approx(std, rel=0.01)


def test_trunc_normal_stays_in_range() -> None:
    mt.manual_seed(2)
    values = init.trunc_normal_(mt.empty(100, 100), std=1.0, a=-1.0, b=0.5).numpy()
    assert values.min() >= -1.0 and values.max() <= 0.5 and values.min() < -0.99


def test_constant_like_initialisers() -> None:
    assert (init.constant_(mt.empty(2, 2), 0.25).numpy() == 0.25).all()
    assert (init.zeros_(mt.empty(3)).numpy() == 0).all()
    assert (init.ones_(mt.empty(3)).numpy() == 1).all()
    np.testing.assert_array_equal(init.eye_(mt.empty(2, 3)).numpy(), np.eye(2, 3))
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(mt.empty(2, 2, 2))


def test_dirac_makes_an_identity_convolution() -> None:
    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = mt.randn(2, 3, 5, 5)
    np.testing.assert_allclose(conv(x).detach().numpy(), x.numpy(), rtol=1e-6)


def test_orthogonal_rows_or_columns_are_orthonormal() -> None:
    mt.manual_seed(3)
    wide = init.orthogonal_(mt.empty(3, 7, dtype=mt.float64)).numpy()
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-12)
    tall = init.orthogonal_(mt.empty(6, 2, dtype=mt.float64), gain=2.0).numpy()
    np.testing.assert_allclose(tall.T @ tall, 4 * np.eye(2), atol=1e-12)


def test_initialisers_fill_parameters_in_place_without_a_graph() -> None:
    p = nn.Parameter(mt.zeros(4, 3))
    version = p._version
    out = init.kaiming_uniform_(p)
    assert out is p and p.requires_grad and p.grad_fn is None
    assert p._version > version and p.dtype == mt.float32
    with mt.enable_grad():
        init.normal_(p)
    assert p.grad_fn is None


def test_seeding_and_generators_make_init_repeatable() -> None:
    mt.manual_seed(5)
    a = init.xavier_uniform_(mt.empty(4, 4)).numpy().copy()
    mt.manual_seed(5)
    b = init.xavier_uniform_(mt.empty(4, 4)).numpy()
    np.testing.assert_array_equal(a, b)
    c = init.normal_(mt.empty(5), generator=mt.Generator(9)).numpy().copy()
    d = init.normal_(mt.empty(5), generator=mt.Generator(9)).numpy()
    np.testing.assert_array_equal(c, d)


def test_kaiming_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        init.kaiming_normal_(mt.empty(2, 2), mode="fan_avg")
