"""Particle identification: kaons among pions, a linear cut against a neural network.

Tracks from `jaxnn.datasets.pid_toy` carry three measured variables: momentum, energy loss
dE/dx and time of flight. Pions and kaons form curved bands in these variables (a kaon is
slower than a pion of the same momentum), so the best boundary between them is curved. Three
classifiers of the kaon (signal) against the pion (background) are compared on held-out tracks:

- a cut on one variable, the time of flight (kaons arrive later);
- the best linear cut: a logistic regression, i.e. a cut on a weighted sum w . x of the
  standardized variables (a learned Fisher-like discriminant);
- a multilayer perceptron, which can follow the bands.

The script prints each AUC and the background (pion) rejection at 90 % kaon efficiency, and saves
the ROC curves on one plot, the MLP's response and its loss history.

Run (under a minute on a laptop CPU):

    python examples/pid_classification.py                 # plots in out/
    python examples/pid_classification.py --tracks 10000 --epochs 5
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import optax

import jaxnn
import jaxnn.plot
from jaxnn.data.datasets import PID_CLASSES, PID_FEATURES, pid_toy

DEFAULTS = {
    "tracks": 40_000,
    "hidden": (64, 64),
    "epochs": 30,
    "batch_size": 256,
    "learning_rate": 3e-3,
    "signal_efficiency": 0.9,
    "seed": 0,
    "out": "out",
}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tracks", type=int, help="number of simulated tracks")
    parser.add_argument("--hidden", type=int, nargs="+", help="hidden layer sizes of the MLP")
    parser.add_argument("--epochs", type=int, help="maximum training epochs (early stopping)")
    parser.add_argument("--batch-size", type=int, help="minibatch size")
    parser.add_argument("--learning-rate", type=float, help="Adam learning rate")
    parser.add_argument(
        "--signal-efficiency",
        type=float,
        help="kaon efficiency of the working point for the background rejection",
    )
    parser.add_argument("--seed", type=int, help="seed of the simulation, split and training")
    parser.add_argument("--out", help="directory for the plots")
    parser.set_defaults(**DEFAULTS)
    return parser


def train(model, train_data, validation_data, args, loss):
    return jaxnn.fit(
        model,
        train_data,
        loss=loss,
        optimizer=optax.adam(args.learning_rate),
        epochs=args.epochs,
        batch_size=min(args.batch_size, len(train_data[1])),
        validation_data=validation_data,
        metrics=["accuracy", "auc"],
        early_stopping=jaxnn.EarlyStopping(patience=5),
        seed=args.seed,
        verbose=0,
    )


def run(args: argparse.Namespace) -> dict[str, float]:
    """Simulate, train both classifiers; print and return the test AUCs and rejections."""
    out = Path(args.out)
    x, y = pid_toy(args.tracks, seed=args.seed)
    print(
        f"{len(y)} tracks: {int((y == 0).sum())} {PID_CLASSES[0]}s, {int(y.sum())} "
        f"{PID_CLASSES[1]}s ({y.mean():.1%}); variables {', '.join(PID_FEATURES)}"
    )

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = jaxnn.data.split(
        x, y, fractions=(0.6, 0.2, 0.2), seed=args.seed, stratify=y
    )
    scaler = jaxnn.data.StandardScaler().fit(x_train)
    x_train, x_val, x_test_scaled = (scaler.transform(a) for a in (x_train, x_val, x_test))

    linear, mlp = jaxnn.LogisticRegression(), jaxnn.MLP([*args.hidden, 2])
    linear_result = train(linear, (x_train, y_train), (x_val, y_val), args, "binary_cross_entropy")
    mlp_result = train(mlp, (x_train, y_train), (x_val, y_val), args, "softmax_cross_entropy")
    mlp_name = "MLP " + "-".join(map(str, (3, *args.hidden, 2)))
    # Kaon scores, higher = more kaon-like (P(kaon) for the two trained classifiers).
    scores = {
        "time of flight alone": x_test[:, PID_FEATURES.index("time_of_flight")],
        "linear cut (logistic regression)": jaxnn.predict_proba(
            linear, linear_result.params, x_test_scaled
        )[:, 0],
        mlp_name: jaxnn.predict_proba(mlp, mlp_result.params, x_test_scaled)[:, 1],
    }

    efficiency = args.signal_efficiency
    print(f"\n{'classifier':>36}  {'AUC':>6}  pion rejection at {efficiency:.0%} kaon efficiency")
    figures = {}
    for key, (name, score) in zip(("time_of_flight", "linear", "mlp"), scores.items(),
                                  strict=True):
        auc = jaxnn.metrics.roc_auc_score(y_test, score)
        rejection = jaxnn.metrics.background_rejection(y_test, score, efficiency)
        inverse = jaxnn.metrics.background_rejection(y_test, score, efficiency, "inverse")
        print(f"{name:>36}  {auc:.4f}  {rejection:.3f} (1 / FPR = {inverse:.1f})")
        figures[f"{key}_auc"], figures[f"{key}_rejection"] = auc, rejection

    jaxnn.plot.roc(
        {name: (y_test, score) for name, score in scores.items()}, path=out / "pid_roc.png"
    )
    jaxnn.plot.classifier_response(
        y_test, scores[mlp_name], labels=PID_CLASSES, path=out / "pid_mlp_response.png"
    )
    jaxnn.plot.history(mlp_result, path=out / "pid_mlp_history.png")
    print(
        f"\nplots: {out / 'pid_roc.png'}, {out / 'pid_mlp_response.png'}, "
        f"{out / 'pid_mlp_history.png'}"
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
