"""The compiled chunk of epochs (`make_chunk`) and `Program`: everything it depends on
besides the shapes of its arguments, compiled once and cached by fingerprint. With
``models=True`` the chunk is `jax.vmap`-ed over many models (`ManyRun` keeps their record)."""

from __future__ import annotations

import dataclasses
import functools
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jaxnn import parallel
from jaxnn._fingerprint import fingerprint
from jaxnn.training._compile_cache import CompileCache, abstract_signature, eval_shape
from jaxnn.training._line_search import ReusesLineSearch
from jaxnn.training._step import (
    BatchAwareTransformation,
    all_finite,
    guard_nonfinite,
    make_epoch,
    make_train_step,
    prng_key,
    watch_nonfinite,
)
from jaxnn.training._stopping import EarlyStopping


MAX_EPOCHS_PER_CALL = 4096  # size of the on-device history buffers of one compiled call


_CACHE = CompileCache(size=64)


# XLA's CPU backend spends much of a training program's compile time in LLVM passes that buy
# nothing measurable at run time for it, and in its newer MLIR fusion emitters, which compile
# each fusion more slowly than the classic ones (benchmarks/lecture_speed.py and
# benchmarks/pinn_peer.py measure first runs): the chunk is compiled without either on CPU.
CPU_COMPILE = {"xla_llvm_disable_expensive_passes": True, "xla_cpu_use_fusion_emitters": False}


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


def check_logs(loss_fn, validation_fn, params, data, validation_data, batch_size,
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


def sample_count(data: Any) -> int:
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
    # Many models of one architecture (`jaxnn.fit_many`, `ManyRun`): the chunk is vmapped over
    # the leading axis of the carry, the early-stopping state, the first epoch, the epoch count
    # and the key (one model each); with a mesh the models, not the batch, are split along it.
    models: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.optimizer, ReusesLineSearch) and self.batch_size is not None:
            raise ValueError(
                f"optimizer=reuse_line_search(...) with batch_size={self.batch_size}: the loss "
                "and gradient its line search stored belong to the last minibatch, not the "
                "next one. Train full batch (batch_size=None), or pass the transformation "
                "without reuse_line_search.")

    @functools.cached_property
    def key(self) -> Any:
        """Equal for programs that compute the same thing (`CompileCache`); taken once."""
        return fingerprint((
            self.loss_fn, self.optimizer.update,
            isinstance(self.optimizer, BatchAwareTransformation),
            isinstance(self.optimizer, ReusesLineSearch), self.validation_fn,
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


def fresh_copy(tree: Any) -> Any:
    """Copies of every array (the chunk donates its inputs), with strong dtypes (a weak one
    would come back strong and make the next call compile again)."""

    def copy(x):
        if getattr(x, "weak_type", False) or not isinstance(x, jax.Array):
            return jnp.array(x, jnp.asarray(x).dtype)
        return jax.device_put(x, x.sharding, may_alias=False)  # a buffer copy: no compile

    return jax.tree_util.tree_map(copy, tree)
