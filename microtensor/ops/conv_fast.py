"""The conv2d kernels on NumPy arrays: a convolution as matrix products (im2col), made fast.

Read ``conv_plain.py`` first. It is the same convolution in a few dozen plain lines (pad the
input, copy one strided slice per kernel offset into the cols array, one matmul; col2im adds
each slice back), and the tests hold this module to its results. The arithmetic here is the
same, im2col, the same GEMMs, col2im; what differs is where the numbers live and how often
memory is touched, because that, not the multiplications, is what a plain im2col spends its
time on. What each trick saves (details below):

* Chunks and bands instead of the whole cols matrix: the plain version builds all of it at once,
  kH*kW times the size of the input (tens of MB; one 16-channel 128×128 image alone has 10 MB of
  cols), written out to main memory and read back. Here about 2.5 MB (``_CHUNK_BYTES``) at a
  time, which stays in the CPU cache, and the backward pass rebuilds them instead of keeping
  anything but the input alive.
* The flat trick: the plain version copies kH*kW strided views, each made of many short rows;
  here every kernel offset is one shift of a flat canvas, so one contiguous copy (or addition)
  of C whole rows. Copies of many short rows are several times slower. For that the rows of cols
  are ordered (i, j, c), not the plain version's (c, i, j) (which matches the layout of the
  weights and needs no reordering). The padding costs no GEMM columns (the wrapped-around reads
  are zeroed instead); the garbage columns between images cost a few percent. With a stride
  too, on polyphase canvases (below): for the 64->128 3×3 stride-2 layer that took forward +
  backward from 40 to 26 ms (1 thread, arrays).
* The direct layout: when every GEMM column of an image is one of its output pixels, the
  products are batched per image and read and write y[n] and dL/dy[n] where they lie, instead of
  one product per chunk through a (O, columns) scratch matrix and a reordering copy of Y (and of
  G) each call: a pass over the output saved each way, and the per-image products are also
  faster for small images (grouped 64->64 on 16×16, 4 groups: forward 2.7 -> 2.0 ms).
* Scratch memory kept between calls (a per-thread ``_Workspace``) instead of fresh arrays per
  call: no page faults each time, and the big arrays sit on 2 MB huge pages (fewer TLB misses
  than with 4 kB pages). Rows are padded to an odd number of cache lines, because row lengths
  that are multiples of large powers of two make BLAS slower.
* Pieces of the batch on the free cores (``_threads.conv_pieces``: convolutions of at least
  ``BIG_CONV_FLOPS``, default policy only) instead of only the big products on 2 BLAS threads:
  each piece runs im2col, its products (on one BLAS thread, never switching the process-wide
  setting) and col2im on a core of its own, so the copies run in parallel too. 2 idle cores,
  forward + backward, 2 pieces against 1 (2-thread products): 32->64 on 32×32, batch 32,
  0.90 - 0.94×; 64->64 on 16×16 0.86 - 0.92×; 64->64 on 16×16 with 4 groups 0.6 - 0.85×.
  Each piece sums its own dL/dW (and dL/db), added in the order of the pieces.
* dL/dW, a small result over a long shared dimension, as a batch of partial products that are
  summed (``_matmul_nt``): several times faster than one long product. The bias is added as a
  full plane, its gradient summed by a matrix-vector product (``_bias_gradient``, 3× faster than
  ``sum`` over three axes), and gradients nobody needs (``need_input``, ``need_weight``) are not
  computed.

The public ``conv2d`` and its ``Op`` are in ``microtensor/ops/conv.py``; this module does the
arithmetic on arrays. Layers with few input channels and grouped convolutions (at stride 1 with
an output as wide as the input) run in ``conv_small.py`` instead, where that measured faster
(``conv_small.suits``; the grouped 64->64 layer on 16×16 in 4 groups, forward + backward:
0.77× this module's time). The grouped figures below are this module's own.

Convolution as a matrix product (im2col)
----------------------------------------
A 2-D convolution (PyTorch's, i.e. a cross-correlation) of x (N, C, H, W) with weights
w (O, C, kH, kW) is

    y[n, o, p, q] = b[o] + sum_{c, i, j} w[o, c, i, j] * xpad[n, c, p*sh + i*dh, q*sw + j*dw]

with xpad the zero-padded input, (sh, sw) the stride and (dh, dw) the dilation. Copy every
receptive field into one column of a matrix, the *im2col* matrix

    cols[(i, j, c), (n, p, q)] = xpad[n, c, p*sh + i*dh, q*sw + j*dw]        (kH*kW*C rows)

and the whole convolution is one matrix product (a GEMM, done by BLAS at full speed):

    Y = W @ cols        W[o, (i, j, c)] = w[o, c, i, j],   Y[o, (n, p, q)] = y[n, o, p, q] - b[o]

The backward pass is two more products, with G = dL/dY in the same layout as Y:

    dL/dW    = G @ colsᵀ                       (O, kH*kW*C), reordered to w's (O, C, kH, kW)
    dL/dcols = Wᵀ @ G                          (kH*kW*C, N*Ho*Wo)
    dL/dx    = col2im(dL/dcols)                every column is added back onto the input pixels
                                               it was copied from (a pixel read by several
                                               windows collects several contributions)
    dL/db    = G summed over (n, p, q)

With ``groups`` > 1 the channels split into independent groups and the same holds per group: the
rows of cols are ordered (group, i, j, c), W is (groups, O/groups, kH*kW*C/groups) and the
products are batched over the groups.

Making it fast with NumPy
-------------------------
* Chunks of images. The im2col matrix is kH*kW times larger than the input. Rather than building
  it whole (tens of MB, written to and read back from main memory), the batch is processed a
  chunk of images at a time, the chunk's cols being about ``_CHUNK_BYTES``: im2col of the chunk,
  its GEMMs, its col2im, while everything is still in the CPU cache. The arithmetic is the same
  (dL/dW is summed chunk by chunk); only the memory traffic shrinks. Nothing is saved between
  forward and backward but the input: the backward pass rebuilds each chunk's cols (cheap, in
  cache) instead of keeping the whole matrix alive. When one image alone is too much (a
  16-channel 128×128 image already has 10 MB of cols), its output rows go a band at a time.
* The *flat trick* (stride 1 here; strides further down). Each channel of the chunk is laid
  out as one long row, the *canvas* (C, P): image rows one after the other, ``row`` values
  apart, images ``block`` values apart with rows of zeros in between (the top and bottom
  padding, shared by neighbours). Let GEMM column m = n*block + p*row + q stand for output pixel
  (n, p, q): its window offset (i, j) is
  at canvas position m + i*dh*row + j*dw. Every kernel offset is one *shift* of the canvas.
* Whole-channel copies. The rows of cols are as long as the canvas's (P) and ordered (i, j, c),
  so the C rows of one offset (i, j) are one contiguous run of memory, and so is the canvas. An
  im2col step is a single contiguous copy of C*P numbers (``cols[t*C*P :] = canvas[shift:]``)
  and a col2im step a single contiguous addition. NumPy runs those at memory speed; copies of
  many short rows pay a fixed cost per row and are several times slower. (A band of rows is a
  slice of each canvas row: one copy of C long rows per offset.)
* Horizontal padding by wrap-around. Canvas rows have no room for the left and right padding: a
  window that reaches left of column 0 reads the end of the previous image row instead of a zero
  (and right of the last column, the start of the next). Those entries of cols, kernel column j
  and output columns q whose input column q + j*dw - left falls outside [0, W), are set to zero
  after the copy (and in dL/dcols before col2im: the padding's gradient is dropped). A few
  strided writes, and the GEMMs get no extra columns for the padding.
* The GEMM columns of the zero rows between images are garbage (dropped from the output, given
  a zero gradient): a few percent of extra work.
* Polyphase canvases for strides > 1. With a stride, a window offset is no longer a shift of the
  GEMM column on the image; it is one on a *phase image*. Split the input into its sh*sw phase
  images, phase (a, b) holding x[..., a::sh, b::sw]. Kernel offset (i, j) of output pixel
  (p, q) reads input pixel (p*sh + i*dh - top, q*sw + j*dw - left); write i*dh - top = u*sh + a
  and j*dw - left = v*sw + b (0 <= a < sh, 0 <= b < sw) and that is pixel (p + u, q + v) of phase
  (a, b). So each phase image gets a canvas of its own (same ``row`` and ``block`` for all),
  every kernel offset is a shift of one of them (``taps``) and everything above applies: one
  contiguous copy per offset in im2col and one addition in col2im, padding by wrap-around and
  zeroing (against the phase image's width), no GEMM columns for the padding. Building the
  canvases costs sh*sw strided copies that together touch the input once, where the plain way
  copies kH*kW strided views the size of the output (and col2im adds them back the same way).
  At stride 1 there is one phase, the image itself. When some phase is read by no offset (a
  stride larger than the dilated kernel, e.g. a 1×1 kernel at stride 2), im2col instead copies
  a strided view of the padded images per kernel offset.
* Direct layout. When ``row == wo`` (no garbage columns inside an image: the usual "same"
  padding, and always without the flat trick) and chunks are whole images, image n's output
  pixels are GEMM columns n*block ... n*block + Ho*Wo - 1, a (C*kH*kW, Ho*Wo) block of cols that
  lines up with y[n] seen as (O, Ho*Wo). The forward GEMM then runs per image (one batched
  matmul over the chunk's images) straight into y, and the backward reads dL/dy[n] where it
  lies: no scratch Y or G in (O, columns) layout, no reordering copy between that and
  (N, O, Ho, Wo), and dL/dW is the sum of the images' products (``_matmul_nt``'s batch of
  partial products). Only the garbage columns between images of dL/dcols need zeroing before
  col2im.
* Scratch arrays that every call needs (the canvas, cols, Y and G in GEMM layout) are kept between
  calls (``_Workspace``): fresh memory costs page faults. Their rows are padded to an odd number
  of 64-byte cache lines: row lengths that are multiples of large powers of two make BLAS slower
  (cache aliasing).

Where the products alone reach PyTorch's whole layer
----------------------------------------------------
``benchmarks/bench_gemm_floor.py`` times the im2col products alone, each in the fastest
arrangement these kernels can use (per image on cache-sized chunks, or one per batch). For
32->64 on 32×32, batch 32, with no gradient for the input (forward and dL/dw only, 2.4 GFLOP),
1 thread, Zen 4 with OpenBLAS's SkylakeX kernels: the forward product 13.5 - 16.4 ms and dL/dw's
14.0 - 15.7 ms, 27.7 - 31.5 ms together (77 - 87 GFLOP/s), while PyTorch's whole layer takes
26 - 30 ms when the machine is quiet (84 - 92 GFLOP/s; up to 48 ms in its slow phases). The
same products in the cache, repeated, peak at 94 GFLOP/s in their fastest orientation, 25.7
ms. So the layer (1.20 - 1.30× PyTorch through autograd) cannot reach 1.0 by anything done
around the products: that takes fewer multiplications (Winograd F(2×2, 3×3) needs 2.25× fewer,
but its input, output and gradient transforms are elementwise NumPy passes over arrays 4× the
size of the images, estimated at ~12 ms here, about what it saves) or a convolution kernel that
keeps the data in registers (oneDNN's), neither a NumPy program.
"""

