"""Reductions: sum, mean, max/min, var/std, prod, logsumexp, softmax, log_softmax, norm,
any/all, median, mode, nansum/nanmean, aminmax, count_nonzero.

A reduction z = Σᵢ xᵢ (over some axes) sends its gradient back to every element it summed:
dL/dxᵢ = dL/dz, i.e. the incoming gradient *broadcast* back over the reduced axes. That is why
each backward first reshapes ``grad`` to keep the reduced axes as size 1 (``keepdim`` form) and
then broadcasts. ``dim`` may be an int, a tuple, or None (all axes); negative dims count from the
end; NumPy's ``axis``/``keepdims`` spellings are accepted as aliases, as PyTorch does.

The reductions that return values *and* indices (``max(dim)``, ``median(dim)``, ``mode``...)
return named tuples of the classes in ``return_types``, as PyTorch's ``torch.return_types``.
"""

from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor.autograd.function import Op
from microtensor.ops import array_or_tensor as either
from microtensor.ops.elementwise import QUIET, _float, abs, cast, norm_sqrt
from microtensor.ops.selection import GatherOp
from microtensor.ops.shape import normalize_dim
from microtensor.tensor import Tensor


class return_types:
    """The named tuples of the reductions with two results, as ``torch.return_types``:
    ``values, indices = x.max(1)``, or ``x.max(1).values``."""

    max = namedtuple("max", ["values", "indices"])
    min = namedtuple("min", ["values", "indices"])
    median = namedtuple("median", ["values", "indices"])
    nanmedian = namedtuple("nanmedian", ["values", "indices"])
    mode = namedtuple("mode", ["values", "indices"])
    cummax = namedtuple("cummax", ["values", "indices"])
    cummin = namedtuple("cummin", ["values", "indices"])
    sort = namedtuple("sort", ["values", "indices"])
    topk = namedtuple("topk", ["values", "indices"])
    kthvalue = namedtuple("kthvalue", ["values", "indices"])
    aminmax = namedtuple("aminmax", ["min", "max"])


ValuesIndices = return_types.max  # (the name of max(dim)'s result before return_types)


def normalize_dims(dim: Any, ndim: int, op: str) -> tuple[int, ...]:
    """``dim`` (None, int or sequence) as a sorted tuple of non-negative axes."""
    if dim is None:
        return tuple(range(ndim))
    if isinstance(dim, int | np.integer):
        axis = normalize_dim(int(dim), ndim, op)
        return (axis,) if ndim else ()  # a 0-d tensor accepts dim 0 or -1 but has no axis
    axes = tuple(sorted(normalize_dim(int(d), ndim, op) for d in dim))
    if not ndim:
        return ()
    if len(set(axes)) != len(axes):
        raise RuntimeError(f"{op}: dim {tuple(dim)} appears multiple times in the list of dims")
    return axes


def _keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else size for i, size in enumerate(shape))


def _aliases(op: str, dim: Any, keepdim: bool, aliases: dict[str, Any]) -> tuple[Any, bool]:
    """PyTorch's NumPy spellings: ``axis=`` for ``dim=``, ``keepdims=`` for ``keepdim=``."""
    if not aliases:
        return dim, keepdim
    for name in aliases:
        if name not in ("axis", "keepdims"):
            raise TypeError(f"{op}() got an unexpected keyword argument '{name}'")
    return aliases.get("axis", dim), aliases.get("keepdims", keepdim)


def axis_alias(op: str, dim: Any, aliases: dict[str, Any]) -> Any:
    """``axis=`` for ``dim=`` (the scans and count_nonzero, which have no keepdim)."""
    for name in aliases:
        if name != "axis":
            raise TypeError(f"{op}() got an unexpected keyword argument '{name}'")
    return aliases.get("axis", dim)


def integer_result(result: Tensor, dtype: np.dtype) -> Tensor:
    """An integer result in the integer ``dtype=`` asked for (NumPy's sums and products of
    small integers give int64; PyTorch keeps the dtype it was given). No gradient to keep."""
    if result._data.dtype == dtype:
        return result
    return Tensor._make(result._data.astype(dtype))


def as_dtype(input: Tensor, dtype: Any) -> Tensor:
    """``input`` converted to ``dtype`` first (the ``dtype=`` argument of sum, mean, cumsum...);
    the conversion is differentiable, so the gradient comes back in the input's dtype."""
    if dtype is None:
        return input
    target = _dtypes.resolve(dtype)
    return input if input._data.dtype == target else cast(input, target)


# --------------------------------------------------------------------------- sum and mean


