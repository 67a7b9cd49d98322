"""conv2d for few channels per group: one small matrix product per image, the output in place.

Read ``conv_plain.py`` and ``conv_fast.py`` first: this module computes the same im2col products,
arranged for layers with few channels (the first layers of a small CNN: 1->8 channels on 28×28,
8->16 on 14×14) and for grouped convolutions (few channels per group: 64->64 in 4 groups is 4
products of 16 output channels and K = 144), where ``conv_fast``'s arrangement spends most of
its time outside the multiplications. ``conv.py`` picks this module when ``suits(...)`` says so,
``conv_fast`` otherwise; the tests hold both to ``conv_plain``'s results.

Why few channels are different
------------------------------
With C input and O output channels the im2col product Y = W @ cols is (O, K) @ (K, N*Ho*Wo),
K = C*kH*kW: for the small CNN K = 9 or 72 and O = 8 or 16. Such a product does very little
arithmetic per number it touches (2*O flops per entry of cols, 2*K per entry of Y), so the time
goes to moving numbers, not to BLAS: ``conv_fast`` lays out all images side by side in one GEMM,
so Y comes out as (O, N*Ho*Wo) and must then be *reordered* into the (N, O, Ho, Wo) output (a
transposing copy of the whole output, the biggest array of the layer: O times the input for
C = 1), the bias is added in another pass over it, and the backward pass reorders G = dL/dy the
other way and sums it for dL/db.

The arrangement here
--------------------
* **One product per image, the images as a batch.** cols is (N, K, Ho*Wo), one im2col matrix per
  image, and ``np.matmul(W, cols, out=y)`` runs N products (O, K) @ (K, Ho*Wo) that write
  straight into y viewed as (N, O, Ho*Wo): the output's own layout, no reordering copy. In the
  backward, G is already (N, O, Ho*Wo) as the gradient arrives.
* **The bias inside the product.** cols gets one more row of ones and W one more column holding
  b: y = [W | b] @ [cols; 1] adds the bias as part of the GEMM (one more step of a K-long sum)
  instead of a pass over the output. In the backward the same ones row makes the last column of
  dL/d[W | b] = G @ [cols; 1]ᵀ the bias gradient, sum of G over (n, p, q), for free.
* **The flat trick per image** (stride 1 and an output as wide as the input, e.g. 3×3 with
  padding 1): an image's pixels, row after row, are one flat run of H*W numbers, and output
  pixel m = p*W + q reads, at kernel offset (i, j), input position m + d with
  d = (i*dh - top)*W + (j*dw - left). So every row of cols is one *shifted contiguous copy* of a
  channel (rows of H*W numbers; copies of many short rows cost several times more). Reads above
  or below the image (the vertical padding) are positions outside [0, H*W): those entries of
  cols are simply never written and stay zero (the buffer is kept between calls and the same
  entries are left out every time). Reads left or right of the image wrap around into the
  neighbouring image row; those entries (a few columns q per kernel column j) are set to zero
  after the copy. No padded copy of the input is made. Other strides and widths use strided
  views of the padded images, as ``conv_plain`` does.
* **Chunks of images**, about ``_CHUNK_BYTES`` of cols at a time, so that cols stays in the
  CPU's cache between its im2col copy and its product (and the scratch memory stays small).
  The buffers are kept between calls (``_scratch``): fresh memory costs page faults.
* **The forward's cols kept for the backward** (through the Op, while a graph is recorded, up to
  ``_KEEP_BYTES``, 4 MB): dL/dw needs the same cols, and rebuilding them was about a sixth of
  the small CNN's layers' time. They are saved like any saved tensor, so they are freed with the
  graph and an in-place change of the input in between is refused. Bigger cols are rebuilt in
  the backward instead: fresh memory written once and read back from RAM costs more than a
  chunk rebuilt in the cache (grouped 64->64 on 16×16, 19 MB of cols: 18 % slower kept).

Backward, with G = dL/dy viewed as (N, O, Ho*Wo) and cols' = [cols; 1]:

    dL/d[W | b]ᵀ = sum over images n of cols'[n] @ G[n]ᵀ     (K + 1, O): one batched product,
                                                              summed over the batch
    dL/dcols[n]  = Wᵀ @ G[n]                                  (K, Ho*Wo) per image
    dL/dx        = col2im(dL/dcols)                           every entry added back onto the
                                                              pixel it was copied from

With the flat trick col2im is one NumPy reduction: pixel m' of a channel collects
dL/dcols[(i, j), m' - d_ij] over the kernel offsets, and d_ij is linear in i and j, so with the
rows of dL/dcols between zeros (``dcols_buffer``) all those numbers form one strided view whose
sum over (i, j) is dL/dx (see ``col2im``); the zeros are the padding's share, dropped. (The same
per group when groups > 1: W is (groups, O/groups, K/groups + 1) and the products are batched
over images and groups.) Two more arrangements, each where it measured faster:

* **Both gradients from the columns of G.** With stride 1, dL/dx is itself a convolution: of G
  with each group's weights flipped and their input and output channels swapped, padded by
  dilation*(k - 1) - pad. So im2col of G and one product per image give dL/dx in place (no
  dL/dcols, no col2im), and the same columns of G times x[n]ᵀ give dL/dw: the columns of x are
  not needed in the backward at all (nor kept by the forward). It applies when G has no more
  channels than x (its im2col copies no more than x's; ``_uses_columns_of_grad``): grouped
  64->64 on 16×16 the layer 13 % faster with dL/dx alone from G's columns (the x's still built
  for dL/dw), 12 % more with dL/dw from them too. The CNN's 8->16 keeps the columns of x (G has
  twice the channels: 10 % slower with dL/dx from G's).
* **dL/dw's products with the second operand stored row by row.** BLAS reads a transposed
  operand slowly next to a tall one: with more than ``_COPY_GRAD_T_ROWS`` rows per group,
  G[n]ᵀ (or, from the columns of G, x[n]ᵀ) is copied first. Measured on the columns of x,
  before grouped layers took the other path (64->64 on 16×16, 1 thread, interleaved runs): the
  layer 11.6 -> 9.6 ms for cols'[n] @ G[n]ᵀ instead of G[n] @ cols'[n]ᵀ, 8.8 ms with the copy;
  for the CNN's 8->16 with 73 rows the three tie within 4 %, the copy last.

What it saves, measured (OPENBLAS_CORETYPE=SkylakeX, Zen 5, 1 thread, 2 cores shared with other
work, so ranges over 4 runs; forward + backward through the Op, as ``benchmarks/bench_conv.py``
times it, batch 64, 3×3 padding 1; microtensor / PyTorch, ratio of medians of interleaved runs):

    layer                        before (conv_fast)             now
    1->8, 28×28 (no dL/dx)       1.06 (575 vs 544 µs)           0.44 - 0.49 (248 - 338 µs)
    8->16, 14×14                 1.34 (1440 vs 1071 µs)         0.81 - 1.01 (947 - 1613 µs)

With OpenBLAS's AVX2 kernels (``OPENBLAS_CORETYPE=Haswell``, as the benchmark machine's
environment sets it) the products are slower and the gain smaller: 1->8 1.30 - 1.39 before,
0.88 - 1.06 now; 8->16 1.55 - 1.78 before, 1.45 - 1.63 now (``benchmarks/RESULTS.md``).

Grouped convolutions (Zen 4, OpenBLAS's SkylakeX kernels, 1 thread, the same benchmark with
``--quick``, 6 runs of the code before and 5 of this one, alternating, on a machine shared
with other work): 64->64 on 16×16 in 4 groups, batch 32, 1.33 - 1.82 with ``conv_fast``
(9.9 - 14.5 ms) -> 1.14 - 1.60 here (8.7 - 10.0 ms; PyTorch's own time varied from 5.4 to 8.4
ms between runs);
in one process, interleaved, this module's time / ``conv_fast``'s 0.71 - 0.82. Where its time
goes: the three products 56 % (near the BLAS's peak for these shapes, ~100 GFLOP/s when the
machine is quiet), im2col of x and of G 22 % (a fifth of that zeroing the wrapped-around
reads), the copies of x[n]ᵀ 5 %. On 2 cores (2 pieces): 0.93 - 1.12 (1.37 with ``conv_fast``).

Where the time of the 8->16 layer goes (per forward + backward): the three products 170 - 230
µs each (near the BLAS's peak for these shapes), im2col ~130 µs (once: kept), col2im ~180 µs;
``conv_fast`` spent about as much again reordering Y and G, adding the bias and rebuilding
cols. The per-image products are below the size at which OpenBLAS splits a product among
threads, so with 2 BLAS threads alone this module would run on one core. Instead a convolution
of at least ``_threads.BIG_CONV_FLOPS`` shares its images among the free cores: pieces of the
batch, each on a thread of its own (``_parallel.over_batch_products``) with its own scratch
memory and single-threaded products, dL/d[W | b] summed per piece and the pieces' sums added
in order. Measured on 2 idle cores (Haswell kernels, forward + backward, batch 64, 2 pieces
against 1): 8->16 on 14×14 1.1 - 1.6 ms against 1.7 - 1.8; 1->8 on 28×28 (7 Mflop, below the
threshold) 0.50 - 0.76 against 0.53 - 0.56, so it stays in one piece.

When it wins (``suits``): measured against ``conv_fast``, see the table there.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import as_strided

from microtensor import _parallel, _threads
from microtensor.ops.conv_fast import _bias_gradient, _sum_shares, _workspace

__all__ = ["SmallGeometry", "conv2d_backward", "conv2d_forward", "suits"]

_CHUNK_BYTES = 2 << 20  # about this much of cols at a time: a few images, in cache
# at most this much of cols kept from forward to backward: bigger ones cost more than the
# backward's im2col they save (fresh memory written once and read twice from RAM instead of a
# chunk in the cache). Measured, the layer with them kept / rebuilt, 1 thread: 64->64 on 16x16
# in 4 groups (19 MB) 1.18; 32->32 on 16x16 in 2 groups (9.5 MB) 1.23; 128->128 on 8x8 in 4
# groups (9.5 MB) 1.13. The small CNN's (2 and 3.7 MB) stay kept.
_KEEP_BYTES = 4 << 20
# dL/dw's products read G[n]ᵀ (x[n]ᵀ from the columns of G) as a row-by-row copy instead of a
# transposed view when the columns have more rows per group than this: BLAS reads a transposed
# operand slowly when the other one is tall. Measured through the layer (1 thread, columns of
# x): grouped 64->64 on 16x16 (145 rows) 9 % faster in all, the CNN's 8->16 (73 rows) 4 % slower
_COPY_GRAD_T_ROWS = 100


# =========================================================================== when to use it


def suits(
    x_shape: tuple[int, ...],
    w_shape: tuple[int, ...],
    stride: tuple[int, int],
    padding: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
) -> bool:
    """Whether this module is faster than ``conv_fast`` for a 4-D input of ``x_shape``.

    Rule: the flat trick applies (stride 1, output as wide as the input), and either K =
    C/groups*kH*kW <= 100 without groups, or groups > 1 with K <= 600 (the range measured).
    Measured (forward + all gradients, 3×3 'same', float32, 1 thread; this module's time /
    ``conv_fast``'s). Without groups (batch 64, on a busy 2-core machine, so +-15 %):

        K = 9 (C = 1), O = 8 ... 64, 7×7 ... 28×28       0.20 - 0.68
        K = 27 (C = 3), O = 8 ... 64                      0.50 - 0.78
        K = 72 (C = 8), O = 8 ... 64                      0.40 - 1.03 (mostly 0.7 - 0.9)
        K = 144 (C = 16)                                  0.67 - 1.18 (a tie: left to conv_fast)
        K = 288 (C = 32)                                  0.99 - 1.29

    (Measured again with the backward from the columns of G, batch 32: 16->16 on 16×16 0.74,
    16->32 1.05, 32->32 on 32×32 1.24, 64->64 on 16×16 0.88; a rule that caught the wins only
    would need the image size too, so layers without groups keep the rule above.)

    With groups (batch 32 on 16×16 unless said; medians of the ratios of 8 interleaved rounds
    of the two, as the Op calls them):

        2 groups, 32->32 (K = 144)                        0.75
        4 groups, 64->64 (K = 144)                        0.77
        4 groups, 64->128 (K = 144)                       0.99 (more output channels: the
                                                          backward from the columns of x)
        4 groups, 128->128 on 8×8 (K = 288)               0.76
        4 groups, 256->256 on 8×8 (K = 576)               0.84
        4 groups, 64->64 on 64×64, batch 8                0.86
        8 groups, 64->64 (K = 72)                         0.73
        16 groups, 64->64 (K = 36)                        0.68
        depthwise (groups = C = O = 64, K = 9)            0.38 (32 channels on 64×64: 0.52)

    With more channels and no groups the products are big enough for BLAS to run well either
    way, and ``conv_fast``'s one big product per chunk beats a batch of per-image ones; a
    grouped convolution's products are small per group, and ``conv_fast``'s layout (one
    product per chunk and group, through scratch matrices) gains nothing from that.
    """
    _, c_group, kh, kw = w_shape
    width = x_shape[3]
    wo = (width + padding[2] + padding[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    flat = stride == (1, 1) and wo == width
    k = c_group * kh * kw
    return flat and (k <= 100 if groups == 1 else k <= 600)


# =========================================================================== scratch memory

# The buffers are conv_fast's per-thread workspace (one budget, one ``clear_workspace``): callers
# rely on entries they never write staying as they left them (zeros; the ones row of
# ``_cols_buffer``), safe because the key and the shape name everything that decides which
# entries get written.
_scratch = _workspace


# =========================================================================== geometry


@dataclass(frozen=True, slots=True)
class SmallGeometry:
    """Every size of one call, worked out once. ``k`` = (C/groups)*kH*kW rows of cols per group
    (ordered (i, j, c) within the group), plus one row of ones when the bias is folded in;
    ``length`` = Ho*Wo columns per image; ``chunk`` images at a time."""

    n: int
    c_in: int
    h: int
    w: int
    c_out: int
    kh: int
    kw: int
    groups: int
    stride: tuple[int, int]
    padding: tuple[int, int, int, int]
    dilation: tuple[int, int]
    ho: int
    wo: int
    flat: bool
    k: int
    length: int
    chunk: int
    shifts: tuple[tuple[int, int, int, int], ...]  # flat trick: see _shifts
    wrapped: tuple[tuple[int, int, int], ...]  # flat trick: see _wrapped
    margin: int  # dL/dcols rows: zeros before column 0 (flat trick; see col2im)
    pitch: int  # dL/dcols rows: allocated length

    @staticmethod
    @functools.lru_cache(maxsize=64)  # the same few layers, called again and again
    def of(x_shape: tuple[int, ...], w_shape: tuple[int, ...], stride: tuple[int, int],
           padding: tuple[int, int, int, int], dilation: tuple[int, int], groups: int,
           itemsize: int) -> SmallGeometry:
        n, c_in, h, w = x_shape
        c_out, c_group, kh, kw = w_shape
        top, bottom, left, right = padding
        ho = (h + top + bottom - dilation[0] * (kh - 1) - 1) // stride[0] + 1
        wo = (w + left + right - dilation[1] * (kw - 1) - 1) // stride[1] + 1
        k = c_group * kh * kw
        per_image = groups * (k + 1) * ho * wo * itemsize
        chunk = min(max(_CHUNK_BYTES // max(per_image, 1), 1), max(n, 1))
        flat = stride == (1, 1) and wo == w
        shifts = tuple(_shifts(h, w, kh, kw, padding, dilation, ho * wo)) if flat else ()
        wrapped = tuple(_wrapped(w, wo, kw, padding[2], dilation[1])) if flat else ()
        margin, pitch = 0, ho * wo
        if flat:  # room for every shifted read of col2im: see there
            margin = max(0, max(d for _, d, _, _ in shifts))
            pitch = margin + max(ho * wo, h * w - min(d for _, d, _, _ in shifts))
        return SmallGeometry(n, c_in, h, w, c_out, kh, kw, groups, stride, padding, dilation,
                             ho, wo, flat, k, ho * wo, chunk, shifts, wrapped, margin, pitch)

    def chunks(self, images: slice | None = None) -> Iterator[tuple[int, int]]:
        """The images [first, last) processed together (of the batch, or of its piece
        ``images``)."""
        start, stop = (0, self.n) if images is None else (images.start, images.stop)
        for first in range(start, stop, self.chunk):
            yield first, min(first + self.chunk, stop)

    def pieces(self, passes: int) -> int:
        """How many pieces of the batch (threads, ``_threads.conv_pieces``) a call making
        ``passes`` product passes over it runs in."""
        flops = 2 * self.n * self.c_out * self.k * self.length * passes
        return _threads.conv_pieces(flops)


def _shifts(h: int, w: int, kh: int, kw: int, padding: tuple[int, int, int, int],
            dilation: tuple[int, int], length: int) -> Iterator[tuple[int, int, int, int]]:
    """Flat trick: for each kernel offset t = i*kW + j, (t, d, lo, hi): output pixel m reads
    input position m + d, inside the image for m in [lo, hi)."""
    (dh, dw), top, left = dilation, padding[0], padding[2]
    for i in range(kh):
        for j in range(kw):
            d = (i * dh - top) * w + (j * dw - left)
            lo, hi = max(0, -d), min(length, h * w - d)
            yield i * kw + j, d, lo, max(hi, lo)


def _wrapped(w: int, wo: int, kw: int, left: int, dw: int) -> Iterator[tuple[int, int, int]]:
    """Flat trick: for each kernel column j, the output columns q in [start, stop) whose input
    column q + j*dw - left lies outside [0, W): their reads wrapped into the next row."""
    for j in range(kw):
        first = j * dw - left  # input column read by q = 0
        inside_from = min(max(-first, 0), wo)
        inside_to = min(max(w - first, inside_from), wo)
        if inside_from > 0:
            yield j, 0, inside_from
        if inside_to < wo:
            yield j, inside_to, wo


# =========================================================================== im2col, col2im


def _cols_buffer(g: SmallGeometry, rows: int, dtype: np.dtype) -> np.ndarray:
    """Scratch cols for one chunk, (chunk, groups, rows, Ho*Wo). With rows == k + 1 the last row
    of every group is ones (set when created, never written again)."""
    key = ("conv_small.cols", g.c_in, g.h, g.w, g.kh, g.kw, g.stride, g.padding, g.dilation)
    cols = _scratch.get(key, (g.chunk, g.groups, rows, g.length), dtype)
    if rows > g.k and g.length and cols[0, 0, g.k, 0] != 1:  # just created
        cols[:, :, g.k] = 1
    return cols


def _offsets_view(cols: np.ndarray, g: SmallGeometry) -> np.ndarray:
    """cols' first k rows per group as (images, groups, kH*kW, C/groups, Ho*Wo)."""
    images = cols.shape[0]
    return cols[:, :, : g.k].reshape(images, g.groups, g.kh * g.kw, g.c_in // g.groups,
                                     g.length)


def _zero_wrapped(view: np.ndarray, g: SmallGeometry) -> None:
    """Flat trick: zero the entries of cols (or dL/dcols), in ``_offsets_view`` layout, that
    wrapped around into the neighbouring image row."""
    images, groups, _, c_group, _ = view.shape
    grid = view.reshape(images, groups, g.kh, g.kw, c_group, g.ho, g.wo)
    for j, start, stop in g.wrapped:
        grid[:, :, :, j, :, :, start:stop] = 0


def _padded(x: np.ndarray, g: SmallGeometry) -> np.ndarray:
    """x (images, C, H, W) inside its zero border (a fresh array), or x without padding."""
    top, bottom, left, right = g.padding
    if not any(g.padding):
        return x
    return np.pad(x, ((0, 0), (0, 0), (top, bottom), (left, right)))


def _windows(xpad: np.ndarray, g: SmallGeometry) -> Iterator[tuple[int, np.ndarray]]:
    """Without the flat trick: for each kernel offset t = i*kW + j, the strided view of the
    padded images that it reads, (images, groups, C/groups, Ho, Wo)."""
    (sh, sw), (dh, dw) = g.stride, g.dilation
    images = xpad.shape[0]
    for i in range(g.kh):
        for j in range(g.kw):
            window = xpad[:, :, i * dh :: sh, j * dw :: sw][:, :, : g.ho, : g.wo]
            yield i * g.kw + j, window.reshape(images, g.groups, g.c_in // g.groups, g.ho, g.wo)


def im2col(x: np.ndarray, g: SmallGeometry, cols: np.ndarray) -> None:
    """cols[n, group, (i, j, c), m] = xpad[n, c, p*sh + i*dh, q*sw + j*dw], m = p*Wo + q, for
    the images x (images, C, H, W); one vectorised copy per kernel offset."""
    view = _offsets_view(cols, g)
    images = x.shape[0]
    if g.flat:
        flat = x.reshape(images, g.groups, g.c_in // g.groups, g.h * g.w)
        for t, d, lo, hi in g.shifts:
            view[:, :, t, :, lo:hi] = flat[..., lo + d : hi + d]
        _zero_wrapped(view, g)
        return
    grid = view.reshape(images, g.groups, g.kh * g.kw, g.c_in // g.groups, g.ho, g.wo)
    for t, window in _windows(_padded(x, g), g):
        grid[:, :, t] = window


def dcols_buffer(g: SmallGeometry, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Scratch dL/dcols for one chunk: (rows, the view the GEMM writes). The rows,
    (chunk, groups, kH*kW, C/groups, pitch), hold columns m = 0 .. Ho*Wo-1 at
    [margin, margin + Ho*Wo) between zeros that are never written (see ``col2im``); the view is
    (chunk, groups, k, Ho*Wo)."""
    rows = _scratch.get(("conv_small.dcols", g.margin),
                        (g.chunk, g.groups, g.kh * g.kw, g.c_in // g.groups, g.pitch), dtype)
    gemm = rows.reshape(g.chunk, g.groups, g.k, g.pitch)[..., g.margin : g.margin + g.length]
    return rows, gemm


def _grad_t_buffer(g: SmallGeometry, dtype: np.dtype) -> np.ndarray:
    """Scratch G[n]ᵀ for one chunk, (chunk, groups, Ho*Wo, O/groups)."""
    return _scratch.get(("conv_small.grad_t",),
                        (g.chunk, g.groups, g.length, g.c_out // g.groups), dtype)


def col2im(rows: np.ndarray, g: SmallGeometry, grad_x: np.ndarray) -> None:
    """The adjoint of ``im2col``: grad_x (images, C, H, W) = every entry of dL/dcols added back
    onto the input pixel it was copied from; the padding's share is dropped. ``rows`` are the
    first images of ``dcols_buffer`` (scratch: entries get overwritten).

    Flat trick: input position m' of a channel collects dL/dcols[t, m' - d_t] over the kernel
    offsets t = (i, j), with d = (i*dh - top)*W + (j*dw - left) linear in i and j. So with every
    row of dL/dcols stored ``margin`` values from the start of its zero-padded row, the numbers
    to add up are one strided view V[n, group, i, j, c, m'] (stride of i: one kernel row of rows
    minus dh*W values; of j: one row minus dw values) and grad_x = V summed over (i, j), one
    NumPy reduction instead of kH*kW shifted additions (which run at about half the speed).
    Reads that fall outside [0, Ho*Wo) land on the zeros around each row: the padding's share.
    """
    images = grad_x.shape[0]
    c_group = g.c_in // g.groups
    middle = rows[..., g.margin : g.margin + g.length]
    if g.flat:
        _zero_wrapped(middle, g)
        first = g.shifts[0][1]  # d of offset (0, 0), the smallest
        n_s, g_s, t_s, c_s, m_s = rows.strides
        dh, dw = g.dilation
        shifted = as_strided(
            rows[..., g.margin - first :], (images, g.groups, g.kh, g.kw, c_group, g.h * g.w),
            (n_s, g_s, g.kw * t_s - dh * g.w * m_s, t_s - dw * m_s, c_s, m_s), writeable=False)
        np.sum(shifted, axis=(2, 3), out=grad_x.reshape(images, g.groups, c_group, g.h * g.w))
        return
    top, bottom, left, right = g.padding
    target = np.zeros((images, g.c_in, g.h + top + bottom, g.w + left + right), grad_x.dtype)
    grid = middle.reshape(images, g.groups, g.kh * g.kw, c_group, g.ho, g.wo)
    for t, window in _windows(target, g):
        window += grid[:, :, t]
    grad_x[...] = target[:, :, top : top + g.h, left : left + g.w]


# =========================================================================== conv2d


def _weight_matrix(weight: np.ndarray, bias: np.ndarray | None, g: SmallGeometry,
                   dtype: np.dtype) -> np.ndarray:
    """w (O, C/groups, kH, kW) [and b] -> [W | b] (groups, O/groups, k [+ 1]), the columns
    ordered (i, j, c) like the rows of cols."""
    o_group = g.c_out // g.groups
    w = weight.reshape(g.groups, o_group, g.c_in // g.groups, g.kh, g.kw)
    w = w.transpose(0, 1, 3, 4, 2).reshape(g.groups, o_group, g.k)
    if bias is None:
        return np.ascontiguousarray(w, dtype=dtype)
    b = bias.reshape(g.groups, o_group, 1)
    return np.concatenate([w, b], axis=2).astype(dtype, copy=False)


def conv2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: tuple[int, int],
    padding: tuple[int, int, int, int],
    dilation: tuple[int, int],
    groups: int,
    saved: list[np.ndarray] | None = None,
) -> np.ndarray:
    """y = conv2d(x, w) + b on arrays, x: (N, C, H, W), padding: (top, bottom, left, right).

    Per chunk of images: cols = [im2col(x); 1], y[n] = [W | b] @ cols[n] for every image n and
    group, written by the GEMMs straight into y's (N, O, Ho, Wo) memory.

    ``saved``: when a list is given and the whole batch's cols take at most ``_KEEP_BYTES``,
    they are built in a fresh array that is appended to it. Handing that array to
    ``conv2d_backward(cols=...)`` saves rebuilding it there (the backward's im2col, about a
    sixth of the layer's time), for the memory of cols between the two passes; the caller
    must make sure that x has not changed in between (the Op's check of saved tensors does).
    """
    dtype = np.result_type(x, weight)
    g = SmallGeometry.of(x.shape, weight.shape, stride, padding, dilation, groups,
                         dtype.itemsize)
    w_mat = _weight_matrix(weight, bias, g, dtype)
    rows = w_mat.shape[2]
    out = np.empty((g.n, g.c_out, g.ho, g.wo), dtype)
    y = out.reshape(g.n, groups, g.c_out // groups, g.length)
    keep = saved is not None and not _uses_columns_of_grad(g)  # (else the backward needs none)
    if keep and g.n * groups * rows * g.length * dtype.itemsize <= _KEEP_BYTES:
        cols = _fresh_cols(g, rows, dtype)  # the whole batch at once, kept
        saved.append(cols)

        def kept(images: slice) -> None:
            im2col(x[images], g, cols[images])
            np.matmul(w_mat, cols[images], out=y[images])

        _parallel.over_batch_products(kept, g.n, g.pieces(1))
        return out

    def chunked(images: slice) -> None:
        cols = _cols_buffer(g, rows, dtype)  # this thread's
        for first, last in g.chunks(images):
            im2col(x[first:last], g, cols[: last - first])
            np.matmul(w_mat, cols[: last - first], out=y[first:last])

    _parallel.over_batch_products(chunked, g.n, g.pieces(1))
    return out


def _fresh_cols(g: SmallGeometry, rows: int, dtype: np.dtype) -> np.ndarray:
    """cols for the whole batch in new memory, (N, groups, rows, Ho*Wo), ready for ``im2col``:
    the ones row set (rows == k + 1) and, for the flat trick, the entries im2col never writes
    (reads of the vertical padding) zeroed: a few slices, instead of zeroing all of it."""
    cols = np.empty((g.n, g.groups, rows, g.length), dtype)
    if rows > g.k:
        cols[:, :, g.k] = 1
    view = _offsets_view(cols, g)
    for t, _, lo, hi in g.shifts:
        view[:, :, t, :, :lo] = 0
        view[:, :, t, :, hi:] = 0
    return cols


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
    cols: np.ndarray | None = None,
) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray | None]:
    """(dL/dx, dL/dw, dL/db) from G = dL/dy; a gradient not needed is returned as None.

    From the columns of x (per chunk of images: dL/d[W | b]ᵀ += sum_n [cols[n]; 1] @ G[n]ᵀ, the
    ones row giving dL/db, and dL/dx = col2im(Wᵀ @ G[n])), or, where ``_uses_columns_of_grad``,
    both from the columns of G (``_backward_from_columns_of_grad``). ``cols``: the forward's
    columns of x, kept by ``conv2d_forward(saved=...)`` (then not rebuilt).
    """
    dtype = np.result_type(x, weight)
    g = SmallGeometry.of(x.shape, weight.shape, stride, padding, dilation, groups,
                         dtype.itemsize)
    grad = np.ascontiguousarray(grad, dtype=dtype)
    if not (need_input or need_weight):
        return None, None, _bias_gradient(grad) if need_bias else None
    if _uses_columns_of_grad(g):
        return _backward_from_columns_of_grad(grad, x, weight, g, dtype, need_input,
                                              need_weight, need_bias)
    rows = cols.shape[2] if cols is not None else g.k + (1 if need_bias else 0)
    fold_bias = need_bias and need_weight and rows > g.k  # dL/db from the ones row of cols
    grad_x = np.empty(x.shape, dtype) if need_input else None
    # Wᵀ (groups, k, O/groups) stored row by row: the dL/dcols product is faster than with a
    # transposed view of W (grouped 64->64 on 16x16: 2.4 -> 2.0 ms; a tie for the CNN's 8->16)
    w_t = np.ascontiguousarray(_weight_matrix(weight, None, g, dtype).transpose(0, 2, 1))

    # first image of a piece -> its shares of dL/d[W | b] and (when not folded) of dL/db, summed
    # in the pieces (a product on 2 BLAS threads before them would leave OpenBLAS's worker
    # thread spinning on the core a piece needs)
    parts: dict[int, tuple[np.ndarray | None, np.ndarray | None]] = {}
    separate_bias = need_bias and not fold_bias

    def piece(images: slice) -> None:
        part_b = _bias_gradient(grad[images]) if separate_bias else None
        parts[images.start] = (
            _backward_images(grad, x, g, w_t, rows, cols, grad_x, need_weight, images), part_b)

    _parallel.over_batch_products(piece, g.n, g.pieces(2))
    shares = [parts[start] for start in sorted(parts)]  # added in the order of the pieces
    # (every call has one piece at least, an empty one for an empty batch: a share is there)
    grad_wb_t = _sum_shares([wb for wb, _ in shares]) if need_weight else None
    grad_w = _weight_grad(grad_wb_t, g, weight.shape) if need_weight else None
    grad_b = None
    if fold_bias:
        grad_b = grad_wb_t[:, g.k, :].reshape(g.c_out)
    elif need_bias:
        grad_b = _sum_shares([b for _, b in shares])
    return grad_x, grad_w, grad_b


# =========================================================================== the backward from G


def _transposed_padding(g: SmallGeometry) -> tuple[int, int, int, int] | None:
    """The padding of the convolution that maps G to dL/dx (``_backward_from_columns_of_grad``):
    dilation*(k - 1) - pad on each side, or None when one side would be negative (a padding
    wider than the dilated kernel: the gradient would be a cropped convolution)."""
    (dh, dw), (top, bottom, left, right) = g.dilation, g.padding
    reach_h, reach_w = dh * (g.kh - 1), dw * (g.kw - 1)
    pads = (reach_h - top, reach_h - bottom, reach_w - left, reach_w - right)
    return pads if min(pads) >= 0 else None


def _uses_columns_of_grad(g: SmallGeometry) -> bool:
    """Whether both gradients come from the columns of G (``_backward_from_columns_of_grad``)
    rather than from those of x: with the flat trick (stride 1), a padding the transposed
    convolution can use, and no more output than input channels, so that im2col of G copies no
    more than that of x. Measured through the layer (1 thread, against the columns of x for
    dL/dw and dL/dx from G's): grouped 64->64 on 16x16 0.88, 128->128 on 8x8 in 4 groups 0.93,
    8 groups 0.83, depthwise 0.81. The CNN's 8->16 (twice the channels in G, x's columns kept
    from the forward) keeps the columns of x."""
    return g.flat and g.c_out <= g.c_in and _transposed_padding(g) is not None


def _transposed_geometry(grad: np.ndarray, g: SmallGeometry, dtype: np.dtype
                         ) -> SmallGeometry:
    """The geometry of the convolution G -> dL/dx: input G (N, O, Ho, Wo), C output channels."""
    return SmallGeometry.of(grad.shape, (g.c_in, g.c_out // g.groups, g.kh, g.kw), (1, 1),
                            _transposed_padding(g), g.dilation, g.groups, dtype.itemsize)


def _backward_from_columns_of_grad(grad: np.ndarray, x: np.ndarray, weight: np.ndarray,
                                   g: SmallGeometry, dtype: np.dtype, need_input: bool,
                                   need_weight: bool, need_bias: bool
                                   ) -> tuple[np.ndarray | None, np.ndarray | None,
                                              np.ndarray | None]:
    """dL/dx and dL/dw both from one im2col of G (stride 1, ``_uses_columns_of_grad``).

    dL/dx is itself a convolution: of G with each group's weights flipped and their input and
    output channels swapped, G padded by dilation*(k - 1) - pad on each side,

        dL/dx[n, c, h, v] = Σ_{o, i, j} G[n, o, h + top - i*dh, v + left - j*dw] w[o, c, i, j]
                          = conv2d(G, w')[n, c, h, v],   w'[c, o, i, j] = w[o, c, kH-1-i, kW-1-j]

    (per group). So with colsG = im2col of G for that convolution, one row per (i', j', o),
    dL/dx[n] = W' @ colsG[n] is a product per image written straight into dL/dx, like the
    forward's. The same columns give dL/dw: row (i', j', o) of colsG at input pixel m holds
    G[n, o, m - d] with d the flat shift of the offset (i, j) = (kH-1-i', kW-1-j'), so

        dL/dw[o, c, i, j] = Σ_{n, m} G[n, o, m - d] x[n, c, m]
                          = (Σ_n colsG[n] @ x[n]ᵀ)[(i', j', o), c]

    and the columns of x are never built. dL/db = sum of G over (n, p, q).
    """
    tg = _transposed_geometry(grad, g, dtype)
    o_group, c_group = g.c_out // g.groups, g.c_in // g.groups
    flipped = weight.reshape(g.groups, o_group, c_group, g.kh, g.kw).transpose(0, 2, 1, 3, 4)
    flipped = np.ascontiguousarray(flipped[..., ::-1, ::-1], dtype=dtype)
    w_mat = _weight_matrix(flipped.reshape(g.c_in, o_group, g.kh, g.kw), None, tg, dtype)
    grad_x = np.empty(x.shape, dtype) if need_input else None
    parts: dict[int, tuple[np.ndarray | None, np.ndarray | None]] = {}

    def piece(images: slice) -> None:
        part_b = _bias_gradient(grad[images]) if need_bias else None
        parts[images.start] = (
            _grad_columns_images(grad, x, tg, w_mat, grad_x, need_weight, images), part_b)

    _parallel.over_batch_products(piece, g.n, tg.pieces(int(need_input) + int(need_weight)))
    shares = [parts[start] for start in sorted(parts)]  # added in the order of the pieces
    grad_w = None
    if need_weight:  # (groups, (i', j', o), c) -> (O, C/groups, kH, kW), the offsets flipped
        grid = _sum_shares([w for w, _ in shares]).reshape(g.groups, g.kh, g.kw, o_group,
                                                           c_group)
        grid = grid[:, ::-1, ::-1].transpose(0, 3, 4, 1, 2)
        grad_w = np.ascontiguousarray(grid).reshape(weight.shape)
    grad_b = _sum_shares([b for _, b in shares]) if need_bias else None
    return grad_x, grad_w, grad_b


def _grad_columns_images(grad: np.ndarray, x: np.ndarray, tg: SmallGeometry, w_mat: np.ndarray,
                         grad_x: np.ndarray | None, need_weight: bool, images: slice
                         ) -> np.ndarray | None:
    """``_backward_from_columns_of_grad`` for the images of one piece: their dL/dx into
    ``grad_x`` (when given), and their share of Σ_n colsG[n] @ x[n]ᵀ returned (None if not
    needed)."""
    dtype = w_mat.dtype
    c_group = tg.c_out // tg.groups
    cols = _cols_buffer(tg, tg.k, dtype)
    # x[n]ᵀ copied row by row first when colsG has many rows (see _COPY_GRAD_T_ROWS)
    x_t = None
    if need_weight and tg.k > _COPY_GRAD_T_ROWS:
        x_t = _scratch.get(("conv_small.x_t",), (tg.chunk, tg.groups, tg.length, c_group), dtype)
    share = np.zeros((tg.groups, tg.k, c_group), dtype) if need_weight else None
    for first, last in tg.chunks(images):
        part = cols[: last - first]
        im2col(grad[first:last], tg, part)
        if grad_x is not None:
            y = grad_x[first:last].reshape(last - first, tg.groups, c_group, tg.length)
            np.matmul(w_mat, part, out=y)
        if need_weight:
            pixels = x[first:last].reshape(last - first, tg.groups, c_group, tg.length)
            pixels_t = pixels.swapaxes(-1, -2)
            if x_t is not None:
                pixels_t = x_t[: last - first]
                np.copyto(pixels_t, pixels.swapaxes(-1, -2))
            share += np.matmul(part, pixels_t).sum(axis=0)
    return share


def _backward_images(grad: np.ndarray, x: np.ndarray, g: SmallGeometry, w_t: np.ndarray,
                     rows: int, cols: np.ndarray | None, grad_x: np.ndarray | None,
                     need_weight: bool, images: slice) -> np.ndarray | None:
    """``conv2d_backward`` for the images of one piece of the batch: their rows of dL/dx into
    ``grad_x`` (when given), and their share of dL/d[W | b] returned (None if not needed)."""
    dtype = w_t.dtype
    o_group = g.c_out // g.groups
    grad_wb_t = np.zeros((g.groups, rows, o_group), dtype) if need_weight else None
    buffer = _cols_buffer(g, rows, dtype) if need_weight and cols is None else None
    # G[n]ᵀ copied row by row first when cols' has many rows (see _COPY_GRAD_T_ROWS)
    grad_t = _grad_t_buffer(g, dtype) if need_weight and rows > _COPY_GRAD_T_ROWS else None
    dcols, dcols_gemm = dcols_buffer(g, dtype) if grad_x is not None else (None, None)
    for first, last in g.chunks(images):
        gy = grad[first:last].reshape(last - first, g.groups, o_group, g.length)
        if need_weight:
            part = cols[first:last] if cols is not None else buffer[: last - first]
            if cols is None:
                im2col(x[first:last], g, part)
            # dL/d[W | b]ᵀ = Σ_n cols'[n] @ G[n]ᵀ: this orientation, not G[n] @ cols'[n]ᵀ
            # (grouped 64->64 on 16x16: the layer 11.6 -> 9.6 ms; a tie for the CNN's 8->16)
            g_t = gy.swapaxes(-1, -2)
            if grad_t is not None:
                g_t = grad_t[: last - first]
                np.copyto(g_t, gy.swapaxes(-1, -2))
            grad_wb_t += np.matmul(part, g_t).sum(axis=0)
        if grad_x is not None:
            np.matmul(w_t, gy, out=dcols_gemm[: last - first])
            col2im(dcols[: last - first], g, grad_x[first:last])
    return grad_wb_t


def _weight_grad(grad_wb_t: np.ndarray, g: SmallGeometry, shape: tuple[int, ...]
                 ) -> np.ndarray:
    """dL/d[W | b]ᵀ (groups, k [+ 1], O/groups) -> dL/dw in w's layout (O, C/groups, kH, kW)."""
    groups, _, o_group = grad_wb_t.shape
    grid = grad_wb_t[:, : g.k].reshape(groups, g.kh, g.kw, g.c_in // groups, o_group)
    return np.ascontiguousarray(grid.transpose(0, 4, 3, 1, 2)).reshape(shape)
