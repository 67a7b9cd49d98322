"""Golden cases of the recurrent family (see ``cases.py`` for the registry and its helpers).

Groups: ``rnn`` (``nn.RNN``, ``nn.LSTM``, ``nn.GRU``), ``rnn_cells`` (``nn.RNNCell``,
``nn.LSTMCell``, ``nn.GRUCell``) and ``rnn_utils`` (``nn.utils.rnn``: padding, packing, and the
layers on packed batches).

Layers are built in both libraries with the same weights. Where a case passes the weights as
inputs (``_weighted``), they take the place of the layer's parameters (``torch.func.
functional_call`` on PyTorch; the parameter table on microtensor), so the first and second
derivatives with respect to every weight are compared too. Larger layers get their weights from
a seeded generator (``_seeded``) and compare derivatives with respect to the input and h_0.
"""

from __future__ import annotations

from typing import Any

import numpy as np

_INPUT, _HIDDEN = 3, 4
_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3, "RNNCell": 1, "LSTMCell": 4, "GRUCell": 3}


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _layers_with_weights_as_inputs()
    _layer_options()
    _layer_edges()
    _layer_errors()
    _cells()
    _cell_errors()
    _padding_and_packing()
    _layers_on_packed_batches()


# --------------------------------------------------------------------------- helpers


def _call(lib: Any, module: Any, weights: dict[str, Any], *args: Any) -> Any:
    """``module(*args)`` with the given tensors in place of its parameters."""
    if lib.__name__ == "torch":
        return lib.func.functional_call(module, weights, args)
    module._parameters.update(weights)
    return module(*args)


def _weight_names(kind: str, bias: bool = True) -> list[str]:
    suffix = "" if kind.endswith("Cell") else "_l0"
    names = [f"weight_ih{suffix}", f"weight_hh{suffix}"]
    return names + ([f"bias_ih{suffix}", f"bias_hh{suffix}"] if bias else [])


def _weight_specs(kind: str, bias: bool = True) -> list[Any]:
    from tests.golden.cases import f

    rows = _GATES[kind] * _HIDDEN
    specs = [f(rows, _INPUT), f(rows, _HIDDEN)]
    return specs + ([f(rows), f(rows)] if bias else [])


def _flatten(result: Any) -> tuple[Any, ...]:
    """(output, h_n) or (output, (h_n, c_n)) as a flat tuple of tensors."""
    output, state = result
    return (output, *state) if isinstance(state, tuple) else (output, state)


def _weighted(kind: str, *, bias: bool = True, states: int = 0, **options: Any) -> Any:
    """A case function: inputs x, the initial state(s) (``states`` of them), then the weights."""
    def fn(lib: Any, x: Any, *rest: Any) -> Any:
        module = getattr(lib.nn, kind)(_INPUT, _HIDDEN, bias=bias, dtype=lib.float64, **options)
        hx, weights = rest[:states], rest[states:]
        args = [x] + ([] if not hx else [hx[0] if states == 1 else (hx[0], hx[1])])
        result = _call(lib, module, dict(zip(_weight_names(kind, bias), weights)), *args)
        return _flatten(result) if not kind.endswith("Cell") else result
    return fn


def _seeded(lib: Any, module: Any, seed: int = 0) -> Any:
    """``module`` with every state-dict entry drawn from N(0, 0.5²) by a seeded generator."""
    rng = np.random.default_rng(seed)
    module.load_state_dict({name: lib.tensor(0.5 * rng.standard_normal(tuple(value.shape)))
                            for name, value in module.state_dict().items()})
    return module


def _layer(kind: str, *args: Any, dtype: str = "float64", **options: Any) -> Any:
    """A case function on a seeded layer: inputs x and, if given, h_0 (and c_0)."""
    def fn(lib: Any, x: Any, *hx: Any) -> Any:
        module = _seeded(lib, getattr(lib.nn, kind)(*args, dtype=getattr(lib, dtype), **options))
        if not hx:
            return _flatten(module(x))
        return _flatten(module(x, hx[0] if len(hx) == 1 else (hx[0], hx[1])))
    return fn


# --------------------------------------------------------------------------- layers