class SumOp(Op):
    """z = Σ x over ``axes``.  dL/dx = g broadcast back over the summed axes."""

    @staticmethod
    def forward(ctx, x, *, axes, keepdims):
        ctx.in_shape = x.shape
        ctx.keep_shape = _keep_shape(x.shape, axes)
        return np.sum(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        return (either.broadcast_to(grad.reshape(ctx.keep_shape), ctx.in_shape),)


class MeanOp(Op):
    """z = (1/n) Σ x over ``axes`` (n elements each).  dL/dx = g/n broadcast back."""

    @staticmethod
    def forward(ctx, x, *, axes, keepdims):
        ctx.in_shape = x.shape
        ctx.keep_shape = _keep_shape(x.shape, axes)
        ctx.count = int(np.prod([x.shape[a] for a in axes]))
        if not ctx.count:  # the mean of nothing is nan, silently, as in PyTorch
            return np.full_like(np.sum(x, axis=axes, keepdims=keepdims), np.nan)
        return np.mean(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        scaled = grad.reshape(ctx.keep_shape) * (1.0 / (ctx.count or 1))
        return (either.broadcast_to(scaled, ctx.in_shape),)


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
        **aliases: Any) -> Tensor:
    """Sum over ``dim`` (all elements if None), in ``dtype`` if given (the input is converted
    first, as in PyTorch); integer and bool tensors sum to int64."""
    dim, keepdim = _aliases("sum", dim, keepdim, aliases)
    if dtype is not None:
        input = as_dtype(input, dtype)
    axes = normalize_dims(dim, input.ndim, "sum")
    if dtype is None and input._data.dtype.kind in "biu" and input._data.dtype != np.int64:
        input = Tensor._make(input._data.astype(np.int64))  # as PyTorch: integer sums are int64
    if dtype is not None and input._data.dtype.kind in "biu":
        return integer_result(SumOp.apply(input, axes=axes, keepdims=keepdim), input._data.dtype)
    return SumOp.apply(input, axes=axes, keepdims=keepdim)


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         **aliases: Any) -> Tensor:
    """Mean over ``dim`` (all elements if None); needs a floating tensor or a floating
    ``dtype`` to compute in, as in PyTorch."""
    dim, keepdim = _aliases("mean", dim, keepdim, aliases)
    if dtype is not None:
        input = as_dtype(input, dtype)
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(
            f"mean: could not infer output dtype; input dtype is {input.dtype}, use .float() first"
        )
    axes = normalize_dims(dim, input.ndim, "mean")
    return MeanOp.apply(input, axes=axes, keepdims=keepdim)


# --------------------------------------------------------------------------- max and min


class MaxAlongDimOp(Op):
    """values = max of x along one axis (``indices`` kept in ctx).

    dL/dx = g at the position of each maximum (one per slice, the one ``indices`` names: the
    first maximum, or the first nan, as in PyTorch), else 0 (selected, so an infinite g does
    not make 0 × inf = nan at the other positions).
    """

    @staticmethod
    def forward(ctx, x, *, axis, keepdims, largest):
        index = np.argmax(x, axis=axis) if largest else np.argmin(x, axis=axis)
        index = np.expand_dims(index, axis)
        values = np.take_along_axis(x, index, axis=axis)
        ctx.save_for_backward(index)
        ctx.axis, ctx.in_shape = axis, x.shape
        ctx.indices = index if keepdims else np.squeeze(index, axis)
        return values if keepdims else np.squeeze(values, axis)

    @staticmethod
    def backward(ctx, grad):
        (index,) = ctx.saved_tensors
        axis, shape = ctx.axis, ctx.in_shape
        column = [-1 if i == axis else 1 for i in range(len(shape))]
        positions = np.arange(shape[axis]).reshape(column)
        keep = list(shape)
        keep[axis] = 1
        return (either.keep(grad.reshape(keep), positions == index),)


class AMaxOp(Op):
    """z = max (or min) of x over ``axes``.  dL/dx = g / k at each of the k tied extremes, else 0.

    The zeros are selected, not g × 0 (PyTorch multiplies, and gets nan at the other elements
    when g is infinite, e.g. log of a max that is 0; the derivative there is 0).
    A slice whose extreme is nan: ``amax`` gives every element of the slice a nan gradient, as
    PyTorch's amax does; ``max()`` of the whole tensor (``nan_takes_gradient``) gives g / k to
    the k nan elements, as PyTorch's max() does.
    """

    @staticmethod
    def forward(ctx, x, *, axes, keepdims, largest, nan_takes_gradient=False):
        reduce = np.max if largest else np.min
        out = reduce(x, axis=axes, keepdims=True)
        ctx.keep_shape = out.shape
        if x.dtype.kind in "fc":  # (integer tensors have no gradient)
            ctx.save_for_backward(*_extreme_shares(x, out, axes, nan_takes_gradient))
        return out if keepdims else np.squeeze(out, axes)

    @staticmethod
    def backward(ctx, grad):
        others, share = ctx.saved_tensors
        return (either.masked_fill(grad.reshape(ctx.keep_shape) * share, others, 0.0),)


def _extreme_shares(x: np.ndarray, out: np.ndarray, axes: tuple[int, ...],
                    nan_takes_gradient: bool) -> tuple[np.ndarray, np.ndarray]:
    """(the elements that get no gradient, the share 1/k of each slice's k extremes)."""
    chosen = x == out
    count = chosen.sum(axis=axes, keepdims=True)
    if count.all():  # no nan extreme: the usual case
        return ~chosen, (1.0 / count).astype(x.dtype)
    nan_slice = count == 0  # the extreme is nan, and x == nan is never true
    if nan_takes_gradient:
        chosen |= nan_slice & np.isnan(x)
        count = chosen.sum(axis=axes, keepdims=True)
        return ~chosen, (1.0 / count).astype(x.dtype)
    chosen |= nan_slice
    with np.errstate(**QUIET):
        share = np.where(nan_slice, np.nan, 1.0 / count)
    return ~chosen, share.astype(x.dtype)


def _check_reduced_sizes(input: Tensor, dim: Any, axes: tuple[int, ...], op: str) -> None:
    """max, min, amax, argmax...: the extreme of no elements does not exist (PyTorch's errors)."""
    if dim is None and input.numel() == 0:
        raise RuntimeError(
            f"{op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
            "reduction dim with the 'dim' argument.")
    for axis in axes:
        if input.shape[axis] == 0:
            raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")


def _extreme(input: Tensor, dim: Any, keepdim: bool, largest: bool, op: str) -> Any:
    result_type = return_types.max if largest else return_types.min
    if dim is None:
        _check_reduced_sizes(input, dim, (), op)
        return AMaxOp.apply(input, axes=tuple(range(input.ndim)), keepdims=False, largest=largest,
                            nan_takes_gradient=True)
    axis = normalize_dim(dim, input.ndim, op)
    if input.ndim == 0:
        return result_type(input, Tensor._make(np.asarray(0)))
    _check_reduced_sizes(input, dim, (axis,), op)
    values = MaxAlongDimOp.apply(input, axis=axis, keepdims=keepdim, largest=largest)
    indices = values.grad_fn.indices if values.grad_fn is not None else _indices(
        input, axis, keepdim, largest)
    return result_type(values, Tensor._make(np.asarray(indices, dtype=np.int64)))


