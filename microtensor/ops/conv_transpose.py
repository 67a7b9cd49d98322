"""Transposed convolution: ``conv_transpose2d`` and ``conv_transpose1d`` (PyTorch semantics).

A convolution with weight w is a linear map C_w from an input x to an output y = C_w x. Its
transpose (adjoint) C_wᵀ maps back from y's space to x's space, and that is the transposed
convolution (sometimes, wrongly, called a "deconvolution"): every input pixel is multiplied by
the whole kernel and the products are added into the output, windows overlapping where the
stride is smaller than the kernel. It is exactly what conv2d's backward pass does to dL/dy to
get dL/dx, so this module reuses the kernels of ``conv_fast.py``:

    forward:   y = C_wᵀ x (+ b)          conv2d_backward's input gradient, with x in place of dL/dy
    backward:  dL/dx = C_w g             an ordinary conv2d of g = dL/dy with the same w
               dL/dw = conv2d's weight gradient with input g and output gradient x
               dL/db = g summed over batch and pixels

The weight has PyTorch's layout for a transposed convolution, (C_in, C_out/groups, kH, kW): C_in
is the transposed op's input channels, i.e. the output channels of the conv it is the
transpose of. Output size per spatial dim:

    (size - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1

``output_padding`` (< stride or < dilation) adds rows/columns at the bottom/right only, to pick
one of the several output sizes a strided conv maps to the same input size.
First-order gradients only, like conv2d (the kernels run on arrays).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from microtensor._arguments import int_pair, tensor_argument
from microtensor.autograd.function import Op
from microtensor.ops.conv import int_single
from microtensor.ops.conv_fast import conv2d_backward, conv2d_forward
from microtensor.tensor import Tensor

__all__ = ["conv_transpose1d", "conv_transpose2d"]

IntPair = int | tuple[int, int]


def _output_gradient_shaped(x: np.ndarray, rows: int, columns: int) -> np.ndarray:
    """x (N, C, H, W) padded with zeros at the bottom/right to (N, C, rows, columns): the
    output size of the conv whose transpose is taken (larger than x only when output_padding
    >= stride, which dilation allows)."""
    n, c, h, w = x.shape
    if (rows, columns) == (h, w):
        return x
    padded = np.zeros((n, c, rows, columns), x.dtype)
    padded[:, :, :h, :w] = x
    return padded


class ConvTranspose2dOp(Op):
    """y = C_wᵀ x + b: the adjoint of conv2d(·, w), NCHW; w: (C_in, C_out/groups, kH, kW).

    y[n, o, p*sh + i*dh - ph, q*sw + j*dw - pw] += x[n, c, p, q] · w[c, o, i, j]  (o in c's group)

    Backward, with g = dL/dy:
        dL/dx = conv2d(g, w)                         (C_wᵀ's transpose is C_w)
        dL/dw = ∂/∂w Σ x·conv2d(g, w)                (conv2d's weight gradient, input g, grad x)
        dL/db = Σ over n, p, q of g
    First-order gradients only (no double backward).
    """

    supports_double_backward = False

    @staticmethod
    def forward(ctx, x, weight, bias, *, stride, padding, output_padding, dilation, groups):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        (sh, sw), (ph, pw), (oh, ow), (dh, dw) = stride, padding, output_padding, dilation
        kh, kw = weight.shape[2:]
        n, _, h, w = x.shape
        out_h = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oh + 1
        out_w = (w - 1) * sw - 2 * pw + dw * (kw - 1) + ow + 1
        c_out = weight.shape[1] * groups
        pads = (ph, ph, pw, pw)
        # the conv from y's space: its output size is x's, plus rows output_padding may add
        rows = (out_h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        columns = (out_w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        ctx.params = (stride, pads, dilation, groups)
        ctx.x_size = (h, w)
        x_as_grad = _output_gradient_shaped(x, rows, columns)
        ctx.save_for_backward(x_as_grad, weight)
        dtype = np.result_type(x, weight)
        shape_only = np.broadcast_to(np.zeros((), dtype), (n, c_out, out_h, out_w))
        out, _, _ = conv2d_backward(x_as_grad, shape_only, weight, *ctx.params,
                                    need_input=True, need_weight=False, need_bias=False)
        if bias is not None:
            out += bias.astype(dtype, copy=False)[:, None, None]
        return out[0] if ctx.unbatched else out

    @staticmethod
    def backward(ctx, grad):
        x_as_grad, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        if ctx.unbatched:
            grad = grad[None]
        grad_x = grad_w = grad_b = None
        if need_x:
            h, w = ctx.x_size
            grad_x = conv2d_forward(grad, weight, None, *ctx.params)[:, :, :h, :w]
            grad_x = grad_x[0] if ctx.unbatched else grad_x
        if need_w:
            _, grad_w, _ = conv2d_backward(x_as_grad, grad, weight, *ctx.params,
                                           need_input=False, need_weight=True, need_bias=False)
        if need_b:
            grad_b = grad.sum(axis=(0, 2, 3))
        return grad_x, grad_w, grad_b


# =========================================================================== arguments


def _check_transposed_shapes(op: str, x: Tensor, w: Tensor, b: Tensor | None, groups: int,
                             spatial: int) -> None:
    """Input, weight and bias fit together (PyTorch's rules and messages)."""
    if x.ndim not in (spatial + 1, spatial + 2):
        raise RuntimeError(
            f"Expected {spatial + 1}D (unbatched) or {spatial + 2}D (batched) input to {op}, but "
            f"got input of size: {list(x.shape)}; add a batch dimension with x.unsqueeze(0)"
        )
    if w.ndim != spatial + 2:
        raise RuntimeError(
            f"{op}: weight must be {spatial + 2}-D (in_channels, out_channels/groups, "
            f"kernel...), got weight of size {list(w.shape)}"
        )
    if x.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected a floating point input, got dtype {x.dtype}; "
                           "convert it first, e.g. x.float()")
    c_in = x.shape[-spatial - 1]
    if w.shape[0] != c_in or c_in % groups:
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(w.shape)}, expected input"
            f"{list(x.shape)} to have {w.shape[0]} channels, but got {c_in} channels instead "
            f"({op}: the weight's first dim is the input channels; groups={groups})"
        )
    c_out = w.shape[1] * groups
    if b is not None and tuple(b.shape) != (c_out,):
        raise RuntimeError(
            f"Given transposed=1, weight of size {list(w.shape)}, expected bias to be "
            f"1-dimensional with {c_out} elements, but got bias of size {list(b.shape)} instead"
        )
    for name, other in (("weight", w), ("bias", b)):
        if other is not None and other.dtype != x.dtype:
            raise RuntimeError(
                f"{op}: input dtype ({x.dtype}) and {name} dtype ({other.dtype}) must be the "
                f"same; convert one of them, e.g. {name}.to(input.dtype)"
            )


def _check_output_padding(op: str, output_padding: tuple[int, int], stride: tuple[int, int],
                          dilation: tuple[int, int]) -> None:
    for d in range(2):
        if output_padding[d] >= stride[d] and output_padding[d] >= dilation[d]:
            raise RuntimeError(
                f"{op}: output padding must be smaller than either stride or dilation, but got "
                f"output_padding {output_padding}, stride {stride}, dilation {dilation}"
            )


def _check_output_size(op: str, x: Tensor, w: Tensor, stride: tuple[int, int],
                       padding: tuple[int, int], output_padding: tuple[int, int],
                       dilation: tuple[int, int]) -> None:
    sizes = [(x.shape[-2 + d] - 1) * stride[d] - 2 * padding[d]
             + dilation[d] * (w.shape[2 + d] - 1) + output_padding[d] + 1 for d in range(2)]
    if min(sizes) < 1:
        raise RuntimeError(
            f"{op}: Given input size per channel: ({x.shape[-2]} x {x.shape[-1]}). Calculated "
            f"output size per channel: ({sizes[0]} x {sizes[1]}). Output size is too small; "
            "use less padding or a bigger input"
        )


def _padding_numbers(padding: Any, op: str) -> Any:
    if isinstance(padding, str):
        raise TypeError(f"{op}(): argument 'padding' must be tuple of ints, not str (a "
                        "transposed convolution takes no 'same' or 'valid' padding)")
    return padding


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
    groups: int = 1,
    dilation: IntPair = 1,
) -> Tensor:
    """2-D transposed convolution of (N, C_in, H, W) or (C_in, H, W), as PyTorch's.

    ``weight``: (C_in, C_out/groups, kH, kW); ``bias``: (C_out,). Note PyTorch's argument order:
    ``groups`` comes before ``dilation``. First-order gradients only.
    """
    op = "conv_transpose2d"
    x = tensor_argument(input, "input", 1, op)
    w = tensor_argument(weight, "weight", 2, op)
    b = None if bias is None else tensor_argument(bias, "bias", 3, op)
    stride2 = int_pair(stride, "stride", op, minimum=1)
    padding2 = int_pair(_padding_numbers(padding, op), "padding", op, minimum=0)
    output_padding2 = int_pair(output_padding, "output_padding", op, minimum=0)
    dilation2 = int_pair(dilation, "dilation", op, minimum=1)
    return _checked_transpose(op, x, w, b, stride2, padding2, output_padding2, groups, dilation2,
                              spatial=2)