def _layers_with_weights_as_inputs() -> None:
    from tests.golden.cases import add, f

    g = "rnn"
    for kind in ("RNN", "LSTM", "GRU"):
        state_specs = [f(1, 2, _HIDDEN)] * (2 if kind == "LSTM" else 1)
        states = len(state_specs)
        add(g, f"{kind}.weights", _weighted(kind, states=states), f(4, 2, _INPUT), *state_specs,
            *_weight_specs(kind))
        add(g, f"{kind}.no_initial_state", _weighted(kind), f(3, 2, _INPUT),
            *_weight_specs(kind))
        add(g, f"{kind}.no_bias", _weighted(kind, bias=False, states=states), f(3, 2, _INPUT),
            *state_specs, *_weight_specs(kind, bias=False))
        unbatched = [f(1, _HIDDEN)] * states
        add(g, f"{kind}.unbatched", _weighted(kind, states=states), f(4, _INPUT), *unbatched,
            *_weight_specs(kind))
        add(g, f"{kind}.batch_first", _weighted(kind, states=states, batch_first=True),
            f(2, 3, _INPUT), *state_specs, *_weight_specs(kind))
        add(g, f"{kind}.one_step_one_sample", _weighted(kind), f(1, 1, _INPUT),
            *_weight_specs(kind))
        add(g, f"{kind}.bidirectional_weights",
            lambda lib, x, *w, kind=kind: _bidirectional_weights(lib, kind, x, w),
            f(3, 2, _INPUT), *_weight_specs(kind), *_weight_specs(kind))
    add(g, "RNN.relu", _weighted("RNN", states=1, nonlinearity="relu"), f(4, 2, _INPUT),
        f(1, 2, _HIDDEN), *_weight_specs("RNN"))


def _bidirectional_weights(lib: Any, kind: str, x: Any, weights: tuple[Any, ...]) -> Any:
    module = getattr(lib.nn, kind)(_INPUT, _HIDDEN, bidirectional=True, dtype=lib.float64)
    names = _weight_names(kind) + [n + "_reverse" for n in _weight_names(kind)]
    return _flatten(_call(lib, module, dict(zip(names, weights)), x))


def _layer_options() -> None:
    from tests.golden.cases import add, f

    g = "rnn"
    for kind in ("RNN", "LSTM", "GRU"):
        states = 2 if kind == "LSTM" else 1
        add(g, f"{kind}.two_layers_bidirectional",
            _layer(kind, 3, 5, num_layers=2, bidirectional=True),
            f(4, 2, 3), *[f(4, 2, 5)] * states)
        add(g, f"{kind}.three_layers_batch_first",
            _layer(kind, 3, 5, num_layers=3, batch_first=True), f(2, 4, 3))
        add(g, f"{kind}.bidirectional_unbatched", _layer(kind, 3, 5, bidirectional=True),
            f(5, 3), *[f(2, 5)] * states)
        add(g, f"{kind}.dropout_in_eval_mode",
            lambda lib, x, kind=kind: _flatten(
                _seeded(lib, getattr(lib.nn, kind)(3, 5, num_layers=2, dropout=0.5,
                                                   dtype=lib.float64)).eval()(x)),
            f(3, 2, 3))
        add(g, f"{kind}.float32", _layer(kind, 3, 5, dtype="float32"),
            f(3, 2, 3, dtype="float32"))
        add(g, f"{kind}.empty_batch", _layer(kind, 3, 5), f(3, 0, 3))
    add(g, "LSTM.proj_size", _layer("LSTM", 3, 5, proj_size=2), f(4, 2, 3), f(1, 2, 2),
        f(1, 2, 5))
    add(g, "LSTM.proj_size_two_layers_bidirectional",
        _layer("LSTM", 3, 5, proj_size=3, num_layers=2, bidirectional=True), f(4, 2, 3))
    add(g, "RNN.relu_two_layers_bidirectional",
        _layer("RNN", 3, 5, num_layers=2, bidirectional=True, nonlinearity="relu"), f(4, 2, 3))
    add(g, "RNN.positional_nonlinearity",
        lambda lib, x: _flatten(_seeded(lib, lib.nn.RNN(3, 5, 2, "relu").double())(x)),
        f(4, 2, 3))


def _layer_edges() -> None:
    from tests.golden.cases import add, f, vals

    g = "rnn"
    big = vals(40.0, -40.0, 0.0, -0.0, 25.0, -60.0, 1e-300, 3.0, -3.0, 90.0, -90.0, 0.5,
               shape=(2, 2, 3))
    for kind in ("RNN", "LSTM", "GRU"):
        add(g, f"{kind}.saturated_gates", _layer(kind, 3, 5), big, check_warnings=True)
        add(g, f"{kind}.long_sequence", _layer(kind, 2, 3), f(30, 1, 2))


