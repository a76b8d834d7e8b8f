"""Plots for classifiers and training runs: loss curves, confusion matrix, responses (ROC
figures are in `_roc.py`, the many-model plots in `_many.py`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# History entries that are x coordinates or bookkeeping, not curves.
_NOT_METRICS = frozenset({"epoch", "step", "time", "stage"})


def new_axes(ax: Axes | None = None, width: float = 5.0, height: float = 4.0):
    """``(figure, ax)``: `ax` and its figure if given, else a new ``width x height`` figure."""
    if ax is None:
        figure = Figure(figsize=(width, height), layout="constrained")
        return figure, figure.add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes or None, got {type(ax).__name__}.")
    return ax.figure, ax


def save_figure(figure: Figure, path: str | Path | None, dpi: int = 120) -> Figure:
    """Save `figure` to `path` (format from the suffix, parent folders created) unless None."""
    if path is not None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=dpi, bbox_inches="tight")
    return figure


def as_history(history: Any, argument: str) -> dict[str, list]:
    """The history dict of `history` (a dict of per-epoch lists, or an object with `.history`)."""
    history = getattr(history, "history", history)
    if not isinstance(history, Mapping) or not history:
        raise TypeError(
            f"{argument}: expected a non-empty dict of per-epoch lists (or a result "
            f"with a .history attribute, e.g. from jaxnn.fit), got "
            f"{type(history).__name__}."
        )
    return dict(history)


def numeric_series(history: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """The entries of `history` that are 1-D lists of numbers and not x coordinates."""
    series = {}
    for key, values in history.items():
        array = np.asarray(values)
        if key not in _NOT_METRICS and array.ndim == 1 and array.dtype.kind in "biuf":
            series[key] = array.astype(float)
    return series


def x_values(history: Mapping[str, Any], n: int, names: Sequence[str] = ("epoch",)) -> np.ndarray:
    """x values for a curve of `n` points: the first of `names` in `history` of length n, else
    1..n."""
    for name in names:
        if name in history and len(history[name]) == n:
            return np.asarray(history[name], float)
    return np.arange(1, n + 1, dtype=float)


def history(
    history: Any,
    keys: Sequence[str] | None = None,
    path: str | Path | None = None,
    log_scale: bool | None = None,
) -> Figure:
    """Training curves: one panel per metric with its training and validation ("val_") curve.

    Args:
        history: per-epoch lists, e.g. ``{"loss": [...], "val_loss": [...], "auc": [...]}``, or
            a result with a ``.history`` attribute (`jaxnn.fit`). The x axis is "epoch" if present.
        keys: metric names to show (default: every metric; "val_X" is drawn with "X").
        log_scale: log y axis; None (default) uses it for losses whose values are all positive.

    Returns:
        the Figure.
    """
    raw = as_history(history, "history(history=...)")
    series = numeric_series(raw)
    names = list(dict.fromkeys(key.removeprefix("val_") for key in series))
    if keys is not None:
        keys = [keys] if isinstance(keys, str) else list(keys)
        unknown = [key for key in keys if key not in names]
        if unknown:
            raise ValueError(
                f"history(keys={keys}): no curves named {unknown}; the history has "
                f"{names}. Name metrics without the 'val_' prefix."
            )
        names = keys
    if not names:
        raise ValueError(
            f"history(history=...): no numeric per-epoch lists among the keys {list(raw)}."
        )
    figure = Figure(figsize=(4.5 * len(names), 3.5), layout="constrained")
    for ax, name in zip(figure.subplots(1, len(names), squeeze=False)[0], names, strict=True):
        curves = {
            label: series[key]
            for label, key in (("train", name), ("validation", f"val_{name}"))
            if key in series
        }
        positive = all(np.all(values > 0) for values in curves.values())
        use_log = ("loss" in name and positive) if log_scale is None else log_scale
        if use_log and not positive:
            raise ValueError(
                f"history(log_scale=True): '{name}' has values <= 0 that a log "
                "axis cannot show; pass log_scale=None or False."
            )
        for label, values in curves.items():
            ax.plot(
                x_values(raw, len(values)),
                values,
                label=label,
                marker="." if len(values) < 30 else None,
            )
        if use_log:
            ax.set_yscale("log")
        ax.set(xlabel="epoch", ylabel=name, title=name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    return save_figure(figure, path)


def binary_scores(y_true: Any, scores: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Checked binary labels (n,) in {0, 1} with both present, and finite scores (n,)."""
    y_true, scores = np.asarray(y_true), np.asarray(scores)
    if scores.ndim == 2 and scores.shape[1] == 2:
        raise ValueError(
            f"{where}: scores have shape {scores.shape}; pass the signal column "
            "only, e.g. scores[:, 1]."
        )
    if y_true.ndim != 1 or scores.ndim != 1 or len(y_true) != len(scores):
        raise ValueError(
            f"{where}: expected y_true (n,) and scores (n,) of equal length, got "
            f"shapes {y_true.shape} and {scores.shape}."
        )
    labels = np.unique(y_true)
    if not np.isin(labels, (0, 1)).all() or len(labels) < 2:
        raise ValueError(
            f"{where}: expected binary labels with both 0 and 1 present, got "
            f"values {labels[:10].tolist()}. Encode the signal class as 1 and "
            "background as 0 (jaxnn.data.LabelEncoder)."
        )
    if not np.all(np.isfinite(scores.astype(float))):
        raise ValueError(f"{where}: scores contain NaN/inf; drop or fix those samples.")
    return y_true.astype(int), scores.astype(float)


