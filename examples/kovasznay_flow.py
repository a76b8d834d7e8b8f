"""Navier-Stokes: Kovasznay flow, velocity and pressure solved as one PINN of three fields.

    (u·∇)u + ∇p - ν Δu = 0,     ∇·u = 0     on [-0.5, 1] x [-0.5, 1.5],   ν = 1/Re, Re = 20

Kovasznay's steady flow behind a grid (Kovasznay 1948) is an exact solution of the
incompressible Navier-Stokes equations:

    u = 1 - e^{λx} cos 2πy,   v = λ/(2π) e^{λx} sin 2πy,   p = (1 - e^{2λx}) / 2,
    λ = Re/2 - sqrt(Re²/4 + 4π²).

The network has three outputs, the fields "u", "v" and "p" of ``pinn.PDE(fields=("u", "v",
"p"))``; the residual returns the two momentum equations and the incompressibility constraint.
The velocity is given on the whole boundary (two Dirichlet conditions, one per component). The
pressure appears only through its gradient, so it is fixed up to a constant: one observation,
p at the corner (-0.5, -0.5), pins it (`pinn.Observations`). Trained in float64 by Gauss-Newton,
the solution is compared with the exact one: the script prints the relative L2 error of all
fields together and of each, and saves the speed with streamlines, the pressure and the error.

Run:

    python examples/kovasznay_flow.py                  # ~6e-5 (p 1e-4) in ~2 minutes
    python examples/kovasznay_flow.py --quick          # ~4e-2 in ~15 s
    python examples/kovasznay_flow.py --re 40 --out /tmp/kovasznay
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

import jaxnn
import pinn
from jaxnn.plot import save_figure
from pinn.operators import laplacian, partial

LOWER, UPPER = (-0.5, -0.5), (1.0, 1.5)
SETTINGS = {"layers": [30, 30, 30, 3], "steps": 80, "n_interior": 1500, "n_boundary": 300}
QUICK = {"layers": [20, 20, 3], "steps": 25, "n_interior": 400, "n_boundary": 100}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--re", type=float, default=20.0, help="Reynolds number")
    parser.add_argument("--steps", type=int, default=None, help="Gauss-Newton steps")
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network and points")
    parser.add_argument("--out", default="out", help="directory for the plot")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def exact_flow(x, reynolds: float):
    """Kovasznay's (u, v, p) at points ``(..., 2)``: ``(..., 3)``; NumPy or JAX arrays."""
    xp = jnp if isinstance(x, jax.Array) else np
    lam = reynolds / 2 - np.sqrt(reynolds**2 / 4 + 4 * np.pi**2)
    e = xp.exp(lam * x[..., 0])
    return xp.stack([1 - e * xp.cos(2 * np.pi * x[..., 1]),
                     lam / (2 * np.pi) * e * xp.sin(2 * np.pi * x[..., 1]),
                     0.5 * (1 - xp.exp(2 * lam * x[..., 0]))], axis=-1)


def kovasznay_problem(reynolds: float) -> pinn.PDE:
    """Steady incompressible Navier-Stokes with Kovasznay's velocity on the boundary and the
    pressure observed at one corner."""
    nu = 1.0 / reynolds

    def navier_stokes(f, x):  # f["u"], f["v"], f["p"]: scalar functions of one point x: (2,)
        u, v = f["u"](x), f["v"](x)
        ux, uy = partial(f["u"], 0)(x), partial(f["u"], 1)(x)
        vx, vy = partial(f["v"], 0)(x), partial(f["v"], 1)(x)
        return (u * ux + v * uy + partial(f["p"], 0)(x) - nu * laplacian(f["u"])(x),
                u * vx + v * vy + partial(f["p"], 1)(x) - nu * laplacian(f["v"])(x),
                ux + vy)  # incompressibility

    corner = np.array([LOWER])
    bcs = [pinn.Dirichlet(lambda x: exact_flow(x, reynolds)[0], field="u"),
           pinn.Dirichlet(lambda x: exact_flow(x, reynolds)[1], field="v"),
           pinn.Observations(corner, exact_flow(corner, reynolds)[:, 2], field="p")]
    return pinn.PDE(pinn.Rectangle(LOWER, UPPER), navier_stokes, bcs=bcs,
                    fields=("u", "v", "p"), exact=lambda x: exact_flow(x, reynolds),
                    name="kovasznay")


