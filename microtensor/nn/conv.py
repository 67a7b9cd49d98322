"""Convolution and pooling layers: ``Conv2d``, ``Conv1d``, ``ConvTranspose1d/2d``, ``Unfold``,
``Fold``, ``MaxPool2d``,
``AvgPool2d``, ``AdaptiveAvgPool2d``. The vectorised kernels are in
``microtensor/ops/conv_fast.py`` and ``pool_fast.py``;
these modules hold the weights and settings and call the functions in ``mt.nn.functional``."""

from __future__ import annotations

from typing import Any

from microtensor._arguments import int_pair, tensor_argument
from microtensor.nn import functional as F
from microtensor.nn.linear import _new_parameter, _reset_weight_and_bias
from microtensor.nn.module import Module
from microtensor.tensor import Tensor

IntPair = int | tuple[int, int]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _check_padding_mode(padding_mode: str) -> str:
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                         f"padding_mode='{padding_mode}'")
    return padding_mode


def _add_weight_and_bias(module: Module, weight_shape: tuple[int, ...], out_channels: int,
                         bias: bool, dtype: Any) -> None:
    """Register ``weight`` of ``weight_shape`` and a ``bias`` per output channel (or None)."""
    module.weight = _new_parameter(weight_shape, dtype)
    if bias:
        module.bias = _new_parameter((out_channels,), dtype)
    else:
        module.register_parameter("bias", None)


