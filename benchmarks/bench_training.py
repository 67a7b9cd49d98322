"""Training-speed benchmarks, microtensor vs PyTorch side by side in one process.

    python benchmarks/bench_training.py [--threads 1] [--repeats 30]

Three workloads (float32, both libraries on the same number of threads, steps interleaved,
ratio of medians = microtensor time / PyTorch time):

* MLP training step: 784→256→ReLU→10, batch 128, cross-entropy, SGD with momentum (target <= 1.1)
* CNN training step: 28×28×1 input, batch 64: conv 1→8 3×3 pad 1, ReLU, maxpool 2,
  conv 8→16 3×3 pad 1, ReLU, maxpool 2, linear 784→10, Adam (target <= 1.5)
* Conv2d layer forward + backward: batch 32, 32→64 channels, 32×32, 3×3, pad 1 (target <= 1.3),
  with the achieved GFLOP/s (the machine's float32 matmul peak bounds it; printed for reference)
"""

from __future__ import annotations

import argparse

from _common import load_torch, pin_threads, report, time_interleaved

THREADS = pin_threads()

import numpy as np  # noqa: E402  (after the thread count is pinned)

import microtensor as mt  # noqa: E402


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 10))


def cnn(lib):
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
    )


def copy_weights(source, target, torch) -> None:
    """Give the PyTorch model the microtensor model's initial weights (same starting point)."""
    with torch.no_grad():
        for (_, ours), (_, theirs) in zip(source.named_parameters(), target.named_parameters()):
            theirs.copy_(torch.from_numpy(ours.detach().numpy().copy()))


def training_step(lib, model, optimizer, inputs, targets):
    loss_fn = lib.nn.CrossEntropyLoss()

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        return loss

    return step


def bench_step(name, build, make_optimizer, input_shape, repeats, torch, target):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(input_shape).astype(np.float32)
    y = rng.integers(0, 10, input_shape[0])
    mt.manual_seed(0)
    ours_model = build(mt)
    ours = training_step(mt, ours_model, make_optimizer(mt, ours_model), mt.tensor(x),
                         mt.tensor(y))
    steps = [ours]
    if torch is not None:
        theirs_model = build(torch)
        copy_weights(ours_model, theirs_model, torch)
        steps.append(training_step(torch, theirs_model, make_optimizer(torch, theirs_model),
                                   torch.from_numpy(x), torch.from_numpy(y)))
    times = time_interleaved(steps, repeats)
    print(report(name, times[0], times[1] if torch is not None else None, target))


def bench_conv_layer(repeats, torch):
    batch, c_in, c_out, size, k = 32, 32, 64, 32, 3
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, c_in, size, size)).astype(np.float32)
    mt.manual_seed(0)
    layer = mt.nn.Conv2d(c_in, c_out, k, padding=1)
    ours_x = mt.tensor(x, requires_grad=True)
    grad_out = rng.standard_normal((batch, c_out, size, size)).astype(np.float32)

    def ours() -> None:
        ours_x.grad = None
        layer.zero_grad()
        layer(ours_x).backward(mt.tensor(grad_out))

    steps = [ours]
    if torch is not None:
        their_layer = torch.nn.Conv2d(c_in, c_out, k, padding=1)
        copy_weights(layer, their_layer, torch)
        their_x = torch.tensor(x, requires_grad=True)
        their_grad = torch.from_numpy(grad_out)

        def theirs() -> None:
            their_x.grad = None
            their_layer.zero_grad()
            their_layer(their_x).backward(their_grad)

        steps.append(theirs)
    times = time_interleaved(steps, repeats)
    # forward 2·N·Cout·H·W·Cin·k² flops; backward twice that (input and weight gradients)
    flops = 3 * 2 * batch * c_out * size * size * c_in * k * k
    gflops = flops / times[0] / 1e9
    print(report("Conv2d layer fwd+bwd", times[0], times[1] if torch is not None else None, 1.3,
                 extra=f"microtensor {gflops:.1f} GFLOP/s"))


def main() -> None:
    parser = argparse.ArgumentParser(description="training-speed benchmarks vs PyTorch")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/PyTorch threads (both)")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--only", choices=["mlp", "cnn", "conv"], default=None)
    args = parser.parse_args()
    torch = load_torch(THREADS)
    print(f"threads: {THREADS}; PyTorch: {torch.__version__ if torch else 'not installed'}")
    if args.only in (None, "mlp"):
        bench_step("MLP step (784-256-10, b128, SGD)", mlp,
                   lambda lib, m: lib.optim.SGD(m.parameters(), lr=0.01, momentum=0.9),
                   (128, 784), args.repeats, torch, 1.1)
    if args.only in (None, "cnn"):
        bench_step("CNN step (28x28, b64, Adam)", cnn,
                   lambda lib, m: lib.optim.Adam(m.parameters(), lr=1e-3),
                   (64, 1, 28, 28), args.repeats, torch, 1.5)
    if args.only in (None, "conv"):
        bench_conv_layer(args.repeats, torch)


if __name__ == "__main__":
    main()
