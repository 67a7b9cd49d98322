"""Tests of microtensor.landscape (the optimization lab) and microtensor.viz.landscape_plots."""

from __future__ import annotations

import numpy as np
import pytest

import microtensor as mt
from microtensor import landscape as L
from microtensor import nn, optim
from microtensor.autograd.functional import hessian
from microtensor.nn import Module, Parameter
from microtensor.utils.data import DataLoader, TensorDataset


# ------------------------------------------------------------------ models for the tests
class TinyNet(Module):
    """x → tanh(x W1 + b1) W2 + b2, with a BatchNorm-like buffer updated in train mode."""

    def __init__(self, n_in: int = 3, hidden: int = 5, n_out: int = 1, seed: int = 0,
                 dtype=mt.float32) -> None:
        super().__init__()
        rng = np.random.default_rng(seed)
        self.w1 = Parameter(mt.tensor(rng.standard_normal((n_in, hidden)) / np.sqrt(n_in),
                                      dtype=dtype))
        self.b1 = Parameter(mt.tensor(0.1 * rng.standard_normal(hidden), dtype=dtype))
        self.w2 = Parameter(mt.tensor(rng.standard_normal((hidden, n_out)) / np.sqrt(hidden),
                                      dtype=dtype))
        self.b2 = Parameter(mt.tensor(0.1 * rng.standard_normal(n_out), dtype=dtype))
        self.register_buffer("running_mean", mt.zeros(hidden, dtype=dtype))

    def forward(self, x: mt.Tensor) -> mt.Tensor:
        h = mt.tanh(x @ self.w1 + self.b1)
        if self.training:
            with mt.no_grad():
                self.running_mean._data[...] = (0.9 * self.running_mean._data
                                                + 0.1 * h._data.mean(axis=0))
        return h @ self.w2 + self.b2


def mse(prediction: mt.Tensor, target: mt.Tensor) -> mt.Tensor:
    return ((prediction - target) ** 2).mean()


def regression_data(n: int = 64, n_in: int = 3, seed: int = 1, dtype=mt.float32):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, n_in))
    y = np.sin(x.sum(axis=1, keepdims=True))
    return mt.tensor(x, dtype=dtype), mt.tensor(y, dtype=dtype)


def snapshot(model: Module) -> list[np.ndarray]:
    return [t._data.copy() for t in list(model.parameters()) + list(model.buffers())]


def assert_same_state(model: Module, saved: list[np.ndarray]) -> None:
    now = [t._data for t in list(model.parameters()) + list(model.buffers())]
    assert len(now) == len(saved)
    for a, b in zip(now, saved):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ test functions
def test_registry_minima_have_the_minimum_value_and_unpack():
    for name, record in L.TEST_FUNCTIONS.items():
        fn, minima, start, bounds = record
        assert fn is record.fn and len(start) == 2 and len(bounds) == 2, name
        for point in minima:
            value = fn(mt.tensor(point, dtype=mt.float64)).item()
            assert abs(value - record.min_value) < 1e-20, (name, point, value)
        # vectorised evaluation on a grid: x of shape (2, 3, 4)
        grid = mt.tensor(np.random.default_rng(0).standard_normal((2, 3, 4)))
        assert fn(grid).shape == (3, 4)


def test_quadratic_hessian_matches_autograd():
    for angle in (0.0, 0.7):
        q = L.quadratic(condition_number=25.0, angle=angle)
        h = hessian(q, mt.tensor([0.3, -1.2], dtype=mt.float64)).numpy()
        np.testing.assert_allclose(h, q.hessian, atol=1e-12)
        np.testing.assert_allclose(q.eigenvalues, [1.0, 25.0], atol=1e-12)
    assert q.lambda_max == pytest.approx(25.0)


