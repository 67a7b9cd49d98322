"""Golden parity with PyTorch, without PyTorch: microtensor against the files under tests/golden/.

``python tests/make_golden.py`` evaluated every case of ``tests/golden/cases.py`` on PyTorch
(outputs, dtypes, first and second derivatives, or the exception raised) and stored the results;
each case here runs the same function on microtensor with the same inputs and weights and
compares (float64: rtol 1e-10, atol 1e-12; NaN positions and the signs of infinities must match;
integer and bool results exactly; exceptions by built-in type, and by message fragment where the
case names one).

The registry tests fail when an op class of the package has no golden case (the op walk of
``tests/test_op_registry.py``), when a case has no golden data or data made from other input
specs (re-run the generator), or when golden data belongs to no case.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np
import pytest

import microtensor as mt
from tests.golden import harness as h
from tests.golden import store
from tests.golden.cases import BY_NAME, CASES, XFAIL
from tests.golden.harness import Case

META = store.metadata()
GOLDEN = META["cases"]


@dataclass
class Outcome:
    """What microtensor did on a case: the differences from PyTorch, and the ops it ran."""

    problems: list[str] = field(default_factory=list)
    ops: set[type] = field(default_factory=set)


def graph_ops(tensors: tuple[Any, ...]) -> set[type]:
    """The op classes in the graphs behind ``tensors``."""
    seen: set[type] = set()
    nodes = [t.grad_fn for t in tensors if isinstance(t, mt.Tensor) and t.grad_fn is not None]
    visited: set[int] = set()
    while nodes:
        node = nodes.pop()
        if id(node) not in visited:
            visited.add(id(node))
            seen.add(type(node))
            nodes.extend(x.grad_fn for x in node.inputs
                         if isinstance(x, mt.Tensor) and x.grad_fn is not None)
    return seen


class _Stop(Exception):
    """Ends a case early (after a difference that makes the later steps meaningless)."""


def _expect_error(outcome: Outcome, case: Case, golden: dict[str, Any], stage: str,
                  error: Exception | None) -> None:
    """Compare what microtensor raised (or not) at ``stage`` with what PyTorch raised."""
    expected = golden["error"] if golden["error"] and golden["error"]["stage"] == stage else None
    if expected is None and error is None:
        return
    if expected is None:
        outcome.problems.append(f"{stage}: microtensor raises {type(error).__name__}: {error} "
                                "where PyTorch succeeds")
        raise _Stop
    if error is None:
        outcome.problems.append(f"{stage}: PyTorch raises {expected['type']}: "
                                f"{expected['message']!r}; microtensor raises nothing")
        raise _Stop
    if h.error_type(error) != expected["type"]:
        outcome.problems.append(f"{stage}: microtensor raises {type(error).__name__}: {error}; "
                                f"PyTorch raises {expected['type']}: {expected['message']!r}")
    elif case.match and case.match.lower() not in str(error).lower():
        outcome.problems.append(f"{stage}: microtensor's message {str(error)!r} lacks "
                                f"{case.match!r} (PyTorch: {expected['message']!r})")
    raise _Stop


def _compare(outcome: Outcome, what: str, actual: list[np.ndarray],
             expected: list[np.ndarray]) -> None:
    if len(actual) != len(expected):
        outcome.problems.append(f"{what}: {len(actual)} arrays, PyTorch gives {len(expected)}")
        return
    for k, (a, e) in enumerate(zip(actual, expected)):
        why = h.mismatch(a, e)
        if why:
            outcome.problems.append(f"{what} {k}: {why}")


def _step(outcome: Outcome, case: Case, golden: dict[str, Any], stage: str, fn: Any) -> Any:
    try:
        result = fn()
    except Exception as error:
        _expect_error(outcome, case, golden, stage, error)
    _expect_error(outcome, case, golden, stage, None)
    return result


def _run(case: Case, golden: dict[str, Any], outcome: Outcome) -> None:
    group, name = case.group, case.name
    inputs = h.as_tensors(mt, store.arrays(group, name, "in", len(case.inputs)), case.inputs)
    outputs = _step(outcome, case, golden, "forward", lambda: h.as_list(case.call(mt, inputs)))
    outcome.ops |= graph_ops(tuple(o for o in outputs if isinstance(o, mt.Tensor)))
    _compare(outcome, "output", [h.to_array(o) for o in outputs],
             store.arrays(group, name, "out", golden["outputs"]))
    if not golden["loss_outputs"]:
        return
    weights = {j: store.array(group, name, "w", j) for j in golden["loss_outputs"]}
    double = golden["second"]
    grads = _step(outcome, case, golden, "first", lambda: h.first_derivatives(
        mt, inputs, outputs, weights, create_graph=double))
    targets = [x for x in inputs if x.requires_grad]
    _compare(outcome, "first derivative", h.grad_arrays(grads, inputs),
             store.arrays(group, name, "g", len(targets)))
    if not double:
        return
    outcome.ops |= graph_ops(tuple(g for g in grads if g is not None))
    v = store.arrays(group, name, "v", len(targets))
    second = _step(outcome, case, golden, "second",
                   lambda: h.second_derivatives(mt, inputs, grads, v))
    _compare(outcome, "second derivative", h.grad_arrays(second, inputs),
             store.arrays(group, name, "gg", len(targets)))


@cache
def microtensor_outcome(name: str) -> Outcome:
    """Run a case on microtensor and list how it differs from the golden PyTorch results."""
    case, golden, outcome = BY_NAME[name], GOLDEN[name], Outcome()
    with h.Recorder() as recorder:
        try:
            _run(case, golden, outcome)
        except _Stop:
            pass
        except Exception:  # a crash inside the comparison is a difference too
            outcome.problems.append("crash:\n" + traceback.format_exc(limit=-4))
    if case.check_warnings:
        extra = set(recorder.categories) - set(golden["torch_warnings"])
        if extra:
            messages = sorted({str(w.message) for w in recorder.log})
            outcome.problems.append(f"warnings {sorted(extra)} that PyTorch does not emit: "
                                    f"{messages}")
    return outcome


def _params() -> list[Any]:
    return [pytest.param(case, id=case.name, marks=[pytest.mark.xfail(
        strict=True, reason=XFAIL[case.name])] if case.name in XFAIL else [])
        for case in CASES]


@pytest.mark.parametrize("case", _params())
def test_matches_pytorch(case: Case) -> None:
    if case.name not in GOLDEN:
        pytest.fail(f"{case.name} has no golden data: run `python tests/make_golden.py`")
    problems = microtensor_outcome(case.name).problems
    assert not problems, f"{case.name} differs from PyTorch:\n" + "\n".join(problems)


# --------------------------------------------------------------------------- the registry


def test_every_op_has_a_golden_case() -> None:
    from tests.test_op_registry import all_ops  # the op walk of the op registry

    exercised: set[type] = set()
    for case in CASES:
        if case.name in GOLDEN:
            exercised |= microtensor_outcome(case.name).ops
    missing = sorted(f"{op.__module__}.{op.__qualname__}" for op in all_ops() - exercised)
    assert not missing, f"these ops have no golden case in tests/golden/cases.py: {missing}"


def test_every_case_has_current_golden_data() -> None:
    missing = [c.name for c in CASES if c.name not in GOLDEN]
    stale = [c.name for c in CASES if c.name in GOLDEN
             and GOLDEN[c.name]["fingerprint"] != c.fingerprint()]
    orphans = sorted(set(GOLDEN) - set(BY_NAME))
    assert not (missing or stale or orphans), (
        "the golden files are out of date; run `python tests/make_golden.py` with PyTorch "
        f"installed. No data: {missing}; made from other input specs: {stale}; data of removed "
        f"cases: {orphans}")


def test_golden_files_record_their_origin_and_stay_small() -> None:
    assert META["torch_version"][0].isdigit() and META["numpy_version"][0].isdigit()
    assert len(META["date"]) == 10 and META["date"][4] == "-"
    size = sum(p.stat().st_size for p in store.DIRECTORY.glob("*.npz"))
    # ~5,000 cases: a small part of a clone (the limit catches a case that stores huge arrays)
    assert 0 < size + store.METADATA.stat().st_size < 20_000_000


def test_golden_arrays_load_without_pickle() -> None:
    paths = sorted(store.DIRECTORY.glob("*.npz"))
    assert {p.stem for p in paths} == {case.group for case in CASES}
    for path in paths:
        with np.load(path, allow_pickle=False) as npz:
            assert all(npz[name].dtype.kind in "biuf" for name in npz.files)


def test_the_xfail_list_names_registered_cases() -> None:
    unknown = sorted(set(XFAIL) - set(BY_NAME))
    assert not unknown, f"XFAIL names cases that do not exist: {unknown}"
    assert all(reason.strip() for reason in XFAIL.values())


def test_every_section_of_the_package_has_edge_and_error_cases() -> None:
    groups = {case.group for case in CASES}
    for group in groups - {"promotion"}:
        names = [c.name for c in CASES if c.group == group]
        assert any(GOLDEN.get(n, {}).get("error") for n in names), f"{group}: no error case"
    shapes = {spec.shape for case in CASES for spec in case.inputs}
    assert () in shapes and any(0 in s for s in shapes) and any(1 in s for s in shapes)


# --------------------------------------------------------------------------- the comparison


@pytest.mark.parametrize("actual, expected, fragment", [
    (np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-9]), "differ"),
    (np.array([1.0, np.nan]), np.array([1.0, 0.0]), "NaN"),
    (np.array([np.inf]), np.array([-np.inf]), "infinities"),
    (np.array([np.inf, 1.0]), np.array([1.0, np.inf]), "infinities"),
    (np.array([1.0], np.float32), np.array([1.0]), "dtype"),
    (np.array([[1.0]]), np.array([1.0]), "shape"),
    (np.array([1, 2]), np.array([1, 3]), "values"),
    (np.array([True]), np.array([False]), "values"),
])
def test_the_comparison_catches_differences(actual: np.ndarray, expected: np.ndarray,
                                            fragment: str) -> None:
    why = h.mismatch(actual, expected)
    assert why is not None and fragment in why


def test_the_comparison_accepts_round_off_and_matching_specials() -> None:
    a = np.array([1.0 + 1e-12, np.nan, -np.inf, 0.0, 1e-13])
    e = np.array([1.0, np.nan, -np.inf, -0.0, 0.0])
    assert h.mismatch(a, e) is None
