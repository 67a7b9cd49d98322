"""The lesson examples: line_fit (exact numbers), batch_sizes, logistic_regression, regularization.

Each example is imported from its file (examples/ is not a package) and its functions or its
``main(["--fast", "--out", tmp])`` are checked against what its docstring teaches; line_fit is also
run as a script. The PNG checks are skipped only when matplotlib is missing.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import microtensor as mt

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HAS_MATPLOTLIB = importlib.util.find_spec("matplotlib") is not None
needs_matplotlib = pytest.mark.skipif(not HAS_MATPLOTLIB, reason="matplotlib is not installed")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_example(name: str) -> ModuleType:
    """Import examples/<name>.py as a module (registered, so its dataclasses work)."""
    module_name = f"_lesson_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def run_main(module: ModuleType, argv: list[str]) -> tuple[Any, str]:
    """Call the example's main(argv) and return (its result, what it printed)."""
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        result = module.main(argv)
    return result, buffer.getvalue()


def assert_png(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert path.stat().st_size > 10_000  # a real figure, not an empty canvas


# ------------------------------------------------------------------------------------ line_fit

@pytest.fixture(scope="module")
def line_fit() -> ModuleType:
    return load_example("line_fit")


def test_intercept_alone_takes_the_steps_of_the_lesson(line_fit: ModuleType) -> None:
    history = line_fit.fit_intercept()
    first = history[0]
    assert first.derivatives["intercept"] == pytest.approx(-5.704, abs=1e-12)
    assert round(first.derivatives["intercept"], 1) == -5.7
    assert first.step_sizes["intercept"] == pytest.approx(-0.5704, abs=1e-12)
    intercepts = [step.values["intercept"] for step in history]
    assert [round(b, 2) for b in intercepts[:3]] == [0.57, 0.8, 0.89]
    assert round(intercepts[-1], 2) == 0.95
    # stops at the first step whose size is below 0.001, not one step earlier or later
    sizes = [abs(step.step_sizes["intercept"]) for step in history]
    assert len(history) == 8
    assert sizes[-1] < 1e-3 and all(size >= 1e-3 for size in sizes[:-1])
    # the slope was a constant: it never moved
    assert all(step.values["slope"] == 0.64 for step in history)


def test_each_step_is_lr_times_the_derivative_from_backward(line_fit: ModuleType) -> None:
    weight, height = np.array(line_fit.WEIGHTS), np.array(line_fit.HEIGHTS)
    previous = 0.0
    for step in line_fit.fit_intercept():
        residuals = height - (previous + 0.64 * weight)
        assert step.derivatives["intercept"] == pytest.approx(-2 * residuals.sum(), abs=1e-12)
        assert step.values["intercept"] == pytest.approx(previous - 0.1 * step.derivatives[
            "intercept"], abs=1e-15)
        assert step.loss == pytest.approx(float((residuals**2).sum()), abs=1e-12)
        previous = step.values["intercept"]


def test_two_parameters_start_with_the_lesson_gradients(line_fit: ModuleType) -> None:
    history = line_fit.fit_line()
    first = history[0]
    assert first.derivatives["intercept"] == pytest.approx(-1.6, abs=1e-12)
    assert first.derivatives["slope"] == pytest.approx(-0.8, abs=1e-12)
    assert first.values["intercept"] == pytest.approx(0.016, abs=1e-12)
    assert first.values["slope"] == pytest.approx(1.008, abs=1e-12)
    # "every step size < 0.001" is reached after 207 steps, still short of least squares
    assert len(history) == 207
    assert all(abs(size) < 1e-3 for size in history[-1].step_sizes.values())
    assert all(max(map(abs, step.step_sizes.values())) >= 1e-3 for step in history[:-1])
    assert history[-1].values["intercept"] == pytest.approx(0.8624, abs=1e-4)
    assert history[-1].values["slope"] == pytest.approx(0.6778, abs=1e-4)


def test_two_parameters_end_at_least_squares(line_fit: ModuleType) -> None:
    intercept, slope = line_fit.least_squares()
    assert (round(intercept, 2), round(slope, 2)) == (0.95, 0.64)
    assert intercept == pytest.approx(37 / 39, abs=1e-12)  # exact: b = 37/39, s = 25/39
    assert slope == pytest.approx(25 / 39, abs=1e-12)
    strict = line_fit.fit_line(tolerance=1e-6)
    assert len(strict) < 1000
    final = strict[-1].values
    assert (round(final["intercept"], 2), round(final["slope"], 2)) == (0.95, 0.64)
    assert abs(final["intercept"] - intercept) < 2e-4 and abs(final["slope"] - slope) < 1e-4
    capped = line_fit.fit_line(tolerance=0.0)  # never small enough: stops after 1000 steps
    assert len(capped) == 1000
    assert capped[-1].values["intercept"] == pytest.approx(intercept, abs=2e-5)
    assert capped[-1].values["slope"] == pytest.approx(slope, abs=1e-5)


def test_line_fit_runs_as_a_script(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "line_fit.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    # part 1: one row per step: step, SSR, derivative, step size, new intercept
    part1 = out[out.index("1. The intercept alone"):out.index("2. Intercept and slope")]
    rows = [[float(v) for v in line.split()] for line in part1.splitlines()
            if re.fullmatch(r"\s*\d+(\s+-?\d+\.\d+){4}\s*", line)]
    assert len(rows) == 8
    assert rows[0][2:] == [-5.704, -0.5704, 0.5704]
    assert [row[4] for row in rows[:3]] == [0.5704, 0.7986, 0.8898]
    assert rows[-1][4] == 0.95
    assert all(row[3] == pytest.approx(0.1 * row[2], abs=1e-4) for row in rows)
    assert "closed form mean(height − 0.64 × weight) = 0.9507" in part1
    # part 2: the first gradients, and the comparison with np.linalg.lstsq
    part2 = out[out.index("2. Intercept and slope"):]
    first_row = next(line for line in part2.splitlines() if line.strip().startswith("1 "))
    assert first_row.split()[2:4] == ["-1.6000", "-0.8000"]
    assert "stopped after 207 steps" in part2
    assert "least squares (np.linalg.lstsq): intercept = 0.9487, slope = 0.6410" in part2
    assert "gradient descent: intercept = 0.9486, slope = 0.6411" in part2
    if HAS_MATPLOTLIB:
        assert_png(tmp_path / "line_fit.png")


# --------------------------------------------------------------------------------- batch_sizes

@pytest.fixture(scope="module")
def batch_lesson(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, str, Path]:
    out = tmp_path_factory.mktemp("batch_sizes")
    lesson, printed = run_main(load_example("batch_sizes"), ["--fast", "--out", str(out)])
    return lesson, printed, out


@pytest.fixture(scope="module")
def batch_run(batch_lesson: tuple[Any, str, Path]) -> tuple[list[Any], str, Path]:
    lesson, printed, out = batch_lesson
    return lesson.runs, printed, out


def test_batch_sizes_counts_the_updates(batch_run: tuple[list[Any], str, Path]) -> None:
    runs, printed, _ = batch_run
    full, mini, single = runs[:3]
    points, epochs = full.batch_size, len(full.epoch_seconds)
    assert (mini.batch_size, single.batch_size) == (32, 1)
    assert [r.updates_per_epoch for r in (full, mini, single)] == [1, math.ceil(points / 32),
                                                                  points]
    for run in runs:
        assert len(run.step_losses) == epochs * run.updates_per_epoch
        assert len(run.epoch_losses) == epochs + 1
    assert len({run.epoch_losses[0] for run in runs}) == 1  # the same initial weights
    for name in ("updates/epoch", "ms/epoch", "batch (size 1000)", "mini-batch (size 32)",
                 "stochastic (size 1)", "largest safe rate"):
        assert name in printed


def test_small_batches_need_fewer_epochs(batch_run: tuple[list[Any], str, Path]) -> None:
    runs, _, _ = batch_run
    full, mini, single, full_best_lr = runs
    lesson = load_example("batch_sizes")
    x, y = lesson.make_data(full.batch_size)  # the full batch is the whole data set
    good = 1.1 * lesson.best_possible_loss(x, y)
    # per epoch the small batches are far ahead, even of the full batch at its best lr
    for small in (mini, single):
        assert small.epoch_losses[1] < 0.2 * full.epoch_losses[1]
        assert small.epochs_to_reach(good) is not None
        assert min(small.epoch_losses) < 0.5 * full_best_lr.epoch_losses[-1]
    assert full.epochs_to_reach(good) is None
    assert full_best_lr.epoch_losses[-1] < full.epoch_losses[-1]
    # ... but the single-example steps are noisy: they hover above the mini-batch loss
    single_noise = np.std(single.step_losses[-single.updates_per_epoch:])
    mini_noise = np.std(mini.step_losses[-mini.updates_per_epoch:])
    assert single_noise > 3 * mini_noise
    assert single.epoch_losses[-1] > mini.epoch_losses[-1]


@needs_matplotlib
def test_batch_sizes_plot(batch_run: tuple[list[Any], str, Path]) -> None:
    _, printed, out = batch_run
    assert_png(out / "batch_sizes.png")
    assert f"plot: {out / 'batch_sizes.png'}" in printed
    assert_png(out / "batch_sizes_scaling.png")
    assert f"plot: {out / 'batch_sizes_scaling.png'}" in printed


def test_linear_scaling_rule_gives_one_curve_per_epoch(
    batch_lesson: tuple[Any, str, Path],
) -> None:
    lesson, printed, _ = batch_lesson
    module = load_example("batch_sizes")
    sizes = [run.batch_size for run in lesson.scaled]
    assert sizes == [run.batch_size for run in lesson.fixed] == [8, 32, 128, 256, 512]
    reference = lesson.scaled[1]
    for run in lesson.scaled[:4]:  # B = 8 ... 256 with lr = 0.02·B/32: one curve per epoch
        assert module.gap_to_reference(run, reference) < 0.2  # docstring: within 20 %
        assert abs(run.epoch_losses[-1] / reference.epoch_losses[-1] - 1) < 0.01
    # with one fixed lr the larger batches end ever higher above B = 32
    fixed_finals = [run.epoch_losses[-1] for run in lesson.fixed]
    assert fixed_finals[1] < fixed_finals[2] < fixed_finals[3] < fixed_finals[4]
    assert "linear scaling rule" in printed


def test_linear_scaling_rule_breaks_past_two_over_lambda_max(
    batch_lesson: tuple[Any, str, Path],
) -> None:
    lesson, printed, _ = batch_lesson
    lam_max = lesson.largest_curvature
    assert 0.2 < 2 / lam_max < 0.3  # docstring: ≈ 0.25
    lr_256, lr_512 = 0.02 * 256 / 32, 0.02 * 512 / 32
    assert lr_256 < 2 / lam_max < lr_512
    assert lr_256 * lam_max == pytest.approx(1.3, abs=0.05)
    assert lr_512 * lam_max == pytest.approx(2.6, abs=0.1)
    diverged = lesson.scaled[4].epoch_losses[-1]
    assert not np.isfinite(diverged) or diverged > 1e3 * lesson.scaled[1].epoch_losses[-1]
    assert "diverged" in printed


# ------------------------------------------------------------------------- logistic_regression

@pytest.fixture(scope="module")
def logistic_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, float], str, Path]:
    out = tmp_path_factory.mktemp("logistic_regression")
    numbers, printed = run_main(load_example("logistic_regression"),
                                ["--fast", "--out", str(out)])
    return numbers, printed, out