# ------------------------------------------------------------------ critical points
def test_saddle_at_origin_has_eigenvalues_two_and_minus_two():
    result = L.classify_critical_point(L.saddle, [0.0, 0.0])
    assert result.kind == "saddle"
    np.testing.assert_allclose(result.eigenvalues, [-2.0, 2.0])
    np.testing.assert_allclose(result.hessian, [[2.0, 0.0], [0.0, -2.0]])
    assert result.grad_norm == 0.0 and result.value == 0.0
    assert "saddle" in str(result)


def test_rosenbrock_minimum_matches_the_analytic_hessian():
    result = L.classify_critical_point(L.rosenbrock, mt.tensor([1.0, 1.0]))
    analytic = np.array([[802.0, -400.0], [-400.0, 200.0]])
    assert result.kind == "minimum"
    np.testing.assert_allclose(result.hessian, analytic, rtol=1e-12)
    np.testing.assert_allclose(result.eigenvalues, np.linalg.eigvalsh(analytic), rtol=1e-10)
    # the eigenvectors diagonalise H
    v = result.eigenvectors
    np.testing.assert_allclose(v.T @ analytic @ v, np.diag(result.eigenvalues), atol=1e-9)


def test_himmelblau_minima_maximum_and_saddles():
    record = L.TEST_FUNCTIONS["himmelblau"]
    assert len(record.minima) == 4
    for point in record.minima:
        result = L.classify_critical_point(record.fn, point)
        assert result.kind == "minimum", point
        assert np.all(result.eigenvalues > 0)
    assert L.classify_critical_point(record.fn, record.maxima[0]).kind == "maximum"
    assert [L.classify_critical_point(record.fn, p).kind for p in record.saddles] == [
        "saddle"] * 4


def test_degenerate_and_not_critical():
    monkey = L.classify_critical_point(L.monkey_saddle, (0.0, 0.0))
    assert monkey.kind == "degenerate"
    np.testing.assert_allclose(monkey.eigenvalues, [0.0, 0.0])
    off = L.classify_critical_point(L.rosenbrock, (0.0, 0.0))
    assert off.kind == "not critical"
    np.testing.assert_allclose(off.gradient, [-2.0, 0.0])
    np.testing.assert_allclose(off.eigenvalues, [2.0, 200.0])
    # a flat direction with positive curvature elsewhere: degenerate, not a minimum
    flat = L.classify_critical_point(lambda x: x[0] ** 2 + x[1] ** 4, (0.0, 0.0))
    assert flat.kind == "degenerate"


def test_find_critical_point_by_newton_reaches_saddles_and_maxima():
    assert L.find_critical_point(L.saddle, (0.5, 0.3)).kind == "saddle"
    near_max = L.find_critical_point(L.himmelblau, (-0.3, -0.9))
    assert near_max.kind == "maximum"
    np.testing.assert_allclose(near_max.point, L.TEST_FUNCTIONS["himmelblau"].maxima[0],
                               atol=1e-9)


