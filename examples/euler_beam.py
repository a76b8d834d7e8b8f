"""The Euler-Bernoulli cantilever: a fourth-order equation with conditions on u'' and u'''.

    u'''' = -1  on [0, 1],   u(0) = 0,  u'(0) = 0   (clamped),   u''(1) = 0,  u'''(1) = 0   (free)

The deflection u of a beam of unit stiffness EI under a uniform load q = -1 (DeepXDE's Euler
beam example), clamped at x = 0 and free at x = 1, where the bending moment EI u'' and the
shear force EI u''' vanish. The free-end conditions are on derivatives of order 2 and 3:
each is a `pinn.OperatorBC` whose residual is written with `pinn.operators.partial`, like the
PDE's; the clamped slope is a `pinn.Derivative`. Trained in float64 by Gauss-Newton, the
solution is compared with the exact deflection u = -x⁴/24 + x³/6 - x²/4 (tip deflection
-1/8): the script prints the relative L2 errors of u and of the bending moment u'', and saves
both against the exact curves.

Run:

    python examples/euler_beam.py                  # ~4e-9 in ~10 s
    python examples/euler_beam.py --quick          # ~2e-7 in ~8 s
    python examples/euler_beam.py --steps 40 --out /tmp/beam
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
from pinn.operators import partial

SETTINGS = {"layers": [32, 1], "steps": 150, "n_interior": 48}
QUICK = {"layers": [20, 1], "steps": 80, "n_interior": 24}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=None, help="Gauss-Newton steps")
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network")
    parser.add_argument("--out", default="out", help="directory for the plot")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def deflection(x):
    """The exact deflection at one point x: (1,)."""
    x = x[0]
    return -x**4 / 24 + x**3 / 6 - x**2 / 4


def bending_moment(x):
    """The exact u'' (the bending moment over EI) at one point x: (1,)."""
    x = x[0]
    return -x**2 / 2 + x - 0.5


def euler_beam_problem() -> pinn.PDE:
    """u'''' = -1, clamped at x = 0 (u = u' = 0), free at x = 1 (u'' = u''' = 0)."""
    def beam(u, x):
        return partial(u, 0, 4)(x) + 1.0

    clamped = [pinn.Dirichlet(0.0, on="left"), pinn.Derivative(1, on="left")]
    free = [pinn.OperatorBC(lambda u, x, n: partial(u, 0, 2)(x), on="right"),   # moment
            pinn.OperatorBC(lambda u, x, n: partial(u, 0, 3)(x), on="right")]   # shear
    return pinn.PDE(pinn.Interval(0.0, 1.0), beam, bcs=clamped + free, exact=deflection,
                    name="euler_beam")


def deflection_and_moment(x: np.ndarray, u: np.ndarray, moment: np.ndarray, path: Path
                          ) -> Figure:
    """u and u'' of the PINN (lines) against the exact curves (dashes)."""
    figure = Figure(figsize=(9.0, 3.6), layout="constrained")
    points = jnp.asarray(x[:, None])
    for ax, values, exact, label in zip(
            figure.subplots(1, 2), (u, moment), (deflection, bending_moment),
            ("deflection u(x)", "bending moment u''(x)"), strict=True):
        ax.plot(x, values, label="PINN")
        ax.plot(x, np.asarray(jax.vmap(exact)(points)), "--", color="black", linewidth=0.8,
                label="exact")
        ax.set(xlabel="x", ylabel=label)
        ax.legend()
    figure.suptitle("Euler-Bernoulli cantilever, u'''' = -1: clamped at x = 0, free at x = 1")
    return save_figure(figure, path)


def run(args: argparse.Namespace) -> dict[str, float]:
    """Solve, print and return the relative L2 errors and the time; save the plot."""
    settings = QUICK if args.quick else SETTINGS
    problem = euler_beam_problem()
    solution = pinn.solve(
        problem, jaxnn.MLP(settings["layers"], activation="tanh"),
        stages=[pinn.GaussNewton(args.steps or settings["steps"])], dtype="float64",
        collocation=pinn.Collocation(settings["n_interior"], boundary=1, method="grid"),
        seed=args.seed, log_every=20, verbose=0 if args.quiet else 1)

    x = np.linspace(0.0, 1.0, 201)
    u = np.asarray(solution(x[:, None])).reshape(-1)
    u_of_point = solution.field(solution.params)  # the trained u, a function of one point
    moment = np.asarray(jax.vmap(partial(u_of_point, 0, 2))(jnp.asarray(x[:, None])))
    exact_u = np.asarray(jax.vmap(deflection)(jnp.asarray(x[:, None])))
    exact_moment = np.asarray(jax.vmap(bending_moment)(jnp.asarray(x[:, None])))
    figures = {"relative_l2": float(np.linalg.norm(u - exact_u) / np.linalg.norm(exact_u)),
               "relative_l2_moment": float(np.linalg.norm(moment - exact_moment)
                                           / np.linalg.norm(exact_moment)),
               "tip_deflection": float(u[-1]), "seconds": solution.seconds}
    print(f"euler_beam: relative L2 error {figures['relative_l2']:.2e} (u'' "
          f"{figures['relative_l2_moment']:.2e}), tip deflection {figures['tip_deflection']:.6f} "
          f"(exact -0.125), {solution.seconds:.1f} s")
    path = Path(args.out) / "euler_beam.png"
    deflection_and_moment(x, u, moment, path)
    print(f"saved {path}")
    return figures


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # the Gauss-Newton solve runs in float64
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
