"""Plots of PDE solutions: fields on a domain, pointwise errors, 1-D profiles, loss histories.

Functions of position may act on a batch (``(n, dim) -> (n,)`` or ``(n, 1)``, like a
`pinn.Solution`) or on one point (``(dim,) -> scalar``, like ``problem.exact``; these are
vmapped). A domain is a `pinn.geometry` domain (``.bounding_box`` and ``.contains(points)``:
points outside are masked) or a box ``((xmin, ymin), (xmax, ymax))`` (``(a, b)`` in 1-D).
Every function returns the `Figure`; ``path=...`` also saves it.

    solution = pinn.solve(problem, model)
    pinn.plot.summary(solution, problem.exact, problem.domain, path="out/poisson.png")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from jaxnn.plot import as_history, new_axes, numeric_series, save_figure, x_values

PointsFn = Callable[[Any], Any]
# What a function of one point raises when handed a batch (shape and tracer errors included).
_CALL_ERRORS = (TypeError, ValueError, IndexError)


def bounding_box(domain: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """``(lo, hi)``, each ``(dim,)``, of a domain with ``.bounding_box`` or a ``(lo, hi)`` pair."""
    box = getattr(domain, "bounding_box", domain)
    box = box() if callable(box) else box
    try:
        lo, hi = (np.atleast_1d(np.asarray(corner, dtype=float)) for corner in box)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{where}: expected a pinn.geometry domain or a box ((xmin, ymin), "
            f"(xmax, ymax)) / (a, b) in 1-D, got {domain!r}."
        ) from error
    if lo.ndim != 1 or lo.shape != hi.shape or not np.all(hi > lo):
        raise ValueError(
            f"{where}: expected a box with lo < hi in every coordinate, got lo={lo} and hi={hi}."
        )
    return lo, hi


def evaluate(fn: PointsFn, points: np.ndarray, where: str) -> np.ndarray:
    """Values ``(n,)`` of `fn` at `points` ``(n, dim)``: called on the batch, else vmapped."""
    n, dim = points.shape
    fields = getattr(fn, "fields", None)
    if fields is not None:  # a pinn.Solution of a system: (n, m) values
        raise ValueError(
            f"{where}: got the solution of a system with the fields {list(fields)}; plot one "
            f"component at a time, e.g. solution[{fields[0]!r}] (a function of points -> (n,)), "
            "with the domain given: pinn.plot.summary(solution['name'], exact_fn, domain)."
        )
    try:
        values = np.asarray(fn(points))
    except _CALL_ERRORS:  # a function of one point may fail on a batch: vmap it below
        values = None
    if values is None or values.shape not in ((n,), (n, 1)):
        try:
            # float64 when x64 mode is on (the points' dtype): error maps of float64 solutions
            # show their error, not the exact solution's float32 rounding. The global mode is
            # the script's choice, never switched here.
            dtype = jax.dtypes.canonicalize_dtype(jnp.float64)
            values = np.asarray(jax.vmap(fn)(jnp.asarray(points, dtype)))
        except _CALL_ERRORS as error:
            raise TypeError(
                f"{where}: expected a function of points (n, {dim}) -> (n,) or of "
                f"one point ({dim},) -> scalar; calling it failed with: {error}"
            ) from error
    if values.shape not in ((n,), (n, 1)):
        raise ValueError(
            f"{where}: expected one value per point, shape ({n},), got {values.shape}."
        )
    return values.reshape(n).astype(float)


def _plane(domain: Any, resolution: int, mask_fn: PointsFn | None, where: str):
    """Grid points on the (x0, x1) plane of the box (other coordinates at its centre)."""
    lo, hi = bounding_box(domain, where)
    if lo.size < 2:
        raise ValueError(f"{where}: the domain is 1-D; plot it with pinn.plot.solution_1d.")
    if isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise ValueError(f"{where}: expected resolution to be an integer >= 2, got {resolution!r}.")
    grid_x, grid_y = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    points = np.tile((lo + hi) / 2, (grid_x.size, 1))
    points[:, 0], points[:, 1] = grid_x.ravel(), grid_y.ravel()
    contains = mask_fn or getattr(domain, "contains", None)
    inside = np.ones(len(points), bool) if contains is None else np.asarray(contains(points))
    if inside.shape != (len(points),) or inside.dtype != bool:
        raise ValueError(
            f"{where}: contains/mask_fn must map points (n, {lo.size}) to booleans "
            f"(n,), got {inside.dtype} {inside.shape}."
        )
    note = "" if lo.size == 2 else f" (slice x2..x{lo.size - 1} at the centre)"
    return points, inside, (lo[0], hi[0], lo[1], hi[1]), note


def _masked_grid(fn: PointsFn, points, inside, resolution: int, where: str) -> np.ndarray:
    values = np.full(len(points), np.nan)
    if inside.any():
        values[inside] = evaluate(fn, points[inside], where)
    return np.ma.masked_array(values, ~inside).reshape(resolution, resolution)


def axis_names(domain: Any) -> tuple[str, str]:
    """The names of the two plotted coordinates: ("x", "t") for a 1-D space in time (a
    `pinn.SpaceTime`, time last), else ("x", "y")."""
    from pinn.geometry import SpaceTime

    if isinstance(domain, SpaceTime) and domain.dim == 2:
        return "x", "t"
    return "x", "y"


def _show(ax: Axes, values, extent, title: str, label: str, norm=None, cmap="viridis",
          names: tuple[str, str] = ("x", "y")):
    image = ax.imshow(
        values, origin="lower", extent=extent, norm=norm, cmap=cmap, interpolation="nearest",
        aspect="auto" if names[1] == "t" else None,
    )
    ax.figure.colorbar(image, ax=ax, label=label)
    ax.set(xlabel=names[0], ylabel=names[1], title=title)
    return image


def field(
    u_fn: PointsFn,
    domain: Any,
    resolution: int = 200,
    path: str | Path | None = None,
    title: str | None = None,
    mask_fn: PointsFn | None = None,
    ax: Axes | None = None,
    cmap: str = "viridis",
) -> Figure:
    """Colour map of u over a 2-D domain (for dim > 2, the slice through the box centre).

    Args:
        u_fn: the field, on a batch ``(n, dim) -> (n,)`` or one point ``(dim,) -> scalar``.
        domain: a `pinn.geometry` domain or a box ``((xmin, ymin), (xmax, ymax))``.
        resolution: grid points per axis.
        mask_fn: ``points (n, dim) -> bool (n,)``, True inside (default: ``domain.contains``);
            points outside are masked and left blank.

    Returns:
        the Figure; its image holds the masked ``(resolution, resolution)`` grid, rows along y.
    """
    points, inside, extent, note = _plane(domain, resolution, mask_fn, "field(domain=...)")
    values = _masked_grid(u_fn, points, inside, resolution, "field(u_fn=...)")
    figure, ax = new_axes(ax, width=5.0, height=4.2)
    _show(ax, values, extent, (title or "u") + note, "u", cmap=cmap, names=axis_names(domain))
    return save_figure(figure, path)


def error_field(
    u_fn: PointsFn,
    exact_fn: PointsFn,
    domain: Any,
    resolution: int = 200,
    path: str | Path | None = None,
    title: str | None = None,
    mask_fn: PointsFn | None = None,
    log: bool = True,
    ax: Axes | None = None,
) -> Figure:
    """Colour map of the pointwise error |u - exact| (log colour scale over the four decades
    below the largest error by default).

    Arguments as for `field`; `exact_fn` takes points like `u_fn`.
    """
    points, inside, extent, note = _plane(domain, resolution, mask_fn, "error_field(domain=...)")
    u = _masked_grid(u_fn, points, inside, resolution, "error_field(u_fn=...)")
    exact = _masked_grid(exact_fn, points, inside, resolution, "error_field(exact_fn=...)")
    error = np.abs(u - exact)
    norm = None
    if log and np.ma.count(error) and error.max() > 0:
        # Four decades below the largest error: exact zeros (a hard boundary condition) and
        # sign changes would otherwise stretch the scale to 1e-16 and wash out the rest.
        floor = max(float(error[error > 0].min()), float(error.max()) * 1e-4)
        error = np.ma.maximum(error, floor)
        norm = LogNorm(vmin=floor, vmax=float(error.max()))
    figure, ax = new_axes(ax, width=5.0, height=4.2)
    _show(ax, error, extent, (title or "|u - exact|") + note, "|u - exact|", norm, "magma",
          names=axis_names(domain))
    return save_figure(figure, path)


def solution_1d(
    u_fn: PointsFn,
    exact_fn: PointsFn | None,
    interval: Any,
    resolution: int = 500,
    path: str | Path | None = None,
    title: str | None = None,
    axes: Sequence[Axes] | None = None,
) -> Figure:
    """u and the exact solution on an interval, and the pointwise error on a log axis.

    Args:
        u_fn, exact_fn: functions of points ``(n, 1) -> (n,)`` or of one point; `exact_fn` may
            be None (then only u is drawn).
        interval: ``(a, b)`` or a 1-D `pinn.geometry` domain.
        axes: two Axes to draw into (one if `exact_fn` is None).

    Returns:
        the Figure.
    """
    lo, hi = bounding_box(interval, "solution_1d(interval=...)")
    if lo.size != 1:
        raise ValueError(
            f"solution_1d(interval=...): expected a 1-D interval (a, b), got a "
            f"{lo.size}-D box; plot it with pinn.plot.field."
        )
    x = np.linspace(lo[0], hi[0], resolution)
    u = evaluate(u_fn, x[:, None], "solution_1d(u_fn=...)")
    n_axes = 1 if exact_fn is None else 2
    if axes is None:
        figure = Figure(figsize=(5.0 * n_axes, 4.0), layout="constrained")
        axes = figure.subplots(1, n_axes, squeeze=False)[0]
    elif len(axes) != n_axes:
        raise ValueError(f"solution_1d(axes=...): expected {n_axes} Axes, got {len(axes)}.")
    figure = axes[0].figure
    axes[0].plot(x, u, label="PINN")
    axes[0].set(xlabel="x", ylabel="u", title=title or "solution")
    if exact_fn is not None:
        exact = evaluate(exact_fn, x[:, None], "solution_1d(exact_fn=...)")
        axes[0].plot(x, exact, "--", label="exact")
        error = np.abs(u - exact)
        axes[1].semilogy(x, np.maximum(error, np.finfo(float).tiny), color="C3")
        axes[1].set(xlabel="x", ylabel="|u - exact|", title="pointwise error")
        axes[1].grid(alpha=0.3)
    axes[0].legend()
    axes[0].grid(alpha=0.3)
    return save_figure(figure, path)


def loss_history(
    history: Any,
    path: str | Path | None = None,
    keys: Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Losses and errors against training step on a log axis, optimizer stages marked.

    Args:
        history: per-log-step lists ("loss", "interior_loss", "boundary_loss", "relative_l2",
            "step", "stage", ...) or a `pinn.Solution` (its ``.history``). x is "step" if
            present, else "epoch".
        keys: the curves to draw (default: every numeric entry).

    Returns:
        the Figure.
    """
    raw = as_history(history, "loss_history(history=...)")
    series = numeric_series(raw)
    if keys is not None:
        missing = [key for key in keys if key not in series]
        if missing:
            raise ValueError(
                f"loss_history(keys={list(keys)}): no numeric curves named "
                f"{missing}; the history has {sorted(series)}."
            )
        series = {key: series[key] for key in keys}
    if not series:
        raise ValueError(f"loss_history(history=...): no numeric lists among {list(raw)}.")
    figure, ax = new_axes(ax)
    for name, values in series.items():
        ax.plot(
            x_values(raw, len(values), ("step", "epoch")),
            np.where(values > 0, values, np.nan),
            label=name,
        )
    stages = list(raw.get("stage", []))
    steps = x_values(raw, len(stages), ("step", "epoch"))
    for i in range(1, len(stages)):
        if stages[i] != stages[i - 1]:
            ax.axvline(steps[i - 1], color="grey", linestyle=":", linewidth=1)
            ax.text(
                steps[i - 1],
                1.0,
                f" {stages[i]}",
                transform=ax.get_xaxis_transform(),
                va="top",
                fontsize=8,
                color="grey",
            )
    ax.set_yscale("log")
    ax.set(xlabel="step" if "step" in raw else "epoch", title="training history")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return save_figure(figure, path)


