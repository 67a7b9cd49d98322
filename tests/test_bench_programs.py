"""benchmarks/bench_programs.py runs the same PyTorch-API code on either library: check that the
microtensor side of every case computes what it claims (nothing here is timed), and that its
case table stays free of library imports (its PyTorch program must not load microtensor)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np

import microtensor as mt

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


programs = _load("bench_programs")


def test_every_case_is_built_for_microtensor_and_runs():
    built = programs.cases(mt, programs.SECTIONS)
    names = [name for name, _ in built]
    assert len(names) == len(set(names)) == 6 + 9 + 2  # conv, pooling, the CNN's two
    for _, step in built:  # (a gradient of the wrong shape for an output would raise here)
        step()


def test_a_conv_step_leaves_pytorch_s_gradients():
    cfg = dict(n=2, c=4, o=6, h=8, k=3, s=2, p=1, groups=2)
    step = programs.conv_step(mt, cfg)
    step()
    x, w, b, grad = (cell.cell_contents for cell in _closure(step, ("xt", "wt", "bt", "gt")))
    # dL/db of out.backward(g) is g summed over batch and pixels; dL/dx has x's shape
    np.testing.assert_allclose(b.grad.numpy(), grad.numpy().sum(axis=(0, 2, 3)), rtol=1e-5)
    assert x.grad.shape == x.shape and w.grad.shape == w.shape


def test_a_pool_step_routes_the_gradient_to_the_maxima():
    step = programs.pool_step(mt, (2, 3, 4, 4), "max", 2, 2, 0)
    step()
    x, grad = (cell.cell_contents for cell in _closure(step, ("xt", "gt")))
    # every 2x2 window passes its output's gradient to exactly one input: the sums agree
    np.testing.assert_allclose(x.grad.numpy().sum(), grad.numpy().sum(), rtol=1e-5)
    assert np.count_nonzero(x.grad.numpy()) == grad.numel()


def test_the_cnn_step_trains():
    step = programs.cnn_step(mt)
    params = _closure(step, ("optimizer",))[0].cell_contents.param_groups[0]["params"]
    assert len(params) == 6
    before = [p.detach().numpy().copy() for p in params]
    step()
    assert all(not np.array_equal(b, p.detach().numpy()) for b, p in zip(before, params))


def test_the_cnn_evaluation_records_no_graph():
    evaluate = programs.cnn_evaluation(mt)
    logits = _closure(evaluate, ("logits",))[0].cell_contents
    params = _closure(logits, ("params",))[0].cell_contents
    evaluate()
    assert all(p.grad is None for p in params)
    assert logits().grad_fn is not None  # (the same forward outside no_grad records one)
    with mt.no_grad():
        assert logits().grad_fn is None and logits().shape == (64, 10)


def test_the_case_table_imports_no_library():
    probe = ("import sys; sys.path.insert(0, sys.argv[1]); import _cases; "
             "print('microtensor' in sys.modules, 'torch' in sys.modules, 'numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, str(BENCHMARKS)], capture_output=True,
                          text=True, check=True)
    assert done.stdout.split() == ["False", "False", "False"]


def _closure(function, names: tuple[str, ...]):
    """The closure cells of ``function`` holding the variables ``names``, in that order."""
    cells = dict(zip(function.__code__.co_freevars, function.__closure__, strict=True))
    return [cells[name] for name in names]
