"""The `pinn` command: list the registered problems and solve one.

    pinn list
    pinn solve poisson2d                       # Adam + L-BFGS, float32 (the "fast" settings)
    pinn solve poisson2d --accurate            # float64 Gauss-Newton (the "accurate" settings)
    pinn solve helmholtz2d --steps 2000 3000 --seed 1 --plot out/helmholtz.png --json
"""

from __future__ import annotations

import argparse
import json
import sys

import jax


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pinn", description="Physics-informed neural network "
                                     "solutions of named PDE problems.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the registered problems")
    solve = commands.add_parser("solve", help="solve a registered problem")
    solve.add_argument("name", help="problem name (see `pinn list`)")
    solve.add_argument("--accurate", action="store_true",
                       help="float64 Gauss-Newton settings instead of Adam + L-BFGS")
    solve.add_argument("--optimizer", help="stages joined by '+', e.g. adam+lbfgs, gauss_newton")
    solve.add_argument("--steps", type=int, nargs="+", help="steps per optimizer stage")
    solve.add_argument("--seed", type=int, default=0)
    solve.add_argument("--float64", action="store_true", default=None, help="train in float64")
    solve.add_argument("--plot", metavar="PATH", help="save a summary figure (PNG)")
    solve.add_argument("--json", action="store_true", help="print one JSON line of results")
    solve.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def _solve(args: argparse.Namespace) -> dict:
    from pinn import problems, solver

    spec = problems.get(args.name)
    options = spec.options("accurate" if args.accurate else "fast")
    if args.optimizer:
        options["optimizer"] = args.optimizer
        options.pop("steps", None)
    if args.steps:
        options["steps"] = args.steps[0] if len(args.steps) == 1 else tuple(args.steps)
    if args.float64 is not None:
        options["float64"] = True
    problem = spec.build()
    solution = solver.solve(problem, seed=args.seed, verbose=0 if args.quiet or args.json else 1,
                            **options)
    report = {"problem": spec.name, "mode": "accurate" if args.accurate else "fast",
              "optimizer": str(options["optimizer"]), "seconds": round(solution.seconds, 2),
              "device": str(jax.devices()[0]), "float64": solution.float64,
              "stop_reason": solution.stop_reason}
    if problem.exact is not None:
        report["relative_l2"] = solution.relative_l2()
        report["max_error"] = solution.max_error()
        report["bar"] = spec.bars.get(report["mode"])
    else:
        report["residual_rms"] = solution.residual_rms()
    if args.plot:
        from pinn import plot

        plot.summary(solution, problem.exact, problem.domain, path=args.plot)
        report["plot"] = args.plot
    return report


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from pinn import problems

    if args.command == "list":
        for name in problems.names():
            print(f"{name:16s} {problems.get(name).description}")
        return 0
    try:
        report = _solve(args)
    except ValueError as error:
        print(f"pinn solve: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(report))
    else:
        error = (f"relative L2 error {report['relative_l2']:.3e}, max error "
                 f"{report['max_error']:.3e}" if "relative_l2" in report
                 else f"RMS residual {report['residual_rms']:.3e}")
        print(f"{report['problem']}: {error}, {report['seconds']:.1f} s on {report['device']}")
        if args.plot:
            print(f"saved {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