def test_newton_solves_the_score_equations() -> None:
    lesson = load_example("logistic_regression")
    weight, obese = lesson.make_mice()
    newton = lesson.fit_by_newton(weight, obese)
    residuals = obese - newton.probability(weight)
    # at the maximum of the likelihood: Σ (y − p) = 0 and Σ (y − p)·w = 0
    assert abs(residuals.sum()) < 1e-9
    assert abs((residuals * weight).sum()) < 1e-7
    assert len(newton.losses) <= 12  # quadratic convergence: a handful of iterations
    # binary cross-entropy (mean) is minus the log-likelihood per mouse
    logits = mt.tensor(newton.intercept + newton.slope * weight, dtype=mt.float64)
    from microtensor import nn

    bce = nn.BCEWithLogitsLoss()(logits, mt.tensor(obese, dtype=mt.float64)).item()
    assert bce == pytest.approx(-lesson.log_likelihood(newton, weight, obese) / len(weight),
                                rel=1e-12)


def test_gradient_descent_matches_newton(
        logistic_run: tuple[dict[str, float], str, Path]) -> None:
    numbers, printed, _ = logistic_run
    assert numbers["ll_gd"] == pytest.approx(numbers["ll_newton"], abs=1e-6)
    assert numbers["ll_newton"] >= numbers["ll_gd"]  # Newton's float64 answer is the maximum
    assert numbers["ll_null"] < numbers["ll_newton"]
    assert 0 < numbers["r2"] < 1
    rows = {line.split()[0]: line.split()[-3:] for line in printed.splitlines()
            if line.startswith(("gradient descent ", "Newton (float64)"))}
    gd, newton = (np.array(rows[key], dtype=float) for key in ("gradient", "Newton"))
    assert np.allclose(gd, newton, rtol=1e-3)  # intercept, slope, log-likelihood
    predictions = re.findall(r"(\d+) g: (\d\.\d+) \(gradient descent\)\s+(\d\.\d+) \(Newton\)",
                             printed)
    assert [int(grams) for grams, _, _ in predictions] == [20, 25, 30, 35, 40]
    probabilities = [float(p) for _, p, _ in predictions]
    assert probabilities == sorted(probabilities)  # heavier mice: more likely obese
    assert all(p_gd == p_newton for _, p_gd, p_newton in predictions)
    for text in ("log-likelihood", "pseudo-R²", "likelihood-ratio test", "odds ratio"):
        assert text in printed


