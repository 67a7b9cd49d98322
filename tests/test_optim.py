"""Tests of microtensor.optim: parity with torch.optim, convergence, groups, checkpoints, errors."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

import microtensor as mt
from microtensor import optim
from microtensor.optim.optimizer import ParamsT

# ----------------------------------------------------------------------------- helpers

SHAPES = [(3, 4), (5,), ()]


def make_params(seed: int = 0, dtype=np.float64) -> list[mt.Tensor]:
    rng = np.random.default_rng(seed)
    return [
        mt.tensor(np.asarray(rng.standard_normal(s), dtype=dtype), requires_grad=True)
        for s in SHAPES
    ]


def quadratic_grad(x: np.ndarray, k: int) -> np.ndarray:
    """A gradient that depends on the parameter (so errors propagate) and on the step."""
    return 0.8 * x - 0.3 + 0.2 * np.sin(2.0 * x + k)


def set_grads(params: list[mt.Tensor], k: int) -> None:
    for p in params:
        p.grad = mt.tensor(quadratic_grad(p._data, k))


def group_spec(params, lr: float):
    """Two groups: the first with the optimizer's lr, the second with its own lr."""
    return [{"params": params[:2]}, {"params": params[2:], "lr": lr * 0.5}]


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / (1.0 + np.abs(b)), initial=0.0))


# The option grids compared with PyTorch: (microtensor class, torch class name, kwargs).
def _grid(**axes):
    keys = list(axes)
    for values in itertools.product(*axes.values()):
        yield dict(zip(keys, values, strict=True))


CASES = []
for kw in _grid(
    momentum=[0.0, 0.9],
    dampening=[0.0, 0.3],
    nesterov=[False, True],
    weight_decay=[0.0, 0.1],
    maximize=[False, True],
):
    if kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0):
        continue
    CASES.append(("SGD", dict(lr=0.05, **kw)))
for kw in _grid(weight_decay=[0.0, 0.1], amsgrad=[False, True], maximize=[False, True]):
    CASES.append(("Adam", dict(lr=0.05, betas=(0.8, 0.95), eps=1e-6, **kw)))
    CASES.append(("AdamW", dict(lr=0.05, betas=(0.85, 0.99), eps=1e-7, **kw)))