def _indices(input: Tensor, axis: int, keepdim: bool, largest: bool) -> np.ndarray:
    if input.ndim == 0:
        return np.asarray(0)
    index = np.argmax(input._data, axis=axis) if largest else np.argmin(input._data, axis=axis)
    return np.expand_dims(index, axis) if keepdim else index


def max(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
    """Largest element (no dim), or ``(values, indices)`` along ``dim``, as in PyTorch.

    Without dim the gradient is shared evenly among tied maxima (and goes to the nan elements
    if the max is nan); along a dim it goes to the element ``indices`` names.
    """
    dim, keepdim = _aliases("max", dim, keepdim, aliases)
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        from microtensor.ops.elementwise import maximum

        return maximum(input, dim)
    return _extreme(input, dim, keepdim, True, "max")


def min(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
    """Smallest element (no dim), or ``(values, indices)`` along ``dim``."""
    dim, keepdim = _aliases("min", dim, keepdim, aliases)
    if isinstance(dim, Tensor):
        from microtensor.ops.elementwise import minimum

        return minimum(input, dim)
    return _extreme(input, dim, keepdim, False, "min")


def amax(input: Tensor, dim: Any = (), keepdim: bool = False, **aliases: Any) -> Tensor:
    """Max over one or several dims (all if none); the gradient is shared evenly among ties."""
    dim, keepdim = _aliases("amax", dim, keepdim, aliases)
    dim = None if dim == () else dim
    axes = normalize_dims(dim, input.ndim, "amax")
    _check_reduced_sizes(input, dim, axes, "amax")
    return AMaxOp.apply(input, axes=axes, keepdims=keepdim, largest=True)


def amin(input: Tensor, dim: Any = (), keepdim: bool = False, **aliases: Any) -> Tensor:
    """Min over one or several dims (all if none); the gradient is shared evenly among ties."""
    dim, keepdim = _aliases("amin", dim, keepdim, aliases)
    dim = None if dim == () else dim
    axes = normalize_dims(dim, input.ndim, "amin")
    _check_reduced_sizes(input, dim, axes, "amin")
    return AMaxOp.apply(input, axes=axes, keepdims=keepdim, largest=False)


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False,
           **aliases: Any) -> Tensor:
    """Index of the largest element (of the flattened tensor if dim is None)."""
    dim, keepdim = _aliases("argmax", dim, keepdim, aliases)
    return _arg_extreme(input, dim, keepdim, True, "argmax")


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False,
           **aliases: Any) -> Tensor:
    """Index of the smallest element (of the flattened tensor if dim is None)."""
    dim, keepdim = _aliases("argmin", dim, keepdim, aliases)
    return _arg_extreme(input, dim, keepdim, False, "argmin")


def _arg_extreme(input: Tensor, dim: int | None, keepdim: bool, largest: bool,
                 op: str) -> Tensor:
    if dim is None:
        if input.numel() == 0:  # (an IndexError here, in PyTorch)
            raise IndexError(
                f"{op}(): Expected reduction dim to be specified for input.numel() == 0.")
        flat = np.argmax(input._data) if largest else np.argmin(input._data)
        return Tensor._make(np.asarray(flat, dtype=np.int64))
    axis = normalize_dim(dim, input.ndim, op)
    if input.ndim:
        _check_reduced_sizes(input, dim, (axis,), op)
    return Tensor._make(_indices(input, axis, keepdim, largest).astype(np.int64))


# --------------------------------------------------------------------------- variance


def _require_floating(input: Tensor, op: str, requirement: str) -> None:
    if input._data.dtype.kind not in "fc":
        raise RuntimeError(f"{op}: {requirement}, but got {input.dtype}; convert the tensor "
                           f"first, e.g. x.float().{op}()")


def _centered(x: Any, axes: tuple[int, ...]) -> Any:
    """x - x̄ over ``axes``, exactly 0 on a constant slice (arrays or Tensors).

    The mean of a constant slice is often inexact ((0.1 + 0.1 + 0.1) / 3 ≠ 0.1), so x - x̄ would
    be ±1e-17 there. Each slice is first shifted by its first element x₀ (d = x - x₀, exactly
    0 on a constant slice), then centred: x - x̄ = d - d̄, which is also the more accurate
    two-pass formula when the mean is large compared with the spread.
    """
    first = tuple(slice(0, 1) if axis in axes else slice(None) for axis in range(x.ndim))
    shifted = x - x[first]
    return shifted - shifted.mean(axis=axes, keepdims=True)


