"""How fast could an im2col convolution be with this BLAS? Its products alone, against PyTorch.

    python benchmarks/bench_gemm_floor.py                 # 1 thread
    python benchmarks/bench_gemm_floor.py --threads 2

microtensor's convolutions (``microtensor/ops/conv_fast.py``, ``conv_small.py``) turn a conv2d
into matrix products of NumPy's BLAS (im2col); PyTorch runs oneDNN's own convolution kernels.
Whatever im2col does around its products (copies, reorders), it cannot be faster than the
products themselves. This benchmark times exactly those products for each conv case of
``bench_conv.py``, on preallocated arrays, nothing else, alternating with PyTorch's whole
forward + backward of the same layer (in rounds, as ``bench_conv.py`` times them; below,
K = C/g * kH * kW and P = Ho*Wo, per group g):

* forward          Y[n] (O/g, P)  = W (O/g, K) @ cols[n] (K, P)
* weight gradient  dWᵀ (K, O/g)   = Σ_n cols[n] (K, P) @ G[n]ᵀ (P, O/g)
* input gradient   dcols[n] (K, P) = Wᵀ (K, O/g) @ G[n] (O/g, P)   (not when x needs no gradient)

each in the fastest of the arrangements the kernels can use: one product over the whole batch
(columns n*P + p; for dL/dW also cut into 512-column pieces whose products are summed), or one
product per image on chunks of images whose cols take about 2 MB, as the kernels run them
(the chunk's operands stay in the cache; for dL/dW also with G[n]ᵀ copied row by row first,
the copy timed too). The "floor ratio" (products' time / PyTorch's time) is a lower bound on
what an im2col implementation on this BLAS can reach: above 1.0, meeting PyTorch needs fewer
multiplications (Winograd, FFT) or faster products (other BLAS kernels), not less overhead.

It also prints which kernels OpenBLAS runs (``architecture``, from threadpoolctl) and the
``OPENBLAS_CORETYPE`` environment variable that can choose them, with the speed of a plain
1024³ product for both libraries.
"""

from __future__ import annotations

import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import load_torch, pin_threads, time_interleaved

THREADS = pin_threads()

import numpy as np  # noqa: E402
from _cases import conv_cases, conv_flops  # noqa: E402
from bench_conv import timings  # noqa: E402