def _layer_errors() -> None:
    from tests.golden.cases import add, f, ints

    g = "rnn"
    for kind in ("RNN", "LSTM", "GRU"):
        states = 2 if kind == "LSTM" else 1
        add(g, f"{kind}.error_4d_input", _layer(kind, 3, 5), f(2, 2, 2, 3),
            match="Expected input to be 2D or 3D")
        add(g, f"{kind}.error_input_size", _layer(kind, 3, 5), f(2, 2, 4),
            match="input.size(-1) must be equal to input_size. Expected 3, got 4")
        add(g, f"{kind}.error_empty_sequence", _layer(kind, 3, 5), f(0, 2, 3),
            match="Expected sequence length to be larger than 0")
        add(g, f"{kind}.error_dtype", _layer(kind, 3, 5, dtype="float32"), f(2, 2, 3),
            match="does not match weight dtype")
        add(g, f"{kind}.error_int_input", _layer(kind, 3, 5), ints(2, 2, 3),
            match="does not match weight dtype")
        hidden_fragment = "Expected hidden[0] size" if kind == "LSTM" else "Expected hidden size"
        add(g, f"{kind}.error_state_shape", _layer(kind, 3, 5, num_layers=2), f(2, 2, 3),
            *[f(1, 2, 5)] * states, match=hidden_fragment)
        dims = "hx and cx should also be 3-D" if kind == "LSTM" else "hx should also be 3-D"
        add(g, f"{kind}.error_state_dims", _layer(kind, 3, 5), f(2, 2, 3), *[f(2, 5)] * states,
            match=dims)
        dims = "hx and cx should also be 2-D" if kind == "LSTM" else "hx should also be 2-D"
        add(g, f"{kind}.error_unbatched_state_dims", _layer(kind, 3, 5), f(2, 3),
            *[f(1, 1, 5)] * states, match=dims)
    add(g, "LSTM.error_cell_state_shape", _layer("LSTM", 3, 5), f(2, 2, 3), f(1, 2, 5),
        f(1, 3, 5), match="Expected hidden[1] size (1, 2, 5), got [1, 3, 5]")
    for name, make, fragment in (
            ("error_hidden_size_zero", lambda lib: lib.nn.RNN(3, 0),
             "hidden_size must be greater than zero"),
            ("error_num_layers_zero", lambda lib: lib.nn.GRU(3, 4, num_layers=0),
             "num_layers must be greater than zero"),
            ("error_hidden_size_float", lambda lib: lib.nn.LSTM(3, 4.0),
             "hidden_size should be of type int"),
            ("error_dropout_range", lambda lib: lib.nn.LSTM(3, 4, dropout=1.5),
             "dropout should be a number in range [0, 1]"),
            ("error_nonlinearity", lambda lib: lib.nn.RNN(3, 4, nonlinearity="sigmoid"),
             "Unknown nonlinearity 'sigmoid'"),
            ("error_proj_size_gru", lambda lib: lib.nn.GRU(3, 4, proj_size=2),
             "proj_size argument is only supported for LSTM"),
            ("error_proj_size_too_big", lambda lib: lib.nn.LSTM(3, 4, proj_size=4),
             "proj_size has to be smaller than hidden_size"),
            ("error_proj_size_negative", lambda lib: lib.nn.LSTM(3, 4, proj_size=-1),
             "proj_size should be a positive integer or zero")):
        add(g, f"constructor.{name}", lambda lib, x, make=make: make(lib)(x), f(2, 1, 3),
            match=fragment)


# --------------------------------------------------------------------------- cells


