"""Recurrent layers (``nn.RNN``, ``nn.LSTM``, ``nn.GRU``, the cells) and ``nn.utils.rnn``.

Parity with PyTorch lives in the golden cases (``tests/golden/cases_rnn.py``); here: gradient
checks of ``RecurrentLayerOp`` against a plain NumPy loop, shapes for every option combination,
PyTorch's state-dict keys and reprs (recorded from PyTorch 2.13), errors, packed batches checked
against running each sequence alone, and the cells checked against one step of the layers.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest

import microtensor as mt
from microtensor import nn
from microtensor.nn.utils import rnn as rnn_utils
from microtensor.ops import recurrent
from tests.gradcheck_cases import Case

# --------------------------------------------------------------------------- a NumPy reference


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _np_step(cell: str, gates_x: np.ndarray, state: np.ndarray, *weights: np.ndarray
             ) -> np.ndarray:
    """One step, written out plainly from PyTorch's documented formulas."""
    w_hh_t = weights[0]
    if cell in ("rnn_tanh", "rnn_relu"):
        pre = gates_x + state @ w_hh_t
        return np.tanh(pre) if cell == "rnn_tanh" else np.maximum(pre, 0)
    if cell == "lstm":
        hidden = w_hh_t.shape[1] // 4
        out_size = state.shape[1] - hidden
        h, c = state[:, :out_size], state[:, out_size:]
        a = gates_x + h @ w_hh_t
        i, f = _sigmoid(a[:, :hidden]), _sigmoid(a[:, hidden:2 * hidden])
        g, o = np.tanh(a[:, 2 * hidden:3 * hidden]), _sigmoid(a[:, 3 * hidden:])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        if len(weights) > 1:
            h_new = h_new @ weights[1]
        return np.concatenate([h_new, c_new], 1)
    hidden = state.shape[1]
    gh = state @ w_hh_t + (weights[1] if len(weights) > 1 else 0)
    r = _sigmoid(gates_x[:, :hidden] + gh[:, :hidden])
    z = _sigmoid(gates_x[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
    n = np.tanh(gates_x[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
    return (1 - z) * n + z * state


def _np_layer(cell: str, gates_x: np.ndarray, state: np.ndarray, *weights: np.ndarray,
              batch_sizes: list[int] | None = None, reverse: bool = False) -> np.ndarray:
    length, batch = gates_x.shape[:2]
    out = np.zeros((length + 1, batch, state.shape[1]))
    for t in reversed(range(length)) if reverse else range(length):
        rows = batch if batch_sizes is None else batch_sizes[t]
        new = _np_step(cell, gates_x[t, :rows], state[:rows], *weights)
        state = np.concatenate([new, state[rows:]], 0)
        out[t, :rows] = new
    out[length] = state
    return out


def _np_module(mode: str, x: np.ndarray, h0: np.ndarray, w_ih: np.ndarray, w_hh: np.ndarray,
               b_ih: np.ndarray, b_hh: np.ndarray, c0: np.ndarray | None = None) -> np.ndarray:
    """The output of a one-layer module, from the NumPy layer."""
    if mode == "gru":
        steps = _np_layer("gru", x @ w_ih.T + b_ih, h0[0], w_hh.T, b_hh)
    else:
        state = h0[0] if c0 is None else np.concatenate([h0[0], c0[0]], 1)
        steps = _np_layer(mode, x @ w_ih.T + b_ih + b_hh, state, w_hh.T)
    return steps[:-1, :, :h0.shape[-1]]


# --------------------------------------------------------------------------- gradient checks


def _layer_case(name: str, cell: str, shapes: list[Any], **options: Any) -> Case:
    functions = {"rnn_tanh": recurrent.rnn_layer, "rnn_relu": recurrent.rnn_layer,
                 "lstm": recurrent.lstm_layer, "gru": recurrent.gru_layer}

    def fn(gates_x: mt.Tensor, state: mt.Tensor, *weights: mt.Tensor) -> mt.Tensor:
        if cell.startswith("rnn"):
            return recurrent.rnn_layer(gates_x, state, weights[0], cell[4:], **options)
        return functions[cell](gates_x, state, *weights, **options)

    return Case(name, fn, shapes,
                reference=lambda *arrays: _np_layer(cell, *arrays, **options))


def _with_parameters(module: nn.Module, weights: dict[str, mt.Tensor]) -> nn.Module:
    """``module`` computing with the given tensors in place of its parameters."""
    module._parameters.update(weights)
    return module


def _module_case(kind: str) -> Case:
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    states = 2 if kind == "LSTM" else 1

    def fn(x: mt.Tensor, *rest: mt.Tensor) -> mt.Tensor:
        module = getattr(nn, kind)(2, 3, dtype=mt.float64)
        hx = rest[0] if states == 1 else (rest[0], rest[1])
        return _with_parameters(module, dict(zip(names, rest[states:])))(x, hx)[0]

    def reference(x: np.ndarray, *rest: np.ndarray) -> np.ndarray:
        return _np_module(kind.lower() if kind != "RNN" else "rnn_tanh", x, rest[0],
                          *rest[states:], c0=rest[1] if states == 2 else None)

    shapes = [(3, 2, 2)] + [(1, 2, 3)] * states + [(gates * 3, 2), (gates * 3, 3),
                                                   (gates * 3,), (gates * 3,)]
    return Case(f"rnn.module_{kind}", fn, shapes, reference=reference)


GRADCHECK_CASES = [
    _layer_case("rnn.layer_tanh", "rnn_tanh", [(3, 2, 3), (2, 3), (3, 3)]),
    _layer_case("rnn.layer_relu_reverse", "rnn_relu", [(3, 2, 3), (2, 3), (3, 3)],
                reverse=True),
    _layer_case("rnn.layer_lstm", "lstm", [(3, 2, 8), (2, 4), (2, 8)]),
    _layer_case("rnn.layer_lstm_packed_reverse", "lstm", [(3, 3, 8), (3, 4), (2, 8)],
                batch_sizes=np.array([3, 2, 1]), reverse=True),
    _layer_case("rnn.layer_lstm_projection", "lstm", [(3, 2, 12), (2, 2 + 3), (2, 12), (3, 2)]),
    _layer_case("rnn.layer_gru", "gru", [(3, 2, 6), (2, 2), (2, 6), (6,)]),
    _layer_case("rnn.layer_gru_no_bias_packed", "gru", [(3, 3, 6), (3, 2), (2, 6)],
                batch_sizes=np.array([3, 3, 1])),
    _module_case("RNN"),
    _module_case("LSTM"),
    _module_case("GRU"),
]


def test_gradcheck_of_a_two_layer_bidirectional_lstm_wrt_input_states_and_weights() -> None:
    module = nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=mt.float64)
    names = [name for name, _ in module.named_parameters()]
    rng = np.random.default_rng(0)
    weights = [mt.tensor(rng.standard_normal(tuple(p.shape)), requires_grad=True)
               for p in module.parameters()]
    x = mt.tensor(rng.standard_normal((3, 2, 2)), requires_grad=True)
    h0 = mt.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)
    c0 = mt.tensor(rng.standard_normal((4, 2, 3)), requires_grad=True)

    def fn(x: mt.Tensor, h0: mt.Tensor, c0: mt.Tensor, *ws: mt.Tensor) -> tuple[mt.Tensor, ...]:
        output, (h_n, c_n) = _with_parameters(module, dict(zip(names, ws)))(x, (h0, c0))
        return output, h_n, c_n

    assert mt.autograd.gradcheck(fn, (x, h0, c0, *weights))


# --------------------------------------------------------------------------- shapes


def _expected_shapes(mode: str, layers: int, directions: int, batch_first: bool,
                     batched: bool, proj: int) -> tuple[tuple[int, ...], ...]:
    length, batch, hidden = 4, 2, 5
    out_size = proj or hidden
    output = ((batch, length) if batch_first else (length, batch)) if batched else (length,)
    state = (layers * directions, batch) if batched else (layers * directions,)
    shapes = ((*output, directions * out_size), (*state, out_size))
    return shapes + (((*state, hidden),) if mode == "LSTM" else ())


OPTION_GRID = list(itertools.product(
    ["RNN", "LSTM", "GRU"], [1, 2], [False, True], [False, True], [False, True], [False, True]))


@pytest.mark.parametrize("mode,layers,bidirectional,batch_first,batched,with_state",
                         OPTION_GRID)
def test_output_and_state_shapes(mode: str, layers: int, bidirectional: bool, batch_first: bool,
                                 batched: bool, with_state: bool) -> None:
    for proj in ([0, 2] if mode == "LSTM" else [0]):
        options = dict(proj_size=proj) if proj else {}
        module = getattr(nn, mode)(3, 5, num_layers=layers, bidirectional=bidirectional,
                                   batch_first=batch_first, **options)
        directions = 2 if bidirectional else 1
        expected = _expected_shapes(mode, layers, directions, batch_first, batched, proj)
        sizes = ((2, 4) if batch_first else (4, 2)) if batched else (4,)
        x = mt.randn(*sizes, 3)
        hx = None
        if with_state:
            states = [mt.randn(*shape) for shape in expected[1:]]
            hx = states[0] if mode != "LSTM" else tuple(states)
        output, state = module(x, hx)
        states = state if mode == "LSTM" else (state,)
        assert tuple(output.shape) == expected[0]
        assert tuple(tuple(s.shape) for s in states) == expected[1:]
        assert output.dtype == mt.float32


def test_the_last_output_is_the_final_hidden_state() -> None:
    for mode in ("RNN", "LSTM", "GRU"):
        module = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=True)
        output, state = module(mt.randn(5, 2, 3))
        h_n = state[0] if mode == "LSTM" else state
        np.testing.assert_allclose(output[-1, :, :4].detach().numpy(), h_n[2].detach().numpy())
        np.testing.assert_allclose(output[0, :, 4:].detach().numpy(), h_n[3].detach().numpy())


def test_batch_first_and_unbatched_agree_with_the_default_layout() -> None:
    for mode in ("RNN", "LSTM", "GRU"):
        module = getattr(nn, mode)(3, 4, num_layers=2, bidirectional=True)
        x = mt.randn(5, 2, 3)
        output, _ = module(x)
        module.batch_first = True
        first, _ = module(x.transpose(0, 1))
        np.testing.assert_allclose(first.transpose(0, 1).detach().numpy(),
                                   output.detach().numpy(), rtol=1e-6)
        module.batch_first = False
        alone, _ = module(x[:, 1])
        np.testing.assert_allclose(alone.detach().numpy(), output[:, 1].detach().numpy(),
                                   rtol=1e-5, atol=1e-6)


# --------------------------------------------------------------------------- parameters


STATE_DICT_KEYS = {  # recorded from PyTorch 2.13
    ("LSTM", 2, True, True, 2): [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_hr_l0",
        "weight_ih_l0_reverse", "weight_hh_l0_reverse", "bias_ih_l0_reverse",
        "bias_hh_l0_reverse", "weight_hr_l0_reverse", "weight_ih_l1", "weight_hh_l1",
        "bias_ih_l1", "bias_hh_l1", "weight_hr_l1", "weight_ih_l1_reverse",
        "weight_hh_l1_reverse", "bias_ih_l1_reverse", "bias_hh_l1_reverse",
        "weight_hr_l1_reverse"],
    ("LSTM", 2, False, True, 0): [
        "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0", "weight_ih_l1",
        "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"],
    ("GRU", 1, True, False, 0): [
        "weight_ih_l0", "weight_hh_l0", "weight_ih_l0_reverse", "weight_hh_l0_reverse"],
    ("RNN", 1, False, True, 0): ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"],
}


@pytest.mark.parametrize("key", list(STATE_DICT_KEYS))
def test_state_dict_keys_are_pytorchs(key: tuple[Any, ...]) -> None:
    mode, layers, bidirectional, bias, proj = key
    options = dict(proj_size=proj) if proj else {}
    module = getattr(nn, mode)(3, 5, num_layers=layers, bidirectional=bidirectional, bias=bias,
                               **options)
    assert list(module.state_dict()) == STATE_DICT_KEYS[key]
    assert module._flat_weights_names == STATE_DICT_KEYS[key]


def test_cell_state_dict_keys_and_parameter_shapes() -> None:
    for kind, gates in (("RNNCell", 1), ("LSTMCell", 4), ("GRUCell", 3)):
        cell = getattr(nn, kind)(3, 5)
        assert list(cell.state_dict()) == ["weight_ih", "weight_hh", "bias_ih", "bias_hh"]
        assert [tuple(p.shape) for p in cell.parameters()] == [
            (gates * 5, 3), (gates * 5, 5), (gates * 5,), (gates * 5,)]
        assert list(getattr(nn, kind)(3, 5, bias=False).state_dict()) == [
            "weight_ih", "weight_hh"]


def test_parameter_shapes_with_projection_and_layers() -> None:
    module = nn.LSTM(3, 5, num_layers=2, bidirectional=True, proj_size=2)
    shapes = {name: tuple(p.shape) for name, p in module.named_parameters()}
    assert shapes["weight_ih_l0"] == (20, 3)
    assert shapes["weight_hh_l0"] == (20, 2)
    assert shapes["weight_hr_l0"] == (2, 5)
    assert shapes["weight_ih_l1"] == (20, 4)  # 2 directions × proj_size
    assert len(module.all_weights) == 4 and len(module.all_weights[0]) == 5


def test_initialisation_is_uniform_within_one_over_root_hidden() -> None:
    mt.manual_seed(0)
    for module in (nn.LSTM(3, 16, num_layers=2), nn.GRUCell(3, 16), nn.RNN(3, 16)):
        values = np.concatenate([p.detach().numpy().ravel() for p in module.parameters()])
        assert np.abs(values).max() <= 0.25
        assert np.abs(values).max() > 0.24  # spread over the whole interval
        assert abs(values.mean()) < 0.02


def test_flatten_parameters_is_accepted_and_changes_nothing() -> None:
    module = nn.LSTM(3, 4)
    before = {k: v.numpy().copy() for k, v in module.state_dict().items()}
    assert module.flatten_parameters() is None
    for key, value in module.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])


