"""The one training loop: any ``loss_fn(params, batch, key) -> (loss, aux)``, compiled once.

Everything that trains in this project, a classifier (`jaxnn.fit`) or a PDE solver
(`pinn.solve`), goes through `train_loop`. It is three layers:

1. The compiled chunk (`make_chunk`): a `lax.while_loop` over up to `MAX_EPOCHS_PER_CALL`
   epochs (`jaxnn.step.make_epoch`: a `lax.scan` over minibatch steps, the permutation drawn
   inside), the validation function and early stopping evaluated on the device after every
   epoch, the per-epoch logs written into buffers on the device. It stops by itself when early
   stopping says so, when a step budget is spent, or after an epoch that went non-finite: the
   steps only watch the loss (no per-step selects to compile), and such an epoch is rolled
   back and replayed alone under the NaN guard (`jaxnn.step.guard_nonfinite`), which keeps
   the last finite state and names the step.
2. The compile cache (`jaxnn.compile_cache`): the chunk is keyed by what the loss, optimizer
   ``update`` and validation compute, and by the shapes of the data, so repeated calls (a
   second `fit`, a hyperparameter scan with `optax.inject_hyperparams`) reuse the compiled code.
   The chunk is compiled ahead of time, so the compile time is measured apart
   (`TrainResult.compile_seconds`) and per-epoch times are times of training alone.
3. The host loop (`train_loop`): picks how many epochs the next call runs (enough for about
   `WAKE_SECONDS` of work, never past an epoch where a callback needs the state), appends the
   logs to the history, and calls the callbacks (`jaxnn.callbacks`: progress, checkpoints,
   data refresh, any user hook). The number of epochs per call never changes the result: the
   same compiled chunk runs one epoch or a thousand.

Devices: with several devices (see `jaxnn.parallel`) the state is replicated and the data and
each minibatch are split along the mesh axis ``data``; `jax.jit` partitions the chunk and adds
the gradient all-reduce. In a run of several processes only process 0 prints and writes.
"""

from __future__ import annotations

import dataclasses
import functools
import math
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
from jaxnn.callbacks import Callback, as_callback
from jaxnn.compile_cache import CompileCache, abstract_signature, eval_shape, fingerprint
from jaxnn.run import Run, TrainResult
from jaxnn.step import (
    BatchAwareTransformation,
    Carry,
    LossFn,
    TrainState,
    all_finite,
    guard_nonfinite,
    make_epoch,
    make_train_step,
    prng_key,
    watch_nonfinite,
)
from jaxnn.validate import (
    check_bool,
    check_finite_tree,
    check_function,
    check_int,
    check_number,
    check_seed,
)

MAX_EPOCHS_PER_CALL = 4096  # size of the on-device history buffers of one compiled call
WAKE_SECONDS = 0.2  # aim for the host to wake about this often (progress, callbacks)
_CACHE = CompileCache(size=64)

# XLA's CPU backend spends much of a training program's compile time in LLVM passes that buy
# nothing measurable at run time for it (a Burgers PINN window: 96 -> 79 s, the same iterates;
# an MLP's steady-state samples/s unchanged), and in its newer MLIR fusion emitters, which
# compile each fusion more slowly than the classic ones (XOR's 10,000 epochs: 1.5 -> 0.9 s; a
# Gauss-Newton PINN's chunk: 7 -> 4.5 s; the CNN's and MLP's samples/s within 4%): the chunk
# is compiled without either on CPU.
CPU_COMPILE = {"xla_llvm_disable_expensive_passes": True, "xla_cpu_use_fusion_emitters": False}


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