@needs_matplotlib
def test_logistic_regression_plot(logistic_run: tuple[dict[str, float], str, Path]) -> None:
    _, _, out = logistic_run
    assert_png(out / "logistic_regression.png")


# ------------------------------------------------------------------------------ regularization

@pytest.fixture(scope="module")
def regularization_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Any], str, Path]:
    out = tmp_path_factory.mktemp("regularization")
    results, printed = run_main(load_example("regularization"), ["--fast", "--out", str(out)])
    return results, printed, out


def test_unregularised_model_overfits(regularization_run: tuple[list[Any], str, Path]) -> None:
    results, printed, _ = regularization_run
    none = results[0]
    assert none.variant.name == "no regularisation"
    assert none.train < 0.09  # below the noise level: it has learnt noise
    assert none.val > 4 * none.train and none.val - none.train > 0.1
    assert min(none.val_curve) < 0.7 * none.val  # its validation loss went down, then up
    assert "train MSE" in printed and "val MSE" in printed


def test_regularisers_lower_the_validation_loss(
        regularization_run: tuple[list[Any], str, Path]) -> None:
    results, printed, _ = regularization_run
    none = results[0]
    by_kind = {r.variant.name.split(",")[0]: r for r in results}
    for kind in ("L2 penalty", "L1 penalty", "dropout", "early stopping"):
        regularised = by_kind[kind]
        assert regularised.val < 0.85 * none.val, kind
        assert regularised.test < none.test, kind
        assert regularised.val - regularised.train < none.val - none.train, kind
        assert kind in printed
    too_strong = by_kind["L2 too strong"]
    assert too_strong.train > 3 * by_kind["L2 penalty"].train  # under-fits: high bias
    # L1 leaves far fewer non-negligible weights than no penalty at all
    weight_counts = load_example("regularization").weight_counts
    assert weight_counts(by_kind["L1 penalty"].model)[0] < 0.1 * weight_counts(none.model)[0]


