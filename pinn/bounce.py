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


__all__ = ["ALPHA", "DIMENSION", "BounceProfile", "initial_guess", "potential_derivative",
           "shooting_profile", "true_vacuum"]
