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

from pinn.equations import PDE
from pinn.solver import Solution


def add_solve_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The options of ``pinn solve`` (and of the examples that solve a registry problem)."""
    parser.add_argument("--accurate", action="store_true",
                        help="float64 Gauss-Newton settings instead of Adam + L-BFGS")
    parser.add_argument("--optimizer", help="stages joined by '+', e.g. adam+lbfgs, gauss_newton")
    parser.add_argument("--steps", type=int, nargs="+", help="steps per optimizer stage")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network and points")
    parser.add_argument("--float64", action="store_true", default=None, help="train in float64")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser


def registry_problem(name: str, args: argparse.Namespace) -> tuple[PDE, dict, str]:
    """``(problem, solve options, mode)`` of a registry problem, with `args` applied."""
    from pinn import problems

    spec = problems.get(name)
    mode = "accurate" if args.accurate else "fast"
    changes: dict = {}
    if args.optimizer:
        changes.update(optimizer=args.optimizer, steps=None)
    if args.steps:
        changes["steps"] = args.steps[0] if len(args.steps) == 1 else tuple(args.steps)
    if args.float64:
        changes["float64"] = True
    return spec.problem(mode), spec.options(mode, seed=args.seed, **changes), mode


def solve_registered(name: str, args: argparse.Namespace) -> tuple[PDE, Solution, str]:
    """Solve a registry problem with `args` (see `add_solve_arguments`); print progress
    unless ``args.quiet``. Returns ``(problem, solution, mode)``."""
    from pinn import problems

    problem, options, mode = registry_problem(name, args)
    solution = problems.get(name).solve(mode, problem, seed=args.seed,
                                        verbose=0 if args.quiet else 1, **options)
    return problem, solution, mode


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pinn", description="Physics-informed neural network "
                                     "solutions of named PDE problems.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="list the registered problems")
    solve = add_solve_arguments(commands.add_parser("solve", help="solve a registered problem"))
    solve.add_argument("name", help="problem name (see `pinn list`)")
    solve.add_argument("--plot", metavar="PATH", help="save a summary figure (PNG)")
    solve.add_argument("--json", action="store_true", help="print one JSON line of results")
    return parser


def _solve(args: argparse.Namespace) -> dict:
    from pinn import problems

    if args.json:
        args.quiet = True
    problem, solution, mode = solve_registered(args.name, args)
    spec = problems.get(args.name)
    report = {"problem": spec.name, "mode": mode,
              "optimizer": args.optimizer or str(spec.settings[mode]["optimizer"]),
              "seconds": round(solution.seconds, 2), "device": str(jax.devices()[0]),
              "float64": solution.float64, "stop_reason": solution.stop_reason}
    if problem.exact is not None:
        report["relative_l2"] = solution.relative_l2()
        report["max_error"] = solution.max_error()
        report["bar"] = spec.bars.get(mode)
    else:
        report["residual_rms"] = solution.residual_rms()
    if solution.unknowns:
        report["unknowns"] = solution.unknowns
        report["coefficient_errors"] = spec.coefficient_errors(solution.unknowns)
    if args.plot:
        from pinn import plot

        plot.summary(solution, problem.exact, problem.domain, path=args.plot)
        report["plot"] = args.plot
    return report


def _check_plot_path(path: str) -> None:
    """``--plot PATH``: a file path whose folder exists or can be made, ending in an image
    format matplotlib writes; a ValueError naming the option otherwise."""
    from matplotlib.figure import Figure

    from jaxnn.validate import check_path

    target = check_path(path, "--plot", must_exist=False)
    formats = Figure().canvas.get_supported_filetypes()
    extension = target.suffix.lstrip(".").lower()
    if extension not in formats:
        raise ValueError(f"--plot {path}: {('.' + extension) if extension else 'no extension'} "
                         f"is not an image format matplotlib writes; use one of "
                         f"{sorted(formats)}, e.g. --plot out/solution.png.")


def entry_point() -> int:
    """The ``pinn`` command: `main` with compiled programs kept on disk between runs and
    JAX's x64 mode on (the entry point is the script's top: float64 for ``--accurate``;
    float32 solves stay float32)."""
    from jaxnn import use_persistent_cache

    jax.config.update("jax_enable_x64", True)
    use_persistent_cache()
    return main()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from pinn import problems

    if args.command == "list":
        for name in problems.names():
            print(f"{name:16s} {problems.get(name).description}")
        return 0
    try:
        if args.plot:
            _check_plot_path(args.plot)  # before the solve: a bad path must not cost a solution
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
        for name, value in report.get("unknowns", {}).items():
            print(f"  {name} = {value:.10g}")
        if args.plot:
            print(f"saved {args.plot}")
    return 0


if __name__ == "__main__":
    sys.exit(entry_point())
