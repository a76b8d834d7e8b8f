"""The host's record of one training run: `Run` (what callbacks see) and `TrainResult`.

`Run` is the mutable context the host loop and the callbacks share: the epoch count, the
history, the current state and data. Callbacks read it and may change what is theirs to
change: `data` (fresh collocation points), `state`/`history`/`epoch` (a restored checkpoint),
`stop_reason`/`finished` (ending the run). The host loop (`HostLoop`) asks it what the next
compiled call runs and hands it what the call returned: the bookkeeping of a run lives here,
the loop itself knows nothing of one model or many (`ManyRun` is the record of many).
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any

import jax
import numpy as np

from jaxnn import parallel
from jaxnn.training._step import TrainState, prng_key

NO_STEP_LIMIT = 2**31 - 1  # the step limit of a run without a step budget


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
        early_stopped: whether early stopping ended the run (not a non-finite loss, a
            callback or the end of the epochs).
    """

    params: Any
    history: dict[str, list[float]]
    state: TrainState
    epochs_run: int
    stop_reason: str | None = None
    nonfinite: tuple[int, int] | None = None
    best_epoch: int | None = None
    compile_seconds: float = 0.0
    early_stopped: bool = False


@dataclasses.dataclass
class Run:
    """One training run as the host sees it between compiled calls.

    The host loop (`jaxnn.training.HostLoop`) asks it what the next compiled call runs
    (`chunk_epochs`), hands it what the call returned (`record`), and asks it whether training
    goes on (`training`). `ManyRun` is the same record for many models trained as one
    vmapped program.

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
        mesh: the devices the state is replicated over (None: the default device).
        total_steps: a step budget for this call, or None.
        replay: an epoch went non-finite on the fast path and is to be replayed under the
            NaN guard before anything else happens.
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
    mesh: Any = None
    total_steps: int | None = None
    epoch: int = dataclasses.field(init=False)
    replay: bool = dataclasses.field(init=False, default=False)
    step_limit: np.int32 = dataclasses.field(init=False, default=np.int32(NO_STEP_LIMIT))

    def __post_init__(self) -> None:
        self.epoch = self.start_epoch

    @property
    def signature(self) -> dict[str, Any]:
        """What must match for a checkpoint to belong to this run."""
        return {"seed": int(self.seed), "batch_size": self.batch_size,
                "num_samples": self.num_samples, "steps_per_epoch": int(self.steps_per_epoch)}

    # ------------------------------------------------------------ what the host loop asks

    def begin(self) -> None:
        """Called by the host loop after the callbacks' ``on_train_begin`` (a checkpoint may
        have restored the run): the step budget counts from the state's step count now."""
        step = int(self.state.step)
        if self.total_steps is not None:
            self.step_limit = np.int32(step + self.total_steps)
        self.finished = self.finished or step >= int(self.step_limit)

    @property
    def training(self) -> bool:
        """Whether another compiled call is due."""
        return not self.finished and self.stop_reason is None and self.epoch < self.epochs

    def place(self, tree: Any) -> Any:
        """`tree` where the compiled chunk takes it: whole on every device of the mesh."""
        return parallel.replicate(tree, self.mesh)

    def base_key(self) -> jax.Array:
        """The key the per-epoch keys are derived from (with the epoch number)."""
        return prng_key(self.seed)

    def chunk_epochs(self, length: int) -> tuple[np.int32, np.int32]:
        """(first epoch, epochs to run) of the next compiled call: `length` epochs, or the one
        epoch to replay under the NaN guard."""
        return np.int32(self.epoch), np.int32(1 if self.replay else length)

    def record(self, buffers: dict[str, np.ndarray], done: Any, failed: Any, bad_step: Any,
               step: Any, start_step: Any, seconds_per_epoch: float | None) -> None:
        """Append the logs of the `done` epochs a compiled call ran and decide whether the
        run ends there. `failed`: its last epoch went non-finite on the fast path and was
        rolled back (to be replayed); `bad_step`: the global step number of a non-finite step
        of a replayed epoch that began at step `start_step` (-1 if none); `step`: the step
        count after the call."""
        self.replay, done = bool(failed), int(done)
        if done == 0:  # nothing was kept (an epoch to replay under the NaN guard)
            return
        buffers.pop("steps")
        epochs = range(self.epoch + 1, self.epoch + done + 1)
        columns = {"epoch": list(epochs), **{k: v[:done].tolist() for k, v in buffers.items()},
                   "time": [seconds_per_epoch] * done}
        for key, values in columns.items():
            self.history.setdefault(key, []).extend(values)
        self.epoch += done
        if bad_step >= 0:
            self.nonfinite = (self.epoch, int(bad_step) - int(start_step) + 1)
            self.stop_reason = (
                f"the loss or the parameters became non-finite (NaN/inf) at epoch {self.epoch}, "
                f"step {self.nonfinite[1]} of {self.steps_per_epoch}; training stopped and "
                "the parameters of the last finite step were kept. Lower the learning rate, add "
                "gradient clipping (optax.clip_by_global_norm) or check the data for extreme "
                "values.")
            warnings.warn(self.stop_reason, RuntimeWarning, stacklevel=5)
        elif self.stopper is not None and bool(self.early_stopping.fired(
                int(self.stopper.wait), int(self.stopper.patience))):
            self._read_stopper()
            self.early_stopping.stopped_epoch = self.epoch
            self.stop_reason = self.early_stopping.stop_message()
        elif step >= self.step_limit:
            self.finished = True  # the step budget is spent: a normal end

    def logs(self, index: int = -1) -> dict[str, Any]:
        """What the callbacks see after an epoch: row `index` of the history (default the
        newest), one entry of every list."""
        return {key: values[index] for key, values in self.history.items()}

    def end_message(self) -> str | None:
        """The line a progress display prints at the end: why the run stopped early (a
        non-finite loss has been warned about already), or None."""
        return None if self.nonfinite else self.stop_reason

    # ------------------------------------------------------------------------- the result

    def _read_stopper(self) -> None:
        """Copy early stopping's device state (best value and epoch, wait) to the host object."""
        best, best_epoch, wait = jax.device_get(
            (self.stopper.best, self.stopper.best_epoch, self.stopper.wait))
        self.early_stopping.best, self.early_stopping.wait = float(best), int(wait)
        self.early_stopping.best_epoch = int(best_epoch) if best_epoch >= 0 else None

    def result(self, compile_seconds: float = 0.0) -> TrainResult:
        """The `TrainResult` of the run so far."""
        params, best_epoch, early_stopped = self.state.params, None, False
        if self.early_stopping is not None:
            self._read_stopper()
            if self.early_stopping.restore_best and self.early_stopping.best_epoch is not None:
                params, best_epoch = self.stopper.best_params, self.early_stopping.best_epoch
            # The device state says it (a resumed run's too): the counter reached patience.
            early_stopped = self.nonfinite is None and bool(self.early_stopping.fired(
                self.early_stopping.wait, int(self.stopper.patience)))
        return TrainResult(params=params, history=self.history, state=self.state,
                           epochs_run=self.epoch, stop_reason=self.stop_reason,
                           nonfinite=self.nonfinite, best_epoch=best_epoch,
                           compile_seconds=compile_seconds, early_stopped=early_stopped)


__all__ = ["Run", "TrainResult"]
