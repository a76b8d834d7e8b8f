"""Poisson's equation on the unit square: the whole pinn workflow on one page.

    -Δu = f  in [0, 1]²,   u = 0 on the boundary,   f(x, y) = 2π² sin πx sin πy

pinn writes Poisson's equation with a minus sign, -Δu = f (a positive source makes a positive
bump, as for the electrostatic potential of a positive charge). The exact solution is
u = sin πx sin πy. A tanh network u_θ(x, y) is trained until the residual -Δu_θ - f, computed by
forward-mode automatic differentiation, vanishes at collocation points inside the square;
u_θ = 0 on its edges is built into the network. The script prints the relative L2 error against
the exact solution and the time, and saves the solution, its error and the training history.

Run:

    python examples/poisson_2d.py               # Adam, then L-BFGS, float32: ~5e-5 in ~25 s
    python examples/poisson_2d.py --accurate    # float64 Gauss-Newton: ~1e-8 in ~20 s
    python examples/poisson_2d.py --steps 300 1200 --seed 1 --out /tmp/poisson
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import jax.numpy as jnp

import jaxnn
import pinn
import pinn.plot

# The settings of `pinn solve poisson2d` (pinn/problems/_registry.py), written out.
SETTINGS = {
    # Adam (learning rate 1e-2, decaying to 1e-3) then L-BFGS, float32: the usual PINN recipe,
    # on a 2000-point grid, with u = 0 built into the network (u = d(x, y) N(x, y), d a
    # distance function that vanishes on the edges).
    "fast": {"layers": [32, 32, 32, 1], "steps": (300, 1200), "learning_rate": 1e-2,
             "interior": 2000, "dtype": "float32"},
    # Gauss-Newton in float64 on a 1500-point grid, with the same built-in boundary condition.
    "accurate": {"layers": [20, 20, 1], "steps": (150,), "interior": 1500, "dtype": "float64"},
}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accurate", action="store_true",
                        help="float64 Gauss-Newton instead of float32 Adam + L-BFGS")
    parser.add_argument("--steps", type=int, nargs="+", help="steps per optimizer stage")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network and points")
    parser.add_argument("--out", default="out", help="directory for the plot")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def run(args: argparse.Namespace) -> dict[str, float]:
    """Solve, print and return the relative L2 error and the time; save the summary plot."""
    # The problem: a domain, a source, a boundary condition, and the exact solution (to
    # measure the error). Functions of position take ONE point x = (x, y).
    domain = pinn.Rectangle((0.0, 0.0), (1.0, 1.0))

    def exact(x):
        return jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])

    def source(x):
        return 2 * jnp.pi**2 * exact(x)

    problem = pinn.Poisson(domain, source=source, bcs=[pinn.Dirichlet(0.0, hard=True)],
                           exact=exact, name="poisson_2d")

    # The network (one output, the field u) and the solver.
    mode = "accurate" if args.accurate else "fast"
    settings = SETTINGS[mode]
    model = jaxnn.MLP(settings["layers"], activation="tanh")
    steps = tuple(args.steps) if args.steps else settings["steps"]
    if len(steps) != len(settings["steps"]):
        raise SystemExit(f"--steps: give {len(settings['steps'])} step count(s) for the {mode} "
                         f"stages, e.g. --steps {' '.join(map(str, settings['steps']))}.")
    stages = ([pinn.Adam(steps[0], learning_rate=settings["learning_rate"]),
               pinn.LBFGS(steps[1])] if mode == "fast" else [pinn.GaussNewton(steps[0])])
    solution = pinn.solve(problem, model, stages=stages, dtype=settings["dtype"],
                          collocation=pinn.Collocation(settings["interior"], method="grid"),
                          seed=args.seed, log_every=25, verbose=0 if args.quiet else 1)

    # The error on a grid of ~10,000 points, and a picture.
    error = solution.relative_l2()
    print(f"poisson_2d ({mode}): relative L2 error {error:.2e}, max error "
          f"{solution.max_error():.2e}, {solution.seconds:.1f} s")
    path = Path(args.out) / "poisson_2d.png"
    pinn.plot.summary(solution, exact, domain, path=path)
    print(f"saved {path}")
    return {"relative_l2": error, "seconds": solution.seconds}


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # float64 for --accurate (float32 stays float32)
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
