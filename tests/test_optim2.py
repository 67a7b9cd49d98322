"""Optimizers and schedules against PyTorch's recorded trajectories (no PyTorch needed), plus
the new algorithms (RAdam, Adadelta, Adamax, ASGD, LBFGS; OneCycleLR, CyclicLR,
CosineAnnealingWarmRestarts) checked by hand: formulas, errors, checkpoints.

The golden files come from ``python tests/make_optim_golden.py``; the scenarios are defined
there and replayed here with microtensor.
"""

from __future__ import annotations

import inspect
import json
import math

import numpy as np
import pytest

import microtensor as mt
from microtensor import optim
from microtensor.optim import lr_scheduler as sched
from microtensor.optim.lbfgs import cubic_interpolate, lbfgs_direction
from tests import make_optim_golden as golden

RTOL = 1e-10
ATOL = 1e-12


def _golden_json() -> dict:
    assert golden.JSON_PATH.exists(), "run python tests/make_optim_golden.py (PyTorch needed)"
    return json.loads(golden.JSON_PATH.read_text())


def _golden_arrays(case: dict) -> dict[str, np.ndarray]:
    path = golden.npz_path(case["class"])
    assert path.exists(), f"{path.name} is missing: run python tests/make_optim_golden.py"
    prefix = case["name"] + "."
    with np.load(path) as data:
        arrays = {k[len(prefix) :]: data[k] for k in data.files if k.startswith(prefix)}
    assert arrays, f"no golden arrays for case {case['name']!r}: re-run make_optim_golden.py"
    return arrays


# ---------------------------------------------------------------------------------- registry
def _public_classes(module, base) -> list[str]:
    return [
        name
        for name in module.__all__
        if inspect.isclass(getattr(module, name))
        and issubclass(getattr(module, name), base)
        and getattr(module, name) is not base
    ]


def test_every_optimizer_has_golden_trajectories():
    covered = {case["class"] for case in golden.OPTIMIZER_CASES}
    for name in _public_classes(optim, optim.Optimizer):
        if name in golden.NOT_IN_TORCH:
            continue
        assert name in covered, f"optim.{name} has no scenario in tests/make_optim_golden.py"
        assert golden.npz_path(name).exists(), f"golden file for optim.{name} is missing"


def test_every_schedule_has_golden_trajectories():
    covered = {case["class"] for case in golden.SCHEDULE_CASES}
    for name in _public_classes(sched, sched.LRScheduler):
        assert name in covered, f"lr_scheduler.{name} has no scenario in make_optim_golden.py"
        assert golden.npz_path(name).exists(), f"golden file for lr_scheduler.{name} is missing"


def test_golden_files_are_up_to_date():
    recorded = _golden_json()
    assert recorded["torch"].startswith("2."), recorded["torch"]
    cases = golden.OPTIMIZER_CASES + golden.SCHEDULE_CASES
    names = [case["name"] for case in cases]
    assert len(names) == len(set(names)), "two scenarios share a name"
    assert sorted(recorded["cases"]) == sorted(names), "re-run tests/make_optim_golden.py"
    for case in cases:
        assert recorded["cases"][case["name"]] == golden.options_of(case), (
            f"scenario {case['name']!r} changed since its golden file was written; re-run "
            "tests/make_optim_golden.py"
        )


# ---------------------------------------------------------------------------------- replay
@pytest.mark.parametrize("case", golden.OPTIMIZER_CASES, ids=lambda c: c["name"])
def test_optimizer_follows_pytorch_trajectory(case):
    expected = _golden_arrays(case)
    ours = golden.run_optimizer_case(mt, case)
    for key, value in expected.items():
        assert key in ours, f"{case['class']} has no state entry {key!r} (PyTorch has)"
        np.testing.assert_allclose(ours[key], value, rtol=RTOL, atol=ATOL, err_msg=key)


