"""Working points of a selection, as a physics analysis quotes them: background rejection at a
given signal efficiency, and signal efficiency at a given background rejection, with event
weights (negative generator weights included)."""

from __future__ import annotations

from typing import Any

import numpy as np

from jaxnn.metrics._checks import sample_weights, to_numpy
from jaxnn.metrics._curve import binary_truth, curve_counts, score_array

_REJECTIONS = ("complement", "inverse")


def _check_rejection(rejection: str, where: str) -> None:
    if not isinstance(rejection, str) or rejection not in _REJECTIONS:
        raise ValueError(f"{where}(rejection={rejection!r}): expected 'complement' (1 - FPR) or "
                         "'inverse' (1 / FPR).")


def _targets(values: Any, argument: str, low: float, high: float) -> np.ndarray:
    array = to_numpy(values, argument)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"{argument}: expected a number or an array of numbers, got dtype "
                        f"{array.dtype}.")
    array = array.astype(np.float64)
    if np.isnan(array).any() or (array < low).any() or (array > high).any():
        bad = array[np.isnan(array) | (array < low) | (array > high)].flat[0]
        raise ValueError(f"{argument}: expected values in [{low}, {high}], got {bad}.")
    return array


def _result(values: np.ndarray) -> float | np.ndarray:
    return float(values) if values.ndim == 0 else values


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator),
                     where=denominator != 0)


def _rates(y_true: Any, scores: Any, sample_weight: Any, pos_label: Any, where: str
           ) -> tuple[np.ndarray, np.ndarray]:
    """(fpr, tpr) at every threshold, from (0, 0), all points kept; an error if a class is
    missing or its weights sum to <= 0 (then its rate is undefined)."""
    positive = binary_truth(y_true, where, pos_label)
    score = score_array(scores, where, len(positive))
    weights = sample_weights(sample_weight, len(positive), where)
    fps, tps, _ = curve_counts(positive, score, weights, where)
    for total, name, label, rate in ((fps[-1], "background", "0", "false positive rate"),
                                     (tps[-1], "signal", "1", "signal efficiency")):
        if total > 0:
            continue
        if weights is None or not (positive == (name == "signal")).any():
            raise ValueError(f"{where}(y_true=...): ROC needs both classes, but no {name} "
                             f"({label}) sample is present among {len(positive)} labels.")
        raise ValueError(f"{where}(sample_weight=...): the {name} weights sum to {total:.6g} "
                         f"<= 0, so the {rate} (a fraction of that sum) is undefined. Check "
                         f"the {name} event weights.")
    return np.r_[0.0, fps / fps[-1]], np.r_[0.0, tps / tps[-1]]


def background_rejection(
    y_true: Any, scores: Any, signal_efficiency: Any, rejection: str = "complement", *,
    sample_weight: Any = None, pos_label: Any = None,
) -> float | np.ndarray:
    """Background rejection at a working point of given signal efficiency.

    The working point is where the ROC curve first reaches TPR = `signal_efficiency` (the
    highest threshold doing so), interpolated linearly along the curve between its points; where
    the curve is flat in TPR this takes the smallest FPR that reaches the efficiency. With
    weights, the rates are fractions of the summed signal and background weights; negative
    weights are allowed and can make the rates non-monotonic in the threshold: the working point
    is still the first point along the curve (from the highest threshold down) that reaches
    the efficiency, and the FPR there may fall outside [0, 1]. A class whose weights sum to
    <= 0 is an error: its rate is undefined.

    Args:
        y_true: (samples,) binary labels, 1 = signal, 0 (or -1) = background; any labels with
            `pos_label`.
        scores: (samples,) finite scores, higher = more signal-like.
        signal_efficiency: a number or an array of any shape, values in [0, 1].
        rejection: "complement" gives 1 - FPR (in [0, 1] without negative weights); "inverse"
            gives 1 / FPR, the HEP convention (inf where FPR = 0).
        sample_weight: (samples,) event weights, any sign.
        pos_label: the signal label, e.g. "kaon"; None means 1.

    Returns:
        A float for a scalar `signal_efficiency`, else an array of its shape.
    """
    where = "background_rejection"
    _check_rejection(rejection, where)
    efficiency = _targets(signal_efficiency, f"{where}(signal_efficiency=...)", 0, 1)
    fpr, tpr = _rates(y_true, scores, sample_weight, pos_label, where)
    # The first point with tpr >= efficiency: searched on the running maximum, which is
    # sorted even where negative weights make tpr fall back.
    upper = np.maximum(np.searchsorted(np.maximum.accumulate(tpr), efficiency, side="left"), 1)
    lower = upper - 1
    # For efficiency > 0, tpr[lower] < efficiency <= tpr[upper]; efficiency 0 is the origin.
    weight = _ratio(efficiency - tpr[lower], tpr[upper] - tpr[lower])
    false_rate = np.where(efficiency <= 0, 0.0, fpr[lower] + weight * (fpr[upper] - fpr[lower]))
    if rejection == "complement":
        return _result(1.0 - false_rate)
    with np.errstate(divide="ignore"):
        return _result(1.0 / false_rate)


def signal_efficiency(
    y_true: Any, scores: Any, background_rejection: Any, rejection: str = "complement", *,
    sample_weight: Any = None, pos_label: Any = None,
) -> float | np.ndarray:
    """Signal efficiency (TPR) at a working point of given background rejection.

    The inverse of `background_rejection`: the FPR is 1 - rejection ("complement") or
    1 / rejection ("inverse"), and the TPR is read off the ROC curve, interpolated linearly
    between its points; where the curve is vertical (several TPR at one FPR) this takes the
    largest TPR. With weights (negative ones allowed) the working point is where the curve
    first passes the FPR, going from the highest threshold down; a class whose weights sum to
    <= 0 is an error.

    Args:
        y_true: (samples,) binary labels, 1 = signal, 0 (or -1) = background; any labels with
            `pos_label`.
        scores: (samples,) finite scores, higher = more signal-like.
        background_rejection: a number or an array of any shape: in [0, 1] for "complement",
            in [1, inf] for "inverse".
        rejection: "complement" (1 - FPR) or "inverse" (1 / FPR).
        sample_weight: (samples,) event weights, any sign.
        pos_label: the signal label, e.g. "kaon"; None means 1.

    Returns:
        A float for a scalar `background_rejection`, else an array of its shape.
    """
    where = "signal_efficiency"
    _check_rejection(rejection, where)
    argument = f"{where}(background_rejection=...)"
    if rejection == "complement":
        false_rate = 1.0 - _targets(background_rejection, argument, 0, 1)
    else:
        false_rate = 1.0 / _targets(background_rejection, argument, 1, np.inf)
    fpr, tpr = _rates(y_true, scores, sample_weight, pos_label, where)
    # 1 - (1 - fpr) need not round back to fpr: a rate within rounding of an ROC point sits on it.
    snapped = false_rate + 8 * np.finfo(np.float64).eps
    # The last point before the curve first passes the rate (running maximum: see above).
    lower = np.searchsorted(np.maximum.accumulate(fpr), snapped, side="right") - 1
    upper = np.minimum(lower + 1, len(fpr) - 1)
    # fpr[lower] <= false_rate < fpr[upper], or false_rate sits on a point: take its largest TPR.
    weight = np.clip(_ratio(false_rate - fpr[lower], fpr[upper] - fpr[lower]), 0.0, 1.0)
    return _result(tpr[lower] + weight * (tpr[upper] - tpr[lower]))
