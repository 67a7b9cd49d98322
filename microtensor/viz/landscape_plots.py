"""Plots for the optimization lab (:mod:`microtensor.landscape`); needs matplotlib.

=========================== ===================================================================
``plot_trajectories``       contours of a 2-D function with optimizer paths on top
``plot_loss_curves``        loss against step for several runs (log scale when possible)
``plot_landscape``          a 1-D loss curve or a 2-D loss surface (contours and 3-D view)
``plot_interpolation``      loss along θ(α) = (1 − α) θ_a + α θ_b
``plot_lr_finder``          the learning-rate range test, with the suggested lr
=========================== ===================================================================

Every function (and ``mt.viz.plot_history``) takes the same arguments in the same order:
``plot_x(data..., path=None, *, ax=None, title=None, ...)``: the data, then where to save the
picture, then keyword-only options. It returns the matplotlib ``Figure`` and, given ``path``, also
saves it in the format the suffix names (PNG when there is none; atomically: a temporary file,
then renamed). A path where an Axes belongs (or the reverse) is a ``TypeError`` that says so.
Figures are built without pyplot on the Agg canvas, so nothing opens a window, no display is
needed and no global state is touched; in a notebook, the returned figure displays itself.
Pass ``ax=`` to draw into an existing Axes. matplotlib is imported only when a plot is made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from microtensor._files import PathLike
from microtensor.autograd.grad_mode import no_grad
from microtensor.tensor import Tensor
from microtensor.viz._figures import check_destination, new_figure, save_figure

__all__ = [
    "plot_interpolation",
    "plot_landscape",
    "plot_loss_curves",
    "plot_lr_finder",
    "plot_trajectories",
]

# one color per run, the same in the path plot and in the loss curves
_COLORS = ["#e41a1c", "#377eb8", "#ff7f00", "#984ea3", "#a65628", "#f781bf", "#111111",
           "#4daf4a", "#999999", "#dede00"]


def _figure_and_axes(ax: Any, path: Any, figsize: tuple[float, float], what: str
                     ) -> tuple[Any, Any]:
    check_destination(what, path, ax)
    if ax is not None:
        return ax.figure, ax
    figure = new_figure(figsize, what)
    return figure, figure.add_subplot(1, 1, 1)


def _evaluate_grid(fn: Callable[[Tensor], Tensor], bounds: Any, resolution: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f on a resolution × resolution grid, in one vectorised call (x of shape (2, H, W)) when
    the function allows it, else point by point (slower)."""
    (x0, x1), (y0, y1) = bounds
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    try:
        with no_grad(), np.errstate(all="ignore"):
            z = fn(Tensor._make(np.stack([grid_x, grid_y])))
        values = np.asarray(z._data if isinstance(z, Tensor) else z, dtype=np.float64)
    except Exception:  # any failure means: not vectorisable
        values = np.zeros(0)
    if values.shape != grid_x.shape:  # a function that only takes one point at a time
        with no_grad():
            values = np.array([[float(fn(Tensor._make(np.array([a, b]))).item())
                                for a, b in zip(row_x, row_y)]
                               for row_x, row_y in zip(grid_x, grid_y)])
    return grid_x, grid_y, values


