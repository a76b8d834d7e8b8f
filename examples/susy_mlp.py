"""SUSY: an MLP separates supersymmetric signal events from Standard-Model background.

The UCI SUSY data set (Baldi, Sadowski & Whiteson, Nature Communications 5, 4308 (2014)) has
5,000,000 simulated collision events with 18 kinematic features each, 8 low-level (lepton
momenta, missing energy) and 10 high-level ones physicists derived from them. The file is not
shipped: download SUSY.csv.gz (about 880 MB) once from the UCI Machine Learning Repository,
data set 279 (https://archive.ics.uci.edu/dataset/279/susy), and pass it with --data.

The features are standardized, an MLP 18-200-100-2 is trained with early stopping on a
validation split, and the test AUC, the background rejection at 50 % and 90 % signal efficiency,
the ROC curve and the classifier response are reported.

As in the lecture, `--features all,low,high` trains one MLP on each set of features (all 18,
the 8 low-level, the 10 high-level), the same split and settings for each, and compares them:
one ROC plot with a curve per set, and a table of the AUCs and rejections. (The networks differ
in their input width, so they are three fits, not one `fit_many`.)

Run (a few minutes on a laptop CPU with the default 1,000,000 events, per feature set):

    python examples/susy_mlp.py --data data/SUSY.csv.gz
    python examples/susy_mlp.py --data data/SUSY.csv.gz --nrows 100000 --epochs 3
    python examples/susy_mlp.py --data data/SUSY.csv.gz --features all,low,high
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

# The lecture's three feature sets: columns of x (in the file order of SUSY_FEATURES, the 8
# low-level features first, then the 10 high-level ones physicists derived from them).
FEATURE_SETS = {
    "all": ("all 18 features", list(range(18))),
    "low": ("8 low-level", list(range(8))),
    "high": ("10 high-level", list(range(8, 18))),
}

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
    "features": "all",
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
    parser.add_argument(
        "--features", type=feature_sets,
        help="comma-separated feature sets to train on and compare: all (18), low (the 8 "
        "low-level), high (the 10 high-level); e.g. all,low,high (default: all)"
    )
    parser.set_defaults(**DEFAULTS)
    return parser


def feature_sets(text: str) -> list[str]:
    """``"all,low,high"`` as a list of names of `FEATURE_SETS` (argparse's type)."""
    names = [name.strip() for name in text.split(",")]
    unknown = [name for name in names if name not in FEATURE_SETS]
    if unknown or not names or len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected distinct names among {', '.join(FEATURE_SETS)}, separated by "
            "commas, e.g. all,low,high")
    return names


def train_and_test(args: argparse.Namespace, columns: list[int], splits) -> tuple:
    """Fit an MLP on `columns` of the standardized (train, validation, test) splits; returns
    the `TrainResult`, the test scores P(signal) ``(n_test,)`` and the figures of merit."""
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = (
        (x[:, columns], y) for x, y in splits)
    model = jaxnn.MLP([*args.hidden, 2], activation="relu", dropout=args.dropout)
    print(f"training MLP {'-'.join(map(str, (len(columns), *args.hidden, 2)))} on "
          f"{len(y_train)} events")
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
    rejection = jaxnn.metrics.background_rejection(y_test, scores, [0.5, 0.9])
    figures = {
        "auc": jaxnn.metrics.roc_auc_score(y_test, scores),
        "accuracy": jaxnn.metrics.accuracy(y_test, scores > 0.5),
        "rejection_50": float(rejection[0]),
        "rejection_90": float(rejection[1]),
    }
    return result, scores, figures


def run(args: argparse.Namespace, x, y) -> dict[str, float]:
    """Train on events ``x: (n, 18)``, ``y: (n,)``, one MLP per feature set of
    ``args.features``; print and return the test figures: ``auc``, ``accuracy``,
    ``rejection_50``, ``rejection_90`` of the first set, and each as ``auc_low`` etc. per set."""
    out = Path(args.out)
    names = args.features if isinstance(args.features, list) else feature_sets(args.features)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = jaxnn.data.split(
        x, y, fractions=(0.8, 0.1, 0.1), seed=args.seed
    )
    scaler = jaxnn.data.StandardScaler().fit(x_train)  # per column: the same for every set
    splits = [(scaler.transform(a), b) for a, b in
              ((x_train, y_train), (x_val, y_val), (x_test, y_test))]

    figures, curves, first = {}, {}, None
    for name in names:
        label, columns = FEATURE_SETS[name]
        result, scores, scored = train_and_test(args, columns, splits)
        first = first or (result, scores, scored)
        curves[label] = (y_test, scores)
        figures.update({f"{key}_{name}": value for key, value in scored.items()})
    result, scores, scored = first
    figures.update(scored)

    print(f"test on {len(y_test)} events (background rejection at 50% and 90% signal "
          "efficiency):")
    print(f"  {'features':<17} {'AUC':>7} {'accuracy':>9} {'rej. 50%':>9} {'rej. 90%':>9}")
    for name in names:
        print(f"  {FEATURE_SETS[name][0]:<17} {figures[f'auc_{name}']:>7.4f} "
              f"{figures[f'accuracy_{name}']:>9.4f} {figures[f'rejection_50_{name}']:>9.3f} "
              f"{figures[f'rejection_90_{name}']:>9.3f}")

    jaxnn.plot.roc(curves, path=out / "susy_roc.png")
    jaxnn.plot.classifier_response(y_test, scores, path=out / "susy_response.png")
    jaxnn.plot.history(result, path=out / "susy_history.png")
    print(f"plots: {out / 'susy_roc.png'}, {out / 'susy_response.png'}, {out / 'susy_history.png'}"
          f" (response and history: {FEATURE_SETS[names[0]][0]})")
    return figures


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
