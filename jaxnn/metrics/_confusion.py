"""Counting metrics of predicted classes: confusion matrix, accuracy, precision, recall, F1.

All take `sample_weight=` (event weights, any sign) and follow scikit-learn's definitions; see
`jaxnn.metrics` for the label conventions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jaxnn.metrics._checks import (
    Encoded,
    check_zero_division,
    divide,
    encode_pair,
    is_text,
    nan_average,
    warn,
    weighted_count,
)
from jaxnn.validate import check_bool, check_int

_AVERAGES = ("binary", "micro", "macro", "weighted", None)
_NORMALIZE = ("true", "pred", "all", None)
_MAX_ENTRIES = 2**26  # a confusion matrix beyond 8192 classes: labels are not class indices
_ILL_DEFINED = ("{} ill-defined and being set to 0.0 {{}} no {} samples. Use `zero_division` "
                "parameter to control this behavior.")


def _matrix_labels(encoded: Encoded, num_classes: int | None, where: str) -> tuple[
        np.ndarray, np.ndarray, int]:
    """Row/column index of every sample's true and predicted class (-1: not counted) and C."""
    if encoded.indices:  # jaxnn: class indices, the matrix has max label + 1 rows
        true = encoded.classes[encoded.true].astype(np.int64)
        pred = encoded.classes[encoded.pred].astype(np.int64)
        size = int(encoded.classes.max()) + 1 if num_classes is None else num_classes
        for name, values in (("y_true", true), ("y_pred", pred)):
            if values.max() >= size:
                raise ValueError(f"{where}({name}=...): expected class labels in [0, {size}) "
                                 f"for num_classes={size}, got {int(values.max())}. Raise "
                                 "num_classes or leave it None to infer max label + 1.")
        return true, pred, size
    if num_classes is not None:
        raise TypeError(f"{where}(num_classes={num_classes}): num_classes sizes a matrix of class "
                        "indices; with text labels or labels=, pass labels=[...] instead.")
    order = np.arange(len(encoded.classes)) if encoded.chosen is None else encoded.chosen
    position = np.full(len(encoded.classes), -1)
    position[order] = np.arange(len(order))
    true, pred = position[encoded.true], position[encoded.pred]
    if encoded.chosen is not None and not (true >= 0).any():
        raise ValueError(f"{where}(labels=...): At least one label specified must be in y_true; "
                         f"none of {encoded.classes[encoded.chosen].tolist()[:10]} is.")
    return true, pred, len(order)


def confusion_matrix(y_true: Any, y_pred: Any, num_classes: int | None = None, *,
                     labels: Any = None, sample_weight: Any = None,
                     normalize: str | None = None) -> np.ndarray:
    """Counts (or summed weights) of (true class, predicted class) pairs.

    jaxnn's convention: integer labels are class indices, and the matrix has `num_classes` (by
    default max label + 1) rows, so a class absent from the data still gets its row.
    scikit-learn's convention applies to text labels and whenever `labels=` is given: the rows
    are the sorted labels present (or `labels`, in that order), and samples whose label is not
    in `labels` are left out.

    Args:
        y_true: (samples,) true classes (indices 0 .. C-1, or text).
        y_pred: (samples,) predicted classes.
        num_classes: number of classes C for class indices; None infers max label + 1.
        labels: (C,) the classes to list, in order (scikit-learn's `labels`).
        sample_weight: (samples,) event weights; entries are then summed weights.
        normalize: None (counts), "true" (each row sums to 1: the rate of each prediction
            per true class), "pred" (each column sums to 1) or "all" (the matrix sums to 1);
            a 0/0 entry is 0.

    Returns:
        (C, C) array, `[i, j]` = samples of true class i predicted as j (rows are true). int64
        for counts and integer weights, float64 for float weights or `normalize`.
    """
    where = "confusion_matrix"
    if not (normalize is None or isinstance(normalize, str)) or normalize not in _NORMALIZE:
        raise ValueError(f"{where}(normalize={normalize!r}): expected 'true', 'pred', 'all' or "
                         "None.")
    if num_classes is not None:
        num_classes = check_int(num_classes, f"{where}(num_classes=...)", minimum=1)
        if labels is not None:
            raise TypeError(f"{where}: pass num_classes or labels, not both.")
    encoded = encode_pair(y_true, y_pred, where, labels=labels, sample_weight=sample_weight)
    true, pred, size = _matrix_labels(encoded, num_classes, where)
    if size * size > _MAX_ENTRIES:
        raise ValueError(f"{where}: {size} classes make a {size} x {size} matrix, too large to "
                         "hold. Class labels must be indices 0 .. C-1: re-encode them with "
                         "jaxnn.data.LabelEncoder, or pass a smaller num_classes.")
    kept = (true >= 0) & (pred >= 0)
    cells = true[kept] * size + pred[kept]
    weights = None if encoded.weights is None else encoded.weights[kept]
    if weights is None:
        matrix = np.bincount(cells, minlength=size * size)
    elif weights.dtype.kind == "i":  # summed exactly in int64 (wrapping as NumPy integers do)
        matrix = np.zeros(size * size, np.int64)
        np.add.at(matrix, cells, weights)
    else:
        matrix = np.bincount(cells, weights=weights, minlength=size * size)
    matrix = matrix.reshape(size, size)
    if normalize is not None:
        axis = {"true": 1, "pred": 0, "all": None}[normalize]
        with np.errstate(all="ignore"):
            matrix = np.nan_to_num(matrix / matrix.sum(axis=axis, keepdims=axis is not None))
    if matrix.shape == (1, 1):
        warn("A single label was found in 'y_true' and 'y_pred'. For the confusion matrix to "
             "have the correct shape, use the 'labels' parameter (or num_classes) to pass all "
             f"known labels ({where}).", UserWarning)
    return matrix