class VarOp(Op):
    """z = Σ (x - x̄)² / max(0, N - c) over ``axes`` (N elements each, c the correction).

    dL/dx = 2 g (x - x̄) / (N - c)   (the mean's own dependence on x drops out: Σ (x - x̄) = 0).

    x - x̄ is computed so that it is exactly 0 on a constant slice (``_centered``): the variance
    of a constant is then exactly 0 and the gradient of its std exactly 0. (PyTorch's Welford
    kernels give 0 along a dim, but not always over all elements: torch.tensor([0.1, 0.1,
    0.1]).std() is 1.7e-17 there, with gradient -0.41; here it is 0, with gradient 0.)

    With c >= N there are no degrees of freedom left: z = Σ (x - x̄)² / 0 is inf (nan for a
    constant x), as in PyTorch, and dL/dx is the limit of 2 g (x - x̄) / (N - c) as N - c -> 0⁺,
    ±inf by the sign of x - x̄ (nan where x = x̄). PyTorch agrees when a dim is given and
    c = N; without a dim it gives +inf whatever the sign, and with c > N (and a dim) the finite
    value of the formula with N - c < 0 -- neither is the derivative of the inf it returns.
    """

    @staticmethod
    def forward(ctx, x, *, axes, keepdims, correction):
        count = int(np.prod([x.shape[a] for a in axes]))
        ctx.dof = builtins.max(0, count - correction)
        ctx.axes, ctx.keep_shape = axes, _keep_shape(x.shape, axes)
        ctx.save_for_backward(x)
        with np.errstate(**QUIET):  # no degrees of freedom, or no elements: inf or nan
            centered = _centered(x, axes) if count else x
            total = np.sum(centered * centered, axis=axes, keepdims=keepdims)
            return total / ctx.dof

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if not x.size:
            return (either.zeros_like(x),)
        centered = _centered(x, ctx.axes)
        scale = 2.0 / ctx.dof if ctx.dof else np.inf
        with np.errstate(**QUIET):
            return ((grad.reshape(ctx.keep_shape) * scale) * centered,)


def var(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None, **aliases: Any) -> Tensor:
    """Σ (x - mean)² / (n - correction) over ``dim``; inf if correction >= n (see ``VarOp``).

    ``correction`` is 1 by default (Bessel's); ``unbiased`` is the older spelling (True: 1,
    False: 0). As in PyTorch, ``var(x, True)`` and ``var(x, 0, True)`` read a bool in the place
    of ``dim`` or ``unbiased`` as ``unbiased``."""
    dim, keepdim = _aliases("var", dim, keepdim, aliases)
    dim, unbiased = _unbiased_in_place_of_dim(dim, unbiased)
    if unbiased is not None and correction is not None:
        raise TypeError("var() received an invalid combination of arguments: give either "
                        "correction= or unbiased=, not both (unbiased=True is correction=1)")
    if correction is None:
        correction = 1
    if unbiased is not None:
        correction = 1 if unbiased else 0
    _require_floating(input, "var", "std and var only support floating point and complex dtypes")
    axes = normalize_dims(dim, input.ndim, "var")
    return VarOp.apply(input, axes=axes, keepdims=keepdim, correction=correction)


def _unbiased_in_place_of_dim(dim: Any, unbiased: bool | None) -> tuple[Any, bool | None]:
    if isinstance(dim, bool | np.bool_):  # var(x, False): the old var(input, unbiased)
        return None, bool(dim)
    return dim, unbiased


def std(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False,
        *, correction: int | None = None, **aliases: Any) -> Tensor:
    """√var (see ``var``); the gradient at a constant input (std 0) is 0, as in PyTorch."""
    dim, keepdim = _aliases("std", dim, keepdim, aliases)
    _require_floating(input, "std", "std and var only support floating point and complex dtypes")
    return norm_sqrt(var(input, dim, unbiased, keepdim, correction=correction))


def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: int | None = None,
             **aliases: Any) -> tuple[Tensor, Tensor]:
    """``(var(input, dim), mean(input, dim))`` in one call, as ``torch.var_mean``."""
    dim, keepdim = _aliases("var_mean", dim, keepdim, aliases)
    variance = var(input, dim, unbiased, keepdim, correction=correction)
    dim, _ = _unbiased_in_place_of_dim(dim, unbiased)
    return variance, mean(input, dim, keepdim)


def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None,
             keepdim: bool = False, *, correction: int | None = None,
             **aliases: Any) -> tuple[Tensor, Tensor]:
    """``(std(input, dim), mean(input, dim))`` in one call, as ``torch.std_mean``."""
    dim, keepdim = _aliases("std_mean", dim, keepdim, aliases)
    deviation = std(input, dim, unbiased, keepdim, correction=correction)
    dim, _ = _unbiased_in_place_of_dim(dim, unbiased)
    return deviation, mean(input, dim, keepdim)


# --------------------------------------------------------------------------- norms


class NormOp(Op):
    """z = ‖x‖_p = (Σ |x|^p)^(1/p) over ``axes``, for p other than 1 and 2 (see ``norm``).

    p = ∞ (-∞): z = max |x| (min |x|); p = 0: z = the number of non-zero elements.
    Backward, PyTorch's formulas (s = sign x, with sign 0 = sign nan = 0):
        p = 0:      dL/dx = 0 (z is piecewise constant)
        p = ±∞:     dL/dx = s · g / k at the k elements with |x| = z (or |x| nan), else 0
        p < 1:      dL/dx = s |x|^(p-1) · g · z^(1-p), and 0 at x = 0 (where |x|^(p-1) is inf)
        p > 1:      dL/dx = s |x|^(p-1) · g / z^(p-1), and 0 where z = 0
    The zeros are selected, so an infinite g gives 0 there, not 0 × inf = nan (PyTorch
    multiplies for p = ±∞ and gets nan at the other elements).
    For p < 1 the zero is put in *after* |x|^(p-1), as PyTorch does: the second derivative
    at x = 0 is then nan (0 × ∞ in the recorded backward), which is right, since |x|^p has
    no second derivative at 0 for p < 2.
    """

    @staticmethod
    def forward(ctx, x, *, p, axes, keepdims):
        ctx.p, ctx.axes, ctx.keep_shape = p, axes, _keep_shape(x.shape, axes)
        with np.errstate(**QUIET):  # |0|^p = inf for p < 0
            if p == np.inf or p == -np.inf:
                out = (np.max if p > 0 else np.min)(np.abs(x), axis=axes, keepdims=keepdims)
            elif p == 0:
                out = np.sum(x != 0, axis=axes, keepdims=keepdims).astype(x.dtype)
            else:
                out = np.sum(np.abs(x) ** p, axis=axes, keepdims=keepdims) ** (1.0 / p)
        out = np.asarray(out)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        p, values = ctx.p, either.data(x)
        if p == 0:
            return (either.zeros_like(x),)
        grad, norm = grad.reshape(ctx.keep_shape), out.reshape(ctx.keep_shape)
        with np.errstate(**QUIET):
            if p == np.inf or p == -np.inf:
                size = np.abs(values)
                chosen = (size == either.data(norm)) | np.isnan(size)
                count = chosen.sum(axis=ctx.axes, keepdims=True)
                return (either.keep(either.sign(x) * (grad / count), chosen),)
            powered = either.abs(x) ** (p - 1)
            if p < 1:  # |x|^(p-1) is inf at x = 0, where the derivative is taken as 0
                powered = either.masked_fill(powered, values == 0, 0.0)
            scaled = either.sign(x) * powered  # s |x|^(p-1)
            if p < 1:
                return (scaled * grad * norm ** (1 - p),)
            empty = either.data(norm) == 0
            scale = grad / either.masked_fill(norm, empty, 1.0) ** (p - 1)
            return (scaled * either.masked_fill(scale, empty, 0.0),)


