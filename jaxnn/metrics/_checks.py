"""What every metric checks first: arrays, class labels, sample weights, and 0/0.

Class labels come in two conventions. Integer (or boolean, or whole-number float) labels are
class indices 0 .. C-1, jaxnn's convention; text labels, and any labels when the caller passes
`labels=`, are matched by value and sorted, scikit-learn's convention. Both are encoded here, the
text ones through `jaxnn.data.LabelEncoder`, so every metric sees integer codes.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import sys
import warnings
from typing import Any, NamedTuple

import numpy as np

from jaxnn.data import LabelEncoder, to_numpy
from jaxnn.validate import check_whole_labels, is_number

ENCODE_HINT = "Encode class names as 0, 1, ... with jaxnn.data.LabelEncoder."
_HERE = os.path.dirname(os.path.abspath(__file__))


class UndefinedMetricWarning(UserWarning):
    """A metric is undefined for the data given, and a conventional value is returned instead.

    Raised (as a warning) where scikit-learn raises its own `UndefinedMetricWarning`: a ratio
    0/0 under `zero_division="warn"` (the value is then 0), or ROC rates with no sample of one
    class (the value is then NaN). Silence it with
    `warnings.simplefilter("ignore", jaxnn.metrics.UndefinedMetricWarning)`, or pass
    `zero_division=0` explicitly.
    """


class UnsupportedOptionError(ValueError, NotImplementedError):
    """A combination of options that exists in principle but is not implemented (a ValueError
    for jaxnn's convention, a NotImplementedError for scikit-learn's)."""


def warn(message: str, category: type[Warning] = UndefinedMetricWarning) -> None:
    """Warn, attributing the warning to the first frame outside jaxnn.metrics (the user's)."""
    level, frame = 2, sys._getframe(1)
    while frame is not None and os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _HERE:
        level, frame = level + 1, frame.f_back
    warnings.warn(message, category, stacklevel=level)


def _kind_of(value: Any) -> str:
    if isinstance(value, (str, np.str_)):
        return "text"
    if isinstance(value, (numbers.Number, np.number, np.bool_)):
        return "numbers"
    return type(value).__name__


def is_text(array: np.ndarray) -> bool:
    return array.dtype.kind == "U"


def _one_kind(value: Any, array: np.ndarray, argument: str) -> np.ndarray:
    """NumPy turns ['kaon', 1] into text silently; refuse labels that mix kinds."""
    values = list(value.tolist() if hasattr(value, "tolist") else value)
    kinds: dict[str, Any] = {}
    for item in values:
        kinds.setdefault(_kind_of(item), item)
    if len(kinds) > 1 or not kinds.keys() <= {"text", "numbers", "bytes"}:
        shown = ", ".join(f"{kind} such as {item!r}" for kind, item in kinds.items())
        raise TypeError(f"{argument}: labels mix {shown}; expected all text or all numbers. "
                        "Convert them to one kind first, e.g. [str(v) for v in y].")
    return np.asarray(values) if array.dtype == object else array


def label_array(value: Any, argument: str, *, indices: bool) -> np.ndarray:
    """Check 1-D class labels: text or booleans (returned as they are) or whole numbers
    (returned as int64).

    Args:
        value: (samples,) labels.
        argument: how the caller names the argument in messages, "accuracy(y_true=...)".
        indices: numbers must be class indices >= 0 (jaxnn's convention); False allows any
            integers (the caller matches them by value, as with `labels=`).
    """
    array = to_numpy(value, argument)
    if array.ndim != 1:
        hint = (" If these are per-class scores or one-hot rows, take argmax(axis=-1) first "
                "(multilabel-indicator targets are not supported)." if array.ndim == 2 else "")
        raise ValueError(f"{argument}: expected a 1-D array of class labels, got shape "
                         f"{array.shape}.{hint}")
    if array.size == 0:
        raise ValueError(f"{argument}: expected at least one label, got an empty array.")
    if array.dtype == object or (array.dtype.kind in "US" and not isinstance(value, np.ndarray)):
        array = _one_kind(value, array, argument)
    if array.dtype.kind == "S":
        raise TypeError(f"{argument}: Support for labels represented as bytes is not supported; "
                        "decode them to text first, e.g. np.char.decode(y).")
    if is_text(array) or array.dtype.kind == "b":  # booleans are the classes False/True = 0/1
        return array
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{argument}: expected class labels (integers, booleans or text), got "
                        f"dtype {array.dtype}.")
    check_whole_labels(array, argument, "Pass class labels, not scores or probabilities "
                       "(threshold or argmax them first).")  # whole numbers that fit int64
    array = array.astype(np.int64)
    if indices and array.min() < 0:
        raise ValueError(f"{argument}: expected class labels >= 0 (class indices 0 .. C-1), got "
                         f"{int(array.min())}. Pass labels=[...] to name other labels, as in "
                         f"scikit-learn, or re-encode them. {ENCODE_HINT}")
    return array


