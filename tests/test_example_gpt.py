"""The GPT lesson (examples/gpt.py): its claims, checked on the tiny ``--fast`` configuration."""

from __future__ import annotations

import math
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))
import gpt  # noqa: E402


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("gpt")
    result = gpt.main(["--fast", "--no-progress", "--out", str(out)])
    result["out"] = out
    return result


def test_training_lowers_the_loss_below_the_uniform_guess(run) -> None:
    history = run["history"]
    assert history["step"][-1] == gpt.FAST["steps"]
    assert len(history["train_loss"]) == len(history["val_loss"]) == 3
    assert history["train_loss"][-1] < history["train_loss"][0] - 0.5
    assert history["val_loss"][-1] < history["val_loss"][0]
    uniform = math.log(run["tokenizer"].vocab_size)
    assert run["val_loss"] < uniform - 1.0


def test_the_reloaded_model_gives_the_same_logits(run) -> None:
    assert run["same_logits"]
    fresh = gpt.GPT(gpt.GPTConfig(**run["config"]))
    fresh.load_state_dict(mt.load(run["out"] / "gpt.npz"))
    ids = mt.tensor(np.arange(run["config"]["context"])[None, :] % run["config"]["vocab_size"])
    with mt.no_grad():
        np.testing.assert_array_equal(fresh(ids).numpy(), run["model"](ids).numpy())


