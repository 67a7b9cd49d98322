"""Golden cases of the devices family (see ``cases.py`` for the registry and its helpers).

Groups: ``devices`` (dtype conversion methods, ``to``/``type``, devices and their errors, the
Python number protocol, Size and memory facts, the autograd surface) and ``devices_factories``
(factories with ``dtype=``, ``*_like``, ``new_*``, ``out=``).

Facts that are not tensors (a shape, a count, a flag) are returned as small tensors made with
``lib.tensor(...)``, so the golden comparison checks them like any output.
"""

from __future__ import annotations

from typing import Any

inf, nan = float("inf"), float("nan")

# float values whose conversion to an integer dtype is defined (no NaN, inf or out of range)
TRUNCATED = (2.7, -2.7, 0.5, -0.5, 0.0, -0.0, 1000.0, -3.0)


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _conversion_methods()
    _to_and_type()
    _devices()
    _number_protocol()
    _sizes_and_memory()
    _autograd_surface()
    _factories()
    _likes_and_new()
    _out_arguments()


def _conversion_methods() -> None:
    from tests.golden.cases import add, f, ints, mask, vals

    g = "devices"
    for method in ("long", "int", "short", "char"):
        add(g, f"{method}.truncates", lambda lib, x, m=method: getattr(x, m)(),
                 vals(*TRUNCATED))
    add(g, "byte.from_positive", lambda lib, x: x.byte(), vals(0.0, 2.9, 255.0, 17.5))
    add(g, "bool.from_float", lambda lib, x: x.bool(), vals(0.0, -0.0, 0.5, nan, inf, -1e-300))
    add(g, "bool.from_int", lambda lib, x: x.bool(), ints(2, 3, low=-1, high=2))
    add(g, "long.from_bool", lambda lib, x: x.long(), mask(5))
    add(g, "float.from_int", lambda lib, x: x.float(), ints(3, low=-5))
    add(g, "double.from_bool", lambda lib, x: x.double(), mask(2, 2))
    add(g, "half.rounds_and_overflows", lambda lib, x: x.half(),
             vals(1.0, 1e5, -1e5, 1e-9, 0.1, nan, -inf))
    # float <-> float casts are differentiable (first and second derivatives are compared)
    add(g, "float.grad", lambda lib, x: x.float() * 2, f(2, 3))
    add(g, "double.grad_from_float32", lambda lib, x: x.double() ** 2, f(3, dtype="float32"))
    add(g, "double.same_dtype", lambda lib, x: x.double() * x, f(4))
    add(g, "float.0d", lambda lib, x: x.float(), f())
    add(g, "long.empty", lambda lib, x: x.long(), f(0, 3))
    add(g, "long.size1", lambda lib, x: x.long(), vals(-7.9, shape=(1, 1)))
    add(g, "int.nonfinite_to_bool_first", lambda lib, x: x.bool().int(),
             vals(nan, inf, -inf, 0.0))


