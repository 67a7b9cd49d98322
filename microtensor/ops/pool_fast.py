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
* A forward that no graph records (``no_grad``, or an input without ``requires_grad``) keeps
  only the running maximum (``_max_pool_values``): no comparisons and no offsets, about half
  the work. The tap lists are computed once per plane geometry (``_plane_taps``).
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

Integer inputs (PyTorch's dtypes: every integer type for max pooling, int64 for average
pooling; ``conv.py`` checks them): max pooling starts from the type's smallest value where a
float starts from -inf, and the integer average is the integer sum divided toward zero.

The end of the module holds adaptive pooling (window i of a dim of size n into m covers
[⌊i·n/m⌋, ⌈(i+1)·n/m⌉); the ops are in ``pool1d.py``): the average as products with
window-mean matrices (to 1x1: one matrix-vector product, and a broadcast view as its
backward), the maximum as a separable search over rows gathered tap by tap.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from microtensor._parallel import over_batch
from microtensor.ops.conv_fast import _workspace


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


def _taps(g: PoolGeometry) -> tuple[tuple[int, tuple, tuple], ...]:
    """For each kernel offset t = i*kW + j that reaches the input: t, the part of the output it
    reaches (an index of the (N, C, Ho, Wo) array) and the input pixels it reads there (an index
    of the (N, C, H, W) array; a strided view): input[n, c, p*sh + i*dh - ph, q*sw + j*dw - pw].

    Taps that land in the padding are skipped: the -inf (max) or 0 (average) padding never
    changes a result. (The kernels below still pad when a tap misses part of the output; see
    ``_padded``.)

    The list depends only on the plane's sizes and the window, so it is computed once per such
    geometry and kept (``_plane_taps``): a pooling call and its backward ask for it several
    times, which took ~60 of the ~120 µs that a small pooling's forward and backward spent in
    Python.
    """
    return _plane_taps(g.h, g.w, g.kernel, g.stride, g.pad, g.dilation, g.ho, g.wo)


@lru_cache(maxsize=256)
def _plane_taps(h: int, w: int, kernel: tuple[int, int], stride: tuple[int, int],
                pad: tuple[int, int], dilation: tuple[int, int], ho: int, wo: int
                ) -> tuple[tuple[int, tuple, tuple], ...]:
    """``_taps`` for one plane geometry (kept by the cache)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, pad, dilation
    taps = []
    for i in range(kh):
        out_rows, in_rows = _tap_range(i, ho, h, sh, ph, dh)
        if out_rows.stop == out_rows.start:
            continue
        for j in range(kw):
            out_cols, in_cols = _tap_range(j, wo, w, sw, pw, dw)
            if out_cols.stop == out_cols.start:
                continue
            taps.append((i * kw + j, (slice(None), slice(None), out_rows, out_cols),
                         (slice(None), slice(None), in_rows, in_cols)))
    return tuple(taps)


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


def _padded_for_max(x: np.ndarray, g: PoolGeometry) -> tuple[np.ndarray, PoolGeometry]:
    """``_padded`` with max pooling's fill: -inf for floats, the type's smallest integer."""
    return _padded(x, g, -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min)


def _padded_geometry(g: PoolGeometry) -> PoolGeometry:
    """``g`` itself when every tap reaches every output, else the geometry of the padded input
    (see ``_padded``)."""
    size = _padded_plane(g.h, g.w, g.kernel, g.stride, g.pad, g.dilation, g.ho, g.wo)
    if size is None:
        return g
    return PoolGeometry(g.n, g.c, size[0], size[1], g.kernel, g.stride, (0, 0), g.dilation,
                        g.ho, g.wo)


@lru_cache(maxsize=256)
def _padded_plane(h: int, w: int, kernel: tuple[int, int], stride: tuple[int, int],
                  pad: tuple[int, int], dilation: tuple[int, int], ho: int, wo: int
                  ) -> tuple[int, int] | None:
    """The padded plane's (height, width) for ``_padded_geometry``, None when no padding is
    needed (kept by the cache, like ``_plane_taps``)."""
    taps = _plane_taps(h, w, kernel, stride, pad, dilation, ho, wo)  # (none wholly in padding)
    covered = ((o[2].start, o[2].stop, o[3].start, o[3].stop) == (0, ho, 0, wo)
               for _, o, _ in taps)
    if len(taps) == kernel[0] * kernel[1] and all(covered):
        return None
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel, stride, pad, dilation
    hp = max(h + 2 * ph, (ho - 1) * sh + dh * (kh - 1) + 1)
    wp = max(w + 2 * pw, (wo - 1) * sw + dw * (kw - 1) + 1)
    return hp, wp


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
    return PoolGeometry(piece.stop - piece.start, g.c, g.h, g.w, g.kernel, g.stride, g.pad,
                        g.dilation, g.ho, g.wo)


def max_pool2d_forward(x: np.ndarray, g: PoolGeometry, with_argmax: bool = True
                       ) -> tuple[np.ndarray, np.ndarray | None]:
    """Window maxima and, per output pixel, the kernel offset t = i*kW + j where it was found
    (None for ``with_argmax=False``: the maxima alone, ``_max_pool_values``).

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
    argmax = np.empty(best.shape, code) if with_argmax else None

    def piece(part: slice) -> None:
        gk = _batch_part(g, part)
        if argmax is None:
            _max_pool_values(x[part], gk, best[part])
            return
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
    source, gp = _padded_for_max(x, g)
    taps = _taps(gp)  # every tap reaches every output now
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