class Conv2d(Module):
    """2-D convolution (cross-correlation, as in every deep learning library).

    Layout: the input is **(N, C_in, H, W)**, channels first, as in PyTorch (or (C_in, H, W)
    for one unbatched image), and the output is (N, C_out, H_out, W_out) with

        H_out = floor((H + 2·padding[0] − dilation[0]·(kH − 1) − 1) / stride[0]) + 1

    (W_out likewise). Images stored channels-last, (N, H, W, C), need ``x.permute(0, 3, 1, 2)``
    first; ``transforms.ToTensor`` does this for single images.

        out[n, o, i, j] = bias[o] + Σ_c Σ_u Σ_v weight[o, c, u, v]
                                    · x_padded[n, c, stride·i + dilation·u, stride·j + dilation·v]

    (c runs over the in_channels / groups channels of output channel o's group).

    ``weight``: (out_channels, in_channels // groups, kH, kW); ``bias``: (out_channels,).
    ``padding``: int, pair, ``"valid"`` (none) or ``"same"`` (output size = input size, stride
    1 only); ``padding_mode``: how padded values are made: zeros, reflect, replicate, circular.
    Weights and bias start as in PyTorch: uniform on ±1/√fan_in, fan_in = in/groups · kH · kW.

    Example::

        conv = nn.Conv2d(1, 32, kernel_size=3, padding=1)   # 1 channel in, 32 out, size kept
        conv(mt.randn(16, 1, 8, 8)).shape                   # (16, 32, 8, 8)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair | str = 0, dilation: IntPair = 1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if groups <= 0:
            raise ValueError("groups must be a positive integer")
        if in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = int_pair(kernel_size, "kernel_size", "Conv2d", minimum=1)
        self.stride = int_pair(stride, "stride", "Conv2d", minimum=1)
        self.dilation = int_pair(dilation, "dilation", "Conv2d", minimum=1)
        self.groups = groups
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of 'valid', 'same'"
                )
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: tuple[int, int] | str = padding
        else:
            self.padding = int_pair(padding, "padding", "Conv2d", minimum=0)
        self.padding_mode = _check_padding_mode(padding_mode)
        _add_weight_and_bias(self, (out_channels, in_channels // groups) + self.kernel_size,
                             out_channels, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_weight_and_bias(self.weight, self.bias)

    def _explicit_padding(self) -> list[int]:
        """(left, right, top, bottom) for F.pad, when padding_mode is not zeros."""
        if self.padding == "valid":
            return [0, 0, 0, 0]
        if self.padding == "same":
            pads: list[int] = []
            for d, k in reversed(list(zip(self.dilation, self.kernel_size))):
                total = d * (k - 1)
                pads += [total // 2, total - total // 2]
            return pads
        return [self.padding[1], self.padding[1], self.padding[0], self.padding[0]]

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":  # F.conv2d checks the input; here F.pad comes first
            input = tensor_argument(input, "input", 1, "conv2d")
            padded = F.pad(input, self._explicit_padding(), mode=self.padding_mode)
            return F.conv2d(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return F.conv2d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class MaxPool2d(Module):
    """The maximum over each ``kernel_size`` window of every channel: downsampling that keeps
    the strongest response.

    Input (N, C, H, W) or (C, H, W), channels first as in ``Conv2d``; output (N, C, H_out, W_out)
    with H_out = floor((H + 2·padding − dilation·(kernel_size − 1) − 1) / stride) + 1 (``ceil``
    instead of floor with ``ceil_mode=True``, as long as the last window starts inside the
    input or the left padding), W_out likewise.

        out[n, c, i, j] = max over u, v of x_padded[n, c, stride·i + dilation·u,
                                                          stride·j + dilation·v]

    Args:
        kernel_size: the window, an int or (kH, kW).
        stride: the step between windows; default ``kernel_size`` (windows side by side: a
            2x2 pool halves H and W).
        padding: implicit −inf on each side (never the maximum); at most half the kernel.
        dilation: the spacing between the window's elements.
        return_indices: also return, for each output, the flat index h·W + w of the winning
            input element in its channel (what ``MaxUnpool2d`` takes).
        ceil_mode: round the output size up instead of down.

    Backward: each output's gradient goes to its window's maximum, the others get 0,
    dL/dx[argmax] += dL/dout; where windows overlap (stride < kernel) an element can collect
    several. Ties go to the first maximum in the window (row by row), as in PyTorch.
    First-order only here (PyTorch also differentiates it twice).

    Example::

        pool = nn.MaxPool2d(2)
        pool(mt.randn(16, 32, 8, 8)).shape   # (16, 32, 4, 4)
    """

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None,
                 padding: IntPair = 0, dilation: IntPair = 1, return_indices: bool = False,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input: Tensor) -> Any:
        return F.max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            ceil_mode=self.ceil_mode, return_indices=self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over each kernel_size window (stride defaults to kernel_size)."""

    def __init__(self, kernel_size: IntPair, stride: IntPair | None = None,
                 padding: IntPair = 0, ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size (H_out, W_out), whatever the input size."""

    def __init__(self, output_size: int | tuple[int | None, int | None]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


# --------------------------------------------------------------------------- 1-d and transposed


def _single(value: Any, name: str, caller: str, minimum: int) -> tuple[int]:
    """An int or a 1-tuple as PyTorch's ``_single``: (value,)."""
    from microtensor.ops.conv import int_single

    return (int_single(value, name, caller, minimum=minimum),)


def _check_groups(in_channels: int, out_channels: int, groups: int) -> None:
    if groups <= 0:
        raise ValueError("groups must be a positive integer")
    if in_channels % groups:
        raise ValueError("in_channels must be divisible by groups")
    if out_channels % groups:
        raise ValueError("out_channels must be divisible by groups")


class Conv1d(Module):
    """1-D convolution over (N, C_in, L) or (C_in, L): a Conv2d over an image of height 1.

    ``weight``: (out_channels, in_channels // groups, k); ``bias``: (out_channels,).
    ``padding``: int, ``"valid"`` or ``"same"`` (stride 1); ``padding_mode``: zeros, reflect,
    replicate or circular. Weights and bias start as in PyTorch: U(±1/√fan_in),
    fan_in = in_channels/groups · k.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int],
                 stride: int | tuple[int] = 1, padding: int | tuple[int] | str = 0,
                 dilation: int | tuple[int] = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        _check_groups(in_channels, out_channels, groups)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = _single(kernel_size, "kernel_size", "Conv1d", 1)
        self.stride = _single(stride, "stride", "Conv1d", 1)
        self.dilation = _single(dilation, "dilation", "Conv1d", 1)
        self.groups = groups
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"Invalid padding string {padding!r}, should be one of 'valid', 'same'")
            if padding == "same" and self.stride != (1,):
                raise ValueError("padding='same' is not supported for strided convolutions")
            self.padding: tuple[int] | str = padding
        else:
            self.padding = _single(padding, "padding", "Conv1d", 0)
        self.padding_mode = _check_padding_mode(padding_mode)
        _add_weight_and_bias(self, (out_channels, in_channels // groups) + self.kernel_size,
                             out_channels, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_weight_and_bias(self.weight, self.bias)

    def _explicit_padding(self) -> list[int]:
        """(left, right) for F.pad, when padding_mode is not zeros."""
        if self.padding == "valid":
            return [0, 0]
        if self.padding == "same":
            total = self.dilation[0] * (self.kernel_size[0] - 1)
            return [total // 2, total - total // 2]
        return [self.padding[0], self.padding[0]]

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":
            input = tensor_argument(input, "input", 1, "conv1d")
            padded = F.pad(input, self._explicit_padding(), mode=self.padding_mode)
            return F.conv1d(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                            self.groups)
        return F.conv1d(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    def extra_repr(self) -> str:
        return _conv_repr(self)


def _conv_repr(layer: Any) -> str:
    """PyTorch's extra_repr of a convolution layer (defaults left out)."""
    zeros = (0,) * len(layer.kernel_size)
    ones = (1,) * len(layer.kernel_size)
    s = (f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, "
         f"stride={layer.stride}")
    if layer.padding != zeros:
        s += f", padding={layer.padding}"
    if layer.dilation != ones:
        s += f", dilation={layer.dilation}"
    if getattr(layer, "output_padding", zeros) != zeros:
        s += f", output_padding={layer.output_padding}"
    if layer.groups != 1:
        s += f", groups={layer.groups}"
    if layer.bias is None:
        s += ", bias=False"
    if layer.padding_mode != "zeros":
        s += f", padding_mode={layer.padding_mode}"
    return s


class _ConvTransposeNd(Module):
    """What ConvTranspose1d and ConvTranspose2d share: the weight (in_channels,
    out_channels // groups, *kernel_size), PyTorch's initialisation (U(±1/√fan_in) with
    fan_in = out_channels/groups · prod(kernel_size), the weight's dim 1 times its kernel) and
    the ``output_size`` argument of ``forward``."""

    _spatial = 2

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                 padding: Any, output_padding: Any, groups: int, bias: bool, dilation: Any,
                 padding_mode: str, dtype: Any) -> None:
        super().__init__()
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f'Only "zeros" padding mode is supported for {name}')
        _check_groups(in_channels, out_channels, groups)
        numbers = _single if self._spatial == 1 else int_pair
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size = numbers(kernel_size, "kernel_size", name, 1)
        self.stride = numbers(stride, "stride", name, 1)
        self.padding = numbers(padding, "padding", name, 0)
        self.output_padding = numbers(output_padding, "output_padding", name, 0)
        self.dilation = numbers(dilation, "dilation", name, 1)
        self.groups, self.padding_mode = groups, padding_mode
        _add_weight_and_bias(self, (in_channels, out_channels // groups) + tuple(self.kernel_size),
                             out_channels, bias, dtype)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        _reset_weight_and_bias(self.weight, self.bias)

    def _output_padding(self, input: Tensor, output_size: Any) -> tuple[int, ...]:
        """``output_padding``, or the one that makes the output ``output_size`` (PyTorch's
        rule: each size must lie in [minimum, minimum + stride - 1])."""
        if output_size is None:
            return tuple(self.output_padding)
        spatial = self._spatial
        leading = 2 if input.ndim == spatial + 2 else 1
        size = list(output_size)
        if len(size) == leading + spatial:
            size = size[leading:]
        if len(size) != spatial:
            raise ValueError(f"ConvTranspose{spatial}D: for {input.ndim}D input, output_size "
                             f"must have {spatial} or {leading + spatial} elements (got "
                             f"{len(size)})")
        low = [(input.shape[leading + d] - 1) * self.stride[d] - 2 * self.padding[d]
               + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(spatial)]
        high = [low[d] + self.stride[d] - 1 for d in range(spatial)]
        for d in range(spatial):
            if not low[d] <= size[d] <= high[d]:
                raise ValueError(f"requested an output size of {size}, but valid sizes range "
                                 f"from {low} to {high} (for an input of "
                                 f"{list(input.shape[leading:])})")
        return tuple(size[d] - low[d] for d in range(spatial))

    def extra_repr(self) -> str:
        return _conv_repr(self)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution (the adjoint of Conv2d; see ``ops/conv_transpose.py``).

    ``weight``: (in_channels, out_channels // groups, kH, kW); ``bias``: (out_channels,).
    ``forward(input, output_size=None)``: ``output_size`` picks the output_padding.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntPair,
                 stride: IntPair = 1, padding: IntPair = 0, output_padding: IntPair = 0,
                 groups: int = 1, bias: bool = True, dilation: IntPair = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, dtype)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        input = tensor_argument(input, "input", 1, "conv_transpose2d")
        return F.conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over (N, C_in, L) or (C_in, L).

    ``weight``: (in_channels, out_channels // groups, k); ``bias``: (out_channels,).
    """

    _spatial = 1

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int | tuple[int],
                 stride: int | tuple[int] = 1, padding: int | tuple[int] = 0,
                 output_padding: int | tuple[int] = 0, groups: int = 1, bias: bool = True,
                 dilation: int | tuple[int] = 1, padding_mode: str = "zeros",
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding,
                         output_padding, groups, bias, dilation, padding_mode, dtype)

    def forward(self, input: Tensor, output_size: Any = None) -> Tensor:
        input = tensor_argument(input, "input", 1, "conv_transpose1d")
        return F.conv_transpose1d(input, self.weight, self.bias, self.stride, self.padding,
                                  self._output_padding(input, output_size), self.groups,
                                  self.dilation)


class Unfold(Module):
    """Sliding blocks as columns, (N, C, H, W) -> (N, C·kH·kW, L): ``F.unfold``."""

    def __init__(self, kernel_size: IntPair, dilation: IntPair = 1, padding: IntPair = 0,
                 stride: IntPair = 1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Columns summed back into an image, (N, C·kH·kW, L) -> (N, C, *output_size):
    ``F.fold``, the adjoint of Unfold."""

    def __init__(self, output_size: IntPair, kernel_size: IntPair, dilation: IntPair = 1,
                 padding: IntPair = 0, stride: IntPair = 1) -> None:
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input: Tensor) -> Tensor:
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
