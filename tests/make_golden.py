"""Write the golden files of PyTorch parity: ``python tests/make_golden.py`` (PyTorch installed).

For every case of ``tests/golden/cases.py`` this evaluates the case on PyTorch in float64 (the
inputs' dtypes where a case says otherwise) and stores under ``tests/golden/``:

* the inputs, the outputs (values and dtypes), or the exception PyTorch raised (its built-in
  type and message) and at which step (forward, first or second derivative);
* the first derivatives of Σ sum(outputⱼ · wⱼ) with respect to every input that requires grad,
  for seeded random weights wⱼ (stored too);
* where the case allows double backward, the second derivatives: the gradient of
  Σ sum(first_gradₖ · vₖ) with seeded random vₖ (stored too);
* in ``golden.json``: the PyTorch, NumPy and Python versions, the date, and per case what was
  computed, a fingerprint of its input specs, and the warnings PyTorch emitted.

``--groups a,b`` regenerates only those groups (their npz files and their entries in
``golden.json``), for the family one is working on; a lock lets several run at once.

Everything is deterministic (each case seeds its own generator from its name), so re-running the
script with the same PyTorch gives the same files. ``tests/test_golden.py`` reads them without
PyTorch.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from tests.golden import harness as h
from tests.golden import store
from tests.golden.cases import CASES
from tests.golden.harness import Case


def evaluate(torch: Any, case: Case) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The golden arrays and facts of one case, computed with PyTorch."""
    rng = np.random.default_rng(case.seed())
    torch.manual_seed(0)
    inputs = [spec.make(rng) for spec in case.inputs]
    arrays = {store.key(case.name, "in", i): a for i, a in enumerate(inputs)}
    facts: dict[str, Any] = {
        "group": case.group, "fingerprint": case.fingerprint(), "error": None, "outputs": 0,
        "loss_outputs": [], "first": False, "second": False, "torch_warnings": [],
    }
    with h.Recorder() as recorder:
        _run(torch, case, inputs, rng, arrays, facts)
    facts["torch_warnings"] = recorder.categories
    return arrays, facts


def _fail(facts: dict[str, Any], stage: str, error: Exception) -> None:
    facts["error"] = {"stage": stage, "type": h.error_type(error), "message": str(error)}


def _run(torch: Any, case: Case, inputs: list[np.ndarray], rng: np.random.Generator,
         arrays: dict[str, np.ndarray], facts: dict[str, Any]) -> None:
    tensors = h.as_tensors(torch, inputs, case.inputs)
    try:
        outputs = h.as_list(case.call(torch, tensors))
    except Exception as error:  # what PyTorch raises is part of the golden record
        _fail(facts, "forward", error)
        return
    facts["outputs"] = len(outputs)
    for j, out in enumerate(outputs):
        arrays[store.key(case.name, "out", j)] = h.to_array(out)
    loss = h.differentiable_outputs(outputs)
    targets = [x for x in tensors if x.requires_grad]
    if not loss or not targets:
        return
    facts["loss_outputs"] = loss
    weights = {j: rng.standard_normal(tuple(outputs[j].shape)) for j in loss}
    for j, w in weights.items():
        arrays[store.key(case.name, "w", j)] = w
    try:
        grads = h.first_derivatives(torch, tensors, outputs, weights, create_graph=case.double)
    except Exception as error:
        _fail(facts, "first", error)
        return
    facts["first"] = True
    for k, g in enumerate(h.grad_arrays(grads, tensors)):
        arrays[store.key(case.name, "g", k)] = g
    if not case.double:
        return
    v = [rng.standard_normal(tuple(x.shape)) for x in targets]
    try:
        second = h.second_derivatives(torch, tensors, grads, v)
    except Exception as error:  # PyTorch has no double backward here: nothing to compare
        facts["second_unsupported"] = str(error)
        return
    facts["second"] = True
    for k, (vk, gg) in enumerate(zip(v, h.grad_arrays(second, tensors))):
        arrays[store.key(case.name, "v", k)] = vk
        arrays[store.key(case.name, "gg", k)] = gg


def _check_match(case: Case, facts: dict[str, Any]) -> str | None:
    """A case's ``match`` fragment must be in PyTorch's message (else the case is wrong)."""
    if case.match is None:
        return None
    if facts["error"] is None:
        return f"{case.name}: has match={case.match!r} but PyTorch raises nothing"
    if case.match.lower() not in facts["error"]["message"].lower():
        return (f"{case.name}: PyTorch's message {facts['error']['message']!r} does not contain "
                f"{case.match!r}")
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print what PyTorch raises per case")
    parser.add_argument("--groups", help="comma-separated groups: regenerate only these (their "
                        "npz files and their entries in golden.json; the rest is kept)")
    args = parser.parse_args()
    import torch

    torch.set_default_dtype(torch.float32)
    groups = set(args.groups.split(",")) if args.groups else None
    chosen = [case for case in CASES if groups is None or case.group in groups]
    if groups is not None and not chosen:
        raise SystemExit(f"no golden case is in the groups {sorted(groups)}")
    by_group: dict[str, dict[str, np.ndarray]] = {}
    cases: dict[str, Any] = {}
    problems = []
    for case in chosen:
        arrays, facts = evaluate(torch, case)
        by_group.setdefault(case.group, {}).update(arrays)
        cases[case.name] = facts
        problem = _check_match(case, facts)
        if problem:
            problems.append(problem)
        if args.list and facts["error"]:
            print(f"{case.name}: {facts['error']['type']}: {facts['error']['message'][:100]}")
    if problems:
        raise SystemExit("\n".join(problems))
    versions = {
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d"),
    }
    if groups is None:
        store.write(by_group, {**versions, "cases": cases})
    else:
        store.update(by_group, versions, cases)
    size = sum(p.stat().st_size for p in store.DIRECTORY.glob("*.npz")) + store.METADATA.stat(
    ).st_size
    print(f"{len(cases)} cases from PyTorch {torch.__version__} written to {store.DIRECTORY} "
          f"({size / 1e6:.2f} MB in all)")


if __name__ == "__main__":
    main()
