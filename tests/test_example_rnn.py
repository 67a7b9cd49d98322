"""The recurrent lesson (examples/rnn_digits.py): its claims, checked on the ``--fast`` run."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import microtensor as mt

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
sys.path.insert(0, str(EXAMPLES))
import rnn_digits  # noqa: E402

PLAIN, DEFAULT_LSTM = "plain RNN (tanh)", "LSTM, PyTorch's init"
LESSON_LSTM = "LSTM, forget bias 1 (trained here)"


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    return rnn_digits.main(["--fast", "--out", str(tmp_path_factory.mktemp("rnn"))])


def test_every_model_trains_for_the_requested_epochs_and_beats_chance(run) -> None:
    results = run["results"]
    assert list(results) == ["MLP", "GRU", "LSTM"]
    for name, result in results.items():
        history = result["history"]
        assert len(history["train_loss"]) == rnn_digits.FAST["epochs"], name
        assert history["train_loss"][-1] < history["train_loss"][0], name
        assert result["test_acc"] > 0.5, name  # chance is 0.1 (ten balanced classes)
        assert 1 <= result["best_epoch"] <= rnn_digits.FAST["epochs"]


def test_the_split_is_train_cnn_s_seeded_70_15_15_split(run) -> None:
    train, val, test = mt.datasets.load_digits().split((0.7, 0.15, 0.15), seed=0)
    assert (len(train), len(val), len(test)) == (1258, 270, 269)


def test_the_gradient_reaching_the_first_row_vanishes_in_the_plain_rnn(run) -> None:
    flows = run["flows"]
    for name, flow in flows.items():
        assert flow.shape == (rnn_digits.ROWS,) and flow[-1] == 1.0, name
        assert np.all(np.diff(flow) > 0), name  # less gradient the earlier the row
    assert flows[PLAIN][0] < 0.05


def test_the_lessons_lstm_gets_more_gradient_to_the_early_rows_than_the_plain_rnn(run) -> None:
    flows = run["flows"]
    early = slice(0, rnn_digits.ROWS // 2)  # the first four rows
    assert np.all(flows[LESSON_LSTM][early] > flows[PLAIN][early])
    assert flows[LESSON_LSTM][0] > 5 * flows[PLAIN][0]  # about ten times at both sizes
    assert flows[LESSON_LSTM][0] > 5 * flows[DEFAULT_LSTM][0]  # the open forget gate does it
    assert flows[DEFAULT_LSTM][0] < 1.5 * flows[PLAIN][0]  # gates alone: hardly better


def test_the_mlp_learns_fastest(run) -> None:
    first_epoch = {name: result["history"]["val_acc"][0] for name, result in run["results"].items()}
    assert first_epoch["MLP"] > max(first_epoch["GRU"], first_epoch["LSTM"])


def test_the_same_seed_gives_the_same_numbers(run, tmp_path) -> None:
    again = rnn_digits.main(["--fast", "--out", str(tmp_path)])
    for name, result in run["results"].items():
        assert again["results"][name]["history"] == result["history"], name
        assert again["results"][name]["test_acc"] == result["test_acc"], name
    for name, flow in run["flows"].items():
        np.testing.assert_array_equal(again["flows"][name], flow)


def test_the_default_sized_lstm_gets_more_gradient_to_the_first_row_than_the_plain_rnn() -> None:
    """The docstring's figures at the default size (hidden 64): about 2 %, 2.5 % and 20 %."""
    images, labels = mt.datasets.load_digits().split((0.7, 0.15, 0.15), seed=0)[0].tensors
    flows = rnn_digits.gradient_flow(64, images, labels, seed=0)
    first = {name: flow[0] for name, flow in flows.items()}
    assert 0.01 < first[PLAIN] < 0.03
    assert first[PLAIN] < first[DEFAULT_LSTM] < 0.04
    assert 0.15 < first[LESSON_LSTM] < 0.3


def test_the_forget_bias_is_set_in_pytorch_s_gate_order() -> None:
    model = rnn_digits.SequenceClassifier("LSTM", 5, forget_bias=1.0)
    total = (model.rnn.bias_ih_l0 + model.rnn.bias_hh_l0).detach().numpy()
    np.testing.assert_array_equal(total[5:10], np.ones(5, np.float32))
    assert not np.all(total[:5] == 1) and not np.all(total[10:] == 1)


def test_the_classifier_reads_the_last_hidden_state() -> None:
    mt.manual_seed(0)
    model = rnn_digits.SequenceClassifier("GRU", 6)
    images = mt.randn(3, 1, 8, 8)
    _, h_n = model.rnn(images.reshape(3, 8, 8))
    np.testing.assert_allclose(model(images).detach().numpy(),
                               model.head(h_n[0]).detach().numpy(), rtol=1e-6)


def test_both_pngs_are_written(run) -> None:
    pytest.importorskip("matplotlib")
    assert run["plotted"]
    for name in ("gradient_flow.png", "curves.png"):
        png = (run["out"] / name).read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000, name


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("length", [1, 5])
def test_the_fast_lstm_loop_the_lesson_runs_on_agrees_with_the_general_steps(length: int,
                                                                           reverse: bool) -> None:
    """ops/recurrent.py runs a plain LSTM on preallocated buffers; a ``batch_sizes`` of full
    rows takes the general step functions instead: same outputs, same gradients."""
    from microtensor.ops import recurrent

    rng = np.random.default_rng(0)
    batch, hidden = 3, 4
    arrays = (rng.standard_normal((length, batch, 4 * hidden)) * 2,
              rng.standard_normal((batch, 2 * hidden)), rng.standard_normal((hidden, 4 * hidden)))
    weights = mt.tensor(rng.standard_normal((length + 1, batch, 2 * hidden)))
    results = []
    for batch_sizes in (None, np.full(length, batch)):
        inputs = [mt.tensor(a, requires_grad=True) for a in arrays]
        out = recurrent.lstm_layer(*inputs, batch_sizes=batch_sizes, reverse=reverse)
        (out * weights).sum().backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in inputs])
    for fast, general in zip(*results):
        np.testing.assert_allclose(fast, general, rtol=1e-12, atol=1e-12)