def make_chunk(epoch: Callable, validation_fn: Callable | None,
               early_stopping: EarlyStopping | None, budgeted: bool,
               log_dtypes: Mapping[str, Any], guarded: bool) -> Callable:
    """``chunk(carry, stopper, data, validation_data, first_epoch, n_epochs, base_key,
    step_limit) -> (carry, stopper, logs, epochs_done, failed)``: up to `n_epochs` epochs on
    the device.

    `logs` maps each log name of `log_dtypes` (``"loss"``, the aux and validation names,
    ``"steps"``) to a buffer of `MAX_EPOCHS_PER_CALL` values, the first `epochs_done` filled.
    The loop ends early when early stopping fires, when (`budgeted`) the step count reaches
    `step_limit`, or after an epoch that went non-finite: with a `guarded` epoch that epoch is
    logged (its bad steps were not applied); otherwise it is rolled back, not logged, and
    `failed` is set so that the host replays it guarded.
    """

    def epoch_logs(carry, stopper, data, validation_data, epoch_number, base_key, step_limit):
        carry, logs = epoch(carry, data, epoch_number, base_key, step_limit)
        if validation_fn is not None:
            logs.update(validation_fn(carry.state.params, validation_data))
        healthy = (carry.bad_step < 0) & all_finite(carry.state.params)
        stop = ~healthy
        if early_stopping is not None:
            stopper, early = early_stopping.update(stopper, logs, epoch_number + 1,
                                                   carry.state.params, healthy)
            stop = stop | early
        if budgeted:
            stop = stop | (carry.state.step >= step_limit)
        return carry, stopper, logs, stop, ~healthy

    def chunk(carry, stopper, data, validation_data, first_epoch, n_epochs, base_key,
              step_limit):
        buffers = {name: jnp.zeros((MAX_EPOCHS_PER_CALL,), dtype)
                   for name, dtype in log_dtypes.items()}

        def body(loop):
            done, start, start_stopper, buffers, _, _ = loop
            carry, stopper, logs, stop, unhealthy = epoch_logs(
                start, start_stopper, data, validation_data, first_epoch + done, base_key,
                step_limit)
            buffers = {name: buffers[name].at[done].set(logs[name].astype(buffers[name].dtype))
                       for name in buffers}
            if guarded:
                return done + 1, carry, stopper, buffers, stop, jnp.array(False)
            # roll a non-finite epoch back (one select per epoch, none per step)
            carry, stopper = jax.tree_util.tree_map(
                lambda old, new: jnp.where(unhealthy, old, new), (start, start_stopper),
                (carry, stopper))
            return done + 1 - unhealthy.astype(jnp.int32), carry, stopper, buffers, stop, unhealthy

        def more(loop):
            done, *_, stop, _ = loop
            return (done < n_epochs) & ~stop

        start = (jnp.int32(0), carry, stopper, buffers, jnp.array(False), jnp.array(False))
        done, carry, stopper, buffers, _, failed = jax.lax.while_loop(more, body, start)
        return carry, stopper, buffers, done, failed

    return chunk


def _check_logs(loss_fn, validation_fn, params, data, validation_data, batch_size,
                early_stopping) -> dict[str, Any]:
    """Probe the user's functions once on shapes (contracts and log names) before training;
    return the dtype of each per-epoch log."""
    batch = data if batch_size is None else jax.tree_util.tree_map(lambda a: a[:batch_size], data)
    try:
        out = eval_shape(loss_fn, params, batch, prng_key(0))
    except Exception as error:
        message = (f"train_loop(loss_fn=...): calling loss_fn(params, batch, key) on the data "
                   f"failed: {type(error).__name__}: {error}")
        kind = type(error) if isinstance(error, (TypeError, ValueError)) else ValueError
        try:
            problem = kind(message)
        except Exception:  # noqa: BLE001 (an exception class with another signature)
            problem = ValueError(message)
        raise problem from error
    if hasattr(out, "shape") and hasattr(out, "dtype"):
        raise TypeError(
            f"train_loop(loss_fn=...): must return a pair (loss, aux), got one array of shape "
            f"{tuple(out.shape)} (the loss alone?). Return (loss, {{}}) when there is no aux.")
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], Mapping)):
        raise TypeError(
            f"train_loop(loss_fn=...): must return (loss, aux) with aux a dict of scalars, got "
            f"{jax.tree_util.tree_map(lambda s: s.shape, out)}. Return (loss, {{}}) for no aux.")
    names = {"loss": out[0], **out[1]}
    if validation_fn is not None:
        names.update(eval_shape(validation_fn, params, validation_data))
    bad = {k: v.shape for k, v in names.items() if getattr(v, "shape", None) != ()}
    if bad:
        raise ValueError(f"train_loop: the loss and the logs must be scalars; got shapes {bad}.")
    if early_stopping is not None and early_stopping.monitor not in names:
        raise ValueError(
            f"EarlyStopping(monitor={early_stopping.monitor!r}): no such quantity in the epoch "
            f"logs {sorted(names)}. Monitor one of those; 'val_*' names need validation data.")
    means = {k: jnp.promote_types(v.dtype, jnp.float32) for k, v in names.items()}
    return {**means, "steps": jnp.dtype(jnp.int32)}


def _sample_count(data: Any) -> int:
    leaves = jax.tree_util.tree_leaves(data)
    if not leaves:
        raise ValueError("train_loop(data=...): expected a pytree of arrays, got no arrays.")
    sizes = {int(np.shape(x)[0]) if np.ndim(x) else -1 for x in leaves}
    if len(sizes) != 1 or -1 in sizes:
        raise ValueError(
            "train_loop(data=...): with a batch_size every array needs the same leading "
            f"(sample) axis; got leading sizes {sorted(sizes)}. Use batch_size=None for "
            "full-batch training on arrays of different lengths.")
    return sizes.pop()


