"""Supervised training on top of the one loop: `fit`, `evaluate`, `predict`, `predict_proba`.

`fit` checks its inputs on the host (shapes, dtypes, finiteness, label ranges, argument values),
builds ``loss_fn(params, batch, key)`` from the model and the loss name, and hands it to
`jaxnn.training.train_loop`, which runs each epoch as one compiled call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding, PartitionSpec

from jaxnn import losses as losses_lib
from jaxnn import parallel
from jaxnn.models import adapt
from jaxnn.training import Callback, callback_list
from jaxnn.supervised._checks import (
    as_float_array,
    check_auc,
    check_batch_size,
    check_custom_loss,
    check_finite,
    check_int,
    check_metrics,
    check_model,
    check_output_activation,
    check_pair,
    check_params,
    check_sample_weight,
    check_targets,
    expected_input_shape,
)
from jaxnn.supervised._class_weights import check_class_weight, class_sample_weight
from jaxnn.training import eval_shape
from jaxnn.supervised._keras_names import get_optimizer
from jaxnn.training import EarlyStopping, train_loop
from jaxnn.models import check_input
from jaxnn.supervised._objectives import (
    SupervisedObjective,
    SupervisedValidation,
    decision_threshold,
    outputs_are_probabilities,
)
from jaxnn.training import TrainResult
from jaxnn.training import init_params, prng_key
from jaxnn.validate import check_finite_tree

VALIDATION_CHUNK = 4096  # rows per forward pass when validating or evaluating


@functools.partial(jax.jit, static_argnums=0)
def _predict_chunks(model: nn.Module, params: Any, chunks: jax.Array) -> jax.Array:
    return jax.lax.map(lambda xb: model.apply(params, xb), chunks)


def _output_shape(model: nn.Module, params: Any, x: np.ndarray, argument: str) -> tuple:
    """The model's output shape for all of `x` (shapes only, nothing is computed)."""
    return _output_struct(model, params, x, argument).shape


def _output_struct(model: nn.Module, params: Any, x: np.ndarray,
                   argument: str) -> jax.ShapeDtypeStruct:
    check_input(model, x.shape, argument)
    check_params(model, params, x, argument.split("(")[0])
    expected = expected_input_shape(params)
    wanted = f"inputs with {expected}" if expected else "inputs of the training data's shape"
    problem = (f"{argument}: the model's parameters were built for {wanted}, got x with shape "
               f"{x.shape}. Pass data with the same features (and order) the model was trained on"
               f"{' (one feature: x.reshape(-1, 1))' if x.ndim == 1 else ''}.")
    inputs = jax.ShapeDtypeStruct(x.shape, jnp.asarray(x[:1]).dtype)
    try:
        output = eval_shape(lambda p, s: model.apply(p, s), params, inputs)
    except Exception as error:  # any shape failure inside the model is a wrong input shape
        cause = str(error).splitlines()[0][:200] if str(error) else ""
        raise ValueError(f"{problem} (model.apply raised "
                         f"{type(error).__name__}: {cause})") from error
    # A model that took the whole of x as one sample (x (n,) for a model of n features) or
    # dropped the sample axis would be mis-chunked by predict: the outputs must keep it.
    if output.ndim == 0 or output.shape[0] != len(x):
        raise ValueError(f"{problem} (The model returned shape {output.shape} for {len(x)} "
                         "samples; it must return one output row per sample.)")
    return output


PREDICT_CHUNK = 8192  # rows per compiled forward pass of `predict`


