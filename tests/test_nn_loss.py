"""Losses: gradient checks of the fused loss primitives, values against NumPy, exact parity
with PyTorch (float64) over reductions, weights, ignore_index and label smoothing."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from microtensor import nn
from tests.gradcheck_cases import Case

TARGET_NP = np.array([1, 0, 3, -100, 2])
TARGET_4D_NP = np.random.default_rng(0).integers(0, 3, (2, 2, 3))
CLASS_WEIGHT_NP = np.array([0.5, 2.0, 1.0, 1.5])
TARGET = mt.tensor(TARGET_NP)
TARGET_4D = mt.tensor(TARGET_4D_NP)
CLASS_WEIGHT = mt.tensor(CLASS_WEIGHT_NP, dtype=mt.float64)


def _np_log_softmax(x, axis=1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return np.log(e / e.sum(axis=axis, keepdims=True))


def _np_cross_entropy(x, target, weight=None, smoothing=0.0, reduction="mean",
                      ignore_index=-100):
    """PyTorch's cross-entropy with class-index targets, classes on axis 1:
    ℓᵢ = (1-ε)·w[tᵢ]·(-log pᵢ[tᵢ]) + (ε/C)·Σ_c w[c]·(-log pᵢ[c]), 0 where tᵢ is ignored;
    "mean" divides Σ ℓᵢ by Σ w[tᵢ] over the kept positions."""
    classes = x.shape[1]
    w = np.ones(classes) if weight is None else weight
    kept = target != ignore_index
    t = np.where(kept, target, 0)
    nll = -np.moveaxis(_np_log_softmax(x), 1, -1)  # (N, d..., C)
    picked = np.take_along_axis(nll, t[..., None], axis=-1)[..., 0]
    loss = (1 - smoothing) * w[t] * picked + smoothing / classes * (nll * w).sum(axis=-1)
    loss = np.where(kept, loss, 0.0)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / np.where(kept, w[t], 0.0).sum()


def _np_soft_cross_entropy(x, logits_of_target, smoothing):
    """Probability targets q = softmax(y) smoothed to (1-ε)·q + ε/C: mean of -Σ_c q_c log p_c."""
    q = np.exp(_np_log_softmax(logits_of_target))
    q = (1 - smoothing) * q + smoothing / x.shape[1]
    return (-(q * _np_log_softmax(x)).sum(axis=1)).mean()


def _np_nll_loss(x, target, weight=None, reduction="mean"):
    """-w[tᵢ]·x[i, tᵢ], 0 where tᵢ = -100; "mean" divides by Σ w[tᵢ] over the kept rows."""
    w = np.ones(x.shape[1]) if weight is None else weight
    kept = target != -100
    t = np.where(kept, target, 0)
    loss = np.where(kept, -w[t] * x[np.arange(len(t)), t], 0.0)
    if reduction == "none":
        return loss
    return loss.sum() / np.where(kept, w[t], 0.0).sum()


def _np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _np_bce(p, y, weight=1.0):
    """-w·(y log p + (1-y) log(1-p)), each log clamped at -100 (PyTorch)."""
    return -weight * (y * np.maximum(np.log(p), -100) + (1 - y) * np.maximum(np.log(1 - p), -100))


def _np_bce_with_logits(x, y, weight=1.0, pos_weight=1.0):
    """-w·(pw·y·log σ(x) + (1-y)·log(1-σ(x)))."""
    s = _np_sigmoid(x)
    return -weight * (pos_weight * y * np.log(s) + (1 - y) * np.log(1 - s))


GRADCHECK_CASES = [
    Case("nn_cross_entropy", lambda x: F.cross_entropy(x, TARGET), [(5, 4)],
         reference=lambda x: _np_cross_entropy(x, TARGET_NP)),
    Case("nn_cross_entropy_weight_smoothing",
         lambda x: F.cross_entropy(x, TARGET, weight=CLASS_WEIGHT, label_smoothing=0.2), [(5, 4)],
         reference=lambda x: _np_cross_entropy(x, TARGET_NP, CLASS_WEIGHT_NP, 0.2)),
    Case("nn_cross_entropy_sum",
         lambda x: F.cross_entropy(x, TARGET, reduction="sum", label_smoothing=0.1), [(5, 4)],
         reference=lambda x: _np_cross_entropy(x, TARGET_NP, smoothing=0.1, reduction="sum")),
    Case("nn_cross_entropy_none_4d", lambda x: F.cross_entropy(x, TARGET_4D, reduction="none"),
         [(2, 3, 2, 3)],
         reference=lambda x: _np_cross_entropy(x, TARGET_4D_NP, reduction="none")),
    Case("nn_cross_entropy_probabilities",
         lambda x, y: F.cross_entropy(x, y.softmax(1), label_smoothing=0.1), [(3, 4), (3, 4)],
         reference=lambda x, y: _np_soft_cross_entropy(x, y, 0.1)),
    Case("nn_nll_loss", lambda x: F.nll_loss(x, TARGET, weight=CLASS_WEIGHT), [(5, 4)],
         reference=lambda x: _np_nll_loss(x, TARGET_NP, CLASS_WEIGHT_NP)),
    Case("nn_nll_loss_none", lambda x: F.nll_loss(x, TARGET, reduction="none"), [(5, 4)],
         reference=lambda x: _np_nll_loss(x, TARGET_NP, reduction="none")),
    Case("nn_bce", lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid()),
         [(3, 4), (3, 4)],
         reference=lambda x, y: _np_bce(_np_sigmoid(x), _np_sigmoid(y)).mean()),
    Case("nn_bce_weight_none",
         lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid(), weight=CLASS_WEIGHT,
                                             reduction="none"), [(3, 4), (3, 4)],
         reference=lambda x, y: _np_bce(_np_sigmoid(x), _np_sigmoid(y), CLASS_WEIGHT_NP)),
    Case("nn_bce_with_logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid()),
         [(3, 4), (3, 4)],
         reference=lambda x, y: _np_bce_with_logits(x, _np_sigmoid(y)).mean()),
    Case("nn_bce_with_logits_pos_weight",
         lambda x, y: F.binary_cross_entropy_with_logits(
             x * 3, y.sigmoid(), weight=CLASS_WEIGHT, pos_weight=CLASS_WEIGHT * 2,
             reduction="sum"), [(3, 4), (3, 4)],
         reference=lambda x, y: _np_bce_with_logits(x * 3, _np_sigmoid(y), CLASS_WEIGHT_NP,
                                                    CLASS_WEIGHT_NP * 2).sum()),
    Case("nn_mse", F.mse_loss, [(3, 4), (3, 4)], reference=lambda x, y: ((x - y) ** 2).mean()),
    Case("nn_mse_broadcast_none", lambda x, y: F.mse_loss(x, y, reduction="none"),
         [(3, 4), (3, 4)], reference=lambda x, y: (x - y) ** 2),
    Case("nn_l1", lambda x, y: F.l1_loss(x, y, reduction="sum"), [(3, 4), (3, 4)],
         reference=lambda x, y: np.abs(x - y).sum()),
]


def _rng(seed=0):
    return np.random.default_rng(seed)


def _log_softmax(x, axis=1):
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


# --------------------------------------------------------------------------- values vs NumPy


def test_cross_entropy_matches_numpy_definition() -> None:
    x = _rng().standard_normal((6, 5)) * 3
    t = np.array([0, 4, 2, 2, 1, 3])
    logp = _log_softmax(x)
    expected = -logp[np.arange(6), t]
    out = F.cross_entropy(mt.tensor(x), mt.tensor(t), reduction="none").numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    assert F.cross_entropy(mt.tensor(x), mt.tensor(t)).item() == pytest.approx(expected.mean())


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n() -> None:
    x = mt.tensor(_rng(1).standard_normal((4, 3)), requires_grad=True)
    t = np.array([2, 0, 1, 1])
    F.cross_entropy(x, mt.tensor(t)).backward()
    p = np.exp(_log_softmax(x.detach().numpy()))
    onehot = np.eye(3)[t]
    np.testing.assert_allclose(x.grad.numpy(), (p - onehot) / 4, rtol=1e-10)


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    x = mt.tensor([[1000.0, 0.0, -1000.0]], dtype=mt.float64, requires_grad=True)
    loss = F.cross_entropy(x, mt.tensor([1]))
    assert loss.item() == pytest.approx(1000.0)
    loss.backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_cross_entropy_ignore_index_and_all_ignored() -> None:
    x = mt.tensor(_rng(2).standard_normal((3, 4)), requires_grad=True)
    loss = F.cross_entropy(x, mt.tensor([1, -100, 2]))
    both = F.cross_entropy(x[[0, 2]], mt.tensor([1, 2]))
    assert loss.item() == pytest.approx(both.item())
    loss.backward()
    assert (x.grad.numpy()[1] == 0).all()
    nothing = F.cross_entropy(mt.tensor(_rng(3).standard_normal((2, 4))), mt.tensor([-100, -100]))
    assert np.isnan(nothing.item())  # 0/0, as in PyTorch


def test_cross_entropy_argument_errors() -> None:
    x = mt.randn(3, 4)
    with pytest.raises(IndexError, match="Target 4 is out of bounds"):
        F.cross_entropy(x, mt.tensor([0, 4, 1]))
    with pytest.raises(ValueError, match=r"expected target of shape \(3,\)"):
        F.cross_entropy(x, mt.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="class-index targets must be an integer"):
        F.cross_entropy(x, mt.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(RuntimeError, match="integer"):
        F.nll_loss(x, mt.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="not a valid value for reduction"):
        F.cross_entropy(x, mt.tensor([0, 1, 2]), reduction="average")
    with pytest.raises(RuntimeError, match="one value per class"):
        F.cross_entropy(x, mt.tensor([0, 1, 2]), weight=mt.ones(3))


def test_nll_of_log_softmax_equals_cross_entropy() -> None:
    x = mt.tensor(_rng(4).standard_normal((5, 4)))
    t = mt.tensor([3, 1, 0, 0, 2])
    a = nn.NLLLoss()(nn.LogSoftmax(dim=1)(x), t)
    b = nn.CrossEntropyLoss()(x, t)
    assert a.item() == pytest.approx(b.item(), rel=1e-6)


def test_bce_clamps_logs_at_minus_100() -> None:
    p = mt.tensor([0.0, 1.0, 1.0], dtype=mt.float64)
    y = mt.tensor([1.0, 0.0, 1.0], dtype=mt.float64)
    out = F.binary_cross_entropy(p, y, reduction="none").numpy()
    np.testing.assert_allclose(out, [100.0, 100.0, 0.0])
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(mt.tensor([1.5]), mt.tensor([1.0]))
    with pytest.raises(ValueError, match="same as input size"):
        F.binary_cross_entropy(mt.tensor([0.5, 0.5]), mt.tensor([1.0]))


def test_bce_with_logits_is_stable_and_matches_bce_of_sigmoid() -> None:
    x = mt.tensor([-800.0, -30.0, 0.0, 30.0, 800.0], dtype=mt.float64, requires_grad=True)
    y = mt.tensor([1.0, 0.0, 1.0, 1.0, 0.0], dtype=mt.float64)
    out = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    tiny = np.log1p(np.exp(-30.0))  # log(1 + e^-30): no cancellation against ±30
    np.testing.assert_allclose(out.detach().numpy(), [800.0, tiny, np.log(2), tiny, 800.0],
                               rtol=1e-14)
    out.sum().backward()
    sigmoid = np.array([0.0, 9.357622968839299e-14, 0.5, 1 - 9.357622968839299e-14, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), sigmoid - y.numpy(), atol=1e-15)
    z = mt.tensor(_rng(5).standard_normal((3, 2)), dtype=mt.float64)
    t = mt.tensor(_rng(6).uniform(size=(3, 2)), dtype=mt.float64)
    a = F.binary_cross_entropy_with_logits(z, t)
    b = F.binary_cross_entropy(z.sigmoid(), t)
    assert a.item() == pytest.approx(b.item(), rel=1e-12)


def test_regression_losses_and_broadcast_warning() -> None:
    x, y = _rng(7).standard_normal((4, 3)), _rng(8).standard_normal((4, 3))
    assert F.mse_loss(mt.tensor(x), mt.tensor(y)).item() == pytest.approx(((x - y) ** 2).mean())
    assert F.l1_loss(mt.tensor(x), mt.tensor(y), reduction="sum").item() == pytest.approx(
        np.abs(x - y).sum())
    with pytest.warns(UserWarning, match="different to the input size"):
        out = F.mse_loss(mt.tensor(x), mt.tensor(y[0]), reduction="none")
    assert out.shape == (4, 3)


def test_legacy_reduction_flags() -> None:
    x, y = mt.tensor([1.0, 2.0]), mt.tensor([0.0, 0.0])
    assert F.mse_loss(x, y, size_average=False).item() == 5.0
    assert F.mse_loss(x, y, reduce=False).shape == (2,)


def test_loss_modules_store_settings_and_document_their_likelihood() -> None:
    loss = nn.CrossEntropyLoss(weight=mt.ones(3), ignore_index=1, label_smoothing=0.1,
                               reduction="sum")
    assert "weight" in loss.state_dict() and loss.reduction == "sum"
    assert repr(nn.MSELoss()) == "MSELoss()"
    likelihoods = {nn.MSELoss: "Gaussian", nn.L1Loss: "Laplace", nn.CrossEntropyLoss: "categorical",
                   nn.NLLLoss: "categorical", nn.BCELoss: "Bernoulli",
                   nn.BCEWithLogitsLoss: "Bernoulli"}
    for cls, name in likelihoods.items():
        assert name in cls.__doc__, cls
    with pytest.raises(ValueError):
        nn.L1Loss(reduction="avg")


# --------------------------------------------------------------------------- PyTorch parity


@pytest.fixture
def torch():
    return pytest.importorskip("torch")


def _compare(torch, ours, theirs, arrays, rtol=1e-12, atol=1e-13):
    mine = [mt.tensor(a, dtype=mt.float64, requires_grad=True) for a in arrays]
    ref = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out, expected = ours(*mine), theirs(*ref)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=rtol,
                               atol=atol)
    seed = np.random.default_rng(9).standard_normal(tuple(expected.shape))
    out.backward(mt.tensor(seed, dtype=mt.float64))
    expected.backward(torch.tensor(seed))
    for a, b in zip(mine, ref):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_matches_torch(torch, reduction, smoothing, weighted) -> None:
    import torch.nn.functional as TF

    rng = _rng(10)
    x = rng.standard_normal((7, 5)) * 3
    t = rng.integers(0, 5, 7)
    t[3] = -100
    w = rng.uniform(0.2, 2.0, 5)
    kw = dict(reduction=reduction, label_smoothing=smoothing)
    _compare(torch,
             lambda a: F.cross_entropy(a, mt.tensor(t), weight=mt.tensor(w) if weighted else None,
                                       **kw),
             lambda a: TF.cross_entropy(a, torch.tensor(t), weight=torch.tensor(w) if weighted
                                        else None, **kw), [x])


@pytest.mark.parametrize("case", ["4d_weighted_smoothing", "probabilities", "unbatched",
                                  "custom_ignore_index"])
def test_cross_entropy_shapes_and_target_kinds_match_torch(torch, case) -> None:
    import torch.nn.functional as TF

    rng = _rng(11)
    w = rng.uniform(0.2, 2.0, 4)
    if case == "4d_weighted_smoothing":
        t = rng.integers(0, 4, (3, 2, 5))
        _compare(torch,
                 lambda a: F.cross_entropy(a, mt.tensor(t), weight=mt.tensor(w),
                                           label_smoothing=0.1),
                 lambda a: TF.cross_entropy(a, torch.tensor(t), weight=torch.tensor(w),
                                            label_smoothing=0.1),
                 [rng.standard_normal((3, 4, 2, 5))])
    elif case == "probabilities":
        p = rng.dirichlet(np.ones(4), 6)
        _compare(torch,
                 lambda a, y: F.cross_entropy(a, y, weight=mt.tensor(w), label_smoothing=0.2),
                 lambda a, y: TF.cross_entropy(a, y, weight=torch.tensor(w), label_smoothing=0.2),
                 [rng.standard_normal((6, 4)), p])
    elif case == "unbatched":
        _compare(torch, lambda a: F.cross_entropy(a, mt.tensor(2), reduction="none"),
                 lambda a: TF.cross_entropy(a, torch.tensor(2), reduction="none"),
                 [rng.standard_normal(4)])
    else:
        t = np.array([0, 3, 3, 1])
        _compare(torch, lambda a: F.cross_entropy(a, mt.tensor(t), ignore_index=3),
                 lambda a: TF.cross_entropy(a, torch.tensor(t), ignore_index=3),
                 [rng.standard_normal((4, 4))])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_other_losses_match_torch(torch, reduction) -> None:
    import torch.nn.functional as TF

    rng = _rng(12)
    x = rng.standard_normal((5, 3)) * 4
    y = rng.uniform(0, 1, (5, 3))
    p = rng.uniform(0.01, 0.99, (5, 3))
    w = rng.uniform(0.5, 1.5, 3)
    t = rng.integers(0, 3, 5)
    t[1] = -100
    r = dict(reduction=reduction)
    _compare(torch, lambda a, b: F.mse_loss(a, b, **r), lambda a, b: TF.mse_loss(a, b, **r), [x, y])
    _compare(torch, lambda a, b: F.l1_loss(a, b, **r), lambda a, b: TF.l1_loss(a, b, **r), [x, y])
    _compare(torch, lambda a: F.nll_loss(a, mt.tensor(t), weight=mt.tensor(w), **r),
             lambda a: TF.nll_loss(a, torch.tensor(t), weight=torch.tensor(w), **r), [x])
    _compare(torch, lambda a, b: F.binary_cross_entropy(a, b, weight=mt.tensor(w), **r),
             lambda a, b: TF.binary_cross_entropy(a, b, weight=torch.tensor(w), **r), [p, y])
    _compare(torch,
             lambda a, b: F.binary_cross_entropy_with_logits(
                 a * 10, b, weight=mt.tensor(w), pos_weight=mt.tensor(w * 3), **r),
             lambda a, b: TF.binary_cross_entropy_with_logits(
                 a * 10, b, weight=torch.tensor(w), pos_weight=torch.tensor(w * 3), **r), [x, y])


def test_loss_modules_match_torch_in_float32(torch) -> None:
    rng = _rng(13)
    x = rng.standard_normal((8, 5)).astype(np.float32)
    t = rng.integers(0, 5, 8)
    ours = nn.CrossEntropyLoss(label_smoothing=0.1)(mt.tensor(x), mt.tensor(t))
    theirs = torch.nn.CrossEntropyLoss(label_smoothing=0.1)(torch.tensor(x), torch.tensor(t))
    assert ours.dtype == mt.float32
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-6)


# --------------------------------------------------------------------------- ignored positions


def _loss_and_grad(fn, x, target, **kw):
    t = mt.tensor(x, dtype=mt.float64, requires_grad=True)
    out = fn(t, mt.tensor(target), **kw)
    out.backward(mt.ones_like(out))
    return out.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("bad", [np.nan, -np.inf, np.inf])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("weighted", [False, True])
def test_cross_entropy_selects_away_ignored_rows_whatever_their_logits(bad, reduction, smoothing,
                                                                       weighted) -> None:
    """An ignored row full of NaN or inf changes nothing: the loss equals the one with that row
    replaced by finite logits (PyTorch's value), and the row's gradient is exactly 0."""
    rng = _rng(20)
    x = rng.standard_normal((4, 3))
    target = np.array([2, -100, 0, 1])
    kw = dict(reduction=reduction, label_smoothing=smoothing,
              weight=mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64) if weighted else None)
    finite_loss, finite_grad = _loss_and_grad(F.cross_entropy, x, target, **kw)
    x[1] = bad
    loss, grad = _loss_and_grad(F.cross_entropy, x, target, **kw)
    np.testing.assert_array_equal(loss, finite_loss)
    assert (grad[1] == 0).all()
    np.testing.assert_array_equal(grad[[0, 2, 3]], finite_grad[[0, 2, 3]])


def test_cross_entropy_ignored_nan_row_gives_pytorchs_values() -> None:
    x = [[np.nan, 1.0, 2.0], [0.5, 0.1, 0.3]]
    loss, grad = _loss_and_grad(F.cross_entropy, x, [-100, 1])
    assert loss == pytest.approx(1.3119014326242002, rel=1e-15)  # torch 2.13, float64
    np.testing.assert_allclose(grad[1], [0.4017595785333555, -0.7306925008222621,
                                         0.32893292228890675], rtol=1e-15)
    assert (grad[0] == 0).all()  # PyTorch: nan (its softmax backward multiplies NaN by 0)
    loss, _ = _loss_and_grad(F.cross_entropy, x, [-100, 1], label_smoothing=0.2,
                             weight=mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64))
    assert loss == pytest.approx(1.278568099290867, rel=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_k_dimensional_ignored_positions_are_selected_away(reduction) -> None:
    rng = _rng(21)
    x = rng.standard_normal((2, 3, 2, 2))
    target = rng.integers(0, 3, (2, 2, 2))
    target[0, 1, 0] = target[1, 0, 1] = -100
    kw = dict(reduction=reduction, label_smoothing=0.1)
    finite_loss, finite_grad = _loss_and_grad(F.cross_entropy, x, target, **kw)
    x[0, :, 1, 0] = [np.nan, np.inf, -np.inf]
    x[1, :, 0, 1] = np.nan
    loss, grad = _loss_and_grad(F.cross_entropy, x, target, **kw)
    np.testing.assert_array_equal(loss, finite_loss)
    assert (grad[0, :, 1, 0] == 0).all() and (grad[1, :, 0, 1] == 0).all()
    finite_grad[0, :, 1, 0] = finite_grad[1, :, 0, 1] = 0
    np.testing.assert_array_equal(grad, finite_grad)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_selects_away_ignored_rows(reduction) -> None:
    x = [[np.nan, 1.0, 2.0], [0.5, 0.1, 0.3], [-np.inf, np.inf, 0.0]]
    weight = mt.tensor([np.inf, 2.0, 3.0], dtype=mt.float64)  # class 0's weight is never used
    loss, grad = _loss_and_grad(F.nll_loss, x, [-100, 1, -100], reduction=reduction,
                                weight=weight)
    expected = {"mean": -0.1, "sum": -0.2, "none": [0.0, -0.2, 0.0]}[reduction]
    np.testing.assert_allclose(loss, expected, rtol=1e-15)
    g = {"mean": -1.0, "sum": -2.0, "none": -2.0}[reduction]
    np.testing.assert_array_equal(grad, [[0, 0, 0], [0, g, 0], [0, 0, 0]])


def test_nll_loss_ignored_rows_take_no_upstream_nan() -> None:
    x = mt.tensor([[0.1, 0.2], [0.3, 0.4]], dtype=mt.float64, requires_grad=True)
    out = F.nll_loss(x, mt.tensor([1, -100]), reduction="none")
    out.backward(mt.tensor([1.0, np.nan], dtype=mt.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [[0, -1], [0, 0]])


def test_cross_entropy_double_backward_ignores_nan_rows() -> None:
    """Hessian-vector products through an ignored NaN row: 0 in that row, the same as with a
    finite row elsewhere."""
    rng = _rng(22)
    x = rng.standard_normal((3, 4))
    v = mt.tensor(rng.standard_normal((3, 4)))
    target = mt.tensor([1, -100, 3])

    def hvp(values):
        t = mt.tensor(values, requires_grad=True)
        loss = F.cross_entropy(t, target, label_smoothing=0.1)
        (g,) = mt.autograd.grad(loss, [t], create_graph=True)
        (g * v).sum().backward()
        return g.detach().numpy(), t.grad.numpy()

    finite_g, finite_h = hvp(x)
    x[1] = [np.nan, np.inf, -np.inf, 0.0]
    g, h = hvp(x)
    assert (g[1] == 0).all() and (h[1] == 0).all()
    np.testing.assert_allclose(g[[0, 2]], finite_g[[0, 2]], rtol=1e-13)
    np.testing.assert_allclose(h[[0, 2]], finite_h[[0, 2]], rtol=1e-13)


# --------------------------------------------------------------------------- empty inputs


@pytest.mark.parametrize("targets", ["index", "probabilities"])
def test_cross_entropy_over_an_empty_batch(targets) -> None:
    target = (mt.zeros(0, dtype=mt.int64) if targets == "index"
              else mt.zeros(0, 3, dtype=mt.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy "mean of empty slice" on the way
        for smoothing in (0.0, 0.1):
            x = mt.zeros(0, 3, dtype=mt.float64, requires_grad=True)
            mean = F.cross_entropy(x, target, label_smoothing=smoothing)
            assert np.isnan(mean.item())
            mean.backward()
            assert x.grad.shape == (0, 3)
            assert F.cross_entropy(x, target, reduction="sum").item() == 0.0
            assert F.cross_entropy(x, target, reduction="none").shape == (0,)
    assert np.isnan(F.nll_loss(x, mt.zeros(0, dtype=mt.int64)).item())


def test_cross_entropy_over_an_empty_class_dim() -> None:
    """C = 0: every index target must be ignore_index ("Target 0 is out of bounds." otherwise);
    then, as in PyTorch, mean is nan, sum 0 and none zeros; probabilities too."""
    x = mt.zeros(2, 0, dtype=mt.float64, requires_grad=True)
    ignored = mt.full((2,), -100, dtype=mt.int64)
    probabilities = mt.zeros(2, 0, dtype=mt.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for loss_fn, target in ((F.cross_entropy, ignored), (F.nll_loss, ignored),
                                (F.cross_entropy, probabilities)):
            assert np.isnan(loss_fn(x, target).item())
            assert loss_fn(x, target, reduction="sum").item() == 0.0
            none = loss_fn(x, target, reduction="none")
            np.testing.assert_array_equal(none.detach().numpy(), [0.0, 0.0])
            none.sum().backward()
            assert x.grad.shape == (2, 0)
        assert np.isnan(F.cross_entropy(mt.zeros(0), mt.tensor(-100)).item())
        assert np.isnan(F.cross_entropy(mt.zeros(0), mt.zeros(0)).item())
        k_dim = F.cross_entropy(mt.zeros(2, 0, 3), mt.full((2, 3), -100, dtype=mt.int64),
                                reduction="none")
        assert k_dim.shape == (2, 3) and (k_dim.numpy() == 0).all()
    for loss_fn in (F.cross_entropy, F.nll_loss):
        with pytest.raises(IndexError, match=r"Target 0 is out of bounds\."):
            loss_fn(x, mt.zeros(2, dtype=mt.int64))


# --------------------------------------------------------------------------- argument checks


def test_class_index_targets_must_be_int64_or_uint8() -> None:
    x = mt.tensor(_rng(23).standard_normal((3, 4)))
    t = np.array([0, 3, 1])
    expected = F.cross_entropy(x, mt.tensor(t)).item()
    assert F.cross_entropy(x, mt.tensor(t.astype(np.uint8))).item() == expected
    assert F.nll_loss(x, mt.tensor(t.astype(np.uint8))).item() == F.nll_loss(
        x, mt.tensor(t)).item()
    for loss_fn in (F.cross_entropy, F.nll_loss):
        for dtype, name in ((mt.int32, "int32"), (mt.bool, "bool")):
            with pytest.raises(RuntimeError, match=f"{loss_fn.__name__}: expected target dtype "
                               f"to be Long or Byte, but got {name}"):
                loss_fn(x, mt.tensor(t, dtype=dtype))


def test_class_index_target_shape_errors_have_pytorchs_types() -> None:
    x = mt.zeros(3, 4)
    for loss_fn in (F.cross_entropy, F.nll_loss):
        op = loss_fn.__name__
        with pytest.raises(ValueError, match=rf"{op}: Expected input batch_size \(3\) to match "
                           r"target batch_size \(2\)"):
            loss_fn(x, mt.tensor([0, 1]))
        with pytest.raises(ValueError, match=r"batch_size \(0\)"):
            loss_fn(x, mt.tensor(1))
        with pytest.raises(RuntimeError, match=rf"{op}: expected target of shape \(3,\) for "
                           r"input of shape \(3, 4\) \(classes on dim 1\), got \(3, 1\)"):
            loss_fn(x, mt.tensor([[0], [1], [2]]))
        with pytest.raises(RuntimeError, match=r"expected target of shape \(2, 4, 5\) .* got "
                           r"\(2, 4, 4\)"):
            loss_fn(mt.zeros(2, 3, 4, 5), mt.zeros(2, 4, 4, dtype=mt.int64))
        with pytest.raises(IndexError, match=rf"{op}: Target 5 is out of bounds\."):
            loss_fn(x, mt.tensor([0, 5, 1]))
        with pytest.raises(ValueError, match=r"Expected 1 or more dimensions \(got 0\)"):
            loss_fn(mt.tensor(1.0), mt.tensor(0))
    with pytest.raises(RuntimeError, match="float target holds class probabilities and must "
                       r"have the input's shape \(3, 4\)"):
        F.cross_entropy(x, mt.zeros(3, 5))


def test_class_weight_dtype_must_match_for_index_targets_only() -> None:
    x = mt.tensor(_rng(24).standard_normal((3, 4)), dtype=mt.float64)
    t = mt.tensor([0, 1, 3])
    for loss_fn in (F.cross_entropy, F.nll_loss):
        for weight in (mt.ones(4), mt.ones(4, dtype=mt.int64)):
            with pytest.raises(RuntimeError, match=rf"{loss_fn.__name__}: expected weight of the "
                               f"input's dtype float64, but found {weight.dtype}"):
                loss_fn(x, t, weight=weight)
    probabilities = x.softmax(1)
    assert F.cross_entropy(x, probabilities, weight=mt.ones(4)).item() == pytest.approx(
        F.cross_entropy(x, probabilities).item(), rel=1e-15)


def test_probability_targets_refuse_ignore_index_and_promote_dtypes() -> None:
    x = mt.tensor(_rng(25).standard_normal((3, 4)).astype(np.float32), requires_grad=True)
    p = mt.tensor(_rng(26).dirichlet(np.ones(4), 3))  # float64
    for ignore_index in (0, 7):
        with pytest.raises(RuntimeError, match="ignore_index is not supported for floating "
                           "point target"):
            F.cross_entropy(x, p, ignore_index=ignore_index)
    loss = F.cross_entropy(x, p, ignore_index=-5)  # negative: allowed, as in PyTorch
    assert loss.dtype == mt.float64  # float32 logits, float64 probabilities: float64
    expected = -(p.numpy() * _log_softmax(x.detach().numpy().astype(np.float64))).sum(1).mean()
    assert loss.item() == pytest.approx(expected, rel=1e-12)
    loss.backward()
    assert x.grad.dtype == mt.float32


def test_unbatched_input_takes_a_one_element_class_target() -> None:
    x = mt.tensor(_rng(27).standard_normal(4))
    for loss_fn in (F.cross_entropy, F.nll_loss):
        scalar = loss_fn(x, mt.tensor(2), reduction="none")
        single = loss_fn(x, mt.tensor([2]), reduction="none")
        assert single.shape == () and single.item() == scalar.item()
        with pytest.raises(ValueError, match=r"batch_size \(1\) to match target batch_size \(2\)"):
            loss_fn(x, mt.tensor([2, 1]))


def test_label_smoothing_out_of_range_is_a_runtime_error() -> None:
    for smoothing in (1.5, -0.1):
        with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
            F.cross_entropy(mt.zeros(2, 3), mt.tensor([0, 1]), label_smoothing=smoothing)


@pytest.mark.parametrize("loss_fn", [F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
@pytest.mark.parametrize("input_shape, weight_shape, fits", [
    ((2,), (3, 2), False),     # would make the loss (3, 2)
    ((2,), (1, 2), False),     # would add a dim
    ((2,), (3,), False),       # does not broadcast at all
    ((), (1,), False),
    ((2, 1), (3,), False),     # broadcasts with the input, but not to it
    ((2, 3), (1, 2, 3), False),
    ((2, 3), (2, 1), True),
    ((2, 3), (3,), True),
    ((2, 3), (), True),
    ((4, 2, 3), (2, 3), True),
])
def test_binary_losses_refuse_weights_that_do_not_broadcast_to_the_input(
        loss_fn, input_shape, weight_shape, fits) -> None:
    x = mt.full(input_shape, 0.25, dtype=mt.float64)
    y = mt.ones(input_shape, dtype=mt.float64)
    names = ["weight"] + (["pos_weight"] if loss_fn is F.binary_cross_entropy_with_logits else [])
    for name in names:
        w = mt.full(weight_shape, 2.0, dtype=mt.float64)
        if fits:
            out = loss_fn(x, y, reduction="none", **{name: w})
            assert out.shape == input_shape
            one = loss_fn(x, y, reduction="none")
            factor = 2.0 if name == "weight" else None
            if factor is not None:
                np.testing.assert_allclose(out.numpy(), factor * one.numpy(), rtol=1e-15)
        else:
            with pytest.raises(RuntimeError, match=rf"{loss_fn.__name__}: {name} of shape "
                               rf"{re.escape(str(weight_shape))} must be broadcastable to the "
                               rf"input shape {re.escape(str(input_shape))}"):
                loss_fn(x, y, **{name: w})


def test_pos_weight_one_per_class_along_the_last_dim() -> None:
    x = mt.zeros(2, 3, dtype=mt.float64)
    y = mt.tensor([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]], dtype=mt.float64)
    out = F.binary_cross_entropy_with_logits(x, y, pos_weight=mt.tensor([1.0, 2.0, 3.0],
                                                                        dtype=mt.float64),
                                             reduction="none")
    log2 = np.log(2.0)  # -log σ(0) = -log(1 - σ(0))
    np.testing.assert_allclose(out.numpy(), [[log2, log2, 3 * log2], [log2, 2 * log2, log2]],
                               rtol=1e-15)


@pytest.mark.parametrize("call, match", [
    (lambda: F.cross_entropy([[1.0, 2.0]], mt.tensor([0])),
     r"cross_entropy\(\): argument 'input' \(position 1\) must be Tensor, not list"),
    (lambda: F.cross_entropy(mt.zeros(1, 2), [0]),
     r"cross_entropy\(\): argument 'target' \(position 2\) must be Tensor, not list"),
    (lambda: F.cross_entropy(mt.zeros(1, 2), mt.tensor([0]), weight=[1.0, 2.0]),
     r"cross_entropy\(\): argument 'weight' \(position 3\) must be Tensor, not list"),
    (lambda: F.nll_loss(np.zeros((1, 2)), mt.tensor([0])),
     r"nll_loss\(\): argument 'input' \(position 1\) must be Tensor, not numpy.ndarray"),
    (lambda: F.mse_loss(mt.zeros(2), np.zeros(2)),
     r"mse_loss\(\): argument 'target' \(position 2\) must be Tensor, not numpy.ndarray"),
    (lambda: F.l1_loss(mt.zeros(2), 0.0),
     r"l1_loss\(\): argument 'target' \(position 2\) must be Tensor, not float"),
    (lambda: F.binary_cross_entropy((0.5,), mt.ones(1)),
     r"binary_cross_entropy\(\): argument 'input' \(position 1\) must be Tensor, not tuple"),
    (lambda: F.binary_cross_entropy(mt.full((2,), 0.5), mt.ones(2), weight=np.ones(2)),
     r"argument 'weight' \(position 3\) must be Tensor, not numpy.ndarray"),
    (lambda: F.binary_cross_entropy_with_logits(mt.zeros(2), mt.ones(2), pos_weight=[2.0, 1.0]),
     r"binary_cross_entropy_with_logits\(\): argument 'pos_weight' \(position 7\) must be "
     r"Tensor, not list"),
    (lambda: nn.MSELoss()([1.0, 2.0], mt.zeros(2)),
     r"mse_loss\(\): argument 'input' \(position 1\) must be Tensor, not list"),
    (lambda: nn.CrossEntropyLoss()(mt.zeros(1, 2), np.array([0])),
     r"cross_entropy\(\): argument 'target' \(position 2\) must be Tensor, not numpy.ndarray"),
])
def test_losses_refuse_what_is_not_a_tensor(call, match) -> None:
    with pytest.raises(TypeError, match=match):
        call()


def test_no_classes_with_label_smoothing_or_weights_raise_nothing_raw() -> None:
    """C = 0 used to divide by zero (ε/C) or index an empty weight; every position is ignored,
    so each loss is 0 (PyTorch: nan for class indices with smoothing; see the docstring)."""
    x = mt.zeros(2, 0, dtype=mt.float64, requires_grad=True)
    ignored = mt.full((2,), -100, dtype=mt.int64)
    none = F.cross_entropy(x, ignored, label_smoothing=0.5, reduction="none")
    np.testing.assert_array_equal(none.detach().numpy(), [0.0, 0.0])
    assert F.cross_entropy(x, mt.zeros(2, 0, dtype=mt.float64), label_smoothing=0.5,
                           reduction="sum").item() == 0.0
    assert np.isnan(F.nll_loss(mt.zeros(0, dtype=mt.float64), mt.tensor(-100),
                               weight=mt.zeros(0, dtype=mt.float64)).item())


def test_probability_targets_promote_with_the_weight_dtype() -> None:
    x = mt.tensor(_rng(29).standard_normal((2, 3)).astype(np.float32))
    p = x.softmax(1).detach()
    out = F.cross_entropy(x, p, weight=mt.tensor([1.0, 2.0, 0.5], dtype=mt.float64))
    assert out.dtype == mt.float64  # as PyTorch: float32 logits and targets, float64 weight


def test_class_weight_is_checked_before_the_target_range() -> None:
    """PyTorch's order: target shape and dtype, then the weight, then the range."""
    with pytest.raises(RuntimeError, match=r"weight must have one value per class"):
        F.cross_entropy(mt.zeros(2, 1), mt.tensor([0, 1]), weight=mt.ones(2))
    with pytest.raises(RuntimeError, match=r"expected target dtype"):
        F.nll_loss(mt.zeros(2, 3), mt.tensor([0, 1], dtype=mt.int32), weight=mt.ones(2))


def test_regression_losses_refuse_targets_that_do_not_broadcast() -> None:
    for loss_fn in (F.mse_loss, F.l1_loss):
        with pytest.warns(UserWarning, match="different to the input size"), \
                pytest.raises(RuntimeError, match=rf"{loss_fn.__name__}: the input of shape "
                              r"\(2, 3\) and the target of shape \(4,\) cannot be broadcast "
                              "together"):
            loss_fn(mt.zeros(2, 3), mt.zeros(4))


def test_binary_losses_check_the_target_shape_before_the_input_dtype() -> None:
    for loss_fn in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=r"target size \(3,\) must be the same as input "
                           r"size \(2,\)"):
            loss_fn(mt.tensor([0, 1]), mt.zeros(3))
        with pytest.raises(RuntimeError, match="input must be a floating point tensor"):
            loss_fn(mt.tensor([0, 1]), mt.zeros(2))


