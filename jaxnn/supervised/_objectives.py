"""What `fit` trains and validates, as hashable objects the compiled loop can cache on.

`SupervisedObjective` is ``loss_fn(params, batch, key) -> (loss, aux)`` for a model and a loss;
`SupervisedValidation` is ``(params, data) -> {"val_loss": ..., "val_accuracy": ...}``,
evaluated on the device after every epoch (and by `jaxnn.evaluate`). Both are frozen
dataclasses: two `fit` calls with the same model, loss and metrics compare equal, so the
second reuses the first one's compiled code.

Metrics here are computed on the device with sample weights: accuracy, mae, mse, AUC (ties
count one half, as `jaxnn.metrics.roc_auc_score` and scikit-learn), and precision, recall and
F1 ("binary" for two classes, "macro" over the classes present otherwise).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxnn import losses as losses_lib
from jaxnn.models import accepts_train

STEP_METRICS = ("accuracy", "mae", "mse")
VALIDATION_METRICS = ("auc", "precision", "recall", "f1")
CLASSIFICATION_LOSSES = (losses_lib.binary_cross_entropy, losses_lib.softmax_cross_entropy)
PROBABILITY_ACTIVATIONS = ("sigmoid", "softmax")


def probability_activation(model: nn.Module) -> str | None:
    """"softmax" or "sigmoid" if the model's `output_activation` is one (by name, any case, or
    as the function ``jax.nn.softmax``/``jax.nn.sigmoid``), else None (its outputs are logits)."""
    activation = getattr(model, "output_activation", None)
    if isinstance(activation, str):
        return activation.lower() if activation.lower() in PROBABILITY_ACTIVATIONS else None
    return {id(jax.nn.softmax): "softmax", id(jax.nn.sigmoid): "sigmoid"}.get(id(activation))


def outputs_are_probabilities(model: nn.Module) -> bool:
    """Whether the model ends in a sigmoid/softmax (its outputs are probabilities, not logits)."""
    return probability_activation(model) is not None


def decision_threshold(model: nn.Module, loss_fn: Callable) -> float:
    """Where a single output splits class 0 from class 1: 0 for a logit, 0.5 for a probability
    or for a regression output trained on 0/1 targets (e.g. ``loss="mse"``)."""
    if outputs_are_probabilities(model) or loss_fn is losses_lib.mse:
        return 0.5
    return 0.0


PROBABILITY_EPSILON = 1e-7  # probabilities clipped to [eps, 1 - eps] before the log, as Keras


def loss_inputs(model: nn.Module, loss_fn: Callable, outputs: jax.Array) -> jax.Array:
    """What the loss reads: the outputs, or, for a cross-entropy of a model that outputs
    probabilities (softmax/sigmoid last), the logits they come from (log p for a softmax,
    log p - log(1 - p) for a sigmoid), so the from-logits losses give ``-y log p``. The
    probabilities are clipped to [1e-7, 1 - 1e-7] first, as Keras does with ``from_logits=False``.
    """
    if loss_fn not in CLASSIFICATION_LOSSES or not outputs_are_probabilities(model):
        return outputs
    p = jnp.clip(outputs, PROBABILITY_EPSILON, 1 - PROBABILITY_EPSILON)
    if loss_fn is losses_lib.binary_cross_entropy:
        return jnp.log(p) - jnp.log1p(-p)
    return jnp.log(p)


def apply_model(model: nn.Module, params: Any, x: jax.Array, key: jax.Array | None) -> jax.Array:
    """Forward pass; with a key the model runs in training mode (dropout on)."""
    if key is not None and accepts_train(model):
        return model.apply(params, x, train=True, rngs={"dropout": key})
    return model.apply(params, x)


def class_predictions(outputs: jax.Array, threshold: float) -> jax.Array:
    if outputs.shape[-1] == 1:
        return (outputs[:, 0] > threshold).astype(jnp.int32)
    return jnp.argmax(outputs, axis=-1)


def class_labels(y: jax.Array) -> jax.Array:
    if y.ndim == 2 and y.shape[-1] > 1:
        return jnp.argmax(y, axis=-1)
    return jnp.round(y.reshape(y.shape[0])).astype(jnp.int32)


def positive_score(outputs: jax.Array) -> jax.Array:
    """A score increasing with the probability of class 1 (one output, or two)."""
    if outputs.shape[-1] == 1:
        return outputs[:, 0]
    return outputs[:, 1] - outputs[:, 0]


def weighted_auc(labels: jax.Array, scores: jax.Array, weight: jax.Array) -> jax.Array:
    """Area under the ROC curve with sample weights, the weighted Mann-Whitney statistic:
    the sum over (class 1, other) pairs of ``w_s w_b ([s_s > s_b] + [s_s = s_b] / 2)`` over
    ``(sum w_s)(sum w_b)``, as `jaxnn.metrics.roc_auc_score(..., sample_weight=w)`. One sort
    and cumulative sums of the background weights below each score, O(n log n).

    Args:
        labels: (n,) class indices (1 = signal). scores: (n,) signal scores.
        weight: (n,) non-negative weights (0 for padding rows).

    Returns:
        The area, a float32 scalar.
    """
    weight = weight.astype(jnp.float32)
    positive = (labels == 1).astype(jnp.float32) * weight
    negative = (labels != 1).astype(jnp.float32) * weight
    order = jnp.argsort(scores)
    sorted_scores = scores[order]
    below = jnp.concatenate([jnp.zeros(1), jnp.cumsum(negative[order])])
    left = jnp.searchsorted(sorted_scores, scores, side="left")
    right = jnp.searchsorted(sorted_scores, scores, side="right")
    negatives_below = 0.5 * (below[left] + below[right])  # strictly below, plus half the ties
    return jnp.sum(positive * negatives_below) / (jnp.sum(positive) * jnp.sum(negative))


def precision_recall_f1(labels: jax.Array, predicted: jax.Array, weight: jax.Array,
                        classes: int) -> dict[str, jax.Array]:
    """Weighted precision, recall and F1: binary (class 1) for two classes, else the macro
    average over the classes present in `labels` or `predicted`; 0/0 counts as 0."""
    weight = weight.astype(jnp.float32)
    true = jax.nn.one_hot(labels, classes) * weight[:, None]
    confusion = true.T @ jax.nn.one_hot(predicted, classes)
    hits, actual, claimed = jnp.diag(confusion), confusion.sum(1), confusion.sum(0)

    def ratio(a, b):
        return jnp.where(b > 0, a / jnp.where(b > 0, b, 1), 0.0)

    per_class = {"precision": ratio(hits, claimed), "recall": ratio(hits, actual),
                 "f1": ratio(2 * hits, actual + claimed)}
    if classes <= 2:
        return {name: values[1] for name, values in per_class.items()}
    present = ((actual > 0) | (claimed > 0)).astype(jnp.float32)
    return {name: jnp.sum(values * present) / jnp.sum(present)
            for name, values in per_class.items()}


def step_metric(name: str, outputs: jax.Array, y: jax.Array, weight: jax.Array,
                threshold: float) -> jax.Array:
    if name == "accuracy":
        correct = class_predictions(outputs, threshold) == class_labels(y)
        return losses_lib._weighted_mean(correct.astype(jnp.float32), weight)
    error = outputs.reshape(outputs.shape[0], -1) - y.reshape(y.shape[0], -1)
    per_sample = jnp.mean(jnp.abs(error) if name == "mae" else error**2, axis=1)
    return losses_lib._weighted_mean(per_sample, weight)


@dataclasses.dataclass(frozen=True)
class SupervisedObjective:
    """``(params, batch, key) -> (loss, aux)`` for a batch ``{"x", "y", "weight"}``."""

    model: nn.Module
    loss_fn: Callable
    metrics: tuple[str, ...]
    threshold: float

    def __call__(self, params, batch, key):
        outputs = apply_model(self.model, params, batch["x"], key)
        loss = self.loss_fn(loss_inputs(self.model, self.loss_fn, outputs), batch["y"],
                            batch["weight"])
        aux = {m: step_metric(m, outputs, batch["y"], batch["weight"], self.threshold)
               for m in self.metrics if m in STEP_METRICS}
        return loss, aux


@dataclasses.dataclass(frozen=True)
class SupervisedValidation:
    """``(params, data) -> {prefix + "loss": ..., prefix + metric: ...}`` on the device.

    `data` is ``{"x", "y", "weight"}`` padded (with weight 0) to a multiple of `chunk` rows;
    the model runs on `chunk` rows at a time (`lax.map`), so memory stays bounded.
    """

    model: nn.Module
    loss_fn: Callable
    metrics: tuple[str, ...]
    threshold: float
    chunk: int
    prefix: str = "val_"

    def __call__(self, params, data):
        x = data["x"].reshape(-1, self.chunk, *data["x"].shape[1:])
        outputs = jax.lax.map(lambda xb: self.model.apply(params, xb), x)
        outputs = outputs.reshape(-1, *outputs.shape[2:])
        y, weight = data["y"], data["weight"]
        logs = {"loss": self.loss_fn(loss_inputs(self.model, self.loss_fn, outputs), y, weight)}
        for name in self.metrics:
            if name in STEP_METRICS:
                logs[name] = step_metric(name, outputs, y, weight, self.threshold)
        wanted = [m for m in self.metrics if m in VALIDATION_METRICS]
        labels = class_labels(y)
        if "auc" in wanted:
            logs["auc"] = weighted_auc(labels, positive_score(outputs), weight)
        if any(m != "auc" for m in wanted):
            classes = max(outputs.shape[-1], 2)
            scores = precision_recall_f1(labels, class_predictions(outputs, self.threshold),
                                         weight, classes)
            logs.update({m: scores[m] for m in wanted if m != "auc"})
        return {self.prefix + name: value.astype(jnp.float32) for name, value in logs.items()}


__all__ = [
    "CLASSIFICATION_LOSSES",
    "STEP_METRICS",
    "VALIDATION_METRICS",
    "SupervisedObjective",
    "SupervisedValidation",
    "decision_threshold",
    "outputs_are_probabilities",
    "precision_recall_f1",
    "weighted_auc",
]
