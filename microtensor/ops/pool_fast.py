"""The pooling kernels on NumPy arrays: max and average pooling, one kernel offset at a time.

Read ``conv_plain.py`` first. There pooling is im2col followed by a max (or a sum) over the
window axis, and the backward is col2im of the gradient routed to each window's argmax (or
spread as g/divisor over the window); the tests hold this module to its results. The values are
the same here; the difference is memory:

* No window array. The plain version materialises every window's values, (C, kH*kW, N, Ho, Wo):
  kH*kW values per output (9 for 3x3 windows), and its backward builds a gradient array of the
  same size (a one-hot one for max pooling). Here each kernel offset's strided view of the
  input is visited once and folded into a running result, so the work arrays are output-sized.
* Max pooling keeps the winner as the offset t = i*kW + j in a uint8 (1 byte per output where
  an int64 argmax takes 8), updated with a running ``maximum`` rather than a masked assignment
  (slow in NumPy). The rule is PyTorch's: first maximum on ties, and a NaN always takes over
  (so the last NaN of a window wins; ``conv_plain`` picks the first). The backward adds, offset
  by offset, the gradient of the outputs that this offset won.
* The input is never padded: an offset's view covers only the outputs whose tap at that
  offset lands on the input (a rectangle of the output), since the -inf (max) or 0 (average)
  padding cannot change a result. That saves an input-sized padded copy in the forward, and in
  the backward a padded gradient plus the copy that crops it.
* Where windows cannot overlap (stride at least the window), the backward writes each offset's
  share instead of adding it, and when they tile the input exactly it starts from
  ``np.empty`` rather than zeros. Work arrays (comparison masks, products) are allocated once
  per call and reused by every offset (``out=``), not once per offset. The average's divisor
  is a scalar when it is the same for every window.

The public ``max_pool2d``/``avg_pool2d`` and their ``Op``s are in ``microtensor/ops/conv.py``.

Pooling windows are visited one kernel offset (i, j) at a time: the strided view
``x[:, :, i*dh - ph :: sh, j*dw - pw :: sw]`` (clipped to the input) holds, for every output
pixel it reaches, the input value at offset (i, j) of its window. Max pooling keeps a running
maximum and the offset where it was found (first occurrence wins on ties, a NaN always wins, as
in PyTorch); its backward adds the gradient at the winning offset only. Average pooling sums
the views and divides by the window size.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from microtensor._parallel import over_batch


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
    """Sizes of one pooling call: input (n, c, h, w), window, stride, padding (top/left, the
    same at the bottom/right), dilation and output (ho, wo)."""

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

    @staticmethod
    def of(shape: tuple[int, ...], kernel: tuple[int, int], stride: tuple[int, int],
           pad: tuple[int, int], dilation: tuple[int, int], ceil_mode: bool) -> PoolGeometry:
        n, c, h, w = shape
        ho = _pool_output_size(h, kernel[0], stride[0], pad[0], dilation[0], ceil_mode)
        wo = _pool_output_size(w, kernel[1], stride[1], pad[1], dilation[1], ceil_mode)
        return PoolGeometry(n, c, h, w, kernel, stride, pad, dilation, ho, wo)


def _tap_range(i: int, out: int, size: int, stride: int, pad: int, dilation: int
               ) -> tuple[slice, slice]:
    """Along one dim, the outputs p whose tap i lands on the input, p*stride + i*dilation - pad
    in [0, size), as a slice of the output, and the input positions they read, as a strided
    slice of the input (empty slices when none does)."""
    offset = i * dilation - pad
    lo = max(0, -(offset // stride))  # first p with p*stride + offset >= 0
    hi = min(out, (size - 1 - offset) // stride + 1)  # one past the last p inside the input
    hi = max(hi, lo)
    first = lo * stride + offset
    return slice(lo, hi), slice(first, first + (hi - lo - 1) * stride + 1 if hi > lo else first,
                                stride)


def _taps(g: PoolGeometry) -> Iterator[tuple[int, tuple, tuple]]:
    """For each kernel offset t = i*kW + j that reaches the input: t, the part of the output it
    reaches (an index of the (N, C, Ho, Wo) array) and the input pixels it reads there (an index
    of the (N, C, H, W) array; a strided view): input[n, c, p*sh + i*dh - ph, q*sw + j*dw - pw].

    Taps that land in the padding are skipped: the -inf (max) or 0 (average) padding never
    changes a result. (The kernels below still pad when a tap misses part of the output; see
    ``_padded``.)
    """
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = g.kernel, g.stride, g.pad, g.dilation
    for i in range(kh):
        out_rows, in_rows = _tap_range(i, g.ho, g.h, sh, ph, dh)
        if out_rows.stop == out_rows.start:
            continue
        for j in range(kw):
            out_cols, in_cols = _tap_range(j, g.wo, g.w, sw, pw, dw)
            if out_cols.stop == out_cols.start:
                continue
            yield (i * kw + j, (slice(None), slice(None), out_rows, out_cols),
                   (slice(None), slice(None), in_rows, in_cols))


def _covers_output(index: tuple, g: PoolGeometry) -> bool:
    rows, cols = index[2], index[3]
    return (rows.start, rows.stop, cols.start, cols.stop) == (0, g.ho, 0, g.wo)


def _padded(x: np.ndarray, g: PoolGeometry, fill: float) -> tuple[np.ndarray, PoolGeometry]:
    """``x`` and ``g`` when every tap reaches every output; otherwise a copy of ``x`` padded
    with ``fill`` on all sides as far as the windows reach, and its geometry (no padding).

    Why pad at all when taps in the padding can be skipped: a tap that misses the first row or
    column of the output works on a view whose rows are one element shorter than the output's,
    so NumPy cannot merge the output's rows into one long loop, and each operation on it ran
    ~2.4x slower (measured on (32, 64, 32, 32), 3x3 windows, stride 2, padding 1: 0.6 ms
    against 0.26 ms). With 5 of 9 taps partial and 3 operations per tap, that is ~5 ms; the
    padded copy costs ~0.7 ms.
    """
    gp = _padded_geometry(g)
    if gp is g:
        return x, g
    xpad = np.full((g.n, g.c, gp.h, gp.w), fill, x.dtype)
    xpad[:, :, g.pad[0] : g.pad[0] + g.h, g.pad[1] : g.pad[1] + g.w] = x
    return xpad, gp


def _padded_geometry(g: PoolGeometry) -> PoolGeometry:
    """``g`` itself when every tap reaches every output, else the geometry of the padded input
    (see ``_padded``)."""
    taps = list(_taps(g))  # (a tap wholly in the padding is not listed)
    if len(taps) == g.kernel[0] * g.kernel[1] and all(_covers_output(o, g) for _, o, _ in taps):
        return g
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = g.kernel, g.stride, g.pad, g.dilation
    hp = max(g.h + 2 * ph, (g.ho - 1) * sh + dh * (kh - 1) + 1)
    wp = max(g.w + 2 * pw, (g.wo - 1) * sw + dw * (kw - 1) + 1)
    return replace(g, h=hp, w=wp, pad=(0, 0))


def _overlapping(g: PoolGeometry) -> bool:
    """Can an input pixel belong to two windows? (Not when the stride is at least the window.)"""
    return any(g.stride[d] < g.dilation[d] * (g.kernel[d] - 1) + 1 for d in range(2))


def _tiles_input(g: PoolGeometry) -> bool:
    """Is every input pixel in exactly one window (windows side by side, no padding, nothing
    left over)? Then a backward that writes each window's share fills the whole gradient, and
    it can start from ``np.empty`` instead of zeros."""
    return (g.stride == g.kernel and g.dilation == (1, 1) and g.pad == (0, 0)
            and g.ho * g.kernel[0] == g.h and g.wo * g.kernel[1] == g.w)


def _first_taps(g: PoolGeometry, code: type) -> np.ndarray:
    """Per output pixel, the offset t of its first tap inside the input: PyTorch's index of a
    window whose values are all -inf (its maximum never improves on the starting -inf)."""
    def first(out: int, size: int, s: int, p: int, d: int) -> np.ndarray:
        start = np.arange(out) * s - p
        return np.maximum(-(start // d), 0)  # smallest i with start + i*d >= 0

    rows = first(g.ho, g.h, g.stride[0], g.pad[0], g.dilation[0])
    cols = first(g.wo, g.w, g.stride[1], g.pad[1], g.dilation[1])
    return (rows[:, None] * g.kernel[1] + cols).astype(code)  # (Ho, Wo): the same per plane


def _batch_part(g: PoolGeometry, piece: slice) -> PoolGeometry:
    """The geometry of the samples ``piece`` of the batch (see ``microtensor/_parallel.py``:
    every kernel below runs over pieces of the batch, on several threads when they pay)."""
    return replace(g, n=piece.stop - piece.start)


def max_pool2d_forward(x: np.ndarray, g: PoolGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Window maxima and, per output pixel, the kernel offset t = i*kW + j where it was found.

    Offsets are visited in order; a value larger than the running maximum takes over, an equal
    one does not (the first maximum wins), and a NaN always does (NaN propagates, as in
    PyTorch). Since t only grows, the winning offset is the largest t at which the maximum
    improved: a running ``maximum`` again, with no masked assignment (those are slow in NumPy).

    The NaN rule costs an ``isnan`` pass per offset, about a third of the loop, for inputs that
    almost never hold a NaN. So the loop first runs without it: the maxima are right anyway
    (``np.maximum`` propagates NaN), and only the offsets of windows holding a NaN can be
    wrong. One ``isnan`` over the (small) output tells whether there was one; only then is the
    loop run again with the rule (for the samples of that piece of the batch only).
    """
    code = np.uint8 if g.kernel[0] * g.kernel[1] <= 256 else np.int32
    best = np.empty((g.n, g.c, g.ho, g.wo), x.dtype)
    argmax = np.empty(best.shape, code)

    def piece(part: slice) -> None:
        gk = _batch_part(g, part)
        _max_pool_loop(x[part], gk, best[part], argmax[part], nan_rule=False)
        if x.dtype.kind == "f" and np.isnan(best[part]).any():
            _max_pool_loop(x[part], gk, best[part], argmax[part], nan_rule=True)

    over_batch(piece, g.n, x.size)
    return best, argmax