def accuracy(y_true: Any, y_pred: Any, *, normalize: bool = True,
             sample_weight: Any = None) -> float:
    """Fraction of samples (or of the total weight) whose predicted class equals the true one.

    Args:
        y_true: (samples,) true classes (integers, booleans or text).
        y_pred: (samples,) predicted classes (e.g. `scores.argmax(-1)`).
        normalize: False gives the number (or summed weight) of correct samples instead.
        sample_weight: (samples,) event weights.
    """
    where = "accuracy"
    normalize = check_bool(normalize, f"{where}(normalize=...)")
    encoded = encode_pair(y_true, y_pred, where, sample_weight=sample_weight, indices=False)
    correct = (encoded.true == encoded.pred).astype(np.float64)
    weights = np.ones_like(correct) if encoded.weights is None else encoded.weights
    if not normalize:
        return float(np.sum(weights * correct))
    total = float(np.sum(weights))
    if total == 0:
        raise ValueError(f"{where}(sample_weight=...): the weights sum to 0, so the weighted "
                         "accuracy is undefined. Pass normalize=False for the correct weight.")
    return float(np.sum(weights * correct) / total)


def _check_average(average: Any, where: str) -> None:
    if average is None or (isinstance(average, str) and average in _AVERAGES):
        return
    if isinstance(average, str) and average == "samples":
        raise ValueError(f"{where}(average='samples'): sample-wise averaging is for "
                         "multilabel targets, which jaxnn does not support. Use 'binary', "
                         "'micro', 'macro', 'weighted' or None.")
    raise ValueError(f"{where}(average={average!r:.60}): expected one of {list(_AVERAGES)}.")


def _check_pos_label_type(pos_label: Any, where: str) -> None:
    if not (pos_label is None or isinstance(pos_label, (str, int, float, np.generic))):
        raise TypeError(f"{where}(pos_label={pos_label!r:.60}): expected a class label (an "
                        "integer, a boolean or text), or None.")


def _check_pos_label(pos_label: Any, encoded: Encoded, where: str) -> None:
    text = is_text(encoded.classes)
    kind_ok = (isinstance(pos_label, (str, np.str_)) if text else
               isinstance(pos_label, (int, float, np.integer, np.floating, np.bool_)))
    if not kind_ok or (not text and float(pos_label) != round(float(pos_label))):
        wanted = "a text label such as 'kaon'" if text else "an integer class label"
        raise TypeError(f"{where}(pos_label={pos_label!r}): expected {wanted}, like the labels "
                        "of y_true and y_pred.")


def _binary_selection(encoded: Encoded, pos_label: Any, where: str) -> np.ndarray:
    """The code of `pos_label` (or an out-of-range code when it is absent), as a 1-array."""
    present = encoded.classes[encoded.present]
    if len(present) > 2:
        raise ValueError(f"{where}(average='binary'): y_true and y_pred hold {len(present)} "
                         f"classes {present.tolist()[:10]}, and binary averaging needs two. "
                         "Target is multiclass but average='binary'. Please choose another "
                         "average setting, one of [None, 'micro', 'macro', 'weighted'].")
    _check_pos_label(pos_label, encoded, where)
    found = np.flatnonzero(encoded.classes == pos_label)
    if len(found) == 0 or found[0] not in encoded.present:
        if len(present) == 2:
            raise ValueError(f"{where}(pos_label={pos_label!r}): pos_label={pos_label!r} is not "
                             f"a valid label. It should be one of {present.tolist()}. Pass the "
                             "signal class as pos_label.")
        return np.array([len(encoded.classes)])  # counts nothing: every ratio is 0/0
    return found[:1]


