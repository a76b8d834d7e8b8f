"""The frontier problems of `frontier.py`: each as its source defines it, solved with pinn, and
its reference (computed here, with its own error estimated by refinement).

A `Row` holds the published figure (value, source, that run's budget), the issue's bar, how
pinn solves it (``solve(seed) -> (predict, settings)``) and where its reference comes from
(``reference() -> (points, values, estimated error)``). The settings are written once per row
and printed with every result: a network, points, windows and stages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import jax.numpy as jnp
import numpy as np

import jaxnn
import pinn
from pinn.operators import laplacian, partial

PI = np.pi


@dataclass
class Row:
    """One problem of the frontier table."""

    title: str
    published: dict
    bar: float
    solve: Callable[[int], tuple[Callable, str]]
    reference: Callable[[], tuple[np.ndarray, np.ndarray, float]]
    notes: str = ""
    settings: dict = field(default_factory=dict)

    def describe(self) -> str:
        """The settings as the table prints them when there is no run yet."""
        return _describe(self.settings)


def _describe(s: dict) -> str:
    text = f"MLP {s['layers']} {s.get('activation', 'tanh')}"
    if "fourier_features" in s:
        count, scale = s["fourier_features"]
        text += f" after {count} Fourier features (scale {scale})"
    text += f", {s['points']} points"
    if s.get("windows", 1) > 1:
        text += f", {s['windows']} windows"
    return text + f", {s['stages']}, float64"


def _grid(lows, highs, counts) -> np.ndarray:
    axes = [np.linspace(lo, hi, n) for lo, hi, n in zip(lows, highs, counts, strict=True)]
    return np.stack([a.reshape(-1) for a in np.meshgrid(*axes, indexing="ij")], axis=1)


def _solve_with(problem: pinn.PDE, s: dict, seed: int) -> tuple[Callable, str]:
    """pinn.solve (pinn.march with ``windows``) with the row's settings `s`."""
    model = jaxnn.MLP(s["layers"], activation=s.get("activation", "tanh"))
    if "fourier_features" in s:
        count, scale = s["fourier_features"]
        model = pinn.FourierFeatures(model, num_features=count, scale=scale, seed=seed)
    stages = [pinn.GaussNewton(s["gauss_newton"], **s.get("gauss_newton_options", {}))]
    collocation = pinn.Collocation(s["points"], s.get("boundary", 1),
                                   method=s.get("method", "uniform"),
                                   refinement=s.get("refinement"))
    options = dict(stages=stages, collocation=collocation, dtype="float64", seed=seed,
                   verbose=0, log_every=s.get("log_every", 10))
    if s.get("windows", 1) > 1:
        solution = pinn.march(problem, model, windows=s["windows"],
                              warm_start=s.get("warm_start", False), **options)
    else:
        solution = pinn.solve(problem, model, **options)
    settings = dict(s, stages=f"GaussNewton({s['gauss_newton']})"
                    + ("" if s.get("windows", 1) == 1 else " per window"))
    return (lambda points: np.asarray(solution(points))), _describe(settings)


# --- Burgers (Raissi, Perdikaris & Karniadakis 2019): u_t + u u_x = (0.01/π) u_xx on
# [-1, 1] x [0, 1], u(x, 0) = -sin πx, u(±1, t) = 0; evaluated on burgers_shock.mat's grid
# (256 x 100, t in [0, 0.99]). Reference: Cole-Hopf, the heat-kernel integral on a uniform
# grid of z = η/√(4νt); its error is estimated by doubling the nodes.
BURGERS_NU = 0.01 / PI
BURGERS = {"layers": [20, 20, 20, 1], "points": 1500, "windows": 8, "warm_start": True,
           "gauss_newton": 100, "method": "uniform",
           "refinement": pinn.Refinement(every=20, add=300, candidates=20_000, rounds=2)}


def burgers_problem() -> pinn.PDE:
    """Burgers as Raissi et al. pose it, initial and boundary values hard."""
    def residual(u, x):
        return partial(u, 1)(x) + u(x) * partial(u, 0)(x) - BURGERS_NU * partial(u, 0, 2)(x)

    data = pinn.Dirichlet(lambda x: -jnp.sin(PI * x[0]), on=["left", "right", "initial"],
                          hard=True)
    return pinn.PDE(pinn.SpaceTime(pinn.Interval(-1.0, 1.0), 0.0, 0.99), residual, bcs=[data])


def burgers_reference() -> tuple[np.ndarray, np.ndarray, float]:
    """Cole-Hopf by Gauss-Hermite quadrature on burgers_shock.mat's 256 x 100 grid, and its
    refinement change as its error (`references.burgers`)."""
    from references import burgers

    return _on_grid(burgers.burgers_reference())