def summary(
    solution: Any,
    exact_fn: PointsFn | None = None,
    domain: Any = None,
    path: str | Path | None = None,
    resolution: int = 150,
) -> Figure:
    """One figure of a solved problem: solution, error (if `exact_fn`), training history.

    Args:
        solution: called on points ``(n, dim) -> (n,)``; its ``.history`` is drawn if present
            (a `pinn.Solution`).
        exact_fn: the exact solution (batch or one point), or None.
        domain: a domain or box (default: ``solution.problem.domain``). 1-D domains get profiles
            (`solution_1d`), 2-D colour maps (`field`, `error_field`), higher dimensions the
            slice through the centre of the box.

    Returns:
        the Figure.
    """
    problem = getattr(solution, "problem", None)
    domain = domain if domain is not None else getattr(problem, "domain", None)
    if domain is None:
        raise ValueError(
            "summary(domain=...): expected a domain or box; the solution carries "
            "no .problem.domain to default to."
        )
    dim = bounding_box(domain, "summary(domain=...)")[0].size
    history = getattr(solution, "history", None)
    n_panels = 1 + (exact_fn is not None) + bool(history)
    figure = Figure(figsize=(5.0 * n_panels, 4.2), layout="constrained")
    axes = list(figure.subplots(1, n_panels, squeeze=False)[0])
    if dim == 1:
        solution_1d(solution, exact_fn, domain, axes=axes[: 1 + (exact_fn is not None)])
    else:
        field(solution, domain, resolution, title="PINN solution u", ax=axes[0])
        if exact_fn is not None:
            error_field(solution, exact_fn, domain, resolution, ax=axes[1])
    if history:
        loss_history(history, ax=axes[-1])
    if getattr(problem, "name", None):
        figure.suptitle(problem.name)
    return save_figure(figure, path)
