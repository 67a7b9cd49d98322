"""Recurrent layers as single graph nodes: a whole sequence of RNN, LSTM or GRU steps is one op.

A recurrent layer applies its cell once per time step. Unrolled into elementary ops, an LSTM step
is ~16 graph nodes, and slicing the step's input projection out of the (L, N, G) tensor costs a
full-size zero gradient per step in backward (O(L²) work). Here the loop over time runs inside
``forward`` on NumPy arrays, and ``backward`` is backpropagation through time: the same loop run
backwards, step by step, with the chain rule of one cell (written out in ``RecurrentLayerOp``).
``benchmarks/bench_rnn.py`` measures it.

The op takes ``gates_x`` (L, N, G) = x W_ihᵀ + b of all time steps (one matmul, done by the
caller before the loop), the initial state (N, S) and the transposed hidden-to-hidden weight
``w_hh_t``, and returns (L + 1, N, S): row t < L is the state after time step t (the layer's
output, with the cell state appended for the LSTM), row L the final state. Options:

* ``reverse``: run from t = L − 1 down to 0 (the backward direction of a bidirectional layer);
* ``batch_sizes``: for packed sequences sorted by decreasing length, only the first
  batch_sizes[t] rows run at step t; the others keep their state (a sequence that ended keeps
  its final state; in reverse, one that has not started yet keeps h_0) and output zeros.

A plain LSTM (no projection, no packing) runs a dedicated loop on preallocated arrays with
in-place NumPy (``_lstm_forward_fast``, ``_lstm_backward_fast``): one matmul and about a
dozen ufuncs per step, writing into the output, with no arrays allocated inside the loop.

The backward is written with operators, slices and ``either.*``, so they also run on Tensors:
for gradients of gradients (``create_graph=True``) the forward loop is re-run on the input
tensors to recompute the gates as functions of them, then the same backward loop records a graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.ops import shape as _shape
from microtensor.tensor import Tensor

# --------------------------------------------------------------------------- arrays or Tensors


def _concat(parts: Sequence[Any], axis: int = -1) -> Any:
    """np.concatenate on arrays, the cat op when a part is a Tensor."""
    if any(isinstance(p, Tensor) for p in parts):
        return _shape.cat([p if isinstance(p, Tensor) else Tensor._make(p) for p in parts], axis)
    return np.concatenate(parts, axis)


def _stack(parts: Sequence[Any]) -> Any:
    if any(isinstance(p, Tensor) for p in parts):
        return _shape.stack([p if isinstance(p, Tensor) else Tensor._make(p) for p in parts], 0)
    return np.stack(parts, 0)


def _pad_rows(x: Any, rows: int) -> Any:
    """``x`` (n, S) with zero rows appended up to ``rows``."""
    if x.shape[0] == rows:
        return x
    zeros = np.zeros((rows - x.shape[0], *x.shape[1:]), either.data(x).dtype)
    return _concat([x, zeros], 0)


def _sigmoid(x: Any) -> Any:
    """σ(x) = 1 / (1 + e⁻ˣ), PyTorch's formula (e⁻ˣ = inf for very negative x gives 0)."""
    if isinstance(x, Tensor):
        return x.sigmoid()
    with np.errstate(over="ignore"):
        return 1 / (1 + np.exp(-x))


def _sum_of_products(lefts: list[Any], rights: list[Any]) -> Any:
    """Σₜ leftₜᵀ rightₜ over the steps as one matrix product of the stacked (L·N, ·) factors
    (Σₜ Σ_rows rightₜ when the lefts are None: a bias)."""
    right = _stack(rights)
    right = right.reshape(-1, right.shape[-1])
    if lefts[0] is None:
        return right.sum(axis=0)
    left = _stack(lefts)
    return left.reshape(-1, left.shape[-1]).swapaxes(-1, -2) @ right


# --------------------------------------------------------------------------- the loop over time


def _step_rows(batch: int, batch_sizes: np.ndarray | None, t: int) -> int:
    return batch if batch_sizes is None else int(batch_sizes[t])


