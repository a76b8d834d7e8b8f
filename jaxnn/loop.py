"""The one training loop: any ``loss_fn(params, batch, key) -> (loss, aux)``, one compiled call
per epoch.

Everything that trains in this project, a classifier (`jaxnn.fit`) or a PDE solver
(`pinn.solve`), goes through `train_loop`. An epoch is a single `jax.jit` call: the data sit on
the device, the minibatch order is a permutation drawn inside the compiled function, and
`jax.lax.scan` runs the optimizer steps. The host wakes once per epoch for history, callbacks,
progress and early stopping.

Batches. With ``batch_size=None`` every step sees the whole `data` pytree (full-batch training,
e.g. PINN collocation points or L-BFGS) and an epoch is ``steps_per_epoch`` steps. With an
integer `batch_size` the leading axis of every array in `data` is the sample axis; an epoch is
``ceil(n / batch_size)`` steps over a fresh permutation. The last batch is completed by wrapping
around to the start of the same permutation, so every batch has the same shape (no recompile);
if `data` is a dict with a ``"weight"`` entry, the wrapped-in rows get weight 0, so weighted
losses see every sample exactly once per epoch.

Failure as a value: a step whose loss or updated parameters are not finite is not applied; the
compiled epoch reports the first such step, and the host stops training there, keeping the last
finite parameters.

Devices: with more than one device (see `jaxnn.parallel`) the state is replicated and the data
and each minibatch are split along the mesh axis ``data``; `jax.jit` partitions the epoch and
adds the gradient all-reduce. In a run of several processes only process 0 prints and writes
checkpoints.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct

from jaxnn import parallel
from jaxnn.data import batch_indices

LossFn = Callable[[Any, Any, jax.Array], tuple[jax.Array, Mapping[str, jax.Array]]]
Callback = Callable[[int, dict[str, float]], Any]


class TrainState(struct.PyTreeNode):
    """Everything the compiled epoch updates: parameters, optimizer state, global step count."""

    params: Any
    opt_state: Any
    step: jax.Array


class BatchAwareTransformation(optax.GradientTransformationExtraArgs):
    """An Optax transformation whose ``update`` also receives ``batch=`` and ``key=``.

    Plain Optax transformations get ``value``, ``grad`` and ``value_fn`` (what L-BFGS needs).
    Optimizers that need the data themselves (Gauss-Newton needs the residual vector at the
    current collocation points) are wrapped in this class so the loop passes the batch too.
    """


@dataclasses.dataclass
class TrainResult:
    """What `train_loop` (and `jaxnn.fit`) return.

    Attributes:
        params: the trained parameters (the best ones if early stopping restored them; the last
            finite ones if the loss became non-finite).
        history: per-epoch lists, e.g. ``{"loss": [...], "val_loss": [...], "epoch": [...]}``.
        state: the final `TrainState` (parameters, optimizer state, step), to continue training.
        epochs_run: number of epochs completed.
        stop_reason: None if all epochs ran, else why training stopped early.
        nonfinite: ``(epoch, step)`` where the loss or parameters first became non-finite.
        best_epoch: the epoch whose parameters early stopping restored, if any.
    """

    params: Any
    history: dict[str, list[float]]
    state: TrainState
    epochs_run: int
    stop_reason: str | None = None
    nonfinite: tuple[int, int] | None = None
    best_epoch: int | None = None


class EarlyStopping:
    """Stop when a monitored quantity has not improved for `patience` epochs.

    Args:
        monitor: a history key, e.g. "val_loss" (default) or "val_accuracy".
        patience: epochs without improvement before stopping.
        min_delta: the smallest change that counts as an improvement.
        mode: "min", "max" or "auto" (max for accuracy/auc/f1, min otherwise).
        restore_best: put back the parameters of the best epoch when stopping (and at the end).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 5,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best: bool = True,
    ) -> None:
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping(patience={patience!r}): expected an integer >= 0.")
        if not min_delta >= 0:
            raise ValueError(f"EarlyStopping(min_delta={min_delta!r}): expected a number >= 0.")
        if mode == "auto":
            maximize = any(k in monitor for k in ("acc", "auc", "f1", "precision", "recall"))
            mode = "max" if maximize else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping(mode={mode!r}): expected 'min', 'max' or 'auto'.")
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.mode, self.restore_best = mode, restore_best
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch: int | None = None
        self.best_params: Any = None
        self.wait = 0

    def state_dict(self) -> tuple[dict[str, Any], Any]:
        """(scalars, best_params): what a checkpoint needs to resume early stopping exactly."""
        scalars = {"best": self.best, "wait": self.wait,
                   "best_epoch": -1 if self.best_epoch is None else self.best_epoch}
        return scalars, self.best_params

    def load_state_dict(self, scalars: Mapping[str, Any], best_params: Any) -> None:
        self.best, self.wait = float(scalars["best"]), int(scalars["wait"])
        self.best_epoch = None if scalars["best_epoch"] < 0 else int(scalars["best_epoch"])
        self.best_params = best_params

    def update(self, epoch: int, logs: Mapping[str, float], params: Any) -> bool:
        """Record an epoch; return True when training should stop."""
        if self.monitor not in logs:
            raise ValueError(
                f"EarlyStopping(monitor={self.monitor!r}): no such quantity in the epoch logs "
                f"{sorted(logs)}. Pass validation data for 'val_*' quantities or monitor 'loss'."
            )
        value = logs[self.monitor]
        sign = 1.0 if self.mode == "min" else -1.0
        if sign * (self.best - value) > self.min_delta:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_params = jax.tree_util.tree_map(jnp.copy, params)
            return False
        self.wait += 1
        return self.wait > self.patience


