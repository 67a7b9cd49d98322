"""Golden cases of the 1-d, transposed and resampling convolution family (see ``cases.py`` for
the registry and its helpers).

Groups: ``conv2`` (conv1d and the Conv1d layer's padding modes), ``conv2_transpose``
(conv_transpose1d/2d, ConvTranspose2d's output_size), ``conv2_fold`` (unfold, fold),
``conv2_pool`` (max/avg_pool1d, adaptive pooling, max_unpool2d), ``conv2_pool_rules`` (integer
and bool inputs of every pooling, adaptive average pooling to 1x1) and ``conv2_resample``
(interpolate, pixel_shuffle/unshuffle, dropout in eval mode and at p = 0 or 1).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

inf, nan = float("inf"), float("nan")
FIRST_ORDER = {"double": False}  # built on the conv/pool kernels: first-order gradients only


def register() -> None:
    """Append this family's cases to ``cases.CASES`` (called once, from ``cases.py``)."""
    _conv1d()
    _conv1d_layer()
    _transposed()
    _fold()
    _pool1d()
    _adaptive()
    _pool_rules()
    _unpool()
    _interpolate()
    _shuffle_and_dropout()


def _F(op: str, *args: Any, **kwargs: Any) -> Callable[..., Any]:
    return lambda lib, *xs: getattr(lib.nn.functional, op)(*xs, *args, **kwargs)


def _conv1d() -> None:
    from tests.golden.cases import add, f

    g = "conv2"
    x, w, b = f(2, 4, 9), f(6, 2, 3), f(6)
    add(g, "conv1d.basic", _F("conv1d"), f(2, 3, 7), f(5, 3, 3), f(5), **FIRST_ORDER)
    add(g, "conv1d.no_bias", _F("conv1d"), f(2, 3, 7), f(5, 3, 2), **FIRST_ORDER)
    add(g, "conv1d.groups_stride_pad_dilation",
        _F("conv1d", stride=2, padding=1, dilation=2, groups=2), x, w, b, **FIRST_ORDER)
    add(g, "conv1d.same_even_kernel", _F("conv1d", padding="same"), f(1, 2, 6), f(3, 2, 4),
        **FIRST_ORDER)
    add(g, "conv1d.same_dilation", _F("conv1d", padding="same", dilation=3), f(1, 2, 8),
        f(3, 2, 3), f(3), **FIRST_ORDER)
    add(g, "conv1d.valid", _F("conv1d", padding="valid"), f(2, 3, 5), f(4, 3, 5), f(4),
        **FIRST_ORDER)
    add(g, "conv1d.stride_over_kernel", _F("conv1d", stride=4), f(2, 3, 11), f(2, 3, 2),
        **FIRST_ORDER)
    add(g, "conv1d.tuple_args", _F("conv1d", stride=(2,), padding=(1,), dilation=(1,)),
        f(1, 3, 6), f(2, 3, 3), **FIRST_ORDER)
    add(g, "conv1d.unbatched", _F("conv1d", padding=1), f(3, 7), f(4, 3, 3), f(4),
        **FIRST_ORDER)
    add(g, "conv1d.empty_batch", _F("conv1d"), f(0, 3, 7), f(4, 3, 3), f(4), **FIRST_ORDER)
    add(g, "conv1d.length1", _F("conv1d"), f(2, 3, 1), f(4, 3, 1), f(4), **FIRST_ORDER)
    add(g, "conv1d.float32", _F("conv1d"), f(2, 3, 6, dtype="float32"),
        f(2, 3, 2, dtype="float32"), **FIRST_ORDER)
    add(g, "conv1d.1d_input", _F("conv1d"), f(5), f(4, 1, 3), match="conv1d", **FIRST_ORDER)
    add(g, "conv1d.channel_mismatch", _F("conv1d"), f(1, 2, 5), f(4, 3, 3), match="channels",
        **FIRST_ORDER)
    add(g, "conv1d.kernel_too_large", _F("conv1d"), f(1, 2, 5), f(4, 2, 7), **FIRST_ORDER)
    add(g, "conv1d.4d_weight", _F("conv1d"), f(1, 2, 5), f(4, 2, 3, 3), **FIRST_ORDER)
    add(g, "conv1d.pair_stride", _F("conv1d", stride=(1, 2)), f(1, 2, 5), f(4, 2, 3),
        match="stride", **FIRST_ORDER)
    add(g, "conv1d.same_strided", _F("conv1d", padding="same", stride=2), f(1, 2, 5),
        f(4, 2, 3), match="strided", **FIRST_ORDER)


