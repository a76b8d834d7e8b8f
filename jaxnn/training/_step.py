"""The compiled pieces of training: one step, the NaN guard around it, an epoch of steps.

Each piece is a pure function built from smaller ones:

- `make_train_step(loss_fn, optimizer)`: ``(state, batch, key) -> (state, loss, aux)``, one
  gradient step of any Optax transformation (plain ones too, through
  `optax.with_extra_args_support`; L-BFGS gets ``value``/``grad``/``value_fn``; a
  `BatchAwareTransformation` also gets the batch; a `ReusesLineSearch` takes the loss and
  gradient from its line search's state).
- `watch_nonfinite(step)`: the step over a `Carry`, recording the first non-finite loss: the
  fast path, checked once per epoch.
- `guard_nonfinite(step)`: the same step, but a step whose loss or new parameters are not
  finite is not applied, the first such step is recorded, and later steps change nothing. An
  epoch that went non-finite on the fast path is replayed with it. Failure is a value; the
  host decides what to say.
- `make_epoch(step, ...)`: ``(carry, data, epoch, base_key, step_limit) -> (carry, means)``,
  one pass over the data as a `lax.scan` of minibatch steps (the permutation is drawn inside).
  With a step budget the steps past ``step_limit`` are skipped under a `lax.cond`.

`jaxnn.training` runs many epochs of these per compiled call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct

from jaxnn import parallel
from jaxnn.data import batch_layout
from jaxnn.training._line_search import ReusesLineSearch, line_search_states

LossFn = Callable[[Any, Any, jax.Array], tuple[jax.Array, Mapping[str, jax.Array]]]


class TrainState(struct.PyTreeNode):
    """Everything a step updates: parameters, optimizer state, global step count."""

    params: Any
    opt_state: Any
    step: jax.Array


class Carry(struct.PyTreeNode):
    """What a wrapped step carries: the state, the state before the last applied step (the
    fallback when the loss is non-finite at the current state), and the global step number of
    the first non-finite step (-1 while there is none)."""

    state: TrainState
    previous: TrainState
    bad_step: jax.Array


class BatchAwareTransformation(optax.GradientTransformationExtraArgs):
    """An Optax transformation whose ``update`` also receives ``batch=`` and ``key=``.

    Plain Optax transformations get ``value``, ``grad`` and ``value_fn`` (what L-BFGS needs).
    Optimizers that need the data themselves (Gauss-Newton needs the residual vector at the
    current collocation points) are wrapped in this class so the step passes the batch too.
    """


def make_train_step(loss_fn: LossFn, optimizer: optax.GradientTransformation) -> Callable:
    """``step(state, batch, key) -> (new_state, loss, aux)``: one optimizer step on `loss_fn`."""
    value_and_grad = jax.value_and_grad(loss_fn, has_aux=True)
    pass_batch = isinstance(optimizer, BatchAwareTransformation)
    transformation = optax.with_extra_args_support(optimizer)

    def evaluate(state: TrainState, batch: Any, key: jax.Array):
        if not isinstance(optimizer, ReusesLineSearch):
            return value_and_grad(state.params, batch, key)
        (search,), _ = line_search_states(state.opt_state)

        def stored():
            loss, aux = loss_fn(state.params, batch, key)  # the logs: a forward pass
            grads = jax.tree_util.tree_map(lambda g, p: g.astype(p.dtype), search.grad,
                                           state.params)
            return (search.value.astype(loss.dtype), aux), grads

        return jax.lax.cond(jnp.isfinite(search.value), stored,
                            lambda: value_and_grad(state.params, batch, key))

    def step(state: TrainState, batch: Any, key: jax.Array):
        (loss, aux), grads = evaluate(state, batch, key)
        extra = {"value": loss, "grad": grads, "value_fn": lambda p: loss_fn(p, batch, key)[0]}
        if pass_batch:
            extra.update(batch=batch, key=key)
        updates, opt_state = transformation.update(grads, state.opt_state, state.params, **extra)
        params = optax.apply_updates(state.params, updates)
        return TrainState(params=params, opt_state=opt_state, step=state.step + 1), loss, aux

    return step


def all_finite(tree: Any) -> jax.Array:
    """True if every leaf of `tree` is finite everywhere."""
    leaves = [jnp.all(jnp.isfinite(x)) for x in jax.tree_util.tree_leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def _select(condition: jax.Array, if_true: Any, if_false: Any) -> Any:
    return jax.tree_util.tree_map(lambda a, b: jnp.where(condition, a, b), if_true, if_false)


def guard_nonfinite(step: Callable) -> Callable:
    """Wrap ``step(state, batch, key)`` as ``guarded(carry, batch, key) -> (carry, loss, aux, ok)``.

    A step whose loss or updated parameters are not finite is not applied. If the loss is
    already non-finite at the current parameters (the previous update was finite but landed
    somewhere the loss overflows), the carry falls back to `Carry.previous`, the last state
    with a finite loss. After the first bad step nothing changes any more.
    """

    def guarded(carry: Carry, batch: Any, key: jax.Array):
        proposed, loss, aux = step(carry.state, batch, key)
        healthy = carry.bad_step < 0
        loss_ok = jnp.isfinite(loss)
        ok = healthy & loss_ok & all_finite(proposed.params)
        fallback = _select(healthy & ~loss_ok, carry.previous, carry.state)
        bad_step = jnp.where(healthy & ~ok, carry.state.step, carry.bad_step)
        carry = Carry(state=_select(ok, proposed, fallback),
                      previous=_select(ok, carry.state, carry.previous),
                      bad_step=bad_step.astype(jnp.int32))
        return carry, loss, dict(aux), ok

    return guarded


def watch_nonfinite(step: Callable) -> Callable:
    """Wrap ``step(state, batch, key)`` into ``watched(carry, batch, key) -> (carry, loss, aux,
    ok)`` that applies every step and only records the first step with a non-finite loss.

    The fast path: no selects over the state per step (on a CPU they cost as much compile
    time as the step itself). `jaxnn.training` checks each epoch's end; an epoch that went
    non-finite is rolled back and replayed under `guard_nonfinite`.
    """

    def watched(carry: Carry, batch: Any, key: jax.Array):
        state, loss, aux = step(carry.state, batch, key)
        ok = jnp.isfinite(loss)
        bad_step = jnp.where((carry.bad_step < 0) & ~ok, carry.state.step, carry.bad_step)
        # `previous` is passed along, not selected: the state before the latest step, which a
        # replay falls back to if the loss is already non-finite at an epoch's first step.
        carry = Carry(state=state, previous=carry.state, bad_step=bad_step.astype(jnp.int32))
        return carry, loss, dict(aux), ok

    return watched


def prng_key(seed: int) -> jax.Array:
    """``jax.random.PRNGKey(seed)``, built on the host for the default threefry keys.

    A threefry key is the seed's two 32-bit halves; JAX computes them with a compiled program,
    the first compilation of a fresh process (tens of milliseconds of a lecture-size fit).
    Other key implementations, and seeds outside [0, 2**31), go through JAX.
    """
    if jax.config.jax_default_prng_impl != "threefry2x32" or not 0 <= seed < 2**31:
        return jax.random.PRNGKey(seed)
    return jnp.asarray(np.array([0, seed], np.uint32))


def epoch_randomness(base_key: jax.Array, epoch_index: jax.Array, num_samples: int,
                     steps: int) -> tuple[jax.Array, jax.Array]:
    """(a permutation of range(num_samples), one PRNG key per step) for one epoch.

    Both come from one draw of random bits keyed by ``fold_in(base_key, epoch_index)``: the
    order is the argsort of `num_samples` random words, each step key two more words (the
    ``uint32[2]`` layout of `jax.random.PRNGKey`). Two threefry hashes per epoch in all; every
    further `split` or `permutation` would cost a quarter second of compilation on a CPU.
    """
    bits = jax.random.bits(jax.random.fold_in(base_key, epoch_index),
                           (num_samples + 2 * steps,), jnp.uint32)
    order = jnp.argsort(bits[:num_samples]).astype(jnp.int32)
    return order, bits[num_samples:].reshape(steps, 2)


def make_epoch(
    guarded_step: Callable,
    num_samples: int | None,
    batch_size: int | None,
    steps_per_epoch: int,
    batch_sharding: jax.sharding.Sharding | None = None,
    budgeted: bool = False,
    outputs: Callable | None = None,
) -> Callable:
    """``epoch(carry, data, epoch_index, base_key, step_limit) -> (carry, means)``.

    With ``batch_size=None`` every step sees all of `data`; otherwise the leading axis of each
    array is the sample axis and the epoch is ``ceil(n / batch_size)`` steps over a permutation
    drawn from ``fold_in(base_key, epoch_index)`` (the last batch is completed by wrapping
    around; a ``"weight"`` entry of a dict gets 0 for the wrapped-in rows). `means` are the
    loss and aux values averaged over the samples of the steps that were applied, and
    ``"steps"``, how many were. With `budgeted`, steps at global step numbers >= `step_limit`
    are skipped (a traced value: any budget, one compilation). A skipped step's loss and logs
    are zeros shaped by ``outputs(carry, batch, key) -> (loss, aux)`` (shapes suffice), by
    default traced from the step itself: pass the loss function's own shapes to spare that
    second trace of the step (a Gauss-Newton step's: a second of a small problem's first run).
    """

    def skipped(carry, batch, key):
        if outputs is None:
            loss, aux = jax.eval_shape(lambda c: guarded_step(c, batch, key)[1:3], carry)
        else:
            loss, aux = outputs(carry, batch, key)
        zeros = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), (loss, dict(aux)))
        return carry, *zeros, jnp.array(False)

    def epoch(carry, data, epoch_index, base_key, step_limit):
        order, step_keys = epoch_randomness(base_key, epoch_index, num_samples or 0,
                                            steps_per_epoch)
        if batch_size is None:
            rows = jnp.zeros((steps_per_epoch, 1), jnp.int32)
            masks = jnp.ones((steps_per_epoch, 1), jnp.float32)
        else:
            rows, masks = batch_layout(order, batch_size)

        def body(carry, xs):
            key, row, mask = xs
            batch = data
            if batch_size is not None:
                batch = jax.tree_util.tree_map(lambda a: a[row], data)
                batch = parallel.constrain_batch(batch, batch_sharding)
                if isinstance(batch, dict) and "weight" in batch:
                    weight = batch["weight"]
                    batch = {**batch, "weight": weight * mask.astype(weight.dtype)}
            if budgeted:
                active = carry.state.step < step_limit
                carry, loss, aux, ok = jax.lax.cond(active, guarded_step, skipped,
                                                    carry, batch, key)
            else:
                carry, loss, aux, ok = guarded_step(carry, batch, key)
            return carry, (loss, aux, jnp.sum(mask) * ok, ok)

        xs = (step_keys, rows, masks)
        if steps_per_epoch == 1:  # nothing to loop over (full-batch problems): no scan to compile
            carry, outputs = body(carry, jax.tree_util.tree_map(lambda a: a[0], xs))
            losses, aux, counts, applied = jax.tree_util.tree_map(lambda a: a[None], outputs)
        else:
            carry, (losses, aux, counts, applied) = jax.lax.scan(body, carry, xs)
        total = jnp.maximum(jnp.sum(counts), 1.0)

        def mean(values):
            return jnp.sum(jnp.where(counts > 0, values, 0.0) * counts) / total

        means = {"loss": mean(losses), **{name: mean(v) for name, v in aux.items()}}
        return carry, {**means, "steps": jnp.sum(applied.astype(jnp.int32))}

    return epoch


__all__ = ["BatchAwareTransformation", "Carry", "TrainState", "all_finite", "guard_nonfinite",
           "make_epoch", "make_train_step", "watch_nonfinite"]
