"""The ROC curve of a binary selection, weighted or not, and the area under a curve."""

from __future__ import annotations

from typing import Any

import numpy as np

from jaxnn.metrics._checks import (
    check_length,
    is_text,
    label_array,
    sample_weights,
    to_numpy,
    warn,
)
from jaxnn.validate import check_bool

_BINARY = ([0, 1], [-1, 1], [0], [-1], [1])  # labels that need no pos_label (scikit-learn's)


def check_pos_label(pos_label: Any, labels: np.ndarray, where: str) -> None:
    """pos_label must be a label of the kind y_true holds (text or an integer)."""
    text = is_text(labels)
    if text:
        ok = isinstance(pos_label, (str, np.str_, bytes, np.bytes_))
    else:
        ok = (isinstance(pos_label, (int, float, np.integer, np.floating, np.bool_))
              and float(pos_label) == round(float(pos_label)))
    if not ok:
        wanted = "a text label such as 'kaon'" if text else "an integer label such as 1"
        raise TypeError(f"{where}(pos_label={pos_label!r}): expected {wanted}, of the kind "
                        "y_true holds.")


def binary_truth(y_true: Any, where: str, pos_label: Any = None) -> np.ndarray:
    """(samples,) bool: which samples are positive (signal). Without `pos_label`, y_true must
    hold 0/1 or -1/1 (and 1 is the signal); with it, any labels, and the rest is background."""
    labels = label_array(y_true, f"{where}(y_true=...)", indices=False)
    if pos_label is not None:
        check_pos_label(pos_label, labels, where)
        return labels == pos_label
    classes = np.unique(labels)
    if is_text(labels) or not any(np.array_equal(classes, c) for c in _BINARY):
        shown = ", ".join(repr(c) for c in classes.tolist()[:10])
        kind = " (multiclass format is not supported)" if len(classes) > 2 else ""
        raise ValueError(f"{where}(y_true=...): expected binary labels 0/1, got values "
                         f"{classes.tolist()[:10]}{kind}. y_true takes value in {{{shown}}} and "
                         "pos_label is not specified: either make y_true take value in {0, 1} "
                         "or {-1, 1} or pass pos_label explicitly (the signal class, e.g. "
                         f"pos_label={classes[-1].item()!r}).")
    return labels == 1


def score_array(scores: Any, where: str, samples: int, ndim: tuple[int, ...] = (1,)
                ) -> np.ndarray:
    """Finite numeric scores of shape (samples,) (or (samples, C) where ndim allows 2), as
    float64."""
    argument = f"{where}(scores=...)"
    score = to_numpy(scores, argument)
    if score.dtype == object or score.dtype.kind not in "biuf":
        raise TypeError(f"{argument}: expected numeric scores, got dtype {score.dtype}.")
    if score.ndim not in ndim:
        hint = (" For per-class outputs of a binary classifier pass the signal column, e.g. "
                "scores[:, 1]." if score.ndim == 2 else "")
        raise ValueError(f"{argument}: expected a {' or '.join(f'{d}-D' for d in ndim)} array "
                         f"of scores, got shape {score.shape}.{hint}")
    check_length(samples, score.shape[0], where, ("y_true", "scores"))
    score = score.astype(np.float64)
    finite = np.isfinite(score)
    if not finite.all():
        first = np.unravel_index(np.argmin(finite), score.shape)
        raise ValueError(f"{argument}: {int((~finite).sum())} NaN/inf score(s), the first at "
                         f"index {first[0] if score.ndim == 1 else first}. Check the model "
                         "output.")
    return score


