"""Lecture-size training, end to end: `jaxnn.fit` against a hand-written fused `lax.scan`,
Keras 3 (JAX backend) and PyTorch eager, each in a fresh process.

Two workloads from the lectures:

- ``xor``: 2-2-1 MLP, tanh hidden, sigmoid output, MSE, SGD 0.1, 10,000 full-batch epochs on
  the four XOR points. Wall time of the whole training, compilation included, and of a second
  identical `fit` in the same process (no recompilation).
- ``pid``: MLP 3-64-64-2 (ReLU), softmax cross-entropy, Adam 1e-3, batch 32, 50,000 rows of the
  two-particle identification toy, validation split 0.25 with early stopping (patience 5 on the
  validation loss). Steady-state training samples/s (median epoch after the first) over
  `--pid-epochs` epochs, and the end-to-end time of 3 epochs, compilation included.

Every contender runs in its own fresh Python process (imports are not timed; the JAX backend
is started by one trivial `jit` before the clock starts, the same for every JAX contender), so
no one profits from another's compilation cache. The fused scan is the limit: one `jax.jit`
holding the parameter initialisation and a `lax.scan` over all steps (XOR), or one compiled
epoch of shuffled minibatch steps plus the validation pass (PID). PyTorch runs at 1 thread and
at all cores; the better is reported.

Output: one JSON line per measurement, then one summary line per workload with the ratios.

    python benchmarks/lecture_speed.py                 # everything (~3 minutes on 2 cores)
    python benchmarks/lecture_speed.py --only xor --no-keras --no-torch
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

XOR_EPOCHS = 10_000
PID_ROWS, PID_BATCH = 50_000, 32


def _xor_data():
    import numpy as np

    return (np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32),
            np.array([0, 1, 1, 0], np.float32))


def _pid_data():
    from jaxnn.data.datasets import pid_toy

    x, y = pid_toy(PID_ROWS, seed=0)
    return x.astype("float32"), y.astype("int32")


def _warm_jax():
    import jax

    jax.jit(lambda a: a + 1)(1.0).block_until_ready()


# --------------------------------------------------------------------------- contenders


def xor_jaxnn() -> dict:
    import optax

    import jaxnn

    x, y = _xor_data()
    _warm_jax()
    model = jaxnn.MLP([2, 1], activation="tanh", output_activation="sigmoid")
    times, results = [], []
    for _ in range(2):
        start = time.perf_counter()
        result = jaxnn.fit(model, (x, y), loss="mse", optimizer=optax.sgd(0.1), epochs=XOR_EPOCHS,
                           batch_size=None, verbose=0, seed=0)
        times.append(time.perf_counter() - start)
        results.append(result)
    return {"seconds": times[0], "second_call_seconds": times[1],
            "compile_seconds": results[0].compile_seconds,
            "final_loss": results[0].history["loss"][-1]}


def xor_fused_scan() -> dict:
    import jax
    import jax.numpy as jnp
    import optax

    import jaxnn

    x, y = _xor_data()
    _warm_jax()
    start = time.perf_counter()
    model = jaxnn.MLP([2, 1], activation="tanh", output_activation="sigmoid")
    optimizer = optax.sgd(0.1)

    @jax.jit
    def train(key):
        params = model.init(key, x[:1])

        def step(carry, _):
            params, opt_state = carry
            loss, grads = jax.value_and_grad(
                lambda p: jnp.mean((model.apply(p, x)[:, 0] - y) ** 2))(params)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), loss

        return jax.lax.scan(step, (params, optimizer.init(params)), length=XOR_EPOCHS)

    losses = jax.block_until_ready(train(jax.random.PRNGKey(0))[1])
    return {"seconds": time.perf_counter() - start, "final_loss": float(losses[-1])}


def xor_keras() -> dict:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    x, y = _xor_data()
    _warm_jax()
    start = time.perf_counter()
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(2, activation="tanh"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=XOR_EPOCHS, batch_size=4, verbose=0)
    return {"seconds": time.perf_counter() - start, "backend": keras.backend.backend()}


def xor_torch(threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    x, y = (torch.from_numpy(a) for a in _xor_data())
    start = time.perf_counter()
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh(), torch.nn.Linear(2, 1),
                                torch.nn.Sigmoid())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(XOR_EPOCHS):
        optimizer.zero_grad()
        loss = torch.mean((model(x)[:, 0] - y) ** 2)
        loss.backward()
        optimizer.step()
    return {"seconds": time.perf_counter() - start, "threads": threads}


def pid_jaxnn(epochs: int) -> dict:
    import optax

    import jaxnn

    x, y = _pid_data()
    _warm_jax()
    model = jaxnn.MLP([64, 64, 2], activation="relu")
    options = {"optimizer": optax.adam(1e-3), "batch_size": PID_BATCH, "validation_split": 0.25,
               "verbose": 0, "seed": 0}
    start = time.perf_counter()
    jaxnn.fit(model, (x, y), epochs=3,
              early_stopping=jaxnn.EarlyStopping(patience=5), **options)
    end_to_end = time.perf_counter() - start
    result = jaxnn.fit(model, (x, y), epochs=epochs,
                       early_stopping=jaxnn.EarlyStopping(patience=epochs), **options)
    steady = statistics.median(result.history["time"][1:])
    return {"end_to_end_3_epochs_seconds": end_to_end,
            "samples_per_s": round(PID_ROWS * 0.75 / steady)}


def pid_fused_scan(epochs: int) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    import jaxnn

    x, y = _pid_data()
    _warm_jax()
    start = time.perf_counter()
    order = np.random.default_rng(0).permutation(len(x))
    held, kept = order[: len(x) // 4], order[len(x) // 4:]
    x_train, y_train = jnp.asarray(x[kept]), jnp.asarray(y[kept])
    x_val, y_val = jnp.asarray(x[held]), jnp.asarray(y[held])
    steps = len(kept) // PID_BATCH
    model = jaxnn.MLP([64, 64, 2], activation="relu")
    optimizer = optax.adam(1e-3)

    def cross_entropy(params, xb, yb):
        return optax.softmax_cross_entropy_with_integer_labels(model.apply(params, xb), yb).mean()

    @jax.jit
    def init(key):
        params = model.init(key, x_train[:1])
        return params, optimizer.init(params)

    @jax.jit
    def epoch(params, opt_state, key):
        rows = jax.random.permutation(key, len(kept))[: steps * PID_BATCH].reshape(steps, -1)

        def step(carry, batch_rows):
            params, opt_state = carry
            loss, grads = jax.value_and_grad(cross_entropy)(params, x_train[batch_rows],
                                                            y_train[batch_rows])
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return (optax.apply_updates(params, updates), opt_state), loss

        (params, opt_state), losses = jax.lax.scan(step, (params, opt_state), rows)
        return params, opt_state, losses.mean(), cross_entropy(params, x_val, y_val)

    params, opt_state = init(jax.random.PRNGKey(0))
    times = []
    for index in range(max(3, epochs)):
        epoch_start = time.perf_counter()
        params, opt_state, _, val_loss = epoch(params, opt_state, jax.random.PRNGKey(index))
        float(val_loss)  # the early-stopping decision needs the value on the host
        times.append(time.perf_counter() - epoch_start)
        if index == 2:
            end_to_end = time.perf_counter() - start
    return {"end_to_end_3_epochs_seconds": end_to_end,
            "samples_per_s": round(steps * PID_BATCH / statistics.median(times[1:]))}


def pid_keras(epochs: int) -> dict:
    os.environ.setdefault("KERAS_BACKEND", "jax")
    import keras

    x, y = _pid_data()
    _warm_jax()

    class EpochTimes(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    def run(epochs):
        model = keras.Sequential([keras.Input((x.shape[1],)),
                                  keras.layers.Dense(64, activation="relu"),
                                  keras.layers.Dense(64, activation="relu"), keras.layers.Dense(2)])
        model.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        model.fit(x, y, batch_size=PID_BATCH, epochs=epochs, validation_split=0.25, verbose=0,
                  callbacks=[keras.callbacks.EarlyStopping(patience=5), EpochTimes()])

    times: list[float] = []
    start = time.perf_counter()
    run(3)
    end_to_end = time.perf_counter() - start
    times.clear()
    run(epochs)
    return {"end_to_end_3_epochs_seconds": end_to_end,
            "samples_per_s": round(PID_ROWS * 0.75 / statistics.median(times[1:]))}


def pid_torch(epochs: int, threads: int) -> dict:
    import torch

    torch.set_num_threads(threads)
    x, y = (torch.from_numpy(a) for a in _pid_data())
    torch.manual_seed(0)
    order = torch.randperm(len(x))
    held, kept = order[: len(x) // 4], order[len(x) // 4:]
    start = time.perf_counter()
    model = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 64), torch.nn.ReLU(),
                                torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    for index in range(max(3, epochs)):
        epoch_start = time.perf_counter()
        permutation = kept[torch.randperm(len(kept))]
        for first in range(0, len(permutation), PID_BATCH):
            rows = permutation[first:first + PID_BATCH]
            optimizer.zero_grad()
            loss_fn(model(x[rows]), y[rows].long()).backward()
            optimizer.step()
        with torch.no_grad():
            float(loss_fn(model(x[held]), y[held].long()))
        times.append(time.perf_counter() - epoch_start)
        if index == 2:
            end_to_end = time.perf_counter() - start
    return {"end_to_end_3_epochs_seconds": end_to_end, "threads": threads,
            "samples_per_s": round(len(kept) / statistics.median(times[1:]))}


# --------------------------------------------------------------------------- driver


def _worker(name: str, arguments: list) -> None:
    result = globals()[name](*arguments)
    print("RESULT " + json.dumps(result))


def _spawn(name: str, *arguments) -> dict:
    """Run one contender in a fresh process; its result dict, or why it could not run."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", name,
               json.dumps(list(arguments))]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    return {"skipped": (done.stderr.strip().splitlines() or ["no output"])[-1][:200]}


