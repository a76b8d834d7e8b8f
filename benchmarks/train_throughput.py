"""Training throughput: `jaxnn.fit` against a per-step `jax.jit` loop and PyTorch eager.

Two workloads, the same model, optimizer, batch size and number of samples for every
implementation:

- ``mlp_susy``: MLP 18-200-100-2 (ReLU) on SUSY-shaped synthetic data (500,000 rows x 18
  float32 features, binary labels from a noisy linear + quadratic rule), softmax
  cross-entropy, Adam 1e-3, batch 1024.
- ``cnn_mnist``: CNN conv32-pool-conv64-pool-dense128-10 on 60,000 synthetic 28x28x1 images
  (10 noisy class prototypes), softmax cross-entropy, Adam 1e-3, batch 128.

Implementations:

- ``jaxnn.fit``: one compiled `lax.scan` per epoch (`jaxnn.fit`).
- ``jax_jit_step_loop``: what a Flax user typically writes: a `jax.jit` train step (flax
  `TrainState`, the same optax optimizer, state donated) called from a Python loop; the data
  sit on the device, a NumPy permutation is drawn per epoch and each minibatch is gathered
  with ``x[idx]`` outside the jitted step.
- ``torch_eager``: the `torch.nn` equivalent, `torch.optim.Adam`, a `torch.randperm` per
  epoch and ``x[idx]`` minibatches, with ``torch.set_num_threads`` equal to the cores JAX uses.

Steady state only: JAX runs one warm-up epoch (compilation) before the timed epochs; torch runs
a few warm-up steps. Every implementation processes every sample once per epoch (the last
partial batch included). The CNN in torch eager on a CPU is slow, so it is timed over a fixed
number of steps (``--torch-cnn-steps``).

Output: one JSON line per measurement, then one summary line per workload with the ratios of
`jaxnn.fit` samples/s to the two peers measured in the same run.

    python benchmarks/train_throughput.py            # full run (~5-10 min on 2 CPU cores)
    python benchmarks/train_throughput.py --quick    # smoke run with small sizes
    python benchmarks/train_throughput.py --only mlp --no-torch
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax.training import train_state

from jaxnn import train
from jaxnn.models import CNN, MLP

FULL = {
    "mlp": {"samples": 500_000, "batch_size": 1024, "epochs": 2, "torch_steps": None},
    "cnn": {"samples": 60_000, "batch_size": 128, "epochs": 1, "torch_steps": 120},
}
QUICK = {
    "mlp": {"samples": 50_000, "batch_size": 1024, "epochs": 1, "torch_steps": None},
    "cnn": {"samples": 4_096, "batch_size": 128, "epochs": 1, "torch_steps": 8},
}
BENCHMARK_NAMES = {"mlp": "mlp_susy", "cnn": "cnn_mnist"}
LEARNING_RATE = 1e-3
TORCH_WARMUP_STEPS = 5


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record), flush=True)


def cpu_threads() -> int:
    """The cores this process may run on: XLA's CPU thread pool uses all of them."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# ---------------------------------------------------------------------------------------------
# Synthetic data
# ---------------------------------------------------------------------------------------------


def susy_like(samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``x: (samples, 18)`` float32, ``y: (samples,)`` int32 labels 0/1 from a noisy rule.

    The label is the sign of a random linear plus quadratic function of the features plus
    Gaussian noise, so a network can learn it (to roughly 80-85% accuracy) but not perfectly.
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, 18), dtype=np.float32)
    x[:, :8] = np.abs(x[:, :8])  # like SUSY's positive kinematic features (momenta)
    linear = rng.standard_normal(18).astype(np.float32) / np.sqrt(18.0)
    quadratic = rng.standard_normal((18, 18)).astype(np.float32) / 18.0
    score = x @ linear + np.einsum("ni,ij,nj->n", x, quadratic, x) - 0.3
    score += 0.5 * rng.standard_normal(samples).astype(np.float32)
    return x, (score > np.median(score)).astype(np.int32)