def curve_counts(positive: np.ndarray, score: np.ndarray, weights: np.ndarray | None,
                 where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """False and true positives (summed weights) of `score >= t` at every distinct score t,
    highest first: (fps, tps, thresholds). Samples of weight 0 are left out (no threshold)."""
    if weights is not None:  # some weight is not 0 (checked by sample_weights)
        kept = weights != 0
        positive, score, weights = positive[kept], score[kept], weights[kept]
    order = np.argsort(-score, kind="stable")
    score, positive = score[order], positive[order]
    last_of_each = np.append(np.flatnonzero(np.diff(score)), len(score) - 1)
    weight = np.ones(len(score)) if weights is None else weights[order].astype(np.float64)
    tps = np.cumsum(np.where(positive, weight, 0.0))[last_of_each]
    fps = np.cumsum(np.where(positive, 0.0, weight))[last_of_each]
    return fps, tps, score[last_of_each]


def drop_collinear(fps: np.ndarray, tps: np.ndarray, thresholds: np.ndarray) -> tuple[
        np.ndarray, np.ndarray, np.ndarray]:
    """Leave out the points in the middle of a straight piece of the curve (scikit-learn's
    `drop_intermediate=True`); the curve and its area do not change."""
    if len(fps) <= 2:
        return fps, tps, thresholds
    corner = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
    return fps[corner], tps[corner], thresholds[corner]


def rate(counts: np.ndarray, where: str, missing: str) -> np.ndarray:
    """counts / total (the last entry); NaN and a warning if the total is <= 0."""
    if counts[-1] <= 0:
        warn(f"No {missing} samples in y_true, {'false' if missing == 'negative' else 'true'} "
             f"positive value should be meaningless ({where}: the {missing} class has no "
             "sample, or its weights sum to <= 0).")
        return np.full(counts.shape, np.nan)
    return counts / counts[-1]


def roc_points(positive: np.ndarray, score: np.ndarray, weights: np.ndarray | None, where: str,
               drop_intermediate: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fpr, tpr, thresholds) of checked, encoded inputs."""
    fps, tps, thresholds = curve_counts(positive, score, weights, where)
    if drop_intermediate:
        fps, tps, thresholds = drop_collinear(fps, tps, thresholds)
    fps, tps = np.r_[0.0, fps], np.r_[0.0, tps]
    return (rate(fps, where, "negative"), rate(tps, where, "positive"),
            np.r_[np.inf, thresholds])


def roc_curve(y_true: Any, scores: Any, *, pos_label: Any = None, sample_weight: Any = None,
              drop_intermediate: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Receiver operating characteristic: the (weighted) rates of a selection `score >= t`.

    The curve starts at (0, 0) with threshold +inf and has a point per distinct score, highest
    first; tied scores move along a straight segment. With `drop_intermediate=True`
    (scikit-learn's default) points in the middle of a straight piece are left out: the curve
    and its area are the same. Samples of weight 0 are left out. Negative weights are allowed:
    the rates are then not monotonic. With no signal (or no background) sample, or a
    total weight <= 0 of it, that rate is NaN and an `UndefinedMetricWarning` is issued.

    Args:
        y_true: (samples,) labels: 1 = signal and 0 (or -1) = background, ints, bools or
            whole floats; with `pos_label`, any labels (text too), the rest being background.
        scores: (samples,) finite scores, higher = more signal-like.
        pos_label: the signal label, e.g. "kaon"; None means 1.
        sample_weight: (samples,) event weights.
        drop_intermediate: leave out the points inside straight pieces of the curve.

    Returns:
        fpr: (points,) false positive rate (background efficiency), 0 to 1.
        tpr: (points,) true positive rate (signal efficiency), 0 to 1.
        thresholds: (points,) decreasing thresholds, the first +inf.
    """
    where = "roc_curve"
    drop_intermediate = check_bool(drop_intermediate, f"{where}(drop_intermediate=...)")
    positive = binary_truth(y_true, where, pos_label)
    score = score_array(scores, where, len(positive))
    weights = sample_weights(sample_weight, len(positive), where)
    return roc_points(positive, score, weights, where, drop_intermediate)


def _points(values: Any, argument: str) -> np.ndarray:
    array = to_numpy(values, argument)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"{argument}: expected numbers, got dtype {array.dtype}.")
    if array.ndim != 1:
        raise ValueError(f"{argument}: expected a 1-D array, got shape {array.shape}.")
    if not np.isfinite(array).all():
        raise ValueError(f"{argument}: contains NaN/inf.")
    return array.astype(np.float64)


def auc(x: Any, y: Any) -> float:
    """Area under the curve y(x) by the trapezoid rule.

    Args:
        x: (points,) monotonic (increasing or decreasing) abscissae, e.g. the FPR.
        y: (points,) ordinates, e.g. the TPR.

    Returns:
        The area, positive for y >= 0 whichever way x runs.
    """
    given = x
    x, y = _points(x, "auc(x=...)"), _points(y, "auc(y=...)")
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"auc: x and y need the same length >= 2 (At least 2 points are "
                         f"needed to compute area under curve), got {x.size} and {y.size}.")
    steps = np.diff(x)
    if np.all(steps <= 0):
        direction = -1.0
    elif np.all(steps >= 0):
        direction = 1.0
    else:
        raise ValueError(f"auc(x=...): x is neither increasing nor decreasing : "
                         f"{to_numpy(given, 'auc(x=...)')}. It must be "
                         "monotonic, e.g. the fpr from roc_curve. Did you swap x and y?")
    return direction * float(np.trapezoid(y, x))


def binary_auc(positive: np.ndarray, score: np.ndarray, weights: np.ndarray | None, where: str,
               max_fpr: float | None = None) -> float:
    """Area under the ROC curve of checked inputs (NaN and a warning if a class is missing);
    with `max_fpr`, scikit-learn's McClish-standardised partial area up to FPR = max_fpr."""
    fpr, tpr, _ = roc_points(positive, score, weights, where)
    if np.isnan(fpr[-1]) or np.isnan(tpr[-1]):
        return float("nan")
    if max_fpr is None or max_fpr == 1:
        # The trapezoid sum is the pair probability P(s > b) + P(s = b) / 2 for any weights;
        # with negative weights fpr need not be monotonic, and no direction check applies.
        return float(np.trapezoid(tpr, fpr))
    if weights is not None and (weights < 0).any():
        raise ValueError(f"{where}(max_fpr={max_fpr}): the partial area needs a monotonic ROC "
                         "curve, so non-negative sample weights.")
    stop = np.searchsorted(fpr, max_fpr, "right")
    tpr = np.append(tpr[:stop], np.interp(max_fpr, fpr[stop - 1:stop + 1], tpr[stop - 1:stop + 1]))
    fpr = np.append(fpr[:stop], max_fpr)
    partial = float(np.trapezoid(tpr, fpr))
    low, high = 0.5 * max_fpr**2, max_fpr  # chance and perfect partial areas
    return 0.5 * (1 + (partial - low) / (high - low))
