"""A small GPT, trained on a CPU: a character-level language model of Python source code.

    python examples/gpt.py                  # the default model: about 2-3 minutes on 2 cores
    python examples/gpt.py --steps 2000     # longer: better samples
    python examples/gpt.py --fast           # a tiny model in a few seconds (what the test runs)

A language model reads text one token at a time and, at every position, gives a probability to
each possible next token. Train it to give high probability to what really comes next, and it
learns spelling, indentation, keywords, brackets that close... Here a token is one character.

What happens, step by step:

1. The corpus: the standard library's own ``.py`` files, which every Python installation has on
   disk (no download). A fixed list of modules (``CORPUS_FILES``) is concatenated; the script
   prints how many files and characters it used, since they differ a little between Python
   versions. The vocabulary is the set of characters in the corpus. The first 90 % is the
   training split, the last 10 % the validation split.
2. The baseline: a *bigram* model sees only the previous character. The best any such model can
   do on the validation split is the conditional entropy H(next | previous) of the validation
   split's own pair counts (it is fitted to the very data it is scored on, so no bigram model
   can do better). A model that beats it clearly must be using more than one character of
   context. The bigram fitted on the training split (add-one smoothing) is printed too.
3. The model, written as in PyTorch: token embedding + position embedding, then ``--layers``
   blocks of ``x = x + attention(LayerNorm(x))`` and ``x = x + MLP(LayerNorm(x))`` (the MLP:
   Linear → GELU → Linear, four times wider inside; GELU's tanh form, as in GPT-2), a final
   LayerNorm and a linear head whose weight *is* the token embedding (weight tying). The
   attention is causal: position t sees positions 0..t only, through
   ``F.scaled_dot_product_attention(q, k, v, is_causal=True)`` with q, k, v from one Linear.
4. Training: mini-batches of random windows of ``--context`` characters; the target is the
   window shifted by one. Cross-entropy, AdamW with weight decay on the Linear weights only
   (no decay for biases, LayerNorm and embeddings), a linear warmup then a cosine decay
   (``SequentialLR``), and gradient clipping at norm 1.0.
5. Every ``--eval-every`` steps: the mean training loss since the last evaluation and the loss on
   a fixed set of validation windows, in a table and in a PNG (with the bigram line).
6. At the end: the loss on the whole validation split, which beats the bigram baseline (with
   the defaults on Python 3.11: 1.66 against 2.30 nats per character, after 600 steps); the
   model is saved with ``mt.save(model.state_dict())``, loaded into a fresh model that gives the
   very same logits, and the reloaded model writes a sample (temperature, top-k). microtensor
   has no ``torch.multinomial`` yet, so the next character is drawn with NumPy from the
   softmax probabilities.

The same ``--seed`` gives the same numbers, run after run. The model is plain PyTorch code:
``benchmarks/bench_gpt.py`` runs this very file with ``import torch as mt`` to compare speeds.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

import microtensor as mt
from microtensor import nn
from microtensor.nn import functional as F

# Modules of the standard library present in every Python from 3.10 to 3.13.
CORPUS_FILES = (
    "argparse.py", "bisect.py", "calendar.py", "collections/__init__.py", "contextlib.py",
    "copy.py", "csv.py", "dataclasses.py", "difflib.py", "fnmatch.py", "functools.py",
    "heapq.py", "json/__init__.py", "json/decoder.py", "json/encoder.py", "numbers.py",
    "operator.py", "pprint.py", "queue.py", "random.py", "shutil.py", "string.py",
    "tempfile.py", "textwrap.py", "threading.py", "tokenize.py", "typing.py",
)


# --- the data -----------------------------------------------------------------------------------

def load_corpus(max_chars: int | None = None) -> tuple[str, list[str]]:
    """The concatenated text of ``CORPUS_FILES`` (those present) and the list of files used."""
    library = Path(os.__file__).parent
    used = [name for name in CORPUS_FILES if (library / name).is_file()]
    text = "\n".join((library / name).read_text(encoding="utf-8") for name in used)
    return (text if max_chars is None else text[:max_chars]), used


class CharTokenizer:
    """Characters ↔ integer ids; the vocabulary is the sorted set of the corpus's characters."""

    def __init__(self, text: str) -> None:
        self.chars = sorted(set(text))
        self.index = {char: i for i, char in enumerate(self.chars)}

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> np.ndarray:
        return np.array([self.index[char] for char in text], dtype=np.int64)

    def decode(self, ids: np.ndarray | list[int]) -> str:
        return "".join(self.chars[int(i)] for i in ids)


