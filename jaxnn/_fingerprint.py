"""Compile once: a structural key for the functions a training run is built from.

`jax.jit` caches compiled code by the identity of the function it wraps. A training loop built
from fresh closures (``optax.adam(1e-3)`` makes new ``init``/``update`` functions every call,
`fit` builds its loss from the model) would compile again on every call. `fingerprint` gives
such functions a key by what they are, not where they live: the code object, the defaults and
the values in the closure cells, recursively. Two ``optax.adam(1e-3)`` transformations, or two
identical `fit` calls, get the same key and share the compiled code; ``optax.adam(1e-2)`` gets
another key (the rate is a constant in its closure). To change a hyperparameter without a
recompile make it a traced value, e.g. ``optax.inject_hyperparams(optax.adam)(learning_rate=lr)``:
only ``update`` is part of the key, and there the rate is read from the optimizer state.

Objects the fingerprint cannot see into (class instances without value equality, large arrays)
are keyed by identity and kept alive by the key, so a key can miss but never match wrongly.
"""

from __future__ import annotations

import dataclasses
import functools
import types
from collections.abc import Hashable
from typing import Any

import flax.linen as nn
import jax
import numpy as np

_ARRAY_BYTES_BY_VALUE = 1 << 20  # arrays up to 1 MiB are keyed by content, larger by identity


class _Identity:
    """Hashable by identity; holds a strong reference so the id is never reused."""

    __slots__ = ("obj",)

    def __init__(self, obj: Any) -> None:
        self.obj = obj

    def __hash__(self) -> int:
        return id(self.obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Identity) and other.obj is self.obj


def fingerprint(obj: Any) -> Hashable:
    """A hashable key equal for two objects that compute the same thing (see module docstring)."""
    return _fingerprint(obj, set())


def _fingerprint(obj: Any, active: set[int]) -> Hashable:
    if obj is None or isinstance(obj, (bool, int, str, bytes, type)):
        return (type(obj).__name__, obj)
    if isinstance(obj, float):
        return ("float", obj.hex())
    if isinstance(obj, (np.ndarray, np.generic, jax.Array)) and not isinstance(
        obj, jax.core.Tracer
    ):
        array = np.asarray(obj)
        if array.nbytes <= _ARRAY_BYTES_BY_VALUE and array.dtype != object:
            return ("array", array.dtype.str, array.shape, array.tobytes())
        return ("identity", _Identity(obj))
    if id(obj) in active:  # a closure that refers to itself
        return ("cycle",)
    active.add(id(obj))
    try:
        return _container_fingerprint(obj, active)
    finally:
        active.discard(id(obj))


def _container_fingerprint(obj: Any, active: set[int]) -> Hashable:
    inner = functools.partial(_fingerprint, active=active)
    if isinstance(obj, (tuple, list)):  # NamedTuples (optax transformations) keep their type
        return (type(obj), tuple(inner(item) for item in obj))
    if isinstance(obj, dict):
        return (type(obj), tuple((inner(k), inner(v)) for k, v in obj.items()))
    if isinstance(obj, (set, frozenset)):
        return (type(obj), frozenset(inner(item) for item in obj))
    if isinstance(obj, types.FunctionType):
        cells = tuple(inner(cell.cell_contents) if _filled(cell) else ("empty",)
                      for cell in obj.__closure__ or ())
        return ("function", obj.__code__, id(obj.__globals__), inner(obj.__defaults__),
                inner(obj.__kwdefaults__), cells)
    if isinstance(obj, functools.partial):
        return ("partial", inner(obj.func), inner(obj.args), inner(obj.keywords))
    if isinstance(obj, types.MethodType):
        return ("method", inner(obj.__func__), inner(obj.__self__))
    if isinstance(obj, types.CellType):
        return ("cell", inner(obj.cell_contents) if _filled(obj) else ("empty",))
    if isinstance(obj, nn.Module):  # compares and hashes by its settings
        return ("module", type(obj), obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = tuple((f.name, inner(getattr(obj, f.name))) for f in dataclasses.fields(obj))
        return ("dataclass", type(obj), fields)
    if _hashable_by_value(obj):
        return ("value", type(obj), obj)
    return ("identity", _Identity(obj))


def _filled(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an unfilled cell raises
    except ValueError:
        return False
    return True


def _hashable_by_value(obj: Any) -> bool:
    """Objects whose class defines both equality and hashing (not the identity defaults)."""
    cls = type(obj)
    if cls.__hash__ is None or cls.__eq__ is object.__eq__ or cls.__hash__ is object.__hash__:
        return False
    try:
        hash(obj)
    except TypeError:
        return False
    return True
