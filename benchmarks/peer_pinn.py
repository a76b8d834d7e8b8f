"""The pinn half of `pinn_peer.py`: DeepXDE's example suite posed and solved with `pinn`.

Each problem of `peer_problems.PROBLEMS` is written here as a `pinn.PDE` in a few lines (the
same equations, domains and constants as DeepXDE's examples) and solved in one of two modes:

- ``accurate``: float64, Gauss-Newton (Levenberg-Marquardt), small tanh networks, Dirichlet
  and initial values built into the network (``hard=True``) where the data allow it;
- ``fast``: float32, Adam then L-BFGS, the same problem and network.

The error is measured on the problem's test grid against its reference, exactly as DeepXDE's
run is (`peer_problems`). Time is the wall time of `pinn.solve`, compilation included: every
program is compiled afresh (a first run), unless ``--persistent-cache`` reuses those an
earlier run kept on disk (a second run of the same script: on small problems 2-3x faster).

    python benchmarks/peer_pinn.py --problems heat burgers --modes accurate
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
from peer_problems import (
    ALLEN_CAHN_D,
    BURGERS_NU,
    HEAT,
    HELMHOLTZ_K0,
    LORENZ,
    LORENZ_START,
    LV,
    PROBLEMS,
    WAVE,
)

import jaxnn
import pinn
from pinn.operators import laplacian, partial

PI = jnp.pi
MODES = ("accurate", "fast")


@dataclass
class Setup:
    """A problem as pinn poses it, and how each mode solves it."""

    problem: pinn.PDE
    layers: list[int]
    interior: int
    boundary: int = 0
    gauss_newton: int = 100  # steps of the accurate mode
    adam_lbfgs: tuple[int, int] = (2000, 5000)  # steps of the fast mode
    method: str = "grid"
    activation: str = "tanh"
    windows: int = 1  # time windows solved one after the other (pinn.march) when above 1
    warm_start: bool = False  # pinn.march: each window starts from the last one's network
    refinement: dict | None = None  # pinn.Refinement settings (with uniform points)


def _space_time(lo: float, hi: float, t1: float) -> pinn.SpaceTime:
    return pinn.SpaceTime(pinn.Interval(lo, hi), 0.0, t1)


def heat() -> Setup:
    a, n = HEAT["a"], HEAT["n"]

    def residual(u, x):  # u_t - a u_xx; x = (x, t)
        return partial(u, 1)(x) - a * partial(u, 0, 2)(x)

    ends_and_start = pinn.Dirichlet(lambda x: jnp.sin(n * PI * x[0]),
                                    on=["left", "right", "initial"], hard=True)
    return Setup(pinn.PDE(_space_time(0, 1, 1), residual, bcs=[ends_and_start]),
                 [20, 20, 1], interior=800, gauss_newton=100)


def _diffusion_source(x):
    return jnp.exp(-x[1]) * (jnp.sin(PI * x[0]) - PI**2 * jnp.sin(PI * x[0]))


def diffusion_1d() -> Setup:
    def residual(u, x):
        return partial(u, 1)(x) - partial(u, 0, 2)(x) + _diffusion_source(x)

    data = pinn.Dirichlet(lambda x: jnp.sin(PI * x[0]), on=["left", "right", "initial"],
                          hard=True)
    return Setup(pinn.PDE(_space_time(-1, 1, 1), residual, bcs=[data]), [20, 20, 1],
                 interior=600, gauss_newton=60)


def diffusion_inverse() -> Setup:
    points, values = PROBLEMS["diffusion_inverse"].observations()

    def residual(u, x, k):  # u_t - C u_xx + f; C unknown, DeepXDE starts it at 2
        return partial(u, 1)(x) - k["C"] * partial(u, 0, 2)(x) + _diffusion_source(x)

    data = pinn.Dirichlet(lambda x: jnp.sin(PI * x[0]), on=["left", "right", "initial"],
                          hard=True)
    problem = pinn.PDE(_space_time(-1, 1, 1), residual, unknowns=[pinn.Unknown("C", 2.0)],
                       bcs=[data, pinn.Observations(points, values[:, 0])])
    # 500 points, 120 steps: C to 4e-9..6e-7 over seeds 0-5; 700 points, 80 steps (the
    # earlier setting) leaves seeds 1 and 2 at 3e-6 and 6e-6
    return Setup(problem, [20, 20, 1], interior=500, gauss_newton=120)


def wave() -> Setup:
    a, c = WAVE["A"], WAVE["C"]

    def residual(u, x):  # u_tt - C^2 u_xx, scaled by 1/C^2
        return partial(u, 1, 2)(x) / c**2 - partial(u, 0, 2)(x)

    start = pinn.Dirichlet(lambda x: jnp.sin(PI * x[0]) + jnp.sin(a * PI * x[0]),
                           on=["left", "right", "initial"], hard=True)
    # ten periods of the fast mode in time: ten windows of one; quasi-random points (an even
    # grid spaces t like x and leaves a window of 0.1 eight time levels: 0.8 error, not 6e-3)
    return Setup(pinn.PDE(_space_time(0, 1, 1), residual, bcs=[start, pinn.InitialRate(0.0)]),
                 [30, 30, 1], interior=600, boundary=60, gauss_newton=80, method="sobol",
                 windows=10)


def klein_gordon() -> Setup:
    def residual(u, x):  # u_tt - u_xx + u^2 + x cos t - x^2 cos^2 t
        return (partial(u, 1, 2)(x) - partial(u, 0, 2)(x) + u(x) ** 2 + x[0] * jnp.cos(x[1])
                - (x[0] * jnp.cos(x[1])) ** 2)

    # the data x cos t on the ends and x at t = 0 stay soft: their only smooth interpolant
    # built from them is the solution itself
    bcs = [pinn.Dirichlet(lambda x: x[0] * jnp.cos(x[1]), on=["left", "right"]),
           pinn.Initial(lambda x: x[0]), pinn.InitialRate(0.0)]
    # ten time units in one network: still converging at 100 steps (2.0e-4 in 37 s), 5.5e-6
    # at 200 (65 s, December 4); a [30, 30, 30, 1] network on 2500 points: 3.7e-6 in 218 s
    return Setup(pinn.PDE(_space_time(-1, 1, 10), residual, bcs=bcs), [30, 30, 1],
                 interior=1500, boundary=100, gauss_newton=200)


def burgers() -> Setup:
    def residual(u, x):
        return partial(u, 1)(x) + u(x) * partial(u, 0)(x) - BURGERS_NU * partial(u, 0, 2)(x)

    data = pinn.Dirichlet(lambda x: -jnp.sin(PI * x[0]), on=["left", "right", "initial"],
                          hard=True)
    # the shock at x = 0: four windows in time, each started from the last one's network,
    # points added where the residual is largest; 60 steps a window: 3.3e-4, 4.1e-4 and
    # 1.9e-4 for seeds 0, 2, 1 (56 s); 80: 1.3e-4 and 1.4e-4 for seeds 0 and 2 (70 s)
    return Setup(pinn.PDE(_space_time(-1, 1, 0.99), residual, bcs=[data]), [20, 20, 20, 1],
                 interior=1500, gauss_newton=80, method="uniform", windows=4, warm_start=True,
                 refinement={"every": 20, "add": 300, "candidates": 20_000, "rounds": 2})


def allen_cahn() -> Setup:
    def residual(u, x):
        return partial(u, 1)(x) - ALLEN_CAHN_D * partial(u, 0, 2)(x) - 5 * (u(x) - u(x) ** 3)

    data = pinn.Dirichlet(lambda x: x[0] ** 2 * jnp.cos(PI * x[0]),
                          on=["left", "right", "initial"], hard=True)
    # 1500 points, 60 steps a window: 2.0e-4 in 227 s (2000 and 80: 4.2e-4 in 605 s, when
    # each window compiled its own program)
    return Setup(pinn.PDE(_space_time(-1, 1, 1), residual, bcs=[data]), [30, 30, 30, 1],
                 interior=1500, gauss_newton=60, method="uniform", windows=5, warm_start=True,
                 refinement={"every": 20, "add": 300, "candidates": 20_000, "rounds": 3})


def lotka_volterra() -> Setup:
    ub, rb = LV["ub"], LV["rb"]

    def residual(u, t):
        x, y = u["x"](t), u["y"](t)
        return (partial(u["x"], 0)(t) - rb * (2.0 * x - 0.04 * ub * x * y),
                partial(u["y"], 0)(t) - rb * (0.02 * ub * x * y - 1.06 * y))

    bcs = [pinn.Dirichlet(LV["start"][0], on="left", field="x", hard=True),
           pinn.Dirichlet(LV["start"][1], on="left", field="y", hard=True)]
    problem = pinn.PDE(pinn.Interval(0.0, 1.0), residual, bcs=bcs, fields=("x", "y"))
    # four periods: solved window after window (pinn.march), each window a fraction of one.
    # 10 windows are fragile: a window can stall in a wrong minimum and the later ones
    # diverge (seeds 0, 1, 2, a program per window: 1.4e-5, 9.8e-5, diverged; one shared
    # program: all three diverge); 20 windows, shared: 4.0e-6, 1.4e-5, 1.5e-5
    return Setup(problem, [20, 20, 2], interior=100, gauss_newton=80, windows=20,
                 warm_start=True)


def euler_beam() -> Setup:
    def residual(u, x):
        return partial(u, 0, 4)(x) + 1.0

    bcs = [pinn.Dirichlet(0.0, on="left"), pinn.Derivative(1, on="left"),
           pinn.Derivative(2, on="right"), pinn.Derivative(3, on="right")]
    return Setup(pinn.PDE(pinn.Interval(0.0, 1.0), residual, bcs=bcs), [32, 1],
                 interior=48, boundary=1, gauss_newton=150)


def poisson_periodic() -> Setup:
    def residual(u, x):
        return -partial(u, 0, 2)(x) - PI**2 * jnp.sin(PI * x[0])

    bcs = [pinn.Dirichlet(0.0, on="left"), pinn.Periodic(axis=0, derivatives=0)]
    return Setup(pinn.PDE(pinn.Interval(-1.0, 1.0), residual, bcs=bcs), [32, 1],
                 interior=100, boundary=1, gauss_newton=100)


def poisson_robin() -> Setup:
    def residual(u, x):
        return partial(u, 0, 2)(x) - 2.0

    bcs = [pinn.Dirichlet(0.0, on="left", hard=True), pinn.Robin(-1.0, 1.0, on="right")]
    return Setup(pinn.PDE(pinn.Interval(-1.0, 1.0), residual, bcs=bcs), [20, 20, 1],
                 interior=100, boundary=1, gauss_newton=60)


def helmholtz2d() -> Setup:
    k0 = HELMHOLTZ_K0

    def residual(u, x):
        return (-laplacian(u)(x) - k0**2 * u(x)
                - k0**2 * jnp.sin(k0 * x[0]) * jnp.sin(k0 * x[1])) / k0**2

    problem = pinn.PDE(pinn.Rectangle([0, 0], [1, 1]), residual,
                       bcs=[pinn.Dirichlet(0.0, hard=True)])
    # sine units, as DeepXDE's own Helmholtz example uses (and the registry's helmholtz2d)
    return Setup(problem, [30, 30, 1], interior=2500, gauss_newton=160, activation="sin")


def lorenz_inverse() -> Setup:
    times, values = PROBLEMS["lorenz_inverse"].observations()

    def residual(u, t, k):
        x, y, z = u["x"](t), u["y"](t), u["z"](t)
        return (partial(u["x"], 0)(t) - k["C1"] * (y - x),
                partial(u["y"], 0)(t) - x * (k["C2"] - z) + y,
                partial(u["z"], 0)(t) - x * y + k["C3"] * z)

    names = ("x", "y", "z")
    bcs = [pinn.Dirichlet(start, on="left", field=name, hard=True)
           for name, start in zip(names, LORENZ_START, strict=True)]
    bcs += [pinn.Observations(times, values[:, i], field=name) for i, name in enumerate(names)]
    problem = pinn.PDE(pinn.Interval(0.0, 3.0), residual, bcs=bcs, fields=names,
                       unknowns=[pinn.Unknown(name, 1.0) for name in LORENZ])
    # a [30, 30, 3] network stalls near 1e-4; 400 points: 7.5e-6 in 200 steps (600: 2.1e-5)
    return Setup(problem, [40, 40, 3], interior=400, gauss_newton=200)


SETUPS: dict[str, Callable[[], Setup]] = {
    "heat": heat, "diffusion_1d": diffusion_1d, "wave": wave, "klein_gordon": klein_gordon,
    "burgers": burgers, "allen_cahn": allen_cahn, "lotka_volterra": lotka_volterra,
    "euler_beam": euler_beam, "poisson_periodic": poisson_periodic,
    "poisson_robin": poisson_robin, "helmholtz2d": helmholtz2d,
    "diffusion_inverse": diffusion_inverse, "lorenz_inverse": lorenz_inverse,
}


def run_pinn(name: str, mode: str = "accurate", seed: int = 0, scale: float = 1.0) -> dict:
    """Solve problem `name` in `mode`; its error on the shared test grid, time, settings."""
    if mode == "accurate" and not jax.config.jax_enable_x64:
        raise RuntimeError("run_pinn(mode='accurate') needs float64: call "
                           "jax.config.update('jax_enable_x64', True) at the program's start.")
    setup, peer = SETUPS[name](), PROBLEMS[name]
    if mode == "accurate":
        stages = [pinn.GaussNewton(max(1, round(setup.gauss_newton * scale)))]
        dtype = "float64"
    else:
        adam, lbfgs = (max(1, round(n * scale)) for n in setup.adam_lbfgs)
        stages, dtype = [pinn.Adam(adam, 1e-3), pinn.LBFGS(lbfgs)], "float32"
    collocation = pinn.Collocation(setup.interior, setup.boundary or 1, method=setup.method,
                                   refinement=setup.refinement)
    model = jaxnn.MLP(setup.layers, activation=setup.activation)
    options = {"stages": stages, "collocation": collocation, "dtype": dtype, "seed": seed,
               "verbose": 0, "log_every": 10 if mode == "accurate" else 500}
    solution = pinn.march(setup.problem, model, windows=setup.windows,
                          warm_start=setup.warm_start, **options) \
        if setup.windows > 1 else pinn.solve(setup.problem, model, **options)
    predicted = solution(peer.test_points())
    warm = " (warm start)" if setup.warm_start else ""
    windows = f"{setup.windows} time windows{warm}, " if setup.windows > 1 else ""
    record = {"impl": "pinn", "problem": name, "config": mode,
              "relative_l2": peer.error(predicted), "seconds": round(solution.seconds, 2),
              "settings": f"MLP {setup.layers} {setup.activation}, "
                          f"{setup.interior} points ({setup.method}), " + windows
                          + ", ".join(repr(stage) for stage in stages) + f", {dtype}"}
    if peer.truth:
        record["coefficients"] = solution.unknowns
        record["coefficient_error"] = peer.coefficient_error(solution.unknowns)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(SETUPS), choices=list(SETUPS))
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every step count")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--persistent-cache", action="store_true",
                        help="reuse programs compiled by an earlier run (jaxnn.use_persistent_"
                             "cache): the times then leave most compilation out")
    args = parser.parse_args(argv)
    if args.persistent_cache:
        jaxnn.use_persistent_cache()
    for name in args.problems:
        for mode in args.modes:
            record = run_pinn(name, mode, args.seed, args.scale)
            print(json.dumps({**record, "cpu_count": os.cpu_count()}), flush=True)
    return 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # the accurate mode runs in float64
    sys.exit(main())
