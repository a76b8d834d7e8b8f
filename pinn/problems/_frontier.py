"""The frontier problems: the field's strongest published PINN results, each posed exactly as
its source poses it (`benchmarks/frontier.py` measures them against references computed and
checked in `benchmarks/references`, never by this package).

- ``burgers``: Raissi et al.'s Burgers, ν = 0.01/π, u0 = -sin πx on [-1, 1] x [0, 0.99].
- ``allen_cahn``, ``kdv``: jaxpi's (examples/allen_cahn, examples/kdv), periodic on [-1, 1].
- ``wave1d_c``, ``poisson_nd``, ``heat2d_ms``, ``poisson2d_c``, ``ns2d_c``: PINNacle's
  Wave1d-C, PNd, Heat2d-MS, Poisson2d-C and NS2d-C (i207M/PINNacle, src/pde/*.py).
- ``kovasznay``: Kovasznay flow at Re = 20 (DeepXDE's example), exact.

Each entry's "accurate" settings are the ones the frontier table reports (float64
Gauss-Newton); the table states them beside every figure.
"""

from __future__ import annotations

import jax.numpy as jnp
import jax.scipy.special
import numpy as np

from pinn import geometry
from pinn.conditions import Dirichlet, InitialRate, Observations, Periodic
from pinn.equations import PDE, Laplace, Poisson
from pinn.operators import laplacian, partial

PI = np.pi
BURGERS_NU = 0.01 / PI
ALLEN_CAHN_D = 1e-4
# u_t = d u_xx - (5u³ - 5u) near the stable state u = -1: a deviation decays at 15u² - 5 = 10
ALLEN_CAHN_SEAM_RATE = 10.0
HEAT_KX, HEAT_KY = 1 / (500 * PI) ** 2, 1 / PI**2
HEAT_RATE = HEAT_KX * (20 * PI) ** 2 + HEAT_KY * PI**2
KOVASZNAY_RE = 20.0
KOVASZNAY_LAMBDA = KOVASZNAY_RE / 2 - np.sqrt(KOVASZNAY_RE**2 / 4 + 4 * PI**2)
CAVITY_NU = 0.01


def _xp(x):
    return np if isinstance(x, np.ndarray) else jnp


def burgers() -> PDE:
    """u_t + u u_x = (0.01/π) u_xx, u(x, 0) = -sin πx, u(±1, t) = 0; values hard."""
    def residual(u, x):
        return partial(u, 1)(x) + u(x) * partial(u, 0)(x) - BURGERS_NU * partial(u, 0, 2)(x)

    data = Dirichlet(lambda x: -jnp.sin(PI * x[0]), on=["left", "right", "initial"], hard=True)
    return PDE(geometry.SpaceTime(geometry.Interval(-1.0, 1.0), 0.0, 0.99), residual, bcs=[data],
               name="burgers")


def kdv() -> PDE:
    """u_t + u u_x + 0.022² u_xxx = 0, u0 = cos πx, periodic (in the network's input), the
    initial value hard."""
    def residual(u, x):
        return partial(u, 1)(x) + u(x) * partial(u, 0)(x) + 0.022**2 * partial(u, 0, 3)(x)

    return PDE(geometry.SpaceTime(geometry.Interval(-1.0, 1.0), 0.0, 1.0), residual,
               bcs=[Periodic(0, hard=True),
                    Dirichlet(lambda x: jnp.cos(PI * x[0]), on="initial", hard=True)],
               name="kdv")


def allen_cahn_lifting(x):
    """The initial value x² cos πx carried in time with its corner at the periodic seam.

    x² cos πx is periodic in its value but not in its slope (u_x(±1, 0) = ∓2): periodically
    extended, it has a corner at x = ±1, which a smooth periodic network can only ring
    around. Split it as v0 + (4/π)·|cos(πx/2)|, v0 periodic to its second derivative and
    the second term the corner. The lifting carries the corner the way the equation does
    near the seam, where u ≈ -1: diffused as the heat equation diffuses a corner (a
    boundary layer of width σ = √(d t)) and pulled back at the rate f'(-1) = -10 of the
    stable state u = -1. It equals x² cos πx at t = 0 and is periodic to the first
    derivative for t > 0; the network adds what the approximation leaves out.
    """
    s, t = 1.0 - jnp.abs(x[0]), x[1]  # s: the distance to the seam
    sigma = jnp.sqrt(ALLEN_CAHN_D * t + 1e-24)  # > 0 at t = 0, where the layer is 1e-12 wide
    z = s / (2 * sigma)
    half = jnp.cos(PI * x[0] / 2)  # |cos(πx/2)| inside [-1, 1]
    corner = half + PI / 2 * (2 * sigma / np.sqrt(PI) * jnp.exp(-z**2)
                              - s * jax.scipy.special.erfc(z))
    smooth = x[0] ** 2 * jnp.cos(PI * x[0]) - 4 / PI * half
    return smooth + 4 / PI * jnp.exp(-ALLEN_CAHN_SEAM_RATE * t) * corner


