"""Convolution and pooling: ``conv2d``, ``max_pool2d``, ``avg_pool2d`` (NCHW, PyTorch semantics).

Convolution as a matrix product (im2col)
----------------------------------------
A 2-D convolution (PyTorch's, i.e. a cross-correlation) of x (N, C, H, W) with weights
w (O, C, kH, kW) is

    y[n, o, p, q] = b[o] + sum_{c, i, j} w[o, c, i, j] * xpad[n, c, p*sh + i*dh, q*sw + j*dw]

with xpad the zero-padded input, (sh, sw) the stride and (dh, dw) the dilation. Copy every
receptive field into one column of a matrix, the *im2col* matrix

    cols[(c, i, j), (n, p, q)] = xpad[n, c, p*sh + i*dh, q*sw + j*dw]        (C*kH*kW rows)

and the whole convolution is one matrix product (a GEMM, done by BLAS at full speed):

    Y = W @ cols          W = w.reshape(O, C*kH*kW),   Y[o, (n, p, q)] = y[n, o, p, q] - b[o]

The backward pass is two more products, with G = dL/dY in the same layout as Y:

    dL/dW    = G @ colsᵀ                       (O, C*kH*kW)
    dL/dcols = Wᵀ @ G                          (C*kH*kW, N*Ho*Wo)
    dL/dx    = col2im(dL/dcols)                every column is added back onto the input pixels
                                               it was copied from (a pixel read by several
                                               windows collects several contributions)
    dL/db    = G summed over (n, p, q)

With ``groups`` > 1 the channels split into independent groups and the same holds per group: W is
(groups, O/groups, C/groups*kH*kW) and the products are batched over the groups.

Making it fast with NumPy
-------------------------
* im2col and col2im loop over the kH*kW kernel offsets only; each step moves the pixel at that
  offset of *every* window (all images, channels and output positions) in one NumPy operation.
* Rows of ``cols`` are (c, i, j) and columns (n, p, q): the batch sits inside the columns, so
  the forward pass and each gradient are one GEMM with a long dimension, whatever the batch size.
* The *flat trick* for stride 1: each channel of the whole zero-padded batch is laid out as one
  long row, the *canvas* (see ``_canvas``). A kernel offset (i, j) is then a single shift of the
  canvas, so an im2col step copies long contiguous runs and a col2im step is one long contiguous
  addition. (NumPy pays a fixed cost per contiguous run: many short image rows are several times
  slower than a few long runs.) The price: the gaps of the canvas (the padding between image rows
  and between images) get GEMM columns too, garbage dropped from the output and given a zero
  gradient: a few percent of extra work for the usual small kernels.
* Tiling for the cache: the im2col matrix is C*kH*kW times larger than the input. Rather than
  building it whole (tens of MB, written to and read back from main memory), the columns are
  processed a tile at a time (a few MB: ``_TILE_BYTES``): im2col of the tile, then its GEMMs, then
  its col2im, while the tile is still in the CPU cache. The arithmetic is the same (dL/dW is
  summed tile by tile); only the memory traffic shrinks. Nothing is saved between forward and
  backward but the input: the backward pass rebuilds each tile of cols (cheap, from cache)
  instead of keeping the whole matrix alive.
* Scratch arrays that every call needs (the canvas, the tile, Y and G in GEMM layout, the
  gradient canvas) are kept between calls (``_Workspace``): fresh memory costs page faults.
  Their rows are padded to an odd number of 64-byte cache lines: row lengths that are multiples
  of large powers of two make BLAS slower (cache aliasing).

Pooling
-------
Pooling windows are visited the same way, one kernel offset (i, j) at a time: the strided view
``xpad[:, :, i*dh :: sh, j*dw :: sw]`` holds, for every output pixel, the input value at offset
(i, j) of its window. Max pooling keeps a running maximum and the offset where it was found
(first occurrence wins on ties, a NaN always wins, as in PyTorch); its backward adds the gradient
at the winning offset only. Average pooling sums the views and divides by the window size.

Only first-order gradients are implemented for these ops (no double backward).
"""

from __future__ import annotations

import mmap
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from microtensor.autograd.function import Op
from microtensor.tensor import Tensor

__all__ = ["avg_pool2d", "clear_workspace", "conv2d", "max_pool2d"]

IntPair = int | tuple[int, int]

# =========================================================================== arguments