def random_windows(data: np.ndarray, context: int, batch_size: int,
                   rng: np.random.Generator) -> tuple[mt.Tensor, mt.Tensor]:
    """``batch_size`` windows starting at random places: inputs and the next characters."""
    starts = rng.integers(0, len(data) - context, size=batch_size)
    offsets = starts[:, None] + np.arange(context)
    return mt.tensor(data[offsets]), mt.tensor(data[offsets + 1])


def consecutive_windows(data: np.ndarray, context: int) -> tuple[np.ndarray, np.ndarray]:
    """The data cut into non-overlapping windows (the remainder at the end is dropped)."""
    count = (len(data) - 1) // context
    inputs = data[:count * context].reshape(count, context)
    targets = data[1:count * context + 1].reshape(count, context)
    return inputs, targets


def bigram_losses(train: np.ndarray, val: np.ndarray, vocab_size: int) -> tuple[float, float]:
    """Cross-entropy (nats per character) of bigram models on the validation split.

    Returns (best possible, fitted on train): the first uses the validation split's own pair
    counts, P(b | a) = n_val(a, b) / n_val(a), whose loss is the conditional entropy
    H(next | previous) — the minimum over all bigram models; the second uses the training
    split's counts with add-one smoothing (what a bigram model could really have learned).
    """
    def pair_counts(ids: np.ndarray) -> np.ndarray:
        counts = np.zeros((vocab_size, vocab_size))
        np.add.at(counts, (ids[:-1], ids[1:]), 1.0)
        return counts

    val_counts = pair_counts(val)
    seen = val_counts > 0
    val_probs = val_counts / val_counts.sum(axis=1, keepdims=True).clip(min=1.0)
    best = -(val_counts[seen] * np.log(val_probs[seen])).sum() / val_counts.sum()
    smoothed = pair_counts(train) + 1.0
    train_probs = smoothed / smoothed.sum(axis=1, keepdims=True)
    fitted = -(val_counts[seen] * np.log(train_probs[seen])).sum() / val_counts.sum()
    return float(best), float(fitted)


# --- the model ----------------------------------------------------------------------------------

@dataclass
class GPTConfig:
    vocab_size: int
    context: int = 64        # the longest sequence the model sees (block size)
    layers: int = 4
    heads: int = 4
    dim: int = 128           # embedding width; each head has dim // heads
    dropout: float = 0.0


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention in which position t attends to positions 0..t only."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        if config.dim % config.heads != 0:
            raise ValueError(f"dim {config.dim} is not divisible by heads {config.heads}")
        self.heads = config.heads
        self.qkv = nn.Linear(config.dim, 3 * config.dim)    # q, k and v from one Linear
        self.proj = nn.Linear(config.dim, config.dim)
        self.dropout = config.dropout

    def forward(self, x: mt.Tensor) -> mt.Tensor:
        batch, length, dim = x.shape
        q, k, v = self.qkv(x).split(dim, dim=2)
        # (B, T, C) -> (B, heads, T, C / heads): each head attends on its own slice
        q, k, v = (t.view(batch, length, self.heads, dim // self.heads).transpose(1, 2)
                   for t in (q, k, v))
        y = F.scaled_dot_product_attention(
            q, k, v, is_causal=True, dropout_p=self.dropout if self.training else 0.0)
        y = y.transpose(1, 2).reshape(batch, length, dim)    # heads side by side again
        return self.proj(y)


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.up = nn.Linear(config.dim, 4 * config.dim)
        self.gelu = nn.GELU(approximate="tanh")
        self.down = nn.Linear(4 * config.dim, config.dim)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: mt.Tensor) -> mt.Tensor:
        return self.dropout(self.down(self.gelu(self.up(x))))