def _runs(trajectories: Any) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(name, path or values, losses) for a dict or list of Trajectory objects or arrays."""
    items = (trajectories.items() if isinstance(trajectories, Mapping)
             else [(getattr(t, "name", f"run {i}"), t) for i, t in enumerate(trajectories)])
    runs = []
    for name, t in items:
        if hasattr(t, "path"):
            runs.append((str(name), np.asarray(t.path), np.asarray(t.losses)))
        else:
            runs.append((str(name), np.asarray(t, dtype=np.float64), None))
    return runs


def _resolve_function(fn: Any) -> tuple[Callable[[Tensor], Tensor], dict[str, Any]]:
    """A callable plus what a Function2D record (or a registry name) knows about it."""
    if isinstance(fn, str):
        from microtensor.landscape.functions import TEST_FUNCTIONS

        if fn not in TEST_FUNCTIONS:
            raise ValueError(f"plot_trajectories: unknown function {fn!r}; known: "
                             f"{', '.join(TEST_FUNCTIONS)}")
        fn = TEST_FUNCTIONS[fn]
    if hasattr(fn, "fn") and hasattr(fn, "bounds"):
        info = dict(bounds=fn.bounds, log_levels=fn.log_levels, minima=fn.minima,
                    saddles=fn.saddles + fn.degenerate, maxima=fn.maxima, name=fn.name)
        return fn.fn, info
    return fn, dict(name=getattr(fn, "__name__", "f"))


def plot_trajectories(
    fn: Any,
    trajectories: Mapping[str, Any] | Sequence[Any],
    path: PathLike | None = None,
    *,
    ax: Any = None,
    bounds: Any = None,
    levels: int = 30,
    log_levels: bool | None = None,
    minima: Sequence[Sequence[float]] | None = None,
    title: str | None = None,
    resolution: int = 200,
    colorbar: bool = True,
    legend: bool = True,
    colors: Sequence[str] | None = None,
) -> Any:
    """Contours of a 2-D function with optimizer paths drawn on top.

    Args:
        fn: the function (Tensor (2, ...) → Tensor (...)), a ``Function2D`` record from
            ``mt.landscape.TEST_FUNCTIONS``, or its name (``"rosenbrock"``); a record supplies
            bounds, level spacing and the critical points to mark.
        trajectories: ``{name: Trajectory or (N, 2) array}``, or a list of Trajectory objects.
        path: save the figure there.
        ax: draw into this Axes instead of a new figure.
        bounds: ((x_min, x_max), (y_min, y_max)); default: the record's, or the paths' extent.
        levels: the number of contour levels.
        log_levels: log-spaced levels (for functions such as Rosenbrock whose values span many
            decades: with linear levels the valley floor would be one flat color). Default: the
            record's setting, else automatic (values ≥ 0 spanning > 3 decades).
        minima: points to mark with a star (default: the record's minima).
        title: the axes title.
        resolution: grid points per axis for the contours.
        colorbar, legend: draw them (turn off for small multiples, one run per panel).
        colors: one matplotlib color per run (default: a fixed palette, in order).

    Paths that share a stretch stay visible: when two paths touch (and there are at most
    five), each is drawn thinner than the one before it, on top of it (the first widest). The
    legend sits below the axes, off the contours, so it never hides a critical point.
    """
    check_destination("plot_trajectories", path, ax)
    function, info = _resolve_function(fn)
    runs = _runs(trajectories)
    if bounds is None:
        bounds = info.get("bounds")
    if bounds is None:
        if not runs:
            raise ValueError("plot_trajectories: give bounds=((x0, x1), (y0, y1)) when there "
                             "are no trajectories to take them from")
        points = np.concatenate([p[np.all(np.isfinite(p), axis=1)] for _, p, _ in runs])
        lo, hi = points.min(axis=0), points.max(axis=0)
        pad = 0.15 * np.maximum(hi - lo, 1e-3)
        bounds = ((lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1]))
    figure, axis = _figure_and_axes(ax, path, (6.4, 5.2), "plot_trajectories")
    from matplotlib.colors import LogNorm

    grid_x, grid_y, z = _evaluate_grid(function, bounds, resolution)
    finite = z[np.isfinite(z)]
    zmin, zmax = float(finite.min()), float(finite.max())
    if log_levels is None:
        log_levels = info.get("log_levels", zmin >= 0 and zmax > 1e3 * max(zmin, 1e-3))
    if log_levels:
        floor = max(zmin, zmax * 1e-9, 1e-12)
        contour_levels = np.logspace(np.log10(floor), np.log10(zmax), levels)
        filled = axis.contourf(grid_x, grid_y, np.maximum(z, floor), levels=contour_levels,
                               norm=LogNorm(), cmap="viridis", alpha=0.55)
        axis.contour(grid_x, grid_y, np.maximum(z, floor), levels=contour_levels, norm=LogNorm(),
                     colors="k", linewidths=0.3, alpha=0.5)
    else:
        filled = axis.contourf(grid_x, grid_y, z, levels=levels, cmap="viridis", alpha=0.55)
        axis.contour(grid_x, grid_y, z, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    if colorbar and log_levels:
        from matplotlib.ticker import LogFormatterSciNotation, LogLocator

        figure.colorbar(filled, ax=axis, label="f(x, y) (log scale)", ticks=LogLocator(),
                        format=LogFormatterSciNotation())
    elif colorbar:
        figure.colorbar(filled, ax=axis, label="f(x, y)")
    _draw_paths(axis, runs, list(colors) if colors else _COLORS)
    marks = [(minima if minima is not None else info.get("minima", ()), "*", "minimum", 14),
             (info.get("saddles", ()), "X", "saddle", 10),
             (info.get("maxima", ()), "^", "maximum", 10)]
    for points, marker, label, size in marks:
        if len(points):
            pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
            axis.plot(pts[:, 0], pts[:, 1], marker, color="gold", mec="black", ms=size, ls="",
                      label=label, zorder=5)
    axis.set_xlim(*bounds[0])
    axis.set_ylim(*bounds[1])
    axis.set_xlabel("x")
    axis.set_ylabel("y")
    axis.set_title(title or f"{info.get('name', 'f')}: optimizer paths (o start, ■ end)")
    if legend:
        entries = len(axis.get_legend_handles_labels()[1])
        axis.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.13),
                    ncols=min(entries, 3), frameon=False)
    save_figure(figure, path)
    return figure


def _paths_touch(runs: list[tuple[str, np.ndarray, np.ndarray | None]]) -> bool:
    """Whether two paths come within 0.5 % of the picture's size of each other (sampled at
    up to 200 points each): then one could hide the other."""
    samples = []
    for _, points, _ in runs:
        finite = points[np.all(np.isfinite(points), axis=1)]
        step = max(1, len(finite) // 200)
        samples.append(finite[::step])
    every = np.concatenate(samples)
    if len(every) == 0:
        return False
    size = float(np.linalg.norm(every.max(axis=0) - every.min(axis=0))) or 1.0
    for i, first in enumerate(samples):
        for second in samples[i + 1:]:
            if len(first) and len(second):
                gaps = np.linalg.norm(first[:, None, :] - second[None, :, :], axis=-1)
                if gaps.min() < 0.005 * size:
                    return True
    return False


def _draw_paths(axis: Any, runs: list[tuple[str, np.ndarray, np.ndarray | None]],
                colors: list[str]) -> None:
    """Each path as a line (where paths touch: the first widest, each next one thinner and on
    top, so shared stretches show as stripes), with a dot at its start and a square at its last
    finite point."""
    stripes = 1 < len(runs) <= 5 and _paths_touch(runs)  # more than five: too wide at the bottom
    for k, (name, points, _) in enumerate(runs):
        color = colors[k % len(colors)]
        plain = 1.8 if len(runs) <= 5 else 1.4
        width = 1.2 + 1.1 * (len(runs) - 1 - k) if stripes else plain
        axis.plot(points[:, 0], points[:, 1], "-", color=color, lw=width, label=name,
                  zorder=2 + 0.01 * k, solid_capstyle="butt")
        axis.plot(points[0, 0], points[0, 1], "o", color=color, ms=5, zorder=3)
        good = points[np.all(np.isfinite(points), axis=1)]
        if len(good):
            axis.plot(good[-1, 0], good[-1, 1], "s", color=color, ms=5, mec="white", mew=0.8,
                      zorder=3)


def plot_loss_curves(
    curves: Mapping[str, Any] | Sequence[Any],
    path: PathLike | None = None,
    *,
    ax: Any = None,
    logy: bool | None = None,
    ylim: tuple[float | None, float | None] | None = None,
    xlabel: str = "step",
    ylabel: str = "loss",
    title: str | None = None,
    legend_loc: str = "best",
) -> Any:
    """Loss against step for several runs (``{name: Trajectory or 1-D array}``, or a list of
    Trajectory objects). ``logy`` defaults to a log scale when every finite value is > 0;
    ``ylim = (bottom, top)`` (either may be None) crops runs that diverge or hit 0 exactly;
    ``legend_loc`` is matplotlib's ``loc`` (pick the corner the curves leave empty)."""
    figure, axis = _figure_and_axes(ax, path, (6.4, 4.2), "plot_loss_curves")
    series = []
    for name, values, losses in _runs(curves):
        y = losses if losses is not None else values.reshape(-1)
        series.append((name, y))
    every = np.concatenate([y[np.isfinite(y)] for _, y in series] or [np.zeros(0)])
    if logy is None:
        logy = bool(every.size) and bool(np.all(every > 0))
    for k, (name, y) in enumerate(series):
        axis.plot(np.arange(len(y)), y, label=name, lw=1.4, color=_COLORS[k % len(_COLORS)])
    if logy:
        axis.set_yscale("log")
    if ylim is not None:
        axis.set_ylim(*ylim)
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize="small", loc=legend_loc)
    if title:
        axis.set_title(title)
    save_figure(figure, path)
    return figure


