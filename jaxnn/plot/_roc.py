"""ROC figures: binary and per-class (one-vs-rest) curves, with event weights, each labelled
with its AUC; and curves from precomputed (fpr, tpr) points.

Re-exported by `jaxnn.plot`; same conventions as `_plot.py`: a Figure is returned, ``path=``
saves it, ``ax=`` draws into an Axes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from jaxnn import metrics
from jaxnn.plot._plot import binary_scores, event_weights, new_axes, save_figure

ROC_STYLES = ("tpr_fpr", "rejection")
_LINE_STYLES = ("-", "--", "-.", ":")  # one per model when the colours name the classes


@dataclasses.dataclass(frozen=True)
class _Line:
    """One curve to draw: its legend label, its points and its matplotlib line settings."""

    label: str
    fpr: np.ndarray
    tpr: np.ndarray
    settings: dict = dataclasses.field(default_factory=dict)


def _check_style(style: Any, where: str) -> None:
    if not isinstance(style, str) or style not in ROC_STYLES:
        raise ValueError(f"{where}(style={style!r}): expected one of {ROC_STYLES}.")


def _roc_figure(lines: list[_Line], path, style: str, ax: Axes | None) -> Figure:
    figure, ax = new_axes(ax, width=5.0, height=4.5)
    for line in lines:
        if style == "tpr_fpr":
            ax.plot(line.fpr, line.tpr, label=line.label, **line.settings)
        else:
            ax.plot(line.tpr, 1.0 - line.fpr, label=line.label, **line.settings)
    if style == "tpr_fpr":
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="chance")
        ax.set(xlabel="false positive rate", ylabel="true positive rate")
    else:
        ax.set(xlabel="signal efficiency (TPR)", ylabel="background rejection (1 - FPR)")
    ax.set(xlim=(0, 1), ylim=(0, 1.02), title="ROC curve")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right" if style == "tpr_fpr" else "lower left")
    return save_figure(figure, path)


def _check_curves(curves: Any, where: str, sizes: tuple[int, ...], shape: str) -> dict:
    if not isinstance(curves, Mapping) or not curves:
        raise TypeError(
            f"{where}(curves=...): expected a non-empty dict name -> {shape}, got "
            f"{type(curves).__name__}. Wrap one model as {{'model': {shape}}}."
        )
    for name, entry in curves.items():
        if not isinstance(entry, (tuple, list)) or len(entry) not in sizes:
            sequence = isinstance(entry, (tuple, list))
            got = f"{len(entry)} items" if sequence else type(entry).__name__
            raise TypeError(f"{where}(curves[{name!r}]): expected {shape}, got {got}.")
    return dict(curves)


def _check_total(members: np.ndarray, weights: np.ndarray | None, where: str, what: str) -> None:
    """A rate of `what` (a class, or the rest) is defined only if its samples weigh > 0."""
    total = members.sum() if weights is None else weights[members].sum()
    if total > 0:
        return
    if weights is None or not members.any():
        raise ValueError(f"{where}: no {what} sample among the {len(members)} labels, so its "
                         "ROC curve is undefined. Use a larger or stratified test set.")
    raise ValueError(f"{where} sample_weight: the {what} weights sum to {total:.6g} <= 0, so "
                     "its rate, and the ROC curve, is undefined. Negative generator weights "
                     "must leave every class a positive total; check the weights.")


def _class_scores(y_true: Any, scores: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Class indices (n,) in 0..C-1 and finite scores (n, C), C >= 3."""
    y_true, scores = np.asarray(y_true), np.asarray(scores)
    classes = scores.shape[1]
    if y_true.shape != (len(scores),):
        raise ValueError(f"{where}: expected y_true (n,) and scores (n, C) of equal length, got "
                         f"shapes {y_true.shape} and {scores.shape}.")
    whole = y_true.dtype.kind in "biu" or (
        y_true.dtype.kind == "f" and np.all(np.isfinite(y_true)) and np.all(y_true % 1 == 0))
    if not whole or y_true.min() < 0 or y_true.max() >= classes:
        shown = np.unique(y_true)[:10].tolist()
        raise ValueError(f"{where}: scores have {classes} columns, so y_true must hold class "
                         f"indices 0..{classes - 1}, got values {shown}. Encode text labels "
                         "with jaxnn.data.LabelEncoder.")
    if scores.dtype.kind not in "biuf" or not np.all(np.isfinite(scores)):
        raise ValueError(f"{where}: scores must be finite numbers; drop or fix the NaN/inf "
                         "samples.")
    return y_true.astype(int), scores.astype(float)


def _binary_line(name: str, entry: tuple, keep_every_point: bool, where: str) -> _Line:
    y_true, scores = binary_scores(entry[0], entry[1], where)
    weights = event_weights(entry[2] if len(entry) == 3 else None, len(y_true),
                            f"{where} sample_weight")
    _check_total(y_true == 1, weights, where, "signal (1)")
    _check_total(y_true == 0, weights, where, "background (0)")
    fpr, tpr, _ = metrics.roc_curve(y_true, scores, sample_weight=weights,
                                    drop_intermediate=not keep_every_point)
    area = metrics.roc_auc_score(y_true, scores, sample_weight=weights)
    return _Line(f"{name} (AUC = {area:.3f})", fpr, tpr)