def _cells() -> None:
    from tests.golden.cases import add, f

    g = "rnn_cells"
    for kind in ("RNNCell", "LSTMCell", "GRUCell"):
        states = 2 if kind == "LSTMCell" else 1
        add(g, f"{kind}.weights", _weighted(kind, states=states), f(3, _INPUT),
            *[f(3, _HIDDEN)] * states, *_weight_specs(kind))
        add(g, f"{kind}.no_state", _weighted(kind), f(2, _INPUT), *_weight_specs(kind))
        add(g, f"{kind}.unbatched", _weighted(kind, states=states), f(_INPUT),
            *[f(_HIDDEN)] * states, *_weight_specs(kind))
        add(g, f"{kind}.no_bias", _weighted(kind, bias=False, states=states), f(2, _INPUT),
            *[f(2, _HIDDEN)] * states, *_weight_specs(kind, bias=False))
        add(g, f"{kind}.empty_batch", _weighted(kind), f(0, _INPUT), *_weight_specs(kind))
        add(g, f"{kind}.two_steps",
            lambda lib, x, kind=kind: _two_steps(lib, kind, x), f(2, 3, 3))
    add(g, "RNNCell.relu", _weighted("RNNCell", states=1, nonlinearity="relu"), f(3, _INPUT),
        f(3, _HIDDEN), *_weight_specs("RNNCell"))


def _two_steps(lib: Any, kind: str, x: Any) -> Any:
    cell = _seeded(lib, getattr(lib.nn, kind)(3, 4, dtype=lib.float64))
    state = cell(x[0])
    state = cell(x[1], state)
    return state


def _cell_errors() -> None:
    from tests.golden.cases import add, f

    g = "rnn_cells"
    for kind in ("RNNCell", "LSTMCell", "GRUCell"):
        states = 2 if kind == "LSTMCell" else 1

        def make(lib: Any, kind: str = kind) -> Any:
            return _seeded(lib, getattr(lib.nn, kind)(3, 4, dtype=lib.float64))

        def call(lib: Any, x: Any, *hx: Any, make: Any = make) -> Any:
            cell = make(lib)
            return cell(x) if not hx else cell(x, hx[0] if len(hx) == 1 else (hx[0], hx[1]))

        add(g, f"{kind}.error_3d_input", call, f(2, 2, 3), match="Expected input to be 1D or 2D")
        add(g, f"{kind}.error_input_size", call, f(2, 5),
            match="input has inconsistent input_size: got 5 expected 3")
        add(g, f"{kind}.error_batch", call, f(2, 3), *[f(3, 4)] * states,
            match="Input batch size 2 doesn't match hidden0 batch size 3")
        add(g, f"{kind}.error_hidden_size", call, f(2, 3), *[f(2, 5)] * states,
            match="hidden0 has inconsistent hidden_size: got 5, expected 4")
    add(g, "LSTMCell.error_cell_state", lambda lib, x, h, c: _seeded(
        lib, lib.nn.LSTMCell(3, 4, dtype=lib.float64))(x, (h, c)), f(2, 3), f(2, 4), f(2, 5),
        match="hidden1 has inconsistent hidden_size: got 5, expected 4")
    add(g, "RNNCell.error_nonlinearity",
        lambda lib, x: lib.nn.RNNCell(3, 4, nonlinearity="gelu", dtype=lib.float64)(x),
        f(2, 3), match="Unknown nonlinearity: gelu")


# --------------------------------------------------------------------------- nn.utils.rnn


def _packed(p: Any) -> tuple[Any, ...]:
    """A PackedSequence's data and batch sizes (and the permutations, when present)."""
    extra = () if p.sorted_indices is None else (p.sorted_indices, p.unsorted_indices)
    return (p.data, p.batch_sizes, *extra)


