"""`split`: train / validation / test parts of several arrays at once, shuffled and optionally
stratified by class, as scikit-learn's ``train_test_split`` generalised to any number of parts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import numpy as np

from jaxnn.data._labels import class_labels, to_numpy


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


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"split(seed={seed!r}): expected an integer seed.")
    if seed < 0:
        raise ValueError(f"split(seed={seed}): expected a non-negative integer seed.")
    return int(seed)


def _check_arrays(arrays: tuple[Any, ...]) -> tuple[tuple[Any, ...], int]:
    """`arrays` as NumPy or JAX arrays with a common, non-zero number of samples `n`."""
    arrays = tuple(
        a if isinstance(a, (np.ndarray, jax.Array)) else to_numpy(a, f"split(arrays[{i}])")
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
    return arrays, n


def _stratified_parts(
    stratify: Any, n: int, values: np.ndarray, rng: np.random.Generator, shuffle: bool
) -> list[np.ndarray]:
    """Sample indices of each part, every class split in the fractions `values`."""
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
        # one chunk per fraction, as there is one piece per fraction
        for piece, chunk in zip(pieces, np.split(members, np.cumsum(sizes)[:-1]), strict=True):
            piece.append(chunk)
    parts = [np.concatenate(p) for p in pieces]
    return [rng.permutation(p) if shuffle else np.sort(p) for p in parts]


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
    rng = np.random.default_rng(_check_seed(seed))
    arrays, n = _check_arrays(arrays)
    if stratify is None:
        order = rng.permutation(n) if shuffle else np.arange(n)
        parts = np.split(order, np.cumsum(_part_sizes(n, values))[:-1])
    else:
        parts = _stratified_parts(stratify, n, values, rng, shuffle)
    for i, part in enumerate(parts):
        if len(part) == 0:
            raise ValueError(f"split(fractions={tuple(values.tolist())}): part {i} gets no samples "
                             f"out of {n}. Use larger fractions or more data.")
    return tuple(tuple(a[part] for a in arrays) for part in parts)