@dataclasses.dataclass(frozen=True)
class Program:
    """Everything the compiled chunk depends on besides its arguments' shapes."""

    loss_fn: Callable
    optimizer: optax.GradientTransformation
    validation_fn: Callable | None
    early_stopping: EarlyStopping | None
    num_samples: int | None
    batch_size: int | None
    steps_per_epoch: int
    budgeted: bool
    log_dtypes: Mapping[str, Any]
    mesh: Any
    guarded: bool = False
    # Many models of one architecture (`jaxnn.many`): the chunk is vmapped over the leading
    # axis of the carry, the early-stopping state, the first epoch, the epoch count and the key
    # (one model each); with a mesh the models, not the batch, are split along its axis.
    models: bool = False

    @functools.cached_property
    def key(self) -> Any:
        """Equal for programs that compute the same thing (`jaxnn.compile_cache`); taken once."""
        return fingerprint((
            self.loss_fn, self.optimizer.update,
            isinstance(self.optimizer, BatchAwareTransformation), self.validation_fn,
            None if self.early_stopping is None else self.early_stopping.static_key,
            self.num_samples, self.batch_size, self.steps_per_epoch, self.budgeted,
            tuple((k, str(v)) for k, v in self.log_dtypes.items()), self.mesh, self.guarded,
            self.models))

    def compiled(self, args: tuple) -> tuple[Callable, float]:
        """The compiled chunk for `args` (from the cache if it is there), and the seconds
        spent compiling it now."""
        seconds = 0.0

        def build():
            nonlocal seconds
            start = time.perf_counter()
            mesh, batch_size = self.mesh, self.batch_size
            batch_sharding = None if batch_size is None or self.models else (
                parallel.batch_sharding(mesh, batch_size))
            wrap = guard_nonfinite if self.guarded else watch_nonfinite
            step = wrap(make_train_step(self.loss_fn, self.optimizer))
            loss_fn = self.loss_fn

            def outputs(carry, batch, key):  # the step's (loss, aux) are the loss function's
                return jax.eval_shape(loss_fn, carry.state.params, batch, key)

            epoch = make_epoch(step, self.num_samples, batch_size, self.steps_per_epoch,
                               batch_sharding, self.budgeted, outputs)
            chunk = make_chunk(epoch, self.validation_fn, self.early_stopping, self.budgeted,
                               self.log_dtypes, self.guarded)
            sharding = {} if mesh is None else {"out_shardings": parallel.replicated(mesh)}
            if self.models:
                chunk = jax.vmap(chunk, in_axes=(0, 0, None, None, 0, 0, 0, None))
                if mesh is not None:
                    split = jax.sharding.PartitionSpec(parallel.DATA_AXIS)
                    sharding = {"out_shardings": jax.sharding.NamedSharding(mesh, split)}
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="Some donated buffers were not usable")
                options = CPU_COMPILE if jax.default_backend() == "cpu" else None
                jitted = jax.jit(chunk, donate_argnums=(0, 1), compiler_options=options,
                                 **sharding)
                compiled = jitted.lower(*args).compile()
            seconds = time.perf_counter() - start
            return compiled

        return _CACHE.get((self.key, abstract_signature(args)), build), seconds


def _fresh_copy(tree: Any) -> Any:
    """Copies of every array (the chunk donates its inputs), with strong dtypes (a weak one
    would come back strong and make the next call compile again)."""

    def copy(x):
        if getattr(x, "weak_type", False) or not isinstance(x, jax.Array):
            return jnp.array(x, jnp.asarray(x).dtype)
        return jax.device_put(x, x.sharding, may_alias=False)  # a buffer copy: no compile

    return jax.tree_util.tree_map(copy, tree)