def _padding_and_packing() -> None:
    from tests.golden.cases import add, f

    g = "rnn_utils"

    def utils(lib: Any) -> Any:
        return lib.nn.utils.rnn

    for batch_first in (False, True):
        for side in ("right", "left"):
            add(g, f"pad_sequence.batch_first_{batch_first}_{side}",
                lambda lib, a, b, c, bf=batch_first, side=side: utils(lib).pad_sequence(
                    [a, b, c], batch_first=bf, padding_value=-1.5, padding_side=side),
                f(2, 3), f(4, 3), f(1, 3))
    add(g, "pad_sequence.default", lambda lib, a, b: utils(lib).pad_sequence([a, b]),
        f(3), f(5))
    add(g, "pad_sequence.3d_items", lambda lib, a, b: utils(lib).pad_sequence([a, b], True),
        f(2, 2, 3), f(3, 2, 3))
    add(g, "pad_sequence.one", lambda lib, a: utils(lib).pad_sequence([a]), f(3, 2))
    add(g, "pad_sequence.dtype_of_the_first", lambda lib, a, b: utils(lib).pad_sequence([a, b]),
        f(2, dtype="float32"), f(3))
    add(g, "pad_sequence.error_empty", lambda lib, a: utils(lib).pad_sequence([]), f(1),
        match="received an empty list of sequences")
    add(g, "pad_sequence.error_side", lambda lib, a: utils(lib).pad_sequence(
        [a], padding_side="middle"), f(2), match="Expected padding_side to be one of left or right")
    add(g, "pad_sequence.error_trailing_shapes",
        lambda lib, a, b: utils(lib).pad_sequence([a, b]), f(2, 3), f(3, 4))
    for sorted_ in (True, False):
        lengths = [4, 2, 2, 1] if sorted_ else [2, 4, 1, 3]
        add(g, f"pack_padded_sequence.enforce_sorted_{sorted_}",
            lambda lib, x, n=lengths, s=sorted_: _packed(utils(lib).pack_padded_sequence(
                x, n, enforce_sorted=s)), f(4, 4, 2))
        add(g, f"pad_packed_sequence.round_trip_{sorted_}",
            lambda lib, x, n=lengths, s=sorted_: utils(lib).pad_packed_sequence(
                utils(lib).pack_padded_sequence(x, n, batch_first=True, enforce_sorted=s),
                batch_first=True, padding_value=9.0, total_length=6), f(4, 4, 2))
    add(g, "pack_padded_sequence.lengths_tensor",
        lambda lib, x: _packed(utils(lib).pack_padded_sequence(x, lib.tensor([3, 1]))),
        f(3, 2, 2))
    add(g, "pack_padded_sequence.error_unsorted",
        lambda lib, x: utils(lib).pack_padded_sequence(x, [1, 3]), f(3, 2),
        match="`lengths` array must be sorted in decreasing order")
    add(g, "pack_padded_sequence.error_zero_length",
        lambda lib, x: utils(lib).pack_padded_sequence(x, [3, 0]), f(3, 2),
        match="Length of all samples has to be greater than 0")
    add(g, "pack_padded_sequence.error_count",
        lambda lib, x: utils(lib).pack_padded_sequence(x, [3, 2]), f(3, 3),
        match="Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)")
    add(g, "pad_packed_sequence.error_total_length",
        lambda lib, x: utils(lib).pad_packed_sequence(
            utils(lib).pack_padded_sequence(x, [3, 2]), total_length=2), f(3, 2),
        match="Expected total_length to be at least the length of the longest sequence")
    add(g, "pack_sequence.unsorted",
        lambda lib, a, b, c: _packed(utils(lib).pack_sequence([a, b, c], enforce_sorted=False)),
        f(2, 3), f(4, 3), f(1, 3))
    add(g, "pack_sequence.sorted", lambda lib, a, b: _packed(utils(lib).pack_sequence([a, b])),
        f(3), f(2))
    add(g, "pack_sequence.error_empty", lambda lib, a: utils(lib).pack_sequence([]), f(1),
        match="received an empty list of sequences")


def _on_packed(kind: str, lengths: list[int], enforce_sorted: bool, **options: Any) -> Any:
    def fn(lib: Any, x: Any, *hx: Any) -> Any:
        module = _seeded(lib, getattr(lib.nn, kind)(3, 4, dtype=lib.float64, **options))
        rnn_utils = lib.nn.utils.rnn
        packed = rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=enforce_sorted)
        state = None if not hx else (hx[0] if len(hx) == 1 else (hx[0], hx[1]))
        output, final = module(packed, state)
        padded, _ = rnn_utils.pad_packed_sequence(output)
        return (padded, *final) if isinstance(final, tuple) else (padded, final)
    return fn


def _layers_on_packed_batches() -> None:
    from tests.golden.cases import add, f

    g = "rnn_utils"
    for kind in ("RNN", "LSTM", "GRU"):
        states = 2 if kind == "LSTM" else 1
        add(g, f"{kind}.packed_sorted", _on_packed(kind, [5, 3, 3, 1], True), f(5, 4, 3))
        add(g, f"{kind}.packed_unsorted_with_state", _on_packed(kind, [2, 5, 1], False),
            f(5, 3, 3), *[f(1, 3, 4)] * states)
        add(g, f"{kind}.packed_two_layers_bidirectional",
            _on_packed(kind, [3, 4, 1], False, num_layers=2, bidirectional=True), f(4, 3, 3),
            *[f(4, 3, 4)] * states)
    add(g, "LSTM.packed_proj_size", _on_packed("LSTM", [4, 2], True, proj_size=2,
                                               bidirectional=True), f(4, 2, 3))
