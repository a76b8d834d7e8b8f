"""Dense quasi-Newton in float64: BFGS and its self-scaled variants SSBFGS and SSBroyden.

BFGS keeps an approximation H of the inverse Hessian of the loss, P x P for P parameters, and
steps along ``-H g`` with a line search meeting the strong Wolfe conditions (Optax's zoom line
search). After a step ``s = θ₊ - θ`` with gradient change ``y = g₊ - g`` it updates H by a
member of the Broyden family, in the notation of Al-Baali & Khalfan (2014) and Urbán,
Stefanou & Pons (J. Comput. Phys. 2025, "Unveiling the optimization process of PINNs"):

    ρ = 1/(yᵀs),  h = ρ yᵀHy,  b = ρ sᵀBs = -α ρ sᵀg  (B = H⁻¹, s = α·direction),
    a = b h - 1 ≥ 0,  v = ρ s - Hy/(yᵀHy),  φ = (1 - ϑ)/(1 + a ϑ),
    H₊ = (H - Hy yᵀH/(yᵀHy) + φ (yᵀHy) v vᵀ) / τ + ρ s sᵀ.

ϑ = 0 and τ = 1 is BFGS. The self-scaled variants rescale H by 1/τ at every update, so the
approximation keeps pace with a loss whose curvature falls by orders of magnitude as it
converges, as a PINN loss does on its way from 1e-2 to 1e-14:

- "ssbfgs" (Al-Baali's self-scaled BFGS): ϑ = 0, τ = min(1, 1/b);
- "ssbroyden" (Urbán et al.'s SSBroyden2): ϑ = max(ϑ⁻, min(ϑ⁺, (1 - b)/b)) with
  ρ⁻ = min(1, h(1 - c)), c = sqrt(a/(1 + a)), ϑ⁻ = (ρ⁻ - 1)/a, ϑ⁺ = 1/ρ⁻; σ = 1 + a ϑ and
  τ = min(min(1, 1/b) σ^(1/(1-P)), σ) when ϑ <= 0, else min(1, 1/b) min(σ^(1/(1-P)), 1/ϑ).

An update whose curvature ``yᵀs`` is not positive (the line search gave up) or not finite is
skipped: H stays positive definite. H starts as ``min(1, 1/|g₀|)·I``, so the first step is at
most of length one. Three line searches in a row that run out of evaluations end the
descent (`jaxnn.training.stop_on_failure`): at the floor of float64 every further line search
would spend its 30 evaluations for nothing.

Memory is P² numbers (P = 5000 in float64: 200 MB). Each step reads H twice, once for Hy
and Hg together and once to form H₊, on top of the gradients of the line search: for
networks up to some thousands of parameters, where Urbán et al. and Kiyani et al. (2025)
report these updates take float64 PINNs to 1e-6-1e-8 in some ten thousand steps. Larger
networks: `pinn.GaussNewton(solver="cg")`.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.flatten_util import ravel_pytree

from jaxnn.training import stop_on_failure
from jaxnn.validate import check_int

UPDATES = ("ssbroyden", "ssbfgs", "bfgs")


class QuasiNewtonState(NamedTuple):
    """The inverse-Hessian approximation and the previous iterate it is updated from."""

    count: jax.Array  # updates applied so far (0: the first call, H not yet scaled)
    inverse_hessian: jax.Array  # (P, P)
    params: jax.Array  # (P,) the previous parameters, flattened
    grad: jax.Array  # (P,) the gradient there
    direction: jax.Array  # (P,) the direction returned there (before the line search)


def check_update(update: str, where: str) -> str:
    """`update` if it names a member of `UPDATES`, else a ValueError naming `where`."""
    if update not in UPDATES:
        raise ValueError(f"{where}(update={update!r}): expected 'ssbroyden' (self-scaled "
                         "Broyden, the default), 'ssbfgs' (self-scaled BFGS) or 'bfgs'.")
    return update


class _Correction(NamedTuple):
    """H₊ = scale·H + Σₖ coefficientsₖ uₖuₖᵀ: an update as a scaled H plus three rank-one
    terms, so that H₊ is formed in one pass over H and H₊g without forming H₊ first."""

    scale: jax.Array  # ()
    coefficients: jax.Array  # (3,)
    vectors: jax.Array  # (3, P)

    def apply(self, matrix: jax.Array) -> jax.Array:
        """H₊ from H (one fused elementwise pass; exactly symmetric when H is)."""
        c, u = self.coefficients, self.vectors
        return (self.scale * matrix + c[0] * jnp.outer(u[0], u[0])
                + c[1] * jnp.outer(u[1], u[1]) + c[2] * jnp.outer(u[2], u[2]))

    def times(self, matrix_times_vector: jax.Array, vector: jax.Array) -> jax.Array:
        """H₊x from Hx and x."""
        return self.scale * matrix_times_vector + (self.coefficients * (self.vectors @ vector)
                                                   ) @ self.vectors


def _correction(hy: jax.Array, step: jax.Array, grad_change: jax.Array, grad: jax.Array,
                step_size: jax.Array, update: str, apply: jax.Array | bool = True
                ) -> _Correction:
    """The update of H after the step ``s = step`` from ``Hy = hy`` (see `broyden_update`); the
    identity (scale 1, no terms) where it is skipped or `apply` is false."""
    s, y = step, grad_change
    sy = jnp.vdot(s, y)
    yhy = jnp.vdot(y, hy)
    tiny = jnp.finfo(s.dtype).tiny
    rho = 1.0 / jnp.where(sy > 0, sy, 1.0)
    h = rho * yhy
    b = -step_size * rho * jnp.vdot(s, grad)
    a = jnp.maximum(b * h - 1.0, 0.0)  # >= 0 by Cauchy-Schwarz; rounding may dip below
    safe_b = jnp.where(b > 0, b, 1.0)
    if update == "ssbroyden":
        rho_minus = jnp.minimum(1.0, h * (1.0 - jnp.sqrt(a / (1.0 + a))))
        theta_minus = jnp.where(a > tiny, (rho_minus - 1.0) / jnp.maximum(a, tiny),
                                jnp.where(rho_minus < 1.0, -jnp.inf, 0.0))
        theta = jnp.maximum(theta_minus, jnp.minimum(1.0 / rho_minus, (1.0 - b) / safe_b))
        sigma = 1.0 + a * theta
        root = jnp.abs(sigma) ** (1.0 / (1.0 - max(s.size, 2)))
        scale = jnp.minimum(1.0, 1.0 / safe_b)
        tau = jnp.where(theta <= 0, jnp.minimum(scale * root, sigma),
                        scale * jnp.minimum(root, 1.0 / jnp.where(theta > 0, theta, 1.0)))
    else:
        theta = jnp.zeros_like(sy)
        tau = jnp.minimum(1.0, 1.0 / safe_b) if update == "ssbfgs" else jnp.ones_like(sy)
    phi = (1.0 - theta) / (1.0 + a * theta)
    safe_yhy = jnp.where(yhy > 0, yhy, 1.0)
    v = rho * s - hy / safe_yhy
    coefficients = jnp.stack([-1.0 / (tau * safe_yhy), phi * yhy / tau, rho])
    vectors = jnp.stack([hy, v, s])
    ok = (apply & (sy > 0) & (yhy > 0) & (b > 0) & jnp.isfinite(tau)
          & jnp.all(jnp.isfinite(coefficients)) & jnp.all(jnp.isfinite(vectors)))
    return _Correction(jnp.where(ok, 1.0 / tau, 1.0).astype(s.dtype),
                       jnp.where(ok, coefficients, 0.0), jnp.where(ok, vectors, 0.0))


def broyden_update(inverse_hessian: jax.Array, step: jax.Array, grad_change: jax.Array,
                   grad: jax.Array, step_size: jax.Array, update: str = "ssbroyden"
                   ) -> jax.Array:
    """H₊ from H after the step ``s = step`` (``step_size`` times the direction) with gradient
    ``grad`` at its start and change ``grad_change`` (y); see the module for the formulas.

    Args:
        inverse_hessian: (P, P) symmetric positive definite H.
        step: (P,) s.  grad_change: (P,) y.  grad: (P,) the gradient before the step.
        step_size: α, the line search's multiple of the direction.
        update: one of `UPDATES`.

    Returns:
        (P, P) H₊, or H unchanged when ``yᵀs``, ``yᵀHy`` or b is not positive (no descent, or
        the line search gave up) or a term of the update is not finite.
    """
    return _correction(inverse_hessian @ grad_change, step, grad_change, grad, step_size,
                       update).apply(inverse_hessian)


def scale_by_quasi_newton(update: str = "ssbroyden") -> optax.GradientTransformation:
    """The quasi-Newton direction ``-H g`` (to be followed by a line search, which sets the
    step size); H is updated from the last step first. See the module for the updates.

    A step reads H twice, whatever the update: once for Hy and Hg together, once to form H₊
    (the direction H₊g follows from Hg and the three rank-one terms)."""
    check_update(update, "scale_by_quasi_newton")

    def init(params) -> QuasiNewtonState:
        flat, _ = ravel_pytree(params)
        zeros = jnp.zeros_like(flat)
        return QuasiNewtonState(jnp.asarray(0, jnp.int32),
                                jnp.eye(flat.size, dtype=flat.dtype), zeros, zeros, zeros)

    def update_fn(updates, state: QuasiNewtonState, params=None):
        if params is None:
            raise ValueError("scale_by_quasi_newton needs the parameters: pass params= to "
                             "update, as optax.apply_updates' callers do.")
        grad, unravel = ravel_pytree(updates)
        flat, _ = ravel_pytree(params)
        step = flat - state.params
        tiny = jnp.finfo(flat.dtype).tiny
        step_size = jnp.vdot(step, state.direction) / jnp.maximum(
            jnp.vdot(state.direction, state.direction), tiny)
        grad_change = grad - state.grad
        hy, hg = (state.inverse_hessian @ jnp.stack([grad_change, grad], axis=1)).T
        first = state.count == 0
        correction = _correction(hy, step, grad_change, state.grad, step_size, update,
                                 apply=~first)
        # The first call scales the identity H₀ to min(1, 1/|g|)·I, so the first step is at
        # most of length one.
        first_scale = jnp.minimum(1.0, 1.0 / jnp.maximum(jnp.linalg.norm(grad), tiny))
        correction = correction._replace(
            scale=jnp.where(first, first_scale, correction.scale).astype(flat.dtype))
        inverse_hessian = correction.apply(state.inverse_hessian)
        direction = -correction.times(hg, grad)
        new_state = QuasiNewtonState(state.count + 1, inverse_hessian, flat, grad, direction)
        return unravel(direction), new_state

    return optax.GradientTransformation(init, update_fn)


def quasi_newton(update: str = "ssbroyden", max_linesearch_steps: int = 30
                 ) -> optax.GradientTransformationExtraArgs:
    """Dense float64 quasi-Newton: `scale_by_quasi_newton` then Optax's zoom line search
    (strong Wolfe conditions), like `optax.lbfgs` but with the full P x P inverse Hessian and a
    self-scaled update; started afresh after three failed line searches in a row, stopped
    if three more leave the loss where it was (`jaxnn.training.stop_on_failure`).

    Args:
        update: "ssbroyden" (default), "ssbfgs" or "bfgs" (see the module).
        max_linesearch_steps: the most loss evaluations of one line search (at least 1).

    Returns:
        An Optax transformation whose ``update`` needs ``value``, ``grad`` and ``value_fn``
        (as `optax.lbfgs`'s does; `jaxnn.train_loop` and `pinn.solve` pass them).

    Example::

        solver = pinn.quasi_newton()
        pinn.solve(problem, stages=[pinn.Adam(1000), pinn.OptaxStage(solver, 5000)],
                   dtype="float64")   # or, the same: stages=[..., pinn.BFGS(5000)]
    """
    check_update(update, "quasi_newton")
    steps = check_int(max_linesearch_steps, "quasi_newton(max_linesearch_steps=...)",
                      minimum=1)
    return stop_on_failure(optax.chain(
        scale_by_quasi_newton(update),
        optax.scale_by_zoom_linesearch(max_linesearch_steps=steps, initial_guess_strategy="one")))


def quasi_newton_bytes(num_params: int, itemsize: int = 8) -> int:
    """The bytes the quasi-Newton state and one update hold: three P x P matrices (H, the
    updated H, and one outer product in flight)."""
    return 3 * itemsize * num_params * num_params


__all__ = ["UPDATES", "QuasiNewtonState", "broyden_update", "check_update", "quasi_newton",
           "quasi_newton_bytes", "scale_by_quasi_newton"]