@pytest.mark.parametrize("case", golden.SCHEDULE_CASES, ids=lambda c: c["name"])
def test_schedule_follows_pytorch_trajectory(case):
    expected = _golden_arrays(case)
    ours = golden.run_schedule_case(mt, case)
    for key, value in expected.items():
        np.testing.assert_allclose(ours[key], value, rtol=RTOL, atol=ATOL, err_msg=key)


# ---------------------------------------------------------------------------------- helpers
def _param(values) -> mt.Tensor:
    return mt.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def _run(opt, params, grads):
    for g_list in grads:
        for p, g in zip(params, g_list, strict=True):
            p.grad = mt.tensor(np.asarray(g, dtype=np.float64))
        opt.step()


# ---------------------------------------------------------------------------------- by hand
def test_adadelta_first_step_by_hand():
    p = _param([1.0, -2.0])
    opt = optim.Adadelta([p], lr=1.0, rho=0.9, eps=1e-6)
    g = np.array([0.5, -4.0])
    _run(opt, [p], [[g]])
    v = 0.1 * g**2
    delta = np.sqrt(1e-6) / np.sqrt(v + 1e-6) * g
    np.testing.assert_allclose(p.detach().numpy(), [1.0, -2.0] - delta, rtol=1e-14)
    np.testing.assert_allclose(opt.state[p]["acc_delta"].numpy(), 0.1 * delta**2, rtol=1e-14)


def test_adamax_uses_decaying_max_of_gradient():
    p = _param([0.0, 0.0])
    opt = optim.Adamax([p], lr=0.1, betas=(0.5, 0.5), eps=0.0)
    _run(opt, [p], [[[4.0, 1.0]], [[1.0, 3.0]]])
    u = np.maximum(0.5 * np.array([4.0, 1.0]), [1.0, 3.0])  # [2, 3]
    np.testing.assert_array_equal(opt.state[p]["exp_inf"].numpy(), u)
    m1 = 0.5 * np.array([4.0, 1.0])
    m2 = 0.5 * m1 + 0.5 * np.array([1.0, 3.0])
    theta1 = -0.1 / 0.5 * m1 / np.array([4.0, 1.0])
    np.testing.assert_allclose(p.detach().numpy(), theta1 - 0.1 / 0.75 * m2 / u, rtol=1e-14)


def test_radam_is_momentum_sgd_until_the_variance_is_tractable():
    # with β₂ = 0.999, ρₜ ≤ 5 for the first steps: the update is γ·m̂ (no division by √v)
    p = _param([0.0])
    opt = optim.RAdam([p], lr=0.1)
    _run(opt, [p], [[[2.0]]])
    np.testing.assert_allclose(p.detach().numpy(), [-0.1 * 2.0], rtol=1e-14)


def test_radam_rectified_step_by_hand():
    beta1, beta2, lr = 0.9, 0.5, 0.1  # ρ∞ = 3 < 5: never rectified; use β₂ = 0.9 (ρ∞ = 19)
    beta2 = 0.9
    p = _param([0.0])
    opt = optim.RAdam([p], lr=lr, betas=(beta1, beta2), eps=0.0)
    grads = [1.0, 2.0, -1.0, 0.5, 1.5, 1.0, 2.0]
    theta, m, v = 0.0, 0.0, 0.0
    rho_inf = 2 / (1 - beta2) - 1
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - beta1**t)
        rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho_t > 5:
            r = math.sqrt(
                (rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)
            )
            theta -= lr * m_hat * r * math.sqrt(1 - beta2**t) / math.sqrt(v)
        else:
            theta -= lr * m_hat
    _run(opt, [p], [[[g]] for g in grads])
    assert rho_t > 5
    np.testing.assert_allclose(p.item(), theta, rtol=1e-13)


