"""Losses: gradient checks of the fused loss primitives, values against NumPy, exact parity
with PyTorch (float64) over reductions, weights, ignore_index and label smoothing."""

from __future__ import annotations

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
    with pytest.raises(ValueError, match="class-index targets must be an integer"):
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
