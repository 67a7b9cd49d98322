"""Devices, dtypes and tensor plumbing: ``mt.device``, ``Tensor.to``/``cuda``/``cpu``, the CUDA,
backends and accelerator queries, ``mt.Size``, dtype aliases and legacy tensor types,
``type()``, ``new_*``, ``*_like``, memory facts, the number protocol and ``out=``.

Parity of values and errors with PyTorch is in the golden groups ``devices`` and
``devices_factories`` (``tests/golden/cases_devices.py``); these tests check what golden data
cannot hold (reprs, identities, warnings, objects that are not tensors).
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import microtensor as mt
from tests.gradcheck_cases import Case

GRADCHECK_CASES = [
    Case("devices_to_float64", lambda a: a.to(mt.float64) * a, [(2, 3)],
         reference=lambda a: a * a),
    Case("devices_to_device_dtype", lambda a: a.to("cpu", mt.float64, copy=True).exp(), [(3,)],
         reference=np.exp),
    Case("devices_type_as", lambda a, b: a.type_as(b) * b, [(2, 2), (2, 2)],
         reference=lambda a, b: a * b),
    Case("devices_contiguous_copy", lambda a: a.t().contiguous() ** 2, [(2, 3)],
         reference=lambda a: a.T ** 2),
    Case("devices_clone_memory_format",
         lambda a: a.clone(memory_format=mt.contiguous_format) * a, [(4,)],
         reference=lambda a: a * a),
]


# --------------------------------------------------------------------------- mt.device


def test_device_construction_and_fields() -> None:
    cpu = mt.device("cpu")
    assert (cpu.type, cpu.index) == ("cpu", None)
    assert repr(cpu) == "device(type='cpu')"
    assert repr(mt.device("cpu", 0)) == "device(type='cpu', index=0)"
    assert mt.device("cuda:1") == mt.device("cuda", 1)
    assert str(mt.device("cuda:1")) == "cuda:1" and str(cpu) == "cpu"
    assert mt.device(mt.device("cuda", 2)).index == 2
    assert mt.device("cpu") != mt.device("cpu", 0)  # as in PyTorch


def test_device_equals_its_string_and_hashes_alike() -> None:
    # a deliberate difference: PyTorch's device never equals a string
    assert mt.device("cpu") == "cpu" and mt.device("cuda", 1) == "cuda:1"
    assert mt.device("cpu") != "cuda" and mt.device("cpu") != "cpu:0"
    assert {mt.device("cpu"): 1}["cpu"] == 1
    assert mt.zeros(2).device == "cpu" and mt.zeros(2).device == mt.device("cpu")


@pytest.mark.parametrize("args, error, fragment", [
    (("foo",), RuntimeError, "device type at start of device string: foo"),
    (("cpu", -1), RuntimeError, "must not be negative"),
    (("cuda:0", 1), RuntimeError, "must not include an index"),
    (("cuda:x",), RuntimeError, "Invalid device string"),
    (("cpu", "a"), TypeError, "must be int"),
    ((0,), RuntimeError, "Cannot access accelerator device"),
    ((1.5,), TypeError, "must be str"),
])
def test_bad_devices_raise_like_pytorch(args: tuple, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        mt.device(*args)


def test_devices_pickle_and_are_usable_as_keys() -> None:
    assert pickle.loads(pickle.dumps(mt.device("cuda", 3))) == mt.device("cuda", 3)
    assert len({mt.device("cpu"), mt.device("cpu"), mt.device("cpu", 0)}) == 2


# --------------------------------------------------------------------------- placing tensors


def test_tensor_device_is_the_cpu_device_object() -> None:
    x = mt.ones(2)
    assert isinstance(x.device, mt.device) and x.device.type == "cpu"
    assert x.is_cpu and not x.is_cuda and x.get_device() == -1


@pytest.mark.parametrize("make", [
    lambda: mt.ones(2).to("cuda"),
    lambda: mt.ones(2).to(mt.device("cuda", 0)),
    lambda: mt.ones(2).to(device="cuda:0"),
    lambda: mt.ones(2).to("cuda", mt.float64),
    lambda: mt.ones(2).cuda(),
    lambda: mt.zeros(2, device="cuda"),
    lambda: mt.tensor([1.0], device="cuda"),
    lambda: mt.arange(3, device="cuda"),
    lambda: mt.rand(2, device="cuda"),
    lambda: mt.eye(2, device="cuda"),
    lambda: mt.zeros_like(mt.ones(2), device="cuda"),
    lambda: mt.ones(2).new_zeros(2, device="cuda"),
    lambda: mt.Tensor([1.0], device="cuda"),
    lambda: mt.FloatTensor([1.0], device="cuda"),
    lambda: mt.get_default_device() if mt.set_default_device("cuda") is None else None,
])
def test_cuda_raises_the_cpu_only_pytorch_error(make) -> None:
    try:
        with pytest.raises(AssertionError, match="^Torch not compiled with CUDA enabled$"):
            make()
    finally:
        mt.set_default_device(None)


def test_other_accelerators_raise_runtime_errors() -> None:
    with pytest.raises(RuntimeError, match="mps"):
        mt.ones(2).to("mps")
    with pytest.raises(RuntimeError, match="accelerator"):
        mt.ones(2).cuda(0)
    with pytest.raises(RuntimeError, match="device string: banana"):
        mt.ones(2).to("banana")


def test_cpu_placements_are_accepted_everywhere() -> None:
    cpu = mt.device("cpu")
    made = [mt.tensor([1.0], device=cpu), mt.zeros(1, device="cpu"), mt.ones(1, device="cpu:0"),
            mt.full((1,), 2.0, device=cpu), mt.empty(1, device=cpu), mt.rand(1, device=cpu),
            mt.randn(1, device=cpu), mt.randint(3, (1,), device=cpu),
            mt.arange(1, device=cpu), mt.linspace(0, 1, 1, device=cpu), mt.eye(1, device=cpu),
            mt.as_tensor([1.0], device=cpu), mt.randperm(1, device=cpu)]
    like = mt.ones(1)
    made += [fn(like, device=cpu) for fn in (mt.zeros_like, mt.ones_like, mt.empty_like,
                                              mt.rand_like, mt.randn_like)]
    made += [mt.full_like(like, 3, device=cpu), mt.randint_like(like, 2, device=cpu)]
    assert all(t.device == cpu and t.numel() == 1 for t in made)


def test_to_and_cpu_return_self_when_nothing_changes() -> None:
    x = mt.ones(2, requires_grad=True)
    assert x.cpu() is x and x.to("cpu") is x and x.to(mt.float32) is x
    assert x.to(mt.device("cpu"), non_blocking=True) is x and x.to(x) is x
    copied = x.to("cpu", copy=True)
    assert copied is not x and copied.grad_fn is not None
    assert not np.shares_memory(copied.detach().numpy(), x.detach().numpy())


def test_to_forms_give_the_asked_dtype() -> None:
    x = mt.ones(2)
    assert x.to(mt.int64).dtype == mt.int64
    assert x.to(dtype=mt.float64).dtype == mt.float64
    assert x.to("cpu", mt.int32).dtype == mt.int32
    assert x.to(mt.device("cpu"), dtype=mt.int16).dtype == mt.int16
    assert x.to(mt.tensor([True])).dtype == mt.bool
    assert x.to(np.float64).dtype == mt.float64  # NumPy dtypes are microtensor's dtypes
    assert x.to(mt.float64, False, True).dtype == mt.float64  # (dtype, non_blocking, copy)


def test_to_rejects_unknown_keywords_and_too_many_arguments() -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        mt.ones(2).to(colour="red")
    with pytest.raises(TypeError, match="at most"):
        mt.ones(2).to(mt.float64, False, False, False)


# --------------------------------------------------------------------------- cuda & co


def test_cuda_backends_and_accelerator_answer_like_a_cpu_only_build() -> None:
    assert mt.cuda.is_available() is False and mt.cuda.device_count() == 0
    assert mt.cuda.manual_seed(0) is None and mt.cuda.manual_seed_all(0) is None
    assert mt.backends.mps.is_available() is False and mt.backends.mps.is_built() is False
    assert mt.accelerator.is_available() is False
    assert mt.accelerator.current_accelerator() is None
    with pytest.raises(AssertionError, match="CUDA"):
        mt.cuda.current_device()


def test_tutorial_flags_can_be_set() -> None:
    cudnn = mt.backends.cudnn
    before = (cudnn.deterministic, cudnn.benchmark)
    try:
        cudnn.deterministic, cudnn.benchmark = True, False
        assert cudnn.deterministic is True and cudnn.benchmark is False
    finally:
        cudnn.deterministic, cudnn.benchmark = before


def test_the_usual_device_idiom_runs() -> None:
    device = mt.device("cuda" if mt.cuda.is_available() else "cpu")
    model = mt.nn.Linear(3, 2)
    x = mt.randn(4, 3).to(device)
    assert model(x).device == device


def test_default_device() -> None:
    assert mt.get_default_device() == mt.device("cpu")
    mt.set_default_device("cpu")
    assert mt.zeros(1).device == "cpu"
    mt.set_default_device("cuda")  # accepted, as in PyTorch; making a tensor raises
    try:
        with pytest.raises(AssertionError, match="CUDA"):
            mt.zeros(1)
        with pytest.raises(AssertionError, match="CUDA"):
            mt.get_default_device()
    finally:
        mt.set_default_device(None)
    assert mt.zeros(1).device == "cpu"
    with pytest.raises(RuntimeError, match="device string"):
        mt.set_default_device("banana")


# --------------------------------------------------------------------------- Size


def test_shape_and_size_are_sizes() -> None:
    x = mt.zeros(2, 3, 4)
    assert type(x.shape) is mt.Size and type(x.size()) is mt.Size
    assert x.shape == (2, 3, 4) and isinstance(x.shape, tuple)
    assert x.size(1) == 3 and type(x.size(1)) is int
    assert x.shape.numel() == 24 and mt.Size([]).numel() == 1


def test_size_repr_and_formatting() -> None:
    shape = mt.zeros(2, 3).shape
    assert repr(shape) == "microtensor.Size([2, 3])" and str(shape) == repr(shape)
    assert f"{shape}" == "(2, 3)"  # the form microtensor's error messages use
    assert repr(mt.zeros(()).shape) == "microtensor.Size([])"


def test_size_operations_stay_sizes() -> None:
    shape = mt.Size([2, 3, 4])
    assert type(shape[1:]) is mt.Size and shape[1:] == (3, 4)
    assert type(shape[0]) is int
    assert type(shape + (5,)) is mt.Size and shape + (5,) == (2, 3, 4, 5)
    assert type((1,) + shape) is mt.Size and (1,) + shape == (1, 2, 3, 4)
    assert type(mt.Size([2]) * 2) is mt.Size and 2 * mt.Size([2]) == (2, 2)
    assert pickle.loads(pickle.dumps(shape)) == shape
    assert mt.Size([np.int64(2), mt.tensor(3)]) == (2, 3)
    assert np.zeros(mt.Size([2, 1])).shape == (2, 1)


def test_size_rejects_non_integers() -> None:
    with pytest.raises(TypeError, match=r"item 1 is 'float'"):
        mt.Size([2, 2.5])


# --------------------------------------------------------------------------- dtypes


def test_dtype_aliases() -> None:
    assert mt.long is mt.int64 and mt.int is mt.int32 and mt.short is mt.int16
    assert mt.float is mt.float32 and mt.double is mt.float64 and mt.half is mt.float16
    assert mt.char is mt.int8


def test_bfloat16_can_be_named_but_not_used() -> None:
    assert repr(mt.bfloat16) == "microtensor.bfloat16"
    assert mt.bfloat16 != mt.float16
    for make in (lambda: mt.zeros(2, dtype=mt.bfloat16), lambda: mt.ones(2).bfloat16(),
                 lambda: mt.ones(2).to(mt.bfloat16), lambda: mt.tensor([1.0], dtype=mt.bfloat16)):
        with pytest.raises(TypeError, match="bfloat16 is not supported by microtensor"):
            make()


@pytest.mark.parametrize("method, dtype", [
    ("float", mt.float32), ("double", mt.float64), ("half", mt.float16), ("long", mt.int64),
    ("int", mt.int32), ("short", mt.int16), ("char", mt.int8), ("byte", mt.uint8),
    ("bool", mt.bool),
])
def test_conversion_methods(method: str, dtype: np.dtype) -> None:
    x = mt.tensor([0.0, 1.9, 3.0])
    converted = getattr(x, method)()
    assert converted.dtype == dtype
    np.testing.assert_array_equal(converted.numpy(), x.numpy().astype(dtype))


def test_type_names_and_targets() -> None:
    names = {mt.float32: "torch.FloatTensor", mt.float64: "torch.DoubleTensor",
             mt.float16: "torch.HalfTensor", mt.int64: "torch.LongTensor",
             mt.int32: "torch.IntTensor", mt.int16: "torch.ShortTensor",
             mt.int8: "torch.CharTensor", mt.uint8: "torch.ByteTensor",
             mt.bool: "torch.BoolTensor"}
    for dtype, name in names.items():
        assert mt.zeros(1, dtype=dtype).type() == name
        assert mt.zeros(1).type(name).dtype == dtype
    x = mt.ones(2)
    assert x.type(mt.float32) is x
    assert x.type("microtensor.LongTensor").dtype == mt.int64
    assert x.type(mt.IntTensor).dtype == mt.int32
    with pytest.raises(ValueError, match="invalid type: 'foo'"):
        x.type("foo")
    with pytest.raises(AssertionError, match="CUDA"):
        x.type("torch.cuda.FloatTensor")


# --------------------------------------------------------------------------- legacy constructors


def test_legacy_constructors() -> None:
    assert mt.LongTensor([1, 2]).tolist() == [1, 2] and mt.LongTensor([1.7]).tolist() == [1]
    assert mt.FloatTensor(2, 3).shape == (2, 3) and mt.FloatTensor(2, 3).dtype == mt.float32
    assert mt.DoubleTensor(mt.Size([4])).shape == (4,)
    assert mt.ByteTensor([1]).dtype == mt.uint8 and mt.BoolTensor([1, 0]).tolist() == [True, False]
    assert mt.IntTensor().shape == (0,) and mt.HalfTensor([1]).dtype == mt.float16
    assert repr(mt.FloatTensor) == "<class 'microtensor.FloatTensor'>"
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        mt.FloatTensor(-1)
    with pytest.raises(TypeError, match="expected a tensor of dtype float32"):
        mt.FloatTensor(mt.tensor([1, 2]))
    with pytest.raises(TypeError, match="sizes must all be ints"):
        mt.FloatTensor(2, [3])


def test_legacy_types_work_with_isinstance() -> None:
    x = mt.ones(2)
    assert isinstance(x, mt.FloatTensor) and not isinstance(x, mt.LongTensor)
    assert isinstance(x.long(), mt.LongTensor) and isinstance(x.bool(), mt.BoolTensor)
    assert not isinstance(np.ones(2, np.float32), mt.FloatTensor)


def test_tensor_class_legacy_forms() -> None:
    assert mt.Tensor(2, 3).shape == (2, 3) and mt.Tensor(2, 3).dtype == mt.float32
    assert mt.Tensor().shape == (0,)
    assert mt.Tensor([2, 3]).tolist() == [2.0, 3.0]
    assert mt.Tensor((2, 3)).tolist() == [2.0, 3.0]  # a tuple is data, a Size is a shape
    assert mt.Tensor(mt.Size([2, 3])).shape == (2, 3)
    source = mt.tensor([1, 2])
    alias = mt.Tensor(source)
    assert alias.dtype == mt.int64 and np.shares_memory(alias.numpy(), source.numpy())
    with pytest.raises(TypeError, match="data must be a sequence"):
        mt.Tensor(2.0)


# --------------------------------------------------------------------------- new_* and *_like


def test_new_methods_inherit_dtype_and_take_options() -> None:
    x = mt.ones(2, dtype=mt.float64)
    assert x.new_tensor([1, 2]).dtype == mt.float64
    assert x.new_zeros(2, 3).shape == (2, 3) and x.new_zeros((2,)).dtype == mt.float64
    assert x.new_ones([2], dtype=mt.int64).dtype == mt.int64
    assert x.new_empty(()).shape == ()
    ones = x.new_ones(2, requires_grad=True)
    assert ones.requires_grad and ones.is_leaf
    assert mt.ones(2, dtype=mt.int64).new_full((2,), 1.7).tolist() == [1, 1]
    source = mt.tensor([1.0])
    copied = x.new_tensor(source)
    assert not np.shares_memory(copied.numpy(), source.numpy())


def test_like_factories_take_dtype_device_requires_grad() -> None:
    x = mt.ones(2, 3)
    assert mt.zeros_like(x, dtype=mt.int64).dtype == mt.int64
    assert mt.ones_like(x, requires_grad=True).requires_grad
    assert mt.full_like(x, 2, dtype=mt.float64).dtype == mt.float64
    assert mt.rand_like(x, dtype=mt.float64).dtype == mt.float64
    assert mt.randn_like(x).shape == (2, 3)
    values = mt.randint_like(x, 3, 6)
    assert values.dtype == mt.float32 and set(values.numpy().ravel()) <= {3.0, 4.0, 5.0}
    assert mt.randint_like(mt.ones(4, dtype=mt.int64), 2).dtype == mt.int64
    with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):
        mt.rand_like(mt.ones(2, dtype=mt.int64))


def test_as_tensor_with_a_dtype_stays_in_the_graph() -> None:
    x = mt.ones(2, dtype=mt.float64, requires_grad=True)
    assert mt.as_tensor(x) is x
    cast = mt.as_tensor(x, dtype=mt.float32)
    assert cast.dtype == mt.float32 and cast.grad_fn is not None


# --------------------------------------------------------------------------- memory facts


def test_memory_facts() -> None:
    x = mt.zeros(2, 3, dtype=mt.float64)
    assert (x.element_size(), x.itemsize, x.nbytes) == (8, 8, 48)
    assert (x.dim(), x.ndimension(), x.numel(), x.nelement()) == (2, 2, 6, 6)
    assert x.data_ptr() == x.numpy().ctypes.data
    assert x[1].data_ptr() - x.data_ptr() == 24


def test_memory_formats() -> None:
    assert repr(mt.contiguous_format) == "microtensor.contiguous_format"
    x = mt.randn(2, 3, 4, 5)
    assert x.is_contiguous(memory_format=mt.contiguous_format)
    assert not x.is_contiguous(memory_format=mt.channels_last)
    nhwc = x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
    assert nhwc.is_contiguous(memory_format=mt.channels_last) and not nhwc.is_contiguous()
    kept = x.clone(memory_format=mt.channels_last)  # accepted; the copy is row-major
    np.testing.assert_array_equal(kept.numpy(), x.numpy())
    with pytest.raises(RuntimeError, match="required rank 4 tensor"):
        mt.ones(3).contiguous(memory_format=mt.channels_last)
    with pytest.raises(TypeError, match="memory_format must be"):
        x.clone(memory_format="channels_last")


# --------------------------------------------------------------------------- number protocol


def test_number_protocol() -> None:
    assert int(mt.tensor(-2.7)) == -2 and int(mt.tensor([[3.9]])) == 3
    assert float(mt.tensor([1])) == 1.0 and isinstance(float(mt.tensor([1])), float)
    assert [10, 20, 30][mt.tensor([2])] == 30 and [10, 20][mt.tensor(True)] == 20
    assert list(range(mt.tensor(3))) == [0, 1, 2]
    assert bool(mt.tensor([0.0])) is False and bool(mt.tensor(float("nan"))) is True
    assert f"{mt.tensor(2.4567):.2f}" == "2.46" and f"{mt.tensor(3):>3}" == "  3"
    assert int(mt.tensor(2.5, requires_grad=True)) == 2


@pytest.mark.parametrize("convert, error, fragment", [
    (lambda: int(mt.ones(2)), ValueError, "only one element tensors"),
    (lambda: float(mt.ones(0)), ValueError, "only one element tensors"),
    (lambda: [1, 2][mt.tensor(1.0)], TypeError, "only integer tensors of a single element"),
    (lambda: [1, 2][mt.tensor([0, 1])], TypeError, "only integer tensors of a single element"),
    (lambda: bool(mt.ones(2)), RuntimeError, "more than one value is ambiguous"),
    (lambda: bool(mt.ones(0)), RuntimeError, "no values is ambiguous"),
    (lambda: f"{mt.ones(1):.2f}", TypeError, "unsupported format string"),
])
def test_number_protocol_errors(convert, error: type, fragment: str) -> None:
    with pytest.raises(error, match=fragment):
        convert()


def test_number_protocol_leaks_no_numpy_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert int(mt.tensor([[5]])) == 5 and [0, 1][mt.tensor([1])] == 1
        assert float(mt.tensor([[0.5]])) == 0.5 and bool(mt.tensor([[1]]))


# --------------------------------------------------------------------------- out=


def test_out_writes_in_place_and_returns_out() -> None:
    a, b = mt.tensor([1.0, 2.0]), mt.tensor([3.0, 4.0])
    out = mt.zeros(2)
    memory = out.data_ptr()
    assert mt.add(a, b, out=out) is out
    assert out.tolist() == [4.0, 6.0] and out.data_ptr() == memory and out._version == 1
    mt.mul(a, b, out=out)
    assert out.tolist() == [3.0, 8.0] and out._version == 2
    assert mt.matmul(a, b, out=mt.zeros(())).item() == 11.0


def test_out_casts_within_a_category() -> None:
    out = mt.zeros(2, dtype=mt.float64)
    mt.add(mt.tensor([0.1, 0.2]), 1.0, out=out)
    assert out.dtype == mt.float64
    ints = mt.zeros(2, dtype=mt.int32)
    mt.add(mt.tensor([1, 2]), 1, out=ints)
    assert ints.dtype == mt.int32 and ints.tolist() == [2, 3]


def test_out_refuses_a_lower_category_and_autograd() -> None:
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired "
                                           "output type Long"):
        mt.exp(mt.ones(2), out=mt.zeros(2, dtype=mt.int64))
    x = mt.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"add\(\): functions with out=\.\.\. arguments "
                                           "don't support automatic differentiation"):
        mt.add(x, 1.0, out=mt.zeros(2))
    with mt.no_grad():
        assert mt.add(x, 1.0, out=mt.zeros(2)).tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="argument 'out' must be Tensor, not list"):
        mt.add(mt.ones(2), 1.0, out=[0.0, 0.0])


def test_out_of_another_shape_is_resized_with_pytorchs_warning() -> None:
    out = mt.zeros(3)
    with pytest.warns(UserWarning, match=r"had shape \[3\].*required output shape \[2, 2\]"):
        mt.neg(mt.ones(2, 2), out=out)
    assert out.shape == (2, 2) and out.tolist() == [[-1.0, -1.0], [-1.0, -1.0]]
    empty = mt.zeros(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mt.sqrt(mt.ones(4), out=empty)
    assert empty.shape == (4,)


def test_out_of_a_saved_tensor_breaks_the_backward_that_needs_it() -> None:
    w = mt.ones(2, requires_grad=True)
    x = mt.tensor([1.0, 2.0])
    y = (w * x).sum()
    with mt.no_grad():
        mt.mul(x, 2.0, out=x)  # x was saved by the product
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_factories_with_out() -> None:
    out = mt.ones(2, 3, dtype=mt.int64)
    assert mt.zeros(2, 3, out=out) is out and out.dtype == mt.int64 and out.sum().item() == 0
    assert mt.arange(4, out=mt.zeros(4)).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert mt.rand(3, out=mt.zeros(3, dtype=mt.float64)).dtype == mt.float64
    assert mt.randn(3, out=mt.zeros(0)).shape == (3,)
    assert mt.randint(5, (3,), out=mt.zeros(3, dtype=mt.int32)).dtype == mt.int32
    assert mt.eye(2, out=mt.zeros(2, 2, dtype=mt.int64)).tolist() == [[1, 0], [0, 1]]
    assert mt.full((2,), 1.5, out=mt.zeros(2, dtype=mt.int64)).tolist() == [1, 1]
    assert mt.linspace(0, 1, 3, out=mt.zeros(3)).tolist() == [0.0, 0.5, 1.0]
    assert mt.empty(2, out=mt.zeros(2)).shape == (2,)
    assert mt.ones(2, out=mt.zeros(2)).tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match=r"dtype Double does not match dtype of out "
                                           r"parameter \(Float\)"):
        mt.ones(2, dtype=mt.float64, out=mt.zeros(2))


# --------------------------------------------------------------------------- saving


def test_saving_a_whole_module_or_optimizer_says_to_save_the_state_dict(tmp_path) -> None:
    model = mt.nn.Linear(2, 3)
    optimizer = mt.optim.SGD(model.parameters(), lr=0.1)
    for whole in (model, optimizer, {"model": model}):
        with pytest.raises(TypeError, match=r"can't save a whole (Linear|SGD) object.*"
                                            r"state_dict\(\)"):
            mt.save(whole, tmp_path / "x.mt")
    mt.save(model.state_dict(), tmp_path / "x.mt")
    assert set(mt.load(tmp_path / "x.mt")) == {"weight", "bias"}
