"""Laplacian speed: `pinn.operators.laplacian` (forward mode) against the trace of a Hessian.

The network is a 4 x 50 tanh MLP on 2-D points (the classic PINN size); the Laplacian is
evaluated at 10,000 points, each way jitted and vmapped over the points:

- ``pinn_forward``: `pinn.operators.laplacian`, a jvp of a jvp per coordinate.
- ``trace_of_hessian``: ``jnp.trace(jax.hessian(u)(x))``, what a hand-written PINN often does
  (`jax.hessian` is forward over reverse).
- ``trace_of_hessian_rev_rev``: ``jnp.trace(jax.jacrev(jax.grad(u))(x))``, reverse over reverse.

Also the gradient of a PINN loss (mean squared Laplacian) with respect to the parameters, the
quantity a training step needs, each way. One JSON line per measurement (µs per point, the
median of repeats, compilation excluded), then the ratios.

    python benchmarks/laplacian_speed.py [--points 10000] [--repeats 20] [--float64]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import jax
import jax.numpy as jnp
import numpy as np

import jaxnn
from pinn import operators


def _timed(fn, *args, repeats: int) -> float:
    """Median seconds per call of a jitted function (after one compiling call)."""
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--float64", action="store_true")
    args = parser.parse_args(argv)
    jax.config.update("jax_enable_x64", args.float64)
    dtype = jnp.float64 if args.float64 else jnp.float32

    model = jaxnn.MLP([50, 50, 50, 50, 1], activation="tanh")
    params = model.init(jax.random.PRNGKey(0), jnp.zeros((1, 2)))
    params = jax.tree_util.tree_map(lambda a: a.astype(dtype), params)
    points = jnp.asarray(np.random.default_rng(0).uniform(size=(args.points, 2)), dtype)

    def field(p):
        return lambda x: model.apply(p, x)[0]

    variants = {
        "pinn_forward": lambda p: operators.laplacian(field(p)),
        "trace_of_hessian": lambda p: lambda x: jnp.trace(jax.hessian(field(p))(x)),
        "trace_of_hessian_rev_rev": lambda p: lambda x: jnp.trace(
            jax.jacrev(jax.grad(field(p)))(x)),
    }
    reference = None
    results: dict[str, dict[str, float]] = {}
    for name, laplacian in variants.items():
        evaluate = jax.jit(lambda p, xs, laplacian=laplacian: jax.vmap(laplacian(p))(xs))
        values = evaluate(params, points)
        reference = values if reference is None else reference
        loss_grad = jax.jit(jax.grad(
            lambda p, xs, laplacian=laplacian: jnp.mean(jax.vmap(laplacian(p))(xs) ** 2)))
        seconds = _timed(evaluate, params, points, repeats=args.repeats)
        grad_seconds = _timed(loss_grad, params, points, repeats=max(3, args.repeats // 4))
        results[name] = {"laplacian": seconds, "loss_gradient": grad_seconds}
        print(json.dumps({
            "benchmark": "laplacian_speed", "impl": name, "points": args.points,
            "network": "MLP 2-50-50-50-50-1 tanh", "dtype": str(jnp.dtype(dtype)),
            "laplacian_us_per_point": round(seconds / args.points * 1e6, 4),
            "loss_gradient_us_per_point": round(grad_seconds / args.points * 1e6, 4),
            "max_abs_difference_to_pinn_forward": float(jnp.max(jnp.abs(values - reference))),
            "device": str(jax.devices()[0]), "jax_version": jax.__version__,
        }))
    ours = results["pinn_forward"]
    print(json.dumps({
        "benchmark": "laplacian_speed",
        "speedup_vs_trace_of_hessian": round(
            results["trace_of_hessian"]["laplacian"] / ours["laplacian"], 2),
        "speedup_vs_trace_of_hessian_rev_rev": round(
            results["trace_of_hessian_rev_rev"]["laplacian"] / ours["laplacian"], 2),
        "loss_gradient_speedup_vs_trace_of_hessian": round(
            results["trace_of_hessian"]["loss_gradient"] / ours["loss_gradient"], 2),
    }))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