def _checked_transpose(op: str, x: Tensor, w: Tensor, b: Tensor | None, stride: tuple[int, int],
                       padding: tuple[int, int], output_padding: tuple[int, int], groups: Any,
                       dilation: tuple[int, int], spatial: int) -> Tensor:
    if not isinstance(groups, int | np.integer) or isinstance(groups, bool) or groups < 1:
        raise RuntimeError(f"{op}: groups must be a positive integer, got {groups!r}")
    _check_transposed_shapes(op, x, w, b, int(groups), spatial)
    if spatial == 1:  # as an image of height 1
        x, w = x.unsqueeze(-2), w.unsqueeze(-2)
    _check_output_padding(op, output_padding, stride, dilation)
    _check_output_size(op, x, w, stride, padding, output_padding, dilation)
    out = ConvTranspose2dOp.apply(x, w, b, stride=stride, padding=padding,
                                  output_padding=output_padding, dilation=dilation,
                                  groups=int(groups))
    return out.squeeze(-2) if spatial == 1 else out


def conv_transpose1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int] = 1,
    padding: int | tuple[int] = 0,
    output_padding: int | tuple[int] = 0,
    groups: int = 1,
    dilation: int | tuple[int] = 1,
) -> Tensor:
    """1-D transposed convolution of (N, C_in, L) or (C_in, L), as PyTorch's: the 2-d one on
    an image of height 1. ``weight``: (C_in, C_out/groups, k). First-order gradients only."""
    op = "conv_transpose1d"
    x = tensor_argument(input, "input", 1, op)
    w = tensor_argument(weight, "weight", 2, op)
    b = None if bias is None else tensor_argument(bias, "bias", 3, op)
    stride2 = (1, int_single(stride, "stride", op, minimum=1))
    padding2 = (0, int_single(_padding_numbers(padding, op), "padding", op, minimum=0))
    output_padding2 = (0, int_single(output_padding, "output_padding", op, minimum=0))
    dilation2 = (1, int_single(dilation, "dilation", op, minimum=1))
    return _checked_transpose(op, x, w, b, stride2, padding2, output_padding2, groups, dilation2,
                              spatial=1)