def mnist_like(samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``x: (samples, 28, 28, 1)`` float32 in [0, 1], ``y: (samples,)`` int32 classes 0-9.

    Each class is a smooth random prototype image; samples are shifted, rescaled, noisy copies.
    """
    rng = np.random.default_rng(seed)
    grid = np.linspace(-1.0, 1.0, 28, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid)
    prototypes = np.zeros((10, 28, 28), np.float32)
    for label in range(10):
        for cx, cy, width in rng.uniform([-0.6, -0.6, 0.1], [0.6, 0.6, 0.35], (4, 3)):
            prototypes[label] += np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * width**2))
    prototypes /= prototypes.max(axis=(1, 2), keepdims=True)
    y = rng.integers(0, 10, samples).astype(np.int32)
    x = np.empty((samples, 28, 28, 1), np.float32)
    chunk = 10_000  # keeps the temporary noise arrays small
    for start in range(0, samples, chunk):
        labels = y[start : start + chunk]
        shifts = rng.integers(-2, 3, (len(labels), 2))
        images = prototypes[labels] * rng.uniform(0.7, 1.0, (len(labels), 1, 1)).astype(np.float32)
        for i, (dy, dx) in enumerate(shifts):
            images[i] = np.roll(images[i], (dy, dx), axis=(0, 1))
        images += 0.2 * rng.standard_normal(images.shape, dtype=np.float32)
        x[start : start + chunk, ..., 0] = np.clip(images, 0.0, 1.0)
    return x, y


# ---------------------------------------------------------------------------------------------
# The three implementations. Each returns (samples_per_s, timed samples, seconds, final loss).
# ---------------------------------------------------------------------------------------------


def run_jaxnn_fit(model, x, y, batch_size, epochs, seed=0):
    """`jaxnn.fit` for 1 + `epochs` epochs; the time between the ends of epoch 1 and the last.

    A callback stamps the clock after each epoch; the loop calls it once the compiled epoch
    has finished and its losses are on the host, so the intervals are real epoch times
    including the loop's per-epoch host work. Epoch 1 (compilation) is excluded.
    """
    stamps: list[float] = []
    result = train.fit(
        model,
        (x, y),
        loss="softmax_cross_entropy",
        optimizer=optax.adam(LEARNING_RATE),
        epochs=1 + epochs,
        batch_size=batch_size,
        metrics=(),  # the same work as the peers: loss only, no per-step accuracy
        seed=seed,
        verbose=0,
        callbacks=[lambda epoch, logs: stamps.append(time.perf_counter())],
    )
    jax.block_until_ready(result.state)
    seconds = stamps[-1] - stamps[0]
    samples = epochs * len(x)
    return samples / seconds, samples, seconds, float(result.history["loss"][-1])


def run_jit_step_loop(model, x, y, batch_size, epochs, seed=0):
    """A per-step `jax.jit` train step called from Python, the way the Flax examples train.

    What a reasonable user writes: the arrays are put on the device once (`jnp.asarray`);
    every epoch draws a NumPy permutation and, per step, gathers the minibatch on the device
    with ``x_device[idx]`` (only the index vector travels from the host); the jitted step
    donates the state. The loss is read back once per epoch, not per step. The last partial
    batch is kept (one extra compilation, inside the warm-up epoch).
    """
    tx = optax.adam(LEARNING_RATE)
    params = model.init(jax.random.PRNGKey(seed), jnp.asarray(x[:1]))
    state = train_state.TrainState.create(apply_fn=model.apply, params=params, tx=tx)

    @functools.partial(jax.jit, donate_argnums=(0,))
    def train_step(state, xb, yb):
        def loss_fn(p):
            logits = state.apply_fn(p, xb)
            return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

        loss, grads = jax.value_and_grad(loss_fn)(state.params)
        return state.apply_gradients(grads=grads), loss

    x_device, y_device = jnp.asarray(x), jnp.asarray(y)
    rng = np.random.default_rng(seed)
    n = len(x)

    def one_epoch(state):
        perm = rng.permutation(n)
        loss = None
        for start in range(0, n, batch_size):
            idx = perm[start : start + batch_size]
            state, loss = train_step(state, x_device[idx], y_device[idx])
        return state, loss

    state, loss = one_epoch(state)  # warm-up: compiles the full and the last partial batch
    jax.block_until_ready((state, loss))
    start = time.perf_counter()
    for _ in range(epochs):
        state, loss = one_epoch(state)
    jax.block_until_ready((state, loss))
    seconds = time.perf_counter() - start
    samples = epochs * n
    return samples / seconds, samples, seconds, float(loss)


def torch_models(kind: str):
    """The `torch.nn` equivalents of the two jaxnn models (NCHW images for the CNN)."""
    import torch.nn as tnn

    if kind == "mlp":
        return tnn.Sequential(
            tnn.Linear(18, 200), tnn.ReLU(), tnn.Linear(200, 100), tnn.ReLU(), tnn.Linear(100, 2)
        )
    return tnn.Sequential(
        tnn.Conv2d(1, 32, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(32, 64, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(64 * 7 * 7, 128), tnn.ReLU(), tnn.Linear(128, 10),
    )  # fmt: skip


def run_torch_eager(kind, x, y, batch_size, epochs, max_steps, threads, seed=0):
    """PyTorch eager training: randperm per epoch, ``x[idx]`` minibatches, torch.optim.Adam.

    Times `epochs` full epochs, or only the first `max_steps` steps when `max_steps` is set,
    after `TORCH_WARMUP_STEPS` untimed steps.
    """
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    model = torch_models(kind)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    loss_fn = torch.nn.CrossEntropyLoss()
    x_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)) if x.ndim == 4 else x)
    y_t = torch.from_numpy(y.astype(np.int64))
    n = len(x_t)

    def step(idx):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x_t[idx]), y_t[idx])
        loss.backward()
        optimizer.step()
        return loss

    warm = torch.randperm(n)
    for s in range(TORCH_WARMUP_STEPS):
        step(warm[s * batch_size : (s + 1) * batch_size])
    samples, loss = 0, None
    start = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n)
        for begin in range(0, n, batch_size):
            if max_steps is not None and samples >= max_steps * batch_size:
                break
            idx = perm[begin : begin + batch_size]
            loss = step(idx)
            samples += len(idx)
    final_loss = float(loss.detach())
    seconds = time.perf_counter() - start
    return samples / seconds, samples, seconds, final_loss


# ---------------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------------


def benchmark(kind: str, config: dict, use_torch: bool, common: dict) -> None:
    name = BENCHMARK_NAMES[kind]
    if kind == "mlp":
        x, y = susy_like(config["samples"])
        model = MLP([200, 100, 2])
    else:
        x, y = mnist_like(config["samples"])
        model = CNN(features=(32, 64), dense=(128,), num_outputs=10)
    batch_size, epochs = config["batch_size"], config["epochs"]
    rates: dict[str, float] = {}

    def measure(impl: str, fn: Callable[[], tuple], timed_epochs: float | None) -> None:
        load = os.getloadavg()[0]
        rate, samples, seconds, final_loss = fn()
        rates[impl] = rate
        device = "cpu" if impl == "torch_eager" else common["device"]
        emit({
            "benchmark": name, "impl": impl, "samples_per_s": round(rate, 1),
            "samples": samples, "seconds": round(seconds, 3),
            "epochs": timed_epochs if timed_epochs is not None else round(samples / len(x), 4),
            "batch_size": batch_size, "dataset_size": len(x), "final_loss": round(final_loss, 5),
            "load_avg_1min": round(load, 2), **common, "device": device,
        })  # fmt: skip

    measure("jaxnn.fit", lambda: run_jaxnn_fit(model, x, y, batch_size, epochs), epochs)
    measure("jax_jit_step_loop", lambda: run_jit_step_loop(model, x, y, batch_size, epochs), epochs)
    if use_torch and common["torch_version"] is not None:
        steps = config["torch_steps"]
        measure(
            "torch_eager",
            lambda: run_torch_eager(kind, x, y, batch_size, epochs, steps, common["threads"]),
            None,
        )
    elif use_torch:
        emit({"benchmark": name, "impl": "torch_eager", "skipped": "torch not importable"})
    fit_rate = rates["jaxnn.fit"]
    torch_rate = rates.get("torch_eager")
    emit({
        "benchmark": name,
        "ratio_vs_torch_eager": round(fit_rate / torch_rate, 3) if torch_rate else None,
        "ratio_vs_jit_step_loop": round(fit_rate / rates["jax_jit_step_loop"], 3),
    })  # fmt: skip


def torch_version() -> str | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.__version__


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--only", choices=["mlp", "cnn"], help="run one workload only")
    parser.add_argument("--no-torch", action="store_true", help="skip the PyTorch peer")
    parser.add_argument("--epochs", type=int, help="timed epochs (default: 2 MLP, 1 CNN)")
    parser.add_argument("--torch-cnn-steps", type=int, help="timed torch CNN steps (default 120)")
    args = parser.parse_args(argv)

    configs = {kind: dict(c) for kind, c in (QUICK if args.quick else FULL).items()}
    for config in configs.values():
        if args.epochs is not None:
            config["epochs"] = args.epochs
    if args.torch_cnn_steps is not None:
        configs["cnn"]["torch_steps"] = args.torch_cnn_steps
    use_torch = not args.no_torch
    common = {
        "device": str(jax.devices()[0]),
        "threads": cpu_threads(),
        "jax_version": jax.__version__,
        "torch_version": torch_version() if use_torch else None,
    }
    for kind in (args.only,) if args.only else ("mlp", "cnn"):
        benchmark(kind, configs[kind], use_torch, common)


if __name__ == "__main__":
    sys.exit(main())
