"""Many models at once: `jaxnn.fit_many` against one model alone and 16 sequential Keras fits.

Workloads (the two-particle identification toy, `jaxnn.data.datasets.pid_toy`, standardised):

- ``grid``: the PID MLP 3-64-64-2 (ReLU), softmax cross-entropy, Adam, batch 32,
  `--rows` tracks (validation split 0.25), `--epochs` epochs. Three contenders, each in a fresh
  process (imports not timed, the JAX backend started before the clock):
  ``one``: `jaxnn.fit` of one model (learning rate 1e-3); ``many``: `jaxnn.fit_many` of 16
  models, 4 seeds x 4 learning rates, in one call; ``keras``: the same 16 models as 16
  sequential `model.fit` calls of Keras 3 on the JAX backend. Wall time end to end
  (compilation included) and, for jaxnn, of a second identical call (compiled code reused).
  Bars: many <= 3x one; keras >= 5x many.
- ``ensemble``: 8 seeds of the same MLP, trained long on few tracks (`--ensemble-rows`,
  `--ensemble-epochs`: 1,000 and 300, where the members overfit each in its own way; with many
  tracks every member sits at the toy's Bayes limit and the AUCs tie within their noise);
  AUC of the mean prediction on 20,000 held-out tracks against
  the best member's (the one with the lowest validation loss, as a user would pick it; the
  highest test AUC among the members, picked after the fact, is printed too), and the mean
  spread (std over the members of P(kaon), and of the kaon logit) on those tracks against
  points 4 standard deviations outside the training range.

Output: one JSON line per measurement, then a summary line per workload with the ratios.

    python benchmarks/many_models.py                    # ~2 minutes on 2 idle cores
    python benchmarks/many_models.py --only ensemble
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

LEARNING_RATES = (3e-4, 1e-3, 3e-3, 1e-2)
SEEDS = (0, 1, 2, 3)
BATCH = 32


def _data(rows: int):
    import numpy as np

    from jaxnn.data import StandardScaler
    from jaxnn.data.datasets import pid_toy

    x, y = pid_toy(rows, seed=0)
    return StandardScaler().fit_transform(x).astype(np.float32), y.astype(np.int32)


def _warm_jax():
    import jax

    jax.jit(lambda a: a + 1)(1.0).block_until_ready()


def one(rows: int, epochs: int) -> dict:
    import optax

    import jaxnn

    x, y = _data(rows)
    _warm_jax()

    def run():
        start = time.perf_counter()
        result = jaxnn.fit(jaxnn.MLP([64, 64, 2]), (x, y), epochs=epochs, batch_size=BATCH,
                           optimizer=optax.inject_hyperparams(optax.adam)(learning_rate=1e-3),
                           validation_split=0.25, seed=0, verbose=0)
        return time.perf_counter() - start, result

    first, result = run()
    second, _ = run()
    return {"models": 1, "seconds": first, "compile_seconds": result.compile_seconds,
            "second_call_seconds": second, "val_loss": result.history["val_loss"][-1]}


def many(rows: int, epochs: int) -> dict:
    import optax

    import jaxnn

    x, y = _data(rows)
    _warm_jax()

    def run():
        start = time.perf_counter()
        result = jaxnn.fit_many(jaxnn.MLP([64, 64, 2]), (x, y), epochs=epochs,
                                batch_size=BATCH, optimizer=optax.adam, seeds=SEEDS,
                                hyperparameters={"learning_rate": LEARNING_RATES},
                                validation_split=0.25)
        return time.perf_counter() - start, result

    first, result = run()
    second, _ = run()
    return {"models": len(result), "seconds": first, "compile_seconds": result.compile_seconds,
            "second_call_seconds": second, "best": result.best.config,
            "best_val_loss": result.best.score}


def keras_sequential(rows: int, epochs: int) -> dict:
    os.environ["KERAS_BACKEND"] = "jax"
    import keras

    x, y = _data(rows)
    _warm_jax()
    start = time.perf_counter()
    losses = []
    for seed in SEEDS:
        for rate in LEARNING_RATES:
            keras.utils.set_random_seed(seed)
            model = keras.Sequential([keras.Input((x.shape[1],)),
                                      keras.layers.Dense(64, activation="relu"),
                                      keras.layers.Dense(64, activation="relu"),
                                      keras.layers.Dense(2)])
            model.compile(optimizer=keras.optimizers.Adam(rate),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            history = model.fit(x, y, batch_size=BATCH, epochs=epochs, validation_split=0.25,
                                verbose=0)
            losses.append(history.history["val_loss"][-1])
    return {"models": len(losses), "seconds": time.perf_counter() - start,
            "best_val_loss": min(losses)}


def ensemble(rows: int, epochs: int) -> dict:
    import numpy as np

    import jaxnn
    from jaxnn.metrics import roc_auc_score

    x, y = _data(rows + 20_000)
    x_train, y_train, x_test, y_test = x[:rows], y[:rows], x[rows:], y[rows:]
    result = jaxnn.fit_many(jaxnn.MLP([64, 64, 2]), (x_train, y_train), epochs=epochs,
                            batch_size=BATCH, seeds=range(8), validation_split=0.25,
                            hyperparameters={"learning_rate": [1e-3]})
    prediction = jaxnn.predict_ensemble(result.model, result.params, x_test)
    members = [roc_auc_score(y_test, jaxnn.predict_proba(result.model, result.model_params(i),
                                                         x_test)[:, 1])
               for i in range(len(result))]
    direction = np.random.default_rng(0).normal(size=x_test.shape)
    direction /= np.linalg.norm(direction, axis=1, keepdims=True)
    outside = x_test + 4.0 * direction * (1 + np.abs(x_test).max(axis=1, keepdims=True))

    def spread(points, outputs):  # mean over points of the members' std of the kaon output
        return float(jaxnn.predict_ensemble(result.model, result.params, points,
                                            outputs=outputs).std[:, 1].mean())

    return {"members": len(result), "mean_auc": roc_auc_score(y_test, prediction.mean[:, 1]),
            # the member a user would pick: the best validation loss (held-out AUC unseen)
            "best_member_auc": members[result.best.index],
            # the member with the highest AUC on the very test tracks (picked after the fact)
            "oracle_member_auc": max(members), "worst_member_auc": min(members),
            "spread_inside": spread(x_test, "probabilities"),
            "spread_outside": spread(outside, "probabilities"),
            "logit_spread_inside": spread(x_test, "raw"),
            "logit_spread_outside": spread(outside, "raw")}


# --------------------------------------------------------------------------- driver


def _spawn(name: str, *arguments) -> dict:
    """Run one contender in a fresh process; its result dict, or why it could not run."""
    command = [sys.executable, os.path.abspath(__file__), "--worker", name,
               json.dumps(list(arguments))]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    return {"skipped": (done.stderr.strip().splitlines() or ["no output"])[-1][:300]}


def _emit(benchmark: str, impl: str, result: dict) -> dict:
    line = {"benchmark": benchmark, "impl": impl, "load_avg_1min": round(os.getloadavg()[0], 2),
            **result}
    print(json.dumps(line), flush=True)
    return line


def _ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=8_000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--ensemble-rows", type=int, default=1_000,
                        help="training tracks of the ensemble (few: the members overfit apart)")
    parser.add_argument("--ensemble-epochs", type=int, default=300)
    parser.add_argument("--only", choices=("grid", "ensemble"))
    parser.add_argument("--no-keras", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("arguments", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print("RESULT " + json.dumps(globals()[args.worker](*json.loads(args.arguments))))
        return
    if args.only in (None, "grid"):
        single = _emit("grid", "jaxnn.fit", _spawn("one", args.rows, args.epochs))
        grid = _emit("grid", "jaxnn.fit_many", _spawn("many", args.rows, args.epochs))
        keras = {} if args.no_keras else _emit(
            "grid", "keras_jax_sequential", _spawn("keras_sequential", args.rows, args.epochs))
        print(json.dumps({
            "benchmark": "grid", "summary": True, "models": 16, "rows": args.rows,
            "epochs": args.epochs,
            "many_over_one": _ratio(grid.get("seconds"), single.get("seconds")),
            "many_over_one_second_call": _ratio(grid.get("second_call_seconds"),
                                                single.get("second_call_seconds")),
            "keras_over_many": _ratio(keras.get("seconds"), grid.get("seconds")),
            "bars": "many_over_one <= 3, keras_over_many >= 5"}), flush=True)
    if args.only in (None, "ensemble"):
        result = _emit("ensemble", "jaxnn.fit_many",
                       _spawn("ensemble", args.ensemble_rows, args.ensemble_epochs))
        print(json.dumps({
            "benchmark": "ensemble", "summary": True, "rows": args.ensemble_rows,
            "epochs": args.ensemble_epochs,
            "mean_auc_minus_best_member": None if "mean_auc" not in result else round(
                result["mean_auc"] - result["best_member_auc"], 5),
            "mean_auc_minus_oracle_member": None if "mean_auc" not in result else round(
                result["mean_auc"] - result["oracle_member_auc"], 5),
            "spread_outside_over_inside": _ratio(result.get("spread_outside"),
                                                 result.get("spread_inside")),
            "logit_spread_outside_over_inside": _ratio(result.get("logit_spread_outside"),
                                                       result.get("logit_spread_inside")),
            "bars": "mean_auc_minus_best_member >= 0 (best = lowest validation loss), "
                    "spread outside > inside"}), flush=True)


if __name__ == "__main__":
    main()
