"""Checks at the door: turn bad input into a clear ValueError/TypeError before anything is traced.

Each message names the argument, what was expected, what came, and the fix.
"""

from __future__ import annotations

from typing import Any

import jax
import numpy as np


def as_float_array(value: Any, argument: str) -> np.ndarray:
    """`value` as a NumPy array of floats (bool/int become float32; float64 is kept)."""
    if hasattr(value, "__jax_array__") or isinstance(value, jax.Array):
        value = np.asarray(value)
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{argument}: expected an array of numbers, got {type(value).__name__}.") from error
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
        return array.astype(np.float32)
    return array


def check_finite(array: np.ndarray, argument: str) -> np.ndarray:
    """Raise if `array` holds NaN or inf, naming how many and the first position."""
    finite = np.isfinite(array)
    if not finite.all():
        bad = np.argwhere(~finite)
        raise ValueError(
            f"{argument}: contains {len(bad)} NaN/inf value(s), the first at index "
            f"{tuple(int(i) for i in bad[0])}. Remove or impute those samples before training."
        )
    return array


def check_batch_size(batch_size: Any, num_samples: int, where: str) -> None:
    """`batch_size` must be None (full batch) or an integer in [1, num_samples]."""
    if batch_size is None:
        return
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise TypeError(f"{where}(batch_size={batch_size!r}): expected an integer or None.")
    if not 1 <= batch_size <= num_samples:
        raise ValueError(
            f"{where}(batch_size={batch_size}): expected 1 <= batch_size <= {num_samples} (the "
            f"number of training samples). Use batch_size={min(max(batch_size, 1), num_samples)} "
            "or None for full-batch training."
        )


def expected_input_shape(params: Any) -> str | None:
    """Describe the input the first layer of `params` was built for, if it can be read off."""
    flat = jax.tree_util.tree_flatten_with_path(params)[0]
    for path, leaf in flat:
        names = [str(getattr(p, "key", p)) for p in path]
        if names and names[-1] == "kernel":
            if leaf.ndim == 2:
                return f"{leaf.shape[0]} features (first layer kernel {tuple(leaf.shape)})"
            if leaf.ndim == 4:
                return f"{leaf.shape[2]} channels (first conv kernel {tuple(leaf.shape)})"
    return None
