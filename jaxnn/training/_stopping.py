"""Early stopping evaluated on the device after every epoch: `EarlyStopping` (the user's
settings and the host's record) and `StopperState` (the traced state inside the compiled chunk).

The rule is Keras's: ``wait`` counts the epochs since the last improvement, and training stops
after the epoch where it reaches ``patience`` (``patience=0`` stops at the first epoch without
improvement). With the best value at epoch 4 and ``patience=5``, epochs 5 to 9 do not improve
and training stops after epoch 9.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from jaxnn.validate import (
    check_bool,
    check_int,
    check_number,
)


class StopperState(struct.PyTreeNode):
    """Early stopping's state on the device (patience and min_delta are traced: no recompile)."""

    best: jax.Array
    best_epoch: jax.Array
    wait: jax.Array
    patience: jax.Array
    min_delta: jax.Array
    best_params: Any


class EarlyStopping:
    """Stop when a monitored quantity has not improved for `patience` epochs (Keras's rule).

    Evaluated on the device after every epoch, so it is exact per epoch however many epochs
    run per compiled call.

    Args:
        monitor: a log name, e.g. "val_loss" (default), "val_accuracy" or "loss".
        patience: epochs without improvement after which training stops: with the best value
            at epoch b, training stops after epoch ``b + patience``; ``patience=0`` stops at
            the first epoch without improvement.
        min_delta: the smallest change that counts as an improvement.
        mode: "min", "max" or "auto" (max for accuracy/auc/f1/precision/recall, min otherwise).
        restore_best: put back the parameters of the best epoch at the end.

    After training, `best` and `best_epoch` hold the best value and its epoch, `wait` the
    epochs since then, and `stopped_epoch` the epoch after which it stopped training (0 if it
    did not), as in Keras.
    """

    def __init__(self, monitor: str = "val_loss", patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool = True) -> None:
        if not isinstance(monitor, str):
            raise TypeError(f"EarlyStopping(monitor={monitor!r}): expected a log name such as "
                            "'val_loss'.")
        patience = check_int(patience, f"EarlyStopping(patience={patience!r})", minimum=0)
        min_delta = check_number(min_delta, f"EarlyStopping(min_delta={min_delta!r})",
                                 minimum=0.0)
        restore_best = check_bool(restore_best, "EarlyStopping(restore_best=...)")
        if mode == "auto":
            maximize = any(k in monitor for k in ("acc", "auc", "f1", "precision", "recall"))
            mode = "max" if maximize else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping(mode={mode!r}): expected 'min', 'max' or 'auto'.")
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.mode, self.restore_best = mode, bool(restore_best)
        self.best, self.best_epoch, self.wait, self.stopped_epoch = self._worst, None, 0, 0

    @property
    def _worst(self) -> float:
        return math.inf if self.mode == "min" else -math.inf

    @property
    def static_key(self) -> tuple:
        """What the compiled code depends on (patience and min_delta are traced values)."""
        return (self.monitor, self.mode, self.restore_best)

    def init(self, params: Any) -> StopperState:
        """The device state before the first epoch."""
        return StopperState(
            best=jnp.float32(self._worst), best_epoch=jnp.int32(-1), wait=jnp.int32(0),
            patience=jnp.int32(self.patience), min_delta=jnp.float32(self.min_delta),
            best_params=jax.tree_util.tree_map(jnp.copy, params) if self.restore_best else None,
        )

    def update(self, stopper: StopperState, logs: Mapping[str, jax.Array], epoch: jax.Array,
               params: Any, healthy: jax.Array) -> tuple[StopperState, jax.Array]:
        """Record one epoch (on the device); return the new state and whether to stop."""
        value = logs[self.monitor].astype(jnp.float32)
        change = stopper.best - value if self.mode == "min" else value - stopper.best
        improved = healthy & (change > stopper.min_delta)
        best_params = stopper.best_params
        if self.restore_best:
            best_params = jax.tree_util.tree_map(lambda new, old: jnp.where(improved, new, old),
                                                 params, best_params)
        wait = jnp.where(improved, 0, stopper.wait + healthy.astype(jnp.int32))
        stopper = stopper.replace(best=jnp.where(improved, value, stopper.best),
                                  best_epoch=jnp.where(improved, epoch, stopper.best_epoch),
                                  wait=wait, best_params=best_params)
        return stopper, self.fired(wait, stopper.patience)

    @staticmethod
    def fired(wait: Any, patience: Any) -> Any:
        """Whether early stopping ends training after an epoch that left the counter at `wait`
        (epochs since the last improvement): once `patience` epochs did not improve, and never
        after an epoch that improved. NumPy or JAX values, scalars or one per model."""
        return (wait > 0) & (wait >= patience)

    def stop_message(self, best: float | None = None, best_epoch: int | None = None,
                     wait: int | None = None, stopped_epoch: int | None = None) -> str:
        """The line printed when training stops early: the monitored value, for how many
        epochs it did not improve, its best value and epoch, and the epoch training stopped
        after. Without arguments it describes this object's record of the run (`best`,
        `best_epoch`, `wait`, `stopped_epoch`); a run of many models passes each model's."""
        best = self.best if best is None else best
        best_epoch = self.best_epoch if best_epoch is None else best_epoch
        wait = self.wait if wait is None else wait
        stopped_epoch = self.stopped_epoch if stopped_epoch is None else stopped_epoch
        if best_epoch is None or best_epoch < 0:
            kept = "no epoch improved on the start"
        else:
            kept = f"best {best:.6g} at epoch {best_epoch}"
        epochs = "1 epoch" if wait == 1 else f"{wait} epochs"
        return (f"early stopping: {self.monitor} did not improve for {epochs} ({kept}); "
                f"stopped after epoch {stopped_epoch}")


def check_early_stopping(early_stopping: Any, where: str) -> EarlyStopping | None:
    """`early_stopping` if it is an `EarlyStopping` or None; else the TypeError that names
    `where` (e.g. ``"fit_many"``)."""
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"{where}(early_stopping={early_stopping!r:.80}): expected a "
                        f"jaxnn.EarlyStopping(...) or None, got {type(early_stopping).__name__}.")
    return early_stopping
