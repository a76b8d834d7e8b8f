"""The Helmholtz equation on the unit square: a wave field two wavelengths across.

    Δu + k²u = f  in [0, 1]²,   u = 0 on the boundary,   k = 4π,   f = -k² sin kx sin ky

pinn writes Helmholtz's equation as Δu + k²u = f (DeepXDE writes -Δu - k²u = f, the same
equation with f -> -f). The exact solution is u = sin kx sin ky: two full wavelengths
λ = 2π/k = 1/2 along each side. Oscillatory solutions are hard for tanh networks, which learn
low frequencies first; the registry's settings use sin activations (a SIREN-like network). The
script prints the relative L2 error and the time, and saves the solution, its error and the
training history.

Run:

    python examples/helmholtz_2d.py              # Adam, then L-BFGS, float32
    python examples/helmholtz_2d.py --accurate   # float64 Gauss-Newton: ~1e-5 in ~60 s
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import numpy as np

import jaxnn
import pinn
import pinn.plot
from pinn.cli import add_solve_arguments, registry_problem

NAME = "helmholtz2d"


def make_parser() -> argparse.ArgumentParser:
    parser = add_solve_arguments(argparse.ArgumentParser(description=__doc__.split("\n")[0]))
    parser.add_argument("--out", default="out", help="directory for the plot")
    return parser


def run(args: argparse.Namespace) -> dict[str, float]:
    """Solve, print and return the relative L2 error and the time; save the summary plot."""
    # pinn.Helmholtz(pinn.Rectangle((0, 0), (1, 1)), k=4π, source=f, bcs=[pinn.Dirichlet(0.0)])
    problem, settings, mode = registry_problem(NAME, args)
    wavelength = 2 * np.pi / problem.k
    print(f"k = {problem.k:.4f}: wavelength {wavelength:.3f}, about "
          f"{np.sqrt(settings['collocation'].interior) * wavelength:.0f} collocation points per "
          "wavelength along each axis")
    solution = pinn.solve(problem, seed=args.seed, verbose=0 if args.quiet else 1, **settings)

    error = solution.relative_l2()
    print(f"{NAME} ({mode}): relative L2 error {error:.2e}, {solution.seconds:.1f} s")
    path = Path(args.out) / "helmholtz_2d.png"
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