def _max_pool_values(x: np.ndarray, g: PoolGeometry, best: np.ndarray) -> None:
    """The window maxima alone, written into ``best``: for a forward that no backward follows
    (``no_grad``, evaluation, an input that needs no gradient), so no offsets are kept. Only
    the running maximum remains of ``_max_pool_loop``: no comparison and no offset update per
    tap, and the first two taps go straight into ``best`` (no copy of the first). ``maximum``
    propagates NaN, as PyTorch's max pooling does."""
    source, gp = _padded_for_max(x, g)
    taps = _taps(gp)  # every tap reaches every output now
    if len(taps) == 1:
        np.copyto(best, source[taps[0][2]])
        return
    np.maximum(source[taps[0][2]], source[taps[1][2]], out=best)
    for _, out, inp in taps[2:]:
        np.maximum(best[out], source[inp], out=best[out])


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
    (Over pieces of the batch, see ``_batch_part``.)

    An integer (int64) input gives an integer mean, as in PyTorch: the sum (wrapping around on
    overflow, as int64 arithmetic does) divided by the divisor and truncated toward zero."""
    integer = x.dtype.kind in "iu"
    total = np.empty((g.n, g.c, g.ho, g.wo), x.dtype if integer else np.result_type(x.dtype,
                                                                                  divisor))

    def piece(part: slice) -> None:
        _avg_pool_sum(x[part], _batch_part(g, part), 1 if integer else divisor, total[part])

    over_batch(piece, g.n, x.size)
    if integer:
        return _divide_toward_zero(total, np.asarray(divisor).astype(x.dtype))
    return total


def _divide_toward_zero(total: np.ndarray, divisor: np.ndarray) -> np.ndarray:
    """total / divisor for integers, truncated toward zero (C's division, PyTorch's integer
    average): ``fmod`` takes the remainder with the sign of ``total``, and what is left is an
    exact multiple of the divisor, so the floor division of it is exact."""
    exact = total - np.fmod(total, divisor)
    return np.floor_divide(exact, divisor, out=exact)


def _avg_pool_sum(x: np.ndarray, g: PoolGeometry, divisor: np.ndarray | float,
                  total: np.ndarray) -> None:
    """``avg_pool2d_forward`` of ``x`` written into ``total`` (just the sums for divisor 1)."""
    source, gp = _padded(x, g, 0)
    taps = _taps(gp)  # every tap reaches every output now
    if len(taps) == 1:
        np.copyto(total, source[taps[0][2]])
    else:
        # the first two taps added straight into the result: no separate copy of the first one
        np.add(source[taps[0][2]], source[taps[1][2]], out=total)
        for _, out, inp in taps[2:]:
            np.add(total[out], source[inp], out=total[out])
    if np.ndim(divisor) or divisor != 1:
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


def global_avg_pool_forward(x: np.ndarray) -> np.ndarray:
    """The adaptive average to 1x1: the mean of every (H, W) plane of x (..., H, W), shape
    (..., 1, 1); an empty plane gives NaN (0/0), as PyTorch's ``mean``.

    The plane sums are one matrix-vector product with a vector of ones (BLAS reads the input
    once, in its own order: 0.13 ms for (2048, 32*32) float32, where ``mean`` over the last
    axis took 0.44 ms and the two products with window matrices of the general case 0.20 ms).
    Every weight is 1, so no 0 * inf can arise (the general case's fallback)."""
    h, w = x.shape[-2:]
    planes = x.reshape(int(np.prod(x.shape[:-2])), h * w)
    sums = np.matmul(planes, np.ones(h * w, x.dtype))
    with np.errstate(invalid="ignore"):  # an empty plane: 0 / 0
        return (sums / (h * w)).reshape(*x.shape[:-2], 1, 1)


def global_avg_pool_backward(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """dL/dx = g / (H*W) at every pixel of its plane, returned as a read-only broadcast view
    of the small (..., 1, 1) array: nothing input-sized is written here, and the engine adds
    the view into ``.grad`` in one pass (as for ``sum``/``mean``). For (2048, 1, 32, 32)
    float32 the backward with its accumulation into ``.grad`` took 1.28 ms as the general
    case's two products (an input-sized array written, then added), 0.38 ms this way."""
    n = shape[-2] * shape[-1]
    if n == 0:
        return np.zeros(shape, grad.dtype)
    return np.broadcast_to(grad / n, shape)


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
    shape (P, H, W); None when a window holds a NaN (the caller then applies PyTorch's rule,
    the last NaN wins, the slow way).

    The maximum over a rectangle is separable: the maximum of each column's maximum. So the
    search runs along H first, over whole rows (``_max_along_rows``), then along W over those
    column maxima (``_max_along_columns``); the winner's row is the one its column recorded.
    Ties stay PyTorch's (first in row-major order): along H the first row holding a column's
    maximum, then along W the column whose maximum sits in the highest row, the first such
    column on a tie of rows too. A 1x1 output is one ``argmax`` over each contiguous plane.
    (Over pieces of the planes, see ``_batch_part``.)

    (2048, 32, 32) float32 to 7x7, one thread: 3.7 ms (3.5-4.3), where gathering every tap of
    every window by a 0/1 selection matrix product (BLAS) and searching along W first took
    9.1 ms. On two cores the pieces gain only ~10 % here: the kernel is bound by the memory
    traffic of its NumPy passes, which the cores share.
    """
    p, h, w = x.shape
    if (out_h, out_w) == (1, 1):
        positions = np.argmax(x.reshape(p, h * w), axis=1).reshape(p, 1, 1)
        best = np.take_along_axis(x.reshape(p, h * w), positions.reshape(p, 1), 1)
        return None if x.dtype.kind == "f" and np.isnan(best).any() else positions
    positions = np.empty((p, out_h, out_w), np.int64)
    saw_nan: list[bool] = []

    def piece(part: slice) -> None:
        column_max, row_tap = _max_along_rows(x[part], out_h)
        if not _max_along_columns(column_max, row_tap, h, positions[part]):
            saw_nan.append(True)

    over_batch(piece, p, x.size)
    return None if saw_nan else positions


def adaptive_max_values(x: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """The values at ``positions`` (P, Ho, Wo), flat positions h*W + w in each plane of x
    (P, H, W): one gather from the flat input, ~2.5x faster than ``take_along_axis`` plane by
    plane (its flat positions in a scratch array)."""
    p, h, w = x.shape
    flat = _scratch("flat_positions", positions.shape, np.int64)
    np.add(positions, np.arange(p).reshape(p, 1, 1) * (h * w), out=flat)
    return np.take(x.reshape(-1), flat, mode="clip")


def adaptive_max_backward(grad: np.ndarray, positions: np.ndarray, h: int, w: int
                          ) -> np.ndarray:
    """dL/dx of the adaptive maximum, for grad and positions (P, Ho, Wo) (the flat position
    h*W + w of each window's maximum in its plane): each gradient added at its position
    (``np.add.at``: neighbouring windows may share their winner). Over pieces of the planes
    (see ``_batch_part``), each zeroing its own part of the (P, H, W) result first."""
    p = grad.shape[0]
    grad_x = np.empty((p, h, w), grad.dtype)

    def piece(part: slice) -> None:
        target = grad_x[part]
        target.fill(0)
        planes = np.arange(target.shape[0]).reshape(-1, 1, 1) * (h * w)
        np.add.at(target.reshape(-1), (positions[part] + planes).reshape(-1),
                  grad[part].reshape(-1))

    over_batch(piece, p, grad_x.size)
    return grad_x


def _adaptive_taps(size: int, out: int) -> tuple[np.ndarray, np.ndarray, type]:
    """The windows of a dim of ``size`` into ``out`` as taps: (starts (out,), taps (K, out),
    code), with taps[k, i] = min(start_i + k, end_i - 1) for k < K, the longest window, and
    ``code`` the smallest unsigned type that holds a tap k.

    A short window repeats its last element, which can neither beat (strict >) nor change the
    maximum, so the winning k is always inside the window."""
    starts, ends = adaptive_windows(size, out)
    longest = int((ends - starts).max())
    taps = np.minimum(starts + np.arange(longest)[:, None], ends - 1)
    return starts, taps, np.uint8 if longest <= 256 else np.uint16 if longest <= 2**16 else np.int64


# planes of the input that _max_along_rows treats at once (512 planes of 32x32 float32, 2 MB):
# see its docstring
_ROWS_CHUNK_ELEMENTS = 2**19


def _scratch(name: str, shape: tuple[int, ...], dtype: type | np.dtype) -> np.ndarray:
    """A work array of the adaptive maximum, kept between calls (in ``conv_fast``'s per-thread
    workspace; its contents are whatever the last call left). Fresh arrays of these sizes come
    from the operating system as new pages, zeroed on first touch: with the ~15 work arrays of
    a (2048, 32, 32) -> 7x7 call allocated anew each time, the search took 6-9.5 ms instead of
    3.5-6 ms (the same call with glibc told to keep its memory, MALLOC_TRIM_THRESHOLD_)."""
    return _workspace.get(("pool_fast.adaptive_max." + name,), shape, dtype)


def _max_along_rows(x: np.ndarray, out_h: int) -> tuple[np.ndarray, np.ndarray]:
    """For every output row i and input column c: the maximum over the rows of window i, and
    the tap k (row start_i + k) of the first row holding it. Both are returned transposed,
    (W, P*Ho): element [c, p*Ho + i] (the layout ``_max_along_columns`` gathers from), in
    scratch arrays.

    Tap by tap, the rows taps[k] of every window are gathered at once, whole rows of W
    contiguous values (``np.take`` along H), so the running maximum works on contiguous
    (P, Ho, W) arrays: long loops, where a maximum over each window's strided block of rows
    ran ~5x slower. The tap is kept as a running ``maximum`` of ``better * k`` (k only grows),
    as in ``max_pool2d_forward``. ``mode="clip"`` (the taps are in range anyway) makes NumPy's
    ``take`` ~1.4x faster than its default, which checks every index. The planes go in
    chunks of ``_ROWS_CHUNK_ELEMENTS``: the K gathers of a chunk then read it from the cache,
    not from memory ((2048, 32, 32) float32 to 7x7, K = 6: 7.7 ms for the whole input at
    once, 3.3-3.6 ms in chunks of 128 or 512 planes; 512 keeps each NumPy call long enough for
    two pieces of the batch to run on two cores at once, where with 128 the threads mostly
    wait for each other's Python)."""
    p, h, w = x.shape
    _, taps, code = _adaptive_taps(h, out_h)
    column_max = _scratch("columns", (w, p * out_h), x.dtype)
    row_tap = _scratch("row_taps", (w, p * out_h), code)
    chunk = min(p, max(1, _ROWS_CHUNK_ELEMENTS // (h * w)))
    best = _scratch("best", (chunk, out_h, w), x.dtype)
    value = _scratch("value", (chunk, out_h, w), x.dtype)
    tap_of, share = _scratch("tap", best.shape, code), _scratch("share", best.shape, code)
    better = _scratch("better", best.shape, bool)
    for first in range(0, p, chunk):
        part = x[first : first + chunk]
        n = part.shape[0]
        b, v, t, gt, s = best[:n], value[:n], tap_of[:n], better[:n], share[:n]
        np.take(part, taps[0], axis=1, out=b, mode="clip")
        t.fill(0)
        for k in range(1, taps.shape[0]):
            np.take(part, taps[k], axis=1, out=v, mode="clip")
            np.greater(v, b, out=gt)
            np.maximum(b, v, out=b)  # NaN propagates: seen at the end
            np.multiply(gt, code(k), out=s)
            np.maximum(t, s, out=t)
        # the chunk's results, transposed while they are in the cache
        columns = slice(first * out_h, (first + n) * out_h)
        np.copyto(column_max[:, columns], b.reshape(n * out_h, w).T)
        np.copyto(row_tap[:, columns], t.reshape(n * out_h, w).T)
    return column_max, row_tap


def _max_along_columns(column_max: np.ndarray, row_tap: np.ndarray, h: int,
                       positions: np.ndarray) -> bool:
    """The second half of ``adaptive_max_positions``: over the columns of each window, the
    largest of the ``column_max`` (W, P*Ho), the first one whose maximum sits in the highest
    row (``row_tap``) on a tie; its flat position goes into ``positions`` (P, Ho, Wo). False
    (and nothing written) when a maximum is NaN.

    In the transposed layout a tap's columns are whole contiguous rows to gather (a gather
    along the last axis copies element by element: ~2x slower than transposing first)."""
    p, out_h, out_w = positions.shape
    w = column_max.shape[0]
    starts_w, taps, code = _adaptive_taps(w, out_w)
    shape = (out_w, p * out_h)
    best, value = _scratch("w.best", shape, column_max.dtype), _scratch("w.value", shape,
                                                                         column_max.dtype)
    rows = row_tap.dtype  # (the rows' taps along H: their own type)
    best_row, row = _scratch("w.best_row", shape, rows), _scratch("w.row", shape, rows)
    change = _scratch("w.change", shape, rows)
    tap_of, share = _scratch("w.tap", shape, code), _scratch("w.share", shape, code)
    better, tie = _scratch("w.better", shape, bool), _scratch("w.tie", shape, bool)
    higher = _scratch("w.higher", shape, bool)  # a row above the best one's
    np.take(column_max, taps[0], axis=0, out=best, mode="clip")
    np.take(row_tap, taps[0], axis=0, out=best_row, mode="clip")
    tap_of.fill(0)
    for k in range(1, taps.shape[0]):
        np.take(column_max, taps[k], axis=0, out=value, mode="clip")
        np.take(row_tap, taps[k], axis=0, out=row, mode="clip")
        np.greater(value, best, out=better)
        np.equal(value, best, out=tie)
        np.logical_and(tie, np.less(row, best_row, out=higher), out=tie)
        np.logical_or(better, tie, out=better)
        np.maximum(best, value, out=best)
        # best_row = row where better, else itself: as arithmetic (unsigned, wrapping), ~20x
        # faster than np.where on these types
        np.subtract(row, best_row, out=change)
        np.multiply(change, better, out=change)
        np.add(best_row, change, out=best_row)
        np.multiply(better, code(k), out=share)
        np.maximum(tap_of, share, out=tap_of)
    if best.dtype.kind == "f" and np.isnan(best).any():
        return False
    starts_h = adaptive_windows(h, out_h)[0]
    flat = _scratch("w.flat", shape, np.int64).reshape(out_w, p, out_h)
    np.add(best_row.reshape(out_w, p, out_h), starts_h, out=flat)
    flat *= w
    flat += tap_of.reshape(out_w, p, out_h)
    flat += starts_w[:, None, None]
    np.copyto(positions, flat.transpose(1, 2, 0))
    return True