def test_bce_with_logits_at_minus_infinity_is_infinite_not_nan() -> None:
    x = mt.tensor([-np.inf, -np.inf], dtype=mt.float64)
    y = mt.tensor([0.2, 0.9], dtype=mt.float64)
    out = F.binary_cross_entropy_with_logits(x, y, reduction="none").numpy()
    assert (out == np.inf).all()  # PyTorch: nan (-inf + inf); the docstring says why


# --------------------------------------------------------------------------- parity of the fixes


@pytest.mark.parametrize("bad", [np.nan, -np.inf, np.inf])
def test_ignored_non_finite_logits_match_torch_forward(torch, bad) -> None:
    import torch.nn.functional as TF

    rng = _rng(28)
    x = rng.standard_normal((5, 4, 3))
    t = rng.integers(0, 4, (5, 3))
    t[1, 2] = t[3, 0] = -100
    x[1, :, 2] = bad
    x[3, 1, 0] = bad
    w = rng.uniform(0.5, 2.0, 4)
    for reduction in ("mean", "sum", "none"):
        kw = dict(reduction=reduction, label_smoothing=0.1)
        ours = F.cross_entropy(mt.tensor(x), mt.tensor(t), weight=mt.tensor(w), **kw).numpy()
        theirs = TF.cross_entropy(torch.tensor(x), torch.tensor(t), weight=torch.tensor(w),
                                  **kw).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)
        ours = F.nll_loss(mt.tensor(x), mt.tensor(t), reduction=reduction).numpy()
        theirs = TF.nll_loss(torch.tensor(x), torch.tensor(t), reduction=reduction).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_empty_inputs_and_errors_match_torch(torch) -> None:
    import torch.nn.functional as TF

    cases = [
        (lambda lib, Fn: Fn.cross_entropy(lib.zeros(0, 3), lib.zeros(0, dtype=lib.int64))),
        (lambda lib, Fn: Fn.cross_entropy(lib.zeros(2, 0), lib.full((2,), -100,
                                                                   dtype=lib.int64))),
        (lambda lib, Fn: Fn.cross_entropy(lib.zeros(2, 0), lib.zeros(2, 0), reduction="sum")),
        (lambda lib, Fn: Fn.nll_loss(lib.zeros(2, 0), lib.full((2,), -100, dtype=lib.int64),
                                     reduction="none")),
        (lambda lib, Fn: Fn.cross_entropy(lib.zeros(3, 4), lib.zeros(3, dtype=lib.int32))),
        (lambda lib, Fn: Fn.cross_entropy(lib.zeros(3, 4), lib.tensor([0, 9, 1]))),
        (lambda lib, Fn: Fn.cross_entropy(lib.zeros(3, 4), lib.tensor([0, 1]))),
        (lambda lib, Fn: Fn.cross_entropy(lib.zeros(3, 4), lib.zeros(3, 4), ignore_index=2)),
        (lambda lib, Fn: Fn.binary_cross_entropy(lib.full((2,), 0.5), lib.ones(2),
                                                 weight=lib.ones(3, 2))),
        (lambda lib, Fn: Fn.binary_cross_entropy_with_logits(lib.zeros(2, 1), lib.ones(2, 1),
                                                             pos_weight=lib.ones(3))),
        (lambda lib, Fn: Fn.binary_cross_entropy_with_logits(lib.zeros(2, 3), lib.ones(2, 3),
                                                             pos_weight=lib.ones(2, 1))),
    ]
    for case in cases:
        outcome = []
        for lib, Fn in ((mt, F), (torch, TF)):
            try:
                outcome.append(np.asarray(case(lib, Fn).numpy()))
            except Exception as error:  # the type is what must agree
                outcome.append(type(error))
        ours, theirs = outcome
        if isinstance(theirs, type):
            assert ours is theirs
        else:
            np.testing.assert_array_equal(ours, theirs)
