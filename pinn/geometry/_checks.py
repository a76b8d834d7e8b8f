"""Checks at the door shared by the domains, and the tolerances they use."""

from __future__ import annotations

from typing import Any

import numpy as np

from jaxnn.validate import check_number

METHODS = ("uniform", "grid", "sobol", "halton")
_CONTAINS_RTOL = 1e-6  # contains(): points this close (relative to the box diagonal) are inside
_STRICT_RTOL = 1e-9  # sampled points keep this distance from boundaries they must not touch
_EMPTY_AFTER = 1_000_000  # candidates without a hit before a domain is declared empty
_MAX_DRAWS = 20_000_000
_MC_POINTS = 200_000  # Monte Carlo points for the measure of a set operation
_SCALE_POINTS = 2048  # interior points that fix the scale of a distance function


# ---------------------------------------------------------------- checks at the door
def _real(value: Any, argument: str) -> float:
    return check_number(value, argument, what="a real number")


def _array(value: Any, argument: str) -> np.ndarray:
    """`value` as a finite float64 array, or a TypeError/ValueError that says what came."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{argument}: expected an array of real numbers, got {value!r}.") from error
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{argument}: expected real numbers, got {value!r} (dtype {array.dtype}).")
    if not np.isfinite(array).all():
        raise ValueError(f"{argument}: expected finite coordinates, got NaN or inf in "
                         f"{array.tolist()!r:.200}. Remove or replace those values.")
    return array.astype(np.float64)


def _vector(value: Any, argument: str, length: int | None = None) -> np.ndarray:
    array = np.atleast_1d(_array(value, argument))
    if array.ndim != 1 or (length is not None and array.size != length):
        expected = f"{length} coordinates" if length else "a flat list of coordinates"
        raise ValueError(f"{argument}: expected {expected}, got shape {array.shape}.")
    return array


def _check_extent(lo: np.ndarray, hi: np.ndarray, where: str) -> None:
    """The bounding box `lo`, `hi`, its volume and diagonal must be finite in float64, and
    hi > lo on every axis."""
    with np.errstate(over="ignore", invalid="ignore"):
        sizes = [np.prod(hi - lo), np.sum((hi - lo) ** 2)]
    if not np.isfinite([*lo, *hi, *sizes]).all():
        raise ValueError(f"{where}: the domain spans {lo.tolist()} to {hi.tolist()}, too large "
                         "for float64 arithmetic (its size overflows). Rescale the coordinates, "
                         "e.g. nondimensionalise the problem.")
    if np.any(hi <= lo):
        raise ValueError(f"{where}: the domain spans {lo.tolist()} to {hi.tolist()}, with no "
                         f"extent along axis {int(np.argmax(hi <= lo))}: a degenerate shape, or "
                         "one smaller than the resolution of float64 at its coordinates (then "
                         "shift the coordinates nearer the origin).")


def _method(method: Any, argument: str) -> str:
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"{argument}: unknown sampling method {method!r}; expected one of "
                         f"{list(METHODS)}.")
    return method