# ------------------------------------------------------------------ Hessian eigenvalues
def _random_quadratic(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    m = rng.standard_normal((n, n))
    a = (m + m.T) / 2
    x = mt.tensor(rng.standard_normal(n), dtype=mt.float64, requires_grad=True)
    matrix = mt.tensor(a, dtype=mt.float64)
    return a, x, (lambda: 0.5 * (x @ (matrix @ x)))


@pytest.mark.parametrize("method", ["lanczos", "power"])
@pytest.mark.parametrize("which", ["LA", "SA", "LM"])
def test_hessian_eigs_of_a_quadratic_match_eigvalsh(method, which):
    a, x, loss = _random_quadratic(12)
    exact = np.linalg.eigvalsh(a)
    expected = {"LA": exact[::-1], "SA": exact, "LM": exact[np.argsort(-np.abs(exact))]}[which]
    result = L.hessian_eigs(loss, [x], k=3, iters=2000, method=method, which=which, tol=1e-12)
    assert result.converged
    np.testing.assert_allclose(result.eigenvalues, expected[:3], rtol=1e-6, atol=1e-8)
    for value, vector in zip(result.eigenvalues, result.eigenvectors):
        np.testing.assert_allclose(a @ vector, value * vector, atol=1e-4)


def test_hvp_operator_is_the_hessian_times_v():
    a, x, loss = _random_quadratic(6, seed=3)
    matvec, n = L.hvp_operator(loss, [x])
    v = np.arange(6.0)
    assert n == 6
    np.testing.assert_allclose(matvec(v), a @ v, atol=1e-12)
    np.testing.assert_allclose(matvec(v), a @ v, atol=1e-12)  # the graph is reusable


def test_hessian_eigs_of_a_small_network_match_the_full_hessian():
    model = TinyNet(3, 4, 1, dtype=mt.float64)
    x, y = regression_data(32, 3, dtype=mt.float64)
    params = list(model.parameters())
    shapes = [tuple(p.shape) for p in params]
    sizes = [int(np.prod(s)) for s in shapes]

    def loss_of_flat(flat: mt.Tensor) -> mt.Tensor:
        pieces, start = [], 0
        for shape, size in zip(shapes, sizes):
            pieces.append(flat[start:start + size].reshape(shape))
            start += size
        w1, b1, w2, b2 = pieces
        return mse(mt.tanh(x @ w1 + b1) @ w2 + b2, y)

    flat = mt.tensor(np.concatenate([p._data.ravel() for p in params]), dtype=mt.float64)
    full = hessian(loss_of_flat, flat).numpy()
    exact = np.linalg.eigvalsh(full)
    top = L.hessian_eigs(lambda: mse(model(x), y), params, k=4, iters=200, tol=1e-10)
    np.testing.assert_allclose(top.eigenvalues, exact[::-1][:4], rtol=1e-6, atol=1e-9)
    bottom = L.hessian_eigs(lambda: mse(model(x), y), params, k=2, which="SA", tol=1e-10)
    np.testing.assert_allclose(bottom.eigenvalues, exact[:2], rtol=1e-6, atol=1e-9)
    power = L.hessian_eigs(lambda: mse(model(x), y), params, k=1, method="power", iters=3000,
                           tol=1e-12)
    assert power.eigenvalues[0] == pytest.approx(exact[-1], rel=1e-6)


def test_hessian_eigs_scale_to_a_few_thousand_parameters():
    rng = np.random.default_rng(0)
    x = mt.tensor(rng.standard_normal((128, 20)))
    y = mt.tensor(rng.standard_normal((128, 1)))
    sizes = [(20, 64), (64,), (64, 32), (32,), (32, 1), (1,)]
    params = [mt.tensor(0.3 * rng.standard_normal(s), requires_grad=True) for s in sizes]
    assert 3000 < sum(p.numel() for p in params) < 5000

    def loss() -> mt.Tensor:
        w1, b1, w2, b2, w3, b3 = params
        h = mt.tanh(mt.tanh(x @ w1 + b1) @ w2 + b2)
        return mse(h @ w3 + b3, y)

    lanczos = L.hessian_eigs(loss, params, k=2, iters=100, tol=1e-5)
    power = L.hessian_eigs(loss, params, k=1, method="power", iters=500, tol=1e-7)
    assert lanczos.converged and lanczos.n_hvp <= 100
    assert lanczos.eigenvalues[0] >= lanczos.eigenvalues[1] > 0
    assert power.eigenvalues[0] == pytest.approx(lanczos.eigenvalues[0], rel=1e-3)


def test_hessian_eigs_errors():
    _, x, loss = _random_quadratic(3)
    with pytest.raises(ValueError, match="which"):
        L.hessian_eigs(loss, [x], which="largest")
    with pytest.raises(ValueError, match="method"):
        L.hessian_eigs(loss, [x], method="arnoldi")
    with pytest.raises(ValueError, match="k=4"):
        L.hessian_eigs(loss, [x], k=4)


# ------------------------------------------------------------------ trajectories
def test_trajectory_records_the_real_optimizer_steps():
    run = L.trajectory(L.rosenbrock, optim.SGD, (-1.2, 1.0), 5, lr=1e-3)
    assert run.path.shape == (6, 2) and run.losses.shape == (6,) and run.lrs.shape == (5,)
    np.testing.assert_allclose(run.path[0], [-1.2, 1.0])
    # the first step by hand: ∇f = (−2(1 − x) − 400 x (y − x²), 200 (y − x²))
    x, y = -1.2, 1.0
    grad = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
    np.testing.assert_allclose(run.path[1], np.array([x, y]) - 1e-3 * grad, rtol=1e-12)
    for point, value in zip(run.path, run.losses):
        assert value == pytest.approx(L.rosenbrock(mt.tensor(point, dtype=mt.float64)).item())
    assert not run.diverged and run.name == "SGD(lr=0.001)"


@pytest.mark.parametrize("cls, kwargs, steps", [
    (optim.Adam, dict(lr=0.1), 1500),
    (optim.SGD, dict(lr=2e-3, momentum=0.9), 1500),
])
def test_convergent_optimizers_reach_the_rosenbrock_minimum(cls, kwargs, steps):
    run = L.trajectory(L.rosenbrock, cls, (-1.2, 1.0), steps, **kwargs)
    assert run.distance_to((1.0, 1.0)) < 1e-2
    assert run.final_loss < 1e-4
    assert run.steps_to((1.0, 1.0), 0.05) is not None


def test_trajectories_on_himmelblau_reach_a_known_minimum():
    record = L.TEST_FUNCTIONS["himmelblau"]
    for start in [(0.0, 0.0), (-1.0, 1.0), (-1.0, -1.5), (1.0, -2.5)]:
        run = L.trajectory(record.fn, optim.SGD, start, 400, lr=0.005, momentum=0.5)
        assert record.distance_to_minimum(run.final_point) < 1e-6


def test_gradient_descent_diverges_exactly_past_two_over_lambda_max():
    q = L.quadratic(condition_number=10.0)
    x = mt.tensor([1.0, 1.0], dtype=mt.float64, requires_grad=True)
    lam = L.hessian_eigs(lambda: q(x), [x]).eigenvalues[0]
    assert lam == pytest.approx(10.0, rel=1e-10)
    stable = L.trajectory(q, optim.SGD, (1.0, 1.0), 500, lr=0.99 * 2 / lam)
    unstable = L.trajectory(q, optim.SGD, (1.0, 1.0), 500, lr=1.01 * 2 / lam)
    assert stable.final_loss < 1e-6 * stable.losses[0]
    assert unstable.final_loss > 1e6 * unstable.losses[0]
    # along the top eigenvector the error is multiplied by (1 − lr·λ) each step
    np.testing.assert_allclose(unstable.path[500, 1], (1 - 1.01 * 2) ** 500, rtol=1e-8)


def test_trajectory_divergence_noise_and_scheduler():
    blown = L.trajectory(L.rosenbrock, optim.SGD, (-1.2, 1.0), 200, lr=0.1)
    assert blown.diverged and np.isnan(blown.losses[-1]) and np.isnan(blown.final_point).all()
    quiet = L.trajectory(L.saddle, optim.SGD, (1.0, 0.0), 50, lr=0.05)
    noisy = L.trajectory(L.saddle, optim.SGD, (1.0, 0.0), 50, lr=0.05, noise=1e-3, seed=0)
    assert np.all(quiet.path[:, 1] == 0.0) and abs(noisy.path[-1, 1]) > 0
    again = L.trajectory(L.saddle, optim.SGD, (1.0, 0.0), 50, lr=0.05, noise=1e-3, seed=0)
    np.testing.assert_array_equal(noisy.path, again.path)
    stepped = L.trajectory(
        L.saddle, optim.SGD, (1.0, 0.0), 6, lr=0.1,
        scheduler=lambda opt: optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5))
    np.testing.assert_allclose(stepped.lrs, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025])


