"""How reliable are the predictions: ensemble spread and Monte Carlo dropout.

- `predict_ensemble(model, params_stacked, x)`: the class probabilities of every member of an
  ensemble (parameters stacked along a leading model axis, as `jaxnn.fit_many` returns them),
  one vmapped program, reduced to their mean and standard deviation per sample and class.
- `predict_mc_dropout(model, params, x, samples=...)`: the same for one model trained with
  dropout, run `samples` times with dropout on (Gal and Ghahramani, 2016).
- `dropout_rate_override(rate)`: a context in which every `flax.linen.Dropout` uses `rate`, a
  traced value (`jaxnn.fit_many` trains models of different dropout rates in one program).
  Flax's `Dropout` takes its rate as a Python number (it tests ``rate == 0`` on the host), so
  the rate is swapped in by a Flax method interceptor: the same draw (`jax.random.bernoulli`
  of the module's dropout key) and scaling as `flax.linen.Dropout`, with a traced rate.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from jaxnn.models import accepts_train
from jaxnn.supervised._checks import check_finite, check_int, check_model
from jaxnn.supervised._objectives import outputs_are_probabilities
from jaxnn.validate import as_float_array

OUTPUTS = ("probabilities", "raw")


class Uncertainty(NamedTuple):
    """Mean and standard deviation over ensemble members or dropout samples, each
    ``(n, outputs)``: of the class probabilities (``(n, 1)`` for a single-logit model: P(class
    1)), or of the model's raw outputs (logits, regression values) with ``outputs="raw"``."""

    mean: np.ndarray
    std: np.ndarray


@contextlib.contextmanager
def dropout_rate_override(rate: jax.Array | float | None) -> Iterator[None]:
    """Inside the block every `flax.linen.Dropout` drops with probability `rate` (may be a
    traced value); with ``rate=None`` nothing changes. Deterministic calls stay identities."""
    if rate is None:
        yield
        return

    def interceptor(next_fun, args, kwargs, context):
        module = context.module
        if not (isinstance(module, nn.Dropout) and context.method_name == "__call__"):
            return next_fun(*args, **kwargs)
        inputs = args[0]
        called = kwargs.get("deterministic", args[1] if len(args) > 1 else None)
        if nn.merge_param("deterministic", module.deterministic, called):
            return inputs
        rng = kwargs.get("rng", args[2] if len(args) > 2 else None)
        if rng is None:
            rng = module.make_rng(module.rng_collection)
        shape = list(inputs.shape)
        for dim in module.broadcast_dims:
            shape[dim] = 1
        keep = 1.0 - rate
        mask = jnp.broadcast_to(jax.random.bernoulli(rng, p=keep, shape=shape), inputs.shape)
        return jax.lax.select(mask, inputs / keep, jnp.zeros_like(inputs))

    with nn.intercept_methods(interceptor):
        yield


def _probabilities(model: nn.Module, outputs: jax.Array, raw: bool = False) -> jax.Array:
    if raw or outputs_are_probabilities(model):
        return outputs
    if outputs.shape[-1] == 1:
        return jax.nn.sigmoid(outputs)
    return jax.nn.softmax(outputs, axis=-1)


@functools.partial(jax.jit, static_argnums=(0, 3))
def _ensemble_moments(model: nn.Module, params: Any, x: jax.Array, raw: bool):
    probabilities = jax.vmap(lambda p: _probabilities(model, model.apply(p, x), raw))(params)
    return probabilities.mean(0), probabilities.std(0)


@functools.partial(jax.jit, static_argnums=(0, 5))
def _dropout_moments(model: nn.Module, params: Any, x: jax.Array, keys: jax.Array,
                     rate: jax.Array | None, raw: bool):
    def sample(key):
        with dropout_rate_override(rate):
            outputs = model.apply(params, x, train=True, rngs={"dropout": key})
        return _probabilities(model, outputs, raw)

    probabilities = jax.lax.map(sample, keys)
    return probabilities.mean(0), probabilities.std(0)


def _inputs(model: nn.Module, x: Any, where: str) -> np.ndarray:
    check_model(model, where)
    return check_finite(as_float_array(x, f"{where}(x=...)"), f"{where}(x=...)")


def _check_outputs(outputs: Any, where: str) -> str:
    if outputs not in OUTPUTS:
        raise ValueError(f"{where}(outputs={outputs!r}): expected 'probabilities' (class "
                         "probabilities) or 'raw' (the model's outputs: logits, regression "
                         "values).")
    return outputs


