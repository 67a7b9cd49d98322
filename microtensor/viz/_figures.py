"""What every matplotlib plot in ``viz`` needs: a new figure, and saving it atomically.

Figures are built on the Agg canvas without pyplot, so nothing opens a window, no display is
needed and no global pyplot state is touched. matplotlib is imported only here, when a figure
is made, so ``import microtensor.viz`` works without it.
"""

from __future__ import annotations

import io
from pathlib import Path, PurePath
from typing import Any

from microtensor._files import PathLike, write_bytes_atomically

__all__ = ["check_destination", "new_figure", "save_figure"]


def new_figure(figsize: tuple[float, float], what: str) -> Any:
    """A matplotlib ``Figure`` (constrained layout, Agg canvas); ``what`` names the function
    that asked, for the ``ImportError`` that says how to install matplotlib."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            f"{what} needs matplotlib, an optional dependency of microtensor: "
            'pip install "microtensor[examples]" (or pip install matplotlib)'
        ) from error
    figure = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def check_destination(what: str, path: Any, ax: Any, many_axes: bool = False) -> None:
    """Every plot function takes ``(data..., path=None, *, ax=None, ...)``: check that ``path``
    is a file name (or None) and ``ax`` a matplotlib ``Axes`` (or None; a sequence of Axes where
    ``many_axes``), and say which is which when they are swapped, before anything is drawn."""
    if path is not None and not isinstance(path, str | PurePath):
        hint = (" (an Axes goes in ax=...)" if hasattr(path, "plot") else
                " (options such as bounds go by keyword)")
        raise TypeError(f"{what}: path must be a file name (str or pathlib.Path) or None, got "
                        f"{type(path).__name__}{hint}")
    if ax is None or hasattr(ax, "plot"):
        return
    if isinstance(ax, str | PurePath):
        raise TypeError(f"{what}: ax must be a matplotlib Axes, got the file name {str(ax)!r}; "
                        "pass a file name as path (the argument after the data) or path=...")
    if not many_axes:
        raise TypeError(f"{what}: ax must be a matplotlib Axes, got {type(ax).__name__}")


def save_figure(figure: Any, path: PathLike | None, dpi: int = 120) -> Path | None:
    """Save ``figure`` to ``path`` atomically (a temporary file, then renamed) and return the
    path it was saved to; do nothing and return None when ``path`` is None (no file asked for).

    The format is the one the suffix names (``.png``, ``.svg``, ``.pdf``...); a path without a
    suffix gets ``.png``, as with matplotlib's ``savefig``. Missing folders are created.
    """
    if path is None:
        return None
    target = Path(path)
    if not target.suffix:
        target = target.with_suffix(".png")
    target.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    figure.savefig(buffer, format=target.suffix[1:].lower(), dpi=dpi)
    write_bytes_atomically(target, buffer.getvalue())
    return target
