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


def check_int(value: Any, argument: str, minimum: int = 0, maximum: int | None = None) -> int:
    """`value` as a Python int in [minimum, maximum], or a TypeError/ValueError naming `argument`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{argument}: expected an integer, got {type(value).__name__} {value!r}.")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
        raise ValueError(f"{argument}: expected an integer {bound}, got {value}.")
    return int(value)


def check_model(model: Any, where: str, needs_init: bool = False) -> None:
    """`model` must be a Flax module (anything with ``apply``, and ``init`` when `needs_init`)."""
    methods = ("init", "apply") if needs_init else ("apply",)
    if isinstance(model, type):
        raise TypeError(f"{where}(model=...): got the class {model.__name__}; pass an instance "
                        f"such as {model.__name__}(...) with its layer sizes.")
    if not all(callable(getattr(model, name, None)) for name in methods):
        raise TypeError(
            f"{where}(model=...): expected a flax.linen Module such as jaxnn.MLP([64, 2]), got "
            f"{type(model).__name__} {model!r:.80}. Build the model first and pass it."
        )


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