# ------------------------------------------------------------------ loss landscapes
def test_loss_landscape_1d_restores_the_model_and_is_centred_on_its_loss():
    model = TinyNet()
    x, y = regression_data()
    saved = snapshot(model)
    result = L.loss_landscape(model, mse, (x, y), directions=1, steps=11, span=0.5, seed=3)
    assert_same_state(model, saved)
    assert model.training  # the mode is restored too
    model.eval()
    with mt.no_grad():
        expected = mse(model(x), y).item()
    assert result.center_loss == expected
    assert result.losses.shape == (11,) and result.betas is None and result.ndim == 1
    assert result.alphas[5] == 0.0 and result.losses[5] == expected
    assert result.losses.min() <= expected < result.losses.max()


def test_loss_landscape_2d_and_a_dataloader():
    model = TinyNet()
    x, y = regression_data(60)
    saved = snapshot(model)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)  # batches of 16, 16, 16, 12
    result = L.loss_landscape(model, mse, loader, directions=2, steps=5, span=1.0)
    assert_same_state(model, saved)
    assert result.losses.shape == (5, 5) and result.betas is not None and result.ndim == 2
    model.eval()
    with mt.no_grad():
        expected = mse(model(x), y).item()
    assert result.losses[2, 2] == pytest.approx(expected, rel=1e-6)
    assert result.center_loss == pytest.approx(expected, rel=1e-6)