def flow_figure(x, y, fields, error, path: Path) -> Figure:
    """Speed with streamlines, pressure, and the velocity error, on the grid (x, y)."""
    figure = Figure(figsize=(12.0, 4.0), layout="constrained")
    speed_ax, pressure_ax, error_ax = figure.subplots(1, 3)
    u, v, p = fields
    image = speed_ax.pcolormesh(x, y, np.hypot(u, v), shading="auto", cmap="viridis")
    speed_ax.streamplot(x[0], y[:, 0], u, v, color="white", linewidth=0.6, density=1.2)
    figure.colorbar(image, ax=speed_ax, label="|u|")
    image = pressure_ax.pcolormesh(x, y, p, shading="auto", cmap="magma")
    figure.colorbar(image, ax=pressure_ax, label="p")
    image = error_ax.pcolormesh(x, y, error, shading="auto", cmap="inferno")
    figure.colorbar(image, ax=error_ax, label="|u - exact| (velocity)")
    for ax, title in zip((speed_ax, pressure_ax, error_ax),
                         ("speed and streamlines (PINN)", "pressure (PINN)", "velocity error"),
                         strict=True):
        ax.set(xlabel="x", ylabel="y", title=title, aspect="equal")
    return save_figure(figure, path)


def run(args: argparse.Namespace) -> dict[str, float]:
    """Solve, print and return the relative L2 errors and the time; save the figure."""
    settings = QUICK if args.quick else SETTINGS
    steps = args.steps or settings["steps"]
    problem = kovasznay_problem(args.re)
    solution = pinn.solve(
        problem, jaxnn.MLP(settings["layers"], activation="tanh"),
        stages=[pinn.GaussNewton(steps)], dtype="float64",
        collocation=pinn.Collocation(settings["n_interior"], settings["n_boundary"],
                                     method="sobol"),
        seed=args.seed, log_every=10, verbose=0 if args.quiet else 1)

    x, y = np.meshgrid(np.linspace(LOWER[0], UPPER[0], 121), np.linspace(LOWER[1], UPPER[1], 161))
    points = np.column_stack([x.ravel(), y.ravel()])
    predicted, expected = solution(points), exact_flow(points, args.re)  # (n, 3): u, v, p
    errors = {"relative_l2": float(np.linalg.norm(predicted - expected)
                                   / np.linalg.norm(expected))}
    for i, name in enumerate(solution.fields):
        errors[f"relative_l2_{name}"] = float(
            np.linalg.norm(predicted[:, i] - expected[:, i]) / np.linalg.norm(expected[:, i]))
    residual = solution.residual_rms(points[1:-1])
    print(f"kovasznay (Re = {args.re:g}): relative L2 error {errors['relative_l2']:.2e} (u "
          f"{errors['relative_l2_u']:.2e}, v {errors['relative_l2_v']:.2e}, p "
          f"{errors['relative_l2_p']:.2e}), residual rms {residual:.1e}, "
          f"{solution.seconds:.1f} s")
    fields = [predicted[:, i].reshape(x.shape) for i in range(3)]
    velocity_error = np.hypot(*(predicted[:, :2] - expected[:, :2]).T).reshape(x.shape)
    path = Path(args.out) / "kovasznay_flow.png"
    flow_figure(x, y, fields, velocity_error, path)
    print(f"saved {path}")
    return {**errors, "residual_rms": residual, "seconds": solution.seconds}


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # the Gauss-Newton solve runs in float64
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