from __future__ import annotations

import mmap
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from microtensor import _parallel, _threads
from microtensor.ops import blas

__all__ = ["ConvGeometry", "clear_workspace", "conv2d_backward", "conv2d_forward"]


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


# =========================================================================== geometry


def _phase_reads(k: int, d: int, before: int, s: int) -> list[tuple[int, int]]:
    """Along one axis, for kernel index i = 0 ... k-1: (a, u) with i*d - before = u*s + a,
    0 <= a < s: output position p reads input position (p + u)*s + a, i.e. position p + u of
    phase image a (the input positions a, a + s, a + 2s, ...). Sorted by i, so u grows."""
    return [((i * d - before) % s, (i * d - before) // s) for i in range(k)]

_CHUNK_BYTES = 5 << 19  # about this much of cols at a time (2.5 MB): a few images, in cache


@dataclass(frozen=True, slots=True)
class ConvGeometry:
    """Every size of one conv2d call, worked out once.

    GEMM column m of a chunk stands for output pixel (n, p, q) of its n-th image at
    m = n*block + p*row + q. Without the flat trick (a phase read by no kernel offset)
    ``row = wo`` and ``block = ho*wo``: no gaps. With it, ``row`` and ``block`` are the pitches
    of the (phase) canvases and the columns in between are garbage. ``chunk`` images at a time;
    with the flat trick, when one image's cols alone are too big, bands of ``band_rows`` output
    rows of it at a time (0: whole chunks). cols, Y and G have rows of ``pitch`` values, the
    canvas rows of ``canvas_pitch`` (the same when there are no bands).
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
    chunk: int  # images per chunk
    band_rows: int  # output rows per band of one image; 0: no bands
    pitch: int  # allocated row length of cols, Y and G
    canvas_pitch: int  # allocated row length of the canvas

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
        rows_read = _phase_reads(kh, dilation[0], top, stride[0])
        columns_read = _phase_reads(kw, dilation[1], left, stride[1])
        # the flat trick needs every phase image read by some kernel offset (always so at
        # stride 1; at stride 2 with a 3x3 kernel too): col2im then covers every input pixel
        flat = (len({a for a, _ in rows_read}) == stride[0]
                and len({b for b, _ in columns_read}) == stride[1])
        if flat:
            # phase images (stride 1: the image itself) row after row, ``row`` values apart
            # (wider only when the output is wider); between images, zero rows enough for the
            # reads above the first and below the last phase row, and for every output row
            hph, wph = -(-h // stride[0]), -(-w // stride[1])  # the largest phase image
            u_min, u_max = rows_read[0][1], rows_read[-1][1]
            v_min = columns_read[0][1]
            row = max(wph, wo)
            block = max(hph - u_min, ho + max(u_max, 0)) * row
            base = -u_min * row - v_min  # the reads left of and above pixel (0, 0): >= 0
        else:
            row, block, base = wo, ho * wo, 0
        bytes_per_column = c_in * kh * kw * itemsize  # of cols
        chunk = min(max(_CHUNK_BYTES // max(bytes_per_column * block, 1), 1), max(n, 1))
        band_rows = 0
        if flat and bytes_per_column * block > _CHUNK_BYTES:  # one image is too much at once
            band_rows = max(_CHUNK_BYTES // (bytes_per_column * row), 1)
            band_rows = band_rows if band_rows < ho else 0
        last_column = (chunk - 1) * block + (ho - 1) * row + wo
        if flat:  # the canvas holds the chunk's pixels and everything the last column reads
            reach = base + rows_read[-1][1] * row + columns_read[-1][1]  # the largest shift
            canvas_pitch = _row_length(max(base + chunk * block, last_column + reach), itemsize)
            pitch = _row_length(band_rows * row, itemsize) if band_rows else canvas_pitch
        else:
            pitch = canvas_pitch = _row_length(chunk * block, itemsize)
        return ConvGeometry(
            n, c_in, h, w, c_out, kh, kw, groups, stride, dilation, padding, ho, wo, flat, row,
            block, base, chunk, band_rows, pitch, canvas_pitch,
        )

    def chunks(self, images: slice | None = None) -> Iterator[tuple[int, int]]:
        """The images [start, stop) processed together, one chunk after the other (of the
        batch, or of its piece ``images``)."""
        first, last = (0, self.n) if images is None else (images.start, images.stop)
        for start in range(first, last, self.chunk):
            yield start, min(start + self.chunk, last)

    def flops(self) -> int:
        """Floating-point operations of one product pass (2 per multiply-add)."""
        return 2 * self.n * self.c_out * (self.c_in // self.groups) * self.kh * self.kw \
            * self.ho * self.wo

    def columns(self, images: int) -> int:
        """GEMM columns of a chunk of ``images`` images: up to its last output pixel."""
        return (images - 1) * self.block + (self.ho - 1) * self.row + self.wo

    def bands(self, images: int) -> Iterator[tuple[int, int]]:
        """The GEMM columns [start, stop) of a chunk processed together: all of them, or (with
        ``band_rows``) the columns of a few output rows of its one image at a time."""
        if not self.band_rows:
            yield 0, self.columns(images)
            return
        for first in range(0, self.ho, self.band_rows):
            last = min(first + self.band_rows, self.ho)
            yield first * self.row, (last - 1) * self.row + self.wo

    @property
    def direct(self) -> bool:
        """Direct layout: chunks are whole images whose output pixels are GEMM columns
        n*block + (0 ... Ho*Wo - 1), so the products can read and write y[n] and G[n] in place
        (no garbage columns within an image: ``row == wo``)."""
        return self.row == self.wo and not self.band_rows

    @property
    def phases(self) -> int:
        """Flat trick: how many phase images (canvases) a chunk has, sh*sw."""
        return self.stride[0] * self.stride[1]

    def taps(self) -> list[tuple[int, int]]:
        """Flat trick: (phase image, canvas shift) of each kernel offset (i, j), in the row order
        of cols. Offset (i, j) of output pixel (p, q) reads input pixel
        (p*sh + i*dh - top, q*sw + j*dw - left) = ((p + u)*sh + a, (q + v)*sw + b), i.e. pixel
        (p + u, q + v) of phase image (a, b): canvas position m + shift, m the GEMM column."""
        rows_read = _phase_reads(self.kh, self.dilation[0], self.padding[0], self.stride[0])
        columns_read = _phase_reads(self.kw, self.dilation[1], self.padding[2], self.stride[1])
        return [(a * self.stride[1] + b, self.base + u * self.row + v)
                for a, u in rows_read for b, v in columns_read]

    def phase_images(self) -> Iterator[tuple[int, tuple[slice, slice], int, int]]:
        """Flat trick: (index, (rows, columns) of the input it holds, its height, its width) of
        each phase image: phase (a, b) holds x[..., a::sh, b::sw]."""
        (sh, sw) = self.stride
        for a in range(sh):
            for b in range(sw):
                yield (a * sw + b, (slice(a, None, sh), slice(b, None, sw)),
                       -(-(self.h - a) // sh), -(-(self.w - b) // sw))

    def images(self, matrix: np.ndarray, images: int, height: int, width: int,
               offset: int = 0) -> np.ndarray:
        """View (rows, images, height, width) of the pixels (n, p, q) stored at
        offset + n*block + p*row + q of a matrix: Y or G of a chunk (offset 0), or the pixels
        on the canvas (offset ``base``)."""
        rows = matrix.shape[0]
        grid = _split(matrix[:, offset : offset + images * self.block],
                      (rows, images, self.block // self.row, self.row))
        return grid[:, :, :height, :width]

    def output_pixels(self, matrix: np.ndarray, images: int, start: int, stop: int
                      ) -> tuple[np.ndarray, slice]:
        """The output pixels of GEMM columns [start, stop) of a chunk, held from column 0 of
        Y or G: a view (rows, images, output rows, Wo), and which output rows those are."""
        if not self.band_rows:
            return self.images(matrix, images, self.ho, self.wo), slice(0, self.ho)
        first, count = start // self.row, -(-(stop - start) // self.row)  # one image
        grid = _split(matrix[:, : count * self.row], (matrix.shape[0], 1, count, self.row))
        return grid[..., : self.wo], slice(first, first + count)


# =========================================================================== im2col and col2im


def _canvas(x: np.ndarray, g: ConvGeometry, dtype: np.dtype) -> np.ndarray:
    """The flat trick's canvases of a chunk x (images, C, H, W), shape
    (phases, C, canvas_pitch): pixel (n, c, r, s) of phase image (a, b) (input pixel
    (n, c, r*sh + a, s*sw + b)) at base + n*block + r*row + s, zeros elsewhere. At stride 1
    there is one phase, the image itself.

    Output pixel (n, p, q) reads its window offset (i, j) at position m + shift of one phase's
    canvas (``taps``), where m = n*block + p*row + q is its GEMM column: every kernel offset is
    one shift of a whole canvas.
    """
    key = ("conv2d.canvas", g.h, g.w, g.stride, g.base, g.row, g.block)
    canvas = _workspace.get(key, (g.phases, g.c_in, g.canvas_pitch), dtype)
    # only the pixels are written (always the same places for this key): the rest stays zero.
    # (After a fuller chunk, the last chunk leaves old pixels behind its images; its columns
    # never read them, except through wrap-around, which is zeroed anyway.)
    for phase, (rows, columns), height, width in g.phase_images():
        pixels = g.images(canvas[phase], x.shape[0], height, width, offset=g.base)
        pixels[...] = x[:, :, rows, columns].transpose(1, 0, 2, 3)
    return canvas


def _zero_padding_reads(matrix: np.ndarray, g: ConvGeometry, columns: int) -> None:
    """Flat trick: zero the entries of cols (or dL/dcols), columns [0, columns) of a chunk or
    band, that read the left or right padding.

    Canvas rows have no padding columns between them, so output column q at kernel column j,
    whose column q + v of phase image b is outside [0, width of phase b) (at stride 1: input
    column q + j*dw - left outside [0, W)), read the neighbouring image row (wrap-around)
    instead of a zero. (Chunks and bands start at an output row.)
    """
    rows = -(-columns // g.row)
    view = _split(matrix[:, : rows * g.row],
                  (g.groups, g.kh, g.kw, g.c_in // g.groups, rows, g.row))
    (sw, dw), left = (g.stride[1], g.dilation[1]), g.padding[2]
    for j, (b, first) in enumerate(_phase_reads(g.kw, dw, left, sw)):
        # first: phase column read by output column 0
        width = -(-(g.w - b) // sw)  # of phase image b
        inside_from = min(max(-first, 0), g.wo)  # q >= this: phase column >= 0
        inside_to = min(max(width - first, inside_from), g.wo)  # q < this: column < width
        if inside_from > 0:
            view[:, :, j, ..., :inside_from] = 0
        if inside_to < g.wo:
            view[:, :, j, ..., inside_to : g.wo] = 0


def _padded(x: np.ndarray, g: ConvGeometry, dtype: np.dtype) -> np.ndarray:
    """Without the flat trick: a chunk x inside its zero border, (images, C, H + top + bottom,
    W + left + right) (scratch memory; the border is never written, so it stays zero), or x
    itself when there is no padding."""
    if not any(g.padding):
        return x
    xpad = _workspace.get(("conv2d.xpad", g.padding), _padded_shape(g), dtype)[: x.shape[0]]
    _inside_border(xpad, g)[...] = x
    return xpad


def _padded_shape(g: ConvGeometry) -> tuple[int, int, int, int]:
    """A chunk of padded images: (chunk, C, H + top + bottom, W + left + right)."""
    top, bottom, left, right = g.padding
    return (g.chunk, g.c_in, g.h + top + bottom, g.w + left + right)


def _inside_border(xpad: np.ndarray, g: ConvGeometry) -> np.ndarray:
    """The view of padded images that holds the input pixels."""
    top, _, left, _ = g.padding
    return xpad[:, :, top : top + g.h, left : left + g.w]


def _strided_windows(xpad: np.ndarray, g: ConvGeometry) -> Iterator[tuple[int, np.ndarray]]:
    """Without the flat trick: for each kernel offset t = i*kW + j, the view of its pixel in
    every window, split by group, (images, groups, C/groups, Ho, Wo):
    view[n, :, :, p, q] = xpad[n, :, p*sh + i*dh, q*sw + j*dw]."""
    (sh, sw), (dh, dw) = g.stride, g.dilation
    images = xpad.shape[0]
    for i in range(g.kh):
        for j in range(g.kw):
            window = xpad[:, :, i * dh :: sh, j * dw :: sw][:, :, : g.ho, : g.wo]
            yield i * g.kw + j, _split(
                window, (images, g.groups, g.c_in // g.groups, g.ho, g.wo))


def im2col_source(x: np.ndarray, g: ConvGeometry, dtype: np.dtype) -> np.ndarray:
    """What im2col reads for a chunk x (images, C, H, W): the canvas (flat trick) or the padded
    images."""
    return _canvas(x, g, dtype) if g.flat else _padded(x, g, dtype)


def im2col(source: np.ndarray, g: ConvGeometry, start: int, stop: int, cols: np.ndarray) -> None:
    """Columns [start, stop) of a chunk's im2col matrix into ``cols[:, :stop - start]``:

    cols[(i, j, c), (n, p, q)] = xpad[n, c, p*sh + i*dh, q*sw + j*dw]

    (rows per group when groups > 1), read from ``im2col_source``. One vectorised copy per
    kernel offset (i, j).
    """
    c_group = g.c_in // g.groups
    if g.flat and not g.band_rows:  # offset (i, j): the whole canvas shifted, in one copy
        span = c_group * g.canvas_pitch  # a group's canvas rows, back to back (start is 0;
        # without bands, rows of cols are as long as the canvas's: pitch == canvas_pitch)
        canvas = source.reshape(g.phases, g.groups, span)
        rows = cols.reshape(g.groups, g.kh * g.kw, span)
        for t, (phase, shift) in enumerate(g.taps()):
            # row (t, c) gets canvas row c from position shift on; its last `shift` values
            # would come from the next channel, but only columns < stop are used
            rows[:, t, : span - shift] = canvas[phase, :, shift:]
        _zero_padding_reads(cols, g, stop)
    elif g.flat:  # a band: offset (i, j) is a shifted slice of every canvas row
        canvas = source.reshape(g.phases, g.groups, c_group, g.canvas_pitch)
        rows = cols.reshape(g.groups, g.kh * g.kw, c_group, g.pitch)
        for t, (phase, shift) in enumerate(g.taps()):
            rows[:, t, :, : stop - start] = canvas[phase, :, :, start + shift : stop + shift]
        _zero_padding_reads(cols, g, stop - start)
    else:  # offset (i, j): a strided view of the padded images (the chunk is whole images)
        view = _split(cols[:, : stop - start],
                      (g.groups, g.kh * g.kw, c_group, source.shape[0], g.ho, g.wo))
        for t, window in _strided_windows(source, g):
            view[:, t] = window.transpose(1, 2, 0, 3, 4)


def col2im_target(g: ConvGeometry, grad_x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Where col2im adds up the gradient of a chunk (grad_x: its (images, C, H, W) share of
    dL/dx), laid out like im2col's source: a canvas, the padded images, or grad_x itself. Zeroed,
    except a whole-chunk canvas, which col2im's first copy fills."""
    if g.flat:
        target = _workspace.get(("conv2d.grad_canvas",), (g.phases, g.c_in, g.canvas_pitch),
                                dtype)
        if g.band_rows:
            target.fill(0)
        return target
    if not any(g.padding):
        target = grad_x
    else:
        target = _workspace.get(("conv2d.grad_xpad", g.padding), _padded_shape(g),
                                dtype)[: grad_x.shape[0]]
    target.fill(0)
    return target


def col2im(dcols: np.ndarray, g: ConvGeometry, start: int, stop: int,
           target: np.ndarray) -> None:
    """The adjoint of im2col: add columns [start, stop) of a chunk's dL/dcols (held from column
    0 of ``dcols``) back onto the pixels of ``target`` (from ``col2im_target``) they were copied
    from,

    grad_xpad[n, c, p*sh + i*dh, q*sw + j*dw] += dcols[(i, j, c), (n, p, q)]

    One vectorised addition per kernel offset (i, j). ``dcols`` is scratch: entries that read
    padding are zeroed (the padding's gradient is dropped), and so are its unused columns.
    """
    c_group = g.c_in // g.groups
    if g.flat and not g.band_rows:
        _zero_padding_reads(dcols, g, stop)
        dcols[:, stop:] = 0  # what spills onto the next channel must be zero
        span = c_group * g.canvas_pitch  # == pitch without bands
        canvas = target.reshape(g.phases, g.groups, span)
        rows = dcols.reshape(g.groups, g.kh * g.kw, span)
        filled = set()  # the first offset that reads a phase sets its canvas: no zeroing pass
        for t, (phase, shift) in enumerate(g.taps()):
            if phase in filled:
                canvas[phase, :, shift:] += rows[:, t, : span - shift]
            else:  # (every phase is read by some offset: that is a condition of the flat trick)
                canvas[phase, :, :shift] = 0
                canvas[phase, :, shift:] = rows[:, t, : span - shift]
                filled.add(phase)
    elif g.flat:
        _zero_padding_reads(dcols, g, stop - start)
        canvas = target.reshape(g.phases, g.groups, c_group, g.canvas_pitch)
        rows = dcols.reshape(g.groups, g.kh * g.kw, c_group, g.pitch)
        for t, (phase, shift) in enumerate(g.taps()):
            canvas[phase, :, :, start + shift : stop + shift] += rows[:, t, :, : stop - start]
    else:
        view = _split(dcols[:, : stop - start],
                      (g.groups, g.kh * g.kw, c_group, target.shape[0], g.ho, g.wo))
        for t, window in _strided_windows(target, g):
            window += view[:, t].transpose(2, 0, 1, 3, 4)


def col2im_result(target: np.ndarray, g: ConvGeometry, grad_x: np.ndarray) -> None:
    """The input pixels' share of ``col2im_target`` into grad_x (the padding's is dropped)."""
    if g.flat:
        for phase, (rows, columns), height, width in g.phase_images():
            pixels = g.images(target[phase], grad_x.shape[0], height, width, offset=g.base)
            grad_x[:, :, rows, columns] = pixels.transpose(1, 0, 2, 3)
    elif target is not grad_x:
        grad_x[...] = _inside_border(target, g)


# =========================================================================== conv2d


def _grouped(matrix: np.ndarray, groups: int) -> np.ndarray:
    """(rows, columns) matrix -> (groups, rows/groups, columns) view: one GEMM per group."""
    return _split(matrix, (groups, matrix.shape[0] // groups, matrix.shape[1]))


def _weight_matrix(weight: np.ndarray, groups: int) -> np.ndarray:
    """w (O, C/groups, kH, kW) -> W (groups, O/groups, kH*kW*C/groups), columns ordered (i, j, c)
    like the rows of cols."""
    c_out, c_group, kh, kw = weight.shape
    w = weight.reshape(groups, c_out // groups, c_group, kh, kw).transpose(0, 1, 3, 4, 2)
    return np.ascontiguousarray(w).reshape(groups, c_out // groups, kh * kw * c_group)


def _weight_from_matrix(grad_w_t: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """dL/dWᵀ (groups, kH*kW*C/groups, O/groups) -> dL/dw in w's layout (O, C/groups, kH, kW)."""
    groups = grad_w_t.shape[0]
    c_out, c_group, kh, kw = shape
    grid = grad_w_t.reshape(groups, kh, kw, c_group, c_out // groups).transpose(0, 4, 3, 1, 2)
    return np.ascontiguousarray(grid).reshape(shape)


def _matmul_nt(a: np.ndarray, b: np.ndarray, chunk: int = 512) -> np.ndarray:
    """Σ_n a[n] @ b[n]ᵀ for stacks a (B, G, K, T) and b (B, G, O, T): products over a long T
    with a small result (G, K, O), summed over the B stacks (images, or 1).

    When the result is small (K*O), BLAS has little to split between threads and handles the long
    shared dimension poorly; cutting T into chunks, multiplying the chunks as one batch and summing
    the partial products is several times faster. (The chunks are views: nothing is copied.)
    """
    stacks, groups, k, t = a.shape
    o = b.shape[2]
    pieces = t // chunk
    if k * o > 4096 or pieces < 2:
        return blas.matmul(a, b.swapaxes(-1, -2)).sum(axis=0)
    head = pieces * chunk
    a_chunks = a[..., :head].reshape(stacks, groups, k, pieces, chunk).transpose(0, 3, 1, 2, 4)
    b_chunks = b[..., :head].reshape(stacks, groups, o, pieces, chunk).transpose(0, 3, 1, 4, 2)
    result = blas.matmul(a_chunks, b_chunks).sum(axis=(0, 1))
    if head < t:
        result += blas.matmul(a[..., head:], b[..., head:].swapaxes(-1, -2)).sum(axis=0)
    return result


def _image_columns(matrix: np.ndarray, g: ConvGeometry, images: int) -> np.ndarray:
    """Direct layout: the view (images, groups, rows/groups, Ho*Wo) of the pixel columns of a
    chunk's cols (or dL/dcols), image by image: a stack of GEMM operands that lines up with
    y[n] (and G[n]) viewed as (groups, O/groups, Ho*Wo)."""
    rows = matrix.shape[0]
    grid = _split(matrix[:, : images * g.block], (g.groups, rows // g.groups, images, g.block))
    return grid[..., : g.ho * g.wo].transpose(2, 0, 1, 3)


def _by_group(array: np.ndarray, groups: int, view: bool = False) -> np.ndarray:
    """(images, O, Ho, Wo) -> (images, groups, O/groups, Ho*Wo), a view when ``array`` is
    contiguous (else a copy; ``view=True``: must be a view, the caller writes through it)."""
    n, c_out, ho, wo = array.shape
    shape = (n, groups, c_out // groups, ho * wo)
    return _split(array, shape) if view else array.reshape(shape)


def _bias_gradient(grad: np.ndarray) -> np.ndarray:
    """dL/db[o] = Σ_{n, p, q} G[n, o, p, q], as a matrix-vector product: the (N*O, Ho*Wo) rows of
    G times a vector of ones, then the N partial sums per channel added. BLAS's product streams G
    once at memory speed, about 3× faster than NumPy's sum over the axes (0, 2, 3)."""
    n, c_out, ho, wo = grad.shape
    ones = np.ones(ho * wo, grad.dtype)
    return blas.matmul(grad.reshape(n * c_out, ho * wo), ones).reshape(n, c_out).sum(axis=0)


def _backward_operands(g: ConvGeometry, grad: np.ndarray, first: int, last: int,
                       band: tuple[int, int], cols: np.ndarray, gy: np.ndarray | None
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The stacks (B, groups, ., T) the backward products of images [first, last) (columns
    ``band`` of the chunk) work on, cols' and G's: per image, G being dL/dy itself, in the
    direct layout (``gy`` None); else one stack, G copied into ``gy``'s GEMM layout."""
    if gy is None:
        gy_op = _by_group(grad[first:last], g.groups).astype(cols.dtype, copy=False)
        return _image_columns(cols, g, last - first), gy_op
    start, stop = band
    pixels, rows = g.output_pixels(gy, last - first, start, stop)
    pixels[...] = grad[first:last, :, rows].transpose(1, 0, 2, 3)
    return (_grouped(cols[:, : stop - start], g.groups)[None],
            _grouped(gy[:, : stop - start], g.groups)[None])


def _chunk_matrix(g: ConvGeometry, name: str, rows: int, dtype: np.dtype) -> np.ndarray:
    """Scratch (rows, pitch) matrix for one chunk or band: cols, Y or G. G relies on its garbage
    columns staying zero (only pixel columns are ever written): the key names everything that
    decides which columns those are."""
    key = (name, g.ho, g.wo, g.row, g.block, g.band_rows)
    return _workspace.get(key, (rows, g.pitch), dtype)


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

    Per chunk of images (or band of rows): cols = im2col(x), Y = W @ cols (one GEMM per group),
    y = Y + b reordered to (N, O, Ho, Wo). A big convolution runs in pieces of the batch on
    several threads (``_threads.conv_pieces``): each piece does its chunks on one core, im2col,
    single-threaded products and all, with its thread's own scratch memory. Every output value
    is computed the same way whichever piece computes it.
    """
    dtype = np.result_type(x, weight)
    g = ConvGeometry.of(x.shape, weight.shape, stride, padding, dilation, groups, dtype.itemsize)
    w_mat = _weight_matrix(weight, groups)
    out = np.empty((g.n, g.c_out, g.ho, g.wo), dtype)
    plane = None  # a full (O, Ho*Wo) plane adds faster than a broadcast column
    if bias is not None:
        plane = np.repeat(bias.astype(dtype, copy=False)[:, None], g.ho * g.wo, axis=1)
    _parallel.over_batch_products(lambda images: _forward_images(x, g, w_mat, plane, out, images),
                                  g.n, _threads.conv_pieces(g.flops()))
    return out


def _forward_images(x: np.ndarray, g: ConvGeometry, w_mat: np.ndarray, plane: np.ndarray | None,
                    out: np.ndarray, images: slice) -> None:
    """``conv2d_forward`` for the images of one piece of the batch, into their rows of ``out``."""
    dtype = out.dtype
    cols = _chunk_matrix(g, "conv2d.cols", g.c_in * g.kh * g.kw, dtype)
    y = None if g.direct else _chunk_matrix(g, "conv2d.y", g.c_out, dtype)
    for first, last in g.chunks(images):
        source = im2col_source(x[first:last], g, dtype)
        for start, stop in g.bands(last - first):
            im2col(source, g, start, stop, cols)
            if y is None:  # direct layout: one GEMM per image (and group) straight into y[n]
                blas.matmul(w_mat, _image_columns(cols, g, last - first),
                            out=_by_group(out[first:last], g.groups, view=True))
                continue
            blas.matmul(w_mat, _grouped(cols[:, : stop - start], g.groups),
                        out=_grouped(y[:, : stop - start], g.groups))
            # (O, columns) -> (images, O, rows, Wo), leaving out the garbage columns
            pixels, rows = g.output_pixels(y, last - first, start, stop)
            out[first:last, :, rows] = pixels.transpose(1, 0, 2, 3)
    if plane is not None:
        flat_out = out[images].reshape(-1, g.c_out, g.ho * g.wo)
        np.add(flat_out, plane, out=flat_out)


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

    Per chunk of images (or band of rows): dL/dW += G @ colsᵀ and dL/dx += col2im(Wᵀ @ G);
    dL/db = sum of G over (n, p, q). In pieces of the batch as the forward (see there): every
    piece sums its own dL/dW, and the pieces' sums are added in the order of the pieces (in
    float32 the last bits then depend on the number of pieces, as they do on BLAS's threads).
    """
    dtype = np.result_type(x, weight)
    g = ConvGeometry.of(x.shape, weight.shape, stride, padding, dilation, groups, dtype.itemsize)
    if not (need_input or need_weight):
        return None, None, _bias_gradient(grad) if need_bias else None

    w_mat = _weight_matrix(weight, groups)
    grad_x = np.empty(x.shape, dtype) if need_input else None
    # first image of a piece -> its (dL/dWᵀ, dL/db) shares. dL/db is summed in the pieces too:
    # a product on 2 BLAS threads before them would leave OpenBLAS's worker thread spinning
    # (it waits ~0.1 s for more work) on the core that a piece needs.
    parts: dict[int, tuple[np.ndarray | None, np.ndarray | None]] = {}

    def piece(images: slice) -> None:
        part_b = _bias_gradient(grad[images]) if need_bias else None
        parts[images.start] = (_backward_images(grad, x, g, w_mat, grad_x, need_weight, images),
                               part_b)

    _parallel.over_batch_products(piece, g.n, _threads.conv_pieces(2 * g.flops()))
    shares = [parts[start] for start in sorted(parts)]  # added in the order of the pieces
    grad_b = _sum_shares([b for _, b in shares]) if need_bias else None
    grad_w = None
    if need_weight:
        grad_w_t = _sum_shares([w for w, _ in shares])  # (groups, kH*kW*C/groups, O/groups)
        grad_w = (np.zeros_like(weight, dtype=dtype) if grad_w_t is None  # empty batch
                  else _weight_from_matrix(grad_w_t, weight.shape))
    return grad_x, grad_w, grad_b


def _sum_shares(shares: list[np.ndarray | None]) -> np.ndarray | None:
    """The pieces' shares of a gradient added up in order (None: no share at all)."""
    total = None
    for share in shares:
        if share is not None:
            total = share if total is None else total + share
    return total


def _backward_images(grad: np.ndarray, x: np.ndarray, g: ConvGeometry, w_mat: np.ndarray,
                     grad_x: np.ndarray | None, need_weight: bool, images: slice
                     ) -> np.ndarray | None:
    """``conv2d_backward`` for the images of one piece: their rows of dL/dx into ``grad_x``
    (when given), and their share of dL/dWᵀ returned (None if not needed or no images)."""
    dtype = grad_x.dtype if grad_x is not None else np.result_type(x, w_mat)
    # G in the GEMM layout (O, pitch) unless the products use it in place (direct layout); the
    # garbage columns get a zero gradient (never written, and the buffer was zeroed when created)
    gy = None if g.direct else _chunk_matrix(g, "conv2d.grad", g.c_out, dtype)
    cols = _chunk_matrix(g, "conv2d.cols", g.c_in * g.kh * g.kw, dtype)
    grad_w_t = None
    for first, last in g.chunks(images):
        source = im2col_source(x[first:last], g, dtype) if need_weight else None
        target = col2im_target(g, grad_x[first:last], dtype) if grad_x is not None else None
        for start, stop in g.bands(last - first):
            cols_op, gy_op = _backward_operands(g, grad, first, last, (start, stop), cols, gy)
            if need_weight:
                im2col(source, g, start, stop, cols)
                part = _matmul_nt(cols_op, gy_op)  # colsᵀ-major: the faster orientation
                grad_w_t = part if grad_w_t is None else np.add(grad_w_t, part, out=grad_w_t)
            if grad_x is not None:
                blas.matmul(w_mat.transpose(0, 2, 1), gy_op, out=cols_op)  # dL/dcols
                if gy is None and g.block > g.ho * g.wo:  # direct: garbage columns get 0
                    _split(cols[:, : (last - first) * g.block],
                           (cols.shape[0], last - first, g.block))[:, :, g.ho * g.wo :] = 0
                col2im(cols, g, start, stop, target)
        if grad_x is not None:
            col2im_result(target, g, grad_x[first:last])
    return grad_w_t