def test_asgd_average_is_the_mean_of_the_iterates():
    # t0 = 0: μ = 1/(t − 1) from step 2 on, so θ̄ is the mean of θ₂ … θₜ
    p = _param([1.0, -1.0])
    opt = optim.ASGD([p], lr=0.1, lambd=0.0, t0=0)
    iterates = []
    rng = np.random.default_rng(3)
    for _ in range(6):
        p.grad = mt.tensor(rng.standard_normal(2))
        opt.step()
        iterates.append(p.detach().numpy().copy())
    np.testing.assert_allclose(opt.state[p]["ax"].numpy(), np.mean(iterates[1:], axis=0))


def test_asgd_step_size_decays():
    p = _param([1.0])
    opt = optim.ASGD([p], lr=0.1, lambd=0.5, alpha=0.75)
    _run(opt, [p], [[[1.0]]] * 3)
    assert opt.state[p]["eta"] == pytest.approx(0.1 / (1 + 0.5 * 0.1 * 3) ** 0.75, rel=1e-15)


@pytest.mark.parametrize(
    "cls,kw",
    [
        (optim.SGD, dict(lr=0.1, momentum=0.9)),
        (optim.RAdam, dict(lr=0.1)),
        (optim.Adadelta, dict()),
        (optim.Adamax, dict(lr=0.1)),
        (optim.ASGD, dict(lr=0.1)),
        (optim.Adam, dict(lr=0.1)),
        (optim.RMSprop, dict(lr=0.1)),
        (optim.Adagrad, dict(lr=0.1)),
        (optim.NAdam, dict(lr=0.1)),
    ],
    ids=lambda x: x.__name__ if inspect.isclass(x) else "",
)
def test_maximize_is_minimizing_the_negated_gradient(cls, kw):
    grads = [[np.array([0.3, -1.2])], [np.array([-0.7, 0.4])], [np.array([1.1, 0.2])]]
    up, down = _param([0.5, 1.5]), _param([0.5, 1.5])
    _run(cls([up], maximize=True, **kw), [up], grads)
    _run(cls([down], **kw), [down], [[-g for g in gs] for gs in grads])
    np.testing.assert_array_equal(up.detach().numpy(), down.detach().numpy())


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda p: optim.Adadelta(p, rho=1.5), "rho"),
        (lambda p: optim.Adadelta(p, lr=-1.0), "learning rate"),
        (lambda p: optim.Adamax(p, betas=(0.9, 1.0)), "beta parameter at index 1"),
        (lambda p: optim.RAdam(p, eps=-1.0), "epsilon"),
        (lambda p: optim.ASGD(p, weight_decay=-0.1), "weight_decay"),
        (lambda p: optim.LBFGS(p, lr=-1.0), "learning rate"),
        (lambda p: optim.LBFGS(p, line_search_fn="armijo"), "strong_wolfe"),
        (lambda p: optim.LBFGS([{"params": p[:1]}, {"params": p[1:]}]), "parameter groups"),
    ],
)
def test_bad_hyperparameters_raise_value_error(make, message):
    with pytest.raises(ValueError, match=message):
        make([_param([1.0]), _param([2.0])])


NEW_OPTIMIZERS = [
    (optim.RAdam, dict(lr=0.05)),
    (optim.Adadelta, dict(rho=0.8, eps=1e-2)),
    (optim.Adamax, dict(lr=0.05)),
    (optim.ASGD, dict(lr=0.05, t0=1)),
]


@pytest.mark.parametrize("cls,kw", NEW_OPTIMIZERS, ids=lambda x: getattr(x, "__name__", ""))
def test_new_optimizers_reduce_a_quadratic(cls, kw):
    target = np.array([1.0, -2.0, 0.5])
    p = _param(np.zeros(3))
    opt = cls([p], **kw)
    first = float(np.sum((p.detach().numpy() - target) ** 2))
    for _ in range(100):
        opt.zero_grad()
        ((p - mt.tensor(target)) ** 2).sum().backward()
        opt.step()
    assert float(np.sum((p.detach().numpy() - target) ** 2)) < 0.5 * first


