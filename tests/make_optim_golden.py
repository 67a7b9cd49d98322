"""Write the golden trajectories of the optimizers and schedules: ``python
tests/make_optim_golden.py`` (PyTorch installed). ``tests/test_optim2.py`` replays them in
microtensor without PyTorch.

The scenarios are data, defined here once and run by both sides:

* ``OPTIMIZER_CASES``: an optimizer class of ``torch.optim``, its keyword arguments and a
  problem. Problem "quadratic": three float64 parameters (shapes (3, 4), (5,), ()) in two
  parameter groups (the second with half the lr); before each step every gradient is set to
  a NumPy function of the parameter's current value plus seeded noise (the same arrays on both
  sides), so an error in one step shows in all later ones. Problem "rosenbrock" (LBFGS): the
  Rosenbrock function of six variables held in two parameters, through a closure that each
  library differentiates itself.
* ``SCHEDULE_CASES``: a schedule class of ``torch.optim.lr_scheduler``, its keyword arguments
  (a string ``"fn:name"`` stands for the function ``FUNCTIONS[name]``; ``"schedulers"`` lists
  inner schedules as [class, kwargs] pairs), the optimizer it drives and the number of steps
  (or the epochs passed to ``step(epoch)``, or the metrics passed to ``ReduceLROnPlateau``).

Written under ``tests/golden_optim/``: one ``<Class>.npz`` per class with, per case, the
parameters after each step (flattened and concatenated) and the final state of every parameter
(optimizers), or the lrs and momenta after each step (schedules); and ``golden_optim.json``
with the PyTorch, NumPy and Python versions and every case's options (so a changed scenario
shows up as stale).
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

GOLDEN_DIR = Path(__file__).resolve().parent / "golden_optim"
JSON_PATH = GOLDEN_DIR / "golden_optim.json"
SHAPES = [(3, 4), (5,), ()]


# ---------------------------------------------------------------------------------- optimizers
def _case(name: str, cls: str, steps: int = 8, problem: str = "quadratic", **kwargs: Any) -> dict:
    return {"name": name, "class": cls, "kwargs": kwargs, "steps": steps, "problem": problem}


OPTIMIZER_CASES: list[dict[str, Any]] = [
    _case("sgd_plain", "SGD", lr=0.1),
    _case("sgd_momentum", "SGD", lr=0.1, momentum=0.9),
    _case("sgd_nesterov_wd", "SGD", lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
    _case("sgd_dampening_maximize", "SGD", lr=0.1, momentum=0.5, dampening=0.3, maximize=True),
    _case("sgd_wd_maximize", "SGD", lr=0.05, weight_decay=0.2, maximize=True),
    _case("adam_default", "Adam", lr=0.05),
    _case("adam_amsgrad_wd", "Adam", lr=0.05, amsgrad=True, weight_decay=0.1),
    _case("adam_maximize_betas", "Adam", lr=0.05, betas=(0.8, 0.99), eps=1e-3, maximize=True),
    _case("adam_decoupled", "Adam", lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    _case("adamw_default", "AdamW", lr=0.05),
    _case(
        "adamw_amsgrad_maximize", "AdamW", lr=0.05, weight_decay=0.1, amsgrad=True, maximize=True
    ),
    _case("rmsprop_default", "RMSprop", lr=0.01),
    _case("rmsprop_centered_momentum", "RMSprop", lr=0.01, centered=True, momentum=0.9),
    _case("rmsprop_wd_maximize", "RMSprop", lr=0.01, alpha=0.9, weight_decay=0.1, maximize=True),
    _case("adagrad_default", "Adagrad", lr=0.1),
    _case(
        "adagrad_decay_wd_init",
        "Adagrad",
        lr=0.1,
        lr_decay=0.1,
        weight_decay=0.1,
        initial_accumulator_value=0.2,
    ),
    _case("adagrad_maximize", "Adagrad", lr=0.1, eps=1e-3, maximize=True),
    _case("nadam_default", "NAdam", lr=0.05),
    _case("nadam_wd_momentum_decay", "NAdam", lr=0.05, weight_decay=0.1, momentum_decay=0.01),
    _case(
        "nadam_decoupled_maximize",
        "NAdam",
        lr=0.05,
        weight_decay=0.1,
        decoupled_weight_decay=True,
        maximize=True,
    ),
    _case("radam_default", "RAdam", steps=12, lr=0.05),
    _case("radam_short_memory_wd", "RAdam", steps=12, lr=0.05, betas=(0.9, 0.9), weight_decay=0.1),
    _case(
        "radam_decoupled_maximize",
        "RAdam",
        steps=12,
        lr=0.05,
        betas=(0.8, 0.9),
        weight_decay=0.1,
        decoupled_weight_decay=True,
        maximize=True,
    ),
    _case("adadelta_default", "Adadelta"),
    _case("adadelta_rho_wd", "Adadelta", lr=0.5, rho=0.5, weight_decay=0.1),
    _case("adadelta_maximize", "Adadelta", eps=1e-3, maximize=True),
    _case("adamax_default", "Adamax", lr=0.05),
    _case("adamax_wd_betas", "Adamax", lr=0.05, betas=(0.8, 0.9), weight_decay=0.1),
    _case("adamax_maximize", "Adamax", lr=0.05, eps=1e-2, maximize=True),
    _case("asgd_default", "ASGD", lr=0.05),
    _case("asgd_averaging", "ASGD", lr=0.05, lambd=0.01, alpha=0.5, t0=3),
    _case("asgd_wd_maximize", "ASGD", lr=0.05, weight_decay=0.1, t0=0, maximize=True),
    # L-BFGS on Rosenbrock: the whole trajectory, with and without the line search. (Without
    # it, fixed unit steps on Rosenbrock amplify round-off quickly: the cases stay short.)
    _case("lbfgs_fixed_step", "LBFGS", steps=6, problem="rosenbrock", max_iter=4),
    _case(
        "lbfgs_fixed_step_small_lr",
        "LBFGS",
        steps=6,
        problem="rosenbrock",
        lr=0.5,
        max_iter=5,
        max_eval=6,
    ),
    _case(
        "lbfgs_fixed_step_short_history",
        "LBFGS",
        steps=3,
        problem="rosenbrock",
        history_size=3,
        max_iter=7,
    ),
    _case(
        "lbfgs_strong_wolfe", "LBFGS", steps=6, problem="rosenbrock", line_search_fn="strong_wolfe"
    ),
    _case(
        "lbfgs_strong_wolfe_short_history",
        "LBFGS",
        steps=4,
        problem="rosenbrock",
        line_search_fn="strong_wolfe",
        history_size=3,
        max_iter=7,
    ),
    _case(
        "lbfgs_strong_wolfe_few_evals",
        "LBFGS",
        steps=6,
        problem="rosenbrock",
        line_search_fn="strong_wolfe",
        lr=0.5,
        max_iter=5,
        max_eval=6,
    ),
]

# Optimizers of microtensor that PyTorch lacks, so that no golden file can exist (with why).
NOT_IN_TORCH = {"Lion": "torch.optim has no Lion; tests/test_optim.py checks it by hand"}


def problem_gradient(x: np.ndarray, step: int, index: int) -> np.ndarray:
    """The gradient given to parameter ``index`` at ``step``: a function of its value (so
    errors propagate) plus seeded noise."""
    noise = np.random.default_rng(1000 * step + index).standard_normal(x.shape)
    return 0.8 * x - 0.3 + 0.2 * np.sin(2.0 * x + step) + 0.1 * noise


def _initial_params() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [np.asarray(rng.standard_normal(s), dtype=np.float64) for s in SHAPES]


ROSENBROCK_START = [np.array([-1.2, 1.0]), np.array([[0.5, -0.3], [0.8, 1.3]])]


def rosenbrock(lib: Any, params: list[Any]) -> Any:
    """Σᵢ (1 − xᵢ)² + 100·(xᵢ₊₁ − xᵢ²)² over the parameters' values in order."""
    x = lib.cat([p.reshape(-1) for p in params])
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def _state_arrays(optimizer: Any, params: list[Any]) -> dict[str, np.ndarray]:
    """Every tensor or number of every parameter's state, as float64 arrays (lists skipped)."""
    arrays = {}
    for i, p in enumerate(params):
        for name, value in optimizer.state[p].items():
            if isinstance(value, (list, tuple)) or value is None:
                continue
            if hasattr(value, "detach"):
                value = value.detach().numpy()
            arrays[f"state.{i}.{name}"] = np.asarray(value, dtype=np.float64)
    return arrays


