"""The O(d)-symmetric bounce of a scalar field: the PDE problem and a shooting-method reference.

False-vacuum decay (Coleman 1977) goes through the bounce, the O(d)-symmetric solution of

    φ''(r) + (d - 1)/r · φ'(r) = V'(φ),     φ'(0) = 0,     φ(r → ∞) = φ_false,

with d = 4 at zero temperature (d = 3 for thermal transitions). Seen as the motion of a particle
in the inverted potential -V with friction (d - 1)/r, the bounce starts at rest at φ(0) = φ₀ on
the true-vacuum side and comes to rest at the false vacuum at r = ∞: the classic shooting
problem for φ₀ (overshoot: φ crosses the false vacuum; undershoot: φ turns back).

Here V is the quartic ``V(φ) = φ²/2 - φ³/2 + α φ⁴/8`` (α = 1/2), false vacuum φ = 0 with
mass 1, barrier top at φ ≈ 0.764, true vacuum φ ≈ 5.236 with V ≈ -11.1: a thick-wall bounce
of radius ~3 with φ₀ ≈ 4.1387.

`shooting_profile` finds φ₀ by vectorised bisection (64 candidates a round, RK4 in NumPy) and
tabulates φ and φ'; `BounceProfile` interpolates them with cubic Hermite polynomials in JAX,
so the reference is a function of one point like every exact solution of `pinn.problems`.
The PINN problem lives on [0, R] with φ'(0) = 0 and the asymptotic Robin condition
φ' + (1 + (d-1)/(2R)) φ = 0 at R (φ ~ e^{-r} r^{-(d-1)/2} for a unit mass).
"""

from __future__ import annotations

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np

ALPHA = 0.5
DIMENSION = 4


def potential_derivative(phi, alpha: float = ALPHA):
    """V'(φ) = φ - 3φ²/2 + α φ³/2 (NumPy or JAX arrays)."""
    return phi - 1.5 * phi**2 + 0.5 * alpha * phi**3


def true_vacuum(alpha: float = ALPHA) -> float:
    """The true-vacuum field value, the larger root of V'(φ)/φ = 1 - 3φ/2 + αφ²/2."""
    return float((1.5 + np.sqrt(2.25 - 2 * alpha)) / alpha)


def _rk4_profiles(phi0: np.ndarray, radius: float, step: float, dim: int, alpha: float):
    """Integrate the bounce equation for each φ₀ (vectorised); return r, φ, φ' and, per
    candidate, whether it overshot (φ < 0 before turning back)."""
    # Start one step out on the series φ = φ₀ + a r² + b r⁴ (error O(step⁶)), away from the
    # singular friction term at r = 0: a = V'(φ₀)/(2d), b = V''(φ₀) a / (4(d + 2)).
    start = step
    a = potential_derivative(phi0, alpha) / (2 * dim)
    b = (1 - 3 * phi0 + 1.5 * alpha * phi0**2) * a / (4 * (dim + 2))
    phi = phi0 + a * start**2 + b * start**4
    slope = 2 * a * start + 4 * b * start**3

    def rhs(r, phi, slope):
        return slope, potential_derivative(phi, alpha) - (dim - 1) / r * slope

    count = round(radius / step)
    radii = step * np.arange(count + 1)
    phis = [np.asarray(phi0, float), phi]  # r = 0 and r = step
    slopes = [np.zeros(np.shape(phi0)), slope]
    overshot = np.zeros(phi0.shape, bool)
    decided = np.zeros(phi0.shape, bool)
    for r in radii[1:-1]:
        k1 = rhs(r, phi, slope)
        k2 = rhs(r + step / 2, phi + step / 2 * k1[0], slope + step / 2 * k1[1])
        k3 = rhs(r + step / 2, phi + step / 2 * k2[0], slope + step / 2 * k2[1])
        k4 = rhs(r + step, phi + step * k3[0], slope + step * k3[1])
        phi = phi + step / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        slope = slope + step / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        overshot |= ~decided & (phi < 0)
        decided |= (phi < 0) | (slope > 0)
        phis.append(phi)
        slopes.append(slope)
    return radii, np.array(phis), np.array(slopes), overshot, decided


