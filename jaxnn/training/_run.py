"""The host's record of one training run: `Run` (what callbacks see) and `TrainResult`.

`Run` is the mutable context the host loop and the callbacks share: the epoch count, the
history, the current state and data. Callbacks read it and may change what is theirs to
change: `data` (fresh collocation points), `state`/`history`/`epoch` (a restored checkpoint),
`stop_reason`/`finished` (ending the run).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import jax
import numpy as np

from jaxnn.training._step import TrainState


@dataclasses.dataclass
class TrainResult:
    """What `jaxnn.train_loop` (and `jaxnn.fit`) return.

    Attributes:
        params: the trained parameters (the best ones if early stopping restored them; the last
            finite ones if the loss became non-finite).
        history: per-epoch lists, e.g. ``{"epoch": [...], "loss": [...], "val_loss": [...],
            "time": [...]}`` (``time``: seconds of training per epoch, compilation excluded).
        state: the final `TrainState` (parameters, optimizer state, step count): pass the result
            as ``state=`` (or as ``fit(params=...)``) to continue training.
        epochs_run: epochs completed in all (a continued run counts on from the earlier one).
        stop_reason: None if the run ended normally, else why it stopped early.
        nonfinite: ``(epoch, step)`` where the loss or parameters first became non-finite.
        best_epoch: the epoch whose parameters early stopping restored, if any.
        compile_seconds: time spent compiling in this call (0.0 when the code was cached).
    """

    params: Any
    history: dict[str, list[float]]
    state: TrainState
    epochs_run: int
    stop_reason: str | None = None
    nonfinite: tuple[int, int] | None = None
    best_epoch: int | None = None
    compile_seconds: float = 0.0


@dataclasses.dataclass
class Run:
    """One training run as the host sees it between compiled calls.

    Attributes:
        epochs: the epoch number the run ends at (epochs of earlier runs included).
        start_epoch: the epoch number this call started from.
        epoch: epochs completed so far.
        steps_per_epoch, seed, num_samples, batch_size: the run's settings.
        history: per-epoch lists of logs, filled as epochs complete.
        data: the training data on the devices; a callback may replace it (same shapes).
        state: the `TrainState` after `epoch` epochs.
        stopper: early stopping's device state (None without early stopping).
        early_stopping: the `EarlyStopping`, or None.
        stop_reason, nonfinite: why the run stopped early, once it has.
        finished: set when nothing is left to train (a callback restored a finished run).
    """

    epochs: int
    start_epoch: int
    steps_per_epoch: int
    seed: int
    history: dict[str, list[float]]
    data: Any
    state: TrainState
    stopper: Any = None
    early_stopping: Any = None
    num_samples: int | None = None
    batch_size: int | None = None
    stop_reason: str | None = None
    nonfinite: tuple[int, int] | None = None
    finished: bool = False
    epoch: int = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.epoch = self.start_epoch

    @property
    def signature(self) -> dict[str, Any]:
        """What must match for a checkpoint to belong to this run."""
        return {"seed": int(self.seed), "batch_size": self.batch_size,
                "num_samples": self.num_samples, "steps_per_epoch": int(self.steps_per_epoch)}

    def record(self, buffers: dict[str, np.ndarray], done: int, seconds_per_epoch: float,
               bad_step: int, step: int, step_limit: int, callbacks: list,
               epoch_start_step: int | None = None) -> bool:
        """Append the logs of `done` epochs, decide whether the run is over, call the
        callbacks due at the last of them; True when training ends here. A non-finite step
        (`bad_step`, a global step number) comes from a replayed epoch that began at step
        `epoch_start_step`."""
        if done == 0:  # nothing was kept (an epoch to replay under the NaN guard)
            return False
        buffers.pop("steps")
        epochs = range(self.epoch + 1, self.epoch + done + 1)
        columns = {"epoch": list(epochs), **{k: v[:done].tolist() for k, v in buffers.items()},
                   "time": [seconds_per_epoch] * done}
        for key, values in columns.items():
            self.history.setdefault(key, []).extend(values)
        self.epoch += done
        if bad_step >= 0:
            self.nonfinite = (self.epoch, bad_step - epoch_start_step + 1)
            self.stop_reason = (
                f"the loss or the parameters became non-finite (NaN/inf) at epoch {self.epoch}, "
                f"step {self.nonfinite[1]} of {self.steps_per_epoch}; training stopped and "
                "the parameters of the last finite step were kept. Lower the learning rate, add "
                "gradient clipping (optax.clip_by_global_norm) or check the data for extreme "
                "values.")
            warnings.warn(self.stop_reason, RuntimeWarning, stacklevel=4)
        elif self.stopper is not None and int(self.stopper.wait) > int(self.stopper.patience):
            self._read_stopper()
            self.stop_reason = self.early_stopping.stop_message()
        elif step >= step_limit:
            self.finished = True  # the step budget is spent: a normal end
        logs = {key: values[-1] for key, values in self.history.items()}
        asked = [bool(c.on_epoch_end(self.epoch, self.state, logs)) for c in callbacks
                 if c.every is None or self.epoch % c.every == 0]
        if any(asked) and self.stop_reason is None:
            self.stop_reason = f"a callback asked to stop after epoch {self.epoch}"
        return self.stop_reason is not None or self.finished

    def _read_stopper(self) -> None:
        """Copy early stopping's device state (best value and epoch) to the host object."""
        best, best_epoch = jax.device_get((self.stopper.best, self.stopper.best_epoch))
        self.early_stopping.best = float(best)
        self.early_stopping.best_epoch = int(best_epoch) if best_epoch >= 0 else None

    def result(self, compile_seconds: float = 0.0) -> TrainResult:
        """The `TrainResult` of the run so far."""
        params, best_epoch = self.state.params, None
        if self.early_stopping is not None:
            self._read_stopper()
            if self.early_stopping.restore_best and self.early_stopping.best_epoch is not None:
                params, best_epoch = self.stopper.best_params, self.early_stopping.best_epoch
        return TrainResult(params=params, history=self.history, state=self.state,
                           epochs_run=self.epoch, stop_reason=self.stop_reason,
                           nonfinite=self.nonfinite, best_epoch=best_epoch,
                           compile_seconds=compile_seconds)


__all__ = ["Run", "TrainResult"]