def _to_and_type() -> None:
    from tests.golden.cases import add, f, ints, vals

    g = "devices"
    add(g, "to.dtype", lambda lib, x: x.to(lib.int64), vals(*TRUNCATED))
    add(g, "to.dtype_keyword", lambda lib, x: x.to(dtype=lib.float32), f(2, 3))
    add(g, "to.device_and_dtype", lambda lib, x: x.to("cpu", lib.float32) * 3, f(3))
    add(g, "to.device_object_and_dtype", lambda lib, x: x.to(lib.device("cpu"), lib.int32),
        vals(1.5, -1.5))
    add(g, "to.device_keyword", lambda lib, x: x.to(device="cpu") * 2, f(2))
    add(g, "to.other_tensor", lambda lib, x, y: x.to(y), vals(*TRUNCATED), ints(2))
    add(g, "to.other_tensor_float", lambda lib, x, y: x.to(y) + y, ints(3), f(3))
    add(g, "to.copy", lambda lib, x: x.to("cpu", copy=True) * 2, f(2, 2))
    add(g, "to.non_blocking", lambda lib, x: x.to(lib.float64, non_blocking=True), f(3))
    add(g, "to.same_dtype_grad", lambda lib, x: x.to(lib.float64) ** 2, f(3))
    add(g, "to.cuda", lambda lib, x: x.to("cuda"), f(2), match="not compiled with CUDA")
    add(g, "to.cuda_device", lambda lib, x: x.to(lib.device("cuda", 0)), f(2),
        match="not compiled with CUDA")
    add(g, "to.mps", lambda lib, x: x.to("mps"), f(2), match="mps")
    add(g, "to.bad_device", lambda lib, x: x.to("banana"), f(2), match="device string: banana")
    add(g, "to.int_device", lambda lib, x: x.to(0), f(2), match="accelerator")
    add(g, "cuda.method", lambda lib, x: x.cuda(), f(2), match="not compiled with CUDA")
    add(g, "type.dtype", lambda lib, x: x.type(lib.int32), vals(*TRUNCATED))
    add(g, "type.name", lambda lib, x: x.type("torch.LongTensor"), vals(*TRUNCATED))
    add(g, "type.legacy_class", lambda lib, x: x.type(lib.DoubleTensor), ints(3))
    add(g, "type.bad_name", lambda lib, x: x.type("torch.BananaTensor"), f(2),
        match="invalid type")
    add(g, "type_as", lambda lib, x, y: x.type_as(y), vals(*TRUNCATED), ints(1))
    add(g, "type_as.grad", lambda lib, x, y: x.type_as(y) * y, f(3), f(3, dtype="float32"))


def _devices() -> None:
    from tests.golden.cases import add, f, ints

    g = "devices"
    add(g, "factory.cpu_device", lambda lib: lib.zeros(2, device="cpu"))
    add(g, "factory.cpu_index", lambda lib: lib.ones(2, device=lib.device("cpu", 0)))
    add(g, "factory.cuda", lambda lib: lib.zeros(2, device="cuda"), match="not compiled with CUDA")
    add(g, "tensor.cuda", lambda lib: lib.tensor([1.0], device="cuda"),
        match="not compiled with CUDA")
    add(g, "arange.cuda", lambda lib: lib.arange(3, device="cuda"), match="not compiled with CUDA")
    add(g, "device.bad", lambda lib: lib.zeros(lib.device("foo").index or 1),
        match="device type at start of device string: foo")
    add(g, "device.negative_index", lambda lib: lib.zeros(lib.device("cpu", -1).index),
        match="must not be negative")
    add(g, "device.index_twice", lambda lib: lib.zeros(lib.device("cuda:0", 1).index),
        match="must not include an index")
    add(g, "device.cpu_is_cpu", lambda lib, x: lib.tensor([
        x.device.type == "cpu", x.device.index is None, x.is_cuda, x.is_cpu,
        lib.device("cuda:1").index == 1, str(lib.device("cpu", 0)) == "cpu:0",
        lib.device("cpu") == lib.device("cpu", 0), x.get_device() == -1]), ints(2))
    add(g, "cpu.method", lambda lib, x: x.cpu() * 2, f(2, 2))
    add(g, "availability", lambda lib: lib.tensor([
        lib.cuda.is_available(), lib.cuda.device_count() == 0,
        lib.backends.mps.is_available(), lib.backends.mps.is_built(),
        lib.accelerator.is_available(), lib.accelerator.current_accelerator() is None]))