def test_filter_normalised_directions():
    model = TinyNet(3, 6, 2)
    direction = L.random_direction(model, rng=0)
    for (name, p), d in zip(model.named_parameters(), direction):
        if p.ndim == 1:
            assert not d.any(), name  # biases are left where they are
        else:
            np.testing.assert_allclose(np.linalg.norm(d, axis=1),
                                       np.linalg.norm(p._data, axis=1), rtol=1e-5)
    layer = L.random_direction(model, rng=0, normalization="layer", ignore_1d=False)
    for p, d in zip(model.parameters(), layer):
        assert np.linalg.norm(d) == pytest.approx(np.linalg.norm(p._data), rel=1e-5)
    with pytest.raises(ValueError, match="normalization"):
        L.random_direction(model, normalization="batch")


def test_interpolate_between_two_models():
    a, b = TinyNet(seed=0), TinyNet(seed=1)
    x, y = regression_data()
    saved_a, saved_b = snapshot(a), snapshot(b)
    result = L.interpolate(a, b, mse, (x, y), steps=5)
    assert_same_state(a, saved_a)
    assert_same_state(b, saved_b)
    with mt.no_grad():
        a.eval()
        b.eval()
        loss_a, loss_b = mse(a(x), y).item(), mse(b(x), y).item()
    np.testing.assert_allclose(result.alphas, [0, 0.25, 0.5, 0.75, 1])
    assert result.losses[0] == pytest.approx(loss_a, rel=1e-6)
    assert result.losses[-1] == pytest.approx(loss_b, rel=1e-6)
    assert result.barrier >= result.losses.max() - max(loss_a, loss_b) - 1e-6
    with pytest.raises(ValueError, match="shape"):
        L.interpolate(a, TinyNet(3, 7, 1), mse, (x, y))


# ------------------------------------------------------------------ lr range test
def test_lr_range_test_restores_the_model_and_finds_a_sensible_lr():
    model = TinyNet()
    model.eval()  # the test trains in train mode and must hand back an eval-mode model
    x, y = regression_data(128)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True, generator=mt.Generator(0))
    saved = snapshot(model)
    result = L.lr_range_test(model, mse, loader, optim.SGD, start_lr=1e-4, end_lr=100.0,
                             steps=80, momentum=0.9)
    assert_same_state(model, saved)
    assert not model.training
    assert all(p.grad is None for p in model.parameters())
    assert result.diverged and len(result.lrs) < 80
    ratios = result.lrs[1:] / result.lrs[:-1]
    np.testing.assert_allclose(ratios, (100.0 / 1e-4) ** (1 / 79), rtol=1e-9)
    assert result.lrs[0] == pytest.approx(1e-4)
    suggestion = result.suggestion()
    assert 1e-4 < suggestion < result.lrs[-1]
    assert result.best_lr > suggestion / 100
    # the smoothing: bias-corrected moving average, so the first value is the first loss
    assert result.losses[0] == pytest.approx(result.raw_losses[0])