def _emit(benchmark: str, impl: str, result: dict) -> dict:
    import jax

    line = {"benchmark": benchmark, "impl": impl, "device": jax.devices()[0].platform,
            "load_avg_1min": round(os.getloadavg()[0], 2), **result}
    print(json.dumps(line), flush=True)
    return line


def _best_torch(benchmark: str, spawn) -> dict:
    runs = [spawn(threads) for threads in sorted({1, os.cpu_count() or 1})]
    runs = [r for r in runs if "skipped" not in r] or runs
    key = "seconds" if benchmark == "xor" else "end_to_end_3_epochs_seconds"
    return min(runs, key=lambda r: r.get(key, float("inf")))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("xor", "pid"))
    parser.add_argument("--no-keras", action="store_true")
    parser.add_argument("--no-torch", action="store_true")
    parser.add_argument("--pid-epochs", type=int, default=8)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("arguments", nargs="?", default="[]", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, json.loads(args.arguments))
        return

    if args.only in (None, "xor"):
        rows = {"fused_scan": _emit("xor", "fused_scan", _spawn("xor_fused_scan")),
                "jaxnn": _emit("xor", "jaxnn.fit", _spawn("xor_jaxnn"))}
        if not args.no_keras:
            rows["keras"] = _emit("xor", "keras_jax", _spawn("xor_keras"))
        if not args.no_torch:
            rows["torch"] = _emit("xor", "torch_eager",
                                  _best_torch("xor", lambda t: _spawn("xor_torch", t)))
        jaxnn_s = rows["jaxnn"].get("seconds")
        summary = {"benchmark": "xor", "summary": True,
                   "jaxnn_over_fused_scan": _ratio(jaxnn_s, rows["fused_scan"].get("seconds")),
                   "second_call_fraction": _ratio(rows["jaxnn"].get("second_call_seconds"),
                                                  jaxnn_s)}
        for peer in ("keras", "torch"):
            if peer in rows:
                summary[f"speedup_vs_{peer}"] = _ratio(rows[peer].get("seconds"), jaxnn_s)
        print(json.dumps(summary), flush=True)

    if args.only in (None, "pid"):
        epochs = args.pid_epochs
        rows = {"fused_scan": _emit("pid", "fused_scan", _spawn("pid_fused_scan", epochs)),
                "jaxnn": _emit("pid", "jaxnn.fit", _spawn("pid_jaxnn", epochs))}
        if not args.no_keras:
            rows["keras"] = _emit("pid", "keras_jax", _spawn("pid_keras", epochs))
        if not args.no_torch:
            rows["torch"] = _emit("pid", "torch_eager", _best_torch(
                "pid", lambda t: _spawn("pid_torch", epochs, t)))
        ours = rows["jaxnn"]
        summary = {"benchmark": "pid", "summary": True}
        for peer, row in rows.items():
            if peer == "jaxnn":
                continue
            summary[f"throughput_vs_{peer}"] = _ratio(ours.get("samples_per_s"),
                                                      row.get("samples_per_s"))
            summary[f"end_to_end_speedup_vs_{peer}"] = _ratio(
                row.get("end_to_end_3_epochs_seconds"), ours.get("end_to_end_3_epochs_seconds"))
        print(json.dumps(summary), flush=True)


def _ratio(a, b):
    return None if not a or not b else round(a / b, 3)


if __name__ == "__main__":
    main()