def run_optimizer_case(lib: Any, case: dict[str, Any]) -> dict[str, np.ndarray]:
    """Run one optimizer scenario with ``lib`` (torch or microtensor); its golden arrays."""
    cls = getattr(lib.optim, case["class"])
    kwargs = {k: tuple(v) if isinstance(v, list) else v for k, v in case["kwargs"].items()}
    if case["problem"] == "rosenbrock":
        return _run_rosenbrock(lib, cls, kwargs, case["steps"])
    params = [lib.tensor(a, requires_grad=True) for a in _initial_params()]
    lr = kwargs.get("lr", 1e-2)
    groups = [{"params": params[:2]}, {"params": params[2:], "lr": lr * 0.5}]
    optimizer = cls(groups, **kwargs)
    trajectory = []
    for step in range(case["steps"]):
        for i, p in enumerate(params):
            p.grad = lib.tensor(problem_gradient(p.detach().numpy(), step, i))
        optimizer.step()
        trajectory.append(np.concatenate([p.detach().numpy().reshape(-1) for p in params]))
    return {"params": np.stack(trajectory), **_state_arrays(optimizer, params)}


def _run_rosenbrock(lib: Any, cls: Any, kwargs: dict, steps: int) -> dict[str, np.ndarray]:
    params = [lib.tensor(a, requires_grad=True) for a in ROSENBROCK_START]
    optimizer = cls(params, **kwargs)

    def closure() -> Any:
        optimizer.zero_grad()
        loss = rosenbrock(lib, params)
        loss.backward()
        return loss

    trajectory, losses = [], []
    for _ in range(steps):
        losses.append(optimizer.step(closure).item())
        trajectory.append(np.concatenate([p.detach().numpy().reshape(-1) for p in params]))
    return {
        "params": np.stack(trajectory),
        "losses": np.array(losses),
        **_state_arrays(optimizer, params),
    }


