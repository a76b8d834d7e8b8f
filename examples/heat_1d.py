"""The heat equation on a rod: a time-dependent problem solved on its space-time domain.

    u_t = α u_xx  for x in [0, 1], t in [0, 1],   u(0, t) = u(1, t) = 0,   u(x, 0) = sin πx

The ends of the rod are held at zero and the initial sine profile decays as
u = exp(-απ²t) sin πx. The network takes (x, t) as one point of the domain [0, 1] × [0, 1]
(pinn.SpaceTime, time the last coordinate) and is trained, in float64 by Gauss-Newton, until
the residual u_t - α u_xx vanishes inside, u vanishes at the ends and u = sin πx at t = 0
(pinn.Initial). The whole time span is one collocation problem: there is no time stepping.
The script prints the relative L2 error against the exact solution and the time, and saves
u(x, t) with its error and history, and u at a few times against the exact profiles.

Run:

    python examples/heat_1d.py                  # ~5e-6 in ~20 s
    python examples/heat_1d.py --alpha 0.5 --steps 100 --out /tmp/heat
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
import pinn.plot
from jaxnn.plot import save_figure
from pinn.operators import partial

SETTINGS = {"layers": [20, 20, 1], "steps": 60, "n_interior": 600, "n_boundary": 100}
SLICE_TIMES = (0.0, 0.25, 0.5, 1.0)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--alpha", type=float, default=0.1, help="diffusivity α")
    parser.add_argument("--steps", type=int, default=SETTINGS["steps"],
                        help="Gauss-Newton steps")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network")
    parser.add_argument("--out", default="out", help="directory for the plots")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def heat_problem(alpha: float) -> pinn.PDE:
    """The rod: residual, end and initial conditions, exact solution. Points are (x, t)."""
    domain = pinn.SpaceTime(pinn.Interval(0.0, 1.0), 0.0, 1.0)

    def heat(u, x):  # u_t - α u_xx; time is coordinate 1
        return partial(u, 1)(x) - alpha * partial(u, 0, 2)(x)

    def exact(x):
        return jnp.exp(-alpha * jnp.pi**2 * x[1]) * jnp.sin(jnp.pi * x[0])

    bcs = [pinn.Dirichlet(0.0, on=["left", "right"]),
           pinn.Initial(lambda x: jnp.sin(jnp.pi * x[0]))]
    return pinn.PDE(domain, heat, bcs=bcs, exact=exact, name="heat_1d")


def time_slices(solution: pinn.Solution, exact, path: Path) -> Figure:
    """u(x, t) at the times of SLICE_TIMES (lines) against the exact profiles (dashes)."""
    figure = Figure(figsize=(5.5, 4.0), layout="constrained")
    ax = figure.add_subplot()
    x = np.linspace(0.0, 1.0, 201)
    for i, t in enumerate(SLICE_TIMES):
        points = np.column_stack([x, np.full_like(x, t)])
        ax.plot(x, np.asarray(solution(points)).reshape(-1), color=f"C{i}", label=f"t = {t}")
        ax.plot(x, np.asarray(jax.vmap(exact)(jnp.asarray(points))), "--", color="black",
                linewidth=0.8)
    ax.set(xlabel="x", ylabel="u(x, t)", title="PINN (lines) and exact (dashes)")
    ax.legend()
    return save_figure(figure, path)


def run(args: argparse.Namespace) -> dict[str, float]:
    """Solve, print and return the relative L2 error and the time; save the two plots."""
    problem = heat_problem(args.alpha)
    model = jaxnn.MLP(SETTINGS["layers"], activation="tanh")
    solution = pinn.solve(
        problem, model, stages=[pinn.GaussNewton(args.steps)], dtype="float64",
        collocation=pinn.Collocation(SETTINGS["n_interior"], SETTINGS["n_boundary"],
                                     method="grid"),
        seed=args.seed, log_every=10, verbose=0 if args.quiet else 1)

    error = solution.relative_l2()
    print(f"heat_1d (α = {args.alpha}): relative L2 error {error:.2e}, max error "
          f"{solution.max_error():.2e}, {solution.seconds:.1f} s")
    out = Path(args.out)
    summary = pinn.plot.summary(solution, problem.exact, problem.domain)
    for ax in summary.axes:  # the second coordinate is time here
        if ax.get_ylabel() == "y":
            ax.set_ylabel("t")
    save_figure(summary, out / "heat_1d.png")
    time_slices(solution, problem.exact, out / "heat_1d_slices.png")
    print(f"saved {out / 'heat_1d.png'} and {out / 'heat_1d_slices.png'}")
    return {"relative_l2": error, "seconds": solution.seconds}


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # the Gauss-Newton solve runs in float64
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