def _time_order(length: int, reverse: bool) -> range:
    return range(length - 1, -1, -1) if reverse else range(length)


def _unroll(step: Callable[..., Any], gates_x: Any, state: Any, weights: tuple[Any, ...],
            batch_sizes: np.ndarray | None, reverse: bool) -> tuple[list, list, list, Any]:
    """Run ``step`` over time. Returns the outputs (by time t), the states before each step and
    the step's caches (both in the order run), and the final state."""
    length, batch = gates_x.shape[0], gates_x.shape[1]
    outputs: list[Any] = [None] * length
    before, caches = [], []
    for t in _time_order(length, reverse):
        rows = _step_rows(batch, batch_sizes, t)
        before.append(state)
        if rows == batch:
            state, cache = step(gates_x[t], state, *weights)
            outputs[t] = state
        else:  # the rows past ``rows`` keep their state and output zeros
            new, cache = step(gates_x[t, :rows], state[:rows], *weights)
            outputs[t] = _pad_rows(new, batch)
            state = _concat([new, state[rows:]], 0)
        caches.append(cache)
    return outputs, before, caches, state


def _unroll_backward(step_backward: Callable[..., Any], grad: Any, before: list, caches: list,
                     weights: tuple[Any, ...], batch_sizes: np.ndarray | None, reverse: bool,
                     needs_weights: tuple[bool, ...]) -> tuple[Any, ...]:
    """Backpropagation through time: the steps of ``_unroll`` in reverse order, each sending
    dL/d(state before it) to the step before. Returns dL/dgates_x, dL/dstate₀ and one gradient
    per weight: Σₜ leftₜᵀ rightₜ of the factors each step names (one product after the loop)."""
    length, batch = grad.shape[0] - 1, grad.shape[1]
    grad_state = grad[length]
    grad_gates_x: list[Any] = [None] * length
    factors: list[list[tuple[Any, Any]]] = []
    order = list(_time_order(length, reverse))
    for k in range(length - 1, -1, -1):
        t = order[k]
        rows = _step_rows(batch, batch_sizes, t)
        total = grad_state + grad[t] if rows == batch else grad_state[:rows] + grad[t, :rows]
        state = before[k] if rows == batch else before[k][:rows]
        d_gates, d_state, step_factors = step_backward(total, state, caches[k], *weights)
        grad_gates_x[t] = _pad_rows(d_gates, batch)
        grad_state = d_state if rows == batch else _concat([d_state, grad_state[rows:]], 0)
        factors.append([(None if left is None else _pad_rows(left, batch), _pad_rows(right, batch))
                        for left, right in step_factors])
    grad_weights = [_sum_of_products([f[j][0] for f in factors], [f[j][1] for f in factors])
                    if need else None for j, need in enumerate(needs_weights)]
    return (_stack(grad_gates_x), grad_state, *grad_weights)


# --------------------------------------------------------------------------- RNN (tanh / relu)


def _rnn_step(activation: Callable[[Any], Any]) -> Callable[..., Any]:
    def step(gates_x: Any, h: Any, w_hh_t: Any) -> tuple[Any, tuple]:
        h_new = activation(gates_x + h @ w_hh_t)
        return h_new, (h_new,)
    return step


def _relu(x: Any) -> Any:
    """max(x, 0), NaN propagating (as PyTorch's relu)."""
    return x.relu() if isinstance(x, Tensor) else np.maximum(x, 0)


def _rnn_tanh_step_backward(grad: Any, h: Any, cache: tuple, w_hh_t: Any
                            ) -> tuple[Any, Any, list]:
    """(dL/dgates_xₜ, dL/dhₜ₋₁, the factors (hₜ₋₁, ∂aₜ) of dL/dW_hhᵀ)."""
    (h_new,) = cache
    grad_pre = grad * (1 - h_new * h_new)
    return grad_pre, grad_pre @ w_hh_t.swapaxes(-1, -2), [(h, grad_pre)]