def _class_lines(name: str, entry: tuple, keep_every_point: bool, class_names: list | None,
                 line_style: str, where: str) -> list[_Line]:
    y_true, scores = _class_scores(entry[0], entry[1], where)
    classes = scores.shape[1]
    weights = event_weights(entry[2] if len(entry) == 3 else None, len(y_true),
                            f"{where} sample_weight")
    if class_names is not None and len(class_names) != classes:
        raise ValueError(f"roc(class_names=...): {len(class_names)} names, but "
                         f"curves[{name!r}] has scores for {classes} classes; give one name "
                         "per score column.")
    names = [f"class {c}" for c in range(classes)] if class_names is None else class_names
    for c in range(classes):
        _check_total(y_true == c, weights, where, f"{names[c]!r} ({c})")
        _check_total(y_true != c, weights, where, f"not-{names[c]!r} (rest)")
    curves = metrics.roc_curves(y_true, scores, sample_weight=weights,
                                drop_intermediate=not keep_every_point)
    lines = []
    for c, (fpr, tpr, _) in curves.items():
        area = metrics.roc_auc_score(y_true == c, scores[:, c], sample_weight=weights)
        lines.append(_Line(f"{name}: {names[c]} (AUC = {area:.3f})", fpr, tpr,
                           {"color": f"C{c % 10}", "linestyle": line_style}))
    return lines


def _check_class_names(class_names: Any) -> list[str] | None:
    if class_names is None:
        return None
    if isinstance(class_names, (str, bytes)) or not isinstance(class_names, Sequence | np.ndarray):
        raise TypeError(f"roc(class_names={class_names!r}): expected a list of names, one per "
                        "score column, e.g. ['pion', 'kaon', 'proton'].")
    return [str(label) for label in class_names]


def roc(
    curves: Mapping[str, tuple],
    path: str | Path | None = None,
    style: str = "tpr_fpr",
    ax: Axes | None = None,
    class_names: Sequence[str] | None = None,
) -> Figure:
    """ROC curves of several classifiers, each labelled with its AUC, with event weights.

    Binary scores give one curve per model. Multi-class scores ``(n, C)``, C >= 3, give one
    one-vs-rest curve per class (class c as the signal, every other class as background,
    from `jaxnn.metrics.roc_curves`), coloured by class, with one line style per model.

        plot.roc({"MLP": (y_test, scores, weights)}, style="rejection")
        plot.roc({"MLP": (y_test, probabilities)}, class_names=["pion", "kaon", "proton"])

    Args:
        curves: model name -> ``(y_true, scores)`` or ``(y_true, scores, sample_weight)``:
            binary: labels ``(n,)`` in {0, 1} (1 = signal) and signal scores ``(n,)``;
            multi-class: labels ``(n,)``, class indices 0..C-1, and per-class scores
            ``(n, C)`` (e.g. `jaxnn.predict_proba`). ``sample_weight`` ``(n,)`` are event
            weights (or None): the rates become fractions of each class's summed weight, as in
            `jaxnn.metrics.roc_curve`. Negative (generator) weights are allowed as long as
            every class, and every rest of a class, keeps a total weight > 0.
        style: "tpr_fpr" (TPR against FPR, with the chance diagonal) or "rejection" (the HEP
            convention: background rejection 1 - FPR against signal efficiency TPR). The
            rejection style keeps a point at every distinct score (``drop_intermediate=False``:
            the thresholds of every working point), "tpr_fpr" drops the points inside straight
            pieces, as scikit-learn's `roc_curve` does by default.
        class_names: C names of the classes of multi-class scores (default "class 0", ...);
            the legend reads "model: name (AUC = ...)".

    Returns:
        the Figure. For precomputed ``(fpr, tpr)`` pairs use `roc_from_curves`.
    """
    _check_style(style, "roc")
    class_names = _check_class_names(class_names)
    entries = _check_curves(curves, "roc", (2, 3), "(y_true, scores) or (y_true, scores, "
                            "sample_weight)")
    keep_every_point = style == "rejection"
    lines, multi_class_models = [], 0
    for name, entry in entries.items():
        where = f"roc(curves[{name!r}])"
        if np.ndim(entry[1]) == 2 and np.shape(entry[1])[1] >= 3:
            line_style = _LINE_STYLES[multi_class_models % len(_LINE_STYLES)]
            lines += _class_lines(name, entry, keep_every_point, class_names, line_style, where)
            multi_class_models += 1
        else:
            lines.append(_binary_line(name, entry, keep_every_point, where))
    if class_names is not None and not multi_class_models:
        raise ValueError("roc(class_names=...): names the classes of multi-class scores "
                         "(n, C), but every curve is binary; name binary curves by their "
                         "key in curves instead.")
    return _roc_figure(lines, path, style, ax)


def roc_from_curves(
    curves: Mapping[str, tuple[Any, Any]],
    path: str | Path | None = None,
    style: str = "tpr_fpr",
    ax: Axes | None = None,
) -> Figure:
    """Like `roc`, from precomputed curves: model name -> ``(fpr, tpr)``, both ``(k,)``."""
    _check_style(style, "roc_from_curves")
    lines = []
    for name, (fpr, tpr) in _check_curves(curves, "roc_from_curves", (2,),
                                          "a pair (fpr, tpr)").items():
        fpr, tpr = np.asarray(fpr, float), np.asarray(tpr, float)
        if fpr.ndim != 1 or fpr.shape != tpr.shape or len(fpr) < 2:
            raise ValueError(
                f"roc_from_curves(curves[{name!r}]): expected fpr and tpr of equal "
                f"length >= 2, got shapes {fpr.shape} and {tpr.shape}."
            )
        if np.any(np.diff(fpr) < 0) or fpr.min() < 0 or fpr.max() > 1:
            raise ValueError(
                f"roc_from_curves(curves[{name!r}]): fpr must rise from 0 to 1 "
                "(as from jaxnn.metrics.roc_curve); did you pass (y_true, scores)? "
                "Then use jaxnn.plot.roc."
            )
        lines.append(_Line(f"{name} (AUC = {metrics.auc(fpr, tpr):.3f})", fpr, tpr))
    return _roc_figure(lines, path, style, ax)