def test_early_stopping_restores_the_best_epoch(
        regularization_run: tuple[list[Any], str, Path]) -> None:
    results, printed, _ = regularization_run
    early = next(r for r in results if r.variant.early_stopping)
    assert early.stopped_at is not None and early.best_epoch is not None
    assert early.stopped_at - early.best_epoch == 100  # the patience
    assert early.val == pytest.approx(min(early.val_curve), rel=1e-6)
    assert early.val == pytest.approx(early.val_curve[early.best_epoch], rel=1e-6)
    # up to the stop it is exactly the unregularised run (same seed, same steps)
    none = results[0]
    assert early.val_curve == none.val_curve[:len(early.val_curve)]
    assert f"restored the weights of epoch {early.best_epoch}" in printed


@needs_matplotlib
def test_regularization_plot(regularization_run: tuple[list[Any], str, Path]) -> None:
    _, _, out = regularization_run
    assert_png(out / "regularization.png")


# ------------------------------------------------------------------- line_fit's stopping rule

def test_line_fit_prints_the_size_of_the_last_step(line_fit: ModuleType) -> None:
    """"stopped: |step| below the tolerance" states sizes, so every number is ≥ 0 and below it."""
    runs = [(line_fit.fit_intercept(), 1e-3), (line_fit.fit_line(), 1e-3),
            (line_fit.fit_line(tolerance=1e-6), 1e-6)]
    for history, tolerance in runs:
        reason = line_fit.stop_reason(history, tolerance=tolerance)
        sizes = [float(v) for v in re.findall(r"(\d\.\d\de[+-]\d\d)", reason)]
        assert "|step|" in reason and f"below the tolerance {tolerance:g}" in reason
        assert sizes and all(0 <= size < tolerance for size in sizes), reason
        assert not re.search(r"(= |, )-", reason)  # no negative "size"


