"""Lotka-Volterra predator and prey: a system of two fields solved as one PINN.

    dx/dt = a x - b x y,     dy/dt = c x y - d y,     x(0) = x0,  y(0) = y0,   t in [0, T]

x counts the prey, y the predators (DeepXDE's Lotka-Volterra example, rescaled to O(1): here
a = 1, b = 0.5, c = 0.25, d = 0.75, so the populations circle the equilibrium (d/c, a/b) =
(3, 2); from (1, 1) the prey peak near t = 3.6, the predators near t = 4.8). The network has
two outputs, the fields "x" and "y" of `pinn.PDE(fields=("x", "y"))`; the residual returns the
two equations and each initial value is a Dirichlet condition on the part "left" (t = 0) of the
interval, naming its field. Trained in float64 by Gauss-Newton, the solution is compared with
SciPy's `solve_ivp` (DOP853, rtol 1e-10): the script prints the relative L2 error of both fields
together and of each, and saves both populations against t with the reference.

Run:

    python examples/lotka_volterra.py                  # ~6e-8 in ~25 s
    python examples/lotka_volterra.py --quick          # ~6e-5 in ~10 s
    python examples/lotka_volterra.py --T 3 --out /tmp/lv
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import jax
import numpy as np
from matplotlib.figure import Figure
from scipy.integrate import solve_ivp

import jaxnn
import pinn
from jaxnn.plot import save_figure
from pinn.operators import partial

RATES = {"a": 1.0, "b": 0.5, "c": 0.25, "d": 0.75}
START = (1.0, 1.0)  # x(0), y(0)
SETTINGS = {"layers": [20, 20, 2], "steps": 100, "n_interior": 300}
QUICK = {"layers": [16, 16, 2], "steps": 60, "n_interior": 150}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--T", type=float, default=5.0, help="final time")
    parser.add_argument("--steps", type=int, default=None, help="Gauss-Newton steps")
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network")
    parser.add_argument("--out", default="out", help="directory for the plot")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def lotka_volterra_problem(final_time: float) -> pinn.PDE:
    """The two rate equations on [0, T] with the initial populations at t = 0."""
    a, b, c, d = (RATES[name] for name in "abcd")

    def lotka_volterra(u, t):  # u["x"], u["y"]: scalar functions of one point t: (1,)
        x, y = u["x"](t), u["y"](t)
        return (partial(u["x"], 0)(t) - (a * x - b * x * y),
                partial(u["y"], 0)(t) - (c * x * y - d * y))

    bcs = [pinn.Dirichlet(START[0], on="left", field="x", hard=True),
           pinn.Dirichlet(START[1], on="left", field="y", hard=True)]
    return pinn.PDE(pinn.Interval(0.0, final_time), lotka_volterra, bcs=bcs,
                    fields=("x", "y"), name="lotka_volterra")


def reference(times: np.ndarray) -> np.ndarray:
    """SciPy's solution at `times`, (n, 2): the oracle the PINN is measured against."""
    a, b, c, d = (RATES[name] for name in "abcd")
    ode = solve_ivp(lambda t, z: [a * z[0] - b * z[0] * z[1], c * z[0] * z[1] - d * z[1]],
                    (0.0, float(times[-1])), START, t_eval=times, method="DOP853", rtol=1e-10,
                    atol=1e-12)
    return ode.y.T


def populations(times, u, expected, path: Path) -> Figure:
    """x(t) and y(t) of the PINN (lines) and of solve_ivp (dashes)."""
    figure = Figure(figsize=(6.0, 4.0), layout="constrained")
    ax = figure.add_subplot()
    for i, name in enumerate(("prey x", "predators y")):
        ax.plot(times, u[:, i], color=f"C{i}", label=f"{name} (PINN)")
        ax.plot(times, expected[:, i], "--", color="black", linewidth=0.8)
    ax.set(xlabel="t", ylabel="population", title="Lotka-Volterra: PINN (lines), solve_ivp "
           "(dashes)")
    ax.legend()
    return save_figure(figure, path)


def run(args: argparse.Namespace) -> dict[str, float]:
    """Solve, print and return the relative L2 errors and the time; save the plot."""
    settings = QUICK if args.quick else SETTINGS
    steps = args.steps or settings["steps"]
    problem = lotka_volterra_problem(args.T)
    solution = pinn.solve(
        problem, jaxnn.MLP(settings["layers"], activation="tanh"),
        stages=[pinn.GaussNewton(steps)], dtype="float64",
        collocation=pinn.Collocation(settings["n_interior"], boundary=1, method="grid"),
        seed=args.seed, log_every=10, verbose=0 if args.quiet else 1)

    times = np.linspace(0.0, args.T, 501)
    u, expected = solution(times[:, None]), reference(times)  # (n, 2): columns x, y
    errors = {"relative_l2": float(np.linalg.norm(u - expected) / np.linalg.norm(expected))}
    for i, name in enumerate(solution.fields):
        errors[f"relative_l2_{name}"] = float(
            np.linalg.norm(u[:, i] - expected[:, i]) / np.linalg.norm(expected[:, i]))
    print(f"lotka_volterra (T = {args.T}): relative L2 error {errors['relative_l2']:.2e} "
          f"(x {errors['relative_l2_x']:.2e}, y {errors['relative_l2_y']:.2e}), "
          f"{solution.seconds:.1f} s")
    path = Path(args.out) / "lotka_volterra.png"
    populations(times, u, expected, path)
    print(f"saved {path}")
    return {**errors, "seconds": solution.seconds}


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # the Gauss-Newton solve runs in float64
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