for kw in _grid(
    weight_decay=[0.0, 0.1], momentum=[0.0, 0.9], centered=[False, True], maximize=[False, True]
):
    CASES.append(("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, **kw)))
for kw in _grid(
    weight_decay=[0.0, 0.1],
    lr_decay=[0.0, 0.05],
    initial_accumulator_value=[0.0, 0.5],
    maximize=[False, True],
):
    CASES.append(("Adagrad", dict(lr=0.1, eps=1e-9, **kw)))
for kw in _grid(
    weight_decay=[0.0, 0.1],
    decoupled_weight_decay=[False, True],
    momentum_decay=[4e-3, 0.1],
    maximize=[False, True],
):
    CASES.append(("NAdam", dict(lr=0.02, betas=(0.85, 0.99), eps=1e-7, **kw)))


def _case_id(case) -> str:
    name, kw = case
    flags = ",".join(f"{k}={v}" for k, v in kw.items() if k not in ("lr", "betas", "eps", "alpha"))
    return f"{name}[{flags}]"


@pytest.fixture
def torch64():
    torch = pytest.importorskip("torch")
    old = torch.get_default_dtype()
    # PyTorch keeps step counts and NAdam's mu_product as tensors of the default dtype; float64
    # makes them exact, so the comparison is about the update rules, not float32 round-off.
    torch.set_default_dtype(torch.float64)
    yield torch
    torch.set_default_dtype(old)


# ----------------------------------------------------------------------------- parity with torch
@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_matches_torch_step_by_step(case, torch64):
    torch = torch64
    name, kw = case
    params = make_params(seed=len(kw))
    t_params = [torch.tensor(p._data.copy(), requires_grad=True) for p in params]
    opt = getattr(optim, name)(group_spec(params, kw["lr"]), **kw)
    t_opt = getattr(torch.optim, name)(group_spec(t_params, kw["lr"]), **kw)

    worst = 0.0
    for k in range(20):
        set_grads(params, k)
        for tp in t_params:
            tp.grad = torch.tensor(quadratic_grad(tp.detach().numpy(), k))
        opt.step()
        t_opt.step()
        for p, tp in zip(params, t_params, strict=True):
            worst = max(worst, rel_err(p._data, tp.detach().numpy()))
    assert worst < 1e-12, f"{name} drifted from torch.optim.{name}: {worst:.3g}"

    # The state buffers agree as well (names as in PyTorch).
    for p, tp in zip(params, t_params, strict=True):
        ours, theirs = opt.state[p], t_opt.state[tp]
        for key, value in theirs.items():
            assert key in ours, f"{name}: state lacks {key!r}"
            mine = ours[key]
            mine = mine._data if isinstance(mine, mt.Tensor) else mine
            assert rel_err(mine, value.detach().numpy()) < 1e-12, f"{name}: state {key!r}"


def test_float32_params_keep_float32_and_track_torch(torch64):
    torch = torch64
    params = make_params(seed=3, dtype=np.float32)
    t_params = [torch.tensor(p._data.copy(), requires_grad=True) for p in params]
    opt = optim.Adam(params, lr=0.01, weight_decay=0.01)
    t_opt = torch.optim.Adam(t_params, lr=0.01, weight_decay=0.01)
    for k in range(10):
        for p, tp in zip(params, t_params, strict=True):
            g = quadratic_grad(p._data.astype(np.float64), k).astype(np.float32)
            p.grad = mt.tensor(g)
            tp.grad = torch.tensor(g)
        opt.step()
        t_opt.step()
    for p, tp in zip(params, t_params, strict=True):
        assert p.dtype == np.float32
        assert opt.state[p]["exp_avg"].dtype == np.float32
        np.testing.assert_allclose(p._data, tp.detach().numpy(), rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- Lion
def lion_reference(x, g, m, lr, beta1, beta2, wd, maximize):
    """Algorithm 2 of Chen et al. (2023), written without in-place operations."""
    if maximize:
        g = -g
    c = beta1 * m + (1 - beta1) * g
    x_new = x - lr * (np.sign(c) + wd * x)
    m_new = beta2 * m + (1 - beta2) * g
    return x_new, m_new


@pytest.mark.parametrize(
    "wd,maximize,betas",
    [(0.0, False, (0.9, 0.99)), (0.1, False, (0.9, 0.99)), (0.1, True, (0.8, 0.95))],
)
def test_lion_matches_paper(wd, maximize, betas):
    params = make_params(seed=5)
    ref_x = [p._data.copy() for p in params]
    ref_m = [np.zeros_like(x) for x in ref_x]
    opt = optim.Lion(params, lr=0.01, betas=betas, weight_decay=wd, maximize=maximize)
    for k in range(20):
        set_grads(params, k)
        grads = [p.grad._data.copy() for p in params]
        opt.step()
        for i, g in enumerate(grads):
            ref_x[i], ref_m[i] = lion_reference(ref_x[i], g, ref_m[i], 0.01, *betas, wd, maximize)
    for p, x, m in zip(params, ref_x, ref_m, strict=True):
        assert rel_err(p._data, x) < 1e-14
        assert rel_err(opt.state[p]["exp_avg"]._data, m) < 1e-14


def test_lion_first_step_moves_every_coordinate_by_lr():
    p = mt.tensor(np.array([1.0, -2.0, 3.0, 0.5]), requires_grad=True)
    p.grad = mt.tensor(np.array([1e-6, -50.0, 3.0, -1e-3]))
    optim.Lion([p], lr=0.1).step()
    np.testing.assert_allclose(p._data, [0.9, -1.9, 2.9, 0.6], rtol=0, atol=1e-15)


# ----------------------------------------------------------------------------- convergence
# (class, kwargs, steps, tolerance on max |x - x*|). RMSprop and Lion normalize the step by the
# gradient's size, so with a constant lr they end in a small cycle (of size ~lr) around x*.
CONVERGENCE = [
    (optim.SGD, dict(lr=0.1), 300, 1e-6),
    (optim.SGD, dict(lr=0.05, momentum=0.9), 300, 1e-6),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True), 300, 1e-6),
    (optim.Adam, dict(lr=0.05), 600, 1e-8),
    (optim.Adam, dict(lr=0.05, amsgrad=True), 600, 1e-8),
    (optim.AdamW, dict(lr=0.05, weight_decay=0.0), 600, 1e-8),
    (optim.RMSprop, dict(lr=0.01), 600, 5e-3),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True), 600, 5e-3),
    (optim.Adagrad, dict(lr=0.5), 600, 1e-8),
    (optim.NAdam, dict(lr=0.05), 600, 2e-3),
    (optim.Lion, dict(lr=0.01), 600, 2e-2),
]


