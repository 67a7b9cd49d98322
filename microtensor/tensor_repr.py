"""``repr`` of a Tensor, exactly as PyTorch prints it: ``tensor([1.0000, 2.5000])``.

The rules (PyTorch's ``torch/_tensor_str.py``, restated):

* One format for all the elements. Bool and integer elements print as Python prints them.
  Floats: if every nonzero finite value is whole they print as ``1.``; otherwise with
  ``precision`` (4) decimals; and in scientific notation (``1.0000e+09``) when the nonzero finite
  magnitudes span more than 1000x, exceed 1e8, or go below 1e-4.
* Every element is right-aligned to the widest one (nan and inf are padded, never widen it).
* A tensor of more than ``threshold`` (1000) elements is summarised: ``edgeitems`` (3) first and
  last items of each dimension with ``...`` between; the format is chosen from the SHOWN
  elements only.
* A row wraps to stay within ``linewidth`` (80) characters.
* After the values: ``dtype=`` unless it is the default float, int64 or bool (for an empty
  tensor: unless it is the default float), ``size=`` for an empty tensor not of shape (0,),
  then ``grad_fn=`` or ``requires_grad=True``; each goes to a new line if the line would pass
  ``linewidth``.

``set_printoptions`` changes these settings (as ``torch.set_printoptions``); ``get_printoptions``
and the ``printoptions`` context manager are here as in ``torch._tensor_str``. One difference:
the dtype prints as ``dtype=microtensor.float64`` (the library that made it).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from microtensor import _dtypes

if TYPE_CHECKING:
    from microtensor.tensor import Tensor

_PROFILES = {
    "default": {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80},
    "short": {"precision": 2, "threshold": 1000, "edgeitems": 2, "linewidth": 80},
    "full": {"precision": 4, "threshold": math.inf, "edgeitems": 3, "linewidth": 80},
}
PRINT_OPTIONS: dict[str, Any] = {**_PROFILES["default"], "sci_mode": None}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print (PyTorch's ``torch.set_printoptions``).

    ``profile`` ('default', 'short' or 'full') sets the first four at once; ``sci_mode`` True or
    False forces or forbids scientific notation, None (also what every call without it sets,
    as in PyTorch) lets the values choose.
    """
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: profile must be one of {list(_PROFILES)}, "
                             f"got {profile!r}")
        PRINT_OPTIONS.update(_PROFILES[profile])
    given = {"precision": precision, "threshold": threshold, "edgeitems": edgeitems,
             "linewidth": linewidth}
    PRINT_OPTIONS.update({key: value for key, value in given.items() if value is not None})
    PRINT_OPTIONS["sci_mode"] = sci_mode


def get_printoptions() -> dict[str, Any]:
    """The current print options, as a dict (``torch._tensor_str.get_printoptions``)."""
    return dict(PRINT_OPTIONS)


@contextlib.contextmanager
def printoptions(**options: Any) -> Iterator[None]:
    """``with printoptions(precision=2): ...``: the options for the block only."""
    saved = get_printoptions()
    set_printoptions(**options)
    try:
        yield
    finally:
        PRINT_OPTIONS.update(saved)


class _Formatter:
    """The one format of all the (shown) elements: its mode and its width."""

    def __init__(self, shown: np.ndarray) -> None:
        self.floating = shown.dtype.kind == "f"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        if not self.floating:
            self.max_width = max((len(str(v)) for v in shown.reshape(-1).tolist()), default=1)
            return
        values = shown.reshape(-1).astype(np.float64)
        nonzero = values[np.isfinite(values) & (values != 0)]
        if nonzero.size:
            self._choose_float_mode(nonzero)

    def _choose_float_mode(self, nonzero: np.ndarray) -> None:
        """Mode and width from the nonzero finite values (a forced ``sci_mode`` option wins
        over the values' choice, and the width follows the mode used)."""
        precision = PRINT_OPTIONS["precision"]
        magnitude = np.abs(nonzero)
        largest, smallest = magnitude.max(), magnitude.min()
        self.int_mode = bool(np.all(nonzero == np.ceil(nonzero)))
        forced = PRINT_OPTIONS["sci_mode"]
        self.sci_mode = (bool(largest / smallest > 1000 or largest > 1e8 or smallest < 1e-4)
                         if forced is None else bool(forced))
        if self.sci_mode:
            texts = (f"{v:.{precision}e}" for v in nonzero.tolist())
        elif self.int_mode:
            texts = (f"{v:.0f}." for v in nonzero.tolist())
        else:
            texts = (f"{v:.{precision}f}" for v in nonzero.tolist())
        self.max_width = max(1, *(len(text) for text in texts))

    def format(self, value: Any) -> str:
        if not self.floating:
            text = str(value)
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{PRINT_OPTIONS['precision']}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{PRINT_OPTIONS['precision']}f}"
        return text.rjust(self.max_width)


