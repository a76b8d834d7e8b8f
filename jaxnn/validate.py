"""One place for the argument checks every public function repeats (jaxnn and pinn import them).

Each check returns the value in its plain Python form, or raises a TypeError (wrong kind of
value) or a ValueError (right kind, wrong value) whose message names the argument as the
caller spells it (``"fit(epochs=...)"``), what was expected, what came, and the fix.

    >>> epochs = check_int(epochs, "fit(epochs=...)", minimum=0)
    >>> path = check_path(path, "load_params(path=...)", kind="file")

Nothing here imports the rest of jaxnn, so any module (pinn's too) may use it.
"""

from __future__ import annotations

import inspect
import math
import numbers
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import numpy as np


def _shown(value: Any) -> str:
    """`value`'s type and a short repr, as messages show what came."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def is_int(value: Any) -> bool:
    """True for Python and NumPy integers (not bools)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def is_number(value: Any) -> bool:
    """True for real Python and NumPy numbers (not bools, not strings, not arrays)."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def check_int(value: Any, argument: str, minimum: int | None = 0,
              maximum: int | None = None) -> int:
    """`value` as a Python int in [minimum, maximum], else a TypeError/ValueError naming
    `argument`."""
    if isinstance(value, jax.core.Tracer):
        raise TypeError(f"{argument}: must be a static Python int, got a traced value. Pass a "
                        "concrete number (not one computed inside jax.jit).")
    if not is_int(value):
        raise TypeError(f"{argument}: expected an integer, got {_shown(value)}.")
    low_bad = minimum is not None and value < minimum
    if low_bad or (maximum is not None and value > maximum):
        if maximum is None:
            bound = f">= {minimum}"
        elif minimum is None:
            bound = f"<= {maximum}"
        else:
            bound = f"in [{minimum}, {maximum}]"
        raise ValueError(f"{argument}: expected an integer {bound}, got {value}.")
    return int(value)


def check_seed(value: Any, argument: str) -> int:
    """A random seed: an integer in [0, 2**63 - 1] (what NumPy and jax.random both accept)."""
    if is_int(value) and value < 0:
        raise ValueError(f"{argument}: expected a non-negative integer seed, got {value}. Use "
                         f"seed={-int(value)}.")
    return check_int(value, argument, minimum=0, maximum=2**63 - 1)


def check_number(value: Any, argument: str, minimum: float | None = None,
                 maximum: float | None = None, *, above: float | None = None,
                 below: float | None = None, what: str = "a number") -> float:
    """`value` as a finite Python float within the given bounds (``minimum``/``maximum``
    inclusive, ``above``/``below`` strict)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, jax.Array) and value.ndim == 0 and not isinstance(value, jax.core.Tracer):
        value = value.item()
    if not is_number(value):
        hint = (" Pass a number, not a string: e.g. 0.1, not '0.1'." if isinstance(value, str)
                else "")
        raise TypeError(f"{argument}: expected {what}, got {_shown(value)}.{hint}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{argument}: expected {what}, finite, got {value}.")
    bounds = [(minimum, ">=", value >= (minimum or 0)), (above, ">", value > (above or 0)),
              (maximum, "<=", value <= (maximum or 0)), (below, "<", value < (below or 0))]
    bounds = [(limit, sign, ok) for limit, sign, ok in bounds if limit is not None]
    if not all(ok for *_, ok in bounds):
        wanted = " and ".join(f"{sign} {limit}" for limit, sign, _ in bounds)
        raise ValueError(f"{argument}: expected {what} {wanted}, got {value:g}.")
    return value


def check_probability(value: Any, argument: str) -> float:
    """A rate in [0, 1) (dropout, a validation fraction)."""
    return check_number(value, argument, minimum=0.0, below=1.0, what="a probability")


def check_bool(value: Any, argument: str) -> bool:
    """True or False (NumPy bools too); anything else is a TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{argument}: expected True or False, got {_shown(value)}.")
    return bool(value)


def check_choice(value: Any, argument: str, choices: Sequence[str]) -> str:
    """One of the strings `choices` (compared as given)."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{argument}: expected one of {list(choices)}, got {_shown(value)}.")
    return value


