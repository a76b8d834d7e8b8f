"""pinn against the field's strongest published PINN results, each problem posed exactly as its
source poses it, each error measured against a reference computed and checked here.

Rows (``--list``): Burgers (Raissi et al.), jaxpi's Allen-Cahn and KdV (PirateNets), PINNacle's
Wave1d-C, Poisson-ND, Heat2d-MS, Poisson2d-C and NS2d-C (lid-driven cavity), and Kovasznay flow.
For each run the script prints one JSON line with ``problem``, ``seed``, ``relative_l2`` (pinn
against the reference on the reference's points), ``seconds`` (the wall time of the solve,
compilation included: every run is a fresh process), ``reference_error`` (the reference's own
estimated error, by refinement), ``published_best`` (the figure, its source and that run's
budget), ``bar`` and ``settings`` (network, points, windows, stages).

    python benchmarks/frontier.py --list
    python benchmarks/frontier.py --problems burgers kdv --seeds 3 > frontier.jsonl
    python benchmarks/frontier.py --markdown --results frontier.jsonl   # the README's table

The problems' pinn setups are in `frontier_setups.py`, their references in `references/`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _rows() -> dict:
    sys.path.insert(0, str(HERE))
    from frontier_setups import ROWS

    return ROWS


def run_one(name: str, seed: int) -> dict:
    """Solve row `name` with `seed` in this process; its record."""
    import jax

    jax.config.update("jax_enable_x64", True)  # a script: float64 for the Gauss-Newton stages
    row = _rows()[name]
    points, reference, reference_error = row.reference()
    start = time.perf_counter()
    predict, settings = row.solve(seed)
    seconds = time.perf_counter() - start
    predicted = predict(points)
    import numpy as np

    predicted = np.asarray(predicted, float).reshape(reference.shape)
    error = float(np.linalg.norm(predicted - reference) / np.linalg.norm(reference))
    return {"benchmark": "frontier", "problem": name, "seed": seed, "relative_l2": error,
            "seconds": round(seconds, 1), "reference_error": reference_error,
            "published_best": row.published, "bar": row.bar, "settings": settings,
            "device": str(jax.devices()[0])}


def _run_fresh(name: str, seed: int, timeout: float) -> dict:
    """One run in a fresh process (compilation included in its time); why it failed if so."""
    command = [sys.executable, str(HERE / "frontier.py"), "--one", name, "--seed", str(seed)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False, env=os.environ)
    except subprocess.TimeoutExpired:
        return {"benchmark": "frontier", "problem": name, "seed": seed,
                "failed": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        why = (done.stderr.strip().splitlines() or ["no output"])[-1][:300]
        return {"benchmark": "frontier", "problem": name, "seed": seed, "failed": why}
    return json.loads(lines[-1])


def markdown(records: list[dict]) -> str:
    """The README's table: one row per problem, the median over seeds and the worst seed, and
    how many times lower pinn's median error is than the published best."""
    lines = ["| problem | pinn: median error (worst) | vs published | time | bar | published best "
             "(source; budget) | reference's own error | settings |",
             "|---|---|---|---|---|---|---|---|"]
    for name, row in _rows().items():
        runs = [r for r in records if r.get("problem") == name and "relative_l2" in r]
        failed = [r for r in records if r.get("problem") == name and "failed" in r]
        value = row.published["value"]
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        published = f"{shown} ({row.published['source']}; {row.published['budget']})"
        if runs:
            errors = sorted(r["relative_l2"] for r in runs)
            median = statistics.median(errors)
            seeds = f"{len(runs)} seed{'s' * (len(runs) > 1)}"
            result = f"{median:.2e} ({errors[-1]:.2e}, {seeds})"
            ratio = f"{value / median:.3g}x" if isinstance(value, float) else "-"
            seconds = f"{statistics.median(r['seconds'] for r in runs):.0f} s"
            reference = runs[0]["reference_error"]
            reference = "exact" if reference == 0 else f"{reference:.0e}"
            settings = runs[0]["settings"]
        else:
            result = failed[0]["failed"] if failed else "not run"
            ratio, seconds, reference, settings = "-", "", "", row.describe()
        # The rule: the median at the bar and the worst seed within 3x of it.
        met = "misses"
        if runs and statistics.median(errors) <= row.bar:
            met = "meets" if errors[-1] <= 3 * row.bar else "median meets, worst > 3x"
        lines.append(f"| {row.title} | {result} | {ratio} | {seconds} | {row.bar:.2g} ({met}) "
                     f"| {published} | {reference} | {settings} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="print the problem names")
    parser.add_argument("--problems", nargs="+", help="rows to run (default: all)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds 0..K-1 for each row")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds for one run")
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    parser.add_argument("--results", help="JSON lines of earlier runs (with --markdown)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    rows = _rows()
    if args.list:
        print("\n".join(rows))
        return 0
    if args.one:
        print(json.dumps(run_one(args.one, args.seed)), flush=True)
        return 0
    names = args.problems or list(rows)
    unknown = sorted(set(names) - set(rows))
    if unknown:
        parser.error(f"--problems: unknown {unknown}; expected names from --list: {list(rows)}")
    if args.markdown and args.results:
        records = [json.loads(line) for line in Path(args.results).read_text().splitlines()
                   if line.startswith("{")]
        print(markdown(records))
        return 0
    records = []
    for name in names:
        for seed in range(args.seeds):
            record = _run_fresh(name, seed, args.timeout)
            records.append(record)
            print(json.dumps(record), flush=True)
    if args.markdown:
        print(markdown(records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
