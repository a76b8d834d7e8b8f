"""Flax NNX and Equinox models in `fit`, `evaluate` and `predict`: split into the pure
``apply(params, x)`` the one loop trains, then merged back.

    model = MyNNXNet(nnx.Rngs(0))                 # or an equinox.Module
    result = jaxnn.fit(model, (x, y), epochs=10)
    scores = jaxnn.predict(model, result.params, x_test)
    trained = jaxnn.models.merge(model, result.params)   # the module with the new weights

`adapt` is the one place this happens: `fit`, `evaluate` and `predict` call it first, and it
returns a flax.linen Module unchanged. An NNX module is split by ``nnx.split`` into its
parameters (`nnx.Param`, trained), its RNG streams (fresh keys from the step key at every
step, so dropout draws as in `jaxnn.MLP`) and any other arrays (held fixed); training runs it
in ``.train()`` mode, evaluation in ``.eval()`` mode, on copies (the module passed in is not
changed). An Equinox module is split by ``eqx.partition(model, eqx.is_inexact_array)``: its
floating-point arrays are the parameters; it is called on one sample at a time (`jax.vmap`,
Equinox's convention; ``adapt(model, batched=True)`` for a module that takes batches), with a
``key`` per sample while training if its ``__call__`` takes one, and in
``eqx.nn.inference_mode`` otherwise. Equinox is optional: it is imported only when a model is
one of its modules.

Parameters come from the module as built (its own initialization), not from `fit`'s seed; the
seed still draws the batches and the dropout keys. Outputs are read as logits (an NNX/Equinox
model has no `output_activation`).
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp

from jaxnn._fingerprint import fingerprint

__all__ = ["EquinoxModel", "NNXModel", "adapt", "merge"]


def _key_data(key: jax.Array | None) -> jax.Array:
    """A typed PRNG key from the loop's step key (raw uint32 or typed), or a fixed one."""
    if key is None:
        return jax.random.key(0)
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return key
    return jax.random.wrap_key_data(key)


class _Adapted:
    """A pure ``init``/``apply`` pair over a split module; equal (and hashed) by structure, so
    two adaptations of the same architecture share compiled code."""

    _key: Any = None

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other._key == self._key

    def __hash__(self) -> int:
        return hash(self._key)

    def init(self, key: jax.Array, x: jax.Array) -> Any:
        """The module's own parameters (built with it; `key` is not used)."""
        return self.params

    def __call__(self, params: Any, x: jax.Array, train: bool = False,
                 rngs: dict[str, jax.Array] | None = None) -> jax.Array:
        return self.apply(params, x, train=train, rngs=rngs)


class NNXModel(_Adapted):
    """A Flax NNX module as ``apply(params, x, train=False, rngs=None)``."""

    def __init__(self, module: Any) -> None:
        from flax import nnx

        try:
            graph, params, rng_state, rest = nnx.split(module, nnx.Param, nnx.RngState, ...)
            hash(graph)
        except Exception as error:
            raise ValueError(
                f"fit(model=...): the NNX module {type(module).__name__} holds state jaxnn "
                f"cannot split into arrays ({type(error).__name__}: {str(error)[:200]}). Keep "
                "arrays in nnx.Param/nnx.Variable and other attributes hashable (tuples, not "
                "lists or dicts that change).") from error
        leaves = jax.tree_util.tree_leaves_with_path(
            rest, is_leaf=lambda v: isinstance(v, nnx.Variable))
        batch_stats = [jax.tree_util.keystr(path) for path, v in leaves
                       if isinstance(v, nnx.BatchStat)]
        if batch_stats:
            raise ValueError(
                f"fit(model=...): the NNX module {type(module).__name__} holds batch statistics "
                f"({batch_stats[0]}, ...), state its forward pass updates; jaxnn trains a pure "
                "apply(params, x) and cannot carry them. Use nnx.LayerNorm instead of "
                "nnx.BatchNorm, or train this module with your own nnx loop.")
        self.params, self._rngs, self._rest = params, rng_state, rest
        modes = []
        for mode in ("train", "eval"):
            copy = nnx.merge(graph, params, rng_state, rest)
            getattr(copy, mode)()
            modes.append(nnx.split(copy, nnx.Param, nnx.RngState, ...)[0])
        self._train_graph, self._eval_graph = modes
        self._key = ("nnx", graph, *modes, fingerprint(jax.tree_util.tree_leaves(rest)),
                     jax.tree_util.tree_structure(rng_state))

    def _fresh_rngs(self, key: jax.Array | None) -> Any:
        """The RNG streams with keys drawn from `key` (counts reset), one per stream."""
        base = _key_data(key)
        leaves, treedef = jax.tree_util.tree_flatten(self._rngs)
        fresh = [jax.random.fold_in(base, i) if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key)
                 else jnp.zeros_like(leaf) for i, leaf in enumerate(leaves)]
        return jax.tree_util.tree_unflatten(treedef, fresh)

    def apply(self, params: Any, x: jax.Array, train: bool = False,
              rngs: dict[str, jax.Array] | None = None) -> jax.Array:
        """The wrapped module's outputs for `x: (batch, ...)` with `params`; ``train=True`` with
        ``rngs={"dropout": key}`` runs it in training mode (dropout on)."""
        from flax import nnx

        key = None if not rngs else next(iter(rngs.values()))
        graph = self._train_graph if train else self._eval_graph
        return nnx.merge(graph, params, self._fresh_rngs(key), self._rest)(x)

    def merge(self, params: Any) -> Any:
        """A copy of the wrapped module with `params` (e.g. ``result.params``) put back."""
        from flax import nnx

        return nnx.merge(self._eval_graph, params, self._rngs, self._rest)


