"""Training steps on a busy machine: idle, then with one competing CPU-bound process.

    python benchmarks/bench_contention.py [--repeats 30] [--seconds 3] [--only mlp|cnn]
                                          [--set-threads N] [--same-session] [--numpy-default]
    python benchmarks/bench_contention.py --compare-policies

A learner's laptop is never idle. This benchmark runs the MLP and CNN training steps of
``bench_training.py`` with the thread settings a new user gets (no environment variables, no
``set_num_threads`` call; ``--set-threads N`` calls ``mt.set_num_threads(N)`` and
``torch.set_num_threads(N)`` instead), first on the quiet machine, then while one competing
process spins a pure-Python loop (the benchmark starts it and stops it itself).

Each library is timed in its own block (not interleaved with the other: a library's spinning
worker threads would otherwise slow the other one down). Printed per workload and library: the
median step idle and contended, and the contended/idle ratio (a fair share of 2 cores for 2
CPU-bound processes is 2×); then microtensor/PyTorch under contention.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

try:
    import torch
except ImportError:
    torch = None

import microtensor as mt

# bench_training pins the BLAS threads through environment variables when it is imported; the
# libraries above are loaded already, and the environment is put back for the competitor.
_saved_environment = dict(os.environ)
from bench_training import cnn, copy_weights, mlp, training_step  # noqa: E402

os.environ.clear()
os.environ.update(_saved_environment)

COMPETITOR = "while True:\n    pass\n"


class Competitor:
    """One CPU-bound process (a pure-Python busy loop) for the duration of a ``with`` block.

    By default it runs in a session of its own, as another program on the machine would: Linux
    (with autogroup scheduling, the desktop default) then shares the CPU fairly between the two
    sessions, so this process's threads together get about one core. In the same session
    (``same_session``) every thread competes alone, and two BLAS threads crowd the competitor out.
    """

    def __init__(self, same_session: bool = False) -> None:
        self.same_session = same_session

    def __enter__(self) -> Competitor:
        self.process = subprocess.Popen([sys.executable, "-c", COMPETITOR],
                                        start_new_session=not self.same_session)
        time.sleep(0.5)  # let it start and reach its loop
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait()


def median_step(step, repeats: int, seconds: float, warmup_seconds: float = 1.0) -> float:
    """Median seconds per call of ``step``, over at least ``repeats`` calls and ``seconds``
    (contention shows over scheduler time slices, not over a few milliseconds), after a second
    of warm-up (the allocator settles: glibc raises its mmap threshold after the first frees)."""
    warm = time.perf_counter() + warmup_seconds
    while time.perf_counter() < warm:
        step()
    samples = []
    finish = time.perf_counter() + seconds
    while len(samples) < repeats or time.perf_counter() < finish:
        start = time.perf_counter()
        step()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def build_steps(build, make_optimizer, input_shape):
    """The microtensor step and (when PyTorch is installed) the PyTorch step, same weights."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(input_shape).astype(np.float32)
    y = rng.integers(0, 10, input_shape[0])
    mt.manual_seed(0)
    ours_model = build(mt)
    steps = {"microtensor": training_step(mt, ours_model, make_optimizer(mt, ours_model),
                                          mt.tensor(x), mt.tensor(y))}
    if torch is not None:
        theirs_model = build(torch)
        copy_weights(ours_model, theirs_model, torch)
        steps["PyTorch"] = training_step(torch, theirs_model,
                                         make_optimizer(torch, theirs_model),
                                         torch.from_numpy(x), torch.from_numpy(y))
    return steps


def bench(name: str, steps: dict, repeats: int, seconds: float, same_session: bool) -> None:
    idle = {lib: median_step(step, repeats, seconds) for lib, step in steps.items()}
    with Competitor(same_session):
        busy = {lib: median_step(step, repeats, seconds) for lib, step in steps.items()}
    print(name)
    for lib in steps:
        print(f"  {lib:<12} idle {idle[lib] * 1e3:8.2f} ms | contended {busy[lib] * 1e3:8.2f} ms"
              f" | contended/idle {busy[lib] / idle[lib]:5.2f}")
    if "PyTorch" in steps:
        print(f"  microtensor/PyTorch: idle {idle['microtensor'] / idle['PyTorch']:5.2f}"
              f" | contended {busy['microtensor'] / busy['PyTorch']:5.2f}")