def same_kind(first: np.ndarray, second: np.ndarray, where: str, names: tuple[str, str]) -> None:
    """Text and numbers cannot be compared as labels."""
    if is_text(first) != is_text(second):
        kinds = ["text" if is_text(a) else "numbers" for a in (first, second)]
        raise TypeError(f"{where}: {names[0]} holds {kinds[0]} and {names[1]} holds {kinds[1]} "
                        f"(a mix of label input types, string and number); use one kind for "
                        f"both. {ENCODE_HINT}")


def check_length(n: int, m: int, where: str, names: tuple[str, str]) -> None:
    if n != m:
        raise ValueError(f"{where}: {names[0]} and {names[1]} must have the same length, got "
                         f"{n} and {m}.")


def sample_weights(value: Any, samples: int, where: str) -> np.ndarray | None:
    """Per-sample weights (samples,): finite numbers of any sign; int64 if given as integers
    (or booleans), else float64. None stays None (every sample weighs 1)."""
    if value is None:
        return None
    argument = f"{where}(sample_weight=...)"
    weights = to_numpy(value, argument)
    if weights.dtype == object:  # numbers held as Python objects
        with contextlib.suppress(TypeError, ValueError):
            weights = weights.astype(np.float64)
    if weights.dtype == object or weights.dtype.kind not in "biuf":
        raise TypeError(f"{argument}: expected numbers, one weight per sample, got dtype "
                        f"{weights.dtype}.")
    if weights.ndim != 1 or weights.shape[0] != samples:
        raise ValueError(f"{argument}: expected one weight per sample, shape ({samples},), got "
                         f"shape {weights.shape}.")
    if weights.dtype.kind == "f" and not np.isfinite(weights).all():
        bad = np.flatnonzero(~np.isfinite(weights))
        raise ValueError(f"{argument}: {len(bad)} weight(s) are NaN/inf, the first at index "
                         f"{int(bad[0])}.")
    if not weights.any():
        raise ValueError(f"{argument}: every weight is 0 (Sample weights must contain at least "
                         "one non-zero number); nothing is left to count.")
    return weights.astype(np.int64 if weights.dtype.kind in "biu" else np.float64)


def check_labels(value: Any, where: str, text: bool) -> np.ndarray:
    """`labels=`: distinct class labels of the same kind as the data (at least one)."""
    argument = f"{where}(labels=...)"
    labels = label_array(value, argument, indices=False) if np.size(value) else None
    if labels is None:
        raise ValueError(f"{argument}: 'labels' should contain at least one label, got none.")
    if is_text(labels) != text:
        raise TypeError(f"{argument}: labels are {'text' if is_text(labels) else 'numbers'} but "
                        f"y_true holds {'text' if text else 'numbers'}; give labels of the same "
                        "kind as y_true and y_pred.")
    distinct, counts = np.unique(labels, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f"{argument}: Parameter 'labels' must be unique; "
                         f"{distinct[counts > 1][0]!r} appears more than once.")
    return labels


