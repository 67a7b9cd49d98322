"""Clear errors (naming the op and the shapes or dtypes), in-place safety, anomaly detection and
numerical stability at extreme inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import microtensor as mt


def _leaf(values, dtype=mt.float64):
    return mt.tensor(values, dtype=dtype, requires_grad=True)


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize(
    "make, pattern",
    [
        (lambda: mt.ones(2, 3) @ mt.ones(4, 5),
         r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied"),
        (lambda: mt.ones(3) @ mt.ones(4), r"matmul: shapes \(3,\) and \(4,\)"),
        (lambda: mt.ones(2, 3, 4) @ mt.ones(3, 4, 5), r"\(2, 3, 4\) and \(3, 4, 5\)"),
        (lambda: mt.tensor(1.0) @ mt.ones(2), r"matmul: .*at least 1-D.*0-D"),
        (lambda: mt.ones(2, 3) + mt.ones(4, 5), r"Add: shapes \(2, 3\) and \(4, 5\) cannot be "
                                                r"broadcast"),
        (lambda: mt.ones(2, 3) * mt.ones(3, 2), r"Mul: shapes \(2, 3\) and \(3, 2\)"),
        (lambda: mt.ones(2, 3) - mt.ones(2, 4), r"Sub: shapes \(2, 3\) and \(2, 4\)"),
        (lambda: mt.ones(2, 3) / mt.ones(2, 4), r"Div: shapes \(2, 3\) and \(2, 4\)"),
        (lambda: mt.ones(2, 3, requires_grad=True) + mt.ones(3, 2, dtype=mt.float64),
         r"Add: shapes \(2, 3\) and \(3, 2\)"),
        (lambda: mt.maximum(mt.ones(2, 3), mt.ones(3)[:2]), r"Maximum: shapes \(2, 3\) and \(2,\)"),
        (lambda: mt.ones(2, 3) < mt.ones(2), r"lt: shapes \(2, 3\) and \(2,\)"),
        (lambda: mt.where(mt.ones(2, 3) > 0, mt.ones(3, 2), 0.0),
         r"where: condition \(2, 3\), input \(3, 2\)"),
        (lambda: mt.cat([mt.ones(2, 3), mt.ones(3, 4)]),
         r"cat: sizes of tensors must match except in dimension 0; got \(2, 3\) at position 0 "
         r"and \(3, 4\) at position 1"),
        (lambda: mt.cat([mt.ones(2, 3), mt.ones(3)], dim=1), r"cat: .*\(2, 3\).*\(3,\)"),
        (lambda: mt.stack([mt.ones(2, 3), mt.ones(3, 2)]),
         r"stack: expects each tensor to be equal size, but got \(2, 3\) at entry 0 and "
         r"\(3, 2\) at entry 1"),
        (lambda: mt.ones(2, 3).reshape(4, 2),
         r"reshape: shape \[4, 2\] is invalid for input of shape \(2, 3\)"),
        (lambda: mt.ones(2, 3).view(5), r"shape \[5\] is invalid for input of shape \(2, 3\)"),
        (lambda: mt.ones(2, 3).expand(4, 3, 3),
         r"expand: the expanded size of the tensor \(3\) must match the existing size \(2\)"),
        (lambda: mt.ones(2, 3).expand(3), r"expand: the number of sizes provided \(1\)"),
        (lambda: mt.ones(2, 3).repeat(2), r"repeat: number of repeat dims \(1\)"),
        (lambda: mt.ones(3).split([1, 1]), r"split: split sizes \[1, 1\] must sum to .* \(3\)"),
        (lambda: mt.ones(2, 3).permute(0, 0), r"permute: dims \(0, 0\) must be a permutation"),
        (lambda: mt.ones(3).add_(mt.ones(2, 3)), r"add_: the result of shape \(2, 3\) doesn't "
                                                 r"match the shape \(3,\)"),
    ],
)
def test_shape_errors_name_the_op_and_shapes(make, pattern):
    with pytest.raises(RuntimeError, match=pattern):
        make()


def test_setitem_shape_errors():
    t = mt.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"__setitem__: a value of shape \(4,\) cannot be "
                                           r"broadcast to the indexed part of shape \(3,\)"):
        t[0] = mt.ones(4)
    with pytest.raises(IndexError, match=r"__setitem__: index 7 is out of bounds.*\(2, 3\)"):
        t[7] = 1.0
    assert t.tolist() == [[0.0] * 3] * 2  # nothing was written


@pytest.mark.parametrize(
    "make, op",
    [
        (lambda t: t.sum(2), "sum"),
        (lambda t: t.sum(-3), "sum"),
        (lambda t: t.mean((0, 5)), "mean"),
        (lambda t: t.max(2), "max"),
        (lambda t: t.min(dim=-3), "min"),
        (lambda t: t.argmax(2), "argmax"),
        (lambda t: t.amax(2), "amax"),
        (lambda t: t.var(2), "var"),
        (lambda t: t.prod(2), "prod"),
        (lambda t: t.logsumexp(2), "logsumexp"),
        (lambda t: t.softmax(2), "softmax"),
        (lambda t: t.log_softmax(-3), "log_softmax"),
        (lambda t: t.transpose(0, 2), "transpose"),
        (lambda t: t.permute(0, 2), "permute"),
        (lambda t: t.unsqueeze(3), "unsqueeze"),
        (lambda t: t.squeeze(2), "squeeze"),
        (lambda t: t.flatten(2), "flatten"),
        (lambda t: t.size(2), "size"),
        (lambda t: mt.cat([t, t], dim=2), "cat"),
        (lambda t: mt.stack([t, t], dim=4), "stack"),
        (lambda t: t.split(1, dim=2), "split"),
        (lambda t: t.chunk(2, dim=-3), "chunk"),
    ],
)
def test_bad_dim_is_an_index_error_naming_the_op(make, op):
    with pytest.raises(IndexError, match=rf"{op}: dimension out of range \(expected to be in "
                                         r"range of \[-\d, \d\], but got -?\d\)"):
        make(mt.ones(2, 3))


def test_indexing_errors():
    t = mt.ones(2, 3)
    with pytest.raises(IndexError, match=r"getitem: index 5 is out of bounds.*\(2, 3\)"):
        t[5]
    with pytest.raises(IndexError, match="too many indices"):
        t[0, 0, 0]
    with pytest.raises(IndexError, match="integer or bool"):
        t[mt.tensor([0.5])]


def test_dtype_errors():
    with pytest.raises(RuntimeError, match=r"only Tensors of floating point dtype can require "
                                           r"gradients.*int64"):
        mt.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="int32"):
        mt.tensor([1, 2], dtype=mt.int32).requires_grad_()
    with pytest.raises(RuntimeError, match="bool"):
        mt.zeros(2, dtype=mt.bool, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"mean: .*int64.*\.float\(\)"):
        mt.tensor([1, 2]).mean()
    with pytest.raises(RuntimeError, match="where: condition must be a bool tensor.*float32"):
        mt.where(mt.ones(2), mt.ones(2), mt.zeros(2))
    with pytest.raises(TypeError, match="not a dtype"):
        mt.zeros(2, dtype="not-a-dtype")
    with pytest.raises(TypeError, match="unsupported operand"):
        mt.ones(2) + "a"


def test_backward_on_non_scalar_without_gradient():
    x = _leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"backward: grad can be implicitly created only for "
                                           r"scalar outputs, but the output has shape \(2,\)"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match=r"grad: .*scalar outputs.*\(2, 1\)"):
        mt.autograd.grad(x.reshape(2, 1) * 2, x)


def test_item_and_bool_of_multi_element_tensors():
    with pytest.raises(RuntimeError, match="3 elements cannot be converted"):
        mt.ones(3).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        if mt.ones(3):
            pass


# --------------------------------------------------------------------------- in-place changes


def test_inplace_on_leaf_requiring_grad_is_refused_outside_no_grad():
    x = _leaf([1.0, 2.0])
    for change, name in [
        (lambda: x.add_(1), "add_"),
        (lambda: x.mul_(2), "mul_"),
        (lambda: x.zero_(), "fill_"),
        (lambda: x.clamp_(0, 1), "clamp_"),
        (lambda: x.copy_(mt.zeros(2)), "copy_"),
        (lambda: x.__setitem__(0, 5.0), "__setitem__"),
        (lambda: x.__iadd__(1.0), "add_"),
        (lambda: x.__imul__(1.0), "mul_"),
    ]:
        with pytest.raises(RuntimeError, match=rf"{name}: a leaf Variable that requires grad .*"
                                               r"no_grad"):
            change()
    assert x.tolist() == [1.0, 2.0]  # nothing was changed
    assert x._version == 0
    with mt.no_grad():
        x.add_(1)
        x[0] = 10.0
    assert x.tolist() == [10.0, 3.0]
    assert x.is_leaf and x.requires_grad


def test_modifying_a_saved_input_makes_backward_raise():
    x = _leaf([1.0, 2.0])
    y = x * x  # saves x
    with mt.no_grad():
        x.add_(1)
    with pytest.raises(RuntimeError, match=r"Mul: one of the variables needed for gradient "
                                           r"computation has been modified by an in-place "
                                           r"operation: a tensor of shape \(2,\).*version 1"):
        y.sum().backward()
    assert x.grad is None  # nothing was accumulated


def test_modifying_a_saved_non_leaf_makes_backward_raise():
    x = _leaf([1.0, 2.0])
    h = x.exp()
    y = h.sin()  # saves h
    with mt.no_grad():
        h.mul_(2)
    with pytest.raises(RuntimeError, match="Sin: .*modified by an in-place operation"):
        y.sum().backward()


def test_modifying_a_saved_output_makes_backward_raise():
    for op, name in [(lambda t: t.exp(), "Exp"), (lambda t: t.sigmoid(), "Sigmoid"),
                     (lambda t: t.tanh(), "Tanh"), (lambda t: t.softmax(0), "Softmax"),
                     (lambda t: t.sqrt(), "Sqrt"), (lambda t: t.relu(), "ReLU")]:
        x = _leaf([1.0, 2.0])
        y = op(x)  # saves its own output
        with mt.no_grad():
            y.mul_(3)
        with pytest.raises(RuntimeError, match=rf"{name}: .*modified by an in-place operation"):
            y.sum().backward()


def test_modifying_memory_shared_through_a_view_makes_backward_raise():
    # the saved array is a view; its base is changed
    x = _leaf([[1.0, 2.0], [3.0, 4.0]])
    base = x * 1
    view = base.T
    y = view * view  # saves the view
    with mt.no_grad():
        base[0, 0] = 100.0
    with pytest.raises(RuntimeError, match="Mul: .*modified by an in-place operation"):
        y.sum().backward()
    # the saved array is a base; a view of it is changed
    x = _leaf([1.0, 2.0])
    base = x * 1
    y = base * base
    with mt.no_grad():
        base.reshape(1, 2).mul_(3)
    with pytest.raises(RuntimeError, match="Mul: .*modified by an in-place operation"):
        y.sum().backward()


def test_parameter_update_between_forward_and_backward_is_detected():
    x = _leaf([1.0, 1.0])
    w = _leaf([[1.0, 2.0], [3.0, 4.0]])
    loss = (x @ w.T).sum()  # MatMul saves a transposed view of w, needed for dL/dx
    with mt.no_grad():
        w -= 0.1
    with pytest.raises(RuntimeError, match="MatMul: .*modified by an in-place operation"):
        loss.backward()


def test_parameter_update_is_ignored_where_no_gradient_needs_the_old_value():
    # as in PyTorch: dL/dw = onesᵀ g does not use w, and the constant needs no gradient
    w = _leaf([[1.0, 2.0], [3.0, 4.0]])
    loss = (mt.ones(2, dtype=mt.float64) @ w.T).sum()
    with mt.no_grad():
        w -= 0.1
    loss.backward()
    assert w.grad.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_modification_through_detach_is_detected():
    x = _leaf([1.0, 2.0])
    y = x.log()
    x.detach().mul_(5)
    with pytest.raises(RuntimeError, match="Log: .*modified"):
        y.sum().backward()


def test_modification_after_backward_does_not_matter():
    x = _leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with mt.no_grad():
        x.add_(1)
    assert x.grad.tolist() == [2.0, 4.0]
    (x * x).sum().backward()  # a new graph records the new values
    assert x.grad.tolist() == [2.0 + 4.0, 4.0 + 6.0]


def test_unsaved_inputs_may_be_modified():
    x = _leaf([1.0, 2.0])
    b = mt.tensor([5.0, 6.0], dtype=mt.float64)
    y = x + b  # Add saves nothing
    b.add_(1)
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_inplace_on_non_leaf_gives_correct_gradients():
    x = _leaf([1.0, 2.0])
    y = x * 2
    y += 1
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]

    x = _leaf([1.0, -2.0])
    y = x * 3
    y.clamp_(min=0)
    y.pow_(2)
    y.sub_(1).div_(2)  # (relu(3x)^2 - 1) / 2
    y.sum().backward()
    assert x.grad.tolist() == [9.0, 0.0]


def test_inplace_that_overwrites_a_value_its_own_backward_needs_raises_like_pytorch():
    x = _leaf([1.0, 2.0])
    y = x * 2
    y.mul_(y)  # mul_ needs the old y for the gradient of its second operand, which it overwrote
    with pytest.raises(RuntimeError, match="Mul: .*modified by an in-place operation.*by mul_"):
        y.sum().backward()


def test_inplace_on_non_leaf_overwriting_values_saved_by_earlier_ops_raises_like_pytorch():
    x = _leaf([1.0, 2.0])
    y = x * 2
    z = y * y  # saves y's values
    y += 1  # writes into y's memory: z's saved values are gone, as in PyTorch
    assert y.tolist() == [3.0, 5.0]
    with pytest.raises(RuntimeError, match=r"Mul: .*was changed by add_ after Mul saved it"):
        (z.sum() + y.sum()).backward()


def test_setitem_gradients():
    x = _leaf([1.0, 2.0, 3.0])
    v = _leaf([10.0])
    y = x * 1
    y[1] = v * 2  # overwrites element 1
    y[mt.tensor([True, False, False])] = 0.0
    (y * mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64)).sum().backward()
    assert y.tolist() == [0.0, 20.0, 3.0]
    assert x.grad.tolist() == [0.0, 0.0, 3.0]  # overwritten positions get no gradient
    assert v.grad.tolist() == [4.0]


def test_setitem_into_a_plain_tensor_makes_it_part_of_the_graph():
    x = _leaf([1.0, 2.0])
    buf = mt.zeros(2, 3, dtype=mt.float64)
    assert not buf.requires_grad
    buf[:, 1] = x
    buf[0, 2] = x[1] * x[1]
    assert buf.requires_grad and not buf.is_leaf
    buf.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0 + 4.0]


def test_setitem_with_advanced_index_accumulates_gradient_of_value():
    v = _leaf([1.0, 2.0])
    y = mt.zeros(4, dtype=mt.float64)
    y[mt.tensor([0, 3])] = v
    (y * mt.arange(4, dtype=mt.float64)).sum().backward()
    assert v.grad.tolist() == [0.0, 3.0]


# --------------------------------------------------------------------------- anomaly detection


def test_detect_anomaly_names_the_op_that_produced_nan_in_forward():
    x = _leaf([-1.0, 2.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        with mt.autograd.detect_anomaly():
            assert mt.autograd.is_anomaly_enabled()
            with pytest.raises(RuntimeError, match=r"detect_anomaly: the forward pass of Log "
                                                   r"produced nan values"):
                x.log()
            with pytest.raises(RuntimeError, match="forward pass of Div produced inf"):
                x / mt.zeros(2, dtype=mt.float64)
    assert not mt.autograd.is_anomaly_enabled()
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.log().detach().numpy()[0])  # without the mode: no check


def test_detect_anomaly_names_the_op_that_produced_inf_in_backward():
    x = _leaf([0.0, 4.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        with mt.autograd.detect_anomaly():
            y = x.sqrt().sum()  # forward is finite: sqrt(0) = 0
            with pytest.raises(RuntimeError, match=r"detect_anomaly: the backward pass of Sqrt "
                                                   r"returned inf values"):
                y.backward()
        # nan in backward: 0 * inf
        x2 = _leaf([0.0, 4.0])
        with mt.autograd.detect_anomaly():
            y = (x2.sqrt() * 0).sum()
            with pytest.raises(RuntimeError, match="backward pass of Sqrt returned nan"):
                y.backward()
        # without the mode, the inf silently arrives in .grad
        x3 = _leaf([0.0, 4.0])
        x3.sqrt().sum().backward()
        assert np.isinf(x3.grad.numpy()[0])


def test_detect_anomaly_is_restored_after_an_error_and_clean_runs_pass():
    x = _leaf([1.0, 4.0])
    with pytest.raises(ValueError):
        with mt.autograd.detect_anomaly():
            raise ValueError
    assert not mt.autograd.is_anomaly_enabled()
    with mt.autograd.detect_anomaly():
        x.sqrt().sum().backward()
    assert x.grad.tolist() == [0.5, 0.25]


# --------------------------------------------------------------------------- numerical stability


@pytest.mark.parametrize("dtype", [mt.float32, mt.float64])
@pytest.mark.parametrize("scale", [1000.0, -1000.0, 1e30])
@pytest.mark.parametrize("name", ["sigmoid", "softmax", "log_softmax", "logsumexp", "tanh",
                                  "softmax_dim0", "logsumexp_all"])
def test_extreme_inputs_give_no_warnings_and_no_nan(name, scale, dtype):
    ops = {
        "sigmoid": lambda t: t.sigmoid(),
        "softmax": lambda t: t.softmax(1),
        "log_softmax": lambda t: t.log_softmax(-1),
        "logsumexp": lambda t: t.logsumexp(1),
        "tanh": lambda t: t.tanh(),
        "softmax_dim0": lambda t: mt.softmax(t, 0),
        "logsumexp_all": lambda t: mt.logsumexp(t, (0, 1)),
    }
    x = mt.tensor([[scale, 0.0, -scale], [scale, scale, scale]], dtype=dtype,
                  requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):
            out = ops[name](x)
            out.backward(mt.ones_like(out))
    assert np.isfinite(out.detach().numpy()).all()
    assert np.isfinite(x.grad.numpy()).all()


def test_extreme_inputs_give_the_right_values():
    x = mt.tensor([1000.0, 0.0, -1000.0], dtype=mt.float64)
    np.testing.assert_allclose(x.sigmoid().numpy(), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(x.softmax(0).numpy(), [1.0, 0.0, 0.0])
    np.testing.assert_allclose(x.log_softmax(0).numpy(), [0.0, -1000.0, -2000.0])
    assert x.logsumexp(0).item() == pytest.approx(1000.0)
    y = mt.tensor([1000.0, 1000.0], dtype=mt.float64)
    assert y.logsumexp(0).item() == pytest.approx(1000.0 + np.log(2.0))


def test_masked_softmax_with_minus_infinity():
    x = mt.tensor([[float("-inf"), 0.0, 1.0]], dtype=mt.float64, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = x.softmax(1)
        (out * mt.tensor([1.0, 2.0, 3.0], dtype=mt.float64)).sum().backward()
    assert out.detach().numpy()[0, 0] == 0.0
    assert np.isfinite(x.grad.numpy()).all()
    assert x.grad.numpy()[0, 0] == 0.0
