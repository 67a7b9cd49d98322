"""The everyday-API sweep (issue 13): ``grad_fn.name()``, ``inference_mode``, ``compile``, the
``load_state_dict`` print, the in-place methods, ``range`` indices, a 0-d scatter index, and the
``torch.*`` names (queries, switches, threads, the random state, the functional aliases).

PyTorch parity of values, gradients and errors is in the golden groups ``sweep_*``
(``tests/golden/cases_sweep.py``); these tests check the rest without PyTorch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

import microtensor as mt
import microtensor.nn.functional as F
from microtensor import nn
from tests.gradcheck_cases import Case

# --------------------------------------------------------------------------- gradcheck


def _np_index_put_accumulate(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    out = a.copy()
    np.add.at(out, (np.array([0, 2, 0, -1]), np.array([1, 3, 1, 0])), v)
    return out


def _np_put_accumulate(a: np.ndarray, v: np.ndarray) -> np.ndarray:
    flat = a.reshape(-1).copy()
    np.add.at(flat, np.array([0, -1, 5, 0]), v.reshape(-1))
    return flat.reshape(a.shape)


def _np_fill_diagonal(a: np.ndarray) -> np.ndarray:
    out = a.copy()
    np.fill_diagonal(out, -2.0, wrap=True)
    return out * a


def _in_graph(method: str, *args: object) -> Callable[[mt.Tensor], mt.Tensor]:
    def fn(x: mt.Tensor) -> mt.Tensor:
        z = x * 1
        getattr(z, method)(*args)
        return z * x
    return fn


GRADCHECK_CASES = [
    Case("sweep.index_put_accumulate",
         lambda a, v: a.index_put((mt.tensor([0, 2, 0, -1]), mt.tensor([1, 3, 1, 0])), v,
                                  accumulate=True),
         [(3, 4), (4,)], reference=_np_index_put_accumulate),
    Case("sweep.put_accumulate",
         lambda a, v: a.put(mt.tensor([[0, -1], [5, 0]]), v, accumulate=True),
         [(2, 3), (2, 2)], reference=_np_put_accumulate),
    Case("sweep.fill_diagonal_wrap",
         lambda a: _fill_diagonal_then_use(a), [(7, 3)], reference=_np_fill_diagonal),
    Case("sweep.tanh_in_place", _in_graph("tanh_"), [(2, 3)],
         reference=lambda a: np.tanh(a) * a),
    Case("sweep.sqrt_in_place", _in_graph("sqrt_"), [(4,)], positive=True,
         reference=lambda a: np.sqrt(a) * a),
    Case("sweep.masked_fill_in_place",
         lambda a: _masked_fill_then_use(a), [(2, 3)],
         reference=lambda a: np.where(np.array([[True, False, True]]), 0.5, a * 2) * a),
    Case("sweep.range_index", lambda a: a[range(3), [2, 0, 1]], [(3, 4)],
         reference=lambda a: a[[0, 1, 2], [2, 0, 1]]),
    Case("sweep.scatter_0d_index_0d_src", lambda a, s: a.scatter(0, mt.tensor(2), s),
         [(4,), ()], reference=lambda a, s: np.where(np.arange(4) == 2, s, a)),
    Case("sweep.rrelu_eval", lambda a: mt.rrelu(a), [(3, 4)], distinct=True,
         reference=lambda a: np.where(a >= 0, a, a * (1 / 8 + 1 / 3) / 2)),
]


def _fill_diagonal_then_use(a: mt.Tensor) -> mt.Tensor:
    z = a * 1
    z.fill_diagonal_(-2.0, wrap=True)
    return z * a


def _masked_fill_then_use(a: mt.Tensor) -> mt.Tensor:
    z = a * 2
    z.masked_fill_(mt.tensor([[True, False, True]]), 0.5)
    return z * a


# --------------------------------------------------------------------------- grad_fn.name()


def test_grad_fn_name_is_a_method_as_in_pytorch() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.grad_fn.name() == "MulBackward"
    assert y.grad_fn.op_name == "Mul"
    assert repr(y.grad_fn) == "<MulBackward>"
    assert (x.exp().sum()).grad_fn.name() == "SumBackward"
    accumulate = y.grad_fn.next_functions[0][0]
    assert accumulate.name() == "AccumulateGrad" and accumulate.op_name == "AccumulateGrad"


def test_custom_function_node_name() -> None:
    class Double(mt.autograd.Function):
        @staticmethod
        def forward(ctx: object, x: mt.Tensor) -> mt.Tensor:
            return x * 2

        @staticmethod
        def backward(ctx: object, grad: mt.Tensor) -> mt.Tensor:
            return grad * 2

    y = Double.apply(mt.tensor([1.0], requires_grad=True))
    assert y.grad_fn.name() == "DoubleBackward"


def test_errors_still_name_the_op() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    y.sum().backward()
    with pytest.raises(RuntimeError, match="^Exp: trying to backward through the graph"):
        y.sum().backward()


# --------------------------------------------------------------------------- inference_mode


def test_inference_mode_records_nothing_and_marks_its_tensors() -> None:
    x = mt.tensor([1.0, 2.0], requires_grad=True)
    assert not mt.is_inference_mode_enabled()
    with mt.inference_mode():
        assert mt.is_inference_mode_enabled() and not mt.is_grad_enabled()
        y = x * 2
        made = mt.zeros(2)
    assert mt.is_grad_enabled() and not mt.is_inference_mode_enabled()
    assert y.grad_fn is None and not y.requires_grad
    assert y.is_inference() and made.is_inference()
    assert not x.is_inference() and not (x * 2).is_inference()


def test_inference_mode_false_changes_nothing() -> None:
    x = mt.tensor([1.0], requires_grad=True)
    with mt.inference_mode(mode=False):
        assert not mt.is_inference_mode_enabled()
        y = x * 2
    assert y.grad_fn is not None and not y.is_inference()


def test_inference_mode_as_decorators() -> None:
    x = mt.tensor([1.0], requires_grad=True)

    @mt.inference_mode
    def bare() -> mt.Tensor:
        return x * 2

    @mt.inference_mode()
    def called() -> mt.Tensor:
        return x * 3

    @mt.inference_mode(False)
    def off() -> mt.Tensor:
        return x * 4

    assert bare().is_inference() and called().is_inference()
    assert off().grad_fn is not None
    assert bare.__name__ == "bare"


def test_inference_mode_nests_and_restores() -> None:
    with mt.no_grad():
        with mt.inference_mode():
            with mt.inference_mode(False):
                assert mt.is_inference_mode_enabled()  # mode=False does not switch it off
        assert not mt.is_grad_enabled() and not mt.is_inference_mode_enabled()
    assert mt.is_grad_enabled()


def test_inference_mode_is_per_thread() -> None:
    seen = []

    def other_thread() -> None:
        seen.append((mt.is_inference_mode_enabled(), (mt.ones(1) * 2).is_inference()))

    with mt.inference_mode():
        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
    assert seen == [(False, False)]


def test_inference_mode_restores_on_error() -> None:
    with pytest.raises(ValueError), mt.inference_mode():
        raise ValueError
    assert mt.is_grad_enabled() and not mt.is_inference_mode_enabled()
    assert not mt.ones(1).is_inference()


# --------------------------------------------------------------------------- compile, printing


def test_compile_returns_the_model_unchanged() -> None:
    model = nn.Linear(2, 3)
    assert mt.compile(model) is model
    assert mt.compile(model, mode="max-autotune", fullgraph=True, dynamic=False) is model

    @mt.compile(backend="eager")
    def double(x: mt.Tensor) -> mt.Tensor:
        return x * 2

    assert double(mt.tensor(2.0)).item() == 4.0

    @mt.compile
    def triple(x: mt.Tensor) -> mt.Tensor:
        return x * 3

    assert triple(mt.tensor(2.0)).item() == 6.0


def test_load_state_dict_prints_as_pytorch() -> None:
    model = nn.Linear(2, 3)
    result = model.load_state_dict(model.state_dict())
    assert str(result) == repr(result) == "<All keys matched successfully>"
    missing, unexpected = result
    assert missing == [] and unexpected == []
    partial = model.load_state_dict({"weight": model.weight.detach()}, strict=False)
    assert repr(partial) == "_IncompatibleKeys(missing_keys=['bias'], unexpected_keys=[])"
    assert partial.missing_keys == ["bias"]


# --------------------------------------------------------------------------- in-place methods

UNARY = {"abs_": np.abs, "cos_": np.cos, "sin_": np.sin, "exp_": np.exp, "neg_": np.negative,
         "sign_": np.sign, "tanh_": np.tanh, "sigmoid_": lambda a: 1 / (1 + np.exp(-a)),
         "relu_": lambda a: np.maximum(a, 0)}


@pytest.mark.parametrize("method", sorted(UNARY))
def test_unary_in_place_writes_into_the_same_tensor(method: str) -> None:
    values = np.array([-1.5, 0.0, 0.25, 2.0])
    x = mt.tensor(values)
    before = x._version
    assert getattr(x, method)() is x
    np.testing.assert_allclose(x.numpy(), UNARY[method](values), rtol=1e-6)
    assert x._version == before + 1


def test_log_sqrt_erf_in_place() -> None:
    x = mt.tensor([0.25, 1.0, 4.0], dtype=mt.float64)
    np.testing.assert_allclose(x.clone().log_().numpy(), np.log([0.25, 1.0, 4.0]))
    np.testing.assert_allclose(x.clone().sqrt_().numpy(), [0.5, 1.0, 2.0])
    assert x.clone().erf_().numpy()[1] == pytest.approx(0.8427007929497149)
    assert mt.erf(x)[1].item() == pytest.approx(0.8427007929497149)


def test_in_place_keeps_the_dtype_or_refuses() -> None:
    ints = mt.tensor([-2, 3])
    assert ints.abs_().tolist() == [2, 3] and ints.dtype == mt.int64
    with pytest.raises(RuntimeError, match="can't be cast"):
        mt.tensor([1, 4]).sqrt_()
    with np.errstate(all="raise"):  # no NumPy warning leaks from the edge values
        assert np.isnan(mt.tensor([-1.0]).log_().item())


def test_in_place_on_a_leaf_that_requires_grad_is_refused() -> None:
    x = mt.tensor([1.0], requires_grad=True)
    for method in ("exp_", "relu_", "tanh_"):
        with pytest.raises(RuntimeError, match="leaf"):
            getattr(x, method)()


def test_in_place_gradient_through_a_view() -> None:
    x = mt.tensor([[0.5, -1.0], [2.0, 0.1]], dtype=mt.float64, requires_grad=True)
    base = x * 1
    base[0].exp_()
    base.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[np.exp(0.5), np.exp(-1.0)], [1.0, 1.0]])


def test_clip_masked_fill_in_place() -> None:
    x = mt.tensor([-2.0, 0.5, 3.0])
    assert x.clip_(-1, 1).tolist() == [-1.0, 0.5, 1.0]
    assert x.masked_fill_(mt.tensor([True, False, False]), 9).tolist() == [9.0, 0.5, 1.0]


def test_fill_diagonal() -> None:
    tall = mt.zeros(7, 3).fill_diagonal_(5, wrap=True).numpy()
    expected = np.zeros((7, 3))
    np.fill_diagonal(expected, 5, wrap=True)
    np.testing.assert_array_equal(tall, expected)
    cube = mt.zeros(3, 3, 3).fill_diagonal_(1)
    assert cube.sum().item() == 3 and cube[2, 2, 2].item() == 1
    with pytest.raises(RuntimeError, match="equal length"):
        mt.zeros(2, 3, 3).fill_diagonal_(1)


def test_index_put_and_put() -> None:
    x = mt.zeros(2, 3)
    rows, cols = mt.tensor([0, 0, 1]), mt.tensor([1, 1, 2])
    assert x.index_put((rows, cols), mt.tensor(1.0), accumulate=True).tolist() == [
        [0.0, 2.0, 0.0], [0.0, 0.0, 1.0]]
    assert x.sum().item() == 0  # out of place
    x.index_put_((rows, cols), mt.tensor([1.0, 2.0, 3.0]))
    assert x[0, 1].item() == 2.0 and x[1, 2].item() == 3.0
    y = mt.zeros(2, 3)
    y.put_(mt.tensor([-1, 0, 0]), mt.tensor([1.0, 2.0, 3.0]), accumulate=True)
    assert y.tolist() == [[5.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    with pytest.raises(TypeError, match="tuple of Tensors"):
        x.index_put(rows, mt.tensor(1.0))
    with pytest.raises(IndexError, match="out of range"):
        y.put_(mt.tensor([6]), mt.tensor([1.0]))
    with pytest.raises(RuntimeError, match="same number of elements"):
        y.put(mt.tensor([0, 1]), mt.tensor([1.0]))


def test_hardshrink_prelu_methods() -> None:
    x = mt.tensor([-1.0, -0.2, 0.3, 2.0])
    assert x.hardshrink().tolist() == [-1.0, 0.0, 0.0, 2.0]
    np.testing.assert_allclose(x.prelu(mt.tensor([0.5])).numpy(), [-0.5, -0.1, 0.3, 2.0],
                               rtol=1e-6)


# --------------------------------------------------------------------------- indexing


def test_range_indexes_like_a_list() -> None:
    x = mt.arange(12).reshape(3, 4)
    assert x[range(3), [0, 1, 2]].tolist() == [0, 5, 10]
    assert x[range(1, 3)].tolist() == x[[1, 2]].tolist()
    assert x[:, range(0, 4, 2)].tolist() == [[0, 2], [4, 6], [8, 10]]
    assert x[range(0)].shape == (0, 4)
    x[range(2), [3, 3]] = -1
    assert x[:2, 3].tolist() == [-1, -1]


def test_nll_with_range_as_in_the_nn_tutorial() -> None:
    log_probs = mt.tensor([[-0.1, -2.0], [-3.0, -0.05]], requires_grad=True)
    target = mt.tensor([0, 1])
    loss = -log_probs[range(target.shape[0]), target].mean()
    loss.backward()
    assert loss.item() == pytest.approx(0.075)
    np.testing.assert_allclose(log_probs.grad.numpy(), [[-0.5, 0.0], [0.0, -0.5]])


def test_scatter_with_a_0d_index_makes_a_one_hot() -> None:
    one_hot = mt.zeros(10).scatter_(0, mt.tensor(3), value=1)
    assert one_hot.tolist() == [0.0, 0.0, 0.0, 1.0] + [0.0] * 6
    assert mt.zeros(4).scatter(-1, mt.tensor(1), mt.tensor([7.0, 8.0])).tolist() == [
        0.0, 7.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="number of dimensions"):
        mt.zeros(2, 3).scatter(0, mt.tensor(1), value=1)


def test_scatter_0d_index_gradient_is_src_shaped() -> None:
    # PyTorch's backward fails here (its gradient for src is 0-d); microtensor's is [g, 0, 0]
    src = mt.tensor([2.0, 3.0, 4.0], requires_grad=True)
    mt.zeros(4).scatter(0, mt.tensor(1), src).sum().backward()
    assert src.grad.tolist() == [1.0, 0.0, 0.0]


# --------------------------------------------------------------------------- torch.* names


def test_tensor_queries() -> None:
    x = mt.tensor([[1.0, 2.0]], requires_grad=True)
    assert mt.clone(x).grad_fn is not None and mt.detach(x).grad_fn is None
    assert mt.is_floating_point(x) and not mt.is_floating_point(mt.tensor([1]))
    assert not mt.is_complex(x)
    assert mt.is_signed(x) and not mt.is_signed(mt.tensor([1], dtype=mt.uint8))
    assert not mt.is_signed(mt.tensor([True]))
    assert mt.is_nonzero(mt.tensor([[0.5]])) and not mt.is_nonzero(mt.tensor(0.0))
    with pytest.raises(RuntimeError, match="more than one value"):
        mt.is_nonzero(x)
    assert mt.is_same_size(x, x * 2) and not mt.is_same_size(x, x.t())
    assert mt.numel(x) == 2


def test_scalar_tensor_and_asarray() -> None:
    assert repr(mt.scalar_tensor(3)) == "tensor(3.)"
    assert mt.scalar_tensor(3, dtype=mt.int64).dtype == mt.int64
    array = np.ones(3)
    shared = mt.asarray(array)
    shared[0] = 5.0
    assert array[0] == 5.0 and shared.dtype == mt.float64
    assert mt.asarray(array, copy=True).data_ptr() != shared.data_ptr()
    x = mt.tensor([1.0], requires_grad=True)
    assert mt.asarray(x) is x
    assert mt.asarray(x * 2).grad_fn is None
    assert mt.asarray([1, 2]).dtype == mt.int64
    with pytest.raises(ValueError, match="copy=False"):
        mt.asarray(array, dtype=mt.float32, copy=False)


def test_typename() -> None:
    assert mt.typename(mt.zeros(1)) == "torch.FloatTensor"
    assert mt.typename(mt.zeros(1, dtype=mt.int64)) == "torch.LongTensor"
    assert mt.typename(3) == "int"
    assert mt.typename(nn.Linear(1, 1)) == "microtensor.nn.linear.Linear"


def test_threads_are_recorded_and_limited() -> None:
    from microtensor import _threads

    saved = dict(_threads._settings)
    try:
        assert mt.get_num_threads() >= 1
        mt.set_num_threads(1)
        assert mt.get_num_threads() == 1
        assert (mt.ones(4, 4) @ mt.ones(4, 4)).sum().item() == 64
        with pytest.raises(RuntimeError, match="positive"):
            mt.set_num_threads(0)
        with pytest.raises(RuntimeError, match="expects an int"):
            mt.set_num_threads(1.5)
        assert mt.get_num_interop_threads() >= 1
        _threads._settings["interop_set"] = False
        mt.set_num_interop_threads(2)
        assert mt.get_num_interop_threads() == 2
        with pytest.raises(RuntimeError, match="cannot set number of interop threads"):
            mt.set_num_interop_threads(3)
    finally:
        limiter = _threads._settings.get("limiter")
        if limiter is not None:
            limiter.restore_original_limits()
        _threads._settings.clear()
        _threads._settings.update(saved)


def test_rng_state_round_trip_and_seeds() -> None:
    saved = mt.get_rng_state()
    try:
        mt.manual_seed(7)
        assert mt.initial_seed() == 7
        state = mt.get_rng_state()
        assert state.dtype == mt.uint8 and state.ndim == 1
        first = mt.rand(5)
        mt.set_rng_state(state)
        assert mt.equal(mt.rand(5), first)
        new_seed = mt.seed()
        assert mt.initial_seed() == new_seed and 0 <= new_seed < 2 ** 64
        with pytest.raises(TypeError, match="ByteTensor"):
            mt.set_rng_state(mt.zeros(3))
        with pytest.raises(RuntimeError, match="get_rng_state"):
            mt.set_rng_state(mt.zeros(3, dtype=mt.uint8))
    finally:
        mt.set_rng_state(saved)


def test_global_switches() -> None:
    assert not mt.are_deterministic_algorithms_enabled()
    mt.use_deterministic_algorithms(True, warn_only=True)
    try:
        assert mt.are_deterministic_algorithms_enabled()
        assert mt.is_deterministic_algorithms_warn_only_enabled()
    finally:
        mt.use_deterministic_algorithms(False)
    assert not mt.is_anomaly_enabled()
    mt.set_anomaly_enabled(True)
    try:
        assert mt.is_anomaly_enabled()
    finally:
        mt.set_anomaly_enabled(False)
    assert not mt.is_anomaly_enabled()


SAME_AS_F = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
             "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d", "pixel_shuffle",
             "pixel_unshuffle", "rms_norm", "selu", "celu", "prelu", "hardshrink",
             "cosine_similarity", "pairwise_distance"]


@pytest.mark.parametrize("name", SAME_AS_F)
def test_top_level_functional_is_fs(name: str) -> None:
    assert getattr(mt, name) is getattr(F, name)


def test_aten_forms() -> None:
    x = mt.tensor([[-1.0, 2.0, 0.5]])
    assert mt.dropout(x, 0.5, False) is x or mt.equal(mt.dropout(x, 0.5, False), x)
    weight = mt.arange(6.0).reshape(3, 2)
    assert mt.embedding(weight, mt.tensor([2, 0])).tolist() == [[4.0, 5.0], [0.0, 1.0]]
    values, indices = mt.adaptive_max_pool1d(mt.tensor([[[1.0, 3.0, 2.0, 0.0]]]), 2)
    assert values.tolist() == [[[3.0, 2.0]]] and indices.tolist() == [[[1, 2]]]
    loss = mt.hinge_embedding_loss(x, mt.tensor([[1.0, -1.0, 1.0]]))
    assert loss.shape == (1, 3)  # torch.* losses default to reduction 0 ('none')
    assert mt.hinge_embedding_loss(x, mt.tensor([[1.0, -1.0, 1.0]]), 1.0, 2).ndim == 0
    with pytest.raises(TypeError, match="reduction"):
        mt.kl_div(x, x, "mean")
    assert mt.threshold(x, 0.0, -5.0).tolist() == [[-5.0, 2.0, 0.5]]


def test_rrelu_training_slopes_lie_between_the_bounds() -> None:
    x = -mt.ones(1000, dtype=mt.float64)
    slopes = -mt.rrelu(x, 0.1, 0.3, training=True)
    assert 0.1 <= slopes.min().item() and slopes.max().item() <= 0.3
    assert mt.rrelu(mt.tensor([2.0]), training=True).item() == 2.0