def plot_landscape(
    landscape: Any,
    path: PathLike | None = None,
    *,
    ax: Any = None,
    title: str | None = None,
    levels: int = 30,
    log: bool = False,
    surface: bool = True,
) -> Any:
    """Draw a :class:`~microtensor.landscape.Landscape`: a curve for 1-D, filled contours (and,
    with ``surface=True`` and no ``ax``, a 3-D view beside them) for 2-D. ``log`` plots
    log10(loss), which shows the shape of the basin better when the walls are steep."""
    check_destination("plot_landscape", path, ax)
    losses = np.asarray(landscape.losses, dtype=np.float64)
    values = np.log10(np.maximum(losses, 1e-12)) if log else losses
    label = "log10 loss" if log else "loss"
    if landscape.betas is None:
        figure, axis = _figure_and_axes(ax, path, (6.0, 4.0), "plot_landscape")
        axis.plot(landscape.alphas, values, "-o", ms=3, lw=1.5)
        center = np.log10(max(landscape.center_loss, 1e-12)) if log else landscape.center_loss
        axis.plot([0.0], [center], "*", color="gold", mec="black", ms=14, label="the model")
        axis.set_xlabel("α (along a filter-normalised random direction)")
        axis.set_ylabel(label)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize="small")
        axis.set_title(title or "1-D loss landscape")
        save_figure(figure, path)
        return figure
    grid_a, grid_b = np.meshgrid(landscape.alphas, landscape.betas, indexing="ij")
    if ax is not None or not surface:
        figure, axis = _figure_and_axes(ax, path, (6.0, 5.0), "plot_landscape")
        axes3d = None
    else:
        figure = new_figure((11.5, 4.8), "plot_landscape")
        axis = figure.add_subplot(1, 2, 1)
        axes3d = figure.add_subplot(1, 2, 2, projection="3d")
    filled = axis.contourf(grid_a, grid_b, values, levels=levels, cmap="viridis")
    axis.contour(grid_a, grid_b, values, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    figure.colorbar(filled, ax=axis, label=label)
    axis.plot([0.0], [0.0], "*", color="gold", mec="black", ms=14, label="the model")
    from matplotlib.ticker import MaxNLocator

    axis.xaxis.set_major_locator(MaxNLocator(nbins=5))  # the default ticks touch at this width
    axis.set_xlabel("α (direction 1)")
    axis.set_ylabel("β (direction 2)")
    axis.set_aspect("equal")
    axis.legend(fontsize="small", loc="upper right")
    axis.set_title(title or "2-D loss landscape")
    if axes3d is not None:
        axes3d.plot_surface(grid_a, grid_b, values, cmap="viridis", linewidth=0,
                            antialiased=True, alpha=0.9)
        from matplotlib.ticker import MaxNLocator

        for axis_3d in (axes3d.xaxis, axes3d.yaxis, axes3d.zaxis):  # default ticks overlap
            axis_3d.set_major_locator(MaxNLocator(nbins=4))
        axes3d.tick_params(labelsize="small")
        axes3d.set_xlabel("α")
        axes3d.set_ylabel("β")
        axes3d.set_zlabel(label, labelpad=6)
        axes3d.set_box_aspect(None, zoom=0.85)  # room for the z label inside the figure
        axes3d.set_title("surface")
    save_figure(figure, path)
    return figure


def plot_interpolation(
    interpolation: Any,
    path: PathLike | None = None,
    *,
    ax: Any = None,
    title: str | None = None,
    labels: tuple[str, str] = ("model a", "model b"),
) -> Any:
    """Loss along θ(α) = (1 − α) θ_a + α θ_b (an :class:`~microtensor.landscape.Interpolation`,
    or any object with ``alphas`` and ``losses``)."""
    figure, axis = _figure_and_axes(ax, path, (6.0, 4.0), "plot_interpolation")
    alphas, losses = np.asarray(interpolation.alphas), np.asarray(interpolation.losses)
    axis.plot(alphas, losses, "-o", ms=3, lw=1.5)
    for a, label in zip((0.0, 1.0), labels):
        k = int(np.argmin(np.abs(alphas - a)))
        if abs(alphas[k] - a) < 1e-9:
            axis.plot([a], [losses[k]], "*", ms=13, mec="black", label=label)
    axis.set_xlabel("α   (θ = (1 − α) θ_a + α θ_b)")
    axis.set_ylabel("loss")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize="small")
    axis.set_title(title or "linear interpolation between two models")
    save_figure(figure, path)
    return figure


