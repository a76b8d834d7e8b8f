"""Class weights (Keras's ``fit(class_weight=...)``): a weight per class, multiplied into the
sample weights of the training data.

``class_weight={0: 1.0, 1: 5.0}`` weighs each sample of class 1 five times; classes not in the
dict keep weight 1 (as scikit-learn's ``compute_class_weight``). ``"balanced"`` gives class
``c`` the weight ``n_samples / (n_classes * count_c)`` over the classes present in the training
labels, scikit-learn's formula. Validation data are not reweighted (as in Keras).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from jaxnn import losses as losses_lib

__all__ = ["balanced_class_weight", "check_class_weight", "class_sample_weight"]


def check_class_weight(class_weight: Any, where: str = "fit") -> Any:
    """Check the form of `class_weight` (None, "balanced" or {class: weight}) before training."""
    argument = f"{where}(class_weight=...)"
    if class_weight is None or (isinstance(class_weight, str) and class_weight == "balanced"):
        return class_weight
    if not isinstance(class_weight, Mapping):
        raise TypeError(f"{argument}: expected a dict {{class: weight}} such as {{0: 1.0, 1: 5.0}}"
                        f", or 'balanced', got {type(class_weight).__name__} "
                        f"{class_weight!r:.60}.")
    if not class_weight:
        raise ValueError(f"{argument}: the dict is empty; pass {{class: weight}} entries or None.")
    for label, value in class_weight.items():
        if isinstance(label, (bool, np.bool_)) or not isinstance(label, (int, np.integer)):
            raise TypeError(f"{argument}: keys are class indices 0, 1, ..., got {label!r}. "
                            "Encode class names with jaxnn.data.LabelEncoder first.")
        if (isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer,
                                                                          np.floating))
                or not np.isfinite(value) or value < 0):
            raise ValueError(f"{argument}: class {label} has weight {value!r}; expected a finite "
                             "number >= 0.")
    return class_weight


def balanced_class_weight(labels: np.ndarray) -> dict[int, float]:
    """``n_samples / (n_classes * count_c)`` for each class `c` present in `labels`."""
    classes, counts = np.unique(labels, return_counts=True)
    return {int(c): len(labels) / (len(classes) * int(k))
            for c, k in zip(classes, counts, strict=True)}


def _labels(loss_fn: Any, y: np.ndarray, outputs: int, argument: str) -> tuple[np.ndarray, int]:
    """Class indices of the (checked) targets, and the number of classes the model has."""
    if loss_fn is losses_lib.softmax_cross_entropy:
        labels = np.argmax(y, axis=1) if y.ndim == 2 else y
        return labels.astype(np.int64), outputs
    if loss_fn is losses_lib.binary_cross_entropy:
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(f"{argument}: class weights need hard labels 0/1; the targets hold "
                             "values between them. Pass sample_weight instead.")
        return y.astype(np.int64), 2
    raise ValueError(f"{argument}: class weights apply to classification losses "
                     "('softmax_cross_entropy', 'binary_cross_entropy' and their Keras names); "
                     "for other losses pass per-sample weights as sample_weight.")


def class_sample_weight(class_weight: Any, loss_fn: Any, y: np.ndarray, outputs: int,
                        where: str = "fit") -> np.ndarray:
    """Per-sample multipliers ``(n,)`` (float32) from `class_weight` for the checked targets
    `y` of a model with `outputs` outputs; ones when `class_weight` is None."""
    if class_weight is None:
        return np.ones(len(y), np.float32)
    argument = f"{where}(class_weight=...)"
    labels, classes = _labels(loss_fn, y, outputs, argument)
    if isinstance(class_weight, str):
        class_weight = balanced_class_weight(labels)
    unknown = sorted(int(c) for c in class_weight if not 0 <= c < classes)
    if unknown:
        raise ValueError(f"{argument}: class(es) {unknown} are not classes of this model, "
                         f"whose labels are 0 .. {classes - 1}. Use keys in that range "
                         "(re-encode the labels with jaxnn.data.LabelEncoder if needed).")
    table = np.ones(classes, np.float64)
    for label, value in class_weight.items():
        table[int(label)] = float(value)
    weight = table[labels]
    if not weight.sum() > 0:
        raise ValueError(f"{argument}: every training sample gets weight 0 (the classes present, "
                         f"{np.unique(labels).tolist()}, all have weight 0).")
    return weight.astype(np.float32)
