"""Peak resident memory, microtensor vs PyTorch, each workload in a fresh process.

    python benchmarks/bench_memory.py [--steps 30]

For each library and workload a child process imports the library, builds the model of
``bench_training.py`` (MLP 784-256-10 with SGD and momentum, batch 128; CNN on 28x28, batch 64,
with Adam), runs ``--steps`` training steps and reports:

* ``import``: the resident memory (RSS) right after the import, the cost of the library itself;
* ``peak``: the peak RSS of the process at the end (``VmHWM`` of ``/proc/self/status``: unlike
  ``ru_maxrss``, it starts afresh at ``exec``, so the parent's size does not leak in);
* ``training``: peak minus import, the memory the training itself needed.

The main example (``examples/train_cnn.py --epochs 3``) has no PyTorch twin; its peak RSS is
reported for microtensor alone. Linux only (``/proc/self/statm``); 1 BLAS thread, as the timing
benchmarks.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

PEAK = r"""
def peak_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
"""

CHILD = PEAK + r"""
import json, os, sys
sys.path.insert(0, {here!r})
page = os.sysconf("SC_PAGE_SIZE")

def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page / 2**20

if {library!r} == "torch":
    import torch as lib
    torch = lib
    torch.set_num_threads(1)
else:
    import microtensor as lib
imported = rss_mb()
import numpy as np
from bench_training import cnn, mlp, training_step

rng = np.random.default_rng(0)
if {workload!r} == "mlp":
    model = mlp(lib)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    shape = (128, 784)
else:
    model = cnn(lib)
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    shape = (64, 1, 28, 28)
x = rng.standard_normal(shape).astype(np.float32)
y = rng.integers(0, 10, shape[0])
inputs = lib.from_numpy(x)
targets = lib.from_numpy(y)
step = training_step(lib, model, optimizer, inputs, targets)
for _ in range({steps}):
    step()
print(json.dumps({{"import": imported, "peak": peak_mb()}}))
"""


def _one_thread_env() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[name] = "1"
    return env


def measure(library: str, workload: str, steps: int) -> dict[str, float]:
    code = CHILD.format(here=str(HERE), library=library, workload=workload, steps=steps)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=_one_thread_env(), check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main_example_peak() -> float:
    """Peak RSS (MB) of ``examples/train_cnn.py --epochs 3`` in a child process."""
    code = PEAK + ("import runpy, sys\nsys.argv = ['train_cnn.py', '--epochs', '3', "
                   "'--no-progress', '--out', {out!r}]\nrunpy.run_path({path!r}, "
                   "run_name='__main__')\nprint(peak_mb())")
    code = code.format(out=str(ROOT / "runs" / "bench_memory"),
                       path=str(ROOT / "examples" / "train_cnn.py"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=_one_thread_env(), check=True, cwd=ROOT)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    # (not imported here: this process stays small; each child imports its library)
    libraries = ["microtensor"] + (["torch"] if importlib.util.find_spec("torch") else [])
    print(f"{'workload':10s} {'library':12s} {'import MB':>10s} {'peak MB':>9s} "
          f"{'training MB':>12s}")
    for workload in ("mlp", "cnn"):
        for library in libraries:
            m = measure(library, workload, args.steps)
            print(f"{workload:10s} {library:12s} {m['import']:10.1f} {m['peak']:9.1f} "
                  f"{m['peak'] - m['import']:12.1f}")
    print(f"main example (train_cnn.py --epochs 3, microtensor): peak {main_example_peak():.1f} MB")


if __name__ == "__main__":
    main()
