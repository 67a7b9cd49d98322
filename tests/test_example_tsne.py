"""The t-SNE lesson (examples/tsne.py): its claims, checked on the ``--fast`` setting."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt

pytest.importorskip("sklearn", reason="the digits and the comparison need scikit-learn")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))
import tsne  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("tsne")
    result = tsne.main(["--fast", "--out", str(out)])
    result["out"] = out
    return result


def entropy_of_rows(probabilities: np.ndarray) -> np.ndarray:
    """−Σⱼ p log p per row, written independently of the lesson's shortcut formula."""
    safe = np.where(probabilities > 0, probabilities, 1.0)
    return -(probabilities * np.log(safe)).sum(axis=1)


def test_bisection_gives_every_point_the_requested_perplexity(run) -> None:
    points, _ = tsne.load_digits(tsne.FAST["samples"])
    conditional, beta = tsne.calibrate_precisions(tsne.squared_distances(points), 30.0)
    np.testing.assert_allclose(np.exp(entropy_of_rows(conditional)), 30.0, rtol=1e-4)
    np.testing.assert_allclose(conditional.sum(axis=1), 1.0, rtol=1e-12)
    assert np.all(np.diag(conditional) == 0)
    np.testing.assert_array_equal(beta, run["beta"])


def test_bisection_on_a_line_of_points_by_hand() -> None:
    # 5 points at 0, 1, 2, 3, 4: every row must reach perplexity 2 (entropy log 2)
    points = np.arange(5.0)[:, None]
    conditional, beta = tsne.calibrate_precisions(tsne.squared_distances(points), 2.0,
                                                  tolerance=1e-10)
    np.testing.assert_allclose(entropy_of_rows(conditional), math.log(2), atol=1e-9)
    # the middle point has neighbours on both sides: it needs the sharpest Gaussian
    assert beta[2] == beta.max() and beta[0] == pytest.approx(beta[4])
    # pⱼ|ᵢ ∝ exp(−βᵢ dᵢⱼ), checked for point 0 directly
    weights = np.exp(-beta[0] * np.array([1.0, 4.0, 9.0, 16.0]))
    np.testing.assert_allclose(conditional[0, 1:], weights / weights.sum(), rtol=1e-12)


def test_joint_p_raises_vanishing_entries_to_machine_epsilon() -> None:
    # two groups 1000 apart: between them exp(−β·10⁶) underflows to 0, and P keeps ε
    points = np.array([[0.0], [1.0], [2.0], [1000.0], [1001.0], [1002.0]])
    P, _ = tsne.joint_probabilities(points, 2.0)
    assert np.all(P[:3, 3:] == tsne.MACHINE_EPSILON) and np.all(P[3:, :3] == tsne.MACHINE_EPSILON)
    assert P[0, 0] == 0 and P.sum() == pytest.approx(1.0, rel=1e-12)


def test_joint_p_is_symmetric_sums_to_one_and_equals_sklearns(run) -> None:
    P = run["P"]
    np.testing.assert_array_equal(P, P.T)
    assert P.sum() == pytest.approx(1.0, rel=1e-12)
    assert np.all(np.diag(P) == 0)
    assert P[~np.eye(len(P), dtype=bool)].min() >= tsne.MACHINE_EPSILON
    private = pytest.importorskip("sklearn.manifold._t_sne")
    squareform = pytest.importorskip("scipy.spatial.distance").squareform
    points, _ = tsne.load_digits(tsne.FAST["samples"])
    theirs = private._joint_probabilities(tsne.squared_distances(points), 30.0, 0)
    np.testing.assert_allclose(squareform(P, checks=False), theirs, rtol=1e-9, atol=1e-18)


@pytest.mark.parametrize("exaggeration", [1.0, 12.0])
def test_autograd_gradient_is_the_papers_closed_form(run, exaggeration) -> None:
    P = run["P"] * exaggeration
    embedding = np.random.default_rng(0).standard_normal((len(P), 2)) * 3
    leaf = mt.tensor(embedding, dtype=mt.float64, requires_grad=True)
    tsne.tsne_objective(leaf, mt.tensor(P)).backward()
    expected = tsne.closed_form_gradient(P, embedding)
    np.testing.assert_allclose(leaf.grad.numpy(), expected, rtol=1e-10,
                               atol=1e-12 * np.abs(expected).max())