def _summarized(data: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows: the first and last ``edgeitems`` of each dim."""
    edge = PRINT_OPTIONS["edgeitems"]
    if data.ndim == 0:
        return data
    if data.ndim > 1 and not edge:
        return np.empty((0,) * data.ndim, data.dtype)
    rows = range(data.shape[0])
    if data.shape[0] > 2 * edge:
        rows = [*range(edge), *range(data.shape[0] - edge, data.shape[0])]
    if data.ndim == 1:
        return data[list(rows)]
    return np.stack([_summarized(data[i]) for i in rows])


def _vector(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    edge = PRINT_OPTIONS["edgeitems"]
    per_line = max(1, int((PRINT_OPTIONS["linewidth"] - indent) // (formatter.max_width + 2)))
    if summarize and not edge:
        texts = ["..."]
    elif summarize and data.shape[0] > 2 * edge:
        texts = ([formatter.format(v) for v in data[:edge].tolist()] + [" ..."]
                 + [formatter.format(v) for v in data[-edge:].tolist()])
    else:
        texts = [formatter.format(v) for v in data.tolist()]
    lines = [", ".join(texts[i:i + per_line]) for i in range(0, len(texts), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(data: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if data.ndim == 0:
        return formatter.format(data.item())
    if data.ndim == 1:
        return _vector(data, indent, summarize, formatter)
    edge = PRINT_OPTIONS["edgeitems"]
    if summarize and data.shape[0] > 2 * edge:
        slices = ([_nested(data[i], indent + 1, summarize, formatter) for i in range(edge)]
                  + ["..."] + [_nested(data[i], indent + 1, summarize, formatter)
                               for i in range(data.shape[0] - edge, data.shape[0])])
    else:
        slices = [_nested(row, indent + 1, summarize, formatter) for row in data]
    return "[" + ("," + "\n" * (data.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _values(data: np.ndarray, indent: int) -> str:
    if data.dtype == np.float16:
        data = data.astype(np.float32)
    summarize = data.size > PRINT_OPTIONS["threshold"]
    formatter = _Formatter(_summarized(data) if summarize else data)
    return _nested(data, indent, summarize, formatter)


def _dtype_text(dtype: np.dtype) -> str:
    return f"dtype=microtensor.{dtype}"


def _with_suffixes(text: str, suffixes: list[str], indent: int) -> str:
    """Append ``, suffix`` to the last line, or ``,\\n`` + indent + suffix where it would pass
    the line width (PyTorch's count, including its +1)."""
    parts = [text]
    last_line = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line + len(suffix) + 2 > PRINT_OPTIONS["linewidth"]:
            parts.append(",\n" + " " * indent + suffix)
            last_line = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line += len(suffix) + 2
    return "".join(parts) + ")"


def format_tensor(tensor: Tensor) -> str:
    """The repr of ``tensor``, as PyTorch's ``torch._tensor_str._str``."""
    data = tensor._data
    prefix = "tensor("
    suffixes = []
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if data.dtype != _dtypes.get_default_dtype():
            suffixes.append(_dtype_text(data.dtype))
        body = "[]"
    else:
        if data.dtype not in (_dtypes.get_default_dtype(), _dtypes.int64, _dtypes.bool):
            suffixes.append(_dtype_text(data.dtype))
        body = _values(data, len(prefix))
    if tensor.grad_fn is not None:
        suffixes.append(f"grad_fn={tensor.grad_fn!r}")
    elif tensor.requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, len(prefix))
