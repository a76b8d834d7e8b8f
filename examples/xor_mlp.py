"""XOR: a hidden layer learns what no linear classifier can.

The four corners of the unit square with label x1 XOR x2 are not linearly separable: no straight
line gets more than 3 of 4 right, and a logistic regression's best cross-entropy fit is the
useless P(1) = 1/2 everywhere (its "predictions" are then coin flips). A multilayer perceptron
with one small hidden layer learns all four. Both are trained on noisy samples around the
corners and scored on the exact truth table; the MLP's decision regions and loss curve are saved
as PNG files.

Run (a few seconds on a laptop CPU):

    python examples/xor_mlp.py                 # plots in out/
    python examples/xor_mlp.py --epochs 50 --out /tmp/xor
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import optax

import jaxnn
import jaxnn.plot
from jaxnn.data.datasets import xor

DEFAULTS = {
    "hidden": 8,
    "epochs": 100,
    "learning_rate": 0.05,
    "samples": 200,
    "noise": 0.1,
    "seed": 0,
    "out": "out",
}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hidden", type=int, help="hidden units of the MLP")
    parser.add_argument("--epochs", type=int, help="passes over the noisy training samples")
    parser.add_argument("--learning-rate", type=float, help="Adam learning rate")
    parser.add_argument("--samples", type=int, help="noisy training samples around the corners")
    parser.add_argument("--noise", type=float, help="standard deviation of the corner noise")
    parser.add_argument("--seed", type=int, help="seed of the data and the initialization")
    parser.add_argument("--out", help="directory for the plots")
    parser.set_defaults(**DEFAULTS)
    return parser


def train(model, x, y, args, loss):
    return jaxnn.fit(
        model,
        (x, y),
        loss=loss,
        optimizer=optax.adam(args.learning_rate),
        epochs=args.epochs,
        batch_size=32,
        seed=args.seed,
        verbose=0,
    )


def run(args: argparse.Namespace) -> dict[str, float]:
    """Train both models; print and return their truth-table accuracies."""
    out = Path(args.out)
    x_train, y_train = xor(noise=args.noise, n=args.samples, seed=args.seed)
    x_table, y_table = xor()
    print(
        "truth table (x1, x2) -> x1 XOR x2:",
        ", ".join(f"({a:.0f}, {b:.0f}) -> {t}"
                  for (a, b), t in zip(x_table, y_table, strict=True)),
    )

    models = {
        "logistic regression": (jaxnn.LogisticRegression(), "binary_cross_entropy"),
        f"MLP 2-{args.hidden}-2": (
            jaxnn.MLP([args.hidden, 2], activation="tanh"),
            "softmax_cross_entropy",
        ),
    }
    accuracies, results = {}, {}
    for name, (model, loss) in models.items():
        results[name] = result = train(model, x_train, y_train, args, loss)
        # P(class 1): the sigmoid of one logit, or the second softmax column.
        sample_probability = jaxnn.predict_proba(model, result.params, x_train)[:, -1]
        table_probability = jaxnn.predict_proba(model, result.params, x_table)[:, -1]
        sample_accuracy = jaxnn.metrics.accuracy(y_train, sample_probability > 0.5)
        accuracies[name] = jaxnn.metrics.accuracy(y_table, table_probability > 0.5)
        print(
            f"{name}: accuracy {sample_accuracy:.0%} on the {len(x_train)} noisy samples, "
            f"{accuracies[name]:.0%} on the truth table; P(1) at the corners "
            f"{[round(float(p), 2) for p in table_probability]}"
        )

    mlp_name = list(models)[-1]
    mlp, mlp_result = models[mlp_name][0], results[mlp_name]
    jaxnn.plot.decision_boundary(
        lambda points: jaxnn.predict_proba(mlp, mlp_result.params, points)[:, 1],
        x_train,
        y_train,
        path=out / "xor_decision_boundary.png",
    )
    jaxnn.plot.history(mlp_result, path=out / "xor_loss.png")
    print(f"plots of the MLP: {out / 'xor_decision_boundary.png'}, {out / 'xor_loss.png'}")
    return {
        "logistic_regression_accuracy": accuracies["logistic regression"],
        "mlp_accuracy": accuracies[mlp_name],
    }


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
