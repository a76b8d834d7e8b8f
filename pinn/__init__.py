"""pinn: physics-informed neural networks on the networks and training loop of jaxnn.

    import jaxnn, pinn
    domain = pinn.Rectangle((0, 0), (1, 1))
    problem = pinn.Poisson(domain, source=f, bcs=[pinn.Dirichlet(0.0)])     # -Δu = f
    solution = pinn.solve(problem, jaxnn.MLP([32, 32, 1], activation="tanh"), seed=0)
    u = solution(points); solution.relative_l2(exact)

Subpackages, by role (each re-exports its public names; the files inside are private):
`geometry` (domains, sampling, distance functions), `conditions` (boundary and initial
conditions, `Periodic`, `OperatorBC`, `Observations`), `equations` (`PDE`, `Laplace`, `Poisson`,
`Helmholtz`, `Unknown`; the sign conventions), `solver` (`solve`, `march`, collocation,
optimizer stages, `Solution`), `problems` (the named-problem registry). Modules: `operators`
(forward-mode derivatives), `fields` (functions of one point; `Fields` of a system), `checks`
(pinn's checks at the door), `plot`, `cli` (the `pinn` command).
"""

from pinn import conditions, equations, fields, geometry, operators, problems, solver
from pinn.conditions import (
    Derivative,
    Dirichlet,
    Initial,
    InitialRate,
    Neumann,
    Observations,
    OperatorBC,
    Periodic,
    Robin,
)
from pinn.equations import PDE, Fields, Helmholtz, Laplace, Poisson, Unknown
from pinn.geometry import Annulus, Box, Disk, Interval, Polygon, Rectangle, SpaceTime
from pinn.solver import (
    BFGS,
    LBFGS,
    Adam,
    Collocation,
    FixedWeights,
    FourierFeatures,
    GaussNewton,
    GradientNormWeights,
    MarchedSolution,
    OptaxStage,
    Refinement,
    Solution,
    Stage,
    TimeWindow,
    gauss_newton,
    march,
    quasi_newton,
    relative_l2,
    solve,
)

__all__ = [
    "BFGS",
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
    "fields",
    "gauss_newton",
    "geometry",
    "march",
    "operators",
    "problems",
    "quasi_newton",
    "relative_l2",
    "solve",
    "solver",
]


def __getattr__(name: str):
    # plot pulls in matplotlib: import it on first use (pinn.plot) rather than at start-up.
    if name == "plot":
        import importlib

        return importlib.import_module("pinn.plot")
    raise AttributeError(f"module 'pinn' has no attribute {name!r}")
