"""Phases of the 2D Ising model: a CNN finds the critical temperature it was never shown.

Metropolis Monte Carlo (`jaxnn.datasets.ising`) makes equilibrium spin configurations on an
L x L periodic lattice at temperatures from 1.0 to 3.5 (J = k_B = 1). A small convolutional
network (circular padding, as the lattice is periodic) learns to tell ordered from disordered
configurations using only temperatures well away from the transition, T < 2.0 and T > 2.5
(after Carrasquilla & Melko, Nature Physics 13, 431 (2017)). Its test accuracy is measured
there; then its probability P(ordered) is averaged at every temperature, including the unseen
critical window, and the temperature where P crosses 1/2 estimates T_c, to compare with
Onsager's exact 2 / ln(1 + sqrt 2) = 2.269.

Run (about a minute on a laptop CPU):

    python examples/ising_phases_cnn.py                      # L = 32, plots in out/
    python examples/ising_phases_cnn.py --size 16 --samples 100 --epochs 5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import optax

import jaxnn
import jaxnn.plot
from jaxnn.data.datasets import ONSAGER_TC, ising, magnetization, onsager_magnetization

DEFAULTS = {
    "size": 32,
    "t_min": 1.0,
    "t_max": 3.5,
    "t_steps": 26,
    "samples": 200,
    "equilibration": 1000,
    "critical_window": (2.0, 2.5),
    "test_fraction": 0.3,
    "epochs": 10,
    "batch_size": 64,
    "learning_rate": 1e-3,
    "seed": 0,
    "out": "out",
}


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, help="lattice side L (even)")
    parser.add_argument("--t-min", type=float, help="lowest temperature")
    parser.add_argument("--t-max", type=float, help="highest temperature")
    parser.add_argument("--t-steps", type=int, help="number of equally spaced temperatures")
    parser.add_argument("--samples", type=int, help="configurations per temperature")
    parser.add_argument("--equilibration", type=int, help="Monte Carlo equilibration sweeps")
    parser.add_argument(
        "--critical-window",
        type=float,
        nargs=2,
        metavar=("LOW", "HIGH"),
        help="temperatures left out of training",
    )
    parser.add_argument("--test-fraction", type=float, help="share of configurations held out")
    parser.add_argument("--epochs", type=int, help="training epochs")
    parser.add_argument("--batch-size", type=int, help="minibatch size")
    parser.add_argument("--learning-rate", type=float, help="Adam learning rate")
    parser.add_argument("--seed", type=int, help="seed of the Monte Carlo, split and training")
    parser.add_argument("--out", help="directory for the plots")
    parser.set_defaults(**DEFAULTS)
    return parser


def crossing(temperatures: np.ndarray, probability: np.ndarray, level: float = 0.5) -> float:
    """Temperature where `probability` first falls below `level`, interpolated linearly."""
    below = np.flatnonzero(probability < level)
    if below.size == 0 or below[0] == 0:
        return float("nan")
    i = below[0] - 1
    step = (probability[i] - level) / (probability[i] - probability[i + 1])
    return float(temperatures[i] + step * (temperatures[i + 1] - temperatures[i]))


def run(args: argparse.Namespace) -> dict[str, float]:
    """Simulate, train, and print and return the test accuracy and the T_c estimate."""
    out = Path(args.out)
    temperatures = np.linspace(args.t_min, args.t_max, args.t_steps)

    start = time.perf_counter()
    spins, sample_temperatures, labels = ising(
        args.size,
        temperatures,
        args.samples,
        seed=args.seed,
        equilibration_sweeps=args.equilibration,
    )
    print(
        f"Monte Carlo: {len(spins)} configurations of {args.size}x{args.size} spins at "
        f"{len(temperatures)} temperatures in {time.perf_counter() - start:.1f} s"
    )
    order = np.abs(magnetization(spins))
    mean_order = np.array([order[sample_temperatures == t].mean() for t in temperatures])
    exact_order = onsager_magnetization(temperatures)
    print("   T    <|m|> sampled   M(T) Onsager (L = infinity)")
    for i in range(0, len(temperatures), max(1, len(temperatures) // 6)):
        print(f"{temperatures[i]:5.2f}  {mean_order[i]:13.3f}  {exact_order[i]:10.3f}")

    x = spins[..., None]  # (N, L, L, 1): one input channel for the CNN
    (x_train, y_train, t_train), (x_test, y_test, t_test) = jaxnn.data.split(
        x,
        labels,
        sample_temperatures,
        fractions=(1 - args.test_fraction, args.test_fraction),
        seed=args.seed,
        stratify=sample_temperatures,
    )
    low, high = args.critical_window
    away = (t_train < low) | (t_train > high)

    model = jaxnn.CNN(features=(8,), dense=(16,), num_outputs=2, padding="CIRCULAR")
    start = time.perf_counter()
    result = jaxnn.fit(
        model,
        (x_train[away], y_train[away]),
        optimizer=optax.adam(args.learning_rate),
        epochs=args.epochs,
        batch_size=min(args.batch_size, int(away.sum() * 0.9)),
        validation_split=0.1,
        seed=args.seed,
        verbose=0,
    )
    print(
        f"trained on {int(away.sum())} configurations with T < {low} or T > {high} for "
        f"{result.epochs_run} epochs in {time.perf_counter() - start:.1f} s"
    )

    p_ordered = jaxnn.predict_proba(model, result.params, x_test)[:, 1]
    test_away = (t_test < low) | (t_test > high)
    accuracy = jaxnn.metrics.accuracy(y_test[test_away], (p_ordered[test_away] > 0.5))
    print(f"test accuracy away from the transition (T < {low} or T > {high}): {accuracy:.4f}")

    mean_p = np.array([p_ordered[t_test == t].mean() for t in temperatures])
    critical = crossing(temperatures, mean_p)
    print(
        f"P(ordered) = 1/2 at T = {critical:.3f}; Onsager T_c = {ONSAGER_TC:.3f} "
        f"(deviation {critical / ONSAGER_TC - 1:+.1%})"
    )

    curves = {
        "CNN P(ordered)": mean_p,
        f"sampled <|m|>, L = {args.size}": mean_order,
        "exact M(T), L = infinity": exact_order,
    }
    jaxnn.plot.curve(
        temperatures,
        curves,
        xlabel="temperature T [J / k_B]",
        ylabel="P(ordered), magnetization",
        vline=(ONSAGER_TC, "Onsager T_c"),
        title=f"Ising {args.size}x{args.size}: estimated T_c = {critical:.3f}",
        path=out / "ising_p_ordered.png",
    )
    jaxnn.plot.history(result, path=out / "ising_history.png")
    print(f"plots: {out / 'ising_p_ordered.png'}, {out / 'ising_history.png'}")
    return {"accuracy": accuracy, "critical_temperature": critical}


def main(argv: list[str] | None = None) -> int:
    run(make_parser().parse_args(argv))
    return 0


if __name__ == "__main__":
    jaxnn.use_persistent_cache()  # a second run of this script skips compilation
    sys.exit(main())
