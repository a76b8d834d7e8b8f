"""The coupled two-field bounce: false-vacuum decay through two fields, solved as one PINN.

    φ'' + 3φ'/r = ∂V/∂φ,   χ'' + 3χ'/r = ∂V/∂χ,   φ'(0) = χ'(0) = 0,   φ, χ → 0 as r → ∞,
    V(φ, χ) = φ²/2 - φ³/2 + φ⁴/16 + μ²χ²/2 - g φ²χ        (μ = 1, g = 0.1)

The O(4)-symmetric bounce of the seed paper's coupled multi-field case (PRD 100, 016002):
the second field χ, sourced by φ², bends the tunnelling path off the φ axis (χ(0) ≈ 0.6 at
φ(0) ≈ 4.16). `pinn.problems.bounce.coupled_problem` declares the two fields ("phi", "chi"), their
equations, and per field the regularity condition at r = 0 and the asymptotic Robin decay at
r = R = 12. Trained in float64 by Gauss-Newton from a wall-shaped initial guess (the false
vacuum (0, 0) solves the equations too), the solution is compared with SciPy's `solve_bvp`
(collocation, tolerance 1e-10), an independent reference: the script prints the relative L2
error of both fields and of each, and saves both profiles with the reference.

Run:

    python examples/coupled_bounce.py               # ~1e-7 in ~30 s
    python examples/coupled_bounce.py --quick       # ~1e-4 in ~10 s
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure

import jaxnn
import pinn
from jaxnn.plot import save_figure
from pinn.problems import bounce

SETTINGS = {"layers": [20, 20, 2], "steps": 150, "n_interior": 400}
QUICK = {"layers": [16, 16, 2], "steps": 40, "n_interior": 200}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=None, help="Gauss-Newton steps")
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network")
    parser.add_argument("--out", default="out", help="directory for the plot")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def profiles(radii, u, expected, path: Path) -> Figure:
    """φ(r) and χ(r) of the PINN (lines) and of solve_bvp (dashes)."""
    figure = Figure(figsize=(6.0, 4.0), layout="constrained")
    ax = figure.add_subplot()
    for i, name in enumerate(("φ", "χ")):
        ax.plot(radii, u[:, i], color=f"C{i}", label=f"{name} (PINN)")
        ax.plot(radii, expected[:, i], "--", color="black", linewidth=0.8)
    ax.set(xlabel="r", ylabel="field", title="Coupled bounce: PINN (lines), solve_bvp (dashes)")
    ax.legend()
    return save_figure(figure, path)


def run(args: argparse.Namespace) -> dict[str, float]:
    """Solve, print and return the relative L2 errors and the time; save the plot."""
    settings = QUICK if args.quick else SETTINGS
    problem = bounce.coupled_problem()
    solution = pinn.solve(
        problem, jaxnn.MLP(settings["layers"], activation="tanh"),
        stages=[pinn.GaussNewton(args.steps or settings["steps"])], dtype="float64",
        collocation=pinn.Collocation(settings["n_interior"], boundary=1, method="grid"),
        initial_guess=bounce.coupled_initial_guess, seed=args.seed, log_every=25,
        verbose=0 if args.quiet else 1)

    radii = np.linspace(0.0, problem.domain.bounding_box[1][0], 601)[:, None]
    # against problem.exact, the solve_bvp reference: both fields at once, then each
    errors = {"relative_l2": solution.relative_l2(points=radii)}
    for name in solution.fields:
        errors[f"relative_l2_{name}"] = solution.relative_l2(points=radii, field=name)
    u = solution(radii)  # (n, 2): columns phi, chi
    expected = np.asarray(jax.vmap(problem.exact)(np.asarray(radii, u.dtype)))
    print(f"coupled bounce: relative L2 error {errors['relative_l2']:.2e} (phi "
          f"{errors['relative_l2_phi']:.2e}, chi {errors['relative_l2_chi']:.2e}); "
          f"phi(0) = {u[0, 0]:.5f}, chi(0) = {u[0, 1]:.5f}; {solution.seconds:.1f} s")
    path = Path(args.out) / "coupled_bounce.png"
    profiles(radii[:, 0], u, expected, path)
    print(f"saved {path}")
    return {**errors, "seconds": solution.seconds}


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # the Gauss-Newton solve runs in float64
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
