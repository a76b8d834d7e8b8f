"""The Grad-Shafranov equation: the magnetic flux surfaces of a tokamak plasma.

In an axisymmetric plasma in equilibrium (∇p = j × B), the poloidal magnetic flux ψ(R, Z), in
cylindrical coordinates (R the distance from the symmetry axis, Z the height), satisfies the
Grad-Shafranov equation. With the pressure and the toroidal field function linear in ψ
(Solov'ev's equilibrium), and in normalised units,

    ψ_RR - ψ_R / R + ψ_ZZ = P R² + (1 - P),   P = 1/2,

a linear PDE with a closed-form solution, here on a D-shaped cross-section (an ITER-like
boundary: inverse aspect ratio 0.32, elongation 1.7, triangularity 0.33) with ψ equal to that
solution on the boundary. The operator ψ_RR - ψ_R/R + ψ_ZZ is not the Laplacian; it is written
as a `pinn.PDE` residual with `pinn.operators.partial`. The level sets of ψ are the flux
surfaces, nested around the magnetic axis where ψ is smallest. The script prints the relative
L2 error, the position of the magnetic axis and the time, and saves the flux surfaces (PINN
solid, exact dashed) and the usual summary.

Run:

    python examples/grad_shafranov.py              # Adam, then L-BFGS, float32
    python examples/grad_shafranov.py --accurate   # float64 Gauss-Newton: ~1e-6
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
import pinn.plot
from pinn.cli import add_solve_arguments, solve_registered
from pinn.problems import tokamak_boundary

NAME = "grad_shafranov"


def make_parser() -> argparse.ArgumentParser:
    parser = add_solve_arguments(argparse.ArgumentParser(description=__doc__.split("\n")[0]))
    parser.add_argument("--out", default="out", help="directory for the plots")
    return parser


def flux_surfaces(solution, problem, path: Path, resolution: int = 160) -> tuple[float, float]:
    """Contours of ψ on the (R, Z) plane; returns the magnetic axis (R, Z) of the PINN's ψ."""
    lo, hi = problem.domain.bounding_box
    r, z = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    points = np.stack([r.ravel(), z.ravel()], axis=1)
    inside = problem.domain.contains(points)
    psi = np.full(len(points), np.nan)
    psi[inside] = solution(points[inside])
    exact = np.array(jax.vmap(problem.exact)(jnp.asarray(points)))  # float64 when x64 is on
    exact[~inside] = np.nan
    levels = np.linspace(np.nanmin(exact), 0.0, 9)

    figure = Figure(figsize=(4.5, 6.0), layout="constrained")
    ax = figure.subplots()
    ax.contour(r, z, exact.reshape(r.shape), levels=levels, colors="grey", linestyles="--")
    lines = ax.contour(r, z, psi.reshape(r.shape), levels=levels, cmap="plasma")
    figure.colorbar(lines, ax=ax, label="ψ", shrink=0.8)
    boundary = np.vstack([tokamak_boundary(), tokamak_boundary()[:1]])
    ax.plot(boundary[:, 0], boundary[:, 1], "k-", lw=1.5)
    axis = points[np.nanargmin(psi)]
    ax.plot(*axis, "k+", ms=12)
    ax.set(xlabel="R", ylabel="Z", aspect="equal",
           title="flux surfaces ψ = const\n(PINN solid, exact dashed)")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    return float(axis[0]), float(axis[1])


def run(args: argparse.Namespace) -> dict[str, float]:
    """Solve, print and return the relative L2 error, the axis and the time; save the plots."""
    # pinn.PDE(pinn.Polygon(tokamak_boundary()), residual, bcs=[pinn.Dirichlet(exact)], ...)
    problem, solution, mode = solve_registered(NAME, args)

    error = solution.relative_l2()
    out = Path(args.out)
    axis_r, axis_z = flux_surfaces(solution, problem, out / f"{NAME}_flux.png")
    print(f"{NAME} ({mode}): relative L2 error {error:.2e}, magnetic axis at R = {axis_r:.3f}, "
          f"Z = {axis_z:.3f}, {solution.seconds:.1f} s")
    pinn.plot.summary(solution, problem.exact, problem.domain, path=out / f"{NAME}.png")
    print(f"saved {out / f'{NAME}_flux.png'}, {out / f'{NAME}.png'}")
    return {"relative_l2": error, "axis_r": axis_r, "axis_z": axis_z,
            "seconds": solution.seconds}


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # float64 for --accurate (float32 stays float32)
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
