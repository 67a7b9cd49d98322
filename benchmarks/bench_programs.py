"""Each library in a program of its own: the kernels and the small CNN step as a user runs them.

    python benchmarks/bench_programs.py                  # each library's default threads
    python benchmarks/bench_programs.py --threads 1      # both on one thread
    python benchmarks/bench_programs.py --rounds 5 --only conv

``bench_conv.py`` times both libraries in one process, alternating call by call, so that both
see the same moment of a noisy machine. Two things of that process are not what a user's
program gets, and they pull in opposite directions:

* **The allocator.** Importing microtensor tells glibc to keep freed memory
  (``microtensor/_memory.py``); that holds for the whole process, so PyTorch there runs on kept
  memory too. A PyTorch program on its own runs on glibc's defaults, where every large tensor is
  fresh memory whose pages fault in when first written (measured: PyTorch's 32->64 layer,
  forward + backward, 58-64 ms alone against 41-44 ms with the same ``MALLOC_*`` settings).
* **Spinning threads.** After a parallel region PyTorch's OpenMP threads spin for a while
  waiting for more work; in one process they hold the second core when microtensor's next call
  wants it (bench_conv's 0.15 s of untimed warm-up calls per round soften this, not entirely).

Here every library runs in a fresh process of its own (a "program") that imports only that
library, builds the cases of ``_cases.py`` and the small CNN step with the *same* code (the
PyTorch API, which microtensor follows: ``lib.nn.functional.conv2d`` is whichever library was
imported), and prints the median time per call of every case. The programs alternate
(microtensor, PyTorch, PyTorch, microtensor, ...) for ``--rounds`` rounds; a case's figure is
the median over the rounds of the programs' medians, and the ratio is microtensor's over
PyTorch's (below 1 is faster). The spread of the per-round ratios is printed next to it.

Threads: ``--threads 1`` sets ``OPENBLAS_NUM_THREADS``, ``OMP_NUM_THREADS`` and
``MKL_NUM_THREADS`` to 1 for both programs. Without it both get their defaults, as a user
does: microtensor its adaptive policy (``microtensor/_threads.py``), PyTorch one thread per core.
Without PyTorch installed only microtensor's figures are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _cases import (  # (imports no library)
    cnn_evaluation,
    cnn_step,
    conv_cases,
    conv_flops,
    conv_step,
    pool_cases,
    pool_step,
)

THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
SECTIONS = ("conv", "pool", "cnn")


# --------------------------------------------------------------------------- one program


def median_time(fn: Callable[[], object], seconds: float) -> float:
    """Median seconds per call of ``fn``: 0.2 s (and 3 calls at least) untimed, then calls for
    about ``seconds`` (10 at least)."""
    start, done = time.perf_counter(), 0
    while done < 3 or time.perf_counter() - start < 0.2:
        fn()
        done += 1
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < 10 or time.perf_counter() - start < seconds:
        begin = time.perf_counter()
        fn()
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def cases(lib, sections: tuple[str, ...]) -> list[tuple[str, Callable[[], None]]]:
    """(name, step) of every case of ``sections``, built for ``lib``."""
    built: list[tuple[str, Callable[[], None]]] = []
    if "conv" in sections:
        built += [(name, conv_step(lib, cfg)) for name, cfg in conv_cases()]
    if "pool" in sections:
        built += [(name, pool_step(lib, shape, kind, k, s, p))
                  for name, shape, kind, k, s, p in pool_cases(adaptive=True)]
    if "cnn" in sections:
        built.append(("small CNN training step (SGD)", cnn_step(lib)))
        built.append(("small CNN forward, no_grad (scoring)", cnn_evaluation(lib)))
    return built


def program(library: str, sections: tuple[str, ...], seconds: float) -> None:
    """The body of one program: import ``library`` alone, print {case: median seconds} as JSON."""
    if library == "torch":
        import torch as lib
    else:
        import microtensor as lib
    print(json.dumps({name: median_time(step, seconds) for name, step in cases(lib, sections)}))


# --------------------------------------------------------------------------- the driver


def run_program(library: str, sections: tuple[str, ...], seconds: float,
                environment: dict[str, str]) -> dict[str, float]:
    """One fresh process running ``program(library, ...)``; its medians."""
    command = [sys.executable, os.path.abspath(__file__), "--program", library,
               "--only", ",".join(sections), "--seconds", str(seconds)]
    done = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def torch_installed() -> bool:
    """Whether PyTorch can be imported (asked in a child: this process imports no library)."""
    done = subprocess.run([sys.executable, "-c", "import torch"], capture_output=True)
    return done.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, choices=(1,), default=None,
                        help="1: both on one thread (default: each library's own default)")
    parser.add_argument("--rounds", type=int, default=3, help="programs per library")
    parser.add_argument("--seconds", type=float, default=0.6, help="timed seconds per case")
    parser.add_argument("--only", default=",".join(SECTIONS),
                        help="comma-separated sections: conv, pool, cnn")
    parser.add_argument("--program", choices=("microtensor", "torch"), default=None,
                        help=argparse.SUPPRESS)  # internal: run one program
    args = parser.parse_args()
    sections = tuple(part for part in args.only.split(",") if part)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    if args.program:
        program(args.program, sections, args.seconds)
        return

    environment = dict(os.environ)
    for name in THREAD_VARIABLES:
        environment.pop(name, None)
        if args.threads == 1:
            environment[name] = "1"
    libraries = ["microtensor"] + (["torch"] if torch_installed() else [])
    results: dict[str, list[dict[str, float]]] = {lib: [] for lib in libraries}
    for round_number in range(args.rounds):
        order = libraries if round_number % 2 == 0 else libraries[::-1]
        for library in order:
            results[library].append(run_program(library, sections, args.seconds, environment))
    threads = "1 thread each" if args.threads == 1 else "each library's default threads"
    print(f"each library in its own program, {threads}, {args.rounds} rounds, python "
          f"{sys.version.split()[0]}")
    flops = {name: conv_flops(cfg) for name, cfg in conv_cases()}
    print(f"{'case':<52} {'mt us':>9} {'torch us':>9} {'ratio':>6} {'per round':>12} "
          f"{'mt GF/s':>8}")
    for name in results["microtensor"][0]:
        ours = statistics.median(run[name] for run in results["microtensor"])
        line = f"{name:<52} {ours * 1e6:>9.0f}"
        if "torch" in results:
            theirs = statistics.median(run[name] for run in results["torch"])
            per_round = [m[name] / t[name] for m, t in zip(results["microtensor"],
                                                             results["torch"], strict=True)]
            line += (f" {theirs * 1e6:>9.0f} {ours / theirs:>6.2f} "
                     f"{min(per_round):>5.2f}-{max(per_round):<5.2f}")
        else:
            line += f" {'-':>9} {'-':>6} {'-':>12}"
        if name in flops:
            line += f" {flops[name] / ours / 1e9:>8.1f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