# ---------------------------------------------------------------- train_cnn: augment, progress

@pytest.fixture(scope="module")
def train_cnn() -> ModuleType:
    return load_example("train_cnn")


def test_augment_rotates_shifts_and_scales(train_cnn: ModuleType) -> None:
    augment = train_cnn.augmentation(8)
    kinds = [type(t).__name__ for t in augment.transforms]
    assert kinds == ["RandomAffine", "RandomResizedCrop"]
    affine, crop = augment.transforms
    assert affine.degrees == (-10.0, 10.0) and affine.scale == (0.9, 1.1)
    assert affine.translate == (1 / 8, 1 / 8)  # at most one pixel on 8x8 digits
    assert crop.size == (8, 8) and crop.scale == (0.85, 1.0)
    assert train_cnn.augmentation(28).transforms[0].translate == (2 / 28, 2 / 28)
    mt.manual_seed(0)
    image = mt.datasets.load_digits().images[0]
    outputs = [augment(image) for _ in range(3)]
    assert all(out.shape == image.shape and out.dtype == image.dtype for out in outputs)
    assert not np.array_equal(outputs[0].numpy(), outputs[1].numpy())  # new digits each time


def test_progress_bar_is_off_when_stderr_is_not_a_terminal(
        train_cnn: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # redirected: not a terminal
    bar = train_cnn.progress_bar(10, "epoch 1/1", enabled=True)
    assert bar.disable  # (close() disables every bar, so look before it)
    for _ in range(10):
        bar.update(1)
    bar.close()
    assert sys.stderr.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stderr", Terminal())
    bar = train_cnn.progress_bar(10, "epoch 1/1", enabled=True)
    assert not bar.disable
    bar.update(10)
    bar.close()
    assert "epoch 1/1" in sys.stderr.getvalue()
    silent = train_cnn.progress_bar(10, "epoch 1/1", enabled=False)  # --no-progress
    assert type(silent).__name__ == "_Silent"


# ----------------------------------------------------------------- README: "A first look" runs

def test_readme_first_look_runs_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## A first look"):]
    section = section[:section.index("\n## ", 4)]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 2
    monkeypatch.chdir(tmp_path)  # mt.save writes mlp.npz
    namespace: dict[str, Any] = {}
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        for block in blocks:
            exec(compile(block, "README.md", "exec"), namespace)
    # the first block's comments are its real output
    printed = buffer.getvalue().splitlines()
    assert printed[0] == "tensor(0.4981, grad_fn=<SumBackward>)"
    assert printed[1] == "tensor([ 3.9322e-01, -7.0651e-02,  4.9114e-05])"
    assert printed[-1] == "True"
    assert (tmp_path / "mlp.npz").is_file()
    assert namespace["loss"].item() > 0 and namespace["images"].shape == (64, 1, 28, 28)


def test_help_states_the_layout_and_the_backward() -> None:
    """help(nn.Conv2d) names the (N, C, H, W) layout; MaxPool2d and Tensor.backward explain
    themselves (issue 15: they were one-liners)."""
    conv, pool, backward = mt.nn.Conv2d.__doc__, mt.nn.MaxPool2d.__doc__, mt.Tensor.backward.__doc__
    assert "(N, C_in, H, W)" in conv and "channels first" in conv and "H_out" in conv
    assert "(N, C, H, W)" in pool and "Backward" in pool and "argmax" in pool
    for word in ("gradient", "retain_graph", "create_graph", "inputs", "accumulate"):
        assert word in backward, word
    assert len(pool.splitlines()) > 15 and len(backward.splitlines()) > 15
