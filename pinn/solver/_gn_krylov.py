"""The matrix-free form of the damped Gauss-Newton solve: preconditioned conjugate gradients.

``(JᵀJ + λD) x = Jᵀ u`` is solved by conjugate gradients whose products ``JᵀJ v`` are a
forward-mode ``J v`` (`jax.linearize`) and its transpose ``Jᵀ w`` (`jax.linear_transpose`)
through the batched residual: J is never formed. Memory is O(N + P) for the products plus
the preconditioner's P·k; a product costs about three evaluations of the residual. Both
products are sums over the collocation points, so with the points sharded along a device
mesh's ``data`` axis (`jaxnn.parallel`) each device works on its own points and XLA adds the
all-reduce of the P-vector.

Preconditioner: the randomized Nyström approximation ``Â = U Λ̂ Uᵀ`` of rank k of JᵀJ
(Frangella, Tropp & Udell, SIAM J. Matrix Anal. Appl. 44, 2023, Algorithms 2.1 and 5.1), from
the sketch ``Y = JᵀJ Ω`` of k fixed random orthonormal directions (k products, batched by
`vmap`):

    P⁻¹ = (λ̂_k + μ) U (Λ̂ + μI)⁻¹ Uᵀ + (I - UUᵀ),    μ = λ·D,

so every damping tried in a step, and the geodesic acceleration's second solve, reuse it; the
optimizer keeps it for ``sketch_every`` steps (a preconditioner of a nearby JᵀJ still gives
the same solution, in a few more iterations). The top k eigen-directions of the sloppy
Gauss-Newton spectrum are then removed from the iteration count.

D is Levenberg's ``mean(diag JᵀJ)·I``, estimated from the same sketch (``tr(JᵀJ) ≈ (P/k)
tr(ΩᵀY)``, unbiased for orthonormal Ω drawn uniformly; it changes with the rank and when the
sketch is renewed, and λ adapts to it), or the identity; Marquardt's diag(JᵀJ) would need the
Jacobian's column norms.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.scipy.linalg import solve_triangular

from pinn.solver._gn_linear import LinearModel

SKETCH_SEED = 0  # the sketch directions are fixed: a step is a deterministic function
# The sketch's k products run in batches of about this many rows (points x directions):
# batched they are faster at small N, one at a time they keep the memory at O(N + P)
SKETCH_ROWS = 16_384


class Nystrom(NamedTuple):
    """A rank-k Nyström approximation ``U diag(eigenvalues) Uᵀ`` of a P x P PSD matrix, and
    the unbiased estimate of its trace from the same sketch."""

    basis: jax.Array  # U (P, k), orthonormal columns
    eigenvalues: jax.Array  # (k,), descending, >= 0
    trace: jax.Array  # estimate of tr(A)


def nystrom(matvec: Callable[[jax.Array], jax.Array], size: int, rank: int, dtype,
            key: jax.Array, batch: int | None = None) -> Nystrom:
    """The randomized Nyström approximation of the PSD operator `matvec` (Frangella, Tropp &
    Udell 2023, Algorithm 2.1), stabilised by a shift of eps·|Y|.

    Args:
        matvec: ``v (P,) -> A v (P,)``.
        size: P.
        rank: k <= P, the number of sketch directions.
        dtype: the floating dtype of the vectors.
        key: draws the directions Ω.
        batch: products computed together (default all k); memory grows with it.

    Returns:
        A `Nystrom`; where the Cholesky factorisation of the sketch fails (a sketch that is
        not numerically positive definite), a rank-0 one (basis and eigenvalues zero), whose
        preconditioner is the identity.
    """
    omega = _orthonormal(_orthonormal(jax.random.normal(key, (size, rank), dtype)))
    # Y = AΩ (P, k), `batch` products at a time: all k at once would hold k copies of the
    # residual's intermediates (30 GB at N = 10^5 points, k = 50, width 29)
    sketch = jax.lax.map(matvec, omega.T, batch_size=batch or rank).T
    trace = size / rank * jnp.sum(omega * sketch)  # (P/k) tr(ΩᵀY)
    shift = jnp.sqrt(jnp.asarray(size, dtype)) * jnp.finfo(dtype).eps * jnp.linalg.norm(sketch)
    shifted = sketch + shift * omega
    lower = jnp.linalg.cholesky(omega.T @ shifted)  # L Lᵀ = Ωᵀ Y_ν
    factor = solve_triangular(lower, shifted.T, lower=True).T  # B = Y_ν L⁻ᵀ: Â = B Bᵀ
    basis, singular, _ = jnp.linalg.svd(factor, full_matrices=False)
    eigenvalues = jnp.maximum(singular**2 - shift, 0.0)
    ok = jnp.all(jnp.isfinite(basis)) & jnp.all(jnp.isfinite(eigenvalues))
    return Nystrom(jnp.where(ok, basis, 0.0), jnp.where(ok, eigenvalues, 0.0), trace)


def _orthonormal(tall: jax.Array) -> jax.Array:
    """One pass of Cholesky QR, ``Q = A R⁻¹`` with ``RᵀR = AᵀA``: for a Gaussian P x k matrix
    (condition number about 1 + 2·sqrt(k/P)) two passes give columns orthonormal to rounding
    (Fukaya et al. 2014), at the cost of matrix products where XLA's CPU Householder QR of a
    tall matrix takes much longer."""
    lower = jnp.linalg.cholesky(tall.T @ tall)
    return solve_triangular(lower, tall.T, lower=True).T


def pcg(matvec: Callable[[jax.Array], jax.Array], b: jax.Array,
        precondition: Callable[[jax.Array], jax.Array], tolerance: float, iterations: int
        ) -> tuple[jax.Array, jax.Array]:
    """Preconditioned conjugate gradients for the SPD ``matvec``, from x = 0.

    Stops after `iterations`, when ``|b - Ax| <= tolerance·|b|``, or when the residual is
    exactly zero (so ``tolerance=0`` runs the full count without dividing 0 by 0).

    Returns:
        (x, the number of iterations run).
    """
    threshold = tolerance**2 * (b @ b)

    def running(state):
        count, _, residual, _, rz = state
        return (count < iterations) & (residual @ residual > threshold) & (rz > 0)

    def iterate(state):
        count, x, residual, direction, rz = state
        product = matvec(direction)
        curvature = direction @ product
        alpha = jnp.where(curvature > 0, rz / jnp.where(curvature > 0, curvature, 1), 0.0)
        x = x + alpha * direction
        residual = residual - alpha * product
        z = precondition(residual)
        rz_next = residual @ z
        beta = jnp.where(rz > 0, rz_next / jnp.where(rz > 0, rz, 1), 0.0)
        return count + 1, x, residual, z + beta * direction, rz_next

    z = precondition(b)
    count, x, *_ = jax.lax.while_loop(running, iterate,
                                      (jnp.int32(0), jnp.zeros_like(b), b, z, b @ z))
    return x, count


def precondition(approximation: Nystrom, shift: jax.Array, v: jax.Array) -> jax.Array:
    """``P⁻¹ v`` for ``A + shift·I`` (Frangella, Tropp & Udell 2023, eq. 5.3)."""
    basis, eigenvalues = approximation.basis, approximation.eigenvalues
    projected = basis.T @ v
    ratio = (eigenvalues[-1] + shift) / (eigenvalues + shift)
    return basis @ (ratio * projected) + v - basis @ projected


def empty_sketch(size: int, rank: int, dtype) -> Nystrom:
    """A rank-0 `Nystrom` of the shapes `matrix_free_model` keeps (P x min(k, P)) between
    steps, for an optimizer's initial state."""
    rank = min(rank, size)
    return Nystrom(jnp.zeros((size, rank), dtype), jnp.zeros((rank,), dtype),
                   jnp.zeros((), dtype))


