"""Class labels: checks, text labels to indices (LabelEncoder), one-hot."""

from __future__ import annotations

import numbers
from typing import Any

import jax
import numpy as np

from jaxnn.validate import check_static_int, check_whole_labels

ENCODE_HINT = "Encode class names as 0, 1, ... with jaxnn.data.LabelEncoder."


def to_numpy(value: Any, argument: str) -> np.ndarray:
    """`value` (a NumPy or JAX array, or nested lists) as a NumPy array; a TypeError naming
    `argument` when NumPy cannot take it."""
    try:
        return np.asarray(jax.device_get(value) if isinstance(value, jax.Array) else value)
    except (TypeError, ValueError) as error:  # ragged nested lists, objects numpy cannot take
        raise TypeError(f"{argument}: expected an array, got {type(value).__name__} "
                        f"{value!r:.80} ({error}).") from error


def _label_kind(value: Any) -> str:
    if isinstance(value, (str, bytes, np.str_, np.bytes_)):
        return "text"
    if isinstance(value, (numbers.Number, np.number, np.bool_)):
        return "numbers"
    return type(value).__name__


def class_labels(y: Any, argument: str) -> np.ndarray:
    """Class labels ``(samples,)`` of one kind, all text or all numbers (no NaN/inf): mixed
    kinds would be turned into text silently by NumPy (['kaon', 1] -> ['kaon', '1'])."""
    array = to_numpy(y, argument)
    if array.ndim != 1:
        raise ValueError(f"{argument}: expected a 1-D array of labels, got shape "
                         f"{array.shape}.")
    if array.dtype == object or (array.dtype.kind in "US" and not isinstance(y, np.ndarray)):
        values = list(y.tolist() if hasattr(y, "tolist") else y)
        kinds: dict[str, Any] = {}
        for value in values:
            kinds.setdefault(_label_kind(value), value)
        if len(kinds) > 1:
            shown = ", ".join(f"{kind} such as {value!r}" for kind, value in kinds.items())
            raise TypeError(f"{argument}: labels mix {shown}; expected all text or all "
                            "numbers. Convert them to one kind first, e.g. [str(v) for v in y].")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = np.flatnonzero(~np.isfinite(array))
        raise ValueError(f"{argument}: {len(bad)} label(s) are NaN/inf, the first at index "
                         f"{int(bad[0])}; remove those samples first (NaN is not a class).")
    return array


def as_class_indices(
    labels: Any, argument: str, num_classes: int | None = None, *, ndim: int | None = 1,
    allow_empty: bool = False,
) -> np.ndarray:
    """Check that `labels` are class indices 0, 1, ... and return them as an int64 array.

    Integers and booleans are accepted, and floats whose values are whole numbers (as a model's
    argmax may come back); text, fractions, negatives and (with `num_classes`) values
    >= num_classes raise a ValueError/TypeError that names `argument`.

    Args:
        labels: class labels, `(samples,)` when `ndim=1` (any shape when `ndim=None`).
        argument: how the caller names the argument in messages, e.g. "accuracy(y_true=...)".
        num_classes: if given, labels must be < num_classes.
        ndim: required number of dimensions, or None for any.
        allow_empty: accept an empty array (else a ValueError).

    Returns:
        The labels as an int64 NumPy array.
    """
    array = to_numpy(labels, argument)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"{argument}: expected integer class labels, got dtype {array.dtype}. "
                        + ENCODE_HINT)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{argument}: expected integer class labels, got dtype {array.dtype}.")
    if ndim is not None and array.ndim != ndim:
        hint = (" If these are per-class scores or one-hot rows, take argmax(axis=-1) first."
                if array.ndim == 2 else "")
        raise ValueError(f"{argument}: expected a {ndim}-D array of class labels, got shape "
                         f"{array.shape}.{hint}")
    if array.size == 0:
        if allow_empty:
            return array.astype(np.int64)
        raise ValueError(f"{argument}: expected at least one label, got an empty array.")
    # An index must also fit int64 (no wrap-around below).
    check_whole_labels(array, argument, "Pass class indices, not scores or probabilities.")
    array = array.astype(np.int64)
    if array.min() < 0:
        raise ValueError(f"{argument}: expected class labels >= 0, got {int(array.min())}. "
                         + ENCODE_HINT)
    if num_classes is not None and array.max() >= num_classes:
        raise ValueError(f"{argument}: expected class labels in [0, {num_classes}) for "
                         f"num_classes={num_classes}, got {int(array.max())}. Raise num_classes "
                         "or leave it None to infer max label + 1.")
    return array


