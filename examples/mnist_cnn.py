"""MNIST: a convolutional network reads handwritten digits.

The MNIST files are not shipped: download the four IDX files train-images-idx3-ubyte.gz,
train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz once (from
http://yann.lecun.com/exdb/mnist/ or a mirror such as
https://ossci-datasets.s3.amazonaws.com/mnist/) into one directory and pass it with --data.

The classic lecture CNN, conv 32 -> pool -> conv 64 -> pool (3x3 kernels, ReLU, 2x2 max-pool)
-> dense 128 -> 10 logits, is trained on the 60,000 training digits (10 % kept for
validation), then scored on the 10,000 test digits: accuracy, a per-digit report and the
confusion matrix. `--features 32` keeps one conv block (quicker on a laptop CPU).

Run (a few minutes on a laptop CPU; --train-size makes it quicker):

    python examples/mnist_cnn.py --data data/mnist
    python examples/mnist_cnn.py --data data/mnist --train-size 10000 --epochs 1
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import optax

import jaxnn
import jaxnn.plot
from jaxnn.data.datasets import load_mnist

DEFAULTS = {
    "data": "data/mnist",
    "train_size": 0,
    "features": (32, 64),
    "epochs": 3,
    "batch_size": 128,
    "learning_rate": 1e-3,
    "seed": 0,
    "out": "out",
}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", help="directory of the four MNIST IDX files (default: data/mnist)"
    )
    parser.add_argument(
        "--train-size", type=int, help="use only the first N training digits (0: all)"
    )
    parser.add_argument("--features", type=int, nargs="+", help="channels of each conv block")
    parser.add_argument("--epochs", type=int, help="training epochs")
    parser.add_argument("--batch-size", type=int, help="minibatch size")
    parser.add_argument("--learning-rate", type=float, help="Adam learning rate")
    parser.add_argument("--seed", type=int, help="seed of the initialization and batch order")
    parser.add_argument("--out", help="directory for the plots")
    parser.set_defaults(**DEFAULTS)
    return parser


def run(args: argparse.Namespace, train, test) -> dict[str, float]:
    """Train on ``train = (images, labels)``; print and return the accuracy on `test`."""
    out = Path(args.out)
    (x_train, y_train), (x_test, y_test) = train, test
    if args.train_size:
        x_train, y_train = x_train[: args.train_size], y_train[: args.train_size]
    print(f"{len(x_train)} training and {len(x_test)} test digits of shape {x_train.shape[1:]}")

    model = jaxnn.CNN(features=args.features, dense=(128,), num_outputs=10)
    start = time.perf_counter()
    result = jaxnn.fit(
        model,
        (x_train, y_train),
        optimizer=optax.adam(args.learning_rate),
        epochs=args.epochs,
        batch_size=min(args.batch_size, len(x_train)),
        validation_split=0.1,
        seed=args.seed,
    )
    print(f"trained in {time.perf_counter() - start:.0f} s")

    predicted = jaxnn.predict(model, result.params, x_test).argmax(axis=1)
    accuracy = jaxnn.metrics.accuracy(y_test, predicted)
    print(f"test accuracy {accuracy:.4f}")
    print(
        jaxnn.metrics.classification_report(
            y_test, predicted, target_names=[str(d) for d in range(10)]
        )
    )
    matrix = jaxnn.metrics.confusion_matrix(y_test, predicted, num_classes=10)
    jaxnn.plot.confusion_matrix(matrix, path=out / "mnist_confusion_matrix.png")
    jaxnn.plot.history(result, path=out / "mnist_history.png")
    print(f"plots: {out / 'mnist_confusion_matrix.png'}, {out / 'mnist_history.png'}")
    return {"accuracy": accuracy}


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        train = load_mnist(args.data, split="train")
        test = load_mnist(args.data, split="test")
    except FileNotFoundError as error:
        parser.error(f"{error} Give the directory with --data DIR.")  # exits with status 2
    run(args, train, test)
    return 0


if __name__ == "__main__":
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
