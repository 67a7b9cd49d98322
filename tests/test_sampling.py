"""Random sampling: bernoulli, multinomial, normal, poisson and the in-place fillers.

The values follow PyTorch's distributions but not its random stream, so these tests check
shapes, dtypes, errors, seeding, and the distributions statistically (fixed seeds, bounds many
standard errors wide)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import microtensor as mt

N = 200_000  # draws for the statistical checks: standard errors of ~0.002 for unit variances


def _mean_close(values: np.ndarray, expected: float, std: float, sigmas: float = 6.0) -> None:
    tolerance = sigmas * std / math.sqrt(values.size)
    assert abs(values.mean() - expected) < tolerance, (values.mean(), expected, tolerance)


# --------------------------------------------------------------------------- seeding


@pytest.mark.parametrize("draw", [
    lambda g: mt.bernoulli(mt.full((50,), 0.3), generator=g),
    lambda g: mt.multinomial(mt.tensor([1.0, 2.0, 3.0]), 2, generator=g),
    lambda g: mt.multinomial(mt.tensor([1.0, 2.0, 3.0]), 8, True, generator=g),
    lambda g: mt.normal(mt.zeros(5), 1.0, generator=g),
    lambda g: mt.normal(0.0, 1.0, (5,), generator=g),
    lambda g: mt.poisson(mt.full((6,), 3.0), generator=g),
    lambda g: mt.zeros(6).random_(0, 10, generator=g),
    lambda g: mt.zeros(6).exponential_(generator=g),
    lambda g: mt.zeros(6).geometric_(0.3, generator=g),
    lambda g: mt.zeros(6).log_normal_(generator=g),
    lambda g: mt.zeros(6).cauchy_(generator=g),
    lambda g: mt.zeros(6).bernoulli_(0.5, generator=g),
], ids=["bernoulli", "multinomial", "multinomial_replacement", "normal_tensor", "normal_size",
        "poisson", "random_", "exponential_", "geometric_", "log_normal_", "cauchy_",
        "bernoulli_"])
def test_a_seed_repeats_the_draws_and_the_global_generator_is_used(draw) -> None:
    first = draw(mt.Generator(7)).numpy()
    np.testing.assert_array_equal(first, draw(mt.Generator(7)).numpy())
    mt.manual_seed(3)
    global_draw = draw(None).numpy()
    mt.manual_seed(3)
    np.testing.assert_array_equal(global_draw, draw(None).numpy())


# --------------------------------------------------------------------------- bernoulli


def test_bernoulli_draws_with_the_given_probabilities() -> None:
    p = mt.tensor([0.0, 0.2, 0.7, 1.0], dtype=mt.float64).expand(N // 4, 4)
    draws = mt.bernoulli(p, generator=mt.Generator(0))
    assert draws.shape == (N // 4, 4) and draws.dtype == mt.float64
    assert not draws.requires_grad
    values = draws.numpy()
    assert set(np.unique(values)) <= {0.0, 1.0}
    assert values[:, 0].sum() == 0 and values[:, 3].min() == 1
    _mean_close(values[:, 1], 0.2, math.sqrt(0.16))
    _mean_close(values[:, 2], 0.7, math.sqrt(0.21))


def test_bernoulli_with_p_keeps_shape_and_dtype() -> None:
    x = mt.zeros(N, dtype=mt.float32)
    draws = x.bernoulli(0.25, generator=mt.Generator(1))
    assert draws.dtype == mt.float32 and draws.shape == (N,)
    _mean_close(draws.numpy(), 0.25, math.sqrt(0.1875))
    assert mt.bernoulli(mt.rand(2, 0)).shape == (2, 0)


def test_bernoulli_in_place_works_on_any_dtype_and_tensor_probabilities() -> None:
    x = mt.zeros(N, dtype=mt.int64)
    assert x.bernoulli_(0.5, generator=mt.Generator(2)) is x
    assert x.dtype == mt.int64
    _mean_close(x.numpy(), 0.5, 0.5)
    y = mt.zeros(3, 4).bernoulli_(mt.tensor([0.0, 1.0, 0.0, 1.0]))
    np.testing.assert_array_equal(y.numpy(), np.tile([0.0, 1.0, 0.0, 1.0], (3, 1)))


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: mt.bernoulli(mt.tensor([1.5])), RuntimeError, "[0, 1]"),
    (lambda: mt.bernoulli(mt.tensor([float("nan")])), RuntimeError, "[0, 1]"),
    (lambda: mt.bernoulli(mt.tensor([1, 0])), NotImplementedError, "Long"),
    (lambda: mt.zeros(2).bernoulli(1.3), RuntimeError, "p to be in [0, 1]"),
    (lambda: mt.zeros(2).bernoulli_(-0.1), RuntimeError, "p to be in [0, 1]"),
    (lambda: mt.zeros(2).bernoulli_(mt.tensor([0.5, 0.5, 0.5])), RuntimeError, "broadcast"),
])
def test_bernoulli_errors(call, error, fragment) -> None:
    with pytest.raises(error, match=fragment.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_in_place_sampling_of_a_leaf_that_requires_grad_is_refused() -> None:
    with pytest.raises(RuntimeError, match="leaf"):
        mt.zeros(3, requires_grad=True).bernoulli_(0.5)


# --------------------------------------------------------------------------- multinomial


def test_multinomial_with_replacement_follows_the_weights() -> None:
    weights = mt.tensor([[1.0, 2.0, 0.0, 5.0], [0.0, 0.0, 3.0, 0.0]], dtype=mt.float64)
    draws = mt.multinomial(weights, N // 2, replacement=True, generator=mt.Generator(4))
    assert draws.shape == (2, N // 2) and draws.dtype == mt.int64
    counts = np.bincount(draws.numpy()[0], minlength=4) / (N // 2)
    np.testing.assert_allclose(counts, [1 / 8, 2 / 8, 0, 5 / 8], atol=0.01)
    assert (draws.numpy()[1] == 2).all()


def test_multinomial_without_replacement_draws_distinct_categories() -> None:
    weights = mt.tensor([1.0, 2.0, 3.0, 4.0, 0.0])
    rows = np.stack([mt.multinomial(weights, 4, generator=mt.Generator(s)).numpy()
                     for s in range(2000)])
    assert all(len(set(r)) == 4 for r in rows)
    assert (rows != 4).all()  # a zero weight comes only after every positive one
    # the first draw is category i with probability w_i / Σw
    first = np.bincount(rows[:, 0], minlength=5) / len(rows)
    np.testing.assert_allclose(first, [0.1, 0.2, 0.3, 0.4, 0.0], atol=0.04)
    # the second draw, given a first of 3 (weight 4): i with probability w_i / 6
    second = rows[rows[:, 0] == 3, 1]
    np.testing.assert_allclose(np.bincount(second, minlength=3)[:3] / len(second),
                               [1 / 6, 2 / 6, 3 / 6], atol=0.06)


def test_multinomial_may_draw_zero_weights_once_the_rest_are_used() -> None:
    draws = mt.multinomial(mt.tensor([1.0, 1.0, 0.0]), 3, generator=mt.Generator(0)).numpy()
    assert sorted(draws) == [0, 1, 2] and draws[2] == 2


def test_multinomial_method_and_empty_batches() -> None:
    assert mt.ones(2, 3).multinomial(2).shape == (2, 2)
    assert mt.multinomial(mt.ones(0, 3), 2).shape == (0, 2)


@pytest.mark.parametrize("call, fragment", [
    (lambda: mt.multinomial(mt.tensor([1.0, -1.0]), 1), "element < 0"),
    (lambda: mt.multinomial(mt.tensor([1.0, float("inf")]), 1), "inf"),
    (lambda: mt.multinomial(mt.tensor([1.0, float("nan")]), 1), "nan"),
    (lambda: mt.multinomial(mt.tensor([0.0, 0.0]), 1), "sum of probabilities <= 0"),
    (lambda: mt.multinomial(mt.tensor(1.0), 1), "1 or 2 dim"),
    (lambda: mt.multinomial(mt.tensor([1, 2]), 1), "floating-point dtypes"),
    (lambda: mt.multinomial(mt.tensor([1.0, 1.0]), 0), "n_sample <= 0"),
    (lambda: mt.multinomial(mt.tensor([1.0, 1.0]), 3), "without replacement"),
])
def test_multinomial_errors(call, fragment) -> None:
    with pytest.raises(RuntimeError, match=fragment.replace("(", r"\(")):
        call()


# --------------------------------------------------------------------------- normal, poisson


def test_normal_tensor_mean_and_std_broadcast() -> None:
    mean = mt.tensor([[-3.0], [5.0]], dtype=mt.float64)
    std = mt.tensor([0.5, 2.0], dtype=mt.float64)
    samples = np.stack([mt.normal(mean, std, generator=mt.Generator(s)).numpy()
                        for s in range(4000)])
    assert samples.shape == (4000, 2, 2)
    np.testing.assert_allclose(samples.mean(0), [[-3, -3], [5, 5]], atol=0.15)
    np.testing.assert_allclose(samples.std(0), [[0.5, 2.0], [0.5, 2.0]], rtol=0.06)


def test_normal_overloads_shapes_and_dtypes() -> None:
    assert mt.normal(mt.zeros(2, 3, dtype=mt.float64), 1.0).dtype == mt.float64
    assert mt.normal(0.0, mt.ones(4, dtype=mt.float64)).shape == (4,)
    assert mt.normal(mt.zeros(2), mt.ones(2, dtype=mt.float64)).dtype == mt.float32
    sized = mt.normal(2.0, 3.0, (N,), generator=mt.Generator(5))
    assert sized.dtype == mt.float32 and sized.shape == (N,)
    _mean_close(sized.numpy().astype(np.float64), 2.0, 3.0)
    assert mt.normal(0.0, 1.0, size=(2, 3), dtype=mt.float64).dtype == mt.float64
    assert mt.normal(0.0, 1.0, (2,), requires_grad=True).requires_grad
    assert not mt.normal(mt.zeros(2, requires_grad=True), 1.0).requires_grad


@pytest.mark.parametrize("call, error, fragment", [
    (lambda: mt.normal(mt.zeros(2), mt.tensor([-1.0, 1.0])), RuntimeError, "std >= 0.0"),
    (lambda: mt.normal(0.0, -1.0, (2,)), RuntimeError, "std >= 0.0"),
    (lambda: mt.normal(mt.zeros(2), mt.ones(3)), RuntimeError, "broadcast"),
    (lambda: mt.normal(mt.zeros(2, dtype=mt.int64), 1.0), NotImplementedError, "Long"),
    (lambda: mt.normal(0, 1), TypeError, "size"),
])
def test_normal_errors(call, error, fragment) -> None:
    with pytest.raises(error, match=fragment):
        call()


def test_poisson_has_the_rates_as_means_and_variances() -> None:
    rates = mt.tensor([0.0, 0.5, 4.0, 30.0], dtype=mt.float64).expand(N // 4, 4)
    counts = mt.poisson(rates, generator=mt.Generator(6))
    assert counts.dtype == mt.float64 and counts.shape == (N // 4, 4)
    values = counts.numpy()
    assert (values[:, 0] == 0).all() and (values == np.round(values)).all()
    for column, rate in zip(range(1, 4), (0.5, 4.0, 30.0), strict=True):
        _mean_close(values[:, column], rate, math.sqrt(rate))
    with pytest.raises(RuntimeError, match="non-negative"):
        mt.poisson(mt.tensor([-1.0]))
    with pytest.raises(NotImplementedError, match="Long"):
        mt.poisson(mt.tensor([1, 2]))


# --------------------------------------------------------------------------- in-place fillers


def test_random_draws_integers_in_the_requested_range() -> None:
    x = mt.zeros(N).random_(3, 7, generator=mt.Generator(8))
    assert x.dtype == mt.float32
    assert set(np.unique(x.numpy())) == {3.0, 4.0, 5.0, 6.0}
    assert set(np.unique(mt.zeros(1000, dtype=mt.int64).random_(4).numpy())) == {0, 1, 2, 3}
    assert set(np.unique(mt.zeros(1000, dtype=mt.bool).random_().numpy())) == {False, True}
    negative = mt.zeros(1000).random_(-3, 0).numpy()
    assert negative.min() == -3 and negative.max() == -1
    keyword = mt.zeros(100, dtype=mt.int64).random_(**{"from": 5, "to": 6})
    assert (keyword.numpy() == 5).all()
    whole = mt.zeros(1000, dtype=mt.uint8).random_().numpy()
    assert whole.dtype == np.uint8 and whole.max() > 200


@pytest.mark.parametrize("call, fragment", [
    (lambda: mt.zeros(2).random_(5, 3), "from=5 >= to=3"),
    (lambda: mt.zeros(2).random_(0), "from=0 >= to=0"),
    (lambda: mt.zeros(2, dtype=mt.uint8).random_(0, 300), "out of bounds"),
])
def test_random_errors(call, fragment) -> None:
    with pytest.raises(RuntimeError, match=fragment):
        call()


def test_exponential_has_mean_one_over_lambda() -> None:
    x = mt.zeros(N, dtype=mt.float64).exponential_(4.0, generator=mt.Generator(9)).numpy()
    assert x.min() >= 0
    _mean_close(x, 0.25, 0.25)


def test_geometric_counts_trials_to_the_first_success() -> None:
    x = mt.zeros(N, dtype=mt.float64).geometric_(0.25, generator=mt.Generator(10)).numpy()
    assert x.min() == 1 and (x == np.round(x)).all()
    _mean_close(x, 4.0, math.sqrt(0.75) / 0.25)
    assert mt.zeros(3, dtype=mt.int64).geometric_(0.5).dtype == mt.int64


def test_log_normal_is_exp_of_a_normal() -> None:
    x = mt.zeros(N, dtype=mt.float64).log_normal_(0.5, 0.25, generator=mt.Generator(11))
    logs = np.log(x.numpy())
    _mean_close(logs, 0.5, 0.25)
    assert abs(logs.std() - 0.25) < 0.005


def test_cauchy_has_the_median_and_the_quartiles() -> None:
    x = mt.zeros(N, dtype=mt.float64).cauchy_(2.0, 0.5, generator=mt.Generator(12)).numpy()
    q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    assert abs(median - 2.0) < 0.02
    assert abs((q3 - q1) / 2 - 0.5) < 0.02  # the half interquartile range is sigma


@pytest.mark.parametrize("call, fragment", [
    (lambda: mt.zeros(3).exponential_(0.0), "lambda > 0.0"),
    (lambda: mt.zeros(3).exponential_(-1.0), "lambda > 0.0"),
    (lambda: mt.zeros(3).geometric_(0.0), "p to be in \\(0, 1\\)"),
    (lambda: mt.zeros(3).geometric_(1.5), "p to be in \\(0, 1\\)"),
    (lambda: mt.zeros(3).log_normal_(0.0, 0.0), "std > 0.0"),
    (lambda: mt.zeros(3).cauchy_(0.0, -1.0), "sigma > 0.0"),
    (lambda: mt.zeros(3, dtype=mt.int64).exponential_(), "continuous probability"),
    (lambda: mt.zeros(3, dtype=mt.int64).cauchy_(), "continuous probability"),
])
def test_filler_errors(call, fragment) -> None:
    with pytest.raises(RuntimeError, match=fragment):
        call()


def test_fillers_keep_dtype_and_return_self() -> None:
    x = mt.zeros(2, 3, dtype=mt.float32)
    for fill in (lambda t: t.exponential_(), lambda t: t.log_normal_(),
                 lambda t: t.cauchy_(), lambda t: t.geometric_(0.5), lambda t: t.random_(9)):
        assert fill(x) is x and x.dtype == mt.float32 and x.shape == (2, 3)