def test_lr_range_test_with_a_single_batch_and_no_divergence():
    model = TinyNet()
    x, y = regression_data(32)
    result = L.lr_range_test(model, mse, (x, y), optim.Adam, start_lr=1e-6, end_lr=1e-4,
                             steps=10, smooth=1.0)
    assert not result.diverged and len(result.lrs) == 10
    np.testing.assert_array_equal(result.losses, result.raw_losses)
    with pytest.raises(ValueError, match="start_lr"):
        L.lr_range_test(model, mse, (x, y), optim.SGD, start_lr=1.0, end_lr=0.1)


def test_with_torch_style_modules_batchnorm_and_dropout():
    """nn.Sequential with BatchNorm1d (buffers) and Dropout: measurements are taken in eval
    mode, and everything, running statistics included, is put back."""
    mt.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(8, 1))
    x, y = regression_data(48)
    loss_fn = nn.MSELoss()
    saved = snapshot(model)
    assert len(list(model.buffers())) >= 2
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True,
                        generator=mt.Generator(0))
    finder = L.lr_range_test(model, loss_fn, loader, optim.SGD, start_lr=1e-3, end_lr=1.0,
                             steps=12)
    assert len(finder.lrs) >= 2
    assert_same_state(model, saved)
    assert model.training
    surface = L.loss_landscape(model, loss_fn, (x, y), steps=5)
    assert_same_state(model, saved)
    model.eval()
    with mt.no_grad():
        expected = loss_fn(model(x), y).item()
    assert surface.center_loss == expected and surface.losses[2] == expected
    top = L.hessian_eigs(lambda: loss_fn(model(x), y), model.parameters(), k=1)
    assert top.eigenvalues[0] > 0


