"""NAND: one neuron (a logistic regression) learns a linearly separable logic gate.

NAND is 0 only where both inputs are 1, so a single straight line separates its truth table:
a logistic regression, P(1 | x) = sigmoid(w . x + b), fitted by gradient descent on the
cross-entropy, finds such a line. The script prints the learned weights and bias, the
predicted probabilities on the four corners and the accuracy, and saves the decision boundary.

Run (seconds on a laptop CPU):

    python examples/nand_logistic_regression.py            # plot in out/
    python examples/nand_logistic_regression.py --epochs 200 --out /tmp/nand
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import optax

import jaxnn
import jaxnn.plot
from jaxnn.data.datasets import nand

DEFAULTS = {"epochs": 500, "learning_rate": 1.0, "seed": 0, "out": "out"}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, help="full-batch gradient-descent steps")
    parser.add_argument("--learning-rate", type=float, help="step size of plain gradient descent")
    parser.add_argument("--seed", type=int, help="seed of the noisy points drawn in the plot")
    parser.add_argument("--out", help="directory for the plot")
    parser.set_defaults(**DEFAULTS)
    return parser


def signed(value: float) -> str:
    return f"{'-' if value < 0 else '+'} {abs(value):.2f}"


def run(args: argparse.Namespace) -> dict[str, float]:
    """Fit the logistic regression; print and return its weights, bias and accuracy."""
    out = Path(args.out)
    x, y = nand()  # the truth table: (0,0)->1, (0,1)->1, (1,0)->1, (1,1)->0

    model = jaxnn.LogisticRegression()
    result = jaxnn.fit(
        model,
        (x, y),
        loss="binary_cross_entropy",
        optimizer=optax.sgd(args.learning_rate),
        epochs=args.epochs,
        batch_size=None,
        seed=args.seed,
        verbose=0,
    )

    dense = result.params["params"]["Dense_0"]
    weights, bias = np.asarray(dense["kernel"])[:, 0], float(dense["bias"][0])
    probability = jaxnn.predict_proba(model, result.params, x)[:, 0]
    predicted = (probability > 0.5).astype(int)
    print(f"learned weights w = ({weights[0]:.3f}, {weights[1]:.3f}), bias b = {bias:.3f}")
    print(
        f"decision line w . x + b = 0:  {weights[0]:.2f} x1 {signed(weights[1])} x2 "
        f"{signed(bias)} = 0"
    )
    print(" x1 x2 | NAND | P(1)  prediction")
    for (x1, x2), truth, p, guess in zip(x, y, probability, predicted, strict=True):
        print(f" {x1:2.0f} {x2:2.0f} | {truth:4d} | {p:.3f} {guess:5d}")
    accuracy = jaxnn.metrics.accuracy(y, predicted)
    print(
        f"accuracy {accuracy:.0%}, final cross-entropy {result.history['loss'][-1]:.4f} after "
        f"{result.epochs_run} steps"
    )

    x_noisy, y_noisy = nand(noise=0.1, n=200, seed=args.seed)
    jaxnn.plot.decision_boundary(
        lambda points: jaxnn.predict_proba(model, result.params, points)[:, 0],
        x_noisy,
        y_noisy,
        path=out / "nand_decision_boundary.png",
    )
    print(
        f"plot: {out / 'nand_decision_boundary.png'} (the boundary with noisy samples of the "
        "four corners)"
    )
    return {
        "accuracy": accuracy,
        "weight_1": float(weights[0]),
        "weight_2": float(weights[1]),
        "bias": bias,
    }


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