# --- KdV as jaxpi poses it (examples/kdv): u_t + η u u_x + μ² u_xxx = 0, η = 1, μ = 0.022,
# periodic on [-1, 1], t in [0, 1], u(x, 0) = cos πx. Reference: Fourier ETDRK4 (references/).
KDV = {"layers": [24, 24, 24, 1], "points": 1500, "windows": 10, "warm_start": True,
       "gauss_newton": 60, "method": "uniform"}


def kdv_problem() -> pinn.PDE:
    """KdV, periodic in x (in the network's input) and the initial value hard."""
    def residual(u, x):
        return partial(u, 1)(x) + u(x) * partial(u, 0)(x) + 0.022**2 * partial(u, 0, 3)(x)

    return pinn.PDE(pinn.SpaceTime(pinn.Interval(-1.0, 1.0), 0.0, 1.0), residual,
                    bcs=[pinn.Periodic(0, hard=True),
                         pinn.Dirichlet(lambda x: jnp.cos(PI * x[0]), on="initial", hard=True)])


# --- Allen-Cahn as jaxpi poses it (examples/allen_cahn): u_t - 1e-4 u_xx + 5u³ - 5u = 0,
# periodic on [-1, 1], t in [0, 1], u(x, 0) = x² cos πx. The initial value is not periodic in
# its slope (u_x(±1, 0) = ∓2), so it stays soft beside the periodic input.
ALLEN_CAHN = {"layers": [24, 24, 24, 1], "points": 1500, "boundary": 200, "windows": 10,
              "warm_start": True, "gauss_newton": 60, "method": "uniform"}


def allen_cahn_problem() -> pinn.PDE:
    """Allen-Cahn, periodic in x (in the network's input), the initial value soft."""
    def residual(u, x):
        return partial(u, 1)(x) - 1e-4 * partial(u, 0, 2)(x) + 5 * u(x) ** 3 - 5 * u(x)

    return pinn.PDE(pinn.SpaceTime(pinn.Interval(-1.0, 1.0), 0.0, 1.0), residual,
                    bcs=[pinn.Periodic(0, hard=True),
                         pinn.Initial(lambda x: x[0] ** 2 * jnp.cos(PI * x[0]))])


def _on_grid(reference) -> tuple[np.ndarray, np.ndarray, float]:
    """A `references.Reference` (u on a t x x grid) as points (x, t), values and its error."""
    tt, xx = np.meshgrid(reference.t, reference.x, indexing="ij")
    return (np.stack([xx.reshape(-1), tt.reshape(-1)], axis=1), reference.u.reshape(-1),
            max(float(reference.error), 1e-16))


def _spectral(name: str) -> Callable[[], tuple[np.ndarray, np.ndarray, float]]:
    def load() -> tuple[np.ndarray, np.ndarray, float]:
        from references import spectral

        return _on_grid(getattr(spectral, f"{name}_reference")())

    return load


# --- Wave1d-C (PINNacle, src/pde/wave.py): u_tt = 4 u_xx on [0, 1] x [0, 1], u = 0 at the
# ends, u(x, 0) = sin πx + sin(4πx)/2, u_t(x, 0) = 0; exact
# u = sin πx cos 2πt + sin(4πx) cos(8πt)/2.
WAVE = {"layers": [30, 30, 30, 1], "points": 2500, "boundary": 100, "gauss_newton": 150,
        "method": "sobol"}


def wave_exact(x):
    """PINNacle Wave1d-C's exact solution at points ``(n, 2)`` = (x, t) (NumPy or JAX)."""
    xp = jnp if isinstance(x, jnp.ndarray) else np
    return (xp.sin(PI * x[..., 0]) * xp.cos(2 * PI * x[..., 1])
            + 0.5 * xp.sin(4 * PI * x[..., 0]) * xp.cos(8 * PI * x[..., 1]))


def wave_problem() -> pinn.PDE:
    """Wave1d-C with the end and initial values hard, the initial rate soft."""
    def residual(u, x):
        return partial(u, 1, 2)(x) - 4.0 * partial(u, 0, 2)(x)

    start = pinn.Dirichlet(lambda x: wave_exact(x), on=["left", "right", "initial"], hard=True)
    return pinn.PDE(pinn.SpaceTime(pinn.Interval(0.0, 1.0), 0.0, 1.0), residual,
                    bcs=[start, pinn.InitialRate(0.0)], exact=wave_exact)


