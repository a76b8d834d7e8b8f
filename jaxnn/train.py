"""Supervised training on top of the one loop: `fit`, `evaluate`, `predict`, `predict_proba`.

`fit` checks its inputs on the host (shapes, dtypes, finiteness, label ranges, argument values),
builds ``loss_fn(params, batch, key)`` from the model and the loss name, and hands it to
`jaxnn.loop.train_loop`, which runs each epoch as one compiled call.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Sequence
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import NamedSharding, PartitionSpec

from jaxnn import losses as losses_lib
from jaxnn import metrics as metrics_lib
from jaxnn import parallel
from jaxnn.checks import as_float_array, check_batch_size, check_finite, expected_input_shape
from jaxnn.loop import Callback, EarlyStopping, TrainResult, train_loop

STEP_METRICS = ("accuracy", "mae", "mse")
HOST_METRICS = ("auc", "precision", "recall", "f1")
_CLASSIFICATION_LOSSES = (losses_lib.binary_cross_entropy, losses_lib.softmax_cross_entropy)


def _accepts_train(model: nn.Module) -> bool:
    try:
        return "train" in inspect.signature(type(model).__call__).parameters
    except (TypeError, ValueError):
        return False


def _apply(model: nn.Module, params: Any, x: jax.Array, key: jax.Array | None) -> jax.Array:
    """Forward pass; with a key the model runs in training mode (dropout on)."""
    if key is not None and _accepts_train(model):
        return model.apply(params, x, train=True, rngs={"dropout": key})
    return model.apply(params, x)


@functools.partial(jax.jit, static_argnums=0)
def _predict_chunks(model: nn.Module, params: Any, chunks: jax.Array) -> jax.Array:
    return jax.lax.map(lambda xb: model.apply(params, xb), chunks)


def _output_shape(model: nn.Module, params: Any, x: np.ndarray, argument: str) -> tuple:
    sample = jax.ShapeDtypeStruct((1, *x.shape[1:]), jnp.asarray(x[:1]).dtype)
    try:
        return jax.eval_shape(lambda p, s: model.apply(p, s), params, sample).shape
    except Exception as error:  # any shape failure inside the model is a wrong input shape
        expected = expected_input_shape(params)
        wanted = f"inputs with {expected}" if expected else "inputs of the training data's shape"
        raise ValueError(
            f"{argument}: the model's parameters were built for {wanted}, got x with shape "
            f"{x.shape}. Pass data with the same features (and order) the model was trained on."
        ) from error


def predict(model: nn.Module, params: Any, x: Any, batch_size: int = 8192) -> np.ndarray:
    """Model outputs (logits for classifiers) for ``x: (n, ...)``, computed in chunks.

    The chunk shape is fixed, so calls with different `n` reuse one compiled function per
    chunk size. With several devices (`jaxnn.parallel`) each chunk is split over this
    process's devices (the chunk is rounded up to a multiple of their number). Returns a
    NumPy array ``(n, outputs)``.
    """
    x = check_finite(as_float_array(x, "predict(x=...)"), "predict(x=...)")
    _output_shape(model, params, x, "predict(x=...)")
    mesh = parallel.local_mesh()
    devices = 1 if mesh is None else mesh.size
    chunk = -(-int(min(batch_size, max(len(x), 1))) // devices) * devices
    padded = -(-len(x) // chunk) * chunk
    x_padded = np.concatenate([x, np.zeros((padded - len(x), *x.shape[1:]), x.dtype)])
    chunks = x_padded.reshape(-1, chunk, *x.shape[1:])
    params = parallel.replicate(params, mesh)
    if mesh is None:
        chunks = jnp.asarray(chunks)
    else:
        split = PartitionSpec(None, parallel.DATA_AXIS)
        chunks = jax.device_put(chunks, NamedSharding(mesh, split))
    outputs = np.asarray(_predict_chunks(model, params, chunks))
    return outputs.reshape(-1, *outputs.shape[2:])[: len(x)]


def predict_proba(model: nn.Module, params: Any, x: Any, batch_size: int = 8192) -> np.ndarray:
    """Class probabilities: sigmoid of a single logit ``(n, 1)``, softmax of several ``(n, C)``."""
    logits = predict(model, params, x, batch_size)
    if logits.shape[-1] == 1:
        return np.asarray(jax.nn.sigmoid(logits))
    return np.asarray(jax.nn.softmax(logits, axis=-1))


def _positive_score(outputs: np.ndarray) -> np.ndarray:
    """The signal score of a binary classifier: the logit, or softmax column 1."""
    if outputs.shape[-1] == 1:
        return outputs[:, 0]
    if outputs.shape[-1] == 2:
        return np.asarray(jax.nn.softmax(outputs, axis=-1))[:, 1]
    raise ValueError(
        f"metrics 'auc': needs a binary classifier (1 logit or 2 classes), got {outputs.shape[-1]}"
        " outputs. Use accuracy/f1 for multi-class problems."
    )


def _class_predictions(outputs: jax.Array) -> jax.Array:
    if outputs.shape[-1] == 1:
        return (outputs[:, 0] > 0).astype(jnp.int32)
    return jnp.argmax(outputs, axis=-1)


def _class_labels(y: jax.Array) -> jax.Array:
    if y.ndim == 2 and y.shape[-1] > 1:
        return jnp.argmax(y, axis=-1)
    return jnp.round(y.reshape(y.shape[0])).astype(jnp.int32)


def _step_metric(name: str, outputs: jax.Array, y: jax.Array, weight: jax.Array) -> jax.Array:
    if name == "accuracy":
        correct = (_class_predictions(outputs) == _class_labels(y)).astype(jnp.float32)
        return jnp.sum(correct * weight) / jnp.maximum(jnp.sum(weight), 1e-12)
    error = outputs.reshape(outputs.shape[0], -1) - y.reshape(y.shape[0], -1)
    per_sample = jnp.mean(jnp.abs(error) if name == "mae" else error**2, axis=1)
    return jnp.sum(per_sample * weight) / jnp.maximum(jnp.sum(weight), 1e-12)


def _check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    if isinstance(metrics, str):
        metrics = (metrics,)
    for name in metrics:
        if name not in STEP_METRICS + HOST_METRICS:
            raise ValueError(
                f"metrics: {name!r} is not a known metric. Expected some of "
                f"{list(STEP_METRICS + HOST_METRICS)}."
            )
    return tuple(metrics)


def _check_targets(loss_fn, y: np.ndarray, output_shape: tuple, argument: str) -> np.ndarray:
    """Check labels against the loss and the model output; return them as a float/int array."""
    outputs = output_shape[-1] if len(output_shape) > 1 else 1
    if loss_fn is losses_lib.softmax_cross_entropy:
        if outputs < 2:
            raise ValueError(
                f"loss='softmax_cross_entropy' needs a model with one output per class (>= 2), "
                f"got {outputs}. Use loss='binary_cross_entropy' for a single logit."
            )
        if y.ndim == 2 and y.shape[1] == outputs:
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


def _check_output_activation(model: nn.Module, loss_fn) -> None:
    activation = getattr(model, "output_activation", None)
    if loss_fn in _CLASSIFICATION_LOSSES and activation in ("sigmoid", "softmax"):
        raise ValueError(
            f"model output_activation={activation!r} with a cross-entropy loss: the losses take "
            "logits (numerically stable). Build the model without output_activation; "
            "jaxnn.predict_proba applies the sigmoid/softmax."
        )


def _unpack(data: Any, argument: str) -> tuple[np.ndarray, np.ndarray]:
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
    return x, y


def _auto_batch_size(num_samples: int, mesh: Any) -> int:
    """32 (or all samples if fewer); with D devices a multiple of D, at least D if possible."""
    devices = 1 if mesh is None else mesh.size
    size = min(max(32, devices), num_samples)
    return size - size % devices if size >= devices else size


def _make_loss_fn(model: nn.Module, loss_fn, metrics: tuple[str, ...]):
    step_metrics = [m for m in metrics if m in STEP_METRICS]

    def supervised_loss(params, batch, key):
        outputs = _apply(model, params, batch["x"], key)
        loss = loss_fn(outputs, batch["y"], batch["weight"])
        aux = {m: _step_metric(m, outputs, batch["y"], batch["weight"]) for m in step_metrics}
        return loss, aux

    return supervised_loss


def _scores(model, params, x, y, weight, loss_fn, metrics, batch_size, prefix="",
            across_processes=False):
    outputs = predict(model, params, x, batch_size)
    if across_processes:  # every process scores all validation shares: same logs everywhere
        outputs, y, weight = parallel.gather_processes((outputs, y, weight))
    out_j, y_j, w_j = jnp.asarray(outputs), jnp.asarray(y), jnp.asarray(weight)
    result = {f"{prefix}loss": float(loss_fn(out_j, y_j, w_j))}
    for name in metrics:
        if name in STEP_METRICS:
            result[prefix + name] = float(_step_metric(name, out_j, y_j, w_j))
        elif name == "auc":
            result[prefix + name] = metrics_lib.roc_auc_score(
                np.asarray(_class_labels(y_j)), _positive_score(outputs)
            )
        else:
            labels, predicted = np.asarray(_class_labels(y_j)), np.asarray(_class_predictions(out_j))
            average = "binary" if outputs.shape[-1] <= 2 else "macro"
            score = {"precision": metrics_lib.precision, "recall": metrics_lib.recall,
                     "f1": metrics_lib.f1_score}[name]
            result[prefix + name] = float(score(labels, predicted, average=average))
    return result


def evaluate(
    model: nn.Module,
    params: Any,
    data: tuple[Any, Any],
    *,
    loss: str = "softmax_cross_entropy",
    metrics: Sequence[str] = ("accuracy",),
    batch_size: int = 8192,
    sample_weight: Any = None,
) -> dict[str, float]:
    """Loss and metrics of a trained model on ``data = (x, y)``; returns ``{"loss": ..., ...}``."""
    x, y = _unpack(data, "evaluate(data=...)")
    loss_fn = losses_lib.get_loss(loss)
    metrics = _check_metrics(metrics)
    output_shape = _output_shape(model, params, x, "evaluate(data=...)")
    y = _check_targets(loss_fn, y, output_shape, "evaluate(data=...) y")
    weight = np.ones(len(x), np.float32) if sample_weight is None else np.asarray(sample_weight)
    return _scores(model, params, x, y, weight, loss_fn, metrics, batch_size)


def fit(
    model: nn.Module,
    data: tuple[Any, Any],
    *,
    loss: str = "softmax_cross_entropy",
    optimizer: optax.GradientTransformation | None = None,
    epochs: int = 10,
    batch_size: int | str | None = "auto",
    validation_data: tuple[Any, Any] | None = None,
    validation_split: float = 0.0,
    metrics: Sequence[str] = ("accuracy",),
    early_stopping: EarlyStopping | None = None,
    callbacks: Sequence[Callback] = (),
    sample_weight: Any = None,
    params: Any = None,
    seed: int = 0,
    verbose: int = 1,
    checkpoint_dir: str | None = None,
    checkpoint_every: int = 1,
    keep: int = 3,
    resume: bool = False,
) -> TrainResult:
    """Train `model` on ``data = (x, y)`` by minibatch gradient descent; one compiled call per epoch.

    Args:
        model: a flax.linen Module, e.g. ``jaxnn.MLP([200, 100, 2])``.
        data: ``(x: (n, ...), y: (n,) or (n, k))``.
        loss: "softmax_cross_entropy" (integer or one-hot labels), "binary_cross_entropy"
            (one logit, labels 0/1), "mse", or a callable ``(outputs, targets, weight)``.
        optimizer: an Optax transformation (default ``optax.adam(1e-3)``); schedules, clipping
            and ``optax.lbfgs`` (use ``batch_size=None``) pass straight through.
        epochs: passes over the data.
        batch_size: minibatch size, None for full-batch steps, or "auto": 32, or the number of
            samples if there are fewer; with D devices the multiple of D nearest below (at
            least D). A multiple of the device count splits each step over the devices.
        validation_data / validation_split: held-out ``(x, y)``, or a seeded random fraction of
            `data`, evaluated after every epoch ("val_loss", "val_accuracy", ...).
        metrics: any of "accuracy", "mae", "mse" (also on training batches) and "auc",
            "precision", "recall", "f1" (validation only).
        early_stopping: an `EarlyStopping` (monitor "val_loss" by default).
        callbacks: ``callback(epoch, logs)`` once per epoch; returning True stops.
        sample_weight: per-sample weights ``(n,)``.
        params: parameters to continue from (default: ``model.init`` with `seed`).
        seed: seeds initialization, the validation split, batch order and dropout.
        verbose: 0 silent, 1 one line per epoch.
        checkpoint_dir, checkpoint_every, keep, resume: save the full training state every
            `checkpoint_every` epochs (newest `keep` kept) and, with ``resume=True``, continue
            from the newest checkpoint exactly where an interrupted run stopped.

    Devices: with several devices training is data parallel, with no change to this call
    (`jaxnn.parallel`; ``jaxnn.parallel.use(1)`` switches it off). In a run of several
    processes each process passes its share of `data` (and of the validation data), all of
    the same size; `batch_size` is global and the validation logs cover all shares.

    Returns:
        `TrainResult` with ``params``, ``history`` (per-epoch lists), ``state``, ``stop_reason``.
    """
    x, y = _unpack(data, "fit(data=...)")
    loss_fn = losses_lib.get_loss(loss)
    metrics = _check_metrics(metrics)
    _check_output_activation(model, loss_fn)
    weight = np.ones(len(x), np.float32)
    if sample_weight is not None:
        weight = check_finite(as_float_array(sample_weight, "fit(sample_weight=...)"),
                              "fit(sample_weight=...)")
        if weight.shape != (len(x),) or np.any(weight < 0):
            raise ValueError(
                f"fit(sample_weight=...): expected {len(x)} non-negative weights (n,), got shape "
                f"{weight.shape}."
            )
    if not (isinstance(validation_split, (int, float)) and 0.0 <= validation_split < 1.0):
        raise ValueError(f"fit(validation_split={validation_split!r}): expected a number in [0, 1).")
    if validation_split and validation_data is not None:
        raise ValueError("fit: pass validation_data or validation_split, not both.")
    if validation_split:
        order = np.random.default_rng(seed).permutation(len(x))
        n_val = max(1, int(round(validation_split * len(x))))
        if n_val >= len(x):
            raise ValueError(f"fit(validation_split={validation_split}) leaves no training data.")
        validation_data = (x[order[:n_val]], y[order[:n_val]])
        x, y, weight = x[order[n_val:]], y[order[n_val:]], weight[order[n_val:]]
    num_samples = len(x) * jax.process_count()  # several processes: each passes its share
    if batch_size == "auto":
        batch_size = _auto_batch_size(num_samples, parallel.mesh())
    check_batch_size(batch_size, num_samples, "fit")

    init_key = jax.random.PRNGKey(seed)
    if params is None:
        params = model.init(init_key, jnp.asarray(x[:1]))
    output_shape = _output_shape(model, params, x, "fit(data=...) x")
    y = _check_targets(loss_fn, y, output_shape, "fit(data=...) y")

    validation_fn = None
    if validation_data is not None:
        x_val, y_val = _unpack(validation_data, "fit(validation_data=...)")
        if x_val.shape[1:] != x.shape[1:]:
            raise ValueError(
                f"fit(validation_data=...): x has samples of shape {x_val.shape[1:]}, the "
                f"training x has {x.shape[1:]}. Both need the same features."
            )
        y_val = _check_targets(loss_fn, y_val, output_shape, "fit(validation_data=...) y")
        w_val = np.ones(len(x_val), np.float32)

        def validation_fn(p):
            return _scores(model, p, x_val, y_val, w_val, loss_fn, metrics, 8192, "val_",
                           across_processes=True)

    if early_stopping is not None and validation_fn is None and "val" in early_stopping.monitor:
        raise ValueError(
            f"fit(early_stopping=...): it monitors {early_stopping.monitor!r} but there is no "
            "validation data. Pass validation_data/validation_split or monitor 'loss'."
        )

    # Each process passes its share of the samples, also for full-batch training.
    data = parallel.place({"x": x, "y": y, "weight": weight}, parallel.mesh(),
                          process_shares=True, argument="fit(data=...)")
    return train_loop(
        _make_loss_fn(model, loss_fn, metrics),
        params,
        data,
        optimizer=optimizer if optimizer is not None else optax.adam(1e-3),
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        validation_fn=validation_fn,
        callbacks=callbacks,
        early_stopping=early_stopping,
        verbose=verbose,
        checkpoint_dir=checkpoint_dir,
        checkpoint_every=checkpoint_every,
        keep=keep,
        resume=resume,
    )


__all__ = ["fit", "evaluate", "predict", "predict_proba", "EarlyStopping", "TrainResult"]