def _number_protocol() -> None:
    from tests.golden.cases import add, ints, mask, vals

    g = "devices"
    add(g, "int.0d_truncates", lambda lib, x: lib.tensor([int(x)]), vals(-2.7, shape=()))
    add(g, "int.one_element", lambda lib, x: lib.tensor([int(x)]), vals(2.7, shape=(1, 1)))
    add(g, "int.many", lambda lib, x: lib.tensor([int(x)]), vals(1.0, 2.0),
        match="only one element tensors can be converted to Python scalars")
    add(g, "float.one_element", lambda lib, x: lib.tensor([float(x)]), ints(1, 1))
    add(g, "float.empty", lambda lib, x: lib.tensor([float(x)]), vals(shape=(0,)),
        match="only one element tensors")
    add(g, "index.one_element", lambda lib, x: lib.tensor([[10, 20, 30][x]]),
        vals(1, shape=(1,), dtype="int64"))
    add(g, "index.bool", lambda lib, x: lib.tensor([[10, 20][x]]), vals(True, shape=(),
                                                                        dtype="bool"))
    add(g, "index.float", lambda lib, x: lib.tensor([[10, 20][x]]), vals(1.0, shape=()),
        match="only integer tensors of a single element can be converted to an index")
    add(g, "index.many", lambda lib, x: lib.tensor([[10, 20][x]]), ints(2),
        match="only integer tensors of a single element")
    add(g, "index.range", lambda lib, x: lib.tensor(list(range(x))), vals(3, shape=(),
                                                                         dtype="int64"))
    add(g, "bool.one_element", lambda lib, x: lib.tensor([bool(x), not x]), vals(0.0, shape=(1,)))
    add(g, "bool.nan", lambda lib, x: lib.tensor([bool(x)]), vals(nan, shape=()))
    add(g, "bool.many", lambda lib, x: lib.tensor([bool(x)]), mask(2),
        match="Boolean value of Tensor with more than one value is ambiguous")
    add(g, "bool.empty", lambda lib, x: lib.tensor([bool(x)]), vals(shape=(0,)),
        match="Boolean value of Tensor with no values is ambiguous")
    add(g, "format.0d", lambda lib, x: lib.tensor([float(f"{x:.2f}")]), vals(2.4567, shape=()))
    add(g, "format.one_element", lambda lib, x: lib.tensor([float(f"{x:.2f}")]),
        vals(2.4567, shape=(1,)), match="unsupported format string")


def _sizes_and_memory() -> None:
    from tests.golden.cases import add, f, ints, mask

    g = "devices"
    add(g, "size.as_tensor", lambda lib, x: lib.tensor(x.shape), f(2, 3, 4))
    add(g, "size.method", lambda lib, x: lib.tensor(x.size()), f(0, 3))
    add(g, "size.slice_and_numel", lambda lib, x: lib.tensor(
        [x.shape[1:].numel(), x.size()[-2:].numel(), len(x.shape[:0]), x.shape.numel()]),
        f(2, 3, 4))
    add(g, "size.0d", lambda lib, x: lib.tensor([len(x.shape), x.shape.numel()]), f())
    add(g, "size.concatenate", lambda lib, x: lib.zeros(x.shape + (2,)), f(2, 1))
    add(g, "size.construct", lambda lib: lib.tensor(list(lib.Size([2, 3]) * 2)))
    add(g, "size.construct_bad", lambda lib: lib.zeros(lib.Size([2.5])),
        match="takes an iterable of 'int'")
    add(g, "size.dim_out_of_range", lambda lib, x: lib.tensor(x.size(3)), f(2, 3),
        match="out of range")
    add(g, "memory.float32", lambda lib, x: lib.tensor(
        [x.element_size(), x.nbytes, x.itemsize, x.dim(), x.ndimension(), x.nelement()]),
        f(2, 3, dtype="float32"))
    add(g, "memory.int64", lambda lib, x: lib.tensor(
        [x.element_size(), x.nbytes, x.itemsize, x.nelement()]), ints(5))
    add(g, "memory.bool_empty", lambda lib, x: lib.tensor(
        [x.element_size(), x.nbytes, x.nelement()]), mask(0, 4))
    add(g, "contiguous.transpose", lambda lib, x: lib.tensor(
        [x.is_contiguous(), x.t().is_contiguous(), x.t().contiguous().is_contiguous(),
         x.is_contiguous(memory_format=lib.contiguous_format)]), f(2, 3))
    add(g, "contiguous.copy_grad", lambda lib, x: x.t().contiguous() * 2, f(2, 3))
    add(g, "contiguous.memory_format", lambda lib, x: x.contiguous(
        memory_format=lib.contiguous_format) + 1, f(3))
    add(g, "clone.memory_formats", lambda lib, x: x.clone(memory_format=lib.preserve_format)
        * x.clone(memory_format=lib.contiguous_format), f(2, 2))
    add(g, "channels_last.nchw_is_not", lambda lib, x: lib.tensor(
        [x.is_contiguous(memory_format=lib.channels_last),
         x.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).is_contiguous(
             memory_format=lib.channels_last)]), f(2, 3, 4, 5))
    add(g, "data_ptr.view_offset", lambda lib, x: lib.tensor(
        [x[1:].data_ptr() - x.data_ptr(), x[:, 2:].data_ptr() - x.data_ptr()]),
        f(3, 4, dtype="float32"))


