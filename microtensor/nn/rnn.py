"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells, with PyTorch's names,
parameter names, gate order and numerics (so state dicts load both ways).

One step of each cell, for an input xₜ (N, H_in) and the previous hidden state h (N, H):

    RNN:   h' = tanh(xₜ W_ihᵀ + b_ih + h W_hhᵀ + b_hh)               (or relu)
    LSTM:  i, f, g, o = split(xₜ W_ihᵀ + b_ih + h W_hhᵀ + b_hh, 4)     (gates in this order)
           c' = σ(f) ⊙ c + σ(i) ⊙ tanh(g),   h' = σ(o) ⊙ tanh(c')    (h' W_hrᵀ with proj_size)
    GRU:   r, z, n_x = split(xₜ W_ihᵀ + b_ih, 3);  r_h, z_h, n_h = split(h W_hhᵀ + b_hh, 3)
           r = σ(r_x + r_h),  z = σ(z_x + z_h),  n = tanh(n_x + r ⊙ n_h),  h' = (1 − z) ⊙ n + z ⊙ h

A layer runs the cell over the sequence. The input projections xₜ W_ihᵀ + b of *all* time steps
are one matrix product (``F.linear``) before the loop; the loop, which does only h W_hhᵀ and the
gate math, is one op, ``RecurrentLayerOp`` (``ops/recurrent.py``), whose backward is
backpropagation through time written out step by step (one graph node per layer and direction
instead of ~16 per time step: ``benchmarks/bench_rnn.py``). Gradients of gradients work too.
Layers stack; with ``dropout`` the output of every layer but the last goes through
``F.dropout`` in training mode.

Shapes (PyTorch's): input (L, N, H_in), or (N, L, H_in) with ``batch_first``, or unbatched
(L, H_in); h_0 (D·num_layers, N, H_out) (or (D·num_layers, H_out) unbatched), D = 2 if
bidirectional else 1; output (L, N, D·H_out); h_n like h_0. LSTM also takes and returns c_0 / c_n
of size ``hidden_size``; H_out = ``proj_size`` if it is set, else ``hidden_size``.
A ``PackedSequence`` input (``nn.utils.rnn``) runs each sequence for its own length.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor.nn import functional as F
from microtensor.nn import init
from microtensor.nn.module import Module, Parameter
from microtensor.nn.utils.rnn import PackedSequence, _pack_padded_sorted, _unpack_sorted
from microtensor.ops import recurrent as _recurrent
from microtensor.ops import shape as _shape
from microtensor.tensor import Tensor

__all__ = ["GRU", "GRUCell", "LSTM", "LSTMCell", "RNN", "RNNBase", "RNNCell", "RNNCellBase"]

_GATE_COUNT = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}

State = Tensor | tuple[Tensor, Tensor]


# --------------------------------------------------------------------------- running a layer


def _run_cell(mode: str, gates_x: Tensor, states: list[Tensor], w_hh_t: Tensor,
              b_hh: Tensor | None, w_hr_t: Tensor | None, batch_sizes: np.ndarray | None = None,
              reverse: bool = False) -> tuple[Tensor, list[Tensor]]:
    """Run one layer's recurrence (one ``RecurrentLayerOp``) over ``gates_x`` (L, N, G).

    Returns the outputs (L, N, H_out) and the final [h] (or [h, c] for the LSTM)."""
    length = gates_x.shape[0]
    if mode == "LSTM":
        out_size = states[0].shape[-1]
        steps = _recurrent.lstm_layer(gates_x, _shape.cat(states, -1), w_hh_t, w_hr_t,
                                      batch_sizes, reverse)
        final = steps[length]
        return steps[:length, :, :out_size], [final[:, :out_size], final[:, out_size:]]
    if mode == "GRU":
        steps = _recurrent.gru_layer(gates_x, states[0], w_hh_t, b_hh, batch_sizes, reverse)
    else:
        nonlinearity = "relu" if mode == "RNN_RELU" else "tanh"
        steps = _recurrent.rnn_layer(gates_x, states[0], w_hh_t, nonlinearity, batch_sizes,
                                     reverse)
    return steps[:length], [steps[length]]


def _input_bias(mode: str, b_ih: Tensor | None, b_hh: Tensor | None) -> Tensor | None:
    """The bias added to the input projection: b_ih + b_hh, except for GRU (b_ih alone)."""
    if b_ih is None or mode == "GRU":
        return b_ih
    return b_ih + b_hh


# --------------------------------------------------------------------------- argument checks


def _check_size(value: Any, name: str) -> None:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} should be of type int, got: {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name} must be greater than zero")


