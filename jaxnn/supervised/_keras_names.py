"""Keras spellings: optimizers by name and metric aliases.

``fit(model, data, optimizer="adam", learning_rate=1e-3)`` trains exactly as
``fit(model, data, optimizer=optax.adam(1e-3))``: a name builds the Optax optimizer with
Optax's defaults for everything but the learning rate (whose default is Keras's). Losses
spelled the Keras way ("sparse_categorical_crossentropy", ...) live in `jaxnn.losses.LOSSES`
beside the jaxnn names; metric "acc" is "accuracy".

Where Keras and Optax differ, Optax's value is used (the same as passing the Optax object):
Adam/RMSprop epsilon 1e-8 (Keras 1e-7, and RMSprop's epsilon inside the square root), AdamW
weight decay 1e-4 (Keras 0.004). Pass an Optax object to set these.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import optax

__all__ = ["DEFAULT_LEARNING_RATES", "METRIC_ALIASES", "OPTIMIZERS", "get_optimizer"]

OPTIMIZERS: dict[str, Callable[..., optax.GradientTransformation]] = {
    "adam": optax.adam,
    "adamw": optax.adamw,
    "sgd": optax.sgd,
    "rmsprop": optax.rmsprop,
}
DEFAULT_LEARNING_RATES = {"adam": 1e-3, "adamw": 1e-3, "sgd": 1e-2, "rmsprop": 1e-3}  # Keras's
METRIC_ALIASES = {"acc": "accuracy", "mean_absolute_error": "mae", "mean_squared_error": "mse"}


def _check_learning_rate(learning_rate: Any, where: str) -> float | Callable:
    if callable(learning_rate):  # an Optax schedule
        return learning_rate
    if (isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float))
            or not math.isfinite(learning_rate) or learning_rate <= 0):
        raise ValueError(f"{where}(learning_rate={learning_rate!r}): expected a positive number "
                         "such as 1e-3, or an Optax schedule.")
    return float(learning_rate)


def get_optimizer(optimizer: Any, learning_rate: Any = None,
                  where: str = "fit") -> optax.GradientTransformation:
    """The Optax transformation for `optimizer`: a name ("adam", "adamw", "sgd", "rmsprop",
    any case) built with `learning_rate` (default: Keras's, 1e-3, or 1e-2 for SGD), an Optax
    transformation (returned as it is; then `learning_rate` must be None), or None for
    ``optax.adam(1e-3)``."""
    if isinstance(optimizer, str):
        name = optimizer.lower()
        if name not in OPTIMIZERS:
            raise ValueError(f"{where}(optimizer={optimizer!r}): not a known optimizer name. "
                             f"Expected one of {sorted(OPTIMIZERS)}, or an Optax transformation "
                             "such as optax.adam(1e-3).")
        rate = (DEFAULT_LEARNING_RATES[name] if learning_rate is None
                else _check_learning_rate(learning_rate, where))
        return OPTIMIZERS[name](rate)
    if learning_rate is not None:
        raise ValueError(f"{where}(learning_rate={learning_rate!r}): applies to an optimizer "
                         "given by name, e.g. optimizer='adam'; an Optax transformation carries "
                         "its own rate (optax.adam(learning_rate)).")
    if optimizer is None:
        return optax.adam(1e-3)
    if not (callable(getattr(optimizer, "init", None))
            and callable(getattr(optimizer, "update", None))):
        raise TypeError(f"{where}(optimizer={optimizer!r:.80}): expected an Optax transformation "
                        f"such as optax.adam(1e-3), a name among {sorted(OPTIMIZERS)}, or None "
                        "for the default.")
    return optimizer