def _continue_from(state: Any, params: Any, optimizer) -> tuple[TrainState, dict, int]:
    """(state, history, epochs so far) from ``state=`` (a TrainState or a TrainResult)."""
    if isinstance(state, TrainResult):
        history = {k: list(v) for k, v in state.history.items()}
        return state.state, history, state.epochs_run
    if isinstance(state, TrainState):
        return state, {}, 0
    if state is not None:
        raise TypeError(f"train_loop(state={type(state).__name__}): expected a TrainState or "
                        "the TrainResult of an earlier run to continue, or None.")
    return TrainState(params=params, opt_state=optimizer.init(params), step=jnp.int32(0)), {}, 0


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
    validation_fn: Callable[[Any, Any], Mapping[str, jax.Array]] | None = None,
    validation_data: Any = None,
    early_stopping: EarlyStopping | None = None,
    callbacks: Sequence[Callback | Callable] = (),
    state: TrainState | TrainResult | None = None,
) -> TrainResult:
    """Train `params` to minimise ``loss_fn(params, batch, key) -> (loss, aux)``.

    Args:
        loss_fn: pure function; `aux` is a dict of scalar diagnostics averaged per epoch.
        params: initial parameter pytree (ignored when `state` is given).
        data: pytree of arrays (placed on the devices once, see `jaxnn.parallel.place`). In
            a run of several processes with a `batch_size`, each process passes its share
            of the samples and `batch_size` is global.
        optimizer: any Optax transformation (schedules, clipping, `optax.lbfgs` included).
            Wrap it in `optax.inject_hyperparams` to change hyperparameters without recompiling.
        epochs: epochs to run in this call.
        batch_size: minibatch size along the leading axis, or None for full batch.
        steps_per_epoch: steps per epoch when full batch (ignored otherwise).
        total_steps: a step budget for this call: training ends after this many steps (the last
            epoch is cut short; no recompile for another budget).
        seed: seeds the batch order and the per-step keys handed to `loss_fn`; the keys of
            epoch e depend only on (seed, e), so a continued run draws what one long run would.
        validation_fn: ``(params, validation_data) -> {"val_loss": ..., ...}`` of scalars,
            traced and evaluated on the device after every epoch.
        early_stopping: an `EarlyStopping` on any log name (evaluated on the device).
        callbacks: `jaxnn.callbacks.Callback` objects (progress, checkpoints, data refresh),
            or plain functions ``callback(epoch, logs)`` called after every epoch (return True
            to stop).
        state: continue from a `TrainState`, or from a `TrainResult` (optimizer state, step
            count, epoch numbering and history carry on).

    Returns:
        A `TrainResult`.
    """
    _check_arguments(loss_fn, params, optimizer, batch_size, seed, validation_fn, early_stopping,
                     callbacks, state)
    epochs = _check_count(epochs, "epochs")
    if batch_size is None:
        steps = _check_count(steps_per_epoch, "steps_per_epoch", minimum=1)
        num_samples = None
    else:
        if total_steps is not None:
            raise ValueError("train_loop(total_steps=...): only with batch_size=None (full "
                             "batch); with minibatches an epoch is one pass over the data.")
        num_samples = _sample_count(data)
    if total_steps is not None:
        total_steps = _check_count(total_steps, "total_steps")
        if total_steps > epochs * steps:
            raise ValueError(
                f"train_loop(total_steps={total_steps}): expected at most epochs * "
                f"steps_per_epoch = {epochs * steps} (the steps the epochs hold); raise epochs "
                "or lower the budget.")
    callbacks = [as_callback(c) for c in callbacks]
    mesh = parallel.mesh()
    shares = batch_size is not None  # several processes: each passes its share of the samples
    data = parallel.place(data, mesh, process_shares=shares)
    if batch_size is not None:
        num_samples = _sample_count(data)
        steps = -(-num_samples // batch_size)
    state, history, start_epoch = _continue_from(state, params, optimizer)
    log_dtypes = _check_logs(loss_fn, validation_fn, state.params, data, validation_data,
                             batch_size, early_stopping)
    program = Program(loss_fn, optimizer, validation_fn, early_stopping, num_samples, batch_size,
                      steps, total_steps is not None, log_dtypes, mesh)
    # The fast program and the one that replays a non-finite epoch under the NaN guard, keyed
    # now, before anything is traced (a loss that records its traces in a list it closes over
    # keeps its key for the whole run).
    programs = (program, dataclasses.replace(program, guarded=True))
    for each in programs:
        each.key  # noqa: B018
    state = _fresh_copy(parallel.replicate(state, mesh))
    run = Run(epochs=start_epoch + epochs, start_epoch=start_epoch, steps_per_epoch=steps,
              seed=seed, history=history, data=data, state=state,
              stopper=None if early_stopping is None else early_stopping.init(state.params),
              early_stopping=early_stopping, num_samples=num_samples, batch_size=batch_size)
    for callback in callbacks:
        callback.on_train_begin(run)
    step_limit = np.int32(2**31 - 1 if total_steps is None else int(run.state.step) + total_steps)
    run.finished = run.finished or int(run.state.step) >= step_limit
    compile_seconds = _train(run, callbacks, programs, validation_data, step_limit)
    result = run.result(compile_seconds)
    for callback in callbacks:
        callback.on_train_end(result)
    return result


def _train(run: Run, callbacks: list[Callback], programs: tuple[Program, Program],
           validation_data: Any, step_limit: np.int32) -> float:
    """The host loop: compiled chunks of epochs, history and callbacks between them. An epoch
    that went non-finite on the fast path is replayed alone with the NaN guard."""
    compile_seconds, per_epoch, replay = 0.0, None, False
    base_key = prng_key(run.seed)
    # Everything the chunk returns is replicated over the mesh; so is what goes in, or the
    # second call would see other shardings and compile again.
    mesh = programs[0].mesh
    run.stopper = parallel.replicate(run.stopper, mesh)
    carry = parallel.replicate(
        Carry(state=run.state, previous=_fresh_copy(run.state), bad_step=jnp.int32(-1)), mesh)
    while not run.finished and run.epoch < run.epochs:
        length = 1 if replay else _chunk_length(run, callbacks, per_epoch)
        args = (carry, run.stopper, run.data, validation_data, np.int32(run.epoch),
                np.int32(length), base_key, step_limit)
        chunk, seconds = programs[replay].compiled(args)
        compile_seconds += seconds
        epoch_start_step = int(carry.state.step) if replay else None  # before it is donated
        start = time.perf_counter()
        carry, run.stopper, buffers, done, failed = chunk(*args)
        buffers, done, failed, bad_step, step = jax.device_get(
            (buffers, done, failed, carry.bad_step, carry.state.step))
        if done:
            per_epoch = (time.perf_counter() - start) / int(done)
        run.state, replay = carry.state, bool(failed)
        if run.record(buffers, int(done), per_epoch, int(bad_step), int(step), step_limit,
                      callbacks, epoch_start_step):
            break
    return compile_seconds


def _chunk_length(run: Run, callbacks: Sequence[Callback], per_epoch: float | None) -> int:
    """Epochs for the next call: about `WAKE_SECONDS` of work, ending where a callback wakes."""
    length = 1 if per_epoch is None else int(WAKE_SECONDS / max(per_epoch, 1e-9))
    length = max(1, min(length, MAX_EPOCHS_PER_CALL, run.epochs - run.epoch))
    for callback in callbacks:
        if callback.every is not None:
            length = min(length, callback.every - run.epoch % callback.every)
    return length


def _check_count(value: Any, name: str, minimum: int = 0) -> int:
    return check_int(value, f"train_loop({name}={value!r})", minimum=minimum)


def _check_arguments(loss_fn, params, optimizer, batch_size, seed, validation_fn,
                     early_stopping, callbacks, state) -> None:
    """The arguments of `train_loop` that no later step checks, before anything is traced."""
    check_function(loss_fn, "train_loop(loss_fn=...)", "loss_fn(params, batch, key) -> "
                   "(loss, aux)", [3])
    if not (callable(getattr(optimizer, "init", None))
            and callable(getattr(optimizer, "update", None))):
        raise TypeError(f"train_loop(optimizer=...): expected an Optax transformation such as "
                        f"optax.adam(1e-3), got {type(optimizer).__name__} {optimizer!r:.60}.")
    if batch_size is not None:
        check_int(batch_size, "train_loop(batch_size=...)", minimum=1)
    check_seed(seed, "train_loop(seed=...)")
    if validation_fn is not None:
        check_function(validation_fn, "train_loop(validation_fn=...)",
                       "validation_fn(params, validation_data) -> {name: scalar}", [2])
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError(f"train_loop(early_stopping=...): expected a jaxnn.EarlyStopping(...) or "
                        f"None, got {type(early_stopping).__name__}.")
    if isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Sequence):
        raise TypeError(f"train_loop(callbacks=...): expected a list of callbacks, got "
                        f"{type(callbacks).__name__}. Wrap a single one in a list: [callback].")
    if state is None:
        leaves = jax.tree_util.tree_leaves(params)
        if not leaves or not all(hasattr(leaf, "shape") and hasattr(leaf, "dtype")
                                 for leaf in leaves):
            raise TypeError(f"train_loop(params=...): expected a pytree of arrays (e.g. "
                            f"model.init(key, x[:1])), got {type(params).__name__} "
                            f"{params!r:.60}.")
        check_finite_tree(params, "train_loop(params=...)", "Training would start from NaN/inf; "
                          "initialise the parameters with finite values.")


__all__ = [
    "MAX_EPOCHS_PER_CALL",
    "BatchAwareTransformation",
    "EarlyStopping",
    "StopperState",
    "TrainResult",
    "TrainState",
    "make_chunk",
    "train_loop",
]
