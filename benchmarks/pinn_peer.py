"""pinn against DeepXDE on DeepXDE's own example suite, in one run.

For each problem of `peer_problems.PROBLEMS` (heat, diffusion_1d, wave, Klein-Gordon, Burgers,
Allen-Cahn, Lotka-Volterra, Euler beam, Poisson 1-D periodic and Robin, Helmholtz 2-D, the
diffusion and Lorenz inverse problems) the script runs, each in a fresh process:

- DeepXDE (PyTorch backend, float32) with its published settings (`published`) and with its
  own best practice for accuracy, hard constraints then L-BFGS (`hard_lbfgs`)
  (`peer_deepxde.py`);
- pinn in its two modes, `accurate` (float64 Gauss-Newton) and `fast` (float32 Adam then
  L-BFGS) (`peer_pinn.py`).

Every run's error is measured on the same test grid against the same reference
(`peer_problems`: exact solutions, Cole-Hopf for Burgers, a converged method of lines for
Allen-Cahn, `solve_ivp` for the ODE systems); for the inverse problems also the largest
relative error of the recovered coefficients. Printed: one JSON line per run, then one line
per problem and pinn mode against DeepXDE's best run (lowest error) with the two ratios of
the issue's bar: ``error_ratio`` = DeepXDE's error / pinn's (bar >= 10) and ``time_ratio`` =
DeepXDE's wall time / pinn's (bar >= 1), and with ``--markdown`` the README's table. pinn's
times are those of a first run: every program compiled afresh (``peer_pinn.py
--persistent-cache`` gives a second run's, programs reused from disk).

    DDE_BACKEND=pytorch python benchmarks/pinn_peer.py   # all: hours (Klein-Gordon: 1 h 45)
    python benchmarks/pinn_peer.py --problems heat burgers --pinn-modes accurate
    python benchmarks/pinn_peer.py --deepxde-scale 0.1   # DeepXDE at 1/10 of its iterations

With ``--deepxde-scale`` below 1 DeepXDE runs that fraction of its published iterations
(recorded in every line); its errors then only bound what the full run would reach.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from peer_problems import PROBLEMS

HERE = Path(__file__).resolve().parent
DEEPXDE_CONFIGS = ("published", "hard_lbfgs")
PINN_MODES = ("accurate", "fast")


def _run(script: str, arguments: list[str], timeout: float) -> dict:
    """One run of `script` in a fresh process; its last JSON line (or why there is none)."""
    environment = {**os.environ, "DDE_BACKEND": "pytorch"}
    try:
        done = subprocess.run([sys.executable, str(HERE / script), *arguments], cwd=HERE,
                              check=False,
                              capture_output=True, text=True, timeout=timeout, env=environment)
    except subprocess.TimeoutExpired:
        return {"failed": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        return {"failed": (done.stderr.strip().splitlines() or ["no output"])[-1][:300]}
    return json.loads(lines[-1])


def error_of(record: dict) -> float | None:
    """The figure a run is judged by: the coefficient error of an inverse problem, else the
    relative L2 error of the solution."""
    return record.get("coefficient_error", record.get("relative_l2"))


def compare(name: str, ours: dict, peers: list[dict]) -> dict:
    """pinn's run against DeepXDE's best (lowest error) on one problem: the bar's two ratios."""
    finished = [peer for peer in peers if error_of(peer) is not None]
    line = {"benchmark": "pinn_peer", "problem": name, "pinn_mode": ours.get("config"),
            "pinn_error": error_of(ours), "pinn_seconds": ours.get("seconds")}
    if not finished or error_of(ours) is None:
        return {**line, "compared": False}
    best = min(finished, key=error_of)
    error_ratio = error_of(best) / error_of(ours) if error_of(ours) > 0 else float("inf")
    time_ratio = best["seconds"] / ours["seconds"]
    return {**line, "deepxde_config": best["config"], "deepxde_error": error_of(best),
            "deepxde_seconds": best["seconds"], "deepxde_scale": best.get("scale", 1.0),
            "error_ratio": round(error_ratio, 1), "time_ratio": round(time_ratio, 2),
            "bar_met": bool(error_ratio >= 10 and time_ratio >= 1)}


def markdown(records: list[dict], comparisons: list[dict]) -> str:
    """The README's table: each problem's error and time for every contender."""
    columns = [("deepxde", config) for config in DEEPXDE_CONFIGS] + [
        ("pinn", mode) for mode in PINN_MODES]
    header = ["problem"] + [f"{impl} {config}" for impl, config in columns] + ["bar met"]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name in dict.fromkeys(record["problem"] for record in records):
        cells = [name]
        for impl, config in columns:
            found = [r for r in records if (r["problem"], r["impl"], r.get("config")) ==
                     (name, impl, config)]
            error = error_of(found[0]) if found else None
            cells.append(f"{error:.1e} in {found[0]['seconds']:.0f} s" if error is not None
                         else "-")
        met = [c["bar_met"] for c in comparisons if c["problem"] == name and "bar_met" in c]
        cells.append("yes" if any(met) else "no" if met else "-")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=list(PROBLEMS), choices=list(PROBLEMS))
    parser.add_argument("--deepxde-configs", nargs="*", default=list(DEEPXDE_CONFIGS),
                        choices=DEEPXDE_CONFIGS)
    parser.add_argument("--pinn-modes", nargs="+", default=list(PINN_MODES), choices=PINN_MODES)
    parser.add_argument("--deepxde-scale", type=float, default=1.0,
                        help="the fraction of DeepXDE's published iterations to run")
    parser.add_argument("--deepxde-threads", type=int, default=None,
                        help="torch threads (default one per CPU)")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per run")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--markdown", action="store_true", help="print the README's table")
    args = parser.parse_args(argv)

    records, comparisons = [], []
    context = {"cpu_count": os.cpu_count(), "seed": args.seed}
    for name in args.problems:
        peers = []
        for config in args.deepxde_configs:
            peer = _run("peer_deepxde.py", ["--problems", name, "--configs", config, "--scale",
                                            str(args.deepxde_scale), "--seed", str(args.seed)]
                        + (["--threads", str(args.deepxde_threads)] if args.deepxde_threads
                           else []),
                        args.timeout)
            peer = {"impl": "deepxde", "problem": name, "config": config,
                    "scale": args.deepxde_scale, **peer, **context}
            print(json.dumps(peer), flush=True)
            peers.append(peer)
        for mode in args.pinn_modes:
            ours = _run("peer_pinn.py", ["--problems", name, "--modes", mode, "--seed",
                                         str(args.seed)], args.timeout)
            ours = {"impl": "pinn", "problem": name, "config": mode, **ours, **context}
            print(json.dumps(ours), flush=True)
            records.append(ours)
            comparisons.append(compare(name, ours, peers))
            print(json.dumps(comparisons[-1]), flush=True)
        records.extend(peers)
    if args.markdown:
        print(markdown(records, comparisons))
    return 0


if __name__ == "__main__":
    sys.exit(main())
