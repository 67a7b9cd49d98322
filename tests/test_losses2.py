"""Losses of issue 14 (Huber, SmoothL1, KLDiv, GaussianNLL, PoissonNLL, CosineEmbedding,
MarginRanking, TripletMargin, HingeEmbedding, SoftMargin, MultiLabelSoftMargin, MultiMargin)
and F.normalize, F.cosine_similarity, F.pairwise_distance, F.one_hot: gradient checks (first
and second order) against NumPy references, values, modules and errors. PyTorch parity is in
the golden groups losses2* (tests/golden/cases_losses2.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from microtensor import nn
from tests.gradcheck_cases import Case

TARGETS_NP = np.array([0, 3, 1, 2, 3])
TARGETS = mt.tensor(TARGETS_NP)
SIGNS_NP = np.array([1.0, -1.0, 1.0, -1.0])
SIGNS = mt.tensor(SIGNS_NP, dtype=mt.float64)
CLASS_WEIGHT_NP = np.array([0.5, 2.0, 1.0, 1.5])
CLASS_WEIGHT = mt.tensor(CLASS_WEIGHT_NP, dtype=mt.float64)


def _np_huber(d, delta):
    a = np.abs(d)
    return np.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


def _np_multi_margin(x, t, p=1, margin=1.0, w=None):
    """(1/C)·Σ_{j≠y} w_y·max(0, margin - x_y + x_j)^p per row, averaged over rows."""
    n, c = x.shape
    right = x[np.arange(n), t][:, None]
    terms = np.maximum(0, margin - right + x) ** p
    terms[np.arange(n), t] = 0
    if w is not None:
        terms = terms * w[t][:, None]
    return (terms.sum(1) / c).mean()


def _np_logsigmoid(x):
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _np_norm(x, axis, p=2.0):
    return (np.abs(x) ** p).sum(axis=axis) ** (1 / p)


MULTILABEL_NP = np.array([[3, 0, -1, 1], [1, 2, 3, -1], [2, 2, -1, -1]])
MULTILABEL = mt.tensor(MULTILABEL_NP)


def _np_multilabel_margin(x, t):
    """Σ over listed y (up to the first -1, repeats counted) and unlisted j of
    max(0, 1 - x_y + x_j), over C, averaged over rows (loops: a reference, not fast)."""
    total = 0.0
    for row, labels in zip(x, t):
        listed = list(labels[:list(labels).index(-1)] if -1 in labels else labels)
        others = [j for j in range(len(row)) if j not in listed]
        total += sum(max(0.0, 1 - row[y] + row[j]) for y in listed for j in others) / len(row)
    return total / len(x)


GRADCHECK_CASES = [
    Case("loss2_huber", lambda x, y: F.huber_loss(x * 2, y, delta=0.8), [(3, 4), (3, 4)],
         reference=lambda x, y: _np_huber(x * 2 - y, 0.8).mean()),
    Case("loss2_smooth_l1", lambda x, y: F.smooth_l1_loss(x * 2, y, reduction="sum", beta=0.5),
         [(3, 4), (3, 4)], reference=lambda x, y: (_np_huber(x * 2 - y, 0.5) / 0.5).sum()),
    Case("loss2_kl_div", lambda x, y: F.kl_div(x, y.sigmoid(), reduction="batchmean"),
         [(3, 4), (3, 4)],
         reference=lambda x, y: ((s := 1 / (1 + np.exp(-y))) * (np.log(s) - x)).sum() / 3),
    Case("loss2_kl_div_log_target", lambda x, y: F.kl_div(x, y, reduction="sum",
                                                          log_target=True),
         [(3, 4), (3, 4)], reference=lambda x, y: (np.exp(y) * (y - x)).sum()),
    Case("loss2_gaussian_nll", lambda x, y, v: F.gaussian_nll_loss(x, y, v, full=True),
         [(3, 4), (3, 4), (3, 4)], positive=True,
         reference=lambda x, y, v: (0.5 * (np.log(v) + (x - y) ** 2 / v)
                                    + 0.5 * math.log(2 * math.pi)).mean()),
    Case("loss2_poisson_nll", lambda x, y: F.poisson_nll_loss(x, y, full=True), [(3, 4), (3, 4)],
         positive=True,
         reference=lambda x, y: (np.exp(x) - y * x + np.where(
             y > 1, y * np.log(y) - y + 0.5 * np.log(2 * math.pi * y), 0)).mean()),
    Case("loss2_cosine_embedding", lambda a, b: F.cosine_embedding_loss(
        a, b, mt.tensor([1, -1, 1, -1]), margin=-0.5), [(4, 3), (4, 3)],
         reference=lambda a, b: np.where(
             SIGNS_NP > 0, 1 - (c := (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12)
                                                            * ((b * b).sum(1) + 1e-12))),
             np.maximum(c + 0.5, 0)).mean()),
    Case("loss2_margin_ranking", lambda a, b: F.margin_ranking_loss(a, b, SIGNS, margin=2.0),
         [(4,), (4,)], reference=lambda a, b: np.maximum(0, -SIGNS_NP * (a - b) + 2).mean()),
    Case("loss2_hinge_embedding", lambda x: F.hinge_embedding_loss(x, SIGNS, margin=3.0),
         [(4,)], reference=lambda x: np.where(SIGNS_NP > 0, x, np.maximum(0, 3 - x)).mean()),
    Case("loss2_soft_margin", lambda x: F.soft_margin_loss(x, SIGNS), [(4,)],
         reference=lambda x: np.log1p(np.exp(-x * SIGNS_NP)).mean()),
    Case("loss2_multilabel_soft_margin", lambda x, y: F.multilabel_soft_margin_loss(
        x, y.sigmoid(), weight=CLASS_WEIGHT), [(3, 4), (3, 4)],
         reference=lambda x, y: (-(CLASS_WEIGHT_NP * ((s := 1 / (1 + np.exp(-y)))
                                                       * _np_logsigmoid(x) + (1 - s)
                                                       * _np_logsigmoid(-x)))).sum(1).mean()
         / 4),
    Case("loss2_multi_margin", lambda x: F.multi_margin_loss(x, TARGETS, margin=2.0), [(5, 4)],
         reference=lambda x: _np_multi_margin(x, TARGETS_NP, margin=2.0)),
    Case("loss2_multi_margin_p2_weight", lambda x: F.multi_margin_loss(
        x, TARGETS, p=2, weight=CLASS_WEIGHT), [(5, 4)],
         reference=lambda x: _np_multi_margin(x, TARGETS_NP, 2, 1.0, CLASS_WEIGHT_NP)),
    Case("loss2_multilabel_margin", lambda x: F.multilabel_margin_loss(x, MULTILABEL), [(3, 4)],
         reference=lambda x: _np_multilabel_margin(x, MULTILABEL_NP)),
    Case("loss2_triplet_margin", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0,
                                                                       swap=True),
         [(4, 3), (4, 3), (4, 3)],
         reference=lambda a, p, n: np.maximum(0, 3 + _np_norm(a - p + 1e-6, 1) - np.minimum(
             _np_norm(a - n + 1e-6, 1), _np_norm(p - n + 1e-6, 1))).mean()),
    Case("loss2_pairwise_distance", lambda a, b: F.pairwise_distance(a, b, p=3.0), [(4, 3), (3,)],
         reference=lambda a, b: _np_norm(a - b + 1e-6, 1, 3.0)),
    Case("loss2_normalize", lambda x: F.normalize(x, dim=0), [(3, 4)],
         reference=lambda x: x / _np_norm(x, 0)),
    Case("loss2_cosine_similarity", lambda a, b: F.cosine_similarity(a, b, dim=-1),
         [(4, 3), (4, 3)],
         reference=lambda a, b: (a * b).sum(-1) / (_np_norm(a, -1) * _np_norm(b, -1))),
]


def test_multi_margin_counts_only_strict_violations():
    # row 0: margin - x_y + x_j = 1 - 1 + 0 = 0 (not a violation) and 1 - 1 + 0.5 = 0.5
    x = mt.tensor([[1.0, 0.0, 0.5]], dtype=mt.float64, requires_grad=True)
    loss = F.multi_margin_loss(x, mt.tensor([0]))
    np.testing.assert_allclose(loss.item(), 0.5 / 3)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[-1 / 3, 0.0, 1 / 3]])


def test_multi_margin_second_derivative_for_p2():
    x = mt.tensor([[0.2, 0.5, -0.1]], dtype=mt.float64, requires_grad=True)
    loss = F.multi_margin_loss(x, mt.tensor([0]), p=2)
    (g,) = mt.autograd.grad(loss, x, create_graph=True)
    (h,) = mt.autograd.grad(g[0, 1], x)
    # ∂/∂x₁ of (2/3)(1 - x₀ + x₁) is 2/3, of x₀: -2/3
    np.testing.assert_allclose(h.numpy(), [[-2 / 3, 2 / 3, 0.0]])


def test_huber_and_smooth_l1_values():
    x = mt.tensor([0.0, 0.5, 2.0, -3.0], dtype=mt.float64)
    y = mt.zeros(4, dtype=mt.float64)
    np.testing.assert_allclose(F.huber_loss(x, y, reduction="none").numpy(),
                               [0, 0.125, 1.5, 2.5])
    np.testing.assert_allclose(F.smooth_l1_loss(x, y, reduction="none", beta=2.0).numpy(),
                               [0, 0.0625, 1.0, 2.0])
    np.testing.assert_allclose(F.smooth_l1_loss(x, y, beta=0.0).item(), 5.5 / 4)


def test_kl_div_reductions_and_zero_target():
    x = mt.tensor([[-1.0, -2.0], [-0.5, -1.0]], dtype=mt.float64)
    y = mt.tensor([[0.0, 1.0], [0.5, 0.5]], dtype=mt.float64)
    pointwise = np.array([[0.0, 2.0], [0.5 * (np.log(0.5) + 0.5), 0.5 * (np.log(0.5) + 1)]])
    np.testing.assert_allclose(F.kl_div(x, y, reduction="none").numpy(), pointwise)
    np.testing.assert_allclose(F.kl_div(x, y, reduction="batchmean").item(), pointwise.sum() / 2)
    with pytest.warns(UserWarning, match="batchmean"):
        np.testing.assert_allclose(F.kl_div(x, y).item(), pointwise.mean())


def test_kl_div_gradient_at_a_zero_target_is_finite():
    y = mt.tensor([0.0, 0.5], dtype=mt.float64, requires_grad=True)
    x = mt.tensor([-1.0, -2.0], dtype=mt.float64)
    F.kl_div(x, y, reduction="sum").backward()
    # d/dy of y·log y - y·x: log y + 1 - x, and -x where y = 0 (PyTorch: NaN there)
    np.testing.assert_allclose(y.grad.numpy(), [1.0, np.log(0.5) + 1 + 2])


def test_gaussian_nll_clamps_variance_but_passes_its_gradient():
    v = mt.tensor([0.0, 2.0], dtype=mt.float64, requires_grad=True)
    x = mt.tensor([1.0, 1.0], dtype=mt.float64)
    loss = F.gaussian_nll_loss(x, mt.zeros(2, dtype=mt.float64), v, eps=0.1, reduction="sum")
    np.testing.assert_allclose(loss.item(), 0.5 * (np.log(0.1) + 10) + 0.5 * (np.log(2) + 0.5))
    loss.backward()
    # d/dv of ½(log v + 1/v) at the clamped value 0.1 and at 2
    np.testing.assert_allclose(v.grad.numpy(), [0.5 * (10 - 100), 0.5 * (0.5 - 0.25)])


def test_loss_errors():
    x = mt.randn(3, 4)
    with pytest.raises(RuntimeError, match="non-positive values for delta"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(RuntimeError, match="negative values for beta"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(x, x, mt.ones(4))
    with pytest.raises(ValueError, match="negative entry"):
        F.gaussian_nll_loss(x, x, -mt.ones(3, 4))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(x, mt.tensor([0, 1, 2]), p=3)
    with pytest.raises(RuntimeError, match="target out of range"):
        F.multi_margin_loss(x, mt.tensor([0, 1, 4]))
    with pytest.raises(RuntimeError, match="Expected target size \\[3\\]"):
        F.multi_margin_loss(x, mt.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="1D target tensor expects 2D input"):
        F.cosine_embedding_loss(x, x[0], mt.tensor([1, -1, 1]))
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_loss(x, x, x[0])
    with pytest.raises(RuntimeError, match="same dimension"):
        F.margin_ranking_loss(x[0], x[1], mt.ones(1, 4))
    with pytest.raises(RuntimeError, match="not differentiable with respect to argument"):
        F.soft_margin_loss(x, mt.ones(3, 4, requires_grad=True))


def test_one_hot_edge_cases():
    empty = mt.zeros(0, dtype=mt.int64)
    assert tuple(F.one_hot(empty, 3).shape) == (0, 3)
    with pytest.raises(RuntimeError, match="Can not infer total number of classes"):
        F.one_hot(empty)
    with pytest.raises(RuntimeError, match="Class values must be non-negative"):
        F.one_hot(mt.tensor([0, -1]), 3)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        F.one_hot(mt.tensor([0, 3]), 3)
    with pytest.raises(RuntimeError, match="LongTensor"):
        F.one_hot(mt.tensor([0, 1], dtype=mt.int32), 3)


def test_cosine_similarity_stays_in_range_and_handles_zero_vectors():
    a = mt.tensor([[1e100, 1e100], [0.0, 0.0]], dtype=mt.float64)
    b = mt.tensor([[1e100, 1e100], [1.0, 0.0]], dtype=mt.float64)
    np.testing.assert_allclose(F.cosine_similarity(a, b).numpy(), [1.0, 0.0])


def test_loss_modules():
    x, y = mt.randn(4, 3, dtype=mt.float64), mt.randn(4, 3, dtype=mt.float64)
    assert nn.HuberLoss(delta=0.5)(x, y).item() == F.huber_loss(x, y, delta=0.5).item()
    assert nn.KLDivLoss(reduction="batchmean")(x, y).shape == ()
    assert nn.MultiMarginLoss(weight=mt.ones(3, dtype=mt.float64))(
        x, mt.tensor([0, 1, 2, 0])).shape == ()
    assert "weight" in dict(nn.MultiLabelSoftMarginLoss(mt.ones(3)).named_buffers())
    assert nn.TripletMarginLoss(swap=True)(x, y, -x).shape == ()
    with pytest.raises(ValueError):
        nn.MultiMarginLoss(p=3)
    scores = mt.tensor([[0.1, 0.9, 0.3]], dtype=mt.float64)
    # listed {1}: 1 - 0.9 + 0.1 = 0.2 and 1 - 0.9 + 0.3 = 0.4, over C = 3
    np.testing.assert_allclose(nn.MultiLabelMarginLoss()(scores, mt.tensor([[1, -1, 0]])).item(),
                               0.2)


def test_losses_match_pytorch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, y, v = (rng.standard_normal((4, 5)) for _ in range(3))
    t = rng.integers(0, 5, 4)
    pairs = [
        (lambda lib, a, b: lib.nn.functional.huber_loss(a, b, delta=0.4), (x, y)),
        (lambda lib, a, b: lib.nn.functional.poisson_nll_loss(a, b.abs(), full=True), (x, y)),
        (lambda lib, a, b: lib.nn.functional.gaussian_nll_loss(a, b, (a * b).abs()), (x, y)),
        (lambda lib, a, b: lib.nn.functional.multilabel_soft_margin_loss(a, b.sigmoid()),
         (x, y)),
        (lambda lib, a, b: lib.nn.functional.multi_margin_loss(a, lib.tensor(t), p=2), (x, y)),
        (lambda lib, a, b: lib.nn.functional.triplet_margin_loss(a, b, a * b, p=1.5), (x, y)),
        (lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=0), (x, v)),
    ]
    for fn, arrays in pairs:
        ours = fn(mt, *(mt.tensor(a) for a in arrays)).numpy()
        theirs = fn(torch, *(torch.tensor(a) for a in arrays)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


_X = mt.ones(2, 3)
# (function, call with the non-tensor v, argument, position): the F functions of this family
NON_TENSOR_CALLS = [
    ("huber_loss", lambda v: F.huber_loss(v, _X), "input", 1),
    ("smooth_l1_loss", lambda v: F.smooth_l1_loss(_X, v), "target", 2),
    ("kl_div", lambda v: F.kl_div(v, _X, reduction="sum"), "input", 1),
    ("gaussian_nll_loss", lambda v: F.gaussian_nll_loss(v, _X, _X), "input", 1),
    ("poisson_nll_loss", lambda v: F.poisson_nll_loss(v, _X), "input", 1),
    ("cosine_embedding_loss", lambda v: F.cosine_embedding_loss(v, _X, mt.ones(2)), "input1",
     1),
    ("margin_ranking_loss", lambda v: F.margin_ranking_loss(v, _X, _X), "input1", 1),
    ("triplet_margin_loss", lambda v: F.triplet_margin_loss(v, _X, _X), "anchor", 1),
    ("hinge_embedding_loss", lambda v: F.hinge_embedding_loss(v, _X), "input", 1),
    ("soft_margin_loss", lambda v: F.soft_margin_loss(v, _X), "input", 1),
    ("multilabel_soft_margin_loss", lambda v: F.multilabel_soft_margin_loss(v, _X), "input", 1),
    ("multi_margin_loss", lambda v: F.multi_margin_loss(v, mt.tensor([0, 1])), "input", 1),
    ("multilabel_margin_loss", lambda v: F.multilabel_margin_loss(_X, v), "target", 2),
    ("normalize", lambda v: F.normalize(v), "input", 1),
    ("cosine_similarity", lambda v: F.cosine_similarity(v, _X), "x1", 1),
    ("pairwise_distance", lambda v: F.pairwise_distance(v, _X), "x1", 1),
]


@pytest.mark.parametrize("name, call, argument, position", NON_TENSOR_CALLS,
                         ids=[f"{c[0]}-{c[2]}" for c in NON_TENSOR_CALLS])
def test_functions_refuse_non_tensors(name, call, argument, position):
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument '{argument}' \(position "
                       rf"{position}\) must be Tensor, not list"):
        call([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def test_every_function_of_the_family_is_checked_for_non_tensors():
    from tests import test_activations2

    covered = {c[0] for c in NON_TENSOR_CALLS + test_activations2.NON_TENSOR_CALLS}
    ours = {name for name in F.__all__ if getattr(F, name).__module__ in (
        "microtensor.ops.activations", "microtensor.ops.losses")}
    assert ours - {"relu", "leaky_relu", "elu"} <= covered
