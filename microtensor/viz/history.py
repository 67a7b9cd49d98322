"""Training curves: loss, metrics and learning rate, epoch by epoch (needs matplotlib).

A training loop that appends to a dict of lists::

    history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
    for epoch in range(epochs):
        ...
        history["train_loss"].append(train_loss)
        history["val_acc"].append(accuracy)
        history["lr"].append(scheduler.get_last_lr()[0])

can be drawn with ``mt.viz.plot_history(history, path="runs/history.png")``. matplotlib is an
optional dependency (``pip install "microtensor[examples]"``); it is imported only when a plot is
made, and without pyplot, so no window opens and no display is needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from microtensor._files import PathLike
from microtensor.viz._figures import check_destination, new_figure, save_figure

__all__ = ["plot_history"]

_X_KEYS = ("epoch", "step", "iteration")


def plot_history(
    history: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
    path: PathLike | None = None,
    *,
    ax: Any = None,
    x_label: str | None = None,
    title: str | None = None,
    log_loss: bool = False,
) -> Any:
    """Plot training curves; returns the matplotlib ``Figure``.

    Args:
        history: a dict of lists, e.g. ``{"train_loss": [...], "val_loss": [...],
            "val_acc": [...], "lr": [...]}`` (a list of per-epoch dicts works too). Series are
            grouped into panels by name: names containing ``loss`` on the first panel, the
            learning rate (``lr``, ``learning_rate``, or names ending in ``_lr``) on the last, and
            everything else (accuracies, other metrics) on a panel between. Empty groups get no
            panel. An ``epoch``/``step``/``iteration`` entry, if present, gives the x values of
            the series of its length. Values may be numbers, 0-d tensors or None (a gap).
        path: if given, the figure is also saved there (PNG unless the suffix says otherwise),
            atomically (a temporary file, then renamed): ``plot_history(history, "curves.png")``.
        ax: where to draw (keyword only). ``None`` makes a new figure with one panel per
            group; a single matplotlib ``Axes`` receives every series; a sequence of Axes
            receives one group each (it must have as many as there are groups).
        x_label: the x-axis label; by default the name of the x entry, or ``"epoch"``.
        title: a title for the figure.
        log_loss: use a logarithmic y-axis for the loss panel.

    Series of different lengths are drawn on the scale of the shortest one: with 10 validation
    losses (one per epoch) and 100 training losses (one per step), the training losses land at
    epochs 0.1, 0.2, ..., 10.
    """
    check_destination("plot_history", path, ax, many_axes=True)
    series, x_values, x_name = _series(history)
    groups = _groups(series)
    if not groups:
        raise ValueError("plot_history: the history has no series to plot (it is empty)")
    x_label = x_label or x_name

    if ax is None:
        figure = new_figure((4.2 * len(groups), 3.4), "plot_history")
        axes = list(figure.subplots(1, len(groups), squeeze=False)[0])
    elif not hasattr(ax, "plot"):  # a list or array of Axes
        axes = list(getattr(ax, "flat", ax))
        if len(axes) != len(groups):
            raise ValueError(
                f"plot_history: got {len(axes)} Axes for {len(groups)} panels "
                f"({', '.join(name for name, _ in groups)}); pass {len(groups)} Axes, or one Axes "
                "to draw every series on it"
            )
        figure = axes[0].figure
    else:
        axes = [ax] * len(groups)
        figure = ax.figure

    from matplotlib.ticker import MaxNLocator  # after new_figure: its ImportError says what to do

    reference = min(len(values) for values in series.values())
    for axis, (panel, names) in zip(axes, groups):
        for name in names:
            values = series[name]
            axis.plot(_x_for(values, reference, x_values), values, label=name,
                      marker="o" if len(values) <= 30 else None, markersize=3,
                      drawstyle="steps-post" if panel == "learning rate" else "default")
        if len(set(map(id, axes))) > 1:
            axis.set_title(panel)
            axis.set_ylabel(panel)
        if panel == "loss" and log_loss:
            axis.set_yscale("log")
        if panel == "learning rate" and _spans_decades(series, names):
            axis.set_yscale("log")
        axis.set_xlabel(x_label)
        if _whole_numbers(x_values, reference):
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))  # no tick at epoch 2.5
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    save_figure(figure, path)
    return figure


def _series(history: Any) -> tuple[dict[str, list[float]], dict[int, list[float]], str]:
    """The plottable series as lists of floats, the x values by length, and the x name."""
    if isinstance(history, Sequence) and not isinstance(history, str | bytes):
        rows = list(history)
        keys = list(dict.fromkeys(key for row in rows for key in row))
        history = {key: [row.get(key) for row in rows] for key in keys}
    if not isinstance(history, Mapping):
        raise TypeError(
            "plot_history expects a dict of lists such as {'train_loss': [...], 'val_acc': "
            f"[...]}} or a list of per-epoch dicts, got {type(history).__name__}"
        )
    series: dict[str, list[float]] = {}
    x_values: dict[int, list[float]] = {}
    x_name = "epoch"
    for key, values in history.items():
        try:
            floats = [_to_float(v) for v in values]
        except (TypeError, ValueError) as error:
            raise TypeError(f"plot_history: history[{key!r}] must be a list of numbers "
                            f"({error})") from None
        if str(key).lower() in _X_KEYS:
            x_values.setdefault(len(floats), floats)
            x_name = str(key)
        elif floats:
            series[str(key)] = floats
    return series, x_values, x_name


def _to_float(value: Any) -> float:
    if value is None:
        return math.nan
    if hasattr(value, "item"):  # a 0-d Tensor or NumPy scalar
        value = value.item()
    return float(value)


def _groups(series: dict[str, list[float]]) -> list[tuple[str, list[str]]]:
    """[(panel title, series names)] for the loss, metric and learning-rate panels in use."""
    losses, metrics, rates = [], [], []
    for name in series:
        low = name.lower()
        if "loss" in low:
            losses.append(name)
        elif low in ("lr", "learning_rate") or low.endswith(("_lr", "learning_rate")):
            rates.append(name)
        else:
            metrics.append(name)
    panels = [("loss", losses), ("metrics", metrics), ("learning rate", rates)]
    return [(title, names) for title, names in panels if names]


def _x_for(values: list[float], reference: int, x_values: dict[int, list[float]]) -> list[float]:
    """x positions of a series: the history's x entry of its length if there is one, else 1..n.

    A longer series (one value per step, say) is squeezed onto the shortest series' scale
    (one value per epoch): value i of n lands at (i + 1) * reference / n.
    """
    if len(values) in x_values:
        return x_values[len(values)]
    scale = reference / len(values)
    return [(i + 1) * scale for i in range(len(values))]


def _whole_numbers(x_values: dict[int, list[float]], reference: int) -> bool:
    """Whether the x axis counts whole units (epochs 1, 2, ...): the default x, or an x entry
    of whole numbers."""
    given = x_values.get(reference)
    return given is None or all(math.isfinite(v) and float(v).is_integer() for v in given)


def _spans_decades(series: dict[str, list[float]], names: list[str]) -> bool:
    positive = [v for name in names for v in series[name] if v > 0 and math.isfinite(v)]
    return bool(positive) and max(positive) / min(positive) >= 100
