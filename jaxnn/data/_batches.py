"""On-device minibatches: `batch_layout` lays a permutation out as a fixed-shape
(num_batches, batch_size) grid, so every epoch has the same shapes and compiles once;
`batch_indices` draws the permutation too."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from jaxnn.validate import check_static_int


def num_batches(n: int, batch_size: int) -> int:
    """Number of minibatches in one pass over `n` samples: ceil(n / batch_size)."""
    n = check_static_int(n, f"num_batches(n={n!r})", minimum=0)
    batch_size = check_static_int(batch_size, f"num_batches(batch_size={batch_size!r})")
    return math.ceil(n / batch_size)


def batch_indices(n: int, batch_size: int, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Minibatch rows of a random permutation of range(n), with a fixed shape.

    The permutation is laid out row by row in a (num_batches, batch_size) grid; the ragged tail
    of the last row is filled by wrapping around to the start of the same permutation, so every
    row is full and every epoch has the same shapes. `mask` marks each sample's first occurrence
    with 1 and the wrapped fill with 0: weight per-sample losses by it to count each sample once.
    Works under `jax.jit` with `n` and `batch_size` static (closed over or `static_argnums`).

    Args:
        n: number of samples (static int >= 1).
        batch_size: samples per minibatch (static int >= 1; may exceed n).
        key: a JAX PRNG key (jax.random.key or jax.random.PRNGKey).

    Returns:
        indices: (num_batches, batch_size) int32 sample indices.
        mask: (num_batches, batch_size) float32, 1 for first occurrences, 0 for the fill.
    """
    n = check_static_int(n, f"batch_indices(n={n!r})")
    batch_size = check_static_int(batch_size, f"batch_indices(batch_size={batch_size!r})")
    if isinstance(key, (int, np.integer)):
        raise TypeError(f"batch_indices(key={key!r}): expected a JAX PRNG key, got an int. Pass "
                        f"jax.random.key({key}).")
    return batch_layout(jax.random.permutation(key, n), batch_size)


def batch_layout(permutation: jax.Array, batch_size: int) -> tuple[jax.Array, jax.Array]:
    """`batch_indices` for a given permutation ``(n,)`` of range(n): the same grid and mask."""
    n = permutation.shape[0]
    shape = (num_batches(n, batch_size), batch_size)
    positions = jnp.arange(shape[0] * batch_size, dtype=jnp.int32)
    indices = permutation.astype(jnp.int32)[positions % n].reshape(shape)
    mask = (positions < n).astype(jnp.float32).reshape(shape)
    return indices, mask