def _check_dropout(dropout: Any, num_layers: int) -> None:
    if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", UserWarning, stacklevel=3)


def _check_projection(mode: str, proj_size: Any, hidden_size: int) -> None:
    if not isinstance(proj_size, numbers.Integral) or proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if proj_size and mode != "LSTM":
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


def _new_parameter(shape: tuple[int, ...], dtype: Any) -> Parameter:
    dtype = _dtypes.get_default_dtype() if dtype is None else _dtypes.resolve(dtype)
    return Parameter(np.empty(shape, dtype))


def _check_hidden_shape(state: Tensor, expected: tuple[int, ...], label: str) -> None:
    if tuple(state.shape) != expected:
        raise RuntimeError(f"Expected {label} size {expected}, got {list(state.shape)}")


# --------------------------------------------------------------------------- the layers


class RNNBase(Module):
    """The machinery shared by ``RNN``, ``LSTM`` and ``GRU`` (``mode`` is ``"RNN_TANH"``,
    ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``).

    Parameters per layer k and direction (suffix ``_reverse`` for the backward direction of a
    bidirectional layer), registered in PyTorch's order: ``weight_ih_l{k}`` (G·H, H_in of the
    layer), ``weight_hh_l{k}`` (G·H, H_out), ``bias_ih_l{k}``, ``bias_hh_l{k}`` (G·H) and, for an
    LSTM with ``proj_size``, ``weight_hr_l{k}`` (proj_size, H); G = 1, 4, 3 gates. All start
    uniform on [−1/√hidden_size, 1/√hidden_size], as in PyTorch.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        if mode not in _GATE_COUNT:
            raise ValueError(f"Unrecognized RNN mode: {mode}")
        _check_size(hidden_size, "hidden_size")
        _check_size(num_layers, "num_layers")
        _check_dropout(dropout, num_layers)
        _check_projection(mode, proj_size, hidden_size)
        self.mode = mode
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        self._make_parameters(dtype)
        self.reset_parameters()

    def _make_parameters(self, dtype: Any) -> None:
        gate_size = _GATE_COUNT[self.mode] * self.hidden_size
        output_size = self.proj_size or self.hidden_size
        directions = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            layer_input_size = self.input_size if layer == 0 else output_size * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = {"weight_ih": (gate_size, layer_input_size),
                          "weight_hh": (gate_size, output_size)}
                if self.bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if self.proj_size:
                    shapes["weight_hr"] = (self.proj_size, self.hidden_size)
                names = []
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix, _new_parameter(shape, dtype))
                    names.append(kind + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)

    def reset_parameters(self) -> None:
        """Every weight and bias uniform on [−1/√hidden_size, 1/√hidden_size]."""
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def flatten_parameters(self) -> None:
        """Does nothing (PyTorch packs the weights for cuDNN here; there is no cuDNN)."""

    @property
    def _flat_weights(self) -> list[Tensor]:
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters grouped per layer and direction, in registration order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if self.batch_first is not False:
            text += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            text += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            text += f", bidirectional={self.bidirectional}"
        return text

    # ---------------------------------------------------------------- forward

    @property
    def _num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    def _state_shapes(self, batch: int) -> list[tuple[int, ...]]:
        """The shapes of h_0 (and c_0 for an LSTM), batched."""
        stacked = self.num_layers * self._num_directions
        shapes = [(stacked, batch, self.proj_size or self.hidden_size)]
        if self.mode == "LSTM":
            shapes.append((stacked, batch, self.hidden_size))
        return shapes

    def _check_input(self, input: Tensor) -> None:
        name = "LSTM" if self.mode == "LSTM" else self.__class__.__name__
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        weight = self.weight_ih_l0
        if input.dtype != weight.dtype:
            raise ValueError(
                f"RNN input dtype ({input.dtype}) does not match weight dtype ({weight.dtype}). "
                f"Convert input: input.to({weight.dtype}), or convert model: "
                f"model.to({input.dtype})")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _states_as_list(self, hx: Any) -> list[Tensor]:
        if self.mode == "LSTM":
            if not isinstance(hx, tuple | list) or len(hx) != 2:
                raise TypeError("LSTM: hx must be a tuple (h_0, c_0) of two tensors")
            return list(hx)
        return [hx]

    def _check_state_dims(self, states: list[Tensor], batched: bool) -> None:
        wanted = 3 if batched else 2
        if all(s.ndim == wanted for s in states):
            return
        kind = "batched 3-D" if batched else "unbatched 2-D"
        if self.mode == "LSTM":
            raise RuntimeError(f"For {kind} input, hx and cx should also be {wanted}-D but got "
                               f"({states[0].ndim}-D, {states[1].ndim}-D) tensors")
        raise RuntimeError(f"For {kind} input, hx should also be {wanted}-D but got "
                           f"{states[0].ndim}-D tensor")

    def _initial_states(self, hx: Any, batch: int, batched: bool, like: Tensor) -> list[Tensor]:
        """h_0 (and c_0) as batched tensors: the given ones, checked, or zeros."""
        shapes = self._state_shapes(batch)
        if hx is None:
            return [Tensor._make(np.zeros(shape, like.dtype)) for shape in shapes]
        states = self._states_as_list(hx)
        self._check_state_dims(states, batched)
        if not batched:
            states = [_shape.unsqueeze(s, 1) for s in states]
        for index, (state, shape) in enumerate(zip(states, shapes)):
            label = f"hidden[{index}]" if self.mode == "LSTM" else "hidden"
            _check_hidden_shape(state, shape, label)
        return states

    def forward(self, input: Tensor | PackedSequence, hx: Any = None) -> tuple[Any, Any]:
        """Run the layers over the sequence; returns (output, h_n) or (output, (h_n, c_n))."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        self._check_input(input)
        batched = input.ndim == 3
        batch_dim = 0 if self.batch_first else 1
        if not batched:
            input = _shape.unsqueeze(input, batch_dim)
        if self.batch_first:
            input = _shape.transpose(input, 0, 1)
        if input.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        states = self._initial_states(hx, input.shape[1], batched, input)
        output, final_states = self._run_layers(input, states, batch_sizes=None)
        if self.batch_first:
            output = _shape.transpose(output, 0, 1)
        if not batched:
            output = _shape.squeeze(output, batch_dim)
            final_states = [_shape.squeeze(s, 1) for s in final_states]
        return output, self._pack_states(final_states)

    def _pack_states(self, states: list[Tensor]) -> State:
        return (states[0], states[1]) if self.mode == "LSTM" else states[0]

    def _run_layers(self, sequence: Tensor, states: list[Tensor],
                    batch_sizes: np.ndarray | None) -> tuple[Tensor, list[Tensor]]:
        """All layers over a (L, N, features) sequence; dropout between layers in training."""
        final: list[list[Tensor]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(self._num_directions):
                index = layer * self._num_directions + direction
                start = [s[index] for s in states]
                output, last = self._run_direction(sequence, start, index, direction == 1,
                                                   batch_sizes)
                outputs.append(output)
                for bucket, state in zip(final, last):
                    bucket.append(state)
            sequence = outputs[0] if len(outputs) == 1 else _shape.cat(outputs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                sequence = F.dropout(sequence, self.dropout, True)
        return sequence, [_shape.stack(bucket, 0) for bucket in final]

    def _run_direction(self, sequence: Tensor, start: list[Tensor], index: int, reverse: bool,
                       batch_sizes: np.ndarray | None) -> tuple[Tensor, list[Tensor]]:
        """One layer in one direction: the input projection of all steps at once, then the
        recurrence. Returns the outputs (L, N, H_out) and the final state(s)."""
        weights = self.all_weights[index]
        w_ih, w_hh = weights[0], weights[1]
        b_ih, b_hh = (weights[2], weights[3]) if self.bias else (None, None)
        w_hr_t = _shape.transpose(weights[-1], 0, 1) if self.proj_size else None
        gates_x = F.linear(sequence, w_ih, _input_bias(self.mode, b_ih, b_hh))
        w_hh_t = _shape.transpose(w_hh, 0, 1)
        return _run_cell(self.mode, gates_x, start, w_hh_t, b_hh, w_hr_t, batch_sizes, reverse)

    def _forward_packed(self, packed: PackedSequence, hx: Any) -> tuple[PackedSequence, State]:
        """A packed batch: sequence i runs for its own length (outputs past it are zeros)."""
        self._check_input(packed.data)
        padded = _unpack_sorted(packed)  # (L, N, features), sorted by decreasing length
        batch_sizes = np.asarray(packed.batch_sizes._data)
        states = self._initial_states(hx, padded.shape[1], True, padded)
        if packed.sorted_indices is not None:  # h_0 is in the user's order: sort it
            states = [s[:, packed.sorted_indices] for s in states]
        output, final_states = self._run_layers(padded, states, batch_sizes)
        if packed.unsorted_indices is not None:
            final_states = [s[:, packed.unsorted_indices] for s in final_states]
        result = _pack_padded_sorted(output, packed.batch_sizes, packed.sorted_indices,
                                     packed.unsorted_indices)
        return result, self._pack_states(final_states)


class RNN(RNNBase):
    """Elman RNN: hₜ = tanh(xₜ W_ihᵀ + b_ih + hₜ₋₁ W_hhᵀ + b_hh) (``nonlinearity="relu"``:
    relu), stacked ``num_layers`` deep. See the module docstring for shapes and options.

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:  # positional nonlinearity comes fourth, as in PyTorch
            args, kwargs = args[:3] + args[4:], {**kwargs, "nonlinearity": args[3]}
        nonlinearity = kwargs.pop("nonlinearity", "tanh")
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if nonlinearity not in modes:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(modes[nonlinearity], *args, **kwargs)

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text + (f", nonlinearity={self.nonlinearity}" if self.nonlinearity != "tanh"
                       else "")


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o (in that order in the weights),
    cₜ = σ(f) ⊙ cₜ₋₁ + σ(i) ⊙ tanh(g), hₜ = σ(o) ⊙ tanh(cₜ); with ``proj_size`` > 0,
    hₜ is projected by ``weight_hr`` to proj_size. Returns (output, (h_n, c_n)).

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, proj_size=0, device=None, dtype=None)``
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit, PyTorch's variant: r, z = σ(...), n = tanh(W_in x + b_in +
    r ⊙ (W_hn h + b_hn)), hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁ (gates r, z, n in the weights).

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False, device=None, dtype=None)``
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# --------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """One step of a recurrent cell on a batch (N, H_in) or one sample (H_in,). Parameters
    ``weight_ih`` (G·H, H_in), ``weight_hh`` (G·H, H), ``bias_ih``, ``bias_hh`` (G·H), uniform on
    [−1/√hidden_size, 1/√hidden_size]."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        self.weight_ih = _new_parameter((num_chunks * hidden_size, input_size), dtype)
        self.weight_hh = _new_parameter((num_chunks * hidden_size, hidden_size), dtype)
        if bias:
            self.bias_ih = _new_parameter((num_chunks * hidden_size,), dtype)
            self.bias_hh = _new_parameter((num_chunks * hidden_size,), dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for weight in self.parameters():
            init.uniform_(weight, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        nonlinearity = getattr(self, "nonlinearity", "tanh")
        return text + (f", nonlinearity={nonlinearity}" if nonlinearity != "tanh" else "")

    def _check_input(self, input: Tensor) -> None:
        if input.ndim not in (1, 2):
            raise ValueError(f"{self.__class__.__name__}: Expected input to be 1D or 2D, got "
                             f"{input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")

    def _check_state(self, input: Tensor, state: Tensor, name: str) -> None:
        if state.shape[0] != input.shape[0]:
            raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match {name} batch "
                               f"size {state.shape[0]}")
        if state.shape[-1] != self.hidden_size:
            raise RuntimeError(f"{name} has inconsistent hidden_size: got {state.shape[-1]}, "
                               f"expected {self.hidden_size}")

    def _states(self, input: Tensor, hx: Any, count: int) -> list[Tensor]:
        """The previous state(s) as (N, H) tensors: zeros when ``hx`` is None."""
        if hx is None:
            zeros = np.zeros((input.shape[0], self.hidden_size), input.dtype)
            return [Tensor._make(zeros) for _ in range(count)]
        states = list(hx) if count == 2 else [hx]
        if states[0].ndim == 1:
            states = [_shape.unsqueeze(s, 0) for s in states]
        for index, state in enumerate(states):
            self._check_state(input, state, f"hidden{index}")
        return states

    def _step(self, input: Tensor, hx: Any, count: int, mode: str) -> Any:
        """One step: returns the new state(s), unbatched again if ``input`` was."""
        self._check_input(input)
        batched = input.ndim == 2
        if not batched:
            input = _shape.unsqueeze(input, 0)
        states = self._states(input, hx, count)
        gates_x = F.linear(input, self.weight_ih, _input_bias(mode, self.bias_ih, self.bias_hh))
        w_hh_t = _shape.transpose(self.weight_hh, 0, 1)
        _, new = _run_cell(mode, _shape.unsqueeze(gates_x, 0), states, w_hh_t, self.bias_hh,
                           None)
        if not batched:
            new = [_shape.squeeze(s, 0) for s in new]
        return (new[0], new[1]) if count == 2 else new[0]


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu). Returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
        if self.nonlinearity not in modes:
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        return self._step(input, hx, 1, modes[self.nonlinearity])


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o). ``hx`` is (h, c) or None; returns (h', c')."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
                ) -> tuple[Tensor, Tensor]:
        return self._step(input, hx, 2, "LSTM")


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n; n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))). Returns h'."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._step(input, hx, 1, "GRU")