def conv_layer_step():
    """bench_training's Conv2d layer forward + backward (big products), microtensor only."""
    rng = np.random.default_rng(0)
    x = mt.tensor(rng.standard_normal((32, 32, 32, 32)).astype(np.float32), requires_grad=True)
    grad_out = mt.tensor(rng.standard_normal((32, 64, 32, 32)).astype(np.float32))
    layer = mt.nn.Conv2d(32, 64, 3, padding=1)

    def step() -> None:
        x.grad = None
        layer.zero_grad()
        layer(x).backward(grad_out)

    return step


def compare_policies(repeats: int, seconds: float) -> None:
    """microtensor alone on the idle machine: the default policy against fixed counts (fixed 2
    threads on 2 cores is what NumPy did before the policy). Samples interleaved per step."""
    from microtensor import _threads

    policies = {"default policy": _threads._use_default_policy}
    for count in range(1, len(os.sched_getaffinity(0)) + 1):
        policies[f"{count} thread(s)"] = lambda count=count: mt.set_num_threads(count)
    workloads = {"MLP step": (mlp, lambda lib, m: lib.optim.SGD(m.parameters(), lr=0.01,
                                                                momentum=0.9), (128, 784)),
                 "CNN step": (cnn, lambda lib, m: lib.optim.Adam(m.parameters(), lr=1e-3),
                              (64, 1, 28, 28))}
    steps = {name: build_steps(*workload)["microtensor"] for name, workload in workloads.items()}
    steps["Conv2d layer fwd+bwd (b32, 32->64, 32x32)"] = conv_layer_step()
    for name, step in steps.items():
        samples: dict[str, list[float]] = {policy: [] for policy in policies}
        median_step(step, 1, 0.0)  # warm-up
        finish = time.perf_counter() + seconds * len(policies)
        while min(map(len, samples.values())) < repeats or time.perf_counter() < finish:
            for policy, use in policies.items():
                use()
                step()  # the first step after a switch is not counted
                start = time.perf_counter()
                step()
                samples[policy].append(time.perf_counter() - start)
        _threads._use_default_policy()
        print(f"{name} idle: " + " | ".join(f"{policy} {statistics.median(times) * 1e3:.2f} ms"
                                             for policy, times in samples.items()))


def main() -> None:
    parser = argparse.ArgumentParser(description="training steps idle and under contention")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=3.0, help="least time per measurement")
    parser.add_argument("--same-session", action="store_true",
                        help="run the competitor in this process's session (see Competitor)")
    parser.add_argument("--only", choices=["mlp", "cnn"], default=None)
    parser.add_argument("--set-threads", type=int, default=None,
                        help="call mt.set_num_threads(N) and torch.set_num_threads(N) first")
    parser.add_argument("--numpy-default", action="store_true",
                        help="microtensor on NumPy's default (one BLAS thread per core for every "
                             "product), i.e. without its thread policy; PyTorch unchanged")
    parser.add_argument("--compare-policies", action="store_true",
                        help="only: microtensor idle, default policy against fixed counts")
    args = parser.parse_args()
    if args.compare_policies:
        compare_policies(args.repeats, args.seconds)
        return
    if args.numpy_default:
        mt.set_num_threads(len(os.sched_getaffinity(0)))
    if args.set_threads is not None:
        mt.set_num_threads(args.set_threads)
        if torch is not None:
            torch.set_num_threads(args.set_threads)
    theirs = (f"{torch.__version__}, threads: {torch.get_num_threads()}" if torch is not None
              else "not installed")
    print(f"cores: {len(os.sched_getaffinity(0))}; microtensor threads: {mt.get_num_threads()};"
          f" PyTorch: {theirs}")
    if args.only in (None, "mlp"):
        bench("MLP step (784-256-10, b128, SGD)",
              build_steps(mlp, lambda lib, m: lib.optim.SGD(m.parameters(), lr=0.01,
                                                             momentum=0.9), (128, 784)),
              args.repeats, args.seconds, args.same_session)
    if args.only in (None, "cnn"):
        bench("CNN step (28x28, b64, Adam)",
              build_steps(cnn, lambda lib, m: lib.optim.Adam(m.parameters(), lr=1e-3),
                          (64, 1, 28, 28)),
              args.repeats, args.seconds, args.same_session)


if __name__ == "__main__":
    main()
