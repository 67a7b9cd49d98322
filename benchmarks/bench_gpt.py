"""The GPT of ``examples/gpt.py``: one training step, microtensor vs PyTorch, in one process.

    python benchmarks/bench_gpt.py [--threads 1] [--repeats 20] [--batch-size 32]

The same model in both libraries (the example's source, run once as it is and once with its
three imports pointed at ``torch``), the same initial weights and the same batch: 4 layers,
4 heads, 128 dims, context 64, vocabulary 90, float32. One step is forward + cross-entropy +
backward + gradient clipping + AdamW step. The steps alternate sample by sample; the figure is
the ratio of medians (microtensor time / PyTorch time), target <= 1.5.

``--profile`` runs microtensor's step under cProfile afterwards and prints where the time goes.
"""

from __future__ import annotations

import argparse
import sys
import types
from pathlib import Path

from _common import load_torch, pin_threads, report, time_interleaved

THREADS = pin_threads()

import numpy as np  # noqa: E402  (after the thread count is pinned)

import microtensor as mt  # noqa: E402

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "gpt.py"
VOCAB = 90


def load_example(library: str):
    """examples/gpt.py as a module, its imports pointed at ``library`` ("microtensor" or
    "torch"): the lesson is PyTorch code, so the very same classes build both models."""
    source = EXAMPLE.read_text(encoding="utf-8")
    if library == "torch":
        for ours, theirs in (("import microtensor as mt", "import torch as mt"),
                             ("from microtensor import nn", "from torch import nn"),
                             ("from microtensor.nn import functional as F",
                              "from torch.nn import functional as F")):
            if ours not in source:
                raise RuntimeError(f"examples/gpt.py no longer has the line {ours!r}")
            source = source.replace(ours, theirs)
    name = f"_gpt_{library}"
    module = types.ModuleType(name)
    module.__file__ = str(EXAMPLE)
    sys.modules[name] = module  # (dataclasses look the module up by name)
    exec(compile(source, str(EXAMPLE), "exec"), module.__dict__)
    return module


def build(example, lib, config_kwargs):
    config = example.GPTConfig(vocab_size=VOCAB, **config_kwargs)
    model = example.GPT(config)
    optimizer = lib.optim.AdamW(example.parameter_groups(model, 0.1), lr=1e-3, betas=(0.9, 0.95))
    return model, optimizer


def training_step(lib, model, optimizer, inputs, targets):
    functional = lib.nn.functional

    def step():
        logits = model(inputs)
        loss = functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        return loss

    return step


def copy_weights(source, target, torch) -> None:
    """The PyTorch model starts from the microtensor model's weights (tied weights included)."""
    ours = dict(source.named_parameters())
    with torch.no_grad():
        for name, theirs in target.named_parameters():
            theirs.copy_(torch.from_numpy(ours[name].detach().numpy().copy()))


def main() -> None:
    parser = argparse.ArgumentParser(description="GPT training step vs PyTorch")
    parser.add_argument("--threads", type=int, default=1, help="BLAS/PyTorch threads (both)")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--context", type=int, default=64)
    parser.add_argument("--profile", action="store_true", help="cProfile microtensor's step")
    args = parser.parse_args()
    torch = load_torch(THREADS)
    print(f"threads: {THREADS}; PyTorch: {torch.__version__ if torch else 'not installed'}")
    sizes = dict(layers=args.layers, heads=args.heads, dim=args.dim, context=args.context)
    rng = np.random.default_rng(0)
    x = rng.integers(0, VOCAB, (args.batch_size, args.context))
    y = rng.integers(0, VOCAB, (args.batch_size, args.context))

    mt.manual_seed(0)
    ours_example = load_example("microtensor")
    ours_model, ours_optimizer = build(ours_example, mt, sizes)
    ours = training_step(mt, ours_model, ours_optimizer, mt.tensor(x), mt.tensor(y))
    steps = [ours]
    if torch is not None:
        theirs_example = load_example("torch")
        theirs_model, theirs_optimizer = build(theirs_example, torch, sizes)
        copy_weights(ours_model, theirs_model, torch)
        steps.append(training_step(torch, theirs_model, theirs_optimizer, torch.from_numpy(x),
                                   torch.from_numpy(y)))
        first = [float(step().item()) for step in steps]
        print(f"first-step losses: microtensor {first[0]:.6f}, PyTorch {first[1]:.6f}")
    times = time_interleaved(steps, args.repeats)
    name = (f"GPT step ({args.layers}x{args.dim}, ctx {args.context}, b{args.batch_size}, "
            "AdamW)")
    print(report(name, times[0], times[1] if torch is not None else None, 1.5))
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            ours()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