def matrix_free_model(residual_at: Callable[[jax.Array], jax.Array], flat: jax.Array,
                      scaling: str, rank: int, iterations: int, tolerance: float,
                      previous: Nystrom | None = None, refresh: jax.Array | bool = True
                      ) -> tuple[LinearModel, Nystrom]:
    """The `LinearModel` of the matrix-free form (see the module), and its preconditioner's
    Nyström approximation.

    Args:
        residual_at: ``θ (P,) -> r (N,)``, the residual of the flattened parameters.
        flat: θ (P,), the current parameters.
        scaling: "levenberg" (D = mean(diag JᵀJ)·I, estimated) or "identity" (D = I).
        rank: the Nyström rank k (at most P is used).
        iterations, tolerance: conjugate-gradient limits (relative residual ``|b - Ax|/|b|``).
        previous: the approximation of an earlier step (see `empty_sketch`), used instead of
            a new sketch where `refresh` is false: a preconditioner of a nearby JᵀJ still
            makes the iteration converge to the same solution, and saves the k products of the
            sketch. None: sketch now.
        refresh: sketch now (a traced boolean is fine).

    Returns:
        (`LinearModel`, the approximation used). ``factor(λ)`` is the shift ``μ = λ·D``, the
        preconditioner's only ingredient that depends on λ.
    """
    residual, jvp = jax.linearize(residual_at, flat)
    transpose = jax.linear_transpose(jvp, flat)

    def vjp(u):
        return transpose(u)[0]

    def gram(v):
        return vjp(jvp(v))

    size, rank = flat.size, min(rank, flat.size)
    # the sketch's products together on at most SKETCH_ROWS residual rows: memory O(N + P)
    batch = max(1, min(rank, SKETCH_ROWS // max(1, residual.size)))

    def sketch():
        return nystrom(gram, size, rank, flat.dtype, jax.random.PRNGKey(SKETCH_SEED), batch)

    approximation = sketch() if previous is None else jax.lax.cond(
        refresh, sketch, lambda: previous)
    if scaling == "identity":
        scale = jnp.ones((), flat.dtype)
    else:
        scale = jnp.maximum(approximation.trace / size, jnp.finfo(flat.dtype).tiny)

    def factor(damping):
        return damping * scale

    def solve(shift, damping, u):
        def normal_matvec(v):
            return gram(v) + shift * v

        return pcg(normal_matvec, vjp(u), lambda v: precondition(approximation, shift, v),
                   tolerance, iterations)[0]

    return LinearModel(residual, factor, solve, jvp, vjp), approximation


__all__ = ["Nystrom", "empty_sketch", "matrix_free_model", "nystrom", "pcg", "precondition"]
