"""Line searches in the training loop: reuse what they evaluated, and stop when they fail.

- `reuse_line_search(transformation)`: the step takes the loss and gradient at the current
  parameters from the line search of the step before (a `ReusesLineSearch`), for full-batch
  training on a key-free loss; `forget_line_search` drops them when the data changes.
- `stop_on_failure(transformation)`: after three line searches in a row that ran out of
  evaluations, the transformation starts afresh; if three searches
  after that do not lower the loss clearly below where it started afresh, the steps stop
  moving, at no more cost than the loss's logs. Without it a quasi-Newton method at the
  floor of its precision spends every later step on a full line search (30 evaluations)
  for nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jaxnn.validate import check_int


class ReusesLineSearch(optax.GradientTransformationExtraArgs):
    """An Optax transformation with a zoom line search (`optax.lbfgs`, `pinn.quasi_newton`)
    whose step takes the loss and gradient at the current parameters from the line search's
    state: the line search of the step before evaluated them there, at the point it accepted.
    That spares one gradient evaluation a step; the loss's logs (`aux`) still cost a forward
    pass. Build it with `reuse_line_search`.

    Only for full-batch training (``batch_size=None``) on a loss that does not depend on the
    step's key. `jaxnn.train_loop` forgets the stored values when a callback replaces the data
    and when a run continues from a ``state=``.
    """


def line_search_states(opt_state: Any) -> tuple[list, Callable]:
    """The `optax.ScaleByZoomLinesearchState` nodes of `opt_state`, and the function that puts
    a list of them back."""
    is_search = lambda node: isinstance(node, optax.ScaleByZoomLinesearchState)  # noqa: E731
    nodes, tree = jax.tree_util.tree_flatten(opt_state, is_leaf=is_search)
    where = [i for i, node in enumerate(nodes) if is_search(node)]

    def put_back(states: list) -> Any:
        replaced = list(nodes)
        for i, state in zip(where, states, strict=True):
            replaced[i] = state
        return jax.tree_util.tree_unflatten(tree, replaced)

    return [nodes[i] for i in where], put_back


def _check_one_line_search(transformation: Any, where: str) -> None:
    """Refuse anything but an Optax transformation holding exactly one zoom line search."""
    if not isinstance(transformation, optax.GradientTransformation):
        raise TypeError(f"{where}(transformation={type(transformation).__name__}): expected an "
                        "Optax transformation with a zoom line search, such as optax.lbfgs().")
    found = len(line_search_states(jax.eval_shape(transformation.init, jnp.zeros(1)))[0])
    if found != 1:
        raise ValueError(
            f"{where}(transformation=...): expected a transformation holding one zoom line "
            f"search (optax.scale_by_zoom_linesearch, as in optax.lbfgs()), found {found}. "
            f"Chain one in, or train without {where}.")


def reuse_line_search(transformation: optax.GradientTransformation) -> ReusesLineSearch:
    """`transformation` marked as a `ReusesLineSearch`: for full-batch training on a loss that
    does not depend on the step's key.

    Args:
        transformation: an Optax transformation holding one zoom line search
            (`optax.scale_by_zoom_linesearch`, as `optax.lbfgs` and `pinn.quasi_newton` do).

    Raises:
        TypeError: not an Optax transformation.
        ValueError: no zoom line search, or several.
    """
    _check_one_line_search(transformation, "reuse_line_search")
    extra = optax.with_extra_args_support(transformation)
    return ReusesLineSearch(extra.init, extra.update)


def forget_line_search(opt_state: Any) -> Any:
    """`opt_state` as if its line search had not run yet: the stored loss +inf, so that the
    next step of a `ReusesLineSearch` evaluates the loss and gradient itself, and no failure
    on record, so that a stopped `stop_on_failure` tries again (after the data changed).
    A state without a zoom line search comes back unchanged."""
    states, put_back = line_search_states(opt_state)
    return put_back([state._replace(value=state.value + jnp.inf, info=state.info._replace(
        decrease_error=state.info.decrease_error + jnp.inf)) for state in states])


class StopState(NamedTuple):
    """The wrapped transformation's state; the searches in a row that count against it
    (failed ones; after a fresh start, any that left the loss where it was); the loss at
    the fresh start still on probation (+inf: none)."""

    inner: Any
    failures: jax.Array  # int32
    restart_value: jax.Array


def _searched(search: optax.ScaleByZoomLinesearchState) -> tuple[jax.Array, jax.Array]:
    """(whether a line search ran since `init` or `forget_line_search`, which leave its
    decrease error at +inf; whether it failed: it ran out of evaluations before it met both
    strong Wolfe conditions, either error positive).

    At the floor of the precision the values no longer fall: the decrease condition holds
    within the search's rounding allowance and the curvature condition fails. Whether the
    loss ended lower is no guide there: it moves up and down by its rounding."""
    info = search.info
    ran = jnp.isfinite(info.decrease_error)
    return ran, ran & ((info.decrease_error > 0) | (info.curvature_error > 0))


def stop_on_failure(transformation: optax.GradientTransformation, patience: int = 3
                    ) -> optax.GradientTransformationExtraArgs:
    """`transformation` (one with a zoom line search, such as `optax.lbfgs`; `pinn.quasi_newton`
    comes with it), started afresh once its line search has failed `patience` times in a
    row, and stopped if `patience` searches after that do not lower the loss clearly.

    A line search fails when it runs out of evaluations before it meets both strong Wolfe
    conditions. Near the floor of the precision one failure is often followed by a good step
    (the gradients still point somewhere the values can no longer tell), so a failure alone
    changes nothing. After `patience` in a row the
    transformation starts from a fresh state: a quasi-Newton matrix that went bad stalls its
    searches long before the floor (a 5-D Poisson solve stalled at 2.8e-8 after 16,000
    BFGS steps). If the `patience` searches after that leave the loss where it was, within
    the square root of the dtype's epsilon, the parameters are where the loss cannot be
    lowered in this precision: later steps return zero updates without a line search, until
    the data change (`forget_line_search`; the step after starts from a fresh state). Once
    the loss has fallen clearly, the next `patience` failures in a row start afresh again.

    Args:
        transformation: an Optax transformation holding one zoom line search.
        patience: failed line searches in a row that start it afresh, and searches after
            that which stop it unless the loss falls clearly (at least 1).

    Raises:
        TypeError: not an Optax transformation.
        ValueError: no zoom line search, or several; a patience below 1.
    """
    _check_one_line_search(transformation, "stop_on_failure")
    patience = check_int(patience, "stop_on_failure(patience=...)", minimum=1)
    inner = optax.with_extra_args_support(transformation)

    def init(params) -> StopState:
        inner_state = inner.init(params)
        (search,), _ = line_search_states(inner_state)
        return StopState(inner_state, jnp.zeros((), jnp.int32),
                         jnp.full_like(search.value, jnp.inf))

    def update(updates, state: StopState, params=None, **extra):
        (search,), _ = line_search_states(state.inner)
        ran, failed = _searched(search)
        # on probation: started afresh, and the loss not yet clearly below where it was then
        # (by more than the rounding of the values at the floor); every search counts
        tolerance = jnp.sqrt(jnp.finfo(state.restart_value.dtype).eps)
        fell = search.value < state.restart_value - tolerance * jnp.abs(state.restart_value)
        on_probation = (state.restart_value < jnp.inf) & ~fell
        failures = jnp.where(failed | (on_probation & ran), state.failures + 1, 0)
        exhausted = failures >= patience
        restart = exhausted & ~on_probation
        stop = exhausted & on_probation
        # stopped, and the data changed since (`forget_line_search`)
        resumed = on_probation & (state.failures >= patience) & ~ran
        # 0: go on; 1: start afresh (a restart, or a stop that new data ended); 2: stay stopped
        branch = jnp.where(stop, 2, (restart | resumed).astype(jnp.int32))
        branches = (lambda: inner.update(updates, state.inner, params, **extra),
                    lambda: inner.update(updates, inner.init(params), params, **extra),
                    lambda: (jax.tree_util.tree_map(jnp.zeros_like, updates), state.inner))
        new_updates, inner_state = jax.lax.switch(branch, branches)
        value = jnp.asarray(extra["value"], state.restart_value.dtype)  # where it starts
        # new data (`forget_line_search`) end a probation: their losses are not comparable
        restart_value = jnp.where(restart, value, jnp.where(on_probation & ran,
                                                             state.restart_value, jnp.inf))
        failures = jnp.where(restart, 0, failures).astype(jnp.int32)
        return new_updates, StopState(inner_state, failures, restart_value)

    return optax.GradientTransformationExtraArgs(init, update)
