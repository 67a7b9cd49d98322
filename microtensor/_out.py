"""``out=``: writing a function's result into a tensor the caller already has.

PyTorch's functional forms take ``out=`` (``torch.add(a, b, out=c)``, ``torch.zeros(3, out=z)``).
The rules, one place for every function that offers it (``write_out``):

* ``out`` must be a Tensor (TypeError otherwise);
* no autograd: with grad mode on, an ``out`` or an input that requires grad is refused
  (RuntimeError), since a write into an existing tensor cannot be recorded as a new node; under
  ``no_grad()`` it is allowed;
* the result keeps ``out``'s dtype if PyTorch's ``can_cast`` allows it (float64 into float32,
  int64 into int32), else RuntimeError "result type Float can't be cast to the desired output
  type Long"; a few functions (``abs``, ``neg``, ``sign``, ``clamp``, ``matmul``) want exactly
  the result's dtype, as in PyTorch (``exact=True``);
* ``out`` of another shape is resized (with PyTorch's UserWarning when it had elements);
* the values are written in place (the version counter is bumped, so a graph that saved ``out``
  notices) and ``out`` itself is returned.

A function adopts it in two lines::

    def exp(input, *, out=None):
        result = ExpOp.apply(_float(input))
        return result if out is None else write_out(out, result, "exp")

Factories (``zeros``, ``arange``...) call ``factory_dtype`` first: without ``dtype=`` they make
``out``'s dtype, and an explicit different ``dtype=`` is an error, as in PyTorch.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from microtensor import _dtypes
from microtensor.autograd.grad_mode import grad_state
from microtensor.tensor import Tensor


def write_out(out: Any, result: Tensor | np.ndarray, name: str, *, exact: bool = False,
              inputs_require_grad: bool = False) -> Tensor:
    """Write ``result`` into ``out`` with PyTorch's ``out=`` rules (module docstring); returns
    ``out``. ``exact``: ``out`` must have the result's dtype (PyTorch's rule for ``abs``,
    ``neg``, ``sign``, ``clamp``, ``matmul``...). ``inputs_require_grad`` is for callers whose
    result is computed outside the graph."""
    check_out(out, name)
    values = result._data if isinstance(result, Tensor) else np.asarray(result)
    requires_grad = inputs_require_grad or (isinstance(result, Tensor) and result._requires_grad)
    if grad_state.enabled and (requires_grad or out._requires_grad):
        raise RuntimeError(
            f"{name}(): functions with out=... arguments don't support automatic "
            "differentiation, but one of the arguments requires grad. Call it without out= "
            "(y = f(x)) or inside mt.no_grad()")
    if exact and values.dtype != out._data.dtype:
        raise RuntimeError(
            f"{name}(): Found dtype {_dtypes.torch_name(out._data.dtype)} but expected "
            f"{_dtypes.torch_name(values.dtype)}: this function writes only into an out tensor "
            "of its result's dtype")
    if not _dtypes.can_cast(values.dtype, out._data.dtype):
        raise RuntimeError(
            f"result type {_dtypes.torch_name(values.dtype)} can't be cast to the desired output "
            f"type {_dtypes.torch_name(out._data.dtype)} ({name}(); pass an out tensor of a "
            "wider type, or convert the inputs)")
    if values.shape != out._data.shape:
        _resize(out, values.shape)
    np.copyto(out._data, values, casting="unsafe")
    out._bump_version(name)
    return out


def check_out(out: Any, name: str) -> None:
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")


def _resize(out: Tensor, shape: tuple[int, ...]) -> None:
    """Give ``out`` a new array of ``shape`` (PyTorch warns unless ``out`` was empty)."""
    if out._data.size:
        warnings.warn(
            f"An output with one or more elements was resized since it had shape "
            f"{list(out._data.shape)}, which does not match the required output shape "
            f"{list(shape)}. This behavior is deprecated, and in a future PyTorch release outputs "
            "will not be resized unless they have zero elements; pass an out tensor of the "
            "result's shape (or one with zero elements).", UserWarning, stacklevel=4)
    out._data = np.empty(shape, out._data.dtype)


def factory_dtype(out: Any, dtype: Any, name: str) -> Any:
    """The dtype a factory called with ``out=`` makes: ``dtype`` if given (it must be ``out``'s),
    else ``out``'s."""
    check_out(out, name)
    if dtype is None:
        return out._data.dtype
    wanted = _dtypes.resolve(dtype)
    if wanted != out._data.dtype:
        raise RuntimeError(f"dtype {_dtypes.torch_name(wanted)} does not match dtype of out "
                           f"parameter ({_dtypes.torch_name(out._data.dtype)})")
    return wanted