def _rnn_relu_step_backward(grad: Any, h: Any, cache: tuple, w_hh_t: Any
                            ) -> tuple[Any, Any, list]:
    (h_new,) = cache
    grad_pre = either.keep(grad, ~(either.data(h_new) <= 0))  # select: relu'(a) = [a > 0]
    return grad_pre, grad_pre @ w_hh_t.swapaxes(-1, -2), [(h, grad_pre)]


# --------------------------------------------------------------------------- LSTM


def _lstm_step(gates_x: Any, state: Any, w_hh_t: Any, *projection: Any) -> tuple[Any, tuple]:
    """One step on the state [h | c] (h of size P = proj_size or H, c of size H)."""
    hidden = w_hh_t.shape[-1] // 4
    out_size = state.shape[-1] - hidden
    pre = gates_x + state[..., :out_size] @ w_hh_t
    input_and_forget = _sigmoid(pre[..., :2 * hidden])  # neighbours: one call
    input_gate, forget_gate = input_and_forget[..., :hidden], input_and_forget[..., hidden:]
    candidate = either.tanh(pre[..., 2 * hidden:3 * hidden])
    output_gate = _sigmoid(pre[..., 3 * hidden:])
    c_new = forget_gate * state[..., out_size:] + input_gate * candidate
    tanh_c = either.tanh(c_new)
    m = output_gate * tanh_c
    h_new = m @ projection[0] if projection else m
    return _concat([h_new, c_new]), (input_gate, forget_gate, candidate, output_gate, tanh_c, m)


def _lstm_step_backward(grad: Any, state: Any, cache: tuple, w_hh_t: Any, *projection: Any
                        ) -> tuple[Any, Any, list]:
    i, f, g, o, tanh_c, m = cache
    hidden = w_hh_t.shape[-1] // 4
    out_size = state.shape[-1] - hidden
    grad_h, grad_c = grad[..., :out_size], grad[..., out_size:]
    grad_m = grad_h @ projection[0].swapaxes(-1, -2) if projection else grad_h
    grad_c_total = grad_c + grad_m * o * (1 - tanh_c * tanh_c)
    grad_pre = _concat([grad_c_total * g * i * (1 - i),
                        grad_c_total * state[..., out_size:] * f * (1 - f),
                        grad_c_total * i * (1 - g * g),
                        grad_m * tanh_c * o * (1 - o)])
    grad_state = _concat([grad_pre @ w_hh_t.swapaxes(-1, -2), grad_c_total * f])
    factors = [(state[..., :out_size], grad_pre)] + ([(m, grad_h)] if projection else [])
    return grad_pre, grad_state, factors


# --------------------------------------------------------------------------- LSTM on arrays, fast
# The functions above are written once for arrays and Tensors, which makes each step allocate
# a dozen small arrays and concatenate them. A first-order LSTM (no projection, no packing) is
# the common case, so it has its own loop on preallocated buffers with in-place NumPy: per step
# one matmul and a few ufuncs writing straight into the layer's output, and a backward that
# computes every factor that does not depend on the recurrence for all steps at once, before
# the loop. The math is the same (``RecurrentLayerOp``'s docstring); tests/test_example_rnn.py
# checks that both paths agree, and the float64 gradchecks of tests/test_rnn.py run this one
# (their gradgradchecks run the general path, which the recorded backward always takes).


def _sigmoid_in_place(x: np.ndarray) -> None:
    """x ← 1 / (1 + e⁻ˣ), the formula of ``_sigmoid``, in four ufunc calls and no allocation."""
    np.negative(x, out=x)
    np.exp(x, out=x)
    np.add(x, 1, out=x)
    np.divide(1, x, out=x)