def check_sizes(value: Any, argument: str, example: str = "[200, 100, 2]",
                length: int | None = None, minimum: int = 1) -> tuple[int, ...]:
    """A non-empty sequence of integers >= `minimum` (a single integer is one size)."""
    if is_int(value):
        value = (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{argument}: expected a sequence of integers such as {example}, got "
                        f"{_shown(value)}.")
    sizes = tuple(value)
    if not sizes or not all(is_int(s) and s >= minimum for s in sizes):
        wanted = "positive integers" if minimum == 1 else f"integers >= {minimum}"
        raise ValueError(f"{argument}: expected a non-empty sequence of {wanted}, such as "
                         f"{example}, got {sizes!r}.")
    if length is not None and len(sizes) != length:
        raise ValueError(f"{argument}: expected {length} integers such as {example}, got "
                         f"{len(sizes)}: {sizes!r}.")
    return tuple(int(s) for s in sizes)


def check_path(value: Any, argument: str, kind: str = "file", must_exist: bool = True) -> Path:
    """`value` as a `Path`: a str or os.PathLike; with `must_exist`, an existing file
    (`kind="file"`) or directory (`kind="directory"`); otherwise only refused when it exists as
    the other kind."""
    if not isinstance(value, (str, os.PathLike)) or (isinstance(value, str) and not value):
        raise TypeError(f"{argument}: expected a {kind} path (a non-empty str or pathlib.Path), "
                        f"got {_shown(value)}.")
    path = Path(value)
    if kind == "file" and path.is_dir():
        raise ValueError(f"{argument}: {str(path)!r} is a directory; expected a file. Pass the "
                         "path of the file itself.")
    if kind == "directory" and path.exists() and not path.is_dir():
        raise ValueError(f"{argument}: {str(path)!r} is a file; expected a directory. Pass the "
                         "directory that holds the files.")
    blocker = _file_in_the_way(path)
    if blocker is not None:
        raise ValueError(f"{argument}: {str(path)!r} lies under {str(blocker)!r}, which is a "
                         "file, not a directory, so nothing can be read or created there. "
                         "Choose a path in a directory, or move that file.")
    if must_exist and not path.exists():
        raise FileNotFoundError(f"{argument}: no such {kind}: {str(path)!r}.")
    return path


