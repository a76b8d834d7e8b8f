"""PINN accuracy and time: the registry problems with Adam + L-BFGS and with Gauss-Newton, and
DeepXDE (PyTorch backend) on poisson2d when it is importable.

For each problem and mode the script runs ``pinn.solve(problem, **spec.options(mode))`` with the
registry's settings (`pinn.problems`) and prints one JSON line: relative L2 error and max error
on a test grid of ~10,000 interior points (the residual RMS where there is no exact solution),
the wall time of `solve` including compilation, the time at which the error first reached
1e-2 and 1e-3 (from the per-epoch history), the bar of the issue, and the device.

Modes: ``fast`` (Adam then L-BFGS, float32) and ``accurate`` (Gauss-Newton, float64).

DeepXDE on poisson2d: the same PDE, the same collocation counts (2000 interior, 400 boundary
points), the same 3 x 32 tanh network and Adam at the learning rate of the fast pinn run's
Adam stage (1e-2; `--deepxde-lr 1e-3` for DeepXDE's usual rate), trained in chunks of
100 steps for `--deepxde-steps` steps, with the relative L2 error on the same test grid after
each chunk: its error, time and time to 1e-2 in the same run (its compilation not counted).
Install it with ``pip install torch==2.13.0 deepxde`` (CPU build of PyTorch); it is skipped
otherwise.

    python benchmarks/pinn_accuracy.py                         # every problem, both modes
    python benchmarks/pinn_accuracy.py --problems poisson2d --modes accurate
    python benchmarks/pinn_accuracy.py --no-deepxde
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import jax
import numpy as np

from pinn import problems, solver

DEFAULT_PROBLEMS = ["poisson2d", "laplace_disk", "helmholtz2d", "poisson5d", "grad_shafranov",
                    "bounce", "poisson_lshape"]


def _time_to(history: dict, seconds: float, target: float) -> float | None:
    """Wall time from the start of `solve` until the test error first reached `target`."""
    errors = history.get("relative_l2")
    if not errors:
        return None
    epoch_times = np.asarray(history["time"], float)
    setup = seconds - epoch_times.sum()  # before the first epoch: sampling, initialisation
    elapsed = setup + np.cumsum(epoch_times)
    reached = np.flatnonzero(np.asarray(errors) <= target)
    return round(float(elapsed[reached[0]]), 2) if reached.size else None


def run_pinn(name: str, mode: str, seed: int) -> dict:
    spec = problems.get(name)
    options = spec.options(mode, seed=seed)
    solution = solver.solve(spec.problem(mode), seed=seed, verbose=0, **options)
    record = {
        "benchmark": "pinn_accuracy", "problem": name, "mode": mode, "impl": "pinn.solve",
        "stages": [repr(stage) for stage in options["stages"]],
        "float64": solution.float64, "seconds": round(solution.seconds, 2),
        "stop_reason": solution.stop_reason,
    }
    if solution.problem.exact is not None:
        error = solution.relative_l2()
        bar = spec.bars.get(mode)
        record.update({
            "relative_l2": error, "max_error": solution.max_error(), "bar": bar,
            "meets_bar": None if bar is None else bool(error <= bar),
            "time_to_1e-2": _time_to(solution.history, solution.seconds, 1e-2),
            "time_to_1e-3": _time_to(solution.history, solution.seconds, 1e-3),
        })
    else:
        record["residual_rms"] = solution.residual_rms()
    return record


def run_deepxde_poisson2d(steps: int, learning_rate: float, chunk: int = 100) -> dict:
    """DeepXDE (PyTorch backend) on poisson2d, same settings as the fast pinn run's Adam stage."""
    os.environ.setdefault("DDE_BACKEND", "pytorch")
    try:
        import deepxde as dde
        import torch
    except ImportError as error:
        return {"benchmark": "pinn_accuracy", "problem": "poisson2d", "impl": "deepxde",
                "skipped": f"deepxde/torch not importable ({error})"}
    torch.set_num_threads(os.cpu_count() or 1)
    pi = np.pi

    def pde(x, u):
        u_xx = dde.grad.hessian(u, x, i=0, j=0)
        u_yy = dde.grad.hessian(u, x, i=1, j=1)
        return -u_xx - u_yy - 2 * pi**2 * torch.sin(pi * x[:, 0:1]) * torch.sin(pi * x[:, 1:2])

    geometry = dde.geometry.Rectangle([0, 0], [1, 1])
    condition = dde.icbc.DirichletBC(geometry, lambda x: 0.0, lambda x, on: on)
    data = dde.data.PDE(geometry, pde, condition, num_domain=2000, num_boundary=400)
    net = dde.nn.FNN([2] + [32] * 3 + [1], "tanh", "Glorot normal")
    model = dde.Model(data, net)
    model.compile("adam", lr=learning_rate)
    test = problems.get("poisson2d").build().domain.sample_interior(10_000, seed=1234,
                                                                    method="grid")
    exact = np.sin(pi * test[:, 0]) * np.sin(pi * test[:, 1])
    start = time.perf_counter()
    errors, times = [], []
    for _ in range(steps // chunk):
        model.train(iterations=chunk, display_every=10 * steps, verbose=0)
        predicted = model.predict(test)[:, 0]
        errors.append(float(np.linalg.norm(predicted - exact) / np.linalg.norm(exact)))
        times.append(time.perf_counter() - start)
    reached = [t for t, e in zip(times, errors, strict=True) if e <= 1e-2]
    return {
        "benchmark": "pinn_accuracy", "problem": "poisson2d", "impl": "deepxde",
        "mode": "adam", "learning_rate": learning_rate, "steps": steps, "relative_l2": errors[-1],
        "seconds": round(times[-1], 2), "time_to_1e-2": round(reached[0], 2) if reached else None,
        "deepxde_version": dde.__version__, "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=DEFAULT_PROBLEMS,
                        choices=problems.names())
    parser.add_argument("--modes", nargs="+", default=["fast", "accurate"],
                        choices=["fast", "accurate"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-deepxde", action="store_true")
    parser.add_argument("--deepxde-steps", type=int, default=2000)
    parser.add_argument("--deepxde-lr", type=float,
                        default=problems.get("poisson2d").settings["fast"]["learning_rate"],
                        help="DeepXDE's Adam learning rate (default: the fast run's)")
    args = parser.parse_args(argv)

    context = {"device": str(jax.devices()[0]), "jax_version": jax.__version__,
               "cpu_count": os.cpu_count(), "load_avg_1min": round(os.getloadavg()[0], 2)}
    records = []
    for name in args.problems:
        for mode in args.modes:
            record = {**run_pinn(name, mode, args.seed), **context}
            records.append(record)
            print(json.dumps(record), flush=True)
    if not args.no_deepxde and "poisson2d" in args.problems:
        peer = {**run_deepxde_poisson2d(args.deepxde_steps, args.deepxde_lr), **context}
        print(json.dumps(peer), flush=True)
        ours = [r for r in records if r["problem"] == "poisson2d"]
        for record in ours:
            if peer.get("time_to_1e-2") and record.get("time_to_1e-2"):
                ratio = peer["time_to_1e-2"] / record["time_to_1e-2"]
            else:
                ratio = None
            print(json.dumps({
                "benchmark": "pinn_accuracy", "problem": "poisson2d", "mode": record["mode"],
                "time_to_1e-2_speedup_vs_deepxde": None if ratio is None else round(ratio, 1),
                "note": None if ratio is not None else
                "DeepXDE did not reach 1e-2 within its steps; compare errors at equal time",
                "deepxde_relative_l2": peer.get("relative_l2"),
                "deepxde_seconds": peer.get("seconds"),
                "pinn_relative_l2": record["relative_l2"], "pinn_seconds": record["seconds"],
            }), flush=True)
    failed = [r for r in records if r.get("meets_bar") is False]
    return 1 if failed else 0


if __name__ == "__main__":
    jax.config.update("jax_enable_x64", True)  # float64 for the accurate mode
    sys.exit(main())
