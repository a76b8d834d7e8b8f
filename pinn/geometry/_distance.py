"""Pieces of the approximate distance functions (Sukumar & Srivastava 2022, CMAME 389, 114333):
R-functions, trimmed segment functions, the R-equivalence."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


# ---------------------------------------------------------------- distance-function pieces
def _conjunction(a: jax.Array, b: jax.Array) -> jax.Array:
    """R-function of A ∩ B: > 0 iff both are; `tiny` keeps the gradient finite where a = b = 0."""
    return a + b - jnp.sqrt(a**2 + b**2 + jnp.finfo(a.dtype).tiny)


def _trim(phi: jax.Array, t: jax.Array) -> jax.Array:
    """Zero exactly where phi = 0 and t >= 0, positive elsewhere (Sukumar & Srivastava eq. 10)."""
    return jnp.sqrt(phi**2 + ((jnp.sqrt(t**2 + phi**4) - t) / 2) ** 2)


def _segment_functions(x: jax.Array, starts: np.ndarray, ends: np.ndarray) -> jax.Array:
    """Trimmed distance φ (n, k) from points x (n, 2) to the segments starts_i -> ends_i."""
    def cast(a):  # constants must not promote x's dtype
        return jnp.asarray(a, x.dtype)

    direction = ends - starts
    length = np.linalg.norm(direction, axis=1)
    relative = x[:, None, :] - cast(starts)
    line = (relative[..., 0] * cast(direction[:, 1] / length)
            - relative[..., 1] * cast(direction[:, 0] / length))
    from_middle = jnp.sum((x[:, None, :] - cast((starts + ends) / 2)) ** 2, axis=-1)
    return _trim(line, (cast((length / 2) ** 2) - from_middle) / cast(length))


def _r_equivalence(phis: jax.Array) -> jax.Array:
    """(Σ_i 1/φ_i)⁻¹ over the last axis: zero where any φ_i is, smooth where all are positive."""
    return 1 / jnp.sum(1 / phis, axis=-1)


_NOT_3D = ("{where}: distance functions of set operations need the outside of a {dim}-D Box, "
           "which has no smooth signed distance function here. Impose this Dirichlet "
           "condition softly (hard=False), or use the Box on its own.")
