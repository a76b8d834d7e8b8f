"""What one Gauss-Newton step needs from the residual, whichever way its systems are solved.

Every linear solve of a Levenberg-Marquardt step (`pinn.solver._gauss_newton`) has the form
``(JᵀJ + λD)⁻¹ Jᵀ u`` for a vector ``u`` in residual space (N,): the velocity's right-hand side
is ``Jᵀ(r + J m)``, the geodesic acceleration's ``Jᵀ r_δδ``. Handing the solvers ``u`` rather
than ``Jᵀ u`` lets the kernel form (`pinn.solver._gn_kernel`) solve in N x N instead of P x P.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

SCALINGS = ("marquardt", "levenberg", "identity")
_MARQUARDT_FLOOR = 1e-6  # D = diag(JᵀJ) floored at this fraction of its mean


class LinearModel(NamedTuple):
    """The residual and its Jacobian at the current parameters, as one step uses them.

    ``factor(λ)`` prepares ``(JᵀJ + λD)`` for solves (an LU factorisation, a preconditioner,
    or nothing) and ``solve(factor(λ), λ, u)`` returns ``(JᵀJ + λD)⁻¹ Jᵀ u`` for ``u: (N,)``;
    ``jvp(v) = J v`` for ``v: (P,)``, ``vjp(u) = Jᵀ u``.
    """

    residual: jax.Array
    factor: Callable[[jax.Array], Any]
    solve: Callable[[Any, jax.Array, jax.Array], jax.Array]
    jvp: Callable[[jax.Array], jax.Array]
    vjp: Callable[[jax.Array], jax.Array]


def scaling_diagonal(diagonal: jax.Array, scaling: str) -> jax.Array:
    """The diagonal of D from ``diag(JᵀJ)`` (P,): Marquardt's diag(JᵀJ) floored at 1e-6 of
    its mean, Levenberg's mean·I, or the identity (λ then absolute)."""
    if scaling == "identity":
        return jnp.ones_like(diagonal)
    mean = jnp.mean(diagonal) + jnp.finfo(diagonal.dtype).tiny
    if scaling == "marquardt":
        return jnp.maximum(diagonal, _MARQUARDT_FLOOR * mean)
    return jnp.full_like(diagonal, mean)


__all__ = ["SCALINGS", "LinearModel", "scaling_diagonal"]