# ---------------------------------------------------------------------------------- schedules
def _lambda_decay(epoch: int) -> float:
    return 0.95**epoch


def _lambda_warmup(epoch: int) -> float:
    return min(1.0, (epoch + 1) / 5)


def _constant_factor(epoch: int) -> float:
    return 0.9


def _inverse_cycle(x: float) -> float:
    return 1.0 / x


def _slow_decay(x: float) -> float:
    return 0.99**x


FUNCTIONS: dict[str, Callable[[float], float]] = {
    "decay": _lambda_decay,
    "warmup": _lambda_warmup,
    "constant_factor": _constant_factor,
    "inverse_cycle": _inverse_cycle,
    "slow_decay": _slow_decay,
}


def _sched(name: str, cls: str, steps: int = 40, optimizer: str = "sgd", **kwargs: Any) -> dict:
    return {"name": name, "class": cls, "kwargs": kwargs, "steps": steps, "optimizer": optimizer}


_PLATEAU_METRICS = [
    1.0,
    0.9,
    0.95,
    0.95,
    0.96,
    0.97,
    0.8,
    0.81,
    0.82,
    0.83,
    0.84,
    0.85,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.7,
    0.69999,
    0.7,
    0.7,
]

SCHEDULE_CASES: list[dict[str, Any]] = [
    _sched("lambda_one_function", "LambdaLR", lr_lambda="fn:decay"),
    _sched("lambda_per_group", "LambdaLR", lr_lambda=["fn:decay", "fn:warmup"]),
    _sched("multiplicative", "MultiplicativeLR", lr_lambda="fn:constant_factor"),
    _sched("step", "StepLR", step_size=3, gamma=0.5),
    _sched("multistep_repeated", "MultiStepLR", milestones=[2, 5, 5, 9], gamma=0.3),
    _sched("constant", "ConstantLR", factor=0.5, total_iters=4),
    _sched("linear_warmup", "LinearLR", start_factor=0.25, end_factor=1.0, total_iters=6),
    _sched("linear_decay", "LinearLR", start_factor=1.0, end_factor=0.1, total_iters=5),
    _sched("exponential", "ExponentialLR", gamma=0.9),
    _sched("polynomial", "PolynomialLR", total_iters=8, power=2.0),
    _sched("cosine", "CosineAnnealingLR", T_max=7, eta_min=0.001),
    _sched(
        "sequential",
        "SequentialLR",
        milestones=[4],
        schedulers=[
            ["LinearLR", {"start_factor": 0.1, "total_iters": 4}],
            ["ExponentialLR", {"gamma": 0.9}],
        ],
    ),
    _sched(
        "chained",
        "ChainedScheduler",
        schedulers=[
            ["ConstantLR", {"factor": 0.5, "total_iters": 3}],
            ["ExponentialLR", {"gamma": 0.9}],
        ],
    ),
    _sched("plateau_min", "ReduceLROnPlateau", patience=2, factor=0.5),
    _sched(
        "plateau_max_abs_cooldown",
        "ReduceLROnPlateau",
        mode="max",
        threshold_mode="abs",
        threshold=0.01,
        cooldown=1,
        patience=1,
        min_lr=[0.02, 0.001],
    ),
    _sched("warm_restarts", "CosineAnnealingWarmRestarts", T_0=5),
    _sched("warm_restarts_growing", "CosineAnnealingWarmRestarts", T_0=3, T_mult=2, eta_min=0.001),
    _sched("warm_restarts_fractional", "CosineAnnealingWarmRestarts", T_0=3, T_mult=1),
    _sched(
        "warm_restarts_fractional_growing",
        "CosineAnnealingWarmRestarts",
        T_0=2,
        T_mult=3,
        eta_min=0.01,
    ),
    _sched("cyclic_triangular", "CyclicLR", base_lr=0.01, max_lr=0.1, step_size_up=4),
    _sched(
        "cyclic_triangular2",
        "CyclicLR",
        base_lr=[0.01, 0.001],
        max_lr=[0.1, 0.05],
        step_size_up=3,
        step_size_down=5,
        mode="triangular2",
    ),
    _sched(
        "cyclic_exp_range",
        "CyclicLR",
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=4,
        mode="exp_range",
        gamma=0.9,
    ),
    _sched(
        "cyclic_scale_fn_cycle",
        "CyclicLR",
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=2,
        scale_fn="fn:inverse_cycle",
    ),
    _sched(
        "cyclic_scale_fn_iterations",
        "CyclicLR",
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=3,
        scale_fn="fn:slow_decay",
        scale_mode="iterations",
        base_momentum=0.7,
    ),
    _sched(
        "cyclic_adam_beta1",
        "CyclicLR",
        optimizer="adam",
        base_lr=0.001,
        max_lr=0.01,
        step_size_up=5,
    ),
    _sched(
        "cyclic_no_momentum",
        "CyclicLR",
        optimizer="adagrad",
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=4,
        cycle_momentum=False,
    ),
    _sched("one_cycle_cos", "OneCycleLR", steps=30, max_lr=0.5, total_steps=30),
    _sched(
        "one_cycle_linear_three_phase",
        "OneCycleLR",
        steps=30,
        max_lr=[0.5, 0.2],
        total_steps=30,
        anneal_strategy="linear",
        three_phase=True,
    ),
    _sched(
        "one_cycle_epochs_adam",
        "OneCycleLR",
        steps=30,
        optimizer="adam",
        max_lr=0.01,
        epochs=3,
        steps_per_epoch=10,
        pct_start=0.25,
        div_factor=10.0,
        final_div_factor=100.0,
    ),
    _sched(
        "one_cycle_no_momentum",
        "OneCycleLR",
        steps=20,
        optimizer="adagrad",
        max_lr=0.1,
        total_steps=20,
        cycle_momentum=False,
        three_phase=True,
    ),
    _sched(
        "one_cycle_momentum_bounds",
        "OneCycleLR",
        steps=25,
        max_lr=0.3,
        total_steps=25,
        base_momentum=[0.8, 0.7],
        max_momentum=0.9,
        pct_start=0.4,
    ),
]