def _exact_on(points: np.ndarray, exact: Callable) -> tuple[np.ndarray, np.ndarray, float]:
    return points, np.asarray(exact(points), float), 0.0


# --- Poisson-ND (PINNacle PNd, src/pde/poisson.py): -Δu = π²/4 Σ sin(π x_i / 2) on [0, 1]⁵,
# u = Σ sin(π x_i / 2) on the boundary; exact u = Σ sin(π x_i / 2).
POISSON_ND = {"layers": [30, 30, 1], "points": 3000, "gauss_newton": 100, "method": "sobol"}


def poisson_nd_exact(x):
    """Σ sin(π x_i / 2) at points ``(n, 5)`` (NumPy or JAX)."""
    xp = jnp if isinstance(x, jnp.ndarray) else np
    return xp.sum(xp.sin(PI * x / 2), axis=-1)


def poisson_nd_problem() -> pinn.PDE:
    """PNd with the boundary values hard."""
    domain = pinn.Box([0.0] * 5, [1.0] * 5)
    return pinn.Poisson(domain, source=lambda x: PI**2 / 4 * jnp.sum(jnp.sin(PI * x / 2)),
                        bcs=[pinn.Dirichlet(lambda x: poisson_nd_exact(x), hard=True)],
                        exact=poisson_nd_exact)


# --- Kovasznay flow (Kovasznay 1948; DeepXDE's example): steady Navier-Stokes at Re = 20 on
# [-0.5, 1] x [-0.5, 1.5], u·∇u + ∇p - Δu/Re = 0, ∇·u = 0; exact
# u = 1 - e^{λx} cos 2πy, v = λ/(2π) e^{λx} sin 2πy, p = (1 - e^{2λx})/2,
# λ = Re/2 - sqrt(Re²/4 + 4π²). Velocity given on the boundary (hard), the pressure at one point.
KOVASZNAY_RE = 20.0
KOVASZNAY_LAMBDA = KOVASZNAY_RE / 2 - np.sqrt(KOVASZNAY_RE**2 / 4 + 4 * PI**2)
KOVASZNAY = {"layers": [30, 30, 30, 3], "points": 2000, "gauss_newton": 150, "method": "sobol"}


def kovasznay_exact(x):
    """(u, v, p) at points ``(n, 2)`` (NumPy or JAX): ``(n, 3)``."""
    xp = jnp if isinstance(x, jnp.ndarray) else np
    lam = KOVASZNAY_LAMBDA
    e = xp.exp(lam * x[..., 0])
    return xp.stack([1 - e * xp.cos(2 * PI * x[..., 1]),
                     lam / (2 * PI) * e * xp.sin(2 * PI * x[..., 1]),
                     0.5 * (1 - xp.exp(2 * lam * x[..., 0]))], axis=-1)


def kovasznay_problem() -> pinn.PDE:
    """Kovasznay flow: fields u, v, p; velocity hard on the boundary, p(-0.5, -0.5) observed."""
    def residual(f, x):
        u, v = f["u"](x), f["v"](x)
        ux, uy = partial(f["u"], 0)(x), partial(f["u"], 1)(x)
        vx, vy = partial(f["v"], 0)(x), partial(f["v"], 1)(x)
        px, py = partial(f["p"], 0)(x), partial(f["p"], 1)(x)
        nu = 1.0 / KOVASZNAY_RE
        return (u * ux + v * uy + px - nu * laplacian(f["u"])(x),
                u * vx + v * vy + py - nu * laplacian(f["v"])(x),
                ux + vy)

    corner = np.array([[-0.5, -0.5]])
    bcs = [pinn.Dirichlet(lambda x: kovasznay_exact(x)[0], field="u", hard=True),
           pinn.Dirichlet(lambda x: kovasznay_exact(x)[1], field="v", hard=True),
           pinn.Observations(corner, kovasznay_exact(corner)[:, 2], field="p")]
    return pinn.PDE(pinn.Rectangle((-0.5, -0.5), (1.0, 1.5)), residual, bcs=bcs,
                    fields=("u", "v", "p"))


def _pinnacle_points(name: str) -> np.ndarray:
    """The points PINNacle (or DeepXDE, for Kovasznay) evaluates `name` on."""
    from references import pinnacle

    return np.asarray(pinnacle.PROBLEMS[name].evaluation_points(), float)


