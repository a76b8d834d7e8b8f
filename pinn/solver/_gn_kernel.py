"""The kernel (Woodbury) form of the damped Gauss-Newton solve, for fewer residuals than
parameters (N < P).

With D diagonal and positive, the push-through identity gives

    (JᵀJ + λD)⁻¹ Jᵀ u = D⁻¹ Jᵀ (J D⁻¹ Jᵀ + λ I_N)⁻¹ u,

so each solve factorises the N x N kernel matrix ``K = J D⁻¹ Jᵀ`` (shifted by λ) instead of the
P x P Gramian: N²P flops to form K and N³/3 per factorisation, against NP² and P³/3. The steps are
the dense solver's to rounding, with the same scaling D (Marquardt's diag(JᵀJ) from the column
norms of J, Levenberg's mean·I, or the identity). Memory: J (N·P), its column-scaled copy
(N·P) and K (N²); never P².
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from pinn.solver._gn_linear import LinearModel, scaling_diagonal


def kernel_model(residual: jax.Array, jacobian: jax.Array, scaling: str,
                 gramian: Callable[[jax.Array], jax.Array]) -> LinearModel:
    """The `LinearModel` of the kernel form.

    Args:
        residual: r (N,).
        jacobian: J (N, P).
        scaling: "marquardt", "levenberg" or "identity" (see
            `pinn.solver._gn_linear.scaling_diagonal`).
        gramian: ``A (..., M, K) -> AᵀA (K, K)``, the product used to form ``K = Ĵ Ĵᵀ`` from
            ``Ĵ = J D^(-1/2)`` (`pinn.solver._gauss_newton` passes its BLAS-backed one on CPU).

    Returns:
        A `LinearModel` whose ``solve(factor, λ, u)`` is ``(JᵀJ + λD)⁻¹ Jᵀ u``.
    """
    scale = scaling_diagonal(jnp.sum(jacobian * jacobian, axis=0), scaling)
    inverse_root = jax.lax.rsqrt(scale)
    scaled = jacobian * inverse_root  # Ĵ = J D^(-1/2): K = Ĵ Ĵᵀ = J D⁻¹ Jᵀ
    kernel = gramian(scaled.T)
    identity = jnp.eye(kernel.shape[0], dtype=kernel.dtype)

    def factor(damping):
        # LU, as the dense form (XLA's CPU LU is faster than its Cholesky); a failed
        # factorisation shows as a non-finite step, which the step rejects.
        return jax.scipy.linalg.lu_factor(kernel + damping * identity)

    def solve(lu, damping, u):
        return inverse_root * (scaled.T @ jax.scipy.linalg.lu_solve(lu, u))

    return LinearModel(residual, factor, solve, lambda v: jacobian @ v,
                       lambda u: jacobian.T @ u)


__all__ = ["kernel_model"]