def event_weights(sample_weight: Any, samples: int, where: str) -> np.ndarray | None:
    """Event weights (samples,) as float64: finite numbers of any sign (None stays None)."""
    if sample_weight is None:
        return None
    weights = np.asarray(sample_weight)
    if weights.dtype == object or weights.dtype.kind not in "biuf":
        raise TypeError(f"{where}: expected numeric event weights, got dtype {weights.dtype}.")
    if weights.shape != (samples,):
        raise ValueError(f"{where}: expected one weight per sample, shape ({samples},), got "
                         f"shape {weights.shape}.")
    weights = weights.astype(float)
    if not np.all(np.isfinite(weights)):
        first = int(np.argmin(np.isfinite(weights)))
        raise ValueError(f"{where}: weights contain NaN/inf, the first at index {first}.")
    return weights


def confusion_matrix(
    cm: Any,
    class_names: Sequence[str] | None = None,
    normalize: bool = False,
    path: str | Path | None = None,
    ax: Axes | None = None,
) -> Figure:
    """A confusion matrix as an annotated heat map with a colour bar.

    Args:
        cm: ``(C, C)`` counts, rows the true class and columns the predicted class
            (e.g. from `jaxnn.metrics.confusion_matrix`).
        class_names: C labels for the axes (default 0..C-1).
        normalize: show each row divided by its total (the per-class recall on the diagonal).

    Returns:
        the Figure.
    """
    cm = np.asarray(cm, dtype=float)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1] or not np.all(np.isfinite(cm)) or np.any(cm < 0):
        raise ValueError(
            f"confusion_matrix(cm=...): expected a square (C, C) matrix of "
            f"non-negative counts, got shape {cm.shape}."
        )
    n = cm.shape[0]
    class_names = [str(i) for i in range(n)] if class_names is None else list(class_names)
    if len(class_names) != n:
        raise ValueError(
            f"confusion_matrix(class_names=...): expected {n} names for a "
            f"{n}x{n} matrix, got {len(class_names)}."
        )
    if normalize:
        totals = cm.sum(axis=1, keepdims=True)
        cm = np.divide(cm, totals, out=np.zeros_like(cm), where=totals > 0)
    figure, ax = new_axes(ax, width=1.0 + 0.9 * max(n, 4), height=0.8 * max(n, 4))
    image = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    figure.colorbar(image, ax=ax, label="fraction of true class" if normalize else "count")
    middle = (cm.max() + cm.min()) / 2
    for i in range(n):
        for j in range(n):
            text = f"{cm[i, j]:.2f}" if normalize else f"{cm[i, j]:.0f}"
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                color="white" if cm[i, j] > middle else "black",
            )
    ax.set(
        xticks=range(n),
        yticks=range(n),
        xticklabels=class_names,
        yticklabels=class_names,
        xlabel="predicted class",
        ylabel="true class",
        title="confusion matrix",
    )
    return save_figure(figure, path)


def classifier_response(
    y_true: Any,
    scores: Any,
    bins: int = 50,
    path: str | Path | None = None,
    labels: tuple[str, str] = ("background", "signal"),
    density: bool = True,
    log: bool = False,
    ax: Axes | None = None,
    sample_weight: Any = None,
) -> Figure:
    """Step histograms of the classifier output for background (0) and signal (1) samples.

    Args:
        y_true: ``(n,)`` labels in {0, 1}; scores: ``(n,)`` classifier outputs.
        bins: number of equal bins spanning the range of all scores.
        labels: legend names of class 0 and class 1.
        density: normalise each histogram to unit area (compare shapes, not counts).
        log: log y axis.
        sample_weight: ``(n,)`` event weights (negative ones allowed); each bin then holds
            summed weights. With `density`, each class's weights must sum to more than 0.

    Returns:
        the Figure.
    """
    y_true, scores = binary_scores(y_true, scores, "classifier_response")
    weights = event_weights(sample_weight, len(y_true), "classifier_response(sample_weight=...)")
    if isinstance(bins, bool) or not isinstance(bins, (int, np.integer)) or bins < 1:
        raise ValueError(f"classifier_response(bins={bins!r}): expected a positive integer.")
    if density and weights is not None:
        for label_value, name in enumerate(labels):
            total = weights[y_true == label_value].sum()
            if not total > 0:
                raise ValueError(
                    f"classifier_response(sample_weight=...): the {name} ({label_value}) "
                    f"weights sum to {total:.6g}, so its histogram cannot be normalised to "
                    "unit area; pass density=False to show summed weights."
                )
    figure, ax = new_axes(ax)
    edges = np.histogram_bin_edges(scores, bins=bins)
    for label_value, name in enumerate(labels):
        selected = y_true == label_value
        ax.hist(
            scores[selected],
            bins=edges,
            weights=None if weights is None else weights[selected],
            histtype="step",
            density=density,
            linewidth=1.5,
            label=name,
        )
    if log:
        ax.set_yscale("log")
    ylabel = "density" if density else "count" if weights is None else "summed weight"
    ax.set(xlabel="classifier output", ylabel=ylabel, title="classifier response")
    ax.legend()
    return save_figure(figure, path)


