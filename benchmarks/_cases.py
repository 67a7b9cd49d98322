"""The convolution, pooling and small-CNN cases the kernel benchmarks time: their sizes, their
input arrays, and each case's step written once against the PyTorch API (``conv_step(lib,
cfg)``, ``pool_step``, ``cnn_step``), which runs on whichever library ``lib`` is.

Shared by ``bench_conv.py`` (both libraries in one process), ``bench_gemm_floor.py`` (the
products alone) and ``bench_programs.py`` (each library in a program of its own). This module
imports neither library (and NumPy only inside its functions): ``bench_programs.py``'s PyTorch
program must not load microtensor, whose import changes glibc's allocator settings for the
whole process (``microtensor/_memory.py``).
"""

from __future__ import annotations

from collections.abc import Callable


def conv_cases() -> list[tuple[str, dict]]:
    """(name, shapes and arguments): the layer of the target, strided, grouped, the small CNN's.

    n batch, c input and o output channels, h image height = width, k kernel, s stride,
    p padding, groups (default 1), nox: the input needs no gradient."""
    return [
        ("32x32->64, 32x32, 3x3 pad 1, batch 32", dict(n=32, c=32, o=64, h=32, k=3, s=1, p=1)),
        ("  same, input without grad", dict(n=32, c=32, o=64, h=32, k=3, s=1, p=1, nox=True)),
        ("64->128, 32x32, 3x3 stride 2 pad 1, batch 32", dict(n=32, c=64, o=128, h=32, k=3, s=2,
                                                             p=1)),
        ("64->64, 16x16, 3x3 pad 1 groups 4, batch 32", dict(n=32, c=64, o=64, h=16, k=3, s=1,
                                                             p=1, groups=4)),
        ("CNN conv1: 1->8, 28x28, 3x3 pad 1, batch 64", dict(n=64, c=1, o=8, h=28, k=3, s=1, p=1,
                                                             nox=True)),
        ("CNN conv2: 8->16, 14x14, 3x3 pad 1, batch 64", dict(n=64, c=8, o=16, h=14, k=3, s=1,
                                                              p=1)),
    ]


