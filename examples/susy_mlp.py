"""SUSY: an MLP separates supersymmetric signal events from Standard-Model background.

The UCI SUSY data set (Baldi, Sadowski & Whiteson, Nature Communications 5, 4308 (2014)) has
5,000,000 simulated collision events with 18 kinematic features each, 8 low-level (lepton
momenta, missing energy) and 10 high-level ones physicists derived from them. The file is not
shipped: download SUSY.csv.gz (about 880 MB) once from the UCI Machine Learning Repository,
data set 279 (https://archive.ics.uci.edu/dataset/279/susy), and pass it with --data.

The features are standardized, an MLP 18-200-100-2 is trained with early stopping on a
validation split, and the test AUC, the background rejection at 50 % and 90 % signal efficiency,
the ROC curve and the classifier response are reported.

Run (a few minutes on a laptop CPU with the default 1,000,000 events):

    python examples/susy_mlp.py --data data/SUSY.csv.gz
    python examples/susy_mlp.py --data data/SUSY.csv.gz --nrows 100000 --epochs 3
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import optax

import jaxnn
import jaxnn.plot
from jaxnn.data.datasets import load_susy

DEFAULTS = {
    "data": "data",
    "nrows": 1_000_000,
    "hidden": (200, 100),
    "epochs": 10,
    "batch_size": 1024,
    "learning_rate": 1e-3,
    "dropout": 0.0,
    "seed": 0,
    "out": "out",
}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", help="SUSY.csv or SUSY.csv.gz, or a directory holding one (default: data/)"
    )
    parser.add_argument("--nrows", type=int, help="read only the first NROWS events (0: all)")
    parser.add_argument("--hidden", type=int, nargs="+", help="hidden layer sizes")
    parser.add_argument("--epochs", type=int, help="maximum training epochs (early stopping)")
    parser.add_argument("--batch-size", type=int, help="minibatch size")
    parser.add_argument("--learning-rate", type=float, help="Adam learning rate")
    parser.add_argument("--dropout", type=float, help="dropout rate of the hidden layers")
    parser.add_argument("--seed", type=int, help="seed of the split and the training")
    parser.add_argument("--out", help="directory for the plots")
    parser.set_defaults(**DEFAULTS)
    return parser


def run(args: argparse.Namespace, x, y) -> dict[str, float]:
    """Train on events ``x: (n, 18)``, ``y: (n,)``; print and return the test figures."""
    out = Path(args.out)

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = jaxnn.data.split(
        x, y, fractions=(0.8, 0.1, 0.1), seed=args.seed
    )
    scaler = jaxnn.data.StandardScaler().fit(x_train)
    x_train, x_val, x_test = (scaler.transform(a) for a in (x_train, x_val, x_test))

    model = jaxnn.MLP([*args.hidden, 2], activation="relu", dropout=args.dropout)
    print(
        f"training MLP {'-'.join(map(str, (x.shape[1], *args.hidden, 2)))} on {len(y_train)} events"
    )
    result = jaxnn.fit(
        model,
        (x_train, y_train),
        optimizer=optax.adam(args.learning_rate),
        epochs=args.epochs,
        batch_size=min(args.batch_size, len(x_train)),
        validation_data=(x_val, y_val),
        metrics=["accuracy", "auc"],
        early_stopping=jaxnn.EarlyStopping(monitor="val_auc", patience=3),
        seed=args.seed,
    )

    scores = jaxnn.predict_proba(model, result.params, x_test)[:, 1]
    auc = jaxnn.metrics.roc_auc_score(y_test, scores)
    accuracy = jaxnn.metrics.accuracy(y_test, scores > 0.5)
    rejection = jaxnn.metrics.background_rejection(y_test, scores, [0.5, 0.9])
    print(
        f"test on {len(y_test)} events: AUC {auc:.4f}, accuracy {accuracy:.4f}, background "
        f"rejection {rejection[0]:.3f} at 50% and {rejection[1]:.3f} at 90% signal efficiency"
    )

    jaxnn.plot.roc({"MLP": (y_test, scores)}, path=out / "susy_roc.png")
    jaxnn.plot.classifier_response(y_test, scores, path=out / "susy_response.png")
    jaxnn.plot.history(result, path=out / "susy_history.png")
    print(f"plots: {out / 'susy_roc.png'}, {out / 'susy_response.png'}, {out / 'susy_history.png'}")
    return {
        "auc": auc,
        "accuracy": accuracy,
        "rejection_50": float(rejection[0]),
        "rejection_90": float(rejection[1]),
    }


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        x, y = load_susy(args.data, nrows=args.nrows or None)
    except FileNotFoundError as error:
        parser.error(f"{error} Give its location with --data PATH.")  # exits with status 2
    print(
        f"read {len(y)} events ({y.mean():.1%} signal) from {args.data} in "
        f"{time.perf_counter() - start:.1f} s"
    )
    run(args, x, y)
    return 0


if __name__ == "__main__":
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
