"""Classification metrics on the host: confusion matrix, accuracy, precision, recall, F1, ROC,
AUC, background rejection and signal efficiency.

Inputs may be NumPy or JAX arrays (or lists); results are NumPy arrays or Python floats. Class
labels are indices 0, 1, ... (use `jaxnn.data.LabelEncoder` for names); binary metrics take the
signal class as 1 and background as 0. Definitions follow scikit-learn (rows of the confusion
matrix are true classes; a ratio whose denominator is 0 is 0, like `zero_division=0`).

    print(classification_report(y_test, predicted, target_names=["pion", "kaon", "proton"]))
    fpr, tpr, thresholds = roc_curve(y_test, scores)
    background_rejection(y_test, scores, [0.5, 0.9])     # 1 - FPR at 50% and 90% signal eff.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jaxnn.data import _to_numpy, as_class_indices

__all__ = [
    "accuracy",
    "auc",
    "background_rejection",
    "classification_report",
    "confusion_matrix",
    "f1_score",
    "precision",
    "recall",
    "roc_auc_score",
    "roc_curve",
    "signal_efficiency",
]

_AVERAGES = ("binary", "macro", "micro", "weighted")
_REJECTIONS = ("complement", "inverse")
_MAX_ENTRIES = 2**26  # a confusion matrix beyond 8192 classes: labels are not class indices


def _class_pair(y_true: Any, y_pred: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    truth = as_class_indices(y_true, f"{where}(y_true=...)")
    predicted = as_class_indices(y_pred, f"{where}(y_pred=...)")
    if truth.shape != predicted.shape:
        raise ValueError(f"{where}: y_true and y_pred must have the same length, got "
                         f"{truth.shape[0]} and {predicted.shape[0]}.")
    return truth, predicted


def _class_stats(truth: np.ndarray, predicted: np.ndarray, labels: np.ndarray):
    """Per-label true positives, predicted counts and true counts (support); labels sorted."""
    true_codes = np.searchsorted(labels, truth)
    pred_codes = np.searchsorted(labels, predicted)
    k = len(labels)
    true_positive = np.bincount(true_codes[truth == predicted], minlength=k)
    return true_positive, np.bincount(pred_codes, minlength=k), np.bincount(true_codes, minlength=k)


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    numerator, denominator = np.asarray(numerator, float), np.asarray(denominator, float)
    return np.divide(numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None) -> np.ndarray:
    """Counts of (true class, predicted class) pairs.

    Args:
        y_true: (samples,) true class indices.
        y_pred: (samples,) predicted class indices.
        num_classes: number of classes C; None infers max label + 1.

    Returns:
        (C, C) int64 array, `[i, j]` = samples of true class i predicted as j (rows are true).
    """
    if num_classes is not None and (
        isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer))
        or num_classes < 1
    ):
        raise ValueError(f"confusion_matrix(num_classes={num_classes!r}): expected an integer "
                         ">= 1 or None.")
    truth, predicted = _class_pair(y_true, y_pred, "confusion_matrix")
    if num_classes is None:
        num_classes = int(max(truth.max(), predicted.max())) + 1
    for name, labels in (("y_true", truth), ("y_pred", predicted)):
        as_class_indices(labels, f"confusion_matrix({name}=...)", int(num_classes))
    c = int(num_classes)
    if c * c > _MAX_ENTRIES:
        raise ValueError(f"confusion_matrix: {c} classes make a {c} x {c} matrix, too large to "
                         "hold. Class labels must be indices 0 .. C-1: re-encode them with "
                         "jaxnn.data.LabelEncoder, or pass a smaller num_classes.")
    return np.bincount(truth * c + predicted, minlength=c * c).reshape(c, c)


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Fraction of samples whose predicted class equals the true class.

    Args:
        y_true: (samples,) true class indices.
        y_pred: (samples,) predicted class indices (e.g. `scores.argmax(-1)`).
    """
    truth, predicted = _class_pair(y_true, y_pred, "accuracy")
    return float(np.mean(truth == predicted))