class Encoded(NamedTuple):
    """Labels of a (y_true, y_pred) pair as codes into `classes`."""

    classes: np.ndarray  # sorted distinct labels of y_true, y_pred and labels=
    true: np.ndarray  # (samples,) codes into classes
    pred: np.ndarray  # (samples,) codes into classes
    weights: np.ndarray | None  # (samples,) or None
    chosen: np.ndarray | None  # codes of labels=, in the caller's order, or None
    indices: bool  # numeric labels without labels=: jaxnn's class-index convention applies

    @property
    def present(self) -> np.ndarray:
        """Codes of the classes present in y_true or y_pred, sorted."""
        return np.union1d(self.true, self.pred)


def encode_pair(y_true: Any, y_pred: Any, where: str, *, labels: Any = None,
                sample_weight: Any = None, indices: bool = True) -> Encoded:
    """Check a pair of label arrays (and weights, and `labels=`) and encode them as codes.

    Args:
        indices: without `labels=`, numeric labels must be class indices >= 0.
    """
    names = ("y_true", "y_pred")
    loose = labels is not None or not indices
    truth = label_array(y_true, f"{where}(y_true=...)", indices=not loose)
    predicted = label_array(y_pred, f"{where}(y_pred=...)", indices=not loose)
    same_kind(truth, predicted, where, names)
    check_length(len(truth), len(predicted), where, names)
    weights = sample_weights(sample_weight, len(truth), where)
    chosen = None if labels is None else check_labels(labels, where, is_text(truth))
    parts = [truth, predicted] + ([] if chosen is None else [chosen])
    encoder = LabelEncoder().fit(np.concatenate(parts))
    return Encoded(encoder.classes_, encoder.transform(truth), encoder.transform(predicted),
                   weights, None if chosen is None else encoder.transform(chosen),
                   labels is None and not is_text(truth))


def weighted_count(codes: np.ndarray, weights: np.ndarray | None, size: int) -> np.ndarray:
    """Per-code sums of the weights (counts without weights), as float64."""
    return np.bincount(codes, weights=weights, minlength=size).astype(np.float64)


def check_zero_division(value: Any, where: str) -> float:
    """`zero_division=`: "warn" (0 and a warning), 0, 1 or NaN; returns the value to fill in."""
    if isinstance(value, str) and value == "warn":
        return 0.0
    if is_number(value) and (value in (0, 1) or math.isnan(value)):
        return float(value)
    raise ValueError(f"{where}(zero_division={value!r}): expected 'warn', 0, 1 or np.nan (the "
                     "value of a ratio 0/0).")


def divide(numerator: np.ndarray, denominator: np.ndarray, zero_division: Any,
           message: str | None) -> np.ndarray:
    """numerator / denominator, with `zero_division`'s value where the denominator is 0; warns
    `message` (formatted with "due to" or "in labels with") if it is "warn" and a message is
    given."""
    numerator = np.asarray(numerator, np.float64)
    denominator = np.asarray(denominator, np.float64)
    zero = denominator == 0
    result = numerator / np.where(zero, 1.0, denominator)
    if not zero.any():
        return result
    result = np.where(zero, check_zero_division(zero_division, "divide"), result)
    if message is not None and isinstance(zero_division, str):
        warn(message.format("due to" if result.size == 1 else "in labels with"))
    return result


def nan_average(values: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Average ignoring NaN entries (from zero_division=np.nan); weights that sum to 0 are
    ignored, as scikit-learn does; NaN if nothing is left."""
    keep = ~np.isnan(values)
    if not keep.any():
        return float("nan")
    if weights is None or np.sum(weights[keep]) == 0:
        return float(np.mean(values[keep]))
    return float(np.average(values[keep], weights=weights[keep]))