def _conv_id(case) -> str:
    cls, kw, _, _ = case
    return cls.__name__ + "".join(f"-{k}" for k, v in kw.items() if k != "lr" and v)


@pytest.mark.parametrize("case", CONVERGENCE, ids=_conv_id)
def test_converges_on_quadratic(case):
    """Minimize f(x) = ½ (x − x*)ᵀ A (x − x*), whose gradient is A (x − x*)."""
    cls, kw, steps, tol = case
    rng = np.random.default_rng(0)
    q = np.linalg.qr(rng.standard_normal((6, 6)))[0]
    a = q @ np.diag(np.linspace(0.5, 3.0, 6)) @ q.T  # condition number 6
    x_star = rng.standard_normal(6)
    x = mt.tensor(np.zeros(6), requires_grad=True)
    opt = cls([x], **kw)
    start = np.max(np.abs(x._data - x_star))
    for _ in range(steps):
        x.grad = mt.tensor(a @ (x._data - x_star))
        opt.step()
    assert start > 1.0
    assert np.max(np.abs(x._data - x_star)) < tol


MLP_CASES = [
    (optim.SGD, dict(lr=0.1, momentum=0.9)),
    (optim.Adam, dict(lr=0.01)),
    (optim.AdamW, dict(lr=0.01, weight_decay=1e-3)),
    (optim.RMSprop, dict(lr=0.003)),
    (optim.Adagrad, dict(lr=0.1)),
    (optim.NAdam, dict(lr=0.01)),
    (optim.Lion, dict(lr=0.002)),
]


@pytest.mark.parametrize("cls,kw", MLP_CASES, ids=[c.__name__ for c, _ in MLP_CASES])
def test_trains_small_mlp(cls, kw):
    """A 1-16-1 tanh network fits y = sin(2x) on [-1.5, 1.5] through mt's autograd."""
    rng = np.random.default_rng(1)
    x_np = np.linspace(-1.5, 1.5, 64).reshape(-1, 1)
    x = mt.tensor(x_np)
    y = mt.tensor(np.sin(2 * x_np))
    w1 = mt.tensor(rng.standard_normal((1, 16)), requires_grad=True)
    b1 = mt.tensor(np.zeros(16), requires_grad=True)
    w2 = mt.tensor(rng.standard_normal((16, 1)) / 4, requires_grad=True)
    b2 = mt.tensor(np.zeros(1), requires_grad=True)
    opt = cls([w1, b1, w2, b2], **kw)

    def loss_fn():
        pred = (x @ w1 + b1).tanh() @ w2 + b2
        return ((pred - y) ** 2).mean()

    first = loss_fn().item()
    for _ in range(400):
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        opt.step()
    final = loss_fn().item()
    assert final < 0.05 * first, f"{cls.__name__}: loss {first:.4f} -> {final:.4f}"


