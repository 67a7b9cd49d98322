"""How fast could an im2col convolution be with this BLAS? Its products alone, against PyTorch.

    python benchmarks/bench_gemm_floor.py                 # 1 thread
    python benchmarks/bench_gemm_floor.py --threads 2

microtensor's convolutions (``microtensor/ops/conv_fast.py``) turn a conv2d into matrix products
of NumPy's BLAS (im2col); PyTorch runs oneDNN's own convolution kernels. Whatever im2col does
around its products (copies, reorders), it cannot be faster than the products themselves. This
benchmark times exactly those products for each conv case of ``bench_conv.py``, on preallocated
arrays, nothing else, interleaved with PyTorch's whole forward + backward of the same layer:

* forward          Y (O/g, M)  = W (O/g, K) @ cols (K, M)        K = C/g * kH * kW, M = N*Ho*Wo
* weight gradient  dW (K, O/g) = cols (K, M) @ Gᵀ (M, O/g)       (the faster of one product or
                                                                 512-column pieces summed)
* input gradient   dcols (K, M) = Wᵀ (K, O/g) @ G (O/g, M)       (not when x needs no gradient)

per group. The "floor ratio" (products' time / PyTorch's time) is a lower bound on what any
im2col implementation on this BLAS can reach: above 1.0, meeting PyTorch needs fewer
multiplications (Winograd, FFT) or faster products (other BLAS kernels), not less overhead.

It also prints which kernels OpenBLAS runs (``architecture``, from threadpoolctl) and the
``OPENBLAS_CORETYPE`` environment variable that can choose them, with the speed of a plain
1024³ product for both libraries.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _common import load_torch, pin_threads, time_interleaved

THREADS = pin_threads()

import numpy as np  # noqa: E402
from bench_conv import conv_cases, conv_flops  # noqa: E402


def blas_description() -> str:
    """OpenBLAS's kernels and version, as threadpoolctl reports them."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl not installed"
    found = [f"{p['internal_api']} {p['version']} kernels={p.get('architecture')}"
             for p in threadpool_info() if p["user_api"] == "blas"]
    return ", ".join(found) or "no BLAS found"


def product_steps(cfg: dict, rng: np.random.Generator) -> list:
    """The im2col products of one conv case (forward, weight gradient, input gradient)."""
    groups = cfg.get("groups", 1)
    ho = (cfg["h"] + 2 * cfg["p"] - cfg["k"]) // cfg["s"] + 1
    k = cfg["c"] // groups * cfg["k"] ** 2
    m = cfg["n"] * ho * ho
    o = cfg["o"] // groups
    w = rng.standard_normal((groups, o, k), dtype=np.float32)
    cols = rng.standard_normal((groups, k, m), dtype=np.float32)
    g = rng.standard_normal((groups, o, m), dtype=np.float32)
    y, dcols = np.empty((groups, o, m), np.float32), np.empty((groups, k, m), np.float32)
    pieces = m // 512

    def forward() -> None:
        np.matmul(w, cols, out=y)

    def weight_gradient() -> None:
        np.matmul(cols, g.transpose(0, 2, 1))

    def weight_gradient_in_pieces() -> None:
        head = pieces * 512
        a = cols[..., :head].reshape(groups, k, pieces, 512).transpose(0, 2, 1, 3)
        b = g[..., :head].reshape(groups, o, pieces, 512).transpose(0, 2, 3, 1)
        np.matmul(a, b).sum(axis=1)

    def input_gradient() -> None:
        np.matmul(w.transpose(0, 2, 1), g, out=dcols)

    steps = [forward, weight_gradient, weight_gradient_in_pieces]
    if not cfg.get("nox"):
        steps.append(input_gradient)
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
    print(f"{'case':<46} {'products ms':>11} {'GF/s':>6} {'torch ms':>9} {'GF/s':>6} "
          f"{'floor ratio':>11}")
    rng = np.random.default_rng(0)
    for name, cfg in conv_cases():
        steps = product_steps(cfg, rng)
        if torch is not None:
            steps.append(torch_step(torch, cfg, rng))
        times = time_interleaved(steps, repeats=15)
        forward, weight_plain, weight_pieces = times[:3]
        products = forward + min(weight_plain, weight_pieces)
        if not cfg.get("nox"):
            products += times[3]
        flops = conv_flops(cfg)
        line = f"{name:<46} {products * 1e3:>11.2f} {flops / products / 1e9:>6.0f}"
        if torch is not None:
            theirs = times[-1]
            line += (f" {theirs * 1e3:>9.2f} {flops / theirs / 1e9:>6.0f} "
                     f"{products / theirs:>11.2f}")
        print(line, flush=True)


if __name__ == "__main__":
    main()