class EquinoxModel(_Adapted):
    """An Equinox module as ``apply(params, x, train=False, rngs=None)``, per sample under
    `jax.vmap` unless `batched`."""

    def __init__(self, module: Any, batched: bool = False) -> None:
        import equinox as eqx

        states = [leaf for leaf in jax.tree_util.tree_leaves(
            module, is_leaf=lambda v: isinstance(v, eqx.nn.StateIndex))
            if isinstance(leaf, eqx.nn.StateIndex)]
        if states:
            raise ValueError(
                f"fit(model=...): the Equinox module {type(module).__name__} holds state "
                "(eqx.nn.State, e.g. BatchNorm), updated by its forward pass; jaxnn trains a "
                "pure apply(params, x) and cannot carry it. Use eqx.nn.LayerNorm, or train "
                "this module with your own loop.")
        params, static = eqx.partition(module, eqx.is_inexact_array)
        static_leaves, static_tree = jax.tree_util.tree_flatten(static)
        self.params, self._static, self.batched = params, static, bool(batched)
        try:
            signature = inspect.signature(type(module).__call__).parameters
        except (TypeError, ValueError):
            signature = {}
        self._takes_key = "key" in signature
        self._key = ("equinox", static_tree, fingerprint(static_leaves), self.batched)

    def apply(self, params: Any, x: jax.Array, train: bool = False,
              rngs: dict[str, jax.Array] | None = None) -> jax.Array:
        """The wrapped module's outputs for `x: (batch, ...)` with `params`; ``train=True`` with
        ``rngs={"dropout": key}`` runs it in training mode (dropout on)."""
        import equinox as eqx

        module = eqx.nn.inference_mode(eqx.combine(params, self._static), value=not train)
        key = None if not (train and rngs) else _key_data(next(iter(rngs.values())))
        if self.batched:
            return module(x, key=key) if key is not None and self._takes_key else module(x)
        if key is not None and self._takes_key:
            return jax.vmap(lambda xi, ki: module(xi, key=ki))(x, jax.random.split(key, len(x)))
        return jax.vmap(module)(x)

    def merge(self, params: Any) -> Any:
        """A copy of the wrapped module with `params` (e.g. ``result.params``) put back."""
        import equinox as eqx

        return eqx.combine(params, self._static)


def _is_nnx(model: Any) -> bool:
    nnx = sys.modules.get("flax.nnx")
    return nnx is not None and isinstance(model, nnx.Module)


def _is_equinox(model: Any) -> bool:
    eqx = sys.modules.get("equinox")  # a module of it exists only if it was imported
    return eqx is not None and isinstance(model, eqx.Module)


def adapt(model: Any, params: Any = None, *, batched: bool = False) -> tuple[Any, Any]:
    """``(model, params)`` for the training loop: a flax.linen Module (or anything that is not
    an NNX/Equinox module) and `params` unchanged; an NNX/Equinox module as an `NNXModel` /
    `EquinoxModel`, with its own parameters when `params` is None. An already adapted model
    passes through."""
    if isinstance(model, _Adapted):
        return model, model.params if params is None else params
    if isinstance(model, (nn.Module, type)):
        return model, params
    if _is_nnx(model):
        adapted = NNXModel(model)
    elif _is_equinox(model):
        adapted = EquinoxModel(model, batched=batched)
    else:
        return model, params
    return adapted, adapted.params if params is None else params


def merge(model: Any, params: Any) -> Any:
    """The NNX/Equinox `model` with `params` (e.g. ``result.params``) in place of its own: a
    new module (for NNX in ``.eval()`` mode); `model` itself is not changed."""
    adapted, _ = adapt(model)
    if not isinstance(adapted, _Adapted):
        raise TypeError(f"merge(model=...): expected a Flax NNX or Equinox module, got "
                        f"{type(model).__name__}; a flax.linen model keeps its parameters apart "
                        "(model.apply(params, x)).")
    return adapted.merge(params)
