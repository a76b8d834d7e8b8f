"""Time per step and peak memory of each Gauss-Newton solver, by parameters P and residuals N.

The problem is Poisson 2-D, -Δu = 2π² sin πx sin πy on the unit square with u = 0 imposed
exactly (``Dirichlet(0.0, hard=True)``), so N is the number of interior collocation points; the
network is a tanh MLP with two hidden layers of width w, P = w² + 5w + 1, w chosen for P
nearest each target. Each point (solver, P, N) runs in a fresh Python process.
``seconds_per_step`` is the median, over `--steps` compiled calls of two Gauss-Newton steps
after the first call (compilation), of the call's time over two; each step is a full step
(Jacobian or sketch, the damped solves, the geodesic acceleration and the line search).
``peak_rss_mb`` is that process's maximum resident set size (its own ``ru_maxrss``), Python,
JAX and compilation included. A solver refused for memory (`pinn.GaussNewton.check`, before
anything is allocated) prints ``skipped`` with the reason, as does a point that runs past
``--timeout``. "cg" runs a fixed ``--cg-iterations`` per solve (tolerance 0) with a Nyström
preconditioner of rank ``--rank`` renewed every 5 steps, so that its time is the cost of an
iteration budget, not of a convergence rate. "dense" is run up to its memory limit, past its
default parameter limit (`pinn.solver._gauss_newton.DENSE_PARAMETER_LIMIT`), to show the cost that
limit avoids.

    python benchmarks/gauss_newton_scaling.py --quick     # P = 1e3, N = 1e3 only
    python benchmarks/gauss_newton_scaling.py             # P, N in {1e3, 1e4, 1e5}
    python benchmarks/gauss_newton_scaling.py --bar       # the accuracy bar (see below)

One JSON line per point: ``variant``, ``P``, ``N``, ``seconds_per_step``, ``peak_rss_mb``,
``device``, ``skipped`` (null, or why).

``--bar``: a network of at least 10^4 parameters solves that Poisson problem to a relative L2
error (on a 100 x 100 grid) of at most 1e-7, in float64, within 10 minutes on 2 CPU cores and
under 2 GB; it prints ``relative_l2``, ``seconds`` (wall, compilation included),
``cpu_seconds`` and ``peak_rss_mb``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

# OpenBLAS (NumPy's, and through SciPy the LAPACK that jaxlib calls for LU and Cholesky) spins
# its threads at barriers: on a small machine that XLA's own thread pool (and other work)
# keeps busy, a threaded LU of 1000 x 1000 then takes ten times longer than a one-thread one.
# The children inherit this; set OPENBLAS_NUM_THREADS yourself to measure otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
SIZES = (1_000, 10_000, 100_000)
PER_EPOCH = 2  # steps per compiled call: the host's wake-up between calls is shared by two
VARIANTS = ("dense", "kernel", "cg")
# the --bar run: a tanh MLP [2, 100, 100, 1] (10,501 parameters) on 2000 Sobol points,
# Gauss-Newton with the default solver ("auto": the kernel form here, N < P)
BAR = {"width": 100, "interior": 2000, "method": "sobol", "steps": 200, "solver": "auto"}


def width_for(params: int) -> int:
    """The hidden width w whose MLP [2, w, w, 1] has nearest `params` parameters."""
    return max(1, round((-5 + math.sqrt(25 - 4 * (1 - params))) / 2))


def poisson(with_exact: bool):
    import jax.numpy as jnp

    import pinn

    def exact(x):
        return jnp.sin(jnp.pi * x[0]) * jnp.sin(jnp.pi * x[1])

    return pinn.Poisson(pinn.Rectangle((0.0, 0.0), (1.0, 1.0)),
                        source=lambda x: 2 * jnp.pi**2 * exact(x),
                        bcs=[pinn.Dirichlet(0.0, hard=True)],
                        exact=exact if with_exact else None)


def device_name() -> str:
    import jax

    device = jax.devices()[0]
    return f"{device.platform}:{device.device_kind} x{jax.device_count()} ({os.cpu_count()} cpus)"


def run_point(variant: str, params: int, points: int, steps: int, rank: int,
              iterations: int, max_bytes: int | None) -> dict:
    """One (variant, P, N) measurement in this process (the child)."""
    import jaxnn
    import pinn
    from pinn.solver._gn_memory import check_memory

    class MemoryLimitOnly(pinn.GaussNewton):
        """The stage with its memory check but not the dense parameter limit."""

        def check(self, num_params, num_residuals=None):
            check_memory(self.solver, num_residuals, num_params, available=max_bytes)

    width = width_for(params)
    options = {"rank": rank, "cg_iterations": iterations, "cg_tolerance": 0.0} \
        if variant == "cg" else {}
    stage = MemoryLimitOnly(PER_EPOCH * (steps + 1), solver=variant, **options)
    actual = width * width + 5 * width + 1
    line = {"variant": variant, "P": actual, "N": points, "width": width,
            "device": device_name(), "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS")}
    try:
        stage.check(actual, points)
    except ValueError as error:
        return {**line, "seconds_per_step": None, "skipped": str(error)}
    stamps: list[float] = []
    start = time.perf_counter()
    pinn.solve(poisson(False), jaxnn.MLP([width, width, 1], activation="tanh"),
               stages=[stage], dtype="float64", collocation=pinn.Collocation(interior=points),
               log_every=PER_EPOCH, verbose=0, callbacks=[lambda epoch, logs: stamps.append(
                   time.perf_counter())])
    per_step = [(b - a) / PER_EPOCH for a, b in zip(stamps, stamps[1:], strict=False)]
    extra = {"rank": rank, "cg_iterations": iterations} if variant == "cg" else {}
    return {**line, **extra, "seconds_per_step": statistics.median(per_step),
            "compile_and_first_call_seconds": stamps[0] - start, "skipped": None}


def run_bar(seed: int) -> dict:
    """The accuracy bar in this process (the child)."""
    import resource

    import jax

    import jaxnn
    import pinn
    from pinn.solver._gn_memory import choose_solver

    start = time.perf_counter()
    width = BAR["width"]
    solution = pinn.solve(
        poisson(True), jaxnn.MLP([width, width, 1], activation="tanh"),
        stages=[pinn.GaussNewton(BAR["steps"], solver=BAR["solver"])], dtype="float64",
        collocation=pinn.Collocation(interior=BAR["interior"], method=BAR["method"]),
        log_every=10, verbose=0, seed=seed)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    params = sum(leaf.size for leaf in jax.tree_util.tree_leaves(solution.params))
    return {"bar": "poisson2d", "seed": seed,
            "openblas_threads": os.environ.get("OPENBLAS_NUM_THREADS"), "P": params,
            "N": BAR["interior"], "solver": BAR["solver"],
            "resolved_solver": choose_solver(BAR["interior"], params), "steps": BAR["steps"],
            "method": BAR["method"], "relative_l2": solution.history["relative_l2"][-1],
            "relative_l2_every_10_steps": solution.history["relative_l2"],
            "seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "device": device_name()}


def in_child(arguments: list[str], timeout: float) -> tuple[dict | None, float, str]:
    """Run this script with `arguments` in a fresh process: (its JSON line or None, its
    peak RSS in MB, its output tail). The child reports its own ``ru_maxrss``
    (RUSAGE_SELF at its end): the parent's RUSAGE_CHILDREN would be the maximum over all
    children so far, not this one's."""
    environment = {**os.environ, "JAX_ENABLE_X64": "1"}
    process = subprocess.Popen([sys.executable, __file__, *arguments], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=environment)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        return None, math.nan, f"timeout after {timeout:.0f} s"
    lines = [line for line in output.splitlines() if line.startswith("{")]
    if process.returncode != 0 or not lines:
        return None, math.nan, output[-2000:]
    line = json.loads(lines[-1])
    return line, line.pop("peak_rss_mb_self", math.nan), ""