# ---------------------------------------------------------------------------------- L-BFGS
def _rosenbrock_problem(**kw):
    params = [_param(a) for a in golden.ROSENBROCK_START]
    opt = optim.LBFGS(params, **kw)

    def closure():
        opt.zero_grad()
        loss = golden.rosenbrock(mt, params)
        loss.backward()
        return loss

    return params, opt, closure


def test_lbfgs_strong_wolfe_solves_rosenbrock():
    params, opt, closure = _rosenbrock_problem(line_search_fn="strong_wolfe", max_iter=100)
    for _ in range(5):
        opt.step(closure)
    flat = np.concatenate([p.detach().numpy().reshape(-1) for p in params])
    np.testing.assert_allclose(flat, np.ones(6), atol=1e-4)  # the minimum
    assert golden.rosenbrock(mt, params).item() < 1e-9  # PyTorch gets 3.27e-10 too


def test_lbfgs_step_returns_first_loss_and_needs_a_closure():
    params, opt, closure = _rosenbrock_problem(max_iter=3)
    first = golden.rosenbrock(mt, params).item()
    assert opt.step(closure).item() == pytest.approx(first, rel=1e-15)
    with pytest.raises(TypeError):
        opt.step()  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [_param([0.0])]})


def test_lbfgs_stops_at_once_when_gradient_is_below_tolerance():
    p = _param([0.0, 0.0])
    opt = optim.LBFGS([p])

    def closure():
        opt.zero_grad()
        loss = ((p - 1e-9) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert opt.state[p]["func_evals"] == 1 and opt.state[p]["n_iter"] == 0
    np.testing.assert_array_equal(p.detach().numpy(), [0.0, 0.0])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_lbfgs_state_dict_resumes_identically(line_search_fn, tmp_path):
    kw = dict(line_search_fn=line_search_fn, max_iter=3, history_size=2)
    params, opt, closure = _rosenbrock_problem(**kw)
    opt.step(closure)
    opt.step(closure)
    n_iter = opt.state[params[0]]["n_iter"]
    path = tmp_path / "lbfgs.mt"
    mt.save(opt.state_dict(), path)
    saved = opt.state_dict()
    resumed_params, resumed, resumed_closure = _rosenbrock_problem(**kw)
    for p, q in zip(params, resumed_params, strict=True):
        q._data[...] = p._data
    resumed.load_state_dict(mt.load(path))
    for _ in range(3):
        opt.step(closure)
        resumed.step(resumed_closure)
    for p, q in zip(params, resumed_params, strict=True):
        np.testing.assert_array_equal(p._data, q._data)
    # the state dict taken earlier is a snapshot: later steps did not change it
    assert saved["state"][0]["n_iter"] == n_iter < opt.state[params[0]]["n_iter"]


def test_lbfgs_direction_is_minus_the_bfgs_inverse_hessian_times_gradient():
    rng = np.random.default_rng(0)
    n, pairs = 4, 3
    a = rng.standard_normal((n, n))
    hessian = a @ a.T + n * np.eye(n)  # a positive definite quadratic model
    steps = [rng.standard_normal(n) for _ in range(pairs)]
    changes = [hessian @ s for s in steps]
    ro = [1.0 / float(y @ s) for y, s in zip(changes, steps, strict=True)]
    h0 = float(changes[-1] @ steps[-1]) / float(changes[-1] @ changes[-1])
    inverse = h0 * np.eye(n)  # the dense BFGS updates, oldest pair first
    for s, y, r in zip(steps, changes, ro, strict=True):
        left = np.eye(n) - r * np.outer(s, y)
        inverse = left @ inverse @ left.T + r * np.outer(s, s)
    g = rng.standard_normal(n)
    d = lbfgs_direction(g, changes, steps, ro, h0)
    np.testing.assert_allclose(d, -inverse @ g, rtol=1e-12)


def test_cubic_interpolate_finds_the_minimum_of_a_cubic():
    def f(x):
        return x**3 - 3 * x  # minimum at x = 1

    def df(x):
        return 3 * x**2 - 3

    assert cubic_interpolate(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0)) == pytest.approx(1.0)
    # the result is clipped to the bounds; no real minimiser gives the middle of the bounds
    assert cubic_interpolate(0.0, f(0.0), df(0.0), 2.0, f(2.0), df(2.0), (1.5, 3.0)) == 1.5
    assert cubic_interpolate(0.0, 0.0, 1.0, 1.0, 2 / 3, 1.0, (0.0, 4.0)) == 2.0