# ----------------------------------------------------------------------------- checkpoints
ALL_OPTIMIZERS = [
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (optim.Adam, dict(lr=0.05, amsgrad=True)),
    (optim.AdamW, dict(lr=0.05)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.9, centered=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    (optim.NAdam, dict(lr=0.02, weight_decay=0.01)),
    (optim.Lion, dict(lr=0.01, weight_decay=0.1)),
    (optim.RAdam, dict(lr=0.05, weight_decay=0.01, decoupled_weight_decay=True)),
    (optim.Adadelta, dict(lr=1.0, rho=0.8, weight_decay=0.01)),
    (optim.Adamax, dict(lr=0.05, weight_decay=0.01)),
    (optim.ASGD, dict(lr=0.05, lambd=0.01, t0=2)),
]
ALL_IDS = [c.__name__ for c, _ in ALL_OPTIMIZERS]


def _clone_params(params):
    return [mt.tensor(p._data.copy(), requires_grad=True) for p in params]


@pytest.mark.parametrize("cls,kw", ALL_OPTIMIZERS, ids=ALL_IDS)
def test_state_dict_round_trip_resumes_identically(cls, kw):
    params = make_params(seed=7)
    opt = cls(group_spec(params, kw["lr"]), **kw)
    for k in range(5):
        set_grads(params, k)
        opt.step()
    saved = opt.state_dict()

    resumed_params = _clone_params(params)
    resumed = cls(group_spec(resumed_params, 123.0), **kw)  # other lrs: the load restores them
    resumed.load_state_dict(saved)
    assert [g["lr"] for g in resumed.param_groups] == [g["lr"] for g in opt.param_groups]

    for k in range(5, 12):
        set_grads(params, k)
        set_grads(resumed_params, k)
        opt.step()
        resumed.step()
    for p, q in zip(params, resumed_params, strict=True):
        np.testing.assert_array_equal(p._data, q._data)  # bit for bit


@pytest.mark.parametrize("cls,kw", ALL_OPTIMIZERS, ids=ALL_IDS)
def test_state_dict_survives_save_and_load(cls, kw, tmp_path):
    if not hasattr(mt, "save"):
        pytest.skip("mt.save is not available yet")
    params = make_params(seed=8)
    opt = cls(group_spec(params, kw["lr"]), **kw)
    for k in range(4):
        set_grads(params, k)
        opt.step()
    path = tmp_path / "opt.mt"
    mt.save(opt.state_dict(), path)
    resumed_params = _clone_params(params)
    resumed = cls(group_spec(resumed_params, 1.0), **kw)
    resumed.load_state_dict(mt.load(path))
    for k in range(4, 9):
        set_grads(params, k)
        set_grads(resumed_params, k)
        opt.step()
        resumed.step()
    for p, q in zip(params, resumed_params, strict=True):
        np.testing.assert_array_equal(p._data, q._data)


def test_state_dict_layout_and_snapshot():
    params = make_params()
    opt = optim.Adam(group_spec(params, 0.1), lr=0.1)
    set_grads(params, 0)
    opt.step()
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0, 1], [2]]
    assert sd["param_groups"][1]["lr"] == 0.05
    assert sorted(sd["state"]) == [0, 1, 2]
    assert sd["state"][0]["step"] == 1
    assert isinstance(sd["state"][0]["exp_avg"], mt.Tensor)
    before = sd["state"][0]["exp_avg"]._data.copy()
    set_grads(params, 1)
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"]._data, before)  # a snapshot
    assert opt.state[params[0]]["step"] == 2


def _as_if_from_a_file(sd):
    """What a file format may give back: string keys, lists for tuples, numbers as 0-d tensors."""
    state = {
        str(k): {
            name: (mt.tensor(np.asarray(v)) if isinstance(v, (int, float)) else v)
            for name, v in s.items()
        }
        for k, s in sd["state"].items()
    }
    groups = [
        {k: (list(v) if isinstance(v, tuple) else v) for k, v in g.items()}
        for g in sd["param_groups"]
    ]
    return {"state": state, "param_groups": groups}


def test_load_state_dict_accepts_what_a_file_gives_back():
    params = make_params()
    opt = optim.NAdam(params, lr=0.1)
    for k in range(3):
        set_grads(params, k)
        opt.step()
    sd = _as_if_from_a_file(opt.state_dict())
    assert isinstance(sd["state"]["0"]["mu_product"], mt.Tensor)
    resumed_params = _clone_params(params)
    other = optim.NAdam(resumed_params, lr=0.1)
    other.load_state_dict(sd)
    assert other.param_groups[0]["betas"] == (0.9, 0.999)
    state = other.state[resumed_params[1]]
    assert state["step"] == 3 and isinstance(state["step"], int)
    assert isinstance(state["mu_product"], float)
    for k in range(3, 6):
        set_grads(params, k)
        set_grads(resumed_params, k)
        opt.step()
        other.step()
    for p, q in zip(params, resumed_params, strict=True):
        np.testing.assert_array_equal(p._data, q._data)


