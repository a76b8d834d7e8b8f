"""Many models as one run: `ManyRun`, the host's record of N models trained by one vmapped
program, and `ManyTrainResult`, what it ends with.

It is what `Run` is for one model, composed into the same host loop (`HostLoop`): the loop
runs the compiled chunk (`Program` with ``models=True``) and hands `ManyRun` the buffers, one
row per model. What is per model lives here: the epochs each model has run, which models
have stopped (early stopping, a non-finite loss), which model's epoch is to be replayed under
the NaN guard, and each model's history and stop reason.

The run's own `epoch` is the newest epoch any model has run; the models still training are
all there, so callbacks and checkpoints see every model after the same epoch. The history
holds ``"epoch"`` and ``"time"`` per epoch of the run, and for every other log one list per
model (model i's values of its epochs 1, 2, ..., as many as it ran): what a checkpoint
stores, and each model's own history in a few slices.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from jaxnn.training._run import NO_STEP_LIMIT, Run
from jaxnn.training._step import TrainState

_BOOKKEEPING = ("epoch", "time")


@dataclasses.dataclass
class ManyTrainResult:
    """What a `ManyRun` ends with (`jaxnn.fit_many` turns it into a `jaxnn.ManyResult`).

    Attributes:
        params: every model's parameters, each leaf with a leading model axis: the best
            epoch's where early stopping restored them, the last finite ones where the loss
            went non-finite, else the last.
        histories: per model the per-epoch lists, as `TrainResult.history`.
        state: the stacked final `TrainState`.
        epochs_run: ``(N,)`` epochs each model trained.
        stop_reasons: per model None (ran all epochs) or why it stopped.
        nonfinite: per model None or ``(epoch, step)`` where its loss became non-finite.
        best_epochs: per model the epoch early stopping restored, or None.
        stop_reason: why the whole run stopped early (a callback, a failed checkpoint), or None.
        compile_seconds: time spent compiling in this call.
    """

    params: Any
    histories: list[dict[str, list]]
    state: TrainState
    epochs_run: np.ndarray
    stop_reasons: list[str | None]
    nonfinite: list[tuple[int, int] | None]
    best_epochs: list[int | None]
    stop_reason: str | None = None
    compile_seconds: float = 0.0


@dataclasses.dataclass
class ManyRun(Run):
    """`Run` of N models of one architecture trained as one vmapped program.

    Attributes (besides `Run`'s; `state` and `stopper` are stacked along a leading model axis):
        configs: per model the settings that make it (a checkpoint must have the same).
        base_keys: ``(N, ...)`` each model's PRNG key (the key of ``seed``).
        sharding: how the model axis is split over the devices (None: the default device).
        model_epochs: ``(N,)`` epochs each model has run.
        stopped: ``(N,)`` the models that stopped (early stopping or a non-finite loss).
        replay: ``(N,)`` the models whose newest epoch is to be replayed under the NaN guard.
        nonfinite: per model None or ``[epoch, step]`` of its first non-finite step (lists,
            as a checkpoint stores them).
    """

    configs: list[dict] = dataclasses.field(default_factory=list)
    base_keys: Any = None
    sharding: Any = None

    def __post_init__(self) -> None:
        super().__post_init__()
        self.count = len(self.configs)
        self.nonfinite = [None] * self.count
        self.model_epochs = np.zeros(self.count, np.int64)
        self.stopped = np.zeros(self.count, bool)
        self.replay = np.zeros(self.count, bool)

    @property
    def signature(self) -> dict[str, Any]:
        """`Run.signature` and every model's settings."""
        return {**super().signature, "models": [dict(config) for config in self.configs]}

    # ------------------------------------------------------------ what the host loop asks

    def begin(self) -> None:
        """Each model's epochs and stops, from the history, the non-finite record and the
        early-stopping state (all restored together when a checkpoint resumed the run)."""
        self.step_limit = np.int32(NO_STEP_LIMIT)
        self.nonfinite = [None if n is None else [int(n[0]), int(n[1])]
                          for n in (self.nonfinite or [None] * self.count)]
        losses = self.history.get("loss", [[]] * self.count)
        self.model_epochs = np.array([len(values) for values in losses], np.int64)
        self.stopped = np.array([n is not None for n in self.nonfinite]) | self._stopped_early()
        self.replay = np.zeros(self.count, bool)

    @property
    def training(self) -> bool:
        """Whether any model is still to train (and no callback or failed save stopped all)."""
        active = ~self.stopped & (self.model_epochs < self.epochs)
        return not self.finished and self.stop_reason is None and bool(active.any())

    def place(self, tree: Any) -> Any:
        """`tree`, each leaf's leading model axis split as `sharding` says."""
        return jax.device_put(tree, self.sharding) if self.sharding is not None else (
            jax.device_put(tree))

    def base_key(self) -> jax.Array:
        """``(N, ...)``: each model's key, from which its per-epoch keys are derived."""
        return self.base_keys

    def chunk_epochs(self, length: int) -> tuple[jax.Array, jax.Array]:
        """Per model (first epoch, epochs to run): `length` epochs for the models still
        training, none for the others; or one epoch for each model to replay."""
        if self.replay.any():
            lengths = self.replay.astype(np.int64)
        else:
            remaining = np.where(self.stopped, 0, self.epochs - self.model_epochs)
            lengths = np.minimum(remaining, length)
        return (self.place(self.model_epochs.astype(np.int32)),
                self.place(lengths.astype(np.int32)))

    def record(self, buffers: dict[str, np.ndarray], done: Any, failed: Any, bad_step: Any,
               step: Any, start_step: Any, seconds_per_epoch: float | None) -> None:
        """`Run.record` per model: `done`, `failed`, `bad_step`, `start_step` have one entry
        per model, and so has each buffer (``(N, epochs)``)."""
        buffers.pop("steps")
        done = np.asarray(done, np.int64)
        self._append(buffers, done, seconds_per_epoch)
        fired = self._stopped_early()
        for i in range(self.count):
            if bad_step[i] >= 0 and self.nonfinite[i] is None:
                self.nonfinite[i] = [int(self.model_epochs[i]),
                                     int(bad_step[i]) - int(start_step[i]) + 1]
                self.stopped[i] = True
            elif fired[i]:
                self.stopped[i] = True
        self.replay = np.asarray(failed, bool) & ~self.stopped & (start_step is None)
        self.epoch = max(self.epoch, int(self.model_epochs.max()))

    def _append(self, buffers: dict[str, np.ndarray], done: np.ndarray,
                seconds_per_epoch: float | None) -> None:
        """Extend each model's lists by the `done` epochs it ran, and the run's ``"epoch"``
        and ``"time"`` by the epochs no model had run yet."""
        rows = len(self.history.get("epoch", []))
        last = int((self.model_epochs + done).max())
        self.history.setdefault("epoch", []).extend(range(rows + 1, last + 1))
        for key, values in buffers.items():
            columns = self.history.setdefault(key, [[] for _ in range(self.count)])
            for i in np.flatnonzero(done):
                columns[i].extend(values[i, : done[i]].tolist())
        self.history.setdefault("time", []).extend([seconds_per_epoch] * (last - rows))
        self.model_epochs = self.model_epochs + done

    def logs(self, index: int = -1) -> dict[str, Any]:
        """``{"epoch": e, "time": seconds, name: (N,) array}`` of row `index` of the history
        (default the newest epoch e): every log as one value per model, NaN for a model that
        did not run epoch e (it had stopped)."""
        epoch = self.history["epoch"][index]
        logs = {"epoch": epoch, "time": self.history["time"][index]}
        for key, columns in self.history.items():
            if key not in _BOOKKEEPING:
                logs[key] = np.array([values[epoch - 1] if len(values) >= epoch else np.nan
                                      for values in columns], np.float64)
        return logs

    def end_message(self) -> str | None:
        """Why the whole run stopped early, or how many models stopped on their own."""
        if self.stop_reason is not None:
            return self.stop_reason
        early = int(np.sum(self._stopped_early()))
        return (f"early stopping: {early} of {self.count} models stopped on their own"
                if early else None)

    # ------------------------------------------------------------------------- the result

    def _stopped_early(self) -> np.ndarray:
        """``(N,)`` the models whose early stopping has fired."""
        if self.stopper is None:
            return np.zeros(self.count, bool)
        wait, patience = jax.device_get((self.stopper.wait, self.stopper.patience))
        return np.asarray(self.early_stopping.fired(wait, patience), bool)

    def histories(self) -> list[dict[str, list]]:
        """Each model's own history: its lists, and the run's epochs and times it ran."""
        return [{key: values[:count] if key in _BOOKKEEPING else values[i]
                 for key, values in self.history.items()}
                for i, count in enumerate(self.model_epochs.tolist())]

    def stop_reasons(self) -> list[str | None]:
        """Per model why it stopped (its non-finite step, its early stopping, or the run's
        stop for the models that were still training), or None if it ran all its epochs."""
        fired = self._stopped_early()
        if fired.any():
            best, best_epoch, wait = jax.device_get(
                (self.stopper.best, self.stopper.best_epoch, self.stopper.wait))
        reasons: list[str | None] = []
        for i, epochs in enumerate(self.model_epochs.tolist()):
            if self.nonfinite[i] is not None:
                epoch, step = self.nonfinite[i]
                reasons.append(
                    f"the loss or the parameters became non-finite (NaN/inf) at epoch {epoch}, "
                    f"step {step}; this model stopped with the parameters of its last finite "
                    "step")
            elif fired[i]:
                reasons.append(self.early_stopping.stop_message(
                    float(best[i]), int(best_epoch[i]), int(wait[i]), epochs))
            elif self.stop_reason is not None and epochs < self.epochs:
                reasons.append(self.stop_reason)
            else:
                reasons.append(None)
        return reasons

    def result(self, compile_seconds: float = 0.0) -> ManyTrainResult:
        """The `ManyTrainResult` of the run so far."""
        params = self.state.params
        best_epoch = np.full(self.count, -1)
        if self.early_stopping is not None and self.early_stopping.restore_best:
            best_epoch = np.asarray(jax.device_get(self.stopper.best_epoch))
            restore = jnp.asarray(best_epoch >= 0)
            params = jax.tree_util.tree_map(
                lambda best, last: jnp.where(restore.reshape((-1,) + (1,) * (last.ndim - 1)),
                                             best, last), self.stopper.best_params, params)
        return ManyTrainResult(
            params=params, histories=self.histories(), state=self.state,
            epochs_run=self.model_epochs.copy(), stop_reasons=self.stop_reasons(),
            nonfinite=[None if n is None else tuple(n) for n in self.nonfinite],
            best_epochs=[int(e) if e >= 0 else None for e in best_epoch],
            stop_reason=self.stop_reason, compile_seconds=compile_seconds)


__all__ = ["ManyRun", "ManyTrainResult"]