def _autograd_surface() -> None:
    from tests.golden.cases import add, const, f

    g = "devices"

    def count(node: Any) -> Any:
        return [n is None for n, _ in node.next_functions]

    add(g, "next_functions.mul", lambda lib, a, b: lib.tensor(count((a * b).grad_fn)), f(3), f(3))
    add(g, "next_functions.scalar_mul", lambda lib, b: lib.tensor(count((2 * b).grad_fn)), f(3))
    add(g, "next_functions.add_scalar", lambda lib, a: lib.tensor(count((a + 1).grad_fn)), f(3))
    add(g, "next_functions.constant_first", lambda lib, c, a: lib.tensor(count((c + a).grad_fn)),
        const(3), f(3))
    add(g, "next_functions.sum", lambda lib, a: lib.tensor(count(a.sum().grad_fn)), f(2, 3))
    add(g, "next_functions.exp", lambda lib, a: lib.tensor(count(a.exp().grad_fn)), f(2))
    add(g, "next_functions.cat", lambda lib, a, c, b: lib.tensor(count(lib.cat([a, c, b]).grad_fn)),
        f(2), const(2), f(2))
    add(g, "next_functions.index", lambda lib, a: lib.tensor(
        [n is None for n, index in (a * a).grad_fn.next_functions] + [
            (a * a).grad_fn.next_functions[0][1]]), f(3))
    add(g, "next_functions.accumulate_same_node", lambda lib, a, b: lib.tensor(
        [(a * b).grad_fn.next_functions[0][0] is (a + b).grad_fn.next_functions[0][0],
         (a * b).grad_fn.next_functions[1][0].variable is b,
         len((a * b).grad_fn.next_functions[0][0].next_functions) == 0]), f(2), f(2))
    add(g, "next_functions.chain", lambda lib, a: lib.tensor(
        [(a * 2).exp().grad_fn.next_functions[0][0] is not None]), f(2))
    add(g, "variable.alias", lambda lib, x: _variable_facts(lib, x), const(3))
    add(g, "variable.not_a_tensor", lambda lib: lib.autograd.Variable([1.0, 2.0]),
        match="Variable data has to be a tensor")
    add(g, "retain_grad.nonleaf", lambda lib, x: _retained_grad(lib, x), f(3))


def _variable_facts(lib: Any, x: Any) -> Any:
    """``Variable(x)``: a new tensor on x's memory, a leaf, requiring grad only if asked."""
    v = lib.autograd.Variable(x, requires_grad=True)
    plain = lib.autograd.Variable(x)
    return lib.tensor([v is x, v.requires_grad, v.is_leaf, plain.requires_grad,
                       v.data_ptr() == x.data_ptr()])


def _retained_grad(lib: Any, x: Any) -> Any:
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward(create_graph=False)
    return y.grad