def child_main(arguments: argparse.Namespace) -> None:
    import resource

    import jax

    jax.config.update("jax_enable_x64", True)
    if arguments.bar_run:
        line = run_bar(arguments.seed)
    else:
        variant, params, points = arguments.point
        limit = None if arguments.max_memory_gb is None else int(arguments.max_memory_gb * 1e9)
        line = run_point(variant, int(params), int(points), arguments.steps, arguments.rank,
                         arguments.cg_iterations, limit)
    line["peak_rss_mb_self"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(line), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smallest points only")
    parser.add_argument("--bar", action="store_true", help="the accuracy bar run")
    parser.add_argument("--seed", type=int, default=0, help="of the bar run (network, points)")
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--params", nargs="+", type=float, default=list(SIZES))
    parser.add_argument("--points", nargs="+", type=float, default=list(SIZES))
    parser.add_argument("--steps", type=int, default=3,
                        help="timed calls (of 2 steps each) after the first")
    parser.add_argument("--rank", type=int, default=50)
    parser.add_argument("--cg-iterations", type=int, default=50)
    parser.add_argument("--timeout", type=float, default=600, help="seconds per point")
    parser.add_argument("--max-memory-gb", type=float, default=None,
                        help="refuse dense and kernel beyond this (default: the machine's "
                             "memory, as pinn.GaussNewton does)")
    parser.add_argument("--point", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--bar-run", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.point or arguments.bar_run:
        child_main(arguments)
        return
    if arguments.bar:
        line, peak, failure = in_child(["--bar-run", "--seed", str(arguments.seed)], 3600)
        print(json.dumps({**(line or {"bar": "poisson2d", "skipped": failure}),
                          "peak_rss_mb": peak}), flush=True)
        return
    params = [SIZES[0]] if arguments.quick else [int(p) for p in arguments.params]
    points = [SIZES[0]] if arguments.quick else [int(n) for n in arguments.points]
    for p in params:
        for n in points:
            for variant in arguments.variants:
                line, peak, failure = in_child(
                    ["--point", variant, str(p), str(n), "--steps", str(arguments.steps),
                     "--rank", str(arguments.rank), "--cg-iterations",
                     str(arguments.cg_iterations)] + (
                         [] if arguments.max_memory_gb is None else
                         ["--max-memory-gb", str(arguments.max_memory_gb)]), arguments.timeout)
                if line is None:
                    line = {"variant": variant, "P": p, "N": n, "seconds_per_step": None,
                            "skipped": failure}
                print(json.dumps({**line, "peak_rss_mb": None if math.isnan(peak) else
                                  round(peak, 1)}), flush=True)


if __name__ == "__main__":
    main()