@functools.lru_cache(maxsize=8)
def shooting_profile(radius: float = 12.0, step: float = 1e-2, dim: int = DIMENSION,
                     alpha: float = ALPHA) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """φ₀ and the bounce (r, φ(r), φ'(r)) on [0, radius] by shooting (NumPy, cached).

    Bisection on φ₀ between the barrier and the true vacuum, 64 candidates per round, each
    integrated by RK4 with `step` to ``radius + 6``. A candidate that neither overshoots nor
    turns back by then follows the bounce there to float64 resolution: rounds stop when the
    bracket holds only such candidates (or is one ulp wide). RK4's global error is about
    step⁴ ~ 1e-8.
    """
    low, high = 1.0, true_vacuum(alpha) - 1e-9
    for _ in range(16):
        candidates = np.linspace(low, high, 64)
        with np.errstate(over="ignore", invalid="ignore"):  # overshooting candidates diverge
            *_, overshot, decided = _rk4_profiles(candidates, radius + 6.0, step, dim, alpha)
        undershot = decided & ~overshot
        low = candidates[np.max(np.flatnonzero(undershot))] if undershot.any() else low
        high = candidates[np.min(np.flatnonzero(overshot))] if overshot.any() else high
        if not (decided & (candidates > low) & (candidates < high)).any() and \
                (~decided).any() or high - low <= 4 * np.finfo(float).eps * high:
            break
    phi0 = 0.5 * (low + high)
    radii, phis, slopes, *_ = _rk4_profiles(np.array([phi0]), radius, step, dim, alpha)
    return float(phi0), radii, phis[:, 0], slopes[:, 0]


@dataclasses.dataclass(frozen=True)
class BounceProfile:
    """The tabulated bounce as a function of one point ``x: (1,)`` (cubic Hermite in JAX)."""

    radii: np.ndarray
    values: np.ndarray
    slopes: np.ndarray

    def __call__(self, x: jax.Array) -> jax.Array:
        r = x[0]
        radii = jnp.asarray(self.radii, r.dtype)
        index = jnp.clip(jnp.searchsorted(radii, r) - 1, 0, len(self.radii) - 2)
        r0, r1 = radii[index], radii[index + 1]
        h = r1 - r0
        t = (r - r0) / h
        values, slopes = jnp.asarray(self.values, r.dtype), jnp.asarray(self.slopes, r.dtype)
        h00, h10 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t
        h01, h11 = -2 * t**3 + 3 * t**2, t**3 - t**2
        return (h00 * values[index] + h10 * h * slopes[index] + h01 * values[index + 1]
                + h11 * h * slopes[index + 1])


def initial_guess(x: jax.Array) -> jax.Array:
    """A wall profile to start from (the trivial solution φ = 0 also solves the equation):
    a tanh step from 4 down to the false vacuum at r ≈ 2.5, width 1."""
    return 2.0 * (1.0 - jnp.tanh(x[0] - 2.5))


# --------------------------------------------------------------------------- two fields
#
# The coupled case of the seed paper (PRD 100, 016002: "single and coupled multi-field cases"):
# a second field χ of mass μ sourced by φ²,
#
#     V(φ, χ) = V₁(φ) + μ²χ²/2 - g φ²χ,     ∂V/∂φ = V₁'(φ) - 2gφχ,     ∂V/∂χ = μ²χ - gφ²,
#
# bounded below for g² < αμ²/4 (minimising over χ leaves V₁(φ) - g²φ⁴/(2μ²)). The false vacuum
# stays at (0, 0) with masses 1 and μ and no mixing, so each field decays on its own mass and
# each gets its own asymptotic Robin condition at R. The bounce bends off the φ axis: χ ≈ gφ²/μ²
# inside the wall. Its reference is an independent boundary-value solve (SciPy's collocation
# `solve_bvp`, the r = 0 friction term as its singular term), started from the one-field bounce.

COUPLING, CHI_MASS = 0.1, 1.0


def coupled_gradient(phi, chi, coupling: float = COUPLING, mass: float = CHI_MASS,
                     alpha: float = ALPHA):
    """(∂V/∂φ, ∂V/∂χ) of the two-field potential (NumPy or JAX arrays)."""
    return (potential_derivative(phi, alpha) - 2 * coupling * phi * chi,
            mass**2 * chi - coupling * phi**2)


def robin_decay(mass: float, radius: float, dim: int = DIMENSION) -> float:
    """φ'/φ → -(m + (d-1)/(2R)) at r = R for a field of mass m (φ ~ e^{-mr} r^{-(d-1)/2})."""
    return mass + (dim - 1) / (2 * radius)