def _factories() -> None:
    from tests.golden.cases import add, f

    g = "devices_factories"
    add(g, "zeros.int64", lambda lib: lib.zeros(2, 3, dtype=lib.int64))
    add(g, "ones.bool", lambda lib: lib.ones((2, 2), dtype=lib.bool))
    add(g, "ones.float64_0d", lambda lib: lib.ones((), dtype=lib.float64))
    add(g, "zeros.size0", lambda lib: lib.zeros(0, 3, dtype=lib.int32))
    add(g, "empty.dtype_and_shape", lambda lib: lib.empty(2, 0, dtype=lib.int16))
    add(g, "full.int_fill", lambda lib: lib.full((2,), 7))
    add(g, "full.bool_fill", lambda lib: lib.full((3,), True))
    add(g, "full.float_fill", lambda lib: lib.full((2, 1), 1.5))
    add(g, "full.dtype_truncates", lambda lib: lib.full((2,), 2.9, dtype=lib.int32))
    add(g, "full.nonfinite", lambda lib: lib.full((2,), -inf, dtype=lib.float64))
    add(g, "arange.int", lambda lib: lib.arange(5))
    add(g, "arange.float_step", lambda lib: lib.arange(0, 1, 0.25))
    add(g, "arange.dtype", lambda lib: lib.arange(1, 7, 2, dtype=lib.float64))
    add(g, "arange.empty", lambda lib: lib.arange(3, 3))
    add(g, "arange.negative_step", lambda lib: lib.arange(5, 0, -2))
    add(g, "linspace.float64", lambda lib: lib.linspace(-1, 1, 5, dtype=lib.float64))
    add(g, "linspace.one_step", lambda lib: lib.linspace(2, 3, 1))
    add(g, "eye.int", lambda lib: lib.eye(3, dtype=lib.int64))
    add(g, "eye.rectangular", lambda lib: lib.eye(2, 4))
    add(g, "tensor.dtype", lambda lib: lib.tensor([1.7, -1.7], dtype=lib.int64))
    add(g, "tensor.bool_list", lambda lib: lib.tensor([True, False]))
    add(g, "tensor.requires_grad_int", lambda lib: lib.tensor([1, 2], requires_grad=True),
        match="floating point")
    add(g, "as_tensor.dtype", lambda lib, x: lib.as_tensor(x, dtype=lib.float32), f(3))
    add(g, "legacy.long", lambda lib: lib.LongTensor([1, 2, 3]))
    add(g, "legacy.long_truncates", lambda lib: lib.LongTensor([1.7, -2.5]))
    add(g, "legacy.float_shape", lambda lib: lib.zeros_like(lib.FloatTensor(2, 3)))
    add(g, "legacy.double", lambda lib: lib.DoubleTensor([0.5]))
    add(g, "legacy.int_bool_byte", lambda lib: lib.IntTensor([3]) + lib.ByteTensor([4])
        + lib.BoolTensor([True]))
    add(g, "legacy.empty", lambda lib: lib.FloatTensor())
    add(g, "legacy.negative_size", lambda lib: lib.FloatTensor(-1), match="negative dimension")
    add(g, "legacy.isinstance", lambda lib, x: lib.tensor(
        [isinstance(x, lib.FloatTensor), isinstance(x, lib.LongTensor),
         isinstance(x.double(), lib.DoubleTensor), isinstance(x.long(), lib.LongTensor)]),
        f(2, dtype="float32"))
    add(g, "Tensor.sizes", lambda lib: lib.zeros_like(lib.Tensor(2, 3)))
    add(g, "Tensor.data", lambda lib: lib.Tensor([2, 3]))
    add(g, "Tensor.float_scalar", lambda lib: lib.Tensor(2.0), match="data must be a sequence")