def _pair(value: Any, name: str, op: str, minimum: int) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(2, 3)`` stays; checks that both are integers >= ``minimum``."""
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif (
        isinstance(value, tuple | list)
        and len(value) in (1, 2)
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in value)
    ):
        pair = (int(value[0]), int(value[-1]))
    else:
        raise TypeError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        what = "positive" if minimum == 1 else "non-negative"
        raise RuntimeError(f"{op}: {name} must be {what}, got {value!r}")
    return pair


def _conv_padding(
    padding: Any, kernel: tuple[int, int], stride: tuple[int, int], dilation: tuple[int, int]
) -> tuple[int, int, int, int]:
    """PyTorch's conv padding argument as (top, bottom, left, right).

    ``"valid"`` is no padding. ``"same"`` pads so that the output has the input's size (stride 1
    only): dilation*(kernel-1) in total, half on each side; when that total is odd the extra one
    goes to the bottom/right, as in PyTorch.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"conv2d: padding='same' is not supported for strided convolutions "
                    f"(stride {stride}); use stride=1 or give the padding as numbers"
                )
            total_h = dilation[0] * (kernel[0] - 1)
            total_w = dilation[1] * (kernel[1] - 1)
            return (total_h // 2, total_h - total_h // 2, total_w // 2, total_w - total_w // 2)
        raise ValueError(
            f"conv2d: invalid padding string {padding!r}; expected 'same' or 'valid' (or an int "
            "or a pair of ints)"
        )
    ph, pw = _pair(padding, "padding", "conv2d", minimum=0)
    return (ph, ph, pw, pw)


def _as_tensor(value: Any, name: str, op: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray | list | tuple):
        return Tensor._make(np.asarray(value))
    raise TypeError(f"{op}: {name} must be a Tensor, got {type(value).__name__}")


def _check_image_input(x: Tensor, op: str) -> None:
    if x.ndim not in (3, 4):
        raise RuntimeError(
            f"{op}: expected a 4-D input (batch, channels, height, width) or a 3-D unbatched "
            f"input (channels, height, width), but got an input of shape {tuple(x.shape)}; "
            "add a batch dimension with x.unsqueeze(0) or reshape the input"
        )
    if x.dtype.kind != "f":
        raise RuntimeError(
            f"{op}: expected a floating point input, got dtype {x.dtype}; convert it first, "
            "e.g. x.float()"
        )


# =========================================================================== scratch memory


class _Workspace(threading.local):
    """Scratch arrays kept between calls (one set per thread); least recently used dropped first.

    ``get(key, shape, dtype)`` returns the array kept under that key and shape, created zeroed the
    first time. Callers rely on parts they never write (the gaps of the canvas) staying zero:
    safe because the key names everything that decides which parts get written.

    Big ones come straight from the operating system (an anonymous ``mmap``) with transparent
    huge pages requested: the strided copies of im2col/col2im run through them many times, and
    with 2 MB pages they miss the TLB far less than with 4 kB pages (whatever the C allocator
    would have done with the memory).
    """

    limit_bytes = 256 << 20  # total size kept between calls

    def __init__(self) -> None:
        self.arrays: OrderedDict[tuple[Any, ...], np.ndarray] = OrderedDict()

    def get(self, key: tuple[Any, ...], shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        key = (*key, shape, np.dtype(dtype).str)
        array = self.arrays.pop(key, None)
        if array is None:
            array = self._zeros(shape, np.dtype(dtype))
            if array.nbytes > self.limit_bytes:  # too big to keep: used once, then freed
                return array
        self.arrays[key] = array  # now the most recently used
        total = sum(a.nbytes for a in self.arrays.values())
        while total > self.limit_bytes:
            total -= self.arrays.popitem(last=False)[1].nbytes
        return array

    @staticmethod
    def _zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        nbytes = int(np.prod(shape)) * dtype.itemsize
        if nbytes < (2 << 20) or not hasattr(mmap, "MADV_HUGEPAGE"):
            return np.zeros(shape, dtype)
        memory = mmap.mmap(-1, nbytes)  # anonymous memory: zeroed by the OS
        memory.madvise(mmap.MADV_HUGEPAGE)
        return np.frombuffer(memory, dtype).reshape(shape)

    def clear(self) -> None:
        self.arrays.clear()


_workspace = _Workspace()


def clear_workspace() -> None:
    """Free the scratch memory conv2d keeps between calls (of the calling thread)."""
    _workspace.clear()


def _row_length(columns: int, itemsize: int) -> int:
    """Allocated row length for a GEMM operand with ``columns`` used columns: rounded up to whole
    64-byte cache lines, and to an odd number of them (row strides that are multiples of large
    powers of two make the rows compete for the same cache sets, which slows BLAS down)."""
    per_line = max(64 // itemsize, 1)
    lines = -(-columns // per_line)
    if lines % 2 == 0:
        lines += 1
    return lines * per_line


def _split(array: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Reshape that must be a view (we write through it); only ever splits axes."""
    view = array.reshape(shape)
    assert view.size == 0 or np.may_share_memory(view, array), "reshape copied"
    return view


# =========================================================================== conv2d kernels

_TILE_BYTES = 3 << 20  # size of one tile of the im2col matrix: a few MB, fits in the CPU cache


@dataclass(frozen=True, slots=True)
class ConvGeometry:
    """Every size of one conv2d call, worked out once.

    GEMM column m stands for output pixel (n, p, q) at m = n*block + p*row + q. Without the flat
    trick (stride > 1) ``row = wo`` and ``block = ho*wo``: no gaps. With it (stride 1) ``row`` and
    ``block`` are the pitches of the canvas (see ``_canvas``) and the columns in between are
    garbage. ``columns`` GEMM columns in all, in rows of ``ld`` values (see ``_row_length``);
    ``tile`` of them at a time.
    """

    n: int
    c_in: int
    h: int
    w: int
    c_out: int
    kh: int
    kw: int
    groups: int
    stride: tuple[int, int]
    dilation: tuple[int, int]
    padding: tuple[int, int, int, int]  # top, bottom, left, right
    ho: int
    wo: int
    flat: bool
    row: int  # GEMM columns per output row
    block: int  # GEMM columns per image
    base: int  # flat trick: canvas position of pixel (0, 0) of the first image
    columns: int
    ld: int
    tile: int

    @staticmethod
    def of(
        x_shape: tuple[int, ...],
        w_shape: tuple[int, ...],
        stride: tuple[int, int],
        padding: tuple[int, int, int, int],
        dilation: tuple[int, int],
        groups: int,
        itemsize: int,
    ) -> ConvGeometry:
        n, c_in, h, w = x_shape
        c_out, _, kh, kw = w_shape
        top, bottom, left, right = padding
        ho = (h + top + bottom - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (w + left + right - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        flat = stride == (1, 1)
        if flat:
            # a zero gap after every image row and after every image, wide enough for the
            # padding on either side (neighbours share it) and for every output pixel
            row = w + max(left, right, wo - w)
            block = (h + max(top, bottom, ho - h)) * row
            base = top * row + left
        else:
            row, block, base = wo, ho * wo, 0
        columns = max((n - 1) * block + (ho - 1) * row + wo, 0)
        # columns per tile: about _TILE_BYTES of cols; without the flat trick, whole images
        tile = max(_TILE_BYTES // (c_in * kh * kw * itemsize), 1)
        tile = max(tile // 64 * 64, 64) if flat else max(tile // block, 1) * block
        return ConvGeometry(
            n, c_in, h, w, c_out, kh, kw, groups, stride, dilation, padding, ho, wo, flat, row,
            block, base, columns, _row_length(n * block, itemsize), min(tile, max(columns, 1)),
        )

    def tiles(self) -> Iterator[tuple[int, int]]:
        """The GEMM column ranges [start, stop) processed one after the other."""
        for start in range(0, self.columns, self.tile):
            yield start, min(start + self.tile, self.columns)

    def images(self, matrix: np.ndarray, height: int, width: int) -> np.ndarray:
        """View (rows, N, height, width) of the pixels (n, p, q) stored at n*block + p*row + q
        in a (rows, >= N*block) matrix: the output in GEMM layout, or the canvas from ``base``."""
        rows = matrix.shape[0]
        grid = _split(matrix[:, : self.n * self.block],
                      (rows, self.n, self.block // self.row, self.row))
        return grid[:, :, :height, :width]


def _canvas(x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """The flat trick's canvas, (C, base + N*block): each channel of the whole batch laid out as
    one long row, pixel (n, c, h, w) at base + n*block + h*row + w, with zeros in the gaps.

    A gap is shared by the right padding of one image row and the left padding of the next (and
    likewise between images), so padding costs little room. Output pixel (n, p, q) reads its
    window offset (i, j) at canvas position m + i*dh*row + j*dw, where m = n*block + p*row + q is
    its GEMM column: every kernel offset is one shift of the whole canvas.
    """
    shape = (g.c_in, g.base + g.n * g.block)
    key = ("conv2d.canvas", g.h, g.w, g.base, g.row, g.block)
    canvas = _workspace.get(key, shape, x.dtype)
    # only the pixels are written (always the same ones for this key): the gaps stay zero
    g.images(canvas[:, g.base :], g.h, g.w)[...] = x.transpose(1, 0, 2, 3)
    return canvas


def _padded_input(x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """Without the flat trick: x inside its zero border, (N, C, H + top + bottom, W + left +
    right)."""
    top, bottom, left, right = g.padding
    if top == bottom == left == right == 0:
        return x
    shape = (g.n, g.c_in, g.h + top + bottom, g.w + left + right)
    xpad = _workspace.get(("conv2d.xpad", g.padding), shape, x.dtype)
    xpad[:, :, top : top + g.h, left : left + g.w] = x  # the border is never written: stays 0
    return xpad


def _conv_source(x: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """What im2col reads: the canvas (flat trick) or the padded input."""
    return _canvas(x, g) if g.flat else _padded_input(x, g)


def im2col(source: np.ndarray, g: ConvGeometry, start: int, stop: int, cols: np.ndarray) -> None:
    """Columns start..stop-1 of the im2col matrix into ``cols[:, :stop-start]``:

    cols[(c, i, j), (n, p, q)] = xpad[n, c, p*sh + i*dh, q*sw + j*dw]

    One vectorised copy per kernel offset (i, j): that offset's pixel of every window.
    """
    (sh, sw), (dh, dw) = g.stride, g.dilation
    if g.flat:  # the offset (i, j) is a shift of the canvas by i*dh*row + j*dw
        cols4 = _split(cols[:, : stop - start], (g.c_in, g.kh, g.kw, stop - start))
        for i in range(g.kh):
            for j in range(g.kw):
                shift = i * dh * g.row + j * dw
                cols4[:, i, j] = source[:, start + shift : stop + shift]
    else:  # the tile is images n0..n1-1
        n0, n1 = start // g.block, stop // g.block
        cols6 = _split(cols[:, : stop - start], (g.c_in, g.kh, g.kw, n1 - n0, g.ho, g.wo))
        for i in range(g.kh):
            for j in range(g.kw):
                window = source[n0:n1, :, i * dh :: sh, j * dw :: sw][:, :, : g.ho, : g.wo]
                cols6[:, i, j] = window.transpose(1, 0, 2, 3)


def col2im(dcols: np.ndarray, g: ConvGeometry, start: int, stop: int,
           grad_source: np.ndarray) -> None:
    """The adjoint of im2col: add columns start..stop-1 of dL/dcols back onto the pixels of
    ``grad_source`` (laid out like im2col's source) they were copied from:

    grad_xpad[n, c, p*sh + i*dh, q*sw + j*dw] += dcols[(c, i, j), (n, p, q)]

    One vectorised addition per kernel offset (i, j).
    """
    (sh, sw), (dh, dw) = g.stride, g.dilation
    if g.flat:
        d4 = _split(dcols[:, : stop - start], (g.c_in, g.kh, g.kw, stop - start))
        for i in range(g.kh):
            for j in range(g.kw):
                shift = i * dh * g.row + j * dw
                grad_source[:, start + shift : stop + shift] += d4[:, i, j]
    else:
        n0, n1 = start // g.block, stop // g.block
        d6 = _split(dcols[:, : stop - start], (g.c_in, g.kh, g.kw, n1 - n0, g.ho, g.wo))
        for i in range(g.kh):
            for j in range(g.kw):
                window = grad_source[n0:n1, :, i * dh :: sh, j * dw :: sw][:, :, : g.ho, : g.wo]
                window += d6[:, i, j].transpose(1, 0, 2, 3)


def _grouped(matrix: np.ndarray, groups: int) -> np.ndarray:
    """(rows, columns) matrix -> (groups, rows/groups, columns) view: one GEMM per group."""
    return _split(matrix, (groups, matrix.shape[0] // groups, matrix.shape[1]))


def _matmul_nt(a: np.ndarray, b: np.ndarray, chunk: int = 512) -> np.ndarray:
    """a @ bᵀ for stacks a (G, K, T) and b (G, O, T): a product over a long T with a small result.

    When the result is small (K*O), BLAS has little to split between threads and handles the long
    shared dimension poorly; cutting T into chunks, multiplying the chunks as one batch and summing
    the partial products is several times faster. (The chunks are views: nothing is copied.)
    """
    groups, k, t = a.shape
    o = b.shape[1]
    pieces = t // chunk
    if k * o > 4096 or pieces < 2:
        return np.matmul(a, b.transpose(0, 2, 1))
    head = pieces * chunk
    a_chunks = a[..., :head].reshape(groups, k, pieces, chunk).transpose(0, 2, 1, 3)
    b_chunks = b[..., :head].reshape(groups, o, pieces, chunk).transpose(0, 2, 3, 1)
    result = np.matmul(a_chunks, b_chunks).sum(axis=1)
    if head < t:
        result += np.matmul(a[..., head:], b[..., head:].transpose(0, 2, 1))
    return result


def _tile_buffer(g: ConvGeometry, dtype: np.dtype) -> np.ndarray:
    """Scratch for one tile of cols (or of dL/dcols)."""
    shape = (g.c_in * g.kh * g.kw, _row_length(g.tile, np.dtype(dtype).itemsize))
    return _workspace.get(("conv2d.tile",), shape, dtype)


def conv2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: tuple[int, int],
    padding: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
) -> np.ndarray:
    """y = conv2d(x, w) + b on arrays, x: (N, C, H, W), padding: (top, bottom, left, right).

    Per tile of columns: cols = im2col(x), Y[:, tile] = W @ cols (one GEMM per group). Then
    y = Y + b, reordered to (N, O, Ho, Wo).
    """
    dtype = np.result_type(x, weight)
    g = ConvGeometry.of(x.shape, weight.shape, stride, padding, dilation, groups, dtype.itemsize)
    source = _conv_source(x, g)
    cols = _tile_buffer(g, dtype)
    y = _workspace.get(("conv2d.y",), (g.c_out, g.ld), dtype)
    w_mat = weight.reshape(groups, g.c_out // groups, -1)
    for start, stop in g.tiles():
        im2col(source, g, start, stop, cols)
        np.matmul(w_mat, _grouped(cols[:, : stop - start], groups),
                  out=_grouped(y[:, start:stop], groups))
    if bias is not None:
        y[:, : g.columns] += bias[:, None]
    # (O, columns) -> (N, O, Ho, Wo), leaving out the garbage columns of the flat trick
    out = np.empty((g.n, g.c_out, g.ho, g.wo), dtype)
    np.copyto(out, g.images(y, g.ho, g.wo).transpose(1, 0, 2, 3))
    return out


def conv2d_backward(
    grad: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: tuple[int, int],
    padding: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
    need_input: bool = True,
    need_weight: bool = True,
    need_bias: bool = True,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(dL/dx, dL/dw, dL/db) from G = dL/dy; a gradient not needed is returned as None.

    Per tile of columns: dL/dW += G[:, tile] @ colsᵀ and dL/dx += col2im(Wᵀ @ G[:, tile]);
    dL/db = sum of G over (n, p, q).
    """
    dtype = np.result_type(x, weight)
    g = ConvGeometry.of(x.shape, weight.shape, stride, padding, dilation, groups, dtype.itemsize)
    grad_x = grad_w = grad_b = None
    if not (need_input or need_weight):
        return grad_x, grad_w, grad.sum(axis=(0, 2, 3)) if need_bias else None

    # G in the GEMM layout (O, columns); the garbage columns of the flat trick get a zero
    # gradient (they are never written, and the buffer was zeroed when created)
    key = ("conv2d.grad", g.n, g.ho, g.wo, g.row, g.block)
    gy = _workspace.get(key, (g.c_out, g.ld), dtype)
    g.images(gy, g.ho, g.wo)[...] = grad.transpose(1, 0, 2, 3)
    if need_bias:
        grad_b = gy[:, : g.columns].sum(axis=1)
    w_mat = weight.reshape(groups, g.c_out // groups, -1)
    cols = _tile_buffer(g, dtype)
    source = _conv_source(x, g) if need_weight else None
    grad_source = None
    if need_input:  # dL/d(canvas) or dL/d(padded input), summed into by col2im
        top, bottom, left, right = g.padding
        shape = ((g.c_in, g.base + g.n * g.block) if g.flat
                 else (g.n, g.c_in, g.h + top + bottom, g.w + left + right))
        grad_source = _workspace.get(("conv2d.grad_source",), shape, dtype)
        grad_source.fill(0)
    grad_w_t = None  # dL/dWᵀ, (groups, K/groups, O/groups)

    for start, stop in g.tiles():
        cols_tile = _grouped(cols[:, : stop - start], groups)
        gy_tile = _grouped(gy[:, start:stop], groups)
        if need_weight:
            im2col(source, g, start, stop, cols)
            part = _matmul_nt(cols_tile, gy_tile)  # colsᵀ-major: the faster orientation
            grad_w_t = part if grad_w_t is None else np.add(grad_w_t, part, out=grad_w_t)
        if need_input:
            np.matmul(w_mat.transpose(0, 2, 1), gy_tile, out=cols_tile)  # dL/dcols of the tile
            col2im(cols, g, start, stop, grad_source)

    if need_weight:
        if grad_w_t is None:  # empty batch
            grad_w = np.zeros_like(weight)
        else:
            grad_w = np.ascontiguousarray(grad_w_t.transpose(0, 2, 1)).reshape(weight.shape)
    if need_input:  # a fresh array: grad_source is scratch memory, reused by the next call
        if g.flat:
            grad_x = g.images(grad_source[:, g.base :], g.h, g.w).transpose(1, 0, 2, 3)
        else:
            top, _, left, _ = g.padding
            grad_x = grad_source[:, :, top : top + g.h, left : left + g.w]
        grad_x = grad_x.copy()
    return grad_x, grad_w, grad_b


# =========================================================================== pooling kernels


def _pool_output_size(size: int, kernel: int, stride: int, pad: int, dilation: int,
                      ceil_mode: bool) -> int:
    """PyTorch's rule, including ceil_mode's 'the last window must start inside the input or
    the left padding'."""
    span = size + 2 * pad - dilation * (kernel - 1) - 1
    out = (span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + pad:
        out -= 1
    return out


@dataclass(frozen=True, slots=True)
class PoolGeometry:
    """Sizes of one pooling call; the input is padded to (hp, wp): ``pad`` on the top/left, and
    on the bottom/right ``pad`` plus what ceil_mode's last windows need."""

    n: int
    c: int
    h: int
    w: int
    kernel: tuple[int, int]
    stride: tuple[int, int]
    pad: tuple[int, int]
    dilation: tuple[int, int]
    ho: int
    wo: int
    hp: int
    wp: int

    @staticmethod
    def of(shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
           pad: tuple[int, int], dilation: tuple[int, int], ceil_mode: bool) -> PoolGeometry:
        n, c, h, w = shape
        ho = _pool_output_size(h, kernel[0], stride[0], pad[0], dilation[0], ceil_mode)
        wo = _pool_output_size(w, kernel[1], stride[1], pad[1], dilation[1], ceil_mode)
        # rows/columns reached by the last window: at least the padded size
        hp = max(h + 2 * pad[0], (ho - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1)
        wp = max(w + 2 * pad[1], (wo - 1) * stride[1] + dilation[1] * (kernel[1] - 1) + 1)
        return PoolGeometry(n, c, h, w, kernel, stride, pad, dilation, ho, wo, hp, wp)


def _pool_pad(x: np.ndarray, g: PoolGeometry, fill: float) -> np.ndarray:
    if (g.hp, g.wp) == (g.h, g.w):
        return x
    xpad = np.full((g.n, g.c, g.hp, g.wp), fill, x.dtype)
    xpad[:, :, g.pad[0] : g.pad[0] + g.h, g.pad[1] : g.pad[1] + g.w] = x
    return xpad


def _windows(xpad: np.ndarray, g: PoolGeometry) -> Iterator[tuple[int, np.ndarray]]:
    """For each kernel offset t = i*kW + j, the (N, C, Ho, Wo) view of the window pixels at
    offset (i, j): view[n, c, p, q] = xpad[n, c, p*sh + i*dh, q*sw + j*dw]."""
    (kh, kw), (sh, sw), (dh, dw) = g.kernel, g.stride, g.dilation
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, xpad[:, :, i * dh :: sh, j * dw :: sw][:, :, : g.ho, : g.wo]


def _crop(gpad: np.ndarray, g: PoolGeometry) -> np.ndarray:
    if (g.hp, g.wp) == (g.h, g.w):
        return gpad
    return np.ascontiguousarray(gpad[:, :, g.pad[0] : g.pad[0] + g.h, g.pad[1] : g.pad[1] + g.w])


def _overlapping(g: PoolGeometry) -> bool:
    """Can an input pixel belong to two windows? (Not when the stride is at least the window.)"""
    return any(g.stride[d] < g.dilation[d] * (g.kernel[d] - 1) + 1 for d in range(2))


def max_pool2d_forward(x: np.ndarray, g: PoolGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Window maxima and, per output pixel, the kernel offset t = i*kW + j where it was found.

    Offsets are visited in order; a value larger than the running maximum takes over, an equal
    one does not (the first maximum wins), and a NaN always does (NaN propagates, as in
    PyTorch). The padding is -inf, so it never wins. Since t only grows, the winning offset is
    the largest t at which the maximum improved: a running ``maximum`` again, with no masked
    assignment (those are slow in NumPy).
    """
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    xpad = _pool_pad(x, g, fill)
    offsets = g.kernel[0] * g.kernel[1]
    code = np.uint8 if offsets <= 256 else np.int32
    best = argmax = None
    for t, view in _windows(xpad, g):
        if best is None:
            best = view.copy()
            argmax = np.zeros(best.shape, code)
            continue
        better = view > best
        if x.dtype.kind == "f":
            np.logical_or(better, np.isnan(view), out=better)
        np.maximum(best, view, out=best)  # NaN propagates
        np.maximum(argmax, better * code(t), out=argmax)
    return best, argmax


def max_pool2d_backward(grad: np.ndarray, argmax: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """dL/dx: each output's gradient goes to the input pixel that won its window (summed where
    overlapping windows picked the same pixel)."""
    grad_pad = np.zeros((g.n, g.c, g.hp, g.wp), grad.dtype)
    overlapping = _overlapping(g)
    for t, view in _windows(grad_pad, g):
        if overlapping:
            view += grad * (argmax == t)
        else:  # every pixel is in one window at most: write instead of add
            np.multiply(grad, argmax == t, out=view)
    return _crop(grad_pad, g)


def max_pool2d_indices(argmax: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """PyTorch's ``return_indices``: the flat position h*W + w, in the unpadded input plane, of
    each window's maximum (int64)."""
    kw = g.kernel[1]
    rows = (np.arange(g.ho) * g.stride[0] - g.pad[0])[:, None] + (argmax // kw) * g.dilation[0]
    cols = (np.arange(g.wo) * g.stride[1] - g.pad[1]) + (argmax % kw) * g.dilation[1]
    return (rows.astype(np.int64) * g.w + cols).astype(np.int64)


def _avg_divisor(g: PoolGeometry, count_include_pad: bool, divisor_override: int | None,
                 dtype: np.dtype) -> np.ndarray | float:
    """Number of values averaged by each window, as PyTorch counts them: the window clipped to
    the padded input (count_include_pad) or to the input itself; (Ho, Wo) or a scalar."""
    if divisor_override is not None:
        return float(divisor_override)

    def counts(out: int, size: int, k: int, s: int, p: int) -> np.ndarray:
        start = np.arange(out) * s - p
        end = np.minimum(start + k, size + p)
        if count_include_pad:
            return end - start
        return np.minimum(end, size) - np.maximum(start, 0)

    rows = counts(g.ho, g.h, g.kernel[0], g.stride[0], g.pad[0])
    cols = counts(g.wo, g.w, g.kernel[1], g.stride[1], g.pad[1])
    divisor = np.outer(rows, cols).astype(dtype)
    if (divisor == divisor.flat[0]).all():
        return float(divisor.flat[0])
    return divisor


def avg_pool2d_forward(x: np.ndarray, g: PoolGeometry, divisor: np.ndarray | float) -> np.ndarray:
    """y = (sum of the window's values) / divisor, with zero padding."""
    xpad = _pool_pad(x, g, 0)
    total = None
    for _, view in _windows(xpad, g):
        if total is None:
            total = view.copy()
        else:
            total += view
    total /= divisor
    return total


def avg_pool2d_backward(grad: np.ndarray, g: PoolGeometry, divisor: np.ndarray | float
                        ) -> np.ndarray:
    """dL/dx: every pixel of a window receives that window's gradient / divisor."""
    share = grad / divisor
    grad_pad = np.zeros((g.n, g.c, g.hp, g.wp), grad.dtype)
    overlapping = _overlapping(g)
    for _, view in _windows(grad_pad, g):
        if overlapping:
            view += share
        else:  # every pixel is in one window at most: write instead of add
            view[...] = share
    return _crop(grad_pad, g)


# =========================================================================== the Ops


def _first_order_only(op: str, grad: Any) -> None:
    if not isinstance(grad, np.ndarray):
        raise NotImplementedError(
            f"{op} supports first-order gradients only: its backward cannot be recorded for "
            "double backward (create_graph=True)"
        )


class Conv2d(Op):
    """y = x ⋆ w + b (cross-correlation, NCHW), computed as Y = W @ im2col(x).

    Forward:  cols = im2col(x),  Y = W @ cols  (+ b),  with W = w.reshape(O, C*kH*kW).
    Backward, with G = dL/dY in the layout of Y:
        dL/dw = G @ colsᵀ           (reshaped to w's shape)
        dL/dx = col2im(Wᵀ @ G)      (each column added back onto the pixels it was copied from)
        dL/db = sum of G over batch and pixels
    Per group when groups > 1. First-order gradients only (no double backward).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, *, stride, padding, dilation, groups):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        ctx.save_for_backward(x, weight)
        ctx.params = (stride, padding, dilation, groups)
        out = conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
        return out[0] if ctx.unbatched else out

    @staticmethod
    def backward(ctx, grad):
        _first_order_only("conv2d", grad)
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        if ctx.unbatched:
            grad = grad[None]
        grad_x, grad_w, grad_b = conv2d_backward(
            grad, x, weight, *ctx.params, need_input=need_x, need_weight=need_w,
            need_bias=need_b,
        )
        if ctx.unbatched and grad_x is not None:
            grad_x = grad_x[0]
        return grad_x, grad_w, grad_b


class MaxPool2d(Op):
    """y[n, c, p, q] = max over the window of x.  dL/dx = g routed to each window's argmax.

    First-order gradients only.
    """

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, dilation, ceil_mode, indices=None):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        g = PoolGeometry.of(x.shape, kernel_size, stride, padding, dilation, ceil_mode)
        out, ctx.argmax = max_pool2d_forward(x, g)
        ctx.geometry = g
        if indices is not None:  # return_indices=True: hand the int64 positions back
            found = max_pool2d_indices(ctx.argmax, g)
            indices.append(found[0] if ctx.unbatched else found)
        return out[0] if ctx.unbatched else out

    @staticmethod
    def backward(ctx, grad):
        _first_order_only("max_pool2d", grad)
        if ctx.unbatched:
            grad = grad[None]
        grad_x = max_pool2d_backward(grad, ctx.argmax, ctx.geometry)
        return (grad_x[0] if ctx.unbatched else grad_x,)


class AvgPool2d(Op):
    """y[n, c, p, q] = (sum of x over the window) / divisor.  dL/dx[window] += g / divisor.

    First-order gradients only.
    """

    @staticmethod
    def forward(ctx, x, *, kernel_size, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
        ctx.unbatched = x.ndim == 3
        if ctx.unbatched:
            x = x[None]
        g = PoolGeometry.of(x.shape, kernel_size, stride, padding, (1, 1), ceil_mode)
        ctx.geometry = g
        ctx.divisor = _avg_divisor(g, count_include_pad, divisor_override, x.dtype)
        out = avg_pool2d_forward(x, g, ctx.divisor)
        return out[0] if ctx.unbatched else out

    @staticmethod
    def backward(ctx, grad):
        _first_order_only("avg_pool2d", grad)
        if ctx.unbatched:
            grad = grad[None]
        grad_x = avg_pool2d_backward(grad, ctx.geometry, ctx.divisor)
        return (grad_x[0] if ctx.unbatched else grad_x,)


# =========================================================================== public functions


def conv2d(
    input: Tensor,  # noqa: A002 (PyTorch's name)
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntPair = 1,
    padding: IntPair | str = 0,
    dilation: IntPair = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation) over an NCHW (or unbatched CHW) input, as PyTorch's.

    ``weight``: (C_out, C_in/groups, kH, kW); ``bias``: (C_out,) or None; ``stride``,
    ``dilation``: int or pair; ``padding``: int, pair, ``"valid"`` or ``"same"`` (stride 1 only;
    for an even kernel the extra row/column of padding goes to the bottom/right).
    Output size per dimension: (size + 2*pad - dilation*(k-1) - 1) // stride + 1.
    First-order gradients only (no double backward).
    """
    op = "conv2d"
    x = _as_tensor(input, "input", op)
    w = _as_tensor(weight, "weight", op)
    b = None if bias is None else _as_tensor(bias, "bias", op)
    _check_image_input(x, op)
    if w.ndim != 4:
        raise RuntimeError(
            f"{op}: weight must be 4-D (out_channels, in_channels/groups, kH, kW), got shape "
            f"{tuple(w.shape)}"
        )
    stride2 = _pair(stride, "stride", op, minimum=1)
    dilation2 = _pair(dilation, "dilation", op, minimum=1)
    if not isinstance(groups, int | np.integer) or isinstance(groups, bool) or groups < 1:
        raise RuntimeError(f"{op}: groups must be a positive integer, got {groups!r}")
    groups = int(groups)
    kernel = (w.shape[2], w.shape[3])
    pads = _conv_padding(padding, kernel, stride2, dilation2)

    c_in = x.shape[-3]
    c_out = w.shape[0]
    if c_out % groups != 0:
        raise RuntimeError(
            f"{op}: groups={groups} must divide the number of output channels, but weight has "
            f"shape {tuple(w.shape)} ({c_out} output channels)"
        )
    if c_in % groups != 0:
        raise RuntimeError(
            f"{op}: groups={groups} must divide the number of input channels, but the input has "
            f"shape {tuple(x.shape)} ({c_in} channels)"
        )
    if c_in != w.shape[1] * groups:
        raise RuntimeError(
            f"{op}: input has {c_in} channels but weight expects {w.shape[1] * groups} (weight "
            f"shape {tuple(w.shape)}, groups {groups}); pass an input with that many channels, "
            f"or a weight of shape ({c_out}, {c_in // groups}, {kernel[0]}, {kernel[1]})"
        )
    if b is not None and tuple(b.shape) != (c_out,):
        raise RuntimeError(
            f"{op}: bias must have shape ({c_out},) (one value per output channel), got "
            f"{tuple(b.shape)}"
        )
    for name, other in (("weight", w), ("bias", b)):
        if other is not None and other.dtype != x.dtype:
            raise RuntimeError(
                f"{op}: input dtype ({x.dtype}) and {name} dtype ({other.dtype}) must be the "
                f"same; convert one of them, e.g. {name}.to(input.dtype)"
            )
    h, wd = x.shape[-2], x.shape[-1]
    padded = (h + pads[0] + pads[1], wd + pads[2] + pads[3])
    reach = (dilation2[0] * (kernel[0] - 1) + 1, dilation2[1] * (kernel[1] - 1) + 1)
    if padded[0] < reach[0] or padded[1] < reach[1]:
        raise RuntimeError(
            f"{op}: the (dilated) kernel {reach[0]}x{reach[1]} is larger than the padded input "
            f"{padded[0]}x{padded[1]} (input shape {tuple(x.shape)}, weight shape "
            f"{tuple(w.shape)}, padding {pads[0]},{pads[1]},{pads[2]},{pads[3]} "
            "(top, bottom, left, right)); use a bigger input, a smaller kernel, or more padding"
        )
    return Conv2d.apply(
        x, w, b, stride=stride2, padding=pads, dilation=dilation2, groups=groups
    )


def _pool_arguments(
    op: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
    ceil_mode: bool,
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], tuple[int, int]]:
    _check_image_input(x, op)
    kernel = _pair(kernel_size, "kernel_size", op, minimum=1)
    if stride is None or (isinstance(stride, tuple | list) and len(stride) == 0):
        stride2 = kernel
    else:
        stride2 = _pair(stride, "stride", op, minimum=1)
    pad = _pair(padding, "padding", op, minimum=0)
    dilation2 = _pair(dilation, "dilation", op, minimum=1)
    for d in range(2):
        half = (dilation2[d] * (kernel[d] - 1) + 1) // 2
        if pad[d] > half:
            raise RuntimeError(
                f"{op}: padding should be at most half of the (dilated) kernel size, but got "
                f"padding {pad} for kernel_size {kernel} and dilation {dilation2}"
            )
    h, w = x.shape[-2], x.shape[-1]
    ho = _pool_output_size(h, kernel[0], stride2[0], pad[0], dilation2[0], ceil_mode)
    wo = _pool_output_size(w, kernel[1], stride2[1], pad[1], dilation2[1], ceil_mode)
    if ho < 1 or wo < 1:
        raise RuntimeError(
            f"{op}: input of shape {tuple(x.shape)} is too small for kernel_size {kernel}, "
            f"stride {stride2}, padding {pad}, dilation {dilation2}: the output would be "
            f"{ho}x{wo}; use a smaller kernel or more padding"
        )
    return kernel, stride2, pad, dilation2


def max_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    ceil_mode: bool = False,
    return_indices: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Max over each (dilated) window, as PyTorch's; ``stride`` defaults to ``kernel_size`` and
    the implicit padding is -inf. With ``return_indices=True`` also returns, as int64, the flat
    position h*W + w of each maximum in its input plane (ties: the first in the window wins).
    First-order gradients only.
    """
    op = "max_pool2d"
    x = _as_tensor(input, "input", op)
    kernel, stride2, pad, dilation2 = _pool_arguments(
        op, x, kernel_size, stride, padding, dilation, ceil_mode
    )
    found: list[np.ndarray] | None = [] if return_indices else None
    out = MaxPool2d.apply(
        x, kernel_size=kernel, stride=stride2, padding=pad, dilation=dilation2,
        ceil_mode=bool(ceil_mode), indices=found,
    )
    if return_indices:
        return out, Tensor._make(found[0])
    return out


def avg_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: IntPair,
    stride: IntPair | None = None,
    padding: IntPair = 0,
    ceil_mode: bool = False,
    count_include_pad: bool = True,
    divisor_override: int | None = None,
) -> Tensor:
    """Mean over each window, as PyTorch's; ``stride`` defaults to ``kernel_size``, padding is
    zeros. The divisor is the window size counting padding (``count_include_pad=True``) or only
    the input pixels it covers, unless ``divisor_override`` is given.
    First-order gradients only.
    """
    op = "avg_pool2d"
    x = _as_tensor(input, "input", op)
    kernel, stride2, pad, _ = _pool_arguments(op, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and (
        not isinstance(divisor_override, int | np.integer) or divisor_override == 0
    ):
        raise RuntimeError(
            f"{op}: divisor_override must be a non-zero int, got {divisor_override!r}"
        )
    return AvgPool2d.apply(
        x, kernel_size=kernel, stride=stride2, padding=pad, ceil_mode=bool(ceil_mode),
        count_include_pad=bool(count_include_pad), divisor_override=divisor_override,
    )
