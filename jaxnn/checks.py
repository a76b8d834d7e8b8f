"""Checks at the door: turn bad input into a clear ValueError/TypeError before anything is traced.

Each message names the argument, what was expected, what came, and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import numpy as np

from jaxnn import losses as losses_lib
from jaxnn.keras_names import METRIC_ALIASES
from jaxnn.objectives import (
    CLASSIFICATION_LOSSES,
    STEP_METRICS,
    VALIDATION_METRICS,
    probability_activation,
)


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


# --------------------------------------------------------------- supervised data (fit, evaluate)


def check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, (tuple, list)):
        raise TypeError(f"metrics={metrics!r}: expected a list of metric names such as "
                        f"['accuracy'], or () for none. Known: {list(STEP_METRICS + VALIDATION_METRICS)}.")
    metrics = [METRIC_ALIASES.get(name, name) if isinstance(name, str) else name
               for name in metrics]  # Keras's "acc" is "accuracy"
    for name in metrics:
        if not isinstance(name, str) or name not in STEP_METRICS + VALIDATION_METRICS:
            raise ValueError(
                f"metrics: {name!r} is not a known metric. Expected some of "
                f"{list(STEP_METRICS + VALIDATION_METRICS)}."
            )
    return tuple(metrics)


def check_targets(loss_fn, y: np.ndarray, output_shape: tuple, argument: str) -> np.ndarray:
    """Check labels against the loss and the model output; return them as a float/int array."""
    outputs = output_shape[-1] if len(output_shape) > 1 else 1
    if loss_fn in CLASSIFICATION_LOSSES and len(output_shape) != 2:
        raise ValueError(
            f"{argument}: a cross-entropy loss needs model outputs of shape (n, classes), got "
            f"{output_shape}. Build the model so that it returns one row of logits per sample "
            "(flatten image inputs or use jaxnn.CNN)."
        )
    if loss_fn is losses_lib.mse:
        per_output, per_target = int(np.prod(output_shape[1:])), int(np.prod(y.shape[1:]))
        if per_output != per_target:
            raise ValueError(
                f"{argument}: loss='mse' compares each target with the model output, but the "
                f"model gives {output_shape[1:]} ({per_output} values) per sample and y has "
                f"shape {y.shape} ({per_target} values per sample). Build the model with "
                f"{per_target} outputs or pass matching targets."
            )
    if loss_fn is losses_lib.softmax_cross_entropy:
        if outputs < 2:
            raise ValueError(
                f"loss='softmax_cross_entropy' needs a model with one output per class (>= 2), "
                f"got {outputs}. Use loss='binary_cross_entropy' for a single logit."
            )
        if y.ndim == 2 and y.shape[1] == outputs:
            bad = np.any(y < 0, axis=1) | (np.abs(y.sum(axis=1) - 1.0) > 1e-3)
            if bad.any():
                row = int(np.argmax(bad))
                raise ValueError(
                    f"{argument}: rows of shape (n, {outputs}) are read as class probabilities "
                    "(one-hot or smoothed), so they must be >= 0 and sum to 1; row "
                    f"{row} is {y[row].tolist()}. Pass integer class labels (n,) instead."
                )
            return y.astype(np.float32)
        if y.ndim != 1 or not np.all(np.mod(y, 1) == 0):
            raise ValueError(
                f"{argument}: expected integer class labels (n,) or one-hot rows (n, {outputs}), "
                f"got shape {y.shape} with values like {np.unique(y)[:5]}. Encode string labels "
                "with jaxnn.data.LabelEncoder."
            )
        if y.min() < 0 or y.max() >= outputs:
            raise ValueError(
                f"{argument}: class labels must lie in [0, {outputs - 1}] for a model with "
                f"{outputs} outputs, got labels from {int(y.min())} to {int(y.max())}. Build the "
                f"model with {int(y.max()) + 1} outputs or re-encode the labels."
            )
        return y.astype(np.int32)
    if loss_fn is losses_lib.binary_cross_entropy:
        if outputs != 1:
            raise ValueError(
                f"loss='binary_cross_entropy' needs a model with a single output (the logit), "
                f"got {outputs} outputs. Use loss='softmax_cross_entropy' for {outputs} classes."
            )
        if y.size != y.shape[0] or y.min() < 0 or y.max() > 1:
            raise ValueError(
                f"{argument}: binary cross-entropy needs one label in [0, 1] per sample, got "
                f"shape {y.shape} with values from {y.min()} to {y.max()}."
            )
        return y.reshape(-1).astype(np.float32)
    return y.astype(np.float32)


def check_output_activation(model: nn.Module, loss_fn, where: str = "fit") -> None:
    """A probability output must match its cross-entropy: softmax with the softmax loss,
    sigmoid with the binary one (the losses then read probabilities, `objectives.loss_inputs`).
    """
    activation = probability_activation(model)
    if loss_fn is losses_lib.softmax_cross_entropy and activation == "sigmoid":
        raise ValueError(
            f"{where}(model=...): output_activation='sigmoid' with a softmax (categorical) "
            "cross-entropy: independent sigmoid outputs are not a distribution over classes. "
            "End the model in 'softmax' (or no activation, logits), or use "
            "loss='binary_cross_entropy' with one output."
        )
    if loss_fn is losses_lib.binary_cross_entropy and activation == "softmax":
        raise ValueError(
            f"{where}(model=...): output_activation='softmax' with binary cross-entropy: the "
            "softmax of a single output is always 1. End the model in 'sigmoid' (or no "
            "activation, a logit), or use loss='softmax_cross_entropy' with two outputs."
        )


def check_pair(data: Any, argument: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"{argument}: expected a pair (x, y) of arrays, got {type(data).__name__}.")
    x = check_finite(as_float_array(data[0], f"{argument} x"), f"{argument} x")
    y = check_finite(as_float_array(data[1], f"{argument} y"), f"{argument} y")
    if len(x) != len(y):
        raise ValueError(
            f"{argument}: x and y must have the same number of samples, got {len(x)} and "
            f"{len(y)}."
        )
    if len(x) == 0:
        raise ValueError(f"{argument}: got an empty data set (0 samples).")
    if x[0].size == 0 or y[0].size == 0:
        raise ValueError(f"{argument}: the samples hold no values (x has shape {x.shape}, y has "
                         f"shape {y.shape}). Pass at least one feature and one target per sample.")
    return x, y


def check_sample_weight(sample_weight: Any, num_samples: int, where: str) -> np.ndarray:
    """Per-sample weights ``(n,)``: finite and >= 0 (None: all ones)."""
    if sample_weight is None:
        return np.ones(num_samples, np.float32)
    argument = f"{where}(sample_weight=...)"
    weight = check_finite(as_float_array(sample_weight, argument), argument)
    if weight.shape != (num_samples,):
        raise ValueError(f"{argument}: expected one weight per sample, shape ({num_samples},), "
                         f"got shape {weight.shape}.")
    given = np.asarray(sample_weight, dtype=np.float64).reshape(weight.shape)  # before float32
    if np.any(given < 0):
        raise ValueError(f"{argument}: expected non-negative weights, got {given.min()} at index "
                         f"{int(np.argmin(given))}.")
    if not np.sum(given) > 0:  # the weighted means would be 0 / 0
        raise ValueError(f"{argument}: all {num_samples} weights are 0; give some samples a "
                         "positive weight.")
    positive = given[given > 0]
    if positive.min() < np.finfo(np.float32).tiny:  # flushed to 0 on the device
        raise ValueError(
            f"{argument}: weights as small as {positive.min():.3g} underflow float32. Rescale "
            "them (only their ratios matter), e.g. sample_weight / sample_weight.max()."
        )
    return weight


def check_auc(metrics: tuple[str, ...], y: np.ndarray, weight: np.ndarray, outputs: int,
               argument: str) -> None:
    """AUC needs a binary classifier and both classes among the (weighted) samples."""
    if "auc" not in metrics:
        return
    if outputs > 2:
        raise ValueError(
            f"{argument}: metrics 'auc' needs a binary classifier (1 logit or 2 classes), the "
            f"model has {outputs} outputs. Use 'accuracy' or 'f1' for multi-class problems.")
    labels = np.argmax(y, axis=1) if y.ndim == 2 and y.shape[1] > 1 else np.round(y).reshape(-1)
    present = np.unique(labels[weight > 0])
    if len(present) < 2:
        raise ValueError(
            f"{argument}: metrics 'auc' needs samples of both classes, but the labels hold only "
            f"class {present.tolist()}. Use a larger or stratified validation set "
            "(jaxnn.data.split(..., stratify=y)), or drop 'auc' from metrics.")
