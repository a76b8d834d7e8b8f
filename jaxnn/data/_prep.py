"""Data preparation: splits, scaling, label encoding, one-hot, and on-device minibatch indices.

Everything here except `batch_indices` and `batch_layout` runs on the host with NumPy (it
happens once, before training). `batch_layout` is the piece the compiled epoch calls: a
permutation of the samples laid out as a fixed-shape (num_batches, batch_size) grid, so that
every epoch has the same shapes and compiles once; `batch_indices` draws the permutation too.

    (x_tr, y_tr), (x_dev, y_dev), (x_te, y_te) = split(x, y, fractions=(0.8, 0.1, 0.1), seed=0)
    scaler = StandardScaler().fit(x_tr)
    x_tr, x_dev = scaler.transform(x_tr), scaler.transform(x_dev)
    encoder = LabelEncoder().fit(["kaon", "pion", "proton"])
    y = one_hot(encoder.transform(names))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "LabelEncoder",
    "MinMaxScaler",
    "StandardScaler",
    "as_class_indices",
    "batch_indices",
    "batch_layout",
    "num_batches",
    "one_hot",
    "split",
]

_ENCODE_HINT = "Encode class names as 0, 1, ... with jaxnn.data.LabelEncoder."


def _to_numpy(value: Any, argument: str) -> np.ndarray:
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
    array = _to_numpy(y, argument)
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
    array = _to_numpy(labels, argument)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(f"{argument}: expected integer class labels, got dtype {array.dtype}. "
                        + _ENCODE_HINT)
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
    if array.dtype.kind in "fu":  # an index must also fit int64 (no wrap-around below)
        bad = ~np.isfinite(array) | (array != np.round(array)) | (np.abs(array) >= 2.0**63)
        if bad.any():
            first = array[bad].flat[0]
            raise ValueError(f"{argument}: expected integer class labels, got {first!r} (and "
                             f"{int(bad.sum()) - 1} other non-integer values). Pass class indices"
                             ", not scores or probabilities.")
    array = array.astype(np.int64)
    if array.min() < 0:
        raise ValueError(f"{argument}: expected class labels >= 0, got {int(array.min())}. "
                         + _ENCODE_HINT)
    if num_classes is not None and array.max() >= num_classes:
        raise ValueError(f"{argument}: expected class labels in [0, {num_classes}) for "
                         f"num_classes={num_classes}, got {int(array.max())}. Raise num_classes "
                         "or leave it None to infer max label + 1.")
    return array


def _check_positive_int(value: Any, argument: str, minimum: int = 1) -> int:
    if isinstance(value, jax.core.Tracer):
        raise TypeError(f"{argument}: must be a static Python int, got a traced value. Pass it "
                        "as a static argument (jax.jit(..., static_argnums=...)) or close over it.")
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{argument}: expected an integer, got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{argument}: expected an integer >= {minimum}, got {value}.")
    return int(value)


# ---------------------------------------------------------------------------------------------
# Splits


def _part_sizes(count: int, fractions: np.ndarray, owed: np.ndarray | None = None) -> np.ndarray:
    """Split `count` items into parts near count * fractions (largest remainder).

    Each part gets floor or ceil of its share. The leftover items go to the parts with the
    largest remainder plus `owed` (how many each part is short of its share so far), which keeps
    running totals close to their targets when called once per class.
    """
    exact = count * fractions
    sizes = np.floor(exact).astype(np.int64)
    leftover = count - int(sizes.sum())
    remainder = exact - sizes
    # only a part with a fractional share may round up: one whose share is whole keeps it
    priority = np.where(remainder > 0, remainder + (0.0 if owed is None else owed), -np.inf)
    sizes[np.argsort(-priority, kind="stable")[:leftover]] += 1
    return sizes


def _check_fractions(fractions: Any) -> np.ndarray:
    try:
        values = np.asarray(fractions, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"split(fractions={fractions!r}): expected a sequence of numbers, e.g. "
                        "(0.8, 0.1, 0.1).") from error
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"split(fractions={fractions!r}): expected a non-empty 1-D sequence, e.g. "
                         "(0.8, 0.1, 0.1).")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"split(fractions={fractions!r}): every fraction must be a positive "
                         "number.")
    total = float(values.sum())
    if abs(total - 1.0) > 1e-6:
        raise ValueError(f"split(fractions={fractions!r}): fractions must sum to 1, they sum to "
                         f"{total:.6g}. Rescale them, e.g. fractions=np.array(f) / sum(f).")
    return values


def split(
    *arrays: Any,
    fractions: Sequence[float] = (0.8, 0.1, 0.1),
    seed: int = 0,
    stratify: Any = None,
    shuffle: bool = True,
) -> tuple[tuple[Any, ...], ...]:
    """Split arrays along their first axis into parts of the given fractions.

    Args:
        *arrays: one or more arrays (NumPy or JAX; lists become NumPy), all with the same number
            of samples `n` along axis 0, e.g. `x: (n, features)`, `y: (n,)`.
        fractions: positive fractions summing to 1, one per part. Part sizes are `n * fraction`
            rounded (largest remainder) so that every sample lands in exactly one part.
        seed: seed of the shuffle; the same seed gives the same split.
        stratify: labels `(n,)` (ints or strings): every class is split in the given fractions,
            each part holding floor or ceil of `n_class * fraction` samples of that class (part
            sizes may then differ from `n * fraction` by less than one per class).
        shuffle: shuffle before splitting. With `shuffle=False` the parts keep the original order
            (contiguous blocks, or per-class blocks with `stratify`).

    Returns:
        One tuple per fraction, each holding the parts of `arrays` in the order given:

            (x_tr, y_tr), (x_dev, y_dev), (x_te, y_te) = split(x, y, fractions=(0.8, 0.1, 0.1))
            (x_tr,), (x_te,) = split(x, fractions=(0.9, 0.1))
    """
    if not arrays:
        raise TypeError("split(): expected at least one array to split, e.g. split(x, y).")
    values = _check_fractions(fractions)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"split(seed={seed!r}): expected an integer seed.")
    if seed < 0:
        raise ValueError(f"split(seed={seed}): expected a non-negative integer seed.")
    arrays = tuple(a if isinstance(a, (np.ndarray, jax.Array)) else _to_numpy(a, f"split(arrays[{i}])")
                   for i, a in enumerate(arrays))
    for i, array in enumerate(arrays):
        if array.ndim == 0:
            raise ValueError(f"split(arrays[{i}]): expected an array with a sample axis, got a "
                             "scalar.")
    n = arrays[0].shape[0]
    lengths = [a.shape[0] for a in arrays]
    if any(length != n for length in lengths):
        raise ValueError(f"split(*arrays): all arrays need the same number of samples along axis "
                         f"0, got {lengths}.")
    if n == 0:
        raise ValueError("split(*arrays): the arrays hold no samples; there is nothing to split.")
    rng = np.random.default_rng(int(seed))

    if stratify is None:
        order = rng.permutation(n) if shuffle else np.arange(n)
        bounds = np.cumsum(_part_sizes(n, values))[:-1]
        parts = np.split(order, bounds)
    else:
        labels = class_labels(stratify, "split(stratify=...)")
        if labels.shape != (n,):
            raise ValueError(f"split(stratify=...): expected labels of shape ({n},) (one per "
                             f"sample), got shape {labels.shape}.")
        try:
            classes, codes = np.unique(labels, return_inverse=True)
        except TypeError as error:
            raise TypeError("split(stratify=...): labels must be mutually comparable (all "
                            "strings or all numbers).") from error
        pieces: list[list[np.ndarray]] = [[] for _ in values]
        owed = np.zeros(len(values))
        for code in range(len(classes)):
            members = np.flatnonzero(codes == code)
            if shuffle:
                members = rng.permutation(members)
            sizes = _part_sizes(len(members), values, owed)
            owed += len(members) * values - sizes
            for piece, chunk in zip(pieces, np.split(members, np.cumsum(sizes)[:-1])):
                piece.append(chunk)
        parts = [np.concatenate(p) for p in pieces]
        parts = [rng.permutation(p) if shuffle else np.sort(p) for p in parts]

    for i, part in enumerate(parts):
        if len(part) == 0:
            raise ValueError(f"split(fractions={tuple(values.tolist())}): part {i} gets no samples "
                             f"out of {n}. Use larger fractions or more data.")
    return tuple(tuple(a[part] for a in arrays) for part in parts)


# ---------------------------------------------------------------------------------------------
# Scaling and encoding


def _check_features(x: Any, argument: str) -> np.ndarray:
    array = _to_numpy(x, argument)
    if array.dtype == object or array.dtype.kind not in "biuf":
        raise TypeError(f"{argument}: expected a numeric array (samples, features), got dtype "
                        f"{array.dtype}. " + _ENCODE_HINT)
    if array.ndim != 2:
        hint = " For a single feature use x.reshape(-1, 1)." if array.ndim == 1 else ""
        raise ValueError(f"{argument}: expected a 2-D array (samples, features), got shape "
                         f"{array.shape}.{hint}")
    bad_columns = np.flatnonzero(~np.isfinite(array).all(axis=0))
    if bad_columns.size:
        column = int(bad_columns[0])
        count = int((~np.isfinite(array[:, column])).sum())
        raise ValueError(f"{argument}: column {column} holds {count} NaN/inf value(s) (columns "
                         f"with NaN/inf: {bad_columns.tolist()}). Remove or impute them first.")
    return array


class StandardScaler:
    """Shift and scale each feature to mean 0 and standard deviation 1 (as scikit-learn's).

    `transform(x) = (x - mean_) / scale_` with `scale_` the population standard deviation
    (ddof=0). A constant feature (variance within rounding error of 0) gets `scale_ = 1`, so it
    maps to 0 rather than dividing by zero. Statistics are computed in float64; outputs keep
    the input's float dtype (integers become float64).

    Attributes (after `fit`):
        mean_: (features,) feature means.
        var_: (features,) feature variances.
        scale_: (features,) the divisors.
        n_features_in_: number of features seen in `fit`.
    """

    def __init__(self) -> None:
        self.mean_: np.ndarray | None = None
        self.var_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.n_features_in_: int | None = None

    def fit(self, x: Any) -> StandardScaler:
        """Learn `mean_` and `scale_` from `x: (samples, features)`; returns self."""
        array = _check_features(x, "StandardScaler.fit(x=...)")
        if array.shape[0] == 0:
            raise ValueError("StandardScaler.fit(x=...): expected at least one sample, got 0.")
        values = array.astype(np.float64)
        mean = values.mean(axis=0)
        # Two-pass variance with the rounding error of the mean subtracted (as scikit-learn):
        # identical large values give exactly 0, not a few ulp of the mean squared.
        deviation = values - mean
        var = np.mean(deviation**2, axis=0) - np.mean(deviation, axis=0) ** 2
        # Variance within the two-pass algorithm's error bound of 0 counts as constant
        # (Chan, Golub & LeVeque), the test scikit-learn uses.
        n, eps = values.shape[0], np.finfo(np.float64).eps
        overflow = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(var)))
        if overflow.size:
            column = int(overflow[0])
            raise ValueError(f"StandardScaler.fit(x=...): the mean or variance of column {column} "
                             f"(values up to {np.abs(values[:, column]).max():.3g}) overflows "
                             "float64. Rescale that feature first (e.g. change its units).")
        constant = var <= n * eps * var + (n * mean * eps) ** 2
        self.mean_, self.var_ = mean, var
        self.scale_ = np.where(constant, 1.0, np.sqrt(var))
        self.n_features_in_ = values.shape[1]
        return self

    @staticmethod
    def _finite(result: np.ndarray, method: str) -> np.ndarray:
        """Raise if the (float) result overflowed its dtype instead of returning inf."""
        bad_columns = np.flatnonzero(~np.isfinite(result).all(axis=0))
        if bad_columns.size:
            raise ValueError(f"StandardScaler.{method}(x=...): columns {bad_columns.tolist()[:10]} "
                             f"overflow {result.dtype} when scaled: the values lie far outside "
                             "the range seen in fit. Pass float64 data or check the features.")
        return result

    def _checked(self, x: Any, method: str) -> tuple[np.ndarray, np.dtype]:
        if self.scale_ is None:
            raise ValueError(f"StandardScaler.{method}: the scaler is not fitted yet. Call "
                             "fit(x_train) first.")
        array = _check_features(x, f"StandardScaler.{method}(x=...)")
        if array.shape[1] != self.n_features_in_:
            raise ValueError(f"StandardScaler.{method}(x=...): expected {self.n_features_in_} "
                             f"features (as in fit), got {array.shape[1]} (shape {array.shape}).")
        dtype = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
        return array.astype(np.float64), dtype

    def transform(self, x: Any) -> np.ndarray:
        """Standardize `x: (samples, features)` with the fitted statistics."""
        values, dtype = self._checked(x, "transform")
        with np.errstate(over="ignore"):
            return self._finite(((values - self.mean_) / self.scale_).astype(dtype), "transform")

    def fit_transform(self, x: Any) -> np.ndarray:
        """`fit(x)` then `transform(x)`."""
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> np.ndarray:
        """Undo `transform`: `x * scale_ + mean_`."""
        values, dtype = self._checked(x, "inverse_transform")
        with np.errstate(over="ignore"):
            return self._finite((values * self.scale_ + self.mean_).astype(dtype),
                                "inverse_transform")


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
                            f"be compared with the fitted classes {self.classes_.tolist()}.") from error
        if not np.all(found):
            unseen = np.unique(array[~found])
            raise ValueError(f"LabelEncoder.transform(y=...): unseen label(s) {unseen.tolist()[:10]}"
                             f"; the encoder knows {self.classes_.tolist()}. Fit it on all labels.")
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
        num_classes = _check_positive_int(num_classes, f"one_hot(num_classes={num_classes!r})")
    try:
        kind = np.dtype(dtype).kind
    except (TypeError, ValueError) as error:
        raise TypeError(f"one_hot(dtype={dtype!r}): not a NumPy dtype; use e.g. np.float32.") from error
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


# ---------------------------------------------------------------------------------------------
# Minibatches


def num_batches(n: int, batch_size: int) -> int:
    """Number of minibatches in one pass over `n` samples: ceil(n / batch_size)."""
    n = _check_positive_int(n, f"num_batches(n={n!r})", minimum=0)
    batch_size = _check_positive_int(batch_size, f"num_batches(batch_size={batch_size!r})")
    return math.ceil(n / batch_size)


def batch_indices(n: int, batch_size: int, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Minibatch rows of a random permutation of range(n), with a fixed shape.

    The permutation is laid out row by row in a (num_batches, batch_size) grid; the ragged tail
    of the last row is filled by wrapping around to the start of the same permutation, so every
    row is full and every epoch has the same shapes. `mask` marks each sample's first occurrence
    with 1 and the wrapped fill with 0: weight per-sample losses by it to count each sample once.
    Works under `jax.jit` with `n` and `batch_size` static (closed over or `static_argnums`).

    Args:
        n: number of samples (static int >= 1).
        batch_size: samples per minibatch (static int >= 1; may exceed n).
        key: a JAX PRNG key (jax.random.key or jax.random.PRNGKey).

    Returns:
        indices: (num_batches, batch_size) int32 sample indices.
        mask: (num_batches, batch_size) float32, 1 for first occurrences, 0 for the fill.
    """
    n = _check_positive_int(n, f"batch_indices(n={n!r})")
    batch_size = _check_positive_int(batch_size, f"batch_indices(batch_size={batch_size!r})")
    if isinstance(key, (int, np.integer)):
        raise TypeError(f"batch_indices(key={key!r}): expected a JAX PRNG key, got an int. Pass "
                        f"jax.random.key({key}).")
    return batch_layout(jax.random.permutation(key, n), batch_size)


def batch_layout(permutation: jax.Array, batch_size: int) -> tuple[jax.Array, jax.Array]:
    """`batch_indices` for a given permutation ``(n,)`` of range(n): the same grid and mask."""
    n = permutation.shape[0]
    shape = (num_batches(n, batch_size), batch_size)
    positions = jnp.arange(shape[0] * batch_size, dtype=jnp.int32)
    indices = permutation.astype(jnp.int32)[positions % n].reshape(shape)
    mask = (positions < n).astype(jnp.float32).reshape(shape)
    return indices, mask


# MinMaxScaler lives in its own module (it uses _check_features above); found here beside
# StandardScaler.
from jaxnn.scalers import MinMaxScaler