# ---------------------------------------------------------------------------------- schedules
def _sgd(lrs=(0.1, 0.03)):
    groups = [{"params": [_param(np.zeros(2))], "lr": lr} for lr in lrs]
    return optim.SGD(groups, lr=lrs[0], momentum=0.9)


def _lrs(scheduler, optimizer, steps):
    seen = [scheduler.get_last_lr()[0]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        seen.append(scheduler.get_last_lr()[0])
    return seen


def test_cyclic_triangle_by_hand():
    opt = _sgd()
    s = sched.CyclicLR(opt, base_lr=0.0, max_lr=1.0, step_size_up=2, step_size_down=4)
    expected = [0, 0.5, 1, 0.75, 0.5, 0.25, 0, 0.5, 1]
    np.testing.assert_allclose(_lrs(s, opt, 8), expected, atol=1e-15)
    # momentum runs the other way: max (0.9) at the bottom of the lr, base (0.8) at the top
    assert opt.param_groups[0]["momentum"] == pytest.approx(0.8)


def test_cyclic_triangular2_halves_the_amplitude():
    opt = _sgd()
    s = sched.CyclicLR(opt, 0.0, 1.0, step_size_up=1, mode="triangular2", cycle_momentum=False)
    np.testing.assert_allclose(_lrs(s, opt, 6), [0, 1, 0, 0.5, 0, 0.25, 0], atol=1e-15)


def test_one_cycle_by_hand():
    opt = _sgd()
    s = sched.OneCycleLR(opt, max_lr=1.0, total_steps=10, anneal_strategy="linear")
    seen = _lrs(s, opt, 9)
    initial, low = 1.0 / 25, 1.0 / 25 / 1e4
    assert seen[0] == pytest.approx(initial) and seen[2] == pytest.approx(1.0)  # peak: 0.3·10−1
    np.testing.assert_allclose(seen[2:], np.linspace(1.0, low, 8), rtol=1e-9)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        opt.step()
        s.step()  # step 10 is allowed (as in PyTorch), step 11 is not
        s.step()


def test_one_cycle_sets_beta1_of_adam():
    opt = optim.Adam([_param([0.0])], lr=0.1)
    sched.OneCycleLR(opt, max_lr=0.1, total_steps=10)
    assert opt.param_groups[0]["betas"] == (0.95, 0.999)


@pytest.mark.parametrize(
    "make,error,message",
    [
        (lambda o: sched.OneCycleLR(o, 1.0), ValueError, "total_steps OR"),
        (lambda o: sched.OneCycleLR(o, 1.0, total_steps=0), ValueError, "total_steps"),
        (lambda o: sched.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=-1), ValueError, "steps"),
        (lambda o: sched.OneCycleLR(o, 1.0, 10, pct_start=1), ValueError, "pct_start"),
        (lambda o: sched.OneCycleLR(o, 1.0, 10, anneal_strategy="exp"), ValueError, "anneal"),
        (lambda o: sched.OneCycleLR(o, [1.0], 10), ValueError, "same length"),
        (lambda o: sched.CyclicLR(o, 0.1, 1.0, mode="sine"), ValueError, "mode is invalid"),
        (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
        (lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=1.5), ValueError, "T_mult"),
        (lambda o: sched.CosineAnnealingWarmRestarts(o, 2, eta_min="0"), ValueError, "eta_min"),
    ],
)
def test_schedule_argument_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(_sgd())