def test_the_curves_png_is_written(run) -> None:
    pytest.importorskip("matplotlib")
    assert run["plotted"]
    png = (run["out"] / "curves.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_the_sample_has_the_requested_length_and_only_corpus_characters(run) -> None:
    sample = run["sample"]
    assert sample.startswith(run["prompt"])
    assert len(sample) == len(run["prompt"]) + gpt.FAST["sample_length"]
    assert set(sample) <= run["corpus_chars"]


def test_attention_is_causal_a_future_token_does_not_change_earlier_logits(run) -> None:
    model, context = run["model"], run["config"]["context"]
    ids = np.random.default_rng(1).integers(0, run["config"]["vocab_size"], (2, context))
    changed = ids.copy()
    changed[:, 10] = (changed[:, 10] + 1) % run["config"]["vocab_size"]
    model.eval()
    with mt.no_grad():
        before, after = model(mt.tensor(ids)).numpy(), model(mt.tensor(changed)).numpy()
    np.testing.assert_allclose(after[:, :10], before[:, :10], rtol=1e-6, atol=1e-6)
    assert np.abs(after[:, 10:] - before[:, 10:]).max(axis=-1).min() > 0


def test_the_head_is_tied_to_the_token_embedding_and_counted_once() -> None:
    model = gpt.GPT(gpt.GPTConfig(vocab_size=11, context=8, layers=2, heads=2, dim=8))
    assert model.head.weight is model.token_embedding.weight
    names = [name for name, _ in model.named_parameters()]
    assert "token_embedding.weight" in names and "head.weight" not in names
    # per block: qkv 8*24+24, proj 8*8+8, mlp 8*32+32 + 32*8+8, two LayerNorms 2*(8+8)
    per_block = (8 * 24 + 24) + (8 * 8 + 8) + (8 * 32 + 32) + (32 * 8 + 8) + 32
    expected = 11 * 8 + 8 * 8 + 2 * per_block + 16
    assert sum(p.numel() for p in model.parameters()) == expected


def test_weight_decay_only_on_linear_weights() -> None:
    model = gpt.GPT(gpt.GPTConfig(vocab_size=11, context=8, layers=2, heads=2, dim=8))
    decayed, plain = gpt.parameter_groups(model, 0.1)
    assert decayed["weight_decay"] == 0.1 and plain["weight_decay"] == 0.0
    assert len(decayed["params"]) == 2 * 4  # qkv, proj, up, down in each block
    assert all(p.ndim == 2 for p in decayed["params"])
    assert all(p is not model.token_embedding.weight for p in decayed["params"])
    assert len(decayed["params"]) + len(plain["params"]) == len(list(model.parameters()))


def test_the_schedule_warms_up_linearly_then_decays_by_a_cosine() -> None:
    param = mt.nn.Parameter(mt.zeros(1))
    optimizer = mt.optim.AdamW([param], lr=1.0)
    scheduler = gpt.warmup_then_cosine(optimizer, warmup=4, total=14)
    rates = []
    for _ in range(14):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    # LinearLR from 1/4 to 1 over 4 steps, then CosineAnnealingLR(T_max=10, eta_min=0.1)
    cosine_first_step = 0.1 + 0.9 * (1 + math.cos(math.pi / 10)) / 2
    np.testing.assert_allclose(rates[:6], [0.25, 0.4375, 0.625, 0.8125, 1.0, cosine_first_step],
                               rtol=1e-12)
    assert all(a > b for a, b in zip(rates[4:], rates[5:]))
    assert rates[-1] > 0.1


def test_bigram_baselines_on_a_text_we_can_count_by_hand() -> None:
    # validation "abab": after a always b, after b always a -> the best bigram loses nothing
    best, fitted = gpt.bigram_losses(np.array([0, 1, 0, 0]), np.array([0, 1, 0, 1]), 2)
    assert best == pytest.approx(0.0)
    # training pairs a->b once, b->a once, a->a once; add-one: P(b|a) = 2/4, P(a|b) = 2/3
    expected = -(2 * math.log(2 / 4) + math.log(2 / 3)) / 3
    assert fitted == pytest.approx(expected, rel=1e-12)
    assert best <= fitted


def test_run_as_a_script(tmp_path) -> None:
    completed = subprocess.run(
        [sys.executable, str(EXAMPLES / "gpt.py"), "--fast", "--steps", "2", "--eval-every", "1",
         "--sample-length", "5", "--no-progress", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=True)
    assert "the reloaded model gives the same logits: True" in completed.stdout
    assert (tmp_path / "gpt.npz").is_file()


def test_same_seed_gives_the_same_numbers(tmp_path) -> None:
    flags = ["--fast", "--steps", "4", "--eval-every", "2", "--sample-length", "8",
             "--no-progress"]
    runs = [gpt.main([*flags, "--out", str(tmp_path / str(k))]) for k in range(2)]
    assert runs[0]["history"] == runs[1]["history"]
    assert runs[0]["sample"] == runs[1]["sample"]
    other = gpt.main([*flags, "--seed", "1", "--out", str(tmp_path / "other")])
    assert other["history"]["train_loss"] != runs[0]["history"]["train_loss"]


def test_the_lesson_is_pytorch_code_same_logits_and_gradients_under_torch() -> None:
    torch = pytest.importorskip("torch")
    source = (EXAMPLES / "gpt.py").read_text(encoding="utf-8")
    for ours, theirs in (("import microtensor as mt", "import torch as mt"),
                         ("from microtensor import nn", "from torch import nn"),
                         ("from microtensor.nn import functional as F",
                          "from torch.nn import functional as F")):
        source = source.replace(ours, theirs)
    torch_gpt = types.ModuleType("gpt_under_torch")
    sys.modules[torch_gpt.__name__] = torch_gpt  # (dataclasses look their module up by name)
    try:
        exec(compile(source, str(EXAMPLES / "gpt.py"), "exec"), torch_gpt.__dict__)
    finally:
        del sys.modules[torch_gpt.__name__]
    config = dict(vocab_size=13, context=8, layers=2, heads=2, dim=8)
    ours = gpt.GPT(gpt.GPTConfig(**config)).double()
    theirs = torch_gpt.GPT(torch_gpt.GPTConfig(**config)).double()
    with torch.no_grad():
        for name, param in theirs.named_parameters():
            param.copy_(torch.from_numpy(dict(ours.named_parameters())[name].detach().numpy()))
    ids = np.random.default_rng(0).integers(0, 13, (3, 8))
    our_loss = ours(mt.tensor(ids)).logsumexp(-1).sum()
    their_loss = theirs(torch.from_numpy(ids)).logsumexp(-1).sum()
    our_loss.backward()
    their_loss.backward()
    np.testing.assert_allclose(our_loss.item(), their_loss.item(), rtol=1e-12)
    for name, param in theirs.named_parameters():
        np.testing.assert_allclose(dict(ours.named_parameters())[name].grad.numpy(),
                                   param.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=name)