def conv_arrays(cfg: dict) -> tuple:
    """float32 NumPy arrays (x, w, b, dL/dy) of a conv case, the same for every benchmark."""
    import numpy as np

    rng = np.random.default_rng(0)
    groups = cfg.get("groups", 1)
    x = rng.standard_normal((cfg["n"], cfg["c"], cfg["h"], cfg["h"]), dtype=np.float32)
    w = rng.standard_normal((cfg["o"], cfg["c"] // groups, cfg["k"], cfg["k"]),
                            dtype=np.float32) * 0.1
    b = rng.standard_normal(cfg["o"], dtype=np.float32)
    ho = (cfg["h"] + 2 * cfg["p"] - cfg["k"]) // cfg["s"] + 1
    g = rng.standard_normal((cfg["n"], cfg["o"], ho, ho), dtype=np.float32)
    return x, w, b, g


def conv_step(lib, cfg: dict) -> Callable[[], None]:
    """Forward + backward of one conv case, through ``lib``'s public API (microtensor or
    torch: the same code)."""
    groups = cfg.get("groups", 1)
    x, w, b, g = conv_arrays(cfg)
    xt = lib.from_numpy(x).requires_grad_(not cfg.get("nox"))
    wt, bt = lib.from_numpy(w).requires_grad_(), lib.from_numpy(b).requires_grad_()
    gt = lib.from_numpy(g)

    def step() -> None:
        out = lib.nn.functional.conv2d(xt, wt, bt, stride=cfg["s"], padding=cfg["p"],
                                       groups=groups)
        out.backward(gt)

    return step


def conv_flops(cfg: dict) -> float:
    """Floating-point operations of one forward + backward: 2 per multiply-add of the forward
    product and of each gradient product computed (dL/dx only when the input needs it)."""
    groups = cfg.get("groups", 1)
    ho = (cfg["h"] + 2 * cfg["p"] - cfg["k"]) // cfg["s"] + 1
    macs = cfg["n"] * cfg["o"] * ho * ho * (cfg["c"] // groups) * cfg["k"] ** 2
    products = 2 if cfg.get("nox") else 3
    return 2.0 * macs * products


BIG_POOL_INPUT = (32, 64, 32, 32)


def pool_cases(adaptive: bool) -> list[tuple[str, tuple[int, ...], str, int, int, int]]:
    """(name, input shape, kind, k, s, p): ``kind`` "max" or "avg" (window k, stride s, padding
    p); with ``adaptive`` also "adaptive_avg" and "adaptive_max" (output size k)."""
    big = BIG_POOL_INPUT
    cases = [
        ("max_pool2d 2x2 on (64, 8, 28, 28)", (64, 8, 28, 28), "max", 2, 2, 0),
        ("max_pool2d 2x2 on (32, 64, 32, 32)", big, "max", 2, 2, 0),
        ("max_pool2d 3x3 stride 2 pad 1 on (32, 64, 32, 32)", big, "max", 3, 2, 1),
        ("avg_pool2d 2x2 on (32, 64, 32, 32)", big, "avg", 2, 2, 0),
        ("avg_pool2d 3x3 stride 2 pad 1 on (32, 64, 32, 32)", big, "avg", 3, 2, 1),
    ]
    if adaptive:
        cases += [
            ("adaptive_avg_pool2d to 1x1 on (32, 64, 32, 32)", big, "adaptive_avg", 1, 0, 0),
            ("adaptive_avg_pool2d to 7x7 on (32, 64, 32, 32)", big, "adaptive_avg", 7, 0, 0),
            ("adaptive_max_pool2d to 1x1 on (32, 64, 32, 32)", big, "adaptive_max", 1, 0, 0),
            ("adaptive_max_pool2d to 7x7 on (32, 64, 32, 32)", big, "adaptive_max", 7, 0, 0),
        ]
    return cases


def pool_call(kind: str, k: int, s: int, p: int):
    """``f(x, functional)``: the pooling of a case through a library's ``nn.functional``."""
    functions = {
        "max": (lambda v, f: f.max_pool2d(v, k, s, p)),
        "avg": (lambda v, f: f.avg_pool2d(v, k, s, p)),
        "adaptive_avg": (lambda v, f: f.adaptive_avg_pool2d(v, k)),
        "adaptive_max": (lambda v, f: f.adaptive_max_pool2d(v, k)),
    }
    return functions[kind]


def pool_arrays(shape: tuple[int, ...], kind: str, k: int, s: int, p: int) -> tuple:
    """float32 NumPy arrays (x, dL/dy) of a pooling case, the same for every benchmark."""
    import numpy as np

    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape, dtype=np.float32)
    side = k if kind.startswith("adaptive") else (shape[-1] + 2 * p - k) // s + 1
    g = rng.standard_normal((*shape[:-2], side, side), dtype=np.float32)
    return x, g


def pool_step(lib, shape: tuple[int, ...], kind: str, k: int, s: int, p: int
              ) -> Callable[[], None]:
    """Forward + backward of one pooling case, through ``lib``'s public API."""
    pool = pool_call(kind, k, s, p)
    x, g = pool_arrays(shape, kind, k, s, p)
    xt, gt = lib.from_numpy(x).requires_grad_(), lib.from_numpy(g)
    return lambda: pool(xt, lib.nn.functional).backward(gt)


def _cnn(lib) -> tuple[list, object, Callable]:
    """The benchmarks' small CNN (batch 64 of 1x28x28: conv 8, ReLU, pool, conv 16, ReLU,
    pool, linear 10) on ``lib``: its parameters, labels and the forward pass of its input to
    logits."""
    import numpy as np

    rng = np.random.default_rng(2)
    shapes = [(8, 1, 3, 3), (8,), (16, 8, 3, 3), (16,), (10, 784), (10,)]
    params = [lib.from_numpy(rng.standard_normal(s, dtype=np.float32) * 0.1).requires_grad_()
              for s in shapes]
    x = lib.from_numpy(rng.standard_normal((64, 1, 28, 28), dtype=np.float32))
    labels = lib.from_numpy(rng.integers(0, 10, 64))
    functional = lib.nn.functional

    def logits():
        w1, b1, w2, b2, w3, b3 = params
        h = functional.max_pool2d(functional.conv2d(x, w1, b1, padding=1).relu(), 2)
        h = functional.max_pool2d(functional.conv2d(h, w2, b2, padding=1).relu(), 2)
        return h.reshape(64, 784) @ w3.T + b3

    return params, labels, logits


def cnn_step(lib) -> Callable[[], None]:
    """One SGD step of the benchmarks' small CNN (``_cnn``, cross-entropy), through ``lib``'s
    public API."""
    params, labels, logits = _cnn(lib)
    optimizer = lib.optim.SGD(params, lr=0.01)

    def step() -> None:
        loss = lib.nn.functional.cross_entropy(logits(), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def cnn_evaluation(lib) -> Callable[[], None]:
    """The small CNN's forward pass and predicted classes under ``no_grad``, as when a test
    set is scored."""
    _, _, logits = _cnn(lib)

    def evaluate() -> None:
        with lib.no_grad():
            logits().argmax(1)

    return evaluate