# What ``step`` receives, per case, when it is not a plain ``step()``.
STEP_ARGUMENTS: dict[str, list[Any]] = {
    "plateau_min": _PLATEAU_METRICS,
    "plateau_max_abs_cooldown": [0.5, 0.6, 0.605, 0.6, 0.7, 0.69, 0.69, 0.69, 0.72, 0.7, 0.7],
    "warm_restarts_fractional": [0.25 * i for i in range(1, 41)],
    "warm_restarts_fractional_growing": [0.3 * i for i in range(1, 41)] + [3.0, 1.5, 20.0],
}


def _resolve(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("fn:"):
        return FUNCTIONS[value[3:]]
    if isinstance(value, list):
        return [_resolve(v) for v in value]
    return value


def _schedule_optimizer(lib: Any, kind: str) -> Any:
    groups = [
        {"params": [lib.tensor(np.zeros(2), requires_grad=True)], "lr": lr} for lr in (0.1, 0.03)
    ]
    if kind == "adam":
        return lib.optim.Adam(groups, lr=0.1)
    if kind == "adagrad":
        return lib.optim.Adagrad(groups, lr=0.1)
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


def build_schedule(lib: Any, optimizer: Any, cls_name: str, kwargs: dict[str, Any]) -> Any:
    """The schedule ``cls_name(optimizer, **kwargs)`` of ``lib``, inner schedules built first."""
    module = lib.optim.lr_scheduler
    kwargs = {k: _resolve(v) for k, v in kwargs.items()}
    return getattr(module, cls_name)(optimizer, **kwargs)


def _build_case_schedule(lib: Any, optimizer: Any, case: dict[str, Any]) -> Any:
    kwargs = dict(case["kwargs"])
    inner = kwargs.pop("schedulers", None)
    if inner is None:
        return build_schedule(lib, optimizer, case["class"], kwargs)
    schedulers = [build_schedule(lib, optimizer, name, kw) for name, kw in inner]
    cls = getattr(lib.optim.lr_scheduler, case["class"])
    if case["class"] == "ChainedScheduler":
        return cls(schedulers, optimizer=optimizer)
    return cls(optimizer, schedulers, **kwargs)


def _momenta(optimizer: Any) -> list[float]:
    return [
        float(g["betas"][0]) if "betas" in g else float(g.get("momentum", 0.0))
        for g in optimizer.param_groups
    ]


def run_schedule_case(lib: Any, case: dict[str, Any]) -> dict[str, np.ndarray]:
    """Run one schedule scenario with ``lib``: lrs, ``get_last_lr()`` and momenta per step
    (row 0 is after construction)."""
    optimizer = _schedule_optimizer(lib, case["optimizer"])
    scheduler = _build_case_schedule(lib, optimizer, case)
    arguments = STEP_ARGUMENTS.get(case["name"], [None] * case["steps"])
    lrs = [[float(g["lr"]) for g in optimizer.param_groups]]
    last = [[float(v) for v in scheduler.get_last_lr()]]
    momenta = [_momenta(optimizer)]
    for argument in arguments:
        optimizer.step()
        if argument is None:
            scheduler.step()
        else:
            scheduler.step(argument)
        lrs.append([float(g["lr"]) for g in optimizer.param_groups])
        last.append([float(v) for v in scheduler.get_last_lr()])
        momenta.append(_momenta(optimizer))
    return {"lrs": np.array(lrs), "last_lr": np.array(last), "momenta": np.array(momenta)}


# ---------------------------------------------------------------------------------- files
def options_of(case: dict[str, Any]) -> dict[str, Any]:
    """What identifies a scenario in ``golden_optim.json`` (JSON types only)."""
    facts = {k: v for k, v in case.items() if k != "name"}
    if case["name"] in STEP_ARGUMENTS:
        facts["step_arguments"] = STEP_ARGUMENTS[case["name"]]
    return json.loads(json.dumps(facts))


def npz_path(cls_name: str) -> Path:
    return GOLDEN_DIR / f"{cls_name}.npz"


def main() -> None:
    import torch

    torch.set_default_dtype(torch.float64)  # so PyTorch's scalar state (ASGD's eta) is float64
    GOLDEN_DIR.mkdir(exist_ok=True)
    per_class: dict[str, dict[str, np.ndarray]] = {}
    options: dict[str, Any] = {}
    for case in OPTIMIZER_CASES:
        arrays = run_optimizer_case(torch, case)
        per_class.setdefault(case["class"], {}).update(
            {f"{case['name']}.{k}": v for k, v in arrays.items()}
        )
        options[case["name"]] = options_of(case)
    for case in SCHEDULE_CASES:
        arrays = run_schedule_case(torch, case)
        per_class.setdefault(case["class"], {}).update(
            {f"{case['name']}.{k}": v for k, v in arrays.items()}
        )
        options[case["name"]] = options_of(case)
    for old in GOLDEN_DIR.glob("*.npz"):
        old.unlink()
    for cls_name, arrays in sorted(per_class.items()):
        np.savez_compressed(npz_path(cls_name), **arrays)
    facts = {
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "date": datetime.date.today().isoformat(),
        "cases": options,
    }
    JSON_PATH.write_text(json.dumps(facts, indent=1, sort_keys=True) + "\n")
    print(f"wrote {len(per_class)} files, {len(options)} cases, torch {torch.__version__}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