# --- Heat2d-MS (PINNacle, src/pde/heat.py, Heat2D_Multiscale): u_t = k_x u_xx + k_y u_yy on
# [0, 1]² x [0, 5], k_x = 1/(500π)², k_y = 1/π², u(x, y, 0) = sin 20πx sin πy, u = 0 on the
# sides; exact sin 20πx sin πy e^{-ct}, c = k_x (20π)² + k_y π². The ten periods in x are put
# within reach of a small network by Fourier features of that scale.
HEAT_KX, HEAT_KY = 1 / (500 * PI) ** 2, 1 / PI**2
HEAT_RATE = HEAT_KX * (20 * PI) ** 2 + HEAT_KY * PI**2
HEAT = {"layers": [30, 30, 1], "points": 3000, "gauss_newton": 100, "method": "sobol",
        "fourier_features": (16, 6.0)}


def heat_exact(x):
    """PINNacle Heat2d-MS's exact solution at points ``(n, 3)`` = (x, y, t) (NumPy or JAX)."""
    xp = jnp if isinstance(x, jnp.ndarray) else np
    return (xp.sin(20 * PI * x[..., 0]) * xp.sin(PI * x[..., 1])
            * xp.exp(-HEAT_RATE * x[..., 2]))


def heat_problem() -> pinn.PDE:
    """Heat2d-MS with the side and initial values hard."""
    def residual(u, x):
        return (partial(u, 2)(x) - HEAT_KX * partial(u, 0, 2)(x)
                - HEAT_KY * partial(u, 1, 2)(x))

    data = pinn.Dirichlet(lambda x: heat_exact(x), hard=True,
                          on=["left", "right", "bottom", "top", "initial"])
    space = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))
    return pinn.PDE(pinn.SpaceTime(space, 0.0, 5.0), residual, bcs=[data], exact=heat_exact)


# --- Poisson2d-C (PINNacle, src/pde/poisson.py, Poisson2D_Classic): Δu = 0 on the square
# [-0.5, 0.5]² less four disks of radius 0.1 at (±0.3, ±0.3); u = 1 on the square's sides,
# u = 0 on the circles. Reference: P3 finite elements on curved meshes (references/fem.py).
POISSON2D_C = {"layers": [30, 30, 30, 1], "points": 2500, "boundary": 200,
               "gauss_newton": 150, "method": "sobol"}


def poisson2d_c_problem() -> pinn.PDE:
    """Poisson2d-C with soft conditions (the two values meet no common smooth lifting)."""
    domain = pinn.Rectangle((-0.5, -0.5), (0.5, 0.5))
    for centre in [(0.3, 0.3), (-0.3, 0.3), (0.3, -0.3), (-0.3, -0.3)]:
        domain = domain - pinn.Disk(centre, 0.1)
    circles = [part for part in domain.boundary_parts if part.startswith("circle")]
    return pinn.Laplace(domain, bcs=[pinn.Dirichlet(1.0, on=["left", "right", "bottom", "top"]),
                                     pinn.Dirichlet(0.0, on=circles)])


def _poisson2d_c_reference() -> tuple[np.ndarray, np.ndarray, float]:
    from references import fem

    reference = fem.poisson2d_c_reference()
    return reference.points, reference.values.reshape(-1), float(reference.error_estimate)


# --- NS2d-C (PINNacle, src/pde/ns.py, NS2D_LidDriven, a = 4): steady Navier-Stokes, ν = 0.01,
# on [0, 1]²; u = 4x(1 - x), v = 0 on the lid y = 1, no slip elsewhere, p(0, 0) = 0. Reference:
# Taylor-Hood P3/P2 with Newton (references/fem.py); the lid's two corners, where p is
# log-singular, are left out as PINNacle's file cannot resolve them either.
NS2D_C = {"layers": [30, 30, 30, 3], "points": 2500, "boundary": 1, "gauss_newton": 150,
          "method": "sobol"}


def ns2d_c_problem() -> pinn.PDE:
    """The lid-driven cavity: fields u, v, p; the velocity hard, p(0, 0) observed."""
    def residual(f, x):
        u, v = f["u"](x), f["v"](x)
        ux, uy = partial(f["u"], 0)(x), partial(f["u"], 1)(x)
        vx, vy = partial(f["v"], 0)(x), partial(f["v"], 1)(x)
        return (u * ux + v * uy + partial(f["p"], 0)(x) - 0.01 * laplacian(f["u"])(x),
                u * vx + v * vy + partial(f["p"], 1)(x) - 0.01 * laplacian(f["v"])(x),
                ux + vy)

    def lid(x):  # 4x(1 - x) on y = 1 and 0 on the other walls: one smooth lifting
        return 4 * x[0] * (1 - x[0]) * x[1]

    bcs = [pinn.Dirichlet(lid, field="u", hard=True), pinn.Dirichlet(0.0, field="v", hard=True),
           pinn.Observations(np.zeros((1, 2)), np.zeros(1), field="p")]
    return pinn.PDE(pinn.Rectangle((0.0, 0.0), (1.0, 1.0)), residual, bcs=bcs,
                    fields=("u", "v", "p"))