def _all_finite(tree: Any) -> jax.Array:
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def _sample_count(data: Any) -> int:
    leaves = jax.tree_util.tree_leaves(data)
    if not leaves:
        raise ValueError("train_loop(data=...): expected a pytree of arrays, got no arrays.")
    sizes = {int(np.shape(x)[0]) if np.ndim(x) else -1 for x in leaves}
    if len(sizes) != 1 or -1 in sizes:
        raise ValueError(
            "train_loop(data=...): with a batch_size every array needs the same leading "
            f"(sample) axis; got leading sizes {sorted(sizes)}. Use batch_size=None for "
            "full-batch training on arrays of different lengths."
        )
    return sizes.pop()


def make_epoch_fn(
    loss_fn: LossFn,
    optimizer: optax.GradientTransformation,
    num_samples: int | None,
    batch_size: int | None,
    steps_per_epoch: int,
    batch_sharding: jax.sharding.Sharding | None = None,
    may_skip: bool = False,
) -> Callable:
    """Build ``epoch(state, previous, data, epoch_index, base_key, active_steps)
    -> (state, previous, means, first_bad_step)``.

    `previous` is the state before the last applied step (carried across epochs): if the loss
    turns non-finite at the current parameters, training falls back to it, the last state with
    a finite loss. The returned function is pure and meant to be jitted once; `epoch_index` and
    `active_steps` (steps run this epoch, the rest skipped; only with `may_skip`, which
    compiles each step under a `lax.cond`) are traced integers so consecutive epochs reuse the
    compiled code. `batch_sharding` (from
    `jaxnn.parallel.batch_sharding`) splits each minibatch over the devices.
    """
    value_and_grad = jax.value_and_grad(loss_fn, has_aux=True)
    pass_batch = isinstance(optimizer, BatchAwareTransformation)

    def select(condition, if_true, if_false):
        return jax.tree_util.tree_map(lambda a, b: jnp.where(condition, a, b), if_true, if_false)

    def train_step(state, previous, bad_step, batch, key, index):
        """One optimizer step; a non-finite loss or update is not applied.

        `previous` is the state before the last applied step: if the loss is non-finite at the
        current parameters, training falls back to those, the last with a finite loss.
        """
        (loss, aux), grads = value_and_grad(state.params, batch, key)
        extra = {"value": loss, "grad": grads, "value_fn": lambda p: loss_fn(p, batch, key)[0]}
        if pass_batch:
            extra.update(batch=batch, key=key)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params, **extra)
        params = optax.apply_updates(state.params, updates)
        loss_ok = jnp.isfinite(loss)
        ok = (bad_step < 0) & loss_ok & _all_finite(params)
        proposed = TrainState(params=params, opt_state=opt_state, step=state.step + 1)
        fallback = select((bad_step < 0) & ~loss_ok, previous, state)
        new_state, new_previous = select(ok, proposed, fallback), select(ok, state, previous)
        bad_step = jnp.where((bad_step < 0) & ~ok, index, bad_step)
        return new_state, new_previous, bad_step, loss, dict(aux), ok

    def skipped_step(state, previous, bad_step, batch, key, index):
        """What an inactive step returns: nothing changes, nothing is counted."""
        loss, aux = jax.eval_shape(loss_fn, state.params, batch, key)
        zeros = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), (loss, dict(aux)))
        return state, previous, bad_step, *zeros, jnp.array(False)

    def epoch(state, previous, data, epoch_index, base_key, active_steps):
        epoch_key = jax.random.fold_in(base_key, epoch_index)
        order_key, step_key = jax.random.split(epoch_key)
        step_keys = jax.random.split(step_key, steps_per_epoch)
        if batch_size is None:
            rows = jnp.zeros((steps_per_epoch, 1), jnp.int32)
            masks = jnp.ones((steps_per_epoch, 1), jnp.float32)
        else:
            rows, masks = batch_indices(num_samples, batch_size, order_key)

        def body(carry, xs):
            state, previous, bad_step = carry
            key, row, mask, index = xs
            if batch_size is None:
                batch = data
            else:
                batch = parallel.constrain_batch(
                    jax.tree_util.tree_map(lambda a: a[row], data), batch_sharding
                )
                if isinstance(batch, dict) and "weight" in batch:
                    batch = {**batch, "weight": batch["weight"] * mask.astype(batch["weight"].dtype)}
            step = (state, previous, bad_step, batch, key, index)
            if may_skip:  # steps past `active_steps` (the end of a run mid-epoch) are skipped
                step = jax.lax.cond(index < active_steps, train_step, skipped_step, *step)
            else:
                step = train_step(*step)
            state, previous, bad_step, loss, aux, ok = step
            count = jnp.sum(mask) * ok
            return (state, previous, bad_step), (loss, aux, count)

        xs = (step_keys, rows, masks, jnp.arange(steps_per_epoch, dtype=jnp.int32))
        carry = (state, previous, jnp.int32(-1))
        (state, previous, bad_step), (losses, aux, counts) = jax.lax.scan(body, carry, xs)
        total = jnp.maximum(jnp.sum(counts), 1.0)

        def mean(values):
            values = jnp.where(counts > 0, values, 0.0)
            return jnp.sum(values * counts) / total

        means = {"loss": mean(losses), **{name: mean(v) for name, v in aux.items()}}
        return state, previous, means, bad_step

    return epoch