def test_the_objective_plus_a_constant_is_kl_p_q(run) -> None:
    P = run["P"]
    embedding = np.random.default_rng(1).standard_normal((len(P), 2))
    kernel = 1 / (1 + tsne.squared_distances(embedding))
    np.fill_diagonal(kernel, 0)
    Q = kernel / kernel.sum()
    off = ~np.eye(len(P), dtype=bool)
    direct = (P[off] * np.log(P[off] / Q[off])).sum()
    assert tsne.kl_divergence(P, embedding) == pytest.approx(direct, rel=1e-12)


def test_kl_falls_after_the_exaggeration_ends_and_ends_near_sklearns(run) -> None:
    history = run["history"]
    assert history["iteration"] == list(range(0, tsne.FAST["iterations"] + 1, 50))
    after = history["kl"][history["iteration"].index(250):]
    assert all(b <= a * (1 + 1e-3) for a, b in zip(after, after[1:]))
    assert after[-1] < 0.5 * after[0]
    assert run["kl"] == history["kl"][-1]
    assert run["args"].lr == 50.0  # sklearn's "auto": max(400 / 12 / 4, 50), passed to both
    assert abs(run["kl"] - run["sklearn_kl"]) <= 0.10 * run["sklearn_kl"]
    # sklearn's kl_divergence_ is computed as ours is: our KL of its embedding agrees
    theirs = tsne.kl_divergence(run["P"], run["sklearn_embedding"])
    assert theirs == pytest.approx(run["sklearn_kl"], rel=1e-2)


def test_neighbours_stay_neighbours(run) -> None:
    assert run["trustworthiness"] >= 0.95
    assert run["sklearn_trustworthiness"] >= 0.95
    # the digits form clusters: a point's nearest embedded neighbour mostly has its label
    distances = tsne.squared_distances(run["embedding"])
    np.fill_diagonal(distances, np.inf)
    same_label = run["labels"][distances.argmin(axis=1)] == run["labels"]
    assert same_label.mean() > 0.9


def test_gains_and_momentum_follow_the_papers_rule() -> None:
    P = np.array([[0, 0.3, 0.1], [0.3, 0, 0.1], [0.1, 0.1, 0]])
    start = np.array([[0.0, 1.0], [1.0, 0.5], [-1.0, 0.2]])
    embedding = mt.tensor(start, dtype=mt.float64, requires_grad=True)
    tsne.descend(embedding, mt.tensor(P), 2, lr=0.5, momentum=0.7, after_step=lambda _: None)
    # by hand: step 1 has no previous step, so every gain shrinks to 0.8
    first = -0.5 * 0.8 * tsne.closed_form_gradient(P, start)
    middle = start + first
    gradient = tsne.closed_form_gradient(P, middle)
    gains = np.where(first * gradient < 0, 0.8 + 0.2, 0.8 * 0.8)
    expected = middle + 0.7 * first - 0.5 * gains * gradient
    np.testing.assert_allclose(embedding.detach().numpy(), expected, rtol=1e-12)


def test_pca_start_is_sklearns_scaled_to_1e_minus_4() -> None:
    from sklearn.decomposition import PCA

    points, _ = tsne.load_digits(300)
    ours = tsne.initial_embedding(points, "pca", seed=0)
    theirs = PCA(n_components=2, svd_solver="full").fit_transform(points)
    theirs = theirs / theirs[:, 0].std() * 1e-4
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-12)
    assert ours[:, 0].std() == pytest.approx(1e-4)
    random = tsne.initial_embedding(points, "random", seed=0)
    assert random.shape == (300, 2) and 0.9e-2 < random.std() < 1.1e-2  # N(0, 10⁻⁴ I)


def test_files_are_written(run) -> None:
    saved = np.load(run["out"] / "tsne.npz")
    np.testing.assert_array_equal(saved["embedding"], run["embedding"])
    assert saved["sklearn_embedding"].shape == (tsne.FAST["samples"], 2)
    pytest.importorskip("matplotlib")
    assert run["plotted"]
    png = (run["out"] / "tsne.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000


def test_run_as_a_script(tmp_path) -> None:
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "tsne.py"), "--fast", "--samples", "120",
         "--iterations", "60", "--exaggeration-iters", "20", "--no-sklearn",
         "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=True)
    assert "data: 120 digits, 64 dims" in completed.stdout
    assert "ours:" in completed.stdout and "scikit-learn" not in completed.stdout
    assert (tmp_path / "tsne.npz").is_file()