def test_state_dict_round_trip_between_layers() -> None:
    source, target = nn.GRU(3, 4, num_layers=2), nn.GRU(3, 4, num_layers=2)
    target.load_state_dict(source.state_dict())
    x = mt.randn(3, 2, 3)
    np.testing.assert_array_equal(source(x)[0].detach().numpy(), target(x)[0].detach().numpy())


REPRS = {  # recorded from PyTorch 2.13
    "LSTM(3, 5, num_layers=2)": lambda: nn.LSTM(3, 5, 2),
    "RNN(3, 5, num_layers=2, batch_first=True, dropout=0.1, bidirectional=True)":
        lambda: nn.RNN(3, 5, 2, batch_first=True, dropout=0.1, bidirectional=True),
    "GRU(3, 5, bias=False)": lambda: nn.GRU(3, 5, bias=False),
    "LSTM(3, 5, proj_size=2)": lambda: nn.LSTM(3, 5, proj_size=2),
    "LSTMCell(3, 5)": lambda: nn.LSTMCell(3, 5),
    "RNNCell(3, 5, nonlinearity=relu)": lambda: nn.RNNCell(3, 5, nonlinearity="relu"),
    "GRUCell(3, 5, bias=False)": lambda: nn.GRUCell(3, 5, bias=False),
}


