"""Laplace's equation on the unit disk: a harmonic function from its boundary values alone.

    Δu = 0  in the disk r < 1,   u = cos θ on the circle r = 1   ->   u = r cos θ = x

The boundary data are handed to the solver as g(x, y) = x (x² + y²): equal to cos θ on the
circle but not harmonic inside, so that a network with the condition built in (u = g + d·N,
d = 1 - r², the `--accurate` settings) still has to learn the interior. The script prints the
relative L2 error against r cos θ and the time, the values along the radius θ = 0 (u = r, while
g = r³), and saves the solution, its error and the training history.

Run:

    python examples/laplace_disk.py              # Adam, then L-BFGS, float32: ~4e-5 in ~20 s
    python examples/laplace_disk.py --accurate   # float64 Gauss-Newton: ~1e-8
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import numpy as np

import jaxnn
import pinn.plot
from pinn.cli import add_solve_arguments, solve_registered

NAME = "laplace_disk"


def make_parser() -> argparse.ArgumentParser:
    parser = add_solve_arguments(argparse.ArgumentParser(description=__doc__.split("\n")[0]))
    parser.add_argument("--out", default="out", help="directory for the plot")
    return parser


def run(args: argparse.Namespace) -> dict[str, float]:
    """Solve, print and return the relative L2 error and the time; save the summary plot."""
    # pinn.Laplace(pinn.Disk((0, 0), 1), bcs=[pinn.Dirichlet(g)], exact=...)
    problem, solution, mode = solve_registered(NAME, args)

    error = solution.relative_l2()
    print(f"{NAME} ({mode}): relative L2 error {error:.2e}, {solution.seconds:.1f} s")
    radius = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    along_x = solution(np.stack([radius, np.zeros_like(radius)], axis=1))
    print("along θ = 0:  r   " + "  ".join(f"{r:6.2f}" for r in radius))
    print("              u   " + "  ".join(f"{u:6.3f}" for u in along_x))
    print("        g = r³    " + "  ".join(f"{r**3:6.3f}" for r in radius))
    path = Path(args.out) / f"{NAME}.png"
    pinn.plot.summary(solution, problem.exact, problem.domain, path=path)
    print(f"saved {path}")
    return {"relative_l2": error, "seconds": solution.seconds}


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # float64 for --accurate (float32 stays float32)
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