def test_load_state_dict_checks_structure():
    params = make_params()
    opt = optim.SGD(group_spec(params, 0.1), lr=0.1, momentum=0.9)
    sd = opt.state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.SGD(params, lr=0.1).load_state_dict(sd)
    other = optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1)
    with pytest.raises(ValueError, match="group 0 has 2 parameters"):
        other.load_state_dict(sd)


def test_load_state_dict_casts_to_param_dtype():
    params = make_params(dtype=np.float64)
    opt = optim.Adam(params)
    set_grads(params, 0)
    opt.step()
    p32 = [mt.tensor(p._data.astype(np.float32), requires_grad=True) for p in params]
    opt32 = optim.Adam(p32)
    opt32.load_state_dict(opt.state_dict())
    assert opt32.state[p32[0]]["exp_avg"].dtype == np.float32
    assert opt32.state[p32[0]]["step"] == 1


# ----------------------------------------------------------------------------- base class
def test_param_groups_get_defaults_and_their_own_lr():
    params = make_params()
    opt = optim.SGD(group_spec(params, 0.2), lr=0.2, momentum=0.5)
    assert opt.param_groups[0]["lr"] == 0.2 and opt.param_groups[1]["lr"] == 0.1
    assert all(g["momentum"] == 0.5 for g in opt.param_groups)
    before = [p._data.copy() for p in params]
    for p in params:
        p.grad = mt.tensor(np.ones(p.shape))
    opt.step()
    np.testing.assert_allclose(before[0] - params[0]._data, 0.2)
    np.testing.assert_allclose(before[2] - params[2]._data, 0.1)


def test_add_param_group():
    params = make_params()
    opt = optim.SGD(params[:2], lr=0.1)
    opt.add_param_group({"params": params[2], "lr": 0.01})
    assert len(opt.param_groups) == 2 and opt.param_groups[1]["params"] == [params[2]]
    assert opt.param_groups[1]["momentum"] == 0
    old = params[2]._data.copy()
    params[2].grad = mt.tensor(np.ones(()))
    opt.step()
    np.testing.assert_allclose(old - params[2]._data, 0.01)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [params[0]]})


def test_named_parameters_are_recorded():
    params = make_params()
    opt = optim.SGD([("w", params[0]), ("b", params[1])], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]


def test_zero_grad():
    params = make_params()
    opt = optim.SGD(params, lr=0.1)
    set_grads(params, 0)
    grad_obj = params[0].grad
    opt.zero_grad(set_to_none=False)
    assert params[0].grad is grad_obj
    assert np.all(params[0].grad._data == 0)
    opt.zero_grad()
    assert all(p.grad is None for p in params)


def test_params_without_grad_are_skipped():
    params = make_params()
    opt = optim.Adam(params, lr=0.1)
    params[0].grad = mt.tensor(np.ones(params[0].shape))
    before = params[1]._data.copy()
    opt.step()
    np.testing.assert_array_equal(params[1]._data, before)
    assert params[1] not in opt.state and opt.state[params[0]]["step"] == 1


def test_step_bumps_the_version_counter():
    p = mt.tensor(np.ones(3), requires_grad=True)
    p.grad = mt.tensor(np.ones(3))
    v = p._version
    optim.SGD([p], lr=0.1).step()
    assert p._version == v + 1


@pytest.mark.parametrize("cls,kw", ALL_OPTIMIZERS, ids=ALL_IDS)
def test_step_with_closure_returns_loss_and_records_graph(cls, kw):
    w = mt.tensor(np.array([1.0, -2.0]), requires_grad=True)
    opt = cls([w], **kw)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append(loss.item())
        return loss

    with mt.no_grad():
        loss = opt.step(closure)
    assert calls == [5.0] and loss.item() == 5.0
    assert not np.array_equal(w._data, [1.0, -2.0])


