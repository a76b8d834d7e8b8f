"""The compile cache: compiled programs keyed by `jaxnn._fingerprint.fingerprint` and the
abstract signature of their arguments; the persistent on-disk cache."""

from __future__ import annotations

import collections
import os
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import jax
import numpy as np

from jaxnn._fingerprint import fingerprint


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
        """Forget every entry (and the hit and miss counts)."""
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
