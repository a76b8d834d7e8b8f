"""Scaling: `jaxnn.fit` throughput against MLP width and batch size, and the achieved fraction of
the device's peak FLOP/s for a large MLP.

Each measurement trains a ReLU MLP (`depth` hidden layers of `width`, 256 inputs, 10 classes,
softmax cross-entropy, Adam) on synthetic data through `jaxnn.fit` (one compiled epoch), times
the second epoch (the first compiles) and prints one JSON line: samples/s and TFLOP/s, counting
6 x batch x Σ(fan_in x fan_out) FLOPs per step (forward 2, backward 4; the element-wise work
and the optimizer update are not counted, so the fraction is a lower bound).

Peak: on a known GPU the dense peak of its datasheet for the compute dtype (H100/H200 SXM:
989 TFLOP/s bf16, 67 TFLOP/s float32 without tensor cores; ``--peak-tflops`` overrides); on a
CPU or an unknown device the peak is measured as the best of large square matmuls in the same
dtype (an achievable peak, stated as such in the output).

    python benchmarks/scaling.py                     # float32, a small sweep (CPU-sized)
    python benchmarks/scaling.py --dtype bfloat16 --widths 1024 4096 8192 --batches 4096 16384
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

import jaxnn

DATASHEET_PEAK_TFLOPS = {  # dense, per device
    ("H100", "bfloat16"): 989.0, ("H100", "float32"): 67.0,
    ("H200", "bfloat16"): 989.0, ("H200", "float32"): 67.0,
    ("A100", "bfloat16"): 312.0, ("A100", "float32"): 19.5,
}
INPUTS, CLASSES = 256, 10


def peak_tflops(dtype, override: float | None) -> tuple[float, str]:
    """(peak TFLOP/s, where it comes from) for the default device and `dtype`."""
    if override:
        return override, "given by --peak-tflops"
    kind = jax.devices()[0].device_kind
    for (name, dtype_name), value in DATASHEET_PEAK_TFLOPS.items():
        if name in kind and jnp.dtype(dtype).name == dtype_name:
            return value, f"datasheet ({kind}, dense {dtype_name})"
    best = 0.0
    for size in (1024, 2048, 4096):
        a = jnp.ones((size, size), dtype)
        matmul = jax.jit(lambda a: a @ a)
        jax.block_until_ready(matmul(a))
        start = time.perf_counter()
        for _ in range(3):
            out = matmul(a)
        jax.block_until_ready(out)
        best = max(best, 3 * 2 * size**3 / (time.perf_counter() - start) / 1e12)
    return best, f"measured: best large {jnp.dtype(dtype).name} matmul on {kind}"


def measure(width: int, depth: int, batch: int, steps: int, dtype) -> dict:
    samples = batch * steps
    rng = np.random.default_rng(0)
    x = rng.standard_normal((samples, INPUTS), dtype=np.float32)
    y = rng.integers(0, CLASSES, samples).astype(np.int32)
    model = jaxnn.MLP([width] * depth + [CLASSES], activation="relu", dtype=dtype)
    times = []
    jaxnn.fit(model, (x, y), optimizer=optax.adam(1e-4), epochs=2, batch_size=batch, verbose=0,
              callbacks=[lambda epoch, logs: times.append(logs["time"])])
    seconds = times[-1]
    sizes = [INPUTS] + [width] * depth + [CLASSES]
    flops_per_step = 6 * batch * sum(a * b for a, b in itertools.pairwise(sizes))
    return {"width": width, "depth": depth, "batch_size": batch, "steps": steps,
            "samples_per_s": round(samples / seconds, 1),
            "tflops": round(flops_per_step * steps / seconds / 1e12, 4), "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[256, 1024, 2048])
    parser.add_argument("--batches", type=int, nargs="+", default=[256, 1024, 4096])
    parser.add_argument("--depth", type=int, default=4)
    parser.add_argument("--steps", type=int, default=20, help="training steps per epoch")
    parser.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32")
    parser.add_argument("--peak-tflops", type=float, default=None)
    args = parser.parse_args(argv)
    dtype = jnp.dtype(args.dtype)
    peak, source = peak_tflops(dtype, args.peak_tflops)
    context = {"device": str(jax.devices()[0]), "device_kind": jax.devices()[0].device_kind,
               "devices": jax.device_count(), "jax_version": jax.__version__, "dtype": dtype.name,
               "matmul_precision": str(jax.config.jax_default_matmul_precision),
               "peak_tflops": round(peak, 2), "peak_source": source,
               "load_avg_1min": round(os.getloadavg()[0], 2)}
    best = None
    for width in args.widths:
        for batch in args.batches:
            record = measure(width, args.depth, batch, args.steps, dtype)
            record["fraction_of_peak"] = round(record["tflops"] / peak, 3)
            best = record if best is None or record["tflops"] > best["tflops"] else best
            print(json.dumps({"benchmark": "scaling", **record, **context}), flush=True)
    print(json.dumps({"benchmark": "scaling", "best_fraction_of_peak": best["fraction_of_peak"],
                      "at": {"width": best["width"], "batch_size": best["batch_size"]},
                      **context}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