def test_cycle_momentum_needs_a_momentum():
    opt = optim.Adagrad([_param([0.0])], lr=0.1)
    with pytest.raises(ValueError, match="momentum or beta1"):
        sched.CyclicLR(opt, 0.01, 0.1)
    with pytest.raises(ValueError, match="momentum or beta1"):
        sched.OneCycleLR(opt, 0.1, total_steps=5)


def test_warm_restarts_by_hand():
    opt = _sgd()
    s = sched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
    cycle = [0.1, 0.05, 0.1, 0.1 * (1 + math.cos(math.pi / 4)) / 2, 0.05]
    np.testing.assert_allclose(_lrs(s, opt, 4), cycle, rtol=1e-14)
    s.step(2.5)  # fractional: half a step into the second cycle (length 4)
    assert s.get_last_lr()[0] == pytest.approx(0.1 * (1 + math.cos(math.pi / 8)) / 2)
    assert s.last_epoch == 2
    with pytest.raises(ValueError, match="non-negative"):
        s.step(-1)


@pytest.mark.parametrize(
    "make",
    [
        lambda o: sched.OneCycleLR(o, max_lr=0.5, total_steps=40, three_phase=True),
        lambda o: sched.CyclicLR(o, 0.01, 0.1, step_size_up=3, mode="exp_range", gamma=0.9),
        lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.01),
    ],
)
def test_new_schedules_state_dict_round_trip(make):
    opt = _sgd()
    s = make(opt)
    _lrs(s, opt, 7)
    state = s.state_dict()
    json.dumps(state)  # numbers, strings and lists only
    opt2 = _sgd()
    opt2.load_state_dict(opt.state_dict())
    s2 = make(opt2)
    s2.load_state_dict(state)
    assert _lrs(s, opt, 10) == _lrs(s2, opt2, 10)
    assert [g.get("momentum") for g in opt.param_groups] == [
        g.get("momentum") for g in opt2.param_groups
    ]


def test_cyclic_state_dict_saves_a_callable_scale_object():
    class Scale:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, x):
            return self.rate**x

    fn = Scale()
    s = sched.CyclicLR(_sgd(), 0.01, 0.1, scale_fn=fn)
    fn.rate = 0.25
    state = s.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.25}
    other = Scale()
    s2 = sched.CyclicLR(_sgd(), 0.01, 0.1, scale_fn=other)
    s2.load_state_dict(state)
    assert other.rate == 0.25
    plain = sched.CyclicLR(_sgd(), 0.01, 0.1, scale_fn=lambda x: 1.0)
    assert plain.state_dict()["_scale_fn_custom"] is None


@pytest.mark.parametrize("cls,kw", NEW_OPTIMIZERS, ids=lambda x: getattr(x, "__name__", ""))
def test_new_optimizers_keep_float32(cls, kw):
    p = mt.tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    opt = cls([p], **kw)
    _run(opt, [p], [[[0.5, 0.25]], [[-0.5, 1.0]]])
    assert p.dtype == mt.float32
    assert all(v.dtype == mt.float32 for v in opt.state[p].values() if isinstance(v, mt.Tensor))


def test_lbfgs_keeps_float32_and_skips_parameters_without_gradient():
    p = mt.tensor(np.array([3.0, -1.0], dtype=np.float32), requires_grad=True)
    unused = mt.tensor(np.array([7.0], dtype=np.float32), requires_grad=True)
    opt = optim.LBFGS([p, unused], line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = ((p - 1.0) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert p.dtype == mt.float32
    np.testing.assert_allclose(p.detach().numpy(), [1.0, 1.0], atol=1e-5)
    assert unused.item() == 7.0  # its gradient counts as zero: it does not move


def test_lbfgs_step_invalidates_graphs_that_saved_the_parameters():
    p = _param([1.0, 2.0])
    opt = optim.LBFGS([p], max_iter=2)
    stale = (p * p).sum()

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    opt.step(closure)
    with pytest.raises(RuntimeError, match="LBFGS.step"):
        stale.backward()