def _likes_and_new() -> None:
    from tests.golden.cases import add, f, ints

    g = "devices_factories"
    add(g, "zeros_like.dtype", lambda lib, x: lib.zeros_like(x, dtype=lib.int64, device="cpu"),
        f(2, 3))
    add(g, "ones_like.int_keeps", lambda lib, x: lib.ones_like(x), ints(3))
    add(g, "full_like.int_truncates", lambda lib, x: lib.full_like(x, 2.7), ints(2, 2))
    add(g, "full_like.dtype", lambda lib, x: lib.full_like(x, 2.7, dtype=lib.float64), ints(2))
    add(g, "empty_like.dtype", lambda lib, x: lib.zeros_like(lib.empty_like(x, dtype=lib.bool)),
        f(0, 2))
    add(g, "rand_like.dtype", lambda lib, x: lib.rand_like(x, dtype=lib.float64) * 0, f(3))
    add(g, "rand_like.int", lambda lib, x: lib.rand_like(x), ints(3), match="not implemented")
    add(g, "randint_like.float_input", lambda lib, x: lib.randint_like(x, 1) + x * 0, f(4))
    add(g, "randint_like.low_high", lambda lib, x: lib.randint_like(x, 3, 4), ints(2, 2))
    add(g, "ones_like.requires_grad", lambda lib, x: lib.ones_like(x, requires_grad=True) * 2,
        f(2))
    add(g, "ones_like.channels_last", lambda lib, x: lib.ones_like(
        x, memory_format=lib.channels_last), f(3), match="required rank 4 tensor")
    add(g, "ones_like.channels_last_4d", lambda lib, x: lib.ones_like(
        x, memory_format=lib.channels_last), f(1, 2, 2, 3))
    add(g, "clone.channels_last_4d", lambda lib, x: x.clone(memory_format=lib.channels_last) * x,
        f(1, 2, 2, 2))
    add(g, "new_tensor.keeps_dtype", lambda lib, x: x.new_tensor([1, 2]), f(2))
    add(g, "new_tensor.dtype", lambda lib, x: x.new_tensor([1.5, 2.5], dtype=lib.int32), f(2))
    add(g, "new_zeros.shape_args", lambda lib, x: x.new_zeros(2, 3), ints(1))
    add(g, "new_zeros.tuple_dtype", lambda lib, x: x.new_zeros((2,), dtype=lib.bool), f(1))
    add(g, "new_ones.requires_grad", lambda lib, x: x.new_ones([2], requires_grad=True) * x, f(2))
    add(g, "new_full.casts", lambda lib, x: x.new_full((2,), 1.7), ints(3))
    add(g, "new_empty.shape", lambda lib, x: lib.zeros_like(x.new_empty(())), f(2))
    add(g, "new_empty.size0", lambda lib, x: x.new_empty(0, 2), ints(1))