def _check_same_start(start_epoch: int, directory: Any) -> None:
    """Several processes must resume from the same epoch, or their compiled steps would differ."""
    if jax.process_count() == 1:
        return
    from jax.experimental import multihost_utils

    starts = multihost_utils.process_allgather(np.int64(start_epoch))
    if np.any(starts != start_epoch):
        raise ValueError(
            f"train_loop(resume=True): the processes found checkpoints after different epochs "
            f"{starts.tolist()} in {directory}. Process 0 writes the checkpoints; put "
            "checkpoint_dir on a file system that every process sees."
        )


def _any_callback_stops(callbacks: Sequence[Callback], epoch: int, logs: dict) -> bool:
    """Call every callback (all of them, even after one asks to stop); True if any asked."""
    answers = [bool(callback(epoch, logs)) for callback in callbacks]
    return any(answers)


def _format_logs(logs: Mapping[str, float]) -> str:
    return "  ".join(f"{k} {v:.4g}" for k, v in logs.items() if k not in ("epoch", "time"))


def train_loop(
    loss_fn: LossFn,
    params: Any,
    data: Any,
    *,
    optimizer: optax.GradientTransformation,
    epochs: int,
    batch_size: int | None = None,
    steps_per_epoch: int = 1,
    total_steps: int | None = None,
    seed: int = 0,
    validation_fn: Callable[[Any], Mapping[str, float]] | None = None,
    callbacks: Sequence[Callback] = (),
    early_stopping: EarlyStopping | None = None,
    data_fn: Callable[[int, Any], Any] | None = None,
    verbose: int = 1,
    log_every: int = 1,
    state: TrainState | None = None,
    checkpoint_dir: str | None = None,
    checkpoint_every: int = 1,
    keep: int = 3,
    resume: bool = False,
) -> TrainResult:
    """Train `params` to minimise ``loss_fn(params, batch, key) -> (loss, aux)``.

    Args:
        loss_fn: pure function; `aux` is a dict of scalar diagnostics averaged per epoch.
        params: initial parameter pytree.
        data: pytree of arrays (placed on the devices once, see `jaxnn.parallel.place`). In
            a run of several processes with a `batch_size`, each process passes its share
            of the samples and `batch_size` is global; with ``batch_size=None`` every
            process passes the same data.
        optimizer: any Optax transformation (schedules, clipping, `optax.lbfgs` included).
        epochs: number of epochs (compiled calls).
        batch_size: minibatch size along the leading axis, or None for full batch. With
            several devices, a multiple of the device count splits each step over them.
        steps_per_epoch: steps per epoch when full batch (ignored otherwise).
        total_steps: full batch: stop after this many steps in all, at most
            ``epochs * steps_per_epoch``; the last epoch skips the steps beyond (no recompile).
        seed: seeds the batch order and the per-step keys handed to `loss_fn`.
        validation_fn: ``params -> {"val_loss": ..., ...}``, called on the host once per epoch.
        callbacks: ``callback(epoch, logs)``, once per epoch; returning True stops training.
        early_stopping: an `EarlyStopping`.
        data_fn: ``(epoch, params) -> data`` (same shapes) to resample or refine the data
            between epochs, or None.
        verbose: 0 silent, 1 one progress line every `log_every` epochs (process 0 only).
        state: a `TrainState` to continue from (its params replace `params`).
        checkpoint_dir: save the full training state there every `checkpoint_every` epochs,
            keeping the newest `keep` checkpoints (see `jaxnn.checkpoint`); process 0
            writes, every process reads, so several processes need a shared directory.
        resume: continue from the newest checkpoint in `checkpoint_dir`, if there is one; the
            resumed run ends with the same parameters and history as an uninterrupted one.

    Returns:
        A `TrainResult`.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"train_loop(epochs={epochs!r}): expected an integer >= 0.")
    if batch_size is None:
        if not isinstance(steps_per_epoch, int) or steps_per_epoch < 1:
            raise ValueError(
                f"train_loop(steps_per_epoch={steps_per_epoch!r}): expected an integer >= 1."
            )
    else:
        _sample_count(data)
        if total_steps is not None:
            raise ValueError("train_loop(total_steps=...): only with batch_size=None (full "
                             "batch); with minibatches an epoch is one pass over the data.")
    mesh = parallel.mesh()
    shares = batch_size is not None  # several processes: each passes its share of the samples
    data = parallel.place(data, mesh, process_shares=shares)
    if batch_size is None:
        num_samples, steps = None, steps_per_epoch
        if total_steps is not None and not (
            isinstance(total_steps, int) and 0 <= total_steps <= epochs * steps_per_epoch
        ):
            raise ValueError(
                f"train_loop(total_steps={total_steps!r}): expected an integer in [0, "
                f"epochs * steps_per_epoch = {epochs * steps_per_epoch}]."
            )
    else:
        num_samples = _sample_count(data)
        steps = -(-num_samples // batch_size)
    if not parallel.is_main_process():
        verbose = 0
    if state is None:
        state = TrainState(params=params, opt_state=optimizer.init(params), step=jnp.int32(0))
    state = parallel.replicate(state, mesh)
    # The epoch donates its input state: copy it first so the caller's arrays stay valid and no
    # buffer is shared between leaves (optax.lbfgs keeps a reference to the params). Strong
    # dtypes (no weak types) keep the epoch's input and output types equal: one compilation.
    copy = jax.jit(lambda s: jax.tree_util.tree_map(lambda x: jnp.array(x, x.dtype), s))
    state = copy(state)
    sharding = {} if mesh is None else {"out_shardings": parallel.replicated(mesh)}
    batch_sharding = None if batch_size is None else parallel.batch_sharding(mesh, batch_size)
    epoch_fn = jax.jit(
        make_epoch_fn(loss_fn, optimizer, num_samples, batch_size, steps, batch_sharding,
                      may_skip=total_steps is not None and total_steps % steps != 0),
        donate_argnums=(0, 1),
        **sharding,
    )
    base_key = jax.random.PRNGKey(seed)
    if early_stopping is not None:
        early_stopping.reset()

    history: dict[str, list[float]] = {}
    start_epoch, checkpoints = 0, None
    if checkpoint_dir is not None:
        from jaxnn.checkpoint import TrainingCheckpoints

        checkpoints = TrainingCheckpoints(checkpoint_dir, keep=keep, every=checkpoint_every)
        if resume:
            restored = checkpoints.restore_latest(state, early_stopping, seed)
            if restored is not None:
                state, history, start_epoch = restored
            _check_same_start(start_epoch, checkpoints.directory)
            if restored is not None and verbose:
                print(f"resumed from {checkpoints.directory} after epoch {start_epoch}")
    result = TrainResult(params=state.params, history=history, state=state,
                         epochs_run=start_epoch)
    previous = copy(state)
    for epoch in range(start_epoch, epochs):
        if data_fn is not None and epoch > 0:
            data = parallel.place(data_fn(epoch, state.params), mesh, process_shares=shares)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Some donated buffers were not usable")
            active = steps if total_steps is None else min(steps, total_steps - epoch * steps)
            state, previous, means, bad_step = epoch_fn(
                state, previous, data, jnp.int32(epoch), base_key, jnp.int32(active)
            )
        means, bad_step = jax.device_get((means, bad_step))
        logs = {"epoch": epoch + 1, **{k: float(v) for k, v in means.items()}}
        if validation_fn is not None:
            logs.update({k: float(v) for k, v in validation_fn(state.params).items()})
        logs["time"] = time.perf_counter() - start
        for key, value in logs.items():
            history.setdefault(key, []).append(value)
        result.epochs_run = epoch + 1
        result.state = state

        if verbose and ((epoch + 1) % log_every == 0 or epoch == 0 or epoch + 1 == epochs):
            print(f"epoch {epoch + 1}/{epochs}  {_format_logs(logs)}  ({logs['time']:.2f} s)")
            sys.stdout.flush()

        if bad_step >= 0:
            result.nonfinite = (epoch + 1, int(bad_step) + 1)
            result.stop_reason = (
                f"the loss or the parameters became non-finite (NaN/inf) at epoch {epoch + 1}, "
                f"step {int(bad_step) + 1} of {steps}; training stopped and the parameters of "
                "the last finite step were kept. Lower the learning rate, add gradient clipping "
                "(optax.clip_by_global_norm) or check the data for extreme values."
            )
            warnings.warn(result.stop_reason, RuntimeWarning, stacklevel=2)
        elif _any_callback_stops(callbacks, epoch + 1, logs):
            result.stop_reason = f"a callback asked to stop after epoch {epoch + 1}"
        elif early_stopping is not None and early_stopping.update(epoch + 1, logs, state.params):
            result.stop_reason = (
                f"early stopping: {early_stopping.monitor} did not improve for "
                f"{early_stopping.patience} epochs (best {early_stopping.best:.6g} at epoch "
                f"{early_stopping.best_epoch})"
            )
            if verbose:
                print(result.stop_reason)
        stopping = result.stop_reason is not None
        if checkpoints is not None and parallel.is_main_process():
            checkpoints.maybe_save(epoch + 1, state, history, early_stopping, seed,
                                   force=stopping or epoch + 1 == epochs)
        if stopping:
            break

    result.params = state.params
    if early_stopping is not None and early_stopping.restore_best and \
            early_stopping.best_params is not None:
        result.params = early_stopping.best_params
        result.best_epoch = early_stopping.best_epoch
    return result