def _conv1d_layer() -> None:
    from tests.golden.cases import add, f

    g = "conv2"
    for mode in ("reflect", "replicate", "circular"):
        add(g, f"Conv1d.{mode}", lambda lib, x, w, b, mode=mode: _padded_conv1d(lib, x, w, b, mode),
            f(2, 3, 7), f(4, 3, 3), f(4), **FIRST_ORDER)
    add(g, "Conv1d.same_circular",
        lambda lib, x, w, b: _padded_conv1d(lib, x, w, b, "circular", padding="same"),
        f(1, 3, 6), f(2, 3, 4), f(2), **FIRST_ORDER)


def _padded_conv1d(lib: Any, x: Any, w: Any, b: Any, mode: str, padding: Any = 2) -> Any:
    """F.conv1d of the layer's explicit padding: what nn.Conv1d(padding_mode=mode) computes,
    written with the functional API both libraries share (so the weights are the case's)."""
    k = w.shape[2]
    if padding == "same":
        total = k - 1
        pads = [total // 2, total - total // 2]
    else:
        pads = [padding, padding]
    return lib.nn.functional.conv1d(lib.nn.functional.pad(x, pads, mode=mode), w, b)


def _transposed() -> None:
    from tests.golden.cases import add, f

    g = "conv2_transpose"
    t2, t1 = "conv_transpose2d", "conv_transpose1d"
    add(g, "2d.basic", _F(t2), f(2, 4, 5, 6), f(4, 3, 3, 3), f(3), **FIRST_ORDER)
    add(g, "2d.no_bias", _F(t2), f(1, 2, 4, 4), f(2, 3, 2, 2), **FIRST_ORDER)
    add(g, "2d.stride_pad_outpad_groups_dilation",
        _F(t2, None, 2, 1, 1, 2, (1, 2)), f(2, 4, 5, 6), f(4, 3, 3, 2), **FIRST_ORDER)
    add(g, "2d.keywords", _F(t2, stride=(3, 2), padding=(0, 1), output_padding=(2, 1)),
        f(2, 4, 3, 4), f(4, 3, 3, 2), f(3), **FIRST_ORDER)
    add(g, "2d.outpad_below_dilation", _F(t2, stride=1, dilation=3, output_padding=2),
        f(1, 2, 4, 4), f(2, 3, 2, 2), **FIRST_ORDER)
    add(g, "2d.stride_over_kernel", _F(t2, stride=4), f(1, 2, 3, 3), f(2, 3, 2, 2), f(3),
        **FIRST_ORDER)
    add(g, "2d.groups_bias", _F(t2, stride=2, groups=2), f(2, 4, 3, 3), f(4, 1, 3, 3), f(2),
        **FIRST_ORDER)
    add(g, "2d.unbatched", _F(t2, stride=2), f(2, 4, 4), f(2, 3, 2, 2), f(3), **FIRST_ORDER)
    add(g, "2d.empty_batch", _F(t2, stride=2), f(0, 2, 4, 4), f(2, 3, 2, 2), f(3),
        **FIRST_ORDER)
    add(g, "2d.one_pixel", _F(t2), f(2, 3, 1, 1), f(3, 2, 3, 3), f(2), **FIRST_ORDER)
    add(g, "2d.float32", _F(t2, stride=2), f(1, 2, 3, 3, dtype="float32"),
        f(2, 2, 2, 2, dtype="float32"), **FIRST_ORDER)
    add(g, "2d.bad_output_padding", _F(t2, stride=2, output_padding=2), f(1, 2, 5, 5),
        f(2, 3, 3, 3), match="output padding must be smaller", **FIRST_ORDER)
    add(g, "2d.channel_mismatch", _F(t2), f(1, 2, 5, 5), f(3, 3, 3, 3), match="channels",
        **FIRST_ORDER)
    add(g, "2d.output_too_small", _F(t2, padding=5), f(1, 2, 5, 5), f(2, 3, 3, 3),
        match="too small", **FIRST_ORDER)
    add(g, "2d.2d_input", _F(t2), f(5, 5), f(2, 3, 3, 3), match="conv_transpose2d",
        **FIRST_ORDER)
    add(g, "2d.bias_size", _F(t2), f(1, 4, 5, 5), f(4, 3, 3, 3), f(4), match="bias",
        **FIRST_ORDER)
    add(g, "1d.basic", _F(t1), f(2, 4, 7), f(4, 3, 3), f(3), **FIRST_ORDER)
    add(g, "1d.all_args", _F(t1, None, 2, 1, 1, 2, 2), f(2, 4, 7), f(4, 3, 3), **FIRST_ORDER)
    add(g, "1d.unbatched", _F(t1, stride=3), f(4, 5), f(4, 2, 3), f(2), **FIRST_ORDER)
    add(g, "1d.empty_batch", _F(t1), f(0, 4, 5), f(4, 2, 3), **FIRST_ORDER)
    add(g, "1d.2d_weight", _F(t1), f(1, 4, 5), f(4, 2), **FIRST_ORDER)
    add(g, "layer.output_size", _transpose_layer((9, 11)), f(1, 2, 4, 5), **FIRST_ORDER)
    add(g, "layer.output_size_full", _transpose_layer((1, 3, 10, 12)), f(1, 2, 4, 5),
        **FIRST_ORDER)
    add(g, "layer.output_size_bad", _transpose_layer((12, 12)), f(1, 2, 4, 5),
        match="output size", **FIRST_ORDER)


def _transpose_layer(size: tuple[int, ...]) -> Callable[..., Any]:
    """ConvTranspose2d(2, 3, 3, stride=3, padding=1) with constant weights, forward(x, size)."""
    def run(lib: Any, x: Any) -> Any:
        layer = lib.nn.ConvTranspose2d(2, 3, 3, stride=3, padding=1, dtype=lib.float64)
        with lib.no_grad():
            layer.weight.fill_(0.25)
            layer.bias.fill_(-0.5)
        return layer(x, output_size=size)
    return run


def _fold() -> None:
    from tests.golden.cases import add, f, vals

    g = "conv2_fold"
    add(g, "unfold.basic", _F("unfold", 2), f(2, 3, 4, 5))
    add(g, "unfold.all_args", _F("unfold", (2, 3), (2, 1), 1, (2, 3)), f(2, 3, 6, 7))
    add(g, "unfold.keywords", _F("unfold", kernel_size=3, padding=1, stride=2), f(1, 2, 5, 5))
    add(g, "unfold.unbatched", _F("unfold", 2), f(3, 4, 4))
    add(g, "unfold.empty_batch", _F("unfold", 2), f(0, 3, 4, 4))
    add(g, "unfold.kernel_1x1", _F("unfold", 1), f(1, 2, 3, 3))
    add(g, "unfold.stride_over_kernel", _F("unfold", 2, stride=3), f(1, 2, 7, 8))
    add(g, "unfold.nonfinite", _F("unfold", 2),
        vals(1.0, inf, -inf, nan, 0.0, -0.0, 2.0, 3.0, 4.0, shape=(1, 1, 3, 3)), double=False)
    add(g, "unfold.float32", _F("unfold", 2), f(1, 2, 3, 3, dtype="float32"))
    add(g, "unfold.kernel_too_large", _F("unfold", 7), f(1, 2, 5, 5), match="sliding blocks")
    add(g, "unfold.2d_input", _F("unfold", 2), f(5, 5))
    add(g, "unfold.empty_channels", _F("unfold", 2), f(1, 0, 5, 5), match="non-zero")
    add(g, "fold.basic", _F("fold", (5, 5), 2), f(1, 8, 16))
    add(g, "fold.all_args", _F("fold", (5, 6), (2, 3), (2, 1), 1, (2, 3)), f(2, 12, 6))
    add(g, "fold.int_size", _F("fold", 5, 2), f(2, 8, 16))
    add(g, "fold.unbatched", _F("fold", (5, 5), 2), f(8, 16))
    add(g, "fold.empty_batch", _F("fold", (5, 5), 2), f(0, 8, 16))
    add(g, "fold.stride_over_kernel", _F("fold", (7, 8), 2, stride=3), f(1, 8, 6))
    add(g, "fold.float32", _F("fold", (3, 3), 2), f(1, 4, 4, dtype="float32"))
    add(g, "fold.rows_not_divisible", _F("fold", (5, 5), 2), f(1, 7, 16), match="divisible")
    add(g, "fold.wrong_blocks", _F("fold", (5, 5), 2), f(1, 8, 15), match="sliding blocks")
    add(g, "fold.4d_input", _F("fold", (5, 5), 2), f(2, 1, 8, 16), match="2D or 3D")
    add(g, "fold_of_unfold", lambda lib, x: lib.nn.functional.fold(
        lib.nn.functional.unfold(x, 3, padding=1), (4, 5), 3, padding=1), f(2, 2, 4, 5))


def _pool1d() -> None:
    from tests.golden.cases import add, dist, f, ties, vals

    g = "conv2_pool"
    for op in ("max_pool1d", "avg_pool1d"):
        add(g, f"{op}.k2", _F(op, 2), f(2, 3, 8), **FIRST_ORDER)
        add(g, f"{op}.k3_s2_p1_ceil", _F(op, 3, 2, 1, ceil_mode=True), f(2, 3, 9), **FIRST_ORDER)
        add(g, f"{op}.stride_over_kernel", _F(op, 2, 3), f(1, 2, 10), **FIRST_ORDER)
        add(g, f"{op}.unbatched", _F(op, 2), f(3, 6), **FIRST_ORDER)
        add(g, f"{op}.empty_batch", _F(op, 2), f(0, 3, 6), **FIRST_ORDER)
        add(g, f"{op}.tuple_args", _F(op, (3,), (1,), (1,)), f(1, 2, 5), **FIRST_ORDER)
        add(g, f"{op}.1d_input", _F(op, 2), f(5), **FIRST_ORDER)
        add(g, f"{op}.padding_too_large", _F(op, 2, padding=2), f(1, 2, 5),
            match="at most half", **FIRST_ORDER)
        add(g, f"{op}.kernel_too_large", _F(op, 7), f(1, 2, 5), **FIRST_ORDER)
    add(g, "max_pool1d.pair_kernel", _F("max_pool1d", (2, 2)), f(1, 2, 5), **FIRST_ORDER)
    add(g, "avg_pool1d.pair_kernel", _F("avg_pool1d", (2, 2)), f(1, 2, 5),
        match="should contain one int", **FIRST_ORDER)
    add(g, "max_pool1d.dilated_padding", _F("max_pool1d", 3, padding=1, dilation=2),
        dist(1, 2, 7), **FIRST_ORDER)
    add(g, "max_pool1d.dilation", _F("max_pool1d", 2, dilation=2), dist(2, 2, 9), **FIRST_ORDER)
    add(g, "max_pool1d.indices", _F("max_pool1d", 3, 2, 1, return_indices=True),
        dist(2, 2, 9), **FIRST_ORDER)
    add(g, "max_pool1d.ties", _F("max_pool1d", 2, 1, return_indices=True), ties(1, 2, 8),
        **FIRST_ORDER)
    add(g, "max_pool1d.nonfinite", _F("max_pool1d", 2),
        vals(1.0, -inf, inf, 0.5, -inf, -inf, 2.0, 3.0, shape=(1, 1, 8)), **FIRST_ORDER)
    add(g, "avg_pool1d.no_count_pad", _F("avg_pool1d", 3, 2, 1, count_include_pad=False),
        f(2, 2, 8), **FIRST_ORDER)


def _adaptive() -> None:
    from tests.golden.cases import add, const, dist, f, ties, vals

    g = "conv2_pool"
    for name, size, shape in (("down", 4, (2, 3, 9)), ("uneven", 5, (3, 7)), ("up", 9, (1, 2, 4)),
                              ("same", 6, (2, 2, 6)), ("one", 1, (2, 3, 5)),
                              ("tuple", (3,), (1, 2, 7)), ("empty_batch", 2, (0, 2, 5))):
        add(g, f"adaptive_avg_pool1d.{name}", _F("adaptive_avg_pool1d", size), f(*shape))
        add(g, f"adaptive_max_pool1d.{name}", _F("adaptive_max_pool1d", size, True),
            dist(*shape))
    # (no gradients: PyTorch's backward refuses an empty output, a bug)
    add(g, "adaptive_avg_pool1d.zero_size", _F("adaptive_avg_pool1d", 0), const(2, 3, 5))
    add(g, "adaptive_avg_pool1d.nonfinite", _F("adaptive_avg_pool1d", 3),
        vals(1.0, inf, 2.0, -inf, 3.0, nan, 4.0, shape=(1, 1, 7)), double=False)
    add(g, "adaptive_avg_pool1d.1d_input", _F("adaptive_avg_pool1d", 2), f(5))
    add(g, "adaptive_avg_pool1d.empty_length", _F("adaptive_avg_pool1d", 2), f(1, 2, 0),
        match="non-zero size")
    add(g, "adaptive_max_pool1d.pair_size", _F("adaptive_max_pool1d", (2, 2)), f(1, 5, 5),
        match="output_size")
    add(g, "adaptive_max_pool1d.ties", _F("adaptive_max_pool1d", 3, True), ties(2, 2, 8))
    for name, size, shape in (("down", (4, 3), (2, 3, 9, 7)), ("int", 3, (1, 2, 7, 5)),
                              ("up", (5, 6), (1, 2, 3, 4)), ("none", (None, 2), (2, 2, 5, 6)),
                              ("unbatched", (2, 3), (3, 5, 7)),
                              ("empty_batch", 2, (0, 2, 4, 4))):
        add(g, f"adaptive_max_pool2d.{name}", _F("adaptive_max_pool2d", size, True),
            dist(*shape))
    add(g, "adaptive_max_pool2d.values_only", _F("adaptive_max_pool2d", (2, 3)), dist(2, 2, 5, 7))
    add(g, "adaptive_max_pool2d.ties", _F("adaptive_max_pool2d", (3, 2), True), ties(2, 2, 6, 5))
    add(g, "adaptive_max_pool2d.zero", _F("adaptive_max_pool2d", 0), const(1, 2, 5, 5))
    add(g, "adaptive_max_pool2d.nonfinite", _F("adaptive_max_pool2d", 2, True),
        vals(1.0, inf, 2.0, -inf, 3.0, -inf, 4.0, 0.5, 5.0, 6.0, -1.0, 7.0, 8.0, 9.0, 0.0,
             1.5, shape=(1, 1, 4, 4)), double=False)
    add(g, "adaptive_max_pool2d.2d_input", _F("adaptive_max_pool2d", 2), f(5, 5),
        match="3D or 4D")
    add(g, "adaptive_max_pool2d.float32", _F("adaptive_max_pool2d", 2),
        f(1, 2, 5, 5, dtype="float32"))


def _pool_rules() -> None:
    """Integer and bool inputs of every pooling (what PyTorch takes: max_pool2d all integers,
    max_pool1d with indices only, avg pooling int64, adaptive pooling none), and adaptive
    average pooling to 1x1 (PyTorch's mean over the last two dims, with mean's rules)."""
    from tests.golden.cases import add, const, f, ints, mask

    g = "conv2_pool_rules"
    refused = {"match": "not implemented for"}
    for dtype in ("int8", "int16", "int32", "int64", "uint8"):
        low = 0 if dtype == "uint8" else -20
        x4, x3 = ints(2, 3, 7, 6, low=low, high=20, dtype=dtype), ints(2, 3, 9, low=low,
                                                                        high=20, dtype=dtype)
        add(g, f"max_pool2d.{dtype}", _F("max_pool2d", 3, 2, 1, return_indices=True), x4)
        add(g, f"max_pool2d.{dtype}_dilation_ceil",
            _F("max_pool2d", 2, 1, 1, dilation=2, ceil_mode=True), x4)
        add(g, f"MaxPool2d.{dtype}", lambda lib, x: lib.nn.MaxPool2d(2)(x), x4)
        add(g, f"max_pool1d.{dtype}_indices", _F("max_pool1d", 3, 2, 1, return_indices=True), x3)
        add(g, f"max_pool1d.{dtype}", _F("max_pool1d", 3, 2, 1), x3, **refused)
        add(g, f"avg_pool2d.{dtype}", _F("avg_pool2d", 3, 2, 1), x4,
            **({} if dtype == "int64" else refused))
        add(g, f"avg_pool1d.{dtype}", _F("avg_pool1d", 3, 2, 1), x3,
            **({} if dtype == "int64" else refused))
        add(g, f"adaptive_max_pool2d.{dtype}", _F("adaptive_max_pool2d", (4, 3)), x4, **refused)
        add(g, f"adaptive_max_pool1d.{dtype}", _F("adaptive_max_pool1d", 4), x3, **refused)
        add(g, f"adaptive_avg_pool2d.{dtype}", _F("adaptive_avg_pool2d", (4, 3)), x4, **refused)
        add(g, f"adaptive_avg_pool2d.{dtype}_1x1", _F("adaptive_avg_pool2d", 1), x4,
            match="could not infer output dtype")
        add(g, f"adaptive_avg_pool1d.{dtype}", _F("adaptive_avg_pool1d", 4), x3, **refused)
    for op in ("max_pool2d", "avg_pool2d", "adaptive_max_pool2d", "adaptive_avg_pool2d"):
        add(g, f"{op}.bool", _F(op, 2), mask(1, 2, 4, 4), **refused)
    add(g, "max_pool1d.bool_indices", _F("max_pool1d", 2, return_indices=True), mask(1, 2, 6),
        **refused)
    add(g, "max_pool2d.bool_too_small", _F("max_pool2d", 5), mask(1, 2, 4, 4))  # sizes first
    add(g, "max_pool2d.bool_empty_batch", _F("max_pool2d", 2), mask(0, 2, 4, 4), **refused)
    add(g, "max_pool2d.int8_extremes", _F("max_pool2d", 2, 1, 1, return_indices=True),
        ints(1, 2, 3, 3, low=-128, high=-126, dtype="int8"))
    add(g, "max_pool2d.int32_empty_batch", _F("max_pool2d", 2), ints(0, 2, 4, 4, dtype="int32"))
    x = ints(2, 3, 7, 6, low=-50, high=50)
    add(g, "avg_pool2d.int64_no_count_pad_ceil",
        _F("avg_pool2d", 3, 2, 1, ceil_mode=True, count_include_pad=False), x)
    add(g, "avg_pool2d.int64_divisor", _F("avg_pool2d", 2, 1, divisor_override=-3), x)
    add(g, "avg_pool2d.int64_empty_batch", _F("avg_pool2d", 2), ints(0, 2, 4, 4))
    add(g, "avg_pool2d.int32_empty_batch", _F("avg_pool2d", 2), ints(0, 2, 4, 4, dtype="int32"),
        **refused)
    add(g, "AvgPool1d.int64", lambda lib, x: lib.nn.AvgPool1d(2)(x), ints(2, 3, 9, low=-9))
    add(g, "adaptive_avg_pool2d.int32_zero_size", _F("adaptive_avg_pool2d", 0),
        ints(2, 3, 6, 6, dtype="int32"))
    add(g, "adaptive_avg_pool2d.int32_empty_batch", _F("adaptive_avg_pool2d", 2),
        ints(0, 3, 6, 6, dtype="int32"))
    add(g, "adaptive_avg_pool2d.int32_empty_height", _F("adaptive_avg_pool2d", 2),
        ints(1, 3, 0, 6, dtype="int32"), match="non-zero size")
    add(g, "adaptive_max_pool2d.int32_zero_size", _F("adaptive_max_pool2d", 0),
        ints(2, 3, 6, 6, dtype="int32"), **refused)
    # to 1x1: the mean over the last two dims (any leading dims; an empty plane is NaN)
    add(g, "adaptive_avg_pool2d.1x1_5d", _F("adaptive_avg_pool2d", 1), f(2, 1, 3, 4, 5))
    add(g, "adaptive_avg_pool2d.1x1_2d", _F("adaptive_avg_pool2d", 1), f(4, 5))
    add(g, "adaptive_avg_pool2d.1x1_none", _F("adaptive_avg_pool2d", (1, None)), f(2, 3, 4, 1))
    add(g, "adaptive_avg_pool2d.1x1_empty_plane", _F("adaptive_avg_pool2d", 1), f(2, 3, 0, 4))
    add(g, "adaptive_avg_pool2d.1x1_empty_channels", _F("adaptive_avg_pool2d", 1),
        const(2, 0, 4, 4))
    add(g, "adaptive_avg_pool2d.1x1_1d", _F("adaptive_avg_pool2d", 1), f(5),
        match="Dimension out of range")
    add(g, "adaptive_avg_pool2d.1x1_pair_1d", _F("adaptive_avg_pool2d", (1, 1)), f(5),
        match="Input dimension should be at least 3")
    add(g, "adaptive_avg_pool2d.1x1_float32", _F("adaptive_avg_pool2d", 1),
        f(2, 3, 5, 6, dtype="float32"))
    add(g, "adaptive_avg_pool2d.empty_channels", _F("adaptive_avg_pool2d", 2),
        const(2, 0, 4, 4))
    add(g, "adaptive_avg_pool1d.1_empty_length", _F("adaptive_avg_pool1d", 1), f(2, 3, 0))
    add(g, "adaptive_avg_pool1d.1_2d", _F("adaptive_avg_pool1d", 1), f(3, 5))
    add(g, "adaptive_avg_pool1d.empty_channels", _F("adaptive_avg_pool1d", 2), const(2, 0, 5))


def _unpool() -> None:
    from tests.golden.cases import add, const, f, ints

    g = "conv2_pool"

    def pool_then_unpool(**unpool: Any) -> Callable[..., Any]:
        """Indices of max_pool2d(x) (a constant), then max_unpool2d of the values v."""
        def run(lib: Any, x: Any, v: Any) -> Any:
            _, indices = lib.nn.functional.max_pool2d(x, 2, return_indices=True)
            return lib.nn.functional.max_unpool2d(v, indices, 2, **unpool)
        return run

    add(g, "max_unpool2d.after_pool", pool_then_unpool(), const(2, 3, 6, 8), f(2, 3, 3, 4))
    add(g, "max_unpool2d.output_size", pool_then_unpool(output_size=(7, 9)), const(2, 3, 6, 8),
        f(2, 3, 3, 4))
    add(g, "max_unpool2d.output_size_full", pool_then_unpool(output_size=(2, 3, 7, 9)),
        const(2, 3, 6, 8), f(2, 3, 3, 4))
    add(g, "max_unpool2d.output_size_bad", pool_then_unpool(output_size=(9, 9)),
        const(2, 3, 6, 8), f(2, 3, 3, 4), match="invalid output_size")
    add(g, "max_unpool2d.unbatched", _F("max_unpool2d", 2), f(2, 2, 2),
        ints(2, 2, 2, low=0, high=4))
    add(g, "max_unpool2d.stride_padding", _F("max_unpool2d", 3, 2, 1), f(1, 2, 2, 3),
        ints(1, 2, 2, 3, low=0, high=1))
    add(g, "max_unpool2d.bad_index", _F("max_unpool2d", 2), f(1, 1, 2, 2),
        ints(1, 1, 2, 2, low=16, high=17), match="invalid max index")
    add(g, "max_unpool2d.index_shape", _F("max_unpool2d", 2), f(1, 1, 2, 2),
        ints(1, 2, 2, low=0, high=1), match="same as that of the input")
    add(g, "max_unpool2d.float_index", _F("max_unpool2d", 2), f(1, 1, 2, 2),
        f(1, 1, 2, 2), match="int64")


def _interpolate() -> None:
    from tests.golden.cases import add, f, ints, vals

    g = "conv2_resample"

    def up(**kwargs: Any) -> Callable[..., Any]:
        return lambda lib, x: lib.nn.functional.interpolate(x, **kwargs)

    for mode, shape in (("nearest", (2, 3, 5, 7)), ("nearest-exact", (2, 3, 5, 7)),
                        ("bilinear", (2, 3, 5, 6))):
        add(g, f"{mode}.size", up(size=(8, 4), mode=mode), f(*shape))
        add(g, f"{mode}.int_size", up(size=3, mode=mode), f(*shape))
        add(g, f"{mode}.scale2", up(scale_factor=2, mode=mode), f(*shape))
        add(g, f"{mode}.scale_1_7", up(scale_factor=1.7, mode=mode), f(*shape))
        add(g, f"{mode}.scale_pair", up(scale_factor=(2.3, 0.6), mode=mode), f(*shape))
        add(g, f"{mode}.recompute", up(scale_factor=1.7, mode=mode, recompute_scale_factor=True),
            f(*shape))
        add(g, f"{mode}.scale_0_34", up(scale_factor=0.34, mode=mode), f(2, 2, 9, 13))
        add(g, f"{mode}.same_size", up(size=(5, 6), mode=mode), f(1, 2, 5, 6))
        add(g, f"{mode}.to_one", up(size=1, mode=mode), f(1, 2, 5, 6))
        add(g, f"{mode}.from_one", up(size=(3, 4), mode=mode), f(1, 2, 1, 1))
        add(g, f"{mode}.empty_batch", up(size=(3, 4), mode=mode), f(0, 2, 5, 6))
    for mode in ("nearest", "nearest-exact"):
        add(g, f"{mode}.3d", up(size=11, mode=mode), f(2, 3, 6))
        add(g, f"{mode}.3d_scale", up(scale_factor=2.5, mode=mode), f(2, 3, 6))
        add(g, f"{mode}.5d", up(size=(4, 3, 7), mode=mode), f(1, 2, 3, 4, 5))
        add(g, f"{mode}.nonfinite", up(scale_factor=2, mode=mode),
            vals(1.0, inf, -inf, nan, shape=(1, 1, 2, 2)), double=False)
    for align in (False, True):
        a = "align" if align else "noalign"
        add(g, f"linear.{a}.up", up(size=11, mode="linear", align_corners=align), f(2, 3, 6))
        add(g, f"linear.{a}.down", up(size=4, mode="linear", align_corners=align), f(2, 3, 9))
        add(g, f"linear.{a}.scale", up(scale_factor=1.3, mode="linear", align_corners=align),
            f(2, 3, 6))
        add(g, f"linear.{a}.to_one", up(size=1, mode="linear", align_corners=align), f(1, 2, 6))
        add(g, f"bilinear.{a}.size", up(size=(3, 9), mode="bilinear", align_corners=align),
            f(2, 3, 5, 6))
        add(g, f"bilinear.{a}.scale", up(scale_factor=(1.5, 0.7), mode="bilinear",
                                         align_corners=align), f(2, 3, 5, 6))
        add(g, f"trilinear.{a}.scale", up(scale_factor=(1.5, 2, 0.7), mode="trilinear",
                                          align_corners=align), f(1, 2, 3, 4, 5))
    add(g, "bilinear.unaligned_default_scale3", up(scale_factor=3, mode="bilinear"),
        f(1, 1, 3, 4))
    add(g, "bilinear.nonfinite", up(size=(3, 3), mode="bilinear"),
        vals(1.0, inf, 2.0, 3.0, shape=(1, 1, 2, 2)), double=False)
    add(g, "bilinear.float32", up(scale_factor=1.7, mode="bilinear"),
        f(1, 2, 5, 6, dtype="float32"))
    add(g, "nearest.float32", up(scale_factor=1.7), f(1, 2, 5, 6, dtype="float32"))
    add(g, "area.2d", up(size=(3, 4), mode="area"), f(2, 3, 7, 9))
    add(g, "area.1d", up(size=5, mode="area"), f(2, 3, 7))
    add(g, "area.scale", up(scale_factor=0.5, mode="area"), f(1, 2, 6, 8))
    add(g, "error.2d_input", up(size=3), f(5, 5), match="Only 3D, 4D and 5D")
    add(g, "error.size_and_scale", up(size=3, scale_factor=2), f(1, 2, 5, 5),
        match="only one of size or scale_factor")
    add(g, "error.neither", up(), f(1, 2, 5, 5), match="either size or scale_factor")
    add(g, "error.linear_on_4d", up(size=3, mode="linear"), f(1, 2, 5, 5),
        match="linear mode needs 3D input")
    add(g, "error.bilinear_on_3d", up(size=3, mode="bilinear"), f(1, 2, 5),
        match="bilinear mode needs 4D input")
    add(g, "error.align_nearest", up(size=3, align_corners=True), f(1, 2, 5, 5),
        match="align_corners option")
    add(g, "error.unknown_mode", up(size=3, mode="foo"), f(1, 2, 5, 5), match="got foo")
    add(g, "error.size_length", up(size=(3, 4, 5)), f(1, 2, 5, 5),
        match="same number of spatial dimensions")
    add(g, "error.zero_size", up(size=0), f(1, 2, 5, 5), match="greater than 0")
    add(g, "error.tiny_scale", up(scale_factor=0.1), f(1, 2, 5, 5), match="greater than 0")
    add(g, "error.recompute_with_size", up(size=3, recompute_scale_factor=True), f(1, 2, 5, 5),
        match="recompute_scale_factor")
    add(g, "error.int_input", up(size=3), ints(1, 2, 5, 5))


def _shuffle_and_dropout() -> None:
    from tests.golden.cases import add, const, f, ints

    g = "conv2_resample"
    add(g, "pixel_shuffle.basic", _F("pixel_shuffle", 2), f(2, 8, 3, 4))
    add(g, "pixel_shuffle.r3", _F("pixel_shuffle", 3), f(1, 9, 2, 2))
    add(g, "pixel_shuffle.unbatched", _F("pixel_shuffle", 2), f(4, 2, 3))
    add(g, "pixel_shuffle.5d", _F("pixel_shuffle", 2), f(2, 2, 8, 3, 4))
    add(g, "pixel_shuffle.r1", _F("pixel_shuffle", 1), f(1, 3, 2, 2))
    add(g, "pixel_shuffle.int", _F("pixel_shuffle", 2), ints(1, 4, 2, 2))
    # (no gradients: PyTorch's backward returns a wrongly shaped gradient here, a bug)
    add(g, "pixel_shuffle.empty_batch", _F("pixel_shuffle", 2), const(0, 4, 2, 2))
    add(g, "pixel_shuffle.not_divisible", _F("pixel_shuffle", 2), f(1, 6, 2, 2),
        match="divisible by the square")
    add(g, "pixel_shuffle.2d", _F("pixel_shuffle", 2), f(6, 2), match="at least 3 dimensions")
    add(g, "pixel_unshuffle.basic", _F("pixel_unshuffle", 2), f(2, 3, 4, 6))
    add(g, "pixel_unshuffle.unbatched", _F("pixel_unshuffle", 3), f(2, 6, 3))
    add(g, "pixel_unshuffle.roundtrip", lambda lib, x: lib.nn.functional.pixel_shuffle(
        lib.nn.functional.pixel_unshuffle(x, 2), 2), f(1, 2, 4, 4))
    add(g, "pixel_unshuffle.not_divisible", _F("pixel_unshuffle", 2), f(1, 1, 3, 4),
        match="divisible by downscale_factor")
    add(g, "pixel_unshuffle.zero_factor", _F("pixel_unshuffle", 0), f(1, 1, 4, 4),
        match="positive downscale_factor")
    for op in ("dropout1d", "dropout2d", "alpha_dropout", "feature_alpha_dropout"):
        shape = (2, 3, 4) if op == "dropout1d" else (2, 3, 4, 5)
        add(g, f"{op}.eval", _F(op, 0.5, training=False), f(*shape))
        add(g, f"{op}.p0", _F(op, 0.0, training=True), f(*shape))
        add(g, f"{op}.p1", _F(op, 1.0, training=True), f(*shape))
        add(g, f"{op}.bad_p", _F(op, 1.5, training=True), f(*shape),
            match="dropout probability has to be between 0 and 1")
    add(g, "dropout1d.4d_input", _F("dropout1d", 0.5), f(2, 3, 4, 5), match="2D or 3D input")