def allen_cahn() -> PDE:
    """u_t - 1e-4 u_xx + 5u³ - 5u = 0, u0 = x² cos πx, periodic; the initial value hard,
    through a lifting that carries its corner at the seam (`allen_cahn_lifting`)."""
    def residual(u, x):
        return (partial(u, 1)(x) - ALLEN_CAHN_D * partial(u, 0, 2)(x)
                + 5 * u(x) ** 3 - 5 * u(x))

    return PDE(geometry.SpaceTime(geometry.Interval(-1.0, 1.0), 0.0, 1.0), residual,
               bcs=[Periodic(0, hard=True),
                    Dirichlet(allen_cahn_lifting, on="initial", hard=True)],
               name="allen_cahn")


def wave_exact(x):
    """Wave1d-C's exact u = sin πx cos 2πt + sin(4πx) cos(8πt)/2 at ``(..., 2)`` = (x, t)."""
    xp = _xp(x)
    return (xp.sin(PI * x[..., 0]) * xp.cos(2 * PI * x[..., 1])
            + 0.5 * xp.sin(4 * PI * x[..., 0]) * xp.cos(8 * PI * x[..., 1]))


def wave1d_c() -> PDE:
    """u_tt = 4 u_xx on [0, 1]², u = 0 at the ends, u(x, 0) = sin πx + sin(4πx)/2 (hard:
    the lifting is the initial data, which vanishes at the ends), u_t(x, 0) = 0 (soft)."""
    def residual(u, x):
        return partial(u, 1, 2)(x) - 4.0 * partial(u, 0, 2)(x)

    def data(x):  # the initial values; the exact solution is never used inside the domain
        return jnp.sin(PI * x[0]) + 0.5 * jnp.sin(4 * PI * x[0])

    start = Dirichlet(data, on=["left", "right", "initial"], hard=True)
    return PDE(geometry.SpaceTime(geometry.Interval(0.0, 1.0), 0.0, 1.0), residual,
               bcs=[start, InitialRate(0.0)], exact=wave_exact, name="wave1d_c")


def poisson_nd_exact(x):
    """PNd's exact u = Σ sin(π x_i / 2) at ``(..., 5)``."""
    xp = _xp(x)
    return xp.sum(xp.sin(PI * x / 2), axis=-1)


def poisson_nd() -> PDE:
    """-Δu = π²/4 Σ sin(π x_i / 2) on [0, 1]⁵, u = Σ sin(π x_i / 2) on the boundary (soft:
    the boundary data's formula is the solution's, so a lifting built from it would hand the
    network the answer)."""
    return Poisson(geometry.Box([0.0] * 5, [1.0] * 5),
                   source=lambda x: PI**2 / 4 * jnp.sum(jnp.sin(PI * x / 2)),
                   bcs=[Dirichlet(poisson_nd_exact)], exact=poisson_nd_exact,
                   name="poisson_nd")


def heat_exact(x):
    """Heat2d-MS's exact u = sin 20πx sin πy e^{-ct} at ``(..., 3)`` = (x, y, t)."""
    xp = _xp(x)
    return (xp.sin(20 * PI * x[..., 0]) * xp.sin(PI * x[..., 1])
            * xp.exp(-HEAT_RATE * x[..., 2]))


