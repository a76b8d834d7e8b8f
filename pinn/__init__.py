"""pinn: physics-informed neural networks on the networks and training loop of jaxnn.

    import jaxnn, pinn
    domain = pinn.Rectangle((0, 0), (1, 1))
    problem = pinn.Poisson(domain, source=f, bcs=[pinn.Dirichlet(0.0)])     # -Δu = f
    solution = pinn.solve(problem, jaxnn.MLP([32, 32, 1], activation="tanh"), seed=0)
    u = solution(points); solution.relative_l2(exact)

Submodules: `geometry` (domains), `operators` (forward-mode derivatives), `equations` (PDEs and
boundary conditions, with the sign conventions), `conditions` (`OperatorBC`,
`Derivative`, `Periodic`), `systems` (several fields:
``pinn.PDE(..., fields=("x", "y"))``), `solver` (`solve`), `solution` (`Solution`), `marching` (`march`: an
evolution problem window after window in time), `optimizers`
(Gauss-Newton), `problems` (the named-problem registry), `plot`, `cli` (the `pinn` command).
"""

from pinn import conditions, equations, geometry, marching, operators, optimizers, problems, systems
from pinn.collocation import Collocation, FixedWeights, GradientNormWeights, Refinement
from pinn.conditions import Derivative, OperatorBC, Periodic
from pinn.equations import (
    PDE,
    Dirichlet,
    Helmholtz,
    Initial,
    InitialRate,
    Laplace,
    Neumann,
    Poisson,
    Robin,
)
from pinn.geometry import Annulus, Box, Disk, Interval, Polygon, Rectangle, SpaceTime
from pinn.inverse import Observations, Unknown
from pinn.marching import MarchedSolution, march
from pinn.networks import FourierFeatures, TimeWindow
from pinn.optimizers import gauss_newton
from pinn.solution import Solution, relative_l2
from pinn.solver import solve
from pinn.stages import LBFGS, Adam, GaussNewton, OptaxStage, Stage
from pinn.systems import Fields

__all__ = [
    "LBFGS",
    "PDE",
    "Adam",
    "Annulus",
    "Box",
    "Collocation",
    "Derivative",
    "Dirichlet",
    "Disk",
    "Fields",
    "FixedWeights",
    "FourierFeatures",
    "GaussNewton",
    "GradientNormWeights",
    "Helmholtz",
    "Initial",
    "InitialRate",
    "Interval",
    "Laplace",
    "MarchedSolution",
    "Neumann",
    "Observations",
    "OperatorBC",
    "OptaxStage",
    "Periodic",
    "Poisson",
    "Polygon",
    "Rectangle",
    "Refinement",
    "Robin",
    "Solution",
    "SpaceTime",
    "Stage",
    "TimeWindow",
    "Unknown",
    "conditions",
    "equations",
    "gauss_newton",
    "geometry",
    "march",
    "marching",
    "operators",
    "optimizers",
    "problems",
    "relative_l2",
    "solve",
    "systems",
]


def __getattr__(name: str):
    # plot pulls in matplotlib: import it on first use (pinn.plot) rather than at start-up.
    if name == "plot":
        import importlib

        return importlib.import_module("pinn.plot")
    raise AttributeError(f"module 'pinn' has no attribute {name!r}")