@functools.lru_cache(maxsize=4)
def coupled_profile(radius: float = 12.0, coupling: float = COUPLING, mass: float = CHI_MASS,
                    dim: int = DIMENSION, alpha: float = ALPHA, tol: float = 1e-10
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The two-field bounce on [0, radius] with the PINN's conditions (φ'(0) = χ'(0) = 0,
    Robin decay at R): (r, values (n, 2), slopes (n, 2)) on a grid of step 5e-3, from
    `scipy.integrate.solve_bvp` at relative tolerance `tol` (cached)."""
    from scipy.integrate import solve_bvp

    singular = np.zeros((4, 4))
    singular[2, 2] = singular[3, 3] = -(dim - 1)  # y' = S y / r + f: the friction term

    def rhs(r, y):
        dphi, dchi = coupled_gradient(y[0], y[1], coupling, mass, alpha)
        return np.vstack([y[2], y[3], dphi, dchi])

    def bc(start, end):
        return np.array([start[2], start[3],
                         end[2] + robin_decay(1.0, radius, dim) * end[0],
                         end[3] + robin_decay(mass, radius, dim) * end[1]])

    _, radii, phis, slopes = shooting_profile(radius, dim=dim, alpha=alpha)
    guess = np.vstack([phis, coupling * phis**2 / mass**2, slopes,
                       2 * coupling * phis * slopes / mass**2])
    solution = solve_bvp(rhs, bc, radii, guess, S=singular, tol=tol, max_nodes=200_000)
    if not solution.success:
        raise RuntimeError(f"coupled_profile: solve_bvp did not converge: {solution.message}")
    grid = np.linspace(0.0, radius, round(radius / 5e-3) + 1)
    y = solution.sol(grid)
    return grid, y[:2].T, y[2:].T


@dataclasses.dataclass(frozen=True)
class CoupledProfile:
    """The tabulated two-field bounce as a function of one point ``x: (1,)`` -> (φ, χ)."""

    radii: np.ndarray
    values: np.ndarray  # (n, 2)
    slopes: np.ndarray  # (n, 2)

    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.stack([BounceProfile(self.radii, self.values[:, i], self.slopes[:, i])(x)
                          for i in range(2)])


def coupled_initial_guess(x: jax.Array, coupling: float = COUPLING,
                          mass: float = CHI_MASS) -> jax.Array:
    """(φ, χ) to start from: the one-field wall and χ = gφ²/μ² (the trivial solution (0, 0)
    also solves the equations)."""
    phi = initial_guess(x)
    return jnp.stack([phi, coupling * phi**2 / mass**2])


def coupled_problem(radius: float = 12.0, coupling: float = COUPLING, mass: float = CHI_MASS):
    """The two-field O(4) bounce as a `pinn.PDE` with fields ("phi", "chi") on [0, radius],
    its exact solution the `solve_bvp` reference."""
    from pinn.conditions import Neumann, Robin
    from pinn.equations import PDE
    from pinn.geometry import Interval
    from pinn.operators import value_grad_and_laplacian

    d = DIMENSION

    def residual(u, x):
        phi, dphi, lphi = value_grad_and_laplacian(u["phi"])(x)
        chi, dchi, lchi = value_grad_and_laplacian(u["chi"])(x)
        slope_phi, slope_chi = coupled_gradient(phi, chi, coupling, mass)
        return (lphi + (d - 1) / x[0] * dphi[0] - slope_phi,
                lchi + (d - 1) / x[0] * dchi[0] - slope_chi)

    radii, values, slopes = coupled_profile(radius, coupling, mass)
    bcs = [Neumann(0.0, on="left", field="phi"), Neumann(0.0, on="left", field="chi"),
           Robin(robin_decay(1.0, radius), 1.0, 0.0, on="right", field="phi"),
           Robin(robin_decay(mass, radius), 1.0, 0.0, on="right", field="chi")]
    return PDE(Interval(0.0, radius), residual, bcs=bcs, fields=("phi", "chi"),
               exact=CoupledProfile(radii, values, slopes), name="coupled_bounce")


__all__ = ["ALPHA", "CHI_MASS", "COUPLING", "DIMENSION", "BounceProfile", "CoupledProfile",
           "coupled_gradient", "coupled_initial_guess", "coupled_problem", "coupled_profile",
           "initial_guess", "potential_derivative", "robin_decay", "shooting_profile",
           "true_vacuum"]
