"""Checks at the door: turn bad input into a clear ValueError/TypeError before anything is traced.

Each message names the argument, what was expected, what came, and the fix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import flax.linen as nn
import jax
import numpy as np

from jaxnn import losses as losses_lib
from jaxnn.training import eval_shape
from jaxnn.supervised._keras_names import METRIC_ALIASES
from jaxnn.supervised._objectives import (
    CLASSIFICATION_LOSSES,
    STEP_METRICS,
    VALIDATION_METRICS,
    probability_activation,
)
from jaxnn.training import prng_key
from jaxnn.validate import (  # noqa: F401 (check_int: for train.py)
    as_float_array,
    check_function,
    check_int,
    is_int,
    leaf_paths,
)


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
    if not is_int(batch_size):
        raise TypeError(f"{where}(batch_size={batch_size!r}): expected an integer or None, got "
                        f"{type(batch_size).__name__}.")
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
                        "['accuracy'], or () for none. Known: "
                        f"{list(STEP_METRICS + VALIDATION_METRICS)}.")
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
    if isinstance(data, (tuple, list)) and len(data) == 3:
        raise TypeError(f"{argument}: expected a pair (x, y) of arrays, got 3 items. Sample "
                        "weights go in sample_weight=..., e.g. fit(model, (x, y), "
                        "sample_weight=w).")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        count = f" of {len(data)} items" if isinstance(data, (tuple, list)) else ""
        raise TypeError(f"{argument}: expected a pair (x, y) of arrays, got "
                        f"{type(data).__name__}{count}.")
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


def check_sample_weight(sample_weight: Any, num_samples: int, where: str,
                        argument: str | None = None) -> np.ndarray:
    """Per-sample weights ``(n,)``: finite and >= 0 (None: all ones). Errors name `argument`
    (default ``where(sample_weight=...)``)."""
    if sample_weight is None:
        return np.ones(num_samples, np.float32)
    argument = argument or f"{where}(sample_weight=...)"
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


# --------------------------------------------------------------- parameters against the model


def _model_name(model: Any) -> str:
    text = repr(model).split("\n")[0]
    return text if len(text) <= 60 else text[:57] + "..."


def _expected_params(model: Any, sample_shape: tuple, dtype: Any) -> Any:
    """The parameter tree `model.init` builds for samples of `sample_shape` (shapes only), or
    None where it cannot be told (no init, or inputs the model refuses)."""
    if not callable(getattr(model, "init", None)):
        return None
    sample = jax.ShapeDtypeStruct((1, *sample_shape), dtype)
    try:
        return eval_shape(model.init, prng_key(0), sample)
    except Exception:  # noqa: BLE001 (the input's shape is the problem: the caller names it)
        return None


def check_params(model: Any, params: Any, x: np.ndarray, where: str) -> None:
    """`params` must be this model's parameter tree: not None, not a `TrainResult`, and leaf by
    leaf the shapes `model.init` builds. A tree that only differs in the input size of the first
    layer is left for the input check to name (the data, not the parameters, are then wrong)."""
    argument = f"{where}(params=...)"
    if params is None:
        raise TypeError(f"{argument}: expected the model's parameters (result.params of a fit, "
                        "or model.init(key, x[:1])), got None.")
    if all(hasattr(params, name) for name in ("params", "history", "state", "epochs_run")):
        raise TypeError(f"{argument}: got a TrainResult; pass its parameters, result.params "
                        f"(e.g. jaxnn.{where}(model, result.params, ...)).")
    leaves = jax.tree_util.tree_leaves(params)
    # A model without parameters (model.init returns {}) is checked against `model.init` below.
    parameterless = not leaves and isinstance(params, Mapping)
    if not (leaves or parameterless) or not all(hasattr(leaf, "shape") and hasattr(leaf, "dtype")
                                                for leaf in leaves):
        raise TypeError(f"{argument}: expected a pytree of arrays (result.params of a fit, or "
                        f"model.init(key, x[:1])), got {type(params).__name__} "
                        f"{repr(params)[:60]}.")
    expected = _expected_params(model, x.shape[1:], x.dtype)
    if expected is None:
        return
    wanted, given = dict(leaf_paths(expected)), dict(leaf_paths(params))
    if parameterless and wanted:
        raise ValueError(f"{argument}: got no parameters ({params!r:.40}), but the model has "
                         f"{len(wanted)} arrays of them, e.g. {next(iter(wanted))}. Pass "
                         "result.params of its fit, or model.init(key, x[:1]).")
    if set(wanted) == set(given) and all(tuple(np.shape(given[k])) == tuple(wanted[k].shape)
                                         for k in wanted):
        return
    first_kernel = next((k for k in wanted if k.endswith("kernel")), None)
    if first_kernel in given and set(wanted) == set(given):
        differing = [k for k in wanted if tuple(np.shape(given[k])) != tuple(wanted[k].shape)]
        if differing == [first_kernel]:
            return  # built for other input features: the input check says so
    hint = (f"Pass the parameters this model was trained with (result.params of its fit) or "
            f"build the model they came from. Model: {_model_name(model)}.")
    for name, leaf in wanted.items():
        if name not in given:
            nearby = [k for k in given if k.endswith(name.split("/")[-1])][:3]
            raise ValueError(f"{argument}: the parameters do not belong to this model: they have "
                             f"no leaf {name} (shape {tuple(leaf.shape)}); they have "
                             f"{nearby or sorted(given)[:3]}. {hint}")
        if tuple(np.shape(given[name])) != tuple(leaf.shape):
            raise ValueError(f"{argument}: the parameters do not belong to this model: at {name} "
                             f"they hold shape {tuple(np.shape(given[name]))}, the model needs "
                             f"{tuple(leaf.shape)}. {hint}")
    extra = [k for k in given if k not in wanted]
    raise ValueError(f"{argument}: the parameters do not belong to this model: they hold a leaf "
                     f"{extra[0]} that the model has no use for. {hint}")


def check_custom_loss(loss_fn: Any, output: Any, y: np.ndarray, where: str) -> None:
    """A user's loss: callable as ``loss(predictions, targets, weight)`` and returning a scalar,
    probed once on shapes (`jax.eval_shape`, nothing computed) before training is traced."""
    if loss_fn in losses_lib.LOSSES.values():
        return
    argument = f"{where}(loss=...)"
    contract = "loss(predictions, targets, weight) -> scalar"
    check_function(loss_fn, argument, contract, [3])
    rows = min(len(y), 2)
    predictions = jax.ShapeDtypeStruct((rows, *output.shape[1:]), output.dtype)
    targets = jax.ShapeDtypeStruct((rows, *y.shape[1:]), y.dtype)
    weight = jax.ShapeDtypeStruct((rows,), np.float32)
    try:
        value = jax.eval_shape(loss_fn, predictions, targets, weight)
    except Exception as error:  # the user's code: any failure is named
        raise ValueError(f"{argument}: calling the loss as {contract} on predictions of shape "
                         f"{predictions.shape} and targets of shape {targets.shape} failed: "
                         f"{type(error).__name__}: {str(error)[:200]}") from error
    if not (hasattr(value, "shape") and value.shape == ()):
        shape = getattr(value, "shape", type(value).__name__)
        raise ValueError(f"{argument}: the loss must return one number (a scalar), got "
                         f"{shape} for predictions of shape {predictions.shape}. Average over "
                         "the samples, e.g. jnp.mean(...) or jnp.sum(weight * ...) / "
                         "jnp.sum(weight).")