def _max_pool_loop(x: np.ndarray, g: PoolGeometry, best: np.ndarray, argmax: np.ndarray,
                   nan_rule: bool) -> None:
    """The running maximum over the offsets (see ``max_pool2d_forward``), written into
    ``best`` and ``argmax``; ``nan_rule``: a NaN takes over the offset too. The comparison
    goes into one reused boolean buffer."""
    code = argmax.dtype.type
    fill = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
    source, gp = _padded(x, g, fill)
    taps = list(_taps(gp))  # every tap reaches every output now
    np.copyto(best, source[taps[0][2]])
    # a window whose values are all -inf keeps the index PyTorch starts it with: its first
    # tap on the input, which is tap 0 unless padding is involved
    argmax[...] = _first_taps(g, code) if gp is not g else 0
    buffer = np.empty(best.shape, bool)
    for t, out, inp in taps[1:]:
        view, running = source[inp], best[out]
        better = np.greater(view, running, out=buffer[out])
        if nan_rule:
            np.logical_or(better, np.isnan(view), out=better)
        np.maximum(running, view, out=running)  # NaN propagates
        np.maximum(argmax[out], better * code(t), out=argmax[out])


def max_pool2d_backward(grad: np.ndarray, argmax: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """dL/dx: each output's gradient goes to the input pixel that won its window (summed where
    overlapping windows picked the same pixel).

    Where windows cannot overlap, offset by offset: the mask ``argmax == t`` (one reused
    buffer) times the gradient is *written* into the input pixels of offset t (no
    read-modify-write), and when the windows also tile the input no zeroed array is needed.

    Where they overlap, a pixel can win several windows, so the offsets' shares would have to
    be added (mask, product and a strided read-modify-write per offset: 27 passes for 3x3
    windows). Instead the gradient is scattered once: every output's gradient is added at the
    flat position of its winner (``np.add.at``, one pass over the output-sized gradient),
    about 4x faster on (32, 64, 32, 32) with 3x3 windows, stride 2.
    """
    gp = _padded_geometry(g)
    # zeros where some pixels may receive nothing and are written in place; np.empty where
    # every pixel is written (windows tiling the input, or a padded piece cropped into it)
    empty = np.empty if _tiles_input(g) or (gp is not g and not _overlapping(g)) else np.zeros
    grad_x = empty((g.n, g.c, g.h, g.w), grad.dtype)

    def piece(part: slice) -> None:
        gk, target = _batch_part(g, part), grad_x[part]
        if _overlapping(g):
            np.add.at(target.reshape(-1), _winner_positions(argmax[part], gk).reshape(-1),
                      grad[part].reshape(-1))
        else:
            _max_pool_write_back(grad[part], argmax[part], gk, target)

    over_batch(piece, g.n, grad_x.size)
    return grad_x


def _max_pool_write_back(grad: np.ndarray, argmax: np.ndarray, g: PoolGeometry,
                         grad_x: np.ndarray) -> None:
    """The non-overlapping backward of ``max_pool2d_backward`` into ``grad_x``: offset by
    offset, the gradient of the outputs that offset won is written at its pixels (on a zeroed
    padded gradient first, cropped into ``grad_x``, when windows reach into the padding)."""
    gp = _padded_geometry(g)
    padded = grad_x if gp is g else np.zeros((g.n, g.c, gp.h, gp.w), grad.dtype)
    mask = np.empty(argmax.shape, bool)
    for t, out, inp in _taps(gp):  # every pixel is in one window at most: write, not add
        np.multiply(grad[out], np.equal(argmax[out], t, out=mask[out]), out=padded[inp])
    if gp is not g:
        np.copyto(grad_x, padded[:, :, g.pad[0] : g.pad[0] + g.h, g.pad[1] : g.pad[1] + g.w])


def _winner_positions(argmax: np.ndarray, g: PoolGeometry) -> np.ndarray:
    """The flat position in the whole (N, C, H, W) input of each window's winner:
    ((n*C + c)*H + row)*W + col with row = p*sh - ph + i*dh, col = q*sw - pw + j*dw for the
    winning offset t = i*kW + j. int32 when the input is small enough (half the memory
    traffic of int64)."""
    index = np.int32 if g.n * g.c * g.h * g.w < 2**31 else np.int64
    i, j = np.divmod(argmax, g.kernel[1])
    position = i.astype(index)
    position *= g.dilation[0] * g.w
    position += j * index(g.dilation[1])
    rows = np.arange(g.ho, dtype=index) * g.stride[0] - g.pad[0]
    cols = np.arange(g.wo, dtype=index) * g.stride[1] - g.pad[1]
    position += rows[:, None] * g.w + cols
    planes = np.arange(g.n * g.c, dtype=index).reshape(g.n, g.c, 1, 1) * (g.h * g.w)
    position += planes
    return position


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
    """y = (sum of the window's values) / divisor; padding adds zeros, so its taps are skipped.
    (Over pieces of the batch, see ``_batch_part``.)"""
    total = np.empty((g.n, g.c, g.ho, g.wo), np.result_type(x.dtype, divisor))

    def piece(part: slice) -> None:
        _avg_pool_sum(x[part], _batch_part(g, part), divisor, total[part])

    over_batch(piece, g.n, x.size)
    return total


def _avg_pool_sum(x: np.ndarray, g: PoolGeometry, divisor: np.ndarray | float,
                  total: np.ndarray) -> None:
    """``avg_pool2d_forward`` of ``x`` written into ``total``."""
    source, gp = _padded(x, g, 0)
    taps = list(_taps(gp))  # every tap reaches every output now
    if len(taps) == 1:
        np.divide(source[taps[0][2]], divisor, out=total)
        return
    # the first two taps added straight into the result: no separate copy of the first one
    np.add(source[taps[0][2]], source[taps[1][2]], out=total)
    for _, out, inp in taps[2:]:
        np.add(total[out], source[inp], out=total[out])
    total /= divisor


def avg_pool2d_backward(grad: np.ndarray, g: PoolGeometry, divisor: np.ndarray | float
                        ) -> np.ndarray:
    """dL/dx: every pixel of a window receives that window's gradient / divisor.

    Where windows cannot overlap, g / divisor is written (not added) at each tap's pixels,
    divided tap by tap (no output-sized temporary), and no zeroed array is needed when the
    windows tile the input. Where they overlap, the spreading is done along W, then along H
    (``_spread``). No padded gradient either way: it would need a zeroed padded-size array and
    an input-sized copy to crop it. (Over pieces of the batch, see ``_batch_part``.)"""
    empty = np.empty if _tiles_input(g) or _overlapping(g) else np.zeros
    grad_x = empty((g.n, g.c, g.h, g.w), np.result_type(grad.dtype, divisor))

    def piece(part: slice) -> None:
        _avg_pool_spread(grad[part], _batch_part(g, part), divisor, grad_x[part])

    over_batch(piece, g.n, grad_x.size)
    return grad_x


def _avg_pool_spread(grad: np.ndarray, g: PoolGeometry, divisor: np.ndarray | float,
                     grad_x: np.ndarray) -> None:
    """``avg_pool2d_backward`` of ``grad`` written into ``grad_x`` (zeroed already where
    windows neither overlap nor tile the input)."""
    if not _overlapping(g):
        for _, out, inp in _taps(g):  # (divided per tap: no output-sized temporary)
            np.divide(grad[out], divisor if np.ndim(divisor) == 0 else divisor[out[2:]],
                      out=grad_x[inp])
        return
    share = grad / divisor
    along_w = _spread(share, 3, g.w, g.kernel[1], g.stride[1], g.pad[1])
    _spread(along_w, 2, g.h, g.kernel[0], g.stride[0], g.pad[0], out=grad_x)


def _spread(share: np.ndarray, axis: int, size: int, kernel: int, stride: int, pad: int,
            out: np.ndarray | None = None) -> np.ndarray:
    """Along one axis, add each output's ``share`` to the ``kernel`` input positions of its
    window: out[..., o*stride + i - pad, ...] += share[..., o, ...], i < kernel, in the input.

    Spreading over a kH x kW window is spreading along W, then along H (the window is a
    product of two ranges), so the 2-d backward takes kW + kH passes instead of kH*kW
    read-modify-write passes over the input-sized gradient; the passes along H move whole
    rows (long contiguous loops). (32, 64, 32, 32), 3x3 windows, stride 2, padding 1: ~2x
    faster than tap by tap.) The result goes into ``out`` when given (zeroed here)."""
    shape = list(share.shape)
    shape[axis] = size
    if out is None:
        out = np.zeros(shape, share.dtype)
    else:
        out.fill(0)
    index = [slice(None)] * share.ndim
    for i in range(kernel):
        outputs, inputs = _tap_range(i, share.shape[axis], size, stride, pad, 1)
        if outputs.stop == outputs.start:
            continue
        source, target = list(index), list(index)
        source[axis], target[axis] = outputs, inputs
        view = out[tuple(target)]
        np.add(view, share[tuple(source)], out=view)
    return out


# =========================================================================== adaptive average


def adaptive_windows(size: int, out: int) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's adaptive windows of a dim of ``size`` into ``out``: window i covers
    [floor(i*size/out), ceil((i+1)*size/out)); returns (starts, ends)."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def adaptive_avg_matrix(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """The (out, size) matrix M of an adaptive average along one dim: M[i, k] = 1/|window i| for
    k in window i, else 0, so that (M @ v)[i] is the mean of window i."""
    starts, ends = adaptive_windows(size, out)
    k = np.arange(size)
    inside = (k >= starts[:, None]) & (k < ends[:, None])
    return (inside / (ends - starts)[:, None]).astype(dtype)


def _contract(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b, as a broadcast product when the contracted dim has size 1: a BLAS product with an
    inner size of 1 (an outer product) runs ~10x slower than the multiplication."""
    if a.shape[-1] == 1:
        return a * b
    return np.matmul(a, b)


def adaptive_avg_pool2d_forward(x: np.ndarray, rows: np.ndarray, cols: np.ndarray
                                ) -> np.ndarray:
    """y = R @ x @ Cᵀ per (n, c) plane, with R = ``rows`` (Ho, H) and C = ``cols`` (Wo, W) the
    window-mean matrices: a mean of window means is the window mean, so the 2-d average is a
    1-d one along W, then along H.

    Two matrix products replace Ho*Wo slice means (each a Python-level call on a small strided
    block): the first is one BLAS product of the whole input, (N*C*H, W) @ (W, Wo).
    One catch: a product multiplies every element by a weight, 0 outside the window, and
    0 * inf is NaN, so one infinity would spoil every window of its row. The result is then not
    finite, which is checked on the (small) output; only then is the plain per-window sum
    (``adaptive_avg_exact``) computed instead.
    """
    n, c, h, w = x.shape
    with np.errstate(invalid="ignore"):  # 0 * inf: caught below
        along_w = (x.reshape(n * c * h, w) @ cols.T).reshape(n, c, h, cols.shape[0])
        out = np.matmul(rows, along_w)
    if not np.isfinite(out).all():
        return adaptive_avg_exact(x, rows.shape[0], cols.shape[0])
    return out


def adaptive_avg_exact(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """The plain adaptive average: sum each window's slice, divide by its size (dim by dim)."""
    for axis, out in ((-2, out_h), (-1, out_w)):
        starts, ends = adaptive_windows(x.shape[axis], out)
        means = [np.take(x, np.arange(s, e), axis).sum(axis, keepdims=True) / (e - s)
                 for s, e in zip(starts, ends)]
        x = np.concatenate(means, axis)
    return x


def adaptive_avg_pool2d_backward(grad: np.ndarray, rows: np.ndarray, cols: np.ndarray
                                 ) -> np.ndarray:
    """dL/dx = Rᵀ @ g @ C: each window's gradient, divided by its size, spread over its pixels
    (summed where neighbouring windows share a pixel). The small product comes first, so the
    input-sized result is written once, by the last product (a plain broadcast multiplication
    for a 1x1 output: see ``_contract``). A non-finite gradient (checked on the small ``grad``)
    takes the plain window-by-window spreading, so that 0 * inf cannot make NaN."""
    if not np.isfinite(grad).all():
        return _adaptive_avg_spread(grad, rows.shape[1], cols.shape[1])
    return _contract(_contract(rows.T, grad), cols)


def _adaptive_avg_spread(grad: np.ndarray, h: int, w: int) -> np.ndarray:
    """The plain backward: window by window, add g / |window| to the window's pixels."""
    for axis, size in ((-2, h), (-1, w)):
        starts, ends = adaptive_windows(size, grad.shape[axis])
        shape = list(grad.shape)
        shape[axis] = size
        spread = np.zeros(shape, grad.dtype)
        for i, (s, e) in enumerate(zip(starts, ends)):
            target = spread[..., s:e, :] if axis == -2 else spread[..., s:e]
            target += np.take(grad, [i], axis) / (e - s)
        grad = spread
    return grad


# =========================================================================== adaptive maximum


def adaptive_max_positions(x: np.ndarray, out_h: int, out_w: int) -> np.ndarray | None:
    """Per (plane, window), the flat position h*W + w of the window's first maximum, for x of
    shape (P, H, W); None when a window holds a NaN or an infinity (the caller then applies
    PyTorch's rules, the last NaN wins, the slow way).

    The maximum over a rectangle is separable: the maximum of each row's maximum. So the search
    runs along W first, for every input row and output column, then along H over those row
    maxima; the winner's column is the one its row recorded. Ties stay PyTorch's (first in
    row-major order): the first maximum within a row, then the first row holding the maximum.
    A 1x1 output is one ``argmax`` over each contiguous plane.
    """
    p, h, w = x.shape
    if (out_h, out_w) == (1, 1):
        positions = np.argmax(x.reshape(p, h * w), axis=1).reshape(p, 1, 1)
        best = np.take_along_axis(x.reshape(p, h * w), positions.reshape(p, 1), 1)
        return None if x.dtype.kind == "f" and np.isnan(best).any() else positions
    # along W: a_w = x as (W, P*H) (a transposed view), best_w / tap_w (Wo, P*H)
    best_w, tap_w = _window_max(x.reshape(p * h, w).T, out_w)
    # along H over the row maxima: (H, Wo*P), best / tap (Ho, Wo*P)
    best, tap_h = _window_max(best_w.reshape(out_w * p, h).T, out_h)
    if x.dtype.kind == "f" and np.isnan(best).any():
        return None
    rows = adaptive_windows(h, out_h)[0][:, None] + tap_h  # (Ho, Wo*P)
    # the column tap that row recorded, then its column
    col_tap = np.take_along_axis(tap_w.reshape(out_w * p, h), rows.T, axis=1)  # (Wo*P, Ho)
    cols = adaptive_windows(w, out_w)[0][:, None, None] + col_tap.reshape(out_w, p, out_h)
    positions = rows.reshape(out_h, out_w, p) * w + cols.transpose(2, 0, 1)
    return np.ascontiguousarray(positions.transpose(2, 0, 1))


def _window_max(a: np.ndarray, out: int) -> tuple[np.ndarray, np.ndarray]:
    """Maxima over the adaptive windows of the first axis of ``a`` (size, M), (out, M), and for
    each window the tap k (position start + k) of its first maximum.

    Tap k of window i is min(start_i + k, end_i - 1): a short window repeats its last
    element, which can neither beat (strict >) nor change the maximum, so the winning k is
    always inside the window. The values of every tap of every window come from one matrix
    product with a 0/1 selection matrix, ``S @ a`` with S[k*out + i, tap] = 1: exact (a value
    times 1 plus zeros), one BLAS call instead of a gather per tap (NumPy's ``take`` of a few
    columns is ~10x slower), and each tap's block of the result is contiguous, so the
    comparisons below run as long loops. A NaN or infinity in ``a`` gives NaN (0 * inf) in
    its row: the caller sees a NaN maximum and takes the exact path. The tap is kept as a
    running ``maximum`` of ``better * k`` (k only grows), as in ``max_pool2d_forward``.
    """
    size = a.shape[0]
    starts, ends = adaptive_windows(size, out)
    longest = int((ends - starts).max())
    taps = np.minimum(starts + np.arange(longest)[:, None], ends - 1)  # (longest, out)
    select = np.zeros((longest * out, size), a.dtype)
    select[np.arange(longest * out), taps.reshape(-1)] = 1
    with np.errstate(invalid="ignore"):  # 0 * inf: caught by the caller
        values = (select @ a).reshape(longest, out, a.shape[1])
    code = np.uint8 if longest <= 256 else np.int32
    best = values[0].copy()
    tap_of = np.zeros(best.shape, code)
    better = np.empty(best.shape, bool)
    for k in range(1, longest):
        np.greater(values[k], best, out=better)
        np.maximum(best, values[k], out=best)
        np.maximum(tap_of, better * code(k), out=tap_of)
    return best, tap_of.astype(np.int64)