class Block(nn.Module):
    """Pre-LayerNorm transformer block: communicate (attention), then compute (MLP)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(config.dim)
        self.attention = CausalSelfAttention(config)
        self.ln2 = nn.LayerNorm(config.dim)
        self.mlp = MLP(config)

    def forward(self, x: mt.Tensor) -> mt.Tensor:
        x = x + self.attention(self.ln1(x))
        return x + self.mlp(self.ln2(x))


class GPT(nn.Module):
    """Token + position embeddings → blocks → LayerNorm → head (tied to the token embedding)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.dim)
        self.position_embedding = nn.Embedding(config.context, config.dim)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.layers)])
        self.ln_final = nn.LayerNorm(config.dim)
        self.head = nn.Linear(config.dim, config.vocab_size, bias=False)
        self.head.weight = self.token_embedding.weight    # weight tying: one matrix, two uses
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        """GPT-2's initialisation: N(0, 0.02) weights, zero biases."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, ids: mt.Tensor) -> mt.Tensor:
        """(B, T) character ids → (B, T, vocab) scores for the next character."""
        length = ids.shape[1]
        if length > self.config.context:
            raise ValueError(f"sequence of {length} is longer than the context "
                             f"{self.config.context}")
        positions = mt.arange(length)
        x = self.token_embedding(ids) + self.position_embedding(positions)
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_final(x))


def parameter_groups(model: GPT, weight_decay: float) -> list[dict]:
    """Weight decay for the Linear weights only; none for biases, LayerNorm and embeddings."""
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    decayed = {id(m.weight) for m in model.modules()
               if isinstance(m, nn.Linear) and id(m.weight) not in embeddings}
    params = list(model.parameters())
    return [
        {"params": [p for p in params if id(p) in decayed], "weight_decay": weight_decay},
        {"params": [p for p in params if id(p) not in decayed], "weight_decay": 0.0},
    ]


def warmup_then_cosine(optimizer, warmup: int, total: int):
    """The learning rate rises linearly for ``warmup`` steps, then follows a cosine to 10 %."""
    warmup = max(1, min(warmup, total - 1))
    base_lr = optimizer.param_groups[0]["lr"]
    rise = mt.optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0 / warmup, end_factor=1.0,
                                          total_iters=warmup)
    decay = mt.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup,
                                                    eta_min=0.1 * base_lr)
    return mt.optim.lr_scheduler.SequentialLR(optimizer, [rise, decay], milestones=[warmup])


# --- evaluation and sampling --------------------------------------------------------------------

def mean_loss(model: GPT, inputs: np.ndarray, targets: np.ndarray, batch_size: int) -> float:
    """Mean cross-entropy (nats per character) over the given windows, without a graph."""
    model.eval()
    total = 0.0
    with mt.no_grad():
        for start in range(0, len(inputs), batch_size):
            logits = model(mt.tensor(inputs[start:start + batch_size]))
            target = mt.tensor(targets[start:start + batch_size])
            total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1),
                                     reduction="sum").item()
    model.train()
    return total / inputs.size


def sample(model: GPT, prompt_ids: np.ndarray, length: int, temperature: float, top_k: int | None,
           rng: np.random.Generator) -> np.ndarray:
    """Extend ``prompt_ids`` by ``length`` characters, one at a time.

    Each step: the scores of the last position (the window cropped to the context), divided by
    the temperature (< 1 sharpens, > 1 flattens), all but the ``top_k`` best set to -inf,
    softmax, and one draw from those probabilities (with NumPy: microtensor has no multinomial).
    """
    ids = list(prompt_ids)
    model.eval()
    with mt.no_grad():
        for _ in range(length):
            window = mt.tensor(np.array(ids[-model.config.context:])[None, :])
            scores = model(window)[0, -1] / temperature
            if top_k is not None and top_k < scores.shape[0]:
                kth_best = scores.topk(top_k).values[-1]
                scores = scores.masked_fill(scores < kth_best, -math.inf)
            probs = F.softmax(scores.double(), dim=-1).numpy()
            ids.append(int(rng.choice(len(probs), p=probs / probs.sum())))
    model.train()
    return np.array(ids[len(prompt_ids):], dtype=np.int64)


# --- the lesson ---------------------------------------------------------------------------------

def progress_bar(total: int, enabled: bool):
    """A tqdm bar (the ``examples`` extra), or a silent stand-in; hidden when stderr is not a
    terminal (``disable=None``), so redirected output does not fill with bar updates."""
    try:
        from tqdm import tqdm
    except ImportError:
        enabled = False
    if not enabled:
        return _Silent()
    return tqdm(total=total, desc="training", leave=False, file=sys.stderr, dynamic_ncols=True,
                disable=None)


class _Silent:
    def update(self, n: int) -> None: ...
    def set_postfix(self, **values: str) -> None: ...
    def close(self) -> None: ...


def plot_curves(history: dict, bigram: float, path: Path, title: str) -> bool:
    """Training and validation loss per evaluation, with the bigram baseline as a line."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
    ax.plot(history["step"], history["train_loss"], marker="o", ms=3,
            label="training loss (mean since the previous point)")
    ax.plot(history["step"], history["val_loss"], marker="s", ms=3, label="validation loss")
    ax.axhline(bigram, color="gray", linestyle="--",
               label=f"best bigram on validation ({bigram:.3f})")
    ax.set_xlabel("training step")
    ax.set_ylabel("cross-entropy (nats per character)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


FAST = dict(layers=1, heads=2, dim=32, context=32, batch_size=16, steps=60, warmup=10,
            eval_every=20, eval_windows=32, max_chars=60_000, sample_length=80)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train a small character-level GPT on Python's "
                                                 "standard library sources.")
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--context", type=int, default=64, help="characters per window")
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--weight-decay", type=float, default=0.1)
    parser.add_argument("--warmup", type=int, default=50, help="steps of linear warmup")
    parser.add_argument("--eval-every", type=int, default=50)
    parser.add_argument("--eval-windows", type=int, default=256,
                        help="validation windows scored at each evaluation")
    parser.add_argument("--max-chars", type=int, default=None, help="cut the corpus")
    parser.add_argument("--sample-length", type=int, default=400)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--top-k", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fast", action="store_true", help="a tiny model (seconds)")
    parser.add_argument("--out", type=Path, default=Path("runs/gpt"))
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    if args.fast:
        for name, value in FAST.items():
            if getattr(args, name) == parser.get_default(name):
                setattr(args, name, value)
    return args


