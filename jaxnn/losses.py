"""Loss functions, each a weighted mean over the batch and numerically stable.

Classification losses take logits (the raw output of the last Dense layer): the log-sum-exp
and log-sigmoid forms never overflow, unlike ``log(sigmoid(z))`` or ``log(softmax(z))``.

Every loss has the signature ``loss(predictions, targets, weight=None) -> scalar``; `weight`
``(batch,)`` multiplies each sample's loss and the result is ``sum(w * l) / sum(w)``.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

LossFn = Callable[..., jax.Array]


def _weighted_mean(per_sample: jax.Array, weight: jax.Array | None) -> jax.Array:
    if weight is None:
        return jnp.mean(per_sample)
    weight = weight.astype(per_sample.dtype)
    # Only ratios of weights matter: scaled to a maximum of 1, tiny or huge event weights
    # (cross sections of 1e-15 are common) neither underflow nor overflow. A batch of only zero
    # weights (the loop's wrap-around fill) counts 0.
    largest = jnp.max(weight)
    weight = weight / jnp.where(largest > 0, largest, 1)
    total = jnp.sum(weight)
    return jnp.sum(per_sample * weight) / jnp.where(total > 0, total, 1)


def mse(predictions: jax.Array, targets: jax.Array, weight: jax.Array | None = None) -> jax.Array:
    """Mean squared error; ``predictions, targets: (batch, ...)`` of the same size per sample."""
    targets = jnp.reshape(targets, predictions.shape).astype(predictions.dtype)
    per_sample = jnp.mean((predictions - targets).reshape(predictions.shape[0], -1) ** 2, axis=1)
    return _weighted_mean(per_sample, weight)


def binary_cross_entropy(
    logits: jax.Array, labels: jax.Array, weight: jax.Array | None = None
) -> jax.Array:
    """Binary cross-entropy from logits: ``-y log σ(z) - (1-y) log(1-σ(z))``.

    ``logits: (batch,)`` or ``(batch, 1)``; ``labels`` of the same size with values in [0, 1].
    """
    logits = jnp.reshape(logits, (logits.shape[0],))
    labels = jnp.reshape(labels, logits.shape).astype(logits.dtype)
    return _weighted_mean(optax.sigmoid_binary_cross_entropy(logits, labels), weight)


def softmax_cross_entropy(
    logits: jax.Array, labels: jax.Array, weight: jax.Array | None = None
) -> jax.Array:
    """Softmax cross-entropy from logits ``(batch, classes)``.

    ``labels``: integer class indices ``(batch,)`` or one-hot / probability rows
    ``(batch, classes)``.
    """
    if labels.ndim == logits.ndim:
        per_sample = optax.softmax_cross_entropy(logits, labels.astype(logits.dtype))
    else:
        per_sample = optax.softmax_cross_entropy_with_integer_labels(logits, labels.astype(int))
    return _weighted_mean(per_sample, weight)


LOSSES: dict[str, LossFn] = {
    "mse": mse,
    "mean_squared_error": mse,
    "binary_cross_entropy": binary_cross_entropy,
    "bce": binary_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
    "cross_entropy": softmax_cross_entropy,
    "categorical_cross_entropy": softmax_cross_entropy,
    # Keras's names (from_logits=True; a softmax/sigmoid output model is handled by fit).
    "sparse_categorical_crossentropy": softmax_cross_entropy,
    "categorical_crossentropy": softmax_cross_entropy,
    "binary_crossentropy": binary_cross_entropy,
}


def get_loss(loss: str | LossFn) -> LossFn:
    """Return the loss named `loss` (see `LOSSES`), or `loss` itself if it is callable."""
    if callable(loss):
        return loss
    if isinstance(loss, str) and loss.lower() in LOSSES:
        return LOSSES[loss.lower()]
    raise ValueError(
        f"loss={loss!r} is not a known loss. Expected one of {sorted(LOSSES)} or a callable "
        "loss(predictions, targets, weight) -> scalar."
    )
