"""ROC AUC, binary and multi-class (one-vs-rest, one-vs-one), and per-class ROC curves."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import numpy as np

from jaxnn.metrics._checks import (
    UnsupportedOptionError,
    check_labels,
    is_text,
    label_array,
    sample_weights,
    warn,
)
from jaxnn.metrics._curve import binary_auc, roc_points, score_array
from jaxnn.validate import check_bool, check_number

_MULTI_CLASS = ("raise", "ovr", "ovo")
_BINARY_AVERAGES = (None, "micro", "macro", "weighted", "samples")


def _one_vs_rest(positive: np.ndarray, score: np.ndarray, weights: np.ndarray | None,
                 where: str, max_fpr: float | None = None) -> float:
    """AUC of one class against the rest; NaN and a warning if y_true holds one class only."""
    if positive.all() or not positive.any():
        warn(f"Only one class is present in y_true. ROC AUC score is not defined in that case "
             f"({where}).")
        return float("nan")
    return binary_auc(positive, score, weights, where, max_fpr)


def _check_max_fpr(max_fpr: Any, where: str) -> float | None:
    if max_fpr is None:
        return None
    return check_number(max_fpr, f"{where}(max_fpr=...)", above=0.0, maximum=1.0,
                        what="a false positive rate")


def _columns(truth: np.ndarray, score: np.ndarray, labels: Any, where: str) -> np.ndarray:
    """The class of each score column: `labels`, or the sorted classes of y_true."""
    columns = score.shape[1]
    if labels is None:
        classes = np.unique(truth)
        if len(classes) != columns:
            raise ValueError(f"{where}: Number of classes in y_true not equal to the number of "
                             f"columns in 'y_score' ({len(classes)} classes "
                             f"{classes.tolist()[:10]}, {columns} columns). Pass labels=[...] "
                             "with the class of each column.")
        return classes
    classes = check_labels(labels, where, is_text(truth))
    argument = f"{where}(labels=...)"
    if not np.array_equal(np.unique(classes), classes):
        raise ValueError(f"{argument}: Parameter 'labels' must be ordered (sorted, as the "
                         "columns of scores).")
    if len(classes) != columns:
        raise ValueError(f"{argument}: Number of given labels, {len(classes)}, not equal to the "
                         f"number of columns in 'y_score', {columns}.")
    if not np.isin(truth, classes).all():
        unknown = np.setdiff1d(truth, classes)
        raise ValueError(f"{argument}: 'y_true' contains labels not in parameter 'labels': "
                         f"{unknown.tolist()[:10]}.")
    return classes


def _check_multiclass(score: np.ndarray, max_fpr: float | None, multi_class: str,
                      average: Any, where: str) -> None:
    if max_fpr is not None and max_fpr != 1.0:
        raise ValueError(f"{where}(max_fpr={max_fpr}): Partial AUC computation not available "
                         "in multiclass setting, 'max_fpr' must be set to `None`, received "
                         f"`max_fpr={max_fpr}` instead.")
    if multi_class == "raise":
        raise ValueError(f"{where}(multi_class='raise'): the input is multi-class (more than "
                         "two classes in y_true, or more than two score columns), so "
                         "multi_class must be in ('ovo', 'ovr'): 'ovr' scores each class "
                         "against the rest, 'ovo' each pair of classes (Hand & Till).")
    if score.ndim != 2:
        raise ValueError(f"{where}(scores=...): `y_score` needs to be of shape `(n_samples, "
                         f"n_classes)`, since `y_true` contains multiple classes. Got "
                         f"`y_score.shape={score.shape}`.")
    sums = score.sum(axis=1)
    if not np.allclose(1, sums):
        worst = int(np.argmax(np.abs(sums - 1)))
        raise ValueError(f"{where}(scores=...): Target scores need to be probabilities for "
                         "multiclass roc_auc, i.e. they should sum up to 1.0 over classes; row "
                         f"{worst} sums to {sums[worst]:.6g}. Use softmax probabilities, e.g. "
                         "jaxnn.predict_proba.")
    options = (("micro",) if multi_class == "ovr" else ()) + ("macro", "weighted", None)
    if not (average is None or isinstance(average, str)) or average not in options:
        raise ValueError(f"{where}(average={average!r}): average must be one of {options} for "
                         f"multiclass problems with multi_class={multi_class!r}.")
    if average is None and multi_class == "ovo":
        raise UnsupportedOptionError(f"{where}(average=None): average=None is not implemented "
                                     "for multi_class='ovo'; use 'macro' or 'weighted'.")


def _one_vs_rest_average(codes: np.ndarray, score: np.ndarray, weights: np.ndarray | None,
                         average: str | None, where: str) -> float | np.ndarray:
    columns = score.shape[1]
    one_hot = codes[:, None] == np.arange(columns)
    if average == "micro":
        repeated = None if weights is None else np.repeat(weights, columns)
        return _one_vs_rest(one_hot.ravel(), score.ravel(), repeated, where)
    areas = np.array([_one_vs_rest(one_hot[:, c], score[:, c], weights, where)
                      for c in range(columns)])
    if average is None:
        return areas
    if average == "macro":
        return float(np.mean(areas))
    prevalence = one_hot.sum(axis=0) if weights is None else weights @ one_hot
    if np.isclose(prevalence.sum(), 0):
        return 0.0
    return float(np.average(np.where(prevalence == 0, 0.0, areas), weights=prevalence))


def _one_vs_one_average(codes: np.ndarray, score: np.ndarray, average: str, where: str) -> float:
    """Hand & Till (2001): the mean over pairs of classes of the two one-vs-one AUCs."""
    pairs, prevalence = [], []
    for a, b in combinations(np.unique(codes), 2):
        both = (codes == a) | (codes == b)
        pair_codes = codes[both]
        pairs.append(0.5 * (_one_vs_rest(pair_codes == a, score[both, a], None, where)
                            + _one_vs_rest(pair_codes == b, score[both, b], None, where)))
        prevalence.append(both.mean())
    return float(np.average(pairs, weights=prevalence if average == "weighted" else None))


def roc_auc_score(y_true: Any, scores: Any, *, average: str | None = "macro",
                  sample_weight: Any = None, max_fpr: float | None = None,
                  multi_class: str = "raise", labels: Any = None) -> float | np.ndarray:
    """Area under the ROC curve: the (weighted) probability that a random signal sample
    scores above a random background sample, ties counting one half.

    Binary: y_true holds two classes (any labels; the greater one is the signal) and scores
    are (samples,). Multi-class (scikit-learn's rules): y_true holds more than two classes,
    scores are (samples, C) probabilities that sum to 1 over the classes (column c for the c-th
    sorted class, or for `labels[c]`), and `multi_class` says how to reduce the problem:
    "ovr" averages each class against the rest, "ovo" (Hand & Till) averages each pair of
    classes. With one class only in y_true the AUC is undefined: NaN and an
    `UndefinedMetricWarning`. Negative weights are allowed where the rates stay defined (the
    area is then the same weighted pair probability; scikit-learn refuses such curves).

    Args:
        y_true: (samples,) class labels (integers, booleans or text).
        scores: (samples,) signal scores, or (samples, C) class probabilities.
        average: for multi-class: "macro" (mean over classes or pairs), "weighted" (by class
            prevalence), "micro" (ovr only: all classes pooled) or None (ovr only: an array,
            one AUC per class).
        sample_weight: (samples,) event weights (not for "ovo", as in scikit-learn).
        max_fpr: binary only: the standardised partial AUC over FPR in [0, max_fpr] (McClish),
            0.5 for chance and 1 for a perfect selection.
        multi_class: "raise" (refuse multi-class input, scikit-learn's default), "ovr" or "ovo".
        labels: (C,) the sorted classes of the score columns (multi-class only); by default
            the classes present in y_true, which must then number C.

    Returns:
        The area, a float; for multi_class="ovr" with average=None a (C,) array.
    """
    where = "roc_auc_score"
    truth = label_array(y_true, f"{where}(y_true=...)", indices=False)
    score = score_array(scores, where, len(truth), ndim=(1, 2))
    max_fpr = _check_max_fpr(max_fpr, where)
    if not isinstance(multi_class, str) or multi_class not in _MULTI_CLASS:
        raise ValueError(f"{where}(multi_class={multi_class!r}): expected one of "
                         f"{list(_MULTI_CLASS)}.")
    classes = np.unique(truth)
    if len(classes) > 2 or (score.ndim == 2 and score.shape[1] > 2):
        _check_multiclass(score, max_fpr, multi_class, average, where)
        columns = _columns(truth, score, labels, where)
        codes = np.searchsorted(columns, truth)
        if multi_class == "ovo":
            if sample_weight is not None:
                raise ValueError(f"{where}(sample_weight=...): sample_weight is not supported "
                                 "for multiclass one-vs-one ROC AUC, 'sample_weight' must be "
                                 "None in this case. Use multi_class='ovr'.")
            return _one_vs_one_average(codes, score, average, where)
        weights = sample_weights(sample_weight, len(truth), where)
        return _one_vs_rest_average(codes, score, weights, average, where)
    if not (average is None or isinstance(average, str)) or average not in _BINARY_AVERAGES:
        raise ValueError(f"{where}(average={average!r}): average has to be one of "
                         f"{_BINARY_AVERAGES}.")
    score = score_array(score, where, len(truth))  # binary scores are 1-D
    positive = truth == classes[-1]
    if positive.all():  # one class only: undefined whatever the weights (as scikit-learn)
        return _one_vs_rest(positive, score, None, where)
    weights = sample_weights(sample_weight, len(truth), where)
    return _one_vs_rest(positive, score, weights, where, max_fpr)


def roc_curves(y_true: Any, scores: Any, *, labels: Any = None, sample_weight: Any = None,
               drop_intermediate: bool = True) -> dict[Any, tuple[np.ndarray, np.ndarray,
                                                                   np.ndarray]]:
    """One-vs-rest ROC curves of a multi-class classifier, one per class (per score column).

    Curve c is `roc_curve(y_true == class_c, scores[:, c])`: class c as the signal, every
    other class as background. jaxnn's convention: with integer labels, column c is class
    index c (a class absent from y_true gets a NaN TPR and an `UndefinedMetricWarning`); with
    text labels column c is the c-th sorted class, or `labels[c]`.

        curves = roc_curves(y_test, jaxnn.predict_proba(model, params, x_test))
        for label, (fpr, tpr, _) in curves.items():
            print(label, auc(fpr, tpr))

    Args:
        y_true: (samples,) class labels: indices 0 .. C-1, or text.
        scores: (samples, C) per-class scores, e.g. probabilities.
        labels: (C,) the class of each column, in column order.
        sample_weight: (samples,) event weights.
        drop_intermediate: as for `roc_curve`.

    Returns:
        A dict {class label: (fpr, tpr, thresholds)} in column order, each as from `roc_curve`.
    """
    where = "roc_curves"
    drop_intermediate = check_bool(drop_intermediate, f"{where}(drop_intermediate=...)")
    truth = label_array(y_true, f"{where}(y_true=...)", indices=labels is None)
    score = score_array(scores, where, len(truth), ndim=(2,))
    weights = sample_weights(sample_weight, len(truth), where)
    columns = score.shape[1]
    if labels is not None:
        classes = check_labels(labels, where, is_text(truth))
        if len(classes) != columns:
            raise ValueError(f"{where}(labels=...): expected one label per score column, "
                             f"{columns}, got {len(classes)}.")
    elif is_text(truth):
        classes = _columns(truth, score, None, where)
    else:
        classes = np.arange(columns)
        if truth.max() >= columns:
            raise ValueError(f"{where}(y_true=...): class index {int(truth.max())} has no score "
                             f"column; scores has {columns} columns (classes 0 .. "
                             f"{columns - 1}). Pass labels=[...] with the class of each column.")
    return {label.item(): roc_points(truth == label, score[:, c], weights, where,
                                     drop_intermediate)
            for c, label in enumerate(classes)}