def plot_lr_finder(
    result: Any,
    path: PathLike | None = None,
    *,
    ax: Any = None,
    title: str | None = None,
    suggestion: bool = True,
) -> Any:
    """The learning-rate range test: smoothed (and raw, faint) loss against lr on a log axis,
    with the suggested lr (steepest descent of the smoothed loss) marked."""
    figure, axis = _figure_and_axes(ax, path, (6.0, 4.0), "plot_lr_finder")
    lrs = np.asarray(result.lrs)
    axis.plot(lrs, result.raw_losses, color="0.6", lw=0.8, alpha=0.6, label="mini-batch loss")
    axis.plot(lrs, result.losses, lw=1.8, label="smoothed")
    if suggestion and len(lrs) >= 3:
        lr = result.suggestion()
        k = int(np.argmin(np.abs(lrs - lr)))
        axis.plot([lr], [result.losses[k]], "o", color="red", ms=8,
                  label=f"steepest descent: lr = {lr:.2g}")
    axis.set_xscale("log")
    finite = np.asarray(result.losses)[np.isfinite(result.losses)]
    if finite.size:
        lo, hi, first = float(finite.min()), float(finite.max()), float(finite[0])
        top = min(hi, first + 0.5 * (first - lo))  # keep the blow-up from squashing the rest
        margin = 0.05 * (top - lo) + 1e-12
        axis.set_ylim(lo - margin, top + margin)
    axis.set_xlabel("learning rate (log scale)")
    axis.set_ylabel("loss")
    axis.grid(True, alpha=0.3)
    axis.legend(fontsize="small")
    axis.set_title(title or "learning-rate range test")
    save_figure(figure, path)
    return figure