def _precision_recall_f1(
    y_true: Any, y_pred: Any, average: str, pos_label: int, where: str
) -> tuple[float, float, float]:
    if not isinstance(average, str) or average not in _AVERAGES:
        raise ValueError(f"{where}(average={average!r}): expected one of {list(_AVERAGES)}.")
    truth, predicted = _class_pair(y_true, y_pred, where)
    present = np.union1d(truth, predicted)
    if average == "binary":
        if len(present) > 2:
            raise ValueError(f"{where}(average='binary'): y_true and y_pred hold "
                             f"{len(present)} classes {present.tolist()[:10]}; binary averaging "
                             "needs two. Use average='macro', 'micro' or 'weighted'.")
        if isinstance(pos_label, bool) or not isinstance(pos_label, (int, np.integer)):
            raise TypeError(f"{where}(pos_label={pos_label!r}): expected an integer class label.")
        if len(present) == 2 and pos_label not in present:
            raise ValueError(f"{where}(pos_label={pos_label}): not one of the labels "
                             f"{present.tolist()}. Pass the signal class as pos_label.")
        tp = np.sum((truth == pos_label) & (predicted == pos_label))
        pred_sum, true_sum = np.sum(predicted == pos_label), np.sum(truth == pos_label)
    else:
        tp, pred_sum, true_sum = _class_stats(truth, predicted, present)
        if average == "micro":
            tp, pred_sum, true_sum = tp.sum(), pred_sum.sum(), true_sum.sum()
    scores = (_ratio(tp, pred_sum), _ratio(tp, true_sum), _ratio(2 * tp, pred_sum + true_sum))
    if average in ("macro", "weighted"):
        weights = true_sum if average == "weighted" else np.ones_like(true_sum)
        return tuple(float(np.average(s, weights=weights)) for s in scores)
    return tuple(float(s) for s in scores)


def precision(y_true: Any, y_pred: Any, average: str = "binary", pos_label: int = 1) -> float:
    """Precision TP / (TP + FP): of the samples predicted in a class, the fraction truly in it.

    Args:
        y_true: (samples,) true class indices.
        y_pred: (samples,) predicted class indices.
        average: "binary" (the `pos_label` class only; at most two classes), "macro" (mean over
            classes present in y_true or y_pred), "micro" (pooled counts; equals accuracy for
            single-label data) or "weighted" (mean weighted by each class's true count).
        pos_label: the positive (signal) class for average="binary".
    """
    return _precision_recall_f1(y_true, y_pred, average, pos_label, "precision")[0]


def recall(y_true: Any, y_pred: Any, average: str = "binary", pos_label: int = 1) -> float:
    """Recall TP / (TP + FN) (the efficiency): of the samples truly in a class, the fraction found.

    Arguments as for `precision`.
    """
    return _precision_recall_f1(y_true, y_pred, average, pos_label, "recall")[1]


def f1_score(y_true: Any, y_pred: Any, average: str = "binary", pos_label: int = 1) -> float:
    """F1 = 2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall.

    Arguments as for `precision`; "macro" and "weighted" average the per-class F1 values.
    """
    return _precision_recall_f1(y_true, y_pred, average, pos_label, "f1_score")[2]


def _binary_scores(y_true: Any, scores: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Check binary 0/1 labels with both classes present and finite 1-D scores of equal length."""
    labels = _to_numpy(y_true, f"{where}(y_true=...)")
    if labels.dtype == object or labels.dtype.kind not in "biuf":
        raise TypeError(f"{where}(y_true=...): expected binary labels 0/1, got dtype "
                        f"{labels.dtype}. Encode the signal class as 1 and background as 0 "
                        "(jaxnn.data.LabelEncoder).")
    if labels.ndim != 1:
        raise ValueError(f"{where}(y_true=...): expected a 1-D array of labels, got shape "
                         f"{labels.shape}.")
    values = np.unique(labels)
    if not np.all(np.isin(values, (0, 1))):
        raise ValueError(f"{where}(y_true=...): expected binary labels 0/1, got values "
                         f"{values.tolist()[:10]}. Encode the signal class as 1 and background as "
                         "0 (jaxnn.data.LabelEncoder).")
    if len(values) < 2:
        missing = "signal (1)" if values.tolist() == [0] else "background (0)"
        raise ValueError(f"{where}(y_true=...): ROC needs both classes, but no {missing} sample "
                         f"is present among {labels.shape[0]} labels.")
    score = _to_numpy(scores, f"{where}(scores=...)")
    if score.dtype == object or score.dtype.kind not in "biuf":
        raise TypeError(f"{where}(scores=...): expected numeric scores, got dtype {score.dtype}.")
    if score.ndim != 1:
        hint = (" For per-class outputs pass the signal column, e.g. scores[:, 1]."
                if score.ndim == 2 else "")
        raise ValueError(f"{where}(scores=...): expected a 1-D array of scores, got shape "
                         f"{score.shape}.{hint}")
    if score.shape != labels.shape:
        raise ValueError(f"{where}: y_true and scores must have the same length, got "
                         f"{labels.shape[0]} and {score.shape[0]}.")
    score = score.astype(np.float64)
    finite = np.isfinite(score)
    if not finite.all():
        raise ValueError(f"{where}(scores=...): {int((~finite).sum())} NaN/inf score(s), the "
                         f"first at index {int(np.argmin(finite))}. Check the model output.")
    return labels.astype(np.int64), score


def roc_curve(y_true: Any, scores: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Receiver operating characteristic over every distinct score threshold.

    A sample is called signal when `score >= threshold`. The curve starts at (0, 0) with
    threshold +inf and has one point per distinct score, highest first (scikit-learn's
    `roc_curve(..., drop_intermediate=False)`); tied scores move along a diagonal segment.

    Args:
        y_true: (samples,) binary labels, 1 = signal, 0 = background (ints, bools or 0./1.).
        scores: (samples,) finite scores, higher = more signal-like.

    Returns:
        fpr: (points,) false positive rate (background efficiency), non-decreasing, 0 to 1.
        tpr: (points,) true positive rate (signal efficiency), non-decreasing, 0 to 1.
        thresholds: (points,) decreasing thresholds, the first +inf.
    """
    labels, score = _binary_scores(y_true, scores, "roc_curve")
    order = np.argsort(-score, kind="stable")
    score, labels = score[order], labels[order]
    last_of_each = np.append(np.flatnonzero(np.diff(score)), len(score) - 1)
    true_positives = np.cumsum(labels)[last_of_each]
    false_positives = last_of_each + 1 - true_positives
    tpr = np.append(0.0, true_positives) / true_positives[-1]
    fpr = np.append(0.0, false_positives) / false_positives[-1]
    return fpr, tpr, np.append(np.inf, score[last_of_each])


def _points(values: Any, argument: str) -> np.ndarray:
    array = _to_numpy(values, argument)
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
    x, y = _points(x, "auc(x=...)"), _points(y, "auc(y=...)")
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"auc: x and y need the same length >= 2, got {x.size} and {y.size}.")
    steps = np.diff(x)
    if np.all(steps <= 0):
        direction = -1.0
    elif np.all(steps >= 0):
        direction = 1.0
    else:
        raise ValueError("auc(x=...): x must be monotonic (increasing or decreasing), e.g. the "
                         "fpr from roc_curve. Did you swap x and y?")
    return direction * float(np.trapezoid(y, x))