class Norm2Op(Op):
    """z = ‖x‖₂ = √(Σ x²) over ``axes``.

    dL/dx = g · x / z, and 0 where z = 0 (a subgradient: ‖x‖ has no derivative at 0).
    As in PyTorch the zero is selected *after* x / z, so the recorded backward has 0 / 0 at a
    zero vector and the second derivative there is nan: the Hessian of ‖x‖, (I - x̂x̂ᵀ) / ‖x‖,
    does not exist at 0 (it grows without bound), so nan is the right answer, not 0.
    Σ x² over-/underflows as in PyTorch (‖[1e200, 3e200]‖ is inf); a single element
    reduces to |x| exactly (see ``norm``).
    """

    @staticmethod
    def forward(ctx, x, *, axes, keepdims):
        ctx.keep_shape = _keep_shape(x.shape, axes)
        with np.errstate(**QUIET):  # Σ x² overflows to inf for |x| > 1e154, as in PyTorch
            out = np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdims))
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        norm = out.reshape(ctx.keep_shape)
        with np.errstate(**QUIET):
            direction = either.masked_fill(x / norm, either.data(norm) == 0, 0.0)
            return (grad.reshape(ctx.keep_shape) * direction,)


def _single_element_norm(input: Tensor, axes: tuple[int, ...], keepdim: bool) -> Tensor:
    """|x| over reduced dims of one element: no squaring, so 1e200 stays 1e200 (PyTorch)."""
    size = abs(input)
    if keepdim or not axes:
        return size
    return size.reshape(tuple(n for i, n in enumerate(input.shape) if i not in axes))


def norm(input: Tensor, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Tensor:
    """The vector p-norm (Σ|x|^p)^(1/p) over ``dim`` (all elements if None), as PyTorch's
    ``torch.norm``/``linalg.vector_norm``: p may be any number, ``float('inf')``, ``-inf``, 0
    (the number of non-zeros) or ``'fro'`` (= 2). Needs a floating tensor.

    The gradient at 0 is PyTorch's: 0 for the 2-norm of a zero vector (a subgradient), 0 at
    zero elements for p < 1, and the second derivative there nan (see ``Norm2Op``, ``NormOp``).
    The 2-norm of a single element (a size-1 dim, a 0-d tensor without ``dim``) is |x| exactly."""
    _require_floating(input, "norm",
                      "linalg.vector_norm: Expected a floating point or complex tensor as input")
    if isinstance(p, str):
        if p != "fro":
            raise ValueError(f"norm: p={p!r} is not supported; use a number, inf, -inf or 'fro'")
        p = 2
    axes = normalize_dims(dim, input.ndim, "norm")
    if (p < 0 or p == np.inf) and not builtins.all(input.shape[a] for a in axes):
        raise RuntimeError(f"norm: linalg.vector_norm cannot compute the {_p_name(p)} norm on an "
                           "empty tensor because the operation does not have an identity")
    if p == 2:
        # PyTorch's kernels: one element is |x| exactly, except a 0-d tensor given a dim, which
        # is squared like any vector (so mt.tensor(1e-300).norm(dim=0) underflows to 0, as there)
        zero_d_with_dim = input.ndim == 0 and dim is not None
        if int(np.prod([input.shape[a] for a in axes])) == 1 and not zero_d_with_dim:
            return _single_element_norm(input, axes, keepdim)
        return Norm2Op.apply(input, axes=axes, keepdims=keepdim)
    if p == 1:
        return sum(abs(input), axes, keepdim)
    return NormOp.apply(input, p=float(p), axes=axes, keepdims=keepdim)


def _p_name(p: float) -> str:
    if p in (np.inf, -np.inf):
        return "inf" if p > 0 else "-inf"
    return f"{p:g}"


# --------------------------------------------------------------------------- products


class ProdOp(Op):
    """z = Π x over one axis.  dL/dxᵢ = g · Π_{j≠i} xⱼ.

    The product of the *other* elements is computed as (product of those before i) × (product of
    those after i) with cumulative products, so zeros in x are handled exactly. Recorded for
    double backward, it is z / xᵢ where no element is 0, and otherwise the product of the rows
    of an n × n copy of x whose diagonal is set to 1 (exact with zeros, n² memory per slice).
    """

    @staticmethod
    def forward(ctx, x, *, axis, keepdims):
        dtype = np.int64 if x.dtype.kind in "biu" else None  # as PyTorch: integer products int64
        out = np.prod(x, axis=axis, keepdims=keepdims, dtype=dtype)
        ctx.save_for_backward(x, out)
        ctx.axis = axis
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        axis = ctx.axis
        keep = list(x.shape)
        keep[axis] = 1
        grad = grad.reshape(keep)
        if isinstance(x, Tensor):
            if (x._data == 0).any():
                return (grad * _product_of_others(x, axis),)
            return (grad * out.reshape(keep) / x,)
        ones = np.ones(keep, dtype=x.dtype)
        before = np.cumprod(np.concatenate([ones, x], axis=axis), axis=axis)
        before = np.delete(before, -1, axis=axis)
        after = np.flip(np.cumprod(np.flip(np.concatenate([x, ones], axis=axis), axis), axis), axis)
        after = np.delete(after, 0, axis=axis)
        return (grad * before * after,)


def _product_of_others(x: Tensor, axis: int) -> Tensor:
    """Π_{j≠i} xⱼ along ``axis`` for each i, differentiably: row i of an n × n copy of x with
    the diagonal set to 1, multiplied out."""
    n = x.shape[axis]
    last = x.transpose(axis, -1)
    rows = last.unsqueeze(-2).expand(*last.shape[:-1], n, n)
    others = either.masked_fill(rows, np.eye(n, dtype=bool), 1.0).prod(-1)
    return others.transpose(axis, -1)


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None,
         **aliases: Any) -> Tensor:
    """Product of all elements, or along ``dim`` (integers give int64, as in PyTorch), in
    ``dtype`` if given (the input is converted first)."""
    dim, keepdim = _aliases("prod", dim, keepdim, aliases)
    input = as_dtype(input, dtype)
    if dtype is not None and input._data.dtype.kind in "biu":
        return integer_result(prod(input, dim, keepdim), input._data.dtype)
    if dim is None:
        return ProdOp.apply(input.reshape(-1), axis=0, keepdims=False)
    axis = normalize_dim(dim, input.ndim, "prod")
    if input.ndim == 0:  # a 0-d tensor is its own product
        return ProdOp.apply(input.reshape(1), axis=0, keepdims=False)
    return ProdOp.apply(input, axis=axis, keepdims=keepdim)