def blas_description() -> str:
    """OpenBLAS's kernels and version, as threadpoolctl reports them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    found = [f"{p['internal_api']} {p['version']} kernels={p.get('architecture')}"
             for p in threadpool_info() if p["user_api"] == "blas"]
    return ", ".join(found) or "no BLAS found"


CHUNK_BYTES = 2 << 20  # cols of a chunk of images, as the kernels size them


def product_steps(cfg: dict, rng: np.random.Generator) -> dict[str, list]:
    """The im2col products of one conv case, each in its arrangements: {product: [steps]}."""
    groups = cfg.get("groups", 1)
    ho = (cfg["h"] + 2 * cfg["p"] - cfg["k"]) // cfg["s"] + 1
    n, k, p, o = cfg["n"], cfg["c"] // groups * cfg["k"] ** 2, ho * ho, cfg["o"] // groups
    m = n * p
    w = rng.standard_normal((groups, o, k), dtype=np.float32)
    w_t = np.ascontiguousarray(w.transpose(0, 2, 1))
    # the whole batch as one product per group
    cols = rng.standard_normal((groups, k, m), dtype=np.float32)
    g = rng.standard_normal((groups, o, m), dtype=np.float32)
    y, dcols = np.empty((groups, o, m), np.float32), np.empty((groups, k, m), np.float32)
    pieces = m // 512
    # per image, a chunk at a time (the same chunk again and again: in the cache, as after im2col)
    chunk = max(min(CHUNK_BYTES // (groups * k * p * 4), n), 1)
    passes = [(first, min(first + chunk, n)) for first in range(0, n, chunk)]
    cols_n = rng.standard_normal((chunk, groups, k, p), dtype=np.float32)
    g_n = rng.standard_normal((n, groups, o, p), dtype=np.float32)
    y_n = np.empty((n, groups, o, p), np.float32)
    dcols_n = np.empty((chunk, groups, k, p), np.float32)
    g_t = np.empty((chunk, groups, p, o), np.float32)

    def forward_batch() -> None:
        np.matmul(w, cols, out=y)

    def forward_images() -> None:
        for first, last in passes:
            np.matmul(w, cols_n[: last - first], out=y_n[first:last])

    def weight_batch() -> None:
        np.matmul(cols, g.transpose(0, 2, 1))

    def weight_batch_pieces() -> None:
        head = pieces * 512
        a = cols[..., :head].reshape(groups, k, pieces, 512).transpose(0, 2, 1, 3)
        b = g[..., :head].reshape(groups, o, pieces, 512).transpose(0, 2, 3, 1)
        np.matmul(a, b).sum(axis=1)

    def weight_images() -> None:
        for first, last in passes:
            np.matmul(cols_n[: last - first], g_n[first:last].swapaxes(-1, -2)).sum(axis=0)

    def weight_images_copied() -> None:
        for first, last in passes:
            np.copyto(g_t[: last - first], g_n[first:last].swapaxes(-1, -2))
            np.matmul(cols_n[: last - first], g_t[: last - first]).sum(axis=0)

    def input_batch() -> None:
        np.matmul(w_t, g, out=dcols)

    def input_images() -> None:
        for first, last in passes:
            np.matmul(w_t, g_n[first:last], out=dcols_n[: last - first])

    steps = {"forward": [forward_batch, forward_images],
             "weight": [weight_batch, weight_images, weight_images_copied]}
    if pieces >= 2:
        steps["weight"].append(weight_batch_pieces)
    if not cfg.get("nox"):
        steps["input"] = [input_batch, input_images]
    return steps


def torch_step(torch, cfg: dict, rng: np.random.Generator):
    """PyTorch's conv2d forward + backward of the same case."""
    groups = cfg.get("groups", 1)
    x = torch.from_numpy(rng.standard_normal((cfg["n"], cfg["c"], cfg["h"], cfg["h"]),
                                             dtype=np.float32)).requires_grad_(not cfg.get("nox"))
    w = torch.from_numpy(rng.standard_normal((cfg["o"], cfg["c"] // groups, cfg["k"], cfg["k"]),
                                             dtype=np.float32)).requires_grad_()
    b = torch.zeros(cfg["o"], requires_grad=True)
    out = torch.nn.functional.conv2d(x, w, b, stride=cfg["s"], padding=cfg["p"], groups=groups)
    grad = torch.randn_like(out)

    def step() -> None:
        torch.nn.functional.conv2d(x, w, b, stride=cfg["s"], padding=cfg["p"],
                                   groups=groups).backward(grad)

    return step


def time_in_rounds(steps: list, rounds: int, calls: int = 4) -> list[float]:
    """Median seconds per call of each step, timed as ``bench_conv.py`` times its cases: in
    alternating rounds, each round of a step ``calls`` calls after 0.15 s of untimed ones (so
    that a library's caches and worker threads are in the state its own run leaves them)."""
    samples: list[list[float]] = [[] for _ in steps]
    for _ in range(rounds):
        for step, bucket in zip(steps, samples):
            bucket += timings(step, calls)
    return [statistics.median(bucket) for bucket in samples]


def plain_product_speed(torch) -> str:
    """GFLOP/s of a (1024 x 1024) @ (1024 x 1024) float32 product, NumPy and PyTorch."""
    a = np.random.default_rng(0).standard_normal((1024, 1024), dtype=np.float32)
    steps = [lambda: a @ a]
    if torch is not None:
        ta = torch.from_numpy(a)
        steps.append(lambda: ta @ ta)
    times = time_interleaved(steps, repeats=10)
    speeds = [f"{2 * 1024**3 / t / 1e9:.0f}" for t in times]
    return "1024^3 product: NumPy " + speeds[0] + " GFLOP/s" + (
        f", PyTorch {speeds[1]} GFLOP/s" if torch is not None else "")


def main() -> None:
    torch = load_torch(THREADS)
    print(f"threads {THREADS}; {blas_description()}; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(not set)')}")
    print(plain_product_speed(torch))
    print(f"{'case':<46} {'fwd':>6} {'dW':>6} {'dx':>6} {'products ms':>11} {'GF/s':>6} "
          f"{'torch ms':>9} {'GF/s':>6} {'floor ratio':>11}")
    rng = np.random.default_rng(0)
    for name, cfg in conv_cases():
        arrangements = product_steps(cfg, rng)
        steps = [step for kind in arrangements.values() for step in kind]
        if torch is not None:
            steps.append(torch_step(torch, cfg, rng))
        times = iter(time_in_rounds(steps, rounds=5))
        best = {kind: min(next(times) for _ in kind_steps)
                for kind, kind_steps in arrangements.items()}
        products = sum(best.values())
        flops = conv_flops(cfg)
        parts = " ".join(f"{best[kind] * 1e3:>6.2f}" if kind in best else f"{'-':>6}"
                         for kind in ("forward", "weight", "input"))
        line = f"{name:<46} {parts} {products * 1e3:>11.2f} {flops / products / 1e9:>6.0f}"
        if torch is not None:
            theirs = next(times)
            line += (f" {theirs * 1e3:>9.2f} {flops / theirs / 1e9:>6.0f} "
                     f"{products / theirs:>11.2f}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