# ------------------------------------------------------------------ plots
def test_plots_return_figures_and_write_pngs(tmp_path):
    pytest.importorskip("matplotlib")
    from microtensor.viz import landscape_plots as V

    runs = {name: L.trajectory(L.rosenbrock, cls, (-1.2, 1.0), 30, **kw)
            for name, cls, kw in [("SGD", optim.SGD, dict(lr=1e-3)),
                                  ("Adam", optim.Adam, dict(lr=0.05))]}
    model = TinyNet()
    x, y = regression_data()
    one = L.loss_landscape(model, mse, (x, y), steps=7)
    two = L.loss_landscape(model, mse, (x, y), directions=2, steps=5)
    interp = L.interpolate(model, TinyNet(seed=1), mse, (x, y), steps=5)
    finder = L.lr_range_test(model, mse, (x, y), optim.SGD, start_lr=1e-3, end_lr=10.0,
                             steps=20)
    figures = {
        "paths.png": V.plot_trajectories("rosenbrock", runs, resolution=40,
                                         path=tmp_path / "paths.png"),
        "plain.png": V.plot_trajectories(L.saddle, list(runs.values()), resolution=30,
                                         path=tmp_path / "plain.png"),
        "curves.png": V.plot_loss_curves(runs, path=tmp_path / "curves.png"),
        "one.png": V.plot_landscape(one, path=tmp_path / "one.png"),
        "two.png": V.plot_landscape(two, path=tmp_path / "two.png", levels=8),
        "interp.png": V.plot_interpolation(interp, path=tmp_path / "interp.png"),
        "finder.png": V.plot_lr_finder(finder, path=tmp_path / "finder.png"),
    }
    for name, figure in figures.items():
        assert hasattr(figure, "savefig"), name
        data = (tmp_path / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000, name
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary files left behind


def test_plot_paths_follow_savefig_rules(tmp_path):
    """A path without a suffix gets .png, another suffix picks the format, folders are made."""
    pytest.importorskip("matplotlib")
    from microtensor.viz import landscape_plots as V

    curves = {"a": np.array([3.0, 2.0, 1.0]), "b": np.array([3.0, 1.0, 0.5])}
    V.plot_loss_curves(curves, path=tmp_path / "curves")
    V.plot_loss_curves(curves, path=tmp_path / "deeper" / "curves.svg")
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in (tmp_path / "deeper" / "curves.svg").read_bytes()[:1000]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["curves.png", "curves.svg", "deeper"]


def test_every_plot_takes_data_then_path_then_keyword_options(tmp_path):
    """plot_x(data..., path=None, *, ax=None, ...): a path given second is saved, and a path
    where an Axes belongs (or an Axes where a path belongs) is a clear TypeError."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    from microtensor import viz

    history = {"train_loss": [1.0, 0.5, 0.25], "val_acc": [0.5, 0.7, 0.8]}
    viz.plot_history(history, tmp_path / "history.png")
    viz.plot_loss_curves({"a": np.array([3.0, 2.0])}, tmp_path / "curves.png")
    run = L.trajectory(L.saddle, optim.SGD, (1.0, 0.1), 5, lr=0.1)
    viz.plot_trajectories("saddle", {"SGD": run}, tmp_path / "paths.png", resolution=20)
    assert {p.name for p in tmp_path.iterdir()} == {"history.png", "curves.png", "paths.png"}
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes, got the file name"):
        viz.plot_history(history, ax="file.png")
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes, got the file name"):
        viz.plot_loss_curves({"a": np.array([1.0])}, ax=tmp_path / "x.png")
    axis = Figure().add_subplot()
    with pytest.raises(TypeError, match=r"path must be a file name .*an Axes goes in ax="):
        viz.plot_history(history, axis)
    with pytest.raises(TypeError, match="options such as bounds go by keyword"):
        viz.plot_trajectories("saddle", {"SGD": run}, ((-1, 1), (-1, 1)))
    assert not list(tmp_path.glob("*.tmp")) and len(list(tmp_path.iterdir())) == 3


def test_trajectory_legend_sits_below_the_axes_and_touching_paths_get_stripes():
    pytest.importorskip("matplotlib")
    from microtensor.viz import landscape_plots as V

    same = L.trajectory(L.saddle, optim.SGD, (1.0, 0.0), 20, lr=0.05)
    runs = {"first": same, "second": same.path.copy()}
    figure = V.plot_trajectories("saddle", runs, resolution=20)
    axis = figure.axes[0]
    figure.canvas.draw()
    legend_box = axis.get_legend().get_window_extent()
    assert legend_box.y1 <= axis.get_window_extent().y0  # below the plotting area
    widths = [line.get_linewidth() for line in axis.get_lines() if line.get_label() in runs]
    assert widths[0] > widths[1]  # the first drawn wider: both stay visible
    apart = {"left": np.array([[-1.0, 1.0], [-1.0, 0.5]]), "right": np.array([[1.0, 1.0],
                                                                              [1.0, 0.5]])}
    figure = V.plot_trajectories("saddle", apart, resolution=20)
    widths = [line.get_linewidth() for line in figure.axes[0].get_lines()
              if line.get_label() in apart]
    assert widths[0] == widths[1]


def test_history_epoch_ticks_are_whole_numbers():
    pytest.importorskip("matplotlib")
    from microtensor import viz

    figure = viz.plot_history({"loss": [1.0, 0.8, 0.5, 0.4, 0.3, 0.2, 0.15, 0.1, 0.09, 0.08]})
    figure.canvas.draw()
    ticks = figure.axes[0].get_xticks()
    assert len(ticks) >= 3 and all(float(t).is_integer() for t in ticks)
