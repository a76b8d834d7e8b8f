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

import collections
import dataclasses
import functools
import os
import types
from collections.abc import Callable, Hashable
from pathlib import Path
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


class CompileCache:
    """A bounded LRU map from keys to compiled functions (or anything expensive to build)."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: collections.OrderedDict[Hashable, Any] = collections.OrderedDict()
        self.hits = self.misses = 0

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """The entry for `key`, built by ``build()`` on a miss."""
        if key in self._entries:
            self.hits += 1
            self._entries.move_to_end(key)
            return self._entries[key]
        self.misses += 1
        value = self._entries[key] = build()
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        self._entries.clear()
        self.hits = self.misses = 0


def abstract_signature(tree: Any) -> Hashable:
    """Tree structure, shapes, dtypes and shardings of `tree`: what a compiled call depends on."""
    leaves, treedef = jax.tree_util.tree_flatten(tree)
    return treedef, tuple(
        (np.shape(leaf), np.dtype(getattr(leaf, "dtype", None) or np.result_type(leaf)).str,
         getattr(leaf, "weak_type", False),
         getattr(leaf, "sharding", None))
        for leaf in leaves
    )


_SHAPES = CompileCache(size=256)


def eval_shape(fn: Callable, *args: Any) -> Any:
    """`jax.eval_shape`, remembered by what `fn` computes (`fingerprint`) and the arguments'
    shapes: the checks every `fit`/`predict` runs at the door trace the model only once."""
    key = (fingerprint(fn), abstract_signature(args))
    return _SHAPES.get(key, lambda: jax.eval_shape(fn, *args))


def use_persistent_cache(directory: str | os.PathLike | None = None) -> Path:
    """Keep compiled programs on disk, so a second run of a script skips compilation.

    Turns on JAX's persistent compilation cache in `directory` (default: ``$JAXNN_CACHE_DIR``,
    else ``~/.cache/jaxnn/xla``), for programs that take 0.1 s or more to compile. This sets
    JAX's global configuration (``jax_compilation_cache_dir``), so it is for the top of a
    script or a command-line entry point (the examples and the ``pinn`` command call it); the
    library itself never does. Returns the directory.
    """
    if directory is None:
        directory = os.environ.get("JAXNN_CACHE_DIR") or Path.home() / ".cache" / "jaxnn" / "xla"
    path = Path(directory).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(path))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.1)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


__all__ = ["CompileCache", "abstract_signature", "eval_shape", "fingerprint",
           "use_persistent_cache"]
