"""Poisson's equation on an L-shaped domain: a solution with a corner singularity.

    -Δu = 1  in the L-shape [-1, 1]² minus (0, 1] × (-1, 0],   u = 0 on the boundary

(pinn's sign convention: -Δu = f, so the unit source lifts u above zero everywhere inside.)
There is no closed-form solution: near the re-entrant corner at the origin u behaves like
r^(2/3) sin(2θ/3), whose gradient is infinite there, which is what makes the problem a test
for any solver. With no exact solution to compare with, the script prints the root-mean-square
PDE residual on a grid of ~10,000 interior points, the largest value of u and the time, and
saves the solution and the training history.

Run:

    python examples/poisson_lshape.py              # Adam, then L-BFGS, float32
    python examples/poisson_lshape.py --accurate   # float64 Gauss-Newton
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax

import jaxnn
import pinn.plot
from pinn.cli import add_solve_arguments, solve_registered

NAME = "poisson_lshape"


def make_parser() -> argparse.ArgumentParser:
    parser = add_solve_arguments(argparse.ArgumentParser(description=__doc__.split("\n")[0]))
    parser.add_argument("--out", default="out", help="directory for the plot")
    return parser


def run(args: argparse.Namespace) -> dict[str, float]:
    """Solve, print and return the RMS residual, max u and the time; save the summary plot."""
    # pinn.Poisson(pinn.Polygon.l_shape(), source=1.0, bcs=[pinn.Dirichlet(0.0)])
    problem, solution, mode = solve_registered(NAME, args)

    residual = solution.residual_rms()
    u_max = float(solution(solution.test_points()).max())
    print(f"{NAME} ({mode}): RMS residual {residual:.2e}, max u {u_max:.4f}, "
          f"{solution.seconds:.1f} s")
    path = Path(args.out) / f"{NAME}.png"
    pinn.plot.summary(solution, None, problem.domain, path=path)
    print(f"saved {path}")
    return {"residual_rms": residual, "max_u": u_max, "seconds": solution.seconds}


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # float64 for --accurate (float32 stays float32)
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
