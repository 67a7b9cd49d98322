"""Run the optimization-lab examples quickly (``--fast``) and check what they print and find."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"lab_example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
        ) -> tuple[dict, str]:
    result = load(name).main(["--fast", "--out", str(tmp_path), *extra])
    return result, capsys.readouterr().out


def pngs(tmp_path: Path) -> set[str]:
    names = set()
    for path in tmp_path.glob("*.png"):
        assert path.read_bytes()[:4] == b"\x89PNG"
        names.add(path.name)
    return names


def test_optimizer_race(tmp_path, capsys):
    result, out = run("optimizer_race", tmp_path, capsys)
    for name in ("SGD", "Momentum", "Nesterov", "RMSprop", "Adam", "NAdam", "Lion"):
        assert re.search(rf"^{name} ", out, re.MULTILINE), name
    assert "Rosenbrock from (-1.2, 1.0), 200 steps" in out and "dist to min" in out
    rosen, saddle = result["rosenbrock"], result["saddle"]
    # in 200 steps momentum is far ahead of plain gradient descent in the valley
    assert rosen["Momentum"].final_loss < 0.1 * rosen["SGD"].final_loss
    # on the saddle, adaptive methods escape (|y| > 1) while plain SGD has not yet
    assert abs(saddle["SGD"].final_point[1]) < 1
    for name in ("RMSprop", "Adam", "Momentum"):
        assert abs(saddle[name].final_point[1]) > 1, name
    if importlib.util.find_spec("matplotlib"):
        assert pngs(tmp_path) == {"rosenbrock.png", "saddle.png", "rosenbrock_loss.png"}


def test_optimizer_race_docstring_claims() -> None:
    """Every number the docstring of optimizer_race.py states, on the default run."""
    race = load("optimizer_race")
    rosen = race.race("rosenbrock", race.ROSENBROCK_RUNNERS, 1500)
    minimum = np.array([1.0, 1.0])

    def distance(name: str) -> float:
        return float(np.linalg.norm(rosen[name].final_point - minimum))

    assert 0.25 < distance("SGD") < 0.4  # "still about 0.3 from the minimum"
    reached = {name: rosen[name].steps_to((1.0, 1.0), 0.05) for name in rosen}
    # Momentum and Nesterov first (about 650 steps), then Adam (about 1,200)
    assert 550 < reached["Momentum"] < 750 and 550 < reached["Nesterov"] < 750
    assert 1050 < reached["Adam"] < 1300
    assert max(reached["Momentum"], reached["Nesterov"]) < reached["Adam"]
    # RMSprop and NAdam: 0.1 to 0.2 away after 1,500 steps, never within 0.05
    for name in ("RMSprop", "NAdam"):
        assert reached[name] is None and 0.1 <= distance(name) <= 0.2, name
    # ... and steps that overshoot the wall: the loss jumps by more than half in one step
    for name in ("RMSprop", "NAdam"):
        assert np.max(rosen[name].losses[1:] / rosen[name].losses[:-1]) > 1.5, name
    # Lion: reaches 0.05 only near the end (last tenth of the race)
    assert 1350 <= reached["Lion"] <= 1500
    # (the loss plot's note: one Lion step lands on the minimum, to round-off)
    assert np.linalg.norm(rosen["Lion"].path - minimum, axis=1).min() < 1e-12
    # Lion steps by exactly ±lr in every coordinate, and never settles: a longer run cycles
    # at about 5·lr from the minimum
    from microtensor import landscape, optim

    record = landscape.TEST_FUNCTIONS["rosenbrock"]
    lion = landscape.trajectory(record.fn, optim.Lion, record.start, 3500, lr=2e-3)
    np.testing.assert_allclose(np.abs(np.diff(lion.path, axis=0)), 2e-3, rtol=1e-9)
    tail = np.linalg.norm(lion.path[-500:] - minimum, axis=1)
    assert 3.5 * 2e-3 < tail.min() and tail.max() < 6 * 2e-3

    saddle = race.race("saddle", race.SADDLE_RUNNERS, 400)
    escape = {name: int(np.flatnonzero(np.abs(run.path[:, 1]) > 1)[0])
              for name, run in saddle.items()}
    assert escape["SGD"] == 349  # log(1000)/log(1.02) = 348.8
    assert 60 <= escape["Momentum"] <= 80 and 60 <= escape["Nesterov"] <= 80  # "about 70"
    assert escape["Lion"] == 100  # exactly lr per step: 0.001 + 100 * 0.01 > 1
    assert 60 <= escape["Adam"] < 100 and 60 <= escape["NAdam"] < 100  # "a little sooner"
    # Adam and Lion take a step of about lr from the first step on
    for name in ("Adam", "NAdam", "Lion"):
        first = abs(saddle[name].path[1, 1] - saddle[name].path[0, 1])
        assert 0.009 <= first <= 0.011, (name, first)
    # RMSprop first, its first step 10·lr = 0.1 long in y
    assert escape["RMSprop"] == min(escape.values()) == 17
    assert abs(saddle["RMSprop"].path[1, 1] - 0.001) == pytest.approx(0.1, rel=0.01)


def test_saddle_points(tmp_path, capsys):
    result, out = run("saddle_points", tmp_path, capsys)
    kinds = [r.kind for r in result["critical"]]
    assert kinds[:2] == ["saddle", "degenerate"]
    assert kinds.count("minimum") == 6 and kinds.count("maximum") == 1
    assert kinds.count("saddle") == 6 and kinds[-1] == "not critical"
    assert re.search(r"x² − y²\s+\(0\.0000, 0\.0000\)\s+saddle .*-2\.000,\s+2\.000", out)
    assert "lands on a saddle" in out
    runs = result["runs"]
    stuck = runs["GD from (1, 0)"]
    assert np.abs(stuck.final_point).max() < 1e-10  # it slid into the saddle and stopped
    assert re.search(r"GD from \(1, 0\) .* never", out)
    for name in ("GD from (1, 1e-8)", "momentum 0.9 from (1, 1e-8)", "GD + gradient noise 1e-3"):
        assert abs(runs[name].final_point[1]) > 1, name
    # escape time of perturbed GD: log(1e8) / log(1.1) ≈ 193 steps, as printed
    escape = int(np.flatnonzero(np.abs(runs["GD from (1, 1e-8)"].path[:, 1]) > 1)[0])
    assert abs(escape - 193.3) <= 1.5 and "= 193)" in out
    assert "stopped at a saddle" in out
    if importlib.util.find_spec("matplotlib"):
        assert pngs(tmp_path) == {"saddle_escape.png", "himmelblau.png"}


def test_learning_rate(tmp_path, capsys):
    result, out = run("learning_rate", tmp_path, capsys)
    assert "threshold 2/λ_max = 0.2" in out and "10.000000" in out
    verdicts = re.findall(r"^\s+(\d\.\d\d)\s+\S+\s+\S+\s+\S+\s+(converges|DIVERGES)$", out,
                          re.MULTILINE)
    assert dict(verdicts) == {"0.50": "converges", "0.90": "converges", "0.99": "converges",
                              "1.01": "DIVERGES", "1.10": "DIVERGES", "1.50": "DIVERGES"}
    losses = result["schedule_losses"]
    tail = {name: curve[-5:].mean() for name, curve in losses.items()}
    assert tail["CosineAnnealingLR"] < 0.5 * tail["constant"]
    assert tail["StepLR(¼, γ=0.3)"] < 0.5 * tail["constant"]
    finder = result["finder"]
    assert finder.lrs[0] <= finder.suggestion() <= finder.lrs[-1]
    assert "suggestion" in out
    if importlib.util.find_spec("matplotlib"):
        assert pngs(tmp_path) == {"threshold.png", "schedules.png", "lr_finder.png"}


def test_mle(tmp_path, capsys):
    result, out = run("mle", tmp_path, capsys)
    gaps = [float(g) for g in re.findall(r"largest difference.*?: ([0-9.e+-]+)", out)]
    assert len(gaps) == 3 and max(gaps) < 1e-6
    lin = result["linear"]
    np.testing.assert_allclose(lin["beta_gd"], lin["beta_ls"], atol=1e-8)
    assert lin["sigma2_gd"] == pytest.approx(lin["sigma2"], rel=1e-8)
    np.testing.assert_allclose(lin["se_hessian"][:2], lin["se_mle"], rtol=1e-8)
    n = len(lin["y"])
    np.testing.assert_allclose(lin["se_ols"] / lin["se_mle"], np.sqrt(n / (n - 2)), rtol=1e-10)
    cat = result["categorical"]
    np.testing.assert_allclose(cat["fitted"], cat["freqs"], atol=1e-8)
    logit = result["logistic"]
    np.testing.assert_allclose(logit["w_gd"], logit["w_irls"], atol=1e-6)
    np.testing.assert_allclose(logit["se_hessian"], logit["se_fisher"], rtol=1e-8)
    if importlib.util.find_spec("matplotlib"):
        assert pngs(tmp_path) == {"mle.png"}


def test_gradcheck_eps(tmp_path, capsys):
    result, out = run("gradcheck_eps", tmp_path, capsys)
    best = result["best_eps"]
    # the bottom of the V sits near the cube root of the machine epsilon
    assert 1e-7 <= best["float64"] <= 1e-4
    assert 1e-4 <= best["float32"] <= 1e-1
    errors = result["scalar"]
    assert errors["float64"].min() < 1e-10 < errors["float32"].min() < 1e-3
    assert re.search(r"^float64\s+2\.22e-16\s+6\.1e-06", out, re.MULTILINE)
    net = result["network"]
    assert net["float64"].min() < 1e-8 and net["float32"].min() > 1e-6
    if importlib.util.find_spec("matplotlib"):
        assert pngs(tmp_path) == {"gradcheck_eps.png"}