# --------------------------------------------------------------------------- softmax family


class LogSumExpOp(Op):
    """z = log Σ eˣ, computed as m + log Σ e^(x-m) with m = max x (no overflow).

    dL/dx = g · e^(x - z) = g · softmax(x). Over no elements, z = log 0 = -inf (PyTorch).
    """

    @staticmethod
    def forward(ctx, x, *, axes, keepdims):
        with np.errstate(**QUIET):  # all -inf (masked) slices: log 0 = -inf, silently
            shift = np.max(x, axis=axes, keepdims=True, initial=-np.inf)
            shift = np.where(np.isfinite(shift), shift, 0)
            out = np.log(np.sum(np.exp(x - shift), axis=axes, keepdims=True)) + shift
        ctx.keep_shape = out.shape
        out = out if keepdims else np.squeeze(out, axes)
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad):
        x, out = ctx.saved_tensors
        keep = ctx.keep_shape
        with np.errstate(**QUIET):  # -inf - (-inf) in an all -inf slice: nan, as in PyTorch
            return (grad.reshape(keep) * either.exp(x - out.reshape(keep)),)


class SoftmaxOp(Op):
    """yᵢ = e^(xᵢ - m) / Σⱼ e^(xⱼ - m) along ``axis``.

    Jacobian dyᵢ/dxⱼ = yᵢ(δᵢⱼ - yⱼ), so dL/dx = y ⊙ (g - Σ g⊙y).
    """

    @staticmethod
    def forward(ctx, x, *, axis):
        ctx.axis = axis
        if not x.size:  # nothing to normalise (an empty dim): an empty result, as PyTorch
            out = x.copy()
        else:
            e = np.exp(x - np.max(x, axis=axis, keepdims=True))
            out = e / np.sum(e, axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (out * (grad - (grad * out).sum(axis=ctx.axis, keepdims=True)),)


class LogSoftmaxOp(Op):
    """yᵢ = xᵢ - logsumexp(x) along ``axis``.  dL/dx = g - softmax(x) · Σ g = g - eʸ Σ g."""

    @staticmethod
    def forward(ctx, x, *, axis):
        ctx.axis = axis
        if not x.size:
            out = x.copy()
        else:
            shifted = x - np.max(x, axis=axis, keepdims=True)
            out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        return (grad - either.exp(out) * grad.sum(axis=ctx.axis, keepdims=True),)


def logsumexp(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    """log Σ exp(x) over ``dim`` (required, as in PyTorch), stable for large |x|."""
    dim, keepdim = _aliases("logsumexp", dim, keepdim, aliases)
    if dim is None:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim"; give the '
                        "dim(s) to reduce, e.g. x.logsumexp(0) or x.logsumexp((0, 1))")
    input = _float(input)
    return LogSumExpOp.apply(input, axes=normalize_dims(dim, input.ndim, "logsumexp"),
                           keepdims=keepdim)


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """exp(x) / Σ exp(x) along ``dim`` (stable: the max is subtracted first).

    Needs a floating tensor, or a floating ``dtype`` to compute in, as in PyTorch."""
    axis = normalize_dim(dim, input.ndim, "softmax")
    return SoftmaxOp.apply(_softmax_input(input, axis, dtype, "softmax"), axis=axis)


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:
    """x - logsumexp(x) along ``dim``; use it rather than log(softmax(x)) for stability."""
    axis = normalize_dim(dim, input.ndim, "log_softmax")
    return LogSoftmaxOp.apply(_softmax_input(input, axis, dtype, "log_softmax"), axis=axis)


# PyTorch's names of the integer dtypes, as its "not implemented for 'Long'" errors say them
_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long"}


def _softmax_input(input: Tensor, axis: int, dtype: Any, op: str) -> Tensor:
    if dtype is not None:
        return input.to(dtype)
    if input._data.dtype.kind not in "fc":
        kernel = f"{op}_lastdim_kernel_impl" if axis >= input.ndim - 1 else f"{op}_kernel_impl"
        name = _TORCH_NAMES.get(str(input.dtype), str(input.dtype))
        raise NotImplementedError(
            f'{op}: "{kernel}" not implemented for \'{name}\'; convert the tensor first '
            f"(x.float()) or pass dtype=mt.float32")
    return input


# --------------------------------------------------------------------------- logical reductions


def _logical_reduction(input: Tensor, dim: Any, keepdim: bool, op: str) -> Tensor:
    """``any``/``all`` over ``dim`` (None: all elements; an int or a tuple of ints).

    The result is bool, except for a uint8 input, which gives uint8 (0 or 1), as in PyTorch.
    Over no elements ``any`` is False and ``all`` is True. Not differentiable."""
    axes = normalize_dims(dim, input.ndim, op)
    reduce = np.any if op == "any" else np.all
    result = np.asarray(reduce(input._data, axis=axes, keepdims=keepdim))
    if input._data.dtype == np.uint8:
        result = result.astype(np.uint8)
    return Tensor._make(result)


def any(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    """True where some element over ``dim`` is non-zero (of all elements if dim is None)."""
    dim, keepdim = _aliases("any", dim, keepdim, aliases)
    return _logical_reduction(input, dim, keepdim, "any")


def all(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Tensor:
    """True where every element over ``dim`` is non-zero (of all elements if dim is None)."""
    dim, keepdim = _aliases("all", dim, keepdim, aliases)
    return _logical_reduction(input, dim, keepdim, "all")


def count_nonzero(input: Tensor, dim: Any = None, **aliases: Any) -> Tensor:
    """The number of non-zero elements over ``dim`` (an int or a tuple; all if None), int64."""
    dim = axis_alias("count_nonzero", dim, aliases)
    axes = normalize_dims(dim, input.ndim, "count_nonzero")
    counts = np.count_nonzero(input._data, axis=axes) if axes else input._data != 0
    return Tensor._make(np.asarray(counts, dtype=np.int64))


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False,
            **aliases: Any) -> Any:
    """``(min, max)`` over ``dim`` (all elements if None), a named tuple ``(min, max)``.

    The gradient of each is that of ``amin``/``amax``: shared evenly among ties."""
    dim, keepdim = _aliases("aminmax", dim, keepdim, aliases)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity; give a dim of non-zero size")
        return return_types.aminmax(amin(input, None, keepdim), amax(input, None, keepdim))
    axis = normalize_dim(dim, input.ndim, "aminmax")
    if input.ndim and input.shape[axis] == 0:
        raise IndexError(f"aminmax(): Expected reduction dim {axis} to have non-zero size.")
    return return_types.aminmax(amin(input, axis, keepdim), amax(input, axis, keepdim))


# --------------------------------------------------------------------------- NaN-ignoring sums


class NanSumOp(Op):
    """z = Σ x over ``axes``, counting nan as 0.  dL/dx = g, and 0 at the nan elements
    (selected: PyTorch multiplies by the mask, so an infinite g gives nan there)."""

    @staticmethod
    def forward(ctx, x, *, axes, keepdims):
        ctx.keep_shape = _keep_shape(x.shape, axes)
        ctx.save_for_backward(np.isnan(x))
        return np.nansum(x, axis=axes, keepdims=keepdims)

    @staticmethod
    def backward(ctx, grad):
        (nan,) = ctx.saved_tensors
        spread = either.broadcast_to(grad.reshape(ctx.keep_shape), nan.shape)
        return (either.masked_fill(spread, nan, 0.0),)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
           **aliases: Any) -> Tensor:
    """Σ x over ``dim`` treating nan as 0 (integer tensors sum to int64, as ``sum``)."""
    dim, keepdim = _aliases("nansum", dim, keepdim, aliases)
    input = as_dtype(input, dtype)
    if input._data.dtype.kind in "biu":
        return sum(input, dim, keepdim)
    return NanSumOp.apply(input, axes=normalize_dims(dim, input.ndim, "nansum"),
                          keepdims=keepdim)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
            **aliases: Any) -> Tensor:
    """The mean of the non-nan elements over ``dim`` (nan if there are none), = nansum / count.

    dL/dx = g / count at the non-nan elements, 0 at the nan ones."""
    dim, keepdim = _aliases("nanmean", dim, keepdim, aliases)
    if input._data.dtype.kind not in "fc":  # (even with a floating dtype=, as PyTorch)
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_dtypes.torch_name(input._data.dtype)}; convert it first "
                           "(x.float())")
    input = as_dtype(input, dtype)
    axes = normalize_dims(dim, input.ndim, "nanmean")
    count = np.sum(~np.isnan(input._data), axis=axes, keepdims=keepdim)
    with np.errstate(**QUIET):  # 0 / 0 = nan for a slice of nans only
        return nansum(input, axes, keepdim) / Tensor._make(np.asarray(count, input._data.dtype))