def _ns2d_c_reference() -> tuple[np.ndarray, np.ndarray, float]:
    from references import fem

    reference = fem.ns2d_c_reference()
    return reference.points, reference.values, float(reference.error_estimate)


ROWS: dict[str, Row] = {
    "burgers": Row(
        "Burgers, ν = 0.01/π, u0 = -sin πx (Raissi et al.)",
        {"value": 6.7e-4, "source": "Raissi et al. 2019, Table 1; PINNacle Table 3: 1.45e-2",
         "budget": "L-BFGS to convergence, 9 x 20 tanh; PINNacle 20,000 Adam steps"},
        1e-6, lambda seed: _solve_with(burgers_problem(), BURGERS, seed), burgers_reference,
        settings=BURGERS),
    "allen_cahn": Row(
        "Allen-Cahn, jaxpi's (d = 1e-4, 5u³ - 5u, periodic)",
        {"value": 2.24e-5, "source": "jaxpi README (PirateNet)",
         "budget": "3·10^5 Adam steps, A100 GPU"},
        2e-6, lambda seed: _solve_with(allen_cahn_problem(), ALLEN_CAHN, seed),
        _spectral("allen_cahn"), settings=ALLEN_CAHN),
    "kdv": Row(
        "KdV, jaxpi's (η = 1, μ = 0.022, u0 = cos πx, periodic)",
        {"value": 4.27e-4, "source": "jaxpi README (PirateNet)",
         "budget": "2·10^5 Adam steps, A100 GPU"},
        4e-5, lambda seed: _solve_with(kdv_problem(), KDV, seed), _spectral("kdv"),
        settings=KDV),
    "wave1d_c": Row(
        "Wave 1-D, PINNacle Wave1d-C",
        {"value": 9.79e-2, "source": "PINNacle Table 3", "budget": "20,000 Adam steps, 5 x 100"},
        1e-5, lambda seed: _solve_with(wave_problem(), WAVE, seed),
        lambda: _exact_on(_pinnacle_points("wave1d_c"), wave_exact),
        settings=WAVE),
    "poisson_nd": Row(
        "Poisson 5-D, PINNacle PNd",
        {"value": 4.67e-4, "source": "PINNacle Table 3 (ENGD: ~3.5e-8 on a cosine-sum "
         "variant, 3,000 s GPU)", "budget": "20,000 Adam steps, 5 x 100"},
        1e-8, lambda seed: _solve_with(poisson_nd_problem(), POISSON_ND, seed),
        lambda: _exact_on(_pinnacle_points("poisson_nd"), poisson_nd_exact),
        settings=POISSON_ND),
    "kovasznay": Row(
        "Navier-Stokes: Kovasznay flow (Re = 20)",
        {"value": "-", "source": "no PINNacle row (DeepXDE example)", "budget": "-"},
        1e-6, lambda seed: _solve_with(kovasznay_problem(), KOVASZNAY, seed),
        lambda: _exact_on(_pinnacle_points("kovasznay"), kovasznay_exact), settings=KOVASZNAY),
    "heat2d_ms": Row(
        "Heat 2-D multi-scale, PINNacle Heat2d-MS",
        {"value": 6.21e-2, "source": "PINNacle Table 3 (PINN)", "budget": "20,000 Adam steps, "
         "5 x 100"},
        1e-4, lambda seed: _solve_with(heat_problem(), HEAT, seed),
        lambda: _exact_on(_pinnacle_points("heat2d_ms"), heat_exact), settings=HEAT),
    "poisson2d_c": Row(
        "Poisson 2-D, square with four holes, PINNacle Poisson2d-C",
        {"value": 1.23e-2, "source": "PINNacle Table 3 (NTK)", "budget": "20,000 Adam steps, "
         "5 x 100"},
        1.2e-3, lambda seed: _solve_with(poisson2d_c_problem(), POISSON2D_C, seed),
        _poisson2d_c_reference, settings=POISSON2D_C),
    "ns2d_c": Row(
        "Navier-Stokes: lid-driven cavity, PINNacle NS2d-C (Re = 100)",
        {"value": 3.6e-2, "source": "PINNacle Table 3 (LAAF)", "budget": "20,000 Adam steps, "
         "5 x 100"},
        3.6e-3, lambda seed: _solve_with(ns2d_c_problem(), NS2D_C, seed), _ns2d_c_reference,
        settings=NS2D_C),
}
