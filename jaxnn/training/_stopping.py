"""Early stopping evaluated on the device after every epoch: `EarlyStopping` (the user's settings and the host's record) and `StopperState` (the traced state inside the compiled chunk)."""

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
    """Stop when a monitored quantity has not improved for `patience` epochs.

    Evaluated on the device after every epoch, so it is exact per epoch however many epochs
    run per compiled call.

    Args:
        monitor: a log name, e.g. "val_loss" (default), "val_accuracy" or "loss".
        patience: epochs without improvement before stopping.
        min_delta: the smallest change that counts as an improvement.
        mode: "min", "max" or "auto" (max for accuracy/auc/f1/precision/recall, min otherwise).
        restore_best: put back the parameters of the best epoch at the end.

    After training, `best` and `best_epoch` hold the best value and its epoch.
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
        self.best, self.best_epoch = self._worst, None

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
        return stopper, wait > stopper.patience

    def stop_message(self) -> str:
        """The line printed when training stops early: the monitored value, the patience, and
        the best value with its epoch."""
        return (f"early stopping: {self.monitor} did not improve for {self.patience} epochs "
                f"(best {self.best:.6g} at epoch {self.best_epoch})")