def test_bad_arguments_raise_clear_errors():
    p = mt.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.SGD([p], lr=-0.1)
    with pytest.raises(ValueError, match="Invalid learning rate"):
        optim.Adam([{"params": [p], "lr": -1.0}])
    with pytest.raises(ValueError, match="appears twice"):
        optim.SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="ordered collection"):
        optim.SGD({p}, lr=0.1)
    with pytest.raises(TypeError, match="only optimize Tensors"):
        optim.SGD([np.ones(3)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="epsilon"):
        optim.RMSprop([p], eps=-1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        optim.AdamW([p], weight_decay=-0.1)
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        optim.Adagrad([p], initial_accumulator_value=-1.0)
    with pytest.raises(ValueError, match="momentum_decay"):
        optim.NAdam([p], momentum_decay=-1.0)


def test_repr_lists_groups():
    text = repr(optim.SGD(make_params(), lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "lr: 0.1" in text and "momentum: 0.9" in text


def test_user_defined_optimizer_subclass():
    """The PyTorch recipe for a custom optimizer works: defaults, groups, lazy state[p]."""

    class SignSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is None:
                        continue
                    state = self.state[p]
                    state["step"] = state.get("step", 0) + 1
                    p._data -= group["lr"] * np.sign(p.grad._data)

    p = mt.tensor(np.array([1.0, -1.0]), requires_grad=True)
    p.grad = mt.tensor(np.array([3.0, 0.5]))
    opt = SignSGD([p], lr=0.25)
    opt.step()
    opt.step()
    np.testing.assert_allclose(p._data, [0.5, -1.5])
    assert opt.state_dict()["state"] == {0: {"step": 2}}


# ----------------------------------------------------------------------------- a new optimizer
# Extending is one place: an optimizer with scalar state, written here and nowhere else. Nothing
# in microtensor/optim/optimizer.py knows about it.


def debiased_momentum_update(
    param: np.ndarray,
    grad: np.ndarray,
    exp_avg: np.ndarray,
    *,
    beta_power: float,
    lr: float,
    beta: float,
) -> float:
    """One step of momentum with Adam's bias correction; returns the new βᵗ::

        m  ← β·m + (1 − β)·g
        βᵗ ← βᵗ⁻¹·β                 a running product (1 before the first step)
        θ  ← θ − γ·m / (1 − βᵗ)
    """
    exp_avg *= beta
    exp_avg += (1.0 - beta) * grad
    beta_power = beta_power * beta
    param -= (lr / (1.0 - beta_power)) * exp_avg
    return beta_power


class DebiasedMomentum(optim.Optimizer):
    """Momentum with bias correction. State: ``"step"`` (int), ``"beta_power"`` (float),
    ``"exp_avg"`` (a buffer)."""

    _scalar_state = {"step": int, "beta_power": float}

    def __init__(self, params: ParamsT, lr: float = 0.1, beta: float = 0.9) -> None:
        super().__init__(params, dict(lr=lr, beta=beta))

    def _update(self, p: mt.Tensor, state: dict[str, Any], group: dict[str, Any]) -> None:
        if len(state) == 0:
            state["step"] = 0
            state["beta_power"] = 1.0
            state["exp_avg"] = self._zeros_like(p)
        state["step"] += 1
        state["beta_power"] = debiased_momentum_update(
            p._data,
            p.grad._data,
            state["exp_avg"]._data,
            beta_power=state["beta_power"],
            lr=group["lr"],
            beta=group["beta"],
        )


def test_new_optimizer_with_scalar_state_trains():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3))
    w_true, b_true = np.array([1.5, -2.0, 0.5]), 0.25
    y = mt.tensor(x @ w_true + b_true)
    xt = mt.tensor(x)
    w = mt.tensor(np.zeros(3), requires_grad=True)
    b = mt.tensor(np.zeros(()), requires_grad=True)
    opt = DebiasedMomentum([w, b], lr=0.05, beta=0.8)

    def loss_fn():
        return ((xt @ w + b - y) ** 2).mean()

    # The first step: m = (1 − β)·g and 1 − β¹ = 1 − β, so the correction gives θ − γ·g.
    opt.zero_grad()
    first = loss_fn()
    first.backward()
    g_w = w.grad._data.copy()
    opt.step()
    np.testing.assert_allclose(w._data, -0.05 * g_w, rtol=1e-14)

    for _ in range(299):
        opt.zero_grad()
        loss_fn().backward()
        opt.step()
    assert loss_fn().item() < 1e-10 * first.item()
    np.testing.assert_allclose(w._data, w_true, atol=1e-5)
    assert b.item() == pytest.approx(b_true, abs=1e-5)

    state = opt.state[w]
    assert state["step"] == 300 and isinstance(state["step"], int)
    assert isinstance(state["beta_power"], float)
    assert state["beta_power"] == pytest.approx(0.8**300, rel=1e-12)
    assert isinstance(state["exp_avg"], mt.Tensor) and state["exp_avg"].shape == (3,)


def test_new_optimizer_state_round_trips_through_save_and_load(tmp_path):
    params = make_params(seed=11)  # shapes (3, 4), (5,) and () — a 0-d parameter too
    opt = DebiasedMomentum(group_spec(params, 0.1), lr=0.1, beta=0.7)
    for k in range(5):
        set_grads(params, k)
        opt.step()
    path = tmp_path / "debiased.mt"
    mt.save(opt.state_dict(), path)

    resumed_params = _clone_params(params)
    resumed = DebiasedMomentum(group_spec(resumed_params, 9.0), lr=9.0, beta=0.7)
    resumed.load_state_dict(mt.load(path))
    assert [g["lr"] for g in resumed.param_groups] == [0.1, 0.05]
    for p, q in zip(params, resumed_params, strict=True):
        ours, theirs = opt.state[p], resumed.state[q]
        assert theirs["step"] == 5 and isinstance(theirs["step"], int)
        assert isinstance(theirs["beta_power"], float)
        assert theirs["beta_power"] == ours["beta_power"]  # exactly, not approximately
        np.testing.assert_array_equal(theirs["exp_avg"]._data, ours["exp_avg"]._data)
        assert theirs["exp_avg"] is not ours["exp_avg"]

    for k in range(5, 12):
        set_grads(params, k)
        set_grads(resumed_params, k)
        opt.step()
        resumed.step()
    for p, q in zip(params, resumed_params, strict=True):
        np.testing.assert_array_equal(p._data, q._data)  # bit for bit


def test_new_optimizer_declares_its_scalar_state_in_its_own_class():
    """Numbers that come back as 0-d tensors (PyTorch's layout) become numbers again because the
    class declares them; the base class names no algorithm's state."""
    assert dict(optim.Optimizer._scalar_state) == {}
    params = make_params(seed=12)
    opt = DebiasedMomentum(params, lr=0.1, beta=0.7)
    for k in range(3):
        set_grads(params, k)
        opt.step()
    from_file = _as_if_from_a_file(opt.state_dict())
    for saved in from_file["state"].values():
        saved["step"] = mt.tensor(np.array(3.0))  # a float tensor, as PyTorch stores steps
    assert isinstance(from_file["state"]["2"]["beta_power"], mt.Tensor)

    resumed_params = _clone_params(params)
    resumed = DebiasedMomentum(resumed_params, lr=0.1, beta=0.7)
    resumed.load_state_dict(from_file)
    scalar_state = resumed.state[resumed_params[2]]  # the 0-d parameter: shapes can't tell
    assert scalar_state["step"] == 3 and isinstance(scalar_state["step"], int)
    assert scalar_state["beta_power"] == opt.state[params[2]]["beta_power"]
    assert isinstance(scalar_state["beta_power"], float)
    assert isinstance(scalar_state["exp_avg"], mt.Tensor) and scalar_state["exp_avg"].shape == ()
    for k in range(3, 7):
        set_grads(params, k)
        set_grads(resumed_params, k)
        opt.step()
        resumed.step()
    for p, q in zip(params, resumed_params, strict=True):
        np.testing.assert_array_equal(p._data, q._data)

    # Without the declaration the same dict is refused, with a hint at what to declare.
    class Undeclared(DebiasedMomentum):
        _scalar_state = {}

    with pytest.raises(ValueError, match=r"list it in Undeclared\._scalar_state"):
        Undeclared(_clone_params(params)).load_state_dict(from_file)
    # A declared number must be one.
    bad = _as_if_from_a_file(opt.state_dict())
    bad["state"]["0"]["step"] = mt.tensor(np.array([3, 3]))
    with pytest.raises(ValueError, match="'step' of DebiasedMomentum must be a number"):
        DebiasedMomentum(_clone_params(params)).load_state_dict(bad)