def precision_recall_f1_support(
    y_true: Any, y_pred: Any, *, average: str | None, pos_label: Any, labels: Any,
    sample_weight: Any, zero_division: Any, where: str, warn_for: tuple[str, ...],
) -> tuple[Any, Any, Any, np.ndarray | None]:
    """Precision, recall, F1 and support (summed weight per true class) as scikit-learn's
    `precision_recall_fscore_support`: floats for an `average`, else arrays per label."""
    _check_average(average, where)
    _check_pos_label_type(pos_label, where)
    check_zero_division(zero_division, where)
    encoded = encode_pair(y_true, y_pred, where, labels=labels, sample_weight=sample_weight,
                          indices=False)
    if average == "binary":
        chosen = _binary_selection(encoded, pos_label, where)
    else:
        if pos_label not in (None, 1):
            warn(f"Note that pos_label (set to {pos_label!r}) is ignored when average != "
                 f"'binary' (got {average!r}). You may use labels=[pos_label] to specify a "
                 f"single positive class ({where}).", UserWarning)
        chosen = encoded.present if encoded.chosen is None else encoded.chosen
    size = len(encoded.classes) + 1
    hit = encoded.true == encoded.pred
    weights = encoded.weights
    tp = weighted_count(encoded.true[hit], None if weights is None else weights[hit], size)
    pred_sum = weighted_count(encoded.pred, weights, size)
    true_sum = weighted_count(encoded.true, weights, size)
    tp, pred_sum, true_sum = tp[chosen], pred_sum[chosen], true_sum[chosen]
    if average == "micro":
        tp, pred_sum, true_sum = tp.sum(keepdims=True), pred_sum.sum(keepdims=True), \
            true_sum.sum(keepdims=True)

    def message(metric: str, modifier: str) -> str | None:
        return f"{where}: " + _ILL_DEFINED.format(metric.capitalize() + " is", modifier) \
            if metric in warn_for else None

    precision_ = divide(tp, pred_sum, zero_division, message("precision", "predicted"))
    recall_ = divide(tp, true_sum, zero_division, message("recall", "true"))
    f1 = divide(2 * tp, pred_sum + true_sum, zero_division,
                message("f-score", "true nor predicted"))
    if average is None:
        support = true_sum.astype(np.int64) if weights is None else true_sum
        return precision_, recall_, f1, support
    average_weights = true_sum if average == "weighted" else None
    return tuple(nan_average(s, average_weights) for s in (precision_, recall_, f1)) + (None,)


def precision(y_true: Any, y_pred: Any, average: str | None = "binary", pos_label: Any = 1, *,
              labels: Any = None, sample_weight: Any = None,
              zero_division: Any = 0) -> float | np.ndarray:
    """Precision TP / (TP + FP): of the samples predicted in a class, the (weighted) fraction
    truly in it.

    Args:
        y_true: (samples,) true classes (integers, booleans or text).
        y_pred: (samples,) predicted classes.
        average: "binary" (the `pos_label` class only; at most two classes present), "micro"
            (pooled counts; equals accuracy when every class is scored), "macro" (mean over
            the classes present in y_true or y_pred, or over `labels`), "weighted" (mean
            weighted by each class's support) or None (an array, one value per class).
        pos_label: the positive (signal) class for average="binary".
        labels: (C,) the classes to score and average over, in order (scikit-learn's
            `labels`); classes absent from the data score 0/0.
        sample_weight: (samples,) event weights.
        zero_division: the value of a ratio 0/0: 0 (jaxnn's default, silent), 1, np.nan
            (left out of averages), or "warn" (0 and an `UndefinedMetricWarning`, scikit-learn's
            default).

    Returns:
        A float, or for average=None a (C,) array in the order of `labels` (default: the
        sorted classes present).
    """
    return precision_recall_f1_support(
        y_true, y_pred, average=average, pos_label=pos_label, labels=labels,
        sample_weight=sample_weight, zero_division=zero_division, where="precision",
        warn_for=("precision",))[0]


def recall(y_true: Any, y_pred: Any, average: str | None = "binary", pos_label: Any = 1, *,
           labels: Any = None, sample_weight: Any = None,
           zero_division: Any = 0) -> float | np.ndarray:
    """Recall TP / (TP + FN) (the efficiency): of the samples truly in a class, the (weighted)
    fraction found.

    Arguments and return value as for `precision`.
    """
    return precision_recall_f1_support(
        y_true, y_pred, average=average, pos_label=pos_label, labels=labels,
        sample_weight=sample_weight, zero_division=zero_division, where="recall",
        warn_for=("recall",))[1]


def f1_score(y_true: Any, y_pred: Any, average: str | None = "binary", pos_label: Any = 1, *,
             labels: Any = None, sample_weight: Any = None,
             zero_division: Any = 0) -> float | np.ndarray:
    """F1 = 2 TP / (2 TP + FP + FN), the harmonic mean of precision and recall; "macro" and
    "weighted" average the per-class F1 values.

    Arguments and return value as for `precision`.
    """
    return precision_recall_f1_support(
        y_true, y_pred, average=average, pos_label=pos_label, labels=labels,
        sample_weight=sample_weight, zero_division=zero_division, where="f1_score",
        warn_for=("f-score",))[2]