def prepare_data(args: argparse.Namespace) -> dict:
    text, files = load_corpus(args.max_chars)
    tokenizer = CharTokenizer(text)
    data = tokenizer.encode(text)
    split = int(0.9 * len(data))
    train, val = data[:split], data[split:]
    val_inputs, val_targets = consecutive_windows(val, args.context)
    order = np.random.default_rng(args.seed).permutation(len(val_inputs))
    probe = np.sort(order[:args.eval_windows])  # a fixed sample of windows, for every evaluation
    return dict(text=text, files=files, tokenizer=tokenizer, train=train, val=val,
                val_inputs=val_inputs, val_targets=val_targets,
                probe_inputs=val_inputs[probe], probe_targets=val_targets[probe])


def train(model: GPT, data: dict, args: argparse.Namespace) -> dict:
    """The training loop; returns the history of the evaluations."""
    optimizer = mt.optim.AdamW(parameter_groups(model, args.weight_decay), lr=args.lr,
                               betas=(0.9, 0.95))
    scheduler = warmup_then_cosine(optimizer, args.warmup, args.steps)
    rng = np.random.default_rng(args.seed)
    history: dict[str, list[float]] = {"step": [], "train_loss": [], "val_loss": [], "lr": []}
    running, count = 0.0, 0
    progress = progress_bar(args.steps, not args.no_progress)
    print(f"{'step':>6} {'train loss':>10} {'val loss':>9} {'lr':>9} {'seconds':>8}")
    started = time.perf_counter()
    for step in range(1, args.steps + 1):
        inputs, targets = random_windows(data["train"], args.context, args.batch_size, rng)
        logits = model(inputs)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        lr = optimizer.param_groups[0]["lr"]
        optimizer.step()
        scheduler.step()
        running, count = running + loss.item(), count + 1
        progress.update(1)
        progress.set_postfix(loss=f"{loss.item():.3f}")
        if step % args.eval_every == 0 or step == args.steps:
            val_loss = mean_loss(model, data["probe_inputs"], data["probe_targets"], 64)
            for key, value in zip(history, (step, running / count, val_loss, lr)):
                history[key].append(value)
            print(f"{step:6d} {running / count:10.4f} {val_loss:9.4f} {lr:9.2e} "
                  f"{time.perf_counter() - started:8.1f}", flush=True)
            running, count = 0.0, 0
    progress.close()
    return history


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    started = time.perf_counter()
    mt.manual_seed(args.seed)
    data = prepare_data(args)
    tokenizer = data["tokenizer"]
    config = GPTConfig(vocab_size=tokenizer.vocab_size, context=args.context, layers=args.layers,
                       heads=args.heads, dim=args.dim, dropout=args.dropout)
    model = GPT(config)
    args.out.mkdir(parents=True, exist_ok=True)
    best_bigram, fitted_bigram = bigram_losses(data["train"], data["val"], tokenizer.vocab_size)
    print(f"corpus: {len(data['files'])} standard-library files of Python "
          f"{sys.version.split()[0]}, {len(data['text']):,} characters, vocabulary "
          f"{tokenizer.vocab_size}; {len(data['train']):,} train / {len(data['val']):,} "
          f"validation")
    print(f"model: {config.layers} layer{'s' if config.layers != 1 else ''}, {config.heads} "
          f"heads, {config.dim} dims, context {config.context}; "
          f"{sum(p.numel() for p in model.parameters()):,} parameters")
    print(f"bigram baseline on validation: best possible {best_bigram:.4f}, "
          f"fitted on train {fitted_bigram:.4f} nats/char "
          f"(uniform guess: {math.log(tokenizer.vocab_size):.4f})")

    training_started = time.perf_counter()
    history = train(model, data, args)
    train_seconds = time.perf_counter() - training_started
    val_loss = mean_loss(model, data["val_inputs"], data["val_targets"], 64)
    print(f"validation loss (whole split) {val_loss:.4f} vs best bigram {best_bigram:.4f}: "
          f"{'beats' if val_loss < best_bigram else 'does not beat'} it by "
          f"{best_bigram - val_loss:.4f} nats/char")

    path = args.out / "gpt.npz"
    mt.save(model.state_dict(), path)
    reloaded = GPT(config)
    reloaded.load_state_dict(mt.load(path))
    probe = mt.tensor(data["val_inputs"][:4])
    model.eval()
    reloaded.eval()
    with mt.no_grad():
        same_logits = bool(np.array_equal(model(probe).numpy(), reloaded(probe).numpy()))
    print(f"saved to {path}; the reloaded model gives the same logits: {same_logits}")

    prompt = "def "
    generated = sample(reloaded, tokenizer.encode(prompt), args.sample_length, args.temperature,
                       args.top_k, np.random.default_rng(args.seed))
    sample_text = prompt + tokenizer.decode(generated)
    print(f"sample (temperature {args.temperature}, top-k {args.top_k}):\n{sample_text}")
    elapsed = time.perf_counter() - started
    plotted = plot_curves(history, best_bigram, args.out / "curves.png",
                          f"char-level GPT on the standard library ({config.layers} "
                          f"layer{'s' if config.layers != 1 else ''}, {config.dim} dims)")
    if plotted:
        print(f"saved the curves to {args.out / 'curves.png'}")
    print(f"done in {elapsed:.1f} s (training {train_seconds:.1f} s)")
    return dict(history=history, val_loss=val_loss, best_bigram=best_bigram,
                fitted_bigram=fitted_bigram, same_logits=same_logits, sample=sample_text,
                prompt=prompt, corpus_chars=set(data["text"]), files=data["files"],
                config=asdict(config), model=reloaded, tokenizer=tokenizer, seconds=elapsed,
                plotted=plotted)


if __name__ == "__main__":
    main()