class LabelEncoder:
    """Map labels (strings such as "pion", "kaon", "proton", or numbers) to 0 .. n_classes-1.

    `classes_` is the sorted array of distinct labels (as scikit-learn's LabelEncoder), and
    label `classes_[i]` is encoded as `i`.
    """

    def __init__(self) -> None:
        self.classes_: np.ndarray | None = None

    @staticmethod
    def _labels(y: Any, argument: str) -> np.ndarray:
        return class_labels(y, argument)

    def fit(self, y: Any) -> LabelEncoder:
        """Learn the classes from labels `y: (samples,)`; returns self."""
        array = self._labels(y, "LabelEncoder.fit(y=...)")
        if array.size == 0:
            raise ValueError("LabelEncoder.fit(y=...): expected at least one label, got none.")
        try:
            self.classes_ = np.unique(array)
        except TypeError as error:
            raise TypeError("LabelEncoder.fit(y=...): labels must be mutually comparable (all "
                            "strings or all numbers).") from error
        return self

    def transform(self, y: Any) -> np.ndarray:
        """Encode labels `y: (samples,)` as int64 indices into `classes_`."""
        if self.classes_ is None:
            raise ValueError("LabelEncoder.transform: the encoder is not fitted yet. Call "
                             "fit(y) first.")
        array = self._labels(y, "LabelEncoder.transform(y=...)")
        try:
            codes = np.searchsorted(self.classes_, array)
            found = self.classes_[np.minimum(codes, len(self.classes_) - 1)] == array
        except TypeError as error:
            raise TypeError(f"LabelEncoder.transform(y=...): labels of dtype {array.dtype} cannot "
                            f"be compared with the fitted classes "
                            f"{self.classes_.tolist()}.") from error
        if not np.all(found):
            unseen = np.unique(array[~found])
            raise ValueError(f"LabelEncoder.transform(y=...): unseen label(s) "
                             f"{unseen.tolist()[:10]}; the encoder knows "
                             f"{self.classes_.tolist()}. Fit it on all labels.")
        return codes.astype(np.int64)

    def fit_transform(self, y: Any) -> np.ndarray:
        """`fit(y)` then `transform(y)`."""
        return self.fit(y).transform(y)

    def inverse_transform(self, codes: Any) -> np.ndarray:
        """Decode class indices `codes: (samples,)` back to the original labels."""
        if self.classes_ is None:
            raise ValueError("LabelEncoder.inverse_transform: the encoder is not fitted yet. Call "
                             "fit(y) first.")
        indices = as_class_indices(codes, "LabelEncoder.inverse_transform(codes=...)",
                                   len(self.classes_), allow_empty=True)
        return self.classes_[indices]


def one_hot(labels: Any, num_classes: int | None = None, dtype: Any = np.float32) -> np.ndarray:
    """One-hot rows for class indices.

    Args:
        labels: class indices, any shape `(...)`, values in [0, num_classes).
        num_classes: number of classes C; None infers max(labels) + 1.
        dtype: dtype of the result.

    Returns:
        `(..., C)` array with 1 at each label's index and 0 elsewhere.
    """
    if num_classes is not None:
        num_classes = check_static_int(num_classes, f"one_hot(num_classes={num_classes!r})")
    try:
        kind = np.dtype(dtype).kind
    except (TypeError, ValueError) as error:
        raise TypeError(f"one_hot(dtype={dtype!r}): not a NumPy dtype; "
                        "use e.g. np.float32.") from error
    if kind not in "biuf":
        raise TypeError(f"one_hot(dtype={dtype!r}): expected a numeric dtype such as np.float32.")
    indices = as_class_indices(labels, "one_hot(labels=...)", num_classes, ndim=None,
                               allow_empty=num_classes is not None)
    count = int(indices.max()) + 1 if num_classes is None else num_classes
    if (num_classes is None and count > 2**16) or indices.size * count > 2**31:
        raise ValueError(f"one_hot: {indices.size} labels x {count} classes is too large to hold "
                         f"(the largest label is {int(indices.max())}). Labels must be class "
                         "indices 0 .. C-1: re-encode them with jaxnn.data.LabelEncoder, or pass "
                         "num_classes if you do mean that many classes.")
    return (indices[..., None] == np.arange(count)).astype(dtype)