def predict(model: nn.Module, params: Any, x: Any, batch_size: int | None = PREDICT_CHUNK
            ) -> np.ndarray:
    """Model outputs (logits for classifiers) for ``x: (n, ...)``, computed in chunks.

    The chunk shape is fixed, so calls with different `n` reuse one compiled function per
    chunk size. With several devices (`jaxnn.parallel`) each chunk is split over this
    process's devices (the chunk is rounded up to a multiple of their number). Returns a
    NumPy array ``(n, outputs)``. ``batch_size=None`` (as in Keras) means the default chunk.
    """
    model, params = adapt(model, params)  # Flax NNX / Equinox modules: the pure apply
    check_model(model, "predict")
    batch_size = PREDICT_CHUNK if batch_size is None else check_int(
        batch_size, "predict(batch_size=...)", minimum=1)
    x = check_finite(as_float_array(x, "predict(x=...)"), "predict(x=...)")
    output = _output_struct(model, params, x, "predict(x=...)")
    if 0 in output.shape:  # nothing to compute (no samples, or an empty axis)
        return np.zeros(output.shape, output.dtype)
    mesh = parallel.local_mesh()
    devices = 1 if mesh is None else mesh.size
    chunk = -(-int(min(batch_size, max(len(x), 1))) // devices) * devices
    padded = -(-len(x) // chunk) * chunk
    x_padded = np.concatenate([x, np.zeros((padded - len(x), *x.shape[1:]), x.dtype)])
    chunks = x_padded.reshape(padded // chunk, chunk, *x.shape[1:])
    params = parallel.replicate(params, mesh)
    if mesh is None:
        chunks = jnp.asarray(chunks)
    else:
        split = PartitionSpec(None, parallel.DATA_AXIS)
        chunks = jax.device_put(chunks, NamedSharding(mesh, split))
    outputs = np.asarray(_predict_chunks(model, params, chunks))
    return outputs.reshape(padded, *outputs.shape[2:])[: len(x)]


def predict_proba(model: nn.Module, params: Any, x: Any, batch_size: int | None = PREDICT_CHUNK
                  ) -> np.ndarray:
    """Class probabilities: sigmoid of a single logit ``(n, 1)``, softmax of several ``(n, C)``;
    a model that ends in a sigmoid/softmax already returns probabilities, returned as they are."""
    outputs = predict(model, params, x, batch_size)
    if outputs_are_probabilities(model):
        return outputs
    if outputs.shape[-1] == 1:
        return np.asarray(jax.nn.sigmoid(outputs))
    return np.asarray(jax.nn.softmax(outputs, axis=-1))


def _auto_batch_size(num_samples: int, mesh: Any) -> int:
    """32 (or all samples if fewer); with D devices a multiple of D, at least D if possible."""
    devices = 1 if mesh is None else mesh.size
    size = min(max(32, devices), num_samples)
    return size - size % devices if size >= devices else size


def _validation_arrays(x: np.ndarray, y: np.ndarray, weight: np.ndarray,
                       devices: int) -> tuple[dict[str, np.ndarray], int]:
    """``{"x", "y", "weight"}`` padded with weight-0 rows to whole chunks, and the chunk size."""
    chunk = -(-min(VALIDATION_CHUNK, len(x)) // devices) * devices
    pad = -len(x) % chunk

    def padded(a):
        return np.concatenate([a, np.zeros((pad, *a.shape[1:]), a.dtype)])

    return {"x": padded(x), "y": padded(y), "weight": padded(weight)}, chunk


@functools.partial(jax.jit, static_argnums=0)
def _evaluate(validation: SupervisedValidation, params: Any, data: dict) -> dict:
    return validation(params, data)


def evaluate(
    model: nn.Module,
    params: Any,
    data: tuple[Any, Any],
    *,
    loss: str = "softmax_cross_entropy",
    metrics: Sequence[str] = ("accuracy",),
    batch_size: int | None = VALIDATION_CHUNK,
    sample_weight: Any = None,
) -> dict[str, float]:
    """Loss and metrics of a trained model on ``data = (x, y)``; returns ``{"loss": ..., ...}``.

    The same computation as the validation logs of `fit` (one compiled function, cached),
    `batch_size` rows at a time. With `sample_weight` every reported value is weighted: the
    loss and accuracy/mae/mse are weighted means, precision, recall and F1 count summed
    weights, and the AUC is the weighted probability that a class-1 sample outscores a class-0
    sample, ties counting one half (as `jaxnn.metrics.roc_auc_score` with `sample_weight`).

    Args:
        model, params: the model and its trained parameters.
        data: ``(x: (n, ...), y: (n,) or (n, k))``.
        loss: the training loss's name (or callable), as for `fit`.
        metrics: names, as for `fit`.
        batch_size: rows per compiled forward pass (None: the default).
        sample_weight: ``(n,)`` non-negative event weights (None: all 1).

    Returns:
        ``{"loss": float, metric: float, ...}``.
    """
    model, params = adapt(model, params)
    check_model(model, "evaluate")
    x, y = check_pair(data, "evaluate(data=...)")
    loss_fn = losses_lib.get_loss(loss)
    check_output_activation(model, loss_fn, "evaluate")
    metrics = check_metrics(metrics)
    batch_size = VALIDATION_CHUNK if batch_size is None else check_int(
        batch_size, "evaluate(batch_size=...)", minimum=1)
    weight = check_sample_weight(sample_weight, len(x), "evaluate")
    output_shape = _output_shape(model, params, x, "evaluate(data=...)")
    y = check_targets(loss_fn, y, output_shape, "evaluate(data=...) y")
    check_custom_loss(loss_fn, jax.ShapeDtypeStruct(output_shape, jnp.float32), y, "evaluate")
    check_auc(metrics, y, weight, output_shape[-1], "evaluate(metrics=...)")
    arrays, chunk = _validation_arrays(x, y, weight, 1)
    validation = SupervisedValidation(model, loss_fn, metrics,
                                      decision_threshold(model, loss_fn), chunk, prefix="")
    scores = _evaluate(validation, jax.device_get(params), arrays)
    return {name: float(value) for name, value in scores.items()}


def _callbacks(callbacks: Any, verbose: int, log_every: int, checkpoint_dir, checkpoint_every,
               keep, resume) -> list:
    """The user's callbacks, then progress and checkpointing as callbacks of their own."""
    return callback_list(callbacks, verbose=verbose, log_every=log_every,
                         checkpoint_dir=checkpoint_dir, checkpoint_every=checkpoint_every,
                         keep=keep, resume=resume, where="fit")


def _initial_params(model: nn.Module, params: Any, x: np.ndarray, seed: int):
    """(params, state to continue from or None): ``model.init``, given params, or a result."""
    if isinstance(params, TrainResult):
        return params.state.params, params
    if params is not None:
        return params, None
    check_input(model, x.shape, "fit(data=...) x")
    try:
        params = init_params(model, prng_key(seed), jnp.asarray(x[:1]))
    except Exception as error:  # the model cannot take samples of this shape
        cause = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
        raise ValueError(f"fit(data=...) x: model.init failed on a sample of shape "
                         f"{x[:1].shape}: {cause}") from error
    settings = {k: getattr(model, k) for k in ("kernel_init", "bias_init") if hasattr(model, k)}
    check_finite_tree(params, f"fit(model={type(model).__name__}(...)): model.init(seed={seed})",
                      f"The initializer settings {settings} give non-finite initial parameters; "
                      "choose a finite scale, e.g. kernel_init='normal(0.01)'.")
    return params, None


def fit(
    model: nn.Module,
    data: tuple[Any, Any],
    *,
    loss: str | Callable = "softmax_cross_entropy",
    optimizer: optax.GradientTransformation | str | None = None,
    learning_rate: float | Callable | None = None,
    epochs: int = 10,
    batch_size: int | str | None = "auto",
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.0,
    metrics: Sequence[str] = ("accuracy",),
    early_stopping: EarlyStopping | None = None,
    callbacks: Sequence[Callback | Callable] = (),
    sample_weight: Any = None,
    class_weight: dict[int, float] | str | None = None,
    params: Any = None,
    seed: int = 0,
    verbose: int = 1,
    log_every: int = 1,
    checkpoint_dir: str | None = None,
    checkpoint_every: int = 1,
    keep: int = 3,
    resume: bool = False,
) -> TrainResult:
    """Train `model` on ``data = (x, y)`` by minibatch gradient descent, compiled once.

    Args:
        model: a flax.linen Module, e.g. ``jaxnn.MLP([200, 100, 2])``.
        data: ``(x: (n, ...), y: (n,) or (n, k))``.
        loss: "softmax_cross_entropy" (integer or one-hot labels), "binary_cross_entropy"
            (one logit, labels 0/1), "mse", or a callable ``(outputs, targets, weight)``;
            Keras's names too ("sparse_categorical_crossentropy", "categorical_crossentropy",
            "binary_crossentropy", "mean_squared_error"). The cross-entropies read logits; a
            model ending in softmax/sigmoid (``output_activation``) has its probabilities
            read as such (``-y log p``, clipped at 1e-7 as Keras).
        optimizer: an Optax transformation (default ``optax.adam(1e-3)``); schedules, clipping
            and ``optax.lbfgs`` (use ``batch_size=None``) pass straight through. Repeated fits
            with the same settings reuse the compiled code; wrap the optimizer in
            ``optax.inject_hyperparams`` to scan learning rates without recompiling. Or a
            name, "adam", "adamw", "sgd", "rmsprop": the Optax optimizer with `learning_rate`.
        learning_rate: the rate for an optimizer given by name (default Keras's: 1e-3, SGD
            1e-2), a number or an Optax schedule; ``optimizer="adam", learning_rate=r`` is
            ``optimizer=optax.adam(r)``.
        epochs: passes over the data in this call.
        batch_size: minibatch size, None for full-batch steps, or "auto": 32, or the number of
            samples if there are fewer; with D devices the multiple of D nearest below (at
            least D). A multiple of the device count splits each step over the devices.
        validation_data / validation_split: held-out ``(x, y)`` or ``(x, y, sample_weight)``
            (as Keras), or a seeded random fraction of `data` (with its sample weights),
            evaluated on the device after every epoch ("val_loss", "val_accuracy", "val_auc",
            ...), every log weighted by the validation samples' weights.
        metrics: any of "accuracy", "mae", "mse" (also on training batches) and "auc",
            "precision", "recall", "f1" (validation only). Accuracy thresholds a single output
            at 0 for a logit and at 0.5 for a sigmoid output or an "mse" regression output.
            Keras's "acc" is "accuracy" (logged as "accuracy").
        early_stopping: an `EarlyStopping` (monitor "val_loss" by default), exact per epoch.
        callbacks: functions ``callback(epoch, logs)`` (or ``(epoch, logs, state)``) called
            after every epoch, returning True to stop; or `jaxnn.Callback` objects.
        sample_weight: per-sample weights ``(n,)``.
        class_weight: ``{class: weight}`` (classes not listed keep 1) or "balanced"
            (scikit-learn's ``n / (classes * count)``), multiplied into the training samples'
            weights (not the validation data's), as Keras; classification losses only.
        params: parameters to start from (default: ``model.init`` with `seed`), or the
            `TrainResult` of an earlier fit to continue it: the optimizer state, step count,
            epoch numbering and history carry on (`epochs` more epochs are run).
        seed: seeds initialization, the validation split, batch order and dropout.
        verbose: 0 silent, 1 a progress bar, 2 one line every `log_every` epochs.
        checkpoint_dir, checkpoint_every, keep, resume: save the full training state every
            `checkpoint_every` epochs (newest `keep` kept) and, with ``resume=True``, continue
            from the newest checkpoint exactly where an interrupted run stopped (a finished run
            returns its result without training).

    Devices: with several devices training is data parallel, with no change to this call
    (`jaxnn.parallel`; ``jaxnn.parallel.use(1)`` switches it off). In a run of several
    processes each process passes its share of `data` (and of the validation data), all of
    the same size; `batch_size` is global and the validation logs cover all shares.

    Returns:
        `TrainResult` with ``params``, ``history`` (per-epoch lists), ``state``, ``stop_reason``,
        ``compile_seconds``.
    """
    model, params = adapt(model, params)  # Flax NNX / Equinox: split, their own parameters
    check_model(model, "fit", needs_init=params is None)
    x, y = check_pair(data, "fit(data=...)")
    loss_fn = losses_lib.get_loss(loss)
    metrics = check_metrics(metrics)
    check_output_activation(model, loss_fn)
    optimizer = get_optimizer(optimizer, learning_rate)
    class_weight = check_class_weight(class_weight)
    epochs = check_int(epochs, "fit(epochs=...)")
    seed = check_int(seed, "fit(seed=...)", maximum=2**63 - 1)
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"fit(early_stopping={early_stopping!r}): expected a "
                        "jaxnn.EarlyStopping(...) or None.")
    callbacks = _callbacks(callbacks, verbose, log_every, checkpoint_dir, checkpoint_every, keep,
                           resume)
    weight = check_sample_weight(sample_weight, len(x), "fit")
    x, y, weight, validation_data = _split_validation(x, y, weight, validation_data,
                                                      validation_split, seed)
    num_samples = len(x) * jax.process_count()  # several processes: each passes its share
    if batch_size == "auto":
        batch_size = _auto_batch_size(num_samples, parallel.mesh())
    check_batch_size(batch_size, num_samples, "fit")

    params, previous = _initial_params(model, params, x, seed)
    output_shape = _output_shape(model, params, x, "fit(data=...) x")
    y = check_targets(loss_fn, y, output_shape, "fit(data=...) y")
    check_custom_loss(loss_fn, jax.ShapeDtypeStruct(output_shape, jnp.float32), y, "fit")
    weight = weight * class_sample_weight(class_weight, loss_fn, y, output_shape[-1])
    threshold = decision_threshold(model, loss_fn)
    validation_fn = validation_arrays = None
    if validation_data is not None:
        x_val, y_val, w_val = validation_data
        if x_val.shape[1:] != x.shape[1:]:
            raise ValueError(
                f"fit(validation_data=...): x has samples of shape {x_val.shape[1:]}, the "
                f"training x has {x.shape[1:]}. Both need the same features."
            )
        y_val = check_targets(loss_fn, y_val, output_shape, "fit(validation_data=...) y")
        check_auc(metrics, y_val, w_val, output_shape[-1],
                  "fit(metrics=...) on the validation data")
        mesh = parallel.mesh()
        arrays, chunk = _validation_arrays(x_val, y_val, w_val, 1 if mesh is None else mesh.size)
        validation_arrays = parallel.place(arrays, mesh, process_shares=True,
                                           argument="fit(validation_data=...)")
        validation_fn = SupervisedValidation(model, loss_fn, metrics, threshold, chunk)
    if early_stopping is not None and validation_fn is None and "val" in early_stopping.monitor:
        raise ValueError(
            f"fit(early_stopping=...): it monitors {early_stopping.monitor!r} but there is no "
            "validation data. Pass validation_data/validation_split or monitor 'loss'."
        )

    # Each process passes its share of the samples, also for full-batch training.
    train_data = parallel.place({"x": x, "y": y, "weight": weight}, parallel.mesh(),
                                process_shares=True, argument="fit(data=...)")
    return train_loop(
        SupervisedObjective(model, loss_fn, metrics, threshold), params, train_data,
        optimizer=optimizer, epochs=epochs, batch_size=batch_size, seed=seed,
        validation_fn=validation_fn, validation_data=validation_arrays,
        early_stopping=early_stopping, callbacks=callbacks, state=previous,
    )


def _split_validation(x, y, weight, validation_data, validation_split, seed):
    """(x, y, weight, (x_val, y_val, w_val) or None): a seeded split keeps the weights."""
    if (isinstance(validation_split, bool)
            or not isinstance(validation_split, (int, float, np.integer, np.floating))
            or not 0.0 <= validation_split < 1.0):
        raise ValueError(f"fit(validation_split={validation_split!r}): expected a number in "
                         "[0, 1).")
    if validation_split and validation_data is not None:
        raise ValueError("fit: pass validation_data or validation_split, not both.")
    if validation_split:
        order = np.random.default_rng(seed).permutation(len(x))
        n_val = max(1, round(validation_split * len(x)))
        if n_val >= len(x):
            raise ValueError(f"fit(validation_split={validation_split}) leaves no training data.")
        held, kept = order[:n_val], order[n_val:]
        return x[kept], y[kept], weight[kept], (x[held], y[held], weight[held])
    if validation_data is not None:
        return x, y, weight, _validation_triple(validation_data)
    return x, y, weight, None


def _validation_triple(validation_data):
    """(x_val, y_val, w_val) from ``(x, y)`` (weights 1) or ``(x, y, sample_weight)``, as Keras."""
    argument = "fit(validation_data=...)"
    if isinstance(validation_data, (tuple, list)) and len(validation_data) == 3:
        x_val, y_val = check_pair(tuple(validation_data[:2]), argument)
        weight = check_sample_weight(validation_data[2], len(x_val), "fit",
                                     f"{argument} sample_weight (the third item)")
        return x_val, y_val, weight
    x_val, y_val = check_pair(validation_data, argument)
    return x_val, y_val, np.ones(len(x_val), np.float32)


__all__ = ["EarlyStopping", "TrainResult", "evaluate", "fit", "predict", "predict_proba"]