def heat2d_ms() -> PDE:
    """u_t = u_xx/(500π)² + u_yy/π² on [0, 1]² x [0, 5], u(x, y, 0) = sin 20πx sin πy, u = 0
    on the sides; the side and initial values hard, lifted by the initial data (which vanishes
    on the sides), not by the exact solution."""
    def residual(u, x):
        return (partial(u, 2)(x) - HEAT_KX * partial(u, 0, 2)(x)
                - HEAT_KY * partial(u, 1, 2)(x))

    def initial(x):
        return jnp.sin(20 * PI * x[0]) * jnp.sin(PI * x[1])

    data = Dirichlet(initial, hard=True, on=["left", "right", "bottom", "top", "initial"])
    space = geometry.Rectangle((0.0, 0.0), (1.0, 1.0))
    return PDE(geometry.SpaceTime(space, 0.0, 5.0), residual, bcs=[data], exact=heat_exact,
               name="heat2d_ms")


def poisson2d_c() -> PDE:
    """Δu = 0 on [-0.5, 0.5]² less four disks of radius 0.1 at (±0.3, ±0.3), u = 1 on the
    square's sides, u = 0 on the circles (soft: a blended hard lifting, `blend_dirichlet`,
    trains worse on this domain than the soft conditions after Fourier features)."""
    domain = geometry.Rectangle((-0.5, -0.5), (0.5, 0.5))
    for centre in [(0.3, 0.3), (-0.3, 0.3), (0.3, -0.3), (-0.3, -0.3)]:
        domain = domain - geometry.Disk(centre, 0.1)
    circles = [part for part in domain.boundary_parts if part.startswith("circle")]
    return Laplace(domain, bcs=[Dirichlet(1.0, on=["left", "right", "bottom", "top"]),
                                Dirichlet(0.0, on=circles)], name="poisson2d_c")


def _navier_stokes(nu: float):
    def residual(f, x):
        u, v = f["u"](x), f["v"](x)
        ux, uy = partial(f["u"], 0)(x), partial(f["u"], 1)(x)
        vx, vy = partial(f["v"], 0)(x), partial(f["v"], 1)(x)
        return (u * ux + v * uy + partial(f["p"], 0)(x) - nu * laplacian(f["u"])(x),
                u * vx + v * vy + partial(f["p"], 1)(x) - nu * laplacian(f["v"])(x),
                ux + vy)

    return residual


def kovasznay_exact(x):
    """Kovasznay flow's (u, v, p) at ``(..., 2)``: ``(..., 3)``."""
    xp, lam = _xp(x), KOVASZNAY_LAMBDA
    e = xp.exp(lam * x[..., 0])
    return xp.stack([1 - e * xp.cos(2 * PI * x[..., 1]),
                     lam / (2 * PI) * e * xp.sin(2 * PI * x[..., 1]),
                     0.5 * (1 - xp.exp(2 * lam * x[..., 0]))], axis=-1)


def kovasznay() -> PDE:
    """Steady Navier-Stokes at Re = 20 on [-0.5, 1] x [-0.5, 1.5]: fields u, v, p; the
    velocity given on the boundary (soft: its formula is the solution's), the pressure
    observed at (-0.5, -0.5)."""
    corner = np.array([[-0.5, -0.5]])
    bcs = [Dirichlet(lambda x: kovasznay_exact(x)[0], field="u"),
           Dirichlet(lambda x: kovasznay_exact(x)[1], field="v"),
           Observations(corner, kovasznay_exact(corner)[:, 2], field="p")]
    return PDE(geometry.Rectangle((-0.5, -0.5), (1.0, 1.5)), _navier_stokes(1 / KOVASZNAY_RE),
               bcs=bcs, fields=("u", "v", "p"), exact=kovasznay_exact, name="kovasznay")


def ns2d_c() -> PDE:
    """PINNacle's lid-driven cavity (ν = 0.01, lid u = 4x(1 - x)): fields u, v, p; the
    velocity hard, p(0, 0) = 0 observed."""
    def lid(x):  # 4x(1 - x) on y = 1 and 0 on the other walls: one smooth lifting
        return 4 * x[0] * (1 - x[0]) * x[1]

    bcs = [Dirichlet(lid, field="u", hard=True), Dirichlet(0.0, field="v", hard=True),
           Observations(np.zeros((1, 2)), np.zeros(1), field="p")]
    return PDE(geometry.Rectangle((0.0, 0.0), (1.0, 1.0)), _navier_stokes(CAVITY_NU), bcs=bcs,
               fields=("u", "v", "p"), name="ns2d_c")