def _lstm_forward_fast(gates_x: np.ndarray, state0: np.ndarray, w_hh_t: np.ndarray,
                       reverse: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The LSTM over the sequence on arrays. Returns the layer's output ``states`` (L + 1, N, 2H)
    and what backward needs: ``gates`` (L, N, 4H) = [i | f | g | o] after their nonlinearities,
    and tanh cₜ (L, N, H)."""
    length, batch, four_hidden = gates_x.shape
    hidden = four_hidden // 4
    dtype = np.result_type(gates_x, state0, w_hh_t)
    states = np.empty((length + 1, batch, 2 * hidden), dtype)
    gates = np.empty((length, batch, four_hidden), dtype)
    tanh_c = np.empty((length, batch, hidden), dtype)
    scratch = np.empty((batch, hidden), dtype)
    previous = state0
    with np.errstate(over="ignore"):  # e⁻ˣ = inf for very negative x gives σ = 0, as in PyTorch
        for t in _time_order(length, reverse):
            step_gates, new = gates[t], states[t]
            np.matmul(previous[:, :hidden], w_hh_t, out=step_gates)
            step_gates += gates_x[t]                                    # a = x Wᵢₕᵀ + b + h Wₕₕᵀ
            candidate = step_gates[:, 2 * hidden:3 * hidden]
            np.tanh(candidate, out=scratch)                             # g = tanh(a_g)
            _sigmoid_in_place(step_gates)                               # i, f, o = σ(a_i, a_f, a_o)
            candidate[...] = scratch
            np.multiply(step_gates[:, hidden:2 * hidden], previous[:, hidden:],
                        out=new[:, hidden:])
            np.multiply(step_gates[:, :hidden], candidate, out=scratch)
            new[:, hidden:] += scratch                                  # cₜ = f ⊙ cₜ₋₁ + i ⊙ g
            np.tanh(new[:, hidden:], out=tanh_c[t])
            np.multiply(step_gates[:, 3 * hidden:], tanh_c[t], out=new[:, :hidden])  # hₜ
            previous = new
    states[length] = previous
    return states, gates, tanh_c


def _previous_steps(length: int, reverse: bool) -> tuple[int, slice, slice]:
    """The step run first (it starts from s₀), the other steps, and the rows of the layer's
    output ``states`` they start from (the state after the step run just before each)."""
    if reverse:
        return length - 1, slice(0, length - 1), slice(1, length)
    return 0, slice(1, length), slice(0, length - 1)


def _lstm_step_factors(factors: np.ndarray, gates: np.ndarray, tanh_c: np.ndarray,
                       states: np.ndarray, state0: np.ndarray, reverse: bool) -> np.ndarray:
    """For all steps at once, into ``factors`` (L, N, 4H): K with ∂a = [Ĝ_c ⊙ K_i | Ĝ_c ⊙ K_f |
    Ĝ_c ⊙ K_g | G_h ⊙ K_o], K = [g ⊙ i(1 − i) | cₜ₋₁ ⊙ f(1 − f) | i ⊙ (1 − g²) |
    tanh cₜ ⊙ o(1 − o)]. Returns o ⊙ (1 − tanh² cₜ), which carries G_h into Ĝ_c."""
    hidden = tanh_c.shape[-1]
    i, g = gates[..., :hidden], gates[..., 2 * hidden:3 * hidden]
    np.subtract(1, gates, out=factors)
    factors *= gates                                                    # σ' = σ(1 − σ)
    k_i, k_f = factors[..., :hidden], factors[..., hidden:2 * hidden]
    k_g, k_o = factors[..., 2 * hidden:3 * hidden], factors[..., 3 * hidden:]
    np.multiply(g, g, out=k_g)
    np.subtract(1, k_g, out=k_g)                                        # tanh' = 1 − g²
    k_i *= g
    first, rest, source = _previous_steps(gates.shape[0], reverse)
    k_f[first] *= state0[:, hidden:]                                    # cₜ₋₁ = c₀
    k_f[rest] *= states[source, :, hidden:]
    k_g *= i
    k_o *= tanh_c
    h_to_c = np.multiply(tanh_c, tanh_c)
    np.subtract(1, h_to_c, out=h_to_c)
    h_to_c *= gates[..., 3 * hidden:]
    return h_to_c


def _lstm_backward_fast(grad: np.ndarray, state0: np.ndarray, w_hh_t: np.ndarray,
                        states: np.ndarray, gates: np.ndarray, tanh_c: np.ndarray,
                        reverse: bool, needs_weight: bool
                        ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """BPTT of ``_lstm_forward_fast``: dL/dgates_x, dL/ds₀ and dL/dW_hhᵀ (None if not needed).
    The factors K are written into the buffer of dL/dgates_x, then each step multiplies its
    row by Ĝ_c or G_h in place (one large array fewer)."""
    length, batch, four_hidden = gates.shape
    hidden = four_hidden // 4
    grad_gates = np.empty(gates.shape, np.result_type(grad, gates))
    h_to_c = _lstm_step_factors(grad_gates, gates, tanh_c, states, state0, reverse)
    grad_state = np.array(grad[length])                    # dL/d[hₜ | cₜ], one buffer
    grad_h, grad_c = grad_state[:, :hidden], grad_state[:, hidden:]
    scratch = np.empty_like(grad_c)
    w_hh = w_hh_t.T
    for t in reversed(_time_order(length, reverse)):
        grad_state += grad[t]                                           # G_h, G_c
        np.multiply(grad_h, h_to_c[t], out=scratch)
        grad_c += scratch                                               # Ĝ_c
        by_gate = grad_gates[t].reshape(batch, 4, hidden)               # K, then ∂a
        np.multiply(grad_c[:, None, :], by_gate[:, :3], out=by_gate[:, :3])  # ∂a_i, ∂a_f, ∂a_g
        np.multiply(grad_h, by_gate[:, 3], out=by_gate[:, 3])           # ∂a_o
        np.matmul(grad_gates[t], w_hh, out=grad_h)                      # dL/dhₜ₋₁ = ∂a W_hh
        grad_c *= gates[t, :, hidden:2 * hidden]                        # dL/dcₜ₋₁ = Ĝ_c ⊙ f
    grad_w_hh_t = None
    if needs_weight:  # Σₜ hₜ₋₁ᵀ ∂aₜ: the first step's h₀, then one product for the others
        first, rest, source = _previous_steps(length, reverse)
        grad_w_hh_t = state0[:, :hidden].T @ grad_gates[first]
        grad_w_hh_t += (states[source, :, :hidden].reshape(-1, hidden).T
                        @ grad_gates[rest].reshape(-1, four_hidden))
    return grad_gates, grad_state, grad_w_hh_t


# --------------------------------------------------------------------------- GRU


def _gru_step(gates_x: Any, h: Any, w_hh_t: Any, *bias: Any) -> tuple[Any, tuple]:
    hidden = h.shape[-1]
    gates_h = h @ w_hh_t
    if bias:
        gates_h = gates_h + bias[0]
    reset_and_update = _sigmoid(gates_x[..., :2 * hidden] + gates_h[..., :2 * hidden])
    reset, update = reset_and_update[..., :hidden], reset_and_update[..., hidden:]
    hidden_new = gates_h[..., 2 * hidden:]
    new = either.tanh(gates_x[..., 2 * hidden:] + reset * hidden_new)
    return (1 - update) * new + update * h, (reset, update, new, hidden_new)


def _gru_step_backward(grad: Any, h: Any, cache: tuple, w_hh_t: Any, *bias: Any
                       ) -> tuple[Any, Any, list]:
    reset, update, new, hidden_new = cache
    grad_new = grad * (1 - update) * (1 - new * new)
    grad_update = grad * (h - new) * update * (1 - update)
    grad_reset = grad_new * hidden_new * reset * (1 - reset)
    grad_gates_h = _concat([grad_reset, grad_update, grad_new * reset])
    grad_h = grad * update + grad_gates_h @ w_hh_t.swapaxes(-1, -2)
    factors = [(h, grad_gates_h)] + ([(None, grad_gates_h)] if bias else [])
    return _concat([grad_reset, grad_update, grad_new]), grad_h, factors


# --------------------------------------------------------------------------- the op

_CELLS: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "rnn_tanh": (_rnn_step(either.tanh), _rnn_tanh_step_backward),
    "rnn_relu": (_rnn_step(_relu), _rnn_relu_step_backward),
    "lstm": (_lstm_step, _lstm_step_backward),
    "gru": (_gru_step, _gru_step_backward),
}


class RecurrentLayerOp(Op):
    """A recurrent layer over a whole sequence: ``cell`` ("rnn_tanh", "rnn_relu", "lstm",
    "gru") run at every time step; output (L + 1, N, S) = the state after each step, then the
    final state (see the module docstring). One step of each cell, forward and backward, is
    the pair of functions above; backward through time (BPTT) sends each step's dL/d(state
    before it) to the step before, and sums the weight gradients over the steps:

    RNN:   hₜ = act(aₜ),  aₜ = gates_xₜ + hₜ₋₁ W_hhᵀ;  with Gₜ = dL/dhₜ:
           ∂aₜ = Gₜ ⊙ (1 − hₜ²) (tanh) or Gₜ where aₜ > 0 else 0 (relu, a selection);
           dL/dgates_xₜ = ∂aₜ;  dL/dhₜ₋₁ += ∂aₜ W_hh;  dL/dW_hhᵀ = Σₜ hₜ₋₁ᵀ ∂aₜ.

    LSTM:  on sₜ = [hₜ | cₜ];  a = gates_xₜ + hₜ₋₁ W_hhᵀ;  i, f, o = σ(a_i), σ(a_f), σ(a_o);
           g = tanh(a_g);  cₜ = f ⊙ cₜ₋₁ + i ⊙ g;  m = o ⊙ tanh cₜ;  hₜ = m (or m W_hrᵀ).
           With (G_h, G_c) = dL/d(hₜ, cₜ):  G_m = G_h (or G_h W_hr);
           Ĝ_c = G_c + G_m ⊙ o ⊙ (1 − tanh² cₜ);
           ∂a_i = Ĝ_c ⊙ g ⊙ i(1 − i);  ∂a_f = Ĝ_c ⊙ cₜ₋₁ ⊙ f(1 − f);
           ∂a_g = Ĝ_c ⊙ i ⊙ (1 − g²);  ∂a_o = G_m ⊙ tanh cₜ ⊙ o(1 − o);
           dL/dgates_xₜ = ∂a;  dL/d(hₜ₋₁, cₜ₋₁) += (∂a W_hh, Ĝ_c ⊙ f);
           dL/dW_hhᵀ = Σₜ hₜ₋₁ᵀ ∂a;  dL/dW_hrᵀ = Σₜ mᵀ G_h.

    GRU:   a_h = hₜ₋₁ W_hhᵀ + b_hh;  r = σ(x_r + a_h,r);  z = σ(x_z + a_h,z);
           n = tanh(x_n + r ⊙ a_h,n);  hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁.  With G = dL/dhₜ:
           ∂n = G ⊙ (1 − z) ⊙ (1 − n²);  ∂z = G ⊙ (hₜ₋₁ − n) ⊙ z(1 − z);
           ∂r = ∂n ⊙ a_h,n ⊙ r(1 − r);  dL/dgates_xₜ = [∂r | ∂z | ∂n];  ∂a_h = [∂r | ∂z | ∂n ⊙ r];
           dL/dhₜ₋₁ += G ⊙ z + ∂a_h W_hh;  dL/dW_hhᵀ = Σₜ hₜ₋₁ᵀ ∂a_h;  dL/db_hh = Σ ∂a_h.
    """

    @staticmethod
    def forward(ctx: Any, gates_x: np.ndarray, state: np.ndarray, *weights: np.ndarray,
                cell: str, batch_sizes: np.ndarray | None = None,
                reverse: bool = False) -> np.ndarray:
        ctx.cell, ctx.batch_sizes, ctx.reverse = cell, batch_sizes, reverse
        ctx.fast = cell == "lstm" and batch_sizes is None and len(weights) == 1
        if ctx.fast:  # the common LSTM: the loop on preallocated arrays
            states, gates, tanh_c = _lstm_forward_fast(gates_x, state, weights[0], reverse)
            ctx.counts = (1, 0)
            ctx.save_for_backward(gates_x, state, *weights, states, gates, tanh_c)
            return states
        outputs, before, caches, final = _unroll(_CELLS[cell][0], gates_x, state, weights,
                                                 batch_sizes, reverse)
        ctx.counts = (len(weights), len(caches[0]))
        flat_caches = [value for cache in caches for value in cache]
        ctx.save_for_backward(gates_x, state, *weights, *before, *flat_caches)
        return np.stack([*outputs, final], 0)

    @staticmethod
    def backward(ctx: Any, grad: Any) -> tuple[Any, ...]:
        saved = ctx.saved_tensors
        weight_count, cache_size = ctx.counts
        gates_x, state, weights = saved[0], saved[1], tuple(saved[2:2 + weight_count])
        step, step_backward = _CELLS[ctx.cell]
        needs = ctx.needs_input_grad
        if ctx.fast and not isinstance(grad, Tensor):
            grads = _lstm_backward_fast(grad, state, weights[0], *saved[3:], ctx.reverse,
                                        needs[2])
            return tuple(g if need else None for g, need in zip(grads, needs))
        if isinstance(grad, Tensor):  # recorded backward: the gates as functions of the inputs
            _, before, caches, _ = _unroll(step, gates_x, state, weights, ctx.batch_sizes,
                                           ctx.reverse)
        else:
            length = gates_x.shape[0]
            before = saved[2 + weight_count:2 + weight_count + length]
            flat = saved[2 + weight_count + length:]
            caches = [flat[k * cache_size:(k + 1) * cache_size] for k in range(length)]
        grads = _unroll_backward(step_backward, grad, list(before), caches, weights,
                                 ctx.batch_sizes, ctx.reverse, tuple(needs[2:]))
        return tuple(g if need else None for g, need in zip(grads, needs))


# --------------------------------------------------------------------------- public functions


def _apply(cell: str, gates_x: Tensor, state: Tensor, weights: list[Tensor | None],
           batch_sizes: np.ndarray | None, reverse: bool) -> Tensor:
    if gates_x.shape[0] == 0:
        raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
    present = [w for w in weights if w is not None]
    return RecurrentLayerOp.apply(gates_x, state, *present, cell=cell, batch_sizes=batch_sizes,
                                  reverse=reverse)


def rnn_layer(gates_x: Tensor, h0: Tensor, w_hh_t: Tensor, nonlinearity: str = "tanh",
              batch_sizes: np.ndarray | None = None, reverse: bool = False) -> Tensor:
    """(L + 1, N, H): hₜ of every step, then the final h."""
    return _apply(f"rnn_{nonlinearity}", gates_x, h0, [w_hh_t], batch_sizes, reverse)


def lstm_layer(gates_x: Tensor, state0: Tensor, w_hh_t: Tensor, w_hr_t: Tensor | None = None,
               batch_sizes: np.ndarray | None = None, reverse: bool = False) -> Tensor:
    """(L + 1, N, P + H): [hₜ | cₜ] of every step, then the final [h | c]."""
    return _apply("lstm", gates_x, state0, [w_hh_t, w_hr_t], batch_sizes, reverse)


def gru_layer(gates_x: Tensor, h0: Tensor, w_hh_t: Tensor, b_hh: Tensor | None = None,
              batch_sizes: np.ndarray | None = None, reverse: bool = False) -> Tensor:
    """(L + 1, N, H): hₜ of every step, then the final h."""
    return _apply("gru", gates_x, h0, [w_hh_t, b_hh], batch_sizes, reverse)