# --------------------------------------------------------------------------- median and mode


def take_along(input: Tensor, index: np.ndarray, axis: int) -> Tensor:
    """``input``'s elements at ``index`` along ``axis``, differentiably: PyTorch's ``gather``
    (``ops/selection.py``; its backward scatter-adds, so an element picked twice gets both)."""
    return GatherOp.apply(input, axis=axis, index=index)


def _indices_result(result_type: Any, input: Tensor, index: np.ndarray, axis: int,
                    keepdim: bool) -> Any:
    """(values, indices) of a value-selecting reduction, from the kept-dim ``index``."""
    values = take_along(input, index, axis)
    if not keepdim:
        values, index = values.squeeze(axis), np.squeeze(index, axis)
    return result_type(values, Tensor._make(index.astype(np.int64, copy=False)))


def _median_index(data: np.ndarray, axis: int, ignore_nan: bool) -> np.ndarray:
    """The index of the lower median of each slice along ``axis`` (kept as size 1).

    The slice is sorted stably (nan last) and the element at position (k - 1) // 2 is picked,
    k the number of non-nan elements. Ties therefore give the tied element's occurrence at that
    sorted position, which is PyTorch's choice in the cases checked. A slice with a nan gives
    its first nan (``median``), unless ``ignore_nan`` (``nanmedian``, which gives nan only when
    the slice is all nan)."""
    order = np.argsort(data, axis=axis, kind="stable")
    count = np.sum(~np.isnan(data), axis=axis, keepdims=True) if data.dtype.kind == "f" else (
        np.full(_keep_shape(data.shape, (axis,)), data.shape[axis]))
    if ignore_nan:
        position = np.maximum(count - 1, 0) // 2
    else:  # the first nan sits at position count in the sorted slice
        position = np.where(count < data.shape[axis], count, (count - 1) // 2)
    return np.take_along_axis(order, position, axis=axis)


class MedianOp(AMaxOp):
    """z = the median m of all elements (found in forward; ``value``).

    dL/dx = g / k at each of the k elements equal to m (or the k nans, if m is nan), else 0:
    PyTorch's ``evenly_distribute_backward``, as for max(); the backward is ``AMaxOp``'s."""

    @staticmethod
    def forward(ctx, x, *, value):
        axes = tuple(range(x.ndim))
        out = np.full((1,) * x.ndim, value, dtype=x.dtype)
        ctx.keep_shape = out.shape
        ctx.save_for_backward(*_extreme_shares(x, out, axes, True))
        return np.asarray(value, dtype=x.dtype)


def _median(input: Tensor, dim: Any, keepdim: bool, ignore_nan: bool, op: str) -> Any:
    result_type = return_types.nanmedian if ignore_nan else return_types.median
    if dim is None:
        return _median_of_all(input, ignore_nan, op)
    axis = normalize_dim(dim, input.ndim, op)
    if input.ndim == 0:
        return result_type(take_along(input.reshape(1), np.zeros(1, np.int64), 0).reshape(()),
                           Tensor._make(np.asarray(0, dtype=np.int64)))
    if input.shape[axis] == 0:
        raise IndexError(f"{op}(): Expected reduction dim {axis} to have non-zero size.")
    index = _median_index(input._data, axis, ignore_nan)
    return _indices_result(result_type, input, index, axis, keepdim)


def _median_of_all(input: Tensor, ignore_nan: bool, op: str) -> Tensor:
    """The lower median of all elements; the gradient is shared evenly among the elements equal
    to it (or among the nans, if it is nan), as PyTorch's median() without dim."""
    flat = input.reshape(-1)
    if flat.shape[0] == 0:  # the median of nothing is nan, as in PyTorch
        value = np.nan
    else:
        value = flat._data[_median_index(flat._data, 0, ignore_nan)[0]]
    if input._data.dtype.kind not in "fc" or not input.requires_grad:
        return Tensor._make(np.asarray(value))
    return MedianOp.apply(input, value=value)


def median(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
    """The lower median: of all elements (a tensor; nan if any is nan), or along ``dim``
    (a named tuple ``(values, indices)``). For an even count it is the smaller of the two
    middle values (not their mean), as in PyTorch."""
    dim, keepdim = _aliases("median", dim, keepdim, aliases)
    return _median(input, dim, keepdim, False, "median")


def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False, **aliases: Any) -> Any:
    """``median`` of the non-nan elements (nan only for an all-nan slice)."""
    dim, keepdim = _aliases("nanmedian", dim, keepdim, aliases)
    return _median(input, dim, keepdim, True, "nanmedian")


def _mode_index(data: np.ndarray, axis: int) -> np.ndarray:
    """The index of each slice's mode along ``axis`` (kept as size 1): the most frequent value,
    the smallest one if several are as frequent, at its last occurrence (PyTorch's choice).

    Sorted stably, equal values form runs; a running count restarts at each run's start, and its
    first maximum marks the end of the first longest run (ends are the last occurrences)."""
    moved = np.moveaxis(data, axis, -1)
    order = np.argsort(moved, axis=-1, kind="stable")
    ordered = np.take_along_axis(moved, order, axis=-1)
    positions = np.arange(moved.shape[-1])
    starts = np.ones(ordered.shape, dtype=bool)
    starts[..., 1:] = ordered[..., 1:] != ordered[..., :-1]
    run_start = np.maximum.accumulate(np.where(starts, positions, 0), axis=-1)
    run_end = np.argmax(positions - run_start, axis=-1)[..., None]
    return np.moveaxis(np.take_along_axis(order, run_end, axis=-1), -1, axis)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False, **aliases: Any) -> Any:
    """The most frequent value along ``dim`` (the last dim by default) and the index of its
    last occurrence, a named tuple ``(values, indices)``; the smallest value wins a tie."""
    dim, keepdim = _aliases("mode", dim, keepdim, aliases)
    axis = normalize_dim(dim, input.ndim, "mode")
    if input.ndim == 0:
        return return_types.mode(
            take_along(input.reshape(1), np.zeros(1, np.int64), 0).reshape(()),
            Tensor._make(np.asarray(0, dtype=np.int64)))
    if input.shape[axis] == 0:
        raise IndexError(f"mode(): Expected reduction dim {axis} to have non-zero size.")
    index = _mode_index(input._data, axis)
    return _indices_result(return_types.mode, input, index, axis, keepdim)