def roc_auc_score(y_true: Any, scores: Any) -> float:
    """Area under the ROC curve: the probability that a random signal sample scores above a
    random background sample (ties count one half).

    Args:
        y_true: (samples,) binary labels, 1 = signal, 0 = background.
        scores: (samples,) finite scores, higher = more signal-like.
    """
    fpr, tpr, _ = roc_curve(y_true, scores)
    return auc(fpr, tpr)


def _check_rejection(rejection: str, where: str) -> None:
    if not isinstance(rejection, str) or rejection not in _REJECTIONS:
        raise ValueError(f"{where}(rejection={rejection!r}): expected 'complement' (1 - FPR) or "
                         "'inverse' (1 / FPR).")


def _targets(values: Any, argument: str, low: float, high: float) -> np.ndarray:
    array = _to_numpy(values, argument)
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


def background_rejection(
    y_true: Any, scores: Any, signal_efficiency: Any, rejection: str = "complement"
) -> float | np.ndarray:
    """Background rejection at a working point of given signal efficiency.

    The working point is where the ROC curve first reaches TPR = `signal_efficiency` (the
    highest threshold doing so), interpolated linearly along the curve between its points; where
    the curve is flat in TPR this takes the smallest FPR that reaches the efficiency.

    Args:
        y_true: (samples,) binary labels, 1 = signal, 0 = background.
        scores: (samples,) finite scores, higher = more signal-like.
        signal_efficiency: a number or an array of any shape, values in [0, 1].
        rejection: "complement" gives 1 - FPR (in [0, 1]); "inverse" gives 1 / FPR, the HEP
            convention (inf where FPR = 0).

    Returns:
        A float for a scalar `signal_efficiency`, else an array of its shape.
    """
    _check_rejection(rejection, "background_rejection")
    efficiency = _targets(signal_efficiency, "background_rejection(signal_efficiency=...)", 0, 1)
    fpr, tpr, _ = roc_curve(y_true, scores)
    upper = np.maximum(np.searchsorted(tpr, efficiency, side="left"), 1)
    lower = upper - 1
    # For efficiency > 0, tpr[lower] < efficiency <= tpr[upper]; efficiency 0 is the origin.
    weight = _ratio(efficiency - tpr[lower], tpr[upper] - tpr[lower])
    false_rate = np.where(efficiency <= 0, 0.0, fpr[lower] + weight * (fpr[upper] - fpr[lower]))
    if rejection == "complement":
        return _result(1.0 - false_rate)
    with np.errstate(divide="ignore"):
        return _result(1.0 / false_rate)