def _members(params: Any) -> int:
    sizes = {np.shape(leaf)[0] if np.ndim(leaf) else 0
             for leaf in jax.tree_util.tree_leaves(params)}
    if not sizes:
        raise ValueError(
            f"predict_ensemble(params_stacked={params!r:.40}): the model has no parameters, so "
            "every member is the same function and the spread is zero. Use jaxnn.predict_proba "
            "(or jaxnn.predict) for a model without parameters.")
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError(
            "predict_ensemble(params_stacked=...): expected parameters with a leading model axis "
            "on every leaf (ManyResult.params from jaxnn.fit_many, or jax.tree.map(lambda "
            f"*p: jnp.stack(p), *members)); got leading sizes {sorted(sizes)}.")
    return sizes.pop()


def predict_ensemble(model: nn.Module, params_stacked: Any, x: Any, *,
                     outputs: str = "probabilities") -> Uncertainty:
    """Mean and spread of an ensemble's class probabilities (or raw outputs) for ``x: (n, ...)``.

    Args:
        model: the Module the members share.
        params_stacked: parameters with a leading member axis ``(M, ...)`` on every leaf, e.g.
            ``jaxnn.fit_many(..., seeds=range(8)).params``.
        x: inputs ``(n, ...)``.
        outputs: "probabilities" (softmax of the logits; sigmoid of a single logit; a
            sigmoid/softmax model's outputs as they are) or "raw" (the model's outputs as
            they are: logits, or the values of a regression model).

    Returns:
        `Uncertainty` ``(mean, std)``, each ``(n, outputs)``: per sample and output, the mean
        and the standard deviation over the members.
    """
    x = _inputs(model, x, "predict_ensemble")
    raw = _check_outputs(outputs, "predict_ensemble") == "raw"
    members = _members(params_stacked)
    if members < 2:
        raise ValueError(f"predict_ensemble(params_stacked=...): {members} member; the spread "
                         "of one model is zero. Train several (fit_many(seeds=range(8))).")
    try:
        jax.eval_shape(lambda p: model.apply(jax.tree_util.tree_map(lambda a: a[0], p), x[:1]),
                       params_stacked)
    except Exception as error:
        cause = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise ValueError(f"predict_ensemble(x=...): the members cannot take x of shape "
                         f"{x.shape}: {cause}. Pass data with the training features.") from error
    mean, std = _ensemble_moments(model, params_stacked, jnp.asarray(x), raw)
    return Uncertainty(np.asarray(mean), np.asarray(std))


def predict_mc_dropout(model: nn.Module, params: Any, x: Any, *, samples: int = 50,
                       seed: int = 0, dropout_rate: float | None = None,
                       outputs: str = "probabilities") -> Uncertainty:
    """Monte Carlo dropout: mean and spread of the class probabilities over `samples` forward
    passes with dropout on (a different mask each, drawn from `seed`).

    Args:
        model: a Module with dropout layers (e.g. ``jaxnn.MLP([...], dropout=0.2)``) and a
            ``train`` argument.
        params: one model's parameters.
        x: inputs ``(n, ...)``.
        samples: forward passes (>= 2).
        seed: seeds the dropout masks.
        dropout_rate: the rate to sample with (default: the model's own).
        outputs: "probabilities" or "raw" (as in `predict_ensemble`).

    Returns:
        `Uncertainty` ``(mean, std)``, each ``(n, classes)``.
    """
    x = _inputs(model, x, "predict_mc_dropout")
    samples = check_int(samples, "predict_mc_dropout(samples=...)", minimum=2)
    raw = _check_outputs(outputs, "predict_mc_dropout") == "raw"
    seed = check_int(seed, "predict_mc_dropout(seed=...)", maximum=2**63 - 1)
    has_dropout = getattr(model, "dropout", 0) > 0
    if not accepts_train(model) or not has_dropout:
        raise ValueError(
            f"predict_mc_dropout(model={type(model).__name__}(dropout="
            f"{getattr(model, 'dropout', None)!r})): the model has no dropout to sample, so the "
            "spread would be zero. Train a model built with dropout > 0, e.g. "
            "jaxnn.MLP([64, 64, 2], dropout=0.2).")
    if dropout_rate is not None and not (isinstance(dropout_rate, (int, float))
                                         and 0.0 <= dropout_rate < 1.0):
        raise ValueError(f"predict_mc_dropout(dropout_rate={dropout_rate!r}): expected a rate "
                         "in [0, 1) or None for the model's own.")
    keys = jax.random.split(jax.random.PRNGKey(seed), samples)
    rate = None if dropout_rate is None else jnp.float32(dropout_rate)
    mean, std = _dropout_moments(model, params, jnp.asarray(x), keys, rate, raw)
    return Uncertainty(np.asarray(mean), np.asarray(std))


__all__ = ["Uncertainty", "dropout_rate_override", "predict_ensemble", "predict_mc_dropout"]
