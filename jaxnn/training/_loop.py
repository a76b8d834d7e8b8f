"""The one training loop: any ``loss_fn(params, batch, key) -> (loss, aux)``, compiled once.

Everything that trains in this project goes through the one host loop here (`HostLoop`): a
classifier (`jaxnn.fit`) and a PDE solver (`pinn.solve`) through `train_loop`, and many models
of one architecture trained as one vmapped program (`jaxnn.fit_many`) through the same
`HostLoop` with a `ManyRun`. It is three layers:

1. The compiled chunk (`Program`, built by `make_chunk`): a `lax.while_loop` over up to
   `MAX_EPOCHS_PER_CALL` epochs (`make_epoch`: a `lax.scan` over minibatch steps, the
   permutation drawn inside), the validation function and early stopping evaluated on the
   device after every epoch, the per-epoch logs written into buffers on the device. It stops
   by itself when early stopping says so, when a step budget is spent, or after an epoch that
   went non-finite: the steps only watch the loss (no per-step selects to compile), and such
   an epoch is rolled back and replayed alone under the NaN guard (`guard_nonfinite`), which
   keeps the last finite state and names the step. For many models the chunk is `jax.vmap`-ed
   over the models (`Program(models=True)`).
2. The compile cache (`jaxnn.training.CompileCache`): the chunk is keyed by what the loss,
   optimizer ``update`` and validation compute, and by the shapes of the data, so repeated
   calls (a second `fit`, a hyperparameter scan with `optax.inject_hyperparams`) reuse the
   compiled code. The chunk is compiled ahead of time, so the compile time is measured apart
   (`TrainResult.compile_seconds`) and per-epoch times are times of training alone.
3. The host loop (`HostLoop`): picks how many epochs the next call runs (enough for about
   `WAKE_SECONDS` of work, never past an epoch where a callback needs the state), hands what
   the call returned to the run's record (`Run` for one model, `ManyRun` for many: history,
   stop reasons, the epoch to replay), and calls the callbacks (`Progress`, `Checkpoint`,
   `DataRefresh`, any user hook) once no replay is pending. The number of epochs per call
   never changes the result: the same compiled chunk runs one epoch or a thousand.

Devices: with several devices (see `jaxnn.parallel`) the state is replicated and the data and
each minibatch are split along the mesh axis ``data`` (many models: the models are split);
`jax.jit` partitions the chunk and adds the gradient all-reduce. In a run of several processes
only process 0 prints and writes.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxnn import parallel
from jaxnn.training._callbacks import Callback, as_callback
from jaxnn.training._line_search import forget_line_search
from jaxnn.training._program import (
    MAX_EPOCHS_PER_CALL,
    Program,
    check_logs,
    fresh_copy,
    sample_count,
)
from jaxnn.training._run import Run, TrainResult
from jaxnn.training._step import Carry, LossFn, TrainState
from jaxnn.training._stopping import EarlyStopping, check_early_stopping
from jaxnn.validate import check_finite_tree, check_function, check_int, check_seed

WAKE_SECONDS = 0.2  # aim for the host to wake about this often (progress, callbacks)


def _forget(state: TrainState) -> TrainState:
    """`state` with what its line search stored forgotten (`forget_line_search`): for data
    other than those it was evaluated on."""
    return state.replace(opt_state=forget_line_search(state.opt_state))


def _continue_from(state: Any, params: Any, optimizer) -> tuple[TrainState, dict, int]:
    """(state, history, epochs so far) from ``state=`` (a TrainState or a TrainResult). A line
    search forgets what it stored: the data may not be the earlier run's."""
    if isinstance(state, TrainResult):
        history = {k: list(v) for k, v in state.history.items()}
        return _forget(state.state), history, state.epochs_run
    if isinstance(state, TrainState):
        return _forget(state), {}, 0
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
        callbacks: `jaxnn.Callback` objects (progress, checkpoints, data refresh),
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
        num_samples = sample_count(data)
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
        num_samples = sample_count(data)
        steps = -(-num_samples // batch_size)
    state, history, start_epoch = _continue_from(state, params, optimizer)
    log_dtypes = check_logs(loss_fn, validation_fn, state.params, data, validation_data,
                             batch_size, early_stopping)
    program = Program(loss_fn, optimizer, validation_fn, early_stopping, num_samples, batch_size,
                      steps, total_steps is not None, log_dtypes, mesh)
    # The fast program and the one that replays a non-finite epoch under the NaN guard, keyed
    # now, before anything is traced (a loss that records its traces in a list it closes over
    # keeps its key for the whole run).
    programs = (program, dataclasses.replace(program, guarded=True))
    for each in programs:
        each.key  # noqa: B018
    state = fresh_copy(parallel.replicate(state, mesh))
    run = Run(epochs=start_epoch + epochs, start_epoch=start_epoch, steps_per_epoch=steps,
              seed=seed, history=history, data=data, state=state,
              stopper=None if early_stopping is None else early_stopping.init(state.params),
              early_stopping=early_stopping, num_samples=num_samples, batch_size=batch_size,
              mesh=mesh, total_steps=total_steps)
    return HostLoop(programs, callbacks, validation_data)(run)


class HostLoop:
    """The host side of every training run: compiled chunks of epochs, and between them the
    run's record (history, stop decisions) and the callbacks.

    ``HostLoop(programs, callbacks, validation_data)(run)`` trains `run` (a `Run`, or a
    `ManyRun` for many models in one vmapped program) and returns ``run.result(...)``. It
    calls each callback's ``on_train_begin(run)``, then ``run.begin()``; runs the fast
    program (``programs[0]``) for as many epochs as fit about `WAKE_SECONDS` and end where the
    next callback is due; replays an epoch that went non-finite alone with the guarded
    program (``programs[1]``); after each call hands the buffers to ``run.record`` and, once
    no replay is pending, calls the callbacks due at ``run.epoch`` (any returning True stops
    the run); and at the end calls ``on_train_end(result)``.

    Args:
        programs: the fast `Program` and the same with ``guarded=True``.
        callbacks: `Callback` objects (functions already wrapped, see `as_callback`).
        validation_data: the validation arrays on the devices, or None.
    """

    def __init__(self, programs: tuple[Program, Program], callbacks: Sequence[Callback],
                 validation_data: Any = None) -> None:
        self.programs, self.callbacks = programs, list(callbacks)
        self.validation_data = validation_data

    def __call__(self, run: Run) -> Any:
        for callback in self.callbacks:
            callback.on_train_begin(run)
        run.begin()
        compile_seconds = self._train(run) if run.training else 0.0
        result = run.result(compile_seconds)
        for callback in self.callbacks:
            callback.on_train_end(result)
        return result

    def _train(self, run: Run) -> float:
        """Compiled calls until the run says it is over; the seconds spent compiling."""
        compile_seconds, per_epoch, called = 0.0, None, run.epoch
        # Everything the chunk returns sits where `run.place` puts it; so does what goes in,
        # or the second call would see other shardings and compile again.
        run.stopper = run.place(run.stopper)
        carry = Carry(state=run.place(run.state), previous=run.place(fresh_copy(run.state)),
                      bad_step=run.place(jnp.full(jnp.shape(run.state.step), -1, jnp.int32)))
        base_key = run.base_key()
        data = run.data
        while run.training:
            if run.data is not data:
                # a callback replaced the data: what a line search stored is the old data's
                data = run.data
                carry = carry.replace(state=_forget(carry.state), previous=_forget(carry.previous))
            replay = bool(np.any(run.replay))
            first_epoch, lengths = run.chunk_epochs(self._chunk_length(run, per_epoch))
            args = (carry, run.stopper, run.data, self.validation_data, first_epoch, lengths,
                    base_key, run.step_limit)
            chunk, seconds = self.programs[replay].compiled(args)
            compile_seconds += seconds
            start_step = jax.device_get(carry.state.step) if replay else None  # not donated yet
            start = time.perf_counter()
            carry, run.stopper, buffers, done, failed = chunk(*args)
            buffers, done, failed, bad_step, step = jax.device_get(
                (buffers, done, failed, carry.bad_step, carry.state.step))
            if np.max(done) > 0:
                per_epoch = (time.perf_counter() - start) / int(np.max(done))
            run.state = carry.state
            run.record(buffers, done, failed, bad_step, step, start_step, per_epoch)
            if not np.any(run.replay) and run.epoch > called:
                called = run.epoch
                self._epoch_end(run)
        return compile_seconds

    def _chunk_length(self, run: Run, per_epoch: float | None) -> int:
        """Epochs for the next call: about `WAKE_SECONDS` of work, ending where a callback
        wakes."""
        length = 1 if per_epoch is None else int(WAKE_SECONDS / max(per_epoch, 1e-9))
        length = max(1, min(length, MAX_EPOCHS_PER_CALL, run.epochs - run.epoch))
        for callback in self.callbacks:
            if callback.every is not None:
                length = min(length, callback.every - run.epoch % callback.every)
        return length

    def _epoch_end(self, run: Run) -> None:
        """The callbacks due after ``run.epoch``; a True answer stops the run."""
        logs = run.logs()
        asked = [bool(c.on_epoch_end(run.epoch, run.state, logs)) for c in self.callbacks
                 if c.every is None or run.epoch % c.every == 0]
        if any(asked) and run.stop_reason is None:
            run.stop_reason = f"a callback asked to stop after epoch {run.epoch}"


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
    check_early_stopping(early_stopping, "train_loop")
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