def _file_in_the_way(path: Path) -> Path | None:
    """The nearest existing ancestor of a missing `path` if it is not a directory, else None."""
    if path.exists():
        return None
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def accepts_positional(fn: Callable, count: int) -> bool | None:
    """Whether `fn` can be called with `count` positional arguments (None: cannot tell)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    try:
        signature.bind(*range(count))
    except TypeError:
        return False
    return True


def check_function(fn: Any, argument: str, contract: str, counts: Sequence[int]) -> Callable:
    """`fn` must be callable with one of `counts` positional arguments; `contract` is how the
    call looks, e.g. ``"loss(predictions, targets, weight) -> scalar"``."""
    if not callable(fn):
        raise TypeError(f"{argument}: expected a function {contract}, got {_shown(fn)}.")
    answers = [accepts_positional(fn, n) for n in counts]
    if all(answer is False for answer in answers):
        name = getattr(fn, "__name__", type(fn).__name__)
        try:
            shown = f"{name}{inspect.signature(fn)}"
        except (TypeError, ValueError):
            shown = name
        takes = " or ".join(str(n) for n in counts)
        raise TypeError(f"{argument}: expected a function {contract} (called with {takes} "
                        f"positional arguments), got {shown}. Change its arguments to match.")
    return fn


def leaf_paths(tree: Any) -> list[tuple[str, Any]]:
    """``("layer/kernel", leaf)`` pairs of a pytree, in order."""
    flat = jax.tree_util.tree_flatten_with_path(tree)[0]
    return [("/".join(str(getattr(k, "key", getattr(k, "idx", getattr(k, "name", k))))
                      for k in path) or "(root)", leaf) for path, leaf in flat]


def check_finite_tree(tree: Any, argument: str, fix: str) -> None:
    """Raise ValueError naming the first leaf of `tree` holding NaN/inf (host check, once)."""
    for name, leaf in leaf_paths(tree):
        if isinstance(leaf, jax.core.Tracer) or not hasattr(leaf, "dtype"):
            continue
        if not np.issubdtype(np.dtype(leaf.dtype), np.inexact):
            continue
        if isinstance(leaf, jax.Array) and not leaf.is_fully_addressable:
            continue  # spread over processes: each checks its own share elsewhere
        values = np.asarray(jax.device_get(leaf))
        if not np.all(np.isfinite(values)):
            count = int(np.size(values) - np.count_nonzero(np.isfinite(values)))
            raise ValueError(f"{argument}: {name} holds {count} NaN/inf value(s) of "
                             f"{np.size(values)}. {fix}")




def as_float_array(value: Any, argument: str) -> np.ndarray:
    """`value` as a NumPy array of floats (bool/int become float32; float64 is kept)."""
    if hasattr(value, "__jax_array__") or isinstance(value, jax.Array):
        value = np.asarray(value)
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        _check_ragged(value, argument)
        raise TypeError(f"{argument}: expected an array of numbers, got "
                        f"{type(value).__name__}.") from error
    if array.dtype == object:
        _check_ragged(value, argument)
    if array.dtype == object or array.dtype.kind in "USV":
        raise TypeError(
            f"{argument}: expected an array of numbers, got dtype {array.dtype}. Encode text "
            "labels with jaxnn.data.LabelEncoder and pass numeric features."
        )
    if array.dtype.kind == "c":
        raise TypeError(f"{argument}: expected real numbers, got complex dtype {array.dtype}.")
    if array.ndim == 0:
        raise ValueError(f"{argument}: expected an array with a sample axis, got a scalar.")
    if array.dtype.kind in "biu":
        return array.astype(np.float32)
    if array.dtype == np.float64 and not jax.config.jax_enable_x64:
        with np.errstate(over="ignore"):
            converted = array.astype(np.float32)
        overflow = np.isinf(converted) & np.isfinite(array)
        if overflow.any():
            raise ValueError(
                f"{argument}: {int(overflow.sum())} value(s) such as "
                f"{array[overflow].flat[0]:.3g} overflow float32, JAX's default. Rescale the data "
                "or enable float64 with jax.config.update('jax_enable_x64', True)."
            )
        return converted
    return array


def _check_ragged(value: Any, argument: str) -> None:
    """A nested list whose rows differ in length: name the lengths (ValueError)."""
    if not isinstance(value, (list, tuple)):
        return
    lengths = [len(row) if isinstance(row, (list, tuple, np.ndarray)) else None for row in value]
    if len(set(lengths)) > 1:
        first = next(i for i, n in enumerate(lengths) if n != lengths[0])
        shown = sorted({n for n in lengths if n is not None})[:6]
        raise ValueError(
            f"{argument}: a ragged list: its rows have different lengths {shown} (row 0 has "
            f"{lengths[0]} value(s), row {first} has {lengths[first]}). Every sample needs the "
            "same number of values: pad or trim the rows, or fix the row that differs.")


def check_static_int(value: Any, argument: str, minimum: int = 1) -> int:
    """`value` as a Python int >= `minimum`; a traced value (it must be static) or anything
    else gets a TypeError/ValueError naming `argument`."""
    if isinstance(value, jax.core.Tracer):
        raise TypeError(f"{argument}: must be a static Python int, got a traced value. Pass it "
                        "as a static argument (jax.jit(..., static_argnums=...)) or close over it.")
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{argument}: expected an integer, got {type(value).__name__} {value!r}.")
    if value < minimum:
        raise ValueError(f"{argument}: expected an integer >= {minimum}, got {value}.")
    return int(value)


def shown(value: Any) -> str:
    """`value`'s type and a short repr (at most 60 characters), as the messages show what came:
    ``shown("0.1")`` is ``"str '0.1'"``."""
    return _shown(value)


def check_whole_labels(array: np.ndarray, argument: str, fix: str) -> None:
    """Refuse float or unsigned class labels that are not whole numbers fitting int64 (NaN, 0.7,
    2**64): the ValueError names the first, how many others, and `fix` (what to pass)."""
    if array.dtype.kind not in "fu":
        return
    bad = ~np.isfinite(array) | (array != np.round(array)) | (np.abs(array) >= 2.0**63)
    if bad.any():
        first = array[bad].flat[0]
        raise ValueError(f"{argument}: expected integer class labels, got {first!r} (and "
                         f"{int(bad.sum()) - 1} other non-integer values). {fix}")


__all__ = [
    "accepts_positional",
    "as_float_array",
    "check_bool",
    "check_choice",
    "check_finite_tree",
    "check_function",
    "check_int",
    "check_number",
    "check_path",
    "check_probability",
    "check_seed",
    "check_sizes",
    "check_whole_labels",
    "check_static_int",
    "is_int",
    "is_number",
    "leaf_paths",
    "shown",
]