def _out_arguments() -> None:
    from tests.golden.cases import add, const, f, ints, vals

    g = "devices_factories"
    add(g, "out.add", lambda lib, a, b: lib.add(a, b, out=lib.zeros(3)), const(3), const(3))
    add(g, "out.add_returns_out", lambda lib, a: _out_identity(lib, a), const(3))
    add(g, "out.wider_dtype", lambda lib, a, b: lib.mul(a, b, out=lib.zeros(2, dtype=lib.float64)),
        const(2), const(2))
    add(g, "out.int_narrower", lambda lib, a: lib.add(a, 1, out=lib.zeros(3, dtype=lib.int32)),
        ints(3))
    add(g, "out.float_to_int", lambda lib, a: lib.exp(a, out=lib.zeros(3, dtype=lib.int64)),
        const(3), match="can't be cast to the desired output type Long")
    add(g, "out.int_to_bool", lambda lib, a: lib.add(a, 1, out=lib.zeros(3, dtype=lib.bool)),
        ints(3), match="result type Long can't be cast to the desired output type Bool")
    add(g, "out.requires_grad_input", lambda lib, a: lib.add(a, a, out=lib.zeros(2)), f(2),
        match="don't support automatic differentiation")
    add(g, "out.requires_grad_out", lambda lib, a: lib.add(
        a, a, out=lib.zeros(2, requires_grad=True)), const(2),
        match="don't support automatic differentiation")
    add(g, "out.not_a_tensor", lambda lib, a: lib.sub(a, a, out=[0.0, 0.0]), const(2),
        match="argument 'out' must be Tensor")
    add(g, "out.resized_empty", lambda lib, a: lib.neg(a, out=lib.zeros(0, dtype=lib.float64)),
        const(2, 2), check_warnings=True)
    add(g, "out.exact_dtype", lambda lib, a: lib.abs(a, out=lib.zeros(3)), const(3),
        match="Found dtype Float but expected Double")
    add(g, "out.exact_dtype_matmul", lambda lib, a, b: lib.matmul(a, b, out=lib.zeros(())),
        const(3), const(3))
    add(g, "out.where", lambda lib, a, b: lib.where(a > 0, a, b, out=lib.zeros(
        3, dtype=lib.float64)), const(3), const(3))
    add(g, "out.no_grad", lambda lib, a: _under_no_grad(lib, lambda: lib.sqrt(
        a.abs(), out=lib.zeros(3))), f(3))
    add(g, "out.unary_ops", lambda lib, a: lib.stack([
        op(a, out=lib.zeros(3, dtype=lib.float64))
        for op in (lib.exp, lib.log, lib.sqrt, lib.abs, lib.neg, lib.sin, lib.cos, lib.tanh,
                   lib.sigmoid, lib.sign)]),
        vals(0.5, 2.0, 1.0, grad=False))
    add(g, "out.binary_ops", lambda lib, a, b: lib.stack([
        lib.sub(a, b, alpha=2, out=lib.zeros(3)), lib.div(a, b, out=lib.zeros(3)),
        lib.pow(a, 2, out=lib.zeros(3)), lib.maximum(a, b, out=lib.zeros(3)),
        lib.minimum(a, b, out=lib.zeros(3)),
        lib.clamp(a, -0.5, 0.5, out=lib.zeros(3, dtype=lib.float64)).float()]),
        const(3), const(3))
    add(g, "out.matmul", lambda lib, a, b: lib.matmul(a, b, out=lib.zeros(
        2, 4, dtype=lib.float64)), const(2, 3), const(3, 4))
    add(g, "out.matmul_vector", lambda lib, a, b: lib.matmul(a, b, out=lib.zeros(
        0, dtype=lib.float64)), const(3), const(3, 2))
    add(g, "out.zeros_takes_out_dtype", lambda lib: lib.zeros(2, 3, out=lib.ones(
        2, 3, dtype=lib.int64)))
    add(g, "out.ones_dtype_mismatch", lambda lib: lib.ones(2, dtype=lib.float64,
                                                             out=lib.zeros(2)),
        match="does not match dtype of out parameter")
    add(g, "out.arange", lambda lib: lib.arange(5, out=lib.zeros(5)))
    add(g, "out.full", lambda lib: lib.full((2,), 1.5, out=lib.zeros(2, dtype=lib.int64)))
    add(g, "out.linspace", lambda lib: lib.linspace(0, 1, 5, out=lib.zeros(5, dtype=lib.float64)))
    add(g, "out.eye", lambda lib: lib.eye(2, out=lib.zeros(2, 2, dtype=lib.int64)))
    add(g, "out.rand_dtype", lambda lib: lib.rand(2, out=lib.zeros(2, dtype=lib.float64)) * 0)
    add(g, "out.randint_dtype", lambda lib: lib.randint(5, (3,), out=lib.zeros(
        3, dtype=lib.int32)) * 0)
    add(g, "out.factory_requires_grad", lambda lib: lib.zeros(
        2, out=lib.zeros(2, requires_grad=True)), match="don't support automatic differentiation")


def _out_identity(lib: Any, a: Any) -> Any:
    out = lib.zeros(3)
    result = lib.add(a, 2.0, out=out)
    return lib.tensor([result is out, out._version > 0])


def _under_no_grad(lib: Any, compute: Any) -> Any:
    with lib.no_grad():
        return compute()