def signal_efficiency(
    y_true: Any, scores: Any, background_rejection: Any, rejection: str = "complement"
) -> float | np.ndarray:
    """Signal efficiency (TPR) at a working point of given background rejection.

    The inverse of `background_rejection`: the FPR is 1 - rejection ("complement") or
    1 / rejection ("inverse"), and the TPR is read off the ROC curve, interpolated linearly
    between its points; where the curve is vertical (several TPR at one FPR) this takes the
    largest TPR.

    Args:
        y_true: (samples,) binary labels, 1 = signal, 0 = background.
        scores: (samples,) finite scores, higher = more signal-like.
        background_rejection: a number or an array of any shape: in [0, 1] for "complement",
            in [1, inf] for "inverse".
        rejection: "complement" (1 - FPR) or "inverse" (1 / FPR).

    Returns:
        A float for a scalar `background_rejection`, else an array of its shape.
    """
    _check_rejection(rejection, "signal_efficiency")
    argument = "signal_efficiency(background_rejection=...)"
    if rejection == "complement":
        false_rate = 1.0 - _targets(background_rejection, argument, 0, 1)
    else:
        false_rate = 1.0 / _targets(background_rejection, argument, 1, np.inf)
    fpr, tpr, _ = roc_curve(y_true, scores)
    # 1 - (1 - fpr) need not round back to fpr: a rate within rounding of an ROC point sits on it.
    snapped = false_rate + 8 * np.finfo(np.float64).eps
    lower = np.searchsorted(fpr, snapped, side="right") - 1
    upper = np.minimum(lower + 1, len(fpr) - 1)
    # fpr[lower] <= false_rate < fpr[upper], or false_rate sits on a point: take its largest TPR.
    weight = np.clip(_ratio(false_rate - fpr[lower], fpr[upper] - fpr[lower]), 0.0, 1.0)
    return _result(tpr[lower] + weight * (tpr[upper] - tpr[lower]))


def classification_report(
    y_true: Any, y_pred: Any, target_names: Sequence[str] | None = None, digits: int = 3
) -> str:
    """A text table of precision, recall, F1 and support per class, with accuracy and the macro
    and weighted averages, laid out like scikit-learn's. Show it with `print(...)`.

    Args:
        y_true: (samples,) true class indices.
        y_pred: (samples,) predicted class indices.
        target_names: a name per class index 0 .. C-1 (e.g. `LabelEncoder().classes_`); every
            label must be < len(target_names). None lists the classes present, by index.
        digits: decimals shown.
    """
    if isinstance(digits, bool) or not isinstance(digits, (int, np.integer)) or digits < 0:
        raise ValueError(f"classification_report(digits={digits!r}): expected an integer >= 0.")
    truth, predicted = _class_pair(y_true, y_pred, "classification_report")
    if target_names is None:
        labels = np.union1d(truth, predicted)
        names = [str(label) for label in labels]
    else:
        if isinstance(target_names, str) or not (
                isinstance(target_names, Sequence)
                or (isinstance(target_names, np.ndarray) and target_names.ndim == 1)):
            raise TypeError(f"classification_report(target_names={target_names!r}): expected a "
                            "list of class names, e.g. ['pion', 'kaon'].")
        names = [str(name) for name in target_names]
        if not names:
            raise ValueError("classification_report(target_names=...): expected one name per "
                             "class, got none.")
        for name, values in (("y_true", truth), ("y_pred", predicted)):
            as_class_indices(values, f"classification_report({name}=...) with "
                             f"{len(names)} target_names", len(names))
        labels = np.arange(len(names))
    tp, pred_sum, true_sum = _class_stats(truth, predicted, labels)
    per_class = (_ratio(tp, pred_sum), _ratio(tp, true_sum), _ratio(2 * tp, pred_sum + true_sum))
    total = int(true_sum.sum())

    width = max(max(len(name) for name in names), len("weighted avg"), digits)
    row = "{:>{width}s} " + " {:>9.{digits}f}" * 3 + " {:>9}\n"
    header = ("{:>{width}s} " + " {:>9}" * 4).format(
        "", "precision", "recall", "f1-score", "support", width=width
    )
    lines = [header + "\n\n"]
    for i, name in enumerate(names):
        values = (s[i] for s in per_class)
        lines.append(row.format(name, *values, int(true_sum[i]), width=width, digits=digits))
    lines.append("\n")
    lines.append(("{:>{width}s} " + " {:>9}" * 2 + " {:>9.{digits}f} {:>9}\n").format(
        "accuracy", "", "", tp.sum() / total, total, width=width, digits=digits))
    for heading, weights in (("macro avg", np.ones(len(labels))), ("weighted avg", true_sum)):
        averages = (np.average(s, weights=weights) for s in per_class)
        lines.append(row.format(heading, *averages, total, width=width, digits=digits))
    return "".join(lines)