@pytest.mark.parametrize("text", list(REPRS))
def test_repr_is_pytorchs(text: str) -> None:
    assert repr(REPRS[text]()) == text


def test_rnn_relu_repr_names_the_nonlinearity() -> None:
    assert repr(nn.RNN(3, 5, nonlinearity="relu")) == "RNN(3, 5, nonlinearity=relu)"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("make,error,fragment", [
    (lambda: nn.RNN(3, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.LSTM(3, 4.0), TypeError, "hidden_size should be of type int"),
    (lambda: nn.GRU(3, 4, num_layers=0), ValueError, "num_layers must be greater than zero"),
    (lambda: nn.LSTM(3, 4, dropout=2), ValueError, "dropout should be a number in range"),
    (lambda: nn.RNN(3, 4, nonlinearity="gelu"), ValueError, "Unknown nonlinearity 'gelu'"),
    (lambda: nn.GRU(3, 4, proj_size=1), ValueError, "only supported for LSTM"),
    (lambda: nn.LSTM(3, 4, proj_size=4), ValueError, "proj_size has to be smaller"),
    (lambda: nn.LSTM(3, 4, proj_size=-2), ValueError, "positive integer or zero"),
])
def test_constructor_errors(make: Any, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        make()


def test_dropout_with_one_layer_warns_like_pytorch() -> None:
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.LSTM(3, 4, dropout=0.5)


@pytest.mark.parametrize("call,error,fragment", [
    (lambda m: m(mt.randn(2, 2, 2, 3)), ValueError, "Expected input to be 2D or 3D, got 4D"),
    (lambda m: m(mt.randn(2, 2, 4)), RuntimeError, "Expected 3, got 4"),
    (lambda m: m(mt.randn(0, 2, 3)), RuntimeError, "sequence length to be larger than 0"),
    (lambda m: m(mt.randn(2, 2, 3, dtype=mt.float64)), ValueError,
     "does not match weight dtype"),
    (lambda m: m(mt.randn(2, 2, 3), (mt.randn(1, 2, 5), mt.randn(2, 2, 5))), RuntimeError,
     r"Expected hidden\[0\] size \(2, 2, 5\), got \[1, 2, 5\]"),
    (lambda m: m(mt.randn(2, 2, 3), (mt.randn(2, 2, 5), mt.randn(2, 3, 5))), RuntimeError,
     r"Expected hidden\[1\] size \(2, 2, 5\), got \[2, 3, 5\]"),
    (lambda m: m(mt.randn(2, 2, 3), (mt.randn(2, 5), mt.randn(2, 5))), RuntimeError,
     "For batched 3-D input, hx and cx should also be 3-D but got"),
    (lambda m: m(mt.randn(2, 3), (mt.randn(2, 1, 5), mt.randn(2, 1, 5))), RuntimeError,
     "For unbatched 2-D input, hx and cx should also be 2-D"),
])
def test_lstm_forward_errors(call: Any, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        call(nn.LSTM(3, 5, num_layers=2))


def test_gru_state_errors() -> None:
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 3, 5\), got \[2, 3, 5\]"):
        nn.GRU(3, 5)(mt.randn(2, 3, 3), mt.randn(2, 3, 5))
    with pytest.raises(RuntimeError, match="hx should also be 3-D but got 2-D tensor"):
        nn.RNN(3, 5)(mt.randn(2, 3, 3), mt.randn(3, 5))


@pytest.mark.parametrize("call,error,fragment", [
    (lambda c: c(mt.randn(2, 2, 3)), ValueError, "Expected input to be 1D or 2D, got 3D"),
    (lambda c: c(mt.randn(2, 4)), RuntimeError, "inconsistent input_size: got 4 expected 3"),
    (lambda c: c(mt.randn(2, 3), (mt.randn(3, 5), mt.randn(3, 5))), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 3"),
    (lambda c: c(mt.randn(2, 3), (mt.randn(2, 5), mt.randn(2, 4))), RuntimeError,
     "hidden1 has inconsistent hidden_size: got 4, expected 5"),
])
def test_cell_errors(call: Any, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        call(nn.LSTMCell(3, 5))


def test_rnn_cell_unknown_nonlinearity_fails_when_called_as_in_pytorch() -> None:
    cell = nn.RNNCell(3, 4, nonlinearity="gelu")
    with pytest.raises(RuntimeError, match="Unknown nonlinearity: gelu"):
        cell(mt.randn(2, 3))


# --------------------------------------------------------------------------- numerics


def test_saturated_gates_give_finite_values_and_no_warnings() -> None:
    x = mt.tensor(np.array([[[1e4, -1e4, 0.0]], [[-1e4, 1e4, 50.0]]]), requires_grad=True)
    for mode in ("RNN", "LSTM", "GRU"):
        module = getattr(nn, mode)(3, 4, dtype=mt.float64)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            output, _ = module(x)
            output.sum().backward()
        assert np.isfinite(output.detach().numpy()).all()
        assert np.isfinite(x.grad.numpy()).all()
        x.grad = None


def test_layer_matches_the_numpy_reference_for_every_cell() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 3, 2))
    h0, c0 = rng.standard_normal((1, 3, 4)), rng.standard_normal((1, 3, 4))
    for mode, kind in (("rnn_tanh", "RNN"), ("lstm", "LSTM"), ("gru", "GRU")):
        module = getattr(nn, kind)(2, 4, dtype=mt.float64)
        w_ih, w_hh, b_ih, b_hh = (p.detach().numpy() for p in module.parameters())
        hx = (mt.tensor(h0), mt.tensor(c0)) if kind == "LSTM" else mt.tensor(h0)
        expected = _np_module(mode, x, h0, w_ih, w_hh, b_ih, b_hh,
                              c0=c0 if kind == "LSTM" else None)
        np.testing.assert_allclose(module(mt.tensor(x), hx)[0].detach().numpy(), expected,
                                   rtol=1e-12, atol=1e-14)


def test_dropout_between_layers_only_in_training() -> None:
    module = nn.GRU(3, 4, num_layers=2, dropout=0.5)
    x = mt.randn(5, 2, 3)
    module.eval()
    first, second = module(x)[0].detach().numpy(), module(x)[0].detach().numpy()
    np.testing.assert_array_equal(first, second)
    module.train()
    mt.manual_seed(1)
    a = module(x)[0].detach().numpy()
    mt.manual_seed(2)
    b = module(x)[0].detach().numpy()
    assert not np.allclose(a, b)  # different masks
    mt.manual_seed(1)
    np.testing.assert_array_equal(module(x)[0].detach().numpy(), a)  # repeatable
    without = nn.GRU(3, 4, num_layers=2, dropout=0.0)
    without.load_state_dict(module.state_dict())
    np.testing.assert_allclose(without(x)[0].detach().numpy(), first, rtol=1e-6)


def test_cells_equal_one_step_of_the_layers() -> None:
    x, h, c = mt.randn(1, 3, 2), mt.randn(1, 3, 4), mt.randn(1, 3, 4)
    for layer_kind, cell_kind in (("RNN", "RNNCell"), ("LSTM", "LSTMCell"), ("GRU", "GRUCell")):
        layer, cell = getattr(nn, layer_kind)(2, 4), getattr(nn, cell_kind)(2, 4)
        cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
        if layer_kind == "LSTM":
            _, (h_n, c_n) = layer(x, (h, c))
            h_cell, c_cell = cell(x[0], (h[0], c[0]))
            np.testing.assert_allclose(c_cell.detach().numpy(), c_n[0].detach().numpy())
        else:
            _, h_n = layer(x, h)
            h_cell = cell(x[0], h[0])
        np.testing.assert_allclose(h_cell.detach().numpy(), h_n[0].detach().numpy())
        single = cell(x[0, 1], (h[0, 1], c[0, 1]) if layer_kind == "LSTM" else h[0, 1])
        single = single[0] if layer_kind == "LSTM" else single
        assert tuple(single.shape) == (4,)
        np.testing.assert_allclose(single.detach().numpy(), h_n[0, 1].detach().numpy(),
                                   rtol=1e-6)


def test_cells_start_from_zeros_without_a_state() -> None:
    cell = nn.LSTMCell(2, 3)
    x = mt.randn(4, 2)
    h, c = cell(x)
    h0, c0 = cell(x, (mt.zeros(4, 3), mt.zeros(4, 3)))
    np.testing.assert_array_equal(h.detach().numpy(), h0.detach().numpy())
    np.testing.assert_array_equal(c.detach().numpy(), c0.detach().numpy())


def test_gradients_reach_every_parameter_and_double_backward_works() -> None:
    module = nn.LSTM(2, 3, num_layers=2, bidirectional=True, dtype=mt.float64)
    x = mt.randn(4, 2, 2, dtype=mt.float64, requires_grad=True)
    output, _ = module(x)
    (grad_x,) = mt.autograd.grad((output ** 2).sum(), [x], create_graph=True)
    grad_x.sum().backward()
    assert all(p.grad is not None and np.abs(p.grad.numpy()).sum() > 0
               for p in module.parameters())


# --------------------------------------------------------------------------- nn.utils.rnn


def test_utils_are_reachable_as_in_pytorch() -> None:
    assert mt.nn.utils.rnn.pad_sequence is rnn_utils.pad_sequence
    assert mt.nn.utils.rnn.PackedSequence is rnn_utils.PackedSequence


def test_pad_sequence_layouts() -> None:
    a, b = mt.tensor([1.0, 2.0]), mt.tensor([3.0, 4.0, 5.0])
    np.testing.assert_array_equal(rnn_utils.pad_sequence([a, b]).numpy(),
                                  [[1, 3], [2, 4], [0, 5]])
    np.testing.assert_array_equal(
        rnn_utils.pad_sequence([a, b], batch_first=True, padding_value=-1).numpy(),
        [[1, 2, -1], [3, 4, 5]])
    np.testing.assert_array_equal(
        rnn_utils.pad_sequence([a, b], batch_first=True, padding_side="left").numpy(),
        [[0, 1, 2], [3, 4, 5]])
    with pytest.raises(RuntimeError, match="empty list"):
        rnn_utils.pad_sequence([])


def test_pack_and_unpack_round_trip_in_the_callers_order() -> None:
    sequences = [mt.randn(n, 2) for n in (2, 5, 1, 3)]
    packed = rnn_utils.pack_sequence(sequences, enforce_sorted=False)
    assert packed.batch_sizes.tolist() == [4, 3, 2, 1, 1]
    assert packed.sorted_indices.tolist() == [1, 3, 0, 2]
    assert packed.unsorted_indices.tolist() == [2, 0, 3, 1]
    assert tuple(packed.data.shape) == (11, 2)
    padded, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True, total_length=6)
    assert lengths.tolist() == [2, 5, 1, 3] and lengths.dtype == mt.int64
    assert tuple(padded.shape) == (4, 6, 2)
    for sequence, back in zip(sequences, rnn_utils.unpack_sequence(packed)):
        np.testing.assert_array_equal(back.numpy(), sequence.numpy())
    for sequence, row, n in zip(sequences, padded, lengths.tolist()):
        np.testing.assert_array_equal(row[:n].numpy(), sequence.numpy())
        assert not row[n:].numpy().any()


def test_packing_errors() -> None:
    x = mt.randn(3, 2, 1)
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, [1, 3])
    with pytest.raises(RuntimeError, match="greater than 0"):
        rnn_utils.pack_padded_sequence(x, [3, 0])
    with pytest.raises(RuntimeError, match="exceeds the padded sequence length"):
        rnn_utils.pack_padded_sequence(x, [4, 1])
    with pytest.raises(ValueError, match="total_length=2"):
        rnn_utils.pad_packed_sequence(rnn_utils.pack_padded_sequence(x, [3, 1]), total_length=2)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_packed_batch_runs_each_sequence_for_its_own_length(mode: str,
                                                              bidirectional: bool) -> None:
    module = getattr(nn, mode)(2, 3, num_layers=2, bidirectional=bidirectional,
                               dtype=mt.float64)
    lengths = [3, 5, 1, 4]
    sequences = [mt.randn(n, 2, dtype=mt.float64) for n in lengths]
    packed = rnn_utils.pack_sequence(sequences, enforce_sorted=False)
    output, state = module(packed)
    padded, _ = rnn_utils.pad_packed_sequence(output)
    finals = state if mode == "LSTM" else (state,)
    for i, sequence in enumerate(sequences):
        alone, alone_state = module(sequence)  # unbatched: this sequence only
        alone_finals = alone_state if mode == "LSTM" else (alone_state,)
        np.testing.assert_allclose(padded[:lengths[i], i].detach().numpy(),
                                   alone.detach().numpy(), rtol=1e-12, atol=1e-14)
        assert not padded[lengths[i]:, i].detach().numpy().any()
        for final, alone_final in zip(finals, alone_finals):
            np.testing.assert_allclose(final[:, i].detach().numpy(),
                                       alone_final.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_gradients_flow_from_a_packed_output_to_the_padded_input() -> None:
    module = nn.GRU(2, 3, dtype=mt.float64)
    x = mt.randn(4, 2, 2, dtype=mt.float64, requires_grad=True)
    packed = rnn_utils.pack_padded_sequence(x, [4, 2])
    output, _ = module(packed)
    output.data.sum().backward()
    assert np.abs(x.grad.numpy()[:, 0]).sum() > 0
    assert np.abs(x.grad.numpy()[:2, 1]).sum() > 0
    np.testing.assert_array_equal(x.grad.numpy()[2:, 1], 0.0)  # padding: no gradient


# --------------------------------------------------------------------------- PyTorch itself


def test_matches_pytorch_on_a_random_configuration_sweep() -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for mode, layers, bidirectional, proj in itertools.product(
            ["RNN", "LSTM", "GRU"], [1, 2], [False, True], [0, 2]):
        if proj and mode != "LSTM":
            continue
        options = dict(num_layers=layers, bidirectional=bidirectional)
        if proj:
            options["proj_size"] = proj
        ours = getattr(nn, mode)(3, 4, dtype=mt.float64, **options)
        theirs = getattr(torch.nn, mode)(3, 4, dtype=torch.float64, **options)
        theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
        x = rng.standard_normal((5, 2, 3))
        ours_out = ours(mt.tensor(x))[0].detach().numpy()
        theirs_out = theirs(torch.tensor(x))[0].detach().numpy()
        np.testing.assert_allclose(ours_out, theirs_out, rtol=1e-10, atol=1e-12)
