"""Plots for many models: a metric against each hyperparameter, a response with its spread.

Re-exported by `jaxnn.plot` (``jaxnn.plot.hyperparameter_scan``, ``jaxnn.plot.uncertainty_band``);
same conventions: a Figure is returned, ``path=`` saves it, ``ax=`` draws into an Axes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from jaxnn.plot._plot import new_axes, save_figure


def hyperparameter_scan(result: Any, metric: str | None = None,
                        path: str | Path | None = None) -> Figure:
    """Each model's `metric` against each hyperparameter, one panel per hyperparameter.

    Args:
        result: a `jaxnn.ManyResult` or `jaxnn.GridResult` (from `jaxnn.fit_many`); a grid
            over architectures draws one colour per architecture.
        metric: a log name (default: the result's `select`, e.g. "val_loss"), read at the
            epoch each model's parameters come from.

    Points are single models; the line joins the mean over the models that share a value (the
    seeds). Positive values spanning more than a decade get a log axis.

    Returns:
        the Figure.
    """
    rows = _rows(result, "hyperparameter_scan")
    metric = metric or result.select
    if not any(metric in row for row in rows):
        known = sorted({k for row in rows for k in row} - {"model", "architecture", "stop"})
        raise ValueError(f"hyperparameter_scan(metric={metric!r}): no such log in the result; "
                         f"known columns: {known}.")
    first = next(iter(result.groups.values())) if hasattr(result, "groups") else result
    names = [k for k in first.configs[0] if k != "seed"] or ["seed"]
    figure = Figure(figsize=(4.2 * len(names), 3.6), layout="constrained")
    axes = figure.subplots(1, len(names), squeeze=False)[0]
    groups = sorted({row.get("architecture", "") for row in rows})
    for ax, name in zip(axes, names, strict=True):
        for group in groups:
            chosen = [r for r in rows if r.get("architecture", "") == group and metric in r]
            values = np.array([float(r[name]) for r in chosen])
            scores = np.array([float(r[metric]) for r in chosen])
            points = ax.scatter(values, scores, s=18, alpha=0.6, label=group or None)
            unique = np.unique(values)
            means = [np.nanmean(scores[values == v]) for v in unique]
            ax.plot(unique, means, color=points.get_facecolor()[0][:3])
        positive = np.array([float(r[name]) for r in rows])
        if np.all(positive > 0) and positive.max() > 10 * positive.min():
            ax.set_xscale("log")
        ax.set(xlabel=name, ylabel=metric)
        ax.grid(alpha=0.3)
        if len(groups) > 1:
            ax.legend(fontsize="small")
    return save_figure(figure, path)


def _rows(result: Any, where: str) -> list[dict]:
    if not callable(getattr(result, "rows", None)):
        raise TypeError(f"{where}(result=...): expected the ManyResult or GridResult of "
                        f"jaxnn.fit_many, got {type(result).__name__}.")
    return result.rows()


def uncertainty_band(
    x: Any,
    mean: Any,
    std: Any,
    *,
    label: str = "ensemble mean",
    xlabel: str = "",
    ylabel: str = "P(signal)",
    training_range: tuple[float, float] | None = None,
    path: str | Path | None = None,
    ax: Axes | None = None,
) -> Figure:
    """A classifier response along a scan ``x`` with its uncertainty band ``mean ± std``.

    Args:
        x: ``(k,)`` positions of the scan (e.g. one feature varied, the others fixed).
        mean, std: ``(k,)`` the response and its spread there (one class column of
            `jaxnn.predict_ensemble` or `jaxnn.predict_mc_dropout`).
        training_range: ``(low, high)`` shaded as the range the models saw in training.

    Returns:
        the Figure.
    """
    x = np.asarray(x, dtype=float).reshape(-1)
    mean = np.asarray(mean, dtype=float)
    std = np.asarray(std, dtype=float)
    if mean.shape != x.shape or std.shape != x.shape:
        raise ValueError(f"uncertainty_band: x, mean and std need one shape (k,); got x "
                         f"{x.shape}, mean {mean.shape}, std {std.shape}. Pass one class "
                         "column, e.g. mean[:, 1], std[:, 1].")
    figure, ax = new_axes(ax)
    order = np.argsort(x)
    x, mean, std = x[order], mean[order], std[order]
    if training_range is not None:
        ax.axvspan(*training_range, color="grey", alpha=0.12, label="training range")
    ax.plot(x, mean, label=label)
    ax.fill_between(x, mean - std, mean + std, alpha=0.3, label="± 1 std")
    ax.set(xlabel=xlabel, ylabel=ylabel, title="classifier response and its uncertainty")
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(figure, path)


__all__ = ["hyperparameter_scan", "uncertainty_band"]
