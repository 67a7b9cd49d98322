"""Tests of microtensor.optim.lr_scheduler: closed formulas, PyTorch parity, conventions, resume."""

from __future__ import annotations

import math

import numpy as np
import pytest

import microtensor as mt
from microtensor import optim
from microtensor.optim import lr_scheduler as sched

BASE_LRS = (0.1, 0.03)
EPOCHS = 40


def make_optimizer(lrs=BASE_LRS) -> optim.SGD:
    groups = [{"params": [mt.tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=lrs[0], momentum=0.9)


def run(scheduler, optimizer, epochs=EPOCHS) -> list[list[float]]:
    """The lrs in force during epochs 0, 1, ..., epochs - 1 (the usual training loop)."""
    seen = []
    for _ in range(epochs):
        seen.append([g["lr"] for g in optimizer.param_groups])
        assert scheduler.get_last_lr() == seen[-1]
        optimizer.step()
        scheduler.step()
    return seen


def assert_close(seq, expected, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(seq), np.asarray(expected), rtol=rtol, atol=1e-15)


# Each case: (builder of a microtensor/torch scheduler from a module and an optimizer,
#             closed formula lr(base_lr, epoch)).
def _lambda(epoch):
    return 1.0 / (1.0 + 0.3 * epoch)


CASES = {
    "StepLR": (
        lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
        lambda b, t: b * 0.5 ** (t // 7),
    ),
    "MultiStepLR": (
        lambda m, o: m.MultiStepLR(o, milestones=[5, 12, 12, 30], gamma=0.3),
        lambda b, t: b * 0.3 ** sum(t >= s for s in [5, 12, 12, 30]),
    ),
    "ExponentialLR": (
        lambda m, o: m.ExponentialLR(o, gamma=0.93),
        lambda b, t: b * 0.93**t,
    ),
    "PolynomialLR": (
        lambda m, o: m.PolynomialLR(o, total_iters=25, power=2.0),
        lambda b, t: b * (1 - min(t, 25) / 25) ** 2.0,
    ),
    "CosineAnnealingLR": (
        lambda m, o: m.CosineAnnealingLR(o, T_max=15, eta_min=0.001),
        lambda b, t: 0.001 + (b - 0.001) * (1 + math.cos(math.pi * t / 15)) / 2,
    ),
    "LinearLR": (
        lambda m, o: m.LinearLR(o, start_factor=0.1, end_factor=0.9, total_iters=10),
        lambda b, t: b * (0.1 + 0.8 * min(t, 10) / 10),
    ),
    "ConstantLR": (
        lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=6),
        lambda b, t: b * (0.25 if t < 6 else 1.0),
    ),
    "LambdaLR": (
        lambda m, o: m.LambdaLR(o, lr_lambda=_lambda),
        lambda b, t: b * _lambda(t),
    ),
    "MultiplicativeLR": (
        lambda m, o: m.MultiplicativeLR(o, lr_lambda=lambda e: 0.95),
        lambda b, t: b * 0.95**t,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_schedule_follows_closed_formula(name):
    build, formula = CASES[name]
    opt = make_optimizer()
    seq = run(build(sched, opt), opt)
    expected = [[formula(b, t) for b in BASE_LRS] for t in range(EPOCHS)]
    # The recursive form accumulates a few ulps; the cosine passes near eta_min, hence atol.
    np.testing.assert_allclose(seq, expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", list(CASES))
def test_schedule_matches_torch(name):
    torch = pytest.importorskip("torch")
    build, _ = CASES[name]
    opt = make_optimizer()
    t_groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in BASE_LRS]
    t_opt = torch.optim.SGD(t_groups, lr=BASE_LRS[0])
    ours = run(build(sched, opt), opt)
    theirs = run(build(torch.optim.lr_scheduler, t_opt), t_opt)
    assert_close(ours, theirs, rtol=1e-15)


def test_cosine_annealing_goes_back_up_after_t_max():
    torch = pytest.importorskip("torch")
    opt = make_optimizer()
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LRS[0])
    t_opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": BASE_LRS[1]})
    ours = run(sched.CosineAnnealingLR(opt, T_max=6), opt, epochs=30)
    theirs = run(torch.optim.lr_scheduler.CosineAnnealingLR(t_opt, T_max=6), t_opt, epochs=30)
    assert_close(ours, theirs, rtol=1e-13)
    assert ours[6][0] == pytest.approx(0.0, abs=1e-15) and ours[12][0] == pytest.approx(0.1)


def test_construction_performs_initial_step():
    opt = make_optimizer()
    s = sched.LinearLR(opt, start_factor=0.5, total_iters=4)
    assert s.last_epoch == 0
    assert [g["initial_lr"] for g in opt.param_groups] == list(BASE_LRS)
    assert s.base_lrs == list(BASE_LRS)
    assert s.get_last_lr() == [0.05, 0.015]
    assert [g["lr"] for g in opt.param_groups] == [0.05, 0.015]
    s.step()
    assert s.last_epoch == 1


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        sched.StepLR(make_optimizer(), step_size=3, last_epoch=5)


def test_step_with_epoch_uses_closed_form():
    opt = make_optimizer()
    s = sched.StepLR(opt, step_size=3, gamma=0.5)
    s.step(7)
    assert s.last_epoch == 7
    assert_close(s.get_last_lr(), [0.1 * 0.25, 0.03 * 0.25])


def test_two_schedulers_compose_like_torch():
    torch = pytest.importorskip("torch")
    opt = make_optimizer()
    t_opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=BASE_LRS[0])
    t_opt.add_param_group({"params": [torch.zeros(1, requires_grad=True)], "lr": BASE_LRS[1]})
    results = []
    for module, o in ((sched, opt), (torch.optim.lr_scheduler, t_opt)):
        a = module.ExponentialLR(o, gamma=0.9)
        b = module.StepLR(o, step_size=4, gamma=0.5)
        chained = module.ChainedScheduler([a, b])
        seq = []
        for _ in range(20):
            seq.append([g["lr"] for g in o.param_groups])
            o.step()
            chained.step()
        results.append(seq)
    assert_close(results[0], results[1], rtol=1e-15)
    assert_close([r[0] for r in results[0]], [0.1 * 0.9**t * 0.5 ** (t // 4) for t in range(20)])


# ----------------------------------------------------------------------------- SequentialLR
def _warmup_then_cosine(module, o):
    warmup = module.LinearLR(o, start_factor=0.1, end_factor=1.0, total_iters=5)
    decay = module.CosineAnnealingLR(o, T_max=20, eta_min=0.0)
    return module.SequentialLR(o, schedulers=[warmup, decay], milestones=[5])


def test_sequential_warmup_then_decay_formula():
    opt = make_optimizer()
    seq = run(_warmup_then_cosine(sched, opt), opt, epochs=25)
    for t, lrs in enumerate(seq):
        for b, lr in zip(BASE_LRS, lrs, strict=True):
            if t < 5:
                expected = b * (0.1 + 0.9 * t / 5)
            else:
                expected = b * (1 + math.cos(math.pi * (t - 5) / 20)) / 2
            assert lr == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_sequential_matches_torch():
    torch = pytest.importorskip("torch")

    def three_phases(module, o):
        a = module.ConstantLR(o, factor=0.5, total_iters=3)
        b = module.ExponentialLR(o, gamma=0.9)
        c = module.StepLR(o, step_size=4, gamma=0.3)
        return module.SequentialLR(o, schedulers=[a, b, c], milestones=[4, 12])

    for build in (_warmup_then_cosine, three_phases):
        opt = make_optimizer()
        t_groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in BASE_LRS]
        t_opt = torch.optim.SGD(t_groups, lr=BASE_LRS[0])
        ours = run(build(sched, opt), opt, epochs=30)
        theirs = run(build(torch.optim.lr_scheduler, t_opt), t_opt, epochs=30)
        assert_close(ours, theirs, rtol=1e-15)


def test_sequential_rejects_bad_arguments():
    opt = make_optimizer()
    a = sched.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="one milestone fewer"):
        sched.SequentialLR(opt, [a], milestones=[3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        sched.SequentialLR(opt, [a, sched.ReduceLROnPlateau(opt)], milestones=[3])
    with pytest.raises(ValueError, match="same optimizer"):
        sched.SequentialLR(opt, [a, sched.StepLR(make_optimizer(), 2)], milestones=[3])


# ----------------------------------------------------------------------------- ReduceLROnPlateau
METRICS = [
    1.0,
    0.9,
    0.95,
    0.95,
    0.94,
    0.96,
    0.8,
    0.8,
    0.8,
    0.8,
    0.81,
    0.79,
    0.7999,
    0.8,
    0.85,
    0.85,
    0.9,
    0.6,
    0.6,
    0.6,
    0.6,
    0.6,
    0.6,
    0.6,
    0.6,
]
PLATEAU_CONFIGS = [
    dict(mode="min", factor=0.5, patience=2),
    dict(mode="min", factor=0.5, patience=1, threshold=0.05, threshold_mode="abs", cooldown=2),
    dict(mode="max", factor=0.2, patience=2, threshold=0.01),
    dict(mode="max", factor=0.5, patience=0, threshold_mode="abs", min_lr=[0.02, 0.001]),
    dict(mode="min", factor=0.1, patience=1, min_lr=0.005, eps=1e-3),
]


@pytest.mark.parametrize("kw", PLATEAU_CONFIGS)
def test_reduce_on_plateau_matches_torch(kw):
    torch = pytest.importorskip("torch")
    opt = make_optimizer()
    t_groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": lr} for lr in BASE_LRS]
    t_opt = torch.optim.SGD(t_groups, lr=BASE_LRS[0])
    ours = sched.ReduceLROnPlateau(opt, **kw)
    theirs = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kw)
    for metric in METRICS:
        ours.step(metric)
        theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr()
        assert ours.num_bad_epochs == theirs.num_bad_epochs
        assert ours.cooldown_counter == theirs.cooldown_counter
    assert ours.get_last_lr() != list(BASE_LRS)  # the configs do reduce


def test_reduce_on_plateau_by_hand():
    opt = make_optimizer()
    s = sched.ReduceLROnPlateau(opt, factor=0.5, patience=2)
    for metric, lr in [
        (1.0, 0.1),
        (1.0, 0.1),
        (1.0, 0.1),
        (1.0, 0.05),
        (0.5, 0.05),
        (0.6, 0.05),
        (0.6, 0.05),
        (0.6, 0.025),
    ]:
        s.step(metric)
        assert s.get_last_lr()[0] == pytest.approx(lr)
    with pytest.raises(ValueError, match="factor"):
        sched.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(ValueError, match="mode"):
        sched.ReduceLROnPlateau(opt, mode="lowest")


# ----------------------------------------------------------------------------- checkpoints
RESUMABLE = {
    "StepLR": lambda o: sched.StepLR(o, step_size=3, gamma=0.5),
    "MultiStepLR": lambda o: sched.MultiStepLR(o, milestones=[4, 9], gamma=0.2),
    "CosineAnnealingLR": lambda o: sched.CosineAnnealingLR(o, T_max=8, eta_min=0.01),
    "LinearLR": lambda o: sched.LinearLR(o, start_factor=0.2, total_iters=6),
    "PolynomialLR": lambda o: sched.PolynomialLR(o, total_iters=10, power=1.5),
    "LambdaLR": lambda o: sched.LambdaLR(o, lambda e: 0.9**e),
    "SequentialLR": lambda o: _warmup_then_cosine(sched, o),
    "ReduceLROnPlateau": lambda o: sched.ReduceLROnPlateau(o, patience=1, factor=0.5),
}


def _advance(s, o, n, start):
    seq = []
    for k in range(start, start + n):
        o.step()
        if isinstance(s, sched.ReduceLROnPlateau):
            s.step(1.0 if k % 3 else 0.5)
        else:
            s.step()
        seq.append(s.get_last_lr())
    return seq


@pytest.mark.parametrize("name", list(RESUMABLE))
def test_scheduler_state_dict_resumes_identically(name):
    build = RESUMABLE[name]
    opt = make_optimizer()
    s = build(opt)
    _advance(s, opt, 7, 0)
    opt_state, s_state = opt.state_dict(), s.state_dict()
    continued = _advance(s, opt, 10, 7)

    new_opt = make_optimizer()
    new_s = build(new_opt)  # as PyTorch advises: build the scheduler, then load both states
    new_opt.load_state_dict(opt_state)
    new_s.load_state_dict(s_state)
    assert new_s.last_epoch == 7
    assert _advance(new_s, new_opt, 10, 7) == continued


def test_lambda_state_dict_saves_callable_objects():
    class Decay:
        def __init__(self, rate):
            self.rate = rate

        def __call__(self, epoch):
            return self.rate**epoch

    opt = make_optimizer()
    s = sched.LambdaLR(opt, [Decay(0.5), lambda e: 1.0])
    state = s.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, {}]
    other_fn = Decay(0.9)
    other = sched.LambdaLR(make_optimizer(), [other_fn, lambda e: 1.0])
    other.load_state_dict(state)
    assert other_fn.rate == 0.5


def test_state_dict_does_not_alias_scheduler_lists():
    opt = make_optimizer()
    s = sched.MultiStepLR(opt, milestones=[2, 4])
    state = s.state_dict()
    state["milestones"].append(1)
    state["base_lrs"][0] = 5.0
    assert s.milestones == [2, 4] and s.base_lrs[0] == 0.1
