"""The optimization lessons of the course: svm_gradients, momentum and warmup.

(The linear-scaling part of batch_sizes is tested with the rest of that lesson in
tests/test_examples_lessons.py, on the same run.) Each lesson is imported from its file and its
``main(["--fast", "--out", tmp])`` is checked against every claim of its docstring; the PNG
checks are skipped only when matplotlib is missing, svm_gradients only without scikit-learn
(which ships the digits).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.test_examples_lessons import (
    EXAMPLES,
    HAS_MATPLOTLIB,
    assert_png,
    load_example,
    needs_matplotlib,
    run_main,
)

needs_sklearn = pytest.mark.skipif(importlib.util.find_spec("sklearn") is None,
                                   reason="scikit-learn (the digits) is not installed")


# ------------------------------------------------------------------------------- svm_gradients

@pytest.fixture(scope="module")
def svm_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, Path]:
    if importlib.util.find_spec("sklearn") is None:
        pytest.skip("scikit-learn (the digits) is not installed")
    out = tmp_path_factory.mktemp("svm_gradients")
    result, printed = run_main(load_example("svm_gradients"), ["--fast", "--out", str(out)])
    return result, printed, out


@needs_sklearn
def test_hand_derived_gradient_is_autograds() -> None:
    lesson = load_example("svm_gradients")
    problem = lesson.make_problem(50)
    analytic = lesson.analytic_gradient(problem)
    assert analytic.shape == (650,)
    assert lesson.relative_error(analytic, lesson.autograd_gradient(problem)) < 1e-14
    # some margins are active and some are not, so the check is not trivial
    weight, bias = problem.unpack(problem.theta)
    scores = problem.x @ weight.T + bias
    margins = 1 - scores[np.arange(50), problem.y][:, None] + scores
    assert 0.5 < np.mean(margins > 0) < 1


@needs_sklearn
def test_numerical_gradients_cost_one_or_two_evaluations_per_parameter() -> None:
    lesson = load_example("svm_gradients")
    problem = lesson.make_problem(20)
    calls = []

    def counted(theta: np.ndarray) -> float:
        calls.append(1)
        return lesson.hinge_loss(problem, theta)

    lesson.one_sided_gradient(counted, problem.theta, 1e-6)
    assert len(calls) == 651  # docstring: one-sided 651
    calls.clear()
    lesson.centred_gradient(counted, problem.theta, 1e-6)
    assert len(calls) == 1300  # docstring: centred 1,300


def test_finite_differences_are_first_and_second_order_on_a_smooth_function() -> None:
    lesson = load_example("svm_gradients")
    steps = np.logspace(-4, -1, 7)
    x, exact = 0.7, np.cos(0.7)
    one_sided = np.abs((np.sin(x + steps) - np.sin(x)) / steps - exact)
    centred = np.abs((np.sin(x + steps) - np.sin(x - steps)) / (2 * steps) - exact)
    assert lesson.fitted_slope(steps, one_sided, 1e-4, 1e-1) == pytest.approx(1, abs=0.05)
    assert lesson.fitted_slope(steps, centred, 1e-4, 1e-1) == pytest.approx(2, abs=0.05)


@needs_sklearn
def test_svm_gradient_table(svm_run: tuple[dict[str, Any], str, Path]) -> None:
    result, printed, _ = svm_run
    table = result["table"]
    assert list(table) == ["one-sided differences", "centred differences",
                           "analytic (by hand)", "autograd (backward)"]
    assert table["analytic (by hand)"][0] == 0.0
    assert table["autograd (backward)"][0] < 1e-14  # to rounding (~1e-16)
    for name in ("one-sided differences", "centred differences"):
        assert table[name][0] < 1e-8  # h = 1e-6: better than 1e-8
    for name in ("relative error", "x fastest", "one-sided differences", "autograd (backward)"):
        assert name in printed


@needs_sklearn
def test_error_against_h_has_slopes_one_and_two(
    svm_run: tuple[dict[str, Any], str, Path],
) -> None:
    result, printed, _ = svm_run
    steps = result["steps"]
    one_sided, centred, rounding = result["curves"]["cross-entropy"]
    assert result["slopes"][0] == pytest.approx(1.0, abs=0.05)  # docstring: 1.00
    assert result["slopes"][1] == pytest.approx(2.0, abs=0.05)  # docstring: 2.00
    # the best h: about √ε for one-sided (~1e-7), ε^(1/3) for centred (~1e-10): 1000x better
    assert 1e-9 <= steps[one_sided.argmin()] <= 1e-6 and one_sided.min() < 1e-6
    assert 1e-6 <= steps[centred.argmin()] <= 1e-3 and centred.min() < 1e-9
    assert centred.min() < 1e-3 * one_sided.min() * 10
    # below the best h, rounding takes over: the error grows as h shrinks
    assert one_sided[0] > 1e3 * one_sided.min() and centred[0] > 1e3 * centred.min()
    assert rounding / steps[0] > 1e-6
    assert "slope 1.00" in printed and "slope 2.00" in printed


@needs_sklearn
def test_hinge_kinks_spoil_both_differences(svm_run: tuple[dict[str, Any], str, Path]) -> None:
    result, _, _ = svm_run
    lesson = load_example("svm_gradients")
    steps = result["steps"]
    one_sided, centred, _ = result["curves"]["hinge"]
    kink = min(lesson.first_kink(steps, one_sided), lesson.first_kink(steps, centred))
    below = (steps < kink) & (steps >= 1e-8)
    assert below.any()
    # below the nearest kink: exact up to rounding (best ~1e-12)
    assert min(one_sided.min(), centred.min()) < 1e-11
    assert np.all(one_sided[below] < 1e-6) and np.all(centred[below] < 1e-6)
    # from the kink on: ~1e-3 or worse, for both orders
    assert one_sided[steps >= kink].min() > 1e-4 or centred[steps >= kink].min() > 1e-4
    assert max(one_sided[-1], centred[-1]) > 1e-3


@needs_sklearn
@needs_matplotlib
def test_svm_gradients_plot(svm_run: tuple[dict[str, Any], str, Path]) -> None:
    _, printed, out = svm_run
    assert_png(out / "svm_gradients.png")
    assert f"plot: {out / 'svm_gradients.png'}" in printed


# ------------------------------------------------------------------------------------ momentum

@pytest.fixture(scope="module")
def momentum_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, Path]:
    out = tmp_path_factory.mktemp("momentum")
    runs, printed = run_main(load_example("momentum"), ["--fast", "--out", str(out)])
    return runs, printed, out


def test_rescaled_lr_is_the_course_optimizer(
    momentum_run: tuple[dict[str, Any], str, Path],
) -> None:
    runs, printed, _ = momentum_run
    lesson = load_example("momentum")
    course, rescaled = runs["course"], runs["rescaled"]
    assert len(course.points) == 31  # --fast: 30 steps
    assert lesson.largest_gap(rescaled, course) <= 1e-15  # to rounding, from the first step
    assert np.linalg.norm(course.points[-1]) < 0.5 * np.linalg.norm(lesson.START)
    assert "lr=α(1−β)=0.03" in printed


def test_dampening_beta_is_the_course_started_at_the_first_gradient(
    momentum_run: tuple[dict[str, Any], str, Path],
) -> None:
    runs, _, _ = momentum_run
    lesson = load_example("momentum")
    course, dampened, warm = runs["course"], runs["dampened"], runs["course_warm"]
    first_course = np.linalg.norm(course.points[1] - course.points[0])
    first_dampened = np.linalg.norm(dampened.points[1] - dampened.points[0])
    assert first_dampened / first_course == pytest.approx(1 / (1 - lesson.BETA))  # 10x
    assert lesson.largest_gap(warm, dampened) <= 1e-15  # the course's rule with v0 = g1
    # the big first step throws θ₂ from 1.5 to −9.7; the paths differ by up to 12
    assert dampened.points[1][1] == pytest.approx(-9.75)
    assert 11 < lesson.largest_gap(dampened, course) < 13


def test_dampened_trajectory_differs_until_both_settle() -> None:
    lesson = load_example("momentum")
    runs = lesson.compare(60)
    gap = np.abs(runs["dampened"].points - runs["course"].points).max(axis=1)
    assert gap[-1] == pytest.approx(0.56, abs=0.01)  # docstring: after 60 steps still 0.56
    assert gap[-1] < 0.1 * gap.max()


def test_buffers_fed_the_same_gradients_differ_by_beta_to_the_t() -> None:
    lesson = load_example("momentum")
    gradients = np.random.default_rng(0).standard_normal((20, 3))
    gaps = lesson.buffer_gap(gradients, 0.9)
    expected = 0.9 ** np.arange(1, 21)[:, None] * gradients[0]
    np.testing.assert_allclose(gaps, expected, atol=1e-14)


def test_copying_alpha_into_lr_diverges(momentum_run: tuple[dict[str, Any], str, Path]) -> None:
    runs, printed, _ = momentum_run
    copied = runs["copied"]
    assert np.linalg.norm(copied.points[-1]) > 1e6
    assert "diverged" in printed


@needs_matplotlib
def test_momentum_plot(momentum_run: tuple[dict[str, Any], str, Path]) -> None:
    _, printed, out = momentum_run
    assert_png(out / "momentum.png")
    assert f"plot: {out / 'momentum.png'}" in printed


def test_momentum_runs_as_a_script(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "momentum.py"), "--fast", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "the course's optimizer, to rounding" in completed.stdout
    if HAS_MATPLOTLIB:
        assert_png(tmp_path / "momentum.png")


# ------------------------------------------------------------------------------------- warmup

@pytest.fixture(scope="module")
def warmup_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Any], str, Path]:
    out = tmp_path_factory.mktemp("warmup")
    runs, printed = run_main(load_example("warmup"), ["--fast", "--out", str(out)])
    return runs, printed, out


def test_warmup_schedule_is_linear_then_cosine(warmup_run: tuple[list[Any], str, Path]) -> None:
    runs, _, _ = warmup_run
    without, with_warmup = runs
    steps, lr = len(with_warmup.learning_rates), 0.03
    warmup_steps = steps // 4
    rates = np.array(with_warmup.learning_rates)
    # LinearLR: 0.01·lr → lr in equal increments over the warmup steps
    np.testing.assert_allclose(rates[:warmup_steps],
                               lr * np.linspace(0.01, 1, warmup_steps + 1)[:-1], rtol=1e-9)
    # then CosineAnnealingLR from lr to 0 over the rest (SequentialLR switches at the milestone)
    rest = np.arange(steps - warmup_steps)
    np.testing.assert_allclose(
        rates[warmup_steps:],
        lr * (1 + np.cos(np.pi * rest / (steps - warmup_steps))) / 2, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(without.learning_rates,
                               lr * (1 + np.cos(np.pi * np.arange(steps) / steps)) / 2,
                               rtol=1e-9, atol=1e-15)


def test_without_warmup_the_model_collapses_to_chance(
    warmup_run: tuple[list[Any], str, Path],
) -> None:
    runs, printed, _ = warmup_run
    lesson = load_example("warmup")
    without, with_warmup = runs
    assert without.name == "no warmup"
    assert without.early_change == pytest.approx(0.62, abs=0.02)  # docstring: 62 %
    assert with_warmup.early_change < without.early_change / 4  # about a tenth
    assert without.final_loss() == pytest.approx(lesson.CHANCE, abs=0.01)  # ln 8 ≈ 2.08
    assert abs(without.accuracy - 1 / 8) < 0.05  # about 1 in 8
    # it never recovers, even when the cosine has brought the lr near 0
    assert min(np.mean(without.losses[s:s + 10]) for s in range(20, len(without.losses) - 9,
                                                                  10)) > 2.0
    assert "collapsed to chance" in printed


def test_with_warmup_the_model_learns(warmup_run: tuple[list[Any], str, Path]) -> None:
    runs, printed, _ = warmup_run
    _, with_warmup = runs
    assert with_warmup.final_loss() < 0.05
    assert with_warmup.accuracy > 0.99
    # near the peak of the schedule the loss, once below 0.5, climbs back to 0.9 or more
    losses = np.array(with_warmup.losses)
    learned = int(np.argmax(losses < 0.5))
    assert learned > 0 and losses[learned:].max() >= 0.9
    assert "of tokens reversed" in printed


def test_adams_first_step_moves_every_weight_by_about_lr() -> None:
    lesson = load_example("warmup")
    mt = lesson.mt
    mt.manual_seed(0)
    model = lesson.Reverser(layers=1)
    optimizer = mt.optim.Adam(model.parameters(), lr=0.03)
    before = [p.detach().numpy().copy() for p in model.parameters()]
    tokens, target = lesson.make_batch(np.random.default_rng(0), 8)
    lesson.nn.functional.cross_entropy(model(tokens).reshape(-1, lesson.VOCABULARY),
                                       target.reshape(-1)).backward()
    grads = [p.grad.numpy().copy() for p in model.parameters()]
    optimizer.step()
    for old, grad, param in zip(before, grads, model.parameters(), strict=True):
        step = old - param.detach().numpy()
        expected = 0.03 * grad / (np.abs(grad) + 1e-8)  # lr·g/(|g| + ε) ≈ lr·sign(g)
        np.testing.assert_allclose(step, expected, rtol=1e-4, atol=1e-7)
        large = np.abs(grad) > 1e-5
        np.testing.assert_allclose(np.abs(step[large]), 0.03, rtol=1e-2)


@needs_matplotlib
def test_warmup_plot(warmup_run: tuple[list[Any], str, Path]) -> None:
    _, printed, out = warmup_run
    assert_png(out / "warmup.png")
    assert f"plot: {out / 'warmup.png'}" in printed