def decision_boundary(
    predict_fn: Callable[[np.ndarray], Any],
    x: Any,
    y: Any,
    path: str | Path | None = None,
    resolution: int = 200,
    ax: Axes | None = None,
) -> Figure:
    """Regions a two-feature classifier assigns to each class, with the data on top.

    Args:
        predict_fn: maps points ``(m, 2)`` to probabilities of class 1 ``(m,)`` (threshold 0.5;
            the probability is shaded) or to class scores ``(m, C)`` (argmax).
        x: ``(n, 2)`` features; y: ``(n,)`` integer class labels.
        resolution: grid points per axis.

    Returns:
        the Figure.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(
            f"decision_boundary(x=...): expected two features (n, 2), got shape "
            f"{x.shape}. Project onto two features (or a PCA of them) first."
        )
    if y.shape != (len(x),):
        raise ValueError(
            f"decision_boundary(y=...): expected {len(x)} labels (n,), got shape {y.shape}."
        )
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = 0.05 * np.where(hi > lo, hi - lo, 1.0)
    grid_x, grid_y = np.meshgrid(
        *(np.linspace(lo[i] - pad[i], hi[i] + pad[i], resolution) for i in range(2))
    )
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype(np.float32)
    outputs = np.asarray(predict_fn(grid), dtype=float)
    figure, ax = new_axes(ax, width=5.5, height=4.5)
    if outputs.shape in ((len(grid),), (len(grid), 1)):
        probability = outputs.reshape(grid_x.shape)
        shading = ax.contourf(
            grid_x, grid_y, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.4
        )
        ax.contour(grid_x, grid_y, probability, levels=[0.5], colors="k", linewidths=1)
        figure.colorbar(shading, ax=ax, label="P(class 1)")
        colours = colormaps["RdBu_r"].resampled(2)
    elif outputs.ndim == 2 and outputs.shape[0] == len(grid):
        classes = outputs.argmax(axis=1).reshape(grid_x.shape)
        ax.contourf(
            grid_x,
            grid_y,
            classes,
            levels=np.arange(outputs.shape[1] + 1) - 0.5,
            cmap="tab10",
            vmin=0,
            vmax=9,
            alpha=0.35,
        )
        colours = colormaps["tab10"]
    else:
        raise ValueError(
            f"decision_boundary(predict_fn=...): for points ({len(grid)}, 2) it "
            f"returned shape {outputs.shape}; expected probabilities ({len(grid)},) "
            f"or class scores ({len(grid)}, C)."
        )
    for index, label in enumerate(np.unique(y)):
        members = y == label
        ax.scatter(
            x[members, 0],
            x[members, 1],
            s=12,
            color=colours(index % colours.N),
            edgecolors="white",
            linewidths=0.4,
            label=f"class {label}",
        )
    ax.set(xlabel="feature 0", ylabel="feature 1", title="decision boundary")
    ax.legend(loc="best")
    return save_figure(figure, path)


def curve(
    x: Any,
    ys: Mapping[str, Any],
    xlabel: str = "",
    ylabel: str = "",
    path: str | Path | None = None,
    vline: tuple[float, str] | None = None,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Several curves y(x) on one axis, e.g. P(ordered) against temperature.

    Args:
        x: ``(k,)`` abscissae; ys: name -> ``(k,)`` values.
        vline: ``(value, label)`` for a dashed vertical marker (e.g. the critical temperature).

    Returns:
        the Figure.
    """
    x = np.asarray(x, dtype=float)
    if not isinstance(ys, Mapping) or not ys:
        raise TypeError(
            f"curve(ys=...): expected a non-empty dict name -> values, got {type(ys).__name__}."
        )
    figure, ax = new_axes(ax)
    for name, values in ys.items():
        values = np.asarray(values, dtype=float)
        if values.shape != x.shape:
            raise ValueError(
                f"curve(ys[{name!r}]): expected shape {x.shape} like x, got {values.shape}."
            )
        ax.plot(x, values, marker="o" if len(x) <= 30 else None, markersize=4, label=name)
    if vline is not None:
        value, label = vline
        ax.axvline(float(value), color="grey", linestyle="--", label=label)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    ax.legend()
    return save_figure(figure, path)
